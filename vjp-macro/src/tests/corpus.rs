//! The no-panic corpus: `expand` must turn every syntactically valid item into tokens that
//! parse as a file — generated code, or the original item with `compile_error!` and stubs —
//! and must never panic or hang, whatever the item contains.
//!
//! The corpus is built from snippets: expressions spliced into a few function templates,
//! statements spliced into a few more, whole items (signatures, generics, attributes, names
//! that collide with generated ones, non-fn items) and attribute arguments. A snippet that
//! does not parse where it is spliced is a bug of the corpus and fails the test too, so the
//! corpus stays what it claims to be.
//!
//! Every case runs on its own thread with a timeout, so a panic or an endless loop is reported
//! with the input that caused it, and all failures are listed at once.

use crate::expand::expand;
use proc_macro2::{TokenStream, TokenTree};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Expressions over `x, y: f64`, `n: i32`, `a: [f64; 3]`, `p: (f64, f64)`. Each must be valid
/// in every slot of [`EXPR_TEMPLATES`]: a tail, a `let` initialiser, a statement, a tuple
/// element and the right side of an assignment.
const EXPRS: &[&str] = &[
    // literals and paths
    "x",
    "1.0",
    "2",
    "-1.5e3",
    "0x1f",
    "b'a'",
    "\"str\"",
    "'c'",
    "true",
    "1e-300f64",
    "3f32",
    "1_000.0_f64",
    "std::f64::consts::PI",
    "f64::EPSILON * x",
    "Self::CONST",
    "<f64 as Default>::default()",
    "core::f64::consts::E * x",
    "_",
    // operators
    "x + y",
    "x - y * 2.0",
    "-x",
    "- -x",
    "!n",
    "-(-(-x))",
    "x / y / x",
    "((((x))))",
    "x * x * x * x * x * x",
    "x % y",
    "n % 3",
    "n << 2",
    "n & 1 | 2 ^ 3",
    "x == y",
    "x < y && y < 1.0",
    "x > y || false",
    "!(x > y)",
    "n as f64 * x",
    "x as i32 as f64",
    "x as f32 as f64",
    "x as u8",
    "x as _",
    "x as core::primitive::f64",
    "x as (f64)",
    "(x, y).0 + (x, y).1",
    "p.0 * p.1",
    "p.1",
    "p.5",
    "p.99",
    "a[0] + a[n as usize]",
    "a[1..].len() as f64",
    "a[..][0]",
    "a[x as usize]",
    "a[10]",
    "[x, y][1]",
    "[x; 3][2]",
    "[[x, y], [y, x]][1][0]",
    "((x, y), (y, x)).1 .0",
    // methods and calls
    "x.sin().cos().tan()",
    "x.powi(n)",
    "x.powi(2)",
    "x.powi(n, n)",
    "x.powi()",
    "x.powf(y)",
    "x.atan2(y)",
    "x.mul_add(y, x)",
    "x.clamp(0.0, 1.0)",
    "x.max(y).min(1.0)",
    "x.sin(y)",
    "x.mul_add(y)",
    "x.sin::<f64>()",
    "f64::sin(x)",
    "f64::powi(x, 2)",
    "f64::powi(x)",
    "f64::max(x, y)",
    "f64::rem_euclid(x, y)",
    "f64::sin",
    "<f64>::sin(x)",
    "<f64 as vjp::Real>::sin(x)",
    "vjp::Real::sin(x)",
    "Real::sin(x)",
    "f64::from(n)",
    "f64::from(x)",
    "x.clone()",
    "x.clone().clone()",
    "x.clone(y)",
    "x.to_bits() as f64",
    "x.is_nan() as i32 as f64",
    "x.total_cmp(&y) as i32 as f64",
    "x.rem_euclid(2.0)",
    "x.abs().sqrt().ln_1p().exp_m1()",
    "x.into()",
    "Into::<f64>::into(x)",
    "helper(x)",
    "helper(x, 2.0)",
    "helper(x, n)",
    "helper(x, K)",
    "helper(x, K, n as f64, 1u8, \"s\", (x, 1.0), [x, y], a, p)",
    "helper(K)",
    "helper()",
    "m::helper(x)",
    "self::helper(x)",
    "crate::helper(x)",
    "super::helper(x)",
    "helper::<f64>(x)",
    "helper(helper(x))",
    "helper(x)(y)",
    "(helper)(x)",
    "(|v: f64| v)(x)",
    "Some(x).unwrap()",
    "Some(x).map(|v| v * 2.0).unwrap_or(0.0)",
    "vec![x][0]",
    "format!(\"{x}\").len() as f64",
    "stringify!(x).len() as f64",
    "matches!(n, 1 | 2) as i32 as f64",
    "std::hint::black_box(x)",
    "core::mem::replace(&mut 1.0, x)",
    "std::mem::swap(&mut x, &mut y)",
    "a.iter().sum::<f64>()",
    "a.map(|v| v * x)[0]",
    "x.sin_cos().0",
    "n.pow(2) as f64",
    "i32::MAX as f64",
    // blocks and control flow
    "{ x }",
    "{ { { x } } }",
    "{ let x = x; x }",
    "{ let y = x; let x = y; x * y }",
    "{}",
    "{ x; }",
    "unsafe { x }",
    "'blk: { x }",
    "'blk: { break 'blk x; }",
    "if x > 0.0 { x } else { y }",
    "if n > 0 { x } else { y }",
    "if n > 0 { 1.0 } else { 2.0 }",
    "if n > 0 { 1.0 } else if n < 0 { -1.0 } else { 0.0 }",
    "if let Some(v) = Some(x) { v } else { y }",
    "if let (1, v) = (n, x) { v } else { x }",
    "if let Some(v) = Some(x) && v > 0.0 { v } else { y }",
    "match n { 0 => x, 1 | 2 => y, _ if n > 5 => x * y, _ => 0.0 }",
    "match x { v @ 0.0..=1.0 => v, _ => x }",
    "match (x, n) { (v, 0) => v, (_, _) => y }",
    "match n { _ => 1.0 }",
    "match n {}",
    "loop { break x; }",
    "loop { break; }",
    "'outer: loop { loop { break 'outer x; } }",
    "while n > 0 {}",
    "while x > 0.0 {}",
    "while let Some(v) = None::<f64> { let _ = v; }",
    "for i in 0..n { let _ = i; }",
    "for v in a { let _ = v * x; }",
    "for v in a.iter() {}",
    "return x",
    "return",
    "break",
    "continue",
    "break 'a x",
    "x?",
    "helper(x)?",
    "async { x }",
    "async move { x }",
    "x.await",
    "|| x",
    "move |v: f64| v * x",
    "|v| v",
    "async || x",
    "yield x",
    "try { x }",
    "const { 1.0 }",
    // references and places
    "&x",
    "&mut x",
    "&&x",
    "*&x",
    "**&&x",
    "&raw const x",
    "&raw mut x",
    "x = y",
    "x += y",
    "x -= 1.0",
    "x *= x",
    "x /= 2.0",
    "x %= 2.0",
    "n %= 2",
    "n <<= 1",
    "n |= 3",
    "a[0] = x",
    "a[n as usize] += x",
    "a[0][1] = x",
    "p.0 = y",
    "p.1 *= x",
    "p.7 = x",
    "(x) = y",
    "(x, y) = (y, x)",
    "[x, y] = [y, x]",
    "_ = x",
    "helper(x) = y",
    "*helper(x) = y",
    "K = x",
    "pt.x = y",
    "pt.x += y",
    // aggregates
    "Point { x, y: 1.0 }",
    "Point { x: n, ..Default::default() }",
    "S { 0: x }",
    "Point { x }.x",
    "pt.x",
    "helper(x).field",
    "x..y",
    "..",
    "0..=n",
    "(x,)",
    "()",
    "((),)",
    "[(); 0].len() as f64",
    "[x]",
    "[]",
    "[x, y, n as f64]",
    "(x, (y, (n as f64, a)))",
    "a",
    "p",
    // names that collide with generated ones
    "t0",
    "t0 + x",
    "bar_x * x",
    "updated",
    "rest",
    "v * x",
    "y",
    "dy_dx",
    "x_1 + x",
    "zero_like(&x)",
    "rules::sin(x, y)",
];

