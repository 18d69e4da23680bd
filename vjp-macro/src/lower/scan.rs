//! Reading the user's tokens: which locals an expression reads (and whether any of them carry
//! floats), renaming them to their current versions, and what the macro can tell of a type.

use super::*;

impl Lowerer<'_> {
    /// True when `e` reads the value of a float-carrying local (`xs.len()` reads only a
    /// length, which carries no derivative).
    pub(super) fn reads_float_values(&self, e: &Expr) -> bool {
        self.values_read(e)
            .iter()
            .any(|v| self.vars[*v].ty.carries_floats())
    }

    /// The locals whose values `e` reads (not through `.len()`, not a closure's parameters).
    pub(super) fn values_read(&self, e: &Expr) -> Vec<VarId> {
        let mut values = Vec::new();
        let mut finder = ValueReads {
            lowerer: self,
            shadowed: Vec::new(),
            out: &mut values,
        };
        syn::visit::Visit::visit_expr(&mut finder, e);
        values
    }

    pub(super) fn value_reads(&self, tokens: TokenStream, out: &mut Vec<VarId>) {
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

    /// Renames the locals in `tokens` to their current versions and lists the locals read.
    /// Identifiers after `.` (fields, methods) or `::` (paths) are not locals, nor are names
    /// that a closure's parameters, a `let`, a `match` arm, an `if let`, a `while let` or a
    /// `for` inside the tokens bind over the code they scope (`|l: &f64| l.cos()` reads the
    /// closure's `l`, whatever local `l` is outside): the tokens are parsed as an expression
    /// or as statements for that (see [`Renamer`]); tokens that parse as neither are renamed
    /// identifier by identifier.
    pub(super) fn scan(&self, tokens: TokenStream) -> (TokenStream, Vec<VarId>) {
        let mut reads = Vec::new();
        let mut renamer = Renamer {
            lowerer: self,
            shadowed: Vec::new(),
            reads: &mut reads,
        };
        if let Ok(mut e) = syn::parse2::<Expr>(tokens.clone()) {
            syn::visit_mut::VisitMut::visit_expr_mut(&mut renamer, &mut e);
            return (e.to_token_stream(), reads);
        }
        let parser = syn::Block::parse_within;
        if let Ok(mut stmts) = syn::parse::Parser::parse2(parser, tokens.clone()) {
            renamer.stmts(&mut stmts);
            let mut out = TokenStream::new();
            for stmt in &stmts {
                stmt.to_tokens(&mut out);
            }
            return (out, reads);
        }
        let renamed = self.scan_into(tokens, &mut reads, false, &[]);
        (renamed, reads)
    }

    /// True when `tree` names a variable bound by an iteration over references.
    fn names_by_ref(&self, tree: Option<&TokenTree>) -> bool {
        matches!(tree, Some(TokenTree::Ident(i)) if self.lookup(&i.to_string()).is_some_and(|v| self.by_ref.contains(&v)))
    }

    /// `ident` renamed to the current version of the local it names, if it names one (noted
    /// in `reads`); a closure that exists only through its calls, named otherwise, is an
    /// error.
    fn rename_local(&self, ident: &mut Ident, reads: &mut Vec<VarId>) {
        let Some(var) = self.lookup(&ident.to_string()) else {
            return;
        };
        if self.is_inlined_closure(var) {
            self.closure_misuse(&*ident, &ident.to_string());
            return;
        }
        if !reads.contains(&var) {
            reads.push(var);
        }
        let mut name = self.vars[var].name.clone();
        name.set_span(ident.span());
        *ident = name;
    }

    /// [`Lowerer::scan`] identifier by identifier, leaving the names in `shadowed` alone.
    pub(super) fn scan_into(
        &self,
        tokens: TokenStream,
        reads: &mut Vec<VarId>,
        in_macro: bool,
        shadowed: &[String],
    ) -> TokenStream {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut out: Vec<TokenTree> = Vec::with_capacity(trees.len());
        for (k, tree) in trees.iter().enumerate() {
            let punct_at = |i: Option<usize>, c: char| {
                i.and_then(|i| trees.get(i))
                    .is_some_and(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == c))
            };
            // `*v` of a loop variable over references, which the index loop binds by value.
            let unary = k == 0 || matches!(trees.get(k - 1), Some(TokenTree::Punct(_)));
            if unary && punct_at(Some(k), '*') && self.names_by_ref(trees.get(k + 1)) {
                continue;
            }
            let next = match tree {
                TokenTree::Ident(ident)
                    if !is_field_or_path(&trees, k)
                        && !shadowed.iter().any(|n| n == unraw(&ident.to_string())) =>
                {
                    let mut ident = ident.clone();
                    self.rename_local(&mut ident, reads);
                    TokenTree::Ident(ident)
                }
                TokenTree::Group(group) => {
                    let macro_args = punct_at(k.checked_sub(1), '!')
                        && matches!(
                            k.checked_sub(2).and_then(|i| trees.get(i)),
                            Some(TokenTree::Ident(_))
                        );
                    let mut new = proc_macro2::Group::new(
                        group.delimiter(),
                        self.scan_into(group.stream(), reads, in_macro || macro_args, shadowed),
                    );
                    new.set_span(group.span());
                    TokenTree::Group(new)
                }
                TokenTree::Literal(lit) if in_macro => {
                    TokenTree::Literal(self.rename_format_args(lit, reads, shadowed))
                }
                other => other.clone(),
            };
            out.push(next);
        }
        out.into_iter().collect()
    }

    /// In a format string (`"{x}"`, `"{x:.3}"`), a captured local is renamed like any other
    /// read of it, so `println!("{x}")` prints the same version in the generated functions
    /// (unless a binding around the macro, in `shadowed`, is the `x` it names).
    pub(super) fn rename_format_args(
        &self,
        lit: &proc_macro2::Literal,
        reads: &mut Vec<VarId>,
        shadowed: &[String],
    ) -> proc_macro2::Literal {
        let text = lit.to_string();
        if !text.starts_with('"') || !text.contains('{') {
            return lit.clone();
        }
        let mut renamed = text.clone();
        let names: std::collections::BTreeSet<&String> =
            self.scopes.iter().flatten().map(|(n, _)| n).collect();
        for name in names.into_iter().filter(|n| !shadowed.contains(n)) {
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
    pub(super) fn writes_local(&self, e: &Expr) -> bool {
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
    pub(super) fn guess_ty(&self, e: &Expr) -> Ty {
        match e {
            // A method's `self`: a user type (or a reference to one), which carries no
            // derivative (an `impl` on a float type cannot hold the generated functions).
            Expr::Path(p) if p.path.is_ident("self") => Ty::Other,
            Expr::Lit(l) => match &l.lit {
                syn::Lit::Float(_) => Ty::Float,
                syn::Lit::Int(i) if i.suffix() == "f32" || i.suffix() == "f64" => Ty::Float,
                _ => Ty::Other,
            },
            Expr::Cast(c) => classify(&c.ty, self.floats),
            Expr::Paren(p) => self.guess_ty(&p.expr),
            Expr::Group(g) => self.guess_ty(&g.expr),
            Expr::Unary(u) => self.guess_ty(&u.expr),
            // `[0.0; N]`: an array of floats, whatever `N` is.
            Expr::Repeat(r) => match self.guess_ty(&r.expr) {
                Ty::Unknown => Ty::Unknown,
                elem => Ty::Array(Box::new(elem)),
            },
            // `[0.5, 2.0]`: an array of the type its elements agree on.
            Expr::Array(a) => {
                let elems: Vec<Ty> = a.elems.iter().map(|e| self.guess_ty(e)).collect();
                match elems.first() {
                    Some(first) if *first != Ty::Unknown && elems.iter().all(|t| t == first) => {
                        match first {
                            Ty::Other => Ty::Other,
                            elem => Ty::Array(Box::new(elem.clone())),
                        }
                    }
                    _ => Ty::Unknown,
                }
            }
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
            // A float method of a float (`(n as f64).atan()`) is a float; the same names on
            // an integer (`abs`, `max`) are not, so the receiver decides.
            Expr::MethodCall(mc) if prims::lookup(&mc.method.to_string()).is_some() => {
                if self.guess_ty(&mc.receiver) == Ty::Float {
                    Ty::Float
                } else if self.integer_method(mc) {
                    Ty::Other
                } else {
                    Ty::Unknown
                }
            }
            _ => Ty::Unknown,
        }
    }

    /// True for a method named like a float primitive called on integers: `x.len().min(n)`,
    /// `(k as i64).abs()`, `m.max(1)`, where the receiver and every argument are known not to
    /// be floats, and the receiver is not `self` (a user type, whose own `max` may take a
    /// float). Its result is an integer, with no derivative.
    pub(super) fn integer_method(&self, mc: &syn::ExprMethodCall) -> bool {
        let is_self = matches!(&*mc.receiver, Expr::Path(p) if p.path.is_ident("self"));
        !is_self
            && self.guess_ty(&mc.receiver) == Ty::Other
            && mc.args.iter().all(|a| self.guess_ty(a) == Ty::Other)
    }
}

/// True when the identifier at `trees[k]` is not a local: a field or method after `.` (but
/// not after the range `..`), a segment after `::`, or a name before `:` (a struct literal's
/// field, a typed binding, a path prefix).
pub(super) fn is_field_or_path(trees: &[TokenTree], k: usize) -> bool {
    let punct_at = |i: Option<usize>, c: char| {
        i.and_then(|i| trees.get(i))
            .is_some_and(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == c))
    };
    let after_dot = punct_at(k.checked_sub(1), '.') && !punct_at(k.checked_sub(2), '.');
    let after_path = punct_at(k.checked_sub(1), ':') && punct_at(k.checked_sub(2), ':');
    let before_colon = punct_at(Some(k + 1), ':');
    after_dot || after_path || before_colon
}

/// Calls `f` on each identifier in `tokens` (groups included) that may name a local: not a
/// field or a method after `.`, nor a segment after `::`.
pub(super) fn local_idents(tokens: TokenStream, f: &mut impl FnMut(&Ident)) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (k, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(i) if !is_field_or_path(&trees, k) => f(i),
            TokenTree::Group(g) => local_idents(g.stream(), f),
            _ => {}
        }
    }
}

