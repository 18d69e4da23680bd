//! Element reads through rows, `m[i][j]`, which the generated code reads from `m` directly
//! and whose adjoints go straight to `bar_m[i][j]` (vjp-macro/src/views.rs): local nested
//! arrays written between reads, chains of three indices, a tuple field then an index, reads
//! in branches and with index arithmetic, against central finite differences and the
//! dot-product test; and rows bound to names, which stay copies.
#![deny(warnings)]
#![allow(clippy::needless_range_loop, clippy::assign_op_pattern)] // `m[i][0] = m[i][0] + e`: the in-place read and write on purpose

mod common;

use common::{assert_near, fd_grad};
use vjp::differentiable;

/// A local matrix filled, read, written in place and read again.
#[differentiable]
fn local_matrix(x: &[f64]) -> f64 {
    let mut m = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            m[i][j] = x[i] * x[(j + 1) % x.len()] + (i + j) as f64 * 0.1;
        }
    }
    let mut s = 0.0;
    for i in 0..3 {
        s += m[i][i] * m[(i + 1) % 3][i];
        m[i][0] = m[i][0] + x[i].sin();
        m[(i + 2) % 3][1] = m[i][0] * m[i][2];
        s += m[i][0] - 0.5 * m[(i + 2) % 3][1];
    }
    if m[0][1] > 0.2 {
        s += m[0][1].exp();
    } else {
        s -= m[1][0] * m[2][2];
    }
    s
}

/// Three indices deep, a tuple's array field, and a row bound to a name.
#[differentiable]
fn deep(c: &[[[f64; 2]; 2]], t: ([f64; 3], f64)) -> f64 {
    let mut s = t.1;
    for k in 0..c.len() {
        s += c[k][0][1] * c[k][1][0] - c[k][(k + 1) % 2][k % 2].powi(2);
        s += t.0[k % 3] * c[k][1][1];
    }
    let row = c[0][1];
    s + row[0] * row[1]
}

#[test]
fn local_matrix_finite_differences() {
    for x in [[0.4, -0.7, 1.1], [0.9, 0.3, -0.2]] {
        let mut g = [0.0; 3];
        local_matrix_grad(&x, &mut g);
        assert_near(&g, &fd_grad(local_matrix, &x), 1e-6);
    }
}

#[test]
fn deep_finite_differences() {
    let c: Vec<[[f64; 2]; 2]> = (0..3)
        .map(|k| {
            let k = k as f64;
            [[0.3 + k, -0.2 * k], [0.7 - 0.1 * k, 0.5 * k - 0.4]]
        })
        .collect();
    let t = ([0.2, -1.1, 0.6], 0.25);
    let mut g = vec![[[0.0; 2]; 2]; 3];
    let ((gt0, gt1),) = deep_grad(&c, &mut g, t);
    let flat: Vec<f64> = c.iter().flat_map(|m| m.iter().flatten().copied()).collect();
    let unflat = |p: &[f64]| -> Vec<[[f64; 2]; 2]> {
        p.chunks_exact(4)
            .map(|q| [[q[0], q[1]], [q[2], q[3]]])
            .collect()
    };
    let want = fd_grad(|p| deep(&unflat(p), t), &flat);
    let got: Vec<f64> = g.iter().flat_map(|m| m.iter().flatten().copied()).collect();
    assert_near(&got, &want, 1e-6);
    let want_t = fd_grad(
        |p| deep(&c, ([p[0], p[1], p[2]], p[3])),
        &[0.2, -1.1, 0.6, 0.25],
    );
    assert_near(&[gt0[0], gt0[1], gt0[2], gt1], &want_t, 1e-6);
}

/// <v, J u> = <J^T v, u> between `NAME_jvp` and `NAME_vjp`.
#[test]
fn dot_product_test() {
    let x = [0.4, -0.7, 1.1];
    let u = [0.3, 0.9, -0.5];
    let v = 1.7;
    let (_, ju) = local_matrix_jvp(&x, &u);
    let mut g = [0.0; 3];
    local_matrix_vjp(&x, &mut g, v);
    let rhs: f64 = g.iter().zip(&u).map(|(a, b)| a * b).sum();
    assert!(
        (v * ju - rhs).abs() < 1e-10 * rhs.abs().max(1.0),
        "{} {rhs}",
        v * ju
    );

    let c = vec![[[0.3, -0.2], [0.7, 0.1]], [[-0.5, 0.4], [0.2, 0.9]]];
    let dc = vec![[[0.1, 0.2], [-0.3, 0.4]], [[0.5, -0.6], [0.7, 0.8]]];
    let t = ([0.2, -1.1, 0.6], 0.25);
    let dt = ([-0.4, 0.3, 0.2], 1.5);
    let (_, ju) = deep_jvp(&c, &dc, t, dt);
    let mut g = vec![[[0.0; 2]; 2]; 2];
    let (_, ((gt0, gt1),)) = deep_vjp(&c, &mut g, t, v);
    let mut rhs = gt1 * dt.1;
    for k in 0..3 {
        rhs += gt0[k] * dt.0[k];
    }
    for k in 0..2 {
        for a in 0..2 {
            for b in 0..2 {
                rhs += g[k][a][b] * dc[k][a][b];
            }
        }
    }
    assert!(
        (v * ju - rhs).abs() < 1e-10 * rhs.abs().max(1.0),
        "{} {rhs}",
        v * ju
    );
}

