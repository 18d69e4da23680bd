//! Bounds checks taken out of loops: element reads of a slice parameter at an index that moves
//! with the loop's counter go through a window of the slice made once before the loop.
//!
//! In `for i in 0..INPUTS { a += p[j * INPUTS + i] * xs[s * INPUTS + i]; }` the optimiser
//! cannot tell that `j * INPUTS + i` stays below `p.len()` (the slice's length is only known at
//! run time, and usize arithmetic may wrap), so every element read keeps its bounds check and
//! the loop is not vectorised. A window `let w = &p[j * INPUTS..j * INPUTS + INPUTS];` made
//! before the loop, read as `w[i]`, has a check that the optimiser removes (`i < INPUTS ==
//! w.len()`). The generated code reads through windows in every sweep that runs the loop's
//! body (forward, reverse and tangent); a read's adjoint still goes to `bar_p[j * INPUTS + i]`.
//!
//! ```text
//! // The user's loop                      // Each sweep's primal reads
//! for i in lo..hi {                       let len = ExactSizeIterator::len(&(lo..hi));
//!     let t = p[base + i];                let w: &[_] = if len == 0 { &[] } else {
//!     ..                                      let start = { let i = lo; base + i };
//! }                                           &p[start..start + len] };
//!                                         for i in lo..hi { let t = w[i - lo]; .. }
//! ```
//!
//! The window is made only when it reads exactly the elements the loop reads, so that it
//! panics exactly when the user's loop would (before the loop instead of at the iteration that
//! reads past the end): the loop is a `for` over a half-open range (`lo..hi`, also `.rev()`d)
//! with pure bounds; nothing in its body leaves an iteration early (no `break`, `continue` or
//! labelled jump), so every statement at the top level of its body runs at every
//! iteration; the read is one of those statements, of a slice parameter (`&[F]`, `&Vec<F>`,
//! `&[F; N]`), at the counter itself or at `base + i`, `i + base`, `i - k`, `base + i + 1`
//! (the counter plus or minus terms that do not read it), where each term is pure and reads
//! only parameters and integers that the loop does not assign (an outer loop's counter,
//! `let n = x.len();`), as `lo` does: their values and their tokens are the same in every
//! sweep (the reverse sweep's renamed copies rename only float aggregates), and the index
//! reads them, so every sweep that reads the element has them at hand. An empty range makes
//! an empty window without evaluating `base`, as the loop evaluates no index.
//!
//! A read at an integer slot of the loop that every iteration steps by one (`q[l]` with
//! `l += 1` at the top level of the body, a packed triangle walked column by column) in a
//! range that is not reversed goes through a window that starts at the slot's value before the
//! loop: at the counter `i`, the slot is that value plus `i - lo`. Only where every sweep holds that value in the slot's name
//! right before the loop: the forward and tangent sweeps, and the reverse of a loop that it
//! runs forwards (`Plan::replay`) or fuses with the forward sweep; not the reverse of a loop
//! it runs backwards, which steps the slot back inside the loop (see
//! [`Windows::keep_stepped`]).
//!
//! The reverse adds a windowed read's adjoint through a window of the slice's adjoint cut at
//! the same place (`&mut bar_p[start..start + len]`), when nothing else in the loop's body
//! (nested loops and branches included) reads the slice, or a variable sharing its adjoint:
//! nothing else in the loop's reverse then adds to `bar_p`, which the window borrows for the
//! whole loop. `bar_p` has `p`'s length (checked when the function starts), so the adjoint's
//! window panics only where the slice's does.
//!
//! When the loop reads the slice only through two windows or more whose indices differ by
//! constants (`x[i]` and `x[i + 1]`, `x[o + i - 1]` and `x[o + i + 1]`: the same terms besides
//! the counter and integer literals), those windows form a group, and the reverse adds all
//! their adjoints through one window of `bar_p`: cut where the group's lowest window starts,
//! longer by the group's span (the highest start minus the lowest, up to 64), read at `i - lo`
//! plus each window's offset from the lowest. Windows of `bar_p` cut at each start would
//! overlap, and Rust does not lend two `&mut` slices of one slice that overlap. The length
//! `len + span` is computed once, checked, and is the same in both branches of the cut (an
//! empty loop gets a local array of `span` zeros), so that the optimiser sees that every index
//! is in the window. The window covers the elements between the group's reads too, which the
//! loop does not read, but it ends where the highest window does, so it panics only where
//! that one would.
//!
//! A sweep declares only the windows its code for the loop reads (the reverse of a loop often
//! needs none of the elements the forward sweep read).

