"""The machinery of :mod:`portfolio_opt.heuristic`: preparation, propagation, greedy, repair.

:func:`prepare` reads what the heuristics need from a
:class:`~portfolio_opt.matrix.MatrixModel` once (the option columns combined
with their project's ``X_j``, the rows checked on additions, the projects
forced in or out by propagation through rows on one or two projects);
:func:`construct` builds a portfolio from it: forced projects first, then
additions in the given orders, then a repair (single-option additions and
removals that reduce the total row violation). Its answer is not checked
here: :mod:`portfolio_opt.heuristic` checks it against every row.

The greedy additions are vectorised in rounds: a block of candidates in
priority order is checked at once, each against the current slack *minus
the positive use of every earlier candidate of the block* (so accepting all
that pass is safe whatever the signs), and those that did not pass are
retried in the next round. This is the sequential greedy up to the order of
near ties, at numpy speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from portfolio_opt.constraints import ranges

if TYPE_CHECKING:
    from portfolio_opt.matrix import MatrixModel

__all__ = ["TOL", "Prep", "construct", "density_order", "prepare", "state_of"]

#: Feasibility tolerance, relative to ``max(1, |bound|)`` (as tests/checker.py).
TOL = 1e-6
_ADD_TOL = 1e-9  # relative slack tolerance of additions (tighter than the final check)
_BLOCK = 512  # candidates per block of the vectorised greedy
_REPAIR_STEPS = 500


# ------------------------------------------------------------------------ preparation


@dataclass
class Prep:
    """What the heuristics need from a MatrixModel, computed once (:func:`prepare`)."""

    n_cols: int
    n_opt: int
    opt_proj: np.ndarray  # project of each option
    opt_sel: np.ndarray  # column of X_j of each option's project
    separate: np.ndarray  # X_j is a column of its own (several starts)
    value: np.ndarray  # objective gained by each option (option + X_j)
    x0: np.ndarray  # every column at its resting value (options 0, aux at 0 clipped)
    derived: list[tuple[int, np.ndarray]]  # synergy column -> projects it multiplies
    D: sp.csc_matrix  # option + X_j columns on the checked rows (upper, then -lower)
    up_tol: np.ndarray
    has_negative: bool
    rep_rows: np.ndarray  # rows the repair looks at (not synergy)
    R: sp.csc_matrix  # option + X_j columns on rep_rows
    R_csr: sp.csr_matrix
    rep_lo: np.ndarray
    rep_up: np.ndarray
    rep_tol_lo: np.ndarray
    rep_tol_up: np.ndarray
    forced: np.ndarray  # project state: 1 in, 0 out, -1 free
    option_ok: np.ndarray  # option not fixed to 0 by its bounds
    infeasible: bool
    slack0: np.ndarray  # room of the checked rows at x0 (>= 0)
    density: np.ndarray | None = None
    d_rows: np.ndarray | None = None  # row of ``A`` behind each row of D
    d_sign: np.ndarray | None = None  # +1 (an upper bound) or -1 (a negated lower bound)
    d_rhs: np.ndarray | None = None  # the bound of each row of D, as a "<=" row


def prepare(mm: MatrixModel) -> Prep:
    """Compute the :class:`Prep` of ``mm``."""
    A = sp.csr_matrix(mm.A)
    n_rows, n_cols = A.shape
    n_opt = int(mm.n_options)
    sel = np.asarray(mm.selection_columns, dtype=np.int64)
    n_proj = len(sel)
    opt_proj = np.asarray(mm.option_project, dtype=np.int64)[:n_opt]
    opt_sel = sel[opt_proj]
    separate = opt_sel != np.arange(n_opt)
    obj = np.asarray(mm.objective, dtype=float)
    value = obj[:n_opt] + np.where(separate, obj[opt_sel], 0.0)
    col_lo = np.asarray(mm.col_lower, dtype=float)
    col_up = np.asarray(mm.col_upper, dtype=float)
    row_lo = np.asarray(mm.row_lower, dtype=float)
    row_up = np.asarray(mm.row_upper, dtype=float)
    groups = np.asarray(mm.row_groups).astype(str)

    x0 = np.clip(np.zeros(n_cols), col_lo, col_up)
    x0[:n_opt] = 0.0
    x0[sel] = 0.0
    aux = np.ones(n_cols, dtype=bool)
    aux[:n_opt] = False
    aux[sel] = False
    syn_rows = groups == "synergy"
    project_of_col = np.full(n_cols, -1, dtype=np.int64)
    project_of_col[sel] = np.arange(n_proj)
    derived: list[tuple[int, np.ndarray]] = []
    if syn_rows.any():
        S = A[syn_rows].tocsc()
        for y in np.flatnonzero(aux & (np.diff(S.indptr) > 0)):
            rows_y = S.indices[S.indptr[y]:S.indptr[y + 1]]
            sub = A[np.flatnonzero(syn_rows)[rows_y]]
            projects = np.unique(project_of_col[sub.indices])
            derived.append((int(y), projects[projects >= 0]))

    # combined option columns: option + its X_j (one_start rows cancel out)
    Ac = A.tocsc()
    comb = Ac[:, :n_opt] + Ac[:, opt_sel] @ sp.diags(separate.astype(float))
    comb = sp.csr_matrix(comb)
    comb.eliminate_zeros()
    # rows checked on additions, as "<=" rows: upper bounds, then negated lower bounds
    up_rows = np.flatnonzero(np.isfinite(row_up) & ~syn_rows)
    lo_rows = np.flatnonzero(np.isfinite(row_lo) & ~syn_rows)
    D = sp.csc_matrix(sp.vstack([comb[up_rows], -comb[lo_rows]]))
    D.sort_indices()
    upper = np.concatenate([row_up[up_rows], -row_lo[lo_rows]])
    act0 = A @ x0
    # a row violated by the resting columns may not get worse (the repair fixes it)
    slack0 = np.maximum(upper - np.concatenate([act0[up_rows], -act0[lo_rows]]), 0.0)
    rep_rows = np.flatnonzero(~syn_rows)
    R_csr = sp.csr_matrix(comb[rep_rows])
    R = sp.csc_matrix(R_csr)

    forced, option_ok, infeasible = _propagate(A, sel, project_of_col, n_opt, opt_proj,
                                               col_lo, col_up, row_lo, row_up)
    return Prep(
        n_cols=n_cols, n_opt=n_opt, opt_proj=opt_proj, opt_sel=opt_sel, separate=separate,
        value=value, x0=x0, derived=derived, D=D,
        up_tol=_ADD_TOL * np.maximum(1.0, np.abs(upper)),
        has_negative=bool((D.data < 0).any()), rep_rows=rep_rows, R=R, R_csr=R_csr,
        rep_lo=row_lo[rep_rows], rep_up=row_up[rep_rows],
        rep_tol_lo=_ADD_TOL * np.maximum(1.0, np.abs(np.nan_to_num(row_lo[rep_rows],
                                                                     neginf=0.0))),
        rep_tol_up=_ADD_TOL * np.maximum(1.0, np.abs(np.nan_to_num(row_up[rep_rows],
                                                                     posinf=0.0))),
        forced=forced, option_ok=option_ok, infeasible=infeasible, slack0=slack0,
        d_rows=np.concatenate([up_rows, lo_rows]),
        d_sign=np.concatenate([np.ones(len(up_rows)), -np.ones(len(lo_rows))]), d_rhs=upper)


def _propagate(A: sp.csr_matrix, sel: np.ndarray, project_of_col: np.ndarray, n_opt: int,
               opt_proj: np.ndarray, col_lo: np.ndarray, col_up: np.ndarray,
               row_lo: np.ndarray, row_up: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Fix projects implied by column bounds and rows on one or two ``X_j`` columns."""
    n_proj = len(sel)
    state = np.full(n_proj, -1, dtype=np.int64)
    state[col_lo[sel] > 0.5] = 1
    state[col_up[sel] < 0.5] = 0
    option_ok = col_up[:n_opt] >= 0.5
    # a project whose options are all fixed to 0 is out
    has_ok = np.bincount(opt_proj, weights=option_ok.astype(float), minlength=n_proj) > 0
    state[~has_ok & (state == -1)] = 0
    infeasible = bool((~has_ok & (col_lo[sel] > 0.5)).any())
    nnz = np.diff(A.indptr)
    small = np.flatnonzero((nnz >= 1) & (nnz <= 2))
    rows = []
    for r in small.tolist():
        cols = A.indices[A.indptr[r]:A.indptr[r + 1]]
        proj = project_of_col[cols]
        if (proj < 0).any():
            continue
        rows.append((proj.tolist(), A.data[A.indptr[r]:A.indptr[r + 1]].tolist(),
                     float(row_lo[r]), float(row_up[r])))

    def ok(total: float, lo: float, up: float) -> bool:
        return lo - TOL * max(1.0, abs(lo)) <= total <= up + TOL * max(1.0, abs(up))

    changed = True
    while changed and not infeasible:
        changed = False
        for proj, coef, lo, up in rows:
            for k, p in enumerate(proj):
                if state[p] != -1:
                    continue
                others = [(q, a) for j, (q, a) in enumerate(zip(proj, coef)) if j != k]
                choices = [[state[q]] if state[q] != -1 else [0, 1] for q, _ in others]
                possible = []
                for v in (0, 1):
                    if len(others) == 0:
                        good = ok(coef[k] * v, lo, up)
                    else:
                        (_, a), = others
                        good = any(ok(coef[k] * v + a * w, lo, up) for w in choices[0])
                    if good:
                        possible.append(v)
                if not possible:
                    infeasible = True
                elif len(possible) == 1:
                    state[p] = possible[0]
                    changed = True
            if all(state[p] != -1 for p in proj):
                total = sum(a * state[p] for p, a in zip(proj, coef))
                if not ok(total, lo, up):
                    infeasible = True
    return state, option_ok, infeasible


