//! Finite-difference checkers for hand-written derivatives.
//!
//! A user who writes `g_vjp` (or `g_jvp`) by hand can compare it with central finite
//! differences of `g` using [`check_vjp`] (or [`check_jvp`]). Inputs and outputs may be any
//! shape that implements [`Flat`]: `f32`, `f64`, arrays and tuples of them, nested.
//!
//! # How the comparison works
//! Every shape is viewed as a flat vector of `f64`. For component `i` of the input, the step is
//! `h = cbrt(ε) * max(1, |x_i|)`, with ε the machine epsilon of the input's float type (the
//! larger one, `f32`'s, if the input mixes `f32` and `f64`): the step that balances the
//! truncation error of the central difference against rounding. A finite difference `fd` and
//! the rule's value `actual` agree when
//! `|fd - actual| <= tolerance.abs + tolerance.rel * max(|fd|, |actual|)`.

use core::fmt;

/// A value viewed as a flat vector of `f64`: the shapes [`check_vjp`] and [`check_jvp`] accept.
///
/// Implemented for `f32`, `f64`, arrays `[A; N]` and tuples of 1 to 6 elements of `Flat`
/// types, nested to any depth. The components are listed depth-first, in field order:
/// `([1.0, 2.0], 3.0)` flattens to `[1.0, 2.0, 3.0]`.
pub trait Flat: Copy {
    /// The number of scalar components.
    fn flat_len(&self) -> usize;
    /// Appends the components to `out`, converted to `f64`.
    fn write_flat(&self, out: &mut Vec<f64>);
    /// A value of the same shape as `self`, read from `src[..self.flat_len()]` (rounded to
    /// nearest for `f32` components). Panics if `src` is shorter than that.
    // `self` is the template that gives the shape, so this is not a `from_` conversion in
    // clippy's sense; the name is part of the public contract.
    #[allow(clippy::wrong_self_convention)]
    fn from_flat(&self, src: &[f64]) -> Self;
    /// The finite-difference step relative to `max(1, |x_i|)`: the cube root of the machine
    /// epsilon of the component type, the largest over all components of a compound value.
    fn step_scale(&self) -> f64 {
        f64::EPSILON.cbrt()
    }
}

impl Flat for f64 {
    fn flat_len(&self) -> usize {
        1
    }
    fn write_flat(&self, out: &mut Vec<f64>) {
        out.push(*self);
    }
    fn from_flat(&self, src: &[f64]) -> Self {
        src[0]
    }
}

impl Flat for f32 {
    fn flat_len(&self) -> usize {
        1
    }
    fn write_flat(&self, out: &mut Vec<f64>) {
        out.push(f64::from(*self));
    }
    fn from_flat(&self, src: &[f64]) -> Self {
        src[0] as f32
    }
    fn step_scale(&self) -> f64 {
        f64::from(f32::EPSILON).cbrt()
    }
}

impl<A: Flat, const N: usize> Flat for [A; N] {
    fn flat_len(&self) -> usize {
        self.iter().map(Flat::flat_len).sum()
    }
    fn write_flat(&self, out: &mut Vec<f64>) {
        for element in self {
            element.write_flat(out);
        }
    }
    fn from_flat(&self, src: &[f64]) -> Self {
        let mut value = *self;
        let mut rest = src;
        for element in &mut value {
            (*element, rest) = read_flat(element, rest);
        }
        value
    }
    fn step_scale(&self) -> f64 {
        self.iter()
            .map(Flat::step_scale)
            .fold(f64::EPSILON.cbrt(), f64::max)
    }
}

/// Reads a value shaped like `like` from the front of `src`; returns it and the rest of `src`.
fn read_flat<'a, A: Flat>(like: &A, src: &'a [f64]) -> (A, &'a [f64]) {
    let len = like.flat_len();
    (like.from_flat(&src[..len]), &src[len..])
}

