//! The `offset-reads` emphasis switch: range loops that read slice parameters at indices that
//! move with their counter, `x[i + 2]`, `x[2 + i]`, `x[off + i]`, `w[r * 3 + c]`, over ranges no
//! longer than the slices allow. The macro reads such elements through a window of the slice
//! made once before the loop (`&x[start..start + len]`, `vjp-macro/src/bounds.rs`) when the
//! loop is a `for` over a half-open range (also `.rev()`d) with pure bounds, nothing in its body
//! leaves an iteration early, and the read sits at the top level of the body.
//!
//! The shapes, over a group of one or two slices (an active one, and sometimes a `#[no_grad]`
//! or another active one) of length `M` (`x.len()`, `x.len().min(w.len())`, or a `usize` local
//! holding that):
//!
//! - shifted: `for i in 0..M - K { .. x[i + K] .. x[K + i] .. x[i + 2 - 1] .. x[i] .. }`, `K` a
//!   literal up to 2 (at most the shortest length the slices can have, so that `M - K` never
//!   underflows, and the loop runs zero times when the slices are that short), from `0`, or
//!   from `1`, `2` or a counter of a loop around (`c..M - K`, `c + 1..M - K`, `c + 2..`, empty
//!   when it starts past the end), then also reading below the counter, by at most the start
//!   (`x[i - 1]`, `x[i + 1 - 2]`); also `.rev()`;
//! - based: `let off = M / 2;` (`M - 1`, `M - 2`, `M / 3`, a literal, `n % M`), then
//!   `for i in 0..M - off { .. x[off + i] .. x[i + off] .. }`, or `0..M - off - 1` reading
//!   `x[off + i + 1]`, `x[1 + off + i]` too, or from `1`, `2`, `c`, `c + 1` reading
//!   `x[off + i - 1]` too; the base also written inline;
//! - blocks: `for r in 0..M / C { for c in 0..C { .. x[r * C + c] .. } }`;
//! - lags: `for t in 0..M { for i in 0..M - t { .. x[i] * x[i + t] .. } }`;
//! - a triangle: `for c in 0..M { for i in c + 1..M - K { .. x[i + K] .. x[i - 1] .. } }`;
//! - a convolution: `for i in 0..M - K { for k in 0..K + 1 { .. x[i + k] * w[k] .. } }`, `w`
//!   a slice at least `K + 1` long.
//!
//! Each loop registers its in-bounds indices per slice ([`Offset`]); while it runs,
//! [`Gen::index`] often picks one of them for a read of that slice (in random expressions
//! anywhere in its body, also in branches, nested loops and reductions), and the loop's own
//! body has reads at them at its top level, added into an accumulator (`s += x[i + 1] * e`,
//! `s += x[i + 1] * w[i]`, `let t = ..; s -= t;`). Loops without a twist get no `break` /
//! `continue` in their body (so that the macro makes windows); about a quarter have
//! `if c { continue; }` or `if c { break; }` before or after the reads (on the counter or on
//! active values), which must keep the macro from making them.
//!
//! Bounds: every index is below the length of its slice for every value the counters take
//! (the tests give slices 2 to 5 elements, `&[f64; 3]` 3), whatever the branches and jumps
//! skip; the accumulator grows by at most 4 per read.

use super::rows::lengths;
use super::{bin, Ctx, Gen, Kind, LoopInfo, PKind, Param, Var};
use crate::ast::{C, E, S};

/// An index into a slice parameter that stays in bounds while loop `loop_id` runs.
#[derive(Clone, Debug)]
pub(super) struct Offset {
    pub loop_id: usize,
    pub slice: String,
    pub index: String,
}

/// The slices a loop reads at offsets, and the length that bounds its range.
struct Group {
    slices: Vec<String>,
    /// `x.len()`, `x.len().min(w.len())`, or a `usize` local holding it.
    len: String,
    /// The smallest and the largest value of `len`.
    min: usize,
    max: usize,
    /// `len` is a local bound by a `let` without a type (`let m = x.len().min(w.len());`):
    /// the macro takes `min` for the float method, so that neither it nor what is computed
    /// from it may be passed to a callee's `usize` parameter (rejected: "vjp cannot tell
    /// whether the argument `x.len().min(w.len())` of `g` is a float"; through `let k = m /
    /// 2;`, E0277 / E0061, a cotangent expected for `k`).
    untyped: bool,
}

