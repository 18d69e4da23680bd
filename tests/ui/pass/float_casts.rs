#![deny(warnings)]
//! Casts between `f32` and `f64` are differentiable: the adjoint is cast back.
use vjp::differentiable;

#[differentiable]
fn through_f32(x: f64) -> f64 {
    (x as f32).sin() as f64
}

#[differentiable]
fn widen(x: f32, y: f64) -> f64 {
    (x as f64) * y
}

fn main() {
    assert_eq!(through_f32_grad(0.0), (1.0,));
    assert_eq!(widen_grad(2.0, 3.0), (3.0, 2.0));
}
