//! Loops and reductions over part of a float slice (`x[1..].iter()`, `x[a..=b]`) and backwards
//! (`x.iter().rev()`, `.enumerate().rev()`, `.zip(..).rev()`): index loops that read the slice
//! at an offset, or run their counter backwards. Gradients against closed forms and finite
//! differences; out-of-range bounds panic as slicing does.
#![deny(warnings)]

mod common;

use common::{assert_near, fd_grad};
use vjp::differentiable;

fn point(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.4 + 0.13 * i as f64 - 0.03 * (i * i) as f64)
        .collect()
}

/// Horner's rule: the coefficients from the highest power down.
#[differentiable]
fn horner(c: &[f64], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &a| acc * x + a)
}

#[test]
fn horner_backwards_fold() {
    let c = [1.0, -2.0, 0.5, 3.0];
    let x = 0.7;
    let mut g = [0.0; 4];
    let (dx,) = horner_grad(&c, &mut g, x);
    assert!((horner(&c, x) - (1.0 - 2.0 * x + 0.5 * x * x + 3.0 * x * x * x)).abs() < 1e-15);
    assert_near(&g, &[1.0, x, x * x, x * x * x], 1e-15);
    assert_near(&[dx], &[-2.0 + x + 9.0 * x * x], 1e-14);
}

/// First differences through a shifted row, a middle part with inclusive bounds, and a
/// backward recurrence that is not an accumulation.
#[differentiable]
fn shifted(x: &[f64], a: usize, b: usize) -> f64 {
    let d: f64 = x[1..]
        .iter()
        .zip(x.iter())
        .map(|(p, q)| (p - q).powi(2))
        .sum();
    let mid = x[a..=b].iter().map(|v| v.sin()).sum::<f64>();
    let mut y = 0.3;
    for (i, &v) in x[..b].iter().enumerate().rev() {
        y = (y * v + i as f64 * 0.1).tanh();
    }
    for v in x.iter().rev() {
        y = y * 0.5 + v * y;
    }
    d + mid * y
}

#[test]
fn offsets_and_reversed_loops_match_finite_differences() {
    let x = point(7);
    for (a, b) in [(1, 4), (0, 6), (3, 3)] {
        let mut g = vec![0.0; 7];
        shifted_grad(&x, &mut g, a, b);
        assert_near(&g, &fd_grad(|x| shifted(x, a, b), &x), 1e-6);
    }
}

#[test]
#[should_panic(expected = "range end index 9 out of range for slice of length 7")]
fn a_bound_past_the_end_panics_as_slicing() {
    let x = point(7);
    let mut g = vec![0.0; 7];
    shifted_grad(&x, &mut g, 1, 8);
}

#[test]
#[should_panic(expected = "slice index starts at 5 but ends at 3")]
fn bounds_in_the_wrong_order_panic_as_slicing() {
    let x = point(7);
    let mut g = vec![0.0; 7];
    shifted_grad(&x, &mut g, 5, 2);
}

/// `skip`, `take` and `step_by` in every order, also backwards and zipped: the even and odd
/// elements of an interleaved slice, a moving difference, and a strided tail.
#[differentiable]
fn strided(x: &[f64], s: usize) -> f64 {
    let evens: f64 = x.iter().step_by(2).map(|v| v * v).sum();
    let odds = x
        .iter()
        .skip(1)
        .step_by(2)
        .fold(1.0, |p, &v| p * (1.0 + 0.1 * v));
    let diffs: f64 = x
        .iter()
        .skip(1)
        .zip(x.iter())
        .map(|(a, b)| (a - b).sin())
        .sum();
    let mut y = 0.2;
    for &v in x.iter().step_by(s).skip(1).take(2).rev() {
        y = (y + v) * v;
    }
    evens * odds + diffs + y
}

#[test]
fn skip_take_and_step_by() {
    let x = point(7);
    for s in [1, 2, 3, 9] {
        let mut g = vec![0.0; 7];
        strided_grad(&x, &mut g, s);
        assert_near(&g, &fd_grad(|x| strided(x, s), &x), 1e-6);
    }
}

