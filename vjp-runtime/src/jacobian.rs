//! Full Jacobians from vector-Jacobian products (one per output component) or from
//! Jacobian-vector products (one per input component), over [`Flat`] values.
//!
//! For f: Rⁿ → Rᵐ, [`jacobian_rev`] costs m reverse sweeps and [`jacobian_fwd`] n forward
//! sweeps; [`jacobian`] picks the cheaper. Rows are output components, columns input
//! components, both in the flat order of [`Flat`].

use crate::check::Flat;

/// The m × n Jacobian of `f` at `x`, one row per call of `vjp(x, e_i)` (the vector-Jacobian
/// product with the i-th unit cotangent). `y` gives the output's shape (for example
/// `f(x)`).
pub fn jacobian_rev<X: Flat, Y: Flat>(vjp: impl Fn(X, Y) -> X, x: X, y: Y) -> Vec<Vec<f64>> {
    let m = y.flat_len();
    (0..m)
        .map(|i| {
            let row = vjp(x, y.from_flat(&unit(m, i)));
            flat(&row)
        })
        .collect()
}

/// The m × n Jacobian of `f` at `x`, one column per call of `jvp(x, e_j)` (the
/// Jacobian-vector product with the j-th unit tangent).
pub fn jacobian_fwd<X: Flat, Y: Flat>(jvp: impl Fn(X, X) -> Y, x: X) -> Vec<Vec<f64>> {
    let n = x.flat_len();
    let columns: Vec<Vec<f64>> = (0..n)
        .map(|j| flat(&jvp(x, x.from_flat(&unit(n, j)))))
        .collect();
    let m = columns.first().map_or(0, Vec::len);
    (0..m)
        .map(|i| columns.iter().map(|c| c[i]).collect())
        .collect()
}

/// The m × n Jacobian of `f` at `x`, by m VJPs when m ≤ n and by n JVPs otherwise.
pub fn jacobian<X: Flat, Y: Flat>(
    f: impl Fn(X) -> Y,
    vjp: impl Fn(X, Y) -> X,
    jvp: impl Fn(X, X) -> Y,
    x: X,
) -> Vec<Vec<f64>> {
    let y = f(x);
    if y.flat_len() <= x.flat_len() {
        jacobian_rev(vjp, x, y)
    } else {
        jacobian_fwd(jvp, x)
    }
}

fn unit(n: usize, i: usize) -> Vec<f64> {
    let mut e = vec![0.0; n];
    e[i] = 1.0;
    e
}

fn flat<A: Flat>(a: &A) -> Vec<f64> {
    let mut out = Vec::with_capacity(a.flat_len());
    a.write_flat(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // f(a, b) = (a b, a + b, sin a)
    fn f(x: (f64, f64)) -> [f64; 3] {
        [x.0 * x.1, x.0 + x.1, x.0.sin()]
    }
    fn vjp(x: (f64, f64), v: [f64; 3]) -> (f64, f64) {
        (v[0] * x.1 + v[1] + v[2] * x.0.cos(), v[0] * x.0 + v[1])
    }
    fn jvp(x: (f64, f64), u: (f64, f64)) -> [f64; 3] {
        [u.0 * x.1 + x.0 * u.1, u.0 + u.1, x.0.cos() * u.0]
    }

    #[test]
    fn both_directions_give_the_same_matrix() {
        let x = (0.5, 2.0);
        let expected = vec![vec![2.0, 0.5], vec![1.0, 1.0], vec![0.5f64.cos(), 0.0]];
        assert_eq!(jacobian_rev(vjp, x, f(x)), expected);
        assert_eq!(jacobian_fwd(jvp, x), expected);
        assert_eq!(jacobian(f, vjp, jvp, x), expected);
    }
}
