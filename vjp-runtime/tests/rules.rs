//! Every rule against central finite differences, and the conventions at non-smooth points.

use vjp_runtime::{rules, Real};

/// A unary primitive, its rule, and points inside its domain (given in `f64`).
struct Unary<T> {
    name: &'static str,
    f: fn(T) -> T,
    rule: fn(T, T) -> T,
    points: &'static [f64],
}

/// A binary primitive, its rule, and points `(a, b)` inside its domain.
struct Binary<T> {
    name: &'static str,
    f: fn(T, T) -> T,
    rule: fn(T, T, T) -> (T, T),
    points: &'static [(f64, f64)],
}

/// Builds a [`Unary`] entry from a method name of [`Real`] and a rule of the same name.
macro_rules! unary {
    ($name:ident, $points:expr) => {
        Unary {
            name: stringify!($name),
            f: |x: T| x.$name(),
            rule: rules::$name::<T>,
            points: $points,
        }
    };
}

/// Builds a [`Binary`] entry from a method name of [`Real`] and a rule of the same name.
macro_rules! binary {
    ($name:ident, $points:expr) => {
        Binary {
            name: stringify!($name),
            f: |a: T, b: T| a.$name(b),
            rule: rules::$name::<T>,
            points: $points,
        }
    };
}

const GENERAL: &[f64] = &[-2.3, -0.7, 0.1, 0.4, 1.3, 3.7];
const UNIT: &[f64] = &[-0.999, -0.5, 0.0, 0.3, 0.999];
const OPEN_UNIT: &[f64] = &[-0.999, -0.6, 0.0, 0.2, 0.999];
const POSITIVE: &[f64] = &[1e-3, 0.05, 0.5, 1.0, 2.7, 1e3];
/// Points away from the jumps of floor, ceil, round, trunc, fract and signum.
const BETWEEN_JUMPS: &[f64] = &[-2.3, -0.7, 0.2, 0.3, 1.7, 12.1];

fn unary_rules<T: Real>() -> Vec<Unary<T>> {
    vec![
        unary!(sin, GENERAL),
        unary!(cos, GENERAL),
        unary!(tan, &[-1.5, -0.7, 0.0, 0.4, 1.2, 1.5]),
        unary!(asin, UNIT),
        unary!(acos, UNIT),
        unary!(atan, &[-30.0, -0.7, 0.0, 0.4, 1.3, 1e3]),
        unary!(sinh, GENERAL),
        unary!(cosh, GENERAL),
        unary!(tanh, &[-4.0, -0.7, 0.0, 0.4, 1.3, 3.0]),
        unary!(asinh, &[-1e4, -2.3, 0.0, 0.4, 1.3, 1e6]),
        unary!(acosh, &[1.001, 1.01, 1.5, 3.7, 1e4]),
        unary!(atanh, OPEN_UNIT),
        unary!(exp, &[-20.0, -0.7, 0.0, 0.4, 1.3, 30.0]),
        unary!(exp2, &[-20.0, -0.7, 0.0, 0.4, 1.3, 30.0]),
        unary!(exp_m1, &[-20.0, -0.7, -1e-8, 0.0, 1e-8, 0.4, 1.3, 30.0]),
        unary!(ln, POSITIVE),
        unary!(log2, POSITIVE),
        unary!(log10, POSITIVE),
        unary!(ln_1p, &[-0.999, -0.5, -1e-8, 0.0, 0.4, 1.3, 1e3]),
        unary!(sqrt, POSITIVE),
        unary!(cbrt, &[-27.0, -0.7, -1e-3, 1e-3, 0.4, 1.3, 1e3]),
        unary!(abs, &[-2.3, -0.7, -1e-3, 1e-3, 0.4, 3.7]),
        unary!(signum, &[-2.3, -0.7, 0.4, 3.7]),
        unary!(recip, &[-2.3, -0.7, -1e-2, 1e-2, 0.4, 3.7]),
        unary!(floor, BETWEEN_JUMPS),
        unary!(ceil, BETWEEN_JUMPS),
        unary!(round, BETWEEN_JUMPS),
        unary!(trunc, BETWEEN_JUMPS),
        unary!(fract, BETWEEN_JUMPS),
        unary!(to_degrees, GENERAL),
        unary!(to_radians, GENERAL),
        Unary {
            name: "neg",
            f: |x: T| -x,
            rule: rules::neg::<T>,
            points: GENERAL,
        },
    ]
}

