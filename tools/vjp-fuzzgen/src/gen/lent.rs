//! The `lent-rows` switch: local arrays and `Vec`s lent to a generated callee that takes a row
//! (`g(&h)`; `vjp-macro` makes a zero shadow of `h`'s shape for the callee's `_vjp` to add
//! into, and lends `&dot_h` in forward mode).
//!
//! The callee's parameter and what is lent to it: `&[f64]` a local `[f64; N]` (`N` 2 to 4) or
//! `Vec<f64>`; `&Vec<f64>` a `Vec<f64>`; `&[f64; N]` a `[f64; N]`; `&[[f64; N]]` (with
//! `nested-rows`) a local `[[f64; N]; M]` or `Vec<[f64; N]>`; `&Vec<[f64; N]>` a
//! `Vec<[f64; N]>`; `&[[f64; N]; M]` a `[[f64; N]; M]`. Locals: array literals of random
//! expressions (`let h = [a * b, x[0].sin(), 0.5];`, `[[.., ..], [.., ..]]`), `Vec`s collected
//! from a slice, array or row of arrays parameter (`let h: Vec<f64> =
//! x.iter().map(|t| ..).collect();`, `.collect::<Vec<f64>>()`, `|&t|`, `|q| [q[0] * a, ..]`),
//! and `vec![0.0; K]` / `vec![[0.0; N]; K]` (`K` a literal or `x.len()`) filled by a loop, the
//! call sometimes inside the loop that fills it (`for i in 0..h.len() { h[i] = ..;
//! acc += g(&h).tanh(); }`). Also earlier locals of those kinds, and arrays copied out of a row
//! of arrays (`let q = p[i];`, `for &q in p`), lent again, after they changed (`h[1] = ..;`,
//! `h = [..];`, and whatever other statements assign in between), in loops (where the local
//! changes every iteration) and branches. Every lent local carries derivatives (each one has
//! an active element), holds at most 2 in magnitude and has 2 to 5 elements (points), as the
//! callee's parameter may; a callee's `#[no_grad]` slice parameter that the caller has no
//! slice for gets a constant local array (`let w = [0.5, 1.25];`, lent as `&w`); now and then
//! a local is lent to two parameters of one call (`g(&h, &h)`).

use super::nested::ROWS_MAX;
use super::reduce::Bound;
use super::{bin, Ctx, Gen, Kind, PKind, Ret, Var, CALL_COST_CAP};
use crate::ast::{Body, End, Reduce, Stage, E, S};

/// What kind of local a callee's parameter takes.
#[derive(Clone, Copy, PartialEq)]
enum Want {
    /// `&[f64]`: an array (2 to 5) or a `Vec<f64>`.
    Slice,
    /// `&Vec<f64>`.
    Vec,
    /// `&[f64; N]`.
    Arr(usize),
    /// `&[[f64; N]]`: a `[[f64; N]; M]` or a `Vec<[f64; N]>`.
    Rows(usize),
    /// `&Vec<[f64; N]>`.
    VecRows(usize),
    /// `&[[f64; N]; M]`.
    ArrRows(usize, usize),
}

fn want(kind: PKind) -> Option<Want> {
    Some(match kind {
        PKind::Slice => Want::Slice,
        PKind::VecRef => Want::Vec,
        PKind::RefArr(n) => Want::Arr(n),
        PKind::Rows(n) => Want::Rows(n),
        PKind::VecRows(n) => Want::VecRows(n),
        PKind::RefRows(n, m) => Want::ArrRows(n, m),
        _ => return None,
    })
}

/// Whether local `v` can be lent to a parameter that wants `w`.
fn fits(v: &Var, w: Want) -> bool {
    if !v.active_row || v.nograd || v.param.is_some() || v.acc.is_some() || v.bound > 2.0 {
        return false;
    }
    match (w, v.kind) {
        (Want::Slice, Kind::Arr(n)) => (2..=5).contains(&n),
        (Want::Slice | Want::Vec, Kind::VecF) => true,
        (Want::Arr(n), Kind::Arr(m)) => n == m,
        (Want::Rows(n), Kind::Rows(m, _)) => n == m,
        (Want::VecRows(n), Kind::Rows(m, None)) => n == m,
        (Want::ArrRows(n, m), Kind::Rows(a, Some(b))) => n == a && m == b,
        _ => false,
    }
}

