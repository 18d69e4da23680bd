//! Calls inside a differentiable body: to other `#[differentiable]` functions (scalar, tuple and
//! array results; constant, integer and `#[no_grad]` arguments between active ones; through
//! module paths; nested three deep), and to functions with a hand-written `NAME_vjp` rule that
//! follows the contract, which `vjp::check_vjp` validates (and rejects when it is wrong). Also
//! the seed notes' exercise: the full Jacobian of f(x1, x2) = [x1² + x2, sin x1, x1 x2] from three
//! VJPs with unit cotangents.
#![deny(warnings)]

mod common;

use common::{assert_close, check32, check64};
use vjp::{check_jvp, check_vjp, differentiable};

// ----- callees -----

#[differentiable]
fn square_sin(x: f64, y: f64) -> f64 {
    x * x * y.sin()
}

#[differentiable]
fn polar(r: f64, theta: f64) -> (f64, f64) {
    (r * theta.cos(), r * theta.sin())
}

#[differentiable]
fn scale_and_product(a: [f64; 2], s: f64) -> [f64; 3] {
    [a[0] * s, a[1] * s, a[0] * a[1]]
}

/// A float parameter `c` and an integer `n` between the active `x` and `y`.
#[differentiable]
fn mixed_args(x: f64, n: i32, c: f64, y: f64) -> f64 {
    x.powi(n) * c + y * c
}

/// The seed's worked example.
#[differentiable]
fn seed(x1: f64, x2: f64) -> (f64, f64, f64) {
    (x1 * x1 + x2, x1.sin(), x1 * x2)
}

mod shapes {
    use vjp::differentiable;

    #[differentiable]
    pub fn area(w: f64, h: f64) -> f64 {
        w * h
    }

    pub mod inner {
        use vjp::differentiable;

        #[differentiable]
        pub fn cube(x: f64) -> f64 {
            x * x * x
        }

        /// `super::` and `self::` paths, and the same variable passed twice.
        #[differentiable]
        pub fn uses_super(x: f64) -> f64 {
            super::area(x, x) + self::cube(x)
        }
    }
}

// ----- callers -----

/// A scalar result, reused, and fed into a second call; expressions as arguments; a call whose
/// result is discarded.
#[differentiable]
fn calls_scalar(x: f64, y: f64) -> f64 {
    let a = square_sin(x, y);
    let _ = square_sin(y, x);
    a * y + square_sin(y, a) + square_sin(x * 2.0, y.exp())
}

/// A tuple result destructured.
#[differentiable]
fn calls_tuple(r: f64, theta: f64) -> f64 {
    let (x, y) = polar(r, theta);
    x * y + x
}

/// A tuple result kept whole and read by field.
#[differentiable]
fn calls_tuple_fields(r: f64, theta: f64) -> (f64, f64) {
    let p = polar(r, theta);
    (p.1, p.0 * 2.0)
}

/// An array result bound with a typed `let`; an array built as the argument.
#[differentiable]
fn calls_array(x: f64, y: f64) -> f64 {
    let m: [f64; 3] = scale_and_product([x, y], x + y);
    m[0] * m[1] - m[2]
}

/// An array result without a type annotation.
#[differentiable]
fn calls_array_untyped(x: f64, y: f64) -> [f64; 3] {
    let m = scale_and_product([x, y], 2.0);
    [m[2], m[0] + m[1], m[0]]
}

/// Only one field of a tuple result used.
#[differentiable]
fn calls_tuple_first_only(r: f64, t: f64) -> f64 {
    let (a, _) = polar(r, t);
    a * 2.0
}

/// A call's result returned as it is: an array and a tuple.
#[differentiable]
fn returns_array_call(x: f64) -> [f64; 3] {
    scale_and_product([x, x * 2.0], x)
}

#[differentiable]
fn returns_tuple_call(r: f64, t: f64) -> (f64, f64) {
    polar(r, t)
}

/// A callee taking a tuple, given a tuple expression and another call's tuple result; a
/// primitive applied to a call's result in both forms.
#[differentiable]
fn tuple_arg(p: (f64, f64)) -> f64 {
    p.0 * p.1
}

