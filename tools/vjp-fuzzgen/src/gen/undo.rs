//! The `undo-writes` emphasis switch: loops that write elements of a local aggregate they
//! carry while their reverse reads it (`a[i] = 0.5 * (a[i - 1] * e + c).sin()`, a trajectory
//! `a[i + 1] = f(a[i])`, a recurrence over time `for t { for i { a[i] = 0.9 * (w * a[i] +
//! x[t]).tanh() } }`, Gauss–Seidel sweeps), which the macro reverses with an undo log: the
//! forward sweep saves the elements each iteration overwrites, the reverse puts them back into
//! one copy of the aggregate (`vjp-macro/src/undo.rs`), instead of saving the whole aggregate
//! every iteration.
//!
//! The aggregates: a local `[f64; N]` (`N` 2 to 5, a literal or filled by a loop), a
//! `Vec<f64>` (`vec![0.0; K]` filled by a loop, or collected from a slice parameter, so of its
//! length), a `[[f64; N]; M]` and a `Vec<[f64; 2]>`. The loops: `for` over `1..L` (reading
//! `a[i - 1]`), `0..L - 1` (writing `a[i + 1]`), `0..L` and `(0..L).rev()` (in place, reading
//! neighbours `(i + 1) % L`, `(i + L - 1) % L`, computed indices `(i * 3 + 1) % L`), an index
//! computed in the body (`let j = (i * 3 + 1) % L;`) or kept in an integer slot that the body
//! steps (`k = (k + 2) % L;`), `while` loops with the test first, a time loop around a sweep,
//! Gauss–Seidel sweeps (`g += 0.2 * a[j] * e` over `j != i`, then `a[i] = 0.5 * (c - g)`),
//! rows of a matrix (`m[i][j] = W(m[i - 1][j], ..)`, `m[i][0] = ..; m[i][1] = W(m[i][0], ..)`,
//! whole rows `m[i] = [..]`). Bodies read the aggregate before, between and after the writes
//! (into an accumulator, into a local the next write reads, in an `if` condition), write a
//! second element or the same one twice, lend the aggregate to a callee between writes
//! (`g(&a)`) and run a random statement. About a third of the loops have one of the shapes the
//! macro must fall back on (saving the whole aggregate): a write inside an `if`, a `continue`
//! or `break`, an old version read after a later write (`let old = a; a[i] = ..; s +=
//! old[j] * e`).
//!
//! Bounds: elements stay within 1 in magnitude (every write is `0.5 * (..).sin()`,
//! `0.9 * (..).tanh()`, `r + 0.5 * (e - r)`, `r * e.cos()`, `r.mul_add(0.5, 0.25 * c.tanh())`
//! of elements within 1 and bounded terms), and each write's derivative with respect to the
//! elements it reads is at most 1 in sum, so nests that write 20 times do not amplify. The
//! aggregate is hidden from random expressions while its loop is written (their derivatives
//! are not controlled), and visible afterwards. After the loop it is used: indexed, summed
//! (`a.iter().sum::<f64>()`), lent to a callee, or (a `[f64; 2]` among the function's own
//! statements) returned as the function's value.

use super::{bin, method, Ctx, Gen, Kind, LoopInfo, Ret};
use crate::ast::{C, E, S};

/// The aggregate a construct writes.
#[derive(Clone, Debug, PartialEq)]
enum Shape {
    /// `[f64; N]`.
    Arr(usize),
    /// `Vec<f64>` of a literal length, or collected from a slice parameter (of its length, 2
    /// to 5).
    Vec(usize, Option<String>),
    /// `[[f64; N]; M]`: `N` columns, `M` rows.
    Mat(usize, usize),
    /// `Vec<[f64; 2]>` of 2 to 4 points.
    Pts(usize),
}

/// The aggregate of one construct.
struct U {
    name: String,
    shape: Shape,
    /// Its length (rows), as the loops write it: `a.len()`, a literal, `x.len()`.
    len: String,
    /// The largest value of `len`.
    max: usize,
    /// The number of columns of a matrix or of points.
    cols: Option<usize>,
}

/// What makes the macro fall back to saving the whole aggregate, if anything.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Twist {
    None,
    /// A write inside an `if`.
    WriteInIf,
    /// `if c { continue; }` (`break` in a `while`).
    Continue,
    /// `if c { break; }`.
    Break,
    /// `let old = a;` before a write, `old[j]` read after it.
    OldRead,
}

/// What a loop body is made of, besides its random parts.
struct Plan<'a> {
    /// The accumulator the reads go into.
    s: &'a str,
    /// The main write's place and the place its value reads.
    tgt: String,
    main: String,
    /// Places that may be read, and written by a second write.
    places: Vec<String>,
    /// A counter for conditions (`i % 2 == 0`, `i == 1`).
    counter: String,
    twist: Twist,
    in_while: bool,
    /// Statements at the top of the body (after an early jump).
    pre: Vec<S>,
    /// The main write's value, when the loop has its own (Gauss–Seidel, whole rows).
    value: Option<E>,
    /// An index the body computes at its top (`let j = (i * 3 + 1) % L;`) and the expression:
    /// a write wrapped in an `if` may compute it again inside the branch, under a name of its
    /// own (`if c { let j2 = (i * 3 + 1) % L; a[j2] = ..; }`).
    branch_index: Option<(String, String)>,
}

