//! Every straight-line construct a differentiable body may contain, in `f64` (module `double`)
//! and in `f32` (module `single`, checked with the `f32` tolerance and against the `f64`
//! gradient at the same point); the generic `T: vjp::Real` versions are in `tests/generic.rs`.
//!
//! Each generated `NAME_vjp` is checked against central finite differences of `NAME` for every
//! unit cotangent and a mixed one (see `common::check_with`), its primal output against `NAME`,
//! `NAME_grad` against `NAME_vjp(.., 1)`, and, where the derivative is simple, against its closed
//! form. The shape of `GRADS` (one entry per active by-value parameter, none for integers and
//! `#[no_grad]`) is pinned by type annotations.
#![deny(warnings)]

mod common;

/// `f64`.
mod double {
    use super::common::{assert_close, check64};
    use vjp::differentiable;

    /// A module-level constant read by a differentiable body.
    const SCALE: f64 = 0.25;

    /// `let` and `let mut`; values read several times.
    #[differentiable]
    pub(super) fn lets(x: f64, y: f64) -> f64 {
        let a = x * y;
        let mut b = a + x;
        let c = b * a - y;
        b = c * b + 1.5;
        a * b - c
    }

    /// Shadowing a parameter and a local, reading the shadowed value on the right.
    #[differentiable]
    pub(super) fn shadowing(x: f64, y: f64) -> f64 {
        let x = x * 2.0;
        let s = x + y;
        let s = s * s;
        let y = s - y;
        x * y
    }

    /// Reassignment `s = ...` several times, with a copy taken in between.
    #[differentiable]
    pub(super) fn reassignment(x: f64, y: f64) -> f64 {
        let mut s = x;
        s = s * y + x;
        s = 2.0 - s / y;
        let t = s;
        s = s.sin() * t;
        s + t
    }

    /// `+= -= *= /=`, each on its own and chained, with active and constant right-hand sides.
    #[differentiable]
    pub(super) fn compound(x: f64, y: f64) -> [f64; 5] {
        let mut a = x;
        a += y;
        let mut b = x;
        b -= y * 3.0;
        let mut c = x;
        c *= y;
        let mut d = x;
        d /= y;
        let mut e = x;
        e += e;
        e *= x - y;
        e /= 2.0;
        e -= 1.0 / y;
        [a, b, c, d, e]
    }

    /// Compound assignments whose right-hand side is inactive (integer casts, an inactive
    /// method call, a conversion).
    #[differentiable]
    pub(super) fn compound_inactive_rhs(x: f64, n: i32, k: usize) -> f64 {
        let mut s = x;
        s += n as f64;
        s *= (k as f64).sqrt();
        s -= f64::from(n) * 0.5;
        s /= k as f64 + 1.0;
        s * x
    }

    /// A `mut` parameter updated in place.
    #[differentiable]
    pub(super) fn mut_param(mut x: f64, y: f64) -> f64 {
        x *= y;
        x += x.sin();
        x
    }

    /// Blocks as expressions (one shadowing a parameter inside it only), parentheses, and a
    /// block as the returned expression.
    #[differentiable]
    pub(super) fn blocks(x: f64, y: f64) -> f64 {
        let z = {
            let t = x * y;
            t + x
        };
        let w = {
            let x = x * 3.0;
            x - y
        };
        let p = (x + y) * (x - y) / (1.0 + x * x);
        {
            let u = z * w;
            u + p * x
        }
    }

    /// Unary minus on a parameter, a product, a method call, a negated value and a sum.
    #[differentiable]
    pub(super) fn negation(x: f64, y: f64) -> [f64; 4] {
        let a = -x;
        let b = -(x * y);
        let c = -x.sin();
        let d = -a * -y;
        [a, b, c + d, -(-a + y)]
    }

    /// `+ - * /` with a constant on either side.
    #[differentiable]
    pub(super) fn constants_on_either_side(x: f64) -> [f64; 9] {
        [
            2.0 - x,
            x - 2.0,
            x / 3.0,
            3.0 / x,
            1.0 / x,
            2.5 * x,
            x * 2.5,
            1.5 + x,
            x + 1.5,
        ]
    }

    /// `+ - * /` between two active values.
    #[differentiable]
    pub(super) fn operators(x: f64, y: f64) -> [f64; 4] {
        [x + y, x - y, x * y, x / y]
    }

    /// Precedence and associativity of a long expression.
    #[differentiable]
    pub(super) fn precedence(x: f64, y: f64) -> f64 {
        x + y * x - y / x * 2.0 + -(y * y) - (x - y) / (x + y) * 0.5
    }

    /// Float literals in several spellings, `std`/`core` constants, associated constants, a
    /// module-level `const` and a `const` item inside the body.
    #[differentiable]
    pub(super) fn literals_and_constants(x: f64) -> [f64; 6] {
        const LOCAL: f64 = 4.0;
        [
            std::f64::consts::PI * x,
            x + f64::EPSILON,
            core::f64::consts::E / x,
            2f64 * x + 1e-3 - 2.5e1 * x,
            SCALE * x * LOCAL,
            x * -0.5 + f64::MAX.min(3.0),
        ]
    }

    /// `as` casts of inactive integers, alone and inside inactive expressions.
    #[differentiable]
    pub(super) fn casts(x: f64, n: i32, k: usize) -> f64 {
        n as f64 * x + x / (k + 1) as f64 + (n * 2) as f64 - x * (k as f64).sqrt()
    }

    /// A tuple parameter, destructured and read by field.
    #[differentiable]
    pub(super) fn tuple_param(p: (f64, f64), q: f64) -> (f64, f64) {
        let (a, b) = p;
        (a * b + q, p.0 - p.1 * q)
    }

    /// An array parameter, destructured and indexed with constants.
    #[differentiable]
    pub(super) fn array_param(a: [f64; 3]) -> [f64; 3] {
        let [x, y, z] = a;
        [x * y, a[2] * z, y + a[0]]
    }

    /// Element and field assignment, plain and compound.
    #[differentiable]
    pub(super) fn element_assignment(a: [f64; 3], t: (f64, f64)) -> (f64, f64) {
        let mut b = a;
        b[1] = b[0] * t.1;
        b[0] += t.0;
        b[2] *= b[1];
        let mut u = t;
        u.0 = u.1 * b[2];
        u.1 -= b[0];
        u.1 /= 2.0 + b[1] * b[1];
        (u.0 + b[1], u.1 * b[2])
    }

