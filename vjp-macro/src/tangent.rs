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
//!
//! The sweep carries any number of *lanes*, each an independent tangent of every active
//! value (`dot0_t0`, `dot1_t0`, ...), all in the same pass over the primal code. `NAME_jvp`
//! is the sweep with one lane; [`lanes_sweep`] seeds one lane per active parameter, which
//! makes it a whole gradient in one pass, without the tape a loop's reverse needs.

use crate::activity::Activity;
use crate::emit::braced;
use crate::forward::{atom, missing_phi_value, owned_copy, proj, tuple_or_single};
use crate::ir::{ArithOp, Atom, Block, Body, Loop, LoopKind, Phi, Rhs, Stmt, Term, Ty, VarId};
use crate::naming::Namer;
use crate::parse::Model;
use crate::plan::Plan;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

/// The most active parameters for which `NAME_grad` runs forward lanes: each lane repeats the
/// whole tangent computation, so beyond a few inputs one reverse sweep (whatever its tape
/// costs) does less work.
pub const MAX_LANES: usize = 2;

/// The most float slots a loop may carry for its body's local Jacobian to be computed first
/// (see [`Tangents::preaccumulated`]).
const MAX_CARRIED: usize = 2;

/// The tangent of a copy, negation, sum, difference or product from its operands' tangents
/// (`d`, `None` for a tangent known to be zero): `None` for any other right-hand side,
/// `Some(None)` when every operand's tangent is zero. Shared by the lanes' tangents and the
/// local partials of a preaccumulated loop body.
fn linear_tangent(
    body: &Body,
    rhs: &Rhs,
    d: &mut dyn FnMut(&Atom) -> Option<TokenStream>,
) -> Option<Option<TokenStream>> {
    Some(match rhs {
        Rhs::Use(a) => d(a),
        Rhs::Neg(a) => d(a).map(|d| quote!(-#d)),
        Rhs::Arith(op @ (ArithOp::Add | ArithOp::Sub), a, b) => match (d(a), d(b), op) {
            (Some(da), Some(db), ArithOp::Add) => Some(quote!(#da + #db)),
            (Some(da), Some(db), _) => Some(quote!(#da - #db)),
            (Some(da), None, _) => Some(da),
            (None, Some(db), ArithOp::Add) => Some(db),
            (None, Some(db), _) => Some(quote!(-#db)),
            (None, None, _) => None,
        },
        Rhs::Arith(ArithOp::Mul, a, b) => {
            let (ta, tb) = (atom(body, a), atom(body, b));
            let terms: Vec<TokenStream> = [(d(a), tb), (d(b), ta)]
                .into_iter()
                .filter_map(|(d, other)| d.map(|d| quote!(#d * #other)))
                .collect();
            (!terms.is_empty()).then(|| quote!(#(#terms)+*))
        }
        _ => return None,
    })
}

/// The number of operations, on the longest path, from the carried slots' tangents at the
/// start of an iteration of `l` to their new values, in the plain tangent code: one per sum, one
/// per product by a rule's partial or an operand, two for a product of two active values
/// (`dot_a * b + dot_b * a`). Preaccumulating makes it one product and a sum per further
/// input, which only pays when that is shorter (`x = r x (1 - x)`: 4 against 2; an
/// accumulation `s += f(..)`: 1, left as it is).
fn chain_depth(l: &Loop, carried: &[VarId], active: impl Fn(VarId) -> bool) -> usize {
    let mut depth: std::collections::BTreeMap<VarId, usize> =
        carried.iter().map(|v| (*v, 0)).collect();
    let mut longest = 0;
    for stmt in &l.body.stmts {
        match stmt {
            Stmt::Let { var, rhs, .. } => {
                let operands = rhs.differentiable_operands();
                let from = operands
                    .iter()
                    .filter_map(|a| Body::atom_var(a).and_then(|v| depth.get(&v)))
                    .max()
                    .copied();
                let Some(from) = from else { continue };
                let step = match rhs {
                    Rhs::Use(_) => 0,
                    Rhs::Arith(ArithOp::Mul, Atom::Var(a), Atom::Var(b))
                        if active(*a) && active(*b) =>
                    {
                        2
                    }
                    Rhs::Arith(ArithOp::Div, ..) => 2,
                    Rhs::Prim { args, .. } if args.len() > 1 => 2,
                    _ => 1,
                };
                depth.insert(*var, from + step);
            }
            Stmt::WriteBack {
                value: Atom::Var(v),
                ..
            } => longest = longest.max(depth.get(v).copied().unwrap_or(0)),
            _ => {}
        }
    }
    longest
}

/// The most values with tangents that such a body may read (its carried slots included): one
/// column of partial derivatives each.
const MAX_INPUTS: usize = 3;

/// The body of `NAME_jvp`: statements, then `(output, tangent of the output)`; and the name of
/// each parameter's tangent.
pub fn tangent_sweep(
    body: &Body,
    activity: &Activity,
    views: &crate::views::Views,
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
        numbered: false,
        dots: vec![dots],
        views: views.clone(),
        uses: body.use_counts(),
    };
    let code = sweep.block(&body.block);
    let ret = atom(body, &body.ret);
    let dot_ret = sweep.dot(0, &body.ret);
    let dots = sweep.dots.remove(0);
    let mut code = code;
    code.extend(quote!((#ret, #dot_ret)));
    (code, dots)
}

/// True when `NAME_grad` is computed by [`lanes_sweep`] rather than as `NAME_vjp(.., 1).1`:
/// the output is a float, the active parameters are one or two floats passed by value, of the
/// output's type (so each lane's output tangent is that parameter's gradient as it is), and
/// some loop would fill a tape in `NAME_vjp`. Without such a loop the reverse sweep reads its
/// values in place and costs about as much as one lane; with one, forward lanes save the
/// pushes and pops and run the tangents alongside the primal chain.
pub fn grad_by_lanes(model: &Model, body: &Body, plan: &Plan) -> bool {
    let ret = &model.ret;
    let ret = quote!(#ret).to_string();
    let active: Vec<_> = body.params.iter().filter(|p| p.active).collect();
    let scalars = active.iter().all(|p| {
        let ty = &p.ty;
        p.shadow.is_none() && body.vars[p.var].ty == Ty::Float && quote!(#ty).to_string() == ret
    });
    let mut tape = false;
    body.block.walk(&mut |stmt| {
        if let Stmt::Loop(l) = stmt {
            tape |= plan.loop_work[l.id]
                && !(plan.taped[l.id].is_empty() && plan.undo[l.id].is_empty());
        }
    });
    model.ret_class == Ty::Float && (1..=MAX_LANES).contains(&active.len()) && scalars && tape
}

/// The body of `NAME_grad` by forward mode: one lane per active parameter, lane `k` seeded
/// with tangent one for the `k`-th active parameter and zero for the others, all lanes carried
/// in one pass; the result is the tuple of the lanes' output tangents, in parameter order.
/// Only valid when [`grad_by_lanes`] holds.
pub fn lanes_sweep(
    body: &Body,
    activity: &Activity,
    views: &crate::views::Views,
    namer: &mut Namer,
    root: &syn::Path,
) -> TokenStream {
    let active: Vec<_> = body.params.iter().filter(|p| p.active).collect();
    let lanes = active.len();
    let mut seeds = TokenStream::new();
    let mut dots = vec![vec![None; body.vars.len()]; lanes];
    for (lane, lane_dots) in dots.iter_mut().enumerate() {
        for (k, p) in active.iter().enumerate() {
            let name = &body.vars[p.var].name;
            let dot = namer.fresh(&format!("dot{lane}_{name}"), Span::call_site());
            let ty = &p.ty;
            let seed = if k == lane {
                quote!(<#ty as #root::Real>::one())
            } else {
                quote!(#root::zero_like(&#name))
            };
            seeds.extend(quote!(let #dot = #seed;));
            lane_dots[p.var] = Some(dot);
        }
    }
    let mut sweep = Tangents {
        body,
        activity,
        namer,
        root,
        numbered: true,
        dots,
        views: views.clone(),
        uses: body.use_counts(),
    };
    let code = sweep.block(&body.block);
    let grads: Vec<TokenStream> = (0..lanes).map(|lane| sweep.dot(lane, &body.ret)).collect();
    let mut out = seeds;
    out.extend([code, quote!((#(#grads,)*))]);
    out
}

struct Tangents<'a> {
    body: &'a Body,
    activity: &'a Activity,
    namer: &'a mut Namer,
    root: &'a syn::Path,
    /// Tangent names carry their lane's number (`dot0_x`), as in `NAME_grad`; otherwise they
    /// are `dot_x`, as in `NAME_jvp`'s single lane.
    numbered: bool,
    /// Per lane, per variable: the name of its tangent in that lane, once it has one.
    dots: Vec<Vec<Option<Ident>>>,
    /// Element reads through temporary rows (see [`crate::views`]).
    views: crate::views::Views,
    /// Per variable: how often the primal code reads it ([`Body::use_counts`]).
    uses: Vec<usize>,
}

/// The tangent of one statement's value in every lane.
enum Rule {
    /// One expression per lane.
    Lanes(Vec<TokenStream>),
    /// With several lanes, a rule's partials computed once (`call`), then one expression per
    /// lane that reads them as `partials`.
    Shared {
        /// The rule's call.
        call: TokenStream,
        /// The `partials` binding.
        partials: Ident,
        /// Per lane: the sum of partial × operand tangent.
        terms: Vec<TokenStream>,
    },
}

impl Tangents<'_> {
    /// The number of lanes.
    fn lanes(&self) -> usize {
        self.dots.len()
    }

    /// Variables with a tangent: those that depend on an active parameter and reach the output.
    fn has_dot(&self, v: VarId) -> bool {
        self.activity.active(v)
    }

    /// The name of `v`'s tangent in `lane`: `dot_v`, or `dot0_v`, `dot1_v`, ... when numbered.
    fn dot_name(&mut self, lane: usize, v: VarId) -> Ident {
        if let Some(name) = &self.dots[lane][v] {
            return name.clone();
        }
        let prefix = if self.numbered {
            format!("dot{lane}")
        } else {
            "dot".to_string()
        };
        let name = self.namer.fresh(
            &format!("{prefix}_{}", self.body.vars[v].name),
            Span::call_site(),
        );
        self.dots[lane][v] = Some(name.clone());
        name
    }

    /// The tangent of an atom in `lane`: its `dot_` variable, or zero of its type.
    fn dot(&mut self, lane: usize, a: &Atom) -> TokenStream {
        match a {
            Atom::Var(v) if self.has_dot(*v) => {
                let name = self.dot_name(lane, *v);
                quote!(#name)
            }
            other => {
                let (root, primal) = (self.root, atom(self.body, other));
                quote!(#root::zero_like(&#primal))
            }
        }
    }

    /// The tangent of an atom in `lane` if it has one.
    fn dot_opt(&mut self, lane: usize, a: &Atom) -> Option<TokenStream> {
        match a {
            Atom::Var(v) if self.has_dot(*v) => {
                let name = self.dot_name(lane, *v);
                Some(quote!(#name))
            }
            _ => None,
        }
    }

    /// The tangent of an atom in every lane.
    fn dots(&mut self, a: &Atom) -> Vec<TokenStream> {
        (0..self.lanes()).map(|lane| self.dot(lane, a)).collect()
    }

    /// The names of `v`'s tangents, one per lane.
    fn dot_names(&mut self, v: VarId) -> Vec<Ident> {
        (0..self.lanes())
            .map(|lane| self.dot_name(lane, v))
            .collect()
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
                let mut out = quote!(#name = #primal;);
                if self.has_dot(*slot) {
                    for lane in 0..self.lanes() {
                        let dot_slot = self.dot_name(lane, *slot);
                        let dot_value = self.dot(lane, value);
                        out.extend(quote!(#dot_slot = #dot_value;));
                    }
                }
                out
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

    /// The primal value of `let var = rhs;` (see [`crate::forward::primal_value`]).
    fn primal_value(&self, var: VarId, rhs: &Rhs) -> Option<TokenStream> {
        let read_again = |v: VarId| self.uses[v] > 1;
        crate::forward::primal_value(self.body, &self.views, var, rhs, read_again, false)
    }

    /// Out of line, to keep the recursion through nested blocks in small frames.
    #[inline(never)]
    fn let_stmt(
        &mut self,
        var: VarId,
        ty: Option<&syn::Type>,
        rhs: &Rhs,
        span: Span,
    ) -> TokenStream {
        let name = self.body.vars[var].name.clone();
        let annotation = ty.map(|t| quote!(: #t));
        let Some(primal) = self.primal_value(var, rhs) else {
            return TokenStream::new();
        };
        // Read through rows from the aggregate directly, and so is the tangent (see `views`).
        if let Some((root, path)) = self.views.path[var].clone() {
            let mut out = quote_spanned!(span=> let #name #annotation = #primal;);
            if self.has_dot(var) {
                let path = crate::forward::path_tokens(self.body, &path);
                for lane in 0..self.lanes() {
                    let root_dot = self.dot(lane, &Atom::Var(root));
                    let dot = self.dot_name(lane, var);
                    let value = crate::forward::cloned_out(self.body, var, quote!(#root_dot #path));
                    out.extend(quote!(let #dot = #value;));
                }
            }
            return out;
        }
        // A copy of a value read again (`a.clone()`): the tangent is cloned too.
        if let Rhs::Use(a @ Atom::Var(v)) = rhs {
            if self.uses[*v] > 1 {
                let mut out = quote_spanned!(span=> let #name #annotation = #primal;);
                if self.has_dot(var) {
                    for lane in 0..self.lanes() {
                        let dot = self.dot(lane, a);
                        let dot = owned_copy(self.body, a, dot);
                        let name = self.dot_name(lane, var);
                        out.extend(quote!(let #name = #dot;));
                    }
                }
                return out;
            }
        }
        if let (Rhs::Call { path, args, by_ref }, true) = (rhs, self.has_dot(var)) {
            return self.call(var, path, args, by_ref, span);
        }
        let primal = quote_spanned!(span=> let #name #annotation = #primal;);
        if !self.has_dot(var) {
            return primal;
        }
        let rule = self.rule(var, rhs);
        let dots = self.dot_names(var);
        let tangents = match rule {
            Rule::Lanes(values) => quote!(#(let #dots = #values;)*),
            Rule::Shared {
                call,
                partials,
                terms,
            } => quote!(let (#(#dots,)*) = {
                let #partials = #call;
                (#(#terms,)*)
            };),
        };
        if let Rhs::Update { .. } = rhs {
            // The primal update moves its aggregate, which the tangent may still read.
            return quote!(#tangents #primal);
        }
        quote!(#primal #tangents)
    }

    /// The tangent of `var = rhs` in every lane: the sum of partial derivative × operand
    /// tangent.
    fn rule(&mut self, var: VarId, rhs: &Rhs) -> Rule {
        let y = self.body.vars[var].name.clone();
        match rhs {
            Rhs::Arith(ArithOp::Div, a, b) => {
                self.partials(&y, "div", &[a.clone(), b.clone()], None)
            }
            Rhs::Prim {
                prim,
                args,
                int_arg,
                ..
            } => self.partials(&y, prim.name, args, int_arg.as_ref()),
            _ => Rule::Lanes(
                (0..self.lanes())
                    .map(|lane| self.lane_rule(lane, var, rhs))
                    .collect(),
            ),
        }
    }

    /// The tangent of `var = rhs` in `lane`, for a right-hand side without a rule call.
    fn lane_rule(&mut self, lane: usize, var: VarId, rhs: &Rhs) -> TokenStream {
        let root = self.root;
        let y = self.body.vars[var].name.clone();
        let body = self.body;
        if let Some(tangent) = linear_tangent(body, rhs, &mut |a| self.dot_opt(lane, a)) {
            return tangent.unwrap_or_else(|| self.dot(lane, &Atom::Var(var)));
        }
        match rhs {
            Rhs::Tuple(elems) => {
                let dots: Vec<TokenStream> = elems.iter().map(|e| self.dot(lane, e)).collect();
                quote!((#(#dots,)*))
            }
            Rhs::Array(elems) => {
                let dots: Vec<TokenStream> = elems.iter().map(|e| self.dot(lane, e)).collect();
                quote!([#(#dots),*])
            }
            Rhs::Project(a, p) => {
                // A slice's element read through a window: its tangent through the same window
                // of the tangent slice (see `bounds`).
                if let Atom::Var(slice) = a {
                    if self.has_dot(*slice) {
                        let dot = self.dot_name(lane, *slice);
                        if let Some(read) = self.views.windows.read_over(var, &dot) {
                            return read;
                        }
                    }
                }
                let d = self.dot(lane, a);
                let p = proj(self.body, p);
                // Cloned out when of unknown type, as the primal is (`forward::let_tokens`).
                crate::forward::cloned_out(self.body, var, quote!(#d #p))
            }
            Rhs::Update {
                base,
                proj: p,
                value,
            } => {
                // An element written through temporary rows: along the path (see `views`).
                let (path, value) = self.views.written(var, p, value);
                let p = crate::forward::path_tokens(self.body, &path);
                let (db, dv) = (self.dot(lane, base), self.dot(lane, &value));
                crate::forward::update_tokens(db, p, dv)
            }
            Rhs::FloatCast(a, _) => {
                let d = self.dot(lane, a);
                quote!(#root::cast_like(&#y, #d))
            }
            // Division and primitives go through `partials`, an active call through `call`;
            // an opaque value has no tangent; the linear ones are above.
            Rhs::Arith(..)
            | Rhs::Use(_)
            | Rhs::Neg(_)
            | Rhs::Prim { .. }
            | Rhs::Call { .. }
            | Rhs::Opaque { .. } => self.dot(lane, &Atom::Var(var)),
        }
    }

    /// `sum of ∂y/∂a × dot_a` over the active operands, with the rule's partials. With one
    /// lane the rule is called inline; with several it is called once for all lanes.
    fn partials(&mut self, y: &Ident, name: &str, args: &[Atom], int_arg: Option<&Atom>) -> Rule {
        let root = self.root;
        let rule = format_ident!("{}", name);
        let mut operands: Vec<TokenStream> = args.iter().map(|a| atom(self.body, a)).collect();
        operands.extend(int_arg.map(|a| atom(self.body, a)));
        let call = quote!(#root::rules::#rule(#(#operands,)* #y));
        if self.lanes() == 1 && args.len() == 1 {
            let d = self.dot(0, &args[0]);
            return Rule::Lanes(vec![quote!(#call * #d)]);
        }
        let partials = Ident::new("partials", Span::mixed_site());
        let mut terms = Vec::new();
        for lane in 0..self.lanes() {
            if args.len() == 1 {
                let d = self.dot(lane, &args[0]);
                terms.push(quote!(#partials * #d));
                continue;
            }
            let dots: Vec<Option<TokenStream>> =
                args.iter().map(|a| self.dot_opt(lane, a)).collect();
            let lane_terms = dots.iter().enumerate().filter_map(|(i, d)| {
                let index = syn::Index::from(i);
                d.as_ref().map(|d| quote!(#partials.#index * #d))
            });
            terms.push(quote!(#(#lane_terms)+*));
        }
        match terms.as_slice() {
            [term] => Rule::Lanes(vec![quote!({
                let #partials = #call;
                #term
            })]),
            _ => Rule::Shared {
                call,
                partials,
                terms,
            },
        }
    }

    /// `let (y, dot_y) = g_jvp(a, dot_a, n, c, zero, ..);`: each float argument is followed
    /// by its tangent (zero for an inactive one), a reference argument by its tangent slice,
    /// a local row lent as `&h` by `&dot_h` when it has a tangent.
    /// With several lanes, one call per lane (`let (_, dot1_y) = g_jvp(..)`); the calls
    /// before the last pass copies of values that may not be `Copy`.
    fn call(
        &mut self,
        var: VarId,
        path: &syn::Path,
        args: &[Atom],
        by_ref: &[bool],
        span: Span,
    ) -> TokenStream {
        let mut jvp_path = path.clone();
        if let Some(last) = jvp_path.segments.last_mut() {
            last.ident = format_ident!("{}_jvp", last.ident, span = last.ident.span());
        }
        let lanes = self.lanes();
        let name = &self.body.vars[var].name;
        let mut out = TokenStream::new();
        for lane in 0..lanes {
            let mut operands = Vec::new();
            for (a, &lent) in args.iter().zip(by_ref) {
                let primal = atom(self.body, a);
                if lent {
                    // A local row lent to the callee, followed by its tangent when it has one
                    // (a constant row, like an inactive reference parameter, has none).
                    operands.push(quote!(&#primal));
                    operands.extend(self.dot_opt(lane, a).map(|dot| quote!(&#dot)));
                    continue;
                }
                operands.push(if lane + 1 < lanes {
                    owned_copy(self.body, a, primal)
                } else {
                    primal
                });
                let ty = match a {
                    Atom::Var(v) => self.body.vars[*v].ty.clone(),
                    Atom::Const(_, ty) => ty.clone(),
                };
                match ty {
                    Ty::Slice(_) => operands.extend(self.dot_opt(lane, a)),
                    ty if ty.carries_floats() => operands.push(self.dot(lane, a)),
                    _ => {}
                }
            }
            let dot = self.dot_name(lane, var);
            let primal = if lane == 0 { quote!(#name) } else { quote!(_) };
            out.extend(quote_spanned!(span=> let (#primal, #dot) = #jvp_path(#(#operands),*);));
        }
        out
    }

    fn if_stmt(&mut self, cond: &Atom, then: &Block, els: &Block, phis: &[Phi]) -> TokenStream {
        let cond = atom(self.body, cond);
        let mut names = Vec::new();
        for phi in phis {
            let name = &self.body.vars[phi.var].name;
            names.push(quote!(#name));
            if self.has_dot(phi.var) {
                let dots = self.dot_names(phi.var);
                names.extend(dots.iter().map(|dot| quote!(#dot)));
            }
        }
        let then_code = self.branch(then, phis, true);
        let else_code = self.branch(els, phis, false);
        // The branches' code moved into the `if` (see `emit::braced`).
        let mut code = quote!(if #cond);
        code.extend([braced([then_code])]);
        code.extend(quote!(else));
        code.extend([braced([else_code])]);
        if names.is_empty() {
            code
        } else {
            let pattern = tuple_or_single(&names);
            let mut out = quote!(let #pattern =);
            out.extend(code);
            out.extend(quote!(;));
            out
        }
    }

    fn branch(&mut self, block: &Block, phis: &[Phi], then: bool) -> TokenStream {
        let code = self.block(block);
        if block.term != Term::Fall || phis.is_empty() {
            return code;
        }
        let mut values = Vec::new();
        // The tangents are bound first: a zero tangent is made from its primal
        // (`zero_like(&p)`), which the tuple then moves.
        let mut tangents = TokenStream::new();
        for phi in phis {
            let value = if then { &phi.then_val } else { &phi.else_val };
            let Some(value) = value else {
                values.push(missing_phi_value());
                continue;
            };
            values.push(atom(self.body, value));
            if self.has_dot(phi.var) {
                // Only a variable without a tangent (whose zero is made from it) is moved.
                let named = !matches!(value, Atom::Var(v) if !self.has_dot(*v));
                for dot in self.dots(value) {
                    if named {
                        values.push(dot);
                        continue;
                    }
                    let name = Ident::new(&format!("phi_dot{}", values.len()), Span::mixed_site());
                    tangents.extend(quote!(let #name = #dot;));
                    values.push(quote!(#name));
                }
            }
        }
        let value = tuple_or_single(&values);
        quote!(#code #tangents #value)
    }

    fn loop_stmt(&mut self, l: &Loop) -> TokenStream {
        let mut out = TokenStream::new();
        for slot in &l.slots {
            let name = &self.body.vars[slot.var].name;
            let init = atom(self.body, &slot.init);
            let init = owned_copy(self.body, &slot.init, init);
            out.extend(quote!(let mut #name = #init;));
            if self.has_dot(slot.var) {
                for lane in 0..self.lanes() {
                    let dot = self.dot_name(lane, slot.var);
                    let dot_init = self.dot(lane, &slot.init);
                    out.extend(quote!(let mut #dot = #dot_init;));
                }
            }
        }
        if let Some(code) = self.preaccumulated(l) {
            out.extend(code);
            return out;
        }
        // The body's final `continue` is implicit.
        let code = if l.body.term == Term::Continue {
            self.stmts(&l.body)
        } else {
            self.block(&l.body)
        };
        out.extend(match &l.kind {
            LoopKind::For { pattern, iter, .. } => {
                let windows = self.views.windows.declare(l);
                quote!(#windows for #pattern in #iter)
            }
            LoopKind::Loop => quote!(loop),
        });
        out.extend([braced([code])]);
        out
    }

    /// The loop `l` with its body's local Jacobian computed first ("preaccumulation"), when
    /// the body is straight-line float arithmetic on at most [`MAX_CARRIED`] float slots and
    /// reads at most [`MAX_INPUTS`] values with tangents: per iteration, the partial
    /// derivatives of the slots' new values in their old values and in the loop-invariant
    /// values (`jac_x = r (1 - 2x)` for `x = r x (1 - x)`), then each lane's new tangent as
    /// their sum weighted by the lane's old tangents. The partials do not depend on the
    /// tangents, so the chain from one iteration's tangent to the next is one product and one
    /// sum per input, instead of the whole body's tangent computation. The same in every lane
    /// count, so `NAME_grad`'s lanes stay bitwise `NAME_jvp`'s.
    fn preaccumulated(&mut self, l: &Loop) -> Option<TokenStream> {
        let LoopKind::For { pattern, iter, .. } = &l.kind else {
            return None;
        };
        if !matches!(l.body.term, Term::Fall | Term::Continue) {
            return None;
        }
        let body = self.body;
        let carried: Vec<VarId> = l
            .slots
            .iter()
            .map(|s| s.var)
            .filter(|v| self.has_dot(*v))
            .collect();
        if carried.is_empty()
            || carried.len() > MAX_CARRIED
            || carried.iter().any(|v| body.vars[*v].ty != Ty::Float)
        {
            return None;
        }
        // Straight-line: lets, then the write-backs; active lets are float arithmetic.
        let mut seen_write_back = false;
        let mut inside = std::collections::BTreeSet::new();
        for stmt in &l.body.stmts {
            match stmt {
                Stmt::Let { var, rhs, .. } if !seen_write_back => {
                    inside.insert(*var);
                    let arithmetic = matches!(
                        rhs,
                        Rhs::Use(_) | Rhs::Neg(_) | Rhs::Arith(..) | Rhs::Prim { .. }
                    );
                    if self.has_dot(*var) && (body.vars[*var].ty != Ty::Float || !arithmetic) {
                        return None;
                    }
                }
                Stmt::WriteBack { .. } => seen_write_back = true,
                _ => return None,
            }
        }
        // The inputs: the carried slots, then the values from outside that active lets read.
        let mut inputs = carried.clone();
        for stmt in &l.body.stmts {
            if let Stmt::Let { var, rhs, .. } = stmt {
                if !self.has_dot(*var) {
                    continue;
                }
                for a in rhs.differentiable_operands() {
                    if let Atom::Var(v) = a {
                        if self.has_dot(*v) && !inside.contains(v) && !inputs.contains(v) {
                            inputs.push(*v);
                        }
                    }
                }
            }
        }
        if inputs.len() > MAX_INPUTS
            || chain_depth(l, &carried, |v| self.has_dot(v)) <= inputs.len()
        {
            return None;
        }
        let root = self.root;
        // Per input, per variable: its partial derivative in that input, `None` when it is zero.
        let mut jac: Vec<Vec<Option<TokenStream>>> =
            vec![vec![None; body.vars.len()]; inputs.len()];
        let mut code = TokenStream::new();
        for (q, input) in inputs.iter().enumerate() {
            let name = &body.vars[*input].name;
            let seed = self
                .namer
                .fresh(&format!("jac{q}_{name}"), Span::call_site());
            code.extend(quote!(let #seed = #root::__private::one_like(&#name);));
            jac[q][*input] = Some(quote!(#seed));
        }
        for stmt in &l.body.stmts {
            let Stmt::Let { var, ty, rhs, span } = stmt else {
                continue;
            };
            let name = body.vars[*var].name.clone();
            let annotation = ty.as_deref().map(|t| quote!(: #t));
            let Some(primal) = self.primal_value(*var, rhs) else {
                continue;
            };
            code.extend(quote_spanned!(*span=> let #name #annotation = #primal;));
            if !self.has_dot(*var) {
                continue;
            }
            code.extend(self.local_partials(*var, rhs, &mut jac));
        }
        // Each carried slot's new tangent in each lane, from the old tangents, before any
        // slot is written.
        let mut new_dots = Vec::new();
        for stmt in &l.body.stmts {
            let Stmt::WriteBack { slot, value } = stmt else {
                continue;
            };
            if !self.has_dot(*slot) {
                continue;
            }
            for lane in 0..self.lanes() {
                let mut terms = Vec::new();
                for (q, input) in inputs.iter().enumerate() {
                    let partial = match value {
                        Atom::Var(v) => jac[q][*v].clone(),
                        Atom::Const(..) => None,
                    };
                    if let Some(partial) = partial {
                        let dot = self.dot(lane, &Atom::Var(*input));
                        terms.push(quote!(#partial * #dot));
                    }
                }
                let sum = if terms.is_empty() {
                    let primal = atom(body, value);
                    quote!(#root::zero_like(&#primal))
                } else {
                    quote!(#(#terms)+*)
                };
                let slot_name = &body.vars[*slot].name;
                let new = self
                    .namer
                    .fresh(&format!("next{lane}_{slot_name}"), Span::call_site());
                code.extend(quote!(let #new = #sum;));
                new_dots.push((lane, *slot, new));
            }
        }
        for stmt in &l.body.stmts {
            if let Stmt::WriteBack { slot, value } = stmt {
                let name = &body.vars[*slot].name;
                let primal = atom(body, value);
                code.extend(quote!(#name = #primal;));
            }
        }
        for (lane, slot, new) in new_dots {
            let dot = self.dot_name(lane, slot);
            code.extend(quote!(#dot = #new;));
        }
        let windows = self.views.windows.declare(l);
        let mut out = quote!(#windows for #pattern in #iter);
        out.extend([braced([code])]);
        Some(out)
    }

    /// The partial derivatives of `var = rhs` in each preaccumulation input (see
    /// [`Tangents::preaccumulated`]), from those of its operands; a partial that is zero for
    /// every operand is not computed (`None`).
    fn local_partials(
        &mut self,
        var: VarId,
        rhs: &Rhs,
        jac: &mut [Vec<Option<TokenStream>>],
    ) -> TokenStream {
        let body = self.body;
        let root = self.root;
        let y = body.vars[var].name.clone();
        let get = |jac: &[Vec<Option<TokenStream>>], q: usize, a: &Atom| match a {
            Atom::Var(v) => jac[q][*v].clone(),
            Atom::Const(..) => None,
        };
        let mut out = TokenStream::new();
        // A rule's partials, computed once for all inputs.
        let shared: Option<(Ident, Vec<Atom>)> = match rhs {
            Rhs::Arith(ArithOp::Div, a, b) => {
                let partials = self.namer.fresh(&format!("d{y}"), Span::call_site());
                let (ta, tb) = (atom(body, a), atom(body, b));
                out.extend(quote!(let #partials = #root::rules::div(#ta, #tb, #y);));
                Some((partials, vec![a.clone(), b.clone()]))
            }
            Rhs::Prim {
                prim,
                args,
                int_arg,
                ..
            } if !prim.zero_derivative => {
                let partials = self.namer.fresh(&format!("d{y}"), Span::call_site());
                let rule = format_ident!("{}", prim.name);
                let mut operands: Vec<TokenStream> = args.iter().map(|a| atom(body, a)).collect();
                operands.extend(int_arg.as_ref().map(|a| atom(body, a)));
                out.extend(quote!(let #partials = #root::rules::#rule(#(#operands,)* #y);));
                Some((partials, args.clone()))
            }
            _ => None,
        };
        for q in 0..jac.len() {
            let linear = linear_tangent(body, rhs, &mut |a| get(jac, q, a));
            let value = match rhs {
                _ if linear.is_some() => linear.flatten(),
                Rhs::Arith(ArithOp::Div, ..) | Rhs::Prim { .. } => {
                    shared.as_ref().and_then(|(partials, args)| {
                        let terms: Vec<TokenStream> = args
                            .iter()
                            .enumerate()
                            .filter_map(|(i, a)| {
                                let d = get(jac, q, a)?;
                                Some(if args.len() == 1 {
                                    quote!(#partials * #d)
                                } else {
                                    let index = syn::Index::from(i);
                                    quote!(#partials.#index * #d)
                                })
                            })
                            .collect();
                        (!terms.is_empty()).then(|| quote!(#(#terms)+*))
                    })
                }
                _ => None,
            };
            jac[q][var] = value.map(|value| {
                let name = self.namer.fresh(&format!("jac{q}_{y}"), Span::call_site());
                out.extend(quote!(let #name = #value;));
                quote!(#name)
            });
        }
        out
    }
}
