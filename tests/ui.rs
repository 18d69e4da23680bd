//! Compile-time behaviour of `#[differentiable]`, pinned with trybuild.
//!
//! - `ui/unsupported/`: one construct the macro cannot differentiate per file; each must be one
//!   error at the construct's own span, with a help line, and no cascade.
//! - `ui/malformed/`: the attribute on something it does not apply to, or with bad arguments.
//! - `ui/pass/`: programs that must compile without a warning (`#![deny(warnings)]`) and run.
//!
//! After changing a message, regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test --test ui` and read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/unsupported/*.rs");
    t.compile_fail("tests/ui/malformed/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
