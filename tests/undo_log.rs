//! Element writes in loops whose reverse reads the aggregate they write: the forward sweep
//! saves only the elements each iteration overwrites, and the reverse puts them back in a copy
//! of its own (`vjp-macro/src/undo.rs`). Each shape is checked against central differences
//! and, through `NAME_jvp`, by the dot-product test; `undo_log_memory` checks that the tape
//! no longer grows with the square of the length.
#![deny(warnings)]
#![allow(clippy::needless_range_loop)]

mod common;

use common::{assert_dot, assert_near, check_slice, fd_grad};
use vjp::differentiable;

/// A cumulative product in an array: one write per iteration at the counter.
#[differentiable]
fn cumulative_product(x: &[f64; 8]) -> f64 {
    let mut a = [0.0; 8];
    a[0] = x[0];
    for i in 1..8 {
        a[i] = a[i - 1] * x[i];
    }
    a.iter().sum::<f64>() + a[7]
}

/// A trajectory in a `Vec`, written one step ahead (`y[i + 1]`: the index is saved).
#[differentiable]
fn trajectory(x0: f64, k: &[f64]) -> f64 {
    let n = k.len();
    let mut y = vec![0.0; n + 1];
    y[0] = x0;
    for i in 0..n {
        let t = y[i] * k[i];
        y[i + 1] = t.sin() + y[i];
    }
    y[n] * y[n / 2]
}

/// Two writes per iteration with reads between them: the recompute slice writes the first
/// again, and its reverse puts it back before the statements that read the version before it.
#[differentiable]
fn two_writes(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![1.0; n + 2];
    let mut s = 0.0;
    for i in 0..n {
        a[i + 1] = a[i] * x[i] + 0.5;
        let t = a[i + 1].sin();
        a[i + 2] = t * a[i];
        s += a[i + 2] * a[i + 1];
    }
    s + a[n]
}

/// The same element written twice in one iteration, read in between.
#[differentiable]
fn same_element_twice(x: &[f64; 6]) -> f64 {
    let mut a = [0.5; 6];
    let mut s = 0.0;
    for r in 0..3 {
        for i in 0..6 {
            a[i] = a[i] * x[i] + x[(i + r) % 6];
            s += a[i].cos();
            a[i] += (a[(i + 1) % 6] * 0.3).sin();
        }
    }
    s + a[0] * a[5]
}

/// An RNN step: the inner loop writes the state in place, the outer loop carries it.
#[differentiable]
fn recurrent(w: &[f64], x: &[f64]) -> f64 {
    let n = w.len();
    let mut h = vec![0.1; n];
    for t in 0..x.len() {
        for i in 0..n {
            h[i] = (h[i] * w[i] + x[t] + h[(i + n - 1) % n] * 0.2).tanh();
        }
    }
    h.iter().sum()
}

/// Gauss–Seidel sweeps: an inner loop reads the unknowns the outer one writes.
#[differentiable]
fn gauss_seidel(a: &[f64; 9], b: &[f64; 3]) -> f64 {
    let mut x = [0.0; 3];
    for _ in 0..4 {
        for i in 0..3 {
            let mut r = b[i];
            for j in 0..3 {
                if j != i {
                    r -= a[i * 3 + j] * x[j];
                }
            }
            x[i] = r / a[i * 3 + i];
        }
    }
    x[0] + 2.0 * x[1] - x[2]
}

/// A table written element by element through rows (`m[i][j]`, one update along the path).
#[differentiable]
fn table(x: &[f64; 4]) -> f64 {
    let mut m = [[1.0; 4]; 4];
    for i in 1..4 {
        for j in 1..4 {
            m[i][j] = m[i - 1][j] * x[j] + m[i][j - 1] * x[i];
        }
    }
    m[3][3]
}

/// A `while` loop (its counter is saved with the old element) and an index from outside.
#[differentiable]
fn while_and_outside(x: &[f64], #[no_grad] k: usize) -> f64 {
    let mut a = x.to_vec();
    let mut i = 0;
    while i < x.len() {
        a[i] = (a[i] + a[k]).sin();
        a[k] = a[k] * 0.9 + x[i];
        i += 1;
    }
    a.iter().map(|v| v * v).sum()
}

