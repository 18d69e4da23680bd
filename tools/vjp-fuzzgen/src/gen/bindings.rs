//! The `binding-patterns` switch: `if let` and `match` arms whose patterns bind parts of a
//! value that carries no floats (the macro tests such an arm with its bindings left out, then
//! takes the parts out of a clone of the scrutinee, `vjp-macro/src/lower/control.rs`).
//!
//! Scrutinees: `idx.get(i)`, `idx.first()`, `idx.last()` on `#[no_grad]` parameters
//! `idx: &[usize]` and `[usize; N]`, `#[no_grad] opt: Option<usize>`, integer locals (`i % 4`,
//! `i`), and tuples of two of those or a `bool` local. Patterns: `Some(&j)`, `Some(k)`,
//! `Some(&(j @ 1..=3))`, `Some(mut k)` (then `k += 1;`), `Some(&0)`, `None`, `k @ 0..=1`,
//! `k @ (1 | 3)`, `(Some(a), Some(&b))`, `(Some(k), _) | (None, Some(&k))` (an or-pattern
//! binding the same name), `(true, Some(k))`; guards on the bound integers (`Some(&j) if
//! j > 2`) and, now and then, on active values. The bound integers are used in active code as
//! indices (`x[j % x.len()]`), as `j as f64` factors, as loop bounds (`for _ in 0..j`), and
//! by the random statements of the arm (conditions, call arguments, expressions).
//!
//! As statements ([`Gen::binding_stmt`]: `if let .. else if let .. else`, `match`), anywhere
//! statements are generated: among the function's own, in branches, in loop bodies (also of
//! the fused loop and of the emphasis loops), where the arms assign loop state, add into
//! accumulators and (inside loops) end with `break` / `continue`; and as expressions
//! ([`Gen::binding_expr`]: `let t = if let Some(&j) = idx.get(i) { .. } else { .. };`,
//! `let t = match opt { .. };`).

use super::{bin, method, Ctx, Gen, Kind, LoopInfo, PKind, Param, Var};
use crate::ast::{Arm, C, E, S};
use crate::rng::Rng;

/// The largest element of an integer slice or array, and of an `Option<usize>`'s value.
pub const IDX_MAX: usize = 4;

/// A value for a `binding-patterns` parameter, as the test passes it: `&[2, 0, 4]`, `[1, 3]`,
/// `Some(2)`, `None`.
pub fn value_text(rng: &mut Rng, kind: PKind) -> String {
    fn items(rng: &mut Rng, n: usize) -> String {
        let v: Vec<String> = (0..n).map(|_| rng.range(0, IDX_MAX).to_string()).collect();
        v.join(", ")
    }
    match kind {
        PKind::NoGradIdx => {
            let n = rng.range(2, 4);
            format!("&[{}]", items(rng, n))
        }
        PKind::NoGradIdxArr(n) => format!("[{}]", items(rng, n)),
        _ if rng.chance(0.25) => "None".into(),
        _ => format!("Some({})", rng.range(0, IDX_MAX)),
    }
}

/// One part of a scrutinee.
#[derive(Clone, Copy)]
enum Side {
    /// An integer whose largest value is given.
    Int(usize),
    /// `Option<usize>`, or `Option<&usize>` (`by_ref`, from `idx.get(i)`).
    Opt {
        by_ref: bool,
    },
    Bool,
}

/// An integer a pattern binds: its name, largest value, and whether it is `mut`.
type Bind = (String, usize, bool);

impl Gen {
    /// Adds `#[no_grad]` integer slice, array and `Option<usize>` parameters (sometimes none).
    pub(super) fn binding_params(&mut self, cx: &mut Ctx, params: &mut Vec<Param>) {
        if self.rng.chance(0.3) {
            return;
        }
        for _ in 0..self.rng.range(1, 2) {
            let k = params.len();
            let (kind, vkind, name) = match self.rng.weighted(&[9, 5, 6]) {
                0 => (PKind::NoGradIdx, Kind::Idx(None), format!("idx{k}")),
                1 => {
                    let n = self.rng.range(2, 4);
                    (PKind::NoGradIdxArr(n), Kind::Idx(Some(n)), format!("ks{k}"))
                }
                _ => (PKind::NoGradOpt, Kind::Opt, format!("opt{k}")),
            };
            let mut v = self.var(cx, name.clone(), vkind, IDX_MAX as f64, false);
            v.param = Some(kind);
            v.nograd = true;
            cx.declare(v);
            params.push(Param {
                name,
                kind,
                mutable: false,
            });
        }
    }

