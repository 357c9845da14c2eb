"""Tests of portfolio_opt.selection: ``select`` and ``Selection``.

Every number is checked against ``tests/checker.py`` (an independent feasibility checker and
a brute force over every subset and every choice of starts, numpy/pandas/scipy only), against
hand computations written out in the test, or against invariants (hypothesis): never against
numbers the library printed.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import checker
from conftest import DATA, SOLVERS, Case, line, portfolio_cases, small
from portfolio_opt import (
    Budget,
    InfeasibleError,
    InputError,
    Portfolio,
    Selection,
    SelectionModel,
    Status,
    select,
)
from portfolio_opt import selection as selection_module

MANY = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
FEW = settings(max_examples=12, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
Q = ["2027-Q1", "2027-Q2", "2027-Q3"]
Q4 = [*Q, "2027-Q4"]


@pytest.fixture(autouse=True, scope="module")
def _no_diagnosis():
    """The diagnosis of infeasible models (diagnose.py, tested there) is skipped here except
    where a test asks for it: it re-solves the model many times."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(selection_module, "_diagnosed", lambda model, error, *args, **kw: error)
        yield


def solve_or_none(pf: Portfolio, **options) -> Selection | None:
    try:
        return select(pf, **options)
    except InfeasibleError:
        return None


# ------------------------------------------------------------------------ the checker itself


def test_checker_brute_force_reproduces_petersen_optima():
    """The brute force gives the published optima of the two Petersen instances it can do."""
    for inst in checker.read_orlib(DATA / "mknap1.txt")[:2]:
        pf = Portfolio(**checker.knapsack_tables([inst]))
        best = checker.brute_force(pf)
        assert best.objective == pytest.approx(inst.optimum, rel=1e-9)
        for ids in best.optimal:
            assert checker.violations(pf, ids) == []


def test_checker_names_every_broken_rule():
    """Hand-computed: A(cost 4, dev 3), B(cost 3, 2 quarters, dev 2 each), C(cost 3, Q3, dev 1)."""
    rel = pd.DataFrame({"kind": ["requires", "excludes", "together"],
                        "project_id": ["A", "B", "A"], "other_id": ["C", "C", "B"]})
    pf = small(mandatory=(False, False, True), budget=Budget(6.0, pd.Series([3.0, 9, 9], Q)),
               relations=rel, capacity=[4.0, 1.0, 5.0])
    assert checker.violations(pf, ["B", "C"]) == [
        "development in 2027-Q2: 2 > 1", "B excludes C, both are selected",
        "A together with B: only one is selected"]
    assert checker.violations(pf, ["A", "B"], force_in=["C"], force_out=["A"], budget=5.0) == [
        "development in 2027-Q1: 5 > 4", "development in 2027-Q2: 2 > 1",
        "total budget: 7 > 5", "budget in 2027-Q1: 5.5 > 3",
        "mandatory project C is not selected", "forced-in project C is not selected",
        "forced-out project A is selected", "A requires C, which is not selected"]
    start = pd.Series({"A": "2027-Q2", "B": "2027-Q2", "C": "2027-Q2"})
    assert checker.violations(pf, ["A", "C"], start) == [
        "C: starts in 2027-Q2, outside its window 2027-Q3",
        "B: not selected but has a start '2027-Q2'",
        "development in 2027-Q2: 4 > 1", "total budget: 7 > 6",  # Q2's budget is 9
        "A together with B: only one is selected"]
    assert checker.violations(pf, ["A", "C"], pd.Series({"A": "2027-Q3", "C": "2027-Q3"}),
                              schedule=False) == [
        "A: starts in 2027-Q3, outside its window 2027-Q1",
        "total budget: 7 > 6", "A together with B: only one is selected"]
    assert checker.violations(pf, ["C"]) == []
    best = checker.brute_force(pf)
    assert best.objective == 3.0 and best.optimal == [frozenset({"C"})]
    assert checker.brute_force(pf, force_out=["C"]) is None


def test_checker_new_rules_by_hand():
    """Lags, groups, buckets, risk and hiring, each broken once, by hand."""
    dem = pd.DataFrame({"project_id": ["A", "B"], "competence": "dev", "amount": [4.0, 1.0]})
    cap = pd.DataFrame({"competence": "dev", "period": Q4, "amount": 3.0, "flex_amount": 1.0,
                        "flex_cost": 2.0})
    rel = pd.DataFrame({"kind": ["requires"], "project_id": ["B"], "other_id": ["A"],
                        "lag": [1]})
    pf = line(["A", "B"], [6.0, 2.0], [1.0, 1.0], duration=[2, 1], demand=dem, capacity=cap,
              relations=rel, budget=100.0, columns={"category": ["run", "grow"],
                                                    "risk": [5.0, 1.0]},
              groups=pd.DataFrame({"group": "g", "project_id": ["A", "B"]}),
              group_limits=pd.DataFrame({"group": ["g"], "max": [1]}),
              buckets=pd.DataFrame({"column": ["category"], "value": ["RUN"], "max": [0.5]}))
    start = pd.Series({"A": "2027-Q1", "B": "2027-Q3"})
    # A (2 quarters from Q1) finishes after Q2; B must start 1 quarter later, in Q4
    assert checker.violations(pf, ["A", "B"], start, max_average_risk=4.0) == [
        "B starts in 2027-Q3, before A finishes plus a lag of 1",
        "group g: 2 selected > 1",
        "bucket category=RUN (cost): 6 of 8, max share 0.5"]  # risk (30 + 2) / 8 = 4: fine
    assert checker.violations(pf, ["A", "B"], start, max_average_risk=3.9)[-1] == (
        "average risk 4 > 3.9")
    # hiring: A needs 4 > 3 in Q1 and Q2: 1 hired in each at 2 -> 6 + 4 = 10 in the budget
    no = pd.DataFrame({"column": [], "value": [], "max": []})  # no buckets
    assert checker.violations(pf, ["A"], budget=10.0, buckets=no) == []
    assert checker.violations(pf, ["A"], budget=9.5, buckets=no) == ["total budget: 10 > 9.5"]
    none = pd.DataFrame({"competence": ["dev"], "period": ["2027-Q1"], "hired": [0.0]})
    assert checker.violations(pf, ["A"], hiring=none, buckets=no) == [
        "dev in 2027-Q1: 4 > 3 + 0 hired", "dev in 2027-Q2: 4 > 3 + 0 hired"]
    plan = checker.min_hiring(pf, checker.need_matrix(pf, ["A"], None))
    np.testing.assert_allclose(plan[0], [2.0, 2.0, 0.0, 0.0])