# ------------------------------------------------------------------------ the greedy engine


class _State:
    """A partial portfolio: options on, projects taken, slack of the checked rows."""

    def __init__(self, prep: Prep, mm: MatrixModel) -> None:
        self.prep = prep
        self.x = prep.x0.copy()
        self.taken = np.zeros(len(mm.selection_columns), dtype=bool)
        self.open = prep.forced != 0  # may still be added
        self.fixed_opt = np.zeros(prep.n_opt, dtype=bool)  # may not be removed
        self.slack = prep.slack0.copy()

    def take(self, options: np.ndarray, fixed: bool = False) -> None:
        p = self.prep
        options = np.asarray(options, dtype=np.int64)
        if len(options) == 0:
            return
        self.x[options] = 1.0
        sep = options[p.separate[options]]
        self.x[p.opt_sel[sep]] = 1.0
        self.taken[p.opt_proj[options]] = True
        self.open[p.opt_proj[options]] = False
        if fixed:
            self.fixed_opt[options] = True
        D = p.D
        which, nz = ranges(D.indptr[options], np.diff(D.indptr)[options])
        np.add.at(self.slack, D.indices[nz], -D.data[nz])

    def drop(self, option: int) -> None:
        p = self.prep
        self.x[option] = 0.0
        if p.separate[option]:
            self.x[p.opt_sel[option]] = 0.0
        proj = p.opt_proj[option]
        self.taken[proj] = False
        self.open[proj] = p.forced[proj] != 0
        D = p.D
        lo, hi = D.indptr[option], D.indptr[option + 1]
        np.add.at(self.slack, D.indices[lo:hi], D.data[lo:hi])

    def add_greedily(self, order: np.ndarray) -> np.ndarray:
        """Add candidates in priority order where they fit; return those that did not fit."""
        p = self.prep
        D = p.D
        indptr, indices, data = D.indptr, D.indices, D.data
        count = np.diff(indptr)
        pos = np.maximum(data, 0.0)
        tol = p.up_tol
        order = np.asarray(order, dtype=np.int64)
        order = order[p.option_ok[order]]
        rank = np.empty(p.n_opt, dtype=np.int64)
        rank[order] = np.arange(len(order))
        rejected = []
        for start in range(0, len(order), _BLOCK):
            chunk = order[start:start + _BLOCK]
            while len(chunk):
                chunk = chunk[self.open[p.opt_proj[chunk]]]
                if len(chunk) == 0:
                    break
                _, first = np.unique(p.opt_proj[chunk], return_index=True)
                is_first = np.zeros(len(chunk), dtype=bool)
                is_first[first] = True
                cand, later = chunk[is_first], chunk[~is_first]
                which, nz = ranges(indptr[cand], count[cand])
                r, d = indices[nz], data[nz]
                alone_bad = np.bincount(which[d > self.slack[r] + tol[r]],
                                        minlength=len(cand)) > 0
                rejected.append(cand[alone_bad])
                keep = ~alone_bad
                kw = keep[which]
                which, r, d, nzk = which[kw], r[kw], d[kw], nz[kw]
                # use of the earlier candidates of the block, row by row (positive parts)
                o = np.lexsort((which, r))
                rs, ws, ps = r[o], which[o], pos[nzk][o]
                cum = np.cumsum(ps)
                head = np.r_[True, rs[1:] != rs[:-1]]
                base = np.maximum.accumulate(np.where(head, cum - ps, 0.0))
                prior = cum - ps - base
                fail = prior + d[o] > self.slack[rs] + tol[rs]
                bad = np.bincount(ws[fail], minlength=len(cand)) > 0
                accept = cand[keep & ~bad]
                self.take(accept)
                retry = np.concatenate([cand[keep & bad], later])
                chunk = retry[np.argsort(rank[retry], kind="stable")]
        out = np.concatenate(rejected) if rejected else np.zeros(0, dtype=np.int64)
        return out[self.open[p.opt_proj[out]]]

    def add_all(self, order: np.ndarray) -> None:
        """Add in order; retry the rejected while rows with negative coefficients free room."""
        rejected = self.add_greedily(order)
        if self.prep.has_negative:
            for _ in range(3):
                before = int(self.taken.sum())
                rejected = self.add_greedily(rejected)
                if int(self.taken.sum()) == before or len(rejected) == 0:
                    break

    def start_forced(self, priority: np.ndarray) -> None:
        """Take one option of each forced project: the first in ``priority`` that fits."""
        p = self.prep
        must = np.flatnonzero(p.forced == 1)
        if len(must) == 0:
            return
        is_must = np.zeros(len(p.forced), dtype=bool)
        is_must[must] = True
        opts = np.flatnonzero(is_must[p.opt_proj] & p.option_ok)
        opts = opts[np.argsort(priority[opts], kind="stable")]
        D = p.D
        for proj_opts in _by_project(opts, p.opt_proj):
            best = proj_opts[0]
            for o in proj_opts:
                lo, hi = D.indptr[o], D.indptr[o + 1]
                r = D.indices[lo:hi]
                if (D.data[lo:hi] <= self.slack[r] + p.up_tol[r]).all():
                    best = o
                    break
            self.take(np.array([best]), fixed=True)

    def finish(self, mm: MatrixModel) -> np.ndarray:
        x = self.x.copy()
        sel = np.asarray(mm.selection_columns, dtype=np.int64)
        for y, projects in self.prep.derived:
            x[y] = float(bool(len(projects)) and bool((x[sel[projects]] > 0.5).all()))
        return x


