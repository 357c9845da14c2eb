"""Tests of the improvement local search (portfolio_opt.local_search.improve).

Every answer is checked by the independent checker (tests/checker.py) after turning the
chosen options into selected ids and start periods, its value recomputed independently and
compared with the input's and with the brute-force optimum; hand-made cases check that a
swap, a start change that frees room and an ejection are found.
"""

from __future__ import annotations

import copy
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import line, portfolio_cases
from portfolio_opt import Portfolio, SelectionModel
from portfolio_opt import heuristic as H
from portfolio_opt.datasets import synthetic
from portfolio_opt.local_search import improve
from test_heuristic import as_selection as selection
from test_heuristic import check_answer as checked_value

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ONE = ["2027-Q1"]  # one quarter: one start per project, the option is its own X_j


def build(pf: Portfolio, **options):
    model = SelectionModel(pf, **options)
    model.build()
    return model.matrix_


def portfolio(mm, starts: dict[int, int]) -> np.ndarray:
    """The column vector of projects (by position) at start periods (by position)."""
    x = np.zeros(mm.n_cols)
    opt_project = mm.option_project[:mm.n_options]
    opt_start = mm.option_start[:mm.n_options]
    for j, s in starts.items():
        x[np.flatnonzero((opt_project == j) & (opt_start == s))[0]] = 1.0
        x[mm.selection_columns[j]] = 1.0
    assert H.max_violation(mm, x) <= H.TOL
    return x


def greedy_case(case):
    """The case's portfolio, model, greedy portfolio and brute-force optimum.

    None when the model rejects the case or the greedy finds no portfolio (nothing to test).
    """
    pf = case.portfolio()
    mm = case.matrix_model(pf)
    if mm is None:
        return None
    x0 = H.greedy(mm)
    if x0 is None:
        return None
    best = case.optimum(pf)
    assert best is not None
    return pf, mm, x0, best


def assert_unchanged(mm, before) -> None:
    """The model's arrays are those of its copy ``before``."""
    for field in ("row_lower", "row_upper", "col_lower", "col_upper", "objective"):
        np.testing.assert_array_equal(getattr(mm, field), getattr(before, field))
    assert (mm.A != before.A).nnz == 0


def weaker(mm, x: np.ndarray, drop: list[bool]) -> np.ndarray:
    """x without the chosen options flagged in ``drop`` (if still feasible), else x."""
    y = x.copy()
    chosen = mm.chosen_options(x)
    for o, d in zip(chosen, drop):
        if d:
            y[o] = 0.0
            y[mm.selection_columns[mm.option_project[o]]] = 0.0
    return y if H.max_violation(mm, y) <= H.TOL else x


# ------------------------------------------------------------------------ properties


@SETTINGS
@given(case=portfolio_cases(), drop=st.lists(st.booleans(), max_size=6))
def test_answer_is_feasible_not_worse_and_not_above_the_optimum(case, drop):
    found = greedy_case(case)
    if found is None:
        return
    pf, mm, x0, best = found
    before_mm = copy.deepcopy(mm)
    for x in (x0, weaker(mm, x0, drop)):
        x_copy = x.copy()
        start_value = checked_value(pf, case.options, case.check_options, mm, x)
        order = H.density_order(H.prepare(mm))
        order_copy = order.copy()
        for y in (improve(mm, x, time_limit=0.5), improve(mm, x, time_limit=0.5, order=order)):
            np.testing.assert_array_equal(x, x_copy)  # the input is left as it was
            assert y is not x
            value = checked_value(pf, case.options, case.check_options, mm, y)
            assert value >= start_value - 1e-9
            assert value <= best.objective + 1e-6
        np.testing.assert_array_equal(order, order_copy)
    assert_unchanged(mm, before_mm)


# ------------------------------------------------------------------------ examples


