"""Primal heuristics on the selection model's matrix: a feasible portfolio fast, or none.

A large portfolio must never be left without an answer while the solver
searches. These heuristics work on a :class:`~portfolio_opt.matrix.MatrixModel`
(maximise ``objective @ x`` subject to ``row_lower <= A x <= row_upper`` and
the column bounds) and return either a column vector that satisfies *every*
row, bound and integrality -- checked at the end by :func:`max_violation` --
or None. They never return a portfolio they have not checked.

- :func:`greedy`: start from the forced projects (mandatory and forced-in
  rows, and what they imply through two-project rows such as ``requires``),
  then add options by value density -- objective over resource use weighted
  by how over-subscribed each row is -- whenever every row stays within its
  upper bound, at most one start per project.
- :func:`lp_rounding`: from an LP solution (:func:`lp_relaxation`, HiGHS in
  memory, or any given vector), keep the options at 1, add the others by LP
  value and then by density, and repair.
- :func:`primal_heuristic`: both, the better portfolio, the LP bound and the
  gap.

Rows with a lower bound (``one_start``, ``mandatory``, ``together``, bucket
and group minimums, ``exclude``, ``min_value``) are met by the forced start and
by a repair step (single-option additions and removals that reduce the total
violation); where that fails the heuristic honestly returns None. Synergy
indicators are set to ``X_A * X_B`` (which satisfies their rows exactly);
hiring and cover flows stay at zero (always feasible, possibly less value).

The greedy additions are vectorised in rounds: a block of candidates in
priority order is checked at once, each against the current slack *minus
the positive use of every earlier candidate of the block* (so accepting all
that pass is safe whatever the signs), and those that did not pass are
retried in the next round. This is the sequential greedy up to the order of
near ties, at numpy speed.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from portfolio_opt.constraints import ranges

if TYPE_CHECKING:
    from portfolio_opt.matrix import MatrixModel

__all__ = ["HeuristicResult", "LPRelaxation", "chosen_options", "greedy", "lp_relaxation",
           "lp_rounding", "max_violation", "primal_heuristic"]

#: Feasibility tolerance, relative to ``max(1, |bound|)`` (as tests/checker.py).
TOL = 1e-6
_ADD_TOL = 1e-9  # relative slack tolerance of additions (tighter than the final check)
_BLOCK = 512  # candidates per block of the vectorised greedy
_REPAIR_STEPS = 500


# ------------------------------------------------------------------------ checking


def max_violation(mm: MatrixModel, x: np.ndarray) -> float:
    """Largest violation of a row, column bound or integrality by ``x``, scaled.

    Row and bound violations are divided by ``max(1, |bound|)``; integrality
    violations are the distance to the nearest integer. 0 when ``x``
    satisfies everything exactly.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from types import SimpleNamespace
    >>> mm = SimpleNamespace(A=sp.csr_matrix([[2.0, 3.0]]), row_lower=np.array([-np.inf]),
    ...                      row_upper=np.array([4.0]), col_lower=np.zeros(2),
    ...                      col_upper=np.ones(2), integer=np.array([True, True]))
    >>> max_violation(mm, np.array([1.0, 0.0]))
    0.0
    >>> max_violation(mm, np.array([1.0, 1.0]))  # 5 > 4 by 1, scaled by 4
    0.25
    """
    x = np.asarray(x, dtype=float)
    act = mm.A @ x
    lo, up = np.asarray(mm.row_lower, float), np.asarray(mm.row_upper, float)
    with np.errstate(invalid="ignore"):
        parts = [
            np.where(np.isfinite(up), (act - up) / np.maximum(1.0, np.abs(up)), 0.0),
            np.where(np.isfinite(lo), (lo - act) / np.maximum(1.0, np.abs(lo)), 0.0),
            np.where(np.isfinite(mm.col_upper), (x - mm.col_upper)
                     / np.maximum(1.0, np.abs(mm.col_upper)), 0.0),
            np.where(np.isfinite(mm.col_lower), (mm.col_lower - x)
                     / np.maximum(1.0, np.abs(mm.col_lower)), 0.0),
            np.abs(x - np.round(x))[np.asarray(mm.integer, bool)],
        ]
    worst = max((float(p.max()) for p in parts if len(p)), default=0.0)
    if not math.isfinite(worst) or not np.isfinite(x).all():
        return math.inf
    return max(worst, 0.0)


def chosen_options(mm: MatrixModel, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project positions and start periods of the options set to 1 in ``x``."""
    on = np.flatnonzero(np.asarray(x)[:mm.n_options] > 0.5)
    return np.asarray(mm.option_project)[on], np.asarray(mm.option_start)[on]


