//! Regressions found by the random-program generator (tools/vjp-fuzzgen), each a minimal
//! reproducer checked against finite differences or closed forms.

#![deny(warnings)]

use vjp::differentiable;

/// B6: a `let` in a branch that falls through must not shadow the code after an `if` whose
/// other branch returns (that code is moved into the branches when lowering).
#[differentiable]
fn shadow_leak(x: f64, y: f64) -> f64 {
    let r = x * 2.0;
    #[allow(unused_variables)]
    if x < 0.0 {
        let r = y;
    } else {
        return r;
    }
    r
}

/// B7: an element assignment in an `else if` arm after an arm that returns.
#[differentiable]
fn elem_after_return(x: f64, y: f64) -> f64 {
    let mut a = [x, y];
    if x > 0.0 {
        return y;
    } else if y < 0.5 {
        a[0] = x * y;
    }
    a[0] + a[1]
}

/// B8 (f498): a name declared in a branch, assigned on a path that returns, while the other
/// path leaves the name's scope (the code after the `if` is moved into its branches). The `if`
/// defined a variable for the name with no value in the branch that falls through, and the
/// generated code did not compile (`if` and `else` have incompatible types `(f64, f64)` and
/// `((), f64)`).
#[differentiable]
fn out_of_scope_after_return(x: f64, y: f64) -> f64 {
    if x > 1.0 {
        let mut a = x;
        if y > 0.0 {
            a *= y;
            return a;
        }
    }
    x
}

/// B8 with the scope of a block statement.
#[differentiable]
fn block_scope_after_return(x: f64, y: f64) -> f64 {
    {
        let mut a = x;
        if y > 0.0 {
            a *= y;
            return a;
        }
    }
    x
}

/// B8 as the generator found it: an array assigned before a nested `if` that returns, and an
/// `else if` chain that falls through, over array and tuple parameters.
#[differentiable]
fn scoped_array_after_return(w: [f64; 2], p: (f64, f64)) -> f64 {
    if p.0 > 0.0 {
        let mut a = [w[0] * p.1, w[1].sin()];
        if p.1 > 0.5 {
            a[0] = a[0].sin() + a[1];
            if a[0] > w[1] {
                return a[0] * a[1];
            }
        } else if a[1] > 0.0 {
        }
    }
    w[0] * p.0 + w[1]
}

#[test]
fn shadowing_in_a_branch_does_not_leak() {
    assert_eq!(shadow_leak(-1.5, 0.3), -3.0);
    assert_eq!(shadow_leak_vjp(-1.5, 0.3, 1.0), (-3.0, (2.0, 0.0)));
    assert_eq!(shadow_leak_jvp(-1.5, 1.0, 0.3, 0.0), (-3.0, 2.0));
    assert_eq!(shadow_leak_vjp(1.5, 0.3, 1.0), (3.0, (2.0, 0.0)));
}

#[test]
fn element_assignment_after_a_returning_arm() {
    // x <= 0, y < 0.5: a = [x y, y], result x y + y.
    let (x, y) = (-0.5, 0.25);
    assert_eq!(elem_after_return(x, y), x * y + y);
    assert_eq!(elem_after_return_grad(x, y), (y, x + 1.0));
    assert_eq!(elem_after_return_grad(0.5, 0.25), (0.0, 1.0));
    assert_eq!(elem_after_return_grad(-0.5, 0.75), (1.0, 1.0));
}

/// B1: a condition the reverse sweep evaluates again may call any primitive.
#[differentiable]
fn pure_primitives_in_loop(x: f64) -> f64 {
    let mut s = x;
    for _ in 0..3 {
        if s.cosh() > 1.5 || f64::tanh(s) > 0.9 {
            s *= 0.5;
        } else {
            s = s * 1.5 + 0.1;
        }
    }
    s
}

