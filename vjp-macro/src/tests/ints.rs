//! Unit tests of [`crate::ints::integers`]: which variables without floats the macro knows to
//! be primitive integers.

use crate::ints::integers;
use proc_macro2::TokenStream;

/// The user's names (first versions) of the variables of `item` known to be integers, sorted.
fn known(item: TokenStream) -> Vec<String> {
    let cx = crate::ctxt::Ctxt::new();
    let model = crate::parse::parse_item(item.clone(), &cx).expect("parses");
    let mut namer = crate::naming::Namer::new(item.clone());
    let body = crate::lower::lower(&model, &syn::parse_quote!(::vjp), &mut namer, &cx);
    assert!(cx.check().is_ok(), "{item}");
    let ints = integers(&body);
    let mut names: Vec<String> = (0..body.vars.len())
        .filter(|v| ints[*v])
        .map(|v| body.vars[v].name.to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn counters_slots_and_lets() {
    let got = known(quote::quote! {
        fn f(x: &[f64], n: usize, flag: bool) -> f64 {
            let m = x.len() / 2;
            let mut k = 0;
            let mut s = 0.0;
            for i in 0..n {
                k += 1;
                s = s * x[i % m];
            }
            let c = if flag { k } else { m };
            s * c as f64
        }
    });
    // `n` (a `usize` parameter), `m`, the slot `k` and its new version, the counter `i`, the
    // element index, and the phi `c`; not `flag`, nor any float.
    for name in ["n", "m", "k", "i", "c"] {
        assert!(got.iter().any(|g| g == name), "{name} in {got:?}");
    }
    assert!(
        !got.iter().any(|g| g == "flag" || g == "s" || g == "x"),
        "{got:?}"
    );
}

#[test]
fn what_is_not_known() {
    let got = known(quote::quote! {
        fn f(x: &[f64], d: Day) -> f64 {
            let u = count(x);
            let e = d + 1;
            let w = K + 1;
            let mut j = u;
            let mut s = 0.0;
            for (i, v) in x.iter().enumerate() {
                j = j + 1;
                s = s + v * i as f64;
            }
            s * (j + e.0 + w) as f64
        }
    });
    // A call's result, arithmetic on a user's type or on a constant of unknown type, and a
    // slot that starts from one of those.
    for name in ["u", "e", "w", "j"] {
        assert!(!got.iter().any(|g| g == name), "{name} in {got:?}");
    }
}
