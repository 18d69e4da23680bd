/// The checking harness of the generated tests (written by `vjp-fuzzgen`, the same in every
/// generated file).
///
/// Every generated function `NAME` has a plain twin `NAME_t` with the same body, in which each
/// comparison and each non-smooth primitive goes through this module: it records the smallest
/// distance to a kink or a branch boundary seen during the evaluation (the *margin*) and a
/// hash of the branches taken (the *path*). A check draws a random input, re-draws it while the
/// margin is below `MARGIN`, and keeps a finite-difference step only when both stencil points
/// take the same path as the centre.
#[allow(dead_code)]
mod fz {
    use std::cell::{Cell, RefCell};

    /// Inputs whose evaluation comes closer than this to a kink or a branch boundary are
    /// re-drawn.
    pub const MARGIN: f64 = 1e-3;
    /// Relative tolerance between the vjp and the central differences.
    pub const FD_REL: f64 = 1e-5;
    /// Two consecutive finite-difference steps within this relative distance count as
    /// converged; a mismatch is reported only then.
    pub const FD_CONVERGED: f64 = 1e-3;
    /// Relative tolerance of the dot-product test <v, J u> = <J^T v, u>.
    pub const DOT_REL: f64 = 1e-10;

    thread_local! {
        /// Every (margin, kind) recorded during the evaluation, in order.
        static LOG: RefCell<Vec<(f64, u8)>> = const { RefCell::new(Vec::new()) };
        static PATH: Cell<u64> = const { Cell::new(0xcbf2_9ce4_8422_2325) };
    }

    fn record(margin: f64, branch: u64) {
        let margin = if margin.is_nan() { 0.0 } else { margin };
        LOG.with(|l| l.borrow_mut().push((margin, (branch & 0xff) as u8)));
        PATH.with(|p| p.set((p.get() ^ branch).wrapping_mul(0x0100_0000_01b3)));
    }

    /// Names of the branch codes / 2.
    const KINDS: [&str; 32] = [
        "-",
        "gt",
        "lt",
        "ge",
        "le",
        "max",
        "min",
        "abs",
        "signum",
        "floor/ceil",
        "trunc/fract",
        "round",
        "clamp",
        "clamp",
        "hypot",
        "atan2",
        "atan2 cut",
        "-",
        "-",
        "-",
        "-",
        "-",
        "-",
        "-",
        "-",
        "-",
        "-",
        "-",
        "-",
        "-",
        "-",
        "-",
    ];

    fn reset() {
        LOG.with(|l| l.borrow_mut().clear());
        PATH.with(|p| p.set(0xcbf2_9ce4_8422_2325));
    }

    /// The output, the margins and the path of one evaluation.
    fn traced(f: &dyn Fn(&[f64]) -> Vec<f64>, x: &[f64]) -> (Vec<f64>, Vec<(f64, u8)>, u64) {
        reset();
        let y = f(x);
        (y, LOG.with(|l| l.borrow().clone()), PATH.with(|p| p.get()))
    }

    /// How close the input is to a kink or a branch boundary, and the kind of the closest:
    /// `log` holds the margins at `x`, `moved` at a point `delta` away (on the same path).
    /// A kink met at an input-independent value (`floor(0.0)`, `max(a, a)`) has the same
    /// margin at both points and does not count: the derivative through it is the same on
    /// both sides. A margin below `MARGIN` still counts as far when the input itself is
    /// `MARGIN` away from the kink (a kink of a nearly constant value, `floor(2 tanh(20 x))`):
    /// each margin is taken as the larger of its value and its estimated distance in input
    /// space.
    fn margin(log: &[(f64, u8)], moved: &[(f64, u8)], delta: f64) -> (f64, u8) {
        let mut out = (f64::INFINITY, 0);
        for (a, b) in log.iter().zip(moved) {
            if a.0.to_bits() == b.0.to_bits() {
                // Except `atan2` at the origin, whose derivative is NaN even when the
                // arguments do not depend on the input (and NaN * 0 is NaN).
                if a.1 == 30 && a.0 < out.0 {
                    out = *a;
                }
                continue;
            }
            let distance = a.0 * delta / (a.0 - b.0).abs();
            let m = a.0.max(distance);
            if m < out.0 {
                out = (m, a.1);
            }
        }
        out
    }