/// The locals whose values an expression reads: like the token scan, but a closure's own
/// parameters hide the locals of the same name inside its body.
pub(super) struct ValueReads<'a, 'b> {
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

/// Renames the locals an expression reads to their current versions (see
/// [`Lowerer::scan`]), except where a binding inside it shadows them.
struct Renamer<'a, 'b> {
    lowerer: &'a Lowerer<'b>,
    /// The names bound inside the expression around the current point.
    shadowed: Vec<String>,
    reads: &'a mut Vec<VarId>,
}

impl Renamer<'_, '_> {
    /// The local `ident` names here, if it names one (and no binding inside shadows it).
    fn local(&self, ident: &Ident) -> Option<VarId> {
        let name = unraw(&ident.to_string()).to_string();
        if self.shadowed.contains(&name) {
            return None;
        }
        self.lowerer.lookup(&name)
    }

    /// `ident` renamed to the current version of the local it names, noted as read.
    fn rename(&mut self, ident: &mut Ident) {
        if self.local(ident).is_some() {
            self.lowerer.rename_local(ident, self.reads);
        }
    }

    /// Statements in order: a `let` shadows its names from the next statement on, until the
    /// end of the block.
    fn stmts(&mut self, stmts: &mut [syn::Stmt]) {
        let before = self.shadowed.len();
        for stmt in stmts {
            match stmt {
                syn::Stmt::Local(local) => {
                    if let Some(init) = &mut local.init {
                        syn::visit_mut::VisitMut::visit_expr_mut(self, &mut init.expr);
                        if let Some((_, diverge)) = &mut init.diverge {
                            syn::visit_mut::VisitMut::visit_expr_mut(self, diverge);
                        }
                    }
                    collect_pattern_names(&local.pat, &mut self.shadowed);
                }
                // An item inside sees no local.
                syn::Stmt::Item(_) => {}
                syn::Stmt::Expr(e, _) => syn::visit_mut::VisitMut::visit_expr_mut(self, e),
                syn::Stmt::Macro(m) => self.mac(&mut m.mac),
            }
        }
        self.shadowed.truncate(before);
    }

