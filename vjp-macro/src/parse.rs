//! Parsing: the attribute's arguments and the function's signature, checked against what the
//! contract supports, into a [`Model`] that keeps the user's syntax for later stages.
//!
//! After this stage: the item is a free function or a method taking `&self` or `self`, with a
//! body; every other parameter is a plain identifier (or `_`) with a type the macro has
//! classified as active or inactive; the return type is a float, an array of floats or a tuple
//! of floats; `#[no_grad]` attributes are recorded and stripped from the item.

use crate::ctxt::Ctxt;
use crate::ir::Ty;
use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{
    FnArg, GenericParam, Ident, ItemFn, Pat, ReturnType, Type, TypeParamBound, WherePredicate,
};

/// The attribute's arguments: `#[differentiable]` or `#[differentiable(crate = path)]`.
pub struct Attr {
    /// The path through which generated code names the runtime (`::vjp` by default).
    pub root: syn::Path,
}

/// A parameter as the later stages see it.
pub struct ParamModel {
    /// The name as written (`None` for `_`).
    pub ident: Option<Ident>,
    /// The declared type.
    pub ty: Type,
    /// What the macro knows of the type.
    pub class: Ty,
    /// True when marked `#[no_grad]`.
    pub no_grad: bool,
    /// For an active reference parameter, the type of its shadow (`&mut [F]`, `&mut [F; N]`).
    pub shadow: Option<Type>,
    /// The parameter's span.
    pub span: Span,
}

impl ParamModel {
    /// True when the parameter gets a cotangent.
    pub fn active(&self) -> bool {
        !self.no_grad && self.class.carries_floats()
    }
}

/// The parsed function.
pub struct Model {
    /// The function, with `#[no_grad]` removed from its parameters.
    pub item: ItemFn,
    /// Its parameters.
    pub params: Vec<ParamModel>,
    /// The declared return type.
    pub ret: Type,
    /// What the macro knows of the return type.
    pub ret_class: Ty,
    /// The type parameters bounded by `Real`.
    pub float_params: Vec<Ident>,
    /// The `self` parameter of a method (`&self` or `self`): inactive, passed through as the
    /// first parameter of every generated function.
    pub receiver: Option<syn::Receiver>,
}

/// Parses the attribute's arguments.
pub fn parse_attr(args: TokenStream, cx: &Ctxt) -> Attr {
    let mut root: syn::Path = syn::parse_quote!(::vjp);
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("crate") {
            let value = meta.value()?;
            root = if value.peek(syn::LitStr) {
                value.parse::<syn::LitStr>()?.parse()?
            } else {
                value.parse()?
            };
            Ok(())
        } else {
            Err(meta.error("unknown argument of #[differentiable]"))
        }
    });
    if let Err(error) = parser.parse2(args) {
        cx.error_help(
            error.span(),
            error,
            "write `#[differentiable]` or `#[differentiable(crate = path::to::vjp)]`",
        );
    }
    Attr { root }
}

/// Parses the item into a [`Model`]; `None` when it is not a function the macro can handle
/// (the reasons are in `cx`).
pub fn parse_item(item: TokenStream, cx: &Ctxt) -> Option<Model> {
    let mut item: ItemFn = match syn::parse2(item) {
        Ok(item) => item,
        Err(error) => {
            cx.error(
                error.span(),
                "#[differentiable] applies to a function\n= help: put it on a free `fn` item",
            );
            return None;
        }
    };
    check_qualifiers(&item, cx);
    let float_params = float_type_params(&item);
    let receiver = match item.sig.inputs.first() {
        Some(FnArg::Receiver(receiver)) => {
            check_receiver(receiver, cx);
            Some(receiver.clone())
        }
        _ => None,
    };
    let params = item
        .sig
        .inputs
        .iter_mut()
        .filter_map(|arg| parse_param(arg, &float_params, cx))
        .collect();
    let (ret, ret_class) = parse_return(
        &item.sig.output,
        item.sig.paren_token.span.close(),
        &float_params,
        receiver.is_some(),
        cx,
    )
    .unwrap_or_else(|| (syn::parse_quote!(()), Ty::Other));
    Some(Model {
        item,
        params,
        ret,
        ret_class,
        float_params,
        receiver,
    })
}

