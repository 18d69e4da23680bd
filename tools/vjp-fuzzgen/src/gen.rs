//! Random `#[differentiable]` functions.
//!
//! Every value the generator builds carries a bound on its magnitude, assuming active inputs
//! in [-2, 2]. Expressions whose bound grows too large are squashed (`c * e.tanh()`), loop
//! state assigned inside a loop may never exceed the bound it had before the loop (so loops stay
//! bounded whatever the trip count), and the primitives are applied only where they are
//! defined and smooth for any input: `sqrt` / `ln` of `e * e + c`, `asin` of `0.9 * e.tanh()`,
//! `exp` of bounded values, and so on. Non-smooth primitives (`abs`, `max`, `floor`, ...) and
//! comparisons are traced in the checking twin, which re-draws inputs that come close to a
//! kink.

use crate::ast::{Arm, C, E, S};
use crate::rng::Rng;

mod bindings;
mod carried;
mod closures;
mod emphasis;
mod lent;
mod nested;
mod offsets;
mod plain;
mod reduce;
mod rows;
mod stepped;
mod undo;

pub use bindings::value_text;
pub use plain::{calls_helpers, HELPERS};

/// Which constructs to generate, for the ones the macro has had trouble with. Each switch
/// names a construct; the defaults leave out the ones that do not compile today (see the
/// tool's README for the reproducers), `--enable` puts them back.
#[derive(Clone, Debug)]
pub struct Opts {
    /// Call functions that have a `#[no_grad]` float parameter (documented as not working in
    /// the README: the callee's GRADS is one entry short).
    pub call_no_grad_float: bool,
    /// Pass an active slice to a callee's `#[no_grad]` slice parameter.
    pub active_to_no_grad_slice: bool,
    /// Pass active slices on to callees.
    pub call_with_slices: bool,
    /// Loop idioms (`for &v in w`, `w.iter()`) over `#[no_grad]` slices.
    pub idioms_over_no_grad: bool,
    /// `&&` / `||` between comparisons of active values.
    pub logic_on_active: bool,
    /// `[0.0; N]` inside a loop.
    pub zero_array_in_loop: bool,
    /// `match` statements on loop counters, with `break` / `continue` in arms.
    pub match_stmts: bool,
    /// Methods that are pure but not on the macro's list of pure methods (`tanh`, `atan2`,
    /// `f64::hypot`, ...) in conditions and inactive values that the reverse sweep evaluates
    /// again (inside loops and branches).
    pub unlisted_pure_methods: bool,
    /// `let` shadowing an outer name inside an `if` statement that can `return` early.
    pub shadow_near_return: bool,
    /// Element assignment (`a[0] = e`, `t.1 = e`) inside an `if` statement that can
    /// `return` early.
    pub elem_assign_near_return: bool,
    /// `break` / `continue` inside a block statement `{ .. }` in a loop.
    pub jump_in_block_stmt: bool,
    /// `*v` (a loop element bound by reference) in a condition or an `assert!`.
    pub deref_in_cond: bool,
    /// Call arguments computed from `#[no_grad]` data only (`g(x, w[0])`), which the macro
    /// cannot type; off, such arguments are written `w[0] * 1.0`.
    pub inactive_float_arg: bool,
    /// Call arguments computed from integers through a float method or operator
    /// (`g(x, (k as f64).atan())`, `-(k as f64).sin()`), which the macro cannot type; off,
    /// such arguments are written `(k as f64).atan() * 1.0`.
    pub int_method_arg: bool,
    /// Calls of plain (not differentiated) helper functions inside loop bodies, also in
    /// branches, whose results the reverse sweep reads (saved on a tape by the macro).
    pub plain_calls: bool,
    /// Emphasis: functions built around a top-level `for` loop that only adds into
    /// accumulators, used linearly after it (the shape `vjp-macro/src/fuse.rs` runs in one
    /// pass), and some that just miss it.
    pub fused_loops: bool,
    /// Emphasis: element reads inside loops from an array and an index defined outside the
    /// loop, also in branches and in loops that never run with an index out of bounds.
    pub invariant_reads: bool,
    /// Emphasis: integer counters stepped by a literal once per iteration (`l += 1`, the
    /// packed-triangle walk), read as indices, and some that must not be stepped back.
    pub stepped_counters: bool,
    /// Emphasis: a counter stepped by a literal in the innermost of two or three nested range
    /// loops and carried by the loops around it (the packed-triangle walk `l` of the GMM
    /// objective), and the shapes that must not share one rewind counter.
    pub carried_counters: bool,
    /// `if let` and `match` arms binding parts of values that carry no floats
    /// (`Some(&j) = idx.get(i)`, `Some(k) if k > 2`, tuples of options), from `#[no_grad]`
    /// integer slices, arrays and `Option<usize>` parameters and integer locals, as statements
    /// and expressions.
    pub binding_patterns: bool,
    /// Iterator reductions (`x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>()`, `.product`,
    /// `.fold`) over active slices and arrays and over integer ranges, as float expressions
    /// and `let`s.
    pub reductions: bool,
    /// Rows that are part of a slice (`x[1..].iter()`, `&x[..=b]`, `.skip(s)`, `.take(t)`,
    /// `.step_by(s)`, an outer `.rev()`) and `windows(m)` / `chunks_exact(m)`, as `for` loops
    /// and as the sources of reductions.
    pub rows: bool,
    /// Local closures (`let f = |t: f64| ..;`) defined near the top of a block and called
    /// later in it: in expressions, loops, branches, other closures' bodies and reductions.
    pub closures: bool,
    /// Calls of local closures in conditions (`if f(x) > 0.0`, `let c = f(x) < 1.0;`,
    /// `while`), which the macro rejects as passing the closure on.
    pub closure_in_cond: bool,
    /// Untyped parameters (`|t| t * t`) of local closures that read no active value, which the
    /// macro keeps as written but never calls (E0282 / E0284).
    pub untyped_inactive_closure: bool,
    /// Rows of arrays as parameters (`p: &[[f64; 2]]`, `&Vec<[f64; 3]>`, `&[[f64; 2]; 3]`,
    /// `#[no_grad] w: &[[f64; 2]]`), read as `p[i][j]`, copied out (`let q = p[i];`,
    /// `let [a, b] = p[i];`), iterated, windowed, reduced and passed on.
    pub nested_rows: bool,
    /// Local arrays and `Vec`s (of floats, or of `[f64; 2]`) lent to callees that take a row
    /// (`g(&h)`), also in loops, branches and after the local changed.
    pub lent_rows: bool,
    /// Emphasis: loops that write elements of a local array, `Vec` or matrix they also read
    /// (`a[i] = 0.5 * (a[i - 1] * e + c).sin()`, trajectories, time loops, Gauss–Seidel
    /// sweeps, an index kept in an integer slot), reversed with an undo log, and the shapes
    /// that fall back to saving the whole aggregate.
    pub undo_writes: bool,
    /// Emphasis: range loops reading slice parameters at indices that move with their counter
    /// (`x[i + 2]` in `for i in 0..x.len() - 2`, `x[off + i]`, `w[r * 3 + c]`), which the
    /// macro reads through a window of the slice made before the loop (`bounds.rs`), and
    /// loops with a `break` / `continue` where it must not.
    pub offset_reads: bool,
    /// Emphasis: loops reading slice parameters at an integer stepped once per iteration
    /// (`q[l]` with `l += 1;`, the packed triangle walked column by column), whose reverse the
    /// macro runs forwards, stepping the integer again (`Plan::replay`), reading through
    /// windows of the slice and of its adjoint (`bounds.rs`); and the shapes that keep it
    /// from doing so.
    pub stepped_slots: bool,
}

/// The switches, by name.
const SWITCHES: &[&str] = &[
    "call-no-grad-float",
    "active-to-no-grad-slice",
    "call-with-slices",
    "idioms-over-no-grad",
    "logic-on-active",
    "zero-array-in-loop",
    "match-stmts",
    "inactive-float-arg",
    "unlisted-pure-methods",
    "deref-in-cond",
    "jump-in-block-stmt",
    "shadow-near-return",
    "elem-assign-near-return",
];

/// Construct switches added after the committed corpora were generated: named in a file's
/// header only when on, so that the corpora regenerate byte for byte.
const NEWER: &[&str] = &[
    "int-method-arg",
    "plain-calls",
    "binding-patterns",
    "reductions",
    "rows",
    "closures",
    "closure-in-cond",
    "untyped-inactive-closure",
    "nested-rows",
    "lent-rows",
];

/// The emphasis switches, by name: they steer the generator toward shapes that particular
/// code paths of the macro handle, rather than putting back a construct. Off by default, and
/// named in a file's header only when on (so that the default corpus does not change when one
/// is added).
const EMPHASIS: &[&str] = &[
    "fused-loops",
    "invariant-reads",
    "stepped-counters",
    "carried-counters",
    "undo-writes",
    "offset-reads",
    "stepped-slots",
];

impl Opts {
    /// The constructs known to work.
    pub fn default_set() -> Self {
        Opts {
            call_no_grad_float: false,
            active_to_no_grad_slice: false,
            call_with_slices: true,
            idioms_over_no_grad: true,
            logic_on_active: true,
            zero_array_in_loop: true,
            match_stmts: true,
            inactive_float_arg: true,
            unlisted_pure_methods: true,
            deref_in_cond: true,
            jump_in_block_stmt: true,
            shadow_near_return: true,
            elem_assign_near_return: true,
            int_method_arg: false,
            plain_calls: false,
            fused_loops: false,
            invariant_reads: false,
            stepped_counters: false,
            carried_counters: false,
            binding_patterns: false,
            reductions: false,
            rows: false,
            closures: false,
            closure_in_cond: false,
            untyped_inactive_closure: false,
            nested_rows: false,
            lent_rows: false,
            undo_writes: false,
            offset_reads: false,
            stepped_slots: false,
        }
    }

    fn flag(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "call-no-grad-float" => &mut self.call_no_grad_float,
            "active-to-no-grad-slice" => &mut self.active_to_no_grad_slice,
            "call-with-slices" => &mut self.call_with_slices,
            "idioms-over-no-grad" => &mut self.idioms_over_no_grad,
            "logic-on-active" => &mut self.logic_on_active,
            "zero-array-in-loop" => &mut self.zero_array_in_loop,
            "match-stmts" => &mut self.match_stmts,
            "inactive-float-arg" => &mut self.inactive_float_arg,
            "unlisted-pure-methods" => &mut self.unlisted_pure_methods,
            "deref-in-cond" => &mut self.deref_in_cond,
            "jump-in-block-stmt" => &mut self.jump_in_block_stmt,
            "shadow-near-return" => &mut self.shadow_near_return,
            "elem-assign-near-return" => &mut self.elem_assign_near_return,
            "int-method-arg" => &mut self.int_method_arg,
            "plain-calls" => &mut self.plain_calls,
            "fused-loops" => &mut self.fused_loops,
            "invariant-reads" => &mut self.invariant_reads,
            "stepped-counters" => &mut self.stepped_counters,
            "carried-counters" => &mut self.carried_counters,
            "binding-patterns" => &mut self.binding_patterns,
            "reductions" => &mut self.reductions,
            "rows" => &mut self.rows,
            "closures" => &mut self.closures,
            "closure-in-cond" => &mut self.closure_in_cond,
            "untyped-inactive-closure" => &mut self.untyped_inactive_closure,
            "nested-rows" => &mut self.nested_rows,
            "lent-rows" => &mut self.lent_rows,
            "undo-writes" => &mut self.undo_writes,
            "offset-reads" => &mut self.offset_reads,
            "stepped-slots" => &mut self.stepped_slots,
            _ => return None,
        })
    }

    /// Sets the comma-separated switches in `list` (`all` for every one) to `on`.
    pub fn set(&mut self, list: &str, on: bool) -> Result<(), String> {
        for name in list.split(',').filter(|s| !s.is_empty()) {
            if name == "all" {
                for n in SWITCHES.iter().chain(NEWER).chain(EMPHASIS) {
                    *self.flag(n).unwrap() = on;
                }
                continue;
            }
            *self
                .flag(name)
                .ok_or_else(|| format!("unknown construct `{name}`"))? = on;
        }
        Ok(())
    }

    /// The command-line flags that give these switches from the defaults.
    pub fn flags(&self) -> String {
        let mut c = self.clone();
        let mut d = Opts::default_set();
        let (mut on, mut off) = (Vec::new(), Vec::new());
        for n in SWITCHES.iter().chain(NEWER).chain(EMPHASIS) {
            let (now, default) = (*c.flag(n).unwrap(), *d.flag(n).unwrap());
            if now && !default {
                on.push(*n);
            } else if !now && default {
                off.push(*n);
            }
        }
        let mut out = Vec::new();
        if !on.is_empty() {
            out.push(format!("--enable {}", on.join(",")));
        }
        if !off.is_empty() {
            out.push(format!("--disable {}", off.join(",")));
        }
        out.join(" ")
    }

    /// Whether an emphasis switch is on.
    pub fn emphasis(&self) -> bool {
        self.fused_loops
            || self.invariant_reads
            || self.stepped_counters
            || self.carried_counters
            || self.undo_writes
            || self.offset_reads
            || self.stepped_slots
    }

    /// The switches that are on, comma-separated.
    pub fn describe(&self) -> String {
        let mut c = self.clone();
        let on: Vec<&str> = SWITCHES
            .iter()
            .copied()
            .filter(|n| *c.flag(n).unwrap())
            .collect();
        let off: Vec<&str> = SWITCHES
            .iter()
            .copied()
            .filter(|n| !*c.flag(n).unwrap())
            .collect();
        let newer: Vec<&str> = NEWER
            .iter()
            .copied()
            .filter(|n| *c.flag(n).unwrap())
            .collect();
        let emphasis: Vec<&str> = EMPHASIS
            .iter()
            .copied()
            .filter(|n| *c.flag(n).unwrap())
            .collect();
        let mut out = format!("on: {}; off: {}", on.join(", "), off.join(", "));
        if !newer.is_empty() {
            out += &format!("; also on: {}", newer.join(", "));
        }
        if !emphasis.is_empty() {
            out += &format!("; emphasis: {}", emphasis.join(", "));
        }
        out
    }
}

