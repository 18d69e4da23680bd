use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let mut y = x;
    y %= 2.0;
    y
}

fn main() {}
