use vjp::differentiable;

struct Wrap(f64);

#[differentiable]
fn f(x: f64) -> f64 {
    let g = |Wrap(a): Wrap| a * x;
    g(Wrap(x))
}

fn main() {}
