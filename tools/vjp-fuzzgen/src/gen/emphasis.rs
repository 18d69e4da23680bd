//! The emphasis switches: shapes that particular code paths of the macro handle, generated on
//! purpose rather than by chance.
//!
//! - `fused-loops`: a function built around a `for` loop among its own statements whose
//!   outer state is only accumulators (`s += e`, `s = s - e`, also in branches), used linearly
//!   after it (`(a - 2.0 * b) / n`, `c + s - k * t`), which `vjp-macro/src/fuse.rs` runs
//!   forward and backward in one pass; and, in about a quarter of them, one thing that must
//!   keep it from fusing (a `continue`, a product, an accumulator added to in an inner loop, a
//!   nonlinear use after the loop, an active divisor, an early `return`).
//! - `invariant-reads`: element reads inside a loop from an array and at an index both
//!   defined before it (the macro sums their adjoints in a local and adds it once after the
//!   loop, only when non-zero); also in branches, and at an index out of bounds in a loop that
//!   never runs or a branch never taken (where neither the function nor its adjoint may
//!   evaluate it).
//! - `stepped-counters`: an integer that a range loop steps by a literal once per iteration
//!   (`l += 1`, `l = l + 2`, `k -= 1`) and reads as an index, which the reverse steps back
//!   instead of saving; the packed-triangle walk of a nested loop; and counters that must not
//!   be stepped back (updated in a branch only, skipped by a `continue`, in a loop that is not
//!   over a range).
//! - `carried-counters` (in `carried.rs`): a counter stepped in the innermost of nested loops
//!   and carried by the loops around it; here, only its place among a fused loop's pieces.
//!
//! Every index these constructs write is in bounds whenever it is evaluated (the out-of-bounds
//! ones sit where they never are), and every value keeps the generator's magnitude bounds.

use super::{bin, Ctx, Gen, Kind, LoopInfo, Ret, Var};
use crate::ast::{C, E, S};

/// What keeps a fused-loop function from fusing, if anything.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Miss {
    None,
    /// `if c { continue; }` (or `break`) in the loop's body.
    Jump,
    /// The accumulators are ordinary values after the loop (the code after it may use them
    /// in any way).
    Nonlinear,
    /// An accumulator is also added to inside an inner loop.
    InnerAcc,
    /// An accumulator is also scaled (`s *= 0.5`): a product, not a sum.
    Scale,
    /// A result multiplied or divided by an active value after the loop (whose adjoint reads
    /// the result).
    ActiveFactor,
    /// Early `return`s allowed, before or after the loop.
    Return,
}

/// The pieces of a fused loop's body, in a random order.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Piece {
    InnerLoop,
    ZeroArray,
    Branch,
    Call,
    Stepped,
    Invariant,
    Random,
    Acc,
    InnerAcc,
    Scale,
    Jump,
    /// A read at the loop's own stepped counter.
    StepRead,
    /// Nested loops carrying a counter (`carried-counters`), maybe the fused loop's own.
    Carried,
    /// A loop writing elements of an aggregate it reads (`undo-writes`).
    Undo,
}

impl Gen {
    /// The arrays and slices that can be read, with their length when it is fixed.
    pub(super) fn indexables(&self, cx: &Ctx, active_only: bool) -> Vec<(Var, Option<usize>)> {
        cx.readable(|k| matches!(k, Kind::Arr(_) | Kind::Slice(_)))
            .into_iter()
            .filter(|v| !active_only || !v.nograd)
            .map(|v| {
                let len = match v.kind {
                    Kind::Arr(n) => Some(n),
                    Kind::Slice(n) => n,
                    _ => None,
                };
                (v, len)
            })
            .collect()
    }

    /// The `usize` parameters (at most 4).
    pub(super) fn int_params(&self, cx: &Ctx) -> Vec<String> {
        cx.readable(|k| k == Kind::Int)
            .into_iter()
            .filter(|v| v.param.is_some())
            .map(|v| v.name)
            .collect()
    }

    /// An integer expression that is a valid index into `a` (of length `len` if fixed, else a
    /// slice of 2 to 5 elements), and its largest value.
    fn valid_index(&mut self, a: &str, len: Option<usize>, ints: &[String]) -> (String, usize) {
        let int_w = if ints.is_empty() { 0 } else { 3 };
        match len {
            None => match self.rng.weighted(&[3, 2, 2, 2, int_w]) {
                0 => (format!("{a}.len() - 1"), 4),
                1 => (format!("{a}.len() / 2"), 2),
                2 => {
                    let k = self.rng.below(2);
                    (k.to_string(), k)
                }
                3 => (format!("{a}.len() - 2"), 3),
                _ => (format!("{} % {a}.len()", self.rng.pick(ints)), 4),
            },
            Some(n) => match self.rng.weighted(&[3, 2, 2, int_w]) {
                0 => {
                    let k = self.rng.below(n);
                    (k.to_string(), k)
                }
                1 => (format!("{a}.len() - 1"), n - 1),
                2 => ((n - 1).to_string(), n - 1),
                _ => (format!("{} % {n}", self.rng.pick(ints)), n - 1),
            },
        }
    }

    /// `let k = ..;`: a valid index into an array or slice in scope, which [`Gen::index`] then
    /// picks inside the loops that follow (a loop-invariant read).
    pub(super) fn invariant_index(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        let arrays = self.indexables(cx, false);
        if arrays.is_empty() {
            return;
        }
        let (a, len) = self.rng.pick(&arrays).clone();
        let ints = self.int_params(cx);
        let k = self.counter_name();
        let (expr, max) = self.valid_index(&a.name, len, &ints);
        out.push(S::Raw(format!("let {k} = {expr};")));
        let mut v = self.var(cx, k, Kind::Int, max as f64, false);
        v.index_for = Some((a.name.clone(), len, None));
        cx.declare(v);
    }

    /// A `for` over a range that the macro can run backwards: the header, the largest trip
    /// count and counter value, and the `usize` parameter for `0..n`.
    fn range_header(&mut self, cx: &Ctx, counter: &str) -> (String, usize, usize, Option<String>) {
        let ints = self.int_params(cx);
        let int_w = if ints.is_empty() { 0 } else { 2 };
        match self.rng.weighted(&[4, 2, 2, int_w]) {
            0 => {
                let k = self.rng.range(1, 4);
                (format!("{counter} in 0..{k}"), k, k - 1, None)
            }
            1 => {
                let k = self.rng.range(2, 4);
                (format!("{counter} in (0..{k}).rev()"), k, k - 1, None)
            }
            2 => {
                let k = self.rng.range(1, 4);
                (format!("{counter} in 1..={k}"), k, k, None)
            }
            _ => {
                let n = self.rng.pick(&ints).clone();
                (format!("{counter} in 0..{n}"), 4, 3, Some(n))
            }
        }
    }

