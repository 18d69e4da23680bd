//! Helpers shared by the integration tests: run a generated `NAME_vjp` against central finite
//! differences of `NAME` for every unit cotangent and one mixed cotangent, and check that the
//! primal output it returns is exactly what `NAME` returns.
//!
//! The test files use different subsets of these helpers, so unused ones would warn in some of
//! them; the `allow` below covers only this helper module, never the code `#[differentiable]`
//! generates in the test files.
#![allow(dead_code)]

use std::fmt::Debug;
use vjp::{check_vjp_with, Flat, Tolerance};

/// The unit vectors of `like`'s shape, then one vector with mixed, non-unit components.
pub fn cotangents<Y: Flat>(like: Y) -> Vec<Y> {
    let n = like.flat_len();
    let mut out = Vec::with_capacity(n + 1);
    for i in 0..n {
        let mut e = vec![0.0; n];
        e[i] = 1.0;
        out.push(like.from_flat(&e));
    }
    let mixed: Vec<f64> = (0..n)
        .map(|i| {
            let magnitude = 0.75 + 0.5 * i as f64;
            if i % 2 == 0 {
                magnitude
            } else {
                -magnitude
            }
        })
        .collect();
    out.push(like.from_flat(&mixed));
    out
}

/// Checks `vjp` against `f` at `x` with the given tolerance, for every cotangent of
/// [`cotangents`]: the primal output must equal `f(x)` exactly and the cotangent of the input
/// must match central finite differences.
pub fn check_with<X, Y>(
    f: impl Fn(X) -> Y,
    vjp: impl Fn(X, Y) -> (Y, X),
    x: X,
    tolerance: Tolerance,
) where
    X: Flat + Debug,
    Y: Flat + PartialEq + Debug,
{
    let y = f(x);
    for v in cotangents(y) {
        let (primal, _) = vjp(x, v);
        assert_eq!(
            primal, y,
            "the vjp's primal output differs from f at x = {x:?}"
        );
        if let Err(error) = check_vjp_with(&f, |x, v| vjp(x, v).1, x, v, tolerance) {
            panic!(
                "{error}\n  at x = {x:?}, v = {v:?}, vjp gives {:?}",
                vjp(x, v).1
            );
        }
    }
}

/// [`check_with`] with the `f64` tolerance (relative 1e-6, absolute 1e-8).
pub fn check64<X, Y>(f: impl Fn(X) -> Y, vjp: impl Fn(X, Y) -> (Y, X), x: X)
where
    X: Flat + Debug,
    Y: Flat + PartialEq + Debug,
{
    check_with(f, vjp, x, Tolerance::f64());
}

/// [`check_with`] with the `f32` tolerance (relative 2e-2, absolute 1e-3).
pub fn check32<X, Y>(f: impl Fn(X) -> Y, vjp: impl Fn(X, Y) -> (Y, X), x: X)
where
    X: Flat + Debug,
    Y: Flat + PartialEq + Debug,
{
    check_with(f, vjp, x, Tolerance::f32());
}

/// The flat components of a value, as `f64`.
pub fn flat<A: Flat>(value: A) -> Vec<f64> {
    let mut out = Vec::new();
    value.write_flat(&mut out);
    out
}

/// Asserts that two values of the same shape agree component by component within
/// `abs + rel * max(|a|, |b|)`.
pub fn assert_close<A: Flat + Debug, B: Flat + Debug>(actual: A, expected: B, rel: f64, abs: f64) {
    let (a, b) = (flat(actual), flat(expected));
    assert_eq!(
        a.len(),
        b.len(),
        "shapes differ: {actual:?} vs {expected:?}"
    );
    for (i, (p, q)) in a.iter().zip(&b).enumerate() {
        let bound = abs + rel * p.abs().max(q.abs());
        assert!(
            (p - q).abs() <= bound,
            "component {i}: {p} vs {q} (|diff| = {:e} > {bound:e}); actual {actual:?}, expected {expected:?}",
            (p - q).abs()
        );
    }
}

/// Asserts that the `f32` result of a computation matches its `f64` counterpart to `f32`
/// precision (relative 1e-4, absolute 1e-5).
pub fn assert_f32_matches_f64<A: Flat + Debug, B: Flat + Debug>(single: A, double: B) {
    assert_close(single, double, 1e-4, 1e-5);
}

