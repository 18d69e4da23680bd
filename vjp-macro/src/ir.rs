//! The intermediate representation: a function body in A-normal form.
//!
//! Guarantees, established by `lower` and relied on by every later stage:
//! - every operation that may carry a derivative binds a fresh variable ([`Stmt::Let`]), and its
//!   operands are [`Atom`]s (a variable or an inactive constant), never nested expressions;
//! - in straight-line code every variable is assigned exactly once (SSA): a user's reassignment
//!   or shadowing creates a new [`VarId`] with a new emitted name, so the reverse sweep can read
//!   every primal value without a tape;
//! - every node keeps the span of the user's tokens it came from, so later stages can still
//!   point errors and type errors at the user's code.
//!
//! Control flow is kept structured (the enum is open for `if` and loops), so that the sweeps
//! can reverse it block by block.

use proc_macro2::{Span, TokenStream};
use syn::{Ident, Type};

/// Index of a variable in [`Body::vars`].
pub type VarId = usize;

/// What the macro knows of a value's type: enough to tell floats (which carry derivatives)
/// from everything else, and to give aggregates cotangents of their own shape.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    /// A float: `f32`, `f64` or a type parameter bounded by `Real`.
    Float,
    /// `[elem; N]`.
    Array(Box<Ty>),
    /// A tuple.
    Tuple(Vec<Ty>),
    /// A value that carries no derivative: integers, `bool`, references to inactive data,
    /// user types.
    Other,
    /// Not known to the macro (the result of a call, an opaque expression).
    Unknown,
}

impl Ty {
    /// True when a value of this type may carry a derivative.
    pub fn carries_floats(&self) -> bool {
        match self {
            Ty::Float | Ty::Unknown => true,
            Ty::Array(elem) => elem.carries_floats(),
            Ty::Tuple(elems) => elems.iter().any(Ty::carries_floats),
            Ty::Other => false,
        }
    }

    /// The type of component `i` (a tuple field or an array element).
    pub fn component(&self, i: Option<usize>) -> Ty {
        match (self, i) {
            (Ty::Array(elem), _) => (**elem).clone(),
            (Ty::Tuple(elems), Some(i)) => elems.get(i).cloned().unwrap_or(Ty::Unknown),
            _ => Ty::Unknown,
        }
    }
}

/// A variable of the IR.
#[derive(Clone, Debug)]
pub struct Var {
    /// The name used in the generated code (collision-free).
    pub name: Ident,
    /// What the macro knows of its type.
    pub ty: Ty,
}

/// An operand: a variable or an inactive constant expression (a literal, a path such as
/// `std::f64::consts::PI`, or any expression that reads no float-carrying local).
#[derive(Clone, Debug)]
pub enum Atom {
    /// A variable.
    Var(VarId),
    /// An inactive expression, emitted verbatim.
    Const(TokenStream, Ty),
}

/// Arithmetic operators that carry a derivative.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

/// One step of a projection into an aggregate: `.0` or `[i]`.
#[derive(Clone, Debug)]
pub enum Proj {
    /// A tuple field.
    Field(usize),
    /// An array element; the index is an inactive atom.
    Index(Atom),
}

/// A primitive with a derivative rule in `vjp::rules`.
#[derive(Clone, Debug)]
pub struct Prim {
    /// The method name, which is also the rule's name in `vjp::rules`.
    pub name: &'static str,
    /// How many float operands the rule takes (receiver included).
    pub arity: usize,
    /// True for the integer-valued functions whose derivative is zero everywhere.
    pub zero_derivative: bool,
}