/// A method's `self` must leave `self` unchanged: the reverse sweep reads `self` again and
/// must see what the forward sweep saw.
fn check_receiver(receiver: &syn::Receiver, cx: &Ctxt) {
    let mutable = receiver.mutability.is_some()
        || matches!(&*receiver.ty, Type::Reference(r) if r.mutability.is_some());
    if mutable {
        cx.error_spanned_help(
            receiver,
            "a method with `&mut self` or `mut self` cannot be differentiated",
            "take `&self` (the sweeps read `self` again and must see it unchanged), or pass what changes as parameters",
        );
    }
}

fn check_qualifiers(item: &ItemFn, cx: &Ctxt) {
    let sig = &item.sig;
    if let Some(token) = &sig.asyncness {
        cx.error_help(
            token.span,
            "`async fn` cannot be differentiated",
            "differentiate a synchronous function and call it from the async one",
        );
    }
    if let Some(token) = &sig.unsafety {
        cx.error_help(
            token.span,
            "`unsafe fn` cannot be differentiated",
            "move the unsafe code out of the differentiated function",
        );
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_help(
            variadic.span(),
            "variadic functions cannot be differentiated",
            "take the values as a slice `&[f64]`",
        );
    }
}

/// The function's type parameters whose bounds (inline or in the `where` clause) name `Real`.
fn float_type_params(item: &ItemFn) -> Vec<Ident> {
    let names_real = |bounds: &syn::punctuated::Punctuated<TypeParamBound, syn::Token![+]>| {
        bounds.iter().any(|bound| match bound {
            TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|s| s.ident == "Real"),
            _ => false,
        })
    };
    let mut out = Vec::new();
    for param in &item.sig.generics.params {
        if let GenericParam::Type(tp) = param {
            if names_real(&tp.bounds) {
                out.push(tp.ident.clone());
            }
        }
    }
    if let Some(where_clause) = &item.sig.generics.where_clause {
        for predicate in &where_clause.predicates {
            if let WherePredicate::Type(pt) = predicate {
                if let Type::Path(p) = &pt.bounded_ty {
                    if let Some(ident) = p.path.get_ident() {
                        if names_real(&pt.bounds) && !out.contains(ident) {
                            out.push(ident.clone());
                        }
                    }
                }
            }
        }
    }
    out
}

fn parse_param(arg: &mut FnArg, floats: &[Ident], cx: &Ctxt) -> Option<ParamModel> {
    let pat_type = match arg {
        // Checked and kept by `parse_item`.
        FnArg::Receiver(_) => return None,
        FnArg::Typed(pat_type) => pat_type,
    };
    let before = pat_type.attrs.len();
    pat_type
        .attrs
        .retain(|attr| !attr.path().is_ident("no_grad"));
    let no_grad = pat_type.attrs.len() != before;
    let ident = match &*pat_type.pat {
        Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => Some(p.ident.clone()),
        Pat::Wild(_) => None,
        other => {
            cx.error_help(
                other.span(),
                "patterns in parameters are not supported",
                "take the parameter by name and destructure it with `let` in the body",
            );
            // Kept (unnamed) so that the stubs have the right signature.
            None
        }
    };
    let class = classify_param(&pat_type.ty, floats, no_grad, cx);
    let shadow = match (&class, &*pat_type.ty) {
        (Ty::Slice(_), Type::Reference(r)) => shadow_type(&r.elem),
        _ => None,
    };
    Some(ParamModel {
        ident,
        ty: (*pat_type.ty).clone(),
        class,
        no_grad,
        shadow,
        span: pat_type.span(),
    })
}

