//! Fused loops: a top-level loop that only adds into accumulators runs its forward and reverse
//! sweeps in one pass (`vjp-macro/src/fuse.rs`). Each function here is checked against central
//! finite differences, against the forward mode (the dot-product test <v, J u> = <J^T v, u>;
//! `NAME_jvp` does not fuse anything, so it is an independent oracle), and its primal output
//! against the function itself. Functions that must *not* fuse (a `continue`, a product
//! accumulator, a logarithm of the sum after the loop) are checked the same way.

// Index loops are what these tests exercise.
#![allow(clippy::needless_range_loop)]

mod common;

use common::check64;
use vjp::{differentiable, Real};

/// Checks a function of one slice: the primal output, finite differences, and the
/// dot-product test against the forward mode, at `x`.
fn check_slice(
    f: impl Fn(&[f64]) -> f64,
    vjp: impl Fn(&[f64], &mut [f64], f64) -> f64,
    jvp: impl Fn(&[f64], &[f64]) -> (f64, f64),
    x: &[f64],
) {
    let v = 1.25;
    let mut g = vec![0.0; x.len()];
    let y = vjp(x, &mut g, v);
    assert_eq!(y, f(x), "primal output");
    for i in 0..x.len() {
        let h = 1e-6 * x[i].abs().max(1.0);
        let (mut up, mut down) = (x.to_vec(), x.to_vec());
        up[i] += h;
        down[i] -= h;
        let fd = (f(&up) - f(&down)) / (2.0 * h) * v;
        let tol = 1e-6 * fd.abs().max(1.0);
        assert!(
            (g[i] - fd).abs() < tol,
            "component {i}: vjp {} vs finite differences {fd}",
            g[i]
        );
    }
    let u: Vec<f64> = (0..x.len())
        .map(|i| ((i * 7 % 5) as f64 - 2.0) * 0.3)
        .collect();
    let (y2, ju) = jvp(x, &u);
    assert_eq!(y2, y);
    let lhs = v * ju;
    let rhs: f64 = g.iter().zip(&u).map(|(a, b)| a * b).sum();
    assert!(
        (lhs - rhs).abs() <= 1e-12 * lhs.abs().max(1.0),
        "dot-product test: {lhs} vs {rhs}"
    );
}

fn points(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.3 + 0.7 * ((i * 37 % 11) as f64 / 11.0) - 0.2 * (i % 3) as f64)
        .collect()
}

/// [`check_slice`] for a function of one active slice followed by inactive arguments `args`.
macro_rules! check_fn {
    ($name:ident, $vjp:ident, $jvp:ident, $x:expr $(, $arg:expr)*) => {
        check_slice(
            |x| $name(x $(, $arg)*),
            |x, g, v| $vjp(x, g $(, $arg)*, v).0,
            |x, u| $jvp(x, u $(, $arg)*),
            $x,
        )
    };
}

/// A network-like loss: a nested loop (a dot product) and a `tanh` in each iteration, the mean
/// after the loop.
#[differentiable]
fn layer_loss(w: &[f64], #[no_grad] inputs: &[f64], #[no_grad] m: usize) -> f64 {
    let n = inputs.len();
    let mut total = 0.0;
    for s in 0..m {
        let mut a = w[s];
        for i in 0..n {
            a += w[m + s * n + i] * inputs[i];
        }
        let e = a.tanh() - 0.25;
        total += e * e;
    }
    total / m as f64
}

#[test]
fn nested_loop_in_the_body() {
    let (m, n) = (4, 5);
    let inputs = points(n);
    let w = points(m + m * n);
    check_fn!(layer_loss, layer_loss_vjp, layer_loss_jvp, &w, &inputs, m);
}

/// The reference: the same loss written so that it cannot fuse (the sum is squared after the
/// loop, so the loop's adjoint depends on its result), scaled back.
#[differentiable]
fn layer_loss_unfused(w: &[f64], #[no_grad] inputs: &[f64], #[no_grad] m: usize) -> f64 {
    let n = inputs.len();
    let mut total = 0.0;
    for s in 0..m {
        let mut a = w[s];
        for i in 0..n {
            a += w[m + s * n + i] * inputs[i];
        }
        let e = a.tanh() - 0.25;
        total += e * e;
    }
    (total / m as f64).sqrt()
}

