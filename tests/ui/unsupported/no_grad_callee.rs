use vjp::differentiable;

#[differentiable]
fn scaled(x: f64, #[no_grad] k: f64) -> f64 {
    x * k
}

#[differentiable]
fn caller(x: f64) -> f64 {
    scaled(x, 3.0) * x
}

fn main() {}