fn binary_rules<T: Real>() -> Vec<Binary<T>> {
    vec![
        binary!(
            atan2,
            &[
                (0.5, 1.0),
                (1.0, -0.5),
                (-0.3, -2.0),
                (-2.0, 0.1),
                (0.0, 1.0),
                (1e3, 2e3)
            ]
        ),
        binary!(
            hypot,
            &[
                (3.0, 4.0),
                (-0.5, 1.2),
                (1e-3, -2.0),
                (0.0, 1.0),
                (1e3, -1e3)
            ]
        ),
        binary!(
            powf,
            &[
                (2.0, 3.0),
                (0.5, -1.5),
                (1e-3, 2.5),
                (1e-2, 0.5),
                (1.0, 7.0),
                (3.7, 0.0),
                (10.0, -2.2)
            ]
        ),
        binary!(
            log,
            &[(2.0, 3.0), (0.5, 10.0), (1e-3, 2.0), (7.0, 0.5), (1.3, 1.1)]
        ),
        binary!(max, &[(1.0, 2.0), (2.0, 1.0), (-0.5, -0.6), (-3.0, 4.0)]),
        binary!(min, &[(1.0, 2.0), (2.0, 1.0), (-0.5, -0.6), (-3.0, 4.0)]),
        Binary {
            name: "mul",
            f: |a: T, b: T| a * b,
            rule: rules::mul::<T>,
            points: &[(2.0, 3.0), (-0.5, 1e3), (0.0, 1.5), (1.3, -0.7)],
        },
        Binary {
            name: "div",
            f: |a: T, b: T| a / b,
            rule: rules::div::<T>,
            points: &[(2.0, 3.0), (-0.5, 1e3), (0.0, 1.5), (1.3, -0.07)],
        },
    ]
}

/// Central finite difference of `f` at `x` with step `h`, in `T`'s own arithmetic; the step is
/// measured after rounding `x ± h` to `T`.
fn central<T: Real>(f: impl Fn(T) -> T, x: T, h: T) -> f64 {
    let (plus, minus) = (x + h, x - h);
    (f(plus) - f(minus)).to_f64() / (plus - minus).to_f64()
}

/// Asserts that `rule` and `fd` agree to `|fd - rule| <= abs + rel * max(|fd|, |rule|)`.
fn assert_close(what: &str, fd: f64, rule: f64, rel: f64, abs: f64) {
    let bound = abs + rel * fd.abs().max(rule.abs());
    assert!(
        (fd - rule).abs() <= bound,
        "{what}: finite differences give {fd}, the rule gives {rule} (difference {})",
        (fd - rule).abs()
    );
}

/// The f64 step: 1e-6 * max(1, |x|).
fn step64(x: f64) -> f64 {
    1e-6 * x.abs().max(1.0)
}

const REL64: f64 = 1e-6;
const ABS64: f64 = 1e-9;

#[test]
fn every_unary_rule_matches_finite_differences_in_f64() {
    for rule in unary_rules::<f64>() {
        for &x in rule.points {
            let y = (rule.f)(x);
            let fd = central(rule.f, x, step64(x));
            let what = format!("{} at x = {x}", rule.name);
            assert_close(&what, fd, (rule.rule)(x, y), REL64, ABS64);
        }
    }
}

#[test]
fn every_binary_rule_matches_finite_differences_in_f64() {
    for rule in binary_rules::<f64>() {
        for &(a, b) in rule.points {
            let y = (rule.f)(a, b);
            let (d_a, d_b) = (rule.rule)(a, b, y);
            let fd_a = central(|a| (rule.f)(a, b), a, step64(a));
            let fd_b = central(|b| (rule.f)(a, b), b, step64(b));
            let what = format!("{} at (a, b) = ({a}, {b})", rule.name);
            assert_close(&format!("d/da {what}"), fd_a, d_a, REL64, ABS64);
            assert_close(&format!("d/db {what}"), fd_b, d_b, REL64, ABS64);
        }
    }
}

