//! The reverse sweep's plan: what each block's reverse reads, and so what must be computed
//! again, what must be saved on the tape, and which adjoints must be declared up front.
//!
//! The strategy (loop checkpointing, one checkpoint per iteration):
//! - the function's own block runs once; its reverse reads its values directly, no tape;
//! - the reverse of an `if` re-runs, inside the taken branch, the statements of that branch
//!   whose values its reverse reads (the *recompute slice*), then reverses the branch;
//! - a loop pushes, at the start of each iteration, the values of its slots (and counter)
//!   that the reverse of the body reads at iteration start; the reverse runs the iterations
//!   backwards, pops them, re-runs the body's recompute slice, then reverses the body.
//!
//! Only what is read is saved: nothing for a slot that no rule reads (an accumulator
//! `s += c * x` saves nothing), nothing for loop-invariant values (still in scope), nothing for
//! values that never reach an adjoint. Statements re-run must be pure: an opaque expression
//! that vjp cannot show to be pure (a call of a plain function) is saved instead
//! ([`Plan::saved`]), and so are the results of an `if` or of an inactive loop that contains
//! one (or a loop range that calls one), rather than run again. So are costly values
//! (`exp`, `tanh`, ...) computed in a loop body, which cost more to compute again than to
//! reload. What is left, an `if` with a
//! `break` or `continue` inside that the reverse would run again, is an error rather than a
//! silently different value.

use crate::activity::Activity;
use crate::ctxt::Ctxt;
use crate::ir::{Atom, Block, Body, Loop, LoopKind, Rhs, Slot, Stmt, VarId};
use std::collections::BTreeSet;

type Set = BTreeSet<VarId>;

/// A running maximum or minimum: a float slot `m` of a loop at the top level of the function,
/// read in the loop only by `m2 = m.max(e)` (or `e.max(m)`, or `min`; possibly through one
/// copy, `let acc = m;`, as `fold` is lowered) at the top level of a
/// body that cannot leave early, `m2` read only by the write-back `m = m2`. The forward sweep
/// records each step on a `vjp_runtime::tape::RunningExtremum` instead of saving `m` on the
/// loop's tape, and the reverse sweep rebuilds from it a value of `m` at iteration start with
/// which the rule of `max` gives the same partial derivatives, bit for bit (see its
/// documentation): no tape, no allocation, however long the loop.
#[derive(Clone, Debug)]
pub struct Extremum {
    /// The slot, whose value at iteration start the reverse rebuilds.
    pub old: VarId,
    /// The statement's result, `m2`.
    pub new: VarId,
    /// The other operand, `e`.
    pub operand: Atom,
    /// `max` (else `min`).
    pub max: bool,
    /// The name of the record.
    pub record: syn::Ident,
}

/// Where a block sits in the loop whose values it may save (see [`Planner::needs`]).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Save {
    /// The loop's body: costly values and values that may differ when computed again are
    /// saved.
    Body,
    /// A branch in the body: costly values (in a loop) and values that may differ when
    /// computed again are saved.
    Branch,
    /// A block that is not run again (the fused loop's body, the function's block): nothing
    /// is saved at its top level, only in its branches.
    RunOnce,
}

/// What the sweeps need to know about each block and loop.
pub struct Plan {
    /// Per block: active variables defined in it whose adjoints receive contributions from
    /// nested blocks; they are declared, zero, at the start of the block's reverse.
    pub predeclare: Vec<Vec<VarId>>,
    /// Per block: which statements the block's reverse re-runs first.
    pub slice: Vec<Vec<bool>>,
    /// Per loop: the variables pushed at the start of each iteration.
    pub taped: Vec<Vec<VarId>>,
    /// Per block: its reverse does some work.
    pub work: Vec<bool>,
    /// Per loop: its reverse does some work (so its forward must fill a tape).
    pub loop_work: Vec<bool>,
    /// Per loop: a `for` over a range of pure bounds (see `is_pure`) with no `break`, whose
    /// reverse runs the same range backwards instead of saving the counter and the trip count.
    pub reversible: Vec<bool>,
    /// Per loop inside a block that is re-run: the slots read after it, pushed when it ends,
    /// since the re-run does not run the loop again (its iterations are already on its tape).
    pub exits: Vec<Vec<VarId>>,
    /// Per variable: a variable of the same type that is defined further out (a slot's initial
    /// value, the aggregate an update started from), from which its adjoint's zero is made
    /// (`zero_like(&witness)`), so that the variable itself need not be saved or recomputed.
    pub witness: Vec<VarId>,
    /// Per variable: it is the witness of some other variable.
    pub is_witness: Vec<bool>,
    /// Per loop: it sits inside a block that is re-run (so it pushes its exit values, and its
    /// trip count when its reverse needs one).
    pub nested: Vec<bool>,
    /// The loop whose forward and reverse sweeps run in one pass, if any (see [`crate::fuse`]).
    pub fused: Option<crate::fuse::Fusion>,
    /// Per loop: values computed in its body that its reverse reads and that are not computed
    /// again: values of costly primitives (`exp`, `tanh`, ...: reloading a float costs a few
    /// cycles, computing it again tens), at the top level of the body of any loop but the fused
    /// one and in branches of any loop's body, except the value an undo log reads back from
    /// its copy ([`crate::undo::Undo::forwarded`]); in any loop but the fused one, opaque
    /// expressions that vjp cannot show to be pure (a call of a plain function), which must
    /// not run again, also in branches of the body, and the results of an `if` or of an
    /// inactive loop that contains one (see `saves_whole`). One entry more than there are loops: values computed
    /// in branches of the function's own block. The forward sweep pushes the floats saved at
    /// the top level of a block as one tuple, after the last of them (see
    /// [`Plan::save_head`]), and every other value on a tape of its own right after the
    /// statement that computes it; the reverse of the iteration or branch whose top level
    /// holds those statements pops them.
    pub saved: Vec<Vec<VarId>>,
    /// Per variable: for a float saved at the top level of a block (see [`Plan::saved`]), the
    /// first float saved there, on whose tape the forward sweep pushes them all, as one tuple
    /// per run of the block, after the last of them; itself for any other variable.
    pub save_head: Vec<VarId>,
    /// Per block id: the floats saved at the top level of that block, in order (see
    /// [`Plan::saved_floats`]).
    block_floats: Vec<Vec<VarId>>,
    /// Per variable: whether it is in one of the [`Plan::saved`] lists.
    saved_var: Vec<bool>,
    /// Per loop: the floats saved at the top level of its body (see [`Plan::saved_floats`])
    /// go on the loop's own tape, after its slot values, in one tuple per iteration pushed
    /// after the last of them instead of at iteration start: one tape, one push and one pop
    /// per iteration instead of two. Only for a range loop whose body has no `continue` or
    /// `break` and writes back no slot before that point, and whose slots on the tape are
    /// floats (so that they are still there, unmoved, when the tuple is pushed).
    pub merged: Vec<bool>,
    /// Per loop: its reverse runs the iterations in their forward order (see
    /// [`Planner::forward_order`]).
    pub forward: Vec<bool>,
    /// Per loop whose reverse runs forwards: the integer slots its reverse reads, which it
    /// steps again from their values before the loop as the primal does (`l += 1` at the end
    /// of every iteration, or `l = e` after an inner loop that steps `e` from `l` again),
    /// instead of saving them or stepping them back.
    pub replay: Vec<Vec<Rewind>>,
    /// Element reads through temporary rows, whose adjoints go straight to the aggregate
    /// (see [`crate::views`]).
    pub views: crate::views::Views,
    /// Per variable: the blocks whose reverse reads it (as a rule's operand, a lent row, or
    /// what a statement run again reads).
    pub read_in_reverse: Vec<Vec<usize>>,
    /// Per update variable: its aggregate is read by the reverse sweep after the update, which
    /// must then not move it into the new version: a `Vec` is cloned instead (see
    /// [`crate::forward::owned_copy`] and [`moves`]).
    pub copy_base: Vec<bool>,
    /// Per variable: how often the primal code reads it ([`Body::use_counts`]). A copy
    /// (`let b = a;`, from `a.clone()`) of a value read again clones a `Vec` instead of moving it.
    pub uses: Vec<usize>,
    /// Per loop slot: its initial value is moved into it, not copied (see [`moves`]).
    pub move_init: Vec<bool>,
    /// With a fused loop: what the statements after it that run after it read (see
    /// [`crate::fuse::Fusion::early`]). A statement moved ahead of the loop that would move one
    /// of these values (an update of it, a branch's value) copies it instead, since in the
    /// user's order the read came first.
    pub read_late: Set,
    /// The tapes that are lanes of the call's arena (see [`crate::arena`]), set after
    /// planning, from the rest of the plan.
    pub lanes: crate::arena::Lanes,
    /// The tapes that each iteration of the fused loop fills and empties again, and whose
    /// number of values per iteration is known before that loop: those of a range loop `p`
    /// directly in the fused loop's body (its own tape and the exit values of the loops
    /// directly in its body), when `p`'s range is pure and reads only values defined before
    /// the fused loop. Each comes with `p`'s range: the fused loop starts by making each tape
    /// with room for that many values, and `p` then pushes without making room. Made once, in
    /// place, the buffer is one the loop never reallocates, which lets the compiler keep its
    /// address in a register and know that it aliases nothing else. Third, `p`'s id.
    pub presized: Vec<(syn::Ident, proc_macro2::TokenStream, usize)>,
    /// Per loop: the loop around it made room for its exit values (see
    /// [`Plan::reserved_exits`]), which it pushes without a check for room.
    pub exits_reserved: Vec<bool>,
    /// Per loop `a`: the tapes of range loops nested in it whose room `a` makes before its
    /// first iteration, for all of `a`'s iterations at once, instead of each making room for
    /// its own trip count whenever it starts (see [`Room`]). A tape then grows once per call
    /// rather than by doubling over the outer iterations.
    pub room: Vec<Vec<Room>>,
    /// Per loop: an enclosing loop makes room for its tapes (see [`Plan::room`]).
    pub room_outside: Vec<bool>,
    /// Per loop `c` whose exit values the loop around it pushes without a check for room
    /// ([`Plan::reserved_exits`]), when that loop has two or more such loops in its body: their
    /// ids, in order. Their exit values go on one tape, that of the last of them, as one tuple
    /// per iteration pushed when the last one ends (one tape, and one allocation, instead of
    /// one per loop), and popped where the first one would pop its own. Empty otherwise, and
    /// when an exit value's type is unknown (it would be cloned later than it was computed,
    /// and may have been moved by then).
    pub frames: Vec<Vec<usize>>,
    /// Per loop: integer slots that step by a constant (`l += 1`) and that the reverse reads
    /// at iteration start. They are not saved: the reverse starts from their value after the
    /// loop and steps back.
    pub rewind: Vec<Vec<Rewind>>,
    /// Per loop: the slots whose element writes the reverse undoes instead of the slot being
    /// saved at every iteration (see [`crate::undo`]); they are not in [`Plan::taped`].
    pub undo: Vec<Vec<crate::undo::Undo>>,
    /// Per loop: running maxima and minima whose values at iteration start the reverse
    /// rebuilds instead of saving them (see [`Extremum`]); they are not in [`Plan::taped`].
    pub extrema: Vec<Vec<Extremum>>,
}

