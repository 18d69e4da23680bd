//! Fitting a damped oscillation y = a e^{-b t} cos(w t) to noisy samples, written the way Rust
//! code usually is: the data in a struct, the loss a method, iterator chains with closures,
//! and a smoothness penalty over windows. `#[differentiable]` turns each into its gradient.
//!
//! The example checks the gradient against central finite differences, then fits the three
//! parameters by gradient descent with a backtracking line search.

use vjp::differentiable;

/// Samples of the signal.
struct Data {
    t: Vec<f64>,
    y: Vec<f64>,
}

impl Data {
    /// The model at time `t` for parameters `p = [a, b, w]`.
    #[differentiable]
    fn model(&self, p: [f64; 3], t: f64) -> f64 {
        let [a, b, w] = p;
        a * (-b * t).exp() * (w * t).cos()
    }

    /// The mean squared residual, plus a small penalty on the curvature of the fitted curve
    /// over the sample times.
    #[differentiable]
    fn loss(&self, p: [f64; 3]) -> f64 {
        let n = self.t.len() as f64;
        let residual = |t: f64, y: f64| self.model(p, t) - y;
        let mut fitted: Vec<f64> = vec![0.0; self.t.len()];
        let mut squares = 0.0;
        for (i, (t, y)) in self.t.iter().zip(&self.y).enumerate() {
            // Typed, so that `t` can be passed to `model`'s float parameter.
            let (t, y): (f64, f64) = (*t, *y);
            fitted[i] = self.model(p, t);
            squares += residual(t, y).powi(2);
        }
        let bending: f64 = fitted
            .windows(3)
            .map(|w| (w[0] - 2.0 * w[1] + w[2]).powi(2))
            .sum();
        squares / n + 1e-4 * bending
    }
}

fn main() {
    // Samples of a = 1.5, b = 0.3, w = 2.0, with a deterministic "noise".
    let t: Vec<f64> = (0..60).map(|i| i as f64 * 0.1).collect();
    let y: Vec<f64> = t
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            1.5 * (-0.3 * t).exp() * (2.0 * t).cos() + 0.01 * ((i * 7 % 11) as f64 - 5.0) / 5.0
        })
        .collect();
    let data = Data { t, y };

    // The gradient against central finite differences at a starting point.
    let mut p = [1.0, 0.1, 1.8];
    let (g,) = data.loss_grad(p);
    for k in 0..3 {
        let h = 1e-6;
        let (mut up, mut down) = (p, p);
        up[k] += h;
        down[k] -= h;
        let fd = (data.loss(up) - data.loss(down)) / (2.0 * h);
        assert!(
            (g[k] - fd).abs() < 1e-6 * fd.abs().max(1.0),
            "dL/dp{k}: {} vs {fd}",
            g[k]
        );
    }
    println!("gradient at {p:?}: {g:?} (matches finite differences)");

    // Gradient descent with a backtracking line search.
    let mut step = 1.0;
    for iteration in 0..300 {
        let (value, (g,)) = data.loss_vjp(p, 1.0);
        let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm < 1e-8 {
            break;
        }
        loop {
            let trial = [p[0] - step * g[0], p[1] - step * g[1], p[2] - step * g[2]];
            if data.loss(trial) < value - 0.5 * step * norm * norm {
                p = trial;
                step *= 1.5;
                break;
            }
            step *= 0.5;
        }
        if iteration % 50 == 0 {
            println!("iteration {iteration:3}: loss {value:.6e}, |grad| {norm:.2e}");
        }
    }
    println!(
        "fitted a = {:.3}, b = {:.3}, w = {:.3} (data made with 1.5, 0.3, 2.0)",
        p[0], p[1], p[2]
    );
    assert!((p[0] - 1.5).abs() < 0.05 && (p[1] - 0.3).abs() < 0.05 && (p[2] - 2.0).abs() < 0.05);
}
