//! Which tapes share the call's one buffer, `vjp_runtime::arena::Arena`.
//!
//! When a function has two tapes or more that can be lanes of the arena (a stack of its own
//! each, in a region of one buffer), all of them are: the call makes one allocation for them
//! when it starts, sized from the trip counts of the loops that the parameters fix (see
//! [`crate::hoist`]), and a lane whose loop's trip count is only known when that loop starts
//! makes room then, in what is left or by growing the buffer (which the next call on the
//! thread reuses: `Arena::with_capacity`). A lane stores its
//! values as 64-bit words, so it needs a type the macro knows has them
//! (`vjp_runtime::arena::Word`): floats, arrays and tuples of floats, the trip counts the
//! generated code counts in a `usize`, and the variables known to be integers
//! ([`crate::ints`]), and `Option`s of those (an undo log's entry for a write in a branch).
//!
//! A tape that also saves a value whose type the macro cannot name (an integer from a call,
//! an element of a `Vec`, a user's type) is a spill (`vjp_runtime::arena::Spill`): its pushes
//! and pops let the compiler choose, from the type, between a lane of the arena (for a type
//! that is `Word`) and a `Vec` of its own (a `Vec` saved whole, say). A spill makes its room
//! when its first value is pushed, once its type is known; the room made when the function
//! starts counts a word per field of its values, what scalars of up to 64 bits take.
//!
//! Every statement that declares, fills or empties a tape asks [`Lanes`] which it is, so that
//! all of a tape's statements agree.

use crate::ir::{Body, Loop, Stmt, VarId};
use crate::plan::Plan;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use std::collections::{HashMap, HashSet};
use syn::Ident;

/// The tapes that are lanes of the call's arena.
#[derive(Default)]
pub struct Lanes {
    /// The names of the lanes and spills: the tapes declared with the arena.
    names: HashSet<String>,
    /// Per spill (a tape whose values the macro cannot show to be words,
    /// `vjp_runtime::arena::Spill`, which the compiler puts on a lane when they are), the
    /// fields of its values: the words a value takes at least when it is words (one per
    /// field, as for floats and integers up to 64 bits), which the arena makes room for when
    /// the function starts, so that the spill's first push finds it there in the usual case.
    fields: HashMap<String, usize>,
    /// The path of the runtime crate.
    root: TokenStream,
    /// Per lane or spill, in the order of declaration: the values it will hold at most, as an
    /// expression that can be computed when the function starts (see [`crate::hoist`]), or
    /// `None` when its loops' trip counts are only known later (the lane then makes room when
    /// its loop starts, in the room left or by growing the buffer).
    room: Vec<(Ident, Option<TokenStream>)>,
}

/// The most fields of a tuple that a lane holds (`vjp_runtime::arena::TUPLE_ARITY`).
const ARITY: usize = 32;

/// The name of the call's arena in the generated code.
pub fn arena() -> Ident {
    Ident::new("arena", Span::mixed_site())
}

impl Lanes {
    /// True when `tape` is a lane or a spill: declared with the arena, at the top.
    pub fn owns(&self, tape: &Ident) -> bool {
        self.names.contains(&tape.to_string())
    }

    /// True when `tape` is a spill (see [`Lanes::fields`]).
    fn is_spill(&self, tape: &Ident) -> bool {
        self.fields.contains_key(&tape.to_string())
    }

    /// True when `tape` is a lane of the arena (and not a spill).
    fn is_lane(&self, tape: &Ident) -> bool {
        self.owns(tape) && !self.is_spill(tape)
    }

