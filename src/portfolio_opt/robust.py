"""Robust Portfolio Modeling: the portfolios no admissible weighting rejects.

Liesiö, J., Mild, P. and Salo, A. (2007). Preference programming for robust
portfolio modeling and project selection. *European Journal of Operational
Research* 181(3):1488-1505. doi:10.1016/j.ejor.2005.12.041.

With incomplete information about the criteria weights -- none at all, a
ranking of the criteria, or any convex set given by its extreme points -- a
feasible portfolio is *non-dominated* when no other feasible portfolio is at
least as valuable for every admissible weighting and more valuable for one.
The *core index* of a project is the share of non-dominated portfolios that
contain it: 1 = a *core* project (in every non-dominated portfolio, a safe
bet whatever the weights), 0 = *exterior* (in none), else *borderline*.

:func:`robust_portfolios` enumerates every non-dominated portfolio exactly
under all the portfolio's constraints (:mod:`portfolio_opt.robust_enum`);
:func:`weight_extreme_points` gives the extreme points of the weight set.
See ``docs/robust.md``.
"""

from __future__ import annotations

import itertools
import math
import time
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from enum import Enum
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import pulp

from portfolio_opt._display import Display
from portfolio_opt.exceptions import InfeasibleError, InputError, describe_ids
from portfolio_opt.frontier import split_options
from portfolio_opt.model import SelectionModel
from portfolio_opt.parallel import run_many
from portfolio_opt.portfolio import Portfolio
from portfolio_opt.robust_enum import (
    Enumeration,
    enumerate_dp,
    enumerate_milp,
    interior_weights,
    nondominated_mask,
    weight_extreme_points,
)
from portfolio_opt.solvers import Status, run_solver

__all__ = ["RobustPortfolios", "ValueScale", "robust_portfolios", "weight_extreme_points"]

_WHERE = "robust_portfolios"


class ValueScale(str, Enum):
    """How criterion scores enter the portfolio value.

    ``normalised``: the library's normalised scores (:func:`portfolio_opt.normalised`:
    0-1, 1 = best, per the criteria table's direction and normalisation), the values
    the criteria weights multiply in :func:`portfolio_opt.score`. ``raw``: the criterion
    columns as they are (negated for direction ``"min"``), the convention of the
    published R implementation of RPM.
    """

    NORMALISED = "normalised"
    RAW = "raw"


@dataclass(frozen=True, repr=False)
class RobustPortfolios(Display):
    """The non-dominated portfolios and the robustness of each project.

    Attributes
    ----------
    portfolios : pandas.DataFrame
        One row per non-dominated portfolio (index ``portfolio``, 1..N, most
        valuable at the centre of the weight set first), one bool column per
        project.
    values : pandas.DataFrame
        Value of each portfolio (rows) at each extreme point of the weight set
        (columns ``w1 .. wK``).
    summary : pandas.DataFrame
        Per portfolio: ``n_selected``, ``cost``, ``value_min`` and
        ``value_max`` over the extreme points, ``value_centre`` (at their
        mean) and ``status`` of the solve that found it.
    extreme_points : pandas.DataFrame
        The extreme points (rows ``w1 .. wK``, one column per criterion).
    scores : pandas.DataFrame
        The score of each project on each criterion that the weights multiply.
    core_index : pandas.Series
        By ``project_id``: share of the non-dominated portfolios containing it.
    classes : pandas.Series
        By ``project_id``: ``core`` (core index 1), ``exterior`` (0) or
        ``borderline``.
    complete : bool
        True when every non-dominated portfolio was found (and proven so).
        False when ``max_portfolios`` or a time limit stopped the
        enumeration: the core index and classes are then those of the
        portfolios found only.
    method : str
        ``dp`` (dynamic programming, budget-only portfolios) or ``milp``.
    n_solves : int
        MILP solves made (0 for ``dp``).
    run_time : float
        Wall-clock seconds of the enumeration.
    """

    portfolios: pd.DataFrame
    values: pd.DataFrame
    summary: pd.DataFrame
    extreme_points: pd.DataFrame
    scores: pd.DataFrame
    core_index: pd.Series
    classes: pd.Series
    complete: bool
    method: str
    n_solves: int
    run_time: float

    def to_frame(self) -> pd.DataFrame:
        """Per project: ``core_index``, ``robustness`` (class) and ``n_portfolios``."""
        return pd.DataFrame({
            "core_index": self.core_index,
            "robustness": self.classes,
            "n_portfolios": self.portfolios.sum(axis=0).astype(int),
        })

    def _heading(self) -> str:
        counts = self.classes.value_counts()
        done = "complete" if self.complete else "INCOMPLETE (stopped early)"
        return (f"RobustPortfolios: {len(self.portfolios)} non-dominated portfolios ({done}, "
                f"{self.method}), {len(self.extreme_points)} extreme points; "
                f"{counts.get('core', 0)} core, {counts.get('borderline', 0)} borderline, "
                f"{counts.get('exterior', 0)} exterior projects")

    _rows = 15

    def _table(self) -> pd.DataFrame:
        return self.to_frame().sort_values("core_index", ascending=False, kind="stable")