/// B4: `*v` of a loop variable over an active slice, in a condition and an assertion.
#[differentiable]
fn deref_in_condition(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for v in x.iter() {
        assert!((*v).is_finite());
        if *v > 0.0 {
            s += *v * *v;
        }
    }
    s
}

/// B5: `continue` inside a block statement in a loop.
#[differentiable]
fn jump_in_block(x: f64) -> f64 {
    let mut s = 1.0;
    for _ in 0..4 {
        {
            s *= x;
            if s > 2.0 {
                continue;
            }
        }
        s += 0.5;
    }
    s
}

#[test]
fn more_generator_findings() {
    let fd = |f: &dyn Fn(f64) -> f64, x: f64| (f(x + 1e-6) - f(x - 1e-6)) / 2e-6;
    for x in [0.4, 1.7] {
        let (g,) = pure_primitives_in_loop_grad(x);
        assert!((g - fd(&pure_primitives_in_loop, x)).abs() < 1e-6, "{x}");
        let (g,) = jump_in_block_grad(x);
        assert!((g - fd(&jump_in_block, x)).abs() < 1e-5, "{x}");
    }
    let x = [0.5, -1.0, 2.0];
    let mut g = [0.0; 3];
    deref_in_condition_grad(&x, &mut g);
    assert_eq!(g, [1.0, 0.0, 4.0]);
}

#[test]
fn assigned_on_a_returning_path_out_of_scope_on_the_other() {
    for (f, f_vjp, f_jvp) in [
        (
            out_of_scope_after_return as fn(f64, f64) -> f64,
            out_of_scope_after_return_vjp as fn(f64, f64, f64) -> (f64, (f64, f64)),
            out_of_scope_after_return_jvp as fn(f64, f64, f64, f64) -> (f64, f64),
        ),
        (
            block_scope_after_return,
            block_scope_after_return_vjp,
            block_scope_after_return_jvp,
        ),
    ] {
        // Returns x y.
        assert_eq!(f(2.0, 3.0), 6.0);
        assert_eq!(f_vjp(2.0, 3.0, 1.0), (6.0, (3.0, 2.0)));
        assert_eq!(f_jvp(2.0, 1.0, 3.0, 0.0), (6.0, 3.0));
        assert_eq!(f_jvp(2.0, 0.0, 3.0, 1.0), (6.0, 2.0));
        // Falls through to x.
        assert_eq!(f_vjp(2.0, -3.0, 2.0), (2.0, (2.0, 0.0)));
        assert_eq!(f_jvp(2.0, 1.0, -3.0, 1.0), (2.0, 1.0));
    }
    // x <= 1: the outer `if` falls through too.
    assert_eq!(
        out_of_scope_after_return_vjp(0.5, 3.0, 1.0),
        (0.5, (1.0, 0.0))
    );
    assert_eq!(
        block_scope_after_return_vjp(0.5, 3.0, 1.0),
        (1.5, (3.0, 0.5))
    );

    let value = |x: &[f64]| scoped_array_after_return([x[0], x[1]], (x[2], x[3]));
    let grad = |x: &[f64]| {
        let ([g0, g1], (g2, g3)) = scoped_array_after_return_grad([x[0], x[1]], (x[2], x[3]));
        [g0, g1, g2, g3]
    };
    // (w0, w1, p0, p1) on each path: the return, and the three ways to the last line.
    let points = [
        [1.0, 0.2, 0.5, 1.0],
        [0.1, 1.5, 0.5, 1.0],
        [1.0, 0.2, 0.5, 0.2],
        [1.0, 0.2, -0.5, 1.0],
    ];
    for x in points {
        let g = grad(&x);
        for k in 0..4 {
            let (mut up, mut down) = (x, x);
            up[k] += 1e-6;
            down[k] -= 1e-6;
            let fd = (value(&up) - value(&down)) / 2e-6;
            assert!((g[k] - fd).abs() < 1e-6, "{x:?} {k}: {} vs {fd}", g[k]);
            // J e_k is the k-th entry of the gradient.
            let mut u = [0.0; 4];
            u[k] = 1.0;
            let (y, d) = scoped_array_after_return_jvp(
                [x[0], x[1]],
                [u[0], u[1]],
                (x[2], x[3]),
                (u[2], u[3]),
            );
            assert_eq!(y, value(&x));
            assert!((d - g[k]).abs() <= 1e-14, "{x:?} {k}: {d} vs {}", g[k]);
        }
        let (y, _) = scoped_array_after_return_vjp([x[0], x[1]], (x[2], x[3]), 1.0);
        assert_eq!(y, value(&x));
    }
    // The returning path: a0 = sin(w0 p1) + sin w1, result a0 sin w1.
    let [w0, w1, _, p1] = points[0];
    let a0 = (w0 * p1).sin() + w1.sin();
    assert_eq!(value(&points[0]), a0 * w1.sin());
    let expected = [
        (w0 * p1).cos() * p1 * w1.sin(),
        w1.cos() * w1.sin() + a0 * w1.cos(),
        0.0,
        (w0 * p1).cos() * w0 * w1.sin(),
    ];
    let g = grad(&points[0]);
    for k in 0..4 {
        assert!(
            (g[k] - expected[k]).abs() < 1e-14,
            "{k}: {} vs {}",
            g[k],
            expected[k]
        );
    }
    // The other paths: w0 p0 + w1.
    assert_eq!(grad(&points[1]), [0.5, 1.0, 0.1, 0.0]);
    assert_eq!(grad(&points[2]), [0.5, 1.0, 1.0, 0.0]);
    assert_eq!(grad(&points[3]), [-0.5, 1.0, 1.0, 0.0]);
}

