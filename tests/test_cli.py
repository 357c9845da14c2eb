import contextlib
import io
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from portfolio_opt.cli import main
from portfolio_opt.datasets import load_sample


@pytest.fixture(scope="module")
def review_run(tmp_path_factory):
    """The whole review of the sample, once for the module: (output folder, what it printed).

    Frontier and scenarios on two worker processes (the other reviews here run serially).
    """
    out = tmp_path_factory.mktemp("review")
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        code = main(["review", "--sample", "--out", str(out), "--excel",
                     str(out / "results.xlsx"), "--workers", "2"])
    assert code == 0
    return out, printed.getvalue()


@pytest.fixture(scope="module")
def review(review_run):
    return review_run[0]


def test_review_writes_every_file(review):
    for name in ("ranking.csv", "selection.csv", "usage.csv", "report.html",
                 "risk_return.png", "capacity.png", "category_mix.png", "screening.csv",
                 "sensitivity_ranking.csv", "sensitivity_portfolio.csv", "explanations.csv",
                 "bottlenecks.csv", "hiring.csv", "frontier.csv", "frontier.png",
                 "scenarios.csv", "scenarios.png", "robustness.csv", "waterline.png",
                 "roadmap.png", "tornado.png", "results.xlsx"):
        assert (review / name).stat().st_size > 0, name


def test_review_frontier_scenarios_and_robustness(review):
    sel = pd.read_csv(review / "selection.csv", dtype={"project_id": str})
    objective = sel.loc[sel["selected"], "value"].sum()  # no synergy in the sample
    budget = load_sample().budget.total
    frontier = pd.read_csv(review / "frontier.csv").sort_values("budget")
    assert (frontier["status"] == "optimal").all()
    assert frontier["objective"].is_monotonic_increasing  # more budget never loses value
    at_budget = frontier.loc[np.isclose(frontier["budget"], budget), "objective"]
    assert at_budget.item() == pytest.approx(objective, rel=1e-9)
    assert frontier["budget"].min() < budget < frontier["budget"].max()
    scenarios = pd.read_csv(review / "scenarios.csv")
    assert scenarios.iloc[0, 0] == "baseline"
    assert scenarios.loc[0, "objective"] == pytest.approx(objective, rel=1e-9)
    cut = scenarios[scenarios.iloc[:, 0] == "budget -10 %"]
    assert cut["objective"].item() <= objective + 1e-9  # a cut never gains value
    robust = pd.read_csv(review / "robustness.csv", dtype={"project_id": str})
    core = robust["core_index"]
    assert ((robust["robustness"] == "core") == np.isclose(core, 1.0)).all()
    assert ((robust["robustness"] == "exterior") == np.isclose(core, 0.0)).all()
    ranking = pd.read_csv(review / "ranking.csv", dtype={"project_id": str})
    assert {"core_index", "robustness"} <= set(ranking.columns)
    html = (review / "report.html").read_text(encoding="utf-8")
    assert "Efficient frontier" in html and "Scenarios" in html and "indicative" in html


def test_review_results_workbook(review):
    sheets = pd.read_excel(review / "results.xlsx", sheet_name=None)
    assert {"selection", "usage", "explanations", "frontier"} <= set(sheets)
    sel = pd.read_csv(review / "selection.csv", dtype={"project_id": str})
    book = sheets["selection"].astype({"project_id": str})
    assert set(book.loc[book["selected"].astype(bool), "project_id"]) == set(
        sel.loc[sel["selected"], "project_id"])


def test_review_screens_the_sample_ideas(review):
    """The sample's gates reject ideas before ranking; they never reach the selection."""
    from portfolio_opt.datasets import load_sample_gates

    gates = load_sample_gates()
    projects = load_sample().projects
    screening = pd.read_csv(review / "screening.csv", dtype={"project_id": str})
    rejected = set(screening.loc[screening["action"] == "reject", "project_id"])
    # recomputed here: strategic fit below 2 (unless mandatory) or no business case
    fit = float(gates.set_index("column").loc["strategic_fit", "value"])
    expected = set(projects.index[((projects["strategic_fit"] < fit)
                                   | projects["business_case"].isna())
                                  & ~projects["mandatory"]])
    assert expected <= rejected
    sel = pd.read_csv(review / "selection.csv", dtype={"project_id": str})
    assert not rejected & set(sel["project_id"])
    legal = set(projects.index[projects["legal_requirement"]])
    assert legal <= set(sel.loc[sel["selected"], "project_id"])
    html = (review / "report.html").read_text(encoding="utf-8")
    assert "Idea screening" in html and "Weight sensitivity" in html
    assert "Explanations" in html and "Bottlenecks" in html and "Hiring plan" in html


