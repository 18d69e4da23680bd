use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let double = |a: f64| a * 2.0;
    double(x)
}

fn main() {}
