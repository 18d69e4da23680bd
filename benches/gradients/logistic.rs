//! The logistic map: 1000 iterations of x = r x (1 - x), differentiated in (r, x0).
//!
//! r = 3.2 (a stable 2-cycle), so that the derivatives stay finite over 1000 iterations; in the
//! chaotic range they grow like e^(λ n) and overflow.

use vjp::differentiable;

use crate::peers::{self, Scalar};
use crate::Problem;

const STEPS: usize = 1000;

#[differentiable]
fn logistic(r: f64, x0: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = r * x * (1.0 - x);
    }
    x
}

/// The gradient by hand. With only two inputs, the best way is forward: carry dx/dr and dx/dx0
/// along, d(r x (1 - x)) = x (1 - x) dr + r (1 - 2x) dx. No trajectory is stored.
fn logistic_hand(r: f64, x0: f64, n: usize) -> (f64, f64) {
    let (mut x, mut dr, mut dx0) = (x0, 0.0, 1.0);
    for _ in 0..n {
        let slope = r * (1.0 - 2.0 * x);
        dr = x * (1.0 - x) + slope * dr;
        dx0 *= slope;
        x = r * x * (1.0 - x);
    }
    (dr, dx0)
}

/// The same function for the peers' number types; `p = [r, x0]`.
fn logistic_generic<T: Scalar>(p: &[T], n: usize) -> T {
    let (r, mut x) = (p[0], p[1]);
    for _ in 0..n {
        x = r * x * x.sub_from(1.0);
    }
    x
}

pub fn problem(_quick: bool) -> Problem<[f64; 2]> {
    Problem {
        name: "logistic",
        about: format!("logistic map, {STEPS} iterations of x = r x (1 - x), gradient in (r, x0)"),
        data: [3.2, 0.3],
        n: 2,
        primal: |&[r, x0]| logistic(r, x0, STEPS),
        tools: Vec::new(),
    }
    .tool("vjp", |&[r, x0], g| {
        let (dr, dx0) = logistic_grad(r, x0, STEPS);
        g.copy_from_slice(&[dr, dx0]);
    })
    .tool("hand-written (forward tangents)", |&[r, x0], g| {
        let (dr, dx0) = logistic_hand(r, x0, STEPS);
        g.copy_from_slice(&[dr, dx0]);
    })
    .tool("num-dual (forward, 2 passes)", |p, g| {
        peers::forward_passes(|p| logistic_generic(p, STEPS), p, 0..2, g)
    })
    .tool("echidna (tape)", |p, g| {
        peers::echidna_gradient(|p| logistic_generic(p, STEPS), p, g)
    })
    .tool("reverse (tape)", |p, g| {
        peers::reverse_gradient(|p| logistic_generic(p, STEPS), p, g)
    })
}
