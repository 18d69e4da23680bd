//! Closures bound to a local (`let f = |t: f64| ..;`) and called, inlined at each call:
//! captures of active values, several parameters, closures calling closures, closures in
//! loops and given to reductions by name, and one that reads no float kept as written.
//! Gradients against closed forms and finite differences, and the dot-product test.
#![deny(warnings)]

use vjp::differentiable;

#[differentiable]
fn captures(x: f64, y: f64) -> f64 {
    let k = 2.0 * x;
    let wave = |t: f64| (t * k).sin();
    let mix = |a: f64, b: f64| a * b + k;
    wave(y) + mix(x, wave(x))
}

#[test]
fn captured_values_carry_their_derivatives() {
    let (x, y) = (0.3, -0.7);
    let (gx, gy) = captures_grad(x, y);
    // f = sin(2xy) + x sin(2x²) + 2x.
    let want_x = 2.0 * y * (2.0 * x * y).cos()
        + (2.0 * x * x).sin()
        + x * 4.0 * x * (2.0 * x * x).cos()
        + 2.0;
    let want_y = 2.0 * x * (2.0 * x * y).cos();
    assert!((gx - want_x).abs() < 1e-14, "{gx} vs {want_x}");
    assert!((gy - want_y).abs() < 1e-14, "{gy} vs {want_y}");
    let (value, _) = captures_jvp(x, 1.0, y, 0.0);
    assert_eq!(value, captures(x, y));
}

/// A closure called in a loop, an index closure that reads no float (kept as written), and a
/// closure given to a reduction by name.
#[differentiable]
fn looped(x: &[f64], w: f64) -> f64 {
    let act = |z: f64| z.tanh() * w;
    let back = |i: usize| x.len() - 1 - i;
    let square = |v: f64| v * v;
    let mut s = 0.0;
    for i in 0..x.len() {
        s = s * 0.5 + act(x[back(i)] + s);
    }
    s + x.iter().copied().map(square).sum::<f64>()
}

#[test]
fn closures_in_loops_and_reductions() {
    let x = [0.2, -0.4, 0.9, 0.1];
    let w = 1.3;
    let mut g = [0.0; 4];
    let (gw,) = looped_grad(&x, &mut g, w);
    let h = 1e-6;
    for i in 0..4 {
        let (mut a, mut b) = (x, x);
        a[i] += h;
        b[i] -= h;
        let fd = (looped(&a, w) - looped(&b, w)) / (2.0 * h);
        assert!((g[i] - fd).abs() < 1e-7, "{i}: {} vs {fd}", g[i]);
    }
    let fd = (looped(&x, w + h) - looped(&x, w - h)) / (2.0 * h);
    assert!((gw - fd).abs() < 1e-7, "{gw} vs {fd}");
    // <J u, v> = <u, J^T v>.
    let u = [0.3, 0.1, -0.5, 0.7];
    let (_, ju) = looped_jvp(&x, &u, w, 0.2);
    let mut g = [0.0; 4];
    let (_, (gw,)) = looped_vjp(&x, &mut g, w, -0.8);
    let jtv_u: f64 = g.iter().zip(&u).map(|(a, b)| a * b).sum::<f64>() + gw * 0.2;
    assert!((jtv_u - (-0.8 * ju)).abs() < 1e-13);
}

/// A closure that calls another, and one whose argument is itself a call.
#[differentiable]
fn nested(x: f64) -> f64 {
    let inner = |t: f64| t.exp() - 1.0;
    let outer = |t: f64| inner(t) * inner(2.0 * t);
    outer(inner(x))
}

#[test]
fn closures_calling_closures() {
    let x = 0.4;
    let (g,) = nested_grad(x);
    let f = |x: f64| {
        let u = x.exp() - 1.0;
        (u.exp() - 1.0) * ((2.0 * u).exp() - 1.0)
    };
    let fd = (f(x + 1e-6) - f(x - 1e-6)) / 2e-6;
    assert_eq!(nested(x), f(x));
    assert!((g - fd).abs() < 1e-7, "{g} vs {fd}");
}

/// Calls in conditions (also under `&&` and `!`, which keep their short circuit), untyped
/// parameters, and a capture shadowed after the closure was made, which the closure does not
/// see: as in Rust, it reads what it captured.
#[differentiable]
#[allow(clippy::neg_cmp_op_on_partial_ord)]
fn conditions(x: f64) -> f64 {
    let k = 2.0 * x;
    let f = |t: f64| t * k;
    let sq = |t| t * t;
    if f(x) < -1.0 {
        return x;
    }
    let big = f(x) > 1.0;
    let mut s = x;
    let mut i = 0;
    while f(s) < 3.0 && i < 5 && !(sq(s) > 10.0) {
        s = s * 1.5 + 0.1;
        i += 1;
    }
    let k = 100.0;
    let g = |u: f64| f(u) + k;
    if big {
        s * g(x)
    } else {
        s + sq(x) + g(s)
    }
}

#[test]
fn closures_in_conditions_and_shadowed_captures() {
    for x in [-0.3, 0.4, 0.9, 1.3] {
        let (d,) = conditions_grad(x);
        let fd = (conditions(x + 1e-6) - conditions(x - 1e-6)) / 2e-6;
        assert!(
            (d - fd).abs() < 1e-6 * fd.abs().max(1.0),
            "{x}: {d} vs {fd}"
        );
        assert_eq!(conditions_vjp(x, 1.0).0, conditions(x));
    }
}
