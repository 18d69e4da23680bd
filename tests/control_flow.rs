//! Control flow: branches, loops that overwrite their state, `break` / `continue`, early
//! `return`, each checked against central finite differences away from branch boundaries.
//!
//! Every check goes through [`check`]: it evaluates the function at `x ± h e_i` for every input
//! component `i` (the step of `vjp::check_vjp`: `h = cbrt(ε) max(1, |x_i|)`), asserts that the
//! path the function takes (which branches, how many iterations) is the same at all those points
//! as at `x` — so no finite difference straddles a branch boundary — and compares with the central
//! differences both the reverse mode `NAME_vjp` (every unit cotangent and a mixed one) and the
//! forward mode `NAME_jvp` (every unit tangent and a mixed one), and the two modes with each other.
//! It also asserts that the primal outputs of both are exactly `NAME`'s, and that `NAME_grad` is
//! `NAME_vjp` with `v = 1`.
//!
//! Code that is not supported yet is kept in `/* NOT SUPPORTED ... */` comments with the exact
//! error.
#![deny(warnings)]

use std::fmt::Debug;
use vjp::{differentiable, Flat};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// How far a derivative may be from the finite differences:
/// `|fd - vjp| <= abs + rel * max(|fd|, |vjp|)`.
#[derive(Clone, Copy, Debug)]
struct Tol {
    rel: f64,
    abs: f64,
}

/// Smooth `f64` code with a handful of operations.
const SMOOTH: Tol = Tol {
    rel: 1e-6,
    abs: 1e-8,
};

/// Loops of tens to hundreds of iterations (rounding in the finite differences grows).
const LOOPY: Tol = Tol {
    rel: 1e-5,
    abs: 1e-7,
};

fn close(expected: f64, actual: f64, tol: Tol) -> bool {
    expected.is_finite()
        && actual.is_finite()
        && (expected - actual).abs() <= tol.abs + tol.rel * expected.abs().max(actual.abs())
}

#[track_caller]
fn assert_close(expected: f64, actual: f64, tol: Tol, what: &str) {
    assert!(
        close(expected, actual, tol),
        "{what}: expected {expected:e}, got {actual:e} (diff {:e}, {tol:?})",
        (expected - actual).abs()
    );
}

fn flat<A: Flat>(value: &A) -> Vec<f64> {
    let mut out = Vec::new();
    value.write_flat(&mut out);
    out
}

/// The unit cotangents of `y`'s shape, then a mixed one with non-unit components.
fn cotangents<Y: Flat>(y: &Y) -> Vec<Y> {
    let n = y.flat_len();
    let mut out: Vec<Y> = (0..n)
        .map(|i| {
            let mut e = vec![0.0; n];
            e[i] = 1.0;
            y.from_flat(&e)
        })
        .collect();
    let mixed: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { -1.75 } else { 0.625 } * (1.0 + i as f64))
        .collect();
    out.push(y.from_flat(&mixed));
    out
}

/// A function whose path never changes (no data-dependent branch or trip count).
fn smooth<X>(_: X) {}

/// The unit tangents of `x`'s shape, then a mixed one.
fn tangents<X: Flat>(x: &X) -> Vec<X> {
    let n = x.flat_len();
    let mut out: Vec<X> = (0..n)
        .map(|i| {
            let mut e = vec![0.0; n];
            e[i] = 1.0;
            x.from_flat(&e)
        })
        .collect();
    let mixed: Vec<f64> = (0..n).map(|i| 0.5 - 0.3 * i as f64).collect();
    out.push(x.from_flat(&mixed));
    out
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// Checks the reverse mode `vjp` and the forward mode `jvp` against central finite differences
/// of `f` at `x`, and against each other (`v . (J u) == (v^T J) . u`); `path(x)` describes the
/// branches `f` takes and must not change within the finite-difference stencil.
#[track_caller]
fn check<X, Y, P>(
    f: impl Fn(X) -> Y,
    vjp: impl Fn(X, Y) -> (Y, X),
    jvp: impl Fn(X, X) -> (Y, Y),
    path: impl Fn(X) -> P,
    x: X,
    tol: Tol,
) where
    X: Flat + Debug,
    Y: Flat + Debug,
    P: PartialEq + Debug,
{
    let y = f(x);
    let here = path(x);
    let x_flat = flat(&x);
    let scale = x.step_scale();
    // Row i: d f / d x_i, flattened over the output.
    let mut jacobian_t = Vec::with_capacity(x_flat.len());
    for i in 0..x_flat.len() {
        let h = scale * x_flat[i].abs().max(1.0);
        let mut shifted = x_flat.clone();
        shifted[i] = x_flat[i] + h;
        let plus = x.from_flat(&shifted);
        shifted[i] = x_flat[i] - h;
        let minus = x.from_flat(&shifted);
        assert_eq!(
            path(plus),
            here,
            "the finite differences of component {i} straddle a branch boundary at x = {x:?}"
        );
        assert_eq!(
            path(minus),
            here,
            "the finite differences of component {i} straddle a branch boundary at x = {x:?}"
        );
        let step = flat(&plus)[i] - flat(&minus)[i];
        let row: Vec<f64> = flat(&f(plus))
            .iter()
            .zip(flat(&f(minus)))
            .map(|(p, m)| (p - m) / step)
            .collect();
        jacobian_t.push(row);
    }
    let mut reverse = Vec::new();
    for v in cotangents(&y) {
        let (primal, grads) = vjp(x, v);
        assert_eq!(
            flat(&primal),
            flat(&y),
            "the vjp's primal output differs from the function's at x = {x:?}"
        );
        let v_flat = flat(&v);
        let grads = flat(&grads);
        assert_eq!(grads.len(), x_flat.len());
        for (i, row) in jacobian_t.iter().enumerate() {
            let fd = dot(row, &v_flat);
            assert!(
                close(fd, grads[i], tol),
                "vjp, component {i} at x = {x:?}, v = {v:?}: finite differences give {fd:e}, \
                 the vjp gives {:e} (all: {grads:?}; {tol:?})",
                grads[i]
            );
        }
        reverse.push((v_flat, grads));
    }
    for u in tangents(&x) {
        let (primal, y_dot) = jvp(x, u);
        assert_eq!(
            flat(&primal),
            flat(&y),
            "the jvp's primal output differs from the function's at x = {x:?}"
        );
        let u_flat = flat(&u);
        let y_dot = flat(&y_dot);
        for (j, &actual) in y_dot.iter().enumerate() {
            let fd: f64 = jacobian_t
                .iter()
                .zip(&u_flat)
                .map(|(row, u)| row[j] * u)
                .sum();
            assert!(
                close(fd, actual, tol),
                "jvp, output component {j} at x = {x:?}, u = {u:?}: finite differences give \
                 {fd:e}, the jvp gives {actual:e} (all: {y_dot:?}; {tol:?})"
            );
        }
        // The two modes compute the same Jacobian: v . (J u) = (v^T J) . u, up to rounding.
        for (v_flat, grads) in &reverse {
            let (forward, backward) = (dot(v_flat, &y_dot), dot(grads, &u_flat));
            let scale: f64 = v_flat
                .iter()
                .zip(&y_dot)
                .map(|(a, b)| (a * b).abs())
                .sum::<f64>()
                + grads
                    .iter()
                    .zip(&u_flat)
                    .map(|(a, b)| (a * b).abs())
                    .sum::<f64>();
            assert!(
                (forward - backward).abs() <= 1e-9 * scale + 1e-300,
                "forward and reverse modes disagree at x = {x:?}, u = {u:?}, v = {v_flat:?}: \
                 v . (J u) = {forward:e}, (v^T J) . u = {backward:e}"
            );
        }
    }
}

/// [`check`] for a scalar function, plus: `NAME_grad(x)` is, exactly, `NAME_vjp(x, 1).1` or,
/// when it runs forward lanes (a loop over one or two scalar inputs), `NAME_jvp` for each unit
/// tangent.
#[track_caller]
fn check_grad<X, P>(
    f: impl Fn(X) -> f64,
    vjp: impl Fn(X, f64) -> (f64, X),
    grad: impl Fn(X) -> X,
    jvp: impl Fn(X, X) -> (f64, f64),
    path: impl Fn(X) -> P,
    x: X,
    tol: Tol,
) where
    X: Flat + Debug,
    P: PartialEq + Debug,
{
    let (g, reverse) = (flat(&grad(x)), flat(&vjp(x, 1.0).1));
    let n = g.len();
    let lanes: Vec<f64> = (0..n)
        .map(|i| {
            let mut e = vec![0.0; n];
            e[i] = 1.0;
            jvp(x, x.from_flat(&e)).1
        })
        .collect();
    assert!(
        g == reverse || g == lanes,
        "grad {g:?} is neither vjp(v = 1) {reverse:?} nor the jvps for unit tangents {lanes:?} \
         at {x:?}"
    );
    check(f, vjp, jvp, path, x, tol);
}

/// `check!(f, f_vjp, f_grad, f_jvp; (a, b | da, db); extra, args; at x, path, tol)`: checks the
/// differentiable function `f(a, b, extra, args)` whose active parameters `(a, b)` come first
/// (`da`, `db`: names for their tangents).
macro_rules! check {
    ($f:expr, $vjp:expr, $grad:expr, $jvp:expr; ($($a:ident),+ | $($da:ident),+); $($extra:expr),*; at $x:expr, $path:expr, $tol:expr) => {
        check_grad(
            |($($a,)+)| $f($($a,)+ $($extra,)*),
            |($($a,)+), v| $vjp($($a,)+ $($extra,)* v),
            |($($a,)+)| $grad($($a,)+ $($extra,)*),
            |($($a,)+), ($($da,)+)| $jvp($($a, $da,)+ $($extra,)*),
            $path,
            $x,
            $tol,
        )
    };
}

/// The checker itself: a wrong vjp, a wrong jvp, and a stencil across a branch are caught.
#[test]
#[should_panic(expected = "vjp, component 0")]
fn checker_catches_a_wrong_vjp() {
    check(
        |(x,): (f64,)| x.sin(),
        |(x,), v| (x.sin(), (v * x.cos() * 1.001,)),
        |(x,), (dx,)| (x.sin(), x.cos() * dx),
        smooth,
        (0.3,),
        SMOOTH,
    );
}

#[test]
#[should_panic(expected = "jvp, output component 0")]
fn checker_catches_a_wrong_jvp() {
    check(
        |(x,): (f64,)| x.sin(),
        |(x,), v| (x.sin(), (v * x.cos(),)),
        |(x,), (dx,)| (x.sin(), -x.cos() * dx),
        smooth,
        (0.3,),
        SMOOTH,
    );
}

#[test]
#[should_panic(expected = "straddle a branch boundary")]
fn checker_catches_a_stencil_across_a_branch() {
    let f = |(x,): (f64,)| if x > 0.3 { x } else { 0.0 };
    check(
        f,
        |(x,), v| (f((x,)), (v,)),
        |(x,), (dx,)| (f((x,)), dx),
        |(x,): (f64,)| x > 0.3,
        (0.3,),
        SMOOTH,
    );
}

fn fd(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

// ---------------------------------------------------------------------------------------------
// The first three
// ---------------------------------------------------------------------------------------------

#[differentiable]
fn logistic(r: f64, x0: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = r * x * (1.0 - x);
    }
    x
}

#[differentiable]
fn accumulate(c: f64, x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        s += c * x * (i as f64);
    }
    s
}

#[differentiable]
fn branchy(x: f64, y: f64) -> f64 {
    let mut z = x * y;
    if x > 0.0 {
        z *= x.sin();
    } else {
        z += y.exp();
    }
    z
}

#[test]
fn logistic_map() {
    // r = 3.7 is chaotic: 20 iterations amplify rounding, hence the loose tolerance.
    let (r, x0) = (3.7, 0.3);
    let (dr, dx0) = logistic_grad(r, x0, 20);
    assert!(
        (dr - fd(|r| logistic(r, x0, 20), r)).abs() < 1e-4 * dr.abs().max(1.0),
        "{dr}"
    );
    assert!(
        (dx0 - fd(|x| logistic(r, x, 20), x0)).abs() < 1e-4 * dx0.abs().max(1.0),
        "{dx0}"
    );
}

#[test]
fn logistic_map_non_chaotic() {
    // r = 2.8 converges to the fixed point 1 - 1/r; r = 3.2 to a 2-cycle.
    for (r, x0, n) in [(2.8, 0.3, 60), (3.2, 0.4, 40), (1.5, 0.9, 7)] {
        check!(logistic, logistic_vjp, logistic_grad, logistic_jvp; (r, x0 | d_r, d_x0); n; at (r, x0), smooth, LOOPY);
    }
    // At the fixed point of r = 2.8, x* = 1 - 1/r: d x* / d r = 1 / r^2.
    let (dr, _) = logistic_grad(2.8, 0.3, 400);
    assert_close(
        1.0 / (2.8 * 2.8),
        dr,
        Tol {
            rel: 1e-9,
            abs: 0.0,
        },
        "d x* / d r",
    );
}

#[test]
fn logistic_zero_iterations() {
    // n = 0: the function is x0, exactly.
    assert_eq!(logistic_vjp(3.0, 0.25, 0, 2.5), (0.25, (0.0, 2.5)));
    assert_eq!(logistic_grad(3.0, 0.25, 0), (0.0, 1.0));
    // n = 1: r x0 (1 - x0), exactly.
    assert_eq!(
        logistic_grad(3.0, 0.25, 1),
        (0.25 * 0.75, 3.0 * (1.0 - 2.0 * 0.25))
    );
}

#[test]
fn accumulator() {
    let (dc, dx) = accumulate_grad(2.0, 3.0, 5);
    assert_eq!((dc, dx), (30.0, 20.0));
    assert_eq!(accumulate_grad(2.0, 3.0, 0), (0.0, 0.0));
    check!(accumulate, accumulate_vjp, accumulate_grad, accumulate_jvp; (c, x | d_c, d_x); 17; at (0.7, -1.3), smooth, SMOOTH);
}

#[test]
fn branches() {
    for (x, y) in [(0.7, 1.3), (-0.4, 0.2)] {
        let (dx, dy) = branchy_grad(x, y);
        assert!((dx - fd(|x| branchy(x, y), x)).abs() < 1e-6, "{dx}");
        assert!((dy - fd(|y| branchy(x, y), y)).abs() < 1e-6, "{dy}");
        check!(branchy, branchy_vjp, branchy_grad, branchy_jvp; (x, y | d_x, d_y); ; at (x, y), |(x, _): (f64, f64)| x > 0.0, SMOOTH);
    }
}

// ---------------------------------------------------------------------------------------------
// `if` / `else if` / `else`
// ---------------------------------------------------------------------------------------------

/// `if` as an expression bound by `let`, on an active condition.
#[differentiable]
fn if_expr(x: f64, y: f64) -> f64 {
    let z = if x > 1.0 { x * x * y } else { y.sin() * x };
    z + x
}

#[test]
fn if_as_expression() {
    for x in [(2.0, 0.5), (0.3, 0.5), (-4.0, 2.0)] {
        check!(if_expr, if_expr_vjp, if_expr_grad, if_expr_jvp; (x, y | d_x, d_y); ; at x, |(x, _): (f64, f64)| x > 1.0, SMOOTH);
    }
    // Closed forms on each side.
    assert_eq!(if_expr_grad(2.0, 0.5), (2.0 * 2.0 * 0.5 + 1.0, 4.0));
    let (dx, dy) = if_expr_grad(0.3, 0.5);
    assert_close(0.5f64.sin() + 1.0, dx, SMOOTH, "dx");
    assert_close(0.5f64.cos() * 0.3, dy, SMOOTH, "dy");
}

/// `else if` chain as statements, assigning in every arm.
#[differentiable]
fn else_if_chain(x: f64, y: f64) -> f64 {
    let mut z = y;
    if x < -1.0 {
        z *= x;
    } else if x < 1.0 {
        z += x.sin();
        z *= y;
    } else {
        z *= x.ln();
    }
    z * 2.0
}

#[test]
fn else_if_statements() {
    for x in [(-2.3, 0.7), (0.4, 0.7), (0.4, -1.1), (3.1, 0.7)] {
        check!(else_if_chain, else_if_chain_vjp, else_if_chain_grad, else_if_chain_jvp; (x, y | d_x, d_y); ; at x,
            |(x, _): (f64, f64)| (x < -1.0, x < 1.0), SMOOTH);
    }
}

