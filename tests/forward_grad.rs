//! `NAME_grad` by forward lanes: a scalar function of one or two by-value float parameters
//! with a loop that `NAME_vjp` would have to tape gets a `NAME_grad` that carries one tangent
//! lane per active parameter through a single forward pass. Each function here is checked
//! against a closed form or a hand-written forward tangent, against `NAME_vjp(.., 1).1` (equal
//! up to rounding), and, bitwise, against `NAME_jvp` for each unit tangent (the lanes run the
//! same arithmetic). Counting callees show which path `NAME_grad` takes; functions outside the
//! rule keep `NAME_grad == NAME_vjp(.., 1).1` exactly.
#![deny(warnings)]

use approx::assert_relative_eq;
use std::cell::Cell;
use vjp::{differentiable, Real};

/// Asserts `|a - b| <= rel * max(|a|, |b|)` for each component, with a message.
#[track_caller]
fn assert_rel(a: &[f64], b: &[f64], rel: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            x.is_finite() && y.is_finite(),
            "{what}, component {i}: {x:e} vs {y:e}"
        );
        assert!(
            (x - y).abs() <= rel * x.abs().max(y.abs()),
            "{what}, component {i}: {x:e} vs {y:e} (relative {rel:e})"
        );
    }
}

/// Central difference of `f` at `x`.
fn fd(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

// -------------------------------------------------------------------------------------------
// The logistic map: two lanes, one slot
// -------------------------------------------------------------------------------------------

#[differentiable]
fn logistic(r: f64, x0: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = r * x * (1.0 - x);
    }
    x
}

/// The forward tangents by hand: d(r x (1 - x)) = x (1 - x) dr + r (1 - 2x) dx.
fn logistic_hand(r: f64, x0: f64, n: usize) -> (f64, f64) {
    let (mut x, mut dr, mut dx0) = (x0, 0.0, 1.0);
    for _ in 0..n {
        let slope = r * (1.0 - 2.0 * x);
        dr = x * (1.0 - x) + slope * dr;
        dx0 *= slope;
        x = r * x * (1.0 - x);
    }
    (dr, dx0)
}

#[test]
fn logistic_thousand_steps_matches_hand_tangents_and_vjp() {
    let (r, x0, n) = (3.2, 0.3, 1000);
    let (dr, dx0) = logistic_grad(r, x0, n);
    let (hr, hx0) = logistic_hand(r, x0, n);
    let (_, (vr, vx0)) = logistic_vjp(r, x0, n, 1.0);
    assert_relative_eq!(dr, hr, max_relative = 1e-12);
    assert_relative_eq!(dx0, hx0, max_relative = 1e-12);
    assert_relative_eq!(dr, vr, max_relative = 1e-12);
    assert_relative_eq!(dx0, vx0, max_relative = 1e-12);
    // The sensitivity to r is of order one; the one to x0 shrinks by the 2-cycle's multiplier
    // |4 + 2r - r^2| = 0.16 every two steps, below the smallest double after 1000 steps.
    assert!(dr.abs() > 0.1, "{dr}");
    assert!(dx0.abs() < 1e-300, "{dx0:e}");
    // The lanes are the jvp's unit tangents, bitwise.
    assert_eq!(dr, logistic_jvp(r, 1.0, x0, 0.0, n).1);
    assert_eq!(dx0, logistic_jvp(r, 0.0, x0, 1.0, n).1);
    // After 300 steps the sensitivity to x0 is tiny but a normal number: compare it too.
    let (dr, dx0) = logistic_grad(r, x0, 300);
    let (hr, hx0) = logistic_hand(r, x0, 300);
    let (_, (vr, vx0)) = logistic_vjp(r, x0, 300, 1.0);
    assert!(dx0.abs() > 1e-200 && dx0.abs() < 1e-50, "{dx0:e}");
    assert_rel(&[dr, dx0], &[hr, hx0], 1e-12, "300 steps vs hand");
    assert_rel(&[dr, dx0], &[vr, vx0], 1e-12, "300 steps vs vjp");
}

