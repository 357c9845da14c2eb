"""Efficient frontiers: the best portfolio at each budget, or at each level of risk.

Every point of a frontier is an exact re-solve of the full selection model
(capacities, hiring, relations, buckets, per-period budgets and every other
rule included) with only the total budget -- or the bound on the
cost-weighted average risk -- changed: not a ranking curve nor an
interpolation. The solves are independent and run through
:func:`portfolio_opt.parallel.run_many`, serially or on any
:class:`concurrent.futures.Executor`, with identical results.

- :func:`efficient_frontier` -- value against the total budget.
- :func:`risk_frontier` -- value against the average risk (epsilon-constraint).
- :func:`frontier_position` -- where a proposed portfolio sits: the value the
  frontier reaches at the proposal's own spend, and the value left on the
  table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import InfeasibleError, InputError
from portfolio_opt.model import SelectionModel
from portfolio_opt.parallel import check_executor, run_many
from portfolio_opt.portfolio import Portfolio
from portfolio_opt.selection import Selection
from portfolio_opt.solvers import Solver, Status

__all__ = ["FrontierPosition", "efficient_frontier", "frontier_position", "risk_frontier"]

#: Options of :func:`portfolio_opt.select` that shape the model / the solve.
MODEL_OPTIONS = ("budget", "force_in", "force_out", "schedule", "buckets", "max_average_risk")
SOLVE_OPTIONS = ("solver", "time_limit", "gap", "threads")
#: Number of points of the default grids.
DEFAULT_POINTS = 10
_COLUMNS = ["objective", "cost", "hiring_cost", "n_selected", "status", "gap", "bound",
            "selected"]


def split_options(where: str, options: dict[str, Any], varied: str | None = None
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``**select_options`` into model and solve keyword arguments (checked names).

    ``varied`` names the option the calling routine varies itself (an error
    when given).
    """
    valid = MODEL_OPTIONS + SOLVE_OPTIONS
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise InputError(f"{where}: unknown option {', '.join(map(repr, unknown))}; valid "
                         f"options: {', '.join(valid)}.")
    if varied is not None and varied in options:
        raise InputError(f"{where}: {varied}= is what {where} varies; pass the values to try "
                         f"as {'budgets' if varied == 'budget' else 'risk_limits'}=[...] "
                         "instead.")
    model = {k: v for k, v in options.items() if k in MODEL_OPTIONS}
    solve = {k: v for k, v in options.items() if k in SOLVE_OPTIONS}
    return model, solve


def check_model(portfolio: Any, value: Any, model: dict[str, Any], solve: dict[str, Any],
                where: str) -> SelectionModel:
    """Check the inputs of a many-solve routine once, before any solve (raises InputError)."""
    if not isinstance(portfolio, Portfolio):
        raise InputError(f"{where}: portfolio must be a Portfolio, got "
                         f"{type(portfolio).__name__}. Build one with Portfolio(projects, ...).")
    m = SelectionModel(portfolio, value, **model)
    m.value_series()
    m.bounds()
    m.total_budget()
    m.bucket_table()
    m.risk_limit()
    m.windows()
    Solver.parse(solve.get("solver"))
    return m


@dataclass(frozen=True)
class SolveTask:
    """One solve of a many-solve routine (picklable): the model's and the solve's options."""

    portfolio: Portfolio
    value: Any
    model: dict[str, Any]
    solve: dict[str, Any]


def record(selection: Selection | None) -> dict[str, Any]:
    """Return the small picklable record of one solve (None: proven infeasible)."""
    if selection is None:
        return {"objective": math.nan, "cost": math.nan, "hiring_cost": math.nan,
                "n_selected": 0, "status": Status.INFEASIBLE.value, "gap": math.nan,
                "bound": math.nan, "selected": (), "average_risk": math.nan}
    found = selection.status in (Status.OPTIMAL, Status.FEASIBLE)
    projects = selection.portfolio._projects
    chosen = selection.selected.to_numpy()
    cost = projects["cost"].to_numpy(dtype=float)[chosen]
    average_risk = math.nan
    if "risk" in projects.columns and found and cost.sum() > 0:
        risk = projects["risk"].fillna(0.0).to_numpy(dtype=float)[chosen]
        average_risk = float(cost @ risk / cost.sum())
    return {"objective": selection.objective,
            "cost": selection.cost if found else math.nan,
            "hiring_cost": selection.hiring_cost if found else math.nan,
            "n_selected": int(chosen.sum()), "status": selection.status.value,
            "gap": float(selection.gap), "bound": float(selection.bound),
            "selected": tuple(selection.selected_ids), "average_risk": average_risk}


