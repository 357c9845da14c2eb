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
The construction (preparation, propagation, the vectorised greedy, repair) is
in :mod:`portfolio_opt.heuristic_repair`; this module checks its answers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from portfolio_opt.heuristic_repair import TOL, Prep, construct, density_order, prepare
from portfolio_opt.matrix_solve import highs_lp
from portfolio_opt.solvers import _quiet_stdout

if TYPE_CHECKING:
    from portfolio_opt.matrix import MatrixModel

__all__ = ["TOL", "HeuristicResult", "LPRelaxation", "chosen_options", "greedy",
           "lp_relaxation", "lp_rounding", "max_violation", "primal_heuristic"]


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
    row_value, row_dual : numpy.ndarray or None
        Activity of every row, and its dual value (the increase of the LP
        optimum per unit of the row's bound, the model being maximised); None
        when HiGHS reports none.
    """

    x: np.ndarray | None
    bound: float
    status: str
    seconds: float
    row_value: np.ndarray | None = None
    row_dual: np.ndarray | None = None


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


# ------------------------------------------------------------------------ the heuristics


def _checked(mm: MatrixModel, x: np.ndarray | None) -> np.ndarray | None:
    return x if x is not None and max_violation(mm, x) <= TOL else None


def greedy(mm: MatrixModel, *, _prep: Prep | None = None) -> np.ndarray | None:
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
    prep = prepare(mm) if _prep is None else _prep
    return _checked(mm, construct(mm, prep, [density_order(prep)]))


def lp_rounding(mm: MatrixModel, lp_x: np.ndarray, *, eps: float = 1e-6,
                _prep: Prep | None = None) -> np.ndarray | None:
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
    prep = prepare(mm) if _prep is None else _prep
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
    return _checked(mm, construct(mm, prep, [frac, density_order(prep)], fix=fix))


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
    lp = highs_lp(mm, relax=True)
    if threads is not None:
        highspy.Highs.resetGlobalScheduler(True)  # see solvers._run_highs
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
    return LPRelaxation(
        x=x, bound=bound, status=name, seconds=time.perf_counter() - t0,
        row_value=np.asarray(sol.row_value, dtype=float) if sol.value_valid else None,
        row_dual=np.asarray(sol.row_dual, dtype=float) if sol.dual_valid else None)


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
    prep = prepare(mm)
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
    og = mm.objective_value(xg) if xg is not None else math.nan
    orr = mm.objective_value(xr) if xr is not None else math.nan
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
