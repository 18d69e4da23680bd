//! The pipeline, end to end: parse → lower → activity → plan (and the tapes that share the
//! call's arena) → forward and reverse sweeps → emit.
//! Errors from every stage are collected; code generation runs only when there are none.

use crate::activity::analyze;
use crate::ctxt::Ctxt;
use crate::emit::{generated, original, stubs};
use crate::lower::lower;
use crate::naming::Namer;
use crate::parse::{parse_attr, parse_item};
use crate::plan::plan;
use proc_macro2::TokenStream;
use quote::quote;

/// Expands `#[differentiable(attr)] item`. Never panics: bad input becomes `compile_error!`
/// next to the original function and stubs of the generated ones.
pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let args = parse_attr(attr, &cx);
    let Some(model) = parse_item(item.clone(), &cx) else {
        let error = cx.check().err().map(|e| e.to_compile_error());
        return quote!(#item #error);
    };
    let original = original(&model);
    // A bad signature makes the body's errors noise: report it alone.
    if cx.is_ok() {
        let mut namer = Namer::new(item);
        let body = lower(&model, &args.root, &mut namer, &cx);
        let activity = analyze(&body, &cx);
        let mut plan = plan(&body, &activity, &cx);
        plan.lanes = crate::arena::lanes(&body, &plan, &args.root);
        if cx.is_ok() {
            let generated = generated(&model, &args, &body, &activity, &plan, &mut namer);
            return quote!(#original #generated);
        }
    }
    let error = cx.check().err().map(|e| e.to_compile_error());
    let stubs = stubs(&model);
    quote!(#original #stubs #error)
}
