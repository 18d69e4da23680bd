//! The reverse of a loop takes a slot's adjoint at the end of each iteration and resets it,
//! and its first contribution after that assigns instead of adding to a zero, also inside the
//! branches of an `if` (`Item::Reset` in `reverse.rs`). A reset that went missing on some path
//! would add a stale adjoint: each function here has paths on which a branch does not read the
//! slot, does not write it, or nests another `if` (or the slot is an array), and its gradient
//! is compared with forward mode (`NAME_jvp`, which does not share that code) and with central
//! differences.
#![deny(warnings)]

use vjp::differentiable;

/// The else branch does not read `x`: its reset must still happen there.
#[differentiable]
fn one_side(x0: f64, r: f64) -> f64 {
    let mut x = x0;
    for _ in 0..12 {
        x = if x > 0.3 {
            x * r + 0.1 * x * x
        } else {
            r * 0.5 + 0.2
        };
    }
    x
}

/// The same with the branches the other way round.
#[differentiable]
fn other_side(x0: f64, r: f64) -> f64 {
    let mut x = x0;
    for _ in 0..12 {
        x = if x <= 0.3 {
            r * 0.5 + 0.2
        } else {
            x * r + 0.1 * x * x
        };
    }
    x
}

/// Nested branches, one of which reads `x` twice.
#[differentiable]
fn nested(x0: f64, r: f64) -> f64 {
    let mut x = x0;
    for _ in 0..10 {
        x = if x > 0.0 {
            if x > 1.0 {
                x.sqrt() + r * x
            } else {
                x * r
            }
        } else {
            (x * r).sin() - 0.4
        };
    }
    x
}

/// An `if` without `else` that writes the slot, and a sum accumulated on both sides.
#[differentiable]
fn no_else(x0: f64, r: f64) -> f64 {
    let mut x = x0;
    let mut s = 0.0;
    for _ in 0..15 {
        x = x * r + 0.3;
        if x > 1.0 {
            x = x * 0.5 - 0.1 * r;
        }
        s += x * x;
    }
    s
}

/// An `if` after the slot's update that names neither slot: the resets stay outside it.
#[differentiable]
fn neither(x0: f64, r: f64) -> f64 {
    let mut x = x0;
    let mut s = 0.0;
    for i in 0..9 {
        x = x * r + 0.05;
        let t = if i % 2 == 0 { r * r } else { -r };
        s += t * 0.1;
    }
    s + x
}

/// Two slots written in one branch, read in the other, and a loop inside a branch that writes
/// the outer slot.
#[differentiable]
fn two_slots(x0: f64, r: f64) -> f64 {
    let mut a = x0;
    let mut b = r;
    for _ in 0..8 {
        if a > b {
            let t = a;
            a = b * 0.9;
            b = t * r;
        } else {
            for _ in 0..2 {
                a = a * 0.8 + b * 0.1;
            }
        }
    }
    a * 2.0 + b
}

/// An array slot whose whole cotangent comes back from a callee: it is assigned, not added to
/// a zeroed array.
#[differentiable]
fn turn(a: [f64; 2], r: f64) -> [f64; 2] {
    [a[1] * r, a[0].sin() + r]
}

#[differentiable]
fn array_slot(x0: f64, r: f64) -> f64 {
    let mut a = [x0, 2.0 * x0];
    for _ in 0..5 {
        a = turn(a, r);
    }
    a[0] * a[1]
}

type Vjp = fn(f64, f64, f64) -> (f64, (f64, f64));
type Jvp = fn(f64, f64, f64, f64) -> (f64, f64);

/// The gradient of `vjp` at (x0, r) against forward mode (rounding only) and central
/// differences (away from the branch boundaries, which the points below avoid).
fn check(name: &str, f: fn(f64, f64) -> f64, vjp: Vjp, jvp: Jvp, x0: f64, r: f64) {
    let (y, (gx, gr)) = vjp(x0, r, 1.0);
    assert_eq!(y.to_bits(), f(x0, r).to_bits(), "{name}: primal");
    let (_, dx) = jvp(x0, 1.0, r, 0.0);
    let (_, dr) = jvp(x0, 0.0, r, 1.0);
    let close =
        |a: f64, b: f64, rel: f64, abs: f64| (a - b).abs() <= abs + rel * a.abs().max(b.abs());
    assert!(
        close(gx, dx, 1e-12, 1e-14) && close(gr, dr, 1e-12, 1e-14),
        "{name} at ({x0}, {r}): reverse ({gx}, {gr}), forward ({dx}, {dr})"
    );
    let h = 1e-6;
    let fx = (f(x0 + h, r) - f(x0 - h, r)) / (2.0 * h);
    let fr = (f(x0, r + h) - f(x0, r - h)) / (2.0 * h);
    assert!(
        close(gx, fx, 1e-5, 1e-8) && close(gr, fr, 1e-5, 1e-8),
        "{name} at ({x0}, {r}): reverse ({gx}, {gr}), differences ({fx}, {fr})"
    );
    // A cotangent other than one scales the gradient.
    let (_, (gx2, gr2)) = vjp(x0, r, -2.5);
    assert!(close(gx2, -2.5 * gx, 1e-15, 0.0) && close(gr2, -2.5 * gr, 1e-15, 0.0));
}

#[test]
fn resets_on_every_path() {
    for (x0, r) in [(0.7, 0.9), (0.2, 1.3), (1.1, 0.8), (0.45, 1.1)] {
        check("one_side", one_side, one_side_vjp, one_side_jvp, x0, r);
        check(
            "other_side",
            other_side,
            other_side_vjp,
            other_side_jvp,
            x0,
            r,
        );
    }
    for (x0, r) in [(2.3, 0.7), (0.6, 1.4), (-0.8, 1.2), (1.6, 0.45)] {
        check("nested", nested, nested_vjp, nested_jvp, x0, r);
    }
    for (x0, r) in [(0.5, 1.2), (0.1, 0.9), (1.7, 1.05)] {
        check("no_else", no_else, no_else_vjp, no_else_jvp, x0, r);
    }
    for (x0, r) in [(0.5, 1.2), (-0.3, 0.7)] {
        check("neither", neither, neither_vjp, neither_jvp, x0, r);
    }
    for (x0, r) in [(1.5, 0.6), (0.2, 1.1), (0.9, 0.95)] {
        check("two_slots", two_slots, two_slots_vjp, two_slots_jvp, x0, r);
        check(
            "array_slot",
            array_slot,
            array_slot_vjp,
            array_slot_jvp,
            x0,
            r,
        );
    }
}

/// A path the checks above take: the branch of `one_side` and `other_side` that does not read
/// `x` runs and cuts `x0` off (the derivative in `x0` is zero; a missing reset gives another).
#[test]
fn one_side_cuts_the_chain() {
    for vjp in [one_side_vjp, other_side_vjp] {
        let (_, (gx, gr)) = vjp(0.2, 1.3, 1.0);
        assert_eq!(gx, 0.0);
        assert!(gr != 0.0);
    }
}