/// The tapes of a range loop `c` whose room an enclosing range loop `a` makes (see
/// [`Plan::room`]). `c` sits at the top level of the body of a chain of range loops without
/// `break` starting at `a`, and the ranges of the loops below `a` down to `c` are pure and
/// read nothing that `a` defines, so their trip counts are known when `a` starts: `c` pushes
/// at most `trips(a)` times the product of theirs.
pub struct Room {
    /// The ranges of the loops below `a`, from `a`'s child down to `c`.
    pub ranges: Vec<proc_macro2::TokenStream>,
    /// The ids of the loops of `ranges`, in the same order.
    pub loops: Vec<usize>,
    /// `c`'s tapes (see [`Plan::entry_tapes`]).
    pub tapes: Vec<syn::Ident>,
}

/// An integer slot `s` that the reverse steps back instead of saving.
#[derive(Clone)]
pub struct Rewind {
    /// The slot.
    pub slot: VarId,
    /// How an iteration changes it.
    pub step: Step,
}

/// How one iteration changes a rewound slot.
#[derive(Clone)]
pub enum Step {
    /// Every iteration ends with `s = s + lit` (or `s - lit`) for an integer literal.
    By {
        /// The literal.
        lit: proc_macro2::TokenStream,
        /// True for `+`, false for `-`.
        up: bool,
    },
    /// Every iteration ends with `s = e`, where `e` is the value after an inner loop (at the
    /// top level of the body) that starts from `s` and rewinds `e` itself. The reverse keeps
    /// one counter for both: at the start of a reverse iteration it is `e`, and the inner
    /// loop's reverse steps it back to the value of `s` at iteration start. So `e` is not
    /// saved when the inner loop ends (`l` in a triangle walked column by column).
    Inner(VarId),
    /// Every iteration ends with `s = e`, where `e` is the value after an inner loop (at the
    /// top level of the body) that starts from `s`, steps it by a literal at each of its
    /// iterations, and whose reverse steps it forwards again ([`Plan::replay`]): the reverse
    /// of an iteration finds `s` by stepping back over all of the inner loop's iterations at
    /// once, `s = e - trips * lit`. The inner loop's range is pure and reads only the loop's
    /// counter and values from outside the loop, so the reverse has its trip count when the
    /// iteration starts (from the range's size hint: `lo..=hi` is no `ExactSizeIterator`).
    Span {
        /// The inner loop's range.
        iter: proc_macro2::TokenStream,
        /// The inner loop's step.
        lit: proc_macro2::TokenStream,
        /// True for `+`, false for `-`.
        up: bool,
    },
}

/// Plans the reverse sweep of `body`.
pub fn plan(body: &Body, activity: &Activity, cx: &Ctxt) -> Plan {
    let loops = count_loops(&body.block);
    let mut planner = Planner {
        body,
        activity,
        cx,
        def_block: vec![0; body.vars.len()],
        plan: Plan {
            predeclare: vec![Vec::new(); body.blocks],
            slice: vec![Vec::new(); body.blocks],
            taped: vec![Vec::new(); loops],
            work: vec![false; body.blocks],
            loop_work: vec![false; loops],
            reversible: vec![false; loops],
            exits: vec![Vec::new(); loops],
            nested: vec![false; loops],
            witness: witnesses(body),
            is_witness: Vec::new(),
            fused: None,
            rewind: vec![Vec::new(); loops],
            undo: vec![Vec::new(); loops],
            extrema: vec![Vec::new(); loops],
            saved: vec![Vec::new(); loops + 1],
            save_head: Vec::new(),
            block_floats: Vec::new(),
            saved_var: Vec::new(),
            merged: vec![false; loops],
            forward: vec![false; loops],
            replay: vec![Vec::new(); loops],
            presized: Vec::new(),
            exits_reserved: vec![false; loops],
            room: Vec::new(),
            room_outside: vec![false; loops],
            frames: vec![Vec::new(); loops],
            views: crate::views::row_views(body, activity),
            read_in_reverse: vec![Vec::new(); body.vars.len()],
            copy_base: Vec::new(),
            uses: body.use_counts(),
            move_init: Vec::new(),
            read_late: Set::new(),
            lanes: crate::arena::Lanes::default(),
        },
    };
    planner.defs(&body.block);
    planner.predeclare(&body.block);
    planner.work(&body.block);
    planner.plan.fused = crate::fuse::fusion(body, activity, &planner.plan);
    // The function's block runs once; values computed in its branches are saved like those
    // in loop bodies, in the last entry of `saved`.
    planner.needs(&body.block, Some((loops, Save::RunOnce)));
    let mut is_witness = vec![false; body.vars.len()];
    for (v, w) in planner.plan.witness.iter().enumerate() {
        if *w != v {
            is_witness[*w] = true;
        }
    }
    planner.plan.is_witness = is_witness;
    let mut plan = planner.plan;
    if let Some(fusion) = &plan.fused {
        for (i, stmt) in body.block.stmts.iter().enumerate() {
            if i > fusion.index && !fusion.early[i] {
                plan.read_late.extend(primal_reads(stmt));
            }
        }
    }
    let Moves {
        copy_base,
        move_init,
    } = moves(body, &plan);
    (plan.copy_base, plan.move_init) = (copy_base, move_init);
    let mut exits_reserved = vec![false; loops];
    body.block.walk(&mut |s| {
        if let Stmt::Loop(p) = s {
            for inner in plan.reserved_exits(p) {
                exits_reserved[inner.id] = true;
            }
        }
    });
    plan.exits_reserved = exits_reserved;
    // Windows at a slot's value before the loop, for the loops whose reverse does not step
    // the slot back (it runs forwards, is fused, or is not run at all).
    let fused = plan.fused.as_ref().map(|f| f.loop_id);
    let keep = |id: usize| plan.forward[id] || !plan.loop_work[id] || fused == Some(id);
    let keep: Vec<bool> = (0..loops).map(keep).collect();
    plan.views.windows.keep_stepped(|id| keep[id]);
    plan.frames = frames(body, &plan);
    plan.saved_var = vec![false; body.vars.len()];
    for v in plan.saved.iter().flatten() {
        plan.saved_var[*v] = true;
    }
    plan.block_floats = block_floats(body, &plan.saved_var);
    plan.save_head = save_heads(body, &plan);
    plan.merged = merged_saves(body, &plan);
    plan.presized = presized_tapes(body, &plan);
    (plan.room, plan.room_outside) = hoisted_room(body, &plan);
    plan
}

impl Plan {
    /// True when loop `l`'s exit values go on the tape of another loop (see [`Plan::frames`]).
    pub fn merged_away(&self, l: &Loop) -> bool {
        self.frames[l.id].last().is_some_and(|last| *last != l.id)
    }