def state_of(prep: Prep, mm: MatrixModel, x: np.ndarray) -> _State:
    """Return the :class:`_State` of a given portfolio ``x`` (a value per column; not modified).

    The integer columns are rounded; the options on and their projects are
    taken, the options fixed to 1 by their bounds may not be removed, and the
    slack of the checked rows is read from ``A @ x`` (so hiring, flows and any
    other column keep their value). A row ``x`` violates within tolerance
    has a slightly negative slack.
    """
    state = _State(prep, mm)
    x = np.array(x, dtype=float)
    integer = np.asarray(mm.integer, dtype=bool)
    x[integer] = np.round(x[integer])
    state.x = x
    on = np.flatnonzero(x[:prep.n_opt] > 0.5)
    state.taken[:] = False
    state.taken[prep.opt_proj[on]] = True
    state.open = (prep.forced != 0) & ~state.taken
    state.fixed_opt = np.asarray(mm.col_lower, dtype=float)[:prep.n_opt] > 0.5
    if prep.d_rows is None or prep.d_sign is None or prep.d_rhs is None:
        raise ValueError("state_of: this Prep has no row map; build it with prepare().")
    state.slack = prep.d_rhs - prep.d_sign * (sp.csr_matrix(mm.A) @ x)[prep.d_rows]
    return state


