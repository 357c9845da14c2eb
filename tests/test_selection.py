"""Tests of portfolio_opt.selection: ``select`` and ``Selection``.

Every number is checked against ``tests/checker.py`` (an independent feasibility checker and
a brute force over all subsets, numpy/pandas only), against published optima or against
invariants (hypothesis): never against numbers the library printed.
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
from conftest import DATA, SOLVERS, Case, portfolio_cases
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

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
FEW = settings(max_examples=25, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
Q = ["2027-Q1", "2027-Q2", "2027-Q3"]


def solve_or_none(pf: Portfolio, **options) -> Selection | None:
    try:
        return select(pf, **options)
    except InfeasibleError:
        return None


def small(mandatory=(False, False, False), budget=None, relations=None, capacity=5.0,
          **columns) -> Portfolio:
    """Three projects A, B, C over three quarters; one competence, development."""
    projects = pd.DataFrame({
        "project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 3.0], "duration": [1, 2, 1],
        "earliest_start": Q[:3], "mandatory": list(mandatory), "value": [5.0, 3.0, 3.0],
        **columns})
    demand = pd.DataFrame({"project_id": ["A", "B", "C"], "competence": "development",
                           "amount": [3.0, 2.0, 1.0]})
    cap = pd.DataFrame({"competence": "development", "period": Q, "amount": capacity})
    return Portfolio(projects, demand, cap, budget=budget, relations=relations)


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
    """Hand-computed: A(cost 4, Q1, dev 3), B(cost 3, Q2-Q3, dev 2 each), C(cost 3, Q3, dev 1)."""
    rel = pd.DataFrame({"kind": ["requires", "excludes", "together"],
                        "project_id": ["A", "B", "A"], "other_id": ["C", "C", "B"]})
    pf = small(mandatory=(False, False, True), budget=Budget(6.0, pd.Series([3.0, 9, 9], Q)),
               relations=rel, capacity=[4.0, 1.0, 5.0])
    assert checker.violations(pf, ["B", "C"]) == [
        "development in 2027-Q2: 2 > 1", "B excludes C, both are selected",
        "A together with B: only one is selected"]
    assert checker.violations(pf, ["A", "B"], force_in=["C"], force_out=["A"], budget=5.0) == [
        "total budget: 7 > 5", "budget in 2027-Q1: 4 > 3", "development in 2027-Q2: 2 > 1",
        "mandatory project C is not selected", "forced-in project C is not selected",
        "forced-out project A is selected", "A requires C, which is not selected"]
    start = pd.Series({"A": "2027-Q2", "B": "2027-Q2", "C": "2027-Q3"})
    assert checker.violations(pf, ["A", "C"], start) == [
        "A: starts in 2027-Q2, its earliest start is 2027-Q1",
        "B: not selected but has a start '2027-Q2'",
        "total budget: 7 > 6", "development in 2027-Q2: 3 > 1",
        "A together with B: only one is selected"]
    assert checker.violations(pf, ["C"]) == []
    best = checker.brute_force(pf)
    assert best.objective == 3.0 and best.optimal == [frozenset({"C"})]
    assert checker.brute_force(pf, force_out=["C"]) is None


# ------------------------------------------------------------- optimality against brute force


@SETTINGS
@given(case=portfolio_cases())
def test_select_is_feasible_and_optimal(solvers, case):
    pf = case.portfolio()
    best = checker.brute_force(pf, case.options.get("value"), **case.check_options)
    if best is None:
        with pytest.raises(InfeasibleError, match="No portfolio satisfies every constraint"):
            select(pf, **case.options, solver=solvers)
        return
    sel = select(pf, **case.options, solver=solvers)
    assert checker.violations(pf, sel.selected_ids, sel.start, **case.check_options) == []
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
    """The bundled 60-project sample: every solver feasible and the same optimum."""
    pf = Portfolio(**sample_tables)
    for value in (None, "financial_return", "strategic_fit"):
        objectives = []
        for name in SOLVERS:
            sel = select(pf, value, solver=name)
            assert sel.status is Status.OPTIMAL
            assert checker.violations(pf, sel.selected_ids, sel.start) == []
            assert sel.objective == pytest.approx(sel.value[sel.selected].sum(), rel=1e-12)
            objectives.append(sel.objective)
        assert objectives == pytest.approx([objectives[0]] * len(objectives), rel=1e-6)


# ------------------------------------------------------------------- what a Selection reports


@SETTINGS
@given(case=portfolio_cases())
def test_usage_and_spend_match_recomputation(case):
    pf = case.portfolio()
    sel = solve_or_none(pf, **case.options)
    assume(sel is not None)
    expected = checker.usage(pf, sel.selected_ids, sel.start)
    assert list(sel.usage.columns) == ["competence", "period", "used", "capacity",
                                       "utilisation"]
    pd.testing.assert_frame_equal(sel.usage.reset_index(drop=True), expected,
                                  check_dtype=False, rtol=1e-9, atol=1e-9)
    cost = checker.spend(pf, sel.selected_ids, sel.start)
    assert list(sel.spend.columns) == ["period", "cost", "budget"]
    assert sel.spend["period"].tolist() == list(pf.periods)
    np.testing.assert_allclose(sel.spend["cost"].to_numpy(float), cost.to_numpy(), atol=1e-9)
    per = pf.budget.per_period
    want = np.full(len(pf.periods), np.nan) if per is None else per[list(pf.periods)].to_numpy()
    np.testing.assert_array_equal(sel.spend["budget"].to_numpy(float), want)


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
    assert (sel.start[sel.selected] == projects.loc[sel.selected, "earliest_start"]).all()
    assert list(sel.selected_ids) == [i for i in ids if sel.selected[i]]
    assert sel.objective == pytest.approx(float(want[sel.selected].sum()), rel=1e-12, abs=1e-12)
    assert sel.cost == pytest.approx(float(projects.loc[sel.selected, "cost"].sum()))
    budget = case.options.get("budget")
    assert sel.budget == (pf.budget.total if budget is None else budget)
    frame = sel.to_frame()
    assert frame.index.equals(ids)
    assert list(frame.columns) == ["selected", "start", "cost", "value", "mandatory"]
    np.testing.assert_array_equal(frame["cost"].to_numpy(float), projects["cost"].to_numpy())
    np.testing.assert_array_equal(frame["selected"].to_numpy(bool), sel.selected.to_numpy())
    assert sel.summary()["selected"] == len(sel.selected_ids)
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
    pf = small(capacity=[5.0, 0.0, 5.0])  # B (2 quarters from Q1) cannot fit: Q2 has no one
    sel = select(pf)
    usage = sel.usage.set_index(["competence", "period"])
    assert math.isnan(usage.loc[("development", "2027-Q2"), "utilisation"])
    assert usage.loc[("development", "2027-Q1"), "used"] == pytest.approx(3.0)
    assert usage.loc[("development", "2027-Q1"), "utilisation"] == pytest.approx(0.6)
    assert not sel.selected["B"]


def test_default_value_is_the_criteria_score(sample_tables):
    """Without a value column select maximises the portfolio's criteria score."""
    from portfolio_opt.scoring import score

    pf = Portfolio(**sample_tables)
    assert "value" not in pf.projects.columns
    by_default = select(pf)
    explicit = select(pf, score(pf))
    np.testing.assert_allclose(by_default.value.to_numpy(), score(pf).to_numpy(), rtol=1e-12)
    assert by_default.objective == pytest.approx(explicit.objective, rel=1e-9)


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
@given(case=portfolio_cases(unique_values=True), data=st.data())
def test_permuting_rows_changes_only_the_order(solvers, case, data):
    """Distinct powers of two as values make the optimum unique: the same projects must win."""
    options = {k: v for k, v in case.options.items() if k != "value"}
    tables = case.tables
    n = len(tables["projects"])
    perm = data.draw(st.permutations(range(n)))
    dperm = data.draw(st.permutations(range(len(tables["demand"]))))
    shuffled = {**tables, "projects": tables["projects"].iloc[perm],
                "demand": tables["demand"].iloc[dperm]}
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
    pd.testing.assert_series_equal(b.start.reindex(ids), a.start)
    pd.testing.assert_series_equal(b.value.reindex(ids), a.value)
    assert b.objective == pytest.approx(a.objective, rel=1e-12)
    pd.testing.assert_frame_equal(b.usage, a.usage, rtol=1e-12)
    pd.testing.assert_frame_equal(b.spend, a.spend, rtol=1e-12)
    pd.testing.assert_frame_equal(b.to_frame().reindex(ids), a.to_frame())


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
    else:
        assert type(after) is type(before) and after == before, where


