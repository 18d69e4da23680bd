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
    /// A shared reference to floats in a row: `&[F]`, `&Vec<F>`, `&[F; N]`. Read-only; its
    /// cotangent is accumulated into a shadow `&mut [F]` (`&mut [F; N]`).
    Slice(Box<Ty>),
    /// A value that carries no derivative: integers, `bool`, references to inactive data,
    /// user types.
    Other,
    /// Not known to the macro (the result of a call, an opaque expression).
    Unknown,
}

impl Ty {
    /// True for a float, or an array or tuple of floats at any depth: a value whose shape its
    /// type fixes.
    pub fn fixed_shape(&self) -> bool {
        match self {
            Ty::Float => true,
            Ty::Array(elem) => elem.fixed_shape(),
            Ty::Tuple(elems) => elems.iter().all(Ty::fixed_shape),
            Ty::Slice(_) | Ty::Other | Ty::Unknown => false,
        }
    }

    /// True when a value of this type may carry a derivative.
    pub fn carries_floats(&self) -> bool {
        match self {
            Ty::Float | Ty::Unknown => true,
            Ty::Array(elem) | Ty::Slice(elem) => elem.carries_floats(),
            Ty::Tuple(elems) => elems.iter().any(Ty::carries_floats),
            Ty::Other => false,
        }
    }