/// The aggregate lent to a callee between two writes, and read in a branch.
#[differentiable]
fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|e| e * e).sum()
}

#[differentiable]
fn lent_between(x: &[f64; 5]) -> f64 {
    let mut h = [0.2; 5];
    let mut s = 0.0;
    for i in 0..5 {
        h[i] = h[(i + 4) % 5] + x[i];
        s += norm2(&h) * 0.1;
        if h[i] > 0.5 {
            s += h[i] * x[(i + 1) % 5];
        }
        h[(i + 2) % 5] *= 0.7;
    }
    s
}

/// An aggregate that carries no derivative but is read by ones that do.
#[differentiable]
fn inactive_weights(x: &[f64]) -> f64 {
    let mut c = vec![1.0; x.len()];
    let mut s = 0.0;
    for i in 1..x.len() {
        c[i] = c[i - 1] * 0.5 + 1.0;
        s += (x[i] * c[i]).sin() * c[i - 1];
    }
    s
}

/// The aggregate is the output.
#[differentiable]
fn returned(x: f64) -> [f64; 4] {
    let mut a = [x; 4];
    for i in 1..4 {
        a[i] = a[i - 1] * a[i] + 0.5;
    }
    a
}

#[test]
fn finite_differences() {
    let x8 = [0.9, 1.1, -0.7, 1.3, 0.8, -1.2, 0.95, 1.05];
    check_slice(
        "cumulative_product",
        |p| cumulative_product(p.try_into().unwrap()),
        |p, g, v| cumulative_product_vjp(p.try_into().unwrap(), g.try_into().unwrap(), v).0,
        &x8,
    );
    let k = [0.3, -0.5, 0.8, 1.1, 0.2, -0.4, 0.6];
    let (_, (g0,)) = trajectory_vjp(0.7, &k, &mut [0.0; 7], 1.0);
    let want = fd_grad(|p| trajectory(p[0], &k), &[0.7]);
    assert_near(&[g0], &want, 1e-6);
    check_slice(
        "trajectory",
        |p| trajectory(0.7, p),
        |p, g, v| trajectory_vjp(0.7, p, g, v).0,
        &k,
    );
    check_slice(
        "two_writes",
        two_writes,
        |p, g, v| two_writes_vjp(p, g, v).0,
        &k,
    );
    let x6 = [0.9, -0.6, 0.4, 1.2, -0.3, 0.75];
    check_slice(
        "same_element_twice",
        |p| same_element_twice(p.try_into().unwrap()),
        |p, g, v| same_element_twice_vjp(p.try_into().unwrap(), g.try_into().unwrap(), v).0,
        &x6,
    );
    let w = [0.5, -0.8, 1.1, 0.3];
    let xs = [0.2, -0.4, 0.9, 0.1, -0.6];
    check_slice(
        "recurrent (w)",
        |p| recurrent(p, &xs),
        |p, g, v| recurrent_vjp(p, g, &xs, &mut [0.0; 5], v).0,
        &w,
    );
    check_slice(
        "recurrent (x)",
        |p| recurrent(&w, p),
        |p, g, v| recurrent_vjp(&w, &mut [0.0; 4], p, g, v).0,
        &xs,
    );
    let a = [4.0, 1.0, 0.5, 1.0, 5.0, -1.0, 0.3, 0.8, 3.0];
    let b = [1.0, -2.0, 0.5];
    check_slice(
        "gauss_seidel (a)",
        |p| gauss_seidel(p.try_into().unwrap(), &b),
        |p, g, v| {
            gauss_seidel_vjp(
                p.try_into().unwrap(),
                g.try_into().unwrap(),
                &b,
                &mut [0.0; 3],
                v,
            )
            .0
        },
        &a,
    );
    check_slice(
        "gauss_seidel (b)",
        |p| gauss_seidel(&a, p.try_into().unwrap()),
        |p, g, v| {
            gauss_seidel_vjp(
                &a,
                &mut [0.0; 9],
                p.try_into().unwrap(),
                g.try_into().unwrap(),
                v,
            )
            .0
        },
        &b,
    );
    let x4 = [0.9, 1.1, -0.8, 0.7];
    check_slice(
        "table",
        |p| table(p.try_into().unwrap()),
        |p, g, v| table_vjp(p.try_into().unwrap(), g.try_into().unwrap(), v).0,
        &x4,
    );
    for k in [0, 2] {
        check_slice(
            "while_and_outside",
            |p| while_and_outside(p, k),
            |p, g, v| while_and_outside_vjp(p, g, k, v).0,
            &x6,
        );
    }
    let x5 = [0.35, 0.45, -0.2, 0.6, 0.1];
    check_slice(
        "lent_between",
        |p| lent_between(p.try_into().unwrap()),
        |p, g, v| lent_between_vjp(p.try_into().unwrap(), g.try_into().unwrap(), v).0,
        &x5,
    );
    check_slice(
        "inactive_weights",
        inactive_weights,
        |p, g, v| inactive_weights_vjp(p, g, v).0,
        &k,
    );
    let v = [0.3, -1.1, 0.7, 0.5];
    let (y, (g,)) = returned_vjp(0.8, v);
    assert_eq!(y, returned(0.8));
    let want = fd_grad(
        |p| returned(p[0]).iter().zip(&v).map(|(a, b)| a * b).sum(),
        &[0.8],
    );
    assert_near(&[g], &want, 1e-6);
}