def solve_task(task: SolveTask) -> dict[str, Any]:
    """Solve one task (module level, for process pools and Dask); infeasible is a record."""
    model = SelectionModel(task.portfolio, task.value, **task.model)
    try:
        return record(model.solve(**task.solve, diagnose=False))
    except InfeasibleError:
        return record(None)


def _grid(values: Any, where: str, name: str) -> np.ndarray:
    arr = np.asarray(list(values) if isinstance(values, Iterable) else [values], dtype=object)
    try:
        out = arr.astype(float)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {name} must be numbers, got {list(arr[:5])!r}.") from None
    bad = ~np.isfinite(out) | (out < 0 if name == "budgets" else np.zeros(len(out), bool))
    if len(out) == 0 or bad.any():
        what = "finite numbers >= 0" if name == "budgets" else "finite numbers"
        raise InputError(f"{where}: {name} must be a non-empty list of {what}, got "
                         f"{list(arr[bad][:5]) if bad.any() else '[]'}.")
    return np.unique(out)


def _table(key: str, grid: np.ndarray, records: list[dict[str, Any]], columns: list[str],
           settings: dict[str, Any]) -> pd.DataFrame:
    table = pd.DataFrame({key: grid, **{c: [r[c] for r in records] for c in columns}})
    table["n_selected"] = table["n_selected"].astype(int)
    table["selected"] = pd.Series([r["selected"] for r in records], dtype=object)
    table.attrs["settings"] = settings
    return table


def lifted_budget(portfolio: Portfolio) -> float:
    """Return a total budget that never binds: every project and every hire, plus one."""
    cap = portfolio._capacity
    return float(portfolio._projects["cost"].sum()
                 + (cap["flex_amount"] * cap["flex_cost"]).sum() + 1.0)


def default_budgets(portfolio: Portfolio, value: str | pd.Series | None = None,
                    n: int = DEFAULT_POINTS, **select_options: Any) -> np.ndarray:
    """Return the default budget grid of :func:`efficient_frontier` (costs one solve).

    ``n`` evenly spaced budgets from the cost of the projects that must be in
    (mandatory and ``force_in``) to the spend (cost + hiring) of the optimum
    with the total budget lifted -- beyond it more budget buys nothing, as
    the other rules (per-period budgets, capacity, ...) bind -- plus the
    portfolio's own total budget when it lies in between.

    Raises
    ------
    InfeasibleError
        When no portfolio fits even without a total budget.
    """
    model, solve = split_options("efficient_frontier", select_options, varied="budget")
    m = SelectionModel(portfolio, value, **model, budget=lifted_budget(portfolio))
    must_in, _ = m.bounds()
    lo = float(portfolio._projects["cost"][must_in].sum())
    top = record(m.solve(**solve, diagnose=False))
    hi = max(lo, top["cost"] + top["hiring_cost"])
    grid = np.linspace(lo, hi, n)
    total = portfolio._budget.total
    if total is not None and lo < total < hi:
        grid = np.append(grid, total)
    return np.unique(grid)