/// The right-hand side of a [`Stmt::Let`].
#[derive(Clone, Debug)]
pub enum Rhs {
    /// A copy of an atom.
    Use(Atom),
    /// `-a`
    Neg(Atom),
    /// `a op b`
    Arith(ArithOp, Atom, Atom),
    /// A primitive: `a.sin()`, `f64::atan2(a, b)`, `a.powi(n)` (the integer exponent is
    /// `int_arg`).
    Prim {
        /// Which primitive.
        prim: Prim,
        /// Its float operands, receiver first.
        args: Vec<Atom>,
        /// The `i32` exponent of `powi`.
        int_arg: Option<Atom>,
        /// The path when written as a function (`f64::atan2(a, b)`), `None` for a method call.
        path: Option<syn::Path>,
    },
    /// A call to a function that has a `NAME_vjp` rule (another `#[differentiable]` function
    /// or a hand-written one).
    Call {
        /// The path as written (generic arguments included).
        path: syn::Path,
        /// The arguments.
        args: Vec<Atom>,
    },
    /// `(a, b, ...)`
    Tuple(Vec<Atom>),
    /// `[a, b, ...]`
    Array(Vec<Atom>),
    /// `a.0` or `a[i]`
    Project(Atom, Proj),
    /// The aggregate `base` with the component at `proj` replaced by `value`
    /// (`a.0 = v` or `a[i] = v` in SSA form).
    Update {
        /// The aggregate before the update.
        base: Atom,
        /// Which component.
        proj: Proj,
        /// The new value of that component.
        value: Atom,
    },
    /// `a as F` for a float `a` and float `F`: the identity for derivatives.
    FloatCast(Atom, Box<Type>),
    /// An expression whose value carries no derivative (a comparison, a cast to an integer,
    /// a method without a rule on a value that turns out inactive, ...). `reads` lists the
    /// float-carrying variables it reads; if any of them is active, `unsupported` says why that
    /// is an error.
    Opaque {
        /// The expression, with the variables renamed.
        expr: TokenStream,
        /// Float-carrying variables read.
        reads: Vec<VarId>,
        /// Why this expression is an error when it reads an active variable.
        unsupported: Option<Unsupported>,
        /// Its type, when known.
        ty: Ty,
    },
}

/// Why a construct cannot be differentiated, and what to write instead.
#[derive(Clone, Debug)]
pub struct Unsupported {
    /// The message.
    pub message: String,
    /// The one-line help.
    pub help: String,
}

/// A statement of the IR.
#[derive(Clone, Debug)]
pub enum Stmt {
    /// `let var [: ty] = rhs;`: binds a fresh variable.
    Let {
        /// The variable bound.
        var: VarId,
        /// The user's type annotation, if any.
        ty: Option<Box<Type>>,
        /// The value.
        rhs: Rhs,
        /// The user's expression.
        span: Span,
    },
    /// A statement with no value that the sweeps pass through (`println!`, `assert!`, an
    /// inactive call for its side effects). It may read variables but writes none.
    Effect {
        /// The statement, with the variables renamed.
        tokens: TokenStream,
        /// Float-carrying variables read.
        reads: Vec<VarId>,
        /// Why this statement is an error when it reads an active variable.
        unsupported: Option<Unsupported>,
        /// The user's statement.
        span: Span,
    },
}

/// A parameter of the differentiated function.
#[derive(Clone, Debug)]
pub struct Param {
    /// Its variable.
    pub var: VarId,
    /// Its type as written.
    pub ty: Type,
    /// True when the parameter gets a cotangent (a float-carrying by-value type, not `#[no_grad]`).
    pub active: bool,
}

/// A lowered function body.
#[derive(Clone, Debug)]
pub struct Body {
    /// All variables, indexed by [`VarId`].
    pub vars: Vec<Var>,
    /// The parameters, in order.
    pub params: Vec<Param>,
    /// The statements, in order.
    pub stmts: Vec<Stmt>,
    /// The returned value.
    pub ret: Atom,
}

impl Body {
    /// The variables an atom reads.
    pub fn atom_var(atom: &Atom) -> Option<VarId> {
        match atom {
            Atom::Var(v) => Some(*v),
            Atom::Const(..) => None,
        }
    }
}

impl Rhs {
    /// The operands through which a derivative flows into the result.
    pub fn differentiable_operands(&self) -> Vec<&Atom> {
        match self {
            Rhs::Use(a) | Rhs::Neg(a) | Rhs::FloatCast(a, _) => vec![a],
            Rhs::Arith(_, a, b) => vec![a, b],
            Rhs::Prim { prim, args, .. } => {
                if prim.zero_derivative {
                    vec![]
                } else {
                    args.iter().collect()
                }
            }
            Rhs::Call { args, .. } | Rhs::Tuple(args) | Rhs::Array(args) => args.iter().collect(),
            Rhs::Project(a, _) => vec![a],
            Rhs::Update { base, value, .. } => vec![base, value],
            Rhs::Opaque { .. } => vec![],
        }
    }
}
