//! Dual numbers: forward-mode derivatives of any code generic over [`Real`], and through them
//! Hessian-vector products by forward-over-reverse.
//!
//! A [`Dual`] carries a value and a tangent; every operation applies the chain rule with the
//! same derivative rules as generated code ([`crate::rules`]). Running a generated `NAME_grad`
//! (a reverse sweep) on duals whose tangents are `u` gives the gradient's directional
//! derivative: the Hessian-vector product `H u`, without forming `H`. See [`hvp`].
//!
//! Comparisons look at the value only, so branches take the same side as the primal code.

use crate::real::Real;
use crate::rules;
use core::cmp::Ordering;
use core::fmt;
use core::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

/// A value and its tangent: `re + eps·ε` with `ε² = 0`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Dual<T> {
    /// The value.
    pub re: T,
    /// The tangent (the derivative along the chosen direction).
    pub eps: T,
}

/// A dual number is saved in an [`Arena`](crate::arena::Arena) as its value, then its tangent
/// (so that the adjoint of a generic function can run on dual numbers: [`hvp`]).
impl<T: crate::arena::Word> crate::arena::Word for Dual<T> {
    const WORDS: usize = 2 * T::WORDS;
    #[inline(always)]
    fn put(self, out: &mut [u64]) {
        (self.re, self.eps).put(out);
    }
    #[inline(always)]
    fn take(src: &[u64]) -> Self {
        let (re, eps) = <(T, T)>::take(src);
        Dual { re, eps }
    }
}

impl<T: Real> Dual<T> {
    /// A dual number with value `re` and tangent `eps`.
    pub fn new(re: T, eps: T) -> Self {
        Dual { re, eps }
    }

    /// A constant: tangent zero.
    pub fn constant(re: T) -> Self {
        Dual { re, eps: T::zero() }
    }

    /// `f(self)` with `f(re) = y` and `f'(re) = d`.
    fn chain(self, y: T, d: T) -> Self {
        Dual {
            re: y,
            eps: d * self.eps,
        }
    }

    /// `f(self, other)` with value `y` and partials `(da, db)`.
    fn chain2(self, other: Self, y: T, (da, db): (T, T)) -> Self {
        Dual {
            re: y,
            eps: da * self.eps + db * other.eps,
        }
    }
}

impl<T: Real> PartialEq for Dual<T> {
    fn eq(&self, other: &Self) -> bool {
        self.re == other.re
    }
}

impl<T: Real> PartialOrd for Dual<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.re.partial_cmp(&other.re)
    }
}

impl<T: Real> fmt::Display for Dual<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} + {}ε", self.re, self.eps)
    }
}

impl<T: Real> Add for Dual<T> {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Dual::new(self.re + o.re, self.eps + o.eps)
    }
}

impl<T: Real> Sub for Dual<T> {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Dual::new(self.re - o.re, self.eps - o.eps)
    }
}

impl<T: Real> Mul for Dual<T> {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        Dual::new(self.re * o.re, self.eps * o.re + self.re * o.eps)
    }
}

impl<T: Real> Div for Dual<T> {
    type Output = Self;
    fn div(self, o: Self) -> Self {
        let y = self.re / o.re;
        self.chain2(o, y, rules::div(self.re, o.re, y))
    }
}

impl<T: Real> Rem for Dual<T> {
    type Output = Self;
    /// `a % b = a - trunc(a / b)·b`: tangent `ȧ - trunc(a / b)·ḃ`.
    fn rem(self, o: Self) -> Self {
        let q = (self.re / o.re).trunc();
        Dual::new(self.re % o.re, self.eps - q * o.eps)
    }
}

impl<T: Real> Neg for Dual<T> {
    type Output = Self;
    fn neg(self) -> Self {
        Dual::new(-self.re, -self.eps)
    }
}

macro_rules! assign_ops {
    ($($trait:ident $method:ident $op:tt),*) => {
        $(
            impl<T: Real> $trait for Dual<T> {
                fn $method(&mut self, o: Self) {
                    *self = *self $op o;
                }
            }
        )*
    };
}

assign_ops!(AddAssign add_assign +, SubAssign sub_assign -, MulAssign mul_assign *, DivAssign div_assign /, RemAssign rem_assign %);

impl<T: Real> core::iter::Sum for Dual<T> {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Dual::constant(T::zero()), |a, b| a + b)
    }
}

/// Implements unary methods through the rule of the same name.
macro_rules! unary {
    ($($name:ident)*) => {
        $(
            fn $name(self) -> Self {
                let y = self.re.$name();
                self.chain(y, rules::$name(self.re, y))
            }
        )*
    };
}

/// Implements binary methods through the rule of the same name.
macro_rules! binary {
    ($($name:ident)*) => {
        $(
            fn $name(self, other: Self) -> Self {
                let y = self.re.$name(other.re);
                self.chain2(other, y, rules::$name(self.re, other.re, y))
            }
        )*
    };
}

impl<T: Real> Real for Dual<T> {
    const EPSILON: Self = Dual {
        re: T::EPSILON,
        eps: T::ZERO,
    };
    const PI: Self = Dual {
        re: T::PI,
        eps: T::ZERO,
    };
    const INFINITY: Self = Dual {
        re: T::INFINITY,
        eps: T::ZERO,
    };
    const NAN: Self = Dual {
        re: T::NAN,
        eps: T::ZERO,
    };
    const ZERO: Self = Dual {
        re: T::ZERO,
        eps: T::ZERO,
    };
    const ONE: Self = Dual {
        re: T::ONE,
        eps: T::ZERO,
    };

