//! Unit tests of the whole expansion: snapshots of the generated code (`snapshots`) and a
//! corpus of odd functions that must expand to tokens or an error, never a panic (`corpus`).

mod corpus;
mod snapshots;

use crate::expand::expand;
use proc_macro2::TokenStream;

/// The expansion of `#[differentiable] item`, pretty-printed (or raw tokens if it does not
/// parse as a file, which would itself be a bug).
pub fn render(item: TokenStream) -> String {
    let tokens = expand(TokenStream::new(), item);
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    }
}