fn classify_param(ty: &Type, floats: &[Ident], no_grad: bool, cx: &Ctxt) -> Ty {
    match ty {
        // A `#[no_grad]` float slice keeps its type (it is inactive all the same), so that
        // `w[i]` is known to be a float.
        Type::Reference(r) if r.mutability.is_none() => match row_elem(&r.elem, floats) {
            Some(elem) => Ty::Slice(Box::new(elem)),
            None => classify_reference(ty, r, floats, no_grad, cx),
        },
        Type::Ptr(_) if !no_grad => {
            cx.error_help(
                ty.span(),
                "raw pointer parameters cannot be differentiated",
                "pass the values by value or as a slice",
            );
            Ty::Other
        }
        Type::Reference(r) => classify_reference(ty, r, floats, no_grad, cx),
        _ => classify(ty, floats),
    }
}

/// A reference parameter that is not a row of floats: inactive, or an error when it would hide
/// floats.
fn classify_reference(
    ty: &Type,
    r: &syn::TypeReference,
    floats: &[Ident],
    no_grad: bool,
    cx: &Ctxt,
) -> Ty {
    let hides_floats =
        classify(&r.elem, floats).carries_floats() || is_float_container(&r.elem, floats);
    if no_grad || !hides_floats {
        return classify(ty, floats);
    }
    let (message, help) = if r.mutability.is_some() {
        ("`&mut` parameters with floats are not supported", "return the new values instead of writing through `&mut`, or mark the parameter `#[no_grad]`")
    } else {
        ("this reference parameter is not supported", "take `&[F]`, `&Vec<F>` or `&[F; N]` of a float `F` or of arrays of floats (`&[[F; 3]]`), pass the value itself, or mark the parameter `#[no_grad]`")
    };
    cx.error_help(ty.span(), message, help);
    Ty::Other
}

/// The element of `[E]`, `Vec<E>` or `[E; N]` when `E` is a float or an array of floats
/// (`[[F; 3]]`, nested to any depth): what an active reference may point to.
fn row_elem(ty: &Type, floats: &[Ident]) -> Option<Ty> {
    let elem = match ty {
        Type::Slice(s) => &*s.elem,
        Type::Array(a) => &*a.elem,
        Type::Path(_) => vec_elem(ty)?,
        _ => return None,
    };
    let class = classify(elem, floats);
    fn all_floats(ty: &Ty) -> bool {
        match ty {
            Ty::Float => true,
            Ty::Array(elem) => all_floats(elem),
            _ => false,
        }
    }
    all_floats(&class).then_some(class)
}

