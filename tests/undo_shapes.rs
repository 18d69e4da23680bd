//! Adversarial shapes for the undo logs (`vjp-macro/src/undo.rs`), from a review of them (125
//! functions, 104 of which take the undo path; the others are the fallbacks and helpers): each
//! is checked against central finite differences (`NAME_vjp`), against `NAME_grad`, and
//! `NAME_jvp` against `NAME_vjp` by the dot-product test.
#![allow(clippy::needless_range_loop)]
#![allow(unused_mut, unused_assignments, clippy::all)]

mod common;

use common::{assert_near, fd_grad};
use vjp::{differentiable, Real};

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| p * q).sum()
}

fn tangent(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.3 + 0.17 * i as f64 * if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect()
}

#[track_caller]
fn check(
    name: &str,
    f: impl Fn(&[f64]) -> f64,
    vjp: impl Fn(&[f64], &mut [f64], f64) -> f64,
    grad: impl Fn(&[f64], &mut [f64]),
    jvp: impl Fn(&[f64], &[f64]) -> (f64, f64),
    x: &[f64],
) {
    let y = f(x);
    let mut g = vec![0.0; x.len()];
    let yv = vjp(x, &mut g, 1.0);
    assert_eq!(yv.to_bits(), y.to_bits(), "{name}: primal of vjp");
    let want = fd_grad(&f, x);
    println!("{name}: got {g:?}\n{name}: fd  {want:?}");
    assert_near(&g, &want, 1e-5);
    let mut g2 = vec![0.0; x.len()];
    grad(x, &mut g2);
    assert_near(&g2, &g, 1e-9);
    let mut g3 = vec![0.0; x.len()];
    vjp(x, &mut g3, -1.7);
    let u = tangent(x.len());
    let (yj, ju) = jvp(x, &u);
    assert_eq!(yj.to_bits(), y.to_bits(), "{name}: primal of jvp");
    let lhs = -1.7 * ju;
    let rhs = dot(&g3, &u);
    assert!(
        (lhs - rhs).abs() <= 1e-9 * lhs.abs().max(1.0),
        "{name}: dot product {lhs} vs {rhs}"
    );
}

macro_rules! chk {
    ($f:path, $v:path, $g:path, $j:path, $x:expr) => {
        check(
            stringify!($f),
            |p| $f(p),
            |p, g, v| $v(p, g, v).0,
            |p, g| {
                $g(p, g);
            },
            |p, u| $j(p, u),
            $x,
        )
    };
}

const X7: [f64; 7] = [0.3, -0.5, 0.8, 1.1, 0.2, -0.4, 0.6];
const X8: [f64; 8] = [0.9, 1.1, -0.7, 1.3, 0.8, -1.2, 0.95, 1.05];

// ---------------------------------------------------------------------------------------------
// Several writes per iteration, reads between them and after.
// ---------------------------------------------------------------------------------------------

#[differentiable]
fn three_writes(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.5; n + 3];
    let mut s = 0.0;
    for i in 0..n {
        a[i + 1] = a[i] * x[i] + 0.1;
        s += a[i + 1] * a[i];
        a[i + 2] = (a[i + 1] - a[i]).sin();
        s += a[i + 2] * a[i + 1] * a[i];
        a[i + 3] = a[i + 2] * a[i + 2] + a[i];
        s += a[i + 3];
    }
    s + a[n] * a[n + 2]
}

#[differentiable]
fn same_index_twice(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.7; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = a[i] * x[i] + a[(i + 1) % n];
        let t = a[i] * a[i];
        a[i] = t.sin() + a[i];
        s += a[i] * t;
    }
    s
}

#[differentiable]
fn same_index_thrice_no_reads(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.7; n];
    for i in 0..n {
        a[i] *= x[i];
        a[i] += 0.3;
        a[i] = a[i].sin();
    }
    a.iter().map(|v| v * v).sum::<f64>()
}

#[differentiable]
fn compound_ops(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    for i in 1..n {
        a[i] += a[i - 1] * 0.5;
        a[i] *= a[i - 1];
        a[i - 1] -= a[i] * 0.25;
        a[i - 1] /= 1.5 + a[i] * a[i];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += a[i] * (i as f64 + 1.0);
    }
    s
}

#[differentiable]
fn read_first_then_write(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![1.0; n];
    let mut s = 0.0;
    for i in 0..n {
        let p = a[(i + n - 1) % n];
        let q = a[(i + 2) % n];
        a[i] = p * x[i] + q * 0.5;
        s += (p * q).cos();
    }
    s + a[0] * a[n - 1]
}

// ---------------------------------------------------------------------------------------------
// Arrays, arrays of arrays, Vec<Vec<f64>>, rows.
// ---------------------------------------------------------------------------------------------

#[differentiable]
fn fixed_array(x: &[f64; 6]) -> f64 {
    let mut a = [0.0; 6];
    a[0] = x[0];
    let mut s = 0.0;
    for i in 1..6 {
        a[i] = a[i - 1] * x[i] + a[0];
        s += a[i] * a[i - 1];
    }
    s
}

#[differentiable]
fn matrix_writes(x: &[f64; 4]) -> f64 {
    let mut m = [[0.5; 4]; 4];
    let mut s = 0.0;
    for i in 1..4 {
        for j in 0..4 {
            m[i][j] = m[i - 1][j] * x[j] + m[i - 1][(j + 1) % 4] * 0.3;
            s += m[i][j] * m[i - 1][j];
        }
    }
    s + m[3][0]
}

#[differentiable]
fn matrix_row_temp(x: &[f64; 4]) -> f64 {
    let mut m = [[0.5; 4]; 4];
    let mut s = 0.0;
    for i in 1..4 {
        let r = m[i - 1];
        for j in 0..4 {
            m[i][j] = r[j] * x[j] + r[(j + 3) % 4];
        }
        s += m[i][1] * r[2];
    }
    s + m[3][3]
}

#[differentiable]
fn row_read_after_write(x: &[f64; 4]) -> f64 {
    let mut m = [[0.5; 4]; 3];
    let mut s = 0.0;
    for k in 0..4 {
        let i = k % 3;
        let r = m[i];
        m[i][k % 4] = r[k % 4] * x[k] + 0.2;
        s += r[(k + 1) % 4] * m[i][k % 4] + r[k % 4];
    }
    s
}

#[differentiable]
fn whole_row_write(x: &[f64; 4]) -> f64 {
    let mut m = [[0.5; 4]; 4];
    let mut s = 0.0;
    for i in 1..4 {
        let mut r = m[i - 1];
        r[i] = r[i] * x[i] + x[0];
        m[i] = r;
        s += m[i][i] * m[i - 1][i];
    }
    s + m[3][1]
}

#[differentiable]
fn vec_of_vec(x: &[f64]) -> f64 {
    let n = x.len();
    let mut m = vec![vec![0.5; n]; 3];
    let mut s = 0.0;
    for i in 1..3 {
        for j in 0..n {
            m[i][j] = m[i - 1][j] * x[j] + m[i][(j + n - 1) % n] * 0.2;
            s += m[i][j] * m[i - 1][j];
        }
    }
    s
}

#[differentiable]
fn vec_of_vec_rows(x: &[f64]) -> f64 {
    let n = x.len();
    let mut m = vec![vec![0.5; n]; 4];
    let mut s = 0.0;
    for i in 1..4 {
        for j in 1..n {
            m[i][j] = (m[i - 1][j] + m[i][j - 1]) * x[j];
        }
        s += m[i][n - 1] * m[i - 1][0];
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Indices computed in the body.
// ---------------------------------------------------------------------------------------------

#[differentiable]
fn index_modular(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.6; n];
    let mut s = 0.0;
    for i in 0..2 * n {
        let k = (i * 3) % n;
        let m = (i * 5 + 1) % n;
        a[k] = a[m] * x[i % n] + a[k] * 0.5;
        s += a[k] * a[m];
    }
    s
}

#[differentiable]
fn index_from_int_slot(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.6; n];
    let mut k = 0;
    let mut s = 0.0;
    for i in 0..n {
        a[k] = a[k] * x[i] + a[(k + 1) % n];
        s += a[k] * x[i];
        k = (k + 2) % n;
    }
    s + a[0]
}

#[differentiable]
fn index_slot_updated_before(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.6; n];
    let mut k = 1;
    let mut s = 0.0;
    for i in 0..n {
        k = (k + 3) % n;
        a[k] = a[k] * x[i] + a[(k + 1) % n];
        s += a[k] * x[i];
    }
    s + a[0]
}

#[differentiable]
fn index_from_float(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.6; n];
    let mut s = 0.0;
    for i in 0..n {
        let k = ((x[i].abs() * 3.3) as usize) % n;
        a[k] = a[k] * x[i] + a[i];
        s += a[k] * a[i];
    }
    s
}

