//! Copies of aggregates (`let b = a;`, `a.clone()`, `let e: Vec<f64> = ..collect();`) whose
//! source nothing reads afterwards share the source's adjoint (`activity::copy_aliases`): the
//! copy's reverse adds nothing into anything. Each function is checked against central
//! differences (`common::check_slice`, which also checks that the shadow accumulates) and by
//! the dot-product test against the forward mode; the functions where the source *is* read
//! after the copy, or leaves the block, must keep two adjoints, and are checked the same way.
#![deny(warnings)]
#![allow(clippy::needless_range_loop)]

mod common;

use common::{assert_dot, check_slice};
use vjp::differentiable;

/// The softmax cross-entropy of the benchmark: the collected `Vec` bound to a name.
#[differentiable]
fn cross_entropy(z: &[f64]) -> f64 {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    -(e[2] / s).ln()
}

/// A copy written after the copy (its first element replaced), the source not read again.
#[differentiable]
fn copy_then_write(x: &[f64]) -> f64 {
    let a: Vec<f64> = x.iter().map(|v| v * v).collect();
    let mut b = a.clone();
    b[0] = x[1].sin();
    b[0] * b[1] + b[2] * x[0]
}

/// The source read after the copy, and the copy written: two adjoints.
#[differentiable]
fn source_read_after(x: &[f64]) -> f64 {
    let a = [x[0] * x[1], x[2].sin(), x[3]];
    let mut b = a;
    b[1] = b[0] * 3.0;
    a[1] * b[1] + a[0] * b[2]
}

/// A copy in a branch whose source is the branch's value: the source leaves the block.
#[differentiable]
fn source_leaves_the_branch(x: &[f64]) -> f64 {
    let mut d = 0.5;
    let c = if x[0] > 0.0 {
        let a = [x[1] * 2.0, x[2]];
        let mut b = a;
        b[0] = b[1] * x[3];
        d = b[0] * b[1];
        a
    } else {
        [x[3], x[1]]
    };
    c[0] * c[1] + d
}

/// A copy inside a loop body, of an array the body makes, written back to the loop's state.
#[differentiable]
fn copy_in_a_loop(x: &[f64]) -> f64 {
    let mut state = [0.5, -0.25];
    for i in 0..x.len() {
        let next = [state[1] * x[i], (state[0] + x[i]).tanh()];
        let kept = next;
        state = kept;
    }
    state[0] + 2.0 * state[1]
}

#[test]
fn copies_share_the_source_adjoint_when_nothing_reads_the_source_after() {
    let x = [0.7, -1.2, 0.4, 1.9, -0.3];
    check_slice(
        "cross_entropy",
        cross_entropy,
        |x, g, v| cross_entropy_vjp(x, g, v).0,
        &x,
    );
    check_slice(
        "copy_then_write",
        copy_then_write,
        |x, g, v| copy_then_write_vjp(x, g, v).0,
        &x,
    );
    check_slice(
        "source_read_after",
        source_read_after,
        |x, g, v| source_read_after_vjp(x, g, v).0,
        &x,
    );
    for x0 in [0.7, -0.7] {
        let x = [x0, -1.2, 0.4, 1.9];
        check_slice(
            "source_leaves_the_branch",
            source_leaves_the_branch,
            |x, g, v| source_leaves_the_branch_vjp(x, g, v).0,
            &x,
        );
    }
    check_slice(
        "copy_in_a_loop",
        copy_in_a_loop,
        |x, g, v| copy_in_a_loop_vjp(x, g, v).0,
        &x,
    );
    // The dot-product test against the forward mode.
    let u = [0.3, -0.2, 0.5, 0.1, -0.4];
    for (name, jvp, vjp) in [
        (
            "cross_entropy",
            cross_entropy_jvp as fn(&[f64], &[f64]) -> (f64, f64),
            cross_entropy_vjp as fn(&[f64], &mut [f64], f64) -> (f64, ()),
        ),
        ("copy_then_write", copy_then_write_jvp, copy_then_write_vjp),
        (
            "source_read_after",
            source_read_after_jvp,
            source_read_after_vjp,
        ),
        ("copy_in_a_loop", copy_in_a_loop_jvp, copy_in_a_loop_vjp),
    ] {
        let (_, ju) = jvp(&x, &u);
        let mut g = [0.0; 5];
        vjp(&x, &mut g, -0.8);
        println!("{name}");
        assert_dot(-0.8, ju, &g, &u);
    }
}