/// Function templates; `HOLE` is replaced by an expression of [`EXPRS`].
const EXPR_TEMPLATES: &[&str] = &[
    // tail
    "fn f(x: f64, y: f64, n: i32, a: [f64; 3], p: (f64, f64)) -> f64 { HOLE }",
    // a `let` initialiser
    "fn f(x: f64, y: f64, n: i32, a: [f64; 3], p: (f64, f64)) -> f64 { let z = HOLE; z }",
    // a statement, with mutable locals
    "fn f(x: f64, y: f64, n: i32, a: [f64; 3], p: (f64, f64)) -> f64 {
        let mut x = x; let mut y = y; let mut n = n; let mut a = a; let mut p = p;
        HOLE;
        x * y + a[0] * p.1 + n as f64
    }",
    // nested blocks, shadowing and names of generated variables in scope
    "fn f(x: f64, y: f64, n: i32, a: [f64; 3], p: (f64, f64)) -> f64 {
        let x = x * y;
        let t0 = x;
        let bar_x = { let v = t0; { let y = v * x; { HOLE } } };
        bar_x * t0
    }",
    // generic, with lifetimes, a const parameter and a where clause; a tuple return
    "fn g<'a, T: vjp::Real, const N: usize>(x: T, y: T, n: i32, a: [T; 3], p: (T, T), s: &'a str)
        -> (T, T) where T: Copy + 'a { (HOLE, x) }",
    // an array return updated in place
    "fn h(x: f64, y: f64, n: i32, a: [f64; 3], p: (f64, f64)) -> [f64; 2] {
        let mut r = [x, y];
        r[0] = HOLE;
        r
    }",
];

