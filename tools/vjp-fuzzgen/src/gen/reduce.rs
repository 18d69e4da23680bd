//! The `reductions` switch: iterator reductions over floats (`vjp-macro/src/lower/reduce.rs`),
//! which the macro writes as the accumulation loops they stand for, each closure's body
//! inlined.
//!
//! Sources: `x.iter()`, `x.iter().copied()`, `x.iter().enumerate()`, `x.iter().zip(..)` with
//! the other side `&y` (an array), `y`, `y.iter()` or `y.iter().copied()`, over the
//! function's active slices and arrays, and the ranges `(0..k)`, `(0..n)`, `(0..x.len())`.
//! Then 0 to 2 `.map(..)` stages: closures (`|v|`, `|&v|`, `|v: f64|`, `|(i, &v)|`,
//! `|(p, q)|`, `|i: usize|`, ...) whose bodies are random expressions of the item, the
//! captured locals and the loop counters around them, sometimes a block with a `let` of its
//! own; or the paths `f64::exp`, `f64::sin`, `f64::tanh` on `f64` items. Terminals:
//! `.sum::<f64>()`, `.product::<f64>()` of factors near 1 (or of at most five elements),
//! `.fold(init, |acc, item| ..)` (also with `acc: f64`, a contractive or `max` update, and a
//! tuple accumulator projected with `.0` / `.1`), `.fold(f64::NEG_INFINITY, f64::max)` (and
//! `min`, also from an active initial value), and the statements `let s: f64 = ...sum();`,
//! `let (a, b) = ...fold((.., ..), ..);`.
//!
//! Reductions are float expressions anywhere one may be generated (conditions the reverse
//! sweep tests again excepted, as a chain is no pure expression to the generator), also in
//! the bodies of other reductions' closures (one level deep). All functions are `f64`: the
//! generator writes no generic `T: Real` functions.
//!
//! The macro rejects a closure that reads a name an earlier closure of the same chain binds
//! (it would read the earlier parameter once inlined): parameter names are fresh, or now and
//! then the name of an outer float local, which the later closures of the chain then never
//! read.

use super::rows::WINDOW;
use super::{bin, method, Ctx, Gen, Kind, LoopInfo, PKind, Var};
use crate::ast::{Body, End, Reduce, Stage, E, S};

/// What a stage (or the fold) receives.
#[derive(Clone, Copy)]
enum Item {
    /// `&f64` (from `.iter()`), with its bound.
    Ref(f64),
    /// `f64` (`.copied()`, a map's value).
    Val(f64),
    /// `(usize, &f64)` (`.enumerate()`): the largest index, the bound.
    Enum(usize, f64),
    /// `(A, B)` (`.zip(..)`), each side by reference or not, with its bound.
    Zip((bool, f64), (bool, f64)),
    /// `usize` (a range): the largest value.
    Int(usize),
    /// A window of `windows(m)` / `chunks_exact(m)` (`rows`): `m`, the bound.
    Window(usize, f64),
}

struct Source {
    text: String,
    reads: Vec<String>,
    item: Item,
    /// The largest number of items.
    len: usize,
    /// Never empty (a `fold` with an infinite start needs an item).
    nonempty: bool,
    /// The slice whose indices a range runs over (`0..x.len()`).
    over: Option<String>,
}

/// The locals a closure's pattern binds (to declare in its body), and the loop counter.
pub(super) struct Bound {
    pub(super) pat: String,
    pub(super) vars: Vec<Var>,
    pub(super) counter: Option<(String, usize)>,
}

impl Gen {
    /// A reduction used as a float expression, with its bound; `None` when there is nothing
    /// to reduce.
    pub(super) fn reduction(&mut self, cx: &Ctx, d: usize) -> Option<(E, f64)> {
        self.in_reduce += 1;
        let saved = std::mem::replace(&mut self.restrict, true);
        let r = self.chain(cx, d, false, false);
        self.restrict = saved;
        self.in_reduce -= 1;
        r.map(|(r, b)| (E::Reduce(Box::new(r)), b))
    }

