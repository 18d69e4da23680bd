//! More tests of active reference parameters (`&[F]`, `&Vec<F>`, `&[F; N]`) and their shadows:
//! linear algebra, a two-layer network, a mixture likelihood with the log-sum-exp trick, every
//! loop idiom on its own, accumulation into shadows, shadow length checks, `f32` and generic
//! elements, calls with slice arguments, and slices of length 0 and 1.
//!
//! Derivatives are checked against closed forms (tight tolerance) and against central finite
//! differences of the primal function (step `1e-6 · max(1, |x|)`, relative tolerance `1e-6`).
#![deny(warnings)]
// The bodies index slices in `for i in 0..n` loops on purpose: that is the idiom under test.
#![allow(clippy::needless_range_loop)]

mod common;

use common::fd_grad;
use vjp::differentiable;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Asserts `|got - want| <= tol · max(1, |want|)` componentwise.
#[track_caller]
fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "{what}[{i}]: got {g}, want {w} (diff {:e})\n got  = {got:?}\n want = {want:?}",
            (g - w).abs()
        );
    }
}

/// A deterministic sequence of "random-looking" numbers in [-1, 1).
fn pseudo(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Dot product with a `#[no_grad]` slice
// ---------------------------------------------------------------------------------------------

#[differentiable]
fn dot_ng(x: &[f64], #[no_grad] w: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * w[i];
    }
    s
}

#[test]
fn dot_with_no_grad_slice_is_the_weights() {
    let x = [0.5, -1.25, 2.0, 3.5];
    let w = [1.5, 0.25, -2.0, 0.75];
    let mut gx = [0.0; 4];
    // `#[no_grad]` slice: no shadow, no entry in GRADS.
    let () = dot_ng_grad(&x, &mut gx, &w);
    assert_eq!(gx, w);

    let mut gx = [0.0; 4];
    let (y, ()) = dot_ng_vjp(&x, &mut gx, &w, -3.0);
    assert_eq!(y, dot_ng(&x, &w));
    assert_close(&gx, &w.map(|wi| -3.0 * wi), 1e-15, "v * w");
    assert_close(&gx, &fd_grad(|x| -3.0 * dot_ng(x, &w), &x), 1e-6, "fd");
}

// ---------------------------------------------------------------------------------------------
// Matrix-vector product y = A x, A 4 x n row-major in a slice, returned as [f64; 4]
// ---------------------------------------------------------------------------------------------

#[differentiable]
fn matvec(a: &[f64], x: &[f64]) -> [f64; 4] {
    let n = x.len();
    let mut y = [0.0; 4];
    for r in 0..4 {
        for c in 0..n {
            y[r] += a[r * n + c] * x[c];
        }
    }
    y
}

/// The same product, accumulating each row in a scalar and writing it once, with the row
/// offset computed outside the inner loop.
#[differentiable]
fn matvec_rowwise(a: &[f64], x: &[f64]) -> [f64; 4] {
    let n = x.len();
    let mut y = [0.0; 4];
    for r in 0..4 {
        let off = r * n;
        let mut s = 0.0;
        for c in 0..n {
            s += a[off + c] * x[c];
        }
        y[r] = s;
    }
    y
}

type MatVecVjp = fn(&[f64], &mut [f64], &[f64], &mut [f64], [f64; 4]) -> ([f64; 4], ());

fn check_matvec(f: fn(&[f64], &[f64]) -> [f64; 4], f_vjp: MatVecVjp) {
    let n = 3;
    let a = pseudo(4 * n, 1);
    let x = pseudo(n, 2);
    let vs = [
        [1.0, 0.0, 0.0, 0.0],
        [0.0, 1.0, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 0.0, 1.0],
        [0.75, -1.25, 1.75, -2.25],
        [3.0, 0.5, -0.125, 10.0],
    ];
    for v in vs {
        let mut ga = vec![0.0; 4 * n];
        let mut gx = vec![0.0; n];
        let (y, ()) = f_vjp(&a, &mut ga, &x, &mut gx, v);
        assert_eq!(y, f(&a, &x));
        // Closed form: x̄ = Aᵀ v, Ā[r, c] = v[r] x[c].
        let gx_want: Vec<f64> = (0..n)
            .map(|c| (0..4).map(|r| a[r * n + c] * v[r]).sum())
            .collect();
        let ga_want: Vec<f64> = (0..4 * n).map(|k| v[k / n] * x[k % n]).collect();
        assert_close(&gx, &gx_want, 1e-14, "x̄ = Aᵀv");
        assert_close(&ga, &ga_want, 1e-14, "Ā = v xᵀ");
        // Against finite differences of <v, f>.
        let vf = |a: &[f64], x: &[f64]| -> f64 { f(a, x).iter().zip(&v).map(|(y, v)| y * v).sum() };
        assert_close(&gx, &fd_grad(|x| vf(&a, x), &x), 1e-6, "fd x");
        assert_close(&ga, &fd_grad(|a| vf(a, &x), &a), 1e-6, "fd a");
    }

    // Dot-product test: <v, J u> = <Jᵀ v, u>, with J u by central differences along u.
    for seed in 0..4 {
        let ua = pseudo(4 * n, 10 + seed);
        let ux = pseudo(n, 20 + seed);
        let v = {
            let p = pseudo(4, 30 + seed);
            [p[0], p[1], p[2], p[3]]
        };
        let h = 1e-6;
        let shift = |s: f64| {
            let a: Vec<f64> = a.iter().zip(&ua).map(|(a, u)| a + s * u).collect();
            let x: Vec<f64> = x.iter().zip(&ux).map(|(x, u)| x + s * u).collect();
            f(&a, &x)
        };
        let (yp, ym) = (shift(h), shift(-h));
        let v_ju: f64 = (0..4).map(|r| v[r] * (yp[r] - ym[r]) / (2.0 * h)).sum();
        let mut ga = vec![0.0; 4 * n];
        let mut gx = vec![0.0; n];
        f_vjp(&a, &mut ga, &x, &mut gx, v);
        let jtv_u: f64 = ga.iter().zip(&ua).map(|(g, u)| g * u).sum::<f64>()
            + gx.iter().zip(&ux).map(|(g, u)| g * u).sum::<f64>();
        assert!(
            (v_ju - jtv_u).abs() <= 1e-7 * v_ju.abs().max(1.0),
            "<v, Ju> = {v_ju}, <Jᵀv, u> = {jtv_u}"
        );
    }
}

#[test]
fn matvec_full_vjp_and_dot_product_test() {
    check_matvec(matvec, matvec_vjp);
}

#[test]
fn matvec_rowwise_full_vjp_and_dot_product_test() {
    check_matvec(matvec_rowwise, matvec_rowwise_vjp);
}

