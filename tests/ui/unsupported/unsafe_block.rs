use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let y = x * 2.0;
    unsafe { std::ptr::read(&y) }
}

fn main() {}
