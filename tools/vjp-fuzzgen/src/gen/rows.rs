//! The `rows` switch: rows that are part of a float slice, and windows, which the macro
//! rewrites as index loops (`vjp-macro/src/lower/control.rs`, `Row` and `iteration_idiom`;
//! `vjp-macro/src/lower/windows.rs`).
//!
//! A row is `x.iter()`, `x[a..b].iter()`, `x[a..].iter()`, `x[..=b].iter()`, `&x[a..b]` (where
//! a reference is iterated as it is), then 0 to 2 of `.skip(s)`, `.take(t)`, `.step_by(s)`,
//! sometimes `.copied()` (before or after them); then maybe `.enumerate()` or `.zip(ROW)`, and
//! maybe an outermost `.rev()`. Bounds and arguments are literals, `x.len()`, `x.len() - c`,
//! the counter of a loop (or a closure's integer parameter) around (`x[i..]`, `x[i..i + 1]`,
//! `.take(i + 1)`, `2 * i`), or a `usize` local declared before a `for` loop and never
//! assigned. Every row is checked, for each length the slice may have and each value the
//! counter may take, to be in bounds (so that the primal never panics); rows may be empty.
//!
//! Windows: `x.windows(m)` and `x.chunks_exact(m)` with `m` a literal from 1 to 3 or such a
//! local, read through `w[j]` (`j < m`) and `w[w.len() - 1]` only: each read is a float local
//! of its own to the generator (named `w[0]`), next to a hidden local `w` (an accumulator of no
//! loop: [`WINDOW`]) that makes the reads active and is never read itself. Window names are
//! fresh, so the loop's body never binds them again.
//!
//! Rows and windows are the iterables of `for` loops (over the function's slice and array
//! parameters, which no statement assigns) and the sources of reductions (over any active
//! slice or array, see `reduce.rs`).

use super::{bin, method, Ctx, Gen, Kind, LoopInfo, PKind, Var};
use crate::ast::{E, S};

/// The `acc` of the hidden local that stands for a window: no loop has this id, so the local
/// is never readable, assigned or added to.
pub(super) const WINDOW: usize = usize::MAX;

/// A bound, a row adapter's argument or a window size.
#[derive(Clone)]
enum B {
    Lit(usize),
    /// `x.len()`.
    Len,
    /// `x.len() - c`.
    FromEnd(usize),
    /// The counter.
    Ctr,
    /// `i + c`.
    CtrPlus(usize),
    /// `2 * i`.
    CtrTwice,
    /// The local.
    Local,
}

/// What a row's bounds may read: the slice's name and lengths, a counter and its largest
/// value, a local and its value.
struct Env {
    x: String,
    lo: usize,
    hi: usize,
    ctr: Option<(String, usize)>,
    local: Option<(String, usize)>,
}

impl B {
    fn text(&self, env: &Env) -> String {
        let ctr = || env.ctr.as_ref().map_or("0", |c| c.0.as_str()).to_string();
        match self {
            B::Lit(c) => c.to_string(),
            B::Len => format!("{}.len()", env.x),
            B::FromEnd(c) => format!("{}.len() - {c}", env.x),
            B::Ctr => ctr(),
            B::CtrPlus(c) => format!("{} + {c}", ctr()),
            B::CtrTwice => format!("2 * {}", ctr()),
            B::Local => env.local.as_ref().map_or("0", |l| l.0.as_str()).to_string(),
        }
    }

    /// The value at slice length `len` and counter `i` (negative: the subtraction panics).
    fn eval(&self, env: &Env, len: usize, i: usize) -> i64 {
        let (len, i) = (len as i64, i as i64);
        match self {
            B::Lit(c) => *c as i64,
            B::Len => len,
            B::FromEnd(c) => len - *c as i64,
            B::Ctr => i,
            B::CtrPlus(c) => i + *c as i64,
            B::CtrTwice => 2 * i,
            B::Local => env.local.as_ref().map_or(0, |l| l.1 as i64),
        }
    }
}