#[test]
fn fused_and_unfused_agree() {
    let (m, n) = (6, 3);
    let inputs = points(n);
    let w = points(m + m * n);
    let (mut g1, mut g2) = (vec![0.0; w.len()], vec![0.0; w.len()]);
    let (y1, _) = layer_loss_vjp(&w, &mut g1, &inputs, m, 1.0);
    let (y2, _) = layer_loss_unfused_vjp(&w, &mut g2, &inputs, m, 1.0);
    // d sqrt(y1) = dy1 / (2 sqrt(y1)).
    assert_eq!(y2, y1.sqrt());
    for (a, b) in g1.iter().zip(&g2) {
        let expected = a / (2.0 * y1.sqrt());
        assert!((b - expected).abs() < 1e-13 * expected.abs().max(1e-3));
    }
}

/// Accumulation in both branches of an `if`, one of them a subtraction.
#[differentiable]
fn branches(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if x[i] > 0.4 {
            s += x[i] * x[i];
        } else {
            s -= (2.0 * x[i]).sin();
        }
    }
    s
}

#[test]
fn accumulation_in_branches() {
    check_fn!(branches, branches_vjp, branches_jvp, &points(9));
}

/// Two accumulators combined linearly after the loop, with an inactive coefficient.
#[differentiable]
fn two_sums(x: &[f64]) -> f64 {
    let mut a = 0.0;
    let mut b = 1.0;
    for i in 0..x.len() {
        a += x[i].exp();
        b += x[i] * x[(i + 1) % x.len()];
    }
    let n = x.len() as f64;
    (a - 2.0 * b) / n + 0.5 * a
}

#[test]
fn two_accumulators_and_linear_code_after() {
    check_fn!(two_sums, two_sums_vjp, two_sums_jvp, &points(7));
}

/// An inactive slot that the reverse reads (an index that jumps around): it is kept from the
/// start of each iteration for that iteration's reverse.
#[differentiable]
fn hopping(x: &[f64]) -> f64 {
    let mut s = 0.0;
    let mut k = 0;
    for i in 0..x.len() {
        s += x[k].powi(2) * x[i];
        k = (k + 3) % x.len();
    }
    s
}

#[test]
fn inactive_slot_read_by_the_reverse() {
    check_fn!(hopping, hopping_vjp, hopping_jvp, &points(8));
}

#[differentiable]
fn helper(a: f64, b: f64) -> f64 {
    a * b.cos()
}

/// Code after the loop that does not depend on it: another loop and a call, moved ahead of the
/// fused loop because their reverse runs before it; an assertion that stays after it.
#[differentiable]
fn independent_after(x: &[f64], #[no_grad] c: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += (x[i] * c).sin();
    }
    let mut q = 0.0;
    for i in 0..x.len() {
        q += x[i] * x[i];
    }
    let h = helper(q, x[0]);
    let n = x.len();
    assert!(n > 0);
    s * c + h * 3.0 - q
}

#[test]
fn independent_code_after_the_loop() {
    let x = points(6);
    check_fn!(
        independent_after,
        independent_after_vjp,
        independent_after_jvp,
        &x,
        0.7
    );
}

/// A local `Vec` buffer written element by element in each iteration.
#[differentiable]
fn with_buffer(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let mut h = vec![0.0; 3];
        for j in 0..3 {
            h[j] = x[(i + j) % n] * (j as f64 + 1.0);
        }
        s += h[0] * h[1] + h[2].tanh();
    }
    s
}

#[test]
fn vec_buffer_in_the_body() {
    check_fn!(with_buffer, with_buffer_vjp, with_buffer_jvp, &points(5));
}

/// Iterators other than a range: they run forwards, so the fused loop needs no reversal.
#[differentiable]
fn iterators(x: &[f64], #[no_grad] w: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, xi) in x.iter().enumerate() {
        s += xi * w[i] * xi.cos();
    }
    for (a, b) in x.iter().zip(w.iter()) {
        s += a * b;
    }
    s
}

#[test]
fn enumerate_and_zip() {
    let x = points(6);
    let w: Vec<f64> = x.iter().map(|v| 1.0 - v).collect();
    check_fn!(iterators, iterators_vjp, iterators_jvp, &x, &w);
}

/// A `while` loop (which counts its trips) inside the fused body, and another inside an `if`
/// (whose reverse replays the branch).
#[differentiable]
fn inner_while(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let mut a = x[i];
        let mut j = 0;
        while j < i % 3 + 1 {
            a = a * 0.5 + x[(i + j) % x.len()].sin();
            j += 1;
        }
        if i % 2 == 0 {
            let mut b = a;
            let mut k = 0;
            while k < 2 {
                b *= a;
                k += 1;
            }
            s += b;
        } else {
            s += a;
        }
    }
    s
}

#[test]
fn while_loops_in_the_body() {
    check_fn!(inner_while, inner_while_vjp, inner_while_jvp, &points(7));
}