#[differentiable]
fn passes_tuples(x: f64, y: f64) -> f64 {
    tuple_arg((x, y * 2.0)) + tuple_arg(polar(x, y))
}

#[differentiable]
fn primitive_of_a_call(x: f64, y: f64) -> f64 {
    tuple_arg((x, y)).sin() + f64::exp(tuple_arg((y, y)))
}

/// A constant float and an integer literal between the active arguments: `g(x, 3, 2.0, y)`.
#[differentiable]
fn calls_with_constants(x: f64, y: f64) -> f64 {
    mixed_args(x, 3, 2.0, y)
}

/// The same with an integer parameter and a `#[no_grad]` float parameter as arguments, and the
/// active arguments swapped.
#[differentiable]
fn calls_with_inactive_variables(x: f64, n: i32, #[no_grad] c: f64, y: f64) -> f64 {
    mixed_args(y, n, c, x)
}

/// Floats computed from integers by float methods, passed for the callee's float parameter `c`
/// (the macro tells they are floats from the cast and the method), also in a loop.
#[differentiable]
fn calls_with_float_methods_of_integers(x: f64, n: i32, y: f64) -> f64 {
    let t = n as f64;
    let mut s = mixed_args(x, n, (n as f64).atan(), y) + mixed_args(y, 2, -t.sin(), x);
    for k in 0..n {
        s += mixed_args(x, k, ((k as f64) * 0.5).tanh(), y);
    }
    s
}

/// An active value passed for the callee's float parameter `c` too.
#[differentiable]
fn calls_with_all_floats_active(x: f64, y: f64) -> f64 {
    mixed_args(x, 2, y, x * y)
}

/// Calls through module paths: `m::g`, `m::n::g`, `crate::...`, `self::...`.
#[differentiable]
fn calls_through_paths(x: f64, y: f64) -> f64 {
    shapes::area(x, y)
        + shapes::inner::cube(y)
        + crate::shapes::inner::uses_super(x)
        + self::shapes::area(y, 2.0)
}

/// Three levels of differentiable functions.
#[differentiable]
fn level3(x: f64) -> f64 {
    x.sin() * x
}

#[differentiable]
fn level2(x: f64, y: f64) -> f64 {
    level3(x * y) + y
}

#[differentiable]
fn level1(x: f64, y: f64) -> f64 {
    level2(x, y) * level3(y)
}

/// Calls nested inside one expression.
#[differentiable]
fn nested_in_one_expression(x: f64) -> f64 {
    level3(level3(level3(x)))
}

/// A differentiable function using the seed function's tuple result.
#[differentiable]
fn uses_seed(x1: f64, x2: f64) -> f64 {
    let (a, b, c) = seed(x1, x2);
    a * b + c
}

/// A plain function called for its side effect with an active argument: its result is unused,
/// so no `_vjp` rule is needed.
fn record(value: f64) {
    assert!(value.is_finite());
}

#[differentiable]
fn calls_for_a_side_effect(x: f64) -> f64 {
    record(x);
    record(x * 2.0);
    x * 2.0
}

// Two limits of calls, tested elsewhere:
// - a `#[differentiable]` callee with a `#[no_grad]` float parameter, called with a float
//   argument, is a compile error at the call (tests/ui/unsupported/no_grad_callee.rs): the
//   caller maps cotangents back by position and cannot see the callee's attributes;
// - an active slice parameter passed on to a callee gets its shadow passed along
//   (tests/slices.rs, `slices_pass_their_shadows_to_callees`), and so does a local row lent as
//   `g(&h)` (tests/lent_rows.rs).

// ----- hand-written rules -----

/// softplus(x) = ln(1 + eˣ): a plain function, not `#[differentiable]`.
fn softplus(x: f64) -> f64 {
    x.exp().ln_1p()
}

/// Its hand-written rule, in the contract's convention: the primal output and one cotangent per
/// float argument. d/dx softplus(x) = 1 / (1 + e⁻ˣ).
fn softplus_vjp(x: f64, v: f64) -> (f64, (f64,)) {
    let sigmoid = 1.0 / (1.0 + (-x).exp());
    (softplus(x), (v * sigmoid,))
}

