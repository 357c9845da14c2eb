"""Tests of portfolio_opt.alternatives: k best and diverse portfolios.

The brute force of ``tests/checker.py`` gives the value of every set of projects (the best
over its start periods, ``None`` when the set breaks a rule): the k best portfolios must be
the top k of that enumeration (ties included: the values must match place by place and
``ties_beyond`` must say whether the k-th value is shared); diverse portfolios must stay
within the floor, be distinct, and each maximise the total Hamming distance to those found
before it (ties broken by value), checked over every feasible set.
"""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import checker
from conftest import ALL, line, portfolio_cases
from portfolio_opt import InfeasibleError, InputError, Portfolio, SelectionModel
from portfolio_opt.alternatives import Alternatives, alternative_portfolios

FEW = settings(max_examples=12, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
FEATURES = ALL - {"substitution"}


def set_values(pf: Portfolio, value, check: dict) -> dict[frozenset, float]:
    """Brute-force value of every set of projects that satisfies every rule."""
    ids = list(pf.projects.index)
    out = {}
    for r in range(len(ids) + 1):
        for subset in itertools.combinations(ids, r):
            if set(check.get("force_in") or []) - set(subset):
                continue
            if set(check.get("force_out") or []) & set(subset):
                continue
            best = checker.brute_force(pf, value, **{
                **check, "force_in": list(subset),
                "force_out": [i for i in ids if i not in subset]})
            if best is not None:
                out[frozenset(subset)] = best.objective
    return out


def case_inputs(case) -> tuple[Portfolio, object, dict, dict[frozenset, float]]:
    """The case's portfolio, value, other select options and brute-force set values."""
    pf = case.portfolio()
    value = case.options.get("value")
    options = {key: v for key, v in case.options.items() if key != "value"}
    return pf, value, options, set_values(pf, value, case.check_options)


def sets_of(alt: Alternatives) -> list[frozenset]:
    return [frozenset(alt.portfolios.columns[row]) for row in alt.portfolios.to_numpy()]


def tie(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


@FEW
@given(case=portfolio_cases(max_projects=4, features=FEATURES), k=st.integers(1, 4),
       within=st.sampled_from([None, 0.1, 0.5]))
def test_k_best_are_the_top_k_of_brute_force_enumeration(case, k, within):
    pf, value, options, values = case_inputs(case)
    if not values:
        with pytest.raises(InfeasibleError):
            alternative_portfolios(pf, value, k=k, within=within, **options)
        return
    alt = alternative_portfolios(pf, value, k=k, within=within, **options)
    ranked = sorted(values.values(), reverse=True)
    best = ranked[0]
    if within is not None:
        ranked = [v for v in ranked if v >= best - within * abs(best) - 1e-9]
    found = sets_of(alt)
    assert len(set(found)) == len(found)  # distinct
    assert len(found) == min(k, len(ranked))
    assert alt.exhausted == (len(ranked) < k)
    for s, objective, expected in zip(found, alt.summary["objective"], ranked):
        assert s in values and objective == pytest.approx(values[s], rel=1e-6, abs=1e-9)
        assert objective == pytest.approx(expected, rel=1e-6, abs=1e-9)
    if len(ranked) > k:
        assert alt.ties_beyond == tie(ranked[k], ranked[k - 1])
    elif len(ranked) == k:
        assert alt.ties_beyond is False
    # the projects in all / none, recomputed from the sets
    assert set(alt.in_all) == set.intersection(*map(set, found))
    assert set(alt.in_none) == set(pf.projects.index) - set.union(*map(set, found))
    assert (alt.summary["status"] == "optimal").all()


@FEW
@given(case=portfolio_cases(max_projects=4, features=FEATURES), k=st.integers(2, 4),
       within=st.sampled_from([0.0, 0.2, 1.0]))
def test_diverse_portfolios_are_within_the_floor_and_as_far_apart_as_possible(case, k, within):
    pf, value, options, values = case_inputs(case)
    if not values:
        return
    alt = alternative_portfolios(pf, value, k=k, within=within, diverse=True, **options)
    best = max(values.values())
    floor = best - within * abs(best)
    assert alt.floor == pytest.approx(floor)
    ok = {s: v for s, v in values.items() if v >= floor - 1e-9}
    found = sets_of(alt)
    assert values[found[0]] == pytest.approx(best)
    assert len(set(found)) == len(found) == min(k, len(ok))
    ids = list(pf.projects.index)
    for i in range(1, len(found)):
        def dist(s, before=found[:i]):
            return sum(len(s ^ f) for f in before)
        left = [s for s in ok if s not in found[:i]]
        far = max(dist(s) for s in left)
        assert dist(found[i]) == far
        assert values[found[i]] == pytest.approx(max(values[s] for s in left
                                                     if dist(s) == far), abs=1e-9)
        assert alt.summary["distance"].iloc[i] == min(len(found[i] ^ f) for f in found[:i])
    assert len(ids) == alt.portfolios.shape[1]


def test_diverse_ties_in_distance_go_by_the_value_with_its_synergy():
    """Found by hypothesis in CI: three projects worth nothing alone, a synergy of 1 for P00
    with P01. After {P00, P01, P02} and {}, every set is equally far (3 in all); the tie must go
    to a set worth 1 ({P00, P01} or with P02), which a tie-break on the projects' own values
    (all 0) did not see."""
    projects = pd.DataFrame({"project_id": ["P00", "P01", "P02"], "cost": 0.0, "value": 0.0,
                             "duration": 1})
    relations = pd.DataFrame({"kind": ["synergy"], "project_id": ["P00"], "other_id": ["P01"],
                              "value": [1.0]})
    pf = Portfolio(projects, relations=relations, periods=["2027-Q1"])
    values = {frozenset(s): float({"P00", "P01"} <= set(s))
              for r in range(4) for s in itertools.combinations(["P00", "P01", "P02"], r)}
    alt = alternative_portfolios(pf, "value", k=3, within=1.0, diverse=True)
    found = sets_of(alt)
    assert [values[f] for f in found] == [1.0, 0.0, 1.0]
    assert alt.summary["objective"].tolist() == [1.0, 0.0, 1.0]


def test_synergy_weight_must_be_a_number():
    pf = three_equal()
    for bad in ("1", float("nan"), True):
        with pytest.raises(InputError, match=r"select: synergy_weight must be a finite number, "
                                             r"got "):
            SelectionModel(pf, objective=pd.Series(1.0, index=pf.projects.index),
                           synergy_weight=bad).build()


def three_equal(**kw) -> Portfolio:
    return line(["A", "B", "C", "D"], [1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 1.0], budget=2,
                **kw)


def test_ties_are_reported_and_the_answer_is_reproducible():
    pf = three_equal()  # three pairs of value 4 (AB, AC, BC), then pairs with D (3)
    first = alternative_portfolios(pf, k=2)
    assert first.summary["objective"].tolist() == [4.0, 4.0]
    assert first.ties_beyond is True  # the third pair of value 4 is left out
    again = alternative_portfolios(pf, k=2)
    pd.testing.assert_frame_equal(first.portfolios, again.portfolios)
    third = alternative_portfolios(pf, k=3)
    assert third.summary["objective"].tolist() == [4.0, 4.0, 4.0]
    assert third.ties_beyond is False
    assert set(sets_of(third)) == {frozenset("AB"), frozenset("AC"), frozenset("BC")}
    assert third.in_none.tolist() == ["D"] and third.in_all.tolist() == []
    table = third.to_frame()
    assert table.loc["A", "n_portfolios"] == 2 and table.loc["D", "class"] == "in none"
    assert table["share"].tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3, 0.0])