/// Two accumulators returned as a tuple.
#[differentiable]
fn moments(x: &[f64]) -> (f64, f64) {
    let mut m1 = 0.0;
    let mut m2 = 0.0;
    for i in 0..x.len() {
        m1 += x[i];
        m2 += x[i] * x[i];
    }
    (m1, m2)
}

#[test]
fn tuple_of_accumulators() {
    let x = points(5);
    let (mut g, v) = (vec![0.0; 5], (0.75, -1.5));
    let (y, ()) = moments_vjp(&x, &mut g, v);
    assert_eq!(y, moments(&x));
    for i in 0..5 {
        let expected = v.0 + v.1 * 2.0 * x[i];
        assert!((g[i] - expected).abs() < 1e-14);
    }
}

/// Scalar parameters: the loop accumulates a function of loop-invariant active values. Not
/// fused: `s * b` after the loop, with `b` active, needs `s` for `bar_b`.
#[differentiable]
fn scalar_sum(a: f64, b: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        let t = i as f64 * 0.1;
        s += (a * t).sin() * b + a * a;
    }
    s * b
}

#[test]
fn scalar_parameters() {
    check64(
        |(a, b)| scalar_sum(a, b, 20),
        |(a, b), v| scalar_sum_vjp(a, b, 20, v),
        (0.8, -1.3),
    );
}

/// Generic over `Real`, instantiated for f32 and f64.
#[differentiable]
fn generic_sum<T: Real>(x: &[T]) -> T {
    let mut s = T::zero();
    for i in 0..x.len() {
        s += x[i] * x[i].exp();
    }
    s
}

#[test]
fn generic_f32_and_f64() {
    let x64 = points(4);
    check_fn!(generic_sum, generic_sum_vjp, generic_sum_jvp, &x64);
    let x32: Vec<f32> = x64.iter().map(|v| *v as f32).collect();
    let mut g32 = vec![0.0f32; 4];
    generic_sum_grad(&x32, &mut g32);
    for i in 0..4 {
        let expected = (1.0 + x32[i]) * x32[i].exp();
        assert!((g32[i] - expected).abs() < 1e-6 * expected.abs().max(1.0));
    }
}

/// Not fused: a `continue` leaves the body early.
#[differentiable]
fn skips(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if i % 3 == 1 {
            continue;
        }
        s += x[i].sin() * x[i];
    }
    s
}

/// Not fused: the accumulator is multiplied.
#[differentiable]
fn product(x: &[f64]) -> f64 {
    let mut p = 1.0;
    for i in 0..x.len() {
        p *= 1.0 + x[i] * x[i];
    }
    p
}

/// Not fused: the reverse of the code after the loop reads the sum.
#[differentiable]
fn log_sum(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i].exp();
    }
    s.ln()
}

/// Not fused: the sum is also read inside the body (a running maximum of partial sums).
#[differentiable]
fn reads_sum(x: &[f64]) -> f64 {
    let mut s = 0.0;
    let mut t = 0.0;
    for i in 0..x.len() {
        s += x[i];
        t += s * x[i];
    }
    t
}

#[test]
fn loops_that_do_not_fuse() {
    let x = points(7);
    check_fn!(skips, skips_vjp, skips_jvp, &x);
    check_fn!(product, product_vjp, product_jvp, &x);
    check_fn!(log_sum, log_sum_vjp, log_sum_jvp, &x);
    check_fn!(reads_sum, reads_sum_vjp, reads_sum_jvp, &x);
}

/// Shadows accumulate across calls of a fused gradient, as with any other.
#[test]
fn shadows_accumulate_across_calls() {
    let x = points(5);
    let (mut once, mut twice) = (vec![0.0; 5], vec![0.0; 5]);
    branches_grad(&x, &mut once);
    branches_grad(&x, &mut twice);
    branches_grad(&x, &mut twice);
    for (a, b) in once.iter().zip(&twice) {
        assert_eq!(2.0 * a, *b);
    }
}

// Loop-invariant element reads: `x[k]` inside a loop, with `x` and `k` from outside it, sends
// its adjoint to a local sum that is added to `bar_x[k]` once after the loop.

/// Not fusable (the sum is scaled each iteration), with a loop-invariant read `x[k]`.
#[differentiable]
fn invariant_read(x: &[f64], #[no_grad] k: usize, #[no_grad] n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        s = s * 0.5 + x[k] * (i as f64 + 1.0).sin() + x[i % x.len()];
    }
    s
}

#[test]
fn invariant_read_in_a_loop() {
    let x = points(5);
    for k in 0..5 {
        check_fn!(
            invariant_read,
            invariant_read_vjp,
            invariant_read_jvp,
            &x,
            k,
            7
        );
    }
}