    fn from_f64(c: f64) -> Self {
        Dual::constant(T::from_f64(c))
    }
    fn to_f64(self) -> f64 {
        self.re.to_f64()
    }
    fn from_i32(n: i32) -> Self {
        Dual::constant(T::from_i32(n))
    }
    fn zero() -> Self {
        Self::ZERO
    }
    fn one() -> Self {
        Self::ONE
    }

    unary!(sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh exp exp2 exp_m1 ln
        log2 log10 ln_1p sqrt cbrt abs signum recip floor ceil round trunc fract to_degrees
        to_radians);
    binary!(atan2 log powf hypot max min);

    fn powi(self, n: i32) -> Self {
        let y = self.re.powi(n);
        self.chain(y, rules::powi(self.re, n, y))
    }
    fn clamp(self, min: Self, max: Self) -> Self {
        let y = self.re.clamp(min.re, max.re);
        let (dx, dlo, dhi) = rules::clamp(self.re, min.re, max.re, y);
        Dual::new(y, dx * self.eps + dlo * min.eps + dhi * max.eps)
    }
    fn mul_add(self, a: Self, b: Self) -> Self {
        let y = self.re.mul_add(a.re, b.re);
        let (ds, da, db) = rules::mul_add(self.re, a.re, b.re, y);
        Dual::new(y, ds * self.eps + da * a.eps + db * b.eps)
    }
    fn is_nan(self) -> bool {
        self.re.is_nan()
    }
    fn is_finite(self) -> bool {
        self.re.is_finite()
    }
    fn is_infinite(self) -> bool {
        self.re.is_infinite()
    }
    fn is_sign_negative(self) -> bool {
        self.re.is_sign_negative()
    }
    fn sin_cos(self) -> (Self, Self) {
        (self.sin(), self.cos())
    }
}

/// The Hessian-vector product `H u` of a scalar function at `x`, by forward-over-reverse:
/// `grad` is the function's gradient run on dual numbers, in the shadow convention of
/// `NAME_grad` for a slice parameter (`|x, g| f_grad(x, g)` for a generated
/// `f_grad<T: Real>(x: &[T], bar_x: &mut [T])`). Also returns the gradient itself.
///
/// ```
/// use vjp_runtime::{hvp, Real};
///
/// // The gradient of f(x) = x0² x1 + sin x1 (as `#[differentiable]` would generate it for
/// // `fn f<T: Real>(x: &[T]) -> T`), generic over the scalar type.
/// fn f_grad<T: Real>(x: &[T], g: &mut [T]) {
///     g[0] += T::from_f64(2.0) * x[0] * x[1];
///     g[1] += x[0] * x[0] + x[1].cos();
/// }
///
/// let (g, hu) = hvp(|x, g| f_grad(x, g), &[1.0, 2.0], &[1.0, 0.0]);
/// // H u = column 0 of H = (2 x1, 2 x0).
/// assert_eq!(g, vec![4.0, 1.0 + 2f64.cos()]);
/// assert_eq!(hu, vec![4.0, 2.0]);
/// ```
pub fn hvp(
    grad: impl Fn(&[Dual<f64>], &mut [Dual<f64>]),
    x: &[f64],
    u: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(
        x.len(),
        u.len(),
        "hvp: the direction u has length {} but x has length {}",
        u.len(),
        x.len()
    );
    let xd: Vec<Dual<f64>> = x
        .iter()
        .zip(u)
        .map(|(&re, &eps)| Dual::new(re, eps))
        .collect();
    let mut gd = vec![Dual::constant(0.0); x.len()];
    grad(&xd, &mut gd);
    (
        gd.iter().map(|d| d.re).collect(),
        gd.iter().map(|d| d.eps).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(re: f64, eps: f64) -> Dual<f64> {
        Dual::new(re, eps)
    }

    #[test]
    fn tangents_follow_the_chain_rule() {
        let x = d(0.7, 1.0);
        let y = (x * x).sin() / x.exp() + x.powi(3) - x.powf(d(2.5, 0.0));
        let f = |x: f64| (x * x).sin() / x.exp() + x.powi(3) - x.powf(2.5);
        let h = 1e-6;
        let fd = (f(0.7 + h) - f(0.7 - h)) / (2.0 * h);
        assert!((y.re - f(0.7)).abs() < 1e-15);
        assert!((y.eps - fd).abs() < 1e-8, "{} vs {fd}", y.eps);
    }

    #[test]
    fn comparisons_use_the_value() {
        assert!(d(1.0, 5.0) < d(2.0, -5.0));
        assert!(d(1.0, 5.0) == d(1.0, -5.0));
    }

    #[test]
    fn binary_rules_carry_both_tangents() {
        let (a, b) = (d(1.5, 1.0), d(-0.5, 2.0));
        let y = a.atan2(b);
        let (da, db) = rules::atan2(1.5, -0.5, y.re);
        assert!((y.eps - (da + 2.0 * db)).abs() < 1e-15);
        let m = a.max(b);
        assert_eq!(m.eps, 1.0);
    }
}