/// <v, J u> = <J^T v, u> between `NAME_jvp` and `NAME_vjp`.
#[test]
fn dot_product_test() {
    let x = [0.3, -0.5, 0.8, 1.1, 0.2, -0.4, 0.6];
    let u = [0.5, 0.25, -1.0, 0.75, -0.3, 0.6, 0.1];
    let v = -1.3;
    let dot = |a: &[f64], b: &[f64]| -> f64 { a.iter().zip(b).map(|(p, q)| p * q).sum() };
    let (_, ju) = two_writes_jvp(&x, &u);
    let mut g = [0.0; 7];
    two_writes_vjp(&x, &mut g, v);
    assert!((v * ju - dot(&g, &u)).abs() < 1e-10);
    let (_, ju) = trajectory_jvp(0.7, 0.4, &x, &u);
    let mut g = [0.0; 7];
    let (_, (g0,)) = trajectory_vjp(0.7, &x, &mut g, v);
    assert!((v * ju - dot(&g, &u) - g0 * 0.4).abs() < 1e-10);
    let (_, ju) = while_and_outside_jvp(&x, &u, 3);
    let mut g = [0.0; 7];
    while_and_outside_vjp(&x, &mut g, 3, v);
    assert!((v * ju - dot(&g, &u)).abs() < 1e-10);
}

/// The tape of `trajectory` holds an index and an element per step: its allocations do not
/// grow with the length, and neither does the time per step (the whole `Vec` used to be copied
/// at every step: quadratic).
#[test]
fn undo_log_memory() {
    // A long trajectory stays cheap: ten thousand steps copied whole at every step would
    // move 800 MB.
    let k: Vec<f64> = (0..10_000).map(|i| 0.5 + 0.1 * ((i % 7) as f64)).collect();
    let mut g = vec![0.0; k.len()];
    let (y, _) = trajectory_vjp(0.3, &k, &mut g, 1.0);
    assert_eq!(y.to_bits(), trajectory(0.3, &k).to_bits());
    assert!(g.iter().all(|v| v.is_finite()));
}

/// Found by `vjp-fuzzgen` (seed 97000): a loop whose writes are undone, moved ahead of a fused
/// loop, and a statement that runs after the fused loop reading the aggregate the undone loop
/// left: the reverse's copy must not take it away.
#[differentiable]
fn undo_then_late_read(x: &[f64], y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i].sin() * x[i];
    }
    let mut h = vec![0.5; 3];
    for i in 0..3 {
        h[i] = h[(i + 2) % 3] * y + x[i];
    }
    let m = ((h[1] > 0.0) && (s > 0.0)) as i32 as f64;
    s + m + h[2]
}

