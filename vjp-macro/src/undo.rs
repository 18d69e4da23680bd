//! Undo logs: element writes in a loop reversed by restoring the elements they overwrote.
//!
//! A loop that writes elements of an aggregate it carries (`a[i] = a[i - 1] * x[i]`, a
//! trajectory `y[i + 1] = f(y[i])`) and whose reverse reads that aggregate at iteration start
//! would otherwise push the whole aggregate on its tape every iteration: time and memory grow
//! with the square of its length. Here the forward sweep instead pushes, once per iteration,
//! the elements the iteration overwrites (and the indices the reverse could not know yet), and
//! the reverse keeps one copy of the aggregate, taken over from the forward sweep at the end
//! of the loop, which it walks back in time:
//! - at the start of the reverse of an iteration, the copy holds the value at the end of that
//!   iteration; writing the saved elements back, last write first, gives the value at its
//!   start;
//! - the recompute slice then writes again, in place, the elements the reverse reads after
//!   (the copy steps forward to the version the last read sees), and the reverse of each of
//!   those writes puts its saved element back, so that each version is in the copy exactly
//!   while the reverse of the statements that read it runs;
//! - at the end of the reverse of an iteration the copy holds the value at its start, which is
//!   the value at the end of the iteration before.
//!
//! Every version of the aggregate in the loop's body is emitted, in the reverse, under the
//! name of that one copy (`undone_a` for a slot `a`; see `reverse::renamed`). This is sound
//! when:
//! - the writes form one chain at the top level of the body (or of a `while` body after its
//!   test), `v1 = s[p1 <- e1]`, `v2 = v1[p2 <- e2]`, .., possibly through an `if` one or both
//!   branches of which write (their old elements are `Option`s, `Some` when the branch ran,
//!   with the indices the branch computes itself), the last version is what every write-back
//!   of the slot stores, and no path through the body leaves it before the last write
//!   (`break`, `continue`; a final test after the writes may: see [`chain_block`]);
//! - each version is read only up to the write that replaces it (by any statement, nested
//!   blocks included): in the reverse, the statements between two writes run while the copy
//!   holds the version between them;
//! - a version read by tokens that name it (an opaque expression, a loop's range) has a
//!   numbered name, which the renaming changes in those tokens and nothing else is spelled as.
//!
//! Anything else keeps the whole aggregate on the tape.

use crate::ir::{Atom, Block, Body, Loop, Proj, Rhs, Stmt, Term, Ty, VarId};
use crate::views::Views;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use std::collections::BTreeSet;
use syn::Ident;

/// A loop slot whose element writes are undone in the reverse sweep (see the module's
/// documentation), instead of the slot being saved whole at every iteration.
#[derive(Clone, Debug)]
pub struct Undo {
    /// The slot.
    pub slot: VarId,
    /// The chain of updates, in order: `v1 = s[p1 <- e1]`, `v2 = v1[p2 <- e2]`, ..
    pub updates: Vec<VarId>,
    /// Per update: the path from the aggregate to the element it writes (through temporary
    /// rows: see [`Views::written`]).
    pub paths: Vec<Vec<Proj>>,
    /// Per update: for a write inside an `if`, the id of its branch. Its old element is an
    /// `Option`, `Some` when the branch ran.
    pub branch: Vec<Option<usize>>,
    /// Per update inside an `if`: the index variables of its path that the branch computes
    /// (`let j = ..; h[j] = ..`). The reverse puts the old element back before it runs the
    /// branch again, so they go into the `Option` with it: `Some(((j,), old))`.
    pub carried: Vec<Vec<VarId>>,
    /// The versions that the `if`s of the chain define.
    pub phis: Vec<VarId>,
    /// The last version at the top level (see [`Chain::last`]).
    pub last: VarId,
    /// The index variables of the writes that the loop defines and that the reverse needs
    /// before it computes them again: pushed with the old elements.
    pub pushed: Vec<VarId>,
    /// Index variables that the reverse computes before it puts the old elements back instead
    /// (`let t0 = i + 1;`): a pure expression at the top level of the chain's block of what the
    /// reverse has by then, the counter or values from outside the loop. With the `let`.
    pub computed: Vec<(VarId, TokenStream)>,
    /// Per update: the name under which the forward sweep keeps the element it overwrites,
    /// and the reverse pops it.
    pub olds: Vec<Ident>,
    /// The tape of one tuple per iteration: the pushed indices, then the old elements.
    pub tape: Ident,
    /// The block that holds the chain (see [`chain_block`]): its reverse starts by putting the
    /// old elements back.
    pub block: usize,
    /// The reverse sweep's copy of the aggregate, under which name it emits every version.
    pub store: Ident,
    /// The value the last update writes, when a primitive or a call at the top level of the
    /// chain's block computes it: the reverse reads it from its copy, where the iteration left
    /// it, before putting the old elements back, instead of computing it again (a `tanh` whose
    /// rule reads its result). The name it reads it into comes with it.
    pub forwarded: Option<(VarId, Ident)>,
}

