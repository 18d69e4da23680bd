//! Loops whose reverse reads an integer that the loop steps (`l += 1`, `l -= 1`, or `l` handed
//! on from an inner loop that steps it): the reverse runs such a loop forwards, stepping the
//! integer again from its value before the loop (`Plan::replay` in `vjp-macro/src/plan.rs`),
//! and reads `q[l]`, for `l` stepped by one in a range that runs forwards, through a window of
//! `q` made before the loop,
//! adding its adjoint through a window of `q`'s adjoint when nothing else in the loop reads `q`
//! (`vjp-macro/src/bounds.rs`). The derivatives must not change, the generated code must
//! panic exactly when the function does, and loops whose reverse still runs backwards must not
//! read through a window cut at the slot's value after the loop.

// Index loops and counters stepped by hand are what these tests exercise.
#![allow(
    clippy::needless_range_loop,
    clippy::manual_memcpy,
    clippy::explicit_counter_loop
)]

mod common;

use common::{assert_dot, check_slice};
use vjp::differentiable;

const N: usize = 4;

/// `Q x` for a packed lower triangle `Q` (from `q[offset..]`, column by column, without its
/// diagonal) plus the identity, then the squared norm: GMM's shape.
#[differentiable]
fn packed(q: &[f64], x: &[f64], #[no_grad] offset: usize) -> f64 {
    let mut y = [0.0; N];
    for j in 0..N {
        y[j] = x[j];
    }
    let mut l = offset;
    for c in 0..N {
        for r in c + 1..N {
            y[r] += q[l] * x[c];
            l += 1;
        }
    }
    let mut s = 0.0;
    for j in 0..N {
        s += y[j] * y[j];
    }
    s
}

#[test]
fn a_packed_triangle_read_column_by_column() {
    let x = [0.4, -0.3, 0.9, 1.2];
    let q: Vec<f64> = (0..9).map(|k| 0.3 * (k as f64).cos() - 0.1).collect();
    let mut g = vec![0.0; 9];
    let mut gx = [0.0; N];
    let (y, ()) = packed_vjp(&q, &mut g, &x, &mut gx, 2, 1.0);
    assert_eq!(y.to_bits(), packed(&q, &x, 2).to_bits());
    // The closed form: y = x + L x with L strictly lower; ds/dL[r][c] = 2 y[r] x[c], the first
    // two elements of `q` unread.
    let mut yv = x;
    let mut l = 2;
    let mut want = vec![0.0; 9];
    let mut at = Vec::new();
    for c in 0..N {
        for r in c + 1..N {
            yv[r] += q[l] * x[c];
            at.push((l, r, c));
            l += 1;
        }
    }
    for (l, r, c) in at {
        want[l] = 2.0 * yv[r] * x[c];
    }
    common::assert_near(&g, &want, 1e-12);
    check_slice(
        "packed in q",
        |q| packed(q, &x, 2),
        |q, g, v| {
            let mut gx = [0.0; N];
            packed_vjp(q, g, &x, &mut gx, 2, v).0
        },
        &q,
    );
    check_slice(
        "packed in x",
        |x| packed(&q, x, 2),
        |x, g, v| {
            let mut gq = vec![0.0; 9];
            packed_vjp(&q, &mut gq, x, g, 2, v).0
        },
        &x,
    );
    let (uq, ux): (Vec<f64>, [f64; N]) = (
        (0..9).map(|k| 0.5 - 0.13 * k as f64).collect(),
        [0.2, -0.6, 0.1, 0.9],
    );
    let (_, ju) = packed_jvp(&q, &uq, &x, &ux, 2);
    let (mut gq, mut gx) = (vec![0.0; 9], [0.0; N]);
    packed_vjp(&q, &mut gq, &x, &mut gx, 2, -0.7);
    let u: Vec<f64> = uq.iter().chain(&ux).copied().collect();
    let g: Vec<f64> = gq.iter().chain(&gx).copied().collect();
    assert_dot(-0.7, ju, &g, &u);
}

#[test]
#[should_panic]
fn a_triangle_past_the_end_panics_as_the_function_does() {
    let x = [0.4, -0.3, 0.9, 1.2];
    let q = vec![0.5; 9];
    // Six elements from 4 on: the last read is q[9].
    assert!(std::panic::catch_unwind(|| packed(&q, &x, 4)).is_err());
    let (mut g, mut gx) = (vec![0.0; 9], [0.0; N]);
    packed_vjp(&q, &mut g, &x, &mut gx, 4, 1.0);
}

