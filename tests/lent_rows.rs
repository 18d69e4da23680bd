//! Local arrays and `Vec`s lent to a differentiable callee that takes a row (`g(&h)` for
//! `fn g(x: &[f64])`): the callee's `_vjp` adds into a zero shadow of `h`'s shape, which is
//! then `h`'s cotangent from the call. Gradients against central finite differences, in
//! straight-line code, loops and branches, and the dot-product test through forward mode.
#![deny(warnings)]
#![allow(clippy::needless_range_loop)]

mod common;

use common::{assert_near, fd_grad};
use vjp::differentiable;

#[differentiable]
fn sum_sq(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i];
    }
    s
}

/// A weighted sum with an inactive row of weights, and an active scale.
#[differentiable]
fn weighted(x: &[f64], #[no_grad] w: &[f64], scale: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += w[i] * x[i].sin();
    }
    scale * s
}

#[differentiable]
fn softmax_dot(z: &[f64; 3], y: &[f64; 3]) -> f64 {
    let m = z[0].max(z[1]).max(z[2]);
    let e = [(z[0] - m).exp(), (z[1] - m).exp(), (z[2] - m).exp()];
    let total = e[0] + e[1] + e[2];
    (e[0] * y[0] + e[1] * y[1] + e[2] * y[2]) / total
}

/// A local array and a collected `Vec`, each lent to a callee, one of them twice.
#[differentiable]
fn layers(a: f64, b: f64) -> f64 {
    let h = [a * b, a + b, (a - b).tanh()];
    let v: Vec<f64> = h.iter().map(|t| t * t + a).collect();
    let w = [0.5, -1.0, 2.0];
    sum_sq(&h) * a + weighted(&v, &w, b) + softmax_dot(&h, &h)
}

#[test]
fn layers_finite_differences() {
    for (a, b) in [(0.7, -0.3), (-1.2, 0.45)] {
        let (da, db) = layers_grad(a, b);
        let want = fd_grad(|p| layers(p[0], p[1]), &[a, b]);
        assert_near(&[da, db], &want, 1e-6);
    }
}

/// Lent in a loop, where the local changes every iteration, and in a branch.
#[differentiable]
fn unrolled(x: &[f64], steps: usize) -> f64 {
    let mut state = [x[0], x[1], x[2]];
    let mut total = 0.0;
    for k in 0..steps {
        let next = [
            (state[1] * 0.9).sin() + x[k % 3],
            state[2] - 0.1 * state[0],
            (state[0] * state[1]).cos(),
        ];
        total += sum_sq(&next) * (k as f64 + 1.0);
        state = next;
        if total > 2.0 {
            let z = [state[0], -state[1], 0.5 * state[2]];
            total += softmax_dot(&z, &state);
        }
    }
    total
}

#[test]
fn unrolled_finite_differences() {
    let x = [0.3, -0.8, 1.1];
    for steps in [0, 1, 4] {
        let mut g = [0.0; 3];
        unrolled_grad(&x, &mut g, steps);
        let want = fd_grad(|p| unrolled(p, steps), &x);
        assert_near(&g, &want, 1e-6);
    }
}

/// A local row of points lent to a callee taking `&[[F; 2]]`, generic over the float type.
#[differentiable]
fn area<T: vjp::Real>(p: &[[T; 2]]) -> T {
    let mut s = T::zero();
    for i in 0..p.len() {
        let j = (i + 1) % p.len();
        s += p[i][0] * p[j][1] - p[j][0] * p[i][1];
    }
    T::from_f64(0.5) * s
}

#[differentiable]
fn scaled_area<T: vjp::Real>(k: T, r: T) -> T {
    let square = [
        [T::zero(), T::zero()],
        [k, T::zero()],
        [k, r],
        [T::zero(), r],
    ];
    area(&square) * k
}

#[test]
fn scaled_area_closed_form() {
    // k · (k r) = k² r: d/dk = 2 k r, d/dr = k².
    let (dk, dr) = scaled_area_grad(1.5_f64, 0.8);
    assert!((dk - 2.0 * 1.5 * 0.8).abs() < 1e-12);
    assert!((dr - 1.5 * 1.5).abs() < 1e-12);
    let (dk, dr) = scaled_area_grad(1.5_f32, 0.8);
    assert!((dk - 2.4).abs() < 1e-5 && (dr - 2.25).abs() < 1e-5);
}

/// A hand-written rule in the slice convention, called with a local array.
fn cube_sum(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v * v).sum()
}

fn cube_sum_vjp(x: &[f64], bar_x: &mut [f64], v: f64) -> (f64, ()) {
    for (b, t) in bar_x.iter_mut().zip(x) {
        *b += 3.0 * t * t * v;
    }
    (cube_sum(x), ())
}

fn cube_sum_jvp(x: &[f64], dot_x: &[f64]) -> (f64, f64) {
    let dot = x.iter().zip(dot_x).map(|(t, d)| 3.0 * t * t * d).sum();
    (cube_sum(x), dot)
}

