#![deny(warnings)]
//! A `#[no_grad]` slice parameter is passed through and may be read by inactive code.
use vjp::differentiable;

#[differentiable]
fn f(x: f64, #[no_grad] w: &[f64]) -> f64 {
    let s: f64 = w.iter().sum();
    x * s + w.len() as f64
}

fn main() {
    let w = [1.0, 2.0];
    assert_eq!(f(2.0, &w), 8.0);
    let (y, (dx,)) = f_vjp(2.0, &w, 1.0);
    assert_eq!((y, dx), (8.0, 3.0));
    assert_eq!(f_grad(2.0, &w), (3.0,));
}
