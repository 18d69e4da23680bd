//! The `plain-calls` switch: calls of plain (not differentiated) helper functions whose results
//! the reverse sweep needs. vjp cannot tell that such a call gives the same value twice, so the
//! forward sweep saves each result on a tape and the reverse pops it (`Plan::saved` in
//! `vjp-macro/src/plan.rs`, the tape pushes of `forward.rs`, `pop_saved` in `reverse.rs`); an
//! `if` or a loop computing no derivative that the reverse would run again whole is saved whole
//! (its results), and a loop whose range calls one counts its trips instead of evaluating the
//! range again.
//!
//! Two helpers, emitted once per file ([`HELPERS`]), count their calls: `plain_w(i)`, a weight
//! in (0.5, 1], and `plain_idx(i, n)`, an index below `n`. They are called
//!
//! - as statements anywhere (loop bodies of every kind, branches, the function's own
//!   statements, also after an early `return`): `let w = plain_w(i + 1);`,
//!   `let j = plain_idx(i, x.len());`, then, usually, used at once in active arithmetic
//!   (`s = 0.5 * (s * w + e).sin()`, `acc += x[j].tanh() * e`), and afterwards read like any
//!   other local (`x[j]` by [`Gen::index`], `j % 2 == 0` in conditions), or not at all;
//! - in an `if` / `else` at the end of a loop body, also in an `if` nested last in a branch,
//!   each updating state carried by the loop ([`Gen::plain_if`]);
//! - in an `if` that leaves a value read after it, which the reverse would run again whole
//!   (`let mut t = s; if c { let w = plain_w(i); t = ..w..; } s = ..t..;`), in loop bodies and
//!   branches, nested in another `if` ([`Gen::plain_rerun_if`]);
//! - in a loop that computes no derivative and whose result is read after it (an index
//!   `k += plain_idx(i + j, 3)`, then `if k > 2` or `x[k % x.len()]`; a weight
//!   `w *= plain_w(i + j)`), also bounded by a call (`for _ in 0..plain_idx(i, 4) { k += 1; }`)
//!   ([`Gen::plain_inactive_loop`]);
//! - in the range of a loop that computes derivatives (`for j in 1..plain_idx(k, 5) + 1`, in
//!   `loop_stmt` and as the fused loop's range);
//! - in branches of the fused loop's body, adding into its accumulators (`acc_branch`).
//!
//! Left out: a `break` / `continue` or `return` inside an `if` with calls that leaves a value
//! read after it (the reverse would run such an `if` again whole: still an error of the macro).

use super::{bin, method, Ctx, Gen, Kind, LoopInfo};
use crate::ast::{C, E, S};

/// The helpers, written once after the harness when the switch is on.
pub const HELPERS: &str = "
/// The plain helpers of the `plain-calls` switch (not differentiated, deterministic): each
/// call is counted, so that a test can check that `NAME_vjp` and `NAME_jvp` call them exactly
/// as often as `NAME` does.
#[allow(dead_code)]
mod plain {
    use std::cell::Cell;

    thread_local! {
        static CALLS: Cell<usize> = const { Cell::new(0) };
    }

    pub fn count() {
        CALLS.with(|c| c.set(c.get() + 1));
    }

    /// The helper calls made by `run`.
    pub fn calls<T>(run: impl FnOnce() -> T) -> usize {
        let before = CALLS.with(Cell::get);
        let _ = run();
        CALLS.with(Cell::get) - before
    }
}

/// A weight in (0.5, 1].
#[allow(dead_code)]
fn plain_w(i: usize) -> f64 {
    plain::count();
    0.5 + 1.0 / (2.0 + i as f64)
}

/// An index below `n` (0 when `n` is 0).
#[allow(dead_code)]
fn plain_idx(i: usize, n: usize) -> usize {
    plain::count();
    (i * 7 + 3) % n.max(1)
}
";

/// Whether a body's text calls a helper.
pub fn calls_helpers(text: &str) -> bool {
    text.contains("plain_w(") || text.contains("plain_idx(")
}

/// A plain value bound in a loop body, and the expression that uses it in active arithmetic
/// (`w`, or `x[j]`), with that expression's bound.
struct Plain {
    core: E,
    bound: f64,
}