#[test]
fn powi_matches_finite_differences_in_f64() {
    for n in [-3, -1, 1, 2, 3, 7] {
        for x in [-2.3, -0.7, 1e-2, 0.4, 1.3, 3.7] {
            let f = |x: f64| x.powi(n);
            let fd = central(f, x, step64(x));
            let what = format!("powi at x = {x}, n = {n}");
            assert_close(&what, fd, rules::powi(x, n, f(x)), REL64, ABS64);
        }
    }
}

#[test]
fn ternary_rules_match_finite_differences_in_f64() {
    let points = [(2.0, 3.0, -1.0), (-0.5, 1e3, 0.25), (0.0, 1.5, 7.0)];
    for (a, b, c) in points {
        let (d_a, d_b, d_c) = rules::mul_add(a, b, c, a.mul_add(b, c));
        let what = format!("mul_add at ({a}, {b}, {c})");
        let fd_a = central(|a: f64| a.mul_add(b, c), a, step64(a));
        let fd_b = central(|b: f64| a.mul_add(b, c), b, step64(b));
        let fd_c = central(|c: f64| a.mul_add(b, c), c, step64(c));
        assert_close(&format!("d/da {what}"), fd_a, d_a, REL64, ABS64);
        assert_close(&format!("d/db {what}"), fd_b, d_b, REL64, ABS64);
        assert_close(&format!("d/dc {what}"), fd_c, d_c, REL64, ABS64);
    }
    // Below, inside and above [lo, hi], away from the kinks.
    for (x, lo, hi) in [(-3.0, -1.0, 2.0), (0.5, -1.0, 2.0), (5.0, -1.0, 2.0)] {
        let (d_x, d_lo, d_hi) = rules::clamp(x, lo, hi, x.clamp(lo, hi));
        let what = format!("clamp at ({x}, {lo}, {hi})");
        let fd_x = central(|x: f64| x.clamp(lo, hi), x, step64(x));
        let fd_lo = central(|lo: f64| x.clamp(lo, hi), lo, step64(lo));
        let fd_hi = central(|hi: f64| x.clamp(lo, hi), hi, step64(hi));
        assert_close(&format!("d/dx {what}"), fd_x, d_x, REL64, ABS64);
        assert_close(&format!("d/dlo {what}"), fd_lo, d_lo, REL64, ABS64);
        assert_close(&format!("d/dhi {what}"), fd_hi, d_hi, REL64, ABS64);
    }
}

/// f32: the step is cbrt(f32::EPSILON) * max(1, |x|), the tolerance 1e-3 relative.
#[test]
fn rules_match_finite_differences_in_f32() {
    const REL32: f64 = 1e-3;
    const ABS32: f64 = 1e-4;
    let interior = [-0.6_f32, 0.3, 0.45];
    let positive = [0.3_f32, 1.7, 20.0];
    let step = |x: f32| f32::EPSILON.cbrt() * x.abs().max(1.0);
    let names_and_points: [(&str, &[f32]); 16] = [
        ("sin", &interior),
        ("cos", &interior),
        ("tan", &interior),
        ("asin", &interior),
        ("atan", &interior),
        ("tanh", &interior),
        ("atanh", &interior),
        ("exp", &interior),
        ("exp2", &interior),
        ("exp_m1", &interior),
        ("ln", &positive),
        ("log10", &positive),
        ("sqrt", &positive),
        ("cbrt", &positive),
        ("recip", &positive),
        ("to_degrees", &interior),
    ];
    let table = unary_rules::<f32>();
    for (name, points) in names_and_points {
        let rule = table.iter().find(|rule| rule.name == name).unwrap();
        for &x in points {
            let fd = central(rule.f, x, step(x));
            let what = format!("{name} in f32 at x = {x}");
            assert_close(
                &what,
                fd,
                (rule.rule)(x, (rule.f)(x)).to_f64(),
                REL32,
                ABS32,
            );
        }
    }
    for rule in binary_rules::<f32>() {
        let (a, b) = (1.3_f32, 0.7_f32);
        let y = (rule.f)(a, b);
        let (d_a, d_b) = (rule.rule)(a, b, y);
        let what = format!("{} in f32 at (a, b) = ({a}, {b})", rule.name);
        let fd_a = central(|a| (rule.f)(a, b), a, step(a));
        let fd_b = central(|b| (rule.f)(a, b), b, step(b));
        assert_close(&format!("d/da {what}"), fd_a, d_a.to_f64(), REL32, ABS32);
        assert_close(&format!("d/db {what}"), fd_b, d_b.to_f64(), REL32, ABS32);
    }
    let x = 1.3_f32;
    let fd = central(|x: f32| x.powi(3), x, step(x));
    assert_close(
        "powi in f32 at x = 1.3, n = 3",
        fd,
        rules::powi(x, 3, x.powi(3)).to_f64(),
        REL32,
        ABS32,
    );
}