    /// Tuples and arrays built as locals, destructured with `_`, nested.
    #[differentiable]
    pub(super) fn locals(x: f64, y: f64) -> [f64; 2] {
        let p = (x, y);
        let arr = [x, y, x * y];
        let (s, d) = (x + y, x - y);
        let [_, second, third] = arr;
        let nested = ((x, y), [y, x * 2.0]);
        let ((nx, _), [_, n2]) = nested;
        [
            p.0 * arr[2] + s * d,
            second * third + nested.1[0] * nested.0 .1 + nx * n2,
        ]
    }

    /// Assignment into nested arrays and tuples.
    #[differentiable]
    pub(super) fn nested_assignment(x: f64, y: f64) -> (f64, f64) {
        let mut m = [[x, y], [y, x]];
        m[1][0] = x * y;
        m[0][1] += m[1][0];
        let mut t = ((x, 1.0), [y, 2.0]);
        t.0 .1 = m[0][1] * x;
        t.1[1] *= t.0 .0;
        (m[0][0] * m[1][0] + m[0][1], t.0 .1 - t.1[1] * m[1][1])
    }

    /// Nested aggregate parameters: a tuple of a tuple, a tuple holding an array.
    #[differentiable]
    pub(super) fn nested_params(p: ((f64, f64), f64), q: ([f64; 2], f64)) -> f64 {
        let ((a, b), c) = p;
        a * q.0[1] + b * c * q.1 + p.0 .0 * q.0[0]
    }

    /// An array indexed by inactive integer parameters.
    #[differentiable]
    pub(super) fn inactive_index(a: [f64; 4], i: usize, j: usize) -> f64 {
        a[i] * a[j] + a[(i + 1) % 4]
    }

    /// Type-annotated `let`s.
    #[differentiable]
    pub(super) fn annotated(x: f64, y: f64) -> f64 {
        let a: f64 = x * 2.0;
        let arr: [f64; 2] = [a, y];
        let t: (f64, f64) = (arr[1], a * y);
        let c: f64 = 3.0;
        t.0 * t.1 + c * arr[0]
    }

    /// Inactive parameters between active ones: integers and `#[no_grad]` floats get no entry.
    #[differentiable]
    pub(super) fn inactive_params(
        x: f64,
        n: i32,
        #[no_grad] c: f64,
        y: f64,
        #[no_grad] w: [f64; 2],
    ) -> f64 {
        x.powi(n) * c + y * c * w[0] + x * w[1]
    }

    /// Parameters that do not influence the output: unused, only asserted on, only feeding a
    /// dead local.
    #[differentiable]
    pub(super) fn ignores(x: f64, _unused: f64, z: f64, w: f64) -> f64 {
        assert!(z.is_finite());
        let _dead = w * x;
        let _also_dead = z.sin() * 2.0;
        x * 2.0
    }

    /// `x - z` with `z` a copy of `x`: the contributions cancel exactly.
    #[differentiable]
    pub(super) fn cancellation(x: f64, y: f64) -> f64 {
        let z = x;
        (x - z) * y + y
    }

    /// A wildcard parameter is active (a by-value float) with a zero cotangent.
    #[differentiable]
    pub(super) fn wildcard(x: f64, _: f64) -> f64 {
        x * 3.0
    }

    /// Returning a parameter as it is.
    #[differentiable]
    pub(super) fn identity(x: f64) -> f64 {
        x
    }

    /// Outputs that depend on no input.
    #[differentiable]
    pub(super) fn constant_output(_x: f64) -> f64 {
        2.5
    }

    #[differentiable]
    pub(super) fn constant_outputs(x: f64, n: i32) -> (f64, f64) {
        let _k = x * 2.0;
        (n as f64 * 0.5, std::f64::consts::PI)
    }

    #[differentiable]
    pub(super) fn only_inactive(_x: f64, #[no_grad] c: f64) -> f64 {
        c * c
    }

    /// No active parameter at all: `GRADS` is `()`.
    #[differentiable]
    pub(super) fn no_active(n: i32) -> f64 {
        n as f64 * 2.0
    }

    /// `return expr;` at the end.
    #[allow(clippy::needless_return)]
    #[differentiable]
    pub(super) fn explicit_return(x: f64, y: f64) -> f64 {
        let s = x * y;
        return s.sin() + x;
    }

    #[allow(clippy::needless_return)]
    #[differentiable]
    pub(super) fn explicit_return_tuple(x: f64, y: f64) -> (f64, f64) {
        let s = x * y;
        return (s, x - y);
    }

    #[allow(clippy::needless_return)]
    #[differentiable]
    pub(super) fn explicit_return_parameter(x: f64, _y: f64) -> f64 {
        return x;
    }

    /// Printing and assertion macros reading active values.
    #[differentiable]
    pub(super) fn printing_and_asserting(x: f64, y: f64) -> f64 {
        let s = x * y;
        println!("s = {s}, x = {x}, x + y = {}", x + y);
        eprintln!("{:?}", (x, s));
        assert!(s.is_finite() && x > -10.0, "x = {x}");
        assert_eq!(s, x * y);
        assert_ne!(s, f64::INFINITY, "s = {s}");
        debug_assert!(y != 0.0);
        let t = s.sin();
        dbg!(t);
        t * x
    }

    /// An assertion whose format string captures a reassigned local (`{s}`).
    #[differentiable]
    pub(super) fn inline_format_args_after_reassignment(x: f64) -> f64 {
        let mut s = x;
        s += 1.0;
        assert_eq!(format!("{s}"), format!("{}", x + 1.0));
        s * 2.0
    }

    /// The same with a shadowed local.
    #[differentiable]
    pub(super) fn inline_format_args_after_shadowing(x: f64) -> f64 {
        let s = x;
        let s = s * 3.0;
        assert_eq!(format!("{s:.6}"), format!("{:.6}", x * 3.0));
        s + x
    }

    /// User names that the generated code would like to use itself (`v`, `y`, `t0`, `bar_*`,
    /// `y_1`, `t1`).
    #[differentiable]
    pub(super) fn generated_names(v: f64, y: f64, t0: f64, bar_v: f64, y_1: f64) -> f64 {
        let t1 = v * y + t0;
        let bar_y = t1 * bar_v;
        bar_y * y_1 + t1
    }