/// `else if` chain as the function's tail expression, with `let`s inside an arm.
#[differentiable]
fn piecewise(x: f64) -> f64 {
    if x < 0.0 {
        x.exp()
    } else if x < 2.0 {
        1.0 + x + 0.5 * x * x
    } else {
        let t = x - 2.0;
        let u = t.sqrt() * 3.0;
        5.0 + u + t
    }
}

#[test]
fn else_if_tail_expression() {
    for x in [-1.5, -0.25, 0.5, 1.9, 3.5, 10.0] {
        check!(piecewise, piecewise_vjp, piecewise_grad, piecewise_jvp; (x | d_x); ; at (x,), |(x,): (f64,)| (x < 0.0, x < 2.0), SMOOTH);
    }
    assert_eq!(piecewise_grad(1.0), (2.0,));
    assert_eq!(piecewise_grad(6.0), (3.0 / (2.0 * 2.0) + 1.0,));
}

/// A condition on an inactive integer.
#[differentiable]
fn parity(x: f64, n: i32) -> f64 {
    let mut y = x;
    if n % 2 == 0 {
        y *= y;
    } else {
        y = -y.cos();
    }
    y
}

#[test]
fn inactive_condition() {
    for n in [4, 7, 0, -3] {
        check!(parity, parity_vjp, parity_grad, parity_jvp; (x | d_x); n; at (0.8,), smooth, SMOOTH);
    }
    assert_eq!(parity_grad(0.8, 4), (1.6,));
    assert_eq!(parity_grad(0.8, 7), (0.8f64.sin(),));
}

/// `if` without `else`: the variable is assigned in one arm only.
#[differentiable]
fn one_arm(x: f64, y: f64) -> f64 {
    let mut z = x * y;
    if y > x {
        z = z.exp();
    }
    z + y
}

#[test]
fn if_without_else() {
    for p in [(0.3, 0.9), (1.2, 0.4), (-1.0, -0.5)] {
        check!(one_arm, one_arm_vjp, one_arm_grad, one_arm_jvp; (x, y | d_x, d_y); ; at p, |(x, y): (f64, f64)| y > x, SMOOTH);
    }
    // Not taken: z = x y, exactly.
    assert_eq!(one_arm_grad(1.2, 0.4), (0.4, 1.2 + 1.0));
}

/// Nested `if`s: in the `then` arm, and in the `else` arm after a statement.
#[differentiable]
fn quadrant(x: f64, y: f64) -> f64 {
    let mut r = x + y;
    if x > 0.0 {
        if y > 0.0 {
            r *= x * y;
        } else {
            r -= y * y;
        }
    } else {
        r += 1.0;
        if y > 0.0 {
            r *= x.exp();
        } else {
            r += (x * y).sin();
        }
    }
    r
}

#[test]
fn nested_ifs() {
    for p in [(0.5, 1.5), (0.5, -1.5), (-0.5, 1.5), (-0.5, -1.5)] {
        check!(quadrant, quadrant_vjp, quadrant_grad, quadrant_jvp; (x, y | d_x, d_y); ; at p,
            |(x, y): (f64, f64)| (x > 0.0, y > 0.0), SMOOTH);
    }
}

/// An `if` expression inside arithmetic, on a comparison of two active values.
#[differentiable]
fn if_in_arith(x: f64, y: f64) -> f64 {
    2.0 * (if x > y { x - y } else { y - x }) + x * y
}

#[test]
fn if_inside_an_expression() {
    for p in [(1.0, 0.25), (0.25, 1.0)] {
        check!(if_in_arith, if_in_arith_vjp, if_in_arith_grad, if_in_arith_jvp; (x, y | d_x, d_y); ; at p,
            |(x, y): (f64, f64)| x > y, SMOOTH);
    }
    assert_eq!(if_in_arith_grad(1.0, 0.25), (2.25, -1.0));
    assert_eq!(if_in_arith_grad(0.25, 1.0), (-1.0, 2.25));
}

/// A `bool` parameter, and an `if` whose value is a tuple, destructured.
#[differentiable]
fn flagged(x: f64, y: f64, flip: bool) -> f64 {
    let (a, b) = if flip { (y, x) } else { (x, y) };
    a * b.sin()
}

#[test]
fn bool_condition_tuple_value() {
    for flip in [false, true] {
        check!(flagged, flagged_vjp, flagged_grad, flagged_jvp; (x, y | d_x, d_y); flip; at (0.6, 1.7), smooth, SMOOTH);
    }
    let (dx, dy) = flagged_grad(0.6, 1.7, true);
    assert_eq!((dx, dy), (1.7 * 0.6f64.cos(), 0.6f64.sin()));
}

/// A condition on a computed active value, with an `else if` on another.
#[differentiable]
fn computed_cond(x: f64, y: f64) -> f64 {
    let s = x * y;
    let mut out = s;
    if s > 1.0 {
        out = s.ln();
    } else if s < 0.0 {
        out = s * s;
    }
    out + x
}

#[test]
fn computed_conditions() {
    for p in [(0.8, 2.0), (0.5, 0.8), (-0.5, 1.5)] {
        check!(computed_cond, computed_cond_vjp, computed_cond_grad, computed_cond_jvp; (x, y | d_x, d_y); ; at p,
            |(x, y): (f64, f64)| (x * y > 1.0, x * y < 0.0), SMOOTH);
    }
}

/// Conditions combining comparisons with `&&` and `||`, on computed active values.
#[differentiable]
fn compound_cond(x: f64, y: f64) -> f64 {
    let s = x * y;
    let mut out = s;
    if s > 1.0 && x < y {
        out = s.ln();
    } else if s < 0.0 || y < 0.0 {
        out = s * s;
    }
    out + x
}

#[test]
fn compound_conditions() {
    for p in [(0.8, 2.0), (2.0, 0.8), (-0.5, 1.5), (-0.5, -0.5)] {
        check!(compound_cond, compound_cond_vjp, compound_cond_grad, compound_cond_jvp; (x, y | d_x, d_y); ; at p,
            |(x, y): (f64, f64)| (x * y > 1.0 && x < y, x * y < 0.0 || y < 0.0), SMOOTH);
    }
}

// ---------------------------------------------------------------------------------------------
// Early `return`
// ---------------------------------------------------------------------------------------------

/// `return` from a branch before a loop (Newton's iteration for sqrt(x) after it).
#[differentiable]
fn return_before_loop(x: f64, n: usize) -> f64 {
    if x < 0.0 {
        return x * x;
    }
    let mut s = x;
    for _ in 0..n {
        s = (s + x / s) * 0.5;
    }
    s
}

#[test]
fn early_return_before_loop() {
    for x in [-1.5, 2.0, 0.3] {
        check!(return_before_loop, return_before_loop_vjp, return_before_loop_grad, return_before_loop_jvp; (x | d_x); 8; at (x,),
            |(x,): (f64,)| x < 0.0, SMOOTH);
    }
    assert_eq!(return_before_loop_grad(-1.5, 8), (-3.0,));
    // Converged: d sqrt(x) / dx.
    assert_close(
        0.5 / 2f64.sqrt(),
        return_before_loop_grad(2.0, 8).0,
        Tol {
            rel: 1e-12,
            abs: 0.0,
        },
        "1 / (2 sqrt 2)",
    );
}

/// `return` from a branch after a loop.
#[differentiable]
fn return_after_loop(x: f64, n: usize) -> f64 {
    let mut s = 1.0;
    for i in 0..n {
        s = s * x + (i as f64);
    }
    if s > 10.0 {
        return s.ln();
    }
    s * s
}

fn return_after_loop_path(x: f64, n: usize) -> bool {
    let mut s = 1.0;
    for i in 0..n {
        s = s * x + (i as f64);
    }
    s > 10.0
}

#[test]
fn early_return_after_loop() {
    for (x, n) in [(2.0, 4), (0.5, 4), (1.1, 0), (3.0, 9)] {
        check!(return_after_loop, return_after_loop_vjp, return_after_loop_grad, return_after_loop_jvp; (x | d_x); n; at (x,),
            |(x,): (f64,)| return_after_loop_path(x, n), SMOOTH);
    }
    // n = 0: s = 1, result 1, derivative exactly 0.
    assert_eq!(return_after_loop_vjp(1.1, 0, 1.0), (1.0, (0.0,)));
}

/// `return` from the `else` arm; the `then` arm falls through to a loop.
#[differentiable]
fn return_from_else(x: f64, y: f64) -> f64 {
    let mut z = x * y;
    if z > 0.0 {
        z = z.sqrt();
    } else {
        return z.exp() + y;
    }
    let mut acc = 0.0;
    for i in 1..4 {
        acc += z / (i as f64);
    }
    acc
}

#[test]
fn early_return_from_else() {
    for p in [(0.5, 2.0), (-0.5, 2.0), (-1.5, -3.0), (1.5, -3.0)] {
        check!(return_from_else, return_from_else_vjp, return_from_else_grad, return_from_else_jvp; (x, y | d_x, d_y); ; at p,
            |(x, y): (f64, f64)| x * y > 0.0, SMOOTH);
    }
}

/// Several returns, one inside a nested `if`, on inactive and active conditions.
#[differentiable]
fn multi_return(x: f64, k: i32) -> f64 {
    if k == 0 {
        return x;
    }
    let y = x * x;
    if k == 1 {
        if y > 4.0 {
            return y.sqrt() * 3.0;
        }
        return y.sin();
    }
    y * x
}

#[test]
fn several_returns() {
    for (x, k) in [(0.7, 0), (0.7, 1), (-3.0, 1), (0.7, 2), (-3.0, -5)] {
        check!(multi_return, multi_return_vjp, multi_return_grad, multi_return_jvp; (x | d_x); k; at (x,),
            |(x,): (f64,)| x * x > 4.0, SMOOTH);
    }
    assert_eq!(multi_return_grad(0.7, 0), (1.0,));
    assert_eq!(multi_return_grad(-3.0, 1), (-3.0,));
}

// ---------------------------------------------------------------------------------------------
// `match`
// ---------------------------------------------------------------------------------------------

/// `match` on an integer: `|` patterns, a guard, a `_` arm, as an expression.
#[differentiable]
fn match_int(x: f64, k: i32) -> f64 {
    let y = match k {
        0 => x,
        1 | 2 => x * x,
        n if n < 0 => -x.sin(),
        _ => x.exp(),
    };
    y * 3.0
}

#[test]
fn match_on_integer() {
    for k in [0, 1, 2, -3, 7] {
        check!(match_int, match_int_vjp, match_int_grad, match_int_jvp; (x | d_x); k; at (0.9,), smooth, SMOOTH);
    }
    assert_eq!(match_int_grad(0.9, 0), (3.0,));
    assert_eq!(match_int_grad(0.9, 2), (3.0 * 1.8,));
    assert_eq!(match_int_grad(0.9, -3), (-3.0 * 0.9f64.cos(),));
    assert_eq!(match_int_grad(0.9, 7), (3.0 * 0.9f64.exp(),));
}

/// `match` on a `bool`, as a statement whose arms assign an active local.
#[differentiable]
fn match_bool(x: f64, y: f64, b: bool) -> f64 {
    let mut z = x;
    match b {
        true => z *= y,
        false => {
            z += y;
            z = z.sqrt();
        }
    }
    z
}

#[test]
fn match_on_bool() {
    for b in [true, false] {
        check!(match_bool, match_bool_vjp, match_bool_grad, match_bool_jvp; (x, y | d_x, d_y); b; at (1.3, 0.4), smooth, SMOOTH);
    }
    assert_eq!(match_bool_grad(1.3, 0.4, true), (0.4, 1.3));
}

/// `match` with range patterns, `|` and `_`, as the function's tail.
#[differentiable]
fn match_ranges(x: f64, k: u8) -> f64 {
    match k {
        0..=2 => x * (k as f64),
        3 | 5 => x.ln(),
        _ => 0.5 * x * (k as f64),
    }
}

#[test]
fn match_with_ranges() {
    for k in [0, 2, 3, 4, 5, 9] {
        check!(match_ranges, match_ranges_vjp, match_ranges_grad, match_ranges_jvp; (x | d_x); k; at (2.5,), smooth, SMOOTH);
    }
    assert_eq!(match_ranges_grad(2.5, 3), (0.4,));
    assert_eq!(match_ranges_grad(2.5, 2), (2.0,));
    assert_eq!(match_ranges_grad(2.5, 9), (4.5,));
}

/// `match` with an arm that uses the integer it binds.
#[differentiable]
fn match_binding(x: f64, k: u8) -> f64 {
    match k {
        0..=2 => x * (k as f64),
        m => 0.5 * x * (m as f64),
    }
}

#[test]
fn match_arm_binding() {
    for k in [0, 2, 9] {
        check!(match_binding, match_binding_vjp, match_binding_grad, match_binding_jvp; (x | d_x); k; at (2.5,), smooth, SMOOTH);
    }
    assert_eq!(match_binding_grad(2.5, 9), (4.5,));
}

/// `if let` and `match` arms that bind parts of a value that carries no floats (`Some(&j)`, a
/// guard on a binding, a tuple of options, `a @ 0..=2`, a `mut` binding), in a loop and out.
#[differentiable]
fn match_parts(x: f64, y: f64, #[no_grad] idx: [usize; 3], #[no_grad] opt: Option<usize>) -> f64 {
    let w = [x, y, x * y];
    let mut s = 0.0;
    for i in 0..3 {
        let t = if let Some(&j) = idx.get(i) {
            w[j % 3] * w[i]
        } else {
            w[i].sin()
        };
        s += t;
        match idx.get(i + 1) {
            Some(&k) if k > 0 => s = (s * w[(k - 1) % 3]).sin(),
            Some(&k) => s += w[k % 3],
            None => {}
        }
    }
    if let Some(mut k) = opt {
        k += 1;
        s *= w[k % 3];
    }
    match (opt, idx.first()) {
        (Some(a), Some(&b)) if b > 0 => s + w[a % 3] * w[b % 3],
        (Some(a @ 0..=2), _) => s * w[a],
        _ => s,
    }
}

#[test]
fn match_arms_binding_parts() {
    for idx in [[2, 0, 1], [0, 1, 1], [1, 2, 0]] {
        for opt in [Some(1), Some(2), Some(7), None] {
            check!(match_parts, match_parts_vjp, match_parts_grad, match_parts_jvp; (x, y | d_x, d_y); idx, opt; at (0.7, 1.3), smooth, SMOOTH);
        }
    }
    // idx = [0, 1, 1], opt = None: s = Σ_i w[idx_i] w[i] with the arms in between; at the end
    // `_ => s`. With opt = Some(2) and idx[0] = 0 the middle arm multiplies by w[2] = x y.
    let (x, y) = (0.7, 1.3);
    let (with, _) = match_parts_vjp(x, y, [0, 1, 1], Some(2), 1.0);
    let (without, _) = match_parts_vjp(x, y, [0, 1, 1], None, 1.0);
    let s_times_w0 = without * x; // opt = Some(2): `s *= w[3 % 3]`, then `s * w[2]`.
    assert!((with - s_times_w0 * x * y).abs() < 1e-12 * with.abs().max(1.0));
}

/// The parts a pattern binds are integers, not values of unknown type: passed to a callee's
/// `usize` parameter, matched again, used to index; an or-pattern with a guard binds its name
/// once (found by the generator's `binding-patterns` switch).
#[differentiable]
fn times_n(x: f64, n: usize) -> f64 {
    x * n as f64
}

#[differentiable]
fn parts_as_integers(x: f64, #[no_grad] a: Option<usize>, #[no_grad] b: [usize; 2]) -> f64 {
    let mut s = match a {
        Some(k) => times_n(x, k),
        None => x,
    };
    if let Some(k) = a {
        match k {
            1 | 3 => s *= x,
            _ => s += x,
        }
    }
    if let Some(&j) = b.first() {
        if let Some(&k) = b.get(j) {
            s *= 1.0 + k as f64 * x;
        }
    }
    match (a, b.get(1)) {
        (Some(k), _) | (None, Some(&k)) if k > 1 => s * k as f64,
        _ => s,
    }
}

/// A binding named like an active local outside the `match` (it shadows it in the arm; the
/// macro's extraction must not take it for a read of the outer float).
#[differentiable]
fn binding_shadows_float(x: f64, #[no_grad] o: Option<usize>) -> f64 {
    let k = x * 2.0;
    let y = match o {
        Some(k) => x * k as f64,
        None => k,
    };
    if let Some(k) = o {
        y + k as f64
    } else {
        y * k
    }
}