#[test]
#[should_panic(expected = "assertion failed: step != 0")]
fn a_step_of_zero_panics() {
    let x = point(7);
    let mut g = vec![0.0; 7];
    strided_grad(&x, &mut g, 0);
}

/// Zips of zips and numbered zips: three-way products and position weights.
#[differentiable]
fn three_way(a: &[f64], b: &[f64], c: &[f64]) -> f64 {
    let triple: f64 = a
        .iter()
        .zip(b)
        .zip(c.iter().rev())
        .map(|((p, q), r)| p * q * r)
        .sum();
    let mut s = 0.0;
    for (i, (&p, q)) in a.iter().zip(b.iter().skip(1)).enumerate().rev() {
        s = s * 0.5 + (i as f64 + 1.0) * (p - q).tanh();
    }
    triple + s
}

#[test]
fn nested_zips_and_numbered_zips() {
    let (a, b, c) = (point(5), point(6), point(4));
    let (mut ga, mut gb, mut gc) = (vec![0.0; 5], vec![0.0; 6], vec![0.0; 4]);
    three_way_grad(&a, &mut ga, &b, &mut gb, &c, &mut gc);
    assert_near(&ga, &fd_grad(|a| three_way(a, &b, &c), &a), 1e-6);
    assert_near(&gb, &fd_grad(|b| three_way(&a, b, &c), &b), 1e-6);
    assert_near(&gc, &fd_grad(|c| three_way(&a, &b, c), &c), 1e-6);
}

/// Steps and offsets that are sums (fuzzgen seed 73000: `.step_by(k + 1)` was read as
/// `start + k + 1 * i`, a wrong value and gradient, or an index out of bounds).
#[differentiable]
fn compound_steps(x: &[f64], k: usize) -> f64 {
    let a = x.iter().step_by(k + 1).map(|v| v * v).sum::<f64>();
    let mut s = 0.0;
    for v in x[1..].iter().step_by(k + 1).skip(k - 1) {
        s += v * v * v;
    }
    let b: f64 = x
        .iter()
        .skip(2 * k - 1)
        .step_by(k + 1)
        .map(|v| v.sin())
        .sum();
    a + s + b
}

#[test]
fn steps_and_offsets_that_are_sums() {
    let x = [1.0, 2.0, 3.0];
    let mut g = [0.0; 3];
    let (y, ()) = compound_steps_vjp(&x, &mut g, 1, 1.0);
    assert_eq!(y, compound_steps(&x, 1));
    // k = 1: a = 1 + 9 (x[0], x[2]), s = 8 (x[1]), b = sin 2 (x[1]).
    assert_near(&g, &[2.0, 12.0 + 2f64.cos(), 6.0], 1e-15);
    let x = point(9);
    for k in [1, 2, 3] {
        let mut g = vec![0.0; 9];
        compound_steps_grad(&x, &mut g, k);
        assert_near(&g, &fd_grad(|x| compound_steps(x, k), &x), 1e-6);
    }
}

/// Array literals iterated directly: bound to a local first, then indexed.
#[differentiable]
fn literal_rows(x: f64, y: f64, w: &[f64]) -> f64 {
    let norm = [x, y, x * y].iter().map(|v| v * v).sum::<f64>().sqrt();
    let mut s = 0.0;
    for (a, b) in [x.sin(), y.cos()].iter().zip(w) {
        s += a * b;
    }
    norm + s
}

#[test]
fn array_literals_as_rows() {
    let (x, y) = (0.6, -1.1);
    let w = [0.3, 0.8, 5.0];
    let mut gw = [0.0; 3];
    let (gx, gy) = literal_rows_grad(x, y, &w, &mut gw);
    let n = (x * x + y * y + x * x * y * y).sqrt();
    let want_x = (x + x * y * y) / n + x.cos() * w[0];
    let want_y = (y + x * x * y) / n - y.sin() * w[1];
    assert_near(&[gx, gy], &[want_x, want_y], 1e-14);
    assert_near(&gw, &[x.sin(), y.cos(), 0.0], 1e-15);
}
