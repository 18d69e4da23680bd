//! Forward mode: `NAME_jvp`, one sweep that computes each active value together with its
//! tangent, from the same IR and the same derivative rules as the reverse sweep.
//!
//! ```text
//! // primal             // tangent, right after it
//! let t0 = x * y;       let dot_t0 = dot_x * y + x * dot_y;
//! let z = t0.sin();     let dot_z = ::vjp::rules::sin(t0, z) * dot_t0;
//! ```
//!
//! Control flow needs no tape in forward mode: a branch carries the tangents of its results
//! out with the primal values, and a loop's slots get tangent slots next to them.

use crate::activity::Activity;
use crate::forward::{atom, proj, tuple_or_single};
use crate::ir::{ArithOp, Atom, Block, Body, Loop, LoopKind, Phi, Rhs, Stmt, Term, Ty, VarId};
use crate::naming::Namer;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

/// The body of `NAME_jvp`: statements, then `(output, tangent of the output)`.
pub fn tangent_sweep(
    body: &Body,
    activity: &Activity,
    namer: &mut Namer,
    root: &syn::Path,
) -> (TokenStream, Vec<Option<Ident>>) {
    let mut dots = vec![None; body.vars.len()];
    for p in body.params.iter().filter(|p| p.active) {
        let name = namer.fresh(&format!("dot_{}", body.vars[p.var].name), Span::call_site());
        dots[p.var] = Some(name);
    }
    let mut sweep = Tangents {
        body,
        activity,
        namer,
        root,
        dots,
    };
    let code = sweep.block(&body.block);
    let ret = atom(body, &body.ret);
    let dot_ret = sweep.dot(&body.ret);
    (quote!(#code (#ret, #dot_ret)), sweep.dots)
}

struct Tangents<'a> {
    body: &'a Body,
    activity: &'a Activity,
    namer: &'a mut Namer,
    root: &'a syn::Path,
    dots: Vec<Option<Ident>>,
}

impl Tangents<'_> {
    /// Variables with a tangent: those that depend on an active parameter and reach the output.
    fn has_dot(&self, v: VarId) -> bool {
        self.activity.active(v)
    }

    fn dot_name(&mut self, v: VarId) -> Ident {
        if let Some(name) = &self.dots[v] {
            return name.clone();
        }
        let name = self.namer.fresh(
            &format!("dot_{}", self.body.vars[v].name),
            Span::call_site(),
        );
        self.dots[v] = Some(name.clone());
        name
    }

    /// The tangent of an atom: its `dot_` variable, or zero of its type.
    fn dot(&mut self, a: &Atom) -> TokenStream {
        match a {
            Atom::Var(v) if self.has_dot(*v) => {
                let name = self.dot_name(*v);
                quote!(#name)
            }
            other => {
                let (root, primal) = (self.root, atom(self.body, other));
                quote!(#root::zero_like(&#primal))
            }
        }
    }

    /// The tangent of an atom if it has one.
    fn dot_opt(&mut self, a: &Atom) -> Option<TokenStream> {
        match a {
            Atom::Var(v) if self.has_dot(*v) => {
                let name = self.dot_name(*v);
                Some(quote!(#name))
            }
            _ => None,
        }
    }

    fn block(&mut self, block: &Block) -> TokenStream {
        let mut out = self.stmts(block);
        out.extend(match block.term {
            Term::Break => quote!(break;),
            Term::Continue => quote!(continue;),
            Term::Fall | Term::Diverge => TokenStream::new(),
        });
        out
    }

    fn stmts(&mut self, block: &Block) -> TokenStream {
        let mut out = TokenStream::new();
        for stmt in &block.stmts {
            out.extend(self.stmt(stmt));
        }
        out
    }

    fn stmt(&mut self, stmt: &Stmt) -> TokenStream {
        match stmt {
            Stmt::Let { var, ty, rhs, span } => self.let_stmt(*var, ty.as_deref(), rhs, *span),
            Stmt::Effect { tokens, .. } => tokens.clone(),
            Stmt::WriteBack { slot, value } => {
                let name = &self.body.vars[*slot].name;
                let primal = atom(self.body, value);
                if self.has_dot(*slot) {
                    let dot_slot = self.dot_name(*slot);
                    let dot_value = self.dot(value);
                    quote!(#name = #primal; #dot_slot = #dot_value;)
                } else {
                    quote!(#name = #primal;)
                }
            }
            Stmt::If {
                cond,
                then,
                els,
                phis,
            } => self.if_stmt(cond, then, els, phis),
            Stmt::Loop(l) => self.loop_stmt(l),
        }
    }

    fn let_stmt(
        &mut self,
        var: VarId,
        ty: Option<&syn::Type>,
        rhs: &Rhs,
        span: Span,
    ) -> TokenStream {
        let name = self.body.vars[var].name.clone();
        let annotation = ty.map(|t| quote!(: #t));
        if let (Rhs::Call { path, args }, true) = (rhs, self.has_dot(var)) {
            return self.call(var, path, args, span);
        }
        let primal = crate::forward::rhs_tokens(self.body, rhs);
        let primal = quote_spanned!(span=> let #name #annotation = #primal;);
        if !self.has_dot(var) {
            return primal;
        }
        let dot_value = self.rule(var, rhs);
        let dot = self.dot_name(var);
        if let Rhs::Update { .. } = rhs {
            // The primal update moves its aggregate, which the tangent may still read.
            return quote!(let #dot = #dot_value; #primal);
        }
        quote!(#primal let #dot = #dot_value;)
    }

    /// The tangent of `var = rhs`: the sum of partial derivative × operand tangent.
    fn rule(&mut self, var: VarId, rhs: &Rhs) -> TokenStream {
        let root = self.root;
        let y = self.body.vars[var].name.clone();
        match rhs {
            Rhs::Use(a) => self.dot(a),
            Rhs::Neg(a) => {
                let d = self.dot(a);
                quote!(-#d)
            }
            Rhs::Arith(op @ (ArithOp::Add | ArithOp::Sub), a, b) => {
                match (self.dot_opt(a), self.dot_opt(b), op) {
                    (Some(da), Some(db), ArithOp::Add) => quote!(#da + #db),
                    (Some(da), Some(db), _) => quote!(#da - #db),
                    (Some(da), None, _) => da,
                    (None, Some(db), ArithOp::Add) => db,
                    (None, Some(db), _) => quote!(-#db),
                    (None, None, _) => self.dot(&Atom::Var(var)),
                }
            }
            Rhs::Arith(ArithOp::Mul, a, b) => {
                let (ta, tb) = (atom(self.body, a), atom(self.body, b));
                let terms: Vec<TokenStream> = [(self.dot_opt(a), tb), (self.dot_opt(b), ta)]
                    .into_iter()
                    .filter_map(|(d, other)| d.map(|d| quote!(#d * #other)))
                    .collect();
                quote!(#(#terms)+*)
            }
            Rhs::Arith(ArithOp::Div, a, b) => {
                self.partials(&y, "div", &[a.clone(), b.clone()], None)
            }
            Rhs::Prim {
                prim,
                args,
                int_arg,
                ..
            } => self.partials(&y, prim.name, args, int_arg.as_ref()),
            Rhs::Tuple(elems) => {
                let dots: Vec<TokenStream> = elems.iter().map(|e| self.dot(e)).collect();
                quote!((#(#dots,)*))
            }
            Rhs::Array(elems) => {
                let dots: Vec<TokenStream> = elems.iter().map(|e| self.dot(e)).collect();
                quote!([#(#dots),*])
            }
            Rhs::Project(a, p) => {
                let d = self.dot(a);
                let p = proj(self.body, p);
                quote!(#d #p)
            }
            Rhs::Update {
                base,
                proj: p,
                value,
            } => {
                let (db, dv, p) = (self.dot(base), self.dot(value), proj(self.body, p));
                crate::forward::update_tokens(db, p, dv)
            }
            Rhs::FloatCast(a, _) => {
                let d = self.dot(a);
                quote!(#root::cast_like(&#y, #d))
            }
            Rhs::Call { .. } | Rhs::Opaque { .. } => self.dot(&Atom::Var(var)),
        }
    }

    /// `sum of ∂y/∂a × dot_a` over the active operands, with the rule's partials.
    fn partials(
        &mut self,
        y: &Ident,
        name: &str,
        args: &[Atom],
        int_arg: Option<&Atom>,
    ) -> TokenStream {
        let root = self.root;
        let rule = format_ident!("{}", name);
        let mut operands: Vec<TokenStream> = args.iter().map(|a| atom(self.body, a)).collect();
        operands.extend(int_arg.map(|a| atom(self.body, a)));
        let call = quote!(#root::rules::#rule(#(#operands,)* #y));
        if args.len() == 1 {
            let d = self.dot(&args[0]);
            return quote!(#call * #d);
        }
        let dots: Vec<Option<TokenStream>> = args.iter().map(|a| self.dot_opt(a)).collect();
        let partials = Ident::new("partials", Span::mixed_site());
        let terms: Vec<TokenStream> = dots
            .iter()
            .enumerate()
            .filter_map(|(i, d)| {
                let index = syn::Index::from(i);
                d.as_ref().map(|d| quote!(#partials.#index * #d))
            })
            .collect();
        quote!({
            let #partials = #call;
            #(#terms)+*
        })
    }

    /// `let (y, dot_y) = g_jvp(a, dot_a, n, c, zero, ..);`: each float argument is followed
    /// by its tangent (zero for an inactive one), a reference argument by its tangent slice.
    fn call(&mut self, var: VarId, path: &syn::Path, args: &[Atom], span: Span) -> TokenStream {
        let mut jvp_path = path.clone();
        if let Some(last) = jvp_path.segments.last_mut() {
            last.ident = format_ident!("{}_jvp", last.ident, span = last.ident.span());
        }
        let mut operands = Vec::new();
        for a in args {
            operands.push(atom(self.body, a));
            let ty = match a {
                Atom::Var(v) => self.body.vars[*v].ty.clone(),
                Atom::Const(_, ty) => ty.clone(),
            };
            match ty {
                Ty::Slice(_) => operands.extend(self.dot_opt(a)),
                ty if ty.carries_floats() => operands.push(self.dot(a)),
                _ => {}
            }
        }
        let name = &self.body.vars[var].name;
        let dot = self.dot_name(var);
        quote_spanned!(span=> let (#name, #dot) = #jvp_path(#(#operands),*);)
    }

    fn if_stmt(&mut self, cond: &Atom, then: &Block, els: &Block, phis: &[Phi]) -> TokenStream {
        let cond = atom(self.body, cond);
        let mut names = Vec::new();
        for phi in phis {
            let name = &self.body.vars[phi.var].name;
            names.push(quote!(#name));
            if self.has_dot(phi.var) {
                let dot = self.dot_name(phi.var);
                names.push(quote!(#dot));
            }
        }
        let then_code = self.branch(then, phis, true);
        let else_code = self.branch(els, phis, false);
        if names.is_empty() {
            quote!(if #cond { #then_code } else { #else_code })
        } else {
            let pattern = tuple_or_single(&names);
            quote!(let #pattern = if #cond { #then_code } else { #else_code };)
        }
    }

    fn branch(&mut self, block: &Block, phis: &[Phi], then: bool) -> TokenStream {
        let code = self.block(block);
        if block.term != Term::Fall || phis.is_empty() {
            return code;
        }
        let mut values = Vec::new();
        for phi in phis {
            let value = if then { &phi.then_val } else { &phi.else_val };
            let value = value.clone().unwrap_or(Atom::Const(quote!(()), Ty::Other));
            values.push(atom(self.body, &value));
            if self.has_dot(phi.var) {
                values.push(self.dot(&value));
            }
        }
        let value = tuple_or_single(&values);
        quote!(#code #value)
    }

    fn loop_stmt(&mut self, l: &Loop) -> TokenStream {
        let mut out = TokenStream::new();
        for slot in &l.slots {
            let name = &self.body.vars[slot.var].name;
            let init = atom(self.body, &slot.init);
            let init = crate::forward::owned_copy(self.body, &slot.init, init);
            out.extend(quote!(let mut #name = #init;));
            if self.has_dot(slot.var) {
                let dot = self.dot_name(slot.var);
                let dot_init = self.dot(&slot.init);
                out.extend(quote!(let mut #dot = #dot_init;));
            }
        }
        // The body's final `continue` is implicit.
        let code = if l.body.term == Term::Continue {
            self.stmts(&l.body)
        } else {
            self.block(&l.body)
        };
        out.extend(match &l.kind {
            LoopKind::For { pattern, iter, .. } => {
                quote!(for #pattern in #iter { #code })
            }
            LoopKind::Loop => quote!(loop { #code }),
        });
        out
    }
}
