//! Which variables of no float type the macro knows to be primitive integers.
//!
//! The IR gives every value without floats the type `Ty::Other`: integers, `bool`s, references
//! and the user's types alike. A tape whose values include such a variable can share the
//! call's arena (see [`crate::arena`]) only when its type is made of words, which a primitive
//! integer is. A variable is known to be one when what defines it is: an integer literal, a
//! `.len()`, a cast to a primitive integer type, a parameter or a `let` of such a type,
//! arithmetic (`+ - * / %`, unary `-`) whose operands all are, or an `if` whose branches are
//! one such expression each; a loop slot when its initial
//! value and every value written back to it are; a phi when its values are; the counter of a
//! `for` over a range whose bounds are. Slots and phis may depend on themselves (`k = k + 1`),
//! so this is the largest set consistent with those rules: every candidate starts known and
//! loses it when one of its definitions is not.
//!
//! A mistake here would make the generated code ask for `Word` on a type without it, a compile
//! error in the user's crate, never a wrong value; so anything unclear (a constant, a call, a
//! method other than `len`, an element read) is not known.

use crate::hoist::{is_primitive, unwrapped, INTEGERS};
use crate::ir::{Atom, Body, LoopKind, Rhs, Stmt, Ty, VarId};
use std::collections::HashMap;
use syn::{BinOp, Expr, Lit, UnOp};

/// Per variable: true when it is known to be a primitive integer (see the module docs).
pub fn integers(body: &Body) -> Vec<bool> {
    let n = body.vars.len();
    // Every definition of each variable, as what it reads.
    let mut defs: Vec<Vec<Def>> = vec![Vec::new(); n];
    let mut typed = vec![false; n];
    for p in &body.params {
        typed[p.var] = is_integer_type(&p.ty);
    }
    body.block.walk(&mut |stmt| match stmt {
        Stmt::Let { var, ty, rhs, .. } => {
            if ty.as_deref().is_some_and(is_integer_type) {
                typed[*var] = true;
            }
            defs[*var].push(match rhs {
                Rhs::Use(atom) => Def::Atom(atom.clone()),
                Rhs::Opaque { expr, .. } => Def::Tokens(expr.clone()),
                _ => Def::Unknown,
            });
        }
        Stmt::If { phis, .. } => {
            for phi in phis {
                for val in [&phi.then_val, &phi.else_val].into_iter().flatten() {
                    defs[phi.var].push(Def::Atom(val.clone()));
                }
            }
        }
        Stmt::Loop(l) => {
            for slot in &l.slots {
                defs[slot.var].push(Def::Atom(slot.init.clone()));
            }
            if let LoopKind::For { counters, iter, .. } = &l.kind {
                let def = match counters.as_slice() {
                    [_] => Def::Range(iter.clone()),
                    _ => Def::Unknown,
                };
                for c in counters {
                    defs[*c].push(def.clone());
                }
            }
        }
        Stmt::WriteBack { slot, value } => defs[*slot].push(Def::Atom(value.clone())),
        Stmt::Effect { .. } => {}
    });
    // The candidates: values without floats (or of a type the macro does not know) that
    // something defines, or typed as integers.
    let mut known: Vec<bool> = (0..n)
        .map(|v| {
            typed[v] || (matches!(body.vars[v].ty, Ty::Other | Ty::Unknown) && !defs[v].is_empty())
        })
        .collect();
    let names: HashMap<String, VarId> =
        (0..n).map(|v| (body.vars[v].name.to_string(), v)).collect();
    // The definitions parsed once.
    let defs: Vec<Vec<Parsed>> = defs
        .into_iter()
        .map(|ds| ds.into_iter().map(Def::parse).collect())
        .collect();
    loop {
        let mut changed = false;
        for v in 0..n {
            if !known[v] || typed[v] {
                continue;
            }
            let lookup = |name: &str| names.get(name).is_some_and(|w| known[*w]);
            if !defs[v].iter().all(|d| d.integer(&known, &lookup)) {
                known[v] = false;
                changed = true;
            }
        }
        if !changed {
            return known;
        }
    }
}

