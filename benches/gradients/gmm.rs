//! The ADBench Gaussian mixture model objective, d = 10, K = 25, n = 1000, and its gradient
//! with respect to the 1,650 parameters, flattened into one slice in ADBench's order: `alphas`
//! (K), `means` (K x d, component-major), `icf` (per component: d log-diagonal entries of the
//! inverse-covariance factor Q, then its strictly lower triangle column by column).
//!
//! err = -n d/2 log 2π + Σ_i logsumexp_k(α_k + Σ_j icf_kj - ½‖Q_k (x_i - μ_k)‖²)
//!       - n logsumexp(α) + Σ_k (½ γ² (‖exp(icf_k[..d])‖² + ‖icf_k[d..]‖²) - m Σ_j icf_kj)
//!       - K C(d, γ, m),
//! with logsumexp computed by subtracting the maximum.

// `#[differentiable]` bodies index arrays in `for i in 0..n` loops (it does not take
// `iter_mut()`), and the hand-written and generic versions keep the same loops, for comparison.
#![allow(clippy::needless_range_loop, clippy::manual_memcpy)]

use vjp::differentiable;

use crate::peers::{self, Scalar};
use crate::{Problem, Rng};

const D: usize = 10;
const K: usize = 25;
const POINTS: usize = 1000;
/// The `icf` entries of one component: d diagonal, d (d - 1) / 2 below it.
const TRI: usize = D * (D + 1) / 2;
/// Where `means` and `icf` start in the parameters.
const MEANS: usize = K;
const ICF: usize = MEANS + K * D;
const PARAMS: usize = ICF + K * TRI;

/// The parameters at which the gradient is taken, the points `x` (point-major), and the
/// Wishart prior's `gamma` and `m`.
pub struct Data {
    params: Vec<f64>,
    x: Vec<f64>,
    gamma: f64,
    m: f64,
}

#[differentiable]
fn logsumexp(v: [f64; K]) -> f64 {
    let mut top = v[0];
    for k in 1..K {
        top = top.max(v[k]);
    }
    let mut s = 0.0;
    for k in 0..K {
        s += (v[k] - top).exp();
    }
    s.ln() + top
}

#[differentiable]
fn gmm_objective(
    params: &[f64],
    #[no_grad] x: &[f64],
    #[no_grad] gamma: f64,
    #[no_grad] m: f64,
) -> f64 {
    let n = x.len() / D;
    // Per component: the diagonal of Q, exp(icf[..d]), and the sum of its logarithms.
    let mut qdiag = [0.0; K * D];
    let mut sum_qs = [0.0; K];
    for k in 0..K {
        let mut s = 0.0;
        for j in 0..D {
            let q = params[ICF + k * TRI + j];
            qdiag[k * D + j] = q.exp();
            s += q;
        }
        sum_qs[k] = s;
    }
    let mut slse = 0.0;
    for i in 0..n {
        let mut main = [0.0; K];
        for k in 0..K {
            let mut xc = [0.0; D];
            for j in 0..D {
                xc[j] = x[i * D + j] - params[MEANS + k * D + j];
            }
            // Q_k (x_i - μ_k): the diagonal, then the lower triangle column by column.
            let mut qxc = [0.0; D];
            for j in 0..D {
                qxc[j] = qdiag[k * D + j] * xc[j];
            }
            let mut l = ICF + k * TRI + D;
            for c in 0..D {
                for r in c + 1..D {
                    qxc[r] += params[l] * xc[c];
                    l += 1;
                }
            }
            let mut sq = 0.0;
            for j in 0..D {
                sq += qxc[j] * qxc[j];
            }
            main[k] = params[k] + sum_qs[k] - 0.5 * sq;
        }
        slse += logsumexp(main);
    }
    let mut alphas = [0.0; K];
    for k in 0..K {
        alphas[k] = params[k];
    }
    let lse_alphas = logsumexp(alphas);
    let mut prior = 0.0;
    for k in 0..K {
        let mut frobenius = 0.0;
        for j in 0..D {
            frobenius += qdiag[k * D + j] * qdiag[k * D + j];
        }
        for j in D..TRI {
            frobenius += params[ICF + k * TRI + j] * params[ICF + k * TRI + j];
        }
        prior += 0.5 * gamma * gamma * frobenius - m * sum_qs[k];
    }
    gmm_constant(n, gamma, m) + slse - (n as f64) * lse_alphas + prior
}

