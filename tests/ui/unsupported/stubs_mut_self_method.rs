//! The stubs emitted after an error keep the `self` parameter, so these method calls add no
//! error to the one real error.
use vjp::differentiable;

struct Scale(f64);

impl Scale {
    #[differentiable]
    fn f(mut self, x: f64) -> f64 {
        self.0 *= 2.0;
        self.0 * x
    }
}

fn main() {
    let s = Scale(2.0);
    let (_y, (_dx,)) = Scale(1.0).f_vjp(1.0, 1.0);
    let (_g,) = s.f_grad(1.0);
}
