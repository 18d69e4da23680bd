use vjp::differentiable;

#[differentiable]
fn f(xs: &[f64], w: f64) -> f64 {
    let s = xs.iter().map(|x| x * w).product();
    s
}

fn main() {}
