use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let (a, ..) = (x, 1.0, 2.0);
    a
}

fn main() {}
