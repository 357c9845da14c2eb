"""Select the portfolio: solve the selection model and read the answer by id."""

from __future__ import annotations

import html
import importlib
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portfolio_opt.anytime import solve_anytime
from portfolio_opt.exceptions import InfeasibleError, SolverError, describe_ids
from portfolio_opt.model import SelectionModel
from portfolio_opt.portfolio import Portfolio
from portfolio_opt.progress import ProgressEvent
from portfolio_opt.solvers import Status, _check_options, run_solver
from portfolio_opt.supply import minimal_hiring

if TYPE_CHECKING:
    from portfolio_opt.explain import Explanation

__all__ = ["Selection", "select"]

def _empty(columns: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in columns.items()})


@dataclass(frozen=True, repr=False)
class Selection:
    """The selected portfolio: what is in, when it starts, and what it uses.

    Attributes
    ----------
    portfolio : Portfolio
        The portfolio the selection was made from.
    value : pandas.Series
        The value of each project that was maximised.
    selected : pandas.Series of bool
        By ``project_id``: whether the project is in the portfolio.
    start : pandas.Series
        By ``project_id``: the start period label, None when not selected.
    objective : float
        Total value of the selected projects plus the synergy of the pairs
        selected together.
    bound : float
        Best proven bound on the optimal value.
    gap : float
        Relative gap between ``objective`` and ``bound`` (0 when optimal).
    status : Status
        ``optimal`` only when proven; ``feasible`` with ``gap`` otherwise.
    usage : pandas.DataFrame
        ``competence, period, used, capacity, utilisation, hired, covered,
        lent`` for every competence and period: ``used`` is what the selected
        projects need of the competence, ``hired`` the units hired,
        ``covered`` the work other competences do in its place (in its units)
        and ``lent`` the units of it working for other competences; so
        ``used + lent - covered - hired <= capacity``.
    spend : pandas.DataFrame
        ``period, cost, budget, hiring``: cost of the selected projects per
        period, the per-period budget (NaN when none) and the hiring cost.
    budget : float or None
        The total budget applied.
    solver : str
        The solver used.
    solve_time : float
        Seconds spent in the solver.
    build_time : float
        Seconds spent building the model.
    hiring : pandas.DataFrame
        The least-cost hiring plan for the selected projects and starts:
        ``competence, period, hired, cost`` for every competence and period.
    substitution : pandas.DataFrame
        ``competence, covers, period, amount, covered``: units of
        ``competence`` doing ``covers``' work (``covered`` = amount x
        efficiency), for every substitution pair and period.
    synergy : float
        Synergy value of the pairs selected together (included in
        ``objective``).
    model : SelectionModel or None
        A model with the parameters of this selection (to solve it again).
    """

    portfolio: Portfolio
    value: pd.Series
    selected: pd.Series
    start: pd.Series
    objective: float
    bound: float
    gap: float
    status: Status
    usage: pd.DataFrame
    spend: pd.DataFrame
    budget: float | None
    solver: str
    solve_time: float
    build_time: float = field(default=math.nan)
    hiring: pd.DataFrame = field(default_factory=lambda: _empty(
        {"competence": object, "period": object, "hired": float, "cost": float}))
    substitution: pd.DataFrame = field(default_factory=lambda: _empty(
        {"competence": object, "covers": object, "period": object, "amount": float,
         "covered": float}))
    synergy: float = 0.0
    model: SelectionModel | None = None

    @property
    def selected_ids(self) -> pd.Index:
        """Ids of the selected projects, in the projects table's order."""
        return self.selected.index[self.selected.to_numpy()]

    @property
    def cost(self) -> float:
        """Total cost of the selected projects (hiring not included)."""
        return float(self.portfolio._projects["cost"][self.selected].sum())

    @property
    def hiring_cost(self) -> float:
        """Total cost of the hiring plan."""
        return float(self.hiring["cost"].sum())

    def explain(self) -> Explanation:
        """Say why each project is in or out, where the bottlenecks are, and what it takes.

        Returns
        -------
        portfolio_opt.explain.Explanation
            See :func:`portfolio_opt.explain.explain`.
        """
        from portfolio_opt.explain import explain

        return explain(self)

    def to_frame(self) -> pd.DataFrame:
        """One row per project: name, selected, start, cost, value, category, risk, mandatory.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``project_id``, in the projects table's order.
        """
        projects = self.portfolio._projects
        out = pd.DataFrame(index=projects.index)
        if "name" in projects.columns:
            out["name"] = projects["name"]
        out["selected"] = self.selected
        out["start"] = self.start
        out["cost"] = projects["cost"]
        out["value"] = self.value
        for col in ("category", "risk"):
            if col in projects.columns:
                out[col] = projects[col]
        out["mandatory"] = projects["mandatory"]
        return out

    def summary(self) -> pd.Series:
        """Key figures: status, objective, bound, gap, counts, cost and budget, times."""
        return pd.Series({
            "status": self.status.value,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "selected": int(self.selected.sum()),
            "candidates": len(self.selected),
            "cost": self.cost,
            "budget": self.budget,
            "solver": self.solver,
            "solve_time": self.solve_time,
            "hiring_cost": self.hiring_cost,
            "synergy": self.synergy,
        }, name="selection", dtype=object)

    def __repr__(self) -> str:
        gap = "" if self.status is Status.OPTIMAL else f", gap={self.gap:.3%}"
        return (f"Selection({self.status.value}{gap}, {int(self.selected.sum())} of "
                f"{len(self.selected)} projects, objective={self.objective:,.6g}, "
                f"cost={self.cost:,.6g})")

    def _repr_html_(self) -> str:
        """Show the key figures and the selected projects in a notebook."""
        status = html.escape(self.status.value)
        gap = "" if self.status is Status.OPTIMAL else f" (gap {self.gap:.3%})"
        heading = (f"<p><strong>Selection: {status}{html.escape(gap)}</strong> &mdash; "
                   f"{int(self.selected.sum())} of {len(self.selected)} projects, objective "
                   f"{self.objective:,.6g}, cost {self.cost:,.6g}"
                   + ("" if self.budget is None else f" of {self.budget:,.6g}") + "</p>")
        chosen = self.to_frame()
        chosen = chosen[chosen["selected"]].drop(columns="selected")
        shown = chosen.head(HTML_ROWS)
        more = ("" if len(shown) == len(chosen) else
                f"<p>First {len(shown)} of {len(chosen)} selected projects; see "
                "<code>to_frame()</code>.</p>")
        return heading + shown.to_html(float_format=lambda v: f"{v:,.6g}") + more