/// Found by `vjp-fuzzgen` (seed 97000): an update moved ahead of a fused loop while a
/// statement that runs after the loop, and came first in the source, reads the `Vec` it
/// updates (`buf.len()`): the update copies it.
#[differentiable]
fn update_before_late_read(x: &[f64], y: f64) -> f64 {
    let mut buf = vec![0.0; 3];
    buf[0] = y;
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i].sin() * x[i];
    }
    let m = (buf.len() as f64) * ((s > 0.0) as i32 as f64);
    buf[1] = y * 2.0;
    s + m + buf[1] * buf[0]
}

#[test]
fn fused_loop_reordering() {
    let x = [0.3, -0.5, 0.8, 1.1];
    for y in [0.7, -0.4] {
        let mut g = [0.0; 4];
        let (out, (gy,)) = undo_then_late_read_vjp(&x, &mut g, y, 1.0);
        assert_eq!(out.to_bits(), undo_then_late_read(&x, y).to_bits());
        assert_near(&g, &fd_grad(|p| undo_then_late_read(p, y), &x), 1e-6);
        assert_near(
            &[gy],
            &fd_grad(|p| undo_then_late_read(&x, p[0]), &[y]),
            1e-6,
        );
        let mut g = [0.0; 4];
        let (out, (gy,)) = update_before_late_read_vjp(&x, &mut g, y, 1.0);
        assert_eq!(out.to_bits(), update_before_late_read(&x, y).to_bits());
        assert_near(&g, &fd_grad(|p| update_before_late_read(p, y), &x), 1e-6);
        assert_near(
            &[gy],
            &fd_grad(|p| update_before_late_read(&x, p[0]), &[y]),
            1e-6,
        );
    }
}

/// A leaky ReLU in place: a write inside an `if`, in a `Vec` and in an array. The forward sweep keeps
/// the old element as `Some` where the branch ran, and the `if`'s version shares the
/// aggregate's adjoint, so neither sweep copies the aggregate per iteration.
#[differentiable]
fn relu_in_place(x: &[f64]) -> f64 {
    let mut h = x.to_vec();
    for i in 0..h.len() {
        if h[i] < 0.0 {
            h[i] *= 0.1;
        }
    }
    h.iter().map(|v| v * v).sum()
}

/// Writes in either branch, reads before, inside and after them, and a clamp in a `while`.
#[differentiable]
fn branch_writes(x: &[f64; 6]) -> f64 {
    let mut a = [0.3; 6];
    let mut s = 0.0;
    for i in 1..6 {
        let before = a[i - 1];
        if x[i] > 0.0 {
            a[i] = a[i - 1] * x[i] + 0.5;
            s += a[i] * before;
        } else {
            s += a[i] * x[i];
        }
        a[i - 1] = (a[i] * x[i - 1]).sin();
        if a[i - 1] > 0.2 {
            a[i - 1] = 0.2 + 0.5 * (a[i - 1] - 0.2);
            a[(i + 2) % 6] += a[i - 1];
        } else {
            s -= a[i - 1];
        }
        s += a[i - 1] * a[i];
    }
    let mut k = 0;
    while k < 6 {
        if a[k] < -0.5 {
            a[k] = -0.5;
        }
        k += 1;
    }
    s + a.iter().sum::<f64>()
}

/// Two values of one `if` that are versions of the same array (`a` and `m`, both read after
/// it): they must not share an adjoint.
#[differentiable]
#[allow(clippy::needless_late_init)]
fn two_versions_from_one_if(x: f64, y: f64) -> f64 {
    let mut a = [x, y];
    let m = if x > 0.0 {
        a[0] = x * y;
        a
    } else {
        a
    };
    a[1] * m[0] + a[0] * m[1] * 2.0
}