# ------------------------------------------------------------- optimality against brute force


@MANY
@given(case=portfolio_cases())
def test_select_is_feasible_and_optimal(solvers, case):
    pf = case.portfolio()
    best = case.optimum(pf)
    if best is None:
        with pytest.raises(InfeasibleError, match="No portfolio satisfies every constraint"):
            select(pf, **case.options, solver=solvers)
        return
    sel = select(pf, **case.options, solver=solvers)
    assert checker.violations(pf, sel.selected_ids, sel.start, **case.check_options) == []
    assert checker.violations(pf, sel.selected_ids, sel.start, **case.check_options,
                              hiring=sel.hiring) == []
    assert sel.objective == pytest.approx(best.objective, rel=1e-6, abs=1e-9)
    assert sel.selected_ids in best  # one of the optimal subsets
    assert sel.status is Status.OPTIMAL
    assert sel.gap == 0.0
    assert sel.bound == pytest.approx(best.objective, rel=1e-6, abs=1e-9)
    assert sel.solver == solvers


@FEW
@given(case=portfolio_cases())
def test_every_solver_gives_the_same_optimum(case):
    pf = case.portfolio()
    found = {}
    for name in SOLVERS:
        sel = solve_or_none(pf, **case.options, solver=name)
        found[name] = None if sel is None else sel.objective
    values = list(found.values())
    if values[0] is None:
        assert all(v is None for v in values), found
    else:
        assert all(v is not None and v == pytest.approx(values[0], rel=1e-6, abs=1e-9)
                   for v in values), found


def test_sample_portfolio_is_feasible_and_solvers_agree(sample_tables):
    """The bundled 60-project sample: every solver feasible and the same optimum, with the
    starts chosen and with the earliest starts."""
    pf = Portfolio(**sample_tables)
    for value in (None, "financial_return"):
        for schedule in (True, False):
            objectives = []
            for name in SOLVERS:
                sel = select(pf, value, solver=name, schedule=schedule)
                assert sel.status is Status.OPTIMAL
                assert checker.violations(pf, sel.selected_ids, sel.start,
                                          schedule=schedule) == []
                assert sel.objective == pytest.approx(sel.value[sel.selected].sum(), rel=1e-12)
                objectives.append(sel.objective)
            assert objectives == pytest.approx([objectives[0]] * len(objectives), rel=1e-6)


def test_choosing_starts_never_loses_to_earliest_starts(sample_tables):
    pf = Portfolio(**sample_tables)
    free, fixed = select(pf), select(pf, schedule=False)
    assert free.objective >= fixed.objective - 1e-9
    assert (fixed.start[fixed.selected] == pf.projects.loc[fixed.selected, "earliest_start"]).all()


# ------------------------------------------------------------------- what a Selection reports


