//! The shadow windows over groups of windows (`crate::bounds`, `Windows::groups`): which
//! loops get one, and where the reverse adds.

use super::render;
use quote::quote;

/// The reverse of `NAME_vjp` (its text from the reverse loop on).
fn vjp_text(item: proc_macro2::TokenStream, name: &str) -> String {
    let out = render(item);
    let start = out.find(&format!("fn {name}_vjp")).expect("a _vjp");
    let end = out.find(&format!("fn {name}_grad")).unwrap_or(out.len());
    out[start..end].to_string()
}

#[test]
fn neighbours_add_through_one_window_of_the_shadow() {
    let text = vjp_text(
        quote! {
            fn f(x: &[f64]) -> f64 {
                let mut s = 0.5;
                for i in 1..x.len() - 1 {
                    s = (s + x[i - 1] - 2.0 * x[i] + x[i + 1]).tanh();
                }
                s
            }
        },
        "f",
    );
    // One window of `bar_x`, from `x[i - 1]`'s start, two elements longer than the loop.
    assert_eq!(text.matches("bar_x_group: &mut [_]").count(), 1, "{text}");
    assert!(text.contains("checked_add(2usize)"), "{text}");
    assert!(text.contains("_bar_x_group[i - (1)] +="), "{text}");
    assert!(text.contains("_bar_x_group[i - (1) + 1usize] +="), "{text}");
    assert!(text.contains("_bar_x_group[i - (1) + 2usize] +="), "{text}");
    assert!(!text.contains("bar_x[t"), "{text}");
}

#[test]
fn other_reads_of_the_slice_or_offsets_not_constant_keep_the_elements() {
    for item in [
        // `x.len()` read in the loop.
        quote! {
            fn f(x: &[f64]) -> f64 {
                let mut s = 0.5;
                for i in 0..x.len() - 1 {
                    s = (s + x[i + 1] * x[i] / x.len() as f64).tanh();
                }
                s
            }
        },
        // Starts that differ by `k`, not by a constant.
        quote! {
            fn f(x: &[f64], #[no_grad] k: usize) -> f64 {
                let mut s = 0.5;
                for i in 0..x.len() - k {
                    s = (s + x[i + k] * x[i]).tanh();
                }
                s
            }
        },
    ] {
        let text = vjp_text(item, "f");
        assert!(!text.contains("_group"), "{text}");
    }
}

/// Literals at the ends of `i128` and past it: no group, and no overflow in the macro.
#[test]
fn huge_literals_make_no_group() {
    for item in [
        quote! {
            fn f(x: &[f64]) -> f64 {
                let mut s = 0.5;
                for i in 0..x.len() {
                    s = (s + x[i + 170141183460469231731687303715884105727] * x[i - 170141183460469231731687303715884105727]).tanh();
                }
                s
            }
        },
        quote! {
            fn f(x: &[f64]) -> f64 {
                let mut s = 0.5;
                for i in 0..x.len() {
                    s = (s + x[i + 999999999999999999999999999999999999999999] * x[i]).tanh();
                }
                s
            }
        },
        quote! {
            fn f(x: &[f64]) -> f64 {
                let mut s = 0.5;
                for i in 0..x.len() {
                    s = (s + x[i + 100] * x[i]).tanh();
                }
                s
            }
        },
    ] {
        let text = vjp_text(item, "f");
        assert!(!text.contains("_group"), "{text}");
    }
}