/// Its hand-written forward rule (also part of the contract, since `#[differentiable]` callers
/// get a `NAME_jvp` too): the primal output and the tangent of the output.
fn softplus_jvp(x: f64, dx: f64) -> (f64, f64) {
    let sigmoid = 1.0 / (1.0 + (-x).exp());
    (softplus(x), sigmoid * dx)
}

/// A deliberately wrong rule: eˣ instead of the sigmoid.
fn softplus_vjp_wrong(x: f64, v: f64) -> (f64, (f64,)) {
    (softplus(x), (v * x.exp(),))
}

/// A hand-written rule with an integer argument (which gets no cotangent) and a tuple result:
/// (x cos(n t), x sin(n t)).
fn spiral(x: f64, n: i32, t: f64) -> (f64, f64) {
    let a = f64::from(n) * t;
    (x * a.cos(), x * a.sin())
}

fn spiral_vjp(x: f64, n: i32, t: f64, v: (f64, f64)) -> ((f64, f64), (f64, f64)) {
    let nf = f64::from(n);
    let (s, c) = (nf * t).sin_cos();
    let dx = v.0 * c + v.1 * s;
    let dt = nf * x * (-v.0 * s + v.1 * c);
    (spiral(x, n, t), (dx, dt))
}

fn spiral_jvp(x: f64, dx: f64, n: i32, t: f64, dt: f64) -> ((f64, f64), (f64, f64)) {
    let nf = f64::from(n);
    let (s, c) = (nf * t).sin_cos();
    let tangent = (c * dx - nf * x * s * dt, s * dx + nf * x * c * dt);
    (spiral(x, n, t), tangent)
}

/// A hand-written rule for an array argument: the squared norm.
fn norm2(a: [f64; 3]) -> f64 {
    a[0] * a[0] + a[1] * a[1] + a[2] * a[2]
}

fn norm2_vjp(a: [f64; 3], v: f64) -> (f64, ([f64; 3],)) {
    (norm2(a), (a.map(|ai| 2.0 * v * ai),))
}

fn norm2_jvp(a: [f64; 3], da: [f64; 3]) -> (f64, f64) {
    (norm2(a), 2.0 * (a[0] * da[0] + a[1] * da[1] + a[2] * da[2]))
}

#[differentiable]
fn uses_softplus(x: f64, y: f64) -> f64 {
    softplus(x * y) + y * softplus(x)
}

#[differentiable]
fn uses_spiral(x: f64, t: f64) -> f64 {
    let (a, b) = spiral(x, 3, t);
    a * b + a
}

#[differentiable]
fn uses_norm2(x: f64, y: f64) -> f64 {
    norm2([x, y, x * y]).sqrt()
}

// ----- f32 -----

#[differentiable]
fn square_sin32(x: f32, y: f32) -> f32 {
    x * x * y.sin()
}

#[differentiable]
fn calls_scalar32(x: f32, y: f32) -> f32 {
    let a = square_sin32(x, y);
    a * y + square_sin32(y, a)
}

// ----- tests -----

const POINTS: [(f64, f64); 3] = [(0.6, -1.3), (1.25, 0.4), (-0.8, 0.9)];

#[test]
fn call_with_a_scalar_result() {
    for p in POINTS {
        check64(
            |(x, y)| calls_scalar(x, y),
            |(x, y), v| calls_scalar_vjp(x, y, v),
            p,
        );
        check64(
            |(x, y)| square_sin(x, y),
            |(x, y), v| square_sin_vjp(x, y, v),
            p,
        );
        assert_eq!(square_sin_grad(p.0, p.1), square_sin_vjp(p.0, p.1, 1.0).1);
        assert_eq!(
            calls_scalar_grad(p.0, p.1),
            calls_scalar_vjp(p.0, p.1, 1.0).1
        );
    }
}

#[test]
fn plain_function_called_for_a_side_effect() {
    assert_eq!(
        calls_for_a_side_effect_vjp(1.5, 2.0),
        (calls_for_a_side_effect(1.5), (4.0,))
    );
    assert_eq!(calls_for_a_side_effect_grad(-1.0), (2.0,));
}