/// The kind of a parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PKind {
    F,
    /// `#[no_grad] c: f64`, given this value by the test.
    NoGradF(f64),
    /// `[f64; N]` by value.
    Arr(usize),
    /// `(f64, f64)`.
    Tup2,
    /// `&[f64]`.
    Slice,
    /// `&Vec<f64>`.
    VecRef,
    /// `&[f64; N]`.
    RefArr(usize),
    /// `#[no_grad] w: &[f64]`.
    NoGradSlice,
    /// `n: usize` (a trip count), at most 4.
    Int,
    /// `#[no_grad] off: usize` (`stepped-slots`), at most 4.
    NoGradInt,
    /// `#[no_grad] idx: &[usize]` (`binding-patterns`), elements at most [`bindings::IDX_MAX`].
    NoGradIdx,
    /// `#[no_grad] idx: [usize; N]` (`binding-patterns`).
    NoGradIdxArr(usize),
    /// `#[no_grad] opt: Option<usize>` (`binding-patterns`).
    NoGradOpt,
    /// `p: &[[f64; N]]` (`nested-rows`), 2 to 4 rows.
    Rows(usize),
    /// `p: &Vec<[f64; N]>` (`nested-rows`), 2 to 4 rows.
    VecRows(usize),
    /// `p: &[[f64; N]; M]` (`nested-rows`).
    RefRows(usize, usize),
    /// `#[no_grad] w: &[[f64; N]]` (`nested-rows`), 2 to 4 rows.
    NoGradRows(usize),
}