/// A `break` / `continue` in a loop body (which keeps the macro from making windows).
#[derive(Clone, Copy, PartialEq)]
enum Jump {
    None,
    Continue,
    Break,
}

/// Writes a nested loop into a body, and returns what it adds per iteration of the loop
/// around.
type InnerLoop<'a> = dyn FnMut(&mut Gen, &mut Ctx, &mut Vec<S>) -> f64 + 'a;

/// The nests.
enum Nest {
    /// `for r in 0..M / C { for c in 0..C { .. x[r * C + c] .. } }`
    Blocks(usize),
    /// `for t in 0..M { for i in 0..M - t { .. x[i + t] .. } }`
    Lags,
    /// `for c in 0..M { for i in c + 1..M - K { .. x[i + K] .. } }`
    Triangle(usize),
    /// `for i in 0..M - K { for k in 0..K + 1 { .. x[i + k] * w[k] .. } }`
    Conv(usize, String),
}

/// A range loop being written.
struct Lp {
    info: LoopInfo,
    counter: String,
    header: String,
}

impl Gen {
    /// Function parameters: a slice when the function has none (most of the time), and
    /// sometimes a `#[no_grad]` one, so that the loops have slices to read.
    /// When the function has no active slice parameter, most of the time (70%), the kind of
    /// one to add: a slice, a `&Vec`, or a `&[f64; 3]`.
    pub(super) fn active_slice_kind(&mut self, params: &[Param]) -> Option<PKind> {
        let active = |k: PKind| matches!(k, PKind::Slice | PKind::VecRef | PKind::RefArr(_));
        if params.iter().any(|p| active(p.kind)) || !self.rng.chance(0.7) {
            return None;
        }
        Some(match self.rng.weighted(&[6, 2, 2]) {
            0 => PKind::Slice,
            1 => PKind::VecRef,
            _ => PKind::RefArr(3),
        })
    }

    pub(super) fn offset_params(&mut self, cx: &mut Ctx, params: &mut Vec<Param>) {
        let has = |params: &Vec<Param>, f: &dyn Fn(PKind) -> bool| params.iter().any(|p| f(p.kind));
        if let Some(kind) = self.active_slice_kind(params) {
            self.offset_param(cx, params, kind);
        }
        if !has(params, &|k| k == PKind::NoGradSlice) && self.rng.chance(0.35) {
            self.offset_param(cx, params, PKind::NoGradSlice);
        }
    }

    fn offset_param(&mut self, cx: &mut Ctx, params: &mut Vec<Param>, kind: PKind) {
        let base = if kind == PKind::NoGradSlice {
            "wt"
        } else {
            "xs"
        };
        self.extra_param(cx, params, kind, base);
    }

    /// An index into `name` registered by a loop around (see the module's documentation),
    /// mostly the innermost one's: `None` most of the time when there is none.
    pub(super) fn offset_index(&mut self, cx: &Ctx, name: &str) -> Option<String> {
        if !self.opts.offset_reads || self.offsets.is_empty() {
            return None;
        }
        let live: Vec<(usize, String)> = self
            .offsets
            .iter()
            .filter(|o| o.slice == name && cx.loops.iter().any(|l| l.id == o.loop_id))
            .map(|o| (o.loop_id, o.index.clone()))
            .collect();
        if live.is_empty() || !self.rng.chance(0.6) {
            return None;
        }
        let inner = cx
            .loops
            .iter()
            .rev()
            .find(|l| live.iter().any(|(id, _)| *id == l.id))
            .map(|l| l.id);
        let pool: Vec<String> = if self.rng.chance(0.75) {
            live.iter()
                .filter(|(id, _)| Some(*id) == inner)
                .map(|(_, i)| i.clone())
                .collect()
        } else {
            live.into_iter().map(|(_, i)| i).collect()
        };
        Some(self.rng.pick(&pool).clone())
    }

