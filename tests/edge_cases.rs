//! Numerical edge cases: what derivatives do at NaN, infinity, domain edges, kinks and
//! overflow, on long loops, and from many threads at once. Each row of the README's edge-case
//! table is one test here.

#![deny(warnings)]

use vjp::differentiable;

#[differentiable]
fn sine(x: f64) -> f64 {
    x.sin() * 2.0
}

#[differentiable]
fn root(x: f64) -> f64 {
    x.sqrt()
}

#[differentiable]
fn log(x: f64) -> f64 {
    x.ln()
}

#[differentiable]
fn power(a: f64, b: f64) -> f64 {
    a.powf(b)
}

#[differentiable]
fn kinks(x: f64, y: f64) -> (f64, f64, f64) {
    (x.abs(), x.max(y), x.min(y))
}

#[differentiable]
fn clamped(x: f64, lo: f64, hi: f64) -> f64 {
    x.clamp(lo, hi)
}

#[differentiable]
fn ratio_of_exps(x: f64) -> f64 {
    x.exp() / x.exp()
}

#[differentiable]
fn huge_product(x: f64) -> f64 {
    x * 1e300 * 1e300 * 1e-300 * 1e-300
}

#[differentiable]
fn long_loop(x: f64, n: usize) -> f64 {
    let mut y = x;
    let mut k = 0;
    while k < n {
        y = 0.5 * (y + 1.0).sin();
        k += 1;
    }
    y
}

#[differentiable]
fn slice_energy(x: &[f64]) -> f64 {
    let mut e = 0.0;
    for (i, xi) in x.iter().enumerate() {
        e += (xi * (i as f64 + 1.0)).sin().powi(2);
    }
    e
}

#[test]
fn nan_in_nan_out() {
    let (dx,) = sine_grad(f64::NAN);
    assert!(dx.is_nan());
    let (y, (dx,)) = sine_vjp(0.5, f64::NAN);
    assert_eq!(y, 2.0 * 0.5f64.sin());
    assert!(dx.is_nan(), "a NaN cotangent propagates");
}

#[test]
fn infinity_in_the_input() {
    // sin(±inf) is NaN, and so is its derivative.
    assert!(sine_grad(f64::INFINITY).0.is_nan());
    // d/dx sqrt(x) = 1 / (2 sqrt x) → 0 at +inf.
    assert_eq!(root_grad(f64::INFINITY).0, 0.0);
}

#[test]
fn domain_edges_follow_ieee() {
    assert_eq!(root_grad(0.0).0, f64::INFINITY, "sqrt at 0: +inf");
    assert_eq!(log_grad(0.0).0, f64::INFINITY, "ln at 0: +inf");
    assert!(
        root_grad(-1.0).0.is_nan(),
        "sqrt below its domain: NaN (1 / (2 · NaN))"
    );
    // A rule evaluates its formula: ln'(x) = 1/x is finite below the domain even though
    // ln(x) is NaN there (JAX and PyTorch give the same -1).
    assert!(log(-1.0).is_nan());
    assert_eq!(
        log_grad(-1.0).0,
        -1.0,
        "ln below its domain: the formula 1/x"
    );
}

#[test]
fn powf_with_a_zero_base() {
    let (da, db) = power_grad(0.0, 2.5);
    assert_eq!(da, 0.0, "b·a^(b-1) = 0 at a = 0 for b > 1");
    assert_eq!(db, 0.0, "the b-derivative is defined as 0 where a = 0");
    let (da, db) = power_grad(0.0, 1.0);
    assert_eq!((da, db), (1.0, 0.0));
}

#[test]
fn kinks_use_the_documented_conventions() {
    let (_, (dx, dy)) = kinks_vjp(0.0, 1.0, (1.0, 0.0, 0.0));
    assert_eq!((dx, dy), (0.0, 0.0), "abs'(0) = 0");
    let (_, (dx, dy)) = kinks_vjp(2.0, 2.0, (0.0, 1.0, 0.0));
    assert_eq!((dx, dy), (0.5, 0.5), "max at a tie splits evenly");
    let (_, (dx, dy)) = kinks_vjp(2.0, 2.0, (0.0, 0.0, 1.0));
    assert_eq!((dx, dy), (0.5, 0.5), "min at a tie splits evenly");
    assert_eq!(
        clamped_grad(1.0, 1.0, 2.0),
        (1.0, 0.0, 0.0),
        "clamp at a bound: x"
    );
    assert_eq!(
        clamped_grad(0.5, 1.0, 2.0),
        (0.0, 1.0, 0.0),
        "clamp below: lo"
    );
    assert_eq!(
        clamped_grad(3.0, 1.0, 2.0),
        (0.0, 0.0, 1.0),
        "clamp above: hi"
    );
}

#[test]
fn overflow_in_intermediates() {
    // exp(800) overflows: the primal is inf / inf = NaN, and so is the derivative.
    assert!(ratio_of_exps(800.0).is_nan());
    assert!(ratio_of_exps_grad(800.0).0.is_nan());
    // Below the overflow the quotient is 1 and the derivative 0 (up to rounding).
    assert!(ratio_of_exps_grad(1.0).0.abs() < 1e-15);
    // The sweeps multiply the same factors in opposite orders, so they can overflow and
    // underflow differently: the primal x·1e300·1e300·1e-300·1e-300 overflows to inf, while
    // the reverse sweep applies 1e-300·1e-300 first, underflows to 0 and stays there.
    assert!(huge_product(1.0).is_infinite());
    assert_eq!(huge_product_grad(1.0).0, 0.0);
}

#[test]
fn a_ten_million_iteration_loop_tapes_without_overflowing_the_stack() {
    let n = 10_000_000;
    let (dx,) = long_loop_grad(0.3, n);
    // The map is contractive: the derivative is finite and tiny, and matches a shorter run's
    // finite difference once the iterate has converged (it forgets x).
    assert!(dx.is_finite());
    assert!(dx.abs() < 1e-100);
    let (dx_short,) = long_loop_grad(0.3, 3);
    let h = 1e-6;
    let fd = (long_loop(0.3 + h, 3) - long_loop(0.3 - h, 3)) / (2.0 * h);
    assert!((dx_short - fd).abs() < 1e-8);
}

#[test]
fn many_threads_at_once_share_nothing() {
    let inputs: Vec<Vec<f64>> = (0..8)
        .map(|t| (0..200).map(|i| 0.01 * (i * (t + 1)) as f64).collect())
        .collect();
    let expected: Vec<Vec<f64>> = inputs
        .iter()
        .map(|x| {
            let mut g = vec![0.0; x.len()];
            slice_energy_grad(x, &mut g);
            g
        })
        .collect();
    let loops: Vec<(f64, usize)> = (0..8).map(|t| (0.1 * t as f64, 1000 + 100 * t)).collect();
    let loop_expected: Vec<f64> = loops.iter().map(|&(x, n)| long_loop_grad(x, n).0).collect();
    std::thread::scope(|scope| {
        for (t, x) in inputs.iter().enumerate() {
            let (expected, loops, loop_expected) = (&expected, &loops, &loop_expected);
            scope.spawn(move || {
                for _ in 0..50 {
                    let mut g = vec![0.0; x.len()];
                    slice_energy_grad(x, &mut g);
                    assert_eq!(&g, &expected[t]);
                    let (x0, n) = loops[t];
                    assert_eq!(long_loop_grad(x0, n).0, loop_expected[t]);
                }
            });
        }
    });
}
