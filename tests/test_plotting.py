"""Tests of portfolio_opt.plotting.

What is drawn is compared with the balance tables recomputed independently from the Portfolio's
own tables (bubble positions and areas, heatmap cells, bar widths); every plot is rendered to a
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
from matplotlib.patches import Rectangle  # noqa: E402

from portfolio_opt import Portfolio, select  # noqa: E402
from portfolio_opt.exceptions import InputError  # noqa: E402
from portfolio_opt.plotting import plot_capacity, plot_category_mix, plot_risk_return  # noqa: E402

PERIODS = ["2027-Q1", "2027-Q2", "2027-Q3"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_portfolio(**changes) -> Portfolio:
    projects = pd.DataFrame(
        {
            "project_id": ["A", "B", "C", "D", "E"],
            "name": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"],
            "cost": [50.0, 20.0, 80.0, 10.0, 40.0],
            "duration": [1, 2, 1, 1, 2],
            "category": ["growth", "run", "growth", "compliance", None],
            "risk": [3.0, 1.0, 4.5, 2.0, 2.5],
            "value": [8.0, 3.0, 9.0, 1.0, 4.0],
        }
    )
    for column, values in changes.items():
        if values is None:
            projects = projects.drop(columns=column)
        else:
            projects[column] = values
    demand = pd.DataFrame(
        {
            "project_id": ["A", "B", "C", "D", "E"],
            "competence": ["dev", "dev", "dev", "ops", "ops"],
            "amount": [2.0, 1.0, 3.0, 1.0, 1.0],
        }
    )
    capacity = pd.DataFrame(
        {
            "competence": ["dev"] * 3 + ["ops"] * 3,
            "period": PERIODS * 2,
            "amount": [3.0, 2.0, 2.0, 2.0, 1.0, 0.0],
        }
    )
    return Portfolio(projects, demand=demand, capacity=capacity, budget=120.0, periods=PERIODS)


@pytest.fixture(scope="module")
def portfolio() -> Portfolio:
    return make_portfolio()


def independent_utilisation(portfolio: Portfolio, start: pd.Series) -> pd.DataFrame:
    """used / capacity per competence x period, from the demand table and the start periods."""
    position = {label: i for i, label in enumerate(portfolio.periods)}
    demand = portfolio.demand
    rows = []
    for _, row in demand.iterrows():
        s = start[row["project_id"]]
        if s is None or s != s:
            continue
        rows.append((row["competence"], portfolio.periods[position[s] + row["offset"]],
                     row["amount"]))
    used = pd.DataFrame(rows, columns=["competence", "period", "amount"]).pivot_table(
        index="competence", columns="period", values="amount", aggfunc="sum")
    capacity = portfolio.capacity.pivot(index="competence", columns="period", values="amount")
    used = used.reindex(index=capacity.index, columns=capacity.columns).fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return used / capacity


def collection(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    assert len(found) == 1
    return found[0]


def assert_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 5_000
    image = plt.imread(path)
    assert image.shape[0] > 100 and image.shape[1] > 100
    # not a blank canvas: many distinct colours
    assert len(np.unique(image.reshape(-1, image.shape[-1]), axis=0)) > 20


# --------------------------------------------------------------------------------------------
# risk / return


def test_risk_return_bubbles_match_projects(portfolio, selection):
    ax = plot_risk_return(selection)
    projects = portfolio.projects
    chosen = selection.selected
    for gid, mask in (("selected", chosen), ("not selected", ~chosen)):
        bubbles = collection(ax, gid)
        expected = projects.loc[mask.to_numpy(), ["risk"]].assign(
            value=selection.value[mask.to_numpy()])
        np.testing.assert_allclose(bubbles.get_offsets(), expected[["risk", "value"]].to_numpy())
        # bubble area proportional to cost, the same factor for both collections
        cost = projects.loc[mask.to_numpy(), "cost"].to_numpy()
        ratio = bubbles.get_sizes() / cost
        np.testing.assert_allclose(ratio, 1200.0 / projects["cost"].max())
    assert chosen.any() and not chosen.all()  # both kinds are present in this portfolio


def test_risk_return_distinguishes_selected_and_categories(selection):
    ax = plot_risk_return(selection)
    filled = collection(ax, "selected").get_facecolors()
    hollow = collection(ax, "not selected").get_facecolors()
    assert (filled[:, 3] > 0).all()  # filled
    assert len(hollow) == 0 or (hollow[:, 3] == 0).all()  # hollow
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    for category in ["growth", "run", "compliance", "(no category)"]:
        assert category in texts
    n = int(selection.selected.sum())
    assert f"selected ({n})" in texts
    assert f"not selected ({len(selection.selected) - n})" in texts
    # one colour per category: bubbles of the same category share the legend's colour
    handles = dict(zip(texts, ax.get_legend().legend_handles, strict=True))
    growth = to_rgba(handles["growth"].get_facecolor())
    chosen_growth = [pid for pid in selection.selected.index[selection.selected.to_numpy()]
                     if pid in ("A", "C")]
    colours = collection(ax, "selected").get_facecolors()
    ids = list(selection.selected.index[selection.selected.to_numpy()])
    for pid in chosen_growth:
        np.testing.assert_allclose(colours[ids.index(pid)][:3], growth[:3])


def test_risk_return_labels_and_given_axes(selection):
    fig, ax = plt.subplots()
    returned = plot_risk_return(selection, ax=ax)
    assert returned is ax
    assert ax.get_xlabel() == "Risk (score)"
    assert ax.get_ylabel() == "Value (objective coefficient)"
    assert "Risk and return" in ax.get_title()


def test_risk_return_without_risk_raises():
    selection = select(make_portfolio(risk=None))
    with pytest.raises(InputError, match="no column 'risk'"):
        plot_risk_return(selection, ax=Figure().subplots())


# --------------------------------------------------------------------------------------------
# capacity


def test_capacity_heatmap_equals_utilisation(portfolio, selection):
    ax = plot_capacity(selection)
    expected = independent_utilisation(portfolio, selection.start)
    drawn = ax.images[0].get_array()
    assert drawn.shape == expected.shape
    finite = np.isfinite(expected.to_numpy())
    np.testing.assert_allclose(np.ma.getdata(drawn)[finite], expected.to_numpy()[finite])
    np.testing.assert_array_equal(np.ma.getmaskarray(drawn), np.isnan(expected.to_numpy()))
    assert [t.get_text() for t in ax.get_yticklabels()] == list(expected.index)
    assert [t.get_text() for t in ax.get_xticklabels()] == PERIODS
    labels = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
              for t in ax.texts}
    for i in range(expected.shape[0]):
        for j in range(expected.shape[1]):
            value = expected.iat[i, j]
            if np.isfinite(value):
                assert labels[(i, j)] == f"{value:.0%}"
            elif np.isnan(value):
                assert labels[(i, j)] == "-"
    assert ax.get_xlabel() == "Period" and ax.get_ylabel() == "Competence"


def test_capacity_colour_scale_breaks_at_100_percent(selection):
    ax = plot_capacity(selection)
    image = ax.images[0]
    assert image.norm.vcenter == 1.0  # 100 % is the centre of the scale
    at_capacity = np.array(image.cmap(image.norm(1.0)))
    above = np.array(image.cmap(image.norm(1.05)))
    below = np.array(image.cmap(image.norm(0.95)))
    # blue up to 100 %, red above: the blue channel dominates below, the red channel above
    assert at_capacity[2] > at_capacity[0] and below[2] > below[0]
    assert above[0] > above[2]


def test_capacity_flags_over_allocation(selection):
    # evaluate the same selection against capacity cut to half wherever something is used,
    # and to nothing in the first busy cell
    usage = selection.usage.copy()
    busy = usage["used"] > 0
    usage.loc[busy, "capacity"] = usage.loc[busy, "used"] / 2
    first = usage.index[busy][0]
    usage.loc[first, "capacity"] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        usage["utilisation"] = usage["used"] / usage["capacity"]
    ax = plot_capacity(dataclasses.replace(selection, usage=usage))
    n_busy = int(busy.sum())
    outlines = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert len(outlines) == n_busy > 1
    marked = [t.get_text() for t in ax.texts if t.get_text().endswith("!")]
    assert marked == ["200%!"] * (n_busy - 1)
    assert [t.get_text() for t in ax.texts].count("no cap.") == 1
    assert f"{n_busy} cells over capacity" in ax.get_title()
    # the cell without capacity is drawn at the top of the (red) scale
    image = ax.images[0]
    row = list(pd.unique(usage["competence"])).index(usage.loc[first, "competence"])
    col = PERIODS.index(usage.loc[first, "period"])
    assert image.get_array()[row, col] == image.norm.vmax
    assert image.norm.vmax >= 2.0  # the scale reaches the largest finite utilisation (200 %)


def test_capacity_marks_hired_cells_without_flagging_them(hired_selection):
    # dev needs 3 in Q1 with 2 in house: one unit is hired, which is a plan, not an overload
    ax = plot_capacity(hired_selection)
    assert [t.get_text() for t in ax.texts] == ["150%*", "0%"]
    assert not [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert "hired or covered" in ax.get_title() and "over capacity" not in ax.get_title()


def test_capacity_without_capacity_table():
    portfolio = Portfolio(pd.DataFrame({"project_id": ["A"], "cost": [1.0], "value": [1.0]}),
                          budget=2.0)
    ax = plot_capacity(select(portfolio))
    assert len(ax.images) == 0
    assert "No capacity" in ax.texts[0].get_text()


# --------------------------------------------------------------------------------------------
# category mix


def test_category_mix_bars_equal_shares(portfolio, selection):
    ax = plot_category_mix(selection)
    projects = portfolio.projects
    category = projects["category"].where(projects["category"].notna(), "(no category)")
    cost = projects["cost"]
    chosen = selection.selected.to_numpy()
    share_selected = cost[chosen].groupby(category[chosen]).sum() / cost[chosen].sum()
    share_candidates = cost.groupby(category).sum() / cost.sum()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels) == sorted(share_candidates.index)
    containers = {c.get_label(): c for c in ax.containers}
    widths_selected = [bar.get_width() for bar in containers["selected portfolio"]]
    widths_candidates = [bar.get_width() for bar in containers["all candidates"]]
    np.testing.assert_allclose(widths_selected,
                               share_selected.reindex(labels, fill_value=0.0).to_numpy())
    np.testing.assert_allclose(widths_candidates, share_candidates.reindex(labels).to_numpy())
    assert ax.get_xlabel() == "Share of cost (%)"
    assert ax.xaxis.get_major_formatter()(0.5, 0) == "50%"


def test_category_mix_missing_column_raises(selection):
    with pytest.raises(InputError, match="no column 'theme'"):
        plot_category_mix(selection, ax=Figure().subplots(), by="theme")


# --------------------------------------------------------------------------------------------
# rendering and manners


@pytest.mark.parametrize("plot", [plot_risk_return, plot_capacity, plot_category_mix])
def test_plots_render_to_png(plot, selection, tmp_path):
    ax = plot(selection)
    path = tmp_path / f"{plot.__name__}.png"
    ax.figure.savefig(path)
    assert_png(path)


@pytest.mark.parametrize("plot", [plot_risk_return, plot_capacity, plot_category_mix])
def test_plots_draw_on_the_given_axes_without_global_side_effects(plot, selection, monkeypatch):
    def no_show(*args, **kwargs):
        raise AssertionError("plt.show() must not be called")

    monkeypatch.setattr(plt, "show", no_show)
    before = dict(matplotlib.rcParams)
    figure = Figure()
    ax = figure.subplots()
    n_figures = len(plt.get_fignums())
    assert plot(selection, ax=ax) is ax
    assert len(plt.get_fignums()) == n_figures  # no new pyplot figure when ax is given
    assert dict(matplotlib.rcParams) == before
    assert ax.get_title()


@pytest.mark.parametrize("plot", [plot_risk_return, plot_capacity, plot_category_mix])
def test_plots_create_a_figure_when_ax_is_none(plot, selection):
    n_figures = len(plt.get_fignums())
    ax = plot(selection)
    assert len(plt.get_fignums()) == n_figures + 1
    assert ax.figure is plt.gcf()


@pytest.mark.parametrize("plot", [plot_risk_return, plot_capacity, plot_category_mix])
def test_plots_of_an_empty_selection_render(plot, tmp_path):
    selection = select(make_portfolio(), budget=0.0)
    assert not selection.selected.any()
    ax = plot(selection)
    path = tmp_path / "empty.png"
    ax.figure.savefig(path)
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    if plot is plot_risk_return:
        assert len(collection(ax, "selected").get_offsets()) == 0
        assert len(collection(ax, "not selected").get_offsets()) == 5
    if plot is plot_category_mix:
        selected = {c.get_label(): c for c in ax.containers}["selected portfolio"]
        assert all(np.isnan(bar.get_width()) for bar in selected)
