//! How often the generated adjoints allocate, counted by a global allocator: none for
//! straight-line code, for a fused loop and for a short loop saving one float per iteration;
//! one for a long loop's tape; one for all the tapes of a call whose trip counts the
//! parameters fix (the lanes of one arena, `vjp::arena`), on the first call of a thread (the
//! next ones reuse its buffer): the tapes of range loops nested in other range loops, whose
//! room the outermost makes when it starts, and those an iteration of the fused loop fills
//! and empties; one tape for the values that the loops in a range loop's
//! body leave behind (`Plan::frames`). With that room made early, the nested loops' gradients
//! are checked too, and so is that a range is only evaluated when its loop would run.

#![allow(clippy::needless_range_loop)]

mod common;

#[path = "common/counting.rs"]
mod counting;

use common::check64;
use counting::{allocations, first_call_allocations};
use vjp::differentiable;

#[differentiable]
fn straight(x: f64, y: f64) -> f64 {
    let a = x * y + x.sin();
    let b = (a * a + y).exp();
    b / (1.0 + a * a) - y.tanh()
}

/// Fused: forward and reverse in one pass, no tape.
#[differentiable]
fn weighted_squares(x: &[f64]) -> f64 {
    let mut total = 0.0;
    for i in 1..x.len() {
        let d = x[i] - 0.5 * x[i - 1];
        total += (1.0 + i as f64) * d * d;
    }
    total
}

/// One float per iteration: the first 32 in place, the rest in room made once.
#[differentiable]
fn damped_sine(a: f64, x0: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = (a * x).sin() + 0.25 * x;
    }
    x
}

/// Two floats per iteration: a `Tape`, with room made once for the range.
#[differentiable]
fn pair(a: f64, b: f64, n: usize) -> f64 {
    let mut p = a;
    let mut q = b;
    for i in 0..n {
        let t = p;
        p = (p * q + i as f64 * 0.01).sin();
        q = t * q + 0.5;
    }
    p * q
}

/// The GMM shape: a fused loop over points, a component loop in it whose inner loops leave
/// values behind for the reverse, on one tape, and that saves a float per component on
/// another: two lanes of one arena, made once, with room for one iteration of the fused loop.
#[differentiable]
fn mixture(w: &[f64], #[no_grad] xs: &[f64]) -> f64 {
    let mut total = 0.0;
    for p in 0..xs.len() {
        let mut m = [0.0; 3];
        for c in 0..3 {
            let mut z = [0.0; 2];
            for j in 0..2 {
                z[j] = xs[p] - w[c * 2 + j];
            }
            let mut q = [0.0; 2];
            for j in 0..2 {
                q[j] = w[6 + c] * z[j] + z[1 - j];
            }
            let mut sq = 0.0;
            for j in 0..2 {
                sq += q[j] * q[j];
            }
            m[c] = (-sq).exp();
        }
        total += (m[0] + m[1] + m[2]).ln();
    }
    total
}

/// Three range loops, none fused. The innermost saves a float per iteration and reads the
/// parameter `n` in its range (the outer loop's room is computed in a local of the generated
/// code, which must not hide it); the outermost makes room for its own tapes and for the
/// innermost's `n * m * n` floats when it starts, in the arena sized for all three when the
/// function starts.
#[differentiable]
fn nested(a: f64, b: f64, n: usize, m: usize) -> f64 {
    let mut s = a;
    for i in 0..n {
        let mut y = s;
        for j in 0..m {
            for k in 0..n {
                y = (y * b + k as f64 * 0.01).sin();
            }
            y *= 0.5 + j as f64 * 0.1;
        }
        s = (s * y).cos() + 0.1 * i as f64;
    }
    s
}

/// The innermost range divides by `d`: computed early by the outermost loop, it would panic
/// for `d = 0` also when the loops around it do not run, which the function itself does not.
#[differentiable]
fn guarded(a: f64, n: usize, m: usize, d: usize) -> f64 {
    let mut s = a;
    for i in 0..n {
        let mut y = s;
        for _ in 0..m {
            for k in 0..8 / d {
                y = (y + k as f64 * 0.1).sin();
            }
            y *= 0.9;
        }
        s = (s * y).cos() + 0.1 * i as f64;
    }
    s
}

