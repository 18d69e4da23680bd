use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let Some(y) = Some(x) else {
        return 0.0;
    };
    y
}

fn main() {}