    /// A loop (or a nest) reading slices at offsets of its counter, among ordinary statements;
    /// its result used like a `carried-counters` nest's.
    pub(super) fn offset_stmt(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        if let Some(r) = self.offset_loop(cx, out) {
            self.use_float(cx, out, r);
        }
    }

    /// The slice parameters that can be read here.
    fn offset_slices(cx: &Ctx) -> Vec<Var> {
        cx.readable(|k| matches!(k, Kind::Slice(_)))
            .into_iter()
            .filter(|v| v.param.is_some() && !v.by_ref)
            .collect()
    }

    /// One or two slices and their common length (a `let` of it into `out` sometimes).
    fn offset_group(&mut self, cx: &mut Ctx, out: &mut Vec<S>, slices: &[Var]) -> Group {
        let active: Vec<&Var> = slices.iter().filter(|v| !v.nograd).collect();
        let first = if active.is_empty() {
            self.rng.pick(slices).clone()
        } else {
            (*self.rng.pick(&active)).clone()
        };
        let others: Vec<&Var> = slices.iter().filter(|v| v.name != first.name).collect();
        let mut group = vec![first];
        if !others.is_empty() && self.rng.chance(0.5) {
            let no_grad: Vec<&Var> = others.iter().copied().filter(|v| v.nograd).collect();
            let second = if !no_grad.is_empty() && self.rng.chance(0.7) {
                (*self.rng.pick(&no_grad)).clone()
            } else {
                (*self.rng.pick(&others)).clone()
            };
            group.push(second);
        }
        let min = group.iter().map(|v| lengths(v).0).min().unwrap();
        let max = group.iter().map(|v| lengths(v).1).min().unwrap();
        let names: Vec<String> = group.into_iter().map(|v| v.name).collect();
        let mut untyped = false;
        let len = match names.as_slice() {
            [x] => format!("{x}.len()"),
            [x, w] => {
                let len = format!("{x}.len().min({w}.len())");
                if self.rng.chance(0.5) {
                    len
                } else {
                    let m = self.counter_name();
                    untyped = self.rng.chance(0.5);
                    let ty = if untyped { "" } else { ": usize" };
                    out.push(S::Raw(format!("let {m}{ty} = {len};")));
                    let mut v = self.var(cx, m.clone(), Kind::Int, max as f64, false);
                    v.not_usize = untyped;
                    cx.declare(v);
                    m
                }
            }
            _ => unreachable!(),
        };
        Group {
            slices: names,
            len,
            min,
            max,
            untyped,
        }
    }

    /// A counter of a loop around that a range may start from: a `usize` nothing assigns.
    fn offset_outer_counter(&self, cx: &Ctx) -> Vec<String> {
        let vis = cx.visible();
        cx.loops
            .iter()
            .filter_map(|l| l.counter.as_ref().map(|(c, _)| c.clone()))
            .filter(|c| {
                vis.iter()
                    .rev()
                    .find(|v| v.name == *c)
                    .is_some_and(|v| v.kind == Kind::Int && !v.not_usize && !v.mutable)
            })
            .collect()
    }

    /// The start of a range, and its smallest value (what an index may subtract from the
    /// counter): mostly `0`, else `1`, `2` or a counter of a loop around (`c`, `c + 1`,
    /// `c + 2`); the range is empty when it starts past its end.
    fn offset_lo(&mut self, cx: &Ctx) -> (String, usize) {
        let outer = self.offset_outer_counter(cx);
        let outer_w = if outer.is_empty() { 0 } else { 2 };
        match self.rng.weighted(&[6, 3, 1, outer_w, outer_w, outer_w / 2]) {
            0 => ("0".to_string(), 0),
            1 => ("1".to_string(), 1),
            2 => ("2".to_string(), 2),
            3 => (self.rng.pick(&outer).clone(), 0),
            4 => (format!("{} + 1", self.rng.pick(&outer)), 1),
            _ => (format!("{} + 2", self.rng.pick(&outer)), 2),
        }
    }

