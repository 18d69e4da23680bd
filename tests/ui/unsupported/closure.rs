use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let _scaled = |a: f64| a * x;
    x
}

fn main() {}
