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
