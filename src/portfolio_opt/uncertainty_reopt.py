"""Re-optimisation per draw: how often each project is in the optimal portfolio.

:func:`selection_probability` draws every project's cost, value and duration up
front from the seed with the sampling of :mod:`portfolio_opt.uncertainty` (the
same ranges, distributions and duration effects as :func:`simulate
<portfolio_opt.uncertainty.simulate>`), builds the portfolio of each draw and
solves the full selection model for it, one solve per draw on any
:class:`concurrent.futures.Executor`. Both names are importable from
:mod:`portfolio_opt.uncertainty` too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from portfolio_opt._display import Display
from portfolio_opt.exceptions import InfeasibleError
from portfolio_opt.parallel import check_executor, run_many
from portfolio_opt.portfolio import Portfolio
from portfolio_opt.selection import select
from portfolio_opt.solvers import Status
from portfolio_opt.uncertainty import DurationEffect, _draw, _effect, _profiles, _stretch

__all__ = ["SelectionProbability", "selection_probability"]

_SOLVED = (Status.OPTIMAL.value, Status.FEASIBLE.value)  # statuses of a draw with a portfolio


def _draw_portfolio(pf: Portfolio, cost: np.ndarray, dur: np.ndarray, effect: DurationEffect
                    ) -> tuple[Portfolio, list[str]]:
    """Return the portfolio of one draw and the projects that cannot finish in the horizon."""
    projects = pf._projects.copy()
    n_periods = len(pf.periods)
    es = pf.period_position(projects["earliest_start"])
    ls = pf.period_position(projects["latest_start"])
    d0 = projects["duration"].to_numpy()
    nofit = es + dur > n_periods
    d = np.where(nofit, n_periods - es, dur)  # only to keep the table valid: forced out
    projects["cost"] = cost
    projects["duration"] = d
    projects["latest_start"] = pf.periods[np.minimum(ls, n_periods - d)].to_numpy()
    changed = projects.index[d != d0]
    demand = pf._demand
    rows = [demand[~demand["project_id"].isin(changed)]]
    comps, profiles = _profiles(pf)
    for pid, dd in zip(changed, d[d != d0], strict=True):
        if pid in profiles:
            prof = _stretch(profiles[pid], int(dd), effect)
            c, off = np.nonzero(prof)
            rows.append(pd.DataFrame({"project_id": pid, "competence": comps[c].to_numpy(),
                                      "offset": off, "amount": prof[c, off]}))
    new = pf.replace(projects=projects.reset_index(), demand=pd.concat(rows, ignore_index=True))
    return new, list(projects.index[nofit])


@dataclass(frozen=True)
class _Task:
    """One solve of :func:`selection_probability` (picklable)."""

    portfolio: Portfolio
    value: pd.Series
    cost: np.ndarray | None  # None: the base case, at the likely values
    duration: np.ndarray | None
    effect: DurationEffect
    options: dict[str, Any]


def _solve_draw(task: _Task) -> dict[str, Any]:
    """Solve one draw; a draw without a portfolio is a row with status ``infeasible``."""
    options = dict(task.options)
    force_out = [str(i) for i in (options.pop("force_out", None) or [])]
    pf = task.portfolio
    if task.cost is not None and task.duration is not None:
        pf, late = _draw_portfolio(pf, task.cost, task.duration, task.effect)
        force_out += [i for i in late if i not in force_out]
    try:
        sel = select(pf, task.value, force_out=force_out or None, diagnose=False, **options)
    except InfeasibleError:
        return {"objective": np.nan, "cost": np.nan, "n_selected": 0,
                "status": Status.INFEASIBLE.value, "gap": np.nan, "bound": np.nan,
                "selected": ()}
    return {"objective": sel.objective, "cost": sel.cost,
            "n_selected": int(sel.selected.sum()), "status": sel.status.value,
            "gap": sel.gap, "bound": sel.bound, "selected": tuple(sel.selected_ids)}


@dataclass(frozen=True, repr=False)
class SelectionProbability(Display):
    """How often each project is optimal across draws (the result of :func:`selection_probability`).

    Attributes
    ----------
    probability : pandas.DataFrame
        By ``project_id``: ``probability`` (share of the draws with a
        portfolio in which the project is selected), ``times_selected``,
        ``stderr`` (binomial standard error), ``base_selected`` (in the
        optimum at the likely values).
    draws : pandas.DataFrame
        One row per draw: ``objective, cost, n_selected, status, gap, bound,
        selected`` (tuple of ids); status ``infeasible`` when no portfolio
        satisfies the constraints in that draw.
    base : pandas.Series
        The same figures for the optimum at the likely values.
    n : int
        Number of draws.
    seed : object
        The seed given.
    """

    probability: pd.DataFrame
    draws: pd.DataFrame
    base: pd.Series
    n: int
    seed: Any

    @property
    def n_solved(self) -> int:
        """Number of draws with a portfolio (optimal or feasible)."""
        return int(self.draws["status"].isin(_SOLVED).sum())

    def to_frame(self) -> pd.DataFrame:
        """Return the per-project table (a copy of :attr:`probability`)."""
        return self.probability.copy()

    def _heading(self) -> str:
        shaky = int(((self.probability["probability"] > 0)
                     & (self.probability["probability"] < 1)).sum())
        return (f"Selection probability over {self.n} draws ({self.n_solved} with a "
                f"portfolio); {shaky} projects selected in some draws but not all")

    _rows = 10
    _float_format = "{:.3g}".format

    def _table(self) -> pd.DataFrame:
        return self.probability.sort_values("probability", ascending=False)


def selection_probability(
    portfolio: Portfolio,
    value: str | pd.Series | None = None,
    *,
    n: int = 100,
    seed: Any = None,
    distribution: Any = "triangular",
    duration_effect: str = "rate",
    executor: Any = None,
    progress: bool | None = None,
    **select_options: Any,
) -> SelectionProbability:
    """Re-optimise the portfolio for every draw; each project's probability of being selected.

    All draws are taken up front from ``seed`` (as in :func:`simulate`); each
    draw's portfolio has the drawn costs and durations (demand profiles
    stretched as ``duration_effect`` says; windows shortened so that every
    start still finishes inside the horizon) and is solved with the drawn
    values. A project whose drawn duration cannot finish inside the horizon
    from its earliest start is left out of that draw (a mandatory one makes
    the draw infeasible). Draws without a portfolio count in
    :attr:`SelectionProbability.draws` but not in the probabilities.

    Parameters
    ----------
    portfolio : Portfolio
    value : str or pandas.Series, optional
        The value (likely values), as for :func:`~portfolio_opt.select`.
    n : int, default 100
        Number of draws (solves); one more solve gives the base optimum.
    seed, distribution, duration_effect
        As for :func:`simulate`.
    executor : concurrent.futures.Executor, optional
        Where to run the solves (default serially); results are identical.
    progress : bool, optional
        Progress bar (see :func:`portfolio_opt.parallel.run_many`).
    **select_options
        Passed to :func:`~portfolio_opt.select` (solver, time_limit, gap,
        threads, budget, schedule, buckets, max_average_risk, force_in,
        force_out).

    Returns
    -------
    SelectionProbability

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 3.0],
    ...                              "value": [5.0, 3.0, 3.0], "value_high": [9.0, 3.0, 3.0]}),
    ...                budget=6)
    >>> result = selection_probability(pf, n=10, seed=3)
    >>> result.probability["base_selected"].tolist()
    [False, True, True]
    >>> bool(result.probability.loc["A", "probability"] > 0)
    True
    """
    where = "selection_probability"
    check_executor(executor, where)
    effect = _effect(duration_effect, where)
    draws, ranges = _draw(portfolio, value, n, seed, distribution, where)
    ids = draws.ids
    tasks = [_Task(portfolio, ranges["value"].copy(), None, None, effect, select_options)]
    tasks += [_Task(portfolio, pd.Series(draws.value[i], index=ids, name="value"),
                    draws.cost[i], draws.duration[i], effect, select_options)
              for i in range(len(draws.cost))]
    results = run_many(_solve_draw, tasks, executor=executor, progress=progress, desc=where)
    table = pd.DataFrame(results[1:], index=pd.RangeIndex(len(results) - 1, name="draw"))
    solved = table["status"].isin(_SOLVED).to_numpy()
    chosen = np.zeros((len(table), len(ids)), dtype=bool)
    for i, sel in enumerate(table["selected"]):
        chosen[i, ids.get_indexer(list(sel))] = True
    times = chosen[solved].sum(axis=0)
    k = max(int(solved.sum()), 1)
    p = times / k if solved.any() else np.full(len(ids), np.nan)
    base = pd.Series(results[0], dtype=object, name="base")
    probability = pd.DataFrame({
        "probability": p, "times_selected": times,
        "stderr": np.sqrt(p * (1 - p) / k),
        "base_selected": ids.isin(list(base["selected"]))}, index=ids)
    return SelectionProbability(probability=probability, draws=table, base=base, n=int(n),
                                seed=seed)