use crate::activity::Activity;
use crate::ir::{Atom, Block, Body, Loop, LoopKind, Proj, Rhs, Stmt, Term, Ty, VarId};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use std::collections::{HashMap, HashSet};
use syn::Ident;

/// The windows of a body's loops, and the reads that go through them. A clone records no
/// reads yet: each sweep declares what it reads.
#[derive(Debug, Default)]
pub struct Windows {
    /// Per loop id: its windows, each a name, the slice it reads and the index it starts at.
    of_loop: HashMap<usize, Vec<(Ident, Ident, TokenStream)>>,
    /// Per variable: when it is an element read through a window, the loop, the window's
    /// position among the loop's and the index in the window (`i - lo`).
    read: HashMap<VarId, (usize, usize, TokenStream)>,
    /// The windows read by code emitted since their loop's last [`Windows::declare`] (a sweep
    /// emits a loop's body, then declares the windows it read): the loop id, the window's
    /// position, and the slice it is cut from when that is not the window's own (a tangent,
    /// or an adjoint, which is cut mutable: see [`Windows::shadow`]).
    used: std::cell::RefCell<Vec<(usize, usize, Option<Cut>)>>,
    /// The windows (loop id and position) that start at a slot of their loop (see
    /// [`Windows::keep_stepped`]).
    stepped: HashSet<(usize, usize)>,
    /// The windows (loop id and position) through which their loop reads their slice and
    /// nowhere else: a window alone (a group of one, of span 0), or two windows or more whose
    /// starts differ by constants (`x[i]` and `x[i + 1]`); each with the group's first window
    /// (the lowest start), its offset from that start and the group's span (see
    /// [`Windows::shadow`]).
    groups: HashMap<(usize, usize), Group>,
}

/// The windows of one slice whose indices have the same terms besides the counter and
/// integer literals: the slice, those terms, and per window its position and its literals' sum.
type Candidates = (VarId, String, Vec<(usize, i128)>);

/// A window's slice, the terms of its index besides the counter and integer literals, and the
/// literals' sum (see [`offset_terms`]).
type Place = (VarId, String, i128);

/// Where a window sits in its group (see [`Windows::groups`]).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Group {
    /// The position of the group's window with the lowest start.
    first: usize,
    /// This window's start minus the lowest.
    offset: usize,
    /// The highest start minus the lowest.
    span: usize,
}

/// A slice of the same length as a window's, cut at the same place.
#[derive(Clone, PartialEq, Debug)]
struct Cut {
    /// The slice.
    over: Ident,
    /// Cut as `&mut` (an adjoint the reverse adds to).
    mutable: bool,
    /// Longer by this much, covering the windows of the group the window starts (see
    /// [`Windows::groups`]); 0 for a cut as long as the window.
    span: usize,
}

impl Clone for Windows {
    fn clone(&self) -> Self {
        Windows {
            of_loop: self.of_loop.clone(),
            read: self.read.clone(),
            used: Default::default(),
            stepped: self.stepped.clone(),
            groups: self.groups.clone(),
        }
    }
}

