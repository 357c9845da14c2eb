"""Screen project ideas through must-pass gates before anything is optimised.

:func:`screen` applies a table of gates (``gate, column, rule, value, action[, reason]``) to
the projects: a ``reject`` gate rejects the projects for which its rule does *not* hold, a
``flag`` gate only warns, a ``mandatory`` gate makes the projects for which it *holds*
mandatory. The :class:`ScreeningResult` says which project failed which gate and why, and
carries the new :class:`~portfolio_opt.portfolio.Portfolio` without the rejected ideas. See
``docs/screening-and-sensitivity.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import InputError, describe_ids
from portfolio_opt.portfolio import Portfolio, RelationKind
from portfolio_opt.screening_gates import (
    _NO_VALUE_RULES,
    _NUMERIC_RULES,
    Action,
    OnConflict,
    Rule,
    _blank,
    _Gate,
    _kind,
    _number,
    _parse_conflict,
    _parse_gates,
    _show,
    _text,
    _values_of,
    _yes_no,
    _yes_no_value,
)

__all__ = ["Action", "OnConflict", "Rule", "ScreeningResult", "screen"]

_COMPARE = {Rule.GE: np.greater_equal, Rule.GT: np.greater, Rule.LE: np.less_equal,
            Rule.LT: np.less}
_TABLE_COLUMNS = ["project_id", "gate", "column", "rule", "threshold", "seen", "passed",
                  "action", "reason"]


@dataclass(frozen=True, repr=False)
class ScreeningResult:
    """The outcome of :func:`screen`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per project and gate, in the projects' order then the gates' order, with
        columns ``project_id, gate, column, rule, threshold, seen, passed, action, reason``:
        ``seen`` is the project's value, ``passed`` is False when the project failed a reject
        or flag gate, ``action`` is what the gate did (``none``, ``reject``, ``flag``,
        ``mandatory``, or ``overridden`` when a mandatory project failed a reject gate and was
        kept), ``reason`` says it in words. Projects rejected because they require (or go
        together with) a rejected project get a row with gate ``relations``.
    summary : pandas.DataFrame
        One row per project (indexed by ``project_id``, the projects' order): ``name`` (when
        the projects table has one), ``status`` (``kept``, ``mandatory`` or ``rejected``),
        ``failed`` (reject gates failed, ``"; "``-separated), ``flagged`` (flag gates failed
        and overridden rejections), ``mandatory_by`` (``input`` and/or the gates that made
        it mandatory), ``reason`` (the reasons of every non-passing row, in words).
    gates : pandas.DataFrame
        One row per gate: ``gate, column, rule, value, action, reason, failed, triggered,
        warning``: how many projects failed it (reject/flag gates), how many it made mandatory,
        and a warning when it rejects or flags every project or makes every one mandatory.
    rejected : pandas.Index
        Ids of the rejected projects.
    mandatory : pandas.Index
        Ids of the projects that are mandatory after screening (in the input or by a gate).
    flagged : pandas.Index
        Ids of the kept projects with a warning.
    portfolio : Portfolio
        The portfolio without the rejected projects (their demand and relations removed) and
        with the gates' mandatory projects marked mandatory.
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    gates: pd.DataFrame
    rejected: pd.Index
    mandatory: pd.Index
    flagged: pd.Index
    portfolio: Portfolio

    def __repr__(self) -> str:
        n = len(self.summary)
        return (f"ScreeningResult({n} projects: {n - len(self.rejected)} kept, "
                f"{len(self.rejected)} rejected, {len(self.mandatory)} mandatory, "
                f"{len(self.flagged)} flagged; {len(self.gates)} gates)")


