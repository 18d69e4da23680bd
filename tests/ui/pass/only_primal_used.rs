#![deny(warnings)]
//! A private differentiable function whose generated `f_vjp`/`f_grad` are never called must not
//! warn (dead code) under `#![deny(warnings)]`.
use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    x * x
}

fn main() {
    assert_eq!(f(3.0), 9.0);
}
