"""Excel in and out: an input template read back exactly, and a results workbook.

The template is read by :func:`~portfolio_opt.read_portfolio`; the results workbook is for the
people who live in spreadsheets.

- :func:`write_template`: one sheet per input table (``projects``, ``demand``, ``capacity``, ...,
  and ``gates`` for the idea screening) with the column names as the header row, an example
  portfolio (or your own portfolio's tables) below it, and the meaning of every column in a
  comment on its header cell and on the sheet ``columns``. Nothing that is not data sits on a
  table's sheet, so the filled-in workbook is read back exactly.
- :func:`write_results`: the selection, the ranking, competence usage, spend, hiring,
  explanations, the efficient frontier and any further tables, one sheet each, numbers kept as
  numbers.
- :data:`~portfolio_opt.input_columns.COLUMNS` (see :mod:`portfolio_opt.input_columns`): the
  one description of every input column, shown by the template and by ``docs/excel.md``.
"""

from __future__ import annotations

import math
import pathlib
import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import InputError
from portfolio_opt.input_columns import (
    COLUMNS,
    TABLE_NOTES,
    Column,
    _is_text,
    column_descriptions,
    columns_markdown,
)
from portfolio_opt.io import REVIEW_TABLES, TABLES, _text_dtypes
from portfolio_opt.portfolio import Portfolio
from portfolio_opt.selection import Selection

if TYPE_CHECKING:  # pragma: no cover
    from openpyxl.worksheet.worksheet import Worksheet

    from portfolio_opt.explain import Explanation
    from portfolio_opt.screening import ScreeningResult

__all__ = ["COLUMNS", "TABLE_NOTES", "Column", "check_writable", "column_descriptions",
           "columns_markdown", "write_results", "write_template"]

# ----------------------------------------------------------------------------- writing cells
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")
_HEADER_FILL = "DDEBF7"
_REQUIRED_FILL = "FCE4D6"
_SELECTED_FILL = "E2EFDA"
_ALERT_FILL = "F8CBAD"


