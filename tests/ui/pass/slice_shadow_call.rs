//! An active reference parameter is followed by its shadow in `f_vjp` and `f_grad`, as the
//! contract says.
use vjp::differentiable;

#[differentiable]
fn f(x: &[f64]) -> f64 {
    x[0] * x[1]
}

fn main() {
    let mut bar_x = [0.0; 2];
    let (_y, ()) = f_vjp(&[1.0, 2.0], &mut bar_x, 1.0);
    let () = f_grad(&[1.0, 2.0], &mut bar_x);
}