/// The block of `l` that holds the chain of a slot: the body, or for a `while` loop (whose body
/// is `..; if !cond { break } else { rest; continue }`) and a loop that starts with a test
/// (`if skip { continue; } rest`) the `else` branch, when no path through it leaves early (a
/// `break` or a `continue` in a branch would skip writes): an iteration that leaves at the
/// test pushes nothing, and its reverse, which runs that branch's reverse only when the branch
/// ran, pops nothing. Also the body when it ends with a test that leaves after the writes (see
/// below). With the statements before it in the body (the test), which must not read the
/// slot.
pub fn chain_block(l: &Loop) -> Option<(&Block, &[Stmt])> {
    let branches_fall = |stmts: &[Stmt]| {
        stmts.iter().all(|s| match s {
            Stmt::If { then, els, .. } => falls(then) && falls(els),
            _ => true,
        })
    };
    // A loop body ends with its implicit `continue`.
    if matches!(l.body.term, Term::Continue | Term::Fall) {
        return branches_fall(&l.body.stmts).then_some((&l.body, &[][..]));
    }
    let (
        Stmt::If {
            then, els, phis, ..
        },
        pre,
    ) = l.body.stmts.split_last()?
    else {
        return None;
    };
    // The leaving branch may write back other slots (`s += e; if c { continue; } ..`); one
    // that writes back this slot is refused by `chain`, which counts the write-backs.
    let test = matches!(then.term, Term::Break | Term::Continue)
        && then
            .stmts
            .iter()
            .all(|s| matches!(s, Stmt::WriteBack { .. }))
        && phis.is_empty();
    let pre_plain = pre.iter().all(|s| matches!(s, Stmt::Let { .. }));
    if test && pre_plain && els.term == Term::Continue && branches_fall(&els.stmts) {
        return Some((els, pre));
    }
    // A body that ends with a test leaving the loop after the writes (`..; a[i] = ..;
    // if c { break; } rest`, lowered as `if c { write-backs; break } else { rest; write-backs;
    // continue }`, also with `continue`): the chain is in the body before the test, and
    // `chain` checks that every write-back stores its last version (the test and what follows
    // write nothing). Both paths have pushed the iteration's old elements by then.
    let leaves = |b: &Block| {
        matches!(b.term, Term::Break | Term::Continue)
            && b.stmts.iter().all(|s| matches!(s, Stmt::WriteBack { .. }))
    };
    let goes_on = |b: &Block| b.term == Term::Continue && branches_fall(&b.stmts);
    let tail =
        phis.is_empty() && ((leaves(then) && goes_on(els)) || (leaves(els) && goes_on(then)));
    (tail && branches_fall(pre)).then_some((&l.body, &[][..]))
}

/// An update of a chain, the path it writes along and, for a write inside an `if`, the id of
/// its branch and the index variables the branch computes (see [`Undo::carried`]).
pub type Link = (VarId, Vec<Proj>, Option<(usize, Vec<VarId>)>);

/// A chain of writes that can be undone (see [`chain`]).
pub struct Chain<'a> {
    /// The block that holds the chain (see [`chain_block`]).
    pub block: &'a Block,
    /// Every update, in order.
    pub updates: Vec<Link>,
    /// The versions that an `if` with a write in one branch defines.
    pub phis: Vec<VarId>,
    /// The last version at the top level (an update or an `if`'s version): the forward sweep
    /// pushes the iteration's old elements once it is computed.
    pub last: VarId,
}