def _cell_value(value: Any) -> Any:
    """Turn a pandas/numpy value into what a spreadsheet cell holds (None: empty)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if math.isnan(x):
            return None
        return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, (datetime, date)):
        return value
    if isinstance(value, (set, frozenset)):
        return "; ".join(sorted(map(str, value)))
    if isinstance(value, (tuple, list, np.ndarray, pd.Index)):
        return "; ".join(map(str, value))
    return _ILLEGAL.sub("", str(value))


def _put(ws: Worksheet, row: int, col: int, value: Any) -> None:
    cell = ws.cell(row=row, column=col, value=_cell_value(value))
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"  # text such as "==" is data, never a formula


def _write_frame(ws: Worksheet, frame: pd.DataFrame, *, comments: Mapping[str, str] | None = None,
                 required: frozenset[str] = frozenset(), text: frozenset[str] = frozenset(),
                 highlight: pd.Series | None = None, fill: str = _SELECTED_FILL) -> None:
    """Write a header row and the rows of ``frame`` from A1; style the sheet for reading."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    comments = comments or {}
    for j, name in enumerate(frame.columns, start=1):
        _put(ws, 1, j, str(name))
        cell = ws.cell(row=1, column=j)
        cell.font = bold
        colour = _REQUIRED_FILL if name in required else _HEADER_FILL
        cell.fill = PatternFill("solid", fgColor=colour)
        if name in comments:
            cell.comment = Comment(comments[name], "portfolio_opt", width=320, height=140)
        letter = get_column_letter(j)
        if name in text:
            ws.column_dimensions[letter].number_format = "@"
        values = [str(v) for v in frame[name].head(200).map(_cell_value) if v is not None]
        width = max([len(str(name)), *map(len, values)]) + 2
        ws.column_dimensions[letter].width = min(max(width, 8), 60)
    marked = (np.zeros(len(frame), dtype=bool) if highlight is None
              else highlight.to_numpy(dtype=bool))
    row_fill = PatternFill("solid", fgColor=fill)
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=2):
        for j, value in enumerate(row, start=1):
            _put(ws, i, j, value)
            cell = ws.cell(row=i, column=j)
            if frame.columns[j - 1] in text and isinstance(cell.value, str):
                cell.number_format = "@"
            elif str(frame.columns[j - 1]) in _PERCENT and isinstance(cell.value, float):
                cell.number_format = "0.0%"
            if marked[i - 2]:
                cell.fill = row_fill
    ws.freeze_panes = "A2"
    if len(frame.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"


_PERCENT = frozenset({"utilisation", "gap", "share", "min_share", "max_share"})


def _xlsx_path(path: str | pathlib.Path, function: str) -> pathlib.Path:
    target = pathlib.Path(path)
    if target.suffix.lower() != ".xlsx":
        raise InputError(f"{function}: cannot write {target.name!r}; give a file name ending "
                         "in .xlsx (an Excel workbook).")
    if not target.parent.exists():
        raise InputError(f"{function}: the folder {str(target.parent)!r} does not exist; "
                         "create it first.")
    return target


def check_writable(path: str | pathlib.Path, function: str = "write_results") -> pathlib.Path:
    """Check, before any work, that a workbook can be written at ``path``.

    Raises
    ------
    InputError
        The name does not end in ``.xlsx``, its folder is missing, or openpyxl is not
        installed.
    """
    target = _xlsx_path(path, function)
    _new_workbook()
    return target


def _new_workbook() -> Any:
    try:
        from openpyxl import Workbook
    except ImportError:  # pragma: no cover - openpyxl is installed with the test extra
        raise InputError("writing Excel workbooks needs openpyxl: "
                         "pip install 'portfolio_opt[excel]'.") from None
    book = Workbook()
    book.remove(book.active)
    return book


# ------------------------------------------------------------------------------- template
_README = (
    "Portfolio input template (portfolio_opt)",
    "",
    "One sheet per table; the first row of each holds the column names: keep them as they are.",
    "Replace the example rows by your own; only the sheet 'projects' is required.",
    "Leave a sheet you do not need with only its header row, or delete it.",
    "Required columns have an orange header; hover over a header to read what the column "
    "means, or see the sheet 'columns'.",
    "Ids, competences and period labels are text: 007 stays 007 (those columns are formatted "
    "as Text).",
    "Extra columns in 'projects' (criteria, business unit, ...) are kept; add as many as "
    "you need.",
    "Read it with: portfolio_opt.read_portfolio('this_file.xlsx'), or "
    "portfolio-opt review this_file.xlsx.",
)


def _example_tables() -> dict[str, pd.DataFrame]:
    return {table: pd.DataFrame({c.name: list(c.example) for c in columns})
            for table, columns in COLUMNS.items()}


def _portfolio_tables(portfolio: Portfolio, gates: pd.DataFrame | None
                      ) -> dict[str, pd.DataFrame]:
    capacity = portfolio.capacity
    if not (capacity[["flex_amount", "flex_cost"]] > 0).any().any():
        capacity = capacity.drop(columns=["flex_amount", "flex_cost"])
    budget = portfolio.budget
    rows = [] if budget.total is None else [("total", budget.total)]
    if budget.per_period is not None:
        rows += list(budget.per_period.items())
    criteria = portfolio.criteria
    empty = {t: pd.DataFrame(columns=[c.name for c in COLUMNS[t]]) for t in COLUMNS}
    tables = {
        "projects": portfolio.projects.reset_index(),
        "demand": portfolio.demand[["project_id", "competence", "amount", "offset"]],
        "capacity": capacity,
        "budget": pd.DataFrame(rows, columns=["period", "amount"]),
        "relations": portfolio.relations,
        "periods": pd.DataFrame({"period": list(portfolio.periods)}),
        "criteria": empty["criteria"] if criteria is None else criteria,
        "groups": portfolio.groups,
        "group_limits": portfolio.group_limits,
        "buckets": portfolio.buckets,
        "substitution": portfolio.substitution,
        "gates": empty["gates"] if gates is None else gates,
    }
    if not isinstance(tables["gates"], pd.DataFrame):
        raise InputError(f"write_template: gates must be a pandas DataFrame (the gates table "
                         f"of the screening), got {type(gates).__name__}.")
    return tables


def write_template(path: str | pathlib.Path, *, portfolio: Portfolio | None = None,
                   gates: pd.DataFrame | None = None, example: bool = True) -> pathlib.Path:
    """Write an Excel input workbook: one sheet per table, to fill in and read back.

    The sheets are named after the tables of :func:`~portfolio_opt.read_portfolio`
    (``projects``, ``demand``, ``capacity``, ``budget``, ``relations``, ``periods``,
    ``criteria``, ``groups``, ``group_limits``, ``buckets``, ``substitution``) plus
    ``gates`` (the screening, read by :func:`~portfolio_opt.io.read_gates`). Each holds the
    column names in its first row and data below, nothing else: the meaning of each column is
    in a comment on its header cell and on the sheet ``columns`` (with ``README``, the two
    sheets the reader ignores). Columns read as text (ids, competences, period labels) are
    formatted as Text, so that Excel keeps ``007`` and ``2027-Q1`` as typed.

    Parameters
    ----------
    path : str or path-like
        The ``.xlsx`` file to write (replaced if it exists).
    portfolio : Portfolio, optional
        Fill the sheets with this portfolio's tables (as validated: every default filled in),
        e.g. the sample, to start from real data. ``read_portfolio`` reads it back equal.
    gates : pandas.DataFrame, optional
        A gates table for the sheet ``gates`` (with ``portfolio``).
    example : bool, default True
        Without ``portfolio``: fill the sheets with a small consistent example portfolio
        (3 projects, 4 quarters, 2 competences; it reads back and can be selected from).
        False: header rows only.

    Returns
    -------
    pathlib.Path
        The workbook written.

    Raises
    ------
    InputError
        When the file name does not end in ``.xlsx``, its folder does not exist, or
        ``portfolio`` / ``gates`` are not a Portfolio / DataFrame.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from portfolio_opt import read_portfolio
    >>> from portfolio_opt.excel import write_template
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     book = write_template(pathlib.Path(folder) / "portfolio.xlsx")
    ...     pf = read_portfolio(book)
    >>> pf.project_ids.tolist(), pf.periods.tolist()
    (['P01', 'P02', '007'], ['2027-Q1', '2027-Q2', '2027-Q3', '2027-Q4'])
    """
    target = _xlsx_path(path, "write_template")
    if portfolio is not None:
        if not isinstance(portfolio, Portfolio):
            raise InputError(f"write_template: portfolio must be a Portfolio, got "
                             f"{type(portfolio).__name__}.")
        tables = _portfolio_tables(portfolio, gates)
    elif example:
        tables = _example_tables()
    else:
        tables = {t: pd.DataFrame(columns=[c.name for c in cs]) for t, cs in COLUMNS.items()}

    book = _new_workbook()
    readme = book.create_sheet("README")
    for i, line in enumerate(_README, start=1):
        readme.cell(row=i, column=1, value=line)
    from openpyxl.styles import Font

    readme["A1"].font = Font(bold=True, size=14)
    readme.column_dimensions["A"].width = 100
    for table in (*TABLES, *REVIEW_TABLES):
        frame = tables[table]
        known = {c.name: c for c in COLUMNS[table]}
        comments = {
            name: (f"{known[name].meaning.replace('`', '')}"
                   + (" (required)" if known[name].required else "")
                   + (f"\nEmpty: {known[name].default.replace('`', '')}"
                      if known[name].default else ""))
            if name in known else "your own column"
            for name in map(str, frame.columns)
        }
        text = frozenset(str(c) for c in frame.columns
                         if str(c) in _text_dtypes(table)
                         or (str(c) in known and _is_text(table, known[str(c)])))
        _write_frame(book.create_sheet(table), frame, comments=comments, text=text,
                     required=frozenset(n for n, c in known.items() if c.required))
    notes = column_descriptions().drop(columns="example")
    notes.insert(1, "table_meaning", notes["table"].map(TABLE_NOTES).str.replace("`", ""))
    _write_frame(book.create_sheet("columns"), notes)
    book.save(target)
    return target


# -------------------------------------------------------------------------------- results
_BUILT_IN = ("summary", "ranking", "selection", "usage", "spend", "hiring", "substitution",
             "explanations", "bottlenecks", "frontier", "screening")


def _as_table(obj: Any, what: str) -> pd.DataFrame:
    if isinstance(obj, pd.DataFrame):
        return obj
    to_frame = getattr(obj, "to_frame", None)
    if callable(to_frame):
        table = to_frame()
        if isinstance(table, pd.DataFrame):
            return table
    raise InputError(f"write_results: {what} must be a pandas DataFrame (or a result with "
                     f"to_frame()), got {type(obj).__name__}.")


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn a named index into a column and join MultiIndex column labels with spaces."""
    out = frame.copy()
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = [" ".join(map(str, c)).strip() for c in out.columns]
    if any(name is not None for name in out.index.names):
        out = out.reset_index()
    return out


def _sheet_name(name: Any, taken: set[str]) -> str:
    text = str(name)
    bad = set(text) & set("[]:*?/\\")
    if not text or len(text) > 31 or bad or text.lower() in taken:
        why = ("is empty" if not text else "is longer than 31 characters" if len(text) > 31
               else f"contains {''.join(sorted(bad))!r}" if bad else "is already used")
        raise InputError(f"write_results: sheet name {text!r} {why}. Excel sheet names are "
                         "1-31 characters without []:*?/\\ and unique; the names taken are "
                         f"{', '.join(sorted(taken))}.")
    taken.add(text.lower())
    return text


def _summary(selection: Selection) -> pd.DataFrame:
    s = selection.summary()
    periods = selection.portfolio.periods
    s["periods"] = f"{periods[0]} .. {periods[-1]} ({len(periods)})"
    s["budget_left"] = (None if selection.budget is None
                        else selection.budget - selection.cost - selection.hiring_cost)
    return pd.DataFrame({"item": s.index, "value": s.to_numpy()})


def write_results(
    selection: Selection,
    path: str | pathlib.Path,
    *,
    explanation: Explanation | None = None,
    frontier: pd.DataFrame | None = None,
    ranking: pd.DataFrame | None = None,
    screening: ScreeningResult | None = None,
    sensitivity: Mapping[str, pd.DataFrame] | None = None,
    sheets: Mapping[str, pd.DataFrame] | None = None,
) -> pathlib.Path:
    """Write the results of a selection to an Excel workbook, one table per sheet.

    Sheets: ``summary`` (status, objective, bound, gap, counts, cost, budget, hiring cost,
    budget left), ``ranking`` (as in the review; selected rows shaded), ``selection`` (every
    project: ``selected, start, end, cost, value, category`` ...), ``usage`` (competence x
    period: ``used, capacity, utilisation, hired, covered, lent, over_allocated``), ``spend``
    (per period: ``cost, budget, cumulative_cost, over_budget, hiring``), ``hiring``
    (``competence, period, hired, cost``), ``substitution`` (when the portfolio has some);
    with ``explanation``: ``explanations`` (why each project is in or out) and
    ``bottlenecks``; with ``frontier``: ``frontier``; with ``screening``: ``screening``;
    ``sensitivity_<name>`` per sensitivity table; then one sheet per entry of ``sheets``.
    Numbers stay numbers (NaN: empty cell; infinity: the text ``inf``), lists of ids are
    joined with ``"; "``.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.select`.
    path : str or path-like
        The ``.xlsx`` file to write (replaced if it exists).
    explanation : Explanation, optional
        :meth:`Selection.explain` of the selection.
    frontier : pandas.DataFrame, optional
        An efficient frontier (one row per budget), or any result with ``to_frame()``.
    ranking : pandas.DataFrame, optional
        A ranking with a ``project_id`` column or index (e.g. from the scoring step); default:
        the projects ranked by the selection's value (as in the review).
    screening : ScreeningResult, optional
        The idea screening: its table (one row per project and gate).
    sensitivity : mapping of str to pandas.DataFrame, optional
        Weight-sensitivity tables by name.
    sheets : mapping of str to pandas.DataFrame, optional
        Further tables by sheet name (e.g. a scenario comparison's summary).

    Returns
    -------
    pathlib.Path
        The workbook written.

    Raises
    ------
    InputError
        When ``selection`` is not a Selection, a table is not a DataFrame, a sheet name is not
        valid in Excel or already used, or the file name does not end in ``.xlsx``.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl, pandas as pd
    >>> from portfolio_opt import Portfolio, select
    >>> from portfolio_opt.excel import write_results
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"],
    ...                              "cost": [4.0, 3.0, 3.0], "value": [5.0, 3.0, 3.0]}),
    ...                budget=6)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     book = write_results(select(pf), pathlib.Path(folder) / "results.xlsx")
    ...     openpyxl.load_workbook(book).sheetnames
    ['summary', 'ranking', 'selection', 'usage', 'spend', 'hiring']
    """
    from portfolio_opt.balance import spend_by_period
    from portfolio_opt.report import _ranking_table, _selection_table, _usage_table

    if not isinstance(selection, Selection):
        raise InputError(f"write_results: expected a Selection (the result of select), got "
                         f"{type(selection).__name__}.")
    target = _xlsx_path(path, "write_results")
    spend = spend_by_period(selection).reset_index()
    spend["hiring"] = selection.spend["hiring"].to_numpy(dtype=float)
    ranking_table = _ranking_table(selection, ranking)
    chosen = _selection_table(selection)
    usage = _usage_table(selection)
    tables: list[tuple[str, pd.DataFrame, pd.Series | None, str]] = [
        ("summary", _summary(selection), None, ""),
        ("ranking", ranking_table, ranking_table["selected"].fillna(False).astype(bool),
         _SELECTED_FILL),
        ("selection", chosen, chosen["selected"].astype(bool), _SELECTED_FILL),
        ("usage", usage, usage["over_allocated"], _ALERT_FILL),
        ("spend", spend, spend["over_budget"], _ALERT_FILL),
        ("hiring", selection.hiring, None, ""),
    ]
    if len(selection.portfolio.substitution):
        tables.append(("substitution", selection.substitution, None, ""))
    if explanation is not None:
        projects = explanation.projects
        tables.append(("explanations", _flat(projects), projects["selected"].astype(bool),
                       _SELECTED_FILL))
        tables.append(("bottlenecks", explanation.bottlenecks, None, ""))
    if frontier is not None:
        tables.append(("frontier", _flat(_as_table(frontier, "frontier")), None, ""))
    if screening is not None:
        tables.append(("screening", _as_table(screening.table, "screening.table"), None, ""))
    extra = {f"sensitivity_{name}": table for name, table in (sensitivity or {}).items()}
    extra.update(sheets or {})
    taken = set(_BUILT_IN)
    for name, table in extra.items():
        tables.append((_sheet_name(name, taken), _flat(_as_table(table, f"sheet {name!r}")),
                       None, ""))

    book = _new_workbook()
    for name, frame, highlight, fill in tables:
        ws = book.create_sheet(name)
        _write_frame(ws, frame, highlight=highlight, fill=fill or _SELECTED_FILL)
        if name == "summary":
            gap = ws.cell(row=int(np.flatnonzero(frame["item"] == "gap")[0]) + 2, column=2)
            gap.number_format = "0.00%"
    book.save(target)
    return target