#[test]
fn logistic_closed_forms() {
    let (r, x0) = (3.2, 0.3);
    // n = 0: x0 itself.
    assert_eq!(logistic_grad(r, x0, 0), (0.0, 1.0));
    // n = 1: r x0 (1 - x0).
    let (dr, dx0) = logistic_grad(r, x0, 1);
    assert_relative_eq!(dr, x0 * (1.0 - x0), max_relative = 1e-15);
    assert_relative_eq!(dx0, r * (1.0 - 2.0 * x0), max_relative = 1e-15);
    // n = 2: x2 = r x1 (1 - x1) with x1 = r x0 (1 - x0).
    let x1 = r * x0 * (1.0 - x0);
    let (dr, dx0) = logistic_grad(r, x0, 2);
    let expected_dr = x1 * (1.0 - x1) + r * (1.0 - 2.0 * x1) * x0 * (1.0 - x0);
    let expected_dx0 = r * (1.0 - 2.0 * x1) * r * (1.0 - 2.0 * x0);
    assert_relative_eq!(dr, expected_dr, max_relative = 1e-14);
    assert_relative_eq!(dx0, expected_dx0, max_relative = 1e-14);
}

#[test]
fn logistic_fixed_point_sensitivity() {
    // r = 2.8 converges to x* = 1 - 1/r, whose derivative in r is 1 / r^2; x0 is forgotten.
    let (dr, dx0) = logistic_grad(2.8, 0.3, 2000);
    assert_relative_eq!(dr, 1.0 / (2.8 * 2.8), max_relative = 1e-12);
    assert!(dx0.abs() < 1e-100, "{dx0:e}");
}

// -------------------------------------------------------------------------------------------
// One lane: a `while` loop with a `break` (Newton's square root)
// -------------------------------------------------------------------------------------------

#[differentiable]
fn newton_sqrt(a: f64) -> f64 {
    let mut x = a.max(1.0);
    let mut k = 0;
    while k < 60 {
        let next = 0.5 * (x + a / x);
        if (next - x).abs() <= 1e-15 * x {
            break;
        }
        x = next;
        k += 1;
    }
    x
}

#[test]
fn one_lane_while_loop_matches_closed_form() {
    for a in [0.3, 2.0, 17.5, 1e4] {
        let (da,) = newton_sqrt_grad(a);
        // d sqrt(a) / da = 1 / (2 sqrt(a)), to the accuracy of the converged iteration.
        assert_relative_eq!(da, 0.5 / a.sqrt(), max_relative = 1e-9);
        let (_, (va,)) = newton_sqrt_vjp(a, 1.0);
        assert_relative_eq!(da, va, max_relative = 1e-12);
        assert_eq!(da, newton_sqrt_jvp(a, 1.0).1);
    }
}

#[differentiable]
fn tower(x: f64, n: usize) -> f64 {
    let mut y = x;
    for _ in 0..n {
        y = (y * x).sin() + x;
    }
    y
}

/// d((y x).sin() + x) = cos(y x) (x dy + y dx) + dx.
fn tower_hand(x: f64, n: usize) -> f64 {
    let (mut y, mut dy) = (x, 1.0);
    for _ in 0..n {
        let c = (y * x).cos();
        dy = c * (x * dy + y) + 1.0;
        y = (y * x).sin() + x;
    }
    dy
}

#[test]
fn one_lane_for_loop_matches_hand_tangent() {
    for (x, n) in [(0.4, 1), (0.4, 25), (-1.3, 40), (0.9, 0)] {
        let (dx,) = tower_grad(x, n);
        assert_relative_eq!(dx, tower_hand(x, n), max_relative = 1e-12);
        assert_relative_eq!(dx, tower_vjp(x, n, 1.0).1 .0, max_relative = 1e-12);
        assert_eq!(dx, tower_jvp(x, 1.0, n).1);
        assert_relative_eq!(dx, fd(|x| tower(x, n), x), max_relative = 1e-6);
    }
}

// -------------------------------------------------------------------------------------------
// Two lanes through an `if` in the loop
// -------------------------------------------------------------------------------------------

#[differentiable]
fn bounce(x: f64, y: f64, n: usize) -> f64 {
    let mut s = x;
    for _ in 0..n {
        if s > y {
            s = s * 0.5 + y.sin();
        } else {
            s = s * s + x;
        }
    }
    s
}