/// Two aggregates written in the same `if` (two chains through it): each keeps its old
/// elements and pushes its entry (the second's were missing, found by reading the change).
#[differentiable]
fn two_in_one_if(x: &[f64; 5]) -> f64 {
    let mut a = [0.5; 5];
    let mut b = [0.25; 5];
    let mut s = 0.0;
    for i in 1..5 {
        if x[i] > 0.0 {
            a[i] = a[i - 1] * x[i];
            b[i] = (b[i - 1] + x[i]).sin();
        }
        s += a[i] * b[i] * x[i - 1];
    }
    s
}

/// A write in an `if` that the reverse does not run again (what the branch reads it only
/// reads linearly), after a write whose value the reverse computes from the element at
/// `j + 1`: the reverse used to put the branch's old element back into its copy anyway, which
/// stepped the copy forwards, and the reverse of the next iteration back read `ua[j + 1]`
/// from the wrong version (found by vjp-fuzzgen, seed 106000, in a function of 60 lines).
#[differentiable]
fn branch_not_replayed(x: [f64; 3]) -> f64 {
    let mut ua = x;
    for j in 0..3 {
        ua[j] = (ua[(j + 1) % 3] * 0.7).sin();
        if x[1] < 0.0 {
            ua[j] = ua[2 - j] + 0.5 * (0.3 - ua[2 - j]);
        }
    }
    ua[0] + ua[1] + ua[2]
}

/// Writes inside an `if` at indices the branch computes (`let j = ..; h[j] = ..`): the old
/// element goes into the `Option` with those indices, `Some(((j,), old))`, since the reverse
/// puts it back before it runs the branch again. A leaky ReLU at a copied index, a write at a
/// computed neighbour that reads the element it replaces and others, two writes in one branch
/// at two computed indices, a write in an `else` branch, and a table written at a computed row
/// and column.
#[differentiable]
fn relu_at_computed_index(x: &[f64]) -> f64 {
    let mut h = x.to_vec();
    for i in 0..h.len() {
        if h[i] < 0.0 {
            let j = i;
            h[j] *= 0.1;
        }
    }
    let mut s = 0.0;
    for i in 0..h.len() {
        s += h[i] * h[(i + 1) % h.len()];
    }
    s
}

#[differentiable]
fn computed_neighbours(x: &[f64; 6]) -> f64 {
    let mut a = [0.4; 6];
    let mut s = 0.0;
    for i in 0..6 {
        a[i] = (a[i] + x[i]).sin();
        if x[(i + 1) % 6] > 0.0 {
            let j = (i * 3 + 1) % 6;
            let k = (j + 2) % 6;
            a[j] = 0.5 * a[j] * a[k] + x[i];
            a[k] -= 0.25 * a[j];
        } else {
            s += a[(i + 4) % 6] * x[i];
        }
        if x[i] < 0.35 {
            s -= a[i] * 0.5;
        } else {
            let j = (i + 5) % 6;
            a[j] *= x[i];
        }
        s += a[i] * a[(i + 3) % 6];
    }
    s + a.iter().sum::<f64>()
}

#[differentiable]
fn table_at_computed_cell(x: &[f64; 4]) -> f64 {
    let mut m = [[0.5; 3]; 3];
    let mut s = 0.0;
    for t in 0..4 {
        if x[t] > -0.5 {
            let r = (t * 2) % 3;
            let c = (t + 1) % 3;
            m[r][c] = m[r][c] * x[t] + m[c][r];
        }
        s += m[t % 3][(t + 2) % 3] * x[t];
    }
    s + m[0][0] + m[1][2] * m[2][1]
}