def test_review_hiring_plan_within_flexible_capacity(review):
    """Hiring stays within flex_amount and costs flex_cost per unit (recomputed here)."""
    cap = load_sample().capacity.set_index(["competence", "period"])
    hiring = pd.read_csv(review / "hiring.csv").set_index(["competence", "period"])
    flex = cap.reindex(hiring.index)
    assert (hiring["hired"] <= flex["flex_amount"] + 1e-9).all()
    assert (hiring["cost"] - hiring["hired"] * flex["flex_cost"]).abs().max() < 1e-6
    # and the explanations cover every candidate that survived the screening
    expl = pd.read_csv(review / "explanations.csv", dtype={"project_id": str})
    sel = pd.read_csv(review / "selection.csv", dtype={"project_id": str})
    assert set(expl["project_id"]) == set(sel["project_id"])


def test_review_sensitivity_intervals_contain_the_weights(review):
    weights = load_sample().criteria.set_index("criterion")["weight"]
    weights = weights / weights.sum()
    for name in ("ranking", "portfolio"):
        table = pd.read_csv(review / f"sensitivity_{name}.csv").set_index("criterion")
        assert set(table.index) == set(weights.index)
        w = weights.reindex(table.index)
        assert ((table["low"] <= w + 1e-12) & (w <= table["high"] + 1e-12)).all(), name


def test_review_without_screening_or_sensitivity(tmp_path):
    out = tmp_path / "r"
    assert main(["review", "--sample", "--no-screening", "--no-sensitivity", "--no-frontier",
                 "--no-scenarios", "--no-robust", "--no-explain", "--out", str(out)]) == 0
    assert not (out / "frontier.csv").exists() and not (out / "robustness.csv").exists()
    assert not (out / "screening.csv").exists() and not (out / "scenarios.csv").exists()
    assert not (out / "sensitivity_ranking.csv").exists()
    assert not (out / "explanations.csv").exists() and not (out / "bottlenecks.csv").exists()
    sel = pd.read_csv(out / "selection.csv")
    assert len(sel) == len(load_sample())


def test_review_selection_respects_budget_and_capacity(review):
    """Recompute cost and competence use from load_sample()'s own tables."""
    pf = load_sample()
    sel = pd.read_csv(review / "selection.csv", dtype={"project_id": str, "start": str})
    assert {"project_id", "selected", "start", "cost", "value", "category"} <= set(sel.columns)
    chosen = sel[sel["selected"]]
    projects = pf.projects
    assert chosen["cost"].sum() <= pf.budget.total + 1e-6
    # every mandatory project is in
    assert set(projects.index[projects["mandatory"]]) <= set(chosen["project_id"])
    # competence use per period, recomputed here from demand offsets and start periods
    periods = list(pf.periods)
    start = dict(zip(chosen["project_id"], chosen["start"].map(periods.index)))
    d = pf.demand[pf.demand["project_id"].isin(start)]
    pos = d["project_id"].map(start) + d["offset"]
    used = d.assign(period=[periods[p] for p in pos]).groupby(["competence", "period"])[
        "amount"].sum()
    cap = pf.capacity.set_index(["competence", "period"])["amount"]
    hired = pd.read_csv(review / "hiring.csv").set_index(["competence", "period"])["hired"]
    cap = cap.add(hired, fill_value=0.0)  # contractors hired for the selection
    assert (used <= cap.reindex(used.index) + 1e-9).all()
    # per-period budget: cost spread evenly over the duration
    per = pf.budget.per_period
    if per is not None:
        spend = np.zeros(len(periods))
        for pid, s in start.items():
            dur = projects.loc[pid, "duration"]
            spend[s:s + dur] += projects.loc[pid, "cost"] / dur
        hiring = pd.read_csv(review / "hiring.csv").groupby("period")["cost"].sum()
        spend += hiring.reindex(periods, fill_value=0.0).to_numpy()  # contractors' cost
        assert (spend <= per.to_numpy() + 1e-6).all()


