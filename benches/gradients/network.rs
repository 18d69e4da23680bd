//! A two-layer network's loss: 64 inputs, 32 tanh hidden units, one linear output, mean squared
//! error over a batch of 16 samples; the gradient with respect to the 2,113 parameters, which
//! are flattened into one slice: `W1` (32 x 64, row-major), `b1` (32), `w2` (32), `b2` (1).

use vjp::differentiable;

use crate::peers::{self, Scalar};
use crate::{Problem, Rng};

const INPUTS: usize = 64;
const HIDDEN: usize = 32;
const BATCH: usize = 16;
/// Where `b1`, `w2` and `b2` start in the parameters.
const B1: usize = HIDDEN * INPUTS;
const W2: usize = B1 + HIDDEN;
const B2: usize = W2 + HIDDEN;
const PARAMS: usize = B2 + 1;

/// The parameters `p` at which the gradient is taken, the inputs `xs` (row-major, one row per
/// sample) and the targets `ys`.
pub struct Data {
    p: Vec<f64>,
    xs: Vec<f64>,
    ys: Vec<f64>,
}

#[differentiable]
fn loss(p: &[f64], #[no_grad] xs: &[f64], #[no_grad] ys: &[f64]) -> f64 {
    let mut total = 0.0;
    for s in 0..ys.len() {
        let mut h = [0.0; HIDDEN];
        for j in 0..HIDDEN {
            let mut a = p[B1 + j];
            for i in 0..INPUTS {
                a += p[j * INPUTS + i] * xs[s * INPUTS + i];
            }
            h[j] = a.tanh();
        }
        let mut out = p[B2];
        for j in 0..HIDDEN {
            out += p[W2 + j] * h[j];
        }
        let e = out - ys[s];
        total += e * e;
    }
    total / ys.len() as f64
}

/// The gradient by hand: a forward pass keeping the hidden layer, then backpropagation.
fn loss_hand(p: &[f64], xs: &[f64], ys: &[f64], g: &mut [f64]) {
    g.fill(0.0);
    let scale = 2.0 / ys.len() as f64;
    for (s, &y) in ys.iter().enumerate() {
        let x = &xs[s * INPUTS..(s + 1) * INPUTS];
        let mut h = [0.0; HIDDEN];
        let mut out = p[B2];
        for j in 0..HIDDEN {
            let row = &p[j * INPUTS..(j + 1) * INPUTS];
            let a = p[B1 + j] + row.iter().zip(x).map(|(w, x)| w * x).sum::<f64>();
            h[j] = a.tanh();
            out += p[W2 + j] * h[j];
        }
        let d_out = scale * (out - y);
        g[B2] += d_out;
        for j in 0..HIDDEN {
            g[W2 + j] += d_out * h[j];
            let d_a = d_out * p[W2 + j] * (1.0 - h[j] * h[j]);
            g[B1 + j] += d_a;
            for (gw, xi) in g[j * INPUTS..(j + 1) * INPUTS].iter_mut().zip(x) {
                *gw += d_a * xi;
            }
        }
    }
}

/// The same function for the peers' number types.
fn loss_generic<T: Scalar>(p: &[T], xs: &[f64], ys: &[f64]) -> T {
    let mut total = p[0].lift(0.0);
    let mut h = [total; HIDDEN];
    for (s, &y) in ys.iter().enumerate() {
        for (j, hj) in h.iter_mut().enumerate() {
            let mut a = p[B1 + j];
            for i in 0..INPUTS {
                a = a + p[j * INPUTS + i] * xs[s * INPUTS + i];
            }
            *hj = a.tanh();
        }
        let mut out = p[B2];
        for (j, &hj) in h.iter().enumerate() {
            out = out + p[W2 + j] * hj;
        }
        let e = out - y;
        total = total + e * e;
    }
    total / ys.len() as f64
}

pub fn problem(_quick: bool) -> Problem<Data> {
    let mut rng = Rng::new(2);
    let mut p = rng.vec(B1, |r| r.uniform(-1.0, 1.0) / (INPUTS as f64).sqrt());
    p.extend(rng.vec(HIDDEN, |r| r.uniform(-0.1, 0.1)));
    p.extend(rng.vec(HIDDEN, |r| r.uniform(-1.0, 1.0) / (HIDDEN as f64).sqrt()));
    p.push(0.05);
    let data = Data {
        p,
        xs: rng.vec(BATCH * INPUTS, |r| r.uniform(-1.0, 1.0)),
        ys: rng.vec(BATCH, |r| r.uniform(-1.0, 1.0)),
    };
    Problem {
        name: "network",
        about: format!(
            "two-layer network, {INPUTS} inputs, {HIDDEN} tanh hidden, 1 output, batch of \
             {BATCH}: gradient in the {PARAMS} parameters"
        ),
        data,
        n: PARAMS,
        primal: |d| loss(&d.p, &d.xs, &d.ys),
        tools: Vec::new(),
    }
    .tool("vjp", |d, g| {
        g.fill(0.0);
        loss_grad(&d.p, g, &d.xs, &d.ys);
    })
    .tool("hand-written", |d, g| loss_hand(&d.p, &d.xs, &d.ys, g))
    .tool("num-dual (forward, n passes)", |d, g| {
        peers::forward_passes(|p| loss_generic(p, &d.xs, &d.ys), &d.p, 0..PARAMS, g)
    })
    .tool("echidna (tape)", |d, g| {
        peers::echidna_gradient(|p| loss_generic(p, &d.xs, &d.ys), &d.p, g)
    })
    .tool("reverse (tape)", |d, g| {
        peers::reverse_gradient(|p| loss_generic(p, &d.xs, &d.ys), &d.p, g)
    })
}