impl Gen {
    /// The functions that can be called here with a local lent to one of their parameters:
    /// (function, parameter position).
    fn lendable(&self, cx: &Ctx) -> Vec<(usize, usize)> {
        let vis = cx.visible();
        let site = 3.0
            * cx.loops
                .iter()
                .map(|l| l.trips.max(1) as f64)
                .product::<f64>();
        let mut out = Vec::new();
        for (k, f) in self.funcs.iter().enumerate() {
            if self.opts.emphasis() && site * f.cost > CALL_COST_CAP {
                continue;
            }
            for (pos, p) in f.params.iter().enumerate() {
                if want(p.kind).is_none() {
                    continue;
                }
                let others = f.params.iter().enumerate().all(|(i, q)| {
                    i == pos || q.kind == PKind::NoGradSlice || self.param_ok(&vis, q.kind)
                });
                if others {
                    out.push((k, pos));
                }
            }
        }
        out
    }

    /// A local lent to a callee: `let h = [..];` (or a `Vec`) then `let r: f64 = g(&h);`, maybe
    /// changed and lent again.
    pub(super) fn lent_stmt(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        self.restrict |= cx.reevaluated();
        let cands = self.lendable(cx);
        if cands.is_empty() {
            return self.let_scalar(cx, out);
        }
        let (k, pos) = *self.rng.pick(&cands);
        let w = want(self.funcs[k].params[pos].kind).unwrap();
        // Lent inside the loop that fills it: a `Vec` filled by a loop, a scalar callee.
        if self.funcs[k].ret == Ret::F
            && matches!(
                w,
                Want::Slice | Want::Vec | Want::Rows(_) | Want::VecRows(_)
            )
            && self.rng.chance(0.2)
        {
            if self.lend_in_fill(cx, out, k, pos, w) {
                return;
            }
            return self.let_scalar(cx, out);
        }
        let Some(h) = self.lent_local(cx, out, w) else {
            return self.let_scalar(cx, out);
        };
        if !self.lend_call(cx, out, k, pos, &h) {
            return;
        }
        // Changed, and lent again.
        let var = cx.visible().into_iter().find(|v| v.name == h).cloned();
        if let Some(var) = var {
            if var.mutable && self.rng.chance(0.5) {
                self.change_local(cx, out, &var);
                let again = self.lendable(cx);
                let same: Vec<(usize, usize)> = again
                    .into_iter()
                    .filter(|(k2, p2)| {
                        want(self.funcs[*k2].params[*p2].kind).is_some_and(|w2| fits(&var, w2))
                    })
                    .collect();
                if !same.is_empty() {
                    let (k2, p2) = *self.rng.pick(&same);
                    self.lend_call(cx, out, k2, p2, &h);
                }
            }
        }
    }

    /// Writes `let r: T = g(.., &h, ..);` for `funcs[k]` with `h` at `pos`; false when the
    /// arguments cannot be made.
    fn lend_call(&mut self, cx: &mut Ctx, out: &mut Vec<S>, k: usize, pos: usize, h: &str) -> bool {
        let Some(call) = self.lent_call_expr(cx, out, k, pos, h) else {
            return false;
        };
        let f = self.funcs[k].clone();
        let name = self.name();
        let (ty, kind) = match f.ret {
            Ret::F => ("f64", Kind::F),
            Ret::Tup2 => ("(f64, f64)", Kind::Tup2),
            Ret::Arr2 => ("[f64; 2]", Kind::Arr(2)),
        };
        out.push(S::Let {
            pat: name.clone(),
            mutable: false,
            ty: Some(ty.to_string()),
            e: call,
        });
        let v = self.var(cx, name, kind, f.out_bound, false);
        cx.declare(v);
        true
    }

