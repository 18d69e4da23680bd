//! Exercise 3 of the seed notes: the VJP of a two-layer neural network, here as real Rust
//! instead of pseudocode, trained by plain gradient descent.
//!
//! The network maps 4 inputs through 8 tanh hidden units to 1 output:
//!
//! ```text
//! h = tanh(W1 x + b1)        W1: 8 x 4, b1: 8
//! ŷ = W2 h + b2              W2: 1 x 8, b2: 1
//! L = mean over the batch of (ŷ − y)²
//! ```
//!
//! All 49 parameters live in one flat `&[f64]` (W1 row-major, then b1, W2, b2), and the batch
//! comes in as `#[no_grad]` slices. `#[differentiable]` generates `loss_grad(&params, &mut
//! grad, &xs, &ys)`, which ADDS dL/dparams into `grad`: backpropagation is that one VJP with
//! v = 1, run layer by layer backwards through the code of `loss`.
//!
//! The example first checks the gradient against central finite differences, then trains on a
//! small synthetic data set (y = sin(x0) + x1·x2 − 0.5·x3 + noise, inputs from a tiny inline
//! PRNG) and prints the loss as it falls.
//!
//! Run it with `cargo run --example two_layer_net`.

use vjp::differentiable;

/// Inputs per sample.
const D: usize = 4;
/// Hidden units.
const H: usize = 8;
/// Number of parameters: W1, b1, W2, b2.
const P: usize = H * D + H + H + 1;
/// Where each block of parameters starts in the flat vector.
const B1: usize = H * D;
const W2: usize = B1 + H;
const B2: usize = W2 + H;

/// Mean squared error of the network with parameters `p` on the batch `xs` (row-major,
/// `ys.len()` rows of `D` inputs) with targets `ys`.
#[differentiable]
fn loss(p: &[f64], #[no_grad] xs: &[f64], #[no_grad] ys: &[f64]) -> f64 {
    let mut total = 0.0;
    // The hidden layer of one sample lives in a local array. (The zero array is built before
    // the loop and copied: `[0.0; H]` written inside the loop is not accepted by vjp yet.)
    let zero = [0.0; H];
    for k in 0..ys.len() {
        let mut h = zero;
        for j in 0..H {
            let mut z = p[B1 + j];
            for i in 0..D {
                z += p[j * D + i] * xs[k * D + i];
            }
            h[j] = z.tanh();
        }
        let mut out = p[B2];
        for j in 0..H {
            out += p[W2 + j] * h[j];
        }
        let e = out - ys[k];
        total += e * e;
    }
    total / ys.len() as f64
}

/// A tiny deterministic PRNG (xorshift64*), so the example needs no dependencies.
struct Rng(u64);

impl Rng {
    /// A uniform number in [0, 1).
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        bits as f64 / (1u64 << 53) as f64
    }

    /// A uniform number in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }
}

/// The function the network should learn.
fn target(x: &[f64]) -> f64 {
    x[0].sin() + x[1] * x[2] - 0.5 * x[3]
}

/// The gradient of `loss` by central finite differences.
fn finite_difference_gradient(p: &[f64], xs: &[f64], ys: &[f64]) -> Vec<f64> {
    let mut q = p.to_vec();
    (0..p.len())
        .map(|i| {
            let h = 1e-6 * p[i].abs().max(1.0);
            q[i] = p[i] + h;
            let up = loss(&q, xs, ys);
            q[i] = p[i] - h;
            let down = loss(&q, xs, ys);
            q[i] = p[i];
            (up - down) / (2.0 * h)
        })
        .collect()
}

fn main() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);

    // The data set: 64 samples, inputs uniform in [-1, 1), a little noise on the targets.
    let samples = 64;
    let xs: Vec<f64> = (0..samples * D).map(|_| rng.range(-1.0, 1.0)).collect();
    let ys: Vec<f64> = xs
        .chunks(D)
        .map(|x| target(x) + 0.05 * rng.range(-1.0, 1.0))
        .collect();

    // Small random initial weights (scaled by 1/sqrt(fan-in)), zero biases.
    let mut params = vec![0.0; P];
    for w in &mut params[..B1] {
        *w = rng.range(-1.0, 1.0) / (D as f64).sqrt();
    }
    for w in &mut params[W2..B2] {
        *w = rng.range(-1.0, 1.0) / (H as f64).sqrt();
    }

    println!("two-layer network: {D} inputs, {H} tanh hidden units, 1 output; {P} parameters");
    println!("data: {samples} samples of y = sin(x0) + x1 x2 - 0.5 x3 + noise");

    // Gradient check: the generated VJP against central finite differences, every parameter.
    let mut grad = vec![0.0; P];
    loss_grad(&params, &mut grad, &xs, &ys);
    let fd = finite_difference_gradient(&params, &xs, &ys);
    let max_rel = grad
        .iter()
        .zip(&fd)
        .map(|(g, f)| (g - f).abs() / g.abs().max(f.abs()).max(1e-8))
        .fold(0.0_f64, f64::max);
    println!();
    println!("gradient check against central finite differences ({P} parameters):");
    println!("  max relative error = {max_rel:.2e}");
    assert!(
        max_rel < 1e-5,
        "the gradient disagrees with finite differences"
    );

    // Plain gradient descent on the whole batch.
    let rate = 0.1;
    let steps = 3000;
    let every = 300;
    println!();
    println!("gradient descent, learning rate {rate}, {steps} steps:");
    let initial = loss(&params, &xs, &ys);
    println!("  step {:>5}  loss {initial:.6}", 0);
    let mut last = initial;
    for step in 1..=steps {
        // The shadow accumulates, so it is cleared before each step.
        grad.iter_mut().for_each(|g| *g = 0.0);
        let (value, ()) = loss_vjp(&params, &mut grad, &xs, &ys, 1.0);
        for (p, g) in params.iter_mut().zip(&grad) {
            *p -= rate * g;
        }
        if step % every == 0 {
            // `value` is the loss before this step's update.
            println!("  step {step:>5}  loss {value:.6}");
            assert!(value < last, "the loss went up");
            last = value;
        }
    }
    let trained = loss(&params, &xs, &ys);
    println!("  final       loss {trained:.6}");
    assert!(
        trained < last && trained < 0.1 * initial,
        "the loss did not fall"
    );

    // A few predictions on fresh inputs.
    println!();
    println!("predictions on new inputs:");
    for _ in 0..3 {
        let x: Vec<f64> = (0..D).map(|_| rng.range(-1.0, 1.0)).collect();
        let prediction = predict(&params, &x);
        println!(
            "  x = [{:>6.3}, {:>6.3}, {:>6.3}, {:>6.3}]  network {prediction:>7.4}  true {:>7.4}",
            x[0],
            x[1],
            x[2],
            x[3],
            target(&x)
        );
    }
}

/// The network's output for one input (the forward pass of `loss`, without the error).
fn predict(p: &[f64], x: &[f64]) -> f64 {
    let mut out = p[B2];
    for j in 0..H {
        let z = p[B1 + j] + (0..D).map(|i| p[j * D + i] * x[i]).sum::<f64>();
        out += p[W2 + j] * z.tanh();
    }
    out
}
