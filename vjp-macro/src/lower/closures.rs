//! Closures bound to a local (`let sq = |v: f64| v * v;`), inlined at each call.
//!
//! ```text
//! // Before                               // After (then lowered as user code)
//! let k = 2.0 * x;
//! let f = |t: f64| (t * k).sin();         (nothing: `f` is remembered)
//! let y = f(a) + f(b);                    let y = { let t: f64 = a; (t * k).sin() }
//!                                               + { let t: f64 = b; (t * k).sin() };
//! ```
//!
//! The inlined body reads each captured local as the version the closure saw where it was
//! made, as Rust's closure does (a shadowing `let` since changes nothing, and an assignment is
//! impossible while the closure borrows the local); a closure that assigns a local it captures
//! is an error where it is made. A closure that reads no float-carrying local and whose
//! parameters are typed is also kept as written (inactive code may pass it on); any other
//! exists only through its calls. A comparison that calls one (`if f(x) < 0.0`) compares the
//! inlined values; any other use of it is an error.

use super::*;

/// A closure bound to a local.
pub(super) struct ClosureDef {
    /// The local.
    var: VarId,
    params: Vec<Pat>,
    body: Expr,
    /// The names the body reads and what each resolved to where the closure was made.
    captures: Vec<(String, Option<VarId>)>,
    /// False when the closure was kept as written: only its calls exist in generated code.
    inlined_only: bool,
    /// True after an error on the closure itself: its calls report nothing more.
    broken: bool,
}