    /// A macro's arguments, identifier by identifier (and the names in its format string).
    fn mac(&mut self, mac: &mut syn::Macro) {
        let tokens = std::mem::take(&mut mac.tokens);
        mac.tokens = self
            .lowerer
            .scan_into(tokens, self.reads, true, &self.shadowed);
    }

    /// `f` with the names `pats` bind shadowed.
    fn scoped<'p>(&mut self, pats: impl IntoIterator<Item = &'p Pat>, f: impl FnOnce(&mut Self)) {
        let before = self.shadowed.len();
        for pat in pats {
            collect_pattern_names(pat, &mut self.shadowed);
        }
        f(self);
        self.shadowed.truncate(before);
    }
}

impl syn::visit_mut::VisitMut for Renamer<'_, '_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        // `*v` of a loop variable over references, which the index loop binds by value.
        if let Expr::Unary(u) = e {
            if let (UnOp::Deref(_), Expr::Path(p)) = (&u.op, &*u.expr) {
                let by_ref = p.path.get_ident().and_then(|i| self.local(i));
                if by_ref.is_some_and(|v| self.lowerer.by_ref.contains(&v)) {
                    *e = (*u.expr).clone();
                }
            }
        }
        match e {
            Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
                let segment = &mut p.path.segments[0];
                if segment.arguments.is_none() && p.path.leading_colon.is_none() {
                    self.rename(&mut segment.ident);
                }
            }
            Expr::Closure(c) => {
                let inputs = c.inputs.iter().cloned().collect::<Vec<Pat>>();
                self.scoped(&inputs, |r| r.visit_expr_mut(&mut c.body));
            }
            Expr::Block(b) => self.stmts(&mut b.block.stmts),
            Expr::Unsafe(b) => self.stmts(&mut b.block.stmts),
            Expr::Const(b) => self.stmts(&mut b.block.stmts),
            Expr::Async(b) => self.stmts(&mut b.block.stmts),
            Expr::TryBlock(b) => self.stmts(&mut b.block.stmts),
            Expr::Loop(l) => self.stmts(&mut l.body.stmts),
            Expr::Match(m) => {
                self.visit_expr_mut(&mut m.expr);
                for arm in &mut m.arms {
                    let pat = arm.pat.clone();
                    self.scoped([&pat], |r| {
                        if let Some((_, guard)) = &mut arm.guard {
                            r.visit_expr_mut(guard);
                        }
                        r.visit_expr_mut(&mut arm.body);
                    });
                }
            }
            Expr::If(i) => {
                // The names of `if let` are bound in its condition's `&&` chain after the
                // `let` and in the first branch.
                let mut bound = Vec::new();
                self.condition(&mut i.cond, &mut bound);
                self.scoped(&bound, |r| r.stmts(&mut i.then_branch.stmts));
                if let Some((_, els)) = &mut i.else_branch {
                    self.visit_expr_mut(els);
                }
            }
            Expr::While(w) => {
                let mut bound = Vec::new();
                self.condition(&mut w.cond, &mut bound);
                self.scoped(&bound, |r| r.stmts(&mut w.body.stmts));
            }
            Expr::ForLoop(f) => {
                self.visit_expr_mut(&mut f.expr);
                let pat = (*f.pat).clone();
                self.scoped([&pat], |r| r.stmts(&mut f.body.stmts));
            }
            Expr::Let(l) => {
                // A `let` outside an `if` or `while` condition binds nothing usable here.
                self.visit_expr_mut(&mut l.expr);
            }
            Expr::Macro(m) => self.mac(&mut m.mac),
            Expr::Struct(s) => {
                for field in &mut s.fields {
                    // `S { x }` names the local `x`: written out, `S { x: x_1 }`.
                    if field.colon_token.is_none() {
                        field.colon_token = Some(Default::default());
                    }
                    self.visit_expr_mut(&mut field.expr);
                }
                if let Some(rest) = &mut s.rest {
                    self.visit_expr_mut(rest);
                }
            }
            _ => syn::visit_mut::visit_expr_mut(self, e),
        }
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        self.mac(mac);
    }

    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        self.stmts(&mut b.stmts);
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {
        // An item inside sees no local.
    }
}

