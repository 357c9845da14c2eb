"""Tests of the Excel template and results workbook (portfolio_opt.excel).

Round trips: a template filled in "Excel-style" (cells typed with openpyxl, or tables written
with pandas) is read back by ``read_portfolio`` and compared, table by table and value by
value, with the Portfolio built directly from the same data. The results workbook is re-read
with openpyxl and its numbers recomputed independently (tests/checker.py) from the portfolio's
public tables and the selection's choices.
"""

from __future__ import annotations

import math
import os
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import checker
from conftest import SAMPLE
from portfolio_opt import InputError, Portfolio, read_portfolio, select
from portfolio_opt.datasets import load_sample, load_sample_gates
from portfolio_opt.excel import (
    COLUMNS,
    column_descriptions,
    columns_markdown,
    write_results,
    write_template,
)
from portfolio_opt.io import REVIEW_TABLES, TABLES, read_gates
from portfolio_opt.solvers import Status

DOCS = Path(__file__).parents[1] / "docs"


# ------------------------------------------------------------------------------- helpers
def assert_same(a: Portfolio, b: Portfolio) -> None:
    """Every table of two portfolios holds the same values (Excel keeps 4.0 as the number 4)."""
    for name in ("projects", "demand", "capacity", "relations", "groups", "group_limits",
                 "buckets", "substitution"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_dtype=False,
                                      check_exact=True, check_index_type=False, obj=name)
    assert a.periods.tolist() == b.periods.tolist()
    assert a.budget.total == b.budget.total
    assert (a.budget.per_period is None) == (b.budget.per_period is None)
    if a.budget.per_period is not None:
        pd.testing.assert_series_equal(a.budget.per_period, b.budget.per_period,
                                       check_exact=True, check_index_type=False)
    assert (a.criteria is None) == (b.criteria is None)
    if a.criteria is not None:
        pd.testing.assert_frame_equal(a.criteria, b.criteria, check_dtype=False)