    /// An integer expression for `idx.get(..)`: a `usize` local, maybe stepped, or a literal.
    fn get_arg(&mut self, ints: &[Var]) -> String {
        if ints.is_empty() || self.rng.chance(0.2) {
            return self.rng.range(0, 3).to_string();
        }
        let i = &self.rng.pick(ints).name;
        match self.rng.below(4) {
            0 => format!("{i} + 1"),
            1 => format!("2 * {i}"),
            _ => i.clone(),
        }
    }

    /// A scrutinee that carries no floats, and its parts; `None` when nothing fits.
    fn scrutinee(&mut self, cx: &Ctx) -> Option<(String, Vec<Side>)> {
        let ints: Vec<Var> = cx
            .readable(|k| k == Kind::Int)
            .into_iter()
            .filter(|v| !v.not_usize)
            .collect();
        let mut parts: Vec<(String, Side)> = Vec::new();
        for v in cx.readable(|k| matches!(k, Kind::Idx(_) | Kind::Opt)) {
            if v.kind == Kind::Opt {
                parts.push((v.name.clone(), Side::Opt { by_ref: false }));
                continue;
            }
            let text = match self.rng.below(5) {
                0 => format!("{}.first()", v.name),
                1 => format!("{}.last()", v.name),
                _ => format!("{}.get({})", v.name, self.get_arg(&ints)),
            };
            parts.push((text, Side::Opt { by_ref: true }));
        }
        // Integer locals, less often when there are options.
        if !ints.is_empty() && (parts.is_empty() || self.rng.chance(0.3)) {
            let v = self.rng.pick(&ints);
            let max = v.bound.max(0.0) as usize;
            parts.push(if self.rng.chance(0.6) || max > IDX_MAX {
                (format!("{} % 4", v.name), Side::Int(3))
            } else {
                (v.name.clone(), Side::Int(max))
            });
        }
        if parts.is_empty() {
            return None;
        }
        let first = parts.swap_remove(self.rng.below(parts.len()));
        if self.rng.chance(0.6) {
            return Some((first.0, vec![first.1]));
        }
        let bools = cx.readable(|k| k == Kind::Bool);
        let second = if !bools.is_empty() && self.rng.chance(0.3) {
            (self.rng.pick(&bools).name.clone(), Side::Bool)
        } else if !parts.is_empty() {
            parts.swap_remove(self.rng.below(parts.len()))
        } else {
            return Some((first.0, vec![first.1]));
        };
        let (a, b) = if self.rng.chance(0.5) {
            (first, second)
        } else {
            (second, first)
        };
        Some((format!("({}, {})", a.0, b.0), vec![a.1, b.1]))
    }

    /// A pattern for one part; refutable when `refutable` (else maybe `_`). Bindings go to
    /// `binds` (`mut` ones only when `allow_mut`).
    fn side_pat(
        &mut self,
        side: Side,
        refutable: bool,
        allow_mut: bool,
        binds: &mut Vec<Bind>,
    ) -> String {
        let wild = if refutable { 0 } else { 2 };
        match side {
            Side::Bool => (if self.rng.chance(0.5) {
                "true"
            } else {
                "false"
            })
            .into(),
            Side::Int(max) => {
                let j = self.counter_name();
                match self.rng.weighted(&[3, 3, 2, 2, wild]) {
                    0 => {
                        binds.push((j.clone(), 1, false));
                        format!("{j} @ 0..=1")
                    }
                    1 => {
                        binds.push((j.clone(), max.min(3), false));
                        format!("{j} @ (1 | 3)")
                    }
                    2 => "0 | 2".into(),
                    3 if !refutable => {
                        binds.push((j.clone(), max, false));
                        j
                    }
                    3 => "1".into(),
                    _ => "_".into(),
                }
            }
            Side::Opt { by_ref } => {
                let amp = if by_ref { "&" } else { "" };
                let j = self.counter_name();
                let mutable = allow_mut && !by_ref;
                match self
                    .rng
                    .weighted(&[6, 2, if mutable { 2 } else { 0 }, 1, 1, wild])
                {
                    0 => {
                        binds.push((j.clone(), IDX_MAX, false));
                        format!("Some({amp}{j})")
                    }
                    1 => {
                        binds.push((j.clone(), 3, false));
                        if by_ref {
                            format!("Some(&({j} @ 1..=3))")
                        } else {
                            format!("Some({j} @ 1..=3)")
                        }
                    }
                    2 => {
                        binds.push((j.clone(), IDX_MAX, true));
                        format!("Some(mut {j})")
                    }
                    3 => format!("Some({amp}0)"),
                    4 => "None".into(),
                    _ => "_".into(),
                }
            }
        }
    }

