"""Tests of the review plots: roadmap, waterline, mix against bucket targets, weight tornado.

The tables of ``balance.roadmap``, ``balance.waterline`` and ``balance.mix_vs_targets`` are
recomputed independently from the Portfolio's own tables and the Selection's ``selected`` /
``start`` (plain loops, numpy, pandas); what is drawn (bar positions and widths, face colours by
category, the budget and waterline positions, target markers, tornado bars) is compared with
those tables, and the tornado with the sensitivity tables it reads. Every plot is rendered to a
PNG with the Agg backend; figures are closed after each test.
"""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from portfolio_opt import Portfolio, select  # noqa: E402
from portfolio_opt.balance import mix_vs_targets, roadmap, waterline  # noqa: E402
from portfolio_opt.exceptions import InputError  # noqa: E402
from portfolio_opt.plotting import plot_risk_return  # noqa: E402
from portfolio_opt.plotting._common import category_colours  # noqa: E402
from portfolio_opt.plotting.mix import plot_mix_vs_targets  # noqa: E402
from portfolio_opt.plotting.roadmap import plot_roadmap  # noqa: E402
from portfolio_opt.plotting.tornado import plot_tornado, tornado_table  # noqa: E402
from portfolio_opt.plotting.waterline import plot_waterline  # noqa: E402
from portfolio_opt.sensitivity import (  # noqa: E402
    portfolio_sensitivity,
    ranking_sensitivity,
    weight_to_flip,
)

PERIODS = ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WHITE = (1.0, 1.0, 1.0, 1.0)
RED = to_rgba("#cb181d")


def make_portfolio(**options) -> Portfolio:
    projects = pd.DataFrame({
        "project_id": ["A", "B", "C", "D", "E", "F"],
        "name": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Phi"],
        "cost": [40.0, 30.0, 25.0, 20.0, 35.0, 10.0],
        "duration": [2, 1, 3, 1, 2, 1],
        "category": ["growth", "run", "growth", "compliance", "run", None],
        "mandatory": [False, True, False, False, False, False],
        "value": [9.0, 2.0, 7.0, 5.0, 6.0, 1.0],
        "earliest_start": [None, None, None, "2027-Q2", None, None],
        "latest_start": [None, None, None, "2027-Q2", None, None],
        "fit": [5.0, 1.0, 4.0, 2.0, 3.0, 1.0],
        "return": [1.0, 2.0, 3.0, 5.0, 4.0, 2.0],
    })
    buckets = pd.DataFrame({"column": ["category", "category"], "value": ["growth", "Run"],
                            "min": [np.nan, 0.2], "max": [0.6, np.nan]})
    options = {"budget": 110.0, "periods": PERIODS, "buckets": buckets, **options}
    return Portfolio(projects, **options)


@pytest.fixture(scope="module")
def portfolio() -> Portfolio:
    return make_portfolio()


def category_of(portfolio: Portfolio) -> pd.Series:
    return portfolio.projects["category"].astype(object).fillna("(no category)").map(str)


def expected_colours(portfolio: Portfolio) -> dict:
    """The rule of plot_risk_return: candidates' categories in the portfolio's order."""
    return category_colours(pd.Index(pd.unique(category_of(portfolio))))


def line(ax, gid):
    found = [c for c in ax.lines if c.get_gid() == gid]
    assert len(found) == 1, f"{len(found)} lines with gid {gid!r}"
    return found[0]


def assert_png(ax, path):
    ax.figure.savefig(path, dpi=72)
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    image = plt.imread(path)
    assert image.shape[0] > 100 and image.shape[1] > 100
    assert len(np.unique(image.reshape(-1, image.shape[-1]), axis=0)) > 20  # not blank


# --------------------------------------------------------------------------------------------
# roadmap