def test_within_stops_early_and_says_so():
    pf = three_equal()
    alt = alternative_portfolios(pf, k=10, within=0.0)
    assert len(alt.portfolios) == 3 and alt.exhausted and alt.ties_beyond is None
    assert (alt.summary["share_of_best"] == 1.0).all()
    assert "3 portfolios" in repr(alt) and "Alternative portfolios" in alt._repr_html_()


def test_diverse_first_is_the_optimum_then_the_farthest():
    pf = line(["A", "B", "C", "D"], [1.0, 1.0, 1.0, 1.0], [4.0, 3.0, 3.0, 2.0], budget=2)
    alt = alternative_portfolios(pf, k=2, within=0.3, diverse=True)
    # optimum AB (7); within 30%: >= 4.9 -> AC, BC (6), AD (6), BD (5), CD (5); CD is
    # disjoint from AB (distance 4), the only one that far
    assert sets_of(alt) == [frozenset("AB"), frozenset("CD")]
    assert alt.summary["distance"].tolist()[1] == 4.0


def test_alternatives_do_not_modify_inputs():
    pf = three_equal()
    before = copy.deepcopy(pf.projects)
    value = pd.Series([1.0, 2.0, 3.0, 4.0], index=["D", "C", "B", "A"])
    kept = value.copy()
    force = ["A"]
    alternative_portfolios(pf, value, k=2, force_in=force)
    pd.testing.assert_frame_equal(pf.projects, before)
    pd.testing.assert_series_equal(value, kept)
    assert force == ["A"]


def test_error_messages():
    pf = three_equal()
    with pytest.raises(InputError, match=r"alternative_portfolios: k must be a whole number "
                                         r">= 1, got 0"):
        alternative_portfolios(pf, k=0)
    with pytest.raises(InputError, match=r"k must be a whole number >= 1, got 2.5"):
        alternative_portfolios(pf, k=2.5)
    with pytest.raises(InputError, match=r"alternative_portfolios: within must be a share >= 0 "
                                         r"\(0.05: within 5% of the optimum\), got -0.1"):
        alternative_portfolios(pf, within=-0.1)
    with pytest.raises(InputError, match=r"alternative_portfolios: diverse=True needs within="):
        alternative_portfolios(pf, diverse=True)
    with pytest.raises(InputError, match=r"diverse must be True or False, got 'yes'"):
        alternative_portfolios(pf, diverse="yes", within=0.1)
    with pytest.raises(InputError, match=r"alternative_portfolios: unknown option 'executor'"):
        alternative_portfolios(pf, executor=None)
    with pytest.raises(InfeasibleError, match="No portfolio satisfies every constraint"):
        alternative_portfolios(pf, force_in=["A", "B", "C"])


def test_a_zero_optimum_has_no_share():
    pf = line(["A"], [1.0], [0.0])
    alt = alternative_portfolios(pf, k=2)
    assert alt.summary["objective"].tolist() == [0.0, 0.0]
    assert np.isnan(alt.summary["share_of_best"]).all()