/// Rows of a triangle read from `offset` on, `m` of them: no read when `m` is 0 or 1 (every
/// inner range is empty), wherever `offset` points.
#[differentiable]
fn rows(q: &[f64], #[no_grad] offset: usize, #[no_grad] m: usize) -> f64 {
    let mut l = offset;
    let mut s = 0.0;
    for c in 0..m {
        for r in c + 1..m {
            s += q[l] * (r as f64);
            l += 1;
        }
    }
    s
}

#[test]
fn empty_inner_ranges_read_nothing() {
    let q = [1.0, 2.0, 3.0];
    let mut g = [0.0; 3];
    assert_eq!(rows_vjp(&q, &mut g, 100, 1, 1.0).0, 0.0);
    assert_eq!(rows_vjp(&q, &mut g, 100, 0, 1.0).0, 0.0);
    assert_eq!(g, [0.0; 3]);
    assert_eq!(rows_jvp(&q, &[1.0; 3], 100, 1), (0.0, 0.0));
    // m = 2: one read, q[1] * 1.
    assert_eq!(rows_vjp(&q, &mut g, 1, 2, 1.0).0, 2.0);
    assert_eq!(g, [0.0, 1.0, 0.0]);
}

/// A counter stepped down, read one below: the reverse steps it down again.
#[differentiable]
fn backwards(x: &[f64], w: &[f64]) -> f64 {
    let mut l = x.len();
    let mut s = 0.0;
    for i in 0..w.len() {
        s += x[l - 1] * w[i];
        l -= 1;
    }
    s
}

#[test]
fn a_counter_stepped_down() {
    let x = [0.3, -1.2, 0.8, 2.0];
    let w = [0.5, -0.25, 1.5];
    let mut gx = [0.0; 4];
    let mut gw = [0.0; 3];
    backwards_vjp(&x, &mut gx, &w, &mut gw, 2.0);
    // s = x[3] w[0] + x[2] w[1] + x[1] w[2].
    assert_eq!(gx, [0.0, 3.0, -0.5, 1.0]);
    assert_eq!(gw, [4.0, 1.6, -2.4]);
}

/// The outer loop's reverse runs backwards (it saves `e`, a costly value), the inner one's
/// forwards: the outer loop keeps `l` at each iteration's start for it.
#[differentiable]
fn scaled_columns(q: &[f64], x: &[f64]) -> f64 {
    let mut l = 0;
    let mut s = 0.0;
    for c in 0..x.len() {
        let e = x[c].exp();
        for r in c..x.len() {
            s += q[l] * e * (r as f64 + 1.0);
            l += 1;
        }
    }
    s
}

#[test]
fn an_inner_loop_run_forwards_in_an_outer_one_run_backwards() {
    let x = [0.1, -0.4, 0.7];
    let q = [0.5, -1.0, 0.25, 2.0, 0.75, -0.5];
    check_slice(
        "scaled_columns in q",
        |q| scaled_columns(q, &x),
        |q, g, v| {
            let mut gx = [0.0; 3];
            scaled_columns_vjp(q, g, &x, &mut gx, v).0
        },
        &q,
    );
    check_slice(
        "scaled_columns in x",
        |x| scaled_columns(&q, x),
        |x, g, v| {
            let mut gq = [0.0; 6];
            scaled_columns_vjp(&q, &mut gq, x, g, v).0
        },
        &x,
    );
}

/// Loops whose reverse runs backwards (an `if` in their body): their reverse steps `l` back,
/// and must read `q[l]` at that value, not through a window cut where `l` stands after the
/// loop. The first is in an outer loop, the second follows another loop.
#[differentiable]
fn branchy(q: &[f64], #[no_grad] start: usize, #[no_grad] m: usize) -> f64 {
    let mut s = 0.0;
    for k in 0..2 {
        let mut l = start + k;
        for i in 0..m {
            let t = q[l];
            if t > 0.0 {
                s += t * t * (i as f64 + 1.0);
            } else {
                s -= t;
            }
            l += 1;
        }
    }
    let mut l = start;
    for i in 0..m {
        let t = q[l];
        if t > 0.0 {
            s += t * (i as f64);
        } else {
            s -= 2.0 * t;
        }
        l += 1;
    }
    for i in 0..m {
        s *= q[i].cos();
    }
    s
}