#[differentiable]
fn index_from_aggregate(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.6; n];
    let mut s = 0.0;
    for i in 0..n {
        let k = if a[i] > 0.0 { (i + 1) % n } else { (i + 2) % n };
        a[k] = a[i] * x[i] + a[k];
        s += a[k];
    }
    s
}

#[differentiable]
fn index_outside(x: &[f64], #[no_grad] k: usize) -> f64 {
    let n = x.len();
    let mut a = vec![0.6; n];
    let mut s = 0.0;
    for i in 0..n {
        a[k] = a[k] * x[i] + 0.1;
        s += a[k] * a[(k + i) % n];
        a[(k + i) % n] = a[k].sin();
    }
    s
}

#[differentiable]
fn index_is_counter_slot(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.6; n + 1];
    let mut i = 0;
    let mut s = 0.0;
    for _ in 0..n {
        a[i + 1] = a[i] * x[i] + 0.2;
        s += a[i + 1] * a[i];
        i += 1;
    }
    s
}

#[differentiable]
fn index_reversed_range(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.6; n + 1];
    let mut s = 0.0;
    for i in (0..n).rev() {
        a[i] = a[i + 1] * x[i] + 0.2;
        s += a[i] * a[i + 1];
    }
    s
}

#[differentiable]
fn index_step_by(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.6; n + 2];
    let mut s = 0.0;
    for i in (0..n).step_by(2) {
        a[i + 2] = a[i] * x[i] + a[i + 1];
        a[i + 1] = a[i + 2] * x[i + 1];
        s += a[i + 1] * a[i + 2];
    }
    s
}

// ---------------------------------------------------------------------------------------------
// The aggregate lent, copied, passed, read in branches and closures.
// ---------------------------------------------------------------------------------------------

#[differentiable]
fn sumsq(v: &[f64]) -> f64 {
    v.iter().map(|e| e * e).sum()
}

#[differentiable]
fn sumsq4(v: [f64; 4]) -> f64 {
    v[0] * v[0] + v[1] * v[2] + v[3]
}

#[differentiable]
fn lent_before_after(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        s += sumsq(&a) * 0.1;
        a[i] = a[(i + n - 1) % n] + x[i];
        s += sumsq(&a) * x[i];
    }
    s
}

#[differentiable]
fn lent_between_writes(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = a[(i + n - 1) % n] + x[i];
        s += sumsq(&a) * x[i];
        a[(i + 1) % n] = a[i] * 0.5;
    }
    s + sumsq(&a)
}

#[differentiable]
fn by_value_array(x: &[f64; 4]) -> f64 {
    let mut a = [0.3; 4];
    let mut s = 0.0;
    for i in 0..4 {
        a[i] = a[(i + 3) % 4] * x[i] + 0.4;
        s += sumsq4(a);
    }
    s
}

#[differentiable]
fn copied_before_write(x: &[f64; 4]) -> f64 {
    let mut a = [0.3; 4];
    let mut s = 0.0;
    for i in 0..4 {
        let b = a;
        a[i] = a[(i + 3) % 4] * x[i] + 0.4;
        s += b[(i + 1) % 4] * a[i] + b[i];
    }
    s
}

#[differentiable]
fn copied_after_write(x: &[f64; 4]) -> f64 {
    let mut a = [0.3; 4];
    let mut s = 0.0;
    for i in 0..4 {
        a[i] = a[(i + 3) % 4] * x[i] + 0.4;
        let b = a;
        a[(i + 1) % 4] = b[i] * 0.5;
        s += b[(i + 1) % 4] * a[i] + b[i] * a[(i + 1) % 4];
    }
    s
}

#[differentiable]
fn branch_on_element(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = a[(i + n - 1) % n] * 1.1 + x[i];
        if a[i] > 0.5 {
            s += a[i] * a[(i + 1) % n];
        } else {
            s -= a[i].sin();
        }
    }
    s
}

#[differentiable]
fn branch_before_write(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        let t = if a[i] > 0.25 {
            a[i] * x[i]
        } else {
            a[i] + x[i]
        };
        a[i] = t * a[(i + 1) % n];
        s += t;
    }
    s + a[0]
}

#[differentiable]
fn written_in_branch(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = a[(i + n - 1) % n] + x[i];
        if x[i] > 0.0 {
            a[(i + 1) % n] = a[i] * x[i];
        }
        s += a[i] * a[(i + 1) % n];
    }
    s
}

#[differentiable]
fn match_on_index(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        let w = match i % 3 {
            0 => a[i] * 2.0,
            1 => a[(i + 1) % n] - 0.5,
            _ => x[i],
        };
        a[i] = w * x[i] + a[i];
        s += a[i] * w;
    }
    s
}

#[differentiable]
fn closure_reads(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = a[(i + n - 1) % n] * x[i] + 0.2;
        let c: f64 = a.iter().map(|v| v * 0.5).sum();
        s += c * x[i];
    }
    s
}

#[differentiable]
fn iter_sum_before(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        let c: f64 = a.iter().sum();
        a[i] = a[(i + n - 1) % n] * x[i] + c * 0.1;
        s += a[i] * c;
    }
    s
}

#[differentiable]
fn iter_zip_after(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = a[(i + n - 1) % n] * x[i] + 0.2;
        let c: f64 = a.iter().zip(x.iter()).map(|(p, q)| p * q).sum();
        s += c;
    }
    s
}

// ---------------------------------------------------------------------------------------------
// while and loop.
// ---------------------------------------------------------------------------------------------

#[differentiable]
fn while_plain(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.4; n + 1];
    let mut i = 0;
    while i < n {
        a[i + 1] = a[i] * x[i] + 0.3;
        i += 1;
    }
    a.iter().map(|v| v * v).sum::<f64>()
}

#[differentiable]
fn while_test_reads(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.4; n + 1];
    let mut i = 0;
    while i < n && a[i] < 100.0 {
        a[i + 1] = a[i] * x[i] + 0.3;
        i += 1;
    }
    a[n] + a[n / 2]
}

#[differentiable]
fn while_float_test(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.4; n];
    let mut t = 0.0;
    let mut s = 0.0;
    let mut i = 0;
    while t < 3.05 {
        a[i % n] = a[(i + 1) % n] * x[i % n] + 0.1;
        s += a[i % n] * a[(i + 2) % n];
        t += 0.5;
        i += 1;
    }
    s
}

#[differentiable]
fn loop_break_end(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.4; n + 1];
    let mut i = 0;
    loop {
        a[i + 1] = a[i] * x[i] + 0.3;
        i += 1;
        if i >= n {
            break;
        }
    }
    a[n] * a[1]
}

#[differentiable]
fn loop_break_start(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.4; n + 1];
    let mut i = 0;
    loop {
        if i >= n {
            break;
        }
        a[i + 1] = a[i] * x[i] + 0.3;
        i += 1;
    }
    a[n] * a[1]
}

#[differentiable]
fn continue_in_branch(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.4; n + 1];
    let mut s = 0.0;
    for i in 0..n {
        a[i + 1] = a[i] * x[i] + 0.3;
        if i % 2 == 0 {
            continue;
        }
        a[i] = a[i + 1] * 0.5;
        s += a[i];
    }
    s + a[n]
}

#[differentiable]
fn zero_trips(x: &[f64], #[no_grad] m: usize) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    for i in 0..m {
        a[i] = a[i] * a[(i + 1) % n];
    }
    a.iter().map(|v| v * v).sum::<f64>()
}

// ---------------------------------------------------------------------------------------------
// Nested loops.
// ---------------------------------------------------------------------------------------------

#[differentiable]
fn outer_writes_inner_reads(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.2; n];
    let mut s = 0.0;
    for i in 0..n {
        let mut acc = 0.0;
        for j in 0..n {
            acc += a[j] * x[j];
        }
        a[i] = (acc + x[i]).tanh();
        s += a[i];
    }
    s
}

#[differentiable]
fn both_write(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.2; n];
    let mut s = 0.0;
    for r in 0..3 {
        a[r % n] = a[(r + 1) % n] * x[r % n];
        for j in 0..n {
            a[j] = a[j] * 0.9 + a[(j + 1) % n] * 0.1;
        }
        s += a[0] * a[n - 1];
    }
    s
}

#[differentiable]
fn inner_writes_then_outer(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.2; n];
    let mut s = 0.0;
    for r in 0..3 {
        for j in 0..n {
            a[j] = a[j] * x[j] + a[(j + r) % n] * 0.1;
        }
        a[r] = a[r] * a[n - 1];
        s += a[r];
    }
    s
}

#[differentiable]
fn two_aggregates(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.2; n + 1];
    let mut b = vec![0.7; n + 1];
    let mut s = 0.0;
    for i in 0..n {
        a[i + 1] = a[i] * b[i] + x[i];
        b[i + 1] = b[i] - a[i + 1] * 0.3;
        s += a[i + 1] * b[i + 1];
    }
    s
}

