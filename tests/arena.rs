//! The tapes of a call as lanes of one arena (`vjp::arena`): one allocation for all the values
//! the loops of a call save when their trip counts follow from the parameters, made when the
//! function starts (none when an earlier call on the thread left a buffer as large); lanes of
//! several value types (floats of both widths, arrays, tuples, dual numbers) that give each
//! value back to its own loop; and spills (`vjp::arena::Spill`), the tapes of values whose
//! type the macro cannot name, on lanes too when the compiler finds their type is words.

#![allow(clippy::needless_range_loop)]

mod common;

#[path = "common/counting.rs"]
mod counting;

use common::{assert_near, check_f32_grad, check_hvp, fd_grad};
use counting::first_call_allocations;
use vjp::{differentiable, Real};

const K: usize = 6;
const D: usize = 4;

/// The GMM shape: a loop nest that saves the `exp` of each diagonal entry, then a fused loop
/// over the points whose component loop leaves two arrays behind per component. Two tapes, in
/// two loop nests: one allocation between them.
#[differentiable]
fn two_nests(w: &[f64], #[no_grad] xs: &[f64]) -> f64 {
    let mut diag = [0.0; K * D];
    for k in 0..K {
        for j in 0..D {
            diag[k * D + j] = w[k * D + j].exp();
        }
    }
    let mut total = 0.0;
    for p in 0..xs.len() / D {
        let mut best = 0.0;
        for k in 0..K {
            let mut z = [0.0; D];
            for j in 0..D {
                z[j] = xs[p * D + j] - w[K * D + k * D + j];
            }
            let mut q = [0.0; D];
            for j in 0..D {
                q[j] = diag[k * D + j] * z[j];
            }
            let mut sq = 0.0;
            for j in 0..D {
                sq += q[j] * q[j];
            }
            best += (-0.5 * sq).exp();
        }
        total += best.ln();
    }
    total
}

fn weights() -> Vec<f64> {
    (0..2 * K * D)
        .map(|i| 0.3 * ((i * 7 % 11) as f64 / 11.0 - 0.5))
        .collect()
}

#[test]
fn two_loop_nests_make_one_allocation() {
    let w = weights();
    for points in [1, 3, 40, 500] {
        let xs: Vec<f64> = (0..points * D)
            .map(|i| ((i % 9) as f64 - 4.0) * 0.1)
            .collect();
        let mut g = vec![0.0; w.len()];
        assert_eq!(
            first_call_allocations(|| _ = two_nests_vjp(&w, &mut g, &xs, 1.0)),
            1,
            "{points} points"
        );
        // A second call on the thread reuses the first's buffer.
        let twice = first_call_allocations(|| {
            two_nests_vjp(&w, &mut g, &xs, 1.0);
            two_nests_vjp(&w, &mut g, &xs, 1.0);
        });
        assert_eq!(twice, 1, "{points} points");
        let mut g = vec![0.0; w.len()];
        let y = two_nests_vjp(&w, &mut g, &xs, 1.0).0;
        assert_eq!(y.to_bits(), two_nests(&w, &xs).to_bits());
        assert_near(&g, &fd_grad(|w| two_nests(w, &xs), &w), 1e-5);
    }
}

/// Lanes of both float widths in one arena: an `f32` slot saved by one loop, an `f64` array
/// by the next, each read back at its own width.
#[differentiable]
fn two_widths(a: f32, b: f64, n: usize) -> f64 {
    let mut x = a;
    for i in 0..n {
        x = (x * 0.9 + 0.01 * i as f32).sin();
    }
    let mut v = [b, 0.5 * b];
    for _ in 0..n {
        v = [(v[0] * v[1]).cos(), v[0] + 0.1 * v[1]];
    }
    x as f64 * v[0] + v[1]
}

#[test]
fn lanes_of_both_widths_give_their_values_back() {
    for n in [0, 1, 7, 100] {
        let (a, b) = (0.7_f32, 0.4_f64);
        let (y, (ga, gb)) = two_widths_vjp(a, b, n, 1.0);
        assert_eq!(y.to_bits(), two_widths(a, b, n).to_bits());
        let h = 1e-6;
        let fd_b = (two_widths(a, b + h, n) - two_widths(a, b - h, n)) / (2.0 * h);
        assert!(
            (gb - fd_b).abs() <= 1e-6 * (1.0 + fd_b.abs()),
            "{n}: {gb} {fd_b}"
        );
        let ha = 1e-2_f32;
        let fd_a = (two_widths(a + ha, b, n) - two_widths(a - ha, b, n)) / (2.0 * ha as f64);
        assert!(
            (ga as f64 - fd_a).abs() <= 1e-2 * (1.0 + fd_a.abs()),
            "{n}: {ga} {fd_a}"
        );
        // None when the loops do not run: the room made at the start is then empty.
        let once = usize::from(n > 0);
        assert_eq!(
            first_call_allocations(|| _ = two_widths_vjp(a, b, n, 1.0)),
            once,
            "{n}"
        );
    }
}

