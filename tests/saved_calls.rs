//! Calls of plain (non-differentiated) functions at the top level of a loop body whose results
//! the reverse sweep reads, in loops that are not fused: vjp cannot tell that such a call gives
//! the same value twice, so the forward sweep saves each result on a tape of its own and the
//! reverse pops it (`Plan::saved`). Each function here is checked against central finite
//! differences (and a closed form where there is one), and the calls are counted: the gradient
//! calls each function exactly as often as the primal does. Also a loop range whose bound is
//! such a call, which the reverse must not evaluate again.

// Index loops are what these tests exercise.
#![allow(clippy::needless_range_loop)]

mod common;

use common::{assert_close, check64};
use std::cell::Cell;
use vjp::differentiable;

thread_local! {
    /// How many times the plain functions below were called on this thread.
    static CALLS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    CALLS.with(|c| c.set(c.get() + 1));
}

/// The calls made by `run`.
fn calls(run: impl FnOnce()) -> usize {
    let before = CALLS.with(Cell::get);
    run();
    CALLS.with(Cell::get) - before
}

/// A weight of the counter; counted.
fn weight(i: usize) -> f64 {
    count();
    1.0 / (1.0 + i as f64)
}

/// An index into a slice of length `n`; counted.
fn pick(i: usize, n: usize) -> usize {
    count();
    (i * 7 + 3) % n
}

/// A loop whose state goes through `sin`: not fused, its reverse runs backwards and reads `w`.
#[differentiable]
fn damped(x: f64, n: usize) -> f64 {
    let mut s = x;
    for i in 0..n {
        let w = weight(i);
        s = (s * w).sin() + w * s;
    }
    s
}

/// A product over elements chosen by a plain function: the reverse reads the index `j`.
#[differentiable]
fn gathered(x: &[f64]) -> f64 {
    let mut p = 1.0;
    for i in 0..x.len() {
        let j = pick(i, x.len());
        p *= x[j] + 0.5;
    }
    p
}

/// The call in an inner loop of a loop that is not fused, and in a `loop` with a `break` (no
/// trip count known when it starts).
#[differentiable]
fn nested_weights(x: f64, n: usize) -> f64 {
    let mut s = x;
    for i in 0..n {
        let mut t = s;
        for j in 0..3 {
            let w = weight(i + j);
            t = t * w + (t * 0.3).cos();
        }
        s = t.sin();
    }
    let mut k = 0;
    loop {
        let w = weight(k + 1);
        s = s * s * w + s;
        k += 1;
        if k == 2 {
            break;
        }
    }
    s
}

/// The call in a `while` body (which sits in the branch after the loop test) and in a branch
/// of a `for` body, nested in another branch: saved where it is computed, popped by the reverse
/// of the branch when that branch ran.
#[differentiable]
fn branchy(x: f64, n: usize) -> f64 {
    let mut s = x;
    let mut k = 0;
    while k < n {
        let w = weight(k);
        s = (s * w).sin() + s;
        k += 1;
    }
    for i in 0..n {
        if i % 2 == 0 {
            let w = weight(i + 1);
            s = s * w + (s * 0.2).cos();
            if i % 4 == 0 {
                let u = weight(2 * i + 3);
                s = (s * u).tanh();
            }
        } else {
            s *= 0.9;
        }
    }
    s
}

/// The calls `branchy(_, n)` makes: n in the `while`, one per even `i`, one more per multiple
/// of 4.
fn branchy_calls(n: usize) -> usize {
    n + n.div_ceil(2) + n.div_ceil(4)
}

#[test]
fn plain_calls_in_loops_are_saved_not_called_again() {
    for n in [0, 1, 6] {
        check64(
            |(x,): (f64,)| damped(x, n),
            |(x,), v| damped_vjp(x, n, v),
            (0.7,),
        );
        assert_eq!(calls(|| _ = damped_vjp(0.7, n, 1.0)), n);
        check64(
            |(x,): (f64,)| nested_weights(x, n),
            |(x,), v| nested_weights_vjp(x, n, v),
            (0.4,),
        );
        assert_eq!(calls(|| _ = nested_weights_vjp(0.4, n, 1.0)), 3 * n + 2);
    }
    for n in [0, 1, 2, 5, 9] {
        check64(
            |(x,): (f64,)| branchy(x, n),
            |(x,), v| branchy_vjp(x, n, v),
            (0.6,),
        );
        assert_eq!(calls(|| _ = branchy_vjp(0.6, n, 1.0)), branchy_calls(n));
        assert_eq!(calls(|| _ = branchy(0.6, n)), branchy_calls(n));
    }
}