    /// A new range loop over `range` (`.rev()`d sometimes when `rev`), its counter at most
    /// `max`, at most `trips` iterations.
    fn offset_lp(&mut self, range: String, rev: bool, max: usize, trips: usize) -> Lp {
        self.loop_ids += 1;
        let counter = self.counter_name();
        let range = if rev && self.rng.chance(0.3) {
            format!("({range}).rev()")
        } else {
            range
        };
        Lp {
            info: LoopInfo {
                id: self.loop_ids,
                counter: Some((counter.clone(), max)),
                over: None,
                trips,
            },
            header: format!("{counter} in {range}"),
            counter,
        }
    }

    /// Registers the in-bounds indices `indices` of `slice` for loop `id`.
    fn offsets_for(&mut self, id: usize, slice: &str, indices: &[String]) {
        for index in indices {
            self.offsets.push(Offset {
                loop_id: id,
                slice: slice.to_string(),
                index: index.clone(),
            });
        }
    }

    /// The indices `i + d` for `d` from `-down` to `up`, for a counter `i` of at least `down`
    /// that stays `up` below the length: `i`, `i + 1`, `1 + i`, `i + 2 - 1`, `i - 1`,
    /// `i + 1 - 2` (no step of them below zero).
    fn shifted(i: &str, down: usize, up: usize) -> Vec<String> {
        let mut v = vec![i.to_string()];
        for k in 1..=up {
            v.push(format!("{i} + {k}"));
            v.push(format!("{k} + {i}"));
        }
        if up < 2 {
            v.push(format!("{i} + {} - 1", up + 1));
        }
        for k in 1..=down {
            v.push(format!("{i} - {k}"));
            v.push(format!("{i} + 1 - {}", k + 1));
        }
        v
    }

    fn draw_jump(&mut self) -> Jump {
        match self.rng.weighted(&[15, 3, 2]) {
            0 => Jump::None,
            1 => Jump::Continue,
            _ => Jump::Break,
        }
    }

    /// `if c { continue; }` / `if c { break; }`, on the counter or on active values.
    fn offset_jump(&mut self, cx: &Ctx, counter: &str, jump: Jump) -> S {
        self.jump_on(cx, counter, jump == Jump::Break)
    }

    /// `if c { break; }` when `brk`, else `if c { continue; }`, on the counter or on active
    /// values (also for the loops of `stepped-slots`).
    pub(super) fn jump_on(&mut self, cx: &Ctx, counter: &str, brk: bool) -> S {
        let c = if self.rng.chance(0.5) {
            C::Raw(match self.rng.below(4) {
                0 => format!("{counter} % 2 == 1"),
                1 => format!("{counter} == 1"),
                2 => format!("{counter} > 2"),
                _ => format!("{counter} % 3 == 0"),
            })
        } else {
            self.cond(cx, 1)
        };
        let s = if brk { S::Break } else { S::Continue };
        S::If(vec![(c, vec![s])], None)
    }

    /// A read at an offset of loop `id`, at the top level of its body, added into `s`:
    /// `s += x[i + 1] * e;`, `s -= x[i + 1] * w[i];`, `let t = ..; s += t;`. `pair`: the
    /// product of reads of two slices when there are two. Returns the bound of what was added.
    fn offset_read(
        &mut self,
        cx: &mut Ctx,
        body: &mut Vec<S>,
        id: usize,
        s: &str,
        pair: bool,
    ) -> f64 {
        let mine: Vec<(String, String)> = self
            .offsets
            .iter()
            .filter(|o| o.loop_id == id)
            .map(|o| (o.slice.clone(), o.index.clone()))
            .collect();
        if mine.is_empty() {
            return 0.0;
        }
        // Mostly at an offset (`i + 1`, `off + i`, `r * 2 + c`) rather than at a counter.
        let offset: Vec<(String, String)> = mine
            .iter()
            .filter(|(_, i)| i.contains(" + "))
            .cloned()
            .collect();
        let (a, ia) = if !offset.is_empty() && self.rng.chance(0.8) {
            self.rng.pick(&offset).clone()
        } else {
            self.rng.pick(&mine).clone()
        };
        let first = E::Place(format!("{a}[{ia}]"));
        let others: Vec<&(String, String)> = mine.iter().filter(|(b, _)| *b != a).collect();
        let (e, b) = if !others.is_empty() && (pair || self.rng.chance(0.4)) {
            let (b, ib) = (*self.rng.pick(&others)).clone();
            (E::Place(format!("{b}[{ib}]")), 2.0)
        } else {
            let (e, b) = self.expr(cx, 1);
            self.fit((e, b), 2.0)
        };
        let (read, bound) = if self.rng.chance(0.5) {
            (bin("*", first, e), 2.0 * b)
        } else {
            (bin("*", e, first), 2.0 * b)
        };
        let op = *self.rng.pick(&["+=", "-=", "+="]);
        if self.rng.chance(0.3) {
            let t = self.name_avoiding(&[s, &a]);
            let v = self.var(cx, t.clone(), Kind::F, bound, false);
            Self::declare_from(cx, v, &None, &read);
            body.push(S::Let {
                pat: t.clone(),
                mutable: false,
                ty: None,
                e: read,
            });
            body.push(S::Compound(s.to_string(), op, E::Place(t)));
        } else {
            body.push(S::Compound(s.to_string(), op, read));
        }
        bound
    }

