//! The test file: the harness, then for each generated function its `#[differentiable]`
//! definition, its traced twin `NAME_t`, and a `#[test]` that calls `NAME`, `NAME_vjp`,
//! `NAME_grad` and `NAME_jvp` on flattened inputs.

use crate::gen::{value_text, Func, PKind, Ret};
use crate::rng::Rng;

pub const HARNESS: &str = include_str!("../templates/harness.rs");

fn num(c: f64) -> String {
    let s = format!("{c:?}");
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.0")
    }
}

fn param_ty(kind: PKind) -> String {
    match kind {
        PKind::F | PKind::NoGradF(_) => "f64".into(),
        PKind::Arr(n) => format!("[f64; {n}]"),
        PKind::Tup2 => "(f64, f64)".into(),
        PKind::Slice | PKind::NoGradSlice => "&[f64]".into(),
        PKind::VecRef => "&Vec<f64>".into(),
        PKind::RefArr(n) => format!("&[f64; {n}]"),
        PKind::Int | PKind::NoGradInt => "usize".into(),
        PKind::NoGradIdx => "&[usize]".into(),
        PKind::NoGradIdxArr(n) => format!("[usize; {n}]"),
        PKind::NoGradOpt => "Option<usize>".into(),
        PKind::Rows(n) | PKind::NoGradRows(n) => format!("&[[f64; {n}]]"),
        PKind::VecRows(n) => format!("&Vec<[f64; {n}]>"),
        PKind::RefRows(n, m) => format!("&[[f64; {n}]; {m}]"),
    }
}

/// The marker line before each function's group (definition, twin, test), which `run`
/// reads back: `// ---- f12 (calls f3, f7)`.
pub fn marker(f: &Func) -> String {
    let mut callees: Vec<String> = Vec::new();
    for s in &f.body {
        s.calls(&mut callees);
    }
    f.tail.calls(&mut callees);
    callees.sort_by_key(|c| c[1..].parse::<usize>().unwrap_or(0));
    callees.dedup();
    if callees.is_empty() {
        format!("\n// ---- {}\n", f.name)
    } else {
        format!("\n// ---- {} (calls {})\n", f.name, callees.join(", "))
    }
}

/// The function, plain (`traced == false`, with `#[differentiable]`) or as its traced twin.
pub fn function(f: &Func, traced: bool) -> String {
    let mut params = Vec::new();
    for p in &f.params {
        let no_grad = matches!(
            p.kind,
            PKind::NoGradF(_)
                | PKind::NoGradSlice
                | PKind::NoGradInt
                | PKind::NoGradIdx
                | PKind::NoGradIdxArr(_)
                | PKind::NoGradOpt
                | PKind::NoGradRows(_)
        );
        let attr = if !traced && no_grad {
            "#[no_grad] "
        } else {
            ""
        };
        let m = if p.mutable { "mut " } else { "" };
        params.push(format!("{attr}{m}{}: {}", p.name, param_ty(p.kind)));
    }
    let mut out = String::new();
    if !traced {
        out += "#[differentiable]\n";
    }
    let name = if traced {
        format!("{}_t", f.name)
    } else {
        f.name.clone()
    };
    out += &format!("fn {name}({}) -> {} {{\n", params.join(", "), f.ret.ty());
    for s in &f.body {
        s.render_into(traced, 1, &mut out);
    }
    out += &format!("    {}\n}}\n", f.tail.render(traced));
    out
}

/// Per-test choices: slice lengths, integer arguments, `#[no_grad]` data.
struct Layout {
    /// For each parameter: its offset in the flattened active input and its length.
    offsets: Vec<(usize, usize)>,
    n_in: usize,
    ints: Vec<usize>,
    data: Vec<Vec<f64>>,
    /// The values of the `binding-patterns` parameters, as written: `&[2, 0]`, `Some(3)`.
    values: Vec<String>,
}