    /// `let s: f64 = ...sum();`, `let (a, b) = ...fold((.., ..), ..);`, or a `let` of a
    /// reduction expression.
    pub(super) fn reduction_let(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        self.restrict |= cx.reevaluated();
        self.in_reduce += 1;
        let saved = std::mem::replace(&mut self.restrict, true);
        let form = self.rng.weighted(&[4, 2, 3]);
        let r = self.chain(cx, 2, form == 0, form == 1);
        self.restrict = saved;
        self.in_reduce -= 1;
        let Some((r, b)) = r else {
            return self.let_scalar(cx, out);
        };
        if form == 1 {
            let (a, c) = (self.name(), self.name());
            let (a, c) = if a == c {
                (a, format!("{c}_b"))
            } else {
                (a, c)
            };
            for n in [&a, &c] {
                let v = self.var(cx, n.clone(), Kind::F, b, false);
                cx.declare(v);
            }
            out.push(S::Let {
                pat: format!("({a}, {c})"),
                mutable: false,
                ty: None,
                e: E::Reduce(Box::new(r)),
            });
            return;
        }
        let mutable = self.rng.chance(0.2);
        let name = self.name();
        let ty = (form == 0 || self.rng.chance(0.2)).then(|| "f64".to_string());
        let v = self.var(cx, name.clone(), Kind::F, b, mutable);
        cx.declare(v);
        out.push(S::Let {
            pat: name,
            mutable,
            ty,
            e: E::Reduce(Box::new(r)),
        });
    }

    /// A chain and the bound of its value. `untyped`: `.sum()` / `.product()` without the
    /// turbofish (for `let s: f64 = ..`); `pair`: a fold with a tuple accumulator, not
    /// projected.
    fn chain(&mut self, cx: &Ctx, d: usize, untyped: bool, pair: bool) -> Option<(Reduce, f64)> {
        let src = self.reduce_source(cx)?;
        let mut item = src.item;
        let n = src.len as f64;
        // The names earlier closures bind, which later ones may not read.
        let mut banned: Vec<String> = Vec::new();
        let mut stages = Vec::new();
        // The local closures given by name.
        let mut reads: Vec<String> = Vec::new();
        let min_stages = usize::from(matches!(item, Item::Int(_)));
        let count = self.rng.weighted(&[3, 4, 2]).max(min_stages);
        // What the terminal is: 0 sum, 1 product, 2 fold, 3 fold with a path, 4 pair fold.
        let end = if pair {
            4
        } else if untyped {
            self.rng.weighted(&[3, 1])
        } else {
            self.rng.weighted(&[5, 2, 4, 2, 1])
        };
        for k in 0..count {
            let last = k + 1 == count;
            // A local closure by name (`closures`): `.map(f)`.
            if self.opts.closures && !(last && end == 1) && self.rng.chance(0.6) {
                let (val, int) = match item {
                    Item::Val(b) => (Some(b), None),
                    Item::Int(n) => (None, Some(n)),
                    _ => (None, None),
                };
                if let Some((name, b)) = self.local_by_name(cx, val, int, &banned, &src.over) {
                    stages.push(Stage::Local(name.clone()));
                    reads.push(name);
                    item = Item::Val(b);
                    continue;
                }
            }
            let path = matches!(item, Item::Val(_)) && self.rng.chance(0.25);
            if path {
                let Item::Val(b) = item else { unreachable!() };
                let names: &[&'static str] = if b <= 2.5 && !(last && end == 1) {
                    &["exp", "sin", "tanh"]
                } else {
                    &["sin", "tanh"]
                };
                let name = *self.rng.pick(names);
                let b = if name == "exp" { b.exp() } else { b.min(1.0) };
                stages.push(Stage::Path(name));
                item = Item::Val(b);
                continue;
            }
            let bound = self.bind_item(cx, item, &banned);
            let mut ccx = self.closure_cx(cx, &bound, &banned, src.len, &src.over);
            let cap = if last && end == 1 { 1.0 } else { 2.0 };
            let first_int = matches!(item, Item::Int(_));
            let (body, b) = self.closure_body(&mut ccx, d, &bound, cap, first_int)?;
            let (body, b) = if last && end == 1 {
                // Factors near 1, so that the product stays tame.
                let c = *self.rng.pick(&[0.1, 0.2, 0.3]);
                let value = bin("+", E::Num(1.0), bin("*", E::Num(c), body.value));
                (
                    Body {
                        lets: body.lets,
                        value,
                    },
                    1.0 + c * b,
                )
            } else {
                (body, b)
            };
            banned.extend(bound.vars.iter().map(|v| v.name.clone()));
            stages.push(Stage::Closure(bound.pat, body));
            item = Item::Val(b);
        }
        let flat = matches!(item, Item::Ref(_) | Item::Val(_));
        let (end, bound, proj) = match end {
            0 | 1 if flat => {
                let b = match item {
                    Item::Ref(b) | Item::Val(b) => b,
                    _ => unreachable!(),
                };
                if end == 0 || (stages.is_empty() && b > 2.0) {
                    (End::Sum(!untyped), n * b, None)
                } else {
                    (End::Product(!untyped), b.max(1.0).powf(n), None)
                }
            }
            3 if matches!(item, Item::Val(_)) && src.nonempty => {
                let Item::Val(b) = item else { unreachable!() };
                let name = if self.rng.chance(0.6) { "max" } else { "min" };
                let (init, ib) = if self.rng.chance(0.7) {
                    let inf = if name == "max" {
                        "f64::NEG_INFINITY"
                    } else {
                        "f64::INFINITY"
                    };
                    (E::Place(inf.into()), 0.0)
                } else {
                    self.reduce_init(cx)
                };
                (End::FoldPath(init, name), b.max(ib), None)
            }
            4 if pair || self.rng.chance(0.5) => {
                let (end, b) = self.pair_fold(cx, d, item, &banned, &src)?;
                let proj = (!pair).then(|| format!(".{}", self.rng.below(2)));
                (end, b, proj)
            }
            _ if untyped => return None,
            _ => {
                let (end, b) = self.fold(cx, d, item, &banned, &src)?;
                (end, b, None)
            }
        };
        let mut all_reads = src.reads;
        all_reads.extend(reads);
        let r = Reduce {
            source: src.text,
            reads: all_reads,
            stages,
            end,
            proj,
        };
        Some((r, bound))
    }

