//! The `stepped-slots` emphasis switch: loops that read a slice parameter at an integer they
//! step once per iteration (`q[l]` with `l += 1;`), and packed triangles walked column by
//! column (`let mut l = off; for c in 0..n { for r in c + 1..n { y[r] += q[l] * x[c];
//! l += 1; } }`). Two optimisations of the macro take these paths:
//!
//! - the reverse of a loop whose body reads an integer slot stepped by a literal at the end of
//!   every iteration (or handed on from an inner loop that steps it) runs in forward order,
//!   stepping the slot again from its value before the loop (`Plan::replay`,
//!   `vjp-macro/src/plan.rs`), when nothing else keeps it backwards (no `if` in the body,
//!   nothing costly saved, active slots only accumulating);
//! - a read `q[l]` of a slice parameter at a slot stepped by exactly one goes through a window
//!   `&q[l..l + trips]` cut before the loop, and its adjoint through `&mut bar_q[..]` when
//!   nothing else in the loop reads `q` (`vjp-macro/src/bounds.rs`), when the loop is a range
//!   (`lo..hi`, also `.rev()`d) with pure bounds that no `break` / `continue` leaves early and
//!   the read and the step sit at the top level of its body.
//!
//! The shapes:
//!
//! - one loop, `let mut l = S; for i in R { s += q[l] * x[i]; l += 1; }`: `S` a literal, a
//!   local `b` from `M / 2`, `M - 1`, `off % M` (a `#[no_grad] usize` parameter), `n.min(M)`;
//!   `R` `0..M - K`, `K..M`, `l..M` (from the slot itself), `b..M`, `0..M - b`,
//!   `0..n.min(M - K)`, `0..T` (`M` the length of the slices read: `q.len()`, a literal for
//!   `&[f64; N]`, `q.len().min(x.len())` inline or in a `let m: usize`), every range sometimes
//!   `.rev()`d; steps by 2 and 3 (`0..M / 2`), and down (`l -= 1` from `M` reading `q[l - 1]`,
//!   or from `M - 1` reading `q[l]` and `q[l - 1]`); the step at the end of the body (mostly),
//!   at its top (reads then at `l - 1`), or between two reads; from `K - 1` reading one ahead
//!   (`q[l + 1]`, and `q[l]` after the step); the other factor `x[i]` or `x[l]` of a second
//!   slice, a plain value, or a random expression;
//! - empty loops (`0..M / 6`, `0..n / 5`, `M..M`) from a start that would be out of bounds, or
//!   would go below zero (`l -= 1` from 0), if the body ran;
//! - nests: the packed triangle (`c + 1..n` or `c..n`, each loop sometimes `.rev()`d) over a
//!   `&[f64; 4]` or `&[f64; 5]` parameter or a slice, `n` a literal, `x.len().min(3)`,
//!   `n.min(3)`, `n % 2`, `q.len() / 2`, `q.len() / 8` (never a triangle longer than the
//!   slice from where it starts, for every length), adding into a local `[0.0; N]` (then
//!   reduced into the result: `for j in 0..N { s += y[j] * e; }`, `y.iter().sum::<f64>()`,
//!   `y[j] * y[j]`) or into the result directly; and rows walked row by row
//!   (`for r in 0..2 { for c in 0..q.len() / 2 { .. q[l] ..; l += 1; } }`).
//!
//! Around them, what keeps the optimisations off or tests their conditions: an `if` in the
//! body (on the counter or on active values), a costly value (`let e = (..).exp();`) the reads
//! use, `if c { continue; }` / `break` (also before the step, so that some iterations do not
//! step), the same slice read again in the loop (at the counter, at a second stepped integer,
//! passed to a generated callee), the integer read as a float (`(l as f64)`, also after the
//! loop and in the outer loop of a nest), and random statements (which read the slice at the
//! stepped integer now and then, see [`Gen::stepped_index`]). In a nest, the outer loop gets an
//! `if`, a costly value, a jump or a read of `l`, or the inner one a jump. A quarter of the
//! loops among the function's own statements leave their result to the function's tail only,
//! which uses it linearly (as `fused-loops` does): the macro may then fuse them.
//!
//! Bounds: every read is in bounds for every length a slice may have (2 to 5, `&[f64; N]`
//! exactly `N`; the other generators assume at most 5 elements, which rules out larger packed
//! arrays), whatever the branches and jumps skip (they only make the integer step less), and
//! a decremented integer never goes below zero.

use super::rows::lengths;
use super::{bin, Ctx, Gen, Kind, LoopInfo, PKind, Param};
use crate::ast::{C, E, S};

/// An index into a slice parameter at a stepped integer, in bounds while the body of loop
/// `loop_id` runs.
#[derive(Clone, Debug)]
pub(super) struct SlotRead {
    pub loop_id: usize,
    pub slice: String,
    pub index: String,
}

/// A slice parameter a loop reads, and the lengths it may have.
#[derive(Clone, Debug)]
struct Walked {
    name: String,
    min: usize,
    max: usize,
    /// `&[f64; N]`: its length is `N`.
    fixed: bool,
    nograd: bool,
}

/// How the integer steps once per iteration.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Step {
    /// `l += k`.
    Up(usize),
    /// `l -= 1`.
    Down,
}

/// Where the step sits in the loop's body.
#[derive(Clone, Copy, PartialEq, Debug)]
enum At {
    End,
    Top,
    /// Between two reads.
    Middle,
}

/// What a loop has besides its reads, that keeps the macro from running its reverse forwards
/// or from making windows.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Twist {
    None,
    /// An `if` reading the slice.
    If,
    /// `let e = (..).exp();`, read with the slice.
    Costly,
    Continue,
    Break,
}

/// The range of a one-loop shape: its integer's start and range, and what the body may read.
struct Plan {
    /// A `let` before the loop (a base `b`): its name, value and largest value.
    base: Option<(String, String, usize)>,
    start: String,
    range: String,
    /// Largest trip count.
    trips: usize,
    /// Largest value of the counter.
    cmax: usize,
    /// Largest value of the integer.
    lmax: usize,
    /// In-bounds indices at the integer before the step, and after it.
    before: Vec<String>,
    after: Vec<String>,
    /// The counter is below `M` (a valid index of the slices).
    counter_ok: bool,
}