def test_roadmap_table_matches_the_selection(portfolio, selection):
    table = roadmap(selection)
    projects = portfolio.projects
    chosen = [p for p in projects.index if selection.selected[p]]
    assert sorted(table.index) == sorted(chosen)
    position = {label: i for i, label in enumerate(PERIODS)}
    for pid, row in table.iterrows():
        start = position[selection.start[pid]]
        duration = int(projects.at[pid, "duration"])
        assert (row["start"], row["start_index"]) == (PERIODS[start], start)
        assert (row["finish"], row["finish_index"]) == (PERIODS[start + duration - 1],
                                                        start + duration - 1)
        assert row["duration"] == duration and row["cost"] == projects.at[pid, "cost"]
        assert row["category"] == category_of(portfolio)[pid]
        assert row["mandatory"] == bool(projects.at[pid, "mandatory"])
    keys = list(zip(table["start_index"], table["finish_index"], table.index, strict=True))
    assert keys == sorted(keys)
    if "D" in table.index:  # its window is one period
        assert table.loc["D", "start"] == "2027-Q2"


def test_roadmap_bars_match_table_and_category_colours(portfolio, selection, tmp_path):
    table = roadmap(selection)
    ax = plot_roadmap(selection)
    bars = list(ax.containers[0])
    assert len(bars) == len(table) > 1
    colours = expected_colours(portfolio)
    for i, (bar, (_, row)) in enumerate(zip(bars, table.iterrows(), strict=True)):
        assert bar.get_x() == pytest.approx(row["start_index"])
        assert bar.get_width() == pytest.approx(row["duration"])
        assert bar.get_y() + bar.get_height() / 2 == pytest.approx(i)
        assert bar.get_facecolor() == pytest.approx(colours[row["category"]])
        assert bool(bar.get_hatch()) == row["mandatory"]
    assert [t.get_text() for t in ax.get_xticklabels()] == PERIODS
    np.testing.assert_allclose(ax.get_xticks(), np.arange(len(PERIODS)) + 0.5)
    assert ax.get_xlim() == pytest.approx((0.0, len(PERIODS)))
    assert_png(ax, tmp_path / "roadmap.png")


def test_roadmap_colours_agree_with_risk_return(portfolio, selection):
    """A category has one colour in every plot of a selection."""
    with_risk = make_portfolio()
    projects = with_risk.projects.reset_index().assign(risk=[1.0, 2, 3, 4, 5, 6])
    sel = select(Portfolio(projects, budget=110.0, periods=PERIODS))
    bubbles = [c for c in plot_risk_return(sel).collections if c.get_gid() == "selected"][0]
    in_order = [p for p in sel.portfolio.projects.index if sel.selected[p]]
    bubble_colour = dict(zip(in_order, map(tuple, bubbles.get_facecolors()), strict=True))
    table = roadmap(sel)
    for bar, pid in zip(plot_roadmap(sel).containers[0], table.index, strict=True):
        assert bar.get_facecolor()[:3] == pytest.approx(bubble_colour[pid][:3])


def test_roadmap_other_column_and_errors(selection):
    table = roadmap(selection, by="name")
    assert (table["name"] == selection.portfolio.projects.loc[table.index, "name"]).all()
    with pytest.raises(InputError, match=r"roadmap: table 'projects' has no column 'unit'"):
        roadmap(selection, by="unit")
    with pytest.raises(InputError, match=r"plot_roadmap|roadmap: .*'unit'"):
        plot_roadmap(selection, by="unit")


def test_roadmap_without_category_or_selection(tmp_path):
    pf = make_portfolio(budget=0.0, buckets=None)
    projects = pf.projects.drop(columns="category").reset_index()
    projects["mandatory"] = False
    sel = select(Portfolio(projects, budget=0.0, periods=PERIODS))
    assert len(roadmap(sel)) == 0
    ax = plot_roadmap(sel)
    assert len(ax.containers[0]) == 0
    assert any(t.get_text() == "no project selected" for t in ax.texts)
    assert_png(ax, tmp_path / "empty.png")


# --------------------------------------------------------------------------------------------
# waterline


