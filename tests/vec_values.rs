//! Local `Vec`s, which are not `Copy`, moved and copied by the generated code: a `Vec` first
//! written in one branch, `.clone()` of a `Vec` and of a row of a `Vec<Vec<f64>>`, a
//! `Vec<Vec<f64>>` written while still constant, and the same under `NAME_grad`'s forward
//! lanes. Each once failed to compile (E0382 or E0507 in the generated code; found by a
//! review of the row and lending work); checked against central differences and the
//! dot-product test.
#![deny(warnings)]
#![allow(clippy::needless_range_loop)]

mod common;

use common::{assert_near, fd_grad};
use vjp::differentiable;

/// A `Vec` that has no derivative until one branch writes it.
#[differentiable]
fn written_in_one_branch(x: f64) -> f64 {
    let mut p = vec![0.0; 2];
    p[1] = 0.5;
    if x > 1.0 {
        p[0] = x;
    }
    p[0] * p[1] + x
}

/// The same, in a loop over two scalar inputs: `NAME_grad` runs forward lanes.
#[differentiable]
fn written_in_one_branch_lanes(a: f64, b: f64) -> f64 {
    let mut s = a;
    for _ in 0..4 {
        let mut p = vec![0.1; 2];
        if s > 0.0 {
            p[0] = s * b;
        }
        s = (p[0] + s).sin();
    }
    s
}

/// `.clone()` of a `Vec`, and of a row of a `Vec<Vec<f64>>`.
#[differentiable]
fn clones(x: &[f64]) -> f64 {
    let h = x.to_vec();
    let old = h.clone();
    let mut m: Vec<Vec<f64>> = vec![vec![0.0; 2]; 2];
    for i in 0..2 {
        for j in 0..2 {
            m[i][j] = x[i] * x[j + 1];
        }
    }
    m[1] = m[0].clone();
    m[1][0] *= x[2];
    h[0] * old[1] + m[1][0] * m[0][1] - m[1][1]
}

/// A `Vec<Vec<f64>>` written outside any loop while it is still constant.
#[differentiable]
fn constant_grid_written(x: f64) -> f64 {
    let mut m: Vec<Vec<f64>> = vec![vec![0.0; 2]; 2];
    m[1][0] = 2.0;
    m[0][1] = x;
    m[0][1] * x + m[1][0]
}

/// A `Vec<Vec<f64>>` written in a loop over one scalar input: forward lanes.
#[differentiable]
fn grid_lanes(a: f64) -> f64 {
    let mut m: Vec<Vec<f64>> = vec![vec![0.0; 2]; 2];
    let mut s = a;
    for k in 0..3 {
        m[k % 2][0] = s;
        s = (m[k % 2][0] * a).sin() + m[1][0];
    }
    s
}

#[test]
fn finite_differences() {
    for x in [0.4, 1.7] {
        let (g,) = written_in_one_branch_grad(x);
        assert_near(&[g], &fd_grad(|p| written_in_one_branch(p[0]), &[x]), 1e-6);
        let (g,) = constant_grid_written_grad(x);
        assert_near(&[g], &fd_grad(|p| constant_grid_written(p[0]), &[x]), 1e-6);
        let (g,) = grid_lanes_grad(x);
        assert_near(&[g], &fd_grad(|p| grid_lanes(p[0]), &[x]), 1e-6);
        let (_, (v,)) = grid_lanes_vjp(x, 1.0);
        assert!((g - v).abs() < 1e-12);
    }
    for (a, b) in [(0.6, -0.3), (-0.4, 0.9)] {
        let (ga, gb) = written_in_one_branch_lanes_grad(a, b);
        let want = fd_grad(|p| written_in_one_branch_lanes(p[0], p[1]), &[a, b]);
        assert_near(&[ga, gb], &want, 1e-6);
    }
    let x = [0.3, -0.7, 1.2];
    let mut g = [0.0; 3];
    clones_grad(&x, &mut g);
    assert_near(&g, &fd_grad(clones, &x), 1e-6);
}

/// <v, J u> = <J^T v, u> between `NAME_jvp` and `NAME_vjp`.
#[test]
fn dot_product_test() {
    let (u, v) = (0.7, -1.3);
    for x in [0.4, 1.7] {
        let (_, ju) = written_in_one_branch_jvp(x, u);
        let (_, (g,)) = written_in_one_branch_vjp(x, v);
        assert!((v * ju - g * u).abs() < 1e-12);
        let (_, ju) = constant_grid_written_jvp(x, u);
        let (_, (g,)) = constant_grid_written_vjp(x, v);
        assert!((v * ju - g * u).abs() < 1e-12);
    }
    let x = [0.3, -0.7, 1.2];
    let du = [0.5, 0.25, -1.0];
    let (_, ju) = clones_jvp(&x, &du);
    let mut g = [0.0; 3];
    clones_vjp(&x, &mut g, v);
    let rhs: f64 = g.iter().zip(&du).map(|(a, b)| a * b).sum();
    assert!((v * ju - rhs).abs() < 1e-12 * rhs.abs().max(1.0));
}

/// `x.clone()` of a `&Vec<f64>` parameter is a working copy (as `x.to_vec()`), and an integer
/// computed from a float (`(x * 10.0) as usize % 3`) carries no derivative.
#[differentiable]
#[allow(clippy::ptr_arg)]
fn copies_and_integers(x: &Vec<f64>) -> f64 {
    let mut h = x.clone();
    h[0] = h[1] * 2.0;
    let q = (x[0] * 10.0) as usize % 3;
    h[0] * x[0] + h[q] * (q as f64 + 1.0)
}