    /// The call of `funcs[k]` with `&h` at `pos` (and now and then at another parameter that
    /// takes it too), constant local arrays for `#[no_grad]` slices the caller has none of.
    fn lent_call_expr(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        k: usize,
        pos: usize,
        h: &str,
    ) -> Option<E> {
        let params = self.funcs[k].params.clone();
        let mut given = vec![(pos, E::Place(format!("&{h}")))];
        let var = cx.visible().into_iter().find(|v| v.name == h).cloned();
        for (i, q) in params.iter().enumerate() {
            if i == pos {
                continue;
            }
            if q.kind == PKind::NoGradSlice {
                let has = cx
                    .visible()
                    .iter()
                    .any(|v| v.param == Some(PKind::NoGradSlice));
                if !has || self.rng.chance(0.3) {
                    // A constant row: it carries no derivative, so it goes to a `#[no_grad]`
                    // parameter.
                    self.fresh += 1;
                    let w = format!("cw{}", self.fresh);
                    let n = self.rng.range(2, 4);
                    let items: Vec<E> = (0..n)
                        .map(|_| {
                            let c = self.num();
                            if self.rng.chance(0.3) {
                                E::Neg(Box::new(E::Num(c)))
                            } else {
                                E::Num(c)
                            }
                        })
                        .collect();
                    // Typed: its elements may be read before the call, by methods that need
                    // the type (`cw[0].fract()`).
                    out.push(S::Let {
                        pat: w.clone(),
                        mutable: false,
                        ty: Some(format!("[f64; {n}]")),
                        e: E::Array(items),
                    });
                    let mut v = self.var(cx, w.clone(), Kind::Arr(n), 1.25, false);
                    v.nograd = true;
                    cx.declare(v);
                    given.push((i, E::Place(format!("&{w}"))));
                }
                continue;
            }
            // `g(&h, &h)`.
            if let (Some(w), Some(var)) = (want(q.kind), &var) {
                if fits(var, w) && self.rng.chance(0.25) {
                    given.push((i, E::Place(format!("&{h}"))));
                }
            }
        }
        let args = self.call_args_with(cx, k, 1, &given)?;
        Some(E::Call(self.funcs[k].name.clone(), args, None))
    }

    /// A new name for a lent local.
    fn lent_name(&mut self) -> String {
        self.fresh += 1;
        format!(
            "{}{}",
            self.rng.pick(&["h", "buf", "hs", "tmp"]),
            self.fresh
        )
    }

    /// A float expression of at most 2 in magnitude.
    fn item2(&mut self, cx: &Ctx) -> E {
        let e = self.expr(cx, 2);
        self.fit(e, 2.0).0
    }

    /// `n` items of at most 2 in magnitude, at least one of them active.
    fn active_items(&mut self, cx: &Ctx, n: usize) -> Option<Vec<E>> {
        let mut items: Vec<E> = (0..n).map(|_| self.item2(cx)).collect();
        // `Ctx::inactive` tells only whether the macro can type a value: a typed `let` of
        // `#[no_grad]` data counts as active there. What makes the local active for sure is a
        // read of an active parameter that no local shadows.
        let at = self.rng.below(n);
        let (p, _) = self.active_param_read(cx)?;
        let e = std::mem::replace(&mut items[at], E::Num(0.0));
        let (e, _) = self.fit((e, 2.0), 1.0);
        items[at] = self.fit((bin("+", e, p), 3.0), 2.0).0;
        Some(items)
    }

    /// A read of an active parameter (not shadowed): `x`, `y[1]`, `t.0`, `p[i][j]`.
    pub(super) fn active_param_read(&mut self, cx: &Ctx) -> Option<(E, f64)> {
        let params: Vec<Var> = cx
            .readable(|_| true)
            .into_iter()
            .filter(|v| !v.nograd && !v.by_ref && v.param.is_some_and(PKind::active))
            .collect();
        if params.is_empty() {
            return None;
        }
        let v = self.rng.pick(&params).clone();
        let e = match v.kind {
            Kind::F => E::Place(v.name.clone()),
            Kind::Tup2 => E::Place(format!("{}.{}", v.name, self.rng.below(2))),
            Kind::Arr(n) => E::Place(format!("{}[{}]", v.name, self.index(cx, &v.name, Some(n)))),
            Kind::Slice(n) => E::Place(format!("{}[{}]", v.name, self.index(cx, &v.name, n))),
            Kind::Rows(n, m) => {
                let idx = self.index(cx, &v.name, m);
                E::Place(format!("{}[{idx}][{}]", v.name, self.rng.below(n)))
            }
            _ => return None,
        };
        Some((e, v.bound))
    }

