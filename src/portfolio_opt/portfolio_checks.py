"""Checks of a portfolio's tables, shared by :class:`~portfolio_opt.Portfolio` and the model.

The helpers here collect every problem found in an input table (naming the
table, the column, the ids and values concerned, and how to fix it) so that
one :class:`~portfolio_opt.InputError` lists them all. The optional tables of
the optimisation core are checked here too: the extra columns of the
relations (``lag``, synergy ``value``), flexible capacity (``flex_amount``,
``flex_cost``), project groups with their limits, strategic buckets and
competence substitution.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import InputError, describe_ids

__all__ = [
    "check_capacity",
    "check_demand",
    "check_flex",
    "check_relation_extras",
    "check_relations",
]


class _Problems:
    """Collects every problem found in the input, to report them all at once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)

    def raise_if_any(self, source: str | None = None) -> None:
        if self.items:
            raise InputError(self.items, source=source)


def _values(values: Iterable[Any], limit: int = 5) -> str:
    """Format the first few offending values for an error message."""
    vals = [repr(v) if isinstance(v, str) else f"{v:g}" if isinstance(v, float) else str(v)
            for v in values]
    text = ", ".join(vals[:limit])
    return text + (", ..." if len(vals) > limit else "")


def _label(value: Any) -> str:
    """Period labels are strings; whole floats read from files lose their '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date) and value is not pd.NaT:  # also datetime, Timestamp: Excel dates
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def _as_frame(table: Any, name: str) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table.copy()
    if isinstance(table, Mapping) or isinstance(table, list):
        try:
            return pd.DataFrame(table)
        except (ValueError, TypeError) as exc:
            raise InputError(f"{name} table: cannot be read as a table ({exc}).") from None
    raise InputError(
        f"{name} table: expected a pandas DataFrame, got {type(table).__name__}. "
        f"Pass a DataFrame (or use read_portfolio to read CSV/Excel files)."
    )


def _missing_columns(df: pd.DataFrame, table: str, required: Sequence[str],
                     problems: _Problems) -> bool:
    missing = [c for c in required if c not in df.columns]
    if missing:
        problems.add(
            f"{table} table: missing required column(s) {', '.join(map(repr, missing))}; "
            f"columns found: {', '.join(map(repr, map(str, df.columns)))}. "
            f"Add the column(s) (names are case-sensitive)."
        )
    return bool(missing)


def _numeric(df: pd.DataFrame, table: str, column: str, problems: _Problems,
             id_column: str | None = None, noun: str = "project") -> pd.Series:
    """Convert a column to float, reporting entries that are not numbers."""
    raw = df[column]
    num = pd.to_numeric(raw, errors="coerce").astype(float)
    bad = num.isna() & raw.notna()
    if bad.any():
        ids = df.loc[bad, id_column] if id_column else df.index[bad]
        problems.add(
            f"{table} table, column {column!r}: {describe_ids(ids, noun=noun)} have values "
            f"that are not numbers ({_values(raw[bad])}). Enter plain numbers."
        )
    return num


def _text(series: pd.Series) -> pd.Series:
    """Return stripped text (object dtype) with missing entries as None."""
    out = series.map(lambda v: None if pd.isna(v) else _label(v)).astype(object)
    return out.where(out != "", None)


def _blank(columns: Sequence[str], floats: Sequence[str] = ()) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=float if c in floats else object)
                         for c in columns})


# ---------------------------------------------------------- capacity, demand, relations


def check_capacity(cap: pd.DataFrame | None, periods: pd.Index, problems: _Problems
                   ) -> pd.DataFrame:
    """Check the long capacity table against the periods; one row per competence x period."""
    table = "capacity"
    if cap is None or cap.empty:
        return pd.DataFrame({"competence": pd.Series([], dtype=object),
                             "period": pd.Series([], dtype=object),
                             "amount": pd.Series([], dtype=float),
                             "flex_amount": pd.Series([], dtype=float),
                             "flex_cost": pd.Series([], dtype=float)})
    amount = _numeric(cap, table, "amount", problems, id_column="competence")
    bad = ~np.isfinite(amount) | (amount < 0)
    if bad.any():
        rows = cap.loc[bad]
        problems.add(
            f"capacity table, column 'amount': negative, infinite or missing capacity for "
            f"{_values(rows['competence'] + ' in ' + rows['period'])} "
            f"({_values(amount[bad])}). Capacity must be a finite number >= 0."
        )
    cap = check_flex(cap.assign(amount=amount), problems)
    unknown = ~cap["period"].isin(periods)
    if unknown.any():
        problems.add(
            "capacity table, column 'period': periods "
            f"{_values(cap.loc[unknown, 'period'].unique())} "
            f"are not among the periods {_values(periods, 12)}. Fix the labels or pass "
            "periods=... including them."
        )
        cap = cap.loc[~unknown]
    dup = cap.duplicated(["competence", "period"], keep=False)
    if dup.any():
        d = cap.loc[dup]
        problems.add(
            f"capacity table: several rows for the same competence and period "
            f"({_values((d['competence'] + ' in ' + d['period']).unique())}). "
            "Keep one row each."
        )
        cap = cap.drop_duplicates(["competence", "period"])
    comps = pd.unique(cap["competence"])
    full = pd.MultiIndex.from_product([comps, periods], names=["competence", "period"])
    present = pd.MultiIndex.from_frame(cap[["competence", "period"]])
    missing = full.difference(present, sort=False)
    if len(missing):
        problems.add(
            f"capacity table: no capacity given for "
            f"{_values([f'{c} in {p}' for c, p in missing])} ({len(missing)} competence-"
            "period pairs). Give every competence a row for every period (0 if none)."
        )
    out = (cap.set_index(["competence", "period"])[["amount", "flex_amount", "flex_cost"]]
           .reindex(full).fillna(0.0).reset_index())
    return out


def check_demand(demand: Any, projects: pd.DataFrame, capacity: pd.DataFrame,
                 problems: _Problems) -> pd.DataFrame:
    """Check the demand table; rows without an offset are expanded to every period."""
    table = "demand"
    empty = pd.DataFrame({"project_id": pd.Series([], dtype=object),
                          "competence": pd.Series([], dtype=object),
                          "offset": pd.Series([], dtype=np.int64),
                          "amount": pd.Series([], dtype=float)})
    if demand is None:
        return empty
    dem = _as_frame(demand, table)
    if _missing_columns(dem, table, ["project_id", "competence", "amount"], problems):
        return empty
    dem = dem.reset_index(drop=True)
    dem["project_id"] = dem["project_id"].astype("string").str.strip().astype(object)
    dem["competence"] = dem["competence"].astype("string").str.strip().astype(object)
    ok = pd.Series(True, index=dem.index)
    unknown = ~dem["project_id"].isin(projects.index)
    if unknown.any():
        problems.add(
            "demand table, column 'project_id': "
            f"{describe_ids(dem.loc[unknown, 'project_id'])} "
            "are not in the projects table. Add them to projects or remove their demand rows."
        )
        ok &= ~unknown
    amount = _numeric(dem, table, "amount", problems, id_column="project_id")
    bad = (~np.isfinite(amount) | (amount < 0)) & amount.notna() | (
        amount.isna() & dem["amount"].isna())
    if bad.any():
        problems.add(
            f"demand table, column 'amount': {describe_ids(dem.loc[bad, 'project_id'])} have "
            f"a missing, infinite or negative amount ({_values(amount[bad])}). Demand must be "
            "a finite number >= 0."
        )
    ok &= np.isfinite(amount) & (amount >= 0)
    no_cap = ~dem["competence"].isin(capacity["competence"])
    if no_cap.any():
        comps = dem.loc[no_cap, "competence"].unique()
        problems.add(
            f"demand table, column 'competence': {describe_ids(comps, noun='competence')} "
            f"needed by {describe_ids(dem.loc[no_cap, 'project_id'])} have no row in the "
            "capacity table. Add their capacity per period (or fix the spelling)."
        )
        ok &= ~no_cap
    dur = dem["project_id"].map(projects["duration"])
    if "offset" in dem.columns:
        off = _numeric(dem, table, "offset", problems, id_column="project_id")
        given = off.notna()
        bad = given & ((off < 0) | (off != np.round(off)) | (off >= dur)) & ~unknown
        if bad.any():
            problems.add(
                f"demand table, column 'offset': {describe_ids(dem.loc[bad, 'project_id'])} "
                f"have offsets that are not whole numbers from 0 to duration - 1 "
                f"({_values(off[bad])}). The offset counts periods from the project's start; "
                "leave it empty for every period."
            )
            ok &= ~bad
    else:
        off = pd.Series(np.nan, index=dem.index)
    dem = dem.assign(amount=amount, offset=off)[ok.to_numpy()]
    dur = dur[ok.to_numpy()]
    every = dem["offset"].isna().to_numpy()
    # rows without an offset apply to every period the project runs: expand in bulk
    reps = np.where(every, dur.to_numpy(), 1).astype(np.int64)
    out = dem.loc[dem.index.repeat(reps), ["project_id", "competence", "amount"]]
    starts = np.repeat(np.cumsum(reps) - reps, reps)
    within = np.arange(reps.sum()) - starts
    given_offset = np.repeat(dem["offset"].fillna(0).to_numpy(), reps)
    out["offset"] = np.where(np.repeat(every, reps), within, given_offset).astype(np.int64)
    out = (out.groupby(["project_id", "competence", "offset"], sort=False, as_index=False)
           ["amount"].sum())
    return out[["project_id", "competence", "offset", "amount"]].reset_index(drop=True)


def check_relations(relations: Any, projects: pd.DataFrame, kinds: list[str],
                    problems: _Problems) -> pd.DataFrame:
    """Check the relations table ``kind, project_id, other_id[, lag, value]``."""
    table = "relations"
    cols = ["kind", "project_id", "other_id"]
    empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in cols}).assign(
        lag=pd.Series([], dtype=float), value=pd.Series([], dtype=float))
    if relations is None:
        return empty
    raw = _as_frame(relations, table).reset_index(drop=True)
    if _missing_columns(raw, table, cols, problems):
        return empty
    rel = raw[cols].copy()
    for c in cols:
        rel[c] = rel[c].astype("string").str.strip().astype(object)
    rel["kind"] = rel["kind"].str.lower()
    valid = kinds
    bad = ~rel["kind"].isin(valid)
    if bad.any():
        problems.add(
            "relations table, column 'kind': unknown kinds "
            f"{_values(rel.loc[bad, 'kind'].unique())} "
            f"(for {describe_ids(rel.loc[bad, 'project_id'])}). Valid kinds: "
            f"{', '.join(valid)}."
        )
    for col in ("project_id", "other_id"):
        unknown = ~rel[col].isin(projects.index)
        if unknown.any():
            problems.add(
                f"relations table, column {col!r}: {describe_ids(rel.loc[unknown, col])} are "
                "not in the projects table. Fix the ids or remove those relations."
            )
            bad |= unknown
    self_rel = rel["project_id"] == rel["other_id"]
    if self_rel.any():
        problems.add(
            f"relations table: {describe_ids(rel.loc[self_rel, 'project_id'])} are related "
            "to themselves. A relation needs two different projects."
        )
        bad |= self_rel
    rel = check_relation_extras(rel, raw, problems).loc[~bad]
    # the same requires twice: one relation, with the longest lag given (none if none is)
    rel = rel.assign(_order=np.arange(len(rel)), _lag=rel["lag"].fillna(-np.inf))
    rel = rel.sort_values(["_lag"], ascending=False, kind="stable")
    rel = rel.drop_duplicates(["kind", "project_id", "other_id"]).sort_values("_order")
    return rel.drop(columns=["_order", "_lag"]).reset_index(drop=True)




def check_relation_extras(rel: pd.DataFrame, raw: pd.DataFrame, problems: _Problems
                          ) -> pd.DataFrame:
    """Add the ``lag`` and ``value`` columns of the relations, checked.

    Parameters
    ----------
    rel : pandas.DataFrame
        ``kind, project_id, other_id`` already normalised (kinds lower case).
    raw : pandas.DataFrame
        The relations table as given (for its optional ``lag`` and ``value``).
    problems : _Problems

    Returns
    -------
    pandas.DataFrame
        ``kind, project_id, other_id, lag, value`` (NaN where not given).
    """
    table = "relations"
    rel = rel.copy()
    for col in ("lag", "value"):
        if col in raw.columns:
            rel[col] = _numeric(raw.assign(project_id=rel["project_id"]), table, col, problems,
                                id_column="project_id")
        else:
            rel[col] = np.nan
    lag, value = rel["lag"], rel["value"]
    bad = lag.notna() & (lag != np.round(lag))
    if bad.any():
        problems.add(
            f"relations table, column 'lag': {describe_ids(rel.loc[bad, 'project_id'])} have "
            f"lags that are not whole numbers of periods ({_values(lag[bad])}). The lag counts "
            "periods between the other project's finish and this project's start."
        )
    wrong = lag.notna() & (rel["kind"] != "requires")
    if wrong.any():
        problems.add(
            f"relations table, column 'lag': {describe_ids(rel.loc[wrong, 'project_id'])} have "
            f"a lag on a relation of kind {_values(rel.loc[wrong, 'kind'].unique())}; a lag "
            "applies only to requires (project_id starts after other_id finishes). Remove it."
        )
    syn = rel["kind"] == "synergy"
    if syn.any() and "value" not in raw.columns:
        problems.add(
            "relations table: synergy rows need a 'value' column (the extra value earned when "
            "both projects are selected; negative for a penalty). Add the column."
        )
    else:
        missing = syn & ~np.isfinite(value)
        if missing.any():
            problems.add(
                f"relations table, column 'value': synergy rows for "
                f"{describe_ids(rel.loc[missing, 'project_id'])} have no finite value. Give the "
                "extra value earned when both projects are selected (negative for a penalty)."
            )
    extra = ~syn & value.notna()
    if extra.any():
        problems.add(
            f"relations table, column 'value': {describe_ids(rel.loc[extra, 'project_id'])} "
            f"have a value on a relation of kind {_values(rel.loc[extra, 'kind'].unique())}; "
            "only synergy rows take a value. Remove it."
        )
    if syn.any():
        pair = rel.loc[syn, ["project_id", "other_id"]]
        key = pd.Series([f"{min(a, b)}-{max(a, b)}" for a, b in pair.itertuples(index=False)],
                        index=pair.index)
        dup = key.duplicated(keep=False)
        if dup.any():
            problems.add(
                f"relations table: several synergy rows for the pair(s) "
                f"{_values(key[dup].unique())}. Keep one row per pair, with the total value."
            )
    return rel


# ---------------------------------------------------------------------- capacity flex


def check_flex(cap: pd.DataFrame, problems: _Problems) -> pd.DataFrame:
    """Check the optional ``flex_amount`` and ``flex_cost`` columns of the capacity table.

    Returns the table with both columns (0 where not given).
    """
    table = "capacity"
    cap = cap.copy()
    where = cap["competence"].astype(str) + " in " + cap["period"].astype(str)
    for col in ("flex_amount", "flex_cost"):
        if col not in cap.columns:
            cap[col] = 0.0 if col == "flex_amount" else np.nan
            continue
        num = _numeric(cap.assign(_where=where), table, col, problems, id_column="_where",
                       noun="row")
        bad = num.notna() & (~np.isfinite(num) | (num < 0))
        if bad.any():
            problems.add(
                f"capacity table, column {col!r}: {_values(where[bad])} have a negative or "
                f"infinite {col} ({_values(num[bad])}). Use a finite number >= 0."
            )
        cap[col] = num.where(~bad)
    no_price = (cap["flex_amount"] > 0) & cap["flex_cost"].isna()
    if no_price.any():
        problems.add(
            f"capacity table, column 'flex_cost': {_values(where[no_price])} may hire "
            "(flex_amount > 0) but have no flex_cost. Give the cost per unit hired (0 if free)."
        )
    cap["flex_amount"] = cap["flex_amount"].fillna(0.0).astype(float)
    cap["flex_cost"] = cap["flex_cost"].fillna(0.0).astype(float)
    return cap
