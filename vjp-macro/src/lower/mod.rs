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

mod assign;
mod closures;
mod control;
mod expr;
mod in_place;
mod reduce;
mod scan;
mod windows;

use assign::*;
use control::*;
use scan::*;

/// Macros that print or assert: as statements they may read active values, and they declare
/// no item.
pub const HARMLESS_MACROS: [&str; 11] = [
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
        no_floats: Vec::new(),
        floats: &model.float_params,
        namer,
        vars: Vec::new(),
        scopes: vec![Vec::new()],
        stmts: Vec::new(),
        loops: Vec::new(),
        blocks: 1,
        loop_ids: 0,
        marks: Vec::new(),
        closures: Vec::new(),
        elements: Vec::new(),
        vec_params: Vec::new(),
        changed_in_place: Vec::new(),
        owning: std::collections::HashSet::new(),
    };
    lowerer.changed_in_place = in_place::check(&model.item, cx);
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
        versions: lowerer.namer.versions().clone(),
        owning: lowerer.owning,
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
    /// The method calls already reported as changing a local in place (see
    /// [`in_place::check`]), by their method's span: not reported again as having no rule.
    changed_in_place: Vec<String>,
    /// Fresh names that `match` lowering binds (see `match_stmts`) to values that carry no
    /// derivative: the scrutinee and the parts its arms take out of it. Their variables are
    /// typed as such when their `let` is lowered, so that what reads them is kept whole and a
    /// part is known to be an integer, not a float.
    no_floats: Vec<String>,
    /// See [`Body::owning`].
    owning: std::collections::HashSet<String>,
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
    /// Scope marks: (scope index, entries kept) for each `__vjp_scope_end!(n)` marker.
    marks: Vec<(usize, usize)>,
    /// Closures bound to locals, inlined at their calls.
    closures: Vec<closures::ClosureDef>,
    /// The element type of each float slice, `Vec` or array parameter, as written.
    elements: Vec<(VarId, Type)>,
    /// The parameters of type `&Vec<..>`, whose `clone()` is a `Vec` (as `to_vec()`).
    vec_params: Vec<VarId>,
}

