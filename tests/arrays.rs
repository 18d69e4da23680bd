//! Local arrays written element by element: straight-line, in branches and in loops, read
//! before and after each write. The reverse of `a[i] = e` works in place on the adjoint of `a`
//! (`bar_e += bar_a[i]; bar_a[i] = 0`), so these check that sharing against finite differences.

#![deny(warnings)]

use vjp::{check_vjp, differentiable};

#[differentiable]
fn update_and_return(x: [f64; 3]) -> [f64; 3] {
    let mut h = x;
    h[0] = h[1] * h[2];
    h[1] += h[0].sin();
    h
}

#[differentiable]
fn update_in_branch(x: f64, y: f64) -> f64 {
    let mut h = [x, y, x * y];
    if x > 0.0 {
        h[2] = h[0] - h[1];
    } else {
        h[0] *= 3.0;
    }
    h[0] * h[1] + h[2]
}

#[differentiable]
fn running_updates(x: &[f64]) -> f64 {
    let mut h = [0.0; 4];
    for k in 0..3 {
        for j in 0..4 {
            h[j] = h[j] * 0.5 + x[j] * (k + 1) as f64;
            h[(j + 1) % 4] += h[j] * 0.1;
        }
    }
    h[0] * h[1] + h[2] * h[3]
}

#[differentiable]
fn swap_through_copy(x: [f64; 2]) -> f64 {
    let mut h = x;
    let old = h;
    h[0] = old[1];
    h[1] = old[0] * 2.0;
    h[0] * 10.0 + h[1] + old[0] * old[1]
}

#[test]
fn updates_match_finite_differences() {
    let x = [0.3, -1.2, 0.7];
    check_vjp(
        update_and_return,
        |x, v| update_and_return_vjp(x, v).1 .0,
        x,
        [1.0, -0.5, 2.0],
    )
    .unwrap();
    for (x, y) in [(0.4, 1.5), (-0.4, 1.5)] {
        check_vjp(
            |(x, y)| update_in_branch(x, y),
            |(x, y), v| update_in_branch_vjp(x, y, v).1,
            (x, y),
            1.0,
        )
        .unwrap();
    }
    check_vjp(
        swap_through_copy,
        |x, v| swap_through_copy_vjp(x, v).1 .0,
        [0.6, -0.9],
        1.0,
    )
    .unwrap();
}

#[test]
fn updates_in_loops_match_finite_differences() {
    let x = [0.3, -0.4, 0.8, 0.1];
    let f = |x: [f64; 4]| running_updates(&x);
    let vjp = |x: [f64; 4], v: f64| {
        let mut g = [0.0; 4];
        running_updates_vjp(&x, &mut g, v);
        g
    };
    check_vjp(f, vjp, x, 1.3).unwrap();
}

/// A hidden layer in a `Vec` buffer, filled in one loop and read in another.
#[differentiable]
fn vec_buffer(x: &[f64], #[no_grad] w: &[f64]) -> f64 {
    let n = x.len();
    let mut h = vec![0.0; n];
    for j in 0..n {
        h[j] = (x[j] * w[j]).tanh();
    }
    for j in 1..n {
        h[j] += h[j - 1] * 0.5;
    }
    let mut s = 0.0;
    for j in 0..n {
        s += h[j] * h[j] * w[j];
    }
    s
}

#[test]
fn vec_buffers_match_finite_differences() {
    let w = [0.7, -1.3, 0.4, 2.0, -0.6];
    let f = |x: [f64; 5]| vec_buffer(&x, &w);
    let vjp = |x: [f64; 5], v: f64| {
        let mut g = [0.0; 5];
        vec_buffer_vjp(&x, &mut g, &w, v);
        g
    };
    check_vjp(f, vjp, [0.3, -0.4, 0.8, 0.1, -0.9], 1.3).unwrap();
    let (_, ju) = vec_buffer_jvp(&[0.3, -0.4, 0.8, 0.1, -0.9], &[1.0, 0.0, 0.0, 0.0, 0.0], &w);
    let g = vjp([0.3, -0.4, 0.8, 0.1, -0.9], 1.0);
    assert!((ju - g[0]).abs() < 1e-12);
}

/// A `Vec` written outside loops, element by element, then read.
#[differentiable]
fn vec_straight(x: f64) -> f64 {
    let mut h = vec![0.0; 3];
    h[0] = x;
    h[1] = x * x;
    h[2] = h[0] * h[1];
    h[0] + h[2]
}

#[test]
fn vec_written_outside_loops() {
    let (dx,) = vec_straight_grad(1.5);
    assert_eq!(dx, 1.0 + 3.0 * 1.5 * 1.5);
}

/// `[x; 3]` of an active value, and of an array, written out as `[x, x, x]`; then written.
#[differentiable]
fn repeated(x: f64, y: f64) -> f64 {
    let mut a = [x * y; 3];
    let mut m = [[x, y]; 2];
    a[1] = a[0].sin() + y;
    m[1][0] = a[2] * m[0][1];
    a[0] * a[1] * a[2] + m[0][0] * m[1][0] - m[1][1]
}

#[test]
fn repeated_values() {
    for (x, y) in [(0.7, -0.4), (-1.2, 0.9)] {
        check_vjp(
            |(x, y)| repeated(x, y),
            |(x, y), v| repeated_vjp(x, y, v).1,
            (x, y),
            1.0,
        )
        .unwrap();
        // By hand: a = [p, sin p + y, p] with p = x y; m = [[x, y], [p y, y]].
        let p = x * y;
        // f = p² (sin p + y) + x p y - y: through p, and directly in x and y.
        let dp = 2.0 * p * (p.sin() + y) + p * p * p.cos() + x * y;
        let (dx_direct, dy_direct) = (p * y, p * p + x * p - 1.0);
        let (gx, gy) = repeated_grad(x, y);
        assert!((gx - (dp * y + dx_direct)).abs() < 1e-12, "{gx}");
        assert!((gy - (dp * x + dy_direct)).abs() < 1e-12, "{gy}");
    }
}
