//! Extended Rosenbrock, n = 1000: the sum over pairs of 100 (x[2i+1] - x[2i]²)² + (1 - x[2i])².

use vjp::differentiable;

use crate::peers::{self, Scalar};
use crate::{Problem, Rng};

const N: usize = 1000;

#[differentiable]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() / 2 {
        let a = x[2 * i];
        let b = x[2 * i + 1];
        s += 100.0 * (b - a * a).powi(2) + (1.0 - a).powi(2);
    }
    s
}

/// The gradient by hand: per pair, d/da = -400 a (b - a²) - 2 (1 - a), d/db = 200 (b - a²).
fn rosenbrock_hand(x: &[f64], g: &mut [f64]) {
    for i in 0..x.len() / 2 {
        let (a, b) = (x[2 * i], x[2 * i + 1]);
        let r = b - a * a;
        g[2 * i] = -400.0 * a * r - 2.0 * (1.0 - a);
        g[2 * i + 1] = 200.0 * r;
    }
}

/// The same gradient under `vjp`'s contract: added into a buffer the caller zeroed (a shadow
/// accumulates), instead of written over it.
fn rosenbrock_hand_accumulating(x: &[f64], g: &mut [f64]) {
    g.fill(0.0);
    for i in 0..x.len() / 2 {
        let (a, b) = (x[2 * i], x[2 * i + 1]);
        let r = b - a * a;
        g[2 * i] += -400.0 * a * r - 2.0 * (1.0 - a);
        g[2 * i + 1] += 200.0 * r;
    }
}

/// The same function for the peers' number types.
fn rosenbrock_generic<T: Scalar>(x: &[T]) -> T {
    let mut s = x[0].lift(0.0);
    for i in 0..x.len() / 2 {
        let a = x[2 * i];
        let b = x[2 * i + 1];
        s = s + (b - a * a).powi(2) * 100.0 + a.sub_from(1.0).powi(2);
    }
    s
}

pub fn problem(_quick: bool) -> Problem<Vec<f64>> {
    let mut rng = Rng::new(1);
    Problem {
        name: "rosenbrock",
        about: format!("extended Rosenbrock, n = {N}"),
        data: rng.vec(N, |r| r.uniform(-1.5, 1.5)),
        n: N,
        primal: |x| rosenbrock(x),
        tools: Vec::new(),
    }
    .tool("vjp", |x, g| {
        g.fill(0.0);
        rosenbrock_grad(x, g);
    })
    .tool("hand-written", |x, g| rosenbrock_hand(x, g))
    .tool("hand-written, += into zeroed g", |x, g| {
        rosenbrock_hand_accumulating(x, g)
    })
    .tool("num-dual (forward, n passes)", |x, g| {
        peers::forward_passes(rosenbrock_generic, x, 0..N, g)
    })
    .tool("echidna (tape)", |x, g| {
        peers::echidna_gradient(rosenbrock_generic, x, g)
    })
    .tool("reverse (tape)", |x, g| {
        peers::reverse_gradient(|x| rosenbrock_generic(x), x, g)
    })
}
