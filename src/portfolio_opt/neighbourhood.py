"""MIP neighbourhood search: better portfolios from many small exact solves.

On a portfolio of thousands of projects sharing a few hundred tight capacity
rows, a MIP solver does not improve a good heuristic portfolio in seconds (issue
7 measured CBC and HiGHS with nothing better in 240 s at 10 000 projects), and
the swaps of :mod:`portfolio_opt.local_search` reach a local optimum at once.
A small MIP does better: free a few hundred projects, keep every other project
as it is in the portfolio, and solve exactly what the free ones can do with
the room the others leave. Each such neighbourhood is solved by HiGHS in tens
of milliseconds, so a few seconds try hundreds of them (a *large neighbourhood
search*: Shaw 1998, "Using constraint programming and local search methods to
solve vehicle routing problems", CP-98, LNCS 1520; with MIP solves of the
neighbourhoods as in Danna, Rothberg & Le Pape 2005, "Exploring relaxation
induced neighborhoods to improve MIP solutions", Math. Programming 102(1)).

The free projects are drawn at random from the *pool*: the projects whose best
reduced profit (:func:`portfolio_opt.lagrange.best_starts`) is nearest 0, the
ones a better portfolio exchanges. Columns that are not a project's (e.g.
synergy indicators) are always free. The sub-MIP keeps every row a free column
is in, its bounds less what the fixed projects use there; it starts from the
portfolio itself (a solution of it), so its answer is never worse. A better
portfolio is checked against every row of the whole model before it is kept.
The number of free projects adapts: more when the neighbourhoods are solved
quickly, fewer when one reaches its time limit.

Needs ``highspy`` (the ``[highs]`` extra); without it the portfolio comes back
unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from portfolio_opt.constraints import ranges
from portfolio_opt.heuristic import TOL, max_violation
from portfolio_opt.lagrange import best_starts
from portfolio_opt.matrix_solve import _quiet_stdout, highs_lp

if TYPE_CHECKING:
    from portfolio_opt.matrix import MatrixModel

__all__ = ["neighbourhood_search", "NeighbourhoodStats", "pool_size"]

#: Free projects in the first neighbourhood, and the range the adaptation keeps to.
START_SIZE = 150
MIN_SIZE = 20
#: Seconds one neighbourhood may take (less when less time is left), and the time the
#: adaptation of the size aims at.
NEIGHBOURHOOD_S = 0.25
TARGET_S = 0.035
_GAIN = 1e-9  # smallest gain kept, relative to max(1, |objective|)


def pool_size(n_projects: int) -> int:
    """Return the projects of reduced profit nearest 0 drawn from: 1 000 + 5 %, at most all.

    Every project up to 1 052 projects, 1 500 of 10 000, 6 000 of 100 000.
    """
    return min(n_projects, 1000 + n_projects // 20)


class NeighbourhoodStats:
    """What one :func:`neighbourhood_search` did.

    Attributes
    ----------
    neighbourhoods : int
        Sub-MIPs solved.
    improvements : int
        Of them, those that gave a better portfolio.
    size : int
        Free projects in the last neighbourhood (after the adaptation).
    seconds : float
        Wall-clock time.
    """

    def __init__(self) -> None:
        self.neighbourhoods = 0
        self.improvements = 0
        self.size = START_SIZE
        self.seconds = 0.0

    def __repr__(self) -> str:
        return (f"NeighbourhoodStats(neighbourhoods={self.neighbourhoods}, "
                f"improvements={self.improvements}, size={self.size}, "
                f"seconds={self.seconds:.2f})")


def neighbourhood_search(mm: MatrixModel, x: np.ndarray, reduced: np.ndarray, *,
                         average: np.ndarray | None = None, time_limit: float = 1.0,
                         pool: int | None = None, seed: int = 0,
                         on_improve: Callable[[np.ndarray], Any] | None = None,
                         stats: NeighbourhoodStats | None = None) -> np.ndarray:
    """Improve a feasible portfolio by exact solves of random neighbourhoods.

    Parameters
    ----------
    mm : MatrixModel
    x : numpy.ndarray
        A feasible portfolio: a value per column. Not modified.
    reduced : numpy.ndarray
        Reduced profit of every option
        (:attr:`portfolio_opt.lagrange.LagrangianBound.reduced`): the pool is
        the ``pool`` projects whose best one is nearest 0.
    average : numpy.ndarray, optional
        A fractional value per option, e.g. the averaged Lagrangian relaxation
        (:attr:`~portfolio_opt.lagrange.LagrangianBound.average`) or an LP
        solution: the projects where ``x`` differs from it by more than 0.05
        join the pool.
    time_limit : float, default 1.0
        Wall-clock seconds (the last neighbourhood is given what is left).
    pool : int, optional
        Projects of reduced profit nearest 0 in the pool (default
        :func:`pool_size`).
    seed : int, default 0
        Seed of the random draws.
    on_improve : callable, optional
        Called with each better portfolio (a new array) as it is found.
    stats : NeighbourhoodStats, optional
        Filled with what the search did.

    Returns
    -------
    numpy.ndarray
        A new array: the best portfolio found (``objective_value >=`` that of
        ``x``, :func:`~portfolio_opt.heuristic.max_violation` ``<= TOL``); a
        copy of ``x`` when none is better, HiGHS is not installed or ``x``
        fails that check.

    Raises
    ------
    ValueError
        If ``x`` has not one value per column or ``reduced`` not one per option.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio, SelectionModel
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"],
    ...                              "cost": [6.0, 5.0, 5.0], "value": [6.0, 5.0, 5.0]}),
    ...                budget=10)
    >>> model = SelectionModel(pf)
    >>> _ = model.build()
    >>> mm = model.matrix_
    >>> neighbourhood_search(mm, np.array([1.0, 0.0, 0.0]), mm.objective.copy()).tolist()
    [0.0, 1.0, 1.0]
    """
    start = time.perf_counter()
    stats = NeighbourhoodStats() if stats is None else stats
    x = np.array(x, dtype=float)
    if x.shape != (mm.n_cols,):
        raise ValueError(f"neighbourhood_search: x has shape {x.shape}, the model has "
                         f"{mm.n_cols} columns; pass one value per column.")
    for name, arr in (("reduced", reduced), ("average", average)):
        if arr is not None and np.shape(arr) != (mm.n_options,):
            raise ValueError(f"neighbourhood_search: {name} has shape {np.shape(arr)}, the "
                             f"model has {mm.n_options} options; pass one value per option.")
    try:
        import highspy  # noqa: F401
    except ImportError:
        return x
    if max_violation(mm, x) > TOL:
        return x
    search = _Search(mm, x, np.asarray(reduced, dtype=float), average, pool, seed)
    n_proj = search.n_proj
    size = min(START_SIZE, n_proj)
    deadline = start + max(float(time_limit), 0.0)
    while True:
        left = deadline - time.perf_counter()
        if left <= 0.02:
            break
        limit = min(NEIGHBOURHOOD_S, left)
        proven, took = search.step(size, limit)
        stats.neighbourhoods += 1
        if search.improved:
            stats.improvements += 1
            if on_improve is not None:
                on_improve(search.x.copy())
        if proven and size >= n_proj:
            break  # the whole model was one neighbourhood, solved exactly
        # a few hundredths of a second each: many neighbourhoods (measured at 10 000
        # projects: 150 free projects 0.03 s, 250 over 0.5 s)
        if proven and took < TARGET_S:
            size = min(int(size * 1.05) + 1, len(search.pool))
        elif not proven or took > 3 * TARGET_S:
            size = max(int(size * 0.85), MIN_SIZE)
    stats.size = size
    stats.seconds = time.perf_counter() - start
    return search.x


class _Search:
    """The portfolio, the pool and the sub-MIPs of one :func:`neighbourhood_search`."""

    def __init__(self, mm: MatrixModel, x: np.ndarray, reduced: np.ndarray,
                 average: np.ndarray | None, pool: int | None, seed: int) -> None:
        self.mm, self.x = mm, x
        self.value = mm.objective_value(x)
        self.min_gain = _GAIN * max(1.0, abs(self.value))
        self.rng = np.random.default_rng(seed)
        n_opt = int(mm.n_options)
        self.n_proj = len(mm.selection_columns)
        col_proj = mm.column_project()
        # the columns of each project, grouped (CSR-like), and the columns of no project
        by_proj = np.argsort(col_proj, kind="stable")
        self.others = by_proj[col_proj[by_proj] < 0]
        self.cols_sorted = by_proj[col_proj[by_proj] >= 0]
        self.first = np.searchsorted(col_proj[self.cols_sorted], np.arange(self.n_proj + 1))
        best, _ = best_starts(mm, reduced)
        k = pool_size(self.n_proj) if pool is None else max(1, min(int(pool), self.n_proj))
        closeness = np.abs(np.where(np.isfinite(best), best, 0.0))
        self.pool = np.argsort(closeness, kind="stable")[:k]
        if average is not None:  # where x and the relaxation disagree
            op = col_proj[:n_opt]
            relaxed = np.bincount(op, weights=np.asarray(average, dtype=float)[:n_opt],
                                  minlength=self.n_proj)
            taken = np.bincount(op, weights=x[:n_opt], minlength=self.n_proj)
            differ = np.flatnonzero(np.abs(relaxed - taken) > 0.05)
            self.pool = np.union1d(self.pool, differ)
        self.A = mm.A.tocsc()
        self.activity = mm.A @ x
        self.improved = False

    def free_columns(self, projects: np.ndarray) -> np.ndarray:
        _, pos = ranges(self.first[projects], self.first[projects + 1] - self.first[projects])
        return np.sort(np.concatenate([self.cols_sorted[pos], self.others]))

    def step(self, size: int, limit: float) -> tuple[bool, float]:
        """Solve one random neighbourhood of ``size`` pool projects; keep a better portfolio.

        Returns whether the sub-MIP was solved to optimality, and its seconds.
        """
        import highspy

        self.improved = False
        mm = self.mm
        free = self.rng.choice(self.pool, size=min(size, len(self.pool)), replace=False)
        cols = self.free_columns(np.sort(free))
        in_cols = self.A[:, cols].tocsr()
        rows = np.flatnonzero(np.diff(in_cols.indptr) > 0)
        sub_a = in_cols[rows]
        used = self.activity[rows] - sub_a @ self.x[cols]  # by the fixed columns
        sub = replace(mm, A=sub_a, row_lower=mm.row_lower[rows] - used,
                      row_upper=mm.row_upper[rows] - used, col_lower=mm.col_lower[cols],
                      col_upper=mm.col_upper[cols], integer=mm.integer[cols],
                      objective=mm.objective[cols], col_names=mm.col_names[cols],
                      row_names=mm.row_names[rows], row_groups=mm.row_groups[rows],
                      offset=0.0)
        t0 = time.perf_counter()
        with _quiet_stdout():
            h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", float(limit))
        h.setOptionValue("mip_heuristic_effort", 0.0)  # it starts from the portfolio
        h.passModel(highs_lp(sub))
        warm = highspy.HighsSolution()
        warm.col_value = self.x[cols].tolist()
        warm.value_valid = True
        h.setSolution(warm)
        with _quiet_stdout():
            h.run()
        took = time.perf_counter() - t0
        proven = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        values = np.asarray(h.getSolution().col_value, dtype=float)
        if len(values) == len(cols):
            candidate = self.x.copy()
            candidate[cols] = np.where(mm.integer[cols], np.round(values), values) + 0.0
            value = mm.objective_value(candidate)
            if value > self.value + self.min_gain and max_violation(mm, candidate) <= TOL:
                self.activity = self.activity + in_cols @ (candidate[cols] - self.x[cols])
                self.x, self.value, self.improved = candidate, value, True
        return proven, took
