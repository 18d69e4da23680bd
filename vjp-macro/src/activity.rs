//! Activity analysis: which variables carry a derivative.
//!
//! A variable is *varied* when it depends differentiably on an active parameter, and *useful*
//! when the returned value depends differentiably on it; it is *active* when both hold. Only
//! active variables get an adjoint, so the reverse sweep does no work for constants, for
//! integer bookkeeping, or for values that never reach the output. Loops make the dependences
//! cyclic (a slot feeds the body that writes it back), so both passes run to a fixed point.
//!
//! This stage also runs the checks that need activity: an `Opaque` expression or an `Effect`
//! that reads a varied value is an error at its span (it would silently drop a derivative),
//! and a call with an active argument must tell, for each argument, whether it is a float.

use crate::ctxt::Ctxt;
use crate::ir::{Atom, Block, Body, Rhs, Stmt, Ty, VarId};
use proc_macro2::Span;

/// The result of the analysis, indexed by [`VarId`].
pub struct Activity {
    /// Depends on an active parameter.
    pub varied: Vec<bool>,
    /// The output depends on it.
    pub useful: Vec<bool>,
    /// See [`Activity::root`].
    pub alias: Vec<Option<VarId>>,
}

impl Activity {
    /// True when `var` gets an adjoint.
    pub fn active(&self, var: VarId) -> bool {
        self.varied[var] && self.useful[var]
    }

    /// True when `atom` is an active variable.
    pub fn active_atom(&self, atom: &Atom) -> bool {
        Body::atom_var(atom).is_some_and(|v| self.active(v))
    }

    /// The variable whose adjoint `var`'s adjoint shares storage with: for `u = Update(b, p,
    /// v)` with both active, `b` (followed to the end of the chain). The reverse of the update
    /// then works in place: `bar_v += bar_b[p]; bar_b[p] = 0`, instead of copying the whole
    /// aggregate. Sound because, in SSA, no statement after the update reads the old version `b`.
    /// Also for a loop's slot whose initial value `b` is read nowhere else: `b`'s adjoint is the
    /// slot's once the loop's reverse is done, and nothing else adds to it before. And for a
    /// copy `u = b` of an aggregate that nothing reads after it (see `copy_aliases`).
    pub fn root(&self, var: VarId) -> VarId {
        root_of(&self.alias, var)
    }

    /// True when `atom` is a varied variable.
    pub fn varied_atom(&self, atom: &Atom) -> bool {
        Body::atom_var(atom).is_some_and(|v| self.varied[v])
    }
}

/// `var` followed along `alias` to the variable whose adjoint it shares (see [`Activity::root`]).
fn root_of(alias: &[Option<VarId>], var: VarId) -> VarId {
    let mut v = var;
    while let Some(b) = alias[v] {
        v = b;
    }
    v
}

/// Every "value flows from `from` into `to`" edge of the body that a derivative can follow.
fn edges(body: &Body) -> Vec<(VarId, VarId)> {
    let mut out = Vec::new();
    let mut push = |from: &Atom, to: VarId| {
        if let Some(from) = Body::atom_var(from) {
            out.push((from, to));
        }
    };
    body.block.walk(&mut |stmt| match stmt {
        Stmt::Let { var, rhs, .. } => {
            for a in rhs.differentiable_operands() {
                push(a, *var);
            }
        }
        Stmt::If { phis, .. } => {
            for phi in phis {
                for a in phi.then_val.iter().chain(&phi.else_val) {
                    push(a, phi.var);
                }
            }
        }
        Stmt::Loop(l) => {
            for slot in &l.slots {
                push(&slot.init, slot.var);
            }
        }
        Stmt::WriteBack { slot, value } => push(value, *slot),
        Stmt::Effect { .. } => {}
    });
    out
}

