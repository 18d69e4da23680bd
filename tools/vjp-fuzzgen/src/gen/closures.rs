//! The `closures` switch: local closures (`vjp-macro/src/lower/closures.rs`), which the macro
//! inlines at each call.
//!
//! A closure is defined mostly near the top of a block (the function's, a loop body's, a
//! branch's): `let act7 = |t8: f64, i9: usize| (t8 * x0[i9]).tanh() * k;`, with 1 to 3 float
//! parameters (typed or, where Rust can infer them, not) and sometimes a `usize` one (an index
//! into a captured slice or array, or a small integer), or only the `usize` one. Its body is a
//! random expression (sometimes a block with a `let`) of its parameters and of what it may
//! capture: the parameters and the locals that are never assigned (not `mut`), and the earlier
//! closures, which it may call. It is called later in the same scope, anywhere an expression
//! is generated: in loops, branches, conditions, call arguments (`f(g(x))`), other closures'
//! bodies, reductions' closures, and (with `reductions` or `rows`) given by name to `.map(f)`.
//!
//! The macro reads a closure's captures where it inlines a call, so a call is generated only
//! where every name the closure captures (also through the closures it calls) still resolves to
//! the declaration the closure saw: not after a `let` that shadows one, not inside a reduction's
//! closure or another closure whose parameter has the name. A closure's name is fresh; a float
//! parameter is now and then named like an outer local, which its body then cannot read.

use super::reduce::Bound;
use super::{bin, Ctx, Gen, Kind, LoopInfo, Var};
use crate::ast::{C, E, S};

/// A parameter of a local closure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Param {
    /// `f64`, with arguments of magnitude at most 2.
    F,
    /// `usize`, with arguments at most this.
    Int(usize),
}

/// What a call of a local closure needs to know.
#[derive(Clone, Debug)]
pub(super) struct Sig {
    params: Vec<Param>,
    /// Bound on the value.
    bound: f64,
    /// The names the body reads, also through the closures it calls, with the `Var::uid` of
    /// the declaration each resolved to where the closure was made.
    captures: Vec<(String, usize)>,
    /// The indexable the integer parameter indexes without `%` (its name and length, if
    /// fixed): its arguments must be valid indices of it.
    over: Option<(String, Option<usize>)>,
}

/// Whether a closure may capture `v`: never assigned after its declaration.
fn capturable(v: &Var) -> bool {
    !v.mutable
        && v.acc.is_none()
        && !v.linear
        && !v.name.contains('[')
        && matches!(
            v.kind,
            Kind::F | Kind::Tup2 | Kind::Arr(_) | Kind::Slice(_) | Kind::Int | Kind::Closure(_)
        )
}

/// Whether `name` is read in `e` where Rust needs its type at once: in a method's receiver, or
/// anywhere inside a block, a reduction, an `if` or a `match` (conservatively), or as an
/// argument of a local closure.
fn needs_type(e: &E, name: &str) -> bool {
    let reads = |e: &E| {
        let mut roots = Vec::new();
        e.roots(&mut roots);
        roots.iter().any(|r| r == name)
    };
    match e {
        E::Method(_, r, args) | E::Traced(_, r, args) => {
            reads(r) || args.iter().any(|a| needs_type(a, name))
        }
        // `-q` on an untyped parameter: Rust needs the type before it sees a call (seed 77000).
        E::Neg(a) if matches!(&**a, E::Place(n) if n == name) => true,
        E::Block(..) | E::Reduce(..) | E::If(..) | E::Match(..) | E::Local(..) => reads(e),
        _ => e.children().into_iter().any(|c| needs_type(c, name)),
    }
}

impl Gen {
    /// Whether a local closure is visible (there may be one to call).
    pub(super) fn has_closure(&self, cx: &Ctx) -> bool {
        cx.scopes
            .iter()
            .any(|s| s.iter().any(|v| matches!(v.kind, Kind::Closure(_))))
    }

    /// Whether condition `c` calls a local closure (the macro rejects that: `closure-in-cond`).
    pub(super) fn calls_local(&self, cx: &Ctx, c: &C) -> bool {
        let mut roots = Vec::new();
        c.roots(&mut roots);
        let vis = cx.visible();
        roots.iter().any(|r| {
            vis.iter()
                .any(|v| v.name == *r && matches!(v.kind, Kind::Closure(_)))
        })
    }

