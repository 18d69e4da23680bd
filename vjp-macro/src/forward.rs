//! The forward sweep: the primal computation in A-normal form, one statement per line, with
//! the user's spans so that a type error lands on the user's expression.
//!
//! In straight-line code nothing needs saving: every value the reverse sweep reads is an SSA
//! variable that is still in scope when the reverse sweep runs.

use crate::ir::{ArithOp, Atom, Body, Proj, Rhs, Stmt};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

/// The forward sweep of `body`.
pub fn forward(body: &Body) -> TokenStream {
    body.stmts
        .iter()
        .map(|stmt| stmt_tokens(body, stmt))
        .collect()
}

fn stmt_tokens(body: &Body, stmt: &Stmt) -> TokenStream {
    match stmt {
        Stmt::Let { var, ty, rhs, span } => {
            let name = &body.vars[*var].name;
            let value = rhs_tokens(body, rhs);
            match ty {
                Some(ty) => quote_spanned!(*span=> let #name: #ty = #value;),
                None => quote_spanned!(*span=> let #name = #value;),
            }
        }
        Stmt::Effect { tokens, .. } => tokens.clone(),
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
        Atom::Const(tokens, _) => match syn::parse2::<syn::Expr>(tokens.clone()) {
            Ok(syn::Expr::Lit(_) | syn::Expr::Path(_)) => tokens.clone(),
            _ => quote!((#tokens)),
        },
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

fn rhs_tokens(body: &Body, rhs: &Rhs) -> TokenStream {
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
                    let method = syn::Ident::new(prim.name, proc_macro2::Span::call_site());
                    quote!(#receiver.#method(#(#operands),*))
                }
            }
        }
        Rhs::Call { path, args } => {
            let args = args.iter().map(a);
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
        } => {
            let (base, p, value) = (a(base), proj(body, p), a(value));
            // A mixed-site name cannot capture or shadow a user's variable.
            let updated = syn::Ident::new("updated", proc_macro2::Span::mixed_site());
            quote!({
                let mut #updated = #base;
                #updated #p = #value;
                #updated
            })
        }
        Rhs::FloatCast(x, ty) => {
            let x = a(x);
            quote!(#x as #ty)
        }
        Rhs::Opaque { expr, .. } => expr.clone(),
    }
}
