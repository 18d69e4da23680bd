//! The `carried-counters` emphasis switch: an integer `l` stepped by a literal in the innermost
//! of two or three nested range loops and *carried* by the loops around it, whose only update
//! of `l` is the value their inner loop leaves (`l` walking a packed triangle column by
//! column, as in the GMM objective). The macro steps such a counter back through all the
//! levels with one shared counter instead of saving its value after each inner loop
//! (`rewound_by_inner` and `Step::Inner` in `vjp-macro/src/plan.rs`). The shapes where it must
//! fall back to saving come too: a carrying loop that reads `l` before its inner loop, a step
//! in a branch only, a carrying loop that also steps `l` itself, a `continue` or `break`, two
//! inner loops in a row; and a counter carried by a fused loop through an inner loop.
//!
//! Bounds: a nest is planned first, then run at generation time for every size its ranges can
//! have (a literal, a `usize` parameter's 0 to 4, a slice's length 2 to 5) and every value of
//! the counter of a loop around it, with every step taken. The counter moves one way only, so
//! whatever the branches and jumps skip, its values stay between its start and what that run
//! reaches: a down counter starts high enough never to go below zero (no `usize` underflow),
//! and `m[l]` reads an array exactly as long as the largest value read (as long as the largest
//! value reached, when steps may be skipped). Other reads are modulo the length.

use super::{bin, method, Ctx, Gen, Kind, LoopInfo};
use crate::ast::{C, E, S};

/// What the ranges of a nest run up to.
#[derive(Clone)]
enum Size {
    Lit(usize),
    /// A `usize` parameter (0 to 4 in the tests).
    Param(String),
    /// The length of a slice parameter (2 to 5 in the tests).
    Len(String),
}

impl Size {
    fn text(&self) -> String {
        match self {
            Size::Lit(k) => k.to_string(),
            Size::Param(n) => n.clone(),
            Size::Len(x) => format!("{x}.len()"),
        }
    }

    fn values(&self) -> Vec<usize> {
        match self {
            Size::Lit(k) => vec![*k],
            Size::Param(_) => (0..=4).collect(),
            Size::Len(_) => (2..=5).collect(),
        }
    }
}

/// The range of one level, given the counter `c` of the level around it.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Span {
    /// `0..N`
    All,
    /// `(0..N).rev()`
    Rev,
    /// `c..N`
    From,
    /// `(c..N).rev()`
    FromRev,
    /// `c + 1..N`: empty for the last `c`.
    After,
    /// `0..c`: empty for `c = 0`.
    Below,
    /// `(0..c).rev()`
    BelowRev,
    /// `0..=c`
    UpTo,
    /// `0..K`
    Fixed(usize),
    /// `0..l % K`: the range reads the counter (a carrying loop then reads it at iteration
    /// start, before its inner loop).
    ByL(usize),
}

impl Span {
    fn header(self, i: &str, c: &str, n: &str, l: &str) -> String {
        match self {
            Span::All => format!("{i} in 0..{n}"),
            Span::Rev => format!("{i} in (0..{n}).rev()"),
            Span::From => format!("{i} in {c}..{n}"),
            Span::FromRev => format!("{i} in ({c}..{n}).rev()"),
            Span::After => format!("{i} in {c} + 1..{n}"),
            Span::Below => format!("{i} in 0..{c}"),
            Span::BelowRev => format!("{i} in (0..{c}).rev()"),
            Span::UpTo => format!("{i} in 0..={c}"),
            Span::Fixed(k) => format!("{i} in 0..{k}"),
            Span::ByL(k) => format!("{i} in 0..{l} % {k}"),
        }
    }

    /// The counter's values in the order the loop takes them (which matters when a carrying
    /// loop steps the counter too), for `c`, a size `n` and the counter `l`.
    fn values(self, c: usize, n: usize, l: i64) -> Vec<usize> {
        let range = match self {
            Span::All | Span::Rev => 0..n,
            Span::From | Span::FromRev => c..n,
            Span::After => c + 1..n,
            Span::Below | Span::BelowRev => 0..c,
            Span::UpTo => 0..c + 1,
            Span::Fixed(k) => 0..k,
            Span::ByL(k) => 0..(l.max(0) as usize) % k,
        };
        if matches!(self, Span::Rev | Span::FromRev | Span::BelowRev) {
            range.rev().collect()
        } else {
            range.collect()
        }
    }
}

/// What keeps the macro from sharing one counter between the levels, if anything.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Twist {
    None,
    /// A carrying loop reads `l` before its inner loop (its value at iteration start is
    /// needed by the reverse).
    ReadAtStart,
    /// The innermost loop steps `l` in a branch only.
    CondStep,
    /// A carrying loop steps `l` itself too (`l += 3`), before or after its inner loop.
    OuterStep {
        before: bool,
        lit: usize,
    },
    /// `if c { continue; }` in the innermost loop (before a step at its end, which it skips;
    /// or after one at its top).
    ContinueInner,
    /// `if c { break; }` in the innermost loop.
    BreakInner,
    /// `if c { continue; }` in a carrying loop, before or after its inner loop.
    ContinueOuter {
        before: bool,
    },
    /// A carrying loop runs two inner loops in a row, both stepping `l`.
    TwoInner,
    /// A carrying loop runs its inner loop in a branch (`if c { for .. }`).
    InBranch,
    /// The innermost range reads the counter (`0..l % 3`).
    RangeReads,
}

impl Twist {
    /// Whether a step may be skipped (how far the counter goes depends on the input).
    fn skips(self) -> bool {
        matches!(
            self,
            Twist::CondStep
                | Twist::ContinueInner
                | Twist::BreakInner
                | Twist::ContinueOuter { .. }
                | Twist::InBranch
        )
    }
}