/// A loop that runs zero times never reads `x[k]`, so its reverse must not either: an index
/// out of bounds is not evaluated.
#[test]
fn invariant_read_with_zero_trips_does_not_index() {
    let x = points(3);
    let mut g = vec![0.0; 3];
    let (y, ()) = invariant_read_vjp(&x, &mut g, 99, 0, 1.0);
    assert_eq!(y, 0.0);
    assert_eq!(g, vec![0.0; 3]);
}

/// Invariant reads in a branch, from a local array with constant indices, and the same element
/// read twice.
#[differentiable]
fn invariant_in_branch(x: &[f64], #[no_grad] k: usize) -> f64 {
    let a = [x[0] * 2.0, x[1].sin()];
    let mut s = 1.0;
    for i in 0..x.len() {
        if i % 2 == 0 {
            s = s * a[1] + x[k] * x[i];
        } else {
            s = s * 0.9 + a[0] * x[k];
        }
    }
    s
}

#[test]
fn invariant_reads_in_branches_and_local_arrays() {
    let x = points(6);
    check_fn!(
        invariant_in_branch,
        invariant_in_branch_vjp,
        invariant_in_branch_jvp,
        &x,
        3
    );
}

/// The element is also written in the loop: its adjoint is read and reset there, so the read
/// is not summed locally.
#[differentiable]
fn invariant_but_written(x: [f64; 3], n: usize) -> f64 {
    let mut a = x;
    let mut s = 0.0;
    for i in 0..n {
        s += a[0] * a[i % 3];
        a[(i + 1) % 3] = a[0] * 0.5 + s.sin();
    }
    s
}

#[test]
fn invariant_read_of_an_updated_array() {
    check64(
        |x| invariant_but_written(x, 5),
        |x, v| {
            let (y, (g,)) = invariant_but_written_vjp(x, 5, v);
            (y, g)
        },
        [0.3, -0.7, 1.1],
    );
}

/// Generic over `Real`: the local sum's zero comes from the element type.
#[differentiable]
fn invariant_generic<T: Real>(x: &[T], #[no_grad] k: usize) -> T {
    let mut s = T::zero();
    for i in 0..x.len() {
        s = s * x[k] + x[i];
    }
    s
}

#[test]
fn invariant_read_generic() {
    let x = points(4);
    check_fn!(
        invariant_generic,
        invariant_generic_vjp,
        invariant_generic_jvp,
        &x,
        2
    );
    let x32: Vec<f32> = x.iter().map(|v| *v as f32).collect();
    let (mut g32, mut g64) = (vec![0.0f32; 4], vec![0.0; 4]);
    invariant_generic_grad(&x32, &mut g32, 2);
    invariant_generic_grad(&x, &mut g64, 2);
    for (a, b) in g32.iter().zip(&g64) {
        assert!((*a as f64 - b).abs() < 1e-5 * b.abs().max(1.0));
    }
}

// Integer loop variables that step by a constant (`l += 1`) are not saved per iteration: the
// reverse sweep steps them back from their values after the loop.

/// Packed lower-triangular matrix times a vector, as in the GMM objective: `l` walks the
/// packed storage, one step per inner iteration.
#[differentiable]
fn packed_lower(m: &[f64], x: &[f64]) -> f64 {
    let n = x.len();
    let mut y = [0.0; 6];
    let mut l = 0;
    for c in 0..n {
        for r in c..n {
            y[r] += m[l] * x[c];
            l += 1;
        }
    }
    let mut s = 0.0;
    for r in 0..n {
        s += y[r] * y[r].sin();
    }
    s
}

#[test]
fn stepped_counter_in_nested_loops() {
    let x = points(6);
    let m = points(21);
    check_slice(
        |m| packed_lower(m, &x),
        |m, g, v| packed_lower_vjp(m, g, &x, &mut [0.0; 6], v).0,
        |m, u| packed_lower_jvp(m, u, &x, &[0.0; 6]),
        &m,
    );
    check_slice(
        |x| packed_lower(&m, x),
        |x, g, v| {
            let mut gm = vec![0.0; 21];
            packed_lower_vjp(&m, &mut gm, x, g, v).0
        },
        |x, u| packed_lower_jvp(&m, &[0.0; 21], x, u),
        &x,
    );
}

/// Counting down by two from a value computed before the loop; a second counter that only
/// sometimes steps (saved, not stepped back).
#[differentiable]
fn stepping_down(x: &[f64]) -> f64 {
    let mut k = 2 * x.len() + 1;
    let mut j = 0;
    let mut s = 0.0;
    for i in 0..x.len() {
        k -= 2;
        s = s * 0.5 + x[k / 2] * x[j] * x[i].cos();
        if i % 2 == 1 {
            j += 1;
        }
    }
    s
}