#[differentiable]
fn two_aggregates_swapped(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.2; n + 1];
    let mut b = vec![0.7; n + 1];
    let mut s = 0.0;
    for i in 0..n {
        b[i + 1] = b[i] - a[i] * 0.3;
        a[i + 1] = a[i] * b[i + 1] + x[i];
        a[i] = b[i] * a[i + 1];
        s += a[i] * b[i];
    }
    s
}

#[differentiable]
fn inactive_aggregate(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![1.0; n + 1];
    let mut s = 0.0;
    for i in 0..n {
        c[i + 1] = c[i] * 0.7 + 0.3;
        s += x[i] * c[i + 1] * c[i];
        c[i] = c[i + 1] * 2.0;
        s += x[i] * x[i] * c[i];
    }
    s
}

#[differentiable]
fn inactive_index_from_slot(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![1.0; n];
    let mut k = 0;
    let mut s = 0.0;
    for i in 0..n {
        c[k] = c[k] * 0.7 + 0.3 * (i as f64);
        s += x[i] * c[k] * c[(k + 1) % n];
        k = (k + 3) % n;
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Output is the aggregate.
// ---------------------------------------------------------------------------------------------

#[differentiable]
fn returns_array_used(x: &[f64]) -> f64 {
    let a = array_out(x);
    let b = array_out_copied(x);
    a[0] * 0.3 + a[2] * a[3] + b[1] * b[3]
}

#[differentiable]
fn array_out(x: &[f64]) -> [f64; 4] {
    let mut a = [0.2; 4];
    for i in 0..4 {
        a[i] = a[(i + 3) % 4] * x[i] + 0.5;
        a[(i + 1) % 4] *= a[i];
    }
    a
}

#[differentiable]
fn array_out_copied(x: &[f64]) -> [f64; 4] {
    let mut a = [0.2; 4];
    for i in 0..4 {
        a[i] = a[(i + 3) % 4] * x[i] + 0.5;
    }
    let b = a;
    b
}

#[differentiable]
fn vec_read_after_moved(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.2; n];
    for i in 1..n {
        a[i] = a[i - 1] * x[i] + x[i - 1];
    }
    let b = a;
    sumsq(&b) + b[n - 1]
}

#[test]
fn batch1() {
    let x = &X7[..];
    chk!(
        three_writes,
        three_writes_vjp,
        three_writes_grad,
        three_writes_jvp,
        x
    );
    chk!(
        same_index_twice,
        same_index_twice_vjp,
        same_index_twice_grad,
        same_index_twice_jvp,
        x
    );
    chk!(
        same_index_thrice_no_reads,
        same_index_thrice_no_reads_vjp,
        same_index_thrice_no_reads_grad,
        same_index_thrice_no_reads_jvp,
        x
    );
    chk!(
        compound_ops,
        compound_ops_vjp,
        compound_ops_grad,
        compound_ops_jvp,
        x
    );
    chk!(
        read_first_then_write,
        read_first_then_write_vjp,
        read_first_then_write_grad,
        read_first_then_write_jvp,
        x
    );
    check(
        "fixed_array",
        |p| fixed_array(p.try_into().unwrap()),
        |p, g, v| fixed_array_vjp(p.try_into().unwrap(), g.try_into().unwrap(), v).0,
        |p, g| fixed_array_grad(p.try_into().unwrap(), g.try_into().unwrap()),
        |p, u| fixed_array_jvp(p.try_into().unwrap(), u.try_into().unwrap()),
        &X7[..6],
    );
    macro_rules! chk4 {
        ($f:ident, $v:ident, $g:ident, $j:ident) => {
            check(
                stringify!($f),
                |p| $f(p.try_into().unwrap()),
                |p, g, v| $v(p.try_into().unwrap(), g.try_into().unwrap(), v).0,
                |p, g| {
                    $g(p.try_into().unwrap(), g.try_into().unwrap());
                },
                |p, u| $j(p.try_into().unwrap(), u.try_into().unwrap()),
                &[0.9, 1.1, -0.8, 0.7],
            )
        };
    }
    chk4!(
        matrix_writes,
        matrix_writes_vjp,
        matrix_writes_grad,
        matrix_writes_jvp
    );
    chk4!(
        matrix_row_temp,
        matrix_row_temp_vjp,
        matrix_row_temp_grad,
        matrix_row_temp_jvp
    );
    chk4!(
        row_read_after_write,
        row_read_after_write_vjp,
        row_read_after_write_grad,
        row_read_after_write_jvp
    );
    chk4!(
        whole_row_write,
        whole_row_write_vjp,
        whole_row_write_grad,
        whole_row_write_jvp
    );
    chk4!(
        by_value_array,
        by_value_array_vjp,
        by_value_array_grad,
        by_value_array_jvp
    );
    chk4!(
        copied_before_write,
        copied_before_write_vjp,
        copied_before_write_grad,
        copied_before_write_jvp
    );
    chk4!(
        copied_after_write,
        copied_after_write_vjp,
        copied_after_write_grad,
        copied_after_write_jvp
    );
    chk!(
        vec_of_vec,
        vec_of_vec_vjp,
        vec_of_vec_grad,
        vec_of_vec_jvp,
        x
    );
    chk!(
        vec_of_vec_rows,
        vec_of_vec_rows_vjp,
        vec_of_vec_rows_grad,
        vec_of_vec_rows_jvp,
        x
    );
    chk!(
        index_modular,
        index_modular_vjp,
        index_modular_grad,
        index_modular_jvp,
        x
    );
    chk!(
        index_from_int_slot,
        index_from_int_slot_vjp,
        index_from_int_slot_grad,
        index_from_int_slot_jvp,
        x
    );
    chk!(
        index_slot_updated_before,
        index_slot_updated_before_vjp,
        index_slot_updated_before_grad,
        index_slot_updated_before_jvp,
        x
    );
    chk!(
        index_from_float,
        index_from_float_vjp,
        index_from_float_grad,
        index_from_float_jvp,
        x
    );
    chk!(
        index_from_aggregate,
        index_from_aggregate_vjp,
        index_from_aggregate_grad,
        index_from_aggregate_jvp,
        x
    );
    for k in [0, 3] {
        check(
            "index_outside",
            |p| index_outside(p, k),
            |p, g, v| index_outside_vjp(p, g, k, v).0,
            |p, g| {
                index_outside_grad(p, g, k);
            },
            |p, u| index_outside_jvp(p, u, k),
            x,
        );
    }
    chk!(
        index_is_counter_slot,
        index_is_counter_slot_vjp,
        index_is_counter_slot_grad,
        index_is_counter_slot_jvp,
        x
    );
    chk!(
        index_reversed_range,
        index_reversed_range_vjp,
        index_reversed_range_grad,
        index_reversed_range_jvp,
        x
    );
    chk!(
        index_step_by,
        index_step_by_vjp,
        index_step_by_grad,
        index_step_by_jvp,
        &X8[..]
    );
    chk!(
        lent_before_after,
        lent_before_after_vjp,
        lent_before_after_grad,
        lent_before_after_jvp,
        x
    );
    chk!(
        lent_between_writes,
        lent_between_writes_vjp,
        lent_between_writes_grad,
        lent_between_writes_jvp,
        x
    );
    chk!(
        branch_on_element,
        branch_on_element_vjp,
        branch_on_element_grad,
        branch_on_element_jvp,
        x
    );
    chk!(
        branch_before_write,
        branch_before_write_vjp,
        branch_before_write_grad,
        branch_before_write_jvp,
        x
    );
    chk!(
        written_in_branch,
        written_in_branch_vjp,
        written_in_branch_grad,
        written_in_branch_jvp,
        x
    );
    chk!(
        match_on_index,
        match_on_index_vjp,
        match_on_index_grad,
        match_on_index_jvp,
        x
    );
    chk!(
        closure_reads,
        closure_reads_vjp,
        closure_reads_grad,
        closure_reads_jvp,
        x
    );
    chk!(
        iter_sum_before,
        iter_sum_before_vjp,
        iter_sum_before_grad,
        iter_sum_before_jvp,
        x
    );
    chk!(
        iter_zip_after,
        iter_zip_after_vjp,
        iter_zip_after_grad,
        iter_zip_after_jvp,
        x
    );
    chk!(
        while_plain,
        while_plain_vjp,
        while_plain_grad,
        while_plain_jvp,
        x
    );
    chk!(
        while_test_reads,
        while_test_reads_vjp,
        while_test_reads_grad,
        while_test_reads_jvp,
        x
    );
    chk!(
        while_float_test,
        while_float_test_vjp,
        while_float_test_grad,
        while_float_test_jvp,
        x
    );
    chk!(
        loop_break_end,
        loop_break_end_vjp,
        loop_break_end_grad,
        loop_break_end_jvp,
        x
    );
    chk!(
        loop_break_start,
        loop_break_start_vjp,
        loop_break_start_grad,
        loop_break_start_jvp,
        x
    );
    chk!(
        continue_in_branch,
        continue_in_branch_vjp,
        continue_in_branch_grad,
        continue_in_branch_jvp,
        x
    );
    for m in [0, 3] {
        check(
            "zero_trips",
            |p| zero_trips(p, m),
            |p, g, v| zero_trips_vjp(p, g, m, v).0,
            |p, g| {
                zero_trips_grad(p, g, m);
            },
            |p, u| zero_trips_jvp(p, u, m),
            x,
        );
    }
    chk!(
        outer_writes_inner_reads,
        outer_writes_inner_reads_vjp,
        outer_writes_inner_reads_grad,
        outer_writes_inner_reads_jvp,
        x
    );
    chk!(
        both_write,
        both_write_vjp,
        both_write_grad,
        both_write_jvp,
        x
    );
    chk!(
        inner_writes_then_outer,
        inner_writes_then_outer_vjp,
        inner_writes_then_outer_grad,
        inner_writes_then_outer_jvp,
        x
    );
    chk!(
        two_aggregates,
        two_aggregates_vjp,
        two_aggregates_grad,
        two_aggregates_jvp,
        x
    );
    chk!(
        two_aggregates_swapped,
        two_aggregates_swapped_vjp,
        two_aggregates_swapped_grad,
        two_aggregates_swapped_jvp,
        x
    );
    chk!(
        inactive_aggregate,
        inactive_aggregate_vjp,
        inactive_aggregate_grad,
        inactive_aggregate_jvp,
        x
    );
    chk!(
        inactive_index_from_slot,
        inactive_index_from_slot_vjp,
        inactive_index_from_slot_grad,
        inactive_index_from_slot_jvp,
        x
    );
    chk!(
        returns_array_used,
        returns_array_used_vjp,
        returns_array_used_grad,
        returns_array_used_jvp,
        &X7[..4]
    );
    chk!(
        vec_read_after_moved,
        vec_read_after_moved_vjp,
        vec_read_after_moved_grad,
        vec_read_after_moved_jvp,
        x
    );
}

// =============================================================================================
// Batch 2
// =============================================================================================

/// A fused outer loop (its only active slot accumulates) around an inner loop with an undo log
/// on an aggregate declared in the outer body.
#[differentiable]
fn fused_outer_inner_undo(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for r in 0..3 {
        let mut c = vec![0.0; n];
        c[0] = x[r];
        for j in 1..n {
            c[j] = c[j - 1] * x[j] + 0.5;
        }
        s += c[n - 1] * c[1];
    }
    s
}

#[differentiable]
fn fused_outer_inner_undo_array(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for r in 0..3 {
        let mut c = [x[r]; 4];
        for j in 1..4 {
            c[j] = c[j - 1] * x[j] + c[j] * 0.5;
        }
        s += c[3] * c[1];
    }
    s
}

#[differentiable]
fn sequential_loops_vec(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    for i in 1..n {
        a[i] = a[i - 1] * x[i] + 0.2;
    }
    let mid = a[n / 2];
    for i in (0..n - 1).rev() {
        a[i] = a[i + 1] * x[i] - a[i] * 0.5;
    }
    a[0] * mid + a[n - 1]
}

#[differentiable]
fn sequential_loops_array(x: &[f64; 4]) -> f64 {
    let mut a = [0.3; 4];
    for i in 1..4 {
        a[i] = a[i - 1] * x[i] + 0.2;
    }
    let b = a;
    for i in 0..4 {
        a[i] = a[(i + 1) % 4] * x[i] - a[i] * 0.5;
    }
    a[0] * b[3] + a[3] * b[1]
}

#[differentiable]
fn inner_loop_after_write(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.2; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = (a[(i + n - 1) % n] + x[i]).sin();
        let mut acc = 0.0;
        for j in 0..n {
            acc += a[j] * x[j];
        }
        s += acc * acc;
    }
    s
}