    /// Swapping through a destructuring `let` and through reassignments (the manual swap is
    /// the point).
    #[allow(clippy::manual_swap)]
    #[differentiable]
    pub(super) fn swaps(x: f64, y: f64) -> [f64; 2] {
        let (a, b) = (y, x);
        let mut c = x;
        let mut d = y;
        let t = c;
        c = d;
        d = t;
        [a * 2.0 + b * 3.0, c * 5.0 + d * 7.0]
    }

    /// A copy of an array taken before an element assignment keeps the old value.
    #[differentiable]
    pub(super) fn copies_are_values(a: [f64; 2], x: f64) -> f64 {
        let mut c = a;
        let b = c;
        c[0] = x;
        b[0] * c[0] + c[1]
    }

    /// Locals named like the helpers of the generated code (`updated`, `rest`).
    #[differentiable]
    pub(super) fn helper_names(a: [f64; 2], x: f64) -> f64 {
        let updated = x * 2.0;
        let rest = a;
        let mut c = rest;
        c[1] = updated;
        c[0] * c[1] + rest[1]
    }

    /// A float cast to an integer is inactive: only the direct use of `x` has a derivative.
    #[differentiable]
    pub(super) fn float_to_integer(x: f64) -> f64 {
        let k = x as i32;
        k as f64 * x
    }

    /// Compound assignment into an array inside a tuple parameter.
    #[differentiable]
    pub(super) fn tuple_of_array_update(mut t: ([f64; 2], f64), x: f64) -> f64 {
        t.0[1] += x;
        t.0[0] *= t.1;
        t.0[0] + t.0[1] * x
    }

    // ----- tests -----