/// Inner ranges that the outer loop cannot know when it starts: one grows with a slot of the
/// outer loop, one with its counter. Each makes room when it starts.
#[differentiable]
fn growing(a: f64, n: usize) -> f64 {
    let mut s = a;
    let mut len = 1;
    for i in 0..n {
        let mut y = s;
        for _ in 0..len {
            y = (y * 1.1).sin();
        }
        for k in 0..i {
            y = (y + k as f64 * 0.2).cos();
        }
        len += 2;
        s = (s * y).sin() + 0.3;
    }
    s
}

/// Loops in a range loop's body that leave values behind: a float (`y`), an array (`q`), an
/// integer and a `while`'s trip count (`k`), and a value of unknown type (`v`, from a plain
/// function). The first three share one tape (one tuple per iteration, `Plan::frames`; the
/// GMM-shaped `mixture` counts its allocations); in `unknown_exit` the fourth keeps the tapes
/// apart.
#[differentiable]
fn frame(a: &[f64], n: usize) -> f64 {
    let mut s = 0.5;
    for i in 0..n {
        let mut y = s;
        for j in 0..3 {
            y = (y * a[j]).sin();
        }
        let mut q = [0.0; 2];
        for j in 0..2 {
            q[j] = y * a[j + 1] + q[1 - j];
        }
        let mut k = 0;
        while k < 1 + i % 3 {
            k += 1;
            y = (y + a[k % a.len()]).cos();
        }
        s = (s * q[0] + q[1] * y).tanh() + 0.1 * k as f64;
    }
    s
}

fn weights(n: usize) -> Vec<f64> {
    (0..n).map(|i| 1.0 / (1.0 + i as f64)).collect()
}

#[differentiable]
fn unknown_exit(a: &[f64], n: usize) -> f64 {
    let mut s = 0.5;
    for i in 0..n {
        let mut y = s;
        for j in 0..3 {
            y = (y * a[j]).sin();
        }
        let mut v = weights(3);
        for j in 0..2 {
            v[j] = y * a[j + 1] + v[2];
        }
        s = (s * v[0] + v[1] * y).tanh() + 0.1 * i as f64;
    }
    s
}

#[test]
fn loops_leaving_values_share_a_tape() {
    let a = [0.7, -0.4, 1.2, 0.9];
    for n in [0, 1, 5] {
        for (f, f_vjp) in [
            (
                frame as fn(&[f64], usize) -> f64,
                frame_vjp as fn(&[f64], &mut [f64], usize, f64) -> (f64, ()),
            ),
            (unknown_exit, unknown_exit_vjp),
        ] {
            let mut g = [0.0; 4];
            let y = f_vjp(&a, &mut g, n, 1.0).0;
            assert_eq!(y, f(&a, n));
            for k in 0..a.len() {
                let (mut up, mut down) = (a, a);
                up[k] += 1e-6;
                down[k] -= 1e-6;
                let fd = (f(&up, n) - f(&down, n)) / 2e-6;
                assert!(
                    (g[k] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
                    "n {n}, {k}: {} vs {fd}",
                    g[k]
                );
            }
        }
    }
    // Its tapes are lanes of one arena (the `while`'s integer `k` is known to be one): at most
    // two allocations on a thread's first call (the buffer and one growth, the `while`'s trip
    // counts being known only as it runs), none on the next.
    for n in [3, 40, 300] {
        let mut g = [0.0; 4];
        let first = first_call_allocations(|| _ = frame_vjp(&a, &mut g, n, 1.0));
        assert!(first <= 2, "{n}: {first}");
        let twice = first_call_allocations(|| {
            frame_vjp(&a, &mut g, n, 1.0);
            frame_vjp(&a, &mut g, n, 1.0);
        });
        assert_eq!(twice, first, "{n}");
    }
}

#[test]
fn nested_ranges_get_their_room_once() {
    for (n, m) in [(0, 0), (0, 3), (3, 0), (1, 1), (3, 2), (5, 4)] {
        check64(
            |(a, b): (f64, f64)| nested(a, b, n, m),
            |(a, b), v| nested_vjp(a, b, n, m, v),
            (0.4, 0.8),
        );
    }
    // With no iteration of a loop around the innermost, its range (8 / 0) is not computed.
    for (n, m, d) in [(0, 3, 0), (3, 0, 0), (3, 2, 2)] {
        check64(
            |(a,): (f64,)| guarded(a, n, m, d),
            |(a,), v| guarded_vjp(a, n, m, d, v),
            (0.3,),
        );
    }
    assert_eq!(guarded_vjp(0.3, 0, 3, 0, 1.0), (0.3, (1.0,)));
    for n in [0, 1, 4, 9] {
        check64(
            |(a,): (f64,)| growing(a, n),
            |(a,), v| growing_vjp(a, n, v),
            (0.6,),
        );
    }
}

/// Element writes in a loop whose reverse reads the `Vec` written: its buffer, a second one
/// (the first is kept as the witness of its adjoint's zero), the adjoint, and one tape for the
/// overwritten elements, whatever the length (the whole `Vec` was cloned onto the tape at
/// every step).
#[differentiable]
fn trajectory(x0: f64, k: &[f64]) -> f64 {
    let n = k.len();
    let mut y = vec![0.0; n + 1];
    y[0] = x0;
    for i in 0..n {
        y[i + 1] = (y[i] * k[i]).sin() + y[i];
    }
    y[n]
}

/// A fused loop writing a `Vec` without derivatives that values with derivatives read: the
/// reverse, in the same iteration, reads those values where they are, and copies nothing: the
/// `Vec` and its copy in the loop, whatever the length.
#[differentiable]
fn fused_weights(x: &[f64]) -> f64 {
    let mut c = vec![1.0; x.len()];
    let mut s = 0.0;
    for i in 1..x.len() {
        c[i] = c[i - 1] * 0.5 + 1.0;
        s += (x[i] * c[i]).sin() * c[i - 1];
    }
    s
}

#[test]
fn element_writes_do_not_copy_the_aggregate() {
    for n in [1, 10, 1000] {
        let k: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * (i % 9) as f64).collect();
        let mut g = vec![0.0; n];
        assert_eq!(
            allocations(|| _ = trajectory_vjp(0.3, &k, &mut g, 1.0)),
            4,
            "{n}"
        );
        let want = check_trajectory(&k);
        assert!(
            (g[0] - want).abs() < 1e-6 * want.abs().max(1.0),
            "{n}: {} {want}",
            g[0]
        );
        let x: Vec<f64> = (0..n + 1).map(|i| 0.1 * (i % 5) as f64).collect();
        let mut g = vec![0.0; n + 1];
        assert_eq!(
            allocations(|| _ = fused_weights_vjp(&x, &mut g, 1.0)),
            2,
            "{n}"
        );
    }
}