def exercise(case: Case) -> None:
    """Every public call of the selection core on one case."""
    pf = case.portfolio()
    _ = pf.projects, pf.demand, pf.capacity, pf.budget, pf.relations, pf.periods
    model = SelectionModel(pf, case.options.get("value"), budget=case.options.get("budget"),
                           force_in=case.options.get("force_in"),
                           force_out=case.options.get("force_out"))
    model.value_series()
    model.bounds()
    model.options()
    model.total_budget()
    try:
        model.check_feasibility()
    except InfeasibleError:
        pass
    model.build()
    sel = solve_or_none(pf, **case.options)
    if sel is not None:
        sel.to_frame()
        sel.summary()
        repr(sel)
        _ = sel.selected_ids, sel.cost


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
    relations = pd.DataFrame({"kind": ["Requires"], "project_id": [2], "other_id": [3]})
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
                                          "periods", "budget")}
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


# ------------------------------------------------------- infeasibility, in the analyst's words


def test_mandatory_projects_over_the_total_budget():
    pf = small(mandatory=(True, True, False), budget=6.5)
    with pytest.raises(InfeasibleError, match=r"^No portfolio satisfies every constraint:\n  - "
                       r"required projects A, B \(2 projects\) cost 7; the total budget is "
                       r"6\.5\.$") as err:
        select(pf)
    assert len(err.value.reasons) == 1


