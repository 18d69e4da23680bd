//! The reverse of the outer `if` re-runs the inner `if` as a whole, since a value it leaves
//! behind (`t`) is read after it; a call of a plain function in it might give another value
//! the second time. (A plain call whose value stays inside its branch is saved on a tape
//! instead, as one at the top level of a loop body is.)
use vjp::differentiable;

fn weight(i: usize) -> f64 {
    1.0 / (1.0 + i as f64)
}

#[differentiable]
fn f(x: f64, i: usize) -> f64 {
    let mut s = x;
    if i > 0 {
        let mut t = s;
        if i > 2 {
            let w = weight(i);
            t = (t * w).sin();
        }
        s = t * t;
    }
    s
}

fn main() {}
