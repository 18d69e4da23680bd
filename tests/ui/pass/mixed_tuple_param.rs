#![deny(warnings)]
//! A tuple parameter that holds a float and an integer. The macro accepts it as active; then
//! the generated code must compile (or the parameter must be rejected at its span).
use vjp::differentiable;

#[differentiable]
fn f(p: (f64, i32)) -> f64 {
    p.0 * p.1 as f64
}

fn main() {
    let (_, (dp,)) = f_vjp((1.5, 3), 1.0);
    assert_eq!(dp.0, 3.0);
}