    #[test]
    fn swapping() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            check64(|(x, y)| swaps(x, y), |(x, y), v| swaps_vjp(x, y, v), (x, y));
            assert_eq!(swaps_vjp(x, y, [1.0, 0.0]).1, (3.0, 2.0));
            assert_eq!(swaps_vjp(x, y, [0.0, 1.0]).1, (7.0, 5.0));
        }
    }

    #[test]
    fn copies_of_arrays_are_values() {
        let (a, x) = ([1.5, 2.0], 3.0);
        check64(
            |(a, x)| copies_are_values(a, x),
            |(a, x), v| copies_are_values_vjp(a, x, v),
            (a, x),
        );
        assert_eq!(copies_are_values_grad(a, x), ([3.0, 1.0], 1.5));
    }

    #[test]
    fn locals_named_like_generated_helpers() {
        let (a, x) = ([1.5, 2.0], 3.0);
        check64(
            |(a, x)| helper_names(a, x),
            |(a, x), v| helper_names_vjp(a, x, v),
            (a, x),
        );
        assert_eq!(helper_names_grad(a, x), ([6.0, 1.0], 3.0));
    }

    #[test]
    fn float_cast_to_an_integer_is_inactive() {
        for x in [2.5, -1.25, 0.4] {
            check64(
                |(x,)| float_to_integer(x),
                |(x,), v| float_to_integer_vjp(x, v),
                (x,),
            );
            assert_eq!(float_to_integer_grad(x), ((x as i32) as f64,));
        }
    }

    #[test]
    fn compound_assignment_into_a_tuple_of_an_array() {
        let (t, x) = (([1.0, 2.0], 3.0), 0.5);
        check64(
            |(t, x)| tuple_of_array_update(t, x),
            |(t, x), v| tuple_of_array_update_vjp(t, x, v),
            (t, x),
        );
        assert_eq!(tuple_of_array_update_grad(t, x), (([3.0, 0.5], 1.0), 3.0));
    }

    #[test]
    fn let_and_let_mut() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4), (-2.0, 0.9)] {
            check64(|(x, y)| lets(x, y), |(x, y), v| lets_vjp(x, y, v), (x, y));
            assert_eq!(lets_grad(x, y), lets_vjp(x, y, 1.0).1);
        }
    }

    #[test]
    fn shadowing_parameters_and_locals() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            check64(
                |(x, y)| shadowing(x, y),
                |(x, y), v| shadowing_vjp(x, y, v),
                (x, y),
            );
            // f = 2x ((2x + y)² - y)
            let s = (2.0 * x + y) * (2.0 * x + y);
            let dx = 2.0 * (s - y) + 2.0 * x * 4.0 * (2.0 * x + y);
            let dy = 2.0 * x * (2.0 * (2.0 * x + y) - 1.0);
            assert_close(shadowing_grad(x, y), (dx, dy), 1e-14, 1e-14);
        }
    }

    #[test]
    fn reassignment_of_a_local() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            check64(
                |(x, y)| reassignment(x, y),
                |(x, y), v| reassignment_vjp(x, y, v),
                (x, y),
            );
            assert_eq!(reassignment_grad(x, y), reassignment_vjp(x, y, 1.0).1);
        }
    }

    #[test]
    fn compound_assignment_operators() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            check64(
                |(x, y)| compound(x, y),
                |(x, y), v| compound_vjp(x, y, v),
                (x, y),
            );
            // Row by row: a = x + y, b = x - 3y, c = xy, d = x / y.
            let rows = [(1.0, 1.0), (1.0, -3.0), (y, x), (1.0 / y, -x / (y * y))];
            for (i, row) in rows.into_iter().enumerate() {
                let mut v = [0.0; 5];
                v[i] = 1.0;
                assert_close(compound_vjp(x, y, v).1, row, 1e-15, 0.0);
            }
        }
    }

    #[test]
    fn compound_assignment_with_an_inactive_right_hand_side() {
        for (x, n, k) in [(0.6, 3, 4), (-1.3, -2, 1)] {
            check64(
                |(x,)| compound_inactive_rhs(x, n, k),
                |(x,), v| compound_inactive_rhs_vjp(x, n, k, v),
                (x,),
            );
            // s = ((x + n) sqrt(k) - n / 2) / (k + 1), f = s x
            let (nf, kf) = (n as f64, k as f64);
            let s = ((x + nf) * kf.sqrt() - nf * 0.5) / (kf + 1.0);
            let expected = s + x * kf.sqrt() / (kf + 1.0);
            assert_close(
                compound_inactive_rhs_grad(x, n, k),
                (expected,),
                1e-14,
                1e-15,
            );
        }
    }

    #[test]
    fn mut_parameter() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            check64(
                |(x, y)| mut_param(x, y),
                |(x, y), v| mut_param_vjp(x, y, v),
                (x, y),
            );
            let g = (1.0 + (x * y).cos()) * y;
            assert_close(mut_param_grad(x, y), (g, g * x / y), 1e-14, 1e-15);
        }
    }

    #[test]
    fn blocks_and_parentheses() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            check64(
                |(x, y)| blocks(x, y),
                |(x, y), v| blocks_vjp(x, y, v),
                (x, y),
            );
            assert_eq!(blocks_grad(x, y), blocks_vjp(x, y, 1.0).1);
        }
    }

    #[test]
    fn unary_minus() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            check64(
                |(x, y)| negation(x, y),
                |(x, y), v| negation_vjp(x, y, v),
                (x, y),
            );
        }
        assert_eq!(negation_vjp(0.5, 2.0, [1.0, 0.0, 0.0, 0.0]).1, (-1.0, 0.0));
        assert_eq!(negation_vjp(0.5, 2.0, [0.0, 1.0, 0.0, 0.0]).1, (-2.0, -0.5));
        assert_eq!(negation_vjp(0.5, 2.0, [0.0, 0.0, 0.0, 1.0]).1, (-1.0, -1.0));
    }

    #[test]
    fn constants_on_either_side_of_an_operator() {
        for x in [0.6, -1.3, 4.0] {
            check64(
                |(x,)| constants_on_either_side(x),
                |(x,), v| constants_on_either_side_vjp(x, v),
                (x,),
            );
            let expected = [
                -1.0,
                1.0,
                1.0 / 3.0,
                -3.0 / (x * x),
                -1.0 / (x * x),
                2.5,
                2.5,
                1.0,
                1.0,
            ];
            for (i, d) in expected.into_iter().enumerate() {
                let mut v = [0.0; 9];
                v[i] = 1.0;
                let (_, (dx,)) = constants_on_either_side_vjp(x, v);
                assert_close(dx, d, 1e-15, 0.0);
            }
        }
    }

    #[test]
    fn operators_between_active_values() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            check64(
                |(x, y)| operators(x, y),
                |(x, y), v| operators_vjp(x, y, v),
                (x, y),
            );
            assert_eq!(
                operators_vjp(x, y, [1.0, 10.0, 100.0, 0.0]).1,
                (1.0 + 10.0 + 100.0 * y, 1.0 - 10.0 + 100.0 * x)
            );
        }
    }

    #[test]
    fn operator_precedence() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            check64(
                |(x, y)| precedence(x, y),
                |(x, y), v| precedence_vjp(x, y, v),
                (x, y),
            );
            assert_eq!(precedence_grad(x, y), precedence_vjp(x, y, 1.0).1);
        }
    }

    #[test]
    fn float_literals_and_constants() {
        for x in [0.6, -1.3] {
            check64(
                |(x,)| literals_and_constants(x),
                |(x,), v| literals_and_constants_vjp(x, v),
                (x,),
            );
        }
        let x = 0.6;
        let rows = [
            std::f64::consts::PI,
            1.0,
            -std::f64::consts::E / (x * x),
            2.0 - 25.0,
            SCALE * 4.0,
            -0.5,
        ];
        for (i, d) in rows.into_iter().enumerate() {
            let mut v = [0.0; 6];
            v[i] = 1.0;
            assert_close(literals_and_constants_vjp(x, v).1, (d,), 1e-15, 0.0);
        }
    }

    #[test]
    fn casts_of_inactive_integers() {
        for (x, n, k) in [(0.6, 3, 4), (-1.3, -2, 0), (2.0, 0, 9)] {
            check64(|(x,)| casts(x, n, k), |(x,), v| casts_vjp(x, n, k, v), (x,));
            let (_, (dx,)): (f64, (f64,)) = casts_vjp(x, n, k, 1.0);
            let expected = n as f64 + 1.0 / (k + 1) as f64 - (k as f64).sqrt();
            assert_close(dx, expected, 1e-15, 1e-15);
            assert_eq!(casts_grad(x, n, k), (dx,));
        }
    }

    #[test]
    fn tuple_parameter() {
        for (a, b, q) in [(0.6, -1.3, 0.4), (1.25, 0.4, -2.0)] {
            check64(
                |(p, q)| tuple_param(p, q),
                |(p, q), v| tuple_param_vjp(p, q, v),
                ((a, b), q),
            );
            let (_, grads): (_, ((f64, f64), f64)) = tuple_param_vjp((a, b), q, (1.0, 0.0));
            assert_eq!(grads, ((b, a), 1.0));
        }
    }

    #[test]
    fn array_parameter() {
        for a in [[0.6, -1.3, 0.4], [1.25, 0.4, -2.0]] {
            check64(|(a,)| array_param(a), |(a,), v| array_param_vjp(a, v), (a,));
            let (_, (da,)): (_, ([f64; 3],)) = array_param_vjp(a, [0.0, 1.0, 0.0]);
            assert_eq!(da, [0.0, 0.0, 2.0 * a[2]]);
        }
    }

    #[test]
    fn element_and_field_assignment() {
        for (a, t) in [
            ([0.6, -1.3, 0.4], (0.9, -0.5)),
            ([1.25, 0.4, -2.0], (-1.1, 0.3)),
        ] {
            check64(
                |(a, t)| element_assignment(a, t),
                |(a, t), v| element_assignment_vjp(a, t, v),
                (a, t),
            );
            let _: ([f64; 3], (f64, f64)) = element_assignment_vjp(a, t, (1.0, 1.0)).1;
        }
    }

    #[test]
    fn tuple_and_array_locals() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            check64(
                |(x, y)| locals(x, y),
                |(x, y), v| locals_vjp(x, y, v),
                (x, y),
            );
        }
    }

    #[test]
    fn nested_element_assignment() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            check64(
                |(x, y)| nested_assignment(x, y),
                |(x, y), v| nested_assignment_vjp(x, y, v),
                (x, y),
            );
        }
    }

    #[test]
    fn nested_aggregate_parameters() {
        let p = ((0.6, -1.3), 0.4);
        let q = ([1.25, 0.9], -2.0);
        check64(
            |(p, q)| nested_params(p, q),
            |(p, q), v| nested_params_vjp(p, q, v),
            (p, q),
        );
        type Grads = (((f64, f64), f64), ([f64; 2], f64));
        let (dp, dq): Grads = nested_params_grad(p, q);
        let ((a, b), c) = p;
        assert_close(dp, ((q.0[1] + q.0[0], c * q.1), b * q.1), 1e-15, 0.0);
        assert_close(dq, ([a, a], b * c), 1e-15, 0.0);
    }

    #[test]
    fn array_indexed_by_inactive_integers() {
        let a = [0.6, -1.3, 0.4, 2.0];
        for (i, j) in [(0, 2), (3, 1), (2, 2)] {
            check64(
                |(a,)| inactive_index(a, i, j),
                |(a,), v| inactive_index_vjp(a, i, j, v),
                (a,),
            );
            let mut expected = [0.0; 4];
            expected[i] += a[j];
            expected[j] += a[i];
            expected[(i + 1) % 4] += 1.0;
            assert_eq!(inactive_index_grad(a, i, j), (expected,));
        }
    }

    #[test]
    fn type_annotated_lets() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            check64(
                |(x, y)| annotated(x, y),
                |(x, y), v| annotated_vjp(x, y, v),
                (x, y),
            );
            assert_eq!(annotated_grad(x, y), (2.0 * y * y + 6.0, 4.0 * x * y));
        }
    }

    #[test]
    fn integer_and_no_grad_parameters_get_no_cotangent() {
        let (n, c, w) = (3, 1.5, [0.25, -2.0]);
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            check64(
                |(x, y)| inactive_params(x, n, c, y, w),
                |(x, y), v| inactive_params_vjp(x, n, c, y, w, v),
                (x, y),
            );
            let (out, (dx, dy)): (f64, (f64, f64)) = inactive_params_vjp(x, n, c, y, w, 1.0);
            assert_eq!(out, inactive_params(x, n, c, y, w));
            assert_close(dx, 3.0 * x * x * c + w[1], 1e-14, 1e-15);
            assert_close(dy, c * w[0], 1e-15, 0.0);
            let grads: (f64, f64) = inactive_params_grad(x, n, c, y, w);
            assert_eq!(grads, (dx, dy));
        }
    }

    #[test]
    fn parameters_that_do_not_reach_the_output_have_gradient_exactly_zero() {
        for v in [1.0, -2.5] {
            let (out, grads) = ignores_vjp(0.6, -1.3, 0.4, 2.0, v);
            assert_eq!(out, ignores(0.6, -1.3, 0.4, 2.0));
            assert_eq!(grads, (2.0 * v, 0.0, 0.0, 0.0));
        }
        assert_eq!(ignores_grad(-3.0, 1.0, 2.0, 5.0), (2.0, 0.0, 0.0, 0.0));
    }

    #[test]
    fn contributions_that_cancel_give_exactly_zero() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            assert_eq!(
                cancellation_vjp(x, y, 1.0),
                (cancellation(x, y), (0.0, 1.0))
            );
            assert_eq!(cancellation_grad(x, y), (0.0, 1.0));
        }
    }

    #[test]
    fn wildcard_parameter() {
        let (out, (dx, d_)): (f64, (f64, f64)) = wildcard_vjp(0.6, 9.0, 2.0);
        assert_eq!((out, dx, d_), (wildcard(0.6, 9.0), 6.0, 0.0));
        assert_eq!(wildcard_grad(-1.0, 1.0), (3.0, 0.0));
    }

    #[test]
    fn returning_a_parameter() {
        assert_eq!(identity_vjp(0.6, -2.5), (identity(0.6), (-2.5,)));
        assert_eq!(identity_grad(4.0), (1.0,));
    }

    #[test]
    fn outputs_that_depend_on_no_input() {
        assert_eq!(
            constant_output_vjp(0.6, 3.0),
            (constant_output(0.6), (0.0,))
        );
        assert_eq!(constant_output_grad(-1.0), (0.0,));
        let (out, (dx,)) = constant_outputs_vjp(0.6, 3, (1.0, -1.0));
        assert_eq!(out, constant_outputs(0.6, 3));
        assert_eq!(out, (1.5, std::f64::consts::PI));
        assert_eq!(dx, 0.0);
        assert_eq!(only_inactive_vjp(0.6, 3.0, 1.0), (9.0, (0.0,)));
        assert_eq!(only_inactive_grad(0.6, only_inactive(0.6, 3.0)), (0.0,));
        let (out, grads): (f64, ()) = no_active_vjp(3, 1.0);
        assert_eq!((out, grads), (no_active(3), ()));
        let grad: fn(i32) = no_active_grad;
        grad(3);
    }

    #[test]
    fn return_statement_at_the_end() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            check64(
                |(x, y)| explicit_return(x, y),
                |(x, y), v| explicit_return_vjp(x, y, v),
                (x, y),
            );
            assert_eq!(explicit_return_grad(x, y), explicit_return_vjp(x, y, 1.0).1);
            check64(
                |(x, y)| explicit_return_tuple(x, y),
                |(x, y), v| explicit_return_tuple_vjp(x, y, v),
                (x, y),
            );
            assert_eq!(
                explicit_return_parameter_vjp(x, y, 2.0),
                (explicit_return_parameter(x, y), (2.0, 0.0))
            );
            assert_eq!(explicit_return_parameter_grad(x, y), (1.0, 0.0));
        }
    }

    #[test]
    fn printing_and_assertion_macros() {
        for (x, y) in [(0.6, -1.3), (1.25, 0.4)] {
            check64(
                |(x, y)| printing_and_asserting(x, y),
                |(x, y), v| printing_and_asserting_vjp(x, y, v),
                (x, y),
            );
            assert_eq!(
                printing_and_asserting_grad(x, y),
                printing_and_asserting_vjp(x, y, 1.0).1
            );
        }
    }

    #[test]
    fn inline_format_args_see_the_current_value_after_reassignment() {
        assert_eq!(inline_format_args_after_reassignment(0.5), 3.0);
        assert_eq!(
            inline_format_args_after_reassignment_vjp(0.5, 1.0),
            (3.0, (2.0,))
        );
        assert_eq!(inline_format_args_after_reassignment_grad(0.5), (2.0,));
    }

    #[test]
    fn inline_format_args_see_the_current_value_after_shadowing() {
        assert_eq!(inline_format_args_after_shadowing(0.5), 2.0);
        assert_eq!(
            inline_format_args_after_shadowing_vjp(0.5, 1.0),
            (2.0, (4.0,))
        );
        assert_eq!(inline_format_args_after_shadowing_grad(0.5), (4.0,));
    }

    #[test]
    fn user_names_that_collide_with_generated_ones() {
        let p = (0.6, -1.3, 0.4, 2.0, -0.9);
        check64(
            |(v, y, t0, bar_v, y_1)| generated_names(v, y, t0, bar_v, y_1),
            |(v, y, t0, bar_v, y_1), w| generated_names_vjp(v, y, t0, bar_v, y_1, w),
            p,
        );
        let (v, y, t0, bar_v, y_1) = p;
        let t1 = v * y + t0;
        let g = bar_v * y_1 + 1.0;
        assert_close(
            generated_names_grad(v, y, t0, bar_v, y_1),
            (g * y, g * v, g, t1 * y_1, t1 * bar_v),
            1e-15,
            0.0,
        );
    }
}

