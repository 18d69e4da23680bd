#![deny(warnings)]
//! A closure parameter that shadows an active parameter's name does not read it: the closure
//! and the iterator chain around it are inactive.
use vjp::differentiable;

#[differentiable]
fn f(x: f64, #[no_grad] w: &[f64]) -> f64 {
    let s: f64 = w.iter().map(|x| x * 2.0).sum();
    x * s
}

fn main() {
    assert_eq!(f_grad(1.0, &[1.0, 2.0]), (6.0,));
}