/// How the innermost loop indexes the walked array.
#[derive(Clone, Copy, PartialEq)]
enum Index {
    /// `m[l]`, `m` long enough for every value read.
    Direct,
    /// `m[l % len]`
    Mod,
    /// `m[(l / step) % len]`
    Div,
    /// `m[(l + r) % len]`, `r` the innermost counter.
    Plus,
}

/// Where the values read go.
#[derive(Clone)]
enum Sink {
    /// `s += e` (`s` an accumulator of the innermost loop).
    Acc(String),
    /// `s = 0.9 * s + e`.
    State(String),
    /// `y[r] += e`, `y` of this length (the packed-triangle product `y[r] += m[l] * x[c]`).
    Array(String, usize),
}

struct Level {
    counter: String,
    span: Span,
    id: usize,
}

/// The counter's start: `k * K + a * n (* n) + lit`, or `(k + 1) * K + ..`.
#[derive(Clone, Default)]
struct Start {
    /// A wrapping loop's counter, its coefficient, and whether it is `(k + 1)`.
    k: Option<(String, usize, bool)>,
    /// The size's text, its coefficient, and whether it is squared.
    n: Option<(String, usize, bool)>,
    lit: usize,
}

impl Start {
    fn value(&self, n: usize, k: usize) -> i64 {
        let mut v = self.lit as i64;
        if let Some((_, coef, plus_one)) = &self.k {
            v += (*coef * (k + usize::from(*plus_one))) as i64;
        }
        if let Some((_, coef, squared)) = &self.n {
            v += (*coef * if *squared { n * n } else { n }) as i64;
        }
        v
    }

    fn text(&self) -> String {
        let mut terms = Vec::new();
        if let Some((k, coef, plus_one)) = &self.k {
            let k = if *plus_one {
                format!("({k} + 1)")
            } else {
                k.clone()
            };
            terms.push(if *coef == 1 {
                k
            } else {
                format!("{k} * {coef}")
            });
        }
        if let Some((n, coef, squared)) = &self.n {
            let n = if *squared {
                format!("{n} * {n}")
            } else {
                n.clone()
            };
            terms.push(if *coef == 1 {
                n
            } else {
                format!("{coef} * {n}")
            });
        }
        if self.lit > 0 || terms.is_empty() {
            terms.push(self.lit.to_string());
        }
        terms.join(" + ")
    }
}

/// A planned nest: its levels (outermost first; the last one steps the counter), the step and
/// the twist.
struct Nest {
    size: Size,
    levels: Vec<Level>,
    up: bool,
    step: usize,
    /// The step at the top of the innermost body (else at its end).
    top: bool,
    twist: Twist,
    /// The carrying level the twist is at (not the innermost).
    at: usize,
}

/// What a run of a nest reaches.
#[derive(Clone)]
struct Reach {
    /// The smallest and largest values of the counter.
    lo: i64,
    hi: i64,
    /// The largest value the innermost body reads.
    read_hi: i64,
    /// Runs of the innermost body, and of the bodies of the other levels.
    execs: usize,
    visits: usize,
    /// Per level: the counter's largest value, the most trips of one run of the loop.
    counter_max: Vec<usize>,
    trips: Vec<usize>,
}

impl Reach {
    fn new(levels: usize, start: i64) -> Self {
        Reach {
            lo: start,
            hi: start,
            read_hi: i64::MIN,
            execs: 0,
            visits: 0,
            counter_max: vec![0; levels],
            trips: vec![0; levels],
        }
    }

    fn note(&mut self, l: i64) {
        self.lo = self.lo.min(l);
        self.hi = self.hi.max(l);
    }

    fn merge(&mut self, o: &Reach) {
        self.lo = self.lo.min(o.lo);
        self.hi = self.hi.max(o.hi);
        self.read_hi = self.read_hi.max(o.read_hi);
        self.execs = self.execs.max(o.execs);
        self.visits = self.visits.max(o.visits);
        for d in 0..self.trips.len() {
            self.counter_max[d] = self.counter_max[d].max(o.counter_max[d]);
            self.trips[d] = self.trips[d].max(o.trips[d]);
        }
    }
}

impl Nest {
    /// A run for size `n` from `start`, every step taken.
    fn run(&self, n: usize, start: i64) -> Reach {
        let mut r = Reach::new(self.levels.len(), start);
        let mut l = start;
        self.walk(0, 0, n, &mut l, &mut r);
        r
    }

    fn walk(&self, d: usize, c: usize, n: usize, l: &mut i64, r: &mut Reach) {
        let span = self.levels[d].span;
        let values = span.values(c, n, *l);
        r.trips[d] = r.trips[d].max(values.len());
        let sign = if self.up { 1 } else { -1 };
        let step = sign * self.step as i64;
        let last = d + 1 == self.levels.len();
        for v in values {
            r.counter_max[d] = r.counter_max[d].max(v);
            if last {
                r.execs += 1;
                if self.top {
                    *l += step;
                    r.note(*l);
                }
                r.read_hi = r.read_hi.max(*l);
                if !self.top {
                    *l += step;
                    r.note(*l);
                }
                continue;
            }
            r.visits += 1;
            let here = self.at == d;
            let outer = match self.twist {
                Twist::OuterStep { before, lit } if here => Some((before, sign * lit as i64)),
                _ => None,
            };
            if let Some((true, s)) = outer {
                *l += s;
                r.note(*l);
            }
            self.walk(d + 1, v, n, l, r);
            if here && self.twist == Twist::TwoInner {
                self.walk(d + 1, v, n, l, r);
            }
            if let Some((false, s)) = outer {
                *l += s;
                r.note(*l);
            }
        }
    }
}