/// The same dot-product test with J u from the generated forward mode instead of finite
/// differences.
#[test]
fn matvec_vjp_is_the_adjoint_of_its_jvp() {
    let n = 3;
    let a = pseudo(4 * n, 3);
    let x = pseudo(n, 4);
    for seed in 0..4 {
        let ua = pseudo(4 * n, 50 + seed);
        let ux = pseudo(n, 60 + seed);
        let p = pseudo(4, 70 + seed);
        let v = [p[0], p[1], p[2], p[3]];
        let (y, ju) = matvec_jvp(&a, &ua, &x, &ux);
        assert_eq!(y, matvec(&a, &x));
        let v_ju: f64 = (0..4).map(|r| v[r] * ju[r]).sum();
        let mut ga = vec![0.0; 4 * n];
        let mut gx = vec![0.0; n];
        matvec_vjp(&a, &mut ga, &x, &mut gx, v);
        let jtv_u: f64 = ga.iter().zip(&ua).map(|(g, u)| g * u).sum::<f64>()
            + gx.iter().zip(&ux).map(|(g, u)| g * u).sum::<f64>();
        assert!(
            (v_ju - jtv_u).abs() <= 1e-13 * v_ju.abs().max(1.0),
            "<v, Ju> = {v_ju}, <Jᵀv, u> = {jtv_u}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Two-layer network (seed exercise 3): params [W1 (H x d), b1 (H), W2 (1 x H), b2]
// ---------------------------------------------------------------------------------------------

const H: usize = 5;

#[differentiable]
fn net_loss(p: &[f64], #[no_grad] xs: &[f64], #[no_grad] ys: &[f64], d: usize) -> f64 {
    let b1 = H * d;
    let w2 = b1 + H;
    let b2 = w2 + H;
    let mut loss = 0.0;
    // The zero array is built once, before the loop, and copied.
    let zero = [0.0; H];
    for k in 0..ys.len() {
        let mut h = zero;
        for j in 0..H {
            let mut z = p[b1 + j];
            for i in 0..d {
                z += p[j * d + i] * xs[k * d + i];
            }
            h[j] = z.tanh();
        }
        let mut out = p[b2];
        for j in 0..H {
            out += p[w2 + j] * h[j];
        }
        let e = out - ys[k];
        loss += e * e;
    }
    loss / ys.len() as f64
}

/// Backpropagation written out by hand, for comparison.
fn net_loss_grad_by_hand(p: &[f64], xs: &[f64], ys: &[f64], d: usize) -> Vec<f64> {
    let (b1, w2, b2) = (H * d, H * d + H, H * d + 2 * H);
    let mut g = vec![0.0; p.len()];
    let m = ys.len() as f64;
    for k in 0..ys.len() {
        let x = &xs[k * d..(k + 1) * d];
        let h: Vec<f64> = (0..H)
            .map(|j| (p[b1 + j] + (0..d).map(|i| p[j * d + i] * x[i]).sum::<f64>()).tanh())
            .collect();
        let out = p[b2] + (0..H).map(|j| p[w2 + j] * h[j]).sum::<f64>();
        let de = 2.0 * (out - ys[k]) / m;
        g[b2] += de;
        for j in 0..H {
            g[w2 + j] += de * h[j];
            let dz = de * p[w2 + j] * (1.0 - h[j] * h[j]);
            g[b1 + j] += dz;
            for i in 0..d {
                g[j * d + i] += dz * x[i];
            }
        }
    }
    g
}

#[test]
fn two_layer_net_gradient_matches_finite_differences_for_every_parameter() {
    let d = 3;
    let batch = 6;
    let p: Vec<f64> = pseudo(H * d + 2 * H + 1, 7)
        .iter()
        .map(|v| 0.8 * v)
        .collect();
    let xs = pseudo(batch * d, 8);
    let ys: Vec<f64> = pseudo(batch, 9);
    let mut gp = vec![0.0; p.len()];
    let () = net_loss_grad(&p, &mut gp, &xs, &ys, d);
    let fd = fd_grad(|p| net_loss(p, &xs, &ys, d), &p);
    assert_close(&gp, &fd, 1e-6, "finite differences");
    assert_close(
        &gp,
        &net_loss_grad_by_hand(&p, &xs, &ys, d),
        1e-12,
        "by hand",
    );

    let mut gp2 = vec![0.0; p.len()];
    let (loss, ()) = net_loss_vjp(&p, &mut gp2, &xs, &ys, d, 0.5);
    assert_eq!(loss, net_loss(&p, &xs, &ys, d));
    let half: Vec<f64> = gp.iter().map(|g| 0.5 * g).collect();
    assert_close(&gp2, &half, 1e-15, "v = 0.5");
}

// ---------------------------------------------------------------------------------------------
// Gaussian mixture negative log-likelihood with the log-sum-exp trick
// params: [K weight logits, K means, K log-stddevs]
// ---------------------------------------------------------------------------------------------

const K: usize = 3;
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// Max-subtraction with `.max()`.
#[differentiable]
fn mixture_nll(p: &[f64], #[no_grad] data: &[f64]) -> f64 {
    let mut amax = p[0];
    for j in 1..K {
        amax = amax.max(p[j]);
    }
    let mut z = 0.0;
    for j in 0..K {
        z += (p[j] - amax).exp();
    }
    let log_norm = amax + z.ln();
    let mut nll = 0.0;
    let zero = [0.0; K];
    for n in 0..data.len() {
        let mut lp = zero;
        for j in 0..K {
            let log_s = p[2 * K + j];
            let t = (data[n] - p[K + j]) / log_s.exp();
            lp[j] = p[j] - log_norm - log_s - 0.5 * t * t - HALF_LN_2PI;
        }
        let mut m = lp[0];
        for j in 1..K {
            m = m.max(lp[j]);
        }
        let mut s = 0.0;
        for j in 0..K {
            s += (lp[j] - m).exp();
        }
        nll -= m + s.ln();
    }
    nll
}

/// Max-subtraction with an `if` on active values.
#[differentiable]
fn mixture_nll_if(p: &[f64], #[no_grad] data: &[f64]) -> f64 {
    let mut amax = p[0];
    for j in 1..K {
        if p[j] > amax {
            amax = p[j];
        }
    }
    let mut z = 0.0;
    for j in 0..K {
        z += (p[j] - amax).exp();
    }
    let log_norm = amax + z.ln();
    let mut nll = 0.0;
    let zero = [0.0; K];
    for x in data.iter() {
        let mut lp = zero;
        for j in 0..K {
            let log_s = p[2 * K + j];
            let t = (x - p[K + j]) / log_s.exp();
            lp[j] = p[j] - log_norm - log_s - 0.5 * t * t - HALF_LN_2PI;
        }
        let mut m = lp[0];
        for j in 1..K {
            if lp[j] > m {
                m = lp[j];
            }
        }
        let mut s = 0.0;
        for j in 0..K {
            s += (lp[j] - m).exp();
        }
        nll -= m + s.ln();
    }
    nll
}

/// The closed form through responsibilities r_nj (computed stably):
/// ∂/∂a_j = Σ_n (w_j − r_nj), ∂/∂μ_j = −Σ_n r_nj t/σ_j, ∂/∂log σ_j = −Σ_n r_nj (t² − 1).
fn mixture_closed_form(p: &[f64], data: &[f64]) -> (f64, Vec<f64>) {
    let amax = p[..K].iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = p[..K].iter().map(|a| (a - amax).exp()).sum();
    let w: Vec<f64> = p[..K].iter().map(|a| (a - amax).exp() / z).collect();
    let mut g = vec![0.0; 3 * K];
    let mut nll = 0.0;
    for &x in data {
        let lp: Vec<f64> = (0..K)
            .map(|j| {
                let t = (x - p[K + j]) / p[2 * K + j].exp();
                w[j].ln() - p[2 * K + j] - 0.5 * t * t - HALF_LN_2PI
            })
            .collect();
        let m = lp.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = lp.iter().map(|l| (l - m).exp()).sum();
        nll -= m + s.ln();
        for j in 0..K {
            let r = (lp[j] - m).exp() / s;
            let sigma = p[2 * K + j].exp();
            let t = (x - p[K + j]) / sigma;
            g[j] += w[j] - r;
            g[K + j] -= r * t / sigma;
            g[2 * K + j] -= r * (t * t - 1.0);
        }
    }
    (nll, g)
}

type MixtureGrad = fn(&[f64], &mut [f64], &[f64]);

fn check_mixture(f: fn(&[f64], &[f64]) -> f64, f_grad: MixtureGrad) {
    let p = [0.3, -0.4, 0.1, -1.5, 0.2, 1.7, -0.3, 0.1, 0.4];
    let data = [-1.9, -1.2, -0.3, 0.1, 0.6, 1.4, 1.8, 2.5, -2.2, 0.05];
    let mut g = [0.0; 3 * K];
    f_grad(&p, &mut g, &data);
    let (nll, closed) = mixture_closed_form(&p, &data);
    assert!((f(&p, &data) - nll).abs() < 1e-12 * nll.abs());
    assert_close(&g, &closed, 1e-12, "closed form");
    assert_close(
        &g,
        &fd_grad(|p| f(p, &data), &p),
        1e-6,
        "finite differences",
    );

    // Far-away data: every component density underflows to 0 without the trick; with it the
    // value and the gradient stay finite and right.
    let far = [40.0, -35.0, 60.0];
    let mut g = [0.0; 3 * K];
    f_grad(&p, &mut g, &far);
    let (nll, closed) = mixture_closed_form(&p, &far);
    assert!(nll.is_finite() && (f(&p, &far) - nll).abs() < 1e-12 * nll.abs());
    assert!(g.iter().all(|g| g.is_finite()), "{g:?}");
    assert_close(&g, &closed, 1e-10, "closed form, far data");
    assert_close(&g, &fd_grad(|p| f(p, &far), &p), 1e-6, "fd, far data");

    // Tied logits: the max has a kink, the log-sum-exp does not; either derivative of the max
    // must cancel out.
    let tied = [0.5, 0.5, 0.5, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0];
    let mut g = [0.0; 3 * K];
    f_grad(&tied, &mut g, &data);
    let (_, closed) = mixture_closed_form(&tied, &data);
    assert_close(&g, &closed, 1e-12, "closed form, tied logits");
}

#[test]
fn mixture_nll_with_max_method() {
    check_mixture(mixture_nll, mixture_nll_grad);
}

#[test]
fn mixture_nll_with_if() {
    check_mixture(mixture_nll_if, mixture_nll_if_grad);
}

// ---------------------------------------------------------------------------------------------
// Each loop idiom on its own
// ---------------------------------------------------------------------------------------------

#[differentiable]
fn idiom_index(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        s += x[i] * x[i] * (i as f64 + 1.0);
    }
    s
}

#[differentiable]
fn idiom_neighbours(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 1..x.len() {
        s += (x[i] - x[i - 1]).powi(2);
    }
    s + x[x.len() - 1].sin()
}

#[differentiable]
fn idiom_while(x: &[f64]) -> f64 {
    let mut s = 1.0;
    let mut i = 0;
    while i < x.len() {
        s *= 1.0 + x[i] * x[i];
        i += 1;
    }
    s.ln()
}

#[differentiable]
fn idiom_iter(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for v in x.iter() {
        s += *v * v.exp();
    }
    s
}

#[differentiable]
fn idiom_pattern_ref(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for &v in x {
        s += v.cos() * v;
    }
    s
}

#[differentiable]
fn idiom_enumerate(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, v) in x.iter().enumerate() {
        s += (i as f64 + 0.5) * v * v;
    }
    s
}

#[differentiable]
fn idiom_zip(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for (a, b) in x.iter().zip(y.iter()) {
        s += (a - b).powi(2) * a;
    }
    s
}

#[differentiable]
fn idiom_sum_turbofish(x: &[f64]) -> f64 {
    let s = x.iter().sum::<f64>();
    s * s
}

#[differentiable]
fn idiom_sum_annotated(x: &[f64]) -> f64 {
    let s: f64 = x.iter().sum();
    s.exp()
}

/// `&Vec<f64>` on purpose (clippy's `ptr_arg` would prefer `&[f64]`).
#[differentiable]
#[allow(clippy::ptr_arg)]
fn idiom_vec_param(x: &Vec<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i].powi(3);
    }
    s
}

