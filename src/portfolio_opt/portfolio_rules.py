"""Checks of the optional rule tables of a portfolio: groups, buckets, substitution.

``groups`` (``group, project_id``) with ``group_limits`` (``group, min, max``)
name sets of projects of which at least / at most so many are selected;
``buckets`` (``column, value, measure, min, max``) bound the share of a
measure held by the projects whose column reads a value; ``substitution``
(``competence, covers, efficiency[, max_amount]``) lets one competence do
another's work. Every problem found is reported in the analyst's words (see
:mod:`portfolio_opt.portfolio_checks`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import describe_ids
from portfolio_opt.portfolio_checks import (
    _as_frame,
    _blank,
    _label,
    _missing_columns,
    _numeric,
    _Problems,
    _text,
    _values,
)

__all__ = ["bucket_measure", "bucket_members", "check_buckets", "check_groups",
           "check_substitution"]


# -------------------------------------------------------------------------- groups


def check_groups(groups: Any, limits: Any, projects: pd.DataFrame, problems: _Problems
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check the ``groups`` (``group, project_id``) and ``group_limits`` tables.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        ``group, project_id`` (duplicates dropped) and ``group, min, max``
        (NaN where no limit).
    """
    members = _blank(["group", "project_id"])
    table = _blank(["group", "min", "max"], floats=["min", "max"])
    if groups is not None:
        g = _as_frame(groups, "groups")
        if not _missing_columns(g, "groups", ["group", "project_id"], problems):
            g = g[["group", "project_id"]].assign(group=_text(g["group"]),
                                                  project_id=_text(g["project_id"]))
            no_name = g["group"].isna()
            if no_name.any():
                problems.add(
                    f"groups table, column 'group': {describe_ids(g.loc[no_name, 'project_id'])}"
                    " have no group name. Name the group of every row."
                )
            unknown = ~g["project_id"].isin(projects.index)
            if unknown.any():
                problems.add(
                    f"groups table, column 'project_id': "
                    f"{describe_ids(g.loc[unknown, 'project_id'].fillna('(empty)'))} are not in "
                    "the projects table. Fix the ids or remove those rows."
                )
            members = g.loc[~no_name & ~unknown].drop_duplicates().reset_index(drop=True)
    if limits is None:
        return members, table
    lim = _as_frame(limits, "group_limits")
    if _missing_columns(lim, "group_limits", ["group"], problems):
        return members, table
    if "min" not in lim.columns and "max" not in lim.columns:
        problems.add("group_limits table: needs a 'min' or a 'max' column (or both): the least "
                     "and most projects of the group to select.")
        return members, table
    lim = lim.assign(group=_text(lim["group"]))
    for col in ("min", "max"):
        if col not in lim.columns:
            lim[col] = np.nan
            continue
        num = _numeric(lim, "group_limits", col, problems, id_column="group", noun="group")
        bad = num.notna() & (~np.isfinite(num) | (num < 0) | (num != np.round(num)))
        if bad.any():
            problems.add(
                f"group_limits table, column {col!r}: groups {_values(lim.loc[bad, 'group'])} "
                f"have a limit that is not a whole number >= 0 ({_values(num[bad])}). Give a "
                "number of projects."
            )
        lim[col] = num.where(~bad)
    unknown = ~lim["group"].isin(members["group"])
    if unknown.any():
        problems.add(
            f"group_limits table, column 'group': groups {_values(lim.loc[unknown, 'group'])} "
            "have no members in the groups table. Add their projects to the groups table or "
            "fix the names."
        )
    empty = lim["min"].isna() & lim["max"].isna()
    if empty.any():
        problems.add(f"group_limits table: groups {_values(lim.loc[empty, 'group'])} give "
                     "neither min nor max. Give at least one limit or remove the row.")
    order = lim["min"] > lim["max"]
    if order.any():
        problems.add(f"group_limits table: groups {_values(lim.loc[order, 'group'])} have min "
                     "above max. Swap them.")
    dup = lim["group"].duplicated(keep=False)
    if dup.any():
        problems.add(f"group_limits table: several rows for groups "
                     f"{_values(lim.loc[dup, 'group'].unique())}. Keep one row per group.")
    keep = ~unknown & ~empty & ~order & ~lim["group"].duplicated()
    table = lim.loc[keep, ["group", "min", "max"]].reset_index(drop=True)
    return members, table.astype({"min": float, "max": float})