#[differentiable]
fn inner_loop_between_writes(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.2; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = (a[(i + n - 1) % n] + x[i]).sin();
        let mut acc = 0.0;
        for j in 0..n {
            acc += a[j] * a[(j + i) % n];
        }
        a[(i + 1) % n] = acc * 0.3 + a[i];
        s += acc * a[(i + 1) % n];
    }
    s
}

#[differentiable]
fn inner_range_reads_version(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![1.2; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = a[(i + n - 1) % n] * 0.9 + x[i] * 0.1 + 1.0;
        let m = ((a[i] * 2.0) as usize).min(n);
        for j in 0..m {
            s += a[j] * x[j];
        }
    }
    s
}

#[differentiable]
fn inner_range_direct(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![1.2; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = a[(i + n - 1) % n] * 0.9 + x[i] * 0.1 + 1.0;
        for j in 0..((a[i] * 2.0) as usize).min(n) {
            s += a[j] * x[j];
        }
    }
    s
}

#[differentiable]
fn row_modified_read(x: &[f64]) -> f64 {
    let mut m = [[0.5; 3]; 3];
    let mut s = 0.0;
    for i in 0..3 {
        let mut r = m[(i + 2) % 3];
        r[i] = r[i] * x[i] + 0.1;
        s += r[i] * r[(i + 1) % 3];
        m[i] = r;
        s += m[i][0];
    }
    s + m[0][0] * m[2][1]
}

#[differentiable]
fn row_same_modified_read(x: &[f64]) -> f64 {
    let mut m = [[0.5; 3]; 3];
    let mut s = 0.0;
    for i in 0..3 {
        let mut r = m[i];
        r[(i + 1) % 3] = r[i] * x[i] + 0.1;
        s += r[i] * r[(i + 1) % 3] + m[i][(i + 1) % 3];
        m[i] = r;
        s += m[i][(i + 1) % 3] * m[(i + 1) % 3][i];
    }
    s + m[0][0] * m[2][1]
}

#[differentiable]
fn row_temp_one_elem(x: &[f64]) -> f64 {
    let mut m = [[0.5; 3]; 3];
    let mut s = 0.0;
    for i in 0..3 {
        let mut r = m[i];
        r[(i + 1) % 3] = r[i] * x[i] + 0.1;
        m[i] = r;
        s += m[i][(i + 1) % 3] * m[(i + 1) % 3][i];
    }
    s + m[0][0] * m[2][1]
}

#[differentiable]
fn copy_then_write_copy(x: &[f64; 4]) -> f64 {
    let mut a = [0.3; 4];
    let mut s = 0.0;
    for i in 0..4 {
        let mut b = a;
        b[i] = 5.0 * x[i];
        a[(i + 1) % 4] = b[i] * a[i] + b[(i + 1) % 4];
        s += a[(i + 1) % 4] * b[(i + 2) % 4];
    }
    s
}

#[differentiable]
fn enumerate_loop(x: &[f64], #[no_grad] w: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n + 1];
    let mut s = 0.0;
    for (i, &wi) in w.iter().enumerate() {
        a[i + 1] = a[i] * wi + x[i];
        s += a[i + 1] * a[i];
    }
    s
}

#[differentiable]
fn iterate_no_grad_slice(x: &[f64], #[no_grad] w: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n + 1];
    let mut k = 0;
    let mut s = 0.0;
    for &wi in w {
        a[k + 1] = a[k] * wi + x[k];
        s += a[k + 1] * a[k];
        k += 1;
    }
    s
}

#[differentiable]
fn rewound_slot_index(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut k = 0;
    let mut s = 0.0;
    for i in 0..n {
        a[k] = a[(k + n - 1) % n] * x[i] + 0.4;
        s += a[k] * a[k];
        k += 1;
    }
    s
}

#[differentiable]
fn rewound_slot_index_from_top(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut k = n - 1;
    let mut s = 0.0;
    for i in 0..n {
        a[k] = a[(k + 1) % n] * x[i] + 0.4;
        s += a[k] * a[(k + 2) % n];
        k -= 1;
        if k == 0 {
            k = n - 1;
        }
    }
    s
}

#[differentiable]
fn argmax_index(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    let mut s = 0.0;
    for r in 0..3 {
        let mut k = 0;
        let mut best = -1e9;
        for j in 0..n {
            if a[j] > best {
                best = a[j];
                k = j;
            }
        }
        a[k] = a[k] * 0.5 - 0.3 * (r as f64);
        s += a[k] * a[(k + 1) % n];
    }
    s
}

#[differentiable]
fn generic_chain<T: Real>(x: &[T]) -> T {
    let n = x.len();
    let mut a = vec![T::from_f64(0.4); n + 1];
    let mut s = T::zero();
    for i in 0..n {
        a[i + 1] = a[i] * x[i] + T::from_f64(0.2);
        s += a[i + 1] * a[i];
        a[i] = a[i + 1].sin();
    }
    s + a[n]
}