#[test]
fn stepped_counters_down_and_conditional() {
    check_fn!(
        stepping_down,
        stepping_down_vjp,
        stepping_down_jvp,
        &points(7)
    );
}

// A counter stepped in an inner loop and carried by the outer one (`l` across the columns of
// a triangle) shares one rewind counter between the two loops: the value after the inner
// loop is not saved per outer iteration either.

/// The GMM shape: per sample (the fused loop) and per component, `Q (x - mu)` with `Q`'s
/// packed lower triangle walked column by column; `l` starts from a value computed in the
/// component's iteration. The inner range is empty for the last column.
#[differentiable]
fn triangles(p: &[f64], #[no_grad] xs: &[f64], #[no_grad] d: usize) -> f64 {
    let components = 2;
    let tri = d * (d - 1) / 2;
    let mut total = 0.0;
    for i in 0..xs.len() / d {
        for k in 0..components {
            let mut z = [0.0; 4];
            for j in 0..d {
                z[j] = xs[i * d + j] - p[k * d + j];
            }
            let mut q = z;
            let mut l = components * d + k * tri;
            for c in 0..d {
                for r in c + 1..d {
                    q[r] += p[l] * z[c];
                    l += 1;
                }
            }
            let mut sq = 0.0;
            for j in 0..d {
                sq += q[j] * q[j].sin();
            }
            total += 0.5 * sq;
        }
    }
    total
}

#[test]
fn counter_carried_across_an_inner_loop() {
    let d = 4;
    let xs = points(3 * d);
    let p = points(2 * d + 2 * d * (d - 1) / 2);
    check_fn!(triangles, triangles_vjp, triangles_jvp, &p, &xs, d);
}

/// Three levels: `l` steps down by two in the innermost loop and is carried by the two loops
/// around it; the middle range depends on the outer counter (sometimes empty).
#[differentiable]
fn three_levels(x: &[f64]) -> f64 {
    let n = x.len();
    let mut l = 2 * n * n * n;
    let mut s = 0.0;
    for a in 0..n {
        for b in a..n {
            for c in 0..b {
                l -= 2;
                s = s * 0.9 + x[(l / 2) % n] * x[c] * x[a].cos();
            }
        }
    }
    s + (l as f64) * x[0]
}

/// The outer loop reads the counter at iteration start (`x[l % n]` before the inner loop), so
/// it keeps it another way (on its tape); the inner loop still steps it back.
#[differentiable]
fn read_at_start(x: &[f64]) -> f64 {
    let n = x.len();
    let mut l = 1;
    let mut s = 0.0;
    for c in 0..n {
        let w = x[l % n];
        for r in c..n {
            s = s * w + x[r] * x[(l + r) % n];
            l += 1;
        }
    }
    s
}

/// The inner loop steps the counter only on some iterations, so it is saved, not stepped back,
/// and the outer loop cannot share a counter with it.
#[differentiable]
fn uneven_inner(x: &[f64]) -> f64 {
    let n = x.len();
    let mut l = 0;
    let mut s = 0.0;
    for c in 0..n {
        for r in c..n {
            s = s * x[l % n] + x[r].sin();
            if x[r] > 0.5 {
                l += 1;
            }
        }
    }
    s
}

#[test]
fn carried_counters_three_levels_and_fallbacks() {
    let x = points(5);
    check_fn!(three_levels, three_levels_vjp, three_levels_jvp, &x);
    check_fn!(read_at_start, read_at_start_vjp, read_at_start_jvp, &x);
    check_fn!(uneven_inner, uneven_inner_vjp, uneven_inner_jvp, &x);
}

// Loops that only add to their active variables (`s += e`, `y[i] += e`, also through inner
// loops, at indices computed twice from one expression), and two that look alike but do not.

/// Element accumulation at a computed index, in a loop inside an outer loop that does not
/// only accumulate (`p` is a product).
#[differentiable]
fn scatter(w: &[f64], #[no_grad] x: &[f64]) -> f64 {
    let n = w.len();
    let mut y = [0.0; 5];
    let mut p = 1.0;
    for k in 0..3 {
        for i in 0..n {
            y[(i + k) % 5] += w[i] * x[(i * 2 + k) % n];
        }
        p *= 1.0 + y[k].sin();
    }
    p
}

/// A scalar accumulated through an inner loop whose index steps by three from a start that
/// depends on the outer counter; an outer inactive slot computed from the inner loop's index.
#[differentiable]
fn strided(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    let mut count = 0;
    for c in 0..n {
        let mut j = c * 2;
        for r in 0..c {
            s += x[j % n] * x[r].cos();
            j += 3;
        }
        count += j % 4;
    }
    s * (1.0 + count as f64) + s.sin()
}