@SETTINGS
@given(case=portfolio_cases())
def test_usage_spend_and_hiring_match_recomputation(case):
    pf = case.portfolio()
    sel = solve_or_none(pf, **case.options)
    assume(sel is not None)
    expected = checker.usage(pf, sel.selected_ids, sel.start)
    assert list(sel.usage.columns) == ["competence", "period", "used", "capacity",
                                       "utilisation", "hired", "covered", "lent"]
    pd.testing.assert_frame_equal(sel.usage.iloc[:, :5].reset_index(drop=True), expected,
                                  check_dtype=False, rtol=1e-9, atol=1e-9)
    # the supply balance: used + lent - covered - hired <= capacity
    u = sel.usage
    assert (u["used"] + u["lent"] - u["covered"] - u["hired"]
            <= u["capacity"] + 1e-6 * np.maximum(1, u["capacity"])).all()
    pd.testing.assert_series_equal(u["hired"], sel.hiring["hired"], check_names=False)
    # the hiring reported is the least-cost hiring for these projects and starts
    need = checker.need_matrix(pf, sel.selected_ids, sel.start)
    plan = checker.min_hiring(pf, need)
    assert plan is not None
    assert sel.hiring_cost == pytest.approx(plan[0].sum(), rel=1e-6, abs=1e-6)
    if pf.substitution.empty:  # closed form: exactly what is missing, per competence and period
        np.testing.assert_allclose(sel.hiring["hired"].to_numpy(), plan[1].ravel(), atol=1e-9)
    cost = checker.spend(pf, sel.selected_ids, sel.start)
    assert list(sel.spend.columns) == ["period", "cost", "budget", "hiring"]
    assert sel.spend["period"].tolist() == list(pf.periods)
    np.testing.assert_allclose(sel.spend["cost"].to_numpy(float), cost.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(sel.spend["hiring"].to_numpy(float), plan[0], atol=1e-6)
    per = pf.budget.per_period
    want = np.full(len(pf.periods), np.nan) if per is None else per[list(pf.periods)].to_numpy()
    np.testing.assert_array_equal(sel.spend["budget"].to_numpy(float), want)
    flows = sel.substitution
    assert list(flows.columns) == ["competence", "covers", "period", "amount", "covered"]
    assert len(flows) == len(pf.substitution) * len(pf.periods)
    assert (flows["amount"] >= -1e-9).all()


@SETTINGS
@given(case=portfolio_cases())
def test_selection_fields_agree_with_each_other(case):
    pf = case.portfolio()
    sel = solve_or_none(pf, **case.options)
    assume(sel is not None)
    projects = pf.projects
    ids = projects.index
    value = case.options.get("value")
    want = (projects["value"] if value is None else projects[value] if isinstance(value, str)
            else value.reindex(ids))
    np.testing.assert_array_equal(sel.value.reindex(ids).to_numpy(float), want.to_numpy(float))
    assert sel.selected.index.equals(ids) and sel.selected.dtype == bool
    assert sel.start.index.equals(ids)
    assert sel.start[~sel.selected].isna().all()
    periods = list(pf.periods)
    for pid in sel.selected_ids:  # every start inside its window
        first = periods.index(projects.loc[pid, "earliest_start"])
        last = periods.index(projects.loc[pid, "latest_start"])
        if case.options.get("schedule", True) is False:
            last = first
        assert first <= periods.index(sel.start[pid]) <= last
    assert list(sel.selected_ids) == [i for i in ids if sel.selected[i]]
    rel = pf.relations
    syn = rel[rel["kind"] == "synergy"]
    synergy = sum(v for a, b, v in zip(syn["project_id"], syn["other_id"], syn["value"])
                  if sel.selected[a] and sel.selected[b])
    assert sel.synergy == pytest.approx(synergy)
    assert sel.objective == pytest.approx(float(want[sel.selected].sum()) + synergy,
                                          rel=1e-12, abs=1e-12)
    assert sel.cost == pytest.approx(float(projects.loc[sel.selected, "cost"].sum()))
    budget = case.options.get("budget")
    assert sel.budget == (pf.budget.total if budget is None else budget)
    frame = sel.to_frame()
    assert frame.index.equals(ids)
    assert list(frame.columns) == ["selected", "start", "cost", "value", "category", "risk",
                                   "mandatory"]
    np.testing.assert_array_equal(frame["cost"].to_numpy(float), projects["cost"].to_numpy())
    np.testing.assert_array_equal(frame["selected"].to_numpy(bool), sel.selected.to_numpy())
    assert sel.summary()["selected"] == len(sel.selected_ids)
    assert sel.summary()["hiring_cost"] == sel.hiring_cost
    assert sel.model.get_params()["portfolio"] is pf
    with pytest.raises(dataclasses.FrozenInstanceError):
        sel.objective = 0.0


def test_to_frame_carries_name_category_and_risk():
    pf = small(name=["Alpha", "Beta", "Gamma"], category=["run", "grow", "run"],
               risk=[1.0, 2.0, 3.0])
    frame = select(pf, budget=7.0).to_frame()
    assert list(frame.columns) == ["name", "selected", "start", "cost", "value", "category",
                                   "risk", "mandatory"]
    assert frame["name"].tolist() == ["Alpha", "Beta", "Gamma"]
    # A+B and A+C both cost 7 for a value of 8: the best with a budget of 7
    assert frame["selected"].sum() == 2 and frame.loc["A", "selected"]
    assert (frame["value"] * frame["selected"]).sum() == 8.0


def test_utilisation_is_nan_where_nothing_is_used_of_nothing():
    pf = small(capacity=[5.0, 0.0, 5.0])  # B runs 2 quarters from Q1 (its window): Q2 is empty
    sel = select(pf)
    usage = sel.usage.set_index(["competence", "period"])
    assert math.isnan(usage.loc[("development", "2027-Q2"), "utilisation"])
    assert not sel.selected["B"]
    assert sel.selected["A"] and sel.start["A"] in ("2027-Q1", "2027-Q3")


def test_default_value_is_the_criteria_score(sample_tables):
    """Without a value column select maximises the portfolio's criteria score."""
    from portfolio_opt.scoring import score

    pf = Portfolio(**sample_tables)
    assert "value" not in pf.projects.columns
    by_default = select(pf)
    explicit = select(pf, score(pf))
    np.testing.assert_allclose(by_default.value.to_numpy(), score(pf).to_numpy(), rtol=1e-12)
    assert by_default.objective == pytest.approx(explicit.objective, rel=1e-9)


# --------------------------------------------------------------- each rule, worked by hand


def test_starts_are_chosen_to_fit_the_capacity(solvers):
    """A and B need all 3 dev of a quarter; two quarters: both fit only one after the other."""
    dem = pd.DataFrame({"project_id": ["A", "B"], "competence": "dev", "amount": [3.0, 3.0]})
    cap = pd.DataFrame({"competence": "dev", "period": Q[:2], "amount": 3.0})
    pf = line(["A", "B"], [1.0, 1.0], [2.0, 1.0], periods=Q[:2], demand=dem, capacity=cap)
    sel = select(pf, solver=solvers)
    assert sel.objective == 3.0 and sorted(sel.start.tolist()) == ["2027-Q1", "2027-Q2"]
    fixed = select(pf, solver=solvers, schedule=False)
    assert fixed.objective == 2.0 and fixed.selected_ids.tolist() == ["A"]


def test_demand_and_cost_profiles_move_with_the_start(solvers):
    """A runs 2 quarters: 4 dev then 1 dev, cost 10 (5 a quarter). Dev is 1 in Q1, so A starts
    in Q2; the budget of 5 in Q3 takes its second half."""
    dem = pd.DataFrame({"project_id": ["A", "A"], "competence": "dev", "offset": [0, 1],
                        "amount": [4.0, 1.0]})
    cap = pd.DataFrame({"competence": "dev", "period": Q, "amount": [1.0, 5.0, 5.0]})
    budget = pd.Series([9.0, 5.0, 5.0], index=Q)
    pf = line(["A"], [10.0], [1.0], duration=[2], periods=Q, demand=dem, capacity=cap,
              budget=budget)
    sel = select(pf, solver=solvers)
    assert sel.start["A"] == "2027-Q2"
    assert sel.usage["used"].tolist() == [0.0, 4.0, 1.0]
    assert sel.spend["cost"].tolist() == [0.0, 5.0, 5.0]
    tight = line(["A"], [10.0], [1.0], duration=[2], periods=Q, demand=dem, capacity=cap,
                 budget=pd.Series([9.0, 5.0, 4.0], index=Q))
    assert not select(tight, solver=solvers).selected["A"]


def test_finish_to_start_lag(solvers):
    """B requires A with a lag of 1: A (2 quarters) from Q1 ends in Q2, so B starts in Q4 at
    the earliest; with B's window ending in Q3 they cannot both be in."""
    rel = pd.DataFrame({"kind": ["requires"], "project_id": ["B"], "other_id": ["A"],
                        "lag": [1]})
    pf = line(["A", "B"], [1.0, 1.0], [1.0, 5.0], duration=[2, 1], relations=rel)
    sel = select(pf, solver=solvers)
    assert sel.selected.all() and sel.start.tolist() == ["2027-Q1", "2027-Q4"]
    late = line(["A", "B"], [1.0, 1.0], [1.0, 5.0], duration=[2, 1], relations=rel,
                latest=[None, "2027-Q3"])
    sel = select(late, solver=solvers)
    assert sel.selected_ids.tolist() == ["A"] and sel.objective == 1.0
    no_lag = rel.assign(lag=np.nan)
    sel = select(line(["A", "B"], [1.0, 1.0], [1.0, 5.0], duration=[2, 1], relations=no_lag,
                      latest=[None, "2027-Q1"]), solver=solvers)
    assert sel.selected.all()  # requires without a lag says nothing about timing


@pytest.mark.parametrize("synergy, want, objective", [
    (2.0, {"A", "B"}, 4.0),      # 1 + 1 + 2 beats C + A = 3.5
    (0.5, {"A", "C"}, 3.5),      # 2.5 < 3.5
    (-5.0, {"A", "C"}, 3.5),     # A + B + C = -0.5 with a budget of 9
])
def test_synergy_is_exact_for_both_signs(solvers, synergy, want, objective):
    rel = pd.DataFrame({"kind": ["synergy"], "project_id": ["A"], "other_id": ["B"],
                        "value": [synergy]})
    budget = 9.0 if synergy < 0 else 6.0
    pf = line(["A", "B", "C"], [3.0, 3.0, 3.0], [1.0, 1.0, 2.5], relations=rel, budget=budget)
    sel = select(pf, solver=solvers)
    assert sel.objective == pytest.approx(objective)
    if synergy < 1:
        assert set(sel.selected_ids) in ({"A", "C"}, {"B", "C"})
    else:
        assert set(sel.selected_ids) == want
    assert sel.synergy == (synergy if {"A", "B"} <= set(sel.selected_ids) else 0.0)


def test_group_limits(solvers):
    groups = pd.DataFrame({"group": ["top", "top", "top", "pilot"],
                           "project_id": ["A", "B", "C", "D"]})
    limits = pd.DataFrame({"group": ["top", "pilot"], "min": [np.nan, 1], "max": [2, np.nan]})
    pf = line(["A", "B", "C", "D"], [1.0] * 4, [3.0, 2.0, 1.0, -1.0], groups=groups,
              group_limits=limits)
    sel = select(pf, solver=solvers)
    assert sel.selected_ids.tolist() == ["A", "B", "D"] and sel.objective == 4.0


def test_buckets_share_of_cost_count_and_a_column(solvers):
    """run projects R1, R2 (cost 4, 2); grow G1, G2 (cost 3, 1); all worth 1."""
    cols = {"category": ["run", "run", "grow", "grow"], "fte": [1.0, 1.0, 5.0, 1.0]}
    ids, cost = ["R1", "R2", "G1", "G2"], [4.0, 2.0, 3.0, 1.0]

    def solve(buckets, **kw):
        pf = line(ids, cost, [1.0] * 4, columns=cols, budget=kw.pop("budget", None))
        return select(pf, solver=solvers, buckets=pd.DataFrame(buckets), **kw)

    # at most 40 % of the cost in run: 10 in all -> run 6 > 4; best: R2 + G1 + G2 (2 of 6)
    sel = solve({"column": ["category"], "value": ["run"], "max": [0.4]})
    assert set(sel.selected_ids) == {"R2", "G1", "G2"}
    # at least half of the count in grow with a budget of 6: R2 + G2 + G1 (cost 6)
    sel = solve({"column": ["category"], "value": ["grow"], "measure": ["count"],
                 "min": [0.5]}, budget=6.0)
    assert set(sel.selected_ids) == {"R2", "G1", "G2"}
    # run holds at least 30 % of the fte: all four -> 2 of 8 = 25 %; drop G1 -> 2 of 3
    sel = solve({"column": ["category"], "value": ["Run"], "measure": ["fte"], "min": [0.3]})
    assert set(sel.selected_ids) == {"R1", "R2", "G2"}


def test_average_risk_bound(solvers):
    """Risks 5, 1, 3 with costs 2, 2, 4: all three average (10 + 2 + 12) / 8 = 3."""
    pf = line(["A", "B", "C"], [2.0, 2.0, 4.0], [1.0, 1.0, 1.0],
              columns={"risk": [5.0, 1.0, 3.0]})
    assert select(pf, solver=solvers, max_average_risk=3.0).selected.all()
    sel = select(pf, solver=solvers, max_average_risk=2.9)  # A + B: 3; B + C: 14 / 6
    assert sel.objective == 2.0 and sel.selected["B"]
    assert select(pf, solver=solvers, max_average_risk=1.0).selected_ids.tolist() == ["B"]


def test_hiring_counts_in_the_budgets_and_is_the_least_needed(solvers):
    """A needs 5 dev in Q1 (capacity 3, up to 3 more at 10 each); B needs 1 dev in Q1."""
    dem = pd.DataFrame({"project_id": ["A", "B"], "competence": "dev", "amount": [5.0, 1.0]})
    cap = pd.DataFrame({"competence": "dev", "period": Q[:1], "amount": [3.0],
                        "flex_amount": [3.0], "flex_cost": [10.0]})
    pf = line(["A", "B"], [50.0, 5.0], [10.0, 1.0], periods=Q[:1], demand=dem, capacity=cap,
              budget=85.0)
    sel = select(pf, solver=solvers)  # 55 + 3 x 10 = 85
    assert sel.selected.all()
    assert sel.hiring.to_dict("list") == {"competence": ["dev"], "period": ["2027-Q1"],
                                          "hired": [3.0], "cost": [30.0]}
    assert sel.spend["hiring"].tolist() == [30.0]
    sel = select(pf, solver=solvers, budget=84.0)  # B no longer fits: A + 2 hired = 70
    assert sel.selected_ids.tolist() == ["A"] and sel.hiring_cost == 20.0
    sel = select(pf, solver=solvers, budget=1000.0, force_out=["A"])
    assert sel.hiring_cost == 0.0  # nothing is hired that is not needed


def test_substitution_covers_work_at_its_efficiency(solvers):
    """A needs 2 dev; there is no dev, but 4 test, and test covers dev at 0.5."""
    dem = pd.DataFrame({"project_id": ["A"], "competence": "dev", "amount": [2.0]})
    cap = pd.DataFrame({"competence": ["dev", "test"], "period": "2027-Q1",
                        "amount": [0.0, 4.0]})
    sub = pd.DataFrame({"competence": ["test"], "covers": ["dev"], "efficiency": [0.5]})
    pf = line(["A"], [1.0], [1.0], periods=Q[:1], demand=dem, capacity=cap, substitution=sub)
    sel = select(pf, solver=solvers)
    assert sel.selected["A"]
    assert sel.substitution.to_dict("list") == {
        "competence": ["test"], "covers": ["dev"], "period": ["2027-Q1"], "amount": [4.0],
        "covered": [2.0]}
    usage = sel.usage.set_index("competence")
    assert usage.loc["dev", ["used", "covered", "lent"]].tolist() == [2.0, 2.0, 0.0]
    assert usage.loc["test", ["used", "covered", "lent"]].tolist() == [0.0, 0.0, 4.0]
    limited = line(["A"], [1.0], [1.0], periods=Q[:1], demand=dem, capacity=cap,
                   substitution=sub.assign(max_amount=[3.0]))
    assert not select(limited, solver=solvers).selected["A"]  # 3 x 0.5 < 2


def test_substitution_is_preferred_to_paid_hiring_and_minimal(solvers):
    """dev short by 1 in Q1: hire 1 at 5, or lend 2 spare test at 0.5 for free."""
    dem = pd.DataFrame({"project_id": ["A"], "competence": "dev", "amount": [3.0]})
    cap = pd.DataFrame({"competence": ["dev", "test"], "period": "2027-Q1", "amount": [2.0, 2.0],
                        "flex_amount": [1.0, 0.0], "flex_cost": [5.0, 0.0]})
    sub = pd.DataFrame({"competence": ["test"], "covers": ["dev"], "efficiency": [0.5]})
    pf = line(["A"], [1.0], [1.0], periods=Q[:1], demand=dem, capacity=cap, substitution=sub)
    sel = select(pf, solver=solvers)
    assert sel.hiring_cost == 0.0 and sel.substitution["amount"].tolist() == [2.0]
    both_needed = line(["A"], [1.0], [1.0], periods=Q[:1], capacity=cap, substitution=sub,
                       demand=dem.assign(amount=[3.5]))
    sel = select(both_needed, solver=solvers)  # 2 lent cover 1, 0.5 hired
    assert sel.hiring["hired"].tolist() == [0.5, 0.0] and sel.hiring_cost == 2.5


# -------------------------------------------------------------------------------- invariants


@FEW
@given(case=portfolio_cases(), base=st.integers(0, 80), extra=st.integers(0, 40),
       fraction=st.sampled_from([0.0, 0.25, 0.5]))
def test_raising_the_budget_never_lowers_the_optimum(solvers, case, base, extra, fraction):
    pf = case.portfolio()
    options = {k: v for k, v in case.options.items() if k != "budget"}
    low = solve_or_none(pf, **options, budget=float(base), solver=solvers)
    high = solve_or_none(pf, **options, budget=base + extra + fraction, solver=solvers)
    if low is not None:
        assert high is not None
        assert high.objective >= low.objective - 1e-6 * max(1.0, abs(low.objective))


@FEW
@given(case=portfolio_cases(), data=st.data())
def test_adding_capacity_never_lowers_the_optimum(solvers, case, data):
    pf = case.portfolio()
    low = solve_or_none(pf, **case.options, solver=solvers)
    cap = pf.capacity
    cap["amount"] = cap["amount"] + data.draw(st.lists(st.integers(0, 4), min_size=len(cap),
                                                       max_size=len(cap)))
    if data.draw(st.booleans()):
        cap["flex_amount"] = cap["flex_amount"] + 1.0
    high = solve_or_none(pf.replace(capacity=cap), **case.options, solver=solvers)
    if low is not None:
        assert high is not None
        assert high.objective >= low.objective - 1e-6 * max(1.0, abs(low.objective))


@FEW
@given(case=portfolio_cases(), data=st.data())
def test_a_forced_in_project_is_selected_or_named(solvers, case, data):
    pf = case.portfolio()
    pid = data.draw(st.sampled_from(list(pf.projects.index)))
    options = {**case.options, "force_in": [*case.options.get("force_in", []), pid]}
    try:
        sel = select(pf, **options, solver=solvers)
    except InfeasibleError as err:
        value, check = options.get("value"), case.check_options
        assert checker.brute_force(pf, value, **{**check, "force_in": options["force_in"]}) \
            is None
        # named, unless there is no plan even without forcing it in
        assert pid in str(err) or checker.brute_force(pf, value, **check) is None
        return
    assert sel.selected[pid]


@FEW
@given(case=portfolio_cases(unique_values=True), data=st.data())
def test_permuting_rows_changes_only_the_order(solvers, case, data):
    """Distinct powers of two as values make the optimal set unique: the same projects win
    (the starts may differ between equally good plans)."""
    options = {k: v for k, v in case.options.items() if k != "value"}
    tables = case.tables
    n = len(tables["projects"])
    perm = data.draw(st.permutations(range(n)))
    dperm = data.draw(st.permutations(range(len(tables["demand"]))))
    shuffled = {**tables, "projects": tables["projects"].iloc[perm],
                "demand": tables["demand"].iloc[dperm]}
    if tables["relations"] is not None:
        shuffled["relations"] = tables["relations"].iloc[::-1]
    pf, pf2 = Portfolio(**tables), Portfolio(**shuffled)
    a = solve_or_none(pf, **options, solver=solvers)
    if a is None:
        with pytest.raises(InfeasibleError):
            select(pf2, **options, solver=solvers)
        return
    b = select(pf2, **options, solver=solvers)
    ids = pf.projects.index
    assert list(b.selected.index) == list(tables["projects"]["project_id"].iloc[perm])
    pd.testing.assert_series_equal(b.selected.reindex(ids), a.selected)
    pd.testing.assert_series_equal(b.value.reindex(ids), a.value)
    assert b.objective == pytest.approx(a.objective, rel=1e-12)
    assert checker.violations(pf2, b.selected_ids, b.start, **case.check_options) == []


@FEW
@given(case=portfolio_cases())
def test_same_input_same_answer(solvers, case):
    """Deterministic: solving the same input twice gives the same projects and starts."""
    pf = case.portfolio()
    a = solve_or_none(pf, **case.options, solver=solvers)
    b = solve_or_none(pf, **case.options, solver=solvers)
    assert (a is None) == (b is None)
    if a is not None:
        pd.testing.assert_series_equal(a.selected, b.selected)
        pd.testing.assert_series_equal(a.start, b.start)
        pd.testing.assert_frame_equal(a.hiring, b.hiring)


def assert_unchanged(after, before, where: str) -> None:
    """``after`` equals the deep copy ``before``: values, dtypes, index and column names."""
    if isinstance(before, pd.DataFrame):
        pd.testing.assert_frame_equal(after, before, check_exact=True, check_flags=True,
                                      obj=where)
    elif isinstance(before, pd.Series):
        pd.testing.assert_series_equal(after, before, check_exact=True, obj=where)
    elif isinstance(before, pd.Index):
        pd.testing.assert_index_equal(after, before, exact=True, obj=where)
    elif isinstance(before, np.ndarray):
        np.testing.assert_array_equal(after, before, err_msg=where)
        assert after.dtype == before.dtype, where
    elif isinstance(before, dict):
        assert after.keys() == before.keys(), where
        for k in before:
            assert_unchanged(after[k], before[k], f"{where}[{k!r}]")
    elif isinstance(before, Budget):
        assert after.total == before.total, where
        assert_unchanged(after.per_period, before.per_period, f"{where}.per_period")
    elif isinstance(before, list):
        assert after == before, where
    else:
        assert type(after) is type(before) and (after == before or after is before), where


def exercise(case: Case) -> None:
    """Every public call of the selection core on one case."""
    pf = case.portfolio()
    _ = pf.projects, pf.demand, pf.capacity, pf.budget, pf.relations, pf.periods, pf.buckets
    model = SelectionModel(pf, **{k: v for k, v in case.options.items() if k != "value"},
                           value=case.options.get("value"))
    model.value_series()
    model.bounds()
    model.options()
    model.total_budget()
    try:
        model.check_feasibility()
    except InfeasibleError:
        pass
    model.build()
    try:
        model.relaxation()
    except InfeasibleError:
        pass
    sel = solve_or_none(pf, **case.options)
    if sel is not None:
        sel.to_frame()
        sel.summary()
        repr(sel)
        _ = sel.selected_ids, sel.cost, sel.hiring_cost


@SETTINGS
@given(case=portfolio_cases())
def test_inputs_are_never_modified(case):
    before = case.deep_copy()
    exercise(case)
    assert_unchanged(case.tables, before.tables, "tables")
    assert_unchanged(case.options, before.options, "options")


def test_inputs_in_every_accepted_shape_are_never_modified(sample_tables):
    """Inputs that the library must convert: ids in the index or as numbers, yes/no strings,
    a wide capacity table, demand without offsets, a value Series with integer ids, ids given
    as numpy arrays and pandas objects."""
    projects = pd.DataFrame({"cost": [4, 3, 3, 2], "duration": [1, 2, 1, 1],
                             "mandatory": ["yes", "no", "", "No"], "value": [5, 3, 3, 1],
                             "earliest_start": ["2027-Q1", " 2027-Q1", "2027-Q2", None]},
                            index=pd.Index([1, 2, 3, 4], name="project_id"))
    demand = pd.DataFrame({"project_id": [1, 2, 3, 4], "competence": [" dev", "dev", "ops", "ops"],
                           "amount": [3, 2, 1, 1]})
    capacity = pd.DataFrame({"2027-Q1": [5.0, 2.0], "2027-Q2": [5.0, 2.0]},
                            index=["dev", "ops"])
    budget = pd.DataFrame({"period": ["total", "2027-Q1", "2027-Q2"], "amount": [20, 9, 9]})
    relations = pd.DataFrame({"kind": ["Requires", "synergy"], "project_id": [2, 1],
                              "other_id": [3, 4], "lag": [None, None], "value": [None, 2]})
    value = pd.Series([1.0, 2.0, 3.0, 4.0], index=[4, 3, 2, 1], name="my value")
    cases = [
        Case({"projects": projects, "demand": demand, "capacity": capacity, "budget": budget,
              "relations": relations},
             {"value": value, "force_in": np.array([2]), "force_out": pd.Series([4]),
              "budget": 12.0}),
        Case({"projects": projects.reset_index(), "demand": demand, "capacity": capacity,
              "budget": Budget(15.0, pd.Series([9.0, 9.0], index=["2027-Q1", "2027-Q2"]))},
             {"value": "value", "force_in": pd.Index(["2"]), "force_out": "4"}),
        Case(dict(sample_tables), {"force_in": ["P01"]}),
    ]
    for case in cases:
        before = case.deep_copy()
        exercise(case)
        assert_unchanged(case.tables, before.tables, "tables")
        assert_unchanged(case.options, before.options, "options")
    for case in cases[:2]:  # and the answer is right, whatever the shape of the input
        pf = case.portfolio()
        sel = select(pf, **case.options)
        best = checker.brute_force(pf, case.options["value"], **case.check_options)
        assert checker.violations(pf, sel.selected_ids, sel.start, **case.check_options) == []
        assert sel.objective == pytest.approx(best.objective) and sel.selected_ids in best


def test_select_does_not_change_the_portfolio():
    pf = small(mandatory=(True, False, False), budget=7.0)
    tables = {k: getattr(pf, k) for k in ("projects", "demand", "capacity", "relations",
                                          "periods", "budget", "groups", "buckets")}
    before = copy.deepcopy(tables)
    select(pf, budget=9.0, force_in=["C"])
    for k in tables:
        assert_unchanged(getattr(pf, k), before[k], k)


# ------------------------------------------------------------------------ error messages


def test_value_column_missing():
    with pytest.raises(InputError, match=r"^select: value column 'npv' is not in the projects "
                       r"table; numeric columns: 'cost', 'value'\.$"):
        select(small(), "npv")


def test_no_value_to_maximise():
    pf = Portfolio(pd.DataFrame({"project_id": ["A"], "cost": [1.0]}))
    with pytest.raises(InputError, match=r"select: no value to maximise\. Pass value="):
        select(pf)


def test_value_of_wrong_type():
    with pytest.raises(InputError, match=r"select: value must be a column name or a Series by "
                       r"project_id, got list\."):
        select(small(), [1.0, 2.0, 3.0])


def test_value_series_missing_ids():
    with pytest.raises(InputError, match=r"^value Series: no value for B, C \(2 projects\)\. "
                       r"Give a value for every project \(0 if it has none\)\.$"):
        select(small(), pd.Series({"A": 1.0}))


def test_value_series_extra_ids():
    with pytest.raises(InputError, match=r"^value Series: X \(1 project\) are not in the "
                       r"projects table\. Remove them or fix the ids\.$"):
        select(small(), pd.Series({"A": 1.0, "B": 2.0, "C": 3.0, "X": 4.0}))


def test_value_series_missing_and_extra_ids_are_both_listed():
    with pytest.raises(InputError, match=r"2 problems in the input:\n  - value Series: no value "
                       r"for C \(1 project\).*\n  - value Series: X \(1 project\) are not"):
        select(small(), pd.Series({"A": 1.0, "B": 2.0, "X": 4.0}))


def test_value_series_duplicate_ids():
    with pytest.raises(InputError, match=r"value Series: duplicate ids A \(1 project\)\."):
        select(small(), pd.Series([1.0, 2.0, 3.0, 4.0], index=["A", "A", "B", "C"]))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_value_series_not_finite(bad):
    with pytest.raises(InputError, match=r"^value Series: B \(1 project\) have a missing or "
                       r"non-finite value \(-?(nan|inf)\)\. Give every project a finite value\.$"):
        select(small(), pd.Series({"A": 1.0, "B": bad, "C": 3.0}))


def test_value_column_with_missing_values():
    pf = small(npv=[1.0, np.nan, None])
    with pytest.raises(InputError, match=r"projects table, column 'npv': B, C \(2 projects\) "
                       r"have a missing or non-finite value \(nan, nan\)"):
        select(pf, "npv")


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf, "10", True, [5.0]])
def test_bad_budget_option(bad):
    with pytest.raises(InputError, match=r"^select: budget must be a finite number >= 0, got "
                       + re.escape(repr(bad)) + r"\.$"):
        select(small(), budget=bad)


