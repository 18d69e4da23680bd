//! The reverse sweep: adjoints of the active variables, statement by statement in reverse
//! order, accumulated with `+=`.
//!
//! Each active `let y = rhs` whose adjoint `bar_y` received a contribution sends
//! `bar_y * (partial derivative)` to the adjoints of its active operands. Partial derivatives
//! come from the rules in `vjp::rules`; the sweep only decides where they go. An adjoint is
//! declared where it receives its first contribution (`let bar_x = ...;`) and accumulated
//! after that (`bar_x += ...;`), so the generated code reads like a hand-written adjoint:
//!
//! ```text
//! // forward            // reverse
//! let t0 = x * x;       let bar_y = v;
//! let y = t0.sin();     let bar_t0 = bar_y * ::vjp::rules::sin(t0, y);
//!                       let mut bar_x = bar_t0 * x;
//!                       bar_x += bar_t0 * x;
//! ```

use crate::activity::Activity;
use crate::emit::braced;
use crate::forward::{
    atom, forward_late, fused_loop, names_tuple, owned_copy, path_tokens, proj, recompute,
    save_tape, vjp_path, Early,
};
use crate::ir::{ArithOp, Atom, Block, Body, Loop, LoopKind, Phi, Proj, Rhs, Stmt, Ty, VarId};
use crate::naming::Namer;
use crate::plan::{Plan, Step};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use std::collections::{BTreeSet, HashSet};
use syn::spanned::Spanned;
use syn::Ident;

/// The generated reverse sweep.
pub struct ReverseSweep {
    /// The statements.
    pub tokens: TokenStream,
    /// The cotangent of each active parameter, in parameter order.
    pub grads: Vec<TokenStream>,
}

/// One step of the reverse sweep before emission.
enum Item {
    /// `bar_target<proj> += value` (or `-=` when `negate`).
    Add {
        target: VarId,
        proj: Vec<Proj>,
        value: TokenStream,
        negate: bool,
    },
    /// Any other statement (partial derivatives, a callee's `_vjp`).
    Stmt(TokenStream),
    /// `bar_target` lent as a shadow (`&mut bar_target`) to the statement that follows: declared
    /// first (zero) if nothing has added to it yet.
    Lend(VarId),
    /// A reset, which sets an adjoint of a fixed shape (a float, an array or tuple of floats)
    /// to zero. When the next item that names it adds to the whole of it, that addition
    /// becomes an assignment and the reset goes: `bar = 0; bar += x` is a loop-carried
    /// `0.0 + x` the optimiser must keep (it turns `-0.0` into `+0.0`), a latency chain through
    /// every iteration of a reverse loop.
    Reset(Reset),
    /// The reverse of an `if`, into whose branches the resets of `absorbed` went (see
    /// [`Reverse::if_stmt`]): those are no longer waiting after it.
    If {
        code: TokenStream,
        absorbed: Vec<VarId>,
    },
}

/// A reset of a slot adjoint of a fixed shape, or a block's zero declaration of one (see
/// [`Item::Reset`]).
#[derive(Clone)]
struct Reset {
    target: VarId,
    bar: Ident,
    /// `bar` as a string, to look up in the names an item holds (see
    /// [`crate::naming::mark_named`]).
    name: String,
    /// `bar = zero`.
    code: TokenStream,
    /// Handed down from the block around an `if` into one of its branches: when nothing in
    /// the branch names it, it is left out and reported (see [`Reverse::emit`]).
    inherited: bool,
    /// The adjoint's declaration at the start of its block (`let mut bar = zero`), which the
    /// first addition to the whole of it makes `let mut bar = value`. Never inherited: a
    /// branch's declaration would not reach past it.
    declares: bool,
}

impl Reset {
    fn new(target: VarId, bar: Ident, code: TokenStream, declares: bool) -> Reset {
        Reset {
            target,
            name: bar.to_string(),
            bar,
            code,
            inherited: false,
            declares,
        }
    }
}

/// The resets waiting, while items are emitted, for the next item that names their adjoint.
#[derive(Default)]
struct Waiting {
    resets: Vec<Reset>,
}