# -------------------------------------------------------------------- scores and the search


def _scores(portfolio: Portfolio, criteria: Any, value_scale: ValueScale) -> pd.DataFrame:
    from portfolio_opt.scoring import criteria_summary, normalised

    if isinstance(criteria, (list, tuple, pd.Index)):
        criteria = {str(c): 1.0 for c in criteria}
    if value_scale is ValueScale.NORMALISED:
        return normalised(portfolio, criteria).astype(float)
    summary = criteria_summary(portfolio, criteria)
    leaves = summary.loc[summary["is_leaf"].astype(bool)]
    projects = portfolio._projects
    table = projects[list(leaves.index)].apply(pd.to_numeric, errors="coerce").astype(float)
    bad = ~np.isfinite(table.to_numpy())
    if bad.any():
        rows = bad.any(axis=1)
        raise InputError(f"{_WHERE}: value_scale='raw' needs every criterion score; "
                         f"{describe_ids(projects.index[rows])} have a missing score. Fill "
                         "them in or use value_scale='normalised' with a missing policy.")
    sign = np.where(leaves["direction"].astype(str).to_numpy() == "min", -1.0, 1.0)
    return table * sign


def _extreme_points(scores: pd.DataFrame, ranking: Any, extreme_points: Any,
                    criteria_table: pd.DataFrame | None) -> pd.DataFrame:
    names = [str(c) for c in scores.columns]
    if extreme_points is not None:
        if ranking is not None:
            raise InputError(f"{_WHERE}: give ranking= or extreme_points=, not both.")
        table = pd.DataFrame(extreme_points)
        table.columns = table.columns.astype(str)
        missing = sorted(set(names) - set(table.columns))
        extra = sorted(set(table.columns) - set(names))
        values = table.reindex(columns=names).to_numpy(dtype=float) if not (
            missing or extra) else np.zeros((0, len(names)))
        if missing or extra or not len(table) or not np.isfinite(values).all() or (
                values < 0).any() or (values.sum(axis=1) <= 0).any():
            raise InputError(
                f"{_WHERE}: extreme_points must be a table with one row per extreme point and "
                f"one column per criterion {names!r}, weights >= 0 and not all 0 in a row; "
                f"missing columns {missing!r}, unknown columns {extra!r}.")
        values = values / values.sum(axis=1, keepdims=True)
        return pd.DataFrame(values, columns=names,
                            index=[f"w{i + 1}" for i in range(len(values))])
    if isinstance(ranking, str) and ranking == "weights":
        ranking = _ranking_by_weight(names, criteria_table)
    return weight_extreme_points(names, ranking)


def _ranking_by_weight(names: list[str], table: pd.DataFrame | None) -> list[tuple[str, ...]]:
    if table is None:
        raise InputError(f"{_WHERE}: ranking='weights' needs a criteria table with weights; "
                         "give ranking= as a list of criteria instead.")
    weights = table.loc[names, "global_weight"].astype(float)
    return [tuple(weights.index[weights == w]) for w in sorted(set(weights), reverse=True)]


def _knapsack_only(model: SelectionModel) -> list[str]:
    """List what keeps the model from being a plain budget-only (knapsack) selection."""
    pf = model.portfolio
    reasons = []
    if len(pf._capacity) and (pf._demand["amount"].to_numpy(dtype=float) > 0).any():
        reasons.append("competence capacities")
    if pf._budget.per_period is not None:
        reasons.append("a budget per period")
    if (pf._relations["kind"].astype(str) != "synergy").any():
        reasons.append("relations")
    if len(pf._group_limits):
        reasons.append("group limits")
    if len(model.bucket_table()):
        reasons.append("strategic buckets")
    if model.risk_limit() is not None:
        reasons.append("a risk bound")
    return reasons