#[test]
fn call_with_a_tuple_result() {
    for p in POINTS {
        check64(|(r, t)| polar(r, t), |(r, t), v| polar_vjp(r, t, v), p);
        check64(
            |(r, t)| calls_tuple(r, t),
            |(r, t), v| calls_tuple_vjp(r, t, v),
            p,
        );
        check64(
            |(r, t)| calls_tuple_fields(r, t),
            |(r, t), v| calls_tuple_fields_vjp(r, t, v),
            p,
        );
        // f = r² cos t sin t + r cos t
        let (r, t) = p;
        let expected = (
            2.0 * r * t.cos() * t.sin() + t.cos(),
            r * r * (2.0 * t).cos() - r * t.sin(),
        );
        assert_close(calls_tuple_grad(r, t), expected, 1e-14, 1e-15);
        assert_eq!(calls_tuple_grad(r, t), calls_tuple_vjp(r, t, 1.0).1);
    }
}

#[test]
fn call_with_an_array_result() {
    for p in POINTS {
        check64(
            |(a, s)| scale_and_product(a, s),
            |(a, s), v| scale_and_product_vjp(a, s, v),
            ([p.0, p.1], 0.4),
        );
        check64(
            |(x, y)| calls_array(x, y),
            |(x, y), v| calls_array_vjp(x, y, v),
            p,
        );
        check64(
            |(x, y)| calls_array_untyped(x, y),
            |(x, y), v| calls_array_untyped_vjp(x, y, v),
            p,
        );
        assert_eq!(calls_array_grad(p.0, p.1), calls_array_vjp(p.0, p.1, 1.0).1);
    }
}

#[test]
fn call_results_partly_used_returned_whole_or_passed_on() {
    for (x, y) in POINTS {
        check64(
            |(r, t)| calls_tuple_first_only(r, t),
            |(r, t), v| calls_tuple_first_only_vjp(r, t, v),
            (x, y),
        );
        assert_close(
            calls_tuple_first_only_grad(x, y),
            (2.0 * y.cos(), -2.0 * x * y.sin()),
            1e-15,
            0.0,
        );
        check64(
            |(x,)| returns_array_call(x),
            |(x,), v| returns_array_call_vjp(x, v),
            (x,),
        );
        // [x², 2x², 2x²]
        assert_eq!(returns_array_call_vjp(x, [1.0, 1.0, 1.0]).1, (10.0 * x,));
        check64(
            |(r, t)| returns_tuple_call(r, t),
            |(r, t), v| returns_tuple_call_vjp(r, t, v),
            (x, y),
        );
        assert_eq!(
            returns_tuple_call_vjp(x, y, (0.5, -2.0)).1,
            polar_vjp(x, y, (0.5, -2.0)).1
        );
        check64(
            |(x, y)| passes_tuples(x, y),
            |(x, y), v| passes_tuples_vjp(x, y, v),
            (x, y),
        );
        // 2xy + x² cos y sin y
        assert_close(
            passes_tuples_grad(x, y),
            (
                2.0 * y + 2.0 * x * y.cos() * y.sin(),
                2.0 * x + x * x * (2.0 * y).cos(),
            ),
            1e-14,
            1e-15,
        );
        assert_eq!(tuple_arg_grad((x, y)), ((y, x),));
        check64(
            |(x, y)| primitive_of_a_call(x, y),
            |(x, y), v| primitive_of_a_call_vjp(x, y, v),
            (x, y),
        );
        assert_eq!(
            primitive_of_a_call_grad(x, y),
            primitive_of_a_call_vjp(x, y, 1.0).1
        );
    }
}

