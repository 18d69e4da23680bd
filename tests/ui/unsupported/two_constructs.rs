use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let a = x % 2.0;
    let b = x.rem_euclid(3.0);
    a + b
}

fn main() {}
