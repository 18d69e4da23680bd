//! Every primitive method with a derivative rule, used through `#[differentiable]` in both the
//! method form `x.sin()` and the function form `f64::sin(x)`, checked against central finite
//! differences at points inside its domain: in `f64`, in `f32` (with the `f32` tolerance, and
//! against the `f64` result to `f32` precision), and in generic `fn f<T: vjp::Real>` code
//! instantiated at both float types. Binary and ternary primitives are tested with each argument
//! active alone (the others a constant or a `#[no_grad]` parameter) and with all arguments active.
//! The integer-valued primitives have derivative exactly 0, and the non-smooth ones follow the
//! runtime's conventions at their kinks: `abs'(0) = 0`, a tie of `max`/`min` gives 0.5 to each
//! argument, and `clamp` counts its bounds as inside.
//!
//! Naming: `NAME_m` uses the method form, `NAME_f` the function form; for binary and ternary
//! primitives the letters before say which arguments are active (`xy`, `abc`: all; `x`, `a`: only
//! the first; ...), and `_c` marks a constant receiver (`0.8_f64.atan2(y)`).
#![deny(warnings)]

mod common;

/// The checks the three modules run, generic over the float type.
mod check {
    use super::common::check_with;
    use std::fmt::Debug;
    use vjp::{Flat, Tolerance};

    /// The value 1 of `like`'s type.
    fn one<F: Flat>(like: F) -> F {
        like.from_flat(&[1.0])
    }

    /// A function of one active argument: the vjp against central finite differences at `x`
    /// (for v = 1 and a mixed v), its primal output against `f`, and the grad against the vjp
    /// at v = 1.
    pub fn unary<F: Flat + PartialEq + Debug>(
        f: impl Fn(F) -> F,
        vjp: impl Fn(F, F) -> (F, (F,)),
        grad: impl Fn(F) -> (F,),
        x: F,
        tolerance: Tolerance,
    ) {
        check_with(
            |(x,): (F,)| f(x),
            |(x,): (F,), v| vjp(x, v),
            (x,),
            tolerance,
        );
        assert_eq!(
            grad(x),
            vjp(x, one(x)).1,
            "grad and vjp(.., 1) differ at {x:?}"
        );
    }

    /// [`unary`] for two active arguments.
    pub fn binary<F: Flat + PartialEq + Debug>(
        f: impl Fn(F, F) -> F,
        vjp: impl Fn(F, F, F) -> (F, (F, F)),
        grad: impl Fn(F, F) -> (F, F),
        x: F,
        y: F,
        tolerance: Tolerance,
    ) {
        check_with(
            |(x, y): (F, F)| f(x, y),
            |(x, y): (F, F), v| vjp(x, y, v),
            (x, y),
            tolerance,
        );
        assert_eq!(
            grad(x, y),
            vjp(x, y, one(x)).1,
            "grad and vjp(.., 1) differ at {x:?}, {y:?}"
        );
    }

    /// [`unary`] for three active arguments.
    pub fn ternary<F: Flat + PartialEq + Debug>(
        f: impl Fn(F, F, F) -> F,
        vjp: impl Fn(F, F, F, F) -> (F, (F, F, F)),
        grad: impl Fn(F, F, F) -> (F, F, F),
        a: F,
        b: F,
        c: F,
        tolerance: Tolerance,
    ) {
        check_with(
            |(a, b, c): (F, F, F)| f(a, b, c),
            |(a, b, c): (F, F, F), v| vjp(a, b, c, v),
            (a, b, c),
            tolerance,
        );
        assert_eq!(
            grad(a, b, c),
            vjp(a, b, c, one(a)).1,
            "grad and vjp(.., 1) differ at {a:?}, {b:?}, {c:?}"
        );
    }
}

/// `f64`: every primitive, every form.
mod double {
    use super::check::{binary, ternary, unary};
    use vjp::{differentiable, Tolerance};

    #[differentiable]
    pub(super) fn sin_m(x: f64) -> f64 {
        x.sin()
    }

    #[differentiable]
    pub(super) fn sin_f(x: f64) -> f64 {
        f64::sin(x)
    }

    #[differentiable]
    pub(super) fn cos_m(x: f64) -> f64 {
        x.cos()
    }

    #[differentiable]
    pub(super) fn cos_f(x: f64) -> f64 {
        f64::cos(x)
    }

    #[differentiable]
    pub(super) fn tan_m(x: f64) -> f64 {
        x.tan()
    }

    #[differentiable]
    pub(super) fn tan_f(x: f64) -> f64 {
        f64::tan(x)
    }

    #[differentiable]
    pub(super) fn asin_m(x: f64) -> f64 {
        x.asin()
    }

    #[differentiable]
    pub(super) fn asin_f(x: f64) -> f64 {
        f64::asin(x)
    }

    #[differentiable]
    pub(super) fn acos_m(x: f64) -> f64 {
        x.acos()
    }

    #[differentiable]
    pub(super) fn acos_f(x: f64) -> f64 {
        f64::acos(x)
    }

    #[differentiable]
    pub(super) fn atan_m(x: f64) -> f64 {
        x.atan()
    }

    #[differentiable]
    pub(super) fn atan_f(x: f64) -> f64 {
        f64::atan(x)
    }

    #[differentiable]
    pub(super) fn sinh_m(x: f64) -> f64 {
        x.sinh()
    }

    #[differentiable]
    pub(super) fn sinh_f(x: f64) -> f64 {
        f64::sinh(x)
    }

    #[differentiable]
    pub(super) fn cosh_m(x: f64) -> f64 {
        x.cosh()
    }

    #[differentiable]
    pub(super) fn cosh_f(x: f64) -> f64 {
        f64::cosh(x)
    }

    #[differentiable]
    pub(super) fn tanh_m(x: f64) -> f64 {
        x.tanh()
    }

    #[differentiable]
    pub(super) fn tanh_f(x: f64) -> f64 {
        f64::tanh(x)
    }

    #[differentiable]
    pub(super) fn asinh_m(x: f64) -> f64 {
        x.asinh()
    }

    #[differentiable]
    pub(super) fn asinh_f(x: f64) -> f64 {
        f64::asinh(x)
    }

    #[differentiable]
    pub(super) fn acosh_m(x: f64) -> f64 {
        x.acosh()
    }

    #[differentiable]
    pub(super) fn acosh_f(x: f64) -> f64 {
        f64::acosh(x)
    }

    #[differentiable]
    pub(super) fn atanh_m(x: f64) -> f64 {
        x.atanh()
    }

    #[differentiable]
    pub(super) fn atanh_f(x: f64) -> f64 {
        f64::atanh(x)
    }

    #[differentiable]
    pub(super) fn exp_m(x: f64) -> f64 {
        x.exp()
    }

    #[differentiable]
    pub(super) fn exp_f(x: f64) -> f64 {
        f64::exp(x)
    }

    #[differentiable]
    pub(super) fn exp2_m(x: f64) -> f64 {
        x.exp2()
    }

    #[differentiable]
    pub(super) fn exp2_f(x: f64) -> f64 {
        f64::exp2(x)
    }

    #[differentiable]
    pub(super) fn exp_m1_m(x: f64) -> f64 {
        x.exp_m1()
    }

    #[differentiable]
    pub(super) fn exp_m1_f(x: f64) -> f64 {
        f64::exp_m1(x)
    }

    #[differentiable]
    pub(super) fn ln_m(x: f64) -> f64 {
        x.ln()
    }

    #[differentiable]
    pub(super) fn ln_f(x: f64) -> f64 {
        f64::ln(x)
    }

    #[differentiable]
    pub(super) fn log2_m(x: f64) -> f64 {
        x.log2()
    }

    #[differentiable]
    pub(super) fn log2_f(x: f64) -> f64 {
        f64::log2(x)
    }

    #[differentiable]
    pub(super) fn log10_m(x: f64) -> f64 {
        x.log10()
    }

    #[differentiable]
    pub(super) fn log10_f(x: f64) -> f64 {
        f64::log10(x)
    }

    #[differentiable]
    pub(super) fn ln_1p_m(x: f64) -> f64 {
        x.ln_1p()
    }

    #[differentiable]
    pub(super) fn ln_1p_f(x: f64) -> f64 {
        f64::ln_1p(x)
    }

    #[differentiable]
    pub(super) fn sqrt_m(x: f64) -> f64 {
        x.sqrt()
    }

    #[differentiable]
    pub(super) fn sqrt_f(x: f64) -> f64 {
        f64::sqrt(x)
    }

    #[differentiable]
    pub(super) fn cbrt_m(x: f64) -> f64 {
        x.cbrt()
    }

    #[differentiable]
    pub(super) fn cbrt_f(x: f64) -> f64 {
        f64::cbrt(x)
    }

    #[differentiable]
    pub(super) fn abs_m(x: f64) -> f64 {
        x.abs()
    }

    #[differentiable]
    pub(super) fn abs_f(x: f64) -> f64 {
        f64::abs(x)
    }

    #[differentiable]
    pub(super) fn recip_m(x: f64) -> f64 {
        x.recip()
    }

    #[differentiable]
    pub(super) fn recip_f(x: f64) -> f64 {
        f64::recip(x)
    }

    #[differentiable]
    pub(super) fn to_degrees_m(x: f64) -> f64 {
        x.to_degrees()
    }

    #[differentiable]
    pub(super) fn to_degrees_f(x: f64) -> f64 {
        f64::to_degrees(x)
    }

    #[differentiable]
    pub(super) fn to_radians_m(x: f64) -> f64 {
        x.to_radians()
    }

    #[differentiable]
    pub(super) fn to_radians_f(x: f64) -> f64 {
        f64::to_radians(x)
    }

    #[differentiable]
    pub(super) fn signum_m(x: f64) -> f64 {
        x.signum()
    }

    #[differentiable]
    pub(super) fn signum_f(x: f64) -> f64 {
        f64::signum(x)
    }

    #[differentiable]
    pub(super) fn floor_m(x: f64) -> f64 {
        x.floor()
    }

    #[differentiable]
    pub(super) fn floor_f(x: f64) -> f64 {
        f64::floor(x)
    }

    #[differentiable]
    pub(super) fn ceil_m(x: f64) -> f64 {
        x.ceil()
    }

    #[differentiable]
    pub(super) fn ceil_f(x: f64) -> f64 {
        f64::ceil(x)
    }

    #[differentiable]
    pub(super) fn round_m(x: f64) -> f64 {
        x.round()
    }

    #[differentiable]
    pub(super) fn round_f(x: f64) -> f64 {
        f64::round(x)
    }

    #[differentiable]
    pub(super) fn trunc_m(x: f64) -> f64 {
        x.trunc()
    }

    #[differentiable]
    pub(super) fn trunc_f(x: f64) -> f64 {
        f64::trunc(x)
    }

    #[differentiable]
    pub(super) fn powi_m(x: f64, n: i32) -> f64 {
        x.powi(n)
    }

    #[differentiable]
    pub(super) fn powi_f(x: f64, n: i32) -> f64 {
        f64::powi(x, n)
    }

    #[differentiable]
    pub(super) fn powi_m3(x: f64) -> f64 {
        x.powi(3)
    }

    #[differentiable]
    pub(super) fn powi_f_minus2(x: f64) -> f64 {
        f64::powi(x, -2)
    }

    #[differentiable]
    pub(super) fn powi_expr(x: f64, n: i32) -> f64 {
        x.powi(n + 1) * x.powi(2 * n - 1)
    }

    #[differentiable]
    pub(super) fn atan2_xy_m(x: f64, y: f64) -> f64 {
        x.atan2(y)
    }

    #[differentiable]
    pub(super) fn atan2_xy_f(x: f64, y: f64) -> f64 {
        f64::atan2(x, y)
    }

    #[differentiable]
    pub(super) fn atan2_x_m(x: f64) -> f64 {
        x.atan2(0.8)
    }

    #[differentiable]
    pub(super) fn atan2_x_f(x: f64, #[no_grad] y: f64) -> f64 {
        f64::atan2(x, y)
    }

    #[differentiable]
    pub(super) fn atan2_y_m(#[no_grad] x: f64, y: f64) -> f64 {
        x.atan2(y)
    }

    #[differentiable]
    pub(super) fn atan2_y_f(y: f64) -> f64 {
        f64::atan2(0.8, y)
    }

    #[differentiable]
    pub(super) fn atan2_y_c(y: f64) -> f64 {
        0.8_f64.atan2(y)
    }

    #[differentiable]
    pub(super) fn hypot_xy_m(x: f64, y: f64) -> f64 {
        x.hypot(y)
    }

    #[differentiable]
    pub(super) fn hypot_xy_f(x: f64, y: f64) -> f64 {
        f64::hypot(x, y)
    }

    #[differentiable]
    pub(super) fn hypot_x_m(x: f64) -> f64 {
        x.hypot(0.8)
    }

    #[differentiable]
    pub(super) fn hypot_x_f(x: f64, #[no_grad] y: f64) -> f64 {
        f64::hypot(x, y)
    }

    #[differentiable]
    pub(super) fn hypot_y_m(#[no_grad] x: f64, y: f64) -> f64 {
        x.hypot(y)
    }

    #[differentiable]
    pub(super) fn hypot_y_f(y: f64) -> f64 {
        f64::hypot(0.8, y)
    }

    #[differentiable]
    pub(super) fn hypot_y_c(y: f64) -> f64 {
        0.8_f64.hypot(y)
    }

    #[differentiable]
    pub(super) fn powf_xy_m(x: f64, y: f64) -> f64 {
        x.powf(y)
    }

    #[differentiable]
    pub(super) fn powf_xy_f(x: f64, y: f64) -> f64 {
        f64::powf(x, y)
    }

    #[differentiable]
    pub(super) fn powf_x_m(x: f64) -> f64 {
        x.powf(1.5)
    }

    #[differentiable]
    pub(super) fn powf_x_f(x: f64, #[no_grad] y: f64) -> f64 {
        f64::powf(x, y)
    }

    #[differentiable]
    pub(super) fn powf_y_m(#[no_grad] x: f64, y: f64) -> f64 {
        x.powf(y)
    }

    #[differentiable]
    pub(super) fn powf_y_f(y: f64) -> f64 {
        f64::powf(1.5, y)
    }

    #[differentiable]
    pub(super) fn powf_y_c(y: f64) -> f64 {
        1.5_f64.powf(y)
    }

    #[differentiable]
    pub(super) fn log_xy_m(x: f64, y: f64) -> f64 {
        x.log(y)
    }

    #[differentiable]
    pub(super) fn log_xy_f(x: f64, y: f64) -> f64 {
        f64::log(x, y)
    }

    #[differentiable]
    pub(super) fn log_x_m(x: f64) -> f64 {
        x.log(3.0)
    }

    #[differentiable]
    pub(super) fn log_x_f(x: f64, #[no_grad] y: f64) -> f64 {
        f64::log(x, y)
    }

    #[differentiable]
    pub(super) fn log_y_m(#[no_grad] x: f64, y: f64) -> f64 {
        x.log(y)
    }

    #[differentiable]
    pub(super) fn log_y_f(y: f64) -> f64 {
        f64::log(3.0, y)
    }

    #[differentiable]
    pub(super) fn log_y_c(y: f64) -> f64 {
        3.0_f64.log(y)
    }

    #[differentiable]
    pub(super) fn max_xy_m(x: f64, y: f64) -> f64 {
        x.max(y)
    }

    #[differentiable]
    pub(super) fn max_xy_f(x: f64, y: f64) -> f64 {
        f64::max(x, y)
    }

    #[differentiable]
    pub(super) fn max_x_m(x: f64) -> f64 {
        x.max(0.8)
    }

    #[differentiable]
    pub(super) fn max_x_f(x: f64, #[no_grad] y: f64) -> f64 {
        f64::max(x, y)
    }

    #[differentiable]
    pub(super) fn max_y_m(#[no_grad] x: f64, y: f64) -> f64 {
        x.max(y)
    }

    #[differentiable]
    pub(super) fn max_y_f(y: f64) -> f64 {
        f64::max(0.8, y)
    }

    #[differentiable]
    pub(super) fn max_y_c(y: f64) -> f64 {
        0.8_f64.max(y)
    }

    #[differentiable]
    pub(super) fn min_xy_m(x: f64, y: f64) -> f64 {
        x.min(y)
    }

    #[differentiable]
    pub(super) fn min_xy_f(x: f64, y: f64) -> f64 {
        f64::min(x, y)
    }

    #[differentiable]
    pub(super) fn min_x_m(x: f64) -> f64 {
        x.min(0.8)
    }

    #[differentiable]
    pub(super) fn min_x_f(x: f64, #[no_grad] y: f64) -> f64 {
        f64::min(x, y)
    }

    #[differentiable]
    pub(super) fn min_y_m(#[no_grad] x: f64, y: f64) -> f64 {
        x.min(y)
    }

    #[differentiable]
    pub(super) fn min_y_f(y: f64) -> f64 {
        f64::min(0.8, y)
    }

    #[differentiable]
    pub(super) fn min_y_c(y: f64) -> f64 {
        0.8_f64.min(y)
    }

    #[differentiable]
    pub(super) fn mul_add_abc_m(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }

    #[differentiable]
    pub(super) fn mul_add_abc_f(a: f64, b: f64, c: f64) -> f64 {
        f64::mul_add(a, b, c)
    }

    #[differentiable]
    pub(super) fn mul_add_a_m(a: f64) -> f64 {
        a.mul_add(-0.5, 2.0)
    }

    #[differentiable]
    pub(super) fn mul_add_b_m(b: f64) -> f64 {
        1.5_f64.mul_add(b, 2.0)
    }

    #[differentiable]
    pub(super) fn mul_add_c_m(c: f64) -> f64 {
        1.5_f64.mul_add(-0.5, c)
    }

    #[differentiable]
    pub(super) fn mul_add_a_f(a: f64, #[no_grad] b: f64, #[no_grad] c: f64) -> f64 {
        f64::mul_add(a, b, c)
    }

    #[differentiable]
    pub(super) fn mul_add_b_f(#[no_grad] a: f64, b: f64, #[no_grad] c: f64) -> f64 {
        f64::mul_add(a, b, c)
    }

    #[differentiable]
    pub(super) fn mul_add_c_f(#[no_grad] a: f64, #[no_grad] b: f64, c: f64) -> f64 {
        f64::mul_add(a, b, c)
    }

    #[differentiable]
    pub(super) fn mul_add_ab_m(a: f64, b: f64) -> f64 {
        a.mul_add(b, 2.0)
    }

    #[differentiable]
    pub(super) fn clamp_abc_m(a: f64, b: f64, c: f64) -> f64 {
        a.clamp(b, c)
    }

    #[differentiable]
    pub(super) fn clamp_abc_f(a: f64, b: f64, c: f64) -> f64 {
        f64::clamp(a, b, c)
    }

    #[differentiable]
    pub(super) fn clamp_a_m(a: f64) -> f64 {
        a.clamp(-1.0, 2.0)
    }

    #[differentiable]
    pub(super) fn clamp_b_m(b: f64) -> f64 {
        0.5_f64.clamp(b, 2.0)
    }

    #[differentiable]
    pub(super) fn clamp_c_m(c: f64) -> f64 {
        0.5_f64.clamp(-1.0, c)
    }

    #[differentiable]
    pub(super) fn clamp_a_f(a: f64, #[no_grad] b: f64, #[no_grad] c: f64) -> f64 {
        f64::clamp(a, b, c)
    }

    #[differentiable]
    pub(super) fn clamp_b_f(#[no_grad] a: f64, b: f64, #[no_grad] c: f64) -> f64 {
        f64::clamp(a, b, c)
    }

    #[differentiable]
    pub(super) fn clamp_c_f(#[no_grad] a: f64, #[no_grad] b: f64, c: f64) -> f64 {
        f64::clamp(a, b, c)
    }

    #[differentiable]
    pub(super) fn clamp_ab_m(a: f64, b: f64) -> f64 {
        a.clamp(b, 2.0)
    }

    #[differentiable]
    pub(super) fn fract_m(x: f64) -> f64 {
        x.fract()
    }

    #[differentiable]
    pub(super) fn fract_f(x: f64) -> f64 {
        f64::fract(x)
    }

    /// Each integer-valued primitive times `x`: the derivative is the sum of their values,
    /// exactly, because their own derivatives are 0.
    #[differentiable]
    pub(super) fn times_integer_valued(x: f64) -> f64 {
        x * x.floor() + x * f64::ceil(x) + x.round() * x + f64::trunc(x) * x + x.signum() * x
    }

    /// Primitives composed, with their outputs reused (the rules receive the primal output).
    #[differentiable]
    pub(super) fn composite(x: f64, y: f64) -> f64 {
        let e = x.exp();
        let t = (x * y).tanh();
        let s = f64::sqrt(e + t * t);
        e * t + s.ln() + f64::hypot(s, y).powf(0.5) + x.atan2(y).powi(2) + x.sin().exp().sqrt()
    }

    #[test]
    fn fract() {
        for x in [-1.3, 0.4, 2.7] {
            unary(fract_m, fract_m_vjp, fract_m_grad, x, Tolerance::f64());
            unary(fract_f, fract_f_vjp, fract_f_grad, x, Tolerance::f64());
            assert_eq!(fract_m_grad(x), (1.0,));
        }
    }

    #[test]
    fn integer_valued_primitives_have_derivative_exactly_zero() {
        type Grad = fn(f64) -> (f64,);
        let grads: [(&str, Grad); 10] = [
            ("floor_m", floor_m_grad),
            ("floor_f", floor_f_grad),
            ("ceil_m", ceil_m_grad),
            ("ceil_f", ceil_f_grad),
            ("round_m", round_m_grad),
            ("round_f", round_f_grad),
            ("trunc_m", trunc_m_grad),
            ("trunc_f", trunc_f_grad),
            ("signum_m", signum_m_grad),
            ("signum_f", signum_f_grad),
        ];
        // The jumps included: integers for floor, ceil and trunc, halves for round, 0 for signum.
        for x in [-2.5, -2.0, -1.3, -0.0, 0.0, 0.4, 0.5, 1.0, 2.5, 2.7] {
            for (name, grad) in grads {
                assert_eq!(grad(x), (0.0,), "{name} at {x}");
            }
        }
        assert_eq!(floor_m_vjp(2.7, 3.0), (2.0, (0.0,)));
        assert_eq!(ceil_f_vjp(2.0, 3.0), (2.0, (0.0,)));
        assert_eq!(round_f_vjp(0.5, -2.0), (1.0, (0.0,)));
        assert_eq!(trunc_m_vjp(-1.3, 1.0), (-1.0, (0.0,)));
        assert_eq!(signum_m_vjp(0.0, 5.0), (1.0, (0.0,)));
        assert_eq!(signum_f_vjp(-0.0, 5.0), (-1.0, (0.0,)));
    }

