//! Iterator reductions over floats: `.map(..)` chains ending in `.sum()`, `.product()` or
//! `.fold(..)`, over `xs.iter()`, `.copied()`, `.zip(..)`, `.enumerate()` and inactive
//! iterators. The macro writes each as the accumulation loop it stands for; these tests check
//! the gradients against closed forms, central finite differences and the dot-product test.
#![deny(warnings)]

mod common;

use common::{assert_near, fd_grad};
use vjp::differentiable;

fn point(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.3 + 0.17 * i as f64 - 0.05 * (i * i) as f64)
        .collect()
}

#[differentiable]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>()
}

#[test]
fn dot_product_gradient_is_the_other_vector() {
    let a = point(5);
    let b: Vec<f64> = a.iter().map(|v| 1.0 - v).collect();
    let (mut ga, mut gb) = (vec![0.0; 5], vec![0.0; 5]);
    let (y, ()) = dot_vjp(&a, &mut ga, &b, &mut gb, 2.0);
    assert_eq!(y, dot(&a, &b));
    let twice = |v: &[f64]| v.iter().map(|x| 2.0 * x).collect::<Vec<_>>();
    assert_near(&ga, &twice(&b), 1e-15);
    assert_near(&gb, &twice(&a), 1e-15);
}

#[differentiable]
fn norm(x: &[f64]) -> f64 {
    let s: f64 = x.iter().map(|v| v * v).sum();
    s.sqrt()
}

#[differentiable]
fn norm_copied(x: &[f64]) -> f64 {
    x.iter()
        .copied()
        .map(|v: f64| v.powi(2))
        .sum::<f64>()
        .sqrt()
}

#[test]
fn norm_gradient_is_the_unit_vector() {
    let x = point(6);
    let n = norm(&x);
    let want: Vec<f64> = x.iter().map(|v| v / n).collect();
    for grad in [norm_grad, norm_copied_grad] {
        let mut g = vec![0.0; 6];
        grad(&x, &mut g);
        assert_near(&g, &want, 1e-14);
    }
    assert_eq!(norm_copied(&x), n);
}

/// Two maps, a weight by position, and a closure with a block body.
#[differentiable]
fn chained(x: &[f64], scale: f64) -> f64 {
    x.iter()
        .enumerate()
        .map(|(i, &v)| (i as f64 + 1.0) * v)
        .map(|w| {
            let t = w * scale;
            t.sin() + 0.5 * t * t
        })
        .sum::<f64>()
}

#[test]
fn chained_maps_match_finite_differences() {
    let x = point(7);
    let scale = 0.7;
    let mut g = vec![0.0; 7];
    let (dscale,) = chained_grad(&x, &mut g, scale);
    let want = fd_grad(|x| chained(x, scale), &x);
    assert_near(&g, &want, 1e-6);
    // By hand: d/dscale of sum sin(t) + t^2 / 2 with t = (i + 1) x_i scale.
    let by_hand: f64 = x
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let w = (i as f64 + 1.0) * v;
            let t = w * scale;
            (t.cos() + t) * w
        })
        .sum();
    assert_near(&[dscale], &[by_hand], 1e-13);
}

#[differentiable]
fn product(x: &[f64]) -> f64 {
    x.iter().product::<f64>()
}

#[differentiable]
fn shifted_product(x: &[f64]) -> f64 {
    x.iter().map(|v| v + 1.0).product::<f64>()
}

#[test]
fn product_gradient_leaves_one_factor_out() {
    let x = point(5);
    let mut g = vec![0.0; 5];
    product_grad(&x, &mut g);
    let want: Vec<f64> = (0..5)
        .map(|i| (0..5).filter(|&j| j != i).map(|j| x[j]).product())
        .collect();
    assert_near(&g, &want, 1e-14);
    let mut g = vec![0.0; 5];
    shifted_product_grad(&x, &mut g);
    let want: Vec<f64> = (0..5)
        .map(|i| (0..5).filter(|&j| j != i).map(|j| x[j] + 1.0).product())
        .collect();
    assert_near(&g, &want, 1e-14);
}