def test_mandatory_projects_over_a_budget_given_to_select():
    pf = small(mandatory=(True, False, False), budget=100.0)
    with pytest.raises(InfeasibleError, match=r"required projects A, C \(2 projects\) cost 7; "
                       r"the total budget is 5\."):
        select(pf, budget=5.0, force_in=["C"])


def test_mandatory_projects_over_a_period_budget():
    pf = small(mandatory=(False, True, True),
               budget=pd.Series([10.0, 1.0, 10.0], index=Q))
    with pytest.raises(InfeasibleError, match=r"required projects B, C \(2 projects\) spend 1\.5 "
                       r"in 2027-Q2; the budget for that period is 1\."):
        select(pf)


def test_mandatory_demand_over_capacity_names_competence_period_and_capacity():
    projects = pd.DataFrame({"project_id": ["A", "B", "C"], "cost": 1.0, "duration": [2, 2, 1],
                             "mandatory": [True, True, False], "value": 1.0})
    arch, dev = "architecture", "development"
    demand = pd.DataFrame({"project_id": ["A", "B", "A", "C"], "competence": [arch, arch, dev, dev],
                           "offset": [1, 1, None, None], "amount": [3.0, 4.5, 1.0, 9.0]})
    cap = pd.DataFrame({"competence": [arch, arch, dev, dev],
                        "period": ["2027-Q1", "2027-Q2", "2027-Q1", "2027-Q2"],
                        "amount": [20.0, 5.0, 5.0, 5.0]})
    pf = Portfolio(projects, demand, cap)
    with pytest.raises(InfeasibleError, match=r"required projects A, B \(2 projects\) need 7\.5 "
                       r"architecture in 2027-Q2; capacity is 5\.$"):
        select(pf)


def test_project_forced_in_and_forced_out():
    with pytest.raises(InfeasibleError, match=r"B \(1 project\) are both required \(mandatory "
                       r"or forced in\) and forced out\."):
        select(small(), force_in=["B"], force_out=["B"])


def test_mandatory_project_forced_out():
    with pytest.raises(InfeasibleError, match=r"A \(1 project\) are both required \(mandatory "
                       r"or forced in\) and forced out\."):
        select(small(mandatory=(True, False, False)), force_out="A")


@pytest.mark.parametrize("kind", ["requires", "together"])
def test_required_project_needs_a_forced_out_one(kind):
    rel = pd.DataFrame({"kind": [kind, "requires"], "project_id": ["A", "B"],
                        "other_id": ["B", "C"]})
    pf = small(mandatory=(True, False, False), relations=rel)
    with pytest.raises(InfeasibleError, match=r"required project A needs C \(through "
                       r"requires/together relations\), but C is forced out\."):
        select(pf, force_out=["C"])


def test_required_projects_that_exclude_each_other():
    rel = pd.DataFrame({"kind": ["excludes", "requires"], "project_id": ["A", "B"],
                        "other_id": ["C", "C"]})
    pf = small(mandatory=(True, False, False), relations=rel)
    with pytest.raises(InfeasibleError, match=r"A excludes C, but both are required \(mandatory, "
                       r"forced in, or needed by a required project\)\."):
        select(pf, force_in=["B"])


def test_every_conflict_is_listed():
    rel = pd.DataFrame({"kind": ["excludes"], "project_id": ["A"], "other_id": ["B"]})
    pf = small(mandatory=(True, True, False), relations=rel, budget=1.0)
    with pytest.raises(InfeasibleError) as err:
        select(pf, force_in=["C"], force_out=["C"])
    assert len(err.value.reasons) == 3
    assert err.value.reasons[0].startswith("C (1 project) are both required")
    assert err.value.reasons[1].startswith("A excludes B")
    assert err.value.reasons[2] == ("required projects A, B, C (3 projects) cost 10; the total "
                                    "budget is 1.")
    assert isinstance(err.value, ValueError)
