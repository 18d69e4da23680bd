//! The `nested-rows` switch: rows of arrays as parameters (`vjp-macro` takes `&[[F; N]]`,
//! `&Vec<[F; N]>` and `&[[F; N]; M]` with a shadow of the same shape, and `#[no_grad]` rows of
//! arrays as they are).
//!
//! Parameters: 1 or 2 of `pts: &[[f64; N]]`, `vs: &Vec<[f64; N]>`, `mat: &[[f64; N]; M]`
//! (`N` 2 or 3, `M` 2 or 3) and `#[no_grad] wr: &[[f64; N]]`; the tests give slices 2 to 4
//! points (local rows lent by `lent-rows` have 2 to 5). Bodies read them as `p[i][j]` (any
//! index [`Gen::index`] writes, which is in bounds for at least 2 rows), copy a point out
//! (`let q = p[i];`, `let q: [f64; 2] = p[i];`, `let [a, b] = p[i];`), pass it by value to a
//! callee taking `[f64; N]` (`g(p[i])`, also `g(q)`), pass the whole row on to a callee taking
//! `&[[f64; N]]` (or the same kind), and loop over it: `for i in 0..p.len()`,
//! `for q in p.iter()`, `for q in p`, `for &q in p`, `for &q in p.iter()`,
//! `for (i, q) in p.iter().enumerate()`, `for w in p.windows(m)`, `for c in p.chunks_exact(m)`
//! (`m` from 1 to 3). A point bound by reference is read only as `q[j]` and
//! `q[q.len() - 1]`, a window only as `w[a][j]` (each a float local of its own to the
//! generator next to a hidden `q`, as for the windows of `rows`); a point bound by value is an
//! array local like any other. Reductions: `p.iter().map(|q| ..).sum::<f64>()` (also `|&q|`,
//! `.enumerate()` with `|(i, q)|`, `p.windows(m)`, `p.chunks_exact(m)`), and
//! `.fold(f64::NEG_INFINITY, f64::max)` over the points, as float expressions anywhere and as
//! `let`s.

use super::reduce::Bound;
use super::rows::WINDOW;
use super::{Ctx, Gen, Kind, LoopInfo, PKind, Param, Var};
use crate::ast::{End, Reduce, Stage, E, S};

/// The most points a row of arrays without a fixed length may have (2 to 4 from the test, 2
/// to 5 lent by `lent-rows`).
pub(super) const ROWS_MAX: usize = 5;

/// How a loop or a reduction walks a row of arrays.
#[derive(Clone, Copy)]
enum Walk {
    /// `p.iter()` / `p` (a reference): each point by reference.
    Ref,
    /// `&q in p` / `|&q|`: each point by value.
    Val,
    /// `p.iter().enumerate()`.
    Enum,
    /// `p.windows(m)` / `p.chunks_exact(m)`: the text and `m`, the most windows.
    Win(usize),
}

impl Gen {
    /// Adds 1 or 2 rows of arrays to the parameters (sometimes none).
    pub(super) fn rows_params(&mut self, cx: &mut Ctx, params: &mut Vec<Param>) {
        if self.rng.chance(0.3) {
            return;
        }
        for _ in 0..self.rng.weighted(&[3, 1]) + 1 {
            let k = params.len();
            let n = *self.rng.pick(&[2, 2, 3]);
            let (kind, vkind, name) = match self.rng.weighted(&[6, 2, 2, 2]) {
                0 => (PKind::Rows(n), Kind::Rows(n, None), format!("pts{k}")),
                1 => (PKind::VecRows(n), Kind::Rows(n, None), format!("vs{k}")),
                2 => {
                    let m = self.rng.range(2, 3);
                    (
                        PKind::RefRows(n, m),
                        Kind::Rows(n, Some(m)),
                        format!("mat{k}"),
                    )
                }
                _ => (PKind::NoGradRows(n), Kind::Rows(n, None), format!("wr{k}")),
            };
            let mut v = self.var(cx, name.clone(), vkind, 2.0, false);
            v.param = Some(kind);
            v.nograd = kind == PKind::NoGradRows(n);
            v.active_row = !v.nograd;
            cx.declare(v);
            params.push(Param {
                name,
                kind,
                mutable: false,
            });
        }
    }

