use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let y = x * 2.0;
    g(&y)
}

fn g(a: &f64) -> f64 {
    *a
}

fn main() {}
