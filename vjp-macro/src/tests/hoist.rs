//! Unit tests of [`crate::hoist::Trips::of`]: which ranges give a trip count at the top of the
//! generated function, and the expression they give.

use crate::hoist::Trips;
use crate::ir::{Body, Loop, Stmt};
use proc_macro2::TokenStream;

/// The function lowered, and its first `for` loop (in the order of [`crate::ir::Block::walk`]).
fn lowered(item: TokenStream) -> (Body, Loop) {
    let cx = crate::ctxt::Ctxt::new();
    let model = crate::parse::parse_item(item.clone(), &cx).expect("parses");
    let mut namer = crate::naming::Namer::new(item.clone());
    let body = crate::lower::lower(&model, &syn::parse_quote!(::vjp), &mut namer, &cx);
    assert!(cx.check().is_ok(), "{item}");
    let mut first = None;
    body.block.walk(&mut |stmt| {
        if let (None, Stmt::Loop(l)) = (&first, stmt) {
            if matches!(l.kind, crate::ir::LoopKind::For { .. }) {
                first = Some(l.clone());
            }
        }
    });
    let l = first.unwrap_or_else(|| panic!("no `for` loop in {item}"));
    (body, l)
}

/// The trip count of the first `for` loop of `item`, as a token string.
fn trips_of(item: TokenStream) -> Option<String> {
    let (body, l) = lowered(item);
    let root: syn::Path = syn::parse_quote!(::vjp);
    Trips::new(&body, &root).of(&l).map(|t| t.to_string())
}

/// The tokens of `t`, as `to_string` spells them.
fn s(t: TokenStream) -> Option<String> {
    Some(t.to_string())
}

#[test]
fn parameter_bound() {
    let got = trips_of(quote::quote! {
        fn f(x: f64, n: usize) -> f64 {
            let mut s = x;
            for i in 0..n { s = s * x; }
            s
        }
    });
    assert_eq!(got, s(quote::quote!(::vjp::__private::hoist_span(0, n))));
}

#[test]
fn length_of_a_slice_parameter() {
    let got = trips_of(quote::quote! {
        fn f(x: &[f64]) -> f64 {
            let mut s = 0.0;
            for i in 0..x.len() / 2 { s = s + x[i]; }
            s
        }
    });
    assert_eq!(
        got,
        s(quote::quote!(::vjp::__private::hoist_span(
            0,
            ::vjp::__private::hoist_div(x.len(), 2)
        )))
    );
}

#[test]
fn constants() {
    let got = trips_of(quote::quote! {
        fn f(x: f64) -> f64 {
            let mut s = x;
            for _ in 0..K * D { s = s * x; }
            s
        }
    });
    assert_eq!(
        got,
        s(quote::quote!(::vjp::__private::hoist_span(
            0,
            ::vjp::__private::hoist_mul(K, D)
        )))
    );
    let got = trips_of(quote::quote! {
        fn f(x: f64, n: usize) -> f64 {
            let mut s = x;
            for _ in 1..=(n + m::LEN as usize) % Self::N { s = s * x; }
            s
        }
    });
    assert_eq!(
        got,
        s(quote::quote!(::vjp::__private::hoist_span_inclusive(
            1,
            ::vjp::__private::hoist_rem(
                (::vjp::__private::hoist_add(n, (m::LEN as usize))),
                Self::N
            )
        )))
    );
    // An integer parameter shows that the range is over integers.
    let got = trips_of(quote::quote! {
        fn f(x: f64, n: usize) -> f64 {
            let mut s = x;
            for _ in (Self::N % 3)..(n + 1) { s = s * x; }
            s
        }
    });
    assert_eq!(
        got,
        s(quote::quote!(::vjp::__private::hoist_span(
            (::vjp::__private::hoist_rem(Self::N, 3)),
            (::vjp::__private::hoist_add(n, 1))
        )))
    );
    // Nothing does: constants of unknown type only (`Ipv4Addr`s have steps too).
    let got = trips_of(quote::quote! {
        fn f(x: f64) -> f64 {
            let mut s = x;
            for _ in Self::N..M { s = s * x; }
            s
        }
    });
    assert_eq!(got, None);
}

