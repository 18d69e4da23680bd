//! Derivative rules: one function per primitive, returning its local partial derivatives.
//!
//! Each rule takes the primal inputs followed by the primal output `y` (rules that can reuse
//! the output, such as [`exp`], do; the others ignore it) and returns ∂y/∂input. Generated code
//! uses the same rule in both modes:
//!
//! - reverse mode: `bar_x += bar_y * rules::sin(x, y)`;
//! - forward mode: `dy = rules::sin(x, y) * dx`.
//!
//! Unary rules return one partial, binary rules a pair `(∂y/∂a, ∂y/∂b)`, and [`mul_add`] and
//! [`clamp`] a triple.
//!
//! # Conventions at non-smooth and edge points
//!
//! Where a function has no derivative, the rule returns the value in this table. Every entry is
//! pinned by a test.
//!
//! | rule | point | value returned |
//! |---|---|---|
//! | [`abs`] | `x == 0` (either sign of zero) | `0` (`1` for `x > 0`, `-1` for `x < 0`; NaN for NaN) |
//! | [`max`] | `a == b` | `(0.5, 0.5)` |
//! | [`max`] | one argument NaN | everything to the argument `max` returns, the non-NaN one: `(0, 1)` when `a` is NaN, `(1, 0)` when `b` is |
//! | [`max`] | both NaN | `(NaN, NaN)` |
//! | [`min`] | same as [`max`] | `(0.5, 0.5)` at a tie; everything to the non-NaN argument |
//! | [`clamp`] | `x == lo` or `x == hi` | `(1, 0, 0)`: the bounds count as inside, `lo <= x <= hi` |
//! | [`clamp`] | `x < lo` / `x > hi` | `(0, 1, 0)` / `(0, 0, 1)` |
//! | [`clamp`] | `x` NaN | `(1, 0, 0)` (`clamp` returns `x`) |
//! | [`hypot`] | `(0, 0)` | `(0, 0)` |
//! | [`atan2`] | `(0, 0)` | `(NaN, NaN)`: the angle jumps there, so no value would be right |
//! | [`powf`] | `y == 0`, e.g. `powf(0, b)` with `b > 0` | `∂/∂b = 0` (the formula `y * ln a` would give `0 * -inf`) |
//! | [`powf`] | `b == 0` | `∂/∂a = 0` (`a^0` is constant; the formula would give `0 * inf` at `a == 0`) |
//! | [`powi`] | `n == 0` | `0` |
//! | [`sqrt`], [`cbrt`] | `x == 0` | `+inf` (IEEE `1 / (2 * 0)`), not special-cased |
//! | [`ln`], [`log2`], [`log10`] | `x == 0` | `+inf`, not special-cased |
//! | [`acosh`] | `x == 1` | `+inf`, not special-cased |
//! | [`asin`], [`acos`], [`atanh`] | `x == ±1` | `±inf`, not special-cased |
//! | [`floor`], [`ceil`], [`round`], [`trunc`], [`signum`] | everywhere, jumps included | `0` |
//! | [`fract`] | everywhere, jumps included | `1` |

use crate::real::Real;

/// Converts an `f64` constant to `T`.
#[inline]
fn c<T: Real>(value: f64) -> T {
    T::from_f64(value)
}

// ---------------------------------------------------------------------------------------------
// Trigonometric functions
// ---------------------------------------------------------------------------------------------

/// d/dx sin(x) = cos(x)
///
/// ```
/// let x = 0.5_f64;
/// assert_eq!(vjp_runtime::rules::sin(x, x.sin()), x.cos());
/// ```
#[inline]
pub fn sin<T: Real>(x: T, _y: T) -> T {
    x.cos()
}

/// d/dx cos(x) = -sin(x)
#[inline]
pub fn cos<T: Real>(x: T, _y: T) -> T {
    -x.sin()
}

/// d/dx tan(x) = 1 + tan²(x) = 1 + y²
#[inline]
pub fn tan<T: Real>(_x: T, y: T) -> T {
    T::one() + y * y
}

/// d/dx asin(x) = 1 / sqrt(1 - x²); `+inf` at x = ±1
#[inline]
pub fn asin<T: Real>(x: T, _y: T) -> T {
    ((T::one() - x) * (T::one() + x)).sqrt().recip()
}