/// A nest being written: the plan, what it reaches, and the names it uses.
struct Walk {
    nest: Nest,
    reach: Reach,
    /// The size's text.
    n: String,
    l: String,
    /// The walked array, the text of its length, its bound.
    m: String,
    m_len: String,
    m_bound: f64,
    index: Index,
    sink: Sink,
    /// The largest value of the counter.
    l_max: f64,
    /// The counter is declared with another integer type than `usize` (read as an index
    /// through `as usize`).
    cast: bool,
    /// A second counter stepped next to `l` (up, unconditionally, by this literal).
    second: Option<(String, usize)>,
}

impl Walk {
    /// `e` (an atom) as a `usize`.
    fn ix(&self, e: &str) -> String {
        if self.cast {
            format!("{e} as usize")
        } else {
            e.to_string()
        }
    }
}

impl Gen {
    /// A [`Gen::carried_loop`] among ordinary statements, whose result is used (a nest whose
    /// result is dead has no adjoint work, and the macro plans no reverse for it): by the
    /// function's tail at its own level, else added to an accumulator of the loop around or
    /// into a float local in scope.
    pub(super) fn carried_stmt(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        let Some(r) = self.carried_loop(cx, out, None) else {
            return;
        };
        self.use_float(cx, out, r);
    }

    /// The float `r` a loop left, used: by the function's tail at its own level, else added to
    /// an accumulator of the loop around or into a float local in scope.
    pub(super) fn use_float(&mut self, cx: &mut Ctx, out: &mut Vec<S>, r: String) {
        if cx.level() == 0 && cx.depth == 0 {
            cx.pending.push(r);
            return;
        }
        let bound = cx.find_mut(&r).map_or(1.0, |v| v.bound);
        let accs = cx
            .loops
            .last()
            .map_or_else(Vec::new, |l| Self::accs_of(cx, l.id));
        if !accs.is_empty() {
            let s = self.rng.pick(&accs).clone();
            let (e, b) = self.fit((E::Place(r), bound), 4.0);
            out.push(S::Compound(s.clone(), "+=", e));
            if let Some(v) = cx.find_mut(&s) {
                v.growth += b;
            }
            return;
        }
        let targets: Vec<_> = self
            .mutable_scalars(cx)
            .into_iter()
            .filter(|t| !Self::carried(cx, t) || t.bound >= 0.25)
            .collect();
        if targets.is_empty() {
            return;
        }
        let t = self.rng.pick(&targets).clone();
        if Self::carried(cx, &t) {
            // Loop state keeps its bound: t += 0.5 * (r - t), |r| <= its bound.
            let (e, _) = self.fit((E::Place(r), bound), t.bound);
            out.push(S::Compound(
                t.name.clone(),
                "+=",
                bin("*", E::Num(0.5), bin("-", e, E::Place(t.name.clone()))),
            ));
        } else {
            let (e, b) = self.fit((E::Place(r), bound), 4.0);
            out.push(S::Compound(t.name.clone(), "+=", e));
            if let Some(v) = cx.find_mut(&t.name) {
                v.bound = (v.bound + b).min(1e6);
            }
        }
    }