/// B9 (seed 91300, f3799): the result of a differentiable call on inactive data, passed to
/// another differentiable call, was rejected as "an argument whose float-ness vjp cannot tell";
/// a call's result is float-carrying, so it gets its (unused) cotangent slot.
#[differentiable]
fn product_of_pair(a: [f64; 2]) -> f64 {
    a[0] * a[1]
}

#[differentiable]
fn times_sine(x: f64, y: f64) -> f64 {
    x * y.sin()
}

#[differentiable]
fn inactive_call_result(#[no_grad] w: f64, x: f64) -> f64 {
    times_sine(x, product_of_pair([w, w]))
}

#[test]
fn inactive_call_result_as_an_argument() {
    let (w, x) = (0.7, 1.3);
    let (y, (gx,)) = inactive_call_result_vjp(w, x, 1.0);
    assert_eq!(y, x * (w * w).sin());
    assert!((gx - (w * w).sin()).abs() < 1e-15);
    let (_, jx) = inactive_call_result_jvp(w, x, 1.0);
    assert!((jx - gx).abs() < 1e-15);
}

/// B10 (seed 56000, f488): a loop variable over references (`for t in w.iter()`, read as `*t`)
/// that a `while` in the body shadows with a `let mut t` it assigns. The assignment made `t` a
/// slot of the `while` (slots are found by name), and the slot was no longer known to be a
/// reference: `*t` after the `while` was rejected ("dereferencing cannot be differentiated").
#[differentiable]
fn shadowed_in_while(x: f64, #[no_grad] w: &[f64; 3]) -> f64 {
    let mut q = 0.0;
    for t in w.iter() {
        let mut i = 0;
        while i < 2 {
            i += 1;
            #[allow(unused_assignments)]
            let mut t = x;
            t *= 2.0;
            q += t.sin();
        }
        q += x * *t;
    }
    q
}

#[test]
fn reference_loop_variable_shadowed_in_a_while() {
    let (x, w) = (0.3, [0.5, 1.0, 2.0]);
    // q = 6 sin(2x) + x (w0 + w1 + w2).
    let (y, (gx,)) = shadowed_in_while_vjp(x, &w, 1.0);
    assert!((y - (6.0 * (2.0 * x).sin() + 3.5 * x)).abs() < 1e-14);
    assert!((gx - (12.0 * (2.0 * x).cos() + 3.5)).abs() < 1e-14);
    let (_, jx) = shadowed_in_while_jvp(x, 1.0, &w);
    assert!((jx - gx).abs() < 1e-14);
}