def efficient_frontier(portfolio: Portfolio, value: str | pd.Series | None = None,
                       budgets: Iterable[float] | None = None, *,
                       executor: Executor | None = None, progress: bool | None = None,
                       **select_options: Any) -> pd.DataFrame:
    """Solve the portfolio at each total budget: the efficient frontier of value against cost.

    Parameters
    ----------
    portfolio : Portfolio
    value : str or pandas.Series, optional
        What to maximise, as for :func:`portfolio_opt.select`.
    budgets : iterable of float, optional
        Total budgets to solve at (sorted, duplicates dropped). Default
        (:func:`default_budgets`, one extra solve first): 10 budgets from the
        cost of the mandatory and forced-in projects to the spend of the
        optimum without a total budget (where more budget stops buying value),
        plus the portfolio's own total budget when it lies in between.
    executor : concurrent.futures.Executor, optional
        Where to run the solves (e.g. a ``ProcessPoolExecutor`` or a Dask
        client's ``get_executor()``); default serially. Same results either way.
    progress : bool, optional
        Progress bar (see :func:`portfolio_opt.parallel.run_many`).
    **select_options
        ``solver, time_limit, gap, threads, schedule, buckets,
        max_average_risk, force_in, force_out`` as for
        :func:`portfolio_opt.select` (not ``budget``: that is what varies).
        Per-period budgets of the portfolio stay in force at every point.

    Returns
    -------
    pandas.DataFrame
        One row per budget: ``budget, objective, cost`` (of the selected
        projects), ``hiring_cost`` (cost + hiring cost <= budget),
        ``n_selected, status, gap, bound, selected`` (tuple of ids). A budget
        at which no portfolio fits is a row with status ``infeasible`` and a
        NaN objective; a point stopped by ``time_limit`` says ``feasible``
        with its gap. ``attrs["settings"]`` keeps the value and options (for
        :func:`frontier_position`).

    Raises
    ------
    InputError
        Bad budgets, options, value or executor.
    InfeasibleError
        Default grid only: no portfolio fits even without a total budget.

    Notes
    -----
    Cost: one full solve per budget (the sample: ~0.5 s each with CBC).

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"],
    ...                              "cost": [4.0, 3.0, 3.0], "value": [5.0, 3.0, 3.0]}))
    >>> efficient_frontier(pf, budgets=[3, 6, 7])[["budget", "objective", "selected"]]
       budget  objective selected
    0     3.0        3.0     (B,)
    1     6.0        6.0   (B, C)
    2     7.0        8.0   (A, B)
    """
    where = "efficient_frontier"
    model, solve = split_options(where, select_options, varied="budget")
    check_executor(executor, where)
    check_model(portfolio, value, model, solve, where)
    grid = (default_budgets(portfolio, value, **select_options)
            if budgets is None else _grid(budgets, where, "budgets"))
    tasks = [SolveTask(portfolio, value, {**model, "budget": float(b)}, solve) for b in grid]
    records = run_many(solve_task, tasks, executor=executor, progress=progress, desc=where)
    return _table("budget", grid, records, _COLUMNS,
                  {"routine": where, "value": value, "options": dict(select_options)})


def risk_frontier(portfolio: Portfolio, value: str | pd.Series | None = None,
                  risk_limits: Iterable[float] | None = None, *,
                  executor: Executor | None = None, progress: bool | None = None,
                  **select_options: Any) -> pd.DataFrame:
    """Solve the portfolio at each bound on the average risk: value against risk.

    The epsilon-constraint method: maximise value subject to every rule and
    ``max_average_risk = r`` (the cost-weighted average of the ``risk``
    column), for each ``r``.

    Parameters
    ----------
    portfolio : Portfolio
        Its projects need a ``risk`` column.
    value : str or pandas.Series, optional
        What to maximise, as for :func:`portfolio_opt.select`.
    risk_limits : iterable of float, optional
        Bounds to solve at (sorted, duplicates dropped). Default: 10 bounds
        from the lowest risk of any project that costs something to the
        average risk of the unconstrained optimum (one extra solve, first;
        above it the bound no longer binds).
    executor, progress
        As for :func:`efficient_frontier`.
    **select_options
        As for :func:`portfolio_opt.select`, without ``max_average_risk``.

    Returns
    -------
    pandas.DataFrame
        One row per bound: ``risk_limit, objective, average_risk`` (of the
        portfolio found), ``cost, hiring_cost, n_selected, status, gap,
        bound, selected``. Infeasible bounds are rows with status
        ``infeasible``.

    Raises
    ------
    InputError
        No ``risk`` column, bad bounds or options.
    InfeasibleError
        When the default grid is asked for and no portfolio fits at all.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [1.0, 1.0],
    ...                              "value": [5.0, 3.0], "risk": [4.0, 1.0]}), budget=1)
    >>> risk_frontier(pf, risk_limits=[0.5, 2, 4])[["risk_limit", "objective", "selected"]]
       risk_limit  objective selected
    0         0.5        0.0       ()
    1         2.0        3.0     (B,)
    2         4.0        5.0     (A,)
    """
    where = "risk_frontier"
    model, solve = split_options(where, select_options, varied="max_average_risk")
    check_executor(executor, where)
    check_model(portfolio, value, {**model, "max_average_risk": 0.0}, solve, where)
    if risk_limits is None:
        projects = portfolio._projects
        lo = float(projects.loc[projects["cost"] > 0, "risk"].min())
        base = SelectionModel(portfolio, value, **model).solve(**solve, diagnose=False)
        hi = record(base)["average_risk"]
        hi = lo if math.isnan(hi) else max(lo, hi)
        grid = np.unique(np.linspace(lo, hi, DEFAULT_POINTS))
    else:
        grid = _grid(risk_limits, where, "risk_limits")
    tasks = [SolveTask(portfolio, value, {**model, "max_average_risk": float(r)}, solve)
             for r in grid]
    records = run_many(solve_task, tasks, executor=executor, progress=progress, desc=where)
    cols = ["objective", "average_risk", *_COLUMNS[1:]]
    return _table("risk_limit", grid, records, cols,
                  {"routine": where, "value": value, "options": dict(select_options)})