    /// Two or three nested range loops carrying a counter `l` stepped by a literal in the
    /// innermost one, reading arrays at it; sometimes in a loop that starts `l` afresh per
    /// iteration from its counter (`let mut l = k * 6 + 1;`, the GMM shape). With `carrier`,
    /// `l` is that counter, declared before an enclosing (fused) loop that carries it too.
    /// Returns a float for the caller to add in.
    pub(super) fn carried_loop(
        &mut self,
        cx: &mut Ctx,
        out: &mut Vec<S>,
        carrier: Option<String>,
    ) -> Option<String> {
        self.restrict |= cx.reevaluated();
        let ints = self.int_params(cx);
        let slices: Vec<String> = cx
            .readable(|k| k == Kind::Slice(None))
            .into_iter()
            .filter(|v| v.param.is_some())
            .map(|v| v.name)
            .collect();
        let depth = if carrier.is_some() {
            self.rng.range(1, 2)
        } else if self.rng.chance(0.35) {
            3
        } else {
            2
        };
        let mut size = match self.rng.weighted(&[
            6,
            if ints.is_empty() { 0 } else { 3 },
            if slices.is_empty() { 0 } else { 2 },
        ]) {
            0 => Size::Lit(if depth == 3 {
                self.rng.range(2, 3)
            } else {
                self.rng.range(2, 4)
            }),
            1 => Size::Param(self.rng.pick(&ints).clone()),
            _ => Size::Len(self.rng.pick(&slices).clone()),
        };
        let mut levels = Vec::new();
        for d in 0..depth {
            let span = if d == 0 {
                match self.rng.weighted(&[5, 2, 1]) {
                    0 => Span::All,
                    1 => Span::Rev,
                    _ => Span::Fixed(self.rng.range(1, 3)),
                }
            } else {
                match self.rng.weighted(&[2, 3, 1, 3, 3, 1, 2, 1, 1]) {
                    0 => Span::All,
                    1 => Span::From,
                    2 => Span::FromRev,
                    3 => Span::After,
                    4 => Span::Below,
                    5 => Span::BelowRev,
                    6 => Span::UpTo,
                    7 => Span::Fixed(self.rng.range(1, 3)),
                    _ => Span::Rev,
                }
            };
            self.loop_ids += 1;
            levels.push(Level {
                counter: self.counter_name(),
                span,
                id: self.loop_ids,
            });
        }
        let twist = if depth == 1 {
            match self.rng.weighted(&[6, 1, 1, 1, 1]) {
                0 => Twist::None,
                1 => Twist::CondStep,
                2 => Twist::ContinueInner,
                3 => Twist::BreakInner,
                _ => Twist::RangeReads,
            }
        } else {
            match self.rng.weighted(&[12, 2, 2, 2, 2, 1, 2, 1, 1, 1]) {
                0 => Twist::None,
                1 => Twist::ReadAtStart,
                2 => Twist::CondStep,
                3 => Twist::OuterStep {
                    before: self.rng.chance(0.3),
                    lit: self.rng.range(1, 3),
                },
                4 => Twist::ContinueInner,
                5 => Twist::BreakInner,
                6 => Twist::ContinueOuter {
                    before: self.rng.chance(0.4),
                },
                7 => Twist::TwoInner,
                8 => Twist::InBranch,
                _ => Twist::RangeReads,
            }
        };
        let at = if depth > 1 {
            self.rng.below(depth - 1)
        } else {
            0
        };
        if twist == Twist::RangeReads {
            levels[depth - 1].span = Span::ByL(self.rng.range(2, 4));
        }
        let mut nest = Nest {
            size: size.clone(),
            levels,
            // A counter carried by an enclosing loop goes up (from wherever it is); so does one
            // that sets the trips of its inner loop (how far a down counter could go would
            // depend on its start).
            up: carrier.is_some() || twist == Twist::RangeReads || self.rng.chance(0.65),
            step: *self.rng.pick(&[1, 1, 1, 2, 3]),
            top: self.rng.chance(0.4),
            twist,
            at,
        };
        // Keep the checks quick: at most 64 runs of the innermost body.
        let most = |nest: &Nest| {
            nest.size
                .values()
                .into_iter()
                .map(|n| nest.run(n, 0).execs)
                .max()
                .unwrap_or(0)
        };
        if most(&nest) > 64 {
            size = Size::Lit(2);
            nest.size = size.clone();
        }
        if most(&nest) == 0 && twist != Twist::RangeReads {
            // Ranges that never reach the innermost body: make them full ones.
            for level in nest.levels.iter_mut().skip(1) {
                level.span = Span::All;
            }
        }
        let sizes = size.values();
        // A loop around the nest that starts `l` afresh each iteration (the GMM shape).
        let wrapper = (carrier.is_none() && self.rng.chance(0.3)).then(|| {
            let k = self.counter_name();
            if !ints.is_empty() && self.rng.chance(0.3) {
                let n = self.rng.pick(&ints).clone();
                (k, n, vec![0, 1, 2, 3])
            } else {
                let count = self.rng.range(1, 3);
                (k, count.to_string(), (0..count).collect::<Vec<_>>())
            }
        });
        let ks: Vec<usize> = wrapper.as_ref().map_or(vec![0], |w| w.2.clone());
        // The counter's start. Relative runs first: how far it goes up and down per size.
        let rel: Vec<(usize, Reach)> = sizes.iter().map(|&n| (n, nest.run(n, 0))).collect();
        let down = rel.iter().map(|(_, r)| -r.lo).max().unwrap_or(0).max(0) as usize;
        let up = rel.iter().map(|(_, r)| r.hi).max().unwrap_or(0).max(0) as usize;
        let size_term = match &size {
            Size::Lit(_) => None,
            _ => Some(size.text()),
        };
        let mut start = Start::default();
        if carrier.is_none() {
            let base = if twist == Twist::RangeReads {
                // Not 0 (l % k would be 0: an inner loop that never runs, nor steps l).
                self.rng.range(1, 3)
            } else {
                *self.rng.pick(&[0, 0, 1, 2, 3])
            };
            if let Some((k, ..)) = &wrapper {
                // A segment of the walked array per iteration.
                if nest.up {
                    start.k = Some((k.clone(), up.max(1), false));
                } else {
                    start.k = Some((k.clone(), down.max(1), true));
                }
                start.lit = base;
            } else if let (Some(n), true) = (&size_term, self.rng.chance(0.5)) {
                let squared = !nest.up && self.rng.chance(0.6);
                let coef = if nest.up {
                    *self.rng.pick(&[1, 2])
                } else {
                    nest.step
                };
                start.n = Some((n.clone(), coef, squared));
                start.lit = base;
            } else {
                start.lit = base + if nest.up { 0 } else { down };
            }
            // Never below zero, for every size and every start.
            let mut deficit = 0;
            for (n, r) in &rel {
                for &k in &ks {
                    deficit = deficit.max(-(start.value(*n, k) + r.lo));
                }
            }
            start.lit += deficit.max(0) as usize;
        }
        let mut reach = Reach::new(nest.levels.len(), i64::MAX);
        reach.lo = i64::MAX;
        reach.hi = i64::MIN;
        for &n in &sizes {
            // A counter carried by an enclosing loop may have any value when the nest starts:
            // every residue modulo 12 (what a range `0..l % k` depends on).
            let starts: Vec<i64> = match carrier {
                Some(_) => (0..12).collect(),
                None => ks.iter().map(|&k| start.value(n, k)).collect(),
            };
            for start in starts {
                reach.merge(&nest.run(n, start));
            }
        }
        assert!(reach.lo >= 0, "a counter that goes below zero");
        let depth_now = nest.levels.len();
        // The walked array, and how the innermost body indexes it.
        let need = if nest.twist.skips() {
            reach.hi
        } else {
            reach.read_hi
        }
        .max(0) as usize
            + 1;
        let direct = carrier.is_none() && reach.execs > 0 && need <= 40 && self.rng.chance(0.5);
        let arrays: Vec<(String, Option<usize>, f64)> = self
            .indexables(cx, true)
            .into_iter()
            .map(|(v, len)| (v.name, len, v.bound))
            .collect();
        let (m, m_len, m_bound, index) = if direct {
            let long: Vec<&(String, Option<usize>, f64)> = arrays
                .iter()
                .filter(|(_, len, _)| len.is_some_and(|k| k >= need))
                .collect();
            let (m, len, bound) = if !long.is_empty() && self.rng.chance(0.3) {
                let (m, len, b) = (*self.rng.pick(&long)).clone();
                (m, len.unwrap(), b)
            } else {
                let (m, b) = self.table(cx, out, need);
                (m, need.max(2), b)
            };
            (m, len.to_string(), bound, Index::Direct)
        } else {
            let (m, len, bound) = if !arrays.is_empty() && self.rng.chance(0.6) {
                self.rng.pick(&arrays).clone()
            } else {
                let len = self.rng.range(2, 5);
                let (m, b) = self.table(cx, out, len);
                (m, Some(len), b)
            };
            let len = match len {
                Some(k) if self.rng.chance(0.5) => k.to_string(),
                _ => format!("{m}.len()"),
            };
            let index = match self.rng.weighted(&[4, 1, 2]) {
                0 => Index::Mod,
                1 => Index::Div,
                _ => Index::Plus,
            };
            (m, len, bound, index)
        };
        // The counter's type: usually inferred (`usize`), sometimes written, sometimes another
        // integer type (read as an index through `as usize`).
        let ty = match self.rng.weighted(&[14, 3, 1, 1, 1]) {
            _ if carrier.is_some() => None,
            0 => None,
            1 => Some("usize"),
            2 => Some("i64"),
            3 => Some("u32"),
            _ => Some("i32"),
        };
        let cast = ty.is_some_and(|t| t != "usize");
        // Around the nest: the wrapping loop's accumulator, the loop.
        let mut outer_out = Vec::new();
        let wrap = wrapper.map(|(k, end, ks)| {
            self.loop_ids += 1;
            let id = self.loop_ids;
            (k, end, ks, id)
        });
        let total = wrap
            .as_ref()
            .map(|(.., id)| self.new_acc(cx, &mut outer_out, *id, &[&m]));
        if let Some((k, _, ks, id)) = &wrap {
            let info = LoopInfo {
                id: *id,
                counter: Some((k.clone(), *ks.iter().max().unwrap_or(&0))),
                over: None,
                trips: ks.len(),
            };
            self.open_loop(cx, &info);
        }
        let no_jump = cx.no_jump;
        if let Some((.., id)) = &wrap {
            cx.no_jump = Some(*id);
        }
        let mut body = Vec::new();
        let l = match &carrier {
            Some(l) => l.clone(),
            None => {
                let l = self.counter_name();
                let text = start.text();
                let decl = match ty {
                    None => format!("let mut {l} = {text};"),
                    Some(t) if t == "usize" || text.parse::<usize>().is_ok() => {
                        format!("let mut {l}: {t} = {text};")
                    }
                    Some(t) => format!("let mut {l}: {t} = ({text}) as {t};"),
                };
                body.push(S::Raw(decl));
                let mut v = self.var(cx, l.clone(), Kind::Int, reach.hi as f64, true);
                v.not_usize = cast;
                if !cast && direct && m_len.parse::<usize>().is_ok_and(|k| k as i64 > reach.hi) {
                    let len = m_len.parse().ok();
                    if cx.visible().iter().any(|a| {
                        a.name == m && matches!(a.kind, Kind::Arr(k) | Kind::Slice(Some(k)) if Some(k) == len)
                    }) {
                        // A valid index wherever it is visible.
                        v.index_for = Some((m.clone(), len, None));
                    }
                }
                cx.declare(v);
                l
            }
        };
        let l_max = match &carrier {
            Some(_) => cx
                .visible()
                .iter()
                .find(|v| v.name == l)
                .map_or(100.0, |v| v.bound),
            None => reach.hi as f64,
        };
        // The sink, after the array so that it does not shadow it; nor an accumulator or a
        // float local that the result may go to (the wrapping loop's among them).
        let taken = Self::taken(cx, &[&m, &l]);
        let taken: Vec<&str> = taken.iter().map(String::as_str).collect();
        let innermost = nest.levels[depth_now - 1].id;
        // At most two adds per run of the innermost body, four per run of another level.
        let adds = 2 * reach.execs + 4 * reach.visits + 1;
        // Sometimes a second counter stepped next to `l` (carried the same way).
        let second = self.rng.chance(0.2).then(|| {
            let q = self.counter_name();
            let (q0, step) = (self.rng.range(0, 3), self.rng.range(1, 2));
            body.push(S::Raw(format!("let mut {q} = {q0};")));
            let max = q0 + step * reach.execs;
            cx.declare(self.var(cx, q.clone(), Kind::Int, max as f64, true));
            (q, step)
        });
        let sink = match self.rng.weighted(&[5, 2, 3]) {
            0 => {
                let s = self.name_avoiding(&taken);
                let (e, b) = if self.rng.chance(0.5) {
                    (E::Num(0.0), 0.0)
                } else {
                    let (e, b) = self.expr(cx, 1);
                    self.fit((e, b), 1.0)
                };
                let ty = matches!(e, E::Num(_)).then(|| "f64".to_string());
                let mut v = self.var(cx, s.clone(), Kind::F, b + 2.0 * adds as f64, true);
                v.acc = Some(innermost);
                Self::declare_from(cx, v, &ty, &e);
                body.push(S::Let {
                    pat: s.clone(),
                    mutable: true,
                    ty,
                    e,
                });
                Sink::Acc(s)
            }
            1 => {
                let s = self.name_avoiding(&taken);
                let (e, b) = self.expr(cx, 1);
                let (e, b) = self.fit((e, b), 1.0);
                let bound = b + 2.0 * adds.min(10) as f64;
                let mut v = self.var(cx, s.clone(), Kind::F, bound, true);
                // Hidden from the nest's own expressions (below).
                v.linear = true;
                Self::declare_from(cx, v, &None, &e);
                body.push(S::Let {
                    pat: s.clone(),
                    mutable: true,
                    ty: None,
                    e,
                });
                Sink::State(s)
            }
            _ => {
                let y = self.name_avoiding(&taken);
                // At least 2: `Gen::index` reads elements 0 and 1 of any array.
                let len = (reach.counter_max[depth_now - 1] + 1).max(2);
                body.push(S::Let {
                    pat: y.clone(),
                    mutable: true,
                    ty: Some(format!("[f64; {len}]")),
                    e: E::Place(format!("[0.0; {len}]")),
                });
                let mut v = self.var(cx, y.clone(), Kind::Arr(len), 2.0 * adds as f64, true);
                v.linear = true;
                cx.declare(v);
                Sink::Array(y, len)
            }
        };
        let walk = Walk {
            n: nest.size.text(),
            nest,
            reach,
            l: l.clone(),
            m: m.clone(),
            m_len,
            m_bound,
            index,
            sink: sink.clone(),
            l_max,
            cast,
            second,
        };
        // While the nest is written, the sink is out of reach of its expressions (as an
        // accumulator is): an update that reads the sink through a term multiplied by the
        // counter (`s = 0.9 * s + 2.0 * ((l as f64) * (c - s).tanh()).sin()`, l up to 40) has
        // a derivative up to 2 l per run, and a few dozen runs make the function chaotic at the
        // scale of a finite-difference step (seed 888000, f526: a jump of 1.4 between inputs
        // 1e-6 apart).
        // Nor may the nest's other statements assign what was declared around it: an update
        // of outer state run up to a few hundred times compounds its derivative the same way.
        let inside = cx.level() + 1;
        let frozen = std::mem::replace(&mut cx.frozen, inside);
        let nest_stmt = self.carried_level(cx, &walk, 0);
        cx.frozen = frozen;
        body.push(nest_stmt);
        if let Sink::State(name) | Sink::Array(name, _) = &sink {
            if let Some(v) = cx.find_mut(name) {
                v.linear = false;
            }
        }
        Self::release_accs(cx, innermost, walk.reach.execs, false);
        // The result, maybe with the counter read after the loops.
        let (mut e, mut b) = match &sink {
            Sink::Acc(s) | Sink::State(s) => {
                let b = cx.find_mut(s).map_or(1.0, |v| v.bound);
                (E::Place(s.clone()), b)
            }
            Sink::Array(y, len) => {
                let b = cx.find_mut(y).map_or(1.0, |v| v.bound);
                let last = E::Place(format!("{y}[{}]", len - 1));
                if *len == 1 {
                    (last, b)
                } else {
                    let first = E::Place(format!("{y}[0]"));
                    (bin("-", last, bin("*", E::Num(0.5), first)), 1.5 * b)
                }
            }
        };
        let mut extra = false;
        if self.rng.chance(0.4) {
            let (x, xb) = self.active_leaf(cx);
            let (x, xb) = self.fit((x, xb), 1.0);
            let (t, tb) = self.fit((bin("*", E::Int(l.clone()), x), l_max * xb), 2.0);
            e = bin("+", e, t);
            b += tb;
            extra = true;
        }
        if self.rng.chance(0.25) {
            let (x, xb) = self.active_leaf(cx);
            let (x, xb) = self.fit((x, xb), 1.0);
            let read = E::Place(format!("{m}[{} % {}]", walk.ix(&l), walk.m_len));
            e = bin("+", e, bin("*", read, x));
            b += m_bound * xb;
            extra = true;
        }
        let result = match (&sink, extra) {
            (Sink::Acc(s) | Sink::State(s), false) => s.clone(),
            _ => {
                let r = self.name_avoiding(&taken);
                let v = self.var(cx, r.clone(), Kind::F, b, false);
                cx.declare(v);
                body.push(S::Let {
                    pat: r.clone(),
                    mutable: false,
                    ty: None,
                    e,
                });
                r
            }
        };
        let Some((k, end, ks, id)) = wrap else {
            out.extend(outer_out);
            out.extend(body);
            return Some(result);
        };
        // In the wrapping loop: into its accumulator.
        let total = total.unwrap();
        let bound = cx.find_mut(&result).map_or(1.0, |v| v.bound);
        let (e, b) = self.fit((E::Place(result), bound), 4.0);
        body.push(S::Compound(total.clone(), "+=", e));
        if let Some(v) = cx.find_mut(&total) {
            v.growth += b;
        }
        let n = self.rng.range(0, 1);
        self.stmts(cx, n, &mut body);
        cx.no_jump = no_jump;
        Self::close_loop(cx);
        Self::release_accs(cx, id, ks.len(), false);
        out.extend(outer_out);
        out.push(S::For(format!("{k} in 0..{end}"), body));
        Some(total)
    }