    /// Enters a loop's body: its info, a scope with its counter.
    pub(super) fn open_loop(&mut self, cx: &mut Ctx, info: &LoopInfo) {
        cx.loops.push(info.clone());
        cx.scopes.push(Vec::new());
        cx.depth += 1;
        if let Some((c, max)) = &info.counter {
            cx.declare(self.var(cx, c.clone(), Kind::Int, *max as f64, false));
        }
    }

    pub(super) fn close_loop(cx: &mut Ctx) {
        cx.depth -= 1;
        cx.scopes.pop();
        cx.loops.pop();
    }

    /// The accumulators of loop `id` become readable after it (hidden from ordinary
    /// expressions when `linear`).
    pub(super) fn release_accs(cx: &mut Ctx, id: usize, trips: usize, linear: bool) {
        for scope in cx.scopes.iter_mut() {
            for v in scope.iter_mut() {
                if v.acc == Some(id) {
                    v.acc = None;
                    v.bound += v.growth * trips.max(1) as f64;
                    v.growth = 0.0;
                    v.linear = linear;
                }
            }
        }
    }

    /// A name for a new local that is none of `avoid` (which it would shadow).
    pub(super) fn name_avoiding(&mut self, avoid: &[&str]) -> String {
        loop {
            let name = self.name();
            if !avoid.contains(&name.as_str()) {
                return name;
            }
        }
    }

    /// `let mut s = ..;`, an accumulator of loop `id`, not named as one of `avoid`.
    pub(super) fn new_acc(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        id: usize,
        avoid: &[&str],
    ) -> String {
        self.new_acc_from(cx, out, id, avoid, false)
    }

    /// `new_acc`, from an active value when `active` (not a constant zero: an accumulator
    /// that a loop never adds to would stay one).
    fn new_acc_from(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        id: usize,
        avoid: &[&str],
        active: bool,
    ) -> String {
        let name = self.name_avoiding(avoid);
        let zero = if active { 0.0 } else { 0.5 };
        self.declare_acc(cx, out, id, name, zero)
    }

    /// `let mut NAME = ..;`, a float accumulator of loop `id`: a constant zero with chance
    /// `zero`, else a random expression.
    pub(super) fn declare_acc(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        id: usize,
        name: String,
        zero: f64,
    ) -> String {
        // No draw for `zero == 0.0`: the generated programs of a seed stay what they were.
        let (e, b) = if zero > 0.0 && self.rng.chance(zero) {
            (E::Num(0.0), 0.0)
        } else {
            let (e, b) = self.expr(cx, 1);
            self.fit((e, b), 4.0)
        };
        let ty = matches!(e, E::Num(_)).then(|| "f64".to_string());
        let mut v = self.var(cx, name.clone(), Kind::F, b, true);
        v.acc = Some(id);
        Self::declare_from(cx, v, &ty, &e);
        out.push(S::Let {
            pat: name.clone(),
            mutable: true,
            ty,
            e,
        });
        name
    }

    /// `acc += 0.1 * (int as f64 * e);`, an integer read as a float, with the bound of `e`
    /// (at most 1): the caller adds `0.1 * int's largest value * b` to `acc`'s growth.
    pub(super) fn int_as_float(&mut self, cx: &Ctx, acc: &str, int: &str) -> (S, f64) {
        let (e, b) = self.expr(cx, 1);
        let (e, b) = self.fit((e, b), 1.0);
        let product = bin("*", E::Num(0.1), bin("*", E::Int(int.to_string()), e));
        (S::Compound(acc.to_string(), "+=", product), b)
    }

    /// The visible accumulators of loop `id`.
    pub(super) fn accs_of(cx: &Ctx, id: usize) -> Vec<String> {
        cx.visible()
            .iter()
            .filter(|v| v.acc == Some(id))
            .map(|v| v.name.clone())
            .collect()
    }

    /// `s += e` in one of the forms the macro's fusion recognises: `+=`, `-=`, `s = s + e`,
    /// `s = e + s`, `s = s - e`.
    fn add_to(&mut self, cx: &mut Ctx, out: &mut Vec<S>, name: &str) {
        let (e, b) = self.expr(cx, 2);
        let (e, b) = self.fit((e, b), 4.0);
        let place = || E::Place(name.to_string());
        out.push(match self.rng.weighted(&[4, 2, 1, 1, 1]) {
            0 => S::Compound(name.to_string(), "+=", e),
            1 => S::Compound(name.to_string(), "-=", e),
            2 => S::Assign(name.to_string(), bin("+", place(), e)),
            3 => S::Assign(name.to_string(), bin("+", e, place())),
            _ => S::Assign(name.to_string(), bin("-", place(), e)),
        });
        if let Some(v) = cx.find_mut(name) {
            v.growth += b;
        }
    }

    // ----- invariant-reads -----