/// `f32`: the same constructs, with the `f32` tolerance and against the `f64` gradients.
mod single {
    use super::common::{assert_f32_matches_f64 as cross, check32};
    use super::double as d;
    use vjp::differentiable;

    const SCALE: f32 = 0.25;

    #[differentiable]
    fn lets(x: f32, y: f32) -> f32 {
        let a = x * y;
        let mut b = a + x;
        let c = b * a - y;
        b = c * b + 1.5;
        a * b - c
    }

    #[differentiable]
    fn shadowing(x: f32, y: f32) -> f32 {
        let x = x * 2.0;
        let s = x + y;
        let s = s * s;
        let y = s - y;
        x * y
    }

    #[differentiable]
    fn reassignment(x: f32, y: f32) -> f32 {
        let mut s = x;
        s = s * y + x;
        s = 2.0 - s / y;
        let t = s;
        s = s.sin() * t;
        s + t
    }

    #[differentiable]
    fn compound(x: f32, y: f32) -> [f32; 5] {
        let mut a = x;
        a += y;
        let mut b = x;
        b -= y * 3.0;
        let mut c = x;
        c *= y;
        let mut d = x;
        d /= y;
        let mut e = x;
        e += e;
        e *= x - y;
        e /= 2.0;
        e -= 1.0 / y;
        [a, b, c, d, e]
    }