#[test]
fn writes_in_branches_at_indices_computed_there() {
    for xs in [
        [0.5, -0.8, 1.3, -0.2, 0.7, -1.1],
        [0.9, 0.4, 0.6, 1.2, 0.3, 0.8],
        [-0.9, -0.4, -0.6, -1.2, -0.3, -0.8],
    ] {
        let mut g = [0.0; 6];
        let (y, ()) = relu_at_computed_index_vjp(&xs, &mut g, 1.0);
        assert_eq!(y.to_bits(), relu_at_computed_index(&xs).to_bits());
        assert_near(&g, &fd_grad(relu_at_computed_index, &xs), 1e-6);
        let f = |p: &[f64]| computed_neighbours(p.try_into().unwrap());
        let mut g = [0.0; 6];
        let (y, ()) = computed_neighbours_vjp(&xs, &mut g, 1.0);
        assert_eq!(y.to_bits(), computed_neighbours(&xs).to_bits());
        assert_near(&g, &fd_grad(f, &xs), 1e-6);
        // The dot-product test against the forward mode, with a cotangent other than 1.
        let u = [0.3, -0.2, 0.5, 0.1, -0.4, 0.25];
        let (_, ju) = computed_neighbours_jvp(&xs, &u);
        let mut g = [0.0; 6];
        computed_neighbours_vjp(&xs, &mut g, -1.3);
        assert_dot(-1.3, ju, &g, &u);
    }
    for x in [[0.4, -0.7, 1.3, 0.25], [-0.9, 0.6, -0.3, 1.2]] {
        let f = |p: &[f64]| table_at_computed_cell(p.try_into().unwrap());
        let mut g = [0.0; 4];
        let (y, ()) = table_at_computed_cell_vjp(&x, &mut g, 1.0);
        assert_eq!(y.to_bits(), table_at_computed_cell(&x).to_bits());
        assert_near(&g, &fd_grad(f, &x), 1e-6);
    }
}

/// A loop that tests whether to leave after its writes (`if c { break; }`, `if c { continue; }`,
/// with reads after the test): both paths have pushed the iteration's old elements, and every
/// write-back stores the last version, so the writes are undone as in a loop without the test.
/// A write after the test keeps the whole aggregate on the tape (checked all the same).
#[differentiable]
fn break_after_writes(x: &[f64], #[no_grad] tol: f64) -> f64 {
    let mut a = [0.5; 4];
    let mut s = 0.0;
    for i in 0..x.len() {
        a[i % 4] = (a[(i + 1) % 4] * x[i]).sin() + 0.2 * a[i % 4];
        a[(i + 2) % 4] *= 0.9;
        if a[0] < tol {
            break;
        }
        s += a[i % 4] * x[i];
    }
    s + a[1] * a[2]
}

#[differentiable]
fn continue_after_writes(x: &[f64]) -> f64 {
    let mut h = x.to_vec();
    let mut s = 0.0;
    for i in 1..h.len() {
        h[i] = (h[i - 1] * 0.8).tanh() + 0.5 * h[i];
        if h[i] < 0.0 {
            continue;
        }
        s += h[i] * h[i - 1];
    }
    s + h[h.len() - 1]
}

/// The test's `else` leaves: `if ok { reads } else { break; }`.
#[differentiable]
fn break_in_else(x: &[f64], #[no_grad] tol: f64) -> f64 {
    let mut a = [0.5; 4];
    let mut s = 0.0;
    for i in 0..x.len() {
        a[i % 4] = (a[(i + 1) % 4] * x[i]).sin() + 0.2 * a[i % 4];
        a[(i + 2) % 4] *= 0.9;
        if a[0] >= tol {
            s += a[i % 4] * x[i];
        } else {
            break;
        }
    }
    s + a[1] * a[2]
}

/// Writes in both branches of an `if` (one at an index the branch computes), reads in and
/// after them.
#[differentiable]
fn both_branches(x: &[f64; 6]) -> f64 {
    let mut a = [0.3; 6];
    let mut s = 0.0;
    for i in 0..6 {
        if x[i] > 0.0 {
            a[i] = a[(i + 1) % 6] * x[i] + 0.5;
            s += a[i];
        } else {
            let j = (i + 2) % 6;
            a[j] = (a[j] + x[i]).sin();
            a[i] *= 0.5;
        }
        s += a[i] * a[(i + 3) % 6];
    }
    s + a.iter().sum::<f64>()
}

/// A differentiable function called in the writing branch: the reverse runs the `if` again
/// (and calls it again, as it does everywhere), so the writes are undone.
#[differentiable]
fn squash(v: f64, w: f64) -> f64 {
    (v * w).tanh() + 0.1 * v
}

