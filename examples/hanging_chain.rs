//! A chain of springs hanging under gravity between two fixed points, found by minimising its
//! energy. The particles are a `&[[f64; 3]]` of positions, as physics code holds them; small
//! vector helpers return `[f64; 3]`; the segments' midpoints are collected into a local `Vec`
//! and lent to another differentiable function. `#[differentiable]` gives the energy's gradient
//! with respect to every coordinate, in a shadow of the same shape.
//!
//! The example checks the gradient against central finite differences, then relaxes the chain
//! by nonlinear conjugate gradients, and checks that the result is the symmetric sagging curve
//! it should be.

use vjp::differentiable;

/// The particles: the first and last are pinned.
const PARTICLES: usize = 13;
/// Spring constant, rest length of each segment, and the weight of each segment's mass.
const K: f64 = 40.0;
const REST: f64 = 0.08;
const WEIGHT: f64 = 0.5;

#[differentiable]
fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

#[differentiable]
fn norm(a: [f64; 3]) -> f64 {
    (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt()
}

/// The potential energy of point masses at `points` (height is the third coordinate). `weight`
/// is not `#[no_grad]`: a differentiable caller passes a float there, and takes the callee's
/// cotangents back by position, one per float argument (see the README).
#[differentiable]
fn gravity(points: &[[f64; 3]], weight: f64) -> f64 {
    points.iter().map(|p| weight * p[2]).sum::<f64>()
}

/// Springs along the chain, and each segment's weight at its midpoint.
#[differentiable]
fn energy(pos: &[[f64; 3]], #[no_grad] k: f64, #[no_grad] rest: f64) -> f64 {
    let mut springs = 0.0;
    for w in pos.windows(2) {
        let stretch = norm(sub(w[1], w[0])) - rest;
        springs += 0.5 * k * stretch * stretch;
    }
    let mid: Vec<[f64; 3]> = pos
        .windows(2)
        .map(|w| {
            [
                0.5 * (w[0][0] + w[1][0]),
                0.5 * (w[0][1] + w[1][1]),
                0.5 * (w[0][2] + w[1][2]),
            ]
        })
        .collect();
    // Typed: the macro cannot see the type of a `const` declared elsewhere.
    let weight: f64 = WEIGHT;
    springs + gravity(&mid, weight)
}

/// The energy's gradient, with the pinned ends held (their components are zero).
fn gradient(pos: &[[f64; 3]]) -> Vec<[f64; 3]> {
    let mut g = vec![[0.0; 3]; pos.len()];
    energy_grad(pos, &mut g, K, REST);
    let last = pos.len() - 1;
    g[0] = [0.0; 3];
    g[last] = [0.0; 3];
    g
}

fn main() {
    // A straight, slack start between (0, 0, 0) and (0.8, 0.1, 0).
    let mut pos: Vec<[f64; 3]> = (0..PARTICLES)
        .map(|i| {
            let t = i as f64 / (PARTICLES - 1) as f64;
            [0.8 * t, 0.1 * t, 0.0]
        })
        .collect();

    // The gradient against central differences, at a bent start.
    let bent: Vec<[f64; 3]> = pos
        .iter()
        .enumerate()
        .map(|(i, p)| [p[0], p[1] + 0.01 * i as f64, -0.03 * (i as f64 * 0.7).sin()])
        .collect();
    let mut g = vec![[0.0; 3]; PARTICLES];
    energy_grad(&bent, &mut g, K, REST);
    let mut worst: f64 = 0.0;
    for i in 0..PARTICLES {
        for j in 0..3 {
            let h = 1e-6;
            let (mut up, mut down) = (bent.clone(), bent.clone());
            up[i][j] += h;
            down[i][j] -= h;
            let fd = (energy(&up, K, REST) - energy(&down, K, REST)) / (2.0 * h);
            worst = worst.max((g[i][j] - fd).abs() / fd.abs().max(1.0));
        }
    }
    println!("gradient against central differences: largest relative difference {worst:.1e}");
    assert!(
        worst < 1e-6,
        "the gradient disagrees with finite differences"
    );

    // Nonlinear conjugate gradients (Polak–Ribière, restarted when it stops descending) with
    // a backtracking line search, to a gradient of 1e-6: below that, the decrease a step
    // promises is lost in the rounding of the energy, and the line search cannot see it.
    let flat = |v: &[[f64; 3]]| -> Vec<f64> { v.iter().flatten().copied().collect() };
    let dot = |a: &[f64], b: &[f64]| -> f64 { a.iter().zip(b).map(|(x, y)| x * y).sum() };
    let start = energy(&pos, K, REST);
    let mut e = start;
    let mut g = flat(&gradient(&pos));
    let mut d: Vec<f64> = g.iter().map(|v| -v).collect();
    let mut step = 0.01;
    let mut iterations = 0;
    while dot(&g, &g).sqrt() > 1e-6 && iterations < 5_000 {
        if dot(&g, &d) >= 0.0 {
            d = g.iter().map(|v| -v).collect();
        }
        let slope = dot(&g, &d);
        let moved = |t: f64| -> Vec<[f64; 3]> {
            pos.iter()
                .enumerate()
                .map(|(i, p)| {
                    [
                        p[0] + t * d[3 * i],
                        p[1] + t * d[3 * i + 1],
                        p[2] + t * d[3 * i + 2],
                    ]
                })
                .collect()
        };
        // Armijo: a decrease of at least a small fraction of what the slope promises.
        while energy(&moved(step), K, REST) > e + 1e-4 * step * slope && step > 1e-16 {
            step *= 0.5;
        }
        pos = moved(step);
        e = energy(&pos, K, REST);
        let g_new = flat(&gradient(&pos));
        let change: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let beta = (dot(&g_new, &change) / dot(&g, &g)).max(0.0);
        d = g_new
            .iter()
            .zip(&d)
            .map(|(gn, dk)| -gn + beta * dk)
            .collect();
        g = g_new;
        step *= 2.0;
        iterations += 1;
    }
    let lowest = pos.iter().map(|p| p[2]).fold(f64::INFINITY, f64::min);
    println!(
        "energy {start:.4} -> {e:.4} in {iterations} steps; lowest point {lowest:.4} at the middle"
    );
    for (i, p) in pos.iter().enumerate() {
        println!(
            "  particle {i:2}: ({:7.4}, {:7.4}, {:7.4})",
            p[0], p[1], p[2]
        );
    }

    // The chain sags, symmetrically about its middle, and stays in the vertical plane of its
    // ends.
    let middle = pos[PARTICLES / 2];
    assert!(e < start && middle[2] < -0.05, "the chain did not sag");
    assert!(
        (middle[2] - lowest).abs() < 1e-9,
        "the middle is not the lowest point"
    );
    for i in 0..PARTICLES {
        let (a, b) = (pos[i], pos[PARTICLES - 1 - i]);
        assert!((a[2] - b[2]).abs() < 1e-5, "not symmetric at {i}");
        assert!(
            (a[1] - a[0] / 8.0).abs() < 1e-5,
            "left the vertical plane at {i}"
        );
    }
    let size = dot(&g, &g).sqrt();
    assert!(size < 1e-6, "not at rest: gradient {size:.1e}");
    println!("at rest: gradient {size:.1e}");
}
