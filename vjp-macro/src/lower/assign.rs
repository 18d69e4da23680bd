//! Lowering assignments: reassignment, compound assignment, element and field updates
//! (functional updates in SSA form), destructuring assignment.

use super::*;

impl Lowerer<'_> {
    pub(super) fn lower_assign(&mut self, left: &Expr, right: &Expr) {
        // `(a, b) = (b, a + b)`: the right side is evaluated first, then each target is
        // assigned its component.
        if let Expr::Tuple(_) | Expr::Array(_) = left {
            let value = self.lower_expr(right, Dest::Temp);
            return self.assign_components(left, value);
        }
        let Some((root, projs)) = self.place(left) else {
            return;
        };
        let root_name = root.to_string();
        let Some(current) = self.lookup(&root_name) else {
            self.cx.error_help(
                left.span(),
                "only local variables can be assigned in a differentiable function",
                "bind the value to a local with `let`",
            );
            return;
        };
        let version = self.namer.user(&root_name, root.span());
        let new = if projs.is_empty() {
            self.lower_expr(right, Dest::Named(version, None))
        } else {
            let value = self.lower_expr(right, Dest::Temp);
            self.update_chain(
                Atom::Var(current),
                &projs,
                value,
                Dest::Named(version, None),
                left.span(),
            )
        };
        match new {
            Atom::Var(v) => {
                // An assignment does not change the variable's type: a value of a type vjp
                // cannot see (`h = weight(i);`) has the type the variable had.
                // (Not a reference to a row: a local never gets a shadow.)
                let known = !matches!(self.vars[current].ty, Ty::Unknown | Ty::Slice(_));
                if projs.is_empty() && known && self.vars[v].ty == Ty::Unknown {
                    self.vars[v].ty = self.vars[current].ty.clone();
                }
                self.rebind(&root_name, v)
            }
            constant => {
                let ty = self.vars[current].ty.clone();
                let name = self.namer.user(&root_name, root.span());
                let var = self.new_var(name, ty);
                self.stmts.push(Stmt::Let {
                    var,
                    ty: None,
                    rhs: Rhs::Use(constant),
                    span: left.span(),
                });
                self.rebind(&root_name, var);
            }
        }
    }

    /// Assigns the components of `value` to the places of a tuple or array target.
    pub(super) fn assign_components(&mut self, left: &Expr, value: Atom) {
        let (elems, tuple): (Vec<&Expr>, bool) = match left {
            Expr::Tuple(t) => (t.elems.iter().collect(), true),
            Expr::Array(a) => (a.elems.iter().collect(), false),
            Expr::Paren(p) => return self.assign_components(&p.expr, value),
            _ => return,
        };
        for (i, target) in elems.into_iter().enumerate() {
            if matches!(target, Expr::Infer(_)) {
                continue;
            }
            let proj = Proj::nth(i, tuple);
            let component = self.bind(Rhs::Project(value.clone(), proj), Dest::Temp, target.span());
            let temp = self.namer.fresh("component", target.span());
            // Bind the component to a syntactic name so that the ordinary assignment path
            // (SSA versions, slots, element updates) applies.
            let var = match component {
                Atom::Var(v) => v,
                Atom::Const(..) => continue,
            };
            self.scopes.push(vec![(temp.to_string(), var)]);
            let rhs: Expr = syn::parse_quote!(#temp);
            match target {
                Expr::Tuple(_) | Expr::Array(_) => self.assign_components(target, Atom::Var(var)),
                _ => self.lower_assign(target, &rhs),
            }
            self.scopes.pop();
        }
    }

    /// `x op= e` as `x = x op e`.
    pub(super) fn lower_compound(&mut self, b: &syn::ExprBinary) {
        let Some(op) = compound_op(&b.op) else {
            return;
        };
        let left = &b.left;
        let right = &b.right;
        // `x -= a - b` must stay `x - (a - b)`; a simple operand needs no parentheses.
        let right: Expr = match &**right {
            Expr::Lit(_)
            | Expr::Path(_)
            | Expr::Call(_)
            | Expr::MethodCall(_)
            | Expr::Field(_)
            | Expr::Index(_)
            | Expr::Paren(_) => (**right).clone(),
            other => syn::parse_quote!((#other)),
        };
        let value: Expr = match op {
            CompoundOp::Add => syn::parse_quote_spanned!(b.span()=> #left + #right),
            CompoundOp::Sub => syn::parse_quote_spanned!(b.span()=> #left - #right),
            CompoundOp::Mul => syn::parse_quote_spanned!(b.span()=> #left * #right),
            CompoundOp::Div => syn::parse_quote_spanned!(b.span()=> #left / #right),
            CompoundOp::Other => {
                if !self.reads_float_values(&b.left) && !self.reads_float_values(&b.right) {
                    let e: Expr = Expr::Binary(b.clone());
                    return self.lower_assign_opaque(&e);
                }
                self.cx.error_help(
                    b.op.span(),
                    "this compound assignment cannot be differentiated",
                    "use `+=`, `-=`, `*=` or `/=`, or write the operation out",
                );
                return;
            }
        };
        self.lower_assign(left, &value);
    }

    /// An integer compound assignment (`n %= 3`, `bits |= 1`) on inactive data: written out
    /// as `n = n % 3` so that SSA renaming sees the new version.
    pub(super) fn lower_assign_opaque(&mut self, e: &Expr) {
        if let Expr::Binary(b) = e {
            let left = &b.left;
            let right = &b.right;
            let op = match b.op {
                BinOp::RemAssign(_) => quote!(%),
                BinOp::BitAndAssign(_) => quote!(&),
                BinOp::BitOrAssign(_) => quote!(|),
                BinOp::BitXorAssign(_) => quote!(^),
                BinOp::ShlAssign(_) => quote!(<<),
                BinOp::ShrAssign(_) => quote!(>>),
                _ => return,
            };
            let value: Expr = syn::parse_quote_spanned!(b.span()=> #left #op (#right));
            self.lower_assign(left, &value);
        }
    }

    /// The root variable and the projections of an assignment target such as `a.0[i]`.
    pub(super) fn place(&mut self, left: &Expr) -> Option<(Ident, Vec<Proj>)> {
        match left {
            Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
                p.path.get_ident().map(|i| (i.clone(), Vec::new()))
            }
            Expr::Paren(p) => self.place(&p.expr),
            Expr::Field(f) => {
                let syn::Member::Unnamed(index) = &f.member else {
                    self.cx.error_help(
                        f.member.span(),
                        "assignment to a named field is not supported",
                        "use local variables, tuples or arrays",
                    );
                    return None;
                };
                let (root, mut projs) = self.place(&f.base)?;
                projs.push(Proj::Field(index.index as usize));
                Some((root, projs))
            }
            Expr::Index(ix) => {
                let (root, mut projs) = self.place(&ix.expr)?;
                let index = self.lower_expr(&ix.index, Dest::Temp);
                projs.push(Proj::Index(index));
                Some((root, projs))
            }
            other => {
                self.cx.error_help(
                    other.span(),
                    "this assignment target is not supported",
                    "assign to a local variable, a tuple field `t.0` or an array element `a[i]`",
                );
                None
            }
        }
    }

    /// `root.p0.p1 = value` as a chain of functional updates, innermost first.
    pub(super) fn update_chain(
        &mut self,
        root: Atom,
        projs: &[Proj],
        value: Atom,
        dest: Dest,
        span: Span,
    ) -> Atom {
        let Some((first, rest)) = projs.split_first() else {
            return value;
        };
        let inner_value = if rest.is_empty() {
            value
        } else {
            let inner = self.bind(Rhs::Project(root.clone(), first.clone()), Dest::Temp, span);
            self.update_chain(inner, rest, value, Dest::Temp, span)
        };
        let rhs = Rhs::Update {
            base: root,
            proj: first.clone(),
            value: inner_value,
        };
        self.bind(rhs, dest, span)
    }

    // ----- expressions -----
}

/// The local variable at the root of a place expression such as `a.0[i]`.
pub(super) fn root_ident(e: &Expr) -> Option<&Ident> {
    match e {
        Expr::Path(p) => p.path.get_ident(),
        Expr::Field(f) => root_ident(&f.base),
        Expr::Index(i) => root_ident(&i.expr),
        Expr::Paren(p) => root_ident(&p.expr),
        _ => None,
    }
}

pub(super) enum CompoundOp {
    Add,
    Sub,
    Mul,
    Div,
    Other,
}

pub(super) fn compound_op(op: &BinOp) -> Option<CompoundOp> {
    Some(match op {
        BinOp::AddAssign(_) => CompoundOp::Add,
        BinOp::SubAssign(_) => CompoundOp::Sub,
        BinOp::MulAssign(_) => CompoundOp::Mul,
        BinOp::DivAssign(_) => CompoundOp::Div,
        BinOp::RemAssign(_)
        | BinOp::BitAndAssign(_)
        | BinOp::BitOrAssign(_)
        | BinOp::BitXorAssign(_)
        | BinOp::ShlAssign(_)
        | BinOp::ShrAssign(_) => CompoundOp::Other,
        _ => return None,
    })
}
