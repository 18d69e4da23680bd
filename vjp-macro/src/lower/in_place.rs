//! Method calls that may change a local in place (`v.push(i)`, `rng.next()`), which the sweeps
//! cannot follow.
//!
//! The lowering keeps such a call whole, as an expression that reads its receiver: nothing
//! records that the receiver changed. In a loop the reverse sweep then reads the receiver's
//! final value where the forward sweep read an earlier one, and the gradient is silently wrong
//! (`idx.push(j); s *= x[idx[idx.len() - 1]];`); elsewhere the generated code does not compile,
//! with an error about a `mut` the user did write. Rust marks the locals that may change in
//! place: the user declares them `mut`. So a method call on a `mut` local (or a field or an
//! element of one) is an error unless its method is known to leave its receiver unchanged.
//! Called as a function of a shared reference (`Rng::peek(&rng)`) or through one
//! (`(&rng).peek()`), a method cannot change its receiver (Rust rejects it if it needs `&mut`).

use crate::ctxt::Ctxt;
use crate::prims;
use syn::visit::Visit;
use syn::{Expr, Pat};

/// Methods of the standard library's numbers, slices, arrays and `Vec`s that take their receiver
/// by value or by shared reference, besides the primitives and the pure methods ([`prims`]).
const UNCHANGED: &[&str] = &[
    // Numbers.
    "checked_add",
    "checked_sub",
    "checked_mul",
    "checked_div",
    "saturating_mul",
    "wrapping_mul",
    "abs_diff",
    "count_ones",
    "leading_zeros",
    "trailing_zeros",
    "is_power_of_two",
    "next_power_of_two",
    "ilog2",
    "is_positive",
    "is_negative",
    "to_bits",
    "to_string",
    // Slices, arrays and vectors.
    "iter",
    "into_iter",
    "get",
    "first",
    "last",
    "contains",
    "starts_with",
    "ends_with",
    "binary_search",
    "to_vec",
    "to_owned",
    "as_slice",
    "chunks",
    "chunks_exact",
    "windows",
    "split_at",
    "capacity",
    "map",
    "split_first",
    "split_last",
    "is_sorted",
    "concat",
    "join",
    // `Option` and `Result` (by value or by shared reference).
    "is_some",
    "is_none",
    "is_ok",
    "is_err",
    "unwrap",
    "unwrap_or",
    "unwrap_or_default",
    "unwrap_or_else",
    "expect",
    "copied",
    "cloned",
    "map_or",
    "ok",
    "as_deref",
    // Maps and strings.
    "contains_key",
    "keys",
    "values",
    "chars",
    "bytes",
    "trim",
    "parse",
    // Any value.
    "as_ref",
    "borrow",
];

/// True when `method` is known to leave its receiver unchanged.
fn leaves_receiver(method: &str) -> bool {
    prims::lookup(method).is_some()
        || prims::INACTIVE_METHODS.contains(&method)
        || prims::PURE_METHODS.contains(&method)
        || UNCHANGED.contains(&method)
}

/// Reports every method call in `item` on a local declared `mut` (directly, or through fields
/// and indexing: `s.buf[0].clear()`) whose method is not known to leave its receiver unchanged.
/// Returns those calls, each by its method's span (see [`span_key`]).
pub(super) fn check(item: &syn::ItemFn, cx: &Ctxt) -> Vec<String> {
    let mut finder = Finder {
        cx,
        bindings: Vec::new(),
        reported: Vec::new(),
    };
    for input in &item.sig.inputs {
        if let syn::FnArg::Typed(t) = input {
            finder.bind(&t.pat);
        }
    }
    finder.visit_block(&item.block);
    finder.reported
}

/// A method call's identity across the stages: its method name's span, as text (it holds the
/// source position).
pub(super) fn span_key(call: &syn::ExprMethodCall) -> String {
    format!("{:?}", call.method.span())
}

struct Finder<'a> {
    cx: &'a Ctxt,
    /// The names in scope, innermost last, each with whether it was declared `mut`.
    bindings: Vec<(String, bool)>,
    /// The calls reported, by [`span_key`].
    reported: Vec<String>,
}