/// Analyses `body` and reports the errors that depend on activity.
pub fn analyze(body: &Body, cx: &Ctxt) -> Activity {
    let edges = edges(body);
    let mut varied = vec![false; body.vars.len()];
    for param in body.params.iter().filter(|p| p.active) {
        varied[param.var] = true;
    }
    let mut useful = vec![false; body.vars.len()];
    if let Some(ret) = Body::atom_var(&body.ret) {
        useful[ret] = true;
    }
    // Propagate along the edges (forward for varied, backward for useful), each flag set once
    // from a work list: passes over all the edges until nothing changed took one pass per link
    // of a chain against the edges' order (a chain of loops, for useful), quadratic in the
    // function's length.
    let (mut successors, mut predecessors) = (
        vec![Vec::new(); body.vars.len()],
        vec![Vec::new(); body.vars.len()],
    );
    for &(from, to) in &edges {
        successors[from].push(to);
        predecessors[to].push(from);
    }
    let mut work: Vec<VarId> = (0..body.vars.len()).filter(|v| varied[*v]).collect();
    while let Some(from) = work.pop() {
        for &to in &successors[from] {
            // A value of a non-float type (an integer, a `bool`) carries no derivative.
            if !varied[to] && body.vars[to].ty != Ty::Other {
                varied[to] = true;
                work.push(to);
            }
        }
    }
    let mut work: Vec<VarId> = (0..body.vars.len()).filter(|v| useful[*v]).collect();
    while let Some(to) = work.pop() {
        for &from in &predecessors[to] {
            if !useful[from] {
                useful[from] = true;
                work.push(from);
            }
        }
    }
    let mut activity = Activity {
        varied,
        useful,
        alias: vec![None; body.vars.len()],
    };
    let mut alias = vec![None; body.vars.len()];
    body.block.walk(&mut |stmt| {
        if let Stmt::Let {
            var,
            rhs: Rhs::Update {
                base: Atom::Var(b), ..
            },
            ..
        } = stmt
        {
            if activity.active(*var) && activity.active(*b) {
                alias[*var] = Some(*b);
            }
        }
    });
    // A copy `b = a` of an aggregate that nothing reads after it (`let e: Vec<f64> =
    // ..collect();` binds the collecting loop's result): `b` shares `a`'s adjoint, and the
    // copy's reverse is nothing instead of adding one aggregate into another.
    let returned: Vec<VarId> = Body::atom_var(&body.ret).into_iter().collect();
    copy_aliases(body, &body.block, &returned, &activity, &mut alias);
    // An aggregate defined by an `if` whose branches both give a version of the same storage
    // (`if c { a[i] = e; }`: the updated `a`, or `a` as it was) shares that storage's adjoint:
    // as for an update, nothing after the `if` reads the versions it replaces. The reverse of
    // the `if` then hands nothing on, instead of copying the whole adjoint.
    body.block.walk(&mut |stmt| {
        if let Stmt::If { phis, .. } = stmt {
            // Only one value of the `if` may take the storage (`let m = if c { a[0] = 0.0; a }
            // else { a };` defines `a` and `m`, both read after it).
            let mut takers = std::collections::BTreeMap::new();
            for phi in phis {
                for v in [&phi.then_val, &phi.else_val].into_iter().flatten() {
                    if let Atom::Var(v) = v {
                        let r = root_of(&alias, *v);
                        let entry = takers.entry(r).or_insert_with(Vec::new);
                        if !entry.contains(&phi.var) {
                            entry.push(phi.var);
                        }
                    }
                }
            }
            for phi in phis {
                let (Some(Atom::Var(t)), Some(Atom::Var(e))) = (&phi.then_val, &phi.else_val)
                else {
                    continue;
                };
                let r = root_of(&alias, *t);
                let aggregate = !matches!(body.vars[phi.var].ty, Ty::Float | Ty::Other);
                let all_active = [phi.var, *t, *e].iter().all(|v| activity.active(*v));
                let alone = takers.get(&r).is_some_and(|p| p.len() == 1);
                if aggregate && all_active && r == root_of(&alias, *e) && r != phi.var && alone {
                    alias[phi.var] = Some(r);
                }
            }
        }
    });
    // A loop's active slot whose initial value is a variable of the same block (or a slot of
    // the loop around it, at iteration start) read nowhere else in that block shares that
    // variable's adjoint: the transfers in and out of the loop's reverse are then the identity,
    // not a copy and a sum.
    share_slot_adjoints(body, &body.block, &[], &activity, &mut alias);
    activity.alias = alias;
    check(body, &body.block, &activity, cx);
    activity
}

