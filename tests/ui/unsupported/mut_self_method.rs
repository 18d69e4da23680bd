use vjp::differentiable;

struct Scale(f64);

impl Scale {
    #[differentiable]
    fn f(&mut self, x: f64) -> f64 {
        self.0 += 1.0;
        x * x
    }
}

fn main() {
    let _ = Scale(2.0).0;
}