#[differentiable]
fn largest(x: &[f64]) -> f64 {
    x.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

#[differentiable]
fn soft_count(x: &[f64], t: f64) -> f64 {
    x.iter().fold(0.0, |acc, &v| acc + (v / t).tanh())
}

#[test]
fn folds_with_a_path_and_with_a_closure() {
    let x = [0.5, 2.5, -1.0, 1.5];
    let mut g = [0.0; 4];
    largest_grad(&x, &mut g);
    assert_eq!(largest(&x), 2.5);
    assert_eq!(g, [0.0, 1.0, 0.0, 0.0]);

    let t = 1.3;
    let mut g = [0.0; 4];
    let (dt,) = soft_count_grad(&x, &mut g, t);
    let want: Vec<f64> = x
        .iter()
        .map(|v| (1.0 - (v / t).tanh().powi(2)) / t)
        .collect();
    assert_near(&g, &want, 1e-14);
    let want_t: f64 = x
        .iter()
        .map(|v| -(1.0 - (v / t).tanh().powi(2)) * v / (t * t))
        .sum();
    assert_near(&[dt], &[want_t], 1e-14);
}

/// A fold whose accumulator is a pair: the mean and the second moment at once.
#[differentiable]
fn variance(x: &[f64]) -> f64 {
    let (s, q) = x.iter().fold((0.0, 0.0), |(s, q), &v| (s + v, q + v * v));
    let n = x.len() as f64;
    q / n - (s / n) * (s / n)
}

#[test]
fn variance_by_a_pair_fold() {
    let x = point(6);
    let mut g = vec![0.0; 6];
    variance_grad(&x, &mut g);
    let n = 6.0;
    let mean = x.iter().sum::<f64>() / n;
    let want: Vec<f64> = x.iter().map(|v| 2.0 * (v - mean) / n).collect();
    assert_near(&g, &want, 1e-14);
}

/// An inactive source: the indices, with the weights `#[no_grad]`.
#[differentiable]
fn weighted(x: &[f64], #[no_grad] w: &[f64], n: usize) -> f64 {
    (0..n).map(|i| w[i] * x[i].exp()).sum::<f64>() + x.iter().map(|v| v * 0.5).sum::<f64>()
}

#[test]
fn reductions_over_indices_and_inside_loops() {
    let x = point(4);
    let w = [1.0, -2.0, 0.5, 3.0];
    let mut g = vec![0.0; 4];
    weighted_grad(&x, &mut g, &w, 3);
    let want: Vec<f64> = (0..4)
        .map(|i| if i < 3 { w[i] * x[i].exp() } else { 0.0 } + 0.5)
        .collect();
    assert_near(&g, &want, 1e-14);

    let m = point(6);
    let v = [0.4, -1.1, 0.8];
    let mut g = vec![0.0; 6];
    let (gv,) = rows_grad(&m, &mut g, v);
    assert_near(&g, &fd_grad(|m| rows(m, v), &m), 1e-6);
    for k in 0..3 {
        let mut vp = v;
        vp[k] += 1e-6;
        let mut vm = v;
        vm[k] -= 1e-6;
        let fd = (rows(&m, vp) - rows(&m, vm)) / 2e-6;
        assert!(
            (gv[k] - fd).abs() <= 1e-6 * fd.abs().max(1.0),
            "{k}: {} vs {fd}",
            gv[k]
        );
    }
}

/// A reduction in a loop body: the squared norms of the rows of a 2 x 3 matrix times `v`.
#[differentiable]
fn rows(m: &[f64], v: [f64; 3]) -> f64 {
    let mut total = 0.0;
    for r in 0..2 {
        let dot = (0..3).map(|c| m[3 * r + c] * v[c]).sum::<f64>();
        total += dot * dot;
    }
    total
}

/// The dot-product test <u, J^T w> = <J u, w>, through the forward mode of the same chain.
#[differentiable]
fn generic_dot<T: vjp::Real>(a: &[T], b: &[T]) -> T {
    a.iter()
        .zip(b.iter())
        .fold(T::zero(), |acc, (&p, &q)| acc + p * q * q)
}

#[test]
fn forward_and_reverse_agree_on_a_generic_fold() {
    let a = point(4);
    let b: Vec<f64> = a.iter().map(|v| 0.5 - v).collect();
    let (ua, ub) = ([0.3, -0.2, 0.9, 0.1], [1.0, 0.4, -0.6, 0.2]);
    let (y, ju) = generic_dot_jvp(&a, &ua, &b, &ub);
    assert_eq!(y, generic_dot(&a, &b));
    let w = -1.7;
    let (mut ga, mut gb) = (vec![0.0; 4], vec![0.0; 4]);
    generic_dot_vjp(&a, &mut ga, &b, &mut gb, w);
    let jtw_u: f64 = ga.iter().zip(&ua).map(|(g, u)| g * u).sum::<f64>()
        + gb.iter().zip(&ub).map(|(g, u)| g * u).sum::<f64>();
    assert!(
        (jtw_u - ju * w).abs() <= 1e-14 * jtw_u.abs().max(1.0),
        "{jtw_u} vs {}",
        ju * w
    );
    let mut g32 = [0.0f32; 2];
    let mut h32 = [0.0f32; 2];
    generic_dot_vjp(&[1.0f32, 2.0], &mut g32, &[3.0f32, -1.0], &mut h32, 1.0);
    assert_eq!(g32, [9.0, 1.0]);
    assert_eq!(h32, [6.0, -4.0]);
}

/// A count of floats that pass a test, as an integer sum: no derivative, but it steers one.
#[differentiable]
fn above(x: &[f64], t: f64) -> f64 {
    let n = x.iter().map(|&v| usize::from(v > t)).sum::<usize>();
    let buckets: u32 = x.iter().map(|v| (v.abs() * 2.0) as u32).product();
    (n as f64 + buckets as f64) * t * t
}

#[test]
fn integer_sums_of_floats_are_constants() {
    let x = [0.5, 2.5, -1.0, 1.5];
    let (y, (dt,)) = above_vjp(&x, &mut [0.0; 4], 1.0, 1.0);
    // n = 2 (2.5 and 1.5), buckets = 1 * 5 * 2 * 3 = 30.
    assert_eq!(y, 32.0);
    assert_eq!(dt, 64.0);
}

/// An empty float sum is `-0.0`, as the standard library's: `atan2` tells it from `0.0`
/// (fuzzgen seed 70000 found the generated functions starting from `0.0`).
#[differentiable]
fn empty_sum(x: &[f64], n: usize) -> f64 {
    let s = (0..n).map(|i| x[i] * x[i]).sum::<f64>();
    let t: f64 = x[..n].iter().sum();
    s.atan2(-1.0) + t.atan2(-1.0) + x[0]
}

#[test]
fn an_empty_sum_is_negative_zero() {
    let x = [0.5, 1.0];
    let (y, ()) = empty_sum_vjp(&x, &mut [0.0; 2], 0, 1.0);
    assert_eq!(y, empty_sum(&x, 0));
    assert_eq!(y, -2.0 * std::f64::consts::PI + 0.5);
    assert_eq!(empty_sum_jvp(&x, &[1.0, 0.0], 0).0, y);
}

/// A `for` over a mapped chain: the stages bound at the top of the loop body.
#[differentiable]
fn mapped_loop(x: &[f64], w: f64) -> f64 {
    let mut y = 0.5;
    for (i, z) in x
        .iter()
        .enumerate()
        .map(|(i, v)| (i, v * w))
        .map(|(k, u)| (k, u.sin()))
    {
        y = y * z + i as f64 * 0.1;
    }
    let mut s = 0.0;
    'outer: for t in x.iter().copied().map(f64::tanh) {
        if t > 0.95 {
            break 'outer;
        }
        s += t * y;
    }
    s
}

