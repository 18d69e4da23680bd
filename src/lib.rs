//! `vjp`: compile-time reverse-mode automatic differentiation for Rust.
//!
//! Put [`differentiable`] on an ordinary function and the macro generates, next to it,
//! `NAME_vjp` (the vector-Jacobian product v^T J) and, for scalar functions, `NAME_grad`,
//! as plain Rust that the optimiser sees through. See the README for what a body may contain.

pub use vjp_macro::differentiable;
pub use vjp_runtime::*;
