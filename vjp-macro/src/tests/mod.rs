//! Unit tests of the whole expansion: snapshots of the generated code (`snapshots`) and a
//! corpus of odd functions that must expand to tokens or an error, never a panic (`corpus`);
//! of the trip counts known when the function starts (`hoist`), the variables known to be
//! integers (`ints`), and the shadow windows over groups of windows (`groups`).

mod corpus;
mod groups;
mod hoist;
mod ints;
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

/// The quick check of a candidate name agrees with `syn`'s parser, keywords, `_`, `self` and
/// Unicode included.
#[test]
fn names_are_identifiers_as_syn_parses_them() {
    let names = [
        "x",
        "t0",
        "bar_x_1",
        "_x",
        "__",
        "_",
        "x1_",
        "1x",
        "",
        "fn",
        "type",
        "self",
        "Self",
        "crate",
        "super",
        "union",
        "macro_rules",
        "gen",
        "try",
        "dyn",
        "async",
        "await",
        "yield",
        "abstract",
        "r#x",
        "x-y",
        "x y",
        "é",
        "über",
        "_é",
        "x\u{301}",
        "ñ_1",
        "dot_t3",
    ];
    for name in names {
        assert_eq!(
            crate::naming::is_ident(name),
            syn::parse_str::<syn::Ident>(name).is_ok(),
            "{name:?}"
        );
    }
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

/// A phi has a value in every branch that falls through (see [`crate::ir::Phi`]), also when
/// one branch assigns a name and returns while the other leaves the name's scope (the code
/// after the `if` moved into its branches): such a name is dead after the `if` and gets no phi.
#[test]
fn phis_have_a_value_in_every_branch_that_falls_through() {
    use crate::ir::{Stmt, Term};
    let items = [
        // A branch's own scope.
        quote::quote! {
            fn f(x: f64, y: f64) -> f64 {
                if x > 1.0 {
                    let mut a = x;
                    if y > 0.0 {
                        a *= y;
                        return a;
                    }
                }
                x
            }
        },
        // A block statement's scope.
        quote::quote! {
            fn f(x: f64, y: f64) -> f64 {
                {
                    let mut a = x;
                    if y > 0.0 {
                        a *= y;
                        return a;
                    }
                }
                x
            }
        },
        // The assignment before a nested `if` that returns, and an `else if` chain.
        quote::quote! {
            fn f(x: [f64; 2], p: (f64, f64)) -> f64 {
                if p.0 > 0.0 {
                    let mut a = [x[0], x[1]];
                    if p.1 > 0.0 {
                        a[0] = a[0] * p.1;
                        if a[0] > 1.0 {
                            return a[0];
                        }
                    } else if a[1] > 0.0 {
                    }
                }
                p.0
            }
        },
    ];
    for item in items {
        let cx = crate::ctxt::Ctxt::new();
        let model = crate::parse::parse_item(item.clone(), &cx).expect("parses");
        let mut namer = crate::naming::Namer::new(item.clone());
        let body = crate::lower::lower(&model, &syn::parse_quote!(::vjp), &mut namer, &cx);
        assert!(cx.check().is_ok(), "{item}");
        let mut ifs = 0;
        body.block.walk(&mut |stmt| {
            if let Stmt::If {
                then, els, phis, ..
            } = stmt
            {
                ifs += 1;
                for phi in phis {
                    let name = &body.vars[phi.var].name;
                    assert_eq!(
                        then.term == Term::Fall,
                        phi.then_val.is_some(),
                        "{name} in {item}"
                    );
                    assert_eq!(
                        els.term == Term::Fall,
                        phi.else_val.is_some(),
                        "{name} in {item}"
                    );
                }
            }
        });
        assert!(ifs > 0, "{item}");
        assert!(!render(item.clone()).contains("compile_error"), "{item}");
    }
}

/// A method call on a `mut` local is an error unless its method is known to leave the receiver
/// unchanged or it is called as a function of a shared reference (`lower::in_place`); scopes
/// decide which binding a name is.
#[test]
fn method_calls_that_may_change_a_mut_local() {
    let reported = |item: TokenStream| {
        render(item)
            .matches("in place, which vjp cannot follow")
            .count()
    };
    // Changed in place.
    assert_eq!(
        reported(quote::quote!(
            fn f(x: f64) -> f64 {
                let mut v = Vec::new();
                v.push(1);
                x
            }
        )),
        1
    );
    assert_eq!(
        reported(quote::quote!(
            fn f(x: f64, #[no_grad] mut r: Rng) -> f64 {
                x * r.next()
            }
        )),
        1
    );
    assert_eq!(
        reported(quote::quote!(
            fn f(x: f64) -> f64 {
                let mut s = S::new();
                s.buf[0].clear();
                x
            }
        )),
        1
    );
    // Known to leave the receiver unchanged, or called as a function of a shared reference.
    assert_eq!(
        reported(quote::quote!(
            fn f(x: f64) -> f64 {
                let mut s = x;
                s = s.sin();
                s.max(1.0)
            }
        )),
        0
    );
    assert_eq!(
        reported(quote::quote!(
            fn f(x: f64) -> f64 {
                let mut v = vec![1];
                v[0] = 2;
                x * (v.len() + v.iter().count()) as f64
            }
        )),
        0
    );
    assert_eq!(
        reported(quote::quote!(
            fn f(x: f64, #[no_grad] mut p: P) -> f64 {
                p = P::new();
                x * P::norm(&p) * (&p).norm()
            }
        )),
        0
    );
    assert_eq!(
        reported(quote::quote!(
            fn f(x: f64) -> f64 {
                let mut best = None;
                best = Some(1);
                x * best.unwrap() as f64
            }
        )),
        0
    );
    // Not `mut`, or no longer: shadowed by a binding that is not.
    assert_eq!(
        reported(quote::quote!(
            fn f(x: f64, #[no_grad] r: Rng) -> f64 {
                x * r.next()
            }
        )),
        0
    );
    assert_eq!(
        reported(quote::quote!(
            fn f(x: f64) -> f64 {
                let mut v = w();
                let v = v;
                v.push(1);
                x
            }
        )),
        0
    );
    assert_eq!(
        reported(quote::quote!(
            fn f(x: f64) -> f64 {
                let mut v = w();
                for v in 0..3 {
                    v.foo();
                }
                x
            }
        )),
        0
    );
    // Back in scope after a block that shadowed it.
    assert_eq!(
        reported(quote::quote!(
            fn f(x: f64) -> f64 {
                let mut v = w();
                {
                    let v = 1;
                    v.foo();
                }
                v.push(1);
                x
            }
        )),
        1
    );
}