#[test]
fn loops_run_backwards_step_their_slot_back() {
    let q = [0.5, -1.0, 0.25, 2.0, -0.75, 1.5, 0.3];
    check_slice(
        "branchy",
        |q| branchy(q, 1, 4),
        |q, g, v| branchy_vjp(q, g, 1, 4, v).0,
        &q,
    );
    let u = [0.1, 0.2, -0.3, 0.4, 0.5, -0.6, 0.7];
    let (_, ju) = branchy_jvp(&q, &u, 1, 4);
    let mut g = [0.0; 7];
    branchy_vjp(&q, &mut g, 1, 4, 1.0);
    assert_dot(1.0, ju, &g, &u);
}

/// `q` read twice in one loop, at two windows (the slot and the counter), and through a call:
/// the reverse cannot borrow a window of `q`'s adjoint for the whole loop, and adds to it
/// element by element.
#[differentiable]
fn shared(q: &[f64], #[no_grad] m: usize) -> f64 {
    let mut l = m;
    let mut s = 0.0;
    for i in 0..m {
        s += q[l] * q[i];
        l += 1;
    }
    for i in 0..m {
        s += q[i + 1] * q[i];
    }
    for i in 0..m {
        s += q[i] * norm2(q);
    }
    s
}

#[differentiable]
fn norm2(q: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..q.len() {
        s += q[i] * q[i];
    }
    s
}

#[test]
fn two_windows_of_one_slice_in_one_loop() {
    let q = [0.5, -1.0, 0.25, 2.0, -0.75, 1.5];
    check_slice(
        "shared",
        |q| shared(q, 3),
        |q, g, v| shared_vjp(q, g, 3, v).0,
        &q,
    );
    let u = [0.1, 0.2, -0.3, 0.4, 0.5, -0.6];
    let (_, ju) = shared_jvp(&q, &u, 3);
    let mut g = [0.0; 6];
    shared_vjp(&q, &mut g, 3, 0.9);
    assert_dot(0.9, ju, &g, &u);
}

/// Generic over the float type.
#[differentiable]
fn generic_triangle<T: vjp::Real>(q: &[T], #[no_grad] x: &[T; 3]) -> T {
    let mut l = 0;
    let mut s = T::zero();
    for c in 0..3 {
        let mut col = T::zero();
        for r in c..3 {
            col += q[l] * x[r];
            l += 1;
        }
        s += col * col;
    }
    s
}

#[test]
fn a_generic_triangle() {
    let x = [0.5, -1.0, 2.0];
    let q = [0.3, -0.2, 1.1, 0.7, -0.4, 0.9];
    check_slice(
        "generic_triangle",
        |q| generic_triangle(q, &x),
        |q, g, v| generic_triangle_vjp(q, g, &x, v).0,
        &q,
    );
    let qf: Vec<f32> = q.iter().map(|v| *v as f32).collect();
    let xf = x.map(|v| v as f32);
    let mut gf = [0.0f32; 6];
    let mut g = [0.0; 6];
    generic_triangle_vjp(&qf, &mut gf, &xf, 1.0);
    generic_triangle_vjp(&q, &mut g, &x, 1.0);
    for (a, b) in gf.iter().zip(&g) {
        assert!(
            (*a as f64 - b).abs() < 1e-5 * (1.0 + b.abs()),
            "{gf:?} vs {g:?}"
        );
    }
}

/// Both loops only accumulate and run their reverses forwards: the outer one hands `l` from
/// one inner loop to the next, and its reverse must step it again in the same order.
#[differentiable]
fn hand_on(q: &[f64], x: &[f64]) -> f64 {
    let mut l = 1;
    let mut s = 0.0;
    for i in 0..x.len() {
        for j in 0..2 {
            s += q[l] * x[i] * (j as f64 + 1.0);
            l += 1;
        }
    }
    s
}

#[test]
fn a_counter_handed_on_by_inner_loops() {
    let x = [0.5, -1.0, 2.0];
    let q = [0.3, -0.2, 1.1, 0.7, -0.4, 0.9, 0.25];
    let (mut gq, mut gx) = ([0.0; 7], [0.0; 3]);
    hand_on_vjp(&q, &mut gq, &x, &mut gx, 1.0);
    // s = sum_i x[i] (q[1 + 2i] + 2 q[2 + 2i]).
    assert_eq!(gq, [0.0, 0.5, 1.0, -1.0, -2.0, 2.0, 4.0]);
    assert_eq!(gx, [-0.2 + 2.2, 0.7 - 0.8, 0.9 + 0.5]);
}