/// Statements over `x, y: f64`, `n: i32`; each must be valid in every slot of
/// [`STMT_TEMPLATES`].
const STMTS: &[&str] = &[
    "let z = x;",
    "let z: f64 = x;",
    "let z: i32 = n;",
    "let z: (f64, i32) = (x, n);",
    "let z: [f64; 2] = [x, y];",
    "let z: Scalar = x; let w = z.sin();",
    "let z: core::primitive::f64 = x; let w = z.sin();",
    "let _ = x;",
    "let _: f64 = x;",
    "let z;",
    "let z: f64;",
    "let mut z = x; z += 1.0;",
    "let mut z = x; z = z * z; z = z.sin();",
    "let mut z = [x, y]; z[0] = z[1] * x; z[1] += y;",
    "let mut z = (x, (y, n)); z.1 .0 = x; (z.1).0 *= y;",
    "let (a, b) = (x, y);",
    "let (a, (b, c)) = (x, (y, x));",
    "let ((a, b), [c, d]) = ((x, y), [y, x]);",
    "let (a, _) = (x, y);",
    "let [a, b] = [x, y];",
    "let [a, .., b] = [x, y, x];",
    "let (a, ..) = (x, y);",
    "let (.., b) = (x, y);",
    "let [first, rest @ ..] = [x, y];",
    "let ref z = x;",
    "let ref mut z = x;",
    "let mut z @ _ = x;",
    "let z @ 1.0..=2.0 = x;",
    "let Some(z) = Some(x) else { return x };",
    "let Some(z) = Some(x) else { panic!() };",
    "let Point { x: px, .. } = pt;",
    "let S(z) = S(x);",
    "let &z = &x;",
    "let (z | z) = x;",
    "let 1 = n else { panic!() };",
    "let n = 1;",
    "let z = { let z = x; z };",
    "let x = x;",
    "let x = x * 2.0; let x = x * x;",
    "let r#z = x;",
    "let r#type = x;",
    "let r#fn = x * 2.0; let w = r#fn * r#x;",
    "let t0 = x; let t1 = t0 * y;",
    "let bar_x = x; let bar_bar_x = bar_x;",
    "let v = x; let y = v;",
    "let updated = [x, y]; let rest = updated; let mut w = rest; w[0] = updated[1];",
    "let y_1 = x;",
    "let dy_dx = y;",
    "let _t = x; let __t = _t;",
    "#[allow(unused)] let z = x;",
    "#[cfg(any())] let z = x;",
    "fn inner(a: f64) -> f64 { a }",
    "fn x() {}",
    "fn inner(x: f64) -> f64 { x * 2.0 }",
    "struct Inner { x: f64 }",
    "const K: f64 = 1.0;",
    "static S: f64 = 1.0;",
    "use std::f64::consts::PI;",
    "mod m {}",
    "impl Inner {}",
    "macro_rules! m { ($e:expr) => { $e }; }",
    "trait Tr {}",
    "enum E { A }",
    "type Alias = f64;",
    "extern \"C\" {}",
    "println!(\"{}\", x);",
    "println!(\"{x}\");",
    "println!(\"{}\", { x = y; x });",
    "assert!(x > 0.0);",
    "assert_eq!(x, y, \"{}\", n);",
    "dbg!(x);",
    "todo!();",
    "unimplemented!(\"{}\", x);",
    "panic!(\"{}\", x);",
    "m!(x);",
    "m! { x }",
    "m![x];",
    "std::println!(\"{}\", x);",
    ";",
    ";;",
    "{}",
    "{ x; }",
    "{ let x = 1.0; }",
    "x;",
    "n;",
    "x = y;",
    "x += y;",
    "n += 1;",
    "loop {}",
    "if n > 0 {}",
    "if x > 0.0 {}",
    "if n > 0 { x = y; }",
    "unsafe {}",
    "return x;",
    "return;",
    "drop(x);",
    "let _ = helper(x);",
    "helper(x);",
    "x.sin();",
    "let z = x; z;",
    // local closures
    "let g = |a: f64, b| a * b + x; let z = g(x, y) + g(y, x);",
    "let g = |a| a * x; let h = |b: f64| g(b) + g(y); let z = h(x);",
    "let g = |(a, b): (f64, f64)| a * b; let z = g((x, y));",
    "let g = |&a: &f64| a * x; let z = g(&y);",
    "let g = |_| x; let z = g(1);",
    "let g = || x * y; let z = g();",
    "let g = |a: f64| -> f64 { a * x }; let z = g(y);",
    "let g = |a: f64| { if a > 0.0 { return a; } a * x }; let z = g(y);",
    "let mut t = x; let mut g = |a: f64| { t += a; t }; let z = g(y);",
    "let g = |a: f64| a * x; let x = 2.0; let z = g(y);",
    "let g = |a: f64| a * x; let z = g(y, y);",
    "let g = |a: f64| a * x; let z = Some(g);",
    "let g = |a: f64| a * x; println!(\"{}\", g(y));",
    "let g = move |a: f64| a * x; let z = g(g(y));",
    // reductions, rows, windows
    "let v = [x, y, x]; let z: f64 = v.iter().map(|w| w * x).sum();",
    "let v = [x, y, x]; let z = v.iter().zip(v.iter().rev()).map(|(a, b)| a * b).product::<f64>();",
    "let v = [x, y, x]; let z = v.iter().fold((0.0, 1.0), |(s, p), &w| (s + w, p * w)).0;",
    "let v = [x, y, x]; let z = v.iter().copied().fold(f64::MIN, f64::max);",
    "let v = [x, y, x]; let z: Vec<f64> = v.iter().map(|w| w * 2.0).collect();",
    "let v = [x, y, x]; let z: Vec<_> = v.iter().map(|w| w * 2.0).collect();",
    "let v = [x, y, x]; let z = v.iter().map(|w| w * 2.0).sum();",
    "let v = [x, y, x]; let z = v.iter().map(|x| x * 2.0).map(|w| w * x).sum::<f64>();",
    "let v = [x, y, x]; let z = v.iter().map(|w| { if *w > 0.0 { return *w; } *w }).sum::<f64>();",
    "let v = [x, y, x]; let z = v.iter().map(make()).sum::<f64>();",
    "let v = [x, y, x]; let z = v.iter().map(|w| w * 2.0).filter(|k| *k > 0.0).count();",
    "let v = [x, y, x]; let mut z = 0.0; for w in v.windows(2) { z += w[1] - w[0]; }",
    "let v = [x, y, x]; let mut z = 0.0; for (i, w) in v.windows(n as usize).enumerate() { z += w[0] * i as f64 + w.len() as f64; }",
    "let v = [x, y, x]; let mut z = 0.0; for w in v.windows(0) { z += w[0]; }",
    "let v = [x, y, x]; let mut z = 0.0; for w in v.chunks_exact(2) { z += w.iter().sum::<f64>(); let q = w; }",
    "let v = [x, y, x]; let mut z = 0.0; for w in v.chunks_exact(2) { let w = w[0]; z += w; }",
    "let v = [x, y, x]; let mut z = 0.0; for w in v.windows(2) { z += w[0..1][0]; }",
    "let v = [x, y, x]; let mut z = 0.0; for w in v[1..].iter().step_by(2).skip(1).take(3).rev() { z += w; }",
    "let v = [x, y, x]; let mut z = 0.0; for (i, (a, b)) in v.iter().zip(&v[..2]).enumerate() { z += a * b * i as f64; }",
    "let v = [x, y, x]; let mut z = 0.0; for a in v.iter().map(|w| w * x).map(|u| u.sin()) { z += a; }",
    "let v = [x, y, x]; let mut z = 0.0; for a in v.iter().map(|x| x * 2.0) { z += a * x; }",
    "let v = [x, y, x]; let mut z = 0.0; for a in v.iter().step_by(n as usize + 1).skip(n as usize - 1) { z += a; }",
    "let v = [x, y, x]; let mut z = 0.0; for a in v[..=n as usize].iter() { z += a; }",
    // A `map` of two arguments in a `for` (found by cargo-fuzz: the macro indexed an empty
    // list of stages).
    "let v = [x, y, x]; let mut z = 0.0; for a in v.iter().map(|w| w * x, 1) { z += a; }",
    "let mut z = 0.0; for a in [x, y].iter().map(|w| w * x) { z += a; }",
    // patterns a `let` cannot bind, where inlining would write one
    "let g = |..| x; let z = g(1);",
    "let v = [x, y]; let z = v.iter().map(|..| x).sum::<f64>();",
    "let v = [x, y]; let mut z = 0.0; for [..] in v.iter().map(|w| [w * 2.0]) { z += x; }",
    "let v = [x, y]; let z = v.iter().fold(0.0, |.., w| w * x);",
    "let v = [x, y]; let z = v.iter().fold(0.0, |a, 1..=2| a * x);",
    "let g = |Some(a): Option<f64>| a * x; let z = g(Some(y));",
];

