//! Forward mode (`NAME_jvp`) against finite differences, and the dot-product test
//! <v, J u> = <J^T v, u> between `NAME_jvp` and `NAME_vjp`.

use vjp::differentiable;

#[differentiable]
fn seed(x1: f64, x2: f64) -> (f64, f64, f64) {
    (x1 * x1 + x2, x1.sin(), x1 * x2)
}

#[differentiable]
fn logistic(r: f64, x0: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = r * x * (1.0 - x);
    }
    x
}

#[differentiable]
fn weighted(x: &[f64], #[no_grad] w: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if x[i] > 0.0 {
            s += w[i] * x[i].exp();
        } else {
            s -= x[i] * x[i];
        }
    }
    s
}

#[test]
fn seed_jvp_is_j_times_u() {
    let (y, dy) = seed_jvp(1.0, 0.5, 2.0, -1.0);
    assert_eq!(y, seed(1.0, 2.0));
    // J = [[2, 1], [cos 1, 0], [2, 1]] at (1, 2); u = (0.5, -1).
    assert!((dy.0 - 0.0).abs() < 1e-15);
    assert!((dy.1 - 0.5 * 1f64.cos()).abs() < 1e-15);
    assert!((dy.2 - 0.0).abs() < 1e-15);
}

#[test]
fn dot_product_test_on_a_loop() {
    let (u_r, u_x, v) = (0.3, -0.7, 1.9);
    let (_, ju) = logistic_jvp(3.1, u_r, 0.4, u_x, 7);
    let (_, (gr, gx)) = logistic_vjp(3.1, 0.4, 7, v);
    assert!((v * ju - (gr * u_r + gx * u_x)).abs() < 1e-12);
}

#[test]
fn dot_product_test_on_a_slice_with_branches() {
    let x = [0.5, -0.3, 1.2, -2.0];
    let w = [1.0, 2.0, -0.5, 0.25];
    let u = [0.1, 0.2, -0.3, 0.4];
    let (_, ju) = weighted_jvp(&x, &u, &w);
    let mut g = [0.0; 4];
    let v = 0.7;
    let _ = weighted_vjp(&x, &mut g, &w, v);
    let jtv_u: f64 = g.iter().zip(&u).map(|(a, b)| a * b).sum();
    assert!((v * ju - jtv_u).abs() < 1e-12);
}

/// Extended Rosenbrock, generic so that its gradient can run on dual numbers.
#[differentiable]
fn rosenbrock<T: vjp::Real>(x: &[T]) -> T {
    let mut s = T::zero();
    for i in 0..x.len() / 2 {
        let a = x[2 * i];
        let b = x[2 * i + 1];
        s += T::from_f64(100.0) * (b - a * a).powi(2) + (T::one() - a).powi(2);
    }
    s
}

#[test]
fn hessian_vector_product_matches_closed_form() {
    let x = [0.3, -0.8, 1.4, 0.9];
    let u = [0.5, 1.0, -2.0, 0.25];
    let (g, hu) = vjp::hvp(rosenbrock_grad, &x, &u);
    let mut g64 = [0.0; 4];
    rosenbrock_grad(&x, &mut g64);
    assert_eq!(g, g64.to_vec());
    for i in 0..2 {
        let (a, b) = (x[2 * i], x[2 * i + 1]);
        // Hessian block of 100 (b - a²)² + (1 - a)².
        let haa = 1200.0 * a * a - 400.0 * b + 2.0;
        let hab = -400.0 * a;
        let hbb = 200.0;
        let (ua, ub) = (u[2 * i], u[2 * i + 1]);
        assert!((hu[2 * i] - (haa * ua + hab * ub)).abs() < 1e-10);
        assert!((hu[2 * i + 1] - (hab * ua + hbb * ub)).abs() < 1e-10);
    }
}

#[differentiable]
fn qualified<T: vjp::Real>(x: T, #[no_grad] y: f64) -> T {
    <T as vjp::Real>::exp(x) * T::from_f64(<f64>::sin(y))
}

#[test]
fn fully_qualified_calls_are_primitives() {
    let (gx,) = qualified_grad(0.5f64, 2.0);
    assert!((gx - 0.5f64.exp() * 2f64.sin()).abs() < 1e-15);
}

#[test]
fn hessian_vector_product_matches_finite_differences_of_the_gradient() {
    let x = [0.3, -0.8, 1.4, 0.9, -0.2, 0.5];
    let u = [0.5, 1.0, -2.0, 0.25, 0.7, -1.1];
    let (_, hu) = vjp::hvp(rosenbrock_grad, &x, &u);
    let h = 1e-6;
    let grad_at = |t: f64| {
        let xt: Vec<f64> = x.iter().zip(&u).map(|(a, b)| a + t * b).collect();
        let mut g = vec![0.0; x.len()];
        rosenbrock_grad(&xt, &mut g);
        g
    };
    let (plus, minus) = (grad_at(h), grad_at(-h));
    for i in 0..x.len() {
        let fd = (plus[i] - minus[i]) / (2.0 * h);
        assert!(
            (hu[i] - fd).abs() < 1e-5 * fd.abs().max(1.0),
            "component {i}: {} vs {fd}",
            hu[i]
        );
    }
}

#[test]
fn full_jacobians_of_the_seed_by_both_modes() {
    let x = (1.0, 2.0);
    let closed = vec![vec![2.0, 1.0], vec![1f64.cos(), 0.0], vec![2.0, 1.0]];
    let by_vjps = vjp::jacobian_rev(|(a, b), v| seed_vjp(a, b, v).1, x, seed(1.0, 2.0));
    let by_jvps = vjp::jacobian_fwd(|(a, b), (da, db)| seed_jvp(a, da, b, db).1, x);
    let chosen = vjp::jacobian(
        |(a, b)| seed(a, b),
        |(a, b), v| seed_vjp(a, b, v).1,
        |(a, b), (da, db)| seed_jvp(a, da, b, db).1,
        x,
    );
    assert_eq!(by_vjps, closed);
    assert_eq!(by_jvps, closed);
    assert_eq!(chosen, closed);
}