/// An outer loop reversed backwards (an `if`) around an inner loop that steps `l` down and is
/// reversed forwards: the outer reverse steps `l` up again over the inner loop's two
/// iterations at once.
#[differentiable]
fn gated_down(x: &[f64], w: &[f64]) -> f64 {
    let mut l = x.len();
    let mut s = 0.0;
    for c in 0..w.len() {
        if w[c] > 0.0 {
            s *= w[c];
        }
        for r in 0..2 {
            s += x[l - 1] * w[c] * (r as f64 + 1.0);
            l -= 1;
        }
    }
    s
}

#[test]
fn a_counter_stepped_down_by_an_inner_loop() {
    let x = [0.3, -1.2, 0.8, 2.0, -0.4, 1.1, 0.6];
    let w = [0.5, -0.25, 1.5];
    check_slice(
        "gated_down in x",
        |x| gated_down(x, &w),
        |x, g, v| {
            let mut gw = [0.0; 3];
            gated_down_vjp(x, g, &w, &mut gw, v).0
        },
        &x,
    );
    check_slice(
        "gated_down in w",
        |w| gated_down(&x, w),
        |w, g, v| {
            let mut gx = [0.0; 7];
            gated_down_vjp(&x, &mut gx, w, g, v).0
        },
        &w,
    );
}

/// The inner range reversed: the counter falls while `l` grows, so `q[l]` is not at a fixed
/// offset from the counter and is read at `l` itself.
#[differentiable]
fn reversed_rows(q: &[f64], x: &[f64]) -> f64 {
    let mut l = 0;
    let mut y = [0.0; 3];
    for c in 0..3 {
        for r in (c..3).rev() {
            y[r] += q[l] * x[c];
            l += 1;
        }
    }
    y[0] * y[0] + y[1] * y[1] + y[2].sin()
}

#[test]
fn a_counter_stepped_up_in_a_reversed_range() {
    let x = [0.5, -1.0, 2.0];
    let q = [0.3, -0.2, 1.1, 0.7, -0.4, 0.9];
    check_slice(
        "reversed_rows in q",
        |q| reversed_rows(q, &x),
        |q, g, v| {
            let mut gx = [0.0; 3];
            reversed_rows_vjp(q, g, &x, &mut gx, v).0
        },
        &q,
    );
    check_slice(
        "reversed_rows in x",
        |x| reversed_rows(&q, x),
        |x, g, v| {
            let mut gq = [0.0; 6];
            reversed_rows_vjp(&q, &mut gq, x, g, v).0
        },
        &x,
    );
    let (_, ju) = reversed_rows_jvp(&q, &[0.1; 6], &x, &[0.2, -0.3, 0.4]);
    let (mut gq, mut gx) = ([0.0; 6], [0.0; 3]);
    reversed_rows_vjp(&q, &mut gq, &x, &mut gx, 1.0);
    let g: Vec<f64> = gq.iter().chain(&gx).copied().collect();
    let u: Vec<f64> = [0.1; 6].iter().chain(&[0.2, -0.3, 0.4]).copied().collect();
    assert_dot(1.0, ju, &g, &u);
}

/// The inner range inclusive (`0..=c`, no `ExactSizeIterator` for `usize`), in an outer loop
/// reversed backwards: its trip count comes from the range's size hint.
#[differentiable]
fn gated_inclusive(q: &[f64], x: &[f64]) -> f64 {
    let mut l = 0;
    let mut s = 0.0;
    for c in 0..x.len() {
        if x[c] < 0.0 {
            s *= 0.5;
        }
        for r in 0..=c {
            s += q[l] * x[r];
            l += 2;
        }
    }
    s
}

#[test]
fn an_inclusive_inner_range_stepping_by_two() {
    let x = [0.5, -1.0, 2.0];
    let q: Vec<f64> = (0..12).map(|i| 0.2 * i as f64 - 1.0).collect();
    check_slice(
        "gated_inclusive",
        |q| gated_inclusive(q, &x),
        |q, g, v| {
            let mut gx = [0.0; 3];
            gated_inclusive_vjp(q, g, &x, &mut gx, v).0
        },
        &q,
    );
    check_slice(
        "gated_inclusive in x",
        |x| gated_inclusive(&q, x),
        |x, g, v| {
            let mut gq = [0.0; 12];
            gated_inclusive_vjp(&q, &mut gq, x, g, v).0
        },
        &x,
    );
}