def screen(portfolio: Portfolio, gates: Any, *,
           on_conflict: OnConflict | str = OnConflict.KEEP) -> ScreeningResult:
    """Apply must-pass gates to the project ideas before optimisation.

    Parameters
    ----------
    portfolio : Portfolio
        The candidate projects.
    gates : pandas.DataFrame, list of dict, str or path
        The gates table, or the path of a CSV file holding it. Columns: ``column`` and ``rule``
        (required), ``value`` (needed by every rule except ``missing``, ``present``, ``true``
        and ``false``), ``action`` (``reject`` by default, ``flag`` or ``mandatory``),
        ``gate`` (a name; default ``"<column> <rule> <value>"``) and ``reason`` (words shown
        when the gate acts). See :class:`Rule` for the rules.
    on_conflict : {"keep", "raise"}, default "keep"
        When a mandatory project (or one a mandatory project requires) fails a reject gate:
        keep it and show the failure as ``overridden``, or raise.

    Returns
    -------
    ScreeningResult

    Raises
    ------
    InputError
        Listing every problem at once: unknown table columns, unknown project columns (the
        columns are listed), unknown rules or actions (the valid ones are listed), missing or
        non-numeric values, duplicate gate names, project values that cannot be compared
        (e.g. text in a column compared with ``>=``), and conflicts when ``on_conflict`` is
        ``"raise"``.

    Notes
    -----
    Rejection cascades through relations: a project that requires a rejected project, or goes
    together with one, is rejected too ("requires P07, which is rejected"), repeatedly.
    Projects that are mandatory, and the projects they require or go together with, are never
    rejected (see ``on_conflict``). Inputs are not modified.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({
    ...     "project_id": ["P1", "P2", "P3"], "cost": [1.0, 2.0, 3.0],
    ...     "strategic_fit": [4, 2, 1], "legal": ["no", "no", "yes"],
    ...     "business_case": ["bc-1.pdf", None, "bc-3.pdf"]}))
    >>> gates = pd.DataFrame({
    ...     "gate": ["fit", "law", "case"],
    ...     "column": ["strategic_fit", "legal", "business_case"],
    ...     "rule": [">=", "true", "present"],
    ...     "value": [3, None, None],
    ...     "action": ["reject", "mandatory", "reject"],
    ...     "reason": ["strategic fit too low", "legal requirement", "missing business case"]})
    >>> result = screen(pf, gates)
    >>> result.summary[["status", "failed", "mandatory_by"]]
                   status     failed mandatory_by
    project_id
    P1               kept
    P2           rejected  fit; case
    P3          mandatory        fit          law
    >>> result.table.loc[result.table["project_id"] == "P3", ["gate", "action"]]
      gate      action
    6  fit  overridden
    7  law   mandatory
    8 case        none
    >>> result.portfolio.projects["mandatory"].to_dict()
    {'P1': False, 'P3': True}
    >>> for reason in result.table.loc[result.table["project_id"] == "P2", "reason"]:
    ...     print(reason)
    strategic fit too low: strategic_fit is 2 (required: strategic_fit >= 3)
    not mandatory: legal is false
    missing business case: business_case is missing
    """
    policy = _parse_conflict(on_conflict)
    projects = portfolio.projects
    parsed = _parse_gates(gates, projects)

    problems: list[str] = []
    rows: list[pd.DataFrame] = []
    holds_by_gate: dict[str, np.ndarray] = {}
    for gate in parsed:
        result = _evaluate(gate, _column(projects, gate.column), problems)
        if result is None:
            continue
        holds, seen_text = result
        holds_by_gate[gate.name] = holds
        rows.append(_rows(gate, projects, holds, seen_text))
    if problems:
        raise InputError(problems)

    ids = projects.index
    fails_reject = np.zeros(len(ids), dtype=bool)
    made_mandatory = np.zeros(len(ids), dtype=bool)
    for gate in parsed:
        holds = holds_by_gate[gate.name]
        if gate.action is Action.REJECT:
            fails_reject |= ~holds
        elif gate.action is Action.MANDATORY:
            made_mandatory |= holds
    mandatory = projects["mandatory"].to_numpy() | made_mandatory
    protected = _closure(ids, mandatory, portfolio.relations)
    conflict = fails_reject & protected
    if conflict.any() and policy is OnConflict.RAISE:
        raise InputError(
            f"screening: {describe_ids(ids[conflict])} fail a reject gate but are mandatory (or "
            "required by a mandatory project). Fix the data or the gates, or pass "
            "on_conflict='keep' to keep them with a warning."
        )
    rejected = fails_reject & ~protected
    rejected, cascade = _cascade(ids, rejected, portfolio.relations)

    table = pd.concat(rows + [cascade], ignore_index=True) if rows or len(cascade) else \
        _empty_table()
    table = table.astype({"passed": bool})
    overridden = (table["action"] == Action.REJECT.value) & table["project_id"].isin(
        ids[protected])
    table.loc[overridden, "action"] = "overridden"
    table.loc[overridden, "reason"] = table.loc[overridden, "reason"] + ", kept: mandatory"
    order = np.argsort(ids.get_indexer(table["project_id"]), kind="stable")
    table = table.iloc[order].reset_index(drop=True)

    summary = _summary(projects, table, rejected, mandatory, made_mandatory)
    new = _screened_portfolio(portfolio, projects, rejected, made_mandatory)
    flagged = summary.index[(summary["flagged"] != "") & (summary["status"] != "rejected")]
    return ScreeningResult(
        table=table[_TABLE_COLUMNS],
        summary=summary,
        gates=_gate_summary(parsed, table, len(ids)),
        rejected=ids[rejected],
        mandatory=ids[mandatory & ~rejected],
        flagged=flagged,
        portfolio=new,
    )