#[test]
fn pattern_binding_shadows_an_active_local() {
    for o in [Some(3), None] {
        check!(binding_shadows_float, binding_shadows_float_vjp, binding_shadows_float_grad, binding_shadows_float_jvp; (x | d_x); o; at (0.6,), smooth, SMOOTH);
    }
    assert_eq!(binding_shadows_float_grad(0.6, Some(3)), (3.0,));
    // None: y = 2x, result 4x².
    assert!((binding_shadows_float_grad(0.6, None).0 - 8.0 * 0.6).abs() < 1e-12);
}

#[test]
fn pattern_parts_are_integers() {
    for a in [Some(1), Some(3), Some(4), None] {
        for b in [[0, 2], [1, 0], [1, 5]] {
            check!(parts_as_integers, parts_as_integers_vjp, parts_as_integers_grad, parts_as_integers_jvp; (x | d_x); a, b; at (0.6,), smooth, SMOOTH);
        }
    }
    // a = None, b = [1, 5]: s = x (1 + 5 x) 5, ds/dx = 5 (1 + 10 x).
    let (_, (g,)) = parts_as_integers_vjp(0.6, None, [1, 5], 1.0);
    assert!((g - 5.0 * (1.0 + 10.0 * 0.6)).abs() < 1e-12);
}

/// `while let` over a chain of indices (`cur: Option<usize>`, typed so that vjp knows it
/// carries no floats), with a `continue`.
#[differentiable]
fn walk_chain(x: f64, y: f64, #[no_grad] next: [Option<usize>; 4]) -> f64 {
    let w = [x, y, x * y, x - y];
    let mut s = 0.5;
    let mut cur: Option<usize> = Some(0);
    while let Some(i) = cur {
        cur = next[i];
        if i == 2 {
            continue;
        }
        s = (s * w[i]).sin() + w[i];
    }
    s
}

#[test]
fn while_let_over_a_chain() {
    for next in [
        [Some(2), Some(3), Some(1), None],
        [Some(3), None, None, Some(1)],
        [None; 4],
    ] {
        check!(walk_chain, walk_chain_vjp, walk_chain_grad, walk_chain_jvp; (x, y | d_x, d_y); next; at (0.7, 1.3), smooth, SMOOTH);
    }
    // next = [None; 4]: one step, s = sin(0.5 x) + x.
    let (x, y) = (0.7, 1.3);
    let (_, (gx, gy)) = walk_chain_vjp(x, y, [None; 4], 1.0);
    assert!((gx - (0.5 * (0.5 * x).cos() + 1.0)).abs() < 1e-15);
    assert_eq!(gy, 0.0);
}

/// `match` with range patterns, a guard on an active value, the tail of the function.
#[differentiable]
fn match_guard(x: f64, k: u8) -> f64 {
    match k {
        0..=2 => x * (k as f64),
        3 | 5 if x > 1.0 => x.ln(),
        3 | 5 => x - 1.0,
        _ => 0.5 * x * x,
    }
}

#[test]
fn match_with_active_guard() {
    for k in [0, 2, 3, 4, 5, 9] {
        for x in [0.5, 2.5] {
            check!(match_guard, match_guard_vjp, match_guard_grad, match_guard_jvp; (x | d_x); k; at (x,),
                |(x,): (f64,)| x > 1.0, SMOOTH);
        }
    }
    assert_eq!(match_guard_grad(2.5, 3), (0.4,));
    assert_eq!(match_guard_grad(0.5, 5), (1.0,));
    assert_eq!(match_guard_grad(2.5, 2), (2.0,));
}

/// `match` inside a loop, on the counter, arms assigning the loop's state.
#[differentiable]
fn match_in_loop(x: f64, n: usize) -> f64 {
    let mut s = x;
    for i in 0..n {
        match i % 3 {
            0 => s += x,
            1 => s *= x,
            _ => s = s.sin() + 1.0,
        }
    }
    s
}

#[test]
fn match_inside_loop() {
    for n in [0, 1, 2, 3, 10] {
        check!(match_in_loop, match_in_loop_vjp, match_in_loop_grad, match_in_loop_jvp; (x | d_x); n; at (0.7,), smooth, SMOOTH);
    }
    assert_eq!(match_in_loop_grad(0.7, 0), (1.0,));
    // n = 2: s = (2x) x = 2 x^2, derivative 4x.
    assert_eq!(match_in_loop_grad(0.7, 2), (4.0 * 0.7,));
}

// ---------------------------------------------------------------------------------------------
// `for` loops
// ---------------------------------------------------------------------------------------------

/// `for i in 0..=n`, the counter in the body: the rising factorial x (x+1) ... (x+n).
#[differentiable]
fn rising(x: f64, n: u32) -> f64 {
    let mut p = 1.0;
    for i in 0..=n {
        p *= x + i as f64;
    }
    p
}

#[test]
fn for_inclusive_range() {
    for n in [0, 1, 4] {
        check!(rising, rising_vjp, rising_grad, rising_jvp; (x | d_x); n; at (0.5,), smooth, SMOOTH);
    }
    // d/dx of x (x+1) (x+2) at x = 0.5: (x+1)(x+2) + x(x+2) + x(x+1) = 3.75 + 1.25 + 0.75.
    assert_close(
        5.75,
        rising_grad(0.5, 2).0,
        Tol {
            rel: 1e-15,
            abs: 0.0,
        },
        "rising",
    );
}

/// `for i in (1..n).rev()`: Horner on sum_i x^(i-1) / i.
#[differentiable]
fn rev_poly(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in (1..n).rev() {
        s = s * x + 1.0 / (i as f64);
    }
    s
}

#[test]
fn for_reversed_range() {
    for n in [0, 1, 2, 9] {
        check!(rev_poly, rev_poly_vjp, rev_poly_grad, rev_poly_jvp; (x | d_x); n; at (0.6,), smooth, SMOOTH);
    }
    // sum_{i=1}^{n-1} x^(i-1)/i  =>  derivative sum_{i=2}^{n-1} (i-1) x^(i-2) / i.
    let x = 0.6f64;
    let expected: f64 = (2..9)
        .map(|i| (i - 1) as f64 * x.powi(i - 2) / i as f64)
        .sum();
    assert_close(
        expected,
        rev_poly_grad(x, 9).0,
        Tol {
            rel: 1e-14,
            abs: 0.0,
        },
        "rev_poly",
    );
}

/// `for i in (0..n).step_by(3)`.
#[differentiable]
fn strided(x: f64, y: f64, n: usize) -> f64 {
    let mut s = y;
    for i in (0..n).step_by(3) {
        s += (x * i as f64).sin() * s * 0.1;
    }
    s
}

#[test]
fn for_step_by() {
    for n in [0, 1, 3, 4, 20] {
        check!(strided, strided_vjp, strided_grad, strided_jvp; (x, y | d_x, d_y); n; at (0.4, 1.3), smooth, SMOOTH);
    }
}

/// `for _ in 0..n` overwriting the state.
#[differentiable]
fn repeat_sqrt(x: f64, c: f64, n: usize) -> f64 {
    let mut y = x;
    for _ in 0..n {
        y = y.sqrt() + c;
    }
    y
}

#[test]
fn for_wildcard() {
    for n in [0, 1, 5, 30] {
        check!(repeat_sqrt, repeat_sqrt_vjp, repeat_sqrt_grad, repeat_sqrt_jvp; (x, c | d_x, d_c); n; at (3.0, 0.5), smooth, SMOOTH);
    }
}

/// `for i in lo..hi` with bounds from parameters and a local computed before the loop.
#[differentiable]
fn window(x: f64, lo: usize, len: usize) -> f64 {
    let hi = lo + len;
    let mut s = 0.0;
    for i in lo..hi {
        let w = (i as f64) * 0.25;
        s += (x - w) * (x - w);
    }
    s
}

#[test]
fn for_bounds_from_locals() {
    for (lo, len) in [(3, 4), (5, 0), (0, 1)] {
        check!(window, window_vjp, window_grad, window_jvp; (x | d_x); lo, len; at (1.1,), smooth, SMOOTH);
    }
    // sum_{i=3}^{6} 2 (x - i/4)
    let expected: f64 = (3..7).map(|i| 2.0 * (1.1 - i as f64 * 0.25)).sum();
    assert_close(
        expected,
        window_grad(1.1, 3, 4).0,
        Tol {
            rel: 1e-14,
            abs: 1e-15,
        },
        "window",
    );
    assert_eq!(window_grad(1.1, 5, 0), (0.0,));
}

/// Horner's rule over an array of coefficients, counting down.
#[differentiable]
fn horner(c: [f64; 5], x: f64) -> f64 {
    let mut acc = 0.0;
    for i in (0..5).rev() {
        acc = acc * x + c[i];
    }
    acc
}

#[test]
fn horner_polynomial() {
    let c = [1.0, -2.0, 0.5, 3.0, -0.25];
    let x = 0.7f64;
    check_grad(
        |(c, x)| horner(c, x),
        |(c, x), v| horner_vjp(c, x, v),
        |(c, x)| horner_grad(c, x),
        |(c, x), (dc, dx)| horner_jvp(c, dc, x, dx),
        smooth,
        (c, x),
        SMOOTH,
    );
    let (dc, dx) = horner_grad(c, x);
    for (k, d) in dc.iter().enumerate() {
        assert_close(
            x.powi(k as i32),
            *d,
            Tol {
                rel: 1e-15,
                abs: 0.0,
            },
            "d p / d c_k",
        );
    }
    let expected: f64 = (1..5).map(|k| k as f64 * c[k] * x.powi(k as i32 - 1)).sum();
    assert_close(
        expected,
        dx,
        Tol {
            rel: 1e-14,
            abs: 0.0,
        },
        "p'(x)",
    );
}

// ---------------------------------------------------------------------------------------------
// `while` and `loop`, `break` and `continue`
// ---------------------------------------------------------------------------------------------

/// Newton's iteration for sqrt(a), stopping when converged (`while` with a `break`), after an
/// early `return`.
#[differentiable]
fn newton_sqrt(a: f64) -> f64 {
    if a == 0.0 {
        return 0.0;
    }
    let mut x = a;
    let mut k = 0;
    while k < 50 {
        let next = 0.5 * (x + a / x);
        if (next - x).abs() < 1e-15 {
            break;
        }
        x = next;
        k += 1;
    }
    x
}

fn newton_sqrt_trips(a: f64) -> usize {
    let mut x = a;
    let mut k = 0;
    while k < 50 {
        let next = 0.5 * (x + a / x);
        if (next - x).abs() < 1e-15 {
            break;
        }
        x = next;
        k += 1;
    }
    k
}

#[test]
fn newton_iteration() {
    for a in [2.0, 0.25, 0.7] {
        let (d,) = newton_sqrt_grad(a);
        assert_close(
            0.5 / a.sqrt(),
            d,
            Tol {
                rel: 1e-12,
                abs: 0.0,
            },
            "1 / (2 sqrt a)",
        );
        check!(newton_sqrt, newton_sqrt_vjp, newton_sqrt_grad, newton_sqrt_jvp; (a | d_a); ; at (a,),
            |(a,): (f64,)| newton_sqrt_trips(a), SMOOTH);
    }
    assert_eq!(newton_sqrt_vjp(0.0, 1.0), (0.0, (0.0,)));
}

/// A `while` loop whose trip count depends on an active value.
#[differentiable]
fn grow_until(x: f64, c: f64) -> f64 {
    let mut s = 1.0;
    while s < 100.0 {
        s = s * x + c;
    }
    s
}

fn grow_until_trips(x: f64, c: f64) -> u32 {
    let mut s = 1.0;
    let mut k = 0;
    while s < 100.0 {
        s = s * x + c;
        k += 1;
    }
    k
}

#[test]
fn while_active_condition() {
    for p in [(1.5, 0.3), (3.0, -1.0), (1.1, 2.0)] {
        check!(grow_until, grow_until_vjp, grow_until_grad, grow_until_jvp; (x, c | d_x, d_c); ; at p,
            |(x, c): (f64, f64)| grow_until_trips(x, c), SMOOTH);
    }
}

/// A `while` on an active condition that may be false from the start.
#[differentiable]
fn halve_below(x: f64, c: f64) -> f64 {
    let mut s = x;
    while s > c {
        s *= 0.5;
    }
    s * c
}

fn halve_below_trips(x: f64, c: f64) -> u32 {
    let mut s = x;
    let mut k = 0;
    while s > c {
        s *= 0.5;
        k += 1;
    }
    k
}

#[test]
fn while_zero_or_more_trips() {
    for p in [(0.3, 1.0), (5.0, 1.0), (100.0, 0.7)] {
        check!(halve_below, halve_below_vjp, halve_below_grad, halve_below_jvp; (x, c | d_x, d_c); ; at p,
            |(x, c): (f64, f64)| halve_below_trips(x, c), SMOOTH);
    }
    // Zero trips: s = x, the result x c, exactly.
    assert_eq!(halve_below_vjp(0.3, 1.0, 2.0), (0.3, (2.0, 0.6)));
    // Three trips: x / 8 * c.
    assert_eq!(halve_below_grad(5.0, 1.0), (0.125, 0.625));
}

/// `while` with `continue`, the counter incremented before it.
#[differentiable]
fn while_continue(x: f64, n: u32) -> f64 {
    let mut s = 0.0;
    let mut i = 0;
    while i < n {
        i += 1;
        if i % 3 == 0 {
            continue;
        }
        s += x.powi(i as i32) / (i as f64);
    }
    s
}

#[test]
fn while_with_continue() {
    for n in [0, 1, 3, 10] {
        check!(while_continue, while_continue_vjp, while_continue_grad, while_continue_jvp; (x | d_x); n; at (0.8,), smooth, SMOOTH);
    }
    // sum over i in 1..=n, i not a multiple of 3, of x^(i-1).
    let x = 0.8f64;
    let expected: f64 = (1..=10).filter(|i| i % 3 != 0).map(|i| x.powi(i - 1)).sum();
    assert_close(
        expected,
        while_continue_grad(x, 10).0,
        Tol {
            rel: 1e-14,
            abs: 0.0,
        },
        "while_continue",
    );
}

/// `loop` with `continue` and a `break` on an active condition.
#[differentiable]
fn loop_break_continue(x: f64) -> f64 {
    let mut s = x;
    let mut k = 0;
    loop {
        k += 1;
        if k % 2 == 0 {
            s *= 1.1;
            continue;
        }
        s = s.sin() + x;
        if s > 1.5 {
            break;
        }
        if k > 40 {
            break;
        }
    }
    s
}

fn loop_break_continue_trips(x: f64) -> u32 {
    let mut s = x;
    let mut k = 0;
    loop {
        k += 1;
        if k % 2 == 0 {
            s *= 1.1;
            continue;
        }
        s = s.sin() + x;
        if s > 1.5 {
            break;
        }
        if k > 40 {
            break;
        }
    }
    k
}

#[test]
fn loop_with_break_and_continue() {
    for x in [0.3, 0.6, 1.0] {
        check!(loop_break_continue, loop_break_continue_vjp, loop_break_continue_grad, loop_break_continue_jvp; (x | d_x); ; at (x,),
            |(x,): (f64,)| loop_break_continue_trips(x), SMOOTH);
    }
}

/// `for` with `continue` on the counter and `break` on an active value.
#[differentiable]
fn for_continue_break(x: f64, limit: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        if i % 4 == 1 {
            continue;
        }
        s += x * (i as f64).sqrt();
        if s > limit {
            break;
        }
    }
    s
}

fn for_continue_break_trips(x: f64, limit: f64, n: usize) -> usize {
    let mut s = 0.0;
    for i in 0..n {
        if i % 4 == 1 {
            continue;
        }
        s += x * (i as f64).sqrt();
        if s > limit {
            return i;
        }
    }
    n
}

#[test]
fn for_with_continue_and_break() {
    for (x, limit) in [(0.5, 4.0), (0.5, 100.0), (-0.5, 1.0), (2.0, 0.1)] {
        check!(for_continue_break, for_continue_break_vjp, for_continue_break_grad, for_continue_break_jvp; (x, limit | d_x, d_limit); 20; at (x, limit),
            |(x, l): (f64, f64)| for_continue_break_trips(x, l, 20), SMOOTH);
    }
    // The limit only decides when to stop: its derivative is exactly 0.
    assert_eq!(for_continue_break_grad(0.5, 4.0, 20).1, 0.0);
}

