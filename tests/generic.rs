//! The straight-line constructs in generic code, `fn f<T: vjp::Real>(...)`, each function
//! instantiated at `f64` and at `f32`: both are checked against central finite differences
//! (with the tolerance of their type), and the `f32` cotangents against the `f64` ones at the
//! same point (see `common::check_both`). Constants come from `T::from_f64`, `T::PI`,
//! `T::EPSILON`, `T::one()`, ...; the bound may be written inline, in a `where` clause, through
//! a `use`, or next to other bounds; const generics and inactive type parameters pass through.
#![deny(warnings)]

mod common;

use common::{assert_close, check_both};
use vjp::{differentiable, Real};

/// A module-level constant, converted with `T::from_f64`.
const SCALE: f64 = 0.25;

#[differentiable]
fn lets<T: vjp::Real>(x: T, y: T) -> T {
    let a = x * y;
    let mut b = a + x;
    let c = b * a - y;
    b = c * b + T::from_f64(1.5);
    a * b - c
}

#[differentiable]
fn shadowing<T: vjp::Real>(x: T, y: T) -> T {
    let x = x * T::from_f64(2.0);
    let s = x + y;
    let s = s * s;
    let y = s - y;
    x * y
}

#[differentiable]
fn reassignment<T: vjp::Real>(x: T, y: T) -> T {
    let mut s = x;
    s = s * y + x;
    s = T::from_f64(2.0) - s / y;
    let t = s;
    s = s.sin() * t;
    s + t
}

#[differentiable]
fn compound<T: vjp::Real>(x: T, y: T) -> [T; 5] {
    let mut a = x;
    a += y;
    let mut b = x;
    b -= y * T::from_f64(3.0);
    let mut c = x;
    c *= y;
    let mut d = x;
    d /= y;
    let mut e = x;
    e += e;
    e *= x - y;
    e /= T::from_f64(2.0);
    e -= T::one() / y;
    [a, b, c, d, e]
}

#[differentiable]
fn mut_param<T: vjp::Real>(mut x: T, y: T) -> T {
    x *= y;
    x += x.sin();
    x
}

#[differentiable]
fn blocks<T: vjp::Real>(x: T, y: T) -> T {
    let z = {
        let t = x * y;
        t + x
    };
    let w = {
        let x = x * T::from_f64(3.0);
        x - y
    };
    let p = (x + y) * (x - y) / (T::one() + x * x);
    {
        let u = z * w;
        u + p * x
    }
}

#[differentiable]
fn negation<T: vjp::Real>(x: T, y: T) -> [T; 4] {
    let a = -x;
    let b = -(x * y);
    let c = -x.sin();
    let d = -a * -y;
    [a, b, c + d, -(-a + y)]
}

#[differentiable]
fn constants_on_either_side<T: vjp::Real>(x: T) -> [T; 9] {
    let two = T::from_f64(2.0);
    [
        two - x,
        x - two,
        x / T::from_f64(3.0),
        T::from_f64(3.0) / x,
        T::one() / x,
        T::from_f64(2.5) * x,
        x * T::from_f64(2.5),
        T::from_f64(1.5) + x,
        x + T::from_f64(1.5),
    ]
}

#[differentiable]
fn operators<T: vjp::Real>(x: T, y: T) -> [T; 4] {
    [x + y, x - y, x * y, x / y]
}

#[differentiable]
fn precedence<T: vjp::Real>(x: T, y: T) -> T {
    let (two, half) = (T::from_f64(2.0), T::from_f64(0.5));
    x + y * x - y / x * two + -(y * y) - (x - y) / (x + y) * half
}

/// The trait's constants and constructors.
#[differentiable]
fn trait_constants<T: vjp::Real>(x: T, n: i32) -> [T; 6] {
    [
        T::PI * x,
        x + T::EPSILON,
        T::from_f64(core::f64::consts::E) / x,
        T::from_f64(0.5) * x + T::one() - T::zero(),
        T::from_f64(SCALE) * x * T::from_i32(n),
        <T as vjp::Real>::from_f64(-0.5) * x,
    ]
}

/// Inactive integers converted with `T::from_i32` and `T::from_f64(n as f64)`.
#[differentiable]
fn integer_conversions<T: vjp::Real>(x: T, n: i32, k: usize) -> T {
    T::from_i32(n) * x + x / T::from_f64((k + 1) as f64) - x * T::from_f64((k as f64).sqrt())
}