#[differentiable]
#[allow(clippy::needless_borrow)] // `&x` of a reference parameter, as users write it too.
fn uses_rule(a: f64, x: &[f64]) -> f64 {
    let h = [a, a * x[0], x[1]];
    cube_sum(&h) + a * cube_sum(x) + sum_sq(&x)
}

#[test]
fn hand_written_rule_with_a_local_row() {
    let x = [0.4, -1.3];
    let mut g = [0.0; 2];
    let (da,) = uses_rule_grad(0.9, &x, &mut g);
    let want = fd_grad(|p| uses_rule(p[0], &p[1..]), &[0.9, x[0], x[1]]);
    assert_near(&[da, g[0], g[1]], &want, 1e-6);
}

/// <v, J u> = <J^T v, u> between `NAME_jvp` and `NAME_vjp`.
#[test]
fn dot_product_test() {
    let (a, b, ua, ub, v) = (0.6, -0.9, 0.3, 1.7, -1.1);
    let (_, ju) = layers_jvp(a, ua, b, ub);
    let (_, (ga, gb)) = layers_vjp(a, b, v);
    let (lhs, rhs) = (v * ju, ga * ua + gb * ub);
    assert!(
        (lhs - rhs).abs() < 1e-10 * lhs.abs().max(1.0),
        "{lhs} {rhs}"
    );

    let x = [0.3, -0.8, 1.1];
    let u = [0.2, 0.5, -0.7];
    let (_, ju) = unrolled_jvp(&x, &u, 3);
    let mut g = [0.0; 3];
    unrolled_vjp(&x, &mut g, 3, v);
    let rhs: f64 = g.iter().zip(&u).map(|(p, q)| p * q).sum();
    assert!((v * ju - rhs).abs() < 1e-10 * rhs.abs().max(1.0));
}

/// The row changes after it is lent, by element and whole, and a `Vec` is filled and lent
/// inside the loop that fills it.
#[differentiable]
fn changing(a: f64, x: &[f64]) -> f64 {
    let mut h = [a, 2.0 * a, x[0]];
    let first = sum_sq(&h);
    h[0] = (3.0 * a).sin();
    let second = sum_sq(&h);
    h = [x[1], a * x[1], first];
    let mut buf = vec![0.0; x.len()];
    let mut s = 0.0;
    for i in 0..x.len() {
        buf[i] = x[i] * a + s;
        s += sum_sq(&buf) * 0.1;
    }
    first * second + sum_sq(&h) + s
}

#[test]
fn changing_finite_differences() {
    let x = [0.5, -0.25, 0.8, 1.2];
    for a in [0.3, -0.7] {
        let mut g = [0.0; 4];
        let (da,) = changing_grad(a, &x, &mut g);
        let want = fd_grad(|p| changing(p[0], &p[1..]), &[a, x[0], x[1], x[2], x[3]]);
        assert_near(&[da, g[0], g[1], g[2], g[3]], &want, 1e-6);
    }
}

