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

/// Generated names avoid every identifier of the user's function, and user names get numbered
/// versions when shadowed.
#[test]
fn generated_names_avoid_user_names() {
    use crate::naming::Namer;
    use proc_macro2::Span;
    let mut namer = Namer::new(quote::quote!(
        fn f(t0: f64, bar_x: f64) -> f64 {
            t0 + bar_x
        }
    ));
    assert_eq!(namer.temp().to_string(), "t1");
    assert_eq!(
        namer.fresh("bar_x", Span::call_site()).to_string(),
        "bar_x_1"
    );
    assert_eq!(namer.user("x", Span::call_site()).to_string(), "x");
    assert_eq!(namer.user("x", Span::call_site()).to_string(), "x_1");
}

/// Prints the expansion of the function in the file named by `VJP_DUMP` (for reading the
/// generated code of a benchmark or a bug report): `VJP_DUMP=f.rs cargo test -p vjp-macro
/// dump -- --nocapture`. Does nothing without the variable.
#[test]
fn dump() {
    let Some(path) = std::env::var_os("VJP_DUMP") else {
        return;
    };
    let source = std::fs::read_to_string(path).expect("read VJP_DUMP");
    let item: TokenStream = source.parse().expect("VJP_DUMP holds Rust tokens");
    println!("{}", render(item));
}