def test_one_swap_is_found():
    """Budget 10: A (cost 6, value 5) in; B (cost 9, value 8) only fits once A is out."""
    pf = line(["A", "B"], cost=[6.0, 9.0], value=[5.0, 8.0], budget=10, periods=ONE)
    mm = build(pf)
    x = portfolio(mm, {0: 0})
    x_copy = x.copy()
    assert mm.objective_value(x) == 5.0
    y = improve(mm, x)
    assert selection(pf, mm, y)[0] == ["B"]
    assert checked_value(pf, {}, {}, mm, y) == 8.0
    np.testing.assert_array_equal(x, x_copy)
    # B not among the candidates: nothing to gain
    z = improve(mm, x, order=np.array([0]))
    np.testing.assert_array_equal(z, x)
    assert z is not x


def test_a_start_change_frees_room_for_another_project():
    """One competence, 5 per quarter: A may start in Q1 or Q2, B only in Q1."""
    pf = line(["A", "B"], cost=[1.0, 1.0], value=[5.0, 4.0], periods=["2027-Q1", "2027-Q2"],
              latest=["2027-Q2", "2027-Q1"],
              demand=pd.DataFrame({"project_id": ["A", "B"], "competence": "dev",
                                   "amount": [5.0, 5.0]}),
              capacity=pd.DataFrame({"competence": "dev", "period": ["2027-Q1", "2027-Q2"],
                                     "amount": 5.0}))
    mm = build(pf)
    x = portfolio(mm, {0: 0})  # A in Q1
    y = improve(mm, x)
    ids, start = selection(pf, mm, y)
    assert sorted(ids) == ["A", "B"]
    assert start["A"] == "2027-Q2" and start["B"] == "2027-Q1"
    assert checked_value(pf, {}, {}, mm, y) == 9.0


def test_two_projects_make_room_for_a_better_one():
    """Budget 10: A and B (cost 5, value 3 each) in; C (cost 10, value 7) needs both out."""
    pf = line(["A", "B", "C"], cost=[5.0, 5.0, 10.0], value=[3.0, 3.0, 7.0], budget=10,
              periods=ONE)
    mm = build(pf)
    x = portfolio(mm, {0: 0, 1: 0})
    y = improve(mm, x)
    assert selection(pf, mm, y)[0] == ["C"]
    assert checked_value(pf, {}, {}, mm, y) == 7.0


def test_forced_and_required_projects_stay():
    """A is mandatory and requires B: neither may leave for the more valuable C."""
    pf = line(["A", "B", "C"], cost=[3.0, 3.0, 6.0], value=[1.0, 1.0, 5.0], budget=6,
              periods=ONE, columns={"mandatory": [True, False, False]},
              relations=pd.DataFrame({"kind": ["requires"], "project_id": ["A"],
                                      "other_id": ["B"]}))
    mm = build(pf)
    x = H.greedy(mm)
    assert x is not None
    y = improve(mm, x)
    assert sorted(selection(pf, mm, y)[0]) == ["A", "B"]
    checked_value(pf, {}, {}, mm, y)


def test_an_infeasible_or_wrong_input():
    pf = line(["A", "B"], cost=[6.0, 9.0], value=[5.0, 8.0], budget=10, periods=ONE)
    mm = build(pf)
    assert mm.n_cols == 2
    x = np.array([1.0, 1.0])  # over budget: returned as it is (a copy)
    y = improve(mm, x)
    np.testing.assert_array_equal(y, x)
    assert y is not x
    with pytest.raises(ValueError, match=r"improve: x has shape \(3,\), the model has 2"):
        improve(mm, np.zeros(3))
    with pytest.raises(ValueError, match="outside the 2 options"):
        improve(mm, np.zeros(2), order=np.array([0, 2]))
    with pytest.raises(ValueError, match="1-d array of option columns"):
        improve(mm, np.zeros(2), order=np.array([0.5]))


def test_synthetic_is_improved_within_the_time_limit():
    """2 000 projects: better than the greedy, checked, and back within 0.5 s of the limit."""
    pf = synthetic(2000, seed=3)
    mm = build(pf)
    prep = H.prepare(mm)
    x = H.greedy(mm, _prep=prep)
    assert x is not None
    for limit in (0.2, 1.0):
        t0 = time.perf_counter()
        y = improve(mm, x, time_limit=limit, _prep=prep)
        assert time.perf_counter() - t0 < limit + 0.5  # loosely: a shared machine
        assert mm.objective_value(y) > mm.objective_value(x)
        checked_value(pf, {}, {"schedule": True}, mm, y)