# --------------------------------------------------------------------------------------------
# evaluating one gate


def _column(projects: pd.DataFrame, name: str) -> pd.Series:
    if name == "project_id":
        return pd.Series(projects.index.to_numpy(dtype=object), index=projects.index)
    return projects[name]


def _evaluate(gate: _Gate, column: pd.Series,
              problems: list[str]) -> tuple[np.ndarray, list[str]] | None:
    """Return whether the rule holds for each project and the words for what was seen."""
    raw = column.astype(object)
    missing = raw.map(_blank).to_numpy(dtype=bool)
    where = f"gates table, gate {gate.name!r} (column {gate.column!r})"
    kind = _kind(raw, missing)
    rule = gate.rule
    shown = [f"{gate.column} is missing" if m else f"{gate.column} is {_show(v)}"
             for v, m in zip(raw, missing)]

    if rule in (Rule.MISSING, Rule.PRESENT):
        shown = [f"{gate.column} is missing" if m else f"{gate.column} is given"
                 for m in missing]
        return (missing if rule is Rule.MISSING else ~missing), shown

    if rule in (Rule.TRUE, Rule.FALSE) or kind == "bool":
        flags, bad = _yes_no(raw, missing)
        if bad.any():
            problems.append(
                f"projects table, column {gate.column!r} ({where}): "
                f"{describe_ids(raw.index[bad])} have values that are not yes/no "
                f"({', '.join(_show(v) for v in raw[bad].unique()[:5])}). Use true/false, "
                "yes/no or 1/0."
            )
            return None
        shown = [f"{gate.column} is missing" if m else f"{gate.column} is "
                 f"{'true' if f else 'false'}" for f, m in zip(flags, missing)]
        if rule is Rule.TRUE:
            return flags & ~missing, shown
        if rule is Rule.FALSE:
            return ~flags & ~missing, shown
        targets: list[Any] = [_yes_no_value(v) for v in _values_of(gate)]
        if None in targets:
            problems.append(f"{where}: the column is yes/no but the value {_show(gate.value)} "
                            "is not; use true/false, yes/no or 1/0.")
            return None
        seen = flags
    elif rule in _NUMERIC_RULES or kind == "number":
        numbers = pd.to_numeric(raw.where(~missing, np.nan), errors="coerce").to_numpy(float)
        bad = np.isnan(numbers) & ~missing
        if bad.any():
            problems.append(
                f"projects table, column {gate.column!r} ({where}): "
                f"{describe_ids(raw.index[bad])} have values that are not numbers "
                f"({', '.join(_show(v) for v in raw[bad].unique()[:5])}); rule "
                f"{rule.value!r} compares numbers. Enter numbers or leave the cell empty."
            )
            return None
        targets = [_number(v) for v in _values_of(gate)]
        if None in targets:
            problems.append(f"{where}: the column holds numbers but the value "
                            f"{_show(gate.value)} is not a number.")
            return None
        if rule in _NUMERIC_RULES:
            with np.errstate(invalid="ignore"):
                holds = _COMPARE[rule](numbers, float(targets[0])) & ~missing
            return holds, shown
        seen = numbers
    else:
        seen = np.array([str(v).strip() for v in raw], dtype=object)
        targets = [_text(v) for v in _values_of(gate)]

    if rule in (Rule.EQ, Rule.IN):
        holds = np.isin(seen, np.array(targets, dtype=seen.dtype))
    else:
        holds = ~np.isin(seen, np.array(targets, dtype=seen.dtype))
    return holds & ~missing, shown


