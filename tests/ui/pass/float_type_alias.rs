#![deny(warnings)]
//! A local annotated with another name of `f64`, or a cast to one, is still active: the
//! derivative must not be dropped (or, if the macro cannot tell, this must be an error).
use vjp::differentiable;

type Scalar = f64;

#[differentiable]
fn annotated(x: f64) -> f64 {
    let y: Scalar = x;
    y.sin()
}

#[differentiable]
fn cast(x: f64) -> f64 {
    let y = x as core::primitive::f64;
    y.sin()
}

fn main() {
    assert_eq!(annotated_grad(0.0), (1.0,));
    assert_eq!(cast_grad(0.0), (1.0,));
}
