"""The input columns of a portfolio: one description for the Excel template and the docs.

:data:`COLUMNS` lists, for every input table (the tables of
:func:`~portfolio_opt.read_portfolio` and the review's ``gates``), each column with its meaning,
whether it is required, what an empty cell means and example values. The Excel template
(:func:`portfolio_opt.excel.write_template`) shows it in header comments and on its sheet
``columns``; ``docs/excel.md`` shows :func:`columns_markdown` of every table (a test keeps the two
in step).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Any

import pandas as pd

from portfolio_opt.io import _text_dtypes
from portfolio_opt.portfolio import RelationKind

__all__ = ["COLUMNS", "TABLE_NOTES", "Column", "column_descriptions", "columns_markdown"]

_PERIODS = ("2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4")
_NONE = None


@dataclass(frozen=True)
class Column:
    """One column of an input table: its meaning, whether it is required, an example.

    Attributes
    ----------
    name : str
        The column name, the header of the template's sheet.
    meaning : str
        What the column holds (markdown: names in backticks).
    required : bool
        Whether the table needs the column.
    default : str
        What an empty cell (or a missing column) means; "" when nothing is said.
    example : tuple
        The values of the example rows of the template, one per row.
    custom : bool
        True for an example of your own columns (e.g. a criterion): the name is yours to choose.
    text : bool
        Formatted as Text in the template, so that Excel keeps ``007`` and ``==`` as typed.
        The columns :func:`~portfolio_opt.read_portfolio` reads as text always are.
    """

    name: str
    meaning: str
    required: bool = False
    default: str = ""
    example: tuple[Any, ...] = ()
    custom: bool = False
    text: bool = False


def _choices(enum: type[Enum]) -> str:
    return ", ".join(f"`{m.value}`" for m in enum)


def _columns() -> Mapping[str, tuple[Column, ...]]:
    from portfolio_opt.screening import Action, Rule

    q1, q2, q3, q4 = _PERIODS
    relation_kinds = _choices(RelationKind)
    return MappingProxyType({
        "projects": (
            Column("project_id", "unique id of the project, kept as text (`007` stays `007`)",
                   True, example=("P01", "P02", "007")),
            Column("name", "readable name, shown in reports",
                   example=("Partner API platform", "Anti-money-laundering upgrade",
                            "Kundenportal Zürich – relaunch")),
            Column("cost", "total cost, a finite number ≥ 0 (any currency unit, e.g. kEUR), "
                   "spread evenly over the duration", True, example=(600, 450, 300)),
            Column("duration", "number of periods the project runs, a whole number ≥ 1",
                   default="1", example=(2, 1, 2)),
            Column("earliest_start", "period label of the earliest start",
                   default="the first period", example=(q1, q2, q2)),
            Column("latest_start", "period label of the latest start (equal to "
                   "`earliest_start` fixes the start)", default="the last period in which the "
                   "project still finishes inside the horizon", example=(q2, _NONE, _NONE)),
            Column("mandatory", "must be in the portfolio (true/false, yes/no, 1/0)",
                   default="false", example=(False, True, False)),
            Column("category", "strategic bucket, e.g. regulatory, efficiency, growth",
                   example=("growth", "regulatory", "innovation")),
            Column("risk", "risk score (number)", example=(3, 2, 4)),
            Column("value", "value to maximise when no other value is given",
                   example=(8, 5, 4)),
            Column("strategic_fit", "an example criterion: any numeric column, scored by "
                   "the `criteria` table (name your own)", custom=True, example=(4, 3, 5)),
            Column("financial_return", "an example criterion: any numeric column, scored by "
                   "the `criteria` table (name your own)", custom=True,
                   example=(320, -50, 80)),
        ),
        "demand": (
            Column("project_id", "a project of the projects table", True,
                   example=("P01", "P01", "P02", "007")),
            Column("competence", "a competence that has rows in the capacity table", True,
                   example=("development", "architecture", "development", "development")),
            Column("amount", "amount needed (e.g. FTE), finite and ≥ 0", True,
                   example=(2, 1, 1, 1.5)),
            Column("offset", "the period relative to the start (0 = first period) in which "
                   "the amount is needed; a whole number from 0 to duration − 1",
                   default="the amount is needed in every period the project runs",
                   example=(_NONE, 0, _NONE, 1)),
        ),
        "capacity": (
            Column("competence", "a competence (skill or team)", True,
                   example=("development",) * 4 + ("architecture",) * 4),
            Column("period", "a period label; every competence needs a row for every period "
                   "(0 if none)", True, example=_PERIODS * 2),
            Column("amount", "the supply in the period, in the unit of demand; finite and ≥ 0",
                   True, example=(3, 3, 3, 3, 1, 1, 1, 1)),
            Column("flex_amount", "most units that may be hired (or contracted) in that "
                   "period, ≥ 0", default="0 (no hiring)",
                   example=(1, 1, 1, 1) + (_NONE,) * 4),
            Column("flex_cost", "cost per unit hired, ≥ 0, in the budget's currency; counted "
                   "in the total and the period budget",
                   default="required where `flex_amount` > 0",
                   example=(45, 45, 45, 45) + (_NONE,) * 4),
        ),
        "budget": (
            Column("period", "a period label, or `total` for the total budget over the "
                   "horizon; with per-period rows every period needs one", True,
                   example=("total", *_PERIODS)),
            Column("amount", "the budget, a finite number ≥ 0", True,
                   example=(1400, 700, 700, 700, 700)),
        ),
        "relations": (
            Column("kind", f"{relation_kinds} (case-insensitive): `requires`: selecting "
                   "`project_id` needs `other_id`; `excludes`: at most one of the two; "
                   "`together`: both or neither; `synergy`: extra value when both are selected",
                   True, example=("requires", "synergy")),
            Column("project_id", "a project of the projects table", True,
                   example=("007", "P01")),
            Column("other_id", "another project of the projects table", True,
                   example=("P01", "007")),
            Column("lag", "`requires` only: `project_id` starts at least `lag` periods after "
                   "`other_id` finishes (0: in the period after its last one; negative: they "
                   "may overlap)", default="no timing", example=(0, _NONE)),
            Column("value", "`synergy` only (required there): value added when both are "
                   "selected, negative for a penalty; one row per pair",
                   example=(_NONE, 1.5)),
        ),
        "periods": (
            Column("period", "the period labels, in order", True, example=_PERIODS),
        ),
        "criteria": (
            Column("criterion", "a numeric column of the projects table", True,
                   example=("strategic_fit", "financial_return")),
            Column("weight", "weight ≥ 0 (normalised to sum to 1)", True, example=(0.6, 0.4)),
            Column("direction", "`max` (more is better) or `min`", default="max",
                   example=("max", "max")),
        ),
        "groups": (
            Column("group", "the group's name", True, example=("digital", "digital")),
            Column("project_id", "a project of the projects table (a project may be in "
                   "several groups)", True, example=("P01", "007")),
        ),
        "group_limits": (
            Column("group", "a group of the groups table", True, example=("digital",)),
            Column("min", "least number of the group's projects to select, a whole number ≥ 0",
                   default="no lower limit", example=(1,)),
            Column("max", "most number of the group's projects to select",
                   default="no upper limit", example=(2,)),
        ),
        "buckets": (
            Column("column", "a column of the projects table, e.g. `category`", True,
                   example=("category",)),
            Column("value", "the value that defines the bucket (compared as text, ignoring "
                   "case; must match a project)", True, example=("regulatory",)),
            Column("measure", "what the share is of: `cost`, `count` or a numeric column with "
                   "values ≥ 0", default="cost", example=("cost",)),
            Column("min", "least share of the selected total, 0 … 1", default="none",
                   example=(0.2,)),
            Column("max", "most share of the selected total, 0 … 1", default="none",
                   example=(_NONE,)),
        ),
        "substitution": (
            Column("competence", "the competence that helps (has rows in the capacity table)",
                   True, example=("architecture",)),
            Column("covers", "the competence whose work it does", True,
                   example=("development",)),
            Column("efficiency", "units of `covers`' work done per unit of `competence`, in "
                   "(0, 1]", True, example=(0.8,)),
            Column("max_amount", "most units of `competence` lent per period",
                   default="no limit", example=(0.5,)),
        ),
        "gates": (
            Column("gate", "the gate's name", default="`<column> <rule> <value>`",
                   example=("strategic fit",)),
            Column("column", "a column of the projects table", True,
                   example=("strategic_fit",)),
            Column("rule", f"one of {_choices(Rule)}", True, example=(">=",), text=True),
            Column("value", "the threshold, or a list separated by `;` (not used by "
                   "`missing`, `present`, `true`, `false`)", example=(2,)),
            Column("action", f"{_choices(Action)}: `reject` rejects a project for which the "
                   "rule does not hold, `flag` keeps it with a warning, `mandatory` makes a "
                   "project for which the rule holds mandatory", default="reject",
                   example=("reject",)),
            Column("reason", "words shown when the gate acts", example=("strategic fit below 2",)),
        ),
    })


#: The columns of every input table (``io.TABLES`` and the review's ``gates``), in sheet order.
COLUMNS: Mapping[str, tuple[Column, ...]] = _columns()

#: What each table is, one line (the template's ``columns`` sheet and docs/excel.md).
TABLE_NOTES: Mapping[str, str] = MappingProxyType({
    "projects": "one row per project idea (required)",
    "demand": "what each project needs of each competence, in the periods it runs",
    "capacity": "the supply of each competence in each period (long layout)",
    "budget": "the total budget (period `total`) and/or a budget per period",
    "relations": "dependencies, exclusions and synergies between two projects",
    "periods": "the planning periods, in order",
    "criteria": "the criteria that score the projects and their weights",
    "groups": "named sets of projects, one row per member",
    "group_limits": "least and most projects to select of each group",
    "buckets": "strategic balance: share of the selected portfolio per bucket",
    "substitution": "competences that can do each other's work",
    "gates": "must-pass gates of the idea screening (read by read_gates, used by the review)",
})


def _is_text(table: str, column: Column) -> bool:
    return column.text or column.name in _text_dtypes(table)


def column_descriptions() -> pd.DataFrame:
    """Describe every column of every input table, as the template and the docs show them.

    Returns
    -------
    pandas.DataFrame
        One row per table and column, in sheet order: ``table, column, required, meaning,
        default, text`` (``text``: kept as text, e.g. ids and period labels) and ``example``
        (the first example value).

    Examples
    --------
    >>> from portfolio_opt.input_columns import column_descriptions
    >>> d = column_descriptions()
    >>> d.loc[d["table"] == "demand", ["column", "required", "text"]]
           column  required   text
    12  project_id      True   True
    13  competence      True   True
    14      amount      True  False
    15      offset     False  False
    """
    rows = [
        {"table": table, "column": c.name, "required": c.required,
         "meaning": c.meaning.replace("`", ""), "default": c.default.replace("`", ""),
         "text": _is_text(table, c), "example": c.example[0] if c.example else None}
        for table, columns in COLUMNS.items() for c in columns
    ]
    return pd.DataFrame(rows)


def columns_markdown(table: str) -> str:
    """Return the markdown table of one input table's columns (the block shown in the docs).

    Parameters
    ----------
    table : str
        A key of :data:`COLUMNS`.

    Returns
    -------
    str
    """
    lines = ["| column | required | meaning | default (empty cell) |", "|---|---|---|---|"]
    for c in COLUMNS[table]:
        name = f"*{c.name}* (example)" if c.custom else f"`{c.name}`"
        lines.append(f"| {name} | {'yes' if c.required else 'no'} | {c.meaning} | "
                     f"{c.default} |")
    return "\n".join(lines)