/// The same branches with their tangents (ds/dx, ds/dy) by hand.
fn bounce_hand(x: f64, y: f64, n: usize) -> (f64, f64, usize) {
    let (mut s, mut dx, mut dy) = (x, 1.0, 0.0);
    let mut taken = 0;
    for _ in 0..n {
        if s > y {
            dx *= 0.5;
            dy = 0.5 * dy + y.cos();
            s = s * 0.5 + y.sin();
            taken += 1;
        } else {
            dx = 2.0 * s * dx + 1.0;
            dy *= 2.0 * s;
            s = s * s + x;
        }
    }
    (dx, dy, taken)
}

#[test]
fn two_lanes_through_a_branch() {
    let mut mixed_paths = 0;
    for (x, y, n) in [(0.3, 0.6, 12), (0.9, 0.2, 12), (0.45, 0.5, 30)] {
        let (dx, dy) = bounce_grad(x, y, n);
        let (hx, hy, taken) = bounce_hand(x, y, n);
        if 0 < taken && taken < n {
            mixed_paths += 1;
        }
        assert_rel(&[dx, dy], &[hx, hy], 1e-12, "bounce vs hand");
        let (_, (vx, vy)) = bounce_vjp(x, y, n, 1.0);
        assert_rel(&[dx, dy], &[vx, vy], 1e-12, "bounce vs vjp");
        assert_eq!(dx, bounce_jvp(x, 1.0, y, 0.0, n).1);
        assert_eq!(dy, bounce_jvp(x, 0.0, y, 1.0, n).1);
    }
    // Both branches run within one call, at some of the points.
    assert!(mixed_paths > 0);
}

// -------------------------------------------------------------------------------------------
// A loop that calls differentiable functions: each lane calls the callee's `_jvp`
// -------------------------------------------------------------------------------------------

#[differentiable]
fn step(a: f64, s: f64) -> f64 {
    a * s.cos() + 0.5 * s
}

#[differentiable]
fn iterate(a: f64, s0: f64, n: usize) -> f64 {
    let mut s = s0;
    for _ in 0..n {
        s = step(a, s);
    }
    s
}

fn iterate_hand(a: f64, s0: f64, n: usize) -> (f64, f64) {
    let (mut s, mut da, mut ds0) = (s0, 0.0, 1.0);
    for _ in 0..n {
        let slope = -a * s.sin() + 0.5;
        da = s.cos() + slope * da;
        ds0 *= slope;
        s = a * s.cos() + 0.5 * s;
    }
    (da, ds0)
}

#[test]
fn loop_calling_a_differentiable_function() {
    for (a, s0, n) in [(0.7, 0.2, 1), (0.7, 0.2, 50), (-0.4, 1.1, 200)] {
        let (da, ds0) = iterate_grad(a, s0, n);
        let (ha, hs0) = iterate_hand(a, s0, n);
        assert_rel(&[da, ds0], &[ha, hs0], 1e-12, "iterate vs hand");
        let (_, (va, vs0)) = iterate_vjp(a, s0, n, 1.0);
        assert_rel(&[da, ds0], &[va, vs0], 1e-12, "iterate vs vjp");
        assert_eq!(da, iterate_jvp(a, 1.0, s0, 0.0, n).1);
        assert_eq!(ds0, iterate_jvp(a, 0.0, s0, 1.0, n).1);
    }
}

thread_local! {
    static JVP_CALLS: Cell<usize> = const { Cell::new(0) };
    static VJP_CALLS: Cell<usize> = const { Cell::new(0) };
}

/// A plain function with hand-written rules that count their calls (per test thread).
fn damp(s: f64) -> f64 {
    s.tanh()
}

fn damp_vjp(s: f64, v: f64) -> (f64, (f64,)) {
    VJP_CALLS.with(|c| c.set(c.get() + 1));
    let t = s.tanh();
    (t, (v * (1.0 - t * t),))
}

fn damp_jvp(s: f64, ds: f64) -> (f64, f64) {
    JVP_CALLS.with(|c| c.set(c.get() + 1));
    let t = s.tanh();
    (t, (1.0 - t * t) * ds)
}

