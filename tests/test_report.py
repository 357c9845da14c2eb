"""Tests of portfolio_opt.report.

The files written are read back and checked against the Portfolio's own tables (budget,
capacity, windows recomputed here with pandas), the HTML page is checked to be self-contained
(embedded PNGs, nothing loaded from the network, no script) and to escape user text.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from portfolio_opt import Portfolio, Status, select  # noqa: E402
from portfolio_opt.exceptions import InputError  # noqa: E402
from portfolio_opt.report import summary_text, write_review  # noqa: E402
from portfolio_opt.scoring import ranking as score_ranking  # noqa: E402

PERIODS = ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NASTY_NAME = '<script>alert("x")</script> & Co'
BUDGET = 450.0
PLOTS = ["waterline.png", "roadmap.png", "risk_return.png", "capacity.png", "category_mix.png"]
CSVS = ["ranking.csv", "selection.csv", "usage.csv", "spend.csv"]


def make_projects(**changes) -> pd.DataFrame:
    projects = pd.DataFrame(
        {
            "project_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
            "name": ["CRM", NASTY_NAME, "ERP", "Web", "HR", "Cloud"],
            "cost": [100.0, 250.0, 80.0, 40.0, 120.0, 60.0],
            "duration": [2, 3, 1, 2, 2, 1],
            "earliest_start": ["2027-Q1", "2027-Q1", "2027-Q2", "2027-Q3", "2027-Q1", "2027-Q2"],
            "latest_start": ["2027-Q1", "2027-Q1", "2027-Q2", "2027-Q3", "2027-Q1", "2027-Q2"],
            "category": ["growth", "growth", "<run>", None, "compliance", "<run>"],
            "risk": [2.0, 4.0, 1.0, 3.0, 2.5, 1.5],
            "value": [10.0, 30.0, 6.0, 5.0, 9.0, 4.0],
            "fit": [3.0, 5.0, 2.0, 1.0, 4.0, 2.0],
        }
    )
    for column, values in changes.items():
        if values is None:
            projects = projects.drop(columns=column)
        else:
            projects[column] = values
    return projects


def make_portfolio(budget: float = BUDGET, criteria=None, **changes) -> Portfolio:
    demand = pd.DataFrame(
        {
            "project_id": ["P1", "P2", "P2", "P3", "P4", "P5", "P6"],
            "competence": ["dev & test", "dev & test", "arch", "dev & test", "dev & test",
                           "change", "change"],
            "amount": [2.0, 3.0, 1.0, 2.0, 1.5, 1.0, 1.0],
        }
    )
    capacity = pd.DataFrame(
        {
            "competence": ["dev & test"] * 4 + ["arch"] * 4 + ["change"] * 4,
            "period": PERIODS * 3,
            "amount": [5.0, 5.0, 4.0, 4.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
        }
    )
    return Portfolio(make_projects(**changes), demand=demand, capacity=capacity, budget=budget,
                     periods=PERIODS, criteria=criteria)


@pytest.fixture(scope="module")
def portfolio() -> Portfolio:
    return make_portfolio()


@pytest.fixture(scope="module")
def review(selection, tmp_path_factory):
    out = tmp_path_factory.mktemp("review") / "nested" / "out"  # does not exist yet
    page = write_review(selection, out)
    return out, page


def read_csv(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"project_id": str, "start": str, "end": str,
                                    "period": str, "competence": str}, keep_default_na=True)


def data_uris(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', page)]


# --------------------------------------------------------------------------------------------
# files


def test_every_file_is_written(review):
    out, page = review
    assert page == out / "report.html"
    for name in [*CSVS, *PLOTS, "report.html"]:
        assert (out / name).is_file(), name
    for name in PLOTS:
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 5_000


def test_selection_csv_respects_budget_capacity_and_windows(review, portfolio, selection):
    out, _ = review
    table = read_csv(out / "selection.csv")
    for column in ["project_id", "selected", "start", "end", "cost", "value", "category"]:
        assert column in table.columns
    assert list(table["project_id"]) == list(portfolio.projects.index)
    np.testing.assert_array_equal(table["selected"], selection.selected.to_numpy())
    chosen = table[table["selected"]].set_index("project_id")
    assert len(chosen) > 0 and len(chosen) < len(table)
    projects = portfolio.projects
    # budget, from the portfolio's own costs
    assert projects.loc[chosen.index, "cost"].sum() <= portfolio.budget.total + 1e-9
    # windows and end periods
    position = {label: i for i, label in enumerate(PERIODS)}
    for pid, row in chosen.iterrows():
        s = position[row["start"]]
        assert position[projects.loc[pid, "earliest_start"]] <= s
        assert s <= position[projects.loc[pid, "latest_start"]]
        assert position[row["end"]] == s + projects.loc[pid, "duration"] - 1
    assert table.loc[~table["selected"], "start"].isna().all()
    # capacity, from the portfolio's own demand and capacity tables
    demand = portfolio.demand
    demand = demand[demand["project_id"].isin(chosen.index)]
    period = demand["project_id"].map(chosen["start"].map(position)) + demand["offset"]
    used = (demand.assign(period=np.asarray(PERIODS)[period.to_numpy(dtype=int)])
            .groupby(["competence", "period"])["amount"].sum())
    capacity = portfolio.capacity.set_index(["competence", "period"])["amount"]
    assert (used <= capacity.reindex(used.index) + 1e-9).all()
    # usage.csv says the same
    usage = read_csv(out / "usage.csv").set_index(["competence", "period"])
    np.testing.assert_allclose(usage["used"], used.reindex(usage.index, fill_value=0.0))
    np.testing.assert_allclose(usage["capacity"], capacity.reindex(usage.index))
    assert not usage["over_allocated"].any()


def test_spend_csv_adds_up(review, portfolio, selection):
    out, _ = review
    spend = read_csv(out / "spend.csv")
    assert list(spend["period"]) == PERIODS
    cost = portfolio.projects.loc[selection.selected.to_numpy(), "cost"].sum()
    assert spend["cost"].sum() == pytest.approx(cost)
    assert spend["cumulative_cost"].iloc[-1] == pytest.approx(cost)


def test_default_ranking_is_by_value(review, portfolio, selection):
    out, _ = review
    ranking = read_csv(out / "ranking.csv")
    assert list(ranking.columns) == ["rank", "project_id", "name", "value", "cost", "selected"]
    assert sorted(ranking["project_id"]) == sorted(portfolio.projects.index)
    assert ranking["value"].is_monotonic_decreasing
    assert ranking["rank"].is_monotonic_increasing
    # rank = 1 + number of projects with a strictly larger value
    values = ranking["value"].to_numpy()
    expected = [1 + int((values > v).sum()) for v in values]
    assert ranking["rank"].tolist() == expected
    by_id = ranking.set_index("project_id")
    np.testing.assert_array_equal(by_id.loc[portfolio.projects.index, "selected"],
                                  selection.selected.to_numpy())
    np.testing.assert_array_equal(by_id.loc[portfolio.projects.index, "value"],
                                  portfolio.projects["value"])


def test_ranking_from_the_scoring_step(tmp_path):
    criteria = pd.DataFrame({"criterion": ["fit", "risk"], "weight": [2.0, 1.0],
                             "direction": ["max", "min"]})
    portfolio = make_portfolio(criteria=criteria)
    ranked = score_ranking(portfolio)
    selection = select(portfolio, ranked["score"])
    write_review(selection, tmp_path, ranking=ranked)
    written = read_csv(tmp_path / "ranking.csv")
    assert list(written.columns[:2]) == ["rank", "project_id"]
    assert list(written["project_id"]) == list(ranked.index)
    assert list(written["rank"]) == list(ranked["rank"])
    np.testing.assert_allclose(written["score"], ranked["score"])
    np.testing.assert_array_equal(written["selected"],
                                  selection.selected.loc[ranked.index].to_numpy())
    assert ranked.index.name == "project_id" and "selected" not in ranked.columns  # not mutated


def test_ranking_without_rank_gets_one_in_the_given_order(selection, tmp_path):
    order = pd.DataFrame({"project_id": ["P3", "P1", "P2", "P4", "P5", "P6"]})
    write_review(selection, tmp_path, ranking=order)
    written = read_csv(tmp_path / "ranking.csv")
    assert written["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert written["project_id"].tolist() == order["project_id"].tolist()
    assert list(order.columns) == ["project_id"]  # the caller's table is not modified


def test_ranking_with_unknown_ids_raises(selection, tmp_path):
    bad = pd.DataFrame({"project_id": ["P1", "P99", "X"], "rank": [1, 2, 3]})
    with pytest.raises(InputError, match=r"ranking table, column 'project_id': P99, X "
                                         r"\(2 projects\) are not projects of the portfolio"):
        write_review(selection, tmp_path, ranking=bad)


def test_ranking_without_ids_raises(selection, tmp_path):
    with pytest.raises(InputError, match=r"ranking table: no 'project_id' column or index.*'id'"):
        write_review(selection, tmp_path, ranking=pd.DataFrame({"id": ["P1"]}))


def test_ranking_must_be_a_dataframe(selection, tmp_path):
    with pytest.raises(InputError, match="ranking must be a pandas DataFrame, got list"):
        write_review(selection, tmp_path, ranking=["P1", "P2"])


# --------------------------------------------------------------------------------------------
# the HTML page


def test_html_embeds_the_plots_as_png_data_uris(review):
    out, page = review
    html_text = page.read_text(encoding="utf-8")
    images = data_uris(html_text)
    assert len(images) == len(PLOTS)
    for image in images:
        assert image.startswith(PNG_SIGNATURE)
    assert {bytes(i) for i in images} == {(out / name).read_bytes() for name in PLOTS}


def test_html_is_self_contained(review):
    _, page = review
    html_text = page.read_text(encoding="utf-8")
    assert re.search(r"https?://", html_text) is None
    assert "<script" not in html_text.lower()
    assert "@import" not in html_text and "url(" not in html_text
    for attribute in re.findall(r'(?:src|href)="([^"]*)"', html_text):
        assert attribute.startswith("data:image/png;base64,")
    assert "@media print" in html_text
    assert html_text.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in html_text


def test_html_escapes_user_text(review):
    _, page = review
    html_text = page.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html_text
    assert NASTY_NAME not in html_text
    assert "&lt;run&gt;" in html_text and "<run>" not in html_text
    assert "dev &amp; test" in html_text and "dev & test" not in html_text
    for name in make_projects()["name"]:  # every project is named in the ranking, escaped
        assert f"<td>{html.escape(name)}</td>" in html_text


def test_html_shows_summary_ranking_selection_and_usage(review, portfolio, selection):
    _, page = review
    html_text = page.read_text(encoding="utf-8")
    chosen = selection.selected
    cost = portfolio.projects.loc[chosen.to_numpy(), "cost"].sum()
    assert f"{int(chosen.sum())} of {len(chosen)} candidates" in html_text
    assert f"<td>{cost:,.0f} (" in html_text
    assert f"<td>{BUDGET:,.0f}</td>" in html_text  # the budget
    assert selection.status.value in html_text and selection.solver in html_text
    for heading in ["Summary", "Ranking", "Selected portfolio", "Balance", "Capacity use"]:
        assert f"<h2>{heading}</h2>" in html_text
    # every selected project with its start period appears in the selected-portfolio table
    section = html_text.split("<h2>Selected portfolio</h2>")[1].split("</section>")[0]
    for pid in selection.selected.index[chosen.to_numpy()]:
        assert f"<td>{pid}</td>" in section
        assert f"<td>{selection.start[pid]}</td>" in section
    for pid in selection.selected.index[~chosen.to_numpy()]:
        assert f"<td>{pid}</td>" not in section
    assert 'class="over"' not in html_text


def test_html_highlights_over_allocation(selection, tmp_path):
    usage = selection.usage.copy()
    busy = usage["used"] > 0
    usage.loc[busy, "capacity"] = usage.loc[busy, "used"] / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        usage["utilisation"] = usage["used"] / usage["capacity"]
    page = write_review(dataclasses.replace(selection, usage=usage), tmp_path)
    html_text = page.read_text(encoding="utf-8")
    section = html_text.split("<h2>Capacity use</h2>")[1]
    assert section.count('class="over"') == int(busy.sum()) > 0
    assert f"{int(busy.sum())} competence-period cells are over capacity" in section
    written = read_csv(tmp_path / "usage.csv")
    np.testing.assert_array_equal(written["over_allocated"], busy.to_numpy())


def test_html_cuts_long_tables(selection, tmp_path):
    page = write_review(selection, tmp_path, max_rows=2)
    html_text = page.read_text(encoding="utf-8")
    assert "Showing the first 2 of 6 projects; the full table is in ranking.csv." in html_text
    assert len(read_csv(tmp_path / "ranking.csv")) == 6


@pytest.mark.parametrize("rows", [2, 60])
def test_plots_of_one_row_per_project_draw_at_most_plot_rows(selection, tmp_path, monkeypatch,
                                                             rows):
    """A large portfolio: the waterline and roadmap draw PLOT_ROWS rows, and the caption says so."""
    from portfolio_opt import report

    drawn = {}

    def spy(name, plot):
        def draw(*args, **kwargs):
            ax = plot(*args, **kwargs)
            drawn[name] = len(ax.containers[0])
            return ax
        return draw

    monkeypatch.setattr(report, "PLOT_ROWS", rows)
    monkeypatch.setattr(report, "plot_waterline", spy("waterline", report.plot_waterline))
    monkeypatch.setattr(report, "plot_roadmap", spy("roadmap", report.plot_roadmap))
    page = write_review(selection, tmp_path).read_text(encoding="utf-8")
    n_selected = int(selection.selected.sum())
    assert drawn == {"waterline": min(rows, 6), "roadmap": min(rows, n_selected)}
    cut = rows < 6
    assert ("The 2 ranks around the line are drawn; every rank is in ranking.csv." in page) == cut
    assert ("The 2 of greatest value are drawn; every selected project is in selection.csv."
            in page) == (rows < n_selected)
    assert len(read_csv(tmp_path / "selection.csv")) == 6  # the tables keep every project


def test_review_without_risk_or_category(tmp_path):
    full = select(make_portfolio())
    write_review(full, tmp_path)
    assert (tmp_path / "risk_return.png").exists()
    selection = select(make_portfolio(risk=None, category=None))
    page = write_review(selection, tmp_path)  # same folder: stale plots must go
    html_text = page.read_text(encoding="utf-8")
    assert not (tmp_path / "risk_return.png").exists()
    assert not (tmp_path / "category_mix.png").exists()
    assert (tmp_path / "capacity.png").exists()
    assert len(data_uris(html_text)) == 3  # capacity, roadmap and waterline need neither
    assert "Not drawn: table &#x27;projects&#x27; has no column &#x27;risk&#x27;" in html_text
    assert "no column &#x27;category&#x27;" in html_text
    table = read_csv(tmp_path / "selection.csv")
    assert "category" in table.columns and table["category"].isna().all()


# --------------------------------------------------------------------------------------------
# summary_text


def test_summary_text(portfolio, selection):
    text = summary_text(selection)
    lines = text.splitlines()
    assert len(lines) == 4 and not text.endswith("\n")
    chosen = selection.selected
    cost = portfolio.projects.loc[chosen.to_numpy(), "cost"].sum()
    n_mandatory = int((chosen & portfolio.projects["mandatory"]).sum())
    assert lines[0] == (f"Selected {int(chosen.sum())} of {len(chosen)} projects "
                        f"({n_mandatory} mandatory)")
    assert lines[1] == f"Cost {cost:,.0f} of budget {BUDGET:,.0f} ({cost / BUDGET:.1%} used)"
    objective = portfolio.projects.loc[chosen.to_numpy(), "value"].sum()
    assert lines[2].startswith(f"Objective {objective:,.0f} (bound ")
    assert lines[2].endswith("gap 0.00 %)")
    assert lines[3].startswith(f"Status optimal - solver {selection.solver}, ")
    assert re.fullmatch(r".*, \d+\.\d\d s", lines[3])


def test_summary_text_reports_gap_and_missing_budget(selection):
    feasible = dataclasses.replace(selection, status=Status.FEASIBLE, gap=0.0123, budget=None)
    lines = summary_text(feasible).splitlines()
    assert lines[1].endswith("(no total budget)")
    assert lines[2].endswith("gap 1.23 %)")
    assert lines[3].startswith("Status feasible")
    unsolved = dataclasses.replace(selection, status=Status.NOT_SOLVED, objective=float("nan"),
                                   bound=float("nan"), gap=float("inf"))
    lines = summary_text(unsolved).splitlines()
    assert lines[2] == "Objective n/a (bound n/a, gap n/a)"
    assert lines[3].startswith("Status not_solved")


def test_review_of_the_bundled_sample(tmp_path):
    from portfolio_opt.datasets import load_sample
    from portfolio_opt.scoring import ranking

    portfolio = load_sample()
    ranked = ranking(portfolio)
    selection = select(portfolio, ranked["score"])
    page = write_review(selection, tmp_path, ranking=ranked)
    html_text = page.read_text(encoding="utf-8")
    assert len(data_uris(html_text)) == len(PLOTS)
    assert re.search(r"https?://", html_text) is None
    spend = read_csv(tmp_path / "spend.csv")
    budget = portfolio.budget.per_period
    np.testing.assert_array_equal(spend["budget"], budget.loc[spend["period"]].to_numpy())
    assert (spend["cost"] <= spend["budget"] + 1e-6).all()
    chosen = read_csv(tmp_path / "selection.csv").query("selected")
    assert chosen["cost"].sum() <= portfolio.budget.total + 1e-6
    assert spend["cost"].sum() == pytest.approx(chosen["cost"].sum())


# --------------------------------------------------------------------------------------------
# frontier, scenarios and robustness in the review


def test_review_with_frontier_and_scenarios(portfolio, selection, tmp_path):
    from portfolio_opt.frontier import efficient_frontier
    from portfolio_opt.scenarios import Scenario, compare_scenarios

    budgets = [200.0, 300.0, BUDGET, 600.0]
    frontier = efficient_frontier(portfolio, budgets=budgets)
    comparison = compare_scenarios(portfolio, [Scenario("cut", budget=300.0),
                                               Scenario("overrun", cost_overrun=1.5)])
    page = write_review(selection, tmp_path, frontier=frontier, scenarios=comparison)
    html_text = page.read_text(encoding="utf-8")
    # the tables written are the ones given, the figures are embedded
    written = read_csv(tmp_path / "frontier.csv")
    np.testing.assert_allclose(written["budget"], budgets)
    np.testing.assert_allclose(written["objective"], frontier["objective"].to_numpy())
    # each point is the selection at that budget (the frontier's own tests compare it with
    # brute force); the point at the portfolio's budget is the reviewed selection
    at_budget = {b: select(make_portfolio(budget=b)).objective for b in budgets}
    np.testing.assert_allclose(written["objective"], [at_budget[b] for b in budgets])
    assert written.loc[written["budget"] == BUDGET, "objective"].item() == pytest.approx(
        selection.objective)
    scen = read_csv(tmp_path / "scenarios.csv")
    assert scen.iloc[:, 0].tolist()[1:] == ["cut", "overrun"]
    assert (tmp_path / "frontier.png").read_bytes().startswith(PNG_SIGNATURE)
    assert (tmp_path / "scenarios.png").read_bytes().startswith(PNG_SIGNATURE)
    assert len(data_uris(html_text)) == len(PLOTS) + 2
    assert "<h2>Efficient frontier</h2>" in html_text and "<h2>Scenarios</h2>" in html_text


def test_unproven_frontier_points_and_sensitivity_estimates_are_said(selection, tmp_path):
    """A frontier point or a sensitivity search stopped by a time limit is not called exact."""
    from portfolio_opt.frontier import efficient_frontier
    from portfolio_opt.report_html import sensitivity_html

    frontier = efficient_frontier(selection.portfolio, budgets=[300.0, BUDGET])
    assert (frontier["status"] == "optimal").all()
    page = write_review(selection, tmp_path / "exact", frontier=frontier)
    assert "each point an exact re-solve" in page.read_text(encoding="utf-8")
    stopped = frontier.copy()
    stopped.loc[stopped.index[0], "status"] = "feasible"  # as a time limit leaves it
    page = write_review(selection, tmp_path / "stopped", frontier=stopped)
    text = page.read_text(encoding="utf-8")
    assert "each point an exact re-solve" not in text
    assert "1 of 2 stopped by the time limit or gap" in text
    table = pd.DataFrame({"criterion": ["fit", "risk"], "low": [0.1, 0.2], "high": [0.5, 0.3],
                          "exact": [True, True]})
    assert "Not certified" not in sensitivity_html({"portfolio": table})
    table.loc[1, "exact"] = False
    assert "Not certified: for 1 of 2 criteria" in sensitivity_html({"portfolio": table})
    assert stopped is not frontier and (frontier["status"] == "optimal").all()
