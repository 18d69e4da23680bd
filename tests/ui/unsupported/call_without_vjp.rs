//! A call with an active argument needs the callee's `_vjp`; here `g` has none.
use vjp::differentiable;

fn g(a: f64) -> f64 {
    a * 3.0
}

#[differentiable]
fn f(x: f64) -> f64 {
    g(x) + 1.0
}

fn main() {}
