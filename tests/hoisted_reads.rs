//! Element reads of slice parameters at an index that moves with the loop's counter
//! (`p[j * n + i]`, `x[i + k]`): the generated code reads them through a window of the slice
//! made once before the loop (`vjp-macro/src/bounds.rs`). The derivatives must not change, and
//! the generated code must panic exactly when the function does: not for a loop that runs no
//! iteration, nor for a read that a `break`, a `continue` or an `if` keeps in range.

// Index loops are what these tests exercise.
#![allow(clippy::needless_range_loop)]
// `&Vec<f64>` is one of the parameter types under test.
#![allow(clippy::ptr_arg)]

mod common;

use common::{assert_dot, assert_near, check_slice, fd_grad};
use vjp::differentiable;

/// A tanh layer and a sum: `sum_j tanh(b_j + sum_i w[j * n + i] x[i])`, `w` row-major.
#[differentiable]
fn layer(w: &[f64], #[no_grad] x: &[f64], #[no_grad] b: &Vec<f64>) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for j in 0..b.len() {
        let mut a = b[j];
        for i in 0..n {
            a += w[j * n + i] * x[i];
        }
        s += a.tanh();
    }
    s
}

#[test]
fn a_layer_read_by_rows() {
    let x = [0.3, -0.7, 1.1, 0.5];
    let b = vec![0.1, -0.2, 0.05];
    let w: Vec<f64> = (0..12).map(|k| 0.1 * k as f64 - 0.55).collect();
    check_slice(
        "layer",
        |w| layer(w, &x, &b),
        |w, g, v| layer_vjp(w, g, &x, &b, v).0,
        &w,
    );
    let u: Vec<f64> = (0..12).map(|k| (k as f64 * 0.37).sin()).collect();
    let mut g = vec![0.0; 12];
    let (_, ju) = layer_jvp(&w, &u, &x, &b);
    layer_vjp(&w, &mut g, &x, &b, 1.5);
    assert_dot(1.5, ju, &g, &u);
}

/// A valid convolution of `x` with the kernel `k`, both active: the read `x[i + t]` moves with
/// the inner counter, `k[t]` is the counter itself.
#[differentiable]
fn convolution(x: &[f64], k: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() + 1 - k.len() {
        let mut c = 0.0;
        for t in 0..k.len() {
            c += x[i + t] * k[t];
        }
        s += c * c;
    }
    s
}

#[test]
fn a_convolution_in_both_inputs() {
    let x = [0.5, -1.0, 0.25, 2.0, -0.75, 1.5];
    let k = [0.2, -0.4, 0.9];
    let mut gx = [0.0; 6];
    let mut gk = [0.0; 3];
    let (y, ()) = convolution_vjp(&x, &mut gx, &k, &mut gk, 1.0);
    assert_eq!(y.to_bits(), convolution(&x, &k).to_bits());
    assert_near(&gx, &fd_grad(|x| convolution(x, &k), &x), 1e-6);
    assert_near(&gk, &fd_grad(|k| convolution(&x, k), &k), 1e-6);
    let (ux, uk) = ([0.1, 0.4, -0.3, 0.2, 0.9, -0.5], [1.0, -0.25, 0.5]);
    let (_, ju) = convolution_jvp(&x, &ux, &k, &uk);
    let u: Vec<f64> = ux.iter().chain(&uk).copied().collect();
    let g: Vec<f64> = gx.iter().chain(&gk).copied().collect();
    assert_dot(1.0, ju, &g, &u);
}

/// A packed lower triangle read column by column: the inner range starts at `c + 1`, and the
/// row's offset is a parameter.
#[differentiable]
fn triangle(q: &[f64], #[no_grad] x: &[f64], #[no_grad] offset: usize) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for c in 0..n {
        let mut col = 0.0;
        for r in c + 1..n {
            col += q[offset + r] * x[r] * x[c];
        }
        s += col.sin();
    }
    s
}

#[test]
fn a_range_that_starts_past_zero() {
    let x = [0.4, -0.3, 0.9, 1.2, -0.6];
    let q: Vec<f64> = (0..9).map(|k| 0.3 * (k as f64).cos()).collect();
    check_slice(
        "triangle",
        |q| triangle(q, &x, 3),
        |q, g, v| triangle_vjp(q, g, &x, 3, v).0,
        &q,
    );
    // The tangent is read through a window of the tangent slice.
    let u: Vec<f64> = (0..9).map(|k| 0.5 - 0.13 * k as f64).collect();
    let (_, ju) = triangle_jvp(&q, &u, &x, 3);
    let mut g = vec![0.0; 9];
    triangle_vjp(&q, &mut g, &x, 3, -0.8);
    assert_dot(-0.8, ju, &g, &u);
}