#[test]
fn reversed_inclusive_range() {
    let got = trips_of(quote::quote! {
        fn f(x: f64, n: u32) -> f64 {
            let mut s = x;
            for i in (1..=n).rev() { s = s * x; }
            s
        }
    });
    assert_eq!(
        got,
        s(quote::quote!(::vjp::__private::hoist_span_inclusive(1, n)))
    );
}

#[test]
fn casts() {
    let got = trips_of(quote::quote! {
        fn f(x: &[f64], k: i32) -> f64 {
            let mut s = 0.0;
            for i in k as usize..x.len() - 1 { s = s + x[i]; }
            s
        }
    });
    assert_eq!(
        got,
        s(quote::quote!(::vjp::__private::hoist_span(
            (k as usize),
            ::vjp::__private::hoist_sub(x.len(), 1)
        )))
    );
}

/// A local bound by a `let` at the top level of the function's block, once, is read through
/// its expression.
#[test]
fn a_local_bound_reads_through_its_let() {
    let got = trips_of(quote::quote! {
        fn f(x: f64, n: usize) -> f64 {
            let m = n / 2;
            let mut s = x;
            for i in 0..m { s = s * x; }
            s
        }
    });
    assert_eq!(
        got,
        s(quote::quote!(::vjp::__private::hoist_span(
            0,
            (::vjp::__private::hoist_div(n, 2))
        )))
    );
    // Two `let`s deep, one of them typed (its expression keeps the type).
    let got = trips_of(quote::quote! {
        fn f(x: &[f64]) -> f64 {
            let k: u32 = 3;
            let m = x.len() as u32 * k;
            let mut s = 0.0;
            for i in 1..=m { s = s + x[0]; }
            s
        }
    });
    assert_eq!(
        got,
        s(quote::quote!(::vjp::__private::hoist_span_inclusive(
            1,
            (::vjp::__private::hoist_mul((x.len() as u32), ::vjp::__private::hoist_as::<u32>(3)))
        )))
    );
}

/// `let n = n + 1;` makes a new version of `n`, defined once, at the top level: read through.
/// A version that an `if` defines (a phi), or a `let` in a branch or a loop, is not.
#[test]
fn locals_defined_elsewhere_are_not_hoisted() {
    let got = trips_of(quote::quote! {
        fn f(x: f64, n: usize) -> f64 {
            let n = n + 1;
            let mut s = x;
            for i in 0..n { s = s * x; }
            s
        }
    });
    assert_eq!(
        got,
        s(quote::quote!(::vjp::__private::hoist_span(
            0,
            (::vjp::__private::hoist_add(n, 1))
        )))
    );
    let got = trips_of(quote::quote! {
        fn f(x: f64, mut n: usize) -> f64 {
            if x > 0.0 { n += 1; }
            let mut s = x;
            for i in 0..n { s = s * x; }
            s
        }
    });
    assert_eq!(got, None);
    let got = trips_of(quote::quote! {
        fn f(x: f64, n: usize) -> f64 {
            let mut s = x;
            if x > 0.0 {
                let m = n * 2;
                for i in 0..m { s = s * x; }
            }
            s
        }
    });
    assert_eq!(got, None);
    // A `let` whose expression the rewrite does not accept, or of a type that is not a
    // primitive integer.
    for item in [
        quote::quote! {
            fn f(x: &[f64]) -> f64 {
                let m = x.iter().count();
                let mut s = 0.0;
                for i in 0..m { s = s + x[i]; }
                s
            }
        },
        quote::quote! {
            fn f(x: &[f64]) -> f64 {
                let m: Wrapper = x.len();
                let mut s = 0.0;
                for i in 0..m { s = s + x[i]; }
                s
            }
        },
    ] {
        assert_eq!(trips_of(item), None);
    }
}