/// Element writes through rows: `m[i][j] = e`, `+=`, three deep, a tuple's array field, in
/// branches, with index arithmetic, and reads of the rows in between.
#[differentiable]
fn writes(x: &[f64], t: ([f64; 2], f64)) -> f64 {
    let mut m = [[0.0; 3]; 2];
    let mut cube = [[[0.0; 2]; 2]; 2];
    let mut pair = t;
    for i in 0..2 {
        for j in 0..3 {
            m[i][j] = (x[i + j] * t.1).sin();
            m[i][(j + 1) % 3] += 0.5 * x[j] * m[i][j];
            if m[i][j] > 0.0 {
                cube[i][j % 2][(i + j) % 2] = m[i][j] * x[j];
                pair.0[j % 2] *= 1.0 + 0.1 * m[i][j];
            } else {
                cube[i][1][j % 2] -= m[i][(j + 2) % 3];
            }
        }
        let row = m[i];
        m[1 - i][0] = row[1] * row[2] + cube[i][0][1];
    }
    let mut s = pair.1;
    for i in 0..2 {
        s += m[i][0] * m[i][1] - m[i][2] + cube[i][1][1] * pair.0[i] + cube[i][0][0];
    }
    s
}

#[test]
fn writes_finite_differences() {
    for (x, t) in [
        ([0.4, -0.7, 1.1, 0.3], ([0.5, -0.25], 0.8)),
        ([-0.9, 0.2, 0.6, -1.3], ([1.5, 0.75], -1.2)),
    ] {
        let mut g = [0.0; 4];
        let ((gt0, gt1),) = writes_grad(&x, &mut g, t);
        assert_near(&g, &fd_grad(|p| writes(p, t), &x), 1e-6);
        let want = fd_grad(|p| writes(&x, ([p[0], p[1]], p[2])), &[t.0[0], t.0[1], t.1]);
        assert_near(&[gt0[0], gt0[1], gt1], &want, 1e-6);
        // The dot-product test.
        let (u, ut, v) = ([0.3, -0.2, 0.9, 0.4], ([0.7, -0.1], 0.5), -0.6);
        let (_, ju) = writes_jvp(&x, &u, t, ut);
        let mut g = [0.0; 4];
        let (_, ((gt0, gt1),)) = writes_vjp(&x, &mut g, t, v);
        let rhs: f64 = g.iter().zip(&u).map(|(a, b)| a * b).sum::<f64>()
            + gt0[0] * ut.0[0]
            + gt0[1] * ut.0[1]
            + gt1 * ut.1;
        assert!(
            (v * ju - rhs).abs() < 1e-10 * rhs.abs().max(1.0),
            "{} {rhs}",
            v * ju
        );
    }
}

/// `h[i][j] += e` in loops: the element's adjoint stays in place in the reverse.
#[differentiable]
fn accumulated(w: &[[f64; 3]], x: &[f64]) -> f64 {
    let mut h = [[0.0; 3]; 2];
    for k in 0..3 {
        for i in 0..2 {
            for j in 0..3 {
                h[i][j] += w[i][j] * x[j] * (k as f64 + 0.5);
                h[1 - i][j] -= 0.25 * h[i][(j + 1) % 3];
            }
        }
    }
    h[0][1] * h[1][2] + h[0][0].sin()
}

#[test]
fn accumulated_finite_differences() {
    let w = [[0.3, -0.5, 0.8], [1.1, 0.2, -0.4]];
    let x = [0.6, -0.9, 0.35];
    let mut gw = [[0.0; 3]; 2];
    let mut gx = [0.0; 3];
    accumulated_grad(&w, &mut gw, &x, &mut gx);
    let flat: Vec<f64> = w.iter().flatten().copied().collect();
    let want = fd_grad(
        |p| accumulated(&[[p[0], p[1], p[2]], [p[3], p[4], p[5]]], &x),
        &flat,
    );
    assert_near(gw.as_flattened(), &want, 1e-6);
    assert_near(&gx, &fd_grad(|p| accumulated(&w, p), &x), 1e-6);
}