/// Function templates; `HOLE` is replaced by statements of [`STMTS`].
const STMT_TEMPLATES: &[&str] = &[
    "fn f(x: f64, y: f64, n: i32) -> f64 { HOLE x }",
    "fn f(mut x: f64, y: f64, mut n: i32) -> f64 { HOLE x * y + n as f64 }",
    "fn f<T: vjp::Real>(x: T, y: T, n: i32) -> (T, T) { { HOLE } (x, y) }",
    // Inside a loop (a bare `return` there made the macro panic: found by cargo-fuzz).
    "fn f(x: f64, y: f64, n: i32) -> f64 { let mut s = x; for i in 0..3 { HOLE s = s * y; } s }",
];

/// Whole items: signatures, generics, qualifiers, attributes, colliding names, odd bodies and
/// items that are not functions.
const ITEMS: &[&str] = &[
    // methods
    "fn f(&self, x: f64) -> f64 { self.g(x) * x + self.0 }",
    "fn f(&mut self, x: f64) -> f64 { x }",
    "fn f(mut self, x: f64) -> f64 { x }",
    "fn f(self: Box<Self>, x: f64) -> f64 { x * self.k }",
    "fn f<'a>(&'a self, x: &[f64]) -> f64 { let y: f64 = self.w[0]; x[0] * y }",
    "fn f(&self, x: f64) -> T { x }",
    // a sum's type that is not a path (found by cargo-fuzz: it panicked the lowering)
    "fn weighted(x: &[f64], #[no_grad] w: &[f64], n: usize) -> f64 {
        (0..n).map(|i| w[i] * x[i].exp()).sum::<f63+>() + x.iter().map(|v| v * 5.5).sum::<f25>()
    }",
    "fn f(x: &[f64]) -> f64 { let s: (f64) = x.iter().copied().sum(); s }",
    "fn f(x: &[f64]) -> f64 { x.iter().copied().sum::<dyn Fn()>() }",
    "fn f(x: &[f64]) -> f64 { x.iter().copied().product::<<f64 as Trait>::Out>() }",
    // return types and empty bodies
    "fn f() -> f64 { 1.0 }",
    "fn f(x: f64) -> f64 {}",
    "fn f(x: f64) -> f64 { x }",
    "fn f(_: f64) -> f64 { 1.0 }",
    "fn f(_: f64, _: f64) -> (f64, f64) { (1.0, 2.0) }",
    "fn f(x: f64) -> ! { loop {} }",
    "fn f(x: f64) -> () {}",
    "fn f(x: f64) {}",
    "fn f(x: f64) -> f64 { return x; }",
    "fn f(x: f64) -> f64 { return x }",
    "fn f(x: f64) -> f64 { return; }",
    "fn f(x: f64) -> f64 { return x * 2.0; x }",
    "fn f(x: f64) -> f64 { x; }",
    "fn f(x: f32) -> f32 { x }",
    "fn f(x: f64) -> [f64; 0] { [] }",
    "fn f(x: f64) -> [f64; 1] { [x] }",
    "fn f(x: f64) -> [[f64; 2]; 2] { [[x, x], [x, x]] }",
    "fn f(x: f64) -> (f64,) { (x,) }",
    "fn f(x: f64) -> (f64, (f64, f64)) { (x, (x, x)) }",
    "fn f(x: f64) -> (f64) { x }",
    "fn f(x: f64) -> impl Copy { x }",
    "fn f(x: f64) -> Self { x }",
    "fn f(x: f64) -> T { x }",
    "fn f(x: f64) -> <f64 as Tr>::Out { x }",
    "fn f(x: f64) -> f64 { unimplemented!() }",
    "fn f(x: f64) -> f64 { loop {} }",
    "fn f(x: f64) -> f64 { #![allow(unused)] x }",
    "fn f(x: f64) -> f64 { { { { x } } } }",
    "fn f(x: f64) -> f64 { ((((x)))) }",
    "fn f(x: f64) -> f64 { let x = x; let x = x; let x = x; x }",
    // parameter types
    "fn f(x: (f64)) -> f64 { x }",
    "fn f(x: [f64; 0]) -> f64 { 0.0 }",
    "fn f(x: [[f64; 2]; 2]) -> f64 { x[0][1] }",
    "fn f(x: &[[f64; 2]]) -> f64 { x[0][1] }",
    "fn f(x: &[[f64; 2]]) -> f64 { x[0] }",
    "fn f(x: &[[f64; 2]]) -> f64 { x[0][1][2] }",
    "fn f(x: &[[[f64; 2]; 0]]) -> f64 { x.len() as f64 }",
    "fn f(x: &Vec<[f64; 2]>, y: &[[f64; 2]; 3]) -> f64 { x[1][0] * y[2][1] }",
    "fn f(x: &[[f64; 2]]) -> f64 { let p = x[0]; let [a, b] = x[1]; p[0] * a + b }",
    "fn f(x: &[[f64; 2]]) -> f64 { let mut s = 0.0; for p in x.iter() { s += p[0]; } s }",
    "fn f(x: &[[f64; 2]]) -> f64 { let mut s = 0.0; for &p in x { s += p[1]; } s }",
    "fn f(x: &[[f64; 2]]) -> f64 { let mut s = 0.0; for w in x.windows(2) { s += w[1][0] - w[0][0]; } s }",
    "fn f(x: &[[f64; 2]]) -> f64 { x.iter().map(|p| p[0] * p[1]).sum::<f64>() }",
    "fn f(x: &[[f64; 2]]) -> f64 { let v = x.to_vec(); v[0][0] }",
    "fn f(x: &[[f64; 2]]) -> f64 { let v = x.iter().map(|p| [p[1], p[0]]).collect::<Vec<[f64; 2]>>(); v[0][0] }",
    "fn f(x: &[[f64; 2]]) -> f64 { g(x) + h(x[0]) }",
    "fn f(x: &[(f64, f64)]) -> f64 { x[0].0 }",
    "fn f(x: &[Vec<f64>]) -> f64 { x[0][0] }",
    "fn f(#[no_grad] x: &[[f64; 2]], y: f64) -> f64 { x[0][1] * y }",
    "fn f(a: f64) -> f64 { let h = [a, a]; g(&h) }",
    "fn f(a: f64) -> f64 { let h = vec![a, a]; g(&h, &h) }",
    "fn f(a: f64) -> f64 { let h: Vec<f64> = vec![a]; g(&&h) }",
    "fn f(a: f64) -> f64 { let h = [a, a]; g(&mut h) }",
    "fn f(a: f64) -> f64 { let h = (a, a); g(&h) }",
    "fn f(a: f64) -> f64 { g(&a) }",
    "fn f(a: f64, x: &[f64]) -> f64 { g(&x) * a }",
    "fn f(a: f64) -> f64 { let h = [a]; let n = g(&h); n }",
    "fn f(a: f64) -> f64 { let mut s = 0.0; for i in 0..3 { let h = [a, i as f64]; s += g(&h); } s }",
    "fn f(a: f64) -> f64 { let h = [1.0, 2.0]; g(&h) * a }",
    "fn f(a: f64) -> f64 { let h = [a, 2.0]; if g(&h) > 0.0 { a } else { -a } }",
    "fn f(a: f64) -> f64 { g(&[a, a * a]) }",
    "fn f(a: f64) -> f64 { g(&[1, 2], a) }",
    "fn f(a: f64) -> f64 { g(&[a; 2]) }",
    "fn f(a: f64) -> f64 { g(&[]) * a }",
    "fn f(a: f64) -> f64 { g(&mut [a]) }",
    "fn f(a: f64) -> f64 { g(&&[a]) }",
    "fn f(x: ((f64, f64), [f64; 2])) -> f64 { (x.0).1 * x.1[0] }",
    "fn f(x: (f64, i32)) -> f64 { x.0 * x.1 as f64 }",
    "fn f(x: ()) -> f64 { 1.0 }",
    "fn f(x: (i32, u8)) -> f64 { 1.0 }",
    "fn f(x: Option<f64>) -> f64 { x.unwrap() }",
    "fn f(x: Vec<f64>) -> f64 { x[0] }",
    "fn f(x: &Vec<f64>) -> f64 { x[0] }",
    "fn f(x: &[f64; 3]) -> f64 { x[0] }",
    "fn f(x: &&f64) -> f64 { **x }",
    "fn f(x: &f64) -> f64 { *x }",
    "fn f(x: &mut f64) -> f64 { *x }",
    "fn f(x: &'static [f32]) -> f32 { x[0] }",
    "fn f(x: *mut f64) -> f64 { 0.0 }",
    "fn f(x: *const [f64]) -> f64 { 0.0 }",
    "fn f(x: Box<f64>) -> f64 { *x }",
    "fn f(x: impl Into<f64>) -> f64 { x.into() }",
    "fn f(x: impl vjp::Real) -> f64 { 1.0 }",
    "fn f(x: &dyn Fn(f64) -> f64, y: f64) -> f64 { x(y) }",
    "fn f(x: fn(f64) -> f64, y: f64) -> f64 { x(y) }",
    "fn f(x: <f64 as Tr>::Out) -> f64 { 1.0 }",
    "fn f(x: f64, s: &str, b: bool, c: char, u: usize) -> f64 { x * u as f64 }",
    // attributes on parameters
    "fn f(#[no_grad] x: *mut f64) -> f64 { 0.0 }",
    "fn f(#[no_grad] x: &[f64], y: f64) -> f64 { y * x[0] }",
    "fn f(#[no_grad] x: &mut [f64], y: f64) -> f64 { x[0] = y; y }",
    "fn f(#[no_grad] #[allow(unused)] x: f64, #[cfg(any())] y: f64) -> f64 { x }",
    "fn f(#[no_grad] x: f64) -> f64 { x }",
    "fn f(#[no_grad] #[no_grad] x: f64, y: f64) -> f64 { x * y }",
    "fn f(#[no_grad = 1] x: f64) -> f64 { x }",
    "fn f(#[no_grad(foo)] x: f64) -> f64 { x }",
    "fn f(#[vjp::no_grad] x: f64) -> f64 { x }",
    "fn f(#[no_grad] (a, b): (f64, f64)) -> f64 { a }",
    "fn f(#[no_grad] _: f64, x: f64) -> f64 { x }",
    // parameter patterns
    "fn f(mut x: f64) -> f64 { x += 1.0; x }",
    "fn f(ref x: f64) -> f64 { *x }",
    "fn f(x @ _: f64) -> f64 { x }",
    "fn f((a, b): (f64, f64)) -> f64 { a * b }",
    "fn f([a, b]: [f64; 2]) -> f64 { a * b }",
    "fn f(S { x }: S) -> f64 { x }",
    "fn f(&x: &f64) -> f64 { x }",
    "fn f((x): f64) -> f64 { x }",
    // raw identifiers and names that collide with generated ones
    "fn f(r#fn: f64) -> f64 { r#fn }",
    "fn f(r#x: f64) -> f64 { x * r#x }",
    "fn f(x: f64) -> f64 { r#x * r#x }",
    "fn f(r#type: f64, r#match: f64) -> f64 { r#type * r#match }",
    "fn r#loop(x: f64) -> f64 { x }",
    "fn r#f(x: f64) -> f64 { x }",
    "fn f(x: f64, t0: f64, t1: f64) -> f64 { x * t0 * t1 }",
    "fn f(bar_x: f64, x: f64) -> f64 { bar_x * x }",
    "fn f(v: f64, y: f64) -> f64 { v * y }",
    "fn f(v: f64) -> f64 { let y = v * v; y }",
    "fn f(updated: [f64; 2], rest: [f64; 2]) -> [f64; 2] { let mut updated = updated; updated[0] = rest[1]; updated }",
    "fn f(f_vjp: f64, f_grad: f64) -> f64 { f_vjp * f_grad }",
    "fn f(arg: f64, _: f64) -> f64 { arg }",
    "fn f(x: f64, x_1: f64) -> f64 { let x = x * x_1; x }",
    "fn f(dy_dx: f64, x: f64) -> f64 { x.atan2(dy_dx) }",
    "fn f(y: f64, x: f64) -> f64 { y.powf(x) }",
    "fn f(zero_like: f64, vjp: f64, core: f64, Real: f64, rules: f64) -> f64 { zero_like * vjp * core * Real * rules }",
    "fn f(x: f64, helper_bar_x: f64) -> f64 { helper(x) * helper_bar_x }",
    "fn f(x: f64) -> f64 { let f = x; f }",
    "fn f(x: f64) -> f64 { let f_vjp = x; f_vjp }",
    "fn x(x: f64) -> f64 { x }",
    "fn bar_x(x: f64) -> f64 { x }",
    "fn f(_x: f64, __: f64) -> f64 { _x * __ }",
    // generics
    "fn f<T: vjp::Real>(x: T) -> T { x }",
    "fn f<T>(x: T) -> T where T: vjp::Real { x }",
    "fn f<T: Real>(x: T) -> T { x * T::from_f64(2.0) }",
    "fn f<'a, 'b: 'a, T: vjp::Real + 'a, const N: usize>(x: [T; N], s: &'a str, t: &'b [u8]) -> T { x[0] }",
    "fn f<const N: usize, const M: bool>(x: [f64; N]) -> [f64; N] { x }",
    "fn f<const N: usize>(x: [f64; N]) -> f64 { x[N - 1] }",
    "fn f<T: vjp::Real = f64>(x: T) -> T { x }",
    "fn f<T>(x: T) -> T where for<'a> &'a T: Copy, T: vjp::Real, { x }",
    "fn f<T: ?Sized + vjp::Real>(x: T) -> T { x }",
    "fn f<T: vjp::Real, U: vjp::Real>(x: T, y: U) -> (T, U) { (x, y) }",
    "fn f<T: vjp::Real>(x: T, n: T::Int) -> T { x }",
    "fn f<T: Iterator<Item = f64>>(x: f64, it: T) -> f64 { x }",
    "fn f<F: Fn(f64) -> f64>(g: F, x: f64) -> f64 { g(x) }",
    "fn f<T>(x: T) -> T where Vec<T>: vjp::Real { x }",
    "fn f<T: vjp::Real>(x: T) -> T { <T as vjp::Real>::sin(x) }",
    "fn f<T: vjp::Real>(x: T) -> T { T::sin(x) + T::powi(x, 2) }",
    "fn f<T: vjp::Real>(x: T) -> f64 { 1.0 }",
    "fn f<T: vjp::Real>(x: f64) -> T { T::from_f64(x) }",
    "fn f<T: (vjp::Real)>(x: T) -> T { x }",
    "fn f<T: for<'a> vjp::Real>(x: T) -> T { x }",
    "fn f<T: vjp::Real<Assoc = f64>>(x: T) -> T { x }",
    "fn f<'a>(x: f64, s: &'a str) -> f64 where 'a: 'static { x }",
    // qualifiers, visibility and attributes on the function
    "pub fn f(x: f64) -> f64 { x }",
    "pub(crate) fn f(x: f64) -> f64 { x }",
    "pub(in crate::m) fn f(x: f64) -> f64 { x }",
    "const fn f(x: f64) -> f64 { x }",
    "async fn f(x: f64) -> f64 { x }",
    "unsafe fn f(x: f64) -> f64 { x }",
    "extern \"C\" fn f(x: f64) -> f64 { x }",
    "unsafe extern \"C\" fn f(x: f64, ...) -> f64 { x }",
    "unsafe extern \"C\" fn f(x: f64, rest: ...) -> f64 { x }",
    "const async unsafe extern \"C\" fn f(x: f64) -> f64 { x }",
    "#[inline] #[must_use] /// doc\nfn f(x: f64) -> f64 { x }",
    "#[cfg(test)] fn f(x: f64) -> f64 { x }",
    "#[cfg_attr(test, inline)] fn f(x: f64) -> f64 { x }",
    "#[allow(clippy::all)] #[deny(warnings)] fn f(x: f64) -> f64 { x }",
    "#[differentiable] fn f(x: f64) -> f64 { x }",
    "#[doc = \"x\"] fn f(x: f64) -> f64 { x }",
    "#[no_grad] fn f(x: f64) -> f64 { x }",
    // receivers
    "fn f(self) -> f64 { 1.0 }",
    "fn f(&self, x: f64) -> f64 { x }",
    "fn f(&mut self, x: f64) -> f64 { x }",
    "fn f(self: Box<Self>, x: f64) -> f64 { x }",
    "fn f(mut self, x: f64) -> f64 { x }",
    "fn f(&'a self) -> f64 { 1.0 }",
    // a method declaration without a body (an attribute inside a trait sees this)
    "fn f(x: f64) -> f64;",
    // items that are not functions
    "struct S;",
    "struct S { x: f64 }",
    "struct S(f64);",
    "enum E { A, B(f64) }",
    "const C: f64 = 1.0;",
    "static S: f64 = 1.0;",
    "impl S { fn f(x: f64) -> f64 { x } }",
    "trait T { fn f(x: f64) -> f64; }",
    "mod m { fn f(x: f64) -> f64 { x } }",
    "mod m;",
    "use std::f64;",
    "type A = f64;",
    "extern crate core;",
    "macro_rules! m { () => {} }",
    "union U { a: f64 }",
    "extern \"C\" { fn f(x: f64) -> f64; }",
    "m!();",
    "m! {}",
    "trait A = B;",
];