/// A generic function with two saving loops, run on `f32`, `f64` and, through `vjp::hvp`, on
/// dual numbers (whose lanes hold a value and a tangent per float).
#[differentiable]
fn generic_two_loops<T: Real>(x: &[T]) -> T {
    let mut s = T::from_f64(0.5);
    for i in 0..x.len() {
        s = (s * x[i]).sin() + x[i];
    }
    let mut t = s;
    for i in 0..x.len() {
        t = (t * T::from_f64(0.3)).tanh() * x[x.len() - 1 - i];
    }
    s * t
}

#[test]
fn generic_lanes_hold_each_scalar_type() {
    let x = [0.3, -0.8, 1.1, 0.45, -0.2];
    let mut g = [0.0; 5];
    generic_two_loops_grad(&x, &mut g);
    assert_near(&g, &fd_grad(generic_two_loops, &x), 1e-6);

    check_f32_grad(generic_two_loops_grad, &x, &g);

    // H u by forward-over-reverse against differences of the gradient along u.
    let u = [1.0, 0.5, -0.25, 0.0, 2.0];
    check_hvp(generic_two_loops_grad, generic_two_loops_grad, &x, &u);
}

/// Ranges read through `let`s at the top of the function (`let n = x.len();`): their room is
/// known when the function starts, so the two loops' tapes share the arena.
#[differentiable]
fn through_lets(x: &[f64]) -> f64 {
    let n = x.len();
    let half: usize = n / 2;
    let mut s = 0.5;
    for i in 0..half {
        s = (s * x[i]).sin() + x[n - 1 - i];
    }
    let mut t = s;
    for i in half..n {
        t = (t + x[i]).cos() * s;
    }
    s * t
}

#[test]
fn ranges_through_lets_share_the_arena() {
    for len in [0, 1, 2, 7, 200] {
        let x: Vec<f64> = (0..len)
            .map(|i| ((i * 5 % 13) as f64 - 6.0) * 0.1)
            .collect();
        let mut g = vec![0.0; len];
        let y = through_lets_vjp(&x, &mut g, 1.0).0;
        assert_eq!(y.to_bits(), through_lets(&x).to_bits());
        assert_near(&g, &fd_grad(through_lets, &x), 1e-6);
        let first = first_call_allocations(|| _ = through_lets_vjp(&x, &mut g, 1.0));
        assert_eq!(first, usize::from(len > 0), "{len}");
    }
}

/// An element written in a branch of a loop whose reverse reads the array: its undo log holds
/// an `Option` per iteration (the old element when the branch ran), a lane like the next
/// loop's tape.
#[differentiable]
fn written_in_a_branch(x: &[f64], n: usize) -> f64 {
    let mut h = [0.0; 4];
    let mut s = 0.0;
    for i in 0..n {
        let j = i % 4;
        if x[j] > 0.0 {
            h[j] = (h[j] + x[j]).sin();
        }
        s += h[j] * h[(j + 1) % 4];
    }
    let mut t = s;
    for i in 0..n {
        t = (t * x[i % 4]).cos();
    }
    t
}

#[test]
fn undo_logs_of_branches_are_lanes() {
    let x = [0.4, -0.3, 0.9, 0.2];
    for n in [0, 1, 5, 60] {
        let mut g = [0.0; 4];
        let y = written_in_a_branch_vjp(&x, &mut g, n, 1.0).0;
        assert_eq!(y.to_bits(), written_in_a_branch(&x, n).to_bits());
        assert_near(&g, &fd_grad(|x| written_in_a_branch(x, n), &x), 1e-6);
        let first = first_call_allocations(|| _ = written_in_a_branch_vjp(&x, &mut g, n, 1.0));
        assert_eq!(first, usize::from(n > 0), "{n}");
        let twice = first_call_allocations(|| {
            written_in_a_branch_vjp(&x, &mut g, n, 1.0);
            written_in_a_branch_vjp(&x, &mut g, n, 1.0);
        });
        assert_eq!(twice, first, "{n}");
    }
}

