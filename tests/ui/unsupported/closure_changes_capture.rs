use vjp::differentiable;

#[differentiable]
fn f(x: &[f64]) -> f64 {
    let mut total = 0.0;
    let mut add = |v: f64| {
        total += v * v;
    };
    for i in 0..x.len() {
        add(x[i]);
    }
    total
}

fn main() {}