def _rows(gate: _Gate, projects: pd.DataFrame, holds: np.ndarray,
          seen_text: list[str]) -> pd.DataFrame:
    """Build the table rows of one gate."""
    condition = _condition(gate)
    raw = _column(projects, gate.column)
    seen = [None if _blank(v) else v for v in raw]
    if gate.action is Action.MANDATORY:
        passed = np.ones(len(holds), dtype=bool)
        action = np.where(holds, Action.MANDATORY.value, "none")
        reason = [f"{gate.reason or 'mandatory'}: {s}" if h else f"not mandatory: {s}"
                  for h, s in zip(holds, seen_text)]
    else:
        passed = holds
        action = np.where(holds, "none", gate.action.value)
        required = "" if gate.rule in (Rule.MISSING, Rule.PRESENT) else \
            f" (required: {condition})"
        reason = [f"ok: {s}" if h else f"{gate.reason + ': ' if gate.reason else ''}{s}{required}"
                  for h, s in zip(holds, seen_text)]
    return pd.DataFrame({
        "project_id": projects.index.to_numpy(dtype=object), "gate": gate.name,
        "column": gate.column, "rule": gate.rule.value,
        "threshold": None if gate.value is None else _show(gate.value),
        "seen": pd.Series(seen, dtype=object).to_numpy(), "passed": passed,
        "action": action.astype(object), "reason": reason,
    })


def _condition(gate: _Gate) -> str:
    if gate.rule in _NO_VALUE_RULES:
        return f"{gate.column} {gate.rule.value}"
    if gate.rule in (Rule.IN, Rule.NOT_IN):
        values = ", ".join(_show(v) for v in _values_of(gate))
        return f"{gate.column} {gate.rule.value} {{{values}}}"
    return f"{gate.column} {gate.rule.value} {_show(gate.value)}"


# --------------------------------------------------------------------------------------------
# relations, verdicts and the new portfolio


def _pull_pairs(relations: pd.DataFrame) -> pd.DataFrame:
    """``project_id`` needs ``other_id``: requires, and together in both directions."""
    req = relations.loc[relations["kind"] == RelationKind.REQUIRES.value]
    tog = relations.loc[relations["kind"] == RelationKind.TOGETHER.value]
    flipped = tog.rename(columns={"project_id": "other_id", "other_id": "project_id"})
    return pd.concat([req, tog, flipped], ignore_index=True)[["kind", "project_id", "other_id"]]


def _closure(ids: pd.Index, mandatory: np.ndarray, relations: pd.DataFrame) -> np.ndarray:
    """Mandatory projects and every project they need, through requires/together."""
    pairs = _pull_pairs(relations)
    needed = set(ids[mandatory])
    frontier = set(needed)
    while frontier:
        new = set(pairs.loc[pairs["project_id"].isin(frontier), "other_id"]) - needed
        needed |= new
        frontier = new
    return ids.isin(list(needed))


