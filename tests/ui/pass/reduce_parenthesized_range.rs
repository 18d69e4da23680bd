//! A reduction over a parenthesized range and a path closure: no `unused_parens` or other
//! warning in the user's crate.
#![deny(warnings)]

use vjp::differentiable;

#[differentiable]
fn f(x: &[f64], n: usize) -> f64 {
    (0..n).map(|i| x[i] * x[i]).sum::<f64>() + x.iter().copied().map(f64::exp).sum::<f64>()
}

fn main() {
    let x = [0.5, -1.0, 2.0];
    let mut g = [0.0; 3];
    f_grad(&x, &mut g, 2);
    let want = [2.0 * 0.5 + 0.5f64.exp(), -2.0 + (-1.0f64).exp(), 2.0f64.exp()];
    for (a, b) in g.iter().zip(want) {
        assert!((a - b).abs() < 1e-14, "{g:?} against {want:?}");
    }
}