    /// An earlier local that fits, or a new one (declared into `out` and `cx`): its name.
    fn lent_local(&mut self, cx: &mut Ctx, out: &mut Vec<S>, w: Want) -> Option<String> {
        let old: Vec<String> = cx
            .readable(|_| true)
            .iter()
            .filter(|v| fits(v, w))
            .map(|v| v.name.clone())
            .collect();
        if !old.is_empty() && self.rng.chance(0.35) {
            return Some(self.rng.pick(&old).clone());
        }
        let mutable = self.rng.chance(0.4);
        let name = self.lent_name();
        let (e, ty, kind) = match w {
            Want::Arr(n) => {
                let items = self.active_items(cx, n)?;
                (E::Array(items), Some(format!("[f64; {n}]")), Kind::Arr(n))
            }
            Want::Slice if self.rng.chance(0.5) => {
                let n = self.rng.range(2, 4);
                let items = self.active_items(cx, n)?;
                (E::Array(items), Some(format!("[f64; {n}]")), Kind::Arr(n))
            }
            Want::Slice | Want::Vec => {
                if self.rng.chance(0.5) {
                    let (e, ty) = self.collected(cx, None)?;
                    (e, ty, Kind::VecF)
                } else {
                    return self.filled(cx, out, name, None, None);
                }
            }
            Want::ArrRows(n, m) => (self.point_array(cx, n, m)?, None, Kind::Rows(n, Some(m))),
            Want::Rows(n) if self.rng.chance(0.4) => {
                let m = self.rng.range(2, 4);
                (self.point_array(cx, n, m)?, None, Kind::Rows(n, Some(m)))
            }
            Want::Rows(n) | Want::VecRows(n) => {
                if self.rng.chance(0.5) {
                    let (e, ty) = self.collected(cx, Some(n))?;
                    (e, ty, Kind::Rows(n, None))
                } else {
                    return self.filled(cx, out, name, Some(n), None);
                }
            }
        };
        let ty = ty.filter(|_| self.rng.chance(0.4));
        let ty = match (&e, kind, ty) {
            // A `Vec` collected without a turbofish needs its type on the `let`.
            (E::Reduce(r), _, _) if matches!(r.end, End::Collect(None)) => match kind {
                Kind::Rows(n, _) => Some(format!("Vec<[f64; {n}]>")),
                _ => Some("Vec<f64>".to_string()),
            },
            (_, _, ty) => ty,
        };
        out.push(S::Let {
            pat: name.clone(),
            mutable,
            ty,
            e,
        });
        let mut v = self.var(cx, name.clone(), kind, 2.0, mutable);
        v.active_row = true;
        cx.declare(v);
        Some(name)
    }

    /// `[[e, e], [e, e], ..]`: `m` points of `n` coordinates, one of them active.
    fn point_array(&mut self, cx: &Ctx, n: usize, m: usize) -> Option<E> {
        let items = self.active_items(cx, n * m)?;
        let rows: Vec<E> = items.chunks(n).map(|c| E::Array(c.to_vec())).collect();
        Some(E::Array(rows))
    }