/// The chain of writes to `slot` in `l`'s body, when they can be undone (see the module's
/// documentation): updates at the top level of the chain's block, and `if`s whose branches each
/// write (a chain of updates at the branch's own top level) or pass the aggregate on.
pub fn chain<'a>(
    body: &Body,
    activity: &crate::activity::Activity,
    views: &Views,
    l: &'a Loop,
    slot: VarId,
) -> Option<Chain<'a>> {
    // An aggregate that carries floats: no constant atom's tokens name it (they read no
    // float-carrying local), so renaming it reaches every read.
    let ty = &body.vars[slot].ty;
    if !matches!(ty, Ty::Array(_) | Ty::Unknown) || !ty.carries_floats() {
        return None;
    }
    let (block, pre) = chain_block(l)?;
    let stmts = &block.stmts;
    // The top-level versions, each with the position of the statement that makes it.
    let (mut last, mut versions, mut at) = (slot, Vec::new(), Vec::new());
    let (mut updates, mut phis) = (Vec::new(), Vec::new());
    for (q, stmt) in stmts.iter().enumerate() {
        if let Some((var, path)) = next_update(views, stmt, last) {
            if !matches!(path.first(), Some(Proj::Index(_))) {
                return None;
            }
            updates.push((var, path, None));
            versions.push(var);
            at.push(q);
            last = var;
            continue;
        }
        if let Stmt::If {
            then,
            els,
            phis: ps,
            ..
        } = stmt
        {
            // The values of the `if` that are versions of the aggregate: `last` passed on, or
            // the end of a chain of updates from `last` in the branch.
            let of_last = |block: &Block, v: &Option<Atom>| match v {
                Some(Atom::Var(x)) => *x == last || chain_end(views, block, last) == Some(*x),
                _ => false,
            };
            let mine: Vec<_> = ps
                .iter()
                .filter(|p| of_last(then, &p.then_val) || of_last(els, &p.else_val))
                .collect();
            let [phi] = mine.as_slice() else {
                if mine.is_empty() {
                    continue;
                }
                return None;
            };
            let (Some(Atom::Var(t)), Some(Atom::Var(e))) = (&phi.then_val, &phi.else_val) else {
                return None;
            };
            // The branches that write, each with the version it gives.
            let written: Vec<(&Block, VarId)> = match (*t == last, *e == last) {
                (false, true) => vec![(then, *t)],
                (true, false) => vec![(els, *e)],
                (false, false) => vec![(then, *t), (els, *e)],
                (true, true) => return None,
            };
            // An `if` the reverse would not run again (its values saved instead, because it
            // calls a plain function: see `plan::is_pure_stmt`) keeps the whole aggregate on
            // the tape. One that calls a differentiable function is run again.
            if !crate::plan::is_pure_stmt(stmt, activity) {
                return None;
            }
            // No other value of the `if` is a version of the aggregate.
            let others = ps.iter().filter(|p| p.var != phi.var);
            let is_version = |x: &VarId| *x == last || written.iter().any(|(_, w)| w == x);
            if others
                .flat_map(|p| [&p.then_val, &p.else_val])
                .any(|v| matches!(v, Some(Atom::Var(x)) if is_version(x)))
            {
                return None;
            }
            for (branch, version) in &written {
                updates.extend(branch_chain(views, branch, last, *version)?);
            }
            phis.push(phi.var);
            versions.push(phi.var);
            at.push(q);
            last = phi.var;
        }
    }
    if updates.is_empty() {
        return None;
    }
    // The slot's write-backs all store the last version: one at the top level, or one in
    // each branch of a final test that leaves the loop (see `chain_block`).
    let mut writes = 0;
    l.body.walk(&mut |s| {
        writes += usize::from(matches!(s, Stmt::WriteBack { slot: w, .. } if *w == slot));
    });
    let stores_last = |stmts: &[Stmt]| {
        let stores = |s: &&Stmt| match s {
            Stmt::WriteBack { slot: w, value } => *w == slot && Body::atom_var(value) == Some(last),
            _ => false,
        };
        stmts.iter().filter(stores).count()
    };
    let mut placed = stores_last(stmts);
    if let Some(Stmt::If { then, els, .. }) = stmts.last() {
        if matches!(then.term, Term::Break | Term::Continue)
            || matches!(els.term, Term::Break | Term::Continue)
        {
            placed += stores_last(&then.stmts) + stores_last(&els.stmts);
        }
    }
    // Every write-back of the slot in the body is one of those.
    if writes == 0 || placed != writes {
        return None;
    }
    // Version `j` (the slot is version 0) is replaced by the statement at `at[j]`.
    let version = |v: VarId| {
        if v == slot {
            Some(0)
        } else {
            versions.iter().position(|u| *u == v).map(|j| j + 1)
        }
    };
    // The reverse of the statements before the chain's block runs before the writes are
    // undone: they must not read the aggregate.
    for stmt in pre {
        if deep_reads(stmt, views).0.contains(&slot) {
            return None;
        }
    }
    let in_branch = |v: VarId| updates.iter().any(|(u, _, b)| *u == v && b.is_some());
    for (q, stmt) in stmts.iter().enumerate() {
        let (reads, named) = deep_reads(stmt, views);
        for v in reads {
            if let Some(j) = version(v) {
                if j < versions.len() && q > at[j] {
                    return None;
                }
            }
        }
        let version_named = |v: &VarId| version(*v).is_some() || in_branch(*v);
        if named
            .iter()
            .any(|v| version_named(v) && !numbered(body, *v))
        {
            return None;
        }
    }
    Some(Chain {
        block,
        updates,
        phis,
        last,
    })
}

