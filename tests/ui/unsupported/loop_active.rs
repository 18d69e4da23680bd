use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    loop {
        break x * 2.0;
    }
}

fn main() {}