    /// `x.iter().map(|t| ..).collect()` over an active slice, array or row of arrays
    /// parameter: floats (`points == None`) or points of `n` coordinates. The type goes on the
    /// `let` (returned) or in a turbofish.
    fn collected(&mut self, cx: &Ctx, points: Option<usize>) -> Option<(E, Option<String>)> {
        let sources: Vec<Var> = cx
            .readable(|k| matches!(k, Kind::Slice(_) | Kind::Arr(_) | Kind::Rows(..)))
            .into_iter()
            .filter(|v| v.param.is_some_and(|p| p != PKind::NoGradSlice) && !v.nograd && !v.by_ref)
            .collect();
        if sources.is_empty() {
            return None;
        }
        let x = self.rng.pick(&sources).clone();
        let len = match x.kind {
            Kind::Slice(Some(n)) | Kind::Arr(n) => n,
            Kind::Rows(_, Some(m)) => m,
            _ => 5,
        };
        let (pat, vars) = match x.kind {
            Kind::Rows(n, _) => {
                let q = {
                    self.fresh += 1;
                    format!("pt{}", self.fresh)
                };
                let mut vars = self.window_vars(cx, &q, n, x.bound);
                vars.iter_mut().for_each(|v| v.nograd = false);
                (q, vars)
            }
            _ => {
                self.fresh += 1;
                let t = format!("t{}", self.fresh);
                let mut v = self.var(cx, t.clone(), Kind::F, x.bound, false);
                if self.rng.chance(0.5) {
                    (format!("&{t}"), vec![v])
                } else {
                    v.by_ref = true;
                    (t, vec![v])
                }
            }
        };
        let bound = Bound {
            pat,
            vars,
            counter: None,
        };
        self.in_reduce += 1;
        let saved = std::mem::replace(&mut self.restrict, true);
        let mut ccx = self.closure_cx(cx, &bound, &[], len, &None);
        let body = match points {
            None => self
                .closure_body(&mut ccx, 2, &bound, 2.0, true)
                .map(|b| b.0),
            Some(n) => {
                let mut lets = Vec::new();
                let mut values = Vec::new();
                let mut ok = true;
                for _ in 0..n {
                    match self.closure_body(&mut ccx, 1, &bound, 2.0, true) {
                        Some((b, _)) => {
                            lets.extend(b.lets);
                            values.push(b.value);
                        }
                        None => ok = false,
                    }
                }
                ok.then_some(Body {
                    lets,
                    value: E::Array(values),
                })
            }
        };
        self.restrict = saved;
        self.in_reduce -= 1;
        let mut body = body?;
        // The items must be read, so that the `Vec` carries derivatives.
        let mut roots = Vec::new();
        body.value.roots(&mut roots);
        body.lets.iter().for_each(|(_, e)| e.roots(&mut roots));
        if !bound.vars.iter().any(|v| roots.contains(&v.name)) {
            let v = &bound.vars[0];
            let read = match (v.kind, v.by_ref, v.acc) {
                (_, _, Some(_)) => E::Place(format!("{}[0]", v.name)),
                (_, true, _) => E::Place(format!("*{}", v.name)),
                _ => E::Place(v.name.clone()),
            };
            let slot = match &mut body.value {
                E::Array(values) => &mut values[0],
                value => value,
            };
            let e = std::mem::replace(slot, E::Num(0.0));
            let (e, _) = self.fit((e, 2.0), 1.0);
            *slot = self.fit((bin("+", e, read), 3.0), 2.0).0;
        }
        let ty = match points {
            None => "Vec<f64>".to_string(),
            Some(n) => format!("Vec<[f64; {n}]>"),
        };
        let (end, let_ty) = if self.rng.chance(0.5) {
            (End::Collect(Some(ty)), None)
        } else {
            (End::Collect(None), Some(ty))
        };
        let r = Reduce {
            source: format!("{}.iter()", x.name),
            reads: vec![x.name.clone()],
            stages: vec![Stage::Closure(bound.pat, body)],
            end,
            proj: None,
        };
        Some((E::Reduce(Box::new(r)), let_ty))
    }