/// d/dx acos(x) = -1 / sqrt(1 - x²); `-inf` at x = ±1
#[inline]
pub fn acos<T: Real>(x: T, _y: T) -> T {
    -((T::one() - x) * (T::one() + x)).sqrt().recip()
}

/// d/dx atan(x) = 1 / (1 + x²)
#[inline]
pub fn atan<T: Real>(x: T, _y: T) -> T {
    (T::one() + x * x).recip()
}

/// y = atan2(a, b) (`a` is the y-coordinate, `self`; `b` the x-coordinate, `other`):
/// (dy/da, dy/db) = (b / (a² + b²), -a / (a² + b²)); `(NaN, NaN)` at the origin, where the
/// angle jumps.
#[inline]
pub fn atan2<T: Real>(a: T, b: T, _y: T) -> (T, T) {
    // Dividing by the norm twice avoids overflow of a² + b².
    let r = a.hypot(b);
    (b / r / r, -a / r / r)
}

// ---------------------------------------------------------------------------------------------
// Hyperbolic functions
// ---------------------------------------------------------------------------------------------

/// d/dx sinh(x) = cosh(x)
#[inline]
pub fn sinh<T: Real>(x: T, _y: T) -> T {
    x.cosh()
}

/// d/dx cosh(x) = sinh(x)
#[inline]
pub fn cosh<T: Real>(x: T, _y: T) -> T {
    x.sinh()
}

/// d/dx tanh(x) = 1 - tanh²(x) = 1 - y²
#[inline]
pub fn tanh<T: Real>(_x: T, y: T) -> T {
    T::one() - y * y
}

/// d/dx asinh(x) = 1 / sqrt(x² + 1)
#[inline]
pub fn asinh<T: Real>(x: T, _y: T) -> T {
    // hypot keeps x² + 1 from overflowing for large x.
    x.hypot(T::one()).recip()
}

/// d/dx acosh(x) = 1 / sqrt(x² - 1); `+inf` at x = 1
#[inline]
pub fn acosh<T: Real>(x: T, _y: T) -> T {
    // (x - 1)(x + 1) is accurate near x = 1, where x² - 1 cancels.
    ((x - T::one()) * (x + T::one())).sqrt().recip()
}

/// d/dx atanh(x) = 1 / (1 - x²); `+inf` at x = ±1
#[inline]
pub fn atanh<T: Real>(x: T, _y: T) -> T {
    ((T::one() - x) * (T::one() + x)).recip()
}

// ---------------------------------------------------------------------------------------------
// Exponentials and logarithms
// ---------------------------------------------------------------------------------------------

/// d/dx exp(x) = exp(x) = y
#[inline]
pub fn exp<T: Real>(_x: T, y: T) -> T {
    y
}

/// d/dx 2^x = 2^x ln(2) = y ln(2)
#[inline]
pub fn exp2<T: Real>(_x: T, y: T) -> T {
    y * c::<T>(core::f64::consts::LN_2)
}

/// d/dx (e^x - 1) = e^x = y + 1
#[inline]
pub fn exp_m1<T: Real>(_x: T, y: T) -> T {
    y + T::one()
}

/// d/dx ln(x) = 1 / x; `+inf` at x = 0
#[inline]
pub fn ln<T: Real>(x: T, _y: T) -> T {
    x.recip()
}

/// d/dx log2(x) = 1 / (x ln 2); `+inf` at x = 0
#[inline]
pub fn log2<T: Real>(x: T, _y: T) -> T {
    (x * c::<T>(core::f64::consts::LN_2)).recip()
}

/// d/dx log10(x) = 1 / (x ln 10); `+inf` at x = 0
#[inline]
pub fn log10<T: Real>(x: T, _y: T) -> T {
    (x * c::<T>(core::f64::consts::LN_10)).recip()
}

/// d/dx ln(1 + x) = 1 / (1 + x); `+inf` at x = -1
#[inline]
pub fn ln_1p<T: Real>(x: T, _y: T) -> T {
    (T::one() + x).recip()
}

/// y = log(a, b) = ln(a) / ln(b) (`a` is `self`, `b` the base):
/// (dy/da, dy/db) = (1 / (a ln b), -y / (b ln b))
#[inline]
pub fn log<T: Real>(a: T, b: T, y: T) -> (T, T) {
    let ln_b = b.ln();
    ((a * ln_b).recip(), -y / (b * ln_b))
}

// ---------------------------------------------------------------------------------------------
// Powers and roots
// ---------------------------------------------------------------------------------------------