impl Waiting {
    /// Takes `item` in emission order. An addition to the whole of a waiting adjoint is
    /// written as an assignment (`true`: the item is done); every waiting reset whose adjoint
    /// the item names otherwise is written first.
    fn take(&mut self, item: &Item, out: &mut TokenStream) -> bool {
        if self.resets.is_empty() {
            if let Item::Reset(reset) = item {
                self.resets.push(reset.clone());
            }
            return false;
        }
        // Which waiting adjoints the item's tokens name, found in one scan.
        let mut named = vec![false; self.resets.len()];
        match item {
            Item::Stmt(tokens)
            | Item::If { code: tokens, .. }
            | Item::Add { value: tokens, .. } => {
                let names: Vec<&str> = self.resets.iter().map(|r| r.name.as_str()).collect();
                crate::naming::mark_named(tokens.clone(), &names, &mut named);
            }
            Item::Lend(_) | Item::Reset(_) => {}
        }
        // By adjoint name: the list of resets changes below.
        let names: HashSet<String> = self
            .resets
            .iter()
            .zip(&named)
            .filter(|(_, hit)| **hit)
            .map(|(r, _)| r.name.clone())
            .collect();
        if let Item::Add {
            target,
            proj,
            value,
            negate,
        } = item
        {
            let at = self.resets.iter().position(|r| r.target == *target);
            let reads = self.resets.iter().any(|r| names.contains(&r.name));
            if let (Some(at), true, false) = (at, proj.is_empty(), reads) {
                let reset = self.resets.remove(at);
                let bar = &reset.bar;
                let sign = negate.then(|| quote!(-));
                out.extend(if reset.declares {
                    quote!(let mut #bar = #sign #value;)
                } else {
                    quote!(#bar = #sign #value;)
                });
                return true;
            }
        }
        if let Item::If { absorbed, .. } = item {
            self.resets.retain(|r| !absorbed.contains(&r.target));
        }
        self.resets.retain(|r| {
            let named = names.contains(&r.name)
                || match item {
                    Item::Lend(t) | Item::Reset(Reset { target: t, .. }) => *t == r.target,
                    Item::Add { target: t, .. } => *t == r.target,
                    Item::Stmt(_) | Item::If { .. } => false,
                };
            if named {
                out.extend(r.code.clone());
            }
            !named
        });
        if let Item::Reset(reset) = item {
            self.resets.push(reset.clone());
        }
        false
    }
}

struct Reverse<'a> {
    body: &'a Body,
    /// Per loop with an undo log: the body in which the versions of each undone aggregate of
    /// that loop and of the loops around it name the reverse sweep's copy (see [`renamed`]).
    renamed: &'a [(usize, Body)],
    activity: &'a Activity,
    plan: &'a Plan,
    namer: &'a mut Namer,
    root: &'a syn::Path,
    bar: Vec<Option<Ident>>,
    /// Adjoints declared (zero) at the start of their block's reverse.
    predeclared: Vec<bool>,
    /// The items of the block being reversed.
    items: Vec<Item>,
    /// The resets waiting after the first `.1` of `items` (see [`Reverse::waiting_resets`]).
    waiting: (Waiting, usize),
    /// Loop-invariant element reads whose adjoint goes to a local sum (see
    /// [`Reverse::lift_invariant_reads`]): the read's variable and the sum's name.
    lifted: Vec<(VarId, Ident)>,
    /// Rewind counters kept by an enclosing loop for the value after an inner loop (see
    /// [`crate::plan::Step::Inner`]): the inner loop's slot and the counter's name.
    counters: Vec<(VarId, Ident)>,
    /// In-place element additions `y[i] += e` (see [`in_place_adds`]): the update's variable
    /// and the element read's.
    in_place: Vec<(VarId, VarId)>,
    /// Element reads whose adjoint stays where it is: the update that stores their sum left
    /// the element's adjoint in place instead of taking it and adding it back.
    kept: Vec<VarId>,
    /// The calls of the fused loop's body whose `_vjp` its forward sweep runs instead (see
    /// [`crate::fuse::EarlyCall`]).
    early: Vec<Early>,
}

/// Generates the reverse sweep of `body`, seeded with the output cotangent `v`.
pub fn reverse(
    body: &Body,
    activity: &Activity,
    plan: &Plan,
    namer: &mut Namer,
    root: &syn::Path,
    v: &Ident,
) -> ReverseSweep {
    let renamed = renamed(body, plan);
    let mut rev = Reverse {
        body,
        renamed: &renamed,
        activity,
        plan,
        namer,
        root,
        bar: vec![None; body.vars.len()],
        predeclared: vec![false; body.vars.len()],
        items: Vec::new(),
        waiting: (Waiting::default(), 0),
        lifted: Vec::new(),
        counters: Vec::new(),
        in_place: in_place_adds(body, activity, &plan.views),
        kept: Vec::new(),
        early: Vec::new(),
    };
    // An active reference parameter's adjoint is its shadow, given by the caller.
    for p in &body.params {
        if let Some((shadow, _)) = &p.shadow {
            rev.bar[p.var] = Some(shadow.clone());
            rev.predeclared[p.var] = true;
        }
    }
    let mut seed = Vec::new();
    if let Atom::Var(ret) = body.ret {
        if activity.active(ret) {
            rev.bar_name(ret);
            seed.push(Item::Add {
                target: activity.root(ret),
                proj: vec![],
                value: quote!(#v),
                negate: false,
            });
        }
    }
    let tokens = rev.block(&body.block, seed);
    let grads = body
        .params
        .iter()
        .filter(|p| p.active && p.shadow.is_none())
        .map(|p| rev.grad(p.var))
        .collect();
    ReverseSweep { tokens, grads }
}

impl Reverse<'_> {
    /// The reverse of `block`: its predeclared adjoints, the `prologue` (contributions that
    /// enter the block from where it ends: a phi's value, the output seed), then its
    /// statements in reverse order.
    fn block(&mut self, block: &Block, prologue: Vec<Item>) -> TokenStream {
        self.block_claiming(block, prologue).0
    }

    /// [`Reverse::block`], whose prologue may hold inherited resets (see
    /// [`Reverse::if_stmt`]): also returns the targets of those that nothing in the block
    /// named, which are left out of its code.
    fn block_claiming(&mut self, block: &Block, prologue: Vec<Item>) -> (TokenStream, Vec<VarId>) {
        let saved = std::mem::replace(&mut self.items, prologue);
        let saved_waiting = std::mem::take(&mut self.waiting);
        let mut declarations = TokenStream::new();
        let mut waiting = Vec::new();
        for &v in &self.plan.predeclare[block.id] {
            if self.activity.root(v) != v {
                continue;
            }
            if self
                .body
                .params
                .iter()
                .any(|p| p.var == v && p.shadow.is_some())
            {
                continue;
            }
            let bar = self.bar_name(v);
            self.predeclared[v] = true;
            let name = &self.body.vars[self.plan.witness[v]].name;
            let root = self.root;
            let code = quote!(let mut #bar = #root::zero_like(&#name););
            // Of a fixed shape, the declaration waits for the first contribution (see
            // `Reset::declares`); the zero of a `Vec` keeps its witness's length.
            if self.body.vars[v].ty.fixed_shape() {
                waiting.push(Item::Reset(Reset::new(v, bar, code, true)));
            } else {
                declarations.extend(code);
            }
        }
        // Before the prologue's contributions.
        self.items.splice(0..0, waiting);
        let writes: Vec<(VarId, &Atom)> = block
            .stmts
            .iter()
            .filter_map(|s| match s {
                // A write-back of the slot's own updated storage is the identity.
                Stmt::WriteBack { slot, value }
                    if self.activity.active(*slot)
                        && Body::atom_var(value).map(|v| self.activity.root(v))
                            != Some(self.activity.root(*slot)) =>
                {
                    Some((*slot, value))
                }
                _ => None,
            })
            .collect();
        self.write_backs(&writes);
        let fused_at = self
            .plan
            .fused
            .as_ref()
            .filter(|_| block.id == self.body.block.id)
            .map(|f| f.index);
        for (i, stmt) in block.stmts.iter().enumerate().rev() {
            self.put_back_branches(block, i, stmt);
            self.stmt(stmt);
            self.put_back(block, i, stmt);
            if fused_at == Some(i) {
                // The code after a fused loop that did not run before it.
                let late = forward_late(self.body, self.plan);
                self.items.push(Item::Stmt(late));
            }
        }
        let items = std::mem::replace(&mut self.items, saved);
        self.waiting = saved_waiting;
        let (code, unclaimed) = self.emit(items);
        let mut out = declarations;
        out.extend(code);
        (out, unclaimed)
    }

    /// After the reverse of an undone update that the recompute slice wrote again
    /// ([`crate::undo`]): the element it overwrote, put back, so that the statements before it
    /// see the version they read.
    fn put_back(&mut self, block: &Block, i: usize, stmt: &Stmt) {
        let Stmt::Let { var, .. } = stmt else {
            return;
        };
        let replayed = self.plan.slice[block.id].get(i).copied().unwrap_or(false);
        if let (true, Some((undo, j))) = (replayed, self.plan.undo_update(*var)) {
            let code = undo.put_back(self.body, j, false);
            self.items.push(Item::Stmt(code));
        }
    }

    /// Before the reverse of an `if` of an undo log's chain (one branch writes the aggregate)
    /// that the recompute slice ran again: the elements its branch overwrote, put back when it
    /// ran, last write first, so that the branch's reverse (which may write them again for its
    /// recompute slice) and the statements before the `if` see the version before it. When
    /// the slice did not run the `if` again, the copy already holds a version before it, and
    /// putting the elements back would step it forwards (to the version the `if` started
    /// from), where the reverse of the iterations before would read it.
    fn put_back_branches(&mut self, block: &Block, i: usize, stmt: &Stmt) {
        let Stmt::If { then, els, .. } = stmt else {
            return;
        };
        if !self.plan.slice[block.id].get(i).copied().unwrap_or(false) {
            return;
        }
        let mut code = TokenStream::new();
        for log in self.plan.undo.iter().flatten() {
            for j in log.in_branches(then, els).into_iter().rev() {
                code.extend(log.put_back(self.body, j, true));
            }
        }
        if !code.is_empty() {
            self.items.push(Item::Stmt(code));
        }
    }

    /// The reverse of the write-backs at a leaf, which happen at once: each slot's adjoint is
    /// taken, reset to zero (it now accumulates the adjoint of the slot's value at iteration
    /// start), and sent to the value written.
    fn write_backs(&mut self, writes: &[(VarId, &Atom)]) {
        let root = self.root;
        let mut took = Vec::new();
        for (slot, value) in writes {
            let bar = self.bar_name(*slot);
            let name = self.namer.fresh(
                &format!("took_{}", self.body.vars[*slot].name),
                Span::call_site(),
            );
            self.items.push(Item::Stmt(quote!(let #name = #bar;)));
            took.push((name, *value));
        }
        for ((slot, _), (name, _)) in writes.iter().zip(&took) {
            let bar = self.bar_name(*slot);
            let reset = quote!(#bar = #root::zero_like(&#name););
            let target = self.activity.root(*slot);
            self.items.push(if self.body.vars[target].ty.fixed_shape() {
                Item::Reset(Reset::new(target, bar, reset, false))
            } else {
                Item::Stmt(reset)
            });
        }
        for (name, value) in took {
            self.add_atom(value, quote!(#name), false);
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Let { var, rhs, .. } => {
                if self.activity.active(*var) && self.bar[self.activity.root(*var)].is_some() {
                    self.rule(*var, rhs);
                }
            }
            Stmt::If {
                cond,
                then,
                els,
                phis,
            } => {
                let phis_active = phis.iter().any(|p| self.activity.active(p.var));
                if self.plan.work[then.id] || self.plan.work[els.id] || phis_active {
                    self.if_stmt(cond, then, els, phis);
                }
            }
            Stmt::Loop(l) => {
                if self.plan.loop_work[l.id] {
                    self.loop_stmt(l);
                }
            }
            Stmt::Effect { .. } | Stmt::WriteBack { .. } => {}
        }
    }

    /// `if cond { recompute; reverse then } else { recompute; reverse else }`.
    ///
    /// The resets still waiting before the `if` (see [`Item::Reset`]) go into both branches,
    /// where the first addition to the whole adjoint can take their place, as it would in
    /// straight-line code. A reset that neither branch names stays outside; one that only one
    /// branch names ends the other.
    fn if_stmt(&mut self, cond: &Atom, then: &Block, els: &Block, phis: &[Phi]) {
        let inherited = self.waiting_resets(&[then, els]);
        let (mut then_code, then_left) = self.branch(
            then,
            phis.iter().map(|p| (p.var, p.then_val.as_ref())).collect(),
            &inherited,
        );
        let (mut else_code, else_left) = self.branch(
            els,
            phis.iter().map(|p| (p.var, p.else_val.as_ref())).collect(),
            &inherited,
        );
        let mut absorbed = Vec::new();
        for reset in &inherited {
            let (in_then, in_else) = (
                !then_left.contains(&reset.target),
                !else_left.contains(&reset.target),
            );
            if !in_then && !in_else {
                continue;
            }
            if !in_then {
                then_code.extend(reset.code.clone());
            }
            if !in_else {
                else_code.extend(reset.code.clone());
            }
            absorbed.push(reset.target);
        }
        let cond = atom(self.body, cond);
        // The branches' code moved into the `if` (see `emit::braced`).
        let mut code = match (then_code.is_empty(), else_code.is_empty()) {
            (true, false) => quote!(if !#cond),
            _ => quote!(if #cond),
        };
        match (then_code.is_empty(), else_code.is_empty()) {
            (_, true) => code.extend([braced([then_code])]),
            (true, false) => code.extend([braced([else_code])]),
            (false, false) => {
                code.extend([braced([then_code])]);
                code.extend(quote!(else));
                code.extend([braced([else_code])]);
            }
        }
        self.items.push(Item::If { code, absorbed });
    }

    /// The resets waiting at the end of the items so far, as inherited resets, but for those
    /// of an adjoint that one of `blocks` declares afresh at its start.
    fn waiting_resets(&mut self, blocks: &[&Block]) -> Vec<Reset> {
        // From where the last call left off: a block only ever pushes items.
        let mut sink = TokenStream::new();
        for item in self.items.get(self.waiting.1..).unwrap_or_default() {
            self.waiting.0.take(item, &mut sink);
        }
        self.waiting.1 = self.items.len();
        self.waiting
            .0
            .resets
            .iter()
            .filter(|r| {
                !r.declares
                    && !blocks.iter().any(|b| {
                        self.plan.predeclare[b.id]
                            .iter()
                            .any(|v| self.activity.root(*v) == r.target)
                    })
            })
            .map(|r| Reset {
                inherited: true,
                ..r.clone()
            })
            .collect()
    }

    /// The reverse of a branch, with the inherited resets first; also the targets of those
    /// that nothing in it named (see [`Reverse::block_claiming`]).
    fn branch(
        &mut self,
        block: &Block,
        phis: Vec<(VarId, Option<&Atom>)>,
        inherited: &[Reset],
    ) -> (TokenStream, Vec<VarId>) {
        let mut prologue: Vec<Item> = inherited.iter().cloned().map(Item::Reset).collect();
        for (phi, value) in phis {
            let (Some(bar), Some(Atom::Var(v))) =
                (self.bar[self.activity.root(phi)].clone(), value)
            else {
                continue;
            };
            // A version that shares the `if`'s storage (see `Activity::root`) hands nothing on.
            let shared = self.activity.root(*v) == self.activity.root(phi);
            if self.activity.active(phi) && self.activity.active(*v) && !shared {
                self.bar_name(*v);
                prologue.push(Item::Add {
                    target: self.activity.root(*v),
                    proj: vec![],
                    value: quote!(#bar),
                    negate: false,
                });
            }
        }
        let pops = self.pop_saved(block, false);
        let undo = self.undo_start(block);
        let again = recompute(self.body, self.plan, block);
        let (code, left) = self.block_claiming(block, prologue);
        (quote!(#pops #undo #again #code), left)
    }

    /// The start of the reverse of a block that holds the chain of an undo log (a loop's body,
    /// or the rest of a `while` loop's body after its test: see [`crate::undo`]): the indices
    /// and old elements of the iteration popped, and the elements put back, last write first.
    fn undo_start(&self, block: &Block) -> TokenStream {
        let mut out = TokenStream::new();
        for log in self
            .plan
            .undo
            .iter()
            .flatten()
            .filter(|u| u.block == block.id)
        {
            let (tape, pattern) = (&log.tape, log.entry(self.body));
            out.extend(log.computed.iter().map(|(_, code)| code.clone()));
            let pop = self.plan.lanes.pop(tape);
            out.extend(quote!(let #pattern = #pop;));
            if let Some((_, name)) = &log.forwarded {
                let last = log.updates.len() - 1;
                let store = &log.store;
                let value = log.old_value(self.body, quote!(#store), last);
                out.extend(quote!(let #name = #value;));
            }
            for j in (0..log.updates.len()).rev() {
                out.extend(log.put_back(self.body, j, true));
            }
        }
        out
    }

    /// `let v = save_v.pop();` for each value saved by the forward sweep (see
    /// [`crate::plan::Plan::saved`]) that `block` computes at its top level: the start of the
    /// reverse of a loop's iteration, or of a branch that ran.
    fn pop_saved(&self, block: &Block, merged: bool) -> TokenStream {
        let mut pops = TokenStream::new();
        // The floats, as one tuple (see `Plan::save_head`), unless the loop's own tape holds
        // them (`merged`: see `Plan::merged`).
        let floats = self.plan.saved_floats(block);
        if let (Some(head), false) = (floats.first(), merged) {
            let save = save_tape(self.body, *head);
            let names = names_tuple(self.body, floats);
            let pop = self.plan.lanes.pop(&save);
            pops.extend(quote!(let #names = #pop;));
        }
        for stmt in &block.stmts {
            for v in stmt.defs() {
                if self.plan.is_saved(v) && !floats.contains(&v) {
                    let (save, name) = (save_tape(self.body, v), &self.body.vars[v].name);
                    let pop = self.plan.lanes.pop(&save);
                    pops.extend(quote!(let #name = #pop;));
                }
            }
        }
        pops
    }

    /// The iterations backwards: pop what the iteration started with, recompute, reverse; or,
    /// for the fused loop, each iteration's forward and reverse in one pass.
    fn loop_stmt(&mut self, l: &Loop) {
        let (sums, flush) = self.lift_invariant_reads(l);
        if self.plan.fused.as_ref().is_some_and(|f| f.loop_id == l.id) {
            let code = self.block(&l.body, Vec::new());
            let early = std::mem::take(&mut self.early);
            let fused = fused_loop(self.body, self.plan, l, code, self.root, &early);
            self.items.push(Item::Stmt(quote!(#sums #fused #flush)));
            self.slot_inits(l);
            return;
        }
        if let (true, LoopKind::For { pattern, iter, .. }) = (self.plan.forward[l.id], &l.kind) {
            // The iterations in their forward order (see `Planner::forward_order`).
            let again = recompute(self.body, self.plan, &l.body);
            let code = self.block(&l.body, Vec::new());
            let windows = self.plan.views.windows.declare(l);
            // Integer slots stepped again from their initial values (see `Plan::replay`).
            let (mut start, mut step) = (TokenStream::new(), TokenStream::new());
            for r in &self.plan.replay[l.id] {
                let name = &self.body.vars[r.slot].name;
                let Some(slot) = l.slots.iter().find(|s| s.var == r.slot) else {
                    continue;
                };
                let (init, root) = (atom(self.body, &slot.init), self.root);
                start.extend(quote!(let mut #name = #root::__private::rewind_start(#init);));
                step.extend(match &r.step {
                    Step::By { lit, up: true } => quote!(#name += #lit;),
                    Step::By { lit, up: false } => quote!(#name -= #lit;),
                    // The inner loop's reverse stepped its own slot from this one.
                    Step::Inner(exit) => {
                        let exit = &self.body.vars[*exit].name;
                        quote!(#name = #exit;)
                    }
                    // Only for loops reversed backwards (`Planner::spanned`).
                    Step::Span { .. } => quote!(::core::compile_error!(
                        "vjp: a loop variable stepped back over an inner loop in a forward reverse"
                    );),
                });
            }
            let mut stmt = quote!(#sums #start #windows for #pattern in #iter);
            stmt.extend([braced([again, code, step])]);
            stmt.extend(flush);
            self.items.push(Item::Stmt(stmt));
            self.slot_inits(l);
            return;
        }
        let (tape, trips) = (&l.tape, &l.trips);
        let taped = &self.plan.taped[l.id];
        // The slot values, and the floats the body saved when they share the loop's tape
        // (see `Plan::merged`).
        let merged = self.plan.merged_floats(l);
        let mut restore = if taped.is_empty() {
            TokenStream::new()
        } else {
            let all: Vec<VarId> = taped.iter().chain(merged).copied().collect();
            let pattern = names_tuple(self.body, &all);
            let pop = self.plan.lanes.pop(tape);
            quote!(let #pattern = #pop;)
        };
        // Running maxima and minima: their values at iteration start, rebuilt.
        for e in &self.plan.extrema[l.id] {
            let (record, old) = (&e.record, &self.body.vars[e.old].name);
            restore.extend(quote!(let #old = #record.old();));
        }
        // Integer slots stepped back from their values after the loop, each on a counter of
        // its own unless an enclosing loop keeps one for it.
        let (mut rewind_start, mut rewind_step) = (TokenStream::new(), TokenStream::new());
        for r in &self.plan.rewind[l.id] {
            let name = &self.body.vars[r.slot].name;
            let back = match self.counters.iter().find(|(v, _)| *v == r.slot) {
                Some((_, back)) => back.clone(),
                None => {
                    let back = self
                        .namer
                        .fresh(&format!("rewind_{name}"), Span::call_site());
                    let root = self.root;
                    rewind_start
                        .extend(quote!(let mut #back = #root::__private::rewind_start(#name);));
                    back
                }
            };
            rewind_step.extend(match &r.step {
                Step::By { lit, up: true } => quote!(#back -= #lit; let #name = #back;),
                Step::By { lit, up: false } => quote!(#back += #lit; let #name = #back;),
                // Back over all the iterations of the inner loop that stepped it, whose
                // reverse steps it forwards again.
                Step::Span { iter, lit, up } => {
                    let root = self.root;
                    quote! {
                        #back = #root::__private::rewind_span(#back, #lit, &(#iter), #up);
                        let #name = #back;
                    }
                }
                // The inner loop's reverse steps the counter back.
                Step::Inner(exit) => {
                    self.counters.push((*exit, back.clone()));
                    let exit = &self.body.vars[*exit].name;
                    quote!(let #exit = #back;)
                }
            });
        }
        // Undone aggregates: the reverse takes over their values after the loop, and each
        // iteration starts by putting back what it overwrote (see `crate::undo`).
        let outer = self.body;
        let mut take = TokenStream::new();
        for log in &self.plan.undo[l.id] {
            // Moved, unless it is read later: the function's output is read at the end, and
            // the statements that run after a fused loop run after the reverse of this loop
            // when it is moved ahead of the fused loop (see `Plan::read_late`).
            let (slot, store) = (&outer.vars[log.slot].name, &log.store);
            let output = matches!(outer.ret, Atom::Var(r) if r == log.slot);
            let value = if output || self.plan.read_late.contains(&log.slot) {
                owned_copy(outer, &Atom::Var(log.slot), quote!(#slot))
            } else {
                quote!(#slot)
            };
            take.extend(quote!(let mut #store = #value;));
        }
        // In the renamed copy, the loop's own statements too (their tokens are renamed).
        let renamed = self.renamed;
        let mut l = l;
        if let Some((_, body)) = renamed.iter().find(|(id, _)| *id == l.id) {
            self.body = body;
            body.block.walk(&mut |s| match s {
                Stmt::Loop(copy) if copy.id == l.id => l = copy,
                _ => {}
            });
        }
        let undo = self.undo_start(&l.body);
        // Values saved by the forward sweep, popped instead of computed again.
        let saved = self.pop_saved(&l.body, !merged.is_empty());
        let again = recompute(self.body, self.plan, &l.body);
        let code = self.block(&l.body, Vec::new());
        self.body = outer;
        let header = match &l.kind {
            LoopKind::For { pattern, iter, .. } if self.plan.reversible[l.id] => {
                let windows = self.plan.views.windows.declare(l);
                quote!(#windows for #pattern in ::core::iter::Iterator::rev(#iter))
            }
            _ => quote!(for _ in 0..#trips),
        };
        let mut stmt = quote!(#sums #rewind_start #take #header);
        stmt.extend([braced([rewind_step, restore, saved, undo, again, code])]);
        stmt.extend(flush);
        self.items.push(Item::Stmt(stmt));
        self.slot_inits(l);
    }

    /// Element reads in `l`'s body (outside nested loops) from an aggregate and at an index
    /// that are both defined outside the loop, `t = a[i]`: their contributions go to a local
    /// sum, declared before the loop (`sums`) and added to `bar_a[i]` after it (`flush`, only
    /// when non-zero, so that an index the loop never evaluated is not evaluated either).
    /// Otherwise each iteration would load and store `bar_a[i]`, a chain through memory that
    /// the optimiser does not always keep in a register. Not done when the loop updates
    /// the aggregate (whose reverse reads and resets its adjoint's elements).
    fn lift_invariant_reads(&mut self, l: &Loop) -> (TokenStream, TokenStream) {
        let mut inside: BTreeSet<VarId> = l.slots.iter().map(|s| s.var).collect();
        let mut updated = BTreeSet::new();
        let counters = |kind: &LoopKind, inside: &mut BTreeSet<VarId>| {
            if let LoopKind::For { counters, .. } = kind {
                inside.extend(counters.iter().copied());
            }
        };
        counters(&l.kind, &mut inside);
        l.body.walk(&mut |s| {
            inside.extend(s.defs());
            match s {
                Stmt::Loop(inner) => {
                    counters(&inner.kind, &mut inside);
                    inside.extend(inner.slots.iter().map(|s| s.var));
                }
                Stmt::Let {
                    rhs:
                        Rhs::Update {
                            base: Atom::Var(b), ..
                        },
                    ..
                } => {
                    updated.insert(self.activity.root(*b));
                }
                _ => {}
            }
        });
        let mut reads = Vec::new();
        element_reads(&l.body, &mut reads);
        let (mut sums, mut flush) = (TokenStream::new(), TokenStream::new());
        let mut keys: Vec<(VarId, String, Ident)> = Vec::new();
        let root_path = self.root;
        for (var, a, index) in reads {
            let root = self.activity.root(a);
            let invariant_index = Body::atom_var(index).is_none_or(|i| !inside.contains(&i));
            if !self.activity.active(var)
                || !self.activity.active(a)
                || inside.contains(&a)
                || inside.contains(&root)
                || updated.contains(&root)
                || !self.predeclared[root]
                || !invariant_index
                || self.body.vars[a].ty.component(None) != Ty::Float
            {
                continue;
            }
            let index = atom(self.body, index);
            let key = index.to_string();
            let sum = match keys.iter().find(|(r, k, _)| *r == root && *k == key) {
                Some((_, _, sum)) => sum.clone(),
                None => {
                    let bar = self.bar_name(root);
                    let sum = self.namer.fresh(&format!("sum_{bar}"), Span::call_site());
                    sums.extend(quote! {
                        let mut #sum = #root_path::__private::element_zero(&#bar);
                    });
                    flush.extend(quote! {
                        if #root_path::__private::nonzero(#sum) {
                            #bar[#index] += #sum;
                        }
                    });
                    keys.push((root, key, sum.clone()));
                    sum
                }
            };
            self.lifted.push((var, sum));
        }
        (sums, flush)
    }

    /// Each active slot's adjoint, once the loop is reversed, goes to its initial value.
    fn slot_inits(&mut self, l: &Loop) {
        for slot in &l.slots {
            // A slot that shares its initial value's adjoint (see `Activity::root`) has
            // nothing to hand on.
            let shared = Body::atom_var(&slot.init)
                .is_some_and(|b| self.activity.root(b) == self.activity.root(slot.var));
            if self.activity.active(slot.var) && !shared {
                let bar = self.bar_name(slot.var);
                self.add_atom(&slot.init, quote!(#bar), false);
            }
        }
    }

    fn bar_name(&mut self, var: VarId) -> Ident {
        let var = self.activity.root(var);
        if let Some(name) = &self.bar[var] {
            return name.clone();
        }
        let name = self.namer.fresh(
            &format!("bar_{}", self.body.vars[var].name),
            Span::call_site(),
        );
        self.bar[var] = Some(name.clone());
        name
    }

    /// Sends `value` to the adjoint of `atom` if it is active.
    fn add_atom(&mut self, atom: &Atom, value: TokenStream, negate: bool) {
        if let Atom::Var(v) = atom {
            if self.activity.active(*v) {
                self.add(*v, vec![], value, negate);
            }
        }
    }

    fn add(&mut self, target: VarId, proj: Vec<Proj>, value: TokenStream, negate: bool) {
        let target = self.activity.root(target);
        self.bar_name(target);
        self.items.push(Item::Add {
            target,
            proj,
            value,
            negate,
        });
    }

    fn atom(&self, a: &Atom) -> TokenStream {
        atom(self.body, a)
    }

    /// The reverse of `var = rhs`, given that `bar_var` holds var's adjoint.
    fn rule(&mut self, var: VarId, rhs: &Rhs) {
        let bar = self.bar_name(var);
        match rhs {
            // A copy sharing its source's adjoint (see `activity::copy_aliases`): nothing.
            Rhs::Use(Atom::Var(a)) if self.activity.root(*a) == self.activity.root(var) => {}
            Rhs::Use(a) => self.add_atom(a, quote!(#bar), false),
            Rhs::FloatCast(a, _) => {
                let (root, primal) = (self.root, self.atom(a));
                self.add_atom(a, quote!(#root::cast_like(&#primal, #bar)), false);
            }
            Rhs::Neg(a) => self.add_atom(a, quote!(#bar), true),
            Rhs::Arith(ArithOp::Add, a, b) => {
                self.add_atom(a, quote!(#bar), false);
                self.add_atom(b, quote!(#bar), false);
            }
            Rhs::Arith(ArithOp::Sub, a, b) => {
                self.add_atom(a, quote!(#bar), false);
                self.add_atom(b, quote!(#bar), true);
            }
            Rhs::Arith(ArithOp::Mul, a, b) => {
                let (ta, tb) = (self.atom(a), self.atom(b));
                self.add_atom(a, quote!(#bar * #tb), false);
                self.add_atom(b, quote!(#bar * #ta), false);
            }
            Rhs::Arith(ArithOp::Div, a, b) if !self.activity.active_atom(b) => {
                let (root, tb) = (self.root, self.atom(b));
                self.add_atom(a, quote!(#bar * #root::rules::div_by(#tb)), false);
            }
            Rhs::Arith(ArithOp::Div, a, b) => {
                self.partials(var, "div", &[a.clone(), b.clone()], None)
            }
            Rhs::Prim {
                prim,
                args,
                int_arg,
                ..
            } => self.partials(var, prim.name, args, int_arg.as_ref()),
            Rhs::Call { path, args, by_ref } => self.call(var, path, args, by_ref),
            Rhs::Tuple(elems) => {
                for (i, e) in elems.iter().enumerate() {
                    let index = syn::Index::from(i);
                    self.add_atom(e, quote!(#bar.#index), false);
                }
            }
            Rhs::Array(elems) => {
                for (i, e) in elems.iter().enumerate() {
                    let i = proc_macro2::Literal::usize_unsuffixed(i);
                    self.add_atom(e, quote!(#bar[#i]), false);
                }
            }
            Rhs::Project(a, p) => {
                if self.kept.contains(&var) || self.plan.views.skipped[var] {
                    return;
                }
                if let Some((root, path)) = &self.plan.views.path[var] {
                    // Straight to the aggregate the rows were read from (see `views`).
                    if self.activity.active(*root) {
                        self.add(*root, path.clone(), quote!(#bar), false);
                    }
                    return;
                }
                if let Some((_, sum)) = self.lifted.iter().find(|(v, _)| *v == var) {
                    let sum = sum.clone();
                    self.items.push(Item::Stmt(quote!(#sum += #bar;)));
                    return;
                }
                if let Atom::Var(v) = a {
                    if self.activity.active(*v) {
                        // Through a window of the adjoint made before the loop (see
                        // `bounds`), or at the element itself.
                        let target = self.bar_name(*v);
                        match self.plan.views.windows.shadow(var, &target) {
                            Some(element) => self.items.push(Item::Stmt(quote!(#element += #bar;))),
                            None => self.add(*v, vec![p.clone()], quote!(#bar), false),
                        }
                    }
                }
            }
            Rhs::Update {
                base,
                proj: p,
                value,
            } => {
                // An element written through temporary rows: the path and the value written
                // (see `views`).
                let (path, value) = self.plan.views.written(var, p, value);
                let (p, value) = (path_tokens(self.body, &path), &value);
                // The adjoint of the component written: cloned out of an aggregate of unknown
                // type when it is not known to be a float (a row of a `Vec<Vec<f64>>` is not
                // `Copy`).
                let unknown = matches!(value, Atom::Var(v) if self.body.vars[*v].ty == Ty::Unknown)
                    && matches!(base, Atom::Var(b) if self.body.vars[*b].ty == Ty::Unknown);
                let component = if unknown {
                    quote!(::core::clone::Clone::clone(&#bar #p))
                } else {
                    quote!(#bar #p)
                };
                self.add_atom(value, component, false);
                if let Some((_, read)) = self.in_place.iter().find(|(u, _)| *u == var) {
                    // `y[i] = y[i] + e`: the element's adjoint would be taken here and added
                    // back unchanged by the read's reverse; it stays instead.
                    self.kept.push(*read);
                    return;
                }
                if self.activity.alias[var].is_some() {
                    // In place: the other components' adjoints already sit in `bar`.
                    let root = self.root;
                    self.items
                        .push(Item::Stmt(quote!(#bar #p = #root::zero_like(&#bar #p);)));
                    return;
                }
                let rest = Ident::new("rest", Span::mixed_site());
                let root = self.root;
                let without = quote!({
                    let mut #rest = #bar;
                    #rest #p = #root::zero_like(&#rest #p);
                    #rest
                });
                self.add_atom(base, without, false);
            }
            Rhs::Opaque { .. } => {}
        }
    }

    /// `bar_a += bar_y * ∂y/∂a` for each active operand `a`, with the partials from the rule
    /// `vjp::rules::NAME(args.., [int_arg,] y)`.
    fn partials(&mut self, var: VarId, name: &str, args: &[Atom], int_arg: Option<&Atom>) {
        let bar = self.bar_name(var);
        let y = self.body.vars[var].name.clone();
        let root = self.root;
        let rule = format_ident!("{}", name);
        let mut operands: Vec<TokenStream> = args.iter().map(|a| self.atom(a)).collect();
        operands.extend(int_arg.map(|a| self.atom(a)));
        let mut result = quote!(#y);
        // A one-operand rule ignores its operand or its result: that one is given the other's
        // value, so that the reverse sweep need not keep it (see `Rhs::reverse_reads`).
        if let ([x], None) = (operands.as_mut_slice(), int_arg) {
            match crate::prims::rule_reads(name) {
                crate::prims::RuleReads::Operand => result = x.clone(),
                crate::prims::RuleReads::Result => *x = result.clone(),
            }
        } else if let (true, Some(first)) = (crate::prims::ignores_result(name), operands.first()) {
            // (The first operand has the result's type.)
            result = first.clone();
        }
        let call = quote!(#root::rules::#rule(#(#operands,)* #result));
        let active: Vec<bool> = args.iter().map(|a| self.activity.active_atom(a)).collect();
        if args.len() == 1 {
            return self.add_atom(&args[0], quote!(#bar * #call), false);
        }
        if active.iter().filter(|a| **a).count() == 1 {
            let i = active.iter().position(|a| *a).unwrap_or(0);
            let index = syn::Index::from(i);
            return self.add_atom(&args[i], quote!(#bar * #call.#index), false);
        }
        let mut patterns = Vec::new();
        let mut adds = Vec::new();
        for (a, is_active) in args.iter().zip(&active) {
            if *is_active {
                let operand = self.atom(a);
                let d = self
                    .namer
                    .fresh(&format!("d{y}_d{operand}"), Span::call_site());
                patterns.push(quote!(#d));
                adds.push((a.clone(), quote!(#bar * #d)));
            } else {
                patterns.push(quote!(_));
            }
        }
        self.items
            .push(Item::Stmt(quote!(let (#(#patterns),*) = #call;)));
        for (a, value) in adds {
            self.add_atom(&a, value, false);
        }
    }

    /// The reverse of `y = g(args)`: `let (_, (g_bar_a, ..)) = g_vjp(args.., bar_y);`, one slot
    /// per float argument (the convention of the contract), `_` for the inactive ones.
    /// An active local row lent to the callee (`&h`) gets the local's own adjoint as its shadow
    /// (`&mut bar_h`), into which the callee adds, as every `_vjp` does.
    fn call(&mut self, var: VarId, path: &syn::Path, args: &[Atom], by_ref: &[bool]) {
        let bar = self.bar_name(var);
        let Some((vjp_path, callee)) = vjp_path(path) else {
            return;
        };
        let mut slots = Vec::new();
        let mut adds = Vec::new();
        let mut operands = Vec::new();
        let (mut lends, mut shadows) = (Vec::new(), Vec::new());
        let mut lends_shadow = false;
        for (a, &lent) in args.iter().zip(by_ref) {
            if lent && !self.activity.active_atom(a) {
                // A constant row, like an inactive reference parameter, goes without a shadow.
                let primal = self.atom(a);
                operands.push(quote!(&#primal));
                continue;
            }
            if lent {
                // The callee adds into its shadow: it gets the local's own adjoint, declared
                // (zero) first if nothing has added to it yet. A local lent twice to one call
                // (`g(&h, &h)`) lends a zero shadow of its own the second time, which is then
                // added to the adjoint.
                let primal = self.atom(a);
                let Atom::Var(v) = a else { continue };
                let target = self.activity.root(*v);
                operands.push(quote!(&#primal));
                if lends.contains(&target) {
                    let name = self
                        .namer
                        .fresh(&format!("{callee}_bar_{primal}"), Span::call_site());
                    let root = self.root;
                    shadows.push(quote!(let mut #name = #root::zero_like(&#primal);));
                    operands.push(quote!(&mut #name));
                    adds.push((a.clone(), quote!(#name)));
                } else {
                    let bar = self.bar_name(target);
                    lends.push(target);
                    operands.push(quote!(&mut #bar));
                }
                continue;
            }
            operands.push(self.atom(a));
            let ty = match a {
                Atom::Var(v) => self.body.vars[*v].ty.clone(),
                Atom::Const(_, ty) => ty.clone(),
            };
            if let (Ty::Slice(_), Atom::Var(v)) = (&ty, a) {
                // A reference argument is followed by its shadow, and has no slot.
                if let Some(shadow) = self.bar[*v].clone() {
                    operands.push(quote!(#shadow));
                    lends_shadow = true;
                }
                continue;
            }
            if !ty.carries_floats() {
                continue;
            }
            if self.activity.active_atom(a) {
                let name = self
                    .namer
                    .fresh(&format!("{callee}_bar_{}", self.atom(a)), Span::call_site());
                slots.push(quote!(#name));
                adds.push((a.clone(), quote!(#name)));
            } else {
                slots.push(quote!(_));
            }
        }
        // A call of the fused loop whose cotangent is known where it runs, and that lends
        // no shadow: its `_vjp` runs there instead of the call (see `crate::fuse::EarlyCall`).
        let fusion = self.plan.fused.as_ref();
        let early = fusion.and_then(|f| f.calls.iter().find(|c| c.var == var));
        let returned = match early {
            Some(call) if lends.is_empty() && shadows.is_empty() && !lends_shadow => {
                let grads = self
                    .namer
                    .fresh(&format!("{callee}_grads"), Span::call_site());
                let slot = self.bar_name(call.slot);
                let mut cotangent = if call.negate {
                    quote!(-#slot)
                } else {
                    quote!(#slot)
                };
                if let Some(w) = &call.factor {
                    let w = self.atom(w);
                    cotangent = quote!((#cotangent) * #w);
                }
                self.early.push(Early {
                    var,
                    grads: grads.clone(),
                    cotangent,
                });
                quote!(#grads)
            }
            _ => quote_spanned!(path.span()=> #vjp_path(#(#operands,)* #bar).1),
        };
        self.items.extend(lends.into_iter().map(Item::Lend));
        self.items.push(Item::Stmt(
            {
                let (root, count) = (self.root, proc_macro2::Literal::usize_unsuffixed(slots.len()));
                quote_spanned!(path.span()=> #(#shadows)* let (#(#slots,)*) = #root::__private::cotangents::<#count, _>(#returned);)
            },
        ));
        for (a, value) in adds {
            self.add_atom(&a, value, false);
        }
    }

    /// The cotangent returned for an active parameter.
    fn grad(&mut self, var: VarId) -> TokenStream {
        match &self.bar[var] {
            Some(bar) => quote!(#bar),
            None => {
                let name = &self.body.vars[var].name;
                let root = self.root;
                quote!(#root::zero_like(&#name))
            }
        }
    }

    /// The items as statements: an adjoint is declared by its first contribution and is
    /// `mut` only if a second one follows (a predeclared one is only accumulated into). A reset
    /// waits for the next item that names its adjoint (see [`Item::Reset`]). Also returns the
    /// targets of the inherited resets that nothing named, which are left out.
    fn emit(&self, items: Vec<Item>) -> (TokenStream, Vec<VarId>) {
        let mut count = vec![0usize; self.body.vars.len()];
        for item in &items {
            if let Item::Add { target, .. } | Item::Lend(target) = item {
                count[*target] += 1;
            }
        }
        // An adjoint that an update works on in place is written to after its declaration.
        for b in self.activity.alias.iter().flatten() {
            count[self.activity.root(*b)] += 1;
        }
        let mut declared = self.predeclared.clone();
        let mut out = TokenStream::new();
        let mut waiting = Waiting::default();
        // Each item's tokens are moved into the output, not copied.
        for item in items {
            if waiting.take(&item, &mut out) {
                continue;
            }
            match item {
                Item::Reset(_) => {}
                Item::If { code, .. } => out.extend(code),
                Item::Stmt(tokens) => out.extend(tokens),
                Item::Lend(target) => {
                    if !declared[target] {
                        declared[target] = true;
                        let bar = &self.bar[target];
                        let witness = &self.body.vars[self.plan.witness[target]].name;
                        let root = self.root;
                        out.extend(quote!(let mut #bar = #root::zero_like(&#witness);));
                    }
                }
                Item::Add {
                    target,
                    proj: projs,
                    value,
                    negate,
                } => {
                    let first = !declared[target];
                    declared[target] = true;
                    out.extend(self.emit_add(
                        target,
                        &projs,
                        &value,
                        negate,
                        first,
                        count[target] > 1,
                    ));
                }
            }
        }
        let mut unclaimed = Vec::new();
        for reset in waiting.resets {
            if reset.inherited {
                unclaimed.push(reset.target);
            } else {
                out.extend(reset.code.clone());
            }
        }
        (out, unclaimed)
    }

    fn emit_add(
        &self,
        target: VarId,
        projs: &[Proj],
        value: &TokenStream,
        negate: bool,
        first: bool,
        more: bool,
    ) -> TokenStream {
        let bar = self.bar[target]
            .clone()
            .unwrap_or_else(|| format_ident!("bar"));
        let var = &self.body.vars[target];
        let root = self.root;
        if first && projs.is_empty() {
            let mutability = more.then(|| quote!(mut));
            let sign = negate.then(|| quote!(-));
            return quote!(let #mutability #bar = #sign #value;);
        }
        let declare = if first {
            let primal = &self.body.vars[self.plan.witness[target]].name;
            quote!(let mut #bar = #root::zero_like(&#primal);)
        } else {
            TokenStream::new()
        };
        let ps = projs.iter().map(|p| proj(self.body, p));
        let place = quote!(#bar #(#ps)*);
        let component = projs.iter().fold(var.ty.clone(), |ty, p| match p {
            Proj::Field(i) => ty.component(Some(*i)),
            Proj::Index(_) => ty.component(None),
        });
        let add = match (component == Ty::Float, negate) {
            (true, false) => quote!(#place += #value;),
            (true, true) => quote!(#place -= #value;),
            (false, false) => quote!(#root::Tangent::accumulate(&mut #place, #value);),
            (false, true) => quote!(#root::Tangent::accumulate(&mut #place, -#value);),
        };
        quote!(#declare #add)
    }
}

/// For each loop with an undo log ([`crate::undo`]): a copy of `body` in which every version of
/// an undone aggregate, of that loop and of the loops around it, has the name of the reverse
/// sweep's copy of it (the slot's value at iteration start included). The
/// reverse of the loop is emitted from it: there the versions are one variable, the copy that
/// the reverse walks back in time. Elsewhere (a loop run again inside a branch) they keep their
/// own names.
fn renamed(body: &Body, plan: &Plan) -> Vec<(usize, Body)> {
    fn walk(
        block: &Block,
        body: &Body,
        plan: &Plan,
        names: &mut Vec<(VarId, Ident)>,
        out: &mut Vec<(usize, Body)>,
    ) {
        for stmt in &block.stmts {
            match stmt {
                Stmt::If { then, els, .. } => {
                    walk(then, body, plan, names, out);
                    walk(els, body, plan, names, out);
                }
                Stmt::Loop(l) => {
                    let before = names.len();
                    for undo in &plan.undo[l.id] {
                        let versions = std::iter::once(&undo.slot)
                            .chain(&undo.updates)
                            .chain(&undo.phis);
                        names.extend(versions.map(|v| (*v, undo.store.clone())));
                    }
                    if names.len() > before {
                        let mut copy = body.clone();
                        let mut by_name = std::collections::HashMap::new();
                        for (v, name) in names.iter() {
                            // In tokens, only a numbered version's name, which nothing else in
                            // the function is spelled as (`undo::chain` checks that no other
                            // version is named there).
                            let old = body.vars[*v].name.to_string();
                            if body.versions.contains_key(&old) {
                                by_name.insert(old, name.clone());
                            }
                            copy.vars[*v].name = name.clone();
                        }
                        crate::undo::rename_tokens(&mut copy.block, &by_name);
                        out.push((l.id, copy));
                    }
                    walk(&l.body, body, plan, names, out);
                    names.truncate(before);
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(&body.block, body, plan, &mut Vec::new(), &mut out);
    out
}

/// The element reads `(var, aggregate, index)` of `block` and of the branches in it, not of
/// the loops in it.
fn element_reads<'a>(block: &'a Block, out: &mut Vec<(VarId, VarId, &'a Atom)>) {
    for stmt in &block.stmts {
        match stmt {
            Stmt::Let {
                var,
                rhs: Rhs::Project(Atom::Var(a), Proj::Index(index)),
                ..
            } => out.push((*var, *a, index)),
            Stmt::If { then, els, .. } => {
                element_reads(then, out);
                element_reads(els, out);
            }
            _ => {}
        }
    }
}

/// The in-place element additions of `body`: `t = y[i]; v = t + e; u = y[i <- v]` (or `e + t`,
/// `t - e`), all active, with the update done in place (it is the last use of `y`), the same
/// index (the same variable, or two temporaries of the same pure expression), and `t` and `v`
/// used nowhere else. Their reverse is `bar_v = bar_u[i]` with the element's adjoint left in
/// place: taking it (`bar_y[i] = 0`) and adding `bar_t = bar_v` back would leave it unchanged,
/// but through a store and a load that the optimiser does not always remove.
fn in_place_adds(
    body: &Body,
    activity: &Activity,
    views: &crate::views::Views,
) -> Vec<(VarId, VarId)> {
    let uses = body.use_counts();
    let mut defs: Vec<Option<&Rhs>> = vec![None; body.vars.len()];
    body.block.walk(&mut |stmt| {
        if let Stmt::Let { var, rhs, .. } = stmt {
            defs[*var] = Some(rhs);
        }
    });
    let pure_expr = |v: VarId| match defs[v] {
        Some(Rhs::Opaque { expr, .. }) if crate::plan::is_pure_tokens(expr) => {
            Some(expr.to_string())
        }
        _ => None,
    };
    let same_index = |a: Option<&Atom>, b: Option<&Atom>| match (a, b) {
        (Some(Atom::Var(x)), Some(Atom::Var(y))) => {
            x == y || pure_expr(*x).is_some_and(|e| Some(e) == pure_expr(*y))
        }
        (Some(Atom::Const(x, _)), Some(Atom::Const(y, _))) => x.to_string() == y.to_string(),
        _ => false,
    };
    // The same element: the same fields, and indices as above (`m[i][j]` through rows, see
    // `views`).
    let same_place = |a: &[Proj], b: &[Proj]| {
        a.len() == b.len()
            && a.iter().zip(b).all(|(p, q)| match (p, q) {
                (Proj::Field(x), Proj::Field(y)) => x == y,
                (Proj::Index(x), Proj::Index(y)) => same_index(Some(x), Some(y)),
                _ => false,
            })
    };
    // Where `t` reads an element of its aggregate from: through rows (see `views`) or
    // directly.
    let read_place = |t: VarId| match (&views.path[t], defs[t]) {
        (Some((_, path)), _) => Some(path.clone()),
        (None, Some(Rhs::Project(_, p))) => Some(vec![p.clone()]),
        _ => None,
    };
    let reads = |t: VarId, base: VarId| match &views.path[t] {
        Some((root, _)) => *root == base,
        None => is_read(defs[t], base),
    };
    let mut found = Vec::new();
    for (u, rhs) in defs.iter().enumerate() {
        let Some(Rhs::Update {
            base: Atom::Var(base),
            proj: write,
            value,
        }) = rhs
        else {
            continue;
        };
        let (write, value) = views.written(u, write, value);
        let Atom::Var(v) = &value else {
            continue;
        };
        if activity.alias[u].is_none() || !activity.active(u) || uses[*v] != 1 {
            continue;
        }
        let read = match defs[*v] {
            Some(Rhs::Arith(ArithOp::Add, Atom::Var(a), b)) if reads(*a, *base) => Some((*a, b)),
            Some(Rhs::Arith(ArithOp::Add, a, Atom::Var(b))) if reads(*b, *base) => Some((*b, a)),
            Some(Rhs::Arith(ArithOp::Sub, Atom::Var(a), b)) if reads(*a, *base) => Some((*a, b)),
            _ => None,
        };
        let Some((t, other)) = read else { continue };
        let Some(read_path) = read_place(t) else {
            continue;
        };
        // `y[i] + y[i]` reads the element twice.
        if Body::atom_var(other) == Some(t) || uses[t] != 1 || !activity.active(t) {
            continue;
        }
        if same_place(&write, &read_path) {
            found.push((u, t));
        }
    }
    found
}

/// True when `rhs` reads an element of `base` (`base[i]`).
fn is_read(rhs: Option<&Rhs>, base: VarId) -> bool {
    matches!(rhs, Some(Rhs::Project(Atom::Var(b), Proj::Index(_))) if *b == base)
}
