//! A slice read at several indices that differ by constants in one loop (`x[i]` and
//! `x[i + 1]`, a stencil): the reverse adds their adjoints through one window of the shadow
//! covering all of them (`vjp-macro/src/bounds.rs`, `Windows::groups`), so that the optimiser
//! can drop the shadow's bounds checks. The derivatives must not change, an empty loop must
//! not read or cut anything, and a read past the end must panic as the function does.

#![allow(clippy::needless_range_loop)]

mod common;

use common::{assert_dot, assert_near, check_f32_grad, check_hvp, check_slice, fd_grad};
use vjp::differentiable;

fn point(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.3 + 0.17 * i as f64 - 0.05 * (i * i % 7) as f64)
        .collect()
}

/// A recurrence over neighbours, the counter from 0: reversed backwards from a tape.
#[differentiable]
fn forward_difference(x: &[f64]) -> f64 {
    let mut s = 0.5;
    for i in 0..x.len() - 1 {
        s = (s + x[i + 1] - x[i]).tanh();
    }
    s
}

/// The counter from 1, reading behind it.
#[differentiable]
fn backward_difference(x: &[f64]) -> f64 {
    let mut s = 0.5;
    for i in 1..x.len() {
        s = (s * x[i] - x[i - 1]).sin();
    }
    s
}

/// Three points, a span of two, in a reversed range.
#[differentiable]
fn second_difference(x: &[f64]) -> f64 {
    let mut s = 0.25;
    for i in (1..x.len() - 1).rev() {
        s = (s + x[i - 1] - 2.0 * x[i] + x[i + 1]).tanh() * x[i];
    }
    s
}

#[test]
fn stencils_match_finite_differences_and_forward_mode() {
    for n in [2, 3, 4, 9] {
        let x = point(n);
        check_slice(
            "forward",
            forward_difference,
            |x, g, v| forward_difference_vjp(x, g, v).0,
            &x,
        );
        check_slice(
            "backward",
            backward_difference,
            |x, g, v| backward_difference_vjp(x, g, v).0,
            &x,
        );
        check_slice(
            "second",
            second_difference,
            |x, g, v| second_difference_vjp(x, g, v).0,
            &x,
        );
        let u: Vec<f64> = (0..n).map(|i| 0.4 - 0.3 * i as f64).collect();
        let mut g = vec![0.0; n];
        let (_, ju) = second_difference_jvp(&x, &u);
        second_difference_vjp(&x, &mut g, 0.7);
        assert_dot(0.7, ju, &g, &u);
    }
}

#[test]
fn loops_without_iterations_add_nothing() {
    // One element: no pair of neighbours, no triple.
    let x = [0.8];
    let mut g = [0.0];
    assert_eq!(forward_difference_vjp(&x, &mut g, 1.0).0, 0.5);
    assert_eq!(backward_difference_vjp(&x, &mut g, 1.0).0, 0.5);
    assert_eq!(g, [0.0]);
    let x = [0.8, -0.2];
    let mut g = [0.0; 2];
    assert_eq!(second_difference_vjp(&x, &mut g, 1.0).0, 0.25);
    assert_eq!(g, [0.0; 2]);
}

/// Reads `m` elements from `offset` on, and two further on: an offset that is not constant,
/// the same in every read.
#[differentiable]
fn offset_pairs(x: &[f64], #[no_grad] offset: usize, #[no_grad] m: usize) -> f64 {
    let mut s = 1.0;
    for i in 0..m {
        s = (s * x[offset + i] + x[offset + i + 2]).cos();
    }
    s
}

#[test]
fn groups_at_an_offset() {
    let x = point(8);
    for (offset, m) in [(0, 6), (1, 5), (3, 3), (5, 1)] {
        let mut g = vec![0.0; 8];
        let y = offset_pairs_vjp(&x, &mut g, offset, m, 1.0).0;
        assert_eq!(y.to_bits(), offset_pairs(&x, offset, m).to_bits());
        assert_near(&g, &fd_grad(|x| offset_pairs(x, offset, m), &x), 1e-6);
    }
    // No iteration: nothing read, wherever `offset` points.
    let mut g = vec![0.0; 8];
    assert_eq!(offset_pairs_vjp(&x, &mut g, 100, 0, 1.0).0, 1.0);
    assert_eq!(g, vec![0.0; 8]);
}

#[test]
#[should_panic]
fn a_read_past_the_end_panics_as_the_function_does() {
    let x = point(8);
    let mut g = vec![0.0; 8];
    offset_pairs_vjp(&x, &mut g, 4, 3, 1.0);
}

/// A fused accumulation over neighbours, an array behind a reference, and a read of the
/// slice's length in the loop (which keeps the additions at the elements).
#[differentiable]
fn smoothness(x: &[f64; 6], y: &[f64]) -> f64 {
    let mut total = 0.0;
    for i in 0..5 {
        total += (x[i + 1] - x[i]).powi(2);
    }
    let mut s = 0.1;
    for i in 0..y.len() - 1 {
        s = (s + y[i + 1] * y[i] / y.len() as f64).sin();
    }
    total * s
}

#[test]
fn fused_loops_arrays_and_other_reads() {
    let x = [0.3, -0.5, 0.9, 1.4, 0.2, -0.8];
    let y = point(5);
    let (mut gx, mut gy) = ([0.0; 6], vec![0.0; 5]);
    let value = smoothness_vjp(&x, &mut gx, &y, &mut gy, 1.0).0;
    assert_eq!(value.to_bits(), smoothness(&x, &y).to_bits());
    assert_near(
        &gx,
        &fd_grad(|x| smoothness(x.try_into().unwrap(), &y), &x),
        1e-6,
    );
    assert_near(&gy, &fd_grad(|y| smoothness(&x, y), &y), 1e-6);
}

/// The same stencil for any `Real`: `f32`, and dual numbers through `vjp::hvp`.
#[differentiable]
fn generic_difference<T: vjp::Real>(x: &[T]) -> T {
    let mut s = T::from_f64(0.5);
    for i in 0..x.len() - 1 {
        s = (s + x[i + 1] * x[i]).tanh();
    }
    s
}

#[test]
fn generic_stencils() {
    let x = point(6);
    let mut g = vec![0.0; 6];
    generic_difference_grad(&x, &mut g);
    assert_near(&g, &fd_grad(generic_difference, &x), 1e-6);
    check_f32_grad(generic_difference_grad, &x, &g);
    let u = [0.5, -1.0, 0.25, 1.5, 0.0, 0.75];
    check_hvp(generic_difference_grad, generic_difference_grad, &x, &u);
}