def test_review_prints_summary(review_run):
    out = review_run[1]  # what the module's whole review printed
    assert re.search(r"Screening: \d+ ideas rejected", out)
    assert "optimal" in out.lower()
    assert "review written to" in out


def test_review_of_a_folder_and_exit_code_for_bad_input(tmp_path, capsys):
    folder = tmp_path / "pf"
    folder.mkdir()
    pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [1.0, 2.0, 3.0],
                  "value": [1.0, 3.0, 3.5]}).to_csv(folder / "projects.csv", index=False)
    pd.DataFrame({"period": ["total"], "amount": [4.0]}).to_csv(folder / "budget.csv",
                                                                 index=False)
    assert main(["review", str(folder), "--out", str(tmp_path / "out")]) == 0
    sel = pd.read_csv(tmp_path / "out" / "selection.csv")
    assert sel.loc[sel["selected"], "project_id"].tolist() == ["A", "C"]

    pd.DataFrame({"project_id": ["A", "A"], "cost": [1.0, -2.0]}).to_csv(
        folder / "projects.csv", index=False)
    assert main(["validate", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "duplicate ids A" in err and "projects.csv" in err


def test_infeasible_exit_code(tmp_path, capsys):
    folder = tmp_path / "pf"
    folder.mkdir()
    pd.DataFrame({"project_id": ["A", "B"], "cost": [3.0, 2.0], "value": [1.0, 1.0],
                  "mandatory": [True, True]}).to_csv(folder / "projects.csv", index=False)
    assert main(["review", str(folder), "--budget", "4", "--out", str(tmp_path / "o")]) == 3
    assert "budget is 4" in capsys.readouterr().err


def test_usage_errors_exit_2():
    with pytest.raises(SystemExit) as info:
        main(["review", "--out", "x"])  # neither a path nor --sample
    assert info.value.code == 2


def test_help_explains_every_option():
    out = subprocess.run([sys.executable, "-m", "portfolio_opt.cli", "review", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for option in ("--sample", "--out", "--value", "--budget", "--solver", "--time-limit",
                   "--gap", "--no-screening", "--no-sensitivity", "--no-explain"):
        assert option in out


def test_template_round_trips(tmp_path, capsys):
    from portfolio_opt.io import read_portfolio

    assert main(["template", str(tmp_path / "t.xlsx")]) == 0
    assert "template written to" in capsys.readouterr().out
    example = read_portfolio(tmp_path / "t.xlsx")
    assert len(example) >= 1
    assert main(["template", str(tmp_path / "s.xlsx"), "--sample"]) == 0
    sample = read_portfolio(tmp_path / "s.xlsx")
    pd.testing.assert_frame_equal(sample.projects, load_sample().projects, check_dtype=False)
    pd.testing.assert_frame_equal(sample.capacity, load_sample().capacity, check_dtype=False)


def test_frontier_command(tmp_path, capsys):
    out = tmp_path / "f"
    assert main(["frontier", "--sample", "--budgets", "6000,9000", "--out", str(out),
                 "--no-progress"]) == 0
    table = pd.read_csv(out / "frontier.csv")
    assert table["budget"].tolist() == [6000.0, 9000.0]
    assert table["objective"].iloc[0] <= table["objective"].iloc[1]
    assert (out / "frontier.png").stat().st_size > 0
    # two worker processes give the same table
    assert main(["frontier", "--sample", "--budgets", "6000,9000", "--out", str(tmp_path / "g"),
                 "--workers", "2"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "g" / "frontier.csv"), table)
    capsys.readouterr()
    assert main(["frontier", "--sample", "--budgets", "6000,lots", "--out", str(out)]) == 1
    assert "--budgets must be comma-separated numbers, got '6000,lots'" in capsys.readouterr().err
    assert main(["frontier", "--sample", "--workers", "0", "--out", str(out)]) == 1
    assert "--workers must be at least 1, got 0" in capsys.readouterr().err


def test_review_checks_the_excel_target_before_any_work(tmp_path, capsys):
    out = tmp_path / "never"
    code = main(["review", "--sample", "--out", str(out), "--excel", str(tmp_path / "r.csv")])
    assert code == 1
    assert "--excel: cannot write 'r.csv'; give a file name ending in .xlsx" in (
        capsys.readouterr().err)
    assert not out.exists()  # nothing was solved or written