impl Gen {
    /// Function parameters: a slice when the function has none (most of the time), a packed
    /// `&[f64; 4]` or `&[f64; 5]` sometimes, a `#[no_grad]` slice and a `#[no_grad] usize`
    /// sometimes.
    pub(super) fn stepped_params(&mut self, cx: &mut Ctx, params: &mut Vec<Param>) {
        let has = |params: &Vec<Param>, f: &dyn Fn(PKind) -> bool| params.iter().any(|p| f(p.kind));
        if let Some(kind) = self.active_slice_kind(params) {
            self.extra_param(cx, params, kind, "xs");
        }
        if self.rng.chance(0.4) {
            // Packed triangles: at most 5 elements, as every slice the generator writes (its
            // loops over a slice, and the `usize` arguments and `Vec`s they make, assume it).
            let n = if self.rng.chance(0.6) { 5 } else { 4 };
            self.extra_param(cx, params, PKind::RefArr(n), "q");
        }
        if !has(params, &|k| k == PKind::NoGradSlice) && self.rng.chance(0.3) {
            self.extra_param(cx, params, PKind::NoGradSlice, "wt");
        }
        if self.rng.chance(0.45) {
            // Not a base of `slot_name` (a slot must not shadow it).
            let base = *self.rng.pick(&["off", "start", "from"]);
            self.extra_param(cx, params, PKind::NoGradInt, base);
        }
    }

    /// A parameter `BASEk` of `kind` (`k` the parameter's position), declared to the
    /// generator; nothing if that name is taken (also for `offset-reads`).
    pub(super) fn extra_param(
        &mut self,
        cx: &mut Ctx,
        params: &mut Vec<Param>,
        kind: PKind,
        base: &str,
    ) {
        let name = format!("{base}{}", params.len());
        if params.iter().any(|p| p.name == name) {
            return;
        }
        let (vkind, bound) = match kind {
            PKind::RefArr(n) => (Kind::Slice(Some(n)), 2.0),
            PKind::NoGradInt => (Kind::Int, 4.0),
            _ => (Kind::Slice(None), 2.0),
        };
        let mut v = self.var(cx, name.clone(), vkind, bound, false);
        v.param = Some(kind);
        v.nograd = kind == PKind::NoGradSlice;
        cx.declare(v);
        params.push(Param {
            name,
            kind,
            mutable: false,
        });
    }

    /// An index into `name` at an integer a loop around steps (see the module's
    /// documentation), sometimes, when there is one.
    pub(super) fn stepped_index(&mut self, cx: &Ctx, name: &str) -> Option<String> {
        if !self.opts.stepped_slots || self.slot_reads.is_empty() {
            return None;
        }
        let live: Vec<String> = self
            .slot_reads
            .iter()
            .filter(|o| o.slice == name && cx.loops.iter().any(|l| l.id == o.loop_id))
            .map(|o| o.index.clone())
            .collect();
        if live.is_empty() || !self.rng.chance(0.5) {
            return None;
        }
        Some(self.rng.pick(&live).clone())
    }

    /// Registers `indices` of `slice` as in bounds in loop `id` (dropping what it registered
    /// before).
    fn slot_indices(&mut self, id: usize, slice: &str, indices: &[String]) {
        self.slot_reads
            .retain(|o| !(o.loop_id == id && o.slice == slice));
        for index in indices {
            self.slot_reads.push(SlotRead {
                loop_id: id,
                slice: slice.to_string(),
                index: index.clone(),
            });
        }
    }

    /// A loop or a nest of the module's documentation among ordinary statements, its result
    /// used like an `offset-reads` loop's.
    pub(super) fn stepped_stmt(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        self.restrict |= cx.reevaluated();
        let slices = Self::walked(cx);
        if slices.is_empty() {
            self.loop_stmt(cx, out);
            return;
        }
        let restrict = std::mem::replace(&mut self.restrict, true);
        let nest = if cx.level() == 0 { 4 } else { 0 };
        let r = match self.rng.weighted(&[6, nest]) {
            0 => self.slot_loop(cx, out, &slices),
            _ => self.slot_nest(cx, out, &slices),
        };
        self.restrict = restrict;
        // Not assigned again by random statements (which would leave the loop's work dead).
        if let Some(v) = cx.find_mut(&r) {
            v.mutable = false;
        }
        if cx.level() == 0 && cx.depth == 0 && self.rng.chance(0.25) {
            // Read by the function's tail only, linearly (`Gen::linear_tail`): the macro may
            // fuse the loop (`fuse.rs`), whose stepped windows it keeps.
            if let Some(v) = cx.find_mut(&r) {
                v.linear = true;
            }
            return;
        }
        self.use_float(cx, out, r);
    }

    /// The slice parameters that can be read here.
    fn walked(cx: &Ctx) -> Vec<Walked> {
        cx.readable(|k| matches!(k, Kind::Slice(_)))
            .into_iter()
            .filter(|v| v.param.is_some() && !v.by_ref)
            .map(|v| {
                let (min, max) = lengths(&v);
                Walked {
                    fixed: matches!(v.kind, Kind::Slice(Some(_))),
                    nograd: v.nograd,
                    name: v.name,
                    min,
                    max,
                }
            })
            .collect()
    }

    /// A slice among `slices`, mostly an active one.
    fn pick_walked(&mut self, slices: &[Walked]) -> Walked {
        let active: Vec<&Walked> = slices.iter().filter(|w| !w.nograd).collect();
        if !active.is_empty() && self.rng.chance(0.8) {
            (*self.rng.pick(&active)).clone()
        } else {
            self.rng.pick(slices).clone()
        }
    }

    /// `let mut NAME = ..;`, the result of loop `id`, under a name of its own (a random `let`
    /// in the loop's body must not shadow it).
    fn slot_acc(&mut self, cx: &mut Ctx, out: &mut Vec<S>, id: usize) -> String {
        self.fresh += 1;
        let name = format!("{}{}", self.rng.pick(&["ss", "acc_", "tot"]), self.fresh);
        self.declare_acc(cx, out, id, name, 0.25)
    }

    /// The name of a stepped integer.
    fn slot_name(&mut self) -> String {
        self.fresh += 1;
        let base = *self.rng.pick(&["l", "k", "pos", "at", "ofs", "p"]);
        format!("{base}{}", self.fresh)
    }

    /// Declares the stepped integer `l` (largest value `max`), started from `start` with a
    /// `let` typed or not: visible to random code as an integer (read as a float, in
    /// conditions, passed to a callee's `usize` parameter).
    fn declare_slot(&self, cx: &mut Ctx, l: &str, max: usize, start: &str, typed: bool) {
        let mut v = self.var(cx, l.to_string(), Kind::Int, max as f64, true);
        // The macro takes an untyped integer from `a.min(b)` for a float, also after steps:
        // passed to a callee's `usize` parameter, the call gets a cotangent for it (E0277,
        // "not one cotangent per float argument"; see offsets.rs).
        v.not_usize = !typed && start.contains(".min(");
        cx.declare(v);
    }

