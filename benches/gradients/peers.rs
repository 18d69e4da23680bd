//! The peer AD crates behind one scalar trait, [`Scalar`], so that each problem is written once
//! for all of them, and the drivers that turn such a function into a gradient:
//!
//! - `num-dual`: forward mode with `Dual64`, one pass per wanted component ([`forward_passes`]);
//! - `echidna`: reverse mode on an Adept-style thread-local tape ([`echidna_gradient`]);
//! - `reverse`: reverse mode on a `RefCell<Vec<Node>>` Wengert list ([`reverse_gradient`]).

use std::ops::{Add, Div, Mul, Neg, Sub};

use num_dual::{Dual64, DualNum};
use num_traits::{Float, ToPrimitive};

/// The operations the benchmark problems use, on any of the peers' number types.
///
/// Constants go on the right (`x * 2.0`, not `2.0 * x`), so that no `f64: Mul<Self>` bound is
/// needed; [`Scalar::sub_from`] writes `c - x`.
pub trait Scalar:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Add<f64, Output = Self>
    + Sub<f64, Output = Self>
    + Mul<f64, Output = Self>
    + Div<f64, Output = Self>
{
    /// The constant `c`, as a number of the same kind as `self` (on the same tape).
    fn lift(self, c: f64) -> Self;
    /// `c - self`.
    fn sub_from(self, c: f64) -> Self;
    /// The value, without derivative.
    fn value(self) -> f64;
    fn sin(self) -> Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn tanh(self) -> Self;
    fn powi(self, n: i32) -> Self;
    /// The larger of the two; its derivative is the chosen operand's.
    fn max(self, other: Self) -> Self {
        if self.value() >= other.value() {
            self
        } else {
            other
        }
    }
}

impl Scalar for Dual64 {
    fn lift(self, c: f64) -> Self {
        Dual64::from(c)
    }
    fn sub_from(self, c: f64) -> Self {
        -self + c
    }
    fn value(self) -> f64 {
        self.re
    }
    fn sin(self) -> Self {
        DualNum::sin(&self)
    }
    fn exp(self) -> Self {
        DualNum::exp(&self)
    }
    fn ln(self) -> Self {
        DualNum::ln(&self)
    }
    fn tanh(self) -> Self {
        DualNum::tanh(&self)
    }
    fn powi(self, n: i32) -> Self {
        DualNum::powi(&self, n)
    }
}

impl Scalar for echidna::Reverse<f64> {
    fn lift(self, c: f64) -> Self {
        echidna::Reverse::constant(c)
    }
    fn sub_from(self, c: f64) -> Self {
        c - self
    }
    fn value(self) -> f64 {
        ToPrimitive::to_f64(&self).unwrap_or(f64::NAN)
    }
    fn sin(self) -> Self {
        Float::sin(self)
    }
    fn exp(self) -> Self {
        Float::exp(self)
    }
    fn ln(self) -> Self {
        Float::ln(self)
    }
    fn tanh(self) -> Self {
        Float::tanh(self)
    }
    fn powi(self, n: i32) -> Self {
        Float::powi(self, n)
    }
}

impl<'t> Scalar for reverse::Var<'t> {
    fn lift(self, c: f64) -> Self {
        self.tape.add_var(c)
    }
    fn sub_from(self, c: f64) -> Self {
        c - self
    }
    fn value(self) -> f64 {
        self.val
    }
    fn sin(self) -> Self {
        reverse::Var::sin(&self)
    }
    fn exp(self) -> Self {
        reverse::Var::exp(&self)
    }
    fn ln(self) -> Self {
        reverse::Var::ln(&self)
    }
    fn tanh(self) -> Self {
        reverse::Var::tanh(&self)
    }
    fn powi(self, n: i32) -> Self {
        reverse::Var::powi(&self, n)
    }
}

/// Forward mode with `num-dual`: one pass of `f` per component in `which`, each seeding that
/// component's tangent with 1; writes those components of the gradient into `g`.
pub fn forward_passes(
    f: impl Fn(&[Dual64]) -> Dual64,
    x: &[f64],
    which: impl IntoIterator<Item = usize>,
    g: &mut [f64],
) {
    let mut duals: Vec<Dual64> = x.iter().map(|&xi| Dual64::from(xi)).collect();
    for i in which {
        duals[i].eps = 1.0;
        g[i] = f(&duals).eps;
        duals[i].eps = 0.0;
    }
}

/// Reverse mode with `echidna`: records `f` on its thread-local tape and sweeps it back.
pub fn echidna_gradient(
    f: impl FnOnce(&[echidna::Reverse<f64>]) -> echidna::Reverse<f64>,
    x: &[f64],
    g: &mut [f64],
) {
    g.copy_from_slice(&echidna::grad(f, x));
}

/// Reverse mode with `reverse`: a fresh tape per call, the inputs its first nodes.
pub fn reverse_gradient(
    f: impl for<'t> FnOnce(&[reverse::Var<'t>]) -> reverse::Var<'t>,
    x: &[f64],
    g: &mut [f64],
) {
    let tape = reverse::Tape::new();
    let inputs = tape.add_vars(x);
    let all = f(&inputs).grad();
    g.copy_from_slice(&all[..x.len()]);
}