    /// A loop that reads `a[k]`, with `a` and `k` defined before it, directly or in a branch;
    /// or (when `a`'s length or an integer parameter makes an index out of bounds possible
    /// without the compiler seeing it) a loop that never runs, or a branch never taken,
    /// reading `a[k]` at an index out of bounds.
    pub(super) fn invariant_loop(&mut self, cx: &mut Ctx, out: &mut Vec<S>) -> Option<String> {
        self.restrict |= cx.reevaluated();
        let arrays = self.indexables(cx, true);
        if arrays.is_empty() {
            self.loop_stmt(cx, out);
            return None;
        }
        let (a, len) = self.rng.pick(&arrays).clone();
        let ints = self.int_params(cx);
        // 0: in bounds; 1: a loop that never runs; 2: a branch never taken.
        let oob = len.is_none() || !ints.is_empty();
        let mode = if oob {
            self.rng.weighted(&[6, 2, 2])
        } else {
            0
        };
        let k = self.counter_name();
        if mode == 0 {
            let (expr, max) = self.valid_index(&a.name, len, &ints);
            out.push(S::Raw(format!("let {k} = {expr};")));
            let mut v = self.var(cx, k.clone(), Kind::Int, max as f64, false);
            v.index_for = Some((a.name.clone(), len, None));
            cx.declare(v);
        } else {
            // Not declared: never read anywhere else.
            let expr = match len {
                None => format!("{}.len() + {}", a.name, self.rng.range(0, 2)),
                Some(n) => format!("{n} + {}", self.rng.pick(&ints)),
            };
            out.push(S::Raw(format!("let {k} = {expr};")));
        }
        self.loop_ids += 1;
        let id = self.loop_ids;
        let s = self.new_acc_from(cx, out, id, &[&a.name], mode == 1);
        let counter = self.counter_name();
        let (header, trips, cmax) = if mode == 1 {
            let header = if len.is_none() && self.rng.chance(0.5) {
                format!("{counter} in {0}.len()..{0}.len()", a.name)
            } else {
                format!("{counter} in 0..0")
            };
            (header, 0, 0)
        } else {
            let (header, trips, cmax, _) = self.range_header(cx, &counter);
            (header, trips, cmax)
        };
        // Sometimes a copy of the array, which the loop updates while it reads the original
        // (in the macro, a copy shares its adjoint with the original).
        let copy = match a.kind {
            Kind::Arr(n) if mode == 0 && self.rng.chance(0.3) => {
                let b = self.name_avoiding(&[&a.name, &s]);
                out.push(S::Let {
                    pat: b.clone(),
                    mutable: true,
                    ty: None,
                    e: E::Place(a.name.clone()),
                });
                let bound = a.bound.max(0.5);
                cx.declare(self.var(cx, b.clone(), Kind::Arr(n), bound, true));
                Some((b, n, bound))
            }
            _ => None,
        };
        let info = LoopInfo {
            id,
            counter: Some((counter.clone(), cmax)),
            over: None,
            trips,
        };
        self.open_loop(cx, &info);
        let mut body = Vec::new();
        let update_copy = |g: &mut Gen, cx: &mut Ctx, body: &mut Vec<S>| {
            if let Some((b, n, bound)) = &copy {
                let (e, eb) = g.expr(cx, 1);
                let (e, _) = g.fit((e, eb), *bound);
                body.push(S::Assign(format!("{b}[{counter} % {n}]"), e));
            }
        };
        let copy_first = self.rng.chance(0.5);
        if copy_first {
            update_copy(self, cx, &mut body);
        }
        let place = E::Place(format!("{}[{k}]", a.name));
        let (e, b) = self.expr(cx, 1);
        let (e, b) = self.fit((e, b), 2.0);
        let read = bin("*", place.clone(), e);
        let growth = a.bound * b;
        match self.rng.weighted(&[3, 2, if mode == 1 { 0 } else { 3 }]) {
            _ if mode == 2 => {
                // Never taken: the counter stays below 5.
                let then = vec![S::Compound(s.clone(), "+=", read)];
                // The branch taken, so that the accumulator is not a constant.
                cx.scopes.push(Vec::new());
                let mut els = Vec::new();
                self.add_to(cx, &mut els, &s);
                cx.scopes.pop();
                body.push(S::If(
                    vec![(C::Raw(format!("{counter} > 40")), then)],
                    Some(els),
                ));
            }
            0 => body.push(S::Compound(s.clone(), "+=", read)),
            1 => {
                // A local the rest of the body may read too.
                let b = copy.as_ref().map_or("", |c| c.0.as_str());
                let r = self.name_avoiding(&[&s, &a.name, b]);
                body.push(S::Let {
                    pat: r.clone(),
                    mutable: false,
                    ty: None,
                    e: read,
                });
                cx.declare(self.var(cx, r.clone(), Kind::F, growth, false));
                body.push(S::Compound(s.clone(), "-=", E::Place(r)));
            }
            _ => {
                let c = self.cond(cx, 1);
                let then = vec![S::Compound(s.clone(), "+=", read)];
                cx.scopes.push(Vec::new());
                let mut els = Vec::new();
                if self.rng.chance(0.5) {
                    els.push(S::Compound(s.clone(), "-=", bin("*", E::Num(0.5), place)));
                } else {
                    self.add_to(cx, &mut els, &s);
                }
                cx.scopes.pop();
                body.push(S::If(vec![(c, then)], Some(els)));
            }
        }
        if let Some(v) = cx.find_mut(&s) {
            v.growth += growth;
        }
        if !copy_first {
            update_copy(self, cx, &mut body);
        }
        let after = self.rng.range(0, 2);
        self.stmts(cx, after, &mut body);
        Self::close_loop(cx);
        Self::release_accs(cx, id, trips, false);
        out.push(S::For(header, body));
        Some(s)
    }

    // ----- stepped-counters -----

    /// The array a stepped counter walks, for indices up to `max`: an array in scope that is
    /// long enough, a slice read modulo its length, or a new local array (not named as one of
    /// `avoid`). Its name, length, whether it is read modulo its length, and its bound.
    fn walked_array(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        max: usize,
        avoid: &[&str],
    ) -> (String, Option<usize>, bool, f64) {
        let arrays = self.indexables(cx, true);
        let long: Vec<(Var, Option<usize>)> = arrays
            .iter()
            .filter(|(_, len)| len.is_some_and(|n| n > max))
            .cloned()
            .collect();
        let slices: Vec<(Var, Option<usize>)> = arrays
            .iter()
            .filter(|(_, len)| len.is_none())
            .cloned()
            .collect();
        if !long.is_empty() && self.rng.chance(0.5) {
            let (v, len) = self.rng.pick(&long).clone();
            (v.name, len, false, v.bound)
        } else if !slices.is_empty() && self.rng.chance(0.25) {
            let (v, _) = self.rng.pick(&slices).clone();
            (v.name, None, true, v.bound)
        } else {
            let name = self.name_avoiding(avoid);
            let n = max + 1;
            let mut items = Vec::new();
            let mut bound: f64 = 0.0;
            for _ in 0..n {
                let (e, b) = self.expr(cx, 1);
                let (e, b) = self.fit((e, b), 2.0);
                bound = bound.max(b);
                items.push(e);
            }
            self.let_array(cx, out, &name, items, bound);
            (name, Some(n), false, bound)
        }
    }

    /// `l += step;` (or `-=` when not `up`) in one of the forms the macro steps back
    /// (`l = l + step`, `l = step + l`, `l = l - step`).
    pub(super) fn step_text(&mut self, l: &str, step: usize, up: bool) -> String {
        if up {
            match self.rng.weighted(&[3, 2, 1]) {
                0 => format!("{l} += {step};"),
                1 => format!("{l} = {l} + {step};"),
                _ => format!("{l} = {step} + {l};"),
            }
        } else if self.rng.chance(0.6) {
            format!("{l} -= {step};")
        } else {
            format!("{l} = {l} - {step};")
        }
    }

    /// `let name = [items..];` for `items` bounded by `bound`, declared in `cx` as an array.
    pub(super) fn let_array(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        name: &str,
        items: Vec<E>,
        bound: f64,
    ) {
        let len = items.len();
        let e = E::Array(items);
        let v = self.var(cx, name.to_string(), Kind::Arr(len), bound, false);
        Self::declare_from(cx, v, &None, &e);
        out.push(S::Let {
            pat: name.to_string(),
            mutable: false,
            ty: None,
            e,
        });
    }