    /// The body of the open loop `lp`: random statements around `reads` reads at its offsets
    /// (the product of two slices' reads when `pair`), and `jump` before or after them;
    /// `inner` writes a nested loop after them. Returns the body and the bound of what it adds
    /// to `s` per iteration (with what `inner` returns; random statements add to the growth
    /// of `s` themselves).
    #[allow(clippy::too_many_arguments)]
    fn offset_body(
        &mut self,
        cx: &mut Ctx,
        lp: &Lp,
        s: &str,
        reads: usize,
        pair: bool,
        jump: Jump,
        inner: Option<&mut InnerLoop<'_>>,
    ) -> (Vec<S>, f64) {
        let id = lp.info.id;
        let no_jump = cx.no_jump;
        if jump == Jump::None {
            // Nothing leaves an iteration early: the macro makes its windows.
            cx.no_jump = Some(id);
        }
        let budget = std::mem::replace(&mut cx.budget, self.rng.range(1, 3));
        let before = self.rng.chance(0.5);
        let mut body = Vec::new();
        let mut growth = 0.0;
        let pre = self.rng.range(0, 1);
        self.stmts(cx, pre, &mut body);
        if jump != Jump::None && before {
            let j = self.offset_jump(cx, &lp.counter, jump);
            body.push(j);
        }
        for _ in 0..reads {
            growth += self.offset_read(cx, &mut body, id, s, pair);
        }
        if let Some(inner) = inner {
            growth += inner(self, cx, &mut body);
            if self.rng.chance(0.3) {
                growth += self.offset_read(cx, &mut body, id, s, pair);
            }
        }
        if jump != Jump::None && !before {
            let j = self.offset_jump(cx, &lp.counter, jump);
            body.push(j);
        }
        let post = self.rng.range(0, 2);
        self.stmts(cx, post, &mut body);
        cx.budget = budget;
        cx.no_jump = no_jump;
        (body, growth)
    }

    /// Declares an accumulator, writes one of the loops or nests of the module's
    /// documentation adding reads at offsets into it, and returns it.
    pub(super) fn offset_loop(&mut self, cx: &mut Ctx, out: &mut Vec<S>) -> Option<String> {
        self.restrict |= cx.reevaluated();
        let slices = Self::offset_slices(cx);
        if slices.is_empty() {
            self.loop_stmt(cx, out);
            return None;
        }
        let nest = if cx.level() == 0 { 2 } else { 0 };
        let shape = self.rng.weighted(&[5, 4, nest, nest, nest, nest]);
        let g = self.offset_group(cx, out, &slices);
        self.loop_ids += 1;
        let acc_id = self.loop_ids;
        let s = self.offset_acc(cx, out, acc_id);
        let restrict = std::mem::replace(&mut self.restrict, true);
        let trips = match shape {
            0 => self.offset_shifted(cx, out, &g, &s, acc_id),
            1 => self.offset_based(cx, out, &g, &s, acc_id),
            _ => self.offset_nest(cx, out, &g, &s, acc_id, shape, &slices),
        };
        self.restrict = restrict;
        if let Some(v) = cx.find_mut(&s) {
            v.acc = None;
            v.bound = (v.bound + v.growth * trips.max(1) as f64).max(1.0);
            v.growth = 0.0;
        }
        Some(s)
    }

