//! Active reference parameters (`&[f64]`, `&Vec<f64>`, `&[f64; N]`) with shadows, indexing
//! with inactive integer expressions in loops, and the loop idioms.

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