@pytest.mark.parametrize("option", ["force_in", "force_out"])
def test_unknown_forced_ids(option):
    with pytest.raises(InputError, match=rf"^select: {option} names X, Y \(2 projects\), which "
                       r"are not in the projects table\. Fix the ids\.$"):
        select(small(), **{option: ["A", "X", "Y"]})


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_bad_schedule_option(bad):
    with pytest.raises(InputError, match=r"^select: schedule must be True \(choose the starts\) "
                       r"or False \(earliest starts\), got " + re.escape(repr(bad)) + r"\.$"):
        select(small(), schedule=bad)


@pytest.mark.parametrize("bad", [np.nan, "3", True])
def test_bad_max_average_risk(bad):
    with pytest.raises(InputError, match=r"^select: max_average_risk must be a finite number, "
                       r"got " + re.escape(repr(bad)) + r"\.$"):
        select(small(risk=[1.0, 2.0, 3.0]), max_average_risk=bad)


def test_max_average_risk_needs_risks():
    with pytest.raises(InputError, match=r"^select: max_average_risk needs a 'risk' column in "
                       r"the projects table\. Add each project's risk score\.$"):
        select(small(), max_average_risk=2.0)
    with pytest.raises(InputError, match=r"^projects table, column 'risk': B \(1 project\) have "
                       r"no risk score; max_average_risk needs the risk of every project that "
                       r"costs something\. Fill them in\.$"):
        select(small(risk=[1.0, np.nan, 2.0]), max_average_risk=2.0)


