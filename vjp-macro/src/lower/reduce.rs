//! Iterator reductions over floats, written as the accumulation loops they stand for:
//!
//! ```text
//! // Before                                       // After (then lowered as user code)
//! a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>() {
//!                                                     let mut total: f64 = -<f64 as Real>::zero();
//!                                                     for (p, q) in a.iter().zip(b) {
//!                                                         total += p * q;
//!                                                     }
//!                                                     total
//!                                                 }
//! ```
//!
//! The chain is a source the `for` lowering knows (`xs.iter()`, `.copied()`, `.enumerate()`,
//! `.zip(ys)`, or any iterator that carries no floats, such as `0..n`), then any number of
//! `.map(f)`, then `.sum()`, `.product()` or `.fold(init, f)`. Each `f` is a closure of the
//! right arity or a function path, inlined: its parameters become the loop pattern (the first
//! stage) or a `let` of the previous stage's value. A closure's body runs in the loop body, so
//! two things that would change its meaning are errors: a `return` or `?` (they leave the
//! closure, not the function), and a read of a name that an earlier stage's parameter would
//! now shadow.

use super::closures::{bindable, leaves_closure};
use super::*;

/// One stage of a chain: what binds the item, and the expression computed from it.
struct Stage {
    /// The closure's parameter pattern, or a fresh name for a function path.
    pat: Pat,
    /// The closure's body, or the path applied to the fresh name.
    body: Expr,
}

/// How the reduction ends.
enum Terminal {
    /// `.sum()` or `.product()`: the accumulator's type and whether it multiplies.
    Fold0 { ty: Box<Type>, product: bool },
    /// `.fold(init, f)`.
    Fold(Box<Fold>),
}

/// `.fold(init, f)`: the initial value, and `f`'s accumulator pattern, item pattern and body.
struct Fold {
    init: Expr,
    acc: Pat,
    item: Pat,
    body: Expr,
}