    /// True when `var` is saved by the forward sweep for the reverse (see [`Plan::saved`]).
    pub fn is_saved(&self, var: VarId) -> bool {
        self.saved_var.get(var).copied().unwrap_or(false)
    }

    /// The floats saved at the top level of `block` (see [`Plan::saved`]), in order: one tape
    /// holds them, as one tuple per run of the block (see [`Plan::save_head`]).
    pub fn saved_floats(&self, block: &Block) -> &[VarId] {
        self.block_floats.get(block.id).map_or(&[], Vec::as_slice)
    }

    /// The floats saved at the top level of `l`'s body that go on `l`'s own tape (see
    /// [`Plan::merged`]); none when they have a tape of their own.
    pub fn merged_floats(&self, l: &Loop) -> &[VarId] {
        if self.merged[l.id] {
            self.saved_floats(&l.body)
        } else {
            &[]
        }
    }

    /// The undo log (see [`crate::undo`]) whose chain has the update `var`, and its position in
    /// the chain.
    pub fn undo_update(&self, var: VarId) -> Option<(&crate::undo::Undo, usize)> {
        self.undo
            .iter()
            .flatten()
            .find_map(|u| u.updates.iter().position(|x| *x == var).map(|j| (u, j)))
    }

    /// True when loop `l`, run by a block that its reverse re-runs, pushes what it leaves
    /// behind: its trip count (unless it is a range the reverse runs backwards) and the slots
    /// read after it.
    pub fn pushes_exits(&self, l: &Loop) -> bool {
        self.nested[l.id] && (!self.reversible[l.id] || !self.exits[l.id].is_empty())
    }

    /// The loops directly in the body of loop `p` (not inside a branch) whose exit values each
    /// iteration of `p` pushes, when `p` is a range without `break` other than the fused
    /// loop: `p` makes room for them once, from its trip count, before its first iteration,
    /// and each is then pushed once per iteration without a check for room.
    pub fn reserved_exits<'l>(&self, p: &'l Loop) -> Vec<&'l Loop> {
        let fused = self.fused.as_ref().is_some_and(|f| f.loop_id == p.id);
        if !matches!(p.kind, LoopKind::For { .. }) || !self.reversible[p.id] || fused {
            return Vec::new();
        }
        p.body
            .stmts
            .iter()
            .filter_map(|s| match s {
                Stmt::Loop(inner) if self.loop_work[inner.id] && self.pushes_exits(inner) => {
                    Some(inner)
                }
                _ => None,
            })
            .collect()
    }

    /// The tapes that loop `l`, run by the forward sweep, makes room in for its trip count
    /// when it starts: its own tape, the tapes of the values saved in its body, and the exit
    /// values of the loops directly in its body ([`Plan::reserved_exits`]); not those made
    /// before the fused loop ([`Plan::presized`]).
    pub fn entry_tapes(&self, body: &Body, l: &Loop) -> Vec<syn::Ident> {
        let mut tapes = Vec::new();
        if self.loop_work[l.id] {
            if !self.taped[l.id].is_empty() {
                tapes.push(l.tape.clone());
            }
            let merged = self.merged_floats(l);
            tapes.extend(
                self.saved[l.id]
                    .iter()
                    .filter(|v| self.save_head[**v] == **v && !merged.contains(v))
                    .map(|v| crate::forward::save_tape(body, *v)),
            );
            tapes.extend(self.undo[l.id].iter().map(|u| u.tape.clone()));
        }
        let inner = self.reserved_exits(l).into_iter();
        tapes.extend(
            inner
                .filter(|i| !self.merged_away(i))
                .map(|i| i.exits.clone()),
        );
        tapes.retain(|t| !self.presized.iter().any(|(p, _, _)| p == t));
        tapes
    }
}

/// See [`Plan::room`]: for each range loop with tapes, the outermost loop that can make room
/// for them.
fn hoisted_room(body: &Body, plan: &Plan) -> (Vec<Vec<Room>>, Vec<bool>) {
    let loops = plan.loop_work.len();
    let (mut room, mut outside) = (
        (0..loops).map(|_| Vec::new()).collect::<Vec<_>>(),
        vec![false; loops],
    );
    // The loops, and the loop whose body has each at its top level.
    let mut all: Vec<&Loop> = Vec::new();
    let mut parent: Vec<Option<&Loop>> = vec![None; loops];
    body.block.walk(&mut |s| {
        if let Stmt::Loop(p) = s {
            all.push(p);
            for inner in &p.body.stmts {
                if let Stmt::Loop(c) = inner {
                    parent[c.id] = Some(p);
                }
            }
        }
    });
    let fused = plan.fused.as_ref().map(|f| f.loop_id);
    // A range without `break`, run once per entry by the forward sweep.
    let range = |l: &Loop| {
        plan.reversible[l.id] && matches!(l.kind, LoopKind::For { .. }) && fused != Some(l.id)
    };
    for c in all {
        let tapes = plan.entry_tapes(body, c);
        if tapes.is_empty() || !range(c) {
            continue;
        }
        // Climb while the ranges from `top` down to `c` can be known when `top`'s parent
        // starts.
        let (mut top, mut ranges, mut reads) = (c, Vec::new(), Vec::new());
        let mut ids = Vec::new();
        while let Some(p) = parent[top.id].filter(|p| range(p)) {
            let LoopKind::For { iter, reads: r, .. } = &top.kind else {
                break;
            };
            // `top`'s range is pure (`top` is reversible): it must also read nothing `p`
            // defines, as must the ranges below it.
            let inside = defined_in(p);
            if r.iter().chain(&reads).any(|v| inside.contains(v)) {
                break;
            }
            ranges.insert(0, iter.clone());
            ids.insert(0, top.id);
            reads.extend(r.iter().copied());
            top = p;
        }
        if top.id != c.id {
            room[top.id].push(Room {
                ranges,
                loops: ids,
                tapes,
            });
            outside[c.id] = true;
        }
    }
    (room, outside)
}

/// The ids of `block` and of the blocks nested in it.
fn blocks_in(block: &Block, out: &mut Vec<usize>) {
    out.push(block.id);
    for stmt in &block.stmts {
        match stmt {
            Stmt::If { then, els, .. } => {
                blocks_in(then, out);
                blocks_in(els, out);
            }
            Stmt::Loop(l) => blocks_in(&l.body, out),
            _ => {}
        }
    }
}

/// The block in `block` (itself or one nested in it) whose top level defines `var`, and the
/// statement's index there.
fn top_level_def(block: &Block, var: VarId) -> Option<(usize, usize)> {
    block.stmts.iter().enumerate().find_map(|(i, stmt)| {
        if stmt.defs().contains(&var) {
            return Some((block.id, i));
        }
        match stmt {
            Stmt::If { then, els, .. } => {
                top_level_def(then, var).or_else(|| top_level_def(els, var))
            }
            Stmt::Loop(l) => top_level_def(&l.body, var),
            _ => None,
        }
    })
}

/// See [`Plan::saved_floats`].
fn block_floats(body: &Body, saved: &[bool]) -> Vec<Vec<VarId>> {
    fn walk(block: &Block, body: &Body, saved: &[bool], out: &mut [Vec<VarId>]) {
        let defs = block.stmts.iter().flat_map(|s| s.defs());
        out[block.id] = defs
            .filter(|v| saved[*v] && body.vars[*v].ty == crate::ir::Ty::Float)
            .collect();
        for stmt in &block.stmts {
            match stmt {
                Stmt::If { then, els, .. } => {
                    walk(then, body, saved, out);
                    walk(els, body, saved, out);
                }
                Stmt::Loop(l) => walk(&l.body, body, saved, out),
                _ => {}
            }
        }
    }
    let mut out = vec![Vec::new(); body.blocks];
    walk(&body.block, body, saved, &mut out);
    out
}

/// See [`Plan::save_head`].
fn save_heads(body: &Body, plan: &Plan) -> Vec<VarId> {
    let mut heads: Vec<VarId> = (0..body.vars.len()).collect();
    for floats in &plan.block_floats {
        for v in floats {
            heads[*v] = floats[0];
        }
    }
    heads
}

/// Where a value is moved (into an update's new version, or into a loop's slot): whether it
/// must be copied instead, because it is read again. [`Moves::copy_base`] per update variable,
/// [`Moves::move_init`] per loop slot (see [`Plan::copy_base`], [`Plan::move_init`]).
struct Moves {
    copy_base: Vec<bool>,
    move_init: Vec<bool>,
}

/// A loop around the statement being looked at: its slots, the blocks of its body, and the
/// primal reads in its body.
struct Around {
    slots: Vec<VarId>,
    blocks: Vec<usize>,
    uses: Vec<usize>,
}