#[differentiable]
fn generic_matrix<T: Real>(x: &[T]) -> T {
    let n = x.len();
    let mut m = vec![vec![T::from_f64(0.5); n]; 3];
    let mut s = T::zero();
    for i in 1..3 {
        for j in 0..n {
            m[i][j] = m[i - 1][j] * x[j] + m[i][(j + n - 1) % n] * T::from_f64(0.2);
            s += m[i][j] * m[i - 1][j];
        }
    }
    s
}

#[differentiable]
fn f32_chain(x: &[f32]) -> f32 {
    let n = x.len();
    let mut a = vec![0.4f32; n + 1];
    let mut s = 0.0f32;
    for i in 0..n {
        a[i + 1] = a[i] * x[i] + 0.2;
        s += a[i + 1] * a[i];
    }
    s
}

#[differentiable]
fn inner_block_write(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        {
            let t = a[(i + 1) % n] * x[i];
            a[i] = t + 0.1;
        }
        s += a[i] * a[(i + 1) % n];
    }
    s
}

#[differentiable]
fn early_return(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = a[(i + n - 1) % n] * x[i] + 0.1;
        s += a[i] * a[i];
        if s > 1e6 {
            return s;
        }
    }
    s + a[0]
}

#[differentiable]
fn outer_and_inner_undo(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.2; n];
    let mut s = 0.0;
    for i in 0..n {
        let mut c = vec![0.1; n];
        for j in 1..n {
            c[j] = c[j - 1] * a[j] + x[j];
        }
        a[i] = (c[n - 1] * 0.3 + a[i]).tanh();
        s += a[i] * c[i];
    }
    s
}

#[differentiable]
fn outer_undo_inner_undo_reads_outer(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.2; n];
    let mut c = vec![0.1; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = (a[(i + n - 1) % n] * 0.3 + x[i]).tanh();
        for j in 1..n {
            c[j] = c[j - 1] * a[j] + x[j] * 0.1;
        }
        s += a[i] * c[i];
    }
    s
}

#[differentiable]
fn loop_in_if(x: &[f64], #[no_grad] flag: bool) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    if flag {
        for i in 1..n {
            a[i] = a[i - 1] * x[i] + 0.1;
            s += a[i] * a[i - 1];
        }
    } else {
        s = x[0];
    }
    s + a[n - 1]
}

#[differentiable]
fn tuple_of_arrays(x: &[f64]) -> f64 {
    let mut t = ([0.3; 4], [0.6; 4]);
    let mut s = 0.0;
    for i in 1..4 {
        t.0[i] = t.0[i - 1] * x[i] + t.1[i];
        t.1[i - 1] = t.0[i] * 0.5;
        s += t.0[i] * t.1[i - 1];
    }
    s
}

#[differentiable]
fn array_of_tuples(x: &[f64]) -> f64 {
    let mut a = [(0.3, 0.6); 4];
    let mut s = 0.0;
    for i in 1..4 {
        a[i].0 = a[i - 1].1 * x[i] + a[i].0;
        a[i].1 = a[i].0 * a[i - 1].0;
        s += a[i].0 * a[i].1;
    }
    s
}

#[differentiable]
fn vec_of_arrays(x: &[f64]) -> f64 {
    let n = x.len();
    let mut v = vec![[0.3; 3]; n];
    let mut s = 0.0;
    for i in 1..n {
        for k in 0..3 {
            v[i][k] = v[i - 1][(k + 1) % 3] * x[i] + v[i][k];
        }
        s += v[i][0] * v[i - 1][2];
    }
    s
}

#[differentiable]
fn three_d(x: &[f64]) -> f64 {
    let mut m = [[[0.4; 2]; 2]; 3];
    let mut s = 0.0;
    for i in 1..3 {
        for j in 0..2 {
            for k in 0..2 {
                m[i][j][k] = m[i - 1][k][j] * x[i + j + k] + 0.1;
            }
        }
        s += m[i][1][0] * m[i][0][1];
    }
    s
}

#[differentiable]
fn identity_write(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    let mut s = 0.0;
    for i in 0..n {
        a[i] = a[i];
        a[(i + 1) % n] = a[i] * a[(i + 1) % n];
        s += a[(i + 1) % n];
    }
    s
}

fn plain_scale(k: usize) -> f64 {
    0.5 + 0.1 * k as f64
}

#[differentiable]
fn plain_call_value(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        let c = plain_scale(i);
        a[i] = a[(i + n - 1) % n] * c + x[i];
        s += a[i] * c * a[(i + 1) % n];
    }
    s
}

#[differentiable]
fn const_index_writes(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        a[0] = a[0] * 0.9 + x[i];
        a[n - 1] = a[0] * a[n - 1] + 0.1;
        s += a[n - 1] * a[0];
    }
    s
}

#[test]
fn batch2() {
    let x = &X7[..];
    chk!(
        fused_outer_inner_undo,
        fused_outer_inner_undo_vjp,
        fused_outer_inner_undo_grad,
        fused_outer_inner_undo_jvp,
        x
    );
    chk!(
        fused_outer_inner_undo_array,
        fused_outer_inner_undo_array_vjp,
        fused_outer_inner_undo_array_grad,
        fused_outer_inner_undo_array_jvp,
        x
    );
    chk!(
        sequential_loops_vec,
        sequential_loops_vec_vjp,
        sequential_loops_vec_grad,
        sequential_loops_vec_jvp,
        x
    );
    check(
        "sequential_loops_array",
        |p| sequential_loops_array(p.try_into().unwrap()),
        |p, g, v| sequential_loops_array_vjp(p.try_into().unwrap(), g.try_into().unwrap(), v).0,
        |p, g| {
            sequential_loops_array_grad(p.try_into().unwrap(), g.try_into().unwrap());
        },
        |p, u| sequential_loops_array_jvp(p.try_into().unwrap(), u.try_into().unwrap()),
        &X7[..4],
    );
    check(
        "copy_then_write_copy",
        |p| copy_then_write_copy(p.try_into().unwrap()),
        |p, g, v| copy_then_write_copy_vjp(p.try_into().unwrap(), g.try_into().unwrap(), v).0,
        |p, g| {
            copy_then_write_copy_grad(p.try_into().unwrap(), g.try_into().unwrap());
        },
        |p, u| copy_then_write_copy_jvp(p.try_into().unwrap(), u.try_into().unwrap()),
        &X7[..4],
    );
    chk!(
        inner_loop_after_write,
        inner_loop_after_write_vjp,
        inner_loop_after_write_grad,
        inner_loop_after_write_jvp,
        x
    );
    chk!(
        inner_loop_between_writes,
        inner_loop_between_writes_vjp,
        inner_loop_between_writes_grad,
        inner_loop_between_writes_jvp,
        x
    );
    chk!(
        inner_range_reads_version,
        inner_range_reads_version_vjp,
        inner_range_reads_version_grad,
        inner_range_reads_version_jvp,
        x
    );
    chk!(
        inner_range_direct,
        inner_range_direct_vjp,
        inner_range_direct_grad,
        inner_range_direct_jvp,
        x
    );
    chk!(
        row_modified_read,
        row_modified_read_vjp,
        row_modified_read_grad,
        row_modified_read_jvp,
        x
    );
    chk!(
        row_same_modified_read,
        row_same_modified_read_vjp,
        row_same_modified_read_grad,
        row_same_modified_read_jvp,
        x
    );
    chk!(
        row_temp_one_elem,
        row_temp_one_elem_vjp,
        row_temp_one_elem_grad,
        row_temp_one_elem_jvp,
        x
    );
    let w = [0.7, -0.9, 1.2, 0.4, -0.6, 0.8, 1.1];
    check(
        "enumerate_loop",
        |p| enumerate_loop(p, &w),
        |p, g, v| enumerate_loop_vjp(p, g, &w, v).0,
        |p, g| {
            enumerate_loop_grad(p, g, &w);
        },
        |p, u| enumerate_loop_jvp(p, u, &w),
        x,
    );
    check(
        "iterate_no_grad_slice",
        |p| iterate_no_grad_slice(p, &w),
        |p, g, v| iterate_no_grad_slice_vjp(p, g, &w, v).0,
        |p, g| {
            iterate_no_grad_slice_grad(p, g, &w);
        },
        |p, u| iterate_no_grad_slice_jvp(p, u, &w),
        x,
    );
    chk!(
        rewound_slot_index,
        rewound_slot_index_vjp,
        rewound_slot_index_grad,
        rewound_slot_index_jvp,
        x
    );
    chk!(
        rewound_slot_index_from_top,
        rewound_slot_index_from_top_vjp,
        rewound_slot_index_from_top_grad,
        rewound_slot_index_from_top_jvp,
        x
    );
    chk!(
        argmax_index,
        argmax_index_vjp,
        argmax_index_grad,
        argmax_index_jvp,
        x
    );
    chk!(
        generic_chain::<f64>,
        generic_chain_vjp::<f64>,
        generic_chain_grad::<f64>,
        generic_chain_jvp::<f64>,
        x
    );
    chk!(
        generic_matrix::<f64>,
        generic_matrix_vjp::<f64>,
        generic_matrix_grad::<f64>,
        generic_matrix_jvp::<f64>,
        x
    );
    // f32 and the generic at f32: against the f64 gradient.
    {
        let x32: Vec<f32> = x.iter().map(|v| *v as f32).collect();
        let mut g32 = vec![0.0f32; 7];
        f32_chain_vjp(&x32, &mut g32, 1.0);
        let mut g64 = vec![0.0; 7];
        let xr: Vec<f64> = x32.iter().map(|v| *v as f64).collect();
        let want = fd_grad(
            |p| {
                let n = p.len();
                let mut a = vec![0.4; n + 1];
                let mut s = 0.0;
                for i in 0..n {
                    a[i + 1] = a[i] * p[i] + 0.2;
                    s += a[i + 1] * a[i];
                }
                s
            },
            &xr,
        );
        let got: Vec<f64> = g32.iter().map(|v| *v as f64).collect();
        assert_near(&got, &want, 1e-3);
        let mut gg = vec![0.0f32; 7];
        generic_chain_vjp::<f32>(&x32, &mut gg, 1.0);
        generic_chain_vjp::<f64>(&xr, &mut g64, 1.0);
        let got: Vec<f64> = gg.iter().map(|v| *v as f64).collect();
        assert_near(&got, &g64, 1e-3);
    }
    chk!(
        inner_block_write,
        inner_block_write_vjp,
        inner_block_write_grad,
        inner_block_write_jvp,
        x
    );
    chk!(
        early_return,
        early_return_vjp,
        early_return_grad,
        early_return_jvp,
        x
    );
    chk!(
        outer_and_inner_undo,
        outer_and_inner_undo_vjp,
        outer_and_inner_undo_grad,
        outer_and_inner_undo_jvp,
        x
    );
    chk!(
        outer_undo_inner_undo_reads_outer,
        outer_undo_inner_undo_reads_outer_vjp,
        outer_undo_inner_undo_reads_outer_grad,
        outer_undo_inner_undo_reads_outer_jvp,
        x
    );
    for flag in [true, false] {
        check(
            "loop_in_if",
            |p| loop_in_if(p, flag),
            |p, g, v| loop_in_if_vjp(p, g, flag, v).0,
            |p, g| {
                loop_in_if_grad(p, g, flag);
            },
            |p, u| loop_in_if_jvp(p, u, flag),
            x,
        );
    }
    chk!(
        tuple_of_arrays,
        tuple_of_arrays_vjp,
        tuple_of_arrays_grad,
        tuple_of_arrays_jvp,
        x
    );
    chk!(
        array_of_tuples,
        array_of_tuples_vjp,
        array_of_tuples_grad,
        array_of_tuples_jvp,
        x
    );
    chk!(
        vec_of_arrays,
        vec_of_arrays_vjp,
        vec_of_arrays_grad,
        vec_of_arrays_jvp,
        x
    );
    chk!(three_d, three_d_vjp, three_d_grad, three_d_jvp, x);
    chk!(
        identity_write,
        identity_write_vjp,
        identity_write_grad,
        identity_write_jvp,
        x
    );
    chk!(
        plain_call_value,
        plain_call_value_vjp,
        plain_call_value_grad,
        plain_call_value_jvp,
        x
    );
    chk!(
        const_index_writes,
        const_index_writes_vjp,
        const_index_writes_grad,
        const_index_writes_jvp,
        x
    );
}

