//! Lowering: the function body (syn) into the A-normal-form IR of [`crate::ir`], and the fence
//! that rejects what the macro cannot differentiate.
//!
//! Guarantees: every operation on a float-carrying value binds a fresh variable; reassignment
//! and shadowing create new versions (SSA); an expression that reads no float-carrying local is
//! kept whole as an inactive constant or an `Opaque` binding (it cannot carry a derivative); a
//! construct that could carry a derivative but has no rule becomes `Opaque` with the reason,
//! and activity analysis turns it into an error only if it actually reads an active value.
//!
//! ```text
//! // Before                       // After (IR, printed as Rust)
//! let y = x * x + x.sin();        let t0 = x * x;
//!                                 let t1 = x.sin();
//!                                 let y = t0 + t1;
//! ```

use crate::ctxt::Ctxt;
use crate::ir::{
    ArithOp, Atom, Block, Body, Loop, LoopKind, Param, Phi, Prim, Proj, Rhs, Slot, Stmt, Term, Ty,
    Unsupported, Var, VarId,
};
use crate::naming::Namer;
use crate::parse::{classify, classify_local, Model};
use crate::prims;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{BinOp, Expr, Ident, Pat, Type, UnOp};

/// Where the value of a lowered expression goes.
#[derive(Clone)]
enum Dest {
    /// A fresh temporary.
    Temp,
    /// A user's binding: its name and type annotation.
    Named(Ident, Option<Box<Type>>),
}

/// Lowers the model's body. Errors go to `cx`; the returned body is meaningful only when `cx`
/// has none.
pub fn lower(model: &Model, root: &syn::Path, namer: &mut Namer, cx: &Ctxt) -> Body {
    let mut lowerer = Lowerer {
        cx,
        root,
        ret_ty: &model.ret,
        by_ref: Vec::new(),
        pending_by_ref: Vec::new(),
        floats: &model.float_params,
        namer,
        vars: Vec::new(),
        scopes: vec![Vec::new()],
        stmts: Vec::new(),
        loops: Vec::new(),
        blocks: 1,
        loop_ids: 0,
    };
    let params = lowerer.declare_params(model);
    let (ret, term) = lowerer.lower_stmts(&model.item.block.stmts, Mode::Returning);
    let block = Block {
        id: 0,
        stmts: std::mem::take(&mut lowerer.stmts),
        term,
    };
    let mut body = Body {
        vars: lowerer.vars,
        params,
        block,
        ret,
        blocks: lowerer.blocks,
    };
    refine_types(&mut body);
    body
}

struct Lowerer<'a> {
    cx: &'a Ctxt,
    /// The path of the runtime (`::vjp`).
    root: &'a syn::Path,
    /// The function's return type.
    ret_ty: &'a Type,
    /// Variables bound by an iteration over references (`for x in xs.iter()`), which the user
    /// may dereference (`*x`); in the index loop they become values.
    by_ref: Vec<VarId>,
    /// Names of such variables, until their `let` is lowered.
    pending_by_ref: Vec<String>,
    floats: &'a [Ident],
    namer: &'a mut Namer,
    vars: Vec<Var>,
    /// Lexical scopes: source name → current version.
    scopes: Vec<Vec<(String, VarId)>>,
    /// The statements of the block being lowered.
    stmts: Vec<Stmt>,
    /// The loops around the code being lowered, innermost last.
    loops: Vec<LoopCtx>,
    /// Blocks created so far (the function's block is 0).
    blocks: usize,
    /// Loops created so far.
    loop_ids: usize,
}

/// A loop being lowered: its label and where its slots sit in the scopes.
struct LoopCtx {
    label: Option<String>,
    /// Each slot and the (scope, entry) that holds the current version of its variable.
    slots: Vec<(VarId, (usize, usize))>,
}

/// Whether `return e` may end the statements being lowered: it may in the function's own
/// statements and in the branches of `if` statements among them, where it becomes the value
/// of the function's block; not inside loops nor inside expressions.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Returning,
    Nested,
}

/// The syntax of a loop header.
#[derive(Clone, Copy)]
enum LoopSyntax<'a> {
    Loop,
    For(&'a Pat, &'a Expr),
}