    /// Whether every name closure `k` captures resolves here to what it saw.
    fn intact(&self, cx: &Ctx, k: usize) -> bool {
        let vis = cx.visible();
        self.closures[k]
            .captures
            .iter()
            .all(|(n, uid)| vis.iter().any(|v| v.name == *n && v.uid == *uid))
    }

    /// The closures that may be called here.
    fn callable_closures(&self, cx: &Ctx) -> Vec<(String, usize)> {
        cx.visible()
            .iter()
            .filter_map(|v| match v.kind {
                Kind::Closure(k) if self.intact(cx, k) => Some((v.name.clone(), k)),
                _ => None,
            })
            .collect()
    }

    /// `let f = |..| ..;`, declared in `cx`.
    pub(super) fn closure_def(&mut self, cx: &mut Ctx, out: &mut Vec<S>) {
        self.fresh += 1;
        let base = *self.rng.pick(&["act", "wave", "mix", "lift", "sq"]);
        let name = format!("{base}{}", self.fresh);
        let captured: Vec<Var> = cx
            .visible()
            .into_iter()
            .filter(|v| capturable(v))
            .cloned()
            .collect();
        // The parameters: sometimes an index, and 1 to 3 floats (0 to 3 with an index).
        let int = self.rng.chance(0.3);
        let n_float = if int {
            self.rng.weighted(&[2, 3, 2, 1])
        } else {
            1 + self.rng.weighted(&[4, 3, 1])
        };
        let int_at = if int {
            Some(self.rng.below(n_float + 1))
        } else {
            None
        };
        let indexables: Vec<&Var> = captured
            .iter()
            .filter(|v| matches!(v.kind, Kind::Slice(_) | Kind::Arr(_)))
            .collect();
        let mut over = None;
        let mut int_max = 0;
        if int {
            if !indexables.is_empty() && self.rng.chance(0.5) {
                let a = indexables[self.rng.below(indexables.len())];
                let len = match a.kind {
                    Kind::Arr(n) | Kind::Slice(Some(n)) => Some(n),
                    _ => None,
                };
                // A slice has 2 to 5 elements.
                int_max = len.map_or(4, |n| n - 1);
                over = Some((a.name.clone(), len));
            } else {
                int_max = self.rng.range(2, 6);
            }
        }
        let mut ccx = cx.clone();
        ccx.scopes = vec![captured.clone()];
        ccx.depth = cx.depth + 1;
        ccx.top = false;
        ccx.in_block = false;
        ccx.in_top_if = false;
        ccx.pending = Vec::new();
        ccx.no_return = true;
        let mut names: Vec<String> = Vec::new();
        let mut params: Vec<(String, Param)> = Vec::new();
        let mut vars = Vec::new();
        let mut counter = None;
        for p in 0..n_float + usize::from(int) {
            if int_at == Some(p) {
                let i = self.counter_name();
                let v = self.var(&ccx, i.clone(), Kind::Int, int_max as f64, false);
                vars.push(v);
                counter = Some((i.clone(), int_max));
                params.push((i.clone(), Param::Int(int_max)));
                names.push(i);
                continue;
            }
            // Now and then the name of an outer float local, which the body then cannot read.
            let outer: Vec<&Var> = captured
                .iter()
                .filter(|v| v.kind == Kind::F && !v.by_ref && !names.contains(&v.name))
                .collect();
            let t = if !outer.is_empty() && self.rng.chance(0.2) {
                outer[self.rng.below(outer.len())].name.clone()
            } else {
                self.fresh += 1;
                format!("{}{}", self.rng.pick(&["t", "z", "r"]), self.fresh)
            };
            vars.push(self.var(&ccx, t.clone(), Kind::F, 2.0, false));
            params.push((t.clone(), Param::F));
            names.push(t);
        }
        self.loop_ids += 1;
        // A closure's body may run in loops: callees are priced as if called 8 times.
        ccx.loops = vec![LoopInfo {
            id: self.loop_ids,
            counter: counter.clone(),
            over: over.as_ref().map(|(a, _)| a.clone()),
            trips: 8,
        }];
        ccx.scopes.push(vars.clone());
        let bound = Bound {
            pat: String::new(),
            vars,
            counter,
        };
        let saved = std::mem::replace(&mut self.restrict, true);
        // An index-only closure mostly reads an active value.
        let active = n_float == 0 && self.rng.chance(0.8);
        let d = self.rng.range(1, 2);
        let body = self.closure_body(&mut ccx, d, &bound, 2.0, active);
        self.restrict = saved;
        let Some((mut body, mut b)) = body else {
            return self.let_scalar(cx, out);
        };
        // Every parameter read: the ones the body does not read are added in.
        let mut roots = Vec::new();
        body.lets.iter().for_each(|(_, e)| e.roots(&mut roots));
        body.value.roots(&mut roots);
        for (p, kind) in &params {
            if roots.contains(p) {
                continue;
            }
            let (e, pb) = match kind {
                Param::F => (E::Place(p.clone()), 2.0),
                Param::Int(max) => (E::Int(p.clone()), *max as f64),
            };
            let c = *self.rng.pick(&[0.5, 0.25]);
            let value = std::mem::replace(&mut body.value, E::Num(0.0));
            let op = *self.rng.pick(&["+", "-"]);
            body.value = bin(op, value, bin("*", E::Num(c), e));
            b += c * pb;
        }
        if b > 4.0 {
            let value = std::mem::replace(&mut body.value, E::Num(0.0));
            let (v, vb) = self.fit((value, b), 2.0);
            body.value = v;
            b = vb;
        }
        // What it captures, also through the closures it calls.
        let lets: Vec<&String> = body.lets.iter().map(|(n, _)| n).collect();
        let mut roots = Vec::new();
        body.lets.iter().for_each(|(_, e)| e.roots(&mut roots));
        body.value.roots(&mut roots);
        let mut captures: Vec<(String, usize)> = Vec::new();
        let mut reads_active = false;
        for r in &roots {
            if names.contains(r) || lets.contains(&r) {
                continue;
            }
            let Some(v) = captured.iter().rev().find(|v| v.name == *r) else {
                continue;
            };
            if let Kind::Closure(k) = v.kind {
                for c in self.closures[k].captures.clone() {
                    if !captures.contains(&c) {
                        captures.push(c);
                    }
                }
            }
            reads_active |= !v.nograd && v.kind != Kind::Int;
            let c = (v.name.clone(), v.uid);
            if !captures.contains(&c) {
                captures.push(c);
            }
        }
        // Untyped float parameters where Rust infers their type from the body.
        let mut exprs: Vec<&E> = body.lets.iter().map(|(_, e)| e).collect();
        exprs.push(&body.value);
        let mut written = Vec::new();
        for (p, kind) in &params {
            let in_lets = body.lets.iter().any(|(_, e)| {
                let mut r = Vec::new();
                e.roots(&mut r);
                r.contains(p)
            });
            let typed = match kind {
                Param::Int(_) => true,
                Param::F => {
                    in_lets
                        || exprs.iter().any(|e| needs_type(e, p))
                        || (!reads_active && !self.opts.untyped_inactive_closure)
                        || self.rng.chance(0.6)
                }
            };
            written.push(match (kind, typed) {
                (Param::Int(_), _) => format!("{p}: usize"),
                (Param::F, true) => format!("{p}: f64"),
                (Param::F, false) => p.clone(),
            });
        }
        self.closures.push(Sig {
            params: params.iter().map(|(_, k)| *k).collect(),
            bound: b,
            captures,
            over,
        });
        let k = self.closures.len() - 1;
        let mut v = self.var(cx, name.clone(), Kind::Closure(k), b, false);
        // A closure that reads no active value gives an inactive value for inactive arguments.
        v.nograd = !reads_active;
        cx.declare(v);
        out.push(S::Closure(name.clone(), written, body));
        // Mostly called at once too.
        if self.rng.chance(0.5) {
            let (e, b) = self.call_of(cx, 1, k, name);
            let l = self.name();
            let ty = self.rng.chance(0.3).then(|| "f64".to_string());
            let v = self.var(cx, l.clone(), Kind::F, b, false);
            Self::declare_from(cx, v, &ty, &e);
            out.push(S::Let {
                pat: l,
                mutable: false,
                ty,
                e,
            });
        }
    }