impl Renamer<'_, '_> {
    /// A condition, `&&` by `&&`: each `let` binds its names for the rest of the chain and
    /// the first branch (collected into `bound`).
    fn condition(&mut self, cond: &mut Expr, bound: &mut Vec<Pat>) {
        match cond {
            Expr::Binary(b) if matches!(b.op, BinOp::And(_)) => {
                self.condition(&mut b.left, bound);
                let scope = bound.clone();
                self.scoped(&scope, |r| r.condition(&mut b.right, bound));
            }
            Expr::Let(l) => {
                let scope = bound.clone();
                self.scoped(&scope, |r| {
                    syn::visit_mut::VisitMut::visit_expr_mut(r, &mut l.expr)
                });
                bound.push((*l.pat).clone());
            }
            Expr::Paren(p) => self.condition(&mut p.expr, bound),
            other => {
                let scope = bound.clone();
                self.scoped(&scope, |r| {
                    syn::visit_mut::VisitMut::visit_expr_mut(r, other)
                });
            }
        }
    }
}

/// The names a pattern binds.
pub(super) fn collect_pattern_names(pat: &Pat, out: &mut Vec<String>) {
    struct Names<'a>(&'a mut Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Names<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(unraw(&p.ident.to_string()).to_string());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    syn::visit::Visit::visit_pat(&mut Names(out), pat);
}

/// A name without its `r#` prefix: `r#x` and `x` are the same variable.
pub(super) fn unraw(name: &str) -> &str {
    name.strip_prefix("r#").unwrap_or(name)
}