#[differentiable]
fn idiom_array_ref(x: &[f64; 4]) -> f64 {
    let mut s = 0.0;
    for v in x.iter() {
        s += v.sqrt();
    }
    s
}

#[test]
fn idiom_index_loop() {
    let x = pseudo(7, 40);
    let mut g = vec![0.0; 7];
    idiom_index_grad(&x, &mut g);
    let want: Vec<f64> = (0..7).map(|i| 2.0 * x[i] * (i as f64 + 1.0)).collect();
    assert_close(&g, &want, 1e-14, "closed form");
    assert_close(&g, &fd_grad(idiom_index, &x), 1e-6, "fd");
}

#[test]
fn idiom_neighbour_indices() {
    let x = pseudo(6, 41);
    let mut g = vec![0.0; 6];
    idiom_neighbours_grad(&x, &mut g);
    let mut want = vec![0.0; 6];
    for i in 1..6 {
        let d = 2.0 * (x[i] - x[i - 1]);
        want[i] += d;
        want[i - 1] -= d;
    }
    want[5] += x[5].cos();
    assert_close(&g, &want, 1e-14, "closed form");
    assert_close(&g, &fd_grad(idiom_neighbours, &x), 1e-6, "fd");
}

#[test]
fn idiom_while_loop() {
    let x = pseudo(5, 42);
    let mut g = vec![0.0; 5];
    idiom_while_grad(&x, &mut g);
    let want: Vec<f64> = x.iter().map(|v| 2.0 * v / (1.0 + v * v)).collect();
    assert_close(&g, &want, 1e-14, "closed form");
    assert_close(&g, &fd_grad(idiom_while, &x), 1e-6, "fd");
}

#[test]
fn idiom_for_iter() {
    let x = pseudo(5, 43);
    let mut g = vec![0.0; 5];
    idiom_iter_grad(&x, &mut g);
    let want: Vec<f64> = x.iter().map(|v| (1.0 + v) * v.exp()).collect();
    assert_close(&g, &want, 1e-14, "closed form");
    assert_close(&g, &fd_grad(idiom_iter, &x), 1e-6, "fd");
}

#[test]
fn idiom_for_ref_pattern() {
    let x = pseudo(5, 44);
    let mut g = vec![0.0; 5];
    idiom_pattern_ref_grad(&x, &mut g);
    let want: Vec<f64> = x.iter().map(|v| v.cos() - v * v.sin()).collect();
    assert_close(&g, &want, 1e-14, "closed form");
    assert_close(&g, &fd_grad(idiom_pattern_ref, &x), 1e-6, "fd");
}

#[test]
fn idiom_for_enumerate() {
    let x = pseudo(5, 45);
    let mut g = vec![0.0; 5];
    idiom_enumerate_grad(&x, &mut g);
    let want: Vec<f64> = (0..5).map(|i| 2.0 * (i as f64 + 0.5) * x[i]).collect();
    assert_close(&g, &want, 1e-14, "closed form");
    assert_close(&g, &fd_grad(idiom_enumerate, &x), 1e-6, "fd");
}

#[test]
fn idiom_for_zip_of_unequal_lengths() {
    // zip stops at the shorter slice: y's tail gets no gradient.
    let x = pseudo(3, 46);
    let y = pseudo(5, 47);
    let (mut gx, mut gy) = (vec![0.0; 3], vec![0.0; 5]);
    idiom_zip_grad(&x, &mut gx, &y, &mut gy);
    let mut wx = vec![0.0; 3];
    let mut wy = vec![0.0; 5];
    for i in 0..3 {
        let d = x[i] - y[i];
        wx[i] = 2.0 * d * x[i] + d * d;
        wy[i] = -2.0 * d * x[i];
    }
    assert_close(&gx, &wx, 1e-14, "x closed form");
    assert_close(&gy, &wy, 1e-14, "y closed form");
    assert_close(&gx, &fd_grad(|x| idiom_zip(x, &y), &x), 1e-6, "x fd");
    assert_close(&gy, &fd_grad(|y| idiom_zip(&x, y), &y), 1e-6, "y fd");
    assert_eq!(&gy[3..], &[0.0, 0.0]);
}

#[test]
fn idiom_iter_sum_turbofish() {
    let x = pseudo(6, 48);
    let mut g = vec![0.0; 6];
    idiom_sum_turbofish_grad(&x, &mut g);
    let s: f64 = x.iter().sum();
    assert_close(&g, &[2.0 * s; 6], 1e-14, "closed form");
    assert_close(&g, &fd_grad(idiom_sum_turbofish, &x), 1e-6, "fd");
}

#[test]
fn idiom_iter_sum_annotated() {
    let x = pseudo(6, 49);
    let mut g = vec![0.0; 6];
    idiom_sum_annotated_grad(&x, &mut g);
    let s: f64 = x.iter().sum();
    assert_close(&g, &[s.exp(); 6], 1e-14, "closed form");
    assert_close(&g, &fd_grad(idiom_sum_annotated, &x), 1e-6, "fd");
}

#[test]
fn idiom_vec_reference() {
    let x = pseudo(4, 50);
    let mut g = vec![0.0; 4];
    idiom_vec_param_grad(&x, &mut g);
    let want: Vec<f64> = x.iter().map(|v| 3.0 * v * v).collect();
    assert_close(&g, &want, 1e-14, "closed form");
    assert_close(
        &g,
        &fd_grad(|x| idiom_vec_param(&x.to_vec()), &x),
        1e-6,
        "fd",
    );
}