    #[differentiable]
    fn mut_param(mut x: f32, y: f32) -> f32 {
        x *= y;
        x += x.sin();
        x
    }

    #[differentiable]
    fn blocks(x: f32, y: f32) -> f32 {
        let z = {
            let t = x * y;
            t + x
        };
        let w = {
            let x = x * 3.0;
            x - y
        };
        let p = (x + y) * (x - y) / (1.0 + x * x);
        {
            let u = z * w;
            u + p * x
        }
    }

    #[differentiable]
    fn negation(x: f32, y: f32) -> [f32; 4] {
        let a = -x;
        let b = -(x * y);
        let c = -x.sin();
        let d = -a * -y;
        [a, b, c + d, -(-a + y)]
    }

    #[differentiable]
    fn constants_on_either_side(x: f32) -> [f32; 9] {
        [
            2.0 - x,
            x - 2.0,
            x / 3.0,
            3.0 / x,
            1.0 / x,
            2.5 * x,
            x * 2.5,
            1.5 + x,
            x + 1.5,
        ]
    }

    #[differentiable]
    fn operators(x: f32, y: f32) -> [f32; 4] {
        [x + y, x - y, x * y, x / y]
    }

    #[differentiable]
    fn precedence(x: f32, y: f32) -> f32 {
        x + y * x - y / x * 2.0 + -(y * y) - (x - y) / (x + y) * 0.5
    }

    /// The `f32` constants, `core::f32::consts::E` among them.
    #[differentiable]
    fn literals_and_constants(x: f32) -> [f32; 6] {
        const LOCAL: f32 = 4.0;
        [
            std::f32::consts::PI * x,
            x + f32::EPSILON,
            core::f32::consts::E / x,
            2f32 * x + 1e-3 - 2.5e1 * x,
            SCALE * x * LOCAL,
            x * -0.5 + f32::MAX.min(3.0),
        ]
    }

    #[differentiable]
    fn casts(x: f32, n: i32, k: usize) -> f32 {
        n as f32 * x + x / (k + 1) as f32 + (n * 2) as f32 - x * (k as f32).sqrt()
    }

    #[differentiable]
    fn tuple_param(p: (f32, f32), q: f32) -> (f32, f32) {
        let (a, b) = p;
        (a * b + q, p.0 - p.1 * q)
    }

    #[differentiable]
    fn array_param(a: [f32; 3]) -> [f32; 3] {
        let [x, y, z] = a;
        [x * y, a[2] * z, y + a[0]]
    }

    #[differentiable]
    fn element_assignment(a: [f32; 3], t: (f32, f32)) -> (f32, f32) {
        let mut b = a;
        b[1] = b[0] * t.1;
        b[0] += t.0;
        b[2] *= b[1];
        let mut u = t;
        u.0 = u.1 * b[2];
        u.1 -= b[0];
        u.1 /= 2.0 + b[1] * b[1];
        (u.0 + b[1], u.1 * b[2])
    }

    #[differentiable]
    fn locals(x: f32, y: f32) -> [f32; 2] {
        let p = (x, y);
        let arr = [x, y, x * y];
        let (s, d) = (x + y, x - y);
        let [_, second, third] = arr;
        let nested = ((x, y), [y, x * 2.0]);
        let ((nx, _), [_, n2]) = nested;
        [
            p.0 * arr[2] + s * d,
            second * third + nested.1[0] * nested.0 .1 + nx * n2,
        ]
    }

    #[differentiable]
    fn nested_assignment(x: f32, y: f32) -> (f32, f32) {
        let mut m = [[x, y], [y, x]];
        m[1][0] = x * y;
        m[0][1] += m[1][0];
        let mut t = ((x, 1.0), [y, 2.0]);
        t.0 .1 = m[0][1] * x;
        t.1[1] *= t.0 .0;
        (m[0][0] * m[1][0] + m[0][1], t.0 .1 - t.1[1] * m[1][1])
    }

