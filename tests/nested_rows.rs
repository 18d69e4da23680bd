//! Rows of arrays as active parameters: `&[[F; N]]`, `&Vec<[F; N]>` and `&[[F; N]; M]`, with a
//! shadow of the same shape (`&mut [[F; N]]`). Gradients against closed forms and central
//! finite differences over the flattened values, and the dot-product test through forward mode.
#![deny(warnings)]
#![allow(clippy::needless_range_loop)]

mod common;

use common::{assert_near, fd_grad};
use vjp::differentiable;

/// Points along a curve, three coordinates each.
fn points(n: usize) -> Vec<[f64; 3]> {
    (0..n)
        .map(|i| {
            let t = i as f64;
            [0.4 + 0.3 * t, (0.7 * t).sin() - 0.2, 0.1 * t * t - 0.5]
        })
        .collect()
}

/// The points of a flat slice of coordinates.
fn unflatten<const N: usize>(flat: &[f64]) -> Vec<[f64; N]> {
    flat.chunks_exact(N)
        .map(|c| std::array::from_fn(|j| c[j]))
        .collect()
}

/// A chain of springs: k Σ_i |p_i - p_{i-1}|², indexed twice.
#[differentiable]
fn springs(pos: &[[f64; 3]], k: f64) -> f64 {
    let mut e = 0.0;
    for i in 1..pos.len() {
        let mut d2 = 0.0;
        for j in 0..3 {
            let d = pos[i][j] - pos[i - 1][j];
            d2 += d * d;
        }
        e += k * d2;
    }
    e
}

#[test]
fn springs_closed_form() {
    let pos = points(5);
    let k = 1.7;
    let mut g = vec![[0.0; 3]; 5];
    let (dk,) = springs_grad(&pos, &mut g, k);
    // d/dp_i = 2k (p_i - p_{i-1}) - 2k (p_{i+1} - p_i), each term where it exists.
    for i in 0..5 {
        for j in 0..3 {
            let left = if i > 0 {
                pos[i][j] - pos[i - 1][j]
            } else {
                0.0
            };
            let right = if i < 4 {
                pos[i + 1][j] - pos[i][j]
            } else {
                0.0
            };
            let want = 2.0 * k * (left - right);
            assert!(
                (g[i][j] - want).abs() < 1e-12,
                "{i} {j}: {} {want}",
                g[i][j]
            );
        }
    }
    assert!((dk - springs(&pos, k) / k).abs() < 1e-12);
}

#[test]
fn shadow_accumulates() {
    let pos = points(4);
    let mut once = vec![[0.0; 3]; 4];
    springs_grad(&pos, &mut once, 0.5);
    let mut twice = vec![[0.0; 3]; 4];
    springs_grad(&pos, &mut twice, 0.5);
    springs_grad(&pos, &mut twice, 0.5);
    for (a, b) in once.iter().zip(&twice) {
        for j in 0..3 {
            // Each call adds its terms one by one into the shadow: equal up to rounding.
            assert!((2.0 * a[j] - b[j]).abs() < 1e-12 * a[j].abs().max(1.0));
            assert!(a[j] != 0.0);
        }
    }
}

#[test]
#[should_panic(expected = "the shadow of `pos` has length 3 but `pos` has length 4")]
fn shadow_length_checked() {
    let pos = points(4);
    let mut g = vec![[0.0; 3]; 3];
    springs_grad(&pos, &mut g, 1.0);
}

/// A point copied out whole, read by index and destructured.
#[differentiable]
#[allow(clippy::ptr_arg)] // `&Vec<_>` on purpose: a parameter form of the contract.
fn moments(pos: &Vec<[f64; 2]>) -> f64 {
    let mut s = 0.0;
    for i in 0..pos.len() {
        let p = pos[i];
        let [x, y] = pos[i];
        s += p[0] * p[1].sin() + x * x * y;
    }
    s
}

/// Loops over the points themselves: `iter()`, a zip with a second row, and `&p` patterns.
#[differentiable]
fn kinetic(vel: &[[f64; 3]], mass: &[f64]) -> f64 {
    let mut e = 0.0;
    for (v, m) in vel.iter().zip(mass) {
        e += 0.5 * m * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    }
    for &v in vel {
        e += 0.01 * v[2];
    }
    e
}