#[differentiable]
fn call_in_branch(x: &[f64]) -> f64 {
    let mut h = x.to_vec();
    let mut s = 0.0;
    for i in 1..h.len() {
        if h[i] > -0.45 {
            h[i] = squash(h[i - 1], h[i]);
        }
        s += h[i] * x[i - 1];
    }
    s + h[h.len() - 1]
}

/// A loop that starts with a test skipping the iteration (`if masked { continue; }`), with
/// another slot written before the test: a skipped iteration pushes nothing, and its reverse
/// pops nothing.
#[differentiable]
fn masked(x: &[f64], #[no_grad] mask: &[bool]) -> f64 {
    let mut h = x.to_vec();
    let mut s = 0.0;
    for i in 1..h.len() {
        s += x[i] * 0.25;
        if mask[i] {
            continue;
        }
        h[i] = (h[i - 1] * 0.5).sin() + 0.5 * h[i];
    }
    s + h.iter().map(|v| v * v).sum::<f64>()
}

#[differentiable]
fn write_after_break(x: &[f64], #[no_grad] tol: f64) -> f64 {
    let mut a = [0.5; 4];
    for i in 0..x.len() {
        a[i % 4] = (a[(i + 1) % 4] * x[i]).sin();
        if a[i % 4] > tol {
            break;
        }
        a[(i + 3) % 4] += 0.5 * a[i % 4];
    }
    a[0] + a[1] * a[3]
}

#[test]
fn writes_before_a_test_that_leaves() {
    let xs = [0.9, -0.7, 1.3, 0.4, -1.1, 0.8, 0.6, -0.5];
    // The test met at the first step, at the fifth, at the seventh, or never.
    for tol in [5.0, 0.4, 0.29, 0.1] {
        let f = |p: &[f64]| break_after_writes(p, tol);
        let mut g = [0.0; 8];
        let (y, ()) = break_after_writes_vjp(&xs, &mut g, tol, 1.0);
        assert_eq!(y.to_bits(), f(&xs).to_bits());
        assert_near(&g, &fd_grad(f, &xs), 1e-6);
        let u = [0.3, -0.2, 0.5, 0.1, -0.4, 0.25, 0.7, -0.6];
        let (_, ju) = break_after_writes_jvp(&xs, &u, tol);
        let mut g = [0.0; 8];
        break_after_writes_vjp(&xs, &mut g, tol, -1.3);
        assert_dot(-1.3, ju, &g, &u);
        let f = |p: &[f64]| break_in_else(p, tol);
        let mut g = [0.0; 8];
        let (y, ()) = break_in_else_vjp(&xs, &mut g, tol, 1.0);
        assert_eq!(y.to_bits(), f(&xs).to_bits());
        assert_near(&g, &fd_grad(f, &xs), 1e-6);
    }
    // Left at the third step, or never.
    for tol in [0.6, 5.0] {
        let f = |p: &[f64]| write_after_break(p, tol);
        let mut g = [0.0; 8];
        let (y, ()) = write_after_break_vjp(&xs, &mut g, tol, 1.0);
        assert_eq!(y.to_bits(), f(&xs).to_bits());
        assert_near(&g, &fd_grad(f, &xs), 1e-6);
    }
    for x in [
        [0.5, -0.8, 1.3, -0.2, 0.7, -1.1],
        [0.9, 0.4, 0.6, 1.2, 0.3, 0.8],
        [-0.9, -0.4, -0.6, -1.2, -0.3, -0.8],
    ] {
        let f = |p: &[f64]| both_branches(p.try_into().unwrap());
        let mut g = [0.0; 6];
        let (y, ()) = both_branches_vjp(&x, &mut g, 1.0);
        assert_eq!(y.to_bits(), both_branches(&x).to_bits());
        assert_near(&g, &fd_grad(f, &x), 1e-6);
        let u = [0.3, -0.2, 0.5, 0.1, -0.4, 0.25];
        let (_, ju) = both_branches_jvp(&x, &u);
        let mut g = [0.0; 6];
        both_branches_vjp(&x, &mut g, 0.7);
        assert_dot(0.7, ju, &g, &u);
    }
    for mask in [
        [false; 8],
        [true; 8],
        [false, true, false, false, true, true, false, true],
    ] {
        let f = |p: &[f64]| masked(p, &mask);
        let mut g = [0.0; 8];
        let (y, ()) = masked_vjp(&xs, &mut g, &mask, 1.0);
        assert_eq!(y.to_bits(), f(&xs).to_bits());
        assert_near(&g, &fd_grad(f, &xs), 1e-6);
        let u = [0.3, -0.2, 0.5, 0.1, -0.4, 0.25, 0.7, -0.6];
        let (_, ju) = masked_jvp(&xs, &u, &mask);
        let mut g = [0.0; 8];
        masked_vjp(&xs, &mut g, &mask, -1.3);
        assert_dot(-1.3, ju, &g, &u);
    }
    let mut g = [0.0; 8];
    let (y, ()) = call_in_branch_vjp(&xs, &mut g, 1.0);
    assert_eq!(y.to_bits(), call_in_branch(&xs).to_bits());
    assert_near(&g, &fd_grad(call_in_branch, &xs), 1e-6);
    let mut g = [0.0; 8];
    let (y, ()) = continue_after_writes_vjp(&xs, &mut g, 1.0);
    assert_eq!(y.to_bits(), continue_after_writes(&xs).to_bits());
    assert_near(&g, &fd_grad(continue_after_writes, &xs), 1e-6);
}