    /// The loop of level `d` of the nest, and the levels inside it.
    fn carried_level(&mut self, cx: &mut Ctx, w: &Walk, d: usize) -> S {
        let nest = &w.nest;
        let level = &nest.levels[d];
        let outer_counter = if d == 0 {
            String::new()
        } else {
            nest.levels[d - 1].counter.clone()
        };
        let header = level
            .span
            .header(&level.counter, &outer_counter, &w.n, &w.ix(&w.l));
        let info = LoopInfo {
            id: level.id,
            counter: Some((level.counter.clone(), w.reach.counter_max[d])),
            over: None,
            trips: w.reach.trips[d].max(1),
        };
        self.open_loop(cx, &info);
        let no_jump = cx.no_jump.replace(level.id);
        let c = &level.counter;
        let l = &w.l;
        let mut body = Vec::new();
        if d + 1 == nest.levels.len() {
            // The steps of `l` (and of the second counter). A condition is drawn where it goes
            // (after the body's own locals when at the end).
            let step = |g: &mut Gen, cx: &Ctx, body: &mut Vec<S>| {
                let step = g.step_stmt(w, nest.step);
                body.push(if nest.twist == Twist::CondStep {
                    let cond = g.counter_cond(cx, c);
                    S::If(vec![(cond, vec![step])], None)
                } else {
                    step
                });
                if let Some((q, k)) = &w.second {
                    body.push(S::Raw(format!("{q} += {k};")));
                }
            };
            if nest.top {
                step(self, cx, &mut body);
            }
            let index = match w.index {
                Index::Direct => w.ix(l),
                Index::Mod => format!("{} % {}", w.ix(l), w.m_len),
                Index::Div => format!("{} % {}", w.ix(&format!("({l} / {})", nest.step)), w.m_len),
                Index::Plus => format!("({} + {c}) % {}", w.ix(l), w.m_len),
            };
            let factor = self.factor(cx, w, d);
            let read = bin("*", E::Place(format!("{}[{index}]", w.m)), factor.0);
            if self.rng.chance(0.2) {
                // In a branch on the counter (which the reverse tests again).
                let mut then = Vec::new();
                self.sink_add(w, &mut then, (read, w.m_bound * factor.1), d);
                let k = self.rng.range(2, 3);
                let cond = C::Raw(format!("{l} % {k} == {}", self.rng.below(k)));
                body.push(S::If(vec![(cond, then)], None));
            } else {
                self.sink_add(w, &mut body, (read, w.m_bound * factor.1), d);
            }
            if let Some((q, _)) = &w.second {
                let (x, xb) = self.expr(cx, 1);
                let (x, xb) = self.fit((x, xb), 1.0);
                let place = E::Place(format!("{}[{q} % {}]", w.m, w.m_len));
                self.sink_add(w, &mut body, (bin("*", place, x), w.m_bound * xb), d);
            }
            if self.rng.chance(0.3) {
                // The counter as a float too.
                let (x, xb) = self.expr(cx, 1);
                let (x, xb) = self.fit((x, xb), 1.0);
                let t = (bin("*", E::Int(l.clone()), x), w.l_max * xb);
                self.sink_add(w, &mut body, t, d);
            }
            if self.rng.chance(0.4) {
                self.stmts(cx, 1, &mut body);
            }
            match nest.twist {
                Twist::ContinueInner => {
                    let cond = self.counter_cond(cx, c);
                    body.push(S::If(vec![(cond, vec![S::Continue])], None));
                }
                Twist::BreakInner => {
                    let cond = self.counter_cond(cx, c);
                    body.push(S::If(vec![(cond, vec![S::Break])], None));
                }
                _ => {}
            }
            if !nest.top {
                step(self, cx, &mut body);
            }
        } else {
            let here = nest.at == d;
            let outer_step = |up: bool, lit: usize| {
                S::Raw(if up {
                    format!("{l} += {lit};")
                } else {
                    format!("{l} -= {lit};")
                })
            };
            if here && nest.twist == Twist::ReadAtStart {
                let t = self.modulo_read(cx, w, c);
                self.sink_add(w, &mut body, t, d);
            }
            if let (true, Twist::OuterStep { before: true, lit }) = (here, nest.twist) {
                body.push(outer_step(nest.up, lit));
            }
            if let (true, Twist::ContinueOuter { before: true }) = (here, nest.twist) {
                let cond = self.counter_cond(cx, c);
                body.push(S::If(vec![(cond, vec![S::Continue])], None));
            }
            if let (true, Twist::InBranch) = (here, nest.twist) {
                let cond = self.counter_cond(cx, c);
                cx.depth += 1;
                let inner = self.carried_level(cx, w, d + 1);
                cx.depth -= 1;
                body.push(S::If(vec![(cond, vec![inner])], None));
            } else {
                let inner = self.carried_level(cx, w, d + 1);
                body.push(inner);
            }
            if here && nest.twist == Twist::TwoInner {
                let again = self.carried_level(cx, w, d + 1);
                body.push(again);
            }
            if let (true, Twist::ContinueOuter { before: false }) = (here, nest.twist) {
                let cond = self.counter_cond(cx, c);
                body.push(S::If(vec![(cond, vec![S::Continue])], None));
            }
            if let (true, Twist::OuterStep { before: false, lit }) = (here, nest.twist) {
                body.push(outer_step(nest.up, lit));
            }
            if self.rng.chance(0.15) {
                // The value the inner loop leaves, read by another loop after it.
                self.loop_ids += 1;
                let j = self.counter_name();
                let info = LoopInfo {
                    id: self.loop_ids,
                    counter: Some((j.clone(), 1)),
                    over: None,
                    trips: 2,
                };
                self.open_loop(cx, &info);
                let no_jump = cx.no_jump.replace(info.id);
                let mut inner = Vec::new();
                let t = self.modulo_read(cx, w, &j);
                self.sink_add(w, &mut inner, t, d);
                cx.no_jump = no_jump;
                Self::close_loop(cx);
                body.push(S::For(format!("{j} in 0..2"), inner));
            } else if self.rng.chance(0.3) {
                // The value the inner loop leaves, read after it.
                let t = self.modulo_read(cx, w, c);
                self.sink_add(w, &mut body, t, d);
            }
            if self.rng.chance(0.3) {
                self.stmts(cx, 1, &mut body);
            }
        }
        cx.no_jump = no_jump;
        Self::close_loop(cx);
        S::For(header, body)
    }