# ------------------------------------------------------------------------- buckets


def bucket_members(projects: pd.DataFrame, column: str, value: str) -> np.ndarray:
    """Tell which projects have ``column`` equal to ``value`` (as text, ignoring case)."""
    text = projects[column].map(lambda v: "" if pd.isna(v) else _label(v).casefold())
    return (text == value.strip().casefold()).to_numpy()


def bucket_measure(projects: pd.DataFrame, measure: str) -> np.ndarray:
    """Return what each project adds to a bucket's measure (cost, count or a column)."""
    if measure == "count":
        return np.ones(len(projects))
    return projects[measure].to_numpy(dtype=float)


def check_buckets(buckets: Any, projects: pd.DataFrame, problems: _Problems) -> pd.DataFrame:
    """Check a buckets table ``column, value, measure, min, max`` against the projects.

    Parameters
    ----------
    buckets : pandas.DataFrame or None
    projects : pandas.DataFrame
        The normalised projects table (indexed by ``project_id``).
    problems : _Problems

    Returns
    -------
    pandas.DataFrame
        ``column, value, measure, min, max`` with shares in [0, 1] (NaN where no
        limit) and ``measure`` one of ``cost``, ``count`` or a numeric column.
    """
    out = _blank(["column", "value", "measure", "min", "max"], floats=["min", "max"])
    if buckets is None:
        return out
    b = _as_frame(buckets, "buckets")
    if _missing_columns(b, "buckets", ["column", "value"], problems):
        return out
    if "min" not in b.columns and "max" not in b.columns:
        problems.add("buckets table: needs a 'min' or a 'max' column (or both): the least and "
                     "most share (0 to 1) of the selected total in the bucket.")
        return out
    b = b.reset_index(drop=True)
    b["column"] = _text(b["column"])
    b["value"] = _text(b["value"])
    b["measure"] = _text(b["measure"]).fillna("cost") if "measure" in b.columns else "cost"
    name = b["column"].fillna("") + "=" + b["value"].fillna("")
    ok = pd.Series(True, index=b.index)
    cols = [c for c in projects.columns]
    unknown = ~b["column"].isin(cols)
    if unknown.any():
        problems.add(
            f"buckets table, column 'column': {_values(b.loc[unknown, 'column'].fillna(''))} "
            f"are not columns of the projects table (columns: {_values(cols, 12)}). Name the "
            "projects column that defines the bucket, e.g. category."
        )
        ok &= ~unknown
    no_value = b["value"].isna()
    if no_value.any():
        problems.add(f"buckets table, column 'value': rows {_values(np.flatnonzero(no_value))} "
                     "have no value. Give the value of the column that defines the bucket.")
        ok &= ~no_value
    empty = [k for k in b.index[ok]
             if not bucket_members(projects, b.at[k, "column"], b.at[k, "value"]).any()]
    if empty:
        problems.add(
            f"buckets table: no project has {_values(name[empty])}. Fix the value (compared as "
            "text, ignoring case) or remove the row."
        )
        ok[empty] = False
    numeric = [c for c in cols if pd.api.types.is_numeric_dtype(projects[c])
               and projects[c].dtype != bool]
    bad_measure = ~b["measure"].isin(["cost", "count", *numeric])
    if bad_measure.any():
        problems.add(
            f"buckets table, column 'measure': {_values(b.loc[bad_measure, 'measure'].unique())} "
            f"is not cost, count or a numeric column of the projects table "
            f"({_values(numeric, 12)})."
        )
        ok &= ~bad_measure
    for m in b.loc[~bad_measure, "measure"].unique():
        if m in ("cost", "count"):
            continue
        amount = projects[m].to_numpy(dtype=float)
        neg = ~np.isfinite(amount) | (amount < 0)
        if neg.any():
            problems.add(
                f"buckets table, column 'measure': the projects column {m!r} is missing or "
                f"negative for {describe_ids(projects.index[neg])}; a share needs amounts "
                ">= 0 for every project. Fill them in or choose another measure."
            )
            ok &= b["measure"] != m
    for col in ("min", "max"):
        if col not in b.columns:
            b[col] = np.nan
            continue
        num = _numeric(b.assign(_name=name), "buckets", col, problems, id_column="_name",
                       noun="bucket")
        bad = num.notna() & ~((num >= 0) & (num <= 1))
        if bad.any():
            problems.add(
                f"buckets table, column {col!r}: {_values(name[bad])} have a share outside "
                f"0..1 ({_values(num[bad])}). Give a share of the selected total, e.g. 0.25."
            )
        b[col] = num.where(~bad)
    neither = b["min"].isna() & b["max"].isna()
    if neither.any():
        problems.add(f"buckets table: {_values(name[neither])} give neither min nor max. Give "
                     "at least one share or remove the row.")
    order = b["min"] > b["max"]
    if order.any():
        problems.add(f"buckets table: {_values(name[order])} have min above max. Swap them.")
    dup = b.duplicated(["column", "value", "measure"], keep=False) & ok
    if dup.any():
        problems.add(f"buckets table: several rows for {_values(name[dup].unique())} with the "
                     "same measure. Keep one row each.")
    keep = ok & ~neither & ~order & ~b.duplicated(["column", "value", "measure"])
    out = b.loc[keep, ["column", "value", "measure", "min", "max"]].reset_index(drop=True)
    return out.astype({"min": float, "max": float})


