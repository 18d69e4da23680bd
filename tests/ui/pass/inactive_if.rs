#![deny(warnings)]
//! An `if` that reads no float local is inactive: it is passed through unchanged.
use vjp::differentiable;

#[differentiable]
fn f(x: f64, n: i32) -> f64 {
    let k = if n > 0 { 2 } else { 3 };
    x * k as f64
}

fn main() {
    assert_eq!(f(1.5, 1), 3.0);
    let (y, (dx,)) = f_vjp(1.5, -1, 1.0);
    assert_eq!((y, dx), (4.5, 3.0));
    assert_eq!(f_grad(1.5, 1), (2.0,));
}