fn layout(f: &Func, rng: &mut Rng) -> Layout {
    let mut offsets = Vec::new();
    let mut ints = Vec::new();
    let mut data = Vec::new();
    let mut values = Vec::new();
    let mut at = 0;
    for p in &f.params {
        let len = match p.kind {
            PKind::F => 1,
            PKind::Arr(n) | PKind::RefArr(n) => n,
            PKind::Tup2 => 2,
            PKind::Slice | PKind::VecRef => rng.range(2, 5),
            PKind::NoGradF(_) => 0,
            PKind::NoGradSlice => {
                let len = rng.range(2, 5);
                data.push(
                    (0..len)
                        .map(|_| (rng.below(401) as f64 - 200.0) / 100.0)
                        .collect(),
                );
                0
            }
            PKind::Int | PKind::NoGradInt => {
                ints.push(rng.range(0, 4));
                0
            }
            PKind::NoGradIdx | PKind::NoGradIdxArr(_) | PKind::NoGradOpt => {
                values.push(value_text(rng, p.kind));
                0
            }
            // `nested-rows`: 2 to 4 points of `n` coordinates, flattened.
            PKind::Rows(n) | PKind::VecRows(n) => n * rng.range(2, 4),
            PKind::RefRows(n, m) => n * m,
            PKind::NoGradRows(n) => {
                let rows: Vec<String> = (0..rng.range(2, 4))
                    .map(|_| {
                        let row: Vec<String> = (0..n)
                            .map(|_| num((rng.below(401) as f64 - 200.0) / 100.0))
                            .collect();
                        format!("[{}]", row.join(", "))
                    })
                    .collect();
                values.push(format!("&[{}]", rows.join(", ")));
                0
            }
        };
        offsets.push((at, len));
        at += len;
    }
    Layout {
        offsets,
        n_in: at,
        ints,
        data,
        values,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Call {
    Primal,
    Vjp,
    Jvp,
}

fn args(f: &Func, l: &Layout, call: Call) -> (String, Vec<String>) {
    let mut args = Vec::new();
    let mut shadows = Vec::new();
    let (mut ints, mut data, mut values) = (l.ints.iter(), l.data.iter(), l.values.iter());
    for (k, p) in f.params.iter().enumerate() {
        let (o, len) = l.offsets[k];
        let end = o + len;
        match p.kind {
            PKind::F => {
                args.push(format!("x[{o}]"));
                if call == Call::Jvp {
                    args.push(format!("u[{o}]"));
                }
            }
            PKind::NoGradF(c) => args.push(num(c)),
            PKind::Arr(n) => {
                args.push(format!("fz::ar::<{n}>(&x[{o}..])"));
                if call == Call::Jvp {
                    args.push(format!("fz::ar::<{n}>(&u[{o}..])"));
                }
            }
            PKind::Tup2 => {
                args.push(format!("(x[{o}], x[{}])", o + 1));
                if call == Call::Jvp {
                    args.push(format!("(u[{o}], u[{}])", o + 1));
                }
            }
            PKind::Slice | PKind::VecRef => {
                let to_vec = if p.kind == PKind::VecRef {
                    ".to_vec()"
                } else {
                    ""
                };
                args.push(format!("&x[{o}..{end}]{to_vec}"));
                match call {
                    Call::Vjp => {
                        shadows.push(format!("let mut sh{k} = vec![0.0; {len}];"));
                        args.push(format!("&mut sh{k}"));
                    }
                    Call::Jvp => args.push(format!("&u[{o}..{end}]{to_vec}")),
                    Call::Primal => {}
                }
            }
            PKind::RefArr(n) => {
                args.push(format!("&fz::ar::<{n}>(&x[{o}..])"));
                match call {
                    Call::Vjp => {
                        shadows.push(format!("let mut sh{k} = [0.0; {n}];"));
                        args.push(format!("&mut sh{k}"));
                    }
                    Call::Jvp => args.push(format!("&fz::ar::<{n}>(&u[{o}..])")),
                    Call::Primal => {}
                }
            }
            PKind::NoGradSlice => {
                let d: Vec<String> = data.next().unwrap().iter().map(|c| num(*c)).collect();
                args.push(format!("&[{}]", d.join(", ")));
            }
            PKind::Int | PKind::NoGradInt => args.push(ints.next().unwrap().to_string()),
            PKind::NoGradIdx | PKind::NoGradIdxArr(_) | PKind::NoGradOpt | PKind::NoGradRows(_) => {
                args.push(values.next().unwrap().clone())
            }
            PKind::Rows(n) | PKind::VecRows(n) => {
                // The points, from the flattened input (`Vec<[f64; n]>`, lent as a slice
                // or as the `Vec`).
                let rows = |v: &str| {
                    format!(
                        "&{v}[{o}..{end}].chunks_exact({n}).map(fz::ar::<{n}>).collect::<Vec<[f64; {n}]>>()"
                    )
                };
                args.push(rows("x"));
                match call {
                    Call::Vjp => {
                        shadows.push(format!("let mut sh{k} = vec![[0.0; {n}]; {}];", len / n));
                        args.push(format!("&mut sh{k}"));
                    }
                    Call::Jvp => args.push(rows("u")),
                    Call::Primal => {}
                }
            }
            PKind::RefRows(n, m) => {
                let rows = |v: &str| {
                    format!(
                        "&std::array::from_fn::<[f64; {n}], {m}, _>(|r| fz::ar::<{n}>(&{v}[{o} + {n} * r..]))"
                    )
                };
                args.push(rows("x"));
                match call {
                    Call::Vjp => {
                        shadows.push(format!("let mut sh{k} = [[0.0; {n}]; {m}];"));
                        args.push(format!("&mut sh{k}"));
                    }
                    Call::Jvp => args.push(rows("u")),
                    Call::Primal => {}
                }
            }
        }
    }
    (args.join(", "), shadows)
}

/// Statements that scatter `g` (the GRADS tuple) and the shadows into `out`.
fn gather(f: &Func, l: &Layout) -> String {
    let mut s = format!("let mut out = vec![0.0; {}];\n", l.n_in);
    let mut entry = 0;
    for (k, p) in f.params.iter().enumerate() {
        let (o, len) = l.offsets[k];
        match p.kind {
            PKind::F | PKind::Arr(_) | PKind::Tup2 => {
                s += &format!("fz::put(&mut out, {o}, &g.{entry});\n");
                entry += 1;
            }
            PKind::Slice | PKind::VecRef | PKind::RefArr(_) => {
                s += &format!("out[{o}..{}].copy_from_slice(&sh{k});\n", o + len);
            }
            PKind::Rows(_) | PKind::VecRows(_) | PKind::RefRows(..) => {
                s += &format!(
                    "out[{o}..{}].copy_from_slice(sh{k}.as_flattened());\n",
                    o + len
                );
            }
            _ => {}
        }
    }
    s
}

/// The test of `f`; `count_calls`: also check that `NAME_jvp` (and, `Some(true)`, `NAME_vjp`)
/// call the plain helpers of `plain-calls` as often as `NAME` does, at a fixed input.
pub fn test(f: &Func, seed: u64, count_calls: Option<bool>) -> String {
    let mut rng = Rng::new(seed);
    let l = layout(f, &mut rng);
    let (primal, _) = args(f, &l, Call::Primal);
    let (vjp_args, shadows) = args(f, &l, Call::Vjp);
    let (jvp_args, _) = args(f, &l, Call::Jvp);
    let v = match f.ret {
        Ret::F => "v[0]",
        Ret::Tup2 => "(v[0], v[1])",
        Ret::Arr2 => "[v[0], v[1]]",
    };
    let name = &f.name;
    let shadows = shadows.join("\n");
    let gather = gather(f, &l);
    let mut t = format!(
        "#[test]\nfn {name}_check() {{\n\
         let f = |x: &[f64]| fz::fl(&{name}({primal}));\n\
         let ft = |x: &[f64]| fz::fl(&{name}_t({primal}));\n\
         let vjp = |x: &[f64], v: &[f64]| {{\n{shadows}\n\
         let (y, g) = {name}_vjp({vjp_args}, {v});\n{gather}(fz::fl(&y), out)\n}};\n\
         let jvp = |x: &[f64], u: &[f64]| {{\n\
         let (y, d) = {name}_jvp({jvp_args});\n(fz::fl(&y), fz::fl(&d))\n}};\n"
    );
    let grad = if f.ret == Ret::F {
        t += &format!(
            "let grad = |x: &[f64]| {{\n{shadows}\nlet g = {name}_grad({vjp_args});\n{gather}out\n}};\n"
        );
        "Some(&grad)"
    } else {
        "None"
    };
    t += &format!(
        "fz::check(&fz::Case {{\nname: \"{name}\",\nseed: {seed},\nn_in: {},\n\
         f: &f,\nft: &ft,\nvjp: &vjp,\njvp: &jvp,\ngrad: {grad},\n}});\n",
        l.n_in
    );
    if let Some(vjp_too) = count_calls {
        let n_in = l.n_in;
        t += &format!(
            "let x0: Vec<f64> = (0..{n_in}).map(|i| (i * 5 % 9) as f64 / 4.0 - 1.0).collect();\n\
             let primal = plain::calls(|| f(&x0));\n\
             let u0 = vec![0.5; {n_in}];\n\
             let jvp_calls = plain::calls(|| jvp(&x0, &u0));\n\
             assert_eq!(jvp_calls, primal, \"FUZZGEN-CALLS {name}: {name}_jvp calls the plain helpers {{jvp_calls}} times, {name} {{primal}}\");\n"
        );
        if vjp_too {
            t += &format!(
                "let v0 = vec![0.5; f(&x0).len()];\n\
                 let vjp_calls = plain::calls(|| vjp(&x0, &v0));\n\
                 assert_eq!(vjp_calls, primal, \"FUZZGEN-CALLS {name}: {name}_vjp calls the plain helpers {{vjp_calls}} times, {name} {{primal}}\");\n"
            );
        }
    }
    t += "}\n";
    t
}

pub fn header(seed: u64, count: usize, command: &str, opts: &str) -> String {
    // The switches, wrapped.
    let mut lines = vec![String::from(
        "//! Construct switches (tools/vjp-fuzzgen/README.md)",
    )];
    for word in format!("{opts}.").split(' ') {
        let last = lines.last_mut().unwrap();
        if last.len() + word.len() + 1 > 96 {
            lines.push(format!("//! {word}"));
        } else {
            last.push(' ');
            last.push_str(word);
        }
    }
    let opts = lines.join("\n") + "\n";
    format!(
        "//! Generated by `vjp-fuzzgen` (tools/vjp-fuzzgen): {count} random `#[differentiable]`\n\
         //! functions, each checked against central finite differences (`NAME_vjp`, `NAME_grad`)\n\
         //! and by the dot-product test <v, J u> = <J^T v, u> (`NAME_jvp` against `NAME_vjp`) at\n\
         //! a random input away from branch boundaries. Seed {seed}. Do not edit; regenerate with\n\
         //!\n\
         //! ```text\n\
         //! {command}\n\
         //! ```\n\
         //!\n\
         {opts}\
         #![allow(\n\
             unused_variables,\n\
             unused_mut,\n\
             unused_assignments,\n\
             unused_parens,\n\
             unused_labels,\n\
             unreachable_code,\n\
             clippy::all\n\
         )]\n\n\
         use vjp::differentiable;\n\n"
    )
}