/// A `break` on the very first iteration, after the state was updated.
#[differentiable]
fn first_break(x: f64, y: f64) -> f64 {
    let mut s = x;
    loop {
        s *= y;
        if s > 0.0 {
            break;
        }
        s = s * s + 1.0;
    }
    s + 1.0
}

#[test]
fn break_on_first_iteration() {
    // x y > 0: one trip, s = x y.
    assert_eq!(first_break_grad(0.5, 3.0), (3.0, 0.5));
    check!(first_break, first_break_vjp, first_break_grad, first_break_jvp; (x, y | d_x, d_y); ; at (0.5, 3.0),
        |(x, y): (f64, f64)| x * y > 0.0, SMOOTH);
    // x y < 0: two trips.
    check!(first_break, first_break_vjp, first_break_grad, first_break_jvp; (x, y | d_x, d_y); ; at (-0.5, 3.0),
        |(x, y): (f64, f64)| x * y > 0.0, SMOOTH);
}

/// A value assigned in a branch that then `break`s.
#[differentiable]
fn assign_then_break(x: f64) -> f64 {
    let mut s = x;
    let mut best = 0.0;
    for i in 0..10 {
        s *= 1.3;
        if s > 2.0 {
            best = s * (i as f64);
            break;
        }
    }
    best + s
}

fn assign_then_break_trips(x: f64) -> usize {
    let mut s = x;
    for i in 0..10 {
        s *= 1.3;
        if s > 2.0 {
            return i;
        }
    }
    10
}

#[test]
fn assignment_before_break() {
    for x in [0.5, 0.01, 3.0] {
        check!(assign_then_break, assign_then_break_vjp, assign_then_break_grad, assign_then_break_jvp; (x | d_x); ; at (x,),
            |(x,): (f64,)| assign_then_break_trips(x), SMOOTH);
    }
    // x = 0.5 breaks at i = 5: result = 1.3^6 x (5 + 1).
    assert_close(
        6.0 * 1.3f64.powi(6),
        assign_then_break_grad(0.5).0,
        Tol {
            rel: 1e-14,
            abs: 0.0,
        },
        "",
    );
}

/// Labelled loops: `break 'label` / `continue 'label` targeting the innermost loop.
#[differentiable]
fn labelled(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        'inner: for j in 0..n {
            if j > i {
                break 'inner;
            }
            if (i + j) % 2 == 1 {
                continue 'inner;
            }
            s += x * (j as f64 + 1.0) + s * 0.01;
        }
    }
    s
}

/// Labelled `loop` and `while`.
#[differentiable]
fn labelled_loops(x: f64) -> f64 {
    let mut s = x;
    let mut k = 0;
    'grow: loop {
        k += 1;
        if k % 2 == 0 {
            continue 'grow;
        }
        s = s * 1.5 + x;
        if s > 20.0 {
            break 'grow;
        }
    }
    let mut j = 0;
    'shrink: while j < 5 {
        j += 1;
        if j == 2 {
            continue 'shrink;
        }
        s -= 0.1 * s;
    }
    s
}

fn labelled_loops_trips(x: f64) -> u32 {
    let mut s = x;
    let mut k = 0;
    loop {
        k += 1;
        if k % 2 == 0 {
            continue;
        }
        s = s * 1.5 + x;
        if s > 20.0 {
            return k;
        }
    }
}

#[test]
fn labelled_break_continue() {
    for n in [0, 1, 5] {
        check!(labelled, labelled_vjp, labelled_grad, labelled_jvp; (x | d_x); n; at (0.9,), smooth, SMOOTH);
    }
    for x in [0.9, 3.0] {
        check!(labelled_loops, labelled_loops_vjp, labelled_loops_grad, labelled_loops_jvp; (x | d_x); ; at (x,),
            |(x,): (f64,)| labelled_loops_trips(x), SMOOTH);
    }
}

// ---------------------------------------------------------------------------------------------
// Nested loops
// ---------------------------------------------------------------------------------------------

/// A loop inside a loop, the inner one overwriting a local of the outer body.
#[differentiable]
fn nested(x: f64, n: usize, m: usize) -> f64 {
    let mut s = x;
    for i in 0..n {
        let mut t = s;
        for j in 0..m {
            t = t * 0.5 + (j as f64) * x;
        }
        s = (s + t).sin() + (i as f64) * 0.1;
    }
    s
}

#[test]
fn nested_loops() {
    for (n, m) in [(0, 3), (3, 0), (1, 1), (4, 5)] {
        check!(nested, nested_vjp, nested_grad, nested_jvp; (x | d_x); n, m; at (0.7,), smooth, SMOOTH);
    }
}

/// The inner trip count depends on the outer counter; the inner loop overwrites the outer state.
#[differentiable]
fn triangle(x: f64, n: usize) -> f64 {
    let mut s = 1.0;
    for i in 0..n {
        for _ in 0..i {
            s = s * x + 0.1;
        }
        s = s.sqrt();
    }
    s
}

#[test]
fn nested_loops_triangular() {
    for n in [0, 1, 2, 6] {
        check!(triangle, triangle_vjp, triangle_grad, triangle_jvp; (x | d_x); n; at (1.2,), smooth, SMOOTH);
    }
}

/// An inner `while` whose trip count depends on an active value, in a `for`.
#[differentiable]
fn nested_while(x: f64, n: usize) -> f64 {
    let mut total = 0.0;
    for i in 0..n {
        let mut y = x + i as f64;
        while y > 1.0 {
            y *= 0.5;
        }
        total += y * y;
    }
    total
}

fn nested_while_trips(x: f64, n: usize) -> Vec<u32> {
    (0..n)
        .map(|i| {
            let mut y = x + i as f64;
            let mut k = 0;
            while y > 1.0 {
                y *= 0.5;
                k += 1;
            }
            k
        })
        .collect()
}

#[test]
fn nested_while_in_for() {
    for x in [0.3, 1.7] {
        check!(nested_while, nested_while_vjp, nested_while_grad, nested_while_jvp; (x | d_x); 6; at (x,),
            |(x,): (f64,)| nested_while_trips(x, 6), SMOOTH);
    }
    // Each term is ((x + i) / 2^k_i)^2: derivative sum 2 (x + i) / 4^k_i.
    let x = 0.3;
    let expected: f64 = nested_while_trips(x, 6)
        .iter()
        .enumerate()
        .map(|(i, &k)| 2.0 * (x + i as f64) / 4f64.powi(k as i32))
        .sum();
    assert_close(
        expected,
        nested_while_grad(x, 6).0,
        Tol {
            rel: 1e-14,
            abs: 0.0,
        },
        "nested_while",
    );
}

/// Three levels: `for`, a `for` over a range computed from the outer counter, a `while`.
#[differentiable]
fn triple(x: f64) -> f64 {
    let mut s = x;
    for i in 0..3 {
        for j in 0..i + 1 {
            let mut k = 0;
            while k < j {
                s = s * x + 0.01;
                k += 1;
            }
            s = s.sin() + x;
        }
    }
    s
}

#[test]
fn three_nested_loops() {
    for x in [0.4, -0.9] {
        check!(triple, triple_vjp, triple_grad, triple_jvp; (x | d_x); ; at (x,), smooth, SMOOTH);
    }
}

/// Loops inside the arms of an `if` expression and of a `match`.
#[differentiable]
fn loop_in_branches(x: f64, k: u32) -> f64 {
    let y = if x > 0.0 {
        let mut s = x;
        for _ in 0..3 {
            s *= s.cos();
        }
        s
    } else {
        x * x
    };
    let z = match k {
        0 => y,
        1 => {
            let mut s = 0.0;
            for i in 0..5 {
                s += y.powi(i);
            }
            s
        }
        _ => {
            let mut s = y;
            let mut i = 0;
            while i < k {
                s = s.abs().sqrt() + 1.0;
                i += 1;
            }
            s
        }
    };
    z + x
}