#[test]
fn constant_and_integer_arguments_between_active_ones() {
    for (x, y) in POINTS {
        check64(
            |(x, y)| calls_with_constants(x, y),
            |(x, y), v| calls_with_constants_vjp(x, y, v),
            (x, y),
        );
        // 2x³ + 2y
        assert_close(
            calls_with_constants_grad(x, y),
            (6.0 * x * x, 2.0),
            1e-15,
            0.0,
        );
        let (n, c) = (4, -1.5);
        check64(
            |(x, y)| calls_with_inactive_variables(x, n, c, y),
            |(x, y), v| calls_with_inactive_variables_vjp(x, n, c, y, v),
            (x, y),
        );
        // c y⁴ + c x
        let grads: (f64, f64) = calls_with_inactive_variables_grad(x, n, c, y);
        assert_close(grads, (c, 4.0 * c * y * y * y), 1e-15, 0.0);
        check64(
            |(x, y)| calls_with_float_methods_of_integers(x, n, y),
            |(x, y), v| calls_with_float_methods_of_integers_vjp(x, n, y, v),
            (x, y),
        );
        // a (xⁿ + y) + s (y² + x) + Σ_k c_k (xᵏ + y), with a = atan(n), s = -sin(n) and
        // c_k = tanh(k / 2) for k < n.
        let (a, sn) = ((n as f64).atan(), -(n as f64).sin());
        let c = |k: i32| (k as f64 * 0.5).tanh();
        let dx = a * n as f64 * x.powi(n - 1)
            + sn
            + (1..n).map(|k| c(k) * k as f64 * x.powi(k - 1)).sum::<f64>();
        let dy = a + 2.0 * sn * y + (0..n).map(c).sum::<f64>();
        assert_close(
            calls_with_float_methods_of_integers_grad(x, n, y),
            (dx, dy),
            1e-13,
            0.0,
        );
        check64(
            |(x, y)| calls_with_all_floats_active(x, y),
            |(x, y), v| calls_with_all_floats_active_vjp(x, y, v),
            (x, y),
        );
        // x² y + x y²
        assert_close(
            calls_with_all_floats_active_grad(x, y),
            (2.0 * x * y + y * y, x * x + 2.0 * x * y),
            1e-15,
            0.0,
        );
        // The callee's own cotangents: one per float parameter, none for `n`.
        let (_, grads): (f64, (f64, f64, f64)) = mixed_args_vjp(x, 3, 2.0, y, 1.0);
        assert_close(grads, (6.0 * x * x, x * x * x + y, 2.0), 1e-15, 0.0);
        assert_eq!(mixed_args_grad(x, 3, 2.0, y), grads);
    }
}

#[test]
fn calls_through_module_paths() {
    for (x, y) in POINTS {
        check64(
            |(x, y)| calls_through_paths(x, y),
            |(x, y), v| calls_through_paths_vjp(x, y, v),
            (x, y),
        );
        // xy + y³ + (x² + x³) + 2y
        assert_close(
            calls_through_paths_grad(x, y),
            (y + 2.0 * x + 3.0 * x * x, x + 3.0 * y * y + 2.0),
            1e-15,
            0.0,
        );
        assert_eq!(
            shapes::inner::uses_super_grad(x),
            shapes::inner::uses_super_vjp(x, 1.0).1
        );
        assert_eq!(shapes::area_grad(x, y), (y, x));
        assert_eq!(shapes::inner::cube_grad(2.0), (12.0,));
        assert_eq!(shapes::inner::uses_super(2.0), 12.0);
        assert_eq!(shapes::area(x, y), x * y);
        assert_eq!(shapes::inner::cube(x), x * x * x);
    }
}

#[test]
fn three_nested_levels_of_calls() {
    for (x, y) in POINTS {
        check64(
            |(x, y)| level1(x, y),
            |(x, y), v| level1_vjp(x, y, v),
            (x, y),
        );
        check64(
            |(x, y)| level2(x, y),
            |(x, y), v| level2_vjp(x, y, v),
            (x, y),
        );
        check64(|(x,)| level3(x), |(x,), v| level3_vjp(x, v), (x,));
        check64(
            |(x,)| nested_in_one_expression(x),
            |(x,), v| nested_in_one_expression_vjp(x, v),
            (x,),
        );
        assert_eq!(level1_grad(x, y), level1_vjp(x, y, 1.0).1);
        assert_eq!(level2_grad(x, y), level2_vjp(x, y, 1.0).1);
        assert_eq!(level3_grad(x), level3_vjp(x, 1.0).1);
        // g(x) = x sin x, g' = sin x + x cos x; g(g(g(x)))' by the chain rule.
        let d = |x: f64| x.sin() + x * x.cos();
        let (g1, g2) = (level3(x), level3(level3(x)));
        let expected = d(g2) * d(g1) * d(x);
        assert_close(nested_in_one_expression_grad(x), (expected,), 1e-13, 1e-15);
    }
}