impl Finder<'_> {
    /// Brings the names that `pat` binds into scope.
    fn bind(&mut self, pat: &Pat) {
        struct Names<'f, 'a>(&'f mut Finder<'a>);
        impl<'ast> Visit<'ast> for Names<'_, '_> {
            fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
                let name = p.ident.to_string();
                self.0.bindings.push((name, p.mutability.is_some()));
                syn::visit::visit_pat_ident(self, p);
            }
        }
        Names(self).visit_pat(pat);
    }

    /// Whether the innermost binding of `name` was declared `mut` (false for a name that is not
    /// a local: a constant, a static).
    fn is_mut(&self, name: &str) -> bool {
        let name = name.strip_prefix("r#").unwrap_or(name);
        self.bindings
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .is_some_and(|(_, m)| *m)
    }

    /// Runs `f` in a scope of its own: the names bound in it go out of scope after it.
    fn scoped(&mut self, f: impl FnOnce(&mut Self)) {
        let len = self.bindings.len();
        f(self);
        self.bindings.truncate(len);
    }
}

/// `method(args)` of a method call, spanning the user's tokens from the method's name to the
/// closing parenthesis (for an error's span: parentheses made by `quote!` would point at the
/// attribute instead).
pub(super) fn call_tokens(call: &syn::ExprMethodCall) -> proc_macro2::TokenStream {
    let (method, turbofish) = (&call.method, &call.turbofish);
    let mut args = proc_macro2::Group::new(
        proc_macro2::Delimiter::Parenthesis,
        quote::ToTokens::to_token_stream(&call.args),
    );
    args.set_span(call.paren_token.span.join());
    quote::quote!(#method #turbofish #args)
}

/// The local that a place expression (`v`, `s.field`, `a[i]`, `(v)`) belongs to.
fn root(e: &Expr) -> Option<&syn::Ident> {
    match e {
        Expr::Path(p) => p.path.get_ident(),
        Expr::Field(f) => root(&f.base),
        Expr::Index(i) => root(&i.expr),
        Expr::Paren(p) => root(&p.expr),
        Expr::Group(g) => root(&g.expr),
        _ => None,
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_block(&mut self, b: &'ast syn::Block) {
        self.scoped(|this| syn::visit::visit_block(this, b));
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        // The initialiser runs before the names exist.
        if let Some(init) = &local.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        self.bind(&local.pat);
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        self.scoped(|this| {
            for input in &c.inputs {
                this.bind(input);
            }
            this.visit_expr(&c.body);
        });
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        self.scoped(|this| {
            this.bind(&f.pat);
            this.visit_block(&f.body);
        });
    }

    fn visit_expr_if(&mut self, e: &'ast syn::ExprIf) {
        self.scoped(|this| {
            // `if let PAT = value`: its names are in scope in the `then` block only.
            this.visit_expr(&e.cond);
            this.visit_block(&e.then_branch);
        });
        if let Some((_, els)) = &e.else_branch {
            self.visit_expr(els);
        }
    }

    fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
        self.scoped(|this| {
            this.visit_expr(&e.cond);
            this.visit_block(&e.body);
        });
    }

    fn visit_expr_let(&mut self, e: &'ast syn::ExprLet) {
        self.visit_expr(&e.expr);
        self.bind(&e.pat);
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        self.scoped(|this| {
            this.bind(&arm.pat);
            if let Some((_, guard)) = &arm.guard {
                this.visit_expr(guard);
            }
            this.visit_expr(&arm.body);
        });
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        let method = call.method.to_string();
        if let Some(local) = root(&call.receiver) {
            if self.is_mut(&local.to_string()) && !leaves_receiver(&method) {
                let receiver = &call.receiver;
                let receiver = quote::quote!(#receiver).to_string();
                let help = if matches!(method.as_str(), "push" | "extend" | "insert") {
                    // Growing a buffer: the forms vjp follows.
                    format!(
                        "make `{local}` its final length first and assign its elements \
                         (`let mut {local} = vec![0.0; n];` then `{local}[i] = ...`), or build \
                         it with `.map(..).collect::<Vec<f64>>()`; if it holds no floats, \
                         build it before calling the function"
                    )
                } else {
                    format!(
                        "assign the new value instead (`{local} = ...`), or change `{local}` \
                         before calling the function; if `{method}` only reads it, call it as \
                         a function of a shared reference: `Type::{method}(&{receiver}, ..)`"
                    )
                };
                self.cx.error_spanned_help(
                    call_tokens(call),
                    format_args!(
                        "`{method}` may change `{local}` in place, which vjp cannot follow"
                    ),
                    help,
                );
                self.reported.push(span_key(call));
            }
        }
        syn::visit::visit_expr_method_call(self, call);
    }
}