    /// A source over the active slices and arrays, or a range.
    fn reduce_source(&mut self, cx: &Ctx) -> Option<Source> {
        let arrays: Vec<Var> = cx
            .readable(|k| matches!(k, Kind::Slice(_) | Kind::Arr(_)))
            .into_iter()
            .filter(|v| !v.nograd && v.param != Some(PKind::NoGradSlice) && !v.by_ref)
            .collect();
        let ints: Vec<Var> = cx
            .readable(|k| k == Kind::Int)
            .into_iter()
            .filter(|v| v.bound <= 6.0 && !v.not_usize)
            .collect();
        let len_of = |v: &Var| match v.kind {
            Kind::Slice(Some(n)) | Kind::Arr(n) => n,
            _ => 5,
        };
        let has = if arrays.is_empty() { 0 } else { 1 };
        // Without `reductions`, `rows` writes reductions over rows and windows only.
        let old = u32::from(self.opts.reductions);
        let rows = u32::from(self.opts.rows) * has;
        let weights = [
            5 * has * old,
            3 * has * old,
            3 * has * old,
            4 * has * old,
            4 * old,
            8 * rows,
            3 * rows,
        ];
        if weights.iter().sum::<u32>() == 0 {
            return None;
        }
        let kind = self.rng.weighted(&weights);
        if kind >= 5 {
            let x = arrays[self.rng.below(arrays.len())].clone();
            return self.row_source(cx, &x, &arrays, kind == 6);
        }
        let pick = |g: &mut Gen| arrays[g.rng.below(arrays.len())].clone();
        Some(match kind {
            0..=2 => {
                let x = pick(self);
                let b = x.bound;
                let (suffix, item) = match kind {
                    0 => ("", Item::Ref(b)),
                    1 => (".copied()", Item::Val(b)),
                    _ => (".enumerate()", Item::Enum(len_of(&x) - 1, b)),
                };
                // An index of `enumerate` indexes the slice it runs over.
                let over = (kind == 2).then(|| x.name.clone());
                Source {
                    text: format!("{}.iter(){suffix}", x.name),
                    reads: vec![x.name.clone()],
                    item,
                    len: len_of(&x),
                    nonempty: true,
                    over,
                }
            }
            3 => {
                let x = pick(self);
                let y = pick(self);
                let copied = self.rng.chance(0.25);
                let (other, by_ref) = match self.rng.below(4) {
                    0 if matches!(y.kind, Kind::Arr(_)) => (format!("&{}", y.name), true),
                    0 | 1 => (y.name.clone(), !matches!(y.kind, Kind::Arr(_))),
                    2 => (format!("{}.iter()", y.name), true),
                    _ => (format!("{}.iter().copied()", y.name), false),
                };
                let first = if copied { ".copied()" } else { "" };
                Source {
                    text: format!("{}.iter(){first}.zip({other})", x.name),
                    reads: vec![x.name.clone(), y.name.clone()],
                    item: Item::Zip((!copied, x.bound), (by_ref, y.bound)),
                    len: len_of(&x).min(len_of(&y)),
                    nonempty: true,
                    over: None,
                }
            }
            _ => {
                let r = self.rng.below(4);
                if r == 0 && !ints.is_empty() {
                    let n = self.rng.pick(&ints).clone();
                    Source {
                        text: format!("(0..{})", n.name),
                        reads: vec![],
                        item: Item::Int((n.bound as usize).max(1) - 1),
                        len: n.bound as usize,
                        nonempty: false,
                        over: None,
                    }
                } else if r == 1 && !arrays.is_empty() {
                    let x = pick(self);
                    Source {
                        text: format!("(0..{}.len())", x.name),
                        reads: vec![],
                        item: Item::Int(len_of(&x) - 1),
                        len: len_of(&x),
                        nonempty: true,
                        over: Some(x.name.clone()),
                    }
                } else {
                    let k = self.rng.range(1, 4);
                    Source {
                        text: format!("(0..{k})"),
                        reads: vec![],
                        item: Item::Int(k - 1),
                        len: k,
                        nonempty: true,
                        over: None,
                    }
                }
            }
        })
    }