    /// A refutable pattern for the whole scrutinee, and what it binds: each part's, or (two
    /// options) an or-pattern binding the same name, `(Some(k), _) | (None, Some(&k))`.
    fn pattern(&mut self, sides: &[Side], allow_mut: bool) -> (String, Vec<Bind>) {
        let mut binds = Vec::new();
        if let [Side::Opt { by_ref: a }, Side::Opt { by_ref: b }] = *sides {
            if self.rng.chance(0.3) {
                let k = self.counter_name();
                let (a, b) = (if a { "&" } else { "" }, if b { "&" } else { "" });
                binds.push((k.clone(), IDX_MAX, false));
                return (format!("(Some({a}{k}), _) | (None, Some({b}{k}))"), binds);
            }
        }
        if let [side] = *sides {
            return (self.side_pat(side, true, allow_mut, &mut binds), binds);
        }
        // One part refutable, the other anything.
        let r = self.rng.below(2);
        let pats: Vec<String> = sides
            .iter()
            .enumerate()
            .map(|(k, s)| self.side_pat(*s, k == r, allow_mut, &mut binds))
            .collect();
        (format!("({})", pats.join(", ")), binds)
    }

    /// Sometimes a guard: on a bound integer (`j > 2`), now and then on active values.
    fn guard(&mut self, cx: &Ctx, binds: &[Bind]) -> Option<C> {
        if binds.is_empty() || self.rng.chance(0.6) {
            return None;
        }
        if self.rng.chance(0.2) {
            return Some(self.cond(cx, 1));
        }
        let (j, max, _) = self.rng.pick(binds).clone();
        let c = self.rng.range(0, max.saturating_sub(1));
        Some(C::Raw(match self.rng.below(3) {
            0 => format!("{j} > {c}"),
            1 => format!("{j} % 2 == {}", c % 2),
            _ => format!("{j} != {c}"),
        }))
    }

    /// The arms of a `match`: one to three patterns, with guards, then a catch-all (`_`, or
    /// `Some(j)` and `None` for a lone option, `j` for a lone integer). `arm` makes each arm's
    /// body with its bindings in scope.
    fn arms<T>(
        &mut self,
        cx: &mut Ctx,
        sides: &[Side],
        allow_mut: bool,
        arm: &mut dyn FnMut(&mut Self, &mut Ctx, &[Bind]) -> T,
    ) -> Vec<Arm<T>> {
        let mut heads = Vec::new();
        for _ in 0..self.rng.range(1, 3) {
            heads.push((self.pattern(sides, allow_mut), true));
        }
        let last = match *sides {
            [Side::Opt { by_ref }] if self.rng.chance(0.5) => {
                let j = self.counter_name();
                let amp = if by_ref { "&" } else { "" };
                heads.push((
                    (format!("Some({amp}{j})"), vec![(j, IDX_MAX, false)]),
                    false,
                ));
                "None".to_string()
            }
            [Side::Int(max)] if self.rng.chance(0.5) => {
                let j = self.counter_name();
                heads.push(((j.clone(), vec![(j, max, false)]), false));
                String::new()
            }
            _ => "_".to_string(),
        };
        if !last.is_empty() {
            heads.push(((last, Vec::new()), false));
        }
        let mut arms = Vec::new();
        for ((pat, binds), guarded) in heads {
            self.open_arm(cx, &binds);
            let guard = if guarded {
                self.guard(cx, &binds)
            } else {
                None
            };
            let body = arm(self, cx, &binds);
            Self::close_arm(cx);
            arms.push(Arm { pat, guard, body });
        }
        arms
    }

    /// Enters an arm (a branch): a scope with its bindings.
    fn open_arm(&mut self, cx: &mut Ctx, binds: &[Bind]) {
        cx.scopes.push(Vec::new());
        cx.depth += 1;
        for (j, max, mutable) in binds {
            let bound = (max + usize::from(*mutable)) as f64;
            let v = self.var(cx, j.clone(), Kind::Int, bound, *mutable);
            cx.declare(v);
        }
    }