    #[test]
    fn integer_valued_primitives_pass_no_derivative_through_a_product() {
        for x in [-2.5_f64, -1.3, 0.4, 1.0, 2.5, 2.7] {
            let expected = x.floor() + x.ceil() + x.round() + x.trunc() + x.signum();
            assert_eq!(times_integer_valued_grad(x), (expected,), "at {x}");
        }
        unary(
            times_integer_valued,
            times_integer_valued_vjp,
            times_integer_valued_grad,
            0.4,
            Tolerance::f64(),
        );
    }

    #[test]
    fn abs_at_zero_has_derivative_zero() {
        for x in [0.0, -0.0] {
            assert_eq!(abs_m_grad(x), (0.0,));
            assert_eq!(abs_f_grad(x), (0.0,));
            assert_eq!(abs_m_vjp(x, 2.5), (0.0, (0.0,)));
        }
        assert_eq!(abs_m_grad(3.0), (1.0,));
        assert_eq!(abs_f_grad(-3.0), (-1.0,));
    }

    #[test]
    fn max_and_min_give_half_to_each_argument_at_a_tie() {
        for t in [-1.5, 0.0, 0.8, 2.0] {
            assert_eq!(max_xy_m_vjp(t, t, 1.0), (t, (0.5, 0.5)));
            assert_eq!(max_xy_f_vjp(t, t, 3.0), (t, (1.5, 1.5)));
            assert_eq!(min_xy_m_vjp(t, t, 1.0), (t, (0.5, 0.5)));
            assert_eq!(min_xy_f_grad(t, t), (0.5, 0.5));
            // One argument active, the other `#[no_grad]` and equal: the active one gets half.
            assert_eq!(max_x_f_grad(t, t), (0.5,));
            assert_eq!(max_y_m_grad(t, t), (0.5,));
            assert_eq!(min_x_f_grad(t, t), (0.5,));
            assert_eq!(min_y_m_grad(t, t), (0.5,));
        }
        // A tie with a constant (0.8).
        assert_eq!(max_x_m_grad(0.8), (0.5,));
        assert_eq!(max_y_f_grad(0.8), (0.5,));
        assert_eq!(max_y_c_grad(0.8), (0.5,));
        assert_eq!(min_x_m_grad(0.8), (0.5,));
        assert_eq!(min_y_f_grad(0.8), (0.5,));
        assert_eq!(min_y_c_grad(0.8), (0.5,));
        // Away from a tie, everything goes to the argument returned.
        assert_eq!(max_xy_m_grad(2.0, 1.0), (1.0, 0.0));
        assert_eq!(max_xy_f_grad(1.0, 2.0), (0.0, 1.0));
        assert_eq!(min_xy_m_grad(2.0, 1.0), (0.0, 1.0));
        assert_eq!(min_xy_f_grad(1.0, 2.0), (1.0, 0.0));
        assert_eq!(max_x_m_grad(0.5), (0.0,));
        assert_eq!(min_x_m_grad(0.5), (1.0,));
    }

    #[test]
    fn clamp_counts_its_bounds_as_inside() {
        let (lo, hi) = (-1.0, 2.0);
        // At a bound or strictly inside: everything to x.
        for x in [lo, 0.5, hi] {
            assert_eq!(clamp_abc_m_vjp(x, lo, hi, 1.0), (x, (1.0, 0.0, 0.0)));
            assert_eq!(clamp_abc_f_grad(x, lo, hi), (1.0, 0.0, 0.0));
            assert_eq!(clamp_a_m_grad(x), (1.0,));
            assert_eq!(clamp_a_f_grad(x, lo, hi), (1.0,));
            assert_eq!(clamp_b_f_grad(x, lo, hi), (0.0,));
            assert_eq!(clamp_c_f_grad(x, lo, hi), (0.0,));
        }
        // Below: to lo; above: to hi.
        assert_eq!(clamp_abc_m_vjp(-3.0, lo, hi, 2.0), (lo, (0.0, 2.0, 0.0)));
        assert_eq!(clamp_abc_f_vjp(5.0, lo, hi, 2.0), (hi, (0.0, 0.0, 2.0)));
        assert_eq!(clamp_a_m_grad(-3.0), (0.0,));
        assert_eq!(clamp_a_m_grad(5.0), (0.0,));
        assert_eq!(clamp_b_f_grad(-3.0, lo, hi), (1.0,));
        assert_eq!(clamp_c_f_grad(5.0, lo, hi), (1.0,));
        assert_eq!(clamp_b_f_grad(5.0, lo, hi), (0.0,));
        assert_eq!(clamp_c_f_grad(-3.0, lo, hi), (0.0,));
        // The constant receiver 0.5 exactly on a bound counts as inside, so the bound gets 0.
        assert_eq!(clamp_b_m_grad(0.5), (0.0,));
        assert_eq!(clamp_b_m_grad(0.75), (1.0,));
        assert_eq!(clamp_c_m_grad(0.5), (0.0,));
        assert_eq!(clamp_c_m_grad(0.25), (1.0,));
        // A degenerate interval lo == hi == x.
        assert_eq!(clamp_abc_m_grad(1.0, 1.0, 1.0), (1.0, 0.0, 0.0));
    }

    #[test]
    fn powi_with_exponent_zero_has_derivative_zero() {
        for x in [0.0, 2.0, -3.0] {
            assert_eq!(powi_m_grad(x, 0), (0.0,));
            assert_eq!(powi_f_grad(x, 0), (0.0,));
        }
        assert_eq!(powi_m_grad(0.0, 1), (1.0,));
        assert_eq!(powi_m3_grad(2.0), (12.0,));
        assert_eq!(powi_f_minus2_grad(2.0), (-0.25,));
    }

    #[test]
    fn closed_forms() {
        use std::f64::consts::PI;
        let close =
            |a: f64, b: f64| assert!((a - b).abs() <= 1e-14 * b.abs().max(1.0), "{a} vs {b}");
        close(to_degrees_m_grad(0.3).0, 180.0 / PI);
        close(to_radians_f_grad(0.3).0, PI / 180.0);
        let (a, b) = (0.5, -1.25);
        let r2 = a * a + b * b;
        let (da, db) = atan2_xy_m_grad(a, b);
        close(da, b / r2);
        close(db, -a / r2);
        let (dx, dy) = hypot_xy_f_grad(3.0, -4.0);
        close(dx, 0.6);
        close(dy, -0.8);
        let (dx, dy) = powf_xy_m_grad(2.0, 3.0);
        close(dx, 12.0);
        close(dy, 8.0 * 2f64.ln());
        let (dx, db) = log_xy_f_grad(8.0, 2.0);
        close(dx, 1.0 / (8.0 * 2f64.ln()));
        close(db, -3.0 / (2.0 * 2f64.ln()));
        close(exp2_m_grad(3.0).0, 8.0 * 2f64.ln());
        close(log10_f_grad(100.0).0, 1.0 / (100.0 * 10f64.ln()));
        close(cbrt_m_grad(8.0).0, 1.0 / 12.0);
        assert_eq!(mul_add_abc_m_grad(1.5, -0.5, 2.0), (-0.5, 1.5, 1.0));
    }

    #[test]
    fn composite_of_primitives() {
        for (x, y) in [(0.3, 0.9), (-0.6, 1.4), (1.1, -0.45)] {
            binary(
                composite,
                composite_vjp,
                composite_grad,
                x,
                y,
                Tolerance::f64(),
            );
        }
    }

