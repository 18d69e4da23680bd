//! A `ref` binding in a `match` arm: the arm's parts are taken out of a copy of the value, so
//! a reference would point into that copy.
use vjp::differentiable;

#[differentiable]
fn f(x: f64, #[no_grad] k: Option<usize>) -> f64 {
    match k {
        Some(ref j) => x * *j as f64,
        None => x,
    }
}

fn main() {}