/// Two loops that save values: an arena of its own.
#[differentiable]
fn inner_two(x: &[f64], s: f64) -> f64 {
    let mut a = s;
    for i in 0..x.len() {
        a = (a * x[i]).sin() + 0.1;
    }
    let mut b = a;
    for i in 0..x.len() {
        b = (b + x[i]).cos() * a;
    }
    b
}

/// A function with an arena calling `inner_two` (another arena) in a loop: the thread keeps a
/// buffer for each, so after the first call neither allocates.
#[differentiable]
fn outer_calls(x: &[f64]) -> f64 {
    let mut t = 0.5;
    for i in 0..x.len() {
        t = (t * x[i]).sin() + 0.2;
    }
    let mut u = t;
    for _ in 0..3 {
        u = inner_two(x, u).tanh() + t;
    }
    u
}

#[test]
fn nested_arenas_each_keep_a_buffer() {
    let x: Vec<f64> = (0..50)
        .map(|i| ((i * 7 % 11) as f64 - 5.0) * 0.05)
        .collect();
    let mut g = vec![0.0; x.len()];
    let y = outer_calls_vjp(&x, &mut g, 1.0).0;
    assert_eq!(y.to_bits(), outer_calls(&x).to_bits());
    assert_near(&g, &fd_grad(outer_calls, &x), 1e-6);
    let first = first_call_allocations(|| _ = outer_calls_vjp(&x, &mut g, 1.0));
    let twice = first_call_allocations(|| {
        outer_calls_vjp(&x, &mut g, 1.0);
        outer_calls_vjp(&x, &mut g, 1.0);
    });
    // A buffer for each arena, on the first call only.
    assert_eq!(first, 2);
    assert_eq!(twice, first);
}

/// A plain function returning an integer: the macro does not see its type.
fn bucket(i: usize, n: usize) -> usize {
    (i * 7 + 3) % n
}

/// A loop that saves an integer from a call (`k`, read by the reverse as an index) and writes
/// elements of a `Vec` (`h`, undone by the reverse): the macro names neither type, so both tapes
/// are spills (`vjp::arena::Spill`), which the compiler puts on lanes of the arena beside the
/// loop's float tape, as they are words.
#[differentiable]
fn by_buckets(x: &[f64], #[no_grad] n: usize) -> f64 {
    let mut h = x.to_vec();
    let mut s = 0.0;
    let mut k = 0;
    for i in 0..n {
        k = bucket(i + k, h.len());
        h[k] = (h[k] * x[i % x.len()]).sin() + 0.1;
        s = (s + h[k] * h[(k + 1) % h.len()]).cos();
    }
    s
}

#[test]
fn integers_from_calls_and_vec_elements_are_spilled_onto_lanes() {
    let x: Vec<f64> = (0..9).map(|i| ((i * 4 % 9) as f64 - 4.0) * 0.2).collect();
    // What a call allocates that saves nothing: the copies of `h` (a `Vec`, not a tape).
    let mut g = vec![0.0; x.len()];
    let copies = first_call_allocations(|| _ = by_buckets_vjp(&x, &mut g, 0, 1.0));
    for n in [0, 1, 5, 40, 400] {
        g.fill(0.0);
        let y = by_buckets_vjp(&x, &mut g, n, 1.0).0;
        assert_eq!(y.to_bits(), by_buckets(&x, n).to_bits());
        assert_near(&g, &fd_grad(|x| by_buckets(x, n), &x), 1e-6);
        let first = first_call_allocations(|| _ = by_buckets_vjp(&x, &mut g, n, 1.0));
        let twice = first_call_allocations(|| {
            by_buckets_vjp(&x, &mut g, n, 1.0);
            by_buckets_vjp(&x, &mut g, n, 1.0);
        });
        // The arena: one buffer on a thread's first call, with a word per field of the
        // spills' values (an index; an index and an old element) besides the lane's, where
        // their first pushes find their room; nothing after.
        assert_eq!(first, copies + usize::from(n > 0), "{n}");
        assert_eq!(twice - first, copies, "{n}");
    }
}