    #[test]
    fn sin() {
        for x in [-1.2, -0.3, 0.4, 1.1] {
            unary(sin_m, sin_m_vjp, sin_m_grad, x, Tolerance::f64());
            unary(sin_f, sin_f_vjp, sin_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn cos() {
        for x in [-1.2, -0.3, 0.4, 1.1] {
            unary(cos_m, cos_m_vjp, cos_m_grad, x, Tolerance::f64());
            unary(cos_f, cos_f_vjp, cos_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn tan() {
        for x in [-1.2, -0.3, 0.4, 1.1] {
            unary(tan_m, tan_m_vjp, tan_m_grad, x, Tolerance::f64());
            unary(tan_f, tan_f_vjp, tan_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn asin() {
        for x in [-0.8, -0.2, 0.3, 0.9] {
            unary(asin_m, asin_m_vjp, asin_m_grad, x, Tolerance::f64());
            unary(asin_f, asin_f_vjp, asin_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn acos() {
        for x in [-0.8, -0.2, 0.3, 0.9] {
            unary(acos_m, acos_m_vjp, acos_m_grad, x, Tolerance::f64());
            unary(acos_f, acos_f_vjp, acos_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn atan() {
        for x in [-3.0, -0.5, 0.2, 4.0] {
            unary(atan_m, atan_m_vjp, atan_m_grad, x, Tolerance::f64());
            unary(atan_f, atan_f_vjp, atan_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn sinh() {
        for x in [-2.0, -0.4, 0.3, 1.7] {
            unary(sinh_m, sinh_m_vjp, sinh_m_grad, x, Tolerance::f64());
            unary(sinh_f, sinh_f_vjp, sinh_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn cosh() {
        for x in [-2.0, -0.4, 0.3, 1.7] {
            unary(cosh_m, cosh_m_vjp, cosh_m_grad, x, Tolerance::f64());
            unary(cosh_f, cosh_f_vjp, cosh_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn tanh() {
        for x in [-2.0, -0.4, 0.3, 1.7] {
            unary(tanh_m, tanh_m_vjp, tanh_m_grad, x, Tolerance::f64());
            unary(tanh_f, tanh_f_vjp, tanh_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn asinh() {
        for x in [-2.0, -0.4, 0.3, 1.7] {
            unary(asinh_m, asinh_m_vjp, asinh_m_grad, x, Tolerance::f64());
            unary(asinh_f, asinh_f_vjp, asinh_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn acosh() {
        for x in [1.2, 2.0, 5.5] {
            unary(acosh_m, acosh_m_vjp, acosh_m_grad, x, Tolerance::f64());
            unary(acosh_f, acosh_f_vjp, acosh_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn atanh() {
        for x in [-0.8, -0.2, 0.3, 0.6] {
            unary(atanh_m, atanh_m_vjp, atanh_m_grad, x, Tolerance::f64());
            unary(atanh_f, atanh_f_vjp, atanh_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn exp() {
        for x in [-2.0, -0.1, 0.5, 3.0] {
            unary(exp_m, exp_m_vjp, exp_m_grad, x, Tolerance::f64());
            unary(exp_f, exp_f_vjp, exp_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn exp2() {
        for x in [-2.0, -0.1, 0.5, 3.0] {
            unary(exp2_m, exp2_m_vjp, exp2_m_grad, x, Tolerance::f64());
            unary(exp2_f, exp2_f_vjp, exp2_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn exp_m1() {
        for x in [-2.0, -0.1, 0.001, 0.5, 3.0] {
            unary(exp_m1_m, exp_m1_m_vjp, exp_m1_m_grad, x, Tolerance::f64());
            unary(exp_m1_f, exp_m1_f_vjp, exp_m1_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn ln() {
        for x in [0.2, 1.0, 3.5, 40.0] {
            unary(ln_m, ln_m_vjp, ln_m_grad, x, Tolerance::f64());
            unary(ln_f, ln_f_vjp, ln_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn log2() {
        for x in [0.2, 1.0, 3.5, 40.0] {
            unary(log2_m, log2_m_vjp, log2_m_grad, x, Tolerance::f64());
            unary(log2_f, log2_f_vjp, log2_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn log10() {
        for x in [0.2, 1.0, 3.5, 40.0] {
            unary(log10_m, log10_m_vjp, log10_m_grad, x, Tolerance::f64());
            unary(log10_f, log10_f_vjp, log10_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn ln_1p() {
        for x in [-0.5, 0.0, 0.1, 3.0] {
            unary(ln_1p_m, ln_1p_m_vjp, ln_1p_m_grad, x, Tolerance::f64());
            unary(ln_1p_f, ln_1p_f_vjp, ln_1p_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn sqrt() {
        for x in [0.05, 1.0, 2.5, 100.0] {
            unary(sqrt_m, sqrt_m_vjp, sqrt_m_grad, x, Tolerance::f64());
            unary(sqrt_f, sqrt_f_vjp, sqrt_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn cbrt() {
        for x in [-2.0, 0.3, 8.0] {
            unary(cbrt_m, cbrt_m_vjp, cbrt_m_grad, x, Tolerance::f64());
            unary(cbrt_f, cbrt_f_vjp, cbrt_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn abs() {
        for x in [-2.0, -0.3, 0.6, 4.0] {
            unary(abs_m, abs_m_vjp, abs_m_grad, x, Tolerance::f64());
            unary(abs_f, abs_f_vjp, abs_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn recip() {
        for x in [-2.0, 0.3, 5.0] {
            unary(recip_m, recip_m_vjp, recip_m_grad, x, Tolerance::f64());
            unary(recip_f, recip_f_vjp, recip_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn to_degrees() {
        for x in [-2.0, 0.3, 5.0] {
            unary(
                to_degrees_m,
                to_degrees_m_vjp,
                to_degrees_m_grad,
                x,
                Tolerance::f64(),
            );
            unary(
                to_degrees_f,
                to_degrees_f_vjp,
                to_degrees_f_grad,
                x,
                Tolerance::f64(),
            );
        }
    }

    #[test]
    fn to_radians() {
        for x in [-200.0, 0.3, 45.0] {
            unary(
                to_radians_m,
                to_radians_m_vjp,
                to_radians_m_grad,
                x,
                Tolerance::f64(),
            );
            unary(
                to_radians_f,
                to_radians_f_vjp,
                to_radians_f_grad,
                x,
                Tolerance::f64(),
            );
        }
    }

    #[test]
    fn signum() {
        for x in [-2.0, -0.3, 0.6, 4.0] {
            unary(signum_m, signum_m_vjp, signum_m_grad, x, Tolerance::f64());
            unary(signum_f, signum_f_vjp, signum_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn floor() {
        for x in [-1.3, 0.4, 2.7] {
            unary(floor_m, floor_m_vjp, floor_m_grad, x, Tolerance::f64());
            unary(floor_f, floor_f_vjp, floor_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn ceil() {
        for x in [-1.3, 0.4, 2.7] {
            unary(ceil_m, ceil_m_vjp, ceil_m_grad, x, Tolerance::f64());
            unary(ceil_f, ceil_f_vjp, ceil_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn round() {
        for x in [-1.3, 0.4, 2.7] {
            unary(round_m, round_m_vjp, round_m_grad, x, Tolerance::f64());
            unary(round_f, round_f_vjp, round_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn trunc() {
        for x in [-1.3, 0.4, 2.7] {
            unary(trunc_m, trunc_m_vjp, trunc_m_grad, x, Tolerance::f64());
            unary(trunc_f, trunc_f_vjp, trunc_f_grad, x, Tolerance::f64());
        }
    }

    #[test]
    fn powi() {
        for (x, n) in [
            (-1.5, -3),
            (-1.5, -2),
            (-1.5, -1),
            (-1.5, 0),
            (-1.5, 1),
            (-1.5, 2),
            (-1.5, 5),
            (0.4, -3),
            (0.4, -2),
            (0.4, -1),
            (0.4, 0),
            (0.4, 1),
            (0.4, 2),
            (0.4, 5),
            (2.0, -3),
            (2.0, -2),
            (2.0, -1),
            (2.0, 0),
            (2.0, 1),
            (2.0, 2),
            (2.0, 5),
        ] {
            unary(
                |x| powi_m(x, n),
                |x, v| powi_m_vjp(x, n, v),
                |x| powi_m_grad(x, n),
                x,
                Tolerance::f64(),
            );
            unary(
                |x| powi_f(x, n),
                |x, v| powi_f_vjp(x, n, v),
                |x| powi_f_grad(x, n),
                x,
                Tolerance::f64(),
            );
            unary(
                |x| powi_expr(x, n),
                |x, v| powi_expr_vjp(x, n, v),
                |x| powi_expr_grad(x, n),
                x,
                Tolerance::f64(),
            );
            unary(powi_m3, powi_m3_vjp, powi_m3_grad, x, Tolerance::f64());
            unary(
                powi_f_minus2,
                powi_f_minus2_vjp,
                powi_f_minus2_grad,
                x,
                Tolerance::f64(),
            );
        }
    }

    #[test]
    fn atan2() {
        for (x, y) in [(0.5, 0.8), (-1.0, -0.3), (2.0, -1.5)] {
            binary(
                atan2_xy_m,
                atan2_xy_m_vjp,
                atan2_xy_m_grad,
                x,
                y,
                Tolerance::f64(),
            );
            binary(
                atan2_xy_f,
                atan2_xy_f_vjp,
                atan2_xy_f_grad,
                x,
                y,
                Tolerance::f64(),
            );
            unary(
                atan2_x_m,
                atan2_x_m_vjp,
                atan2_x_m_grad,
                x,
                Tolerance::f64(),
            );
            unary(
                |x| atan2_x_f(x, y),
                |x, v| atan2_x_f_vjp(x, y, v),
                |x| atan2_x_f_grad(x, y),
                x,
                Tolerance::f64(),
            );
            unary(
                |y| atan2_y_m(x, y),
                |y, v| atan2_y_m_vjp(x, y, v),
                |y| atan2_y_m_grad(x, y),
                y,
                Tolerance::f64(),
            );
            unary(
                atan2_y_f,
                atan2_y_f_vjp,
                atan2_y_f_grad,
                y,
                Tolerance::f64(),
            );
            unary(
                atan2_y_c,
                atan2_y_c_vjp,
                atan2_y_c_grad,
                y,
                Tolerance::f64(),
            );
        }
    }

    #[test]
    fn hypot() {
        for (x, y) in [(3.0, -4.0), (0.2, 0.9), (-1.1, 0.05)] {
            binary(
                hypot_xy_m,
                hypot_xy_m_vjp,
                hypot_xy_m_grad,
                x,
                y,
                Tolerance::f64(),
            );
            binary(
                hypot_xy_f,
                hypot_xy_f_vjp,
                hypot_xy_f_grad,
                x,
                y,
                Tolerance::f64(),
            );
            unary(
                hypot_x_m,
                hypot_x_m_vjp,
                hypot_x_m_grad,
                x,
                Tolerance::f64(),
            );
            unary(
                |x| hypot_x_f(x, y),
                |x, v| hypot_x_f_vjp(x, y, v),
                |x| hypot_x_f_grad(x, y),
                x,
                Tolerance::f64(),
            );
            unary(
                |y| hypot_y_m(x, y),
                |y, v| hypot_y_m_vjp(x, y, v),
                |y| hypot_y_m_grad(x, y),
                y,
                Tolerance::f64(),
            );
            unary(
                hypot_y_f,
                hypot_y_f_vjp,
                hypot_y_f_grad,
                y,
                Tolerance::f64(),
            );
            unary(
                hypot_y_c,
                hypot_y_c_vjp,
                hypot_y_c_grad,
                y,
                Tolerance::f64(),
            );
        }
    }

    #[test]
    fn powf() {
        for (x, y) in [(0.3, -1.5), (1.7, 0.5), (4.0, 2.5)] {
            binary(
                powf_xy_m,
                powf_xy_m_vjp,
                powf_xy_m_grad,
                x,
                y,
                Tolerance::f64(),
            );
            binary(
                powf_xy_f,
                powf_xy_f_vjp,
                powf_xy_f_grad,
                x,
                y,
                Tolerance::f64(),
            );
            unary(powf_x_m, powf_x_m_vjp, powf_x_m_grad, x, Tolerance::f64());
            unary(
                |x| powf_x_f(x, y),
                |x, v| powf_x_f_vjp(x, y, v),
                |x| powf_x_f_grad(x, y),
                x,
                Tolerance::f64(),
            );
            unary(
                |y| powf_y_m(x, y),
                |y, v| powf_y_m_vjp(x, y, v),
                |y| powf_y_m_grad(x, y),
                y,
                Tolerance::f64(),
            );
            unary(powf_y_f, powf_y_f_vjp, powf_y_f_grad, y, Tolerance::f64());
            unary(powf_y_c, powf_y_c_vjp, powf_y_c_grad, y, Tolerance::f64());
        }
    }

    #[test]
    fn log() {
        for (x, y) in [(0.5, 2.0), (3.0, 10.0), (7.0, 0.5)] {
            binary(
                log_xy_m,
                log_xy_m_vjp,
                log_xy_m_grad,
                x,
                y,
                Tolerance::f64(),
            );
            binary(
                log_xy_f,
                log_xy_f_vjp,
                log_xy_f_grad,
                x,
                y,
                Tolerance::f64(),
            );
            unary(log_x_m, log_x_m_vjp, log_x_m_grad, x, Tolerance::f64());
            unary(
                |x| log_x_f(x, y),
                |x, v| log_x_f_vjp(x, y, v),
                |x| log_x_f_grad(x, y),
                x,
                Tolerance::f64(),
            );
            unary(
                |y| log_y_m(x, y),
                |y, v| log_y_m_vjp(x, y, v),
                |y| log_y_m_grad(x, y),
                y,
                Tolerance::f64(),
            );
            unary(log_y_f, log_y_f_vjp, log_y_f_grad, y, Tolerance::f64());
            unary(log_y_c, log_y_c_vjp, log_y_c_grad, y, Tolerance::f64());
        }
    }

    #[test]
    fn max() {
        for (x, y) in [(1.0, 2.0), (3.0, -1.0), (-0.5, -0.25)] {
            binary(
                max_xy_m,
                max_xy_m_vjp,
                max_xy_m_grad,
                x,
                y,
                Tolerance::f64(),
            );
            binary(
                max_xy_f,
                max_xy_f_vjp,
                max_xy_f_grad,
                x,
                y,
                Tolerance::f64(),
            );
            unary(max_x_m, max_x_m_vjp, max_x_m_grad, x, Tolerance::f64());
            unary(
                |x| max_x_f(x, y),
                |x, v| max_x_f_vjp(x, y, v),
                |x| max_x_f_grad(x, y),
                x,
                Tolerance::f64(),
            );
            unary(
                |y| max_y_m(x, y),
                |y, v| max_y_m_vjp(x, y, v),
                |y| max_y_m_grad(x, y),
                y,
                Tolerance::f64(),
            );
            unary(max_y_f, max_y_f_vjp, max_y_f_grad, y, Tolerance::f64());
            unary(max_y_c, max_y_c_vjp, max_y_c_grad, y, Tolerance::f64());
        }
    }

    #[test]
    fn min() {
        for (x, y) in [(1.0, 2.0), (3.0, -1.0), (-0.5, -0.25)] {
            binary(
                min_xy_m,
                min_xy_m_vjp,
                min_xy_m_grad,
                x,
                y,
                Tolerance::f64(),
            );
            binary(
                min_xy_f,
                min_xy_f_vjp,
                min_xy_f_grad,
                x,
                y,
                Tolerance::f64(),
            );
            unary(min_x_m, min_x_m_vjp, min_x_m_grad, x, Tolerance::f64());
            unary(
                |x| min_x_f(x, y),
                |x, v| min_x_f_vjp(x, y, v),
                |x| min_x_f_grad(x, y),
                x,
                Tolerance::f64(),
            );
            unary(
                |y| min_y_m(x, y),
                |y, v| min_y_m_vjp(x, y, v),
                |y| min_y_m_grad(x, y),
                y,
                Tolerance::f64(),
            );
            unary(min_y_f, min_y_f_vjp, min_y_f_grad, y, Tolerance::f64());
            unary(min_y_c, min_y_c_vjp, min_y_c_grad, y, Tolerance::f64());
        }
    }

    #[test]
    fn mul_add() {
        for (a, b, c) in [(1.2, -0.7, 3.0), (-2.0, 0.4, -1.0)] {
            ternary(
                mul_add_abc_m,
                mul_add_abc_m_vjp,
                mul_add_abc_m_grad,
                a,
                b,
                c,
                Tolerance::f64(),
            );
            ternary(
                mul_add_abc_f,
                mul_add_abc_f_vjp,
                mul_add_abc_f_grad,
                a,
                b,
                c,
                Tolerance::f64(),
            );
            unary(
                mul_add_a_m,
                mul_add_a_m_vjp,
                mul_add_a_m_grad,
                a,
                Tolerance::f64(),
            );
            unary(
                mul_add_b_m,
                mul_add_b_m_vjp,
                mul_add_b_m_grad,
                b,
                Tolerance::f64(),
            );
            unary(
                mul_add_c_m,
                mul_add_c_m_vjp,
                mul_add_c_m_grad,
                c,
                Tolerance::f64(),
            );
            unary(
                |a| mul_add_a_f(a, b, c),
                |a, v| mul_add_a_f_vjp(a, b, c, v),
                |a| mul_add_a_f_grad(a, b, c),
                a,
                Tolerance::f64(),
            );
            unary(
                |b| mul_add_b_f(a, b, c),
                |b, v| mul_add_b_f_vjp(a, b, c, v),
                |b| mul_add_b_f_grad(a, b, c),
                b,
                Tolerance::f64(),
            );
            unary(
                |c| mul_add_c_f(a, b, c),
                |c, v| mul_add_c_f_vjp(a, b, c, v),
                |c| mul_add_c_f_grad(a, b, c),
                c,
                Tolerance::f64(),
            );
            binary(
                mul_add_ab_m,
                mul_add_ab_m_vjp,
                mul_add_ab_m_grad,
                a,
                b,
                Tolerance::f64(),
            );
        }
    }

    #[test]
    fn clamp() {
        for (a, b, c) in [
            (0.5, -1.0, 2.0),
            (-2.0, -1.0, 2.0),
            (3.0, -1.0, 2.0),
            (1.9, -0.3, 2.2),
            (0.1, 0.7, 2.0),
            (0.9, -1.0, 0.4),
        ] {
            ternary(
                clamp_abc_m,
                clamp_abc_m_vjp,
                clamp_abc_m_grad,
                a,
                b,
                c,
                Tolerance::f64(),
            );
            ternary(
                clamp_abc_f,
                clamp_abc_f_vjp,
                clamp_abc_f_grad,
                a,
                b,
                c,
                Tolerance::f64(),
            );
            unary(
                clamp_a_m,
                clamp_a_m_vjp,
                clamp_a_m_grad,
                a,
                Tolerance::f64(),
            );
            unary(
                clamp_b_m,
                clamp_b_m_vjp,
                clamp_b_m_grad,
                b,
                Tolerance::f64(),
            );
            unary(
                clamp_c_m,
                clamp_c_m_vjp,
                clamp_c_m_grad,
                c,
                Tolerance::f64(),
            );
            unary(
                |a| clamp_a_f(a, b, c),
                |a, v| clamp_a_f_vjp(a, b, c, v),
                |a| clamp_a_f_grad(a, b, c),
                a,
                Tolerance::f64(),
            );
            unary(
                |b| clamp_b_f(a, b, c),
                |b, v| clamp_b_f_vjp(a, b, c, v),
                |b| clamp_b_f_grad(a, b, c),
                b,
                Tolerance::f64(),
            );
            unary(
                |c| clamp_c_f(a, b, c),
                |c, v| clamp_c_f_vjp(a, b, c, v),
                |c| clamp_c_f_grad(a, b, c),
                c,
                Tolerance::f64(),
            );
            binary(
                clamp_ab_m,
                clamp_ab_m_vjp,
                clamp_ab_m_grad,
                a,
                b,
                Tolerance::f64(),
            );
        }
    }
}

/// `f32`: every primitive in both forms, with the `f32` tolerance, and each gradient against the
/// `f64` one at the same (rounded) point.
mod single {
    use super::check::{binary, ternary, unary};
    use super::common::assert_f32_matches_f64 as cross;
    use vjp::{differentiable, Tolerance};

    #[differentiable]
    fn sin_m(x: f32) -> f32 {
        x.sin()
    }

    #[differentiable]
    fn sin_f(x: f32) -> f32 {
        f32::sin(x)
    }

    #[differentiable]
    fn cos_m(x: f32) -> f32 {
        x.cos()
    }

    #[differentiable]
    fn cos_f(x: f32) -> f32 {
        f32::cos(x)
    }

    #[differentiable]
    fn tan_m(x: f32) -> f32 {
        x.tan()
    }

    #[differentiable]
    fn tan_f(x: f32) -> f32 {
        f32::tan(x)
    }

    #[differentiable]
    fn asin_m(x: f32) -> f32 {
        x.asin()
    }

    #[differentiable]
    fn asin_f(x: f32) -> f32 {
        f32::asin(x)
    }

    #[differentiable]
    fn acos_m(x: f32) -> f32 {
        x.acos()
    }

    #[differentiable]
    fn acos_f(x: f32) -> f32 {
        f32::acos(x)
    }

    #[differentiable]
    fn atan_m(x: f32) -> f32 {
        x.atan()
    }

    #[differentiable]
    fn atan_f(x: f32) -> f32 {
        f32::atan(x)
    }

    #[differentiable]
    fn sinh_m(x: f32) -> f32 {
        x.sinh()
    }

    #[differentiable]
    fn sinh_f(x: f32) -> f32 {
        f32::sinh(x)
    }

    #[differentiable]
    fn cosh_m(x: f32) -> f32 {
        x.cosh()
    }

    #[differentiable]
    fn cosh_f(x: f32) -> f32 {
        f32::cosh(x)
    }

    #[differentiable]
    fn tanh_m(x: f32) -> f32 {
        x.tanh()
    }

    #[differentiable]
    fn tanh_f(x: f32) -> f32 {
        f32::tanh(x)
    }

    #[differentiable]
    fn asinh_m(x: f32) -> f32 {
        x.asinh()
    }

    #[differentiable]
    fn asinh_f(x: f32) -> f32 {
        f32::asinh(x)
    }

    #[differentiable]
    fn acosh_m(x: f32) -> f32 {
        x.acosh()
    }

    #[differentiable]
    fn acosh_f(x: f32) -> f32 {
        f32::acosh(x)
    }

    #[differentiable]
    fn atanh_m(x: f32) -> f32 {
        x.atanh()
    }

    #[differentiable]
    fn atanh_f(x: f32) -> f32 {
        f32::atanh(x)
    }

    #[differentiable]
    fn exp_m(x: f32) -> f32 {
        x.exp()
    }

    #[differentiable]
    fn exp_f(x: f32) -> f32 {
        f32::exp(x)
    }

    #[differentiable]
    fn exp2_m(x: f32) -> f32 {
        x.exp2()
    }

    #[differentiable]
    fn exp2_f(x: f32) -> f32 {
        f32::exp2(x)
    }

    #[differentiable]
    fn exp_m1_m(x: f32) -> f32 {
        x.exp_m1()
    }

    #[differentiable]
    fn exp_m1_f(x: f32) -> f32 {
        f32::exp_m1(x)
    }

    #[differentiable]
    fn ln_m(x: f32) -> f32 {
        x.ln()
    }

    #[differentiable]
    fn ln_f(x: f32) -> f32 {
        f32::ln(x)
    }

    #[differentiable]
    fn log2_m(x: f32) -> f32 {
        x.log2()
    }

    #[differentiable]
    fn log2_f(x: f32) -> f32 {
        f32::log2(x)
    }

    #[differentiable]
    fn log10_m(x: f32) -> f32 {
        x.log10()
    }

    #[differentiable]
    fn log10_f(x: f32) -> f32 {
        f32::log10(x)
    }

    #[differentiable]
    fn ln_1p_m(x: f32) -> f32 {
        x.ln_1p()
    }

    #[differentiable]
    fn ln_1p_f(x: f32) -> f32 {
        f32::ln_1p(x)
    }

    #[differentiable]
    fn sqrt_m(x: f32) -> f32 {
        x.sqrt()
    }

    #[differentiable]
    fn sqrt_f(x: f32) -> f32 {
        f32::sqrt(x)
    }

    #[differentiable]
    fn cbrt_m(x: f32) -> f32 {
        x.cbrt()
    }

    #[differentiable]
    fn cbrt_f(x: f32) -> f32 {
        f32::cbrt(x)
    }

    #[differentiable]
    fn abs_m(x: f32) -> f32 {
        x.abs()
    }

    #[differentiable]
    fn abs_f(x: f32) -> f32 {
        f32::abs(x)
    }

    #[differentiable]
    fn recip_m(x: f32) -> f32 {
        x.recip()
    }

    #[differentiable]
    fn recip_f(x: f32) -> f32 {
        f32::recip(x)
    }

    #[differentiable]
    fn to_degrees_m(x: f32) -> f32 {
        x.to_degrees()
    }

    #[differentiable]
    fn to_degrees_f(x: f32) -> f32 {
        f32::to_degrees(x)
    }

    #[differentiable]
    fn to_radians_m(x: f32) -> f32 {
        x.to_radians()
    }

    #[differentiable]
    fn to_radians_f(x: f32) -> f32 {
        f32::to_radians(x)
    }

    #[differentiable]
    fn signum_m(x: f32) -> f32 {
        x.signum()
    }

    #[differentiable]
    fn signum_f(x: f32) -> f32 {
        f32::signum(x)
    }

    #[differentiable]
    fn floor_m(x: f32) -> f32 {
        x.floor()
    }

    #[differentiable]
    fn floor_f(x: f32) -> f32 {
        f32::floor(x)
    }

    #[differentiable]
    fn ceil_m(x: f32) -> f32 {
        x.ceil()
    }

    #[differentiable]
    fn ceil_f(x: f32) -> f32 {
        f32::ceil(x)
    }

    #[differentiable]
    fn round_m(x: f32) -> f32 {
        x.round()
    }

    #[differentiable]
    fn round_f(x: f32) -> f32 {
        f32::round(x)
    }

    #[differentiable]
    fn trunc_m(x: f32) -> f32 {
        x.trunc()
    }

    #[differentiable]
    fn trunc_f(x: f32) -> f32 {
        f32::trunc(x)
    }

    #[differentiable]
    fn powi_m(x: f32, n: i32) -> f32 {
        x.powi(n)
    }

    #[differentiable]
    fn powi_f(x: f32, n: i32) -> f32 {
        f32::powi(x, n)
    }

    #[differentiable]
    fn powi_m3(x: f32) -> f32 {
        x.powi(3)
    }

    #[differentiable]
    fn powi_f_minus2(x: f32) -> f32 {
        f32::powi(x, -2)
    }

    #[differentiable]
    fn powi_expr(x: f32, n: i32) -> f32 {
        x.powi(n + 1) * x.powi(2 * n - 1)
    }

    #[differentiable]
    fn atan2_xy_m(x: f32, y: f32) -> f32 {
        x.atan2(y)
    }

    #[differentiable]
    fn atan2_xy_f(x: f32, y: f32) -> f32 {
        f32::atan2(x, y)
    }

    #[differentiable]
    fn atan2_x_m(x: f32) -> f32 {
        x.atan2(0.8)
    }

    #[differentiable]
    fn atan2_x_f(x: f32, #[no_grad] y: f32) -> f32 {
        f32::atan2(x, y)
    }

    #[differentiable]
    fn atan2_y_m(#[no_grad] x: f32, y: f32) -> f32 {
        x.atan2(y)
    }

    #[differentiable]
    fn atan2_y_f(y: f32) -> f32 {
        f32::atan2(0.8, y)
    }

    #[differentiable]
    fn atan2_y_c(y: f32) -> f32 {
        0.8_f32.atan2(y)
    }

    #[differentiable]
    fn hypot_xy_m(x: f32, y: f32) -> f32 {
        x.hypot(y)
    }

    #[differentiable]
    fn hypot_xy_f(x: f32, y: f32) -> f32 {
        f32::hypot(x, y)
    }

    #[differentiable]
    fn hypot_x_m(x: f32) -> f32 {
        x.hypot(0.8)
    }

    #[differentiable]
    fn hypot_x_f(x: f32, #[no_grad] y: f32) -> f32 {
        f32::hypot(x, y)
    }

    #[differentiable]
    fn hypot_y_m(#[no_grad] x: f32, y: f32) -> f32 {
        x.hypot(y)
    }

    #[differentiable]
    fn hypot_y_f(y: f32) -> f32 {
        f32::hypot(0.8, y)
    }

    #[differentiable]
    fn hypot_y_c(y: f32) -> f32 {
        0.8_f32.hypot(y)
    }

    #[differentiable]
    fn powf_xy_m(x: f32, y: f32) -> f32 {
        x.powf(y)
    }

    #[differentiable]
    fn powf_xy_f(x: f32, y: f32) -> f32 {
        f32::powf(x, y)
    }

    #[differentiable]
    fn powf_x_m(x: f32) -> f32 {
        x.powf(1.5)
    }

    #[differentiable]
    fn powf_x_f(x: f32, #[no_grad] y: f32) -> f32 {
        f32::powf(x, y)
    }

    #[differentiable]
    fn powf_y_m(#[no_grad] x: f32, y: f32) -> f32 {
        x.powf(y)
    }

    #[differentiable]
    fn powf_y_f(y: f32) -> f32 {
        f32::powf(1.5, y)
    }

    #[differentiable]
    fn powf_y_c(y: f32) -> f32 {
        1.5_f32.powf(y)
    }

    #[differentiable]
    fn log_xy_m(x: f32, y: f32) -> f32 {
        x.log(y)
    }

    #[differentiable]
    fn log_xy_f(x: f32, y: f32) -> f32 {
        f32::log(x, y)
    }

    #[differentiable]
    fn log_x_m(x: f32) -> f32 {
        x.log(3.0)
    }

    #[differentiable]
    fn log_x_f(x: f32, #[no_grad] y: f32) -> f32 {
        f32::log(x, y)
    }

    #[differentiable]
    fn log_y_m(#[no_grad] x: f32, y: f32) -> f32 {
        x.log(y)
    }

    #[differentiable]
    fn log_y_f(y: f32) -> f32 {
        f32::log(3.0, y)
    }

    #[differentiable]
    fn log_y_c(y: f32) -> f32 {
        3.0_f32.log(y)
    }

    #[differentiable]
    fn max_xy_m(x: f32, y: f32) -> f32 {
        x.max(y)
    }

    #[differentiable]
    fn max_xy_f(x: f32, y: f32) -> f32 {
        f32::max(x, y)
    }

    #[differentiable]
    fn max_x_m(x: f32) -> f32 {
        x.max(0.8)
    }

    #[differentiable]
    fn max_x_f(x: f32, #[no_grad] y: f32) -> f32 {
        f32::max(x, y)
    }

    #[differentiable]
    fn max_y_m(#[no_grad] x: f32, y: f32) -> f32 {
        x.max(y)
    }

    #[differentiable]
    fn max_y_f(y: f32) -> f32 {
        f32::max(0.8, y)
    }

    #[differentiable]
    fn max_y_c(y: f32) -> f32 {
        0.8_f32.max(y)
    }

    #[differentiable]
    fn min_xy_m(x: f32, y: f32) -> f32 {
        x.min(y)
    }

    #[differentiable]
    fn min_xy_f(x: f32, y: f32) -> f32 {
        f32::min(x, y)
    }

    #[differentiable]
    fn min_x_m(x: f32) -> f32 {
        x.min(0.8)
    }

    #[differentiable]
    fn min_x_f(x: f32, #[no_grad] y: f32) -> f32 {
        f32::min(x, y)
    }

    #[differentiable]
    fn min_y_m(#[no_grad] x: f32, y: f32) -> f32 {
        x.min(y)
    }

    #[differentiable]
    fn min_y_f(y: f32) -> f32 {
        f32::min(0.8, y)
    }

    #[differentiable]
    fn min_y_c(y: f32) -> f32 {
        0.8_f32.min(y)
    }

    #[differentiable]
    fn mul_add_abc_m(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }

    #[differentiable]
    fn mul_add_abc_f(a: f32, b: f32, c: f32) -> f32 {
        f32::mul_add(a, b, c)
    }

    #[differentiable]
    fn mul_add_a_m(a: f32) -> f32 {
        a.mul_add(-0.5, 2.0)
    }

    #[differentiable]
    fn mul_add_b_m(b: f32) -> f32 {
        1.5_f32.mul_add(b, 2.0)
    }

    #[differentiable]
    fn mul_add_c_m(c: f32) -> f32 {
        1.5_f32.mul_add(-0.5, c)
    }

    #[differentiable]
    fn mul_add_a_f(a: f32, #[no_grad] b: f32, #[no_grad] c: f32) -> f32 {
        f32::mul_add(a, b, c)
    }

    #[differentiable]
    fn mul_add_b_f(#[no_grad] a: f32, b: f32, #[no_grad] c: f32) -> f32 {
        f32::mul_add(a, b, c)
    }

    #[differentiable]
    fn mul_add_c_f(#[no_grad] a: f32, #[no_grad] b: f32, c: f32) -> f32 {
        f32::mul_add(a, b, c)
    }

    #[differentiable]
    fn mul_add_ab_m(a: f32, b: f32) -> f32 {
        a.mul_add(b, 2.0)
    }

    #[differentiable]
    fn clamp_abc_m(a: f32, b: f32, c: f32) -> f32 {
        a.clamp(b, c)
    }

    #[differentiable]
    fn clamp_abc_f(a: f32, b: f32, c: f32) -> f32 {
        f32::clamp(a, b, c)
    }

    #[differentiable]
    fn clamp_a_m(a: f32) -> f32 {
        a.clamp(-1.0, 2.0)
    }

    #[differentiable]
    fn clamp_b_m(b: f32) -> f32 {
        0.5_f32.clamp(b, 2.0)
    }

    #[differentiable]
    fn clamp_c_m(c: f32) -> f32 {
        0.5_f32.clamp(-1.0, c)
    }

    #[differentiable]
    fn clamp_a_f(a: f32, #[no_grad] b: f32, #[no_grad] c: f32) -> f32 {
        f32::clamp(a, b, c)
    }

    #[differentiable]
    fn clamp_b_f(#[no_grad] a: f32, b: f32, #[no_grad] c: f32) -> f32 {
        f32::clamp(a, b, c)
    }

    #[differentiable]
    fn clamp_c_f(#[no_grad] a: f32, #[no_grad] b: f32, c: f32) -> f32 {
        f32::clamp(a, b, c)
    }

    #[differentiable]
    fn clamp_ab_m(a: f32, b: f32) -> f32 {
        a.clamp(b, 2.0)
    }

    #[test]
    fn integer_valued_primitives_have_derivative_exactly_zero() {
        for x in [-2.5_f32, -2.0, -1.3, -0.0, 0.0, 0.4, 0.5, 1.0, 2.5, 2.7] {
            assert_eq!(floor_m_grad(x), (0.0,));
            assert_eq!(ceil_f_grad(x), (0.0,));
            assert_eq!(round_m_grad(x), (0.0,));
            assert_eq!(trunc_f_grad(x), (0.0,));
            assert_eq!(signum_m_grad(x), (0.0,));
            assert_eq!(signum_f_grad(x), (0.0,));
        }
    }

    #[test]
    fn kinks() {
        assert_eq!(abs_m_grad(0.0), (0.0,));
        assert_eq!(abs_f_grad(-0.0), (0.0,));
        assert_eq!(max_xy_m_grad(1.5, 1.5), (0.5, 0.5));
        assert_eq!(min_xy_f_grad(1.5, 1.5), (0.5, 0.5));
        assert_eq!(max_x_m_grad(0.8), (0.5,));
        assert_eq!(clamp_abc_m_grad(-1.0, -1.0, 2.0), (1.0, 0.0, 0.0));
        assert_eq!(clamp_abc_f_grad(2.0, -1.0, 2.0), (1.0, 0.0, 0.0));
        assert_eq!(clamp_abc_m_grad(-3.0, -1.0, 2.0), (0.0, 1.0, 0.0));
        assert_eq!(clamp_abc_f_grad(3.0, -1.0, 2.0), (0.0, 0.0, 1.0));
    }

    #[test]
    fn sin() {
        for x in [-1.2, -0.3, 0.4, 1.1] {
            let x = x as f32;
            unary(sin_m, sin_m_vjp, sin_m_grad, x, Tolerance::f32());
            cross(sin_m_grad(x), super::double::sin_m_grad(f64::from(x)));
            unary(sin_f, sin_f_vjp, sin_f_grad, x, Tolerance::f32());
            cross(sin_f_grad(x), super::double::sin_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn cos() {
        for x in [-1.2, -0.3, 0.4, 1.1] {
            let x = x as f32;
            unary(cos_m, cos_m_vjp, cos_m_grad, x, Tolerance::f32());
            cross(cos_m_grad(x), super::double::cos_m_grad(f64::from(x)));
            unary(cos_f, cos_f_vjp, cos_f_grad, x, Tolerance::f32());
            cross(cos_f_grad(x), super::double::cos_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn tan() {
        for x in [-1.2, -0.3, 0.4, 1.1] {
            let x = x as f32;
            unary(tan_m, tan_m_vjp, tan_m_grad, x, Tolerance::f32());
            cross(tan_m_grad(x), super::double::tan_m_grad(f64::from(x)));
            unary(tan_f, tan_f_vjp, tan_f_grad, x, Tolerance::f32());
            cross(tan_f_grad(x), super::double::tan_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn asin() {
        for x in [-0.8, -0.2, 0.3, 0.9] {
            let x = x as f32;
            unary(asin_m, asin_m_vjp, asin_m_grad, x, Tolerance::f32());
            cross(asin_m_grad(x), super::double::asin_m_grad(f64::from(x)));
            unary(asin_f, asin_f_vjp, asin_f_grad, x, Tolerance::f32());
            cross(asin_f_grad(x), super::double::asin_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn acos() {
        for x in [-0.8, -0.2, 0.3, 0.9] {
            let x = x as f32;
            unary(acos_m, acos_m_vjp, acos_m_grad, x, Tolerance::f32());
            cross(acos_m_grad(x), super::double::acos_m_grad(f64::from(x)));
            unary(acos_f, acos_f_vjp, acos_f_grad, x, Tolerance::f32());
            cross(acos_f_grad(x), super::double::acos_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn atan() {
        for x in [-3.0, -0.5, 0.2, 4.0] {
            let x = x as f32;
            unary(atan_m, atan_m_vjp, atan_m_grad, x, Tolerance::f32());
            cross(atan_m_grad(x), super::double::atan_m_grad(f64::from(x)));
            unary(atan_f, atan_f_vjp, atan_f_grad, x, Tolerance::f32());
            cross(atan_f_grad(x), super::double::atan_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn sinh() {
        for x in [-2.0, -0.4, 0.3, 1.7] {
            let x = x as f32;
            unary(sinh_m, sinh_m_vjp, sinh_m_grad, x, Tolerance::f32());
            cross(sinh_m_grad(x), super::double::sinh_m_grad(f64::from(x)));
            unary(sinh_f, sinh_f_vjp, sinh_f_grad, x, Tolerance::f32());
            cross(sinh_f_grad(x), super::double::sinh_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn cosh() {
        for x in [-2.0, -0.4, 0.3, 1.7] {
            let x = x as f32;
            unary(cosh_m, cosh_m_vjp, cosh_m_grad, x, Tolerance::f32());
            cross(cosh_m_grad(x), super::double::cosh_m_grad(f64::from(x)));
            unary(cosh_f, cosh_f_vjp, cosh_f_grad, x, Tolerance::f32());
            cross(cosh_f_grad(x), super::double::cosh_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn tanh() {
        for x in [-2.0, -0.4, 0.3, 1.7] {
            let x = x as f32;
            unary(tanh_m, tanh_m_vjp, tanh_m_grad, x, Tolerance::f32());
            cross(tanh_m_grad(x), super::double::tanh_m_grad(f64::from(x)));
            unary(tanh_f, tanh_f_vjp, tanh_f_grad, x, Tolerance::f32());
            cross(tanh_f_grad(x), super::double::tanh_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn asinh() {
        for x in [-2.0, -0.4, 0.3, 1.7] {
            let x = x as f32;
            unary(asinh_m, asinh_m_vjp, asinh_m_grad, x, Tolerance::f32());
            cross(asinh_m_grad(x), super::double::asinh_m_grad(f64::from(x)));
            unary(asinh_f, asinh_f_vjp, asinh_f_grad, x, Tolerance::f32());
            cross(asinh_f_grad(x), super::double::asinh_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn acosh() {
        for x in [1.2, 2.0, 5.5] {
            let x = x as f32;
            unary(acosh_m, acosh_m_vjp, acosh_m_grad, x, Tolerance::f32());
            cross(acosh_m_grad(x), super::double::acosh_m_grad(f64::from(x)));
            unary(acosh_f, acosh_f_vjp, acosh_f_grad, x, Tolerance::f32());
            cross(acosh_f_grad(x), super::double::acosh_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn atanh() {
        for x in [-0.8, -0.2, 0.3, 0.6] {
            let x = x as f32;
            unary(atanh_m, atanh_m_vjp, atanh_m_grad, x, Tolerance::f32());
            cross(atanh_m_grad(x), super::double::atanh_m_grad(f64::from(x)));
            unary(atanh_f, atanh_f_vjp, atanh_f_grad, x, Tolerance::f32());
            cross(atanh_f_grad(x), super::double::atanh_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn exp() {
        for x in [-2.0, -0.1, 0.5, 3.0] {
            let x = x as f32;
            unary(exp_m, exp_m_vjp, exp_m_grad, x, Tolerance::f32());
            cross(exp_m_grad(x), super::double::exp_m_grad(f64::from(x)));
            unary(exp_f, exp_f_vjp, exp_f_grad, x, Tolerance::f32());
            cross(exp_f_grad(x), super::double::exp_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn exp2() {
        for x in [-2.0, -0.1, 0.5, 3.0] {
            let x = x as f32;
            unary(exp2_m, exp2_m_vjp, exp2_m_grad, x, Tolerance::f32());
            cross(exp2_m_grad(x), super::double::exp2_m_grad(f64::from(x)));
            unary(exp2_f, exp2_f_vjp, exp2_f_grad, x, Tolerance::f32());
            cross(exp2_f_grad(x), super::double::exp2_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn exp_m1() {
        for x in [-2.0, -0.1, 0.001, 0.5, 3.0] {
            let x = x as f32;
            unary(exp_m1_m, exp_m1_m_vjp, exp_m1_m_grad, x, Tolerance::f32());
            cross(exp_m1_m_grad(x), super::double::exp_m1_m_grad(f64::from(x)));
            unary(exp_m1_f, exp_m1_f_vjp, exp_m1_f_grad, x, Tolerance::f32());
            cross(exp_m1_f_grad(x), super::double::exp_m1_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn ln() {
        for x in [0.2, 1.0, 3.5, 40.0] {
            let x = x as f32;
            unary(ln_m, ln_m_vjp, ln_m_grad, x, Tolerance::f32());
            cross(ln_m_grad(x), super::double::ln_m_grad(f64::from(x)));
            unary(ln_f, ln_f_vjp, ln_f_grad, x, Tolerance::f32());
            cross(ln_f_grad(x), super::double::ln_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn log2() {
        for x in [0.2, 1.0, 3.5, 40.0] {
            let x = x as f32;
            unary(log2_m, log2_m_vjp, log2_m_grad, x, Tolerance::f32());
            cross(log2_m_grad(x), super::double::log2_m_grad(f64::from(x)));
            unary(log2_f, log2_f_vjp, log2_f_grad, x, Tolerance::f32());
            cross(log2_f_grad(x), super::double::log2_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn log10() {
        for x in [0.2, 1.0, 3.5, 40.0] {
            let x = x as f32;
            unary(log10_m, log10_m_vjp, log10_m_grad, x, Tolerance::f32());
            cross(log10_m_grad(x), super::double::log10_m_grad(f64::from(x)));
            unary(log10_f, log10_f_vjp, log10_f_grad, x, Tolerance::f32());
            cross(log10_f_grad(x), super::double::log10_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn ln_1p() {
        for x in [-0.5, 0.0, 0.1, 3.0] {
            let x = x as f32;
            unary(ln_1p_m, ln_1p_m_vjp, ln_1p_m_grad, x, Tolerance::f32());
            cross(ln_1p_m_grad(x), super::double::ln_1p_m_grad(f64::from(x)));
            unary(ln_1p_f, ln_1p_f_vjp, ln_1p_f_grad, x, Tolerance::f32());
            cross(ln_1p_f_grad(x), super::double::ln_1p_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn sqrt() {
        for x in [0.05, 1.0, 2.5, 100.0] {
            let x = x as f32;
            unary(sqrt_m, sqrt_m_vjp, sqrt_m_grad, x, Tolerance::f32());
            cross(sqrt_m_grad(x), super::double::sqrt_m_grad(f64::from(x)));
            unary(sqrt_f, sqrt_f_vjp, sqrt_f_grad, x, Tolerance::f32());
            cross(sqrt_f_grad(x), super::double::sqrt_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn cbrt() {
        for x in [-2.0, 0.3, 8.0] {
            let x = x as f32;
            unary(cbrt_m, cbrt_m_vjp, cbrt_m_grad, x, Tolerance::f32());
            cross(cbrt_m_grad(x), super::double::cbrt_m_grad(f64::from(x)));
            unary(cbrt_f, cbrt_f_vjp, cbrt_f_grad, x, Tolerance::f32());
            cross(cbrt_f_grad(x), super::double::cbrt_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn abs() {
        for x in [-2.0, -0.3, 0.6, 4.0] {
            let x = x as f32;
            unary(abs_m, abs_m_vjp, abs_m_grad, x, Tolerance::f32());
            cross(abs_m_grad(x), super::double::abs_m_grad(f64::from(x)));
            unary(abs_f, abs_f_vjp, abs_f_grad, x, Tolerance::f32());
            cross(abs_f_grad(x), super::double::abs_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn recip() {
        for x in [-2.0, 0.3, 5.0] {
            let x = x as f32;
            unary(recip_m, recip_m_vjp, recip_m_grad, x, Tolerance::f32());
            cross(recip_m_grad(x), super::double::recip_m_grad(f64::from(x)));
            unary(recip_f, recip_f_vjp, recip_f_grad, x, Tolerance::f32());
            cross(recip_f_grad(x), super::double::recip_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn to_degrees() {
        for x in [-2.0, 0.3, 5.0] {
            let x = x as f32;
            unary(
                to_degrees_m,
                to_degrees_m_vjp,
                to_degrees_m_grad,
                x,
                Tolerance::f32(),
            );
            cross(
                to_degrees_m_grad(x),
                super::double::to_degrees_m_grad(f64::from(x)),
            );
            unary(
                to_degrees_f,
                to_degrees_f_vjp,
                to_degrees_f_grad,
                x,
                Tolerance::f32(),
            );
            cross(
                to_degrees_f_grad(x),
                super::double::to_degrees_f_grad(f64::from(x)),
            );
        }
    }

    #[test]
    fn to_radians() {
        for x in [-200.0, 0.3, 45.0] {
            let x = x as f32;
            unary(
                to_radians_m,
                to_radians_m_vjp,
                to_radians_m_grad,
                x,
                Tolerance::f32(),
            );
            cross(
                to_radians_m_grad(x),
                super::double::to_radians_m_grad(f64::from(x)),
            );
            unary(
                to_radians_f,
                to_radians_f_vjp,
                to_radians_f_grad,
                x,
                Tolerance::f32(),
            );
            cross(
                to_radians_f_grad(x),
                super::double::to_radians_f_grad(f64::from(x)),
            );
        }
    }

    #[test]
    fn signum() {
        for x in [-2.0, -0.3, 0.6, 4.0] {
            let x = x as f32;
            unary(signum_m, signum_m_vjp, signum_m_grad, x, Tolerance::f32());
            cross(signum_m_grad(x), super::double::signum_m_grad(f64::from(x)));
            unary(signum_f, signum_f_vjp, signum_f_grad, x, Tolerance::f32());
            cross(signum_f_grad(x), super::double::signum_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn floor() {
        for x in [-1.3, 0.4, 2.7] {
            let x = x as f32;
            unary(floor_m, floor_m_vjp, floor_m_grad, x, Tolerance::f32());
            cross(floor_m_grad(x), super::double::floor_m_grad(f64::from(x)));
            unary(floor_f, floor_f_vjp, floor_f_grad, x, Tolerance::f32());
            cross(floor_f_grad(x), super::double::floor_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn ceil() {
        for x in [-1.3, 0.4, 2.7] {
            let x = x as f32;
            unary(ceil_m, ceil_m_vjp, ceil_m_grad, x, Tolerance::f32());
            cross(ceil_m_grad(x), super::double::ceil_m_grad(f64::from(x)));
            unary(ceil_f, ceil_f_vjp, ceil_f_grad, x, Tolerance::f32());
            cross(ceil_f_grad(x), super::double::ceil_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn round() {
        for x in [-1.3, 0.4, 2.7] {
            let x = x as f32;
            unary(round_m, round_m_vjp, round_m_grad, x, Tolerance::f32());
            cross(round_m_grad(x), super::double::round_m_grad(f64::from(x)));
            unary(round_f, round_f_vjp, round_f_grad, x, Tolerance::f32());
            cross(round_f_grad(x), super::double::round_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn trunc() {
        for x in [-1.3, 0.4, 2.7] {
            let x = x as f32;
            unary(trunc_m, trunc_m_vjp, trunc_m_grad, x, Tolerance::f32());
            cross(trunc_m_grad(x), super::double::trunc_m_grad(f64::from(x)));
            unary(trunc_f, trunc_f_vjp, trunc_f_grad, x, Tolerance::f32());
            cross(trunc_f_grad(x), super::double::trunc_f_grad(f64::from(x)));
        }
    }

    #[test]
    fn powi() {
        for (x, n) in [
            (-1.5, -3),
            (-1.5, -2),
            (-1.5, -1),
            (-1.5, 0),
            (-1.5, 1),
            (-1.5, 2),
            (-1.5, 5),
            (0.4, -3),
            (0.4, -2),
            (0.4, -1),
            (0.4, 0),
            (0.4, 1),
            (0.4, 2),
            (0.4, 5),
            (2.0, -3),
            (2.0, -2),
            (2.0, -1),
            (2.0, 0),
            (2.0, 1),
            (2.0, 2),
            (2.0, 5),
        ] {
            let x = x as f32;
            unary(
                |x| powi_m(x, n),
                |x, v| powi_m_vjp(x, n, v),
                |x| powi_m_grad(x, n),
                x,
                Tolerance::f32(),
            );
            cross(
                powi_m_grad(x, n),
                super::double::powi_m_grad(f64::from(x), n),
            );
            unary(
                |x| powi_f(x, n),
                |x, v| powi_f_vjp(x, n, v),
                |x| powi_f_grad(x, n),
                x,
                Tolerance::f32(),
            );
            cross(
                powi_f_grad(x, n),
                super::double::powi_f_grad(f64::from(x), n),
            );
            unary(
                |x| powi_expr(x, n),
                |x, v| powi_expr_vjp(x, n, v),
                |x| powi_expr_grad(x, n),
                x,
                Tolerance::f32(),
            );
            cross(
                powi_expr_grad(x, n),
                super::double::powi_expr_grad(f64::from(x), n),
            );
            unary(powi_m3, powi_m3_vjp, powi_m3_grad, x, Tolerance::f32());
            cross(powi_m3_grad(x), super::double::powi_m3_grad(f64::from(x)));
            unary(
                powi_f_minus2,
                powi_f_minus2_vjp,
                powi_f_minus2_grad,
                x,
                Tolerance::f32(),
            );
            cross(
                powi_f_minus2_grad(x),
                super::double::powi_f_minus2_grad(f64::from(x)),
            );
        }
    }

    #[test]
    fn atan2() {
        for (x, y) in [(0.5, 0.8), (-1.0, -0.3), (2.0, -1.5)] {
            let (x, y) = (x as f32, y as f32);
            binary(
                atan2_xy_m,
                atan2_xy_m_vjp,
                atan2_xy_m_grad,
                x,
                y,
                Tolerance::f32(),
            );
            cross(
                atan2_xy_m_grad(x, y),
                super::double::atan2_xy_m_grad(f64::from(x), f64::from(y)),
            );
            binary(
                atan2_xy_f,
                atan2_xy_f_vjp,
                atan2_xy_f_grad,
                x,
                y,
                Tolerance::f32(),
            );
            cross(
                atan2_xy_f_grad(x, y),
                super::double::atan2_xy_f_grad(f64::from(x), f64::from(y)),
            );
            unary(
                atan2_x_m,
                atan2_x_m_vjp,
                atan2_x_m_grad,
                x,
                Tolerance::f32(),
            );
            cross(
                atan2_x_m_grad(x),
                super::double::atan2_x_m_grad(f64::from(x)),
            );
            unary(
                |x| atan2_x_f(x, y),
                |x, v| atan2_x_f_vjp(x, y, v),
                |x| atan2_x_f_grad(x, y),
                x,
                Tolerance::f32(),
            );
            cross(
                atan2_x_f_grad(x, y),
                super::double::atan2_x_f_grad(f64::from(x), f64::from(y)),
            );
            unary(
                |y| atan2_y_m(x, y),
                |y, v| atan2_y_m_vjp(x, y, v),
                |y| atan2_y_m_grad(x, y),
                y,
                Tolerance::f32(),
            );
            cross(
                atan2_y_m_grad(x, y),
                super::double::atan2_y_m_grad(f64::from(x), f64::from(y)),
            );
            unary(
                atan2_y_f,
                atan2_y_f_vjp,
                atan2_y_f_grad,
                y,
                Tolerance::f32(),
            );
            cross(
                atan2_y_f_grad(y),
                super::double::atan2_y_f_grad(f64::from(y)),
            );
            unary(
                atan2_y_c,
                atan2_y_c_vjp,
                atan2_y_c_grad,
                y,
                Tolerance::f32(),
            );
            cross(
                atan2_y_c_grad(y),
                super::double::atan2_y_c_grad(f64::from(y)),
            );
        }
    }

    #[test]
    fn hypot() {
        for (x, y) in [(3.0, -4.0), (0.2, 0.9), (-1.1, 0.05)] {
            let (x, y) = (x as f32, y as f32);
            binary(
                hypot_xy_m,
                hypot_xy_m_vjp,
                hypot_xy_m_grad,
                x,
                y,
                Tolerance::f32(),
            );
            cross(
                hypot_xy_m_grad(x, y),
                super::double::hypot_xy_m_grad(f64::from(x), f64::from(y)),
            );
            binary(
                hypot_xy_f,
                hypot_xy_f_vjp,
                hypot_xy_f_grad,
                x,
                y,
                Tolerance::f32(),
            );
            cross(
                hypot_xy_f_grad(x, y),
                super::double::hypot_xy_f_grad(f64::from(x), f64::from(y)),
            );
            unary(
                hypot_x_m,
                hypot_x_m_vjp,
                hypot_x_m_grad,
                x,
                Tolerance::f32(),
            );
            cross(
                hypot_x_m_grad(x),
                super::double::hypot_x_m_grad(f64::from(x)),
            );
            unary(
                |x| hypot_x_f(x, y),
                |x, v| hypot_x_f_vjp(x, y, v),
                |x| hypot_x_f_grad(x, y),
                x,
                Tolerance::f32(),
            );
            cross(
                hypot_x_f_grad(x, y),
                super::double::hypot_x_f_grad(f64::from(x), f64::from(y)),
            );
            unary(
                |y| hypot_y_m(x, y),
                |y, v| hypot_y_m_vjp(x, y, v),
                |y| hypot_y_m_grad(x, y),
                y,
                Tolerance::f32(),
            );
            cross(
                hypot_y_m_grad(x, y),
                super::double::hypot_y_m_grad(f64::from(x), f64::from(y)),
            );
            unary(
                hypot_y_f,
                hypot_y_f_vjp,
                hypot_y_f_grad,
                y,
                Tolerance::f32(),
            );
            cross(
                hypot_y_f_grad(y),
                super::double::hypot_y_f_grad(f64::from(y)),
            );
            unary(
                hypot_y_c,
                hypot_y_c_vjp,
                hypot_y_c_grad,
                y,
                Tolerance::f32(),
            );
            cross(
                hypot_y_c_grad(y),
                super::double::hypot_y_c_grad(f64::from(y)),
            );
        }
    }

    #[test]
    fn powf() {
        for (x, y) in [(0.3, -1.5), (1.7, 0.5), (4.0, 2.5)] {
            let (x, y) = (x as f32, y as f32);
            binary(
                powf_xy_m,
                powf_xy_m_vjp,
                powf_xy_m_grad,
                x,
                y,
                Tolerance::f32(),
            );
            cross(
                powf_xy_m_grad(x, y),
                super::double::powf_xy_m_grad(f64::from(x), f64::from(y)),
            );
            binary(
                powf_xy_f,
                powf_xy_f_vjp,
                powf_xy_f_grad,
                x,
                y,
                Tolerance::f32(),
            );
            cross(
                powf_xy_f_grad(x, y),
                super::double::powf_xy_f_grad(f64::from(x), f64::from(y)),
            );
            unary(powf_x_m, powf_x_m_vjp, powf_x_m_grad, x, Tolerance::f32());
            cross(powf_x_m_grad(x), super::double::powf_x_m_grad(f64::from(x)));
            unary(
                |x| powf_x_f(x, y),
                |x, v| powf_x_f_vjp(x, y, v),
                |x| powf_x_f_grad(x, y),
                x,
                Tolerance::f32(),
            );
            cross(
                powf_x_f_grad(x, y),
                super::double::powf_x_f_grad(f64::from(x), f64::from(y)),
            );
            unary(
                |y| powf_y_m(x, y),
                |y, v| powf_y_m_vjp(x, y, v),
                |y| powf_y_m_grad(x, y),
                y,
                Tolerance::f32(),
            );
            cross(
                powf_y_m_grad(x, y),
                super::double::powf_y_m_grad(f64::from(x), f64::from(y)),
            );
            unary(powf_y_f, powf_y_f_vjp, powf_y_f_grad, y, Tolerance::f32());
            cross(powf_y_f_grad(y), super::double::powf_y_f_grad(f64::from(y)));
            unary(powf_y_c, powf_y_c_vjp, powf_y_c_grad, y, Tolerance::f32());
            cross(powf_y_c_grad(y), super::double::powf_y_c_grad(f64::from(y)));
        }
    }

    #[test]
    fn log() {
        for (x, y) in [(0.5, 2.0), (3.0, 10.0), (7.0, 0.5)] {
            let (x, y) = (x as f32, y as f32);
            binary(
                log_xy_m,
                log_xy_m_vjp,
                log_xy_m_grad,
                x,
                y,
                Tolerance::f32(),
            );
            cross(
                log_xy_m_grad(x, y),
                super::double::log_xy_m_grad(f64::from(x), f64::from(y)),
            );
            binary(
                log_xy_f,
                log_xy_f_vjp,
                log_xy_f_grad,
                x,
                y,
                Tolerance::f32(),
            );
            cross(
                log_xy_f_grad(x, y),
                super::double::log_xy_f_grad(f64::from(x), f64::from(y)),
            );
            unary(log_x_m, log_x_m_vjp, log_x_m_grad, x, Tolerance::f32());
            cross(log_x_m_grad(x), super::double::log_x_m_grad(f64::from(x)));
            unary(
                |x| log_x_f(x, y),
                |x, v| log_x_f_vjp(x, y, v),
                |x| log_x_f_grad(x, y),
                x,
                Tolerance::f32(),
            );
            cross(
                log_x_f_grad(x, y),
                super::double::log_x_f_grad(f64::from(x), f64::from(y)),
            );
            unary(
                |y| log_y_m(x, y),
                |y, v| log_y_m_vjp(x, y, v),
                |y| log_y_m_grad(x, y),
                y,
                Tolerance::f32(),
            );
            cross(
                log_y_m_grad(x, y),
                super::double::log_y_m_grad(f64::from(x), f64::from(y)),
            );
            unary(log_y_f, log_y_f_vjp, log_y_f_grad, y, Tolerance::f32());
            cross(log_y_f_grad(y), super::double::log_y_f_grad(f64::from(y)));
            unary(log_y_c, log_y_c_vjp, log_y_c_grad, y, Tolerance::f32());
            cross(log_y_c_grad(y), super::double::log_y_c_grad(f64::from(y)));
        }
    }

    #[test]
    fn max() {
        for (x, y) in [(1.0, 2.0), (3.0, -1.0), (-0.5, -0.25)] {
            let (x, y) = (x as f32, y as f32);
            binary(
                max_xy_m,
                max_xy_m_vjp,
                max_xy_m_grad,
                x,
                y,
                Tolerance::f32(),
            );
            cross(
                max_xy_m_grad(x, y),
                super::double::max_xy_m_grad(f64::from(x), f64::from(y)),
            );
            binary(
                max_xy_f,
                max_xy_f_vjp,
                max_xy_f_grad,
                x,
                y,
                Tolerance::f32(),
            );
            cross(
                max_xy_f_grad(x, y),
                super::double::max_xy_f_grad(f64::from(x), f64::from(y)),
            );
            unary(max_x_m, max_x_m_vjp, max_x_m_grad, x, Tolerance::f32());
            cross(max_x_m_grad(x), super::double::max_x_m_grad(f64::from(x)));
            unary(
                |x| max_x_f(x, y),
                |x, v| max_x_f_vjp(x, y, v),
                |x| max_x_f_grad(x, y),
                x,
                Tolerance::f32(),
            );
            cross(
                max_x_f_grad(x, y),
                super::double::max_x_f_grad(f64::from(x), f64::from(y)),
            );
            unary(
                |y| max_y_m(x, y),
                |y, v| max_y_m_vjp(x, y, v),
                |y| max_y_m_grad(x, y),
                y,
                Tolerance::f32(),
            );
            cross(
                max_y_m_grad(x, y),
                super::double::max_y_m_grad(f64::from(x), f64::from(y)),
            );
            unary(max_y_f, max_y_f_vjp, max_y_f_grad, y, Tolerance::f32());
            cross(max_y_f_grad(y), super::double::max_y_f_grad(f64::from(y)));
            unary(max_y_c, max_y_c_vjp, max_y_c_grad, y, Tolerance::f32());
            cross(max_y_c_grad(y), super::double::max_y_c_grad(f64::from(y)));
        }
    }

    #[test]
    fn min() {
        for (x, y) in [(1.0, 2.0), (3.0, -1.0), (-0.5, -0.25)] {
            let (x, y) = (x as f32, y as f32);
            binary(
                min_xy_m,
                min_xy_m_vjp,
                min_xy_m_grad,
                x,
                y,
                Tolerance::f32(),
            );
            cross(
                min_xy_m_grad(x, y),
                super::double::min_xy_m_grad(f64::from(x), f64::from(y)),
            );
            binary(
                min_xy_f,
                min_xy_f_vjp,
                min_xy_f_grad,
                x,
                y,
                Tolerance::f32(),
            );
            cross(
                min_xy_f_grad(x, y),
                super::double::min_xy_f_grad(f64::from(x), f64::from(y)),
            );
            unary(min_x_m, min_x_m_vjp, min_x_m_grad, x, Tolerance::f32());
            cross(min_x_m_grad(x), super::double::min_x_m_grad(f64::from(x)));
            unary(
                |x| min_x_f(x, y),
                |x, v| min_x_f_vjp(x, y, v),
                |x| min_x_f_grad(x, y),
                x,
                Tolerance::f32(),
            );
            cross(
                min_x_f_grad(x, y),
                super::double::min_x_f_grad(f64::from(x), f64::from(y)),
            );
            unary(
                |y| min_y_m(x, y),
                |y, v| min_y_m_vjp(x, y, v),
                |y| min_y_m_grad(x, y),
                y,
                Tolerance::f32(),
            );
            cross(
                min_y_m_grad(x, y),
                super::double::min_y_m_grad(f64::from(x), f64::from(y)),
            );
            unary(min_y_f, min_y_f_vjp, min_y_f_grad, y, Tolerance::f32());
            cross(min_y_f_grad(y), super::double::min_y_f_grad(f64::from(y)));
            unary(min_y_c, min_y_c_vjp, min_y_c_grad, y, Tolerance::f32());
            cross(min_y_c_grad(y), super::double::min_y_c_grad(f64::from(y)));
        }
    }

    #[test]
    fn mul_add() {
        for (a, b, c) in [(1.2, -0.7, 3.0), (-2.0, 0.4, -1.0)] {
            let (a, b, c) = (a as f32, b as f32, c as f32);
            ternary(
                mul_add_abc_m,
                mul_add_abc_m_vjp,
                mul_add_abc_m_grad,
                a,
                b,
                c,
                Tolerance::f32(),
            );
            cross(
                mul_add_abc_m_grad(a, b, c),
                super::double::mul_add_abc_m_grad(f64::from(a), f64::from(b), f64::from(c)),
            );
            ternary(
                mul_add_abc_f,
                mul_add_abc_f_vjp,
                mul_add_abc_f_grad,
                a,
                b,
                c,
                Tolerance::f32(),
            );
            cross(
                mul_add_abc_f_grad(a, b, c),
                super::double::mul_add_abc_f_grad(f64::from(a), f64::from(b), f64::from(c)),
            );
            unary(
                mul_add_a_m,
                mul_add_a_m_vjp,
                mul_add_a_m_grad,
                a,
                Tolerance::f32(),
            );
            cross(
                mul_add_a_m_grad(a),
                super::double::mul_add_a_m_grad(f64::from(a)),
            );
            unary(
                mul_add_b_m,
                mul_add_b_m_vjp,
                mul_add_b_m_grad,
                b,
                Tolerance::f32(),
            );
            cross(
                mul_add_b_m_grad(b),
                super::double::mul_add_b_m_grad(f64::from(b)),
            );
            unary(
                mul_add_c_m,
                mul_add_c_m_vjp,
                mul_add_c_m_grad,
                c,
                Tolerance::f32(),
            );
            cross(
                mul_add_c_m_grad(c),
                super::double::mul_add_c_m_grad(f64::from(c)),
            );
            unary(
                |a| mul_add_a_f(a, b, c),
                |a, v| mul_add_a_f_vjp(a, b, c, v),
                |a| mul_add_a_f_grad(a, b, c),
                a,
                Tolerance::f32(),
            );
            cross(
                mul_add_a_f_grad(a, b, c),
                super::double::mul_add_a_f_grad(f64::from(a), f64::from(b), f64::from(c)),
            );
            unary(
                |b| mul_add_b_f(a, b, c),
                |b, v| mul_add_b_f_vjp(a, b, c, v),
                |b| mul_add_b_f_grad(a, b, c),
                b,
                Tolerance::f32(),
            );
            cross(
                mul_add_b_f_grad(a, b, c),
                super::double::mul_add_b_f_grad(f64::from(a), f64::from(b), f64::from(c)),
            );
            unary(
                |c| mul_add_c_f(a, b, c),
                |c, v| mul_add_c_f_vjp(a, b, c, v),
                |c| mul_add_c_f_grad(a, b, c),
                c,
                Tolerance::f32(),
            );
            cross(
                mul_add_c_f_grad(a, b, c),
                super::double::mul_add_c_f_grad(f64::from(a), f64::from(b), f64::from(c)),
            );
            binary(
                mul_add_ab_m,
                mul_add_ab_m_vjp,
                mul_add_ab_m_grad,
                a,
                b,
                Tolerance::f32(),
            );
            cross(
                mul_add_ab_m_grad(a, b),
                super::double::mul_add_ab_m_grad(f64::from(a), f64::from(b)),
            );
        }
    }

    #[test]
    fn clamp() {
        for (a, b, c) in [
            (0.5, -1.0, 2.0),
            (-2.0, -1.0, 2.0),
            (3.0, -1.0, 2.0),
            (1.9, -0.3, 2.2),
            (0.1, 0.7, 2.0),
            (0.9, -1.0, 0.4),
        ] {
            let (a, b, c) = (a as f32, b as f32, c as f32);
            ternary(
                clamp_abc_m,
                clamp_abc_m_vjp,
                clamp_abc_m_grad,
                a,
                b,
                c,
                Tolerance::f32(),
            );
            cross(
                clamp_abc_m_grad(a, b, c),
                super::double::clamp_abc_m_grad(f64::from(a), f64::from(b), f64::from(c)),
            );
            ternary(
                clamp_abc_f,
                clamp_abc_f_vjp,
                clamp_abc_f_grad,
                a,
                b,
                c,
                Tolerance::f32(),
            );
            cross(
                clamp_abc_f_grad(a, b, c),
                super::double::clamp_abc_f_grad(f64::from(a), f64::from(b), f64::from(c)),
            );
            unary(
                clamp_a_m,
                clamp_a_m_vjp,
                clamp_a_m_grad,
                a,
                Tolerance::f32(),
            );
            cross(
                clamp_a_m_grad(a),
                super::double::clamp_a_m_grad(f64::from(a)),
            );
            unary(
                clamp_b_m,
                clamp_b_m_vjp,
                clamp_b_m_grad,
                b,
                Tolerance::f32(),
            );
            cross(
                clamp_b_m_grad(b),
                super::double::clamp_b_m_grad(f64::from(b)),
            );
            unary(
                clamp_c_m,
                clamp_c_m_vjp,
                clamp_c_m_grad,
                c,
                Tolerance::f32(),
            );
            cross(
                clamp_c_m_grad(c),
                super::double::clamp_c_m_grad(f64::from(c)),
            );
            unary(
                |a| clamp_a_f(a, b, c),
                |a, v| clamp_a_f_vjp(a, b, c, v),
                |a| clamp_a_f_grad(a, b, c),
                a,
                Tolerance::f32(),
            );
            cross(
                clamp_a_f_grad(a, b, c),
                super::double::clamp_a_f_grad(f64::from(a), f64::from(b), f64::from(c)),
            );
            unary(
                |b| clamp_b_f(a, b, c),
                |b, v| clamp_b_f_vjp(a, b, c, v),
                |b| clamp_b_f_grad(a, b, c),
                b,
                Tolerance::f32(),
            );
            cross(
                clamp_b_f_grad(a, b, c),
                super::double::clamp_b_f_grad(f64::from(a), f64::from(b), f64::from(c)),
            );
            unary(
                |c| clamp_c_f(a, b, c),
                |c, v| clamp_c_f_vjp(a, b, c, v),
                |c| clamp_c_f_grad(a, b, c),
                c,
                Tolerance::f32(),
            );
            cross(
                clamp_c_f_grad(a, b, c),
                super::double::clamp_c_f_grad(f64::from(a), f64::from(b), f64::from(c)),
            );
            binary(
                clamp_ab_m,
                clamp_ab_m_vjp,
                clamp_ab_m_grad,
                a,
                b,
                Tolerance::f32(),
            );
            cross(
                clamp_ab_m_grad(a, b),
                super::double::clamp_ab_m_grad(f64::from(a), f64::from(b)),
            );
        }
    }
}

/// Generic `fn f<T: vjp::Real>`: every primitive in the method form and the function form
/// `T::name(x)`, each instantiated at `f64` and `f32`; the `f32` gradient is compared with the
/// `f64` one.
mod generic {
    use super::check::{binary, ternary, unary};
    use super::common::assert_f32_matches_f64 as cross;
    use vjp::{differentiable, Tolerance};

    #[differentiable]
    fn sin_m<T: vjp::Real>(x: T) -> T {
        x.sin()
    }

    #[differentiable]
    fn sin_f<T: vjp::Real>(x: T) -> T {
        T::sin(x)
    }

    #[differentiable]
    fn cos_m<T: vjp::Real>(x: T) -> T {
        x.cos()
    }

    #[differentiable]
    fn cos_f<T: vjp::Real>(x: T) -> T {
        T::cos(x)
    }

    #[differentiable]
    fn tan_m<T: vjp::Real>(x: T) -> T {
        x.tan()
    }

    #[differentiable]
    fn tan_f<T: vjp::Real>(x: T) -> T {
        T::tan(x)
    }

    #[differentiable]
    fn asin_m<T: vjp::Real>(x: T) -> T {
        x.asin()
    }

    #[differentiable]
    fn asin_f<T: vjp::Real>(x: T) -> T {
        T::asin(x)
    }

    #[differentiable]
    fn acos_m<T: vjp::Real>(x: T) -> T {
        x.acos()
    }

    #[differentiable]
    fn acos_f<T: vjp::Real>(x: T) -> T {
        T::acos(x)
    }

    #[differentiable]
    fn atan_m<T: vjp::Real>(x: T) -> T {
        x.atan()
    }

    #[differentiable]
    fn atan_f<T: vjp::Real>(x: T) -> T {
        T::atan(x)
    }

    #[differentiable]
    fn sinh_m<T: vjp::Real>(x: T) -> T {
        x.sinh()
    }

    #[differentiable]
    fn sinh_f<T: vjp::Real>(x: T) -> T {
        T::sinh(x)
    }

    #[differentiable]
    fn cosh_m<T: vjp::Real>(x: T) -> T {
        x.cosh()
    }

    #[differentiable]
    fn cosh_f<T: vjp::Real>(x: T) -> T {
        T::cosh(x)
    }

    #[differentiable]
    fn tanh_m<T: vjp::Real>(x: T) -> T {
        x.tanh()
    }

    #[differentiable]
    fn tanh_f<T: vjp::Real>(x: T) -> T {
        T::tanh(x)
    }

    #[differentiable]
    fn asinh_m<T: vjp::Real>(x: T) -> T {
        x.asinh()
    }

    #[differentiable]
    fn asinh_f<T: vjp::Real>(x: T) -> T {
        T::asinh(x)
    }

    #[differentiable]
    fn acosh_m<T: vjp::Real>(x: T) -> T {
        x.acosh()
    }

    #[differentiable]
    fn acosh_f<T: vjp::Real>(x: T) -> T {
        T::acosh(x)
    }

    #[differentiable]
    fn atanh_m<T: vjp::Real>(x: T) -> T {
        x.atanh()
    }

    #[differentiable]
    fn atanh_f<T: vjp::Real>(x: T) -> T {
        T::atanh(x)
    }

    #[differentiable]
    fn exp_m<T: vjp::Real>(x: T) -> T {
        x.exp()
    }

    #[differentiable]
    fn exp_f<T: vjp::Real>(x: T) -> T {
        T::exp(x)
    }

    #[differentiable]
    fn exp2_m<T: vjp::Real>(x: T) -> T {
        x.exp2()
    }

    #[differentiable]
    fn exp2_f<T: vjp::Real>(x: T) -> T {
        T::exp2(x)
    }

    #[differentiable]
    fn exp_m1_m<T: vjp::Real>(x: T) -> T {
        x.exp_m1()
    }

    #[differentiable]
    fn exp_m1_f<T: vjp::Real>(x: T) -> T {
        T::exp_m1(x)
    }

    #[differentiable]
    fn ln_m<T: vjp::Real>(x: T) -> T {
        x.ln()
    }

    #[differentiable]
    fn ln_f<T: vjp::Real>(x: T) -> T {
        T::ln(x)
    }

    #[differentiable]
    fn log2_m<T: vjp::Real>(x: T) -> T {
        x.log2()
    }

    #[differentiable]
    fn log2_f<T: vjp::Real>(x: T) -> T {
        T::log2(x)
    }

    #[differentiable]
    fn log10_m<T: vjp::Real>(x: T) -> T {
        x.log10()
    }

    #[differentiable]
    fn log10_f<T: vjp::Real>(x: T) -> T {
        T::log10(x)
    }

    #[differentiable]
    fn ln_1p_m<T: vjp::Real>(x: T) -> T {
        x.ln_1p()
    }

    #[differentiable]
    fn ln_1p_f<T: vjp::Real>(x: T) -> T {
        T::ln_1p(x)
    }

    #[differentiable]
    fn sqrt_m<T: vjp::Real>(x: T) -> T {
        x.sqrt()
    }

    #[differentiable]
    fn sqrt_f<T: vjp::Real>(x: T) -> T {
        T::sqrt(x)
    }

    #[differentiable]
    fn cbrt_m<T: vjp::Real>(x: T) -> T {
        x.cbrt()
    }

    #[differentiable]
    fn cbrt_f<T: vjp::Real>(x: T) -> T {
        T::cbrt(x)
    }

    #[differentiable]
    fn abs_m<T: vjp::Real>(x: T) -> T {
        x.abs()
    }

    #[differentiable]
    fn abs_f<T: vjp::Real>(x: T) -> T {
        T::abs(x)
    }

    #[differentiable]
    fn recip_m<T: vjp::Real>(x: T) -> T {
        x.recip()
    }

    #[differentiable]
    fn recip_f<T: vjp::Real>(x: T) -> T {
        T::recip(x)
    }

    #[differentiable]
    fn to_degrees_m<T: vjp::Real>(x: T) -> T {
        x.to_degrees()
    }

    #[differentiable]
    fn to_degrees_f<T: vjp::Real>(x: T) -> T {
        T::to_degrees(x)
    }

    #[differentiable]
    fn to_radians_m<T: vjp::Real>(x: T) -> T {
        x.to_radians()
    }

    #[differentiable]
    fn to_radians_f<T: vjp::Real>(x: T) -> T {
        T::to_radians(x)
    }

    #[differentiable]
    fn signum_m<T: vjp::Real>(x: T) -> T {
        x.signum()
    }

    #[differentiable]
    fn signum_f<T: vjp::Real>(x: T) -> T {
        T::signum(x)
    }

    #[differentiable]
    fn floor_m<T: vjp::Real>(x: T) -> T {
        x.floor()
    }

    #[differentiable]
    fn floor_f<T: vjp::Real>(x: T) -> T {
        T::floor(x)
    }

    #[differentiable]
    fn ceil_m<T: vjp::Real>(x: T) -> T {
        x.ceil()
    }

    #[differentiable]
    fn ceil_f<T: vjp::Real>(x: T) -> T {
        T::ceil(x)
    }

    #[differentiable]
    fn round_m<T: vjp::Real>(x: T) -> T {
        x.round()
    }

    #[differentiable]
    fn round_f<T: vjp::Real>(x: T) -> T {
        T::round(x)
    }

    #[differentiable]
    fn trunc_m<T: vjp::Real>(x: T) -> T {
        x.trunc()
    }

    #[differentiable]
    fn trunc_f<T: vjp::Real>(x: T) -> T {
        T::trunc(x)
    }

    #[differentiable]
    fn powi_m<T: vjp::Real>(x: T, n: i32) -> T {
        x.powi(n)
    }

    #[differentiable]
    fn powi_f<T: vjp::Real>(x: T, n: i32) -> T {
        T::powi(x, n)
    }

    #[differentiable]
    fn powi_m3<T: vjp::Real>(x: T) -> T {
        x.powi(3)
    }

    #[differentiable]
    fn powi_f_minus2<T: vjp::Real>(x: T) -> T {
        T::powi(x, -2)
    }

    #[differentiable]
    fn powi_expr<T: vjp::Real>(x: T, n: i32) -> T {
        x.powi(n + 1) * x.powi(2 * n - 1)
    }

    #[differentiable]
    fn atan2_xy_m<T: vjp::Real>(x: T, y: T) -> T {
        x.atan2(y)
    }

    #[differentiable]
    fn atan2_xy_f<T: vjp::Real>(x: T, y: T) -> T {
        T::atan2(x, y)
    }

    #[differentiable]
    fn atan2_x_m<T: vjp::Real>(x: T) -> T {
        x.atan2(T::from_f64(0.8))
    }

    #[differentiable]
    fn atan2_x_f<T: vjp::Real>(x: T, #[no_grad] y: T) -> T {
        T::atan2(x, y)
    }

    #[differentiable]
    fn atan2_y_m<T: vjp::Real>(#[no_grad] x: T, y: T) -> T {
        x.atan2(y)
    }

    #[differentiable]
    fn atan2_y_f<T: vjp::Real>(y: T) -> T {
        T::atan2(T::from_f64(0.8), y)
    }

    #[differentiable]
    fn atan2_y_c<T: vjp::Real>(y: T) -> T {
        T::from_f64(0.8).atan2(y)
    }

    #[differentiable]
    fn hypot_xy_m<T: vjp::Real>(x: T, y: T) -> T {
        x.hypot(y)
    }

    #[differentiable]
    fn hypot_xy_f<T: vjp::Real>(x: T, y: T) -> T {
        T::hypot(x, y)
    }

    #[differentiable]
    fn hypot_x_m<T: vjp::Real>(x: T) -> T {
        x.hypot(T::from_f64(0.8))
    }

    #[differentiable]
    fn hypot_x_f<T: vjp::Real>(x: T, #[no_grad] y: T) -> T {
        T::hypot(x, y)
    }

    #[differentiable]
    fn hypot_y_m<T: vjp::Real>(#[no_grad] x: T, y: T) -> T {
        x.hypot(y)
    }

    #[differentiable]
    fn hypot_y_f<T: vjp::Real>(y: T) -> T {
        T::hypot(T::from_f64(0.8), y)
    }

    #[differentiable]
    fn hypot_y_c<T: vjp::Real>(y: T) -> T {
        T::from_f64(0.8).hypot(y)
    }

    #[differentiable]
    fn powf_xy_m<T: vjp::Real>(x: T, y: T) -> T {
        x.powf(y)
    }

    #[differentiable]
    fn powf_xy_f<T: vjp::Real>(x: T, y: T) -> T {
        T::powf(x, y)
    }

    #[differentiable]
    fn powf_x_m<T: vjp::Real>(x: T) -> T {
        x.powf(T::from_f64(1.5))
    }

    #[differentiable]
    fn powf_x_f<T: vjp::Real>(x: T, #[no_grad] y: T) -> T {
        T::powf(x, y)
    }

    #[differentiable]
    fn powf_y_m<T: vjp::Real>(#[no_grad] x: T, y: T) -> T {
        x.powf(y)
    }

    #[differentiable]
    fn powf_y_f<T: vjp::Real>(y: T) -> T {
        T::powf(T::from_f64(1.5), y)
    }

    #[differentiable]
    fn powf_y_c<T: vjp::Real>(y: T) -> T {
        T::from_f64(1.5).powf(y)
    }

    #[differentiable]
    fn log_xy_m<T: vjp::Real>(x: T, y: T) -> T {
        x.log(y)
    }

    #[differentiable]
    fn log_xy_f<T: vjp::Real>(x: T, y: T) -> T {
        T::log(x, y)
    }

    #[differentiable]
    fn log_x_m<T: vjp::Real>(x: T) -> T {
        x.log(T::from_f64(3.0))
    }

    #[differentiable]
    fn log_x_f<T: vjp::Real>(x: T, #[no_grad] y: T) -> T {
        T::log(x, y)
    }

    #[differentiable]
    fn log_y_m<T: vjp::Real>(#[no_grad] x: T, y: T) -> T {
        x.log(y)
    }

    #[differentiable]
    fn log_y_f<T: vjp::Real>(y: T) -> T {
        T::log(T::from_f64(3.0), y)
    }

    #[differentiable]
    fn log_y_c<T: vjp::Real>(y: T) -> T {
        T::from_f64(3.0).log(y)
    }

    #[differentiable]
    fn max_xy_m<T: vjp::Real>(x: T, y: T) -> T {
        x.max(y)
    }

    #[differentiable]
    fn max_xy_f<T: vjp::Real>(x: T, y: T) -> T {
        T::max(x, y)
    }

    #[differentiable]
    fn max_x_m<T: vjp::Real>(x: T) -> T {
        x.max(T::from_f64(0.8))
    }

    #[differentiable]
    fn max_x_f<T: vjp::Real>(x: T, #[no_grad] y: T) -> T {
        T::max(x, y)
    }

    #[differentiable]
    fn max_y_m<T: vjp::Real>(#[no_grad] x: T, y: T) -> T {
        x.max(y)
    }

    #[differentiable]
    fn max_y_f<T: vjp::Real>(y: T) -> T {
        T::max(T::from_f64(0.8), y)
    }

    #[differentiable]
    fn max_y_c<T: vjp::Real>(y: T) -> T {
        T::from_f64(0.8).max(y)
    }

    #[differentiable]
    fn min_xy_m<T: vjp::Real>(x: T, y: T) -> T {
        x.min(y)
    }

    #[differentiable]
    fn min_xy_f<T: vjp::Real>(x: T, y: T) -> T {
        T::min(x, y)
    }

    #[differentiable]
    fn min_x_m<T: vjp::Real>(x: T) -> T {
        x.min(T::from_f64(0.8))
    }

    #[differentiable]
    fn min_x_f<T: vjp::Real>(x: T, #[no_grad] y: T) -> T {
        T::min(x, y)
    }

    #[differentiable]
    fn min_y_m<T: vjp::Real>(#[no_grad] x: T, y: T) -> T {
        x.min(y)
    }

    #[differentiable]
    fn min_y_f<T: vjp::Real>(y: T) -> T {
        T::min(T::from_f64(0.8), y)
    }

    #[differentiable]
    fn min_y_c<T: vjp::Real>(y: T) -> T {
        T::from_f64(0.8).min(y)
    }

    #[differentiable]
    fn mul_add_abc_m<T: vjp::Real>(a: T, b: T, c: T) -> T {
        a.mul_add(b, c)
    }

    #[differentiable]
    fn mul_add_abc_f<T: vjp::Real>(a: T, b: T, c: T) -> T {
        T::mul_add(a, b, c)
    }

    #[differentiable]
    fn mul_add_a_m<T: vjp::Real>(a: T) -> T {
        a.mul_add(T::from_f64(-0.5), T::from_f64(2.0))
    }

    #[differentiable]
    fn mul_add_b_m<T: vjp::Real>(b: T) -> T {
        T::from_f64(1.5).mul_add(b, T::from_f64(2.0))
    }

    #[differentiable]
    fn mul_add_c_m<T: vjp::Real>(c: T) -> T {
        T::from_f64(1.5).mul_add(T::from_f64(-0.5), c)
    }

    #[differentiable]
    fn mul_add_a_f<T: vjp::Real>(a: T, #[no_grad] b: T, #[no_grad] c: T) -> T {
        T::mul_add(a, b, c)
    }

    #[differentiable]
    fn mul_add_b_f<T: vjp::Real>(#[no_grad] a: T, b: T, #[no_grad] c: T) -> T {
        T::mul_add(a, b, c)
    }

    #[differentiable]
    fn mul_add_c_f<T: vjp::Real>(#[no_grad] a: T, #[no_grad] b: T, c: T) -> T {
        T::mul_add(a, b, c)
    }

    #[differentiable]
    fn mul_add_ab_m<T: vjp::Real>(a: T, b: T) -> T {
        a.mul_add(b, T::from_f64(2.0))
    }

    #[differentiable]
    fn clamp_abc_m<T: vjp::Real>(a: T, b: T, c: T) -> T {
        a.clamp(b, c)
    }

    #[differentiable]
    fn clamp_abc_f<T: vjp::Real>(a: T, b: T, c: T) -> T {
        T::clamp(a, b, c)
    }

    #[differentiable]
    fn clamp_a_m<T: vjp::Real>(a: T) -> T {
        a.clamp(T::from_f64(-1.0), T::from_f64(2.0))
    }

    #[differentiable]
    fn clamp_b_m<T: vjp::Real>(b: T) -> T {
        T::from_f64(0.5).clamp(b, T::from_f64(2.0))
    }

    #[differentiable]
    fn clamp_c_m<T: vjp::Real>(c: T) -> T {
        T::from_f64(0.5).clamp(T::from_f64(-1.0), c)
    }

    #[differentiable]
    fn clamp_a_f<T: vjp::Real>(a: T, #[no_grad] b: T, #[no_grad] c: T) -> T {
        T::clamp(a, b, c)
    }

    #[differentiable]
    fn clamp_b_f<T: vjp::Real>(#[no_grad] a: T, b: T, #[no_grad] c: T) -> T {
        T::clamp(a, b, c)
    }

    #[differentiable]
    fn clamp_c_f<T: vjp::Real>(#[no_grad] a: T, #[no_grad] b: T, c: T) -> T {
        T::clamp(a, b, c)
    }

    #[differentiable]
    fn clamp_ab_m<T: vjp::Real>(a: T, b: T) -> T {
        a.clamp(b, T::from_f64(2.0))
    }

    /// The function form through the trait's path.
    #[differentiable]
    fn trait_path_forms<T: vjp::Real>(x: T, y: T) -> T {
        vjp::Real::sin(x) * vjp::Real::exp(y) + vjp::Real::max(x, y)
    }

    /// The fully qualified forms: `<T as vjp::Real>::exp(y)` and `<T>::sin(x)`, the same rules.
    #[differentiable]
    fn qualified_path_form<T: vjp::Real>(x: T, y: T) -> T {
        <T>::sin(x) * <T as vjp::Real>::exp(y)
    }

    #[test]
    fn qualified_path_form_works() {
        for (x, y) in [(0.3_f64, 0.9_f64), (1.2, -0.4)] {
            let (dx, dy) = qualified_path_form_grad(x, y);
            assert!((dx - x.cos() * y.exp()).abs() < 1e-14);
            assert!((dy - x.sin() * y.exp()).abs() < 1e-14);
            let (dx32, dy32) = qualified_path_form_grad(x as f32, y as f32);
            assert!((dx32 as f64 - dx).abs() < 1e-5 && (dy32 as f64 - dy).abs() < 1e-5);
        }
    }

    #[test]
    fn trait_path_forms_work() {
        for (x, y) in [(0.3, 0.9), (1.2, -0.4)] {
            binary(
                trait_path_forms::<f64>,
                trait_path_forms_vjp::<f64>,
                trait_path_forms_grad::<f64>,
                x,
                y,
                Tolerance::f64(),
            );
            let (x, y) = (x as f32, y as f32);
            binary(
                trait_path_forms::<f32>,
                trait_path_forms_vjp::<f32>,
                trait_path_forms_grad::<f32>,
                x,
                y,
                Tolerance::f32(),
            );
        }
    }

    #[test]
    fn integer_valued_primitives_have_derivative_exactly_zero() {
        for x in [-2.5, -2.0, -1.3, -0.0, 0.0, 0.4, 0.5, 1.0, 2.5, 2.7] {
            assert_eq!(floor_m_grad::<f64>(x), (0.0,));
            assert_eq!(ceil_f_grad::<f64>(x), (0.0,));
            assert_eq!(round_m_grad::<f32>(x as f32), (0.0,));
            assert_eq!(trunc_f_grad::<f32>(x as f32), (0.0,));
            assert_eq!(signum_m_grad::<f64>(x), (0.0,));
            assert_eq!(signum_f_grad::<f32>(x as f32), (0.0,));
        }
    }

    #[test]
    fn kinks() {
        assert_eq!(abs_m_grad::<f64>(0.0), (0.0,));
        assert_eq!(abs_f_grad::<f32>(0.0), (0.0,));
        assert_eq!(max_xy_m_grad::<f64>(1.5, 1.5), (0.5, 0.5));
        assert_eq!(min_xy_f_grad::<f32>(1.5, 1.5), (0.5, 0.5));
        assert_eq!(clamp_abc_m_grad::<f64>(2.0, -1.0, 2.0), (1.0, 0.0, 0.0));
        assert_eq!(clamp_abc_f_grad::<f32>(-1.0, -1.0, 2.0), (1.0, 0.0, 0.0));
        assert_eq!(clamp_abc_m_grad::<f32>(-3.0, -1.0, 2.0), (0.0, 1.0, 0.0));
        assert_eq!(clamp_abc_f_grad::<f64>(3.0, -1.0, 2.0), (0.0, 0.0, 1.0));
    }

    #[test]
    fn sin() {
        for x in [-1.2, -0.3, 0.4, 1.1] {
            {
                unary(
                    sin_m::<f64>,
                    sin_m_vjp::<f64>,
                    sin_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    sin_f::<f64>,
                    sin_f_vjp::<f64>,
                    sin_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    sin_m::<f32>,
                    sin_m_vjp::<f32>,
                    sin_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(sin_m_grad::<f32>(x), sin_m_grad::<f64>(f64::from(x)));
                unary(
                    sin_f::<f32>,
                    sin_f_vjp::<f32>,
                    sin_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(sin_f_grad::<f32>(x), sin_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn cos() {
        for x in [-1.2, -0.3, 0.4, 1.1] {
            {
                unary(
                    cos_m::<f64>,
                    cos_m_vjp::<f64>,
                    cos_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    cos_f::<f64>,
                    cos_f_vjp::<f64>,
                    cos_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    cos_m::<f32>,
                    cos_m_vjp::<f32>,
                    cos_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(cos_m_grad::<f32>(x), cos_m_grad::<f64>(f64::from(x)));
                unary(
                    cos_f::<f32>,
                    cos_f_vjp::<f32>,
                    cos_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(cos_f_grad::<f32>(x), cos_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn tan() {
        for x in [-1.2, -0.3, 0.4, 1.1] {
            {
                unary(
                    tan_m::<f64>,
                    tan_m_vjp::<f64>,
                    tan_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    tan_f::<f64>,
                    tan_f_vjp::<f64>,
                    tan_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    tan_m::<f32>,
                    tan_m_vjp::<f32>,
                    tan_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(tan_m_grad::<f32>(x), tan_m_grad::<f64>(f64::from(x)));
                unary(
                    tan_f::<f32>,
                    tan_f_vjp::<f32>,
                    tan_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(tan_f_grad::<f32>(x), tan_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn asin() {
        for x in [-0.8, -0.2, 0.3, 0.9] {
            {
                unary(
                    asin_m::<f64>,
                    asin_m_vjp::<f64>,
                    asin_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    asin_f::<f64>,
                    asin_f_vjp::<f64>,
                    asin_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    asin_m::<f32>,
                    asin_m_vjp::<f32>,
                    asin_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(asin_m_grad::<f32>(x), asin_m_grad::<f64>(f64::from(x)));
                unary(
                    asin_f::<f32>,
                    asin_f_vjp::<f32>,
                    asin_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(asin_f_grad::<f32>(x), asin_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn acos() {
        for x in [-0.8, -0.2, 0.3, 0.9] {
            {
                unary(
                    acos_m::<f64>,
                    acos_m_vjp::<f64>,
                    acos_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    acos_f::<f64>,
                    acos_f_vjp::<f64>,
                    acos_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    acos_m::<f32>,
                    acos_m_vjp::<f32>,
                    acos_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(acos_m_grad::<f32>(x), acos_m_grad::<f64>(f64::from(x)));
                unary(
                    acos_f::<f32>,
                    acos_f_vjp::<f32>,
                    acos_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(acos_f_grad::<f32>(x), acos_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn atan() {
        for x in [-3.0, -0.5, 0.2, 4.0] {
            {
                unary(
                    atan_m::<f64>,
                    atan_m_vjp::<f64>,
                    atan_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    atan_f::<f64>,
                    atan_f_vjp::<f64>,
                    atan_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    atan_m::<f32>,
                    atan_m_vjp::<f32>,
                    atan_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(atan_m_grad::<f32>(x), atan_m_grad::<f64>(f64::from(x)));
                unary(
                    atan_f::<f32>,
                    atan_f_vjp::<f32>,
                    atan_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(atan_f_grad::<f32>(x), atan_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn sinh() {
        for x in [-2.0, -0.4, 0.3, 1.7] {
            {
                unary(
                    sinh_m::<f64>,
                    sinh_m_vjp::<f64>,
                    sinh_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    sinh_f::<f64>,
                    sinh_f_vjp::<f64>,
                    sinh_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    sinh_m::<f32>,
                    sinh_m_vjp::<f32>,
                    sinh_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(sinh_m_grad::<f32>(x), sinh_m_grad::<f64>(f64::from(x)));
                unary(
                    sinh_f::<f32>,
                    sinh_f_vjp::<f32>,
                    sinh_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(sinh_f_grad::<f32>(x), sinh_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn cosh() {
        for x in [-2.0, -0.4, 0.3, 1.7] {
            {
                unary(
                    cosh_m::<f64>,
                    cosh_m_vjp::<f64>,
                    cosh_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    cosh_f::<f64>,
                    cosh_f_vjp::<f64>,
                    cosh_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    cosh_m::<f32>,
                    cosh_m_vjp::<f32>,
                    cosh_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(cosh_m_grad::<f32>(x), cosh_m_grad::<f64>(f64::from(x)));
                unary(
                    cosh_f::<f32>,
                    cosh_f_vjp::<f32>,
                    cosh_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(cosh_f_grad::<f32>(x), cosh_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn tanh() {
        for x in [-2.0, -0.4, 0.3, 1.7] {
            {
                unary(
                    tanh_m::<f64>,
                    tanh_m_vjp::<f64>,
                    tanh_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    tanh_f::<f64>,
                    tanh_f_vjp::<f64>,
                    tanh_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    tanh_m::<f32>,
                    tanh_m_vjp::<f32>,
                    tanh_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(tanh_m_grad::<f32>(x), tanh_m_grad::<f64>(f64::from(x)));
                unary(
                    tanh_f::<f32>,
                    tanh_f_vjp::<f32>,
                    tanh_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(tanh_f_grad::<f32>(x), tanh_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn asinh() {
        for x in [-2.0, -0.4, 0.3, 1.7] {
            {
                unary(
                    asinh_m::<f64>,
                    asinh_m_vjp::<f64>,
                    asinh_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    asinh_f::<f64>,
                    asinh_f_vjp::<f64>,
                    asinh_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    asinh_m::<f32>,
                    asinh_m_vjp::<f32>,
                    asinh_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(asinh_m_grad::<f32>(x), asinh_m_grad::<f64>(f64::from(x)));
                unary(
                    asinh_f::<f32>,
                    asinh_f_vjp::<f32>,
                    asinh_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(asinh_f_grad::<f32>(x), asinh_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn acosh() {
        for x in [1.2, 2.0, 5.5] {
            {
                unary(
                    acosh_m::<f64>,
                    acosh_m_vjp::<f64>,
                    acosh_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    acosh_f::<f64>,
                    acosh_f_vjp::<f64>,
                    acosh_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    acosh_m::<f32>,
                    acosh_m_vjp::<f32>,
                    acosh_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(acosh_m_grad::<f32>(x), acosh_m_grad::<f64>(f64::from(x)));
                unary(
                    acosh_f::<f32>,
                    acosh_f_vjp::<f32>,
                    acosh_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(acosh_f_grad::<f32>(x), acosh_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn atanh() {
        for x in [-0.8, -0.2, 0.3, 0.6] {
            {
                unary(
                    atanh_m::<f64>,
                    atanh_m_vjp::<f64>,
                    atanh_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    atanh_f::<f64>,
                    atanh_f_vjp::<f64>,
                    atanh_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    atanh_m::<f32>,
                    atanh_m_vjp::<f32>,
                    atanh_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(atanh_m_grad::<f32>(x), atanh_m_grad::<f64>(f64::from(x)));
                unary(
                    atanh_f::<f32>,
                    atanh_f_vjp::<f32>,
                    atanh_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(atanh_f_grad::<f32>(x), atanh_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn exp() {
        for x in [-2.0, -0.1, 0.5, 3.0] {
            {
                unary(
                    exp_m::<f64>,
                    exp_m_vjp::<f64>,
                    exp_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    exp_f::<f64>,
                    exp_f_vjp::<f64>,
                    exp_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    exp_m::<f32>,
                    exp_m_vjp::<f32>,
                    exp_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(exp_m_grad::<f32>(x), exp_m_grad::<f64>(f64::from(x)));
                unary(
                    exp_f::<f32>,
                    exp_f_vjp::<f32>,
                    exp_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(exp_f_grad::<f32>(x), exp_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn exp2() {
        for x in [-2.0, -0.1, 0.5, 3.0] {
            {
                unary(
                    exp2_m::<f64>,
                    exp2_m_vjp::<f64>,
                    exp2_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    exp2_f::<f64>,
                    exp2_f_vjp::<f64>,
                    exp2_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    exp2_m::<f32>,
                    exp2_m_vjp::<f32>,
                    exp2_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(exp2_m_grad::<f32>(x), exp2_m_grad::<f64>(f64::from(x)));
                unary(
                    exp2_f::<f32>,
                    exp2_f_vjp::<f32>,
                    exp2_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(exp2_f_grad::<f32>(x), exp2_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn exp_m1() {
        for x in [-2.0, -0.1, 0.001, 0.5, 3.0] {
            {
                unary(
                    exp_m1_m::<f64>,
                    exp_m1_m_vjp::<f64>,
                    exp_m1_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    exp_m1_f::<f64>,
                    exp_m1_f_vjp::<f64>,
                    exp_m1_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    exp_m1_m::<f32>,
                    exp_m1_m_vjp::<f32>,
                    exp_m1_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(exp_m1_m_grad::<f32>(x), exp_m1_m_grad::<f64>(f64::from(x)));
                unary(
                    exp_m1_f::<f32>,
                    exp_m1_f_vjp::<f32>,
                    exp_m1_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(exp_m1_f_grad::<f32>(x), exp_m1_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn ln() {
        for x in [0.2, 1.0, 3.5, 40.0] {
            {
                unary(
                    ln_m::<f64>,
                    ln_m_vjp::<f64>,
                    ln_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    ln_f::<f64>,
                    ln_f_vjp::<f64>,
                    ln_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    ln_m::<f32>,
                    ln_m_vjp::<f32>,
                    ln_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(ln_m_grad::<f32>(x), ln_m_grad::<f64>(f64::from(x)));
                unary(
                    ln_f::<f32>,
                    ln_f_vjp::<f32>,
                    ln_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(ln_f_grad::<f32>(x), ln_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn log2() {
        for x in [0.2, 1.0, 3.5, 40.0] {
            {
                unary(
                    log2_m::<f64>,
                    log2_m_vjp::<f64>,
                    log2_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    log2_f::<f64>,
                    log2_f_vjp::<f64>,
                    log2_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    log2_m::<f32>,
                    log2_m_vjp::<f32>,
                    log2_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(log2_m_grad::<f32>(x), log2_m_grad::<f64>(f64::from(x)));
                unary(
                    log2_f::<f32>,
                    log2_f_vjp::<f32>,
                    log2_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(log2_f_grad::<f32>(x), log2_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn log10() {
        for x in [0.2, 1.0, 3.5, 40.0] {
            {
                unary(
                    log10_m::<f64>,
                    log10_m_vjp::<f64>,
                    log10_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    log10_f::<f64>,
                    log10_f_vjp::<f64>,
                    log10_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    log10_m::<f32>,
                    log10_m_vjp::<f32>,
                    log10_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(log10_m_grad::<f32>(x), log10_m_grad::<f64>(f64::from(x)));
                unary(
                    log10_f::<f32>,
                    log10_f_vjp::<f32>,
                    log10_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(log10_f_grad::<f32>(x), log10_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn ln_1p() {
        for x in [-0.5, 0.0, 0.1, 3.0] {
            {
                unary(
                    ln_1p_m::<f64>,
                    ln_1p_m_vjp::<f64>,
                    ln_1p_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    ln_1p_f::<f64>,
                    ln_1p_f_vjp::<f64>,
                    ln_1p_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    ln_1p_m::<f32>,
                    ln_1p_m_vjp::<f32>,
                    ln_1p_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(ln_1p_m_grad::<f32>(x), ln_1p_m_grad::<f64>(f64::from(x)));
                unary(
                    ln_1p_f::<f32>,
                    ln_1p_f_vjp::<f32>,
                    ln_1p_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(ln_1p_f_grad::<f32>(x), ln_1p_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn sqrt() {
        for x in [0.05, 1.0, 2.5, 100.0] {
            {
                unary(
                    sqrt_m::<f64>,
                    sqrt_m_vjp::<f64>,
                    sqrt_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    sqrt_f::<f64>,
                    sqrt_f_vjp::<f64>,
                    sqrt_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    sqrt_m::<f32>,
                    sqrt_m_vjp::<f32>,
                    sqrt_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(sqrt_m_grad::<f32>(x), sqrt_m_grad::<f64>(f64::from(x)));
                unary(
                    sqrt_f::<f32>,
                    sqrt_f_vjp::<f32>,
                    sqrt_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(sqrt_f_grad::<f32>(x), sqrt_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn cbrt() {
        for x in [-2.0, 0.3, 8.0] {
            {
                unary(
                    cbrt_m::<f64>,
                    cbrt_m_vjp::<f64>,
                    cbrt_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    cbrt_f::<f64>,
                    cbrt_f_vjp::<f64>,
                    cbrt_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    cbrt_m::<f32>,
                    cbrt_m_vjp::<f32>,
                    cbrt_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(cbrt_m_grad::<f32>(x), cbrt_m_grad::<f64>(f64::from(x)));
                unary(
                    cbrt_f::<f32>,
                    cbrt_f_vjp::<f32>,
                    cbrt_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(cbrt_f_grad::<f32>(x), cbrt_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn abs() {
        for x in [-2.0, -0.3, 0.6, 4.0] {
            {
                unary(
                    abs_m::<f64>,
                    abs_m_vjp::<f64>,
                    abs_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    abs_f::<f64>,
                    abs_f_vjp::<f64>,
                    abs_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    abs_m::<f32>,
                    abs_m_vjp::<f32>,
                    abs_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(abs_m_grad::<f32>(x), abs_m_grad::<f64>(f64::from(x)));
                unary(
                    abs_f::<f32>,
                    abs_f_vjp::<f32>,
                    abs_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(abs_f_grad::<f32>(x), abs_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn recip() {
        for x in [-2.0, 0.3, 5.0] {
            {
                unary(
                    recip_m::<f64>,
                    recip_m_vjp::<f64>,
                    recip_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    recip_f::<f64>,
                    recip_f_vjp::<f64>,
                    recip_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    recip_m::<f32>,
                    recip_m_vjp::<f32>,
                    recip_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(recip_m_grad::<f32>(x), recip_m_grad::<f64>(f64::from(x)));
                unary(
                    recip_f::<f32>,
                    recip_f_vjp::<f32>,
                    recip_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(recip_f_grad::<f32>(x), recip_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn to_degrees() {
        for x in [-2.0, 0.3, 5.0] {
            {
                unary(
                    to_degrees_m::<f64>,
                    to_degrees_m_vjp::<f64>,
                    to_degrees_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    to_degrees_f::<f64>,
                    to_degrees_f_vjp::<f64>,
                    to_degrees_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    to_degrees_m::<f32>,
                    to_degrees_m_vjp::<f32>,
                    to_degrees_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(
                    to_degrees_m_grad::<f32>(x),
                    to_degrees_m_grad::<f64>(f64::from(x)),
                );
                unary(
                    to_degrees_f::<f32>,
                    to_degrees_f_vjp::<f32>,
                    to_degrees_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(
                    to_degrees_f_grad::<f32>(x),
                    to_degrees_f_grad::<f64>(f64::from(x)),
                );
            }
        }
    }

    #[test]
    fn to_radians() {
        for x in [-200.0, 0.3, 45.0] {
            {
                unary(
                    to_radians_m::<f64>,
                    to_radians_m_vjp::<f64>,
                    to_radians_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    to_radians_f::<f64>,
                    to_radians_f_vjp::<f64>,
                    to_radians_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    to_radians_m::<f32>,
                    to_radians_m_vjp::<f32>,
                    to_radians_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(
                    to_radians_m_grad::<f32>(x),
                    to_radians_m_grad::<f64>(f64::from(x)),
                );
                unary(
                    to_radians_f::<f32>,
                    to_radians_f_vjp::<f32>,
                    to_radians_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(
                    to_radians_f_grad::<f32>(x),
                    to_radians_f_grad::<f64>(f64::from(x)),
                );
            }
        }
    }

    #[test]
    fn signum() {
        for x in [-2.0, -0.3, 0.6, 4.0] {
            {
                unary(
                    signum_m::<f64>,
                    signum_m_vjp::<f64>,
                    signum_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    signum_f::<f64>,
                    signum_f_vjp::<f64>,
                    signum_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    signum_m::<f32>,
                    signum_m_vjp::<f32>,
                    signum_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(signum_m_grad::<f32>(x), signum_m_grad::<f64>(f64::from(x)));
                unary(
                    signum_f::<f32>,
                    signum_f_vjp::<f32>,
                    signum_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(signum_f_grad::<f32>(x), signum_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn floor() {
        for x in [-1.3, 0.4, 2.7] {
            {
                unary(
                    floor_m::<f64>,
                    floor_m_vjp::<f64>,
                    floor_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    floor_f::<f64>,
                    floor_f_vjp::<f64>,
                    floor_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    floor_m::<f32>,
                    floor_m_vjp::<f32>,
                    floor_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(floor_m_grad::<f32>(x), floor_m_grad::<f64>(f64::from(x)));
                unary(
                    floor_f::<f32>,
                    floor_f_vjp::<f32>,
                    floor_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(floor_f_grad::<f32>(x), floor_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn ceil() {
        for x in [-1.3, 0.4, 2.7] {
            {
                unary(
                    ceil_m::<f64>,
                    ceil_m_vjp::<f64>,
                    ceil_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    ceil_f::<f64>,
                    ceil_f_vjp::<f64>,
                    ceil_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    ceil_m::<f32>,
                    ceil_m_vjp::<f32>,
                    ceil_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(ceil_m_grad::<f32>(x), ceil_m_grad::<f64>(f64::from(x)));
                unary(
                    ceil_f::<f32>,
                    ceil_f_vjp::<f32>,
                    ceil_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(ceil_f_grad::<f32>(x), ceil_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn round() {
        for x in [-1.3, 0.4, 2.7] {
            {
                unary(
                    round_m::<f64>,
                    round_m_vjp::<f64>,
                    round_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    round_f::<f64>,
                    round_f_vjp::<f64>,
                    round_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    round_m::<f32>,
                    round_m_vjp::<f32>,
                    round_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(round_m_grad::<f32>(x), round_m_grad::<f64>(f64::from(x)));
                unary(
                    round_f::<f32>,
                    round_f_vjp::<f32>,
                    round_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(round_f_grad::<f32>(x), round_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn trunc() {
        for x in [-1.3, 0.4, 2.7] {
            {
                unary(
                    trunc_m::<f64>,
                    trunc_m_vjp::<f64>,
                    trunc_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    trunc_f::<f64>,
                    trunc_f_vjp::<f64>,
                    trunc_f_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    trunc_m::<f32>,
                    trunc_m_vjp::<f32>,
                    trunc_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(trunc_m_grad::<f32>(x), trunc_m_grad::<f64>(f64::from(x)));
                unary(
                    trunc_f::<f32>,
                    trunc_f_vjp::<f32>,
                    trunc_f_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(trunc_f_grad::<f32>(x), trunc_f_grad::<f64>(f64::from(x)));
            }
        }
    }

    #[test]
    fn powi() {
        for (x, n) in [
            (-1.5, -3),
            (-1.5, -2),
            (-1.5, -1),
            (-1.5, 0),
            (-1.5, 1),
            (-1.5, 2),
            (-1.5, 5),
            (0.4, -3),
            (0.4, -2),
            (0.4, -1),
            (0.4, 0),
            (0.4, 1),
            (0.4, 2),
            (0.4, 5),
            (2.0, -3),
            (2.0, -2),
            (2.0, -1),
            (2.0, 0),
            (2.0, 1),
            (2.0, 2),
            (2.0, 5),
        ] {
            {
                unary(
                    |x| powi_m::<f64>(x, n),
                    |x, v| powi_m_vjp::<f64>(x, n, v),
                    |x| powi_m_grad::<f64>(x, n),
                    x,
                    Tolerance::f64(),
                );
                unary(
                    |x| powi_f::<f64>(x, n),
                    |x, v| powi_f_vjp::<f64>(x, n, v),
                    |x| powi_f_grad::<f64>(x, n),
                    x,
                    Tolerance::f64(),
                );
                unary(
                    |x| powi_expr::<f64>(x, n),
                    |x, v| powi_expr_vjp::<f64>(x, n, v),
                    |x| powi_expr_grad::<f64>(x, n),
                    x,
                    Tolerance::f64(),
                );
                unary(
                    powi_m3::<f64>,
                    powi_m3_vjp::<f64>,
                    powi_m3_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    powi_f_minus2::<f64>,
                    powi_f_minus2_vjp::<f64>,
                    powi_f_minus2_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
            }
            {
                let x = x as f32;
                unary(
                    |x| powi_m::<f32>(x, n),
                    |x, v| powi_m_vjp::<f32>(x, n, v),
                    |x| powi_m_grad::<f32>(x, n),
                    x,
                    Tolerance::f32(),
                );
                cross(
                    powi_m_grad::<f32>(x, n),
                    powi_m_grad::<f64>(f64::from(x), n),
                );
                unary(
                    |x| powi_f::<f32>(x, n),
                    |x, v| powi_f_vjp::<f32>(x, n, v),
                    |x| powi_f_grad::<f32>(x, n),
                    x,
                    Tolerance::f32(),
                );
                cross(
                    powi_f_grad::<f32>(x, n),
                    powi_f_grad::<f64>(f64::from(x), n),
                );
                unary(
                    |x| powi_expr::<f32>(x, n),
                    |x, v| powi_expr_vjp::<f32>(x, n, v),
                    |x| powi_expr_grad::<f32>(x, n),
                    x,
                    Tolerance::f32(),
                );
                cross(
                    powi_expr_grad::<f32>(x, n),
                    powi_expr_grad::<f64>(f64::from(x), n),
                );
                unary(
                    powi_m3::<f32>,
                    powi_m3_vjp::<f32>,
                    powi_m3_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(powi_m3_grad::<f32>(x), powi_m3_grad::<f64>(f64::from(x)));
                unary(
                    powi_f_minus2::<f32>,
                    powi_f_minus2_vjp::<f32>,
                    powi_f_minus2_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(
                    powi_f_minus2_grad::<f32>(x),
                    powi_f_minus2_grad::<f64>(f64::from(x)),
                );
            }
        }
    }

    #[test]
    fn atan2() {
        for (x, y) in [(0.5, 0.8), (-1.0, -0.3), (2.0, -1.5)] {
            {
                binary(
                    atan2_xy_m::<f64>,
                    atan2_xy_m_vjp::<f64>,
                    atan2_xy_m_grad::<f64>,
                    x,
                    y,
                    Tolerance::f64(),
                );
                binary(
                    atan2_xy_f::<f64>,
                    atan2_xy_f_vjp::<f64>,
                    atan2_xy_f_grad::<f64>,
                    x,
                    y,
                    Tolerance::f64(),
                );
                unary(
                    atan2_x_m::<f64>,
                    atan2_x_m_vjp::<f64>,
                    atan2_x_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    |x| atan2_x_f::<f64>(x, y),
                    |x, v| atan2_x_f_vjp::<f64>(x, y, v),
                    |x| atan2_x_f_grad::<f64>(x, y),
                    x,
                    Tolerance::f64(),
                );
                unary(
                    |y| atan2_y_m::<f64>(x, y),
                    |y, v| atan2_y_m_vjp::<f64>(x, y, v),
                    |y| atan2_y_m_grad::<f64>(x, y),
                    y,
                    Tolerance::f64(),
                );
                unary(
                    atan2_y_f::<f64>,
                    atan2_y_f_vjp::<f64>,
                    atan2_y_f_grad::<f64>,
                    y,
                    Tolerance::f64(),
                );
                unary(
                    atan2_y_c::<f64>,
                    atan2_y_c_vjp::<f64>,
                    atan2_y_c_grad::<f64>,
                    y,
                    Tolerance::f64(),
                );
            }
            {
                let (x, y) = (x as f32, y as f32);
                binary(
                    atan2_xy_m::<f32>,
                    atan2_xy_m_vjp::<f32>,
                    atan2_xy_m_grad::<f32>,
                    x,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    atan2_xy_m_grad::<f32>(x, y),
                    atan2_xy_m_grad::<f64>(f64::from(x), f64::from(y)),
                );
                binary(
                    atan2_xy_f::<f32>,
                    atan2_xy_f_vjp::<f32>,
                    atan2_xy_f_grad::<f32>,
                    x,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    atan2_xy_f_grad::<f32>(x, y),
                    atan2_xy_f_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    atan2_x_m::<f32>,
                    atan2_x_m_vjp::<f32>,
                    atan2_x_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(
                    atan2_x_m_grad::<f32>(x),
                    atan2_x_m_grad::<f64>(f64::from(x)),
                );
                unary(
                    |x| atan2_x_f::<f32>(x, y),
                    |x, v| atan2_x_f_vjp::<f32>(x, y, v),
                    |x| atan2_x_f_grad::<f32>(x, y),
                    x,
                    Tolerance::f32(),
                );
                cross(
                    atan2_x_f_grad::<f32>(x, y),
                    atan2_x_f_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    |y| atan2_y_m::<f32>(x, y),
                    |y, v| atan2_y_m_vjp::<f32>(x, y, v),
                    |y| atan2_y_m_grad::<f32>(x, y),
                    y,
                    Tolerance::f32(),
                );
                cross(
                    atan2_y_m_grad::<f32>(x, y),
                    atan2_y_m_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    atan2_y_f::<f32>,
                    atan2_y_f_vjp::<f32>,
                    atan2_y_f_grad::<f32>,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    atan2_y_f_grad::<f32>(y),
                    atan2_y_f_grad::<f64>(f64::from(y)),
                );
                unary(
                    atan2_y_c::<f32>,
                    atan2_y_c_vjp::<f32>,
                    atan2_y_c_grad::<f32>,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    atan2_y_c_grad::<f32>(y),
                    atan2_y_c_grad::<f64>(f64::from(y)),
                );
            }
        }
    }

    #[test]
    fn hypot() {
        for (x, y) in [(3.0, -4.0), (0.2, 0.9), (-1.1, 0.05)] {
            {
                binary(
                    hypot_xy_m::<f64>,
                    hypot_xy_m_vjp::<f64>,
                    hypot_xy_m_grad::<f64>,
                    x,
                    y,
                    Tolerance::f64(),
                );
                binary(
                    hypot_xy_f::<f64>,
                    hypot_xy_f_vjp::<f64>,
                    hypot_xy_f_grad::<f64>,
                    x,
                    y,
                    Tolerance::f64(),
                );
                unary(
                    hypot_x_m::<f64>,
                    hypot_x_m_vjp::<f64>,
                    hypot_x_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    |x| hypot_x_f::<f64>(x, y),
                    |x, v| hypot_x_f_vjp::<f64>(x, y, v),
                    |x| hypot_x_f_grad::<f64>(x, y),
                    x,
                    Tolerance::f64(),
                );
                unary(
                    |y| hypot_y_m::<f64>(x, y),
                    |y, v| hypot_y_m_vjp::<f64>(x, y, v),
                    |y| hypot_y_m_grad::<f64>(x, y),
                    y,
                    Tolerance::f64(),
                );
                unary(
                    hypot_y_f::<f64>,
                    hypot_y_f_vjp::<f64>,
                    hypot_y_f_grad::<f64>,
                    y,
                    Tolerance::f64(),
                );
                unary(
                    hypot_y_c::<f64>,
                    hypot_y_c_vjp::<f64>,
                    hypot_y_c_grad::<f64>,
                    y,
                    Tolerance::f64(),
                );
            }
            {
                let (x, y) = (x as f32, y as f32);
                binary(
                    hypot_xy_m::<f32>,
                    hypot_xy_m_vjp::<f32>,
                    hypot_xy_m_grad::<f32>,
                    x,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    hypot_xy_m_grad::<f32>(x, y),
                    hypot_xy_m_grad::<f64>(f64::from(x), f64::from(y)),
                );
                binary(
                    hypot_xy_f::<f32>,
                    hypot_xy_f_vjp::<f32>,
                    hypot_xy_f_grad::<f32>,
                    x,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    hypot_xy_f_grad::<f32>(x, y),
                    hypot_xy_f_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    hypot_x_m::<f32>,
                    hypot_x_m_vjp::<f32>,
                    hypot_x_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(
                    hypot_x_m_grad::<f32>(x),
                    hypot_x_m_grad::<f64>(f64::from(x)),
                );
                unary(
                    |x| hypot_x_f::<f32>(x, y),
                    |x, v| hypot_x_f_vjp::<f32>(x, y, v),
                    |x| hypot_x_f_grad::<f32>(x, y),
                    x,
                    Tolerance::f32(),
                );
                cross(
                    hypot_x_f_grad::<f32>(x, y),
                    hypot_x_f_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    |y| hypot_y_m::<f32>(x, y),
                    |y, v| hypot_y_m_vjp::<f32>(x, y, v),
                    |y| hypot_y_m_grad::<f32>(x, y),
                    y,
                    Tolerance::f32(),
                );
                cross(
                    hypot_y_m_grad::<f32>(x, y),
                    hypot_y_m_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    hypot_y_f::<f32>,
                    hypot_y_f_vjp::<f32>,
                    hypot_y_f_grad::<f32>,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    hypot_y_f_grad::<f32>(y),
                    hypot_y_f_grad::<f64>(f64::from(y)),
                );
                unary(
                    hypot_y_c::<f32>,
                    hypot_y_c_vjp::<f32>,
                    hypot_y_c_grad::<f32>,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    hypot_y_c_grad::<f32>(y),
                    hypot_y_c_grad::<f64>(f64::from(y)),
                );
            }
        }
    }

    #[test]
    fn powf() {
        for (x, y) in [(0.3, -1.5), (1.7, 0.5), (4.0, 2.5)] {
            {
                binary(
                    powf_xy_m::<f64>,
                    powf_xy_m_vjp::<f64>,
                    powf_xy_m_grad::<f64>,
                    x,
                    y,
                    Tolerance::f64(),
                );
                binary(
                    powf_xy_f::<f64>,
                    powf_xy_f_vjp::<f64>,
                    powf_xy_f_grad::<f64>,
                    x,
                    y,
                    Tolerance::f64(),
                );
                unary(
                    powf_x_m::<f64>,
                    powf_x_m_vjp::<f64>,
                    powf_x_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    |x| powf_x_f::<f64>(x, y),
                    |x, v| powf_x_f_vjp::<f64>(x, y, v),
                    |x| powf_x_f_grad::<f64>(x, y),
                    x,
                    Tolerance::f64(),
                );
                unary(
                    |y| powf_y_m::<f64>(x, y),
                    |y, v| powf_y_m_vjp::<f64>(x, y, v),
                    |y| powf_y_m_grad::<f64>(x, y),
                    y,
                    Tolerance::f64(),
                );
                unary(
                    powf_y_f::<f64>,
                    powf_y_f_vjp::<f64>,
                    powf_y_f_grad::<f64>,
                    y,
                    Tolerance::f64(),
                );
                unary(
                    powf_y_c::<f64>,
                    powf_y_c_vjp::<f64>,
                    powf_y_c_grad::<f64>,
                    y,
                    Tolerance::f64(),
                );
            }
            {
                let (x, y) = (x as f32, y as f32);
                binary(
                    powf_xy_m::<f32>,
                    powf_xy_m_vjp::<f32>,
                    powf_xy_m_grad::<f32>,
                    x,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    powf_xy_m_grad::<f32>(x, y),
                    powf_xy_m_grad::<f64>(f64::from(x), f64::from(y)),
                );
                binary(
                    powf_xy_f::<f32>,
                    powf_xy_f_vjp::<f32>,
                    powf_xy_f_grad::<f32>,
                    x,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    powf_xy_f_grad::<f32>(x, y),
                    powf_xy_f_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    powf_x_m::<f32>,
                    powf_x_m_vjp::<f32>,
                    powf_x_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(powf_x_m_grad::<f32>(x), powf_x_m_grad::<f64>(f64::from(x)));
                unary(
                    |x| powf_x_f::<f32>(x, y),
                    |x, v| powf_x_f_vjp::<f32>(x, y, v),
                    |x| powf_x_f_grad::<f32>(x, y),
                    x,
                    Tolerance::f32(),
                );
                cross(
                    powf_x_f_grad::<f32>(x, y),
                    powf_x_f_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    |y| powf_y_m::<f32>(x, y),
                    |y, v| powf_y_m_vjp::<f32>(x, y, v),
                    |y| powf_y_m_grad::<f32>(x, y),
                    y,
                    Tolerance::f32(),
                );
                cross(
                    powf_y_m_grad::<f32>(x, y),
                    powf_y_m_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    powf_y_f::<f32>,
                    powf_y_f_vjp::<f32>,
                    powf_y_f_grad::<f32>,
                    y,
                    Tolerance::f32(),
                );
                cross(powf_y_f_grad::<f32>(y), powf_y_f_grad::<f64>(f64::from(y)));
                unary(
                    powf_y_c::<f32>,
                    powf_y_c_vjp::<f32>,
                    powf_y_c_grad::<f32>,
                    y,
                    Tolerance::f32(),
                );
                cross(powf_y_c_grad::<f32>(y), powf_y_c_grad::<f64>(f64::from(y)));
            }
        }
    }

    #[test]
    fn log() {
        for (x, y) in [(0.5, 2.0), (3.0, 10.0), (7.0, 0.5)] {
            {
                binary(
                    log_xy_m::<f64>,
                    log_xy_m_vjp::<f64>,
                    log_xy_m_grad::<f64>,
                    x,
                    y,
                    Tolerance::f64(),
                );
                binary(
                    log_xy_f::<f64>,
                    log_xy_f_vjp::<f64>,
                    log_xy_f_grad::<f64>,
                    x,
                    y,
                    Tolerance::f64(),
                );
                unary(
                    log_x_m::<f64>,
                    log_x_m_vjp::<f64>,
                    log_x_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    |x| log_x_f::<f64>(x, y),
                    |x, v| log_x_f_vjp::<f64>(x, y, v),
                    |x| log_x_f_grad::<f64>(x, y),
                    x,
                    Tolerance::f64(),
                );
                unary(
                    |y| log_y_m::<f64>(x, y),
                    |y, v| log_y_m_vjp::<f64>(x, y, v),
                    |y| log_y_m_grad::<f64>(x, y),
                    y,
                    Tolerance::f64(),
                );
                unary(
                    log_y_f::<f64>,
                    log_y_f_vjp::<f64>,
                    log_y_f_grad::<f64>,
                    y,
                    Tolerance::f64(),
                );
                unary(
                    log_y_c::<f64>,
                    log_y_c_vjp::<f64>,
                    log_y_c_grad::<f64>,
                    y,
                    Tolerance::f64(),
                );
            }
            {
                let (x, y) = (x as f32, y as f32);
                binary(
                    log_xy_m::<f32>,
                    log_xy_m_vjp::<f32>,
                    log_xy_m_grad::<f32>,
                    x,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    log_xy_m_grad::<f32>(x, y),
                    log_xy_m_grad::<f64>(f64::from(x), f64::from(y)),
                );
                binary(
                    log_xy_f::<f32>,
                    log_xy_f_vjp::<f32>,
                    log_xy_f_grad::<f32>,
                    x,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    log_xy_f_grad::<f32>(x, y),
                    log_xy_f_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    log_x_m::<f32>,
                    log_x_m_vjp::<f32>,
                    log_x_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(log_x_m_grad::<f32>(x), log_x_m_grad::<f64>(f64::from(x)));
                unary(
                    |x| log_x_f::<f32>(x, y),
                    |x, v| log_x_f_vjp::<f32>(x, y, v),
                    |x| log_x_f_grad::<f32>(x, y),
                    x,
                    Tolerance::f32(),
                );
                cross(
                    log_x_f_grad::<f32>(x, y),
                    log_x_f_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    |y| log_y_m::<f32>(x, y),
                    |y, v| log_y_m_vjp::<f32>(x, y, v),
                    |y| log_y_m_grad::<f32>(x, y),
                    y,
                    Tolerance::f32(),
                );
                cross(
                    log_y_m_grad::<f32>(x, y),
                    log_y_m_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    log_y_f::<f32>,
                    log_y_f_vjp::<f32>,
                    log_y_f_grad::<f32>,
                    y,
                    Tolerance::f32(),
                );
                cross(log_y_f_grad::<f32>(y), log_y_f_grad::<f64>(f64::from(y)));
                unary(
                    log_y_c::<f32>,
                    log_y_c_vjp::<f32>,
                    log_y_c_grad::<f32>,
                    y,
                    Tolerance::f32(),
                );
                cross(log_y_c_grad::<f32>(y), log_y_c_grad::<f64>(f64::from(y)));
            }
        }
    }

    #[test]
    fn max() {
        for (x, y) in [(1.0, 2.0), (3.0, -1.0), (-0.5, -0.25)] {
            {
                binary(
                    max_xy_m::<f64>,
                    max_xy_m_vjp::<f64>,
                    max_xy_m_grad::<f64>,
                    x,
                    y,
                    Tolerance::f64(),
                );
                binary(
                    max_xy_f::<f64>,
                    max_xy_f_vjp::<f64>,
                    max_xy_f_grad::<f64>,
                    x,
                    y,
                    Tolerance::f64(),
                );
                unary(
                    max_x_m::<f64>,
                    max_x_m_vjp::<f64>,
                    max_x_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    |x| max_x_f::<f64>(x, y),
                    |x, v| max_x_f_vjp::<f64>(x, y, v),
                    |x| max_x_f_grad::<f64>(x, y),
                    x,
                    Tolerance::f64(),
                );
                unary(
                    |y| max_y_m::<f64>(x, y),
                    |y, v| max_y_m_vjp::<f64>(x, y, v),
                    |y| max_y_m_grad::<f64>(x, y),
                    y,
                    Tolerance::f64(),
                );
                unary(
                    max_y_f::<f64>,
                    max_y_f_vjp::<f64>,
                    max_y_f_grad::<f64>,
                    y,
                    Tolerance::f64(),
                );
                unary(
                    max_y_c::<f64>,
                    max_y_c_vjp::<f64>,
                    max_y_c_grad::<f64>,
                    y,
                    Tolerance::f64(),
                );
            }
            {
                let (x, y) = (x as f32, y as f32);
                binary(
                    max_xy_m::<f32>,
                    max_xy_m_vjp::<f32>,
                    max_xy_m_grad::<f32>,
                    x,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    max_xy_m_grad::<f32>(x, y),
                    max_xy_m_grad::<f64>(f64::from(x), f64::from(y)),
                );
                binary(
                    max_xy_f::<f32>,
                    max_xy_f_vjp::<f32>,
                    max_xy_f_grad::<f32>,
                    x,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    max_xy_f_grad::<f32>(x, y),
                    max_xy_f_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    max_x_m::<f32>,
                    max_x_m_vjp::<f32>,
                    max_x_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(max_x_m_grad::<f32>(x), max_x_m_grad::<f64>(f64::from(x)));
                unary(
                    |x| max_x_f::<f32>(x, y),
                    |x, v| max_x_f_vjp::<f32>(x, y, v),
                    |x| max_x_f_grad::<f32>(x, y),
                    x,
                    Tolerance::f32(),
                );
                cross(
                    max_x_f_grad::<f32>(x, y),
                    max_x_f_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    |y| max_y_m::<f32>(x, y),
                    |y, v| max_y_m_vjp::<f32>(x, y, v),
                    |y| max_y_m_grad::<f32>(x, y),
                    y,
                    Tolerance::f32(),
                );
                cross(
                    max_y_m_grad::<f32>(x, y),
                    max_y_m_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    max_y_f::<f32>,
                    max_y_f_vjp::<f32>,
                    max_y_f_grad::<f32>,
                    y,
                    Tolerance::f32(),
                );
                cross(max_y_f_grad::<f32>(y), max_y_f_grad::<f64>(f64::from(y)));
                unary(
                    max_y_c::<f32>,
                    max_y_c_vjp::<f32>,
                    max_y_c_grad::<f32>,
                    y,
                    Tolerance::f32(),
                );
                cross(max_y_c_grad::<f32>(y), max_y_c_grad::<f64>(f64::from(y)));
            }
        }
    }

    #[test]
    fn min() {
        for (x, y) in [(1.0, 2.0), (3.0, -1.0), (-0.5, -0.25)] {
            {
                binary(
                    min_xy_m::<f64>,
                    min_xy_m_vjp::<f64>,
                    min_xy_m_grad::<f64>,
                    x,
                    y,
                    Tolerance::f64(),
                );
                binary(
                    min_xy_f::<f64>,
                    min_xy_f_vjp::<f64>,
                    min_xy_f_grad::<f64>,
                    x,
                    y,
                    Tolerance::f64(),
                );
                unary(
                    min_x_m::<f64>,
                    min_x_m_vjp::<f64>,
                    min_x_m_grad::<f64>,
                    x,
                    Tolerance::f64(),
                );
                unary(
                    |x| min_x_f::<f64>(x, y),
                    |x, v| min_x_f_vjp::<f64>(x, y, v),
                    |x| min_x_f_grad::<f64>(x, y),
                    x,
                    Tolerance::f64(),
                );
                unary(
                    |y| min_y_m::<f64>(x, y),
                    |y, v| min_y_m_vjp::<f64>(x, y, v),
                    |y| min_y_m_grad::<f64>(x, y),
                    y,
                    Tolerance::f64(),
                );
                unary(
                    min_y_f::<f64>,
                    min_y_f_vjp::<f64>,
                    min_y_f_grad::<f64>,
                    y,
                    Tolerance::f64(),
                );
                unary(
                    min_y_c::<f64>,
                    min_y_c_vjp::<f64>,
                    min_y_c_grad::<f64>,
                    y,
                    Tolerance::f64(),
                );
            }
            {
                let (x, y) = (x as f32, y as f32);
                binary(
                    min_xy_m::<f32>,
                    min_xy_m_vjp::<f32>,
                    min_xy_m_grad::<f32>,
                    x,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    min_xy_m_grad::<f32>(x, y),
                    min_xy_m_grad::<f64>(f64::from(x), f64::from(y)),
                );
                binary(
                    min_xy_f::<f32>,
                    min_xy_f_vjp::<f32>,
                    min_xy_f_grad::<f32>,
                    x,
                    y,
                    Tolerance::f32(),
                );
                cross(
                    min_xy_f_grad::<f32>(x, y),
                    min_xy_f_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    min_x_m::<f32>,
                    min_x_m_vjp::<f32>,
                    min_x_m_grad::<f32>,
                    x,
                    Tolerance::f32(),
                );
                cross(min_x_m_grad::<f32>(x), min_x_m_grad::<f64>(f64::from(x)));
                unary(
                    |x| min_x_f::<f32>(x, y),
                    |x, v| min_x_f_vjp::<f32>(x, y, v),
                    |x| min_x_f_grad::<f32>(x, y),
                    x,
                    Tolerance::f32(),
                );
                cross(
                    min_x_f_grad::<f32>(x, y),
                    min_x_f_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    |y| min_y_m::<f32>(x, y),
                    |y, v| min_y_m_vjp::<f32>(x, y, v),
                    |y| min_y_m_grad::<f32>(x, y),
                    y,
                    Tolerance::f32(),
                );
                cross(
                    min_y_m_grad::<f32>(x, y),
                    min_y_m_grad::<f64>(f64::from(x), f64::from(y)),
                );
                unary(
                    min_y_f::<f32>,
                    min_y_f_vjp::<f32>,
                    min_y_f_grad::<f32>,
                    y,
                    Tolerance::f32(),
                );
                cross(min_y_f_grad::<f32>(y), min_y_f_grad::<f64>(f64::from(y)));
                unary(
                    min_y_c::<f32>,
                    min_y_c_vjp::<f32>,
                    min_y_c_grad::<f32>,
                    y,
                    Tolerance::f32(),
                );
                cross(min_y_c_grad::<f32>(y), min_y_c_grad::<f64>(f64::from(y)));
            }
        }
    }

    #[test]
    fn mul_add() {
        for (a, b, c) in [(1.2, -0.7, 3.0), (-2.0, 0.4, -1.0)] {
            {
                ternary(
                    mul_add_abc_m::<f64>,
                    mul_add_abc_m_vjp::<f64>,
                    mul_add_abc_m_grad::<f64>,
                    a,
                    b,
                    c,
                    Tolerance::f64(),
                );
                ternary(
                    mul_add_abc_f::<f64>,
                    mul_add_abc_f_vjp::<f64>,
                    mul_add_abc_f_grad::<f64>,
                    a,
                    b,
                    c,
                    Tolerance::f64(),
                );
                unary(
                    mul_add_a_m::<f64>,
                    mul_add_a_m_vjp::<f64>,
                    mul_add_a_m_grad::<f64>,
                    a,
                    Tolerance::f64(),
                );
                unary(
                    mul_add_b_m::<f64>,
                    mul_add_b_m_vjp::<f64>,
                    mul_add_b_m_grad::<f64>,
                    b,
                    Tolerance::f64(),
                );
                unary(
                    mul_add_c_m::<f64>,
                    mul_add_c_m_vjp::<f64>,
                    mul_add_c_m_grad::<f64>,
                    c,
                    Tolerance::f64(),
                );
                unary(
                    |a| mul_add_a_f::<f64>(a, b, c),
                    |a, v| mul_add_a_f_vjp::<f64>(a, b, c, v),
                    |a| mul_add_a_f_grad::<f64>(a, b, c),
                    a,
                    Tolerance::f64(),
                );
                unary(
                    |b| mul_add_b_f::<f64>(a, b, c),
                    |b, v| mul_add_b_f_vjp::<f64>(a, b, c, v),
                    |b| mul_add_b_f_grad::<f64>(a, b, c),
                    b,
                    Tolerance::f64(),
                );
                unary(
                    |c| mul_add_c_f::<f64>(a, b, c),
                    |c, v| mul_add_c_f_vjp::<f64>(a, b, c, v),
                    |c| mul_add_c_f_grad::<f64>(a, b, c),
                    c,
                    Tolerance::f64(),
                );
                binary(
                    mul_add_ab_m::<f64>,
                    mul_add_ab_m_vjp::<f64>,
                    mul_add_ab_m_grad::<f64>,
                    a,
                    b,
                    Tolerance::f64(),
                );
            }
            {
                let (a, b, c) = (a as f32, b as f32, c as f32);
                ternary(
                    mul_add_abc_m::<f32>,
                    mul_add_abc_m_vjp::<f32>,
                    mul_add_abc_m_grad::<f32>,
                    a,
                    b,
                    c,
                    Tolerance::f32(),
                );
                cross(
                    mul_add_abc_m_grad::<f32>(a, b, c),
                    mul_add_abc_m_grad::<f64>(f64::from(a), f64::from(b), f64::from(c)),
                );
                ternary(
                    mul_add_abc_f::<f32>,
                    mul_add_abc_f_vjp::<f32>,
                    mul_add_abc_f_grad::<f32>,
                    a,
                    b,
                    c,
                    Tolerance::f32(),
                );
                cross(
                    mul_add_abc_f_grad::<f32>(a, b, c),
                    mul_add_abc_f_grad::<f64>(f64::from(a), f64::from(b), f64::from(c)),
                );
                unary(
                    mul_add_a_m::<f32>,
                    mul_add_a_m_vjp::<f32>,
                    mul_add_a_m_grad::<f32>,
                    a,
                    Tolerance::f32(),
                );
                cross(
                    mul_add_a_m_grad::<f32>(a),
                    mul_add_a_m_grad::<f64>(f64::from(a)),
                );
                unary(
                    mul_add_b_m::<f32>,
                    mul_add_b_m_vjp::<f32>,
                    mul_add_b_m_grad::<f32>,
                    b,
                    Tolerance::f32(),
                );
                cross(
                    mul_add_b_m_grad::<f32>(b),
                    mul_add_b_m_grad::<f64>(f64::from(b)),
                );
                unary(
                    mul_add_c_m::<f32>,
                    mul_add_c_m_vjp::<f32>,
                    mul_add_c_m_grad::<f32>,
                    c,
                    Tolerance::f32(),
                );
                cross(
                    mul_add_c_m_grad::<f32>(c),
                    mul_add_c_m_grad::<f64>(f64::from(c)),
                );
                unary(
                    |a| mul_add_a_f::<f32>(a, b, c),
                    |a, v| mul_add_a_f_vjp::<f32>(a, b, c, v),
                    |a| mul_add_a_f_grad::<f32>(a, b, c),
                    a,
                    Tolerance::f32(),
                );
                cross(
                    mul_add_a_f_grad::<f32>(a, b, c),
                    mul_add_a_f_grad::<f64>(f64::from(a), f64::from(b), f64::from(c)),
                );
                unary(
                    |b| mul_add_b_f::<f32>(a, b, c),
                    |b, v| mul_add_b_f_vjp::<f32>(a, b, c, v),
                    |b| mul_add_b_f_grad::<f32>(a, b, c),
                    b,
                    Tolerance::f32(),
                );
                cross(
                    mul_add_b_f_grad::<f32>(a, b, c),
                    mul_add_b_f_grad::<f64>(f64::from(a), f64::from(b), f64::from(c)),
                );
                unary(
                    |c| mul_add_c_f::<f32>(a, b, c),
                    |c, v| mul_add_c_f_vjp::<f32>(a, b, c, v),
                    |c| mul_add_c_f_grad::<f32>(a, b, c),
                    c,
                    Tolerance::f32(),
                );
                cross(
                    mul_add_c_f_grad::<f32>(a, b, c),
                    mul_add_c_f_grad::<f64>(f64::from(a), f64::from(b), f64::from(c)),
                );
                binary(
                    mul_add_ab_m::<f32>,
                    mul_add_ab_m_vjp::<f32>,
                    mul_add_ab_m_grad::<f32>,
                    a,
                    b,
                    Tolerance::f32(),
                );
                cross(
                    mul_add_ab_m_grad::<f32>(a, b),
                    mul_add_ab_m_grad::<f64>(f64::from(a), f64::from(b)),
                );
            }
        }
    }

    #[test]
    fn clamp() {
        for (a, b, c) in [
            (0.5, -1.0, 2.0),
            (-2.0, -1.0, 2.0),
            (3.0, -1.0, 2.0),
            (1.9, -0.3, 2.2),
            (0.1, 0.7, 2.0),
            (0.9, -1.0, 0.4),
        ] {
            {
                ternary(
                    clamp_abc_m::<f64>,
                    clamp_abc_m_vjp::<f64>,
                    clamp_abc_m_grad::<f64>,
                    a,
                    b,
                    c,
                    Tolerance::f64(),
                );
                ternary(
                    clamp_abc_f::<f64>,
                    clamp_abc_f_vjp::<f64>,
                    clamp_abc_f_grad::<f64>,
                    a,
                    b,
                    c,
                    Tolerance::f64(),
                );
                unary(
                    clamp_a_m::<f64>,
                    clamp_a_m_vjp::<f64>,
                    clamp_a_m_grad::<f64>,
                    a,
                    Tolerance::f64(),
                );
                unary(
                    clamp_b_m::<f64>,
                    clamp_b_m_vjp::<f64>,
                    clamp_b_m_grad::<f64>,
                    b,
                    Tolerance::f64(),
                );
                unary(
                    clamp_c_m::<f64>,
                    clamp_c_m_vjp::<f64>,
                    clamp_c_m_grad::<f64>,
                    c,
                    Tolerance::f64(),
                );
                unary(
                    |a| clamp_a_f::<f64>(a, b, c),
                    |a, v| clamp_a_f_vjp::<f64>(a, b, c, v),
                    |a| clamp_a_f_grad::<f64>(a, b, c),
                    a,
                    Tolerance::f64(),
                );
                unary(
                    |b| clamp_b_f::<f64>(a, b, c),
                    |b, v| clamp_b_f_vjp::<f64>(a, b, c, v),
                    |b| clamp_b_f_grad::<f64>(a, b, c),
                    b,
                    Tolerance::f64(),
                );
                unary(
                    |c| clamp_c_f::<f64>(a, b, c),
                    |c, v| clamp_c_f_vjp::<f64>(a, b, c, v),
                    |c| clamp_c_f_grad::<f64>(a, b, c),
                    c,
                    Tolerance::f64(),
                );
                binary(
                    clamp_ab_m::<f64>,
                    clamp_ab_m_vjp::<f64>,
                    clamp_ab_m_grad::<f64>,
                    a,
                    b,
                    Tolerance::f64(),
                );
            }
            {
                let (a, b, c) = (a as f32, b as f32, c as f32);
                ternary(
                    clamp_abc_m::<f32>,
                    clamp_abc_m_vjp::<f32>,
                    clamp_abc_m_grad::<f32>,
                    a,
                    b,
                    c,
                    Tolerance::f32(),
                );
                cross(
                    clamp_abc_m_grad::<f32>(a, b, c),
                    clamp_abc_m_grad::<f64>(f64::from(a), f64::from(b), f64::from(c)),
                );
                ternary(
                    clamp_abc_f::<f32>,
                    clamp_abc_f_vjp::<f32>,
                    clamp_abc_f_grad::<f32>,
                    a,
                    b,
                    c,
                    Tolerance::f32(),
                );
                cross(
                    clamp_abc_f_grad::<f32>(a, b, c),
                    clamp_abc_f_grad::<f64>(f64::from(a), f64::from(b), f64::from(c)),
                );
                unary(
                    clamp_a_m::<f32>,
                    clamp_a_m_vjp::<f32>,
                    clamp_a_m_grad::<f32>,
                    a,
                    Tolerance::f32(),
                );
                cross(
                    clamp_a_m_grad::<f32>(a),
                    clamp_a_m_grad::<f64>(f64::from(a)),
                );
                unary(
                    clamp_b_m::<f32>,
                    clamp_b_m_vjp::<f32>,
                    clamp_b_m_grad::<f32>,
                    b,
                    Tolerance::f32(),
                );
                cross(
                    clamp_b_m_grad::<f32>(b),
                    clamp_b_m_grad::<f64>(f64::from(b)),
                );
                unary(
                    clamp_c_m::<f32>,
                    clamp_c_m_vjp::<f32>,
                    clamp_c_m_grad::<f32>,
                    c,
                    Tolerance::f32(),
                );
                cross(
                    clamp_c_m_grad::<f32>(c),
                    clamp_c_m_grad::<f64>(f64::from(c)),
                );
                unary(
                    |a| clamp_a_f::<f32>(a, b, c),
                    |a, v| clamp_a_f_vjp::<f32>(a, b, c, v),
                    |a| clamp_a_f_grad::<f32>(a, b, c),
                    a,
                    Tolerance::f32(),
                );
                cross(
                    clamp_a_f_grad::<f32>(a, b, c),
                    clamp_a_f_grad::<f64>(f64::from(a), f64::from(b), f64::from(c)),
                );
                unary(
                    |b| clamp_b_f::<f32>(a, b, c),
                    |b, v| clamp_b_f_vjp::<f32>(a, b, c, v),
                    |b| clamp_b_f_grad::<f32>(a, b, c),
                    b,
                    Tolerance::f32(),
                );
                cross(
                    clamp_b_f_grad::<f32>(a, b, c),
                    clamp_b_f_grad::<f64>(f64::from(a), f64::from(b), f64::from(c)),
                );
                unary(
                    |c| clamp_c_f::<f32>(a, b, c),
                    |c, v| clamp_c_f_vjp::<f32>(a, b, c, v),
                    |c| clamp_c_f_grad::<f32>(a, b, c),
                    c,
                    Tolerance::f32(),
                );
                cross(
                    clamp_c_f_grad::<f32>(a, b, c),
                    clamp_c_f_grad::<f64>(f64::from(a), f64::from(b), f64::from(c)),
                );
                binary(
                    clamp_ab_m::<f32>,
                    clamp_ab_m_vjp::<f32>,
                    clamp_ab_m_grad::<f32>,
                    a,
                    b,
                    Tolerance::f32(),
                );
                cross(
                    clamp_ab_m_grad::<f32>(a, b),
                    clamp_ab_m_grad::<f64>(f64::from(a), f64::from(b)),
                );
            }
        }
    }
}
