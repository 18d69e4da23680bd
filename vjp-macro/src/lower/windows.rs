//! `for w in xs.windows(m)` and `for c in xs.chunks_exact(m)` over a float slice (also
//! `.enumerate()`d: `for (i, w) in ..`), as index loops: the window is never built, and each
//! `w[j]` in the body reads `xs` directly.
//!
//! ```text
//! // Before                               // After (then lowered as user code)
//! for w in x.windows(2) {                 for i in 0..x.len().saturating_sub(1) {
//!     s += (w[1] - w[0]).powi(2);             s += (x[window_index(i, 1, 2)]
//! }                                                 - x[window_index(i, 0, 2)]).powi(2);
//!                                         }
//! ```
//!
//! `window_index(start, j, len)` is `start + j` after the check that indexing the window
//! would have made (`j < len`), so a body that indexes past its window panics as the primal
//! does. In the body the window may only be indexed (`w[j]`), measured (`w.len()`) or
//! iterated (`w.iter()`, which becomes `xs[start..start + m].iter()`); any other use of it, or
//! a binding of the same name, is an error. The size `m` is an integer literal, a local that
//! the loop does not assign, or its `len()`.

use super::*;
use syn::visit_mut::VisitMut;

impl Lowerer<'_> {
    /// Lowers `f` when it iterates over the windows or exact chunks of a float slice (or
    /// reports why it cannot); `None` for any other loop.
    pub(super) fn window_idiom(&mut self, f: &syn::ExprForLoop) -> Option<()> {
        let rewritten = self.window_loop(f)?;
        if let Ok((counter, range, body)) = rewritten {
            self.lower_labeled_loop(
                f.label.as_ref(),
                LoopSyntax::For(&counter, &range),
                &body,
                f.span(),
            );
        }
        Some(())
    }

    /// The counter, range and rewritten body of `f` when it iterates over the windows or
    /// exact chunks of a float slice; `Err` after reporting why it cannot be rewritten.
    #[allow(clippy::type_complexity)]
    fn window_loop(
        &mut self,
        f: &syn::ExprForLoop,
    ) -> Option<Result<(Pat, Expr, Vec<syn::Stmt>), ()>> {
        // `.enumerate()` of the windows binds the window's number too: `for (i, w) in ..`.
        let (m, pat, number) = match (&*f.expr, &*f.pat) {
            (Expr::MethodCall(e), Pat::Tuple(t))
                if e.method == "enumerate" && e.args.is_empty() && t.elems.len() == 2 =>
            {
                match &*e.receiver {
                    Expr::MethodCall(m) => (m, &t.elems[1], Some(&t.elems[0])),
                    _ => return None,
                }
            }
            (Expr::MethodCall(m), pat) => (m, pat, None),
            _ => return None,
        };
        if number.is_some_and(|i| !matches!(i, Pat::Ident(_) | Pat::Wild(_))) {
            return None;
        }
        let windows = m.method == "windows";
        if !(windows || m.method == "chunks_exact")
            || m.args.len() != 1
            || !self.reads_float_values(&f.expr)
        {
            return None;
        }
        let what = if windows { "window" } else { "chunk" };
        let xs = match &*m.receiver {
            Expr::Path(p) if p.path.get_ident().is_some() => (*m.receiver).clone(),
            Expr::Reference(r) if r.mutability.is_none() && matches!(&*r.expr, Expr::Path(_)) => {
                (*r.expr).clone()
            }
            other => {
                self.cx.error_spanned_help(
                    other,
                    format!("vjp takes the {what}s of a slice or array named by a local"),
                    "bind the slice to a local first",
                );
                return Some(Err(()));
            }
        };
        let name = match pat {
            Pat::Ident(name) if name.by_ref.is_none() && name.subpat.is_none() => name,
            _ => {
                self.cx.error_spanned_help(
                    pat,
                    format!("bind each {what} to a name"),
                    format!("write `for w in xs.{}(..)` and index `w[j]`", m.method),
                );
                return Some(Err(()));
            }
        };
        let size = &m.args[0];
        let root = self.root;
        let k = self.namer.fresh("i", f.expr.span());
        let Ok(count) = self.window_count(&xs, size, windows, &f.body.stmts) else {
            return Some(Err(()));
        };
        let start: Expr = if windows {
            syn::parse_quote!(#k)
        } else {
            syn::parse_quote!(#k * #size)
        };
        let mut rewrite = Window {
            name: name.ident.to_string(),
            xs,
            start,
            size: size.clone(),
            root,
            what,
            error: None,
        };
        let mut stmts = f.body.stmts.clone();
        for stmt in &mut stmts {
            rewrite.visit_stmt_mut(stmt);
        }
        if let Some(i) = number {
            stmts.insert(0, syn::parse_quote!(let #i = #k;));
        }
        if let Some((at, message, help)) = rewrite.error {
            self.cx.error_spanned_help(at, message, help);
            return Some(Err(()));
        }
        let range: Expr = syn::parse_quote_spanned!(f.expr.span()=> 0..#count);
        Some(Ok((syn::parse_quote!(#k), range, stmts)))
    }

    /// How many windows (or exact chunks) of `size` elements `xs` has, as an expression: a
    /// literal size is checked here, a local one (or a local's `len()`) by the runtime helper
    /// that panics on 0, as `windows` does. `body` may not assign the local.
    fn window_count(
        &self,
        xs: &Expr,
        size: &Expr,
        windows: bool,
        body: &[syn::Stmt],
    ) -> Result<Expr, ()> {
        let what = if windows { "window" } else { "chunk" };
        let len = quote!(#xs.len());
        let fail = |at: &Expr, message: String, help: &str| {
            self.cx.error_spanned_help(at, message, help);
            Err(())
        };
        match size {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(n),
                ..
            }) => match n.base10_parse::<usize>() {
                Ok(0) | Err(_) => fail(
                    size,
                    format!("{what} size must be non-zero"),
                    "a size of at least 1",
                ),
                Ok(n) if windows => {
                    let less = n - 1;
                    Ok(syn::parse_quote_spanned!(size.span()=> #len.saturating_sub(#less)))
                }
                Ok(_) => Ok(syn::parse_quote_spanned!(size.span()=> #len / #size)),
            },
            _ => match size_root(size) {
                Some(local) => {
                    let mut assigned = Vec::new();
                    for stmt in body {
                        assigned_roots(stmt, &mut assigned);
                    }
                    if assigned.contains(&local) {
                        return fail(
                            size,
                            format!("the {what} size changes in the loop"),
                            "take the size from a local the loop does not assign",
                        );
                    }
                    let root = self.root;
                    let counter = if windows {
                        quote!(window_count)
                    } else {
                        quote!(chunk_count)
                    };
                    Ok(
                        syn::parse_quote_spanned!(size.span()=> #root::__private::#counter(#len, #size)),
                    )
                }
                None => fail(
                    size,
                    format!("vjp needs the {what} size as an integer literal or a local"),
                    "bind the size to a local first",
                ),
            },
        }
    }
}

/// The local a window size reads: `m` of `m` or `m.len()`.
fn size_root(size: &Expr) -> Option<String> {
    let local = match size {
        Expr::MethodCall(m) if m.method == "len" && m.args.is_empty() => &*m.receiver,
        other => other,
    };
    match local {
        Expr::Path(p) => p
            .path
            .get_ident()
            .map(|i| unraw(&i.to_string()).to_string()),
        _ => None,
    }
}

/// Rewrites the reads of a window in a loop body into reads of the slice.
struct Window<'a> {
    /// The loop variable's name.
    name: String,
    /// The slice.
    xs: Expr,
    /// Where the current window starts in the slice.
    start: Expr,
    /// The window's length.
    size: Expr,
    root: &'a syn::Path,
    /// "window" or "chunk".
    what: &'static str,
    /// The first use of the window that is not a read of an element or of its length: where,
    /// the message and the help.
    error: Option<(TokenStream, String, String)>,
}

impl Window<'_> {
    fn is_window(&self, e: &Expr) -> bool {
        matches!(e, Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some_and(|i| unraw(&i.to_string()) == self.name))
    }

    /// Records a use of the window that is not a read of an element or of its length.
    fn misuse(&mut self, at: TokenStream, message: String) {
        let help = format!(
            "read its elements as `{}[j]` and its length as `{}.len()`",
            self.name, self.name
        );
        self.fail(at, message, help);
    }

    fn fail(&mut self, at: TokenStream, message: String, help: String) {
        if self.error.is_none() {
            self.error = Some((at, message, help));
        }
    }
}

impl VisitMut for Window<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        match e {
            Expr::Index(ix) if self.is_window(&ix.expr) && matches!(&*ix.index, Expr::Range(_)) => {
                let message = format!(
                    "vjp reads one element of the {} `{}` at a time",
                    self.what, self.name
                );
                self.misuse(e.to_token_stream(), message);
            }
            Expr::Index(ix) if self.is_window(&ix.expr) => {
                self.visit_expr_mut(&mut ix.index);
                let (xs, start, size, root, j) =
                    (&self.xs, &self.start, &self.size, self.root, &ix.index);
                *e = syn::parse_quote_spanned!(ix.span()=>
                    #xs[#root::__private::window_index(#start, #j, #size)]
                );
            }
            Expr::MethodCall(m)
                if self.is_window(&m.receiver) && m.method == "len" && m.args.is_empty() =>
            {
                // A literal, a local or `v.len()`: no parentheses needed.
                let size = &self.size;
                *e = syn::parse_quote_spanned!(m.span()=> #size);
            }
            // `w.iter()`: the part of the slice the window covers, a row the loop idioms take.
            Expr::MethodCall(m)
                if self.is_window(&m.receiver) && m.method == "iter" && m.args.is_empty() =>
            {
                let (xs, start, size) = (&self.xs, &self.start, &self.size);
                *e = syn::parse_quote_spanned!(m.span()=> #xs[#start..#start + #size].iter());
            }
            Expr::Path(_) if self.is_window(e) => {
                let message = format!(
                    "vjp reads the {} `{}` through its elements only",
                    self.what, self.name
                );
                self.misuse(e.to_token_stream(), message);
            }
            _ => syn::visit_mut::visit_expr_mut(self, e),
        }
    }

    fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
        let mut names = false;
        local_idents(m.tokens.clone(), &mut |i| {
            names |= unraw(&i.to_string()) == self.name
        });
        if names {
            let message = format!(
                "vjp cannot follow the {} `{}` into a macro",
                self.what, self.name
            );
            let help = "bind the elements the macro needs to locals first (`let a = w[0];`)";
            self.fail(m.to_token_stream(), message, help.into());
        }
    }

    fn visit_pat_ident_mut(&mut self, p: &mut syn::PatIdent) {
        if unraw(&p.ident.to_string()) == self.name {
            let message = format!(
                "this binds `{}` again inside the loop over its {}s",
                self.name, self.what
            );
            self.fail(
                p.to_token_stream(),
                message,
                "give this binding another name".into(),
            );
        }
        syn::visit_mut::visit_pat_ident_mut(self, p);
    }
}