fn counts() -> (usize, usize) {
    let counts = (JVP_CALLS.with(Cell::get), VJP_CALLS.with(Cell::get));
    JVP_CALLS.with(|c| c.set(0));
    VJP_CALLS.with(|c| c.set(0));
    counts
}

#[differentiable]
fn damped(x: f64, y: f64, n: usize) -> f64 {
    let mut s = x;
    for _ in 0..n {
        s = damp(s * y) + 0.25 * x;
    }
    s
}

#[differentiable]
fn damped3(x: f64, y: f64, z: f64, n: usize) -> f64 {
    let mut s = x;
    for _ in 0..n {
        s = damp(s * y) + 0.25 * z;
    }
    s
}

#[test]
fn which_path_grad_takes() {
    counts();
    let (dx, dy) = damped_grad(0.8, 1.3, 7);
    // Two lanes, seven iterations: seven jvp calls per lane, no reverse sweep.
    assert_eq!(counts(), (14, 0));
    let (_, (vx, vy)) = damped_vjp(0.8, 1.3, 7, 1.0);
    assert_eq!(counts(), (0, 7));
    assert_rel(&[dx, dy], &[vx, vy], 1e-12, "damped vs vjp");
    assert_relative_eq!(dx, fd(|x| damped(x, 1.3, 7), 0.8), max_relative = 1e-6);
    assert_relative_eq!(dy, fd(|y| damped(0.8, y, 7), 1.3), max_relative = 1e-6);
    // Three inputs: still the reverse sweep, and exactly `NAME_vjp(.., 1).1`.
    let g = damped3_grad(0.8, 1.3, -0.6, 7);
    assert_eq!(counts(), (0, 7));
    assert_eq!(g, damped3_vjp(0.8, 1.3, -0.6, 7, 1.0).1);
}

// -------------------------------------------------------------------------------------------
// `f32` and generic `T: Real`
// -------------------------------------------------------------------------------------------

#[differentiable]
fn logistic32(r: f32, x0: f32, n: usize) -> f32 {
    let mut x = x0;
    for _ in 0..n {
        x = r * x * (1.0 - x);
    }
    x
}

#[differentiable]
fn logistic_g<T: Real>(r: T, x0: T, n: usize) -> T {
    let mut x = x0;
    for _ in 0..n {
        x = r * x * (T::one() - x);
    }
    x
}

#[test]
fn f32_lanes() {
    let (r, x0, n) = (2.8f32, 0.3f32, 40);
    let (dr, dx0) = logistic32_grad(r, x0, n);
    let (hr, hx0) = logistic_hand(f64::from(r), f64::from(x0), n);
    assert_rel(
        &[f64::from(dr), f64::from(dx0)],
        &[hr, hx0],
        1e-4,
        "f32 vs f64 hand",
    );
    let (_, (vr, vx0)) = logistic32_vjp(r, x0, n, 1.0);
    assert_rel(
        &[f64::from(dr), f64::from(dx0)],
        &[f64::from(vr), f64::from(vx0)],
        1e-5,
        "f32 vs vjp",
    );
    assert_eq!(dr, logistic32_jvp(r, 1.0, x0, 0.0, n).1);
    assert_eq!(dx0, logistic32_jvp(r, 0.0, x0, 1.0, n).1);
}

#[test]
fn generic_lanes() {
    let (r, x0, n) = (3.2, 0.3, 1000);
    // The same arithmetic as the `f64` and `f32` functions, bitwise.
    assert_eq!(logistic_g_grad::<f64>(r, x0, n), logistic_grad(r, x0, n));
    assert_eq!(
        logistic_g_grad::<f32>(2.8, 0.3, 40),
        logistic32_grad(2.8, 0.3, 40)
    );
    let (dr, dx0) = logistic_g_grad::<f64>(r, x0, n);
    let (hr, hx0) = logistic_hand(r, x0, n);
    assert_rel(&[dr, dx0], &[hr, hx0], 1e-12, "generic vs hand");
    let (_, (vr, vx0)) = logistic_g_vjp::<f64>(r, x0, n, 1.0);
    assert_rel(&[dr, dx0], &[vr, vx0], 1e-12, "generic vs vjp");
}