    #[differentiable]
    fn inactive_params(x: f32, n: i32, #[no_grad] c: f32, y: f32, #[no_grad] w: [f32; 2]) -> f32 {
        x.powi(n) * c + y * c * w[0] + x * w[1]
    }

    #[differentiable]
    fn ignores(x: f32, _unused: f32, z: f32, w: f32) -> f32 {
        assert!(z.is_finite());
        let _dead = w * x;
        let _also_dead = z.sin() * 2.0;
        x * 2.0
    }

    #[differentiable]
    fn constant_outputs(x: f32, n: i32) -> (f32, f32) {
        let _k = x * 2.0;
        (n as f32 * 0.5, core::f32::consts::E)
    }

    #[allow(clippy::needless_return)]
    #[differentiable]
    fn explicit_return(x: f32, y: f32) -> f32 {
        let s = x * y;
        return s.sin() + x;
    }

    #[differentiable]
    fn printing_and_asserting(x: f32, y: f32) -> f32 {
        let s = x * y;
        println!("s = {s}, x = {x}, x + y = {}", x + y);
        assert!(s.is_finite() && x > -10.0, "x = {x}");
        assert_eq!(s, x * y);
        let t = s.sin();
        t * x
    }

    #[differentiable]
    fn annotated(x: f32, y: f32) -> f32 {
        let a: f32 = x * 2.0;
        let arr: [f32; 2] = [a, y];
        let t: (f32, f32) = (arr[1], a * y);
        let c: f32 = 3.0;
        t.0 * t.1 + c * arr[0]
    }

    const POINTS: [(f32, f32); 3] = [(0.6, -1.3), (1.25, 0.4), (-2.0, 0.9)];

    fn wide(x: f32) -> f64 {
        f64::from(x)
    }

    #[test]
    fn let_and_let_mut() {
        for (x, y) in POINTS {
            check32(|(x, y)| lets(x, y), |(x, y), v| lets_vjp(x, y, v), (x, y));
            cross(lets_grad(x, y), d::lets_grad(wide(x), wide(y)));
        }
    }

    #[test]
    fn shadowing_parameters_and_locals() {
        for (x, y) in POINTS {
            check32(
                |(x, y)| shadowing(x, y),
                |(x, y), v| shadowing_vjp(x, y, v),
                (x, y),
            );
            cross(shadowing_grad(x, y), d::shadowing_grad(wide(x), wide(y)));
        }
    }

    #[test]
    fn reassignment_of_a_local() {
        for (x, y) in POINTS {
            check32(
                |(x, y)| reassignment(x, y),
                |(x, y), v| reassignment_vjp(x, y, v),
                (x, y),
            );
            cross(
                reassignment_grad(x, y),
                d::reassignment_grad(wide(x), wide(y)),
            );
        }
    }

    #[test]
    fn compound_assignment_operators() {
        for (x, y) in POINTS {
            check32(
                |(x, y)| compound(x, y),
                |(x, y), v| compound_vjp(x, y, v),
                (x, y),
            );
            let v = [1.0, -2.0, 0.5, 3.0, -1.5];
            cross(
                compound_vjp(x, y, v).1,
                d::compound_vjp(wide(x), wide(y), v.map(wide)).1,
            );
        }
    }

    #[test]
    fn mut_parameter() {
        for (x, y) in POINTS {
            check32(
                |(x, y)| mut_param(x, y),
                |(x, y), v| mut_param_vjp(x, y, v),
                (x, y),
            );
            cross(mut_param_grad(x, y), d::mut_param_grad(wide(x), wide(y)));
        }
    }

    #[test]
    fn blocks_and_parentheses() {
        for (x, y) in POINTS {
            check32(
                |(x, y)| blocks(x, y),
                |(x, y), v| blocks_vjp(x, y, v),
                (x, y),
            );
            cross(blocks_grad(x, y), d::blocks_grad(wide(x), wide(y)));
        }
    }

    #[test]
    fn unary_minus() {
        for (x, y) in POINTS {
            check32(
                |(x, y)| negation(x, y),
                |(x, y), v| negation_vjp(x, y, v),
                (x, y),
            );
            let v = [1.0, -2.0, 0.5, 3.0];
            cross(
                negation_vjp(x, y, v).1,
                d::negation_vjp(wide(x), wide(y), v.map(wide)).1,
            );
        }
    }

    #[test]
    fn constants_on_either_side_of_an_operator() {
        for x in [0.6_f32, -1.3, 4.0] {
            check32(
                |(x,)| constants_on_either_side(x),
                |(x,), v| constants_on_either_side_vjp(x, v),
                (x,),
            );
            let v = [1.0, -2.0, 0.5, 3.0, -1.5, 0.25, 2.0, -0.75, 1.25];
            cross(
                constants_on_either_side_vjp(x, v).1,
                d::constants_on_either_side_vjp(wide(x), v.map(wide)).1,
            );
        }
    }

    #[test]
    fn operators_between_active_values() {
        for (x, y) in POINTS {
            check32(
                |(x, y)| operators(x, y),
                |(x, y), v| operators_vjp(x, y, v),
                (x, y),
            );
            let v = [1.0, -2.0, 0.5, 3.0];
            cross(
                operators_vjp(x, y, v).1,
                d::operators_vjp(wide(x), wide(y), v.map(wide)).1,
            );
        }
    }

    #[test]
    fn operator_precedence() {
        for (x, y) in POINTS {
            check32(
                |(x, y)| precedence(x, y),
                |(x, y), v| precedence_vjp(x, y, v),
                (x, y),
            );
            cross(precedence_grad(x, y), d::precedence_grad(wide(x), wide(y)));
        }
    }

    #[test]
    fn float_literals_and_constants() {
        for x in [0.6_f32, -1.3] {
            check32(
                |(x,)| literals_and_constants(x),
                |(x,), v| literals_and_constants_vjp(x, v),
                (x,),
            );
            let v = [1.0, -2.0, 0.5, 3.0, -1.5, 0.25];
            cross(
                literals_and_constants_vjp(x, v).1,
                d::literals_and_constants_vjp(wide(x), v.map(wide)).1,
            );
        }
    }