/// A plain call whose argument is the result of another (`k` from `j`): the lowering takes
/// `pick(j, ..)` for a call that may be differentiated (`j` has no known type), and it is
/// saved like the first as its result is inactive.
#[differentiable]
fn chained(x: &[f64], y: &[f64]) -> f64 {
    let mut h = x[0];
    for i in 0..3 {
        let j = pick(i, x.len());
        let k = pick(j, y.len());
        h = (h * y[k]).sin() + x[j];
    }
    h
}

/// A plain call in a branch nested in a branch, its value read only in the inner branch, and
/// its argument a saved value.
#[differentiable]
fn nested_branch(x: &[f64], n: usize) -> f64 {
    let mut s = x[0];
    for i in 0..n {
        let j = pick(i, x.len());
        let a = x[j] * 1.0;
        if s >= x[j] {
            let w = weight(j);
            if i % 3 == 1 {
                s += (a * w).atan();
            }
            s *= 1.0 + 0.1 * w;
        } else {
            s = s * s + a;
        }
    }
    s
}

/// A plain call in a branch of a fused loop: the fused body is not run again, but the reverse
/// of the branch re-runs what it reads, so the call's value is saved.
#[differentiable]
fn fused_branch(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if i % 2 == 0 {
            let w = weight(i);
            s += (w * x[i]).sin();
        }
    }
    s
}

#[test]
fn plain_calls_reading_saved_values_and_in_branches() {
    let x = [0.3, -0.2, 0.9, 1.4, 0.1];
    let y = [1.5, -0.75, 0.5];
    let check_counts = |primal: &dyn Fn(), vjp: &dyn Fn()| {
        let p = calls(primal);
        assert_eq!(calls(vjp), p);
    };
    let (mut gx, mut gy) = ([0.0; 5], [0.0; 3]);
    check_counts(&|| _ = chained(&x, &y), &|| {
        _ = chained_vjp(&x, &mut [0.0; 5], &y, &mut [0.0; 3], 1.0)
    });
    _ = chained_vjp(&x, &mut gx, &y, &mut gy, 1.0);
    for k in 0..8 {
        let bump = |d: f64| {
            let (mut a, mut b) = (x, y);
            if k < 5 {
                a[k] += d;
            } else {
                b[k - 5] += d;
            }
            chained(&a, &b)
        };
        let fd = (bump(1e-6) - bump(-1e-6)) / 2e-6;
        let g = if k < 5 { gx[k] } else { gy[k - 5] };
        assert!((g - fd).abs() < 1e-6, "chained, component {k}: {g} vs {fd}");
    }
    for n in [0, 1, 4, 9] {
        check_counts(&|| _ = nested_branch(&x, n), &|| {
            _ = nested_branch_vjp(&x, &mut [0.0; 5], n, 1.0)
        });
        let mut g = [0.0; 5];
        _ = nested_branch_vjp(&x, &mut g, n, 1.0);
        for k in 0..5 {
            let (mut up, mut down) = (x, x);
            up[k] += 1e-6;
            down[k] -= 1e-6;
            let fd = (nested_branch(&up, n) - nested_branch(&down, n)) / 2e-6;
            assert!(
                (g[k] - fd).abs() < 1e-5,
                "nested_branch({n}), {k}: {} vs {fd}",
                g[k]
            );
        }
    }
    check_counts(&|| _ = fused_branch(&x), &|| {
        _ = fused_branch_vjp(&x, &mut [0.0; 5], 1.0)
    });
    let mut g = [0.0; 5];
    _ = fused_branch_vjp(&x, &mut g, 1.0);
    for i in 0..5 {
        let expected = if i % 2 == 0 {
            weight(i) * (weight(i) * x[i]).cos()
        } else {
            0.0
        };
        assert!((g[i] - expected).abs() < 1e-15, "fused_branch, {i}");
    }
}