#[test]
fn copies_and_integers_finite_differences() {
    for x in [vec![0.34, -0.5, 1.25], vec![0.05, 0.7, -0.2]] {
        let mut g = vec![0.0; 3];
        copies_and_integers_grad(&x, &mut g);
        assert_near(&g, &fd_grad(|p| copies_and_integers(&p.to_vec()), &x), 1e-6);
    }
}

/// A `Vec` written in an inner loop: moved into the inner loop's slot, not cloned per outer
/// iteration; and the cases that must still copy it (read again in the outer body, lent after
/// the inner loop, an inner loop in a branch).
#[differentiable]
fn nested_buffers(w: &[f64], x: &[f64]) -> f64 {
    let n = x.len();
    let m = w.len() / n;
    let mut h = vec![0.0; m];
    for i in 0..m {
        for j in 0..n {
            h[i] += w[i * n + j] * x[j];
        }
    }
    let mut g = vec![0.1; m];
    let mut s = 0.0;
    for i in 0..m {
        let before = g[i];
        if h[i] > 0.0 {
            for j in 0..n {
                g[i] += (h[i] * x[j]).sin();
            }
        }
        s += before * g[i] + g.iter().map(|v| v * v).sum::<f64>() * 0.01;
    }
    s + h.iter().map(|v| v.tanh()).sum::<f64>()
}

#[test]
fn nested_buffers_finite_differences() {
    let w = [0.3, -0.5, 0.8, 1.1, 0.2, -0.4, 0.6, -0.9, 0.35];
    let x = [0.7, -0.2, 0.45];
    let mut gw = [0.0; 9];
    let mut gx = [0.0; 3];
    nested_buffers_grad(&w, &mut gw, &x, &mut gx);
    assert_near(&gw, &fd_grad(|p| nested_buffers(p, &x), &w), 1e-6);
    assert_near(&gx, &fd_grad(|p| nested_buffers(&w, p), &x), 1e-6);
}

/// An inner loop whose range or condition reads the `Vec` it writes, which the loop around
/// carries.
#[differentiable]
fn ranges_read_the_buffer(x: &[f64]) -> f64 {
    let mut h = vec![0.5; x.len()];
    let mut s = 0.0;
    for i in 0..2 {
        for j in 0..h.len() {
            h[j] += x[j] * (i as f64 + 1.0);
        }
        let mut k = 0;
        while k < h.len() {
            h[k] = h[k] * x[k] + 0.1;
            k += 1;
        }
        s += h[i].tanh();
    }
    s
}

#[test]
fn ranges_read_the_buffer_finite_differences() {
    let x = [0.5, -1.0, 0.3];
    let mut g = [0.0; 3];
    ranges_read_the_buffer_grad(&x, &mut g);
    assert_near(&g, &fd_grad(ranges_read_the_buffer, &x), 1e-6);
}

/// From a review of the undo logs (found failing before them too): a `Vec<usize>` declared with
/// its type and permuted in a loop whose reverse reads it was moved onto the tape (or into the
/// fused loop's copy at iteration start) instead of cloned, and a fused loop's write-back moved
/// the `Vec` version that a branch's reverse, later in the same iteration, reads (E0382 in the
/// generated code).
#[differentiable]
fn int_permutation(x: &[f64]) -> f64 {
    let n = x.len();
    let mut p: Vec<usize> = (0..n).collect();
    let mut s = 0.0;
    let mut h = 1.0;
    for i in 0..n {
        p[i] = p[(i + 2) % n];
        s += x[p[i]] * x[i];
        h = h * x[p[(i + 1) % n]] + 0.1;
    }
    s + h
}

#[differentiable]
fn int_permutation_fused(x: &[f64]) -> f64 {
    let n = x.len();
    let mut p: Vec<usize> = (0..n).collect();
    let mut s = 0.0;
    for i in 0..n {
        p[i] = p[(i + 2) % n];
        s += x[p[i]] * x[i];
    }
    s
}

#[differentiable]
fn fused_inactive_vec_branch(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![1.0; n + 1];
    let mut s = 0.0;
    for i in 0..n {
        let p = c[i];
        c[i + 1] = p * 0.7 + 0.3;
        if x[i] > 0.0 {
            s += x[i] * c[i] * c[i + 1];
        } else {
            s -= x[i] * x[i] * p;
        }
    }
    s
}

#[test]
fn typed_index_vecs_and_fused_write_backs() {
    let x = [0.4, -0.7, 1.3, 0.25, -1.1];
    let check = |f: fn(&[f64]) -> f64, vjp: &dyn Fn(&[f64], &mut [f64]) -> f64| {
        let mut g = vec![0.0; x.len()];
        let y = vjp(&x, &mut g);
        assert_eq!(y.to_bits(), f(&x).to_bits());
        assert_near(&g, &fd_grad(f, &x), 1e-6);
    };
    check(int_permutation, &|p, g| int_permutation_vjp(p, g, 1.0).0);
    check(int_permutation_fused, &|p, g| {
        int_permutation_fused_vjp(p, g, 1.0).0
    });
    check(fused_inactive_vec_branch, &|p, g| {
        fused_inactive_vec_branch_vjp(p, g, 1.0).0
    });
}