/// Not accumulations, so the reverse runs backwards: an element added from another element of
/// the same array, and an element read before another is added to and then overwritten.
#[differentiable]
fn shifted(x: &[f64]) -> f64 {
    let n = x.len();
    let mut y = [0.0; 8];
    for i in 0..n {
        y[i + 1] += y[i] * 0.5 + x[i];
    }
    let mut z = [0.0; 3];
    for i in 0..n {
        let t = z[i % 3];
        z[(i + 1) % 3] += x[i];
        z[i % 3] = t + x[i] * x[i];
    }
    let mut out = 0.0;
    for i in 0..n {
        out += y[i + 1].sin() * z[i % 3];
    }
    out
}

/// An element read that is also used elsewhere (`t`), and one added to itself (`y[i] + y[i]`):
/// the element's adjoint must be taken and given back, not left in place.
#[differentiable]
fn element_reused(x: &[f64]) -> f64 {
    let n = x.len();
    let mut y = [0.5; 4];
    let mut s = 0.0;
    for i in 0..n {
        let t = y[i % 4];
        y[i % 4] = t + x[i];
        s += t * x[i];
        y[(i + 1) % 4] = y[(i + 1) % 4] + y[(i + 1) % 4];
    }
    s + y[0] * y[1].sin() + y[3]
}

#[test]
fn accumulations_in_place() {
    let w = points(6);
    let x = points(7);
    check_fn!(scatter, scatter_vjp, scatter_jvp, &w, &x);
    check_fn!(strided, strided_vjp, strided_jvp, &points(6));
    check_fn!(shifted, shifted_vjp, shifted_jvp, &points(7));
    check_fn!(
        element_reused,
        element_reused_vjp,
        element_reused_jvp,
        &points(7)
    );
}

/// A network-like loss with the hidden layer in a loop inside the fused loop: the `tanh`, `exp`
/// and `sin` values of that inner loop are saved on tapes (emptied every outer iteration)
/// instead of being computed again by its reverse.
#[differentiable]
fn hidden_layer(w: &[f64], #[no_grad] xs: &[f64], #[no_grad] hidden: usize) -> f64 {
    let inputs = 3;
    let samples = xs.len() / inputs;
    let mut total = 0.0;
    for s in 0..samples {
        let mut h = [0.0; 8];
        for j in 0..hidden {
            let mut a = w[j];
            for i in 0..inputs {
                a += w[hidden + j * inputs + i] * xs[s * inputs + i];
            }
            let t = a.tanh();
            let e = (0.5 * a).exp();
            h[j] = t * e + a.sin() * t;
        }
        let mut out = 0.0;
        for j in 0..hidden {
            out += w[hidden * (inputs + 1) + j] * h[j];
        }
        total += (out - 0.5) * (out - 0.5);
    }
    total / samples as f64
}

#[test]
fn costly_values_saved_in_inner_loops() {
    let (hidden, inputs) = (5, 3);
    let xs = points(4 * inputs);
    let w: Vec<f64> = points(hidden * (inputs + 2))
        .iter()
        .map(|v| v * 0.5)
        .collect();
    check_fn!(
        hidden_layer,
        hidden_layer_vjp,
        hidden_layer_jvp,
        &w,
        &xs,
        hidden
    );
}

/// A function without a derivative rule, called in the loop for an inactive value the reverse
/// reads. The reverse of a fused loop does not run its body again, so vjp need not show that
/// the call gives the same value twice (in a loop that is not fused, this is an error).
fn weight(i: usize) -> f64 {
    1.0 / (1.0 + i as f64)
}

#[differentiable]
fn weighted(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let w = weight(i);
        s += w * x[i] * x[i];
    }
    s
}

#[test]
fn impure_call_in_a_fused_loop() {
    let x = points(5);
    check_fn!(weighted, weighted_vjp, weighted_jvp, &x);
    let mut g = vec![0.0; 5];
    weighted_grad(&x, &mut g);
    for i in 0..5 {
        assert!((g[i] - 2.0 * weight(i) * x[i]).abs() < 1e-15);
    }
}

