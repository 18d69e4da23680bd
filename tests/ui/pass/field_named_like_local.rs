#![deny(warnings)]
//! A struct field named like an active local is not a read of that local.
use vjp::differentiable;

struct Config {
    x: i32,
}

#[differentiable]
fn f(x: f64, n: i32) -> f64 {
    let config = Config { x: n };
    x * config.x as f64
}

fn main() {
    assert_eq!(f_grad(1.0, 3), (3.0,));
}