def _cascade(ids: pd.Index, rejected: np.ndarray,
             relations: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Reject the projects that need a rejected project, repeatedly; return their rows."""
    pairs = _pull_pairs(relations)
    rejected = rejected.copy()
    rows = []
    while True:
        out = set(ids[rejected])
        hit = pairs.loc[pairs["other_id"].isin(out) & ~pairs["project_id"].isin(out)]
        if hit.empty:
            break
        for kind, pid, other in hit.drop_duplicates("project_id").itertuples(index=False):
            verb = "requires" if kind == RelationKind.REQUIRES.value else "goes together with"
            rows.append({"project_id": pid, "gate": "relations", "column": None, "rule": kind,
                         "threshold": other, "seen": "rejected", "passed": False,
                         "action": Action.REJECT.value,
                         "reason": f"{verb} {other}, which is rejected"})
        rejected |= ids.isin(hit["project_id"])
    table = pd.DataFrame(rows, columns=_TABLE_COLUMNS)
    return rejected, table


def _summary(projects: pd.DataFrame, table: pd.DataFrame, rejected: np.ndarray,
             mandatory: np.ndarray, made_mandatory: np.ndarray) -> pd.DataFrame:
    ids = projects.index

    def joined(mask: pd.Series, column: str) -> pd.Series:
        picked = table.loc[mask]
        out = picked.groupby("project_id", sort=False)[column].agg("; ".join)
        return out.reindex(ids, fill_value="")

    gate_rows = table["gate"] != "relations"
    failed = joined(table["action"].isin([Action.REJECT.value, "overridden"]) & gate_rows,
                    "gate")
    flagged = joined(table["action"].isin([Action.FLAG.value, "overridden"]), "gate")
    by_gate = joined(table["action"] == Action.MANDATORY.value, "gate")
    given = projects["mandatory"].to_numpy()
    mandatory_by = [("input" + ("; " + g if g else "")) if m else g
                    for m, g in zip(given, by_gate)]
    reason = joined(table["action"] != "none", "reason")
    status = np.where(rejected, "rejected", np.where(mandatory, "mandatory", "kept"))
    out = pd.DataFrame(index=ids)
    if "name" in projects.columns:
        out["name"] = projects["name"]
    out["status"] = status.astype(object)
    out["failed"] = failed.to_numpy(dtype=object)
    out["flagged"] = flagged.to_numpy(dtype=object)
    out["mandatory_by"] = np.array(mandatory_by, dtype=object)
    out["reason"] = reason.to_numpy(dtype=object)
    return out


def _gate_summary(parsed: list[_Gate], table: pd.DataFrame, n: int) -> pd.DataFrame:
    records = []
    for gate in parsed:
        rows = table.loc[table["gate"] == gate.name]
        failed = int((~rows["passed"]).sum())
        triggered = int((rows["action"] == Action.MANDATORY.value).sum())
        warning = ""
        if n and failed == n:
            verb = "rejects" if gate.action is Action.REJECT else "flags"
            warning = f"{verb} every project: check the value and the column's scale"
        elif n and triggered == n:
            warning = "makes every project mandatory: check the value and the column"
        records.append({"gate": gate.name, "column": gate.column, "rule": gate.rule.value,
                        "value": None if gate.value is None else _show(gate.value),
                        "action": gate.action.value, "reason": gate.reason, "failed": failed,
                        "triggered": triggered, "warning": warning})
    columns = ["gate", "column", "rule", "value", "action", "reason", "failed", "triggered",
               "warning"]
    return pd.DataFrame(records, columns=columns)


def _screened_portfolio(portfolio: Portfolio, projects: pd.DataFrame, rejected: np.ndarray,
                        made_mandatory: np.ndarray) -> Portfolio:
    out = set(projects.index[rejected])
    kept = projects.assign(mandatory=projects["mandatory"].to_numpy() | made_mandatory)
    kept = kept.loc[~rejected].reset_index()
    demand = portfolio.demand
    relations = portfolio.relations
    relations = relations.loc[~relations["project_id"].isin(out) & ~relations["other_id"].isin(out)]
    return portfolio.replace(projects=kept, demand=demand.loc[~demand["project_id"].isin(out)],
                             relations=relations)


def _empty_table() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=bool if c == "passed" else object)
                         for c in _TABLE_COLUMNS})
