#![deny(warnings)]
//! A method of an integer obtained by casting an active float carries no derivative: it is
//! inactive like the cast, not an error.
use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let k = (x as i32).pow(2);
    x * k as f64
}

fn main() {
    assert_eq!(f_grad(2.5), (4.0,));
}