    /// Whether a row of arrays of this parameter kind can be passed on from here: a parameter
    /// of the caller's (`&[[f64; N]]` takes any row of `[f64; N]`, the others only their own
    /// kind).
    pub(super) fn rows_arg_ok(&self, vis: &[&Var], kind: PKind) -> bool {
        let has = |f: &dyn Fn(PKind) -> bool| {
            vis.iter()
                .any(|v| v.param.is_some_and(f) && v.acc.is_none())
        };
        match kind {
            PKind::Rows(n) => {
                self.opts.call_with_slices
                    && has(
                        &|p| matches!(p, PKind::Rows(m) | PKind::VecRows(m) | PKind::RefRows(m, _) if m == n),
                    )
            }
            PKind::VecRows(_) | PKind::RefRows(..) => {
                self.opts.call_with_slices && has(&|p| p == kind)
            }
            _ => has(&|p| p == kind),
        }
    }

    /// An active row of `[f64; n]` whose points may be passed by value.
    pub(super) fn row_of(v: &Var, n: usize) -> bool {
        matches!(v.kind, Kind::Rows(m, _) if m == n)
            && !v.nograd
            && v.acc.is_none()
            && v.bound <= 2.0
            && v.active_row
    }

    /// Whether a `[f64; n]` argument is a point of a row (`g(p[i])`): when there is one, 4
    /// times in 10.
    pub(super) fn row_item_arg(&mut self, vis: &[Var], n: usize) -> bool {
        vis.iter().any(|v| Self::row_of(v, n)) && self.rng.chance(0.4)
    }

    /// The rows of arrays readable here.
    fn rows_vars(cx: &Ctx) -> Vec<Var> {
        cx.readable(|k| matches!(k, Kind::Rows(..)))
    }

    pub(super) fn has_rows(&self, cx: &Ctx) -> bool {
        !Self::rows_vars(cx).is_empty()
    }

    /// The most points of a row of arrays.
    fn rows_hi(v: &Var) -> usize {
        match v.kind {
            Kind::Rows(_, Some(m)) => m,
            _ => ROWS_MAX,
        }
    }

    /// The locals that stand for a point `q` bound by reference: the hidden `q`, then `q[0]`
    /// .. `q[n - 1]` and `q[q.len() - 1]`.
    fn point_vars(&self, cx: &Ctx, q: &str, n: usize, v: &Var) -> Vec<Var> {
        let mut vars = self.window_vars(cx, q, n, v.bound);
        for x in &mut vars {
            x.nograd = v.nograd;
        }
        vars
    }

    /// The locals that stand for a window `w` of `m` points of `n` coordinates: the hidden
    /// `w`, then `w[a][j]` and `w[w.len() - 1][j]`.
    fn window_point_vars(&self, cx: &Ctx, w: &str, m: usize, n: usize, v: &Var) -> Vec<Var> {
        let mut hidden = self.var(cx, w.to_string(), Kind::F, v.bound, false);
        hidden.acc = Some(WINDOW);
        hidden.nograd = v.nograd;
        let mut vars = vec![hidden];
        let mut add = |name: String| {
            let mut x = self.var(cx, name, Kind::F, v.bound, false);
            x.nograd = v.nograd;
            vars.push(x);
        };
        for a in 0..m {
            for j in 0..n {
                add(format!("{w}[{a}][{j}]"));
            }
        }
        add(format!("{w}[{w}.len() - 1][{}]", n - 1));
        vars
    }

    fn point_name(&mut self) -> String {
        self.fresh += 1;
        format!("{}{}", self.rng.pick(&["pt", "qv", "row"]), self.fresh)
    }