#[test]
fn loops_inside_branches() {
    for x in [0.8, -0.6] {
        for k in [0, 1, 4] {
            check!(loop_in_branches, loop_in_branches_vjp, loop_in_branches_grad, loop_in_branches_jvp; (x | d_x); k; at (x,),
                |(x,): (f64,)| x > 0.0, SMOOTH);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Loops that overwrite their state: classic iterations
// ---------------------------------------------------------------------------------------------

/// The fixed-point iteration x = a cos(x).
#[differentiable]
fn fixed_cos(a: f64, x0: f64) -> f64 {
    let mut x = x0;
    for _ in 0..80 {
        x = x.cos() * a;
    }
    x
}

#[test]
fn fixed_point_iteration() {
    let a = 0.6;
    check!(fixed_cos, fixed_cos_vjp, fixed_cos_grad, fixed_cos_jvp; (a, x0 | d_a, d_x0); ; at (a, 1.0), smooth, LOOPY);
    // Converged: x* = a cos x*, so d x* / d a = cos x* / (1 + a sin x*), and x0 is forgotten.
    let x = fixed_cos(a, 1.0);
    let (da, dx0) = fixed_cos_grad(a, 1.0);
    assert_close(
        x.cos() / (1.0 + a * x.sin()),
        da,
        Tol {
            rel: 1e-12,
            abs: 0.0,
        },
        "d x* / d a",
    );
    assert!(dx0.abs() < 1e-30, "{dx0}");
}

/// A running maximum: `if v > m { m = v }`.
#[differentiable]
fn running_max(x: f64, n: usize) -> f64 {
    let mut m = -2.0;
    for i in 0..n {
        let v = (x * (i as f64 + 1.0)).sin();
        if v > m {
            m = v;
        }
    }
    m
}

fn running_max_arg(x: f64, n: usize) -> Option<usize> {
    let mut m = -2.0;
    let mut arg = None;
    for i in 0..n {
        let v = (x * (i as f64 + 1.0)).sin();
        if v > m {
            m = v;
            arg = Some(i);
        }
    }
    arg
}

/// A running maximum over an array, with an index walking in a `while`.
#[differentiable]
fn array_max(xs: [f64; 5]) -> f64 {
    let mut m = xs[0];
    let mut i = 1;
    while i < 5 {
        if xs[i] > m {
            m = xs[i];
        }
        i += 1;
    }
    m * m
}

#[test]
fn running_maximum() {
    for (x, n) in [(0.7, 6), (0.3, 8), (2.9, 5), (0.7, 0)] {
        check!(running_max, running_max_vjp, running_max_grad, running_max_jvp; (x | d_x); n; at (x,),
            |(x,): (f64,)| running_max_arg(x, n), SMOOTH);
    }
    // x = 0.7, n = 6: the maximum is sin(1.4), at i = 1.
    assert_eq!(running_max_arg(0.7, 6), Some(1));
    assert_close(
        2.0 * 1.4f64.cos(),
        running_max_grad(0.7, 6).0,
        Tol {
            rel: 1e-15,
            abs: 0.0,
        },
        "",
    );
    assert_eq!(running_max_grad(0.7, 0), (0.0,));

    let xs = [0.5, 2.0, -1.0, 3.0, 2.5];
    let argmax = |xs: [f64; 5]| (0..5).fold(0, |a, i| if xs[i] > xs[a] { i } else { a });
    check_grad(
        |(xs,)| array_max(xs),
        |(xs,), v| array_max_vjp(xs, v),
        |(xs,)| array_max_grad(xs),
        |(xs,), (dxs,)| array_max_jvp(xs, dxs),
        |(xs,)| argmax(xs),
        (xs,),
        SMOOTH,
    );
    assert_eq!(array_max_grad(xs), ([0.0, 0.0, 0.0, 6.0, 0.0],));
}

/// Compound interest with yearly deposits.
#[differentiable]
fn compound(principal: f64, rate: f64, deposit: f64, years: u32) -> f64 {
    let mut b = principal;
    for _ in 0..years {
        b = b * (1.0 + rate) + deposit;
    }
    b
}

#[test]
fn compound_interest() {
    let (p, r, d, n) = (1000.0, 0.05, 100.0, 30);
    check!(compound, compound_vjp, compound_grad, compound_jvp; (p, r, d | d_p, d_r, d_d); n; at (p, r, d), smooth, SMOOTH);
    let (dp, dr, dd) = compound_grad(p, r, d, n);
    let g = (1.0f64 + r).powi(n as i32);
    let tight = Tol {
        rel: 1e-12,
        abs: 0.0,
    };
    assert_close(g, dp, tight, "d / d principal");
    assert_close((g - 1.0) / r, dd, tight, "d / d deposit");
    // b = P g + d (g - 1) / r, g = (1 + r)^n.
    let dg = n as f64 * (1.0f64 + r).powi(n as i32 - 1);
    assert_close(
        p * dg + d * (dg * r - (g - 1.0)) / (r * r),
        dr,
        Tol {
            rel: 1e-10,
            abs: 0.0,
        },
        "d / d rate",
    );
}

/// Gradient descent on a(w - c)^2 inside the function; the loss at the end.
#[differentiable]
fn descend(w0: f64, a: f64, c: f64, lr: f64, steps: usize) -> f64 {
    let mut w = w0;
    for _ in 0..steps {
        let g = 2.0 * a * (w - c);
        w -= lr * g;
    }
    a * (w - c) * (w - c)
}

#[test]
fn gradient_descent_inside() {
    let (w0, a, c, lr) = (3.0, 1.5, 0.5, 0.1);
    for steps in [0, 1, 25] {
        check!(descend, descend_vjp, descend_grad, descend_jvp; (w0, a, c, lr | d_w0, d_a, d_c, d_lr); steps; at (w0, a, c, lr), smooth, SMOOTH);
    }
    // w_n = c + (w0 - c) q^n with q = 1 - 2 a lr: loss = a (w0 - c)^2 q^(2n).
    let q = 1.0f64 - 2.0 * a * lr;
    let (dw0, _, dc, dlr) = descend_grad(w0, a, c, lr, 25);
    let tight = Tol {
        rel: 1e-12,
        abs: 0.0,
    };
    assert_close(2.0 * a * (w0 - c) * q.powi(50), dw0, tight, "d / d w0");
    assert_close(-dw0, dc, tight, "d / d c");
    let dq_dlr = -2.0 * a;
    assert_close(
        a * (w0 - c).powi(2) * 50.0 * q.powi(49) * dq_dlr,
        dlr,
        tight,
        "d / d lr",
    );
}

/// Euler integration of a damped oscillator x'' = -k x - c x'; returns the final state.
#[differentiable]
fn euler(x0: f64, v0: f64, k: f64, c: f64, n: usize) -> (f64, f64) {
    let dt = 0.01;
    let mut x = x0;
    let mut v = v0;
    for _ in 0..n {
        let a = -k * x - c * v;
        x += dt * v;
        v += dt * a;
    }
    (x, v)
}

/// Euler for x' = -k x: x_n = x0 (1 - k dt)^n.
#[differentiable]
fn euler_decay(x0: f64, k: f64, n: i32) -> f64 {
    let dt = 0.05;
    let mut x = x0;
    let mut i = 0;
    while i < n {
        x -= dt * k * x;
        i += 1;
    }
    x
}

#[test]
fn euler_integration() {
    for n in [0, 1, 300] {
        check(
            |(x0, v0, k, c)| euler(x0, v0, k, c, n),
            |(x0, v0, k, c), w| euler_vjp(x0, v0, k, c, n, w),
            |(x0, v0, k, c), (dx0, dv0, dk, dc)| euler_jvp(x0, dx0, v0, dv0, k, dk, c, dc, n),
            smooth,
            (1.0, 0.5, 4.0, 0.3),
            SMOOTH,
        );
    }
    let (x0, k, n) = (2.0, 1.3, 40);
    check!(euler_decay, euler_decay_vjp, euler_decay_grad, euler_decay_jvp; (x0, k | d_x0, d_k); n; at (x0, k), smooth, SMOOTH);
    let q = 1.0f64 - 0.05 * k;
    let (dx0, dk) = euler_decay_grad(x0, k, n);
    let tight = Tol {
        rel: 1e-12,
        abs: 0.0,
    };
    assert_close(q.powi(n), dx0, tight, "d / d x0");
    assert_close(x0 * n as f64 * q.powi(n - 1) * -0.05, dk, tight, "d / d k");
}

/// Bisection for sqrt(a) on [0, a + 1]: the bracket depends on the active `a`.
#[differentiable]
fn bisect_sqrt(a: f64, n: usize) -> f64 {
    let mut lo = 0.0;
    let mut hi = a + 1.0;
    for _ in 0..n {
        let mid = 0.5 * (lo + hi);
        if mid * mid > a {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

fn bisect_path(a: f64, n: usize) -> Vec<bool> {
    let mut lo = 0.0;
    let mut hi = a + 1.0;
    let mut path = Vec::new();
    for _ in 0..n {
        let mid = 0.5 * (lo + hi);
        path.push(mid * mid > a);
        if mid * mid > a {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    path
}

#[test]
fn bisection() {
    for (a, n) in [(2.0, 8), (0.3, 6), (5.0, 0)] {
        check!(bisect_sqrt, bisect_sqrt_vjp, bisect_sqrt_grad, bisect_sqrt_jvp; (a | d_a); n; at (a,),
            |(a,): (f64,)| bisect_path(a, n), SMOOTH);
    }
    // The result is a fixed dyadic fraction of the bracket a + 1 along a fixed path: its
    // derivative is that fraction, result / (a + 1).
    let a = 2.0;
    assert_eq!(bisect_sqrt_grad(a, 8), (bisect_sqrt(a, 8) / (a + 1.0),));
}

// ---------------------------------------------------------------------------------------------
// Locals in loops and branches
// ---------------------------------------------------------------------------------------------

/// `let`s inside a loop body that shadow a parameter; the parameter again after the loop.
#[differentiable]
fn shadow_in_loop(x: f64, n: usize) -> f64 {
    let mut s = 0.5;
    for i in 0..n {
        let x = x * (i as f64 + 1.0);
        let x = x.sin() + s;
        s = x * 0.5;
    }
    s + x
}

#[test]
fn shadowing_inside_loop() {
    for n in [0, 1, 6] {
        check!(shadow_in_loop, shadow_in_loop_vjp, shadow_in_loop_grad, shadow_in_loop_jvp; (x | d_x); n; at (0.35,), smooth, SMOOTH);
    }
    assert_eq!(shadow_in_loop_grad(0.35, 0), (1.0,));
}

/// Two accumulators reassigned in different arms of a branch inside a loop.
#[differentiable]
fn reassign_in_branches(x: f64, n: usize) -> f64 {
    let mut s = x;
    let mut t = 1.0;
    for i in 0..n {
        if i % 2 == 0 {
            s *= x;
            t += s;
        } else {
            let u = s + t;
            s = u.sin();
        }
    }
    s + t
}

#[test]
fn reassignment_in_branches_in_loop() {
    for n in [0, 1, 2, 7] {
        check!(reassign_in_branches, reassign_in_branches_vjp, reassign_in_branches_grad, reassign_in_branches_jvp; (x | d_x); n; at (0.9,), smooth, SMOOTH);
    }
}

/// A tuple updated field by field in a loop: n rotations by theta.
#[differentiable]
fn rotate(x: f64, y: f64, theta: f64, n: usize) -> f64 {
    let mut p = (x, y);
    let (s, c) = (theta.sin(), theta.cos());
    for _ in 0..n {
        let t = p.0;
        p.0 = t * c - p.1 * s;
        p.1 = t * s + p.1 * c;
    }
    p.0 + 2.0 * p.1
}

#[test]
fn tuple_updated_in_loop() {
    for n in [0, 1, 12] {
        check!(rotate, rotate_vjp, rotate_grad, rotate_jvp; (x, y, theta | d_x, d_y, d_theta); n; at (0.6, -0.2, 0.3), smooth, SMOOTH);
    }
    // After n rotations by theta: p = R(n theta) (x, y).
    let (x, y, theta, n) = (0.6, -0.2, 0.3, 12);
    let phi = n as f64 * theta;
    let (dx, dy, dtheta) = rotate_grad(x, y, theta, n);
    let tight = Tol {
        rel: 1e-12,
        abs: 1e-14,
    };
    assert_close(phi.cos() + 2.0 * phi.sin(), dx, tight, "dx");
    assert_close(-phi.sin() + 2.0 * phi.cos(), dy, tight, "dy");
    let d_phi = (-x * phi.sin() - y * phi.cos()) + 2.0 * (x * phi.cos() - y * phi.sin());
    assert_close(n as f64 * d_phi, dtheta, tight, "dtheta");
}

/// An array updated at a computed index in a loop.
#[differentiable]
fn array_shuffle(x: f64, y: f64, n: usize) -> f64 {
    let mut a = [x, y, 0.5];
    for i in 0..n {
        let j = (i + 1) % 3;
        a[i % 3] = a[j] * x + a[i % 3] * 0.5;
    }
    a[0] + a[1] * a[2]
}

#[test]
fn array_updated_in_loop() {
    for n in [0, 1, 2, 3, 10] {
        check!(array_shuffle, array_shuffle_vjp, array_shuffle_grad, array_shuffle_jvp; (x, y | d_x, d_y); n; at (0.7, -1.2), smooth, SMOOTH);
    }
}

/// A loop whose body does not touch any active value.
#[differentiable]
fn inactive_loop(x: f64, n: usize) -> f64 {
    let mut k = 0;
    for i in 0..n {
        k += i * i;
    }
    x * k as f64 + x.sin()
}

#[test]
fn loop_without_active_values() {
    for n in [0, 4] {
        check!(inactive_loop, inactive_loop_vjp, inactive_loop_grad, inactive_loop_jvp; (x | d_x); n; at (0.2,), smooth, SMOOTH);
    }
    assert_eq!(inactive_loop_grad(0.2, 4), (14.0 + 0.2f64.cos(),));
    assert_eq!(inactive_loop_grad(0.2, 0), (0.2f64.cos(),));
}

/// A value computed before a loop, read in it, and reassigned after it.
#[differentiable]
fn invariant_then_overwritten(x: f64, n: usize) -> f64 {
    let mut a = x.sin();
    let mut s = 0.0;
    for i in 0..n {
        s += a * (i as f64);
    }
    a *= s;
    s + a
}

#[test]
fn loop_invariant_overwritten_after() {
    for n in [0, 1, 5] {
        check!(invariant_then_overwritten, invariant_then_overwritten_vjp, invariant_then_overwritten_grad, invariant_then_overwritten_jvp; (x | d_x); n;
            at (0.4,), smooth, SMOOTH);
    }
    // n = 5: s = 10 sin x, a = 10 sin^2 x: result 10 sin x + 10 sin^2 x.
    let x = 0.4f64;
    assert_close(
        10.0 * x.cos() + 20.0 * x.sin() * x.cos(),
        invariant_then_overwritten_grad(x, 5).0,
        Tol {
            rel: 1e-14,
            abs: 0.0,
        },
        "",
    );
}

/// Compound assignments `-=`, `*=`, `/=` on the loop's state, a `let` in the body.
#[differentiable]
fn compound_ops(x: f64, y: f64, n: usize) -> f64 {
    let mut s = x;
    let mut p = y;
    for i in 0..n {
        let w = (i as f64 + 2.0).ln();
        s -= w * p;
        p *= 0.9;
        s /= 1.0 + x * x;
        p += s * 0.01;
    }
    s * p
}

#[test]
fn compound_assignments_in_loop() {
    for n in [0, 1, 8] {
        check!(compound_ops, compound_ops_vjp, compound_ops_grad, compound_ops_jvp; (x, y | d_x, d_y); n; at (0.5, 1.5), smooth, SMOOTH);
    }
}

/// Locals named like the generated code's own (`tape`, `trips`, `iterator`, `t0`, `bar_*`,
/// `took_*`), and a parameter named `v` (the name of the cotangent parameter).
#[differentiable]
fn hygiene(v: f64, n: usize) -> f64 {
    let mut tape = v;
    let mut trips = 0.0;
    let iterator = 2.0;
    for i in 0..n {
        let t0 = tape * iterator;
        let bar_tape = t0.sin();
        tape = bar_tape + 0.1 * (i as f64);
        trips += tape;
    }
    let took_tape = tape;
    let bar_v = v * 3.0;
    trips + took_tape + bar_v
}

#[test]
fn generated_names_do_not_clash() {
    for n in [0, 1, 4] {
        check!(hygiene, hygiene_vjp, hygiene_grad, hygiene_jvp; (v | d_v); n; at (0.3,), smooth, SMOOTH);
    }
    assert_eq!(hygiene_grad(0.3, 0), (4.0,));
}

/// An integer counter that both drives a `while` and enters the float computation, with an
/// `else if` on it inside the loop.
#[differentiable]
fn counter_in_body(x: f64) -> f64 {
    let mut s = 0.0;
    let mut k: i32 = -3;
    while k <= 3 {
        if k < 0 {
            s += x.powi(-k);
        } else if k == 0 {
            s *= 2.0;
        } else {
            s += (k as f64) * x.sin();
        }
        k += 1;
    }
    s
}

#[test]
fn integer_counter_in_body() {
    check!(counter_in_body, counter_in_body_vjp, counter_in_body_grad, counter_in_body_jvp; (x | d_x); ; at (0.7,), smooth, SMOOTH);
    // s = 2 (x^3 + x^2 + x) + 6 sin x.
    let x = 0.7f64;
    assert_close(
        2.0 * (3.0 * x * x + 2.0 * x + 1.0) + 6.0 * x.cos(),
        counter_in_body_grad(x).0,
        Tol {
            rel: 1e-14,
            abs: 0.0,
        },
        "",
    );
}

// ---------------------------------------------------------------------------------------------
// A million iterations
// ---------------------------------------------------------------------------------------------

const MILLION: usize = 1_000_000;

/// x <- x (1 - k 1e-6) + 1e-6 sin(i), a million times.
#[differentiable]
fn million_for(x0: f64, k: f64) -> f64 {
    let mut x = x0;
    for i in 0..1_000_000 {
        x = x * (1.0 - k * 1e-6) + 1e-6 * (i as f64).sin();
    }
    x
}

/// y <- y - dt k y in a `while`, a million times: y = y0 (1 - k dt)^N.
#[differentiable]
fn million_while(y0: f64, k: f64) -> f64 {
    let dt = 1e-6;
    let mut y = y0;
    let mut i = 0;
    while i < 1_000_000 {
        y += dt * (-k * y);
        i += 1;
    }
    y
}

/// A million trips of a `loop` with a branch in the body and a `break` at the end.
#[differentiable]
fn million_loop(x: f64, c: f64) -> f64 {
    let mut s = 0.0;
    let mut i = 0usize;
    loop {
        if i % 2 == 0 {
            s += x * 1e-6;
        } else {
            s = s * (1.0 - 1e-6) + c * 1e-6;
        }
        i += 1;
        if i == 1_000_000 {
            break;
        }
    }
    s
}

#[test]
fn million_iterations_for() {
    let (x0, k) = (0.8, 1.2);
    let (dx0, dk) = million_for_grad(x0, k);
    // d x_N / d x0 = q^N, q = 1 - k 1e-6.
    let q = 1.0 - k * 1e-6;
    assert_close(
        q.powi(MILLION as i32),
        dx0,
        Tol {
            rel: 1e-9,
            abs: 0.0,
        },
        "d / d x0",
    );
    // d x_N / d k by forward propagation of the tangent alongside the iteration.
    let (mut x, mut t) = (x0, 0.0);
    for i in 0..MILLION {
        t = t * q - x * 1e-6;
        x = x * q + 1e-6 * (i as f64).sin();
    }
    assert_eq!(x, million_for(x0, k));
    assert_close(
        t,
        dk,
        Tol {
            rel: 1e-9,
            abs: 0.0,
        },
        "d / d k",
    );
    check!(million_for, million_for_vjp, million_for_grad, million_for_jvp; (x0, k | d_x0, d_k); ; at (x0, k), smooth, LOOPY);
}

#[test]
fn million_iterations_while() {
    let (y0, k) = (1.5, 0.7);
    let n = MILLION as i32;
    let q = 1.0 - k * 1e-6;
    let (dy0, dk) = million_while_grad(y0, k);
    assert_close(
        q.powi(n),
        dy0,
        Tol {
            rel: 1e-9,
            abs: 0.0,
        },
        "d / d y0",
    );
    assert_close(
        y0 * n as f64 * q.powi(n - 1) * -1e-6,
        dk,
        Tol {
            rel: 1e-9,
            abs: 0.0,
        },
        "d / d k",
    );
    check!(million_while, million_while_vjp, million_while_grad, million_while_jvp; (y0, k | d_y0, d_k); ; at (y0, k), smooth, LOOPY);
}

#[test]
fn million_iterations_loop_with_branch() {
    let (x, c) = (0.9, 2.0);
    let (dx, dc) = million_loop_grad(x, c);
    // Odd steps decay by q and add c 1e-6; even steps add x 1e-6. Pair j (0-based) adds
    // x 1e-6 q + c 1e-6 and is then decayed by q^(N/2 - 1 - j).
    let q = 1.0f64 - 1e-6;
    let pairs = MILLION as i32 / 2;
    let geometric = (1.0 - q.powi(pairs)) / (1.0 - q);
    assert_close(
        1e-6 * q * geometric,
        dx,
        Tol {
            rel: 1e-8,
            abs: 0.0,
        },
        "d / d x",
    );
    assert_close(
        1e-6 * geometric,
        dc,
        Tol {
            rel: 1e-8,
            abs: 0.0,
        },
        "d / d c",
    );
    check!(million_loop, million_loop_vjp, million_loop_grad, million_loop_jvp; (x, c | d_x, d_c); ; at (x, c), smooth, LOOPY);
}

// ---------------------------------------------------------------------------------------------
// More shapes of control flow
// ---------------------------------------------------------------------------------------------

/// A `let mut` in the loop body that shadows the loop-carried name: the outer variable is not
/// changed by the loop.
#[differentiable]
fn shadow_mut(x: f64, n: usize) -> f64 {
    let mut s = x;
    let mut acc = 0.0;
    for _ in 0..n {
        let mut s = s * x;
        s += 1.0;
        acc += s;
    }
    s *= 2.0;
    s + acc
}

#[test]
fn shadowing_with_let_mut_in_loop() {
    for n in [0, 1, 3] {
        check!(shadow_mut, shadow_mut_vjp, shadow_mut_grad, shadow_mut_jvp; (x | d_x); n; at (0.7,), smooth, SMOOTH);
    }
    // n = 3: 2x + 3 (x^2 + 1): derivative 2 + 6x.
    assert_close(
        2.0 + 6.0 * 0.7,
        shadow_mut_grad(0.7, 3).0,
        Tol {
            rel: 1e-15,
            abs: 0.0,
        },
        "",
    );
}

/// The outer state read by an inner loop (loop-invariant there) and overwritten after it, and a
/// local of the outer body computed before the inner loop and read in it.
#[differentiable]
fn inner_reads_outer(x: f64, n: usize, m: i32) -> f64 {
    let mut s = x;
    for _ in 0..n {
        let w = s.cos();
        let mut t = 0.0;
        for j in 0..m {
            t += s * x.powi(j) + w;
        }
        s = t.sin();
    }
    s
}

#[test]
fn inner_loop_reads_outer_state() {
    for (n, m) in [(1, 3), (4, 3), (3, 0), (0, 2)] {
        check!(inner_reads_outer, inner_reads_outer_vjp, inner_reads_outer_grad, inner_reads_outer_jvp; (x | d_x); n, m; at (0.6,), smooth, SMOOTH);
    }
}

/// A `bool` and an integer carried by the loop decide the branch in the next iteration.
#[differentiable]
fn alternating(x: f64, n: usize) -> f64 {
    let mut s = 1.0;
    let mut flag = false;
    let mut j = 0i64;
    for _ in 0..n {
        if flag {
            s *= x;
        } else {
            s += x * (j as f64);
        }
        flag = !flag;
        j += 2;
    }
    s
}

#[test]
fn inactive_state_carried_by_loop() {
    for n in [0, 1, 2, 5] {
        check!(alternating, alternating_vjp, alternating_grad, alternating_jvp; (x | d_x); n; at (1.3,), smooth, SMOOTH);
    }
    // n = 3: ((1 + 0) x) + 4x = 5x.
    assert_eq!(alternating_grad(1.3, 3), (5.0,));
}

/// `mut` parameters: the active one reassigned in a loop, the inactive one counted down.
#[differentiable]
fn mut_params(mut x: f64, mut n: u32) -> f64 {
    while n > 0 {
        x = x.sin() + 0.5 * x;
        n -= 1;
    }
    x
}

#[test]
fn mutable_parameters() {
    for n in [0, 1, 6] {
        check!(mut_params, mut_params_vjp, mut_params_grad, mut_params_jvp; (x | d_x); n; at (0.8,), smooth, SMOOTH);
    }
    assert_eq!(mut_params_grad(0.8, 0), (1.0,));
}

/// A `loop` with a `break` inside the arms of a block expression assigned by `let`.
#[differentiable]
fn loop_in_block(x: f64) -> f64 {
    let y = {
        let mut s = x;
        loop {
            s *= 1.5;
            if s > 10.0 {
                break;
            }
        }
        s
    };
    let z = if x > 1.0 {
        let mut t = x;
        let mut k = 0;
        while k < 10 {
            k += 1;
            if k % 2 == 0 {
                continue;
            }
            t = t.sqrt() + 1.0;
        }
        t
    } else {
        x
    };
    y + z
}

fn loop_in_block_trips(x: f64) -> (u32, bool) {
    let mut s = x;
    let mut k = 0;
    loop {
        s *= 1.5;
        k += 1;
        if s > 10.0 {
            break;
        }
    }
    (k, x > 1.0)
}

#[test]
fn loops_with_break_inside_expressions() {
    for x in [0.7, 2.2] {
        check!(loop_in_block, loop_in_block_vjp, loop_in_block_grad, loop_in_block_jvp; (x | d_x); ; at (x,),
            |(x,): (f64,)| loop_in_block_trips(x), SMOOTH);
    }
}

/// A `break` and a `continue` in the arms of a `match` inside a loop.
#[differentiable]
fn match_break(x: f64) -> f64 {
    let mut s = x;
    let mut k = 0u32;
    loop {
        k += 1;
        match k % 3 {
            0 => s *= x,
            1 => {
                if s > 5.0 {
                    break;
                }
            }
            _ => continue,
        }
        s += 0.5;
    }
    s
}

fn match_break_trips(x: f64) -> u32 {
    let mut s = x;
    let mut k = 0u32;
    loop {
        k += 1;
        match k % 3 {
            0 => s *= x,
            1 => {
                if s > 5.0 {
                    return k;
                }
            }
            _ => continue,
        }
        s += 0.5;
    }
}

#[test]
fn break_and_continue_in_match_arms() {
    for x in [1.3, 2.5] {
        check!(match_break, match_break_vjp, match_break_grad, match_break_jvp; (x | d_x); ; at (x,),
            |(x,): (f64,)| match_break_trips(x), SMOOTH);
    }
}

/// A `return` in a `match` arm of the function's own statements.
#[differentiable]
fn match_return(x: f64, k: i32) -> f64 {
    match k {
        0 => return x.exp(),
        1 => {
            let y = x * 3.0;
            if y > 0.0 {
                return y.sqrt();
            }
        }
        _ => {}
    }
    x * x
}

#[test]
fn return_in_match_arm() {
    for (x, k) in [(0.5, 0), (0.5, 1), (-0.5, 1), (0.5, 2)] {
        check!(match_return, match_return_vjp, match_return_grad, match_return_jvp; (x | d_x); k; at (x,),
            |(x,): (f64,)| x > 0.0, SMOOTH);
    }
}

/// A `for` over `(a..=b).rev()` and one over `(a..b).rev().step_by(k)`.
#[differentiable]
fn rev_ranges(x: f64, n: u32) -> f64 {
    let mut s = x;
    for i in (1..=n).rev() {
        s = s * x / (i as f64) + 1.0;
    }
    for i in (0..n).rev().step_by(2) {
        s += (s * (i as f64 + 1.0)).sin();
    }
    s
}

#[test]
fn reversed_inclusive_and_strided_ranges() {
    for n in [0, 1, 5] {
        check!(rev_ranges, rev_ranges_vjp, rev_ranges_grad, rev_ranges_jvp; (x | d_x); n; at (0.45,), smooth, SMOOTH);
    }
}

/// A trip count computed from an active value through a cast to an integer.
#[differentiable]
fn cast_trip_count(x: f64) -> f64 {
    let n = (x * 3.0) as usize;
    let mut s = 0.0;
    for i in 0..n {
        s += x * (i as f64);
    }
    s
}

#[test]
fn trip_count_from_a_cast() {
    // x = 1.5: n = 4, s = 6x.
    check!(cast_trip_count, cast_trip_count_vjp, cast_trip_count_grad, cast_trip_count_jvp; (x | d_x); ; at (1.5,),
        |(x,): (f64,)| (x * 3.0) as usize, SMOOTH);
    assert_eq!(cast_trip_count_grad(1.5), (6.0,));
}

/// A `while` whose condition calls methods on the loop's active state.
#[differentiable]
fn converge(x: f64, target: f64) -> f64 {
    let mut s = x;
    let mut k = 0;
    while (s - target).abs() > 1e-3 && k < 100 {
        s = 0.5 * (s + target) + 0.0001 * s.sin();
        k += 1;
    }
    s
}

fn converge_trips(x: f64, target: f64) -> u32 {
    let mut s = x;
    let mut k = 0;
    while (s - target).abs() > 1e-3 && k < 100 {
        s = 0.5 * (s + target) + 0.0001 * s.sin();
        k += 1;
    }
    k
}

#[test]
fn while_condition_with_methods() {
    for p in [(3.0, 1.0), (-2.0, 0.5)] {
        check!(converge, converge_vjp, converge_grad, converge_jvp; (x, target | d_x, d_target); ; at p,
            |(x, t): (f64, f64)| converge_trips(x, t), SMOOTH);
    }
}

/// State updated after a `break` test in the same iteration (not run on the last trip).
#[differentiable]
fn break_mid(x: f64) -> f64 {
    let mut s = x;
    let mut t = 1.0;
    loop {
        s = s * 1.2 + 0.1;
        if s > 3.0 {
            break;
        }
        t = t * s + x;
        s += t * 0.01;
    }
    s + t
}

fn break_mid_trips(x: f64) -> u32 {
    let mut s = x;
    let mut t = 1.0;
    let mut k = 0;
    loop {
        k += 1;
        s = s * 1.2 + 0.1;
        if s > 3.0 {
            return k;
        }
        t = t * s + x;
        s += t * 0.01;
    }
}

#[test]
fn updates_after_a_break_test() {
    for x in [0.4, 1.0, 2.9] {
        check!(break_mid, break_mid_vjp, break_mid_grad, break_mid_jvp; (x | d_x); ; at (x,),
            |(x,): (f64,)| break_mid_trips(x), SMOOTH);
    }
}

/// A variable assigned only in a rarely taken branch of a loop and read after the loop.
#[differentiable]
fn capture(x: f64, n: usize) -> f64 {
    let mut last = x;
    let mut s = 0.0;
    for i in 0..n {
        s += x * (i as f64 + 1.0);
        if i == 2 {
            last = s * s;
        }
    }
    last + s
}

#[test]
fn assigned_in_one_iteration_read_after() {
    for n in [0, 2, 3, 6] {
        check!(capture, capture_vjp, capture_grad, capture_jvp; (x | d_x); n; at (0.9,), smooth, SMOOTH);
    }
    // n >= 3: last = (6x)^2.
    let x = 0.9;
    assert_close(
        72.0 * x + 21.0,
        capture_grad(x, 6).0,
        Tol {
            rel: 1e-15,
            abs: 0.0,
        },
        "",
    );
}

/// A loop reading a value that a later loop overwrites.
#[differentiable]
fn read_then_overwrite(x: f64, n: usize) -> f64 {
    let mut a = x;
    let mut s = 0.0;
    for i in 0..n {
        s += a * (i as f64);
    }
    for _ in 0..n {
        a *= 2.0 + a;
    }
    s * a
}

#[test]
fn loop_then_loop_overwriting_its_input() {
    for n in [0, 1, 3] {
        check!(read_then_overwrite, read_then_overwrite_vjp, read_then_overwrite_grad, read_then_overwrite_jvp; (x | d_x); n; at (0.3,), smooth, SMOOTH);
    }
}

/// An `if` expression assigned to the loop's state, with a condition on that state.
#[differentiable]
fn if_expr_in_loop(x: f64, n: usize) -> f64 {
    let mut s = x;
    for _ in 0..n {
        s = if s > 1.0 { s * 0.5 } else { s * x + 1.0 };
    }
    s
}

fn if_expr_in_loop_path(x: f64, n: usize) -> Vec<bool> {
    let mut s = x;
    let mut path = Vec::new();
    for _ in 0..n {
        path.push(s > 1.0);
        s = if s > 1.0 { s * 0.5 } else { s * x + 1.0 };
    }
    path
}

#[test]
fn if_expression_updating_loop_state() {
    for x in [0.3, 0.8, 3.0] {
        check!(if_expr_in_loop, if_expr_in_loop_vjp, if_expr_in_loop_grad, if_expr_in_loop_jvp; (x | d_x); 12; at (x,),
            |(x,): (f64,)| if_expr_in_loop_path(x, 12), SMOOTH);
    }
}

/// Swapping through a temporary in a loop: a Fibonacci recurrence, a_n = F(n-1) x + F(n) y.
#[differentiable]
fn fibonacci(x: f64, y: f64, n: usize) -> f64 {
    let mut a = x;
    let mut b = y;
    for _ in 0..n {
        let t = a + b;
        a = b;
        b = t;
    }
    a
}

#[test]
fn swap_through_temporary() {
    for n in [0, 1, 2, 10] {
        check!(fibonacci, fibonacci_vjp, fibonacci_grad, fibonacci_jvp; (x, y | d_x, d_y); n; at (0.5, 0.25), smooth, SMOOTH);
    }
    // F(9) = 34, F(10) = 55.
    assert_eq!(fibonacci_grad(0.5, 0.25, 10), (34.0, 55.0));
    assert_eq!(fibonacci_grad(0.5, 0.25, 0), (1.0, 0.0));
}

/// An `else if` chain in a loop with `continue` in the middle arm and a `break` in the last.
#[differentiable]
fn chain_in_loop(x: f64, n: usize) -> f64 {
    let mut s = x;
    for i in 0..n {
        if i % 3 == 0 {
            s *= 1.1;
        } else if i % 3 == 1 {
            s += x;
            continue;
        } else if s > 50.0 {
            break;
        } else {
            s = s.sqrt() * 3.0;
        }
        s += 0.25 * x;
    }
    s
}

fn chain_in_loop_trips(x: f64, n: usize) -> usize {
    let mut s = x;
    for i in 0..n {
        if i % 3 == 0 {
            s *= 1.1;
        } else if i % 3 == 1 {
            s += x;
            continue;
        } else if s > 50.0 {
            return i;
        } else {
            s = s.sqrt() * 3.0;
        }
        s += 0.25 * x;
    }
    n
}

#[test]
fn else_if_chain_with_continue_and_break() {
    for (x, n) in [(0.8, 10), (30.0, 10), (2.0, 0)] {
        check!(chain_in_loop, chain_in_loop_vjp, chain_in_loop_grad, chain_in_loop_jvp; (x | d_x); n; at (x,),
            |(x,): (f64,)| chain_in_loop_trips(x, n), SMOOTH);
    }
}

/// A `bool` local computed from an active comparison, tested before and inside a loop, and a
/// condition on the loop's state.
#[differentiable]
fn bool_local(x: f64, y: f64) -> f64 {
    let big = x > 1.0;
    let mut s = y;
    if big {
        s *= x;
    }
    for i in 0..4 {
        if big && i % 2 == 0 {
            s += x.ln();
        }
        if s <= y {
            s += 0.5 * y;
        }
    }
    s
}

#[test]
fn bool_locals_in_conditions() {
    for p in [(2.0, 0.5), (0.5, 0.5), (0.5, -2.0)] {
        check!(bool_local, bool_local_vjp, bool_local_grad, bool_local_jvp; (x, y | d_x, d_y); ; at p,
            |(x, y): (f64, f64)| {
                let mut path = vec![x > 1.0];
                let mut s = if x > 1.0 { y * x } else { y };
                for i in 0..4 {
                    if x > 1.0 && i % 2 == 0 {
                        s += x.ln();
                    }
                    path.push(s > y);
                    if s <= y {
                        s += 0.5 * y;
                    }
                }
                path
            }, SMOOTH);
    }
}

/// An integer counter driven by an active condition, used as a float after the loop.
#[differentiable]
fn count_up(x: f64) -> f64 {
    let mut k = 0;
    while (k as f64) < x * 10.0 {
        k += 1;
    }
    x * k as f64
}

#[test]
fn counter_from_active_condition() {
    // x = 0.75: k = 8 (the first k with k >= 7.5).
    check!(count_up, count_up_vjp, count_up_grad, count_up_jvp; (x | d_x); ; at (0.75,),
        |(x,): (f64,)| (x * 10.0).ceil(), SMOOTH);
    assert_eq!(count_up_grad(0.75), (8.0,));
}

/// A loop returning an array: running products.
#[differentiable]
fn running_products(x: f64, y: f64) -> [f64; 4] {
    let mut out = [0.0; 4];
    let mut p = 1.0;
    let mut i = 0;
    while i < 4 {
        p *= x + (i as f64) * y;
        out[i] = p;
        i += 1;
    }
    out
}

#[test]
fn loop_filling_an_array() {
    check(
        |(x, y)| running_products(x, y),
        |(x, y), v| running_products_vjp(x, y, v),
        |(x, y), (dx, dy)| running_products_jvp(x, dx, y, dy),
        smooth,
        (0.6, 0.3),
        SMOOTH,
    );
}

/// The loop's state shadowed by a `let` after it was updated, in the same body.
#[differentiable]
fn shadow_after_update(x: f64, n: usize) -> f64 {
    let mut s = x;
    let mut acc = 0.0;
    for _ in 0..n {
        s *= 0.9 + 0.1 * x;
        let s = s + 1.0;
        acc += s * s;
    }
    acc + s
}

#[test]
fn shadowing_after_update_in_loop() {
    for n in [0, 1, 5] {
        check!(shadow_after_update, shadow_after_update_vjp, shadow_after_update_grad, shadow_after_update_jvp; (x | d_x); n; at (0.7,), smooth, SMOOTH);
    }
}

/// A loop counter that shadows an active parameter inside the loop.
#[differentiable]
fn counter_shadows_param(x: f64, y: f64, n: usize) -> f64 {
    let mut s = y;
    for x in 0..n {
        s += y * (x as f64);
    }
    s * x
}

#[test]
fn loop_counter_shadowing_a_parameter() {
    for n in [0, 4] {
        check!(counter_shadows_param, counter_shadows_param_vjp, counter_shadows_param_grad, counter_shadows_param_jvp; (x, y | d_x, d_y); n;
            at (1.5, 0.5), smooth, SMOOTH);
    }
    // n = 4: s = 7y, result 7xy.
    assert_eq!(counter_shadows_param_grad(1.5, 0.5, 4), (3.5, 10.5));
}

/// A constant in one arm of an `if` expression, an active value in the other.
#[differentiable]
fn const_arm(x: f64, y: f64) -> f64 {
    let a = if x > 0.0 { 1.0 } else { y };
    let b = if y > 0.0 { x * y } else { 2.0 };
    a * b + x
}

#[test]
fn constant_in_one_arm() {
    for p in [(0.5, 0.5), (0.5, -0.5), (-0.5, 0.5), (-0.5, -0.5)] {
        check!(const_arm, const_arm_vjp, const_arm_grad, const_arm_jvp; (x, y | d_x, d_y); ; at p,
            |(x, y): (f64, f64)| (x > 0.0, y > 0.0), SMOOTH);
    }
    assert_eq!(const_arm_grad(0.5, -0.5), (1.0, 0.0));
}

/// A `#[no_grad]` float parameter in the conditions of a `while` and an `if`.
#[differentiable]
fn no_grad_threshold(x: f64, #[no_grad] limit: f64) -> f64 {
    let mut s = x;
    while s < limit {
        s = s * 1.5 + x;
    }
    if s > 2.0 * limit {
        s = s.sqrt();
    }
    s
}

fn no_grad_threshold_path(x: f64, limit: f64) -> (u32, bool) {
    let mut s = x;
    let mut k = 0;
    while s < limit {
        s = s * 1.5 + x;
        k += 1;
    }
    (k, s > 2.0 * limit)
}

#[test]
fn no_grad_parameter_in_conditions() {
    for (x, limit) in [(0.3, 10.0), (7.0, 10.0), (25.0, 10.0)] {
        check!(no_grad_threshold, no_grad_threshold_vjp, no_grad_threshold_grad, no_grad_threshold_jvp; (x | d_x); limit; at (x,),
            |(x,): (f64,)| no_grad_threshold_path(x, limit), SMOOTH);
    }
}

/// An early `return` of a tuple from a branch, the normal path through a loop.
#[differentiable]
fn tuple_return(x: f64, y: f64, n: usize) -> (f64, f64) {
    if x < 0.0 {
        return (y, x * y);
    }
    let mut p = (x, y);
    for _ in 0..n {
        p = (p.0 * p.1, p.0 + p.1);
    }
    p
}

#[test]
fn early_return_of_a_tuple() {
    for (x, n) in [(-0.5, 3), (0.5, 3), (0.5, 0)] {
        check(
            |(x, y)| tuple_return(x, y, n),
            |(x, y), v| tuple_return_vjp(x, y, n, v),
            |(x, y), (dx, dy)| tuple_return_jvp(x, dx, y, dy, n),
            |(x, _): (f64, f64)| x < 0.0,
            (x, 1.2),
            SMOOTH,
        );
    }
}

/// Deeply nested early returns with a loop in the fall-through path.
#[differentiable]
fn deep_return(x: f64, y: f64) -> f64 {
    let mut s = x + y;
    if x > 0.0 {
        if y > 0.0 {
            return s * s;
        } else {
            s *= 3.0;
        }
    } else if y > 1.0 {
        return y.ln() * x;
    }
    for i in 0..3 {
        s = s * 0.5 + (i as f64) * y;
    }
    s
}

#[test]
fn nested_early_returns() {
    for p in [(0.5, 0.5), (0.5, -0.5), (-0.5, 2.0), (-0.5, 0.5)] {
        check!(deep_return, deep_return_vjp, deep_return_grad, deep_return_jvp; (x, y | d_x, d_y); ; at p,
            |(x, y): (f64, f64)| (x > 0.0, y > 0.0, y > 1.0), SMOOTH);
    }
}

/// A `loop` that breaks at its top before doing anything when `n == 0`.
#[differentiable]
fn do_while(x: f64, n: u32) -> f64 {
    let mut s = x;
    let mut k = 0;
    loop {
        if k >= n {
            break;
        }
        s = s * s * 0.5 + x;
        k += 1;
    }
    s
}

#[test]
fn loop_that_breaks_at_its_top() {
    for n in [0, 1, 4] {
        check!(do_while, do_while_vjp, do_while_grad, do_while_jvp; (x | d_x); n; at (0.6,), smooth, SMOOTH);
    }
    assert_eq!(do_while_vjp(0.6, 0, 3.0), (0.6, (3.0,)));
}

/// A destructuring assignment swapping the loop's state.
#[differentiable]
fn fib_destructure(x: f64, y: f64, n: usize) -> f64 {
    let mut a = x;
    let mut b = y;
    for _ in 0..n {
        (a, b) = (b, a + b);
    }
    a
}

#[test]
fn destructuring_assignment_in_loop() {
    assert_eq!(fib_destructure_grad(0.5, 0.25, 10), (34.0, 55.0));
    check!(fib_destructure, fib_destructure_vjp, fib_destructure_grad, fib_destructure_jvp; (x, y | d_x, d_y); 7; at (0.5, 0.25), smooth, SMOOTH);
}

/// The same swap through a tuple local and through an array local.
#[differentiable]
fn fib_tuple_local(x: f64, y: f64, n: usize) -> f64 {
    let mut a = x;
    let mut b = y;
    for _ in 0..n {
        let t = (b, a + b);
        a = t.0;
        b = t.1;
    }
    a
}

#[differentiable]
fn fib_array_local(x: f64, y: f64, n: usize) -> f64 {
    let mut a = x;
    let mut b = y;
    for _ in 0..n {
        let t = [b, a + b];
        a = t[0];
        b = t[1];
    }
    a
}

#[test]
fn aggregate_temporaries_in_loop() {
    assert_eq!(fib_tuple_local_grad(0.5, 0.25, 10), (34.0, 55.0));
    assert_eq!(fib_array_local_grad(0.5, 0.25, 10), (34.0, 55.0));
    check!(fib_tuple_local, fib_tuple_local_vjp, fib_tuple_local_grad, fib_tuple_local_jvp; (x, y | d_x, d_y); 7; at (0.5, 0.25), smooth, SMOOTH);
    check!(fib_array_local, fib_array_local_vjp, fib_array_local_grad, fib_array_local_jvp; (x, y | d_x, d_y); 7; at (0.5, 0.25), smooth, SMOOTH);
}

/* NOT SUPPORTED, with two errors whose messages do not say what is wrong: a labelled block left
   with `break 'label`.
   error: this expression assigns to a local variable in a way vjp cannot follow
          = help: write the assignment as its own statement
       --> tests/control_flow.rs:      'done: {
                                       ^^^^^
   error: this expression cannot be differentiated
          = help: use the constructs listed in the README
       --> tests/control_flow.rs:      'done: { ... }
   Put this back when supported:

/// A labelled block left early with `break 'label`.
#[differentiable]
fn labelled_block(x: f64) -> f64 {
    let mut s = x * x;
    'done: {
        if s > 1.0 {
            break 'done;
        }
        s = s.sqrt() + 1.0;
    }
    s
}

#[test]
fn labelled_block_break() {
    for x in [2.0, 0.5] {
        check!(labelled_block, labelled_block_vjp, labelled_block_grad, labelled_block_jvp; (x | d_x); ; at (x,), |(x,): (f64,)| x * x > 1.0, SMOOTH);
    }
}
*/

/// A tuple of an active and an inactive component carried by a loop.
#[differentiable]
fn mixed_tuple_state(x: f64, n: u32) -> f64 {
    let mut st = (x, 0u32);
    while st.1 < n {
        st.0 = st.0 * x + (st.1 as f64);
        st.1 += 1;
    }
    st.0
}

#[test]
fn mixed_tuple_loop_state() {
    for n in [0, 1, 5] {
        check!(mixed_tuple_state, mixed_tuple_state_vjp, mixed_tuple_state_grad, mixed_tuple_state_jvp; (x | d_x); n; at (0.8,), smooth, SMOOTH);
    }
}

/// A call to a plain function of inactive values inside a loop whose result the reverse sweep
/// needs: saved by the forward sweep (vjp cannot tell that a call gives the same value twice).
fn weight(i: usize) -> f64 {
    1.0 / (1.0 + i as f64)
}

/// A plain (non-differentiable) function of the counter, called in the loop body.
#[differentiable]
fn weighted(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        let w = weight(i);
        s += (x * w).sin() * w;
    }
    s
}

#[test]
fn inactive_call_in_loop() {
    check!(weighted, weighted_vjp, weighted_grad, weighted_jvp; (x | d_x); 6; at (0.9,), smooth, SMOOTH);
    let expected: f64 = (0..6)
        .map(|i| (0.9 * weight(i)).cos() * weight(i) * weight(i))
        .sum();
    assert_close(
        expected,
        weighted_grad(0.9, 6).0,
        Tol {
            rel: 1e-14,
            abs: 0.0,
        },
        "",
    );
}

/// The running maximum written with `max` instead of `if`: the same derivative away from ties.
#[differentiable]
fn running_max_method(x: f64, n: usize) -> f64 {
    let mut m: f64 = -2.0;
    for i in 0..n {
        m = m.max((x * (i as f64 + 1.0)).sin());
    }
    m
}

#[test]
fn running_maximum_with_max() {
    for (x, n) in [(0.7, 6), (0.3, 8), (2.9, 5)] {
        assert_eq!(running_max_method_grad(x, n), running_max_grad(x, n));
        check!(running_max_method, running_max_method_vjp, running_max_method_grad, running_max_method_jvp; (x | d_x); n; at (x,),
            |(x,): (f64,)| running_max_arg(x, n), SMOOTH);
    }
}

/// `for` over an integer iterator built with a closure.
#[differentiable]
fn mapped_iterator(x: f64, n: usize) -> f64 {
    let mut s = x;
    for k in (0..n).map(|i| 2 * i + 1) {
        s += x.powi(k as i32) / (k as f64);
    }
    s
}

#[test]
fn for_over_mapped_range() {
    for n in [0, 4] {
        check!(mapped_iterator, mapped_iterator_vjp, mapped_iterator_grad, mapped_iterator_jvp; (x | d_x); n; at (0.6,), smooth, SMOOTH);
    }
    // x + sum over odd k < 2n of x^k / k: derivative 1 + sum x^(k-1).
    let x = 0.6f64;
    let expected = 1.0 + (0..4).map(|i| x.powi(2 * i)).sum::<f64>();
    assert_close(
        expected,
        mapped_iterator_grad(x, 4).0,
        Tol {
            rel: 1e-14,
            abs: 0.0,
        },
        "",
    );
}

/// `for` over an array of integers.
#[differentiable]
fn array_iterator(x: f64) -> f64 {
    let mut s = x;
    for k in [3, 1, 2] {
        s *= 1.0 + x / (k as f64);
    }
    s
}

#[test]
fn for_over_integer_array() {
    check!(array_iterator, array_iterator_vjp, array_iterator_grad, array_iterator_jvp; (x | d_x); ; at (0.6,), smooth, SMOOTH);
}

/// An inner loop that `break`s on the state it shares with the outer loop.
#[differentiable]
fn inner_break(x: f64, n: usize, m: usize) -> f64 {
    let mut s = x;
    for _ in 0..n {
        for _ in 0..m {
            s = s * x + 0.1;
            if s > 2.0 {
                break;
            }
        }
        s = s.sqrt();
    }
    s
}

fn inner_break_trips(x: f64, n: usize, m: usize) -> Vec<usize> {
    let mut s = x;
    let mut trips = Vec::new();
    for _ in 0..n {
        let mut k = 0;
        for _ in 0..m {
            k += 1;
            s = s * x + 0.1;
            if s > 2.0 {
                break;
            }
        }
        trips.push(k);
        s = s.sqrt();
    }
    trips
}

#[test]
fn inner_loop_breaking_on_shared_state() {
    for x in [1.3, 0.7] {
        check!(inner_break, inner_break_vjp, inner_break_grad, inner_break_jvp; (x | d_x); 5, 4; at (x,),
            |(x,): (f64,)| inner_break_trips(x, 5, 4), SMOOTH);
    }
}

/// The loop counter shadowed by a `let` in the body; both arms of the last `if` leave the
/// iteration (`break` or `continue`).
#[differentiable]
fn counter_shadowed(x: f64, n: usize) -> f64 {
    let mut s = x;
    for i in 0..n {
        let i = i * 2 + 1;
        s += x * (i as f64);
        if s > 40.0 {
            break;
        } else {
            s *= 0.9;
            continue;
        }
    }
    s
}

fn counter_shadowed_trips(x: f64, n: usize) -> usize {
    let mut s = x;
    for i in 0..n {
        s += x * ((i * 2 + 1) as f64);
        if s > 40.0 {
            return i;
        }
        s *= 0.9;
    }
    n
}

#[test]
fn shadowed_counter_and_diverging_arms() {
    for (x, n) in [(0.5, 6), (3.0, 10), (0.5, 0)] {
        check!(counter_shadowed, counter_shadowed_vjp, counter_shadowed_grad, counter_shadowed_jvp; (x | d_x); n; at (x,),
            |(x,): (f64,)| counter_shadowed_trips(x, n), SMOOTH);
    }
}

/// Conditions from methods of active values that give no derivative (`is_sign_negative`).
#[differentiable]
fn sign_test(x: f64, y: f64) -> f64 {
    let mut s = x * y;
    if x.is_sign_negative() {
        s = -s;
    }
    if (s - y).is_sign_positive() {
        s += y.exp();
    }
    s
}

#[test]
fn conditions_from_inactive_methods() {
    for p in [(0.5, 0.3), (-0.5, 0.3), (-2.0, -0.5), (0.5, -0.5)] {
        check!(sign_test, sign_test_vjp, sign_test_grad, sign_test_jvp; (x, y | d_x, d_y); ; at p,
            |(x, y): (f64, f64)| (x < 0.0, (x * y).abs() > y), SMOOTH);
    }
}

/// `match` on the `Ordering` of two active values.
#[differentiable]
fn ordering(x: f64, y: f64) -> f64 {
    match x.total_cmp(&y) {
        std::cmp::Ordering::Less => y - x,
        std::cmp::Ordering::Equal => 0.0,
        std::cmp::Ordering::Greater => x * y,
    }
}

#[test]
fn match_on_ordering_of_active_values() {
    for p in [(0.5, 1.5), (1.5, 0.5)] {
        check!(ordering, ordering_vjp, ordering_grad, ordering_jvp; (x, y | d_x, d_y); ; at p, |(x, y): (f64, f64)| x < y, SMOOTH);
    }
}

/// Ranges whose reversal is easy to get wrong: a `step_by` that does not divide the length,
/// an inclusive range stepped, `step_by` then `rev`, an empty range, negative bounds.
#[differentiable]
fn odd_ranges(x: f64, lo: i32, hi: i32, k: usize) -> f64 {
    let mut s = x;
    for i in (lo..hi).step_by(k) {
        s = s * 0.9 + x * (i as f64);
    }
    for i in (lo..=hi).step_by(k) {
        s += (s * 0.1 + (i as f64)).sin();
    }
    for i in (lo..hi).step_by(k).rev() {
        s = s * 0.8 + (i as f64) * 0.01;
    }
    for i in (lo..=hi).rev().step_by(k) {
        s = s * x + (i as f64) * 0.02;
    }
    for i in (hi..lo).rev() {
        s *= i as f64;
    }
    s
}

#[test]
fn awkward_ranges() {
    for (lo, hi, k) in [
        (0, 10, 3),
        (-4, 3, 2),
        (2, 2, 1),
        (5, 1, 2),
        (-7, -1, 4),
        (0, 1, 5),
    ] {
        check!(odd_ranges, odd_ranges_vjp, odd_ranges_grad, odd_ranges_jvp; (x | d_x); lo, hi, k; at (0.7,), smooth, SMOOTH);
    }
}

/// Inclusive ranges that end at the largest value of their type (no `end + 1` exists).
#[differentiable]
fn range_to_max(x: f64) -> f64 {
    let mut s = x;
    for i in 250u8..=255 {
        s = s * 0.5 + x * (i as f64) * 0.001;
    }
    for i in (usize::MAX - 2..=usize::MAX).rev() {
        s += x * ((usize::MAX - i) as f64);
    }
    for i in (i64::MIN..=i64::MIN + 1).rev() {
        s *= 1.0 + ((i - i64::MIN) as f64) * x;
    }
    s
}

#[test]
fn ranges_ending_at_the_type_maximum() {
    check!(range_to_max, range_to_max_vjp, range_to_max_grad, range_to_max_jvp; (x | d_x); ; at (0.3,), smooth, SMOOTH);
}

/// `skip`, `take`, `chain` and `zip` over integer ranges.
#[differentiable]
fn adapted_ranges(x: f64, n: usize) -> f64 {
    let mut s = x;
    for i in (0..n).skip(2).take(4) {
        s = s * x + i as f64;
    }
    for i in (0..2).chain(7..9) {
        s += x * (i as f64);
    }
    for (i, j) in (0..n).zip((0..n).rev()) {
        s += 0.01 * s * ((i * j) as f64);
    }
    s
}

#[test]
fn adapted_integer_ranges() {
    for n in [0, 3, 8] {
        check!(adapted_ranges, adapted_ranges_vjp, adapted_ranges_grad, adapted_ranges_jvp; (x | d_x); n; at (0.9,), smooth, SMOOTH);
    }
}

/// `break 'outer` and `continue 'outer` from an inner loop, with the state updated in the inner
/// loop before the jump.
#[differentiable]
fn outer_jumps(x: f64, n: usize) -> f64 {
    let mut s = x;
    let mut t = 0.0;
    'outer: for i in 0..n {
        t += s * 0.1;
        for j in 0..n {
            s = s * 1.05 + x * (j as f64) * 0.01;
            if (i + j) % 4 == 3 {
                continue 'outer;
            }
            if s > 8.0 {
                break 'outer;
            }
            t += s.sin();
        }
        s += t * 0.01;
    }
    s + t
}

fn outer_jumps_path(x: f64, n: usize) -> Vec<(usize, usize)> {
    let mut s = x;
    let mut t = 0.0;
    let mut path = Vec::new();
    'outer: for i in 0..n {
        t += s * 0.1;
        for j in 0..n {
            s = s * 1.05 + x * (j as f64) * 0.01;
            path.push((i, j));
            if (i + j) % 4 == 3 {
                continue 'outer;
            }
            if s > 8.0 {
                break 'outer;
            }
            t += s.sin();
        }
        s += t * 0.01;
    }
    path
}

#[test]
fn break_and_continue_to_an_outer_loop() {
    for (x, n) in [(0.8, 6), (3.0, 12), (0.8, 0), (7.5, 3)] {
        check!(outer_jumps, outer_jumps_vjp, outer_jumps_grad, outer_jumps_jvp; (x | d_x); n; at (x,),
            |(x,): (f64,)| outer_jumps_path(x, n), SMOOTH);
    }
}

/// Three nested loops, `break 'a` from the innermost to the outermost, `continue 'b` to the
/// middle one, over `loop`, `while` and `for`.
#[differentiable]
fn three_level_jumps(x: f64) -> f64 {
    let mut s = x;
    let mut k = 0;
    'a: loop {
        k += 1;
        let mut j = 0;
        'b: while j < 4 {
            j += 1;
            for m in 0..3 {
                s = s * x + (m as f64) * 0.1;
                if m == 1 && j % 2 == 0 {
                    continue 'b;
                }
                if s > 30.0 || k > 20 {
                    break 'a;
                }
            }
            s *= 0.9;
        }
        s += 0.5;
    }
    s * (k as f64)
}

fn three_level_jumps_path(x: f64) -> (u32, Vec<u32>) {
    let mut s = x;
    let mut k = 0;
    let mut trail = Vec::new();
    'a: loop {
        k += 1;
        let mut j = 0;
        'b: while j < 4 {
            j += 1;
            for m in 0..3 {
                s = s * x + (m as f64) * 0.1;
                trail.push(m);
                if m == 1 && j % 2 == 0 {
                    continue 'b;
                }
                if s > 30.0 || k > 20 {
                    break 'a;
                }
            }
            s *= 0.9;
        }
        s += 0.5;
    }
    (k, trail)
}

#[test]
fn jumps_across_three_loops() {
    for x in [1.2, 1.5, 0.5] {
        check!(three_level_jumps, three_level_jumps_vjp, three_level_jumps_grad, three_level_jumps_jvp; (x | d_x); ; at (x,),
            |(x,): (f64,)| three_level_jumps_path(x), SMOOTH);
    }
}

/// `return` from a `for` loop and from a `while` loop, inside an `if`, with a fall-through value.
#[differentiable]
fn return_in_loops(x: f64, n: usize) -> f64 {
    let mut s = x;
    if x > 0.0 {
        for i in 0..n {
            s = s * 1.3 + (i as f64) * 0.1;
            if s > 5.0 {
                return s.ln() * x;
            }
        }
    } else {
        let mut k = 0;
        while k < n {
            k += 1;
            s = s * 0.5 - 1.0;
            if s < -3.0 {
                return s * s;
            }
        }
    }
    s + 1.0
}

fn return_in_loops_path(x: f64, n: usize) -> (bool, usize) {
    let mut s = x;
    if x > 0.0 {
        for i in 0..n {
            s = s * 1.3 + (i as f64) * 0.1;
            if s > 5.0 {
                return (true, i);
            }
        }
    } else {
        let mut k = 0;
        while k < n {
            k += 1;
            s = s * 0.5 - 1.0;
            if s < -3.0 {
                return (false, k);
            }
        }
    }
    (x > 0.0, n)
}

#[test]
fn return_from_loops_in_branches() {
    for (x, n) in [(0.7, 10), (0.7, 3), (-0.7, 10), (-0.7, 1), (2.0, 0)] {
        check!(return_in_loops, return_in_loops_vjp, return_in_loops_grad, return_in_loops_jvp; (x | d_x); n; at (x,),
            |(x,): (f64,)| return_in_loops_path(x, n), SMOOTH);
    }
}

/// `return` from a `loop` that also has `break` and `continue`, followed by a second loop.
#[differentiable]
fn return_break_continue(x: f64, limit: f64) -> f64 {
    let mut s = x;
    let mut k = 0;
    loop {
        k += 1;
        if k % 3 == 0 {
            continue;
        }
        s = s * 1.2 + 0.05;
        if s > limit {
            return s - limit;
        }
        if k >= 12 {
            break;
        }
    }
    for i in 0..4 {
        s += x * (i as f64);
    }
    s
}

fn return_break_continue_path(x: f64, limit: f64) -> (u32, bool) {
    let mut s = x;
    let mut k = 0;
    loop {
        k += 1;
        if k % 3 == 0 {
            continue;
        }
        s = s * 1.2 + 0.05;
        if s > limit {
            return (k, true);
        }
        if k >= 12 {
            return (k, false);
        }
    }
}

#[test]
fn return_with_break_and_continue() {
    for (x, limit) in [(0.5, 2.0), (0.5, 100.0), (3.0, 2.5)] {
        check!(return_break_continue, return_break_continue_vjp, return_break_continue_grad, return_break_continue_jvp;
            (x, limit | d_x, d_limit); ; at (x, limit),
            |(x, l): (f64, f64)| return_break_continue_path(x, l), SMOOTH);
    }
    // Returned: s - limit, so d / d limit = -1 exactly.
    assert_eq!(return_break_continue_grad(0.5, 2.0).1, -1.0);
}

/// A million-trip `for` with a `return` late in it.
#[differentiable]
fn million_return(x: f64) -> f64 {
    let mut s = x;
    for i in 0..1_000_000 {
        s = s * (1.0 - 1e-6) + 1e-6;
        if i == 999_000 {
            return s * x;
        }
    }
    s
}

#[test]
fn million_iterations_with_return() {
    // s = 1 + (x - 1) q^N with q = 1 - 1e-6, N = 999_001; result s x.
    let x = 0.4f64;
    let q = 1.0f64 - 1e-6;
    let qn = q.powi(999_001);
    let s = million_return(x) / x;
    let (d,) = million_return_grad(x);
    assert_close(
        s + x * qn,
        d,
        Tol {
            rel: 1e-8,
            abs: 0.0,
        },
        "d / d x",
    );
    check!(million_return, million_return_vjp, million_return_grad, million_return_jvp; (x | d_x); ; at (x,), smooth, LOOPY);
}

/// `return` of a tuple from inside a `while`, and a tail `if` expression after the loop.
#[differentiable]
fn return_tuple_in_loop(x: f64, y: f64) -> (f64, f64) {
    let mut a = x;
    let mut b = y;
    while a < 10.0 {
        a = a * 1.5 + b;
        b *= 0.9;
        if a * b > 20.0 {
            return (a, b);
        }
    }
    if a > 12.0 {
        (a.ln(), b)
    } else {
        (a, b * b)
    }
}

fn return_tuple_in_loop_path(x: f64, y: f64) -> (u32, bool, bool) {
    let mut a = x;
    let mut b = y;
    let mut k = 0;
    while a < 10.0 {
        k += 1;
        a = a * 1.5 + b;
        b *= 0.9;
        if a * b > 20.0 {
            return (k, true, false);
        }
    }
    (k, false, a > 12.0)
}

#[test]
fn return_a_tuple_from_a_loop() {
    for p in [(1.0, 3.0), (1.0, 0.5), (5.0, 1.0), (20.0, 1.0)] {
        check(
            |(x, y)| return_tuple_in_loop(x, y),
            |(x, y), v| return_tuple_in_loop_vjp(x, y, v),
            |(x, y), (dx, dy)| return_tuple_in_loop_jvp(x, dx, y, dy),
            |(x, y): (f64, f64)| return_tuple_in_loop_path(x, y),
            p,
            SMOOTH,
        );
    }
}

/// `continue 'outer` from an inner loop to an outer `loop` (skipping the rest of its body), and
/// `break 'outer` out of an outer `while` on an active condition, from a `match` arm.
#[differentiable]
fn outer_from_match(x: f64) -> f64 {
    let mut s = x;
    let mut k = 0u32;
    'outer: while s < 50.0 {
        k += 1;
        for j in 0..4u32 {
            match (k + j) % 5 {
                0 => {
                    continue 'outer;
                }
                1 => s = s * 1.1 + x,
                4 => {
                    if s > 40.0 {
                        break 'outer;
                    }
                }
                _ => s += 0.5 * x,
            }
        }
        s *= 1.02;
    }
    s * (k as f64)
}