    /// `s OP= q[..] * f` (or through a `let`) for the read `read` and a factor `f`: one of
    /// `others` (the other slice at the counter or at the integer), the costly value, or
    /// [`Gen::cheap_factor`]. Returns the bound added.
    fn slot_read(
        &mut self,
        cx: &mut Ctx,
        body: &mut Vec<S>,
        s: &str,
        read: String,
        others: &[String],
        costly: Option<&str>,
    ) -> f64 {
        let first = E::Place(read);
        // Mostly cheap: a costly factor is saved for the reverse, which then runs backwards.
        let (f, fb) = match costly {
            Some(e) if self.rng.chance(0.7) => (E::Place(e.to_string()), 2.0),
            _ if !others.is_empty() && self.rng.chance(0.6) => {
                (E::Place(self.rng.pick(others).clone()), 2.0)
            }
            _ => self.cheap_factor(cx),
        };
        let (e, b) = if self.rng.chance(0.5) {
            (bin("*", first, f), 2.0 * fb)
        } else {
            (bin("*", f, first), 2.0 * fb)
        };
        let op = *self.rng.pick(&["+=", "-=", "+="]);
        if self.rng.chance(0.25) {
            let t = self.name_avoiding(&[s]);
            let v = self.var(cx, t.clone(), Kind::F, b, false);
            Self::declare_from(cx, v, &None, &e);
            body.push(S::Let {
                pat: t.clone(),
                mutable: false,
                ty: None,
                e,
            });
            body.push(S::Compound(s.to_string(), op, E::Place(t)));
        } else {
            body.push(S::Compound(s.to_string(), op, e));
        }
        b
    }

    /// A float factor: mostly a plain read or a scaled one (`x0`, `0.5 * t`), else a random
    /// expression (which may be costly); bounded by 2.
    fn cheap_factor(&mut self, cx: &Ctx) -> (E, f64) {
        let (e, b) = match self.rng.weighted(&[4, 2, 3]) {
            0 => self.active_leaf(cx),
            1 => {
                let (e, b) = self.active_leaf(cx);
                let c = *self.rng.pick(&[0.5, 0.25, 1.5]);
                (bin("*", E::Num(c), e), c * b)
            }
            _ => self.expr(cx, 1),
        };
        self.fit((e, b), 2.0)
    }

    /// `if c { continue; }` / `if c { break; }` on the counter or on active values.
    fn slot_jump(&mut self, cx: &Ctx, counter: &str, twist: Twist) -> S {
        self.jump_on(cx, counter, twist == Twist::Break)
    }

    /// `let e = (..).exp();` (or another costly primitive), bounded by 2, for the reads.
    fn slot_costly(&mut self, cx: &mut Ctx, body: &mut Vec<S>, avoid: &[&str]) -> String {
        let (e, b) = self.expr(cx, 1);
        let (e, _) = self.fit((e, b), 0.6);
        let f = *self.rng.pick(&["exp", "sin", "tanh", "cos"]);
        let name = self.name_avoiding(avoid);
        let e = super::method(f, e, vec![]);
        let v = self.var(cx, name.clone(), Kind::F, 2.0, false);
        Self::declare_from(cx, v, &None, &e);
        body.push(S::Let {
            pat: name.clone(),
            mutable: false,
            ty: None,
            e,
        });
        name
    }

    /// The generated functions that take `q` (a slice parameter) and return a float, callable
    /// here: the position `q` goes to, for each.
    fn callees_of(&mut self, cx: &Ctx, q: &str) -> Vec<(usize, usize)> {
        let Some(kind) = cx
            .visible()
            .iter()
            .rev()
            .find(|v| v.name == q)
            .and_then(|v| v.param)
        else {
            return Vec::new();
        };
        let ks = self.callable(cx, true);
        ks.into_iter()
            .filter_map(|k| {
                let pos = self.funcs[k].params.iter().position(|p| match p.kind {
                    PKind::Slice => {
                        matches!(kind, PKind::Slice | PKind::VecRef | PKind::RefArr(_))
                    }
                    PKind::NoGradSlice => kind == PKind::NoGradSlice,
                    p => p == kind,
                })?;
                Some((k, pos))
            })
            .collect()
    }

    /// `let r: f64 = g(.., q, ..); s += r;` (squashed), when a callee takes `q`. Returns the
    /// bound added.
    fn slot_call(&mut self, cx: &mut Ctx, body: &mut Vec<S>, s: &str, q: &str) -> f64 {
        let ks = self.callees_of(cx, q);
        if ks.is_empty() {
            return 0.0;
        }
        let (k, pos) = *self.rng.pick(&ks);
        let Some(args) = self.call_args_with(cx, k, 1, &[(pos, E::Place(q.to_string()))]) else {
            return 0.0;
        };
        // Not the same active slice twice (documented as unsupported).
        let twice = args
            .iter()
            .filter(|a| matches!(a, E::Place(p) if p == q))
            .count()
            > 1;
        let call = E::Call(self.funcs[k].name.clone(), args, None);
        if twice || cx.inactive(&call) {
            return 0.0;
        }
        let r = self.name_avoiding(&[s, q]);
        body.push(S::Let {
            pat: r.clone(),
            mutable: false,
            ty: Some("f64".to_string()),
            e: call,
        });
        let bound = self.funcs[k].out_bound;
        cx.declare(self.var(cx, r.clone(), Kind::F, bound, false));
        let (e, b) = self.fit((E::Place(r), bound), 2.0);
        body.push(S::Compound(s.to_string(), "+=", e));
        b
    }

    /// The common length `M` of `q` and (when there is one) `x`, inline or in a typed `let`,
    /// and its smallest and largest values.
    fn slot_len(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        q: &Walked,
        x: Option<&Walked>,
    ) -> (String, usize, usize) {
        let Some(x) = x else {
            if q.fixed && self.rng.chance(0.4) {
                return (q.min.to_string(), q.min, q.max);
            }
            return (format!("{}.len()", q.name), q.min, q.max);
        };
        let (min, max) = (q.min.min(x.min), q.max.min(x.max));
        let (a, b) = if self.rng.chance(0.5) {
            (&q.name, &x.name)
        } else {
            (&x.name, &q.name)
        };
        let len = format!("{a}.len().min({b}.len())");
        if self.rng.chance(0.5) {
            return (len, min, max);
        }
        // Typed: an untyped one is taken for a float `min` when passed on (see offsets.rs).
        let m = self.counter_name();
        out.push(S::Raw(format!("let {m}: usize = {len};")));
        let v = self.var(cx, m.clone(), Kind::Int, max as f64, false);
        cx.declare(v);
        (m, min, max)
    }