    /// A range loop with an integer `l` stepped by a literal once per iteration, at the top of
    /// its body or at its end, and read as an index (`m[l]`); sometimes a counter the macro
    /// must not step back (stepped in a branch only, skipped by a `continue`, in a loop over a
    /// `step_by`); at the function's own level, sometimes the packed-triangle walk.
    pub(super) fn stepped_loop(&mut self, cx: &mut Ctx, out: &mut Vec<S>) -> Option<String> {
        self.restrict |= cx.reevaluated();
        if cx.level() == 0 && self.rng.chance(0.3) {
            self.packed_triangle(cx, out);
            return None;
        }
        self.loop_ids += 1;
        let id = self.loop_ids;
        let l = self.counter_name();
        let counter = self.counter_name();
        // 0: steps every iteration; 1: in a branch only; 2: skipped by a `continue`; 3: a loop
        // that is not over a range.
        let miss = self.rng.weighted(&[14, 2, 2, 2]);
        let (header, trips, cmax, n_param) = if miss == 3 {
            let k = self.rng.range(1, 4);
            (
                format!("{counter} in (0..{}).step_by(2)", 2 * k),
                k,
                2 * k - 2,
                None,
            )
        } else {
            self.range_header(cx, &counter)
        };
        let mut step = *self.rng.pick(&[1, 1, 1, 2, 3]);
        let up = self.rng.chance(0.7);
        // At the top of the body or at its end (after the `continue` that skips it).
        let top = miss != 2 && self.rng.chance(0.5);
        if (step * trips + 2) > 9 {
            step = 1;
        }
        // Start, and the largest value the body sees.
        let (start, max) = if up {
            let l0 = *self.rng.pick(&[0, 0, 1, 2]);
            (l0.to_string(), l0 + step * trips)
        } else {
            // Down to 0 at the most: never below.
            match &n_param {
                Some(n) if self.rng.chance(0.6) => {
                    if step == 1 {
                        (n.clone(), trips)
                    } else {
                        (format!("{step} * {n}"), step * trips)
                    }
                }
                _ => ((step * trips).to_string(), step * trips),
            }
        };
        let (m, m_len, modulo, m_bound) = self.walked_array(cx, out, max, &[]);
        out.push(S::Raw(format!("let mut {l} = {start};")));
        // `l` is a valid index into `m` inside the loop only (after it, it may be one past).
        let mut lv = self.var(cx, l.clone(), Kind::Int, max as f64, true);
        if !modulo {
            lv.index_for = Some((m.clone(), m_len, Some(id)));
        }
        cx.declare(lv);
        let s = self.new_acc(cx, out, id, &[&m]);
        let info = LoopInfo {
            id,
            counter: Some((counter.clone(), cmax)),
            over: None,
            trips,
        };
        self.open_loop(cx, &info);
        let no_jump = std::mem::replace(&mut cx.no_jump, (miss == 0).then_some(id));
        let update = self.step_text(&l, step, up);
        let update = if miss == 1 {
            S::If(
                vec![(C::Raw(format!("{counter} % 2 == 0")), vec![S::Raw(update)])],
                None,
            )
        } else {
            S::Raw(update)
        };
        let mut body = Vec::new();
        if top {
            body.push(update.clone());
        }
        let index = if modulo {
            format!("{l} % {m}.len()")
        } else {
            l.clone()
        };
        let (e, b) = self.expr(cx, 1);
        let (e, b) = self.fit((e, b), 2.0);
        let read = bin("*", E::Place(format!("{m}[{index}]")), e);
        body.push(S::Compound(s.clone(), "+=", read));
        if let Some(v) = cx.find_mut(&s) {
            v.growth += m_bound * b;
        }
        if self.rng.chance(0.3) {
            // The counter as a float too.
            let (add, b) = self.int_as_float(cx, &s, &l);
            body.push(add);
            if let Some(v) = cx.find_mut(&s) {
                v.growth += 0.1 * max as f64 * b;
            }
        }
        let n = self.rng.range(0, 2);
        self.stmts(cx, n, &mut body);
        if miss == 2 {
            let c = self.cond(cx, 1);
            body.push(S::If(vec![(c, vec![S::Continue])], None));
        }
        if !top {
            body.push(update);
        }
        cx.no_jump = no_jump;
        Self::close_loop(cx);
        Self::release_accs(cx, id, trips, false);
        out.push(S::For(header, body));
        Some(s)
    }

    /// `for c in 0..n { for r in c..n { y[r] += m[l] * x[c]; l += 1; } }` over a packed
    /// lower triangle `m` of n (n + 1) / 2 elements.
    fn packed_triangle(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        let n = *self.rng.pick(&[2, 2, 3]);
        let t = n * (n + 1) / 2;
        let arrays = self.indexables(cx, true);
        let packed: Vec<&(Var, Option<usize>)> = arrays
            .iter()
            .filter(|(_, len)| len.is_some_and(|k| k >= t))
            .collect();
        let (m, m_len, m_bound) = if !packed.is_empty() && self.rng.chance(0.5) {
            let (v, len) = (*self.rng.pick(&packed)).clone();
            (v.name, len, v.bound)
        } else {
            let name = self.name();
            let mut items = Vec::new();
            let mut bound: f64 = 0.0;
            for _ in 0..t {
                let (e, b) = self.expr(cx, 1);
                let (e, b) = self.fit((e, b), 2.0);
                bound = bound.max(b);
                items.push(e);
            }
            let e = E::Array(items);
            let v = self.var(cx, name.clone(), Kind::Arr(t), bound, false);
            Self::declare_from(cx, v, &None, &e);
            out.push(S::Let {
                pat: name.clone(),
                mutable: false,
                ty: None,
                e,
            });
            (name, Some(t), bound)
        };
        // The vector: an array in scope that is long enough, a slice, or a leaf.
        let xs: Vec<&(Var, Option<usize>)> = arrays
            .iter()
            .filter(|(_, len)| len.is_none_or(|k| k >= n))
            .collect();
        let x: Option<(String, Option<usize>, f64)> = if !xs.is_empty() && self.rng.chance(0.7) {
            let (v, len) = (*self.rng.pick(&xs)).clone();
            Some((v.name, len, v.bound))
        } else {
            None
        };
        let mut avoid = vec![m.as_str()];
        if let Some((x, _, _)) = &x {
            avoid.push(x);
        }
        let y = self.name_avoiding(&avoid);
        let l = self.counter_name();
        let c = self.counter_name();
        let r = self.counter_name();
        out.push(S::Let {
            pat: y.clone(),
            mutable: true,
            ty: Some(format!("[f64; {n}]")),
            e: E::Place(format!("[0.0; {n}]")),
        });
        out.push(S::Raw(format!("let mut {l} = 0;")));
        self.loop_ids += 1;
        let outer = LoopInfo {
            id: self.loop_ids,
            counter: Some((c.clone(), n - 1)),
            over: None,
            trips: n,
        };
        self.loop_ids += 1;
        let inner = LoopInfo {
            id: self.loop_ids,
            counter: Some((r.clone(), n - 1)),
            over: None,
            trips: n,
        };
        let mut lv = self.var(cx, l.clone(), Kind::Int, t as f64, true);
        lv.index_for = Some((m.clone(), m_len, Some(inner.id)));
        cx.declare(lv);
        let y_bound = m_bound * x.as_ref().map_or(2.0, |x| x.2) * n as f64;
        cx.declare(self.var(cx, y.clone(), Kind::Arr(n), y_bound, true));
        self.open_loop(cx, &outer);
        self.open_loop(cx, &inner);
        let (xe, _) = match &x {
            Some((name, len, b)) => {
                let index = if len.is_none() && n > 2 {
                    format!("{c} % {name}.len()")
                } else {
                    c.clone()
                };
                (E::Place(format!("{name}[{index}]")), *b)
            }
            None => {
                let (e, b) = self.active_leaf(cx);
                self.fit((e, b), 2.0)
            }
        };
        let mut body = vec![S::Compound(
            format!("{y}[{r}]"),
            "+=",
            bin("*", E::Place(format!("{m}[{l}]")), xe),
        )];
        if self.rng.chance(0.3) {
            let k = self.rng.range(1, 2);
            self.stmts(cx, k, &mut body);
        }
        // Sometimes stepped in a branch only (not stepped back).
        if self.rng.chance(0.15) {
            body.push(S::If(
                vec![(
                    C::Raw(format!("{r} % 2 == 0")),
                    vec![S::Raw(format!("{l} += 1;"))],
                )],
                None,
            ));
        } else {
            body.push(S::Raw(format!("{l} += 1;")));
        }
        Self::close_loop(cx);
        Self::close_loop(cx);
        out.push(S::For(
            format!("{c} in 0..{n}"),
            vec![S::For(format!("{r} in {c}..{n}"), body)],
        ));
    }

