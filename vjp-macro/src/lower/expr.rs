//! Lowering expressions into A-normal form: every operation on a float-carrying value binds a
//! fresh variable; inactive expressions are kept whole; constructs without a rule become
//! `Opaque` with the reason.

use super::*;

impl Lowerer<'_> {
    /// Binds `rhs` to a new variable (named by `dest`) and returns it.
    pub(super) fn bind(&mut self, rhs: Rhs, dest: Dest, span: Span) -> Atom {
        let (name, ann) = match dest {
            Dest::Temp => (self.namer.temp(), None),
            Dest::Named(name, ann) => (name, ann),
        };
        let ty = match &ann {
            Some(t) => classify_local(t, self.floats),
            None => self.infer(&rhs),
        };
        if let (Some(t), Ty::Other) = (&ann, &ty) {
            if may_own_memory(t) {
                let text = name.to_string();
                let user = self.namer.versions().get(&text).cloned().unwrap_or(text);
                self.owning.insert(user);
            }
        }
        let var = self.new_var(name, ty);
        self.stmts.push(Stmt::Let {
            var,
            ty: ann,
            rhs,
            span,
        });
        Atom::Var(var)
    }

    pub(super) fn infer(&self, rhs: &Rhs) -> Ty {
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
    pub(super) fn lower_expr(&mut self, e: &Expr, dest: Dest) -> Atom {
        match e {
            Expr::Paren(p) => return self.lower_expr(&p.expr, dest),
            Expr::Group(g) => return self.lower_expr(&g.expr, dest),
            _ => {}
        }
        if let Some(atom) = self.lower_inactive(e, dest.clone()) {
            return atom;
        }
        // `let n: usize = x.iter().filter(..).count();`: a value whose declared type carries
        // no floats has no derivative, however it is computed from floats.
        if let Dest::Named(_, Some(ty)) = &dest {
            if matches!(&**ty, Type::Path(_))
                && classify_local(ty, self.floats) == Ty::Other
                && !self.names_inlined_closure(e)
                && !may_diverge(e)
                && super::closures::leaves_closure(e).is_none()
            {
                return self.opaque(e, dest.clone(), None, Ty::Other);
            }
        }
        let span = e.span();
        match e {
            Expr::Path(p) => match p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                Some(var) if self.is_inlined_closure(var) => {
                    self.closure_misuse(p, &p.to_token_stream().to_string());
                    Self::unit()
                }
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
            Expr::Unary(u) if matches!(u.op, UnOp::Not(_)) && self.names_inlined_closure(e) => {
                self.negate(u, dest)
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
            // `[x; 3]` with an active `x` and a literal length: `[x, x, x]`, the value
            // computed once.
            Expr::Repeat(r) if repeat_len(&r.len).is_some() => self.lower_repeat(r, dest),
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
    pub(super) fn lower_inactive(&mut self, e: &Expr, dest: Dest) -> Option<Atom> {
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
    pub(super) fn copy_to(&mut self, atom: Atom, dest: Dest, span: Span) -> Atom {
        match dest {
            Dest::Temp => atom,
            named => self.bind(Rhs::Use(atom), named, span),
        }
    }

    pub(super) fn lower_binary(&mut self, b: &syn::ExprBinary, dest: Dest) -> Atom {
        let op = match b.op {
            BinOp::Add(_) => ArithOp::Add,
            BinOp::Sub(_) => ArithOp::Sub,
            BinOp::Mul(_) => ArithOp::Mul,
            BinOp::Div(_) => ArithOp::Div,
            _ => return self.lower_other_binary(b, dest),
        };
        let a = self.lower_expr(&b.left, Dest::Temp);
        let c = self.lower_expr(&b.right, Dest::Temp);
        self.bind(Rhs::Arith(op, a, c), dest, b.span())
    }

    /// A binary operator other than `+ - * /`: comparisons, `&&` and `||` (inactive `bool`s),
    /// compound assignments, operators on integers, and the errors. Out of line: a long chain
    /// `x * x * ..` recurses through [`Lowerer::lower_binary`], whose frame stays small.
    #[inline(never)]
    fn lower_other_binary(&mut self, b: &syn::ExprBinary, dest: Dest) -> Atom {
        match b.op {
            BinOp::Lt(_) | BinOp::Le(_) | BinOp::Gt(_) | BinOp::Ge(_) | BinOp::Eq(_) | BinOp::Ne(_) => {
                if self.names_inlined_closure(&Expr::Binary(b.clone())) {
                    return self.compare_atoms(b, dest);
                }
                self.opaque(&Expr::Binary(b.clone()), dest, None, Ty::Other)
            }
            _ if compound_op(&b.op).is_some() => {
                self.lower_compound(b);
                Self::unit()
            }
            BinOp::And(_) | BinOp::Or(_) => {
                // `f(x) < 0.0 && n > 2` with an inlined closure: an `if`, which keeps the
                // short circuit (the right side runs only when the left one decides nothing).
                if self.names_inlined_closure(&Expr::Binary(b.clone())) {
                    return self.short_circuit(b, dest);
                }
                self.opaque(&Expr::Binary(b.clone()), dest, None, Ty::Other)
            }
            // `(x * 10.0) as usize % 3`: integers, which carry no derivative, though they are
            // computed from a float.
            _ if self.integer_operands(b) => {
                self.opaque(&Expr::Binary(b.clone()), dest, None, Ty::Other)
            }
            BinOp::Rem(_) => self.unsupported(&Expr::Binary(b.clone()), dest, "`%` of an active value has no derivative rule", "compute the remainder on inactive values, or write it with `trunc`: `a - (a / b).trunc() * b`"),
            _ => self.unsupported(&Expr::Binary(b.clone()), dest, "this operator cannot be applied to an active value", "use `+`, `-`, `*`, `/` or a method with a derivative rule"),
        }
    }

    /// True when both operands of `b` are integers (or other values without a derivative) by
    /// their syntax. Out of line, to keep [`Lowerer::lower_expr`]'s recursion in small frames.
    #[inline(never)]
    fn integer_operands(&self, b: &syn::ExprBinary) -> bool {
        self.guess_ty(&b.left) == Ty::Other && self.guess_ty(&b.right) == Ty::Other
    }

    /// `a && b` or `a || b` calling a closure that exists only through its calls: an `if`,
    /// which keeps the short circuit (the right side runs only when the left one decides
    /// nothing). Out of line, so that the recursion of `lower_expr` keeps small frames.
    #[inline(never)]
    fn short_circuit(&mut self, b: &syn::ExprBinary, dest: Dest) -> Atom {
        let (left, right) = (&b.left, &b.right);
        let branches: Expr = match b.op {
            BinOp::And(_) => {
                syn::parse_quote_spanned!(b.span()=> if #left { #right } else { false })
            }
            _ => syn::parse_quote_spanned!(b.span()=> if #left { true } else { #right }),
        };
        self.lower_expr(&branches, dest)
    }

    /// `!e` where `e` calls a closure that exists only through its calls: `e` first, then its
    /// negation.
    #[inline(never)]
    fn negate(&mut self, u: &syn::ExprUnary, dest: Dest) -> Atom {
        let a = self.lower_expr(&u.expr, Dest::Temp);
        let mut reads = Vec::new();
        let operand = self.atom_tokens(&a, &mut reads);
        self.inactive_of(quote!(!#operand), reads, dest, u.span())
    }

    /// `atom` as tokens of an inactive expression; its variable, if any, goes to `reads`.
    fn atom_tokens(&self, atom: &Atom, reads: &mut Vec<VarId>) -> TokenStream {
        match atom {
            Atom::Var(v) => {
                reads.push(*v);
                self.vars[*v].name.to_token_stream()
            }
            Atom::Const(tokens, _) => tokens.clone(),
        }
    }

    /// Binds `expr`, which reads `reads` and carries no derivative (a `bool`), to `dest`.
    fn inactive_of(
        &mut self,
        expr: TokenStream,
        reads: Vec<VarId>,
        dest: Dest,
        span: Span,
    ) -> Atom {
        let rhs = Rhs::Opaque {
            expr,
            reads,
            unsupported: None,
            ty: Ty::Other,
        };
        self.bind(rhs, dest, span)
    }

    /// A comparison whose operands call a closure that exists only through its calls
    /// (`f(x) < 0.0`): the operands lowered first (the calls inlined), then compared.
    #[inline(never)]
    fn compare_atoms(&mut self, b: &syn::ExprBinary, dest: Dest) -> Atom {
        let a = self.lower_expr(&b.left, Dest::Temp);
        let c = self.lower_expr(&b.right, Dest::Temp);
        let mut reads = Vec::new();
        let left = self.atom_tokens(&a, &mut reads);
        let right = self.atom_tokens(&c, &mut reads);
        let op = &b.op;
        self.inactive_of(quote!(#left #op #right), reads, dest, b.span())
    }

    /// `x.to_vec()` of a float slice parameter, or `x.clone()` of a `&Vec<F>` one: the `Vec`
    /// a loop fills from it (`x.iter().copied().collect::<Vec<F>>()`). Out of line, to keep
    /// [`Lowerer::lower_expr`]'s recursion in small frames.
    #[inline(never)]
    fn working_copy(&self, mc: &syn::ExprMethodCall) -> Option<Expr> {
        let name = mc.method.to_string();
        if !(name == "to_vec" || name == "clone") || !mc.args.is_empty() || mc.turbofish.is_some() {
            return None;
        }
        let param = match &*mc.receiver {
            Expr::Path(p) => p.path.get_ident().and_then(|i| self.lookup(&i.to_string())),
            _ => None,
        };
        let elem = param
            .filter(|v| name == "to_vec" || self.vec_params.contains(v))
            .and_then(|v| self.elements.iter().find(|(w, _)| *w == v))
            .map(|(_, t)| t.clone())?;
        let xs = &mc.receiver;
        Some(syn::parse_quote_spanned!(mc.span()=>
            #xs.iter().copied().collect::<::std::vec::Vec<#elem>>()
        ))
    }

    pub(super) fn lower_method(&mut self, mc: &syn::ExprMethodCall, dest: Dest) -> Atom {
        let name = mc.method.to_string();
        let e = Expr::MethodCall(mc.clone());
        let dest = match self.lower_reduction(mc, dest) {
            Ok(atom) => return atom,
            Err(dest) => dest,
        };
        if let Some(copy) = self.working_copy(mc) {
            return self.lower_expr(&copy, dest);
        }
        // `self.g(x)` in a method: the call `Self::g(self, x)`, differentiated by `Self::g_vjp`.
        if matches!(&*mc.receiver, Expr::Path(p) if p.path.is_ident("self"))
            && prims::lookup(&name).is_none()
        {
            let (method, turbofish, args, receiver) =
                (&mc.method, &mc.turbofish, &mc.args, &mc.receiver);
            let call: syn::ExprCall = syn::parse_quote_spanned!(mc.span()=>
                Self::#method #turbofish(#receiver, #args)
            );
            return self.lower_call(&call, dest);
        }
        if mc.turbofish.is_none() {
            if name == "clone" && mc.args.is_empty() {
                let a = self.lower_expr(&mc.receiver, Dest::Temp);
                return self.copy_to(a, dest, mc.span());
            }
            // `x.len().min(w.len())`, `(k as i64).abs()`: a method of an integer that floats
            // have too carries no derivative, and gives an integer.
            if prims::lookup(&name).is_some() && self.integer_method(mc) {
                return self.opaque(&e, dest, None, Ty::Other);
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
        // Already reported as changing its receiver in place.
        if self
            .changed_in_place
            .contains(&super::in_place::span_key(mc))
        {
            return self.opaque(&e, dest, None, Ty::Unknown);
        }
        self.unsupported(&e, dest, format!("the method `{name}` has no derivative rule"), "use a method listed in the README, or a function with a `_vjp` rule (a `#[differentiable]` fn or a hand-written one); if the result is an integer or a `bool`, give the `let` its type (`let n: usize = ..;`)")
    }

    /// A primitive applied to `args` (receiver first); `path` is the `f64::sin` form if the
    /// user wrote it that way.
    pub(super) fn lower_prim(
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

    /// `[x; n]` for a literal `n` (see [`repeat_len`]): `[x, x, ..]`. Out of line, to keep
    /// [`Lowerer::lower_expr`]'s frame small (it recurses once per nesting level).
    #[inline(never)]
    fn lower_repeat(&mut self, r: &syn::ExprRepeat, dest: Dest) -> Atom {
        let n = repeat_len(&r.len).unwrap_or(0);
        let elem = self.lower_expr(&r.expr, Dest::Temp);
        self.bind(Rhs::Array(vec![elem; n]), dest, r.span())
    }

    pub(super) fn lower_call(&mut self, call: &syn::ExprCall, dest: Dest) -> Atom {
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
        if let Some(var) = path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
            if func.qself.is_none() {
                let dest_back = dest.clone();
                if let Some(atom) = self.inline_closure_call(var, call, dest) {
                    return atom;
                }
                return self.unsupported(
                    &e,
                    dest_back,
                    "calling a closure or a local cannot be differentiated",
                    "bind the closure with `let f = |..| ..;` and call it, or call a named `#[differentiable]` function",
                );
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
        let (args, by_ref) = call.args.iter().map(|a| self.lower_arg(a)).unzip();
        self.bind(
            Rhs::Call {
                path: path.clone(),
                args,
                by_ref,
            },
            dest,
            call.span(),
        )
    }

    /// A call's argument, and whether it is a local row lent to the callee: `&h` for a local
    /// array or `Vec` of floats, or `&[a, b]` of an array literal (the callee takes `&[F]`,
    /// `&[F; N]` or `&Vec<F>`). `&x` of a reference parameter is `x` itself.
    #[inline(never)]
    fn lower_arg(&mut self, arg: &Expr) -> (Atom, bool) {
        if let Expr::Reference(r) = arg {
            if let (None, Expr::Array(_) | Expr::Repeat(_)) = (r.mutability, &*r.expr) {
                // Lent whatever its elements: a row without a derivative goes without a
                // shadow or tangent.
                return (self.lower_expr(&r.expr, Dest::Temp), true);
            }
        }
        let lent = match arg {
            Expr::Reference(r) if r.mutability.is_none() => match &*r.expr {
                Expr::Path(p) if p.qself.is_none() => {
                    p.path.get_ident().and_then(|i| self.lookup(&i.to_string()))
                }
                _ => None,
            },
            _ => None,
        };
        match lent.map(|v| (v, self.vars[v].ty.clone())) {
            Some((v, Ty::Slice(_))) => (Atom::Var(v), false),
            Some((v, ty @ (Ty::Array(_) | Ty::Unknown))) if ty.carries_floats() => {
                (Atom::Var(v), true)
            }
            _ => (self.lower_expr(arg, Dest::Temp), false),
        }
    }

    pub(super) fn is_float_type_name(&self, ident: &Ident) -> bool {
        ident == "f32" || ident == "f64" || ident == "Real" || self.floats.contains(ident)
    }

    pub(super) fn lower_cast(&mut self, c: &syn::ExprCast, dest: Dest) -> Atom {
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

    pub(super) fn lower_unsupported(&mut self, e: &Expr, dest: Dest) -> Atom {
        let (message, help) = match e {
            Expr::Closure(_) => (
                "closures cannot be differentiated here",
                "bind the closure to a local (`let f = |..| ..;`) and call it, or write a `#[differentiable]` fn",
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
                "`[x; N]` with an active `x` is supported for a literal `N` from 1 to 64 only",
                "write the length as a literal (`[x; 3]`), or the elements out: `[x, x, x]`",
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
    pub(super) fn unsupported(
        &mut self,
        e: &Expr,
        dest: Dest,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Atom {
        let at = match e {
            Expr::MethodCall(m) => super::in_place::call_tokens(m),
            Expr::Binary(b) => b.op.to_token_stream(),
            Expr::Cast(c) => c.ty.to_token_stream(),
            other => other.to_token_stream(),
        };
        let unsupported = Unsupported {
            message: message.into(),
            help: help.into(),
            at,
            reads: self.values_read(e),
        };
        self.opaque(e, dest, Some(unsupported), Ty::Unknown)
    }

    pub(super) fn opaque(
        &mut self,
        e: &Expr,
        dest: Dest,
        unsupported: Option<Unsupported>,
        ty: Ty,
    ) -> Atom {
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
}

/// A literal, a path or a negated literal: cheap and pure, so it may be repeated where used.
pub(super) fn is_trivial(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) | Expr::Path(_) => true,
        Expr::Paren(p) => is_trivial(&p.expr),
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => matches!(&*u.expr, Expr::Lit(_)),
        _ => false,
    }
}

/// The length of `[x; N]` when `N` is an integer literal from 1 to 64 (written out, one
/// element each).
fn repeat_len(len: &Expr) -> Option<usize> {
    match len {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(n),
            ..
        }) => n
            .base10_parse::<usize>()
            .ok()
            .filter(|n| (1..=64).contains(n)),
        Expr::Paren(p) => repeat_len(&p.expr),
        Expr::Group(g) => repeat_len(&g.expr),
        _ => None,
    }
}

/// True for a type without floats that may not be `Copy`: anything but a primitive scalar, a
/// reference, or an array or tuple of those (`Vec<usize>`, `String`, `Option<Vec<u8>>`).
fn may_own_memory(ty: &syn::Type) -> bool {
    const SCALARS: &[&str] = &[
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
        "bool", "char",
    ];
    match ty {
        syn::Type::Path(p) => !p
            .path
            .get_ident()
            .is_some_and(|i| SCALARS.contains(&i.to_string().as_str())),
        syn::Type::Reference(r) => r.mutability.is_some(),
        syn::Type::Array(a) => may_own_memory(&a.elem),
        syn::Type::Tuple(t) => t.elems.iter().any(may_own_memory),
        syn::Type::Paren(p) => may_own_memory(&p.elem),
        syn::Type::Group(g) => may_own_memory(&g.elem),
        _ => true,
    }
}