    #[test]
    fn casts_of_inactive_integers() {
        for (x, n, k) in [(0.6_f32, 3, 4), (-1.3, -2, 0), (2.0, 0, 9)] {
            check32(|(x,)| casts(x, n, k), |(x,), v| casts_vjp(x, n, k, v), (x,));
            let grads: (f32,) = casts_grad(x, n, k);
            cross(grads, d::casts_grad(wide(x), n, k));
        }
    }

    #[test]
    fn tuple_and_array_parameters() {
        for (x, y) in POINTS {
            check32(
                |(p, q)| tuple_param(p, q),
                |(p, q), v| tuple_param_vjp(p, q, v),
                ((x, y), 0.4),
            );
            let grads: ((f32, f32), f32) = tuple_param_vjp((x, y), 0.4, (1.0, -2.0)).1;
            cross(
                grads,
                d::tuple_param_vjp((wide(x), wide(y)), wide(0.4), (1.0, -2.0)).1,
            );
            let a = [x, y, 0.4];
            check32(|(a,)| array_param(a), |(a,), v| array_param_vjp(a, v), (a,));
            let grads: ([f32; 3],) = array_param_vjp(a, [1.0, -2.0, 0.5]).1;
            cross(grads, d::array_param_vjp(a.map(wide), [1.0, -2.0, 0.5]).1);
        }
    }

    #[test]
    fn element_and_field_assignment() {
        for (x, y) in POINTS {
            let (a, t) = ([x, y, 0.4], (0.9, -0.5));
            check32(
                |(a, t)| element_assignment(a, t),
                |(a, t), v| element_assignment_vjp(a, t, v),
                (a, t),
            );
            cross(
                element_assignment_vjp(a, t, (1.0, -2.0)).1,
                d::element_assignment_vjp(a.map(wide), (wide(t.0), wide(t.1)), (1.0, -2.0)).1,
            );
        }
    }

    #[test]
    fn tuple_and_array_locals() {
        for (x, y) in POINTS {
            check32(
                |(x, y)| locals(x, y),
                |(x, y), v| locals_vjp(x, y, v),
                (x, y),
            );
            cross(
                locals_vjp(x, y, [1.0, -2.0]).1,
                d::locals_vjp(wide(x), wide(y), [1.0, -2.0]).1,
            );
            check32(
                |(x, y)| nested_assignment(x, y),
                |(x, y), v| nested_assignment_vjp(x, y, v),
                (x, y),
            );
            cross(
                nested_assignment_vjp(x, y, (1.0, -2.0)).1,
                d::nested_assignment_vjp(wide(x), wide(y), (1.0, -2.0)).1,
            );
        }
    }

    #[test]
    fn type_annotated_lets() {
        for (x, y) in POINTS {
            check32(
                |(x, y)| annotated(x, y),
                |(x, y), v| annotated_vjp(x, y, v),
                (x, y),
            );
            cross(annotated_grad(x, y), d::annotated_grad(wide(x), wide(y)));
        }
    }

    #[test]
    fn integer_and_no_grad_parameters_get_no_cotangent() {
        let (n, c, w) = (3, 1.5_f32, [0.25_f32, -2.0]);
        for (x, y) in POINTS {
            check32(
                |(x, y)| inactive_params(x, n, c, y, w),
                |(x, y), v| inactive_params_vjp(x, n, c, y, w, v),
                (x, y),
            );
            let grads: (f32, f32) = inactive_params_grad(x, n, c, y, w);
            cross(
                grads,
                d::inactive_params_grad(wide(x), n, wide(c), wide(y), w.map(wide)),
            );
        }
    }

    #[test]
    fn parameters_that_do_not_reach_the_output_have_gradient_exactly_zero() {
        let (out, grads) = ignores_vjp(0.6, -1.3, 0.4, 2.0, -2.5);
        assert_eq!(out, ignores(0.6, -1.3, 0.4, 2.0));
        assert_eq!(grads, (-5.0, 0.0, 0.0, 0.0));
        assert_eq!(ignores_grad(-3.0, 1.0, 2.0, 5.0), (2.0, 0.0, 0.0, 0.0));
        let (out, (dx,)) = constant_outputs_vjp(0.6, 3, (1.0, -1.0));
        assert_eq!(out, constant_outputs(0.6, 3));
        assert_eq!(dx, 0.0);
    }

    #[test]
    fn return_statement_and_printing() {
        for (x, y) in POINTS {
            check32(
                |(x, y)| explicit_return(x, y),
                |(x, y), v| explicit_return_vjp(x, y, v),
                (x, y),
            );
            cross(
                explicit_return_grad(x, y),
                d::explicit_return_grad(wide(x), wide(y)),
            );
            check32(
                |(x, y)| printing_and_asserting(x, y),
                |(x, y), v| printing_and_asserting_vjp(x, y, v),
                (x, y),
            );
            cross(
                printing_and_asserting_grad(x, y),
                d::printing_and_asserting_grad(wide(x), wide(y)),
            );
        }
    }
}

/// Casts between `f32` and `f64` of active values.
mod mixed {
    use super::common::{assert_close, check_with};
    use vjp::{differentiable, Tolerance};

    /// An `f32` parameter widened to `f64`.
    #[differentiable]
    fn widen(x: f32, y: f64) -> f64 {
        x as f64 * y
    }

    /// An `f64` computation narrowed to `f32`.
    #[differentiable]
    fn narrow(x: f64, y: f32) -> f32 {
        (x * 2.0) as f32 * y
    }

    #[test]
    fn widening_and_narrowing_casts() {
        let (x, y) = (0.75_f32, -1.5_f64);
        check_with(
            |(x, y)| widen(x, y),
            |(x, y), v| widen_vjp(x, y, v),
            (x, y),
            Tolerance::f32(),
        );
        assert_close(widen_grad(x, y), (-1.5_f32, 0.75_f64), 0.0, 0.0);
        let (x, y) = (0.75_f64, -1.5_f32);
        check_with(
            |(x, y)| narrow(x, y),
            |(x, y), v| narrow_vjp(x, y, v),
            (x, y),
            Tolerance::f32(),
        );
        assert_close(narrow_grad(x, y), (-3.0_f64, 1.5_f32), 0.0, 0.0);
    }
}