    /// The size of a `vec![..; K]`: a literal from 2 to 4, or `x.len()` of a slice parameter;
    /// and its largest value.
    fn vec_size(&mut self, cx: &Ctx, points: bool) -> (String, usize) {
        let slices: Vec<Var> = cx
            .readable(|k| matches!(k, Kind::Slice(_)))
            .into_iter()
            .filter(|v| v.param.is_some())
            .collect();
        if !slices.is_empty() && self.rng.chance(0.4) {
            let x = self.rng.pick(&slices);
            let hi = match x.kind {
                Kind::Slice(Some(n)) => n,
                _ => 5,
            };
            // A row of points has at most `ROWS_MAX` of them.
            if !points || hi <= ROWS_MAX {
                return (format!("{}.len()", x.name), hi);
            }
        }
        let k = self.rng.range(2, 4);
        (k.to_string(), k)
    }

    /// `let mut h = vec![0.0; K]; for i in 0..h.len() { h[i] = ..; }` (points: `vec![[0.0; N];
    /// K]`, filled whole or by coordinate); `lend`: then a second loop that changes every
    /// element and lends `h` to `funcs[k]` at a position at every step, adding the result into
    /// an accumulator declared before it (filled first, so that the callee never sees the
    /// zeros: a callee's `atan2` of two of them would sit at the origin for every input). The
    /// name of `h`.
    fn filled(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        name: String,
        points: Option<usize>,
        lend: Option<(usize, usize)>,
    ) -> Option<String> {
        let (size, hi) = self.vec_size(cx, points.is_some());
        let zero = match points {
            None => format!("vec![0.0; {size}]"),
            Some(n) => format!("vec![[0.0; {n}]; {size}]"),
        };
        let mut stmts = vec![S::Let {
            pat: name.clone(),
            mutable: true,
            ty: None,
            e: E::Place(zero),
        }];
        let (counter, body) = self.fill_loop(cx, &name, hi, points, None)?;
        stmts.push(S::For(format!("{counter} in 0..{name}.len()"), body));
        let kind = match points {
            None => Kind::VecF,
            Some(n) => Kind::Rows(n, None),
        };
        let mut v = self.var(cx, name.clone(), kind, 2.0, true);
        v.active_row = true;
        cx.declare(v.clone());
        let mut acc = None;
        if let Some((k, pos)) = lend {
            self.fresh += 1;
            let a = format!("lacc{}", self.fresh);
            if let Some((counter, body)) = self.fill_loop(cx, &name, hi, points, Some((k, pos, &a)))
            {
                stmts.push(S::Let {
                    pat: a.clone(),
                    mutable: true,
                    ty: Some("f64".into()),
                    e: E::Num(0.0),
                });
                stmts.push(S::For(format!("{counter} in 0..{name}.len()"), body));
                acc = Some(a);
            }
        }
        out.extend(stmts);
        if let Some(a) = acc {
            let v = self.var(cx, a, Kind::F, 0.5 * hi as f64, false);
            cx.declare(v);
        }
        Some(name)
    }

    /// The body of a loop over `0..h.len()` (`hi` trips at most) that writes every element of
    /// `h` (each depending on the counter, so that no two are the same), with its counter;
    /// `lend`: the call of `funcs[k]` with `&h` at a position, added into accumulator `acc`.
    fn fill_loop(
        &mut self,
        cx: &mut Ctx,
        h: &str,
        hi: usize,
        points: Option<usize>,
        lend: Option<(usize, usize, &str)>,
    ) -> Option<(String, Vec<S>)> {
        let (counter, body) = self.in_fill_loop(cx, hi, |this, cx, counter| {
            this.fill_body(cx, h, counter, points, lend)
        });
        Some((counter, body?))
    }