// -------------------------------------------------------------------------------------------
// Integer and `#[no_grad]` parameters among the active ones
// -------------------------------------------------------------------------------------------

#[differentiable]
fn mixed(#[no_grad] c: f64, x: f64, k: i32, y: f64, n: usize) -> f64 {
    let mut s = x;
    for i in 0..n {
        let w = c * (i as f64 + 1.0);
        s = (s * y).sin().powi(k) + w * s / (1.0 + s * s) + 0.1 * x;
    }
    s
}

#[test]
fn integer_and_no_grad_parameters() {
    let (c, x, k, y, n) = (0.3, 0.7, 3, 1.1, 20);
    let (dx, dy) = mixed_grad(c, x, k, y, n);
    let (_, (vx, vy)) = mixed_vjp(c, x, k, y, n, 1.0);
    assert_rel(&[dx, dy], &[vx, vy], 1e-12, "mixed vs vjp");
    assert_eq!(dx, mixed_jvp(c, x, 1.0, k, y, 0.0, n).1);
    assert_eq!(dy, mixed_jvp(c, x, 0.0, k, y, 1.0, n).1);
    assert_relative_eq!(dx, fd(|x| mixed(c, x, k, y, n), x), max_relative = 1e-6);
    assert_relative_eq!(dy, fd(|y| mixed(c, x, k, y, n), y), max_relative = 1e-6);
    assert!(dx.abs() > 1e-3 && dy.abs() > 1e-3, "{dx} {dy}");
}

// -------------------------------------------------------------------------------------------
// Outside the rule: `NAME_grad` stays `NAME_vjp(.., 1).1`, exactly
// -------------------------------------------------------------------------------------------

/// Three scalar inputs.
#[differentiable]
fn logistic3(r: f64, x0: f64, shift: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = r * x * (1.0 - x) + shift * x * x;
    }
    x
}

/// An array input.
#[differentiable]
fn logistic_arr(p: [f64; 2], n: usize) -> f64 {
    let mut x = p[1];
    for _ in 0..n {
        x = p[0] * x * (1.0 - x);
    }
    x
}

/// A loop whose reverse reads nothing per iteration (no tape).
#[differentiable]
fn accumulate(c: f64, x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        s += c * x * (i as f64);
    }
    s
}

/// An `f32` input of an `f64` function: its gradient is an `f32`, not the output's type.
#[differentiable]
fn widened(x: f32, n: usize) -> f64 {
    let mut s = x as f64;
    for _ in 0..n {
        s = (s * 1.5).sin();
    }
    s
}

#[test]
fn outside_the_rule_grad_is_vjp_exactly() {
    let g = logistic3_grad(3.2, 0.3, 0.05, 100);
    assert_eq!(g, logistic3_vjp(3.2, 0.3, 0.05, 100, 1.0).1);
    assert_relative_eq!(
        g.2,
        fd(|s| logistic3(3.2, 0.3, s, 100), 0.05),
        max_relative = 1e-5
    );
    let g = logistic_arr_grad([3.2, 0.3], 1000);
    assert_eq!(g, logistic_arr_vjp([3.2, 0.3], 1000, 1.0).1);
    let (hr, hx0) = logistic_hand(3.2, 0.3, 1000);
    assert_rel(&g.0, &[hr, hx0], 1e-12, "array vs hand");
    assert_eq!(
        accumulate_grad(2.0, 3.0, 5),
        accumulate_vjp(2.0, 3.0, 5, 1.0).1
    );
    assert_eq!(accumulate_grad(2.0, 3.0, 5), (30.0, 20.0));
    let g = widened_grad(0.4, 6);
    assert_eq!(g, widened_vjp(0.4, 6, 1.0).1);
    assert!(g.0 != 0.0);
}

// -------------------------------------------------------------------------------------------
// `crate = path`
// -------------------------------------------------------------------------------------------

mod reexport {
    pub use ::vjp;
}

#[differentiable(crate = reexport::vjp)]
fn logistic_renamed(r: f64, x0: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = r * x * (1.0 - x);
    }
    x
}

#[test]
fn crate_path_in_lanes() {
    assert_eq!(
        logistic_renamed_grad(3.2, 0.3, 1000),
        logistic_grad(3.2, 0.3, 1000)
    );
}

