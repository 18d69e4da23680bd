//! Costly values (`exp`, `tanh`, `ln`, ...) computed in a loop and read by its reverse are
//! saved by the forward sweep instead of computed again (`Plan::saved`): the floats saved at
//! the top level of one block go on one tape, as one tuple per run of the block
//! (`Plan::save_head`), or, with the slot values a loop saves, on the loop's own tape
//! (`Plan::merged`). Each shape is checked against central differences, with the shadow's
//! accumulation and the exact primal output; `one_tape_per_block` counts the allocations.
#![deny(warnings)]
#![allow(clippy::needless_range_loop)]

mod common;

#[path = "common/counting.rs"]
mod counting;

use common::check_slice;
use counting::allocations;
use vjp::differentiable;

/// Two saved values in one body: one tuple per iteration. (The square of the sum: the
/// loop's reverse needs the sum's final value, so it cannot run in the forward pass.)
#[differentiable]
fn exp_and_tanh(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let e = (0.5 * x[i]).exp();
        let t = (x[i] - 0.2).tanh();
        s += e * t;
    }
    s * s
}

/// Five saved values in one body: more than a `SmallTape` tuple holds, on a `Tape`.
#[differentiable]
fn five(x: &[f64]) -> f64 {
    let mut s = 0.0;
    let mut p: f64 = 1.0;
    for i in 0..x.len() {
        let a = x[i].exp();
        let b = x[i].tanh();
        let c = (x[i] * x[i] + 1.0).ln();
        let d = (0.3 * x[i]).sin();
        let e = (0.2 * x[i]).cosh();
        p = 0.5 * p + 0.1 * (a * b - c * d + e * p.sin());
        s += p;
    }
    s
}

/// A log-sum-exp: the running maximum, then the exponentials saved by the sum's loop.
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

/// A cross-entropy through iterator adapters: the collected exponentials are saved.
#[differentiable]
fn cross_entropy(z: &[f64]) -> f64 {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    -(e[1] / s).ln()
}

/// Saved values in an inner loop, and in the outer loop's body after it.
#[differentiable]
fn nested(x: &[f64]) -> f64 {
    let mut h = 0.1;
    for r in 0..3 {
        let mut a = 0.0;
        for i in 0..x.len() {
            a += (x[i] * h + r as f64 * 0.1).tanh();
        }
        h = (0.5 * a).exp() * 0.3;
    }
    h
}

/// A `while` loop that leaves early: the saved values of the iterations that ran.
#[differentiable]
fn while_break(x: &[f64]) -> f64 {
    let mut i = 0;
    let mut s = 0.0;
    while i < x.len() {
        let e = (x[i] * 0.7).exp();
        if s > 6.0 {
            break;
        }
        s += e * x[i];
        i += 1;
    }
    s
}

/// A saved value at the top level of the body and another computed in a branch.
#[differentiable]
fn branch(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let e = x[i].exp();
        if x[i] > 0.0 {
            s += e * x[i].tanh();
        } else {
            s += e * 0.5;
        }
    }
    s
}

/// A recurrence: the state at iteration start and its `tanh` share the loop's tape.
#[differentiable]
fn recurrence(w: f64, #[no_grad] x: &[f64]) -> f64 {
    let mut h = 0.2;
    for i in 0..x.len() {
        h = (w * h + x[i]).tanh();
    }
    h
}

/// Generic over the float type.
#[differentiable]
fn generic<T: vjp::Real>(x: &[T]) -> T {
    let mut s = T::zero();
    for i in 0..x.len() {
        s = s * T::from_f64(0.5) + (x[i] * s + T::from_f64(0.1)).tanh();
    }
    s
}

/// Inputs of length 3, 32 (the `SmallTape`'s room in place) and 40 (past it), none at the
/// kink of `branch`.
fn inputs() -> Vec<Vec<f64>> {
    [3, 32, 40]
        .iter()
        .map(|n| {
            (0..*n)
                .map(|i| ((i * 7 % 11) as f64 - 5.0) * 0.17 + 0.03)
                .collect()
        })
        .collect()
}

#[test]
fn finite_differences() {
    for x in inputs() {
        check_slice(
            "exp_and_tanh",
            exp_and_tanh,
            |x, g, v| exp_and_tanh_vjp(x, g, v).0,
            &x,
        );
        check_slice("five", five, |x, g, v| five_vjp(x, g, v).0, &x);
        check_slice(
            "logsumexp",
            logsumexp,
            |x, g, v| logsumexp_vjp(x, g, v).0,
            &x,
        );
        check_slice(
            "cross_entropy",
            cross_entropy,
            |x, g, v| cross_entropy_vjp(x, g, v).0,
            &x,
        );
        check_slice("nested", nested, |x, g, v| nested_vjp(x, g, v).0, &x);
        check_slice(
            "while_break",
            while_break,
            |x, g, v| while_break_vjp(x, g, v).0,
            &x,
        );
        check_slice("branch", branch, |x, g, v| branch_vjp(x, g, v).0, &x);
        check_slice(
            "generic",
            generic::<f64>,
            |x, g, v| generic_vjp(x, g, v).0,
            &x,
        );
    }
}

#[test]
fn recurrence_against_differences() {
    let x: Vec<f64> = (0..40).map(|i| (i as f64 * 0.37).sin()).collect();
    for w in [-1.3, 0.4, 0.9] {
        let (y, (g,)) = recurrence_vjp(w, &x, 1.0);
        assert_eq!(y.to_bits(), recurrence(w, &x).to_bits());
        let h = 1e-6;
        let want = (recurrence(w + h, &x) - recurrence(w - h, &x)) / (2.0 * h);
        assert!(
            (g - want).abs() <= 1e-7 * want.abs().max(1.0),
            "{g} against {want}"
        );
    }
}

#[test]
fn generic_f32() {
    let x: Vec<f32> = (0..40)
        .map(|i| ((i * 7 % 11) as f32 - 5.0) * 0.17)
        .collect();
    let mut g = vec![0.0f32; x.len()];
    generic_grad(&x, &mut g);
    let x64: Vec<f64> = x.iter().map(|v| *v as f64).collect();
    let mut g64 = vec![0.0; x.len()];
    generic_grad(&x64, &mut g64);
    for (a, b) in g.iter().zip(&g64) {
        assert!(
            (*a as f64 - b).abs() <= 1e-4 * b.abs().max(1.0),
            "{a} against {b}"
        );
    }
}

#[test]
fn one_tape_per_block() {
    for n in [3, 32] {
        let x = vec![0.1; n];
        let mut g = vec![0.0; n];
        // Two saved floats per iteration, up to 32 pairs in place.
        assert_eq!(
            allocations(|| _ = exp_and_tanh_vjp(&x, &mut g, 1.0)),
            0,
            "{n}"
        );
    }
    let x = vec![0.1; 1000];
    let mut g = vec![0.0; 1000];
    // One tape of pairs, made once for the trip count.
    assert_eq!(allocations(|| _ = exp_and_tanh_vjp(&x, &mut g, 1.0)), 1);
    // The slot `p` and the five saved floats as one tuple per iteration, on the loop's own
    // tape (a `Tape`: more than four floats).
    assert_eq!(allocations(|| _ = five_vjp(&x, &mut g, 1.0)), 1);
    // The state `h` and its `tanh` on one `SmallTape`: none up to 32 steps, one after.
    for (n, tapes) in [(32, 0), (33, 1), (1000, 1)] {
        let x = vec![0.1; n];
        assert_eq!(
            allocations(|| _ = recurrence_vjp(0.7, &x, 1.0)),
            tapes,
            "{n}"
        );
    }
}