    fn fill_body(
        &mut self,
        cx: &mut Ctx,
        h: &str,
        counter: &str,
        points: Option<usize>,
        lend: Option<(usize, usize, &str)>,
    ) -> Option<Vec<S>> {
        let n = points.unwrap_or(1);
        let mut items = self.active_items(cx, n)?;
        let at = self.rng.below(n);
        let e = std::mem::replace(&mut items[at], E::Num(0.0));
        let (e, _) = self.fit((e, 2.0), 1.5);
        let c = *self.rng.pick(&[0.25, 0.3, -0.25, 0.5]);
        let step = bin("*", E::Num(c), E::Int(counter.to_string()));
        items[at] = self.fit((bin("+", e, step), 3.5), 2.0).0;
        let mut body = Vec::new();
        match points {
            None => body.push(S::Assign(format!("{h}[{counter}]"), items.remove(0))),
            Some(_) if self.rng.chance(0.5) => {
                body.push(S::Assign(format!("{h}[{counter}]"), E::Array(items)))
            }
            Some(_) => {
                for (j, e) in items.into_iter().enumerate() {
                    body.push(S::Assign(format!("{h}[{counter}][{j}]"), e));
                }
            }
        }
        if let Some((k, pos, acc)) = lend {
            let mut pre = Vec::new();
            let call = self.lent_call_expr(cx, &mut pre, k, pos, h)?;
            body.extend(pre);
            let e = self.fit((call, self.funcs[k].out_bound.max(3.0)), 1.0).0;
            body.push(S::Compound(acc.to_string(), "+=", bin("*", E::Num(0.5), e)));
        }
        Some(body)
    }

    /// A `Vec` filled by a loop that lends it to `funcs[k]` at every step.
    fn lend_in_fill(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        k: usize,
        pos: usize,
        w: Want,
    ) -> bool {
        let name = self.lent_name();
        let points = match w {
            Want::Rows(n) | Want::VecRows(n) => Some(n),
            _ => None,
        };
        self.filled(cx, out, name, points, Some((k, pos))).is_some()
    }

    /// `h[j] = ..;`, `h[j][c] = ..;`, `h[j] = [..];` or `h = [..];` of a mutable local.
    fn change_local(&mut self, cx: &mut Ctx, out: &mut Vec<S>, v: &Var) {
        let h = &v.name;
        match v.kind {
            Kind::Arr(n) => {
                if self.rng.chance(0.5) {
                    let j = self.rng.below(n);
                    let e = self.item2(cx);
                    out.push(S::Assign(format!("{h}[{j}]"), e));
                } else if let Some(items) = self.active_items(cx, n) {
                    out.push(S::Assign(h.clone(), E::Array(items)));
                }
            }
            Kind::VecF => {
                let j = self.rng.below(2);
                let e = self.item2(cx);
                out.push(S::Assign(format!("{h}[{j}]"), e));
            }
            Kind::Rows(n, m) => {
                let j = self.rng.below(2);
                match (m, self.rng.below(3)) {
                    (Some(m), 0) => {
                        if let Some(e) = self.point_array(cx, n, m) {
                            out.push(S::Assign(h.clone(), e));
                        }
                    }
                    (_, 1) => {
                        if let Some(items) = self.active_items(cx, n) {
                            out.push(S::Assign(format!("{h}[{j}]"), E::Array(items)));
                        }
                    }
                    _ => {
                        let c = self.rng.below(n);
                        let e = self.item2(cx);
                        out.push(S::Assign(format!("{h}[{j}][{c}]"), e));
                    }
                }
            }
            _ => {}
        }
    }

    /// `undo-writes`: `let r: T = g(.., &h, ..);` for a callee that takes the local `h`
    /// (declared in `cx`) as it is, when there is one: the float it gives (`r`, `r.0`, `r[0]`)
    /// and its bound.
    pub(super) fn lend_undo(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        h: &str,
    ) -> Option<(E, f64)> {
        let var = cx.visible().into_iter().find(|v| v.name == h).cloned()?;
        let cands: Vec<(usize, usize)> = self
            .lendable(cx)
            .into_iter()
            .filter(|(k, p)| want(self.funcs[*k].params[*p].kind).is_some_and(|w| fits(&var, w)))
            .collect();
        if cands.is_empty() {
            return None;
        }
        let (k, pos) = *self.rng.pick(&cands);
        let before = out.len();
        if !self.lend_call(cx, out, k, pos, h) {
            return None;
        }
        let Some(S::Let { pat, .. }) = out[before..].last() else {
            return None;
        };
        let f = &self.funcs[k];
        let place = match f.ret {
            Ret::F => pat.clone(),
            Ret::Tup2 => format!("{pat}.0"),
            Ret::Arr2 => format!("{pat}[0]"),
        };
        Some((E::Place(place), f.out_bound))
    }
}