// =============================================================================================
// Batch 3: fused loops (6d2b3c3)
// =============================================================================================

#[differentiable]
fn fused_inactive_vec(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![1.0; n + 1];
    let mut s = 0.0;
    for i in 0..n {
        c[i + 1] = c[i] * 0.7 + 0.3;
        s += x[i] * c[i + 1] * c[i];
    }
    s
}

#[differentiable]
fn fused_inactive_read_write_read(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![1.0; n];
    let mut s = 0.0;
    for i in 0..n {
        let p = c[(i + 1) % n];
        c[i] = p * 0.5 + 1.0;
        s += x[i] * p * c[i];
        c[(i + 1) % n] = c[i] * 0.3;
        s += (x[i] * c[(i + 1) % n]).sin();
    }
    s
}

#[differentiable]
fn fused_inactive_sum(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![1.0; n];
    let mut s = 0.0;
    for i in 0..n {
        c[i] = c[(i + n - 1) % n] * 0.5 + 0.25;
        let t: f64 = c.iter().sum();
        s += t * x[i];
    }
    s
}

#[differentiable]
fn fused_inactive_inner_loop(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![1.0; n];
    let mut s = 0.0;
    for i in 0..n {
        let mut t = 0.0;
        for j in 0..n {
            t += c[j] * (j as f64);
        }
        c[i] = t * 0.1 + 0.2;
        s += (x[i] * t).sin() + x[i] * c[i];
    }
    s
}

#[differentiable]
fn fused_scalar_slot(x: &[f64]) -> f64 {
    let n = x.len();
    let mut k = 1.0;
    let mut s = 0.0;
    for i in 0..n {
        s += x[i] * k;
        k = k * 1.1 + 0.05;
        s += (x[i] * k).cos();
    }
    s
}

#[differentiable]
fn fused_array_slot(x: &[f64]) -> f64 {
    let mut c = [1.0; 8];
    let mut s = 0.0;
    for i in 0..x.len() {
        let r = c;
        c[i] = r[(i + 1) % 8] * 0.5 + 0.1;
        s += x[i] * r[i] * c[i];
    }
    s
}

#[differentiable]
fn fused_then_move(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    let c = vec![0.5; n];
    let mut s = 0.0;
    for i in 0..n {
        s += x[i] * c[i];
    }
    let mut d = c;
    d[0] = y[0] * 2.0;
    let r = d[0] * d[1] * y[1];
    s + r
}

#[differentiable]
fn fused_then_move_slot(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![0.5; n];
    let mut s = 0.0;
    for i in 0..n {
        c[i] = c[(i + n - 1) % n] * 0.5 + 0.1;
        s += x[i] * c[i];
    }
    let mut d = c;
    d[0] = y[0] * 2.0;
    let r = d[0] * d[1] * y[1];
    s + r
}

#[test]
fn batch3() {
    let x = &X7[..];
    chk!(
        fused_inactive_vec,
        fused_inactive_vec_vjp,
        fused_inactive_vec_grad,
        fused_inactive_vec_jvp,
        x
    );
    chk!(
        fused_inactive_read_write_read,
        fused_inactive_read_write_read_vjp,
        fused_inactive_read_write_read_grad,
        fused_inactive_read_write_read_jvp,
        x
    );
    chk!(
        fused_inactive_sum,
        fused_inactive_sum_vjp,
        fused_inactive_sum_grad,
        fused_inactive_sum_jvp,
        x
    );
    chk!(
        fused_inactive_inner_loop,
        fused_inactive_inner_loop_vjp,
        fused_inactive_inner_loop_grad,
        fused_inactive_inner_loop_jvp,
        x
    );
    chk!(
        fused_scalar_slot,
        fused_scalar_slot_vjp,
        fused_scalar_slot_grad,
        fused_scalar_slot_jvp,
        x
    );
    chk!(
        fused_array_slot,
        fused_array_slot_vjp,
        fused_array_slot_grad,
        fused_array_slot_jvp,
        x
    );
    let y = [0.6, -0.9];
    check(
        "fused_then_move (x)",
        |p| fused_then_move(p, &y),
        |p, g, v| fused_then_move_vjp(p, g, &y, &mut [0.0; 2], v).0,
        |p, g| {
            fused_then_move_grad(p, g, &y, &mut [0.0; 2]);
        },
        |p, u| fused_then_move_jvp(p, u, &y, &[0.0; 2]),
        x,
    );
    check(
        "fused_then_move (y)",
        |p| fused_then_move(x, p),
        |p, g, v| fused_then_move_vjp(x, &mut [0.0; 7], p, g, v).0,
        |p, g| {
            fused_then_move_grad(x, &mut [0.0; 7], p, g);
        },
        |p, u| fused_then_move_jvp(x, &[0.0; 7], p, u),
        &y,
    );
    check(
        "fused_then_move_slot (x)",
        |p| fused_then_move_slot(p, &y),
        |p, g, v| fused_then_move_slot_vjp(p, g, &y, &mut [0.0; 2], v).0,
        |p, g| {
            fused_then_move_slot_grad(p, g, &y, &mut [0.0; 2]);
        },
        |p, u| fused_then_move_slot_jvp(p, u, &y, &[0.0; 2]),
        x,
    );
}

