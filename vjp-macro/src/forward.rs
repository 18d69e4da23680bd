//! The forward sweep: the primal computation in A-normal form, one statement per line, with
//! the user's spans so that a type error lands on the user's expression.
//!
//! Three ways to emit a block:
//! - the function's block ([`forward`]): every statement; a loop whose reverse does work is
//!   *augmented*: it pushes, at the start of each iteration, the values its reverse reads
//!   (see [`crate::plan`]) and counts its iterations;
//! - a branch or a loop body inside it: plain primal code, since its reverse re-runs what it
//!   needs;
//! - a recompute slice ([`recompute`]): the statements of a block that its reverse reads,
//!   without effects (a `println!` runs once) and with active loops augmented again.

use crate::emit::braced;
use crate::ir::{ArithOp, Atom, Block, Body, Loop, LoopKind, Proj, Rhs, Stmt, Term, Ty, VarId};
use crate::plan::Plan;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;

/// How to emit the statements of a block.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Everything, once: active loops augmented (they save their iterations, and, inside a
    /// block the reverse sweep re-runs, their exit values).
    Forward,
    /// A block's recompute slice: no effects, and an active loop is not run again: its exit
    /// values are popped instead.
    Recompute,
    /// Everything again, without effects and with plain loops (a branch whose values a
    /// recompute slice reads).
    Replay,
    /// The top level of a fused loop's body ([`crate::fuse`]): like `Forward`, but a loop in
    /// it leaves its exit values in place for the reverse that follows in the same iteration,
    /// instead of pushing them.
    Fused,
}

struct Emitter<'a> {
    body: &'a Body,
    plan: &'a Plan,
    /// In the fused loop's body: the calls whose `_vjp` runs instead (see [`Early`]).
    early: &'a [Early],
}

/// A call in the fused loop's body whose `_vjp` the forward sweep runs in its place (see
/// [`crate::fuse::EarlyCall`]): `let (t, grads) = f_vjp(args, cotangent);`.
pub struct Early {
    /// The call's result.
    pub var: VarId,
    /// The name of the cotangents `f_vjp` returns, which the reverse of the call reads.
    pub grads: Ident,
    /// The call's cotangent: the adjoint of the slot it is added to, or its negation, times the
    /// call's weight if it has one (see [`crate::fuse::EarlyCall::factor`]).
    pub cotangent: TokenStream,
}

/// `m::f_vjp` for the path `m::f` of a call, and `f`'s name.
pub fn vjp_path(path: &syn::Path) -> Option<(syn::Path, String)> {
    let mut vjp = path.clone();
    let last = vjp.segments.last_mut()?;
    let callee = last.ident.to_string();
    last.ident = quote::format_ident!("{}_vjp", last.ident, span = last.ident.span());
    Some((vjp, callee))
}

/// The forward sweep of `body`; with a fused loop, only what runs before that loop.
pub fn forward(body: &Body, plan: &Plan) -> TokenStream {
    let emitter = Emitter::new(body, plan);
    match &plan.fused {
        None => emitter.block(&body.block, Mode::Forward),
        Some(fusion) => emitter.some_stmts(|i| fusion.early[i]),
    }
}

/// With a fused loop: the statements after it that did not run before it, emitted right after
/// it.
pub fn forward_late(body: &Body, plan: &Plan) -> TokenStream {
    let emitter = Emitter::new(body, plan);
    match &plan.fused {
        None => TokenStream::new(),
        Some(fusion) => emitter.some_stmts(|i| i > fusion.index && !fusion.early[i]),
    }
}