impl Windows {
    /// The declarations of the windows of loop `l` that the sweep's code for its body read
    /// ([`Windows::read`] since the last call for `l`), emitted right before its `for`. The
    /// length is that of `l`'s range as the sweep emits it (in the reverse sweep's renamed
    /// copy, see `reverse::renamed`, its tokens may differ).
    pub fn declare(&self, l: &Loop) -> TokenStream {
        let (Some(windows), LoopKind::For { iter, .. }) = (self.of_loop.get(&l.id), &l.kind) else {
            return TokenStream::new();
        };
        let mut used = self.used.borrow_mut();
        let mut mine: Vec<(usize, Option<Cut>)> = Vec::new();
        used.retain(|(id, k, cut)| {
            if *id == l.id {
                mine.push((*k, cut.clone()));
            }
            *id != l.id
        });
        mine.sort_by_key(|(k, cut)| (*k, cut.as_ref().map(|c| c.over.to_string())));
        if mine.is_empty() {
            return TokenStream::new();
        }
        // The trip count, once for all the loop's windows.
        let len = Ident::new(&format!("window{}_len", l.id), Span::mixed_site());
        let first = Ident::new("start", Span::mixed_site());
        let mut out = quote!(let #len = ::core::iter::ExactSizeIterator::len(&(#iter)););
        for (k, cut) in mine {
            let (w, slice, start) = &windows[k];
            let (w, slice) = match &cut {
                Some(cut) => (cut_name(w, cut), &cut.over),
                None => (w.clone(), slice),
            };
            let mutable = cut.as_ref().is_some_and(|c| c.mutable).then(|| quote!(mut));
            if let Some(span) = cut.as_ref().map(|c| c.span).filter(|s| *s > 0) {
                out.extend(group_cut(&w, slice, start, &len, span));
                continue;
            }
            out.extend(quote! {
                let #w: &#mutable [_] = {
                    if #len == 0 {
                        &#mutable []
                    } else {
                        let #first = #start;
                        &#mutable #slice[#first..#first + #len]
                    }
                };
            });
        }
        out
    }

    /// Keeps the windows that start at a slot of their loop only for the loops `keep` names:
    /// those whose every sweep has the slot's value before the loop in the slot's name (the
    /// reverse of a loop it runs backwards steps the slot back inside the loop instead).
    pub fn keep_stepped(&mut self, keep: impl Fn(usize) -> bool) {
        let stepped = &self.stepped;
        self.read
            .retain(|_, (id, k, _)| !stepped.contains(&(*id, *k)) || keep(*id));
    }

    /// The element read `var` through its window, when it has one; the window is then
    /// declared by the next [`Windows::declare`] of its loop.
    pub fn read(&self, var: VarId) -> Option<TokenStream> {
        self.read_in(var, None)
    }

    /// The element of `over` (a slice of the same length as the one `var` reads, its tangent)
    /// at the index `var` reads, through a window cut from `over` at the same place, when
    /// `var` reads through a window.
    pub fn read_over(&self, var: VarId, over: &Ident) -> Option<TokenStream> {
        let cut = Cut {
            over: over.clone(),
            mutable: false,
            span: 0,
        };
        self.read_in(var, Some(cut))
    }

    /// Where the reverse adds the adjoint of the element read `var`, when `var` reads through
    /// a window of a group (see [`Windows::groups`]): nothing else in the loop's reverse then
    /// adds to `bar`, which one window cut mutable from it, where the group's first window
    /// starts, borrows for the whole loop; the element is at the read's index plus its
    /// window's offset.
    pub fn shadow(&self, var: VarId, bar: &Ident) -> Option<TokenStream> {
        let (id, k, at) = self.read.get(&var)?;
        let group = self.groups.get(&(*id, *k))?;
        let cut = Cut {
            over: bar.clone(),
            mutable: true,
            span: group.span,
        };
        Some(self.element(*id, group.first, at, Some(cut), group.offset))
    }

    fn read_in(&self, var: VarId, cut: Option<Cut>) -> Option<TokenStream> {
        let (id, k, at) = self.read.get(&var)?;
        Some(self.element(*id, *k, at, cut, 0))
    }

    /// `w[at + offset]` of window `k` of loop `id` (cut as `cut` says), which the next
    /// [`Windows::declare`] of the loop then declares.
    fn element(
        &self,
        id: usize,
        k: usize,
        at: &TokenStream,
        cut: Option<Cut>,
        offset: usize,
    ) -> TokenStream {
        let w = name(id, k);
        let w = cut.as_ref().map_or(w.clone(), |c| cut_name(&w, c));
        let key = (id, k, cut);
        let mut used = self.used.borrow_mut();
        if !used.contains(&key) {
            used.push(key);
        }
        if offset == 0 {
            return quote!(#w[#at]);
        }
        let offset = proc_macro2::Literal::usize_suffixed(offset);
        quote!(#w[#at + #offset])
    }
}

/// The declaration of `w`, a window of the adjoint `slice` covering a group of windows whose
/// first starts at `start` (see [`Windows::groups`]): `len + span` elements. That length is
/// the same expression in both branches, so that the optimiser sees that every index `i - lo +
/// offset` of the loop is in the window: an empty loop gets `span` elements of a local array
/// (it reads none), not an empty window (the length would then depend on the branch). The sum
/// is checked; it cannot overflow, as the loop would have read past the end of the slice
/// before.
fn group_cut(
    w: &Ident,
    slice: &Ident,
    start: &TokenStream,
    len: &Ident,
    span: usize,
) -> TokenStream {
    let spare = Ident::new(&format!("{w}_spare"), Span::mixed_site());
    let (first, n) = (
        Ident::new("start", Span::mixed_site()),
        Ident::new("n", Span::mixed_site()),
    );
    let span = proc_macro2::Literal::usize_suffixed(span);
    quote! {
        let mut #spare = [::core::default::Default::default(); #span];
        let #w: &mut [_] = {
            let #n = match #len.checked_add(#span) {
                ::core::option::Option::Some(#n) => #n,
                ::core::option::Option::None => ::core::panic!("index out of bounds: the loop reads past the end of a slice"),
            };
            if #len == 0 {
                &mut #spare[..#n]
            } else {
                let #first = #start;
                &mut #slice[#first..#first + #n]
            }
        };
    }
}