    // ----- fused-loops -----

    /// What keeps this fused-loop function from fusing: nothing in three functions out of four.
    pub(super) fn draw_miss(&mut self) -> Miss {
        match self.rng.weighted(&[18, 1, 1, 1, 1, 1, 1]) {
            0 => Miss::None,
            1 => Miss::Jump,
            2 => Miss::Nonlinear,
            3 => Miss::InnerAcc,
            4 => Miss::Scale,
            5 => Miss::ActiveFactor,
            _ => Miss::Return,
        }
    }

    /// The fused loop among the function's own statements, its accumulators before it and
    /// the linear statements after it.
    pub(super) fn fused_loop(&mut self, cx: &mut Ctx, out: &mut Vec<S>, miss: Miss) {
        self.loop_ids += 1;
        let id = self.loop_ids;
        let n_acc = 1 + self.rng.weighted(&[4, 3, 2]);
        for _ in 0..n_acc {
            self.new_acc(cx, out, id, &[]);
        }
        // An inactive counter walking an array: k = (k + 3) % len.
        let mut walker = None;
        let mut walker_name = None;
        if self.rng.chance(0.4) {
            let k = self.counter_name();
            let arrays = self.indexables(cx, false);
            let (modulus, index_for, max) = if !arrays.is_empty() && self.rng.chance(0.7) {
                let (a, len) = self.rng.pick(&arrays).clone();
                let modulus = match len {
                    Some(n) => n.to_string(),
                    None => format!("{}.len()", a.name),
                };
                (modulus, Some((a.name, len, Some(id))), len.unwrap_or(5) - 1)
            } else {
                let m = *self.rng.pick(&[3, 5, 7]);
                (m.to_string(), None, m - 1)
            };
            let step = *self.rng.pick(&[1, 2, 3]);
            out.push(S::Raw(format!("let mut {k} = 0;")));
            let mut v = self.var(cx, k.clone(), Kind::Int, max as f64, true);
            v.index_for = index_for;
            cx.declare(v);
            walker = Some(format!("{k} = ({k} + {step}) % {modulus};"));
            walker_name = Some(k);
        }
        if self.opts.invariant_reads && self.rng.chance(0.4) {
            self.invariant_index(cx, out);
        }
        // The header: a `for` of any kind.
        let counter = self.counter_name();
        let slices: Vec<Var> = cx.readable(|k| matches!(k, Kind::Slice(_)));
        let ints = self.int_params(cx);
        let mut info = LoopInfo {
            id,
            counter: None,
            over: None,
            trips: 0,
        };
        let mut elements: Vec<Var> = Vec::new();
        let slice_w = if slices.is_empty() { 0 } else { 3 };
        let header = match self.rng.weighted(&[
            5,
            if ints.is_empty() { 0 } else { 3 },
            2,
            2,
            slice_w,
            slice_w,
            1,
            1,
            if self.opts.plain_calls { 2 } else { 0 },
        ]) {
            0 => {
                let k = self.rng.range(1, 5);
                info.counter = Some((counter.clone(), k - 1));
                info.trips = k;
                format!("{counter} in 0..{k}")
            }
            1 => {
                let n = self.rng.pick(&ints).clone();
                info.counter = Some((counter.clone(), 3));
                info.trips = 4;
                format!("{counter} in 0..{n}")
            }
            2 => {
                let k = self.rng.range(2, 5);
                info.counter = Some((counter.clone(), k - 1));
                info.trips = k;
                format!("{counter} in (0..{k}).rev()")
            }
            3 => {
                let k = self.rng.range(1, 4);
                info.counter = Some((counter.clone(), k));
                info.trips = k;
                format!("{counter} in 1..={k}")
            }
            4 => {
                let s = self.rng.pick(&slices).clone();
                info.counter = Some((counter.clone(), 4));
                info.over = Some(s.name.clone());
                info.trips = 5;
                format!("{counter} in 0..{}.len()", s.name)
            }
            5 => {
                let s = self.rng.pick(&slices).clone();
                info.trips = 5;
                let accs = Self::accs_of(cx, id);
                let avoid: Vec<&str> = accs.iter().map(String::as_str).collect();
                let el = self.name_avoiding(&avoid);
                let mut v = self.var(cx, el.clone(), Kind::F, s.bound, false);
                v.level += 1;
                v.nograd = s.nograd;
                match self.rng.below(3) {
                    0 => {
                        v.by_ref = true;
                        elements.push(v);
                        format!("{el} in {}.iter()", s.name)
                    }
                    1 => {
                        elements.push(v);
                        format!("&{el} in {}", s.name)
                    }
                    _ => {
                        v.by_ref = true;
                        elements.push(v);
                        info.counter = Some((counter.clone(), 4));
                        format!("({counter}, {el}) in {}.iter().enumerate()", s.name)
                    }
                }
            }
            6 => {
                let k = self.rng.range(1, 4);
                info.trips = k;
                format!("_ in 0..{k}")
            }
            8 => {
                // A range bounded by a plain call (`plain-calls`): the fused loop counts its
                // trips.
                let k = self.rng.range(2, 5);
                info.counter = Some((counter.clone(), k - 2));
                info.trips = k - 1;
                format!("{counter} in 0..{}", self.plain_bound(cx, k))
            }
            _ => {
                let k = self.rng.range(2, 6);
                info.counter = Some((counter.clone(), k - 1));
                info.trips = k.div_ceil(2);
                format!("{counter} in (0..{k}).step_by(2)")
            }
        };
        // A counter the loop itself steps by a literal, read as an index: the fused loop keeps
        // its value at iteration start for the iteration's reverse (instead of stepping it
        // back).
        let mut stepper = None;
        if self.opts.stepped_counters && self.rng.chance(0.35) {
            let l = self.counter_name();
            let trips = info.trips.max(1);
            let step = if trips > 4 {
                1
            } else {
                *self.rng.pick(&[1, 1, 2])
            };
            let max = step * trips;
            let accs = Self::accs_of(cx, id);
            let avoid: Vec<&str> = accs.iter().map(String::as_str).collect();
            let (m, m_len, modulo, m_bound) = self.walked_array(cx, out, max, &avoid);
            out.push(S::Raw(format!("let mut {l} = 0;")));
            let mut lv = self.var(cx, l.clone(), Kind::Int, max as f64, true);
            if !modulo {
                lv.index_for = Some((m.clone(), m_len, Some(id)));
            }
            cx.declare(lv);
            let index = if modulo {
                format!("{l} % {m}.len()")
            } else {
                l.clone()
            };
            let update = if self.rng.chance(0.6) {
                format!("{l} += {step};")
            } else {
                format!("{l} = {l} + {step};")
            };
            stepper = Some((l, update, m, m_len, index, m_bound));
        }
        // A counter that the loop carries through an inner loop which steps it (instead of
        // stepping it itself): declared here, stepped by the `Carried` piece.
        let mut carrier = None;
        if self.opts.carried_counters && stepper.is_none() && self.rng.chance(0.3) {
            let l = self.counter_name();
            out.push(S::Raw(format!("let mut {l} = {};", self.rng.range(0, 2))));
            // Its largest value: at most 64 steps of 3 per iteration, 5 iterations.
            cx.declare(self.var(cx, l.clone(), Kind::Int, 1000.0, true));
            carrier = Some(l);
        }
        let carrier_name = carrier.clone();
        self.open_loop(cx, &info);
        for e in elements {
            cx.declare(e);
        }
        let restrict = std::mem::replace(&mut self.restrict, true);
        let level = cx.level();
        let frozen = std::mem::replace(&mut cx.frozen, level);
        let no_jump = cx.no_jump.replace(id);
        let budget = std::mem::replace(&mut cx.budget, self.rng.range(2, 5));
        let mut body = Vec::new();
        // Every accumulator gets an increment: drawn before the body's own locals, used if the
        // body has none.
        let mut spare = Vec::new();
        for name in Self::accs_of(cx, id) {
            let (e, b) = self.expr(cx, 2);
            let (e, b) = self.fit((e, b), 4.0);
            spare.push((name, e, b));
        }
        if let Some(w) = &walker {
            if self.rng.chance(0.5) {
                body.push(S::Raw(w.clone()));
            }
        }
        let step_at_top = self.rng.chance(0.5);
        if let (Some((_, update, ..)), true) = (&stepper, step_at_top) {
            body.push(S::Raw(update.clone()));
        }
        if self.opts.plain_calls && self.rng.chance(0.5) {
            // At the top level of the fused body, whose reverse does not run it again.
            self.plain_stmt(cx, &mut body);
        }
        let prefix = body.len();
        let mut pieces = vec![Piece::Random];
        if stepper.is_some() {
            pieces.push(Piece::StepRead);
        }
        let optional = [
            (Piece::InnerLoop, 0.5, true),
            (Piece::ZeroArray, 0.35, true),
            (Piece::Branch, 0.4, true),
            (Piece::Call, 0.35, true),
            (Piece::Stepped, 0.45, self.opts.stepped_counters),
            (Piece::Invariant, 0.35, self.opts.invariant_reads),
            (Piece::Carried, 0.6, self.opts.carried_counters),
            (Piece::Undo, 0.5, self.opts.undo_writes),
        ];
        for (piece, p, on) in optional {
            if on && self.rng.chance(p) {
                pieces.push(piece);
            }
        }
        if carrier.is_some() && !pieces.contains(&Piece::Carried) {
            pieces.push(Piece::Carried);
        }
        for _ in 0..self.rng.range(1, n_acc) {
            pieces.push(Piece::Acc);
        }
        match miss {
            Miss::Jump => pieces.push(Piece::Jump),
            Miss::InnerAcc => pieces.push(Piece::InnerAcc),
            Miss::Scale => pieces.push(Piece::Scale),
            _ => {}
        }
        // Shuffled.
        for k in (1..pieces.len()).rev() {
            let j = self.rng.below(k + 1);
            pieces.swap(k, j);
        }
        for piece in pieces {
            let accs = Self::accs_of(cx, id);
            match piece {
                Piece::InnerLoop => self.loop_stmt(cx, &mut body),
                Piece::ZeroArray => self.zero_array(cx, &mut body, true),
                Piece::Branch => self.acc_branch(cx, &mut body, id),
                Piece::Call => self.call_stmt(cx, &mut body),
                Piece::Stepped | Piece::Invariant | Piece::Carried | Piece::Undo => {
                    let result = match piece {
                        Piece::Stepped => self.stepped_loop(cx, &mut body),
                        Piece::Invariant => self.invariant_loop(cx, &mut body),
                        Piece::Undo => self.undo_loop(cx, &mut body),
                        _ => self.carried_loop(cx, &mut body, carrier.take()),
                    };
                    // Its result flows into an accumulator (else the loop has no adjoint
                    // work, and nothing to step back).
                    let accs = Self::accs_of(cx, id);
                    let visible =
                        |r: &String| cx.readable(|k| k == Kind::F).iter().any(|v| v.name == *r);
                    if let (Some(r), false) = (result.filter(visible), accs.is_empty()) {
                        let bound = cx.find_mut(&r).map_or(1.0, |v| v.bound);
                        let (e, b) = self.fit((E::Place(r), bound), 4.0);
                        let s = self.rng.pick(&accs).clone();
                        body.push(S::Compound(s.clone(), "+=", e));
                        if let Some(v) = cx.find_mut(&s) {
                            v.growth += b;
                        }
                    }
                }
                Piece::Random => {
                    let n = self.rng.range(1, 3);
                    self.stmts(cx, n, &mut body);
                }
                Piece::Acc if !accs.is_empty() => {
                    let s = self.rng.pick(&accs).clone();
                    self.add_to(cx, &mut body, &s);
                }
                Piece::InnerAcc if !accs.is_empty() => {
                    let s = self.rng.pick(&accs).clone();
                    let j = self.counter_name();
                    let k = self.rng.range(1, 3);
                    self.loop_ids += 1;
                    let inner = LoopInfo {
                        id: self.loop_ids,
                        counter: Some((j.clone(), k - 1)),
                        over: None,
                        trips: k,
                    };
                    self.open_loop(cx, &inner);
                    let mut b = Vec::new();
                    self.add_to(cx, &mut b, &s);
                    Self::close_loop(cx);
                    // Its growth counts k times.
                    if let Some(v) = cx.find_mut(&s) {
                        v.growth *= k as f64;
                    }
                    body.push(S::For(format!("{j} in 0..{k}"), b));
                }
                Piece::Scale if !accs.is_empty() => {
                    let s = self.rng.pick(&accs).clone();
                    body.push(S::Compound(s, "*=", E::Num(0.5)));
                }
                Piece::StepRead if !accs.is_empty() => {
                    let (_, _, m, len, index, bound) = stepper.clone().unwrap();
                    // Not if a local of the body shadows the array (with another length).
                    let array = cx.visible().iter().any(|v| {
                        v.name == m
                            && match len {
                                Some(n) => {
                                    matches!(v.kind, Kind::Arr(k) | Kind::Slice(Some(k)) if k == n)
                                }
                                None => v.kind == Kind::Slice(None),
                            }
                    });
                    if !array {
                        continue;
                    }
                    let place = format!("{m}[{index}]");
                    let (e, b) = self.expr(cx, 1);
                    let (e, b) = self.fit((e, b), 2.0);
                    let s = self.rng.pick(&accs).clone();
                    body.push(S::Compound(s.clone(), "+=", bin("*", E::Place(place), e)));
                    if let Some(v) = cx.find_mut(&s) {
                        v.growth += bound * b;
                    }
                }
                Piece::Jump => {
                    let c = self.cond(cx, 1);
                    let jump = if self.rng.chance(0.7) {
                        S::Continue
                    } else {
                        S::Break
                    };
                    body.push(S::If(vec![(c, vec![jump])], None));
                }
                _ => {}
            }
        }
        if let Some(w) = walker {
            if !body.iter().any(|s| matches!(s, S::Raw(r) if *r == w)) {
                body.push(S::Raw(w));
            }
        }
        if let (Some((_, update, ..)), false) = (&stepper, step_at_top) {
            body.push(S::Raw(update.clone()));
        }
        self.restrict = restrict;
        cx.frozen = frozen;
        cx.no_jump = no_jump;
        cx.budget = budget;
        Self::close_loop(cx);
        for (name, e, b) in spare {
            let idle = cx.find_mut(&name).is_some_and(|v| v.growth == 0.0);
            if idle {
                body.insert(prefix, S::Compound(name.clone(), "+=", e));
                if let Some(v) = cx.find_mut(&name) {
                    v.growth += b;
                }
            }
        }
        let linear = miss != Miss::Nonlinear;
        Self::release_accs(cx, id, info.trips, linear);
        if linear {
            // Reading the loop's integer state after it would make that code depend on the
            // loop too.
            let step_name = stepper.map(|s| s.0);
            let names = walker_name.iter().chain(&step_name).chain(&carrier_name);
            for k in names {
                if let Some(v) = cx.find_mut(k) {
                    v.linear = true;
                }
            }
        }
        out.push(S::For(header, body));
        if !linear {
            return;
        }
        // Linear statements after the loop.
        let n = self.rng.weighted(&[2, 2, 1]);
        for k in 0..n {
            let (e, b) = self.linear_combo(cx, miss == Miss::ActiveFactor && k == 0);
            let name = self.name();
            let mut v = self.var(cx, name.clone(), Kind::F, b, false);
            v.linear = true;
            cx.declare(v);
            out.push(S::Let {
                pat: name,
                mutable: false,
                ty: None,
                e,
            });
        }
        if miss == Miss::ActiveFactor && n == 0 {
            // The tail divides then.
            cx.active_factor = true;
        }
    }