# -------------------------------------------------------------------- substitution


def check_substitution(sub: Any, competences: pd.Index, problems: _Problems) -> pd.DataFrame:
    """Check a substitution table ``competence, covers, efficiency[, max_amount]``.

    Returns
    -------
    pandas.DataFrame
        ``competence, covers, efficiency, max_amount`` (NaN: no limit).
    """
    cols = ["competence", "covers", "efficiency", "max_amount"]
    out = _blank(cols, floats=["efficiency", "max_amount"])
    if sub is None:
        return out
    s = _as_frame(sub, "substitution")
    if _missing_columns(s, "substitution", ["competence", "covers", "efficiency"], problems):
        return out
    s = s.reset_index(drop=True)
    s["competence"] = _text(s["competence"])
    s["covers"] = _text(s["covers"])
    pair = s["competence"].fillna("") + " covers " + s["covers"].fillna("")
    ok = pd.Series(True, index=s.index)
    for col in ("competence", "covers"):
        unknown = ~s[col].isin(competences)
        if unknown.any():
            problems.add(
                f"substitution table, column {col!r}: "
                f"{describe_ids(s.loc[unknown, col].fillna('(empty)'), noun='competence')} have "
                "no rows in the capacity table. Fix the names or add their capacity."
            )
            ok &= ~unknown
    same = s["competence"] == s["covers"]
    if same.any():
        problems.add(f"substitution table: {_values(s.loc[same, 'competence'])} cover "
                     "themselves. A substitution needs two different competences.")
        ok &= ~same
    eff = _numeric(s.assign(_pair=pair), "substitution", "efficiency", problems,
                   id_column="_pair", noun="pair")
    bad = ~((eff > 0) & (eff <= 1))
    if bad.any():
        problems.add(
            f"substitution table, column 'efficiency': {_values(pair[bad])} have an efficiency "
            f"outside (0, 1] ({_values(eff[bad])}). One unit of the competence covers "
            "'efficiency' units of the covered one, e.g. 0.8."
        )
        ok &= ~bad
    if "max_amount" in s.columns:
        amount = _numeric(s.assign(_pair=pair), "substitution", "max_amount", problems,
                          id_column="_pair", noun="pair")
        bad = amount.notna() & (~np.isfinite(amount) | (amount < 0))
        if bad.any():
            problems.add(
                f"substitution table, column 'max_amount': {_values(pair[bad])} have a limit "
                f"that is not a finite number >= 0 ({_values(amount[bad])}). Leave it empty for "
                "no limit."
            )
            ok &= ~bad
    else:
        amount = pd.Series(np.nan, index=s.index)
    dup = s.duplicated(["competence", "covers"], keep=False) & ok
    if dup.any():
        problems.add(f"substitution table: several rows for {_values(pair[dup].unique())}. "
                     "Keep one row per pair.")
        ok &= ~s.duplicated(["competence", "covers"])
    out = pd.DataFrame({"competence": s["competence"], "covers": s["covers"],
                        "efficiency": eff, "max_amount": amount})[ok.to_numpy()]
    return out.reset_index(drop=True).astype({"efficiency": float, "max_amount": float})