/// B11 (seed 98000, f59): a float variable assigned the result of a plain function
/// (`h = weight(i);`), then passed to a differentiable callee, was rejected ("vjp cannot tell
/// whether the argument `h` is a float"): an assignment keeps the variable's type.
fn weight(i: usize) -> f64 {
    1.0 / (1.0 + i as f64)
}

#[differentiable]
fn scaled_sine(a: f64, b: f64) -> f64 {
    a * b.sin()
}

#[differentiable]
fn assigned_from_plain_call(x: f64) -> f64 {
    let mut h = x * 2.0;
    let mut s = scaled_sine(h, x);
    for i in 0..3 {
        h = weight(i);
        s += scaled_sine(h, x * s);
    }
    s
}

#[test]
fn assignment_keeps_the_type() {
    let f = |x: f64| {
        let mut s = 2.0 * x * x.sin();
        for i in 0..3 {
            s += weight(i) * (x * s).sin();
        }
        s
    };
    for x in [0.4, -1.1] {
        let (y, (g,)) = assigned_from_plain_call_vjp(x, 1.0);
        assert_eq!(y, assigned_from_plain_call(x));
        assert!((y - f(x)).abs() < 1e-14);
        let h = 1e-6;
        let fd = (f(x + h) - f(x - h)) / (2.0 * h);
        assert!((g - fd).abs() < 1e-6 * fd.abs().max(1.0), "{g} {fd}");
        let (_, jx) = assigned_from_plain_call_jvp(x, 1.0);
        assert!((jx - g).abs() < 1e-12 * g.abs().max(1.0));
    }
}

/// B12 (seed 107000, f897): names bound inside an expression kept as written (a condition
/// that reads only inactive values, here through a closure) shadow the locals of the same
/// name. The renaming of locals to their current versions went token by token, so
/// `|l: &f64| l.cos()` read the outer `l` in the generated functions: a wrong value and
/// gradient (or, with `(*l)`, code that did not compile). Closure parameters, `let`s in a
/// block, `match` arms, `if let` and `for` patterns are scoped now.
#[differentiable]
#[allow(clippy::blocks_in_conditions, clippy::match_single_binding)]
fn shadowing_bindings(q: &[f64], x: f64) -> f64 {
    let mut l = x * 0.5;
    l += q[0];
    let p = x.sin();
    let c = if q.iter().map(|l: &f64| l.cos()).sum::<f64>() <= 0.0 {
        1.0
    } else {
        2.0
    };
    let d = if q
        .iter()
        .map(|l: &f64| 2.0 * (*l).cos())
        .fold(0.5, |s, p: f64| s + p)
        > 0.0
    {
        3.0
    } else {
        4.0
    };
    let e = if {
        let p = q.len() as f64;
        p > 3.5
    } {
        5.0
    } else {
        6.0
    };
    let f = if match q.len() {
        l => l > 3,
    } {
        7.0
    } else {
        8.0
    };
    let gb: bool = if let Some(&l) = q.get(1) {
        l > 2.0
    } else {
        false
    };
    let g = if gb { 9.0 } else { 10.0 };
    let hb: bool = q.iter().any(|v| {
        let mut n = 0;
        for l in 0..3 {
            n += l;
        }
        *v > n as f64
    });
    let h = if hb { 12.0 } else { 13.0 };
    // The closure's `l` in a format string too.
    let digits: usize = q.iter().map(|l| format!("{l}").len()).sum();
    (c + d + e + f + g + h) * l * p * digits as f64
}