    /// `extra` and the names of the accumulators and mutable floats in scope.
    fn taken(cx: &Ctx, extra: &[&str]) -> Vec<String> {
        cx.visible()
            .iter()
            .filter(|v| v.acc.is_some() || (v.mutable && v.kind == Kind::F))
            .map(|v| v.name.clone())
            .chain(extra.iter().map(|s| s.to_string()))
            .collect()
    }

    /// `l += 2;` in one of the forms the macro steps back (`l = l + 2`, `l = 2 + l`, `l -= 2`,
    /// `l = l - 2`).
    fn step_stmt(&mut self, w: &Walk, step: usize) -> S {
        S::Raw(self.step_text(&w.l, step, w.nest.up))
    }

    /// A condition on the loop counter `c` or on active values.
    fn counter_cond(&mut self, cx: &Ctx, c: &str) -> C {
        if self.rng.chance(0.5) {
            let k = self.rng.range(2, 3);
            C::Raw(format!("{c} % {k} == {}", self.rng.below(k)))
        } else {
            self.cond(cx, 1)
        }
    }

    /// `m[(l + c) % len] * e` (or `m[l % len] * e`).
    fn modulo_read(&mut self, cx: &Ctx, w: &Walk, c: &str) -> (E, f64) {
        let index = if self.rng.chance(0.5) {
            format!("({} + {c}) % {}", w.ix(&w.l), w.m_len)
        } else {
            format!("{} % {}", w.ix(&w.l), w.m_len)
        };
        let (x, xb) = self.expr(cx, 1);
        let (x, xb) = self.fit((x, xb), 1.0);
        (
            bin("*", E::Place(format!("{}[{index}]", w.m)), x),
            w.m_bound * xb,
        )
    }