@dataclass(frozen=True, repr=False)
class FrontierPosition:
    """Where a proposed portfolio sits against the efficient frontier.

    Attributes
    ----------
    selected : pandas.Index
        The proposal's projects.
    value : float
        Its value (the frontier's value measure, synergy included).
    cost, hiring_cost, spend : float
        Its project cost, the hiring its plan needs, and their sum (what it
        takes of the total budget; project cost only when it is infeasible).
    status : str
        ``optimal``/``feasible`` when the proposal satisfies every rule but
        the total budget, else ``infeasible`` (or the solver's status).
    frontier_value, frontier_bound, frontier_gap : float
        The best value at a total budget of ``spend`` (exact re-solve), the
        solver's bound on it and the gap.
    frontier_status : str
    frontier_cost : float
    frontier_selected : pandas.Index
    value_left : float
        ``frontier_value - value``: value left on the table at the
        proposal's spend (>= 0 for a feasible proposal; a lower bound when the
        frontier point is only ``feasible``).
    share : float
        ``value / frontier_value``.
    """

    selected: pd.Index
    value: float
    cost: float
    hiring_cost: float
    spend: float
    status: str
    frontier_value: float
    frontier_bound: float
    frontier_gap: float
    frontier_status: str
    frontier_cost: float
    frontier_selected: pd.Index

    @property
    def value_left(self) -> float:
        """Value left on the table: ``frontier_value - value``."""
        return self.frontier_value - self.value

    @property
    def share(self) -> float:
        """The proposal's value as a share of the frontier's at its spend."""
        return self.value / self.frontier_value if self.frontier_value else math.nan

    @property
    def added(self) -> pd.Index:
        """Projects in the frontier portfolio but not in the proposal."""
        return self.frontier_selected.difference(self.selected, sort=False)

    @property
    def removed(self) -> pd.Index:
        """Projects in the proposal but not in the frontier portfolio."""
        return self.selected.difference(self.frontier_selected, sort=False)

    def summary(self) -> pd.Series:
        """Key figures of the proposal and of the frontier at its spend."""
        return pd.Series({
            "value": self.value, "cost": self.cost, "hiring_cost": self.hiring_cost,
            "spend": self.spend, "status": self.status, "frontier_value": self.frontier_value,
            "frontier_bound": self.frontier_bound, "frontier_gap": self.frontier_gap,
            "frontier_status": self.frontier_status, "frontier_cost": self.frontier_cost,
            "value_left": self.value_left, "share": self.share,
            "n_added": len(self.added), "n_removed": len(self.removed),
        }, name="frontier_position", dtype=object)

    def to_frame(self) -> pd.DataFrame:
        """List the projects of either portfolio: ``in_proposal``, ``in_frontier``, ``change``."""
        ids = self.selected.append(self.frontier_selected).unique()
        inp, inf = ids.isin(self.selected), ids.isin(self.frontier_selected)
        change = np.where(inp & inf, "kept", np.where(inp, "removed", "added"))
        return pd.DataFrame({"in_proposal": inp, "in_frontier": inf, "change": change},
                            index=pd.Index(ids, name="project_id"))

    def __repr__(self) -> str:
        return (f"FrontierPosition(value={self.value:,.6g}, spend={self.spend:,.6g}, "
                f"frontier_value={self.frontier_value:,.6g}, "
                f"value_left={self.value_left:,.6g}, status={self.status})")

    def _repr_html_(self) -> str:
        head = (f"<p><b>Frontier position</b>: value {self.value:,.6g} at a spend of "
                f"{self.spend:,.6g}; the frontier reaches {self.frontier_value:,.6g} "
                f"({self.frontier_status}): {self.value_left:,.6g} left on the table.</p>")
        return head + self.summary().to_frame().to_html()