impl<'a> Plan<'a> {
    /// A plan for a `for` loop, with nothing at the top of its body and the main write's value
    /// drawn with it.
    fn new(
        s: &'a str,
        tgt: String,
        main: String,
        places: Vec<String>,
        counter: String,
        twist: Twist,
    ) -> Self {
        Plan {
            s,
            tgt,
            main,
            places,
            counter,
            twist,
            in_while: false,
            pre: Vec::new(),
            value: None,
            branch_index: None,
        }
    }
}

impl Gen {
    /// A loop writing an aggregate it reads, among ordinary statements; its result used like a
    /// `carried-counters` nest's.
    pub(super) fn undo_stmt(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        if let Some(r) = self.undo_loop(cx, out) {
            self.use_float(cx, out, r);
        }
    }

    /// Declares an aggregate, writes a loop (or a nest) that writes elements of it and reads
    /// it, and uses it after: returns a float local for the caller to add in.
    pub(super) fn undo_loop(&mut self, cx: &mut Ctx, out: &mut Vec<S>) -> Option<String> {
        self.restrict |= cx.reevaluated();
        let u = self.undo_agg(cx, out);
        self.loop_ids += 1;
        let id = self.loop_ids;
        self.fresh += 1;
        let s = format!("us{}", self.fresh);
        out.push(S::Let {
            pat: s.clone(),
            mutable: true,
            ty: Some("f64".into()),
            e: E::Num(0.0),
        });
        let mut sv = self.var(cx, s.clone(), Kind::F, 0.0, true);
        sv.acc = Some(id);
        cx.declare(sv);
        Self::hide(cx, &u.name, true);
        let restrict = std::mem::replace(&mut self.restrict, true);
        let budget = std::mem::replace(&mut cx.budget, self.rng.range(1, 2));
        let no_jump = cx.no_jump;
        let twist = match self.rng.weighted(&[13, 2, 2, 1, 2]) {
            0 => Twist::None,
            1 => Twist::WriteInIf,
            2 => Twist::Continue,
            3 => Twist::Break,
            _ => Twist::OldRead,
        };
        let trips = if u.cols.is_some() {
            self.undo_2d(cx, out, &u, &s, id, twist)
        } else {
            self.undo_1d(cx, out, &u, &s, id, twist)
        };
        cx.no_jump = no_jump;
        cx.budget = budget;
        self.restrict = restrict;
        if let Some(v) = cx.find_mut(&s) {
            v.acc = None;
            v.bound = (v.growth * trips.max(1) as f64).max(1.0);
            v.growth = 0.0;
        }
        Self::hide(cx, &u.name, false);
        self.undo_use(cx, out, &u, &s)
    }

    /// Hides the aggregate from random expressions and writes (while its loop is written), or
    /// shows it again.
    fn hide(cx: &mut Ctx, name: &str, hidden: bool) {
        if let Some(v) = cx.find_mut(name) {
            v.linear = hidden;
            v.mutable = !hidden;
        }
    }

    /// An element that reads an active parameter, within 1: `0.5 * (x + c).sin()`.
    fn undo_item(&mut self, cx: &Ctx) -> E {
        let p = match self.active_param_read(cx) {
            Some(p) => p,
            None => self.active_leaf(cx),
        };
        let (c, _) = self.expr(cx, 1);
        let (c, _) = self.fit((c, 1.0), 1.0);
        let x = bin("*", E::Num(*self.rng.pick(&[1.5, 0.75, 1.0])), p.0);
        bin("*", E::Num(0.5), method("sin", bin("+", x, c), vec![]))
    }

    /// `for i in 0..len { a[i] = 0.5 * (e + 0.3 * (i as f64)).sin(); }` (`a[i] = [.., ..]`
    /// for points): every element different and active.
    fn undo_fill(
        &mut self,
        cx: &mut Ctx,
        name: &str,
        len: &str,
        max: usize,
        cols: Option<usize>,
    ) -> S {
        self.loop_ids += 1;
        let i = self.counter_name();
        let info = LoopInfo {
            id: self.loop_ids,
            counter: Some((i.clone(), max - 1)),
            over: None,
            trips: max,
        };
        self.open_loop(cx, &info);
        let restrict = std::mem::replace(&mut self.restrict, true);
        let item = |this: &mut Self, k: f64| {
            let e = this.undo_item(cx);
            bin(
                "*",
                E::Num(0.5),
                method(
                    if k > 0.25 { "sin" } else { "cos" },
                    bin("+", e, bin("*", E::Num(k), E::Int(i.clone()))),
                    vec![],
                ),
            )
        };
        let value = match cols {
            Some(n) => E::Array((0..n).map(|c| item(self, [0.3, 0.2, 0.7][c % 3])).collect()),
            None => item(self, 0.3),
        };
        self.restrict = restrict;
        Self::close_loop(cx);
        S::For(
            format!("{i} in 0..{len}"),
            vec![S::Assign(format!("{name}[{i}]"), value)],
        )
    }

