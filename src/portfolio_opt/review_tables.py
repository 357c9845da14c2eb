"""Tables behind the review plots: roadmap, waterline, mix against targets, weight tornado.

Compute first, draw second: :mod:`portfolio_opt.plotting` draws these tables (``roadmap``,
``waterline``, ``mix``, ``tornado``). This module never imports matplotlib. The three
selection tables are re-exported by :mod:`portfolio_opt.balance` (their public home:
``from portfolio_opt.balance import roadmap``), ``tornado_table`` by
:mod:`portfolio_opt.plotting.tornado`. It also holds the two small helpers the balance tables
share (text labels of a project column, over-the-limit with a noise tolerance), so that
:mod:`portfolio_opt.balance` imports from here and never the other way round.

- :func:`roadmap` -- the selected projects with start, finish and duration.
- :func:`waterline` -- every candidate in rank order with the cumulative cost and the
  budget line.
- :func:`mix_vs_targets` -- each bucket's share of the selection next to its min/max
  targets.
- :func:`tornado_table` -- how far each criterion weight can fall and rise before something
  changes, read from a weight-sensitivity table, most sensitive first.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import InputError, describe_ids
from portfolio_opt.portfolio_rules import bucket_measure, bucket_members

if TYPE_CHECKING:
    from portfolio_opt.selection import Selection

__all__ = ["mix_vs_targets", "roadmap", "tornado_table", "waterline"]


def _is_over(used: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Tell where use exceeds capacity beyond floating-point noise.

    A use counts as over-allocated when it exceeds capacity by more than
    ``1e-9 * max(1, |capacity|)``; sums of demands in floating point may miss
    the capacity by a few units in the last place.
    """
    used = np.asarray(used, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    tolerance = 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(capacity)))
    with np.errstate(invalid="ignore"):
        over = used - capacity > tolerance
    return np.asarray(over, dtype=bool)


def _labels(projects: pd.DataFrame, column: str) -> pd.Series:
    """Return a project column as text labels, missing values as ``(no <column>)``."""
    values = projects[column]
    missing = values.isna().to_numpy()
    labels = values.astype(object).where(~missing, f"(no {column})")
    return labels.map(str).astype(str)



def _groups(projects: pd.DataFrame, by: str, who: str) -> pd.Series:
    """Text label of column ``by`` per project; ``(no category)`` when the column is absent."""
    if by in projects.columns:
        return _labels(projects, by)
    if by == "category":
        return pd.Series("(no category)", index=projects.index, dtype=str)
    columns = ", ".join(map(str, projects.columns))
    raise InputError(f"{who}: table 'projects' has no column {by!r} to group by; add that "
                     f"column to the projects table or pass one of: {columns}.")


def roadmap(selection: Selection, by: str = "category") -> pd.DataFrame:
    """List the selected projects with their start, finish and duration, in start order.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.selection.select`; its ``start``
        is read (the periods chosen by the solver, or each project's earliest
        start with ``schedule=False``).
    by : str, default "category"
        Projects column that groups (and colours) the bars; missing values
        read ``"(no <by>)"``. Without a ``category`` column every project is
        in ``"(no category)"``.

    Returns
    -------
    pandas.DataFrame
        One row per selected project, indexed by ``project_id``, ordered by
        start, then finish, then id. Columns: ``name`` (if the projects have
        one), ``by`` (text label), ``start`` and ``finish`` (period labels;
        the project runs from the start of ``start`` to the end of
        ``finish``), ``start_index`` and ``finish_index`` (0-based positions
        in ``portfolio.periods``; ``finish_index = start_index + duration -
        1``), ``duration`` (periods), ``cost``, ``value`` and ``mandatory``.

    Raises
    ------
    InputError
        If ``by`` is not a projects column (other than ``category``).

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio, select
    >>> projects = pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 3.0],
    ...                          "value": [5.0, 3.0, 3.0], "duration": [1, 3, 1],
    ...                          "earliest_start": [None, None, "Q2"],
    ...                          "latest_start": [None, None, "Q2"],
    ...                          "category": ["growth", "run", "run"]})
    >>> selection = select(Portfolio(projects, periods=["Q1", "Q2", "Q3"], budget=6))
    >>> roadmap(selection)[["category", "start", "finish", "duration", "cost"]]
               category start finish  duration  cost
    project_id
    B               run    Q1     Q3         3   3.0
    C               run    Q2     Q2         1   3.0
    """
    portfolio = selection.portfolio
    projects = portfolio.projects
    groups = _groups(projects, by, "roadmap")
    chosen = selection.selected.reindex(projects.index).fillna(False).to_numpy(dtype=bool)
    rows = projects.loc[chosen]
    start_index = portfolio.period_position(selection.start.reindex(rows.index))
    duration = rows["duration"].to_numpy(dtype=np.int64)
    finish_index = start_index + duration - 1
    table = pd.DataFrame(index=rows.index)
    if "name" in rows.columns:
        table["name"] = rows["name"]
    table[by] = groups.loc[rows.index]
    table["start"] = portfolio.periods[start_index].to_numpy(dtype=object)
    table["finish"] = portfolio.periods[finish_index].to_numpy(dtype=object)
    table["start_index"] = start_index.astype(np.int64)
    table["finish_index"] = finish_index.astype(np.int64)
    table["duration"] = duration
    table["cost"] = rows["cost"].astype(float)
    table["value"] = selection.value.reindex(rows.index).astype(float)
    table["mandatory"] = rows["mandatory"].astype(bool)
    order = np.lexsort((rows.index.to_numpy(dtype=str), finish_index, start_index))
    table = table.iloc[order]
    table.index.name = "project_id"
    return table