/// Checks a generic function at both float types: the `f64` instantiation at `x` with the `f64`
/// tolerance, the `f32` one at `x` rounded to `f32` with the `f32` tolerance, and, for every
/// cotangent of [`cotangents`], the `f32` vjp against the `f64` vjp at the rounded point.
pub fn check_both<X64, Y64, X32, Y32>(
    f64_f: impl Fn(X64) -> Y64,
    f64_vjp: impl Fn(X64, Y64) -> (Y64, X64),
    f32_f: impl Fn(X32) -> Y32,
    f32_vjp: impl Fn(X32, Y32) -> (Y32, X32),
    x: X64,
) where
    X64: Flat + Debug,
    Y64: Flat + PartialEq + Debug,
    X32: Flat + Debug + Default,
    Y32: Flat + PartialEq + Debug,
{
    check64(&f64_f, &f64_vjp, x);
    let x32 = X32::default().from_flat(&flat(x));
    check32(&f32_f, &f32_vjp, x32);
    let x_rounded = x.from_flat(&flat(x32));
    let y64 = f64_f(x_rounded);
    for v32 in cotangents(f32_f(x32)) {
        let v64 = y64.from_flat(&flat(v32));
        assert_f32_matches_f64(f32_vjp(x32, v32).1, f64_vjp(x_rounded, v64).1);
    }
}

/// Central finite differences of a scalar function of one slice, step `1e-6 · max(1, |x_i|)`.
pub fn fd_grad(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    let mut xp = x.to_vec();
    (0..x.len())
        .map(|i| {
            let h = 1e-6 * x[i].abs().max(1.0);
            let xi = xp[i];
            xp[i] = xi + h;
            let fp = f(&xp);
            xp[i] = xi - h;
            let fm = f(&xp);
            xp[i] = xi;
            (fp - fm) / (2.0 * h)
        })
        .collect()
}

/// Asserts `|got - want| <= tol · max(1, |want|)` componentwise.
#[track_caller]
pub fn assert_near(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "component {i}: got {g}, want {w} (all: {got:?} against {want:?})"
        );
    }
}

/// Checks `vjp` (a function of one slice with its shadow, returning the primal output) against
/// `f` at `x`: the primal output bit for bit, the gradient against central differences, and
/// that the shadow accumulates (a second call with twice the cotangent adds twice as much).
pub fn check_slice(
    name: &str,
    f: impl Fn(&[f64]) -> f64,
    vjp: impl Fn(&[f64], &mut [f64], f64) -> f64,
    x: &[f64],
) {
    let mut g = vec![0.0; x.len()];
    let y = vjp(x, &mut g, 1.0);
    assert_eq!(y.to_bits(), f(x).to_bits(), "{name}: primal");
    let want = fd_grad(&f, x);
    assert_near(&g, &want, 1e-6);
    let mut g2 = g.clone();
    vjp(x, &mut g2, 2.0);
    for (a, b) in g2.iter().zip(&g) {
        assert!(
            (a - 3.0 * b).abs() <= 1e-12 * b.abs().max(1.0),
            "{name}: accumulation"
        );
    }
}

/// The dot-product test <v, J u> = <J^T v, u>: `ju` from `NAME_jvp` with tangent `u`, `g` from
/// `NAME_vjp` with cotangent `v`.
pub fn assert_dot(v: f64, ju: f64, g: &[f64], u: &[f64]) {
    let dot: f64 = g.iter().zip(u).map(|(a, b)| a * b).sum();
    assert!(
        (v * ju - dot).abs() < 1e-10 * dot.abs().max(1.0),
        "{} against {dot}",
        v * ju
    );
}

/// Checks `vjp::hvp` over a generated `NAME_grad` (`grad_dual`, its instance on dual numbers)
/// at `x` along `u`: the gradient it returns against `grad` (the `f64` instance), and H u
/// against central differences of that gradient along `u`.
pub fn check_hvp(
    grad_dual: impl Fn(&[vjp::Dual<f64>], &mut [vjp::Dual<f64>]),
    grad: impl Fn(&[f64], &mut [f64]),
    x: &[f64],
    u: &[f64],
) {
    let at = |s: f64| {
        let p: Vec<f64> = x.iter().zip(u).map(|(x, u)| x + s * u).collect();
        let mut g = vec![0.0; x.len()];
        grad(&p, &mut g);
        g
    };
    let (g, hu) = vjp::hvp(grad_dual, x, u);
    assert_near(&g, &at(0.0), 1e-12);
    let h = 1e-5;
    let (up, down) = (at(h), at(-h));
    let fd: Vec<f64> = up
        .iter()
        .zip(&down)
        .map(|(a, b)| (a - b) / (2.0 * h))
        .collect();
    assert_near(&hu, &fd, 1e-5);
}

/// Runs `grad32`, a generated `NAME_grad` at `f32`, at `x` rounded to `f32`, and checks it
/// against `g`, the `f64` gradient at `x`, to `f32` precision (`1e-4 (1 + |g|)`).
pub fn check_f32_grad(grad32: impl Fn(&[f32], &mut [f32]), x: &[f64], g: &[f64]) {
    let x32: Vec<f32> = x.iter().map(|v| *v as f32).collect();
    let mut g32 = vec![0.0_f32; x.len()];
    grad32(&x32, &mut g32);
    for (a, b) in g32.iter().zip(g) {
        assert!((*a as f64 - b).abs() <= 1e-4 * (1.0 + b.abs()), "{a} {b}");
    }
}