#[differentiable]
fn tuple_param<T: vjp::Real>(p: (T, T), q: T) -> (T, T) {
    let (a, b) = p;
    (a * b + q, p.0 - p.1 * q)
}

#[differentiable]
fn array_param<T: vjp::Real>(a: [T; 3]) -> [T; 3] {
    let [x, y, z] = a;
    [x * y, a[2] * z, y + a[0]]
}

#[differentiable]
fn element_assignment<T: vjp::Real>(a: [T; 3], t: (T, T)) -> (T, T) {
    let mut b = a;
    b[1] = b[0] * t.1;
    b[0] += t.0;
    b[2] *= b[1];
    let mut u = t;
    u.0 = u.1 * b[2];
    u.1 -= b[0];
    u.1 /= T::from_f64(2.0) + b[1] * b[1];
    (u.0 + b[1], u.1 * b[2])
}

#[differentiable]
fn locals<T: vjp::Real>(x: T, y: T) -> [T; 2] {
    let p = (x, y);
    let arr = [x, y, x * y];
    let (s, d) = (x + y, x - y);
    let [_, second, third] = arr;
    let nested = ((x, y), [y, x * T::from_f64(2.0)]);
    let ((nx, _), [_, n2]) = nested;
    [
        p.0 * arr[2] + s * d,
        second * third + nested.1[0] * nested.0 .1 + nx * n2,
    ]
}

#[differentiable]
fn nested_assignment<T: vjp::Real>(x: T, y: T) -> (T, T) {
    let mut m = [[x, y], [y, x]];
    m[1][0] = x * y;
    m[0][1] += m[1][0];
    let mut t = ((x, T::one()), [y, T::from_f64(2.0)]);
    t.0 .1 = m[0][1] * x;
    t.1[1] *= t.0 .0;
    (m[0][0] * m[1][0] + m[0][1], t.0 .1 - t.1[1] * m[1][1])
}

#[differentiable]
fn annotated<T: vjp::Real>(x: T, y: T) -> T {
    let a: T = x * T::from_f64(2.0);
    let arr: [T; 2] = [a, y];
    let t: (T, T) = (arr[1], a * y);
    let c: T = T::from_f64(3.0);
    t.0 * t.1 + c * arr[0]
}

#[differentiable]
fn inactive_params<T: vjp::Real>(x: T, n: i32, #[no_grad] c: T, y: T, #[no_grad] w: [T; 2]) -> T {
    x.powi(n) * c + y * c * w[0] + x * w[1]
}

#[differentiable]
fn ignores<T: vjp::Real>(x: T, _unused: T, z: T, w: T) -> T {
    assert!(z.is_finite());
    let _dead = w * x;
    let _also_dead = z.sin() * T::from_f64(2.0);
    x * T::from_f64(2.0)
}

#[differentiable]
fn constant_outputs<T: vjp::Real>(x: T, n: i32) -> (T, T) {
    let _k = x * T::from_f64(2.0);
    (T::from_i32(n) * T::from_f64(0.5), T::PI)
}

#[allow(clippy::needless_return)]
#[differentiable]
fn explicit_return<T: vjp::Real>(x: T, y: T) -> T {
    let s = x * y;
    return s.sin() + x;
}

#[differentiable]
fn printing_and_asserting<T: vjp::Real>(x: T, y: T) -> T {
    let s = x * y;
    println!("s = {s}, x = {x}, x + y = {}", x + y);
    eprintln!("{:?}", (x, s));
    assert!(s.is_finite() && x > T::from_f64(-10.0), "x = {x}");
    assert_eq!(s, x * y);
    let t = s.sin();
    t * x
}

/// The bound in a `where` clause.
#[differentiable]
fn where_clause<T>(x: T, y: T) -> T
where
    T: vjp::Real,
{
    x * y.exp() + T::from_f64(0.5) * x
}

/// The bound through `use vjp::Real`, next to other bounds.
#[differentiable]
fn short_bound_with_others<T: Real + Copy + std::fmt::Debug>(x: T, y: T) -> T {
    x.sin() * y - y / (T::one() + x * x)
}

/// A const generic parameter: constant indices computed from `N`.
#[differentiable]
fn const_generic<T: Real, const N: usize>(a: [T; N]) -> T {
    a[0] * a[N - 1] + a[N / 2]
}

