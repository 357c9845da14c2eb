"""Named what-if scenarios, solved and compared with a baseline.

A :class:`Scenario` names one change of the portfolio -- another budget, other
criteria weights, less or more capacity of some competences, projects forced
in or out, cost overruns, another value -- or several at once.
:func:`compare_scenarios` applies each scenario to a copy of the portfolio,
re-solves the full selection model for it (every constraint still applies) and
compares the answers with the baseline: projects added and removed, change in
value and cost, and the use of each competence as a share of its capacity.
The solves are independent, so they run on any
:class:`concurrent.futures.Executor` through :func:`portfolio_opt.parallel.run_many`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from portfolio_opt._display import Display
from portfolio_opt.exceptions import InfeasibleError, InputError, describe_ids
from portfolio_opt.model import SelectionModel
from portfolio_opt.parallel import check_executor, run_many
from portfolio_opt.portfolio import Budget, Portfolio
from portfolio_opt.scenario_changes import (
    changed_budget,
    changed_capacity,
    changed_costs,
    changed_weights,
    is_number,
)
from portfolio_opt.selection import Selection, select
from portfolio_opt.solvers import Status

__all__ = ["Scenario", "ScenarioComparison", "compare_scenarios"]

_WHERE = "compare_scenarios"
_SELECT_OPTIONS = ("solver", "time_limit", "gap", "threads", "schedule", "buckets",
                   "max_average_risk", "force_in", "force_out")


def _fmt(v: float) -> str:
    return f"{v:,.6g}"


def _ids_tuple(ids: Any) -> tuple[str, ...]:
    if ids is None:
        return ()
    if isinstance(ids, str):
        return (ids.strip(),)
    return tuple(dict.fromkeys(str(i).strip() for i in ids))


@dataclass(frozen=True, eq=False)
class Scenario:
    """One named what-if: the changes to make to the portfolio before selecting.

    Every change is optional; a scenario without changes is the baseline.

    Parameters
    ----------
    name : str
        The scenario's name (a row of the comparison).
    budget : float, pandas.Series or Budget, optional
        A number replaces the total budget (the per-period budget, if any,
        stays); a Series by period label replaces the per-period budget (the
        total stays); a :class:`~portfolio_opt.portfolio.Budget` replaces both.
    weights : dict or pandas.Series, optional
        New weights of criteria of the portfolio's criteria table, by
        criterion; criteria not named keep their weight. The value maximised
        is then the criteria score with these weights (see
        :func:`portfolio_opt.score`), so the baseline's value must be the
        criteria score too.
    capacity : float, dict, pandas.Series or pandas.DataFrame, optional
        A number multiplies every competence's capacity in every period; a
        dict or Series ``{competence: factor}`` multiplies those competences'
        capacity; a table ``competence[, period], factor`` or
        ``competence[, period], amount`` multiplies or replaces the capacity
        of a competence in the periods given (every period when ``period`` is
        missing or empty). Flexible capacity (hiring) is unchanged.
    force_in, force_out : iterable of project ids, optional
        Projects that must be in, or out, in this scenario (added to any
        ``force_in``/``force_out`` passed to :func:`compare_scenarios`).
    cost_overrun : float, dict or pandas.Series, optional
        Factor by which costs grow: ``1.3`` is a 30 % overrun (``0.9`` a 10 %
        saving). A number applies to every project; a dict or Series is keyed
        by project id or by category (a project's own id wins over its
        category). The cost is still spread evenly over the duration.
    value : str or pandas.Series, optional
        Another value to maximise in this scenario: a column of the projects
        table or a Series by ``project_id``.

    Examples
    --------
    >>> Scenario("cut", budget=9000, cost_overrun={"growth": 1.2})
    Scenario('cut': budget total 9,000; cost x1.2 for growth)
    >>> Scenario("baseline").describe()
    'no change'
    """

    name: str
    budget: float | pd.Series | Budget | None = None
    weights: Mapping[str, float] | pd.Series | None = None
    capacity: float | Mapping[str, float] | pd.Series | pd.DataFrame | None = None
    force_in: Sequence[str] = field(default=())
    force_out: Sequence[str] = field(default=())
    cost_overrun: float | Mapping[str, float] | pd.Series | None = None
    value: str | pd.Series | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError(f"Scenario: name must be a non-empty string, got {self.name!r}.")
        object.__setattr__(self, "force_in", _ids_tuple(self.force_in))
        object.__setattr__(self, "force_out", _ids_tuple(self.force_out))

    # ----------------------------------------------------------------- words
    def describe(self) -> str:
        """Say in a few words what the scenario changes.

        Returns
        -------
        str
            For example ``"budget total 9,000; capacity x0.8 for architecture"``.
        """
        parts = []
        b = self.budget
        if isinstance(b, Budget):
            parts.append(f"budget total {b.total if b.total is None else _fmt(b.total)}"
                         + ("" if b.per_period is None else ", per period replaced"))
        elif isinstance(b, pd.Series):
            parts.append("budget per period replaced")
        elif b is not None:
            parts.append(f"budget total {_fmt(float(b))}")
        if self.weights is not None:
            w = pd.Series(self.weights, dtype=object)
            parts.append("weights " + ", ".join(f"{k}={v}" for k, v in w.items()))
        if self.capacity is not None:
            parts.append(_describe_factor("capacity", self.capacity))
        if self.force_in:
            parts.append(f"force in {describe_ids(self.force_in, 3)}")
        if self.force_out:
            parts.append(f"force out {describe_ids(self.force_out, 3)}")
        if self.cost_overrun is not None:
            parts.append(_describe_factor("cost", self.cost_overrun))
        if self.value is not None:
            parts.append(f"value {self.value!r}" if isinstance(self.value, str)
                         else "value replaced")
        return "; ".join(parts) or "no change"

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}: {self.describe()})"

    # ----------------------------------------------------------------- apply
    def apply(self, portfolio: Portfolio) -> Portfolio:
        """Return a new portfolio with the budget, weights, capacity and costs changed.

        ``force_in``, ``force_out`` and ``value`` are options of the solve, not
        tables: they are left to :func:`compare_scenarios`. The portfolio
        passed in is not modified.

        Parameters
        ----------
        portfolio : Portfolio
            The portfolio the scenario changes; it is left as it is.

        Returns
        -------
        Portfolio
            A copy with this scenario's budget, weights, capacity and cost overruns.

        Raises
        ------
        InputError
            Naming the scenario, the change and what is wrong with it.

        Examples
        --------
        >>> import pandas as pd
        >>> from portfolio_opt import Portfolio
        >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [4.0, 2.0],
        ...                              "category": ["run", "grow"]}), budget=5)
        >>> new = Scenario("s", budget=6, cost_overrun={"grow": 1.5}).apply(pf)
        >>> new.budget.total, new.projects["cost"].tolist(), pf.projects["cost"].tolist()
        (6.0, [4.0, 3.0], [4.0, 2.0])
        """
        changes: dict[str, Any] = {}
        problems: list[str] = []
        if self.budget is not None:
            changes["budget"] = changed_budget(portfolio, self.budget, problems)
        if self.weights is not None:
            changes["criteria"] = changed_weights(portfolio, self.weights, problems)
        if self.capacity is not None:
            changes["capacity"] = changed_capacity(portfolio, self.capacity, problems)
        if self.cost_overrun is not None:
            changes["projects"] = changed_costs(portfolio, self.cost_overrun, problems)
        if problems:
            raise InputError(problems, source=f"scenario {self.name!r}")
        if not changes:
            return portfolio
        try:
            return portfolio.replace(**changes)
        except InputError as exc:
            raise InputError(exc.problems, source=f"scenario {self.name!r}") from None


def _describe_factor(what: str, spec: Any) -> str:
    if is_number(spec):
        return f"{what} x{_fmt(float(spec))}"
    if isinstance(spec, (Mapping, pd.Series)):
        s = pd.Series(spec, dtype=object)
        return f"{what} " + ", ".join(f"x{v} for {k}" for k, v in s.items())
    return f"{what} table ({len(spec)} rows)"


# --------------------------------------------------------------------------------- results
@dataclass(frozen=True, repr=False, eq=False)
class ScenarioComparison(Display):
    """The scenarios, solved and compared with the baseline.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per scenario (index ``scenario``, baseline first): ``changes``
        (in words), ``status``, ``objective``, ``bound``, ``gap``, ``cost``,
        ``budget`` (total budget applied), ``n_selected``, ``added`` and
        ``removed`` (tuples of ids, against the baseline), ``n_added``,
        ``n_removed``, ``value_change`` and ``cost_change`` (against the
        baseline), ``value_at_baseline`` (the scenario's projects valued with
        the baseline's values: differs from ``objective`` only when weights or
        the value change) and ``reason`` (why there is no portfolio, if so).
        A scenario without a portfolio (``infeasible``, or ``not_solved`` in
        the time limit) has NaN figures.
    projects : pandas.DataFrame
        Nullable boolean, one row per project, one column per scenario: in
        the scenario's portfolio or not (``<NA>`` when there is none).
    starts : pandas.DataFrame
        Start period label of each selected project, per scenario (None: out).
    usage : pandas.DataFrame
        ``scenario, competence, used, capacity, share, peak_share``: total
        demand of the selected projects over the horizon, total capacity of
        the scenario, ``share = used / capacity`` and the highest
        utilisation of a period.
    capacity : pandas.DataFrame
        ``share`` of ``usage`` as competence x scenario.
    selections : dict
        Scenario name -> :class:`~portfolio_opt.selection.Selection`, for the
        scenarios with a portfolio.
    baseline : str
        Name of the scenario the others are compared with.
    scenarios : tuple of Scenario
        The scenarios, baseline first.
    """

    summary: pd.DataFrame
    projects: pd.DataFrame
    starts: pd.DataFrame
    usage: pd.DataFrame
    capacity: pd.DataFrame
    selections: dict[str, Selection]
    baseline: str
    scenarios: tuple[Scenario, ...]

    def to_frame(self) -> pd.DataFrame:
        """Return the summary table (a copy)."""
        return self.summary.copy()

    def changed_projects(self) -> pd.DataFrame:
        """Return the rows of :attr:`projects` that differ between the solved scenarios."""
        solved = self.projects.loc[:, ~self.projects.isna().all()]
        differs = solved.nunique(axis=1, dropna=True) > 1
        return self.projects[differs]

    _rows = 20
    _float_format = "{:,.4g}".format

    def _heading(self) -> str:
        s = self.summary
        return (f"ScenarioComparison({len(s)} scenarios, baseline {self.baseline!r}: "
                f"{int((s['status'] == Status.OPTIMAL.value).sum())} optimal, "
                f"{int(s['objective'].isna().sum())} without a portfolio)")

    def __repr__(self) -> str:
        return self._heading()  # the established repr, without the angle brackets

    def _table(self) -> pd.DataFrame:
        return self.summary[["status", "objective", "cost", "n_selected", "n_added",
                             "n_removed", "value_change", "cost_change"]]


# ------------------------------------------------------------------------------ the solves
@dataclass(frozen=True)
class _Task:
    name: str
    portfolio: Portfolio
    value: pd.Series
    options: dict[str, Any]


@dataclass(frozen=True)
class _Outcome:
    name: str
    selection: Selection | None
    status: str
    reason: str


def _solve(task: _Task) -> _Outcome:
    """Solve one scenario (module level, so that process pools and Dask can run it)."""
    try:
        sel = select(task.portfolio, task.value, diagnose=False, **task.options)
    except InfeasibleError as exc:
        return _Outcome(task.name, None, Status.INFEASIBLE.value, "; ".join(exc.reasons))
    if sel.status is Status.NOT_SOLVED:
        return _Outcome(task.name, None, sel.status.value, "no portfolio found in the time "
                                                            "limit")
    return _Outcome(task.name, sel, sel.status.value, "")


def _check_forced(name: str, portfolio: Portfolio, force_in: tuple[str, ...],
                  force_out: tuple[str, ...]) -> None:
    problems = [f"{what}: {describe_ids(bad)} are not in the projects table. Fix the ids."
                for what, ids in (("force_in", force_in), ("force_out", force_out))
                if (bad := [i for i in ids if i not in portfolio.project_ids])]
    if set(force_in) & set(force_out):
        problems.append(f"{describe_ids(sorted(set(force_in) & set(force_out)))} are both "
                        "forced in and forced out (scenario and select options together). "
                        "Keep each project in one list.")
    if problems:
        raise InputError(problems, source=f"scenario {name!r}")


def _check_options(options: dict[str, Any]) -> None:
    if "budget" in options:
        raise InputError(f"{_WHERE}: budget is not a select option here; give each scenario "
                         "its budget (Scenario(name, budget=...)), the baseline uses the "
                         "portfolio's.")
    unknown = sorted(set(options) - set(_SELECT_OPTIONS))
    if unknown:
        raise InputError(f"{_WHERE}: unknown select option(s) {', '.join(unknown)}; valid: "
                         f"{', '.join(_SELECT_OPTIONS)}.")


def _scenario_list(scenarios: Iterable[Scenario], baseline: str) -> list[Scenario]:
    if isinstance(scenarios, Scenario):
        scenarios = [scenarios]
    items = list(scenarios)
    wrong = [repr(s) for s in items if not isinstance(s, Scenario)]
    if wrong:
        raise InputError(f"{_WHERE}: scenarios must be Scenario objects, got "
                         f"{', '.join(wrong[:3])}. Build them with Scenario(name, ...).")
    names = pd.Index([s.name for s in items])
    if names.duplicated().any():
        raise InputError(f"{_WHERE}: duplicate scenario names "
                         f"{', '.join(names[names.duplicated()].unique())}. Give each scenario "
                         "its own name.")
    if baseline in names:
        i = names.get_loc(baseline)
        return [items[i], *items[:i], *items[i + 1:]]
    return [Scenario(baseline), *items]


def compare_scenarios(
    portfolio: Portfolio,
    scenarios: Iterable[Scenario],
    value: str | pd.Series | None = None,
    *,
    baseline: str = "baseline",
    executor: Any = None,
    progress: bool | None = None,
    **select_options: Any,
) -> ScenarioComparison:
    """Solve each what-if scenario and compare it with the baseline.

    Each scenario's changes are applied to a copy of ``portfolio``
    (:meth:`Scenario.apply`) and the full selection model is solved again
    (:func:`portfolio_opt.select`): one exact solve per scenario, on
    ``executor`` when given. A scenario with no feasible portfolio is a row
    with status ``infeasible`` and its reason.

    Parameters
    ----------
    portfolio : Portfolio
        The baseline portfolio (not modified).
    scenarios : iterable of Scenario
        The what-ifs, with distinct names.
    value : str or pandas.Series, optional
        The value to maximise (as for :func:`~portfolio_opt.select`); a
        scenario's own ``value`` or ``weights`` replace it for that scenario.
    baseline : str, default "baseline"
        Name of the scenario the others are compared with. When no scenario
        has this name, an unchanged scenario of this name is added first.
    executor : concurrent.futures.Executor, optional
        Where to run the solves (a process pool, a Dask client's
        ``get_executor()``); default serially. Results are the same.
    progress : bool, optional
        Progress bar (see :func:`portfolio_opt.parallel.run_many`).
    **select_options
        ``solver, time_limit, gap, threads, schedule, buckets,
        max_average_risk, force_in, force_out``, passed to every solve
        (the scenarios' ``force_in``/``force_out`` are added to these).

    Returns
    -------
    ScenarioComparison

    Raises
    ------
    InputError
        Bad scenarios or options, naming the scenario and the change.
    InfeasibleError
        When the baseline itself has no feasible portfolio.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 3.0],
    ...                              "value": [5.0, 3.0, 3.0]}), budget=7)
    >>> cmp = compare_scenarios(pf, [Scenario("cut", budget=6),
    ...                              Scenario("overrun", cost_overrun={"A": 1.5})])
    >>> cmp.summary[["objective", "cost", "added", "removed", "value_change"]]
              objective  cost added removed  value_change
    scenario
    baseline        8.0   7.0    ()      ()           0.0
    cut             6.0   6.0  (C,)    (A,)          -2.0
    overrun         6.0   6.0  (C,)    (A,)          -2.0
    """
    check_executor(executor, _WHERE)
    if not isinstance(portfolio, Portfolio):
        raise InputError(f"{_WHERE}: portfolio must be a Portfolio, got "
                         f"{type(portfolio).__name__}.")
    _check_options(select_options)
    items = _scenario_list(scenarios, baseline)
    common_in = _ids_tuple(select_options.pop("force_in", None))
    common_out = _ids_tuple(select_options.pop("force_out", None))
    score_based = value is None and "value" not in portfolio._projects.columns \
        and portfolio.criteria is not None

    tasks = []
    for sc in items:
        if sc.weights is not None and sc.value is not None:
            raise InputError(f"scenario {sc.name!r}: give weights or value, not both.")
        pf = sc.apply(portfolio)
        if sc.weights is not None and not score_based:
            raise InputError(
                f"scenario {sc.name!r}: weights change the criteria score, but the value "
                "maximised is " + (f"{value!r}" if isinstance(value, str) else
                                   "the value Series given" if value is not None else
                                   "the projects table's 'value' column")
                + ". Compare on the criteria score (value=None and no 'value' column) or "
                "give the scenario value= instead of weights.")
        v = sc.value if sc.value is not None else None if sc.weights is not None else value
        try:
            series = SelectionModel(pf, v).value_series()
        except InputError as exc:
            raise InputError(exc.problems, source=f"scenario {sc.name!r}") from None
        force_in = tuple(dict.fromkeys(common_in + tuple(sc.force_in)))
        force_out = tuple(dict.fromkeys(common_out + tuple(sc.force_out)))
        _check_forced(sc.name, portfolio, force_in, force_out)
        options = dict(select_options, force_in=list(force_in) or None,
                       force_out=list(force_out) or None)
        tasks.append(_Task(sc.name, pf, series, options))

    outcomes = run_many(_solve, tasks, executor=executor, progress=progress,
                        desc="scenarios")
    base = outcomes[0]
    if base.selection is None:
        raise InfeasibleError([f"{_WHERE}: the baseline {baseline!r} has no portfolio "
                               f"({base.status}): {base.reason}. Run select(portfolio) to "
                               "diagnose it."])
    return _compare(items, tasks, outcomes, baseline)


def _compare(items: list[Scenario], tasks: list[_Task], outcomes: list[_Outcome],
             baseline: str) -> ScenarioComparison:
    base_sel = outcomes[0].selection
    assert base_sel is not None
    base_value = tasks[0].value
    base_set = base_sel.selected
    ids = base_set.index
    names = pd.Index([sc.name for sc in items], name="scenario")
    rows, usage_rows = [], []
    projects = pd.DataFrame(index=ids, columns=names, dtype="boolean")
    starts = pd.DataFrame(index=ids, columns=names, dtype=object)
    for sc, task, out in zip(items, tasks, outcomes):
        sel = out.selection
        row: dict[str, Any] = {"scenario": sc.name, "changes": sc.describe(),
                               "status": out.status}
        if sel is None:
            row.update(dict.fromkeys(("objective", "bound", "gap", "cost", "value_at_baseline",
                                      "n_selected", "n_added", "n_removed"), math.nan),
                       budget=task.portfolio.budget.total, added=None, removed=None)
        else:
            chosen = sel.selected
            added = tuple(ids[chosen.to_numpy() & ~base_set.to_numpy()])
            removed = tuple(ids[~chosen.to_numpy() & base_set.to_numpy()])
            row.update(objective=sel.objective, bound=sel.bound, gap=sel.gap, cost=sel.cost,
                       budget=sel.budget, n_selected=int(chosen.sum()), added=added,
                       removed=removed, n_added=len(added), n_removed=len(removed),
                       value_at_baseline=float(base_value[chosen].sum()) + sel.synergy)
            projects[sc.name] = chosen.astype("boolean")
            starts[sc.name] = sel.start
            u = sel.usage.groupby("competence", sort=False).agg(
                used=("used", "sum"), capacity=("capacity", "sum"),
                peak_share=("utilisation", "max"))
            with np.errstate(divide="ignore", invalid="ignore"):
                u["share"] = u["used"] / u["capacity"]
            usage_rows.append(u.reset_index().assign(scenario=sc.name))
        row["reason"] = out.reason
        rows.append(row)
    summary = pd.DataFrame(rows).set_index("scenario")
    b = summary.loc[baseline]
    summary["value_change"] = summary["objective"] - b["objective"]
    summary["cost_change"] = summary["cost"] - b["cost"]
    for col in ("n_selected", "n_added", "n_removed"):
        summary[col] = summary[col].astype("Int64")
    summary = summary[["changes", "status", "objective", "bound", "gap", "cost", "budget",
                       "n_selected", "added", "removed", "n_added", "n_removed",
                       "value_change", "cost_change", "value_at_baseline", "reason"]]
    usage = pd.concat(usage_rows, ignore_index=True)[
        ["scenario", "competence", "used", "capacity", "share", "peak_share"]]
    capacity = usage.pivot(index="competence", columns="scenario", values="share")
    capacity = capacity.reindex(index=pd.unique(usage["competence"]),
                                columns=[n for n in names if n in set(usage["scenario"])])
    capacity.columns.name = "scenario"
    selections = {o.name: o.selection for o in outcomes if o.selection is not None}
    return ScenarioComparison(summary=summary, projects=projects, starts=starts, usage=usage,
                              capacity=capacity, selections=selections, baseline=baseline,
                              scenarios=tuple(items))
