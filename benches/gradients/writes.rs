//! Element writes in loops whose reverse reads the aggregate written: a trajectory stored in a
//! `Vec` (`y[i + 1] = f(y[i])`, 1000 steps), a recurrent cell updating its state in place
//! (`h[i] = tanh(w[i] h[i] + x[t])`, 64 units, 32 steps), and a leaky ReLU applied in place to
//! a `Vec` of 1000 (`if h[i] < 0.0 { h[i] *= 0.1 }`, a write inside an `if`). Not among the performance issue's
//! problems: they check that `vjp` saves only the elements each step overwrites (an undo log,
//! `vjp-macro/src/undo.rs`), against a hand-written gradient and against the same function
//! written so that `vjp` must save the whole aggregate at every step (the write in an `if`
//! whose branch calls a plain function, which the reverse does not run again), which is what it did for every such loop before.

#![allow(clippy::needless_range_loop)]

use vjp::differentiable;

use crate::{Problem, Rng};

const STEPS: usize = 1000;

/// 1, from a plain function (not differentiated, so the reverse sweep does not call it again:
/// an `if` that calls it keeps its aggregate whole on the tape).
#[inline(never)]
fn unit(_step: usize) -> f64 {
    1.0
}
const UNITS: usize = 64;
const TIMES: usize = 32;

/// The rates of the trajectory, or the recurrent weights and inputs.
pub struct Data {
    k: Vec<f64>,
    x: Vec<f64>,
}

#[differentiable]
fn trajectory(k: &[f64]) -> f64 {
    let n = k.len();
    let mut y = vec![1.0; n + 1];
    for i in 0..n {
        y[i + 1] = 0.5 * y[i] + 0.4 * (y[i] * k[i]).sin() + 0.3;
    }
    y[n]
}

/// The same, with the write in an `if` that calls a plain function: `vjp` saves the whole `Vec`.
#[differentiable]
fn trajectory_whole(k: &[f64]) -> f64 {
    let n = k.len();
    let mut y = vec![1.0; n + 1];
    for i in 0..n {
        if i < n {
            y[i + 1] = (0.5 * y[i] + 0.4 * (y[i] * k[i]).sin() + 0.3) * unit(i);
        }
    }
    y[n]
}

/// By hand: the states forward, then d y[n] / d k[i] backwards.
fn trajectory_hand(k: &[f64], g: &mut [f64]) {
    let n = k.len();
    let mut y = vec![1.0; n + 1];
    for i in 0..n {
        y[i + 1] = 0.5 * y[i] + 0.4 * (y[i] * k[i]).sin() + 0.3;
    }
    let mut bar = 1.0;
    for i in (0..n).rev() {
        let c = 0.4 * (y[i] * k[i]).cos();
        g[i] = bar * c * y[i];
        bar *= 0.5 + c * k[i];
    }
}

pub fn trajectory_problem(_quick: bool) -> Problem<Data> {
    let mut rng = Rng::new(11);
    let k = rng.vec(STEPS, |r| r.uniform(-1.0, 1.0));
    Problem {
        name: "writes_trajectory",
        about: format!(
            "element writes: a trajectory y[i + 1] = f(y[i], k[i]) in a Vec, {STEPS} steps"
        ),
        data: Data { k, x: Vec::new() },
        n: STEPS,
        primal: |d| trajectory(&d.k),
        tools: Vec::new(),
    }
    .tool("vjp", |d, g| {
        g.fill(0.0);
        trajectory_grad(&d.k, g);
    })
    .tool("hand-written", |d, g| trajectory_hand(&d.k, g))
    .tool(
        "vjp, the Vec saved whole (a plain call in the if)",
        |d, g| {
            g.fill(0.0);
            trajectory_whole_grad(&d.k, g);
        },
    )
}

#[differentiable]
fn recurrent(w: &[f64], #[no_grad] x: &[f64]) -> f64 {
    let mut h = [0.5; UNITS];
    for t in 0..x.len() {
        for i in 0..UNITS {
            h[i] = (w[i] * h[i] + x[t]).tanh();
        }
    }
    h.iter().sum()
}

/// The same, with the write in an `if` that calls a plain function: `vjp` saves the whole
/// array.
#[differentiable]
fn recurrent_whole(w: &[f64], #[no_grad] x: &[f64]) -> f64 {
    let mut h = [0.5; UNITS];
    for t in 0..x.len() {
        for i in 0..UNITS {
            if t < x.len() {
                h[i] = (w[i] * h[i] + x[t]).tanh() * unit(i);
            }
        }
    }
    h.iter().sum()
}