    /// The aggregate, declared into `out` and `cx` (hidden by the caller while its loop is
    /// written).
    fn undo_agg(&mut self, cx: &mut Ctx, out: &mut Vec<S>) -> U {
        let slices: Vec<String> = cx
            .readable(|k| k == Kind::Slice(None))
            .into_iter()
            .filter(|v| v.param.is_some() && !v.nograd)
            .map(|v| v.name)
            .collect();
        self.fresh += 1;
        let name = format!("ua{}", self.fresh);
        let shape = match self.rng.weighted(&[5, 5, 3, 3]) {
            0 => Shape::Arr(self.rng.range(2, 5)),
            1 => {
                let x = (!slices.is_empty() && self.rng.chance(0.35))
                    .then(|| self.rng.pick(&slices).clone());
                Shape::Vec(self.rng.range(2, 5), x)
            }
            2 => Shape::Mat(self.rng.range(2, 3), self.rng.range(2, 3)),
            _ => Shape::Pts(self.rng.range(2, 4)),
        };
        let (max, lit, cols) = match &shape {
            Shape::Arr(n) => (*n, n.to_string(), None),
            Shape::Vec(k, None) => (*k, k.to_string(), None),
            Shape::Vec(_, Some(x)) => (5, format!("{x}.len()"), None),
            Shape::Mat(n, m) => (*m, m.to_string(), Some(*n)),
            Shape::Pts(k) => (*k, k.to_string(), Some(2)),
        };
        // Not `a.len()` for a `Vec`: `a[(i + 1) % a.len()] = ..` borrows it while it is
        // borrowed mutably (E0502).
        let vec = matches!(shape, Shape::Vec(..) | Shape::Pts(_));
        let len = if self.rng.chance(0.5) && !vec {
            format!("{name}.len()")
        } else {
            lit.clone()
        };
        let kind = match &shape {
            Shape::Arr(n) => Kind::Arr(*n),
            Shape::Vec(..) => Kind::VecF,
            Shape::Mat(n, m) => Kind::Rows(*n, Some(*m)),
            Shape::Pts(_) => Kind::Rows(2, None),
        };
        let restrict = self.restrict;
        match &shape {
            Shape::Arr(n) if self.rng.chance(0.5) => {
                let items = (0..*n).map(|_| self.undo_item(cx)).collect();
                let ty = self.rng.chance(0.4).then(|| format!("[f64; {n}]"));
                out.push(S::Let {
                    pat: name.clone(),
                    mutable: true,
                    ty,
                    e: E::Array(items),
                });
            }
            Shape::Arr(n) => {
                out.push(S::Let {
                    pat: name.clone(),
                    mutable: true,
                    ty: Some(format!("[f64; {n}]")),
                    e: E::Place(format!("[0.0; {n}]")),
                });
                let fill = self.undo_fill(cx, &name, &lit, max, None);
                out.push(fill);
            }
            Shape::Vec(_, Some(x)) => {
                self.fresh += 1;
                let t = format!("ut{}", self.fresh);
                let a = *self.rng.pick(&[1.5, 0.75, -1.25]);
                let c = *self.rng.pick(&[0.25, 0.5, -0.3]);
                let (pat, read) = if self.rng.chance(0.5) {
                    (format!("&{t}"), t.clone())
                } else {
                    (t.clone(), format!("*{t}"))
                };
                out.push(S::Let {
                    pat: name.clone(),
                    mutable: true,
                    ty: Some("Vec<f64>".into()),
                    e: E::Place(format!(
                        "{x}.iter().map(|{pat}| 0.5 * ({a:?} * {read} + {c:?}).sin()).collect()"
                    )),
                });
            }
            Shape::Vec(k, None) => {
                out.push(S::Let {
                    pat: name.clone(),
                    mutable: true,
                    ty: self.rng.chance(0.4).then(|| "Vec<f64>".into()),
                    e: E::Place(format!("vec![0.0; {k}]")),
                });
                let fill = self.undo_fill(cx, &name, &format!("{name}.len()"), max, None);
                out.push(fill);
            }
            Shape::Mat(n, m) => {
                let rows = (0..*m)
                    .map(|_| E::Array((0..*n).map(|_| self.undo_item(cx)).collect()))
                    .collect();
                let ty = self.rng.chance(0.4).then(|| format!("[[f64; {n}]; {m}]"));
                out.push(S::Let {
                    pat: name.clone(),
                    mutable: true,
                    ty,
                    e: E::Array(rows),
                });
            }
            Shape::Pts(k) => {
                out.push(S::Let {
                    pat: name.clone(),
                    mutable: true,
                    ty: self.rng.chance(0.4).then(|| "Vec<[f64; 2]>".into()),
                    e: E::Place(format!("vec![[0.0; 2]; {k}]")),
                });
                let fill = self.undo_fill(cx, &name, &format!("{name}.len()"), max, Some(2));
                out.push(fill);
            }
        }
        self.restrict = restrict;
        let mut v = self.var(cx, name.clone(), kind, 1.0, true);
        v.active_row = true;
        cx.declare(v);
        U {
            name,
            shape,
            len,
            max,
            cols,
        }
    }

    /// A new loop's info and id.
    fn undo_info(
        &mut self,
        id: Option<usize>,
        counter: &str,
        max: usize,
        trips: usize,
    ) -> LoopInfo {
        let id = id.unwrap_or_else(|| {
            self.loop_ids += 1;
            self.loop_ids
        });
        LoopInfo {
            id,
            counter: Some((counter.to_string(), max)),
            over: None,
            trips,
        }
    }

