//! After an error the macro still defines `f_vjp` and `f_grad` (as stubs), so these calls add
//! no "cannot find function" error to the one real error.
use vjp::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    x % 2.0
}

fn main() {
    let (_y, (_dx,)) = f_vjp(1.0, 1.0);
    let (_g,) = f_grad(1.0);
}
