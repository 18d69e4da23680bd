//! Unit tests of the whole expansion: snapshots of the generated code (rendered with
//! prettyplease, compared with `vjp-macro/tests/snapshots/*.rs`; set `VJP_BLESS=1` to rewrite
//! them) and a corpus of odd functions that must expand to tokens or an error, never a panic.

use crate::expand::expand;
use proc_macro2::TokenStream;
use quote::quote;

/// The expansion of `item`, pretty-printed.
fn render(item: TokenStream) -> String {
    let tokens = expand(TokenStream::new(), item);
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    }
}

#[test]
fn print_seed() {
    println!(
        "{}",
        render(quote! {
            fn f(x1: f64, x2: f64) -> (f64, f64, f64) {
                (x1 * x1 + x2, x1.sin(), x1 * x2)
            }
        })
    );
}