def greedy_cutoff(costs, budget):
    total, count = 0.0, 0
    for c in costs:
        total += c
        if total > budget:
            break
        count += 1
    return count


def test_waterline_table_by_value(portfolio, selection):
    table = waterline(selection)
    value = selection.value
    expected = sorted(portfolio.projects.index, key=lambda p: (-value[p], p))
    assert list(table.index) == expected
    assert list(table["rank"]) == list(range(1, 7))
    costs = [portfolio.projects.at[p, "cost"] for p in expected]
    np.testing.assert_allclose(table["cumulative_cost"], np.cumsum(costs))
    cutoff = greedy_cutoff(costs, 110.0)
    assert table.attrs == {"budget": 110.0, "cutoff": cutoff}
    assert list(table["above_line"]) == [i < cutoff for i in range(6)]
    assert list(table["funded"]) == [bool(selection.selected[p]) for p in expected]
    funded = [c if selection.selected[p] else 0.0 for p, c in zip(expected, costs, strict=True)]
    np.testing.assert_allclose(table["cumulative_funded_cost"], np.cumsum(funded))
    assert table["cumulative_funded_cost"].iloc[-1] == pytest.approx(selection.cost)
    # the optimiser's set is not the top of the list here: the plot must show both
    assert (table["funded"] != table["above_line"]).any()


def test_waterline_other_rankings(portfolio, selection):
    cost, value = portfolio.projects["cost"], selection.value
    per_cost = waterline(selection, "value_per_cost")
    assert list(per_cost.index) == sorted(cost.index, key=lambda p: (-value[p] / cost[p], p))
    np.testing.assert_allclose(per_cost["score"], [value[p] / cost[p] for p in per_cost.index])
    order = ["F", "E", "D", "C", "B", "A"]
    assert list(waterline(selection, order)["score"].isna()) == [True] * 6
    assert list(waterline(selection, order).index) == order
    scores = pd.Series([1.0, 3.0, 3.0, 0.0, 2.0, 5.0], index=list("ABCDEF"))
    assert list(waterline(selection, scores).index) == ["F", "B", "C", "E", "A", "D"]
    ranked = pd.DataFrame({"score": [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]}, index=list("DCBAFE"))
    table = waterline(selection, ranked)
    assert list(table.index) == list("DCBAFE")
    assert list(table["score"]) == [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]


@pytest.mark.parametrize(("ranking", "match"), [
    ("best", r"waterline: unknown ranking 'best'; valid: value, value_per_cost"),
    (["A", "B", "C", "D", "E"], r"in the list of project ids, .*F.* are missing"),
    (["A", "B", "C", "D", "E", "F", "Z"], r"in the list of project ids, .*Z.* not in the proj"),
    (["A", "A", "B", "C", "D", "E", "F"], r"A.* appear more than once"),
    (pd.Series([1.0, np.nan, 1, 1, 1, 1], index=list("ABCDEF")),
     r"waterline: the ranking scores of .*B.* are missing or not numbers"),
])
def test_waterline_bad_rankings(selection, ranking, match):
    with pytest.raises(InputError, match=match):
        waterline(selection, ranking)


def test_waterline_plot_matches_table(portfolio, selection, tmp_path):
    table = waterline(selection)
    ax = plot_waterline(selection)
    colours = expected_colours(portfolio)
    bars = list(ax.containers[0])
    assert len(bars) == 6
    for i, (bar, (_, row)) in enumerate(zip(bars, table.iterrows(), strict=True)):
        assert bar.get_x() == pytest.approx(row["cumulative_cost"] - row["cost"])
        assert bar.get_width() == pytest.approx(row["cost"])
        assert bar.get_y() + bar.get_height() / 2 == pytest.approx(i)
        colour = colours[row["category"]]
        assert bar.get_edgecolor() == pytest.approx(colour)
        assert bar.get_facecolor() == pytest.approx(colour if row["funded"] else WHITE)
    budget = line(ax, "budget")
    assert set(budget.get_xdata()) == {110.0}
    waterline_y = set(line(ax, "waterline").get_ydata())
    assert waterline_y == {table.attrs["cutoff"] - 0.5}
    # the line lies between the last project that fits in rank order and the first that doesn't
    assert table["above_line"].iloc[table.attrs["cutoff"] - 1]
    assert not table["above_line"].iloc[table.attrs["cutoff"]]
    funded = line(ax, "funded cost").get_xydata()
    np.testing.assert_allclose(funded[::2, 0], table["cumulative_funded_cost"])
    np.testing.assert_allclose(funded[::2, 1], np.arange(6) - 0.5)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == f"1. {table.index[0]} {table['name'].iloc[0]}"
    assert_png(ax, tmp_path / "waterline.png")