    /// The type of component `i` (a tuple field or an array element).
    pub fn component(&self, i: Option<usize>) -> Ty {
        match (self, i) {
            (Ty::Array(elem) | Ty::Slice(elem), _) => (**elem).clone(),
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
        /// The callee when written as a function (`f64::atan2`, `<T as Real>::exp`), `None`
        /// for a method call.
        path: Option<TokenStream>,
    },
    /// A call to a function that has a `NAME_vjp` rule (another `#[differentiable]` function
    /// or a hand-written one).
    Call {
        /// The path as written (generic arguments included).
        path: syn::Path,
        /// The arguments.
        args: Vec<Atom>,
        /// For each argument, whether it was written `&local` for a local array or `Vec` of
        /// floats: passed as a row, `&h`, followed by a shadow (`&mut bar`) in reverse mode
        /// and a tangent (`&dot`) in forward mode, as a reference parameter would be.
        by_ref: Vec<bool>,
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
        /// The locals it reads.
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
    /// The user's tokens to underline.
    pub at: TokenStream,
    /// The variables whose values the construct reads (a closure's own parameters excluded):
    /// the error applies when one of them is active.
    pub reads: Vec<VarId>,
}

/// A block: statements, then how control leaves it.
#[derive(Clone, Debug)]
pub struct Block {
    /// Unique among the blocks of a body.
    pub id: usize,
    /// The statements, in order.
    pub stmts: Vec<Stmt>,
    /// What happens after the last statement.
    pub term: Term,
}

/// How control leaves a block.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Term {
    /// Falls through to what follows the block.
    Fall,
    /// `continue` of the innermost loop.
    Continue,
    /// `break` out of the innermost loop.
    Break,
    /// Never reaches its end (every branch of its last `if` breaks or continues).
    Diverge,
}

/// A variable defined by an `if`: its value when each branch falls through (`None` for a
/// branch that leaves the loop with `break` or `continue`).
///
/// A value is `None` exactly when its branch's [`Term`] is not [`Term::Fall`]: a branch that
/// falls through yields a value for every phi (the sweeps emit them as the tuple the branch
/// evaluates to).
#[derive(Clone, Debug)]
pub struct Phi {
    /// The variable defined after the `if`.
    pub var: VarId,
    /// Its value from the `then` branch.
    pub then_val: Option<Atom>,
    /// Its value from the `else` branch.
    pub else_val: Option<Atom>,
}

/// A variable that a loop body assigns: a mutable slot that holds the value at the start of
/// each iteration, written back at the end of every path through the body.
#[derive(Clone, Debug)]
pub struct Slot {
    /// The slot (read in the body as the value at iteration start, and after the loop as the
    /// final value).
    pub var: VarId,
    /// The value before the loop.
    pub init: Atom,
}

/// How a loop iterates.
#[derive(Clone, Debug)]
pub enum LoopKind {
    /// `for counter in iter` over an inactive iterator (a range, `.rev()`, `.step_by(k)`).
    For {
        /// The loop variables the pattern binds (none for `_`).
        counters: Vec<VarId>,
        /// The pattern, with its variables renamed.
        pattern: TokenStream,
        /// The iterator expression, renamed.
        iter: TokenStream,
        /// The locals it reads.
        reads: Vec<VarId>,
    },
    /// `loop` (a `while` is a `loop` whose body starts with `if !cond { break; }`).
    Loop,
}

/// A loop.
#[derive(Clone, Debug)]
pub struct Loop {
    /// Unique among the loops of a body.
    pub id: usize,
    /// How it iterates.
    pub kind: LoopKind,
    /// The variables it assigns.
    pub slots: Vec<Slot>,
    /// The body.
    pub body: Block,
    /// The tape of values saved at the start of each iteration for the reverse sweep.
    pub tape: Ident,
    /// The tape of the values the loop leaves behind (its trip count and the slots read after
    /// it), pushed when it ends inside a block that the reverse sweep re-runs.
    pub exits: Ident,
    /// The number of iterations run.
    pub trips: Ident,
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
    /// inactive call for its side effects). It may read variables but writes none. The
    /// reverse sweep never runs it again.
    Effect {
        /// The statement, with the variables renamed.
        tokens: TokenStream,
        /// Why this statement is an error when it reads an active variable.
        unsupported: Option<Unsupported>,
    },
    /// `if cond { then } else { els }`, defining `phis`.
    If {
        /// The condition (an inactive `bool`).
        cond: Atom,
        /// The `then` branch.
        then: Block,
        /// The `else` branch (empty when absent).
        els: Block,
        /// Variables assigned in a branch, and the `if`'s value.
        phis: Vec<Phi>,
    },
    /// A loop.
    Loop(Loop),
    /// `slot = value` at the end of a path through a loop body.
    WriteBack {
        /// The slot.
        slot: VarId,
        /// Its new value.
        value: Atom,
    },
}

impl Stmt {
    /// The variables this statement defines for the code after it.
    pub fn defs(&self) -> Vec<VarId> {
        match self {
            Stmt::Let { var, .. } => vec![*var],
            Stmt::If { phis, .. } => phis.iter().map(|p| p.var).collect(),
            Stmt::Loop(l) => l.slots.iter().map(|s| s.var).collect(),
            Stmt::Effect { .. } | Stmt::WriteBack { .. } => vec![],
        }
    }
}

/// A parameter of the differentiated function.
#[derive(Clone, Debug)]
pub struct Param {
    /// Its variable.
    pub var: VarId,
    /// Its type as written.
    pub ty: Type,
    /// True when the parameter gets a cotangent (a float-carrying type, not `#[no_grad]`).
    pub active: bool,
    /// For an active reference parameter: its shadow's name and type (`bar_x: &mut [F]`),
    /// into which its cotangent is added; it then has no entry in the returned cotangents.
    pub shadow: Option<(Ident, Type)>,
}

/// A lowered function body.
#[derive(Clone, Debug)]
pub struct Body {
    /// All variables, indexed by [`VarId`].
    pub vars: Vec<Var>,
    /// The parameters, in order.
    pub params: Vec<Param>,
    /// The function's block.
    pub block: Block,
    /// The returned value.
    pub ret: Atom,
    /// How many blocks there are (ids are `0..blocks`).
    pub blocks: usize,
    /// The user's name of each numbered version of a binding (`x_1` → `x`), for messages.
    pub versions: std::collections::HashMap<String, String>,
    /// The user's names of bindings declared with a type that carries no floats but may own
    /// memory (`let p: Vec<usize>`, `String`): not `Copy`, so a copy of one is a clone (see
    /// [`Body::owns_memory`]).
    pub owning: std::collections::HashSet<String>,
}

impl Body {
    /// Per variable: how many times the body reads it (see [`Block::use_counts`]), the output
    /// included.
    pub fn use_counts(&self) -> Vec<usize> {
        let mut uses = self.block.use_counts(self.vars.len());
        if let Atom::Var(v) = self.ret {
            uses[v] += 1;
        }
        uses
    }

    /// True when `v` is a version of a binding in [`Body::owning`].
    pub fn owns_memory(&self, v: VarId) -> bool {
        let name = self.vars[v].name.to_string();
        let user = self.versions.get(&name).unwrap_or(&name);
        self.owning.contains(user)
    }

    /// The variable an atom reads, if any.
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

    /// Every variable the primal computation reads.
    pub fn primal_reads(&self) -> Vec<VarId> {
        let mut atoms: Vec<&Atom> = match self {
            Rhs::Prim { args, int_arg, .. } => args.iter().chain(int_arg).collect(),
            Rhs::Project(a, p) => std::iter::once(a).chain(p.index()).collect(),
            Rhs::Update { base, proj, value } => {
                [base, value].into_iter().chain(proj.index()).collect()
            }
            Rhs::Opaque { reads, .. } => return reads.clone(),
            other => other.differentiable_operands(),
        };
        if let Rhs::Prim { prim, args, .. } = self {
            if prim.zero_derivative {
                atoms = args.iter().collect();
            }
        }
        atoms.into_iter().filter_map(Body::atom_var).collect()
    }