// ---------------------------------------------------------------------------------------------
// Conventions at non-smooth and edge points, tested exactly.
// ---------------------------------------------------------------------------------------------

#[test]
fn abs_convention() {
    assert_eq!(rules::abs(2.5, 2.5), 1.0);
    assert_eq!(rules::abs(-2.5, 2.5), -1.0);
    assert_eq!(rules::abs(0.0, 0.0), 0.0);
    assert_eq!(rules::abs(-0.0, 0.0), 0.0);
    assert_eq!(rules::abs(f64::MIN_POSITIVE, f64::MIN_POSITIVE), 1.0);
    assert!(rules::abs(f64::NAN, f64::NAN).is_nan());
    assert_eq!(rules::abs(0.0_f32, 0.0), 0.0);
    assert_eq!(rules::abs(f64::INFINITY, f64::INFINITY), 1.0);
}

#[test]
fn max_convention() {
    assert_eq!(rules::max(2.0, 1.0, 2.0), (1.0, 0.0));
    assert_eq!(rules::max(1.0, 2.0, 2.0), (0.0, 1.0));
    assert_eq!(rules::max(1.5, 1.5, 1.5), (0.5, 0.5));
    assert_eq!(rules::max(0.0, -0.0, 0.0), (0.5, 0.5));
    // f64::max returns the non-NaN argument; the derivative follows it.
    assert_eq!(f64::NAN.max(3.0), 3.0);
    assert_eq!(rules::max(f64::NAN, 3.0, 3.0), (0.0, 1.0));
    assert_eq!(rules::max(3.0, f64::NAN, 3.0), (1.0, 0.0));
    let (d_a, d_b) = rules::max(f64::NAN, f64::NAN, f64::NAN);
    assert!(d_a.is_nan() && d_b.is_nan());
    assert_eq!(rules::max(1.0_f32, 1.0, 1.0), (0.5, 0.5));
}

#[test]
fn min_convention() {
    assert_eq!(rules::min(1.0, 2.0, 1.0), (1.0, 0.0));
    assert_eq!(rules::min(2.0, 1.0, 1.0), (0.0, 1.0));
    assert_eq!(rules::min(1.5, 1.5, 1.5), (0.5, 0.5));
    assert_eq!(f64::NAN.min(3.0), 3.0);
    assert_eq!(rules::min(f64::NAN, 3.0, 3.0), (0.0, 1.0));
    assert_eq!(rules::min(3.0, f64::NAN, 3.0), (1.0, 0.0));
    let (d_a, d_b) = rules::min(f64::NAN, f64::NAN, f64::NAN);
    assert!(d_a.is_nan() && d_b.is_nan());
    assert_eq!(rules::min(1.0_f32, 1.0, 1.0), (0.5, 0.5));
}

