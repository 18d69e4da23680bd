use vjp::differentiable;

// `_` in a local's type could stand for a float: the value is not taken as inactive.
#[differentiable]
fn f(x: f64) -> f64 {
    let o: Option<_> = Some(2.0 * x);
    o.unwrap_or(0.0)
}

fn main() {}