/// What an update with a plain value may write.
#[derive(Clone, Copy)]
enum Target<'a> {
    /// A mutable scalar in scope, or an accumulator of the innermost loop.
    Any,
    /// A scalar the innermost loop carries (declared outside it).
    Carried,
    /// This local.
    Only(&'a str),
    /// Any but this local.
    Not(&'a str),
    /// An accumulator of the innermost loop.
    Accs,
}

impl Gen {
    /// The integer locals in scope that are `usize`.
    fn usize_names(cx: &Ctx) -> Vec<String> {
        cx.readable(|k| k == Kind::Int)
            .into_iter()
            .filter(|v| !v.not_usize)
            .map(|v| v.name)
            .collect()
    }

    /// A `usize` argument for a helper: from the loop counters and the integers in scope.
    fn plain_arg(&mut self, cx: &Ctx) -> String {
        let ints = Self::usize_names(cx);
        let counter = cx
            .loops
            .iter()
            .rev()
            .find_map(|l| l.counter.as_ref().map(|(c, _)| c.clone()));
        let i = match (&counter, ints.is_empty()) {
            (Some(c), _) if self.rng.chance(0.75) => c.clone(),
            (_, false) => self.rng.pick(&ints).clone(),
            _ => return self.rng.range(0, 6).to_string(),
        };
        match self.rng.below(5) {
            0 | 1 => i,
            2 => format!("{i} + {}", self.rng.range(1, 3)),
            3 => format!("2 * {i} + 1"),
            _ if ints.len() > 1 => format!("{i} + {}", self.rng.pick(&ints)),
            _ => format!("{i} * 3"),
        }
    }

    /// The range bound of a loop: `plain_idx(arg, k)` (below `k`).
    pub(super) fn plain_bound(&mut self, cx: &Ctx, k: usize) -> String {
        let arg = self.plain_arg(cx);
        format!("plain_idx({arg}, {k})")
    }

    /// `let w = plain_w(..);` or `let j = plain_idx(.., len);` (declared in the current scope),
    /// and the expression that reads it.
    fn plain_let(&mut self, cx: &mut Ctx, out: &mut Vec<S>) -> Plain {
        let arrays = self.indexables(cx, false);
        let arg = self.plain_arg(cx);
        if !arrays.is_empty() && self.rng.chance(0.45) {
            let (a, len) = self.rng.pick(&arrays).clone();
            let j = self.counter_name();
            let n = match len {
                Some(n) => n.to_string(),
                None => format!("{}.len()", a.name),
            };
            let ty = if self.rng.chance(0.3) { ": usize" } else { "" };
            out.push(S::Raw(format!("let {j}{ty} = plain_idx({arg}, {n});")));
            // Below the length: a slice has 2 to 5 elements, an array maybe more (a `usize`
            // parameter of a callee may be at most 4).
            let largest = len.map_or(4, |n| n - 1);
            let mut v = self.var(cx, j.clone(), Kind::Int, largest as f64, false);
            v.index_for = Some((a.name.clone(), len, None));
            // Untyped, not passed to a `usize` parameter (the macro cannot type it).
            v.not_usize = ty.is_empty();
            cx.declare(v);
            return Plain {
                core: E::Place(format!("{}[{j}]", a.name)),
                bound: a.bound,
            };
        }
        // A fresh name: a statement between could otherwise shadow it.
        self.fresh += 1;
        let w = format!("pw{}", self.fresh);
        let typed = self.rng.chance(0.3);
        let ty = if typed { ": f64" } else { "" };
        out.push(S::Raw(format!("let {w}{ty} = plain_w({arg});")));
        self.declare_weight(cx, &w, typed);
        Plain {
            core: E::Place(w),
            bound: 1.0,
        }
    }

    /// Declares `w`, a weight computed from the helpers only (inactive), bound by a `let` with
    /// a type or without.
    fn declare_weight(&self, cx: &mut Ctx, w: &str, typed: bool) {
        let mut v = self.var(cx, w.to_string(), Kind::F, 1.0, false);
        // Untyped, the macro cannot see that it is a float (like a value computed from
        // `#[no_grad]` data only).
        v.nograd = !typed;
        v.untyped_plain = !typed;
        cx.declare(v);
    }

    /// The plain value brought to a magnitude of at most 1.
    fn unit(&mut self, p: &Plain) -> E {
        if p.bound <= 1.0 {
            return p.core.clone();
        }
        let f = *self.rng.pick(&["tanh", "sin", "cos"]);
        method(f, p.core.clone(), vec![])
    }

    /// An update of state in scope with the plain value: of a mutable scalar (within its
    /// bound when the loop carries it) or an accumulator of the innermost loop, as `target`
    /// allows. False when there is none.
    fn plain_use(&mut self, cx: &mut Ctx, out: &mut Vec<S>, p: &Plain, target: Target) -> bool {
        let targets: Vec<_> = self
            .mutable_scalars(cx)
            .into_iter()
            .filter(|v| match target {
                Target::Any => true,
                Target::Carried => Self::carried(cx, v),
                Target::Only(t) => v.name == t,
                Target::Not(t) => v.name != t,
                Target::Accs => false,
            })
            .collect();
        let accs = match (cx.loops.last(), target) {
            (Some(l), Target::Any | Target::Not(_) | Target::Accs) => Self::accs_of(cx, l.id),
            _ => Vec::new(),
        };
        if targets.is_empty() && accs.is_empty() {
            return false;
        }
        let c = self.unit(p);
        if targets.is_empty() || (!accs.is_empty() && self.rng.chance(0.3)) {
            // acc += c * e
            let s = self.rng.pick(&accs).clone();
            let (e, b) = self.expr(cx, 1);
            let (e, b) = self.fit((e, b), 4.0);
            out.push(S::Compound(s.clone(), "+=", bin("*", c, e)));
            if let Some(v) = cx.find_mut(&s) {
                v.growth += b;
            }
            return true;
        }
        let v = self.rng.pick(&targets).clone();
        let carried = Self::carried(cx, &v);
        let t = || E::Place(v.name.clone());
        let big = !carried || v.bound >= 1.0;
        let (e, new_bound) = match self.rng.below(4) {
            0 if !carried || v.bound >= 0.5 => {
                // t = 0.5 * (t * c + e).sin()
                let (e, b) = self.expr(cx, 1);
                let (e, _) = self.fit((e, b), 2.0);
                let f = *self.rng.pick(&["sin", "cos", "tanh"]);
                let inner = bin("+", bin("*", t(), c), e);
                (bin("*", E::Num(0.5), method(f, inner, vec![])), 0.5)
            }
            1 if big => {
                // t = c * (t + e).tanh()
                let (e, b) = self.expr(cx, 1);
                let (e, _) = self.fit((e, b), 2.0);
                (bin("*", c, method("tanh", bin("+", t(), e), vec![])), 1.0)
            }
            2 => {
                // t *= c
                out.push(S::Compound(v.name.clone(), "*=", c));
                return true;
            }
            _ => {
                // t += 0.5 * (c * e - t): contractive when |e| <= the bound
                let (e, b) = self.expr(cx, 1);
                let (e, _) = self.fit((e, b), v.bound.clamp(0.25, 4.0));
                let z = bin("-", bin("*", c, e), t());
                out.push(S::Compound(v.name.clone(), "+=", bin("*", E::Num(0.5), z)));
                return true;
            }
        };
        out.push(S::Assign(v.name.clone(), e));
        if !carried {
            if let Some(var) = cx.find_mut(&v.name) {
                var.bound = var.bound.max(new_bound);
            }
        }
        true
    }

    /// The plain value read in active arithmetic: an update of state (`target`), or else a
    /// local of its own, which later statements may read.
    fn plain_read(&mut self, cx: &mut Ctx, out: &mut Vec<S>, p: &Plain, target: Target) {
        if self.plain_use(cx, out, p, target) {
            return;
        }
        let (e, b) = self.expr(cx, 1);
        let (e, b) = self.fit((e, b), 4.0);
        // Fresh: not shadowing an accumulator whose idle increment goes after it.
        self.fresh += 1;
        let name = format!("l{}", self.fresh);
        let c = self.unit(p);
        out.push(S::Let {
            pat: name.clone(),
            mutable: false,
            ty: None,
            e: bin("*", c, e),
        });
        cx.declare(self.var(cx, name, Kind::F, b, false));
    }

    /// A plain call (a statement choice of [`Gen::stmt`]): bound, then used in active
    /// arithmetic, only in inactive code, or not at all.
    pub(super) fn plain_stmt(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        let p = self.plain_let(cx, out);
        let choice = self.rng.weighted(&[7, 2, 1]);
        if choice == 0 {
            self.plain_read(cx, out, &p, Target::Any);
        } else if choice == 1 {
            // A scaled copy: inactive for a weight (`w * 0.5`); for an index, an element read
            // at it (`x[j] * 0.5`), marked inactive all the same, which only makes the
            // generator more careful with what reads it (`Ctx::inactive`).
            self.fresh += 1;
            let name = format!("l{}", self.fresh);
            let e = bin("*", p.core.clone(), E::Num(self.num()));
            let b = p.bound * 3.0;
            let mut v = self.var(cx, name.clone(), Kind::F, b, false);
            v.nograd = true;
            out.push(S::Let {
                pat: name,
                mutable: false,
                ty: None,
                e,
            });
            cx.declare(v);
        }
        // Otherwise not used here (later statements may read it, or not).
    }

    /// In a branch of the fused loop's body: a plain call added into its accumulators
    /// (`let w = plain_w(i); s += w * e;`).
    pub(super) fn plain_acc(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        let p = self.plain_let(cx, out);
        self.plain_use(cx, out, &p, Target::Accs);
    }

    /// At the end of a loop body: `if c { let w = plain_w(i); s = ..w..; } else { .. }`, with
    /// calls in one or both branches (and in an `if` nested in a branch), each branch updating
    /// state the loop carries. Nothing when the loop carries no scalar.
    pub(super) fn plain_if(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        if !self
            .mutable_scalars(cx)
            .iter()
            .any(|v| Self::carried(cx, v))
        {
            return;
        }
        if matches!(out.last(), Some(S::Break | S::Continue | S::Return(_))) {
            return;
        }
        let s = self.plain_branches(cx, 0, Target::Carried);
        out.push(s);
    }

    /// An `if` with plain calls whose result is read after it, which the reverse sweep would
    /// run again as a whole (were its results not saved): `let mut t = s; if c { let w =
    /// plain_w(i); t = (t * w).sin(); } s = ..t..;`, in a loop body or a branch; nested in
    /// another `if` outside loops, and sometimes inside them.
    pub(super) fn plain_rerun_if(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        if cx.level() > 0 && self.rng.chance(0.7) {
            return self.rerun_core(cx, out);
        }
        let c = self.cond(cx, 1);
        let in_top_if = cx.in_top_if;
        cx.in_top_if |= cx.top;
        let then = self.scoped(cx, |g, cx, body| {
            if g.rng.chance(0.4) {
                g.stmts(cx, 1, body);
            }
            if !matches!(body.last(), Some(S::Break | S::Continue | S::Return(_))) {
                g.rerun_core(cx, body);
            }
        });
        let els = self
            .rng
            .chance(0.4)
            .then(|| self.scoped(cx, |g, cx, body| g.assign(cx, body)));
        cx.in_top_if = in_top_if;
        out.push(S::If(vec![(c, then)], els));
    }

    /// `body` generated by `fill` in a block of its own (a scope, one level deeper).
    fn scoped(
        &mut self,
        cx: &mut Ctx,
        fill: impl FnOnce(&mut Gen, &mut Ctx, &mut Vec<S>),
    ) -> Vec<S> {
        cx.scopes.push(Vec::new());
        cx.depth += 1;
        let mut body = Vec::new();
        fill(self, cx, &mut body);
        cx.depth -= 1;
        cx.scopes.pop();
        body
    }

    /// `let mut t = ..; if c { ..plain call, t = .. } [else { .. }]` and a statement reading
    /// `t`. No `break`, `continue` nor `return` inside the `if` (the macro rejects them in an
    /// `if` it would run again).
    fn rerun_core(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        let scalars = self.mutable_scalars(cx);
        let (e, b) = if !scalars.is_empty() && self.rng.chance(0.7) {
            let v = self.rng.pick(&scalars);
            (E::Place(v.name.clone()), v.bound)
        } else {
            let (e, b) = self.expr(cx, 1);
            self.fit((e, b), 2.0)
        };
        self.fresh += 1;
        let t = format!("l{}", self.fresh);
        let v = self.var(cx, t.clone(), Kind::F, b, true);
        Self::declare_from(cx, v, &None, &e);
        out.push(S::Let {
            pat: t.clone(),
            mutable: true,
            ty: None,
            e,
        });
        let no_jump = std::mem::replace(&mut cx.no_jump, cx.loops.last().map(|l| l.id));
        let no_return = std::mem::replace(&mut cx.no_return, true);
        let s = self.plain_branches(cx, 0, Target::Only(&t));
        cx.no_jump = no_jump;
        cx.no_return = no_return;
        out.push(s);
        let bound = cx.find_mut(&t).map_or(b, |v| v.bound);
        let p = Plain {
            core: E::Place(t.clone()),
            bound,
        };
        self.plain_read(cx, out, &p, Target::Not(&t));
    }

    /// A loop that computes no derivative and leaves a value read after it, with plain calls in
    /// its body or its range: an index (`let mut k: usize = i; for j in 0..2 { k +=
    /// plain_idx(i + j, 3); }`) or a weight (`let mut w = 1.0; .. w *= plain_w(i + j);`), over
    /// a range, `0..plain_idx(i, 4)` (then `k += 1;`, `w *= 0.75;`), in a `while` or a `loop`;
    /// then the index read in a condition (`if k > 2 { .. } else { .. }`) or as an index
    /// (`x[k % x.len()]`), the weight in active arithmetic, or either left to later statements.
    pub(super) fn plain_inactive_loop(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        let weight = self.rng.chance(0.35);
        // 0: over `0..trips`, 1: over `0..plain_idx(..)`, 2: `while`, 3: `loop`.
        let form = self.rng.weighted(&[4, 3, 2, 1]);
        // An untyped weight only multiplied by literals (`w *= 0.75`) would be a float of no
        // type, whose methods Rust rejects (E0689).
        let typed = self.rng.chance(0.5) || (weight && form == 1);
        let largest = cx
            .readable(|k| k == Kind::Int)
            .iter()
            .map(|v| v.bound)
            .fold(5.0, f64::max);
        let trips = self.rng.range(1, 3);
        let n = self.rng.range(2, 5);
        let name = if weight {
            self.fresh += 1;
            format!("pw{}", self.fresh)
        } else {
            self.counter_name()
        };
        if weight {
            let ty = if typed { ": f64" } else { "" };
            out.push(S::Raw(format!("let mut {name}{ty} = 1.0;")));
        } else {
            let start = self.plain_arg(cx);
            // A literal start and `+= 1` would make an untyped `k` an `i32`.
            let ty = if typed || start.parse::<usize>().is_ok() {
                ": usize"
            } else {
                ""
            };
            out.push(S::Raw(format!("let mut {name}{ty} = {start};")));
        }
        let step = |g: &mut Gen, cx: &Ctx| {
            let arg = g.plain_arg(cx);
            S::Raw(if weight {
                format!("{name} *= plain_w({arg});")
            } else {
                format!("{name} += plain_idx({arg}, {n});")
            })
        };
        self.loop_ids += 1;
        let id = self.loop_ids;
        let c = self.counter_name();
        let stmt = match form {
            0 => {
                let info = LoopInfo {
                    id,
                    counter: Some((c.clone(), trips - 1)),
                    over: None,
                    trips,
                };
                self.open_loop(cx, &info);
                let body = vec![step(self, cx)];
                Self::close_loop(cx);
                S::For(format!("{c} in 0..{trips}"), body)
            }
            1 => {
                let bound = self.plain_bound(cx, n);
                let body = S::Raw(if weight {
                    format!("{name} *= 0.75;")
                } else {
                    format!("{name} += 1;")
                });
                S::For(format!("_ in 0..{bound}"), vec![body])
            }
            shape => {
                // `while c < trips { ..; c += 1; }` or `loop { c += 1; if c > trips { break; } .. }`
                let info = LoopInfo {
                    id,
                    counter: Some((c.clone(), trips)),
                    over: None,
                    trips,
                };
                out.push(S::Raw(format!("let mut {c} = 0;")));
                self.open_loop(cx, &info);
                let call = step(self, cx);
                Self::close_loop(cx);
                let bump = S::Raw(format!("{c} += 1;"));
                if shape == 2 {
                    S::While(C::Raw(format!("{c} < {trips}")), vec![call, bump])
                } else {
                    let exit = S::If(
                        vec![(C::Raw(format!("{c} > {trips}")), vec![S::Break])],
                        None,
                    );
                    S::Loop(vec![bump, exit, call])
                }
            }
        };
        out.push(stmt);
        if weight {
            self.declare_weight(cx, &name, typed);
            if self.rng.chance(0.8) {
                let p = Plain {
                    core: E::Place(name),
                    bound: 1.0,
                };
                self.plain_read(cx, out, &p, Target::Any);
            }
            return;
        }
        let bound = 2.0 * largest + 1.0 + (trips * n) as f64;
        let mut v = self.var(cx, name.clone(), Kind::Int, bound, false);
        v.not_usize = !typed;
        cx.declare(v);
        let arrays = self.indexables(cx, false);
        match self
            .rng
            .weighted(&[3, if arrays.is_empty() { 0 } else { 3 }, 1])
        {
            0 => {
                let c = C::Raw(match self.rng.below(3) {
                    0 => format!("{name} > {}", self.rng.range(1, 3)),
                    1 => format!("{name} % 2 == 0"),
                    _ => format!("{name} % 3 != 1"),
                });
                let then = self.scoped(cx, |g, cx, body| g.assign(cx, body));
                let els = self
                    .rng
                    .chance(0.6)
                    .then(|| self.scoped(cx, |g, cx, body| g.assign(cx, body)));
                out.push(S::If(vec![(c, then)], els));
            }
            1 => {
                let (a, len) = self.rng.pick(&arrays).clone();
                let len = match len {
                    Some(n) => n.to_string(),
                    None => format!("{}.len()", a.name),
                };
                let p = Plain {
                    core: E::Place(format!("{}[{name} % {len}]", a.name)),
                    bound: a.bound,
                };
                self.plain_read(cx, out, &p, Target::Any);
            }
            _ => {}
        }
    }

    fn plain_cond(&mut self, cx: &Ctx) -> C {
        let ints = Self::usize_names(cx);
        if !ints.is_empty() && self.rng.chance(0.5) {
            let i = self.rng.pick(&ints).clone();
            return C::Raw(match self.rng.below(3) {
                0 => format!("{i} % 2 == 0"),
                1 => format!("{i} % 3 != 1"),
                _ => format!("{i} > 0"),
            });
        }
        self.cond(cx, 1)
    }

    fn plain_branches(&mut self, cx: &mut Ctx, nest: usize, target: Target) -> S {
        let c = self.plain_cond(cx);
        let then = self.plain_branch(cx, nest, true, target);
        let els = match self.rng.below(3) {
            0 => None,
            1 => Some(self.plain_branch(cx, nest, true, target)),
            _ => Some(self.plain_branch(cx, nest, false, target)),
        };
        S::If(vec![(c, then)], els)
    }

    /// A branch: a plain call and its use (`with_call`) on `target`, or an ordinary update;
    /// maybe random statements between, and last an `if` with calls, or one whose result the
    /// branch reads after it.
    fn plain_branch(
        &mut self,
        cx: &mut Ctx,
        nest: usize,
        with_call: bool,
        target: Target,
    ) -> Vec<S> {
        self.scoped(cx, |g, cx, body| {
            if with_call {
                let p = g.plain_let(cx, body);
                // Used first: a statement between could shadow the array it indexes.
                if !g.plain_use(cx, body, &p, target) {
                    g.assign(cx, body);
                }
                if g.rng.chance(0.3) {
                    let budget = std::mem::replace(&mut cx.budget, 1);
                    g.stmts(cx, 1, body);
                    cx.budget = budget;
                }
            } else {
                g.assign(cx, body);
            }
            let jumped = matches!(body.last(), Some(S::Break | S::Continue | S::Return(_)));
            if nest == 0 && !jumped && g.rng.chance(0.3) {
                if g.rng.chance(0.5) {
                    g.rerun_core(cx, body);
                } else {
                    let inner = g.plain_branches(cx, nest + 1, target);
                    body.push(inner);
                }
            }
        })
    }
}