    /// The factor of a read in the innermost body: for an array sink, often an element at the
    /// counter of the level around (`x[c]`), as in a packed-triangle product.
    fn factor(&mut self, cx: &Ctx, w: &Walk, d: usize) -> (E, f64) {
        if let (Sink::Array(y, _), true) = (&w.sink, d > 0) {
            let c = &w.nest.levels[d - 1].counter;
            let c_max = w.reach.counter_max[d - 1];
            let xs: Vec<(String, Option<usize>, f64)> = self
                .indexables(cx, true)
                .into_iter()
                .filter(|(v, _)| v.name != *y)
                .map(|(v, len)| (v.name, len, v.bound))
                .collect();
            if !xs.is_empty() && self.rng.chance(0.7) {
                let (x, len, b) = self.rng.pick(&xs).clone();
                let index = match len {
                    Some(k) if k > c_max => c.clone(),
                    _ => format!("{c} % {x}.len()"),
                };
                return self.fit((E::Place(format!("{x}[{index}]")), b), 2.0);
            }
        }
        let (e, b) = self.expr(cx, 1);
        self.fit((e, b), 1.0)
    }

    /// Adds `e` into the nest's sink from the body of level `d`.
    fn sink_add(&mut self, w: &Walk, body: &mut Vec<S>, e: (E, f64), d: usize) {
        let (e, _) = self.fit(e, 2.0);
        match &w.sink {
            Sink::Acc(s) => {
                let op = if self.rng.chance(0.8) { "+=" } else { "-=" };
                body.push(S::Compound(s.clone(), op, e));
            }
            Sink::State(s) => body.push(S::Assign(
                s.clone(),
                bin("+", bin("*", E::Num(0.9), E::Place(s.clone())), e),
            )),
            Sink::Array(y, len) => {
                let c = &w.nest.levels[d].counter;
                let index = if d + 1 == w.nest.levels.len() {
                    c.clone()
                } else {
                    format!("{c} % {len}")
                };
                body.push(S::Compound(format!("{y}[{index}]"), "+=", e));
            }
        }
    }