#[test]
fn loops_over_mapped_chains() {
    let x = point(5);
    let w = 0.8;
    let mut g = vec![0.0; 5];
    let (gw,) = mapped_loop_grad(&x, &mut g, w);
    assert_near(&g, &fd_grad(|x| mapped_loop(x, w), &x), 1e-6);
    let fd = (mapped_loop(&x, w + 1e-6) - mapped_loop(&x, w - 1e-6)) / 2e-6;
    assert_near(&[gw], &[fd], 1e-6);
}

/// A hidden layer collected into a `Vec`, then read by index and by another chain.
#[differentiable]
fn layer(x: &[f64], w: &[f64], b: f64) -> f64 {
    let h: Vec<f64> = x.iter().zip(w).map(|(p, q)| (p * q + b).tanh()).collect();
    let squares = (0..h.len())
        .map(|i| h[i] * h[i] * (i as f64 + 1.0))
        .collect::<Vec<f64>>();
    h[0] * 0.5 + squares.iter().sum::<f64>()
}

#[test]
fn collected_vecs_carry_derivatives() {
    let (x, w) = (point(4), point(5));
    let b = 0.3;
    let (mut gx, mut gw) = (vec![0.0; 4], vec![0.0; 5]);
    let (gb,) = layer_grad(&x, &mut gx, &w, &mut gw, b);
    assert_near(&gx, &fd_grad(|x| layer(x, &w, b), &x), 1e-6);
    assert_near(&gw, &fd_grad(|w| layer(&x, w, b), &w), 1e-6);
    let fd = (layer(&x, &w, b + 1e-6) - layer(&x, &w, b - 1e-6)) / 2e-6;
    assert_near(&[gb], &[fd], 1e-6);
    assert_eq!(gw[4], 0.0);
}

/// A working copy of a parameter (`to_vec`), changed in place: a running sum.
#[differentiable]
fn running(x: &[f64], w: f64) -> f64 {
    let mut v = x.to_vec();
    v[0] *= w;
    for i in 1..v.len() {
        v[i] = v[i] * w + v[i - 1];
    }
    v.iter().map(|t| t.sin()).sum()
}

#[test]
fn working_copies_by_to_vec() {
    let x = point(5);
    let w = 0.7;
    let mut g = vec![0.0; 5];
    let (gw,) = running_grad(&x, &mut g, w);
    assert_near(&g, &fd_grad(|x| running(x, w), &x), 1e-6);
    let fd = (running(&x, w + 1e-6) - running(&x, w - 1e-6)) / 2e-6;
    assert_near(&[gw], &[fd], 1e-6);
}

/// Integers computed from floats by any iterator chain, given their type: no derivative, and
/// they may steer the active computation.
#[differentiable]
fn argmax_weighted(x: &[f64], w: f64) -> f64 {
    let best: usize = x
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let positive: usize = x.iter().filter(|v| **v > 0.0).count();
    x[best] * w + positive as f64 * w * w
}

#[test]
fn typed_integers_from_floats() {
    let x = [0.5, 2.5, -1.0, 1.5];
    let mut g = [0.0; 4];
    let (gw,) = argmax_weighted_grad(&x, &mut g, 0.7);
    assert_eq!(g, [0.0, 0.7, 0.0, 0.0]);
    assert!((gw - (2.5 + 2.0 * 3.0 * 0.7)).abs() < 1e-15);
}
