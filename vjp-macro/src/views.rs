//! Row views: element reads through a row that exists only to be indexed.
//!
//! `x[i][j]` lowers to `r = x[i]; e = r[j]`: a copy of the whole row `x[i]`, then one element of
//! it. Reversed rule by rule, `e` adds into a zero adjoint of the row (`bar_r[j] += bar_e`) and
//! `r` adds that row into `bar_x[i]`: for a row of `N` floats, `N` additions (of zeros but one,
//! which the optimiser must keep: `-0.0 + 0.0` is `0.0`) for every element read, so a loop over
//! `w[i][j]` with rows of 64 costs 64 times what it should.
//!
//! When the row is a temporary read by nothing but that one element read, in the same block,
//! with only inactive statements (the index arithmetic) between the two, nothing can change `x`
//! or its adjoint between them. Then `e`'s adjoint goes straight to `bar_x[i][j]`, and `r` has
//! no reverse at all. Chains (`x[i][j][k]`, `t.0[j]`) follow each link. Inactive reads and
//! writes get the same paths, for their primal code: the row of a `Vec<Vec<f64>>` is not `Copy`,
//! and copying it out (`let r = m[0];`) would not compile.
//!
//! Element writes are the same in the other direction: `m[i][j] = e` lowers to
//! `r = m[i]; r2 = r[j <- e]; m2 = m[i <- r2]`, whose reverse took the row's adjoint out of
//! `bar_m` and put it back, and whose row `r` needed `m` again in the reverse (a loop saved
//! the whole of `m` on a tape at every element write). When `r` and `r2` are temporaries used
//! only by the next link, `m2` is one update along the path, `m2 = m[i][j <- e]`: written in
//! place in the forward sweep, reversed as `bar_e = bar_m2[i][j]; bar_m2[i][j] = 0`.

use crate::activity::Activity;
use crate::ir::{Atom, Block, Body, Proj, Rhs, Stmt, VarId};

/// The element reads whose adjoint goes to the aggregate they were read from, and the rows
/// that are skipped in the reverse sweep.
#[derive(Clone, Debug)]
pub struct Views {
    /// Per variable: when it is an element read through temporary rows, the aggregate it
    /// was read from and the projections from there (`x`, `[i, j]` for `x[i][j]`).
    pub path: Vec<Option<(VarId, Vec<Proj>)>>,
    /// Per variable: a temporary row whose only reader took its adjoint path over, so it has
    /// no adjoint and its reverse does nothing.
    pub skipped: Vec<bool>,
    /// Per variable: when it is an update through temporary rows, the projections from its
    /// base to the element written, and the value written there (`[i, j]`, `e` for
    /// `m[i][j] = e`).
    pub update: Vec<Option<(Vec<Proj>, Atom)>>,
    /// Element reads of slice parameters through windows made before their loop (see
    /// [`crate::bounds`]).
    pub windows: crate::bounds::Windows,
}

impl Views {
    /// No views: every statement read as written.
    pub fn none(vars: usize) -> Self {
        Views {
            path: vec![None; vars],
            skipped: vec![false; vars],
            update: vec![None; vars],
            windows: crate::bounds::Windows::default(),
        }
    }

    /// Where the update `var = base[proj <- value]` writes, and what: along its path through
    /// temporary rows when it has one (`[i, j]`, `e` for `m[i][j] = e`), else `[proj]`, `value`.
    pub fn written(&self, var: VarId, proj: &Proj, value: &Atom) -> (Vec<Proj>, Atom) {
        match &self.update[var] {
            Some((path, value)) => (path.clone(), value.clone()),
            None => (vec![proj.clone()], value.clone()),
        }
    }

    /// The inactive variables the reverse of `var` reads because of its view: the indices
    /// along its path.
    pub fn path_reads(&self, var: VarId) -> Vec<VarId> {
        let read = self.path[var].iter().map(|(_, projs)| projs);
        let written = self.update[var].iter().map(|(projs, _)| projs);
        read.chain(written)
            .flat_map(|projs| projs.iter().filter_map(|p| p.index()))
            .filter_map(Body::atom_var)
            .collect()
    }
}

/// Finds the row views of `body` (see the module's documentation).
pub fn row_views(body: &Body, activity: &Activity) -> Views {
    let mut views = Views::none(body.vars.len());
    let mut uses = body.use_counts();
    visit(&body.block, activity, &mut uses, &mut views);
    views.windows = crate::bounds::windows(body, activity);
    views
}