@dataclass(frozen=True)
class _Task:
    """One part of the search: the portfolio, its options and projects fixed in / out."""

    portfolio: Portfolio
    model_options: dict[str, Any]
    solve_options: dict[str, Any]
    values: np.ndarray
    tol: float
    method: str
    max_portfolios: int | None
    fix_in: tuple[str, ...] = ()
    fix_out: tuple[str, ...] = ()


def _search(task: _Task) -> Enumeration:
    """Enumerate one part (module level, so that it runs on any executor)."""
    opts = dict(task.model_options)
    opts["force_in"] = [*(opts.get("force_in") or ()), *task.fix_in]
    opts["force_out"] = [*(opts.get("force_out") or ()), *task.fix_out]
    model = SelectionModel(task.portfolio, pd.Series(0.0, index=task.portfolio._projects.index),
                           **opts)
    n = len(task.values)
    try:
        model.check_feasibility()
    except InfeasibleError:
        if task.fix_in or task.fix_out:
            return Enumeration(np.zeros((0, n), dtype=bool), [], True)
        raise
    if task.method == "dp":
        must_in, must_out = model.bounds()
        ids = task.portfolio._projects.index
        found = enumerate_dp(task.values,
                             task.portfolio._projects["cost"].to_numpy(dtype=float),
                             model.total_budget(), ids.isin(must_in), ids.isin(must_out),
                             task.tol)
        if found.complete:
            return found  # else: too many partial portfolios to keep; the MILP takes over
    return enumerate_milp(model, task.values, task.tol, max_portfolios=task.max_portfolios,
                          **task.solve_options)


@dataclass(frozen=True)
class _WeightTask:
    """One solve at one weight vector: the portfolio, its options and the project values."""

    portfolio: Portfolio
    model_options: dict[str, Any]
    solve_options: dict[str, Any]
    value: np.ndarray


def _solve_at(task: _WeightTask) -> tuple[np.ndarray, Status]:
    """Solve at one weight vector (module level, so that it runs on any executor)."""
    model = SelectionModel(task.portfolio, pd.Series(0.0, index=task.portfolio._projects.index),
                           **task.model_options)
    model.check_feasibility()
    problem = model.build()
    x = model.selected_variables_.to_numpy()
    problem.setObjective(pulp.LpAffineExpression(
        (v, float(a)) for v, a in zip(x, task.value) if a != 0))
    report = run_solver(problem, **task.solve_options)
    if report.status is Status.INFEASIBLE:
        raise InfeasibleError(f"{_WHERE}: no portfolio satisfies every constraint.")
    if report.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return np.zeros(len(x), dtype=bool), report.status
    return np.array([(v.varValue or 0.0) > 0.5 for v in x]), report.status


def _sampled(base: _Task, points: pd.DataFrame, scores: pd.DataFrame, samples: int,
             seed: int | None, executor: Executor | None, progress: bool | None,
             ) -> Enumeration:
    weights = interior_weights(points.to_numpy(dtype=float), samples, seed)
    tasks = [_WeightTask(base.portfolio, base.model_options, base.solve_options,
                         scores.to_numpy(dtype=float) @ w) for w in weights]
    answers = run_many(_solve_at, tasks, executor=executor, progress=progress,
                       desc="robust portfolios")
    found = [(sel, st) for sel, st in answers if st in (Status.OPTIMAL, Status.FEASIBLE)]
    unique: dict[bytes, tuple[np.ndarray, Status]] = {}
    for sel, st in found:
        key = np.packbits(sel).tobytes()
        if key not in unique or st is Status.OPTIMAL:
            unique[key] = (sel, st)
    chosen = list(unique.values())
    selected = np.array([c[0] for c in chosen], dtype=bool).reshape(len(chosen), -1)
    return Enumeration(selected, [c[1] for c in chosen], False, n_solves=len(tasks))