# ------------------------------------------------------------------------ results


@dataclass(frozen=True)
class LPRelaxation:
    """The LP relaxation solved by :func:`lp_relaxation`.

    Attributes
    ----------
    x : numpy.ndarray or None
        The LP solution (every column), None when HiGHS found none.
    bound : float
        Upper bound on the optimum (LP optimum + offset); ``inf`` unless the
        LP was solved to optimality.
    status : str
        HiGHS's model status, e.g. ``"Optimal"``.
    seconds : float
        Wall-clock time of the load and solve.
    """

    x: np.ndarray | None
    bound: float
    status: str
    seconds: float


@dataclass(frozen=True)
class HeuristicResult:
    """A feasible portfolio found by :func:`primal_heuristic`.

    Attributes
    ----------
    x : numpy.ndarray
        Value of every column (checked against every row, bound and integrality).
    objective : float
        ``objective @ x + offset``.
    bound : float
        Best upper bound known (the LP bound; ``inf`` without an LP).
    gap : float
        ``(bound - objective) / max(|bound|, |objective|)``; NaN without a bound.
    method : str
        ``"greedy"`` or ``"lp_rounding"``: which heuristic gave ``x``.
    greedy_objective, rounding_objective : float
        Objective of each heuristic's portfolio (NaN when it found none or did not run).
    greedy_seconds, lp_seconds, rounding_seconds : float
        Wall-clock time of each step (0 when it did not run).
    """

    x: np.ndarray
    objective: float
    bound: float
    gap: float
    method: str
    greedy_objective: float
    rounding_objective: float
    greedy_seconds: float
    lp_seconds: float
    rounding_seconds: float

    def __repr__(self) -> str:
        return (f"HeuristicResult(method={self.method!r}, objective={self.objective:.6g}, "
                f"bound={self.bound:.6g}, gap={self.gap:.4%})")


# ------------------------------------------------------------------------ preparation


@dataclass
class _Prep:
    """What the heuristics need from a MatrixModel, computed once."""

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


def _prepare(mm: MatrixModel) -> _Prep:
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
    return _Prep(
        n_cols=n_cols, n_opt=n_opt, opt_proj=opt_proj, opt_sel=opt_sel, separate=separate,
        value=value, x0=x0, derived=derived, D=D,
        up_tol=_ADD_TOL * np.maximum(1.0, np.abs(upper)),
        has_negative=bool((D.data < 0).any()), rep_rows=rep_rows, R=R, R_csr=R_csr,
        rep_lo=row_lo[rep_rows], rep_up=row_up[rep_rows],
        rep_tol_lo=_ADD_TOL * np.maximum(1.0, np.abs(np.nan_to_num(row_lo[rep_rows],
                                                                     neginf=0.0))),
        rep_tol_up=_ADD_TOL * np.maximum(1.0, np.abs(np.nan_to_num(row_up[rep_rows],
                                                                     posinf=0.0))),
        forced=forced, option_ok=option_ok, infeasible=infeasible, slack0=slack0)


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

    def __init__(self, prep: _Prep, mm: MatrixModel) -> None:
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