    /// The loops over a flat aggregate: returns the trips of the innermost body in all.
    fn undo_1d(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        u: &U,
        s: &str,
        id: usize,
        twist: Twist,
    ) -> usize {
        let a = &u.name;
        let l = &u.len;
        let top = cx.level() == 0;
        let form = self
            .rng
            .weighted(&[3, 3, 3, 2, 2, 2, 1, if top { 2 } else { 0 }, 2]);
        let i = self.counter_name();
        let sweep_places = |i: &str| {
            vec![
                format!("{a}[{i}]"),
                format!("{a}[({i} + 1) % {l}]"),
                format!("{a}[({i} + {l} - 1) % {l}]"),
                format!("{a}[({i} * 3 + 1) % {l}]"),
                format!("{a}[{l} - 1 - {i}]"),
            ]
        };
        match form {
            // Scan: `a[i] = W(a[i - 1])`.
            0..=2 => {
                let (header, tgt, main, places, trips) = match form {
                    0 => (
                        format!("{i} in 1..{l}"),
                        format!("{a}[{i}]"),
                        format!("{a}[{i} - 1]"),
                        vec![
                            format!("{a}[{i} - 1]"),
                            format!("{a}[{i}]"),
                            format!("{a}[0]"),
                            format!("{a}[({i} + 1) % {l}]"),
                            format!("{a}[({i} * 3 + 1) % {l}]"),
                        ],
                        u.max - 1,
                    ),
                    1 => (
                        format!("{i} in 0..{l} - 1"),
                        format!("{a}[{i} + 1]"),
                        format!("{a}[{i}]"),
                        vec![
                            format!("{a}[{i}]"),
                            format!("{a}[{i} + 1]"),
                            format!("{a}[({i} + 2) % {l}]"),
                            format!("{a}[{l} - 1 - {i}]"),
                        ],
                        u.max - 1,
                    ),
                    _ => {
                        let places = sweep_places(&i);
                        let main = self.rng.pick(&places).clone();
                        let header = if self.rng.chance(0.3) {
                            format!("{i} in (0..{l}).rev()")
                        } else {
                            format!("{i} in 0..{l}")
                        };
                        (header, format!("{a}[{i}]"), main, places, u.max)
                    }
                };
                let info = self.undo_info(Some(id), &i, u.max - 1, trips);
                let plan = Plan::new(s, tgt, main, places, i.clone(), twist);
                let body = self.undo_body(cx, &info, u, plan);
                out.push(S::For(header, body));
                trips
            }
            // An index computed in the body.
            3 => {
                let info = self.undo_info(Some(id), &i, u.max - 1, u.max);
                let computed = self
                    .rng
                    .pick(&[
                        format!("({i} * 3 + 1) % {l}"),
                        format!("({i} + 2) % {l}"),
                        format!("{l} - 1 - {i}"),
                    ])
                    .clone();
                let mut pre = Vec::new();
                let mut branch_index = None;
                let j = if self.rng.chance(0.7) {
                    let j = self.counter_name();
                    pre.push(S::Raw(format!("let {j} = {computed};")));
                    branch_index = Some((j.clone(), computed));
                    j
                } else {
                    computed
                };
                let places = vec![
                    format!("{a}[{i}]"),
                    format!("{a}[{j}]"),
                    format!("{a}[({j} + 1) % {l}]"),
                ];
                let main = self.rng.pick(&places).clone();
                let plan = Plan {
                    pre,
                    branch_index,
                    ..Plan::new(s, format!("{a}[{j}]"), main, places, i.clone(), twist)
                };
                let body = self.undo_body(cx, &info, u, plan);
                out.push(S::For(format!("{i} in 0..{l}"), body));
                u.max
            }
            // An index in an integer slot the body steps.
            4 => {
                let k = self.counter_name();
                let t = i;
                let trips = self.rng.range(2, 6);
                out.push(S::Raw(format!(
                    "let mut {k}: usize = {};",
                    self.rng.below(2)
                )));
                let mut kv = self.var(cx, k.clone(), Kind::Int, (u.max - 1) as f64, true);
                kv.level = cx.level();
                cx.declare(kv);
                let step = self.rng.range(1, 3);
                let update = S::Raw(format!("{k} = ({k} + {step}) % {l};"));
                let places = vec![
                    format!("{a}[{k}]"),
                    format!("{a}[({k} + 1) % {l}]"),
                    format!("{a}[({k} + {l} - 1) % {l}]"),
                    format!("{a}[{t} % {l}]"),
                ];
                let main = self.rng.pick(&places[1..]).clone();
                let at_top = self.rng.chance(0.3);
                let info = self.undo_info(Some(id), &t, trips - 1, trips);
                let plan = Plan {
                    pre: if at_top {
                        vec![update.clone()]
                    } else {
                        Vec::new()
                    },
                    ..Plan::new(s, format!("{a}[{k}]"), main, places, t.clone(), twist)
                };
                let mut body = self.undo_body(cx, &info, u, plan);
                if !at_top {
                    body.push(update);
                }
                out.push(S::For(format!("{t} in 0..{trips}"), body));
                trips
            }
            // `while`, the test first.
            5 | 6 => {
                let (start, test, tgt, main, places) = if form == 5 {
                    (
                        1,
                        format!("{i} < {l}"),
                        format!("{a}[{i}]"),
                        format!("{a}[{i} - 1]"),
                        vec![
                            format!("{a}[{i} - 1]"),
                            format!("{a}[{i}]"),
                            format!("{a}[({i} + 1) % {l}]"),
                        ],
                    )
                } else {
                    (
                        0,
                        format!("{i} + 1 < {l}"),
                        format!("{a}[{i} + 1]"),
                        format!("{a}[{i}]"),
                        vec![
                            format!("{a}[{i}]"),
                            format!("{a}[{i} + 1]"),
                            format!("{a}[{l} - 1 - {i}]"),
                        ],
                    )
                };
                out.push(S::Raw(format!("let mut {i} = {start};")));
                let info = self.undo_info(Some(id), &i, u.max - 1, u.max - 1);
                let plan = Plan {
                    in_while: true,
                    ..Plan::new(s, tgt, main, places, i.clone(), twist)
                };
                let mut body = self.undo_body(cx, &info, u, plan);
                body.push(S::Raw(format!("{i} += 1;")));
                out.push(S::While(C::Raw(test), body));
                u.max - 1
            }
            // A time loop around a sweep (a recurrent layer).
            7 => {
                let t = self.counter_name();
                let tt = self.rng.range(2, 3);
                let outer = self.undo_info(Some(id), &t, tt - 1, tt);
                self.open_loop(cx, &outer);
                let inner = self.undo_info(None, &i, u.max - 1, u.max);
                let places = sweep_places(&i);
                let main = if self.rng.chance(0.6) {
                    places[0].clone()
                } else {
                    self.rng.pick(&places).clone()
                };
                let plan = Plan::new(s, format!("{a}[{i}]"), main, places, i.clone(), twist);
                let inner_body = self.undo_body(cx, &inner, u, plan);
                let mut body = vec![S::For(format!("{i} in 0..{l}"), inner_body)];
                if self.rng.chance(0.5) {
                    self.undo_read(cx, &mut body, s, &format!("{a}[{t} % {l}]"));
                }
                Self::close_loop(cx);
                out.push(S::For(format!("{t} in 0..{tt}"), body));
                tt * u.max
            }
            // Gauss–Seidel sweeps.
            _ => {
                let sweeps = if top { self.rng.range(1, 2) } else { 1 };
                let t = self.counter_name();
                if sweeps > 1 {
                    let outer = self.undo_info(Some(id), &t, sweeps - 1, sweeps);
                    self.open_loop(cx, &outer);
                }
                let inner = self.undo_info((sweeps == 1).then_some(id), &i, u.max - 1, u.max);
                self.open_loop(cx, &inner);
                self.fresh += 1;
                let g = format!("ug{}", self.fresh);
                let j = self.counter_name();
                let jl = self.undo_info(None, &j, u.max - 1, u.max);
                self.open_loop(cx, &jl);
                let (e, b) = self.expr(cx, 1);
                let (e, _) = self.fit((e, b), 1.0);
                Self::close_loop(cx);
                let (c, b) = self.expr(cx, 1);
                let (c, _) = self.fit((c, b), 1.0);
                Self::close_loop(cx);
                let term = bin("*", bin("*", E::Num(0.2), E::Place(format!("{a}[{j}]"))), e);
                let pre = vec![
                    S::Let {
                        pat: g.clone(),
                        mutable: true,
                        ty: Some("f64".into()),
                        e: E::Num(0.0),
                    },
                    S::For(
                        format!("{j} in 0..{l}"),
                        vec![S::If(
                            vec![(
                                C::Raw(format!("{j} != {i}")),
                                vec![S::Compound(g.clone(), "+=", term)],
                            )],
                            None,
                        )],
                    ),
                ];
                let value = bin("*", E::Num(0.5), bin("-", c, E::Place(g)));
                let plan = Plan {
                    pre,
                    value: Some(value),
                    ..Plan::new(
                        s,
                        format!("{a}[{i}]"),
                        format!("{a}[{i}]"),
                        sweep_places(&i),
                        i.clone(),
                        twist,
                    )
                };
                let body = self.undo_body(cx, &inner, u, plan);
                let sweep = S::For(format!("{i} in 0..{l}"), body);
                if sweeps > 1 {
                    Self::close_loop(cx);
                    out.push(S::For(format!("{t} in 0..{sweeps}"), vec![sweep]));
                } else {
                    out.push(sweep);
                }
                sweeps * u.max
            }
        }
    }