/// Arguments of `#[differentiable(...)]`, each applied to a valid function.
const ATTRS: &[&str] = &[
    "",
    "crate = ::vjp",
    "crate = vjp",
    "crate = self::vjp",
    "crate = \"::vjp\"",
    "crate = \"vjp::inner\"",
    "crate = \"not a path!\"",
    "crate = \"\"",
    "crate",
    "crate =",
    "crate = 1",
    "crate = ::vjp,",
    "crate = ::vjp, crate = ::other",
    "crate = ::vjp extra",
    "crate = <Self as T>::x",
    "crate = ::vjp::",
    "crate = r#vjp",
    "crate(::vjp)",
    "foo",
    "foo = bar",
    "foo(bar)",
    "self",
    "no_grad",
    "1",
    "\"crate\"",
    ",",
    "#",
    "{}",
    "[x]",
    "= =",
];

/// The function every attribute of [`ATTRS`] is applied to.
const ATTR_TARGET: &str = "fn f(x: f64, y: f64) -> f64 { x * y.sin() }";

/// One input of the corpus.
struct Case {
    attr: String,
    item: String,
}

impl Case {
    fn new(attr: &str, item: impl Into<String>) -> Self {
        Case {
            attr: attr.to_string(),
            item: item.into(),
        }
    }