#[test]
fn hand_written_rule_called_from_a_differentiable_function() {
    for (x, y) in POINTS {
        check64(
            |(x, y)| uses_softplus(x, y),
            |(x, y), v| uses_softplus_vjp(x, y, v),
            (x, y),
        );
        let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
        let expected = (
            y * sigmoid(x * y) + y * sigmoid(x),
            x * sigmoid(x * y) + softplus(x),
        );
        assert_close(uses_softplus_grad(x, y), expected, 1e-14, 1e-15);
        check64(
            |(x, t)| uses_spiral(x, t),
            |(x, t), v| uses_spiral_vjp(x, t, v),
            (x, y),
        );
        assert_eq!(uses_spiral_grad(x, y), uses_spiral_vjp(x, y, 1.0).1);
        check64(
            |(x, y)| uses_norm2(x, y),
            |(x, y), v| uses_norm2_vjp(x, y, v),
            (x, y),
        );
        assert_eq!(uses_norm2_grad(x, y), uses_norm2_vjp(x, y, 1.0).1);
    }
}

#[test]
fn check_vjp_accepts_the_hand_written_rules() {
    for x in [-3.0, -0.6, 0.0, 0.4, 2.5] {
        for v in [1.0, -0.75] {
            check_vjp(softplus, |x, v| softplus_vjp(x, v).1 .0, x, v).unwrap();
        }
    }
    for (x, t) in POINTS {
        for v in [(1.0, 0.0), (0.0, 1.0), (0.5, -2.0)] {
            check_vjp(
                |(x, t): (f64, f64)| spiral(x, 3, t),
                |(x, t), v| spiral_vjp(x, 3, t, v).1,
                (x, t),
                v,
            )
            .unwrap();
        }
        check_vjp(norm2, |a, v| norm2_vjp(a, v).1 .0, [x, t, 0.3], 1.5).unwrap();
    }
}

#[test]
fn check_jvp_accepts_the_hand_written_forward_rules_and_rejects_a_wrong_one() {
    for x in [-3.0, -0.6, 0.0, 0.4, 2.5] {
        check_jvp(softplus, |x, u| softplus_jvp(x, u).1, x, 1.0).unwrap();
        let wrong = check_jvp(softplus, |x: f64, u| x.exp() * u, x, 1.0);
        assert!(wrong.is_err(), "the wrong forward rule passed at {x}");
    }
    for (x, t) in POINTS {
        for u in [(1.0, 0.0), (0.0, 1.0), (0.5, -2.0)] {
            check_jvp(
                |(x, t): (f64, f64)| spiral(x, 3, t),
                |(x, t), (dx, dt)| spiral_jvp(x, dx, 3, t, dt).1,
                (x, t),
                u,
            )
            .unwrap();
        }
        let a = [x, t, 0.3];
        check_jvp(norm2, |a, u| norm2_jvp(a, u).1, a, [1.0, -0.5, 2.0]).unwrap();
    }
}