def test_waterline_without_budget_has_no_lines():
    pf = make_portfolio(budget=None, buckets=None)
    sel = select(pf)
    table = waterline(sel)
    assert table.attrs == {"budget": None, "cutoff": 6} and table["above_line"].all()
    ax = plot_waterline(sel, ax=Figure().subplots())
    assert [c.get_gid() for c in ax.lines] == ["funded cost"]


def many_projects(n: int, budget_share: float, seed: int = 0) -> Portfolio:
    """``n`` one-period projects of random cost and value, a budget of a share of the total."""
    rng = np.random.default_rng(seed)
    cost = np.round(rng.uniform(5.0, 50.0, n), 1)
    projects = pd.DataFrame({
        "project_id": [f"P{i:03d}" for i in range(n)], "cost": cost,
        "value": np.round(cost * rng.uniform(0.5, 2.0, n), 1),
        "category": rng.choice(["growth", "run", "compliance"], n),
    })
    return Portfolio(projects, budget=round(budget_share * float(cost.sum()), 1))


@pytest.mark.parametrize(("budget_share", "max_rows"), [
    (0.5, 7), (0.5, 8), (0.5, 39), (0.03, 8), (0.97, 8), (0.5, 40), (0.5, 100)])
def test_waterline_max_rows_draws_the_ranks_around_the_line(budget_share, max_rows):
    sel = select(many_projects(40, budget_share))
    table = waterline(sel)
    cutoff, n = table.attrs["cutoff"], len(table)
    ax = plot_waterline(sel, max_rows=max_rows, ax=Figure().subplots())
    bars = list(ax.containers[0])
    assert len(bars) == min(max_rows, n)
    rows = [round(b.get_y() + b.get_height() / 2) for b in bars]  # y = rank - 1
    first = rows[0]
    assert rows == list(range(first, first + len(bars)))  # consecutive ranks, best on top
    for bar, row in zip(bars, rows, strict=True):
        assert bar.get_x() == pytest.approx(table["cumulative_cost"].iloc[row]
                                            - table["cost"].iloc[row])
        assert bar.get_width() == pytest.approx(table["cost"].iloc[row])
    title = ax.get_title()
    assert f"{int(sel.selected.sum())} of {n} projects funded" in title  # the whole table
    if max_rows >= n:
        assert first == 0 and "shown" not in title
    else:
        assert f"(ranks {first + 1}-{first + max_rows} shown)" in title
        # the line as near the middle as the ends of the table allow
        at_end = first in (0, n - max_rows)
        assert abs((cutoff - first) - max_rows / 2) <= 1 or at_end
        if first == 0:
            assert cutoff <= max_rows / 2 + 1
        if first == n - max_rows:
            assert cutoff >= n - max_rows / 2 - 1
        low, high = ax.get_xlim()
        assert low <= min(b.get_x() for b in bars) and high >= max(
            b.get_x() + b.get_width() for b in bars)
        assert low <= table.attrs["budget"] <= high
    if first <= cutoff <= first + len(bars) and cutoff < n:
        assert set(line(ax, "waterline").get_ydata()) == {cutoff - 0.5}
    else:
        assert "waterline" not in [c.get_gid() for c in ax.lines]


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_waterline_and_roadmap_reject_a_bad_row_limit(selection, bad):
    with pytest.raises(InputError, match=r"plot_waterline: max_rows must be a whole number >= 1 "
                                         r"\(or None for every row\), got "):
        plot_waterline(selection, max_rows=bad)
    with pytest.raises(InputError, match=r"plot_roadmap: top must be a whole number >= 1 "
                                         r"\(or None for every row\), got "):
        plot_roadmap(selection, top=bad)