/// The fused loop `l` ([`crate::fuse`]): its slots, then `for pattern in iter { forward body;
/// reverse body }`, where `reverse` is the reverse of the body. The values the reverse reads
/// at iteration start are kept in a local instead of on a tape.
///
/// Before it, the tapes that an iteration fills and empties again are made with room for one
/// iteration's values (see [`Plan::presized`]), or none when the loop has no iterations.
pub fn fused_loop(
    body: &Body,
    plan: &Plan,
    l: &Loop,
    reverse: TokenStream,
    root: &syn::Path,
    early: &[Early],
) -> TokenStream {
    let emitter = Emitter { body, plan, early };
    let mut out = emitter.slot_declarations(l);
    let code = emitter.block(&l.body, Mode::Fused);
    out.extend(plan.views.windows.declare(l));
    // What the reverse reads at iteration start, rewound slots included (the fused loop does
    // not step them back: it keeps them).
    let taped: Vec<VarId> = plan.taped[l.id]
        .iter()
        .copied()
        .chain(plan.rewind[l.id].iter().map(|r| r.slot))
        .collect();
    let (save, restore) = if taped.is_empty() {
        (TokenStream::new(), TokenStream::new())
    } else {
        let at_start = Ident::new("at_start", Span::mixed_site());
        let names: Vec<TokenStream> = taped
            .iter()
            .map(|v| {
                let name = &body.vars[*v].name;
                quote!(#name)
            })
            .collect();
        let values: Vec<TokenStream> = taped
            .iter()
            .zip(&names)
            .map(|(v, name)| owned_copy(body, &Atom::Var(*v), name.clone()))
            .collect();
        let (names, values) = (tuple_or_single(&names), tuple_or_single(&values));
        (
            quote!(let #at_start = #values;),
            quote!(let #names = #at_start;),
        )
    };
    if let LoopKind::For { pattern, iter, .. } = &l.kind {
        if plan.presized.is_empty() {
            out.extend(quote!(for #pattern in #iter));
            out.extend([braced([save, code, restore, reverse])]);
        } else {
            // Room for one iteration, unless the loop has none.
            let (iterator, empty) = (
                Ident::new("iterator", Span::mixed_site()),
                Ident::new("empty", Span::mixed_site()),
            );
            out.extend(quote! {
                let #iterator = ::core::iter::IntoIterator::into_iter(#iter);
                let #empty = ::core::iter::Iterator::size_hint(&#iterator).1 == ::core::option::Option::Some(0);
            });
            for (tape, range, _) in &plan.presized {
                let room = quote!(if #empty {
                    0
                } else {
                    ::core::iter::Iterator::size_hint(&::core::iter::IntoIterator::into_iter(#range)).0
                });
                // A lane or spill of the arena was declared with the others, at the top.
                out.extend(if plan.lanes.owns(tape) {
                    plan.lanes.reserve(tape, room)
                } else {
                    quote!(let mut #tape = #root::Tape::with_capacity(#room);)
                });
            }
            out.extend(quote!(for #pattern in #iterator));
            out.extend([braced([save, code, restore, reverse])]);
        }
    }
    out
}

/// One tape per loop that saves something, declared once at the top of `NAME_vjp`: a nested
/// loop fills and empties its tape once per outer iteration, and reuses its capacity. A tape
/// is a lane of the call's arena or a `Tape` / `SmallTape` of its own (see [`crate::arena`]);
/// the arena comes last, sized from its lanes.
pub fn tape_declarations(body: &Body, plan: &Plan, root: &syn::Path) -> TokenStream {
    let mut out = TokenStream::new();
    let lanes = &plan.lanes;
    // A presized tape is made by the fused loop, unless it is a lane.
    let presized =
        |tape: &Ident| !lanes.owns(tape) && plan.presized.iter().any(|(t, _, _)| t == tape);
    body.block.walk(&mut |stmt| {
        if let Stmt::Loop(l) = stmt {
            let merged = plan.merged_floats(l);
            for v in plan.saved[l.id].iter().filter(|v| !merged.contains(v)) {
                out.extend(save_declaration(body, plan, *v, root));
            }
            for e in &plan.extrema[l.id] {
                let record = &e.record;
                out.extend(quote!(let mut #record = #root::tape::RunningExtremum::new();));
            }
            for undo in &plan.undo[l.id] {
                let tape = &undo.tape;
                out.extend(if lanes.owns(tape) {
                    lanes.declare(tape)
                } else if undo.one_float(body) {
                    quote!(let mut #tape = #root::tape::SmallTape::new();)
                } else {
                    quote!(let mut #tape = #root::Tape::new();)
                });
            }
            let fused = plan.fused.as_ref().is_some_and(|f| f.loop_id == l.id);
            let tape = &l.tape;
            if plan.loop_work[l.id] && !plan.taped[l.id].is_empty() && !fused && !presized(tape) {
                let kind = if crate::plan::small_loop_tape(body, plan, l) {
                    quote!(#root::tape::SmallTape)
                } else {
                    quote!(#root::Tape)
                };
                out.extend(if lanes.owns(tape) {
                    lanes.declare(tape)
                } else {
                    quote!(let mut #tape = #kind::new();)
                });
            }
            let saves_exits = plan.pushes_exits(l) && !in_fused_body(body, plan, l.id);
            if plan.loop_work[l.id] && saves_exits && !presized(&l.exits) && !plan.merged_away(l) {
                let exits = &l.exits;
                out.extend(if lanes.owns(exits) {
                    lanes.declare(exits)
                } else {
                    quote!(let mut #exits = #root::Tape::new();)
                });
            }
        }
    });
    // Values saved in branches of the function's own block (the last entry of `saved`).
    if let Some(top) = plan.saved.last() {
        for v in top {
            out.extend(save_declaration(body, plan, *v, root));
        }
    }
    // The arena of the lanes, sized once (after them: its size is counted in their values).
    out.extend(lanes.arena_declaration());
    out
}

/// `let mut save_v = ..;`: the tape of a saved value (see [`Plan::saved`]), unless it is a
/// float saved on the tape of another (see [`Plan::save_head`]): a `SmallTape` for floats (up
/// to four per tuple), a `Tape` for more or for a value of another type.
fn save_declaration(body: &Body, plan: &Plan, v: VarId, root: &syn::Path) -> TokenStream {
    if plan.save_head[v] != v {
        return TokenStream::new();
    }
    let save = save_tape(body, v);
    if plan.lanes.owns(&save) {
        return plan.lanes.declare(&save);
    }
    let floats = plan.save_head.iter().filter(|h| **h == v).count();
    if body.vars[v].ty == Ty::Float && floats <= 4 {
        quote!(let mut #save = #root::tape::SmallTape::new();)
    } else {
        quote!(let mut #save = #root::Tape::new();)
    }
}

/// `(a, b, ..)` of the variables' names, or the name of one.
pub fn names_tuple(body: &Body, vars: &[VarId]) -> TokenStream {
    let names: Vec<TokenStream> = vars
        .iter()
        .map(|v| {
            let name = &body.vars[*v].name;
            quote!(#name)
        })
        .collect();
    tuple_or_single(&names)
}

/// The tape on which the forward sweep saves the value of `var` for the reverse (see
/// [`Plan::saved`]).
pub fn save_tape(body: &Body, var: VarId) -> Ident {
    Ident::new(&format!("save_{}", body.vars[var].name), Span::mixed_site())
}

/// True when loop `id` sits at the top level of the fused loop's body (it leaves its exit
/// values in place rather than on a tape).
pub fn in_fused_body(body: &Body, plan: &Plan, id: usize) -> bool {
    let fused = plan.fused.as_ref().and_then(|f| f.lookup(body));
    fused.is_some_and(|fused| {
        fused
            .body
            .stmts
            .iter()
            .any(|s| matches!(s, Stmt::Loop(l) if l.id == id))
    })
}

/// The statements of `block` that its reverse reads, run again.
pub fn recompute(body: &Body, plan: &Plan, block: &Block) -> TokenStream {
    Emitter::new(body, plan).block(block, Mode::Recompute)
}

impl<'a> Emitter<'a> {
    /// An emitter outside the fused loop's body (no calls replaced by their `_vjp`).
    fn new(body: &'a Body, plan: &'a Plan) -> Self {
        Emitter {
            body,
            plan,
            early: &[],
        }
    }

    /// The statements of the function's block whose index passes `keep`, in order.
    fn some_stmts(&self, keep: impl Fn(usize) -> bool) -> TokenStream {
        let mut out = TokenStream::new();
        for (i, stmt) in self.body.block.stmts.iter().enumerate() {
            if keep(i) {
                out.extend(self.stmt(stmt, Mode::Forward));
            }
        }
        out
    }

    fn block(&self, block: &Block, mode: Mode) -> TokenStream {
        self.saving_block(block, mode, false, None)
    }

    /// `block` in `mode`; in `Forward` mode, each value saved for the reverse (see
    /// [`Plan::saved`]) is pushed on its tape right after it is computed, with `reserved` in
    /// room the loop whose body `block` is made for its trip count. `lead`: the loop's own
    /// tape and its slot values, pushed with the floats saved at the top level of its body
    /// (see [`Plan::merged`]).
    fn saving_block(
        &self,
        block: &Block,
        mode: Mode,
        reserved: bool,
        lead: Option<(&Ident, Vec<TokenStream>)>,
    ) -> TokenStream {
        let mut out = TokenStream::new();
        // The floats saved here go on one tape, as one tuple, after the last of them.
        let floats = match mode {
            Mode::Forward => self.plan.saved_floats(block),
            _ => &[],
        };
        for (i, stmt) in block.stmts.iter().enumerate() {
            if mode == Mode::Recompute
                && !self.plan.slice[block.id].get(i).copied().unwrap_or(false)
            {
                continue;
            }
            if let (Mode::Recompute, Some(name)) = (mode, self.forwarded(stmt)) {
                // The value the iteration left in the reverse's copy (see `Undo::forwarded`).
                let var = &self.body.vars[stmt.defs()[0]].name;
                out.extend(quote!(let #var = #name;));
                continue;
            }
            if let Some(code) = self.undone_update(stmt, mode, reserved, &mut out) {
                out.extend(code);
                continue;
            }
            match self.undone_if(stmt, mode, reserved) {
                Some(code) => out.extend(code),
                None => out.extend(self.stmt(stmt, mode)),
            }
            let defs = stmt.defs();
            if mode == Mode::Forward {
                // A step of a running maximum or minimum (see `plan::Extremum`).
                for e in self.plan.extrema.iter().flatten() {
                    if defs.contains(&e.new) {
                        let (record, old, new) = (
                            &e.record,
                            &self.body.vars[e.old].name,
                            &self.body.vars[e.new].name,
                        );
                        let operand = atom(self.body, &e.operand);
                        out.extend(if e.max {
                            quote!(#record.record_max(#old, #operand, #new);)
                        } else {
                            quote!(#record.record_min(#old, #operand, #new);)
                        });
                    }
                }
            }
            let mut pushes: Vec<(Ident, TokenStream)> = Vec::new();
            for v in defs.iter().copied() {
                if mode != Mode::Forward || !self.plan.is_saved(v) || floats.contains(&v) {
                    continue;
                }
                // A value of another type than a float (the result of a plain function) is
                // cloned, since the forward sweep goes on using it.
                let name = &self.body.vars[v].name;
                let value = quote!(::core::clone::Clone::clone(&#name));
                pushes.push((save_tape(self.body, v), value));
            }
            if floats.last().is_some_and(|last| defs.contains(last)) {
                match &lead {
                    Some((tape, values)) => {
                        let names = floats.iter().map(|v| {
                            let name = &self.body.vars[*v].name;
                            quote!(#name)
                        });
                        let all: Vec<TokenStream> = values.iter().cloned().chain(names).collect();
                        pushes.push(((*tape).clone(), tuple_or_single(&all)));
                    }
                    None => {
                        let tuple = names_tuple(self.body, floats);
                        pushes.push((save_tape(self.body, floats[0]), tuple));
                    }
                }
            }
            for (save, value) in pushes {
                // Once per iteration of a range, which made room for its trip count.
                out.extend(self.plan.lanes.push(&save, value, reserved));
            }
        }
        if mode != Mode::Recompute {
            out.extend(match block.term {
                Term::Break => quote!(break;),
                Term::Continue if !self.ends_body(block) => quote!(continue;),
                _ => TokenStream::new(),
            });
        }
        out
    }

    /// For the statement computing an undo log's forwarded value (see
    /// [`crate::undo::Undo::forwarded`]), the name the reverse read it into.
    fn forwarded(&self, stmt: &Stmt) -> Option<&Ident> {
        let Stmt::Let { var, .. } = stmt else {
            return None;
        };
        let logs = self.plan.undo.iter().flatten();
        logs.filter_map(|u| u.forwarded.as_ref())
            .find(|(v, _)| v == var)
            .map(|(_, name)| name)
    }

    /// An update of a chain whose writes the reverse undoes ([`crate::undo`]): in the forward
    /// sweep, the element it overwrites is kept first (into `out`), and the last update of the
    /// chain pushes the iteration's old elements and indices; in a recompute slice (the
    /// reverse sweep's, whose versions of the aggregate all name its one copy), it writes in
    /// place. `None` for any other statement or mode.
    fn undone_update(
        &self,
        stmt: &Stmt,
        mode: Mode,
        reserved: bool,
        out: &mut TokenStream,
    ) -> Option<TokenStream> {
        let Stmt::Let {
            var,
            rhs: Rhs::Update { base, .. },
            ..
        } = stmt
        else {
            return None;
        };
        let (undo, j) = self.plan.undo_update(*var)?;
        let body = self.body;
        // The reverse's copy: every version of the aggregate has its name there.
        let in_copy = body.vars[*var].name == undo.store;
        match mode {
            Mode::Forward => {
                let old = &undo.olds[j];
                let value = undo.old_value(body, atom(body, base), j);
                if undo.branch[j].is_some() && !undo.carried[j].is_empty() {
                    let indices = undo.carried_names(body, j);
                    out.extend(quote!(#old = ::core::option::Option::Some((#indices, #value));));
                } else if undo.branch[j].is_some() {
                    out.extend(quote!(#old = ::core::option::Option::Some(#value);));
                } else {
                    out.extend(quote!(let #old = #value;));
                }
                let mut code = self.stmt(stmt, mode);
                if *var == undo.last {
                    code.extend(push_undo(body, self.plan, undo, reserved));
                }
                Some(code)
            }
            Mode::Recompute | Mode::Replay if in_copy => {
                let Stmt::Let {
                    rhs: Rhs::Update { proj, value, .. },
                    ..
                } = stmt
                else {
                    return None;
                };
                let (path, value) = self.plan.views.written(*var, proj, value);
                let (base, path, value) = (
                    atom(body, base),
                    path_tokens(body, &path),
                    atom(body, &value),
                );
                Some(quote!(#base #path = #value;))
            }
            _ => None,
        }
    }

    /// An `if` of an undo log's chain (one branch writes the aggregate): in the forward sweep,
    /// the old elements of the branch's writes start as `None` before it (each becomes `Some`
    /// where its write runs), and when it makes the chain's last version, the iteration's old
    /// elements are pushed after it. `None` for any other statement or mode.
    fn undone_if(&self, stmt: &Stmt, mode: Mode, reserved: bool) -> Option<TokenStream> {
        let Stmt::If { then, els, .. } = stmt else {
            return None;
        };
        if mode != Mode::Forward {
            return None;
        }
        // Every chain that passes through this `if` (two aggregates may be written in it).
        let logs: Vec<(&crate::undo::Undo, Vec<usize>)> = self
            .plan
            .undo
            .iter()
            .flatten()
            .map(|u| (u, u.in_branches(then, els)))
            .filter(|(_, mine)| !mine.is_empty())
            .collect();
        if logs.is_empty() {
            return None;
        }
        let mut code = TokenStream::new();
        for (undo, mine) in &logs {
            for j in mine {
                let old = &undo.olds[*j];
                code.extend(quote!(let mut #old = ::core::option::Option::None;));
            }
        }
        code.extend(self.stmt(stmt, mode));
        for (undo, _) in &logs {
            if stmt.defs().contains(&undo.last) {
                code.extend(push_undo(self.body, self.plan, undo, reserved));
            }
        }
        Some(code)
    }

    /// True when `block` is a loop body (whose final `continue` is implicit).
    fn ends_body(&self, block: &Block) -> bool {
        let mut found = false;
        self.body.block.walk(&mut |s| {
            if let Stmt::Loop(l) = s {
                found |= l.body.id == block.id;
            }
        });
        found
    }

    /// `let var: ty = rhs;` in the forward sweep (see [`Emitter::stmt`]). Out of line, to keep
    /// the recursion through nested blocks in small frames.
    #[inline(never)]
    fn let_stmt(&self, var: VarId, ty: Option<&syn::Type>, rhs: &Rhs, span: Span) -> TokenStream {
        let name = &self.body.vars[var].name;
        // An update moves its aggregate; one whose zero the reverse sweep makes from it (a
        // witness), or that the reverse sweep reads, is copied instead. So is a value copied
        // (`a.clone()`) that is read again, in the primal or the reverse.
        let plan = self.plan;
        let copy_base = match rhs {
            Rhs::Update {
                base: Atom::Var(b), ..
            } => (plan.is_witness[*b] || plan.copy_base[var]) && plan.undo_update(var).is_none(),
            _ => false,
        };
        let read_again = |v: VarId| plan.uses[v] > 1 || !plan.read_in_reverse[v].is_empty();
        if let (Some(early), Rhs::Call { path, args, by_ref }) =
            (self.early.iter().find(|e| e.var == var), rhs)
        {
            // `f_vjp` in place of `f`, given the cotangent, which it follows.
            if let Some((path, _)) = vjp_path(path) {
                let mut args = args.clone();
                args.push(Atom::Const(early.cotangent.clone(), Ty::Unknown));
                let mut by_ref = by_ref.clone();
                by_ref.push(false);
                let value = let_tokens(self.body, var, &Rhs::Call { path, args, by_ref });
                let grads = &early.grads;
                return match ty {
                    Some(ty) => quote_spanned!(span=> let (#name, #grads): (#ty, _) = #value;),
                    None => quote_spanned!(span=> let (#name, #grads) = #value;),
                };
            }
        }
        let Some(value) = primal_value(self.body, &plan.views, var, rhs, read_again, copy_base)
        else {
            return TokenStream::new();
        };
        match ty {
            Some(ty) => quote_spanned!(span=> let #name: #ty = #value;),
            None => quote_spanned!(span=> let #name = #value;),
        }
    }

    fn stmt(&self, stmt: &Stmt, mode: Mode) -> TokenStream {
        match stmt {
            // A temporary row read only through one element is not copied: the element is
            // read from the aggregate directly (see `views`).
            Stmt::Let { var, .. } if self.plan.views.skipped[*var] => TokenStream::new(),
            Stmt::Let { var, ty, rhs, span } => self.let_stmt(*var, ty.as_deref(), rhs, *span),
            Stmt::Effect { tokens, .. } => match mode {
                Mode::Forward | Mode::Fused => tokens.clone(),
                Mode::Recompute | Mode::Replay => TokenStream::new(),
            },
            Stmt::WriteBack { slot, value } => {
                let slot = &self.body.vars[*slot].name;
                let tokens = atom(self.body, value);
                // In a fused loop the reverse of the iteration follows in the same pass, after
                // the write-back: a value it reads is copied, not moved (a `Vec` is cloned).
                match value {
                    Atom::Var(v)
                        if mode == Mode::Fused && !self.plan.read_in_reverse[*v].is_empty() =>
                    {
                        let copy = owned_copy(self.body, value, tokens);
                        quote!(#slot = #copy;)
                    }
                    _ => quote!(#slot = #tokens;),
                }
            }
            Stmt::If {
                cond,
                then,
                els,
                phis,
            } => self.if_stmt(cond, then, els, phis, mode),
            Stmt::Loop(l) => match mode {
                Mode::Recompute if self.plan.loop_work[l.id] => self.pop_exits(l),
                Mode::Forward => self.loop_stmt(l, self.plan.loop_work[l.id], Mode::Forward, true),
                Mode::Fused => self.loop_stmt(l, self.plan.loop_work[l.id], Mode::Forward, false),
                _ => self.loop_stmt(l, false, Mode::Replay, false),
            },
        }
    }

    fn if_stmt(
        &self,
        cond: &Atom,
        then: &Block,
        els: &Block,
        phis: &[crate::ir::Phi],
        mode: Mode,
    ) -> TokenStream {
        if mode == Mode::Recompute
            && [then.term, els.term]
                .iter()
                .any(|t| matches!(t, Term::Break | Term::Continue))
        {
            return quote!(::core::compile_error!("vjp internal error: a branch that leaves the loop would be recomputed; please report this function"););
        }
        let cond = atom(self.body, cond);
        let inner = if matches!(mode, Mode::Forward | Mode::Fused) {
            Mode::Forward
        } else {
            Mode::Replay
        };
        // In the reverse's copy of an undone aggregate (see `crate::undo`), the `if`'s branch
        // writes it in place: its version is not a value of the `if`.
        let plan = self.plan;
        let in_copy = |v: VarId| {
            let logs = plan.undo.iter().flatten();
            logs.into_iter()
                .any(|u| u.phis.contains(&v) && self.body.vars[v].name == u.store)
        };
        let kept: Vec<crate::ir::Phi> = phis.iter().filter(|p| !in_copy(p.var)).cloned().collect();
        let phis = &kept[..];
        // A version of an undone aggregate given to a version of the same chain: the reverse
        // reads the copy, not either. (After the loop, its last version is read again: the
        // reverse's copy starts from it.)
        let in_chain = |phi: VarId, v: VarId| {
            let mut logs = plan.undo.iter().flatten();
            logs.any(|u| u.phis.contains(&phi) && u.has_version(v))
        };
        let branch = |block: &Block, vals: Vec<(VarId, Option<&Atom>)>| {
            let stmts = self.block(block, inner);
            if block.term != Term::Fall || vals.is_empty() {
                return stmts;
            }
            // A branch's value moves it; one that the reverse sweep reads again is copied
            // (a `Vec` is cloned; see `Plan::read_in_reverse`).
            let vals: Vec<TokenStream> = vals
                .into_iter()
                .map(|(phi, v)| {
                    v.map_or_else(missing_phi_value, |v| match v {
                        Atom::Var(x)
                            if (!self.plan.read_in_reverse[*x].is_empty()
                                && !in_chain(phi, *x))
                                || self.plan.read_late.contains(x) =>
                        {
                            owned_copy(self.body, v, atom(self.body, v))
                        }
                        _ => atom(self.body, v),
                    })
                })
                .collect();
            let value = tuple_or_single(&vals);
            quote!(#stmts #value)
        };
        let then_code = branch(
            then,
            phis.iter().map(|p| (p.var, p.then_val.as_ref())).collect(),
        );
        let else_code = branch(
            els,
            phis.iter().map(|p| (p.var, p.else_val.as_ref())).collect(),
        );
        // The branches' code moved into the `if` (see `emit::braced`).
        let mut else_part = TokenStream::new();
        if !(els.stmts.is_empty() && phis.is_empty() && els.term == Term::Fall) {
            else_part.extend(quote!(else));
            else_part.extend([braced([else_code])]);
        }
        let names: Vec<TokenStream> = phis
            .iter()
            .map(|p| {
                let name = &self.body.vars[p.var].name;
                quote!(#name)
            })
            .collect();
        let mut code = quote!(if #cond);
        code.extend([braced([then_code])]);
        code.extend(else_part);
        if names.is_empty() {
            code
        } else {
            let pattern = tuple_or_single(&names);
            let mut out = quote!(let #pattern =);
            out.extend(code);
            out.extend(quote!(;));
            out
        }
    }

    /// What an active loop left behind, saved by the forward sweep: `let (trips, s) = exits.pop();`.
    fn pop_exits(&self, l: &Loop) -> TokenStream {
        let (tape, pattern) = match self.plan.frames[l.id].as_slice() {
            // The first loop of a frame pops the values of all (see [`Plan::frames`]).
            [first, ..] if *first == l.id => {
                let last = self
                    .frame_loops(l.id)
                    .last()
                    .map_or(&l.exits, |last| &last.exits);
                (last, self.frame_values(l.id, false))
            }
            [_, ..] => return TokenStream::new(),
            [] => {
                let names = self.exit_names(l, false);
                if names.is_empty() {
                    return TokenStream::new();
                }
                (&l.exits, tuple_or_single(&names))
            }
        };
        let pop = self.plan.lanes.pop(tape);
        quote!(let #pattern = #pop;)
    }

    /// The exit values of the loops of the frame of loop `id`, one tuple (see
    /// [`Plan::frames`]); with `copies`, as values to push.
    fn frame_values(&self, id: usize, copies: bool) -> TokenStream {
        let values: Vec<TokenStream> = self
            .frame_loops(id)
            .into_iter()
            .map(|m| tuple_or_single(&self.exit_names(m, copies)))
            .collect();
        tuple_or_single(&values)
    }

    /// The loops of the frame of loop `id`, in order (see [`Plan::frames`]).
    fn frame_loops(&self, id: usize) -> Vec<&Loop> {
        let frame = &self.plan.frames[id];
        let mut loops = Vec::new();
        self.body.block.walk(&mut |s| match s {
            Stmt::Loop(l) if frame.contains(&l.id) => loops.push(l),
            _ => {}
        });
        loops
    }

    /// The trip count (unless the reverse runs a range backwards) and the slots read after
    /// a loop that sits in a re-run block.
    /// With `copies`, as values to push (a `Vec` cloned, since the loop's slots live on).
    fn exit_names(&self, l: &Loop, copies: bool) -> Vec<TokenStream> {
        if !self.plan.nested[l.id] {
            return Vec::new();
        }
        let trips = &l.trips;
        let count = (!self.plan.reversible[l.id]).then(|| quote!(#trips));
        count
            .into_iter()
            .chain(self.plan.exits[l.id].iter().map(|v| {
                let name = &self.body.vars[*v].name;
                if copies {
                    owned_copy(self.body, &Atom::Var(*v), quote!(#name))
                } else {
                    quote!(#name)
                }
            }))
            .collect()
    }

    /// `let mut slot = init;` for each slot of `l`.
    fn slot_declarations(&self, l: &Loop) -> TokenStream {
        let body = &self.body;
        let mut out = TokenStream::new();
        for slot in &l.slots {
            let name = &body.vars[slot.var].name;
            let init = atom(body, &slot.init);
            // Moved when nothing else reads the initial value (see `plan::moves`);
            // copied otherwise (a `Vec` is cloned).
            let init = if self.plan.move_init[slot.var] {
                init
            } else {
                owned_copy(body, &slot.init, init)
            };
            out.extend(quote!(let mut #name = #init;));
        }
        out
    }

    /// The room loop `l` makes in tapes before its first iteration, from its trip count (the
    /// length of `iterator`): for its own tapes ([`Plan::entry_tapes`]), unless a loop around it
    /// made it, and for the tapes of the loops nested in it whose room it makes
    /// ([`Plan::room`]): its trip count times theirs, each computed only when the loops
    /// around it run at least once (a range may panic when its loop does not run).
    fn room(&self, l: &Loop) -> TokenStream {
        let trips = Ident::new("room_trips", Span::mixed_site());
        let mut out = TokenStream::new();
        if !self.plan.room_outside[l.id] {
            for tape in self.plan.entry_tapes(self.body, l) {
                out.extend(self.plan.lanes.reserve(&tape, quote!(#trips)));
            }
        }
        for room in &self.plan.room[l.id] {
            let n = Ident::new("n", Span::mixed_site());
            let mut count = TokenStream::new();
            for range in room.ranges.iter().rev() {
                let inner = quote!(::core::iter::Iterator::size_hint(&::core::iter::IntoIterator::into_iter(#range)).0);
                count = if count.is_empty() {
                    inner
                } else {
                    quote!({ let #n = #inner; if #n == 0 { 0 } else { #n.saturating_mul(#count) } })
                };
            }
            let reserve = room
                .tapes
                .iter()
                .map(|tape| self.plan.lanes.reserve(tape, quote!(#n)));
            out.extend(quote! {
                if #trips > 0 {
                    let #n = #trips.saturating_mul(#count);
                    #(#reserve)*
                }
            });
        }
        // The trip count, taken once from the iterator's length.
        if out.is_empty() {
            return out;
        }
        let iterator = Ident::new("iterator", Span::mixed_site());
        quote!(let #trips = ::core::iter::Iterator::size_hint(&#iterator).0; #out)
    }

    /// A loop, its body in `mode`; when `active`, augmented to save what its reverse reads,
    /// and, when `push_exits` and it sits in a re-run block, to save what it leaves behind.
    fn loop_stmt(&self, l: &Loop, active: bool, mode: Mode, push_exits: bool) -> TokenStream {
        let augmented = active;
        let body = &self.body;
        let mut out = self.slot_declarations(l);
        let (tape, trips) = (&l.tape, &l.trips);
        let taped = &self.plan.taped[l.id];
        let values: Vec<TokenStream> = taped
            .iter()
            .map(|v| {
                let name = &body.vars[*v].name;
                owned_copy(body, &Atom::Var(*v), quote!(#name))
            })
            .collect();
        // The slot values go with the floats the body saves, when it has pushed them.
        let merged = augmented && mode == Mode::Forward && self.plan.merged[l.id];
        let lead = merged.then(|| (tape, values.clone()));
        let code = self.saving_block(&l.body, mode, self.plan.reversible[l.id], lead);
        // A reversible range needs neither a tape nor a trip count when nothing is saved.
        let augmented = augmented && !(self.plan.reversible[l.id] && taped.is_empty());
        // A reversible range gives the reverse its trip count.
        let count = !self.plan.reversible[l.id];
        let record = if augmented {
            if count {
                out.extend(quote!(let mut #trips = 0usize;));
            }
            let push = if taped.is_empty() || merged {
                TokenStream::new()
            } else {
                let values = tuple_or_single(&values);
                // A range's trip count is known when it starts, and room for it is made then.
                self.plan
                    .lanes
                    .push(tape, values, self.plan.reversible[l.id])
            };
            let increment = count.then(|| quote!(#trips += 1;));
            quote!(#push #increment)
        } else {
            TokenStream::new()
        };
        match &l.kind {
            LoopKind::For { pattern, iter, .. } => {
                out.extend(self.plan.views.windows.declare(l));
                let counter = pattern;
                let room = if mode == Mode::Forward {
                    self.room(l)
                } else {
                    TokenStream::new()
                };
                if !room.is_empty() {
                    let iterator = Ident::new("iterator", Span::mixed_site());
                    out.extend(quote! {
                        let #iterator = ::core::iter::IntoIterator::into_iter(#iter);
                        #room
                        for #counter in #iterator
                    });
                } else {
                    out.extend(quote!(for #counter in #iter));
                }
                out.extend([braced([record, code])]);
            }
            LoopKind::Loop => {
                out.extend(quote!(loop));
                out.extend([braced([record, code])]);
            }
        }
        let frame = &self.plan.frames[l.id];
        if active && push_exits && frame.last() == Some(&l.id) {
            // The last loop of a frame pushes the values of all (see [`Plan::frames`]).
            let (exits, values) = (&l.exits, self.frame_values(l.id, true));
            out.extend(self.plan.lanes.push(exits, values, true));
        } else if active && push_exits && frame.is_empty() {
            let names = self.exit_names(l, true);
            if !names.is_empty() {
                let exits = &l.exits;
                let values = tuple_or_single(&names);
                let reserved = self.plan.exits_reserved[l.id];
                out.extend(self.plan.lanes.push(exits, values, reserved));
            }
        }
        out
    }
}

/// `undo.push((pushed indices.., old elements..));`: the iteration's entry of an undo log,
/// pushed without a check for room when the loop made room for its trip count.
fn push_undo(body: &Body, plan: &Plan, undo: &crate::undo::Undo, reserved: bool) -> TokenStream {
    plan.lanes.push(&undo.tape, undo.entry(body), reserved)
}

/// `value` where a copy of `atom` is kept while the original lives on: itself for a float, an
/// array or a tuple of floats (all `Copy`), `Clone::clone(&value)` for a value of unknown type,
/// which may be a `Vec` buffer, and for a variable without floats declared with a type that may
/// own memory (`let p: Vec<usize>`: see [`Body::owning`]).
pub fn owned_copy(body: &Body, atom: &Atom, value: TokenStream) -> TokenStream {
    let ty = match atom {
        Atom::Var(v) => body.vars[*v].ty.clone(),
        Atom::Const(_, ty) => ty.clone(),
    };
    // A variable without floats declared as a `Vec<usize>` or a `String` is cloned too.
    let owning = matches!(atom, Atom::Var(v) if ty == crate::ir::Ty::Other && body.owns_memory(*v));
    if ty == crate::ir::Ty::Unknown || owning {
        quote!(::core::clone::Clone::clone(&#value))
    } else {
        value
    }
}

/// `base` with the component at `p` replaced by `value`, as an expression.
pub fn update_tokens(base: TokenStream, p: TokenStream, value: TokenStream) -> TokenStream {
    // A mixed-site name cannot capture or shadow a user's variable.
    let updated = Ident::new("updated", Span::mixed_site());
    quote!({
        let mut #updated = #base;
        #updated #p = #value;
        #updated
    })
}

/// Stands for the value of a phi in a branch that falls through but has none, which lowering
/// never produces (see [`crate::ir::Phi`]): a clear error rather than a type mismatch in the
/// generated code.
pub fn missing_phi_value() -> TokenStream {
    quote!(::core::compile_error!(
        "vjp internal error: a branch that falls through gives no value to a variable its `if` defines; please report this function"
    ))
}

/// `(a, b)` for several, `a` for one.
pub fn tuple_or_single(items: &[TokenStream]) -> TokenStream {
    match items {
        [one] => one.clone(),
        many => quote!((#(#many),*)),
    }
}

/// An atom as an expression: a variable's name, or the constant's tokens (parenthesised
/// unless they are a literal or a path).
pub fn atom(body: &Body, atom: &Atom) -> TokenStream {
    match atom {
        Atom::Var(v) => {
            let name = &body.vars[*v].name;
            quote!(#name)
        }
        Atom::Const(tokens, _) => {
            if is_literal_or_path(tokens) {
                tokens.clone()
            } else {
                quote!((#tokens))
            }
        }
    }
}

/// One literal, or a path (`a::b::C`): tokens that need no parentheses as an operand.
fn is_literal_or_path(tokens: &TokenStream) -> bool {
    let mut trees = tokens.clone().into_iter().peekable();
    match trees.peek() {
        Some(proc_macro2::TokenTree::Literal(_)) => trees.count() == 1,
        Some(_) => trees.all(|t| match t {
            proc_macro2::TokenTree::Ident(_) => true,
            proc_macro2::TokenTree::Punct(p) => p.as_char() == ':',
            _ => false,
        }),
        None => false,
    }
}

/// A projection as it follows its base: `.0` or `[i]`.
pub fn proj(body: &Body, p: &Proj) -> TokenStream {
    match p {
        Proj::Field(i) => {
            let index = syn::Index::from(*i);
            quote!(.#index)
        }
        Proj::Index(i) => {
            let i = atom(body, i);
            quote!([#i])
        }
    }
}

/// The primal expression of a right-hand side.
/// The value of `let var = rhs;` in the primal code of any sweep, `None` for a temporary row
/// that is not copied (see `views`): an element read or written through rows along its path;
/// a copy of a value that `read_again` says is read again, cloned (`a.clone()` of a `Vec`); an
/// update's aggregate cloned when `copy_base`; an element of unknown type cloned out.
pub fn primal_value(
    body: &Body,
    views: &crate::views::Views,
    var: VarId,
    rhs: &Rhs,
    read_again: impl Fn(VarId) -> bool,
    copy_base: bool,
) -> Option<TokenStream> {
    if views.skipped[var] {
        return None;
    }
    if views.path[var].is_some() {
        return Some(view_tokens(body, views, var));
    }
    if let Some(read) = views.windows.read(var) {
        return Some(read);
    }
    let copy = |a: &Atom| owned_copy(body, a, atom(body, a));
    Some(match rhs {
        Rhs::Use(a @ Atom::Var(v)) if read_again(*v) => copy(a),
        Rhs::Update {
            base,
            proj: p,
            value,
        } => {
            let (path, value) = views.written(var, p, value);
            let base = if copy_base {
                copy(base)
            } else {
                atom(body, base)
            };
            update_tokens(base, path_tokens(body, &path), atom(body, &value))
        }
        _ => let_tokens(body, var, rhs),
    })
}

/// An element read through temporary rows, from the aggregate they were read from:
/// `x[i][j]` (see `views`).
pub fn view_tokens(body: &Body, views: &crate::views::Views, var: VarId) -> TokenStream {
    let Some((root, path)) = &views.path[var] else {
        return TokenStream::new();
    };
    let root = &body.vars[*root].name;
    let path = path_tokens(body, path);
    cloned_out(body, var, quote!(#root #path))
}

/// The value of `let var = rhs;`: [`rhs_tokens`], with an element of unknown type cloned out
/// (`m[0]` of a `Vec<Vec<f64>>` is not `Copy`; an element used as a float has been typed so).
pub fn let_tokens(body: &Body, var: VarId, rhs: &Rhs) -> TokenStream {
    match rhs {
        Rhs::Project(..) => cloned_out(body, var, rhs_tokens(body, rhs)),
        _ => rhs_tokens(body, rhs),
    }
}

/// `place`, or `Clone::clone(&place)` when `var`'s type is unknown.
pub fn cloned_out(body: &Body, var: VarId, place: TokenStream) -> TokenStream {
    cloned_if_unknown(&body.vars[var].ty, place)
}

/// `place`, or `Clone::clone(&place)` when `ty` is unknown (it may not be `Copy`).
pub fn cloned_if_unknown(ty: &Ty, place: TokenStream) -> TokenStream {
    if *ty == Ty::Unknown {
        quote!(::core::clone::Clone::clone(&#place))
    } else {
        place
    }
}

/// `[i][j]`, `.0[k]`: projections one after another.
pub fn path_tokens(body: &Body, path: &[Proj]) -> TokenStream {
    let path = path.iter().map(|p| proj(body, p));
    quote!(#(#path)*)
}

pub fn rhs_tokens(body: &Body, rhs: &Rhs) -> TokenStream {
    let a = |x: &Atom| atom(body, x);
    match rhs {
        Rhs::Use(x) => a(x),
        Rhs::Neg(x) => {
            let x = a(x);
            quote!(-#x)
        }
        Rhs::Arith(op, x, y) => {
            let (x, y) = (a(x), a(y));
            match op {
                ArithOp::Add => quote!(#x + #y),
                ArithOp::Sub => quote!(#x - #y),
                ArithOp::Mul => quote!(#x * #y),
                ArithOp::Div => quote!(#x / #y),
            }
        }
        Rhs::Prim {
            prim,
            args,
            int_arg,
            path,
        } => {
            let mut operands: Vec<TokenStream> = args.iter().map(a).collect();
            operands.extend(int_arg.iter().map(a));
            match path {
                Some(path) => quote!(#path(#(#operands),*)),
                None => {
                    let receiver = operands.remove(0);
                    let method = Ident::new(prim.name, Span::call_site());
                    quote!(#receiver.#method(#(#operands),*))
                }
            }
        }
        Rhs::Call { path, args, by_ref } => {
            let args = args.iter().zip(by_ref).map(|(x, &lent)| {
                let x = a(x);
                if lent {
                    quote!(&#x)
                } else {
                    x
                }
            });
            quote!(#path(#(#args),*))
        }
        Rhs::Tuple(elems) => {
            let elems = elems.iter().map(a);
            quote!((#(#elems,)*))
        }
        Rhs::Array(elems) => {
            let elems = elems.iter().map(a);
            quote!([#(#elems),*])
        }
        Rhs::Project(x, p) => {
            let (x, p) = (a(x), proj(body, p));
            quote!(#x #p)
        }
        Rhs::Update {
            base,
            proj: p,
            value,
        } => update_tokens(a(base), proj(body, p), a(value)),
        Rhs::FloatCast(x, ty) => {
            let x = a(x);
            quote!(#x as #ty)
        }
        Rhs::Opaque { expr, .. } => expr.clone(),
    }
}