/// A second type parameter that is not a float: its value is inactive.
#[differentiable]
fn inactive_type_param<T: Real, U: Copy + Into<f64>>(x: T, u: U) -> T {
    x * x * T::from_f64(u.into())
}

/// Two generic differentiable functions, one calling the other with and without a turbofish.
#[differentiable]
fn helper<T: Real>(x: T, y: T) -> T {
    x * y.sin()
}

#[differentiable]
fn calls_helper<T: Real>(x: T, y: T) -> T {
    helper::<T>(x, y) + helper(y, x * x)
}

// ----- tests -----

const POINTS: [(f64, f64); 3] = [(0.6, -1.3), (1.25, 0.4), (-2.0, 0.9)];

#[test]
fn let_and_let_mut() {
    for p in POINTS {
        check_both(
            |(x, y)| lets::<f64>(x, y),
            |(x, y), v| lets_vjp::<f64>(x, y, v),
            |(x, y)| lets::<f32>(x, y),
            |(x, y), v| lets_vjp::<f32>(x, y, v),
            p,
        );
        assert_eq!(lets_grad(p.0, p.1), lets_vjp(p.0, p.1, 1.0).1);
    }
}

#[test]
fn shadowing_parameters_and_locals() {
    for (x, y) in POINTS {
        check_both(
            |(x, y)| shadowing::<f64>(x, y),
            |(x, y), v| shadowing_vjp::<f64>(x, y, v),
            |(x, y)| shadowing::<f32>(x, y),
            |(x, y), v| shadowing_vjp::<f32>(x, y, v),
            (x, y),
        );
        let s = (2.0 * x + y) * (2.0 * x + y);
        let dx = 2.0 * (s - y) + 2.0 * x * 4.0 * (2.0 * x + y);
        let dy = 2.0 * x * (2.0 * (2.0 * x + y) - 1.0);
        assert_close(shadowing_grad::<f64>(x, y), (dx, dy), 1e-14, 1e-14);
    }
}

#[test]
fn reassignment_of_a_local() {
    for p in POINTS {
        check_both(
            |(x, y)| reassignment::<f64>(x, y),
            |(x, y), v| reassignment_vjp::<f64>(x, y, v),
            |(x, y)| reassignment::<f32>(x, y),
            |(x, y), v| reassignment_vjp::<f32>(x, y, v),
            p,
        );
    }
}

#[test]
fn compound_assignment_operators() {
    for (x, y) in POINTS {
        check_both(
            |(x, y)| compound::<f64>(x, y),
            |(x, y), v| compound_vjp::<f64>(x, y, v),
            |(x, y)| compound::<f32>(x, y),
            |(x, y), v| compound_vjp::<f32>(x, y, v),
            (x, y),
        );
        let rows = [(1.0, 1.0), (1.0, -3.0), (y, x), (1.0 / y, -x / (y * y))];
        for (i, row) in rows.into_iter().enumerate() {
            let mut v = [0.0; 5];
            v[i] = 1.0;
            assert_close(compound_vjp::<f64>(x, y, v).1, row, 1e-15, 0.0);
        }
    }
}

#[test]
fn mut_parameter() {
    for p in POINTS {
        check_both(
            |(x, y)| mut_param::<f64>(x, y),
            |(x, y), v| mut_param_vjp::<f64>(x, y, v),
            |(x, y)| mut_param::<f32>(x, y),
            |(x, y), v| mut_param_vjp::<f32>(x, y, v),
            p,
        );
    }
}

#[test]
fn blocks_and_parentheses() {
    for p in POINTS {
        check_both(
            |(x, y)| blocks::<f64>(x, y),
            |(x, y), v| blocks_vjp::<f64>(x, y, v),
            |(x, y)| blocks::<f32>(x, y),
            |(x, y), v| blocks_vjp::<f32>(x, y, v),
            p,
        );
    }
}

#[test]
fn unary_minus() {
    for p in POINTS {
        check_both(
            |(x, y)| negation::<f64>(x, y),
            |(x, y), v| negation_vjp::<f64>(x, y, v),
            |(x, y)| negation::<f32>(x, y),
            |(x, y), v| negation_vjp::<f32>(x, y, v),
            p,
        );
    }
    assert_eq!(
        negation_vjp::<f32>(0.5, 2.0, [0.0, 1.0, 0.0, 0.0]).1,
        (-2.0, -0.5)
    );
}