def robust_portfolios(
    portfolio: Portfolio,
    criteria: Any = None,
    *,
    ranking: Any = None,
    extreme_points: Any = None,
    value_scale: ValueScale | str = ValueScale.NORMALISED,
    max_portfolios: int | None = None,
    method: str = "auto",
    tolerance: float | None = None,
    split: int | None = None,
    samples: int = 0,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: bool | None = None,
    **select_options: Any,
) -> RobustPortfolios:
    """Find every non-dominated portfolio and the core index of every project (RPM).

    Parameters
    ----------
    portfolio : Portfolio
    criteria : DataFrame, Series, dict, list of columns or None
        The criteria (as for :func:`portfolio_opt.score`; a list of columns
        means those columns, direction max); default the portfolio's. Only
        which criteria, their direction and normalisation matter: the weights
        are what RPM leaves open.
    ranking : sequence or "weights", optional
        Ordinal weight information, most important first; an item may be a
        tuple of criteria of equal rank. ``"weights"``: the order of the
        criteria table's weights (equal weights form one rank).
    extreme_points : DataFrame, optional
        The extreme points of the weight set directly (one row each, one
        column per criterion), e.g. the corners of AHP weight intervals
        (:func:`weight_extreme_points` with ``lower``/``upper``). Neither
        ranking nor extreme points: no weight information (any weights).
    value_scale : {"normalised", "raw"}, default "normalised"
        See :class:`ValueScale`. ``"raw"`` is the R implementation's convention.
    max_portfolios : int, optional
        Stop after this many portfolios (MILP); ``complete`` then says
        whether more exist.
    method : {"auto", "dp", "milp", "weights"}, default "auto"
        ``auto``: dynamic programming when the only constraint is the total
        budget (with mandatory / forced projects), else MILP enumeration.
        ``weights``: NOT exhaustive -- one solve at the centre of the weight
        set, one near each extreme point and ``samples`` more at random
        weights inside it (independent solves, parallel on ``executor``);
        each portfolio found is non-dominated (when its solve is proven
        optimal), but others may exist: ``complete`` is False and the core
        index is over the portfolios found (a fast screen for large
        portfolios, see ``docs/robust.md``).
    tolerance : float, optional
        Value differences below it are ties. Default ``1e-6`` times the
        largest total absolute value at an extreme point (at least 1e-6):
        well above the solvers' feasibility tolerances.
    split : int, optional
        Split the MILP search into ``2 ** split`` parts by fixing projects in
        or out, searched independently (in parallel on ``executor``) and
        merged; default 0 serially, 2 with an executor. The result is the
        same; the parts together do more work.
    executor : concurrent.futures.Executor, optional
        Where to run the parts (:func:`portfolio_opt.parallel.run_many`).
    samples : int, default 0
        Random weight vectors for ``method="weights"``.
    seed : int, optional
        Seed of those samples.
    progress : bool, optional
        Progress bar over the parts (or the weight vectors).
    **select_options
        ``budget, force_in, force_out, schedule, buckets, max_average_risk``
        (the model) and ``solver, time_limit, gap, threads`` (each solve), as
        for :func:`portfolio_opt.select`.

    Returns
    -------
    RobustPortfolios

    Raises
    ------
    InputError
        Bad criteria, weight information or options.
    InfeasibleError
        When no portfolio satisfies the constraints at all.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [2.0, 2.0, 3.0],
    ...                              "quality": [3.0, 1.0, 2.0], "speed": [1.0, 3.0, 0.0]}),
    ...                budget=4)
    >>> rpm = robust_portfolios(pf, ["quality", "speed"], value_scale="raw")
    >>> rpm.portfolios.astype(int)
    project_id  A  B  C
    portfolio
    1           1  1  0
    >>> rpm.classes.tolist()
    ['core', 'core', 'exterior']
    """
    start = time.perf_counter()
    model_options, solve_options = split_options(_WHERE, select_options)
    try:
        scale = ValueScale(str(value_scale).strip().lower()) if not isinstance(
            value_scale, ValueScale) else value_scale
    except ValueError:
        raise InputError(f"{_WHERE}: unknown value_scale {value_scale!r}; valid: "
                         f"{', '.join(s.value for s in ValueScale)}.") from None
    if method not in ("auto", "dp", "milp", "weights"):
        raise InputError(f"{_WHERE}: unknown method {method!r}; valid: 'auto', 'dp', 'milp', "
                         "'weights'.")
    for name, val, low in (("max_portfolios", max_portfolios, 1), ("split", split, 0),
                           ("samples", samples, 0)):
        if val is not None and (not isinstance(val, Integral) or isinstance(val, bool)
                                or val < low):
            raise InputError(f"{_WHERE}: {name} must be a whole number >= {low}, got {val!r}.")
    if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(
            tolerance, Real) or not 0 < tolerance < math.inf):
        raise InputError(f"{_WHERE}: tolerance must be a number > 0, got {tolerance!r}.")

    scores = _scores(portfolio, criteria, scale)
    table = _criteria_table(portfolio, criteria)
    points = _extreme_points(scores, ranking, extreme_points, table)
    values = scores.to_numpy(dtype=float) @ points.to_numpy(dtype=float).T
    scale_v = max(np.abs(values).sum(axis=0).max(initial=0.0), 1.0)
    tol = float(tolerance) if tolerance is not None else 1e-6 * scale_v

    probe = SelectionModel(portfolio, pd.Series(0.0, index=portfolio._projects.index),
                           **model_options)
    blockers = _knapsack_only(probe)
    if method == "dp" and blockers:
        raise InputError(f"{_WHERE}: method='dp' handles a total budget only; this portfolio "
                         f"has {', '.join(blockers)}. Use method='milp' (or 'auto').")
    chosen = method if method in ("milp", "weights") else "milp" if blockers else "dp"
    n_split = (0 if executor is None else 2) if split is None else int(split)
    base = _Task(portfolio, model_options, solve_options, values, tol, chosen,
                 max_portfolios)
    if chosen == "weights":
        parts = [_sampled(base, points, scores, int(samples), seed, executor, progress)]
    else:
        tasks = _split_tasks(base, probe, n_split) if chosen == "milp" else [base]
        parts = run_many(_search, tasks, executor=executor, progress=progress,
                         desc="robust portfolios")
    return _result(portfolio, parts, values, points, scores, chosen, max_portfolios, tol,
                   time.perf_counter() - start)