#[test]
fn idiom_array_reference_has_array_shadow() {
    let x = [0.25, 1.0, 2.5, 9.0];
    let mut g: [f64; 4] = [0.0; 4];
    idiom_array_ref_grad(&x, &mut g);
    assert_close(&g, &x.map(|v| 0.5 / v.sqrt()), 1e-14, "closed form");
    let (y, ()) = idiom_array_ref_vjp(&x, &mut g, 2.0);
    assert_eq!(y, idiom_array_ref(&x));
    assert_close(&g, &x.map(|v| 1.5 / v.sqrt()), 1e-14, "accumulated");
}

// ---------------------------------------------------------------------------------------------
// Accumulation into shadows
// ---------------------------------------------------------------------------------------------

#[test]
fn second_call_adds_to_the_shadow() {
    let x = [0.3, -0.8, 1.2];
    let y = [1.0, 0.5, -0.25];
    let mut gx = [10.0, 20.0, 30.0];
    let mut gy = [-1.0, -2.0, -3.0];
    let (mut dx, mut dy) = ([0.0; 3], [0.0; 3]);
    idiom_zip_grad(&x, &mut dx, &y, &mut dy);

    idiom_zip_grad(&x, &mut gx, &y, &mut gy);
    for i in 0..3 {
        assert_eq!(gx[i], [10.0, 20.0, 30.0][i] + dx[i]);
        assert_eq!(gy[i], [-1.0, -2.0, -3.0][i] + dy[i]);
    }
    // A second call with v = 2 adds 2 · gradient on top.
    idiom_zip_vjp(&x, &mut gx, &y, &mut gy, 2.0);
    for i in 0..3 {
        let want_x = [10.0, 20.0, 30.0][i] + 3.0 * dx[i];
        let want_y = [-1.0, -2.0, -3.0][i] + 3.0 * dy[i];
        assert!(
            (gx[i] - want_x).abs() < 1e-13,
            "x{i}: {} vs {want_x}",
            gx[i]
        );
        assert!(
            (gy[i] - want_y).abs() < 1e-13,
            "y{i}: {} vs {want_y}",
            gy[i]
        );
    }
}

#[test]
fn accumulation_through_a_network_batch_split() {
    // The gradient over a batch is the sum of gradients over two halves: accumulate them in
    // one shadow (loss is a mean, so weight each half by its share).
    let d = 2;
    let p = pseudo(H * d + 2 * H + 1, 60);
    let xs = pseudo(8 * d, 61);
    let ys = pseudo(8, 62);
    let mut whole = vec![0.0; p.len()];
    net_loss_grad(&p, &mut whole, &xs, &ys, d);
    let mut halves = vec![0.0; p.len()];
    net_loss_vjp(&p, &mut halves, &xs[..4 * d], &ys[..4], d, 0.5);
    net_loss_vjp(&p, &mut halves, &xs[4 * d..], &ys[4..], d, 0.5);
    assert_close(&halves, &whole, 1e-13, "two halves");
}

/// Runs `grad` once into a zero shadow and once into a shadow holding arbitrary values: the
/// second must be those values plus the first, for every component.
#[track_caller]
fn check_adds_into(n: usize, grad: impl Fn(&mut [f64]), what: &str) {
    let mut fresh = vec![0.0; n];
    grad(&mut fresh);
    let start: Vec<f64> = pseudo(n, 1234).iter().map(|v| 100.0 * v).collect();
    let mut shadow = start.clone();
    grad(&mut shadow);
    let want: Vec<f64> = start.iter().zip(&fresh).map(|(s, g)| s + g).collect();
    assert_close(&shadow, &want, 1e-13, what);
}

#[test]
fn every_idiom_adds_into_a_nonzero_shadow() {
    let x = [0.7, -0.4, 1.3, -2.1, 0.2, 0.9];
    let y = [0.1, 0.5, -0.3, 0.8, -1.0, 0.6, 2.0];
    check_adds_into(6, |g| idiom_index_grad(&x, g), "index");
    check_adds_into(6, |g| idiom_neighbours_grad(&x, g), "neighbours");
    check_adds_into(6, |g| idiom_while_grad(&x, g), "while");
    check_adds_into(6, |g| idiom_iter_grad(&x, g), "iter");
    check_adds_into(6, |g| idiom_pattern_ref_grad(&x, g), "&v");
    check_adds_into(6, |g| idiom_enumerate_grad(&x, g), "enumerate");
    check_adds_into(6, |g| idiom_sum_turbofish_grad(&x, g), "sum::<f64>");
    check_adds_into(6, |g| idiom_sum_annotated_grad(&x, g), "let s: f64 = sum");
    check_adds_into(6, |g| idiom_vec_param_grad(&x.to_vec(), g), "&Vec");
    check_adds_into(6, |g| idiom_zip_grad(&x, g, &y, &mut [0.0; 7]), "zip x");
    check_adds_into(7, |g| idiom_zip_grad(&x, &mut [0.0; 6], &y, g), "zip y");
    check_adds_into(6, |g| leaky_grad(&x, g), "leaky");
    check_adds_into(6, |g| variance_grad(&x, g), "variance");
    check_adds_into(6, |g| sum_in_loop_grad(&x, g), "sum in loop");
    check_adds_into(6, |g| nested_iter_grad(&x, g), "nested");
    check_adds_into(6, |g| reversed_grad(&x, g), "reversed");
    check_adds_into(6, |g| active_while_grad(&x, g), "active while");
    check_adds_into(6, |g| accumulate_array_grad(&x, g), "array carried");
    check_adds_into(6, |g| multiply_array_grad(&x, g), "array rewritten");
    check_adds_into(6, |g| continue_enumerate_grad(&x, g), "continue");
    check_adds_into(6, |g| argmax_square_grad(&x, g), "argmax");
    check_adds_into(6, |g| dot_ng_grad(&x, g, &y), "dot");
    check_adds_into(
        6,
        |g| caller_grad(&x, g, &y[..6], &mut [0.0; 6], &y[1..]),
        "caller",
    );
    check_adds_into(
        6,
        |g| {
            let _ = until_break_grad(&x, g, 1.0);
        },
        "break",
    );
    check_adds_into(
        4,
        |g| {
            softmax4_vjp(&x[..4], g, [1.0, -2.0, 0.5, 0.25]);
        },
        "softmax",
    );
    check_adds_into(
        9,
        |g| mixture_nll_grad(&[0.3, -0.4, 0.1, -1.5, 0.2, 1.7, -0.3, 0.1, 0.4], g, &x),
        "mixture",
    );
    check_adds_into(
        9,
        |g| mixture_nll_if_grad(&[0.3, -0.4, 0.1, -1.5, 0.2, 1.7, -0.3, 0.1, 0.4], g, &x),
        "mixture if",
    );
    let p = pseudo(H * 2 + 2 * H + 1, 5);
    check_adds_into(p.len(), |g| net_loss_grad(&p, g, &x, &y[..3], 2), "network");
    let a = pseudo(4 * 6, 6);
    check_adds_into(
        24,
        |g| {
            matvec_vjp(&a, g, &x, &mut [0.0; 6], [1.0, 2.0, 3.0, 4.0]);
        },
        "matvec a",
    );
    check_adds_into(
        6,
        |g| {
            matvec_vjp(&a, &mut [0.0; 24], &x, g, [1.0, 2.0, 3.0, 4.0]);
        },
        "matvec x",
    );
}

// ---------------------------------------------------------------------------------------------
// Shadow length mismatch
// ---------------------------------------------------------------------------------------------

#[test]
#[should_panic(expected = "the shadow of `x` has length 2 but `x` has length 3")]
fn short_shadow_panics_naming_the_parameter() {
    let x = [1.0, 2.0, 3.0];
    let mut g = [0.0; 2];
    idiom_index_grad(&x, &mut g);
}

#[test]
#[should_panic(expected = "the shadow of `y` has length 4 but `y` has length 3")]
fn long_shadow_of_the_second_parameter_panics_naming_it() {
    let x = [1.0, 2.0, 3.0];
    let y = [1.0, 2.0, 3.0];
    let mut gx = [0.0; 3];
    let mut gy = [0.0; 4];
    idiom_zip_vjp(&x, &mut gx, &y, &mut gy, 1.0);
}