/// Implements [`Flat`] for the tuple of the given element type names, binding names and indices.
macro_rules! impl_flat_tuple {
    ($($name:ident $binding:ident $index:tt),+) => {
        impl<$($name: Flat),+> Flat for ($($name,)+) {
            fn flat_len(&self) -> usize {
                0 $(+ self.$index.flat_len())+
            }
            fn write_flat(&self, out: &mut Vec<f64>) {
                $(self.$index.write_flat(out);)+
            }
            fn from_flat(&self, src: &[f64]) -> Self {
                let rest = src;
                $(let ($binding, rest) = read_flat(&self.$index, rest);)+
                let _ = rest;
                ($($binding,)+)
            }
            fn step_scale(&self) -> f64 {
                f64::EPSILON.cbrt() $(.max(self.$index.step_scale()))+
            }
        }
    };
}

impl_flat_tuple!(A a 0);
impl_flat_tuple!(A a 0, B b 1);
impl_flat_tuple!(A a 0, B b 1, C c 2);
impl_flat_tuple!(A a 0, B b 1, C c 2, D d 3);
impl_flat_tuple!(A a 0, B b 1, C c 2, D d 3, E e 4);
impl_flat_tuple!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5);

/// How far a rule may be from the finite differences:
/// `|fd - actual| <= abs + rel * max(|fd|, |actual|)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// The tolerance relative to the larger magnitude of the two values.
    pub rel: f64,
    /// The absolute tolerance, for values near 0.
    pub abs: f64,
}

impl Tolerance {
    /// For functions computed in `f64`: `rel = 1e-6`, `abs = 1e-8`. The default.
    pub fn f64() -> Self {
        Tolerance {
            rel: 1e-6,
            abs: 1e-8,
        }
    }

    /// For functions computed in `f32`: `rel = 2e-2`, `abs = 1e-3`.
    pub fn f32() -> Self {
        Tolerance {
            rel: 2e-2,
            abs: 1e-3,
        }
    }

    /// Whether `expected` and `actual` agree; never for NaN or infinite values.
    fn accepts(&self, expected: f64, actual: f64) -> bool {
        let bound = self.abs + self.rel * expected.abs().max(actual.abs());
        (expected - actual).abs() <= bound
    }
}

impl Default for Tolerance {
    /// [`Tolerance::f64`].
    fn default() -> Self {
        Tolerance::f64()
    }
}

/// The first component at which a rule disagrees with finite differences.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckError {
    /// Which check failed: `"vjp"` or `"jvp"`.
    pub what: &'static str,
    /// The flat component that disagrees: of the input for a vjp, of the output for a jvp.
    pub index: usize,
    /// The value of the finite differences.
    pub expected: f64,
    /// The value the rule gives.
    pub actual: f64,
}

impl CheckError {
    /// `"input"` for a vjp (whose result has the input's shape), `"output"` for a jvp.
    fn side(&self) -> &'static str {
        if self.what == "jvp" {
            "output"
        } else {
            "input"
        }
    }
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} mismatch at {} component {}: finite differences give {}, the rule gives {}",
            self.what,
            self.side(),
            self.index,
            self.expected,
            self.actual
        )
    }
}

impl std::error::Error for CheckError {}

/// The flat components of `value`.
fn flatten<A: Flat>(value: &A) -> Vec<f64> {
    let mut out = Vec::with_capacity(value.flat_len());
    value.write_flat(&mut out);
    out
}