#[test]
fn constants_on_either_side_of_an_operator() {
    for x in [0.6, -1.3, 4.0] {
        check_both(
            |(x,)| constants_on_either_side::<f64>(x),
            |(x,), v| constants_on_either_side_vjp::<f64>(x, v),
            |(x,)| constants_on_either_side::<f32>(x),
            |(x,), v| constants_on_either_side_vjp::<f32>(x, v),
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
            assert_close(
                constants_on_either_side_vjp::<f64>(x, v).1,
                (d,),
                1e-15,
                0.0,
            );
        }
    }
}

#[test]
fn operators_and_precedence() {
    for p in POINTS {
        check_both(
            |(x, y)| operators::<f64>(x, y),
            |(x, y), v| operators_vjp::<f64>(x, y, v),
            |(x, y)| operators::<f32>(x, y),
            |(x, y), v| operators_vjp::<f32>(x, y, v),
            p,
        );
        check_both(
            |(x, y)| precedence::<f64>(x, y),
            |(x, y), v| precedence_vjp::<f64>(x, y, v),
            |(x, y)| precedence::<f32>(x, y),
            |(x, y), v| precedence_vjp::<f32>(x, y, v),
            p,
        );
    }
}

#[test]
fn trait_constants_and_constructors() {
    for (x, n) in [(0.6, 3), (-1.3, -2)] {
        check_both(
            |(x,)| trait_constants::<f64>(x, n),
            |(x,), v| trait_constants_vjp::<f64>(x, n, v),
            |(x,)| trait_constants::<f32>(x, n),
            |(x,), v| trait_constants_vjp::<f32>(x, n, v),
            (x,),
        );
        let rows = [
            std::f64::consts::PI,
            1.0,
            -std::f64::consts::E / (x * x),
            0.5,
            SCALE * n as f64,
            -0.5,
        ];
        for (i, d) in rows.into_iter().enumerate() {
            let mut v = [0.0; 6];
            v[i] = 1.0;
            assert_close(trait_constants_vjp::<f64>(x, n, v).1, (d,), 1e-15, 0.0);
        }
        let (_, (d,)) = trait_constants_vjp::<f32>(x as f32, n, [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(d, std::f32::consts::PI);
    }
}

#[test]
fn conversions_of_inactive_integers() {
    for (x, n, k) in [(0.6, 3, 4), (-1.3, -2, 0), (2.0, 0, 9)] {
        check_both(
            |(x,)| integer_conversions::<f64>(x, n, k),
            |(x,), v| integer_conversions_vjp::<f64>(x, n, k, v),
            |(x,)| integer_conversions::<f32>(x, n, k),
            |(x,), v| integer_conversions_vjp::<f32>(x, n, k, v),
            (x,),
        );
        let expected = n as f64 + 1.0 / (k + 1) as f64 - (k as f64).sqrt();
        assert_close(
            integer_conversions_grad::<f64>(x, n, k),
            (expected,),
            1e-15,
            1e-15,
        );
    }
}

#[test]
fn tuple_and_array_parameters() {
    for (x, y) in POINTS {
        check_both(
            |(p, q)| tuple_param::<f64>(p, q),
            |(p, q), v| tuple_param_vjp::<f64>(p, q, v),
            |(p, q)| tuple_param::<f32>(p, q),
            |(p, q), v| tuple_param_vjp::<f32>(p, q, v),
            ((x, y), 0.4),
        );
        let grads: ((f32, f32), f32) = tuple_param_vjp::<f32>((1.5, 2.0), 0.4, (1.0, 0.0)).1;
        assert_eq!(grads, ((2.0, 1.5), 1.0));
        check_both(
            |(a,)| array_param::<f64>(a),
            |(a,), v| array_param_vjp::<f64>(a, v),
            |(a,)| array_param::<f32>(a),
            |(a,), v| array_param_vjp::<f32>(a, v),
            ([x, y, 0.4],),
        );
        let grads: ([f64; 3],) = array_param_vjp([x, y, 0.4], [0.0, 1.0, 0.0]).1;
        assert_eq!(grads, ([0.0, 0.0, 0.8],));
    }
}

#[test]
fn element_and_field_assignment() {
    for (x, y) in POINTS {
        check_both(
            |(a, t)| element_assignment::<f64>(a, t),
            |(a, t), v| element_assignment_vjp::<f64>(a, t, v),
            |(a, t)| element_assignment::<f32>(a, t),
            |(a, t), v| element_assignment_vjp::<f32>(a, t, v),
            ([x, y, 0.4], (0.9, -0.5)),
        );
    }
}

#[test]
fn tuple_and_array_locals() {
    for p in POINTS {
        check_both(
            |(x, y)| locals::<f64>(x, y),
            |(x, y), v| locals_vjp::<f64>(x, y, v),
            |(x, y)| locals::<f32>(x, y),
            |(x, y), v| locals_vjp::<f32>(x, y, v),
            p,
        );
        check_both(
            |(x, y)| nested_assignment::<f64>(x, y),
            |(x, y), v| nested_assignment_vjp::<f64>(x, y, v),
            |(x, y)| nested_assignment::<f32>(x, y),
            |(x, y), v| nested_assignment_vjp::<f32>(x, y, v),
            p,
        );
    }
}

#[test]
fn type_annotated_lets() {
    for (x, y) in POINTS {
        check_both(
            |(x, y)| annotated::<f64>(x, y),
            |(x, y), v| annotated_vjp::<f64>(x, y, v),
            |(x, y)| annotated::<f32>(x, y),
            |(x, y), v| annotated_vjp::<f32>(x, y, v),
            (x, y),
        );
        assert_close(
            annotated_grad::<f64>(x, y),
            (2.0 * y * y + 6.0, 4.0 * x * y),
            1e-15,
            0.0,
        );
    }
}

#[test]
fn integer_and_no_grad_parameters_get_no_cotangent() {
    for (x, y) in POINTS {
        check_both(
            |(x, y)| inactive_params::<f64>(x, 3, 1.5, y, [0.25, -2.0]),
            |(x, y), v| inactive_params_vjp::<f64>(x, 3, 1.5, y, [0.25, -2.0], v),
            |(x, y)| inactive_params::<f32>(x, 3, 1.5, y, [0.25, -2.0]),
            |(x, y), v| inactive_params_vjp::<f32>(x, 3, 1.5, y, [0.25, -2.0], v),
            (x, y),
        );
        let grads: (f32, f32) =
            inactive_params_grad::<f32>(x as f32, 3, 1.5, y as f32, [0.25, -2.0]);
        let x = f64::from(x as f32);
        assert_close(grads, (4.5 * x * x - 2.0, 0.375), 1e-6, 1e-6);
    }
}

#[test]
fn parameters_that_do_not_reach_the_output_have_gradient_exactly_zero() {
    assert_eq!(
        ignores_vjp::<f64>(0.6, -1.3, 0.4, 2.0, -2.5),
        (ignores::<f64>(0.6, -1.3, 0.4, 2.0), (-5.0, 0.0, 0.0, 0.0))
    );
    assert_eq!(
        ignores_grad::<f32>(0.6, -1.3, 0.4, 2.0),
        (2.0, 0.0, 0.0, 0.0)
    );
    let (out, (dx,)) = constant_outputs_vjp::<f32>(0.6, 3, (1.0, -1.0));
    assert_eq!(out, constant_outputs::<f32>(0.6, 3));
    assert_eq!(out, (1.5, std::f32::consts::PI));
    assert_eq!(dx, 0.0);
    assert_eq!(constant_outputs_vjp::<f64>(0.6, 3, (1.0, -1.0)).1, (0.0,));
}

#[test]
fn return_statement_and_printing() {
    for p in POINTS {
        check_both(
            |(x, y)| explicit_return::<f64>(x, y),
            |(x, y), v| explicit_return_vjp::<f64>(x, y, v),
            |(x, y)| explicit_return::<f32>(x, y),
            |(x, y), v| explicit_return_vjp::<f32>(x, y, v),
            p,
        );
        check_both(
            |(x, y)| printing_and_asserting::<f64>(x, y),
            |(x, y), v| printing_and_asserting_vjp::<f64>(x, y, v),
            |(x, y)| printing_and_asserting::<f32>(x, y),
            |(x, y), v| printing_and_asserting_vjp::<f32>(x, y, v),
            p,
        );
        assert_eq!(
            explicit_return_grad::<f32>(p.0 as f32, p.1 as f32),
            explicit_return_vjp::<f32>(p.0 as f32, p.1 as f32, 1.0).1
        );
        assert_eq!(
            printing_and_asserting_grad::<f64>(p.0, p.1),
            printing_and_asserting_vjp::<f64>(p.0, p.1, 1.0).1
        );
    }
}

#[test]
fn bounds_in_where_clauses_uses_and_lists() {
    for (x, y) in POINTS {
        check_both(
            |(x, y)| where_clause::<f64>(x, y),
            |(x, y), v| where_clause_vjp::<f64>(x, y, v),
            |(x, y)| where_clause::<f32>(x, y),
            |(x, y), v| where_clause_vjp::<f32>(x, y, v),
            (x, y),
        );
        assert_close(
            where_clause_grad::<f64>(x, y),
            (y.exp() + 0.5, x * y.exp()),
            1e-15,
            0.0,
        );
        assert_eq!(
            where_clause_grad::<f32>(x as f32, y as f32),
            where_clause_vjp::<f32>(x as f32, y as f32, 1.0).1
        );
        check_both(
            |(x, y)| short_bound_with_others::<f64>(x, y),
            |(x, y), v| short_bound_with_others_vjp::<f64>(x, y, v),
            |(x, y)| short_bound_with_others::<f32>(x, y),
            |(x, y), v| short_bound_with_others_vjp::<f32>(x, y, v),
            (x, y),
        );
        assert_eq!(
            short_bound_with_others_grad::<f64>(x, y),
            short_bound_with_others_vjp::<f64>(x, y, 1.0).1
        );
        assert_eq!(
            short_bound_with_others_grad::<f32>(x as f32, y as f32),
            short_bound_with_others_vjp::<f32>(x as f32, y as f32, 1.0).1
        );
    }
}

#[test]
fn const_generic_arrays() {
    let a = [0.6, -1.3, 0.4, 2.0];
    check_both(
        |(a,)| const_generic::<f64, 4>(a),
        |(a,), v| const_generic_vjp::<f64, 4>(a, v),
        |(a,)| const_generic::<f32, 4>(a),
        |(a,), v| const_generic_vjp::<f32, 4>(a, v),
        (a,),
    );
    assert_eq!(const_generic_grad(a), ([2.0, 0.0, 1.0, 0.6],));
    assert_eq!(const_generic_grad([3.0_f32]), ([7.0],));
    let b = [1.5_f32, -0.5, 2.0];
    assert_eq!(const_generic_grad(b), ([2.0, 1.0, 1.5],));
    assert_eq!(
        const_generic_vjp(b, 2.0),
        (const_generic(b), ([4.0, 2.0, 3.0],))
    );
}

#[test]
fn inactive_type_parameter() {
    for x in [0.6, -1.3] {
        check_both(
            |(x,)| inactive_type_param::<f64, i32>(x, 3),
            |(x,), v| inactive_type_param_vjp::<f64, i32>(x, 3, v),
            |(x,)| inactive_type_param::<f32, f32>(x, 3.0),
            |(x,), v| inactive_type_param_vjp::<f32, f32>(x, 3.0, v),
            (x,),
        );
        assert_close(inactive_type_param_grad(x, 3_u8), (6.0 * x,), 1e-15, 0.0);
        assert_eq!(
            inactive_type_param_grad(x as f32, 0.5_f32),
            inactive_type_param_vjp(x as f32, 0.5_f32, 1.0).1
        );
    }
}

#[test]
fn generic_function_calling_a_generic_function() {
    for p in POINTS {
        check_both(
            |(x, y)| calls_helper::<f64>(x, y),
            |(x, y), v| calls_helper_vjp::<f64>(x, y, v),
            |(x, y)| calls_helper::<f32>(x, y),
            |(x, y), v| calls_helper_vjp::<f32>(x, y, v),
            p,
        );
        let (x, y) = p;
        // x sin y + y sin x²
        let expected = (
            y.sin() + y * (x * x).cos() * 2.0 * x,
            x * y.cos() + (x * x).sin(),
        );
        assert_close(calls_helper_grad(x, y), expected, 1e-14, 1e-15);
        assert_eq!(helper_grad(x, y), helper_vjp(x, y, 1.0).1);
        assert_eq!(helper::<f32>(1.0, 0.0), 0.0);
    }
}