#: Seconds kept back from a ``time_limit`` for reading the answer: a constant and per
#: column of the model (measured: 0.4-0.9 s for 294 000 columns, quiet to loaded).
READ_S = 0.05
READ_S_PER_COLUMN = 3e-6

#: Rows of the selected projects shown by ``Selection._repr_html_``.
HTML_ROWS = 20


def select(
    portfolio: Portfolio,
    value: str | pd.Series | None = None,
    *,
    budget: float | None = None,
    solver: Any = None,
    time_limit: float | None = None,
    gap: float | None = None,
    threads: int | None = None,
    force_in: Iterable[Any] | None = None,
    force_out: Iterable[Any] | None = None,
    schedule: bool = True,
    buckets: pd.DataFrame | None = None,
    max_average_risk: float | None = None,
    diagnose: bool = True,
    exclude: Iterable[Iterable[Any]] | None = None,
    min_value: float | None = None,
    objective: pd.Series | None = None,
    progress: bool | Callable[[ProgressEvent], Any] | None = None,
    synergy_weight: float = 0.0,
) -> Selection:
    """Choose the projects, and when they start, of greatest total value that fit every rule.

    Maximises the total value of the selected projects (plus the synergy of
    pairs selected together) subject to the total budget and the budget of
    every period (project cost plus hiring cost), the capacity of every
    competence in every period (with flexible capacity that may be hired and
    substitution between competences), mandatory / forced-in / forced-out
    projects, the relations (``requires`` with optional finish-to-start lag,
    ``excludes``, ``together``), group limits, strategic buckets and a bound
    on the cost-weighted average risk. Each selected project starts in its
    window ``earliest_start .. latest_start``.

    Parameters
    ----------
    portfolio : Portfolio
    value : str or pandas.Series, optional
        Column of the projects table or Series by ``project_id``; default the
        ``value`` column, else the criteria score.
    budget : float, optional
        Total budget, replacing the portfolio's.
    solver : {"cbc", "highs"}, optional
        Default ``"cbc"`` (bundled with PuLP).
    time_limit : float, optional
        Wall-clock seconds for the whole call, building the model included:
        a promise, kept by solving in a child process that is stopped at the
        limit (:mod:`portfolio_opt.anytime`). A portfolio is found first by a
        greedy heuristic and a proven bound by Lagrangian relaxation, then
        improved (local search, the solver warm-started with it); the best
        portfolio known is returned, ``optimal`` only when proven, otherwise
        ``feasible`` with its gap to the best proven bound. Without a limit
        the solver runs, in this process, until it proves optimality.
    gap : float, optional
        Relative gap at which the solver may stop (default 0: prove optimality).
    threads : int, optional
        Threads for the solver (default: the solver's own, one for CBC).
    force_in, force_out : iterable of project ids, optional
        Projects that must be in, or out.
    schedule : bool, default True
        Choose the starts; False starts every selected project at its
        earliest start.
    buckets : pandas.DataFrame, optional
        Strategic buckets ``column, value, measure, min, max`` replacing the
        portfolio's (see the data format guide).
    max_average_risk : float, optional
        Bound on the cost-weighted average ``risk`` of the selected projects.
    diagnose : bool, default True
        When no portfolio exists, find the conflicting constraints and the
        smallest relaxation that would help (:func:`portfolio_opt.diagnose`;
        it re-solves the model many times). False raises the
        :class:`InfeasibleError` with its reasons only -- what many-solve
        analyses want.
    exclude, min_value, objective, synergy_weight
        Hooks for analyses of many solves (no-good cuts, a floor on the
        value, a replaced objective, the synergy's weight in it); see
        :class:`SelectionModel`.
    progress : bool or callable, optional
        With a ``time_limit``: a callable receives every
        :class:`~portfolio_opt.progress.ProgressEvent` ``(elapsed, incumbent,
        bound, gap)``; True shows a progress bar, False nothing; None (default)
        a bar only when standard error is a terminal. Given without a
        ``time_limit``, the solve also runs the anytime way (stoppable with
        Ctrl-C, which returns the best portfolio found).

    Returns
    -------
    Selection

    Raises
    ------
    InputError
        Bad value, budget, ids or solver options.
    InfeasibleError
        When no portfolio satisfies every constraint, with the reasons and a
        diagnosis (``conflicts``, ``relaxation``).

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio, select
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"],
    ...                              "cost": [4.0, 3.0, 3.0], "value": [5.0, 3.0, 3.0]}),
    ...                budget=6)
    >>> sel = select(pf)
    >>> sel.selected_ids.tolist(), sel.objective, sel.status.value
    (['B', 'C'], 6.0, 'optimal')
    """
    start = time.monotonic()
    model = SelectionModel(portfolio, value, budget=budget, force_in=force_in,
                           force_out=force_out, schedule=schedule, buckets=buckets,
                           max_average_risk=max_average_risk, exclude=exclude,
                           min_value=min_value, objective=objective,
                           synergy_weight=synergy_weight)
    return solve_model(model, solver=solver, time_limit=time_limit, gap=gap, threads=threads,
                       diagnose=diagnose, progress=progress, _start=start)


