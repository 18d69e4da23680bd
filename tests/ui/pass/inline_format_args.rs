#![deny(warnings)]
//! A variable captured by a format string (`"{x}"`) is the current version of `x`, in the
//! generated functions as in the original.
use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let x = x * 3.0;
    assert_eq!(format!("{x}"), format!("{}", x));
    x
}

fn main() {
    assert_eq!(f(1.0), 3.0);
    assert_eq!(f_grad(1.0), (3.0,));
}