/// By hand: every state kept, then the units' adjoints backwards through the steps.
fn recurrent_hand(w: &[f64], x: &[f64], g: &mut [f64]) {
    let mut hs = vec![[0.0; UNITS]; x.len() + 1];
    hs[0] = [0.5; UNITS];
    for t in 0..x.len() {
        for i in 0..UNITS {
            hs[t + 1][i] = (w[i] * hs[t][i] + x[t]).tanh();
        }
    }
    g.fill(0.0);
    let mut bar = [1.0; UNITS];
    for t in (0..x.len()).rev() {
        for i in 0..UNITS {
            let h = hs[t + 1][i];
            let da = bar[i] * (1.0 - h * h);
            g[i] += da * hs[t][i];
            bar[i] = da * w[i];
        }
    }
}

pub fn recurrent_problem(_quick: bool) -> Problem<Data> {
    let mut rng = Rng::new(12);
    let k = rng.vec(UNITS, |r| r.uniform(-1.0, 1.0));
    let x = rng.vec(TIMES, |r| r.uniform(-1.0, 1.0));
    Problem {
        name: "writes_recurrent",
        about: format!(
            "element writes: a recurrent cell h[i] = tanh(w[i] h[i] + x[t]) in a [f64; {UNITS}], {TIMES} steps"
        ),
        data: Data { k, x },
        n: UNITS,
        primal: |d| recurrent(&d.k, &d.x),
        tools: Vec::new(),
    }
    .tool("vjp", |d, g| {
        g.fill(0.0);
        recurrent_grad(&d.k, g, &d.x);
    })
    .tool("hand-written", |d, g| recurrent_hand(&d.k, &d.x, g))
    .tool("vjp, the array saved whole (a plain call in the if)", |d, g| {
        g.fill(0.0);
        recurrent_whole_grad(&d.k, g, &d.x);
    })
}

const RELU: usize = 1000;

#[differentiable]
fn relu(x: &[f64]) -> f64 {
    let mut h = x.to_vec();
    for i in 0..h.len() {
        if h[i] < 0.0 {
            h[i] *= 0.1;
        }
    }
    let mut s = 0.0;
    for i in 0..h.len() {
        s += h[i] * h[(i + 1) % h.len()];
    }
    s
}

/// The same, with the write in an `if` that calls a plain function: `vjp` saves the whole `Vec`.
#[differentiable]
fn relu_whole(x: &[f64]) -> f64 {
    let mut h = x.to_vec();
    for i in 0..h.len() {
        if h[i] < 0.0 {
            h[i] *= 0.1 * unit(i);
        }
    }
    let mut s = 0.0;
    for i in 0..h.len() {
        s += h[i] * h[(i + 1) % h.len()];
    }
    s
}

/// By hand: with h the activations, d/dh[i] = h[i + 1] + h[i - 1] (cyclically), times the
/// slope at x[i].
fn relu_hand(x: &[f64], g: &mut [f64]) {
    let n = x.len();
    let slope = |v: f64| if v < 0.0 { 0.1 } else { 1.0 };
    let h: Vec<f64> = x.iter().map(|&v| v * slope(v)).collect();
    for i in 0..n {
        g[i] = (h[(i + 1) % n] + h[(i + n - 1) % n]) * slope(x[i]);
    }
}

pub fn relu_problem(_quick: bool) -> Problem<Data> {
    let mut rng = Rng::new(13);
    let k = rng.vec(RELU, |r| r.uniform(-1.0, 1.0));
    Problem {
        name: "writes_relu",
        about: format!("element writes in an if: a leaky ReLU in place on a Vec of {RELU}"),
        data: Data { k, x: Vec::new() },
        n: RELU,
        primal: |d| relu(&d.k),
        tools: Vec::new(),
    }
    .tool("vjp", |d, g| {
        g.fill(0.0);
        relu_grad(&d.k, g);
    })
    .tool("hand-written", |d, g| relu_hand(&d.k, g))
    .tool(
        "vjp, the Vec saved whole (a plain call in the if)",
        |d, g| {
            g.fill(0.0);
            relu_whole_grad(&d.k, g);
        },
    )
}
