//! Trip counts known at the top of the generated function.
//!
//! The adjoint sizes the tapes of its loops once, before anything runs. For a `for` loop over
//! a range of integers whose bounds read only constants, parameters that the body never
//! assigns, and locals bound once by a `let` at the top level of the function to such an
//! expression (`let n = x.len();`), [`Trips::of`] rewrites the range into an expression that gives
//! its trip count there:
//!
//! ```text
//! for i in 0..x.len() / 2 { .. }   →   ::vjp::__private::hoist_span(0, ::vjp::__private::hoist_div(x.len(), 2))
//! ```
//!
//! The arithmetic goes through helpers that saturate or give 0 instead of panicking, so the
//! expression is only an estimate where the user's own arithmetic would overflow (the loop
//! itself then panics or wraps), and it never panics. Everything outside the small grammar of
//! [`Trips::of`] gives `None`: a missing estimate costs one more allocation, while an expression
//! that does not compile would break the user's crate.

use crate::ir::{Atom, Body, Loop, LoopKind, Rhs, Stmt, VarId};
use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::quote;
use std::collections::HashSet;
use syn::ext::IdentExt;
use syn::{BinOp, Expr, Lit, RangeLimits, Type};

/// The primitive integer types.
pub const INTEGERS: [&str; 12] = [
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
];

/// The other primitive types that `as` casts to an integer without moving anything.
const CASTABLE: [&str; 4] = ["f32", "f64", "bool", "char"];

/// Macros that expand to an expression and therefore declare no item, besides
/// [`crate::lower::HARMLESS_MACROS`].
const EXPRESSION_MACROS: [&str; 9] = [
    "write",
    "writeln",
    "format",
    "format_args",
    "panic",
    "todo",
    "unimplemented",
    "unreachable",
    "vec",
];

/// What [`Trips::of`] reads of a function, gathered once for all of its loops.
pub struct Trips<'a> {
    body: &'a Body,
    root: &'a syn::Path,
    /// See [`item_idents`].
    items: HashSet<String>,
    /// Per variable, how many statements give it a value (see [`definitions`]).
    defs: Vec<usize>,
}

impl<'a> Trips<'a> {
    /// The items and the definitions of `body`.
    pub fn new(body: &'a Body, root: &'a syn::Path) -> Self {
        Trips {
            body,
            root,
            items: item_idents(body),
            defs: definitions(body),
        }
    }

    /// The trip count of a `for` loop `l` over `iter` (its `LoopKind::For::iter` token stream)
    /// as a `usize` expression that can be evaluated at the top of the generated function, or
    /// `None` when it cannot be.
    ///
    /// Accepted: `A..B`, `A..=B`, in parentheses or not, and their `.rev()`, where one bound is
    /// known to be an integer (see [`Hoist::evident`]: the range is over integers, not `char`s)
    /// and both are built of integer literals that fit an `i32` or have a suffix, constants (a
    /// path that names no local nor an item of the body), parameters that the body never assigns
    /// (of a primitive integer type, or of a container type as the receiver of `.len()`), locals
    /// read through their `let` (see [`Hoist::local`]), casts of those to primitive integers,
    /// parentheses, and `+ - * / %` (emitted as the saturating and non-panicking helpers of
    /// `#root::__private`).
    pub fn of(&self, l: &Loop) -> Option<TokenStream> {
        let LoopKind::For { iter, reads, .. } = &l.kind else {
            return None;
        };
        let expr: Expr = syn::parse2(iter.clone()).ok()?;
        let range = range_of(&expr)?;
        let (Some(lo), Some(hi)) = (&range.start, &range.end) else {
            return None;
        };
        let hoist = Hoist {
            body: self.body,
            reads,
            root: self.root,
            items: &self.items,
            defs: &self.defs,
            depth: 0,
        };
        if !range.attrs.is_empty() || !(hoist.evident(lo) || hoist.evident(hi)) {
            return None;
        }
        let lo = hoist.bound(lo)?;
        let hi = hoist.bound(hi)?;
        let root = self.root;
        Some(match range.limits {
            RangeLimits::HalfOpen(_) => quote!(#root::__private::hoist_span(#lo, #hi)),
            RangeLimits::Closed(_) => quote!(#root::__private::hoist_span_inclusive(#lo, #hi)),
        })
    }
}

/// `e` without the parentheses and invisible groups around it.
pub fn unwrapped(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) if p.attrs.is_empty() => unwrapped(&p.expr),
        Expr::Group(g) if g.attrs.is_empty() => unwrapped(&g.expr),
        other => other,
    }
}

