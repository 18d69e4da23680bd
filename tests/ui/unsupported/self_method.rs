use vjp::differentiable;

struct Scale(f64);

impl Scale {
    #[differentiable]
    fn f(&self, x: f64) -> f64 {
        x * x
    }
}

fn main() {
    let _ = Scale(2.0).0;
}