impl PKind {
    /// An active parameter: one that gets a cotangent or a shadow.
    pub fn active(self) -> bool {
        matches!(
            self,
            PKind::F
                | PKind::Arr(_)
                | PKind::Tup2
                | PKind::Slice
                | PKind::VecRef
                | PKind::RefArr(_)
                | PKind::Rows(_)
                | PKind::VecRows(_)
                | PKind::RefRows(..)
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ret {
    F,
    Tup2,
    Arr2,
}

impl Ret {
    pub fn ty(self) -> &'static str {
        match self {
            Ret::F => "f64",
            Ret::Tup2 => "(f64, f64)",
            Ret::Arr2 => "[f64; 2]",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub kind: PKind,
    pub mutable: bool,
}

/// A generated function.
#[derive(Clone, Debug)]
pub struct Func {
    pub name: String,
    pub params: Vec<Param>,
    pub ret: Ret,
    pub body: Vec<S>,
    pub tail: E,
    /// Bound on the output for inputs in [-2, 2].
    pub out_bound: f64,
    /// A rough cost of running the function (see `S::cost`): about the number of statements
    /// run, calls included.
    pub cost: f64,
}

/// The kind of a local.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    F,
    Tup2,
    Arr(usize),
    /// A float slice or `&[f64; N]` / `&Vec<f64>` (indexable, `len()`); `N` if fixed.
    Slice(Option<usize>),
    Int,
    Bool,
    /// A `#[no_grad]` integer slice or array (`binding-patterns`); `N` if fixed.
    Idx(Option<usize>),
    /// A `#[no_grad] Option<usize>` (`binding-patterns`).
    Opt,
    /// A local closure (`closures`): its index in `Gen::closures`.
    Closure(usize),
    /// A row of `[f64; N]` (`nested-rows`, `lent-rows`), of `M` rows if fixed (else 2 to 4).
    Rows(usize, Option<usize>),
    /// A local `Vec<f64>` (`lent-rows`) of 2 to 5 elements: read as `h[i]` only.
    VecF,
}

#[derive(Clone, Debug)]
struct Var {
    name: String,
    kind: Kind,
    /// Bound on the magnitude (of each element), or the largest value of an integer.
    bound: f64,
    mutable: bool,
    /// Loop depth at the declaration.
    level: usize,
    /// An accumulator of the loop with this id: only `+=` / `-=` in that loop, not readable
    /// until it ends.
    acc: Option<usize>,
    /// Sum of the bounds of what was added to the accumulator per iteration.
    growth: f64,
    /// A loop element bound by reference: read as `*v`.
    by_ref: bool,
    /// The parameter kind, for parameters (to pass them on to callees).
    param: Option<PKind>,
    /// Computed from `#[no_grad]` data only, with an untyped `let`: the macro cannot see
    /// that it is a float.
    nograd: bool,
    /// A result of a fused loop (or a value computed linearly from them), which the code
    /// after the loop may only combine linearly: hidden from ordinary expressions.
    linear: bool,
    /// An integer that is a valid index into the indexable of this name and length (`None`:
    /// a slice parameter), while the loop of the given id runs (`None`: wherever visible).
    index_for: Option<(String, Option<usize>, Option<usize>)>,
    /// An integer of another type than `usize` (`i64`, `u32`, `i32`): not a `usize` argument.
    not_usize: bool,
    /// The result of a plain helper (`plain-calls`) bound without a type: the macro cannot
    /// tell whether it is a float when it is passed to a call as it is.
    untyped_plain: bool,
    /// Which declaration this is (a closure checks that the names it captures still resolve
    /// to the declarations it saw).
    uid: usize,
    /// A local array or `Vec` known to carry derivatives (`lent-rows`: it may be lent to a
    /// callee's active row parameter).
    active_row: bool,
}

#[derive(Clone, Debug)]
struct LoopInfo {
    id: usize,
    /// The counter and its largest value.
    counter: Option<(String, usize)>,
    /// The slice the loop runs over with `for i in 0..x.len()`.
    over: Option<String>,
    trips: usize,
}

#[derive(Clone)]
struct Ctx {
    scopes: Vec<Vec<Var>>,
    loops: Vec<LoopInfo>,
    /// In the function's own statements or in `if`s among them (early `return` allowed).
    top: bool,
    ret: Ret,
    out_bound: f64,
    /// Nesting depth of blocks (if / loops / blocks).
    depth: usize,
    /// An early `return` has been generated.
    after_return: bool,
    /// Inside a block statement.
    in_block: bool,
    /// Inside an `if` statement among the function's own statements (which may `return`).
    in_top_if: bool,
    budget: usize,
    /// Variables declared at a loop depth below this one may not be assigned (the body of a
    /// loop meant to fuse writes only its accumulators).
    frozen: usize,
    /// The loop whose body (outside nested loops) has no `break` / `continue`.
    no_jump: Option<usize>,
    /// No early `return` (it would make the rest of the function a branch).
    no_return: bool,
    /// The tail of a fused-loop function multiplies or divides a result by an active value.
    active_factor: bool,
    /// Results of the emphasis loops among the function's own statements, which the tail adds
    /// in (a loop whose result is not used has no adjoint work, and takes no optimised path).
    pending: Vec<String>,
}

/// The largest cost (`Func::cost`) a call may add to a function under the emphasis switches,
/// whose functions run more loops and call more in them: callees that call callees in loops,
/// called in loops, otherwise make a check run for minutes (the reverse sweep runs the
/// callees' `_vjp`, and so on down). About 1e8 is a tenth of a second for a check in a debug
/// build. Not applied otherwise, so that the default corpus stays what it is (its costliest
/// functions are near 1e7, and run much faster than their cost says).
const CALL_COST_CAP: f64 = 3e7;

const NUMS: &[f64] = &[
    0.5, 0.25, 1.5, 2.0, 0.75, 0.3, 1.0, 3.0, 0.1, 1.25, 0.8, 0.6,
];
/// Names chosen for locals: plain ones, and ones the macro also uses for its own variables.
const NAMES: &[&str] = &[
    "a", "b", "c", "d", "e", "g", "h", "p", "q", "r", "s", "w", "z", "acc", "t0", "t1", "v",
    "tape", "trips", "bar_a", "dot_a", "x_1", "i0", "y",
];

pub struct Gen {
    rng: Rng,
    /// The statement being generated is evaluated again by the reverse sweep.
    restrict: bool,
    /// New locals get fresh names (no shadowing).
    fresh_only: bool,
    pub opts: Opts,
    pub funcs: Vec<Func>,
    fresh: usize,
    loop_ids: usize,
    /// Reductions around the expression being generated (`reductions`): nested at most one
    /// deep.
    in_reduce: usize,
    /// The local closures defined so far (`closures`).
    closures: Vec<closures::Sig>,
    /// The last declaration's `Var::uid`.
    uids: std::cell::Cell<usize>,
    /// A local `[f64; 2]` written by an `undo-writes` loop among the function's own
    /// statements, to be returned as the function's value.
    undo_out: Option<String>,
    /// Indices that loops of `offset-reads` keep in bounds while they run.
    offsets: Vec<offsets::Offset>,
    /// Indices at stepped integers that loops of `stepped-slots` keep in bounds while they
    /// run.
    slot_reads: Vec<stepped::SlotRead>,
}

impl Ctx {
    fn visible(&self) -> Vec<&Var> {
        let mut out: Vec<&Var> = Vec::new();
        for scope in &self.scopes {
            for v in scope {
                out.retain(|o| o.name != v.name);
                out.push(v);
            }
        }
        out
    }

    fn find_mut(&mut self, name: &str) -> Option<&mut Var> {
        self.scopes
            .iter_mut()
            .rev()
            .flat_map(|s| s.iter_mut().rev())
            .find(|v| v.name == name)
    }

    fn declare(&mut self, var: Var) {
        self.scopes.last_mut().unwrap().push(var);
    }

    /// Whether `e` reads `#[no_grad]` data, integers and literals only.
    fn inactive(&self, e: &E) -> bool {
        let vis = self.visible();
        let mut roots = Vec::new();
        e.roots(&mut roots);
        roots.iter().all(|r| {
            vis.iter()
                .find(|v| v.name == *r)
                .is_none_or(|v| v.nograd || v.kind == Kind::Int)
        })
    }

    /// Whether the reverse sweep evaluates conditions and inactive values here again: inside
    /// loops and branches (the rest of the function after an early `return` is a branch).
    fn reevaluated(&self) -> bool {
        self.depth > 0 || self.after_return
    }

    /// Whether `e` has an inactive subexpression that the macro cannot tell is pure.
    fn impure_inactive(&self, e: &E, all_methods: bool) -> bool {
        if self.inactive(e) && !e.pure(all_methods) {
            return true;
        }
        e.children()
            .into_iter()
            .any(|c| self.impure_inactive(c, all_methods))
    }

    /// Whether `e` is an untyped result of a plain helper (`plain-calls`), maybe negated.
    fn reads_untyped_plain(&self, e: &E) -> bool {
        let e = match e {
            E::Neg(a) => a,
            e => e,
        };
        let E::Place(p) = e else { return false };
        self.visible()
            .iter()
            .any(|v| v.untyped_plain && v.name == *p)
    }

    fn level(&self) -> usize {
        self.loops.len()
    }

    fn readable(&self, kind: impl Fn(Kind) -> bool) -> Vec<Var> {
        self.visible()
            .into_iter()
            .filter(|v| v.acc.is_none() && !v.linear && kind(v.kind))
            .cloned()
            .collect()
    }
}

fn boxed(e: E) -> Box<E> {
    Box::new(e)
}

fn bin(op: &'static str, a: E, b: E) -> E {
    E::Bin(op, boxed(a), boxed(b))
}

fn method(name: &'static str, recv: E, args: Vec<E>) -> E {
    E::Method(name, boxed(recv), args)
}

impl Gen {
    pub fn new(seed: u64, opts: Opts) -> Self {
        Gen {
            rng: Rng::new(seed),
            restrict: false,
            fresh_only: false,
            opts,
            funcs: Vec::new(),
            fresh: 0,
            loop_ids: 0,
            in_reduce: 0,
            closures: Vec::new(),
            uids: std::cell::Cell::new(0),
            undo_out: None,
            offsets: Vec::new(),
            slot_reads: Vec::new(),
        }
    }

    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    fn num(&mut self) -> f64 {
        *self.rng.pick(NUMS)
    }

    fn name(&mut self) -> String {
        if self.rng.chance(0.5) || self.fresh_only {
            self.fresh += 1;
            format!("l{}", self.fresh)
        } else {
            self.rng.pick(NAMES).to_string()
        }
    }

    /// Runs `body` in the context of a new `for` loop over `0..trips` that fills an array: its
    /// counter declared (an integer below `trips`), expressions restricted. Returns the
    /// counter's name and what `body` made.
    fn in_fill_loop<T>(
        &mut self,
        cx: &mut Ctx,
        trips: usize,
        body: impl FnOnce(&mut Self, &mut Ctx, &str) -> T,
    ) -> (String, T) {
        self.loop_ids += 1;
        let counter = self.counter_name();
        cx.loops.push(LoopInfo {
            id: self.loop_ids,
            counter: Some((counter.clone(), trips - 1)),
            over: None,
            trips,
        });
        cx.scopes.push(Vec::new());
        cx.depth += 1;
        let c = self.var(cx, counter.clone(), Kind::Int, (trips - 1) as f64, false);
        cx.declare(c);
        let saved = std::mem::replace(&mut self.restrict, true);
        let made = body(self, cx, &counter);
        self.restrict = saved;
        cx.depth -= 1;
        cx.scopes.pop();
        cx.loops.pop();
        (counter, made)
    }

    /// The names of an array pattern `[a, _, c]` of `n` elements: fresh, some of them `_`.
    fn pattern_names(&mut self, n: usize) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for _ in 0..n {
            let nm = self.name();
            if names.contains(&nm) || self.rng.chance(0.2) {
                names.push("_".into());
            } else {
                names.push(nm);
            }
        }
        names
    }

    fn counter_name(&mut self) -> String {
        self.fresh += 1;
        let base = *self.rng.pick(&["i", "j", "k", "m"]);
        format!("{base}{}", self.fresh)
    }

    // ----- expressions -----

    /// `(e, bound)` squashed to a bound of at most `cap`.
    fn fit(&mut self, (e, b): (E, f64), cap: f64) -> (E, f64) {
        if b <= cap {
            return (e, b);
        }
        if self.restrict && !self.opts.unlisted_pure_methods {
            // Only methods the macro knows to be pure (the value may be inactive and
            // evaluated again by the reverse sweep).
            let (squashed, sb) = if b < 30.0 {
                let f = if self.rng.chance(0.5) { "sin" } else { "cos" };
                (method(f, e, vec![]), 1.0)
            } else {
                let e2 = e.clone();
                (
                    bin("/", e, bin("+", bin("*", e2.clone(), e2), E::Num(1.0))),
                    0.5,
                )
            };
            return if cap >= sb {
                (squashed, sb)
            } else {
                (bin("*", E::Num(0.25), squashed), 0.25 * sb)
            };
        }
        let (squashed, sb) = match self.rng.below(4) {
            0 => (method("tanh", e, vec![]), 1.0),
            1 => (method("atan", e, vec![]), std::f64::consts::FRAC_PI_2),
            2 if b < 30.0 => (method("sin", e, vec![]), 1.0),
            3 if b < 30.0 => (method("cos", e, vec![]), 1.0),
            _ => (method("tanh", e, vec![]), 1.0),
        };
        let scale = (cap / sb).min(2.0);
        let scale = [2.0, 1.5, 1.0, 0.75, 0.5, 0.25, 0.1]
            .into_iter()
            .find(|s| *s <= scale)
            .unwrap_or(0.05);
        if scale == 1.0 {
            (squashed, sb)
        } else {
            (bin("*", E::Num(scale), squashed), scale * sb)
        }
    }

    /// A leaf: a float read from a local or parameter, a loop counter, a constant.
    fn leaf(&mut self, cx: &Ctx) -> (E, f64) {
        let vars = cx.readable(|_| true);
        for _ in 0..8 {
            let Some(var) = (if vars.is_empty() {
                None
            } else {
                Some(vars[self.rng.below(vars.len())].clone())
            }) else {
                break;
            };
            match var.kind {
                Kind::F => {
                    let place = if var.by_ref {
                        format!("*{}", var.name)
                    } else {
                        var.name.clone()
                    };
                    return (E::Place(place), var.bound);
                }
                Kind::Tup2 => {
                    let k = self.rng.below(2);
                    return (E::Place(format!("{}.{k}", var.name)), var.bound);
                }
                Kind::Arr(n) => {
                    let idx = self.index(cx, &var.name, Some(n));
                    return (E::Place(format!("{}[{idx}]", var.name)), var.bound);
                }
                Kind::Slice(n) => {
                    let idx = self.index(cx, &var.name, n);
                    return (E::Place(format!("{}[{idx}]", var.name)), var.bound);
                }
                Kind::Int if self.rng.chance(0.5) => {
                    return (E::Int(var.name.clone()), var.bound);
                }
                Kind::Rows(n, m) => {
                    let idx = self.index(cx, &var.name, m);
                    let j = self.rng.below(n);
                    return (E::Place(format!("{}[{idx}][{j}]", var.name)), var.bound);
                }
                Kind::VecF => {
                    let idx = self.index(cx, &var.name, None);
                    return (E::Place(format!("{}[{idx}]", var.name)), var.bound);
                }
                _ => {}
            }
        }
        let c = self.num();
        (E::Num(c), c)
    }

    /// An index into `name` (of length `len` if known, at least 2).
    fn index(&mut self, cx: &Ctx, name: &str, len: Option<usize>) -> String {
        // Indices that move with the counter of a loop around (`offset-reads`).
        if let Some(i) = self.offset_index(cx, name) {
            return i;
        }
        // Indices at an integer a loop around steps (`stepped-slots`).
        if let Some(i) = self.stepped_index(cx, name) {
            return i;
        }
        // Integers declared as valid indices into this array (by the emphasis switches only):
        // often, inside loops, so that the read is loop-invariant when they come from outside.
        let valid: Vec<String> = cx
            .visible()
            .iter()
            .filter(|v| {
                v.kind == Kind::Int
                    && !v.linear
                    && v.index_for.as_ref().is_some_and(|(a, l, during)| {
                        a == name
                            && *l == len
                            && during.is_none_or(|id| cx.loops.iter().any(|l| l.id == id))
                    })
            })
            .map(|v| v.name.clone())
            .collect();
        if !valid.is_empty() && cx.level() > 0 && self.rng.chance(0.6) {
            return self.rng.pick(&valid).clone();
        }
        let len_expr = match len {
            Some(n) => n.to_string(),
            None => format!("{name}.len()"),
        };
        let counter = cx.loops.iter().rev().find_map(|l| {
            l.counter
                .as_ref()
                .map(|(c, _)| (c.clone(), l.over.as_deref() == Some(name)))
        });
        if let Some((i, over)) = counter {
            if self.rng.chance(0.7) {
                if over && self.rng.chance(0.5) {
                    return i;
                }
                return match self.rng.below(4) {
                    0 => format!("{i} % {len_expr}"),
                    1 => format!("({i} + 1) % {len_expr}"),
                    2 => format!("(2 * {i} + 1) % {len_expr}"),
                    _ => format!("{len_expr} - 1 - {i} % {len_expr}"),
                };
            }
        }
        match self.rng.below(4) {
            0 | 1 => self.rng.below(2).to_string(),
            2 => match len {
                Some(n) => (n - 1).to_string(),
                None => format!("{name}.len() - 1"),
            },
            _ => match len {
                Some(n) => self.rng.below(n).to_string(),
                None => format!("{name}.len() / 2"),
            },
        }
    }

    /// A leaf that reads a float local or parameter when there is one.
    fn active_leaf(&mut self, cx: &Ctx) -> (E, f64) {
        for _ in 0..6 {
            let l = self.leaf(cx);
            if matches!(l.0, E::Place(_)) {
                return l;
            }
        }
        self.leaf(cx)
    }

    /// A float expression of nesting depth at most `depth`.
    fn expr(&mut self, cx: &Ctx, depth: usize) -> (E, f64) {
        let all = self.opts.unlisted_pure_methods;
        for _ in 0..20 {
            let (e, b) = self.expr_raw(cx, depth);
            let (e, b) = self.fit((e, b), 40.0);
            // The README: an inactive value the reverse sweep needs again must come from a
            // pure expression.
            if !cx.reevaluated() || !cx.impure_inactive(&e, all) {
                return (e, b);
            }
        }
        self.active_leaf(cx)
    }

    fn expr_raw(&mut self, cx: &Ctx, depth: usize) -> (E, f64) {
        if depth == 0 || self.rng.chance(0.2) {
            return self.active_leaf(cx);
        }
        let d = depth - 1;
        let reduce = if (self.opts.reductions || self.opts.rows) && self.in_reduce < 2 {
            [5, 2][self.in_reduce]
        } else {
            0
        };
        let local = if self.opts.closures && self.has_closure(cx) {
            12
        } else {
            0
        };
        let nested = if self.opts.nested_rows && self.in_reduce < 2 && self.has_rows(cx) {
            6
        } else {
            0
        };
        match self
            .rng
            .weighted(&[14, 5, 14, 3, 20, 4, 8, 4, 3, 3, 2, 2, reduce, local, nested])
        {
            0 => {
                let (a, ba) = self.expr(cx, d);
                let (b, bb) = self.distinct(cx, d, &a);
                let op = *self.rng.pick(&["+", "-"]);
                (bin(op, a, b), ba + bb)
            }
            1 => {
                let (a, ba) = self.expr(cx, d);
                let c = self.num();
                let op = *self.rng.pick(&["+", "-", "*"]);
                if self.rng.chance(0.5) {
                    (
                        bin(op, E::Num(c), a),
                        if op == "*" { c * ba } else { c + ba },
                    )
                } else {
                    (
                        bin(op, a, E::Num(c)),
                        if op == "*" { c * ba } else { c + ba },
                    )
                }
            }
            2 => {
                let (a, ba) = self.expr(cx, d);
                let (b, bb) = self.expr(cx, d);
                let (a, ba) = self.fit((a, ba), 6.0);
                let (b, bb) = self.fit((b, bb), 6.0);
                (bin("*", a, b), ba * bb)
            }
            3 => {
                let (a, ba) = self.expr(cx, d);
                (E::Neg(boxed(a)), ba)
            }
            4 => self.unary(cx, d),
            5 => self.division(cx, d),
            6 => self.binary_method(cx, d),
            7 => self.non_smooth(cx, d),
            8 => self.call_expr(cx, d),
            9 => {
                // Function form.
                let (a, ba) = self.expr(cx, d);
                match self.rng.below(4) {
                    0 => (E::FnForm("sin", vec![a], false), ba.min(1.0)),
                    1 => {
                        let (a, _) = self.fit((a, ba), 3.0);
                        (E::FnForm("exp", vec![a], false), 3f64.exp())
                    }
                    2 => {
                        let (b, bb) = self.distinct(cx, d, &a);
                        (E::FnForm("max", vec![a, b], true), ba.max(bb))
                    }
                    _ => {
                        let (b, bb) = self.expr(cx, d);
                        (E::FnForm("hypot", vec![a, b], true), ba.hypot(bb))
                    }
                }
            }
            10 => {
                let (a, ba) = self.expr(cx, d);
                let (b, bb) = self.expr(cx, d);
                let (c, bc) = self.expr(cx, d);
                let (a, ba) = self.fit((a, ba), 6.0);
                let (b, bb) = self.fit((b, bb), 6.0);
                (method("mul_add", a, vec![b, c]), ba * bb + bc)
            }
            11 => {
                // A leaf times a leaf, to keep products of plain variables common.
                let (a, ba) = self.active_leaf(cx);
                let (b, bb) = self.active_leaf(cx);
                (bin("*", a, b), ba * bb)
            }
            12 => match self.reduction(cx, d) {
                Some(r) => r,
                None => self.unary(cx, d),
            },
            13 => match self.closure_call(cx, d) {
                Some(r) => r,
                None => self.unary(cx, d),
            },
            _ => match self.rows_reduction(cx, d) {
                Some(r) => r,
                None => self.unary(cx, d),
            },
        }
    }

    /// A receiver that is not a bare literal.
    fn receiver(&mut self, cx: &Ctx, d: usize) -> (E, f64) {
        for _ in 0..4 {
            let r = self.expr(cx, d);
            if r.0.reads_place() {
                return r;
            }
        }
        let (a, ba) = self.active_leaf(cx);
        if a.reads_place() {
            (a, ba)
        } else {
            // No local at all: a literal receiver with a type suffix.
            (a, ba)
        }
    }

    /// `e * e + c`, positive: a safe argument for `sqrt`, `ln`, ...
    fn positive(&mut self, cx: &Ctx, d: usize) -> (E, f64, f64) {
        let (a, ba) = self.receiver(cx, d);
        let (a, ba) = self.fit((a, ba), 5.0);
        let c = *self.rng.pick(&[1.0, 0.5, 2.0, 0.25]);
        match self.rng.below(3) {
            0 => {
                let a2 = a.clone();
                (bin("+", bin("*", a, a2), E::Num(c)), ba * ba + c, c)
            }
            1 => (
                bin(
                    "+",
                    method("powi", a, vec![E::Place("2".into())]),
                    E::Num(c),
                ),
                ba * ba + c,
                c,
            ),
            _ => {
                let (a, ba) = self.fit((a, ba), 3.0);
                (method("exp", a, vec![]), ba.exp(), (-ba).exp())
            }
        }
    }

    fn unary(&mut self, cx: &Ctx, d: usize) -> (E, f64) {
        let (a, ba) = self.receiver(cx, d);
        match self.rng.weighted(&[
            6, 6, 5, 4, 4, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1,
        ]) {
            0 => (method("sin", a, vec![]), ba.min(1.0)),
            1 => (method("cos", a, vec![]), 1.0),
            2 => (method("tanh", a, vec![]), ba.min(1.0)),
            3 => (method("atan", a, vec![]), ba.min(1.6)),
            4 => {
                let (a, ba) = self.fit((a, ba), 3.0);
                (method("exp", a, vec![]), ba.exp())
            }
            5 => {
                let (p, bp, _) = self.positive(cx, d);
                (method("sqrt", p, vec![]), bp.sqrt())
            }
            6 => {
                let (p, bp, lo) = self.positive(cx, d);
                (method("ln", p, vec![]), bp.ln().abs().max(lo.ln().abs()))
            }
            7 => {
                let k = *self.rng.pick(&[2, 3, 2, 4, 0, 1]);
                let (a, ba) = self.fit((a, ba), if k >= 3 { 2.0 } else { 5.0 });
                (
                    method("powi", a, vec![E::Place(k.to_string())]),
                    ba.powi(k).max(1.0),
                )
            }
            8 => {
                let (p, bp, lo) = self.positive(cx, d);
                let k = *self.rng.pick(&[-1, -2]);
                let (p, _) = self.fit((p, bp), 50.0);
                (
                    method("powi", p, vec![E::Place(k.to_string())]),
                    lo.powi(k).max(1.0),
                )
            }
            9 => {
                let (t, _) = self.fit((a, ba), 1.0);
                let inner = bin("*", E::Num(0.9), method("tanh", t, vec![]));
                let f = *self.rng.pick(&["asin", "acos", "atanh"]);
                (method(f, inner, vec![]), 3.0)
            }
            10 => {
                let (p, bp, _) = self.positive(cx, d);
                (
                    method("acosh", bin("+", p, E::Num(1.0)), vec![]),
                    (bp + 1.0).acosh(),
                )
            }
            11 => (method("asinh", a, vec![]), ba.asinh()),
            12 => {
                let (a, ba) = self.fit((a, ba), 2.5);
                let f = *self.rng.pick(&["sinh", "cosh", "exp2", "exp_m1"]);
                (method(f, a, vec![]), ba.cosh().max(ba.exp2()).max(ba.exp()))
            }
            13 => {
                let (p, bp, lo) = self.positive(cx, d);
                let f = *self.rng.pick(&["log2", "log10", "cbrt", "recip"]);
                let b = match f {
                    "cbrt" => bp.cbrt(),
                    "recip" => 1.0 / lo,
                    _ => bp.log2().abs().max(lo.log2().abs()),
                };
                (method(f, p, vec![]), b)
            }
            14 => {
                let (a2, ba2) = self.fit((a, ba), 4.0);
                let sq = bin("*", a2.clone(), a2);
                (method("ln_1p", sq, vec![]), (ba2 * ba2).ln_1p())
            }
            15 => {
                let (t, _) = self.fit((a, ba), 1.0);
                (method("tan", t, vec![]), 1.6)
            }
            16 => {
                let f = *self.rng.pick(&["to_degrees", "to_radians"]);
                let (a, ba) = self.fit((a, ba), 1.0);
                (
                    method(f, a, vec![]),
                    if f == "to_degrees" { ba * 57.3 } else { ba },
                )
            }
            17 => {
                // cbrt is not differentiable at 0: of a positive value.
                let (p, bp, _) = self.positive(cx, d);
                (method("cbrt", p, vec![]), bp.cbrt())
            }
            18 => {
                // Clone is a copy.
                (method("clone", a, vec![]), ba)
            }
            19 => {
                let (p, bp, _) = self.positive(cx, d);
                (method("sqrt", p, vec![]), bp.sqrt())
            }
            _ => {
                let (p, bp, lo) = self.positive(cx, d);
                let base = *self.rng.pick(&[2.0, 10.0, 0.5, 3.0]);
                (
                    method("log", p, vec![E::Num(base)]),
                    (bp.ln().abs().max(lo.ln().abs())) / base.ln().abs(),
                )
            }
        }
    }

    fn division(&mut self, cx: &Ctx, d: usize) -> (E, f64) {
        let (a, ba) = self.expr(cx, d);
        match self.rng.below(4) {
            0 => {
                let c = *self.rng.pick(&[2.0, 3.0, 0.5, 4.0]);
                (bin("/", a, E::Num(c)), ba / c)
            }
            1 => {
                let (p, _, lo) = self.positive(cx, d);
                (bin("/", a, p), ba / lo)
            }
            2 => {
                let (b, bb) = self.receiver(cx, d);
                let (b, _) = self.fit((b, bb), 5.0);
                (bin("/", a, method("cosh", b, vec![])), ba)
            }
            _ => {
                let (b, bb) = self.receiver(cx, d);
                let (b, _) = self.fit((b, bb), 3.0);
                (
                    bin("/", a, bin("+", E::Num(1.5), method("sin", b, vec![]))),
                    ba * 2.0,
                )
            }
        }
    }

    fn binary_method(&mut self, cx: &Ctx, d: usize) -> (E, f64) {
        let (a, ba) = self.receiver(cx, d);
        match self.rng.below(4) {
            0 => {
                let (b, bb) = self.expr(cx, d);
                (E::Traced("hypot", boxed(a), vec![b]), ba.hypot(bb))
            }
            1 => {
                let (b, _) = self.expr(cx, d);
                // Not both input-independent: they could sit at the origin for good (a loop
                // counter at 0), where the derivative is NaN.
                let b = if cx.inactive(&a) && cx.inactive(&b) {
                    self.plain_leaf(cx)
                } else {
                    b
                };
                (E::Traced("atan2", boxed(a), vec![b]), std::f64::consts::PI)
            }
            2 => {
                let (mut p, mut bp, mut lo) = self.positive(cx, d);
                // Shrink the base keeping it positive (`fit` could make it negative).
                while bp > 8.0 {
                    p = method("sqrt", p, vec![]);
                    bp = bp.sqrt();
                    lo = lo.sqrt();
                }
                let (b, bb) = self.fit((a, ba), 2.0);
                // p^b with p in [lo, bp], |b| <= 2.
                let lo = lo.min(1.0);
                (
                    method("powf", p, vec![b]),
                    bp.max(1.0).powf(bb).max((1.0 / lo).powf(bb)),
                )
            }
            _ => {
                let (p, bp, lo) = self.positive(cx, d);
                let (q, _, qlo) = self.positive(cx, d);
                // log base q > 1: q = (e * e + c) + 1.5.
                let base = bin("+", q, E::Num(1.5));
                let _ = qlo;
                (
                    method("log", p, vec![base]),
                    bp.ln().abs().max(lo.ln().abs()) / 1.5f64.ln(),
                )
            }
        }
    }

    fn non_smooth(&mut self, cx: &Ctx, d: usize) -> (E, f64) {
        let (a, ba) = self.receiver(cx, d);
        match self.rng.weighted(&[4, 4, 3, 2, 2, 2, 1, 1, 1, 2]) {
            0 | 1 => {
                let (b, bb) = self.distinct(cx, d, &a);
                let f = if self.rng.chance(0.5) { "max" } else { "min" };
                (E::Traced(f, boxed(a), vec![b]), ba.max(bb))
            }
            2 => (E::Traced("abs", boxed(a), vec![]), ba),
            3 => {
                let lo = -*self.rng.pick(&[0.5, 1.0, 0.25]);
                let hi = *self.rng.pick(&[0.5, 1.0, 1.5]);
                (
                    E::Traced("clamp", boxed(a), vec![E::Num(lo), E::Num(hi)]),
                    ba.min(1.5),
                )
            }
            4 => {
                let f = *self.rng.pick(&["floor", "ceil", "round", "trunc"]);
                (E::Traced(f, boxed(a), vec![]), ba + 1.0)
            }
            5 => (E::Traced("fract", boxed(a), vec![]), 1.0),
            6 => (E::Traced("signum", boxed(a), vec![]), 1.0),
            _ => {
                let (b, bb) = self.distinct(cx, d, &a);
                let (c, bc) = self.expr(cx, d);
                // A smooth mix of a kink: max(a, b) * c.
                (
                    bin("*", E::Traced("max", boxed(a), vec![b]), c),
                    ba.max(bb) * bc,
                )
            }
        }
    }

    // ----- calls -----

    /// The functions that can be called from here, with their arguments.
    fn callable(&mut self, cx: &Ctx, want_scalar: bool) -> Vec<usize> {
        let vis = cx.visible();
        let mut out = Vec::new();
        // What a call here would add to the cost of the function (see `Func::cost`).
        let site = 3.0
            * cx.loops
                .iter()
                .map(|l| l.trips.max(1) as f64)
                .product::<f64>();
        'f: for (k, f) in self.funcs.iter().enumerate() {
            if want_scalar && f.ret != Ret::F {
                continue;
            }
            if self.opts.emphasis() && site * f.cost > CALL_COST_CAP {
                continue;
            }
            for p in &f.params {
                let ok = self.param_ok(&vis, p.kind);
                if !ok {
                    continue 'f;
                }
            }
            out.push(k);
        }
        out
    }

    /// Whether a parameter of this kind can be given an argument from here.
    fn param_ok(&self, vis: &[&Var], kind: PKind) -> bool {
        match kind {
            PKind::NoGradF(_) => self.opts.call_no_grad_float,
            PKind::Slice => {
                self.opts.call_with_slices
                    && vis.iter().any(|v| {
                        matches!(
                            v.param,
                            Some(PKind::Slice | PKind::VecRef | PKind::RefArr(_))
                        ) && v.acc.is_none()
                    })
            }
            PKind::VecRef => {
                self.opts.call_with_slices && vis.iter().any(|v| v.param == Some(PKind::VecRef))
            }
            PKind::RefArr(n) => {
                self.opts.call_with_slices && vis.iter().any(|v| v.param == Some(PKind::RefArr(n)))
            }
            PKind::NoGradSlice => vis.iter().any(|v| {
                matches!(v.param, Some(PKind::NoGradSlice))
                    || (self.opts.active_to_no_grad_slice && matches!(v.param, Some(PKind::Slice)))
            }),
            // The macro cannot type a literal (`&[1, 2]`, `Some(1)`, `None`): only a
            // parameter of the caller's of the same kind is passed on.
            PKind::NoGradIdx | PKind::NoGradIdxArr(_) | PKind::NoGradOpt => {
                vis.iter().any(|v| v.param == Some(kind))
            }
            PKind::Rows(_) | PKind::VecRows(_) | PKind::RefRows(..) | PKind::NoGradRows(_) => {
                self.rows_arg_ok(vis, kind)
            }
            _ => true,
        }
    }

    fn call_args(&mut self, cx: &Ctx, k: usize, d: usize) -> Option<Vec<E>> {
        self.call_args_with(cx, k, d, &[])
    }

    /// The arguments of a call of `funcs[k]`, those of the parameters in `given` (by position)
    /// as given (`lent-rows`: `&h` of a local).
    fn call_args_with(
        &mut self,
        cx: &Ctx,
        k: usize,
        d: usize,
        given: &[(usize, E)],
    ) -> Option<Vec<E>> {
        let params = self.funcs[k].params.clone();
        let vis: Vec<Var> = cx.visible().into_iter().cloned().collect();
        let mut args = Vec::new();
        // An active slice may be lent to a call once (its shadow is `&mut`).
        let mut lent: Vec<String> = Vec::new();
        for (pos, p) in params.iter().enumerate() {
            if let Some((_, e)) = given.iter().find(|(i, _)| *i == pos) {
                args.push(e.clone());
                continue;
            }
            let mut pick_param = |rng: &mut Rng, want: &dyn Fn(&Var) -> bool| -> Option<E> {
                let c: Vec<&Var> = vis
                    .iter()
                    .filter(|v| want(v) && !lent.contains(&v.name))
                    .collect();
                if c.is_empty() {
                    return None;
                }
                let v = rng.pick(&c);
                if !v.nograd {
                    lent.push(v.name.clone());
                }
                Some(E::Place(v.name.clone()))
            };
            let arg = match p.kind {
                PKind::F | PKind::NoGradF(_) => {
                    if matches!(p.kind, PKind::NoGradF(_)) && self.rng.chance(0.3) {
                        E::Num(self.num())
                    } else {
                        let (e, b) = self.expr(cx, d);
                        let e = self.fit((e, b), 2.0).0;
                        self.typed_arg(cx, e)
                    }
                }
                PKind::Tup2 => {
                    let tups: Vec<&Var> = vis
                        .iter()
                        .filter(|v| {
                            v.kind == Kind::Tup2 && v.bound <= 2.0 && v.acc.is_none() && !v.nograd
                        })
                        .collect();
                    if !tups.is_empty() && self.rng.chance(0.4) {
                        E::Place(self.rng.pick(&tups).name.clone())
                    } else {
                        let (a, ba) = self.expr(cx, d);
                        let (b, bb) = self.expr(cx, d);
                        let a = self.fit((a, ba), 2.0).0;
                        let b = self.fit((b, bb), 2.0).0;
                        let items = vec![self.typed_arg(cx, a), self.typed_arg(cx, b)];
                        E::Tuple(self.typed_items(cx, items)?)
                    }
                }
                PKind::Arr(n) if self.row_item_arg(&vis, n) => {
                    // A point of a row of arrays, by value (`nested-rows`): `g(p[i])`.
                    let rows: Vec<&Var> = vis.iter().filter(|v| Self::row_of(v, n)).collect();
                    let r = (*self.rng.pick(&rows)).clone();
                    let Kind::Rows(_, m) = r.kind else {
                        unreachable!()
                    };
                    let idx = self.index(cx, &r.name, m);
                    E::Place(format!("{}[{idx}]", r.name))
                }
                PKind::Arr(n) => {
                    let arrs: Vec<&Var> = vis
                        .iter()
                        .filter(|v| {
                            v.kind == Kind::Arr(n) && v.bound <= 2.0 && v.acc.is_none() && !v.nograd
                        })
                        .collect();
                    if !arrs.is_empty() && self.rng.chance(0.4) {
                        E::Place(self.rng.pick(&arrs).name.clone())
                    } else {
                        let mut items = Vec::new();
                        for _ in 0..n {
                            let e = self.expr(cx, d.min(1));
                            let e = self.fit(e, 2.0).0;
                            items.push(self.typed_arg(cx, e));
                        }
                        E::Array(self.typed_items(cx, items)?)
                    }
                }
                PKind::Slice => pick_param(&mut self.rng, &|v: &Var| {
                    matches!(
                        v.param,
                        Some(PKind::Slice | PKind::VecRef | PKind::RefArr(_))
                    )
                })?,
                PKind::VecRef => {
                    pick_param(&mut self.rng, &|v: &Var| v.param == Some(PKind::VecRef))?
                }
                PKind::RefArr(n) => {
                    pick_param(&mut self.rng, &|v: &Var| v.param == Some(PKind::RefArr(n)))?
                }
                PKind::NoGradSlice => {
                    let ng = vis
                        .iter()
                        .any(|v| matches!(v.param, Some(PKind::NoGradSlice)));
                    if ng && (!self.opts.active_to_no_grad_slice || self.rng.chance(0.7)) {
                        pick_param(&mut self.rng, &|v: &Var| {
                            v.param == Some(PKind::NoGradSlice)
                        })?
                    } else {
                        pick_param(&mut self.rng, &|v: &Var| v.param == Some(PKind::Slice))?
                    }
                }
                PKind::NoGradIdx | PKind::NoGradIdxArr(_) | PKind::NoGradOpt => {
                    pick_param(&mut self.rng, &|v: &Var| v.param == Some(p.kind))?
                }
                PKind::Rows(n) => pick_param(&mut self.rng, &|v: &Var| {
                    matches!(
                        v.param,
                        Some(PKind::Rows(m) | PKind::VecRows(m) | PKind::RefRows(m, _)) if m == n
                    )
                })?,
                PKind::VecRows(_) | PKind::RefRows(..) | PKind::NoGradRows(_) => {
                    pick_param(&mut self.rng, &|v: &Var| v.param == Some(p.kind))?
                }
                PKind::Int | PKind::NoGradInt => {
                    let ints: Vec<&Var> = vis
                        .iter()
                        .filter(|v| v.kind == Kind::Int && v.bound <= 4.0 && !v.not_usize)
                        .collect();
                    if !ints.is_empty() && self.rng.chance(0.5) {
                        E::Place(self.rng.pick(&ints).name.clone())
                    } else {
                        E::Place(self.rng.range(0, 4).to_string())
                    }
                }
            };
            args.push(arg);
        }
        Some(args)
    }

    /// `e` as a call argument: the macro must see that it is a float, which it cannot for a
    /// value computed from `#[no_grad]` data only (unless `inactive-float-arg`), nor for one
    /// computed from integers through a float method (unless `int-method-arg`).
    fn typed_arg(&self, cx: &Ctx, e: E) -> E {
        let untyped = cx.inactive(&e)
            && ((!self.opts.inactive_float_arg && !matches!(e, E::Num(_)))
                || (!self.opts.int_method_arg && !Self::known_float(&e))
                || (self.opts.plain_calls && cx.reads_untyped_plain(&e)));
        if untyped {
            bin("*", e, E::Num(1.0))
        } else {
            e
        }
    }

    /// Whether the macro can tell that an inactive argument is a float: a literal, a cast, a
    /// place (`#[no_grad]` data), `f64::name(..)`, a call, an operator with such an operand, or
    /// a method of a receiver that reads a place; not a method of a value computed from casts
    /// and literals only (`(k as f64).atan()`, `((k as f64) * 2.0).ln()`).
    fn known_float(e: &E) -> bool {
        fn reads_float_place(e: &E) -> bool {
            matches!(e, E::Place(_)) || e.children().into_iter().any(reads_float_place)
        }
        match e {
            E::Num(_) | E::Int(_) | E::Place(_) | E::FnForm(..) | E::Call(..) | E::Reduce(..) => {
                true
            }
            E::Local(..) => false,
            E::Neg(a) => Self::known_float(a),
            E::Bin(_, a, b) => Self::known_float(a) || Self::known_float(b),
            E::Method(_, r, _) | E::Traced(_, r, _) => reads_float_place(r),
            E::Tuple(_) | E::Array(_) | E::If(..) | E::Block(..) | E::Match(..) => false,
        }
    }

    /// The items of a tuple or array argument: the macro cannot type one whose items are all
    /// inactive (even `[0.5, 0.25]`), so one item is made active (unless
    /// `inactive-float-arg`).
    fn typed_items(&mut self, cx: &Ctx, mut items: Vec<E>) -> Option<Vec<E>> {
        if self.opts.inactive_float_arg || items.iter().any(|e| !cx.inactive(e)) {
            return Some(items);
        }
        for _ in 0..10 {
            let (e, b) = self.active_leaf(cx);
            if !cx.inactive(&e) {
                items[0] = self.fit((e, b), 2.0).0;
                return Some(items);
            }
        }
        None
    }

    /// A call used inside an expression: a scalar result, or a projection of a tuple / array.
    fn call_expr(&mut self, cx: &Ctx, d: usize) -> (E, f64) {
        let ks = self.callable(cx, false);
        if ks.is_empty() {
            return self.unary(cx, d);
        }
        let k = *self.rng.pick(&ks);
        let Some(args) = self.call_args(cx, k, d.min(1)) else {
            return self.unary(cx, d);
        };
        let f = &self.funcs[k];
        let proj = match f.ret {
            Ret::F => None,
            Ret::Tup2 => Some(format!(".{}", self.rng.below(2))),
            Ret::Arr2 => Some(format!("[{}]", self.rng.below(2))),
        };
        (E::Call(f.name.clone(), args, proj), f.out_bound)
    }

    // ----- conditions -----

    fn cond(&mut self, cx: &Ctx, d: usize) -> C {
        // A condition the reverse sweep tests again must be pure (no calls; and listed
        // methods only, unless `unlisted-pure-methods`).
        for _ in 0..20 {
            let c = self.cond_raw(cx, d);
            let mut roots = Vec::new();
            c.roots(&mut roots);
            let deref = !self.opts.deref_in_cond && c.derefs();
            let local =
                self.opts.closures && !self.opts.closure_in_cond && self.calls_local(cx, &c);
            if (!cx.reevaluated() || c.pure(self.opts.unlisted_pure_methods)) && !deref && !local {
                return c;
            }
        }
        C::Cmp(">", self.plain_leaf(cx), E::Num(0.5))
    }

    /// A leaf that is not a dereference.
    fn plain_leaf(&mut self, cx: &Ctx) -> E {
        for _ in 0..10 {
            let (e, _) = self.active_leaf(cx);
            if !matches!(&e, E::Place(p) if p.starts_with('*')) {
                return e;
            }
        }
        E::Num(0.25)
    }

    fn cond_raw(&mut self, cx: &Ctx, d: usize) -> C {
        let bools: Vec<Var> = cx.readable(|k| k == Kind::Bool);
        let ints: Vec<Var> = cx.readable(|k| k == Kind::Int);
        match self.rng.weighted(&[12, 2, 3, 3, 2]) {
            1 if !bools.is_empty() => C::Raw(self.rng.pick(&bools).name.clone()),
            2 if !ints.is_empty() => {
                let i = self.rng.pick(&ints).name.clone();
                C::Raw(match self.rng.below(4) {
                    0 => format!("{i} % 2 == 0"),
                    1 => format!("{i} == 1"),
                    2 => format!("{i} > 1"),
                    _ => format!("{i} < 2"),
                })
            }
            3 => C::Not(Box::new(self.cmp(cx, d))),
            4 if self.opts.logic_on_active => {
                let op = *self.rng.pick(&["&&", "||"]);
                C::Logic(op, Box::new(self.cmp(cx, d)), Box::new(self.cmp(cx, 0)))
            }
            _ => self.cmp(cx, d),
        }
    }

    fn cmp(&mut self, cx: &Ctx, d: usize) -> C {
        let op = *self.rng.pick(&[">", "<", ">=", "<="]);
        let (a, _) = self.expr(cx, d);
        let (b, _) = if self.rng.chance(0.5) {
            let c = *self.rng.pick(&[0.0, 0.5, 1.0, -0.5, 0.25]);
            if c < 0.0 {
                (E::Neg(boxed(E::Num(-c))), -c)
            } else {
                (E::Num(c), c)
            }
        } else {
            self.distinct(cx, d, &a)
        };
        C::Cmp(op, a, b)
    }

    /// An expression that is not `a` written again (`max(a, a)`, `a > a` always sit on
    /// the kink).
    fn distinct(&mut self, cx: &Ctx, d: usize, a: &E) -> (E, f64) {
        let text = a.render(false);
        for _ in 0..6 {
            let (b, bb) = self.expr(cx, d);
            if b.render(false) != text {
                return (b, bb);
            }
        }
        let (b, bb) = self.expr(cx, d);
        (bin("+", b, E::Num(0.5)), bb + 0.5)
    }

    // ----- statements -----

    fn mutable_scalars(&self, cx: &Ctx) -> Vec<Var> {
        cx.visible()
            .into_iter()
            .filter(|v| {
                v.mutable
                    && v.kind == Kind::F
                    && v.acc.is_none()
                    && !v.by_ref
                    && !v.linear
                    && v.level >= cx.frozen
            })
            .cloned()
            .collect()
    }

    /// Whether a write to `v` from here is a write to loop state (the bound may not grow).
    fn carried(cx: &Ctx, v: &Var) -> bool {
        v.level < cx.level()
    }

    /// Generates up to `n` statements into `out`.
    fn stmts(&mut self, cx: &mut Ctx, n: usize, out: &mut Vec<S>) {
        for _ in 0..n {
            if cx.budget == 0 {
                break;
            }
            cx.budget -= 1;
            self.stmt(cx, out);
            if matches!(out.last(), Some(S::Break | S::Continue | S::Return(_))) {
                break;
            }
        }
    }

    fn stmt(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        let saved = std::mem::replace(&mut self.restrict, cx.reevaluated());
        let fresh = std::mem::replace(
            &mut self.fresh_only,
            cx.in_top_if && !self.opts.shadow_near_return,
        );
        self.stmt_inner(cx, out);
        self.restrict = saved;
        self.fresh_only = fresh;
    }

    fn stmt_inner(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        let in_loop = !cx.loops.is_empty();
        let deep = cx.depth >= 3;
        let acc_here = cx
            .visible()
            .iter()
            .any(|v| v.acc.is_some() && v.acc == cx.loops.last().map(|l| l.id));
        let w = [
            26, // 0 let scalar
            6,  // 1 let mut scalar
            if self.mutable_scalars(cx).is_empty() {
                0
            } else {
                22
            }, // 2 assign
            8,  // 3 tuples / arrays
            5,  // 4 element assignment
            if deep { 0 } else { 10 }, // 5 if
            if deep || cx.level() >= 2 { 0 } else { 10 }, // 6 loop
            5,  // 7 call
            2,  // 8 bool local
            if deep { 0 } else { 2 }, // 9 block
            if self.may_jump(cx) { 5 } else { 0 }, // 10 break / continue
            if cx.top && !in_loop && !cx.no_return {
                3
            } else {
                0
            }, // 11 early return
            if acc_here { 14 } else { 0 }, // 12 accumulate
            1,  // 13 assert
            if self.opts.match_stmts && !deep { 1 } else { 0 }, // 14 match
            if self.opts.invariant_reads && !deep && cx.level() < 2 {
                6
            } else {
                0
            }, // 15 a loop with invariant element reads
            if self.opts.stepped_counters && !deep && cx.level() < 2 {
                9
            } else {
                0
            }, // 16 a loop with a stepped counter
            if self.opts.carried_counters && !deep && cx.level() < 2 {
                14
            } else {
                0
            }, // 17 nested loops carrying a counter
            if self.opts.plain_calls { 8 } else { 0 }, // 18 a plain call
            if self.opts.plain_calls && !deep { 4 } else { 0 }, // 19 an `if` with calls, read after
            match (self.opts.plain_calls && !deep, cx.reevaluated()) {
                (true, true) => 5,
                (true, false) => 1,
                _ => 0,
            }, // 20 an inactive loop with calls (which the reverse re-runs in loops and branches)
            if self.opts.binding_patterns && !deep {
                6
            } else {
                0
            }, // 21 `if let` / `match` binding parts of a value that carries no floats
            if self.opts.reductions || self.opts.rows {
                4
            } else {
                0
            }, // 22 a `let` of a reduction
            match (self.opts.closures, out.len() <= 1) {
                (true, true) => 14,
                (true, false) => 2,
                _ => 0,
            }, // 23 a local closure, mostly near the top of a block
            if self.opts.nested_rows && self.has_rows(cx) {
                8
            } else {
                0
            }, // 24 a point copied out of a row of arrays, or a reduction over one
            if self.opts.lent_rows { 9 } else { 0 }, // 25 a local row lent to a callee
            if self.opts.undo_writes && !deep && cx.level() < 2 {
                16
            } else {
                0
            }, // 26 a loop writing elements of an aggregate it reads
            if self.opts.offset_reads && !deep && cx.level() < 2 {
                14
            } else {
                0
            }, // 27 a loop reading slices at offsets of its counter
            if self.opts.stepped_slots && !deep && cx.level() < 2 {
                14
            } else {
                0
            }, // 28 a loop reading slices at an integer it steps
        ];
        match self.rng.weighted(&w) {
            0 => self.let_scalar(cx, out),
            1 => {
                let (e, b) = self.expr(cx, 2);
                let name = self.name();
                let ty = self.rng.chance(0.3).then(|| "f64".to_string());
                let v = self.var(cx, name.clone(), Kind::F, b.max(1.0), true);
                Self::declare_from(cx, v, &ty, &e);
                out.push(S::Let {
                    pat: name,
                    mutable: true,
                    ty,
                    e,
                });
            }
            2 => self.assign(cx, out),
            3 => self.aggregate(cx, out),
            4 => self.element_assign(cx, out),
            5 => self.if_stmt(cx, out),
            6 => self.loop_stmt(cx, out),
            7 => self.call_stmt(cx, out),
            8 => {
                let name = format!("flag{}", {
                    self.fresh += 1;
                    self.fresh
                });
                let c = self.cond(cx, 1);
                out.push(S::LetBool(name.clone(), c));
                cx.declare(self.var(cx, name, Kind::Bool, 0.0, false));
            }
            9 => {
                // A block statement: early `return` is documented for `if` statements only.
                let top = std::mem::replace(&mut cx.top, false);
                let in_block = std::mem::replace(&mut cx.in_block, true);
                let n = self.rng.range(1, 3);
                let body = self.block(cx, n);
                cx.top = top;
                cx.in_block = in_block;
                out.push(S::Block(body));
            }
            10 => {
                let c = self.cond(cx, 1);
                let jump = if self.rng.chance(0.5) {
                    S::Break
                } else {
                    S::Continue
                };
                let mut body = Vec::new();
                if self.rng.chance(0.3) {
                    // Some work before the jump.
                    cx.scopes.push(Vec::new());
                    cx.depth += 1;
                    self.assign(cx, &mut body);
                    cx.depth -= 1;
                    cx.scopes.pop();
                }
                body.push(jump);
                out.push(S::If(vec![(c, body)], None));
            }
            11 => {
                let c = self.cond(cx, 1);
                // The returned value is computed in a branch.
                cx.depth += 1;
                let (e, b) = self.ret_expr(cx);
                cx.depth -= 1;
                cx.out_bound = cx.out_bound.max(b);
                out.push(S::If(vec![(c, vec![S::Return(e)])], None));
                cx.after_return = true;
            }
            12 => {
                let accs = cx
                    .loops
                    .last()
                    .map_or_else(Vec::new, |l| Self::accs_of(cx, l.id));
                let name = self.rng.pick(&accs).clone();
                let (e, b) = self.expr(cx, 2);
                let (e, b) = self.fit((e, b), 4.0);
                let op = *self.rng.pick(&["+=", "-=", "+="]);
                out.push(S::Compound(name.clone(), op, e));
                if let Some(v) = cx.find_mut(&name) {
                    v.growth += b;
                }
            }
            13 => {
                let e = if self.opts.deref_in_cond {
                    self.active_leaf(cx).0
                } else {
                    self.plain_leaf(cx)
                };
                if e.reads_place() && !Self::reads_window(cx, &e) {
                    out.push(S::Assert(e));
                }
            }
            14 => self.match_stmt(cx, out),
            15 => {
                let r = self.invariant_loop(cx, out);
                if cx.level() == 0 && cx.depth == 0 {
                    cx.pending.extend(r);
                }
            }
            16 => {
                let r = self.stepped_loop(cx, out);
                if cx.level() == 0 && cx.depth == 0 {
                    cx.pending.extend(r);
                }
            }
            17 => self.carried_stmt(cx, out),
            18 => self.plain_stmt(cx, out),
            19 => self.plain_rerun_if(cx, out),
            20 => self.plain_inactive_loop(cx, out),
            21 => self.binding_stmt(cx, out),
            22 => self.reduction_let(cx, out),
            23 => self.closure_def(cx, out),
            24 => self.nested_stmt(cx, out),
            25 => self.lent_stmt(cx, out),
            26 => self.undo_stmt(cx, out),
            27 => self.offset_stmt(cx, out),
            _ => self.stepped_stmt(cx, out),
        }
    }

    /// Whether a `break` / `continue` may be written here.
    fn may_jump(&self, cx: &Ctx) -> bool {
        !cx.loops.is_empty()
            && (!cx.in_block || self.opts.jump_in_block_stmt)
            && cx.no_jump != cx.loops.last().map(|l| l.id)
    }

    fn var(&self, cx: &Ctx, name: String, kind: Kind, bound: f64, mutable: bool) -> Var {
        Var {
            name,
            kind,
            bound,
            mutable,
            level: cx.level(),
            acc: None,
            growth: 0.0,
            by_ref: false,
            param: None,
            nograd: false,
            linear: false,
            index_for: None,
            not_usize: false,
            untyped_plain: false,
            active_row: false,
            uid: {
                self.uids.set(self.uids.get() + 1);
                self.uids.get()
            },
        }
    }

    /// `var`, marked as computed from `#[no_grad]` data when `e` is and the `let` has no type.
    fn declare_from(cx: &mut Ctx, mut var: Var, ty: &Option<String>, e: &E) {
        var.nograd = ty.is_none() && cx.inactive(e);
        cx.declare(var);
    }

    fn let_scalar(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        // Also when called directly (the first update of a loop body).
        self.restrict |= cx.reevaluated();
        // Shadowing: a visible scalar's name, often reading it.
        let scalars = cx.readable(|k| k == Kind::F);
        let name = if !scalars.is_empty() && self.rng.chance(0.3) && !self.fresh_only {
            let v = self.rng.pick(&scalars);
            // Not a loop element read as `*v`, nor a window's read `w[0]` (`rows`).
            if v.by_ref || v.name.contains('[') {
                self.name()
            } else {
                v.name.clone()
            }
        } else {
            self.name()
        };
        let bind = if self.opts.binding_patterns { 3 } else { 0 };
        let (e, b) = match self.rng.weighted(&[10, 2, 1, bind]) {
            0 => self.expr(cx, 3),
            3 => self.binding_expr(cx),
            1 => {
                let c = self.cond(cx, 1);
                // The arms are branches.
                cx.depth += 1;
                let (a, ba) = self.expr(cx, 2);
                let (b, bb) = self.expr(cx, 2);
                cx.depth -= 1;
                (E::If(Box::new(c), boxed(a), boxed(b)), ba.max(bb))
            }
            _ => {
                // A block expression with a local of its own.
                cx.scopes.push(Vec::new());
                let inner = self.name();
                let (a, ba) = self.expr(cx, 2);
                let v = self.var(cx, inner.clone(), Kind::F, ba, false);
                Self::declare_from(cx, v, &None, &a);
                let s = S::Let {
                    pat: inner,
                    mutable: false,
                    ty: None,
                    e: a,
                };
                let (t, bt) = self.expr(cx, 2);
                cx.scopes.pop();
                (E::Block(vec![s], boxed(t)), bt)
            }
        };
        let ty = self.rng.chance(0.15).then(|| "f64".to_string());
        let v = self.var(cx, name.clone(), Kind::F, b, false);
        Self::declare_from(cx, v, &ty, &e);
        out.push(S::Let {
            pat: name,
            mutable: false,
            ty,
            e,
        });
    }

    fn assign(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        // Also when called directly (the first update of a loop body).
        self.restrict |= cx.reevaluated();
        let targets = self.mutable_scalars(cx);
        if targets.is_empty() {
            return self.let_scalar(cx, out);
        }
        let v = self.rng.pick(&targets).clone();
        let carried = Self::carried(cx, &v);
        let cap = if carried { v.bound } else { 40.0 };
        let place = v.name.clone();
        let new_bound;
        match self.rng.weighted(&[8, 4, 3, 3, 2]) {
            0 => {
                // s = f(s, ...)
                let (e, b) = self.expr(cx, 3);
                let (e, b) = if carried && self.rng.chance(0.6) {
                    // The contractive update of the brief: s = c * (s * e + k).sin().
                    let (e, b) = self.fit((e, b), 4.0);
                    let k = self.num();
                    let inner = bin("+", bin("*", E::Place(place.clone()), e), E::Num(k));
                    let (inner, _) = self.fit((inner, v.bound * b + k), 40.0);
                    let f = if self.restrict && !self.opts.unlisted_pure_methods {
                        *self.rng.pick(&["sin", "cos"])
                    } else {
                        *self.rng.pick(&["sin", "tanh", "cos"])
                    };
                    self.fit((bin("*", E::Num(0.5), method(f, inner, vec![])), 0.5), cap)
                } else {
                    self.fit((e, b), cap)
                };
                // Not `s = s;`.
                let e = if e.render(false) == place {
                    bin("*", E::Num(0.5), e)
                } else {
                    e
                };
                out.push(S::Assign(place.clone(), e));
                new_bound = b;
            }
            1 => {
                // s *= factor
                let (e, b) = self.expr(cx, 2);
                let (e, b) = if carried {
                    self.fit((e, b), 1.0)
                } else {
                    self.fit((e, b), 4.0)
                };
                out.push(S::Compound(place.clone(), "*=", e));
                new_bound = v.bound * b;
            }
            2 => {
                // s += c * (e - s): contractive when |e| <= bound
                let (e, b) = self.expr(cx, 2);
                let (e, _) = self.fit((e, b), v.bound.max(0.5));
                let c = *self.rng.pick(&[0.5, 0.25, 0.75, 1.0]);
                out.push(S::Compound(
                    place.clone(),
                    "+=",
                    bin("*", E::Num(c), bin("-", e, E::Place(place.clone()))),
                ));
                new_bound = v.bound.max(0.5);
            }
            3 => {
                // s /= positive
                let (p, _, lo) = self.positive(cx, 1);
                if carried && lo < 1.0 {
                    let p = bin("+", p, E::Num(1.0));
                    out.push(S::Compound(place.clone(), "/=", p));
                    new_bound = v.bound;
                } else {
                    out.push(S::Compound(place.clone(), "/=", p));
                    new_bound = v.bound / lo;
                }
            }
            _ => {
                if carried {
                    // s -= 0.5 * s.sin() : |s - 0.5 sin s| <= |s| + ... keep: use contraction
                    out.push(S::Compound(
                        place.clone(),
                        "-=",
                        bin("*", E::Num(0.5), E::Place(place.clone())),
                    ));
                    new_bound = v.bound;
                } else {
                    let (e, b) = self.expr(cx, 2);
                    let op = *self.rng.pick(&["+=", "-="]);
                    out.push(S::Compound(place.clone(), op, e));
                    new_bound = v.bound + b;
                }
            }
        }
        if !carried {
            if let Some(var) = cx.find_mut(&place) {
                var.bound = var.bound.max(new_bound).min(1e6);
            }
        }
    }

    /// Tuples and arrays: construction, destructuring.
    fn aggregate(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        // Also when called directly (the first update of a loop body).
        self.restrict |= cx.reevaluated();
        match self.rng.below(6) {
            0 => {
                let name = self.name();
                let (a, ba) = self.expr(cx, 2);
                let (b, bb) = self.expr(cx, 2);
                let mutable = self.rng.chance(0.5);
                let e = E::Tuple(vec![a, b]);
                let v = self.var(cx, name.clone(), Kind::Tup2, ba.max(bb), mutable);
                Self::declare_from(cx, v, &None, &e);
                out.push(S::Let {
                    pat: name,
                    mutable,
                    ty: None,
                    e,
                });
            }
            1 => {
                let name = self.name();
                let n = self.rng.range(2, 4);
                let mut items = Vec::new();
                let mut bound: f64 = 0.0;
                for _ in 0..n {
                    let (e, b) = self.expr(cx, 2);
                    bound = bound.max(b);
                    items.push(e);
                }
                let mutable = self.rng.chance(0.5);
                let ty = self.rng.chance(0.3).then(|| format!("[f64; {n}]"));
                let e = E::Array(items);
                let v = self.var(cx, name.clone(), Kind::Arr(n), bound, mutable);
                Self::declare_from(cx, v, &ty, &e);
                out.push(S::Let {
                    pat: name,
                    mutable,
                    ty,
                    e,
                });
            }
            2 => {
                // let (p, q) = (e1, e2) or = t
                let tups = cx.readable(|k| k == Kind::Tup2);
                let (p, q) = (self.name(), self.name());
                if p == q {
                    return self.let_scalar(cx, out);
                }
                let (e, b) = if !tups.is_empty() && self.rng.chance(0.6) {
                    let t = self.rng.pick(&tups);
                    (E::Place(t.name.clone()), t.bound)
                } else {
                    let (a, ba) = self.expr(cx, 2);
                    let (b, bb) = self.expr(cx, 2);
                    (E::Tuple(vec![a, b]), ba.max(bb))
                };
                let mutable = self.rng.chance(0.3);
                let m = if mutable { "mut " } else { "" };
                let vp = self.var(cx, p.clone(), Kind::F, b, mutable);
                let vq = self.var(cx, q.clone(), Kind::F, b, false);
                Self::declare_from(cx, vp, &None, &e);
                Self::declare_from(cx, vq, &None, &e);
                out.push(S::Let {
                    pat: format!("({m}{p}, {q})"),
                    mutable: false,
                    ty: None,
                    e,
                });
            }
            3 => {
                // let [p, q, ..] = arr
                let arrs = cx.readable(|k| matches!(k, Kind::Arr(_)));
                if arrs.is_empty() {
                    return self.let_scalar(cx, out);
                }
                let a = self.rng.pick(&arrs).clone();
                let Kind::Arr(n) = a.kind else { unreachable!() };
                let names = self.pattern_names(n);
                out.push(S::Let {
                    pat: format!("[{}]", names.join(", ")),
                    mutable: false,
                    ty: None,
                    e: E::Place(a.name.clone()),
                });
                for nm in names {
                    if nm != "_" {
                        let mut v = self.var(cx, nm, Kind::F, a.bound, false);
                        v.nograd = a.nograd;
                        cx.declare(v);
                    }
                }
            }
            4 => {
                // Whole reassignment of a mutable tuple / array.
                let aggs: Vec<Var> = cx
                    .visible()
                    .into_iter()
                    .filter(|v| {
                        v.mutable
                            && matches!(v.kind, Kind::Tup2 | Kind::Arr(_))
                            && v.level >= cx.frozen
                    })
                    .cloned()
                    .collect();
                if aggs.is_empty() {
                    return self.let_scalar(cx, out);
                }
                let v = self.rng.pick(&aggs).clone();
                let cap = if Self::carried(cx, &v) { v.bound } else { 40.0 };
                let n = match v.kind {
                    Kind::Arr(n) => n,
                    _ => 2,
                };
                let mut items = Vec::new();
                let mut bound: f64 = 0.0;
                for _ in 0..n {
                    let (e, b) = self.expr(cx, 2);
                    let (e, b) = self.fit((e, b), cap);
                    bound = bound.max(b);
                    items.push(e);
                }
                if v.kind == Kind::Tup2 && self.rng.chance(0.4) {
                    // A swap-like update reading the old value.
                    items[0] = E::Place(format!("{}.1", v.name));
                    bound = bound.max(v.bound);
                }
                let e = if v.kind == Kind::Tup2 {
                    E::Tuple(items)
                } else {
                    E::Array(items)
                };
                out.push(S::Assign(v.name.clone(), e));
                if !Self::carried(cx, &v) {
                    if let Some(var) = cx.find_mut(&v.name) {
                        var.bound = var.bound.max(bound);
                    }
                }
            }
            _ => self.zero_array(cx, out, false),
        }
    }

    /// A zero array `[0.0; N]`, filled by a loop (always when `always_fill`).
    fn zero_array(&mut self, cx: &mut Ctx, out: &mut Vec<S>, always_fill: bool) {
        let name = self.name();
        let n = self.rng.range(2, 3);
        if cx.level() > 0 && !self.opts.zero_array_in_loop {
            return self.let_scalar(cx, out);
        }
        out.push(S::Let {
            pat: name.clone(),
            mutable: true,
            ty: Some(format!("[f64; {n}]")),
            e: E::Place(format!("[0.0; {n}]")),
        });
        cx.declare(self.var(cx, name.clone(), Kind::Arr(n), 2.0, true));
        // Under the emphasis switches, always: their constructs read arrays more, and a zero
        // element passed to a callee can put an `atan2` of its at the origin for every input.
        if always_fill || self.opts.emphasis() || self.rng.chance(0.7) {
            // Filled by a loop (elements left at 0.0 put `atan2` at its origin).
            let (counter, e) = self.in_fill_loop(cx, n, |this, cx, _| {
                // Reading something besides the zeros.
                let mut e = E::Num(0.5);
                for _ in 0..10 {
                    let (c, b) = this.expr(cx, 2);
                    let mut roots = Vec::new();
                    c.roots(&mut roots);
                    e = this.fit((c, b), 2.0).0;
                    if roots.iter().any(|r| *r != name) {
                        break;
                    }
                }
                e
            });
            out.push(S::For(
                format!("{counter} in 0..{n}"),
                vec![S::Assign(format!("{name}[{counter}]"), e)],
            ));
        }
    }

    fn element_assign(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        // Also when called directly (the first update of a loop body).
        self.restrict |= cx.reevaluated();
        if cx.in_top_if && !self.opts.elem_assign_near_return {
            return self.let_scalar(cx, out);
        }
        let aggs: Vec<Var> = cx
            .visible()
            .into_iter()
            .filter(|v| {
                v.mutable && matches!(v.kind, Kind::Tup2 | Kind::Arr(_)) && v.level >= cx.frozen
            })
            .cloned()
            .collect();
        if aggs.is_empty() {
            return self.aggregate(cx, out);
        }
        let v = self.rng.pick(&aggs).clone();
        let carried = Self::carried(cx, &v);
        let cap = if carried { v.bound } else { 40.0 };
        let place = match v.kind {
            Kind::Tup2 => format!("{}.{}", v.name, self.rng.below(2)),
            Kind::Arr(n) => format!("{}[{}]", v.name, self.index(cx, &v.name, Some(n))),
            _ => unreachable!(),
        };
        let (e, b) = self.expr(cx, 2);
        let (e, b) = if self.rng.chance(0.4) {
            // Read the element itself.
            let (e, b) = self.fit((e, b), 2.0);
            (
                bin(
                    "*",
                    E::Num(0.5),
                    method("sin", bin("+", E::Place(place.clone()), e), vec![]),
                ),
                0.5 + 0.0 * b,
            )
        } else {
            (e, b)
        };
        let (e, b) = self.fit((e, b), cap.max(0.5));
        out.push(S::Assign(place, e));
        if !carried {
            if let Some(var) = cx.find_mut(&v.name) {
                var.bound = var.bound.max(b);
            }
        }
    }

    fn block(&mut self, cx: &mut Ctx, n: usize) -> Vec<S> {
        let mut body = Vec::new();
        cx.scopes.push(Vec::new());
        cx.depth += 1;
        self.stmts(cx, n, &mut body);
        cx.depth -= 1;
        cx.scopes.pop();
        body
    }

    fn if_stmt(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        let in_top_if = cx.in_top_if;
        cx.in_top_if |= cx.top;
        self.if_arms(cx, out);
        cx.in_top_if = in_top_if;
    }

    fn if_arms(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        let mut arms = Vec::new();
        let n_arms = *self.rng.pick(&[1, 1, 1, 2, 3]);
        for k in 0..n_arms {
            // `else if` conditions are tested inside the previous arm's `else`.
            cx.depth += usize::from(k > 0);
            let c = self.cond(cx, 1);
            cx.depth -= usize::from(k > 0);
            let n = self.rng.range(1, 3);
            let body = self.block(cx, n);
            arms.push((c, body));
        }
        let els = if self.rng.chance(0.5) {
            let n = self.rng.range(1, 3);
            Some(self.block(cx, n))
        } else {
            None
        };
        out.push(S::If(arms, els));
    }

    fn loop_stmt(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        if self.opts.invariant_reads && self.rng.chance(0.5) {
            // An index for the loop's body to read at.
            self.invariant_index(cx, out);
        }
        self.loop_ids += 1;
        let id = self.loop_ids;
        // A state variable for the loop to overwrite, and an accumulator.
        if self.mutable_scalars(cx).is_empty() || self.rng.chance(0.3) {
            let (e, b) = self.expr(cx, 2);
            let name = self.name();
            let v = self.var(cx, name.clone(), Kind::F, b.max(1.0), true);
            Self::declare_from(cx, v, &None, &e);
            out.push(S::Let {
                pat: name,
                mutable: true,
                ty: None,
                e,
            });
        }
        if self.rng.chance(0.6) {
            let name = self.name();
            let (e, b) = if self.rng.chance(0.5) {
                (E::Num(0.0), 0.0)
            } else {
                self.expr(cx, 1)
            };
            let ty = matches!(e, E::Num(_)).then(|| "f64".to_string());
            let mut v = self.var(cx, name.clone(), Kind::F, b, true);
            v.acc = Some(id);
            Self::declare_from(cx, v, &ty, &e);
            out.push(S::Let {
                pat: name,
                mutable: true,
                ty,
                e,
            });
        }
        let slices: Vec<Var> = cx.readable(|k| matches!(k, Kind::Slice(_)));
        let ints: Vec<Var> = cx
            .readable(|k| k == Kind::Int)
            .into_iter()
            .filter(|v| v.param.is_some())
            .collect();
        let counter = self.counter_name();
        let mut info = LoopInfo {
            id,
            counter: None,
            over: None,
            trips: 0,
        };
        let mut prelude = Vec::new();
        let mut elements: Vec<Var> = Vec::new();
        let mut progress: Option<String> = None;
        enum Shape {
            For(String),
            While(C),
            Loop,
        }
        let plain_range = if self.opts.plain_calls { 5 } else { 0 };
        let (rows, windows) = if self.opts.rows { (16, 8) } else { (0, 0) };
        let nested = if self.opts.nested_rows && self.has_rows(cx) {
            30
        } else {
            0
        };
        let kind = self.rng.weighted(&[
            10,
            4,
            3,
            3,
            6,
            2,
            5,
            5,
            3,
            3,
            3,
            plain_range,
            rows,
            windows,
            nested,
        ]);
        let mut window = false;
        let shape = match kind {
            0 => {
                let k = self.rng.range(1, 5);
                info.counter = Some((counter.clone(), k - 1));
                info.trips = k;
                Shape::For(format!("{counter} in 0..{k}"))
            }
            1 if !ints.is_empty() => {
                let n = self.rng.pick(&ints).name.clone();
                info.counter = Some((counter.clone(), 4));
                info.trips = 4;
                Shape::For(format!("{counter} in 0..{n}"))
            }
            2 => {
                let k = self.rng.range(2, 5);
                info.counter = Some((counter.clone(), k - 1));
                info.trips = k;
                Shape::For(format!("{counter} in (0..{k}).rev()"))
            }
            3 => {
                let k = self.rng.range(2, 6);
                info.counter = Some((counter.clone(), k));
                info.trips = k.div_ceil(2);
                if self.rng.chance(0.5) {
                    Shape::For(format!("{counter} in (0..{k}).step_by(2)"))
                } else {
                    info.trips = k;
                    Shape::For(format!("{counter} in 1..={k}"))
                }
            }
            4 if !slices.is_empty() => {
                let s = self.rng.pick(&slices).clone();
                info.counter = Some((counter.clone(), 5));
                info.over = Some(s.name.clone());
                info.trips = 5;
                Shape::For(format!("{counter} in 0..{}.len()", s.name))
            }
            5 => {
                let k = self.rng.range(1, 4);
                info.trips = k;
                Shape::For(format!("_ in 0..{k}"))
            }
            6 if !slices.is_empty() => {
                // Idioms over an active slice.
                let s = self.rng.pick(&slices).clone();
                if s.param == Some(PKind::NoGradSlice) && !self.opts.idioms_over_no_grad {
                    let k = self.rng.range(1, 4);
                    info.trips = k;
                    Shape::For(format!("_ in 0..{k}"))
                } else {
                    info.trips = 5;
                    let el = self.name();
                    let mut v = self.var(cx, el.clone(), Kind::F, 2.0, false);
                    v.level += 1;
                    v.nograd = s.nograd;
                    match self.rng.below(4) {
                        0 => {
                            v.by_ref = true;
                            elements.push(v);
                            Shape::For(format!("{el} in {}.iter()", s.name))
                        }
                        1 => {
                            elements.push(v);
                            Shape::For(format!("&{el} in {}", s.name))
                        }
                        2 => {
                            v.by_ref = true;
                            elements.push(v);
                            info.counter = Some((counter.clone(), 5));
                            Shape::For(format!(
                                "({counter}, {el}) in {}.iter().enumerate()",
                                s.name
                            ))
                        }
                        _ => {
                            let other = self.rng.pick(&slices).clone();
                            let el2 = self.name();
                            if el2 == el {
                                elements.push(v);
                                Shape::For(format!("&{el} in {}.iter()", s.name))
                            } else {
                                v.by_ref = true;
                                let mut v2 = v.clone();
                                v2.name = el2.clone();
                                v2.nograd = other.nograd;
                                elements.push(v);
                                elements.push(v2);
                                Shape::For(format!(
                                    "({el}, {el2}) in {}.iter().zip({}.iter())",
                                    s.name, other.name
                                ))
                            }
                        }
                    }
                }
            }
            7 | 8 => {
                // while k < K, the counter bumped first.
                let k = self.rng.range(1, 5);
                prelude.push(S::Raw(format!("let mut {counter} = 0;")));
                info.counter = Some((counter.clone(), k));
                info.trips = k;
                Shape::While(C::Raw(format!("{counter} < {k}")))
            }
            9 => {
                // loop { k += 1; if k > K { break; } .. }
                let k = self.rng.range(1, 5);
                prelude.push(S::Raw(format!("let mut {counter} = 0;")));
                info.counter = Some((counter.clone(), k + 1));
                info.trips = k;
                Shape::Loop
            }
            14 => {
                // A loop over a row of arrays (`nested-rows`).
                window = true;
                match self.nested_header(cx, &mut info, &mut elements, &counter) {
                    Some(h) => Shape::For(h),
                    None => {
                        window = false;
                        let k = self.rng.range(1, 4);
                        info.trips = k;
                        Shape::For(format!("_ in 0..{k}"))
                    }
                }
            }
            12 | 13 => {
                // A row or the windows of a slice or array parameter (`rows`).
                window = kind == 13;
                let header =
                    self.rows_header(cx, window, &mut info, &mut prelude, &mut elements, &counter);
                match header {
                    Some(h) => Shape::For(h),
                    None => {
                        window = false;
                        let k = self.rng.range(1, 4);
                        info.trips = k;
                        Shape::For(format!("_ in 0..{k}"))
                    }
                }
            }
            11 => {
                // A range bounded by a plain call (`plain-calls`), which the reverse must not
                // evaluate again: `0..plain_idx(i, 4)`, `1..plain_idx(k, 5) + 1`, reversed.
                let k = self.rng.range(2, 5);
                let bound = self.plain_bound(cx, k);
                info.trips = k - 1;
                match self.rng.below(4) {
                    0 => {
                        info.counter = Some((counter.clone(), k - 2));
                        Shape::For(format!("{counter} in 0..{bound}"))
                    }
                    1 => Shape::For(format!("_ in 0..{bound}")),
                    2 => {
                        info.counter = Some((counter.clone(), k - 1));
                        Shape::For(format!("{counter} in 1..{bound} + 1"))
                    }
                    _ => {
                        info.counter = Some((counter.clone(), k - 2));
                        Shape::For(format!("{counter} in (0..{bound}).rev()"))
                    }
                }
            }
            _ => {
                // while on an active condition, with a counter as a guard.
                let k = self.rng.range(2, 6);
                prelude.push(S::Raw(format!("let mut {counter} = 0;")));
                info.counter = Some((counter.clone(), k + 1));
                info.trips = k;
                let targets: Vec<Var> = self
                    .mutable_scalars(cx)
                    .into_iter()
                    .filter(|v| v.level == cx.level())
                    .collect();
                if targets.is_empty() {
                    Shape::While(C::Raw(format!("{counter} < {k}")))
                } else {
                    let s = self.rng.pick(&targets).clone();
                    let limit = *self.rng.pick(&[0.5, 1.0, 1.5, 2.0]);
                    let step = 0.4;
                    if let Some(v) = cx.find_mut(&s.name) {
                        v.bound = v.bound.max(limit) + step * k as f64;
                    }
                    // The progress step is emitted first in the body (below).
                    progress = Some(s.name.clone());
                    let c = C::Cmp("<", E::Place(s.name.clone()), E::Num(limit));
                    if self.opts.logic_on_active && self.rng.chance(0.4) {
                        // The counter in the condition too.
                        let k_max = k + 1;
                        Shape::While(C::Logic(
                            "&&",
                            Box::new(C::Raw(format!("{counter} < {k_max}"))),
                            Box::new(c),
                        ))
                    } else {
                        Shape::While(c)
                    }
                }
            }
        };
        // Body.
        cx.loops.push(info.clone());
        cx.scopes.push(Vec::new());
        cx.depth += 1;
        let mut body = Vec::new();
        match &shape {
            Shape::While(_) | Shape::Loop => {
                body.push(S::Raw(format!("{counter} += 1;")));
                if matches!(shape, Shape::Loop) || progress.is_some() {
                    let k = info.trips;
                    body.push(S::If(
                        vec![(C::Raw(format!("{counter} > {k}")), vec![S::Break])],
                        None,
                    ));
                }
                cx.declare(self.var(
                    cx,
                    counter.clone(),
                    Kind::Int,
                    info.counter.as_ref().unwrap().1 as f64,
                    false,
                ));
            }
            Shape::For(_) => {
                if let Some((c, max)) = &info.counter {
                    cx.declare(self.var(cx, c.clone(), Kind::Int, *max as f64, false));
                }
            }
        }
        for e in elements {
            cx.declare(e);
        }
        if window {
            self.window_read(cx, &mut body, id);
        }
        if let Some(s) = progress {
            let (e, _) = self.receiver(cx, 1);
            body.push(S::Compound(
                s,
                "+=",
                bin(
                    "+",
                    E::Num(0.25),
                    bin("*", E::Num(0.1), method("sin", e, vec![])),
                ),
            ));
        }
        if self.opts.plain_calls && self.rng.chance(0.5) {
            self.plain_stmt(cx, &mut body);
        }
        let n = self.rng.range(1, 4);
        // Make the loop overwrite its state: start with an update of a carried variable.
        if self.rng.chance(0.7) {
            self.assign(cx, &mut body);
        }
        let prefix = body.len();
        // Every accumulator of this loop gets at least one increment (one left at 0.0 puts
        // kinks at constant points): drawn here, before the body's own locals, and used
        // if the body has none.
        let accs: Vec<String> = cx
            .visible()
            .iter()
            .filter(|v| v.acc == Some(id))
            .map(|v| v.name.clone())
            .collect();
        let mut spare = Vec::new();
        for name in accs {
            let saved = std::mem::replace(&mut self.restrict, true);
            let (e, b) = self.expr(cx, 2);
            let (e, b) = self.fit((e, b), 4.0);
            self.restrict = saved;
            spare.push((name, e, b));
        }
        self.stmts(cx, n, &mut body);
        for (name, e, b) in spare {
            let idle = cx.find_mut(&name).is_some_and(|v| v.growth == 0.0);
            if idle {
                body.insert(prefix, S::Compound(name.clone(), "+=", e));
                if let Some(v) = cx.find_mut(&name) {
                    v.growth += b;
                }
            }
        }
        if self.opts.plain_calls && self.rng.chance(0.4) {
            self.plain_if(cx, &mut body);
        }
        cx.depth -= 1;
        cx.scopes.pop();
        cx.loops.pop();
        // Accumulators of this loop become readable.
        for scope in cx.scopes.iter_mut() {
            for v in scope.iter_mut() {
                if v.acc == Some(id) {
                    v.acc = None;
                    v.bound += v.growth * info.trips.max(1) as f64;
                    v.growth = 0.0;
                }
            }
        }
        out.extend(prelude);
        out.push(match shape {
            Shape::For(h) => S::For(h, body),
            Shape::While(c) => S::While(c, body),
            Shape::Loop => S::Loop(body),
        });
    }

    fn call_stmt(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        // Also when called directly (the first update of a loop body).
        self.restrict |= cx.reevaluated();
        let ks = self.callable(cx, false);
        if ks.is_empty() {
            return self.let_scalar(cx, out);
        }
        let k = *self.rng.pick(&ks);
        let Some(args) = self.call_args(cx, k, 1) else {
            return self.let_scalar(cx, out);
        };
        let f = self.funcs[k].clone();
        let call = E::Call(f.name.clone(), args, None);
        if cx.reevaluated() && cx.inactive(&call) {
            // The README: an inactive value the reverse sweep needs again (in a loop or a
            // branch) must come from a pure expression, and a call is not one.
            return self.let_scalar(cx, out);
        }
        let b = f.out_bound;
        match f.ret {
            Ret::F => {
                // The README asks for the type of a call's result to be written.
                let name = self.name();
                out.push(S::Let {
                    pat: name.clone(),
                    mutable: false,
                    ty: Some("f64".to_string()),
                    e: call,
                });
                cx.declare(self.var(cx, name, Kind::F, b, false));
            }
            Ret::Tup2 => {
                if self.rng.chance(0.5) {
                    let (p, q) = (self.name(), self.name());
                    if p != q {
                        out.push(S::Let {
                            pat: format!("({p}, {q})"),
                            mutable: false,
                            ty: Some("(f64, f64)".to_string()),
                            e: call,
                        });
                        cx.declare(self.var(cx, p, Kind::F, b, false));
                        cx.declare(self.var(cx, q, Kind::F, b, false));
                        return;
                    }
                }
                let name = self.name();
                out.push(S::Let {
                    pat: name.clone(),
                    mutable: false,
                    ty: Some("(f64, f64)".to_string()),
                    e: call,
                });
                cx.declare(self.var(cx, name, Kind::Tup2, b, false));
            }
            Ret::Arr2 => {
                let name = self.name();
                out.push(S::Let {
                    pat: name.clone(),
                    mutable: false,
                    ty: Some("[f64; 2]".to_string()),
                    e: call,
                });
                cx.declare(self.var(cx, name, Kind::Arr(2), b, false));
            }
        }
    }

    fn match_stmt(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        let ints: Vec<Var> = cx.readable(|k| k == Kind::Int);
        if ints.is_empty() {
            return self.let_scalar(cx, out);
        }
        let i = self.rng.pick(&ints).name.clone();
        let mut arms = Vec::new();
        let in_top_if = cx.in_top_if;
        cx.in_top_if |= cx.top;
        for pat in ["0", "1", "_"] {
            let body = self.block(cx, 1);
            arms.push(Arm {
                pat: pat.to_string(),
                guard: None,
                body,
            });
        }
        cx.in_top_if = in_top_if;
        out.push(S::Match(format!("{i} % 3"), arms));
    }

    /// An expression of the function's return type.
    fn ret_expr(&mut self, cx: &Ctx) -> (E, f64) {
        match cx.ret {
            Ret::F => self.expr(cx, 3),
            Ret::Tup2 => {
                let tups = cx.readable(|k| k == Kind::Tup2);
                if !tups.is_empty() && self.rng.chance(0.3) {
                    let t = self.rng.pick(&tups);
                    return (E::Place(t.name.clone()), t.bound);
                }
                let (a, ba) = self.expr(cx, 2);
                let (b, bb) = self.expr(cx, 2);
                (E::Tuple(vec![a, b]), ba.max(bb))
            }
            Ret::Arr2 => {
                let arrs = cx.readable(|k| k == Kind::Arr(2));
                if !arrs.is_empty() && self.rng.chance(0.3) {
                    let t = self.rng.pick(&arrs);
                    return (E::Place(t.name.clone()), t.bound);
                }
                let (a, ba) = self.expr(cx, 2);
                let (b, bb) = self.expr(cx, 2);
                (E::Array(vec![a, b]), ba.max(bb))
            }
        }
    }

    // ----- functions -----

    /// Statements until the budget is spent.
    fn fill(&mut self, cx: &mut Ctx, body: &mut Vec<S>) {
        while cx.budget > 0 {
            let before = cx.budget;
            self.stmts(cx, 1, body);
            if before == cx.budget {
                break;
            }
        }
    }

    pub fn function(&mut self, index: usize) -> Func {
        let name = format!("f{index}");
        self.undo_out = None;
        self.offsets.clear();
        self.slot_reads.clear();
        let n_params = self.rng.range(1, 4);
        let mut params: Vec<Param> = Vec::new();
        let mut cx = Ctx {
            scopes: vec![Vec::new()],
            loops: Vec::new(),
            top: true,
            ret: Ret::F,
            out_bound: 0.0,
            depth: 0,
            after_return: false,
            in_block: false,
            in_top_if: false,
            budget: self.rng.range(3, 10),
            frozen: 0,
            no_jump: None,
            no_return: false,
            active_factor: false,
            pending: Vec::new(),
        };
        let pnames = ["x", "y", "u", "wt", "n", "xs", "ys", "q"];
        for k in 0..n_params {
            let kind = match self.rng.weighted(&[40, 4, 6, 4, 6, 12, 3, 3, 3, 6]) {
                0 => PKind::F,
                1 => PKind::NoGradF(*self.rng.pick(&[0.75, -0.5, 1.25, 0.3])),
                2 => PKind::Arr(self.rng.range(2, 3)),
                3 => PKind::Arr(2),
                4 => PKind::Tup2,
                5 => PKind::Slice,
                6 => PKind::VecRef,
                7 => PKind::RefArr(3),
                8 => PKind::NoGradSlice,
                _ => PKind::Int,
            };
            let pname = format!("{}{k}", pnames[self.rng.below(pnames.len())]);
            let mutable = kind == PKind::F && self.rng.chance(0.15);
            let (vkind, bound) = match kind {
                PKind::F => (Kind::F, 2.0),
                PKind::NoGradF(c) => (Kind::F, f64::abs(c)),
                PKind::Arr(n) => (Kind::Arr(n), 2.0),
                PKind::Tup2 => (Kind::Tup2, 2.0),
                PKind::Slice | PKind::VecRef | PKind::NoGradSlice => (Kind::Slice(None), 2.0),
                PKind::RefArr(n) => (Kind::Slice(Some(n)), 2.0),
                PKind::Int => (Kind::Int, 4.0),
                PKind::NoGradIdx | PKind::NoGradIdxArr(_) | PKind::NoGradOpt => {
                    unreachable!("added by `binding_params`")
                }
                PKind::NoGradInt => unreachable!("added by `stepped_params`"),
                PKind::Rows(_) | PKind::VecRows(_) | PKind::RefRows(..) | PKind::NoGradRows(_) => {
                    unreachable!("added by `rows_params`")
                }
            };
            let mut v = self.var(&cx, pname.clone(), vkind, bound, mutable);
            v.param = Some(kind);
            v.nograd = matches!(kind, PKind::NoGradF(_) | PKind::NoGradSlice);
            cx.declare(v);
            params.push(Param {
                name: pname,
                kind,
                mutable,
            });
        }
        if self.opts.binding_patterns {
            self.binding_params(&mut cx, &mut params);
        }
        if self.opts.nested_rows {
            self.rows_params(&mut cx, &mut params);
        }
        if self.opts.offset_reads {
            self.offset_params(&mut cx, &mut params);
        }
        if self.opts.stepped_slots {
            self.stepped_params(&mut cx, &mut params);
        }
        if !params.iter().any(|p| p.kind.active()) {
            let pname = "x9".to_string();
            let mut v = self.var(&cx, pname.clone(), Kind::F, 2.0, false);
            v.param = Some(PKind::F);
            cx.declare(v);
            params.push(Param {
                name: pname,
                kind: PKind::F,
                mutable: false,
            });
        }
        let ret = match self.rng.weighted(&[76, 12, 12]) {
            0 => Ret::F,
            1 => Ret::Tup2,
            _ => Ret::Arr2,
        };
        cx.ret = ret;
        let mut body = Vec::new();
        if self.opts.fused_loops && self.rng.chance(0.8) {
            // Statements, the loop meant to fuse, statements.
            let miss = self.draw_miss();
            cx.no_return = miss != emphasis::Miss::Return;
            cx.budget = self.rng.range(1, 4);
            self.fill(&mut cx, &mut body);
            self.fused_loop(&mut cx, &mut body, miss);
            cx.budget = self.rng.range(0, 3);
            self.fill(&mut cx, &mut body);
        } else {
            self.fill(&mut cx, &mut body);
        }
        if self.opts.undo_writes && self.rng.chance(0.7) {
            // At least one such loop in most functions.
            self.undo_stmt(&mut cx, &mut body);
        }
        if self.opts.offset_reads && self.rng.chance(0.7) {
            // At least one such loop in most functions.
            self.offset_stmt(&mut cx, &mut body);
        }
        if self.opts.stepped_slots && self.rng.chance(0.7) {
            // At least one such loop in most functions.
            self.stepped_stmt(&mut cx, &mut body);
        }
        cx.top = false;
        let linear = cx.visible().iter().any(|v| v.linear && v.kind == Kind::F);
        let undo_out = self.undo_out.take().filter(|a| {
            ret == Ret::Arr2
                && cx
                    .visible()
                    .iter()
                    .any(|v| v.name == *a && v.kind == Kind::Arr(2) && !v.linear)
        });
        let (tail, tb) = if let Some(a) = undo_out {
            // The aggregate the loop wrote is the function's value.
            let b = cx
                .visible()
                .iter()
                .find(|v| v.name == a)
                .map_or(1.0, |v| v.bound);
            (E::Place(a), b)
        } else if linear {
            self.linear_tail(&cx)
        } else if self.rng.chance(0.15) {
            let c = self.cond(&cx, 1);
            cx.depth += 1;
            let (a, ba) = self.ret_expr(&cx);
            let (b, bb) = self.ret_expr(&cx);
            cx.depth -= 1;
            (E::If(Box::new(c), boxed(a), boxed(b)), ba.max(bb))
        } else {
            self.ret_expr(&cx)
        };
        let (tail, tb) = self.with_pending(&cx, tail, tb);
        if self.opts.closures {
            let mut text = String::new();
            body.iter().for_each(|s| s.render_into(false, 0, &mut text));
            text += &tail.render(false);
            closures::type_uncalled(&mut body, &text);
        }
        let out_bound = cx.out_bound.max(tb).min(1e6);
        let callee = |name: &str| {
            self.funcs
                .iter()
                .find(|f| f.name == name)
                .map_or(1.0, |f| f.cost)
        };
        let mut calls = Vec::new();
        tail.calls(&mut calls);
        let cost = 1.0
            + body.iter().map(|s| s.cost(1.0, &callee)).sum::<f64>()
            + calls.iter().map(|c| 3.0 * callee(c)).sum::<f64>();
        let f = Func {
            name,
            params,
            ret,
            body,
            tail,
            out_bound,
            cost,
        };
        self.funcs.push(f.clone());
        f
    }
}