@pytest.mark.parametrize("top", [1, 5, 19, 1000])
def test_roadmap_top_draws_the_selected_projects_of_greatest_value(top):
    sel = select(many_projects(40, 0.5, seed=1))
    chosen = sel.to_frame()
    chosen = chosen[chosen["selected"]]
    by_value = chosen.sort_values("value", ascending=False)["value"]
    ax = plot_roadmap(sel, top=top, ax=Figure().subplots())
    drawn = [t.get_text() for t in ax.get_yticklabels()]
    assert len(list(ax.containers[0])) == len(drawn) == min(top, len(chosen))
    left_out = by_value.drop(drawn)
    assert len(left_out) == 0 or by_value[drawn].min() >= left_out.max()  # none greater left
    # still in the roadmap's (start) order
    full = roadmap(sel)
    assert drawn == [p for p in full.index if p in set(drawn)]
    title = ax.get_title()
    assert f"Roadmap: {len(chosen)} selected projects" in title
    assert ("of greatest value shown" in title) == (top < len(chosen))


# --------------------------------------------------------------------------------------------
# mix against targets


def expected_mix(portfolio, selected, measure="cost"):
    projects = portfolio.projects
    amount = projects["cost"] if measure == "cost" else pd.Series(1.0, index=projects.index)
    category = category_of(portfolio)
    chosen = amount[selected.to_numpy()]
    total = chosen.sum()
    return {c: chosen[category[chosen.index] == c].sum() / total for c in category.unique()}


def test_mix_table_matches_independent_shares(portfolio, selection):
    table = mix_vs_targets(selection)
    assert table.attrs == {"by": "category", "measure": "cost"}
    shares = expected_mix(portfolio, selection.selected)
    assert set(table.index) == set(shares)
    for group, share in shares.items():
        assert table.loc[group, "share_selected"] == pytest.approx(share)
    assert table.loc["growth", "max"] == 0.6 and np.isnan(table.loc["growth", "min"])
    assert table.loc["run", "min"] == 0.2  # the bucket says "Run": compared ignoring case
    assert table.loc["run", "status"] == "within" and table.loc["growth", "status"] == "within"
    assert table.loc["compliance", "status"] == "no target"
    amounts = table["amount_selected"].to_numpy()
    assert list(amounts) == sorted(amounts, reverse=True)
    counts = portfolio.projects.groupby(category_of(portfolio)).size()
    np.testing.assert_allclose(table["share_candidates"] * portfolio.projects["cost"].sum(),
                               table["amount_candidates"])
    assert table["count_selected"].sum() == selection.selected.sum() and counts.sum() == 6


def test_mix_status_off_target_and_select_override(portfolio, selection):
    off = dataclasses.replace(selection, selected=pd.Series(
        [True, True, True, False, False, False], index=list("ABCDEF")))
    table = mix_vs_targets(off)  # growth 65/95 > 0.6, run 30/95 >= 0.2
    assert table.loc["growth", "status"] == "above max"
    assert table.loc["run", "status"] == "within"
    none = dataclasses.replace(selection, selected=pd.Series(False, index=list("ABCDEF")))
    assert mix_vs_targets(none).loc["growth", "status"] == "nothing selected"
    # the buckets applied by select(..., buckets=...) replace the portfolio's
    counted = pd.DataFrame({"column": ["category"], "value": ["growth"], "measure": ["count"],
                            "min": [0.25]})
    sel = select(portfolio, buckets=counted)
    table = mix_vs_targets(sel)
    assert table.attrs["measure"] == "count"
    assert table.loc["growth", "min"] == 0.25 and np.isnan(table.loc["run", "min"])
    for group, share in expected_mix(portfolio, sel.selected, "count").items():
        assert table.loc[group, "share_selected"] == pytest.approx(share)