#[test]
#[should_panic(expected = "the shadow of `p` has length 0 but `p` has length")]
fn empty_shadow_panics() {
    let p = pseudo(3 * K, 70);
    mixture_nll_grad(&p, &mut [], &[0.5]);
}

#[test]
fn mismatch_is_checked_before_the_shadow_is_written() {
    let x = [1.0, 2.0, 3.0];
    let mut g = [7.0; 2];
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        idiom_index_grad(&x, &mut g);
    }));
    assert!(result.is_err());
    assert_eq!(g, [7.0; 2]);
}

// ---------------------------------------------------------------------------------------------
// f32 and generic elements
// ---------------------------------------------------------------------------------------------

#[differentiable]
fn logsumexp_f32(x: &[f32]) -> f32 {
    let mut m = x[0];
    for i in 1..x.len() {
        m = m.max(x[i]);
    }
    let mut s = 0.0;
    for &v in x {
        s += (v - m).exp();
    }
    m + s.ln()
}

#[differentiable]
fn weighted_norm_generic<T: vjp::Real>(x: &[T], #[no_grad] w: &[T]) -> T {
    let mut s = T::from_f64(0.0);
    for i in 0..x.len() {
        s += w[i] * x[i] * x[i];
    }
    (s + T::from_f64(1.0)).sqrt()
}

#[differentiable]
#[allow(clippy::ptr_arg)]
fn generic_iter<T: vjp::Real>(x: &[T], y: &Vec<T>) -> T {
    let mut s = T::zero();
    for (a, b) in x.iter().zip(y.iter()) {
        s += (*a * *b).sin();
    }
    for (i, v) in x.iter().enumerate() {
        s += T::from_f64(i as f64) * *v;
    }
    s
}

/// `f32` elements cast to `f64` inside: the cotangent is cast back into the `f32` shadow.
#[differentiable]
fn mixed_precision(x: &[f32], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += (x[i] as f64).powi(2) * y[i];
    }
    s
}

#[test]
fn f32_slice_cast_to_f64() {
    let x = [0.5_f32, -1.5, 2.0];
    let y = [1.0, 0.25, -0.5];
    let (mut gx, mut gy) = ([0.0_f32; 3], [0.0_f64; 3]);
    let (value, ()) = mixed_precision_vjp(&x, &mut gx, &y, &mut gy, 1.0);
    assert_eq!(value, mixed_precision(&x, &y));
    assert_eq!(gx, [1.0, -0.75, -2.0]);
    assert_eq!(gy, [0.25, 2.25, 4.0]);
}

#[test]
fn f32_slice_softmax_gradient() {
    let x: [f32; 4] = [0.5, -1.0, 2.0, 0.25];
    let mut g = [0.0_f32; 4];
    logsumexp_f32_grad(&x, &mut g);
    let m = 2.0_f64;
    let z: f64 = x.iter().map(|&v| (v as f64 - m).exp()).sum();
    for i in 0..4 {
        let want = (x[i] as f64 - m).exp() / z;
        assert!((g[i] as f64 - want).abs() < 1e-6, "{i}: {} vs {want}", g[i]);
    }
    let total: f32 = g.iter().sum();
    assert!((total - 1.0).abs() < 1e-6);
    let mut g2 = [0.0_f32; 4];
    let (y, ()) = logsumexp_f32_vjp(&x, &mut g2, 1.0);
    assert_eq!(y, logsumexp_f32(&x));
    assert!((y as f64 - (m + z.ln())).abs() < 1e-6);
}

#[test]
fn generic_slice_f64_and_f32() {
    let x = [0.5, -1.5, 2.0];
    let w = [1.0, 0.5, 0.25];
    let mut g = [0.0; 3];
    weighted_norm_generic_grad(&x, &mut g, &w);
    let n = weighted_norm_generic(&x, &w);
    let want: Vec<f64> = (0..3).map(|i| w[i] * x[i] / n).collect();
    assert_close(&g, &want, 1e-14, "f64 closed form");
    assert_close(
        &g,
        &fd_grad(|x| weighted_norm_generic(x, &w), &x),
        1e-6,
        "f64 fd",
    );

    let x32 = x.map(|v| v as f32);
    let w32 = w.map(|v| v as f32);
    let mut g32 = [0.0_f32; 3];
    let (n32, ()) = weighted_norm_generic_vjp(&x32, &mut g32, &w32, 1.0_f32);
    assert!((n32 as f64 - n).abs() < 1e-6);
    for i in 0..3 {
        assert!((g32[i] as f64 - want[i]).abs() < 1e-6, "f32 {i}");
    }
}

#[test]
fn generic_slice_iterators() {
    let x = [0.3_f64, 0.7, -0.2];
    let y = vec![1.5_f64, -0.5, 2.0, 4.0];
    let (mut gx, mut gy) = ([0.0; 3], vec![0.0; 4]);
    let (value, ()) = generic_iter_vjp(&x, &mut gx, &y, &mut gy, 1.0);
    assert_eq!(value, generic_iter(&x, &y));
    let wx: Vec<f64> = (0..3)
        .map(|i| (x[i] * y[i]).cos() * y[i] + i as f64)
        .collect();
    let mut wy: Vec<f64> = (0..3).map(|i| (x[i] * y[i]).cos() * x[i]).collect();
    wy.push(0.0);
    assert_close(&gx, &wx, 1e-14, "x");
    assert_close(&gy, &wy, 1e-14, "y");

    let x32 = x.map(|v| v as f32);
    let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
    let (mut gx32, mut gy32) = ([0.0_f32; 3], vec![0.0_f32; 4]);
    generic_iter_grad(&x32, &mut gx32, &y32, &mut gy32);
    for i in 0..3 {
        assert!((gx32[i] as f64 - wx[i]).abs() < 1e-5);
        assert!((gy32[i] as f64 - wy[i]).abs() < 1e-5);
    }
    assert_eq!(gy32[3], 0.0);
}

// ---------------------------------------------------------------------------------------------
// Calls with slice arguments
// ---------------------------------------------------------------------------------------------

#[differentiable]
fn weighted_sq(x: &[f64], w: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += w[i] * x[i] * x[i];
    }
    s
}

#[differentiable]
fn caller(x: &[f64], w: &[f64], #[no_grad] c: &[f64]) -> f64 {
    let a = weighted_sq(x, w);
    let b = weighted_sq(w, x);
    let d = dot_ng(x, c);
    a * b + d.sin()
}

#[differentiable]
fn caller_in_loop(x: &[f64], w: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..3 {
        s += (k as f64 + 1.0) * weighted_sq(x, w).sqrt();
    }
    s
}

#[test]
fn call_with_slice_arguments() {
    let x = pseudo(4, 80);
    let w: Vec<f64> = pseudo(4, 81).iter().map(|v| 1.5 + v).collect();
    let c = pseudo(4, 82);
    let (mut gx, mut gw) = (vec![0.0; 4], vec![0.0; 4]);
    let (y, ()) = caller_vjp(&x, &mut gx, &w, &mut gw, &c, 1.0);
    assert_eq!(y, caller(&x, &w, &c));
    assert_close(&gx, &fd_grad(|x| caller(x, &w, &c), &x), 1e-6, "x fd");
    assert_close(&gw, &fd_grad(|w| caller(&x, w, &c), &w), 1e-6, "w fd");
    // Closed form.
    let a = weighted_sq(&x, &w);
    let b = weighted_sq(&w, &x);
    let d = dot_ng(&x, &c);
    for i in 0..4 {
        let want_x = 2.0 * w[i] * x[i] * b + a * w[i] * w[i] + d.cos() * c[i];
        let want_w = x[i] * x[i] * b + a * 2.0 * x[i] * w[i];
        assert!((gx[i] - want_x).abs() < 1e-12 * want_x.abs().max(1.0));
        assert!((gw[i] - want_w).abs() < 1e-12 * want_w.abs().max(1.0));
    }
}