/// d/dx sqrt(x) = 1 / (2 sqrt(x)) = 1 / (2y); `+inf` at x = 0
#[inline]
pub fn sqrt<T: Real>(_x: T, y: T) -> T {
    (y + y).recip()
}

/// d/dx cbrt(x) = 1 / (3 cbrt(x)²) = 1 / (3y²); `+inf` at x = 0
#[inline]
pub fn cbrt<T: Real>(_x: T, y: T) -> T {
    (c::<T>(3.0) * y * y).recip()
}

/// d/dx x^n = n x^(n-1); `0` when n == 0 (x^0 is the constant 1, even at x = 0)
#[inline]
pub fn powi<T: Real>(x: T, n: i32, _y: T) -> T {
    match n {
        0 => T::zero(),
        // n - 1 would overflow; x^(n-1) = x^n / x.
        i32::MIN => T::from_i32(n) * x.powi(n) / x,
        _ => T::from_i32(n) * x.powi(n - 1),
    }
}

/// y = a^b (`a` is the base, `self`; `b` the exponent): (dy/da, dy/db) = (b a^(b-1), y ln a).
///
/// dy/da is computed as `b * a.powf(b - 1)`, exact at a = 0 (`1` for b = 1, `0` for b > 1),
/// and is `0` when b == 0 (a^0 is the constant 1). dy/db is `0` wherever y == 0, in particular
/// at a = 0 with b > 0, where `y * ln a` would be `0 * -inf`; so `powf(0, b)` has a finite
/// b-derivative. For a < 0, dy/db is NaN (a^b is not real nearby).
#[inline]
pub fn powf<T: Real>(a: T, b: T, y: T) -> (T, T) {
    let d_base = if b == T::zero() {
        T::zero()
    } else {
        b * a.powf(b - T::one())
    };
    let d_exponent = if y == T::zero() {
        T::zero()
    } else {
        y * a.ln()
    };
    (d_base, d_exponent)
}

/// y = hypot(a, b) = sqrt(a² + b²): (dy/da, dy/db) = (a / y, b / y); `(0, 0)` at the origin
/// (the smallest subgradient).
#[inline]
pub fn hypot<T: Real>(a: T, b: T, y: T) -> (T, T) {
    if y == T::zero() {
        (T::zero(), T::zero())
    } else {
        (a / y, b / y)
    }
}

// ---------------------------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------------------------

/// d/dx (-x) = -1
#[inline]
pub fn neg<T: Real>(_x: T, _y: T) -> T {
    -T::one()
}

/// d/dx (1 / x) = -1 / x² = -y²
#[inline]
pub fn recip<T: Real>(_x: T, y: T) -> T {
    -(y * y)
}

/// y = a * b: (dy/da, dy/db) = (b, a)
#[inline]
pub fn mul<T: Real>(a: T, b: T, _y: T) -> (T, T) {
    (b, a)
}

/// y = a / b: (dy/da, dy/db) = (1 / b, -a / b²) = (1 / b, -y / b)
#[inline]
pub fn div<T: Real>(_a: T, b: T, y: T) -> (T, T) {
    (b.recip(), -y / b)
}

/// y = a / b for a constant `b`: dy/da = 1 / b. The same value as `div(a, b, y).0`, without
/// reading `a` or `y` (so the reverse of `total / n` after a loop needs neither).
#[inline]
pub fn div_by<T: Real>(b: T) -> T {
    b.recip()
}

/// y = a * b + c (`a.mul_add(b, c)`): (dy/da, dy/db, dy/dc) = (b, a, 1)
#[inline]
pub fn mul_add<T: Real>(a: T, b: T, _c: T, _y: T) -> (T, T, T) {
    (b, a, T::one())
}

/// d/dx to_degrees(x) = 180 / π
#[inline]
pub fn to_degrees<T: Real>(_x: T, _y: T) -> T {
    c::<T>(180.0 / core::f64::consts::PI)
}

/// d/dx to_radians(x) = π / 180
#[inline]
pub fn to_radians<T: Real>(_x: T, _y: T) -> T {
    c::<T>(core::f64::consts::PI / 180.0)
}

// ---------------------------------------------------------------------------------------------
// Non-smooth functions
// ---------------------------------------------------------------------------------------------

