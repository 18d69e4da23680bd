use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let k = 2.0 * x;
    let scaled = |a: f64| a * k;
    // `scaled` still reads the first `k`; inlined here it would read this one.
    let k = 3.0;
    scaled(x) + k
}

fn main() {}