/// `x[a..b]`: the start if any, and the end if any (`true`: inclusive).
type Range = (Option<B>, Option<(B, bool)>);

/// A row: the part of the slice, the adapters, `.copied()`.
struct Plan {
    range: Option<Range>,
    ops: Vec<(&'static str, B)>,
    /// `.copied()`: before the adapters (`Some(true)`) or after them.
    copied: Option<bool>,
    /// `&x[a..b]` rather than `x[a..b].iter()` (no adapters, not copied).
    amp: bool,
}

impl Plan {
    fn count(&self, env: &Env, len: usize, i: usize) -> Option<usize> {
        let mut n = match &self.range {
            None => len as i64,
            Some((a, b)) => {
                let a = a.as_ref().map_or(0, |a| a.eval(env, len, i));
                let b = match b {
                    None => len as i64,
                    Some((b, incl)) => b.eval(env, len, i) + i64::from(*incl),
                };
                if a < 0 || b < a || b > len as i64 {
                    return None;
                }
                b - a
            }
        };
        for (op, arg) in &self.ops {
            let v = arg.eval(env, len, i);
            if v < 0 {
                return None;
            }
            n = match *op {
                "skip" => (n - v).max(0),
                "take" => n.min(v),
                _ if v == 0 => return None,
                _ => (n + v - 1) / v,
            };
        }
        Some(n as usize)
    }

    fn text(&self, env: &Env) -> String {
        let x = &env.x;
        let mut s = match &self.range {
            None => format!("{x}.iter()"),
            Some((a, b)) => {
                let a = a.as_ref().map_or(String::new(), |a| a.text(env));
                let b = match b {
                    None => String::new(),
                    Some((b, true)) => format!("={}", b.text(env)),
                    Some((b, false)) => b.text(env),
                };
                if self.amp {
                    return format!("&{x}[{a}..{b}]");
                }
                format!("{x}[{a}..{b}].iter()")
            }
        };
        if self.copied == Some(true) {
            s += ".copied()";
        }
        for (op, arg) in &self.ops {
            s += &format!(".{op}({})", arg.text(env));
        }
        if self.copied == Some(false) {
            s += ".copied()";
        }
        s
    }
}

/// A row as generated: its text, the slice it reads, the bounds on its number of elements,
/// whether its items are values (`.copied()`) and their bound.
pub(super) struct Row {
    pub text: String,
    pub x: String,
    pub lo: usize,
    pub hi: usize,
    pub by_value: bool,
    pub bound: f64,
}

/// The lengths a slice or array may have (the tests give slices 2 to 5 elements).
pub(super) fn lengths(v: &Var) -> (usize, usize) {
    match v.kind {
        Kind::Slice(Some(n)) | Kind::Arr(n) => (n, n),
        _ => (2, 5),
    }
}

impl Gen {
    /// A counter of a loop (or closure) around, with its largest value, usable as a bound: a
    /// `usize` that nothing here assigns.
    fn row_counter(&mut self, cx: &Ctx) -> Option<(String, usize)> {
        let vis = cx.visible();
        let ok: Vec<(String, usize)> = cx
            .loops
            .iter()
            .filter_map(|l| l.counter.clone())
            .filter(|(c, max)| {
                *max <= 5
                    && vis
                        .iter()
                        .rev()
                        .find(|v| v.name == *c)
                        .is_some_and(|v| v.kind == Kind::Int && !v.mutable && !v.not_usize)
            })
            .collect();
        if ok.is_empty() || self.rng.chance(0.4) {
            return None;
        }
        Some(self.rng.pick(&ok).clone())
    }

