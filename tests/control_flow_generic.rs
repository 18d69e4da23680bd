//! Control flow in `f32` functions and in generic `fn f<T: vjp::Real>` functions, instantiated
//! at `f32` and `f64`: each checked against central finite differences away from branch
//! boundaries (with the step and tolerance of `f32` for `f32`), and the `f32` gradient of a
//! generic function against its `f64` gradient.
#![deny(warnings)]

use std::fmt::Debug;
use vjp::{differentiable, Flat, Real};

// ---------------------------------------------------------------------------------------------
// Helpers (as in control_flow.rs)
// ---------------------------------------------------------------------------------------------

/// `|fd - vjp| <= abs + rel * max(|fd|, |vjp|)`.
#[derive(Clone, Copy, Debug)]
struct Tol {
    rel: f64,
    abs: f64,
}

const F64: Tol = Tol {
    rel: 1e-6,
    abs: 1e-8,
};

/// The finite differences of `f32` code, with the step cbrt(f32::EPSILON) ~ 5e-3.
const F32: Tol = Tol {
    rel: 2e-2,
    abs: 1e-3,
};

fn close(expected: f64, actual: f64, tol: Tol) -> bool {
    expected.is_finite()
        && actual.is_finite()
        && (expected - actual).abs() <= tol.abs + tol.rel * expected.abs().max(actual.abs())
}

fn flat<A: Flat>(value: &A) -> Vec<f64> {
    let mut out = Vec::new();
    value.write_flat(&mut out);
    out
}

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

fn smooth<X>(_: X) {}

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

/// Checks `vjp` and `jvp` against central finite differences of `f` at `x`, `path(x)` constant
/// over the stencil; `grad` must be, exactly, `vjp` with `v = 1` or (when it runs forward
/// lanes) `jvp` for each unit tangent, and the primal outputs `f(x)`, exactly.
#[track_caller]
fn check<X, Y, P>(
    f: impl Fn(X) -> Y,
    vjp: impl Fn(X, Y) -> (Y, X),
    grad: impl Fn(X) -> X,
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
    let one = y.from_flat(&[1.0]);
    let (g, reverse) = (flat(&grad(x)), flat(&vjp(x, one).1));
    let n = g.len();
    let lanes: Vec<f64> = (0..n)
        .flat_map(|i| {
            let mut e = vec![0.0; n];
            e[i] = 1.0;
            flat(&jvp(x, x.from_flat(&e)).1)
        })
        .collect();
    assert!(
        g == reverse || g == lanes,
        "grad {g:?} is neither vjp(v = 1) {reverse:?} nor the jvps for unit tangents {lanes:?} \
         at {x:?}"
    );
    let here = path(x);
    let x_flat = flat(&x);
    let scale = x.step_scale();
    let mut jacobian_t = Vec::new();
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
            "component {i} straddles a branch boundary at {x:?}"
        );
        assert_eq!(
            path(minus),
            here,
            "component {i} straddles a branch boundary at {x:?}"
        );
        let step = flat(&plus)[i] - flat(&minus)[i];
        let row: Vec<f64> = flat(&f(plus))
            .iter()
            .zip(flat(&f(minus)))
            .map(|(p, m)| (p - m) / step)
            .collect();
        jacobian_t.push(row);
    }
    for v in cotangents(&y) {
        let (primal, grads) = vjp(x, v);
        assert_eq!(
            flat(&primal),
            flat(&y),
            "vjp: primal output differs at {x:?}"
        );
        let v_flat = flat(&v);
        let grads = flat(&grads);
        for (i, row) in jacobian_t.iter().enumerate() {
            let fd: f64 = row.iter().zip(&v_flat).map(|(d, v)| d * v).sum();
            assert!(
                close(fd, grads[i], tol),
                "vjp, component {i} at x = {x:?}, v = {v:?}: finite differences give {fd:e}, \
                 the vjp gives {:e} ({tol:?})",
                grads[i]
            );
        }
    }
    for u in tangents(&x) {
        let (primal, y_dot) = jvp(x, u);
        assert_eq!(
            flat(&primal),
            flat(&y),
            "jvp: primal output differs at {x:?}"
        );
        let u_flat = flat(&u);
        for (j, &actual) in flat(&y_dot).iter().enumerate() {
            let fd: f64 = jacobian_t
                .iter()
                .zip(&u_flat)
                .map(|(row, u)| row[j] * u)
                .sum();
            assert!(
                close(fd, actual, tol),
                "jvp, output component {j} at x = {x:?}, u = {u:?}: finite differences give \
                 {fd:e}, the jvp gives {actual:e} ({tol:?})"
            );
        }
    }
}