    /// A call of a local closure, with its bound.
    pub(super) fn closure_call(&mut self, cx: &Ctx, d: usize) -> Option<(E, f64)> {
        let cands = self.callable_closures(cx);
        if cands.is_empty() {
            return None;
        }
        let (name, k) = cands[self.rng.below(cands.len())].clone();
        Some(self.call_of(cx, d, k, name))
    }

    /// A call of closure `k`, named `name` here, with its bound.
    fn call_of(&mut self, cx: &Ctx, d: usize, k: usize, name: String) -> (E, f64) {
        let sig = self.closures[k].clone();
        let mut args = Vec::new();
        for p in &sig.params {
            let arg = match p {
                Param::F => {
                    let (e, b) = self.expr(cx, d.min(2));
                    let e = self.fit((e, b), 2.0).0;
                    self.typed_arg(cx, e)
                }
                Param::Int(max) => E::Place(self.int_arg(cx, &sig.over, *max)),
            };
            args.push(arg);
        }
        (E::Local(name, args), sig.bound)
    }

    /// An argument for a `usize` parameter: a valid index of `over`, or at most `max`.
    fn int_arg(&mut self, cx: &Ctx, over: &Option<(String, Option<usize>)>, max: usize) -> String {
        let ints: Vec<Var> = cx
            .readable(|k| k == Kind::Int)
            .into_iter()
            .filter(|v| !v.not_usize)
            .collect();
        if let Some((a, len)) = over {
            // Counters of loops over `0..a.len()`, integers declared valid indices of `a`.
            let mut valid: Vec<String> = cx
                .loops
                .iter()
                .filter(|l| l.over.as_deref() == Some(a.as_str()))
                .filter_map(|l| l.counter.as_ref().map(|(c, _)| c.clone()))
                .filter(|c| ints.iter().any(|v| v.name == *c))
                .collect();
            valid.extend(
                ints.iter()
                    .filter(|v| {
                        v.index_for.as_ref().is_some_and(|(n, l, during)| {
                            n == a
                                && l == len
                                && during.is_none_or(|id| cx.loops.iter().any(|l| l.id == id))
                        })
                    })
                    .map(|v| v.name.clone()),
            );
            if !valid.is_empty() && self.rng.chance(0.6) {
                return self.rng.pick(&valid).clone();
            }
            return match (len, self.rng.below(3)) {
                (Some(n), _) => self.rng.below(*n).to_string(),
                (None, 0) => format!("{a}.len() - 1"),
                (None, 1) => format!("{a}.len() / 2"),
                (None, _) => self.rng.below(2).to_string(),
            };
        }
        let small: Vec<&Var> = ints.iter().filter(|v| v.bound <= max as f64).collect();
        if !small.is_empty() && self.rng.chance(0.6) {
            let v = small[self.rng.below(small.len())];
            if v.bound < max as f64 && self.rng.chance(0.3) {
                return format!("{} + 1", v.name);
            }
            return v.name.clone();
        }
        self.rng.range(0, max).to_string()
    }

