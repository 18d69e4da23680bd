use vjp::differentiable;

const SCALE: f64 = 2.0;

#[differentiable]
fn g(a: f64, b: f64) -> f64 {
    a * b
}

#[differentiable]
fn f(x: f64) -> f64 {
    g(x, SCALE)
}

fn main() {}
