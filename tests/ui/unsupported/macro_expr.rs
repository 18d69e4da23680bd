use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let v = vec![x, 1.0];
    v[0]
}

fn main() {}