impl Lowerer<'_> {
    fn declare_params(&mut self, model: &Model) -> Vec<Param> {
        let mut params = Vec::new();
        for p in &model.params {
            let name = match &p.ident {
                Some(ident) => self.namer.user(&ident.to_string(), ident.span()),
                None => self.namer.fresh("arg", p.span),
            };
            let var = self.new_var(name, p.class.clone(), p.span);
            if let Some(ident) = &p.ident {
                self.scope_insert(ident.to_string(), var);
            }
            let shadow = p.shadow.clone().filter(|_| p.active()).map(|ty| {
                let name = self
                    .namer
                    .fresh(&format!("bar_{}", self.vars[var].name), p.span);
                (name, ty)
            });
            params.push(Param {
                var,
                ty: p.ty.clone(),
                active: p.active(),
                shadow,
            });
        }
        params
    }

    fn new_var(&mut self, name: Ident, ty: Ty, _span: Span) -> VarId {
        self.vars.push(Var { name, ty });
        self.vars.len() - 1
    }

    fn scope_insert(&mut self, name: String, var: VarId) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.push((unraw(&name).to_string(), var));
        }
    }

    /// The current version of the local `name`, if it is one.
    fn lookup(&self, name: &str) -> Option<VarId> {
        let name = unraw(name);
        self.scopes
            .iter()
            .rev()
            .flat_map(|scope| scope.iter().rev())
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// Points `name` at a new version, in the scope where it was declared.
    fn rebind(&mut self, name: &str, var: VarId) {
        let name = unraw(name);
        for scope in self.scopes.iter_mut().rev() {
            if let Some(entry) = scope.iter_mut().rev().find(|(n, _)| n == name) {
                entry.1 = var;
                return;
            }
        }
    }

    fn ty_of(&self, atom: &Atom) -> Ty {
        match atom {
            Atom::Var(v) => self.vars[*v].ty.clone(),
            Atom::Const(_, ty) => ty.clone(),
        }
    }

    fn unit() -> Atom {
        Atom::Const(quote!(()), Ty::Other)
    }

    // ----- blocks and statements -----

    /// A block used as an expression (`{ ... }`): lowered in place, in a scope of its own.
    fn lower_block(&mut self, block: &syn::Block) -> Atom {
        if block.stmts.iter().any(may_diverge) {
            self.cx.error_help(
                block.span(),
                "`break`, `continue` or `return` inside a block expression is not supported",
                "write them as statements of the function or of a loop body",
            );
            return Self::unit();
        }
        self.scopes.push(Vec::new());
        let (value, term) = self.lower_stmts(&block.stmts, Mode::Nested);
        self.scopes.pop();
        let _ = term;
        value
    }

    /// Lowers `stmts` into the current statement list. Returns the value and how control
    /// leaves: an `if` with a branch that ends in `break`, `continue` or `return` takes the
    /// statements after it into its other branch, so every path ends at a leaf.
    fn lower_stmts(&mut self, stmts: &[syn::Stmt], mode: Mode) -> (Atom, Term) {
        for (i, stmt) in stmts.iter().enumerate() {
            let last = i + 1 == stmts.len();
            let rest = &stmts[i + 1..];
            match stmt {
                syn::Stmt::Local(local) => self.lower_local(local),
                syn::Stmt::Item(item) => self.effect(item.to_token_stream(), item.span(), None),
                syn::Stmt::Macro(m) => self.lower_macro_stmt(&m.mac, m.span()),
                syn::Stmt::Expr(Expr::If(e), semi)
                    if may_diverge(e) || (last && semi.is_none()) =>
                {
                    let dest = self.tail_dest(mode);
                    return self.lower_if(e, rest, mode, dest);
                }
                syn::Stmt::Expr(Expr::If(e), _) => {
                    self.lower_if(e, &[], mode, Dest::Temp);
                }
                syn::Stmt::Expr(Expr::Match(m), semi) => {
                    // In statement position the arms may `break`, `continue` or `return`.
                    let Some(mut spliced) = self.match_stmts(m, semi.is_some() || !last) else {
                        return (Self::unit(), Term::Fall);
                    };
                    spliced.extend(rest.iter().cloned());
                    return self.lower_stmts(&spliced, mode);
                }
                syn::Stmt::Expr(Expr::Return(ret), _) => {
                    if mode != Mode::Returning {
                        let message = if self.loops.is_empty() {
                            "`return` inside an expression is not supported"
                        } else {
                            "`return` inside a loop is not supported yet"
                        };
                        self.cx.error_help(ret.span(), message, "`break` out of loops and return from the function's own statements or `if` branches");
                        return (Self::unit(), Term::Fall);
                    }
                    let value = match &ret.expr {
                        Some(e) => self.lower_tail(e),
                        None => Self::unit(),
                    };
                    return (value, Term::Fall);
                }
                syn::Stmt::Expr(Expr::Break(b), _) => {
                    return (
                        Self::unit(),
                        self.lower_jump(b.label.as_ref(), b.expr.is_some(), b.span(), Term::Break),
                    )
                }
                syn::Stmt::Expr(Expr::Continue(c), _) => {
                    return (
                        Self::unit(),
                        self.lower_jump(c.label.as_ref(), false, c.span(), Term::Continue),
                    )
                }
                syn::Stmt::Expr(e @ (Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_)), _)
                    if mode == Mode::Returning && contains_return(e) =>
                {
                    let Some(mut spliced) = self.lift_returns(e) else {
                        return (Self::unit(), Term::Fall);
                    };
                    spliced.extend(rest.iter().cloned());
                    return self.lower_stmts(&spliced, mode);
                }
                syn::Stmt::Expr(e @ (Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_)), _) => {
                    self.lower_loop_expr(e)
                }
                syn::Stmt::Expr(e, None) if last && mode == Mode::Returning => {
                    return (self.lower_tail(e), Term::Fall)
                }
                syn::Stmt::Expr(e, None) if last => {
                    return (self.lower_expr(e, Dest::Temp), Term::Fall)
                }
                syn::Stmt::Expr(e, _) => self.lower_stmt_expr(e),
            }
        }
        (Self::unit(), Term::Fall)
    }

    /// Where the value of a final `if` goes: `y` when it is the function's result.
    fn tail_dest(&mut self, mode: Mode) -> Dest {
        if mode == Mode::Returning {
            Dest::Named(self.namer.fresh("y", Span::call_site()), None)
        } else {
            Dest::Temp
        }
    }

    /// `break` / `continue`: writes the loop's slots back, then ends the block.
    fn lower_jump(
        &mut self,
        label: Option<&syn::Lifetime>,
        with_value: bool,
        span: Span,
        term: Term,
    ) -> Term {
        let Some(ctx) = self.loops.last() else {
            self.cx.error_help(
                span,
                "`break` or `continue` outside a loop",
                "use them inside `for`, `while` or `loop`",
            );
            return Term::Fall;
        };
        if with_value {
            self.cx.error_help(
                span,
                "`break` with a value is not supported",
                "assign the value to a variable declared before the loop, then `break`",
            );
        }
        if let Some(label) = label {
            if ctx.label.as_deref() != Some(&label.ident.to_string()) {
                self.cx.error_help(
                    label.span(),
                    "`break` or `continue` to an outer loop is not supported yet",
                    "set a flag, `break` the inner loop and test the flag in the outer one",
                );
            }
        }
        self.write_back();
        term
    }

    /// `slot = current version` for every slot of the innermost loop that has changed.
    fn write_back(&mut self) {
        let Some(ctx) = self.loops.last() else {
            return;
        };
        let mut writes = Vec::new();
        for (slot, (i, j)) in &ctx.slots {
            let current = self.scopes[*i][*j].1;
            if current != *slot {
                writes.push(Stmt::WriteBack {
                    slot: *slot,
                    value: Atom::Var(current),
                });
            }
        }
        self.stmts.extend(writes);
    }

    fn next_block_id(&mut self) -> usize {
        self.blocks += 1;
        self.blocks - 1
    }

    /// Lowers `stmts` followed by `rest` as a branch, in a scope of its own.
    fn lower_branch(
        &mut self,
        stmts: Vec<syn::Stmt>,
        rest: &[syn::Stmt],
        mode: Mode,
    ) -> (Block, Atom) {
        let id = self.next_block_id();
        let saved = std::mem::take(&mut self.stmts);
        self.scopes.push(Vec::new());
        let all: Vec<syn::Stmt> = stmts.into_iter().chain(rest.iter().cloned()).collect();
        let (value, term) = self.lower_stmts(&all, mode);
        self.scopes.pop();
        let stmts = std::mem::replace(&mut self.stmts, saved);
        (Block { id, stmts, term }, value)
    }

    /// `if cond { .. } else { .. }` followed by `rest` (taken into the branches).
    fn lower_if(
        &mut self,
        e: &syn::ExprIf,
        rest: &[syn::Stmt],
        mode: Mode,
        dest: Dest,
    ) -> (Atom, Term) {
        if let Expr::Let(l) = &*e.cond {
            self.cx.error_help(
                l.span(),
                "`if let` is not supported",
                "test with `matches!` or a comparison",
            );
            return (Self::unit(), Term::Fall);
        }
        let cond = self.lower_expr(&e.cond, Dest::Temp);
        let before = self.scopes.clone();
        let (then, then_value) = self.lower_branch(e.then_branch.stmts.clone(), rest, mode);
        let after_then = std::mem::replace(&mut self.scopes, before.clone());
        let else_stmts = match &e.else_branch {
            Some((_, else_expr)) => match &**else_expr {
                Expr::Block(b) => b.block.stmts.clone(),
                other => vec![syn::Stmt::Expr(other.clone(), None)],
            },
            None => Vec::new(),
        };
        let (els, else_value) = self.lower_branch(else_stmts, rest, mode);
        let after_else = std::mem::replace(&mut self.scopes, before.clone());
        let mut phis = Vec::new();
        for (i, scope) in before.iter().enumerate() {
            for (j, (name, original)) in scope.iter().enumerate() {
                let from_then = (then.term == Term::Fall).then(|| after_then[i][j].1);
                let from_else = (els.term == Term::Fall).then(|| after_else[i][j].1);
                if from_then.unwrap_or(*original) == *original
                    && from_else.unwrap_or(*original) == *original
                {
                    continue;
                }
                let ty = self.vars[*original].ty.clone();
                let name = self.namer.user(name, Span::call_site());
                let var = self.new_var(name, ty, Span::call_site());
                self.scopes[i][j].1 = var;
                phis.push(Phi {
                    var,
                    then_val: from_then.map(Atom::Var),
                    else_val: from_else.map(Atom::Var),
                });
            }
        }
        let term = if then.term == Term::Fall || els.term == Term::Fall {
            Term::Fall
        } else {
            Term::Diverge
        };
        let has_value = !(is_unit(&then_value) && is_unit(&else_value));
        let value = if has_value {
            let name = match dest {
                Dest::Temp => self.namer.temp(),
                Dest::Named(name, _) => name,
            };
            let ty = if then.term == Term::Fall {
                self.ty_of(&then_value)
            } else {
                self.ty_of(&else_value)
            };
            let var = self.new_var(name, ty, e.span());
            phis.push(Phi {
                var,
                then_val: (then.term == Term::Fall).then_some(then_value),
                else_val: (els.term == Term::Fall).then_some(else_value),
            });
            Atom::Var(var)
        } else {
            Self::unit()
        };
        self.stmts.push(Stmt::If {
            cond,
            then,
            els,
            phis,
        });
        (value, term)
    }

    /// A loop that `return`s, as a loop that stores the value and breaks out:
    ///
    /// ```text
    /// // Before                      // After
    /// for i in 0..n {                let mut returned_value: R = zero;
    ///     if done(x) {               let mut returned = false;
    ///         return x;              for i in 0..n {
    ///     }                              if done(x) { returned_value = x; returned = true; break; }
    ///     x = step(x);                   x = step(x);
    /// }                              }
    /// rest                           if returned { return returned_value; }
    ///                                rest
    /// ```
    ///
    /// A nested loop that returns is followed by `if returned { break; }`.
    fn lift_returns(&mut self, e: &Expr) -> Option<Vec<syn::Stmt>> {
        let value = self.namer.fresh("returned_value", e.span());
        let flag = self.namer.fresh("returned", e.span());
        let mut lifted = e.clone();
        let mut lifter = ReturnLifter {
            value: &value,
            flag: &flag,
            unsupported: None,
        };
        syn::visit_mut::VisitMut::visit_expr_mut(&mut lifter, &mut lifted);
        if let Some(at) = lifter.unsupported {
            self.cx.error_spanned_help(
                at,
                "`return` inside a loop that is itself inside an expression is not supported",
                "make the loop a statement",
            );
            return None;
        }
        let (ty, root) = (self.ret_ty, self.root);
        Some(vec![
            syn::parse_quote!(let mut #value: #ty = <#ty as #root::Tangent>::zero();),
            syn::parse_quote!(let mut #flag = false;),
            syn::Stmt::Expr(lifted, Some(Default::default())),
            syn::parse_quote!(if #flag { return #value; }),
        ])
    }

    /// `loop`, `while` and `for` (as a statement; their value is `()`).
    fn lower_loop_expr(&mut self, e: &Expr) {
        match e {
            Expr::Loop(l) => {
                self.lower_labeled_loop(l.label.as_ref(), LoopSyntax::Loop, &l.body.stmts, l.span())
            }
            Expr::While(w) => {
                if let Expr::Let(l) = &*w.cond {
                    self.cx.error_help(
                        l.span(),
                        "`while let` is not supported",
                        "use `loop` with an `if` that breaks",
                    );
                    return;
                }
                let cond = &w.cond;
                let mut stmts: Vec<syn::Stmt> =
                    vec![syn::parse_quote_spanned!(cond.span()=> if !(#cond) { break; })];
                stmts.extend(w.body.stmts.iter().cloned());
                self.lower_labeled_loop(w.label.as_ref(), LoopSyntax::Loop, &stmts, w.span());
            }
            Expr::ForLoop(f) => match self.iteration_idiom(&f.pat, &f.expr) {
                Some(Ok((counter, range, prelude))) => {
                    let stmts: Vec<syn::Stmt> = prelude
                        .into_iter()
                        .chain(f.body.stmts.iter().cloned())
                        .collect();
                    self.lower_labeled_loop(
                        f.label.as_ref(),
                        LoopSyntax::For(&counter, &range),
                        &stmts,
                        f.span(),
                    );
                }
                Some(Err(())) => {}
                None => self.lower_labeled_loop(
                    f.label.as_ref(),
                    LoopSyntax::For(&f.pat, &f.expr),
                    &f.body.stmts,
                    f.span(),
                ),
            },
            _ => {}
        }
    }

    /// A loop whose nested loops `break 'label` or `continue 'label` to it: those jumps set a
    /// flag and break out of the nested loop, and the flag is tested after it.
    ///
    /// ```text
    /// // Before                          // After
    /// 'outer: for i in 0..n {            let mut break_outer = false;
    ///     for j in 0..m {                let mut continue_outer = false;
    ///         if done(i, j) {            for i in 0..n {
    ///             continue 'outer;           for j in 0..m {
    ///         }                                  if done(i, j) { continue_outer = true; break; }
    ///     }                                  }
    /// }                                      if break_outer { break; }
    ///                                        if continue_outer { continue_outer = false; continue; }
    ///                                    }
    /// ```
    fn lower_labeled_loop(
        &mut self,
        label: Option<&syn::Label>,
        syntax: LoopSyntax,
        stmts: &[syn::Stmt],
        span: Span,
    ) {
        let Some(label) = label else {
            return self.lower_loop(None, syntax, stmts, span);
        };
        let name = label.name.ident.to_string();
        if !stmts.iter().any(|s| nested_jump_to(s, &name)) {
            return self.lower_loop(Some(label), syntax, stmts, span);
        }
        let brk = self.namer.fresh(&format!("break_{name}"), span);
        let cont = self.namer.fresh(&format!("continue_{name}"), span);
        for flag in [&brk, &cont] {
            let local: syn::Stmt = syn::parse_quote!(let mut #flag = false;);
            if let syn::Stmt::Local(local) = &local {
                self.lower_local(local);
            }
        }
        let mut lifter = JumpLifter {
            label: &name,
            brk: &brk,
            cont: &cont,
            depth: 0,
        };
        let mut block = syn::Block {
            brace_token: Default::default(),
            stmts: stmts.to_vec(),
        };
        syn::visit_mut::VisitMut::visit_block_mut(&mut lifter, &mut block);
        self.lower_loop(Some(label), syntax, &block.stmts, span);
    }

    fn lower_loop(
        &mut self,
        label: Option<&syn::Label>,
        syntax: LoopSyntax,
        stmts: &[syn::Stmt],
        span: Span,
    ) {
        let kind_iter = match syntax {
            LoopSyntax::For(_, iter) => {
                let (tokens, reads) = self.scan(iter.to_token_stream());
                if (self.reads_float_values(iter) && !is_integer_range(iter))
                    || self.writes_local(iter)
                {
                    self.cx.error_help(
                        iter.span(),
                        "`for` over float values is not supported yet",
                        "loop over indices: `for i in 0..n` and index with `xs[i]`",
                    );
                    return;
                }
                Some((tokens, reads))
            }
            LoopSyntax::Loop => None,
        };
        let slots = self.open_slots(stmts);
        let id = self.next_block_id();
        let saved = std::mem::take(&mut self.stmts);
        self.scopes.push(Vec::new());
        let mut counters = Vec::new();
        let mut pattern = quote!(_);
        if let LoopSyntax::For(pat, _) = syntax {
            match self.loop_pattern(pat) {
                Some((tokens, vars)) => {
                    pattern = tokens;
                    counters = vars;
                }
                None => self.cx.error_spanned_help(pat, "this loop pattern is not supported yet", "bind names, tuples of names or `_` (loop over indices for floats: `for i in 0..xs.len()`)"),
            }
        }
        self.loops.push(LoopCtx {
            label: label.map(|l| l.name.ident.to_string()),
            slots: slots.iter().map(|(slot, _, at)| (*slot, *at)).collect(),
        });
        // A `continue` at the end makes every path through the body end at a leaf that
        // writes the slots back.
        let mut stmts = stmts.to_vec();
        stmts.push(syn::parse_quote!(continue;));
        let (_, term) = self.lower_stmts(&stmts, Mode::Nested);
        self.loops.pop();
        self.scopes.pop();
        let body_stmts = std::mem::replace(&mut self.stmts, saved);
        for (slot, _, (i, j)) in &slots {
            self.scopes[*i][*j].1 = *slot;
        }
        let kind = match kind_iter {
            Some((iter, reads)) => LoopKind::For {
                counters,
                pattern,
                iter,
                reads,
            },
            None => LoopKind::Loop,
        };
        let tape = self.namer.fresh("tape", span);
        let exits = self.namer.fresh("exits", span);
        let trips = self.namer.fresh("trips", span);
        self.loop_ids += 1;
        self.stmts.push(Stmt::Loop(Loop {
            id: self.loop_ids - 1,
            kind,
            slots: slots
                .into_iter()
                .map(|(var, init, _)| Slot { var, init })
                .collect(),
            body: Block {
                id,
                stmts: body_stmts,
                term,
            },
            tape,
            exits,
            trips,
        }));
    }

    /// The variables of a loop pattern over an inactive iterator (`i`, `(i, j)`, `&k`, `_`),
    /// declared in the current scope, and the pattern with their new names.
    fn loop_pattern(&mut self, pat: &Pat) -> Option<(TokenStream, Vec<VarId>)> {
        match pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                let name = self.namer.user(&p.ident.to_string(), p.ident.span());
                let var = self.new_var(name.clone(), Ty::Other, p.span());
                self.scope_insert(p.ident.to_string(), var);
                Some((quote!(#name), vec![var]))
            }
            Pat::Wild(_) => Some((quote!(_), Vec::new())),
            Pat::Reference(r) if r.mutability.is_none() => {
                let (inner, vars) = self.loop_pattern(&r.pat)?;
                Some((quote!(&#inner), vars))
            }
            Pat::Paren(p) => self.loop_pattern(&p.pat),
            Pat::Tuple(t) => {
                let mut parts = Vec::new();
                let mut vars = Vec::new();
                for elem in &t.elems {
                    let (tokens, v) = self.loop_pattern(elem)?;
                    parts.push(tokens);
                    vars.extend(v);
                }
                Some((quote!((#(#parts,)*)), vars))
            }
            _ => None,
        }
    }

    /// `for x in xs.iter()` and its relatives over a float slice or array, as an index loop:
    /// the counter pattern, the range, and the `let`s that bind the elements. `None` when the
    /// loop does not iterate over floats; `Err` after reporting an unsupported idiom.
    #[allow(clippy::type_complexity)]
    fn iteration_idiom(
        &mut self,
        pat: &Pat,
        iter: &Expr,
    ) -> Option<Result<(Pat, Expr, Vec<syn::Stmt>), ()>> {
        if !self.reads_float_values(iter) || is_integer_range(iter) {
            return None;
        }
        let unsupported = |this: &mut Self| {
            this.cx.error_help(
                iter.span(),
                "this iteration over floats is not supported",
                "write an index loop: `for i in 0..xs.len() { let x = xs[i]; ... }`",
            );
            Some(Err(()))
        };
        let k = self.namer.fresh("i", iter.span());
        // Strip `.copied()` / `.cloned()`, then find what is iterated.
        let mut chain = iter.clone();
        while let Expr::MethodCall(m) = &chain {
            if (m.method == "copied" || m.method == "cloned") && m.args.is_empty() {
                chain = (*m.receiver).clone();
            } else {
                break;
            }
        }
        let row = |e: &Expr| -> Option<Expr> {
            match e {
                Expr::Path(_) => Some(e.clone()),
                Expr::Reference(r) if r.mutability.is_none() => Some((*r.expr).clone()),
                Expr::MethodCall(m) if m.method == "iter" && m.args.is_empty() => {
                    Some((*m.receiver).clone())
                }
                Expr::Paren(p) => Some((*p.expr).clone()),
                _ => None,
            }
        };
        let element = |p: &Pat| -> Option<Pat> {
            match p {
                Pat::Reference(r) => Some((*r.pat).clone()),
                Pat::Ident(_) | Pat::Wild(_) => Some(p.clone()),
                _ => None,
            }
        };
        let counter: Pat = syn::parse_quote!(#k);
        if let Expr::MethodCall(m) = &chain {
            if m.method == "enumerate" && m.args.is_empty() {
                let (Some(xs), Pat::Tuple(t)) = (row(&m.receiver), pat) else {
                    return unsupported(self);
                };
                let (Some(i), Some(x)) = (t.elems.first(), t.elems.get(1).and_then(element)) else {
                    return unsupported(self);
                };
                let prelude = vec![
                    syn::parse_quote!(let #i = #k;),
                    syn::parse_quote!(let #x = #xs[#k];),
                ];
                self.mark_by_ref(&t.elems[1]);
                return Some(Ok((counter, syn::parse_quote!(0..#xs.len()), prelude)));
            }
            if m.method == "zip" && m.args.len() == 1 {
                let other = m
                    .args
                    .first()
                    .and_then(|a| row(a).or_else(|| Some(a.clone())));
                let (Some(xs), Some(ys), Pat::Tuple(t)) = (row(&m.receiver), other, pat) else {
                    return unsupported(self);
                };
                let (Some(a), Some(b)) = (
                    t.elems.first().and_then(element),
                    t.elems.get(1).and_then(element),
                ) else {
                    return unsupported(self);
                };
                let prelude = vec![
                    syn::parse_quote!(let #a = #xs[#k];),
                    syn::parse_quote!(let #b = #ys[#k];),
                ];
                self.mark_by_ref(&t.elems[0]);
                self.mark_by_ref(&t.elems[1]);
                return Some(Ok((
                    counter,
                    syn::parse_quote!(0..#xs.len().min(#ys.len())),
                    prelude,
                )));
            }
        }
        let (Some(xs), Some(x)) = (row(&chain), element(pat)) else {
            return unsupported(self);
        };
        self.mark_by_ref(pat);
        let prelude = vec![syn::parse_quote!(let #x = #xs[#k];)];
        Some(Ok((counter, syn::parse_quote!(0..#xs.len()), prelude)))
    }

    /// Remembers that the name bound by `pat` (a plain `x`, not `&x`) was a reference in the
    /// user's loop, so `*x` is accepted.
    fn mark_by_ref(&mut self, pat: &Pat) {
        if let Pat::Ident(p) = pat {
            self.pending_by_ref.push(p.ident.to_string());
        }
    }

    /// The slots of a loop: every outer local that its body assigns gets a fresh mutable
    /// version, which the scopes point at from now on.
    fn open_slots(&mut self, stmts: &[syn::Stmt]) -> Vec<(VarId, Atom, (usize, usize))> {
        let mut names = Vec::new();
        for stmt in stmts {
            assigned_roots(stmt, &mut names);
        }
        let mut slots = Vec::new();
        for name in names {
            let Some((i, j)) = self.locate(&name) else {
                continue;
            };
            if slots.iter().any(|(_, _, at)| *at == (i, j)) {
                continue;
            }
            let original = self.scopes[i][j].1;
            let ty = self.vars[original].ty.clone();
            let name = self.namer.user(&name, Span::call_site());
            let var = self.new_var(name, ty, Span::call_site());
            self.scopes[i][j].1 = var;
            slots.push((var, Atom::Var(original), (i, j)));
        }
        slots
    }

    /// The (scope, entry) where the local `name` currently lives.
    fn locate(&self, name: &str) -> Option<(usize, usize)> {
        let name = unraw(name);
        for (i, scope) in self.scopes.iter().enumerate().rev() {
            if let Some(j) = scope.iter().rposition(|(n, _)| n == name) {
                return Some((i, j));
            }
        }
        None
    }

    /// The function's returned expression: its top operation binds `y`, unless it already is
    /// a variable or a constant.
    fn lower_tail(&mut self, e: &Expr) -> Atom {
        let simple = matches!(
            e,
            Expr::Path(_) | Expr::Lit(_) | Expr::Block(_) | Expr::Paren(_)
        );
        if simple {
            return self.lower_expr(e, Dest::Temp);
        }
        let y = self.namer.fresh("y", e.span());
        self.lower_expr(e, Dest::Named(y, None))
    }

    fn effect(&mut self, tokens: TokenStream, span: Span, unsupported: Option<Unsupported>) {
        let (tokens, reads) = self.scan(tokens);
        self.stmts.push(Stmt::Effect {
            tokens,
            reads,
            unsupported,
            span,
        });
    }

    fn lower_local(&mut self, local: &syn::Local) {
        let Some(init) = &local.init else {
            self.cx.error_help(
                local.span(),
                "a `let` without a value is not supported",
                "give the variable its value where it is declared",
            );
            // Declare the name anyway, so that its uses report no errors of their own.
            self.declare_unknown(&local.pat);
            return;
        };
        if let Some((_, diverge)) = &init.diverge {
            self.cx.error_help(
                diverge.span(),
                "`let ... else` is not supported",
                "bind the value with a plain `let`",
            );
            return;
        }
        self.lower_pattern(&local.pat, None, &init.expr);
    }

    /// Declares the names bound by `pat` as variables of unknown type (after an error).
    fn declare_unknown(&mut self, pat: &Pat) {
        match pat {
            Pat::Ident(p) => {
                let name = self.namer.user(&p.ident.to_string(), p.ident.span());
                let var = self.new_var(name, Ty::Unknown, p.span());
                self.scope_insert(p.ident.to_string(), var);
            }
            Pat::Type(t) => self.declare_unknown(&t.pat),
            Pat::Tuple(t) => t.elems.iter().for_each(|p| self.declare_unknown(p)),
            _ => {}
        }
    }

    fn lower_pattern(&mut self, pat: &Pat, ann: Option<Box<Type>>, init: &Expr) {
        match pat {
            Pat::Type(pt) => self.lower_pattern(&pt.pat, Some(pt.ty.clone()), init),
            Pat::Paren(p) => self.lower_pattern(&p.pat, ann, init),
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                let name = self.namer.user(&p.ident.to_string(), p.ident.span());
                let atom = self.lower_expr(init, Dest::Named(name, ann));
                if let Some(at) = self.pending_by_ref.iter().position(|n| p.ident == n) {
                    self.pending_by_ref.remove(at);
                    if let Atom::Var(v) = atom {
                        self.by_ref.push(v);
                    }
                }
                self.bind_name(&p.ident, atom);
            }
            Pat::Wild(_) => self.lower_stmt_expr(init),
            Pat::Tuple(_) | Pat::Slice(_) => {
                let atom = self.lower_expr(init, Dest::Temp);
                self.destructure(pat, atom);
            }
            other => self.cx.error_help(
                other.span(),
                "this pattern is not supported in a differentiable function",
                "bind a name, a tuple `(a, b)` or an array `[a, b]` of names",
            ),
        }
    }

    /// Makes the source name `ident` refer to `atom` (a copy when it is a constant).
    fn bind_name(&mut self, ident: &Ident, atom: Atom) {
        let var = match atom {
            Atom::Var(v) => v,
            constant => {
                let name = self.namer.user(&ident.to_string(), ident.span());
                let ty = self.ty_of(&constant);
                let var = self.new_var(name, ty, ident.span());
                self.stmts.push(Stmt::Let {
                    var,
                    ty: None,
                    rhs: Rhs::Use(constant),
                    span: ident.span(),
                });
                var
            }
        };
        self.scope_insert(ident.to_string(), var);
    }

    /// `let (a, b) = atom;` / `let [a, b] = atom;` as projections.
    fn destructure(&mut self, pat: &Pat, atom: Atom) {
        let (elems, is_tuple) = match pat {
            Pat::Tuple(t) => (&t.elems, true),
            Pat::Slice(s) => (&s.elems, false),
            Pat::Paren(p) => return self.destructure(&p.pat, atom),
            Pat::Type(pt) => return self.destructure(&pt.pat, atom),
            Pat::Wild(_) => return,
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                return self.bind_name(&p.ident, atom)
            }
            other => {
                self.cx.error_help(
                    other.span(),
                    "this pattern is not supported in a differentiable function",
                    "bind a name, a tuple `(a, b)` or an array `[a, b]` of names",
                );
                return;
            }
        };
        for (i, sub) in elems.iter().enumerate() {
            if let Pat::Rest(rest) = sub {
                self.cx.error_help(
                    rest.span(),
                    "`..` in a pattern is not supported",
                    "name every element, using `_` for the ones you skip",
                );
                return;
            }
            if matches!(sub, Pat::Wild(_)) {
                continue;
            }
            let proj = Proj::nth(i, is_tuple);
            let ty = self.ty_of(&atom).component(is_tuple.then_some(i));
            let name = match sub {
                Pat::Ident(p) => self.namer.user(&p.ident.to_string(), p.ident.span()),
                _ => self.namer.temp(),
            };
            let var = self.new_var(name, ty, sub.span());
            self.stmts.push(Stmt::Let {
                var,
                ty: None,
                rhs: Rhs::Project(atom.clone(), proj),
                span: sub.span(),
            });
            self.destructure(sub, Atom::Var(var));
        }
    }

    fn lower_stmt_expr(&mut self, e: &Expr) {
        match e {
            Expr::Assign(a) => self.lower_assign(&a.left, &a.right),
            Expr::Binary(b) if compound_op(&b.op).is_some() => self.lower_compound(b),
            Expr::Macro(m) => self.lower_macro_stmt(&m.mac, m.span()),
            Expr::Paren(p) => self.lower_stmt_expr(&p.expr),
            _ => {
                if !self.reads_float_values(e) && !self.writes_local(e) {
                    self.effect(quote!(#e;), e.span(), None);
                } else {
                    self.lower_expr(e, Dest::Temp);
                }
            }
        }
    }

    fn lower_macro_stmt(&mut self, mac: &syn::Macro, span: Span) {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let harmless = [
            "println",
            "print",
            "eprintln",
            "eprint",
            "assert",
            "assert_eq",
            "assert_ne",
            "debug_assert",
            "debug_assert_eq",
            "debug_assert_ne",
            "dbg",
        ];
        let unsupported = (!harmless.contains(&name.as_str())).then(|| Unsupported {
            at: mac.to_token_stream(),
            message: format!("the macro `{name}!` cannot take an active value"),
            help: "compute the value outside the macro; printing and assertion macros (`println!`, `assert!`, ...) are allowed".into(),
        });
        self.effect(quote!(#mac;), span, unsupported);
    }

    // ----- assignments -----

    fn lower_assign(&mut self, left: &Expr, right: &Expr) {
        // `(a, b) = (b, a + b)`: the right side is evaluated first, then each target is
        // assigned its component.
        if let Expr::Tuple(_) | Expr::Array(_) = left {
            let value = self.lower_expr(right, Dest::Temp);
            return self.assign_components(left, value);
        }
        let Some((root, projs)) = self.place(left) else {
            return;
        };
        let root_name = root.to_string();
        let Some(current) = self.lookup(&root_name) else {
            self.cx.error_help(
                left.span(),
                "only local variables can be assigned in a differentiable function",
                "bind the value to a local with `let`",
            );
            return;
        };
        let version = self.namer.user(&root_name, root.span());
        let new = if projs.is_empty() {
            self.lower_expr(right, Dest::Named(version, None))
        } else {
            let value = self.lower_expr(right, Dest::Temp);
            self.update_chain(
                Atom::Var(current),
                &projs,
                value,
                Dest::Named(version, None),
                left.span(),
            )
        };
        match new {
            Atom::Var(v) => self.rebind(&root_name, v),
            constant => {
                let ty = self.vars[current].ty.clone();
                let name = self.namer.user(&root_name, root.span());
                let var = self.new_var(name, ty, left.span());
                self.stmts.push(Stmt::Let {
                    var,
                    ty: None,
                    rhs: Rhs::Use(constant),
                    span: left.span(),
                });
                self.rebind(&root_name, var);
            }
        }
    }

    /// Assigns the components of `value` to the places of a tuple or array target.
    fn assign_components(&mut self, left: &Expr, value: Atom) {
        let (elems, tuple): (Vec<&Expr>, bool) = match left {
            Expr::Tuple(t) => (t.elems.iter().collect(), true),
            Expr::Array(a) => (a.elems.iter().collect(), false),
            Expr::Paren(p) => return self.assign_components(&p.expr, value),
            _ => return,
        };
        for (i, target) in elems.into_iter().enumerate() {
            if matches!(target, Expr::Infer(_)) {
                continue;
            }
            let proj = Proj::nth(i, tuple);
            let component = self.bind(Rhs::Project(value.clone(), proj), Dest::Temp, target.span());
            let temp = self.namer.fresh("component", target.span());
            // Bind the component to a syntactic name so that the ordinary assignment path
            // (SSA versions, slots, element updates) applies.
            let var = match component {
                Atom::Var(v) => v,
                Atom::Const(..) => continue,
            };
            self.scopes.push(vec![(temp.to_string(), var)]);
            let rhs: Expr = syn::parse_quote!(#temp);
            match target {
                Expr::Tuple(_) | Expr::Array(_) => self.assign_components(target, Atom::Var(var)),
                _ => self.lower_assign(target, &rhs),
            }
            self.scopes.pop();
        }
    }

    /// `x op= e` as `x = x op e`.
    fn lower_compound(&mut self, b: &syn::ExprBinary) {
        let Some(op) = compound_op(&b.op) else {
            return;
        };
        let left = &b.left;
        let right = &b.right;
        // `x -= a - b` must stay `x - (a - b)`; a simple operand needs no parentheses.
        let right: Expr = match &**right {
            Expr::Lit(_)
            | Expr::Path(_)
            | Expr::Call(_)
            | Expr::MethodCall(_)
            | Expr::Field(_)
            | Expr::Index(_)
            | Expr::Paren(_) => (**right).clone(),
            other => syn::parse_quote!((#other)),
        };
        let value: Expr = match op {
            CompoundOp::Add => syn::parse_quote_spanned!(b.span()=> #left + #right),
            CompoundOp::Sub => syn::parse_quote_spanned!(b.span()=> #left - #right),
            CompoundOp::Mul => syn::parse_quote_spanned!(b.span()=> #left * #right),
            CompoundOp::Div => syn::parse_quote_spanned!(b.span()=> #left / #right),
            CompoundOp::Other => {
                if !self.reads_float_values(&b.left) && !self.reads_float_values(&b.right) {
                    let e: Expr = Expr::Binary(b.clone());
                    return self.lower_assign_opaque(&e);
                }
                self.cx.error_help(
                    b.op.span(),
                    "this compound assignment cannot be differentiated",
                    "use `+=`, `-=`, `*=` or `/=`, or write the operation out",
                );
                return;
            }
        };
        self.lower_assign(left, &value);
    }

    /// An integer compound assignment (`n %= 3`, `bits |= 1`) on inactive data: written out
    /// as `n = n % 3` so that SSA renaming sees the new version.
    fn lower_assign_opaque(&mut self, e: &Expr) {
        if let Expr::Binary(b) = e {
            let left = &b.left;
            let right = &b.right;
            let op = match b.op {
                BinOp::RemAssign(_) => quote!(%),
                BinOp::BitAndAssign(_) => quote!(&),
                BinOp::BitOrAssign(_) => quote!(|),
                BinOp::BitXorAssign(_) => quote!(^),
                BinOp::ShlAssign(_) => quote!(<<),
                BinOp::ShrAssign(_) => quote!(>>),
                _ => return,
            };
            let value: Expr = syn::parse_quote_spanned!(b.span()=> #left #op (#right));
            self.lower_assign(left, &value);
        }
    }

    /// The root variable and the projections of an assignment target such as `a.0[i]`.
    fn place(&mut self, left: &Expr) -> Option<(Ident, Vec<Proj>)> {
        match left {
            Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
                p.path.get_ident().map(|i| (i.clone(), Vec::new()))
            }
            Expr::Paren(p) => self.place(&p.expr),
            Expr::Field(f) => {
                let syn::Member::Unnamed(index) = &f.member else {
                    self.cx.error_help(
                        f.member.span(),
                        "assignment to a named field is not supported",
                        "use local variables, tuples or arrays",
                    );
                    return None;
                };
                let (root, mut projs) = self.place(&f.base)?;
                projs.push(Proj::Field(index.index as usize));
                Some((root, projs))
            }
            Expr::Index(ix) => {
                let (root, mut projs) = self.place(&ix.expr)?;
                let index = self.lower_expr(&ix.index, Dest::Temp);
                projs.push(Proj::Index(index));
                Some((root, projs))
            }
            other => {
                self.cx.error_help(
                    other.span(),
                    "this assignment target is not supported",
                    "assign to a local variable, a tuple field `t.0` or an array element `a[i]`",
                );
                None
            }
        }
    }

    /// `root.p0.p1 = value` as a chain of functional updates, innermost first.
    fn update_chain(
        &mut self,
        root: Atom,
        projs: &[Proj],
        value: Atom,
        dest: Dest,
        span: Span,
    ) -> Atom {
        let Some((first, rest)) = projs.split_first() else {
            return value;
        };
        let inner_value = if rest.is_empty() {
            value
        } else {
            let inner = self.bind(Rhs::Project(root.clone(), first.clone()), Dest::Temp, span);
            self.update_chain(inner, rest, value, Dest::Temp, span)
        };
        let rhs = Rhs::Update {
            base: root,
            proj: first.clone(),
            value: inner_value,
        };
        self.bind(rhs, dest, span)
    }

    // ----- expressions -----

    /// Binds `rhs` to a new variable (named by `dest`) and returns it.
    fn bind(&mut self, rhs: Rhs, dest: Dest, span: Span) -> Atom {
        let (name, ann) = match dest {
            Dest::Temp => (self.namer.temp(), None),
            Dest::Named(name, ann) => (name, ann),
        };
        let ty = match &ann {
            Some(t) => classify_local(t, self.floats),
            None => self.infer(&rhs),
        };
        let var = self.new_var(name, ty, span);
        self.stmts.push(Stmt::Let {
            var,
            ty: ann,
            rhs,
            span,
        });
        Atom::Var(var)
    }

    fn infer(&self, rhs: &Rhs) -> Ty {
        match rhs {
            Rhs::Use(a) => self.ty_of(a),
            Rhs::Neg(a) => match self.ty_of(a) {
                Ty::Other => Ty::Other,
                _ => Ty::Float,
            },
            Rhs::Arith(_, a, b) => match (self.ty_of(a), self.ty_of(b)) {
                (Ty::Other, Ty::Other) => Ty::Other,
                _ => Ty::Float,
            },
            Rhs::Prim { .. } | Rhs::FloatCast(..) => Ty::Float,
            Rhs::Call { .. } => Ty::Unknown,
            Rhs::Tuple(elems) => Ty::Tuple(elems.iter().map(|a| self.ty_of(a)).collect()),
            Rhs::Array(elems) => Ty::Array(Box::new(
                elems.first().map_or(Ty::Unknown, |a| self.ty_of(a)),
            )),
            Rhs::Project(a, Proj::Field(i)) => self.ty_of(a).component(Some(*i)),
            Rhs::Project(a, Proj::Index(_)) => self.ty_of(a).component(None),
            Rhs::Update { base, .. } => self.ty_of(base),
            Rhs::Opaque { ty, .. } => ty.clone(),
        }
    }

    /// Lowers an expression to an atom, binding its top operation to `dest`.
    fn lower_expr(&mut self, e: &Expr, dest: Dest) -> Atom {
        match e {
            Expr::Paren(p) => return self.lower_expr(&p.expr, dest),
            Expr::Group(g) => return self.lower_expr(&g.expr, dest),
            _ => {}
        }
        if let Some(atom) = self.lower_inactive(e, dest.clone()) {
            return atom;
        }
        let span = e.span();
        match e {
            Expr::Path(p) => match p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                Some(var) => self.copy_to(Atom::Var(var), dest, span),
                None => self.unsupported(
                    e,
                    dest,
                    "this path cannot be differentiated",
                    "use a local variable or a constant",
                ),
            },
            Expr::Paren(p) => self.lower_expr(&p.expr, dest),
            Expr::Group(g) => self.lower_expr(&g.expr, dest),
            Expr::Block(b) if b.label.is_none() => {
                let value = self.lower_block(&b.block);
                self.copy_to(value, dest, span)
            }
            Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => {
                let a = self.lower_expr(&u.expr, Dest::Temp);
                self.bind(Rhs::Neg(a), dest, span)
            }
            Expr::Unary(u) if matches!(u.op, UnOp::Not(_)) => self.opaque(e, dest, None, Ty::Other),
            Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) && self.is_by_ref(&u.expr) => {
                self.lower_expr(&u.expr, dest)
            }
            Expr::Binary(b) => self.lower_binary(b, dest),
            Expr::Assign(a) => {
                self.lower_assign(&a.left, &a.right);
                Self::unit()
            }
            Expr::MethodCall(mc) => self.lower_method(mc, dest),
            Expr::Call(call) => self.lower_call(call, dest),
            Expr::Tuple(t) if t.elems.is_empty() => Self::unit(),
            Expr::Tuple(t) => {
                let elems = t
                    .elems
                    .iter()
                    .map(|e| self.lower_expr(e, Dest::Temp))
                    .collect();
                self.bind(Rhs::Tuple(elems), dest, span)
            }
            Expr::Array(a) => {
                let elems = a
                    .elems
                    .iter()
                    .map(|e| self.lower_expr(e, Dest::Temp))
                    .collect();
                self.bind(Rhs::Array(elems), dest, span)
            }
            Expr::Field(f) => match &f.member {
                syn::Member::Unnamed(index) => {
                    let base = self.lower_expr(&f.base, Dest::Temp);
                    self.bind(
                        Rhs::Project(base, Proj::Field(index.index as usize)),
                        dest,
                        span,
                    )
                }
                syn::Member::Named(_) => self.unsupported(
                    e,
                    dest,
                    "named fields of an active value cannot be differentiated",
                    "use local variables, tuples or arrays",
                ),
            },
            Expr::Index(ix) if !matches!(*ix.index, Expr::Range(_)) => {
                let base = self.lower_expr(&ix.expr, Dest::Temp);
                let index = self.lower_expr(&ix.index, Dest::Temp);
                self.bind(Rhs::Project(base, Proj::Index(index)), dest, span)
            }
            Expr::Cast(c) => self.lower_cast(c, dest),
            Expr::If(i) => {
                if may_diverge(i) {
                    self.cx.error_help(i.span(), "`break`, `continue` or `return` inside an `if` expression is not supported", "write the `if` as a statement");
                    return Self::unit();
                }
                let (value, _) = self.lower_if(i, &[], Mode::Nested, dest);
                value
            }
            Expr::Match(m) => self.lower_match(m, dest),
            Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_) => {
                self.lower_loop_expr(e);
                Self::unit()
            }
            _ => self.lower_unsupported(e, dest),
        }
    }

    /// Lowers `e` as an inactive value when it reads no float-carrying local and assigns no
    /// local: such an expression cannot carry a derivative, so it is kept whole.
    fn lower_inactive(&mut self, e: &Expr, dest: Dest) -> Option<Atom> {
        if let Expr::Path(p) = e {
            if let Some(var) = p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                return (!self.vars[var].ty.carries_floats())
                    .then(|| self.copy_to(Atom::Var(var), dest, e.span()));
            }
        }
        if self.reads_float_values(e) || self.writes_local(e) {
            return None;
        }
        let (tokens, reads) = self.scan(e.to_token_stream());
        let ty = self.guess_ty(e);
        if is_trivial(e) {
            return Some(self.copy_to(Atom::Const(tokens, ty), dest, e.span()));
        }
        let rhs = Rhs::Opaque {
            expr: tokens,
            reads,
            unsupported: None,
            ty,
        };
        Some(self.bind(rhs, dest, e.span()))
    }

    /// An existing atom as the value of `dest`: itself for a temporary, a copy for a name.
    fn copy_to(&mut self, atom: Atom, dest: Dest, span: Span) -> Atom {
        match dest {
            Dest::Temp => atom,
            named => self.bind(Rhs::Use(atom), named, span),
        }
    }

    fn lower_binary(&mut self, b: &syn::ExprBinary, dest: Dest) -> Atom {
        let op = match b.op {
            BinOp::Add(_) => ArithOp::Add,
            BinOp::Sub(_) => ArithOp::Sub,
            BinOp::Mul(_) => ArithOp::Mul,
            BinOp::Div(_) => ArithOp::Div,
            BinOp::Lt(_) | BinOp::Le(_) | BinOp::Gt(_) | BinOp::Ge(_) | BinOp::Eq(_) | BinOp::Ne(_) => {
                return self.opaque(&Expr::Binary(b.clone()), dest, None, Ty::Other);
            }
            _ if compound_op(&b.op).is_some() => {
                self.lower_compound(b);
                return Self::unit();
            }
            BinOp::And(_) | BinOp::Or(_) => {
                return self.opaque(&Expr::Binary(b.clone()), dest, None, Ty::Other);
            }
            BinOp::Rem(_) => return self.unsupported(&Expr::Binary(b.clone()), dest, "`%` of an active value has no derivative rule", "compute the remainder on inactive values, or write it with `trunc`: `a - (a / b).trunc() * b`"),
            _ => return self.unsupported(&Expr::Binary(b.clone()), dest, "this operator cannot be applied to an active value", "use `+`, `-`, `*`, `/` or a method with a derivative rule"),
        };
        let a = self.lower_expr(&b.left, Dest::Temp);
        let c = self.lower_expr(&b.right, Dest::Temp);
        self.bind(Rhs::Arith(op, a, c), dest, b.span())
    }

    fn lower_method(&mut self, mc: &syn::ExprMethodCall, dest: Dest) -> Atom {
        let name = mc.method.to_string();
        let e = Expr::MethodCall(mc.clone());
        if name == "sum" && mc.args.is_empty() {
            if let Some(xs) = iterated_row(&mc.receiver) {
                return self.lower_sum(mc, &xs, dest);
            }
        }
        if mc.turbofish.is_none() {
            if name == "clone" && mc.args.is_empty() {
                let a = self.lower_expr(&mc.receiver, Dest::Temp);
                return self.copy_to(a, dest, mc.span());
            }
            if let Some(prim) = prims::lookup(&name) {
                let receiver = std::iter::once(&*mc.receiver);
                let args: Vec<&Expr> = receiver.chain(mc.args.iter()).collect();
                return self.lower_prim(prim, &args, None, dest, &e);
            }
            if prims::INACTIVE_METHODS.contains(&name.as_str()) {
                return self.opaque(&e, dest, None, Ty::Other);
            }
            // A method of an integer (`(x as i32).pow(2)`) carries no derivative.
            if self.guess_ty(&mc.receiver) == Ty::Other {
                return self.opaque(&e, dest, None, Ty::Unknown);
            }
        }
        self.unsupported(&e, dest, format!("the method `{name}` has no derivative rule"), "use a method listed in the README, or a function with a `_vjp` rule (a `#[differentiable]` fn or a hand-written one)")
    }

    /// `xs.iter().sum::<F>()` (or `let s: F = xs.iter().sum();`) as an accumulation loop.
    fn lower_sum(&mut self, mc: &syn::ExprMethodCall, xs: &Expr, dest: Dest) -> Atom {
        let turbofish = mc.turbofish.as_ref().and_then(|t| {
            t.args.iter().find_map(|a| match a {
                syn::GenericArgument::Type(ty) => Some(ty.clone()),
                _ => None,
            })
        });
        let annotation = match &dest {
            Dest::Named(_, Some(ty)) => Some((**ty).clone()),
            _ => None,
        };
        let Some(ty) = turbofish.or(annotation) else {
            return self.unsupported(
                &Expr::MethodCall(mc.clone()),
                dest,
                "vjp needs the type of this sum",
                "write `xs.iter().sum::<f64>()` or `let s: f64 = xs.iter().sum();`",
            );
        };
        let acc = self.namer.fresh("sum", mc.span());
        let k = self.namer.fresh("i", mc.span());
        let root = self.root;
        let block: Expr = syn::parse_quote_spanned!(mc.span()=> {
            let mut #acc: #ty = <#ty as #root::Real>::zero();
            for #k in 0..#xs.len() {
                #acc += #xs[#k];
            }
            #acc
        });
        self.lower_expr(&block, dest)
    }

    /// A primitive applied to `args` (receiver first); `path` is the `f64::sin` form if the
    /// user wrote it that way.
    fn lower_prim(
        &mut self,
        prim: Prim,
        args: &[&Expr],
        path: Option<TokenStream>,
        dest: Dest,
        e: &Expr,
    ) -> Atom {
        let expected = prim.arity + usize::from(prim.name == "powi");
        if args.len() != expected {
            return self.unsupported(
                e,
                dest,
                format!("`{}` takes {} argument(s) here", prim.name, expected),
                "call it as on `f64`",
            );
        }
        let mut atoms: Vec<Atom> = args
            .iter()
            .map(|a| self.lower_expr(a, Dest::Temp))
            .collect();
        let int_arg = (prim.name == "powi").then(|| atoms.pop()).flatten();
        let rhs = Rhs::Prim {
            prim,
            args: atoms,
            int_arg,
            path,
        };
        self.bind(rhs, dest, e.span())
    }

    fn lower_call(&mut self, call: &syn::ExprCall, dest: Dest) -> Atom {
        let e = Expr::Call(call.clone());
        let Expr::Path(func) = &*call.func else {
            return self.unsupported(
                &e,
                dest,
                "calling this expression cannot be differentiated",
                "call a named function that has a `_vjp` rule",
            );
        };
        let path = &func.path;
        // `<f64>::sin(x)`, `<T as vjp::Real>::exp(x)`
        if let Some(qself) = &func.qself {
            let float = classify_local(&qself.ty, self.floats) == Ty::Float;
            let name = path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            if let (true, Some(prim)) = (float, prims::lookup(&name)) {
                let args: Vec<&Expr> = call.args.iter().collect();
                return self.lower_prim(prim, &args, Some(func.to_token_stream()), dest, &e);
            }
        }
        if func.qself.is_some()
            || path
                .get_ident()
                .is_some_and(|i| self.lookup(&i.to_string()).is_some())
        {
            return self.unsupported(
                &e,
                dest,
                "calling a closure or a local cannot be differentiated",
                "call a named `#[differentiable]` function instead",
            );
        }
        let segments: Vec<&syn::PathSegment> = path.segments.iter().collect();
        if let [.., ty, method] = segments.as_slice() {
            if self.is_float_type_name(&ty.ident) {
                let name = method.ident.to_string();
                if let Some(prim) = prims::lookup(&name) {
                    let args: Vec<&Expr> = call.args.iter().collect();
                    return self.lower_prim(prim, &args, Some(path.to_token_stream()), dest, &e);
                }
                return self.unsupported(
                    &e,
                    dest,
                    format!(
                        "`{}` has no derivative rule",
                        quote!(#path).to_string().replace(' ', "")
                    ),
                    "use a function listed in the README",
                );
            }
        }
        let args = call
            .args
            .iter()
            .map(|a| self.lower_expr(a, Dest::Temp))
            .collect();
        self.bind(
            Rhs::Call {
                path: path.clone(),
                args,
            },
            dest,
            call.span(),
        )
    }

    fn is_float_type_name(&self, ident: &Ident) -> bool {
        ident == "f32" || ident == "f64" || ident == "Real" || self.floats.contains(ident)
    }

    fn lower_cast(&mut self, c: &syn::ExprCast, dest: Dest) -> Atom {
        match classify_local(&c.ty, self.floats) {
            Ty::Float => {
                let a = self.lower_expr(&c.expr, Dest::Temp);
                self.bind(Rhs::FloatCast(a, c.ty.clone()), dest, c.span())
            }
            Ty::Other => self.opaque(&Expr::Cast(c.clone()), dest, None, Ty::Other),
            _ => self.unsupported(
                &Expr::Cast(c.clone()),
                dest,
                "vjp cannot tell whether this cast's target is a float type",
                "cast to `f64`, `f32` or a type parameter bounded by `vjp::Real`",
            ),
        }
    }

    fn lower_unsupported(&mut self, e: &Expr, dest: Dest) -> Atom {
        let (message, help) = match e {
            Expr::Closure(_) => (
                "closures cannot be differentiated",
                "write a `#[differentiable]` fn and call it",
            ),
            Expr::Unsafe(_) => {
                self.cx.error_help(
                    e.span(),
                    "`unsafe` blocks cannot be differentiated",
                    "move the unsafe code into a function with a hand-written `_vjp` rule",
                );
                return Self::unit();
            }
            Expr::Async(_) | Expr::Await(_) => (
                "`async` code cannot be differentiated",
                "differentiate a synchronous function",
            ),
            Expr::Reference(_) => (
                "references to active values are not supported yet",
                "pass the value itself",
            ),
            Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => (
                "dereferencing cannot be differentiated",
                "work with values, not pointers or references",
            ),
            Expr::Macro(_) => (
                "macro invocations cannot take an active value",
                "compute the value outside the macro, with supported expressions",
            ),
            Expr::Repeat(_) => (
                "`[x; N]` with an active `x` is not supported",
                "write the elements out: `[x, x, x]`",
            ),
            Expr::If(_)
            | Expr::Match(_)
            | Expr::While(_)
            | Expr::ForLoop(_)
            | Expr::Loop(_)
            | Expr::Return(_)
            | Expr::Break(_)
            | Expr::Continue(_) => {
                self.cx.error_help(e.span(), "control flow that involves float values is not supported yet", "compute branch-free (for example with `max`, `min`, `clamp`, `abs`), or call a function with a hand-written `_vjp` rule");
                return Self::unit();
            }
            Expr::Try(_) => (
                "`?` cannot be differentiated",
                "handle errors outside the differentiated function",
            ),
            Expr::Struct(_) => (
                "struct literals with active values are not supported",
                "use tuples or arrays",
            ),
            _ => (
                "this expression cannot be differentiated",
                "use the constructs listed in the README",
            ),
        };
        self.unsupported(e, dest, message, help)
    }

    /// An expression that is an error if it reads an active value.
    fn unsupported(
        &mut self,
        e: &Expr,
        dest: Dest,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Atom {
        let at = match e {
            Expr::MethodCall(m) => {
                let (method, turbofish, args) = (&m.method, &m.turbofish, &m.args);
                quote!(#method #turbofish (#args))
            }
            Expr::Binary(b) => b.op.to_token_stream(),
            Expr::Cast(c) => c.ty.to_token_stream(),
            other => other.to_token_stream(),
        };
        let unsupported = Unsupported {
            message: message.into(),
            help: help.into(),
            at,
        };
        self.opaque(e, dest, Some(unsupported), Ty::Unknown)
    }

    fn opaque(&mut self, e: &Expr, dest: Dest, unsupported: Option<Unsupported>, ty: Ty) -> Atom {
        if self.writes_local(e) {
            self.cx.error_help(
                e.span(),
                "this expression assigns to a local variable in a way vjp cannot follow",
                "write the assignment as its own statement",
            );
        }
        let (expr, reads) = self.scan(e.to_token_stream());
        let rhs = Rhs::Opaque {
            expr,
            reads,
            unsupported,
            ty,
        };
        self.bind(rhs, dest, e.span())
    }

    /// `match` on an inactive value, as a chain of `if matches!(..)` over a bound scrutinee.
    fn lower_match(&mut self, m: &syn::ExprMatch, dest: Dest) -> Atom {
        match self.match_stmts(m, false) {
            Some(stmts) => {
                let block: Expr = syn::parse_quote_spanned!(m.span()=> { #(#stmts)* });
                self.lower_expr(&block, dest)
            }
            None => Self::unit(),
        }
    }

    /// `let scrutinee = expr; if matches!(scrutinee, P1) && (guard) { .. } else if .. { .. } else { .. }`.
    /// `None` after reporting an error.
    fn match_stmts(&mut self, m: &syn::ExprMatch, semi: bool) -> Option<Vec<syn::Stmt>> {
        if self.reads_float_values(&m.expr) && self.guess_ty(&m.expr) != Ty::Other {
            self.cx.error_spanned_help(
                &m.expr,
                "`match` on a float value is not supported",
                "compare with `if` / `else if`",
            );
            return None;
        }
        for arm in &m.arms {
            if let Pat::Ident(p) = &arm.pat {
                if p.subpat.is_none() && p.by_ref.is_none() {
                    continue;
                }
            }
            if let Some(binding) = binds_names(&arm.pat) {
                self.cx.error_spanned_help(
                    binding,
                    "a `match` pattern that binds a name is not supported",
                    "match on constants and ranges, and compute the value inside the arm",
                );
                return None;
            }
        }
        let scrutinee = self.namer.fresh("scrutinee", m.expr.span());
        let expr = &m.expr;
        let mut chain: Option<Expr> = None;
        for arm in m.arms.iter().rev() {
            let (pat, body, guard) = match &arm.pat {
                // `n if n < 0 => ..`: `n` names the scrutinee itself.
                Pat::Ident(p)
                    if p.subpat.is_none()
                        && p.by_ref.is_none()
                        && binds_names(&arm.pat).is_some() =>
                {
                    let (name, body) = (&p.ident, &arm.body);
                    let body: Expr =
                        syn::parse_quote_spanned!(arm.span()=> { let #name = #scrutinee; #body });
                    let guard = arm.guard.as_ref().map(|(if_token, g)| {
                        let g: Expr =
                            syn::parse_quote_spanned!(g.span()=> { let #name = #scrutinee; #g });
                        (*if_token, Box::new(g))
                    });
                    (syn::parse_quote!(_), body, guard)
                }
                _ => (arm.pat.clone(), (*arm.body).clone(), arm.guard.clone()),
            };
            // An arm's block becomes the branch itself, so its `break`, `continue` and
            // `return` end the branch.
            let body: syn::Block = match body {
                Expr::Block(b) if b.label.is_none() => b.block,
                other => syn::parse_quote!({ #other }),
            };
            let (pat, body) = (&pat, &body);
            chain = Some(match (chain, &guard) {
                (None, None) => syn::parse_quote_spanned!(arm.span()=> #body),
                (None, Some((_, guard))) => {
                    self.cx.error_spanned_help(
                        guard,
                        "a `match` whose last arm has a guard is not supported",
                        "end the `match` with an arm without guard (`_ => ...`)",
                    );
                    return None;
                }
                (Some(rest), guard) => {
                    let guard = guard.as_ref().map(|(_, g)| quote!(&& (#g)));
                    syn::parse_quote_spanned!(arm.span()=> if ::core::matches!(#scrutinee, #pat) #guard #body else #rest)
                }
            });
        }
        let chain = chain?;
        let semi = semi.then(<syn::Token![;]>::default);
        Some(vec![
            syn::parse_quote_spanned!(m.span()=> let #scrutinee = #expr;),
            syn::Stmt::Expr(chain, semi),
        ])
    }

    /// True when `e` names a variable bound by an iteration over references.
    fn is_by_ref(&self, e: &Expr) -> bool {
        matches!(e, Expr::Path(p) if p.path.get_ident().and_then(|i| self.lookup(&i.to_string())).is_some_and(|v| self.by_ref.contains(&v)))
    }

    /// True when `e` reads the value of a float-carrying local (`xs.len()` reads only a
    /// length, which carries no derivative).
    fn reads_float_values(&self, e: &Expr) -> bool {
        let mut values = Vec::new();
        let mut finder = ValueReads {
            lowerer: self,
            shadowed: Vec::new(),
            out: &mut values,
        };
        syn::visit::Visit::visit_expr(&mut finder, e);
        values.iter().any(|v| self.vars[*v].ty.carries_floats())
    }

    fn value_reads(&self, tokens: TokenStream, out: &mut Vec<VarId>) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        for (k, tree) in trees.iter().enumerate() {
            match tree {
                TokenTree::Ident(ident) if !is_field_or_path(&trees, k) => {
                    let length_only = matches!(trees.get(k + 1), Some(TokenTree::Punct(p)) if p.as_char() == '.')
                        && matches!(trees.get(k + 2), Some(TokenTree::Ident(m)) if m == "len" || m == "is_empty");
                    if let Some(var) = self.lookup(&ident.to_string()) {
                        if !length_only {
                            out.push(var);
                        }
                    }
                }
                TokenTree::Group(g) => self.value_reads(g.stream(), out),
                _ => {}
            }
        }
    }

    // ----- token scanning -----

    /// Renames the locals in `tokens` to their current versions and lists the locals read. Identifiers after `.` (fields, methods) or `::` (paths) are not locals.
    fn scan(&self, tokens: TokenStream) -> (TokenStream, Vec<VarId>) {
        let mut reads = Vec::new();
        let renamed = self.scan_into(tokens, &mut reads, false);
        (renamed, reads)
    }

    fn scan_into(
        &self,
        tokens: TokenStream,
        reads: &mut Vec<VarId>,
        in_macro: bool,
    ) -> TokenStream {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut out: Vec<TokenTree> = Vec::with_capacity(trees.len());
        for (k, tree) in trees.iter().enumerate() {
            let punct_at = |i: Option<usize>, c: char| {
                i.and_then(|i| trees.get(i))
                    .is_some_and(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == c))
            };
            let next = match tree {
                TokenTree::Ident(ident) if !is_field_or_path(&trees, k) => {
                    match self.lookup(&ident.to_string()) {
                        Some(var) => {
                            if !reads.contains(&var) {
                                reads.push(var);
                            }
                            let mut name = self.vars[var].name.clone();
                            name.set_span(ident.span());
                            TokenTree::Ident(name)
                        }
                        None => tree.clone(),
                    }
                }
                TokenTree::Group(group) => {
                    let macro_args = punct_at(k.checked_sub(1), '!')
                        && matches!(
                            k.checked_sub(2).and_then(|i| trees.get(i)),
                            Some(TokenTree::Ident(_))
                        );
                    let mut new = proc_macro2::Group::new(
                        group.delimiter(),
                        self.scan_into(group.stream(), reads, in_macro || macro_args),
                    );
                    new.set_span(group.span());
                    TokenTree::Group(new)
                }
                TokenTree::Literal(lit) if in_macro => {
                    TokenTree::Literal(self.rename_format_args(lit, reads))
                }
                other => other.clone(),
            };
            out.push(next);
        }
        out.into_iter().collect()
    }

    /// In a format string (`"{x}"`, `"{x:.3}"`), a captured local is renamed like any other
    /// read of it, so `println!("{x}")` prints the same version in the generated functions.
    fn rename_format_args(
        &self,
        lit: &proc_macro2::Literal,
        reads: &mut Vec<VarId>,
    ) -> proc_macro2::Literal {
        let text = lit.to_string();
        if !text.starts_with('"') || !text.contains('{') {
            return lit.clone();
        }
        let mut renamed = text.clone();
        let names: std::collections::BTreeSet<&String> =
            self.scopes.iter().flatten().map(|(n, _)| n).collect();
        for name in names {
            let Some(var) = self.lookup(name) else {
                continue;
            };
            let var = &var;
            {
                for close in ['}', ':'] {
                    let from = format!("{{{name}{close}");
                    if renamed.contains(&from) {
                        if !reads.contains(var) {
                            reads.push(*var);
                        }
                        let to = format!("{{{}{close}", self.vars[*var].name);
                        renamed = renamed.replace(&from, &to);
                    }
                }
            }
        }
        match renamed.parse::<proc_macro2::Literal>() {
            Ok(mut new) => {
                new.set_span(lit.span());
                new
            }
            Err(_) => lit.clone(),
        }
    }

    /// True when `e` contains an assignment, a compound assignment or a `&mut` borrow of a
    /// local variable anywhere inside it (such writes would escape SSA renaming).
    fn writes_local(&self, e: &Expr) -> bool {
        struct Finder<'a, 'b> {
            lowerer: &'a Lowerer<'b>,
            found: bool,
        }
        impl<'ast> syn::visit::Visit<'ast> for Finder<'_, '_> {
            fn visit_expr(&mut self, e: &'ast Expr) {
                let target = match e {
                    Expr::Assign(a) => Some(&*a.left),
                    Expr::Binary(b) if compound_op(&b.op).is_some() => Some(&*b.left),
                    Expr::Reference(r) if r.mutability.is_some() => Some(&*r.expr),
                    _ => None,
                };
                if let Some(root) = target.and_then(root_ident) {
                    if self.lowerer.lookup(&root.to_string()).is_some() {
                        self.found = true;
                    }
                }
                syn::visit::visit_expr(self, e);
            }
        }
        let mut finder = Finder {
            lowerer: self,
            found: false,
        };
        syn::visit::Visit::visit_expr(&mut finder, e);
        finder.found
    }

    /// What the macro can tell of an inactive expression's type from its syntax.
    fn guess_ty(&self, e: &Expr) -> Ty {
        match e {
            Expr::Lit(l) => match &l.lit {
                syn::Lit::Float(_) => Ty::Float,
                syn::Lit::Int(i) if i.suffix() == "f32" || i.suffix() == "f64" => Ty::Float,
                _ => Ty::Other,
            },
            Expr::Cast(c) => classify(&c.ty, self.floats),
            Expr::Paren(p) => self.guess_ty(&p.expr),
            Expr::Group(g) => self.guess_ty(&g.expr),
            Expr::Unary(u) => self.guess_ty(&u.expr),
            // Arithmetic needs operands of one type: an integer operand makes an integer.
            Expr::Binary(b) => match (self.guess_ty(&b.left), self.guess_ty(&b.right)) {
                (Ty::Float, _) | (_, Ty::Float) => Ty::Float,
                (Ty::Other, _) | (_, Ty::Other) => Ty::Other,
                _ => Ty::Unknown,
            },
            Expr::Path(p) => {
                if let Some(var) = p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                    return self.vars[var].ty.clone();
                }
                let segs: Vec<String> = p
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                let float_prefix = p
                    .path
                    .segments
                    .iter()
                    .rev()
                    .nth(1)
                    .is_some_and(|s| self.is_float_type_name(&s.ident));
                if segs.iter().any(|s| s == "consts") || float_prefix {
                    Ty::Float
                } else {
                    Ty::Unknown
                }
            }
            Expr::Call(c) => match &*c.func {
                Expr::Path(p) if p.path.segments.len() >= 2 => {
                    let float_prefix = p
                        .path
                        .segments
                        .iter()
                        .rev()
                        .nth(1)
                        .is_some_and(|s| self.is_float_type_name(&s.ident));
                    if float_prefix {
                        Ty::Float
                    } else {
                        Ty::Unknown
                    }
                }
                _ => Ty::Unknown,
            },
            Expr::MethodCall(mc)
                if prims::INACTIVE_METHODS.contains(&mc.method.to_string().as_str()) =>
            {
                Ty::Other
            }
            _ => Ty::Unknown,
        }
    }
}

/// True when `e` contains a `break`, `continue` or `return` outside nested loops and
/// closures: the statements after it then run on some paths only, so they are moved into the
/// branches (and every path through a loop body ends at a `break` or `continue`).
fn may_diverge<T: Visitable>(e: &T) -> bool {
    struct Finder {
        found: bool,
        in_loop: bool,
    }
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_expr(&mut self, e: &'ast Expr) {
            match e {
                // A `return` inside a loop leaves the loop, and the function, too.
                Expr::Return(_) => self.found = true,
                Expr::Break(_) | Expr::Continue(_) if !self.in_loop => self.found = true,
                Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_) => {
                    let outer = std::mem::replace(&mut self.in_loop, true);
                    syn::visit::visit_expr(self, e);
                    self.in_loop = outer;
                }
                Expr::Closure(_) | Expr::Async(_) => {}
                _ => syn::visit::visit_expr(self, e),
            }
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = Finder {
        found: false,
        in_loop: false,
    };
    e.visit(&mut finder);
    finder.found
}

/// Syntax that [`may_diverge`] can look into.
trait Visitable {
    fn visit<'ast, V: syn::visit::Visit<'ast>>(&'ast self, v: &mut V);
}

impl Visitable for syn::Stmt {
    fn visit<'ast, V: syn::visit::Visit<'ast>>(&'ast self, v: &mut V) {
        v.visit_stmt(self);
    }
}

impl Visitable for syn::ExprIf {
    fn visit<'ast, V: syn::visit::Visit<'ast>>(&'ast self, v: &mut V) {
        v.visit_expr_if(self);
    }
}

/// True when the identifier at `trees[k]` is not a local: a field or method after `.` (but
/// not after the range `..`), a segment after `::`, or a name before `:` (a struct literal's
/// field, a typed binding, a path prefix).
fn is_field_or_path(trees: &[TokenTree], k: usize) -> bool {
    let punct_at = |i: Option<usize>, c: char| {
        i.and_then(|i| trees.get(i))
            .is_some_and(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == c))
    };
    let after_dot = punct_at(k.checked_sub(1), '.') && !punct_at(k.checked_sub(2), '.');
    let after_path = punct_at(k.checked_sub(1), ':') && punct_at(k.checked_sub(2), ':');
    let before_colon = punct_at(Some(k + 1), ':');
    after_dot || after_path || before_colon
}

/// The locals whose values an expression reads: like the token scan, but a closure's own
/// parameters hide the locals of the same name inside its body.
struct ValueReads<'a, 'b> {
    lowerer: &'a Lowerer<'b>,
    shadowed: Vec<String>,
    out: &'a mut Vec<VarId>,
}

impl<'ast> syn::visit::Visit<'ast> for ValueReads<'_, '_> {
    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        if let Some(ident) = p.path.get_ident() {
            let name = unraw(&ident.to_string()).to_string();
            if !self.shadowed.contains(&name) {
                if let Some(var) = self.lowerer.lookup(&name) {
                    self.out.push(var);
                }
            }
        }
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        // `xs.len()` reads a length, not values.
        let length =
            (m.method == "len" || m.method == "is_empty") && matches!(&*m.receiver, Expr::Path(_));
        if !length {
            self.visit_expr(&m.receiver);
        }
        for arg in &m.args {
            self.visit_expr(arg);
        }
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        let before = self.shadowed.len();
        for input in &c.inputs {
            collect_pattern_names(input, &mut self.shadowed);
        }
        self.visit_expr(&c.body);
        self.shadowed.truncate(before);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.lowerer.value_reads(mac.tokens.clone(), self.out);
    }

    fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
        for field in &s.fields {
            self.visit_expr(&field.expr);
        }
        if let Some(rest) = &s.rest {
            self.visit_expr(rest);
        }
    }
}

/// The names a pattern binds.
fn collect_pattern_names(pat: &Pat, out: &mut Vec<String>) {
    struct Names<'a>(&'a mut Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Names<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(unraw(&p.ident.to_string()).to_string());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    syn::visit::Visit::visit_pat(&mut Names(out), pat);
}

/// True when `e` contains a `return` (not inside a closure).
fn contains_return(e: &Expr) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_expr(&mut self, e: &'ast Expr) {
            match e {
                Expr::Return(_) => self.0 = true,
                Expr::Closure(_) | Expr::Async(_) => {}
                _ => syn::visit::visit_expr(self, e),
            }
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_expr(&mut finder, e);
    finder.0
}

/// Rewrites `return e` inside loops as `{ value = e; flag = true; break; }`, and follows each
/// nested loop that returns with `if flag { break; }`.
struct ReturnLifter<'a> {
    value: &'a Ident,
    flag: &'a Ident,
    /// A loop in expression position that returns (not supported).
    unsupported: Option<TokenStream>,
}

impl syn::visit_mut::VisitMut for ReturnLifter<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        match e {
            Expr::Return(r) => {
                let (value, flag) = (self.value, self.flag);
                let returned = r.expr.clone();
                *e = syn::parse_quote_spanned!(r.span()=> { #value = #returned; #flag = true; break; });
            }
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Block(b) => self.visit_block_mut(&mut b.block),
            Expr::Loop(l) => self.visit_block_mut(&mut l.body),
            Expr::While(w) => self.visit_block_mut(&mut w.body),
            Expr::ForLoop(f) => self.visit_block_mut(&mut f.body),
            other => {
                // Any other loop found below here sits in expression position.
                let mut nested = NestedLoopFinder(None);
                syn::visit::Visit::visit_expr(&mut nested, other);
                if let Some(at) = nested.0 {
                    self.unsupported.get_or_insert(at);
                    return;
                }
                syn::visit_mut::visit_expr_mut(self, other);
            }
        }
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let mut stmts = Vec::new();
        for mut stmt in std::mem::take(&mut block.stmts) {
            // A `return` statement becomes three statements of this block, so its `break`
            // ends the branch it is in.
            if let syn::Stmt::Expr(Expr::Return(r), _) = &stmt {
                let (value, flag) = (self.value, self.flag);
                let returned = r.expr.clone();
                stmts.push(syn::parse_quote_spanned!(r.span()=> #value = #returned;));
                stmts.push(syn::parse_quote_spanned!(r.span()=> #flag = true;));
                stmts.push(syn::parse_quote_spanned!(r.span()=> break;));
                continue;
            }
            let nested_loop = matches!(&stmt, syn::Stmt::Expr(e @ (Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_)), _) if contains_return(e));
            match &mut stmt {
                syn::Stmt::Expr(e, _) => self.visit_expr_mut(e),
                syn::Stmt::Local(l) => {
                    if let Some(init) = &mut l.init {
                        self.visit_expr_mut(&mut init.expr);
                    }
                }
                _ => {}
            }
            stmts.push(stmt);
            if nested_loop {
                let flag = self.flag;
                stmts.push(syn::parse_quote!(if #flag { break; }));
            }
        }
        block.stmts = stmts;
    }
}

/// True when `stmt` contains, inside a nested loop, a `break 'name` or `continue 'name`.
fn nested_jump_to(stmt: &syn::Stmt, name: &str) -> bool {
    struct Finder<'a> {
        name: &'a str,
        depth: usize,
        found: bool,
    }
    impl<'ast> syn::visit::Visit<'ast> for Finder<'_> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            let target = match e {
                Expr::Break(b) => b.label.as_ref(),
                Expr::Continue(c) => c.label.as_ref(),
                _ => None,
            };
            if self.depth > 0 && target.is_some_and(|l| l.ident == self.name) {
                self.found = true;
            }
            match e {
                Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_) => {
                    self.depth += 1;
                    syn::visit::visit_expr(self, e);
                    self.depth -= 1;
                }
                Expr::Closure(_) => {}
                _ => syn::visit::visit_expr(self, e),
            }
        }
    }
    let mut finder = Finder {
        name,
        depth: 0,
        found: false,
    };
    syn::visit::Visit::visit_stmt(&mut finder, stmt);
    finder.found
}

/// Rewrites `break 'label` / `continue 'label` in loops nested in the labelled one (see
/// `lower_labeled_loop`).
struct JumpLifter<'a> {
    label: &'a str,
    brk: &'a Ident,
    cont: &'a Ident,
    /// How many loops deep inside the labelled loop's body.
    depth: usize,
}

impl syn::visit_mut::VisitMut for JumpLifter<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        let flag = match e {
            Expr::Break(b)
                if self.depth > 0 && b.label.as_ref().is_some_and(|l| l.ident == self.label) =>
            {
                Some(self.brk)
            }
            Expr::Continue(c)
                if self.depth > 0 && c.label.as_ref().is_some_and(|l| l.ident == self.label) =>
            {
                Some(self.cont)
            }
            _ => None,
        };
        if let Some(flag) = flag {
            // In expression position (a `match` arm without braces).
            *e = syn::parse_quote!({ #flag = true; break; });
            return;
        }
        match e {
            Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_) => {
                self.depth += 1;
                syn::visit_mut::visit_expr_mut(self, e);
                self.depth -= 1;
            }
            Expr::Closure(_) => {}
            _ => syn::visit_mut::visit_expr_mut(self, e),
        }
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let (brk, cont) = (self.brk, self.cont);
        let mut stmts = Vec::new();
        for mut stmt in std::mem::take(&mut block.stmts) {
            let jump = match &stmt {
                syn::Stmt::Expr(Expr::Break(b), _)
                    if self.depth > 0
                        && b.label.as_ref().is_some_and(|l| l.ident == self.label) =>
                {
                    Some(brk)
                }
                syn::Stmt::Expr(Expr::Continue(c), _)
                    if self.depth > 0
                        && c.label.as_ref().is_some_and(|l| l.ident == self.label) =>
                {
                    Some(cont)
                }
                _ => None,
            };
            if let Some(flag) = jump {
                stmts.push(syn::parse_quote!(#flag = true;));
                stmts.push(syn::parse_quote!(break;));
                continue;
            }
            let nested = matches!(
                &stmt,
                syn::Stmt::Expr(Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_), _)
            ) && nested_jump_to(
                &syn::Stmt::Expr(syn::parse_quote!(loop { #stmt }), None),
                self.label,
            );
            syn::visit_mut::visit_stmt_mut(self, &mut stmt);
            stmts.push(stmt);
            if nested {
                if self.depth == 0 {
                    stmts.push(syn::parse_quote!(if #brk { break; }));
                    stmts.push(syn::parse_quote!(if #cont { #cont = false; continue; }));
                } else {
                    stmts.push(syn::parse_quote!(if #brk || #cont { break; }));
                }
            }
        }
        block.stmts = stmts;
    }
}

/// Finds a loop that contains a `return`.
struct NestedLoopFinder(Option<TokenStream>);

impl<'ast> syn::visit::Visit<'ast> for NestedLoopFinder {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_) if contains_return(e) => {
                self.0.get_or_insert_with(|| e.to_token_stream());
            }
            Expr::Closure(_) => {}
            _ => syn::visit::visit_expr(self, e),
        }
    }
}

/// The first name a pattern binds (`x`, `Some(v)`), if any; capitalised identifiers are taken
/// for constants and unit variants.
fn binds_names(pat: &Pat) -> Option<&Ident> {
    struct Finder<'a>(Option<&'a Ident>);
    impl<'ast> syn::visit::Visit<'ast> for Finder<'ast> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            let lowercase = p
                .ident
                .to_string()
                .trim_start_matches("r#")
                .starts_with(|c: char| c.is_lowercase() || c == '_');
            if lowercase && self.0.is_none() {
                self.0 = Some(&p.ident);
            }
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut finder = Finder(None);
    syn::visit::Visit::visit_pat(&mut finder, pat);
    finder.0
}

/// A range (`a..b`, `(a..b).rev()`, `(a..=b).step_by(k)`): floats have no ranges to iterate,
/// so its bounds are integers whatever the macro can tell of their types.
fn is_integer_range(e: &Expr) -> bool {
    match e {
        Expr::Range(_) => true,
        Expr::Paren(p) => is_integer_range(&p.expr),
        Expr::MethodCall(m) if m.method == "rev" || m.method == "step_by" => {
            is_integer_range(&m.receiver)
        }
        _ => false,
    }
}

/// `xs` in `xs.iter()`, `xs.iter().copied()`, `xs.iter().cloned()`.
fn iterated_row(e: &Expr) -> Option<Expr> {
    match e {
        Expr::MethodCall(m)
            if (m.method == "copied" || m.method == "cloned") && m.args.is_empty() =>
        {
            iterated_row(&m.receiver)
        }
        Expr::MethodCall(m) if m.method == "iter" && m.args.is_empty() => {
            Some((*m.receiver).clone())
        }
        _ => None,
    }
}

/// A name without its `r#` prefix: `r#x` and `x` are the same variable.
fn unraw(name: &str) -> &str {
    name.strip_prefix("r#").unwrap_or(name)
}

fn is_unit(atom: &Atom) -> bool {
    matches!(atom, Atom::Const(tokens, _) if tokens.to_string() == "()")
}

/// The local variables that `stmt` assigns (roots of `x = ..`, `x.0 += ..`, `&mut x`).
fn assigned_roots(stmt: &syn::Stmt, out: &mut Vec<String>) {
    struct Finder<'a>(&'a mut Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Finder<'_> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            let target = match e {
                Expr::Assign(a) => Some(&*a.left),
                Expr::Binary(b) if compound_op(&b.op).is_some() => Some(&*b.left),
                Expr::Reference(r) if r.mutability.is_some() => Some(&*r.expr),
                _ => None,
            };
            let mut targets: Vec<&Expr> = target.into_iter().collect();
            // `(a, b) = ..` assigns each element.
            while let Some(t) = targets.pop() {
                match t {
                    Expr::Tuple(tuple) => targets.extend(tuple.elems.iter()),
                    Expr::Array(array) => targets.extend(array.elems.iter()),
                    Expr::Paren(p) => targets.push(&p.expr),
                    other => {
                        if let Some(root) = root_ident(other) {
                            let name = root.to_string();
                            if !self.0.contains(&name) {
                                self.0.push(name);
                            }
                        }
                    }
                }
            }
            syn::visit::visit_expr(self, e);
        }
    }
    syn::visit::Visit::visit_stmt(&mut Finder(out), stmt);
}

/// A literal, a path or a negated literal: cheap and pure, so it may be repeated where used.
fn is_trivial(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) | Expr::Path(_) => true,
        Expr::Paren(p) => is_trivial(&p.expr),
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => matches!(&*u.expr, Expr::Lit(_)),
        _ => false,
    }
}

/// The local variable at the root of a place expression such as `a.0[i]`.
fn root_ident(e: &Expr) -> Option<&Ident> {
    match e {
        Expr::Path(p) => p.path.get_ident(),
        Expr::Field(f) => root_ident(&f.base),
        Expr::Index(i) => root_ident(&i.expr),
        Expr::Paren(p) => root_ident(&p.expr),
        _ => None,
    }
}

enum CompoundOp {
    Add,
    Sub,
    Mul,
    Div,
    Other,
}

fn compound_op(op: &BinOp) -> Option<CompoundOp> {
    Some(match op {
        BinOp::AddAssign(_) => CompoundOp::Add,
        BinOp::SubAssign(_) => CompoundOp::Sub,
        BinOp::MulAssign(_) => CompoundOp::Mul,
        BinOp::DivAssign(_) => CompoundOp::Div,
        BinOp::RemAssign(_)
        | BinOp::BitAndAssign(_)
        | BinOp::BitOrAssign(_)
        | BinOp::BitXorAssign(_)
        | BinOp::ShlAssign(_)
        | BinOp::ShrAssign(_) => CompoundOp::Other,
        _ => return None,
    })
}

/// Variables of unknown type (call results) that are used as operands of arithmetic or of a
/// primitive are floats.
fn refine_types(body: &mut Body) {
    let mut floats = Vec::new();
    body.block.walk(&mut |stmt| {
        if let Stmt::Let { rhs, .. } = stmt {
            let operands: Vec<&Atom> = match rhs {
                Rhs::Neg(a) => vec![a],
                Rhs::Arith(_, a, b) => vec![a, b],
                Rhs::Prim { args, .. } => args.iter().collect(),
                _ => vec![],
            };
            floats.extend(operands.into_iter().filter_map(Body::atom_var));
        }
    });
    for v in floats {
        if body.vars[v].ty == Ty::Unknown {
            body.vars[v].ty = Ty::Float;
        }
    }
}