/// Plain calls in branches of the function's own block (no loop): saved on tapes of the
/// function, popped by the reverse of the branch that ran; also a call whose argument is the
/// result of another call (`weight(k)`), which the lowering takes for a call that may be
/// differentiated.
#[differentiable]
fn top_branches(x: f64, i: usize) -> f64 {
    let k = pick(i, 4);
    let mut s = x;
    if i > 0 {
        let w = weight(i);
        s = (s * w).sin() + w;
        if i % 2 == 1 {
            let u = weight(k);
            s *= u;
        }
    } else {
        let j = pick(i + 1, 3);
        s *= j as f64 + 0.5;
    }
    s * s
}

#[test]
fn plain_calls_in_branches_outside_loops() {
    for i in [0, 1, 2, 3] {
        let p = calls(|| _ = top_branches(0.4, i));
        assert_eq!(calls(|| _ = top_branches_vjp(0.4, i, 1.0)), p, "i = {i}");
        check64(
            |(x,): (f64,)| top_branches(x, i),
            |(x,), v| top_branches_vjp(x, i, v),
            (0.4,),
        );
    }
}

#[test]
fn an_index_from_a_plain_function_is_saved() {
    let x = [0.3, -0.2, 0.9, 1.4, 0.1];
    let mut g = [0.0; 5];
    let mut y = 0.0;
    let n = calls(|| y = gathered_vjp(&x, &mut g, 1.0).0);
    assert_eq!(n, x.len());
    let p = gathered(&x);
    assert_eq!(y, p);
    // p = Π_i (x[j_i] + 0.5), so ∂p/∂x_k = Σ_{i: j_i = k} p / (x_k + 0.5).
    let mut expected = [0.0; 5];
    for i in 0..x.len() {
        let j = (i * 7 + 3) % x.len();
        expected[j] += p / (x[j] + 0.5);
    }
    assert_close(g, expected, 1e-13, 0.0);
    // And against finite differences.
    for k in 0..x.len() {
        let (mut up, mut down) = (x, x);
        up[k] += 1e-6;
        down[k] -= 1e-6;
        let fd = (gathered(&up) - gathered(&down)) / 2e-6;
        assert!((g[k] - fd).abs() < 1e-6, "component {k}: {} vs {fd}", g[k]);
    }
}

/// A trip count that differs from call to call (2, 3 or 4, from the calls made so far); counted.
fn trip_count() -> usize {
    count();
    CALLS.with(|c| 2 + c.get() % 3)
}

/// Ranges whose bound comes from a plain call, at the top and nested: the reverse must not
/// evaluate them again, which would call `trip_count` once more and run another number of
/// iterations backwards; the forward sweep counts the trips instead.
#[differentiable]
fn counted_trips(x: f64) -> f64 {
    let mut s = x;
    for _ in 0..trip_count() {
        s = (s * 1.5).sin();
    }
    for i in 0..3 {
        for _ in i..trip_count() + i {
            s = (s * 0.7).cos() + s;
        }
    }
    s
}

#[test]
fn a_range_from_a_plain_function_is_evaluated_once() {
    // Each evaluation starts from the same count, so that it runs the same iterations.
    let fresh = |run: &dyn Fn() -> f64| {
        CALLS.with(|c| c.set(0));
        run()
    };
    let x = 0.4;
    CALLS.with(|c| c.set(0));
    let (y, (g,)) = counted_trips_vjp(x, 1.0);
    assert_eq!(CALLS.with(Cell::get), 4);
    assert_eq!(y, fresh(&|| counted_trips(x)));
    let fd = (fresh(&|| counted_trips(x + 1e-6)) - fresh(&|| counted_trips(x - 1e-6))) / 2e-6;
    assert!((g - fd).abs() < 1e-6 * (1.0 + fd.abs()), "{g} vs {fd}");
    CALLS.with(|c| c.set(0));
    let (_, t) = counted_trips_jvp(x, 1.0);
    assert!((t - g).abs() < 1e-12 * (1.0 + g.abs()), "{t} vs {g}");
}