#[test]
fn forward_and_reverse_mode_agree_through_calls() {
    // The dot-product test <v, J u> = <J^T v, u>, with J u from the generated `_jvp` (which calls
    // the callees' `_jvp`, hand-written ones included) and J^T v from the generated `_vjp`.
    type Jvp = fn(f64, f64, f64, f64) -> (f64, f64);
    type Vjp = fn(f64, f64, f64) -> (f64, (f64, f64));
    let functions: [(&str, Jvp, Vjp); 8] = [
        ("calls_scalar", calls_scalar_jvp, calls_scalar_vjp),
        ("calls_tuple", calls_tuple_jvp, calls_tuple_vjp),
        ("calls_array", calls_array_jvp, calls_array_vjp),
        (
            "calls_with_constants",
            calls_with_constants_jvp,
            calls_with_constants_vjp,
        ),
        (
            "calls_through_paths",
            calls_through_paths_jvp,
            calls_through_paths_vjp,
        ),
        ("level1", level1_jvp, level1_vjp),
        ("uses_softplus", uses_softplus_jvp, uses_softplus_vjp),
        ("uses_spiral", uses_spiral_jvp, uses_spiral_vjp),
    ];
    let (u, v) = ((0.5, -1.25), 0.75);
    for (x, y) in POINTS {
        for (name, jvp, vjp) in functions {
            let (y_forward, ju) = jvp(x, u.0, y, u.1);
            let (y_reverse, (gx, gy)) = vjp(x, y, v);
            assert_eq!(y_forward, y_reverse, "{name}: primal outputs differ");
            let (left, right) = (v * ju, gx * u.0 + gy * u.1);
            assert!(
                (left - right).abs() <= 1e-12 * left.abs().max(1.0),
                "{name} at ({x}, {y}): <v, J u> = {left}, <J^T v, u> = {right}"
            );
        }
        let (_, ju) = uses_norm2_jvp(x, u.0, y, u.1);
        let (_, (gx, gy)) = uses_norm2_vjp(x, y, v);
        assert!((v * ju - (gx * u.0 + gy * u.1)).abs() <= 1e-12);
    }
}

#[test]
fn check_vjp_rejects_a_wrong_rule() {
    for x in [-0.6, 0.4, 2.5] {
        let error = check_vjp(softplus, |x, v| softplus_vjp_wrong(x, v).1 .0, x, 1.0);
        assert!(error.is_err(), "the wrong rule passed at {x}");
        assert_eq!(error.unwrap_err().index, 0);
    }
    // An error in one component of a tuple input is reported there.
    let wrong = |(x, t): (f64, f64), v: (f64, f64)| {
        let (dx, dt) = spiral_vjp(x, 3, t, v).1;
        (dx, dt * 1.01)
    };
    let error = check_vjp(|(x, t)| spiral(x, 3, t), wrong, (0.6, -1.3), (1.0, 0.5));
    assert!(error.is_err());
    assert_eq!(error.unwrap_err().index, 1);
    // Both rules return the right primal output: only the cotangent is wrong.
    assert_eq!(softplus_vjp(0.4, 1.0).0, softplus(0.4));
    assert_eq!(softplus_vjp_wrong(0.4, 1.0).0, softplus(0.4));
}

#[test]
fn seed_jacobian_from_three_vjps_with_unit_vectors() {
    let (x1, x2) = (1.0_f64, 2.0_f64);
    let units = [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)];
    let mut jacobian = [[0.0; 2]; 3];
    for (row, e) in jacobian.iter_mut().zip(units) {
        let (y, (d1, d2)) = seed_vjp(x1, x2, e);
        assert_eq!(y, seed(x1, x2));
        *row = [d1, d2];
    }
    let closed_form = [[2.0 * x1, 1.0], [x1.cos(), 0.0], [x2, x1]];
    assert_eq!(jacobian, closed_form);
    // And the same against finite differences, row by row.
    for e in units {
        check_vjp(
            |(a, b): (f64, f64)| seed(a, b),
            |(a, b), v| seed_vjp(a, b, v).1,
            (x1, x2),
            e,
        )
        .unwrap();
    }
    // A differentiable function using the seed function.
    check64(
        |(a, b)| uses_seed(a, b),
        |(a, b), v| uses_seed_vjp(a, b, v),
        (x1, x2),
    );
    // d/dx1 [(x1² + x2) sin x1 + x1 x2], d/dx2 [...]
    let expected = (
        2.0 * x1 * x1.sin() + (x1 * x1 + x2) * x1.cos() + x2,
        x1.sin() + x1,
    );
    assert_close(uses_seed_grad(x1, x2), expected, 1e-15, 0.0);
}

#[test]
fn calls_in_f32() {
    for (x, y) in [(0.6_f32, -1.3_f32), (1.25, 0.4)] {
        check32(
            |(x, y)| calls_scalar32(x, y),
            |(x, y), v| calls_scalar32_vjp(x, y, v),
            (x, y),
        );
        assert_eq!(calls_scalar32_grad(x, y), calls_scalar32_vjp(x, y, 1.0).1);
        assert_eq!(square_sin32_grad(x, y), square_sin32_vjp(x, y, 1.0).1);
        assert_eq!(square_sin32(x, y), x * x * y.sin());
    }
}