    /// The loops over a matrix or a `Vec` of points: returns the trips of the innermost body.
    fn undo_2d(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        u: &U,
        s: &str,
        id: usize,
        twist: Twist,
    ) -> usize {
        let a = &u.name;
        let r = &u.len;
        let n = u.cols.unwrap();
        let i = self.counter_name();
        let top = cx.level() == 0;
        match self.rng.weighted(&[3, 3, 2, if top { 2 } else { 0 }, 2]) {
            // Row by row, column by column, from the row before.
            0 => {
                let j = self.counter_name();
                let outer = self.undo_info(Some(id), &i, u.max - 1, u.max - 1);
                self.open_loop(cx, &outer);
                let inner = self.undo_info(None, &j, n - 1, n);
                let places = vec![
                    format!("{a}[{i} - 1][{j}]"),
                    format!("{a}[{i}][{j}]"),
                    format!("{a}[{i} - 1][({j} + 1) % {n}]"),
                    format!("{a}[0][{j}]"),
                    format!("{a}[({i} * 3 + 1) % {r}][{} - {j}]", n - 1),
                ];
                let main = self.rng.pick(&[&places[0], &places[2]]).to_string();
                let plan = Plan::new(s, format!("{a}[{i}][{j}]"), main, places, j.clone(), twist);
                let body = self.undo_body(cx, &inner, u, plan);
                Self::close_loop(cx);
                out.push(S::For(
                    format!("{i} in 1..{r}"),
                    vec![S::For(format!("{j} in 0..{n}"), body)],
                ));
                (u.max - 1) * n
            }
            // Two columns of a row, the second reading the first.
            1 => {
                let info = self.undo_info(Some(id), &i, u.max - 1, u.max - 1);
                let places = vec![
                    format!("{a}[{i} - 1][0]"),
                    format!("{a}[{i} - 1][1]"),
                    format!("{a}[{i}][0]"),
                    format!("{a}[{i}][1]"),
                    format!("{a}[({i} + 1) % {r}][{}]", n - 1),
                ];
                let main = self.rng.pick(&places[..2]).clone();
                let plan = Plan::new(s, format!("{a}[{i}][0]"), main, places, i.clone(), twist);
                let body = self.undo_body(cx, &info, u, plan);
                out.push(S::For(format!("{i} in 1..{r}"), body));
                u.max - 1
            }
            // Whole rows.
            2 => {
                let info = self.undo_info(Some(id), &i, u.max - 1, u.max - 1);
                self.open_loop(cx, &info);
                let mut items = Vec::new();
                for c in 0..n {
                    let r1 = format!("{a}[{i} - 1][{c}]");
                    let r2 = format!("{a}[{i} - 1][{}]", (c + 1) % n);
                    items.push(self.undo_value(cx, &r1, &r2, None));
                }
                Self::close_loop(cx);
                let places = vec![
                    format!("{a}[{i} - 1][0]"),
                    format!("{a}[{i}][1]"),
                    format!("{a}[0][{}]", n - 1),
                ];
                let plan = Plan {
                    value: Some(E::Array(items)),
                    ..Plan::new(
                        s,
                        format!("{a}[{i}]"),
                        places[0].clone(),
                        places,
                        i.clone(),
                        twist,
                    )
                };
                let body = self.undo_body(cx, &info, u, plan);
                out.push(S::For(format!("{i} in 1..{r}"), body));
                u.max - 1
            }
            // In place, over time.
            3 => {
                let j = self.counter_name();
                let t = self.counter_name();
                let tt = self.rng.range(1, 2);
                let outer = self.undo_info(Some(id), &t, tt - 1, tt);
                self.open_loop(cx, &outer);
                let mid = self.undo_info(None, &i, u.max - 1, u.max);
                self.open_loop(cx, &mid);
                let inner = self.undo_info(None, &j, n - 1, n);
                let places = vec![
                    format!("{a}[{i}][{j}]"),
                    format!("{a}[({i} + 1) % {r}][{j}]"),
                    format!("{a}[{i}][({j} + 1) % {n}]"),
                    format!("{a}[({i} + {r} - 1) % {r}][{} - {j}]", n - 1),
                ];
                let main = self.rng.pick(&places).clone();
                let plan = Plan::new(s, format!("{a}[{i}][{j}]"), main, places, j.clone(), twist);
                let body = self.undo_body(cx, &inner, u, plan);
                Self::close_loop(cx);
                Self::close_loop(cx);
                out.push(S::For(
                    format!("{t} in 0..{tt}"),
                    vec![S::For(
                        format!("{i} in 0..{r}"),
                        vec![S::For(format!("{j} in 0..{n}"), body)],
                    )],
                ));
                tt * u.max * n
            }
            // `while` over rows.
            _ => {
                out.push(S::Raw(format!("let mut {i} = 1;")));
                let info = self.undo_info(Some(id), &i, u.max - 1, u.max - 1);
                let places = vec![
                    format!("{a}[{i} - 1][1]"),
                    format!("{a}[{i} - 1][0]"),
                    format!("{a}[{i}][0]"),
                    format!("{a}[{i}][1]"),
                ];
                let main = self.rng.pick(&places[..2]).clone();
                let tgt = format!("{a}[{i}][{}]", self.rng.below(2));
                let plan = Plan {
                    in_while: true,
                    ..Plan::new(s, tgt, main, places, i.clone(), twist)
                };
                let mut body = self.undo_body(cx, &info, u, plan);
                body.push(S::Raw(format!("{i} += 1;")));
                out.push(S::While(C::Raw(format!("{i} < {r}")), body));
                u.max - 1
            }
        }
    }

