//! Softmax-style reductions over a slice of 1000: a cross-entropy written with iterator
//! adapters (`fold` to a running maximum, `map(..).collect()` of the shifted exponentials, then
//! `sum`, then a read of the collected `Vec`), and a log-sum-exp written as two loops, the
//! first a running maximum `m = m.max(z[i])`. Not among the performance issue's problems: they
//! time two shapes that the README lists among the known slow cases (the collected `Vec` read
//! again, and the running maximum), against hand-written gradients that use the softmax.

#![allow(clippy::needless_range_loop)]

use vjp::differentiable;

use crate::{Problem, Rng};

const N: usize = 1000;

/// The logits and the label of the cross-entropy.
pub struct Data {
    z: Vec<f64>,
    label: usize,
}

#[differentiable]
fn cross_entropy(z: &[f64], label: usize) -> f64 {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    -(e[label] / s).ln()
}

/// By hand: softmax(z) minus the one-hot label.
fn cross_entropy_hand(z: &[f64], label: usize, g: &mut [f64]) {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for (gi, zi) in g.iter_mut().zip(z) {
        *gi = (zi - m).exp();
        s += *gi;
    }
    for gi in g.iter_mut() {
        *gi /= s;
    }
    g[label] -= 1.0;
}

pub fn cross_entropy_problem(_quick: bool) -> Problem<Data> {
    let mut rng = Rng::new(21);
    let z = rng.vec(N, |r| r.uniform(-3.0, 3.0));
    Problem {
        name: "softmax_cross_entropy",
        about: format!("cross-entropy of softmax(z), n = {N}, with fold, map-collect and sum"),
        data: Data { z, label: 7 },
        n: N,
        primal: |d| cross_entropy(&d.z, d.label),
        tools: Vec::new(),
    }
    .tool("vjp", |d, g| {
        g.fill(0.0);
        cross_entropy_grad(&d.z, g, d.label);
    })
    .tool("hand-written", |d, g| cross_entropy_hand(&d.z, d.label, g))
}

#[differentiable]
fn logsumexp(z: &[f64]) -> f64 {
    let mut m = z[0];
    for i in 1..z.len() {
        m = m.max(z[i]);
    }
    let mut s = 0.0;
    for i in 0..z.len() {
        s += (z[i] - m).exp();
    }
    s.ln() + m
}

/// By hand: softmax(z).
fn logsumexp_hand(z: &[f64], g: &mut [f64]) {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for (gi, zi) in g.iter_mut().zip(z) {
        *gi = (zi - m).exp();
        s += *gi;
    }
    for gi in g.iter_mut() {
        *gi /= s;
    }
}

pub fn logsumexp_problem(_quick: bool) -> Problem<Data> {
    let mut rng = Rng::new(22);
    let z = rng.vec(N, |r| r.uniform(-3.0, 3.0));
    Problem {
        name: "softmax_logsumexp",
        about: format!("log-sum-exp over a slice, n = {N}, a running maximum then a sum"),
        data: Data { z, label: 0 },
        n: N,
        primal: |d| logsumexp(&d.z),
        tools: Vec::new(),
    }
    .tool("vjp", |d, g| {
        g.fill(0.0);
        logsumexp_grad(&d.z, g);
    })
    .tool("hand-written", |d, g| logsumexp_hand(&d.z, g))
}