    fn describe(&self) -> String {
        format!("#[differentiable({})]\n{}", self.attr, self.item)
    }
}

/// Every snippet spliced into every template, in place of `HOLE`.
fn splice(templates: &[&str], snippets: &[&str]) -> Vec<Case> {
    let mut cases = Vec::new();
    for template in templates {
        for snippet in snippets {
            cases.push(Case::new("", template.replace("HOLE", snippet)));
        }
    }
    cases
}

fn expr_cases() -> Vec<Case> {
    splice(EXPR_TEMPLATES, EXPRS)
}

fn stmt_cases() -> Vec<Case> {
    splice(STMT_TEMPLATES, STMTS)
}

fn item_cases() -> Vec<Case> {
    ITEMS.iter().map(|item| Case::new("", *item)).collect()
}

fn attr_cases() -> Vec<Case> {
    ATTRS.iter().map(|a| Case::new(a, ATTR_TARGET)).collect()
}

/// Large inputs: long chains, deep nesting, many statements and parameters.
fn big_cases() -> Vec<Case> {
    let chain = vec!["x"; 300].join(" * ");
    let nested = format!("{}x{}", "(".repeat(120), ")".repeat(120));
    let blocks = format!("{}x{}", "{ ".repeat(60), " }".repeat(60));
    let lets: String = (0..400).map(|i| format!("let x = x * {i}.5;\n")).collect();
    let params: Vec<String> = (0..100).map(|i| format!("p{i}: f64")).collect();
    let sum: Vec<String> = (0..100).map(|i| format!("p{i}")).collect();
    let methods = format!("x{}", ".sin()".repeat(200));
    vec![
        Case::new("", format!("fn f(x: f64) -> f64 {{ {chain} }}")),
        Case::new("", format!("fn f(x: f64) -> f64 {{ {nested} }}")),
        Case::new("", format!("fn f(x: f64) -> f64 {{ {blocks} }}")),
        Case::new("", format!("fn f(x: f64) -> f64 {{ {lets} x }}")),
        Case::new(
            "",
            format!(
                "fn f({}) -> f64 {{ {} }}",
                params.join(", "),
                sum.join(" * ")
            ),
        ),
        Case::new("", format!("fn f(x: f64) -> f64 {{ {methods} }}")),
    ]
}