/// A reduction over the points, and windows of consecutive points.
#[differentiable]
fn path_terms(pos: &[[f64; 3]]) -> f64 {
    let spread: f64 = pos.iter().map(|p| p[0] * p[1] - p[2].cos()).sum();
    let mut bend = 0.0;
    for w in pos.windows(3) {
        for j in 0..3 {
            bend += (w[0][j] - 2.0 * w[1][j] + w[2][j]).powi(2);
        }
    }
    spread + bend
}

/// A point passed by value to a differentiable callee, and the whole row to another.
#[differentiable]
fn norm2(p: [f64; 3]) -> f64 {
    p[0] * p[0] + p[1] * p[1] + p[2] * p[2]
}

#[differentiable]
fn centre_x(pos: &[[f64; 3]]) -> f64 {
    let mut s = 0.0;
    for i in 0..pos.len() {
        s += pos[i][0];
    }
    s / pos.len() as f64
}

#[differentiable]
fn callers(pos: &[[f64; 3]]) -> f64 {
    let mut s = 0.0;
    for i in 0..pos.len() {
        s += norm2(pos[i]).sqrt();
    }
    s * centre_x(pos)
}

/// A fixed-size reference, `&[[F; N]; M]`, generic over the float type.
#[differentiable]
fn det3<T: vjp::Real>(m: &[[T; 3]; 3]) -> T {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// Checks a gradient of a function of `&[[f64; N]]` against central differences.
fn check_fd<const N: usize>(
    f: impl Fn(&[[f64; N]]) -> f64,
    grad: impl Fn(&[[f64; N]], &mut [[f64; N]]),
    pos: &[[f64; N]],
) {
    let mut g = vec![[0.0; N]; pos.len()];
    grad(pos, &mut g);
    let want = fd_grad(|flat| f(&unflatten::<N>(flat)), pos.as_flattened());
    assert_near(g.as_flattened(), &want, 1e-6);
}

#[test]
fn finite_differences() {
    let pos = points(6);
    check_fd(
        |p| springs(p, 0.8),
        |p, g| {
            springs_grad(p, g, 0.8);
        },
        &pos,
    );
    check_fd(
        path_terms,
        |p, g| {
            path_terms_grad(p, g);
        },
        &pos,
    );
    check_fd(
        callers,
        |p, g| {
            callers_grad(p, g);
        },
        &pos,
    );
    let mass: Vec<f64> = (0..6).map(|i| 1.0 + 0.5 * i as f64).collect();
    let mut g_mass = vec![0.0; 6];
    let mut g = vec![[0.0; 3]; 6];
    kinetic_grad(&pos, &mut g, &mass, &mut g_mass);
    let want = fd_grad(
        |flat| kinetic(&unflatten::<3>(flat), &mass),
        pos.as_flattened(),
    );
    assert_near(g.as_flattened(), &want, 1e-6);
    let want_mass = fd_grad(|m| kinetic(&pos, m), &mass);
    assert_near(&g_mass, &want_mass, 1e-6);

    let planar: Vec<[f64; 2]> = pos.iter().map(|p| [p[0], p[1]]).collect();
    check_fd(
        |p| moments(&p.to_vec()),
        |p, g| {
            moments_grad(&p.to_vec(), g);
        },
        &planar,
    );
}

#[test]
fn determinant_gradient_is_the_cofactor_matrix() {
    let m: [[f64; 3]; 3] = [[2.0, -1.0, 0.5], [0.3, 1.5, -2.0], [1.0, 0.25, 3.0]];
    let mut g = [[0.0; 3]; 3];
    det3_grad(&m, &mut g);
    for i in 0..3 {
        for j in 0..3 {
            let (r0, r1) = ((i + 1) % 3, (i + 2) % 3);
            let (c0, c1) = ((j + 1) % 3, (j + 2) % 3);
            let cofactor = m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
            assert!((g[i][j] - cofactor).abs() < 1e-12, "{i} {j}");
        }
    }
    let m32 = m.map(|row| row.map(|v| v as f32));
    let mut g32 = [[0.0f32; 3]; 3];
    det3_grad(&m32, &mut g32);
    for i in 0..3 {
        for j in 0..3 {
            assert!((g32[i][j] as f64 - g[i][j]).abs() < 1e-5);
        }
    }
}

/// <v, J u> = <J^T v, u> between `NAME_jvp` and `NAME_vjp`.
#[test]
fn dot_product_test() {
    let pos = points(5);
    let u: Vec<[f64; 3]> = (0..5)
        .map(|i| [0.3 - 0.1 * i as f64, 0.7, (i as f64).cos()])
        .collect();
    let v = -1.3;
    let (_, ju) = path_terms_jvp(&pos, &u);
    let mut jtv = vec![[0.0; 3]; 5];
    path_terms_vjp(&pos, &mut jtv, v);
    let lhs = v * ju;
    let rhs: f64 = jtv
        .as_flattened()
        .iter()
        .zip(u.as_flattened())
        .map(|(a, b)| a * b)
        .sum();
    assert!(
        (lhs - rhs).abs() < 1e-10 * lhs.abs().max(1.0),
        "{lhs} {rhs}"
    );

    let (_, ju) = springs_jvp(&pos, &u, 1.1, 0.4);
    let mut jtv = vec![[0.0; 3]; 5];
    let (_, (dk,)) = springs_vjp(&pos, &mut jtv, 1.1, v);
    let rhs: f64 = jtv
        .as_flattened()
        .iter()
        .zip(u.as_flattened())
        .map(|(a, b)| a * b)
        .sum::<f64>()
        + dk * 0.4;
    assert!((v * ju - rhs).abs() < 1e-10 * rhs.abs().max(1.0));
}

/// Part of the row, a fixed-size reference looped over, a working copy and an inactive row.
#[differentiable]
fn odds_and_ends(
    pos: &[[f64; 2]],
    corners: &[[f64; 2]; 3],
    #[no_grad] weights: &[[f64; 2]],
) -> f64 {
    let mut s = 0.0;
    for p in pos[1..].iter() {
        s += p[0] * p[1];
    }
    for c in corners {
        s += c[0].exp() - c[1];
    }
    let mut copy = pos.to_vec();
    copy[0][1] = copy[0][1] * 3.0 + corners[2][0];
    for i in 0..copy.len() {
        s += copy[i][1] * weights[i][0] + copy[i][0] * weights[i][1];
    }
    s
}

#[test]
fn odds_and_ends_finite_differences() {
    let pos: Vec<[f64; 2]> = points(4).iter().map(|p| [p[0], p[2]]).collect();
    let corners = [[0.1, 0.2], [-0.4, 0.9], [1.3, -0.7]];
    let weights: Vec<[f64; 2]> = (0..4)
        .map(|i| [0.5 + i as f64, 1.0 - 0.3 * i as f64])
        .collect();
    let mut g = vec![[0.0; 2]; 4];
    let mut g_corners = [[0.0; 2]; 3];
    odds_and_ends_grad(&pos, &mut g, &corners, &mut g_corners, &weights);
    let want = fd_grad(
        |flat| odds_and_ends(&unflatten::<2>(flat), &corners, &weights),
        pos.as_flattened(),
    );
    assert_near(g.as_flattened(), &want, 1e-6);
    let want = fd_grad(
        |flat| {
            let c = unflatten::<2>(flat);
            odds_and_ends(&pos, &[c[0], c[1], c[2]], &weights)
        },
        corners.as_flattened(),
    );
    assert_near(g_corners.as_flattened(), &want, 1e-6);
}

/// Points made by a reduction, a callee taking the row of arrays, and chunks of points.
#[differentiable]
fn scaled(pos: &[[f64; 3]], s: f64) -> f64 {
    let moved = pos
        .iter()
        .map(|p| [s * p[0], p[1] + s, p[2] * p[2]])
        .collect::<Vec<[f64; 3]>>();
    let mut pairs = 0.0;
    for c in pos.chunks_exact(2) {
        pairs += c[0][0] * c[1][1] - c[1][2];
    }
    let mut spread = 0.0;
    for p in moved.iter() {
        spread += p[0] * p[1] + p[2];
    }
    spread + centre_x(pos) + pairs
}

#[test]
fn scaled_finite_differences() {
    let pos = points(5);
    let s = 0.7;
    let mut g = vec![[0.0; 3]; 5];
    let (ds,) = scaled_grad(&pos, &mut g, s);
    let want = fd_grad(|flat| scaled(&unflatten::<3>(flat), s), pos.as_flattened());
    assert_near(g.as_flattened(), &want, 1e-6);
    let want = fd_grad(|t| scaled(&pos, t[0]), &[s]);
    assert_near(&[ds], &want, 1e-6);
}