/// Checks a vector-Jacobian product `vjp(x, v) = vᵀ J_f(x)` against central finite differences
/// of `f` at `x`, with [`Tolerance::default`] (the `f64` one; use [`check_vjp_with`] and
/// [`Tolerance::f32`] for `f32` functions).
///
/// `vjp` has the shape of a hand-written `g_vjp` without the primal output: it returns the
/// cotangent of the input, of the input's shape.
///
/// ```
/// use vjp_runtime::check_vjp;
///
/// // f(x0, x1) = (x0 * x1, sin x0)
/// let f = |(x0, x1): (f64, f64)| (x0 * x1, x0.sin());
/// let f_vjp = |(x0, x1): (f64, f64), (v0, v1): (f64, f64)| (v0 * x1 + v1 * x0.cos(), v0 * x0);
/// assert_eq!(check_vjp(f, f_vjp, (0.7, -1.2), (1.0, 0.5)), Ok(()));
///
/// // Forgetting the sine's term is caught at input component 0.
/// let wrong = |(_, x1): (f64, f64), (v0, _): (f64, f64)| (v0 * x1, v0 * 0.7);
/// let error = check_vjp(f, wrong, (0.7, -1.2), (1.0, 0.5)).unwrap_err();
/// assert_eq!(error.index, 0);
/// assert!(error.to_string().starts_with("vjp mismatch at input component 0"));
/// ```
pub fn check_vjp<X: Flat, Y: Flat>(
    f: impl Fn(X) -> Y,
    vjp: impl Fn(X, Y) -> X,
    x: X,
    v: Y,
) -> Result<(), CheckError> {
    check_vjp_with(f, vjp, x, v, Tolerance::default())
}

/// [`check_vjp`] with the given tolerance.
///
/// For each flat input component `i`, `(f(x + h e_i) - f(x - h e_i)) / 2h`, dotted with `v`,
/// must match component `i` of `vjp(x, v)`. Returns the first component that does not.
///
/// # Panics
/// If the output of `f` and `v` flatten to different lengths (only possible with a
/// hand-written [`Flat`] implementation whose length depends on the value).
pub fn check_vjp_with<X: Flat, Y: Flat>(
    f: impl Fn(X) -> Y,
    vjp: impl Fn(X, Y) -> X,
    x: X,
    v: Y,
    tolerance: Tolerance,
) -> Result<(), CheckError> {
    let x_flat = flatten(&x);
    let v_flat = flatten(&v);
    let actual = flatten(&vjp(x, v));
    let scale = x.step_scale();
    for (index, &actual) in actual.iter().enumerate().take(x_flat.len()) {
        let expected = partial_along_v(&f, x, &x_flat, index, scale, &v_flat);
        if !tolerance.accepts(expected, actual) {
            return Err(CheckError {
                what: "vjp",
                index,
                expected,
                actual,
            });
        }
    }
    Ok(())
}

/// The central difference of `f` along input component `index`, dotted with `v`.
///
/// The step is measured after rounding the perturbed inputs to their own type, so an `f32`
/// input divides by the step it really took.
fn partial_along_v<X: Flat, Y: Flat>(
    f: &impl Fn(X) -> Y,
    x: X,
    x_flat: &[f64],
    index: usize,
    scale: f64,
    v: &[f64],
) -> f64 {
    let h = scale * x_flat[index].abs().max(1.0);
    let mut shifted = x_flat.to_vec();
    shifted[index] = x_flat[index] + h;
    let x_plus = x.from_flat(&shifted);
    shifted[index] = x_flat[index] - h;
    let x_minus = x.from_flat(&shifted);
    let step = flatten(&x_plus)[index] - flatten(&x_minus)[index];
    let difference = output_difference(f, x_plus, x_minus, v.len());
    let along_v: f64 = difference.iter().zip(v).map(|(d, v)| d * v).sum();
    along_v / step
}

/// `f(x_plus) - f(x_minus)`, flattened, checked to have `len` components.
fn output_difference<X: Flat, Y: Flat>(
    f: &impl Fn(X) -> Y,
    x_plus: X,
    x_minus: X,
    len: usize,
) -> Vec<f64> {
    let plus = flatten(&f(x_plus));
    let minus = flatten(&f(x_minus));
    assert!(
        plus.len() == len && minus.len() == len,
        "vjp check: the function's output has {} components, the cotangent or tangent {len}",
        plus.len()
    );
    plus.iter().zip(&minus).map(|(p, m)| p - m).collect()
}

