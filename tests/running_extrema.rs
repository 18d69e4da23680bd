//! Running maxima and minima (`m = m.max(z[i])` in a loop, `m` read nowhere else in it): the
//! reverse sweep rebuilds `m` at each step from a `RunningExtremum` record instead of popping
//! it from a tape (`plan::Extremum`). Each function has a twin whose loop writes the same
//! value through an `if` that is always taken, which the macro does not recognise, so that
//! it saves `m` on a tape as before: the two gradients must agree bit for bit (any NaN
//! matching any NaN), for ties, NaNs, signed zeros and infinite cotangents too. Ordinary
//! inputs are also checked against central differences.
#![deny(warnings)]
#![allow(clippy::needless_range_loop)]

mod common;

#[path = "common/counting.rs"]
mod counting;

use common::check_slice;
use counting::allocations;
use vjp::differentiable;

/// A running maximum, then a use of it and of the inputs.
#[differentiable]
fn top(z: &[f64]) -> f64 {
    let mut m = z[0];
    for i in 1..z.len() {
        m = m.max(z[i]);
    }
    m * z[z.len() - 1] + m
}

#[differentiable]
fn top_taped(z: &[f64], #[no_grad] always: bool) -> f64 {
    let mut m = z[0];
    for i in 1..z.len() {
        m = if always { m.max(z[i]) } else { m };
    }
    m * z[z.len() - 1] + m
}

/// The operand first, `min`, and the element computed.
#[differentiable]
fn bottom(z: &[f64]) -> f64 {
    let mut m = 2.0 * z[1];
    for i in 0..z.len() {
        m = (z[i] * 0.5).min(m);
    }
    m * m
}

#[differentiable]
fn bottom_taped(z: &[f64], #[no_grad] always: bool) -> f64 {
    let mut m = 2.0 * z[1];
    for i in 0..z.len() {
        m = if always { (z[i] * 0.5).min(m) } else { m };
    }
    m * m
}

/// A log-sum-exp, through `fold` (lowered to the same loop).
#[differentiable]
fn logsumexp(z: &[f64]) -> f64 {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for i in 0..z.len() {
        s += (z[i] - m).exp();
    }
    s.ln() + m
}

#[differentiable]
fn logsumexp_taped(z: &[f64], #[no_grad] always: bool) -> f64 {
    let mut m = f64::NEG_INFINITY;
    for i in 0..z.len() {
        m = if always { m.max(z[i]) } else { m };
    }
    let mut s = 0.0;
    for i in 0..z.len() {
        s += (z[i] - m).exp();
    }
    s.ln() + m
}

/// Generic over the float type.
#[differentiable]
fn top_generic<T: vjp::Real>(z: &[T]) -> T {
    let mut m = z[0];
    for i in 1..z.len() {
        m = m.max(z[i]);
    }
    m * z[0]
}

type Vjp = fn(&[f64], &mut [f64], f64) -> f64;

/// The gradients of the two twins at `z` for the cotangent `v`, bit for bit but for NaNs.
fn same_bits(name: &str, fast: Vjp, taped: Vjp, z: &[f64], v: f64) {
    let (mut a, mut b) = (vec![0.0; z.len()], vec![0.0; z.len()]);
    let ya = fast(z, &mut a, v);
    let yb = taped(z, &mut b, v);
    assert_eq!(ya.to_bits(), yb.to_bits(), "{name}: primal at {z:?}");
    // Rust leaves the sign and payload of a NaN that arithmetic makes unspecified: any NaN
    // matches any NaN. Zeros must agree in sign.
    let bits = |g: &[f64]| {
        g.iter()
            .map(|x| if x.is_nan() { f64::NAN } else { *x }.to_bits())
            .collect::<Vec<u64>>()
    };
    assert_eq!(
        bits(&a),
        bits(&b),
        "{name} at {z:?}, v = {v}: {a:?} against {b:?}"
    );
}

fn inputs() -> Vec<Vec<f64>> {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    let mut out = vec![
        vec![0.3, -1.2, 2.5, 0.7, 2.5, -0.1],
        vec![1.0, 1.0, 1.0, 1.0],
        vec![2.0, 1.0, 2.0, 3.0, 3.0, 0.5, 3.0],
        vec![nan, 1.0, 2.0, 0.5],
        vec![nan, nan, 1.5, nan, 0.2],
        vec![1.0, nan, 3.0, nan, 2.0],
        vec![nan, nan, nan],
        vec![0.0, -0.0, 0.0, -0.0],
        vec![-0.0, 0.0, -1.0],
        vec![-inf, 1.0, inf, 2.0, inf],
        vec![5.0, 4.0, 3.0, 2.0],
        vec![-3.0, -2.0, -1.0, 0.0],
    ];
    // A longer one, past a `SmallTape`'s room, with repeated values.
    out.push(
        (0..50)
            .map(|i| ((i * 37 % 11) as f64) * 0.25 - 1.0)
            .collect(),
    );
    out
}

#[test]
fn rebuilt_values_give_the_taped_gradients() {
    let fast_top: Vjp = |z, g, v| top_vjp(z, g, v).0;
    let taped_top: Vjp = |z, g, v| top_taped_vjp(z, g, true, v).0;
    let fast_bottom: Vjp = |z, g, v| bottom_vjp(z, g, v).0;
    let taped_bottom: Vjp = |z, g, v| bottom_taped_vjp(z, g, true, v).0;
    let fast_lse: Vjp = |z, g, v| logsumexp_vjp(z, g, v).0;
    let taped_lse: Vjp = |z, g, v| logsumexp_taped_vjp(z, g, true, v).0;
    for z in inputs() {
        for v in [1.0, -2.5, 0.0, -0.0, f64::INFINITY, f64::NAN] {
            same_bits("top", fast_top, taped_top, &z, v);
            same_bits("bottom", fast_bottom, taped_bottom, &z, v);
            same_bits("logsumexp", fast_lse, taped_lse, &z, v);
        }
    }
}

#[test]
fn finite_differences() {
    let z = [0.3, -1.2, 2.5, 0.7, 2.1, -0.1];
    check_slice("top", top, |z, g, v| top_vjp(z, g, v).0, &z);
    check_slice("bottom", bottom, |z, g, v| bottom_vjp(z, g, v).0, &z);
    check_slice(
        "logsumexp",
        logsumexp,
        |z, g, v| logsumexp_vjp(z, g, v).0,
        &z,
    );
    let z32: Vec<f32> = z.iter().map(|x| *x as f32).collect();
    let mut g32 = vec![0.0f32; z.len()];
    top_generic_grad(&z32, &mut g32);
    // d/dz (max(z) z[0]) = z[0] at the argmax (2), max(z) at 0.
    assert_eq!(g32, vec![2.5, 0.0, 0.3, 0.0, 0.0, 0.0]);
}

#[test]
fn no_tape_for_the_maximum() {
    let z: Vec<f64> = (0..1000).map(|i| ((i * 37 % 101) as f64) * 0.05).collect();
    let mut g = vec![0.0; z.len()];
    assert_eq!(allocations(|| _ = top_vjp(&z, &mut g, 1.0)), 0);
    // The log-sum-exp's one tape is its exponentials'.
    assert_eq!(allocations(|| _ = logsumexp_vjp(&z, &mut g, 1.0)), 1);
}