_RANKINGS = ("value", "value_per_cost")


def _rank_order(selection: Selection, ranking: object) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the projects in waterline order and the score shown for each."""
    ids = selection.portfolio.projects.index
    value = selection.value.reindex(ids).to_numpy(dtype=float)
    cost = selection.portfolio.projects["cost"].to_numpy(dtype=float)
    if ranking is None or isinstance(ranking, str):
        kind = "value" if ranking is None else ranking
        if kind not in _RANKINGS:
            raise InputError(f"waterline: unknown ranking {kind!r}; valid: "
                             f"{', '.join(_RANKINGS)}, a ranking table, a Series of scores "
                             "or a list of project ids.")
        if kind == "value":
            key = value
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                key = np.where(cost > 0, value / cost, np.where(value > 0, np.inf, 0.0))
        order = np.lexsort((ids.to_numpy(dtype=str), -key))
        return order, key[order]
    if isinstance(ranking, pd.Series):
        given = ranking.index.map(str)
        scores = pd.to_numeric(ranking, errors="coerce").to_numpy(dtype=float)
        _check_ids(given, ids, "a Series of scores")
        key = pd.Series(scores, index=given).reindex(ids).to_numpy(dtype=float)
        if np.isnan(key).any():
            raise InputError(f"waterline: the ranking scores of "
                             f"{describe_ids(ids[np.isnan(key)])} are missing or not numbers; "
                             "give one numeric score per project.")
        order = np.lexsort((ids.to_numpy(dtype=str), -key))
        return order, key[order]
    if isinstance(ranking, pd.DataFrame):
        given = ranking.index.map(str)
        _check_ids(given, ids, "the ranking table")
        scores = (pd.to_numeric(ranking["score"], errors="coerce").to_numpy(dtype=float)
                  if "score" in ranking.columns else np.full(len(given), np.nan))
        return ids.get_indexer(given), scores
    given = pd.Index([str(i) for i in ranking])  # type: ignore[attr-defined]
    _check_ids(given, ids, "the list of project ids")
    return ids.get_indexer(given), np.full(len(given), np.nan)


def _check_ids(given: pd.Index, ids: pd.Index, what: str) -> None:
    duplicated = given[given.duplicated()].unique()
    unknown = given.difference(ids)
    missing = ids.difference(given)
    problems = []
    if len(duplicated):
        problems.append(f"{describe_ids(duplicated)} appear more than once")
    if len(unknown):
        problems.append(f"{describe_ids(unknown)} are not in the projects table")
    if len(missing):
        problems.append(f"{describe_ids(missing)} are missing")
    if problems:
        raise InputError(f"waterline: in {what}, " + "; ".join(problems) + ". Rank every "
                         "project of the portfolio exactly once (e.g. pass "
                         "scoring.ranking(portfolio)).")


def waterline(selection: Selection, ranking: object = None) -> pd.DataFrame:
    """Line the candidates up in rank order with the cumulative cost and the budget line.

    The classic waterline funds projects top-down in rank order until the
    budget runs out; the optimiser funds the best *set* instead, so a funded
    project may sit below the line and an unfunded one above it. Both are in
    the table: ``above_line`` is the rank-order cut, ``funded`` the selection.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.selection.select`.
    ranking : None, str, DataFrame, Series or list, optional
        The order: ``None`` or ``"value"`` -- by ``selection.value`` (the
        value maximised), best first; ``"value_per_cost"`` -- by value per
        unit cost; a ranking table such as :func:`~portfolio_opt.scoring.ranking`
        (its row order; its ``score`` column shown); a Series of scores by
        ``project_id`` (highest first); or a list of every project id in
        order. Ties go by ``project_id``.

    Returns
    -------
    pandas.DataFrame
        One row per candidate, indexed by ``project_id`` in waterline order,
        with columns ``rank`` (position, 1 = top), ``name`` (if any),
        ``category`` (text; ``"(no category)"`` when absent), ``score`` (the
        ranking key; NaN for a list of ids), ``cost``, ``cumulative_cost``
        (cost of this project and all ranked above it), ``above_line``
        (``cumulative_cost <= budget``, up to ``1e-9 * max(1, budget)``;
        all True without a budget), ``funded`` (selected),
        ``cumulative_funded_cost`` (cost of the funded projects down to this
        rank) and ``mandatory``. ``attrs["budget"]`` is the total budget
        applied (None when there is none) and ``attrs["cutoff"]`` the number
        of projects above the line (the line is drawn below that rank).

    Raises
    ------
    InputError
        An unknown ranking name, or a ranking that does not list every
        project exactly once, or scores that are not numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio, select
    >>> projects = pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 3.0],
    ...                          "value": [5.0, 3.0, 3.0]})
    >>> table = waterline(select(Portfolio(projects, budget=6)))
    >>> table[["rank", "score", "cumulative_cost", "above_line", "funded"]]
                rank  score  cumulative_cost  above_line  funded
    project_id
    A              1    5.0              4.0        True   False
    B              2    3.0              7.0       False    True
    C              3    3.0             10.0       False    True
    >>> table.attrs["cutoff"]
    1
    """
    projects = selection.portfolio.projects
    order, scores = _rank_order(selection, ranking)
    rows = projects.iloc[order]
    budget = selection.budget
    limit = np.inf if budget is None or not np.isfinite(budget) else float(budget)
    cost = rows["cost"].to_numpy(dtype=float)
    cumulative = np.cumsum(cost)
    funded = selection.selected.reindex(rows.index).fillna(False).to_numpy(dtype=bool)
    table = pd.DataFrame({"rank": np.arange(1, len(rows) + 1, dtype=np.int64)},
                         index=rows.index)
    if "name" in rows.columns:
        table["name"] = rows["name"]
    table["category"] = _groups(projects, "category", "waterline").iloc[order]
    table["score"] = scores
    table["cost"] = cost
    table["cumulative_cost"] = cumulative
    table["above_line"] = ~_is_over(cumulative, np.full(len(cost), limit))
    table["funded"] = funded
    table["cumulative_funded_cost"] = np.cumsum(np.where(funded, cost, 0.0))
    table["mandatory"] = rows["mandatory"].astype(bool).to_numpy()
    table.index.name = "project_id"
    table.attrs["budget"] = None if np.isinf(limit) else limit
    table.attrs["cutoff"] = int(table["above_line"].sum())
    return table


def mix_vs_targets(selection: Selection, by: str = "category",
                   measure: str | None = None) -> pd.DataFrame:
    """Set each bucket's share of the selection beside its min/max targets.

    A bucket is the set of projects whose column ``by`` reads a value
    (compared as text, ignoring case, as the ``buckets`` table does). The
    targets are the rows of the buckets applied to the selection (the
    ``buckets`` option of :func:`~portfolio_opt.selection.select`, else the
    portfolio's) whose ``column`` is ``by`` and whose ``measure`` is
    ``measure``.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.selection.select`.
    by : str, default "category"
        Projects column that defines the buckets.
    measure : str, optional
        What the share is of: ``"cost"``, ``"count"`` or a numeric projects
        column. Default: the measure of the buckets on ``by`` (``"cost"``
        when there are none).

    Returns
    -------
    pandas.DataFrame
        One row per value of ``by`` (index name ``by``; the first spelling
        met; missing values as ``"(no <by>)"``), ordered by selected amount,
        candidate amount (both descending), then label. Columns
        ``amount_selected``, ``share_selected`` (of the selected total; NaN
        when that is 0), ``count_selected``, ``amount_candidates``,
        ``share_candidates``, ``min``, ``max`` (target shares, NaN: none;
        several rows on one bucket combine to the tightest) and ``status``:
        ``"below min"``, ``"above max"`` (beyond ``1e-9``), ``"within"``,
        ``"no target"`` or ``"nothing selected"``. ``attrs`` holds ``by``
        and ``measure``.

    Raises
    ------
    InputError
        If ``by`` is not a projects column, ``measure`` is not cost, count or
        a numeric projects column, or the buckets on ``by`` use several
        measures and ``measure`` is not given.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio, select
    >>> projects = pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 3.0],
    ...                          "value": [5.0, 3.0, 3.0], "category": ["growth", "run", "run"]})
    >>> buckets = pd.DataFrame({"column": ["category"], "value": ["Growth"], "min": [0.4]})
    >>> selection = select(Portfolio(projects, budget=7, buckets=buckets))
    >>> mix_vs_targets(selection)[["share_selected", "min", "max", "status"]]
              share_selected  min  max     status
    category
    growth          0.571429  0.4  NaN     within
    run             0.428571  NaN  NaN  no target
    """
    projects = selection.portfolio.projects
    if by not in projects.columns:
        columns = ", ".join(map(str, projects.columns))
        raise InputError(f"mix_vs_targets: table 'projects' has no column {by!r} to group "
                         f"by; add that column to the projects table or pass one of: "
                         f"{columns}.")
    model = selection.model
    buckets = model.bucket_table() if model is not None else selection.portfolio.buckets
    buckets = buckets[buckets["column"] == by]
    if measure is None:
        measures = pd.unique(buckets["measure"])
        if len(measures) > 1:
            raise InputError(f"mix_vs_targets: the buckets on {by!r} use several measures "
                             f"({', '.join(map(str, measures))}); pass measure= one of them.")
        measure = str(measures[0]) if len(measures) else "cost"
    numeric = [c for c in projects.columns if pd.api.types.is_numeric_dtype(projects[c])
               and projects[c].dtype != bool]
    if measure not in ("cost", "count", *numeric):
        raise InputError(f"mix_vs_targets: measure {measure!r} is not cost, count or a "
                         f"numeric column of the projects table ({', '.join(numeric)}).")
    buckets = buckets[buckets["measure"] == measure]
    amount = bucket_measure(projects, measure)
    selected = selection.selected.reindex(projects.index).fillna(False).to_numpy(dtype=bool)
    labels = _labels(projects, by)
    keys = labels.str.strip().str.casefold().to_numpy()
    keys[projects[by].isna().to_numpy()] = "\0missing"  # never equal to a bucket value
    frame = pd.DataFrame({"key": keys, "label": labels.to_numpy(), "amount": amount,
                          "selected": selected,
                          "amount_selected": np.where(selected, amount, 0.0)})
    grouped = frame.groupby("key", sort=False)
    table = pd.DataFrame({
        "label": grouped["label"].first(),
        "amount_selected": grouped["amount_selected"].sum(),
        "count_selected": grouped["selected"].sum().astype(np.int64),
        "amount_candidates": grouped["amount"].sum(),
    })
    total_selected = float(table["amount_selected"].sum())
    total_candidates = float(table["amount_candidates"].sum())
    table["share_selected"] = (table["amount_selected"] / total_selected
                               if total_selected > 0 else np.nan)
    table["share_candidates"] = (table["amount_candidates"] / total_candidates
                                 if total_candidates > 0 else np.nan)
    table["min"] = np.nan
    table["max"] = np.nan
    for _, row in buckets.iterrows():
        members = bucket_members(projects, by, row["value"])
        key = frame.loc[members, "key"].iloc[0]
        for column, tighter in (("min", np.fmax), ("max", np.fmin)):
            table.loc[key, column] = tighter(table.loc[key, column], row[column])
    table["status"] = _target_status(table)
    table = table.sort_values(["amount_selected", "amount_candidates", "label"],
                              ascending=[False, False, True], kind="mergesort")
    table = table.set_index("label")
    table.index.name = by
    table.attrs.update(by=by, measure=measure)
    return table[["amount_selected", "share_selected", "count_selected", "amount_candidates",
                  "share_candidates", "min", "max", "status"]]


def _target_status(table: pd.DataFrame) -> np.ndarray:
    share = table["share_selected"].to_numpy(dtype=float)
    low = table["min"].to_numpy(dtype=float)
    high = table["max"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        below = share < low - 1e-9
        above = share > high + 1e-9
    has_target = ~np.isnan(low) | ~np.isnan(high)
    status = np.where(below, "below min", np.where(above, "above max", "within"))
    status = np.where(has_target, status, "no target")
    return np.where(has_target & np.isnan(share), "nothing selected", status).astype(object)


def _kind(table: pd.DataFrame) -> str:
    columns = set(table.columns)
    if {"criterion", "weight", "flip_low", "flip_high"} <= columns:
        return "flip"
    if {"criterion", "weight", "low", "high", "low_up", "high_up"} <= columns:
        return "ranking"
    if {"criterion", "weight", "low", "high", "low_in", "high_in"} <= columns:
        return "portfolio"
    raise InputError(
        "tornado_table: the table is not the output of ranking_sensitivity, "
        "portfolio_sensitivity or weight_to_flip (columns criterion, weight and low/high or "
        f"flip_low/flip_high); its columns are {', '.join(map(str, table.columns))}."
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _change(kind: str, row: pd.Series, side: str) -> tuple[float, bool, str]:
    """Weight at which something changes on one side, whether it never does, and what."""
    end = 0.0 if side == "low" else 1.0
    if kind == "flip":
        at = row[f"flip_{side}"]
        if pd.isna(at):
            return end, True, ""
        return float(at), False, "leaves" if bool(row["selected"]) else "enters"
    if kind == "ranking":
        up, down = row[f"{side}_up"], row[f"{side}_down"]
        if _blank(up):
            return end, True, ""
        return float(row[side]), False, f"{up} \u2191 {down} \u2193"
    added, removed = row[f"{side}_in"], row[f"{side}_out"]
    if _blank(added) and _blank(removed):
        return end, True, ""
    parts = [f"+{p.strip()}" for p in ("" if _blank(added) else str(added)).split(",") if p]
    parts += [f"\u2212{p.strip()}" for p in ("" if _blank(removed) else str(removed)).split(",")
              if p]
    return float(row[side]), False, " ".join(parts)


def tornado_table(table: pd.DataFrame) -> pd.DataFrame:
    """Read a weight-sensitivity table as the bars of a tornado, most sensitive first.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`~portfolio_opt.sensitivity.ranking_sensitivity` (the ranking
        changes), :func:`~portfolio_opt.sensitivity.portfolio_sensitivity` (the optimal
        portfolio changes) or :func:`~portfolio_opt.sensitivity.weight_to_flip` (a project
        enters or leaves).

    Returns
    -------
    pandas.DataFrame
        One row per criterion, indexed by ``criterion``, with ``weight`` (now),
        ``low``/``high`` (the weight at which the change happens going down/up; 0/1 when it
        never does), ``down`` = ``low - weight`` (<= 0) and ``up`` = ``high - weight``
        (>= 0), ``down_open``/``up_open`` (True: nothing changes all the way to 0/1),
        ``down_change``/``up_change`` (what happens, in words: "B ↑ A ↓" for the ranking,
        "+P07 −P12" for the portfolio, "enters"/"leaves" for a project) and ``margin`` (the
        smaller of the two moves that change something; inf when none does). Ordered by
        ``margin``, then the input order. ``attrs["kind"]`` is ``"ranking"``,
        ``"portfolio"`` or ``"flip"``.

    Raises
    ------
    InputError
        If the table is not one of those outputs.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> from portfolio_opt.sensitivity import ranking_sensitivity
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [1.0, 1.0],
    ...                              "fit": [1.0, 0.0], "return": [0.0, 1.0]}))
    >>> bars = tornado_table(ranking_sensitivity(pf, {"fit": 0.7, "return": 0.3}))
    >>> bars[["weight", "down", "up", "down_open", "up_open", "margin"]].round(2)
               weight  down   up  down_open  up_open  margin
    criterion
    fit           0.7  -0.2  0.3      False     True     0.2
    return        0.3  -0.3  0.2       True    False     0.2
    """
    kind = _kind(table)
    rows = []
    for _, row in table.iterrows():
        weight = float(row["weight"])
        low, down_open, down_change = _change(kind, row, "low")
        high, up_open, up_change = _change(kind, row, "high")
        moves = [abs(t - weight) for t, is_open in ((low, down_open), (high, up_open))
                 if not is_open]
        rows.append({"criterion": row["criterion"], "weight": weight, "low": low,
                     "high": high, "down": low - weight, "up": high - weight,
                     "down_open": down_open, "up_open": up_open,
                     "down_change": down_change, "up_change": up_change,
                     "margin": min(moves) if moves else math.inf})
    out = pd.DataFrame(rows, columns=["criterion", "weight", "low", "high", "down", "up",
                                      "down_open", "up_open", "down_change", "up_change",
                                      "margin"])
    out = out.sort_values("margin", kind="mergesort").set_index("criterion")
    out.attrs["kind"] = kind
    return out