/// Tapes made once, before the fused loop, with room for one iteration of it
/// (`forward::presized_tapes`): the exit values of the loops inside a range loop `c` (the
/// centred point and its scaled copy, as in the GMM objective) whose range is known before the
/// fused loop: a local defined before it, an inclusive range, `.rev()` and `.len()`.
#[differentiable]
fn centred(w: &[f64], #[no_grad] xs: &[f64], #[no_grad] k: usize) -> f64 {
    let last = k - 1;
    let points = xs.len() / 2;
    let mut total = 0.0;
    for p in 0..points {
        let mut terms = [0.0; 4];
        for c in 0..=last {
            let mut z = [0.0; 2];
            for j in 0..2 {
                z[j] = xs[p * 2 + j] - w[c * 2 + j];
            }
            let mut q = [0.0; 2];
            for j in 0..2 {
                q[j] = w[8 + c] * z[j] + z[1 - j] * 0.25;
            }
            let mut sq = 0.0;
            for j in 0..2 {
                sq += q[j] * q[j] * z[j];
            }
            terms[c] = sq.sin();
        }
        let mut back = 0.0;
        for c in (0..w.len() / 6).rev() {
            let mut z = [0.0; 2];
            for j in 0..2 {
                z[j] = terms[c] * w[c + j];
            }
            let mut s = 0.0;
            for j in 0..2 {
                s += z[j].exp() * z[1 - j];
            }
            back += s;
        }
        total += back * terms[0];
    }
    total
}

/// The same shape with ranges that are not known before the fused loop (they depend on its
/// counter), so that each entry makes room for its own iterations; and a `continue` that skips
/// some of the pushes a range loop made room for.
#[differentiable]
fn centred_varying(w: &[f64], #[no_grad] xs: &[f64]) -> f64 {
    let points = xs.len() / 2;
    let mut total = 0.0;
    for p in 0..points {
        let mut acc = 0.0;
        for c in 0..(p % 3 + 1) {
            let mut z = [0.0; 2];
            for j in 0..2 {
                z[j] = xs[p * 2 + j] * w[c * 2 + j];
            }
            let mut s = 0.0;
            for j in 0..2 {
                s += z[j].sin() * z[1 - j];
            }
            acc += s;
        }
        for c in 0..4 {
            if c == 2 {
                continue;
            }
            let mut z = [0.0; 2];
            for j in 0..2 {
                z[j] = w[c + j] * acc;
            }
            let mut s = 0.0;
            for j in 0..2 {
                s += z[j] * z[j] * w[c];
            }
            acc += s.cos();
        }
        total += acc;
    }
    total
}

/// A range loop in the fused loop whose own tape saves two floats per iteration (not a
/// `SmallTape`), made once before the fused loop.
#[differentiable]
fn two_carried(w: &[f64], #[no_grad] xs: &[f64], #[no_grad] k: usize) -> f64 {
    let mut total = 0.0;
    for p in 0..xs.len() {
        let mut a = xs[p];
        let mut b = 0.5;
        for c in 0..k {
            let t = a;
            a = (a * w[c] + b).sin();
            b = t * b + w[c + 1];
        }
        total += a * b;
    }
    total
}

#[test]
fn tapes_made_before_the_fused_loop() {
    let xs = points(6);
    let w: Vec<f64> = points(12).iter().map(|v| v * 0.7).collect();
    check_fn!(centred, centred_vjp, centred_jvp, &w, &xs, 4);
    check_fn!(centred, centred_vjp, centred_jvp, &w, &xs, 1);
    check_fn!(
        centred_varying,
        centred_varying_vjp,
        centred_varying_jvp,
        &w,
        &xs
    );
    // No points: no room is made for the component loop's (huge) range.
    let mut g = vec![0.0; w.len()];
    assert_eq!(centred_vjp(&w, &mut g, &[], usize::MAX / 64, 1.0).0, 0.0);
    assert!(g.iter().all(|&gi| gi == 0.0));
    let w: Vec<f64> = points(6).iter().map(|v| v * 0.6).collect();
    for k in [5, 0] {
        check_fn!(
            two_carried,
            two_carried_vjp,
            two_carried_jvp,
            &w,
            &xs[..3],
            k
        );
    }
}

// Calls whose result is only added to an accumulator (`s += f(..)`, `s -= f(..)`): their
// cotangent is the accumulator's adjoint, known before the iteration runs, so the fused loop
// calls `f_vjp` once, in place of `f`, and takes the value from it (`fuse::EarlyCall`). The
// callee below has a hand-written rule, and both are counted.