fn outer_from_match_path(x: f64) -> Vec<(u32, u32)> {
    let mut s = x;
    let mut k = 0u32;
    let mut path = Vec::new();
    'outer: while s < 50.0 {
        k += 1;
        for j in 0..4u32 {
            path.push((k, j));
            match (k + j) % 5 {
                0 => continue 'outer,
                1 => s = s * 1.1 + x,
                4 => {
                    if s > 40.0 {
                        break 'outer;
                    }
                }
                _ => s += 0.5 * x,
            }
        }
        s *= 1.02;
    }
    path
}

#[test]
fn outer_jumps_from_match_arms() {
    for x in [0.9, 2.2] {
        check!(outer_from_match, outer_from_match_vjp, outer_from_match_grad, outer_from_match_jvp; (x | d_x); ; at (x,),
            |(x,): (f64,)| outer_from_match_path(x), SMOOTH);
    }
}

/// `continue 'outer` as a `match` arm without braces.
#[differentiable]
fn outer_from_bare_arm(x: f64, n: u32) -> f64 {
    let mut s = x;
    'outer: for k in 0..n {
        for j in 0..3u32 {
            match (k + j) % 4 {
                0 => continue 'outer,
                _ => s = s * 1.1 + x,
            }
        }
    }
    s
}

#[test]
fn outer_jump_from_a_bare_match_arm() {
    for n in [0, 1, 6] {
        check!(outer_from_bare_arm, outer_from_bare_arm_vjp, outer_from_bare_arm_grad, outer_from_bare_arm_jvp; (x | d_x); n;
            at (0.7,), smooth, SMOOTH);
    }
}

