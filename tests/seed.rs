//! The seed notes' worked example and exercise 1, as tests.

use approx::assert_relative_eq;
use vjp::differentiable;

/// f(x1, x2) = [x1² + x2, sin x1, x1 x2], the seed's worked example.
#[differentiable]
fn seed(x1: f64, x2: f64) -> (f64, f64, f64) {
    (x1 * x1 + x2, x1.sin(), x1 * x2)
}

/// f(x, y) = [x² y, eˣ + y, sin(x y)], the seed's exercise 1.
#[differentiable]
fn exercise1(x: f64, y: f64) -> (f64, f64, f64) {
    (x * x * y, x.exp() + y, (x * y).sin())
}

#[test]
fn worked_example_vjp_is_6_minus_cos1_and_3() {
    let (y, (d1, d2)) = seed_vjp(1.0, 2.0, (1.0, -1.0, 2.0));
    assert_eq!(y, seed(1.0, 2.0));
    assert_relative_eq!(d1, 6.0 - 1f64.cos(), epsilon = 1e-15);
    assert_relative_eq!(d2, 3.0, epsilon = 1e-15);
}

#[test]
fn exercise1_vjp_matches_closed_form() {
    let (_, (dx, dy)) = exercise1_vjp(1.0, 1.0, (1.0, 2.0, -1.0));
    let e = 1f64.exp();
    assert_relative_eq!(dx, 2.0 + 2.0 * e - 1f64.cos(), epsilon = 1e-14);
    assert_relative_eq!(dy, 3.0 - 1f64.cos(), epsilon = 1e-14);
}