    /// A write's value, within 1, reading `r1` (and maybe `r2`) with derivatives of at most 1
    /// in sum; `extra` (within 1.5) in place of the added term.
    fn undo_value(&mut self, cx: &Ctx, r1: &str, r2: &str, extra: Option<E>) -> E {
        let (e, b) = self.expr(cx, 1);
        let (e, _) = self.fit((e, b), 1.5);
        let c = match extra {
            Some(q) => self.fit((q, 1.5), 1.0).0,
            None => {
                let (c, b) = self.expr(cx, 1);
                self.fit((c, b), 1.0).0
            }
        };
        let p1 = || E::Place(r1.to_string());
        match self.rng.weighted(&[4, 2, 2, 2, 3, 1]) {
            0 => bin(
                "*",
                E::Num(0.5),
                method("sin", bin("+", bin("*", p1(), e), c), vec![]),
            ),
            1 => bin("+", p1(), bin("*", E::Num(0.5), bin("-", c, p1()))),
            2 => bin(
                "*",
                E::Num(0.9),
                method(
                    "tanh",
                    bin("+", bin("*", bin("*", E::Num(0.5), p1()), e), c),
                    vec![],
                ),
            ),
            3 => bin("*", p1(), method("cos", e, vec![])),
            4 => bin(
                "*",
                E::Num(0.5),
                method(
                    "sin",
                    bin(
                        "+",
                        bin(
                            "+",
                            bin("*", p1(), e),
                            bin("*", E::Num(0.5), E::Place(r2.to_string())),
                        ),
                        c,
                    ),
                    vec![],
                ),
            ),
            _ => method(
                "mul_add",
                p1(),
                vec![
                    E::Num(0.5),
                    bin("*", E::Num(0.25), method("tanh", c, vec![])),
                ],
            ),
        }
    }

