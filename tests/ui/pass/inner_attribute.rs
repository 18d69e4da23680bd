#![deny(warnings)]
//! An inner attribute at the top of the body stays in the body.
use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    #![allow(clippy::all)]
    x * x
}

fn main() {
    assert_eq!(f_grad(3.0), (6.0,));
}