/// The last version of the chain of updates from `from` at the top level of `block`, if it has
/// any.
fn chain_end(views: &Views, block: &Block, from: VarId) -> Option<VarId> {
    let mut last = None;
    for stmt in &block.stmts {
        if let Some((var, _)) = next_update(views, stmt, last.unwrap_or(from)) {
            last = Some(var);
        }
    }
    last
}

/// The updates of the branch `block` of an `if` that take the aggregate from version `from`
/// to `to`, one after another at its top level: each version read only until the next
/// update (reads in statements nested in the branch included). The indices the branch
/// computes, defined by its own top-level statements, are carried with the old elements (the
/// reverse puts those back before it runs the branch again).
fn branch_chain(views: &Views, block: &Block, from: VarId, to: VarId) -> Option<Vec<Link>> {
    let mut defined = BTreeSet::new();
    block.walk(&mut |s| defined.extend(s.defs()));
    let top: BTreeSet<VarId> = block.stmts.iter().flat_map(Stmt::defs).collect();
    let (mut last, mut out, mut at) = (from, Vec::new(), Vec::new());
    for (q, stmt) in block.stmts.iter().enumerate() {
        if let Some((var, path)) = next_update(views, stmt, last) {
            let mut carried = Vec::new();
            for i in path.iter().filter_map(|p| p.index()) {
                match i {
                    Atom::Var(v) if top.contains(v) && !carried.contains(v) => carried.push(*v),
                    Atom::Var(v) if defined.contains(v) && !top.contains(v) => return None,
                    _ => {}
                }
            }
            if !matches!(path.first(), Some(Proj::Index(_))) {
                return None;
            }
            out.push((var, path, Some((block.id, carried))));
            at.push(q);
            last = var;
        }
    }
    if last != to || out.is_empty() {
        return None;
    }
    let version = |v: VarId| {
        if v == from {
            Some(0)
        } else {
            out.iter().position(|(u, _, _)| *u == v).map(|j| j + 1)
        }
    };
    for (q, stmt) in block.stmts.iter().enumerate() {
        for v in deep_reads(stmt, views).0 {
            if let Some(j) = version(v) {
                if j < out.len() && q > at[j] {
                    return None;
                }
            }
        }
    }
    Some(out)
}