    /// A row over `x`. `local`: a `usize` local and its value that bounds may read; `amp`: the
    /// row may be `&x[a..b]` (iterated as it is, or the other side of a `zip`); `copies`: the
    /// row may end in `.copied()`.
    pub(super) fn row(
        &mut self,
        cx: &Ctx,
        x: &Var,
        local: Option<(String, usize)>,
        amp: bool,
        copies: bool,
    ) -> Option<Row> {
        let (lo, hi) = lengths(x);
        let env = Env {
            x: x.name.clone(),
            lo,
            hi,
            ctr: self.row_counter(cx),
            local,
        };
        for _ in 0..12 {
            let plan = self.row_plan(&env, amp, copies);
            let imax = env.ctr.as_ref().map_or(0, |c| c.1);
            let mut counts = Vec::new();
            for len in env.lo..=env.hi {
                for i in 0..=imax {
                    counts.push(plan.count(&env, len, i));
                }
            }
            if counts.iter().any(|c| c.is_none()) {
                continue;
            }
            let counts: Vec<usize> = counts.into_iter().flatten().collect();
            let (rlo, rhi) = (*counts.iter().min().unwrap(), *counts.iter().max().unwrap());
            if rhi == 0 {
                continue;
            }
            return Some(Row {
                text: plan.text(&env),
                x: x.name.clone(),
                lo: rlo,
                hi: rhi,
                by_value: plan.copied.is_some(),
                bound: x.bound,
            });
        }
        None
    }

    fn row_bound(&mut self, env: &Env, options: &[B]) -> B {
        let ok: Vec<&B> = options
            .iter()
            .filter(|b| match b {
                B::Ctr | B::CtrPlus(_) | B::CtrTwice => env.ctr.is_some(),
                B::Local => env.local.is_some(),
                _ => true,
            })
            .collect();
        (*self.rng.pick(&ok)).clone()
    }

    fn row_plan(&mut self, env: &Env, amp: bool, copies: bool) -> Plan {
        let range = match self.rng.weighted(&[3, 3, 3, 2]) {
            0 => None,
            1 => {
                let a = self.row_bound(
                    env,
                    &[
                        B::Lit(1),
                        B::Lit(2),
                        B::Ctr,
                        B::FromEnd(1),
                        B::FromEnd(2),
                        B::Local,
                    ],
                );
                Some((Some(a), None))
            }
            2 => {
                let a = self.row_bound(env, &[B::Lit(0), B::Lit(1), B::Ctr, B::Local]);
                let b = self.row_bound(
                    env,
                    &[
                        B::Lit(2),
                        B::Lit(3),
                        B::Len,
                        B::FromEnd(1),
                        B::CtrPlus(1),
                        B::CtrTwice,
                        B::Local,
                    ],
                );
                let a = (!matches!(a, B::Lit(0)) || self.rng.chance(0.5)).then_some(a);
                Some((a, Some((b, false))))
            }
            _ => {
                let a = self
                    .rng
                    .chance(0.3)
                    .then(|| self.row_bound(env, &[B::Lit(0), B::Lit(1), B::Ctr]));
                let b = self.row_bound(env, &[B::Lit(0), B::Lit(1), B::FromEnd(1), B::Ctr]);
                Some((a, Some((b, true))))
            }
        };
        let mut ops = Vec::new();
        for _ in 0..self.rng.weighted(&[3, 3, 1]) {
            let op = *self.rng.pick(&["skip", "take", "step_by"]);
            let arg = match op {
                "skip" => self.row_bound(env, &[B::Lit(1), B::Lit(2), B::Ctr, B::Local]),
                "take" => self.row_bound(env, &[B::Lit(1), B::Lit(2), B::Lit(3), B::CtrPlus(1)]),
                _ => self.row_bound(env, &[B::Lit(2), B::Lit(2), B::Lit(3), B::CtrPlus(1)]),
            };
            ops.push((op, arg));
        }
        let copied = (copies && self.rng.chance(0.3)).then(|| self.rng.chance(0.5));
        let amp =
            amp && range.is_some() && ops.is_empty() && copied.is_none() && self.rng.chance(0.4);
        Plan {
            range,
            ops,
            copied,
            amp,
        }
    }

