//! The reverse of an `if` outside any loop re-runs the branch that ran to get the values its
//! adjoints read; a call of a plain function there might give another value the second time.
//! (Inside a `for`, `while` or `loop` body the call's value is saved on a tape instead.)
use vjp::differentiable;

fn weight(i: usize) -> f64 {
    1.0 / (1.0 + i as f64)
}

#[differentiable]
fn f(x: f64, i: usize) -> f64 {
    let mut s = x;
    if i > 0 {
        let w = weight(i);
        s = (s * w).sin();
    }
    s
}

fn main() {}