    /// `if c { s += e; .. } else { t -= e; }` in a fused loop's body.
    fn acc_branch(&mut self, cx: &mut Ctx, out: &mut Vec<S>, id: usize) {
        let accs = Self::accs_of(cx, id);
        if accs.is_empty() {
            return self.if_stmt(cx, out);
        }
        let c = self.cond(cx, 1);
        cx.scopes.push(Vec::new());
        cx.depth += 1;
        let mut then = Vec::new();
        if self.rng.chance(0.4) {
            self.stmts(cx, 1, &mut then);
        }
        let s = self.rng.pick(&accs).clone();
        if Self::accs_of(cx, id).contains(&s) {
            self.add_to(cx, &mut then, &s);
        }
        if self.opts.plain_calls && self.rng.chance(0.6) {
            self.plain_acc(cx, &mut then);
        }
        cx.scopes.pop();
        let els = if self.rng.chance(0.7) {
            cx.scopes.push(Vec::new());
            let mut els = Vec::new();
            let t = self.rng.pick(&accs).clone();
            self.add_to(cx, &mut els, &t);
            if self.rng.chance(0.3) {
                self.stmts(cx, 1, &mut els);
            }
            if self.opts.plain_calls && self.rng.chance(0.3) {
                self.plain_acc(cx, &mut els);
            }
            cx.scopes.pop();
            Some(els)
        } else {
            None
        };
        cx.depth -= 1;
        if then.is_empty() {
            then.push(S::Raw(String::new()));
        }
        out.push(S::If(vec![(c, then)], els));
    }