    fn close_arm(cx: &mut Ctx) {
        cx.depth -= 1;
        cx.scopes.pop();
    }

    /// A factor that reads a bound integer: an element at it (`x[j % x.len()]`) or
    /// `j as f64`, with its bound.
    fn bound_factor(&mut self, cx: &Ctx, (j, max, _): &Bind) -> (E, f64) {
        let arrays = self.indexables(cx, false);
        if arrays.is_empty() || self.rng.chance(0.3) {
            return (E::Int(j.clone()), *max as f64 + 1.0);
        }
        let (a, len) = self.rng.pick(&arrays).clone();
        let len = len.map_or_else(|| format!("{}.len()", a.name), |n| n.to_string());
        (E::Place(format!("{}[{j} % {len}]", a.name)), a.bound)
    }

    /// An arm's expression: often a factor read at a bound integer times an expression.
    fn arm_expr(&mut self, cx: &Ctx, binds: &[Bind]) -> (E, f64) {
        if binds.is_empty() || self.rng.chance(0.3) {
            return self.expr(cx, 2);
        }
        let bind = self.rng.pick(binds).clone();
        let (f, bf) = self.bound_factor(cx, &bind);
        let (e, b) = self.expr(cx, 1);
        let (e, b) = self.fit((e, b), 4.0);
        self.fit((bin("*", f, e), bf * b), 40.0)
    }

    /// `e` (bound `b`) folded into the state: added into an accumulator of the innermost loop,
    /// into a loop's state contractively (`s = 0.5 * (s * e + c).sin()`), added to a mutable
    /// local, or bound to a new one.
    fn fold_into(&mut self, cx: &mut Ctx, out: &mut Vec<S>, e: E, b: f64) {
        let accs = cx
            .loops
            .last()
            .map_or_else(Vec::new, |l| Self::accs_of(cx, l.id));
        let targets = self.mutable_scalars(cx);
        if !accs.is_empty() && self.rng.chance(0.7) {
            let s = self.rng.pick(&accs).clone();
            let (e, b) = self.fit((e, b), 4.0);
            out.push(S::Compound(s.clone(), "+=", e));
            if let Some(v) = cx.find_mut(&s) {
                v.growth += b;
            }
        } else if !targets.is_empty() {
            let v = self.rng.pick(&targets).clone();
            if Self::carried(cx, &v) {
                let (e, b) = self.fit((e, b), 4.0);
                let c = self.num();
                let inner = bin("+", bin("*", E::Place(v.name.clone()), e), E::Num(c));
                let (inner, _) = self.fit((inner, v.bound * b + c), 40.0);
                let f = if self.restrict && !self.opts.unlisted_pure_methods {
                    "sin"
                } else {
                    *self.rng.pick(&["sin", "tanh"])
                };
                let upd = bin("*", E::Num(0.5), method(f, inner, vec![]));
                let (upd, _) = self.fit((upd, 0.5), v.bound);
                out.push(S::Assign(v.name.clone(), upd));
            } else {
                out.push(S::Compound(v.name.clone(), "+=", e));
                if let Some(var) = cx.find_mut(&v.name) {
                    var.bound = (var.bound + b).min(1e6);
                }
            }
        } else {
            let name = self.name();
            out.push(S::Let {
                pat: name.clone(),
                mutable: false,
                ty: None,
                e: e.clone(),
            });
            let v = self.var(cx, name, Kind::F, b, false);
            Self::declare_from(cx, v, &None, &e);
        }
    }

    /// A statement using a bound integer: a factor read at it folded into the state, or a
    /// loop it bounds (`for _ in 0..j { s = .. }`).
    fn use_bound(&mut self, cx: &mut Ctx, out: &mut Vec<S>, bind: &Bind) {
        if self.rng.chance(0.25) && cx.level() < 2 {
            self.loop_ids += 1;
            let info = LoopInfo {
                id: self.loop_ids,
                counter: None,
                over: None,
                trips: bind.1 + 1,
            };
            self.open_loop(cx, &info);
            let mut body = Vec::new();
            self.assign(cx, &mut body);
            Self::close_loop(cx);
            out.push(S::For(format!("_ in 0..{}", bind.0), body));
            return;
        }
        let (f, bf) = self.bound_factor(cx, bind);
        let (e, b) = self.expr(cx, 1);
        let (e, b) = self.fit((e, b), 4.0);
        let (e, b) = self.fit((bin("*", f, e), bf * b), 40.0);
        self.fold_into(cx, out, e, b);
    }

