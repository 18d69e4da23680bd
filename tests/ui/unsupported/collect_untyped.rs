use vjp::differentiable;

#[differentiable]
fn f(xs: &[f64], w: f64) -> f64 {
    let h: Vec<_> = xs.iter().map(|x| x * w).collect();
    h[0]
}

fn main() {}
