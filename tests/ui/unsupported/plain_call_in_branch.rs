//! The reverse sweep re-runs a branch of a loop body to get the values its adjoints read; a
//! call of a plain function there might give another value the second time. (At the top level
//! of a `for` or `loop` body the call's value is saved instead.)
use vjp::differentiable;

fn weight(i: usize) -> f64 {
    1.0 / (1.0 + i as f64)
}

#[differentiable]
fn f(x: f64, n: usize) -> f64 {
    let mut s = x;
    for i in 0..n {
        if i % 2 == 0 {
            let w = weight(i);
            s = (s * w).sin();
        }
    }
    s
}

fn main() {}
