//! Lowering control flow: `if`, `match`, loops and their jumps, and the syntax rewrites that
//! make every path end at a leaf (the statements after a diverging `if` move into its
//! branches; `return` in a loop and jumps to outer loops become flags).

use super::*;

impl Lowerer<'_> {
    /// `break` / `continue`: writes the loop's slots back, then ends the block.
    pub(super) fn lower_jump(
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
    pub(super) fn write_back(&mut self) {
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

    pub(super) fn next_block_id(&mut self) -> usize {
        self.blocks += 1;
        self.blocks - 1
    }

    /// Lowers `stmts` followed by `rest` as a branch, in a scope of its own.
    pub(super) fn lower_branch(
        &mut self,
        stmts: Vec<syn::Stmt>,
        rest: &[syn::Stmt],
        mode: Mode,
    ) -> (Block, Atom) {
        let id = self.next_block_id();
        let saved = std::mem::take(&mut self.stmts);
        self.scopes.push(Vec::new());
        // The statements after the `if` see the names of the scope the `if` is in, not those the
        // branch declares: a marker between the two hides the branch's own bindings.
        let mut all: Vec<syn::Stmt> = stmts;
        if !rest.is_empty() {
            let mark = self.marks.len();
            self.marks.push((self.scopes.len() - 1, 0));
            all.push(syn::parse_quote!(__vjp_scope_end!(#mark);));
            all.extend(rest.iter().cloned());
        }
        let (value, term) = self.lower_stmts(&all, mode);
        self.scopes.pop();
        let stmts = std::mem::replace(&mut self.stmts, saved);
        (Block { id, stmts, term }, value)
    }

    /// `if cond { .. } else { .. }` followed by `rest` (taken into the branches).
    pub(super) fn lower_if(
        &mut self,
        e: &syn::ExprIf,
        rest: &[syn::Stmt],
        mode: Mode,
        dest: Dest,
    ) -> (Atom, Term) {
        if let Expr::Let(l) = &*e.cond {
            // In expression position (a statement `if let` is a `match` before it gets here).
            return (self.lower_match(&if_let_as_match(e, l), dest), Term::Fall);
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
                // The version each branch leaves: `None` for a branch that jumps, `Some(None)`
                // for one that falls through with the name out of scope (its entry gone, or
                // another name's in its place).
                let leaves = |block: &Block, after: &[Vec<(String, VarId)>]| {
                    (block.term == Term::Fall).then(|| {
                        after
                            .get(i)
                            .and_then(|s| s.get(j))
                            .filter(|e| e.0 == *name)
                            .map(|e| e.1)
                    })
                };
                let (from_then, from_else) =
                    (leaves(&then, &after_then), leaves(&els, &after_else));
                // Only a scope marker of `rest` (see `lower_branch`) hides a name declared
                // before the `if`: the statements after the `if` were moved into its branches,
                // so nothing follows the `if` and the name is dead after it. It gets no phi,
                // which would have no value in that branch (a missing value means a branch
                // that jumps; a falling branch used to yield `()` in its place, which did not
                // compile: `{ let mut a = x; if c { a *= y; return a; } } x`, where `a` is
                // assigned on the path that returns and out of scope on the other).
                if from_then == Some(None) || from_else == Some(None) {
                    continue;
                }
                let (from_then, from_else) = (from_then.flatten(), from_else.flatten());
                if from_then.unwrap_or(*original) == *original
                    && from_else.unwrap_or(*original) == *original
                {
                    continue;
                }
                let ty = self.vars[*original].ty.clone();
                let name = self.namer.user(name, Span::call_site());
                let var = self.new_var(name, ty);
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
            let var = self.new_var(name, ty);
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
    pub(super) fn lift_returns(&mut self, e: &Expr) -> Option<Vec<syn::Stmt>> {
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
    pub(super) fn lower_loop_expr(&mut self, e: &Expr) {
        match e {
            Expr::Loop(l) => {
                self.lower_labeled_loop(l.label.as_ref(), LoopSyntax::Loop, &l.body.stmts, l.span())
            }
            Expr::While(w) => {
                let cond = &w.cond;
                let stmts: Vec<syn::Stmt> = if let Expr::Let(l) = &**cond {
                    // `while let P = e { .. }`: `loop { if let P = e { .. } else { break; } }`.
                    let (pat, expr, body) = (&l.pat, &l.expr, &w.body.stmts);
                    vec![syn::parse_quote_spanned!(cond.span()=>
                        if let #pat = #expr { #(#body)* } else { break; }
                    )]
                } else {
                    let mut stmts: Vec<syn::Stmt> =
                        vec![syn::parse_quote_spanned!(cond.span()=> if !(#cond) { break; })];
                    stmts.extend(w.body.stmts.iter().cloned());
                    stmts
                };
                self.lower_labeled_loop(w.label.as_ref(), LoopSyntax::Loop, &stmts, w.span());
            }
            Expr::ForLoop(f) if self.hoisted_arrays(f).is_some() => {}
            Expr::ForLoop(f) if self.window_idiom(f).is_some() || self.map_loop(f).is_some() => {}
            Expr::ForLoop(f) => match self.iteration_idiom(&f.pat, &f.expr, &f.body.stmts) {
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
    pub(super) fn lower_labeled_loop(
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

    pub(super) fn lower_loop(
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
    pub(super) fn loop_pattern(&mut self, pat: &Pat) -> Option<(TokenStream, Vec<VarId>)> {
        match pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                let name = self.namer.user(&p.ident.to_string(), p.ident.span());
                let var = self.new_var(name.clone(), Ty::Other);
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

    /// `for v in [a, b].iter()` (also in a zip) with floats in the array literal: the loop in a
    /// block that first binds the array to a fresh local (`let array = [a, b];`), which the
    /// loop idioms can index. `None` when the loop iterates no such literal.
    pub(super) fn hoisted_arrays(&mut self, f: &syn::ExprForLoop) -> Option<()> {
        struct Hoist<'l, 'a> {
            lowerer: &'l mut Lowerer<'a>,
            lets: Vec<syn::Stmt>,
        }
        impl syn::visit_mut::VisitMut for Hoist<'_, '_> {
            fn visit_expr_mut(&mut self, e: &mut Expr) {
                let array = match e {
                    Expr::Array(_) => true,
                    Expr::Paren(p) => matches!(&*p.expr, Expr::Array(_)),
                    _ => false,
                };
                if array && self.lowerer.reads_float_values(e) {
                    let name = self.lowerer.namer.fresh("array", e.span());
                    let value = e.clone();
                    self.lets.push(syn::parse_quote!(let #name = #value;));
                    *e = syn::parse_quote!(#name);
                    return;
                }
                match e {
                    // Only what a loop iterates: receivers and arguments of the chain.
                    Expr::MethodCall(m) => {
                        self.visit_expr_mut(&mut m.receiver);
                        for a in &mut m.args {
                            if !matches!(a, Expr::Closure(_)) {
                                self.visit_expr_mut(a);
                            }
                        }
                    }
                    Expr::Reference(r) => self.visit_expr_mut(&mut r.expr),
                    Expr::Paren(p) => self.visit_expr_mut(&mut p.expr),
                    _ => {}
                }
            }
        }
        let mut iter = (*f.expr).clone();
        let mut hoist = Hoist {
            lowerer: self,
            lets: Vec::new(),
        };
        syn::visit_mut::VisitMut::visit_expr_mut(&mut hoist, &mut iter);
        let lets = hoist.lets;
        if lets.is_empty() {
            return None;
        }
        let rewritten = syn::ExprForLoop {
            expr: Box::new(iter),
            ..f.clone()
        };
        let block: syn::Stmt = syn::parse_quote_spanned!(f.span()=> { #(#lets)* #rewritten });
        self.lower_stmts(&[block], Mode::Nested);
        Some(())
    }

    /// `for x in xs.iter()` and its relatives over a float slice or array, as an index loop:
    /// the counter pattern, the range, and the `let`s that bind the elements. `None` when the
    /// loop does not iterate over floats; `Err` after reporting an unsupported idiom. `body`
    /// is the loop's body, which may not assign what a sliced row's bounds read.
    #[allow(clippy::type_complexity)]
    pub(super) fn iteration_idiom(
        &mut self,
        pat: &Pat,
        iter: &Expr,
        body: &[syn::Stmt],
    ) -> Option<Result<(Pat, Expr, Vec<syn::Stmt>), ()>> {
        if !self.reads_float_values(iter) || is_integer_range(iter) {
            return None;
        }
        let unsupported = |this: &mut Self| {
            this.cx.error_spanned_help(
                iter,
                "this iteration over floats is not supported",
                "write an index loop: `for i in 0..xs.len() { let x = xs[i]; ... }`",
            );
            Some(Err(()))
        };
        let mut assigned = Vec::new();
        for stmt in body {
            assigned_roots(stmt, &mut assigned);
        }
        let k = self.namer.fresh("i", iter.span());
        // An outer `.rev()` runs the counter backwards; the rest is what is iterated.
        let chain = without_copies(iter);
        let (reversed, chain) = match chain {
            Expr::MethodCall(m) if m.method == "rev" && m.args.is_empty() => {
                (true, without_copies(&m.receiver))
            }
            other => (false, other),
        };
        let Some(source) = Source::of(chain, self.root, &assigned) else {
            return unsupported(self);
        };
        let mut prelude = Vec::new();
        let mut by_ref = Vec::new();
        if !source.bind(pat, &k, &mut prelude, &mut by_ref) {
            return unsupported(self);
        }
        for p in by_ref {
            self.mark_by_ref(&p);
        }
        let count = source.count();
        let range: Expr = if reversed {
            syn::parse_quote!((0..#count).rev())
        } else {
            syn::parse_quote!(0..#count)
        };
        Some(Ok((syn::parse_quote!(#k), range, prelude)))
    }

    /// Remembers that the name bound by `pat` (a plain `x`, not `&x`) was a reference in the
    /// user's loop, so `*x` is accepted.
    pub(super) fn mark_by_ref(&mut self, pat: &Pat) {
        if let Pat::Ident(p) = pat {
            self.pending_by_ref.push(p.ident.to_string());
        }
    }

    /// The slots of a loop: every outer local that its body assigns gets a fresh mutable
    /// version, which the scopes point at from now on.
    pub(super) fn open_slots(&mut self, stmts: &[syn::Stmt]) -> Vec<(VarId, Atom, (usize, usize))> {
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
            let var = self.new_var(name, ty);
            // A loop variable over references stays one (the name may only be assigned by a
            // shadowing `let` in the body: `for t in xs.iter() { while .. { let mut t = ..;
            // t *= 2.0; } .. *t .. }`).
            if self.by_ref.contains(&original) {
                self.by_ref.push(var);
            }
            self.scopes[i][j].1 = var;
            slots.push((var, Atom::Var(original), (i, j)));
        }
        slots
    }

    /// The (scope, entry) where the local `name` currently lives.
    pub(super) fn locate(&self, name: &str) -> Option<(usize, usize)> {
        let name = unraw(name);
        for (i, scope) in self.scopes.iter().enumerate().rev() {
            if let Some(j) = scope.iter().rposition(|(n, _)| n == name) {
                return Some((i, j));
            }
        }
        None
    }

    /// `match` on an inactive value, as a chain of `if matches!(..)` over a bound scrutinee.
    pub(super) fn lower_match(&mut self, m: &syn::ExprMatch, dest: Dest) -> Atom {
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
    pub(super) fn match_stmts(&mut self, m: &syn::ExprMatch, semi: bool) -> Option<Vec<syn::Stmt>> {
        let ty = self.guess_ty(&m.expr);
        if self.reads_float_values(&m.expr) && ty != Ty::Other {
            if ty == Ty::Float {
                self.cx.error_spanned_help(
                    &m.expr,
                    "`match` on a float value is not supported",
                    "compare with `if` / `else if`",
                );
            } else {
                self.cx.error_spanned_help(
                    &m.expr,
                    "vjp cannot tell that this value carries no floats, which `match`, `if let` and `while let` need",
                    "give the local it comes from a type (`let cur: Option<usize> = ..`), or match on a parameter marked `#[no_grad]`",
                );
            }
            return None;
        }
        for arm in &m.arms {
            if let Some(binding) = by_ref_binding(&arm.pat) {
                self.cx.error_spanned_help(
                    binding,
                    "`ref` bindings in a `match` pattern are not supported",
                    "bind by value (`Some(k) => ..`): the matched value is copied",
                );
                return None;
            }
        }
        let scrutinee = self.namer.fresh("scrutinee", m.expr.span());
        // It carries no derivative (checked above).
        self.no_floats.push(scrutinee.to_string());
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
                // `Some(k) => ..`: the test is `matches!(scrutinee, Some(_))`, and the arm (and
                // its guard) starts by taking `k` out of a copy of the scrutinee.
                pat if binds_names(pat).is_some() => {
                    let (test, names) = binding_free(pat);
                    // Each part through a fresh name, typed as carrying no derivative (like the
                    // scrutinee), then under the user's name.
                    // Inside the extraction the bindings get fresh names too, which no local
                    // in scope has: the expression then reads only the scrutinee and is kept
                    // whole (a user's name could be an outer float, making it look active).
                    let fresh: Vec<(Ident, Ident)> = names
                        .iter()
                        .map(|(name, _)| {
                            (
                                name.clone(),
                                self.namer.fresh(&format!("bound_{name}"), name.span()),
                            )
                        })
                        .collect();
                    let renamed = renamed_bindings(pat, &fresh);
                    let mut take = Vec::new();
                    for ((name, mutable), (_, inner)) in names.iter().zip(&fresh) {
                        let part = self.namer.fresh(&format!("part_{name}"), name.span());
                        self.no_floats.push(part.to_string());
                        let target = if *mutable {
                            quote!(mut #name)
                        } else {
                            quote!(#name)
                        };
                        take.push(quote::quote_spanned!(pat.span()=>
                            let #part = match ::core::clone::Clone::clone(&#scrutinee) {
                                #renamed => #inner,
                                _ => ::core::unreachable!(),
                            };
                            let #target = #part;
                        ));
                    }
                    let take = quote!(#(#take)*);
                    let body = &arm.body;
                    let body: Expr = syn::parse_quote_spanned!(arm.span()=> { #take #body });
                    let guard = arm.guard.as_ref().map(|(if_token, g)| {
                        let g: Expr = syn::parse_quote_spanned!(g.span()=> { #take #g });
                        (*if_token, Box::new(g))
                    });
                    (test, body, guard)
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
    pub(super) fn is_by_ref(&self, e: &Expr) -> bool {
        matches!(e, Expr::Path(p) if p.path.get_ident().and_then(|i| self.lookup(&i.to_string())).is_some_and(|v| self.by_ref.contains(&v)))
    }
}

/// The jumps in a piece of syntax (not inside closures, `async` blocks or items, which have
/// their own).
#[derive(Default)]
struct Jumps {
    /// A `return`, at any depth.
    returns: bool,
    /// A `break` or `continue` outside nested loops.
    jumps_out: bool,
    /// The labels of the `break 'a` and `continue 'a` inside nested loops.
    nested_labels: Vec<String>,
    /// How many loops the visit is inside.
    depth: usize,
}

impl<'ast> syn::visit::Visit<'ast> for Jumps {
    fn visit_expr(&mut self, e: &'ast Expr) {
        let label = match e {
            Expr::Return(_) => {
                self.returns = true;
                None
            }
            Expr::Break(b) => Some(b.label.as_ref()),
            Expr::Continue(c) => Some(c.label.as_ref()),
            _ => None,
        };
        match label {
            Some(_) if self.depth == 0 => self.jumps_out = true,
            Some(Some(l)) => self.nested_labels.push(l.ident.to_string()),
            _ => {}
        }
        match e {
            Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_) => {
                self.depth += 1;
                syn::visit::visit_expr(self, e);
                self.depth -= 1;
            }
            Expr::Closure(_) | Expr::Async(_) => {}
            _ => syn::visit::visit_expr(self, e),
        }
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

fn jumps<T: Visitable>(e: &T) -> Jumps {
    let mut jumps = Jumps::default();
    e.visit(&mut jumps);
    jumps
}

/// True when `e` contains a `break`, `continue` or `return` outside nested loops and
/// closures (a `return` inside a loop leaves the function too): the statements after it then
/// run on some paths only, so they are moved into the branches (and every path through a loop
/// body ends at a `break` or `continue`).
pub(super) fn may_diverge<T: Visitable>(e: &T) -> bool {
    let jumps = jumps(e);
    jumps.returns || jumps.jumps_out
}

/// Syntax that [`may_diverge`] can look into.
pub(super) trait Visitable {
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

impl Visitable for Expr {
    fn visit<'ast, V: syn::visit::Visit<'ast>>(&'ast self, v: &mut V) {
        v.visit_expr(self);
    }
}

/// True when `e` contains a `return` (not inside a closure).
pub(super) fn contains_return(e: &Expr) -> bool {
    jumps(e).returns
}

/// The value of `return e`, or `()` for a bare `return` (then a type error for rustc to report
/// unless the function returns `()`, rather than a panic here).
fn returned_value(r: &syn::ExprReturn) -> TokenStream {
    match &r.expr {
        Some(e) => quote::ToTokens::to_token_stream(e),
        None => quote::quote_spanned!(r.span()=> ()),
    }
}

/// Rewrites `return e` inside loops as `{ value = e; flag = true; break; }`, and follows each
/// nested loop that returns with `if flag { break; }`.
pub(super) struct ReturnLifter<'a> {
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
                let returned = returned_value(r);
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
                let returned = returned_value(r);
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
                        // `let .. else { return x }`: lifted too, or the loop that holds it
                        // would be found to return again and again.
                        if let Some((_, diverge)) = &mut init.diverge {
                            self.visit_expr_mut(diverge);
                        }
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
pub(super) fn nested_jump_to(stmt: &syn::Stmt, name: &str) -> bool {
    jumps(stmt).nested_labels.iter().any(|l| l == name)
}

/// Rewrites `break 'label` / `continue 'label` in loops nested in the labelled one (see
/// `lower_labeled_loop`).
pub(super) struct JumpLifter<'a> {
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
pub(super) struct NestedLoopFinder(Option<TokenStream>);

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
pub(super) fn binds_names(pat: &Pat) -> Option<&Ident> {
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

/// `if let P = e { a } else { b }` (`l` is its condition) as `match e { P => { a }, _ => b }`
/// (`{}` without `else`).
pub(super) fn if_let_as_match(e: &syn::ExprIf, l: &syn::ExprLet) -> syn::ExprMatch {
    let (pat, scrutinee) = (&*l.pat, &*l.expr);
    let then = &e.then_branch;
    let els: Expr = match &e.else_branch {
        Some((_, els)) => (**els).clone(),
        None => syn::parse_quote!({}),
    };
    syn::parse_quote_spanned!(e.span()=> match #scrutinee { #pat => #then, _ => #els })
}

/// The first `ref` or `ref mut` binding in `pat`.
fn by_ref_binding(pat: &Pat) -> Option<&Ident> {
    struct Finder<'a>(Option<&'a Ident>);
    impl<'ast> syn::visit::Visit<'ast> for Finder<'ast> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            if p.by_ref.is_some() && self.0.is_none() {
                self.0 = Some(&p.ident);
            }
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut finder = Finder(None);
    syn::visit::Visit::visit_pat(&mut finder, pat);
    finder.0
}

/// `pat` with each binding named in `fresh` renamed (and no longer `mut`).
fn renamed_bindings(pat: &Pat, fresh: &[(Ident, Ident)]) -> Pat {
    struct Rename<'a>(&'a [(Ident, Ident)]);
    impl syn::visit_mut::VisitMut for Rename<'_> {
        fn visit_pat_ident_mut(&mut self, p: &mut syn::PatIdent) {
            if let Some((_, to)) = self.0.iter().find(|(from, _)| *from == p.ident) {
                p.ident = to.clone();
                p.mutability = None;
            }
            syn::visit_mut::visit_pat_ident_mut(self, p);
        }
    }
    let mut renamed = pat.clone();
    syn::visit_mut::VisitMut::visit_pat_mut(&mut Rename(fresh), &mut renamed);
    renamed
}

/// `pat` with its bindings replaced by `_` (or by their sub-pattern, for `k @ 1..=3`), and the
/// names it binds, each with whether it is `mut`. A binding is a lowercase name (see
/// [`binds_names`]); an uppercase one is a constant or a unit variant.
fn binding_free(pat: &Pat) -> (Pat, Vec<(Ident, bool)>) {
    struct Replace(Vec<(Ident, bool)>);
    impl syn::visit_mut::VisitMut for Replace {
        fn visit_pat_mut(&mut self, pat: &mut Pat) {
            if let Pat::Ident(p) = pat {
                if binds_names(&Pat::Ident(syn::PatIdent {
                    subpat: None,
                    ..p.clone()
                }))
                .is_some()
                {
                    self.0.push((p.ident.clone(), p.mutability.is_some()));
                    *pat = match p.subpat.take() {
                        Some((_, sub)) => *sub,
                        None => syn::parse_quote!(_),
                    };
                }
            }
            syn::visit_mut::visit_pat_mut(self, pat);
        }
    }
    let mut test = pat.clone();
    let mut replace = Replace(Vec::new());
    syn::visit_mut::VisitMut::visit_pat_mut(&mut replace, &mut test);
    // The alternatives of an or-pattern bind the same names.
    let mut names: Vec<(Ident, bool)> = Vec::new();
    for (name, mutable) in replace.0 {
        if !names.iter().any(|(n, _)| *n == name) {
            names.push((name, mutable));
        }
    }
    (test, names)
}

/// A range (`a..b`, `(a..b).rev()`, `(a..=b).step_by(k)`): floats have no ranges to iterate,
/// so its bounds are integers whatever the macro can tell of their types.
pub(super) fn is_integer_range(e: &Expr) -> bool {
    match e {
        Expr::Range(_) => true,
        Expr::Paren(p) => is_integer_range(&p.expr),
        Expr::MethodCall(m) if m.method == "rev" || m.method == "step_by" => {
            is_integer_range(&m.receiver)
        }
        _ => false,
    }
}

/// What a loop over floats iterates: rows of a slice, numbered (`enumerate`) or side by side
/// (`zip`), nested in any way (`a.iter().zip(b).enumerate()`, `a.iter().zip(b).zip(c)`).
enum Source {
    Row(Box<Row>),
    Enumerate(Box<Source>),
    Zip(Box<Source>, Box<Source>),
}

impl Source {
    fn of(e: &Expr, root: &syn::Path, assigned: &[String]) -> Option<Source> {
        match without_copies(e) {
            Expr::MethodCall(m) if m.method == "enumerate" && m.args.is_empty() => Some(
                Source::Enumerate(Box::new(Source::of(&m.receiver, root, assigned)?)),
            ),
            Expr::MethodCall(m) if m.method == "zip" && m.args.len() == 1 => Some(Source::Zip(
                Box::new(Source::of(&m.receiver, root, assigned)?),
                Box::new(Source::of(&m.args[0], root, assigned)?),
            )),
            other => Row::of(other, root, assigned).map(|row| Source::Row(Box::new(row))),
        }
    }

    /// The number of items: the shorter side of a `zip`.
    fn count(&self) -> Expr {
        match self {
            Source::Row(row) => row.count.clone(),
            Source::Enumerate(inner) => inner.count(),
            Source::Zip(a, b) => {
                let (a, b) = (a.count(), b.count());
                syn::parse_quote!(#a.min(#b))
            }
        }
    }

    /// The `let`s that bind `pat` to item `k`, into `out`; the names bound to an element by
    /// reference (a plain `x` where the iterator gives `&f64`) into `by_ref`. False when `pat`
    /// does not fit the item's shape.
    fn bind(&self, pat: &Pat, k: &Ident, out: &mut Vec<syn::Stmt>, by_ref: &mut Vec<Pat>) -> bool {
        let pat = match pat {
            Pat::Paren(p) => &*p.pat,
            other => other,
        };
        match (self, pat) {
            (Source::Row(row), Pat::Reference(r))
                if matches!(&*r.pat, Pat::Ident(_) | Pat::Wild(_)) =>
            {
                let (x, at) = (&r.pat, row.at(k));
                out.push(syn::parse_quote!(let #x = #at;));
                true
            }
            (Source::Row(row), Pat::Ident(_) | Pat::Wild(_)) => {
                let at = row.at(k);
                out.push(syn::parse_quote!(let #pat = #at;));
                by_ref.push(pat.clone());
                true
            }
            (Source::Enumerate(inner), Pat::Tuple(t)) if t.elems.len() == 2 => {
                let i = &t.elems[0];
                if !matches!(i, Pat::Ident(_) | Pat::Wild(_)) {
                    return false;
                }
                out.push(syn::parse_quote!(let #i = #k;));
                inner.bind(&t.elems[1], k, out, by_ref)
            }
            (Source::Zip(a, b), Pat::Tuple(t)) if t.elems.len() == 2 => {
                a.bind(&t.elems[0], k, out, by_ref) && b.bind(&t.elems[1], k, out, by_ref)
            }
            _ => false,
        }
    }
}

/// What a loop over floats iterates, as an index loop sees it: `base[start + stride * k]` for
/// `k` in `0..count`.
struct Row {
    base: Expr,
    /// Where the row starts in `base` (`None`: at 0).
    start: Option<Expr>,
    /// The step between elements (`None`: 1).
    stride: Option<Expr>,
    /// True for `row.rev()`: item `k` is the row's element `count - 1 - k`.
    reversed: bool,
    /// The number of elements: `base.len()`, or for `base[a..b]` the length of the slice,
    /// computed by a runtime helper that panics as the slicing does.
    count: Expr,
}

impl Row {
    /// The row of `xs`, `&xs`, `xs.iter()`, `xs[a..b]` (with `.copied()`/`.cloned()`), where
    /// `xs` is a local or a field and the bounds are simple expressions of locals the loop
    /// body does not assign (`assigned`).
    fn of(e: &Expr, root: &syn::Path, assigned: &[String]) -> Option<Row> {
        match without_copies(e) {
            base @ (Expr::Path(_) | Expr::Field(_)) => Some(Row {
                base: base.clone(),
                start: None,
                stride: None,
                reversed: false,
                count: syn::parse_quote!(#base.len()),
            }),
            // `.rev()` of a row (inside a `zip`: an outer one reverses the counter instead).
            Expr::MethodCall(m) if m.method == "rev" && m.args.is_empty() => {
                let row = Row::of(&m.receiver, root, assigned)?;
                (!row.reversed).then_some(Row {
                    reversed: true,
                    ..row
                })
            }
            // `.skip(s)`, `.take(t)`, `.step_by(s)` of a row: another row.
            Expr::MethodCall(m)
                if ["skip", "take", "step_by"].contains(&m.method.to_string().as_str())
                    && m.args.len() == 1
                    && is_simple_bound(&m.args[0], assigned) =>
            {
                let row = Row::of(&m.receiver, root, assigned)?;
                if row.reversed {
                    return None;
                }
                let (n, count) = (&m.args[0], &row.count);
                Some(match m.method.to_string().as_str() {
                    "skip" => {
                        let skipped: Expr = match &row.stride {
                            Some(stride) => syn::parse_quote!((#stride) * (#n)),
                            None => syn::parse_quote!((#n)),
                        };
                        Row {
                            start: Some(match &row.start {
                                Some(start) => syn::parse_quote!((#start) + #skipped),
                                None => skipped,
                            }),
                            count: syn::parse_quote!(#count.saturating_sub(#n)),
                            ..row
                        }
                    }
                    "take" => Row {
                        count: syn::parse_quote!(#count.min(#n)),
                        ..row
                    },
                    _ => Row {
                        stride: Some(match &row.stride {
                            Some(stride) => syn::parse_quote!((#stride) * (#n)),
                            None => syn::parse_quote!((#n)),
                        }),
                        count: syn::parse_quote!(#root::__private::step_count(#count, #n)),
                        ..row
                    },
                })
            }
            Expr::Reference(r) if r.mutability.is_none() => Row::of(&r.expr, root, assigned),
            Expr::Paren(p) => Row::of(&p.expr, root, assigned),
            Expr::MethodCall(m) if m.method == "iter" && m.args.is_empty() => {
                Row::of(&m.receiver, root, assigned)
            }
            Expr::Index(ix) => {
                let Expr::Range(r) = &*ix.index else {
                    return None;
                };
                let base = match &*ix.expr {
                    base @ (Expr::Path(_) | Expr::Field(_)) => base.clone(),
                    _ => None?,
                };
                let simple = |b: &Option<Box<Expr>>| {
                    b.as_deref().is_none_or(|b| is_simple_bound(b, assigned))
                };
                if !simple(&r.start) || !simple(&r.end) {
                    return None;
                }
                let start = r.start.as_deref().cloned();
                let from: Expr = start.clone().unwrap_or_else(|| syn::parse_quote!(0));
                let count: Expr = match (&r.end, &r.limits) {
                    (None, _) => {
                        syn::parse_quote!(#root::__private::slice_len_from(#base.len(), #from))
                    }
                    (Some(end), syn::RangeLimits::HalfOpen(_)) => {
                        syn::parse_quote!(#root::__private::slice_len(#base.len(), #from, #end))
                    }
                    (Some(end), syn::RangeLimits::Closed(_)) => syn::parse_quote!(
                        #root::__private::slice_len(#base.len(), #from, #root::__private::inclusive_end(#end))
                    ),
                };
                Some(Row {
                    base,
                    start,
                    stride: None,
                    reversed: false,
                    count,
                })
            }
            _ => None,
        }
    }

    /// The element at counter `k`.
    fn at(&self, k: &Ident) -> Expr {
        let base = &self.base;
        let count = &self.count;
        // Every part is parenthesized: a bound or a step may be any `a + b`.
        let k: Expr = if self.reversed {
            syn::parse_quote!((#count - 1 - #k))
        } else {
            syn::parse_quote!(#k)
        };
        let offset: Expr = match &self.stride {
            Some(stride) => syn::parse_quote!((#stride) * #k),
            None => k,
        };
        match &self.start {
            Some(start) => syn::parse_quote!(#base[(#start) + #offset]),
            None => syn::parse_quote!(#base[#offset]),
        }
    }
}

/// A slice bound the index loop may evaluate again in every iteration: integer literals,
/// locals that `assigned` does not hold, `xs.len()`, and `+`, `-`, `*` of those.
fn is_simple_bound(e: &Expr, assigned: &[String]) -> bool {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(_),
            ..
        }) => true,
        Expr::Path(p) => p
            .path
            .get_ident()
            .is_some_and(|i| !assigned.contains(&unraw(&i.to_string()).to_string())),
        Expr::Paren(p) => is_simple_bound(&p.expr, assigned),
        Expr::MethodCall(m) => {
            m.method == "len" && m.args.is_empty() && matches!(&*m.receiver, Expr::Path(_))
        }
        Expr::Binary(b) => {
            matches!(b.op, BinOp::Add(_) | BinOp::Sub(_) | BinOp::Mul(_))
                && is_simple_bound(&b.left, assigned)
                && is_simple_bound(&b.right, assigned)
        }
        _ => false,
    }
}

/// `e` without the `.copied()` and `.cloned()` at its end.
fn without_copies(e: &Expr) -> &Expr {
    match e {
        Expr::MethodCall(m)
            if (m.method == "copied" || m.method == "cloned") && m.args.is_empty() =>
        {
            without_copies(&m.receiver)
        }
        _ => e,
    }
}

pub(super) fn is_unit(atom: &Atom) -> bool {
    matches!(atom, Atom::Const(tokens, _) if tokens.to_string() == "()")
}

/// The local variables that `stmt` assigns (roots of `x = ..`, `x.0 += ..`, `&mut x`).
pub(super) fn assigned_roots(stmt: &syn::Stmt, out: &mut Vec<String>) {
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