/// Finds [`Moves`]. A value `v` moved inside a loop whose slot it is is written back at the end
/// of each iteration: only reads inside that loop's body (by its primal code or its reverse)
/// see the moved value; a read after the loop sees the written-back one. Elsewhere any read
/// counts.
///
/// - An update copies its aggregate when the reverse sweep reads it, or a statement that runs
///   after the fused loop ([`Plan::read_late`]).
/// - A loop's slot takes its initial value by move when nothing else reads it: no other primal
///   read, no read by the reverse sweep, not a witness.
fn moves(body: &Body, plan: &Plan) -> Moves {
    fn walk(block: &Block, body: &Body, plan: &Plan, around: &mut Vec<Around>, out: &mut Moves) {
        // The loop around whose slot `v` is, if any.
        fn slot_of(around: &[Around], v: VarId) -> Option<&Around> {
            around.iter().rev().find(|a| a.slots.contains(&v))
        }
        let read_in_reverse = |v: VarId, around: &[Around]| {
            let reads = &plan.read_in_reverse[v];
            match slot_of(around, v) {
                Some(a) => reads.iter().any(|r| a.blocks.contains(r)),
                None => !reads.is_empty(),
            }
        };
        for stmt in &block.stmts {
            match stmt {
                Stmt::Let {
                    var,
                    rhs:
                        Rhs::Update {
                            base: Atom::Var(b), ..
                        },
                    ..
                } => {
                    // The reverse sweep reads an undone chain's versions from its own copy.
                    out.copy_base[*var] = (read_in_reverse(*b, around)
                        && plan.undo_update(*var).is_none())
                        || plan.read_late.contains(b);
                }
                Stmt::If { then, els, .. } => {
                    walk(then, body, plan, around, out);
                    walk(els, body, plan, around, out);
                }
                Stmt::Loop(l) => {
                    for slot in &l.slots {
                        let Atom::Var(v) = slot.init else { continue };
                        let uses = slot_of(around, v).map_or(plan.uses[v], |a| a.uses[v]);
                        out.move_init[slot.var] =
                            !plan.is_witness[v] && uses == 1 && !read_in_reverse(v, around);
                    }
                    let mut blocks = Vec::new();
                    blocks_in(&l.body, &mut blocks);
                    around.push(Around {
                        slots: l.slots.iter().map(|s| s.var).collect(),
                        blocks,
                        uses: l.body.use_counts(body.vars.len()),
                    });
                    walk(&l.body, body, plan, around, out);
                    around.pop();
                }
                _ => {}
            }
        }
    }
    let mut out = Moves {
        copy_base: vec![false; body.vars.len()],
        move_init: vec![false; body.vars.len()],
    };
    walk(&body.block, body, plan, &mut Vec::new(), &mut out);
    out
}

/// The variables that loop `l` defines: its slots, its counters, and every variable defined
/// in its body.
pub fn defined_in(l: &Loop) -> Set {
    let mut out: Set = l.slots.iter().map(|s| s.var).collect();
    let counters = |l: &Loop, out: &mut Set| {
        if let LoopKind::For { counters, .. } = &l.kind {
            out.extend(counters.iter().copied());
        }
    };
    counters(l, &mut out);
    l.body.walk(&mut |s| {
        out.extend(s.defs());
        if let Stmt::Loop(inner) = s {
            counters(inner, &mut out);
        }
    });
    out
}

/// See [`Plan::frames`].
fn frames(body: &Body, plan: &Plan) -> Vec<Vec<usize>> {
    fn known(ty: &crate::ir::Ty) -> bool {
        use crate::ir::Ty;
        match ty {
            Ty::Unknown => false,
            Ty::Array(elem) | Ty::Slice(elem) => known(elem),
            Ty::Tuple(elems) => elems.iter().all(known),
            Ty::Float | Ty::Other => true,
        }
    }
    let mut frames = vec![Vec::new(); plan.frames.len()];
    body.block.walk(&mut |s| {
        if let Stmt::Loop(p) = s {
            let members = plan.reserved_exits(p);
            let typed = |m: &&Loop| plan.exits[m.id].iter().all(|v| known(&body.vars[*v].ty));
            if members.len() >= 2 && members.iter().all(typed) {
                let ids: Vec<usize> = members.iter().map(|m| m.id).collect();
                for m in &members {
                    frames[m.id] = ids.clone();
                }
            }
        }
    });
    frames
}

/// See [`Plan::presized`].
fn presized_tapes(body: &Body, plan: &Plan) -> Vec<(syn::Ident, proc_macro2::TokenStream, usize)> {
    let Some(fusion) = &plan.fused else {
        return Vec::new();
    };
    let Some(fused) = fusion.lookup(body) else {
        return Vec::new();
    };
    // What is defined before the fused loop: the parameters and the earlier statements.
    let mut before: Vec<VarId> = body.params.iter().map(|p| p.var).collect();
    for stmt in &body.block.stmts[..fusion.index] {
        before.extend(stmt.defs());
    }
    let mut out = Vec::new();
    for stmt in &fused.body.stmts {
        let Stmt::Loop(p) = stmt else { continue };
        let LoopKind::For { iter, reads, .. } = &p.kind else {
            continue;
        };
        // A reversible loop's range is pure.
        if !plan.reversible[p.id] || !reads.iter().all(|r| before.contains(r)) {
            continue;
        }
        if plan.loop_work[p.id] && !plan.taped[p.id].is_empty() && !small_loop_tape(body, plan, p) {
            out.push((p.tape.clone(), iter.clone(), p.id));
        }
        for inner in plan.reserved_exits(p) {
            if !plan.merged_away(inner) {
                out.push((inner.exits.clone(), iter.clone(), p.id));
            }
        }
    }
    out
}

/// True when loop `l` saves one float per iteration, or up to four with the floats its
/// body saves (see [`Plan::merged`]), on a `SmallTape`: the first ones in place, no
/// allocation for a short loop.
pub fn small_loop_tape(body: &Body, plan: &Plan, l: &Loop) -> bool {
    if plan.merged[l.id] {
        return plan.taped[l.id].len() + plan.saved_floats(&l.body).len() <= 4;
    }
    matches!(plan.taped[l.id].as_slice(), [v] if body.vars[*v].ty == crate::ir::Ty::Float)
}

/// `slot` of loop `l` as an [`Extremum`], when it is one.
fn extremum(body: &Body, l: &Loop, slot: VarId) -> Option<Extremum> {
    if body.vars[slot].ty != crate::ir::Ty::Float || crate::fuse::leaves(&l.body, true) {
        return None;
    }
    let uses = l.body.use_counts(body.vars.len());
    if uses[slot] != 1 {
        return None;
    }
    // The lowering of `fold` binds the accumulator first: `let acc = m;`, read once.
    let copy = l.body.stmts.iter().find_map(|s| match s {
        Stmt::Let {
            var,
            rhs: Rhs::Use(Atom::Var(v)),
            ..
        } if *v == slot => Some(*var),
        _ => None,
    });
    let read = match copy {
        Some(c) if uses[c] == 1 => c,
        Some(_) => return None,
        None => slot,
    };
    let (new, operand, max) = l.body.stmts.iter().find_map(|s| match s {
        Stmt::Let {
            var,
            rhs:
                Rhs::Prim {
                    prim,
                    args,
                    int_arg: None,
                    ..
                },
            ..
        } if matches!(prim.name, "max" | "min") && args.len() == 2 => {
            let operand = match (&args[0], &args[1]) {
                (Atom::Var(a), b) if *a == read && Body::atom_var(b) != Some(read) => b.clone(),
                (a, Atom::Var(b)) if *b == read && Body::atom_var(a) != Some(read) => a.clone(),
                _ => return None,
            };
            Some((*var, operand, prim.name == "max"))
        }
        _ => None,
    })?;
    let written_back = l.body.stmts.iter().any(|s| {
        matches!(s, Stmt::WriteBack { slot: w, value: Atom::Var(v) } if *w == slot && *v == new)
    });
    let name = &body.vars[slot].name;
    (uses[new] == 1 && written_back).then(|| Extremum {
        old: slot,
        new,
        operand,
        max,
        record: syn::Ident::new(&format!("extremum_{name}"), proc_macro2::Span::mixed_site()),
    })
}

/// See [`Plan::merged`].
fn merged_saves(body: &Body, plan: &Plan) -> Vec<bool> {
    let mut merged = plan.merged.clone();
    body.block.walk(&mut |stmt| {
        let Stmt::Loop(l) = stmt else { return };
        let floats = plan.saved_floats(&l.body);
        let Some(last) = floats.last() else { return };
        let fused = plan.fused.as_ref().is_some_and(|f| f.loop_id == l.id);
        let taped = &plan.taped[l.id];
        let stmts = &l.body.stmts;
        // The statement that computes the last saved float, and no write-back before it.
        let Some(at) = stmts.iter().position(|s| s.defs().contains(last)) else {
            return;
        };
        let mut written = false;
        for s in &stmts[..at] {
            s.walk(&mut |s| {
                written |= matches!(s, Stmt::WriteBack { slot, .. } if taped.contains(slot));
            });
        }
        merged[l.id] = plan.loop_work[l.id]
            && !fused
            && plan.reversible[l.id]
            && !taped.is_empty()
            && taped
                .iter()
                .all(|v| body.vars[*v].ty == crate::ir::Ty::Float)
            && !crate::fuse::leaves(&l.body, true)
            && !written;
    });
    merged
}

