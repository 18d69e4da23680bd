//! An element of an array whose elements have no known type (one comes from a plain
//! function), passed to a differentiable call: the message names it as written, `t[0]`.
use vjp::differentiable;

fn plain(i: usize) -> f64 {
    i as f64
}

#[differentiable]
fn g(a: f64, b: f64) -> f64 {
    a * b
}

#[differentiable]
fn f(x: f64) -> f64 {
    let w = plain(1);
    let t = [w, 2.0];
    g(t[0], x)
}

fn main() {}