    /// A window or chunk size: a literal from 1 to 3, or `local`.
    fn window_size(&mut self, local: &Option<(String, usize)>) -> (String, usize) {
        match local {
            Some((name, v)) if *v >= 1 && self.rng.chance(0.4) => (name.clone(), *v),
            _ => {
                let m = *self.rng.pick(&[1, 2, 2, 3]);
                (m.to_string(), m)
            }
        }
    }

    /// `x.windows(m)` or `x.chunks_exact(m)`: the text, `m`, and the bounds on the number of
    /// windows.
    pub(super) fn windows(
        &mut self,
        x: &Var,
        local: &Option<(String, usize)>,
    ) -> (String, usize, usize, usize) {
        let (lo, hi) = lengths(x);
        let (mt, m) = self.window_size(local);
        if self.rng.chance(0.6) {
            let n = |len: usize| (len + 1).saturating_sub(m);
            (format!("{}.windows({mt})", x.name), m, n(lo), n(hi))
        } else {
            (format!("{}.chunks_exact({mt})", x.name), m, lo / m, hi / m)
        }
    }

    /// The locals that stand for window `w` of size `m`: the hidden `w`, then `w[0]` ..
    /// `w[m - 1]` and `w[w.len() - 1]`.
    pub(super) fn window_vars(&self, cx: &Ctx, w: &str, m: usize, b: f64) -> Vec<Var> {
        let mut hidden = self.var(cx, w.to_string(), Kind::F, b, false);
        hidden.acc = Some(WINDOW);
        let mut vars = vec![hidden];
        for j in 0..m {
            vars.push(self.var(cx, format!("{w}[{j}]"), Kind::F, b, false));
        }
        vars.push(self.var(cx, format!("{w}[{w}.len() - 1]"), Kind::F, b, false));
        vars
    }

    /// A new window name.
    pub(super) fn window_name(&mut self) -> String {
        self.fresh += 1;
        format!("{}{}", self.rng.pick(&["win", "ch", "pair"]), self.fresh)
    }

    /// Whether `e` reads a window (which a macro such as `assert!` may not).
    pub(super) fn reads_window(cx: &Ctx, e: &E) -> bool {
        let mut roots = Vec::new();
        e.roots(&mut roots);
        cx.visible()
            .iter()
            .any(|v| v.acc == Some(WINDOW) && roots.contains(&v.name))
    }

