use vjp::differentiable;

fn two() -> f64 {
    2.0
}

#[differentiable]
fn f(x: f64) -> f64 {
    let scaled = |a: f64| a * two() * x;
    // Rust's closure still calls the function; inlined here, the body would call this local.
    let two = || 3.0;
    scaled(x) + two()
}

fn main() {}
