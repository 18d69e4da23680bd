#![deny(warnings)]
//! `r#x` is the same variable as `x`: reading it through the raw form must carry the
//! derivative.
use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    r#x * r#x
}

fn main() {
    assert_eq!(f_grad(3.0), (6.0,));
}