/// The name of the window cut from `cut.over` where window `w` is cut from its slice (and
/// covering its group, for a cut with a span).
fn cut_name(w: &Ident, cut: &Cut) -> Ident {
    let over = &cut.over;
    match cut.span {
        0 => Ident::new(&format!("{w}_{over}"), Span::mixed_site()),
        _ => Ident::new(&format!("{w}_{over}_group"), Span::mixed_site()),
    }
}

/// Finds the windows of `body`'s loops (see the module's documentation).
pub fn windows(body: &Body, activity: &Activity) -> Windows {
    let mut out = Windows::default();
    let params: Vec<VarId> = body.params.iter().map(|p| p.var).collect();
    body.block.walk(&mut |stmt| {
        let Stmt::Loop(l) = stmt else {
            return;
        };
        // The variables the slice parameters are indexed with at the top level of the body;
        // a loop without such reads is not looked at further (its range is not parsed).
        let indices: std::collections::HashSet<VarId> = l
            .body
            .stmts
            .iter()
            .filter_map(|s| match s {
                Stmt::Let {
                    rhs: Rhs::Project(Atom::Var(v), Proj::Index(Atom::Var(i))),
                    ..
                } if params.contains(v) => Some(*i),
                _ => None,
            })
            .collect();
        if indices.is_empty() || leaves_early(&l.body) {
            return;
        }
        let mut places = Vec::new();
        if let Some((counter, lo, reversed)) = simple_range(l) {
            let range = Range {
                counter,
                lo,
                reversed,
            };
            places = loop_windows(body, l, &range, &params, &indices, &mut out);
        }
        // The windows whose slice the loop reads nowhere else: groups of one.
        for (k, (_, slice, _)) in out.of_loop.get(&l.id).into_iter().flatten().enumerate() {
            let slice = params.iter().find(|p| body.vars[**p].name == *slice);
            if slice.is_some_and(|p| only_through(activity, l, *p, &[(l.id, k)], &out.read)) {
                let alone = Group {
                    first: k,
                    offset: 0,
                    span: 0,
                };
                out.groups.insert((l.id, k), alone);
            }
        }
        // The groups of windows through which the loop reads their slice, and nowhere else.
        let mut groups: Vec<Candidates> = Vec::new();
        for (k, place) in places.iter().enumerate() {
            let Some((slice, key, offset)) = place else {
                continue;
            };
            match groups.iter_mut().find(|(s, g, _)| s == slice && g == key) {
                Some((_, _, members)) => members.push((k, *offset)),
                None => groups.push((*slice, key.clone(), vec![(k, *offset)])),
            }
        }
        for (slice, _, members) in groups.into_iter().filter(|(_, _, m)| m.len() > 1) {
            let windows: Vec<(usize, usize)> = members.iter().map(|(k, _)| (l.id, *k)).collect();
            if !only_through(activity, l, slice, &windows, &out.read) {
                continue;
            }
            let (Some(&(first, low)), Some(high)) = (
                members.iter().min_by_key(|(_, o)| *o),
                members.iter().map(|(_, o)| *o).max(),
            ) else {
                continue;
            };
            // Literals near the ends of `i128` must not make the macro overflow.
            let span = high.checked_sub(low).filter(|s| *s <= MAX_SPAN);
            let Some(Ok(span)) = span.map(usize::try_from) else {
                continue;
            };
            for (k, o) in members {
                let Some(Ok(offset)) = o.checked_sub(low).map(usize::try_from) else {
                    continue;
                };
                out.groups.insert(
                    (l.id, k),
                    Group {
                        first,
                        offset,
                        span,
                    },
                );
            }
        }
    });
    out
}

