use vjp::differentiable;

#[differentiable]
fn f(xs: &[f64], x: f64) -> f64 {
    // The second closure reads the parameter `x`, which the first closure's `x` would hide once
    // both are inlined into one loop.
    xs.iter().map(|x| x * 2.0).map(|y| y * x).sum::<f64>()
}

fn main() {}
