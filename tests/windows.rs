//! `for w in xs.windows(m)` and `for c in xs.chunks_exact(m)` over float slices, in loops and
//! in reductions: gradients against closed forms and finite differences, the dot-product test
//! through forward mode, and the panics of the primal (an index past the window, a size of 0).
#![deny(warnings)]

mod common;

use common::{assert_near, fd_grad};
use vjp::differentiable;

fn point(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.3 + 0.21 * i as f64 - 0.04 * (i * i) as f64)
        .collect()
}

/// The sum of squared first differences.
#[differentiable]
fn roughness(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for w in x.windows(2) {
        s += (w[1] - w[0]).powi(2);
    }
    s
}

#[test]
fn first_differences_closed_form() {
    let x = point(6);
    let mut g = vec![0.0; 6];
    roughness_grad(&x, &mut g);
    // d/dx_i = 2 (x_i - x_{i-1}) - 2 (x_{i+1} - x_i), each term where it exists.
    let want: Vec<f64> = (0..6)
        .map(|i| {
            let left = if i > 0 { 2.0 * (x[i] - x[i - 1]) } else { 0.0 };
            let right = if i + 1 < 6 {
                2.0 * (x[i + 1] - x[i])
            } else {
                0.0
            };
            left - right
        })
        .collect();
    assert_near(&g, &want, 1e-14);
    // Fewer elements than a window: no windows, no gradient.
    let mut g = [0.0];
    roughness_grad(&[2.0], &mut g);
    assert_eq!(g, [0.0]);
}

/// The trapezoid rule as a reduction, and a second difference that reads `w.len()`.
#[differentiable]
fn trapezoid(y: &[f64], h: f64) -> f64 {
    y.windows(2).map(|w| 0.5 * (w[0] + w[1])).sum::<f64>() * h
}

#[differentiable]
fn bending(x: &[f64], k: f64) -> f64 {
    let mut e = 0.0;
    for w in x.windows(3) {
        let mid = w.len() / 2;
        let c = w[mid - 1] - 2.0 * w[mid] + w[mid + 1];
        e += k * c * c + (w[0] * k).sin();
    }
    e
}

#[test]
fn reductions_and_longer_windows_match_finite_differences() {
    let y = point(5);
    let mut g = vec![0.0; 5];
    let (dh,) = trapezoid_grad(&y, &mut g, 0.1);
    assert_near(&g, &[0.05, 0.1, 0.1, 0.1, 0.05], 1e-15);
    assert_near(&[dh], &[trapezoid(&y, 1.0)], 1e-15);

    let x = point(7);
    let mut g = vec![0.0; 7];
    let (dk,) = bending_grad(&x, &mut g, 0.8);
    assert_near(&g, &fd_grad(|x| bending(x, 0.8), &x), 1e-6);
    let fd_k = (bending(&x, 0.8 + 1e-6) - bending(&x, 0.8 - 1e-6)) / 2e-6;
    assert_near(&[dk], &[fd_k], 1e-6);
}

/// Windows of a size given at run time, and exact chunks: the norms of 3-vectors stored one
/// after another (a trailing partial chunk is left out, as `chunks_exact` does).
#[differentiable]
fn spread(x: &[f64], m: usize) -> f64 {
    let mut s = 0.0;
    for w in x.windows(m) {
        s += (w[m - 1] - w[0]).powi(2) * w[0];
    }
    s
}