    /// `s += P * e`.
    fn undo_read(&mut self, cx: &mut Ctx, body: &mut Vec<S>, s: &str, place: &str) {
        let (e, b) = self.expr(cx, 1);
        let (e, _) = self.fit((e, b), 1.0);
        let op = if self.rng.chance(0.8) { "+=" } else { "-=" };
        body.push(S::Compound(
            s.into(),
            op,
            bin("*", E::Place(place.into()), e),
        ));
        if let Some(v) = cx.find_mut(s) {
            v.growth += 1.0;
        }
    }

    /// A condition on the loop's counter or on active values.
    fn undo_cond(&mut self, cx: &Ctx, counter: &str, eq: bool) -> C {
        if self.rng.chance(0.5) {
            if eq {
                C::Raw(format!("{counter} == {}", self.rng.range(1, 2)))
            } else {
                C::Raw(format!("{counter} % 2 == 0"))
            }
        } else {
            self.cond(cx, 1)
        }
    }

    /// The body of a loop that writes the aggregate (opening and closing the loop `info`).
    fn undo_body(&mut self, cx: &mut Ctx, info: &LoopInfo, u: &U, plan: Plan) -> Vec<S> {
        self.open_loop(cx, info);
        cx.no_jump = Some(info.id);
        let s = plan.s;
        let mut body = Vec::new();
        let jump_at = match plan.twist {
            Twist::Continue | Twist::Break => Some(self.rng.below(2)),
            _ => None,
        };
        let jump = |this: &mut Self, cx: &Ctx| {
            let c = this.undo_cond(cx, &plan.counter, true);
            let j = if plan.twist == Twist::Break || plan.in_while {
                S::Break
            } else {
                S::Continue
            };
            S::If(vec![(c, vec![j])], None)
        };
        if jump_at == Some(0) {
            body.push(jump(self, cx));
        }
        body.extend(plan.pre.iter().cloned());
        let mut extra = None;
        if self.rng.chance(0.35) {
            let p = self.rng.pick(&plan.places).clone();
            self.undo_read(cx, &mut body, s, &p);
        }
        if self.rng.chance(0.3) {
            self.fresh += 1;
            let q = format!("uq{}", self.fresh);
            let p = self.rng.pick(&plan.places).clone();
            let (e, b) = self.expr(cx, 1);
            let (e, _) = self.fit((e, b), 1.5);
            body.push(S::Let {
                pat: q.clone(),
                mutable: false,
                ty: None,
                e: bin("*", E::Place(p), e),
            });
            let v = self.var(cx, q.clone(), Kind::F, 1.5, false);
            cx.declare(v);
            extra = Some(E::Place(q));
        }
        // Not when the write's value was drawn before the body: a `let` of the statement could
        // shadow a name it reads (f853 of seed 100000: `let z: f64 = ..` over an array `z`).
        if plan.value.is_none() && self.rng.chance(0.25) {
            self.stmts(cx, 1, &mut body);
            if matches!(body.last(), Some(S::Break | S::Continue | S::Return(_))) {
                body.pop();
            }
        }
        let old = (plan.twist == Twist::OldRead).then(|| {
            self.fresh += 1;
            format!("uo{}", self.fresh)
        });
        if let Some(o) = &old {
            let copy = match u.shape {
                Shape::Arr(_) | Shape::Mat(..) => u.name.clone(),
                _ => format!("{}.clone()", u.name),
            };
            body.push(S::Raw(format!("let {o} = {copy};")));
        }
        let wrapped = std::cell::Cell::new(false);
        let write = |this: &mut Self, cx: &Ctx, body: &mut Vec<S>, w: S, last: bool| {
            let wrap =
                plan.twist == Twist::WriteInIf && !wrapped.get() && (last || this.rng.chance(0.5));
            if wrap {
                wrapped.set(true);
                let c = this.undo_cond(cx, &plan.counter, false);
                // The index computed again inside the branch, under a name of its own.
                let inner = match (&plan.branch_index, w) {
                    (Some((j, computed)), S::Assign(t, v))
                        if t.contains(&format!("[{j}]")) && this.rng.chance(0.8) =>
                    {
                        let jb = this.counter_name();
                        let t = t.replace(&format!("[{j}]"), &format!("[{jb}]"));
                        vec![S::Raw(format!("let {jb} = {computed};")), S::Assign(t, v)]
                    }
                    (_, w) => vec![w],
                };
                // Now and then a write in the `else` branch too (both branches write).
                let els = if plan.value.is_none() && u.cols.is_none() && this.rng.chance(0.3) {
                    let t2 = this.rng.pick(&plan.places).clone();
                    let r1 = this.rng.pick(&plan.places).clone();
                    let r2 = this.rng.pick(&plan.places).clone();
                    let v = this.undo_value(cx, &r1, &r2, None);
                    Some(vec![S::Assign(t2, v)])
                } else {
                    None
                };
                body.push(S::If(vec![(c, inner)], els));
            } else {
                body.push(w);
            }
        };
        let r2 = self.rng.pick(&plan.places).clone();
        let value = match &plan.value {
            Some(v) => v.clone(),
            None => self.undo_value(cx, &plan.main, &r2, extra),
        };
        write(
            self,
            cx,
            &mut body,
            S::Assign(plan.tgt.clone(), value),
            false,
        );
        // Between the writes.
        if self.rng.chance(0.5) {
            let p = self.rng.pick(&plan.places).clone();
            match self.rng.weighted(&[4, 2, 2]) {
                0 => self.undo_read(cx, &mut body, s, &p),
                1 => {
                    let (c, b) = self.expr(cx, 1);
                    let (c, _) = self.fit((c, b), 1.0);
                    let (e1, b1) = self.expr(cx, 1);
                    let (e1, _) = self.fit((e1, b1), 1.0);
                    let (e2, b2) = self.expr(cx, 1);
                    let (e2, _) = self.fit((e2, b2), 1.0);
                    body.push(S::If(
                        vec![(
                            C::Cmp(">", E::Place(p), c),
                            vec![S::Compound(s.into(), "+=", e1)],
                        )],
                        Some(vec![S::Compound(s.into(), "-=", e2)]),
                    ));
                    if let Some(v) = cx.find_mut(s) {
                        v.growth += 1.0;
                    }
                }
                _ => {
                    if let Some((r, b)) = self.lend_undo(cx, &mut body, &u.name) {
                        let (r, _) = self.fit((r, b), 1.0);
                        body.push(S::Compound(s.into(), "+=", r));
                        if let Some(v) = cx.find_mut(s) {
                            v.growth += 1.0;
                        }
                    }
                }
            }
        }
        if jump_at == Some(1) {
            body.push(jump(self, cx));
        }
        let second = self.rng.chance(0.45);
        if second || (plan.twist == Twist::WriteInIf && !wrapped.get()) {
            let t2 = if self.rng.chance(0.3) {
                plan.tgt.clone()
            } else {
                self.rng.pick(&plan.places).clone()
            };
            // Not a whole row written over one of its elements' paths: an element.
            let t2 = if plan.value.is_some() && t2 == plan.tgt && u.cols.is_some() {
                plan.places[0].clone()
            } else {
                t2
            };
            let r1 = self.rng.pick(&plan.places).clone();
            let r2 = self.rng.pick(&plan.places).clone();
            let v = self.undo_value(cx, &r1, &r2, None);
            write(self, cx, &mut body, S::Assign(t2, v), true);
        }
        if let Some(o) = &old {
            let p = self.rng.pick(&plan.places).clone();
            let p = format!("{o}{}", &p[u.name.len()..]);
            self.undo_read(cx, &mut body, s, &p);
        }
        if self.rng.chance(0.35) {
            let p = self.rng.pick(&plan.places).clone();
            self.undo_read(cx, &mut body, s, &p);
        }
        Self::close_loop(cx);
        body
    }