// =============================================================================================
// Batch 4
// =============================================================================================

#[differentiable]
fn whole_assign_mid_body(x: &[f64]) -> f64 {
    let mut a = [0.3; 4];
    let mut b = [0.0; 4];
    let mut s = 0.0;
    for i in 0..4 {
        a[i] = a[(i + 3) % 4] * x[i] + 0.2;
        b = a;
        a[(i + 1) % 4] = a[i] * 0.5 + b[(i + 2) % 4];
        s += b[i] * a[(i + 1) % 4];
    }
    s + b[0] * a[0]
}

#[differentiable]
fn vec_clone_between(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = a[(i + n - 1) % n] * x[i] + 0.2;
        let b = a.clone();
        a[(i + 1) % n] = a[i] * 0.5;
        s += b[(i + 1) % n] * a[(i + 1) % n] + b[i];
    }
    s
}

#[differentiable]
fn len_and_fold(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        let m = a.iter().copied().fold(0.0, |p: f64, q| p.max(q));
        let k = a.len() - 1 - i;
        a[k] = a[(k + 1) % n] * x[i] + m * 0.1;
        s += a[k] * a[k];
    }
    s
}

#[differentiable]
fn pairs_loop(x: &[f64], #[no_grad] pairs: &[(usize, usize)]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    let mut s = 0.0;
    for &(i, j) in pairs {
        a[i] = a[j] * a[i] + 0.1;
        a[j] = a[i] - a[j] * 0.5;
        s += a[i] * a[j];
    }
    s + a[n - 1]
}

#[differentiable]
fn inclusive_range(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n + 1];
    for i in 1..=n {
        a[i] = a[i - 1] * x[i - 1] + a[i];
    }
    a[n] * a[n / 2]
}

#[differentiable]
fn three_level(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for r in 0..2 {
        for q in 0..2 {
            for j in 0..n {
                a[j] = a[(j + 1) % n] * x[j] + a[j] * 0.2 + (r + q) as f64 * 0.1;
            }
            s += a[q] * a[n - 1];
        }
    }
    s
}

#[differentiable]
fn index_from_no_grad(x: &[f64], #[no_grad] idx: &[usize]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..idx.len() {
        a[idx[i]] = a[(idx[i] + 1) % n] * x[i % n] + a[idx[i]];
        s += a[idx[i]] * x[idx[i]];
    }
    s
}

#[differentiable]
fn outer_counter_index(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            a[i] = a[i] * 0.5 + a[(i + 1) % n] * x[j] * 0.3;
        }
        s += a[i] * x[i];
    }
    s
}

#[differentiable]
fn outer_slot_index(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut k = 0;
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..3 {
            a[k] = a[k] * 0.5 + a[(k + j + 1) % n] * x[i];
        }
        s += a[k] * x[k];
        k = (k + 3) % n;
    }
    s
}

#[differentiable]
fn two_inner_loops(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for r in 0..3 {
        for j in 1..n {
            a[j] = a[j - 1] * x[j] + 0.1;
        }
        s += a[n - 1];
        for j in (0..n - 1).rev() {
            a[j] = a[j + 1] * x[j] - a[j] * 0.3 + (r as f64) * 0.01;
        }
        s += a[0] * a[1];
    }
    s
}

#[differentiable]
fn array_param_by_value(mut a: [f64; 4], x: f64) -> f64 {
    let mut s = 0.0;
    for i in 1..4 {
        a[i] = a[i - 1] * x + a[i];
        s += a[i] * a[i - 1];
    }
    s + a[3]
}

#[differentiable]
fn read_old_value_var(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        let old = a[i];
        a[i] = old * x[i] + 0.5;
        let old2 = a[(i + 1) % n];
        a[(i + 1) % n] = old2 + a[i] * old;
        s += old * old2 * a[i];
    }
    s
}

#[differentiable]
fn while_two_writes(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n + 1];
    let mut i = 0;
    let mut s = 0.0;
    while i < n {
        a[i + 1] = a[i] * x[i] + 0.2;
        s += a[i + 1] * a[i];
        a[i] = a[i + 1].sin() * x[i];
        i += 1;
    }
    s + a[0] * a[n]
}

#[differentiable]
fn while_index_slot_direct(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut i = 0;
    let mut s = 0.0;
    while i < n {
        a[i] = a[(i + n - 1) % n] * x[i] + 0.2;
        s += a[i] * a[i];
        i += 1;
    }
    s
}

#[differentiable]
fn while_nested_in_for(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for r in 0..2 {
        let mut j = r;
        while j < n {
            a[j] = a[(j + n - 1) % n] * x[j] + 0.1;
            s += a[j] * x[(j + 1) % n];
            j += 2;
        }
    }
    s
}

#[differentiable]
fn if_cond_before_write(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        let big = a[(i + 1) % n] > 0.35;
        a[i] = a[(i + 1) % n] * x[i] + 0.2;
        if big {
            s += a[i];
        } else {
            s += a[i] * a[i];
        }
    }
    s
}

#[differentiable]
fn read_in_branch_between(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = a[(i + 1) % n] * x[i] + 0.2;
        if x[i] > 0.0 {
            s += a[i] * a[(i + 2) % n];
        } else {
            s += a[(i + 2) % n].sin();
        }
        a[(i + 2) % n] = a[i] * 0.9;
        if x[i] < 0.5 {
            s += a[(i + 2) % n] * x[i];
        }
    }
    s
}

#[differentiable]
fn aggregate_and_scalar_phi(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        let t = if x[i] > 0.0 {
            a[i] * 2.0
        } else {
            a[(i + 1) % n]
        };
        a[i] = t * x[i] + 0.1;
        let u = if x[i] > 0.5 { a[i] } else { a[(i + 1) % n] * t };
        a[(i + 1) % n] = u * 0.5;
        s += u * t;
    }
    s
}

#[test]
fn batch4() {
    let x = &X7[..];
    chk!(
        whole_assign_mid_body,
        whole_assign_mid_body_vjp,
        whole_assign_mid_body_grad,
        whole_assign_mid_body_jvp,
        &X7[..4]
    );
    chk!(
        vec_clone_between,
        vec_clone_between_vjp,
        vec_clone_between_grad,
        vec_clone_between_jvp,
        x
    );
    chk!(
        len_and_fold,
        len_and_fold_vjp,
        len_and_fold_grad,
        len_and_fold_jvp,
        x
    );
    let pairs = [(0, 3), (2, 5), (3, 0), (6, 1), (4, 4), (1, 2)];
    check(
        "pairs_loop",
        |p| pairs_loop(p, &pairs),
        |p, g, v| pairs_loop_vjp(p, g, &pairs, v).0,
        |p, g| {
            pairs_loop_grad(p, g, &pairs);
        },
        |p, u| pairs_loop_jvp(p, u, &pairs),
        x,
    );
    chk!(
        inclusive_range,
        inclusive_range_vjp,
        inclusive_range_grad,
        inclusive_range_jvp,
        x
    );
    chk!(
        three_level,
        three_level_vjp,
        three_level_grad,
        three_level_jvp,
        x
    );
    let idx = [3, 1, 3, 0, 6, 2, 3, 5, 1];
    check(
        "index_from_no_grad",
        |p| index_from_no_grad(p, &idx),
        |p, g, v| index_from_no_grad_vjp(p, g, &idx, v).0,
        |p, g| {
            index_from_no_grad_grad(p, g, &idx);
        },
        |p, u| index_from_no_grad_jvp(p, u, &idx),
        x,
    );
    chk!(
        outer_counter_index,
        outer_counter_index_vjp,
        outer_counter_index_grad,
        outer_counter_index_jvp,
        x
    );
    chk!(
        outer_slot_index,
        outer_slot_index_vjp,
        outer_slot_index_grad,
        outer_slot_index_jvp,
        x
    );
    chk!(
        two_inner_loops,
        two_inner_loops_vjp,
        two_inner_loops_grad,
        two_inner_loops_jvp,
        x
    );
    {
        let f = |p: &[f64]| array_param_by_value([p[0], p[1], p[2], p[3]], p[4]);
        let p = [0.5, -0.7, 1.2, 0.3, 0.8];
        let (y, (ga, gx)) = array_param_by_value_vjp([p[0], p[1], p[2], p[3]], p[4], 1.0);
        assert_eq!(y, f(&p));
        let want = fd_grad(f, &p);
        assert_near(&[ga[0], ga[1], ga[2], ga[3], gx], &want, 1e-5);
        let (_, ju) =
            array_param_by_value_jvp([p[0], p[1], p[2], p[3]], [0.1, 0.2, -0.3, 0.4], p[4], 0.5);
        let want_ju = ga[0] * 0.1 + ga[1] * 0.2 - ga[2] * 0.3 + ga[3] * 0.4 + gx * 0.5;
        assert!((ju - want_ju).abs() < 1e-9);
    }
    chk!(
        read_old_value_var,
        read_old_value_var_vjp,
        read_old_value_var_grad,
        read_old_value_var_jvp,
        x
    );
    chk!(
        while_two_writes,
        while_two_writes_vjp,
        while_two_writes_grad,
        while_two_writes_jvp,
        x
    );
    chk!(
        while_index_slot_direct,
        while_index_slot_direct_vjp,
        while_index_slot_direct_grad,
        while_index_slot_direct_jvp,
        x
    );
    chk!(
        while_nested_in_for,
        while_nested_in_for_vjp,
        while_nested_in_for_grad,
        while_nested_in_for_jvp,
        x
    );
    chk!(
        if_cond_before_write,
        if_cond_before_write_vjp,
        if_cond_before_write_grad,
        if_cond_before_write_jvp,
        x
    );
    chk!(
        read_in_branch_between,
        read_in_branch_between_vjp,
        read_in_branch_between_grad,
        read_in_branch_between_jvp,
        x
    );
    chk!(
        aggregate_and_scalar_phi,
        aggregate_and_scalar_phi_vjp,
        aggregate_and_scalar_phi_grad,
        aggregate_and_scalar_phi_jvp,
        x
    );
}

