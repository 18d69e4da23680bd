//! The little AST of generated bodies, and its two renderings: the `#[differentiable]`
//! function as a user would write it, and its *traced* twin, the same code in which every
//! comparison and non-smooth primitive goes through the harness module `fz` (which records the
//! distance to the nearest kink or branch boundary and the path taken).

/// A float-valued expression (or a tuple / array construction).
#[derive(Clone, Debug)]
pub enum E {
    /// A float literal.
    Num(f64),
    /// A float place read verbatim: `a`, `*v`, `t.0`, `x[i % x.len()]`, `c` (a whole tuple or
    /// array when passed as an argument).
    Place(String),
    /// An integer expression cast to a float: `i as f64`.
    Int(String),
    Neg(Box<E>),
    Bin(&'static str, Box<E>, Box<E>),
    /// A smooth method: `a.sin()`, `a.powf(b)`, `a.mul_add(b, c)`, `a.powi(3)` (the integer
    /// argument as an `E::Place`).
    Method(&'static str, Box<E>, Vec<E>),
    /// The function form `f64::name(args)`, traced or not.
    FnForm(&'static str, Vec<E>, bool),
    /// A non-smooth method, `a.abs()` / `fz::abs(a)`: the arguments after the receiver
    /// are float expressions.
    Traced(&'static str, Box<E>, Vec<E>),
    /// A call to a generated function, with an optional projection (`.0`, `[1]`).
    Call(String, Vec<E>, Option<String>),
    Tuple(Vec<E>),
    Array(Vec<E>),
    If(Box<C>, Box<E>, Box<E>),
    Block(Vec<S>, Box<E>),
    /// `match SCRUTINEE { PAT if GUARD => e, .. }` on a value that carries no floats.
    Match(String, Vec<Arm<E>>),
    /// An iterator reduction (`reductions`): `x.iter().map(|v| ..).sum::<f64>()`.
    Reduce(Box<Reduce>),
    /// A call of a local closure (`closures`), the same in the traced twin (whose closure
    /// has a traced body): `f(a, i)`, an integer argument as an `E::Place`.
    Local(String, Vec<E>),
}

/// An iterator reduction: a source, `.map(..)` stages, and a terminal, with an optional
/// projection of a tuple accumulator (`.0`).
#[derive(Clone, Debug)]
pub struct Reduce {
    /// The source verbatim: `x.iter()`, `x.iter().copied()`, `x.iter().enumerate()`,
    /// `x.iter().zip(&y)`, `(0..3)`.
    pub source: String,
    /// The locals the source reads (`x`, `y`, `n`).
    pub reads: Vec<String>,
    pub stages: Vec<Stage>,
    pub end: End,
    pub proj: Option<String>,
}

/// A closure's body: `let`s (a block body when there are any) and the value.
#[derive(Clone, Debug)]
pub struct Body {
    pub lets: Vec<(String, E)>,
    pub value: E,
}

/// A `.map(..)` stage.
#[derive(Clone, Debug)]
pub enum Stage {
    /// `.map(|PAT| BODY)`, the pattern verbatim (`&v`, `(i, &v)`, `v: f64`).
    Closure(String, Body),
    /// `.map(f64::NAME)`.
    Path(&'static str),
    /// `.map(f)` of a local closure (`closures`).
    Local(String),
}

/// How a reduction ends.
#[derive(Clone, Debug)]
pub enum End {
    /// `.sum::<f64>()`, or `.sum()` (`false`: the type comes from `let s: f64 = ..`).
    Sum(bool),
    /// `.product::<f64>()`, or `.product()`.
    Product(bool),
    /// `.fold(INIT, |ACC, ITEM| BODY)`, the patterns verbatim.
    Fold(E, String, String, Body),
    /// `.fold(INIT, f64::NAME)` with `max` / `min` (traced in the twin: `fz::max`).
    FoldPath(E, &'static str),
    /// `.collect()` (`lent-rows`), with the turbofish if given: `.collect::<Vec<f64>>()`.
    Collect(Option<String>),
}

impl Body {
    fn r(&self, t: bool) -> String {
        if self.lets.is_empty() {
            return self.value.r(t, Ctx::Top);
        }
        let mut s = String::from("{ ");
        for (name, e) in &self.lets {
            s += &format!("let {name} = {}; ", e.r(t, Ctx::Top));
        }
        s + &self.value.r(t, Ctx::Top) + " }"
    }

    fn exprs(&self) -> Vec<&E> {
        let mut v: Vec<&E> = self.lets.iter().map(|(_, e)| e).collect();
        v.push(&self.value);
        v
    }
}

impl Reduce {
    fn render(&self, t: bool) -> String {
        let mut s = self.source.clone();
        for stage in &self.stages {
            match stage {
                Stage::Closure(pat, body) => s += &format!(".map(|{pat}| {})", body.r(t)),
                Stage::Path(name) => s += &format!(".map(f64::{name})"),
                Stage::Local(name) => s += &format!(".map({name})"),
            }
        }
        let turbofish = |typed: bool| if typed { "::<f64>" } else { "" };
        match &self.end {
            End::Sum(typed) => s += &format!(".sum{}()", turbofish(*typed)),
            End::Product(typed) => s += &format!(".product{}()", turbofish(*typed)),
            End::Fold(init, acc, item, body) => {
                s += &format!(
                    ".fold({}, |{acc}, {item}| {})",
                    init.r(t, Ctx::Top),
                    body.r(t)
                )
            }
            End::FoldPath(init, name) => {
                let path = if t { "fz" } else { "f64" };
                s += &format!(".fold({}, {path}::{name})", init.r(t, Ctx::Top));
            }
            End::Collect(None) => s += ".collect()",
            End::Collect(Some(ty)) => s += &format!(".collect::<{ty}>()"),
        }
        s + self.proj.as_deref().unwrap_or("")
    }

    /// The expressions of the closures' bodies and of the fold's initial value.
    pub fn exprs(&self) -> Vec<&E> {
        let mut v = Vec::new();
        for stage in &self.stages {
            if let Stage::Closure(_, body) = stage {
                v.extend(body.exprs());
            }
        }
        match &self.end {
            End::Fold(init, _, _, body) => {
                v.push(init);
                v.extend(body.exprs());
            }
            End::FoldPath(init, _) => v.push(init),
            End::Sum(_) | End::Product(_) | End::Collect(_) => {}
        }
        v
    }
}

/// A `match` arm: the pattern verbatim (`Some(&j)`, `(Some(k), _) | (None, Some(&k))`), an
/// optional guard, and the arm's expression or statements.
#[derive(Clone, Debug)]
pub struct Arm<T> {
    pub pat: String,
    pub guard: Option<C>,
    pub body: T,
}

impl<T> Arm<T> {
    /// The pattern and its guard, as written before `=>`.
    fn head(&self, t: bool) -> String {
        match &self.guard {
            Some(g) => format!("{} if {}", self.pat, g.render(t)),
            None => self.pat.clone(),
        }
    }
}

/// A condition.
#[derive(Clone, Debug)]
pub enum C {
    /// `a > b`, `a < b`, `a >= b`, `a <= b` between float expressions: traced.
    Cmp(&'static str, E, E),
    Not(Box<C>),
    /// A verbatim boolean: a `bool` local, or a condition on integers (`i % 2 == 0`).
    Raw(String),
    /// `a && b` / `a || b`.
    Logic(&'static str, Box<C>, Box<C>),
    /// `let PAT = SCRUTINEE` (of `if let`), both verbatim: the scrutinee carries no floats.
    Let(String, String),
}

/// A statement.
#[derive(Clone, Debug)]
pub enum S {
    Let {
        pat: String,
        mutable: bool,
        ty: Option<String>,
        e: E,
    },
    LetBool(String, C),
    Assign(String, E),
    Compound(String, &'static str, E),
    /// `if c1 { .. } else if c2 { .. } else { .. }`.
    If(Vec<(C, Vec<S>)>, Option<Vec<S>>),
    /// `for HEADER { .. }`: the header verbatim (`i in 0..n`).
    For(String, Vec<S>),
    While(C, Vec<S>),
    Loop(Vec<S>),
    Block(Vec<S>),
    Break,
    Continue,
    Return(E),
    /// `match SCRUTINEE { PAT if GUARD => { .. } .. }` on a value that carries no floats.
    Match(String, Vec<Arm<Vec<S>>>),
    /// `assert!(e.is_finite());`
    Assert(E),
    /// `let NAME = |PARAMS| BODY;` (`closures`): the parameters verbatim (`t3: f64`, `z4`,
    /// `i5: usize`).
    Closure(String, Vec<String>, Body),
    /// Verbatim inactive code: `let mut k = 0;`, `k += 1;`, `assert!(..);`.
    Raw(String),
}

fn num(c: f64) -> String {
    let s = format!("{c:?}");
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.0")
    }
}

/// How an expression sits in its context, to decide on parentheses.
#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    /// An argument, a `let` initializer: nothing needed.
    Top,
    /// An operand of a binary operator or of unary minus.
    Operand,
    /// The receiver of a method call.
    Receiver,
}

impl E {
    pub fn render(&self, traced: bool) -> String {
        self.r(traced, Ctx::Top)
    }

    fn r(&self, t: bool, ctx: Ctx) -> String {
        match self {
            E::Num(c) => {
                if ctx == Ctx::Receiver {
                    format!("{}_f64", num(*c))
                } else {
                    num(*c)
                }
            }
            E::Place(p) => {
                if ctx == Ctx::Receiver && p.starts_with('*') {
                    format!("({p})")
                } else {
                    p.clone()
                }
            }
            E::Int(i) => {
                if ctx == Ctx::Top {
                    format!("{i} as f64")
                } else {
                    format!("({i} as f64)")
                }
            }
            E::Neg(a) => {
                let inner = a.r(t, Ctx::Operand);
                let s = if inner.starts_with('-') {
                    format!("-({inner})")
                } else {
                    format!("-{inner}")
                };
                if ctx == Ctx::Receiver {
                    format!("({s})")
                } else {
                    s
                }
            }
            E::Bin(op, a, b) => {
                let s = format!("{} {op} {}", a.r(t, Ctx::Operand), b.r(t, Ctx::Operand));
                if ctx == Ctx::Top {
                    s
                } else {
                    format!("({s})")
                }
            }
            E::Method(name, recv, args) => {
                let args: Vec<String> = args.iter().map(|a| a.r(t, Ctx::Top)).collect();
                format!("{}.{name}({})", recv.r(t, Ctx::Receiver), args.join(", "))
            }
            E::FnForm(name, args, traced) => {
                let args: Vec<String> = args.iter().map(|a| a.r(t, Ctx::Top)).collect();
                if t && *traced {
                    format!("fz::{name}({})", args.join(", "))
                } else {
                    format!("f64::{name}({})", args.join(", "))
                }
            }
            E::Traced(name, recv, args) => {
                if t {
                    let mut all = vec![recv.r(t, Ctx::Top)];
                    all.extend(args.iter().map(|a| a.r(t, Ctx::Top)));
                    format!("fz::{name}({})", all.join(", "))
                } else {
                    let args: Vec<String> = args.iter().map(|a| a.r(t, Ctx::Top)).collect();
                    format!("{}.{name}({})", recv.r(t, Ctx::Receiver), args.join(", "))
                }
            }
            E::Call(name, args, proj) => {
                let args: Vec<String> = args.iter().map(|a| a.r(t, Ctx::Top)).collect();
                let name = if t { format!("{name}_t") } else { name.clone() };
                format!(
                    "{name}({}){}",
                    args.join(", "),
                    proj.as_deref().unwrap_or("")
                )
            }
            E::Tuple(items) => {
                let items: Vec<String> = items.iter().map(|a| a.r(t, Ctx::Top)).collect();
                if items.len() == 1 {
                    format!("({},)", items[0])
                } else {
                    format!("({})", items.join(", "))
                }
            }
            E::Array(items) => {
                let items: Vec<String> = items.iter().map(|a| a.r(t, Ctx::Top)).collect();
                format!("[{}]", items.join(", "))
            }
            E::If(c, a, b) => {
                let s = format!(
                    "if {} {{ {} }} else {{ {} }}",
                    c.render(t),
                    a.r(t, Ctx::Top),
                    b.r(t, Ctx::Top)
                );
                if ctx == Ctx::Top {
                    s
                } else {
                    format!("({s})")
                }
            }
            E::Block(stmts, tail) => {
                let mut s = String::from("{\n");
                for st in stmts {
                    st.render_into(t, 1, &mut s);
                }
                s += &format!("    {}\n}}", tail.r(t, Ctx::Top));
                if ctx == Ctx::Top {
                    s
                } else {
                    format!("({s})")
                }
            }
            E::Match(scrutinee, arms) => {
                let arms: Vec<String> = arms
                    .iter()
                    .map(|a| format!("{} => {}", a.head(t), a.body.r(t, Ctx::Top)))
                    .collect();
                let s = format!("match {scrutinee} {{ {} }}", arms.join(", "));
                if ctx == Ctx::Top {
                    s
                } else {
                    format!("({s})")
                }
            }
            // A method chain binds tighter than any operator.
            E::Reduce(r) => r.render(t),
            E::Local(name, args) => {
                let args: Vec<String> = args.iter().map(|a| a.r(t, Ctx::Top)).collect();
                format!("{name}({})", args.join(", "))
            }
        }
    }

    /// The names of the locals the expression reads (`x` for `x[i]`, `*x`, `x.0`).
    pub fn roots(&self, out: &mut Vec<String>) {
        match self {
            E::Num(_) => {}
            E::Place(p) => {
                let name: String = p
                    .trim_start_matches(['*', '&'])
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
                    out.push(name);
                }
            }
            E::Int(i) => out.push(i.clone()),
            E::Neg(a) => a.roots(out),
            E::Bin(_, a, b) => {
                a.roots(out);
                b.roots(out);
            }
            E::Method(_, r, args) | E::Traced(_, r, args) => {
                r.roots(out);
                args.iter().for_each(|a| a.roots(out));
            }
            E::FnForm(_, args, _) | E::Call(_, args, _) | E::Tuple(args) | E::Array(args) => {
                args.iter().for_each(|a| a.roots(out))
            }
            E::If(c, a, b) => {
                c.roots(out);
                a.roots(out);
                b.roots(out);
            }
            E::Block(_, tail) => {
                // Conservatively: a marker that is never a local.
                out.push("<block>".into());
                tail.roots(out);
            }
            E::Match(_, arms) => {
                out.push("<raw>".into());
                for a in arms {
                    if let Some(g) = &a.guard {
                        g.roots(out);
                    }
                    a.body.roots(out);
                }
            }
            E::Reduce(r) => {
                // Conservatively, as for a block: the closures' parameters are read too.
                out.push("<block>".into());
                out.extend(r.reads.iter().cloned());
                r.exprs().into_iter().for_each(|e| e.roots(out));
            }
            E::Local(name, args) => {
                out.push(name.clone());
                args.iter().for_each(|a| a.roots(out));
            }
        }
    }

    /// Whether the macro can tell that evaluating the expression again gives the same value
    /// (`is_pure` in vjp-macro/src/plan.rs): no calls, and only the listed methods
    /// (`all_methods`: every float method the generator uses).
    pub fn pure(&self, all_methods: bool) -> bool {
        const LISTED: &[&str] = &[
            "abs", "min", "max", "powi", "powf", "sqrt", "signum", "floor", "ceil", "round",
            "trunc", "exp", "ln", "sin", "cos", "clone",
        ];
        match self {
            E::Num(_) | E::Place(_) | E::Int(_) => true,
            E::Neg(a) => a.pure(all_methods),
            E::Bin(_, a, b) => a.pure(all_methods) && b.pure(all_methods),
            E::Method(name, r, args) | E::Traced(name, r, args) => {
                (all_methods || LISTED.contains(name))
                    && r.pure(all_methods)
                    && args.iter().all(|a| a.pure(all_methods))
            }
            E::FnForm(name, args, _) => {
                (all_methods || ["min", "max"].contains(name))
                    && args.iter().all(|a| a.pure(all_methods))
            }
            E::Tuple(args) | E::Array(args) => args.iter().all(|a| a.pure(all_methods)),
            E::Call(..)
            | E::If(..)
            | E::Block(..)
            | E::Match(..)
            | E::Reduce(..)
            | E::Local(..) => false,
        }
    }

    /// The generated functions the expression calls.
    pub fn calls(&self, out: &mut Vec<String>) {
        if let E::Call(name, ..) = self {
            out.push(name.clone());
        }
        if let E::If(c, ..) = self {
            c.calls(out);
        }
        if let E::Block(stmts, _) = self {
            stmts.iter().for_each(|s| s.calls(out));
        }
        if let E::Match(_, arms) = self {
            arms.iter()
                .flat_map(|a| &a.guard)
                .for_each(|g| g.calls(out));
        }
        if let E::Reduce(r) = self {
            r.exprs().into_iter().for_each(|e| e.calls(out));
        }
        for c in self.children() {
            c.calls(out);
        }
    }

    /// The direct subexpressions.
    pub fn children(&self) -> Vec<&E> {
        match self {
            E::Num(_) | E::Place(_) | E::Int(_) => vec![],
            E::Neg(a) => vec![a],
            E::Bin(_, a, b) => vec![a, b],
            E::Method(_, r, args) | E::Traced(_, r, args) => {
                let mut v: Vec<&E> = vec![r];
                v.extend(args.iter());
                v
            }
            E::FnForm(_, args, _)
            | E::Call(_, args, _)
            | E::Tuple(args)
            | E::Array(args)
            | E::Local(_, args) => args.iter().collect(),
            E::If(_, a, b) => vec![a, b],
            E::Block(_, t) => vec![t],
            E::Match(_, arms) => arms.iter().map(|a| &a.body).collect(),
            // The closures' bodies read their parameters, which are no locals outside: see
            // `Reduce::exprs`.
            E::Reduce(_) => vec![],
        }
    }

    /// Whether the expression reads a place (so that it is not a bare literal).
    pub fn reads_place(&self) -> bool {
        match self {
            E::Num(_) => false,
            E::Place(_)
            | E::Int(_)
            | E::Call(..)
            | E::Block(..)
            | E::If(..)
            | E::Match(..)
            | E::Reduce(..)
            | E::Local(..) => true,
            E::Neg(a) => a.reads_place(),
            E::Bin(_, a, b) => a.reads_place() || b.reads_place(),
            E::Method(_, r, args) | E::Traced(_, r, args) => {
                r.reads_place() || args.iter().any(E::reads_place)
            }
            E::FnForm(_, args, _) | E::Tuple(args) | E::Array(args) => {
                args.iter().any(E::reads_place)
            }
        }
    }
}

impl C {
    pub fn roots(&self, out: &mut Vec<String>) {
        match self {
            C::Cmp(_, a, b) => {
                a.roots(out);
                b.roots(out);
            }
            C::Not(c) => c.roots(out),
            C::Raw(_) | C::Let(..) => out.push("<raw>".into()),
            C::Logic(_, a, b) => {
                a.roots(out);
                b.roots(out);
            }
        }
    }

    pub fn calls(&self, out: &mut Vec<String>) {
        match self {
            C::Cmp(_, a, b) => {
                a.calls(out);
                b.calls(out);
            }
            C::Not(c) => c.calls(out),
            C::Raw(_) | C::Let(..) => {}
            C::Logic(_, a, b) => {
                a.calls(out);
                b.calls(out);
            }
        }
    }

    /// Whether the condition dereferences a loop element (`*v`).
    pub fn derefs(&self) -> bool {
        fn e_derefs(e: &E) -> bool {
            matches!(e, E::Place(p) if p.starts_with('*')) || e.children().into_iter().any(e_derefs)
        }
        match self {
            C::Cmp(_, a, b) => e_derefs(a) || e_derefs(b),
            C::Not(c) => c.derefs(),
            C::Raw(_) | C::Let(..) => false,
            C::Logic(_, a, b) => a.derefs() || b.derefs(),
        }
    }

    /// See [`E::pure`].
    pub fn pure(&self, all_methods: bool) -> bool {
        match self {
            C::Cmp(_, a, b) => a.pure(all_methods) && b.pure(all_methods),
            C::Not(c) => c.pure(all_methods),
            C::Raw(_) | C::Let(..) => true,
            C::Logic(_, a, b) => a.pure(all_methods) && b.pure(all_methods),
        }
    }

    pub fn render(&self, t: bool) -> String {
        match self {
            C::Cmp(op, a, b) => {
                if t {
                    let f = match *op {
                        ">" => "gt",
                        "<" => "lt",
                        ">=" => "ge",
                        _ => "le",
                    };
                    format!("fz::{f}({}, {})", a.render(t), b.render(t))
                } else {
                    format!("{} {op} {}", a.r(t, Ctx::Operand), b.r(t, Ctx::Operand))
                }
            }
            C::Not(c) => format!("!({})", c.render(t)),
            C::Raw(s) => s.clone(),
            C::Let(pat, scrutinee) => format!("let {pat} = {scrutinee}"),
            C::Logic(op, a, b) => format!("({}) {op} ({})", a.render(t), b.render(t)),
        }
    }
}

/// The largest trip count of a `for` with this header: the literal end of a range
/// (`0..4`, `(0..3).rev()`, `1..=2`, `c..3`, `(0..6).step_by(2)`), 4 for a `usize` parameter
/// (`0..n`), 5 over a slice.
fn trips(header: &str) -> f64 {
    let iter = header.split_once(" in ").map_or(header, |(_, i)| i);
    if iter.contains(".len()")
        || iter.contains(".iter()")
        || iter.starts_with('&')
        || !iter.contains("..")
    {
        return 5.0;
    }
    let end = iter.rsplit_once("..").map_or("", |(_, e)| e);
    let digits: String = end
        .trim_start_matches('=')
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse::<f64>().unwrap_or(4.0)
}

fn indent(level: usize) -> String {
    "    ".repeat(level)
}

impl S {
    /// A rough cost of running the statement: 1 per statement run, times the trips of the
    /// loops around it (`mult` for the statement itself), and for each call 3 times the
    /// callee's cost (the call, and the callee's `_vjp` and `_jvp` in the derivatives).
    pub fn cost(&self, mult: f64, callee: &dyn Fn(&str) -> f64) -> f64 {
        let calls =
            |names: Vec<String>| -> f64 { names.iter().map(|n| 3.0 * mult * callee(n)).sum() };
        let e_calls = |e: &E| {
            let mut v = Vec::new();
            e.calls(&mut v);
            calls(v)
        };
        let c_calls = |c: &C| {
            let mut v = Vec::new();
            c.calls(&mut v);
            calls(v)
        };
        let block =
            |body: &[S], mult: f64| -> f64 { body.iter().map(|s| s.cost(mult, callee)).sum() };
        mult + match self {
            S::Let { e, .. }
            | S::Assign(_, e)
            | S::Compound(_, _, e)
            | S::Return(e)
            | S::Assert(e) => e_calls(e),
            S::LetBool(_, c) => c_calls(c),
            S::If(arms, els) => {
                arms.iter()
                    .map(|(c, body)| c_calls(c) + block(body, mult))
                    .sum::<f64>()
                    + els.as_ref().map_or(0.0, |b| block(b, mult))
            }
            S::For(header, body) => block(body, mult * trips(header)),
            S::While(c, body) => {
                let mut v = Vec::new();
                c.calls(&mut v);
                v.iter().map(|n| 3.0 * 6.0 * mult * callee(n)).sum::<f64>()
                    + block(body, mult * 6.0)
            }
            S::Loop(body) => block(body, mult * 6.0),
            S::Block(body) => block(body, mult),
            S::Match(_, arms) => arms.iter().map(|a| block(&a.body, mult)).sum(),
            // The calls in its body, as if it were called a few times where it is made.
            S::Closure(_, _, body) => body.exprs().into_iter().map(|e| 4.0 * e_calls(e)).sum(),
            S::Break | S::Continue | S::Raw(_) => 0.0,
        }
    }

    /// The generated functions the statement calls.
    pub fn calls(&self, out: &mut Vec<String>) {
        match self {
            S::Let { e, .. } | S::Assign(_, e) | S::Compound(_, _, e) | S::Return(e) => {
                e.calls(out)
            }
            S::Assert(e) => e.calls(out),
            S::LetBool(_, c) => c.calls(out),
            S::If(arms, els) => {
                for (c, body) in arms {
                    c.calls(out);
                    body.iter().for_each(|s| s.calls(out));
                }
                if let Some(body) = els {
                    body.iter().for_each(|s| s.calls(out));
                }
            }
            S::While(c, body) => {
                c.calls(out);
                body.iter().for_each(|s| s.calls(out));
            }
            S::For(_, body) | S::Loop(body) | S::Block(body) => {
                body.iter().for_each(|s| s.calls(out))
            }
            S::Match(_, arms) => {
                for a in arms {
                    if let Some(g) = &a.guard {
                        g.calls(out);
                    }
                    a.body.iter().for_each(|s| s.calls(out));
                }
            }
            S::Closure(_, _, body) => body.exprs().into_iter().for_each(|e| e.calls(out)),
            S::Break | S::Continue | S::Raw(_) => {}
        }
    }

    pub fn render_into(&self, t: bool, level: usize, out: &mut String) {
        let ind = indent(level);
        match self {
            S::Let {
                pat,
                mutable,
                ty,
                e,
            } => {
                let m = if *mutable { "mut " } else { "" };
                let ty = ty.as_ref().map(|t| format!(": {t}")).unwrap_or_default();
                out.push_str(&format!("{ind}let {m}{pat}{ty} = {};\n", e.render(t)));
            }
            S::LetBool(name, c) => {
                out.push_str(&format!("{ind}let {name} = {};\n", c.render(t)));
            }
            S::Assign(place, e) => out.push_str(&format!("{ind}{place} = {};\n", e.render(t))),
            S::Compound(place, op, e) => {
                out.push_str(&format!("{ind}{place} {op} {};\n", e.render(t)))
            }
            S::If(arms, els) => {
                for (k, (c, body)) in arms.iter().enumerate() {
                    if k == 0 {
                        out.push_str(&format!("{ind}if {} {{\n", c.render(t)));
                    } else {
                        out.push_str(&format!("{ind}}} else if {} {{\n", c.render(t)));
                    }
                    for s in body {
                        s.render_into(t, level + 1, out);
                    }
                }
                if let Some(body) = els {
                    out.push_str(&format!("{ind}}} else {{\n"));
                    for s in body {
                        s.render_into(t, level + 1, out);
                    }
                }
                out.push_str(&format!("{ind}}}\n"));
            }
            S::For(header, body) => {
                out.push_str(&format!("{ind}for {header} {{\n"));
                for s in body {
                    s.render_into(t, level + 1, out);
                }
                out.push_str(&format!("{ind}}}\n"));
            }
            S::While(c, body) => {
                out.push_str(&format!("{ind}while {} {{\n", c.render(t)));
                for s in body {
                    s.render_into(t, level + 1, out);
                }
                out.push_str(&format!("{ind}}}\n"));
            }
            S::Loop(body) => {
                out.push_str(&format!("{ind}loop {{\n"));
                for s in body {
                    s.render_into(t, level + 1, out);
                }
                out.push_str(&format!("{ind}}}\n"));
            }
            S::Block(body) => {
                out.push_str(&format!("{ind}{{\n"));
                for s in body {
                    s.render_into(t, level + 1, out);
                }
                out.push_str(&format!("{ind}}}\n"));
            }
            S::Break => out.push_str(&format!("{ind}break;\n")),
            S::Continue => out.push_str(&format!("{ind}continue;\n")),
            S::Return(e) => out.push_str(&format!("{ind}return {};\n", e.render(t))),
            S::Match(scrutinee, arms) => {
                out.push_str(&format!("{ind}match {scrutinee} {{\n"));
                for a in arms {
                    out.push_str(&format!("{ind}    {} => {{\n", a.head(t)));
                    for s in &a.body {
                        s.render_into(t, level + 2, out);
                    }
                    out.push_str(&format!("{ind}    }}\n"));
                }
                out.push_str(&format!("{ind}}}\n"));
            }
            S::Assert(e) => out.push_str(&format!(
                "{ind}assert!({}.is_finite());\n",
                e.r(t, Ctx::Receiver)
            )),
            S::Raw(s) => out.push_str(&format!("{ind}{s}\n")),
            S::Closure(name, params, body) => out.push_str(&format!(
                "{ind}let {name} = |{}| {};\n",
                params.join(", "),
                body.r(t)
            )),
        }
    }
}