fn visit(block: &Block, activity: &Activity, uses: &mut [usize], views: &mut Views) {
    for (at, stmt) in block.stmts.iter().enumerate() {
        match stmt {
            Stmt::Let {
                var,
                rhs:
                    Rhs::Update {
                        base: Atom::Var(base),
                        proj,
                        value: Atom::Var(inner),
                    },
                ..
            } => {
                if let Some(found) = update_path(
                    &block.stmts[..at],
                    *base,
                    proj,
                    *inner,
                    activity,
                    uses,
                    views,
                ) {
                    views.update[*var] = Some(found);
                }
            }
            Stmt::Let {
                var,
                rhs: Rhs::Project(Atom::Var(row), proj),
                ..
            } => {
                let Some(def) = row_temporary(&block.stmts[..at], *row, activity, uses) else {
                    continue;
                };
                let Stmt::Let {
                    rhs: Rhs::Project(Atom::Var(base), first),
                    ..
                } = &block.stmts[def]
                else {
                    continue;
                };
                // The row itself may be an element read through a temporary row.
                let (root, mut projs) = views.path[*row]
                    .clone()
                    .unwrap_or_else(|| (*base, vec![first.clone()]));
                projs.push(proj.clone());
                views.path[*var] = Some((root, projs));
                views.skipped[*row] = true;
                views.path[*row] = None;
            }
            Stmt::If { then, els, .. } => {
                visit(then, activity, uses, views);
                visit(els, activity, uses, views);
            }
            Stmt::Loop(l) => visit(&l.body, activity, uses, views),
            _ => {}
        }
    }
}

/// For `u = base[proj <- inner]`: when `inner = row[q <- e]` (or an update along a path from
/// `row`) and `row = base[proj]`, both temporaries used only there, with only inactive `let`s
/// and the links of the chain between `row` and `u`, the path from `base` and the value
/// written; the links are marked skipped.
fn update_path(
    before: &[Stmt],
    base: VarId,
    proj: &Proj,
    inner: VarId,
    activity: &Activity,
    uses: &mut [usize],
    views: &mut Views,
) -> Option<(Vec<Proj>, Atom)> {
    if uses[inner] != 1 {
        return None;
    }
    let defined = |v: VarId| {
        before
            .iter()
            .rposition(|s| matches!(s, Stmt::Let { var, .. } if *var == v))
    };
    let inner_at = defined(inner)?;
    let Stmt::Let {
        rhs:
            Rhs::Update {
                base: Atom::Var(row),
                proj: q,
                value,
            },
        ..
    } = &before[inner_at]
    else {
        return None;
    };
    if uses[*row] != 1 {
        return None;
    }
    let row_at = defined(*row)?;
    let Stmt::Let {
        rhs: Rhs::Project(Atom::Var(read_base), read_proj),
        ..
    } = &before[row_at]
    else {
        return None;
    };
    if *read_base != base || !same_proj(read_proj, proj) || views.skipped[*row] {
        return None;
    }
    // Nothing between the row's read and the update but inactive values and the chain.
    let quiet = before[row_at + 1..].iter().all(|s| match s {
        Stmt::Let { var, .. } => {
            *var == inner
                || views.skipped[*var]
                || (!activity.active(*var) && !activity.varied[*var])
        }
        _ => false,
    });
    if !quiet {
        return None;
    }
    let (mut path, value) = match views.update[inner].take() {
        Some((path, value)) => (path, value),
        None => (vec![q.clone()], value.clone()),
    };
    path.insert(0, proj.clone());
    views.skipped[inner] = true;
    views.skipped[*row] = true;
    uses[base] = uses[base].saturating_sub(1);
    Some((path, value))
}

/// The same projection: the same field, or an index by the same variable or literal.
fn same_proj(a: &Proj, b: &Proj) -> bool {
    match (a, b) {
        (Proj::Field(x), Proj::Field(y)) => x == y,
        (Proj::Index(Atom::Var(x)), Proj::Index(Atom::Var(y))) => x == y,
        (Proj::Index(Atom::Const(x, _)), Proj::Index(Atom::Const(y, _))) => {
            x.to_string() == y.to_string()
        }
        _ => false,
    }
}

/// The position in `before` of `row`'s definition when `row` is an element read, used once (by
/// the read that follows), with only inactive `let`s after it.
fn row_temporary(
    before: &[Stmt],
    row: VarId,
    activity: &Activity,
    uses: &[usize],
) -> Option<usize> {
    if uses[row] != 1 {
        return None;
    }
    for (at, stmt) in before.iter().enumerate().rev() {
        match stmt {
            Stmt::Let {
                var,
                rhs: Rhs::Project(Atom::Var(_), _),
                ..
            } if *var == row => return Some(at),
            Stmt::Let { var, .. } if !activity.active(*var) && !activity.varied[*var] => {}
            _ => return None,
        }
    }
    None
}