def _by_project(opts: np.ndarray, opt_proj: np.ndarray) -> list[np.ndarray]:
    """Group options (already in priority order) by project, projects in first-seen order."""
    groups: dict[int, list[int]] = {}
    for o in opts.tolist():
        groups.setdefault(int(opt_proj[o]), []).append(o)
    return [np.array(v, dtype=np.int64) for v in groups.values()]


def _density(prep: _Prep) -> np.ndarray:
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


def _repair(prep: _Prep, state: _State, mm: MatrixModel) -> None:
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


# ------------------------------------------------------------------------ the heuristics


def _objective(mm: MatrixModel, x: np.ndarray) -> float:
    return float(np.asarray(mm.objective, float) @ x) + float(getattr(mm, "offset", 0.0))


def _checked(mm: MatrixModel, x: np.ndarray) -> np.ndarray | None:
    return x if max_violation(mm, x) <= TOL else None


def _run(mm: MatrixModel, prep: _Prep, orders: list[np.ndarray],
         fix: np.ndarray | None = None) -> np.ndarray | None:
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
    return _checked(mm, state.finish(mm))


def _density_order(prep: _Prep) -> np.ndarray:
    density = _density(prep)
    cand = np.flatnonzero(prep.value > 0)
    return cand[np.argsort(-density[cand], kind="stable")]


def greedy(mm: MatrixModel, *, _prep: _Prep | None = None) -> np.ndarray | None:
    """Find a feasible portfolio by value density, or return None.

    Parameters
    ----------
    mm : MatrixModel

    Returns
    -------
    numpy.ndarray or None
        The value of every column, satisfying every row, bound and
        integrality (:func:`max_violation` <= :data:`TOL`); None when the
        greedy and its repair found no such portfolio.
    """
    prep = _prepare(mm) if _prep is None else _prep
    return _run(mm, prep, [_density_order(prep)])


def lp_rounding(mm: MatrixModel, lp_x: np.ndarray, *, eps: float = 1e-6,
                _prep: _Prep | None = None) -> np.ndarray | None:
    """Round an LP solution into a feasible portfolio, or None.

    Options at ``>= 1 - eps`` in ``lp_x`` are kept; the others are added by
    decreasing LP value (then by value density) where every row stays within
    its bounds; a repair step follows and the answer is checked.

    Parameters
    ----------
    mm : MatrixModel
    lp_x : numpy.ndarray
        A value for every column, e.g. :attr:`LPRelaxation.x`.
    eps : float, default 1e-6

    Returns
    -------
    numpy.ndarray or None
    """
    prep = _prepare(mm) if _prep is None else _prep
    lp_x = np.asarray(lp_x, dtype=float)
    if lp_x.shape != (prep.n_cols,):
        raise ValueError(f"lp_rounding: lp_x has shape {lp_x.shape}, the model has "
                         f"{prep.n_cols} columns; pass one value per column.")
    xo = lp_x[:prep.n_opt]
    fix = xo >= 1.0 - eps
    # every start of a project the LP takes in part, by the project's LP selection
    # (its starts together), then the start's own LP value
    taken = np.bincount(prep.opt_proj, weights=np.clip(xo, 0.0, 1.0),
                        minlength=len(prep.forced))[prep.opt_proj]
    frac = np.flatnonzero((taken > eps) & ~fix & (prep.value > 0))
    frac = frac[np.lexsort((-prep.value[frac], -xo[frac], -taken[frac]))]
    return _run(mm, prep, [frac, _density_order(prep)], fix=fix)