/// `by_buckets` for any `Real`: on dual numbers (`vjp::hvp`) the spilled `Vec` elements are
/// duals, words too.
#[differentiable]
fn by_buckets_generic<T: Real>(x: &[T]) -> T {
    let mut h = x.to_vec();
    let mut s = T::from_f64(0.0);
    let mut k = 0;
    for i in 0..2 * x.len() {
        k = bucket(i + k, h.len());
        h[k] = (h[k] * x[i % x.len()]).sin() + T::from_f64(0.1);
        s = (s + h[k] * h[(k + 1) % h.len()]).cos();
    }
    s
}

#[test]
fn spills_hold_each_scalar_type() {
    let x = [0.3, -0.8, 1.1, 0.45, -0.2];
    let mut g = [0.0; 5];
    by_buckets_generic_grad(&x, &mut g);
    assert_near(&g, &fd_grad(by_buckets_generic, &x), 1e-6);

    check_f32_grad(by_buckets_generic_grad, &x, &g);

    let u = [0.5, -1.0, 0.25, 1.5, 0.0];
    check_hvp(by_buckets_generic_grad, by_buckets_generic_grad, &x, &u);
}

/// A user's type saved by a loop: a spill puts it on a lane when it implements
/// `vjp::arena::Word`, and into a `Vec` of its own otherwise.
#[derive(Clone, Copy)]
struct Cell {
    at: usize,
    w: f64,
}

/// The same fields, without `Word`.
#[derive(Clone, Copy)]
struct PlainCell {
    at: usize,
    w: f64,
}

impl vjp::arena::Word for Cell {
    const WORDS: usize = 2;
    fn put(self, out: &mut [u64]) {
        self.at.put(&mut out[..1]);
        self.w.put(&mut out[1..]);
    }
    fn take(words: &[u64]) -> Self {
        Cell {
            at: usize::take(&words[..1]),
            w: f64::take(&words[1..]),
        }
    }
}

/// A cell carried through a loop: its index picks the element read, its weight scales;
/// `$name` with cells of type `$cell`.
macro_rules! carried_cells {
    ($name:ident, $cell:ident) => {
        #[differentiable]
        fn $name(x: &[f64], #[no_grad] n: usize) -> f64 {
            let mut s = 0.5;
            let mut c = $cell { at: 0, w: 1.0 };
            for i in 0..n {
                c = $cell {
                    at: bucket(i + c.at, x.len()),
                    w: 0.5 + 0.1 * (i % 3) as f64,
                };
                s = (s * x[c.at]).sin() * c.w;
            }
            let mut t = s;
            for i in 0..n {
                t = (t * x[i % x.len()]).cos() + c.w;
            }
            t
        }
    };
}

carried_cells!(cells, Cell);
carried_cells!(plain_cells, PlainCell);

/// `cells` and `cells_vjp`, by pointer.
type Primal = fn(&[f64], usize) -> f64;
type Vjp = fn(&[f64], &mut [f64], usize, f64) -> (f64, ());

#[test]
fn user_types_go_on_a_lane_when_they_are_words() {
    use vjp::arena::Word as _;
    let x: Vec<f64> = (0..7).map(|i| ((i * 3 % 7) as f64 - 3.0) * 0.25).collect();
    let mut g = vec![0.0; x.len()];
    for n in [0, 1, 6, 50] {
        let pairs: [(Primal, Vjp); 2] = [(cells, cells_vjp), (plain_cells, plain_cells_vjp)];
        for (f, vjp) in pairs {
            g.fill(0.0);
            let y = vjp(&x, &mut g, n, 1.0).0;
            assert_eq!(y.to_bits(), f(&x, n).to_bits());
            assert_near(&g, &fd_grad(|x| f(x, n), &x), 1e-6);
        }
        // Later calls on a thread: `Cell`s in the arena's buffer, `PlainCell`s in a `Vec`
        // allocated by each call that saves one.
        let later = |vjp: Vjp| {
            let mut g = vec![0.0; x.len()];
            let first = first_call_allocations(|| _ = vjp(&x, &mut g, n, 1.0));
            let twice = first_call_allocations(|| {
                vjp(&x, &mut g, n, 1.0);
                vjp(&x, &mut g, n, 1.0);
            });
            twice - first
        };
        assert_eq!(later(cells_vjp), 0, "{n}");
        assert_eq!(later(plain_cells_vjp), usize::from(n > 0), "{n}");
    }
    // The words of a `Cell` give it back.
    let mut words = [0; 2];
    Cell { at: 3, w: -0.5 }.put(&mut words);
    let back = Cell::take(&words);
    assert_eq!((back.at, back.w), (3, -0.5));
}