    /// A term of a linear combination: `s`, `2.0 * s`, `w * s` with `w` inactive, `s / d` with
    /// `d` inactive (or, `active`, `a * s` or `s / (1.5 + a.sin())` with `a` active).
    fn linear_term(&mut self, cx: &Ctx, v: &Var, active: bool) -> (E, f64) {
        let s = E::Place(v.name.clone());
        if active {
            let (a, ba) = self.receiver(cx, 1);
            if self.rng.chance(0.5) {
                let (a, ba) = self.fit((a, ba), 2.0);
                return (bin("*", a, s), v.bound * ba);
            }
            let (a, _) = self.fit((a, ba), 3.0);
            let d = bin("+", E::Num(1.5), super::method("sin", a, vec![]));
            return (bin("/", s, d), v.bound * 2.0);
        }
        match self.rng.weighted(&[3, 3, 3, 3]) {
            0 => (s, v.bound),
            1 => {
                let c = self.num();
                if self.rng.chance(0.5) {
                    (bin("*", E::Num(c), s), c * v.bound)
                } else {
                    (bin("*", s, E::Num(c)), c * v.bound)
                }
            }
            2 => {
                let (a, ba) = self.inactive_factor(cx);
                if self.rng.chance(0.5) {
                    (bin("*", a, s), ba * v.bound)
                } else {
                    (bin("*", s, a), ba * v.bound)
                }
            }
            _ => {
                let (d, lo) = self.inactive_divisor(cx);
                (bin("/", s, d), v.bound / lo)
            }
        }
    }