    /// `let mut os = ..;`, the accumulator of loop `id`, under a name of its own: its loops add
    /// to it by name, and a random `let` of a name from the usual list in their bodies would
    /// shadow it.
    fn offset_acc(&mut self, cx: &mut Ctx, out: &mut Vec<S>, id: usize) -> String {
        self.fresh += 1;
        let name = format!("os{}", self.fresh);
        // Mostly from an active value: a loop may run zero times, and an accumulator left at
        // zero for every input puts a kink read after it (`os.abs()`, `os > 0.0`) at a constant.
        self.declare_acc(cx, out, id, name, 0.25)
    }

    /// `lp` as the loop of accumulator `acc_id`: `s` is its accumulator while it runs.
    fn own_acc(cx: &mut Ctx, s: &str, id: usize) {
        if let Some(v) = cx.find_mut(s) {
            v.acc = Some(id);
        }
    }

    /// Adds `growth` per iteration of the accumulator's loop to `s`.
    fn grow(cx: &mut Ctx, s: &str, growth: f64) {
        if let Some(v) = cx.find_mut(s) {
            v.growth += growth;
        }
    }

    /// The loop `lp` of a one-loop shape over `g`, with its body (1 or 2 reads into `s`, a
    /// `break` / `continue` a quarter of the time), appended to `out`; `acc` is the
    /// accumulator's owner after it.
    fn one_offset_loop(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        g: &Group,
        s: &str,
        acc: usize,
        lp: Lp,
    ) {
        let id = lp.info.id;
        let jump = self.draw_jump();
        self.open_loop(cx, &lp.info);
        Self::own_acc(cx, s, id);
        let reads = self.rng.range(1, 2);
        let pair = g.slices.len() > 1 && self.rng.chance(0.5);
        let (body, growth) = self.offset_body(cx, &lp, s, reads, pair, jump, None);
        Self::close_loop(cx);
        self.offsets.retain(|o| o.loop_id != id);
        Self::own_acc(cx, s, acc);
        Self::grow(cx, s, growth);
        out.push(S::For(lp.header, body));
    }

    /// `for i in LO..M - K { .. x[i + K] .. }`. Returns the largest trip count.
    fn offset_shifted(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        g: &Group,
        s: &str,
        acc: usize,
    ) -> usize {
        let k = match g.min.min(2) {
            0 => 0,
            1 => self.rng.weighted(&[1, 3]),
            _ => self.rng.weighted(&[1, 3, 3]),
        };
        let hi = if k == 0 {
            g.len.clone()
        } else {
            format!("{} - {k}", g.len)
        };
        let (lo, down) = self.offset_lo(cx);
        let max = g.max.saturating_sub(k + 1);
        let trips = g.max.saturating_sub(k).max(1);
        let lp = self.offset_lp(format!("{lo}..{hi}"), true, max, trips);
        let id = lp.info.id;
        for x in &g.slices {
            let idx = Self::shifted(&lp.counter, down, k);
            self.offsets_for(id, x, &idx);
        }
        self.one_offset_loop(cx, out, g, s, acc, lp);
        trips
    }

