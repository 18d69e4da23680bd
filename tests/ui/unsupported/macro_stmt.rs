use vjp::differentiable;

macro_rules! record {
    ($value:expr) => {
        let _ = $value;
    };
}

#[differentiable]
fn f(x: f64) -> f64 {
    record!(x);
    x * x
}

fn main() {}