    /// A source over a row of `x` (maybe enumerated, or zipped with a row of one of
    /// `arrays`, maybe reversed), or over its windows (`rows`).
    fn row_source(&mut self, cx: &Ctx, x: &Var, arrays: &[Var], windows: bool) -> Option<Source> {
        if windows {
            let (text, m, lo, hi) = self.windows(x, &None);
            return Some(Source {
                text,
                reads: vec![x.name.clone()],
                item: Item::Window(m, x.bound),
                len: hi,
                nonempty: lo >= 1,
                over: None,
            });
        }
        let form = self.rng.weighted(&[5, 2, 3]);
        // An enumerated item is `(usize, &f64)`: the patterns `bind_item` writes.
        let row = self.row(cx, x, None, false, form != 1)?;
        let rev = if self.rng.chance(0.3) { ".rev()" } else { "" };
        let mut reads = vec![x.name.clone()];
        let (text, item, len, lo, over) = match form {
            1 => (
                format!("{}.enumerate(){rev}", row.text),
                Item::Enum(row.hi - 1, row.bound),
                row.hi,
                row.lo,
                Some(x.name.clone()),
            ),
            2 => {
                let y = arrays[self.rng.below(arrays.len())].clone();
                let other = self.row(cx, &y, None, true, true)?;
                reads.push(y.name.clone());
                (
                    format!("{}.zip({}){rev}", row.text, other.text),
                    Item::Zip((!row.by_value, row.bound), (!other.by_value, other.bound)),
                    row.hi.min(other.hi),
                    row.lo.min(other.lo),
                    None,
                )
            }
            _ => {
                let item = if row.by_value {
                    Item::Val(row.bound)
                } else {
                    Item::Ref(row.bound)
                };
                (format!("{}{rev}", row.text), item, row.hi, row.lo, None)
            }
        };
        Some(Source {
            text,
            reads,
            item,
            len,
            nonempty: lo >= 1,
            over,
        })
    }