/// One definition of a variable.
#[derive(Clone)]
enum Def {
    /// A copy of an atom: a variable, or an expression without float-carrying locals.
    Atom(Atom),
    /// An expression (the renamed user's tokens).
    Tokens(proc_macro2::TokenStream),
    /// The counter of a `for` over this iterator.
    Range(proc_macro2::TokenStream),
    /// Anything else (a call, an element, a tuple): not known.
    Unknown,
}

impl Def {
    /// The definition with its tokens parsed.
    fn parse(self) -> Parsed {
        let expr = |tokens: proc_macro2::TokenStream| syn::parse2::<Expr>(tokens).ok();
        match self {
            Def::Atom(Atom::Var(w)) => Parsed::Var(w),
            Def::Atom(Atom::Const(tokens, _)) | Def::Tokens(tokens) => {
                expr(tokens).map_or(Parsed::Unknown, Parsed::Expr)
            }
            Def::Range(iter) => expr(iter).map_or(Parsed::Unknown, Parsed::Range),
            Def::Unknown => Parsed::Unknown,
        }
    }
}

/// A definition, parsed.
enum Parsed {
    /// A copy of a variable.
    Var(VarId),
    /// An expression.
    Expr(Expr),
    /// The counter of a `for` over this iterator.
    Range(Expr),
    /// Not known.
    Unknown,
}

impl Parsed {
    /// True when this definition gives an integer, with `known` for the variables.
    fn integer(&self, known: &[bool], lookup: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Parsed::Var(w) => known[*w],
            Parsed::Expr(e) => integer(e, lookup),
            Parsed::Range(e) => range(e).is_some_and(|r| {
                let bounds = [&r.start, &r.end];
                bounds.iter().any(|b| b.is_some())
                    && bounds
                        .iter()
                        .all(|b| b.as_deref().is_none_or(|b| integer(b, lookup)))
            }),
            Parsed::Unknown => false,
        }
    }
}

/// The range of `a..b` (either bound may be missing), `a..=b`, or of their `.rev()` or
/// `.step_by(k)`.
fn range(e: &Expr) -> Option<&syn::ExprRange> {
    match unwrapped(e) {
        Expr::Range(r) => Some(r),
        Expr::MethodCall(m) if m.method == "rev" || m.method == "step_by" => range(&m.receiver),
        _ => None,
    }
}

/// True when `e` is known to give a primitive integer, `lookup` telling which variables are.
fn integer(e: &Expr, lookup: &dyn Fn(&str) -> bool) -> bool {
    match unwrapped(e) {
        Expr::Lit(l) => matches!(l.lit, Lit::Int(_)),
        Expr::MethodCall(m) => {
            m.method == "len" && m.args.is_empty() && m.turbofish.is_none() && m.attrs.is_empty()
        }
        Expr::Cast(c) => is_integer_type(&c.ty),
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => integer(&u.expr, lookup),
        Expr::Binary(b) => {
            matches!(
                b.op,
                BinOp::Add(_) | BinOp::Sub(_) | BinOp::Mul(_) | BinOp::Div(_) | BinOp::Rem(_)
            ) && integer(&b.left, lookup)
                && integer(&b.right, lookup)
        }
        Expr::Path(p) if p.attrs.is_empty() && p.qself.is_none() => {
            p.path.get_ident().is_some_and(|i| lookup(&i.to_string()))
        }
        // `if c { a } else { b }` (an inactive `if` is kept as written).
        Expr::If(i) => {
            let tail = |b: &syn::Block| match b.stmts.as_slice() {
                [syn::Stmt::Expr(e, None)] => integer(e, lookup),
                _ => false,
            };
            tail(&i.then_branch)
                && i.else_branch.as_ref().is_some_and(|(_, e)| match &**e {
                    Expr::Block(b) if b.attrs.is_empty() => tail(&b.block),
                    other => integer(other, lookup),
                })
        }
        _ => false,
    }
}

/// True for the primitive integer types (in parentheses or not).
fn is_integer_type(ty: &syn::Type) -> bool {
    is_primitive(ty, &INTEGERS)
}