/// See the call in [`analyze`]: in `block` and the blocks nested in it, `b` shares `a`'s adjoint
/// for each copy `b = a` of an active aggregate (an array, a tuple or a value of unknown type,
/// such as a `Vec`) that a statement of the same block defines, when no statement after the
/// copy reads `a` (nested statements included), nor is it what the block leaves (`exits`: the
/// function's value, or a branch's values of its `if`). Then every contribution to `a`'s
/// adjoint made in the reverse sweep before the copy's reverse comes from a read of `b` or of
/// its later versions, which is what the copy's reverse would have added.
fn copy_aliases(
    body: &Body,
    block: &Block,
    exits: &[VarId],
    activity: &Activity,
    alias: &mut [Option<VarId>],
) {
    for (i, stmt) in block.stmts.iter().enumerate() {
        match stmt {
            Stmt::If {
                then, els, phis, ..
            } => {
                let then_values: Vec<VarId> = phis
                    .iter()
                    .filter_map(|p| p.then_val.as_ref().and_then(Body::atom_var))
                    .collect();
                let else_values: Vec<VarId> = phis
                    .iter()
                    .filter_map(|p| p.else_val.as_ref().and_then(Body::atom_var))
                    .collect();
                copy_aliases(body, then, &then_values, activity, alias);
                copy_aliases(body, els, &else_values, activity, alias);
            }
            Stmt::Loop(l) => copy_aliases(body, &l.body, &[], activity, alias),
            _ => {}
        }
        let Stmt::Let {
            var: b,
            rhs: Rhs::Use(Atom::Var(a)),
            ..
        } = stmt
        else {
            continue;
        };
        let aggregate = !matches!(body.vars[*b].ty, Ty::Float | Ty::Other);
        if !aggregate || !activity.active(*a) || !activity.active(*b) || a == b {
            continue;
        }
        let defined_here = block.stmts[..i].iter().any(|s| s.defs().contains(a));
        let mut read_after = false;
        for later in &block.stmts[i + 1..] {
            read_after |= crate::plan::primal_reads(later).contains(a);
        }
        if defined_here && !read_after && !exits.contains(a) && root_of(alias, *a) != *b {
            alias[*b] = Some(*a);
        }
    }
}

fn check(body: &Body, block: &Block, activity: &Activity, cx: &Ctxt) {
    block.walk(&mut |stmt| match stmt {
        Stmt::Let {
            rhs: Rhs::Opaque {
                unsupported: Some(why),
                ..
            },
            ..
        }
        | Stmt::Effect {
            unsupported: Some(why),
            ..
        } if why.reads.iter().any(|v| activity.varied[*v]) => {
            cx.error_spanned_help(&why.at, &why.message, &why.help)
        }
        Stmt::Let { rhs: rhs @ (Rhs::Use(_) | Rhs::Tuple(_) | Rhs::Array(_) | Rhs::Update { .. } | Rhs::FloatCast(..)), span, .. } => {
            let slice = rhs.differentiable_operands().into_iter().filter_map(Body::atom_var).any(|v| activity.varied[v] && matches!(body.vars[v].ty, Ty::Slice(_)));
            if slice {
                cx.error_help(*span, "an active slice can only be indexed, iterated, measured with `.len()` or passed to a function", "index it where the value is needed (`x[i]`), or make a working copy with `x.to_vec()`");
            }
        }
        Stmt::Let {
            rhs: Rhs::Call { path, args, .. },
            span,
            ..
        } if args.iter().any(|a| activity.varied_atom(a)) => {
            check_call_args(body, activity, path, args, *span, cx);
            check_call_args_slices(body, activity, args, *span, cx);
        }
        _ => {}
    });
}

/// In an active call, every inactive argument's type must be known to be a float or not: the
/// callee's `_vjp` returns one cotangent per float argument, and the macro maps them back by
/// position. (A varied argument of unknown type is the result of a call and taken as a float;
/// if it is not, the generated destructuring fails to compile rather than shift cotangents.)
fn check_call_args_slices(body: &Body, activity: &Activity, args: &[Atom], span: Span, cx: &Ctxt) {
    let slices: Vec<VarId> = args
        .iter()
        .filter_map(Body::atom_var)
        .filter(|v| activity.varied[*v] && matches!(body.vars[*v].ty, Ty::Slice(_)))
        .collect();
    if slices
        .iter()
        .enumerate()
        .any(|(i, v)| slices[..i].contains(v))
    {
        cx.error_help(span, "an active slice is passed twice to this call", "its shadow can be lent to the callee only once: pass a copy for the second argument, or mark the callee's parameter `#[no_grad]`");
    }
}

