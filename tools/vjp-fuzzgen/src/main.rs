//! `vjp-fuzzgen`: writes a Rust test file of random `#[differentiable]` functions, each with a
//! `#[test]` that checks its `_vjp` against central finite differences and its `_jvp` against
//! its `_vjp` (the dot-product test); `vjp-fuzzgen run` generates, builds and runs many of them
//! in a throwaway crate and reports the mismatches. The output depends only on the seed, the
//! count and the construct switches. See `tools/vjp-fuzzgen/README.md`.

mod ast;
mod emit;
mod gen;
mod rng;
mod run;

use gen::{Gen, Opts};
use std::process::ExitCode;

const USAGE: &str = "usage:
  vjp-fuzzgen --seed S --count N --out PATH [--first K] [--enable LIST] [--disable LIST]
      writes a test file of N functions (`--out -` for stdout)
  vjp-fuzzgen run --seed S --count N [--chunk C] [--rev REV] [--threads T]
                  [--enable LIST] [--disable LIST]
      generates N functions in chunks of C (default 500; chunk k has seed S + k) into a
      throwaway crate under target/fuzzgen/run-S/, builds and runs them against the working
      tree (or against git revision REV), and writes target/fuzzgen/run-S/report.md;
      exits with status 1 if anything failed

  --first K       number the functions from K (f<K>, f<K+1>, ...), default 0
  --enable LIST   switch constructs on / off, comma-separated (`all` for every one):
  --disable LIST    call-no-grad-float, active-to-no-grad-slice, call-with-slices,
                    idioms-over-no-grad, logic-on-active, zero-array-in-loop, match-stmts,
                    inactive-float-arg, unlisted-pure-methods, deref-in-cond,
                    jump-in-block-stmt, shadow-near-return, elem-assign-near-return,
                    int-method-arg, plain-calls, binding-patterns, reductions, rows,
                    closures, closure-in-cond, untyped-inactive-closure, nested-rows,
                    lent-rows;
                  and the emphasis switches, which steer the generator toward the code
                  paths of seven optimisations: fused-loops, invariant-reads,
                  stepped-counters, carried-counters, undo-writes, offset-reads,
                  stepped-slots
                  (off by default: call-no-grad-float, active-to-no-grad-slice,
                  int-method-arg, plain-calls, binding-patterns, reductions, rows,
                  closures, closure-in-cond, untyped-inactive-closure, nested-rows,
                  lent-rows and the emphasis switches: see the README for why)";

/// The test file for `count` functions from `seed`, named from `f<first>`.
pub fn generate(seed: u64, count: usize, first: usize, opts: &Opts, command: &str) -> String {
    let mut g = Gen::new(seed, opts.clone());
    let mut text = emit::header(seed, count, command, &opts.describe());
    text += emit::HARNESS;
    if opts.plain_calls {
        text += gen::HELPERS;
    }
    // The functions that call the plain helpers, directly or through a callee.
    let mut plain: Vec<String> = Vec::new();
    for k in 0..count {
        let f = g.function(first + k);
        let test_seed = g.rng().next_u64();
        let definition = emit::function(&f, false);
        let mut callees = Vec::new();
        f.body.iter().for_each(|s| s.calls(&mut callees));
        f.tail.calls(&mut callees);
        let through_callee = callees.iter().any(|c| plain.contains(c));
        let direct = gen::calls_helpers(&definition);
        if direct || through_callee {
            plain.push(f.name.clone());
        }
        // The calls are counted when the function calls the helpers: `NAME_jvp` must call them
        // as often as `NAME`, and so must `NAME_vjp` unless a callee calls them too (the
        // reverse sweep runs the callee's `_vjp`, which calls them again).
        let count_calls = (direct || through_callee).then_some(!through_callee);
        text += &emit::marker(&f);
        text += &definition;
        text += "\n";
        text += &emit::function(&f, true);
        text += "\n";
        text += &emit::test(&f, test_seed, count_calls);
    }
    text
}

struct Args {
    run: bool,
    seed: u64,
    count: usize,
    out: Option<String>,
    first: usize,
    chunk: usize,
    rev: Option<String>,
    threads: usize,
    opts: Opts,
}

fn parse() -> Result<Args, String> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let run = args.first().is_some_and(|a| a == "run");
    if run {
        args.remove(0);
    }
    let mut seed = None;
    let mut count = None;
    let mut out = None;
    let mut first = 0;
    let mut chunk = 500;
    let mut rev = None;
    let mut threads = 2;
    let mut opts = Opts::default_set();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        let num = |v: String, what: &str| v.parse::<u64>().map_err(|e| format!("{what}: {e}"));
        match a.as_str() {
            "--seed" => seed = Some(num(value()?, "--seed")?),
            "--count" => count = Some(num(value()?, "--count")? as usize),
            "--out" if !run => out = Some(value()?),
            "--first" if !run => first = num(value()?, "--first")? as usize,
            "--chunk" if run => chunk = num(value()?, "--chunk")?.max(1) as usize,
            "--rev" if run => rev = Some(value()?),
            "--threads" if run => threads = num(value()?, "--threads")?.max(1) as usize,
            "--enable" => opts.set(&value()?, true)?,
            "--disable" => opts.set(&value()?, false)?,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if !run && out.is_none() {
        return Err("--out is required".into());
    }
    Ok(Args {
        run,
        seed: seed.ok_or("--seed is required")?,
        count: count.ok_or("--count is required")?,
        out,
        first,
        chunk,
        rev,
        threads,
        opts,
    })
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("vjp-fuzzgen: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.run {
        let run = run::RunArgs {
            seed: args.seed,
            count: args.count,
            chunk: args.chunk,
            rev: args.rev,
            opts: args.opts,
            threads: args.threads,
        };
        return match run::run(&run) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("vjp-fuzzgen run: {e}");
                ExitCode::from(2)
            }
        };
    }
    let out = args.out.unwrap_or_default();
    let command = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    let command = format!("cargo run -p vjp-fuzzgen -- {command}");
    let text = generate(args.seed, args.count, args.first, &args.opts, &command);
    if out == "-" {
        print!("{text}");
        return ExitCode::SUCCESS;
    }
    if let Err(e) = std::fs::write(&out, text) {
        eprintln!("vjp-fuzzgen: cannot write {out}: {e}");
        return ExitCode::FAILURE;
    }
    // Formatted, so that the file passes `cargo fmt --check` when it is committed.
    let rustfmt = std::process::Command::new("rustfmt")
        .args(["--edition", "2021", &out])
        .status();
    if !rustfmt.is_ok_and(|s| s.success()) {
        eprintln!("vjp-fuzzgen: warning: rustfmt failed on {out}; the file is not formatted");
    }
    ExitCode::SUCCESS
}
