"""The gates table of :func:`portfolio_opt.screening.screen`: rules, actions, reading, cells.

A gate is a row ``gate, column, rule, value, action[, reason]``; this module reads the table
(a DataFrame, a list of dicts or a CSV file), checks every row against the projects table and
reads the cells (numbers, yes/no values, lists separated by ``;``). Import the public names
from :mod:`portfolio_opt.screening`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import InputError

__all__ = ["Action", "OnConflict", "Rule"]

_GATE_COLUMNS = ("gate", "column", "rule", "value", "action", "reason")
_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0"}
_LIST_SEPARATOR = ";"


class Rule(str, Enum):
    """The test a gate applies to a project's value in its column.

    Comparisons (``>=``, ``>``, ``<=``, ``<``) need a numeric column and a numeric value;
    ``==`` and ``!=`` compare numbers, yes/no values or text (exact, after trimming spaces);
    ``in`` and ``not in`` take a list (a list in the cell, or text separated by ``;``);
    ``missing`` / ``present`` test whether a value is given; ``true`` / ``false`` read the
    column as yes/no. A missing value satisfies only ``missing``.
    """

    GE = ">="
    GT = ">"
    LE = "<="
    LT = "<"
    EQ = "=="
    NE = "!="
    IN = "in"
    NOT_IN = "not in"
    MISSING = "missing"
    PRESENT = "present"
    TRUE = "true"
    FALSE = "false"


_NUMERIC_RULES = {Rule.GE, Rule.GT, Rule.LE, Rule.LT}
_NO_VALUE_RULES = {Rule.MISSING, Rule.PRESENT, Rule.TRUE, Rule.FALSE}


class Action(str, Enum):
    """What a gate does.

    ``reject``: a project for which the rule does not hold is rejected. ``flag``: it is kept,
    with a warning. ``mandatory``: a project for which the rule holds becomes mandatory.
    """

    REJECT = "reject"
    FLAG = "flag"
    MANDATORY = "mandatory"


class OnConflict(str, Enum):
    """What to do when a mandatory project fails a ``reject`` gate.

    ``keep``: the project stays (mandatory wins) and the failure is shown as ``overridden`` in
    the table. ``raise``: an :class:`~portfolio_opt.exceptions.InputError` names the projects.
    """

    KEEP = "keep"
    RAISE = "raise"


@dataclass(frozen=True)
class _Gate:
    name: str
    column: str
    rule: Rule
    value: Any  # as given; parsed against the column when evaluated
    action: Action
    reason: str


# --------------------------------------------------------------------------------------------
# reading the gates


def _parse_conflict(value: Any) -> OnConflict:
    try:
        return OnConflict(value.strip().lower() if isinstance(value, str) else value)
    except ValueError:
        raise InputError(
            f"screen: unknown on_conflict {value!r}; valid: "
            f"{', '.join(repr(c.value) for c in OnConflict)}."
        ) from None


def _read_gates(gates: Any) -> pd.DataFrame:
    if isinstance(gates, pd.DataFrame):
        return gates.copy()
    if isinstance(gates, (str, PathLike)):
        try:
            return pd.read_csv(gates, dtype=object, keep_default_na=True)
        except (OSError, ValueError) as exc:
            raise InputError(f"gates table: cannot read {str(gates)!r} ({exc}).") from None
    if isinstance(gates, (Sequence, Mapping)):
        try:
            return pd.DataFrame(gates)
        except (ValueError, TypeError) as exc:
            raise InputError(f"gates table: cannot be read as a table ({exc}).") from None
    raise InputError(
        f"gates table: expected a DataFrame, a list of dicts or the path of a CSV file, got "
        f"{type(gates).__name__}."
    )


def _parse_gates(gates: Any, projects: pd.DataFrame) -> list[_Gate]:
    table = _read_gates(gates)
    problems: list[str] = []
    unknown = [c for c in table.columns if c not in _GATE_COLUMNS]
    missing = [c for c in ("column", "rule") if c not in table.columns]
    if unknown or missing:
        what = []
        if missing:
            what.append(f"missing column(s) {', '.join(map(repr, missing))}")
        if unknown:
            what.append(f"unknown column(s) {', '.join(map(repr, map(str, unknown)))}")
        raise InputError(
            f"gates table: {' and '.join(what)}; the columns are 'gate', 'column', 'rule', "
            "'value', 'action' and 'reason' (only 'column' and 'rule' are required)."
        )
    table = table.reset_index(drop=True)
    columns = ["project_id", *(str(c) for c in projects.columns)]
    valid_rules = ", ".join(repr(r.value) for r in Rule)
    valid_actions = ", ".join(repr(a.value) for a in Action)
    parsed: list[_Gate] = []
    for i, row in table.iterrows():
        get = row.get
        column = _text(get("column"))
        value = get("value")
        value = None if _blank(value) else value
        name = _text(get("gate"))
        rule_text = _text(get("rule")).lower()
        label = f"gate {name!r}" if name else f"gate in row {int(str(i)) + 1}"
        ok = True
        try:
            rule = Rule(" ".join(rule_text.split()))
        except ValueError:
            problems.append(f"gates table, {label}: unknown rule {rule_text!r}; valid rules: "
                            f"{valid_rules}.")
            ok = False
        action_text = _text(get("action")).lower() or Action.REJECT.value
        try:
            action = Action(action_text)
        except ValueError:
            problems.append(f"gates table, {label}: unknown action {action_text!r}; valid "
                            f"actions: {valid_actions}.")
            ok = False
        if not column:
            problems.append(f"gates table, {label}: no column given. Name a column of the "
                            "projects table.")
            ok = False
        elif column not in projects.columns and column != "project_id":
            problems.append(f"gates table, {label}: column {column!r} is not in the projects "
                            f"table; columns: {', '.join(columns)}. Fix the name (case-"
                            "sensitive) or add the column.")
            ok = False
        if not ok:
            continue
        if rule in _NO_VALUE_RULES and value is not None:
            problems.append(f"gates table, {label}: rule {rule.value!r} takes no value, got "
                            f"{_show(value)}. Leave the value empty.")
            continue
        if rule not in _NO_VALUE_RULES and value is None:
            problems.append(f"gates table, {label}: rule {rule.value!r} needs a value "
                            f"(e.g. {column} {rule.value} 3). Fill in the value column.")
            continue
        if rule in _NUMERIC_RULES and _number(value) is None:
            problems.append(f"gates table, {label}: rule {rule.value!r} needs a number, got "
                            f"{_show(value)}.")
            continue
        if rule in (Rule.IN, Rule.NOT_IN) and not _as_list(value):
            problems.append(f"gates table, {label}: rule {rule.value!r} needs a list of values "
                            f"separated by {_LIST_SEPARATOR!r}, got {_show(value)}.")
            continue
        if not name:
            name = f"{column} {rule.value}" + ("" if value is None else f" {_show(value)}")
        parsed.append(_Gate(name, column, rule, value, action, _text(get("reason"))))
    names = pd.Series([g.name for g in parsed], dtype=object)
    dup = names[names.duplicated()].unique()
    if len(dup):
        problems.append(f"gates table: duplicate gate names {', '.join(map(repr, dup))}. Give "
                        "each gate a unique name.")
    if problems:
        raise InputError(problems)
    return parsed


# --------------------------------------------------------------------------------------------
# cells


def _blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return False
    return value is None or bool(pd.isna(value))


def _text(value: Any) -> str:
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return _LIST_SEPARATOR.join(_show(v) for v in value)
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"{float(value):g}"
    return str(value).strip()


def _number(value: Any) -> float | None:
    if isinstance(value, (bool, np.bool_)):
        return None
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return [v for v in value if not _blank(v)]
    if isinstance(value, str):
        return [v.strip() for v in value.split(_LIST_SEPARATOR) if v.strip()]
    return [] if _blank(value) else [value]


def _values_of(gate: _Gate) -> list[Any]:
    return _as_list(gate.value) if gate.rule in (Rule.IN, Rule.NOT_IN) else [gate.value]


def _yes_no_value(value: Any) -> bool | None:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return bool(value)
    text = _text(value).lower()
    return True if text in _TRUE else False if text in _FALSE else None


def _yes_no(raw: pd.Series, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    parsed = [None if m else _yes_no_value(v) for v, m in zip(raw, missing)]
    bad = np.array([p is None for p in parsed], dtype=bool) & ~missing
    flags = np.array([bool(p) for p in parsed], dtype=bool)
    return flags, bad


def _kind(raw: pd.Series, missing: np.ndarray) -> str:
    """``bool``, ``number`` or ``text``: how ``==``, ``!=``, ``in`` compare a column."""
    present = raw[~missing]
    if len(present) and all(isinstance(v, (bool, np.bool_)) for v in present):
        return "bool"
    if len(present) and all(isinstance(v, (int, float, np.integer, np.floating))
                            and not isinstance(v, (bool, np.bool_)) for v in present):
        return "number"
    return "text"
