//! Active reference parameters (`&[f64]`, `&Vec<f64>`, `&[f64; N]`) with shadows, indexing
//! with inactive integer expressions in loops, and the loop idioms.

// Index loops are what these tests exercise.
#![allow(clippy::needless_range_loop)]

use vjp::differentiable;

/// Extended Rosenbrock: sum over pairs of 100 (x[2i+1] - x[2i]^2)^2 + (1 - x[2i])^2.
#[differentiable]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() / 2 {
        let a = x[2 * i];
        let b = x[2 * i + 1];
        s += 100.0 * (b - a * a).powi(2) + (1.0 - a).powi(2);
    }
    s
}

#[differentiable]
fn dot(x: &[f64], #[no_grad] w: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * w[i];
    }
    s
}

#[test]
fn rosenbrock_matches_closed_form() {
    let n = 1000;
    let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.001 * i as f64).collect();
    let mut g = vec![0.0; n];
    rosenbrock_grad(&x, &mut g);
    for i in 0..n / 2 {
        let (a, b) = (x[2 * i], x[2 * i + 1]);
        let ga = -400.0 * a * (b - a * a) - 2.0 * (1.0 - a);
        let gb = 200.0 * (b - a * a);
        assert!((g[2 * i] - ga).abs() < 1e-9 * ga.abs().max(1.0));
        assert!((g[2 * i + 1] - gb).abs() < 1e-9 * gb.abs().max(1.0));
    }
}

#[test]
fn shadows_accumulate() {
    let x = [1.0, 2.0, 3.0];
    let w = [0.5, -1.0, 2.0];
    let mut g = [0.0; 3];
    dot_grad(&x, &mut g, &w);
    dot_grad(&x, &mut g, &w);
    assert_eq!(g, [1.0, -2.0, 4.0]);
}

#[differentiable]
fn idioms(x: &[f64], y: &Vec<f64>, z: &[f64; 3]) -> f64 {
    let mut s = 0.0;
    for v in x.iter() {
        s += *v * *v;
    }
    for &v in y {
        s += v.sin();
    }
    for (i, v) in z.iter().enumerate() {
        s += (i as f64) * v;
    }
    for (a, b) in x.iter().zip(y.iter()) {
        s += a * b;
    }
    let t: f64 = x.iter().sum();
    s + t * z.iter().sum::<f64>()
}

#[test]
fn loop_idioms() {
    let x = vec![0.3, -0.7, 1.1];
    let y = vec![0.5, 0.25, -1.5, 2.0];
    let z = [1.0, 2.0, 3.0];
    let (mut gx, mut gy, mut gz) = (vec![0.0; 3], vec![0.0; 4], [0.0; 3]);
    idioms_grad(&x, &mut gx, &y, &mut gy, &z, &mut gz);
    let sx: f64 = x.iter().sum();
    let sz: f64 = z.iter().sum();
    for i in 0..3 {
        let expected = 2.0 * x[i] + y[i] + sz;
        assert!(
            (gx[i] - expected).abs() < 1e-12,
            "x{i}: {} vs {expected}",
            gx[i]
        );
        let expected_z = i as f64 + sx;
        assert!((gz[i] - expected_z).abs() < 1e-12);
    }
    for j in 0..4 {
        let expected = y[j].cos() + if j < 3 { x[j] } else { 0.0 };
        assert!((gy[j] - expected).abs() < 1e-12, "y{j}");
    }
}

#[differentiable]
fn sum_sq(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i];
    }
    s
}

#[differentiable]
fn outer(x: &[f64], a: f64) -> f64 {
    sum_sq(x) * a
}

#[test]
fn slices_pass_their_shadows_to_callees() {
    let x = [1.0, -2.0, 0.5];
    let mut g = [0.0; 3];
    let (da,) = outer_grad(&x, &mut g, 3.0);
    assert_eq!(da, 5.25);
    assert_eq!(g, [6.0, -12.0, 3.0]);
    let (_, ju) = outer_jvp(&x, &[1.0, 0.0, 0.0], 3.0, 0.0);
    assert_eq!(ju, 6.0);
}

/// A zero array created inside a loop, and the loop idioms over `#[no_grad]` data.
#[differentiable]
fn inner_buffers(x: &[f64], #[no_grad] d: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..2 {
        let mut h = [0.0; 4];
        for j in 0..4 {
            h[j] = x[j] * (k + 1) as f64;
        }
        s += h[0] * h[1] + h[2] * h[3];
    }
    for &w in d {
        s += x[0] * w;
    }
    for w in d.iter() {
        s += x[1] * *w;
    }
    s
}

#[test]
fn buffers_and_idioms_over_inactive_data() {
    let x = [0.5, -1.0, 2.0, 1.5];
    let d = [1.0, 2.0, 3.0];
    let mut g = [0.0; 4];
    inner_buffers_grad(&x, &mut g, &d);
    // Σ_k (k+1)² (x0 x1 + x2 x3) = 5 (x0 x1 + x2 x3), plus (x0 + x1) Σ d.
    let expected = [5.0 * x[1] + 6.0, 5.0 * x[0] + 6.0, 5.0 * x[3], 5.0 * x[2]];
    assert_eq!(g, expected);
}