    /// The start and range of a one-loop shape over a length `m` (from `min` to `max`).
    fn slot_plan(
        &mut self,
        cx: &Ctx,
        step: Step,
        m: &str,
        (min, max): (usize, usize),
        empty: bool,
    ) -> Plan {
        let ints = self.int_params(cx);
        let no_grad_ints = no_grad_ints(cx);
        // `M` is a literal, a name or a method call: `M - K`, `M / 2` need no parentheses.
        let mp = m.to_string();
        let counter_max = |trips: usize| trips.saturating_sub(1);
        if empty {
            let int_w = if ints.is_empty() { 0 } else { 3 };
            // `M` is at most 5.
            let range = match self.rng.weighted(&[int_w, 3, 2]) {
                0 => format!("0..{} / 5", self.rng.pick(&ints)),
                1 => format!("0..{mp} / 6"),
                _ => format!("{mp}..{mp}"),
            };
            let (start, lmax) = match step {
                Step::Down if self.rng.chance(0.6) => ("0".to_string(), 0),
                _ => {
                    let ng_w = if no_grad_ints.is_empty() { 0 } else { 3 };
                    match self.rng.weighted(&[3, ng_w, 2, 1]) {
                        0 => (mp.clone(), max),
                        1 => (format!("{mp} + {}", self.rng.pick(&no_grad_ints)), max + 4),
                        2 => (format!("{mp} + 1"), max + 1),
                        _ => (format!("2 * {mp}"), 2 * max),
                    }
                }
            };
            return Plan {
                base: None,
                start,
                range,
                trips: 0,
                cmax: max,
                lmax,
                before: vec![String::new()],
                after: vec![String::new()],
                counter_ok: false,
            };
        }
        match step {
            Step::Up(1) => {
                let int_w = if ints.is_empty() { 0 } else { 2 };
                let base_w = 3;
                match self.rng.weighted(&[5, base_w, int_w, 2]) {
                    0 => {
                        let k = self.rng.range(0, min.min(2));
                        // From one below `K`, reading one ahead: `q[l + 1]`, and `q[l]` after
                        // the step.
                        let ahead = k > 0 && self.rng.chance(0.3);
                        let range = match (k, self.rng.weighted(&[4, 4, 2])) {
                            // The range starts at the slot itself (`$l`, named later).
                            (_, 2) if !ahead => format!("$l..{mp}"),
                            (0, _) => format!("0..{mp}"),
                            (_, 0) => format!("0..{mp} - {k}"),
                            _ => format!("{k}..{mp}"),
                        };
                        let cmax = if range.starts_with("0..") {
                            max.saturating_sub(k + 1)
                        } else {
                            max - 1
                        };
                        let (start, before, after) = if ahead {
                            (
                                k - 1,
                                vec![String::new(), " + 1".to_string()],
                                vec![String::new(), " - 1".to_string()],
                            )
                        } else {
                            (k, vec![String::new()], vec![" - 1".to_string()])
                        };
                        Plan {
                            base: None,
                            start: start.to_string(),
                            range,
                            trips: max - k,
                            cmax,
                            lmax: max,
                            before,
                            after,
                            counter_ok: true,
                        }
                    }
                    1 => {
                        let ng_w = if no_grad_ints.is_empty() { 0 } else { 3 };
                        let (base, bmax) = match self.rng.weighted(&[3, 2, 1, ng_w, int_w, ng_w]) {
                            0 => (format!("{mp} / 2"), max / 2),
                            1 => (format!("{mp} - 1"), max - 1),
                            2 if min >= 2 => (format!("{mp} - 2"), max - 2),
                            3 => (format!("{} % {mp}", self.rng.pick(&no_grad_ints)), max - 1),
                            4 => (format!("{}.min({mp})", self.rng.pick(&ints)), max.min(4)),
                            5 => (
                                format!("{}.min({mp})", self.rng.pick(&no_grad_ints)),
                                max.min(4),
                            ),
                            _ => (format!("{mp} / 2"), max / 2),
                        };
                        let b = self.counter_name();
                        let range = if self.rng.chance(0.5) {
                            format!("{b}..{mp}")
                        } else {
                            format!("0..{mp} - {b}")
                        };
                        Plan {
                            start: b.clone(),
                            base: Some((b, base, bmax)),
                            range,
                            trips: max,
                            cmax: max - 1,
                            lmax: max,
                            before: vec![String::new()],
                            after: vec![" - 1".to_string()],
                            counter_ok: true,
                        }
                    }
                    2 => {
                        let k = self.rng.range(0, min.min(1));
                        let n = self.rng.pick(&ints).clone();
                        let range = if k == 0 {
                            format!("0..{n}.min({mp})")
                        } else {
                            format!("0..{n}.min({mp} - {k})")
                        };
                        let trips = 4.min(max - k);
                        Plan {
                            base: None,
                            start: k.to_string(),
                            range,
                            trips,
                            cmax: counter_max(trips),
                            lmax: k + trips,
                            before: vec![String::new()],
                            after: vec![" - 1".to_string()],
                            counter_ok: true,
                        }
                    }
                    _ => {
                        let k = self.rng.range(0, min - 1);
                        let t = self.rng.range(1, min - k);
                        let range = if self.rng.chance(0.5) || k == 0 {
                            format!("0..{t}")
                        } else {
                            format!("{k}..{}", k + t)
                        };
                        Plan {
                            base: None,
                            start: k.to_string(),
                            range,
                            trips: t,
                            cmax: k + t - 1,
                            lmax: k + t,
                            before: vec![String::new()],
                            after: vec![" - 1".to_string()],
                            counter_ok: true,
                        }
                    }
                }
            }
            Step::Up(k) => {
                // From `s < k`, `M / k` times: the largest index is `s + k (M / k - 1) < M`.
                let s = self.rng.range(0, k - 1);
                let trips = max / k;
                let mut before = vec![String::new()];
                for j in 1..k - s {
                    before.push(format!(" + {j}"));
                }
                Plan {
                    base: None,
                    start: s.to_string(),
                    range: format!("0..{mp} / {k}"),
                    trips,
                    cmax: counter_max(trips),
                    lmax: s + k * trips,
                    before,
                    after: vec![format!(" - {k}")],
                    counter_ok: true,
                }
            }
            Step::Down => {
                if self.rng.chance(0.6) {
                    // From `M`, reading one below.
                    let range = if self.rng.chance(0.7) {
                        format!("0..{mp}")
                    } else {
                        format!("1..{mp} + 1")
                    };
                    let cmax = if range.starts_with('1') { max } else { max - 1 };
                    Plan {
                        base: None,
                        start: mp.clone(),
                        range,
                        trips: max,
                        cmax,
                        lmax: max,
                        before: vec![" - 1".to_string()],
                        after: vec![String::new()],
                        counter_ok: cmax < max,
                    }
                } else {
                    // From `M - 1`, `M - 1` times: the integer stays at 1 or above in the body.
                    let range = if self.rng.chance(0.5) {
                        format!("0..{mp} - 1")
                    } else {
                        format!("1..{mp}")
                    };
                    let cmax = if range.starts_with('1') {
                        max - 1
                    } else {
                        max.saturating_sub(2)
                    };
                    Plan {
                        base: None,
                        start: format!("{mp} - 1"),
                        range,
                        trips: max - 1,
                        cmax,
                        lmax: max - 1,
                        before: vec![String::new(), " - 1".to_string()],
                        after: vec![String::new(), " + 1".to_string()],
                        counter_ok: true,
                    }
                }
            }
        }
    }

