use vjp::differentiable;

struct Point {
    a: f64,
}

fn make(a: f64) -> Point {
    Point { a }
}

#[differentiable]
fn f(x: f64) -> f64 {
    make(x).a
}

fn main() {}