/// True when every statement in loop `l`'s body (nested blocks included) that reads `slice`,
/// or a variable sharing its adjoint, is an element read through one of `windows` (those are
/// at the top level of the body).
fn only_through(
    activity: &Activity,
    l: &Loop,
    slice: VarId,
    windows: &[(usize, usize)],
    read: &HashMap<VarId, (usize, usize, TokenStream)>,
) -> bool {
    let root = activity.root(slice);
    l.body.stmts.iter().all(|s| {
        let through = matches!(s, Stmt::Let { var, .. }
            if read.get(var).is_some_and(|(id, k, _)| windows.contains(&(*id, *k))));
        through
            || !crate::plan::primal_reads(s)
                .iter()
                .any(|v| activity.root(*v) == root)
    })
}

/// The range of a loop `for i in lo..hi` or `for i in (lo..hi).rev()`.
struct Range {
    /// `i`.
    counter: VarId,
    /// `lo`.
    lo: syn::Expr,
    /// Run backwards, with `.rev()`.
    reversed: bool,
}

/// For `for i in lo..hi` (or `(lo..hi).rev()`) with pure bounds and a plain counter: the
/// counter, `lo`, and whether the range is reversed.
fn simple_range(l: &Loop) -> Option<(VarId, syn::Expr, bool)> {
    let LoopKind::For {
        counters,
        pattern,
        iter,
        ..
    } = &l.kind
    else {
        return None;
    };
    let [counter] = counters.as_slice() else {
        return None;
    };
    // One identifier: `i`, not `mut i` nor `(i, j)`.
    let mut pattern = pattern.clone().into_iter();
    if !matches!(
        (pattern.next(), pattern.next()),
        (Some(proc_macro2::TokenTree::Ident(_)), None)
    ) {
        return None;
    }
    // The bounds, and whether an odd number of `.rev()`s reverses the range.
    fn range(e: &syn::Expr) -> Option<(syn::Expr, syn::Expr, bool)> {
        match e {
            syn::Expr::Range(r) if matches!(r.limits, syn::RangeLimits::HalfOpen(_)) => {
                Some((*r.start.clone()?, *r.end.clone()?, false))
            }
            syn::Expr::Paren(p) => range(&p.expr),
            syn::Expr::MethodCall(m) if m.method == "rev" && m.args.is_empty() => {
                range(&m.receiver).map(|(lo, hi, reversed)| (lo, hi, !reversed))
            }
            _ => None,
        }
    }
    let (lo, hi, reversed) = range(&syn::parse2(iter.clone()).ok()?)?;
    let pure = crate::plan::is_pure(&lo) && crate::plan::is_pure(&hi);
    pure.then_some((*counter, lo, reversed))
}