    /// `let off = M / 2; for i in 0..M - off { .. x[off + i] .. }`, the base sometimes inline.
    fn offset_based(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        g: &Group,
        s: &str,
        acc: usize,
    ) -> usize {
        let m = &g.len;
        let ints = self.int_params(cx);
        let int_w = if ints.is_empty() { 0 } else { 2 };
        // The base, whether it is a difference, and whether it is below `M` (so that the range
        // may also end one before: `0..M - off - 1`, reading `x[off + i + 1]`).
        let (base, compound, below) = match self.rng.weighted(&[3, 2, 2, 2, 1, int_w]) {
            0 => (format!("{m} / 2"), false, true),
            1 => (format!("{m} - 1"), true, true),
            2 => (format!("{m} - 2"), true, true),
            3 => {
                let k = self.rng.range(0, g.min.min(2));
                (k.to_string(), false, k < g.min)
            }
            4 => (format!("{m} / 3"), false, true),
            _ => (format!("{} % {m}", self.rng.pick(&ints)), false, true),
        };
        let plus = below && self.rng.chance(0.35);
        let base_max = g.max;
        let (off, inline) = if self.rng.chance(0.7) {
            let off = self.counter_name();
            out.push(S::Raw(format!("let {off} = {base};")));
            let mut v = self.var(cx, off.clone(), Kind::Int, base_max as f64, false);
            v.not_usize = g.untyped;
            cx.declare(v);
            (off, false)
        } else {
            (base, true)
        };
        let sub = if inline && compound {
            format!("({off})")
        } else {
            off.clone()
        };
        let (lo, down) = self.offset_lo(cx);
        let hi = if plus {
            format!("{m} - {sub} - 1")
        } else {
            format!("{m} - {sub}")
        };
        let lp = self.offset_lp(format!("{lo}..{hi}"), true, g.max - 1, g.max);
        let id = lp.info.id;
        let i = lp.counter.clone();
        let mut idx = vec![format!("{off} + {i}"), format!("{i} + {sub}"), i.clone()];
        if inline {
            // Mostly the offset forms.
            idx.push(format!("{off} + {i}"));
        }
        if plus {
            idx.push(format!("{off} + {i} + 1"));
            idx.push(format!("{i} + {sub} + 1"));
            idx.push(format!("{off} + 1 + {i}"));
            idx.push(format!("1 + {off} + {i}"));
        }
        if down > 0 {
            idx.push(format!("{off} + {i} - 1"));
            idx.push(format!("{i} - 1 + {sub}"));
        }
        for x in &g.slices {
            self.offsets_for(id, x, &idx);
        }
        self.one_offset_loop(cx, out, g, s, acc, lp);
        g.max
    }