    /// The statements of an arm: `k += 1;` for a `mut` binding, a use of a binding, random
    /// statements, and inside loops sometimes a final `break` / `continue`.
    fn arm_block(&mut self, cx: &mut Ctx, binds: &[Bind]) -> Vec<S> {
        let mut body = Vec::new();
        for (j, _, mutable) in binds {
            if *mutable {
                body.push(S::Raw(format!("{j} += 1;")));
            }
        }
        if !binds.is_empty() && self.rng.chance(0.7) {
            let bind = self.rng.pick(binds).clone();
            self.use_bound(cx, &mut body, &bind);
        }
        let n = self.rng.range(usize::from(body.is_empty()), 2);
        self.stmts(cx, n, &mut body);
        let ended = matches!(body.last(), Some(S::Break | S::Continue | S::Return(_)));
        if !ended && self.may_jump(cx) && self.rng.chance(0.25) {
            body.push(if self.rng.chance(0.5) {
                S::Break
            } else {
                S::Continue
            });
        }
        body
    }

    /// `if let PAT = SCRUTINEE { .. } else if let .. else { .. }` or `match SCRUTINEE { .. }`.
    pub(super) fn binding_stmt(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        self.restrict |= cx.reevaluated();
        let Some((text, sides)) = self.scrutinee(cx) else {
            return self.let_scalar(cx, out);
        };
        let in_top_if = cx.in_top_if;
        cx.in_top_if |= cx.top;
        if self.rng.chance(0.5) {
            let arms = self.arms(cx, &sides, true, &mut |g, cx, binds| g.arm_block(cx, binds));
            out.push(S::Match(text, arms));
        } else {
            let mut arms = Vec::new();
            let mut next = Some((text, sides));
            while let Some((text, sides)) = next.take() {
                let (pat, binds) = self.pattern(&sides, true);
                self.open_arm(cx, &binds);
                let body = self.arm_block(cx, &binds);
                Self::close_arm(cx);
                arms.push((C::Let(pat, text), body));
                // `else if let`, sometimes on another scrutinee; `else if` on a condition.
                if arms.len() < 3 && self.rng.chance(0.4) {
                    next = self.scrutinee(cx);
                }
            }
            if arms.len() < 3 && self.rng.chance(0.2) {
                cx.depth += 1;
                let c = self.cond(cx, 1);
                cx.depth -= 1;
                let body = self.block(cx, 1);
                arms.push((c, body));
            }
            let els = self.rng.chance(0.5).then(|| self.arm_block_plain(cx));
            out.push(S::If(arms, els));
        }
        cx.in_top_if = in_top_if;
    }

    /// An `else` block of an `if let`: an arm with nothing bound.
    fn arm_block_plain(&mut self, cx: &mut Ctx) -> Vec<S> {
        self.open_arm(cx, &[]);
        let body = self.arm_block(cx, &[]);
        Self::close_arm(cx);
        body
    }

    /// `if let PAT = SCRUTINEE { e } else { e }` or `match SCRUTINEE { PAT => e, .. }`, as an
    /// expression (no `mut` bindings).
    pub(super) fn binding_expr(&mut self, cx: &mut Ctx) -> (E, f64) {
        let Some((text, sides)) = self.scrutinee(cx) else {
            return self.expr(cx, 3);
        };
        if self.rng.chance(0.5) {
            let arms = self.arms(cx, &sides, false, &mut |g, cx, binds| g.arm_expr(cx, binds));
            let bound = arms.iter().map(|a| a.body.1).fold(0.0, f64::max);
            let arms = arms
                .into_iter()
                .map(|a| Arm {
                    pat: a.pat,
                    guard: a.guard,
                    body: a.body.0,
                })
                .collect();
            return (E::Match(text, arms), bound);
        }
        let (pat, binds) = self.pattern(&sides, false);
        self.open_arm(cx, &binds);
        let (a, ba) = self.arm_expr(cx, &binds);
        Self::close_arm(cx);
        cx.depth += 1;
        let (b, bb) = self.expr(cx, 2);
        cx.depth -= 1;
        (
            E::If(Box::new(C::Let(pat, text)), Box::new(a), Box::new(b)),
            ba.max(bb),
        )
    }
}