def test_mix_errors(portfolio, selection):
    with pytest.raises(InputError, match=r"mix_vs_targets: table 'projects' has no column 'x'"):
        mix_vs_targets(selection, by="x")
    with pytest.raises(InputError, match=r"mix_vs_targets: measure 'name' is not cost, count"):
        mix_vs_targets(selection, measure="name")
    mixed = pd.DataFrame({"column": ["category"] * 2, "value": ["growth", "run"],
                          "measure": ["cost", "count"], "max": [0.9, 0.9]})
    sel = select(portfolio, buckets=mixed)
    with pytest.raises(InputError, match=r"buckets on 'category' use several measures "
                                         r"\(cost, count\); pass measure="):
        mix_vs_targets(sel)
    assert mix_vs_targets(sel, measure="count").loc["run", "max"] == 0.9
    assert np.isnan(mix_vs_targets(sel, measure="count").loc["growth", "max"])


def test_mix_plot_matches_table(portfolio, selection, tmp_path):
    off = dataclasses.replace(selection, selected=pd.Series(
        [True, True, True, False, False, False], index=list("ABCDEF")))
    for sel, name in ((selection, "mix.png"), (off, "mix_off.png")):
        table = mix_vs_targets(sel)
        ax = plot_mix_vs_targets(sel)
        bars = list(ax.containers[0])
        colours = expected_colours(portfolio)
        for i, (bar, (group, row)) in enumerate(zip(bars, table.iterrows(), strict=True)):
            assert bar.get_width() == pytest.approx(row["share_selected"])
            assert bar.get_y() + bar.get_height() / 2 == pytest.approx(i)
            assert bar.get_facecolor() == pytest.approx(colours[group])
            is_off = row["status"] in ("below min", "above max")
            assert (bar.get_edgecolor() == pytest.approx(RED)) == is_off
        rows = {g: i for i, g in enumerate(table.index)}
        for gid in ("min", "max"):
            expected = sorted((table.loc[g, gid], rows[g]) for g in table.index
                              if not np.isnan(table.loc[g, gid]))
            assert sorted(map(tuple, line(ax, gid).get_xydata())) == expected
        np.testing.assert_allclose(line(ax, "candidates").get_xydata(),
                                   np.column_stack([table["share_candidates"], range(len(table))]))
        assert_png(ax, tmp_path / name)
    assert any(t.get_text() == "above max" for t in ax.texts)


# --------------------------------------------------------------------------------------------
# tornado

CRITERIA = {"fit": 0.7, "return": 0.3}  # no ties at these weights


def check_tornado(ax, table, bars):
    """Bars drawn = the table: left from low - weight to 0, right from 0 to high - weight."""
    assert list(bars.index) == sorted(table["criterion"], key=lambda c: (
        bars.loc[c, "margin"], list(table["criterion"]).index(c)))
    left, right = list(ax.containers[0]), list(ax.containers[1])
    for i, criterion in enumerate(bars.index):
        row = table.set_index("criterion").loc[criterion]
        assert left[i].get_x() == pytest.approx(bars.loc[criterion, "low"] - row["weight"])
        assert left[i].get_x() + left[i].get_width() == pytest.approx(0.0)
        assert right[i].get_x() == pytest.approx(0.0)
        assert right[i].get_width() == pytest.approx(bars.loc[criterion, "high"] - row["weight"])
        assert left[i].get_y() + left[i].get_height() / 2 == pytest.approx(i)
        for bar, is_open in ((left[i], bars.loc[criterion, "down_open"]),
                             (right[i], bars.loc[criterion, "up_open"])):
            assert (bar.get_facecolor() == pytest.approx(to_rgba("#d9d9d9"))) == is_open
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"{c} ({bars.loc[c, 'weight']:.0%})" for c in bars.index]
    opens = bars[["down_open", "up_open"]].to_numpy()
    assert opens.any() and not opens.all()  # both kinds of bar are checked