/// `check!(f, f_vjp, f_grad, f_jvp; (a, b | da, db); extra; at x, path, tol)` for
/// `f(a, b, extra)`.
macro_rules! check {
    ($f:expr, $vjp:expr, $grad:expr, $jvp:expr; ($($a:ident),+ | $($da:ident),+); $($extra:expr),*; at $x:expr, $path:expr, $tol:expr) => {
        check(
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

/// The `f32` gradient agrees with the `f64` one to `f32` precision (amplified by the loop).
#[track_caller]
fn same_gradient<X32: Flat + Debug, X64: Flat + Debug>(g32: X32, g64: X64, rel: f64) {
    let (a, b) = (flat(&g32), flat(&g64));
    assert_eq!(a.len(), b.len());
    for (a, b) in a.iter().zip(&b) {
        assert!(
            close(*b, *a, Tol { rel, abs: rel }),
            "f32 gradient {g32:?} vs f64 gradient {g64:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// f32
// ---------------------------------------------------------------------------------------------

#[differentiable]
fn logistic32(r: f32, x0: f32, n: usize) -> f32 {
    let mut x = x0;
    for _ in 0..n {
        x = r * x * (1.0 - x);
    }
    x
}

#[differentiable]
fn branch32(x: f32, y: f32) -> f32 {
    let mut z = x * y;
    if x > 0.0 {
        z *= x.sin();
    } else if x > -1.0 {
        z += y.exp();
    } else {
        z = z * z - y;
    }
    z
}

#[differentiable]
fn while32(x: f32, c: f32) -> f32 {
    let mut s = 1.0;
    while s < 100.0 {
        s = s * x + c;
    }
    s
}

fn while32_trips(x: f32, c: f32) -> u32 {
    let mut s = 1.0;
    let mut k = 0;
    while s < 100.0 {
        s = s * x + c;
        k += 1;
    }
    k
}

#[differentiable]
fn loop32(x: f32, n: u32) -> f32 {
    let mut s = x;
    let mut k = 0;
    loop {
        k += 1;
        if k % 2 == 0 {
            continue;
        }
        s = s.sqrt() + x;
        if k >= n {
            break;
        }
    }
    s
}

#[test]
fn f32_logistic_map() {
    for (r, x0, n) in [(2.8f32, 0.3f32, 30), (1.5, 0.9, 5), (3.2, 0.4, 0)] {
        check!(logistic32, logistic32_vjp, logistic32_grad, logistic32_jvp; (r, x0 | d_r, d_x0); n; at (r, x0), smooth, F32);
    }
    assert_eq!(logistic32_grad(3.0, 0.25, 0), (0.0, 1.0));
}

#[test]
fn f32_branch() {
    for p in [(0.7f32, 1.3f32), (-0.4, 0.2), (-2.5, 0.6)] {
        check!(branch32, branch32_vjp, branch32_grad, branch32_jvp; (x, y | d_x, d_y); ; at p,
            |(x, _): (f32, f32)| (x > 0.0, x > -1.0), F32);
    }
}

#[test]
fn f32_while() {
    for p in [(1.5f32, 0.3f32), (3.0, -1.0)] {
        check!(while32, while32_vjp, while32_grad, while32_jvp; (x, c | d_x, d_c); ; at p,
            |(x, c): (f32, f32)| while32_trips(x, c), F32);
    }
}

#[test]
fn f32_loop_with_break_and_continue() {
    for n in [1, 6] {
        check!(loop32, loop32_vjp, loop32_grad, loop32_jvp; (x | d_x); n; at (2.0f32,), smooth, F32);
    }
}

// ---------------------------------------------------------------------------------------------
// Generic over `T: vjp::Real`
// ---------------------------------------------------------------------------------------------

#[differentiable]
fn logistic_g<T: Real>(r: T, x0: T, n: usize) -> T {
    let mut x = x0;
    for _ in 0..n {
        x = r * x * (T::one() - x);
    }
    x
}

#[differentiable]
fn branch_g<T: Real>(x: T, y: T) -> T {
    let mut z = x * y;
    if x > T::zero() {
        z *= x.sin();
    } else {
        z += y.exp();
    }
    if y > T::one() {
        z * y
    } else {
        z - y
    }
}

#[differentiable]
fn while_g<T: Real>(x: T, c: T) -> T {
    let limit = T::from_f64(100.0);
    let mut s = T::one();
    while s < limit {
        s = s * x + c;
    }
    s
}

fn while_g_trips<T: Real>(x: T, c: T) -> u32 {
    let limit = T::from_f64(100.0);
    let mut s = T::one();
    let mut k = 0;
    while s < limit {
        s = s * x + c;
        k += 1;
    }
    k
}

#[differentiable]
fn match_g<T: Real>(x: T, k: i32) -> T {
    match k {
        0 => x,
        1 | 2 => x * x,
        n if n < 0 => -x.sin(),
        _ => x.exp(),
    }
}

#[differentiable]
fn newton_g<T: Real>(a: T) -> T {
    let half = T::from_f64(0.5);
    let mut x = a;
    for _ in 0..30 {
        x = half * (x + a / x);
    }
    x
}

#[differentiable]
fn horner_g<T: Real>(c: [T; 4], x: T) -> T {
    let mut acc = T::zero();
    for i in (0..4).rev() {
        acc = acc * x + c[i];
    }
    acc
}

#[differentiable]
fn break_g<T: Real>(x: T) -> T {
    let mut s = x;
    let mut k = 0;
    loop {
        k += 1;
        if k % 3 == 0 {
            continue;
        }
        s = s * T::from_f64(1.25) + x;
        if s > T::from_f64(20.0) {
            break;
        }
    }
    s * T::from_i32(k)
}

fn break_g_trips<T: Real>(x: T) -> i32 {
    let mut s = x;
    let mut k = 0;
    loop {
        k += 1;
        if k % 3 == 0 {
            continue;
        }
        s = s * T::from_f64(1.25) + x;
        if s > T::from_f64(20.0) {
            return k;
        }
    }
}

#[test]
fn generic_logistic_map() {
    for (r, x0, n) in [(2.8, 0.3, 30), (1.5, 0.9, 5), (3.2, 0.4, 0)] {
        check!(logistic_g::<f64>, logistic_g_vjp::<f64>, logistic_g_grad::<f64>, logistic_g_jvp::<f64>; (r, x0 | d_r, d_x0); n;
            at (r, x0), smooth, Tol { rel: 1e-5, abs: 1e-7 });
        let (r32, x32) = (r as f32, x0 as f32);
        check!(logistic_g::<f32>, logistic_g_vjp::<f32>, logistic_g_grad::<f32>, logistic_g_jvp::<f32>; (r, x0 | d_r, d_x0); n;
            at (r32, x32), smooth, F32);
        same_gradient(
            logistic_g_grad(r32, x32, n),
            logistic_g_grad(r32 as f64, x32 as f64, n),
            1e-4,
        );
    }
}

#[test]
fn generic_branch() {
    for (x, y) in [(0.7, 1.3), (-0.4, 0.2), (0.6, -2.0)] {
        let path = |x: f64, y: f64| (x > 0.0, y > 1.0);
        check!(branch_g::<f64>, branch_g_vjp::<f64>, branch_g_grad::<f64>, branch_g_jvp::<f64>; (x, y | d_x, d_y); ;
            at (x, y), |(x, y): (f64, f64)| path(x, y), F64);
        check!(branch_g::<f32>, branch_g_vjp::<f32>, branch_g_grad::<f32>, branch_g_jvp::<f32>; (x, y | d_x, d_y); ;
            at (x as f32, y as f32), |(x, y): (f32, f32)| path(x as f64, y as f64), F32);
        same_gradient(branch_g_grad(x as f32, y as f32), branch_g_grad(x, y), 1e-5);
    }
}

#[test]
fn generic_while() {
    for (x, c) in [(1.5, 0.25), (3.0, -1.0)] {
        check!(while_g::<f64>, while_g_vjp::<f64>, while_g_grad::<f64>, while_g_jvp::<f64>; (x, c | d_x, d_c); ;
            at (x, c), |(x, c): (f64, f64)| while_g_trips(x, c), F64);
        check!(while_g::<f32>, while_g_vjp::<f32>, while_g_grad::<f32>, while_g_jvp::<f32>; (x, c | d_x, d_c); ;
            at (x as f32, c as f32), |(x, c): (f32, f32)| while_g_trips(x, c), F32);
        assert_eq!(while_g_trips(x as f32, c as f32), while_g_trips(x, c));
        same_gradient(while_g_grad(x as f32, c as f32), while_g_grad(x, c), 1e-4);
    }
}

#[test]
fn generic_match() {
    for k in [0, 2, -1, 5] {
        check!(match_g::<f64>, match_g_vjp::<f64>, match_g_grad::<f64>, match_g_jvp::<f64>; (x | d_x); k; at (0.9,), smooth, F64);
        check!(match_g::<f32>, match_g_vjp::<f32>, match_g_grad::<f32>, match_g_jvp::<f32>; (x | d_x); k; at (0.9f32,), smooth, F32);
        same_gradient(
            match_g_grad(0.9f32, k),
            match_g_grad(0.9f32 as f64, k),
            1e-6,
        );
    }
}

#[test]
fn generic_newton() {
    for a in [2.0, 0.3] {
        let (d64,) = newton_g_grad(a);
        assert!(
            close(
                0.5 / f64::sqrt(a),
                d64,
                Tol {
                    rel: 1e-12,
                    abs: 0.0
                }
            ),
            "{d64}"
        );
        let (d32,) = newton_g_grad(a as f32);
        assert!(
            close(
                0.5 / f64::sqrt(a),
                d32 as f64,
                Tol {
                    rel: 1e-6,
                    abs: 0.0
                }
            ),
            "{d32}"
        );
        check!(newton_g::<f64>, newton_g_vjp::<f64>, newton_g_grad::<f64>, newton_g_jvp::<f64>; (a | d_a); ; at (a,), smooth, F64);
        check!(newton_g::<f32>, newton_g_vjp::<f32>, newton_g_grad::<f32>, newton_g_jvp::<f32>; (a | d_a); ; at (a as f32,), smooth, F32);
    }
}

#[test]
fn generic_horner() {
    let c = [1.0, -2.0, 0.5, 3.0];
    let x = 0.7;
    let (dc, dx) = horner_g_grad(c, x);
    assert_eq!(dc, [1.0, x, x * x, x * x * x]);
    assert!(close(
        -2.0 + 2.0 * 0.5 * x + 9.0 * x * x,
        dx,
        Tol {
            rel: 1e-14,
            abs: 0.0
        }
    ));
    let c32 = c.map(|c| c as f32);
    let (dc32, dx32) = horner_g_grad(c32, x as f32);
    same_gradient((dc32, dx32), (dc, dx), 1e-6);
    check(
        |(c, x)| horner_g(c, x),
        |(c, x), v| horner_g_vjp(c, x, v),
        |(c, x)| horner_g_grad(c, x),
        |(c, x), (dc, dx)| horner_g_jvp(c, dc, x, dx),
        smooth,
        (c32, x as f32),
        F32,
    );
}

#[test]
fn generic_loop_with_break_and_continue() {
    for x in [0.8, 3.0] {
        check!(break_g::<f64>, break_g_vjp::<f64>, break_g_grad::<f64>, break_g_jvp::<f64>; (x | d_x); ;
            at (x,), |(x,): (f64,)| break_g_trips(x), F64);
        check!(break_g::<f32>, break_g_vjp::<f32>, break_g_grad::<f32>, break_g_jvp::<f32>; (x | d_x); ;
            at (x as f32,), |(x,): (f32,)| break_g_trips(x), F32);
        assert_eq!(break_g_trips(x as f32), break_g_trips(x));
        same_gradient(break_g_grad(x as f32), break_g_grad(x), 1e-5);
    }
}

/// `return` from inside a loop, generic.
#[differentiable]
fn return_g<T: Real>(x: T, limit: T) -> T {
    let mut s = x;
    for i in 0..50 {
        s = s * T::from_f64(1.2) + T::from_i32(i) * T::from_f64(0.01);
        if s > limit {
            return s - limit;
        }
    }
    s
}

fn return_g_trips<T: Real>(x: T, limit: T) -> i32 {
    let mut s = x;
    for i in 0..50 {
        s = s * T::from_f64(1.2) + T::from_i32(i) * T::from_f64(0.01);
        if s > limit {
            return i;
        }
    }
    50
}

/// `break 'outer` and `continue 'outer` from an inner loop, generic.
#[differentiable]
fn outer_g<T: Real>(x: T, n: usize) -> T {
    let mut s = x;
    'outer: for i in 0..n {
        for j in 0..n {
            s = s * T::from_f64(1.05) + x * T::from_f64(0.01);
            if (i + j) % 3 == 2 {
                continue 'outer;
            }
            if s > T::from_f64(6.0) {
                break 'outer;
            }
        }
        s += T::from_f64(0.1);
    }
    s
}

fn outer_g_path<T: Real>(x: T, n: usize) -> Vec<(usize, usize)> {
    let mut s = x;
    let mut path = Vec::new();
    'outer: for i in 0..n {
        for j in 0..n {
            s = s * T::from_f64(1.05) + x * T::from_f64(0.01);
            path.push((i, j));
            if (i + j) % 3 == 2 {
                continue 'outer;
            }
            if s > T::from_f64(6.0) {
                break 'outer;
            }
        }
        s += T::from_f64(0.1);
    }
    path
}

#[test]
fn generic_return_inside_loop() {
    for (x, limit) in [(0.5, 3.0), (0.5, 1e9), (4.0, 3.0)] {
        check!(return_g::<f64>, return_g_vjp::<f64>, return_g_grad::<f64>, return_g_jvp::<f64>; (x, limit | d_x, d_limit); ;
            at (x, limit), |(x, l): (f64, f64)| return_g_trips(x, l), F64);
        let (x32, l32) = (x as f32, limit as f32);
        check!(return_g::<f32>, return_g_vjp::<f32>, return_g_grad::<f32>, return_g_jvp::<f32>; (x, limit | d_x, d_limit); ;
            at (x32, l32), |(x, l): (f32, f32)| return_g_trips(x, l), F32);
        assert_eq!(return_g_trips(x32, l32), return_g_trips(x, limit));
        same_gradient(
            return_g_grad(x32, l32),
            return_g_grad(x32 as f64, l32 as f64),
            1e-4,
        );
    }
}

#[test]
fn generic_jumps_to_an_outer_loop() {
    for (x, n) in [(0.8, 8), (5.0, 8), (0.8, 0)] {
        check!(outer_g::<f64>, outer_g_vjp::<f64>, outer_g_grad::<f64>, outer_g_jvp::<f64>; (x | d_x); n;
            at (x,), |(x,): (f64,)| outer_g_path(x, n), F64);
        check!(outer_g::<f32>, outer_g_vjp::<f32>, outer_g_grad::<f32>, outer_g_jvp::<f32>; (x | d_x); n;
            at (x as f32,), |(x,): (f32,)| outer_g_path(x, n), F32);
        assert_eq!(outer_g_path(x as f32, n), outer_g_path(x, n));
        same_gradient(outer_g_grad(x as f32, n), outer_g_grad(x, n), 1e-5);
    }
}