def test_bad_buckets_option_names_select():
    with pytest.raises(InputError, match=r"^select: buckets table, column 'column': 'colour' "
                       r"are not columns of the projects table"):
        select(small(), buckets=pd.DataFrame({"column": ["colour"], "value": ["red"],
                                              "max": [0.5]}))


def test_unknown_solver():
    with pytest.raises(InputError, match=r"^unknown solver 'gurobi'; valid solvers: cbc, highs\.$"):
        select(small(), solver="gurobi")


@pytest.mark.parametrize("bad", [0, -1.0, np.nan, np.inf, "5", True])
def test_bad_time_limit(bad):
    with pytest.raises(InputError, match=r"^time_limit must be a number of seconds > 0, got "
                       + re.escape(repr(bad)) + r"\.$"):
        select(small(), time_limit=bad)


@pytest.mark.parametrize("bad", [-0.1, 1, 1.5, np.nan, "0.1", False])
def test_bad_gap(bad):
    with pytest.raises(InputError, match=r"^gap must be a relative gap from 0 \(prove "
                       r"optimality\) to below 1, got " + re.escape(repr(bad))
                       + r"; e\.g\. gap=0\.01 accepts a portfolio within 1% of the best bound\.$"):
        select(small(), gap=bad)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_bad_threads(bad):
    with pytest.raises(InputError, match=r"^threads must be a whole number >= 1, got "
                       + re.escape(repr(bad)) + r"\.$"):
        select(small(), threads=bad)


