use vjp::differentiable;

#[differentiable]
fn f(xs: &[f64]) -> f64 {
    xs.iter().filter(|x| **x > 0.0).map(|x| x * x).sum::<f64>()
}

fn main() {}
