"""The portfolio data model: project ideas, demand, capacity, budget, relations.

A :class:`Portfolio` is validated once, when it is built. Every later step
(scoring, selection, analysis) can rely on its tables being complete and
consistent, keyed by ``project_id`` and aligned by label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import InputError, describe_ids
from portfolio_opt.portfolio_checks import (
    _as_frame,
    _label,
    _missing_columns,
    _numeric,
    _Problems,
    _values,
    check_capacity,
    check_demand,
    check_relations,
)
from portfolio_opt.portfolio_rules import check_buckets, check_groups, check_substitution

__all__ = ["Budget", "Portfolio", "RelationKind"]

_TRUE = {"true", "yes", "y", "1", "x", "mandatory"}
_FALSE = {"false", "no", "n", "0", ""}


class RelationKind(str, Enum):
    """Kinds of interdependency between two projects.

    ``requires``: selecting ``project_id`` needs ``other_id`` selected too
    (with a ``lag``: and ``project_id`` starts at least ``lag`` periods after
    ``other_id`` finishes).
    ``excludes``: at most one of the two is selected.
    ``together``: both or neither.
    ``synergy``: extra ``value`` (may be negative) when both are selected.
    """

    REQUIRES = "requires"
    EXCLUDES = "excludes"
    TOGETHER = "together"
    SYNERGY = "synergy"


@dataclass(frozen=True)
class Budget:
    """The money available: a total, an amount per period, or both.

    Attributes
    ----------
    total : float or None
        Total budget over the horizon; None when there is none.
    per_period : pandas.Series or None
        Budget per period, indexed by period label; None when there is none.
    """

    total: float | None = None
    per_period: pd.Series | None = None

    def __repr__(self) -> str:
        per = None if self.per_period is None else f"<{len(self.per_period)} periods>"
        return f"Budget(total={self.total!r}, per_period={per})"


def _parse_bool(raw: pd.Series, table: str, column: str, problems: _Problems) -> pd.Series:
    if raw.dtype == bool:
        return raw.copy()
    text = raw.astype("string").str.strip().str.lower().fillna("")
    num = pd.to_numeric(raw, errors="coerce")
    out = text.isin(_TRUE) | (num == 1)
    ok = text.isin(_TRUE | _FALSE) | num.isin([0, 1])
    if (~ok).any():
        problems.add(
            f"{table} table, column {column!r}: {describe_ids(raw.index[~ok])} have values "
            f"that are not yes/no ({_values(raw[~ok])}). Use true/false, yes/no or 1/0."
        )
    return out.astype(bool)


class Portfolio:
    """A validated project portfolio: the input of every analysis.

    Parameters
    ----------
    projects : pandas.DataFrame
        One row per project idea, with a ``project_id`` column (or index) and
        a ``cost`` column. Optional: ``name``, ``duration`` (periods, default
        1), ``earliest_start`` and ``latest_start`` (period labels, default the
        first period and the last period in which the project still finishes
        inside the horizon), ``mandatory`` (default False), ``category``,
        ``risk``, ``value`` and any criterion columns.
    demand : pandas.DataFrame, optional
        Long table ``project_id, competence, amount[, offset]``: the amount of
        a competence a project needs in the period ``start + offset``. Without
        an offset (or with it left empty) the amount is needed in every period
        the project runs.
    capacity : pandas.DataFrame, optional
        Long table ``competence, period, amount[, flex_amount, flex_cost]``
        (``flex_amount``: most units that may be hired in that period,
        ``flex_cost``: cost per unit hired), or a wide table with one row per
        competence (index) and one column per period.
    budget : float, pandas.Series, pandas.DataFrame or Budget, optional
        A number is a total budget; a Series indexed by period is a budget per
        period; a table ``period, amount`` holds per-period amounts and a row
        with period ``total`` for the total.
    relations : pandas.DataFrame, optional
        Table ``kind, project_id, other_id[, lag, value]`` with kind
        ``requires``, ``excludes``, ``together`` or ``synergy``; ``lag``
        (periods, requires only) makes ``project_id`` start at least ``lag``
        periods after ``other_id`` finishes; ``value`` is the synergy earned
        when both are selected.
    periods : sequence of labels, optional
        The planning periods in order (e.g. ``["2027-Q1", "2027-Q2"]``).
        Default: the periods of the capacity table, else of the per-period
        budget, else ``"0" .. "H-1"`` with H the longest duration. Labels are
        kept as strings.
    criteria : pandas.DataFrame, optional
        Table ``criterion, weight[, direction]`` used by :func:`score` when no
        criteria are passed to it.
    groups : pandas.DataFrame, optional
        Named sets of projects: ``group, project_id`` (one row per member).
    group_limits : pandas.DataFrame, optional
        ``group, min, max``: the least and most projects of each group to
        select (either may be empty).
    buckets : pandas.DataFrame, optional
        Strategic balance: ``column, value, measure, min, max``; the selected
        projects whose ``column`` equals ``value`` hold between ``min`` and
        ``max`` (shares 0..1) of the selected total of ``measure`` (``cost``,
        ``count`` or a numeric column; default ``cost``).
    substitution : pandas.DataFrame, optional
        ``competence, covers, efficiency[, max_amount]``: one unit of
        ``competence`` can do ``efficiency`` units of ``covers``' work, in any
        period (at most ``max_amount`` units of ``competence`` per period).

    Raises
    ------
    InputError
        Listing every problem found in the input, each naming the table, the
        column, the project ids and values concerned, and how to fix it.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [3.0, 5.0],
    ...                              "duration": [1, 2]}), budget=6)
    >>> pf.periods.tolist()
    ['0', '1']
    >>> pf.projects[["cost", "duration", "earliest_start", "latest_start"]]
                cost  duration earliest_start latest_start
    project_id
    A            3.0         1              0            1
    B            5.0         2              0            0
    >>> pf.budget.total
    6.0
    """

    def __init__(
        self,
        projects: pd.DataFrame,
        demand: pd.DataFrame | None = None,
        capacity: pd.DataFrame | None = None,
        budget: float | pd.Series | pd.DataFrame | Budget | None = None,
        relations: pd.DataFrame | None = None,
        periods: Sequence[Any] | None = None,
        criteria: pd.DataFrame | Mapping[str, float] | pd.Series | None = None,
        groups: pd.DataFrame | None = None,
        group_limits: pd.DataFrame | None = None,
        buckets: pd.DataFrame | None = None,
        substitution: pd.DataFrame | None = None,
    ) -> None:
        problems = _Problems()
        projects_df = self._read_ids(_as_frame(projects, "projects"), problems)
        capacity_df = None if capacity is None else self._capacity_long(capacity, problems)
        budget_obj = self._budget_input(budget, problems)
        self._periods = self._infer_periods(periods, capacity_df, budget_obj, projects_df,
                                            problems)
        if "project_id" not in projects_df.columns or len(self._periods) == 0:
            problems.raise_if_any()  # ids and periods are needed by every later check
        # duplicates were reported; later checks look at the first row of each id
        projects_df = projects_df.drop_duplicates("project_id")

        self._projects = self._check_projects(projects_df, problems)
        self._capacity = check_capacity(capacity_df, self._periods, problems)
        self._budget = self._check_budget(budget_obj, problems)
        self._demand = check_demand(demand, self._projects, self._capacity, problems)
        self._relations = check_relations(relations, self._projects,
                                          [k.value for k in RelationKind], problems)
        self._criteria = self._check_criteria(criteria, problems)
        self._groups, self._group_limits = check_groups(groups, group_limits,
                                                        self._projects, problems)
        self._buckets = check_buckets(buckets, self._projects, problems)
        self._substitution = check_substitution(substitution, self.competences, problems)
        problems.raise_if_any()

    # ------------------------------------------------------------------ access
    @property
    def projects(self) -> pd.DataFrame:
        """Projects table indexed by ``project_id`` (a copy)."""
        return self._projects.copy()

    @property
    def demand(self) -> pd.DataFrame:
        """Demand ``project_id, competence, offset, amount``, one row per offset (a copy)."""
        return self._demand.copy()

    @property
    def capacity(self) -> pd.DataFrame:
        """Capacity ``competence, period, amount, flex_amount, flex_cost`` (one row per pair).

        ``flex_amount`` is the most that may be hired in the period (0: none),
        ``flex_cost`` the cost per unit hired.
        """
        return self._capacity.copy()

    @property
    def budget(self) -> Budget:
        """The total and per-period budget."""
        per = None if self._budget.per_period is None else self._budget.per_period.copy()
        return Budget(self._budget.total, per)

    @property
    def relations(self) -> pd.DataFrame:
        """Relations ``kind, project_id, other_id, lag, value`` (a copy; NaN: not given)."""
        return self._relations.copy()

    @property
    def groups(self) -> pd.DataFrame:
        """Group membership ``group, project_id`` (a copy)."""
        return self._groups.copy()

    @property
    def group_limits(self) -> pd.DataFrame:
        """Group limits ``group, min, max`` (a copy; NaN: no limit)."""
        return self._group_limits.copy()

    @property
    def buckets(self) -> pd.DataFrame:
        """Strategic buckets ``column, value, measure, min, max`` (a copy; NaN: no limit)."""
        return self._buckets.copy()

    @property
    def substitution(self) -> pd.DataFrame:
        """Substitution ``competence, covers, efficiency, max_amount`` (a copy)."""
        return self._substitution.copy()

    @property
    def periods(self) -> pd.Index:
        """Period labels in order."""
        return self._periods

    @property
    def competences(self) -> pd.Index:
        """Competences that have a capacity, in the capacity table's order."""
        return pd.Index(self._capacity["competence"].unique(), name="competence")

    @property
    def criteria(self) -> pd.DataFrame | None:
        """Criteria table ``criterion, weight, direction``, or None."""
        return None if self._criteria is None else self._criteria.copy()

    @property
    def project_ids(self) -> pd.Index:
        """The project ids, in the order of the projects table."""
        return self._projects.index

    def __len__(self) -> int:
        return len(self._projects)

    def __repr__(self) -> str:
        b = self._budget
        return (
            f"Portfolio({len(self._projects)} projects, {len(self.competences)} competences, "
            f"{len(self._periods)} periods {self._periods[0]}..{self._periods[-1]}, "
            f"budget total={b.total}, {len(self._relations)} relations)"
        )

    def period_position(self, labels: Iterable[Any]) -> np.ndarray:
        """Map period labels to positions ``0 .. T-1``.

        Parameters
        ----------
        labels : iterable
            Period labels (compared as strings).

        Returns
        -------
        numpy.ndarray of int

        Examples
        --------
        >>> import pandas as pd
        >>> pf = Portfolio(pd.DataFrame({"project_id": ["A"], "cost": [1.0]}),
        ...                periods=["2027-Q1", "2027-Q2"])
        >>> pf.period_position(["2027-Q2"]).tolist()
        [1]
        """
        index = pd.Index([str(v) for v in labels])
        pos = self._periods.get_indexer(index)
        if (pos < 0).any():
            unknown = index[pos < 0]
            raise InputError(
                f"unknown period label(s) {_values(unknown)}; the periods are "
                f"{_values(self._periods, 12)}."
            )
        return pos

    def replace(self, **changes: Any) -> Portfolio:
        """Return a new Portfolio with some tables replaced (and validated again).

        Parameters
        ----------
        **changes
            Any of the constructor's parameters.

        Returns
        -------
        Portfolio
        """
        args: dict[str, Any] = dict(
            projects=self._projects.reset_index(),
            demand=self._demand,
            capacity=self._capacity,
            budget=self._budget,
            relations=self._relations,
            periods=list(self._periods),
            criteria=self._criteria,
            groups=self._groups,
            group_limits=self._group_limits,
            buckets=self._buckets,
            substitution=self._substitution,
        )
        unknown = set(changes) - set(args)
        if unknown:
            raise InputError(
                f"Portfolio.replace: unknown table(s) {sorted(unknown)}; "
                f"valid: {sorted(args)}."
            )
        args.update(changes)
        return Portfolio(**args)

    # ------------------------------------------------------------ validation
    @staticmethod
    def _read_ids(df: pd.DataFrame, problems: _Problems) -> pd.DataFrame:
        if "project_id" not in df.columns:
            if df.index.name == "project_id":
                df = df.reset_index()
            else:
                problems.add(
                    "projects table: missing required column 'project_id'; columns found: "
                    f"{', '.join(map(repr, map(str, df.columns)))}. Add a project_id column "
                    "(or name the index project_id)."
                )
                return df
        ids = df["project_id"]
        missing = ids.isna() | (ids.astype("string").str.strip() == "")
        if missing.any():
            problems.add(
                f"projects table, column 'project_id': rows {_values(np.flatnonzero(missing))} "
                "have no project id. Give every project a unique id."
            )
        df["project_id"] = ids.astype("string").str.strip().astype(object)
        dup = df["project_id"].duplicated(keep=False) & ~missing
        if dup.any():
            problems.add(
                f"projects table, column 'project_id': duplicate ids "
                f"{describe_ids(df.loc[dup, 'project_id'])}. Each project needs a unique id; "
                "rename or merge the duplicates."
            )
        return df

    @staticmethod
    def _capacity_long(capacity: Any, problems: _Problems) -> pd.DataFrame:
        cap = _as_frame(capacity, "capacity")
        if {"competence", "period", "amount"} <= set(cap.columns):
            flex = [c for c in ("flex_amount", "flex_cost") if c in cap.columns]
            cap = cap[["competence", "period", "amount", *flex]].copy()
        elif "competence" in cap.columns or "period" in cap.columns or "amount" in cap.columns:
            _missing_columns(cap, "capacity", ["competence", "period", "amount"], problems)
            return pd.DataFrame({"competence": [], "period": [], "amount": []})
        else:  # wide: competences x periods
            cap = cap.rename_axis(index="competence", columns="period").stack(
                future_stack=True).rename("amount").reset_index()
        cap["competence"] = cap["competence"].astype("string").str.strip().astype(object)
        cap["period"] = cap["period"].map(_label).astype(object)
        return cap

    @staticmethod
    def _budget_input(budget: Any, problems: _Problems) -> Budget:
        if budget is None:
            return Budget()
        if isinstance(budget, Budget):
            return budget
        if isinstance(budget, Real) and not isinstance(budget, bool):
            return Budget(total=float(budget))
        if isinstance(budget, pd.Series):
            return Budget(per_period=budget.copy())
        if isinstance(budget, pd.DataFrame):
            if _missing_columns(budget, "budget", ["period", "amount"], problems):
                return Budget()
            label = budget["period"].map(_label)
            is_total = label.str.lower().isin(["total", "", "nan", "<na>"])
            total = budget.loc[is_total, "amount"]
            if len(total) > 1:
                problems.add(
                    f"budget table: {len(total)} rows give a total budget "
                    f"({_values(total)}). Keep one row with period 'total'."
                )
            per = budget.loc[~is_total].set_index(label[~is_total])["amount"]
            per.index.name = "period"
            return Budget(
                total=None if total.empty else total.iloc[0],
                per_period=None if per.empty else per,
            )
        problems.add(
            f"budget: expected a number, a Series by period or a table 'period, amount'; got "
            f"{type(budget).__name__}."
        )
        return Budget()

    @staticmethod
    def _infer_periods(periods: Any, capacity: pd.DataFrame | None, budget: Budget,
                       projects: pd.DataFrame, problems: _Problems) -> pd.Index:
        if periods is not None:
            labels = pd.Index([_label(p) for p in periods], name="period")
            dup = labels[labels.duplicated()]
            if len(dup):
                problems.add(f"periods: duplicate labels {_values(dup.unique())}. "
                             "Each period needs a unique label.")
        elif capacity is not None and len(capacity):
            labels = pd.Index(pd.unique(capacity["period"]), name="period")
        elif budget.per_period is not None:
            labels = pd.Index([_label(p) for p in budget.per_period.index], name="period")
        else:
            dur = 1
            if "duration" in projects.columns:
                num = pd.to_numeric(projects["duration"], errors="coerce")
                if num.notna().any() and np.isfinite(num.max()):
                    dur = max(1, int(num.max()))
            labels = pd.Index([str(i) for i in range(dur)], name="period")
        if len(labels) == 0:
            problems.add("periods: no periods given. Pass at least one period label.")
        return labels

    def _check_projects(self, df: pd.DataFrame, problems: _Problems) -> pd.DataFrame:
        table = "projects"
        df = df.set_index("project_id")
        df.index.name = "project_id"
        if _missing_columns(df, table, ["cost"], problems):
            df["cost"] = 0.0
        cost = _numeric(df, table, "cost", problems)
        bad = ~np.isfinite(cost) | (cost < 0)
        bad &= ~(cost.isna() & df["cost"].notna())  # non-numbers already reported
        if bad.any():
            problems.add(
                f"projects table, column 'cost': {describe_ids(df.index[bad])} have a missing, "
                f"infinite or negative cost ({_values(cost[bad])}). Give every project a finite "
                "cost of 0 or more."
            )
        df["cost"] = cost

        if "duration" in df.columns:
            dur = _numeric(df, table, "duration", problems).fillna(1.0)
            bad = ~np.isfinite(dur) | (dur < 1) | (dur != np.round(dur))
            if bad.any():
                problems.add(
                    f"projects table, column 'duration': {describe_ids(df.index[bad])} have a "
                    f"duration that is not a whole number of periods >= 1 ({_values(dur[bad])}). "
                    "Give the number of periods the project runs, e.g. 1, 2, 3."
                )
            dur = dur.where(~bad, 1.0)
        else:
            dur = pd.Series(1.0, index=df.index)
        df["duration"] = dur.astype(np.int64)

        mandatory = (
            _parse_bool(df["mandatory"], table, "mandatory", problems)
            if "mandatory" in df.columns else pd.Series(False, index=df.index)
        )
        df["mandatory"] = mandatory
        for col in ("risk", "value"):
            if col in df.columns:
                df[col] = _numeric(df, table, col, problems)
        for col in ("name", "category"):
            if col in df.columns:
                df[col] = df[col].astype("string").astype(object).where(df[col].notna(), None)

        self._check_windows(df, problems)
        return df

    def _check_windows(self, df: pd.DataFrame, problems: _Problems) -> None:
        n_periods = len(self._periods)
        dur = df["duration"].to_numpy()
        pos = {}
        for col in ("earliest_start", "latest_start"):
            raw = df[col] if col in df.columns else pd.Series(None, index=df.index, dtype=object)
            given = raw.notna() & (raw.astype("string").str.strip() != "")
            labels = raw.astype(object).where(~given, raw.map(_label))
            p = np.full(len(df), -1, dtype=np.int64)
            p[given.to_numpy()] = self._periods.get_indexer(pd.Index(labels[given]))
            unknown = given.to_numpy() & (p < 0)
            if unknown.any():
                problems.add(
                    f"projects table, column {col!r}: {describe_ids(df.index[unknown])} name "
                    f"periods outside the horizon ({_values(labels[unknown])}); the periods are "
                    f"{_values(self._periods, 12)}. Use one of these labels or add the period."
                )
            pos[col] = (p, given.to_numpy() & ~unknown)
        es, es_given = pos["earliest_start"]
        ls, ls_given = pos["latest_start"]
        es = np.where(es_given, es, 0)
        last = n_periods - dur  # last start that still finishes inside the horizon
        ls = np.where(ls_given, ls, last)

        order = ls_given & (ls < es)
        if order.any():
            problems.add(
                f"projects table, columns 'earliest_start'/'latest_start': "
                f"{describe_ids(df.index[order])} have a latest start before their earliest "
                f"start. Swap them or widen the window."
            )
        late = ls_given & ~order & (ls > last)
        if late.any():
            problems.add(
                f"projects table, column 'latest_start': {describe_ids(df.index[late])} would "
                f"run past the last period {self._periods[-1]} when started at their latest "
                f"start (durations {_values(dur[late])}). Move the latest start earlier, shorten "
                "the project or add periods."
            )
        nofit = ~ls_given & (es > last)
        mand = df["mandatory"].to_numpy()
        for mask, who in ((nofit & mand, "mandatory projects "), (nofit & ~mand, "")):
            if mask.any():
                problems.add(
                    f"projects table, columns 'earliest_start'/'duration': {who}"
                    f"{describe_ids(df.index[mask])} cannot fit their window: starting at their "
                    f"earliest start they run past the last period {self._periods[-1]}. Start "
                    "them earlier, shorten them or add periods."
                )
        ls = np.where(order | late | nofit, np.maximum(es, 0), ls)
        df["earliest_start"] = self._periods[es].astype(object)
        df["latest_start"] = self._periods[np.clip(ls, 0, n_periods - 1)].astype(object)

    def _check_budget(self, budget: Budget, problems: _Problems) -> Budget:
        total = budget.total
        if total is not None:
            t = pd.to_numeric(pd.Series([total]), errors="coerce").iloc[0]
            if not np.isfinite(t) or t < 0:
                problems.add(f"budget: the total budget must be a finite number >= 0, got "
                             f"{total!r}.")
                total = None
            else:
                total = float(t)
        per = budget.per_period
        if per is not None:
            per = pd.Series(per).copy()
            per.index = pd.Index([_label(p) for p in per.index], name="period")
            amount = pd.to_numeric(per, errors="coerce").astype(float)
            bad = ~np.isfinite(amount) | (amount < 0)
            if bad.any():
                problems.add(
                    f"budget table, column 'amount': periods {_values(per.index[bad])} have a "
                    f"budget that is not a finite number >= 0 ({_values(per[bad])})."
                )
            unknown = ~per.index.isin(self._periods)
            if unknown.any():
                problems.add(
                    f"budget table, column 'period': periods {_values(per.index[unknown])} are "
                    f"not among the periods {_values(self._periods, 12)}."
                )
            if per.index.duplicated().any():
                problems.add(f"budget table: several rows for periods "
                             f"{_values(per.index[per.index.duplicated()].unique())}.")
            missing = self._periods.difference(per.index, sort=False)
            if len(missing) and not unknown.any():
                problems.add(
                    f"budget table: no budget for periods {_values(missing)}. Give a budget "
                    "for every period, or none (total only)."
                )
            per = amount[~per.index.duplicated()].reindex(self._periods)
            per.name = "budget"
        return Budget(total, per)

    def _check_criteria(self, criteria: Any, problems: _Problems) -> pd.DataFrame | None:
        if criteria is None:
            return None
        from portfolio_opt.scoring import _criteria_table  # one set of criteria rules

        try:
            table = _criteria_table(self, self._projects, criteria)  # type: ignore[arg-type]
        except InputError as exc:
            for p in exc.problems:
                problems.add(p)
            return None
        return table.assign(direction=[d.value for d in table["direction"]])