/// Destructuring assignments outside loops: nested, with `_`, in the arms of an `if`.
#[differentiable]
fn destructure_branches(x: f64, y: f64, z: f64) -> f64 {
    let mut a = x;
    let mut b = y;
    let mut c = z;
    (a, (b, c)) = (c * a, (a + b, b * c));
    if a > b {
        (a, _) = (b.sin(), a);
    } else {
        (_, c) = (a, c.exp());
    }
    a + 2.0 * b + 3.0 * c
}

#[test]
fn destructuring_assignments_in_branches() {
    for p in [(0.5, 0.2, 3.0), (0.5, 0.7, 0.4)] {
        check!(destructure_branches, destructure_branches_vjp, destructure_branches_grad, destructure_branches_jvp;
            (x, y, z | d_x, d_y, d_z); ; at p, |(x, y, z): (f64, f64, f64)| z * x > x + y, SMOOTH);
    }
}

/// Nested destructuring assignment with `_`, in the function's own statements.
#[differentiable]
fn destructure_nested(x: f64, y: f64, z: f64) -> f64 {
    let mut a = x;
    let mut b = y;
    let mut c = z;
    (a, (b, c)) = (c * a, (a + b, b * c));
    (_, b) = (c, b * a);
    a + 2.0 * b + 3.0 * c
}