thread_local! {
    /// Calls of `bump` and of `bump_vjp` on this thread.
    static BUMPS: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// The calls of `bump` and of `bump_vjp` made by `run`.
fn bumps(run: impl FnOnce()) -> (usize, usize) {
    let before = BUMPS.with(std::cell::Cell::get);
    run();
    let after = BUMPS.with(std::cell::Cell::get);
    (after.0 - before.0, after.1 - before.1)
}

/// a b + sin a; counted.
fn bump(a: f64, b: f64) -> f64 {
    BUMPS.with(|c| c.set((c.get().0 + 1, c.get().1)));
    a * b + a.sin()
}

/// The rule of `bump`: d/da = b + cos a, d/db = a; counted (it does not call `bump`).
fn bump_vjp(a: f64, b: f64, v: f64) -> (f64, (f64, f64)) {
    BUMPS.with(|c| c.set((c.get().0, c.get().1 + 1)));
    (a * b + a.sin(), (v * (b + a.cos()), v * a))
}

fn bump_jvp(a: f64, da: f64, b: f64, db: f64) -> (f64, f64) {
    (a * b + a.sin(), (b + a.cos()) * da + a * db)
}

/// `s += f(..)`, `s = f(..) + s` and `s -= f(..)`, in one fused loop.
#[differentiable]
#[allow(clippy::assign_op_pattern)] // `f(..) + s`: the call on the left, on purpose.
fn sum_of_bumps(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += bump(x[i], x[i + 1]);
        s = bump(x[i + 1], 0.5) + s;
        s -= bump(0.25, x[i]);
    }
    s * 3.0
}

/// The call's result is also read by something else: its cotangent is not the accumulator's,
/// so the call stays where it is and its rule runs in the reverse.
#[differentiable]
fn bumps_read_twice(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let b = bump(x[i], x[i + 1]);
        s += b * x[i];
        s += b;
    }
    s
}

/// Added to a value that is not the accumulator (`s += 2 t` through `t + t`, and `u = t + c`):
/// no early call.
#[differentiable]
fn bumps_scaled(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let b = bump(x[i], x[i + 1]);
        s += b + b;
        s -= bump(x[i], 1.5) + 1.0;
    }
    s
}

/// Weighted: `s += w[i] * f(..)` (a weight from outside), `s -= f(..) * 0.5` (a constant),
/// `s += c * f(..)` with `c` computed before the call: the cotangent is `bar_s` times the
/// weight, known where the call runs.
#[differentiable]
fn weighted_bumps(x: &[f64], #[no_grad] w: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += w[i] * bump(x[i], x[i + 1]);
        s -= bump(x[i + 1], 0.5) * 0.5;
        let c = x[i].sin();
        s += c * bump(0.25, x[i]);
    }
    s
}

/// The weight computed after the call: not known where the call runs, so the rule runs in the
/// reverse.
#[differentiable]
fn weight_after_the_call(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let b = bump(x[i], x[i + 1]);
        let c = x[i + 1].cos();
        s += c * b;
    }
    s
}

#[test]
fn weighted_calls_run_their_rule_once_when_the_weight_is_known() {
    let x = points(6);
    let w = [0.5, -1.5, 2.0, 0.25, 1.0];
    check_fn!(
        weighted_bumps,
        weighted_bumps_vjp,
        weighted_bumps_jvp,
        &x,
        &w
    );
    check_fn!(
        weight_after_the_call,
        weight_after_the_call_vjp,
        weight_after_the_call_jvp,
        &x
    );
    let mut g = vec![0.0; 6];
    assert_eq!(
        bumps(|| _ = weighted_bumps_vjp(&x, &mut g, &w, 1.0)),
        (0, 15)
    );
    assert_eq!(
        bumps(|| _ = weight_after_the_call_vjp(&x, &mut g, 1.0)),
        (5, 5)
    );
}

#[test]
fn calls_added_to_an_accumulator_run_their_rule_once() {
    let x = points(6);
    check_fn!(sum_of_bumps, sum_of_bumps_vjp, sum_of_bumps_jvp, &x);
    let mut g = vec![0.0; 6];
    // Fifteen calls, each of the rule alone, and the value is still the primal's.
    let (y, counts) = {
        let mut y = 0.0;
        let counts = bumps(|| y = sum_of_bumps_vjp(&x, &mut g, 1.0).0);
        (y, counts)
    };
    assert_eq!(counts, (0, 15));
    assert_eq!(y, sum_of_bumps(&x));
    assert_eq!(bumps(|| _ = sum_of_bumps(&x)), (15, 0));
}

#[test]
fn calls_read_otherwise_keep_their_rule_in_the_reverse() {
    let x = points(6);
    check_fn!(
        bumps_read_twice,
        bumps_read_twice_vjp,
        bumps_read_twice_jvp,
        &x
    );
    check_fn!(bumps_scaled, bumps_scaled_vjp, bumps_scaled_jvp, &x);
    let mut g = vec![0.0; 6];
    assert_eq!(bumps(|| _ = bumps_read_twice_vjp(&x, &mut g, 1.0)), (5, 5));
    // The second call's `+ 1.0` is before the accumulator: not early either.
    assert_eq!(bumps(|| _ = bumps_scaled_vjp(&x, &mut g, 1.0)), (10, 10));
}