def _by_project(opts: np.ndarray, opt_proj: np.ndarray) -> list[np.ndarray]:
    """Group options (already in priority order) by project, projects in first-seen order."""
    groups: dict[int, list[int]] = {}
    for o in opts.tolist():
        groups.setdefault(int(opt_proj[o]), []).append(o)
    return [np.array(v, dtype=np.int64) for v in groups.values()]


def _density(prep: Prep) -> np.ndarray:
    """Value per weighted resource use of every option (rows weighted by over-subscription)."""
    if prep.density is not None:
        return prep.density
    D = prep.D
    slack = np.maximum(prep.slack0, 0.0)
    n_per_project = np.bincount(prep.opt_proj)[prep.opt_proj].astype(float)
    pos = D.copy()
    pos.data = np.maximum(pos.data, 0.0)
    demand = pos @ (1.0 / n_per_project)  # what every project would ask, per row
    room = np.where(slack > 0, slack, np.inf)
    weight = np.where(np.isfinite(room), demand / room / room, 0.0)
    use = pos.T @ weight
    prep.density = prep.value / np.maximum(use, 1e-12 * np.maximum(np.abs(prep.value), 1.0))
    return prep.density


# ------------------------------------------------------------------------ repair


def _repair(prep: Prep, state: _State, mm: MatrixModel) -> None:
    """Single-option additions and removals that reduce the total row violation."""
    R, Rr = prep.R, prep.R_csr
    lo, up = prep.rep_lo, prep.rep_up
    x = state.finish(mm)
    act = (sp.csr_matrix(mm.A)[prep.rep_rows] @ x)

    def violation(a: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return (np.maximum(a - up[rows] - prep.rep_tol_up[rows], 0.0)
                + np.maximum(lo[rows] - a - prep.rep_tol_lo[rows], 0.0))

    for _ in range(_REPAIR_STEPS):
        bad = np.flatnonzero(violation(act, np.arange(len(act))) > 0)
        if len(bad) == 0:
            break
        # candidate moves: options with a term in a violated row
        _, nzr = ranges(Rr.indptr[bad], np.diff(Rr.indptr)[bad])
        cand = np.unique(Rr.indices[nzr])
        on = state.x[cand] > 0.5
        proj_open = state.open[prep.opt_proj[cand]] & prep.option_ok[cand]
        valid = np.where(on, ~state.fixed_opt[cand], proj_open)
        cand, on = cand[valid], on[valid]
        if len(cand) == 0:
            break
        sign = np.where(on, -1.0, 1.0)
        which, nz = ranges(R.indptr[cand], np.diff(R.indptr)[cand])
        r = R.indices[nz]
        d = R.data[nz] * sign[which]
        delta = violation(act[r] + d, r) - violation(act[r], r)
        change = np.bincount(which, weights=delta, minlength=len(cand))
        best = float(change.min())
        if best >= -1e-12:
            break
        near = np.flatnonzero(change <= best + 1e-12)
        gain = sign[near] * prep.value[cand[near]]
        k = int(near[np.argmax(gain)])
        o = int(cand[k])
        if on[k]:
            state.drop(o)
        else:
            state.take(np.array([o]))
        sel = which == k
        act[r[sel]] += d[sel]


def construct(mm: MatrixModel, prep: Prep, orders: list[np.ndarray],
              fix: np.ndarray | None = None) -> np.ndarray | None:
    """Build a portfolio: forced projects, ``fix``-ed options, each order's additions, repair.

    Returns the value of every column, not yet checked against the rows;
    None when propagation already showed the model infeasible.
    """
    if prep.infeasible:
        return None
    state = _State(prep, mm)
    density = _density(prep)
    priority = np.empty(prep.n_opt, dtype=np.int64)
    priority[np.argsort(-density, kind="stable")] = np.arange(prep.n_opt)
    state.start_forced(priority if fix is None else np.where(fix, -1, priority))
    if fix is not None:
        take = np.flatnonzero(fix & state.open[prep.opt_proj] & prep.option_ok)
        _, first = np.unique(prep.opt_proj[take], return_index=True)
        state.take(take[first])
    for order in orders:
        state.add_all(order)
    _repair(prep, state, mm)
    if prep.has_negative:  # the repair may have opened room
        state.add_all(orders[-1])
    return state.finish(mm)


def density_order(prep: Prep) -> np.ndarray:
    """Options of positive value by decreasing value density."""
    density = _density(prep)
    cand = np.flatnonzero(prep.value > 0)
    return cand[np.argsort(-density[cand], kind="stable")]