    /// A walk over `p`, its text, and the most items.
    fn walk(&mut self, p: &Var, as_loop: bool) -> (Walk, String, usize) {
        let hi = Self::rows_hi(p);
        match self.rng.weighted(&[5, 3, 2, 3]) {
            0 => {
                let text = if as_loop && self.rng.chance(0.4) {
                    p.name.clone()
                } else {
                    format!("{}.iter()", p.name)
                };
                (Walk::Ref, text, hi)
            }
            1 => {
                let text = if as_loop && self.rng.chance(0.5) {
                    p.name.clone()
                } else {
                    format!("{}.iter()", p.name)
                };
                (Walk::Val, text, hi)
            }
            2 => (Walk::Enum, format!("{}.iter().enumerate()", p.name), hi),
            _ => {
                let m = *self.rng.pick(&[1, 2, 2, 3]);
                if self.rng.chance(0.6) {
                    (
                        Walk::Win(m),
                        format!("{}.windows({m})", p.name),
                        (hi + 1).saturating_sub(m),
                    )
                } else {
                    (
                        Walk::Win(m),
                        format!("{}.chunks_exact({m})", p.name),
                        hi / m,
                    )
                }
            }
        }
    }

    /// The pattern of a walk's item and the locals it binds; `counter`: the name of the
    /// counter of an enumeration.
    fn walk_bind(
        &mut self,
        cx: &Ctx,
        p: &Var,
        walk: Walk,
        counter: &str,
        hi: usize,
    ) -> (String, Vec<Var>, Option<(String, usize)>) {
        let Kind::Rows(n, _) = p.kind else {
            unreachable!()
        };
        let q = self.point_name();
        match walk {
            Walk::Ref => (q.clone(), self.point_vars(cx, &q, n, p), None),
            Walk::Val => {
                let mut v = self.var(cx, q.clone(), Kind::Arr(n), p.bound, false);
                v.nograd = p.nograd;
                v.active_row = !p.nograd && p.active_row;
                (format!("&{q}"), vec![v], None)
            }
            Walk::Enum => {
                let mut vars = self.point_vars(cx, &q, n, p);
                let c = self.var(cx, counter.to_string(), Kind::Int, (hi - 1) as f64, false);
                vars.push(c);
                (
                    format!("({counter}, {q})"),
                    vars,
                    Some((counter.to_string(), hi - 1)),
                )
            }
            Walk::Win(m) => {
                let w = self.window_name();
                (w.clone(), self.window_point_vars(cx, &w, m, n, p), None)
            }
        }
    }

    /// The header of a `for` loop over a row of arrays parameter, with the elements it binds.
    pub(super) fn nested_header(
        &mut self,
        cx: &mut Ctx,
        info: &mut LoopInfo,
        elements: &mut Vec<Var>,
        counter: &str,
    ) -> Option<String> {
        let rows: Vec<Var> = Self::rows_vars(cx)
            .into_iter()
            .filter(|v| v.param.is_some())
            .collect();
        if rows.is_empty() {
            return None;
        }
        let p = self.rng.pick(&rows).clone();
        let hi = Self::rows_hi(&p);
        if self.rng.chance(0.25) {
            // An index loop: `p[i][j]` through `Gen::index`.
            info.counter = Some((counter.to_string(), hi - 1));
            info.over = Some(p.name.clone());
            info.trips = hi;
            return Some(format!("{counter} in 0..{}.len()", p.name));
        }
        let (walk, text, n_items) = self.walk(&p, true);
        let (pat, vars, ctr) = self.walk_bind(cx, &p, walk, counter, hi);
        if let Some(c) = ctr {
            info.counter = Some(c);
            info.over = Some(p.name.clone());
        }
        info.trips = n_items;
        for mut v in vars {
            v.level += 1;
            elements.push(v);
        }
        Some(format!("{pat} in {text}"))
    }