def _diagnosed(model: SelectionModel, error: InfeasibleError, solver: Any,
               time_limit: float | None, extra_reasons: bool) -> InfeasibleError:
    """Attach the diagnosis of ``diagnose.diagnose(model)`` to ``error`` (when available)."""
    try:
        diagnosis_module = importlib.import_module("portfolio_opt.diagnose")
    except ImportError:
        return error
    result = diagnosis_module.diagnose(model, solver=solver, time_limit=time_limit)
    reasons = list(error.reasons)
    if extra_reasons and hasattr(result, "reasons"):
        reasons += list(result.reasons())
    return InfeasibleError(reasons, conflicts=getattr(result, "conflicts", None),
                           relaxation=getattr(result, "relaxation", None))


def solve_model(model: SelectionModel, *, solver: Any = None, time_limit: float | None = None,
                gap: float | None = None, threads: int | None = None,
                diagnose: bool = True,
                progress: bool | Callable[[ProgressEvent], Any] | None = None,
                _start: float | None = None) -> Selection:
    """Check, build and solve a :class:`SelectionModel`; read the answer by id.

    ``diagnose=False`` skips the infeasibility diagnosis; ``time_limit`` and
    ``progress`` as for :func:`select` (the time counts from this call).
    """
    start = time.monotonic() if _start is None else _start
    anytime = time_limit is not None or (progress is not None and progress is not False)
    if anytime:
        _check_options(time_limit, gap, threads)
    try:
        model.check_feasibility()
    except InfeasibleError as err:
        if not diagnose:
            raise
        raise _diagnosed(model, err, solver, time_limit, extra_reasons=False) from None
    t0 = time.perf_counter()
    problem = model.build()
    build_time = time.perf_counter() - t0
    x: np.ndarray | None = None
    if anytime:
        # time kept back for reading the answer (usage, hiring plan): ~1 s at 100 000 projects
        reserve = READ_S + READ_S_PER_COLUMN * model.matrix_.n_cols
        limit = None if time_limit is None else max(time_limit - reserve, 0.5 * time_limit)
        result = solve_anytime(model.matrix_, solver=solver, time_limit=limit, gap=gap,
                               threads=threads, progress=progress, start=start)
        report, x = result.report, result.x
    else:
        report = run_solver(problem, solver, time_limit=time_limit, gap=gap, threads=threads)
    if report.status is Status.INFEASIBLE:
        proven = InfeasibleError(_infeasible_reason(model, solver, time_limit))
        if not diagnose:
            raise proven
        raise _diagnosed(model, proven, solver, time_limit, extra_reasons=True) from None
    if report.status is Status.UNBOUNDED:  # pragma: no cover - every variable is bounded
        raise SolverError("the solver reports an unbounded model; please report this as a bug.")

    pf = model.portfolio
    options = model.options_
    found = report.status is not Status.NOT_SOLVED
    if anytime:
        values = x[:len(options)] if x is not None else np.zeros(len(options))
    else:
        values = np.array([v.varValue if v.varValue is not None else 0.0
                           for v in model.variables_], dtype=float)
    chosen = values > 0.5 if found else np.zeros(len(values), dtype=bool)
    ids = pf._projects.index
    selected = pd.Series(False, index=ids, name="selected")
    selected[options.loc[chosen, "project_id"].to_numpy()] = True
    start = pd.Series(None, index=ids, dtype=object, name="start")
    start[options.loc[chosen, "project_id"].to_numpy()] = pf.periods[
        options.loc[chosen, "start"].to_numpy()].to_numpy()
    plan = minimal_hiring(model, chosen)
    usage, spend = _usage(model, chosen, plan)
    value = model.value_
    syn = model._synergy_table
    both = selected.reindex(syn["project_id"]).to_numpy() & selected.reindex(
        syn["other_id"]).to_numpy()
    synergy = float(syn["value"].to_numpy(dtype=float)[both].sum())
    objective = float(value[selected].sum()) + synergy if found else math.nan
    # the objective is recomputed from the chosen projects; a proven optimum is its own bound
    # (a replaced objective, SelectionModel(objective=...), proves no bound on the value)
    bound = objective if report.status is Status.OPTIMAL else (
        report.bound if model.objective is None else math.nan)
    return Selection(
        portfolio=pf, value=value, selected=selected, start=start, objective=objective,
        bound=bound, gap=report.gap, status=report.status, usage=usage, spend=spend,
        budget=model.total_budget(), solver=report.solver, solve_time=report.solve_time,
        build_time=build_time, hiring=plan.hiring, substitution=plan.substitution,
        synergy=synergy if found else math.nan, model=SelectionModel(**model.get_params()),
    )