/// `T` of `&[T]`, `&Vec<T>`, `&[T; N]` and `[T; N]`.
fn element_type(ty: &Type) -> Option<Type> {
    match ty {
        Type::Reference(r) => element_type(&r.elem),
        Type::Slice(s) => Some((*s.elem).clone()),
        Type::Array(a) => Some((*a.elem).clone()),
        Type::Path(p) => {
            let last = p.path.segments.last()?;
            match (&last.arguments, last.ident == "Vec") {
                (syn::PathArguments::AngleBracketed(args), true) => match args.args.first()? {
                    syn::GenericArgument::Type(t) => Some(t.clone()),
                    _ => None,
                },
                _ => None,
            }
        }
        Type::Paren(p) => element_type(&p.elem),
        _ => None,
    }
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
            let var = self.new_var(name, p.class.clone());
            if let Some(ident) = &p.ident {
                self.scope_insert(ident.to_string(), var);
            }
            if let Some(elem) = element_type(&p.ty).filter(|_| p.class.carries_floats()) {
                self.elements.push((var, elem));
            }
            let vec_ref = matches!(&p.ty, Type::Reference(r) if matches!(&*r.elem,
                Type::Path(t) if t.path.segments.last().is_some_and(|s| s.ident == "Vec")));
            if vec_ref {
                self.vec_params.push(var);
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

    /// A new variable; `name` carries the span of the user's tokens it stands for.
    fn new_var(&mut self, name: Ident, ty: Ty) -> VarId {
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
                syn::Stmt::Macro(m) if m.mac.path.is_ident("__vjp_scope_end") => {
                    self.end_scope(&m.mac)
                }
                // A block statement that jumps: its statements join this list, and a marker
                // ends their scope, so a `break` in it ends the path like any other.
                syn::Stmt::Expr(Expr::Block(b), semi)
                    if b.label.is_none()
                        && (semi.is_some() || !last)
                        && b.block.stmts.iter().any(may_diverge) =>
                {
                    let mark = self.marks.len();
                    let scope = self.scopes.len() - 1;
                    self.marks.push((scope, self.scopes[scope].len()));
                    let mut spliced = b.block.stmts.clone();
                    spliced.push(syn::parse_quote!(__vjp_scope_end!(#mark);));
                    spliced.extend(rest.iter().cloned());
                    return self.lower_stmts(&spliced, mode);
                }
                syn::Stmt::Local(local) => self.lower_local(local),
                syn::Stmt::Item(item) => self.effect(item.to_token_stream(), None),
                syn::Stmt::Macro(m) => self.lower_macro_stmt(&m.mac),
                // `if let P = e { .. } else { .. }` is `match e { P => { .. }, _ => { .. } }`.
                syn::Stmt::Expr(Expr::If(e @ syn::ExprIf { cond, .. }), semi)
                    if matches!(**cond, Expr::Let(_)) =>
                {
                    let Expr::Let(l) = &**cond else { continue };
                    let m = if_let_as_match(e, l);
                    let mut spliced = vec![syn::Stmt::Expr(Expr::Match(m), *semi)];
                    spliced.extend(rest.iter().cloned());
                    return self.lower_stmts(&spliced, mode);
                }
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

    /// A marker placed by `lower_branch`: hides the bindings made since its mark (in the marked
    /// scope and in every scope opened after it).
    fn end_scope(&mut self, mac: &syn::Macro) {
        let Ok(n) =
            syn::parse2::<syn::LitInt>(mac.tokens.clone()).and_then(|l| l.base10_parse::<usize>())
        else {
            return;
        };
        let Some(&(k, len)) = self.marks.get(n) else {
            return;
        };
        if let Some(scope) = self.scopes.get_mut(k) {
            scope.truncate(len);
        }
        for scope in self.scopes.iter_mut().skip(k + 1) {
            scope.clear();
        }
    }

    /// Where the value of a final `if` goes: `y` when it is the function's result.
    fn tail_dest(&mut self, mode: Mode) -> Dest {
        if mode == Mode::Returning {
            Dest::Named(self.namer.fresh("y", Span::call_site()), None)
        } else {
            Dest::Temp
        }
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
        // A `sum()`, `product()` or `collect()` returned as it is has the return type, as
        // Rust infers it.
        let typed = matches!(e, Expr::MethodCall(m)
            if m.turbofish.is_none() && ["sum", "product", "collect"].contains(&m.method.to_string().as_str()));
        let ann = typed.then(|| Box::new(self.ret_ty.clone()));
        self.lower_expr(e, Dest::Named(y, ann))
    }

    fn effect(&mut self, tokens: TokenStream, unsupported: Option<Unsupported>) {
        let (tokens, _) = self.scan(tokens);
        self.stmts.push(Stmt::Effect {
            tokens,
            unsupported,
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
                let var = self.new_var(name, Ty::Unknown);
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
                if ann.is_none() && self.lower_closure_let(&p.ident, init) {
                    return;
                }
                let name = self.namer.user(&p.ident.to_string(), p.ident.span());
                let atom = self.lower_expr(init, Dest::Named(name, ann));
                if let Some(at) = self.pending_by_ref.iter().position(|n| p.ident == n) {
                    self.pending_by_ref.remove(at);
                    if let Atom::Var(v) = atom {
                        self.by_ref.push(v);
                    }
                }
                if let (true, Atom::Var(v)) = (self.no_floats.iter().any(|n| p.ident == n), &atom) {
                    self.vars[*v].ty = Ty::Other;
                }
                self.bind_name(&p.ident, atom);
            }
            Pat::Wild(_) => self.lower_stmt_expr(init),
            Pat::Tuple(_) | Pat::Slice(_) => {
                // `let (t, y): (f64, f64) = ..`: the annotation types the parts too.
                let dest = match ann {
                    Some(ty) => Dest::Named(self.namer.fresh("parts", pat.span()), Some(ty)),
                    None => Dest::Temp,
                };
                let atom = self.lower_expr(init, dest);
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
                let var = self.new_var(name, ty);
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
            let var = self.new_var(name, ty);
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
            Expr::Macro(m) => self.lower_macro_stmt(&m.mac),
            Expr::Paren(p) => self.lower_stmt_expr(&p.expr),
            _ => {
                if !self.reads_float_values(e) && !self.writes_local(e) {
                    self.effect(quote!(#e;), None);
                } else {
                    self.lower_expr(e, Dest::Temp);
                }
            }
        }
    }

    fn lower_macro_stmt(&mut self, mac: &syn::Macro) {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let harmless = HARMLESS_MACROS;
        let mut reads = Vec::new();
        self.value_reads(mac.tokens.clone(), &mut reads);
        let unsupported = (!harmless.contains(&name.as_str())).then(|| Unsupported {
            at: mac.to_token_stream(),
            reads,
            message: format!("the macro `{name}!` cannot take an active value"),
            help: "compute the value outside the macro; printing and assertion macros (`println!`, `assert!`, ...) are allowed".into(),
        });
        self.effect(quote!(#mac;), unsupported);
    }

    // ----- assignments -----
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
