"""Tests of portfolio_opt.frontier and portfolio_opt.plotting.frontier.

Every frontier point is compared with the brute force of ``tests/checker.py`` at the same
budget (or risk bound) on small random portfolios; the position of a proposal is checked
against the brute-force value of exactly that set of projects and the brute-force optimum at
its spend; serial and process-pool runs must agree exactly; plots must draw the table.
"""

from __future__ import annotations

import copy
import io
import itertools
from concurrent.futures import ProcessPoolExecutor

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import checker
from conftest import ALL, line, portfolio_cases
from portfolio_opt import InputError, Portfolio, datasets, select
from portfolio_opt.frontier import (
    FrontierPosition,
    default_budgets,
    efficient_frontier,
    frontier_position,
    risk_frontier,
)
from portfolio_opt.plotting.frontier import plot_frontier, plot_risk_frontier

matplotlib.use("Agg")
FEW = settings(max_examples=12, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
# substitution needs a linear program per plan in the brute force: keep the cases quick
FEATURES = ALL - {"substitution"}
COLUMNS = ["budget", "objective", "cost", "hiring_cost", "n_selected", "status", "gap", "bound",
           "selected"]


def options_without(case, *keys):
    options = {k: v for k, v in case.options.items() if k not in ("value", *keys)}
    check = {k: v for k, v in case.check_options.items() if k not in keys}
    return case.options.get("value"), options, check


def abc(**kw) -> Portfolio:
    return Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 2.0, 2.0],
                                   "value": [5.0, 3.0, 3.0], "risk": [4.0, 1.0, 2.0], **kw}),
                     budget=6)


# ------------------------------------------------------------------ efficient frontier


@FEW
@given(case=portfolio_cases(max_projects=5, features=FEATURES), data=st.data())
def test_every_frontier_point_is_the_brute_force_optimum_at_its_budget(case, data):
    pf = case.portfolio()
    value, options, check = options_without(case, "budget")
    total = int(pf.projects["cost"].sum())
    budgets = data.draw(st.lists(st.integers(0, total + 2), min_size=1, max_size=3))
    table = efficient_frontier(pf, value, budgets, **options)
    assert table.columns.tolist() == COLUMNS
    assert table["budget"].tolist() == sorted(set(map(float, budgets)))
    for row in table.itertuples():
        best = checker.brute_force(pf, value, **{**check, "budget": row.budget})
        if best is None:
            assert row.status == "infeasible" and np.isnan(row.objective)
            assert row.selected == () and row.n_selected == 0
            continue
        assert row.status == "optimal" and row.gap == 0.0
        assert row.objective == pytest.approx(best.objective, rel=1e-6, abs=1e-9)
        assert row.bound == pytest.approx(best.objective, rel=1e-6, abs=1e-9)
        assert row.selected in best
        assert row.n_selected == len(row.selected)
        assert row.cost == pytest.approx(pf.projects.loc[list(row.selected), "cost"].sum())
        assert row.cost + row.hiring_cost <= row.budget + 1e-6
    # more budget never loses value, and what fits stays feasible
    done = table[table["status"] != "infeasible"]
    assert done["objective"].is_monotonic_increasing
    if len(done):
        assert (table.loc[done.index[0]:, "status"] != "infeasible").all()


def test_default_budgets_span_the_must_in_cost_to_the_unbudgeted_optimum():
    pf = line(["A", "B", "C", "D"], [4.0, 2.0, 3.0, 5.0], [1.0] * 4, budget=7.5,
              columns={"mandatory": [False, True, False, False]},
              relations=pd.DataFrame({"kind": ["excludes"], "project_id": ["A"],
                                      "other_id": ["D"]}))
    # without a total budget the optimum takes B, C and A or D (3 projects); A + B + C costs 9
    # and B + C + D 10: the grid ends at the spend of the one found
    grid = default_budgets(pf)
    top = grid[-1]
    assert top in (9.0, 10.0)
    np.testing.assert_allclose(grid, np.unique(np.append(np.linspace(2.0, top, 10), 7.5)))
    # forced-in projects raise the floor, forced-out ones lower the ceiling
    grid = default_budgets(pf, force_in=["C"], force_out=["D"])
    np.testing.assert_allclose(grid, np.unique(np.append(np.linspace(5.0, 9.0, 10), 7.5)))
    table = efficient_frontier(pf)
    np.testing.assert_allclose(table["budget"], default_budgets(pf))
    assert table["objective"].iloc[-1] == 3.0
    assert table.attrs["settings"]["routine"] == "efficient_frontier"