#[differentiable]
fn lengths(p: &[f64]) -> f64 {
    let mut s = 0.0;
    for v in p.chunks_exact(3) {
        s += (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    }
    s
}

#[test]
fn run_time_sizes_and_exact_chunks() {
    let x = point(6);
    for m in [1, 2, 4, 6, 9] {
        let mut g = vec![0.0; 6];
        spread_grad(&x, &mut g, m);
        assert_near(&g, &fd_grad(|x| spread(x, m), &x), 1e-6);
    }
    let p = point(8);
    let mut g = vec![0.0; 8];
    lengths_grad(&p, &mut g);
    let mut want = vec![0.0; 8];
    for c in 0..2 {
        let v = &p[3 * c..3 * c + 3];
        let n = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        for j in 0..3 {
            want[3 * c + j] = v[j] / n;
        }
    }
    assert_near(&g, &want, 1e-14);
}

#[test]
fn forward_and_reverse_agree() {
    let x = point(7);
    let u = [0.3, -0.1, 0.7, 0.2, -0.5, 0.9, 0.4];
    let (y, ju) = bending_jvp(&x, &u, 0.8, 0.0);
    assert_eq!(y, bending(&x, 0.8));
    let mut g = vec![0.0; 7];
    bending_vjp(&x, &mut g, 0.8, 1.5);
    let jtv_u: f64 = g.iter().zip(&u).map(|(a, b)| a * b).sum();
    assert!((jtv_u - 1.5 * ju).abs() <= 1e-13 * jtv_u.abs().max(1.0));
}

/// A recurrence over windows: not an accumulation, so the reverse sweep runs the windows
/// backwards with the values saved on a tape.
#[differentiable]
fn recurrence(x: &[f64], m: usize, y0: f64) -> f64 {
    let mut y = y0;
    for w in x.windows(m) {
        y = (y * w[0] + w[m - 1]).sin() + 0.5 * y;
    }
    for c in x.chunks_exact(2) {
        y = y * c[1] - (c[0] * y).tanh();
    }
    y
}

#[test]
fn recurrences_run_their_windows_backwards() {
    let x = point(7);
    for m in [1, 3] {
        let mut g = vec![0.0; 7];
        let (dy0,) = recurrence_grad(&x, &mut g, m, 0.4);
        assert_near(&g, &fd_grad(|x| recurrence(x, m, 0.4), &x), 1e-6);
        let fd = (recurrence(&x, m, 0.4 + 1e-6) - recurrence(&x, m, 0.4 - 1e-6)) / 2e-6;
        assert_near(&[dy0], &[fd], 1e-6);
    }
}

/// Reads past its window when `j` is 2: the primal panics there, and so must the gradient.
#[differentiable]
fn past_the_window(x: &[f64], j: usize) -> f64 {
    let mut s = 0.0;
    for w in x.windows(2) {
        s += w[j] * w[0];
    }
    s
}

#[test]
#[should_panic(expected = "index out of bounds: the len is 2 but the index is 2")]
fn an_index_past_the_window_panics() {
    let x = point(4);
    let mut g = vec![0.0; 4];
    past_the_window_grad(&x, &mut g, 2);
}

#[test]
#[should_panic(expected = "window size must be non-zero")]
fn a_window_size_of_zero_panics() {
    let x = point(4);
    let mut g = vec![0.0; 4];
    spread_grad(&x, &mut g, 0);
}

/// A matrix stored by rows times a vector: the rows as exact chunks of the vector's length,
/// each row iterated (`row.iter()`), and the result summed without a written type (the
/// function returns it as it is, so it has the return type).
#[differentiable]
fn matvec(a: &[f64], x: &[f64]) -> f64 {
    a.chunks_exact(x.len())
        .map(|row| row.iter().zip(x).map(|(r, v)| r * v).sum::<f64>().tanh())
        .sum()
}

#[test]
fn rows_of_a_matrix_as_chunks() {
    let a = point(6);
    let x = [0.7, -0.2, 0.3];
    let (mut ga, mut gx) = (vec![0.0; 6], vec![0.0; 3]);
    matvec_grad(&a, &mut ga, &x, &mut gx);
    assert_near(&ga, &fd_grad(|a| matvec(a, &x), &a), 1e-6);
    assert_near(&gx, &fd_grad(|x| matvec(&a, x), &x), 1e-6);
    // By hand: d/dA_ij = (1 - tanh²(r_i)) x_j.
    for i in 0..2 {
        let r: f64 = (0..3).map(|j| a[3 * i + j] * x[j]).sum();
        for j in 0..3 {
            let want = (1.0 - r.tanh().powi(2)) * x[j];
            assert!((ga[3 * i + j] - want).abs() < 1e-15);
        }
    }
}

/// Numbered windows, and differences collected into a `Vec`.
#[differentiable]
fn slopes(y: &[f64], h: f64) -> f64 {
    let d: Vec<f64> = y.windows(2).map(|w| (w[1] - w[0]) / h).collect();
    let mut s = 0.0;
    for (i, w) in d.windows(2).enumerate() {
        s += (i as f64 + 1.0) * (w[1] - w[0]).powi(2);
    }
    s
}

#[test]
fn numbered_windows_and_collected_differences() {
    let y = point(6);
    let h = 0.4;
    let mut g = vec![0.0; 6];
    let (gh,) = slopes_grad(&y, &mut g, h);
    assert_near(&g, &fd_grad(|y| slopes(y, h), &y), 1e-6);
    let fd = (slopes(&y, h + 1e-6) - slopes(&y, h - 1e-6)) / 2e-6;
    assert_near(&[gh], &[fd], 1e-6);
}

/// The same idioms in a function generic over `T: Real`, run in `f32` and `f64`.
#[differentiable]
fn generic_rough<T: vjp::Real>(x: &[T], k: T) -> T {
    let mut s = T::zero();
    for w in x.windows(2) {
        s += (w[1] - w[0]) * (w[1] - w[0]) * k;
    }
    let c = |t: T| t * k;
    s + x
        .iter()
        .skip(1)
        .map(|&v| c(v))
        .fold(T::zero(), |a, b| a + b)
}

#[test]
fn generic_windows_closures_and_rows() {
    let x = point(5);
    let mut g = vec![0.0; 5];
    let (gk,) = generic_rough_grad(&x, &mut g, 0.6);
    assert_near(&g, &fd_grad(|x| generic_rough(x, 0.6), &x), 1e-6);
    let fd = (generic_rough(&x, 0.6 + 1e-6) - generic_rough(&x, 0.6 - 1e-6)) / 2e-6;
    assert_near(&[gk], &[fd], 1e-6);
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let mut g32 = vec![0.0f32; 5];
    let (gk32,) = generic_rough_grad(&x32, &mut g32, 0.6f32);
    for (a, b) in g32.iter().zip(&g) {
        assert!((*a as f64 - b).abs() < 1e-5, "{g32:?} vs {g:?}");
    }
    assert!((gk32 as f64 - gk).abs() < 1e-5);
}