def test_tornado_from_ranking_sensitivity(portfolio, tmp_path):
    table = ranking_sensitivity(portfolio, CRITERIA)
    bars = tornado_table(table)
    assert bars.attrs["kind"] == "ranking"
    for _, row in table.iterrows():
        b = bars.loc[row["criterion"]]
        assert b["down_open"] == (row["low_up"] is None or pd.isna(row["low_up"]))
        assert b["low"] == pytest.approx(0.0 if b["down_open"] else row["low"])
        assert b["high"] == pytest.approx(1.0 if b["up_open"] else row["high"])
        if not b["up_open"]:
            assert b["up_change"] == f"{row['high_up']} \u2191 {row['high_down']} \u2193"
        moves = [abs(b[s] - row["weight"]) for s, o in (("low", "down_open"),
                                                        ("high", "up_open")) if not b[o]]
        assert b["margin"] == pytest.approx(min(moves) if moves else np.inf)
    ax = plot_tornado(table)
    check_tornado(ax, table, bars)
    assert ax.get_title().startswith("How far each weight can move before the ranking")
    assert_png(ax, tmp_path / "tornado_ranking.png")


def test_tornado_from_portfolio_sensitivity_and_flip(portfolio, tmp_path):
    table = portfolio_sensitivity(portfolio, CRITERIA, budget=60.0)
    bars = tornado_table(table)
    assert bars.attrs["kind"] == "portfolio"
    for _, row in table.iterrows():
        b = bars.loc[row["criterion"]]
        assert b["up_open"] == (row["high_in"] == "" and row["high_out"] == "")
        if not b["up_open"]:
            words = [f"+{p}" for p in row["high_in"].split(", ") if p]
            words += [f"\u2212{p}" for p in row["high_out"].split(", ") if p]
            assert b["up_change"] == " ".join(words)
    check_tornado(plot_tornado(table), table, bars)

    flip = weight_to_flip(portfolio, "C", CRITERIA, budget=60.0)
    bars = tornado_table(flip)
    assert bars.attrs["kind"] == "flip"
    for _, row in flip.iterrows():
        b = bars.loc[row["criterion"]]
        assert b["down_open"] == pd.isna(row["flip_low"])
        assert b["up_open"] == pd.isna(row["flip_high"])
        assert b["low"] == pytest.approx(0.0 if b["down_open"] else row["flip_low"])
        verb = "leaves" if row["selected"] else "enters"
        assert b["down_change"] == ("" if b["down_open"] else verb)
    ax = plot_tornado(flip, title="Project C")
    check_tornado(ax, flip, bars)
    assert ax.get_title() == "Project C"
    assert_png(ax, tmp_path / "tornado_flip.png")


def test_tornado_rejects_other_tables(portfolio):
    with pytest.raises(InputError, match=r"tornado_table: the table is not the output of "
                                         r"ranking_sensitivity.*its columns are a, b"):
        plot_tornado(pd.DataFrame({"a": [1], "b": [2]}))


def test_plots_leave_inputs_unchanged(portfolio, selection):
    projects = portfolio.projects.copy()
    selected, start = selection.selected.copy(), selection.start.copy()
    order = ["F", "E", "D", "C", "B", "A"]
    table = ranking_sensitivity(portfolio, CRITERIA)
    before = table.copy()
    plot_roadmap(selection)
    plot_waterline(selection, order)
    plot_mix_vs_targets(selection)
    plot_tornado(table)
    pd.testing.assert_frame_equal(portfolio.projects, projects)
    pd.testing.assert_series_equal(selection.selected, selected)
    pd.testing.assert_series_equal(selection.start, start)
    pd.testing.assert_frame_equal(table, before)
    assert order == ["F", "E", "D", "C", "B", "A"]