    /// The header of a `for` loop over a row or windows of a slice or array parameter, with
    /// the elements it binds; `None` when there is no such parameter. May declare a `usize`
    /// local before the loop (into `prelude` and `cx`). Sets the loop's counter and trips.
    pub(super) fn rows_header(
        &mut self,
        cx: &mut Ctx,
        windows: bool,
        info: &mut LoopInfo,
        prelude: &mut Vec<S>,
        elements: &mut Vec<Var>,
        counter: &str,
    ) -> Option<String> {
        let params: Vec<Var> = cx
            .readable(|k| matches!(k, Kind::Slice(_) | Kind::Arr(_)))
            .into_iter()
            .filter(|v| v.param.is_some_and(|p| p != PKind::NoGradSlice) && !v.nograd && !v.by_ref)
            .collect();
        if params.is_empty() {
            return None;
        }
        let local = if self.rng.chance(0.3) {
            self.fresh += 1;
            let name = format!("m{}", self.fresh);
            let value = self.rng.range(1, 2);
            prelude.push(S::Raw(format!("let {name}: usize = {value};")));
            let v = self.var(cx, name.clone(), Kind::Int, value as f64, false);
            cx.declare(v);
            Some((name, value))
        } else {
            None
        };
        let x = self.rng.pick(&params).clone();
        let level = |mut v: Var| {
            v.level += 1;
            v
        };
        if windows {
            let (text, m, _, hi) = self.windows(&x, &local);
            let w = self.window_name();
            for v in self.window_vars(cx, &w, m, x.bound) {
                elements.push(level(v));
            }
            info.trips = hi;
            return Some(format!("{w} in {text}"));
        }
        let row = self.row(cx, &x, local.clone(), true, true)?;
        let el = {
            self.fresh += 1;
            format!("{}{}", self.rng.pick(&["e", "xv", "el"]), self.fresh)
        };
        let mut v = self.var(cx, el.clone(), Kind::F, row.bound, false);
        v.level += 1;
        // The pattern of an element of `row`, binding `name`.
        let pat = |g: &mut Gen, row: &Row, v: &mut Var| -> String {
            if row.by_value {
                v.name.clone()
            } else if g.rng.chance(0.5) {
                format!("&{}", v.name)
            } else {
                v.by_ref = true;
                v.name.clone()
            }
        };
        let rev = if self.rng.chance(0.3) { ".rev()" } else { "" };
        info.trips = row.hi;
        let is_amp = row.text.starts_with('&');
        let header = match self.rng.weighted(&[4, 2, 2]) {
            1 if !is_amp => {
                let p = pat(self, &row, &mut v);
                info.counter = Some((counter.to_string(), row.hi.saturating_sub(1)));
                info.over = Some(row.x.clone());
                elements.push(v);
                format!("({counter}, {p}) in {}.enumerate(){rev}", row.text)
            }
            2 if !is_amp => {
                let params2 = params.clone();
                let y = self.rng.pick(&params2).clone();
                let other = self.row(cx, &y, local, true, true)?;
                let p = pat(self, &row, &mut v);
                let el2 = {
                    self.fresh += 1;
                    format!("{}{}", self.rng.pick(&["f", "yv"]), self.fresh)
                };
                let mut v2 = self.var(cx, el2, Kind::F, other.bound, false);
                v2.level += 1;
                let p2 = pat(self, &other, &mut v2);
                info.trips = row.hi.min(other.hi);
                elements.push(v);
                elements.push(v2);
                format!("({p}, {p2}) in {}.zip({}){rev}", row.text, other.text)
            }
            _ => {
                let p = pat(self, &row, &mut v);
                elements.push(v);
                if is_amp {
                    format!("{p} in {}", row.text)
                } else {
                    format!("{p} in {}{rev}", row.text)
                }
            }
        };
        Some(header)
    }

    /// A read of the window among `elements` at the top of a loop over windows: added to an
    /// accumulator of loop `id`, or bound by a `let`.
    pub(super) fn window_read(&mut self, cx: &mut Ctx, body: &mut Vec<S>, id: usize) {
        let reads: Vec<Var> = cx
            .scopes
            .last()
            .map(|s| s.iter().filter(|v| v.name.contains('[')).cloned().collect())
            .unwrap_or_default();
        if reads.is_empty() {
            return;
        }
        let a = self.rng.pick(&reads).clone();
        let b = self.rng.pick(&reads).clone();
        let (pa, pb) = (E::Place(a.name.clone()), E::Place(b.name.clone()));
        let (e, bound) = match self.rng.below(4) {
            0 => (bin("*", pa, pb), a.bound * b.bound),
            1 => (
                bin("*", E::Num(0.5), bin("+", pa, pb)),
                0.5 * (a.bound + b.bound),
            ),
            2 => (method("tanh", bin("-", pa, pb), vec![]), 1.0),
            _ => {
                let (c, bc) = self.expr(cx, 1);
                let (c, bc) = self.fit((c, bc), 2.0);
                (bin("*", pa, c), a.bound * bc)
            }
        };
        let accs = Self::accs_of(cx, id);
        if !accs.is_empty() {
            let name = self.rng.pick(&accs).clone();
            let (e, bound) = self.fit((e, bound), 4.0);
            body.push(S::Compound(name.clone(), "+=", e));
            if let Some(v) = cx.find_mut(&name) {
                v.growth += bound;
            }
        } else {
            self.fresh += 1;
            let name = format!("t{}", self.fresh);
            let v = self.var(cx, name.clone(), Kind::F, bound, false);
            cx.declare(v);
            body.push(S::Let {
                pat: name,
                mutable: false,
                ty: None,
                e,
            });
        }
    }
}