def test_infeasible_budget_is_a_row_not_an_error():
    pf = line(["A", "B"], [4.0, 2.0], [1.0, 1.0], columns={"mandatory": [True, False]})
    table = efficient_frontier(pf, budgets=[3, 4, 6])
    assert table["status"].tolist() == ["infeasible", "optimal", "optimal"]
    assert np.isnan(table["objective"][0]) and table["objective"].tolist()[1:] == [1.0, 2.0]


def test_frontier_does_not_modify_its_inputs():
    pf = abc()
    before = copy.deepcopy(pf.projects)
    value = pd.Series([1.0, 2.0, 3.0], index=["C", "B", "A"])
    value_before = value.copy()
    budgets = [6, 2]
    efficient_frontier(pf, value, budgets, force_in=["B"])
    pd.testing.assert_frame_equal(pf.projects, before)
    pd.testing.assert_series_equal(value, value_before)
    assert budgets == [6, 2]


def _sample_frontier(executor=None) -> pd.DataFrame:
    return efficient_frontier(datasets.load_sample(), budgets=[6000.0, 9000.0],
                              executor=executor)


def test_serial_and_process_pool_give_identical_frontiers(sample_frontier):
    serial = sample_frontier  # _sample_frontier() serially, once a session (conftest)
    with ProcessPoolExecutor(max_workers=2) as pool:
        parallel = _sample_frontier(pool)
        risk_parallel = risk_frontier(abc(), risk_limits=[1, 2, 3], executor=pool)
    pd.testing.assert_frame_equal(serial, parallel)
    pd.testing.assert_frame_equal(risk_frontier(abc(), risk_limits=[1, 2, 3]), risk_parallel)
    # independent: the sample's optimum at 9000 is select()'s at 9000
    sel = select(datasets.load_sample(), budget=9000.0)
    assert serial["objective"][1] == pytest.approx(sel.objective, rel=1e-9)
    assert serial["objective"][0] <= serial["objective"][1]


# ------------------------------------------------------------------------ risk frontier


@FEW
@given(case=portfolio_cases(max_projects=5, features=FEATURES), data=st.data())
def test_every_risk_point_is_the_brute_force_optimum_at_its_bound(case, data):
    pf = case.portfolio()
    value, options, check = options_without(case, "max_average_risk")
    limits = data.draw(st.lists(st.sampled_from([1.0, 1.5, 2.0, 3.0, 4.5, 5.0]), min_size=1,
                                max_size=3))
    table = risk_frontier(pf, value, limits, **options)
    assert table["risk_limit"].tolist() == sorted(set(limits))
    for row in table.itertuples():
        best = checker.brute_force(pf, value, **{**check, "max_average_risk": row.risk_limit})
        if best is None:
            assert row.status == "infeasible" and np.isnan(row.objective)
            continue
        assert row.objective == pytest.approx(best.objective, rel=1e-6, abs=1e-9)
        assert row.selected in best
        chosen = pf.projects.loc[list(row.selected)]
        if chosen["cost"].sum() > 0:
            avg = (chosen["cost"] * chosen["risk"]).sum() / chosen["cost"].sum()
            assert row.average_risk == pytest.approx(avg)
            assert avg <= row.risk_limit + 1e-9


def test_default_risk_grid_ends_at_the_unconstrained_optimum():
    pf = abc()  # optimum at budget 6: A + B (value 8), average risk (16 + 2) / 6 = 3
    table = risk_frontier(pf)
    np.testing.assert_allclose(table["risk_limit"], np.linspace(1.0, 3.0, 10))
    assert table["objective"].iloc[-1] == 8.0
    assert table["average_risk"].iloc[-1] == pytest.approx(3.0)


# ------------------------------------------------------------------- frontier position


