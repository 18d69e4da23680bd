use vjp::differentiable;

fn apply(f: impl Fn(f64) -> f64, a: f64) -> f64 {
    f(a)
}

#[differentiable]
fn f(x: f64) -> f64 {
    apply(|a: f64| a * x, 2.0)
}

fn main() {}