    /// The aggregate used after its loop, with the accumulator: `let r = s + a[L - 1] * e;`,
    /// `a.iter().sum::<f64>()`, a callee it is lent to; or, a `[f64; 2]` among the function's
    /// own statements, the function's value.
    fn undo_use(&mut self, cx: &mut Ctx, out: &mut Vec<S>, u: &U, s: &str) -> Option<String> {
        let a = &u.name;
        if cx.level() == 0
            && cx.depth == 0
            && cx.ret == Ret::Arr2
            && u.shape == Shape::Arr(2)
            && self.rng.chance(0.6)
        {
            self.undo_out = Some(a.clone());
        }
        // Lent first: the call's `let` may shadow a name the expressions below read.
        let lent = if self.rng.chance(0.3) {
            self.lend_undo(cx, out, a)
        } else {
            None
        };
        let sb = cx.find_mut(s).map_or(1.0, |v| v.bound);
        let (mut e, _) = self.fit((E::Place(s.into()), sb), 2.0);
        let mut b = 2.0;
        let last = if self.rng.chance(0.5) {
            format!("{}", u.max - 1)
        } else {
            format!("{a}.len() - 1")
        };
        let last = if matches!(u.shape, Shape::Vec(_, Some(_))) {
            format!("{a}.len() - 1")
        } else {
            last
        };
        let term = match (u.cols, self.rng.weighted(&[3, 2, 2])) {
            (None, 0) => E::Place(format!("{a}[{last}]")),
            (None, 1) => E::Place(format!("{a}[0]")),
            (None, _) => {
                b += u.max as f64;
                E::Place(format!("{a}.iter().sum::<f64>()"))
            }
            (Some(n), 0) => E::Place(format!("{a}[{last}][{}]", n - 1)),
            (Some(_), _) => E::Place(format!("{a}[0][1]")),
        };
        let term = if self.rng.chance(0.4) {
            let (x, xb) = self.expr(cx, 1);
            let (x, _) = self.fit((x, xb), 1.0);
            bin("*", term, x)
        } else {
            term
        };
        e = bin("+", e, term);
        b += 1.0;
        if let Some((r, rb)) = lent {
            let (r, _) = self.fit((r, rb), 2.0);
            e = bin("+", e, r);
            b += 2.0;
        }
        self.fresh += 1;
        let r = format!("ur{}", self.fresh);
        out.push(S::Let {
            pat: r.clone(),
            mutable: false,
            ty: self.rng.chance(0.3).then(|| "f64".into()),
            e,
        });
        let v = self.var(cx, r.clone(), Kind::F, b, false);
        cx.declare(v);
        Some(r)
    }
}
