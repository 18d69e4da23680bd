//! `#[differentiable]` on methods taking `&self` or `self`: `self` is inactive (a user type),
//! passed through as the first parameter of `NAME_vjp`, `NAME_grad` and `NAME_jvp`, which are
//! associated functions next to the method; `self.g(x)` calls `Self::g_vjp`. Gradients against
//! closed forms and finite differences, and the dot-product test through forward mode.
#![deny(warnings)]

use vjp::differentiable;

/// Data to fit `a e^{b x}` to.
struct Fit {
    xs: Vec<f64>,
    ys: Vec<f64>,
}

impl Fit {
    #[differentiable]
    fn model(&self, a: f64, b: f64, x: f64) -> f64 {
        a * (b * x).exp()
    }

    /// The squared error of the fit, calling another differentiable method.
    #[differentiable]
    fn loss(&self, p: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..self.xs.len() {
            let x: f64 = self.xs[i];
            let e = self.model(p[0], p[1], x) - self.ys[i];
            s += e * e;
        }
        s
    }
}

#[test]
fn a_method_calling_a_method() {
    let fit = Fit {
        xs: vec![0.0, 0.5, 1.0, 1.5],
        ys: vec![1.0, 1.4, 2.9, 4.1],
    };
    let p = [0.9, 1.1];
    let mut g = [0.0; 2];
    fit.loss_grad(&p, &mut g);
    // By hand: e_i = a e^{b x_i} - y_i; dL/da = 2 sum e_i e^{b x_i}, dL/db = 2 sum e_i a x_i e^{b x_i}.
    let (mut da, mut db) = (0.0, 0.0);
    for (x, y) in fit.xs.iter().zip(&fit.ys) {
        let m = (p[1] * x).exp();
        let e = p[0] * m - y;
        da += 2.0 * e * m;
        db += 2.0 * e * p[0] * x * m;
    }
    assert!(
        (g[0] - da).abs() < 1e-12 && (g[1] - db).abs() < 1e-12,
        "{g:?} vs {da} {db}"
    );

    let (y, (ga, gb, gx)) = fit.model_vjp(0.5, 0.2, 1.5, 2.0);
    let m = (0.2f64 * 1.5).exp();
    assert_eq!(y, fit.model(0.5, 0.2, 1.5));
    assert!((ga - 2.0 * m).abs() < 1e-14);
    assert!((gb - 2.0 * 0.5 * 1.5 * m).abs() < 1e-14);
    assert!((gx - 2.0 * 0.5 * 0.2 * m).abs() < 1e-14);

    // <J u, w> = <u, J^T w> with forward mode.
    let u = [0.7, -0.4];
    let (_, ju) = fit.loss_jvp(&p, &u);
    let mut g = [0.0; 2];
    let (y, ()) = Fit::loss_vjp(&fit, &p, &mut g, -1.3);
    assert_eq!(y, fit.loss(&p));
    let jtw_u = g[0] * u[0] + g[1] * u[1];
    assert!((jtw_u - (-1.3 * ju)).abs() < 1e-12 * jtw_u.abs().max(1.0));
}

/// A `Copy` type taken by value, and a generic method.
#[derive(Clone, Copy)]
struct Spring {
    k: f64,
    rest: f64,
}

impl Spring {
    #[differentiable]
    fn energy(self, x: f64, y: f64) -> f64 {
        let k: f64 = self.k;
        let stretch = (x * x + y * y).sqrt() - self.rest;
        0.5 * k * stretch * stretch
    }

    #[differentiable]
    fn damped<T: vjp::Real>(&self, x: T) -> T {
        let c = T::from_f64(self.k);
        c * x * x * (-x).exp()
    }
}

#[test]
fn by_value_and_generic_methods() {
    let s = Spring { k: 3.0, rest: 1.0 };
    let (x, y) = (1.2, 0.9);
    let (gx, gy) = s.energy_grad(x, y);
    let r = (x * x + y * y).sqrt();
    let f = s.k * (r - s.rest) / r;
    assert!((gx - f * x).abs() < 1e-14 && (gy - f * y).abs() < 1e-14);

    let (d,) = s.damped_grad(0.7f64);
    let want = 3.0 * (2.0 * 0.7 - 0.7 * 0.7) * (-0.7f64).exp();
    assert!((d - want).abs() < 1e-14, "{d} vs {want}");
    let (d32,) = s.damped_grad(0.7f32);
    assert!((d32 as f64 - want).abs() < 1e-6);
}

impl Fit {
    /// Fields read through a typed tuple pattern, then passed to a differentiable method: the
    /// annotation types the parts (`t` and `y` are floats).
    #[differentiable]
    fn loss_pairs(&self, p: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..self.xs.len() {
            let (x, y): (f64, f64) = (self.xs[i], self.ys[i]);
            s += (self.model(p[0], p[1], x) - y).powi(2);
        }
        s
    }
}

#[test]
fn typed_tuple_parts_are_floats() {
    let fit = Fit {
        xs: vec![0.0, 0.5, 1.0],
        ys: vec![1.0, 1.4, 2.9],
    };
    let p = [0.9, 1.1];
    let (mut g, mut h) = ([0.0; 2], [0.0; 2]);
    fit.loss_grad(&p, &mut g);
    fit.loss_pairs_grad(&p, &mut h);
    assert_eq!(g, h);
    assert_eq!(fit.loss(&p), fit.loss_pairs(&p));
}