// -------------------------------------------------------------------------------------------
// Preaccumulated loop bodies: the local Jacobian first, then each lane's tangent from it
// -------------------------------------------------------------------------------------------

/// Checks a two-input `grad` at `(a, b)`: against central differences of `f`, against
/// `vjp(.., 1).1` (equal up to rounding), and bitwise against `jvp` for each unit tangent.
#[track_caller]
fn check_two(
    f: impl Fn(f64, f64) -> f64,
    grad: impl Fn(f64, f64) -> (f64, f64),
    vjp: impl Fn(f64, f64) -> (f64, f64),
    jvp: impl Fn(f64, f64, f64, f64) -> f64,
    (a, b): (f64, f64),
) {
    let g = grad(a, b);
    let expected = [fd(|a| f(a, b), a), fd(|b| f(a, b), b)];
    assert_rel(&[g.0, g.1], &expected, 1e-6, "grad vs finite differences");
    let v = vjp(a, b);
    assert_rel(&[g.0, g.1], &[v.0, v.1], 1e-10, "grad vs vjp");
    assert_eq!(
        g.0.to_bits(),
        jvp(a, 1.0, b, 0.0).to_bits(),
        "lane 0 vs jvp"
    );
    assert_eq!(
        g.1.to_bits(),
        jvp(a, 0.0, b, 1.0).to_bits(),
        "lane 1 vs jvp"
    );
}

/// [`check_two`] for `f(a, b, n)` and its generated functions.
macro_rules! check_two {
    ($f:ident, $grad:ident, $vjp:ident, $jvp:ident, $n:expr, $at:expr) => {
        check_two(
            |a, b| $f(a, b, $n),
            |a, b| $grad(a, b, $n),
            |a, b| $vjp(a, b, $n, 1.0).1,
            |a, da, b, db| $jvp(a, da, b, db, $n).1,
            $at,
        )
    };
}

/// A pendulum stepped by semi-implicit Euler: two carried slots and an invariant input (`k`)
/// whose partials are computed per step.
#[differentiable]
fn pendulum(k: f64, theta0: f64, n: usize) -> f64 {
    let mut theta = theta0;
    let mut omega = 0.0;
    for _ in 0..n {
        let accel = -k * theta.sin();
        omega += 0.01 * accel;
        theta += 0.01 * omega;
    }
    theta * omega
}

/// A rational map (the division's rule), and a slot overwritten by an input each step.
#[differentiable]
fn rational(a: f64, x0: f64, n: usize) -> f64 {
    let mut x = x0;
    let mut y = x0;
    for i in 0..n {
        let w = (i % 3) as f64 * 0.1;
        let t = x * y + w;
        y = a;
        x = (t * x + a) / (x * x + 1.0);
    }
    x + y
}

/// Generic over the float type, with a rule of one operand (`exp`).
#[differentiable]
fn decay<T: Real>(r: T, x0: T, n: usize) -> T {
    let mut x = x0;
    for _ in 0..n {
        x = x * (r * x).exp() * T::from_f64(0.5);
    }
    x
}

#[test]
fn preaccumulated_loops_match_differences_vjp_and_jvp() {
    check_two!(
        pendulum,
        pendulum_grad,
        pendulum_vjp,
        pendulum_jvp,
        300,
        (2.5, 0.8)
    );
    check_two!(
        rational,
        rational_grad,
        rational_vjp,
        rational_jvp,
        50,
        (0.7, 0.4)
    );
    check_two!(decay, decay_grad, decay_vjp, decay_jvp, 40, (0.3, 0.9));
    // The same loop in f32 agrees with f64 to single precision.
    let g32 = decay_grad(0.3f32, 0.9f32, 40);
    let g64 = decay_grad(0.3, 0.9, 40);
    assert_rel(
        &[f64::from(g32.0), f64::from(g32.1)],
        &[g64.0, g64.1],
        1e-4,
        "f32 vs f64",
    );
    // Zero iterations: the tangents are the seeds.
    assert_eq!(pendulum_grad(2.5, 0.8, 0), (0.0, 0.0));
    assert_eq!(rational_grad(0.7, 0.4, 0), (0.0, 2.0));
}