/// Checks a Jacobian-vector product `jvp(x, u) = J_f(x) u` against the directional central
/// difference of `f` at `x` along `u`, with [`Tolerance::default`] (the `f64` one; use
/// [`check_jvp_with`] and [`Tolerance::f32`] for `f32` functions).
///
/// ```
/// use vjp_runtime::check_jvp;
///
/// // f(x) = [x0 * x1, sin x0]
/// let f = |x: [f64; 2]| [x[0] * x[1], x[0].sin()];
/// let f_jvp = |x: [f64; 2], u: [f64; 2]| [u[0] * x[1] + x[0] * u[1], x[0].cos() * u[0]];
/// assert!(check_jvp(f, f_jvp, [0.7, -1.2], [1.0, 0.5]).is_ok());
///
/// let wrong = |x: [f64; 2], u: [f64; 2]| [u[0] * x[1] + x[0] * u[1], x[0].sin() * u[0]];
/// let error = check_jvp(f, wrong, [0.7, -1.2], [1.0, 0.5]).unwrap_err();
/// assert_eq!((error.what, error.index), ("jvp", 1));
/// ```
pub fn check_jvp<X: Flat, Y: Flat>(
    f: impl Fn(X) -> Y,
    jvp: impl Fn(X, X) -> Y,
    x: X,
    u: X,
) -> Result<(), CheckError> {
    check_jvp_with(f, jvp, x, u, Tolerance::default())
}

/// [`check_jvp`] with the given tolerance.
///
/// With `h = cbrt(ε) * max(1, |x_i| over the i where u_i != 0) / max_i |u_i|`, each flat output
/// component of `(f(x + h u) - f(x - h u)) / 2h` must match the same component of `jvp(x, u)`.
/// Returns the first component that does not. A zero `u` expects a zero `jvp`.
///
/// # Panics
/// If `f(x)` and `jvp(x, u)` flatten to different lengths (only possible with a hand-written
/// [`Flat`] implementation whose length depends on the value).
pub fn check_jvp_with<X: Flat, Y: Flat>(
    f: impl Fn(X) -> Y,
    jvp: impl Fn(X, X) -> Y,
    x: X,
    u: X,
    tolerance: Tolerance,
) -> Result<(), CheckError> {
    let actual = flatten(&jvp(x, u));
    let expected = directional_difference(&f, x, u, actual.len());
    for (index, (&expected, &actual)) in expected.iter().zip(&actual).enumerate() {
        if !tolerance.accepts(expected, actual) {
            return Err(CheckError {
                what: "jvp",
                index,
                expected,
                actual,
            });
        }
    }
    Ok(())
}