/// The range of `A..B`, `A..=B` (parenthesised or not) or of their `.rev()`.
fn range_of(e: &Expr) -> Option<&syn::ExprRange> {
    match unwrapped(e) {
        Expr::Range(r) => Some(r),
        Expr::MethodCall(m)
            if m.attrs.is_empty()
                && m.method == "rev"
                && m.args.is_empty()
                && m.turbofish.is_none() =>
        {
            match unwrapped(&m.receiver) {
                Expr::Range(r) => Some(r),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `receiver.len()`, without arguments or turbofish.
fn is_len_call(m: &syn::ExprMethodCall) -> bool {
    m.attrs.is_empty() && m.method == "len" && m.args.is_empty() && m.turbofish.is_none()
}

/// True when `ty` is one of the primitive types `names` (in parentheses or not).
pub fn is_primitive(ty: &Type, names: &[&str]) -> bool {
    match ty {
        Type::Paren(p) => is_primitive(&p.elem, names),
        Type::Group(g) => is_primitive(&g.elem, names),
        Type::Path(p) if p.qself.is_none() => p
            .path
            .get_ident()
            .is_some_and(|ident| names.iter().any(|name| ident == name)),
        _ => false,
    }
}

/// True for the parameter types whose `.len()` borrows the parameter and returns its length:
/// shared references, arrays, `Vec`s, `VecDeque`s and `String`s. (Through a `&mut` the body
/// could change the length without assigning the parameter.)
fn is_container(ty: &Type) -> bool {
    match ty {
        Type::Paren(p) => is_container(&p.elem),
        Type::Group(g) => is_container(&g.elem),
        Type::Reference(r) => r.mutability.is_none(),
        Type::Array(_) => true,
        Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .is_some_and(|s| ["Vec", "VecDeque", "String"].iter().any(|n| s.ident == n)),
        _ => false,
    }
}

/// How a parameter is used in a bound.
#[derive(Clone, Copy, PartialEq)]
enum Use {
    /// As an integer value.
    Value,
    /// As the operand of a cast to an integer.
    Cast,
    /// As the receiver of `.len()`.
    Len,
}

/// The identifiers of the items that the body declares (`const`, `static`, `use`, ...) and of
/// macros that might declare some: a path that starts with one of them might not resolve at
/// the top of the generated function.
fn item_idents(body: &Body) -> HashSet<String> {
    fn idents(tokens: TokenStream, out: &mut HashSet<String>) {
        for tt in tokens {
            match tt {
                TokenTree::Ident(i) => {
                    out.insert(i.unraw().to_string());
                }
                TokenTree::Group(g) => idents(g.stream(), out),
                _ => {}
            }
        }
    }
    let mut out = HashSet::new();
    body.block.walk(&mut |stmt| {
        let Stmt::Effect { tokens, .. } = stmt else {
            return;
        };
        match syn::parse2::<syn::Item>(tokens.clone()) {
            Ok(syn::Item::Macro(m))
                if m.ident.is_none()
                    && m.mac.path.segments.last().is_some_and(|s| {
                        let mut names = crate::lower::HARMLESS_MACROS
                            .iter()
                            .chain(&EXPRESSION_MACROS);
                        names.any(|name| s.ident == name)
                    }) => {}
            Ok(_) => idents(tokens.clone(), &mut out),
            Err(_) => {}
        }
    });
    out
}

/// The context of a rewrite: the body, the variables the expression reads (the loop's, or
/// those of a `let` it reads through) and the runtime's path.
struct Hoist<'a> {
    body: &'a Body,
    reads: &'a [VarId],
    root: &'a syn::Path,
    /// See [`item_idents`].
    items: &'a HashSet<String>,
    /// See [`definitions`].
    defs: &'a [usize],
    /// How many `let`s deep the rewrite has gone (see [`Hoist::local`]).
    depth: usize,
}

/// The most `let`s a rewrite reads through (`let a = n * 2; let b = a + 1; 0..b` is two).
const LET_DEPTH: usize = 4;

impl Hoist<'_> {
    /// A bound, rewritten (see [`Trips::of`]).
    fn bound(&self, e: &Expr) -> Option<TokenStream> {
        let root = self.root;
        match e {
            Expr::Lit(l) if l.attrs.is_empty() => match &l.lit {
                // An unsuffixed literal is an `i32` in the rewrite, whatever type the user's
                // code gave it: one that does not fit would not compile.
                Lit::Int(i) if i.suffix().is_empty() && i.base10_parse::<i32>().is_err() => None,
                Lit::Int(i) => Some(quote!(#i)),
                _ => None,
            },
            Expr::Path(p) => self.path(p, Use::Value),
            Expr::MethodCall(m) if is_len_call(m) => self.len(m),
            Expr::Paren(p) if p.attrs.is_empty() => {
                let inner = self.bound(&p.expr)?;
                Some(quote!((#inner)))
            }
            Expr::Group(g) if g.attrs.is_empty() => {
                let inner = self.bound(&g.expr)?;
                Some(quote!((#inner)))
            }
            Expr::Binary(b) if b.attrs.is_empty() => {
                let helper = match b.op {
                    BinOp::Add(_) => "hoist_add",
                    BinOp::Sub(_) => "hoist_sub",
                    BinOp::Mul(_) => "hoist_mul",
                    BinOp::Div(_) => "hoist_div",
                    BinOp::Rem(_) => "hoist_rem",
                    _ => return None,
                };
                let helper = Ident::new(helper, proc_macro2::Span::call_site());
                let left = self.bound(&b.left)?;
                let right = self.bound(&b.right)?;
                Some(quote!(#root::__private::#helper(#left, #right)))
            }
            Expr::Cast(c) if c.attrs.is_empty() && is_primitive(&c.ty, &INTEGERS) => {
                let operand = match &*c.expr {
                    Expr::Lit(l) if l.attrs.is_empty() => match &l.lit {
                        Lit::Int(_)
                        | Lit::Float(_)
                        | Lit::Bool(_)
                        | Lit::Char(_)
                        | Lit::Byte(_) => {
                            quote!(#l)
                        }
                        _ => return None,
                    },
                    Expr::Path(p) => self.path(p, Use::Cast)?,
                    Expr::MethodCall(m) if is_len_call(m) => self.len(m)?,
                    _ => return None,
                };
                let ty = &c.ty;
                Some(quote!((#operand as #ty)))
            }
            _ => None,
        }
    }

    /// `p.len()` for a parameter `p` of a container type.
    fn len(&self, m: &syn::ExprMethodCall) -> Option<TokenStream> {
        let Expr::Path(p) = &*m.receiver else {
            return None;
        };
        let receiver = self.path(p, Use::Len)?;
        Some(quote!(#receiver.len()))
    }

    /// The parameter that `p` names, if it is one that the rewrite may read.
    fn param(&self, p: &syn::ExprPath, usage: Use) -> Option<VarId> {
        let ident = single_ident(p)?;
        let name = ident.unraw().to_string();
        let v = *self
            .reads
            .iter()
            .find(|v| self.body.vars[**v].name.unraw() == name)?;
        let param = self.body.params.iter().find(|p| p.var == v)?;
        let typed = match usage {
            Use::Value => is_primitive(&param.ty, &INTEGERS),
            Use::Cast => is_primitive(&param.ty, &INTEGERS) || is_primitive(&param.ty, &CASTABLE),
            Use::Len => is_container(&param.ty),
        };
        (typed && self.defs[v] == 0).then_some(v)
    }

    /// The local that `p` names, as the expression of the `let` at the top level of the
    /// function's block that binds it (its only definition, so it has that value at the loop),
    /// rewritten in turn: `let n = x.len() / 2;` makes `0..n` a count known at the top. A `let`
    /// with a type other than a primitive integer, or none that the rewrite accepts, gives
    /// `None`.
    fn local(&self, p: &syn::ExprPath, usage: Use) -> Option<TokenStream> {
        if usage == Use::Len {
            return None;
        }
        let (ty, expr, inner) = self.let_of(p)?;
        let inner = inner.bound(&expr)?;
        match ty {
            None => Some(quote!((#inner))),
            Some(ty) if is_primitive(ty, &INTEGERS) => {
                let root = self.root;
                Some(quote!(#root::__private::hoist_as::<#ty>(#inner)))
            }
            Some(_) => None,
        }
    }

    /// For a local that `p` names, bound once by a `let` at the top level of the function's
    /// block to an expression without floats: the `let`'s type, its expression, and the
    /// context in which to rewrite that (one `let` deeper, at most [`LET_DEPTH`]).
    fn let_of(&self, p: &syn::ExprPath) -> Option<(Option<&Type>, Expr, Hoist<'_>)> {
        if self.depth >= LET_DEPTH {
            return None;
        }
        let name = single_ident(p)?.unraw().to_string();
        let v = (0..self.body.vars.len()).find(|v| self.body.vars[*v].name.unraw() == name)?;
        if !self.reads.contains(&v) || self.defs[v] != 1 {
            return None;
        }
        let (ty, expr, reads) = self.body.block.stmts.iter().find_map(|stmt| match stmt {
            Stmt::Let { var, ty, rhs, .. } if *var == v => match rhs {
                Rhs::Opaque { expr, reads, .. } => Some((ty, expr, reads.as_slice())),
                Rhs::Use(Atom::Const(expr, _)) => Some((ty, expr, &[][..])),
                _ => None,
            },
            _ => None,
        })?;
        let expr: Expr = syn::parse2(expr.clone()).ok()?;
        let inner = Hoist {
            reads,
            depth: self.depth + 1,
            ..*self
        };
        Some((ty.as_deref(), expr, inner))
    }

    /// True when `e` is known to be an integer: an integer literal, a `.len()` call, a cast to
    /// a primitive integer type, a parameter of one, a local whose `let` has one or whose
    /// expression is known to be an integer, or arithmetic on one of these (which the rest of
    /// the range's grammar then accepts). This is what shows that a range is over integers,
    /// not `char`s or another type with steps.
    fn evident(&self, e: &Expr) -> bool {
        match unwrapped(e) {
            Expr::Lit(l) => matches!(l.lit, Lit::Int(_)),
            Expr::MethodCall(m) => is_len_call(m),
            Expr::Cast(c) => is_primitive(&c.ty, &INTEGERS),
            Expr::Binary(b) => {
                matches!(
                    b.op,
                    BinOp::Add(_) | BinOp::Sub(_) | BinOp::Mul(_) | BinOp::Div(_) | BinOp::Rem(_)
                ) && (self.evident(&b.left) || self.evident(&b.right))
            }
            Expr::Path(p) => {
                self.param(p, Use::Value).is_some()
                    || self.let_of(p).is_some_and(|(ty, expr, inner)| match ty {
                        Some(ty) => is_primitive(ty, &INTEGERS),
                        None => inner.evident(&expr),
                    })
            }
            _ => false,
        }
    }

    /// A path, rewritten: a parameter the rewrite may read (see [`Hoist::param`]) or a constant.
    fn path(&self, p: &syn::ExprPath, usage: Use) -> Option<TokenStream> {
        if !p.attrs.is_empty() || p.qself.is_some() {
            return None;
        }
        if let Some(v) = self.param(p, usage) {
            let name = &self.body.vars[v].name;
            return Some(quote!(#name));
        }
        if let Some(local) = self.local(p, usage) {
            return Some(local);
        }
        let first = p.path.segments.first()?.ident.unraw().to_string();
        if self.items.contains(&first) {
            return None;
        }
        if let Some(ident) = single_ident(p) {
            let name = ident.unraw().to_string();
            // Any other local (or a user's name of one) cannot be read at the top.
            let local = self.body.vars.iter().any(|var| var.name.unraw() == name)
                || self.body.versions.values().any(|user| *user == name);
            if local || usage == Use::Len {
                return None;
            }
        } else if usage == Use::Len {
            return None;
        }
        Some(quote!(#p))
    }
}

/// The identifier of a path of one segment without arguments or leading `::`.
fn single_ident(p: &syn::ExprPath) -> Option<&Ident> {
    if !p.attrs.is_empty() || p.qself.is_some() {
        return None;
    }
    p.path.get_ident()
}

/// Per variable, how many statements of the body give it a value (a `let`, a phi, a loop's
/// slot or counter, a write-back): a parameter given none has the same value at the top of the
/// function as at a loop, and so does a local given one by a `let` at the top level.
fn definitions(body: &Body) -> Vec<usize> {
    let mut count = vec![0; body.vars.len()];
    body.block.walk(&mut |stmt| {
        for v in stmt.defs() {
            count[v] += 1;
        }
        match stmt {
            Stmt::Loop(l) => {
                for s in &l.slots {
                    count[s.var] += 1;
                }
                if let LoopKind::For { counters, .. } = &l.kind {
                    for c in counters {
                        count[*c] += 1;
                    }
                }
            }
            Stmt::WriteBack { slot, .. } => count[*slot] += 1,
            _ => {}
        }
    });
    count
}
