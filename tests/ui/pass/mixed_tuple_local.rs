#![deny(warnings)]
//! A local tuple that holds a float and an integer.
use vjp::differentiable;

#[differentiable]
fn f(x: f64, n: i32) -> f64 {
    let s = (x, n);
    s.0 * s.1 as f64
}

fn main() {
    assert_eq!(f_grad(1.5, 3), (3.0,));
}