/// The central difference `(f(x + h u) - f(x - h u)) / 2h`, flattened to `len` components.
fn directional_difference<X: Flat, Y: Flat>(
    f: &impl Fn(X) -> Y,
    x: X,
    u: X,
    len: usize,
) -> Vec<f64> {
    let x_flat = flatten(&x);
    let u_flat = flatten(&u);
    let u_max = u_flat.iter().fold(0.0_f64, |m, u_i| m.max(u_i.abs()));
    if u_max == 0.0 {
        return vec![0.0; len];
    }
    let x_max = x_flat
        .iter()
        .zip(&u_flat)
        .filter(|(_, u_i)| **u_i != 0.0)
        .fold(1.0_f64, |m, (x_i, _)| m.max(x_i.abs()));
    let h = x.step_scale().max(u.step_scale()) * x_max / u_max;
    let shift = |sign: f64| -> Vec<f64> {
        x_flat
            .iter()
            .zip(&u_flat)
            .map(|(x_i, u_i)| x_i + sign * h * u_i)
            .collect()
    };
    let x_plus = x.from_flat(&shift(1.0));
    let x_minus = x.from_flat(&shift(-1.0));
    let difference = output_difference(f, x_plus, x_minus, len);
    difference.iter().map(|d| d / (2.0 * h)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Pair = (f64, f64);

    fn f(x: Pair) -> Pair {
        (x.0 * x.1, x.0.sin())
    }

    fn f_vjp(x: Pair, v: Pair) -> Pair {
        (v.0 * x.1 + v.1 * x.0.cos(), v.0 * x.0)
    }

    fn f_jvp(x: Pair, u: Pair) -> Pair {
        (u.0 * x.1 + x.0 * u.1, x.0.cos() * u.0)
    }

    #[test]
    fn flat_round_trips_nested_shapes() {
        let value = ([1.0_f64, 2.0], (3.0_f32, [[4.0_f64], [5.0]]), 6.0_f64);
        assert_eq!(value.flat_len(), 6);
        let flat = flatten(&value);
        assert_eq!(flat, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let doubled: Vec<f64> = flat.iter().map(|c| 2.0 * c).collect();
        let back = value.from_flat(&doubled);
        assert_eq!(back, ([2.0, 4.0], (6.0, [[8.0], [10.0]]), 12.0));
    }

    #[test]
    fn from_flat_reads_only_its_own_components() {
        assert_eq!(1.0_f64.from_flat(&[7.0, 8.0]), 7.0);
        assert_eq!([0.0_f32; 2].from_flat(&[1.0, 2.0, 3.0]), [1.0, 2.0]);
    }

    #[test]
    fn tuples_of_one_to_six() {
        let one = (1.0_f64,);
        assert_eq!(one.flat_len(), 1);
        let six = (1.0_f64, 2.0_f32, 3.0_f64, 4.0_f64, [5.0_f64; 2], 6.0_f64);
        assert_eq!(six.flat_len(), 7);
        assert_eq!(six.from_flat(&flatten(&six)), six);
    }

    #[test]
    fn step_scale_is_that_of_the_coarsest_component() {
        let f64_step = f64::EPSILON.cbrt();
        let f32_step = f64::from(f32::EPSILON).cbrt();
        assert_eq!(1.0_f64.step_scale(), f64_step);
        assert_eq!(1.0_f32.step_scale(), f32_step);
        assert_eq!([1.0_f64; 3].step_scale(), f64_step);
        assert_eq!([1.0_f32; 3].step_scale(), f32_step);
        assert_eq!((1.0_f64, [1.0_f32]).step_scale(), f32_step);
        assert_eq!(<[f32; 0]>::default().step_scale(), f64_step);
    }

    #[test]
    fn tolerances() {
        assert_eq!(Tolerance::default(), Tolerance::f64());
        assert_eq!((Tolerance::f64().rel, Tolerance::f64().abs), (1e-6, 1e-8));
        assert_eq!((Tolerance::f32().rel, Tolerance::f32().abs), (2e-2, 1e-3));
        let tolerance = Tolerance::f64();
        assert!(tolerance.accepts(1.0, 1.0 + 5e-7));
        assert!(!tolerance.accepts(1.0, 1.0 + 5e-6));
        assert!(tolerance.accepts(0.0, 5e-9));
        assert!(!tolerance.accepts(f64::NAN, f64::NAN));
        assert!(!tolerance.accepts(f64::INFINITY, f64::INFINITY));
    }

    #[test]
    fn accepts_a_correct_vjp() {
        for x in [
            (0.7, -1.2),
            (0.0, 0.0),
            (-3.0, 2.5),
            (12.0, 1e-3),
            (-0.4, 1e4),
        ] {
            for v in [(1.0, 0.0), (0.0, 1.0), (0.3, -2.0)] {
                assert_eq!(check_vjp(f, f_vjp, x, v), Ok(()), "x = {x:?}, v = {v:?}");
            }
        }
    }

    #[test]
    fn rejects_a_wrong_vjp_naming_the_component() {
        let wrong = |x: Pair, v: Pair| (v.0 * x.1 + v.1 * x.0.cos(), v.0 * x.0 * 1.01);
        let error = check_vjp(f, wrong, (0.7, -1.2), (1.0, 0.5)).unwrap_err();
        assert_eq!((error.what, error.index), ("vjp", 1));
        assert!((error.expected - 0.7).abs() < 1e-8);
        assert!((error.actual - 0.707).abs() < 1e-12);
        let message = error.to_string();
        assert!(
            message.starts_with("vjp mismatch at input component 1: finite differences give 0.7"),
            "{message}"
        );
        assert!(message.ends_with("the rule gives 0.707"), "{message}");
    }

    #[test]
    fn accepts_a_correct_jvp() {
        for x in [(0.7, -1.2), (0.0, 0.0), (-3.0, 2.5)] {
            for u in [(1.0, 0.0), (0.0, 1.0), (0.3, -2.0), (0.0, 0.0)] {
                assert_eq!(check_jvp(f, f_jvp, x, u), Ok(()), "x = {x:?}, u = {u:?}");
            }
        }
    }

    #[test]
    fn rejects_a_wrong_jvp_naming_the_component() {
        let wrong = |x: Pair, u: Pair| (u.0 * x.1 + x.0 * u.1, -x.0.cos() * u.0);
        let error = check_jvp(f, wrong, (0.7, -1.2), (1.0, 0.5)).unwrap_err();
        assert_eq!((error.what, error.index), ("jvp", 1));
        let message = error.to_string();
        assert!(
            message.starts_with("jvp mismatch at output component 1: finite differences give"),
            "{message}"
        );
        // A zero direction expects a zero jvp.
        let nonzero = |_: Pair, _: Pair| (1.0, 0.0);
        let error = check_jvp(f, nonzero, (0.7, -1.2), (0.0, 0.0)).unwrap_err();
        assert_eq!((error.index, error.expected, error.actual), (0, 0.0, 1.0));
    }

    #[test]
    fn works_in_f32_with_the_f32_tolerance() {
        let g = |x: [f32; 3]| x[0] * x[1].exp() + x[2] * x[2];
        let g_vjp = |x: [f32; 3], v: f32| [v * x[1].exp(), v * x[0] * x[1].exp(), v * 2.0 * x[2]];
        let g_jvp = |x: [f32; 3], u: [f32; 3]| {
            u[0] * x[1].exp() + x[0] * x[1].exp() * u[1] + 2.0 * x[2] * u[2]
        };
        let x = [1.3, -0.4, 2.5];
        assert_eq!(check_vjp_with(g, g_vjp, x, 1.0, Tolerance::f32()), Ok(()));
        assert_eq!(
            check_jvp_with(g, g_jvp, x, [0.5, 1.0, -0.25], Tolerance::f32()),
            Ok(())
        );
        let wrong = |x: [f32; 3], v: f32| [v * x[1].exp(), v * x[1].exp(), v * 2.0 * x[2]];
        let error = check_vjp_with(g, wrong, x, 1.0, Tolerance::f32()).unwrap_err();
        assert_eq!(error.index, 1);
    }

    #[test]
    fn mixed_shapes_in_and_out() {
        // h(a, [b, c]) = [a * b + c, a.exp()]  with a scalar output tuple
        type In = (f64, [f64; 2]);
        let h = |(a, [b, c]): In| ([a * b + c, a.exp()], (b * c,));
        let h_vjp = |(a, [b, c]): In, ([v0, v1], (w,)): ([f64; 2], (f64,))| {
            (v0 * b + v1 * a.exp(), [v0 * a + w * c, v0 + w * b])
        };
        let v = ([0.5, -1.0], (2.0,));
        assert_eq!(check_vjp(h, h_vjp, (0.3, [1.5, -2.0]), v), Ok(()));
    }

    #[test]
    fn error_is_a_std_error() {
        let error: Box<dyn std::error::Error> = Box::new(CheckError {
            what: "vjp",
            index: 2,
            expected: 1.2345,
            actual: 1.3,
        });
        assert_eq!(
            error.to_string(),
            "vjp mismatch at input component 2: finite differences give 1.2345, the rule gives 1.3"
        );
    }
}