    /// `let mut l = S; for i in R { .. q[l] ..; l += 1; }` (see the module's documentation).
    /// Returns the float it leaves.
    fn slot_loop(&mut self, cx: &mut Ctx, out: &mut Vec<S>, slices: &[Walked]) -> String {
        let q = self.pick_walked(slices);
        let others: Vec<&Walked> = slices.iter().filter(|w| w.name != q.name).collect();
        let x =
            (!others.is_empty() && self.rng.chance(0.5)).then(|| (*self.rng.pick(&others)).clone());
        let (m, min, max) = self.slot_len(cx, out, &q, x.as_ref());
        let step = match self.rng.weighted(&[14, 2, 1, 4]) {
            0 => Step::Up(1),
            1 => Step::Up(2),
            2 => Step::Up(3),
            _ => Step::Down,
        };
        let at = match self.rng.weighted(&[16, 3, 2]) {
            0 => At::End,
            1 => At::Top,
            _ => At::Middle,
        };
        let twist = match self.rng.weighted(&[18, 2, 2, 2, 1]) {
            0 => Twist::None,
            1 => Twist::If,
            2 => Twist::Costly,
            3 => Twist::Continue,
            _ => Twist::Break,
        };
        let empty = self.rng.chance(0.08);
        let plan = self.slot_plan(cx, step, &m, (min, max), empty);
        if let Some((b, value, bmax)) = &plan.base {
            let typed = self.rng.chance(0.4);
            let ty = if typed { ": usize" } else { "" };
            out.push(S::Raw(format!("let {b}{ty} = {value};")));
            let mut v = self.var(cx, b.clone(), Kind::Int, *bmax as f64, false);
            // The macro takes an untyped `n.min(m)` for the float method: such a local is
            // never passed to a callee's `usize` parameter (see offsets.rs).
            v.not_usize = !typed && value.contains(".min(");
            cx.declare(v);
        }
        self.loop_ids += 1;
        let id = self.loop_ids;
        let l = self.slot_name();
        let typed = if self.rng.chance(0.3) { ": usize" } else { "" };
        out.push(S::Raw(format!("let mut {l}{typed} = {};", plan.start)));
        self.declare_slot(cx, &l, plan.lmax, &plan.start, !typed.is_empty());
        // A second integer stepped by one from 0 (`T <= M` in every plan), read too.
        let second = (at != At::Middle && self.rng.chance(0.12)).then(|| {
            let k = self.slot_name();
            out.push(S::Raw(format!("let mut {k} = 0;")));
            self.declare_slot(cx, &k, plan.trips, "0", false);
            k
        });
        let s = self.slot_acc(cx, out, id);
        let counter = self.counter_name();
        let range = plan.range.replace("$l", &l);
        let range = if self.rng.chance(0.3) {
            format!("({range}).rev()")
        } else {
            range
        };
        let info = LoopInfo {
            id,
            counter: Some((counter.clone(), plan.cmax)),
            over: None,
            trips: plan.trips,
        };
        self.open_loop(cx, &info);
        let no_jump = cx.no_jump;
        if matches!(twist, Twist::None | Twist::If | Twist::Costly) {
            cx.no_jump = Some(id);
        }
        let budget = std::mem::replace(&mut cx.budget, self.rng.range(1, 3));
        let step_text = |g: &mut Gen, name: &str| match step {
            Step::Up(k) => g.step_text(name, k, true),
            Step::Down => g.step_text(name, 1, false),
        };
        let idx = |l: &str, v: &[String]| -> Vec<String> {
            v.iter().map(|d| format!("{l}{d}")).collect()
        };
        let mut slices_here = vec![q.name.clone()];
        if let Some(x) = &x {
            slices_here.push(x.name.clone());
        }
        let register = |g: &mut Gen, after: bool| {
            let mut v = idx(&l, if after { &plan.after } else { &plan.before });
            if let Some(k) = &second {
                v.push(if after { format!("{k} - 1") } else { k.clone() });
            }
            for sl in &slices_here {
                g.slot_indices(id, sl, &v);
            }
        };
        let mut body = Vec::new();
        let mut growth = 0.0;
        let mut stepped = false;
        let step_now = |g: &mut Gen, body: &mut Vec<S>| {
            body.push(S::Raw(step_text(g, &l)));
            if let Some(k) = &second {
                body.push(S::Raw(format!("{k} += 1;")));
            }
        };
        if at == At::Top {
            step_now(self, &mut body);
            stepped = true;
        }
        register(self, stepped);
        let pre = usize::from(self.rng.chance(0.4));
        self.stmts(cx, pre, &mut body);
        let jump_before = self.rng.chance(0.5);
        if matches!(twist, Twist::Continue | Twist::Break) && jump_before {
            let j = self.slot_jump(cx, &counter, twist);
            body.push(j);
        }
        let costly = (twist == Twist::Costly).then(|| self.slot_costly(cx, &mut body, &[&s]));
        // The reads at the integer, of `q` and of `x`.
        let reads_at = |g: &mut Gen, after: bool| -> (String, Vec<String>) {
            let ds = if after { &plan.after } else { &plan.before };
            let d = g.rng.pick(ds).clone();
            let mut other = Vec::new();
            if let Some(x) = &x {
                if plan.counter_ok {
                    other.push(format!("{}[{counter}]", x.name));
                }
                other.push(format!("{}[{l}{d}]", x.name));
            }
            (format!("{}[{l}{d}]", q.name), other)
        };
        let (read, other) = reads_at(self, stepped);
        if twist == Twist::If {
            let c = if self.rng.chance(0.4) {
                C::Raw(format!("{counter} % 2 == 0"))
            } else {
                self.cond(cx, 1)
            };
            let mut then = Vec::new();
            cx.scopes.push(Vec::new());
            growth += self.slot_read(cx, &mut then, &s, read.clone(), &other, None);
            cx.scopes.pop();
            let els = self.rng.chance(0.5).then(|| {
                vec![S::Compound(
                    s.clone(),
                    "-=",
                    bin("*", E::Num(0.5), E::Place(read.clone())),
                )]
            });
            body.push(S::If(vec![(c, then)], els));
        } else {
            growth += self.slot_read(cx, &mut body, &s, read, &other, costly.as_deref());
        }
        // The slice read again: at the counter (in bounds: the counter is below `M`), at the
        // second integer, or passed to a callee.
        match self
            .rng
            .weighted(&[9, 2, if second.is_some() { 4 } else { 0 }, 2])
        {
            0 => {}
            1 if plan.counter_ok => {
                let r = format!("{}[{counter}]", q.name);
                growth += self.slot_read(cx, &mut body, &s, r, &[], None);
            }
            2 => {
                let k = second.as_ref().unwrap();
                let k = if stepped {
                    format!("{k} - 1")
                } else {
                    k.clone()
                };
                let target = x.as_ref().filter(|_| self.rng.chance(0.4)).unwrap_or(&q);
                let r = format!("{}[{k}]", target.name);
                growth += self.slot_read(cx, &mut body, &s, r, &[], None);
            }
            3 => growth += self.slot_call(cx, &mut body, &s, &q.name),
            _ => {}
        }
        if at == At::Middle {
            step_now(self, &mut body);
            stepped = true;
            register(self, true);
            let (read, other) = reads_at(self, true);
            growth += self.slot_read(cx, &mut body, &s, read, &other, None);
        }
        if self.rng.chance(0.3) {
            // The integer as a float.
            let (add, b) = self.int_as_float(cx, &s, &l);
            body.push(add);
            growth += 0.1 * plan.lmax as f64 * b;
        }
        if at != At::Middle {
            let post = usize::from(self.rng.chance(0.4));
            self.stmts(cx, post, &mut body);
        }
        if matches!(twist, Twist::Continue | Twist::Break) && !jump_before {
            let j = self.slot_jump(cx, &counter, twist);
            body.push(j);
        }
        if !stepped {
            step_now(self, &mut body);
        }
        cx.budget = budget;
        cx.no_jump = no_jump;
        Self::close_loop(cx);
        self.slot_reads.retain(|o| o.loop_id != id);
        if let Some(v) = cx.find_mut(&s) {
            v.acc = None;
            v.bound = (v.bound + (v.growth + growth) * plan.trips.max(1) as f64).max(1.0);
            v.growth = 0.0;
        }
        out.push(S::For(format!("{counter} in {range}"), body));
        if self.rng.chance(0.2) {
            // The integer after the loop.
            let (add, b) = self.int_as_float(cx, &s, &l);
            out.push(add);
            if let Some(v) = cx.find_mut(&s) {
                v.bound += 0.1 * plan.lmax as f64 * b;
            }
        }
        s
    }

