use vjp::differentiable;

fn checked(a: f64) -> Option<f64> {
    Some(a)
}

#[differentiable]
fn f(x: f64) -> f64 {
    checked(x)?
}

fn main() {}