fn count_loops(block: &Block) -> usize {
    let mut n = 0;
    block.walk(&mut |s| {
        if let Stmt::Loop(l) = s {
            n = n.max(l.id + 1);
        }
    });
    n
}

struct Planner<'a> {
    body: &'a Body,
    activity: &'a Activity,
    cx: &'a Ctxt,
    def_block: Vec<usize>,
    plan: Plan,
}

impl Planner<'_> {
    /// Records the block that defines each variable.
    fn defs(&mut self, block: &Block) {
        for stmt in &block.stmts {
            for v in stmt.defs() {
                self.def_block[v] = block.id;
            }
            match stmt {
                Stmt::If { then, els, .. } => {
                    self.defs(then);
                    self.defs(els);
                }
                Stmt::Loop(l) => {
                    if let LoopKind::For { counters, .. } = &l.kind {
                        for c in counters {
                            self.def_block[*c] = l.body.id;
                        }
                    }
                    self.defs(&l.body);
                }
                _ => {}
            }
        }
    }

    /// An adjoint that receives a contribution outside the block that defines its variable
    /// is declared at the start of that block's reverse; so is every active slot's (the
    /// body's reverse reads and resets it).
    fn predeclare(&mut self, block: &Block) {
        let mut flows: Vec<(&Atom, usize)> = Vec::new();
        let mut slots = Vec::new();
        collect_flows(block, self.activity, &mut flows, &mut slots);
        let add = |plan: &mut Plan, v: VarId, def: usize| {
            if !plan.predeclare[def].contains(&v) {
                plan.predeclare[def].push(v);
            }
        };
        for (atom, at) in flows {
            if let Some(v) = Body::atom_var(atom).map(|v| self.activity.root(v)) {
                if self.activity.active(v) && self.def_block[v] != at {
                    add(&mut self.plan, v, self.def_block[v]);
                }
            }
        }
        for s in slots {
            add(&mut self.plan, s, self.def_block[s]);
        }
    }

    /// Whether each block's (and loop's) reverse does anything.
    fn work(&mut self, block: &Block) -> bool {
        let mut any = false;
        for stmt in &block.stmts {
            any |= match stmt {
                Stmt::Let { var, .. } => self.activity.active(*var),
                Stmt::Effect { .. } => false,
                Stmt::WriteBack { slot, .. } => self.activity.active(*slot),
                Stmt::If {
                    then, els, phis, ..
                } => {
                    let branches = self.work(then) | self.work(els);
                    branches || phis.iter().any(|p| self.activity.active(p.var))
                }
                Stmt::Loop(l) => {
                    let w =
                        self.work(&l.body) || l.slots.iter().any(|s| self.activity.active(s.var));
                    self.plan.loop_work[l.id] = w;
                    w
                }
            };
        }
        self.plan.work[block.id] = any;
        any
    }

    /// The variables the reverse of `block` (its recompute slice included) reads from outside
    /// the block; fills in the slices of this block and the blocks in it, and the loops' tapes.
    ///
    /// `save_in`: the loop whose body `block` is or is in (through branches), when values
    /// computed there may be saved rather than recomputed (see [`Plan::saved`]), and where
    /// `block` sits in it ([`Save`]).
    fn needs(&mut self, block: &Block, save_in: Option<(usize, Save)>) -> Set {
        let mut n: Set = self.plan.predeclare[block.id]
            .iter()
            .map(|v| self.plan.witness[*v])
            .collect();
        for stmt in &block.stmts {
            let reads = self.reverse_reads(stmt, save_in.map(|(l, _)| (l, Save::Branch)));
            self.mark_read(&reads, block.id);
            n.extend(reads);
        }
        let mut include = vec![false; block.stmts.len()];
        for (i, stmt) in block.stmts.iter().enumerate().rev() {
            if let Stmt::Loop(l) = stmt {
                if self.plan.loop_work[l.id] {
                    // Not run again: the forward sweep saved its iterations on its tape, and
                    // leaves on another what the code after it reads.
                    let defs = stmt.defs();
                    if block.id != 0 {
                        self.plan.exits[l.id] =
                            defs.iter().copied().filter(|d| n.contains(d)).collect();
                        self.plan.nested[l.id] = true;
                        include[i] = true;
                    }
                    for d in defs {
                        n.remove(&d);
                    }
                    continue;
                }
            }
            let wanted = stmt.defs().iter().any(|d| n.contains(d));
            if let (true, Some((l, at)), Stmt::Let { var, rhs, .. }) = (wanted, save_in, stmt) {
                // A costly value (saving and reloading it costs less than computing it
                // again), or a value that may not be the same when computed again.
                let in_loop = l + 1 < self.plan.saved.len();
                let costly = costly(rhs) && (at == Save::Body || (at == Save::Branch && in_loop));
                if costly || (at != Save::RunOnce && self.may_differ(*var, rhs)) {
                    self.plan.saved[l].push(*var);
                    n.remove(var);
                    continue;
                }
            }
            if wanted && !matches!(stmt, Stmt::Effect { .. } | Stmt::WriteBack { .. }) {
                // The function's own block runs once, and so does the body of a fused loop;
                // only other nested blocks are re-run.
                let rerun = block.id != 0 && Some(block.id) != self.fused_body();
                if let (true, Some((l, _))) = (
                    rerun && saves_whole(stmt) && !is_pure_stmt(stmt, self.activity),
                    save_in,
                ) {
                    // An `if` or an inactive loop that may not give the same values again
                    // (it calls a plain function, or its range does): what the reverse reads
                    // of its results is saved, and it is not run again.
                    for d in stmt.defs() {
                        if n.remove(&d) {
                            self.plan.saved[l].push(d);
                        }
                    }
                    continue;
                }
                include[i] = true;
                for d in stmt.defs() {
                    n.remove(&d);
                }
                if rerun {
                    // Run again in the reverse sweep, after the forward sweep's updates: what
                    // it reads is read by the reverse too. (A block run once computed it in
                    // place; its reverse reads it there, and needs nothing more for it.)
                    let reads = primal_reads(stmt);
                    self.mark_read(&reads, block.id);
                    n.extend(reads);
                    self.check_pure(stmt);
                }
            }
        }
        self.plan.slice[block.id] = include;
        n
    }

    /// Records that the reverse of block `block` reads `vars` (see [`Plan::read_in_reverse`]).
    fn mark_read(&mut self, vars: &Set, block: usize) {
        for v in vars {
            if !self.plan.read_in_reverse[*v].contains(&block) {
                self.plan.read_in_reverse[*v].push(block);
            }
        }
    }

    /// The primal values the reverse of `stmt` reads (nested blocks included).
    fn reverse_reads(&mut self, stmt: &Stmt, save_in: Option<(usize, Save)>) -> Set {
        match stmt {
            // A temporary row read only through an element: no reverse (see `views`).
            Stmt::Let { var, .. } if self.plan.views.skipped[*var] => Set::new(),
            Stmt::Let { var, rhs, .. } if self.activity.active(*var) => {
                let activity = self.activity;
                let mut n: Set = rhs
                    .reverse_reads(*var, |a| activity.active_atom(a))
                    .into_iter()
                    .chain(self.plan.views.path_reads(*var))
                    .collect();
                // An aggregate's adjoint starts as `zero_like(&primal)` (unless it shares the
                // storage of the aggregate it updates).
                if self.body.vars[*var].ty != crate::ir::Ty::Float
                    && self.activity.alias[*var].is_none()
                {
                    n.insert(self.plan.witness[*var]);
                }
                n
            }
            Stmt::If {
                cond, then, els, ..
            } if self.plan.work[then.id] || self.plan.work[els.id] || self.if_phis_active(stmt) => {
                let mut n: Set = Body::atom_var(cond).into_iter().collect();
                // An aggregate phi's adjoint starts as `zero_like(&witness)` (unless it shares
                // the storage of the aggregate its branches give).
                if let Stmt::If { phis, .. } = stmt {
                    for phi in phis.iter().filter(|p| self.activity.active(p.var)) {
                        if self.body.vars[phi.var].ty != crate::ir::Ty::Float
                            && self.activity.alias[phi.var].is_none()
                        {
                            n.insert(self.plan.witness[phi.var]);
                        }
                    }
                }
                // A branch of a loop body: what may not give the same value again is saved
                // there too, and popped by the branch's reverse.
                n.extend(self.needs(then, save_in));
                n.extend(self.needs(els, save_in));
                n
            }
            Stmt::Loop(l) if self.plan.loop_work[l.id] => {
                // The fused loop's reverse does not run its body again: nothing to save there.
                let fused = self.plan.fused.as_ref().is_some_and(|f| f.loop_id == l.id);
                // The fused loop's body is not run again, but its branches' reverses re-run
                // what they read.
                let at = if fused { Save::RunOnce } else { Save::Body };
                let save_in = Some((l.id, at));
                let mut n = self.needs(&l.body, save_in);
                let body_needs = n.clone();
                let mut at_start: Vec<VarId> = l.slots.iter().map(|s| s.var).collect();
                // The reverse evaluates the range again: only a pure one gives the same
                // iterations (`0..next_len()` may not), else the trip count is counted.
                let reversible = matches!(&l.kind, LoopKind::For { iter, .. } if is_pure_range(iter))
                    && !breaks(&l.body);
                self.plan.reversible[l.id] = reversible;
                if let LoopKind::For {
                    counters, reads, ..
                } = &l.kind
                {
                    if reversible {
                        // The reverse evaluates the range again, and the counter comes from it.
                        n.extend(reads.iter().copied());
                        for c in counters {
                            n.remove(c);
                        }
                    } else {
                        at_start.extend(counters.iter().copied());
                    }
                }
                let mut rewind: Vec<Rewind> = if reversible {
                    l.slots
                        .iter()
                        .filter(|s| n.contains(&s.var) && !self.activity.active(s.var))
                        .filter_map(|s| {
                            rewindable(l, s.var, &self.body.vars[s.var].name)
                                .or_else(|| self.spanned(l, s.var))
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                let fused = self.plan.fused.as_ref().is_some_and(|f| f.loop_id == l.id);
                if reversible && !fused {
                    for s in &l.slots {
                        if n.contains(&s.var) || self.activity.active(s.var) {
                            continue;
                        }
                        let plan = &mut self.plan;
                        if let Some((inner, exit)) =
                            rewound_by_inner(l, s.var, &plan.rewind, &plan.exits)
                        {
                            plan.exits[inner].retain(|v| *v != exit);
                            rewind.push(Rewind {
                                slot: s.var,
                                step: Step::Inner(exit),
                            });
                        }
                    }
                }
                // Aggregates written element by element: the reverse undoes the writes in a
                // copy of its own, which it takes over from the slot's value after the loop.
                let mut undo: Vec<crate::undo::Undo> = Vec::new();
                if !fused {
                    let inside = defined_in(l);
                    // Indices the reverse has before it undoes the writes: the counter of a
                    // range it runs again, and what it pops or rewinds at iteration start.
                    let mut known: Vec<VarId> =
                        at_start.iter().copied().filter(|v| n.contains(v)).collect();
                    if let (true, LoopKind::For { counters, .. }) = (reversible, &l.kind) {
                        known.extend(counters.iter().copied());
                    }
                    let read: Vec<VarId> = l
                        .slots
                        .iter()
                        .map(|s| s.var)
                        .filter(|v| n.contains(v))
                        .collect();
                    for slot in read {
                        let views = &self.plan.views;
                        let Some(chain) =
                            crate::undo::chain(self.body, self.activity, views, l, slot)
                        else {
                            continue;
                        };
                        let (log, outside) =
                            crate::undo::undo(self.body, slot, chain, &inside, &known);
                        n.extend(outside);
                        undo.push(log);
                    }
                }
                // Running maxima and minima of a loop at the top level of the function.
                let top = self
                    .body
                    .block
                    .stmts
                    .iter()
                    .any(|s| matches!(s, Stmt::Loop(t) if t.id == l.id));
                let extrema: Vec<Extremum> = if top && !fused {
                    l.slots
                        .iter()
                        .filter(|s| n.contains(&s.var) && self.activity.active(s.var))
                        .filter_map(|s| extremum(self.body, l, s.var))
                        .collect()
                } else {
                    Vec::new()
                };
                self.plan.taped[l.id] = at_start
                    .iter()
                    .copied()
                    .filter(|v| n.contains(v) && !rewind.iter().any(|r| r.slot == *v))
                    .filter(|v| !undo.iter().any(|u| u.slot == *v))
                    .filter(|v| !extrema.iter().any(|e| e.old == *v))
                    .collect();
                self.plan.extrema[l.id] = extrema;
                for v in at_start {
                    n.remove(&v);
                }
                n.extend(undo.iter().map(|u| u.slot));
                // A costly value that an undo log reads back from its copy is not saved too:
                // its statement is in the recompute slice, where it reads that copy.
                for (v, _) in undo.iter().filter_map(|u| u.forwarded.as_ref()) {
                    if !self.plan.saved[l.id].contains(v) {
                        continue;
                    }
                    if let Some((block, i)) = top_level_def(&l.body, *v) {
                        self.plan.saved[l.id].retain(|s| s != v);
                        self.plan.slice[block][i] = true;
                    }
                }
                self.plan.undo[l.id] = undo;
                // The reverse starts a rewound slot from its value after the loop.
                n.extend(rewind.iter().map(|r| r.slot));
                self.plan.rewind[l.id] = rewind;
                self.forward_order(l, &body_needs).unwrap_or(n)
            }
            _ => Set::new(),
        }
    }

    /// Runs the reverse of loop `l` in the iterations' forward order when that is sound and
    /// needs nothing saved, and returns what that reverse then reads from outside the loop;
    /// `None` (and nothing changed) otherwise. `body_needs`: what the reverse of the body reads
    /// from outside it.
    ///
    /// The order of the iterations' reverses does not matter when every active slot only
    /// accumulates (`s += e`, `y[i] += e`, also through inner loops: see
    /// [`crate::fuse::accumulates_in_place`]): each iteration's reverse leaves the slots'
    /// adjoints as it found them and adds to the adjoints of other values. When, besides, the
    /// reverse of an iteration reads no slot at its start (only the counter, which the range
    /// gives again, and values from outside the loop) other than integers it can step again
    /// from their values before the loop ([`Plan::replay`]), it runs going forwards: the inner
    /// product of a dense layer, `a += w[i] * x[i]`, then walks its arrays forwards, as the
    /// primal does, which the optimiser compiles better than the same loop backwards (the
    /// two-layer network's gradient: 39 µs -> 32.5 µs). So does a packed triangle read
    /// column by column, `y[r] += q[l] * x[c]; l += 1;` (GMM's: its gradient 1.35 -> 1.10
    /// times the hand-written one, with the windows of `crate::bounds`).
    ///
    /// Not for a body with an `if`, costly values saved in it, or an inner loop that is not
    /// run forwards itself or whose values the code after it reads.
    fn forward_order(&mut self, l: &Loop, body_needs: &Set) -> Option<Set> {
        let fused = self.plan.fused.as_ref().is_some_and(|f| f.loop_id == l.id);
        if !self.plan.reversible[l.id] || fused || !self.plan.saved[l.id].is_empty() {
            return None;
        }
        let LoopKind::For {
            counters, reads, ..
        } = &l.kind
        else {
            return None;
        };
        for stmt in &l.body.stmts {
            match stmt {
                Stmt::Let { .. } | Stmt::WriteBack { .. } | Stmt::Effect { .. } => {}
                Stmt::Loop(inner) => {
                    let plan = &self.plan;
                    if plan.loop_work[inner.id]
                        && (!plan.forward[inner.id] || !plan.exits[inner.id].is_empty())
                    {
                        return None;
                    }
                }
                Stmt::If { .. } => return None,
            }
        }
        let mut replay = Vec::new();
        for s in &l.slots {
            if body_needs.contains(&s.var) {
                replay.push(self.replayable(l, s.var)?);
            }
            if self.activity.active(s.var) && !crate::fuse::accumulates_in_place(&l.body, s.var) {
                return None;
            }
        }
        let mut n = body_needs.clone();
        for c in counters {
            n.remove(c);
        }
        n.extend(reads.iter().copied());
        // A replayed slot starts from its initial value.
        for r in &replay {
            n.remove(&r.slot);
            let init = l.slots.iter().find(|s| s.var == r.slot).map(|s| &s.init);
            n.extend(init.and_then(Body::atom_var));
        }
        self.plan.replay[l.id] = replay;
        self.plan.forward[l.id] = true;
        self.plan.taped[l.id].clear();
        self.plan.undo[l.id].clear();
        self.plan.rewind[l.id].clear();
        Some(n)
    }

    /// How the forwards reverse of loop `l` steps its inactive integer slot `slot` again (see
    /// [`Plan::replay`]): as the loop steps it by a literal at the end of every iteration
    /// ([`Step::By`], when it is rewindable), or, when its one write-back (at the top level
    /// of the body) stores the value after an inner loop at the top level whose slot starts
    /// from `slot` and is replayed itself, as that inner loop steps it ([`Step::Inner`]).
    fn replayable(&self, l: &Loop, slot: VarId) -> Option<Rewind> {
        if self.activity.active(slot) {
            return None;
        }
        let by = self.plan.rewind[l.id]
            .iter()
            .find(|r| r.slot == slot && matches!(r.step, Step::By { .. }));
        if let Some(r) = by {
            return Some(r.clone());
        }
        let (_, exit) = self.replaying_inner(l, slot)?;
        Some(Rewind {
            slot,
            step: Step::Inner(exit),
        })
    }

    /// For a slot `slot` of loop `l` whose one write-back (at the top level of the body)
    /// stores the value after an inner loop at the top level whose slot starts from `slot` and
    /// which steps that slot forwards again in its reverse ([`Plan::replay`]): that inner loop
    /// and its slot.
    fn replaying_inner<'b>(&self, l: &'b Loop, slot: VarId) -> Option<(&'b Loop, VarId)> {
        let exit = handed_on(l, slot)?;
        let starts_here = |s: &Slot| s.var == exit && matches!(s.init, Atom::Var(v) if v == slot);
        l.body.stmts.iter().find_map(|s| match s {
            Stmt::Loop(inner)
                if inner.slots.iter().any(starts_here)
                    && self.plan.replay[inner.id].iter().any(|r| r.slot == exit) =>
            {
                Some((inner, exit))
            }
            _ => None,
        })
    }

    /// `slot` as a [`Step::Span`] rewind of loop `l` (whose reverse runs backwards), when an
    /// inner loop replays it by a literal step (see [`Planner::replaying_inner`]) over a pure
    /// range that reads only `l`'s counter and values from outside `l`.
    fn spanned(&self, l: &Loop, slot: VarId) -> Option<Rewind> {
        let (inner, exit) = self.replaying_inner(l, slot)?;
        let r = self.plan.replay[inner.id].iter().find(|r| r.slot == exit)?;
        let (Step::By { lit, up }, LoopKind::For { iter, reads, .. }) = (&r.step, &inner.kind)
        else {
            return None;
        };
        if !self.plan.reversible[inner.id] {
            return None;
        }
        let own = match &l.kind {
            LoopKind::For { counters, .. } => counters.as_slice(),
            LoopKind::Loop => &[],
        };
        let inside = defined_in(l);
        if !reads.iter().all(|v| own.contains(v) || !inside.contains(v)) {
            return None;
        }
        Some(Rewind {
            slot,
            step: Step::Span {
                iter: iter.clone(),
                lit: lit.clone(),
                up: *up,
            },
        })
    }

    /// The id of the fused loop's body block, if a loop is fused.
    fn fused_body(&self) -> Option<usize> {
        Some(self.plan.fused.as_ref()?.lookup(self.body)?.body.id)
    }

    fn if_phis_active(&self, stmt: &Stmt) -> bool {
        matches!(stmt, Stmt::If { phis, .. } if phis.iter().any(|p| self.activity.active(p.var)))
    }

    /// True when `var = rhs` may give another value when computed again: an opaque expression
    /// vjp cannot show to be pure, or a call whose result is inactive (no `_vjp` is called
    /// for it, so it may be a plain function with side effects). Inside a loop such a value is
    /// saved; elsewhere the reverse runs an opaque expression again only when it is pure
    /// ([`Self::check_pure`]), and an inactive call again as before (a call of a
    /// `#[differentiable]` function with inactive arguments, which is deterministic).
    fn may_differ(&self, var: VarId, rhs: &Rhs) -> bool {
        match rhs {
            Rhs::Opaque { expr, .. } => !is_pure_tokens(expr),
            Rhs::Call { .. } => !self.activity.active(var),
            _ => false,
        }
    }

    /// A statement re-run by the reverse sweep must compute the same value again.
    fn check_pure(&self, stmt: &Stmt) {
        let mut check = |s: &Stmt| {
            if let Stmt::Let {
                rhs: Rhs::Opaque { expr, .. },
                span,
                ..
            } = s
            {
                if !is_pure_tokens(expr) {
                    self.cx.error_help(
                        *span,
                        "the reverse sweep would evaluate this expression again, and vjp cannot tell that it gives the same value",
                        "compute it before the `if` or the loop (a function call may have side effects; a value in a `#[no_grad]` slice does not)",
                    );
                }
            }
        };
        stmt.walk(&mut check);
    }
}

/// True when `stmt` is an `if` or a loop whose results the forward sweep can save right after
/// it, in place of running it again: a loop always ends where it started (a jump out of it is
/// a flag read after it), an `if` when no path through it leaves with `break` or `continue`.
fn saves_whole(stmt: &Stmt) -> bool {
    fn falls(block: &Block) -> bool {
        block.term == crate::ir::Term::Fall
            && block.stmts.iter().all(|s| match s {
                Stmt::If { then, els, .. } => falls(then) && falls(els),
                _ => true,
            })
    }
    match stmt {
        Stmt::If { then, els, .. } => falls(then) && falls(els),
        Stmt::Loop(_) => true,
        _ => false,
    }
}

/// True when running `stmt` again gives the same values: every opaque expression in it (at any
/// depth) is pure, and so is every loop's range, and it calls no function whose result is
/// inactive (a plain function, taken for one that may be differentiated: see
/// [`Planner::may_differ`]).
pub fn is_pure_stmt(stmt: &Stmt, activity: &Activity) -> bool {
    let mut pure = true;
    stmt.walk(&mut |s| match s {
        Stmt::Let {
            rhs: Rhs::Opaque { expr, .. },
            ..
        } => pure &= is_pure_tokens(expr),
        Stmt::Let {
            var,
            rhs: Rhs::Call { .. },
            ..
        } => pure &= activity.active(*var),
        Stmt::Loop(Loop {
            kind: LoopKind::For { iter, .. },
            ..
        }) => pure &= is_pure_tokens(iter),
        _ => {}
    });
    pure
}

/// See [`Plan::witness`]: follows a slot to its initial value, and a copy or an update to the
/// value it came from, as long as that is a variable.
fn witnesses(body: &Body) -> Vec<VarId> {
    let mut from: Vec<Option<VarId>> = vec![None; body.vars.len()];
    body.block.walk(&mut |stmt| match stmt {
        Stmt::Loop(l) => {
            for slot in &l.slots {
                from[slot.var] = Body::atom_var(&slot.init);
            }
        }
        Stmt::Let {
            var,
            rhs:
                Rhs::Use(Atom::Var(b))
                | Rhs::Update {
                    base: Atom::Var(b), ..
                },
            ..
        } => from[*var] = Some(*b),
        // A value written back to a slot, of a type that fixes its shape, has the slot's
        // shape (`a = turn(a, r)`: the call's result need not be computed again for a zero).
        Stmt::WriteBack {
            slot,
            value: Atom::Var(v),
        } if from[*v].is_none() && *v != *slot && body.vars[*v].ty.fixed_shape() => {
            from[*v] = Some(*slot)
        }
        _ => {}
    });
    (0..body.vars.len())
        .map(|v| {
            let mut w = v;
            while let Some(next) = from[w] {
                w = next;
            }
            w
        })
        .collect()
}

/// Where each adjoint contribution happens: the operands of active statements in their
/// block, a phi's branch values in their branch, a loop's slot initial values in the loop's
/// block, a write-back's value at its leaf. Also lists the active slots.
fn collect_flows<'a>(
    block: &'a Block,
    activity: &Activity,
    flows: &mut Vec<(&'a Atom, usize)>,
    slots: &mut Vec<VarId>,
) {
    for stmt in &block.stmts {
        match stmt {
            Stmt::Let { var, rhs, .. } if activity.active(*var) => {
                flows.extend(
                    rhs.differentiable_operands()
                        .into_iter()
                        .map(|a| (a, block.id)),
                );
            }
            Stmt::If {
                then, els, phis, ..
            } => {
                for phi in phis.iter().filter(|p| activity.active(p.var)) {
                    flows.extend(phi.then_val.iter().map(|a| (a, then.id)));
                    flows.extend(phi.else_val.iter().map(|a| (a, els.id)));
                }
                collect_flows(then, activity, flows, slots);
                collect_flows(els, activity, flows, slots);
            }
            Stmt::Loop(l) => {
                for slot in l.slots.iter().filter(|s| activity.active(s.var)) {
                    flows.push((&slot.init, block.id));
                    slots.push(slot.var);
                }
                collect_flows(&l.body, activity, flows, slots);
            }
            Stmt::WriteBack { slot, value } if activity.active(*slot) => {
                flows.push((value, block.id))
            }
            _ => {}
        }
    }
}

/// `a..b`, `a..=b` or `(a..b).rev()`: an iterator that can run backwards.
fn is_pure_range(iter: &proc_macro2::TokenStream) -> bool {
    range_bounds(iter).is_some_and(|bounds| bounds.iter().all(is_pure))
}

/// The bounds `[a, b]` of `a..b`, `a..=b` or `(a..b).rev()`.
fn range_bounds(iter: &proc_macro2::TokenStream) -> Option<[syn::Expr; 2]> {
    fn bounds(e: &syn::Expr) -> Option<[syn::Expr; 2]> {
        match e {
            syn::Expr::Range(r) => Some([*r.start.clone()?, *r.end.clone()?]),
            syn::Expr::Paren(p) => bounds(&p.expr),
            syn::Expr::MethodCall(m) if m.method == "rev" && m.args.is_empty() => {
                bounds(&m.receiver)
            }
            _ => None,
        }
    }
    syn::parse2::<syn::Expr>(iter.clone())
        .ok()
        .as_ref()
        .and_then(bounds)
}

/// Primitives that cost much more than saving and reloading their value (transcendental
/// functions, tens of cycles each).
fn costly(rhs: &Rhs) -> bool {
    const COSTLY: &[&str] = &[
        "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
        "atanh", "exp", "exp2", "exp_m1", "ln", "log2", "log10", "ln_1p", "cbrt", "atan2", "hypot",
        "powf", "log",
    ];
    matches!(rhs, Rhs::Prim { prim, .. } if COSTLY.contains(&prim.name))
}

/// `slot` as a [`Rewind`], when every write-back of it in `l`'s body (all at the end of
/// paths through it) stores the same `slot + LIT` / `LIT + slot` / `slot - LIT`, computed at
/// the top level of the body. An integer literal makes `slot` an integer (a float plus an
/// integer literal does not compile), whose `+` the reverse undoes exactly with `-`; the
/// generated code also checks that it is a primitive integer.
pub fn rewindable(l: &Loop, slot: VarId, name: &syn::Ident) -> Option<Rewind> {
    let mut values = Vec::new();
    l.body.walk(&mut |s| {
        if let Stmt::WriteBack { slot: w, value } = s {
            if *w == slot {
                values.push(Body::atom_var(value));
            }
        }
    });
    let value = values.first().copied().flatten()?;
    if values.iter().any(|v| *v != Some(value)) {
        return None;
    }
    let expr = l.body.stmts.iter().find_map(|s| match s {
        Stmt::Let {
            var,
            rhs: Rhs::Opaque { expr, .. },
            ..
        } if *var == value => Some(expr),
        _ => None,
    })?;
    let syn::Expr::Binary(b) = syn::parse2::<syn::Expr>(expr.clone()).ok()? else {
        return None;
    };
    let is_slot = |e: &syn::Expr| matches!(e, syn::Expr::Path(p) if p.path.is_ident(name));
    let literal = |e: &syn::Expr| match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) if !i.suffix().starts_with('f') => Some(quote::quote!(#i)),
        _ => None,
    };
    let (step, up) = match b.op {
        syn::BinOp::Add(_) if is_slot(&b.left) => (literal(&b.right)?, true),
        syn::BinOp::Add(_) if is_slot(&b.right) => (literal(&b.left)?, true),
        syn::BinOp::Sub(_) if is_slot(&b.left) => (literal(&b.right)?, false),
        _ => return None,
    };
    Some(Rewind {
        slot,
        step: Step::By { lit: step, up },
    })
}

/// The variable that `slot`'s one write-back in `l`'s body stores, when that write-back is
/// at the top level of the body (the value an inner loop leaves, say).
fn handed_on(l: &Loop, slot: VarId) -> Option<VarId> {
    let mut writes = 0;
    l.body.walk(&mut |s| {
        writes += usize::from(matches!(s, Stmt::WriteBack { slot: w, .. } if *w == slot));
    });
    if writes != 1 {
        return None;
    }
    l.body.stmts.iter().find_map(|s| match s {
        Stmt::WriteBack {
            slot: w,
            value: Atom::Var(e),
        } if *w == slot => Some(*e),
        _ => None,
    })
}

/// `slot` as a [`Step::Inner`] rewind: its one write-back in `l`'s body, at the top level,
/// stores the value after an inner loop at the top level whose slot starts from `slot`, and
/// that inner loop rewinds it and would otherwise save it when it ends (`exits`).
/// Returns the inner loop's id and its slot.
fn rewound_by_inner(
    l: &Loop,
    slot: VarId,
    rewind: &[Vec<Rewind>],
    exits: &[Vec<VarId>],
) -> Option<(usize, VarId)> {
    let exit = handed_on(l, slot)?;
    l.body.stmts.iter().find_map(|s| match s {
        Stmt::Loop(inner)
            if inner
                .slots
                .iter()
                .any(|s| s.var == exit && matches!(s.init, Atom::Var(v) if v == slot))
                && rewind[inner.id].iter().any(|r| r.slot == exit)
                && exits[inner.id].contains(&exit) =>
        {
            Some((inner.id, exit))
        }
        _ => None,
    })
}

/// True when a path through `block` (not counting nested loops) ends with `break`.
fn breaks(block: &Block) -> bool {
    block.term == crate::ir::Term::Break
        || block.stmts.iter().any(|s| match s {
            Stmt::If { then, els, .. } => breaks(then) || breaks(els),
            _ => false,
        })
}

/// Every variable the primal code of `stmt` reads from outside it.
pub fn primal_reads(stmt: &Stmt) -> Set {
    let mut reads = Set::new();
    let mut defined = Set::new();
    stmt.walk(&mut |s| {
        defined.extend(s.defs());
        match s {
            Stmt::Let { rhs, .. } => reads.extend(rhs.primal_reads()),
            Stmt::If { cond, phis, .. } => {
                reads.extend(Body::atom_var(cond));
                for phi in phis {
                    reads.extend(
                        phi.then_val
                            .iter()
                            .chain(&phi.else_val)
                            .filter_map(Body::atom_var),
                    );
                }
            }
            Stmt::Loop(l) => {
                reads.extend(l.slots.iter().filter_map(|s| Body::atom_var(&s.init)));
                if let LoopKind::For {
                    counters, reads: r, ..
                } = &l.kind
                {
                    reads.extend(r.iter().copied());
                    defined.extend(counters.iter().copied());
                }
            }
            Stmt::WriteBack { value, .. } => reads.extend(Body::atom_var(value)),
            Stmt::Effect { .. } => {}
        }
    });
    reads.difference(&defined).copied().collect()
}

/// [`is_pure`] for an expression's tokens (false when they do not parse as one).
pub fn is_pure_tokens(expr: &proc_macro2::TokenStream) -> bool {
    syn::parse2::<syn::Expr>(expr.clone()).is_ok_and(|e| is_pure(&e))
}

/// Expressions that always give the same value for the same inputs: literals, paths,
/// operators, casts, fields, indexing, and calls of a few known pure functions.
/// `ROOT::__private::window_index` and its relatives: the runtime's pure index helpers, which
/// generated code calls in the loops over windows (`lower/windows.rs`).
fn runtime_helper(path: &syn::Path) -> bool {
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    matches!(names.as_slice(), [.., private, helper] if private == "__private"
        && ["window_index", "window_count", "chunk_count", "slice_len", "slice_len_from", "inclusive_end", "step_count"].contains(&helper.as_str()))
}

pub fn is_pure(e: &syn::Expr) -> bool {
    use syn::Expr;
    const PURE_FUNCTIONS: &[&str] = &["from_f64", "from_i32", "zero", "one", "from", "min", "max"];
    match e {
        Expr::Lit(_) | Expr::Path(_) => true,
        Expr::Paren(p) => is_pure(&p.expr),
        Expr::Group(g) => is_pure(&g.expr),
        // `*v` reads through a shared reference (a loop variable over `#[no_grad]` data).
        Expr::Unary(u) => is_pure(&u.expr),
        Expr::Repeat(r) => is_pure(&r.expr) && is_pure(&r.len),
        Expr::Binary(b) => is_pure(&b.left) && is_pure(&b.right),
        Expr::Cast(c) => is_pure(&c.expr),
        Expr::Field(f) => is_pure(&f.base),
        Expr::Index(i) => is_pure(&i.expr) && is_pure(&i.index),
        Expr::Tuple(t) => t.elems.iter().all(is_pure),
        Expr::Block(b) => b.block.stmts.iter().all(|s| match s {
            syn::Stmt::Local(l) => l
                .init
                .as_ref()
                .is_some_and(|i| i.diverge.is_none() && is_pure(&i.expr)),
            syn::Stmt::Expr(e, _) => is_pure(e),
            _ => false,
        }),
        Expr::Array(a) => a.elems.iter().all(is_pure),
        // Every primitive with a rule is a pure float function, and so are the methods without
        // a derivative (`len`, `is_nan`, ...).
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            (crate::prims::PURE_METHODS.contains(&name.as_str())
                || crate::prims::lookup(&name).is_some()
                || crate::prims::INACTIVE_METHODS.contains(&name.as_str()))
                && is_pure(&m.receiver)
                && m.args.iter().all(is_pure)
        }
        Expr::Call(c) => {
            // `T::from_f64(c)`, and the function form of a primitive (`f64::sin(x)`).
            let known = matches!(&*c.func, Expr::Path(p) if p.path.segments.last().is_some_and(|s| {
                let name = s.ident.to_string();
                PURE_FUNCTIONS.contains(&name.as_str()) || (p.path.segments.len() >= 2 && crate::prims::lookup(&name).is_some())
            }) || runtime_helper(&p.path));
            known && c.args.iter().all(is_pure)
        }
        Expr::Macro(m) => {
            let name = m
                .mac
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            let tokens = &m.mac.tokens;
            // `vec![0.0; n]` and `vec![a, b]` build the same buffer again.
            let pure_vec = name == "vec"
                && (syn::parse2::<syn::ExprRepeat>(quote::quote!([#tokens]))
                    .is_ok_and(|r| is_pure(&r.expr) && is_pure(&r.len))
                    || syn::parse2::<syn::ExprArray>(quote::quote!([#tokens]))
                        .is_ok_and(|a| a.elems.iter().all(is_pure)));
            name == "matches" || pure_vec
        }
        _ => false,
    }
}