impl Lowerer<'_> {
    /// `let name = |..| ..;`: remembers the closure for its calls. True when handled.
    pub(super) fn lower_closure_let(&mut self, ident: &Ident, init: &Expr) -> bool {
        let Expr::Closure(c) = strip_parens(init) else {
            return false;
        };
        if c.asyncness.is_some() {
            return false;
        }
        // A closure with an untyped parameter cannot be kept as written where its every call
        // is inlined (nothing would give the parameter its type): it exists only through its
        // calls, as one that reads floats does.
        let reads_floats = self.reads_float_values(init);
        let typed = c.inputs.iter().all(|p| matches!(p, Pat::Type(_)));
        let inlined_only = reads_floats || !typed;
        let mut params = Vec::new();
        let mut own = Vec::new();
        for input in &c.inputs {
            if let Err(bad) = bindable(input) {
                if !inlined_only {
                    // Inactive, typed: kept as written and never inlined.
                    return false;
                }
                self.cx.error_spanned_help(
                    bad,
                    "vjp inlines this closure, and cannot bind its parameter with this pattern",
                    "take the parameter by name and destructure it in the body",
                );
                self.broken_closure(ident);
                return true;
            }
            collect_pattern_names(input, &mut own);
            params.push(input.clone());
        }
        let mut captures: Vec<(String, Option<VarId>)> = Vec::new();
        let mut names = Vec::new();
        local_idents(c.body.to_token_stream(), &mut |i| {
            names.push(unraw(&i.to_string()).to_string())
        });
        for name in names {
            if !own.contains(&name) && !captures.iter().any(|(n, _)| *n == name) {
                let var = self.lookup(&name);
                captures.push((name, var));
            }
        }
        // A closure that assigns what it captures (`|v| total += v`) would assign it at each
        // call, out of sight of the loops around the calls, which carry only what their own
        // statements assign.
        let mut assigned = Vec::new();
        assigned_roots(&syn::Stmt::Expr((*c.body).clone(), None), &mut assigned);
        let changes = assigned
            .iter()
            .find(|n| !own.contains(n) && self.lookup(n).is_some());
        if let (Some(_), false) = (changes, reads_floats) {
            // Inactive: lowered as written (where an assignment inside a closure is an error).
            return false;
        }
        if let Some(name) = changes {
            self.cx.error_spanned_help(
                init,
                format!("vjp inlines this closure at its calls, and cannot follow it changing `{name}`"),
                format!("return the new value from the closure and assign it at the call: `{name} = f({name}, ..)`"),
            );
            self.broken_closure(ident);
            return true;
        }
        let var = if inlined_only {
            // Only its calls exist in the generated code.
            let name = self.namer.user(&ident.to_string(), ident.span());
            let var = self.new_var(name, Ty::Float);
            self.scope_insert(ident.to_string(), var);
            var
        } else {
            let name = self.namer.user(&ident.to_string(), ident.span());
            let atom = self.lower_expr(init, Dest::Named(name, None));
            self.bind_name(ident, atom);
            match self.lookup(&ident.to_string()) {
                Some(var) => var,
                None => return true,
            }
        };
        self.closures.push(ClosureDef {
            var,
            params,
            body: (*c.body).clone(),
            captures,
            inlined_only,
            broken: false,
        });
        true
    }

    /// Declares `ident` as a closure with an error of its own: its calls report nothing more.
    fn broken_closure(&mut self, ident: &Ident) {
        self.declare_unknown(&syn::parse_quote!(#ident));
        if let Some(var) = self.lookup(&ident.to_string()) {
            self.closures.push(ClosureDef {
                var,
                params: Vec::new(),
                body: syn::parse_quote!(()),
                captures: Vec::new(),
                inlined_only: true,
                broken: true,
            });
        }
    }

    /// The closure bound to `var`, if it is one.
    fn closure(&self, var: VarId) -> Option<&ClosureDef> {
        self.closures.iter().find(|c| c.var == var)
    }

    /// True when `var` is a closure that exists only through its calls.
    pub(super) fn is_inlined_closure(&self, var: VarId) -> bool {
        self.closure(var).is_some_and(|c| c.inlined_only)
    }

    /// True when `e` names a closure that exists only through its calls.
    pub(super) fn names_inlined_closure(&self, e: &Expr) -> bool {
        let mut names = Vec::new();
        local_idents(e.to_token_stream(), &mut |i| {
            names.push(unraw(&i.to_string()).to_string())
        });
        names
            .iter()
            .any(|n| self.lookup(n).is_some_and(|v| self.is_inlined_closure(v)))
    }

    /// Reports a use of such a closure other than a call.
    pub(super) fn closure_misuse(&self, at: impl ToTokens, name: &str) {
        if self
            .closures
            .iter()
            .any(|c| c.broken && self.lookup(name) == Some(c.var))
        {
            return;
        }
        self.cx.error_spanned_help(
            at,
            format!("vjp inlines the closure `{name}` where it is called, and cannot pass it on"),
            format!("call it in a statement of its own (`let c = {name}(..);`) and use the value, or write a `#[differentiable]` fn and pass that"),
        );
    }

    /// `f(args)` of a closure bound to a local: its body with the parameters bound to the
    /// arguments, when every capture is still the one it saw; `None` when `var` is no closure.
    pub(super) fn inline_closure_call(
        &mut self,
        var: VarId,
        call: &syn::ExprCall,
        dest: Dest,
    ) -> Option<Atom> {
        let def = self.closure(var)?;
        if def.broken {
            return Some(Self::unit());
        }
        let name = call.func.to_token_stream().to_string();
        if def.params.len() != call.args.len() {
            return None;
        }
        if let Some(at) = leaves_closure(&def.body) {
            self.cx.error_spanned_help(
                at,
                format!("vjp inlines the closure `{name}` at its calls, where this would leave the function instead of the closure"),
                "compute the value without `return` or `?`",
            );
            return Some(Self::unit());
        }
        // A name the body reads that was no local where the closure was made (a constant, a
        // function) must not have become one: the inlined body would read the local.
        let now_local = def
            .captures
            .iter()
            .find(|(n, v)| v.is_none() && self.lookup(n).is_some())
            .map(|(n, _)| n.clone());
        if let Some(local) = now_local {
            self.cx.error_spanned_help(
                call,
                format!("vjp inlines the closure `{name}` here, where `{local}` names a local that did not exist where the closure was made"),
                format!("rename the local `{local}`, or call the closure before it"),
            );
            return Some(Self::unit());
        }
        let (params, body) = (def.params.clone(), def.body.clone());
        let captured: Vec<(String, VarId)> = def
            .captures
            .iter()
            .filter_map(|(n, v)| v.map(|v| (n.clone(), v)))
            .collect();
        // The arguments are evaluated first, in order, in the caller's scope.
        let temps: Vec<Ident> = call
            .args
            .iter()
            .map(|a| self.namer.fresh("arg", a.span()))
            .collect();
        for (temp, arg) in temps.iter().zip(&call.args) {
            self.lower_pattern(&syn::parse_quote!(#temp), None, arg);
        }
        // Then the body, where each captured name is what it was where the closure was made
        // (a shadowing `let` since does not change a closure's capture, and Rust forbids an
        // assignment while the closure borrows it; a `move` closure keeps the value it saw).
        self.scopes.push(captured);
        let block: Expr = syn::parse_quote_spanned!(call.span()=> {
            #(let #params = #temps;)*
            #body
        });
        let value = self.lower_expr(&block, dest);
        self.scopes.pop();
        Some(value)
    }
}

/// A pattern the inlining can bind with a `let` (a name, `_`, `&p`, `mut p`, tuples and
/// slices of those, with a type): the first bad part otherwise.
pub(super) fn bindable(p: &Pat) -> Result<(), &Pat> {
    match p {
        Pat::Ident(i) if i.subpat.is_none() => Ok(()),
        Pat::Wild(_) => Ok(()),
        Pat::Reference(r) => bindable(&r.pat),
        Pat::Paren(q) => bindable(&q.pat),
        Pat::Type(t) => bindable(&t.pat),
        Pat::Tuple(t) => t.elems.iter().try_for_each(bindable),
        Pat::Slice(t) => t.elems.iter().try_for_each(bindable),
        other => Err(other),
    }
}

/// `e` without parentheses around it.
fn strip_parens(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip_parens(&p.expr),
        other => other,
    }
}

/// The first `return` or `?` in `body` that would leave the closure (not one inside a nested
/// closure or `async` block).
pub(super) fn leaves_closure(body: &Expr) -> Option<TokenStream> {
    struct Find(Option<TokenStream>);
    impl<'ast> syn::visit::Visit<'ast> for Find {
        fn visit_expr(&mut self, e: &'ast Expr) {
            if self.0.is_some() {
                return;
            }
            match e {
                Expr::Return(r) => self.0 = Some(r.return_token.to_token_stream()),
                Expr::Try(t) => self.0 = Some(t.question_token.to_token_stream()),
                Expr::Closure(_) | Expr::Async(_) => {}
                _ => syn::visit::visit_expr(self, e),
            }
        }
    }
    let mut find = Find(None);
    syn::visit::Visit::visit_expr(&mut find, body);
    find.0
}