/// Element writes inside an `if` at an index the branch computes: the index goes on the tape
/// with the old element (the whole `Vec` was cloned onto the tape at every step). Also with a
/// test leaving the loop after the writes, and with one skipping iterations before them.
#[differentiable]
fn leaky_at(x: &[f64]) -> f64 {
    let mut h = x.to_vec();
    for i in 0..h.len() {
        if h[i] < 0.0 {
            let j = i;
            h[j] *= 0.1;
        }
    }
    let mut s = 0.0;
    for i in 0..h.len() {
        s += h[i] * h[i];
    }
    s
}

/// The same writes in a loop that tests whether to leave after them (the test never passes):
/// the writes are undone as without the test.
#[differentiable]
fn leaky_with_test(x: &[f64], #[no_grad] stop: f64) -> f64 {
    let mut h = x.to_vec();
    for i in 0..h.len() {
        if h[i] < 0.0 {
            h[i] *= 0.1;
        }
        if h[i] > stop {
            break;
        }
    }
    let mut s = 0.0;
    for i in 0..h.len() {
        s += h[i] * h[i];
    }
    s
}

/// Writes in both branches of an `if`; and a differentiable call in the branch that writes.
#[differentiable]
fn both_ways(x: &[f64]) -> f64 {
    let mut h = x.to_vec();
    for i in 0..h.len() {
        if h[i] < 0.0 {
            h[i] *= 0.1;
        } else {
            h[i] = h[i] * h[i];
        }
    }
    let mut s = 0.0;
    for i in 0..h.len() {
        s += h[i];
    }
    s
}

/// 3 v, differentiated.
#[differentiable]
fn triple(v: f64) -> f64 {
    3.0 * v
}

/// A differentiable call in the writing branch.
#[differentiable]
fn tripled(x: &[f64]) -> f64 {
    let mut h = x.to_vec();
    for i in 0..h.len() {
        if h[i] > 0.0 {
            h[i] = triple(h[i]);
        }
    }
    let mut s = 0.0;
    for i in 0..h.len() {
        s += h[i];
    }
    s
}