    /// A name for a closure's float parameter: fresh, or now and then the name of an outer
    /// float local (shadowed in this closure; no later closure of the chain reads it).
    fn param_name(&mut self, cx: &Ctx, banned: &[String], taken: &[String]) -> String {
        if !self.fresh_only && self.rng.chance(0.15) {
            let outer: Vec<String> = cx
                .visible()
                .iter()
                .filter(|v| v.kind == Kind::F && !banned.contains(&v.name))
                // Not a window or its reads (`rows`).
                .filter(|v| v.acc != Some(WINDOW) && !v.name.contains('['))
                .map(|v| v.name.clone())
                .filter(|n| !taken.contains(n))
                .collect();
            if !outer.is_empty() {
                return self.rng.pick(&outer).clone();
            }
        }
        self.fresh += 1;
        let base = *self.rng.pick(&["v", "u", "p", "q", "y"]);
        format!("{base}{}", self.fresh)
    }

    /// A pattern for `item`, with the locals it binds.
    fn bind_item(&mut self, cx: &Ctx, item: Item, banned: &[String]) -> Bound {
        let mut vars = Vec::new();
        let float = |g: &mut Gen, vars: &mut Vec<Var>, by_ref: bool, b: f64| -> String {
            let taken: Vec<String> = vars.iter().map(|v: &Var| v.name.clone()).collect();
            let name = g.param_name(cx, banned, &taken);
            let mut v = g.var(cx, name.clone(), Kind::F, b, false);
            v.by_ref = by_ref;
            vars.push(v);
            name
        };
        let mut counter = None;
        let pat = match item {
            Item::Ref(b) => match self.rng.below(3) {
                0 => float(self, &mut vars, true, b),
                1 => format!("&{}", float(self, &mut vars, false, b)),
                _ => format!("{}: &f64", float(self, &mut vars, true, b)),
            },
            Item::Val(b) => {
                let v = float(self, &mut vars, false, b);
                if self.rng.chance(0.25) {
                    format!("{v}: f64")
                } else {
                    v
                }
            }
            Item::Enum(n, b) => {
                let i = if self.rng.chance(0.2) {
                    "_".to_string()
                } else {
                    let i = self.counter_name();
                    let v = self.var(cx, i.clone(), Kind::Int, n as f64, false);
                    vars.push(v);
                    counter = Some((i.clone(), n));
                    i
                };
                if self.rng.chance(0.6) {
                    format!("({i}, &{})", float(self, &mut vars, false, b))
                } else {
                    format!("({i}, {})", float(self, &mut vars, true, b))
                }
            }
            Item::Zip((ra, ba), (rb, bb)) => {
                let deref_a = ra && self.rng.chance(0.5);
                let deref_b = rb && self.rng.chance(0.5);
                let a = float(self, &mut vars, ra && !deref_a, ba);
                let b = float(self, &mut vars, rb && !deref_b, bb);
                let amp = |d: bool| if d { "&" } else { "" };
                format!("({}{a}, {}{b})", amp(deref_a), amp(deref_b))
            }
            Item::Window(m, b) => {
                let w = self.window_name();
                vars.extend(self.window_vars(cx, &w, m, b));
                w
            }
            Item::Int(n) => {
                let i = self.counter_name();
                let v = self.var(cx, i.clone(), Kind::Int, n as f64, false);
                vars.push(v);
                counter = Some((i.clone(), n));
                if self.rng.chance(0.25) {
                    format!("{i}: usize")
                } else {
                    i
                }
            }
        };
        Bound { pat, vars, counter }
    }

    /// The context of a closure's body: a loop around the outer one, without the locals an
    /// earlier closure's parameter names, with the closure's parameters.
    pub(super) fn closure_cx(
        &mut self,
        cx: &Ctx,
        bound: &Bound,
        banned: &[String],
        trips: usize,
        over: &Option<String>,
    ) -> Ctx {
        let mut ccx = cx.clone();
        for scope in &mut ccx.scopes {
            scope.retain(|v| !banned.contains(&v.name));
        }
        ccx.depth += 1;
        self.loop_ids += 1;
        ccx.loops.push(LoopInfo {
            id: self.loop_ids,
            counter: bound.counter.clone(),
            over: over.clone(),
            trips,
        });
        let mut scope = Vec::new();
        for v in &bound.vars {
            let mut v = v.clone();
            v.level = ccx.level();
            scope.push(v);
        }
        ccx.scopes.push(scope);
        ccx
    }