#[test]
fn clamp_convention() {
    assert_eq!(rules::clamp(0.5, 0.0, 1.0, 0.5), (1.0, 0.0, 0.0));
    assert_eq!(rules::clamp(0.0, 0.0, 1.0, 0.0), (1.0, 0.0, 0.0));
    assert_eq!(rules::clamp(1.0, 0.0, 1.0, 1.0), (1.0, 0.0, 0.0));
    assert_eq!(rules::clamp(-0.5, 0.0, 1.0, 0.0), (0.0, 1.0, 0.0));
    assert_eq!(rules::clamp(1.5, 0.0, 1.0, 1.0), (0.0, 0.0, 1.0));
    assert_eq!(rules::clamp(2.0, 2.0, 2.0, 2.0), (1.0, 0.0, 0.0));
    assert_eq!(rules::clamp(f64::NAN, 0.0, 1.0, f64::NAN), (1.0, 0.0, 0.0));
    assert_eq!(rules::clamp(-5.0_f32, 0.0, 1.0, 0.0), (0.0, 1.0, 0.0));
}

#[test]
fn hypot_at_the_origin() {
    assert_eq!(rules::hypot(0.0, 0.0, 0.0), (0.0, 0.0));
    assert_eq!(rules::hypot(-0.0, 0.0, 0.0), (0.0, 0.0));
    assert_eq!(rules::hypot(0.0_f32, 0.0, 0.0), (0.0, 0.0));
    assert_eq!(rules::hypot(3.0, 4.0, 5.0), (0.6, 0.8));
}

#[test]
fn atan2_at_the_origin_is_nan() {
    let (d_a, d_b) = rules::atan2(0.0, 0.0, 0.0_f64.atan2(0.0));
    assert!(d_a.is_nan() && d_b.is_nan());
    // Large arguments do not overflow.
    let (d_a, d_b) = rules::atan2(1e300, 1e300, 1e300_f64.atan2(1e300));
    assert!((d_a - 0.5e-300).abs() < 1e-312 && (d_b + 0.5e-300).abs() < 1e-312);
}

#[test]
fn powf_at_zero_base_and_zero_exponent() {
    // d/da = b * 0^(b-1) is exact; d/db = 0 where y == 0.
    assert_eq!(rules::powf(0.0, 2.0, 0.0), (0.0, 0.0));
    assert_eq!(rules::powf(0.0, 1.0, 0.0), (1.0, 0.0));
    assert_eq!(rules::powf(0.0, 3.5, 0.0), (0.0, 0.0));
    assert_eq!(rules::powf(0.0, 0.5, 0.0), (f64::INFINITY, 0.0));
    assert_eq!(rules::powf(0.0_f32, 2.0, 0.0), (0.0, 0.0));
    // An exponent of 0: a^0 = 1 is constant in a, at a = 0 too.
    assert_eq!(rules::powf(0.0, 0.0, 1.0).0, 0.0);
    assert_eq!(rules::powf(2.0, 0.0, 1.0), (0.0, 2.0_f64.ln()));
    // A negative base: the exponent's derivative is NaN, the base's is finite.
    let (d_a, d_b) = rules::powf(-2.0, 3.0, -8.0);
    assert_eq!(d_a, 12.0);
    assert!(d_b.is_nan());
}

#[test]
fn powi_at_zero_exponent_and_extremes() {
    assert_eq!(rules::powi(0.0, 0, 1.0), 0.0);
    assert_eq!(rules::powi(3.0, 0, 1.0), 0.0);
    assert_eq!(rules::powi(0.0, 1, 0.0), 1.0);
    assert_eq!(rules::powi(0.0, 2, 0.0), 0.0);
    assert_eq!(rules::powi(2.0, 3, 8.0), 12.0);
    assert_eq!(rules::powi(1.0, i32::MIN, 1.0), f64::from(i32::MIN));
    assert_eq!(rules::powi(-1.0, i32::MAX, -1.0), f64::from(i32::MAX));
}

