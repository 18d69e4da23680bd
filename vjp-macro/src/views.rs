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
//! no reverse at all. Chains (`x[i][j][k]`, `t.0[j]`) follow each link.

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
}

impl Views {
    /// No views: every statement read as written.
    pub fn none(vars: usize) -> Self {
        Views {
            path: vec![None; vars],
            skipped: vec![false; vars],
        }
    }

    /// The inactive variables the reverse of `var` reads because of its view: the indices
    /// along its path.
    pub fn path_reads(&self, var: VarId) -> Vec<VarId> {
        self.path[var]
            .iter()
            .flat_map(|(_, projs)| projs.iter().filter_map(|p| p.index()))
            .filter_map(Body::atom_var)
            .collect()
    }
}

/// Finds the row views of `body` (see the module's documentation).
pub fn row_views(body: &Body, activity: &Activity) -> Views {
    let mut views = Views::none(body.vars.len());
    let uses = body.use_counts();
    visit(&body.block, activity, &uses, &mut views);
    views
}

fn visit(block: &Block, activity: &Activity, uses: &[usize], views: &mut Views) {
    for (at, stmt) in block.stmts.iter().enumerate() {
        match stmt {
            Stmt::Let {
                var,
                rhs: Rhs::Project(Atom::Var(row), proj),
                ..
            } if activity.active(*var) => {
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

/// The position in `before` of `row`'s definition when `row` is an active element read of an
/// active aggregate, used once (by the read that follows), with only inactive `let`s after it.
fn row_temporary(
    before: &[Stmt],
    row: VarId,
    activity: &Activity,
    uses: &[usize],
) -> Option<usize> {
    if uses[row] != 1 || !activity.active(row) {
        return None;
    }
    for (at, stmt) in before.iter().enumerate().rev() {
        match stmt {
            Stmt::Let {
                var,
                rhs: Rhs::Project(Atom::Var(base), _),
                ..
            } if *var == row => return activity.active(*base).then_some(at),
            Stmt::Let { var, .. } if !activity.active(*var) && !activity.varied[*var] => {}
            _ => return None,
        }
    }
    None
}