/// The element type of `Vec<E>`.
fn vec_elem(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else {
        return None;
    };
    let seg = p.path.segments.last().filter(|s| s.ident == "Vec")?;
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

/// The shadow of a reference to `row`: `&mut [F; N]` for an array, `&mut [F]` otherwise.
fn shadow_type(row: &Type) -> Option<Type> {
    match row {
        Type::Array(a) => Some(syn::parse_quote!(&mut #a)),
        Type::Slice(s) => Some(syn::parse_quote!(&mut #s)),
        other => vec_elem(other).map(|e| syn::parse_quote!(&mut [#e])),
    }
}

/// `[F]`, `Vec<F>`: containers whose elements would be active behind a reference.
fn is_float_container(ty: &Type, floats: &[Ident]) -> bool {
    match ty {
        Type::Slice(s) => classify(&s.elem, floats).carries_floats(),
        Type::Path(p) => p.path.segments.last().is_some_and(|seg| {
            seg.ident == "Vec"
                && matches!(&seg.arguments, syn::PathArguments::AngleBracketed(a)
                    if a.args.iter().any(|arg| matches!(arg, syn::GenericArgument::Type(t) if classify(t, floats).carries_floats())))
        }),
        _ => false,
    }
}

/// What the macro knows of a written type.
pub fn classify(ty: &Type, floats: &[Ident]) -> Ty {
    match ty {
        Type::Path(p) if p.qself.is_none() => {
            let last = p
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            let primitive_path = p.path.segments.len() == 1
                || p.path.segments.iter().any(|s| s.ident == "primitive");
            let generic = p.path.get_ident().is_some_and(|i| floats.contains(i));
            if generic || (primitive_path && (last == "f32" || last == "f64")) {
                Ty::Float
            } else {
                Ty::Other
            }
        }
        Type::Array(a) => match classify(&a.elem, floats) {
            Ty::Other => Ty::Other,
            elem => Ty::Array(Box::new(elem)),
        },
        Type::Tuple(t) => {
            let elems: Vec<Ty> = t.elems.iter().map(|e| classify(e, floats)).collect();
            if elems.iter().any(Ty::carries_floats) {
                Ty::Tuple(elems)
            } else {
                Ty::Other
            }
        }
        Type::Paren(p) => classify(&p.elem, floats),
        Type::Group(g) => classify(&g.elem, floats),
        _ => Ty::Other,
    }
}

/// Like [`classify`], for a type written in the body (a `let` annotation, a cast target): a
/// name the macro does not know (a type alias, a user type) might be a float, so it is
/// `Unknown` rather than inactive.
pub fn classify_local(ty: &Type, floats: &[Ident]) -> Ty {
    const INACTIVE: &[&str] = &[
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
        "bool", "char", "str", "String",
    ];
    match ty {
        Type::Path(p) if classify(ty, floats) == Ty::Other => {
            let last = p
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            // Standard containers of such values (`Option<usize>`, `Vec<(usize, bool)>`).
            const CONTAINERS: &[&str] = &[
                "Option", "Vec", "Box", "Result", "VecDeque", "BTreeSet", "BTreeMap", "HashSet",
                "HashMap", "Range",
            ];
            let of_inactive = |seg: &syn::PathSegment| {
                match &seg.arguments {
                syn::PathArguments::AngleBracketed(args) => args.args.iter().all(|a| {
                    matches!(a, syn::GenericArgument::Type(t) if classify_local(t, floats) == Ty::Other)
                }),
                _ => false,
            }
            };
            let container = p
                .path
                .segments
                .last()
                .is_some_and(|seg| CONTAINERS.contains(&last.as_str()) && of_inactive(seg));
            if INACTIVE.contains(&last.as_str()) || container {
                Ty::Other
            } else {
                Ty::Unknown
            }
        }
        Type::Array(a) => match classify_local(&a.elem, floats) {
            Ty::Other => Ty::Other,
            elem => Ty::Array(Box::new(elem)),
        },
        Type::Tuple(t) => Ty::Tuple(t.elems.iter().map(|e| classify_local(e, floats)).collect()),
        Type::Paren(p) => classify_local(&p.elem, floats),
        // `let h: Vec<_> = ..`: the macro cannot tell what `_` stands for.
        Type::Infer(_) => Ty::Unknown,
        _ => classify(ty, floats),
    }
}

fn parse_return(
    output: &ReturnType,
    sig_span: Span,
    floats: &[Ident],
    method: bool,
    cx: &Ctxt,
) -> Option<(Type, Ty)> {
    let help = "return `f64`, `[f64; N]` or a tuple of `f64` (or of `f32`, or of a type parameter bounded by `vjp::Real`)";
    let ty = match output {
        ReturnType::Default => {
            cx.error_help(
                sig_span,
                "a differentiable function must return a value",
                help,
            );
            return None;
        }
        ReturnType::Type(_, ty) => (**ty).clone(),
    };
    let class = classify(&ty, floats);
    if !only_floats(&class) {
        // `T` of `impl<T: Real> Poly<T>`: the attribute sees the method, not its `impl`.
        let bare_name =
            matches!(&ty, Type::Path(p) if p.qself.is_none() && p.path.get_ident().is_some());
        let help = if method && bare_name {
            "a type parameter of the `impl` block is not visible to #[differentiable]: declare it on the method (`fn eval<T: vjp::Real>(&self, ..)`), or return `f64`, `f32` or an array or tuple of them"
        } else {
            help
        };
        cx.error_help(
            ty.span(),
            "unsupported return type for #[differentiable]",
            help,
        );
        return None;
    }
    Some((ty, class))
}

fn only_floats(ty: &Ty) -> bool {
    match ty {
        Ty::Float => true,
        Ty::Array(elem) => **elem == Ty::Float,
        Ty::Tuple(elems) => !elems.is_empty() && elems.iter().all(|e| *e == Ty::Float),
        Ty::Slice(_) | Ty::Other | Ty::Unknown => false,
    }
}