#[test]
fn infinite_derivatives_at_domain_edges() {
    assert_eq!(rules::sqrt(0.0, 0.0), f64::INFINITY);
    assert_eq!(rules::cbrt(0.0, 0.0), f64::INFINITY);
    assert_eq!(rules::ln(0.0, f64::NEG_INFINITY), f64::INFINITY);
    assert_eq!(rules::log2(0.0, f64::NEG_INFINITY), f64::INFINITY);
    assert_eq!(rules::log10(0.0, f64::NEG_INFINITY), f64::INFINITY);
    assert_eq!(rules::acosh(1.0, 0.0), f64::INFINITY);
    assert_eq!(rules::asin(1.0, 1.0_f64.asin()), f64::INFINITY);
    assert_eq!(rules::acos(-1.0, (-1.0_f64).acos()), f64::NEG_INFINITY);
    assert_eq!(rules::atanh(1.0, f64::INFINITY), f64::INFINITY);
    assert_eq!(rules::ln_1p(-1.0, f64::NEG_INFINITY), f64::INFINITY);
    assert_eq!(rules::sqrt(0.0_f32, 0.0), f32::INFINITY);
}

#[test]
fn integer_valued_functions_have_zero_derivative_at_their_jumps() {
    for x in [-2.0, -1.0, -0.5, 0.0, -0.0, 0.5, 1.0, 2.5, 3.0] {
        assert_eq!(rules::floor(x, x.floor()), 0.0, "floor at {x}");
        assert_eq!(rules::ceil(x, x.ceil()), 0.0, "ceil at {x}");
        assert_eq!(rules::round(x, x.round()), 0.0, "round at {x}");
        assert_eq!(rules::trunc(x, x.trunc()), 0.0, "trunc at {x}");
        assert_eq!(rules::signum(x, x.signum()), 0.0, "signum at {x}");
        assert_eq!(rules::fract(x, x.fract()), 1.0, "fract at {x}");
    }
    assert_eq!(rules::floor(1.0_f32, 1.0), 0.0);
}

#[test]
fn constant_factor_rules_are_exact() {
    assert_eq!(rules::neg(3.0, -3.0), -1.0);
    assert_eq!(rules::mul(2.0, 3.0, 6.0), (3.0, 2.0));
    assert_eq!(rules::div(3.0, 2.0, 1.5), (0.5, -0.75));
    // The reverse of `a / b` for a constant `b` reads only `b`, and gives the same value.
    for (a, b) in [(3.0, 2.0), (-1.5, 0.3), (7.0, -1e-3)] {
        assert_eq!(rules::div_by(b), rules::div(a, b, a / b).0);
    }
    assert_eq!(rules::mul_add(2.0, 3.0, 4.0, 10.0), (3.0, 2.0, 1.0));
    assert_eq!(rules::exp(1.0, 1.0_f64.exp()), 1.0_f64.exp());
    assert_eq!(rules::to_radians(1.0, 0.0), 1.0_f64.to_radians());
    assert!((rules::to_degrees(1.0, 0.0) - 1.0_f64.to_degrees()).abs() < 1e-13);
    assert_eq!(rules::to_degrees(1.0_f32, 0.0), 1.0_f32.to_degrees());
}

/// The helpers generated code calls: a zero of a container's element type without indexing it,
/// the non-zero test that guards a local sum's flush, and the primitive-integer check of a
/// counter stepped back.
#[test]
fn private_helpers_of_the_loop_optimisations() {
    use vjp_runtime::__private::{element_zero, nonzero, rewind_start};
    let empty: &[f64] = &[];
    assert_eq!(element_zero(&empty), 0.0);
    assert_eq!(element_zero(&[1.5_f32, 2.0]), 0.0_f32);
    assert_eq!(element_zero(&vec![3.0_f64]), 0.0);
    let mut shadow = [1.0, 2.0];
    assert_eq!(element_zero(&&mut shadow[..]), 0.0);
    assert!(!nonzero(0.0) && !nonzero(-0.0) && nonzero(1e-300) && nonzero(f64::NAN));
    assert_eq!(rewind_start(7usize), 7);
    assert_eq!(rewind_start(-3i32), -3);
}