#[test]
fn call_with_slice_arguments_in_a_loop() {
    let x = pseudo(5, 83);
    let w: Vec<f64> = pseudo(5, 84).iter().map(|v| 1.5 + v).collect();
    let (mut gx, mut gw) = (vec![0.0; 5], vec![0.0; 5]);
    caller_in_loop_grad(&x, &mut gx, &w, &mut gw);
    let r = weighted_sq(&x, &w).sqrt();
    let wx: Vec<f64> = (0..5).map(|i| 6.0 * w[i] * x[i] / r).collect();
    let ww: Vec<f64> = (0..5).map(|i| 3.0 * x[i] * x[i] / r).collect();
    assert_close(&gx, &wx, 1e-13, "x");
    assert_close(&gw, &ww, 1e-13, "w");
    assert_close(&gx, &fd_grad(|x| caller_in_loop(x, &w), &x), 1e-6, "x fd");
}

/// A by-value scalar and a slice through a call.
#[differentiable]
fn call_horner(t: f64, c: &[f64]) -> f64 {
    horner(t * 2.0, c).sin()
}

/// An array reference through a call.
#[differentiable]
fn call_array_ref(x: &[f64; 3]) -> f64 {
    generic_array_ref(x) * x[0]
}

/// A `&Vec<f64>` passed where the callee takes `&[f64]`.
#[differentiable]
#[allow(clippy::ptr_arg)]
fn call_with_vec(y: &Vec<f64>, w: &[f64]) -> f64 {
    weighted_sq(y, w) + y[0]
}

#[differentiable]
fn generic_sum_sq<T: vjp::Real>(x: &[T]) -> T {
    let mut s = T::zero();
    for i in 0..x.len() {
        s += x[i] * x[i];
    }
    s
}

#[differentiable]
fn generic_caller<T: vjp::Real>(x: &[T]) -> T {
    generic_sum_sq(x).sqrt()
}

#[test]
fn calls_with_scalars_arrays_vecs_and_generics() {
    let c = [1.0, -2.0, 0.5, 3.0];
    let t = 0.3;
    let mut gc = [0.0; 4];
    let (y, (dt,)) = call_horner_vjp(t, &c, &mut gc, 1.0);
    assert_eq!(y, call_horner(t, &c));
    let fd_t = (call_horner(t + 1e-6, &c) - call_horner(t - 1e-6, &c)) / 2e-6;
    assert!((dt - fd_t).abs() < 1e-6, "{dt} vs {fd_t}");
    assert_close(&gc, &fd_grad(|c| call_horner(t, c), &c), 1e-6, "c");

    let x = [1.5, 0.5, -2.0];
    let mut g = [0.0; 3];
    let (y, ()) = call_array_ref_vjp(&x, &mut g, 1.0);
    assert_eq!(y, call_array_ref(&x));
    let f = |x: &[f64]| call_array_ref(&[x[0], x[1], x[2]]);
    assert_close(&g, &fd_grad(f, &x), 1e-6, "array ref");

    let y = vec![0.5, -1.0, 2.0];
    let w = [1.0, 2.0, 3.0];
    let (mut gy, mut gw) = (vec![0.0; 3], [0.0; 3]);
    let (value, ()) = call_with_vec_vjp(&y, &mut gy, &w, &mut gw, 1.0);
    assert_eq!(value, call_with_vec(&y, &w));
    assert_close(&gy, &[2.0, -4.0, 12.0], 1e-15, "vec");
    assert_close(&gw, &[0.25, 1.0, 4.0], 1e-15, "w");

    let x = [3.0_f64, 4.0];
    let mut g = [0.0; 2];
    generic_caller_grad(&x, &mut g);
    assert_close(&g, &[0.6, 0.8], 1e-15, "generic f64");
    let mut g32 = [0.0_f32; 2];
    let (n, ()) = generic_caller_vjp(&[3.0_f32, 4.0], &mut g32, 1.0);
    assert_eq!(n, generic_caller(&[3.0_f32, 4.0]));
    assert!((g32[0] - 0.6).abs() < 1e-6 && (g32[1] - 0.8).abs() < 1e-6);
}

/* LIMITATION: calls where the caller's and the callee's activity of a slice differ generate
   code that does not compile (rustc errors, not a message of vjp's own); passing one active
   slice twice is now an error of vjp's own ("an active slice is passed twice to this call"). With `weighted_sq` and `dot_ng` above:

    #[differentiable]
    fn same_slice_twice(y: &[f64]) -> f64 {
        weighted_sq(y, y)
    }
error[E0499]: cannot borrow `*bar_y` as mutable more than once at a time
    | fn same_slice_twice(y: &[f64]) -> f64 {
    |                     ^ `*bar_y` was mutably borrowed here in the previous iteration of the loop
    |     weighted_sq(y, y)
    |     ----------- first borrow later used by call

    #[differentiable]
    fn constant_slice_to_active_parameter(x: &[f64], #[no_grad] c: &[f64]) -> f64 {
        weighted_sq(x, c)
    }
error[E0061]: this function takes 5 arguments but 4 arguments were supplied
    |     weighted_sq(x, c)
    |     ^^^^^^^^^^^   (argument #4 of type `&mut [f64]` is missing; and in the JVP:
    |                    this function takes 4 arguments but 3 arguments were supplied)

    #[differentiable]
    fn active_slice_to_no_grad_parameter(x: &[f64]) -> f64 {
        dot_ng(x, x)
    }
error[E0061]: this function takes 4 arguments but 5 arguments were supplied
    |     dot_ng(x, x)
    |     ^^^^^^        (unexpected argument #4 of type `&mut [f64]`)
   (the README documents this last one for scalar arguments as a known limitation.)
*/

// ---------------------------------------------------------------------------------------------
// More shapes of slice code: gathers, branches, recurrences, early exits, several outputs
// ---------------------------------------------------------------------------------------------

/// Reads through a `#[no_grad]` index slice; repeated indices accumulate.
#[differentiable]
fn gather(x: &[f64], #[no_grad] idx: &[usize]) -> f64 {
    let mut s = 0.0;
    for k in 0..idx.len() {
        s += x[idx[k]] * x[idx[k]];
    }
    s
}

#[differentiable]
fn leaky(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if x[i] > 0.0 {
            s += x[i] * x[i];
        } else {
            s -= 0.1 * x[i];
        }
    }
    s
}

/// Polynomial c[0] + c[1] t + ... by Horner's rule: a by-value active scalar next to a slice.
#[differentiable]
fn horner(t: f64, c: &[f64]) -> f64 {
    let mut acc = 0.0;
    for i in (0..c.len()).rev() {
        acc = acc * t + c[i];
    }
    acc
}

#[differentiable]
fn variance(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let mut s = 0.0;
    for v in x.iter() {
        s += (v - mean) * (v - mean);
    }
    s / n
}

/// `iter().sum()` inside a loop: re-evaluated in the reverse sweep.
#[differentiable]
fn sum_in_loop(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i] / x.iter().sum::<f64>();
    }
    s
}

#[differentiable]
fn until_break(x: &[f64], thr: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if x[i] > thr {
            break;
        }
        s += x[i].exp();
    }
    s
}

#[differentiable]
fn nested_iter(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for a in x.iter() {
        for b in x.iter() {
            s += a * b * b;
        }
    }
    s
}

#[differentiable]
fn moments(x: &[f64]) -> (f64, f64) {
    let mut s = 0.0;
    let mut q = 0.0;
    for &v in x {
        s += v;
        q += v * v;
    }
    (s, q)
}

#[differentiable]
fn cumprod(x: &[f64; 4]) -> [f64; 4] {
    let mut out = [0.0; 4];
    let mut p = 1.0;
    for i in 0..4 {
        p *= x[i];
        out[i] = p;
    }
    out
}

#[differentiable]
fn const_generic<const N: usize>(x: &[f64; N]) -> f64 {
    let mut s = 0.0;
    for i in 0..N {
        s += x[i].sin();
    }
    s
}

#[differentiable]
fn reversed(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        s = s * 0.5 + x[n - 1 - i] * (i as f64 + 1.0);
    }
    s
}

/// The slice only decides a branch: its shadow must stay untouched.
#[differentiable]
fn cond_only(t: f64, x: &[f64]) -> f64 {
    let k = if x[0] > 0.0 { 2.0 } else { 3.0 };
    k * t
}

#[differentiable]
fn mixed(a: [f64; 2], x: &[f64], b: f64) -> f64 {
    let mut s = a[0] * b;
    for i in 0..x.len() {
        s += a[1] * x[i] * b;
    }
    s
}

