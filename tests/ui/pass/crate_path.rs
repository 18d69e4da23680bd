#![deny(warnings)]
//! `#[differentiable(crate = path)]` names the `vjp` crate by another path.
use vjp::differentiable;

mod reexport {
    pub use ::vjp;
}

#[differentiable(crate = ::vjp)]
fn f(x: f64) -> f64 {
    x.sin() * x
}

#[differentiable(crate = reexport::vjp)]
fn g(x: f64) -> f64 {
    x.exp()
}

#[differentiable(crate = "::vjp")]
fn h(x: f64) -> f64 {
    x.ln()
}

fn main() {
    let (dx,) = f_grad(1.0);
    assert!((dx - (1f64.cos() + 1f64.sin())).abs() < 1e-15);
    assert_eq!(g_grad(0.0), (1.0,));
    assert_eq!(h_grad(2.0), (0.5,));
}