/// True when some path through a loop's `body` leaves its iteration before the end (its
/// own final `continue` is the end). A nested loop's `break` and `continue` leave only that
/// loop: a labelled jump or a `return` out of it is lowered to a flag that the enclosing
/// loop's body tests, in an `if` that breaks or continues.
fn leaves_early(body: &Block) -> bool {
    fn jumps(block: &Block) -> bool {
        block.term != Term::Fall || branches_jump(block)
    }
    fn branches_jump(block: &Block) -> bool {
        block.stmts.iter().any(|s| match s {
            Stmt::If { then, els, .. } => jumps(then) || jumps(els),
            _ => false,
        })
    }
    !matches!(body.term, Term::Fall | Term::Continue) || branches_jump(body)
}

/// The windows of loop `l`, over `counter` in `lo..hi`; per window, its slice and where it
/// starts as the terms of its index other than the counter and their constant part, when the
/// index is the counter plus or minus terms (see [`offset_terms`]).
fn loop_windows(
    body: &Body,
    l: &Loop,
    range: &Range,
    params: &[VarId],
    indices: &std::collections::HashSet<VarId>,
    out: &mut Windows,
) -> Vec<Option<Place>> {
    let (counter, lo) = (range.counter, &range.lo);
    // What the window's start may read: the same value and the same tokens in every sweep.
    let inside = crate::plan::defined_in(l);
    let outside = |v: VarId| {
        params.contains(&v) || (!inside.contains(&v) && !body.vars[v].ty.carries_floats())
    };
    // The locals `lo` reads: among those the range reads.
    let mut idents = std::collections::HashSet::new();
    crate::naming::collect_idents(quote!(#lo), &mut idents);
    let LoopKind::For { reads, .. } = &l.kind else {
        return Vec::new();
    };
    let mut lo_reads = reads
        .iter()
        .filter(|v| idents.contains(&body.vars[**v].name.to_string()));
    if !lo_reads.all(|v| *v != counter && outside(*v)) {
        return Vec::new();
    }
    // The indices defined at the top level of the body: `t = base + i`.
    let mut offsets: HashMap<VarId, TokenStream> = HashMap::new();
    // The slots every iteration steps by one (`l += 1`): at the counter `i`, the value before
    // the loop plus `i - lo`, when the range runs forwards (backwards, the counter falls while
    // the slot grows).
    let stepped: Vec<VarId> = l
        .slots
        .iter()
        .map(|s| s.var)
        .filter(|_| !range.reversed)
        .filter(|v| {
            let step = crate::plan::rewindable(l, *v, &body.vars[*v].name).map(|r| r.step);
            matches!(step, Some(crate::plan::Step::By { lit, up: true }) if lit.to_string() == "1")
        })
        .collect();
    // One window per slice and start, in order of first use, with its place in a group.
    let mut starts: Vec<(VarId, String, TokenStream)> = Vec::new();
    let mut places: Vec<Option<Place>> = Vec::new();
    let c = &body.vars[counter].name;
    for stmt in &l.body.stmts {
        let Stmt::Let { var, rhs, .. } = stmt else {
            continue;
        };
        match rhs {
            Rhs::Opaque { expr, reads, .. } if indices.contains(var) => {
                let readable = reads.iter().all(|r| *r == counter || outside(*r));
                if readable && offset_of(expr, c) {
                    offsets.insert(*var, expr.clone());
                }
            }
            Rhs::Project(Atom::Var(slice), Proj::Index(Atom::Var(index)))
                if params.contains(slice)
                    && matches!(&body.vars[*slice].ty, Ty::Slice(e) if **e == Ty::Float) =>
            {
                // The index at the first iteration.
                let start = if *index == counter {
                    quote!(#lo)
                } else if let Some(expr) = offsets.get(index) {
                    quote!({ let #c = #lo; #expr })
                } else if stepped.contains(index) {
                    let slot = &body.vars[*index].name;
                    quote!(#slot)
                } else {
                    continue;
                };
                let key = start.to_string();
                let k = match starts.iter().position(|(s, k, _)| s == slice && *k == key) {
                    Some(k) => k,
                    None => {
                        starts.push((*slice, key, start));
                        let place = if *index == counter {
                            Some((String::new(), 0))
                        } else {
                            offsets.get(index).and_then(|e| offset_terms(e, c))
                        };
                        places.push(place.map(|(terms, k)| (*slice, terms, k)));
                        starts.len() - 1
                    }
                };
                if stepped.contains(index) {
                    out.stepped.insert((l.id, k));
                }
                let at = if is_zero(lo) {
                    quote!(#c)
                } else {
                    quote!(#c - (#lo))
                };
                out.read.insert(*var, (l.id, k, at));
            }
            _ => {}
        }
    }
    if !starts.is_empty() {
        let windows = starts.into_iter().enumerate();
        let windows = windows
            .map(|(k, (slice, _, start))| (name(l.id, k), body.vars[slice].name.clone(), start));
        out.of_loop.insert(l.id, windows.collect());
    }
    places
}

/// The largest span of a group of windows (see [`Windows::groups`]): beyond it, the windows
/// of a short loop would cover much more of the slice than the loop reads.
const MAX_SPAN: i128 = 64;

/// For an index that is the counter `c` plus or minus other terms (see [`offset_of`]): those
/// terms other than integer literals, with their signs, sorted and printed, and the sum of
/// the literals. Two indices with the same terms differ by a constant.
fn offset_terms(expr: &TokenStream, c: &Ident) -> Option<(String, i128)> {
    fn walk(
        e: &syn::Expr,
        plus: bool,
        c: &Ident,
        terms: &mut Vec<String>,
        k: &mut i128,
    ) -> Option<()> {
        match e {
            syn::Expr::Paren(p) => walk(&p.expr, plus, c, terms, k),
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::Add(_) | syn::BinOp::Sub(_)) => {
                walk(&b.left, plus, c, terms, k)?;
                let right = if matches!(b.op, syn::BinOp::Sub(_)) {
                    !plus
                } else {
                    plus
                };
                walk(&b.right, right, c, terms, k)
            }
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(i),
                ..
            }) if matches!(i.suffix(), "" | "usize") => {
                let v: i128 = i.base10_parse().ok()?;
                *k = if plus {
                    k.checked_add(v)?
                } else {
                    k.checked_sub(v)?
                };
                Some(())
            }
            syn::Expr::Path(p) if p.qself.is_none() && p.path.is_ident(c) => plus.then_some(()),
            _ => {
                let sign = if plus { "+" } else { "-" };
                terms.push(format!("{sign}{}", quote!(#e)));
                Some(())
            }
        }
    }
    let e: syn::Expr = syn::parse2(expr.clone()).ok()?;
    let (mut terms, mut k) = (Vec::new(), 0);
    walk(&e, true, c, &mut terms, &mut k)?;
    terms.sort();
    Some((terms.join(" "), k))
}

/// The name of window `k` of loop `id`.
fn name(id: usize, k: usize) -> Ident {
    Ident::new(&format!("window{id}_{k}"), Span::mixed_site())
}

/// True when `expr` is the counter `c` plus or minus terms that do not read it: `base + c`,
/// `c + base`, `c - k`, `base + c + 1` (in parentheses or not; each term pure). Then the index
/// at `c` is the index at the first iteration plus `c - lo`.
fn offset_of(expr: &TokenStream, c: &Ident) -> bool {
    fn free(e: &syn::Expr, c: &Ident) -> bool {
        let mut idents = std::collections::HashSet::new();
        crate::naming::collect_idents(quote!(#e), &mut idents);
        !idents.contains(&c.to_string()) && crate::plan::is_pure(e)
    }
    fn unit(e: &syn::Expr, c: &Ident) -> bool {
        match e {
            syn::Expr::Path(p) => p.qself.is_none() && p.path.is_ident(c),
            syn::Expr::Paren(p) => unit(&p.expr, c),
            syn::Expr::Binary(b) => {
                let (l, r) = (&*b.left, &*b.right);
                match b.op {
                    syn::BinOp::Add(_) => (unit(l, c) && free(r, c)) || (free(l, c) && unit(r, c)),
                    syn::BinOp::Sub(_) => unit(l, c) && free(r, c),
                    _ => false,
                }
            }
            _ => false,
        }
    }
    syn::parse2::<syn::Expr>(expr.clone()).is_ok_and(|e| unit(&e, c))
}

/// True for the literal `0`.
fn is_zero(e: &syn::Expr) -> bool {
    matches!(e, syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) if i.base10_digits() == "0")
}
