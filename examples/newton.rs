//! Newton–CG on the extended Rosenbrock function (n = 100), with the gradient from
//! `#[differentiable]` and Hessian-vector products by forward-over-reverse (`vjp::hvp`): the
//! Hessian is never formed.
//!
//! Each Newton step solves H p = -g approximately by conjugate gradients, which needs only
//! products H u; a backtracking line search keeps the step a descent step.
//!
//! Run with `cargo run --release --example newton`.

use vjp::{differentiable, hvp, Real};

/// The extended Rosenbrock function: Σ 100 (x[2i+1] - x[2i]²)² + (1 - x[2i])².
#[differentiable]
fn rosenbrock<T: Real>(x: &[T]) -> T {
    let mut s = T::zero();
    for i in 0..x.len() / 2 {
        let a = x[2 * i];
        let b = x[2 * i + 1];
        s += T::from_f64(100.0) * (b - a * a).powi(2) + (T::one() - a).powi(2);
    }
    s
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Approximately solves H p = -g by conjugate gradients (stopping at negative curvature or a
/// relative residual of `tol`); returns p and the number of Hessian-vector products used.
fn newton_direction(x: &[f64], g: &[f64], tol: f64) -> (Vec<f64>, usize) {
    let n = x.len();
    let mut p = vec![0.0; n];
    let mut r: Vec<f64> = g.iter().map(|gi| -gi).collect();
    let mut d = r.clone();
    let mut rr = dot(&r, &r);
    let stop = tol * tol * rr;
    let mut products = 0;
    for _ in 0..n {
        let (_, hd) = hvp(rosenbrock_grad, x, &d);
        products += 1;
        let curvature = dot(&d, &hd);
        if curvature <= 0.0 {
            // Negative curvature: fall back to the steepest-descent direction on the first step.
            if products == 1 {
                p.clone_from(&r);
            }
            break;
        }
        let alpha = rr / curvature;
        for i in 0..n {
            p[i] += alpha * d[i];
            r[i] -= alpha * hd[i];
        }
        let rr_next = dot(&r, &r);
        if rr_next <= stop {
            break;
        }
        let beta = rr_next / rr;
        for i in 0..n {
            d[i] = r[i] + beta * d[i];
        }
        rr = rr_next;
    }
    (p, products)
}

fn main() {
    let n = 100;
    // The classic start: (-1.2, 1, -1.2, 1, ...).
    let mut x: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    println!("Newton-CG on the extended Rosenbrock function, n = {n}");
    println!(
        "{:>4} {:>14} {:>12} {:>8} {:>8}",
        "iter", "f(x)", "|grad|", "H·u", "step"
    );
    let mut total_products = 0;
    for iter in 0..100 {
        let f = rosenbrock(&x);
        let mut g = vec![0.0; n];
        rosenbrock_grad(&x, &mut g);
        let gnorm = dot(&g, &g).sqrt();
        if gnorm < 1e-10 {
            println!("{iter:>4} {f:>14.6e} {gnorm:>12.3e}");
            println!(
                "converged after {iter} Newton steps and {total_products} Hessian-vector products"
            );
            let err = x.iter().map(|xi| (xi - 1.0).abs()).fold(0.0, f64::max);
            println!("max |x_i - 1| = {err:.3e}");
            assert!(
                err < 1e-8,
                "Newton-CG should reach the minimum at (1, ..., 1)"
            );
            return;
        }
        let tol = gnorm.sqrt().min(0.5);
        let (p, products) = newton_direction(&x, &g, tol);
        total_products += products;
        // Backtracking line search (Armijo).
        let slope = dot(&g, &p);
        let mut step = 1.0;
        let mut next: Vec<f64> = x.iter().zip(&p).map(|(xi, pi)| xi + pi).collect();
        while rosenbrock(&next) > f + 1e-4 * step * slope && step > 1e-10 {
            step *= 0.5;
            next = x.iter().zip(&p).map(|(xi, pi)| xi + step * pi).collect();
        }
        println!("{iter:>4} {f:>14.6e} {gnorm:>12.3e} {products:>8} {step:>8.4}");
        x = next;
    }
    panic!("Newton-CG did not converge in 100 steps");
}