def _criteria_table(portfolio: Portfolio, criteria: Any) -> pd.DataFrame | None:
    from portfolio_opt.scoring import criteria_summary

    if isinstance(criteria, (list, tuple, pd.Index)):
        return None
    try:
        return criteria_summary(portfolio, criteria)
    except InputError:
        return None


def _split_tasks(base: _Task, probe: SelectionModel, n_split: int) -> list[_Task]:
    """Fix the ``n_split`` free projects of highest mean value in or out: 2**n_split tasks."""
    if n_split == 0:
        return [base]
    must_in, must_out = probe.bounds()
    ids = base.portfolio._projects.index
    free = np.flatnonzero(~ids.isin(must_in) & ~ids.isin(must_out))
    mean = base.values[free].mean(axis=1)
    pick = ids[free[np.argsort(-mean, kind="stable")[:n_split]]]
    tasks = []
    for bits in itertools.product((True, False), repeat=len(pick)):
        tasks.append(replace(base, fix_in=tuple(p for p, b in zip(pick, bits) if b),
                             fix_out=tuple(p for p, b in zip(pick, bits) if not b)))
    return tasks


def _result(portfolio: Portfolio, parts: list[Enumeration], values: np.ndarray,
            points: pd.DataFrame, scores: pd.DataFrame, method: str,
            max_portfolios: int | None, tol: float, run_time: float) -> RobustPortfolios:
    ids = portfolio._projects.index
    selected = np.vstack([p.selected for p in parts]) if parts else np.zeros((0, len(ids)), bool)
    status = [s for p in parts for s in p.status]
    complete = all(p.complete for p in parts)
    if not len(selected):
        raise InfeasibleError(f"{_WHERE}: no portfolio satisfies every constraint.")
    vals = selected.astype(float) @ values
    keep = nondominated_mask(vals, tol)  # merging parts: a local optimum may be dominated
    selected, vals = selected[keep], vals[keep]
    status = [s for s, k in zip(status, keep) if k]
    centre = vals.mean(axis=1)
    # a deterministic order: best at the centre first, then by the value vectors, then by ids
    pattern = ["".join("1" if b else "0" for b in row) for row in selected]
    order = sorted(range(len(selected)), key=lambda i: (-centre[i], tuple(-vals[i]), pattern[i]))
    if max_portfolios is not None and len(order) > max_portfolios:
        order, complete = order[:max_portfolios], False
    selected, vals = selected[order], vals[order]
    status = [status[i] for i in order]
    index = pd.RangeIndex(1, len(selected) + 1, name="portfolio")
    table = pd.DataFrame(selected, index=index, columns=ids.copy())
    value_table = pd.DataFrame(vals, index=index, columns=points.index.copy())
    cost = portfolio._projects["cost"].to_numpy(dtype=float)
    summary = pd.DataFrame({
        "n_selected": selected.sum(axis=1).astype(int),
        "cost": selected.astype(float) @ cost,
        "value_min": vals.min(axis=1), "value_max": vals.max(axis=1),
        "value_centre": vals.mean(axis=1),
        "status": [s.value for s in status],
    }, index=index)
    core = pd.Series(selected.mean(axis=0), index=ids.copy(), name="core_index")
    classes = pd.Series(np.where(core >= 1.0, "core", np.where(core <= 0.0, "exterior",
                                                               "borderline")),
                        index=ids.copy(), name="robustness", dtype=object)
    return RobustPortfolios(table, value_table, summary, points, scores, core, classes,
                            complete, method, sum(p.n_solves for p in parts), run_time)