/// The undo log of `slot` with its `chain`: the index variables of the writes that the reverse
/// cannot compute before it puts the old elements back (defined `inside` the loop, and not
/// `known` at iteration start: the counter of a range it runs again, what it pops or rewinds)
/// are pushed with them. Returns it, with the index variables from outside the loop, which the
/// reverse reads there.
pub fn undo(
    body: &Body,
    slot: VarId,
    chain: Chain,
    inside: &BTreeSet<VarId>,
    known: &[VarId],
) -> (Undo, Vec<VarId>) {
    let Chain {
        block,
        updates: all,
        phis,
        last,
    } = chain;
    let (block, block_stmts) = (block.id, &block.stmts[..]);
    let updates: Vec<VarId> = all.iter().map(|(u, _, _)| *u).collect();
    let branch: Vec<Option<usize>> = all
        .iter()
        .map(|(_, _, b)| b.as_ref().map(|b| b.0))
        .collect();
    let carried: Vec<Vec<VarId>> = all
        .iter()
        .map(|(_, _, b)| b.as_ref().map(|b| b.1.clone()).unwrap_or_default())
        .collect();
    let paths: Vec<Vec<Proj>> = all.into_iter().map(|(_, p, _)| p).collect();
    let (mut pushed, mut outside) = (Vec::new(), Vec::new());
    let mut computed = Vec::new();
    for (path, carried) in paths.iter().zip(&carried) {
        for p in path {
            let Some(Atom::Var(i)) = p.index() else {
                continue;
            };
            if computed.iter().any(|(c, _)| c == i) || carried.contains(i) {
                continue;
            }
            if let Some((code, reads)) = computable(body, block_stmts, *i, inside, known) {
                computed.push((*i, code));
                for r in reads {
                    if !outside.contains(&r) {
                        outside.push(r);
                    }
                }
                continue;
            }
            let list = if !inside.contains(i) {
                &mut outside
            } else if known.contains(i) {
                continue;
            } else {
                &mut pushed
            };
            if !list.contains(i) {
                list.push(*i);
            }
        }
    }
    let name = |v: VarId| body.vars[v].name.to_string();
    let olds = updates
        .iter()
        .map(|u| Ident::new(&format!("old_{}", name(*u)), Span::mixed_site()))
        .collect();
    let tape = Ident::new(&format!("undo_{}", name(slot)), Span::mixed_site());
    let store = Ident::new(&format!("undone_{}", name(slot)), Span::mixed_site());
    // Only when the last version at the top level is a top-level update.
    let top_last = updates.last() == Some(&last) && branch.last() == Some(&None);
    let forwarded = forwarded(body, block_stmts, &updates)
        .filter(|_| top_last)
        .map(|v| {
            let name = Ident::new(&format!("forwarded_{}", name(v)), Span::mixed_site());
            (v, name)
        });
    let undo = Undo {
        slot,
        updates,
        paths,
        branch,
        carried,
        phis,
        last,
        pushed,
        computed,
        olds,
        tape,
        block,
        store,
        forwarded,
    };
    (undo, outside)
}

impl Undo {
    /// The type of the element that update `j` overwrites.
    pub fn element_ty(&self, body: &Body, j: usize) -> Ty {
        self.paths[j]
            .iter()
            .fold(body.vars[self.slot].ty.clone(), |ty, p| match p {
                Proj::Field(i) => ty.component(Some(*i)),
                Proj::Index(_) => ty.component(None),
            })
    }