def test_threads_give_the_same_optimum(solvers, sample_tables):
    pf = Portfolio(**sample_tables)
    one, two = select(pf, solver=solvers, threads=1), select(pf, solver=solvers, threads=2)
    assert one.objective == pytest.approx(two.objective, rel=1e-9)


def test_several_bad_solver_options_are_listed_together():
    with pytest.raises(InputError, match=r"^3 problems in the input:\n  - time_limit .*\n  - "
                       r"gap .*\n  - threads "):
        select(small(), time_limit=0, gap=2, threads=0)


def test_input_errors_are_value_errors():
    with pytest.raises(ValueError, match="unknown solver"):
        select(small(), solver="cplex")


@pytest.mark.parametrize("kind, option", [
    ("budget", np.int64(7)), ("budget", np.float32(7.0)),
    ("time_limit", np.int64(30)), ("threads", np.int64(1)), ("gap", np.float32(0.0)),
])
def test_numpy_numbers_are_accepted_as_options(kind, option):
    """A budget or option computed with numpy/pandas (``df["amount"].sum()`` is np.int64) is a
    finite number like any other; Portfolio(budget=np.int64(7)) accepts it too."""
    pf = small()
    assert Portfolio(pf.projects, budget=np.int64(7), periods=Q).budget.total == 7.0
    expected = select(pf, **{kind: float(option) if kind != "threads" else 1})
    got = select(pf, **{kind: option})
    assert got.selected.equals(expected.selected)


def test_selection_shows_itself_in_a_notebook():
    from portfolio_opt import datasets

    pf = datasets.load_sample()
    sel = select(pf)
    page = sel._repr_html_()
    chosen = sel.selected_ids
    assert page.startswith("<p><strong>Selection: optimal</strong>")
    assert f"{len(chosen)} of {len(pf)} projects" in page
    shown = [pid for pid in pf.project_ids if f"<th>{pid}</th>" in page]
    assert shown == list(chosen[:20])  # the first 20 selected projects, nothing else
    assert f"First 20 of {len(chosen)} selected projects" in page
