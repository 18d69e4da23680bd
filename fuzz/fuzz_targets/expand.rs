//! Fuzzes the expansion of `#[differentiable]`: any text that parses as a function must expand
//! to tokens that parse as Rust items (the function and what it generates, or a
//! `compile_error!`), and never panic.
//!
//! Run from the repository root
//! (`cargo install cargo-fuzz` first), with the committed seeds as a second corpus:
//! `cargo +nightly fuzz run expand fuzz/corpus/expand fuzz/seeds/expand -- -max_total_time=600`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use quote::ToTokens;

// The macro's stages, compiled here as ordinary modules (a proc-macro crate exports only its
// macros, so the fuzzer includes the same source files).
#[path = "../../vjp-macro/src/activity.rs"]
mod activity;
#[path = "../../vjp-macro/src/arena.rs"]
mod arena;
#[path = "../../vjp-macro/src/bounds.rs"]
mod bounds;
#[path = "../../vjp-macro/src/ctxt.rs"]
mod ctxt;
#[path = "../../vjp-macro/src/emit.rs"]
mod emit;
#[path = "../../vjp-macro/src/expand.rs"]
mod expand;
#[path = "../../vjp-macro/src/forward.rs"]
mod forward;
#[path = "../../vjp-macro/src/fuse.rs"]
mod fuse;
#[path = "../../vjp-macro/src/hoist.rs"]
mod hoist;
#[path = "../../vjp-macro/src/ints.rs"]
mod ints;
#[path = "../../vjp-macro/src/ir.rs"]
mod ir;
#[path = "../../vjp-macro/src/lower/mod.rs"]
mod lower;
#[path = "../../vjp-macro/src/naming.rs"]
mod naming;
#[path = "../../vjp-macro/src/parse.rs"]
mod parse;
#[path = "../../vjp-macro/src/plan.rs"]
mod plan;
#[path = "../../vjp-macro/src/prims.rs"]
mod prims;
#[path = "../../vjp-macro/src/reverse.rs"]
mod reverse;
#[path = "../../vjp-macro/src/tangent.rs"]
mod tangent;
#[path = "../../vjp-macro/src/undo.rs"]
mod undo;
#[path = "../../vjp-macro/src/views.rs"]
mod views;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(item) = syn::parse_str::<syn::ItemFn>(text) else {
        return;
    };
    let tokens = expand::expand(proc_macro2::TokenStream::new(), item.into_token_stream());
    if let Err(error) = syn::parse2::<syn::File>(tokens.clone()) {
        panic!("the expansion does not parse ({error}):\n{tokens}");
    }
});
