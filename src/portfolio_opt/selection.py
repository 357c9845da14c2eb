"""Select the portfolio: solve the selection model and read the answer by id."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import InfeasibleError, SolverError
from portfolio_opt.model import SelectionModel
from portfolio_opt.portfolio import Portfolio
from portfolio_opt.solvers import Status, run_solver

__all__ = ["Selection", "select"]


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
        Total value of the selected projects.
    bound : float
        Best proven bound on the optimal value.
    gap : float
        Relative gap between ``objective`` and ``bound`` (0 when optimal).
    status : Status
        ``optimal`` only when proven; ``feasible`` with ``gap`` otherwise.
    usage : pandas.DataFrame
        ``competence, period, used, capacity, utilisation`` for every
        competence and period.
    spend : pandas.DataFrame
        ``period, cost, budget``: cost of the selected projects per period
        and the per-period budget (NaN when none).
    budget : float or None
        The total budget applied.
    solver : str
        The solver used.
    solve_time : float
        Seconds spent in the solver.
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

    @property
    def selected_ids(self) -> pd.Index:
        """Ids of the selected projects, in the projects table's order."""
        return self.selected.index[self.selected.to_numpy()]

    @property
    def cost(self) -> float:
        """Total cost of the selected projects."""
        return float(self.portfolio._projects["cost"][self.selected].sum())

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
        }, name="selection", dtype=object)

    def __repr__(self) -> str:
        gap = "" if self.status is Status.OPTIMAL else f", gap={self.gap:.3%}"
        return (f"Selection({self.status.value}{gap}, {int(self.selected.sum())} of "
                f"{len(self.selected)} projects, objective={self.objective:,.6g}, "
                f"cost={self.cost:,.6g})")


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
) -> Selection:
    """Choose the portfolio of greatest total value that fits every constraint.

    Maximises the total value of the selected projects subject to the total
    budget, the budget of every period (when given), the capacity of every
    competence in every period, mandatory / forced-in / forced-out projects,
    and the ``requires`` / ``excludes`` / ``together`` relations. In this
    version every project starts at its earliest start.

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
        Seconds the solver may run; the answer is then ``feasible`` with its
        gap unless optimality was proven in time.
    gap : float, optional
        Relative gap at which the solver may stop (default 0: prove optimality).
    threads : int, optional
        Threads for the solver.
    force_in, force_out : iterable of project ids, optional
        Projects that must be in, or out.

    Returns
    -------
    Selection

    Raises
    ------
    InputError
        Bad value, budget, ids or solver options.
    InfeasibleError
        When no portfolio satisfies every constraint, with the reasons.

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
    model = SelectionModel(portfolio, value, budget=budget, force_in=force_in,
                           force_out=force_out)
    return solve_model(model, solver=solver, time_limit=time_limit, gap=gap, threads=threads)


def solve_model(model: SelectionModel, *, solver: Any = None, time_limit: float | None = None,
                gap: float | None = None, threads: int | None = None) -> Selection:
    """Check, build and solve a :class:`SelectionModel`; read the answer by id."""
    import time

    model.check_feasibility()
    t0 = time.perf_counter()
    problem = model.build()
    build_time = time.perf_counter() - t0
    report = run_solver(problem, solver, time_limit=time_limit, gap=gap, threads=threads)
    if report.status is Status.INFEASIBLE:  # pragma: no cover - the checks above catch all so far
        raise InfeasibleError(
            "the solver proved that no portfolio satisfies the budget, capacity, relation and "
            "mandatory constraints together (no single group conflicts on its own)."
        )
    if report.status is Status.UNBOUNDED:  # pragma: no cover - binaries cannot be unbounded
        raise SolverError("the solver reports an unbounded model; please report this as a bug.")

    pf = model.portfolio
    options = model.options_
    values = np.array([v.varValue if v.varValue is not None else 0.0
                       for v in model.variables_], dtype=float)
    chosen = values > 0.5 if report.status is not Status.NOT_SOLVED else np.zeros(
        len(values), dtype=bool)
    ids = pf._projects.index
    selected = pd.Series(False, index=ids, name="selected")
    selected[options.loc[chosen, "project_id"].to_numpy()] = True
    start = pd.Series(None, index=ids, dtype=object, name="start")
    start[options.loc[chosen, "project_id"].to_numpy()] = pf.periods[
        options.loc[chosen, "start"].to_numpy()].to_numpy()
    usage, spend = _usage(model, chosen)
    value = model.value_
    objective = float(value[selected].sum()) if report.status is not Status.NOT_SOLVED \
        else math.nan
    # the objective is recomputed from the chosen projects; a proven optimum is its own bound
    bound = objective if report.status is Status.OPTIMAL else report.bound
    return Selection(
        portfolio=pf, value=value, selected=selected, start=start, objective=objective,
        bound=bound, gap=report.gap, status=report.status, usage=usage, spend=spend,
        budget=model.total_budget(), solver=report.solver, solve_time=report.solve_time,
        build_time=build_time,
    )


def _usage(model: SelectionModel, chosen: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Competence use and spend per period of the chosen options."""
    pf = model.portfolio
    options = model.options_
    labels = pf.periods
    terms = model._capacity_terms(options)
    terms = terms[chosen[terms["option"].to_numpy()]]
    used = terms.assign(period=labels[terms["period"].to_numpy()]).groupby(
        ["competence", "period"])["coef"].sum()
    usage = pf._capacity.rename(columns={"amount": "capacity"})
    usage = usage.assign(used=used.reindex(
        pd.MultiIndex.from_frame(usage[["competence", "period"]])).fillna(0.0).to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        usage["utilisation"] = usage["used"] / usage["capacity"]
    usage = usage[["competence", "period", "used", "capacity", "utilisation"]]

    pterms = model._period_terms(options)
    pterms = pterms[chosen[pterms["option"].to_numpy()]]
    cost = pterms.groupby("period")["coef"].sum().reindex(range(len(labels)), fill_value=0.0)
    per = pf._budget.per_period
    spend = pd.DataFrame({
        "period": labels.to_numpy(),
        "cost": cost.to_numpy(),
        "budget": per.to_numpy() if per is not None else np.full(len(labels), np.nan),
    })
    return usage.reset_index(drop=True), spend