/// d/dx |x| = 1 for x > 0, -1 for x < 0, and `0` at x = 0 (either sign of zero); NaN for NaN.
///
/// Not `x.signum()`, which is `1` at `+0`.
///
/// ```
/// use vjp_runtime::rules::abs;
/// assert_eq!(abs(-3.0_f64, 3.0), -1.0);
/// assert_eq!(abs(0.0_f64, 0.0), 0.0);
/// ```
#[inline]
pub fn abs<T: Real>(x: T, _y: T) -> T {
    if x > T::zero() {
        T::one()
    } else if x < T::zero() {
        -T::one()
    } else if x == T::zero() {
        T::zero()
    } else {
        x // NaN
    }
}

/// y = max(a, b): `(1, 0)` if a > b, `(0, 1)` if b > a, `(0.5, 0.5)` at a tie.
///
/// If one argument is NaN, `max` returns the other, and the whole derivative goes to it:
/// `(0, 1)` when a is NaN, `(1, 0)` when b is NaN. `(NaN, NaN)` when both are NaN.
///
/// ```
/// use vjp_runtime::rules::max;
/// assert_eq!(max(2.0_f64, 1.0, 2.0), (1.0, 0.0));
/// assert_eq!(max(1.0_f64, 1.0, 1.0), (0.5, 0.5));
/// ```
#[inline]
pub fn max<T: Real>(a: T, b: T, _y: T) -> (T, T) {
    if a > b {
        (T::one(), T::zero())
    } else if b > a {
        (T::zero(), T::one())
    } else {
        select_at_tie_or_nan(a, b)
    }
}

/// y = min(a, b): `(1, 0)` if a < b, `(0, 1)` if b < a, `(0.5, 0.5)` at a tie.
///
/// If one argument is NaN, `min` returns the other, and the whole derivative goes to it:
/// `(0, 1)` when a is NaN, `(1, 0)` when b is NaN. `(NaN, NaN)` when both are NaN.
#[inline]
pub fn min<T: Real>(a: T, b: T, _y: T) -> (T, T) {
    if a < b {
        (T::one(), T::zero())
    } else if b < a {
        (T::zero(), T::one())
    } else {
        select_at_tie_or_nan(a, b)
    }
}

/// The partials of `max` and `min` when neither argument is strictly on top: a tie shares the
/// derivative, a NaN argument gives it all to the other one (which `max` and `min` return).
#[inline]
fn select_at_tie_or_nan<T: Real>(a: T, b: T) -> (T, T) {
    let half = c::<T>(0.5);
    match (a.is_nan(), b.is_nan()) {
        (false, false) => (half, half),
        (true, false) => (T::zero(), T::one()),
        (false, true) => (T::one(), T::zero()),
        (true, true) => (T::NAN, T::NAN),
    }
}

/// y = clamp(x, lo, hi): `(1, 0, 0)` when lo <= x <= hi (the bounds count as inside),
/// `(0, 1, 0)` when x < lo, `(0, 0, 1)` when x > hi; `(1, 0, 0)` for a NaN x, which `clamp`
/// returns unchanged.
#[inline]
pub fn clamp<T: Real>(x: T, lo: T, hi: T, _y: T) -> (T, T, T) {
    let (zero, one) = (T::zero(), T::one());
    if x < lo {
        (zero, one, zero)
    } else if x > hi {
        (zero, zero, one)
    } else {
        (one, zero, zero)
    }
}

/// d/dx signum(x) = 0, everywhere (the jump at 0 included)
#[inline]
pub fn signum<T: Real>(_x: T, _y: T) -> T {
    T::zero()
}

/// d/dx floor(x) = 0, everywhere (the jumps at the integers included)
#[inline]
pub fn floor<T: Real>(_x: T, _y: T) -> T {
    T::zero()
}

/// d/dx ceil(x) = 0, everywhere (the jumps at the integers included)
#[inline]
pub fn ceil<T: Real>(_x: T, _y: T) -> T {
    T::zero()
}

/// d/dx round(x) = 0, everywhere (the jumps at the half-integers included)
#[inline]
pub fn round<T: Real>(_x: T, _y: T) -> T {
    T::zero()
}

/// d/dx trunc(x) = 0, everywhere (the jumps at the integers included)
#[inline]
pub fn trunc<T: Real>(_x: T, _y: T) -> T {
    T::zero()
}

/// d/dx fract(x) = d/dx (x - trunc(x)) = 1, everywhere (the jumps at the integers included)
#[inline]
pub fn fract<T: Real>(_x: T, _y: T) -> T {
    T::one()
}
