//! The argument is named as the user wrote it, not by the macro's numbered versions of the
//! loop counter and of a shadowed `k` (`k_1`, `k_2`).
use vjp::differentiable;

#[differentiable]
fn g(a: f64, b: f64) -> f64 {
    a * b
}

fn plain(i: usize) -> f64 {
    i as f64
}

#[differentiable]
fn f(x: f64, n: usize) -> f64 {
    let mut s = x;
    for k in 0..n {
        s = g(s, plain(k));
    }
    let k = 3;
    let k = k + 1;
    s + g(x, plain(k))
}

fn main() {}