/// The terms that do not depend on the parameters: -n d/2 log 2π - K C(d, γ, m), where
/// C = n' d (log γ - ½ log 2) - log Γ_d(n'/2) and n' = d + m + 1.
fn gmm_constant(n: usize, gamma: f64, m: f64) -> f64 {
    let d = D as f64;
    let n_wishart = d + m + 1.0;
    let half = 0.5 * n_wishart;
    // The multivariate log-gamma function log Γ_d(a).
    let log_gamma_d = 0.25 * d * (d - 1.0) * std::f64::consts::PI.ln()
        + (1..=D)
            .map(|j| ln_gamma_half(half + 0.5 * (1.0 - j as f64)))
            .sum::<f64>();
    let c = n_wishart * d * (gamma.ln() - 0.5 * 2f64.ln()) - log_gamma_d;
    -(n as f64) * d * 0.5 * (2.0 * std::f64::consts::PI).ln() - K as f64 * c
}

/// log Γ(x) for a positive multiple of ½ (which it is for an integer `m`), from Γ(1) = 1,
/// Γ(½) = √π and Γ(x + 1) = x Γ(x).
fn ln_gamma_half(x: f64) -> f64 {
    assert!(
        x > 0.0 && (2.0 * x).fract() == 0.0,
        "log Γ({x}) is only implemented at halves"
    );
    let mut y = x;
    let mut sum = 0.0;
    while y > 1.0 {
        y -= 1.0;
        sum += y.ln();
    }
    if y == 1.0 {
        sum
    } else {
        sum + 0.5 * std::f64::consts::PI.ln()
    }
}

/// The gradient by hand. Per point, the main terms and the vectors z_k = Q_k (x_i - μ_k) are
/// kept, their softmax p_k weighs each component's contribution:
/// ∂/∂μ_k = p_k Q_kᵀ z_k, ∂/∂icf_kj (diagonal) = p_k (1 - z_kj exp(icf_kj) xc_kj),
/// ∂/∂L_k,rc = -p_k z_kr xc_kc; then the -n logsumexp(α) term and the prior.
fn gmm_hand(params: &[f64], x: &[f64], gamma: f64, m: f64, g: &mut [f64]) {
    g.fill(0.0);
    let n = x.len() / D;
    let (alphas, rest) = params.split_at(MEANS);
    let (means, icf) = rest.split_at(ICF - MEANS);
    let mut qdiag = [[0.0; D]; K];
    let mut sum_qs = [0.0; K];
    for k in 0..K {
        for j in 0..D {
            qdiag[k][j] = icf[k * TRI + j].exp();
            sum_qs[k] += icf[k * TRI + j];
        }
    }
    // Σ_i p_ik: the derivative of the Σ_i logsumexp term in α_k (and in each Σ_j icf_kj).
    let mut weight = [0.0; K];
    let mut xc = [[0.0; D]; K];
    let mut z = [[0.0; D]; K];
    let mut main = [0.0; K];
    for point in x.chunks_exact(D) {
        for k in 0..K {
            for j in 0..D {
                xc[k][j] = point[j] - means[k * D + j];
                z[k][j] = qdiag[k][j] * xc[k][j];
            }
            let lower = &icf[k * TRI + D..(k + 1) * TRI];
            let mut l = 0;
            for c in 0..D {
                for r in c + 1..D {
                    z[k][r] += lower[l] * xc[k][c];
                    l += 1;
                }
            }
            main[k] = alphas[k] + sum_qs[k] - 0.5 * z[k].iter().map(|v| v * v).sum::<f64>();
        }
        let top = main.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut total = 0.0;
        for v in main.iter_mut() {
            *v = (*v - top).exp();
            total += *v;
        }
        for k in 0..K {
            let p = main[k] / total;
            weight[k] += p;
            let gi = &mut g[ICF + k * TRI..ICF + (k + 1) * TRI];
            let lower = &icf[k * TRI + D..(k + 1) * TRI];
            // qtz = Q_kᵀ z_k, accumulated column by column of the lower triangle.
            let mut qtz = [0.0; D];
            for j in 0..D {
                qtz[j] = qdiag[k][j] * z[k][j];
                gi[j] -= p * qtz[j] * xc[k][j];
            }
            let mut l = 0;
            for c in 0..D {
                for r in c + 1..D {
                    gi[D + l] -= p * z[k][r] * xc[k][c];
                    qtz[c] += lower[l] * z[k][r];
                    l += 1;
                }
            }
            for j in 0..D {
                g[MEANS + k * D + j] += p * qtz[j];
            }
        }
    }
    // -n logsumexp(α): -n softmax(α).
    let top = alphas.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = alphas.iter().map(|a| (a - top).exp()).sum();
    for k in 0..K {
        g[k] += weight[k] - n as f64 * (alphas[k] - top).exp() / total;
        let gi = &mut g[ICF + k * TRI..ICF + (k + 1) * TRI];
        for j in 0..D {
            gi[j] += weight[k] + gamma * gamma * qdiag[k][j] * qdiag[k][j] - m;
        }
        for j in D..TRI {
            gi[j] += gamma * gamma * icf[k * TRI + j];
        }
    }
}