/// A plain value with a method that reads it (`&self`) and one that changes it.
struct Scale(f64);

impl Scale {
    fn factor(&self) -> f64 {
        self.0
    }
}

/// Methods on `mut` locals that leave them unchanged pass: those vjp knows (`len`,
/// `contains`, float methods), and any other called as a function of a shared reference
/// (`Scale::factor(&sc)`). A method that may change its receiver is a compile error
/// (`tests/ui/unsupported/method_changes_local.rs`).
#[differentiable]
fn scaled_ends(x: &[f64], #[no_grad] mut sc: Scale) -> f64 {
    let mut idx: Vec<usize> = vec![0, 0];
    idx[1] = x.len() - 1;
    let k: f64 = Scale::factor(&sc);
    sc = Scale(2.0 * k);
    let mut s = 0.0;
    for i in 0..idx.len() {
        let w: f64 = Scale::factor(&sc);
        s += w * x[idx[i]].sin();
    }
    s * (idx.len() + usize::from(idx.contains(&0))) as f64
}

#[test]
fn methods_that_leave_a_mut_local_unchanged() {
    let x = [0.3, 0.9, 1.4];
    let mut g = [0.0; 3];
    let (y, ()) = scaled_ends_vjp(&x, &mut g, Scale(1.5), 1.0);
    // s = 3 · 3 (sin x0 + sin x2): the weight 2 · 1.5, the count 2 + 1.
    assert_close(y, 9.0 * (x[0].sin() + x[2].sin()), 1e-15, 0.0);
    assert_close(g, [9.0 * x[0].cos(), 0.0, 9.0 * x[2].cos()], 1e-15, 0.0);
}

/// An element of an array of float literals passed to a differentiable call: the array is
/// known to hold floats, so the element gets its (unused) cotangent like any constant.
#[differentiable]
fn literal_element(x: f64) -> f64 {
    let t = [0.5, 2.0];
    helper_product(t[0], x) + helper_product(x, t[1])
}

#[differentiable]
fn helper_product(a: f64, b: f64) -> f64 {
    a * b
}

#[test]
fn element_of_a_literal_array_as_an_argument() {
    let (y, (g,)) = literal_element_vjp(0.3, 1.0);
    assert_eq!(y, 0.5 * 0.3 + 0.3 * 2.0);
    assert_eq!(g, 2.5);
}

// ----- integers from methods that floats have too -----

/// The sum of squares of the first `n` elements.
#[differentiable]
fn head_squares(x: &[f64], n: usize) -> f64 {
    let mut s = 0.0;
    for v in &x[..n] {
        s += v * v;
    }
    s
}

/// `min`, `max` and `abs` of integers, untyped, passed on to a `usize` parameter (directly
/// and through `/`): integers, not floats, so no cotangent is expected for them.
#[differentiable]
fn integer_methods(x: &[f64], w: &[f64], shift: i64) -> f64 {
    let m = x.len().min(w.len());
    let k = m / 2;
    let j = shift.abs().max(1) as usize;
    head_squares(x, k) + head_squares(w, m) * head_squares(x, j)
}

#[test]
fn integer_min_max_and_abs_are_integers() {
    let (x, w) = ([1.0, 2.0, 3.0], [0.5, 0.25]);
    let (mut gx, mut gw) = ([0.0; 3], [0.0; 2]);
    // m = 2, k = 1, j = 2: x0² + (w0² + w1²)(x0² + x1²) = 1 + 0.3125 * 5.
    let (y, ()) = integer_methods_vjp(&x, &mut gx, &w, &mut gw, -2, 1.0);
    assert_eq!(y, 1.0 + 0.3125 * 5.0);
    assert_eq!(gx, [2.0 + 0.3125 * 2.0, 0.3125 * 4.0, 0.0]);
    assert_eq!(gw, [5.0, 2.5]);
}