#[test]
fn writes_in_both_branches_do_not_copy_the_aggregate() {
    let (mut counts, mut called) = (Vec::new(), Vec::new());
    for n in [10, 1000] {
        let x: Vec<f64> = (0..n).map(|i| 0.3 * ((i % 7) as f64 - 3.0)).collect();
        let mut g = vec![0.0; n];
        counts.push(allocations(|| _ = both_ways_vjp(&x, &mut g, 1.0)));
        for i in 0..n {
            let want = if x[i] < 0.0 { 0.1 } else { 2.0 * x[i] };
            assert!((g[i] - want).abs() < 1e-12, "{n}, {i}");
        }
        let mut g = vec![0.0; n];
        called.push(allocations(|| _ = tripled_vjp(&x, &mut g, 1.0)));
        for i in 0..n {
            let want = if x[i] > 0.0 { 3.0 } else { 1.0 };
            assert_eq!(g[i], want, "{n}, {i}");
        }
    }
    assert_eq!(counts[0], counts[1], "allocations for 10 and 1000 elements");
    assert_eq!(called[0], called[1], "allocations for 10 and 1000 elements");
}

/// The same writes in a loop that skips some iterations first (`if masked { continue; }`).
#[differentiable]
fn leaky_masked(x: &[f64], #[no_grad] every: usize) -> f64 {
    let mut h = x.to_vec();
    for i in 0..h.len() {
        if i % every == 0 {
            continue;
        }
        if h[i] < 0.0 {
            h[i] *= 0.1;
        }
    }
    let mut s = 0.0;
    for i in 0..h.len() {
        s += h[i] * h[i];
    }
    s
}

/// Counted on a new thread each (`first_call_allocations`): the undo log holds elements of a
/// `Vec` whose type the macro does not name, so it is a spill of the arena, which grows when the
/// log's first entry is pushed; sizes past the arena's first growth (`FIRST_GROWTH`) make the
/// same number of allocations, none per element.
#[test]
fn writes_in_branches_and_before_or_after_tests_do_not_copy_the_aggregate() {
    let mut masked = Vec::new();
    for n in [1000, 5000] {
        let x: Vec<f64> = (0..n).map(|i| 0.3 * ((i % 7) as f64 - 3.0)).collect();
        let mut g = vec![0.0; n];
        masked.push(first_call_allocations(|| {
            _ = leaky_masked_vjp(&x, &mut g, 3, 1.0)
        }));
        for i in 0..n {
            let slope = if x[i] < 0.0 && i % 3 != 0 { 0.01 } else { 1.0 };
            assert!((g[i] - 2.0 * x[i] * slope).abs() < 1e-12, "{n}, {i}");
        }
    }
    assert_eq!(
        masked[0], masked[1],
        "allocations for 1000 and 5000 elements"
    );
    let (mut counts, mut tested) = (Vec::new(), Vec::new());
    for n in [1000, 5000] {
        let x: Vec<f64> = (0..n).map(|i| 0.3 * ((i % 7) as f64 - 3.0)).collect();
        let mut g = vec![0.0; n];
        counts.push(first_call_allocations(|| _ = leaky_at_vjp(&x, &mut g, 1.0)));
        let mut g2 = vec![0.0; n];
        tested.push(first_call_allocations(|| {
            _ = leaky_with_test_vjp(&x, &mut g2, 5.0, 1.0)
        }));
        for i in 0..n {
            let slope = if x[i] < 0.0 { 0.01 } else { 1.0 };
            assert!((g[i] - 2.0 * x[i] * slope).abs() < 1e-12, "{n}, {i}");
            assert!((g2[i] - 2.0 * x[i] * slope).abs() < 1e-12, "{n}, {i}");
        }
    }
    assert_eq!(
        counts[0], counts[1],
        "allocations for 1000 and 5000 elements"
    );
    assert_eq!(
        tested[0], tested[1],
        "allocations for 1000 and 5000 elements"
    );
}

/// The derivative of `trajectory` in `k[0]`, by central differences.
fn check_trajectory(k: &[f64]) -> f64 {
    let h = 1e-6;
    let mut up = k.to_vec();
    up[0] += h;
    let mut down = k.to_vec();
    down[0] -= h;
    (trajectory(0.3, &up) - trajectory(0.3, &down)) / (2.0 * h)
}