/// What went wrong with one case.
enum Failure {
    /// The corpus itself is wrong: the snippet does not parse where it was spliced.
    NotAnItem(String),
    /// `expand` panicked.
    Panic(String),
    /// `expand` did not return in time.
    Hang,
    /// The output is not a file.
    BadOutput(String),
    /// The output is a file but breaks a promise of the expansion.
    Broken(String),
}

/// The name of the threads that expand corpus cases: their panics are reported by the tests
/// with the input, so the panic hook stays quiet for them.
const CASE_THREAD: &str = "corpus-case";

fn quiet_case_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if thread::current().name() != Some(CASE_THREAD) {
                default(info);
            }
        }));
    });
}

/// Expands one case on its own thread. `Ok` holds the messages of the `compile_error!`s in
/// the output, when it returned tokens that parse as a file and keep the expansion's promises.
fn run(case: &Case) -> Result<Vec<String>, Failure> {
    quiet_case_panics();
    let (attr, item) = (case.attr.clone(), case.item.clone());
    let (sender, receiver) = mpsc::channel();
    thread::Builder::new()
        .name(CASE_THREAD.into())
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| check_one(&attr, &item)));
            let outcome = match result {
                Ok(outcome) => outcome,
                Err(payload) => Err(Failure::Panic(panic_message(payload))),
            };
            let _ = sender.send(outcome);
        })
        .expect("spawn a corpus thread");
    receiver
        .recv_timeout(Duration::from_secs(20))
        .unwrap_or(Err(Failure::Hang))
}