/// Const-generic callees, lent array literals (`&[a, b]`), and an index row of integers.
#[differentiable]
fn norm<const N: usize>(x: &[f64; N]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

#[differentiable]
fn pick(#[no_grad] idx: &[usize], x: &[f64]) -> f64 {
    let mut s = 0.0;
    for &i in idx {
        s += x[i % x.len()].sin();
    }
    s
}

#[differentiable]
fn literals(a: f64, b: f64) -> f64 {
    norm(&[a, b, a * b]) * norm(&[b, 1.0])
        + pick(&[2, 0, 1], &[a, b * b, 0.5])
        + pick(&[1; 2], &[b, a])
}

#[test]
fn literals_finite_differences() {
    for (a, b) in [(0.8, -0.4), (-1.5, 0.3)] {
        let (da, db) = literals_grad(a, b);
        let want = fd_grad(|p| literals(p[0], p[1]), &[a, b]);
        assert_near(&[da, db], &want, 1e-6);
        let (u, v) = ([0.3, -0.8], 1.3);
        let (_, ju) = literals_jvp(a, u[0], b, u[1]);
        let rhs = v * (da * u[0] + db * u[1]);
        assert!((v * ju - rhs).abs() < 1e-10 * rhs.abs().max(1.0));
    }
}

/// Two scalar inputs and a loop that overwrites its state: `NAME_grad` runs forward lanes,
/// one call of the callee's `_jvp` per lane, each lent the local row and its tangent.
#[differentiable]
fn lanes(r: f64, x0: f64) -> f64 {
    let mut x = x0;
    for k in 0..6 {
        let h = [x, r * x, k as f64 * 0.1];
        x = 0.5 * sum_sq(&h).sqrt().sin() + 0.25 * x;
    }
    x
}

#[test]
fn lanes_match_reverse_and_differences() {
    for (r, x0) in [(0.9, 0.3), (-1.4, 0.8)] {
        let (gr, gx) = lanes_grad(r, x0);
        let (_, (vr, vx)) = lanes_vjp(r, x0, 1.0);
        assert!((gr - vr).abs() < 1e-12 && (gx - vx).abs() < 1e-12);
        let want = fd_grad(|p| lanes(p[0], p[1]), &[r, x0]);
        assert_near(&[gr, gx], &want, 1e-6);
    }
}

/// A `Vec` lent to a callee and written afterwards, and a `Vec` element written with a
/// reduction over the same `Vec` (found by vjp-fuzzgen's `lent-rows` switch: the update moved
/// the old version that the reverse sweep reads; it is cloned now).
#[differentiable]
fn lent_then_changed(a: f64) -> f64 {
    let mut h = vec![0.0; 2];
    h[0] = a;
    h[1] = 2.0 * a;
    let w = sum_sq(&h);
    h[0] = 3.0 * a * h[1];
    let mut k: Vec<f64> = vec![0.0; 3];
    k[0] = a.sin();
    k[1] = (0..1).map(|i| k[i] * a).sum::<f64>();
    for i in 0..2 {
        k[i + 1] = (0..=i).map(|j| k[j] * h[j % 2]).sum::<f64>() + sum_sq(&k);
    }
    w + h[0] * k[2]
}

#[test]
fn lent_then_changed_finite_differences() {
    for a in [0.7, -0.35] {
        let (da,) = lent_then_changed_grad(a);
        assert_near(&[da], &fd_grad(|p| lent_then_changed(p[0]), &[a]), 1e-6);
    }
}

/// A `Vec` lent before and after an element write in the same loop body, and lent before a
/// write in a branch.
#[differentiable]
fn lent_around_writes(a: f64, x: &[f64]) -> f64 {
    let mut h = x.to_vec();
    let mut s = 0.0;
    for i in 0..x.len() {
        let before = sum_sq(&h);
        h[i] = (before * a).sin();
        s += sum_sq(&h) * before;
    }
    let w = sum_sq(&h);
    if w > 0.5 {
        h[0] = w * a;
    } else {
        h[1] = -w;
    }
    s + sum_sq(&h) + w
}

#[test]
fn lent_around_writes_finite_differences() {
    for (a, x) in [(0.6, [0.3, -0.4, 0.2]), (-0.9, [0.1, 0.25, -0.15])] {
        let mut g = [0.0; 3];
        let (da,) = lent_around_writes_grad(a, &x, &mut g);
        let want = fd_grad(
            |p| lent_around_writes(p[0], &p[1..]),
            &[a, x[0], x[1], x[2]],
        );
        assert_near(&[da, g[0], g[1], g[2]], &want, 1e-6);
    }
}

/// A `Vec` that leaves a branch as its value (found by vjp-fuzzgen, seed 93000): the branch's
/// value moved it, and the reverse sweep's run of the branch read it again.
#[differentiable]
fn through_branches(a: f64) -> f64 {
    let mut buf = vec![0.0; 3];
    for j in 0..buf.len() {
        buf[j] = (a * (j as f64 + 1.0)).sin();
    }
    let mut s = 0.0;
    if a > 2.0 {
        s += 1.0;
    } else if buf[0] < a {
        let l = sum_sq(&buf) * buf[2];
        buf[0] = 2.0 * a;
        s += l + norm(&[buf[0], buf[1]]);
    }
    s + buf[1] * buf[0]
}

#[test]
fn through_branches_finite_differences() {
    for a in [0.4, 1.1, -0.8, 2.5] {
        let (da,) = through_branches_grad(a);
        assert_near(&[da], &fd_grad(|p| through_branches(p[0]), &[a]), 1e-6);
    }
}

#[differentiable]
fn square_at(h: &[f64], k: usize) -> f64 {
    h[k] * h[k]
}

#[differentiable]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        s += a[i] * b[i];
    }
    s
}

/// A local lent in a loop (its adjoint is the callee's shadow: no copy of the row per call),
/// and lent twice to one call.
#[differentiable]
fn lent_in_loop(x: &[f64]) -> f64 {
    let h: Vec<f64> = x.iter().map(|v| v.sin()).collect();
    let mut s = 0.0;
    for k in 0..h.len() {
        s += square_at(&h, k) * (k as f64 + 1.0);
    }
    s + dot(&h, &h) - 0.5 * dot(&h, x)
}

#[test]
fn lent_in_loop_finite_differences() {
    let x = [0.3, -1.1, 0.8, 0.45];
    let mut g = [0.0; 4];
    lent_in_loop_grad(&x, &mut g);
    assert_near(&g, &fd_grad(lent_in_loop, &x), 1e-6);
    let (u, v) = ([0.2, 0.7, -0.4, 1.0], 0.9);
    let (_, ju) = lent_in_loop_jvp(&x, &u);
    let mut g = [0.0; 4];
    lent_in_loop_vjp(&x, &mut g, v);
    let rhs: f64 = g.iter().zip(&u).map(|(a, b)| a * b).sum();
    assert!((v * ju - rhs).abs() < 1e-10 * rhs.abs().max(1.0));
}
