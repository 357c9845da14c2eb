"""Balance tables: how the selected portfolio spreads risk, competences and budget.

Compute first, draw second: every view of the balance of a
:class:`~portfolio_opt.selection.Selection` is a labelled pandas table built
here; :mod:`portfolio_opt.plotting` draws these tables and
:mod:`portfolio_opt.report` writes them out. This module never imports
matplotlib.

- :func:`risk_return` -- value, risk and cost of every candidate project.
- :func:`capacity_use` -- used, capacity, utilisation and over-allocation per
  competence x period.
- :func:`category_mix` -- how the selected budget splits across categories,
  next to how the candidates split.
- :func:`spend_by_period` -- cost of the selected projects per period against
  the per-period budget.
- :func:`roadmap` -- the selected projects with start, finish and duration.
- :func:`waterline` -- every candidate in rank order with the cumulative cost
  and the budget line.
- :func:`mix_vs_targets` -- each bucket's share of the selection next to its
  min/max targets.

The last three are defined in :mod:`portfolio_opt.review_tables` and
re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import InputError, describe_ids
from portfolio_opt.review_tables import _is_over, _labels, mix_vs_targets, roadmap, waterline

if TYPE_CHECKING:
    from portfolio_opt.selection import Selection

__all__ = [
    "capacity_use",
    "category_mix",
    "mix_vs_targets",
    "risk_return",
    "roadmap",
    "spend_by_period",
    "waterline",
]


def risk_return(selection: Selection) -> pd.DataFrame:
    """Tabulate value, risk and cost of every candidate project.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.selection.select`. Its portfolio's
        ``projects`` table must have a ``risk`` column.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``project_id`` in the portfolio's order, with columns
        ``value`` (float, the objective coefficient ``selection.value``),
        ``risk`` (float), ``cost`` (float, total cost), ``category`` (str;
        ``"(no category)"`` when the portfolio has no category or the
        project has none) and ``selected`` (bool).

    Raises
    ------
    InputError
        If the projects table has no ``risk`` column, or some projects have
        no risk score.

    Examples
    --------
    >>> from portfolio_opt import select
    >>> from portfolio_opt.datasets import load_sample
    >>> selection = select(load_sample())
    >>> table = risk_return(selection)
    >>> table.shape, table.columns.tolist()
    ((60, 5), ['value', 'risk', 'cost', 'category', 'selected'])
    >>> table.loc[["P01", "P02"], ["risk", "cost", "category"]]
                risk    cost    category
    project_id
    P01          3.0   600.0      growth
    P02          3.0  1750.0  regulatory
    """
    projects = selection.portfolio.projects
    if "risk" not in projects.columns:
        raise InputError(
            "table 'projects' has no column 'risk', which the risk/return view needs; "
            "add a numeric 'risk' column with one score per project_id "
            "(for example 1 = low to 5 = high)."
        )
    risk = projects["risk"].astype(float)
    missing = risk.index[risk.isna().to_numpy()]
    if len(missing):
        raise InputError(
            f"table 'projects', column 'risk': no risk score for {describe_ids(missing)}; "
            "fill in a risk score for every project (or drop these projects)."
        )
    if "category" in projects.columns:
        category = _labels(projects, "category")
    else:
        category = pd.Series("(no category)", index=projects.index, dtype=str)
    table = pd.DataFrame(
        {
            "value": selection.value.reindex(projects.index).astype(float),
            "risk": risk,
            "cost": projects["cost"].astype(float),
            "category": category,
            "selected": selection.selected.reindex(projects.index).fillna(False).astype(bool),
        },
        index=projects.index,
    )
    table.index.name = "project_id"
    return table


def capacity_use(selection: Selection) -> pd.DataFrame:
    """Pivot the selection's use of competences into a competence x period table.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.selection.select`; its ``usage``
        table is read, nothing is recomputed.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``competence`` (the order of ``selection.usage``), with
        two column levels ``quantity`` x ``period`` (periods in the
        portfolio's order). The quantities are

        - ``used``: amount of the competence the selected projects need;
        - ``capacity``: amount available in house;
        - ``utilisation``: ``used / capacity`` (NaN when both are 0, inf when
          capacity is 0 and something is used) -- above 100 % where hiring or
          substitution supplies the rest;
        - ``hired``: units hired (flexible capacity, see ``selection.hiring``);
        - ``covered``: work other competences do in its place (its units);
        - ``lent``: units of it working for other competences;
        - ``load``: what falls on the in-house capacity,
          ``used + lent - covered - hired``;
        - ``supported``: bool, hiring or substitution supplies part of the
          need (``hired + covered`` above noise);
        - ``over_allocated``: bool, ``load`` exceeds capacity (beyond
          ``1e-9 * max(1, capacity)`` of floating-point noise) -- a plan that
          does not fit; never true for a feasible selection.

        ``table["utilisation"]`` is the competence x period matrix of
        utilisation.

    Examples
    --------
    >>> from portfolio_opt import select
    >>> from portfolio_opt.datasets import load_sample
    >>> selection = select(load_sample())
    >>> table = capacity_use(selection)
    >>> table["utilisation"].shape  # 8 competences x 12 quarters
    (8, 12)
    >>> bool(table["over_allocated"].to_numpy().any())  # the solve keeps to capacity
    False
    """
    usage = selection.usage
    periods = pd.Index(selection.portfolio.periods, name="period")
    competences = pd.Index(pd.unique(usage["competence"]), name="competence")
    usage = usage.assign(**{c: usage[c] if c in usage.columns else 0.0
                            for c in ("hired", "covered", "lent")})
    usage = usage.assign(load=usage["used"] + usage["lent"] - usage["covered"] - usage["hired"])
    parts = {}
    for quantity in ("used", "capacity", "utilisation", "hired", "covered", "lent", "load"):
        wide = usage.pivot(index="competence", columns="period", values=quantity)
        parts[quantity] = wide.reindex(index=competences, columns=periods).astype(float)
    support = parts["hired"].to_numpy() + parts["covered"].to_numpy()
    parts["supported"] = pd.DataFrame(_is_over(support, np.zeros_like(support)),
                                      index=competences, columns=periods, dtype=bool)
    over = _is_over(parts["load"].to_numpy(), parts["capacity"].to_numpy())
    parts["over_allocated"] = pd.DataFrame(over, index=competences, columns=periods, dtype=bool)
    table = pd.concat(parts, axis=1, names=["quantity", "period"])
    table.index.name = "competence"
    return table


def category_mix(selection: Selection, by: str = "category") -> pd.DataFrame:
    """Split the selected budget, and the candidates, by category.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.selection.select`.
    by : str, default "category"
        Column of the projects table to group by (any column: programme,
        strategic theme, ...). Projects with no value are grouped under
        ``"(no <by>)"``.

    Returns
    -------
    pandas.DataFrame
        Indexed by the values of ``by`` (index name ``by``), ordered by
        selected cost, then candidate cost (both descending), then label.
        Columns:

        - ``cost_selected``: total cost of the selected projects;
        - ``share_selected``: ``cost_selected`` over the cost of all selected
          projects (NaN for every row when the selected cost is 0);
        - ``count_selected``: number of selected projects;
        - ``count_candidates``: number of candidate projects;
        - ``cost_candidates``: total cost of the candidates;
        - ``share_candidates``: ``cost_candidates`` over the cost of all
          candidates (NaN when it is 0).

    Raises
    ------
    InputError
        If the projects table has no column ``by``.

    Examples
    --------
    >>> from portfolio_opt import select
    >>> from portfolio_opt.datasets import load_sample
    >>> selection = select(load_sample())
    >>> mix = category_mix(selection)
    >>> sorted(mix.index)
    ['efficiency', 'growth', 'innovation', 'maintenance', 'regulatory']
    >>> round(float(mix["share_selected"].sum()), 9), round(float(mix["share_candidates"].sum()), 9)
    (1.0, 1.0)
    """
    projects = selection.portfolio.projects
    if by not in projects.columns:
        columns = ", ".join(map(str, projects.columns))
        raise InputError(
            f"table 'projects' has no column {by!r} to group the mix by; "
            f"add that column to the projects table or pass one of: {columns}."
        )
    selected = selection.selected.reindex(projects.index).fillna(False).astype(bool)
    cost = projects["cost"].astype(float)
    frame = pd.DataFrame(
        {
            "group": _labels(projects, by).to_numpy(),
            "cost": cost.to_numpy(),
            "selected": selected.to_numpy(),
        }
    )
    frame["cost_selected"] = frame["cost"].where(frame["selected"], 0.0)
    grouped = frame.groupby("group", sort=True)
    table = pd.DataFrame(
        {
            "cost_selected": grouped["cost_selected"].sum(),
            "count_selected": grouped["selected"].sum().astype(int),
            "count_candidates": grouped.size().astype(int),
            "cost_candidates": grouped["cost"].sum(),
        }
    )
    total_selected = float(table["cost_selected"].sum())
    total_candidates = float(table["cost_candidates"].sum())
    table["share_selected"] = (
        table["cost_selected"] / total_selected if total_selected > 0 else np.nan
    )
    table["share_candidates"] = (
        table["cost_candidates"] / total_candidates if total_candidates > 0 else np.nan
    )
    table = table.reset_index().sort_values(
        ["cost_selected", "cost_candidates", "group"],
        ascending=[False, False, True],
        kind="mergesort",
    )
    table = table.set_index("group")
    table.index.name = by
    return table[
        [
            "cost_selected",
            "share_selected",
            "count_selected",
            "count_candidates",
            "cost_candidates",
            "share_candidates",
        ]
    ]


def spend_by_period(selection: Selection) -> pd.DataFrame:
    """Tabulate the cost of the selected projects per period against the budget.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.selection.select`; its ``spend``
        table is read.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``period`` in the portfolio's order, with columns
        ``cost`` (cost of the selected projects in the period, each spread
        evenly over its duration), ``budget`` (per-period budget, NaN when
        there is none), ``cumulative_cost`` (running total of ``cost``) and
        ``over_budget`` (bool, ``cost`` exceeds ``budget``; False where there
        is no per-period budget).

    Examples
    --------
    >>> from portfolio_opt import select
    >>> from portfolio_opt.datasets import load_sample
    >>> selection = select(load_sample())
    >>> spend = spend_by_period(selection)
    >>> len(spend), spend.columns.tolist()
    (12, ['cost', 'budget', 'cumulative_cost', 'over_budget'])
    >>> bool(spend["over_budget"].any())  # the solve keeps to every quarter's budget
    False
    """
    spend = selection.spend.set_index("period")
    periods = pd.Index(selection.portfolio.periods, name="period")
    table = pd.DataFrame(
        {
            "cost": spend["cost"].reindex(periods).fillna(0.0).astype(float),
            "budget": spend["budget"].reindex(periods).astype(float),
        },
        index=periods,
    )
    table["cumulative_cost"] = table["cost"].cumsum()
    table["over_budget"] = _is_over(table["cost"].to_numpy(), table["budget"].to_numpy())
    return table