def frontier_position(frontier: pd.DataFrame, selection_or_ids: Selection | Iterable[Any],
                      portfolio: Portfolio | None = None) -> FrontierPosition:
    """Say where a proposed portfolio sits against an efficient frontier.

    The proposal's value is measured as the frontier's (same ``value`` and
    options, from ``frontier.attrs``); its spend is its project cost plus the
    hiring its plan needs. The frontier's value at that spend is an exact
    re-solve of the model at ``budget = spend``, not an interpolation.

    Parameters
    ----------
    frontier : pandas.DataFrame
        The result of :func:`efficient_frontier`.
    selection_or_ids : Selection or iterable of project ids
        The proposal. A :class:`Selection` is taken as it is (its plan, its
        status); for ids, one solve with exactly these projects forced in
        (and the others out, the total budget lifted) finds a plan and
        whether the proposal satisfies the other rules.
    portfolio : Portfolio, optional
        Needed with ids (a Selection brings its own).

    Returns
    -------
    FrontierPosition

    Raises
    ------
    InputError
        A frontier without its settings, ids without a portfolio, unknown ids.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"],
    ...                              "cost": [4.0, 2.0, 2.0], "value": [5.0, 3.0, 3.0]}))
    >>> frontier = efficient_frontier(pf, budgets=[4, 8])
    >>> pos = frontier_position(frontier, ["A"], pf)
    >>> pos.spend, pos.value, pos.frontier_value, pos.value_left
    (4.0, 5.0, 6.0, 1.0)
    >>> pos.added.tolist(), pos.removed.tolist()
    (['B', 'C'], ['A'])
    """
    where = "frontier_position"
    settings = frontier.attrs.get("settings") if isinstance(frontier, pd.DataFrame) else None
    if not settings or settings.get("routine") != "efficient_frontier":
        raise InputError(f"{where}: frontier must be the DataFrame returned by "
                         "efficient_frontier (its attrs['settings'] hold the value and options "
                         "to re-solve with); compute it with efficient_frontier(portfolio, ...).")
    value, options = settings["value"], settings["options"]
    model_opts, solve_opts = split_options(where, options, varied="budget")
    if isinstance(selection_or_ids, Selection):
        portfolio = selection_or_ids.portfolio
        ids = selection_or_ids.selected_ids
    elif portfolio is None:
        raise InputError(f"{where}: a list of project ids needs the portfolio they come from; "
                         "pass portfolio=.")
    base = check_model(portfolio, value, model_opts, solve_opts, where)
    if not isinstance(selection_or_ids, Selection):
        ids = base._ids(selection_or_ids, "the proposal")
    projects = portfolio._projects
    values = base.value_series()
    syn = base._synergy_pairs()
    both = syn["project_id"].isin(ids) & syn["other_id"].isin(ids)
    value_of = float(values[ids].sum() + syn.loc[both, "value"].astype(float).sum())
    cost = float(projects.loc[ids, "cost"].sum())

    if isinstance(selection_or_ids, Selection):
        sel = selection_or_ids
        hiring, status = sel.hiring_cost, sel.status.value
    else:
        lifted = lifted_budget(portfolio)
        # the proposal must also respect the frontier's own forced projects
        force_in, force_out = base.bounds()
        fixed = {**model_opts, "budget": lifted, "force_in": ids.append(force_in).unique(),
                 "force_out": projects.index.difference(ids, sort=False).append(
                     force_out).unique()}
        rec = solve_task(SolveTask(portfolio, value, fixed, solve_opts))
        status = rec["status"]
        hiring = rec["hiring_cost"] if status in ("optimal", "feasible") else math.nan
    spend = cost + (0.0 if math.isnan(hiring) else hiring)
    point = solve_task(SolveTask(portfolio, value, {**model_opts, "budget": spend},
                                 solve_opts))
    return FrontierPosition(
        selected=pd.Index(ids, name="project_id"), value=value_of, cost=cost,
        hiring_cost=hiring, spend=spend, status=status, frontier_value=point["objective"],
        frontier_bound=point["bound"], frontier_gap=point["gap"],
        frontier_status=point["status"], frontier_cost=point["cost"],
        frontier_selected=pd.Index(point["selected"], dtype=object, name="project_id"))
