//! Error collection. Every stage reports problems here instead of stopping at the first one,
//! so the user sees every unsupported construct of a function at once; code generation runs
//! only after [`Ctxt::check`] succeeds and never rejects input itself.

use proc_macro2::Span;
use std::cell::RefCell;
use std::fmt::Display;

/// Collects errors with the spans of the user's tokens.
#[derive(Default)]
pub struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    /// A new, empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error at `span`.
    pub fn error(&self, span: Span, message: impl Display) {
        self.errors
            .borrow_mut()
            .push(syn::Error::new(span, message));
    }

    /// Records an error at `span` with a one-line help saying what to write instead.
    pub fn error_help(&self, span: Span, message: impl Display, help: impl Display) {
        self.error(span, format!("{message}\n= help: {help}"));
    }

    /// Records an error that underlines all of `tokens` (first to last), with a help line.
    pub fn error_spanned_help(
        &self,
        tokens: impl quote::ToTokens,
        message: impl Display,
        help: impl Display,
    ) {
        self.errors.borrow_mut().push(syn::Error::new_spanned(
            tokens,
            format!("{message}\n= help: {help}"),
        ));
    }

    /// True when no error has been recorded.
    pub fn is_ok(&self) -> bool {
        self.errors.borrow().is_empty()
    }

    /// All recorded errors combined into one, or `Ok` when there are none.
    pub fn check(self) -> Result<(), syn::Error> {
        let mut errors = self.errors.into_inner().into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for error in errors {
            combined.combine(error);
        }
        Err(combined)
    }
}
