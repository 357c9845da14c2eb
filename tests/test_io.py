import pandas as pd
import pytest

from portfolio_opt import InputError, Portfolio
from portfolio_opt.io import read_portfolio

PERIODS = ["2027-Q1", "2027-Q2", "2027-Q3"]


def tables():
    return {
        "projects": pd.DataFrame({
            "project_id": ["007", "P02", "P03"],
            "name": ["Ærø ferry booking", "CRM", "Data platform"],
            "cost": [10.0, 20.0, 30.0],
            "duration": [1, 2, 1],
            "earliest_start": ["2027-Q1", "2027-Q1", "2027-Q2"],
            "mandatory": [True, False, False],
            "value": [1.0, 2.0, 3.0],
            "category": ["run", "007", "grow"],
        }),
        "demand": pd.DataFrame({"project_id": ["007", "P02"], "competence": ["dev", "dev"],
                                "amount": [1.0, 2.0], "offset": [None, 1]}),
        "capacity": pd.DataFrame({"competence": ["dev"] * 3 + ["data"] * 3,
                                  "period": PERIODS * 2, "amount": [3.0] * 6}),
        "budget": pd.DataFrame({"period": ["total", *PERIODS], "amount": [50, 20, 20, 20]}),
        "relations": pd.DataFrame({"kind": ["requires", "synergy"], "project_id": ["P03", "P02"],
                                   "other_id": ["007", "P03"], "lag": [0, None],
                                   "value": [None, 0.5]}),
        "periods": pd.DataFrame({"period": PERIODS}),
        "groups": pd.DataFrame({"group": ["010", "010"], "project_id": ["007", "P02"]}),
        "group_limits": pd.DataFrame({"group": ["010"], "min": [1], "max": [2]}),
        "buckets": pd.DataFrame({"column": ["category"], "value": ["007"], "measure": ["cost"],
                                 "min": [0.1], "max": [0.9]}),
        "substitution": pd.DataFrame({"competence": ["data"], "covers": ["dev"],
                                      "efficiency": [0.5]}),
    }


def write_folder(folder, t):
    folder.mkdir(exist_ok=True)
    for name, df in t.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder


def write_workbook(file, t):
    with pd.ExcelWriter(file) as xl:
        for name, df in t.items():
            df.to_excel(xl, sheet_name=name, index=False)
    return file


@pytest.fixture(params=["folder", "workbook"])
def source(request, tmp_path):
    t = tables()
    if request.param == "folder":
        return write_folder(tmp_path / "pf", t)
    return write_workbook(tmp_path / "pf.xlsx", t)


def test_read_round_trip(source):
    pf = read_portfolio(source)
    t = tables()
    assert pf.project_ids.tolist() == ["007", "P02", "P03"]  # ids stay text
    assert pf.projects["name"].tolist() == t["projects"]["name"].tolist()  # unicode kept
    assert pf.periods.tolist() == PERIODS
    assert pf.budget.total == 50
    assert pf.budget.per_period.tolist() == [20, 20, 20]
    assert pf.projects["mandatory"].tolist() == [True, False, False]
    d = pf.demand.set_index(["project_id", "offset"])["amount"]
    assert d.to_dict() == {("007", 0): 1.0, ("P02", 1): 2.0}
    assert pf.relations[["kind", "project_id", "other_id"]].values.tolist() == [
        ["requires", "P03", "007"], ["synergy", "P02", "P03"]]


def test_read_every_table_as_the_constructor_reads_it(source):
    # groups, limits, buckets and substitution come back as Portfolio(**tables) has them, with
    # text that looks like a number ("010", "007") kept as text
    pf = read_portfolio(source)
    t = tables()
    t["periods"] = PERIODS
    direct = Portfolio(**t)
    for name in ("relations", "groups", "group_limits", "buckets", "substitution", "demand",
                 "capacity", "projects"):
        pd.testing.assert_frame_equal(getattr(pf, name), getattr(direct, name), obj=name)
    assert pf.groups["group"].tolist() == ["010", "010"]
    assert pf.buckets["value"].tolist() == ["007"]


def test_wide_capacity_in_csv(tmp_path):
    t = tables()
    t["capacity"] = pd.DataFrame({"competence": ["dev", "data"],
                                  **{p: [3.0, 1.0] for p in PERIODS}})
    pf = read_portfolio(write_folder(tmp_path / "pf", t))
    assert pf.capacity["amount"].tolist() == [3.0, 3.0, 3.0, 1.0, 1.0, 1.0]


def test_errors_name_the_file(tmp_path):
    t = tables()
    t["projects"].loc[1, "cost"] = -5
    folder = write_folder(tmp_path / "pf", t)
    with pytest.raises(InputError, match=r"projects table \(file projects\.csv\), column 'cost': "
                                         r"P02"):
        read_portfolio(folder)


def test_errors_name_the_sheet(tmp_path):
    t = tables()
    t["demand"].loc[0, "project_id"] = "P99"
    file = write_workbook(tmp_path / "pf.xlsx", t)
    with pytest.raises(InputError, match=r"demand table \(workbook pf\.xlsx, sheet 'demand'\), "
                                         r"column 'project_id': P99"):
        read_portfolio(file)


def test_missing_projects_table(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(InputError, match=r"no projects\.csv"):
        read_portfolio(folder)
    file = tmp_path / "wb.xlsx"
    write_workbook(file, {"demand": tables()["demand"]})
    with pytest.raises(InputError, match=r"no sheet 'projects' \(sheets found: demand\)"):
        read_portfolio(file)


def test_bad_paths(tmp_path):
    with pytest.raises(InputError, match="no such folder or workbook"):
        read_portfolio(tmp_path / "nope")
    with pytest.raises(InputError, match="no such workbook"):
        read_portfolio(tmp_path / "nope.xlsx")
    other = tmp_path / "x.txt"
    other.write_text("hello")
    with pytest.raises(InputError, match=r"expected a folder of CSV files or an \.xlsx"):
        read_portfolio(other)


def test_periods_sheet_needs_period_column(tmp_path):
    t = tables()
    t["periods"] = pd.DataFrame({"label": PERIODS})
    with pytest.raises(InputError, match=r"file periods\.csv: missing column 'period'"):
        read_portfolio(write_folder(tmp_path / "pf", t))


def test_empty_csv(tmp_path):
    folder = write_folder(tmp_path / "pf", tables())
    (folder / "relations.csv").write_text("")
    with pytest.raises(InputError, match=r"file relations\.csv: is empty"):
        read_portfolio(folder)


def test_read_gates_beside_the_portfolio(source, tmp_path):
    from portfolio_opt.io import read_gates

    assert read_gates(source) is None
    gates = pd.DataFrame({"gate": ["fit"], "column": ["value"], "rule": [">="], "value": [2],
                          "action": ["reject"]})
    t = {**tables(), "gates": gates}
    folder = write_folder(tmp_path / "with_gates", t)
    book = write_workbook(tmp_path / "with_gates.xlsx", t)
    for where in (folder, book):
        got = read_gates(where)
        assert got[["gate", "column", "rule", "action"]].values.tolist() == [
            ["fit", "value", ">=", "reject"]]
        assert float(got["value"].iloc[0]) == 2.0
        read_portfolio(where)  # the gates table does not disturb the portfolio