/// Differences of neighbours: the counter minus one, and an offset plus the counter plus one.
#[differentiable]
fn differences(x: &[f64], #[no_grad] offset: usize) -> f64 {
    let mut s = 0.0;
    for i in 1..x.len() {
        s += (x[i] - x[i - 1]).powi(2);
    }
    for i in 0..x.len() - offset - 1 {
        s += x[offset + i + 1] * x[i];
    }
    s
}

#[test]
fn reads_before_and_after_the_counter() {
    let x = [0.3, -1.2, 0.8, 2.0, -0.4, 1.1];
    check_slice(
        "differences",
        |x| differences(x, 2),
        |x, g, v| differences_vjp(x, g, 2, v).0,
        &x,
    );
    let u = [0.2, 0.1, -0.7, 0.4, 0.9, -0.3];
    let (_, ju) = differences_jvp(&x, &u, 2);
    let mut g = [0.0; 6];
    differences_vjp(&x, &mut g, 2, 0.6);
    assert_dot(0.6, ju, &g, &u);
}

/// `m` reads from `offset` on; no read when `m` is 0, wherever `offset` points.
#[differentiable]
fn tail(x: &[f64], #[no_grad] offset: usize, #[no_grad] m: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..m {
        s += x[offset + i] * x[offset + i];
    }
    s
}

#[test]
fn a_loop_without_iterations_reads_nothing() {
    let x = [1.0, 2.0, 3.0];
    let mut g = [0.0; 3];
    assert_eq!(tail_vjp(&x, &mut g, 100, 0, 1.0).0, 0.0);
    assert_eq!(g, [0.0; 3]);
    assert_eq!(tail_jvp(&x, &[1.0; 3], 100, 0), (0.0, 0.0));
    tail_vjp(&x, &mut g, 1, 2, 1.0);
    assert_eq!(g, [0.0, 4.0, 6.0]);
}

#[test]
#[should_panic]
fn a_read_past_the_end_panics_as_the_function_does() {
    let x = [1.0, 2.0, 3.0];
    let mut g = [0.0; 3];
    tail_vjp(&x, &mut g, 1, 3, 1.0);
}

/// Reads kept in range by the body: an `if` around the read, a `break` or a `continue` before
/// it, a `break` after it. The range runs past the slice's end, so a window over the whole
/// range would panic.
#[differentiable]
fn guarded(x: &[f64], #[no_grad] n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        if i < x.len() {
            s += x[i] * x[i];
        }
    }
    for i in 0..n {
        if i >= x.len() {
            break;
        }
        s += x[i].sin();
    }
    for i in 0..n {
        if i >= x.len() {
            continue;
        }
        s += 2.0 * x[i];
    }
    for i in 0..n {
        s += 0.5 * x[i] * x[i];
        if i + 1 >= x.len() {
            break;
        }
    }
    s
}

#[test]
fn reads_kept_in_range_by_the_body_do_not_panic() {
    let x = [0.5, -1.5, 2.0];
    check_slice(
        "guarded",
        |x| guarded(x, 7),
        |x, g, v| guarded_vjp(x, g, 7, v).0,
        &x,
    );
    let u = [0.3, 0.2, -0.9];
    let (_, ju) = guarded_jvp(&x, &u, 7);
    let mut g = [0.0; 3];
    guarded_vjp(&x, &mut g, 7, 1.0);
    assert_dot(1.0, ju, &g, &u);
}

/// Generic over the float type, reading an array through a reference.
#[differentiable]
fn weighted<T: vjp::Real>(x: &[T], #[no_grad] w: &[T; 4]) -> T {
    let mut s = T::zero();
    for r in 0..2 {
        for i in 0..2 {
            s += x[2 * r + i] * w[i + 2 * r] * x[r];
        }
    }
    s
}

#[test]
fn generic_reads_and_arrays_behind_references() {
    let w = [0.5, -1.0, 2.0, 0.25];
    let x = [0.3, -0.2, 1.1, 0.7];
    check_slice(
        "weighted",
        |x| weighted(x, &w),
        |x, g, v| weighted_vjp(x, g, &w, v).0,
        &x,
    );
    let w32 = w.map(|a| a as f32);
    let x32 = x.map(|a| a as f32);
    let mut g32 = [0.0f32; 4];
    weighted_vjp(&x32, &mut g32, &w32, 1.0);
    let mut g = [0.0; 4];
    weighted_vjp(&x, &mut g, &w, 1.0);
    for (a, b) in g32.iter().zip(&g) {
        assert!((*a as f64 - b).abs() < 1e-5 * b.abs().max(1.0));
    }
}
