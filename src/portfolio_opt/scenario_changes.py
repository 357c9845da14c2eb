"""The table changes of a what-if :class:`~portfolio_opt.scenarios.Scenario`.

Each function takes a portfolio and one change of a scenario (its ``budget``,
``weights``, ``capacity`` or ``cost_overrun``), checks the change against the
portfolio and returns what :meth:`Portfolio.replace
<portfolio_opt.portfolio.Portfolio.replace>` takes for it: a budget or a new
table. What is wrong with the change is appended to ``problems`` (messages
naming the change) and the old table returned, so that a scenario reports all
its problems at once; :meth:`Scenario.apply
<portfolio_opt.scenarios.Scenario.apply>` raises them. The portfolio passed in
is never modified.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import describe_ids
from portfolio_opt.portfolio import Budget, Portfolio

__all__ = ["changed_budget", "changed_capacity", "changed_costs", "changed_weights",
           "is_number"]


def is_number(x: Any) -> bool:
    """Whether ``x`` is a real number (a bool is not).

    Examples
    --------
    >>> is_number(1.2), is_number(3), is_number(True), is_number("1")
    (True, True, False, False)
    """
    return isinstance(x, Real) and not isinstance(x, bool)


def changed_budget(portfolio: Portfolio, budget: Any, problems: list[str]) -> Budget:
    """Return the portfolio's budget changed by a scenario's ``budget``.

    Parameters
    ----------
    portfolio : Portfolio
    budget : float, pandas.Series or Budget
        A number replaces the total (the per-period budget stays), a Series
        by period the per-period budget (the total stays), a Budget both.
    problems : list of str
        Where a bad ``budget`` is reported (the old budget is returned).

    Returns
    -------
    Budget

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A"], "cost": [4.0]}), budget=5)
    >>> changed_budget(pf, 6, []).total
    6.0
    """
    old = portfolio.budget
    if isinstance(budget, Budget):
        return budget
    if isinstance(budget, pd.Series):
        return Budget(old.total, budget.copy())
    if is_number(budget) and 0 <= float(budget) < math.inf:
        return Budget(float(budget), old.per_period)
    problems.append(f"budget: expected a total budget (a finite number >= 0), a Series "
                    f"by period or a Budget, got {budget!r}.")
    return old


def changed_weights(portfolio: Portfolio, weights: Any, problems: list[str]
                    ) -> pd.DataFrame | None:
    """Return the criteria table with the weights of a scenario's ``weights``.

    Parameters
    ----------
    portfolio : Portfolio
    weights : dict or pandas.Series
        New weights by criterion (finite numbers >= 0); criteria not named
        keep theirs.
    problems : list of str
        Where bad weights are reported (the old table is returned).

    Returns
    -------
    pandas.DataFrame or None
        The new criteria table (None, with a problem, when the portfolio has
        no criteria).

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A"], "cost": [4.0], "fit": [3.0],
    ...                              "gain": [5.0]}),
    ...                criteria=pd.DataFrame({"criterion": ["fit", "gain"],
    ...                                       "weight": [1.0, 1.0]}))
    >>> changed_weights(pf, {"gain": 3}, [])["weight"].tolist()
    [1.0, 3.0]
    """
    table = portfolio.criteria
    if table is None:
        problems.append("weights: the portfolio has no criteria table to reweight. Give "
                        "the portfolio criteria (criterion, weight, direction).")
        return None
    try:
        w = pd.Series(weights, dtype=float)
    except (TypeError, ValueError):
        problems.append(f"weights: expected numbers by criterion, got {weights!r}.")
        return table
    unknown = w.index.difference(pd.Index(table["criterion"]), sort=False)
    if len(unknown):
        problems.append(
            f"weights: {describe_ids(unknown, noun='criterion')} are not criteria of the "
            f"portfolio; its criteria are {', '.join(map(str, table['criterion']))}.")
        return table
    bad = ~np.isfinite(w.to_numpy()) | (w.to_numpy() < 0)
    if bad.any():
        problems.append(f"weights: {describe_ids(w.index[bad], noun='criterion')} have a "
                        f"weight that is not a finite number >= 0 "
                        f"({', '.join(map(str, w[bad]))}).")
        return table
    new = table["criterion"].map(w)
    return table.assign(weight=new.where(new.notna(), table["weight"]).astype(float))


def changed_capacity(portfolio: Portfolio, spec: Any, problems: list[str]) -> pd.DataFrame:
    """Return the capacity table changed by a scenario's ``capacity``.

    Parameters
    ----------
    portfolio : Portfolio
    spec : float, dict, pandas.Series or pandas.DataFrame
        A factor for every competence, ``{competence: factor}``, or a table
        ``competence[, period], factor|amount`` (no period: every period).
    problems : list of str
        Where a bad ``spec`` is reported (the old table is returned).

    Returns
    -------
    pandas.DataFrame
        The long capacity table with the new ``amount`` (flexible capacity
        unchanged).

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A"], "cost": [4.0]}),
    ...                periods=["Q1", "Q2"],
    ...                capacity=pd.DataFrame({"competence": ["dev", "dev"],
    ...                                       "period": ["Q1", "Q2"], "amount": [4.0, 6.0]}))
    >>> changed_capacity(pf, {"dev": 0.5}, [])["amount"].tolist()
    [2.0, 3.0]
    """
    cap = portfolio.capacity
    comps = portfolio.competences
    if is_number(spec):
        table = pd.DataFrame({"competence": comps, "factor": float(spec)})
    elif isinstance(spec, (Mapping, pd.Series)):
        s = pd.Series(spec, dtype=object)
        table = pd.DataFrame({"competence": s.index.astype(str), "factor": s.to_numpy()})
    elif isinstance(spec, pd.DataFrame):
        table = spec.copy()
    else:
        problems.append(f"capacity: expected a factor, a dict {{competence: factor}} or a "
                        f"table competence[, period], factor|amount; got "
                        f"{type(spec).__name__}.")
        return cap
    if "competence" not in table.columns or ({"factor", "amount"} <= set(table.columns)) \
            or not ({"factor", "amount"} & set(table.columns)):
        problems.append(f"capacity: the table needs a competence column and exactly one "
                        f"of factor or amount; columns found: "
                        f"{', '.join(map(str, table.columns))}.")
        return cap
    kind = "factor" if "factor" in table.columns else "amount"
    num = pd.to_numeric(table[kind], errors="coerce").to_numpy(dtype=float)
    comp = table["competence"].astype(str).str.strip()
    period = table.get("period", pd.Series(None, index=table.index, dtype=object))
    every = period.isna() | (period.astype(str).str.strip() == "")
    period = period.astype(str).str.strip()
    if (~comp.isin(comps)).any():
        problems.append(f"capacity: {describe_ids(comp[~comp.isin(comps)], noun='competence')}"
                        f" have no capacity in the portfolio; its competences are "
                        f"{', '.join(map(str, comps))}.")
    unknown = ~every & ~period.isin(portfolio.periods)
    if unknown.any():
        problems.append(f"capacity: unknown periods {', '.join(period[unknown].unique())}; "
                        f"the periods are {portfolio.periods[0]} .. {portfolio.periods[-1]}.")
    bad = ~np.isfinite(num) | (num < 0)
    if bad.any():
        problems.append(f"capacity: {describe_ids(comp[bad], noun='competence')} have a "
                        f"{kind} that is not a finite number >= 0 "
                        f"({', '.join(map(str, table[kind][bad]))}).")
    if problems:
        return cap
    rows = pd.DataFrame({"competence": comp, "period": period, "x": num})
    rows = pd.concat([rows[~every], rows[every].drop(columns="period").merge(
        pd.DataFrame({"period": portfolio.periods.to_numpy()}), how="cross")])
    dup = rows.duplicated(["competence", "period"])
    if dup.any():
        pairs = sorted(set(rows["competence"][dup] + " in " + rows["period"][dup]))
        problems.append(f"capacity: several rows change {', '.join(pairs[:5])}. Give one "
                        "row per competence and period.")
        return cap
    x = cap.merge(rows, how="left", on=["competence", "period"])["x"].to_numpy()
    amount = cap["amount"] * x if kind == "factor" else pd.Series(x, index=cap.index)
    return cap.assign(amount=amount.where(~np.isnan(x), cap["amount"]))


def changed_costs(portfolio: Portfolio, overrun: Any, problems: list[str]) -> pd.DataFrame:
    """Return the projects table with costs grown by a scenario's ``cost_overrun``.

    Parameters
    ----------
    portfolio : Portfolio
    overrun : float, dict or pandas.Series
        A factor for every project, or factors by project id or category (a
        project's own id wins over its category; others keep their cost).
    problems : list of str
        Where a bad ``overrun`` is reported.

    Returns
    -------
    pandas.DataFrame
        The projects table (``project_id`` a column) with the new costs.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 2.0, 2.0],
    ...                              "category": ["run", "grow", "grow"]}))
    >>> changed_costs(pf, {"grow": 1.5, "C": 2.0}, [])["cost"].tolist()
    [4.0, 3.0, 4.0]
    """
    projects = portfolio.projects
    if is_number(overrun):
        factor = pd.Series(float(overrun), index=projects.index)
        keys = pd.Series([float(overrun)], index=["all projects"])
    elif isinstance(overrun, (Mapping, pd.Series)):
        keys = pd.Series(overrun, dtype=object)
        keys.index = keys.index.astype(str)
        keys = pd.to_numeric(keys, errors="coerce").astype(float)
        category = (projects["category"].astype(object) if "category" in projects.columns
                    else pd.Series(None, index=projects.index, dtype=object))
        by_cat = category.map(keys.to_dict())
        by_id = pd.Series(projects.index.map(keys.to_dict().get), index=projects.index,
                          dtype=float)
        factor = by_id.fillna(by_cat.astype(float)).fillna(1.0)
        unknown = ~keys.index.isin(projects.index) & ~keys.index.isin(category.dropna())
        if unknown.any():
            problems.append(f"cost_overrun: {', '.join(keys.index[unknown])} are neither "
                            "project ids nor categories of the projects table. Fix the "
                            "keys.")
    else:
        problems.append(f"cost_overrun: expected a factor (e.g. 1.3 for +30 %), or a dict "
                        f"by project id or category; got {type(overrun).__name__}.")
        return projects.reset_index()
    bad = ~np.isfinite(keys.to_numpy()) | (keys.to_numpy() < 0)
    if bad.any():
        problems.append(f"cost_overrun: factors must be finite numbers >= 0 (1.3 is a 30 % "
                        f"overrun); got {', '.join(map(str, keys[bad]))} for "
                        f"{', '.join(keys.index[bad])}.")
    return projects.assign(cost=projects["cost"] * factor).reset_index()
