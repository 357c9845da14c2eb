"""The selection model's inputs, read from the portfolio and the options and checked.

:class:`portfolio_opt.model.SelectionModel` stores its parameters as given and
reads them through these functions when it is built, so that a bad option
raises :class:`portfolio_opt.exceptions.InputError` in the analyst's terms
(which option, which project ids, the value given and how to fix it). Each
function takes the portfolio and the raw option and returns the checked
value, aligned by ``project_id`` where it is by project; none modifies its
arguments.
"""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import InputError, describe_ids
from portfolio_opt.portfolio import Portfolio
from portfolio_opt.portfolio_checks import _Problems
from portfolio_opt.portfolio_rules import check_buckets

__all__ = ["bucket_table", "excluded", "objective_series", "project_ids", "risk_limit",
           "schedule_flag", "total_budget", "value_floor", "value_series"]


def value_series(portfolio: Portfolio, value: str | pd.Series | None) -> pd.Series:
    """Return the objective coefficient of each project, checked and aligned by id.

    Parameters
    ----------
    portfolio : Portfolio
    value : str or pandas.Series or None
        As for :class:`portfolio_opt.model.SelectionModel`: a column of the
        projects table, a Series by ``project_id`` covering every project, or
        None for the ``value`` column, else the criteria score.

    Returns
    -------
    pandas.Series
        Named ``value``, by ``project_id`` in the projects' order.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [2.0, 3.0],
    ...                              "value": [1.0, 2.0]}), budget=4)
    >>> value_series(pf, pd.Series({"B": 5, "A": 4})).tolist()
    [4.0, 5.0]
    """
    projects = portfolio._projects
    if value is None:
        if "value" in projects.columns:
            value = "value"
        elif portfolio._criteria is not None:
            from portfolio_opt.scoring import score

            return score(portfolio).rename("value").astype(float)
        else:
            raise InputError(
                "select: no value to maximise. Pass value= (a column name or a Series by "
                "project_id), add a 'value' column to the projects table, or give the "
                "portfolio a criteria table."
            )
    if isinstance(value, str):
        if value not in projects.columns:
            numeric = [c for c in projects.columns
                       if pd.api.types.is_numeric_dtype(projects[c])
                       and c not in ("duration",) and projects[c].dtype != bool]
            raise InputError(
                f"select: value column {value!r} is not in the projects table; numeric "
                f"columns: {', '.join(map(repr, numeric))}."
            )
        series = pd.to_numeric(projects[value], errors="coerce")
        source = f"projects table, column {value!r}"
    elif isinstance(value, pd.Series):
        source = "value Series"
        series = _by_id(projects, value, source)
    else:
        raise InputError(
            f"select: value must be a column name or a Series by project_id, got "
            f"{type(value).__name__}."
        )
    return _finite(projects, series, source).rename("value")


def _by_id(projects: pd.DataFrame, value: pd.Series, source: str) -> pd.Series:
    """Align a Series by ``project_id`` with the projects; every id exactly once."""
    series = value.copy()
    series.index = series.index.astype(str)
    missing = projects.index.difference(series.index, sort=False)
    extra = series.index.difference(projects.index, sort=False)
    problems = []
    if len(missing):
        problems.append(f"{source}: no value for {describe_ids(missing)}. Give a value "
                        "for every project (0 if it has none).")
    if len(extra):
        problems.append(f"{source}: {describe_ids(extra)} are not in the projects table. "
                        "Remove them or fix the ids.")
    if series.index.duplicated().any():
        problems.append(f"{source}: duplicate ids "
                        f"{describe_ids(series.index[series.index.duplicated()])}.")
    if problems:
        raise InputError(problems)
    return pd.to_numeric(series.reindex(projects.index), errors="coerce")


def _finite(projects: pd.DataFrame, series: pd.Series, source: str) -> pd.Series:
    """Return ``series`` as floats; raise naming the projects whose value is not finite."""
    bad = ~np.isfinite(series.to_numpy(dtype=float))
    if bad.any():
        raise InputError(
            f"{source}: {describe_ids(projects.index[bad])} have a missing "
            f"or non-finite value ({', '.join(map(str, series[bad].head(5)))}). Give every "
            "project a finite value."
        )
    return series.astype(float)


def objective_series(portfolio: Portfolio, objective: pd.Series | None) -> pd.Series | None:
    """Return the replaced objective (checked, aligned by id), or None for the value."""
    if objective is None:
        return None
    if not isinstance(objective, pd.Series):
        raise InputError(f"select: objective must be a Series by project_id, got "
                         f"{type(objective).__name__}.")
    source = "objective Series"
    projects = portfolio._projects
    return _finite(projects, _by_id(projects, objective, source), source).rename("objective")


