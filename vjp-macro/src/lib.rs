//! The procedural macros of [`vjp`](https://docs.rs/vjp): `#[differentiable]` generates, next
//! to a function, its reverse-mode derivative `NAME_vjp` and, for scalar functions,
//! `NAME_grad`. Use them through the `vjp` crate, which re-exports them with the runtime the
//! generated code calls.
//!
//! The expansion is a pipeline, one private module per stage: `parse` (attribute and
//! signature) → `lower` (the body into the A-normal-form IR of `ir`) → `activity` → `plan`
//! (what each loop saves, which loop `fuse` runs in one pass, and which element reads go
//! through `views` and `bounds`) → `forward` and `reverse` (the two sweeps) → `emit`. Errors
//! are collected in a `ctxt::Ctxt` with the spans of the user's tokens. `cargo doc -p vjp-macro --document-private-items` documents each stage.

mod activity;
mod arena;
mod bounds;
mod ctxt;
mod emit;
mod expand;
mod forward;
mod fuse;
mod hoist;
mod ints;
mod ir;
mod lower;
mod naming;
mod parse;
mod plan;
mod prims;
mod reverse;
mod tangent;
#[cfg(test)]
mod tests;
mod undo;
mod views;

use proc_macro::TokenStream;

/// Generates the reverse-mode derivative of a function.
///
/// For `fn NAME(PARAMS) -> R`, adds `NAME_vjp(PARAMS, v: R) -> (R, GRADS)` (the output and the
/// vector-Jacobian product `v^T J`, one cotangent per active parameter) and, when `R` is a
/// float, `NAME_grad(PARAMS) -> GRADS`. Parameters of float types (`f32`, `f64`, a type
/// parameter bounded by `vjp::Real`, arrays and tuples of those) are active unless marked
/// `#[no_grad]`; other parameters are passed through. `#[differentiable(crate = path)]` names
/// the `vjp` crate by another path. See the `vjp` crate's README for what a body may contain.
#[proc_macro_attribute]
pub fn differentiable(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item2: proc_macro2::TokenStream = item.into();
    let attr2: proc_macro2::TokenStream = attr.into();
    let fallback = item2.clone();
    // `expand` does not panic (its tests feed it a corpus of odd functions); should a bug make
    // it panic anyway, the user gets an error on their function instead of an ICE-like crash.
    match std::panic::catch_unwind(move || expand::expand(attr2, item2)) {
        Ok(tokens) => tokens.into(),
        Err(_) => {
            let message = "internal error in #[differentiable]; please report this function to the vjp issue tracker";
            quote::quote!(#fallback ::core::compile_error!(#message);).into()
        }
    }
}
