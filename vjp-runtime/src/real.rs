//! The scalar trait [`Real`]: what `f32` and `f64` have in common.
//!
//! Generated code and generic user functions (`fn f<T: vjp::Real>(x: T) -> T`) call the math
//! methods of this trait. They have the same names and argument shapes as the inherent methods
//! of `f64`, so a body written for `f64` compiles unchanged for a `T: Real`.

use core::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

/// A floating-point scalar that `vjp` can differentiate: implemented for `f32` and `f64`.
///
/// It requires [`Word`](crate::arena::Word) too: how the loops of a generated adjoint save a
/// value (as 64-bit words that give it back bit for bit).
///
/// Every method forwards to the inherent method of the same name, so `x.sin()` means the same
/// for a `T: Real` as for an `f64`. Constants come from [`Real::from_f64`]:
///
/// ```
/// use vjp_runtime::Real;
///
/// fn half_square<T: Real>(x: T) -> T {
///     T::from_f64(0.5) * x * x
/// }
/// assert_eq!(half_square(3.0_f64), 4.5);
/// assert_eq!(half_square(3.0_f32), 4.5);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a vjp scalar",
    label = "vjp differentiates f32, f64 and type parameters bounded by `vjp::Real`"
)]
pub trait Real:
    Copy
    + Clone
    + Default
    + PartialEq
    + PartialOrd
    + core::fmt::Debug
    + core::fmt::Display
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Rem<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + RemAssign
    + core::iter::Sum
    + crate::arena::Word
{
    /// The machine epsilon: the difference between 1 and the next representable value.
    const EPSILON: Self;
    /// Archimedes' constant π.
    const PI: Self;
    /// Positive infinity.
    const INFINITY: Self;
    /// Not a number.
    const NAN: Self;
    /// The value 0, usable in constants.
    const ZERO: Self;
    /// The value 1, usable in constants.
    const ONE: Self;

    /// Converts an `f64` constant (rounding to nearest for `f32`).
    fn from_f64(c: f64) -> Self;
    /// Converts to `f64` (exactly, for both `f32` and `f64`).
    fn to_f64(self) -> f64;
    /// Converts an integer (rounding to nearest for `f32` when `|n| > 2^24`).
    fn from_i32(n: i32) -> Self;
    /// The value 0.
    fn zero() -> Self;
    /// The value 1.
    fn one() -> Self;

    /// Sine (radians).
    fn sin(self) -> Self;
    /// Cosine (radians).
    fn cos(self) -> Self;
    /// Tangent (radians).
    fn tan(self) -> Self;
    /// Arcsine, in [-π/2, π/2]; NaN outside [-1, 1].
    fn asin(self) -> Self;
    /// Arccosine, in [0, π]; NaN outside [-1, 1].
    fn acos(self) -> Self;
    /// Arctangent, in [-π/2, π/2].
    fn atan(self) -> Self;
    /// Four-quadrant arctangent of `self / other` (`self` is the y-coordinate).
    fn atan2(self, other: Self) -> Self;
    /// Hyperbolic sine.
    fn sinh(self) -> Self;
    /// Hyperbolic cosine.
    fn cosh(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Inverse hyperbolic sine.
    fn asinh(self) -> Self;
    /// Inverse hyperbolic cosine; NaN below 1.
    fn acosh(self) -> Self;
    /// Inverse hyperbolic tangent; NaN outside [-1, 1].
    fn atanh(self) -> Self;
    /// e^self.
    fn exp(self) -> Self;
    /// 2^self.
    fn exp2(self) -> Self;
    /// e^self - 1, accurate near 0.
    fn exp_m1(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Logarithm to the given base.
    fn log(self, base: Self) -> Self;
    /// Base-2 logarithm.
    fn log2(self) -> Self;
    /// Base-10 logarithm.
    fn log10(self) -> Self;
    /// ln(1 + self), accurate near 0.
    fn ln_1p(self) -> Self;
    /// Square root; NaN below 0.
    fn sqrt(self) -> Self;
    /// Cube root.
    fn cbrt(self) -> Self;
    /// self^n for an integer n.
    fn powi(self, n: i32) -> Self;
    /// self^n for a floating-point n.
    fn powf(self, n: Self) -> Self;
    /// sqrt(self² + other²) without intermediate overflow.
    fn hypot(self, other: Self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// 1 for +0 and positive values, -1 for -0 and negative values, NaN for NaN.
    fn signum(self) -> Self;
    /// The larger of the two; if one is NaN, the other.
    fn max(self, other: Self) -> Self;
    /// The smaller of the two; if one is NaN, the other.
    fn min(self, other: Self) -> Self;
    /// `self` restricted to `[min, max]`; panics if `min > max` or either is NaN.
    fn clamp(self, min: Self, max: Self) -> Self;
    /// 1 / self.
    fn recip(self) -> Self;
    /// self * a + b with a single rounding.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// The largest integer less than or equal to self.
    fn floor(self) -> Self;
    /// The smallest integer greater than or equal to self.
    fn ceil(self) -> Self;
    /// The nearest integer, halfway cases away from 0.
    fn round(self) -> Self;
    /// The integer part, rounded towards 0.
    fn trunc(self) -> Self;
    /// self - self.trunc().
    fn fract(self) -> Self;
    /// Converts radians to degrees.
    fn to_degrees(self) -> Self;
    /// Converts degrees to radians.
    fn to_radians(self) -> Self;
    /// Whether self is NaN.
    fn is_nan(self) -> bool;
    /// Whether self is neither infinite nor NaN.
    fn is_finite(self) -> bool;
    /// Whether self is positive or negative infinity.
    fn is_infinite(self) -> bool;
    /// Whether the sign bit is set (true for -0.0 and negative NaNs).
    fn is_sign_negative(self) -> bool;
    /// (sin self, cos self).
    fn sin_cos(self) -> (Self, Self);
}

/// Forwards a unary method `fn NAME(self) -> RET` to the inherent method of `$t`.
macro_rules! forward_unary {
    ($t:ty, $ret:ty; $($name:ident)*) => {
        $(
            #[inline]
            fn $name(self) -> $ret {
                <$t>::$name(self)
            }
        )*
    };
}

/// Forwards a binary method `fn NAME(self, other: Self) -> Self` to the inherent method of `$t`.
macro_rules! forward_binary {
    ($t:ty; $($name:ident)*) => {
        $(
            #[inline]
            fn $name(self, other: Self) -> Self {
                <$t>::$name(self, other)
            }
        )*
    };
}

/// Implements [`Real`] for a primitive float type `$t` whose constants live in `core::$t`.
macro_rules! impl_real {
    ($t:ident) => {
        impl Real for $t {
            const EPSILON: Self = $t::EPSILON;
            const PI: Self = core::$t::consts::PI;
            const INFINITY: Self = $t::INFINITY;
            const NAN: Self = $t::NAN;
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;

            #[inline]
            fn from_f64(c: f64) -> Self {
                c as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_i32(n: i32) -> Self {
                n as $t
            }
            #[inline]
            fn zero() -> Self {
                0.0
            }
            #[inline]
            fn one() -> Self {
                1.0
            }

            forward_unary!($t, Self;
                sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh
                exp exp2 exp_m1 ln log2 log10 ln_1p sqrt cbrt abs signum recip
                floor ceil round trunc fract to_degrees to_radians);
            forward_unary!($t, bool; is_nan is_finite is_infinite is_sign_negative);
            forward_unary!($t, (Self, Self); sin_cos);
            forward_binary!($t; atan2 log powf hypot max min);

            #[inline]
            fn powi(self, n: i32) -> Self {
                <$t>::powi(self, n)
            }
            #[inline]
            fn clamp(self, min: Self, max: Self) -> Self {
                <$t>::clamp(self, min, max)
            }
            #[inline]
            fn mul_add(self, a: Self, b: Self) -> Self {
                <$t>::mul_add(self, a, b)
            }
        }
    };
}

impl_real!(f32);
impl_real!(f64);

#[cfg(test)]
mod tests {
    use super::Real;

    fn generic_poly<T: Real>(x: T) -> T {
        T::from_f64(2.0) * x.powi(3) + T::from_i32(3) * x.sin() - T::one() + T::zero()
    }

    #[test]
    fn methods_agree_with_inherent_f64() {
        let x = 0.7_f64;
        assert_eq!(Real::sin(x), x.sin());
        assert_eq!(Real::atan2(x, 0.3), x.atan2(0.3));
        assert_eq!(Real::log(x, 3.0), x.log(3.0));
        assert_eq!(Real::powf(x, 2.5), x.powf(2.5));
        assert_eq!(Real::clamp(x, 0.0, 0.5), 0.5);
        assert_eq!(Real::mul_add(x, 2.0, 1.0), x.mul_add(2.0, 1.0));
        assert_eq!(Real::sin_cos(x), x.sin_cos());
        assert!(Real::is_nan(<f64 as Real>::NAN));
        assert_eq!(<f64 as Real>::PI, core::f64::consts::PI);
        assert_eq!(<f64 as Real>::EPSILON, f64::EPSILON);
    }

    #[test]
    fn methods_agree_with_inherent_f32() {
        let x = 0.7_f32;
        assert_eq!(Real::exp(x), x.exp());
        assert_eq!(Real::hypot(x, 0.3), x.hypot(0.3));
        assert_eq!(Real::to_f64(x), x as f64);
        assert_eq!(<f32 as Real>::from_f64(0.1), 0.1_f32);
        assert_eq!(<f32 as Real>::INFINITY, f32::INFINITY);
        assert!(Real::is_sign_negative(-0.0_f32));
    }

    #[test]
    fn generic_code_runs_for_both_float_types() {
        let a = generic_poly(0.5_f64);
        let b = generic_poly(0.5_f32);
        assert!((a - 0.5_f64.sin() * 3.0 - 0.25 + 1.0).abs() < 1e-15);
        assert!((b.to_f64() - a).abs() < 1e-6);
    }
}