/// An unsuffixed literal that does not fit an `i32` (the type it gets in the rewrite) is
/// not rewritten.
#[test]
fn literals_beyond_i32_are_not_hoisted() {
    let got = trips_of(quote::quote! {
        fn f(x: f64) -> f64 {
            let mut s = x;
            for i in 0..5_000_000_000 { s = s * x; }
            s
        }
    });
    assert_eq!(got, None);
    let got = trips_of(quote::quote! {
        fn f(x: f64) -> f64 {
            let mut s = x;
            for i in 0..5_000_000_000u64 { s = s * x; }
            s
        }
    });
    assert_eq!(
        got,
        s(quote::quote!(::vjp::__private::hoist_span(
            0,
            5_000_000_000u64
        )))
    );
}

/// A parameter that the loop itself assigns still has its value at the top when the
/// range is evaluated.
#[test]
fn a_parameter_assigned_after_the_range_is_read() {
    let got = trips_of(quote::quote! {
        fn f(x: f64, mut n: usize) -> f64 {
            let mut s = x;
            for i in 0..n { s = s * x; n = n - 1; }
            s * n as f64
        }
    });
    assert_eq!(got, s(quote::quote!(::vjp::__private::hoist_span(0, n))));
}

#[test]
fn iterators_are_not_hoisted() {
    let got = trips_of(quote::quote! {
        fn f(y: f64, x: &[usize]) -> f64 {
            let mut s = y;
            for k in x.iter() { s = s * y; }
            s
        }
    });
    assert_eq!(got, None);
    let got = trips_of(quote::quote! {
        fn f(y: f64, n: usize) -> f64 {
            let mut s = y;
            for k in (0..n).step_by(2) { s = s * y; }
            s
        }
    });
    assert_eq!(got, None);
    let got = trips_of(quote::quote! {
        fn f(y: f64, n: usize) -> f64 {
            let mut s = y;
            for k in n.. { if k > 9 { break; } s = s * y; }
            s
        }
    });
    assert_eq!(got, None);
}

#[test]
fn ranges_not_known_to_be_over_integers() {
    let got = trips_of(quote::quote! {
        fn f(y: f64, c: char) -> f64 {
            let mut s = y;
            for k in 'a'..c { s = s * y; }
            s
        }
    });
    assert_eq!(got, None);
    // Parameters of a type that is not a primitive integer (a `Step` type of the user's).
    let got = trips_of(quote::quote! {
        fn f(y: f64, a: Day, b: Day) -> f64 {
            let mut s = y;
            for k in a..b { s = s * y; }
            s
        }
    });
    assert_eq!(got, None);
    // Of a primitive integer type, they show it.
    let got = trips_of(quote::quote! {
        fn f(y: f64, a: usize, b: usize) -> f64 {
            let mut s = y;
            for k in a..b { s = s * y; }
            s
        }
    });
    assert_eq!(got, s(quote::quote!(::vjp::__private::hoist_span(a, b))));
}

#[test]
fn element_reads_are_not_hoisted() {
    let got = trips_of(quote::quote! {
        fn f(y: f64, x: &[f64]) -> f64 {
            let mut s = y;
            for k in 0..x[0] as usize { s = s * y; }
            s
        }
    });
    assert_eq!(got, None);
}

/// A local constant may not be in scope at the top of the generated function, and a
/// parameter whose type is not a primitive integer may be a reference that the helpers do
/// not take.
#[test]
fn local_items_and_other_parameter_types() {
    let got = trips_of(quote::quote! {
        fn f(y: f64) -> f64 {
            const K: usize = 3;
            let mut s = y;
            for k in 0..K { s = s * y; }
            s
        }
    });
    assert_eq!(got, None);
    let got = trips_of(quote::quote! {
        fn f(y: f64, n: usize, m: &usize) -> f64 {
            let mut s = y;
            for k in 0..n + m { s = s * y; }
            s
        }
    });
    assert_eq!(got, None);
    // `println!` declares no item.
    let got = trips_of(quote::quote! {
        fn f(y: f64) -> f64 {
            println!("{}", K);
            let mut s = y;
            for k in 0..K { s = s * y; }
            s
        }
    });
    assert_eq!(got, s(quote::quote!(::vjp::__private::hoist_span(0, K))));
}