def lp_relaxation(mm: MatrixModel, *, method: str = "ipm", crossover: bool = True,
                  time_limit: float | None = None, threads: int | None = None) -> LPRelaxation:
    """Solve the LP relaxation with HiGHS, loaded in memory (no file).

    Parameters
    ----------
    mm : MatrixModel
    method : {"ipm", "simplex", "choose", "pdlp"}, default "ipm"
        HiGHS's LP ``solver`` option.
    crossover : bool, default True
        With ``ipm``: run crossover to a vertex. Without it the solution is
        interior (more fractional options) but still optimal within HiGHS's
        tolerances, so its objective is still the bound.
    time_limit : float, optional
        Seconds.
    threads : int, optional

    Returns
    -------
    LPRelaxation
    """
    import highspy

    t0 = time.perf_counter()
    A = sp.csc_matrix(mm.A)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_ = np.asarray(mm.objective, dtype=float)
    lp.col_lower_ = np.asarray(mm.col_lower, dtype=float)
    lp.col_upper_ = np.asarray(mm.col_upper, dtype=float)
    lp.row_lower_ = np.asarray(mm.row_lower, dtype=float)
    lp.row_upper_ = np.asarray(mm.row_upper, dtype=float)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.offset_ = float(getattr(mm, "offset", 0.0))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    if threads is not None:
        highspy.Highs.resetGlobalScheduler(True)  # see solvers._run_highs
    from portfolio_opt.solvers import _quiet_stdout

    with _quiet_stdout():  # highspy prints its banner from C++
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", method)
    if method == "ipm":
        h.setOptionValue("run_crossover", "on" if crossover else "off")
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    name = h.modelStatusToString(status)
    sol = h.getSolution()
    x = np.asarray(sol.col_value, dtype=float) if sol.value_valid else None
    optimal = status == highspy.HighsModelStatus.kOptimal
    bound = float(h.getInfo().objective_function_value) if optimal else math.inf
    return LPRelaxation(x=x, bound=bound, status=name, seconds=time.perf_counter() - t0)


def primal_heuristic(mm: MatrixModel, *, lp: bool = True, lp_solution: np.ndarray | None = None,
                     bound: float | None = None, lp_method: str = "ipm",
                     lp_time_limit: float | None = None,
                     threads: int | None = None) -> HeuristicResult | None:
    """Run :func:`greedy` and :func:`lp_rounding`; return the better, the LP bound and gap.

    Parameters
    ----------
    mm : MatrixModel
    lp : bool, default True
        Solve the LP relaxation (:func:`lp_relaxation`) for the rounding and
        the bound, unless ``lp_solution`` is given.
    lp_solution : numpy.ndarray, optional
        An LP solution to round instead (then ``bound`` is the bound, if known).
    bound : float, optional
        A known upper bound on the optimum.
    lp_method, lp_time_limit, threads
        Passed to :func:`lp_relaxation`.

    Returns
    -------
    HeuristicResult or None
        None when neither heuristic found a portfolio that satisfies every
        row (the model may still have one).
    """
    prep = _prepare(mm)
    t0 = time.perf_counter()
    xg = greedy(mm, _prep=prep)
    t_greedy = time.perf_counter() - t0
    best_bound = math.inf if bound is None else float(bound)
    t_lp = t_round = 0.0
    xr = None
    x_lp = lp_solution
    if x_lp is None and lp:
        relax = lp_relaxation(mm, method=lp_method, time_limit=lp_time_limit, threads=threads)
        t_lp = relax.seconds
        x_lp = relax.x if relax.status == "Optimal" else None
        best_bound = min(best_bound, relax.bound)
    if x_lp is not None:
        t1 = time.perf_counter()
        xr = lp_rounding(mm, x_lp, _prep=prep)
        t_round = time.perf_counter() - t1
    og = _objective(mm, xg) if xg is not None else math.nan
    orr = _objective(mm, xr) if xr is not None else math.nan
    if xg is None and xr is None:
        return None
    x: np.ndarray
    if xr is not None and (xg is None or orr > og):
        x, obj, method = xr, orr, "lp_rounding"
    else:
        assert xg is not None
        x, obj, method = xg, og, "greedy"
    gap = (abs(best_bound - obj) / max(abs(best_bound), abs(obj), 1e-9)
           if math.isfinite(best_bound) else math.nan)
    return HeuristicResult(x=x, objective=obj, bound=best_bound, gap=gap, method=method,
                           greedy_objective=og, rounding_objective=orr,
                           greedy_seconds=t_greedy, lp_seconds=t_lp, rounding_seconds=t_round)