// =============================================================================================
// Batch 5
// =============================================================================================

#[differentiable]
fn post_loop_in_place(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    for i in 1..n {
        a[i] = a[i - 1] * x[i] + 0.2;
    }
    a[0] = a[n - 1] * a[1];
    let t = a[0] * a[2];
    a[1] = t * x[0];
    a[0] * a[1] + t
}

#[differentiable]
fn name_collisions(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let a_1 = 2.0;
    let undone_a_1 = 0.5;
    let old_a_2 = 0.25;
    let undo_a_1 = 3;
    let mut s = 0.0;
    for i in 0..n {
        a[i] = a[(i + n - 1) % n] * x[i] + a_1 * undone_a_1;
        let k = (a.len() + i + undo_a_1) % n;
        s += a[k] * old_a_2;
    }
    s
}

#[differentiable]
fn inner_for_over_inactive(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![0.3; n];
    let mut h = 0.5;
    for i in 0..n {
        c[i] = c[(i + 1) % n] * 0.5 + 0.1 * (i as f64);
        let mut t = 0.0;
        for &v in c.iter() {
            t += v * h;
        }
        h = (t + x[i]).sin();
    }
    h
}

#[differentiable]
fn vec_vec_row_clone(x: &[f64]) -> f64 {
    let n = x.len();
    let mut m = vec![vec![0.5; n]; 4];
    let mut s = 0.0;
    for i in 1..4 {
        m[i] = m[i - 1].clone();
        m[i][i] = m[i][i] * x[i] + m[i - 1][0];
        s += m[i][i] * m[i][0];
    }
    s + m[3][2]
}

fn plain_index(i: usize, n: usize) -> usize {
    (i * 7 + 3) % n
}

#[differentiable]
fn plain_fn_index(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        let k = plain_index(i, n);
        a[k] = a[(k + 1) % n] * x[i] + a[k];
        s += a[k] * x[k];
    }
    s
}

#[differentiable]
fn while_active_test(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n + 1];
    let mut i = 0;
    let mut s = 0.0;
    while i < n && s < 100.0 + x[0] {
        a[i + 1] = a[i] * x[i] + 0.2;
        s += a[i + 1] * a[i + 1];
        i += 1;
    }
    s + a[n]
}

#[differentiable]
fn explicit_continue_end(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n + 1];
    let mut s = 0.0;
    for i in 0..n {
        a[i + 1] = a[i] * x[i] + 0.2;
        s += a[i + 1] * a[i];
        continue;
    }
    s
}

#[differentiable]
fn closure_after_last_write(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = a[(i + n - 1) % n] * x[i] + 0.2;
        let g = |j: usize| a[j] * x[j];
        s += g(i) + g((i + 1) % n);
    }
    s
}

#[differentiable]
fn shadow_in_loop(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = a[(i + n - 1) % n] * x[i] + 0.2;
        let t = a[i];
        let a = [t * 2.0, x[i]];
        s += a[0] * a[1];
    }
    s + a[0]
}

#[differentiable]
fn scalar_slot_from_aggregate(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.3; n];
    let mut h = 0.7;
    for i in 0..n {
        let prev = h;
        h = a[i] * x[i] + h * 0.5;
        a[i] = prev * h;
        a[(i + 1) % n] += h * 0.1;
    }
    h + a[0] * a[n - 1]
}

#[differentiable]
fn fixed_array_output_nested(x: &[f64]) -> [f64; 3] {
    let mut a = [0.2, 0.4, 0.6];
    for r in 0..2 {
        for i in 0..3 {
            a[i] = a[(i + 2) % 3] * x[i + r] + a[i];
        }
    }
    a
}

#[differentiable]
fn output_user(x: &[f64]) -> f64 {
    let a = fixed_array_output_nested(x);
    a[0] * 0.5 + a[1] * a[2]
}

#[differentiable]
fn aggregate_in_condition_of_inner_while(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![0.1; n];
    let mut s = 0.0;
    for i in 0..n {
        a[i] = (a[(i + n - 1) % n] + x[i]).sin() + 1.5;
        let mut t = 0.0;
        let mut j = 0;
        while t < a[i] {
            t += 0.4;
            j += 1;
        }
        s += a[i] * (j as f64) * x[i];
    }
    s
}

#[differentiable]
fn generic_array<T: Real>(x: &[T]) -> T {
    let mut a = [T::from_f64(0.3); 5];
    let mut s = T::zero();
    for i in 0..x.len() {
        a[i % 5] = a[(i + 4) % 5] * x[i] + a[i % 5] * T::from_f64(0.5);
        s += a[i % 5] * a[(i + 1) % 5];
    }
    s
}

#[test]
fn batch5() {
    let x = &X7[..];
    chk!(
        post_loop_in_place,
        post_loop_in_place_vjp,
        post_loop_in_place_grad,
        post_loop_in_place_jvp,
        x
    );
    chk!(
        name_collisions,
        name_collisions_vjp,
        name_collisions_grad,
        name_collisions_jvp,
        x
    );
    chk!(
        inner_for_over_inactive,
        inner_for_over_inactive_vjp,
        inner_for_over_inactive_grad,
        inner_for_over_inactive_jvp,
        x
    );
    chk!(
        vec_vec_row_clone,
        vec_vec_row_clone_vjp,
        vec_vec_row_clone_grad,
        vec_vec_row_clone_jvp,
        x
    );
    chk!(
        plain_fn_index,
        plain_fn_index_vjp,
        plain_fn_index_grad,
        plain_fn_index_jvp,
        x
    );
    chk!(
        while_active_test,
        while_active_test_vjp,
        while_active_test_grad,
        while_active_test_jvp,
        x
    );
    chk!(
        explicit_continue_end,
        explicit_continue_end_vjp,
        explicit_continue_end_grad,
        explicit_continue_end_jvp,
        x
    );
    chk!(
        closure_after_last_write,
        closure_after_last_write_vjp,
        closure_after_last_write_grad,
        closure_after_last_write_jvp,
        x
    );
    chk!(
        shadow_in_loop,
        shadow_in_loop_vjp,
        shadow_in_loop_grad,
        shadow_in_loop_jvp,
        x
    );
    chk!(
        scalar_slot_from_aggregate,
        scalar_slot_from_aggregate_vjp,
        scalar_slot_from_aggregate_grad,
        scalar_slot_from_aggregate_jvp,
        x
    );
    chk!(
        output_user,
        output_user_vjp,
        output_user_grad,
        output_user_jvp,
        &X7[..5]
    );
    chk!(
        aggregate_in_condition_of_inner_while,
        aggregate_in_condition_of_inner_while_vjp,
        aggregate_in_condition_of_inner_while_grad,
        aggregate_in_condition_of_inner_while_jvp,
        &[0.31, -0.52, 0.83, 1.14, 0.27, -0.41, 0.66]
    );
    chk!(
        generic_array::<f64>,
        generic_array_vjp::<f64>,
        generic_array_grad::<f64>,
        generic_array_jvp::<f64>,
        x
    );
    // The array output against differences for every cotangent.
    let xs = &X7[..5];
    for k in 0..3 {
        let mut v = [0.0; 3];
        v[k] = 1.0;
        let mut g = vec![0.0; 5];
        let (y, _) = fixed_array_output_nested_vjp(xs, &mut g, v);
        assert_eq!(y, fixed_array_output_nested(xs));
        let want = fd_grad(|p| fixed_array_output_nested(p)[k], xs);
        assert_near(&g, &want, 1e-5);
    }
}