def fill(book: openpyxl.Workbook, table: str, rows: list[list], header: list[str] | None = None
         ) -> None:
    """Type rows into a sheet as an analyst would: clear the example rows, keep the header."""
    ws = book[table]
    ws.delete_rows(2, ws.max_row)
    if header is not None:
        for j, name in enumerate(header, start=1):
            ws.cell(row=1, column=j, value=name)
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            if value is not None:
                cell = ws.cell(row=i, column=j, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # typed into a Text cell: text, not a formula


def sheet(book: openpyxl.Workbook, name: str) -> pd.DataFrame:
    """A sheet read with openpyxl: the header row and the cell values below it."""
    rows = list(book[name].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def header(book: openpyxl.Workbook, name: str) -> list[str]:
    return [c.value for c in book[name][1]]


# ------------------------------------------------------------------------------ template
def test_template_sheets_headers_comments_and_notes(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["README", *TABLES, *REVIEW_TABLES, "columns"]
    notes = sheet(book, "columns")
    described = column_descriptions()
    assert list(zip(notes["table"], notes["column"], strict=True)) == list(
        zip(described["table"], described["column"], strict=True))
    for table in (*TABLES, *REVIEW_TABLES):
        columns = COLUMNS[table]
        assert header(book, table) == [c.name for c in columns]
        ws = book[table]
        assert ws.max_row == 1 + len(columns[0].example)  # the example rows, nothing else
        for j, column in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=j)
            assert cell.comment is not None
            assert column.meaning.replace("`", "")[:40] in cell.comment.text
            assert ("(required)" in cell.comment.text) == column.required
            letter = openpyxl.utils.get_column_letter(j)
            text = bool(notes.loc[(notes["table"] == table) & (notes["column"] == column.name),
                                  "text"].iloc[0])
            assert (ws.column_dimensions[letter].number_format == "@") == text
    for table, column in (("projects", "project_id"), ("capacity", "period"),
                          ("demand", "competence"), ("gates", "rule")):
        assert bool(notes.loc[(notes["table"] == table) & (notes["column"] == column),
                              "text"].iloc[0])


def test_template_example_reads_back_and_selects_the_brute_force_optimum(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    pf = read_portfolio(path)
    direct = Portfolio(**{t: pd.DataFrame({c.name: list(c.example) for c in COLUMNS[t]})
                          for t in TABLES if t != "periods"},
                       periods=list(COLUMNS["periods"][0].example))
    assert_same(pf, direct)
    assert pf.project_ids.tolist() == ["P01", "P02", "007"]
    best = checker.brute_force(pf)
    chosen = select(pf)
    assert chosen.objective == pytest.approx(best.objective)
    assert chosen.selected_ids in best
    assert not checker.violations(pf, chosen.selected_ids, chosen.start)
    gates = read_gates(path)
    assert gates.to_dict("list") == {"gate": ["strategic fit"], "column": ["strategic_fit"],
                                     "rule": [">="], "value": [2], "action": ["reject"],
                                     "reason": ["strategic fit below 2"]}


def test_template_filled_excel_style_with_openpyxl_round_trips(tmp_path):
    """Cells typed one by one: text ids with leading zeros, unicode, booleans, blanks, '=='."""
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    projects = [["007", "Kundenportal Zürich – relaunch", 120, 2, "2027-Q1", None, False,
                 "grow", 2.5, 7, 4, 10],
                ["0815", "東京 office move ✓", 80.5, 1, None, None, True, "run", 1, 3, 2, -5],
                ["=A1", "Ελληνικά =SUM(A1)", 60, 3, "2027-Q2", "2027-Q2", "no", "007", 3, 4,
                 5, 0]]
    fill(book, "projects", projects)
    demand = [["007", "développement", 1.5, None], ["0815", "développement", 2, 0],
              ["=A1", "QA & test", 0.25, 2]]
    fill(book, "demand", demand)
    periods = ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
    capacity = [[c, p, a, f, k] for c, a, f, k in (("développement", 3, 1, 45),
                                                   ("QA & test", 1, None, None))
                for p in periods]
    fill(book, "capacity", capacity)
    fill(book, "budget", [["total", 260]])
    fill(book, "relations", [["Requires", "=A1", "007", 0, None],
                             ["synergy", "007", "0815", None, 1.25]])
    fill(book, "periods", [[p] for p in periods])
    fill(book, "criteria", [["strategic_fit", 2, "max"], ["financial_return", 1, "min"]])
    fill(book, "groups", [["ERP", "007"], ["ERP", "0815"]])
    fill(book, "group_limits", [["ERP", None, 1]])
    fill(book, "buckets", [["category", "007", "count", None, 0.5]])
    del book["substitution"]  # a table that is not needed can go
    fill(book, "gates", [["fit", "strategic_fit", "==", 4, "flag", None]])
    book.save(tmp_path / "filled.xlsx")

    pf = read_portfolio(tmp_path / "filled.xlsx")
    cols = [c.name for c in COLUMNS["projects"]]
    direct = Portfolio(
        pd.DataFrame(projects, columns=cols),
        demand=pd.DataFrame(demand, columns=["project_id", "competence", "amount", "offset"]),
        capacity=pd.DataFrame(capacity, columns=["competence", "period", "amount",
                                                 "flex_amount", "flex_cost"]),
        budget=260, periods=periods,
        relations=pd.DataFrame([["Requires", "=A1", "007", 0, None],
                                ["synergy", "007", "0815", None, 1.25]],
                               columns=["kind", "project_id", "other_id", "lag", "value"]),
        criteria=pd.DataFrame({"criterion": ["strategic_fit", "financial_return"],
                               "weight": [2, 1], "direction": ["max", "min"]}),
        groups=pd.DataFrame({"group": ["ERP", "ERP"], "project_id": ["007", "0815"]}),
        group_limits=pd.DataFrame({"group": ["ERP"], "min": [np.nan], "max": [1]}),
        buckets=pd.DataFrame({"column": ["category"], "value": ["007"], "measure": ["count"],
                              "min": [np.nan], "max": [0.5]}))
    assert_same(pf, direct)
    assert pf.project_ids.tolist() == ["007", "0815", "=A1"]
    assert pf.projects["name"].tolist()[1:] == ["東京 office move ✓", "Ελληνικά =SUM(A1)"]
    assert read_gates(tmp_path / "filled.xlsx")["rule"].tolist() == ["=="]


def test_template_filled_with_pandas_reads_the_sample_back(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    tables = {name: pd.read_csv(SAMPLE / f"{name}.csv", dtype={"project_id": str})
              for name in ("projects", "demand", "capacity", "budget", "relations",
                           "criteria", "gates")}
    with pd.ExcelWriter(path, mode="a", engine="openpyxl", if_sheet_exists="replace") as xl:
        for name, table in tables.items():
            table.to_excel(xl, sheet_name=name, index=False)
        for name in ("periods", "groups", "group_limits", "buckets", "substitution"):
            del xl.book[name]
    assert_same(read_portfolio(path), load_sample())
    pd.testing.assert_frame_equal(read_gates(path), load_sample_gates(), check_dtype=False)


def test_write_template_of_a_portfolio_reads_back_equal(tmp_path):
    sample, gates = load_sample(), load_sample_gates()
    before = gates.copy()
    path = write_template(tmp_path / "sample.xlsx", portfolio=sample, gates=gates)
    pd.testing.assert_frame_equal(gates, before)  # the caller's table is not modified
    assert_same(read_portfolio(path), sample)
    pd.testing.assert_frame_equal(read_gates(path), load_sample_gates(), check_dtype=False)
    book = openpyxl.load_workbook(path)
    # columns of the portfolio's own are kept, and said to be the user's
    assert header(book, "projects")[-1] == "legal_requirement"
    assert book["projects"].cell(row=1, column=len(header(book, "projects"))).comment.text == \
        "your own column"
    flexible = bool((sample.capacity[["flex_amount", "flex_cost"]] > 0).any().any())
    assert flexible == ("flex_amount" in header(book, "capacity"))
    alone = Portfolio(pd.DataFrame({"project_id": ["A"], "cost": [1.0]}), periods=["1"])
    book = openpyxl.load_workbook(write_template(tmp_path / "a.xlsx", portfolio=alone))
    assert header(book, "capacity") == ["competence", "period", "amount"]  # no hiring: no flex
    assert book["criteria"].max_row == 1 and book["gates"].max_row == 1  # header only


_NA = {"", "NA", "N/A", "NULL", "NaN", "None", "n/a", "nan", "null", "<NA>", "#N/A", "#NA",
       "-NaN", "-nan", "1.#IND", "1.#QNAN", "-1.#IND", "-1.#QNAN", "#N/A N/A"}
_TEXT = st.text(alphabet="0123456789abcXYZ-_ äöÜß東京=✓", min_size=1, max_size=8).map(
    str.strip).filter(lambda s: s not in _NA)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_TEXT, _TEXT, st.integers(0, 10**9), st.integers(1, 3),
                          st.booleans(), st.integers(-10**6, 10**6)),
                min_size=1, max_size=6, unique_by=lambda r: r[0]))
def test_any_portfolio_round_trips(tmp_path_factory, rows):
    """Text ids and names of digits, unicode or '=', costs with 2 decimals, booleans."""
    folder = tmp_path_factory.mktemp("rt")
    projects = pd.DataFrame({"project_id": [r[0] for r in rows], "name": [r[1] for r in rows],
                             "cost": [r[2] / 100 for r in rows],
                             "duration": [r[3] for r in rows],
                             "mandatory": [r[4] for r in rows],
                             "npv": [r[5] / 10 for r in rows]})
    pf = Portfolio(projects, budget=round(float(projects["cost"].sum()), 2),
                   periods=["1", "2", "3"],
                   criteria=pd.DataFrame({"criterion": ["npv"], "weight": [1.0]}))
    assert_same(read_portfolio(write_template(folder / "p.xlsx", portfolio=pf)), pf)


def test_dates_typed_as_excel_dates_are_period_labels(tmp_path):
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    months = [datetime(2027, m, 1) for m in (1, 2, 3)]
    fill(book, "projects", [["P1", "a", 10, 2, months[1], None, False, None, None, None, 1, 1]])
    fill(book, "demand", [["P1", "dev", 1, None]])
    fill(book, "capacity", [["dev", m, 2, None, None] for m in months])
    fill(book, "budget", [["total", 100], *[[m, 50] for m in months]])
    fill(book, "periods", [[m] for m in months])
    for name in ("relations", "criteria", "groups", "group_limits", "buckets", "substitution",
                 "gates"):
        fill(book, name, [])
    book.save(tmp_path / "filled.xlsx")
    pf = read_portfolio(tmp_path / "filled.xlsx")
    stamps = [pd.Timestamp(m) for m in months]
    cols = [c.name for c in COLUMNS["projects"]]
    direct = Portfolio(
        pd.DataFrame([["P1", "a", 10, 2, "2027-02-01", None, False, None, None, None, 1, 1]],
                     columns=cols),
        demand=pd.DataFrame({"project_id": ["P1"], "competence": ["dev"], "amount": [1]}),
        capacity=pd.DataFrame({"competence": "dev", "period": stamps, "amount": 2}),
        budget=pd.DataFrame({"period": ["total", *stamps], "amount": [100, 50, 50, 50]}),
        periods=stamps)
    assert pf.periods.tolist() == ["2027-01-01", "2027-02-01", "2027-03-01"]
    assert_same(pf, direct)


def test_sheets_left_with_their_header_only_are_not_given(tmp_path):
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", example=False))
    row = ["A", None, 5, None, None, None, None, None, None, None, 1, 2]
    fill(book, "projects", [row])
    book.save(tmp_path / "filled.xlsx")
    projects = pd.DataFrame([row], columns=[c.name for c in COLUMNS["projects"]])
    assert_same(read_portfolio(tmp_path / "filled.xlsx"), Portfolio(projects))
    assert read_gates(tmp_path / "filled.xlsx") is None
    alone = Portfolio(projects)  # no criteria, no gates: their sheets hold a header only
    assert_same(read_portfolio(write_template(tmp_path / "a.xlsx", portfolio=alone)), alone)


def test_template_errors(tmp_path):
    with pytest.raises(InputError, match=r"write_template: cannot write 't\.csv'; give a file "
                                         r"name ending in \.xlsx"):
        write_template(tmp_path / "t.csv")
    with pytest.raises(InputError, match=r"write_template: the folder '.*nowhere' does not "
                                         "exist; create it first"):
        write_template(tmp_path / "nowhere" / "t.xlsx")
    with pytest.raises(InputError, match=r"write_template: portfolio must be a Portfolio, got "
                                         "DataFrame"):
        write_template(tmp_path / "t.xlsx", portfolio=pd.DataFrame())
    with pytest.raises(InputError, match=r"write_template: gates must be a pandas DataFrame "
                                         r"\(the gates table of the screening\), got dict"):
        write_template(tmp_path / "t.xlsx", portfolio=load_sample(), gates={"gate": []})


# ------------------------------------------------------------------------------- results
@pytest.fixture(scope="module")
def hired():
    """A selection that hires, substitutes, has per-period budgets, unicode names and 007."""
    periods = ["2027-Q1", "2027-Q2", "2027-Q3"]
    projects = pd.DataFrame({
        "project_id": ["007", "P-ä", "A10", "B2", "C3"],
        "name": ["Zürich hub", "東京", "Œuvre", "Data lake", "Too big"],
        "cost": [300.0, 450.0, 200.0, 500.0, 2000.0], "duration": [2, 1, 1, 2, 1],
        "value": [5.0, 4.0, 3.0, 6.0, 9.0], "category": ["grow", "run", "run", "grow", "grow"],
        "earliest_start": ["2027-Q1", "2027-Q1", "2027-Q1", "2027-Q1", "2027-Q1"]})
    demand = pd.DataFrame({"project_id": ["007", "P-ä", "A10", "B2", "B2"],
                           "competence": ["dev", "dev", "test", "dev", "test"],
                           "amount": [2.0, 1.0, 1.0, 1.5, 0.5], "offset": [None, 0, 0, 0, 1]})
    capacity = pd.DataFrame({"competence": ["dev"] * 3 + ["test"] * 3, "period": periods * 2,
                             "amount": [2.0, 2.0, 2.0, 1.0, 1.0, 1.0],
                             "flex_amount": [1.0] * 3 + [0.0] * 3,
                             "flex_cost": [40.0] * 3 + [0.0] * 3})
    pf = Portfolio(projects, demand, capacity,
                   budget=pd.DataFrame({"period": ["total", *periods],
                                        "amount": [1600, 900, 700, 700]}),
                   relations=pd.DataFrame({"kind": ["synergy"], "project_id": ["007"],
                                           "other_id": ["B2"], "value": [1.0]}),
                   substitution=pd.DataFrame({"competence": ["test"], "covers": ["dev"],
                                              "efficiency": [0.5]}))
    selection = select(pf)
    return selection, selection.explain()


def _check_results(book: openpyxl.Workbook, selection) -> None:
    """Recompute the workbook's numbers from the portfolio's tables and the choices."""
    pf = selection.portfolio
    projects = pf.projects
    periods = list(pf.periods)
    chosen = sheet(book, "selection").set_index("project_id")
    assert chosen.index.tolist() == projects.index.tolist()
    selected = chosen.index[chosen["selected"].astype(bool)].tolist()
    assert selected == selection.selected_ids.tolist()
    start = chosen["start"].where(chosen["selected"].astype(bool))
    assert not checker.violations(pf, selected, start)
    for pid in projects.index:
        row = chosen.loc[pid]
        assert row["cost"] == projects.loc[pid, "cost"]
        if pid in selected:
            end = periods.index(row["start"]) + int(projects.loc[pid, "duration"]) - 1
            assert row["end"] == periods[end]
        else:
            assert pd.isna(row["start"]) and pd.isna(row["end"])

    summary = dict(sheet(book, "summary")[["item", "value"]].itertuples(index=False))
    synergy = sum(r.value for r in pf.relations.itertuples()
                  if r.kind == "synergy" and r.project_id in selected and r.other_id in selected)
    value = selection.value  # the value maximised: an input of the selection
    assert summary["objective"] == pytest.approx(value[selected].sum() + synergy, abs=1e-9)
    assert summary["cost"] == pytest.approx(projects.loc[selected, "cost"].sum())
    assert summary["selected"] == len(selected) and summary["candidates"] == len(projects)
    assert summary["status"] == selection.status.value
    assert summary["gap"] == pytest.approx(selection.gap) or (
        summary["gap"] is None and math.isnan(selection.gap))

    usage = sheet(book, "usage")
    expected = checker.usage(pf, selected, start)
    np.testing.assert_allclose(usage["used"].astype(float), expected["used"], atol=1e-9)
    np.testing.assert_allclose(usage["capacity"].astype(float), expected["capacity"])
    util = usage["utilisation"].map(lambda v: math.inf if v == "inf" else
                                    math.nan if v is None else v).astype(float)
    np.testing.assert_allclose(util, expected["utilisation"], atol=1e-9)
    load = usage["used"] + usage["lent"] - usage["covered"] - usage["hired"]
    assert (load <= usage["capacity"] + 1e-6).all()
    assert not usage["over_allocated"].any()

    hiring = sheet(book, "hiring")
    flex = pf.capacity.set_index(["competence", "period"])
    keys = pd.MultiIndex.from_frame(hiring[["competence", "period"]])
    np.testing.assert_allclose(hiring["cost"],
                               hiring["hired"] * flex["flex_cost"].reindex(keys).to_numpy())
    assert (hiring["hired"] <= flex["flex_amount"].reindex(keys).to_numpy() + 1e-9).all()
    np.testing.assert_allclose(usage["hired"], hiring["hired"])
    best = checker.min_hiring(pf, checker.need_matrix(pf, selected, start))
    assert best is not None
    assert hiring["cost"].sum() == pytest.approx(best[0].sum(), abs=1e-6)
    assert summary["hiring_cost"] == pytest.approx(hiring["cost"].sum())

    spend = sheet(book, "spend")
    assert spend["period"].tolist() == periods
    np.testing.assert_allclose(spend["cost"], checker.spend(pf, selected, start), atol=1e-9)
    np.testing.assert_allclose(spend["cumulative_cost"], np.cumsum(spend["cost"]), atol=1e-9)
    np.testing.assert_allclose(spend["hiring"],
                               hiring.groupby("period", sort=False)["cost"].sum()
                               .reindex(periods).fillna(0.0), atol=1e-9)
    per = pf.budget.per_period
    if per is not None:
        np.testing.assert_allclose(spend["budget"], per.reindex(periods))
        assert (spend["cost"] + spend["hiring"] <= spend["budget"] + 1e-6).all()
    if selection.budget is not None:
        assert summary["budget_left"] == pytest.approx(
            selection.budget - summary["cost"] - summary["hiring_cost"])


def test_results_numbers_recomputed(tmp_path, hired):
    selection, explanation = hired
    assert selection.hiring_cost > 0 and selection.usage["covered"].sum() > 0  # the case hires
    frontier = pd.DataFrame({"budget": [1000.0, 1600.0], "objective": [9.0, 14.0],
                             "status": [Status.OPTIMAL, Status.FEASIBLE],
                             "gap": [0.0, math.nan], "bound": [9.0, math.inf],
                             "selected": [("007", "P-ä"), ("007", "B2", "P-ä")]})
    path = write_results(selection, tmp_path / "r.xlsx", explanation=explanation,
                         frontier=frontier,
                         sensitivity={"ranking": pd.DataFrame({"criterion": ["x"],
                                                               "low": [0.1]})},
                         sheets={"scenarios": pd.DataFrame({"name": ["=base"], "v": [1]})})
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["summary", "ranking", "selection", "usage", "spend", "hiring",
                               "substitution", "explanations", "bottlenecks", "frontier",
                               "sensitivity_ranking", "scenarios"]
    _check_results(book, selection)

    subst = sheet(book, "substitution")
    np.testing.assert_allclose(subst["covered"], subst["amount"] * 0.5)
    usage = sheet(book, "usage")
    np.testing.assert_allclose(
        usage.loc[usage["competence"] == "dev", "covered"].to_numpy(), subst["covered"])

    explanations = sheet(book, "explanations").set_index("project_id")
    chosen = sheet(book, "selection").set_index("project_id")
    assert explanations["selected"].tolist() == chosen["selected"].tolist()
    assert explanations["reason"].str.match(r"^(in|out):").all()
    c3 = explanation.projects.loc["C3", "binding"]
    assert explanations.loc["C3", "binding"] == "; ".join(c3)

    back = sheet(book, "frontier")
    assert back["selected"].tolist() == ["007; P-ä", "007; B2; P-ä"]
    assert back["status"].tolist() == ["optimal", "feasible"]
    cells = {name: [c.value for c in column[1:]] for name, column in
             zip(header(book, "frontier"), book["frontier"].iter_cols(), strict=True)}
    assert cells["gap"] == [0, None] and cells["bound"] == [9, "inf"]  # NaN: an empty cell
    assert book["scenarios"]["A2"].value == "=base" and book["scenarios"]["A2"].data_type == "s"

    # selected rows are shaded in the ranking, the selection and the explanations
    for name in ("ranking", "selection", "explanations"):
        ws = book[name]
        col = header(book, name).index("selected") + 1
        for row in range(2, ws.max_row + 1):
            shaded = ws.cell(row=row, column=1).fill.fgColor.rgb.endswith("E2EFDA")
            assert shaded == bool(ws.cell(row=row, column=col).value)


def test_results_of_the_sample_recomputed(tmp_path):
    selection = select(load_sample())
    path = write_results(selection, tmp_path / "r.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["summary", "ranking", "selection", "usage", "spend", "hiring"]
    _check_results(book, selection)
    ranking = sheet(book, "ranking")
    assert ranking["rank"].is_monotonic_increasing
    assert set(ranking.loc[ranking["selected"].astype(bool), "project_id"]) == set(
        selection.selected_ids)


def test_results_do_not_modify_the_inputs(tmp_path, hired):
    selection, explanation = hired
    frontier = pd.DataFrame({"budget": [1.0], "selected": [("007",)]}).set_index("budget")
    before = (selection.usage.copy(), selection.spend.copy(), explanation.projects.copy(),
              frontier.copy())
    write_results(selection, tmp_path / "r.xlsx", explanation=explanation, frontier=frontier)
    for old, new in zip(before, (selection.usage, selection.spend, explanation.projects,
                                 frontier), strict=True):
        pd.testing.assert_frame_equal(old, new)
    assert sheet(openpyxl.load_workbook(tmp_path / "r.xlsx"), "frontier").columns.tolist() == [
        "budget", "selected"]


def test_results_errors(tmp_path, hired):
    selection, _ = hired
    with pytest.raises(InputError, match=r"write_results: expected a Selection \(the result of "
                                         r"select\), got str"):
        write_results("selection", tmp_path / "r.xlsx")
    with pytest.raises(InputError, match=r"write_results: cannot write 'r\.xls'; give a file "
                                         r"name ending in \.xlsx"):
        write_results(selection, tmp_path / "r.xls")
    with pytest.raises(InputError, match=r"write_results: frontier must be a pandas DataFrame "
                                         r"\(or a result with to_frame\(\)\), got list"):
        write_results(selection, tmp_path / "r.xlsx", frontier=[1, 2])
    table = pd.DataFrame({"a": [1]})
    for name, why in (("usage", "is already used"), ("x" * 32, "is longer than 31 characters"),
                      ("a/b", "contains '/'"), ("", "is empty")):
        with pytest.raises(InputError, match=rf"write_results: sheet name '{re.escape(name)}' "
                                             rf"{re.escape(why)}\. Excel sheet names are 1-31 "
                                             r"characters .* the names taken are "):
            write_results(selection, tmp_path / "r.xlsx", sheets={name: table})
    with pytest.raises(InputError, match=r"write_results: sheet 'x' must be a pandas DataFrame"):
        write_results(selection, tmp_path / "r.xlsx", sheets={"x": 3})


# ---------------------------------------------------------------------------------- docs
_BLOCK = re.compile(r"<!-- columns: (\w+) -->\n(.*?)\n<!-- /columns -->", re.S)


def test_docs_show_the_column_descriptions_of_excel_py():
    """docs/excel.md (and data-format.md, where it has blocks) show COLUMNS verbatim.

    Regenerate the blocks with PORTFOLIO_OPT_UPDATE_DOCS=1 pytest tests/test_excel.py -k docs.
    """
    for page in ("excel.md", "data-format.md"):
        path = DOCS / page
        text = path.read_text(encoding="utf-8")
        if os.environ.get("PORTFOLIO_OPT_UPDATE_DOCS"):
            text = _BLOCK.sub(lambda m: f"<!-- columns: {m[1]} -->\n{columns_markdown(m[1])}\n"
                                        "<!-- /columns -->", text)
            path.write_text(text, encoding="utf-8")
        blocks = dict(_BLOCK.findall(text))
        if page == "excel.md":
            assert set(blocks) == set(COLUMNS)
        for table, block in blocks.items():
            assert block == columns_markdown(table), (
                f"docs/{page}: the columns of {table!r} differ from portfolio_opt.excel.COLUMNS;"
                " regenerate with PORTFOLIO_OPT_UPDATE_DOCS=1 pytest tests/test_excel.py -k docs")


def test_data_format_page_and_columns_name_the_same_columns():
    """Every column named in a table of docs/data-format.md is described in COLUMNS, and back."""
    text = (DOCS / "data-format.md").read_text(encoding="utf-8")
    in_docs = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            in_docs |= set(re.findall(r"`(\w+)`", line.split("|")[1]))
    ours = {c.name for table in TABLES for c in COLUMNS[table] if not c.custom}
    assert in_docs <= ours, f"described in data-format.md only: {sorted(in_docs - ours)}"
    # 'period' (capacity, budget, periods) is named in prose there, not in a table
    only_ours = ours - in_docs
    assert only_ours <= {"period"}, f"described in excel.COLUMNS only: {sorted(only_ours)}"