#[test]
fn shadowing_bindings_are_scoped() {
    // With the bindings scoped: the cosines' sum is negative (c = 1, d = 4), q has 4
    // elements (e = 5, f = 7), q[1] = 3 > 2 (g = 9) and 3.1 > 0 + 1 + 2 (h = 12).
    let q = [0.2, 3.0, 3.1, 2.9];
    let x: f64 = 0.7;
    // And "0.2", "3", "3.1", "2.9" have 10 characters.
    let k = (1.0 + 4.0 + 5.0 + 7.0 + 9.0 + 12.0) * 10.0;
    let want = k * (x * 0.5 + q[0]) * x.sin();
    assert!((shadowing_bindings(&q, x) - want).abs() < 1e-12);
    let mut g = [0.0; 4];
    let (y, (gx,)) = shadowing_bindings_vjp(&q, &mut g, x, 1.0);
    assert_eq!(y.to_bits(), shadowing_bindings(&q, x).to_bits());
    assert!((g[0] - k * x.sin()).abs() < 1e-12, "{g:?}");
    assert_eq!(&g[1..], &[0.0; 3]);
    let dx = k * (0.5 * x.sin() + (x * 0.5 + q[0]) * x.cos());
    assert!((gx - dx).abs() < 1e-12, "{gx} {dx}");
}

/// B13 (seed 112000, f594): a `Vec` written by a loop with an undo log, then written in an
/// `if` after the loop. The `if`'s else branch moved the loop's last version out as its
/// value, though the reverse reads that version (the callee's reverse and the undo log's copy
/// start from it): generated code that did not compile ("use of moved value").
#[differentiable]
fn undone_then_branch(q0: &[f64], q1: &[f64], s: f64) -> f64 {
    let mut u: Vec<f64> = q1.to_vec();
    for i in 1..q1.len() {
        u[i] = u[i - 1] * s;
    }
    if q0.len() >= 2 {
        u[0] = dot_two(q0, &u);
    }
    u[1] + u[0] * u[2]
}

#[differentiable]
fn dot_two(x: &[f64], w: &[f64]) -> f64 {
    x[0] * w[0] + x[1] * w[1]
}

#[test]
fn undone_vec_read_after_a_branch() {
    let (a, s) = (0.7, 1.3);
    let q1 = [a, -0.4, 2.0];
    // u = [a, a s, a s²]; with q0 = [p, r], u[0] becomes p a + r a s.
    let (p, r) = (0.5, -1.1);
    let mut g0 = [0.0; 2];
    let mut g1 = [0.0; 3];
    let (y, (gs,)) = undone_then_branch_vjp(&[p, r], &mut g0, &q1, &mut g1, s, 1.0);
    let close = |x: f64, want: f64| (x - want).abs() < 1e-12 * (1.0 + want.abs());
    assert!(close(y, a * s + p * a * a * s * s + r * a * a * s.powi(3)));
    assert!(
        close(g0[0], a * a * s * s) && close(g0[1], a * a * s.powi(3)),
        "{g0:?}"
    );
    let da = s + 2.0 * p * a * s * s + 2.0 * r * a * s.powi(3);
    assert!(close(g1[0], da) && g1[1] == 0.0 && g1[2] == 0.0, "{g1:?}");
    assert!(
        close(gs, a + 2.0 * p * a * a * s + 3.0 * r * a * a * s * s),
        "{gs}"
    );
    // With one element in q0 the branch does not run: y = a s + a² s².
    let mut g0 = [0.0; 1];
    let mut g1 = [0.0; 3];
    let (y, (gs,)) = undone_then_branch_vjp(&[p], &mut g0, &q1, &mut g1, s, 1.0);
    assert!(close(y, a * s + a * a * s * s));
    assert_eq!(g0, [0.0]);
    assert!(
        close(g1[0], s + 2.0 * a * s * s) && g1[1] == 0.0 && g1[2] == 0.0,
        "{g1:?}"
    );
    assert!(close(gs, a + 2.0 * a * a * s), "{gs}");
}