    /// Two nested loops (`shape` 2: blocks, 3: lags, 4: a triangle, 5: a convolution).
    /// Returns the largest trip count of the outer loop.
    #[allow(clippy::too_many_arguments)]
    fn offset_nest(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        g: &Group,
        s: &str,
        acc: usize,
        shape: usize,
        slices: &[Var],
    ) -> usize {
        let m = g.len.clone();
        let nest = match shape {
            2 => Nest::Blocks(1 + self.rng.weighted(&[1, 3, 3])),
            3 => Nest::Lags,
            4 => Nest::Triangle(self.rng.range(0, g.min.min(1))),
            _ => {
                // The taps: a slice at least `k + 1` long (every slice has 2 elements or more).
                let w = self.rng.pick(slices).clone();
                let k = self.rng.range(1, (lengths(&w).0 - 1).min(g.min).min(2));
                Nest::Conv(k, w.name)
            }
        };
        // The outer loop and its indices.
        let (outer, outer_idx) = match &nest {
            Nest::Blocks(c) => {
                let lp = self.offset_lp(
                    format!("0..{m} / {c}"),
                    true,
                    (g.max / c).saturating_sub(1),
                    (g.max / c).max(1),
                );
                let r = lp.counter.clone();
                let idx = vec![r.clone(), format!("{r} * {c}")];
                (lp, idx)
            }
            Nest::Lags | Nest::Triangle(_) => {
                let lp = self.offset_lp(format!("0..{m}"), true, g.max - 1, g.max);
                let idx = vec![lp.counter.clone()];
                (lp, idx)
            }
            Nest::Conv(k, _) => {
                let lp = self.offset_lp(
                    format!("0..{m} - {k}"),
                    true,
                    g.max.saturating_sub(k + 1),
                    g.max - k,
                );
                let idx = Self::shifted(&lp.counter, 0, *k);
                (lp, idx)
            }
        };
        let oid = outer.info.id;
        for x in &g.slices {
            self.offsets_for(oid, x, &outer_idx);
        }
        let o = outer.counter.clone();
        // The inner loop and its indices, per slice.
        let per = |idx: &[String]| -> Vec<(String, Vec<String>)> {
            g.slices.iter().map(|x| (x.clone(), idx.to_vec())).collect()
        };
        let (inner, inner_idx) = match &nest {
            Nest::Blocks(c) => {
                let lp = self.offset_lp(format!("0..{c}"), true, c - 1, *c);
                let j = lp.counter.clone();
                let idx = [
                    format!("{o} * {c} + {j}"),
                    format!("{j} + {o} * {c}"),
                    j.clone(),
                    o.clone(),
                ];
                (lp, per(&idx))
            }
            Nest::Lags => {
                let lp = self.offset_lp(format!("0..{m} - {o}"), true, g.max - 1, g.max);
                let i = lp.counter.clone();
                let idx = [
                    format!("{i} + {o}"),
                    format!("{o} + {i}"),
                    i.clone(),
                    o.clone(),
                ];
                (lp, per(&idx))
            }
            Nest::Triangle(k) => {
                let (lo, down) = if self.rng.chance(0.7) {
                    (format!("{o} + 1"), 1)
                } else {
                    (o.clone(), 0)
                };
                let hi = if *k == 0 {
                    m.clone()
                } else {
                    format!("{m} - {k}")
                };
                let lp = self.offset_lp(
                    format!("{lo}..{hi}"),
                    true,
                    g.max.saturating_sub(k + 1),
                    g.max,
                );
                let mut idx = Self::shifted(&lp.counter, down, *k);
                idx.push(o.clone());
                (lp, per(&idx))
            }
            Nest::Conv(k, w) => {
                let lp = self.offset_lp(format!("0..{}", k + 1), true, *k, k + 1);
                let j = lp.counter.clone();
                let idx = [format!("{o} + {j}"), format!("{j} + {o}"), o.clone()];
                let mut idx = per(&idx);
                match idx.iter_mut().find(|(x, _)| x == w) {
                    Some((_, v)) => v.push(j.clone()),
                    None => idx.push((w.clone(), vec![j.clone()])),
                }
                (lp, idx)
            }
        };
        let iid = inner.info.id;
        for (x, idx) in &inner_idx {
            self.offsets_for(iid, x, idx);
        }
        let conv = matches!(nest, Nest::Conv(..));
        let pair = inner_idx.len() > 1 && (conv || self.rng.chance(0.5));
        // The jump, in the outer loop or in the inner one.
        let jump = self.draw_jump();
        let (outer_jump, inner_jump) = if self.rng.chance(0.5) {
            (jump, Jump::None)
        } else {
            (Jump::None, jump)
        };
        self.open_loop(cx, &outer.info);
        Self::own_acc(cx, s, oid);
        let outer_reads = self.rng.range(0, 1);
        let inner_trips = inner.info.trips.max(1) as f64;
        let mut write_inner = |this: &mut Self, cx: &mut Ctx, body: &mut Vec<S>| -> f64 {
            this.open_loop(cx, &inner.info);
            // What the inner loop adds per iteration, apart from what the outer one adds.
            let outer_growth = Self::take_growth(cx, s);
            Self::own_acc(cx, s, iid);
            let reads = this.rng.range(1, 2);
            let (b, growth) = this.offset_body(cx, &inner, s, reads, pair, inner_jump, None);
            Self::close_loop(cx);
            let random = Self::take_growth(cx, s);
            Self::own_acc(cx, s, oid);
            Self::grow(cx, s, outer_growth);
            body.push(S::For(inner.header.clone(), b));
            (growth + random) * inner_trips
        };
        let (body, growth) = self.offset_body(
            cx,
            &outer,
            s,
            outer_reads,
            false,
            outer_jump,
            Some(&mut write_inner),
        );
        Self::close_loop(cx);
        self.offsets
            .retain(|o| o.loop_id != oid && o.loop_id != iid);
        Self::own_acc(cx, s, acc);
        Self::grow(cx, s, growth);
        out.push(S::For(outer.header, body));
        outer.info.trips
    }

    /// The growth of `s` so far, which is set to zero.
    fn take_growth(cx: &mut Ctx, s: &str) -> f64 {
        cx.find_mut(s)
            .map_or(0.0, |v| std::mem::take(&mut v.growth))
    }
}