    /// The number of columns of a triangle (or a nest's outer count), as written, with its
    /// largest value for each length `q` may have (from `q.min` on), and the slice `x` of
    /// `x.len().min(k)` when it is one.
    fn nest_n(
        &mut self,
        cx: &Ctx,
        q: &Walked,
        slices: &[Walked],
    ) -> (String, Vec<usize>, Option<String>) {
        let lens = q.max - q.min + 1;
        let ints = self.int_params(cx);
        let xs: Vec<&Walked> = slices.iter().filter(|w| w.name != q.name).collect();
        let (int_w, x_w) = (
            if ints.is_empty() { 0 } else { 3 },
            if xs.is_empty() { 0 } else { 3 },
        );
        let q_w = 2;
        match self.rng.weighted(&[4, x_w, int_w, int_w / 2, q_w, q_w / 2]) {
            0 => {
                let k = self.rng.range(1, 3);
                (k.to_string(), vec![k; lens], None)
            }
            1 => {
                let x = self.rng.pick(&xs);
                let k = self.rng.range(2, 3);
                let n = x.max.min(k);
                (
                    format!("{}.len().min({k})", x.name),
                    vec![n; lens],
                    Some(x.name.clone()),
                )
            }
            2 => {
                let k = self.rng.range(1, 3);
                (
                    format!("{}.min({k})", self.rng.pick(&ints)),
                    vec![k; lens],
                    None,
                )
            }
            3 => (format!("{} % 2", self.rng.pick(&ints)), vec![1; lens], None),
            4 => {
                let n = (q.min..=q.max).map(|l| l / 2).collect();
                (format!("{}.len() / 2", q.name), n, None)
            }
            _ => {
                let n = (q.min..=q.max).map(|l| l / 8).collect();
                (format!("{}.len() / 8", q.name), n, None)
            }
        }
    }