fn logsumexp_generic<T: Scalar>(v: &[T]) -> T {
    let top = v.iter().copied().reduce(T::max).expect("not empty");
    let mut s = (v[0] - top).exp();
    for &vk in &v[1..] {
        s = s + (vk - top).exp();
    }
    s.ln() + top
}

/// The same function for the peers' number types.
fn gmm_generic<T: Scalar>(params: &[T], x: &[f64], gamma: f64, m: f64) -> T {
    let n = x.len() / D;
    let zero = params[0].lift(0.0);
    let mut qdiag = [zero; K * D];
    let mut sum_qs = [zero; K];
    for k in 0..K {
        let mut s = zero;
        for j in 0..D {
            let q = params[ICF + k * TRI + j];
            qdiag[k * D + j] = q.exp();
            s = s + q;
        }
        sum_qs[k] = s;
    }
    let mut main = [zero; K];
    let mut xc = [zero; D];
    let mut qxc = [zero; D];
    let mut slse = zero;
    for i in 0..n {
        for k in 0..K {
            for j in 0..D {
                xc[j] = params[MEANS + k * D + j].sub_from(x[i * D + j]);
            }
            for j in 0..D {
                qxc[j] = qdiag[k * D + j] * xc[j];
            }
            let mut l = ICF + k * TRI + D;
            for c in 0..D {
                for r in c + 1..D {
                    qxc[r] = qxc[r] + params[l] * xc[c];
                    l += 1;
                }
            }
            let mut sq = qxc[0] * qxc[0];
            for &q in &qxc[1..] {
                sq = sq + q * q;
            }
            main[k] = params[k] + sum_qs[k] - sq * 0.5;
        }
        slse = slse + logsumexp_generic(&main);
    }
    let lse_alphas = logsumexp_generic(&params[..K]);
    let mut prior = zero;
    for k in 0..K {
        let mut frobenius = zero;
        for j in 0..D {
            frobenius = frobenius + qdiag[k * D + j] * qdiag[k * D + j];
        }
        for j in D..TRI {
            frobenius = frobenius + params[ICF + k * TRI + j] * params[ICF + k * TRI + j];
        }
        prior = prior + frobenius * (0.5 * gamma * gamma) - sum_qs[k] * m;
    }
    slse - lse_alphas * n as f64 + prior + gmm_constant(n, gamma, m)
}

/// The components that forward mode is timed on: evenly spread, so they cover `alphas`,
/// `means` and `icf`.
fn sampled_components(count: usize) -> Vec<usize> {
    (0..count).map(|i| i * PARAMS / count).collect()
}

pub fn problem(quick: bool) -> Problem<Data> {
    let mut rng = Rng::new(4);
    // Distributed like ADBench's inputs: α, icf and x normal, means uniform on [0, 1).
    let mut params = rng.vec(K, Rng::normal);
    params.extend(rng.vec(K * D, |r| r.uniform(0.0, 1.0)));
    params.extend(rng.vec(K * TRI, Rng::normal));
    let data = Data {
        params,
        x: rng.vec(POINTS * D, Rng::normal),
        gamma: 1.0,
        m: 0.0,
    };
    let passes = sampled_components(if quick { 6 } else { 24 });
    Problem {
        name: "gmm",
        about: format!(
            "ADBench GMM objective, d = {D}, K = {K}, n = {POINTS}: gradient in the {PARAMS} \
             parameters (alphas, means, icf)"
        ),
        data,
        n: PARAMS,
        primal: |d| gmm_objective(&d.params, &d.x, d.gamma, d.m),
        tools: Vec::new(),
    }
    .tool("vjp", |d, g| {
        g.fill(0.0);
        gmm_objective_grad(&d.params, g, &d.x, d.gamma, d.m);
    })
    .tool("hand-written", |d, g| {
        gmm_hand(&d.params, &d.x, d.gamma, d.m, g)
    })
    .partial_tool(
        "num-dual (forward, n passes)",
        passes.clone(),
        move |d, g| {
            let f = |p: &[_]| gmm_generic(p, &d.x, d.gamma, d.m);
            peers::forward_passes(f, &d.params, passes.iter().copied(), g)
        },
    )
    .tool("echidna (tape)", |d, g| {
        peers::echidna_gradient(|p| gmm_generic(p, &d.x, d.gamma, d.m), &d.params, g)
    })
    .tool("reverse (tape)", |d, g| {
        peers::reverse_gradient(|p| gmm_generic(p, &d.x, d.gamma, d.m), &d.params, g)
    })
}