#[differentiable]
fn early_return(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    if x[0] < 0.0 {
        return x[0] * x[0];
    }
    x[0].sqrt()
}

#[differentiable]
fn active_while(x: &[f64]) -> f64 {
    let mut i = 0;
    let mut s = 0.0;
    while s < 3.0 && i < x.len() {
        s += x[i] * x[i];
        i += 1;
    }
    s
}

#[differentiable]
fn array_from_slice(x: &[f64]) -> f64 {
    let a = [x[0], x[1] * 2.0];
    let [p, q] = a;
    p * q.exp()
}

#[differentiable]
fn continue_enumerate(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, v) in x.iter().enumerate() {
        if i % 2 == 1 {
            continue;
        }
        s += v * v * v;
    }
    s
}

/// Checks `f_grad` of a scalar function of one slice against finite differences.
#[track_caller]
fn check_fd(f: fn(&[f64]) -> f64, f_grad: fn(&[f64], &mut [f64]), x: &[f64], what: &str) {
    let mut g = vec![0.0; x.len()];
    f_grad(x, &mut g);
    assert_close(&g, &fd_grad(f, x), 1e-6, what);
}

#[test]
fn gather_accumulates_repeated_indices() {
    let x = [0.5, -1.0, 2.0, 3.0];
    let idx = [2, 0, 2, 2, 1];
    let mut g = [0.0; 4];
    let (y, ()) = gather_vjp(&x, &mut g, &idx, 1.0);
    assert_eq!(y, gather(&x, &idx));
    assert_eq!(g, [1.0, -2.0, 12.0, 0.0]);
}

#[test]
fn branches_recurrences_and_exits_match_finite_differences() {
    let x = [0.7, -0.4, 1.3, -2.1, 0.2, 0.9];
    check_fd(leaky, leaky_grad, &x, "leaky");
    check_fd(variance, variance_grad, &x, "variance");
    check_fd(sum_in_loop, sum_in_loop_grad, &x, "sum_in_loop");
    check_fd(nested_iter, nested_iter_grad, &x, "nested_iter");
    check_fd(reversed, reversed_grad, &x, "reversed");
    check_fd(active_while, active_while_grad, &x, "active_while");
    check_fd(
        array_from_slice,
        array_from_slice_grad,
        &x,
        "array_from_slice",
    );
    check_fd(
        continue_enumerate,
        continue_enumerate_grad,
        &x,
        "continue_enumerate",
    );
    check_fd(early_return, early_return_grad, &x, "early_return +");
    check_fd(
        early_return,
        early_return_grad,
        &[-0.6, 1.0],
        "early_return -",
    );
    let y = [0.3, 1.2, 0.5];
    check_fd(
        |x| until_break(x, 1.0),
        |x, g| {
            let (dthr,) = until_break_grad(x, g, 1.0);
            assert_eq!(dthr, 0.0);
        },
        &y,
        "until_break",
    );
    check_fd(
        |x| const_generic(&[x[0], x[1], x[2]]),
        |x, g| {
            let mut a = [0.0; 3];
            const_generic_grad(&[x[0], x[1], x[2]], &mut a);
            g.copy_from_slice(&a);
        },
        &y,
        "const_generic",
    );

    // Closed forms for a few.
    let mut g = [0.0; 6];
    variance_grad(&x, &mut g);
    let mean = x.iter().sum::<f64>() / 6.0;
    assert_close(&g, &x.map(|v| 2.0 * (v - mean) / 6.0), 1e-14, "variance");
    let mut g = [0.0; 6];
    nested_iter_grad(&x, &mut g);
    let (s1, s2) = (x.iter().sum::<f64>(), x.iter().map(|v| v * v).sum::<f64>());
    assert_close(&g, &x.map(|v| s2 + 2.0 * v * s1), 1e-13, "nested_iter");
    let mut g = [0.0; 6];
    active_while_grad(&x, &mut g); // stops once s >= 3: after x[0..4]
    assert_close(&g, &[1.4, -0.8, 2.6, -4.2, 0.0, 0.0], 1e-15, "active_while");
    let mut g = [0.0; 3];
    until_break_grad(&y, &mut g, 1.0); // breaks at y[1] = 1.2
    assert_close(&g, &[0.3_f64.exp(), 0.0, 0.0], 1e-15, "until_break");
    let mut g = [0.0; 6];
    continue_enumerate_grad(&x, &mut g);
    let want: Vec<f64> = (0..6)
        .map(|i| if i % 2 == 0 { 3.0 * x[i] * x[i] } else { 0.0 })
        .collect();
    assert_close(&g, &want, 1e-15, "continue_enumerate");
}

#[test]
fn horner_gives_the_scalar_cotangent_and_fills_the_shadow() {
    let c = [1.0, -2.0, 0.5, 3.0];
    let t = 0.7;
    let mut gc = [0.0; 4];
    let (y, (dt,)) = horner_vjp(t, &c, &mut gc, 1.0);
    assert_eq!(y, horner(t, &c));
    assert_close(&gc, &[1.0, t, t * t, t * t * t], 1e-15, "powers of t");
    let dt_want = c[1] + 2.0 * c[2] * t + 3.0 * c[3] * t * t;
    assert!((dt - dt_want).abs() < 1e-14, "{dt} vs {dt_want}");
}

#[test]
fn a_slice_that_only_decides_a_branch_gets_nothing() {
    let mut g = [5.0, 6.0];
    let (y, (dt,)) = cond_only_vjp(1.5, &[-1.0, 2.0], &mut g, 2.0);
    assert_eq!((y, dt), (4.5, 6.0));
    assert_eq!(y, cond_only(1.5, &[-1.0, 2.0]));
    assert_eq!(g, [5.0, 6.0]);
}

#[test]
fn by_value_array_slice_and_scalar_together() {
    let a = [0.5, -1.5];
    let x = [1.0, 2.0, 3.0];
    let b = 2.0;
    let mut gx = [0.0; 3];
    let (y, (da, db)) = mixed_vjp(a, &x, &mut gx, b, 1.0);
    assert_eq!(y, mixed(a, &x, b));
    assert_eq!(da, [b, 6.0 * b]);
    assert_eq!(db, a[0] + a[1] * 6.0);
    assert_eq!(gx, [a[1] * b; 3]);
}

#[test]
fn tuple_and_array_outputs_from_slices() {
    let x = [0.5, -1.0, 2.0];
    let mut g = [0.0; 3];
    let ((s, q), ()) = moments_vjp(&x, &mut g, (2.0, -0.5));
    assert_eq!((s, q), moments(&x));
    assert_close(&g, &x.map(|v| 2.0 - v), 1e-15, "moments");

    let x = [0.5, -1.0, 2.0, 1.5];
    let v = [1.0, -2.0, 0.5, 0.25];
    let mut g = [0.0; 4];
    let (y, ()) = cumprod_vjp(&x, &mut g, v);
    assert_eq!(y, cumprod(&x));
    let f = |x: &[f64]| -> f64 {
        let y = cumprod(&[x[0], x[1], x[2], x[3]]);
        (0..4).map(|i| y[i] * v[i]).sum()
    };
    assert_close(&g, &fd_grad(f, &x), 1e-6, "cumprod");
}

#[differentiable]
fn argmax_square(x: &[f64]) -> f64 {
    let mut best = 0;
    for i in 1..x.len() {
        if x[i] > x[best] {
            best = i;
        }
    }
    x[best] * x[best]
}

/// An index computed from an active value (the cast has derivative 0).
#[differentiable]
fn float_index(t: f64, x: &[f64]) -> f64 {
    let k = (t * 3.0) as usize;
    x[k] * t
}

/// A local array carried across iterations of an outer loop.
#[differentiable]
fn accumulate_array(x: &[f64]) -> f64 {
    let mut acc = [0.0; 3];
    for k in 0..x.len() / 3 {
        for j in 0..3 {
            acc[j] += x[k * 3 + j] * x[k * 3 + j];
        }
    }
    acc[0] * acc[1] + acc[2]
}