    /// A closure to give by name to `.map(..)`: of one float parameter for a float item of
    /// bound `val`, or of one integer for an integer item at most `int` (over `over`); none
    /// that captures a name an earlier stage binds. Its name and bound.
    pub(super) fn local_by_name(
        &mut self,
        cx: &Ctx,
        val: Option<f64>,
        int: Option<usize>,
        banned: &[String],
        over: &Option<String>,
    ) -> Option<(String, f64)> {
        let cands: Vec<(String, usize)> = self
            .callable_closures(cx)
            .into_iter()
            .filter(|(_, k)| {
                let sig = &self.closures[*k];
                let fits = match (sig.params.as_slice(), val, int) {
                    ([Param::F], Some(b), _) => b <= 2.0,
                    ([Param::Int(max)], _, Some(n)) => match &sig.over {
                        None => n <= *max,
                        Some((a, _)) => over.as_deref() == Some(a.as_str()),
                    },
                    _ => false,
                };
                fits && !sig.captures.iter().any(|(n, _)| banned.contains(n))
            })
            .collect();
        if cands.is_empty() {
            return None;
        }
        let (name, k) = cands[self.rng.below(cands.len())].clone();
        Some((name, self.closures[k].bound))
    }
}

/// Types the float parameters of the closures in `body` that are never called (Rust cannot
/// infer them then): `text` is the function as written.
pub(super) fn type_uncalled(body: &mut [S], text: &str) {
    for s in body {
        match s {
            S::Closure(name, params, _) => {
                let called =
                    text.contains(&format!("{name}(")) || text.contains(&format!("({name})"));
                if !called {
                    for p in params.iter_mut().filter(|p| !p.contains(':')) {
                        *p = format!("{p}: f64");
                    }
                }
            }
            S::If(arms, els) => {
                for (_, b) in arms {
                    type_uncalled(b, text);
                }
                if let Some(b) = els {
                    type_uncalled(b, text);
                }
            }
            S::For(_, b) | S::While(_, b) | S::Loop(b) | S::Block(b) => type_uncalled(b, text),
            S::Match(_, arms) => {
                for a in arms {
                    type_uncalled(&mut a.body, text);
                }
            }
            _ => {}
        }
    }
}
