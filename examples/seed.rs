//! The worked example of the seed notes on vector-Jacobian products:
//!
//! f(x1, x2) = [x1² + x2, sin x1, x1 x2], at x = (1, 2), with the output cotangent
//! v = (1, −1, 2), for which v^T J = [6 − cos 1, 3].
//!
//! Prints the output, the 3×2 Jacobian built one row at a time from three VJPs with the unit
//! vectors, the VJP for v next to its closed form, and the code `#[differentiable]` generated.
//!
//! Run it with `cargo run --example seed`.

use vjp::differentiable;

/// The seed's function, written exactly as in the expansion snapshot
/// `vjp-macro/tests/snapshots/seed.rs`, which `main` prints at the end.
#[differentiable]
pub fn seed(x1: f64, x2: f64) -> (f64, f64, f64) {
    (x1 * x1 + x2, x1.sin(), x1 * x2)
}

/// How far a computed derivative may be from its closed form.
const TOLERANCE: f64 = 1e-12;

fn main() {
    let (x1, x2) = (1.0_f64, 2.0_f64);

    let y = seed(x1, x2);
    println!("x = ({x1}, {x2})");
    println!("f(x) = [{:.6}, {:.6}, {:.6}]", y.0, y.1, y.2);

    // Row i of J is e_i^T J: the VJP with the i-th unit vector as the output cotangent.
    let units = [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)];
    let jacobian = units.map(|e| {
        let (_, (d1, d2)) = seed_vjp(x1, x2, e);
        [d1, d2]
    });
    let closed_form = [[2.0 * x1, 1.0], [x1.cos(), 0.0], [x2, x1]];
    println!();
    println!("J(x), one VJP per row      closed form [[2 x1, 1], [cos x1, 0], [x2, x1]]");
    for (row, expected) in jacobian.iter().zip(&closed_form) {
        println!(
            "  [{:>9.6}, {:>9.6}]        [{:>9.6}, {:>9.6}]",
            row[0], row[1], expected[0], expected[1]
        );
        for (got, want) in row.iter().zip(expected) {
            assert!((got - want).abs() <= TOLERANCE, "J = {jacobian:?}");
        }
    }

    let v = (1.0, -1.0, 2.0);
    let (output, (d1, d2)) = seed_vjp(x1, x2, v);
    assert_eq!(output, y, "seed_vjp returns the output of seed");
    let (e1, e2) = (6.0 - 1.0_f64.cos(), 3.0);
    println!();
    println!("v = ({}, {}, {})", v.0, v.1, v.2);
    println!("v^T J from seed_vjp:     [{d1:.15}, {d2:.15}]");
    println!("[6 - cos 1, 3] by hand:  [{e1:.15}, {e2:.15}]");
    assert!(
        (d1 - e1).abs() <= TOLERANCE && (d2 - e2).abs() <= TOLERANCE,
        "v^T J = [{d1}, {d2}], expected [{e1}, {e2}]"
    );
    println!("they agree to within {TOLERANCE:e}");

    println!();
    println!("The code #[differentiable] generated for `seed`");
    println!("(vjp-macro/tests/snapshots/seed.rs, checked against the macro by `cargo test`):");
    println!();
    print!("{}", include_str!("../vjp-macro/tests/snapshots/seed.rs"));
}