    /// A nest walking `q` with one integer handed on from its inner loop: the packed triangle
    /// (`for c in 0..n { for r in c + 1..n { y[r] += q[l] * x[c]; l += 1; } }`, or `c..n`) or
    /// rows (`for r in 0..R { for c in 0..C { .. q[l] ..; l += 1; } }`), with what the module's
    /// documentation lists around them. Returns the float it leaves.
    fn slot_nest(&mut self, cx: &mut Ctx, out: &mut Vec<S>, slices: &[Walked]) -> String {
        let packed: Vec<&Walked> = slices.iter().filter(|w| w.fixed && w.min >= 4).collect();
        let q = if !packed.is_empty() && self.rng.chance(0.75) {
            (*self.rng.pick(&packed)).clone()
        } else {
            self.pick_walked(slices)
        };
        let lens = q.max - q.min + 1;
        // The outer and inner ranges, the number of elements read for each length of `q`, and
        // the largest outer and inner trip counts.
        let rows = self.rng.chance(0.2);
        let c = self.counter_name();
        let r = self.counter_name();
        let (n_at, n_over, outer, inner, reads): (
            Vec<usize>,
            Option<String>,
            String,
            String,
            Vec<usize>,
        );
        if rows {
            let (o, inn, per) = match self.rng.weighted(&[2, 2, if q.fixed { 0 } else { 2 }]) {
                0 => {
                    // `C` a literal, `R = q.len() / C`.
                    let k = self.rng.range(1, 3.min(q.min));
                    let per: Vec<usize> = (q.min..=q.max)
                        .map(|l| (l / k, k))
                        .map(|(a, b)| a * b)
                        .collect();
                    (format!("0..{}.len() / {k}", q.name), format!("0..{k}"), per)
                }
                1 => {
                    // Both literals, `R * C` at most the shortest length.
                    let k = self.rng.range(1, 3.min(q.min));
                    let rr = self.rng.range(1, q.min / k);
                    (format!("0..{rr}"), format!("0..{k}"), vec![rr * k; lens])
                }
                _ => {
                    let per: Vec<usize> = (q.min..=q.max).map(|l| 2 * (l / 2)).collect();
                    ("0..2".to_string(), format!("0..{}.len() / 2", q.name), per)
                }
            };
            // The rows: at most the length (a row of one element).
            n_at = vec![q.max; lens];
            n_over = None;
            outer = o;
            inner = inn;
            reads = per;
        } else {
            let diag = self.rng.chance(0.4);
            let elements = |n: usize| {
                if diag {
                    n * (n + 1) / 2
                } else {
                    n * n.saturating_sub(1) / 2
                }
            };
            let mut found = None;
            for _ in 0..8 {
                let (t, at, over) = self.nest_n(cx, &q, slices);
                let per: Vec<usize> = at.iter().map(|n| elements(*n)).collect();
                if (q.min..=q.max).zip(&per).all(|(l, e)| *e <= l) {
                    found = Some((t, at, over, per));
                    break;
                }
            }
            let (t, at, over, per) = found.unwrap_or_else(|| {
                (
                    "1".to_string(),
                    vec![1; lens],
                    None,
                    vec![elements(1); lens],
                )
            });
            let lo = if diag { c.clone() } else { format!("{c} + 1") };
            outer = format!("0..{t}");
            inner = format!("{lo}..{t}");
            n_at = at;
            n_over = over;
            reads = per;
        }
        let nmax = *n_at.iter().max().unwrap();
        // The start: at most the room every length leaves.
        let room = (q.min..=q.max)
            .zip(&reads)
            .map(|(l, e)| l - e)
            .min()
            .unwrap();
        let never = reads.iter().all(|e| *e == 0);
        let no_grad_ints = no_grad_ints(cx);
        let ng_w = if no_grad_ints.is_empty() || room == 0 {
            0
        } else {
            3
        };
        let (start, lmax) = match self.rng.weighted(&[
            5,
            if room > 0 { 3 } else { 0 },
            ng_w,
            if never { 8 } else { 0 },
        ]) {
            0 => ("0".to_string(), *reads.iter().max().unwrap()),
            1 => {
                let k = self.rng.range(1, room);
                (k.to_string(), k + reads.iter().max().unwrap())
            }
            2 => (
                format!("{} % {}", self.rng.pick(&no_grad_ints), room + 1),
                room + reads.iter().max().unwrap(),
            ),
            _ => match (self.rng.below(3), no_grad_ints.is_empty()) {
                (0, false) => (
                    format!("{}.len() + {}", q.name, self.rng.pick(&no_grad_ints)),
                    q.max + 4,
                ),
                (1, _) => (format!("{}.len()", q.name), q.max),
                _ => (format!("{}.len() + 1", q.name), q.max + 1),
            },
        };
        // The factor for column `c` (and row `r`): a slice long enough, one read modulo its
        // length, or a random expression.
        let long: Vec<String> = slices
            .iter()
            .filter(|w| w.min >= nmax)
            .map(|w| w.name.clone())
            .chain(n_over.clone())
            .collect();
        let any: Vec<String> = slices.iter().map(|w| w.name.clone()).collect();
        // `inner`: in the inner loop's body (which may read its counter `r` too).
        let factors = |g: &mut Gen, cx: &Ctx, inner: bool| -> (E, f64) {
            match g.rng.weighted(&[if long.is_empty() { 0 } else { 5 }, 2, 3]) {
                0 => {
                    // Below `n` in a triangle; in rows, the row count may exceed the length.
                    let x = g.rng.pick(&long).clone();
                    let i = if g.rng.chance(0.7) || !inner { &c } else { &r };
                    let place = if rows {
                        format!("{x}[{i} % {x}.len()]")
                    } else {
                        format!("{x}[{i}]")
                    };
                    (E::Place(place), 2.0)
                }
                1 => {
                    let x = g.rng.pick(&any).clone();
                    (E::Place(format!("{x}[{c} % {x}.len()]")), 2.0)
                }
                _ => g.cheap_factor(cx),
            }
        };
        // Into a local array (the triangle's product) or into the result directly.
        let array = !rows && self.rng.chance(0.6);
        let l = self.slot_name();
        let typed = if self.rng.chance(0.3) { ": usize" } else { "" };
        out.push(S::Raw(format!("let mut {l}{typed} = {start};")));
        self.declare_slot(cx, &l, lmax, &start, !typed.is_empty());
        self.loop_ids += 1;
        let oid = self.loop_ids;
        self.loop_ids += 1;
        let iid = self.loop_ids;
        // At least 2 (the generator's random indices assume it).
        let size = nmax.max(2);
        let y = array.then(|| {
            self.fresh += 1;
            let y = format!("{}{}", self.rng.pick(&["yv", "col", "prod"]), self.fresh);
            let (e, bound) = if self.rng.chance(0.7) {
                (E::Place(format!("[0.0; {size}]")), 0.0)
            } else {
                let mut items = Vec::new();
                let mut b: f64 = 0.0;
                for _ in 0..size {
                    let (e, eb) = self.expr(cx, 1);
                    let (e, eb) = self.fit((e, eb), 2.0);
                    b = b.max(eb);
                    items.push(e);
                }
                (E::Array(items), b)
            };
            // Zeros typed (a random `y[j].tanh()` needs the type), items sometimes.
            let ty = (matches!(e, E::Place(_)) || self.rng.chance(0.3))
                .then(|| format!("[f64; {size}]"));
            out.push(S::Let {
                pat: y.clone(),
                mutable: true,
                ty,
                e,
            });
            // Each element gets one read per column at most.
            let v = self.var(
                cx,
                y.clone(),
                Kind::Arr(size),
                bound + 4.0 * nmax as f64,
                true,
            );
            cx.declare(v);
            y
        });
        let s = self.slot_acc(cx, out, oid);
        let rev = |g: &mut Gen, range: String| {
            if g.rng.chance(0.25) {
                format!("({range}).rev()")
            } else {
                range
            }
        };
        let outer = rev(self, outer);
        let inner = rev(self, inner);
        let trips_in = if rows { q.max } else { nmax };
        let outer_info = LoopInfo {
            id: oid,
            counter: Some((c.clone(), nmax.max(1) - 1)),
            over: None,
            trips: nmax,
        };
        let inner_info = LoopInfo {
            id: iid,
            counter: Some((r.clone(), q.max.max(nmax))),
            over: None,
            trips: trips_in,
        };
        // What the outer loop has: 0 nothing, 1 an `if`, 2 a costly value, 3 a jump, 4 a read
        // of `l`; the inner one: a jump sometimes.
        let twist = self.rng.weighted(&[10, 2, 2, 2, 2]);
        let inner_jump = match self.rng.weighted(&[14, 1, 1]) {
            0 => Twist::None,
            1 => Twist::Continue,
            _ => Twist::Break,
        };
        let top = self.rng.chance(0.15);
        let mut growth = 0.0;
        self.open_loop(cx, &outer_info);
        let no_jump = cx.no_jump;
        if twist != 3 {
            cx.no_jump = Some(oid);
        }
        let budget = std::mem::replace(&mut cx.budget, self.rng.range(1, 2));
        let mut obody = Vec::new();
        let jump = |g: &mut Gen, cx: &Ctx, body: &mut Vec<S>, counter: &str| {
            let t = if g.rng.chance(0.5) {
                Twist::Continue
            } else {
                Twist::Break
            };
            let j = g.slot_jump(cx, counter, t);
            body.push(j);
        };
        let pre = self.rng.chance(0.5);
        if twist == 3 && pre {
            jump(self, cx, &mut obody, &c);
        }
        let costly = (twist == 2).then(|| self.slot_costly(cx, &mut obody, &[&s, &l]));
        if twist == 4 && pre {
            let (add, b) = self.int_as_float(cx, &s, &l);
            obody.push(add);
            growth += 0.1 * lmax as f64 * b;
        }
        if self.rng.chance(0.3) {
            self.stmts(cx, 1, &mut obody);
        }
        // The inner loop.
        self.open_loop(cx, &inner_info);
        if let Some(v) = cx.find_mut(&s) {
            v.acc = Some(iid);
        }
        let inner_no_jump = cx.no_jump;
        if inner_jump == Twist::None {
            cx.no_jump = Some(iid);
        }
        let mut ibody = Vec::new();
        if top {
            ibody.push(S::Raw(format!("{l} += 1;")));
        }
        let at = if top { format!("{l} - 1") } else { l.clone() };
        self.slot_indices(iid, &q.name, std::slice::from_ref(&at));
        if self.rng.chance(0.25) {
            self.stmts(cx, 1, &mut ibody);
        }
        let jump_first = self.rng.chance(0.5);
        if inner_jump != Twist::None && jump_first {
            let j = self.slot_jump(cx, &r, inner_jump);
            ibody.push(j);
        }
        let read = E::Place(format!("{}[{at}]", q.name));
        let (f, fb) = match &costly {
            Some(e) if self.rng.chance(0.7) => (E::Place(e.clone()), 2.0),
            _ => factors(self, cx, true),
        };
        let (f, fb) = if rows && self.rng.chance(0.3) {
            // A second factor.
            let (g2, gb) = factors(self, cx, true);
            (bin("*", f, g2), fb * gb)
        } else {
            (f, fb)
        };
        let prod = if self.rng.chance(0.5) {
            bin("*", read, f)
        } else {
            bin("*", f, read)
        };
        match &y {
            Some(y) => ibody.push(S::Compound(format!("{y}[{r}]"), "+=", prod)),
            None => {
                let op = *self.rng.pick(&["+=", "-="]);
                ibody.push(S::Compound(s.clone(), op, prod));
                growth += 2.0 * fb * trips_in as f64;
            }
        }
        if self.rng.chance(0.2) {
            let (add, b) = self.int_as_float(cx, &s, &l);
            ibody.push(add);
            growth += 0.1 * lmax as f64 * b * trips_in as f64;
        }
        if nmax <= q.min && !rows && self.rng.chance(0.15) {
            // `q` read again, at the column (below `n`, at most its length).
            let r2 = format!("{}[{c}]", q.name);
            growth += trips_in as f64 * self.slot_read(cx, &mut ibody, &s, r2, &[], None);
        }
        if inner_jump != Twist::None && !jump_first {
            let j = self.slot_jump(cx, &r, inner_jump);
            ibody.push(j);
        }
        if !top {
            ibody.push(S::Raw(if self.rng.chance(0.8) {
                format!("{l} += 1;")
            } else {
                self.step_text(&l, 1, true)
            }));
        }
        cx.no_jump = inner_no_jump;
        Self::close_loop(cx);
        if let Some(v) = cx.find_mut(&s) {
            v.acc = Some(oid);
        }
        obody.push(S::For(format!("{r} in {inner}"), ibody));
        if twist == 1 {
            let cond = if self.rng.chance(0.4) {
                C::Raw(format!("{c} % 2 == 0"))
            } else {
                self.cond(cx, 1)
            };
            let (e, b) = factors(self, cx, false);
            let (e, b) = self.fit((e, b), 2.0);
            obody.push(S::If(
                vec![(
                    cond,
                    vec![S::Compound(s.clone(), "+=", bin("*", E::Num(0.5), e))],
                )],
                None,
            ));
            growth += 0.5 * b;
        }
        if twist == 3 && !pre {
            jump(self, cx, &mut obody, &c);
        }
        if twist == 4 && !pre {
            let (add, b) = self.int_as_float(cx, &s, &l);
            obody.push(add);
            growth += 0.1 * lmax as f64 * b;
        }
        cx.budget = budget;
        cx.no_jump = no_jump;
        Self::close_loop(cx);
        self.slot_reads
            .retain(|o| o.loop_id != iid && o.loop_id != oid);
        out.push(S::For(format!("{c} in {outer}"), obody));
        if let Some(v) = cx.find_mut(&s) {
            v.acc = None;
            let random = v.growth * (nmax * trips_in).max(1) as f64;
            v.bound = (v.bound + random + growth * nmax.max(1) as f64).max(1.0);
            v.growth = 0.0;
        }
        // The product reduced into the result.
        if let Some(y) = y {
            let yb = cx.find_mut(&y).map_or(2.0, |v| v.bound);
            let j = self.counter_name();
            let (stmt, b) = match self.rng.weighted(&[4, 3, 2, 2]) {
                0 => {
                    let info = LoopInfo {
                        id: {
                            self.loop_ids += 1;
                            self.loop_ids
                        },
                        counter: Some((j.clone(), size - 1)),
                        over: None,
                        trips: size,
                    };
                    self.open_loop(cx, &info);
                    let (e, b) = self.expr(cx, 1);
                    let (e, b) = self.fit((e, b), 1.0);
                    Self::close_loop(cx);
                    (
                        S::For(
                            format!("{j} in 0..{size}"),
                            vec![S::Compound(
                                s.clone(),
                                "+=",
                                bin("*", E::Place(format!("{y}[{j}]")), e),
                            )],
                        ),
                        yb * b * size as f64,
                    )
                }
                1 => (
                    S::Compound(
                        s.clone(),
                        "+=",
                        E::Place(format!("{y}.iter().sum::<f64>()")),
                    ),
                    yb * size as f64,
                ),
                2 => (
                    S::For(
                        format!("{j} in 0..{size}"),
                        vec![S::Compound(
                            s.clone(),
                            "+=",
                            bin(
                                "*",
                                E::Num(0.1),
                                bin(
                                    "*",
                                    E::Place(format!("{y}[{j}]")),
                                    E::Place(format!("{y}[{j}]")),
                                ),
                            ),
                        )],
                    ),
                    0.1 * yb * yb * size as f64,
                ),
                _ => {
                    let (e, b) = self.expr(cx, 1);
                    let (e, b) = self.fit((e, b), 1.0);
                    (
                        S::Compound(
                            s.clone(),
                            "+=",
                            bin(
                                "+",
                                bin("*", E::Place(format!("{y}[0]")), e),
                                E::Place(format!("{y}[{}]", size - 1)),
                            ),
                        ),
                        yb * (b + 1.0),
                    )
                }
            };
            out.push(stmt);
            if let Some(v) = cx.find_mut(&s) {
                v.bound += b;
            }
        }
        s
    }
}

/// The `#[no_grad]` integer parameters readable here.
fn no_grad_ints(cx: &Ctx) -> Vec<String> {
    cx.readable(|k| k == Kind::Int)
        .into_iter()
        .filter(|v| v.param == Some(PKind::NoGradInt))
        .map(|v| v.name)
        .collect()
}
