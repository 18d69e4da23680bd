//! The table of primitives: which methods (and `f64::name` functions) have a derivative rule in
//! `vjp::rules`, and how many float operands each takes. The rules themselves live in the
//! runtime as ordinary, tested Rust; this table only maps a name to its rule.

use crate::ir::Prim;

const fn prim(name: &'static str, arity: usize, zero_derivative: bool) -> Prim {
    Prim {
        name,
        arity,
        zero_derivative,
    }
}

/// Every primitive, by method name. `powi` takes one float and an `i32`.
const PRIMS: &[Prim] = &[
    prim("sin", 1, false),
    prim("cos", 1, false),
    prim("tan", 1, false),
    prim("asin", 1, false),
    prim("acos", 1, false),
    prim("atan", 1, false),
    prim("sinh", 1, false),
    prim("cosh", 1, false),
    prim("tanh", 1, false),
    prim("asinh", 1, false),
    prim("acosh", 1, false),
    prim("atanh", 1, false),
    prim("exp", 1, false),
    prim("exp2", 1, false),
    prim("exp_m1", 1, false),
    prim("ln", 1, false),
    prim("log2", 1, false),
    prim("log10", 1, false),
    prim("ln_1p", 1, false),
    prim("sqrt", 1, false),
    prim("cbrt", 1, false),
    prim("abs", 1, false),
    prim("recip", 1, false),
    prim("fract", 1, false),
    prim("to_degrees", 1, false),
    prim("to_radians", 1, false),
    prim("signum", 1, true),
    prim("floor", 1, true),
    prim("ceil", 1, true),
    prim("round", 1, true),
    prim("trunc", 1, true),
    prim("powi", 1, false),
    prim("atan2", 2, false),
    prim("hypot", 2, false),
    prim("powf", 2, false),
    prim("log", 2, false),
    prim("max", 2, false),
    prim("min", 2, false),
    prim("mul_add", 3, false),
    prim("clamp", 3, false),
];

/// Methods whose result carries no derivative (a count, a test): allowed on active values.
pub const INACTIVE_METHODS: &[&str] = &[
    "len",
    "is_empty",
    "is_nan",
    "is_finite",
    "is_infinite",
    "is_normal",
    "is_sign_negative",
    "is_sign_positive",
    "total_cmp",
    "partial_cmp",
];

/// Methods that give the same value for the same receiver and arguments and leave the receiver
/// unchanged (so an expression calling only these may be evaluated again: see `plan::is_pure`).
pub const PURE_METHODS: &[&str] = &[
    "len",
    "is_empty",
    "abs",
    "min",
    "max",
    "pow",
    "powi",
    "powf",
    "sqrt",
    "signum",
    "wrapping_add",
    "wrapping_sub",
    "wrapping_mul",
    "saturating_sub",
    "saturating_add",
    "rem_euclid",
    "div_euclid",
    "is_nan",
    "is_finite",
    "to_f64",
    "clone",
    "floor",
    "ceil",
    "round",
    "trunc",
    "exp",
    "ln",
    "sin",
    "cos",
];

/// The primitive called `name`, if there is one.
pub fn lookup(name: &str) -> Option<Prim> {
    PRIMS.iter().find(|p| p.name == name).cloned()
}

/// What the rule of a one-operand primitive reads: its operand `x`, its result `y`, or both.
#[derive(Clone, Copy, PartialEq)]
pub enum RuleReads {
    /// `x` only (`sin`: cos x).
    Operand,
    /// `y` only (`exp`: y, `tanh`: 1 - y²).
    Result,
}

/// See [`RuleReads`]. The rules take `(x, y)` and ignore one of them; the reverse sweep passes
/// the one they read in both places, so that the other need not be kept for it.
pub fn rule_reads(name: &str) -> RuleReads {
    match name {
        "tan" | "tanh" | "exp" | "exp2" | "exp_m1" | "sqrt" | "cbrt" | "recip" => RuleReads::Result,
        _ => RuleReads::Operand,
    }
}

/// True when the rule of a primitive of several operands (or of one operand and an integer,
/// `powi`) ignores its result: the reverse sweep passes its first operand in that place, so
/// that the result need not be kept for it (`atan2`, whose result would otherwise be saved or
/// computed again only to be ignored).
pub fn ignores_result(name: &str) -> bool {
    matches!(name, "atan2" | "mul_add" | "max" | "min" | "clamp" | "powi")
}