    /// A local array of `len` elements (at least 2, which `Gen::index` assumes) read by a
    /// nest: listed (the first an active leaf), or `[0.0; len]` filled by a loop when long.
    fn table(&mut self, cx: &mut Ctx, out: &mut Vec<S>, len: usize) -> (String, f64) {
        let len = len.max(2);
        // Not a name in scope: the filling loop below reads what is in scope.
        let taken: Vec<String> = cx.visible().iter().map(|v| v.name.clone()).collect();
        let taken: Vec<&str> = taken.iter().map(String::as_str).collect();
        let name = self.name_avoiding(&taken);
        if len <= 6 {
            let mut items = Vec::new();
            let mut bound: f64 = 0.0;
            for k in 0..len {
                let (e, b) = if k == 0 {
                    self.active_leaf(cx)
                } else {
                    self.expr(cx, 1)
                };
                let (e, b) = self.fit((e, b), 2.0);
                bound = bound.max(b);
                items.push(e);
            }
            self.let_array(cx, out, &name, items, bound);
            return (name, bound);
        }
        out.push(S::Let {
            pat: name.clone(),
            mutable: true,
            ty: Some(format!("[f64; {len}]")),
            e: E::Place(format!("[0.0; {len}]")),
        });
        self.loop_ids += 1;
        let i = self.counter_name();
        let info = LoopInfo {
            id: self.loop_ids,
            counter: Some((i.clone(), len - 1)),
            over: None,
            trips: len,
        };
        self.open_loop(cx, &info);
        let saved = std::mem::replace(&mut self.restrict, true);
        let (e, b) = self.active_leaf(cx);
        let (e, _) = self.fit((e, b), 2.0);
        self.restrict = saved;
        Self::close_loop(cx);
        // 0.5 * (e + 0.3 * (i as f64)).sin(): another value per element.
        let value = bin(
            "*",
            E::Num(0.5),
            method(
                "sin",
                bin("+", e, bin("*", E::Num(0.3), E::Int(i.clone()))),
                vec![],
            ),
        );
        out.push(S::For(
            format!("{i} in 0..{len}"),
            vec![S::Assign(format!("{name}[{i}]"), value)],
        ));
        let v = self.var(cx, name.clone(), Kind::Arr(len), 0.5, false);
        cx.declare(v);
        (name, 0.5)
    }
}
