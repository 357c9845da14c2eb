"""Read a portfolio from a folder of CSV files or from one Excel workbook."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from portfolio_opt.exceptions import InputError
from portfolio_opt.portfolio import Portfolio
from portfolio_opt.portfolio_checks import _label

__all__ = ["TABLES", "read_gates", "read_portfolio"]

#: The tables of a portfolio, in the order they are read; only ``projects`` is required.
TABLES = ("projects", "demand", "capacity", "budget", "relations", "periods", "criteria",
          "groups", "group_limits", "buckets", "substitution")
#: Tables of a review that are not part of the portfolio itself.
REVIEW_TABLES = ("gates",)

# Identifier-like columns are read as text so that "007" or "2027-Q1" survive.
_TEXT_COLUMNS = ("project_id", "other_id", "competence", "period", "earliest_start",
                 "latest_start", "name", "category", "kind", "criterion", "direction", "group",
                 "covers", "column", "measure", "parent")
# ... and, in some tables only, columns that are numbers elsewhere: a bucket's ``value`` is the
# category it is about ("grow", "007"), a relation's ``value`` is a synergy.
_TEXT_IN_TABLE = {"buckets": ("value",)}


def _text_dtypes(table: str) -> dict[str, type]:
    """Columns of ``table`` to read as text."""
    return {c: str for c in _TEXT_COLUMNS + _TEXT_IN_TABLE.get(table, ())}


def read_portfolio(path: str | Path) -> Portfolio:
    """Read a portfolio from a folder of CSV files or an ``.xlsx`` workbook.

    A folder holds ``projects.csv`` and, optionally, ``demand.csv``,
    ``capacity.csv``, ``budget.csv``, ``relations.csv``, ``periods.csv`` (one
    column ``period``, in order), ``criteria.csv``, ``groups.csv`` with
    ``group_limits.csv``, ``buckets.csv`` and ``substitution.csv``. A workbook
    holds one sheet per table with the same names. Columns are described in the data
    format guide (``docs/data-format.md``). Capacity may also be given wide:
    a ``competence`` column and one column per period.

    Parameters
    ----------
    path : str or pathlib.Path
        A folder, or a ``.xlsx`` file.

    Returns
    -------
    Portfolio

    Raises
    ------
    InputError
        When a file or sheet is missing or the data are invalid; each problem
        names the file or sheet it was found in.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"project_id": ["A", "B"], "cost": [2, 3]}).to_csv(
    ...     folder / "projects.csv", index=False)
    >>> read_portfolio(folder).projects["cost"].tolist()
    [2.0, 3.0]
    """
    tables, where = _read_tables(Path(path))
    return _build(tables, where)


def read_gates(path: str | Path) -> pd.DataFrame | None:
    """Read the screening gates (``gates.csv`` or sheet ``gates``) beside a portfolio.

    Parameters
    ----------
    path : str or pathlib.Path
        The folder or ``.xlsx`` workbook given to :func:`read_portfolio`.

    Returns
    -------
    pandas.DataFrame or None
        The gates table for :func:`portfolio_opt.screen`, or None when there is none.
    """
    tables, _ = _read_tables(Path(path))
    gates = tables.get("gates")
    gates = None if gates is None else _drop_blank(gates)
    return None if gates is None or gates.empty else gates  # header only: no gates


def _read_tables(path: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    if path.is_dir():
        return _read_folder(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        if not path.exists():
            raise InputError(f"no such workbook: {path}. Check the path.")
        return _read_workbook(path)
    if not path.exists():
        raise InputError(f"no such folder or workbook: {path}. Pass a folder of CSV files or "
                         "an .xlsx workbook.")
    raise InputError(f"cannot read {path}: expected a folder of CSV files or an .xlsx "
                     "workbook (one sheet per table).")


def _read_folder(folder: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    tables: dict[str, pd.DataFrame] = {}
    where: dict[str, str] = {}
    for name in TABLES + REVIEW_TABLES:
        file = folder / f"{name}.csv"
        if not file.exists():
            continue
        try:
            tables[name] = pd.read_csv(file, dtype=_text_dtypes(name), skipinitialspace=True)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise InputError(f"file {file.name}: cannot be read as CSV ({exc}).") from None
        except pd.errors.EmptyDataError:
            raise InputError(f"file {file.name}: is empty; add a header row or delete the "
                             "file.") from None
        where[name] = f"file {file.name}"
    if "projects" not in tables:
        found = sorted(p.name for p in folder.glob("*.csv"))
        raise InputError(
            f"folder {folder}: no projects.csv (CSV files found: {', '.join(found) or 'none'}). "
            f"The folder needs projects.csv; optional tables: {', '.join(TABLES[1:])}."
        )
    return tables, where


def _read_workbook(file: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    try:
        import openpyxl  # noqa: F401
    except ImportError:  # pragma: no cover - openpyxl is installed with the test extra
        raise InputError(
            f"reading {file.name} needs openpyxl: pip install 'portfolio_opt[excel]'."
        ) from None
    with pd.ExcelFile(file) as book:
        lower = {str(s).strip().lower(): s for s in book.sheet_names}
        tables = {name: _read_sheet(book, lower[name], name)
                  for name in TABLES + REVIEW_TABLES if name in lower}
        sheets = book.sheet_names
    where = {name: f"workbook {file.name}, sheet {lower[name]!r}" for name in tables}
    if "projects" not in tables:
        raise InputError(
            f"workbook {file.name}: no sheet 'projects' (sheets found: "
            f"{', '.join(map(str, sheets))}). "
            f"Name the sheets after the tables: {', '.join(TABLES)}."
        )
    return tables, where


def _read_sheet(book: pd.ExcelFile, sheet: str, table: str) -> pd.DataFrame:
    """Read one sheet; text columns hold text: a number cell 7 -> "7", a date -> "2027-01-01"."""
    text = _text_dtypes(table)
    frame = pd.read_excel(book, sheet_name=sheet, dtype={c: object for c in text})
    for column in text:
        if column in frame.columns:
            frame[column] = frame[column].map(
                lambda v: v if isinstance(v, str) or pd.isna(v) else _label(v)).astype(object)
    return frame


def _build(tables: dict[str, pd.DataFrame], where: dict[str, str]) -> Portfolio:
    args: dict[str, Any] = {
        name: _drop_blank(tables[name]) for name in TABLES if name in tables}
    # an optional table with a header row only (a template's sheet left empty) is not given
    args = {name: df for name, df in args.items() if name == "projects" or len(df)}
    if "periods" in args:
        periods = args["periods"]
        if "period" not in periods.columns:
            raise InputError(f"{where['periods']}: missing column 'period'. List the period "
                             "labels in order in a column named period.")
        args["periods"] = periods["period"].dropna().tolist()
    capacity = args.get("capacity")
    if capacity is not None and "competence" in capacity.columns and \
            "period" not in capacity.columns and "amount" not in capacity.columns:
        args["capacity"] = capacity.set_index("competence")  # wide layout
    try:
        return Portfolio(**args)
    except InputError as exc:
        raise InputError([_locate(p, where) for p in exc.problems]) from None


def _drop_blank(df: pd.DataFrame) -> pd.DataFrame:
    """Drop fully empty rows and unnamed empty columns left by spreadsheets."""
    df = df.dropna(how="all")
    unnamed = [c for c in df.columns if str(c).startswith("Unnamed:") and df[c].isna().all()]
    return df.drop(columns=unnamed).reset_index(drop=True)


def _locate(problem: str, where: dict[str, str]) -> str:
    """Add the file or sheet to a problem that names a table."""
    match = re.match(r"(\w+) table\b", problem)
    if match and match.group(1) in where:
        table = match.group(1)
        return f"{table} table ({where[table]}){problem[match.end():]}"
    if problem.startswith("budget:") and "budget" in where:
        return f"budget ({where['budget']}):{problem[len('budget:'):]}"
    return problem
