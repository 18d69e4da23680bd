//! What does `#[differentiable]` cost at compile time?
//!
//! `cargo bench --bench expansion` times the macro's expansion (parse, lower, analyse, plan,
//! emit `NAME_vjp`, `NAME_grad` and `NAME_jvp`) of generated functions of 50 to 1200
//! statements, straight-line and with loops, and prints the median time per expansion. The
//! target is under 20 ms for 300 statements. (The extra `cargo build` time of a crate of 50
//! differentiable functions is measured by `tools/build-cost.sh`.)

use proc_macro2::TokenStream;
use std::hint::black_box;
use std::time::{Duration, Instant};

// The macro's stages, compiled here as ordinary modules: a proc-macro crate exports only its
// macros, so the benchmark (like the fuzzer) includes the same source files.
#[path = "../vjp-macro/src/activity.rs"]
mod activity;
#[path = "../vjp-macro/src/arena.rs"]
mod arena;
#[path = "../vjp-macro/src/bounds.rs"]
mod bounds;
#[path = "../vjp-macro/src/ctxt.rs"]
mod ctxt;
#[path = "../vjp-macro/src/emit.rs"]
mod emit;
#[path = "../vjp-macro/src/expand.rs"]
mod expand;
#[path = "../vjp-macro/src/forward.rs"]
mod forward;
#[path = "../vjp-macro/src/fuse.rs"]
mod fuse;
#[path = "../vjp-macro/src/hoist.rs"]
mod hoist;
#[path = "../vjp-macro/src/ints.rs"]
mod ints;
#[path = "../vjp-macro/src/ir.rs"]
mod ir;
#[path = "../vjp-macro/src/lower/mod.rs"]
mod lower;
#[path = "../vjp-macro/src/naming.rs"]
mod naming;
#[path = "../vjp-macro/src/parse.rs"]
mod parse;
#[path = "../vjp-macro/src/plan.rs"]
mod plan;
#[path = "../vjp-macro/src/prims.rs"]
mod prims;
#[path = "../vjp-macro/src/reverse.rs"]
mod reverse;
#[path = "../vjp-macro/src/tangent.rs"]
mod tangent;
#[path = "../vjp-macro/src/undo.rs"]
mod undo;
#[path = "../vjp-macro/src/views.rs"]
mod views;

/// A straight-line function of `n` statements over 4 inputs.
fn straight_line(n: usize) -> String {
    let mut body = String::from("let mut a0 = x0 * x1 + x2;\n");
    for i in 1..n {
        let op = match i % 4 {
            0 => format!("let a{i} = (a{} * 1.01 + x{}).sin();", i - 1, i % 4),
            1 => format!("let a{i} = a{} * x{} - a{};", i - 1, i % 4, i / 2),
            2 => format!("let a{i} = (a{} * 0.5).exp() + a{};", i - 1, i / 3),
            _ => format!("let a{i} = a{} / (1.0 + a{} * a{});", i - 1, i - 1, i - 1),
        };
        body.push_str(&op);
        body.push('\n');
    }
    body.push_str("a0 += 1.0;\n");
    format!(
        "fn f(x0: f64, x1: f64, x2: f64, x3: f64) -> f64 {{\n{body}a{} + a0\n}}",
        n - 1
    )
}

/// A function of `n` statements spread over loops and branches.
fn with_loops(n: usize) -> String {
    let mut body = String::from("let mut s = 0.0;\nlet mut y = x[0];\n");
    for i in 0..n / 6 {
        body.push_str(&format!(
            "for i in 0..x.len() {{\n    let t = x[i] * y + {i}.0;\n    if t > 0.0 {{\n        y = t.tanh();\n    }} else {{\n        y -= t * 0.5;\n    }}\n    s += y * x[i];\n}}\n"
        ));
    }
    format!("fn g(x: &[f64]) -> f64 {{\n{body}s + y\n}}")
}

fn time(tokens: &TokenStream) -> Duration {
    let mut runs = Vec::new();
    for _ in 0..15 {
        let start = Instant::now();
        let out = expand::expand(TokenStream::new(), black_box(tokens.clone()));
        black_box(out);
        runs.push(start.elapsed());
    }
    runs.sort();
    runs[runs.len() / 2]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes: &[usize] = if quick {
        &[50, 300]
    } else {
        &[50, 150, 300, 600, 1200]
    };
    println!("expansion of #[differentiable] (median of 15), vjp + grad + jvp generated");
    println!(
        "  {:<14} {:>10} {:>14} {:>14}",
        "kind", "statements", "time", "per statement"
    );
    for &n in sizes {
        for (kind, source) in [
            ("straight line", straight_line(n)),
            ("loops, if", with_loops(n)),
        ] {
            let tokens: TokenStream = source.parse().expect("generated source parses");
            let out = expand::expand(TokenStream::new(), tokens.clone()).to_string();
            assert!(
                !out.contains("compile_error"),
                "{kind} {n}: the expansion reported an error"
            );
            let t = time(&tokens);
            println!(
                "  {:<14} {:>10} {:>11.2} ms {:>11.1} µs",
                kind,
                n,
                t.as_secs_f64() * 1e3,
                t.as_secs_f64() * 1e6 / n as f64
            );
        }
    }
}
