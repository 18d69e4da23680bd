//! Loop fusion: one top-level loop of the function may run its forward and reverse sweeps in
//! a single pass, iteration by iteration, instead of a forward pass that saves and a reverse
//! pass that reads back and recomputes.
//!
//! This is sound when the adjoints that flow between iterations do not change from one
//! iteration to the next, and are known before the loop runs:
//! - every active slot of the loop is an *accumulator*: the body reads it only to add a value
//!   to it (`s += e`, `s -= e`, through copies and `if`s), so the reverse of an iteration
//!   hands `bar_s` on unchanged, and each iteration's reverse needs only that iteration's
//!   values;
//! - the reverse of the code after the loop reads no value the loop computes: the statements
//!   that depend on the loop's results are sums, differences, copies, products and quotients
//!   by values that do not (`total / n`, `c + s - n * lse`), and whatever else comes after the
//!   loop and has adjoint work does not depend on the loop at all.
//!
//! The generated code then reads: the code before the loop, the independent code after it
//! whose reverse is needed ([`Fusion::early`]), the reverse of the code after the loop (which
//! now yields `bar_s`), the fused loop (each iteration: forward body, then its reverse), the
//! rest of the code after the loop, and the reverse of the code before it. Side effects keep
//! their order: code moved ahead of the loop has none (no `println!`, only calls that the
//! reverse sweep may run again).
//!
//! The loop saves nothing on a tape, reads no value back, and each iteration's values are
//! still in registers when its reverse runs.

use crate::activity::Activity;
use crate::ir::{ArithOp, Atom, Block, Body, Loop, LoopKind, Proj, Rhs, Stmt, Term, VarId};
use crate::plan::{is_pure_tokens, primal_reads, Plan};
use std::collections::{BTreeMap, BTreeSet};

type Set = BTreeSet<VarId>;

/// The loop of the function's own block that runs fused, and how the code around it moves.
pub struct Fusion {
    /// The loop's id.
    pub loop_id: usize,
    /// Its position in the function's block.
    pub index: usize,
    /// Per statement of the function's block: emitted before the fused loop (everything before
    /// it, and the statements after it whose values the reverse of that code reads). The others
    /// after the loop run after it.
    pub early: Vec<bool>,
    /// Calls in the loop's body whose reverse may run where the call does (see
    /// [`EarlyCall`]).
    pub calls: Vec<EarlyCall>,
}

/// A call `t = f(..)` at the top level of the fused loop's body whose result is only added to
/// an accumulator: `s2 = s1 + t`, `t + s1` or `s1 - t`, where `s1` is a value of an active
/// slot's chain (see [`accumulates`]), or first multiplied by a value known where the call runs
/// (`s1 + w * t`). Its cotangent is then `bar_s` (or `-bar_s`, times `w`), the slot's
/// adjoint, which does not change from one iteration to the next and is known before the
/// iteration runs: the forward sweep calls `f_vjp` instead of `f`, once, and takes the primal
/// value from it, and the reverse of the call reads the cotangents it returned, instead of
/// computing `f` a second time inside `f_vjp`.
pub struct EarlyCall {
    /// The call's result, `t`.
    pub var: VarId,
    /// The slot it is added to.
    pub slot: VarId,
    /// True for `s1 - t`.
    pub negate: bool,
    /// For `s1 + w * t`: `w`, by which the cotangent is multiplied (`bar_s * w`).
    pub factor: Option<Atom>,
}

impl Fusion {
    /// The fused loop itself, in `body`.
    pub fn lookup<'a>(&self, body: &'a Body) -> Option<&'a Loop> {
        match body.block.stmts.get(self.index) {
            Some(Stmt::Loop(l)) => Some(l),
            _ => None,
        }
    }
}

/// Chooses the loop to fuse, if any: among the candidates, the one with the largest body.
pub fn fusion(body: &Body, activity: &Activity, plan: &Plan) -> Option<Fusion> {
    let mut best: Option<(usize, Fusion)> = None;
    for (index, stmt) in body.block.stmts.iter().enumerate() {
        let Stmt::Loop(l) = stmt else { continue };
        let Some(fusion) = candidate(body, activity, plan, index, l) else {
            continue;
        };
        let mut size = 0;
        l.body.walk(&mut |_| size += 1);
        if best.as_ref().is_none_or(|(b, _)| size > *b) {
            best = Some((size, fusion));
        }
    }
    best.map(|(_, f)| f)
}