def _infeasible_reason(model: SelectionModel, solver: Any, time_limit: float | None
                       ) -> list[str]:
    """Say whether the projects that must be in are part of the conflict (one more solve)."""
    must_in = model._mandatory().append(model._ids(model.force_in, "force_in")).unique()
    base = ("the solver proved that no portfolio satisfies every constraint together (no "
            "check on the required projects alone found the conflict)")
    groups = set(model.constraints_["group"]) & {"mandatory", "force_in"}
    if not len(must_in) or not groups:
        return [base + "."]
    problem = model.build(without=sorted(groups))
    report = run_solver(problem, solver, time_limit=time_limit)
    model.build()
    if report.status is Status.INFEASIBLE:
        return [base + f"; it stays infeasible even without the required projects "
                       f"{describe_ids(must_in)}."]
    return [base + f": a portfolio exists without the required (mandatory or forced-in) "
                   f"projects {describe_ids(must_in)}, so they conflict with the other rules."]


def _usage(model: SelectionModel, chosen: np.ndarray, plan: Any
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Competence use and spend per period of the chosen options."""
    pf = model.portfolio
    options = model.options_
    labels = pf.periods
    terms = model._capacity_terms(options)
    terms = terms[chosen[terms["option"].to_numpy()]]
    used = terms.assign(period=labels[terms["period"].to_numpy()]).groupby(
        ["competence", "period"])["coef"].sum()
    usage = pf._capacity[["competence", "period", "amount"]].rename(
        columns={"amount": "capacity"})
    usage = usage.assign(used=used.reindex(
        pd.MultiIndex.from_frame(usage[["competence", "period"]])).fillna(0.0).to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        usage["utilisation"] = usage["used"] / usage["capacity"]
    usage = usage[["competence", "period", "used", "capacity", "utilisation"]]
    usage = usage.assign(hired=plan.hiring["hired"].to_numpy(), covered=plan.covered,
                         lent=plan.lent)

    pterms = model._period_terms(options)
    pterms = pterms[chosen[pterms["option"].to_numpy()]]
    cost = pterms.groupby("period")["coef"].sum().reindex(range(len(labels)), fill_value=0.0)
    per = pf._budget.per_period
    hiring = plan.hiring.groupby("period", sort=False)["cost"].sum().reindex(labels)
    spend = pd.DataFrame({
        "period": labels.to_numpy(),
        "cost": cost.to_numpy(),
        "budget": per.to_numpy() if per is not None else np.full(len(labels), np.nan),
        "hiring": hiring.fillna(0.0).to_numpy(dtype=float),
    })
    return usage.reset_index(drop=True), spend