    pub fn gt(a: f64, b: f64) -> bool {
        let r = a > b;
        record((a - b).abs(), 2 + r as u64);
        r
    }
    pub fn lt(a: f64, b: f64) -> bool {
        let r = a < b;
        record((a - b).abs(), 4 + r as u64);
        r
    }
    pub fn ge(a: f64, b: f64) -> bool {
        let r = a >= b;
        record((a - b).abs(), 6 + r as u64);
        r
    }
    pub fn le(a: f64, b: f64) -> bool {
        let r = a <= b;
        record((a - b).abs(), 8 + r as u64);
        r
    }
    pub fn max(a: f64, b: f64) -> f64 {
        record((a - b).abs(), 10 + (a > b) as u64);
        a.max(b)
    }
    pub fn min(a: f64, b: f64) -> f64 {
        record((a - b).abs(), 12 + (a > b) as u64);
        a.min(b)
    }
    pub fn abs(a: f64) -> f64 {
        record(a.abs(), 14 + (a > 0.0) as u64);
        a.abs()
    }
    pub fn signum(a: f64) -> f64 {
        record(a.abs(), 16 + (a > 0.0) as u64);
        a.signum()
    }
    fn to_integer(a: f64) -> f64 {
        (a - a.round()).abs()
    }
    pub fn floor(a: f64) -> f64 {
        record(to_integer(a), 18 ^ (a.floor() as i64 as u64) << 8);
        a.floor()
    }
    pub fn ceil(a: f64) -> f64 {
        record(to_integer(a), 19 ^ (a.ceil() as i64 as u64) << 8);
        a.ceil()
    }
    pub fn trunc(a: f64) -> f64 {
        record(to_integer(a), 20 ^ (a.trunc() as i64 as u64) << 8);
        a.trunc()
    }
    pub fn fract(a: f64) -> f64 {
        record(to_integer(a), 21 ^ (a.trunc() as i64 as u64) << 8);
        a.fract()
    }
    pub fn round(a: f64) -> f64 {
        record(
            (a - a.floor() - 0.5).abs(),
            22 ^ (a.round() as i64 as u64) << 8,
        );
        a.round()
    }
    pub fn clamp(a: f64, lo: f64, hi: f64) -> f64 {
        let region = if a < lo {
            0
        } else if a > hi {
            1
        } else {
            2
        };
        record((a - lo).abs().min((a - hi).abs()), 24 + region);
        a.clamp(lo, hi)
    }
    pub fn hypot(a: f64, b: f64) -> f64 {
        record(a.hypot(b), 28);
        a.hypot(b)
    }
    pub fn atan2(a: f64, b: f64) -> f64 {
        // A kink at the origin and a jump of 2 pi on the negative b axis.
        record(a.hypot(b), 30);
        if b < 0.0 {
            record(a.abs(), 32 + (a > 0.0) as u64);
        }
        a.atan2(b)
    }

    /// Flattening of the values that cross the generated functions' boundary.
    pub trait Fl {
        fn fl(&self, out: &mut Vec<f64>);
    }
    impl Fl for f64 {
        fn fl(&self, out: &mut Vec<f64>) {
            out.push(*self);
        }
    }
    impl<const N: usize> Fl for [f64; N] {
        fn fl(&self, out: &mut Vec<f64>) {
            out.extend_from_slice(self);
        }
    }
    impl Fl for () {
        fn fl(&self, _: &mut Vec<f64>) {}
    }
    impl<A: Fl> Fl for (A,) {
        fn fl(&self, out: &mut Vec<f64>) {
            self.0.fl(out);
        }
    }
    impl<A: Fl, B: Fl> Fl for (A, B) {
        fn fl(&self, out: &mut Vec<f64>) {
            self.0.fl(out);
            self.1.fl(out);
        }
    }
    impl<A: Fl, B: Fl, C: Fl> Fl for (A, B, C) {
        fn fl(&self, out: &mut Vec<f64>) {
            self.0.fl(out);
            self.1.fl(out);
            self.2.fl(out);
        }
    }
    impl<A: Fl, B: Fl, C: Fl, D: Fl> Fl for (A, B, C, D) {
        fn fl(&self, out: &mut Vec<f64>) {
            self.0.fl(out);
            self.1.fl(out);
            self.2.fl(out);
            self.3.fl(out);
        }
    }
    impl<A: Fl, B: Fl, C: Fl, D: Fl, E: Fl> Fl for (A, B, C, D, E) {
        fn fl(&self, out: &mut Vec<f64>) {
            self.0.fl(out);
            self.1.fl(out);
            self.2.fl(out);
            self.3.fl(out);
            self.4.fl(out);
        }
    }

    pub fn fl<T: Fl>(value: &T) -> Vec<f64> {
        let mut out = Vec::new();
        value.fl(&mut out);
        out
    }

    /// Writes the flattened `value` into `out[at..]`.
    pub fn put<T: Fl>(out: &mut [f64], at: usize, value: &T) {
        let flat = fl(value);
        out[at..at + flat.len()].copy_from_slice(&flat);
    }