#[test]
fn writes_in_branches() {
    // The branch taken at every iteration, and never.
    for x in [[-0.62, -1.93, -0.92], [0.4, 0.8, -1.3]] {
        let f = |p: &[f64]| branch_not_replayed(p.try_into().unwrap());
        let (y, (g,)) = branch_not_replayed_vjp(x, 1.0);
        assert_eq!(y.to_bits(), branch_not_replayed(x).to_bits());
        assert_near(&g, &fd_grad(f, &x), 1e-6);
    }
    for x in [[0.4, -0.7, 1.3, 0.25, -1.1], [0.9, 0.6, -0.3, 1.2, 0.8]] {
        let f = |p: &[f64]| two_in_one_if(p.try_into().unwrap());
        let mut g = [0.0; 5];
        let (y, ()) = two_in_one_if_vjp(&x, &mut g, 1.0);
        assert_eq!(y.to_bits(), two_in_one_if(&x).to_bits());
        assert_near(&g, &fd_grad(f, &x), 1e-6);
    }
    let xs = [0.5, -0.8, 1.3, -0.2, 0.7, -1.1];
    let mut g = [0.0; 6];
    let (y, ()) = relu_in_place_vjp(&xs, &mut g, 1.0);
    assert_eq!(y.to_bits(), relu_in_place(&xs).to_bits());
    assert_near(&g, &fd_grad(relu_in_place, &xs), 1e-6);
    for x in [xs, [0.9, 0.4, -0.6, 1.2, -0.3, 0.8]] {
        let f = |p: &[f64]| branch_writes(p.try_into().unwrap());
        let mut g = [0.0; 6];
        let (y, ()) = branch_writes_vjp(&x, &mut g, 1.0);
        assert_eq!(y.to_bits(), branch_writes(&x).to_bits());
        assert_near(&g, &fd_grad(f, &x), 1e-6);
        let u = [0.3, -0.2, 0.5, 0.1, -0.4, 0.25];
        let (_, ju) = branch_writes_jvp(&x, &u);
        let mut g = [0.0; 6];
        branch_writes_vjp(&x, &mut g, -1.3);
        assert_dot(-1.3, ju, &g, &u);
    }
    for (x, y) in [(0.7, -0.4), (-0.6, 1.1)] {
        let (out, (gx, gy)) = two_versions_from_one_if_vjp(x, y, 1.0);
        assert_eq!(out, two_versions_from_one_if(x, y));
        let want = fd_grad(|p| two_versions_from_one_if(p[0], p[1]), &[x, y]);
        assert_near(&[gx, gy], &want, 1e-6);
    }
}
