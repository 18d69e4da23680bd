//! Rows of arrays: a layer `Σ_i tanh(Σ_j w[i][j] x[j])` whose 32 × 64 weights are rows
//! `&[[f64; 64]]`, read as `w[i][j]`, and a local `[[f64; 64]; 8]` written as `h[i][j] = ..`.
//! Not among the performance issue's problems: they check that an element read or written
//! through a row costs what a flat one costs (`vjp` on the same function with flat indices,
//! `w[i * 64 + j]`), and what a hand-written gradient costs.

// Index loops on purpose: the point is `w[i][j]` against `w[i * 64 + j]`. `as_chunks_mut`
// (Rust 1.88) views the bench's flat gradient buffer as rows; the bench needs 1.93 for its
// peer crates anyway.
#![allow(clippy::needless_range_loop, clippy::incompatible_msrv)]

use vjp::differentiable;

use crate::{Problem, Rng};

const ROWS: usize = 32;
const COLS: usize = 64;

/// The weights, as rows and flattened, and the input.
pub struct Data {
    w: Vec<[f64; COLS]>,
    flat: Vec<f64>,
    x: Vec<f64>,
}

#[differentiable]
fn layer(w: &[[f64; COLS]], #[no_grad] x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..w.len() {
        let mut a = 0.0;
        for j in 0..COLS {
            a += w[i][j] * x[j];
        }
        s += a.tanh();
    }
    s
}

#[differentiable]
fn layer_flat(w: &[f64], #[no_grad] x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..w.len() / COLS {
        let mut a = 0.0;
        for j in 0..COLS {
            a += w[i * COLS + j] * x[j];
        }
        s += a.tanh();
    }
    s
}

/// By hand: d/dw[i][j] = (1 - tanh²(a_i)) x[j].
fn layer_hand(w: &[[f64; COLS]], x: &[f64], g: &mut [[f64; COLS]]) {
    for i in 0..w.len() {
        let mut a = 0.0;
        for j in 0..COLS {
            a += w[i][j] * x[j];
        }
        let t = a.tanh();
        let da = 1.0 - t * t;
        for j in 0..COLS {
            g[i][j] = da * x[j];
        }
    }
}

/// The three gradients of a problem over rows of weights: `vjp`'s, a hand-written one (both
/// into rows of the gradient buffer), and `vjp`'s of the same function with flat indices.
struct Gradients {
    rows: fn(&[Row], &mut [Row], &[f64]),
    hand: fn(&[Row], &[f64], &mut [Row]),
    flat: fn(&[f64], &mut [f64], &[f64]),
}

/// One row of weights.
type Row = [f64; COLS];

/// A problem over `count` rows of weights drawn uniformly from [-spread, spread], and an input
/// drawn from [-1, 1].
fn rows_problem(
    name: &'static str,
    about: String,
    (seed, count, spread): (u64, usize, f64),
    primal: fn(&Data) -> f64,
    flat_name: &str,
    gradients: Gradients,
) -> Problem<Data> {
    let mut rng = Rng::new(seed);
    let flat = rng.vec(count * COLS, |r| r.uniform(-spread, spread));
    let w = flat
        .chunks_exact(COLS)
        .map(|row| std::array::from_fn(|j| row[j]))
        .collect();
    let x = rng.vec(COLS, |r| r.uniform(-1.0, 1.0));
    let Gradients {
        rows,
        hand,
        flat: by_flat,
    } = gradients;
    Problem {
        name,
        about,
        data: Data { w, flat, x },
        n: count * COLS,
        primal,
        tools: Vec::new(),
    }
    .tool("vjp", move |d, g| {
        g.fill(0.0);
        rows(&d.w, g.as_chunks_mut::<COLS>().0, &d.x);
    })
    .tool("hand-written", move |d, g| {
        hand(&d.w, &d.x, g.as_chunks_mut::<COLS>().0)
    })
    .tool(flat_name, move |d, g| {
        g.fill(0.0);
        by_flat(&d.flat, g, &d.x);
    })
}

pub fn problem(_quick: bool) -> Problem<Data> {
    rows_problem(
        "rows",
        format!("rows of arrays, tanh layer over w: &[[f64; {COLS}]] ({ROWS} rows)"),
        (6, ROWS, 0.2),
        |d| layer(&d.w, &d.x),
        "vjp, weights flattened (w[i * 64 + j])",
        Gradients {
            rows: |w, g, x| {
                layer_grad(w, g, x);
            },
            hand: layer_hand,
            flat: |w, g, x| {
                layer_flat_grad(w, g, x);
            },
        },
    )
}

/// Element writes through rows: a local `[[f64; 64]; 8]` filled as `h[i][j] = ..`, then read.
#[differentiable]
fn written(w: &[[f64; COLS]], #[no_grad] x: &[f64]) -> f64 {
    let mut h = [[0.0; COLS]; 8];
    for i in 0..8 {
        for j in 0..COLS {
            h[i][j] = (w[i][j] * x[j]).sin();
        }
    }
    let mut s = 0.0;
    for i in 0..8 {
        for j in 0..COLS {
            s += h[i][j] * h[i][(j + 1) % COLS];
        }
    }
    s
}

#[differentiable]
fn written_flat(w: &[f64], #[no_grad] x: &[f64]) -> f64 {
    let mut h = [0.0; 8 * COLS];
    for i in 0..8 {
        for j in 0..COLS {
            h[i * COLS + j] = (w[i * COLS + j] * x[j]).sin();
        }
    }
    let mut s = 0.0;
    for i in 0..8 {
        for j in 0..COLS {
            s += h[i * COLS + j] * h[i * COLS + (j + 1) % COLS];
        }
    }
    s
}

/// By hand: with h = sin(w x), d/dh[i][j] = h[i][j+1] + h[i][j-1] (cyclically), times
/// cos(w x) x for w.
fn written_hand(w: &[[f64; COLS]], x: &[f64], g: &mut [[f64; COLS]]) {
    for i in 0..8 {
        let mut h = [0.0; COLS];
        for j in 0..COLS {
            h[j] = (w[i][j] * x[j]).sin();
        }
        for j in 0..COLS {
            let dh = h[(j + 1) % COLS] + h[(j + COLS - 1) % COLS];
            g[i][j] = dh * (w[i][j] * x[j]).cos() * x[j];
        }
    }
}

pub fn writes_problem(_quick: bool) -> Problem<Data> {
    rows_problem(
        "rows_written",
        format!(
            "rows of arrays written: h[i][j] = sin(w[i][j] x[j]) in a local [[f64; {COLS}]; 8]"
        ),
        (7, 8, 1.0),
        |d| written(&d.w, &d.x),
        "vjp, flattened (h[i * 64 + j])",
        Gradients {
            rows: |w, g, x| {
                written_grad(w, g, x);
            },
            hand: written_hand,
            flat: |w, g, x| {
                written_flat_grad(w, g, x);
            },
        },
    )
}