fn candidate(
    body: &Body,
    activity: &Activity,
    plan: &Plan,
    index: usize,
    l: &Loop,
) -> Option<Fusion> {
    if !plan.loop_work[l.id] || !matches!(l.kind, LoopKind::For { .. }) || leaves(&l.body, true) {
        return None;
    }
    // Per active slot, the values of its chain: their adjoints are all the slot's.
    let mut chains: Vec<(VarId, Set)> = Vec::new();
    for slot in &l.slots {
        if activity.active(slot.var) {
            chains.push((slot.var, accumulates(&l.body, slot.var)?));
        }
    }
    let stmts = &body.block.stmts;
    let post = &stmts[index + 1..];
    // What depends on the loop's results.
    let mut dep: Set = l.slots.iter().map(|s| s.var).collect();
    let mut is_dep = vec![false; post.len()];
    for (k, stmt) in post.iter().enumerate() {
        if primal_reads(stmt).iter().any(|v| dep.contains(v)) {
            is_dep[k] = true;
            dep.extend(stmt.defs());
        }
    }
    // The primal values the reverse of the code after the loop reads, and the statements after
    // the loop that must run before it: those with adjoint work, and those that compute a value
    // such work reads.
    let mut needed = Set::new();
    let mut early = vec![false; post.len()];
    for (k, stmt) in post.iter().enumerate() {
        if is_dep[k] {
            match stmt {
                Stmt::Let { var, rhs, .. } if activity.active(*var) => {
                    let reads = linear_reads(activity, rhs)?;
                    if reads.iter().any(|r| dep.contains(r)) {
                        return None;
                    }
                    needed.extend(reads);
                }
                Stmt::Let { .. } | Stmt::Effect { .. } => {}
                _ => return None,
            }
        } else if has_work(activity, plan, stmt) {
            early[k] = true;
        }
    }
    // Close over the primal reads of what moves ahead.
    loop {
        let mut changed = false;
        for (k, stmt) in post.iter().enumerate() {
            if !early[k] && stmt.defs().iter().any(|d| needed.contains(d)) {
                early[k] = true;
                changed = true;
            }
            if early[k] {
                for r in primal_reads(stmt) {
                    changed |= needed.insert(r);
                }
            }
        }
        if !changed {
            break;
        }
    }
    for (k, stmt) in post.iter().enumerate() {
        if early[k] && (is_dep[k] || !movable(stmt)) {
            return None;
        }
    }
    // The adjoints declared at the start of the function's reverse are made from witnesses
    // that must exist by then.
    let mut late_defs = Set::new();
    for (k, stmt) in post.iter().enumerate() {
        if !early[k] {
            stmt.walk(&mut |s| late_defs.extend(s.defs()));
        }
    }
    if plan.predeclare[body.block.id]
        .iter()
        .any(|v| late_defs.contains(&plan.witness[*v]))
    {
        return None;
    }
    let mut all_early = vec![true; index];
    all_early.push(false);
    all_early.extend(early);
    Some(Fusion {
        loop_id: l.id,
        index,
        early: all_early,
        calls: early_calls(activity, plan, l, &chains),
    })
}

/// The calls of the fused loop `l`'s body whose reverse can run where they do (see
/// [`EarlyCall`]).
fn early_calls(
    activity: &Activity,
    plan: &Plan,
    l: &Loop,
    chains: &[(VarId, Set)],
) -> Vec<EarlyCall> {
    let stmts = &l.body.stmts;
    let mut inside = Set::new();
    l.body.walk(&mut |s| inside.extend(s.defs()));
    // `x`'s one use, at the top level after statement `from`, when it adds `x` to a value of an
    // active slot's chain: the slot, and whether `x` is subtracted.
    let added = |x: VarId, from: usize| -> Option<(VarId, bool)> {
        let is_x = |a: &Atom| Body::atom_var(a) == Some(x);
        let (op, a, b) = stmts[from + 1..].iter().find_map(|s| match s {
            Stmt::Let {
                var,
                rhs: Rhs::Arith(op @ (ArithOp::Add | ArithOp::Sub), a, b),
                ..
            } if activity.active(*var) && (is_x(a) || is_x(b)) => Some((*op, a, b)),
            _ => None,
        })?;
        let (other, negate) = match (op, is_x(a), is_x(b)) {
            (ArithOp::Add, true, false) => (b, false),
            (ArithOp::Add, false, true) => (a, false),
            (ArithOp::Sub, false, true) => (a, true),
            _ => return None,
        };
        let other = Body::atom_var(other)?;
        let (slot, _) = chains.iter().find(|(_, chain)| chain.contains(&other))?;
        Some((*slot, negate))
    };
    let mut calls = Vec::new();
    for (k, stmt) in stmts.iter().enumerate() {
        let Stmt::Let {
            var: t,
            rhs: Rhs::Call { .. },
            ..
        } = stmt
        else {
            continue;
        };
        if !activity.active(*t) || plan.uses[*t] != 1 {
            continue;
        }
        if let Some((slot, negate)) = added(*t, k) {
            calls.push(EarlyCall {
                var: *t,
                slot,
                negate,
                factor: None,
            });
            continue;
        }
        // `u = w * t` (or `t * w`), `u` then added: the cotangent is `bar_s * w`, when `w` is
        // known where the call runs (a constant, a value from outside the loop, or one that a
        // statement before the call defines).
        let is_t = |a: &Atom| Body::atom_var(a) == Some(*t);
        let product = stmts[k + 1..]
            .iter()
            .enumerate()
            .find_map(|(j, s)| match s {
                Stmt::Let {
                    var,
                    rhs: Rhs::Arith(ArithOp::Mul, a, b),
                    ..
                } if is_t(a) != is_t(b) => Some((k + 1 + j, *var, if is_t(a) { b } else { a })),
                _ => None,
            });
        let Some((at, u, w)) = product else { continue };
        let known = match w {
            Atom::Const(..) => true,
            Atom::Var(w) => !inside.contains(w) || stmts[..k].iter().any(|s| s.defs().contains(w)),
        };
        if !known || !activity.active(u) || plan.uses[u] != 1 {
            continue;
        }
        if let Some((slot, negate)) = added(u, at) {
            calls.push(EarlyCall {
                var: *t,
                slot,
                negate,
                factor: Some(w.clone()),
            });
        }
    }
    calls
}

