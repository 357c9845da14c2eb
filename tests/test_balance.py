"""Tests of portfolio_opt.balance.

Every table is checked against an independent pandas/numpy computation from the Portfolio's own
tables (projects, demand, capacity) and the selection's choices, or against invariants
(hypothesis) -- never against numbers the code printed.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_opt import Portfolio, select
from portfolio_opt.balance import capacity_use, category_mix, risk_return, spend_by_period
from portfolio_opt.exceptions import InputError

PERIODS = ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]


# --------------------------------------------------------------------------------------------
# helpers


def make_projects(**changes) -> pd.DataFrame:
    projects = pd.DataFrame(
        {
            "project_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
            "name": ["CRM", "Data & AI", "ERP", "Web", "HR", "Cloud"],
            "cost": [100.0, 250.0, 80.0, 40.0, 120.0, 60.0],
            "duration": [2, 3, 1, 2, 2, 1],
            "earliest_start": ["2027-Q1", "2027-Q1", "2027-Q2", "2027-Q3", "2027-Q1", "2027-Q4"],
            "category": ["growth", "growth", "run", None, "compliance", "run"],
            "risk": [2.0, 4.0, 1.0, 3.0, 2.5, 1.5],
            "value": [10.0, 30.0, 6.0, 5.0, 9.0, 4.0],
            "mandatory": [False, False, False, False, True, False],
        }
    )
    for column, values in changes.items():
        if values is None:
            projects = projects.drop(columns=column)
        else:
            projects[column] = values
    return projects


def make_portfolio(budget: object = 400.0, **changes) -> Portfolio:
    demand = pd.DataFrame(
        {
            "project_id": ["P1", "P2", "P2", "P3", "P4", "P5", "P5", "P6"],
            "competence": ["dev", "dev", "arch", "dev", "dev", "change", "dev", "arch"],
            "offset": [None, None, 0, None, 1, None, 0, None],
            "amount": [2.0, 3.0, 1.0, 2.0, 1.5, 1.0, 1.0, 1.0],
        }
    )
    capacity = pd.DataFrame(
        {
            "competence": ["dev"] * 4 + ["arch"] * 4 + ["change"] * 4,
            "period": PERIODS * 3,
            "amount": [4.0, 4.0, 4.0, 4.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0],
        }
    )
    return Portfolio(make_projects(**changes), demand=demand, capacity=capacity, budget=budget,
                     periods=PERIODS)


def independent_use(portfolio: Portfolio, start: pd.Series) -> pd.DataFrame:
    """Competence use per competence x period, recomputed from demand and start periods."""
    position = {label: i for i, label in enumerate(portfolio.periods)}
    started = {pid: position[str(s)] for pid, s in start.items() if s is not None and s == s}
    demand = portfolio.demand
    demand = demand[demand["project_id"].isin(list(started))]
    period = demand["project_id"].map(started) + demand["offset"]
    rows = pd.DataFrame(
        {
            "competence": demand["competence"].to_numpy(),
            "period": np.asarray(portfolio.periods)[period.to_numpy(dtype=int)],
            "amount": demand["amount"].to_numpy(),
        }
    )
    used = rows.pivot_table(index="competence", columns="period", values="amount",
                            aggfunc="sum")
    capacity = portfolio.capacity.pivot(index="competence", columns="period", values="amount")
    used = used.reindex(index=capacity.index, columns=capacity.columns).fillna(0.0)
    return used


@pytest.fixture(scope="module")
def portfolio() -> Portfolio:
    return make_portfolio()


# --------------------------------------------------------------------------------------------
# risk_return


def test_risk_return_rows_match_projects_and_selection(portfolio, selection):
    table = risk_return(selection)
    projects = make_projects().set_index("project_id")
    assert table.index.name == "project_id"
    assert list(table.index) == list(projects.index)
    assert list(table.columns) == ["value", "risk", "cost", "category", "selected"]
    np.testing.assert_array_equal(table["risk"], projects["risk"])
    np.testing.assert_array_equal(table["cost"], projects["cost"])
    np.testing.assert_array_equal(table["value"], selection.value.loc[projects.index])
    np.testing.assert_array_equal(table["selected"], selection.selected.loc[projects.index])
    assert table["selected"].dtype == bool
    assert table.loc["P4", "category"] == "(no category)"
    assert table.loc["P1", "category"] == "growth"


def test_risk_return_does_not_modify_the_selection(selection):
    before = selection.selected.copy(), selection.value.copy(), selection.usage.copy()
    risk_return(selection)
    capacity_use(selection)
    category_mix(selection)
    spend_by_period(selection)
    pd.testing.assert_series_equal(selection.selected, before[0])
    pd.testing.assert_series_equal(selection.value, before[1])
    pd.testing.assert_frame_equal(selection.usage, before[2])


def test_risk_return_without_category_column():
    table = risk_return(select(make_portfolio(category=None)))
    assert set(table["category"]) == {"(no category)"}


def test_risk_return_needs_a_risk_column():
    selection = select(make_portfolio(risk=None))
    with pytest.raises(InputError, match=r"table 'projects' has no column 'risk'.*add a numeric"):
        risk_return(selection)


def test_risk_return_names_projects_without_risk():
    selection = select(make_portfolio(risk=[2.0, np.nan, 1.0, np.nan, 2.5, 1.5]))
    with pytest.raises(InputError, match=r"column 'risk': no risk score for P2, P4 \(2 projects\)"):
        risk_return(selection)


# --------------------------------------------------------------------------------------------
# capacity_use


def test_capacity_use_matches_demand_recomputed_from_the_portfolio(portfolio, selection):
    table = capacity_use(selection)
    used = independent_use(portfolio, selection.start)
    capacity = portfolio.capacity.pivot(index="competence", columns="period", values="amount")
    assert list(table.index) == list(portfolio.competences)
    assert list(table["used"].columns) == PERIODS
    pd.testing.assert_frame_equal(
        table["used"], used.loc[table.index, PERIODS], check_names=False, atol=1e-9
    )
    pd.testing.assert_frame_equal(
        table["capacity"], capacity.loc[table.index, PERIODS], check_names=False
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = used.loc[table.index, PERIODS].to_numpy() / capacity.loc[
            table.index, PERIODS].to_numpy()
    np.testing.assert_allclose(table["utilisation"].to_numpy(), expected, equal_nan=True)
    # the solver respects capacity: nothing over-allocated, and used <= capacity everywhere
    assert not table["over_allocated"].to_numpy().any()
    assert (used.loc[table.index, PERIODS] <= capacity.loc[table.index, PERIODS] + 1e-9).all(
        axis=None)


def test_capacity_use_columns_and_dtypes(selection):
    table = capacity_use(selection)
    assert table.columns.names == ["quantity", "period"]
    assert list(table.columns.get_level_values("quantity").unique()) == [
        "used", "capacity", "utilisation", "hired", "covered", "lent", "load", "supported",
        "over_allocated"]
    assert all(d == np.dtype(bool) for d in table["supported"].dtypes)
    assert all(d == np.dtype(bool) for d in table["over_allocated"].dtypes)
    assert table.index.name == "competence"


def test_capacity_use_counts_hired_capacity_as_supply_not_over_allocation(hired_selection):
    # dev needs 3 units in Q1 with 2 in house and up to 2 for hire at 1 each: one unit is hired.
    table = capacity_use(hired_selection)
    assert table.loc["dev", ("used", "Q1")] == pytest.approx(3.0)
    assert table.loc["dev", ("hired", "Q1")] == pytest.approx(1.0)
    assert table.loc["dev", ("load", "Q1")] == pytest.approx(2.0)
    assert table.loc["dev", ("utilisation", "Q1")] == pytest.approx(1.5)
    assert table["supported"].to_numpy().tolist() == [[True, False]]
    assert not table["over_allocated"].to_numpy().any()


def test_capacity_use_flags_over_allocation(portfolio, selection):
    # The same portfolio evaluated against a capacity cut to half wherever something is used
    # (a what-if "we lose half the people"): the flag must follow used > capacity exactly.
    usage = selection.usage.copy()
    busy = usage["used"] > 0
    usage.loc[busy, "capacity"] = usage.loc[busy, "used"] / 2
    usage.loc[usage.index[0], "capacity"] = 0.0  # dev 2027-Q1: no capacity at all
    with np.errstate(divide="ignore", invalid="ignore"):
        usage["utilisation"] = usage["used"] / usage["capacity"]
    cut = dataclasses.replace(selection, usage=usage)
    table = capacity_use(cut)
    expected = usage.assign(over=usage["used"] > usage["capacity"]).pivot(
        index="competence", columns="period", values="over")
    np.testing.assert_array_equal(
        table["over_allocated"].to_numpy(), expected.loc[table.index, PERIODS].to_numpy())
    assert table["over_allocated"].to_numpy().sum() == (usage["used"] > usage["capacity"]).sum()
    assert table["over_allocated"].to_numpy().sum() >= 1


def test_capacity_use_ignores_rounding_noise(selection):
    usage = selection.usage.copy()
    usage["used"] = usage["capacity"] * (1 + 1e-12)  # a sum of floats just above capacity
    table = capacity_use(dataclasses.replace(selection, usage=usage))
    assert not table["over_allocated"].to_numpy().any()


# --------------------------------------------------------------------------------------------
# category_mix


def brute_force_mix(portfolio: Portfolio, selected: pd.Series, by: str) -> dict:
    """Category sums by plain Python loops."""
    out: dict[str, dict[str, float]] = {}
    projects = portfolio.projects
    for pid, row in projects.iterrows():
        key = row[by] if row[by] is not None and row[by] == row[by] else f"(no {by})"
        entry = out.setdefault(str(key), {"cost_s": 0.0, "n_s": 0, "n_c": 0, "cost_c": 0.0})
        entry["n_c"] += 1
        entry["cost_c"] += row["cost"]
        if selected[pid]:
            entry["n_s"] += 1
            entry["cost_s"] += row["cost"]
    return out


def test_category_mix_matches_brute_force(portfolio, selection):
    mix = category_mix(selection)
    expected = brute_force_mix(portfolio, selection.selected, "category")
    assert set(mix.index) == set(expected)
    assert mix.index.name == "category"
    total_selected = sum(e["cost_s"] for e in expected.values())
    total_candidates = sum(e["cost_c"] for e in expected.values())
    for key, e in expected.items():
        row = mix.loc[key]
        assert row["cost_selected"] == pytest.approx(e["cost_s"])
        assert row["count_selected"] == e["n_s"]
        assert row["count_candidates"] == e["n_c"]
        assert row["cost_candidates"] == pytest.approx(e["cost_c"])
        assert row["share_selected"] == pytest.approx(e["cost_s"] / total_selected)
        assert row["share_candidates"] == pytest.approx(e["cost_c"] / total_candidates)
    assert mix["share_selected"].sum() == pytest.approx(1.0)
    # ordered by selected cost, largest first
    assert mix["cost_selected"].is_monotonic_decreasing


def test_category_mix_by_another_column(portfolio, selection):
    mix = category_mix(selection, by="name")
    assert mix.index.name == "name"
    assert mix["count_candidates"].sum() == len(portfolio.projects)
    assert mix["count_selected"].sum() == int(selection.selected.sum())


def test_category_mix_with_nothing_selected():
    selection = select(make_portfolio(mandatory=False), budget=0.0)
    assert not selection.selected.any()
    mix = category_mix(selection)
    assert mix["share_selected"].isna().all()
    assert (mix["cost_selected"] == 0).all()
    assert mix["share_candidates"].sum() == pytest.approx(1.0)


def test_category_mix_unknown_column(selection):
    with pytest.raises(InputError, match=r"no column 'programme' to group the mix by.*cost"):
        category_mix(selection, by="programme")


# --------------------------------------------------------------------------------------------
# spend_by_period


def test_spend_by_period_matches_cost_spread_over_duration(portfolio, selection):
    spend = spend_by_period(selection)
    projects = portfolio.projects
    position = {label: i for i, label in enumerate(PERIODS)}
    expected = np.zeros(len(PERIODS))
    for pid, start in selection.start.items():
        if start is None or start != start:
            continue
        duration = int(projects.loc[pid, "duration"])
        first = position[start]
        expected[first:first + duration] += projects.loc[pid, "cost"] / duration
    assert list(spend.index) == PERIODS
    np.testing.assert_allclose(spend["cost"], expected)
    np.testing.assert_allclose(spend["cumulative_cost"], np.cumsum(expected))
    assert spend["budget"].isna().all()
    assert not spend["over_budget"].any()
    assert spend["cost"].sum() <= 400.0 + 1e-9


def test_spend_by_period_with_a_budget_per_period():
    budget = pd.Series([120.0, 120.0, 100.0, 100.0], index=PERIODS)
    selection = select(make_portfolio(budget=budget))
    spend = spend_by_period(selection)
    np.testing.assert_array_equal(spend["budget"], budget.to_numpy())
    assert (spend["cost"] <= spend["budget"] + 1e-9).all()
    assert not spend["over_budget"].any()
    over = dataclasses.replace(
        selection, spend=selection.spend.assign(budget=selection.spend["cost"] - 1.0))
    flagged = spend_by_period(over)["over_budget"]
    np.testing.assert_array_equal(flagged, selection.spend["cost"].to_numpy() > 0)


# --------------------------------------------------------------------------------------------
# invariants on random small portfolios


@st.composite
def portfolios(draw) -> Portfolio:
    n = draw(st.integers(1, 6))
    n_periods = draw(st.integers(1, 3))
    periods = [f"T{t}" for t in range(n_periods)]
    duration = [draw(st.integers(1, n_periods)) for _ in range(n)]
    earliest = [periods[draw(st.integers(0, n_periods - d))] for d in duration]
    projects = pd.DataFrame(
        {
            "project_id": [f"X{i}" for i in range(n)],
            "cost": [float(draw(st.integers(0, 20))) for _ in range(n)],
            "duration": duration,
            "earliest_start": earliest,
            "latest_start": earliest,
            "value": [float(draw(st.integers(0, 10))) for _ in range(n)],
            "risk": [float(draw(st.integers(1, 5))) for _ in range(n)],
            "category": [draw(st.sampled_from(["a", "b", "c"])) for _ in range(n)],
        }
    )
    competences = ["dev", "ops"]
    demand = pd.DataFrame(
        [
            {"project_id": f"X{i}", "competence": c, "amount": float(draw(st.integers(0, 3)))}
            for i in range(n)
            for c in competences
        ]
    )
    capacity = pd.DataFrame(
        [
            {"competence": c, "period": t, "amount": float(draw(st.integers(0, 6)))}
            for c in competences
            for t in periods
        ]
    )
    budget = float(draw(st.integers(0, 60)))
    return Portfolio(projects, demand=demand, capacity=capacity, budget=budget, periods=periods)


@settings(max_examples=25, deadline=None)
@given(portfolios())
def test_tables_agree_with_independent_computations(portfolio):
    selection = select(portfolio)
    chosen = selection.selected
    # capacity: recomputed use equals the table, and never exceeds capacity
    table = capacity_use(selection)
    used = independent_use(portfolio, selection.start)
    np.testing.assert_allclose(table["used"].to_numpy(),
                               used.loc[table.index, table["used"].columns].to_numpy())
    assert not table["over_allocated"].to_numpy().any()
    # mix: counts and costs add up
    mix = category_mix(selection)
    cost = portfolio.projects["cost"]
    assert mix["count_selected"].sum() == int(chosen.sum())
    assert mix["count_candidates"].sum() == len(portfolio.projects)
    assert mix["cost_selected"].sum() == pytest.approx(float(cost[chosen].sum()))
    if cost[chosen].sum() > 0:
        assert mix["share_selected"].sum() == pytest.approx(1.0)
    # spend: the whole cost of the selected projects, within budget
    spend = spend_by_period(selection)
    assert spend["cost"].sum() == pytest.approx(float(cost[chosen].sum()))
    assert spend["cumulative_cost"].iloc[-1] <= portfolio.budget.total + 1e-6
    # risk/return: aligned by label
    rr = risk_return(selection)
    pd.testing.assert_series_equal(rr["selected"], chosen.astype(bool), check_names=False)


def test_balance_does_not_import_matplotlib():
    import ast
    import inspect

    import portfolio_opt.balance as balance

    tree = ast.parse(inspect.getsource(balance))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [name for name in imported if name.startswith("matplotlib")]