def synergy_weight(weight: Any) -> float:
    """Return the weight of the synergy bonuses in a replaced objective (a finite number)."""
    if isinstance(weight, bool) or not isinstance(weight, Real) or not np.isfinite(float(weight)):
        raise InputError(f"select: synergy_weight must be a finite number, got {weight!r}.")
    return float(weight)


def excluded(portfolio: Portfolio, exclude: Iterable[Iterable[Any]] | None) -> list[pd.Index]:
    """Return the portfolios to exclude (``exclude``), each as checked project ids."""
    if exclude is None:
        return []
    if isinstance(exclude, str) or not isinstance(exclude, Iterable):
        raise InputError(f"select: exclude must be a list of portfolios (each a list of "
                         f"project ids), got {exclude!r}.")
    out = []
    for k, ids in enumerate(exclude):
        if isinstance(ids, str) or not isinstance(ids, Iterable):
            raise InputError(f"select: exclude[{k}] must be a list of project ids (one "
                             f"portfolio), got {ids!r}.")
        out.append(project_ids(portfolio, ids, f"exclude[{k}]"))
    return out


def value_floor(min_value: float | None) -> float | None:
    """Return the floor on the total value (``min_value``, checked), or None."""
    if min_value is None:
        return None
    if (isinstance(min_value, bool) or not isinstance(min_value, Real)
            or not np.isfinite(min_value)):
        raise InputError(f"select: min_value must be a finite number, got {min_value!r}.")
    return float(min_value)


def project_ids(portfolio: Portfolio, ids: Iterable[Any] | None, what: str) -> pd.Index:
    """Return ``ids`` (one id or several) as unique string ids, all in the projects table.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [2.0, 3.0]}), budget=4)
    >>> project_ids(pf, ["B", "B"], "force_in").tolist()
    ['B']
    """
    if ids is None:
        return pd.Index([], dtype=object)
    if isinstance(ids, str):
        ids = [ids]
    idx = pd.Index([str(i) for i in ids], dtype=object)
    unknown = idx.difference(portfolio._projects.index, sort=False)
    if len(unknown):
        raise InputError(f"select: {what} names {describe_ids(unknown)}, which are not in "
                         "the projects table. Fix the ids.")
    return idx.unique()


def total_budget(portfolio: Portfolio, budget: float | None) -> float | None:
    """Return the total budget applied: ``budget`` (checked), else the portfolio's."""
    if budget is None:
        return portfolio._budget.total
    b = budget
    if isinstance(b, bool) or not isinstance(b, Real) or not np.isfinite(b) or b < 0:
        raise InputError(f"select: budget must be a finite number >= 0, got {b!r}.")
    return float(b)


def bucket_table(portfolio: Portfolio, buckets: pd.DataFrame | None) -> pd.DataFrame:
    """Return the buckets applied: ``buckets`` (checked), else the portfolio's."""
    if buckets is None:
        return portfolio._buckets
    problems = _Problems()
    table = check_buckets(buckets, portfolio._projects, problems)
    problems.raise_if_any("select")
    return table


def risk_limit(portfolio: Portfolio, max_average_risk: float | None) -> float | None:
    """Return the bound on the cost-weighted average risk (checked), or None."""
    r = max_average_risk
    if r is None:
        return None
    if isinstance(r, bool) or not isinstance(r, Real) or not np.isfinite(r):
        raise InputError(f"select: max_average_risk must be a finite number, got {r!r}.")
    projects = portfolio._projects
    if "risk" not in projects.columns:
        raise InputError("select: max_average_risk needs a 'risk' column in the projects "
                         "table. Add each project's risk score.")
    risk = projects["risk"].to_numpy(dtype=float)
    bad = ~np.isfinite(risk) & (projects["cost"].to_numpy() > 0)
    if bad.any():
        raise InputError(
            f"projects table, column 'risk': {describe_ids(projects.index[bad])} have no "
            "risk score; max_average_risk needs the risk of every project that costs "
            "something. Fill them in."
        )
    return float(r)


def schedule_flag(schedule: bool) -> bool:
    """Return the ``schedule`` option, checked to be a boolean."""
    if not isinstance(schedule, (bool, np.bool_)):
        raise InputError(f"select: schedule must be True (choose the starts) or False "
                         f"(earliest starts), got {schedule!r}.")
    return bool(schedule)