/// A local array whose new element reads the old one.
#[differentiable]
fn multiply_array(x: &[f64]) -> f64 {
    let mut h = [1.0; 2];
    for i in 0..x.len() {
        for j in 0..2 {
            h[j] = h[j] * x[i] + j as f64;
        }
    }
    h[0] * h[1]
}

#[differentiable]
fn softmax4(x: &[f64]) -> [f64; 4] {
    let mut e = [0.0; 4];
    let mut z = 0.0;
    for i in 0..4 {
        e[i] = x[i].exp();
        z += e[i];
    }
    for i in 0..4 {
        e[i] /= z;
    }
    e
}

#[differentiable]
fn conv3(k: &[f64], x: &[f64]) -> [f64; 3] {
    let mut y = [0.0; 3];
    for i in 0..3 {
        for j in 0..k.len() {
            y[i] += k[j] * x[i + j];
        }
    }
    y
}

#[differentiable]
fn generic_array_ref<T: vjp::Real>(x: &[T; 3]) -> T {
    x[0] * x[1].exp() + x[2]
}

#[test]
fn argmax_and_float_index() {
    let x = [0.5, 2.5, -3.0, 1.0];
    let mut g = [0.0; 4];
    let (y, ()) = argmax_square_vjp(&x, &mut g, 1.0);
    assert_eq!(y, argmax_square(&x));
    assert_eq!(g, [0.0, 5.0, 0.0, 0.0]);

    let mut g = [0.0; 4];
    let (y, (dt,)) = float_index_vjp(0.7, &x, &mut g, 1.0); // k = 2
    assert_eq!(y, float_index(0.7, &x));
    assert_eq!(g, [0.0, 0.0, 0.7, 0.0]);
    assert_eq!(dt, -3.0);
}

#[test]
fn local_arrays_carried_and_rewritten() {
    let x = [0.7, -0.4, 1.3, -2.1, 0.2, 0.9];
    check_fd(
        accumulate_array,
        accumulate_array_grad,
        &x,
        "accumulate_array",
    );
    check_fd(multiply_array, multiply_array_grad, &x, "multiply_array");
    let mut g = [0.0; 6];
    accumulate_array_grad(&x, &mut g);
    let a: Vec<f64> = (0..3).map(|j| x[j] * x[j] + x[j + 3] * x[j + 3]).collect();
    let want = [
        2.0 * x[0] * a[1],
        2.0 * x[1] * a[0],
        2.0 * x[2],
        2.0 * x[3] * a[1],
        2.0 * x[4] * a[0],
        2.0 * x[5],
    ];
    assert_close(&g, &want, 1e-14, "accumulate_array closed form");
}

#[test]
fn softmax_and_convolution_vjps() {
    let x = [0.3, -1.2, 0.8, 2.0];
    for v in [[1.0, 0.0, 0.0, 0.0], [0.5, -1.0, 2.0, 0.25]] {
        let mut g = [0.0; 4];
        let (p, ()) = softmax4_vjp(&x, &mut g, v);
        assert_eq!(p, softmax4(&x));
        // Closed form: x̄_i = p_i (v_i − <v, p>).
        let vp: f64 = (0..4).map(|i| v[i] * p[i]).sum();
        let want: Vec<f64> = (0..4).map(|i| p[i] * (v[i] - vp)).collect();
        assert_close(&g, &want, 1e-14, "softmax");
    }

    let k = [0.5, -1.0];
    let x = [1.0, 2.0, -0.5, 3.0];
    let v = [1.0, -2.0, 0.5];
    let (mut gk, mut gx) = ([0.0; 2], [0.0; 4]);
    let (y, ()) = conv3_vjp(&k, &mut gk, &x, &mut gx, v);
    assert_eq!(y, conv3(&k, &x));
    let mut wk = [0.0; 2];
    let mut wx = [0.0; 4];
    for i in 0..3 {
        for j in 0..2 {
            wk[j] += v[i] * x[i + j];
            wx[i + j] += v[i] * k[j];
        }
    }
    assert_close(&gk, &wk, 1e-15, "conv kernel");
    assert_close(&gx, &wx, 1e-15, "conv input");
}

#[test]
fn generic_array_reference() {
    let x = [1.5_f64, 0.5, -2.0];
    let mut g = [0.0; 3];
    let (y, ()) = generic_array_ref_vjp(&x, &mut g, 1.0);
    assert_eq!(y, generic_array_ref(&x));
    assert_close(&g, &[0.5_f64.exp(), 1.5 * 0.5_f64.exp(), 1.0], 1e-15, "f64");
    let mut g32 = [0.0_f32; 3];
    generic_array_ref_grad(&[1.5_f32, 0.5, -2.0], &mut g32);
    let want32 = [0.5_f32.exp(), 1.5 * 0.5_f32.exp(), 1.0];
    for i in 0..3 {
        assert!((g32[i] - want32[i]).abs() <= 1e-6, "f32 {i}: {g32:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Lengths 0 and 1
// ---------------------------------------------------------------------------------------------

#[test]
fn empty_slices() {
    let x: [f64; 0] = [];
    let mut g: [f64; 0] = [];
    let (y, ()) = idiom_index_vjp(&x, &mut g, 1.0);
    assert_eq!(y, 0.0);
    idiom_iter_grad(&[], &mut []);
    idiom_pattern_ref_grad(&[], &mut []);
    idiom_enumerate_grad(&[], &mut []);
    idiom_zip_grad(&[], &mut [], &[1.0], &mut [0.0]);
    idiom_sum_turbofish_grad(&[], &mut []);
    let (e, ()) = idiom_sum_annotated_vjp(&[], &mut [], 1.0);
    assert_eq!(e, 1.0);
    let (p, ()) = idiom_while_vjp(&[], &mut [], 1.0);
    assert_eq!(p, 0.0);
    idiom_vec_param_grad(&Vec::new(), &mut []);
    caller_grad(&[], &mut [], &[], &mut [], &[]);
    caller_in_loop_grad(&[], &mut [], &[], &mut []);
    // A network with d = 0 inputs: only the biases and W2 matter.
    let p = pseudo(2 * H + 1, 90);
    let mut gp = vec![0.0; p.len()];
    net_loss_grad(&p, &mut gp, &[], &[0.3], 0);
    assert_close(
        &gp,
        &fd_grad(|p| net_loss(p, &[], &[0.3], 0), &p),
        1e-6,
        "d = 0",
    );
    // An empty data set: the mixture NLL is 0 and only its normaliser is computed.
    let q = pseudo(3 * K, 91);
    let mut gq = vec![0.0; 3 * K];
    let (nll, ()) = mixture_nll_vjp(&q, &mut gq, &[], 1.0);
    assert_eq!(nll, 0.0);
    assert_eq!(gq, vec![0.0; 3 * K]);
}

#[test]
fn slices_of_length_one() {
    let x = [0.7];
    let mut g = [0.0];
    idiom_index_grad(&x, &mut g);
    assert_eq!(g, [1.4]);
    let mut g = [0.0];
    idiom_neighbours_grad(&x, &mut g); // the loop 1..1 runs zero times
    assert_close(&g, &[0.7_f64.cos()], 1e-15, "neighbours");
    let mut g = [0.0];
    idiom_iter_grad(&x, &mut g);
    assert_close(&g, &[1.7 * 0.7_f64.exp()], 1e-15, "iter");
    let mut g = [0.0];
    idiom_sum_annotated_grad(&x, &mut g);
    assert_close(&g, &[0.7_f64.exp()], 1e-15, "sum");
    let mut g = [0.0_f32];
    logsumexp_f32_grad(&[3.5], &mut g);
    assert_eq!(g, [1.0]);
    let (mut gx, mut gy) = ([0.0], [0.0]);
    idiom_zip_grad(&[2.0], &mut gx, &[0.5], &mut gy);
    assert_eq!((gx, gy), ([2.0 * 1.5 * 2.0 + 2.25], [-2.0 * 1.5 * 2.0]));
    // A one-component mixture of one point: the weight logit has zero gradient.
    let mut g1 = [0.0; 3 * K];
    let p = [0.2, 0.2, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    mixture_nll_grad(&p, &mut g1, &[1.0]);
    assert_close(
        &g1[..K],
        &[0.0; K],
        1e-15,
        "equal weights, equal components",
    );
}