fn check_one(attr: &str, item: &str) -> Result<Vec<String>, Failure> {
    let parsed: syn::Item = syn::parse_str(item).map_err(|e| Failure::NotAnItem(e.to_string()))?;
    let attr: TokenStream = attr
        .parse()
        .map_err(|e| Failure::NotAnItem(format!("attribute: {e}")))?;
    let item: TokenStream = item
        .parse()
        .map_err(|e| Failure::NotAnItem(format!("{e}")))?;
    let output = expand(attr, item);
    let file: syn::File =
        syn::parse2(output.clone()).map_err(|e| Failure::BadOutput(format!("{e}\n{output}")))?;
    check_promises(&parsed, &file).map_err(Failure::Broken)?;
    let mut messages = Vec::new();
    compile_errors(output, &mut messages);
    Ok(messages)
}

/// For a function with a body, the output keeps the function and defines `NAME_vjp` — the
/// generated one or a stub — so the user never gets a "cannot find function" cascade.
fn check_promises(input: &syn::Item, output: &syn::File) -> Result<(), String> {
    let syn::Item::Fn(input) = input else {
        return Ok(());
    };
    let name = unraw(&input.sig.ident);
    let defined: Vec<String> = output
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Fn(f) => Some(unraw(&f.sig.ident)),
            _ => None,
        })
        .collect();
    for wanted in [name.clone(), format!("{name}_vjp")] {
        if !defined.contains(&wanted) {
            return Err(format!(
                "the output defines no `{wanted}` (it defines {defined:?})"
            ));
        }
    }
    Ok(())
}

fn unraw(ident: &syn::Ident) -> String {
    ident.to_string().trim_start_matches("r#").to_string()
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".into()
    }
}

/// Runs `cases` and fails with every failure, each with its input.
fn run_all(kind: &str, cases: &[Case]) {
    let mut report = Vec::new();
    for case in cases {
        let what = match run(case) {
            Ok(_) => continue,
            Err(Failure::NotAnItem(e)) => format!("corpus bug, not a valid item: {e}"),
            Err(Failure::Panic(m)) => format!("expand panicked: {m}"),
            Err(Failure::Hang) => "expand did not return within 20 s".to_string(),
            Err(Failure::BadOutput(e)) => format!("the output does not parse as a file: {e}"),
            Err(Failure::Broken(e)) => e,
        };
        report.push(format!("--- {what}\n{}\n", case.describe()));
    }
    assert!(
        report.is_empty(),
        "{} of {} {kind} cases failed:\n{}",
        report.len(),
        cases.len(),
        report.join("\n")
    );
}

#[test]
fn corpus_is_large() {
    let total = expr_cases().len()
        + stmt_cases().len()
        + item_cases().len()
        + attr_cases().len()
        + big_cases().len();
    assert!(total >= 150, "only {total} cases");
}

#[test]
fn expressions_expand_without_panic() {
    run_all("expression", &expr_cases());
}

#[test]
fn statements_expand_without_panic() {
    run_all("statement", &stmt_cases());
}

#[test]
fn items_expand_without_panic() {
    run_all("item", &item_cases());
}

#[test]
fn attribute_arguments_expand_without_panic() {
    run_all("attribute", &attr_cases());
}

#[test]
fn big_inputs_expand_without_panic() {
    run_all("big", &big_cases());
}

/// Every error the macro reports says what to write instead: its message has a
/// `= help:` line. (Inputs that fail otherwise are reported by the tests above.)
#[test]
fn every_error_has_a_help_line() {
    let cases = [expr_cases(), stmt_cases(), item_cases(), attr_cases()];
    let mut missing: Vec<(String, String)> = Vec::new();
    for case in cases.iter().flatten() {
        for message in run(case).unwrap_or_default() {
            if !message.contains("\n= help: ") && !missing.iter().any(|(m, _)| *m == message) {
                missing.push((message, case.describe()));
            }
        }
    }
    let report: Vec<String> = missing
        .iter()
        .map(|(message, input)| format!("--- {message:?}\n{input}\n"))
        .collect();
    assert!(
        report.is_empty(),
        "{} error messages have no help line (first input shown):\n{}",
        report.len(),
        report.join("\n")
    );
}

/// The messages of the `compile_error!` invocations in `tokens`.
fn compile_errors(tokens: TokenStream, out: &mut Vec<String>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(ident) if ident == "compile_error" => {
                if let Some(TokenTree::Group(group)) = trees.get(i + 2) {
                    if let Ok(lit) = syn::parse2::<syn::LitStr>(group.stream()) {
                        out.push(lit.value());
                    }
                }
            }
            TokenTree::Group(group) => compile_errors(group.stream(), out),
            _ => {}
        }
    }
}