#[test]
fn nested_destructuring_assignment() {
    check!(destructure_nested, destructure_nested_vjp, destructure_nested_grad, destructure_nested_jvp;
        (x, y, z | d_x, d_y, d_z); ; at (0.5, 0.2, 3.0), smooth, SMOOTH);
    // a = z x, b = (x + y) z x, c = y z: the result is z x + 2 z x (x + y) + 3 y z.
    let (x, y, z) = (0.5f64, 0.2f64, 3.0f64);
    let (dx, dy, dz) = destructure_nested_grad(x, y, z);
    let tight = Tol {
        rel: 1e-14,
        abs: 0.0,
    };
    assert_close(z + 2.0 * z * (2.0 * x + y), dx, tight, "dx");
    assert_close(2.0 * z * x + 3.0 * z, dy, tight, "dy");
    assert_close(x + 2.0 * x * (x + y) + 3.0 * y, dz, tight, "dz");
}

/// An early `return` before a loop that itself may `return`.
#[differentiable]
fn two_kinds_of_return(x: f64, n: usize) -> f64 {
    if x < 0.0 {
        return -x;
    }
    let mut s = x;
    for i in 0..n {
        s = s * s + 0.1 * (i as f64);
        if s > 3.0 {
            return s.sqrt();
        }
    }
    s * 2.0
}

fn two_kinds_of_return_path(x: f64, n: usize) -> (bool, usize) {
    if x < 0.0 {
        return (true, 0);
    }
    let mut s = x;
    for i in 0..n {
        s = s * s + 0.1 * (i as f64);
        if s > 3.0 {
            return (false, i);
        }
    }
    (false, n)
}

#[test]
fn early_return_then_return_in_loop() {
    for (x, n) in [(-1.0, 5), (1.2, 5), (0.5, 5), (1.2, 0)] {
        check!(two_kinds_of_return, two_kinds_of_return_vjp, two_kinds_of_return_grad, two_kinds_of_return_jvp; (x | d_x); n;
            at (x,), |(x,): (f64,)| two_kinds_of_return_path(x, n), SMOOTH);
    }
}

/// Loops over `#[no_grad]` float data: a weighted sum with a branch, then a running update.
#[differentiable]
fn over_no_grad_data(x: f64, #[no_grad] w: &[f64]) -> f64 {
    let mut s = 0.0;
    for &wi in w {
        if wi > 0.0 {
            s += wi * x * x;
        } else {
            s -= wi * x.sin();
        }
    }
    for (i, wi) in w.iter().enumerate() {
        s = s * 0.5 + wi * (i as f64) * x;
    }
    s
}

#[test]
fn loops_over_no_grad_data() {
    let w = [0.5, -1.5, 2.0, -0.25];
    check!(over_no_grad_data, over_no_grad_data_vjp, over_no_grad_data_grad, over_no_grad_data_jvp; (x | d_x); &w;
        at (0.8,), smooth, SMOOTH);
    check!(over_no_grad_data, over_no_grad_data_vjp, over_no_grad_data_grad, over_no_grad_data_jvp; (x | d_x); &[];
        at (0.8,), smooth, SMOOTH);
}

/// `return` from inside a loop, and from a loop nested in a loop.
#[differentiable]
fn first_above(x: f64, threshold: f64) -> f64 {
    let mut y = x;
    for _ in 0..100 {
        y = y * 1.5 + 0.1;
        if y > threshold {
            return y * y;
        }
    }
    -y
}

#[differentiable]
fn nested_return(x: f64) -> f64 {
    let mut s = x;
    for i in 0..10 {
        for j in 0..10 {
            s = s * 1.1 + (i * j) as f64 * 0.01;
            if s > 50.0 {
                return s.sqrt();
            }
        }
    }
    s
}

#[test]
fn return_inside_loops() {
    let fd = |f: &dyn Fn(f64) -> f64, x: f64| (f(x + 1e-6) - f(x - 1e-6)) / 2e-6;
    for x in [0.5, 1.3] {
        let (dx, _) = first_above_grad(x, 20.0);
        let expected = fd(&|x| first_above(x, 20.0), x);
        assert!(
            (dx - expected).abs() < 1e-5 * expected.abs().max(1.0),
            "{dx} vs {expected}"
        );
        let (dx,) = nested_return_grad(x);
        let expected = fd(&nested_return, x);
        assert!(
            (dx - expected).abs() < 1e-5 * expected.abs().max(1.0),
            "{dx} vs {expected}"
        );
    }
    assert_eq!(first_above_grad(0.5, 1e9).1, 0.0);
}

/// `continue 'outer` and `break 'outer` from an inner loop.
#[differentiable]
fn labelled_jumps(x: f64) -> f64 {
    let mut s = 0.0;
    'outer: for i in 0..6 {
        for j in 0..6 {
            if j > i {
                continue 'outer;
            }
            s += x * (i + j) as f64;
            if s > 40.0 * x {
                break 'outer;
            }
        }
        s *= 0.9;
    }
    s * x
}

#[test]
fn labelled_jumps_to_an_outer_loop() {
    let reference = |x: f64| {
        let mut s = 0.0;
        'outer: for i in 0..6 {
            for j in 0..6 {
                if j > i {
                    continue 'outer;
                }
                s += x * (i + j) as f64;
                if s > 40.0 * x {
                    break 'outer;
                }
            }
            s *= 0.9;
        }
        s * x
    };
    for x in [0.7, 1.9] {
        assert_eq!(labelled_jumps(x), reference(x));
        let (dx,) = labelled_jumps_grad(x);
        let fd = (reference(x + 1e-6) - reference(x - 1e-6)) / 2e-6;
        assert!((dx - fd).abs() < 1e-6 * fd.abs().max(1.0), "{dx} vs {fd}");
    }
}