    /// A read of a closure parameter.
    fn param_read(v: &Var) -> E {
        match (v.kind, v.by_ref) {
            (Kind::Int, _) => E::Int(v.name.clone()),
            (_, true) => E::Place(format!("*{}", v.name)),
            _ => E::Place(v.name.clone()),
        }
    }

    /// A closure's body over `bound`'s parameters, squashed to `cap`: mostly reading a
    /// parameter, sometimes a block with a `let` of its own. `active`: the body must read an
    /// active value (the parameters are integers).
    pub(super) fn closure_body(
        &mut self,
        ccx: &mut Ctx,
        d: usize,
        bound: &Bound,
        cap: f64,
        active: bool,
    ) -> Option<(Body, f64)> {
        let d = d.clamp(1, 2);
        for _ in 0..8 {
            let mut lets = Vec::new();
            let mut scope_pushed = false;
            if self.rng.chance(0.25) {
                let (e, b) = self.expr(ccx, d);
                let (e, b) = self.fit((e, b), 4.0);
                self.fresh += 1;
                let name = format!("t{}", self.fresh);
                let mut v = self.var(ccx, name.clone(), Kind::F, b, false);
                // A copy of an untyped plain result is untyped too: the macro cannot tell a
                // callee that it is a float (seed 118000, f100).
                v.untyped_plain = ccx.reads_untyped_plain(&e);
                ccx.scopes.push(vec![v]);
                scope_pushed = true;
                lets.push((name, e));
            }
            let (mut value, mut b) = self.expr(ccx, d);
            let mut roots = Vec::new();
            value.roots(&mut roots);
            lets.iter().for_each(|(_, e)| e.roots(&mut roots));
            let reads_param = bound.vars.iter().any(|v| roots.contains(&v.name));
            // A window's reads, not the window (`rows`; a read `w[0]` has the root `w`).
            // Not a point bound by value either (`nested-rows`: `|&q|`, read as `q[j]`).
            let params: Vec<&Var> = bound
                .vars
                .iter()
                .filter(|v| v.acc != Some(WINDOW) && matches!(v.kind, Kind::F | Kind::Int))
                .collect();
            if !reads_param && !params.is_empty() && self.rng.chance(0.8) {
                let v = params[self.rng.below(params.len())];
                let p = Self::param_read(v);
                let (p, bp) = if v.kind == Kind::Int {
                    (bin("*", E::Num(0.5), p), 0.5 * v.bound)
                } else {
                    (p, v.bound)
                };
                let (value2, b2) = if self.rng.chance(0.5) {
                    let (value, b) = self.fit((value, b), 4.0);
                    (bin("*", p, value), bp * b)
                } else {
                    let op = *self.rng.pick(&["+", "-"]);
                    (bin(op, value, p), b + bp)
                };
                value = value2;
                b = b2;
            }
            // A block's `let` is mostly read by its value.
            if let Some((t, _)) = lets.first() {
                let mut roots = Vec::new();
                value.roots(&mut roots);
                if !roots.contains(t) && self.rng.chance(0.8) {
                    let tb = ccx.scopes.last().map_or(4.0, |s| s[0].bound);
                    let (v2, b2) = self.fit((value, b), 4.0);
                    value = bin("*", E::Place(t.clone()), v2);
                    b = tb * b2;
                }
            }
            let (value, b) = self.fit((value, b), cap);
            if scope_pushed {
                ccx.scopes.pop();
            }
            let body = Body { lets, value };
            if active {
                let exprs: Vec<&E> = body.lets.iter().map(|(_, e)| e).collect();
                let reads_active =
                    !ccx.inactive(&body.value) || exprs.into_iter().any(|e| !ccx.inactive(e));
                if !reads_active {
                    continue;
                }
            }
            return Some((body, b));
        }
        None
    }