    /// The iteration's entry on the tape: the pushed indices, then the old elements, as the
    /// forward sweep pushes it and the reverse binds it when it pops it.
    pub fn entry(&self, body: &Body) -> TokenStream {
        let names: Vec<TokenStream> = self
            .pushed
            .iter()
            .map(|v| {
                let name = &body.vars[*v].name;
                quote!(#name)
            })
            .chain(self.olds.iter().map(|o| quote!(#o)))
            .collect();
        crate::forward::tuple_or_single(&names)
    }

    /// The updates (by position in the chain) inside a branch of the `if` whose branches are
    /// `then` and `els`.
    pub fn in_branches(&self, then: &Block, els: &Block) -> Vec<usize> {
        (0..self.updates.len())
            .filter(|j| matches!(self.branch[*j], Some(b) if b == then.id || b == els.id))
            .collect()
    }

    /// True when the tape holds one float per iteration (a `SmallTape`).
    pub fn one_float(&self, body: &Body) -> bool {
        self.pushed.is_empty()
            && self.updates.len() == 1
            && self.branch[0].is_none()
            && self.element_ty(body, 0) == Ty::Float
    }

    /// `(j, k,)`: the index variables that update `j`'s branch computes (see
    /// [`Undo::carried`]), as a tuple.
    pub fn carried_names(&self, body: &Body, j: usize) -> TokenStream {
        let names = self.carried[j].iter().map(|v| &body.vars[*v].name);
        quote!((#(#names,)*))
    }

    /// The element update `j` overwrites, in the aggregate named `base`: copied out (cloned
    /// when its type is unknown).
    pub fn old_value(&self, body: &Body, base: TokenStream, j: usize) -> TokenStream {
        let path = crate::forward::path_tokens(body, &self.paths[j]);
        crate::forward::cloned_if_unknown(&self.element_ty(body, j), quote!(#base #path))
    }

    /// `slot<path> = old;`: the element update `j` overwrote put back into the reverse sweep's
    /// copy; `clone` when the old value is used again (its type unknown, it may not be `Copy`).
    pub fn put_back(&self, body: &Body, j: usize, clone: bool) -> TokenStream {
        let slot = &body.vars[self.slot].name;
        let path = crate::forward::path_tokens(body, &self.paths[j]);
        let old = &self.olds[j];
        if self.branch[j].is_some() {
            // Written inside an `if`: only when its branch ran, at the indices it computed.
            let element = Ident::new("element", Span::mixed_site());
            if self.carried[j].is_empty() {
                return quote! {
                    if let ::core::option::Option::Some(#element) = &#old {
                        #slot #path = ::core::clone::Clone::clone(#element);
                    }
                };
            }
            let (indices, names) = (
                Ident::new("indices", Span::mixed_site()),
                self.carried_names(body, j),
            );
            return quote! {
                if let ::core::option::Option::Some((#indices, #element)) = &#old {
                    let #names = ::core::clone::Clone::clone(#indices);
                    #slot #path = ::core::clone::Clone::clone(#element);
                }
            };
        }
        if clone && self.element_ty(body, j) == Ty::Unknown {
            quote!(#slot #path = ::core::clone::Clone::clone(&#old);)
        } else {
            quote!(#slot #path = #old;)
        }
    }
}

/// What `stmt` reads (nested statements included), an element read through rows counting
/// as a read of the aggregate; and the variables named inside tokens (opaque expressions,
/// loop ranges).
fn deep_reads(stmt: &Stmt, views: &Views) -> (BTreeSet<VarId>, BTreeSet<VarId>) {
    let (mut reads, mut named) = (crate::plan::primal_reads(stmt), BTreeSet::new());
    stmt.walk(&mut |s| match s {
        Stmt::Let { var, rhs, .. } => {
            reads.extend(views.path[*var].iter().map(|(root, _)| *root));
            if let Rhs::Opaque { reads: r, .. } = rhs {
                named.extend(r.iter().copied());
            }
        }
        Stmt::Loop(Loop {
            kind: crate::ir::LoopKind::For { reads: r, .. },
            ..
        }) => named.extend(r.iter().copied()),
        _ => {}
    });
    (reads, named)
}

/// True when every path through `block` falls through to its end (loops nested in it aside).
fn falls(block: &Block) -> bool {
    block.term == Term::Fall
        && block.stmts.iter().all(|s| match s {
            Stmt::If { then, els, .. } => falls(then) && falls(els),
            _ => true,
        })
}

/// `(var, path)` when `stmt` is `var = last[path <- ..]`, the next link of a chain from `last`
/// (not a temporary row of a write through rows: see [`Views::written`]).
fn next_update(views: &Views, stmt: &Stmt, last: VarId) -> Option<(VarId, Vec<Proj>)> {
    let Stmt::Let {
        var,
        rhs:
            Rhs::Update {
                base: Atom::Var(b),
                proj,
                value,
            },
        ..
    } = stmt
    else {
        return None;
    };
    (*b == last && !views.skipped[*var]).then(|| (*var, views.written(*var, proj, value).0))
}

/// See [`Undo::computed`]: the `let` of index `var` and the variables from outside the loop it
/// reads, when the reverse can compute it before it puts the old elements back.
fn computable(
    body: &Body,
    stmts: &[Stmt],
    var: VarId,
    inside: &BTreeSet<VarId>,
    known: &[VarId],
) -> Option<(TokenStream, Vec<VarId>)> {
    let rhs = stmts.iter().find_map(|s| match s {
        Stmt::Let { var: v, rhs, .. } if *v == var => Some(rhs),
        _ => None,
    })?;
    let Rhs::Opaque { expr, reads, .. } = rhs else {
        return None;
    };
    // What it reads is there before the writes are undone, and is no aggregate that they
    // change: the loop's known integers, or values from outside the loop.
    let ready = |r: &VarId| {
        !inside.contains(r) || (known.contains(r) && !body.vars[*r].ty.carries_floats())
    };
    if !crate::plan::is_pure_tokens(expr) || !reads.iter().all(ready) {
        return None;
    }
    let name = &body.vars[var].name;
    let value = crate::forward::let_tokens(body, var, rhs);
    let outside = reads
        .iter()
        .copied()
        .filter(|r| !inside.contains(r))
        .collect();
    Some((quote!(let #name = #value;), outside))
}

/// See [`Undo::forwarded`]: the value of the last of `updates`, in the chain's block `stmts`.
fn forwarded(body: &Body, stmts: &[Stmt], updates: &[VarId]) -> Option<VarId> {
    let last = *updates.last()?;
    let value = stmts.iter().find_map(|s| match s {
        Stmt::Let {
            var,
            rhs: Rhs::Update { value, .. },
            ..
        } if *var == last => Body::atom_var(value),
        _ => None,
    })?;
    let computed = stmts.iter().any(|s| {
        matches!(s, Stmt::Let { var, rhs: Rhs::Prim { .. } | Rhs::Call { .. }, .. } if *var == value)
    });
    (computed && body.vars[value].ty == Ty::Float).then_some(value)
}

/// True when `v`'s name is a numbered version of a user's binding (`h_2`): no other identifier
/// in the function is spelled the same (see [`crate::naming::Namer::user`]).
fn numbered(body: &Body, v: VarId) -> bool {
    body.versions.contains_key(&body.vars[v].name.to_string())
}

/// Renames, in the tokens of `block` that name variables (opaque expressions, loop ranges,
/// effects), each identifier that `names` maps.
pub fn rename_tokens(block: &mut Block, names: &std::collections::HashMap<String, Ident>) {
    for stmt in &mut block.stmts {
        match stmt {
            Stmt::Let {
                rhs: Rhs::Opaque { expr, .. },
                ..
            } => *expr = renamed(expr, names),
            Stmt::Effect { tokens, .. } => *tokens = renamed(tokens, names),
            Stmt::If { then, els, .. } => {
                rename_tokens(then, names);
                rename_tokens(els, names);
            }
            Stmt::Loop(l) => {
                if let crate::ir::LoopKind::For { iter, .. } = &mut l.kind {
                    *iter = renamed(iter, names);
                }
                rename_tokens(&mut l.body, names);
            }
            _ => {}
        }
    }
}

fn renamed(tokens: &TokenStream, names: &std::collections::HashMap<String, Ident>) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    tokens
        .clone()
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Ident(ident) => match names.get(&ident.to_string()) {
                Some(name) => TokenTree::Ident(name.clone()),
                None => TokenTree::Ident(ident),
            },
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), renamed(&group.stream(), names));
                inner.set_span(group.span());
                TokenTree::Group(inner)
            }
            other => other,
        })
        .collect()
}

impl Undo {
    /// True when `var` is a version of this log's aggregate: the slot, an update, or an `if`'s
    /// version.
    pub fn has_version(&self, var: VarId) -> bool {
        var == self.slot || self.updates.contains(&var) || self.phis.contains(&var)
    }
}