/// True when a path through `block` (not counting nested loops) leaves the loop body before its
/// end: a `break`, a `continue` other than the body's own last one, or a diverging branch.
pub fn leaves(block: &Block, top: bool) -> bool {
    let ok = block.term == Term::Fall || (top && block.term == Term::Continue);
    !ok || block.stmts.iter().any(|s| match s {
        Stmt::If { then, els, .. } => leaves(then, false) || leaves(els, false),
        _ => false,
    })
}

/// The slot's chain when the loop body reads `slot` only to add to it: every value derived from the
/// slot's value at iteration start (its *chain*) is `chain + e`, `e + chain`, `chain - e`, a
/// copy, or an `if` whose branches both give chain values, and the slot is written back only
/// with chain values. The reverse of an iteration then passes `bar_slot` on unchanged, and every
/// chain value's adjoint is `bar_slot`.
fn accumulates(body: &Block, slot: VarId) -> Option<Set> {
    let mut chain: Set = [slot].into();
    chain_block(body, slot, &mut chain).then_some(chain)
}

/// See [`accumulates`]: extends `chain` over `block` in program order (an `if`'s branches
/// before its phis); false when a chain value is used in any other way.
fn chain_block(block: &Block, slot: VarId, chain: &mut Set) -> bool {
    let is_chain = |chain: &Set, a: &Atom| Body::atom_var(a).is_some_and(|v| chain.contains(&v));
    for stmt in &block.stmts {
        let ok = match stmt {
            Stmt::Let { var, rhs, .. } => {
                if rhs.primal_reads().iter().any(|v| chain.contains(v)) {
                    let extends = match rhs {
                        Rhs::Use(_) => true,
                        Rhs::Arith(ArithOp::Add, a, b) => is_chain(chain, a) != is_chain(chain, b),
                        Rhs::Arith(ArithOp::Sub, a, b) => is_chain(chain, a) && !is_chain(chain, b),
                        _ => false,
                    };
                    chain.insert(*var);
                    extends
                } else {
                    true
                }
            }
            Stmt::If {
                cond,
                then,
                els,
                phis,
            } => {
                let mut ok = !is_chain(chain, cond)
                    && chain_block(then, slot, chain)
                    && chain_block(els, slot, chain);
                for phi in phis {
                    let vals: Vec<&Atom> = phi.then_val.iter().chain(&phi.else_val).collect();
                    let from_chain = vals.iter().filter(|a| is_chain(chain, a)).count();
                    if from_chain > 0 {
                        ok &= from_chain == vals.len();
                        chain.insert(phi.var);
                    }
                }
                ok
            }
            Stmt::Loop(inner) => {
                let reads_chain = match &inner.kind {
                    LoopKind::For { reads, .. } => reads.iter().any(|r| chain.contains(r)),
                    LoopKind::Loop => false,
                };
                !reads_chain
                    && !inner.slots.iter().any(|s| is_chain(chain, &s.init))
                    && chain_block(&inner.body, slot, chain)
            }
            Stmt::WriteBack { slot: s, value } => (*s == slot) == is_chain(chain, value),
            Stmt::Effect { .. } => true,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// The primal values the reverse of an active `let` after the loop reads, when that reverse is
/// linear in the loop's results with coefficients from elsewhere; `None` for any other rule.
fn linear_reads(activity: &Activity, rhs: &Rhs) -> Option<Vec<VarId>> {
    let var = |a: &Atom| Body::atom_var(a).into_iter().collect::<Vec<_>>();
    match rhs {
        Rhs::Use(_) | Rhs::Neg(_) | Rhs::Tuple(_) | Rhs::Array(_) => Some(Vec::new()),
        Rhs::Arith(ArithOp::Add | ArithOp::Sub, ..) => Some(Vec::new()),
        Rhs::Arith(ArithOp::Mul, a, b) => {
            let mut reads = Vec::new();
            if activity.active_atom(a) {
                reads.extend(var(b));
            }
            if activity.active_atom(b) {
                reads.extend(var(a));
            }
            Some(reads)
        }
        // `bar_a += bar / b` reads only `b`; an active divisor's rule reads the quotient.
        Rhs::Arith(ArithOp::Div, _, b) if !activity.active_atom(b) => Some(var(b)),
        Rhs::FloatCast(a, _) => Some(var(a)),
        _ => None,
    }
}

/// True when the reverse sweep does work for `stmt`.
fn has_work(activity: &Activity, plan: &Plan, stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Let { var, .. } => activity.active(*var),
        Stmt::If {
            then, els, phis, ..
        } => plan.work[then.id] || plan.work[els.id] || phis.iter().any(|p| activity.active(p.var)),
        Stmt::Loop(l) => plan.loop_work[l.id],
        Stmt::Effect { .. } | Stmt::WriteBack { .. } => false,
    }
}

/// True when `stmt` may run before the loop instead of after it: no side effects (no effect
/// statements, no expression vjp cannot show to be pure; calls of differentiable functions
/// are run again by the reverse sweep anyway).
fn movable(stmt: &Stmt) -> bool {
    let mut ok = true;
    stmt.walk(&mut |s| match s {
        Stmt::Effect { .. } => ok = false,
        Stmt::Let {
            rhs: Rhs::Opaque { expr, .. },
            ..
        } => ok &= is_pure_tokens(expr),
        _ => {}
    });
    ok
}

/// True when the loop body only adds to `slot`, a float or an aggregate of floats, also one
/// element at a time and through nested loops: every value derived from the slot's value at
/// iteration start is a copy, `chain + e`, `e + chain` or `chain - e` (as in [`accumulates`]),
/// an element `chain[i]` that is itself only added to and then stored back at the same index of
/// the same version (`y[i] += e`), or the value after an inner loop whose slot starts from a
/// chain value and only adds to it in the same way. The reverse of an iteration then leaves
/// `bar_slot` as it found it, whatever order the iterations' reverses run in.
pub fn accumulates_in_place(body: &Block, slot: VarId) -> bool {
    let mut chain: Set = [slot].into();
    let mut elems = BTreeMap::new();
    let mut keys = Keys::new();
    body.walk(&mut |s| {
        if let Stmt::Let {
            var,
            rhs: Rhs::Opaque { expr, .. },
            ..
        } = s
        {
            if is_pure_tokens(expr) {
                keys.insert(*var, format!("e{expr}"));
            }
        }
    });
    in_place_block(body, slot, &mut chain, &mut elems, &Set::new(), &keys)
}

/// What an element read from a chain value is tagged with: the version it was read from and
/// the index.
type ElemTag = (VarId, String);

/// Index variables computed by a pure expression, keyed by its tokens: `y[i % 3] += e` reads
/// and writes through two temporaries with the same expression (and so the same value, the
/// names in it being versions that do not change).
type Keys = BTreeMap<VarId, String>;

fn index_key(p: &Proj, keys: &Keys) -> Option<String> {
    match p {
        Proj::Index(Atom::Var(v)) => Some(keys.get(v).cloned().unwrap_or(format!("v{v}"))),
        Proj::Index(Atom::Const(tokens, _)) => Some(format!("c{tokens}")),
        Proj::Field(i) => Some(format!("f{i}")),
    }
}

/// See [`accumulates_in_place`]. `outer`: chain values of enclosing loops, which this block
/// may not read at all.
fn in_place_block(
    block: &Block,
    slot: VarId,
    chain: &mut Set,
    elems: &mut BTreeMap<VarId, ElemTag>,
    outer: &Set,
    keys: &Keys,
) -> bool {
    let tracked = |chain: &Set, elems: &BTreeMap<VarId, ElemTag>, v: &VarId| {
        chain.contains(v) || elems.contains_key(v) || outer.contains(v)
    };
    for stmt in &block.stmts {
        let ok = match stmt {
            Stmt::Let { var, rhs, .. } => {
                let reads = rhs.primal_reads();
                if !reads.iter().any(|v| tracked(chain, elems, v)) {
                    continue;
                }
                let is = |a: &Atom| Body::atom_var(a);
                let chain_of = |a: &Atom| is(a).filter(|v| chain.contains(v));
                let elem_of = |a: &Atom| is(a).and_then(|v| elems.get(&v).cloned());
                let plain = |a: &Atom| is(a).is_none_or(|v| !tracked(chain, elems, &v));
                match rhs {
                    Rhs::Use(a) if chain_of(a).is_some() => chain.insert(*var),
                    Rhs::Use(a) => match elem_of(a) {
                        Some(tag) => elems.insert(*var, tag).is_none(),
                        None => false,
                    },
                    Rhs::Arith(ArithOp::Add, a, b) | Rhs::Arith(ArithOp::Sub, a, b) => {
                        let sub = matches!(rhs, Rhs::Arith(ArithOp::Sub, ..));
                        let (x, y) = if !sub && plain(a) { (b, a) } else { (a, b) };
                        if !plain(y) {
                            false
                        } else if chain_of(x).is_some() {
                            chain.insert(*var)
                        } else if let Some(tag) = elem_of(x) {
                            elems.insert(*var, tag).is_none()
                        } else {
                            false
                        }
                    }
                    Rhs::Project(a, p) => match (chain_of(a), index_key(p, keys)) {
                        (Some(c), Some(key)) if p.index().is_none_or(plain) => {
                            elems.insert(*var, (c, key)).is_none()
                        }
                        _ => false,
                    },
                    Rhs::Update { base, proj, value } => {
                        match (chain_of(base), index_key(proj, keys), elem_of(value)) {
                            (Some(c), Some(key), Some(tag))
                                if tag.0 == c && tag.1 == key && proj.index().is_none_or(plain) =>
                            {
                                chain.insert(*var)
                            }
                            _ => false,
                        }
                    }
                    _ => false,
                }
            }
            Stmt::Loop(inner) => {
                let reads_iter = match &inner.kind {
                    LoopKind::For { reads, .. } => reads.iter().any(|r| tracked(chain, elems, r)),
                    LoopKind::Loop => false,
                };
                let mut closed: Set = outer.clone();
                closed.extend(chain.iter().copied());
                closed.extend(elems.keys().copied());
                let mut ok = !reads_iter;
                let mut exits = Vec::new();
                for s in &inner.slots {
                    match Body::atom_var(&s.init) {
                        Some(v) if chain.contains(&v) => {
                            ok &= in_place_block(
                                &inner.body,
                                s.var,
                                &mut [s.var].into(),
                                &mut BTreeMap::new(),
                                &closed,
                                keys,
                            );
                            exits.push(s.var);
                        }
                        Some(v) if tracked(chain, elems, &v) => ok = false,
                        _ => {}
                    }
                }
                // The body reads no chain value other than through the accumulated slots.
                let slots: Set = inner.slots.iter().map(|s| s.var).collect();
                let mut reads_outer = false;
                inner.body.walk(&mut |s| {
                    if let Stmt::Let { rhs, .. } = s {
                        reads_outer |= rhs
                            .primal_reads()
                            .iter()
                            .any(|v| !slots.contains(v) && closed.contains(v));
                    }
                });
                chain.extend(exits);
                ok && !reads_outer
            }
            Stmt::If { .. } => {
                let mut reads = false;
                stmt.walk(&mut |s| {
                    let r = match s {
                        Stmt::Let { rhs, .. } => rhs.primal_reads(),
                        Stmt::If { cond, .. } => Body::atom_var(cond).into_iter().collect(),
                        Stmt::WriteBack { value, .. } => {
                            Body::atom_var(value).into_iter().collect()
                        }
                        _ => Vec::new(),
                    };
                    reads |= r.iter().any(|v| tracked(chain, elems, v));
                });
                !reads
            }
            Stmt::WriteBack { slot: s, value } => {
                let v = Body::atom_var(value);
                let from_chain = v.is_some_and(|v| chain.contains(&v));
                let from_elem = v.is_some_and(|v| elems.contains_key(&v) || outer.contains(&v));
                !from_elem && ((*s == slot) == from_chain)
            }
            Stmt::Effect { .. } => true,
        };
        if !ok {
            return false;
        }
    }
    true
}