    /// A fold's initial value from the outer locals: a literal or an expression.
    fn reduce_init(&mut self, cx: &Ctx) -> (E, f64) {
        if self.rng.chance(0.4) {
            let c = *self.rng.pick(&[0.0, 0.0, 1.0, 0.5]);
            return (E::Num(c), c);
        }
        let (e, b) = self.expr(cx, 1);
        self.fit((e, b), 2.0)
    }

    /// `.fold(init, |acc, item| ..)` with a float accumulator.
    fn fold(
        &mut self,
        cx: &Ctx,
        d: usize,
        item: Item,
        banned: &[String],
        src: &Source,
    ) -> Option<(End, f64)> {
        let (init, ib) = self.reduce_init(cx);
        let bound = self.bind_item(cx, item, banned);
        let mut ccx = self.closure_cx(cx, &bound, banned, src.len, &src.over);
        // Over integers, the body reads an active value (a range is never folded without a
        // map today, but keep the chain active whatever the start).
        let active = matches!(item, Item::Int(_));
        let (body, b) = self.closure_body(&mut ccx, d, &bound, 2.0, active)?;
        // The accumulator: fresh, so that the body's random expressions never read it.
        self.fresh += 1;
        let acc = format!("s{}", self.fresh);
        let a = E::Place(acc.clone());
        let n = src.len as f64;
        let (value, bound_out, typed) = match self.rng.weighted(&[4, 2, 2, 1]) {
            0 => (bin("+", a, body.value), ib + n * b, false),
            1 => {
                let c = *self.rng.pick(&[0.5, 0.9]);
                (
                    bin("+", bin("*", E::Num(c), a), body.value),
                    ib + n * b,
                    false,
                )
            }
            2 => {
                let k = self.num();
                let inner = bin("+", bin("*", a, body.value), E::Num(k));
                let f = *self.rng.pick(&["sin", "cos", "tanh"]);
                (
                    bin("*", E::Num(0.5), method(f, inner, vec![])),
                    ib.max(0.5),
                    true,
                )
            }
            _ => {
                let f = if self.rng.chance(0.5) { "max" } else { "min" };
                (E::Traced(f, Box::new(a), vec![body.value]), ib.max(b), true)
            }
        };
        let acc_pat = if typed || self.rng.chance(0.15) {
            format!("{acc}: f64")
        } else {
            acc
        };
        let body = Body {
            lets: body.lets,
            value,
        };
        Some((End::Fold(init, acc_pat, bound.pat, body), bound_out))
    }

    /// `.fold((a, b), |(s, q), item| (s + e1, q + e2))`: a tuple accumulator.
    fn pair_fold(
        &mut self,
        cx: &Ctx,
        d: usize,
        item: Item,
        banned: &[String],
        src: &Source,
    ) -> Option<(End, f64)> {
        let (i1, b1) = self.reduce_init(cx);
        let (i2, b2) = self.reduce_init(cx);
        let bound = self.bind_item(cx, item, banned);
        let mut ccx = self.closure_cx(cx, &bound, banned, src.len, &src.over);
        let int = matches!(item, Item::Int(_));
        let (e1, be1) = self.closure_body(&mut ccx, d, &bound, 2.0, int)?;
        let (e2, be2) = self.closure_body(&mut ccx, d.min(1), &bound, 2.0, false)?;
        self.fresh += 1;
        let (s, q) = (format!("s{}", self.fresh), format!("q{}", self.fresh));
        let n = src.len as f64;
        let second = if self.rng.chance(0.5) {
            bin("+", E::Place(q.clone()), e2.value)
        } else {
            // A contractive second component.
            let c = *self.rng.pick(&[0.5, 0.9]);
            bin("+", bin("*", E::Num(c), E::Place(q.clone())), e2.value)
        };
        let mut lets = e1.lets;
        lets.extend(e2.lets);
        let body = Body {
            lets,
            value: E::Tuple(vec![bin("+", E::Place(s.clone()), e1.value), second]),
        };
        let bound_out = (b1 + n * be1).max(b2 + n * be2);
        Some((
            End::Fold(
                E::Tuple(vec![i1, i2]),
                format!("({s}, {q})"),
                bound.pat,
                body,
            ),
            bound_out,
        ))
    }
}