@FEW
@given(case=portfolio_cases(max_projects=4, features=FEATURES), data=st.data())
def test_position_of_any_proposal_matches_brute_force(case, data):
    pf = case.portfolio()
    value, options, check = options_without(case, "budget")
    frontier = efficient_frontier(pf, value, [0], **options)
    ids = list(pf.projects.index)
    proposal = data.draw(st.lists(st.sampled_from(ids), unique=True))
    pos = frontier_position(frontier, proposal, pf)
    # the value of exactly this set, recomputed
    v = (pf.projects["value"] if value is None else
         (pf.projects[value] if isinstance(value, str) else value.reindex(ids)))
    rel = pf.relations
    syn = rel[(rel["kind"] == "synergy") & rel["project_id"].isin(proposal)
              & rel["other_id"].isin(proposal)]
    assert pos.value == pytest.approx(float(v[proposal].sum() + syn["value"].sum()))
    assert pos.cost == pytest.approx(float(pf.projects.loc[proposal, "cost"].sum()))
    lifted = float(pf.projects["cost"].sum() + 1e6)
    alone = checker.brute_force(pf, value, **{
        **check, "budget": lifted, "force_in": [*proposal, *(check["force_in"] or [])],
        "force_out": [*[i for i in ids if i not in proposal], *(check["force_out"] or [])]})
    assert (pos.status in ("optimal", "feasible")) == (alone is not None)
    best = checker.brute_force(pf, value, **{**check, "budget": pos.spend})
    if best is None:
        assert pos.frontier_status == "infeasible"
        return
    assert pos.frontier_value == pytest.approx(best.objective, rel=1e-6, abs=1e-9)
    if alone is not None:
        assert pos.value_left >= -1e-9
    assert set(pos.added) == set(pos.frontier_selected) - set(proposal)
    assert set(pos.removed) == set(proposal) - set(pos.frontier_selected)


def test_position_of_the_optimum_leaves_nothing_and_of_a_poor_choice_the_difference():
    pf = abc()
    frontier = efficient_frontier(pf, budgets=[4, 6])
    sel = select(pf)
    pos = frontier_position(frontier, sel)
    assert (pos.value, pos.spend, pos.value_left, pos.share) == (8.0, 6.0, 0.0, 1.0)
    poor = frontier_position(frontier, ["A"], pf)  # cost 4, value 5; B + C give 6 for 4
    assert (poor.spend, poor.value, poor.frontier_value, poor.value_left) == (4.0, 5.0, 6.0, 1.0)
    assert poor.to_frame()["change"].to_dict() == {"A": "removed", "B": "added", "C": "added"}
    assert poor.summary()["value_left"] == 1.0
    assert "value_left=1" in repr(poor) and "left on the table" in poor._repr_html_()


# ------------------------------------------------------------------------------ errors


def test_error_messages():
    pf = abc()
    with pytest.raises(InputError, match=r"efficient_frontier: budget= is what "
                                         r"efficient_frontier varies; pass .* budgets="):
        efficient_frontier(pf, budget=5)
    with pytest.raises(InputError, match=r"risk_frontier: max_average_risk= is what "
                                         r"risk_frontier varies; .* risk_limits="):
        risk_frontier(pf, max_average_risk=2)
    with pytest.raises(InputError, match=r"efficient_frontier: unknown option 'budgte'; "
                                         r"valid options: budget, force_in"):
        efficient_frontier(pf, budgte=5)
    with pytest.raises(InputError, match=r"efficient_frontier: budgets must be a non-empty "
                                         r"list of finite numbers >= 0, got \[-1\]"):
        efficient_frontier(pf, budgets=[3, -1])
    with pytest.raises(InputError, match=r"budgets must be a non-empty list .* got \[\]"):
        efficient_frontier(pf, budgets=[])
    with pytest.raises(InputError, match=r"efficient_frontier: budgets must be numbers, "
                                         r"got \['lots'\]"):
        efficient_frontier(pf, budgets=["lots"])
    with pytest.raises(InputError, match=r"risk_frontier: risk_limits must be a non-empty "
                                         r"list of finite numbers, got \[nan\]"):
        risk_frontier(pf, risk_limits=[float("nan")])
    with pytest.raises(InputError, match=r"max_average_risk needs a 'risk' column"):
        risk_frontier(line(["A"], [1.0], [1.0]))
    with pytest.raises(InputError, match=r"efficient_frontier: executor must be a "
                                         r"concurrent.futures.Executor"):
        efficient_frontier(pf, executor="pool")
    with pytest.raises(InputError, match=r"efficient_frontier: portfolio must be a Portfolio, "
                                         r"got DataFrame"):
        efficient_frontier(pf.projects)
    with pytest.raises(InputError, match=r"value column 'worth' is not in the projects table"):
        efficient_frontier(pf, "worth")
    frontier = efficient_frontier(pf, budgets=[6])
    with pytest.raises(InputError, match=r"frontier_position: frontier must be the DataFrame "
                                         r"returned by efficient_frontier"):
        frontier_position(_no_attrs(frontier), ["A"], pf)
    with pytest.raises(InputError, match=r"frontier_position: a list of project ids needs the "
                                         r"portfolio they come from; pass portfolio="):
        frontier_position(frontier, ["A"])
    with pytest.raises(InputError, match=r"the proposal names Z \(1 project\), which are not "
                                         r"in the projects table"):
        frontier_position(frontier, ["A", "Z"], pf)
    with pytest.raises(InputError, match=r"plot_frontier: frontier must be a table with "
                                         r"columns 'budget' and 'objective'"):
        plot_frontier(pf.projects)
    with pytest.raises(InputError, match=r"plot_frontier: selection must be a Selection or a "
                                         r"FrontierPosition, got list"):
        plot_frontier(frontier, ["A"])
    with pytest.raises(InputError, match=r"plot_risk_frontier: selection must be a Selection, "
                                         r"got list"):
        plot_risk_frontier(risk_frontier(pf, risk_limits=[3]), ["A"])


