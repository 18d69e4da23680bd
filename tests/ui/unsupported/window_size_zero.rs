use vjp::differentiable;

#[differentiable]
fn f(x: &[f64]) -> f64 {
    x.windows(0).map(|w| w[0]).sum::<f64>()
}

fn main() {}
