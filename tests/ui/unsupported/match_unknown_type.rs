//! `if let` (like `match` and `while let`) on a local whose type vjp cannot read: it might
//! carry floats. Annotated (`let cur: Option<usize> = ..`), it compiles.
use vjp::differentiable;

#[differentiable]
fn f(x: &[f64], #[no_grad] w: &[f64]) -> f64 {
    let cur = w.iter().position(|v| *v > 1.0);
    if let Some(i) = cur {
        x[i] * 2.0
    } else {
        0.0
    }
}

fn main() {}