    /// An inactive factor and its bound: a `#[no_grad]` value or element, an integer as a
    /// float, a literal. (An active factor `a * s` would make the reverse read `s` for `a`'s
    /// adjoint: the loop's result, which the fused loop has not computed yet.)
    fn inactive_factor(&mut self, cx: &Ctx) -> (E, f64) {
        let floats: Vec<Var> = cx
            .readable(|k| k == Kind::F)
            .into_iter()
            .filter(|v| v.nograd)
            .collect();
        let slices: Vec<Var> = cx
            .readable(|k| matches!(k, Kind::Slice(_)))
            .into_iter()
            .filter(|v| v.nograd)
            .collect();
        let ints: Vec<Var> = cx.readable(|k| k == Kind::Int);
        let w = |v: &[Var]| if v.is_empty() { 0 } else { 2 };
        match self.rng.weighted(&[2, w(&floats), w(&slices), w(&ints)]) {
            0 => {
                let c = self.num();
                (E::Num(c), c)
            }
            1 => {
                let v = self.rng.pick(&floats).clone();
                let place = if v.by_ref {
                    format!("*{}", v.name)
                } else {
                    v.name.clone()
                };
                (E::Place(place), v.bound)
            }
            2 => {
                let v = self.rng.pick(&slices).clone();
                let len = match v.kind {
                    Kind::Slice(n) => n,
                    _ => None,
                };
                let idx = self.index(cx, &v.name, len);
                (E::Place(format!("{}[{idx}]", v.name)), v.bound)
            }
            _ => {
                let v = self.rng.pick(&ints).clone();
                (E::Int(v.name), v.bound)
            }
        }
    }

    /// A positive inactive divisor and its lower bound: a literal, `(n as f64 + 1.0)`,
    /// `(xs.len() as f64)`.
    fn inactive_divisor(&mut self, cx: &Ctx) -> (E, f64) {
        let ints = self.int_params(cx);
        let slices: Vec<Var> = cx.readable(|k| matches!(k, Kind::Slice(None)));
        match self.rng.weighted(&[
            3,
            if ints.is_empty() { 0 } else { 2 },
            if slices.is_empty() { 0 } else { 2 },
        ]) {
            0 => {
                let c = *self.rng.pick(&[2.0, 4.0, 0.5, 3.0]);
                (E::Num(c), c)
            }
            1 => {
                let n = self.rng.pick(&ints).clone();
                (bin("+", E::Int(n), E::Num(1.0)), 1.0)
            }
            _ => {
                let s = self.rng.pick(&slices).name.clone();
                (E::Int(format!("{s}.len()")), 2.0)
            }
        }
    }

    /// A linear combination of the fused loop's results, maybe plus a term independent of the
    /// loop, maybe over an inactive divisor: `(s - 2.0 * t) / n`, `c + s - k * t`.
    pub(super) fn linear_combo(&mut self, cx: &Ctx, active_factor: bool) -> (E, f64) {
        let lins: Vec<Var> = cx
            .visible()
            .into_iter()
            .filter(|v| v.linear && v.kind == Kind::F)
            .cloned()
            .collect();
        if lins.is_empty() {
            return self.expr(cx, 2);
        }
        // Often every result (a result left unused would leave the loop with less adjoint
        // work, or none), else a few.
        let picked: Vec<Var> = if self.rng.chance(0.6) {
            lins.iter().take(4).cloned().collect()
        } else {
            let n = self.rng.range(1, lins.len().min(3));
            (0..n).map(|_| self.rng.pick(&lins).clone()).collect()
        };
        let mut acc: Option<(E, f64)> = None;
        for (k, v) in picked.into_iter().enumerate() {
            let (t, b) = self.linear_term(cx, &v, active_factor && k == 0);
            acc = Some(match acc {
                None if self.rng.chance(0.2) => (E::Neg(Box::new(t)), b),
                None => (t, b),
                Some((e, be)) => {
                    let op = *self.rng.pick(&["+", "-"]);
                    (bin(op, e, t), be + b)
                }
            });
        }
        let (mut e, mut b) = acc.unwrap();
        if self.rng.chance(0.4) {
            // A term independent of the loop (moved ahead of it by the macro).
            let (x, bx) = self.expr(cx, 2);
            let (x, bx) = self.fit((x, bx), 4.0);
            let op = *self.rng.pick(&["+", "-"]);
            if self.rng.chance(0.5) {
                e = bin(op, e, x);
            } else {
                e = bin(op, x, e);
            }
            b += bx;
        }
        if self.rng.chance(0.25) {
            let (d, lo) = self.inactive_divisor(cx);
            e = bin("/", e, d);
            b /= lo;
        }
        (e, b)
    }

    /// `tail` plus the results of the emphasis loops that are still readable (in its first
    /// item for a tuple or an array).
    pub(super) fn with_pending(&mut self, cx: &Ctx, tail: E, tb: f64) -> (E, f64) {
        let mut terms = Vec::new();
        for name in &cx.pending {
            if let Some(v) = cx
                .readable(|k| k == Kind::F)
                .into_iter()
                .find(|v| v.name == *name)
            {
                terms.push((E::Place(v.name.clone()), v.bound));
            }
        }
        let mut add = |e: E, mut b: f64| -> (E, f64) {
            let mut e = e;
            for (t, tb) in terms.drain(..) {
                let (t, tb) = self.fit((t, tb), 2.0);
                e = bin("+", e, t);
                b += tb;
            }
            (e, b)
        };
        match tail {
            E::Tuple(mut items) => {
                let first = items.remove(0);
                let (first, b) = add(first, tb);
                items.insert(0, first);
                (E::Tuple(items), b)
            }
            E::Array(mut items) => {
                let first = items.remove(0);
                let (first, b) = add(first, tb);
                items.insert(0, first);
                (E::Array(items), b)
            }
            tail if cx.ret != Ret::F => (tail, tb),
            tail => add(tail, tb),
        }
    }

    /// The tail of a fused-loop function: linear in the loop's results (`(s, t)` for a
    /// tuple).
    pub(super) fn linear_tail(&mut self, cx: &Ctx) -> (E, f64) {
        let active = cx.active_factor;
        let lins: Vec<Var> = cx
            .visible()
            .into_iter()
            .filter(|v| v.linear && v.kind == Kind::F)
            .cloned()
            .collect();
        let item = |g: &mut Gen, first: bool| -> (E, f64) {
            if !lins.is_empty() && g.rng.chance(0.4) {
                let v = g.rng.pick(&lins);
                (E::Place(v.name.clone()), v.bound)
            } else {
                g.linear_combo(cx, active && first)
            }
        };
        match cx.ret {
            Ret::F => self.linear_combo(cx, active),
            Ret::Tup2 => {
                let (a, ba) = item(self, true);
                let (b, bb) = item(self, false);
                (E::Tuple(vec![a, b]), ba.max(bb))
            }
            Ret::Arr2 => {
                let (a, ba) = item(self, true);
                let (b, bb) = item(self, false);
                (E::Array(vec![a, b]), ba.max(bb))
            }
        }
    }
}
