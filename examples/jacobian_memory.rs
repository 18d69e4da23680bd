//! Exercise 4 of the seed notes: the memory (and time) of a full Jacobian versus a VJP for a
//! function f: R^1000 → R^10.
//!
//! ```text
//! y_k = Σ_i w[k, i] · sin(x_i),   k = 0..10, i = 0..1000,   w fixed
//! ```
//!
//! The full 10 × 1000 Jacobian is built two ways:
//! - reverse mode: 10 VJPs, one per unit output cotangent e_k, each giving row k (eᵀ_k J);
//! - finite differences: 1000 columns J e_i, each from two evaluations of f (central
//!   differences), which is what forward mode (one JVP per input) costs in evaluations.
//!
//! Both are timed, and the example prints the bytes each one keeps and works in, the memory
//! of one VJP (its inputs, its shadow, its output, and the heap the generated code allocates,
//! measured with a counting allocator), and the largest difference between the two Jacobians
//! (and the closed form J[k, i] = w[k, i] cos x_i).
//!
//! Run it with `cargo run --example jacobian_memory`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::mem::{size_of, size_of_val};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use vjp::differentiable;

/// Inputs.
const N: usize = 1000;
/// Outputs.
const M: usize = 10;

/// y_k = Σ_i w[k·n + i] sin(x_i), for the weights `w` (row-major, M × n).
#[differentiable]
fn features(x: &[f64], #[no_grad] w: &[f64]) -> [f64; 10] {
    let n = x.len();
    let mut y = [0.0; 10];
    for k in 0..10 {
        let mut acc = 0.0;
        for i in 0..n {
            acc += w[k * n + i] * x[i].sin();
        }
        y[k] = acc;
    }
    y
}

/// The system allocator, counting the bytes currently allocated and their peak.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result and the peak heap bytes it allocated on top of what was
/// allocated before.
fn heap_peak_of<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let result = f();
    (result, PEAK.load(Ordering::Relaxed) - base)
}

/// Bytes of `n` values of `f64`.
fn f64_bytes(n: usize) -> usize {
    n * size_of::<f64>()
}

fn main() {
    // A fixed input and fixed weights (deterministic, no dependencies).
    let x: Vec<f64> = (0..N).map(|i| (0.37 * i as f64).sin() * 2.0).collect();
    let w: Vec<f64> = (0..M * N)
        .map(|j| ((j * 7919) % 1000) as f64 / 1000.0 - 0.5)
        .collect();

    println!("f: R^{N} -> R^{M},  y_k = sum_i w[k,i] sin(x_i)");
    println!();

    // Reverse mode: one VJP per output, v = e_k gives row k of J.
    let start = Instant::now();
    let mut jac_vjp = vec![0.0; M * N];
    for k in 0..M {
        let mut v = [0.0; M];
        v[k] = 1.0;
        // The shadow is the row itself: the VJP adds eᵀ_k J into it.
        let row = &mut jac_vjp[k * N..(k + 1) * N];
        features_vjp(&x, row, &w, v);
    }
    let time_vjp = start.elapsed();

    // Finite differences: one column per input, two evaluations of f each.
    let start = Instant::now();
    let mut jac_fd = vec![0.0; M * N];
    let mut xp = x.clone();
    for i in 0..N {
        let h = 1e-6 * x[i].abs().max(1.0);
        xp[i] = x[i] + h;
        let up = features(&xp, &w);
        xp[i] = x[i] - h;
        let down = features(&xp, &w);
        xp[i] = x[i];
        for k in 0..M {
            jac_fd[k * N + i] = (up[k] - down[k]) / (2.0 * h);
        }
    }
    let time_fd = start.elapsed();

    // The memory of one VJP: what it reads, what it writes, and what it allocates.
    let mut shadow = vec![0.0; N];
    let ((y, ()), vjp_heap) = heap_peak_of(|| features_vjp(&x, &mut shadow, &w, [1.0; M]));
    let (_, f_heap) = heap_peak_of(|| features(&x, &w));

    let max_diff = jac_vjp
        .iter()
        .zip(&jac_fd)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0_f64, f64::max);
    let max_closed = (0..M * N)
        .map(|j| (jac_vjp[j] - w[j] * x[j % N].cos()).abs())
        .fold(0.0_f64, f64::max);
    let evaluations_fd = 2 * N;

    println!("full Jacobian ({M} x {N} = {} entries):", M * N);
    println!(
        "  by {M} VJPs (reverse mode):          {:>9.3} ms   result {:>7} bytes, work {:>5} bytes (v, the VJP's heap)",
        time_vjp.as_secs_f64() * 1e3,
        f64_bytes(M * N),
        f64_bytes(M) + vjp_heap,
    );
    println!(
        "  by {N} finite-difference columns:  {:>9.3} ms   result {:>7} bytes, work {:>5} bytes (x + h e_i, f(x ± h e_i))",
        time_fd.as_secs_f64() * 1e3,
        f64_bytes(M * N),
        f64_bytes(N) + 2 * f64_bytes(M),
    );
    println!("    ({evaluations_fd} evaluations of f, as forward mode would need {N} JVPs)");
    println!();
    println!("one VJP, v^T J for a single v:");
    println!("  input x                {:>7} bytes", f64_bytes(N));
    println!("  weights w (constant)   {:>7} bytes", f64_bytes(M * N));
    println!("  cotangent v            {:>7} bytes", f64_bytes(M));
    println!("  shadow (v^T J)         {:>7} bytes", f64_bytes(N));
    println!("  output y               {:>7} bytes", size_of_val(&y));
    println!(
        "  heap allocated inside  {vjp_heap:>7} bytes (peak, e.g. loop tapes; f alone: {f_heap})"
    );
    println!(
        "  the full Jacobian is {}x the shadow of one VJP",
        f64_bytes(M * N) / f64_bytes(N)
    );
    println!();
    println!("max |J_vjp - J_fd|          = {max_diff:.3e}");
    println!("max |J_vjp - w cos x|       = {max_closed:.3e}");
    assert_eq!(y, features(&x, &w));
    assert!(max_diff < 1e-6, "the two Jacobians disagree");
    assert!(max_closed < 1e-12, "the VJP Jacobian is not w cos x");
}