    pub fn ar<const N: usize>(s: &[f64]) -> [f64; N] {
        std::array::from_fn(|i| s[i])
    }

    /// splitmix64.
    pub struct Rng(u64);
    impl Rng {
        pub fn new(seed: u64) -> Self {
            Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
        }
        pub fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        /// Uniform in [lo, hi).
        pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
        }
        /// A direction component: magnitude in [0.5, 1.5), either sign.
        pub fn direction(&mut self) -> f64 {
            let m = self.uniform(0.5, 1.5);
            if self.next() & 1 == 0 {
                m
            } else {
                -m
            }
        }
    }

    pub struct Case<'a> {
        pub name: &'a str,
        pub seed: u64,
        /// Number of active input components.
        pub n_in: usize,
        /// The differentiable function, on the flattened active inputs.
        pub f: &'a dyn Fn(&[f64]) -> Vec<f64>,
        /// Its traced twin.
        pub ft: &'a dyn Fn(&[f64]) -> Vec<f64>,
        /// `NAME_vjp`: (primal, J^T v) flattened in input order (shadows included).
        pub vjp: &'a dyn Fn(&[f64], &[f64]) -> (Vec<f64>, Vec<f64>),
        /// `NAME_jvp`: (primal, J u).
        pub jvp: &'a dyn Fn(&[f64], &[f64]) -> (Vec<f64>, Vec<f64>),
        /// `NAME_grad`, for scalar functions.
        pub grad: Option<&'a dyn Fn(&[f64]) -> Vec<f64>>,
    }

    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    fn dot(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    /// What happened at one input component.
    enum Component {
        Agrees,
        /// Every step straddles a branch boundary, or the differences do not settle: draw
        /// another input.
        Inconclusive,
        /// (step, finite difference) for each step that kept the path.
        Disagrees(Vec<(f64, f64)>),
    }

    fn component(
        c: &Case,
        x: &[f64],
        v: &[f64],
        g: f64,
        i: usize,
        path: u64,
        atol: f64,
    ) -> Component {
        let mut tried = Vec::new();
        let close = |fd: f64| (fd - g).abs() <= FD_REL * fd.abs().max(g.abs()) + atol;
        let mut previous: Option<f64> = None;
        let mut converged = false;
        for scale in [1e-4, 1e-5, 1e-6, 1e-7] {
            let h = scale * x[i].abs().max(1.0);
            let mut xp = x.to_vec();
            xp[i] = x[i] + h;
            let mut xm = x.to_vec();
            xm[i] = x[i] - h;
            let (yp, _, pp) = traced(c.ft, &xp);
            let (ym, _, pm) = traced(c.ft, &xm);
            if pp != path || pm != path {
                previous = None;
                continue;
            }
            let step = xp[i] - xm[i];
            let fd: f64 = yp
                .iter()
                .zip(&ym)
                .zip(v)
                .map(|((p, m), v)| v * (p - m) / step)
                .sum();
            if close(fd) {
                return Component::Agrees;
            }
            tried.push((h, fd));
            // Richardson extrapolation of this step and the previous one (ten times larger):
            // the error of central differences is O(h^2).
            if let Some(p) = previous {
                let extrapolated = fd + (fd - p) / 99.0;
                if close(extrapolated) {
                    return Component::Agrees;
                }
                if (fd - p).abs() <= FD_CONVERGED * fd.abs().max(p.abs()) + atol {
                    converged = true;
                }
            }
            previous = Some(fd);
        }
        // A mismatch only when the differences have settled (two consecutive steps agree);
        // otherwise the function is too steep or curved here to tell: draw another input.
        if converged {
            Component::Disagrees(tried)
        } else {
            Component::Inconclusive
        }
    }

    /// Runs the checks of one generated function; panics with a report on a mismatch.
    pub fn check(c: &Case) {
        let strict = std::env::var_os("FUZZGEN_STRICT").is_some();
        let mut rng = Rng::new(c.seed);
        let mut draws = 0;
        // Why draws were rejected: too close to a boundary, a non-finite output, every
        // finite-difference step straddling a boundary.
        let (mut close, mut nonfinite, mut straddle) = (0, 0, 0);
        let mut closest = [0u32; 32];
        'draw: loop {
            draws += 1;
            if draws > 200 {
                let why = format!(
                    "FUZZGEN-SKIP {}: no usable input in 200 draws ({close} near a boundary, \
                     {nonfinite} non-finite, {straddle} straddling or unsettled; closest by kind: {:?})",
                    c.name,
                    closest
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| **n > 0)
                        .map(|(k, n)| (KINDS[k], *n))
                        .collect::<Vec<_>>()
                );
                if strict {
                    panic!("{why}");
                }
                eprintln!("{why}");
                return;
            }
            let x: Vec<f64> = (0..c.n_in).map(|_| rng.uniform(-2.0, 2.0)).collect();
            let (y, log, path) = traced(c.ft, &x);
            if y.iter().any(|y| !y.is_finite()) {
                nonfinite += 1;
                continue;
            }
            let nudged: Vec<f64> = x.iter().map(|x| x + 1e-7 * rng.direction()).collect();
            let delta = x
                .iter()
                .zip(&nudged)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            let (_, moved, moved_path) = traced(c.ft, &nudged);
            let (m, kind) = margin(&log, &moved, delta);
            if moved_path != path || m < MARGIN {
                close += 1;
                closest[(kind as usize / 2).min(31)] += 1;
                continue;
            }
            let y0 = (c.f)(&x);
            assert!(
                same(&y, &y0),
                "FUZZGEN-GENERATOR {}: the traced twin gives {y:?}, the function {y0:?}",
                c.name
            );
            let v: Vec<f64> = (0..y.len()).map(|_| rng.direction()).collect();
            let u: Vec<f64> = (0..c.n_in).map(|_| rng.direction()).collect();
            let (yv, g) = (c.vjp)(&x, &v);
            assert!(
                same(&yv, &y),
                "FUZZGEN-PRIMAL {}: at x = {x:?} the vjp's primal output is {yv:?}, the function's {y:?}",
                c.name
            );
            assert_eq!(g.len(), c.n_in);
            if let Some(grad) = c.grad {
                let g1 = grad(&x);
                let (_, gv1) = (c.vjp)(&x, &[1.0]);
                // `NAME_grad` is `NAME_vjp` with v = 1, or, for a loop over one or two scalars,
                // forward lanes: then each component is, bitwise, `NAME_jvp`'s for a unit
                // tangent.
                let lanes: Vec<f64> = (0..c.n_in)
                    .map(|i| {
                        let mut u = vec![0.0; c.n_in];
                        u[i] = 1.0;
                        (c.jvp)(&x, &u).1[0]
                    })
                    .collect();
                assert!(
                    same(&g1, &gv1) || same(&g1, &lanes),
                    "FUZZGEN-GRAD {}: at x = {x:?} the grad is {g1:?}, the vjp with v = 1 {gv1:?}, \
                     the jvps for unit tangents {lanes:?}",
                    c.name
                );
            }
            let atol = 1e-8
                * y.iter()
                    .zip(&v)
                    .map(|(y, v)| (y * v).abs())
                    .fold(1.0, f64::max);
            let mut bad = Vec::new();
            for i in 0..c.n_in {
                match component(c, &x, &v, g[i], i, path, atol) {
                    Component::Agrees => {}
                    Component::Inconclusive => {
                        straddle += 1;
                        continue 'draw;
                    }
                    Component::Disagrees(tried) => bad.push((i, tried)),
                }
            }
            if !bad.is_empty() {
                let mut report = format!(
                    "FUZZGEN-VJP {}: the vjp disagrees with central differences\n  x = {x:?}\n  v = {v:?}\n  y = {y:?}\n  vjp = {g:?}\n",
                    c.name
                );
                for (i, tried) in bad {
                    report += &format!(
                        "  component {i}: vjp {:e}, finite differences (step, value) {tried:?}\n",
                        g[i]
                    );
                }
                panic!("{report}");
            }
            let (yu, ju) = (c.jvp)(&x, &u);
            assert!(
                same(&yu, &y),
                "FUZZGEN-PRIMAL {}: at x = {x:?} the jvp's primal output is {yu:?}, the function's {y:?}",
                c.name
            );
            assert_eq!(ju.len(), y.len());
            let lhs = dot(&v, &ju);
            let rhs = dot(&g, &u);
            let scale: f64 = v.iter().zip(&ju).map(|(a, b)| (a * b).abs()).sum::<f64>()
                + g.iter().zip(&u).map(|(a, b)| (a * b).abs()).sum::<f64>();
            // Rounding in the sweeps is relative to the intermediate values, which can be much
            // larger than the products when they cancel: an absolute floor too.
            let floor = 1e-13
                * v.iter().map(|a| a.abs()).sum::<f64>()
                * u.iter().map(|a| a.abs()).sum::<f64>();
            assert!(
                (lhs - rhs).abs() <= DOT_REL * scale + floor,
                "FUZZGEN-DOT {}: <v, J u> = {lhs:e} but <J^T v, u> = {rhs:e}\n  x = {x:?}\n  v = {v:?}\n  u = {u:?}\n  J u = {ju:?}\n  J^T v = {g:?}",
                c.name
            );
            return;
        }
    }
}