#[test]
fn allocations_per_call() {
    assert_eq!(allocations(|| _ = straight_vjp(0.3, 0.7, 1.0)), 0);

    let x: Vec<f64> = (0..100).map(|i| 0.01 * i as f64).collect();
    let mut g = vec![0.0; x.len()];
    assert_eq!(allocations(|| _ = weighted_squares_vjp(&x, &mut g, 1.0)), 0);

    assert_eq!(allocations(|| _ = damped_sine_vjp(1.3, 0.2, 32, 1.0)), 0);
    for n in [33, 1000, 100_000] {
        assert_eq!(
            allocations(|| _ = damped_sine_vjp(1.3, 0.2, n, 1.0)),
            1,
            "{n}"
        );
    }

    for n in [1, 10, 10_000] {
        assert_eq!(allocations(|| _ = pair_vjp(0.3, 0.4, n, 1.0)), 1, "{n}");
    }

    let w: Vec<f64> = (0..9).map(|i| 0.1 * i as f64 - 0.3).collect();
    let mut g = vec![0.0; w.len()];
    for points in [1, 10, 500] {
        let xs: Vec<f64> = (0..points).map(|i| (i % 7) as f64 * 0.1).collect();
        assert_eq!(
            first_call_allocations(|| _ = mixture_vjp(&w, &mut g, &xs, 1.0)),
            1,
            "{points} points"
        );
    }
    // No points: the arena is made empty, without allocating.
    assert_eq!(
        first_call_allocations(|| _ = mixture_vjp(&w, &mut g, &[], 1.0)),
        0
    );

    // Three tapes, one allocation: the outer loop's own, the values the middle loop leaves
    // behind, and the innermost loop's n * m * n floats, lanes of one arena (three before it,
    // once they spilled beyond 32 floats).
    for n in [3, 40, 100, 300] {
        assert_eq!(
            first_call_allocations(|| _ = nested_vjp(0.4, 0.8, n, 3, 1.0)),
            1,
            "{n}"
        );
    }
    assert_eq!(
        first_call_allocations(|| _ = nested_vjp(0.4, 0.8, 0, 3, 1.0)),
        0
    );
    // The next calls on a thread take the buffer the last one left, when it is large enough.
    assert_eq!(allocations(|| _ = nested_vjp(0.4, 0.8, 300, 3, 1.0)), 1);
    for n in [300, 40, 3] {
        assert_eq!(allocations(|| _ = nested_vjp(0.4, 0.8, n, 3, 1.0)), 0);
    }
}

/// A packed triangle whose outer loop's reverse runs backwards (an `if` in its body) around an
/// inner loop whose reverse runs forwards: the outer reverse finds `l` at each iteration's
/// start by stepping back over the inner loop's trip count, with no tape for it; the one float
/// per outer iteration that the `if` needs stays in place for a short loop.
#[differentiable]
fn gated_triangle(q: &[f64], x: &[f64]) -> f64 {
    let mut l = 0;
    let mut s = 0.0;
    for c in 0..x.len() {
        if x[c] > 0.0 {
            s *= x[c];
        }
        for r in c..x.len() {
            s += q[l] * x[r];
            l += 1;
        }
    }
    s
}

#[test]
fn a_counter_stepped_back_over_an_inner_loop_needs_no_tape() {
    let x = [0.5, -1.0, 2.0, 0.75];
    let q: Vec<f64> = (0..10).map(|i| 0.3 * i as f64 - 1.0).collect();
    let (mut gq, mut gx) = (vec![0.0; 10], [0.0; 4]);
    assert_eq!(
        allocations(|| _ = gated_triangle_vjp(&q, &mut gq, &x, &mut gx, 1.0)),
        0
    );
    let fd = common::fd_grad(|q| gated_triangle(q, &x), &q);
    common::assert_near(&gq, &fd, 1e-6);
    let fd = common::fd_grad(|x| gated_triangle(&q, x), &x);
    common::assert_near(&gx, &fd, 1e-6);
}

/// `growing`'s inner loops know their trip counts only when they start: their lanes make room
/// then, in the buffer made when the function started (at least 2 KiB), growing it when that
/// is full. The next calls on the thread reuse the grown buffer.
#[test]
fn lanes_known_only_when_their_loops_start_grow_once() {
    assert_eq!(first_call_allocations(|| _ = growing_vjp(0.6, 3, 1.0)), 1);
    for n in [40, 300] {
        let first = first_call_allocations(|| _ = growing_vjp(0.6, n, 1.0));
        let twice = first_call_allocations(|| {
            growing_vjp(0.6, n, 1.0);
            growing_vjp(0.6, n, 1.0);
        });
        assert_eq!(first, twice, "{n}");
        assert!(first <= 12, "{n}: {first}");
    }
}