    /// `tape.push(value);` (`push_reserved` with `reserved`), or its push on the lane.
    pub fn push(&self, tape: &Ident, value: TokenStream, reserved: bool) -> TokenStream {
        let arena = arena();
        if self.is_spill(tape) {
            // The entry is bound once: the dispatch reads its type, the push moves it (the
            // dispatch's traits are in scope from the arena's declaration).
            let entry = Ident::new("entry", Span::mixed_site());
            let root = &self.root;
            return quote!({
                let #entry = #value;
                (&#root::__private::Stow::of(&#entry)).by().push(&mut #arena, &mut #tape, #entry);
            });
        }
        if self.is_lane(tape) && reserved {
            quote!(#arena.push_reserved(&mut #tape, #value);)
        } else if self.is_lane(tape) {
            quote!(#arena.push(&mut #tape, #value);)
        } else if reserved {
            quote!(#tape.push_reserved(#value);)
        } else {
            quote!(#tape.push(#value);)
        }
    }

    /// `tape.pop()`, or its pop from the lane: an expression.
    pub fn pop(&self, tape: &Ident) -> TokenStream {
        let arena = arena();
        if self.is_spill(tape) {
            let root = &self.root;
            quote!((&#root::__private::Stow::of_spill(&#tape)).by().pop(&mut #arena, &mut #tape))
        } else if self.is_lane(tape) {
            quote!(#arena.pop(&mut #tape))
        } else {
            quote!(#tape.pop())
        }
    }

    /// `tape.reserve(n);`, or room for `n` values on the lane.
    pub fn reserve(&self, tape: &Ident, n: TokenStream) -> TokenStream {
        let arena = arena();
        if self.is_lane(tape) {
            quote!(#arena.reserve(&mut #tape, #n);)
        } else {
            quote!(#tape.reserve(#n);)
        }
    }

    /// `let mut tape = Lane::new();` for a lane, `Spill::new()` for a spill.
    pub fn declare(&self, tape: &Ident) -> TokenStream {
        let root = &self.root;
        if self.is_spill(tape) {
            quote!(let mut #tape = #root::arena::Spill::new();)
        } else if self.is_lane(tape) {
            quote!(let mut #tape = #root::arena::Lane::new();)
        } else {
            TokenStream::new()
        }
    }

    /// The arena, declared when the function has lanes, with room for the values of all
    /// lanes whose loops' trip counts are known when the function starts (`with_capacity(0)`
    /// when none is: unlike `Arena::new`, it takes a buffer an earlier call left); and, when
    /// it has spills, the two traits of their pushes' and pops' dispatch
    /// (`vjp_runtime::__private::Stow`), in scope in the whole function (allowed unused: the
    /// compiler uses one of them).
    pub fn arena_declaration(&self) -> TokenStream {
        if self.names.is_empty() {
            return TokenStream::new();
        }
        let root = &self.root;
        let arena = arena();
        let words = self.room.iter().filter_map(|(lane, n)| {
            let n = n.as_ref()?;
            Some(match self.fields.get(&lane.to_string()) {
                Some(fields) => {
                    let fields = proc_macro2::Literal::usize_suffixed(*fields);
                    quote!((#n).saturating_mul(#fields))
                }
                None => quote!(#lane.words(#n)),
            })
        });
        let words = saturating_sum(words);
        let stow = (!self.fields.is_empty()).then(|| {
            quote! {
                #[allow(unused_imports)]
                use #root::__private::{StowValues as _, StowWords as _};
            }
        });
        quote!(#stow let mut #arena = #root::arena::Arena::with_capacity(#words);)
    }
}

/// The lanes and spills of `plan`'s tapes (see the module docs), with the room each lane
/// needs when the function starts.
pub fn lanes(body: &Body, plan: &Plan, root: &syn::Path) -> Lanes {
    // Which variables are integers, computed when a tape saves a value that is not floats.
    let ints = std::cell::OnceCell::new();
    let words = |v: &VarId| {
        body.vars[*v].ty.fixed_shape() || ints.get_or_init(|| crate::ints::integers(body))[*v]
    };
    // The floats saved as one tuple with `v` (see `Plan::save_head`).
    let group = |v: &VarId| plan.save_head.iter().filter(|h| *h == v).count();
    // The tapes `forward::tape_declarations` declares, under the same conditions, each with
    // whether its values are known to be words and the number of their fields (for a spill's
    // room when the function starts; see `Lanes::fields`).
    let mut tapes: Vec<(Ident, bool, usize)> = Vec::new();
    let saves = |v: &VarId, tapes: &mut Vec<(Ident, bool, usize)>| {
        if plan.save_head[*v] == *v {
            let known = words(v) && group(v) <= ARITY;
            tapes.push((crate::forward::save_tape(body, *v), known, group(v)));
        }
    };
    body.block.walk(&mut |stmt| {
        let Stmt::Loop(l) = stmt else { return };
        let merged = plan.merged_floats(l);
        for v in plan.saved[l.id].iter().filter(|v| !merged.contains(v)) {
            saves(v, &mut tapes);
        }
        for undo in &plan.undo[l.id] {
            // Its entry: the pushed indices, then per write the old element (in an `Option`,
            // with the indices its branch computes, for a write in a branch).
            let elements = (0..undo.updates.len()).all(|j| {
                undo.element_ty(body, j).fixed_shape()
                    && undo.carried[j].iter().all(words)
                    && undo.carried[j].len() <= ARITY
            });
            let indices = undo.pushed.iter().all(words);
            let known = indices && elements && undo.pushed.len() + undo.olds.len() <= ARITY;
            let fields = undo.pushed.len() + undo.olds.len();
            tapes.push((undo.tape.clone(), known, fields));
        }
        let fused = plan.fused.as_ref().is_some_and(|f| f.loop_id == l.id);
        let taped = &plan.taped[l.id];
        let arity = taped.len() + merged.len();
        if plan.loop_work[l.id] && !taped.is_empty() && !fused {
            let known = taped.iter().all(words) && arity <= ARITY;
            tapes.push((l.tape.clone(), known, arity));
        }
        let saves_exits = plan.pushes_exits(l) && !crate::forward::in_fused_body(body, plan, l.id);
        if plan.loop_work[l.id] && saves_exits && !plan.merged_away(l) {
            // The last loop of a frame pushes the exit values of all (see `Plan::frames`).
            let frame = match plan.frames[l.id].as_slice() {
                [] => vec![l.id],
                frame => frame.to_vec(),
            };
            // Each loop's values (its trip count and exit values) are a tuple in the frame's.
            let fits = frame.len() <= ARITY && frame.iter().all(|m| plan.exits[*m].len() < ARITY);
            let known = fits && frame.iter().all(|m| plan.exits[*m].iter().all(words));
            let fields = frame.iter().map(|m| 1 + plan.exits[*m].len()).sum();
            tapes.push((l.exits.clone(), known, fields));
        }
    });
    if let Some(top) = plan.saved.last() {
        for v in top {
            saves(v, &mut tapes);
        }
    }
    let mut lanes = Lanes::default();
    let mut idents = Vec::new();
    for (tape, known, fields) in tapes {
        if !lanes.names.insert(tape.to_string()) {
            continue;
        }
        if !known {
            lanes.fields.insert(tape.to_string(), fields.max(1));
        }
        idents.push(tape);
    }
    // One tape is one allocation at most already, and none for a short loop (a `SmallTape`).
    if idents.len() < 2 {
        return Lanes::default();
    }
    lanes.room = room_at_start(body, plan, &lanes, root, idents);
    lanes.root = quote!(#root);
    lanes
}

/// Per lane: the values it holds at most, when the trip counts of the loops that make room
/// for it are known when the function starts: the loop that makes its room sits in no other
/// loop, or at the top of the fused loop's body (whose iterations each fill and empty it), and
/// its range and those of the loops between it and the lane's loop are known (see
/// [`crate::hoist::Trips::of`]).
fn room_at_start(
    body: &Body,
    plan: &Plan,
    lanes: &Lanes,
    root: &syn::Path,
    idents: Vec<Ident>,
) -> Vec<(Ident, Option<TokenStream>)> {
    // Room made for a tape, at each place that makes some.
    let mut adds: Vec<(Ident, TokenStream)> = Vec::new();
    let mut all: Vec<Option<&Loop>> = Vec::new();
    body.block.walk(&mut |s| {
        if let Stmt::Loop(l) = s {
            if all.len() <= l.id {
                all.resize(l.id + 1, None);
            }
            all[l.id] = Some(l);
        }
    });
    // Each loop's trip count known at the top, computed once.
    let hoist = crate::hoist::Trips::new(body, root);
    let counts: Vec<Option<TokenStream>> =
        all.iter().map(|l| l.and_then(|l| hoist.of(l))).collect();
    let trips = |id: usize| counts.get(id).cloned().flatten();
    let fused = plan.fused.as_ref().map(|f| f.loop_id);
    // The room loop `l` makes when it starts, for its tapes and for those of the loops in it
    // whose room it makes (see `Plan::room`), times `runs`, when it is known.
    let room_of = |l: &Loop, runs: Option<&TokenStream>, adds: &mut Vec<(Ident, TokenStream)>| {
        let Some(n) = trips(l.id) else { return };
        let n = match runs {
            Some(runs) => quote!(#runs.saturating_mul(#n)),
            None => n,
        };
        if !plan.room_outside[l.id] {
            for tape in plan.entry_tapes(body, l) {
                adds.push((tape, n.clone()));
            }
        }
        for r in &plan.room[l.id] {
            let product = r.loops.iter().try_fold(n.clone(), |n, inner| {
                let m = trips(*inner)?;
                Some(quote!(#n.saturating_mul(#m)))
            });
            if let Some(product) = product {
                for tape in &r.tapes {
                    adds.push((tape.clone(), product.clone()));
                }
            }
        }
    };
    let mut outer: Vec<&Loop> = Vec::new();
    for stmt in &body.block.stmts {
        top_loops(stmt, &mut outer);
    }
    for l in outer {
        if fused != Some(l.id) {
            room_of(l, None, &mut adds);
            continue;
        }
        // Each iteration of the fused loop fills and empties the lanes of the loops in its
        // body: room for one iteration, none when it has none.
        let runs = trips(l.id).map(|n| quote!(#n.min(1)));
        for (tape, _, p) in &plan.presized {
            if let Some(n) = trips(*p) {
                let n = match &runs {
                    Some(runs) => quote!(#runs.saturating_mul(#n)),
                    None => n,
                };
                adds.push((tape.clone(), n));
            }
        }
        let mut inner: Vec<&Loop> = Vec::new();
        for stmt in &l.body.stmts {
            top_loops(stmt, &mut inner);
        }
        for m in inner {
            room_of(m, runs.as_ref(), &mut adds);
        }
    }
    let mut room: HashMap<String, Vec<TokenStream>> = HashMap::new();
    for (tape, n) in adds.into_iter().filter(|(t, _)| lanes.owns(t)) {
        room.entry(tape.to_string()).or_default().push(n);
    }
    idents
        .into_iter()
        .map(|tape| {
            let n = room.remove(&tape.to_string()).map(saturating_sum);
            (tape, n)
        })
        .collect()
}

/// `a.saturating_add(b)..` of the `usize` expressions `terms` (`0` for none).
fn saturating_sum(terms: impl IntoIterator<Item = TokenStream>) -> TokenStream {
    let mut terms = terms.into_iter();
    let first = terms.next().unwrap_or_else(|| quote!(0usize));
    quote!(#first #(.saturating_add(#terms))*)
}

/// The loops in `stmt` that sit in no other loop (in branches, or `stmt` itself).
fn top_loops<'a>(stmt: &'a Stmt, out: &mut Vec<&'a Loop>) {
    match stmt {
        Stmt::Loop(l) => out.push(l),
        Stmt::If { then, els, .. } => {
            for s in then.stmts.iter().chain(&els.stmts) {
                top_loops(s, out);
            }
        }
        _ => {}
    }
}
