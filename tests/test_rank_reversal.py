"""Rank reversal (portfolio_opt.rank_reversal), against an independent min-max recomputation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_opt import Portfolio
from portfolio_opt.exceptions import InputError
from portfolio_opt.rank_reversal import RankReversal, rank_reversal_check
from test_sensitivity import criteria_table, make_portfolio, reference_normalised

SETTINGS = settings(max_examples=40, deadline=None)


def reference_reversal(values, weights, directions, copy_row) -> bool:
    """True when no strict reversal among the originals after adding copy_row (min-max)."""
    before = reference_normalised(values, directions) @ (np.asarray(weights) / np.sum(weights))
    bigger = np.vstack([values, copy_row])
    after = (reference_normalised(bigger, directions) @ (np.asarray(weights) / np.sum(weights)))
    after = after[:-1]
    b, a = np.round(before, 12), np.round(after, 12)
    n = len(values)
    return not any(b[p] > b[q] and a[p] < a[q] for p in range(n) for q in range(n))


def test_rank_reversal_with_min_max_by_hand():
    # C's copy extends the range of 'fit' from [2, 12] to [0, 12]: 'fit' now counts less per
    # unit and C (strong on 'return') overtakes A
    pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [1.0] * 3,
                                 "fit": [12.0, 4.0, 2.0], "return": [2.0, 11.0, 10.5]}))
    check = rank_reversal_check(pf, {"fit": 1, "return": 1}, worse_by=0.2)
    assert isinstance(check, RankReversal) and not check
    table = check.table.set_index("dominated_by")
    assert table.loc["C", "reversal"] == "C now above A"
    assert table.loc["C", "range_extended"] == "fit"
    assert table.loc["C", "copy_id"] == "C~dominated"
    assert bool(table.loc["A", "holds"]) and bool(table.loc["B", "holds"])
    values = pf.projects[["fit", "return"]].to_numpy()
    for pid, copy_row in (("A", [10.0, 0.0]), ("B", [2.0, 9.0]), ("C", [0.0, 8.5])):
        assert table.loc[pid, "holds"] == reference_reversal(values, [1, 1], ["max"] * 2,
                                                             copy_row)


@SETTINGS
@given(data=st.data(), n=st.integers(2, 6), k=st.integers(1, 3))
def test_rank_reversal_min_max_matches_reference(data, n, k):
    values = np.array(data.draw(st.lists(st.lists(st.integers(1, 9), min_size=k, max_size=k),
                                         min_size=n, max_size=n)), dtype=float)
    weights = data.draw(st.lists(st.integers(1, 5), min_size=k, max_size=k))
    directions = data.draw(st.lists(st.sampled_from(["max", "min"]), min_size=k, max_size=k))
    pf = make_portfolio(values)
    check = rank_reversal_check(pf, criteria_table(weights, directions), worse_by=0.25)
    sign = np.where(np.array(directions) == "min", -1.0, 1.0)
    span = values.max(axis=0) - values.min(axis=0)
    step = 0.25 * np.where(span > 0, span, np.maximum(np.abs(values).max(axis=0), 1))
    for p, row in check.table.iterrows():
        copy_row = values[p] - sign * step
        copy_row = np.where(copy_row < 0, values[p] / 2, copy_row)
        assert row["holds"] == reference_reversal(values, weights, directions, copy_row)
        assert row["dominated_by"] == f"P{p}"
    assert check.holds == bool(check.table["holds"].all())


@settings(max_examples=25, deadline=None)
@given(data=st.data(), n=st.integers(2, 6), k=st.integers(1, 3),
       method=st.sampled_from(["ratio", "value_function"]))
def test_rank_reversal_never_with_fixed_or_ratio_scales(data, n, k, method):
    # ratio to the best: a dominated copy never changes the best value; a value function
    # scores each project on its own: adding a project changes no other score
    values = np.array(data.draw(st.lists(st.lists(st.integers(1, 9), min_size=k, max_size=k),
                                         min_size=n, max_size=n)), dtype=float)
    weights = data.draw(st.lists(st.integers(1, 5), min_size=k, max_size=k))
    directions = data.draw(st.lists(st.sampled_from(["max", "min"]), min_size=k, max_size=k))
    criteria = criteria_table(weights, directions)
    if method == "ratio":
        criteria = criteria.assign(normalisation="ratio")
    else:
        criteria = criteria.assign(value_function=[
            "0: 0, 4: 0.7, 10: 1" if d == "max" else "0: 1, 10: 0" for d in directions])
    check = rank_reversal_check(make_portfolio(values), criteria, worse_by=0.5)
    assert check.holds
    assert not check.table["ties_changed"].any() and (check.table["moved"] == 0).all()


def test_rank_reversal_with_rank_normalisation_by_hand():
    # rank normalisation spreads the distinct values evenly over [0, 1]:
    #   c0: A 3, C 4, B 5 -> 0, 1/2, 1      c1: C 3, A 4, B 4 -> 0, 1, 1
    #   scores (equal weights): A 1/2, B 1, C 1/4
    # C's copy (3.98, 2.99) adds a distinct value on each criterion, inside the range on c0:
    #   c0: 3, 3.98, 4, 5 -> A 0, C 2/3      c1: 2.99, 3, 4 -> C 1/2, A 1
    #   scores: A 1/2, C 7/12: C now above A, although no range was extended on c0
    pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [1.0] * 3,
                                 "c0": [3.0, 5.0, 4.0], "c1": [4.0, 4.0, 3.0]}))
    criteria = pd.DataFrame({"criterion": ["c0", "c1"], "weight": [1, 1],
                             "normalisation": "rank"})
    check = rank_reversal_check(pf, criteria, dominated_by="C")
    row = check.table.iloc[0]
    assert not check and row["reversal"] == "C now above A"
    assert row["range_extended"] == "c1"


def test_rank_reversal_on_ties_is_not_a_reversal():
    # P0 and P1 tie; a copy that widens c0's range breaks the tie without reversing anything
    pf = make_portfolio(np.array([[2.0, 1.0], [1.0, 2.0], [3.0, 3.0]]))
    check = rank_reversal_check(pf, {"c0": 1, "c1": 1}, dominated_by="P1", worse_by=0.5)
    row = check.table.iloc[0]
    assert bool(row["holds"]) and bool(row["ties_changed"]) and row["moved"] == 1


def test_rank_reversal_inputs_unchanged_and_copy_dominated():
    values = np.array([[3.0, 1.0], [1.0, 4.0], [2.0, 2.0]])
    pf = make_portfolio(values)
    before = pf.projects
    criteria = {"c0": 2, "c1": 1}
    check = rank_reversal_check(pf, criteria, dominated_by=["P0", "P2"])
    pd.testing.assert_frame_equal(pf.projects, before)
    assert check.table["dominated_by"].tolist() == ["P0", "P2"]
    assert "RankReversal(holds=" in repr(check)


@pytest.mark.parametrize("kwargs, message", [
    (dict(worse_by=0), r"worse_by must be a number > 0"),
    (dict(worse_by="a"), r"worse_by must be a number > 0"),
    (dict(dominated_by=["P0", "X"]), r"dominated_by names X \(1 project\), which are not in the "
                                     r"projects table"),
])
def test_rank_reversal_errors(kwargs, message):
    pf = make_portfolio(np.eye(3))
    with pytest.raises(InputError, match=message):
        rank_reversal_check(pf, {"c0": 1}, **kwargs)
