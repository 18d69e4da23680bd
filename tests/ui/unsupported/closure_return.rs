use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let clipped = |a: f64| {
        if a > 1.0 {
            return 1.0;
        }
        a * x
    };
    clipped(x) + clipped(0.5)
}

fn main() {}
