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
