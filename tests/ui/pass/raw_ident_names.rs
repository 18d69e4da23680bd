#![deny(warnings)]
//! Raw identifiers as parameter and local names.
use vjp::differentiable;

#[differentiable]
fn f(r#type: f64) -> f64 {
    let r#match = r#type * 2.0;
    r#match * r#type
}

fn main() {
    assert_eq!(f_grad(3.0), (12.0,));
}