def _no_attrs(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.attrs = {}
    return out


# ------------------------------------------------------------------------------- plots


def _png(ax) -> bytes:
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png")
    return buf.getvalue()


def test_plot_frontier_draws_the_table_and_marks_the_portfolio():
    from matplotlib.figure import Figure

    pf = line(["A", "B", "C"], [4.0, 2.0, 2.0], [5.0, 3.0, 3.0],
              columns={"mandatory": [False, False, True]})
    frontier = efficient_frontier(pf, budgets=[6, 1, 4, 8])  # budget 1: infeasible (C costs 2)
    pos = frontier_position(frontier, ["A", "C"], pf)
    ax = plot_frontier(frontier, pos, ax=Figure().subplots())
    line_ = next(x for x in ax.get_lines() if x.get_gid() == "frontier")
    ok = frontier[frontier["status"] != "infeasible"].sort_values("budget")
    np.testing.assert_allclose(line_.get_xydata(), ok[["budget", "objective"]].to_numpy())
    assert line_.get_drawstyle() == "steps-post"
    points = next(c for c in ax.collections if c.get_gid() == "optimal")
    np.testing.assert_allclose(points.get_offsets(), ok[["budget", "objective"]].to_numpy())
    chosen = next(c for c in ax.collections if c.get_gid() == "chosen")
    np.testing.assert_allclose(chosen.get_offsets(), [[pos.spend, pos.value]])
    left = next(x for x in ax.get_lines() if x.get_gid() == "value left")
    np.testing.assert_allclose(left.get_xydata(), [[6.0, 8.0], [6.0, pos.frontier_value]])
    assert _png(ax).startswith(b"\x89PNG")

    sel = select(pf, budget=6)
    ax = plot_frontier(frontier, sel)
    chosen = next(c for c in ax.collections if c.get_gid() == "chosen")
    np.testing.assert_allclose(chosen.get_offsets(), [[sel.cost + sel.hiring_cost,
                                                       sel.objective]])
    assert _png(ax).startswith(b"\x89PNG")


def test_plot_risk_frontier_draws_the_table():
    pf = abc()
    table = risk_frontier(pf, risk_limits=[1.0, 2.5, 4.0])
    sel = select(pf)
    ax = plot_risk_frontier(table, sel)
    (line_,) = [x for x in ax.get_lines() if x.get_gid() == "frontier"]
    np.testing.assert_allclose(line_.get_xydata(), table[["risk_limit", "objective"]])
    chosen = next(c for c in ax.collections if c.get_gid() == "chosen")
    np.testing.assert_allclose(chosen.get_offsets(), [[3.0, 8.0]])  # (4*4 + 2*1) / 6
    assert _png(ax).startswith(b"\x89PNG")


def test_brute_force_helper_agrees_on_a_hand_example():
    # the checker itself, on a case worked by hand: budget 6 -> {B, C} (6) or {A, B} (8)
    pf = abc()
    values = {frozenset(s): sum({"A": 5, "B": 3, "C": 3}[i] for i in s)
              for r in range(4) for s in itertools.combinations("ABC", r)
              if sum({"A": 4, "B": 2, "C": 2}[i] for i in s) <= 6}
    assert checker.brute_force(pf).objective == max(values.values()) == 8
    assert isinstance(frontier_position(efficient_frontier(pf, budgets=[6]), select(pf)),
                      FrontierPosition)