/// An `if` whose result the code after it reads, nested in another: the reverse of the outer
/// `if` would run the inner one again as a whole; its result is saved instead. `weight(j)`,
/// with `j` of no known type, is lowered as a call that might be differentiated: it is not run
/// again either.
#[differentiable]
fn nested_if(x: f64, i: usize) -> f64 {
    let mut s = x;
    if i > 0 {
        let mut t = s;
        let j = pick(i, 5);
        if i > 2 {
            let w = weight(j);
            t = (t * w).sin();
        }
        s = t * t;
    }
    s
}

/// A loop that computes no derivative, whose result a condition reads (`k > 2`): the reverse
/// would run it again; its result is saved instead, once with a plain call in its body and
/// once with a range whose bound is one.
#[differentiable]
fn inactive_loops(x: &[f64]) -> f64 {
    let mut s = 0.5;
    for i in 0..4 {
        let mut k = i;
        for j in 0..2 {
            k += pick(i + j, 3);
        }
        let mut m = i;
        for _ in 0..trip_count() {
            m += 1;
        }
        if k > 2 {
            s = (s * x[m % x.len()]).sin() + s;
        } else {
            s *= x[k % x.len()];
        }
    }
    s
}

/// Plain calls in `if`s that leave a loop: a `break` in the branch with the call, a `continue`
/// after it in a `while` body.
#[differentiable]
fn leaving(x: f64, n: usize) -> f64 {
    let mut s = x;
    for i in 0..n {
        let mut t = s;
        if i > 2 {
            let w = weight(i);
            t = (t * w).sin();
            if t > 0.9 {
                break;
            }
            t *= w;
        }
        s = t * t;
    }
    let mut k = 0;
    while k < n {
        let mut t = s;
        if k % 2 == 0 {
            let w = weight(k);
            if w < 0.3 {
                k += 1;
                continue;
            }
            t = (t * w).sin();
        }
        s += 0.5 * t * t;
        k += 1;
    }
    s
}

#[test]
fn plain_calls_in_code_the_reverse_would_run_again() {
    for i in [0, 1, 3, 5] {
        check64(
            |(x,): (f64,)| nested_if(x, i),
            |(x,), v| nested_if_vjp(x, i, v),
            (0.7,),
        );
        assert_eq!(
            calls(|| _ = nested_if_vjp(0.7, i, 1.0)),
            usize::from(i > 0) + usize::from(i > 2)
        );
    }
    for n in [0, 3, 6] {
        for x in [0.2, 0.7] {
            check64(
                |(x,): (f64,)| leaving(x, n),
                |(x,), v| leaving_vjp(x, n, v),
                (x,),
            );
            let primal = calls(|| _ = leaving(x, n));
            assert_eq!(calls(|| _ = leaving_vjp(x, n, 1.0)), primal);
            assert_eq!(calls(|| _ = leaving_jvp(x, 1.0, n)), primal);
        }
    }
    // `trip_count` gives another bound at each call: every evaluation starts from the same
    // count.
    let fresh = |run: &dyn Fn() -> f64| {
        CALLS.with(|c| c.set(0));
        run()
    };
    let x = [0.9, -0.4, 1.3, 0.6, 1.1];
    let mut g = [0.0; 5];
    CALLS.with(|c| c.set(0));
    let y = inactive_loops_vjp(&x, &mut g, 1.0).0;
    assert_eq!(CALLS.with(Cell::get), 12);
    assert_eq!(y, fresh(&|| inactive_loops(&x)));
    for k in 0..x.len() {
        let (mut up, mut down) = (x, x);
        up[k] += 1e-6;
        down[k] -= 1e-6;
        let fd = (fresh(&|| inactive_loops(&up)) - fresh(&|| inactive_loops(&down))) / 2e-6;
        assert!(
            (g[k] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
            "{k}: {} vs {fd}",
            g[k]
        );
    }
}
