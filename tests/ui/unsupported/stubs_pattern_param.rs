//! The stubs emitted after an error keep every parameter, also one written as a pattern, so
//! these calls add no error to the one real error.
use vjp::differentiable;

#[differentiable]
fn f((a, b): (f64, f64)) -> f64 {
    a * b
}

fn main() {
    let (_y, (_dp,)) = f_vjp((1.0, 2.0), 1.0);
    let (_g,) = f_grad((1.0, 2.0));
}