impl Lowerer<'_> {
    /// Lowers `mc` when it is `.sum()`, `.product()` or `.fold(..)` at the end of an iterator
    /// chain that reads floats; gives `dest` back otherwise.
    pub(super) fn lower_reduction(
        &mut self,
        mc: &syn::ExprMethodCall,
        dest: Dest,
    ) -> Result<Atom, Dest> {
        let whole = Expr::MethodCall(mc.clone());
        let terminal = match mc.method.to_string().as_str() {
            "sum" | "product" | "collect" => mc.args.is_empty(),
            "fold" => mc.args.len() == 2,
            _ => false,
        };
        if !terminal || !self.reads_float_values(&whole) {
            return Err(dest);
        }
        let block = if mc.method == "collect" {
            self.collect_loop(mc, &dest)
        } else {
            self.reduction_loop(mc, &dest)
        };
        match block {
            Ok(block) => Ok(self.lower_expr(&block, dest)),
            Err((at, message, help)) => {
                let unsupported = Unsupported {
                    message,
                    help,
                    at,
                    reads: self.values_read(&whole),
                };
                Ok(self.opaque(&whole, dest, Some(unsupported), Ty::Unknown))
            }
        }
    }

    /// The block expression that computes `mc` by a loop, or what to report and where.
    fn reduction_loop(
        &mut self,
        mc: &syn::ExprMethodCall,
        dest: &Dest,
    ) -> Result<Expr, (TokenStream, String, String)> {
        let span = mc.span();
        let (stages, source) = self.map_stages(&mc.receiver)?;
        let terminal = self.terminal(mc, dest)?;
        let last = match &terminal {
            Terminal::Fold(fold) => {
                Some((vec![&fold.acc, &fold.item], fold.body.to_token_stream()))
            }
            Terminal::Fold0 { .. } => None,
        };
        check_captures(&stages, last)?;

        // Named for what it holds (the method's own name is taken: it is in the body).
        let base = match mc.method.to_string().as_str() {
            "sum" => "total",
            "product" => "prod",
            _ => "folded",
        };
        let acc = self.namer.unused(base, span);
        let root = self.root.clone();
        // The loop binds the first stage's pattern (or the fold's item, or a fresh name).
        let mut inner: Vec<syn::Stmt> = Vec::new();
        let mut value: Option<Expr> = None;
        let first: Pat = match stages.first() {
            Some(stage) => loop_pat(&stage.pat),
            None => match &terminal {
                Terminal::Fold(fold) => loop_pat(&fold.item),
                Terminal::Fold0 { .. } => {
                    let item = self.namer.fresh("item", span);
                    value = Some(syn::parse_quote!(#item));
                    syn::parse_quote!(#item)
                }
            },
        };
        if let Some(last) = chain_stages(&stages, &mut inner, span) {
            value = Some(last);
        }
        let (start, step): (syn::Stmt, Vec<syn::Stmt>) = match &terminal {
            Terminal::Fold0 { ty, product } => {
                // A float starts from `Real`'s one, or from minus zero as the standard
                // library's float `Sum` does (an empty sum is `-0.0`, which `atan2` tells from
                // `0.0`); an integer count of floats (`.map(|v| (v * 10.0) as usize)
                // .sum::<usize>()`) from the empty sum or product.
                let float = classify_local(ty, self.floats) != Ty::Other;
                let start = match (float, *product) {
                    (true, true) => quote!(<#ty as #root::Real>::one()),
                    (true, false) => quote!(-<#ty as #root::Real>::zero()),
                    (false, true) => {
                        quote!(<#ty as ::core::iter::Product>::product(::core::iter::empty::<#ty>()))
                    }
                    (false, false) => {
                        quote!(<#ty as ::core::iter::Sum>::sum(::core::iter::empty::<#ty>()))
                    }
                };
                let op = if *product { quote!(*=) } else { quote!(+=) };
                (
                    syn::parse_quote_spanned!(span=> let mut #acc: #ty = #start;),
                    vec![syn::parse_quote_spanned!(span=> #acc #op #value;)],
                )
            }
            Terminal::Fold(fold) => {
                let Fold {
                    init,
                    acc: acc_pat,
                    item,
                    body,
                } = &**fold;
                let mut step: Vec<syn::Stmt> = Vec::new();
                if let Some(value) = &value {
                    if !stages.is_empty() {
                        step.push(syn::parse_quote_spanned!(span=> let #item = #value;));
                    }
                }
                step.push(syn::parse_quote_spanned!(span=> let #acc_pat = #acc;));
                step.push(syn::parse_quote_spanned!(span=> #acc = #body;));
                (
                    syn::parse_quote_spanned!(span=> let mut #acc = #init;),
                    step,
                )
            }
        };
        inner.extend(step);
        Ok(syn::parse_quote_spanned!(span=> {
            #start
            for #first in #source {
                #(#inner)*
            }
            #acc
        }))
    }

    /// The `.map(f)` stages at the end of `chain`, innermost first, and the source they apply
    /// to (without parentheses: `(0..n).map(..)` loops over `0..n`).
    fn map_stages<'e>(
        &mut self,
        chain: &'e Expr,
    ) -> Result<(Vec<Stage>, &'e Expr), (TokenStream, String, String)> {
        let mut maps = Vec::new();
        let mut source = chain;
        while let Expr::MethodCall(m) = source {
            if m.method != "map" || m.args.len() != 1 {
                break;
            }
            maps.push(&m.args[0]);
            source = &m.receiver;
        }
        while let Expr::Paren(p) = source {
            source = &p.expr;
        }
        let mut stages = Vec::new();
        for f in maps.into_iter().rev() {
            let (mut pats, body) = self.inlined(f, 1)?;
            stages.push(Stage {
                pat: pats.remove(0),
                body,
            });
        }
        Ok((stages, source))
    }

    /// How `mc` (`sum`, `product` or `fold`) ends its chain: the fold's closure to inline, or
    /// the type of the sum or product (from the turbofish or the `let`'s annotation).
    fn terminal(
        &mut self,
        mc: &syn::ExprMethodCall,
        dest: &Dest,
    ) -> Result<Terminal, (TokenStream, String, String)> {
        if mc.method == "fold" {
            let (mut pats, body) = self.inlined(&mc.args[1], 2)?;
            let item = pats.remove(1);
            return Ok(Terminal::Fold(Box::new(Fold {
                init: mc.args[0].clone(),
                acc: pats.remove(0),
                item,
                body,
            })));
        }
        let turbofish = mc.turbofish.as_ref().and_then(|t| {
            t.args.iter().find_map(|a| match a {
                syn::GenericArgument::Type(ty) => Some(ty.clone()),
                _ => None,
            })
        });
        let annotation = match dest {
            Dest::Named(_, Some(ty)) => Some((**ty).clone()),
            _ => None,
        };
        let method = &mc.method;
        let Some(ty) = turbofish.or(annotation) else {
            return Err((
                super::in_place::call_tokens(mc),
                format!("vjp needs the type of this {method}"),
                format!("write `.{method}::<f64>()` or `let s: f64 = ...{method}();`"),
            ));
        };
        // A type named by a path (`f64`, `T`, `usize`): the generated code writes it in
        // positions (`let acc: T = <T as Sum>::sum(..)`) where another kind of type, such as
        // a bound list (`f64 +`), would not parse.
        fn named(ty: &Type) -> bool {
            match ty {
                Type::Path(p) => p.qself.is_none(),
                Type::Paren(p) => named(&p.elem),
                Type::Group(g) => named(&g.elem),
                _ => false,
            }
        }
        if !named(&ty) {
            return Err((
                ty.to_token_stream(),
                format!("vjp cannot sum or multiply into this type in a `{method}`"),
                format!("name the type by a path: `.{method}::<f64>()`"),
            ));
        }
        Ok(Terminal::Fold0 {
            ty: Box::new(ty),
            product: mc.method == "product",
        })
    }

    /// `chain.collect::<Vec<F>>()` (or `let v: Vec<F> = chain.collect();`) as a `Vec` filled
    /// by a loop: `let n = source.len(); let mut out = vec![zero; n];` then `out[k] = value`
    /// for the `k`-th item, which the lowering of element writes to a local `Vec` handles.
    fn collect_loop(
        &mut self,
        mc: &syn::ExprMethodCall,
        dest: &Dest,
    ) -> Result<Expr, (TokenStream, String, String)> {
        let span = mc.span();
        let element = |ty: &Type| -> Option<Type> {
            let Type::Path(p) = ty else { return None };
            let last = p.path.segments.last()?;
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            match (last.ident == "Vec", args.args.first()) {
                (true, Some(syn::GenericArgument::Type(t))) if !matches!(t, Type::Infer(_)) => {
                    Some(t.clone())
                }
                _ => None,
            }
        };
        let turbofish = mc.turbofish.as_ref().and_then(|t| match t.args.first() {
            Some(syn::GenericArgument::Type(ty)) => element(ty),
            _ => None,
        });
        let annotation = match dest {
            Dest::Named(_, Some(ty)) => element(ty),
            _ => None,
        };
        let elem = match turbofish.or(annotation) {
            Some(t) if classify_local(&t, self.floats) != Ty::Other => t,
            _ => {
                return Err((
                    super::in_place::call_tokens(mc),
                    "vjp collects floats into a `Vec` whose element type it can see".into(),
                    "write `.collect::<Vec<f64>>()` or `let v: Vec<f64> = ...collect();`".into(),
                ))
            }
        };
        let (stages, source) = self.map_stages(&mc.receiver)?;
        check_captures(&stages, None)?;
        let root = self.root.clone();
        let (out, n, k) = (
            self.namer.unused("collected", span),
            self.namer.unused("count", span),
            self.namer.fresh("k", span),
        );
        let mut inner = Vec::new();
        let (first, value): (Pat, Expr) = match chain_stages(&stages, &mut inner, span) {
            Some(value) => (loop_pat(&stages[0].pat), value),
            None => {
                let item = self.namer.fresh("item", span);
                (syn::parse_quote!(#item), syn::parse_quote!(#item))
            }
        };
        // `0..n` needs its parentheses back to take its length.
        let sized: Expr = match source {
            Expr::Range(_) => syn::parse_quote!((#source)),
            other => other.clone(),
        };
        Ok(syn::parse_quote_spanned!(span=> {
            let #n: usize = #sized.len();
            let mut #out: ::std::vec::Vec<#elem> = ::std::vec![<#elem as #root::Tangent>::zero(); #n];
            for (#k, #first) in #sized.enumerate() {
                #(#inner)*
                #out[#k] = #value;
            }
            #out
        }))
    }

    /// `for p in SOURCE.map(f)..` over floats: the loop over the source, with each stage bound
    /// in turn and the last stage's value bound to the user's pattern at the top of the body.
    /// `None` for any other loop.
    pub(super) fn map_loop(&mut self, f: &syn::ExprForLoop) -> Option<()> {
        let is_map =
            matches!(&*f.expr, Expr::MethodCall(m) if m.method == "map" && m.args.len() == 1);
        if !is_map || !self.reads_float_values(&f.expr) {
            return None;
        }
        let rewritten = self.map_stages(&f.expr).and_then(|(stages, source)| {
            if let Err(bad) = bindable(&f.pat) {
                return Err((
                    bad.to_token_stream(),
                    "vjp binds this loop's pattern with a `let`, which cannot take this pattern"
                        .into(),
                    "bind a name or a tuple of names and destructure it in the body".into(),
                ));
            }
            let body = f.body.to_token_stream();
            check_captures(&stages, Some((vec![&*f.pat], body)))?;
            let mut inner = Vec::new();
            let span = f.expr.span();
            let value = chain_stages(&stages, &mut inner, span);
            let (pat, stmts) = (&f.pat, &f.body.stmts);
            // At least the outermost `.map(f)`, as `is_map` checked.
            let first = stages
                .first()
                .map(|s| loop_pat(&s.pat))
                .unwrap_or_else(|| syn::parse_quote!(_));
            let label = &f.label;
            let new: syn::ExprForLoop = syn::parse_quote_spanned!(span=>
                #label for #first in #source {
                    #(#inner)*
                    let #pat = #value;
                    #(#stmts)*
                }
            );
            Ok(new)
        });
        match rewritten {
            Ok(new) => self.lower_loop_expr(&Expr::ForLoop(new)),
            Err((at, message, help)) => self.cx.error_spanned_help(at, message, help),
        }
        Some(())
    }

    /// The parameter patterns and body of `f` given to a chain, as code to inline: a closure
    /// with `arity` parameters, or a function path applied to fresh names.
    fn inlined(
        &mut self,
        f: &Expr,
        arity: usize,
    ) -> Result<(Vec<Pat>, Expr), (TokenStream, String, String)> {
        match f {
            Expr::Closure(c) if c.inputs.len() == arity && c.asyncness.is_none() => {
                if let Some(bad) = c.inputs.iter().find_map(|p| bindable(p).err()) {
                    return Err((
                        bad.to_token_stream(),
                        "vjp inlines this closure into a loop, and cannot bind its parameter with this pattern".into(),
                        "take the parameter by name and destructure it in the body".into(),
                    ));
                }
                if let Some(at) = leaves_closure(&c.body) {
                    return Err((
                        at,
                        "vjp inlines this closure into a loop, where this would leave the function instead of the closure".into(),
                        "compute the value without `return` or `?`, or write the loop out".into(),
                    ));
                }
                let pats = c.inputs.iter().cloned().collect();
                Ok((pats, (*c.body).clone()))
            }
            Expr::Path(path) => {
                let names: Vec<Ident> = (0..arity)
                    .map(|_| self.namer.fresh("item", f.span()))
                    .collect();
                let pats = names.iter().map(|n| syn::parse_quote!(#n)).collect();
                Ok((pats, syn::parse_quote_spanned!(f.span()=> #path(#(#names),*))))
            }
            other => Err((
                other.to_token_stream(),
                "vjp can only inline a closure or a function path here".into(),
                format!(
                    "pass a closure with {arity} parameter(s), or a function by its path (`f64::max`)"
                ),
            )),
        }
    }
}

/// A closure reads its captures, never an earlier closure's parameters: an error for a
/// stage's body (or `last`'s: the fold's or the user's loop body, with the patterns that bind
/// for it) that names an earlier stage's parameter without binding it again, as the inlined
/// loop would read the parameter instead.
fn check_captures(
    stages: &[Stage],
    last: Option<(Vec<&Pat>, TokenStream)>,
) -> Result<(), (TokenStream, String, String)> {
    let mut later: Vec<(Vec<&Pat>, TokenStream)> = stages
        .iter()
        .map(|s| (vec![&s.pat], s.body.to_token_stream()))
        .collect();
    later.extend(last);
    let mut bound: Vec<String> = Vec::new();
    for (pats, body) in later {
        let mut own = Vec::new();
        for pat in pats {
            collect_pattern_names(pat, &mut own);
        }
        check_capture(&bound, &own, body)?;
        bound.extend(own);
    }
    Ok(())
}

/// The `let`s that feed each stage's value to the next stage's pattern, into `inner`; the
/// last stage's value (`None` without stages). The first stage's pattern is the loop's.
fn chain_stages(stages: &[Stage], inner: &mut Vec<syn::Stmt>, span: Span) -> Option<Expr> {
    let mut value: Option<Expr> = None;
    for (k, stage) in stages.iter().enumerate() {
        if k > 0 {
            let pat = &stage.pat;
            let previous = value.take();
            inner.push(syn::parse_quote_spanned!(span=> let #pat = #previous;));
        }
        value = Some(stage.body.clone());
    }
    value
}

/// `pat` without its type annotation (`|x: &f64|` binds `x` in the loop).
fn loop_pat(pat: &Pat) -> Pat {
    match pat {
        Pat::Type(t) => (*t.pat).clone(),
        other => other.clone(),
    }
}

/// An error when `body` names one of `bound` (an earlier stage's parameters) that `own` (its
/// own parameters) does not bind again.
fn check_capture(
    bound: &[String],
    own: &[String],
    body: TokenStream,
) -> Result<(), (TokenStream, String, String)> {
    let mut found = None;
    local_idents(body, &mut |ident: &Ident| {
        let name = unraw(&ident.to_string()).to_string();
        if found.is_none() && bound.contains(&name) && !own.contains(&name) {
            found = Some(ident.clone());
        }
    });
    match found {
        Some(ident) => Err((
            ident.to_token_stream(),
            format!("inlined into one loop with the closures before it, this would read `{ident}` from an earlier closure's parameter, not the `{ident}` it captures"),
            "rename the earlier closure's parameter".into(),
        )),
        None => Ok(()),
    }
}