    /// The primal values the reverse rule of `var = self` reads: the other operand of a
    /// product (only for an operand that is `active`), the operands and result of a rule, the
    /// index of a projection.
    pub fn reverse_reads(&self, var: VarId, active: impl Fn(&Atom) -> bool) -> Vec<VarId> {
        let atoms: Vec<&Atom> = match self {
            Rhs::Use(_) | Rhs::Neg(_) | Rhs::Tuple(_) | Rhs::Array(_) | Rhs::Opaque { .. } => {
                vec![]
            }
            Rhs::FloatCast(a, _) => vec![a],
            Rhs::Arith(ArithOp::Add | ArithOp::Sub, ..) => vec![],
            // The adjoint of each active operand is `bar * other`.
            Rhs::Arith(ArithOp::Mul, a, b) => [(a, b), (b, a)]
                .into_iter()
                .filter(|(operand, _)| active(operand))
                .map(|(_, other)| other)
                .collect(),
            // `bar * div_by(b)` when only the numerator is active.
            Rhs::Arith(ArithOp::Div, _, b) if !active(b) => vec![b],
            Rhs::Arith(ArithOp::Div, a, b) => {
                return [a, b]
                    .into_iter()
                    .filter_map(Body::atom_var)
                    .chain([var])
                    .collect()
            }
            // A one-operand rule reads either its operand or its result.
            Rhs::Prim {
                prim,
                args,
                int_arg: None,
                ..
            } if args.len() == 1 => {
                return match crate::prims::rule_reads(prim.name) {
                    crate::prims::RuleReads::Operand => {
                        args.iter().filter_map(Body::atom_var).collect()
                    }
                    crate::prims::RuleReads::Result => vec![var],
                };
            }
            Rhs::Prim {
                prim,
                args,
                int_arg,
                ..
            } => {
                let result = (!crate::prims::ignores_result(prim.name)).then_some(var);
                return args
                    .iter()
                    .chain(int_arg)
                    .filter_map(Body::atom_var)
                    .chain(result)
                    .collect();
            }
            Rhs::Call { args, .. } => args.iter().collect(),
            Rhs::Project(_, p) => p.index().into_iter().collect(),
            Rhs::Update { proj, .. } => proj.index().into_iter().collect(),
        };
        atoms.into_iter().filter_map(Body::atom_var).collect()
    }
}

impl Proj {
    /// Component `i`: the field `.i` of a tuple, or the element `[i]` of an array.
    pub fn nth(i: usize, tuple: bool) -> Proj {
        if tuple {
            Proj::Field(i)
        } else {
            let i = proc_macro2::Literal::usize_unsuffixed(i);
            Proj::Index(Atom::Const(quote::quote!(#i), Ty::Other))
        }
    }

    /// The index atom of `[i]`.
    pub fn index(&self) -> Option<&Atom> {
        match self {
            Proj::Field(_) => None,
            Proj::Index(i) => Some(i),
        }
    }
}

impl Block {
    /// Per variable (of `vars` in all): how many times this block and the blocks in it read
    /// it (in a statement's value, an index, a write-back, a condition or a phi, a loop's
    /// initial values and range). An effect statement is not counted: it may not read an
    /// active value.
    pub fn use_counts(&self, vars: usize) -> Vec<usize> {
        let mut uses = vec![0usize; vars];
        let count = |a: &Atom, uses: &mut Vec<usize>| {
            if let Atom::Var(v) = a {
                uses[*v] += 1;
            }
        };
        self.walk(&mut |stmt| match stmt {
            Stmt::Let { rhs, .. } => {
                for v in rhs.primal_reads() {
                    uses[v] += 1;
                }
            }
            Stmt::WriteBack { value, .. } => count(value, &mut uses),
            Stmt::If { cond, phis, .. } => {
                count(cond, &mut uses);
                for phi in phis {
                    for a in phi.then_val.iter().chain(&phi.else_val) {
                        count(a, &mut uses);
                    }
                }
            }
            Stmt::Loop(l) => {
                for s in &l.slots {
                    count(&s.init, &mut uses);
                }
                if let LoopKind::For { reads, .. } = &l.kind {
                    for r in reads {
                        uses[*r] += 1;
                    }
                }
            }
            Stmt::Effect { .. } => {}
        });
        uses
    }

    /// Calls `f` on every statement of this block and of the blocks nested in it.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Stmt)) {
        for stmt in &self.stmts {
            stmt.walk(f);
        }
    }
}

impl Stmt {
    /// Calls `f` on this statement and on every statement nested in it.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Stmt)) {
        f(self);
        match self {
            Stmt::If { then, els, .. } => {
                then.walk(f);
                els.walk(f);
            }
            Stmt::Loop(l) => l.body.walk(f),
            _ => {}
        }
    }
}