fn check_call_args(
    body: &Body,
    activity: &Activity,
    path: &syn::Path,
    args: &[Atom],
    span: Span,
    cx: &Ctxt,
) {
    for atom in args {
        let unknown = match atom {
            Atom::Const(tokens, Ty::Unknown) => Some(user_text(body, tokens)),
            // The result of a call to a function with a `_vjp` is float-carrying (a float, an
            // array or a tuple of them), so it has a cotangent even when inactive.
            Atom::Var(v)
                if body.vars[*v].ty == Ty::Unknown
                    && !activity.varied[*v]
                    && !defined_by_call(body, *v) =>
            {
                Some(source_of(body, *v))
            }
            _ => None,
        };
        if let Some(arg) = unknown {
            let callee = quote::quote!(#path).to_string().replace(' ', "");
            cx.error_help(
                span,
                format!("vjp cannot tell whether the argument `{arg}` of `{callee}` is a float"),
                "bind it first with its type: `let c: f64 = ...;` (or `[f64; N]`, `usize`, ...)",
            );
        }
    }
}

/// True when `var` is the result of a call to a function with a `_vjp`.
fn defined_by_call(body: &Body, var: VarId) -> bool {
    let mut found = false;
    body.block.walk(&mut |stmt| {
        found |= matches!(stmt, Stmt::Let { var: v, rhs: Rhs::Call { .. }, .. } if *v == var);
    });
    found
}

/// How the user wrote the value of `var`: the expression of an inactive temporary, or the name
/// of a variable (messages should not name the macro's temporaries).
fn source_of(body: &Body, var: VarId) -> String {
    let atom_text = |a: &Atom| match a {
        Atom::Var(v) => {
            let name = &body.vars[*v].name;
            user_text(body, &quote::quote!(#name))
        }
        Atom::Const(tokens, _) => user_text(body, tokens),
    };
    let mut found = None;
    body.block.walk(&mut |stmt| match stmt {
        Stmt::Let {
            var: v,
            rhs: Rhs::Opaque { expr, .. },
            ..
        } if *v == var => found = Some(user_text(body, expr)),
        // An element or a field, as the user wrote it (`t[0]`, not the macro's `t0`).
        Stmt::Let {
            var: v,
            rhs: Rhs::Project(base, proj),
            ..
        } if *v == var => {
            found = Some(match proj {
                crate::ir::Proj::Index(i) => format!("{}[{}]", atom_text(base), atom_text(i)),
                crate::ir::Proj::Field(f) => format!("{}.{f}", atom_text(base)),
            })
        }
        _ => {}
    });
    found.unwrap_or_else(|| {
        let name = &body.vars[var].name;
        user_text(body, &quote::quote!(#name))
    })
}

/// `tokens` as the user wrote them: the numbered versions of their bindings (`k_1`) under the
/// user's names (`k`).
fn user_text(body: &Body, tokens: &proc_macro2::TokenStream) -> String {
    fn rename(
        tokens: &proc_macro2::TokenStream,
        versions: &std::collections::HashMap<String, String>,
    ) -> proc_macro2::TokenStream {
        use proc_macro2::{Group, Ident, TokenTree};
        tokens
            .clone()
            .into_iter()
            .map(|tree| match tree {
                TokenTree::Ident(ident) => match versions.get(&ident.to_string()) {
                    Some(user) => TokenTree::Ident(Ident::new(user, ident.span())),
                    None => TokenTree::Ident(ident),
                },
                TokenTree::Group(group) => {
                    let mut renamed =
                        Group::new(group.delimiter(), rename(&group.stream(), versions));
                    renamed.set_span(group.span());
                    TokenTree::Group(renamed)
                }
                other => other,
            })
            .collect()
    }
    rename(tokens, &body.versions).to_string()
}

/// See the caller: the slots of loops in `block` whose initial value is local to `block`
/// (defined in it, or one of `slots`, the slots of the loop whose body it is) and read once in
/// it get `alias[slot] = init`.
fn share_slot_adjoints(
    body: &Body,
    block: &Block,
    slots: &[VarId],
    activity: &Activity,
    alias: &mut [Option<VarId>],
) {
    let uses = block.use_counts(body.vars.len());
    let mut local: Vec<VarId> = slots.to_vec();
    for stmt in &block.stmts {
        local.extend(stmt.defs());
    }
    for stmt in &block.stmts {
        match stmt {
            Stmt::Loop(l) => {
                for slot in &l.slots {
                    if let Atom::Var(b) = slot.init {
                        if local.contains(&b)
                            && uses[b] == 1
                            && activity.active(slot.var)
                            && activity.active(b)
                            && alias[slot.var].is_none()
                            && body.vars[slot.var].ty == body.vars[b].ty
                        {
                            alias[slot.var] = Some(b);
                        }
                    }
                }
                let inner: Vec<VarId> = l.slots.iter().map(|s| s.var).collect();
                share_slot_adjoints(body, &l.body, &inner, activity, alias);
            }
            Stmt::If { then, els, .. } => {
                share_slot_adjoints(body, then, &[], activity, alias);
                share_slot_adjoints(body, els, &[], activity, alias);
            }
            _ => {}
        }
    }
}