    /// A reduction over a row of arrays, with its bound.
    pub(super) fn rows_reduction(&mut self, cx: &Ctx, d: usize) -> Option<(E, f64)> {
        let rows = Self::rows_vars(cx);
        if rows.is_empty() {
            return None;
        }
        let p = self.rng.pick(&rows).clone();
        // Local rows (`lent-rows`) are walked through `.iter()` and windows only.
        let (walk, mut text, n_items) = self.walk(&p, false);
        if p.param.is_none() && text == p.name {
            text = format!("{}.iter()", p.name);
        }
        self.in_reduce += 1;
        let saved = std::mem::replace(&mut self.restrict, true);
        let r = self.rows_chain(cx, d, &p, walk, text, n_items);
        self.restrict = saved;
        self.in_reduce -= 1;
        r
    }

    fn rows_chain(
        &mut self,
        cx: &Ctx,
        d: usize,
        p: &Var,
        walk: Walk,
        text: String,
        n_items: usize,
    ) -> Option<(E, f64)> {
        let hi = Self::rows_hi(p);
        let counter = self.counter_name();
        let (pat, vars, ctr) = self.walk_bind(cx, p, walk, &counter, hi);
        let bound = Bound {
            pat,
            vars,
            counter: ctr,
        };
        let over = matches!(walk, Walk::Enum).then(|| p.name.clone());
        let mut ccx = self.closure_cx(cx, &bound, &[], n_items, &over);
        let (body, b) = self.closure_body(&mut ccx, d, &bound, 2.0, true)?;
        // `.fold(f64::NEG_INFINITY, f64::max)` needs an item: not over windows (`windows(3)`
        // of 2 points is empty).
        let (end, eb) = if !matches!(walk, Walk::Win(..)) && self.rng.chance(0.2) {
            let name = if self.rng.chance(0.5) { "max" } else { "min" };
            let init = if name == "max" {
                "f64::NEG_INFINITY"
            } else {
                "f64::INFINITY"
            };
            (End::FoldPath(E::Place(init.into()), name), b)
        } else {
            (End::Sum(true), b * n_items.max(1) as f64)
        };
        let r = Reduce {
            source: text,
            reads: vec![p.name.clone()],
            stages: vec![Stage::Closure(bound.pat, body)],
            end,
            proj: None,
        };
        Some((E::Reduce(Box::new(r)), eb))
    }

    /// A point copied out of a row of arrays (`let q = p[i];`, `let [a, b] = p[i];`), or a
    /// `let` of a reduction over one.
    pub(super) fn nested_stmt(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        self.restrict |= cx.reevaluated();
        let rows = Self::rows_vars(cx);
        if rows.is_empty() {
            return self.let_scalar(cx, out);
        }
        let p = self.rng.pick(&rows).clone();
        let Kind::Rows(n, m) = p.kind else {
            unreachable!()
        };
        let idx = self.index(cx, &p.name, m);
        let point = E::Place(format!("{}[{idx}]", p.name));
        match self.rng.weighted(&[4, 3, 3]) {
            0 => {
                let name = self.name();
                let ty = self.rng.chance(0.3).then(|| format!("[f64; {n}]"));
                let mut v = self.var(cx, name.clone(), Kind::Arr(n), p.bound, false);
                v.nograd = p.nograd && ty.is_none();
                v.active_row = !p.nograd && p.active_row;
                cx.declare(v);
                out.push(S::Let {
                    pat: name,
                    mutable: false,
                    ty,
                    e: point,
                });
            }
            1 => {
                let names = self.pattern_names(n);
                out.push(S::Let {
                    pat: format!("[{}]", names.join(", ")),
                    mutable: false,
                    ty: None,
                    e: point,
                });
                for nm in names {
                    if nm != "_" {
                        let mut v = self.var(cx, nm, Kind::F, p.bound, false);
                        v.nograd = p.nograd;
                        cx.declare(v);
                    }
                }
            }
            _ => {
                let Some((e, b)) = self.rows_reduction(cx, 2) else {
                    return self.let_scalar(cx, out);
                };
                let name = self.name();
                let v = self.var(cx, name.clone(), Kind::F, b, false);
                cx.declare(v);
                out.push(S::Let {
                    pat: name,
                    mutable: false,
                    ty: Some("f64".into()),
                    e,
                });
            }
        }
    }
}
