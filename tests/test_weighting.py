"""Tests of portfolio_opt.weighting.

Numbers are checked against published values (rank-order centroid, Barron & Barrett 1996),
against independent computations written here (products along the path of a hierarchy, the
closed form of ROC) and against invariants (hypothesis).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_opt.exceptions import InputError
from portfolio_opt.weighting import (
    WeightScale,
    direct_points,
    hierarchy_weights,
    rank_order_centroid,
    swing_weights,
)

SETTINGS = settings(max_examples=50, deadline=None)


def frame(criterion, weight, parent=None) -> pd.DataFrame:
    table = pd.DataFrame({"criterion": list(criterion), "weight": list(weight)})
    if parent is not None:
        table["parent"] = list(parent)
    return table


# --------------------------------------------------------------------------------------------
# hierarchy_weights

DEPTH3 = frame(
    ["value", "risk", "finance", "strategy", "npv", "payback", "fit", "innovation", "delivery"],
    [4, 1, 3, 1, 2, 1, 1, 1, 5],
    [None, None, "value", "value", "finance", "finance", "strategy", "strategy", "risk"],
)


def test_hierarchy_depth_three_by_hand():
    result = hierarchy_weights(DEPTH3)
    assert result.index.name == "criterion"
    assert result.index.tolist() == DEPTH3["criterion"].tolist()
    assert result.columns.tolist() == [
        "parent",
        "level",
        "local_weight",
        "global_weight",
        "is_leaf",
    ]
    # by hand: value 4/5, risk 1/5; finance 3/4, strategy 1/4 of value; npv 2/3, payback 1/3
    # of finance; fit, innovation 1/2 of strategy; delivery all of risk
    expected_local = [4 / 5, 1 / 5, 3 / 4, 1 / 4, 2 / 3, 1 / 3, 1 / 2, 1 / 2, 1.0]
    expected_global = [
        4 / 5,
        1 / 5,
        4 / 5 * 3 / 4,
        4 / 5 * 1 / 4,
        4 / 5 * 3 / 4 * 2 / 3,
        4 / 5 * 3 / 4 * 1 / 3,
        4 / 5 * 1 / 4 * 1 / 2,
        4 / 5 * 1 / 4 * 1 / 2,
        1 / 5,
    ]
    np.testing.assert_allclose(result["local_weight"], expected_local, rtol=1e-12)
    np.testing.assert_allclose(result["global_weight"], expected_global, rtol=1e-12)
    assert result["level"].tolist() == [1, 1, 2, 2, 3, 3, 3, 3, 2]
    assert result["is_leaf"].tolist() == [False] * 4 + [True] * 5
    assert result["parent"].tolist() == [None, None] + DEPTH3["parent"].tolist()[2:]
    assert result.loc[result["is_leaf"], "global_weight"].sum() == pytest.approx(1.0)


def test_hierarchy_children_sum_to_parent_global_weight():
    result = hierarchy_weights(DEPTH3)
    for parent, group in result.groupby(result["parent"].astype(str)):
        if parent == "None":
            assert group["global_weight"].sum() == pytest.approx(1.0)
        else:
            assert group["global_weight"].sum() == pytest.approx(
                result.loc[parent, "global_weight"]
            )
        assert group["local_weight"].sum() == pytest.approx(1.0)


def test_hierarchy_without_parent_column_is_flat():
    result = hierarchy_weights(frame(["a", "b", "c"], [1, 2, 5]))
    np.testing.assert_allclose(result["global_weight"], [1 / 8, 2 / 8, 5 / 8])
    np.testing.assert_allclose(result["local_weight"], result["global_weight"])
    assert result["level"].tolist() == [1, 1, 1]
    assert result["is_leaf"].all()
    assert result["parent"].isna().all()


def test_hierarchy_blank_parent_spellings_mean_top_level():
    table = frame(["a", "b", "c", "d"], [1, 1, 1, 1], [None, np.nan, "", "  "])
    assert hierarchy_weights(table)["level"].tolist() == [1, 1, 1, 1]


def test_hierarchy_accepts_criterion_index_and_ignores_other_columns():
    table = DEPTH3.assign(direction="max", unit="EUR").set_index("criterion")
    pd.testing.assert_frame_equal(hierarchy_weights(table), hierarchy_weights(DEPTH3))


def test_hierarchy_does_not_modify_input():
    table = DEPTH3.copy()
    hierarchy_weights(table)
    pd.testing.assert_frame_equal(table, DEPTH3)


def test_hierarchy_zero_weight_branch_gives_zero_leaves():
    table = frame(["a", "b", "a1", "a2"], [0, 1, 1, 3], [None, None, "a", "a"])
    result = hierarchy_weights(table)
    assert result.loc[["a", "a1", "a2"], "global_weight"].tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_allclose(result.loc[["a1", "a2"], "local_weight"], [0.25, 0.75])


def test_hierarchy_shares_and_percent_accepted_when_they_add_up():
    table = frame(["a", "b", "a1", "a2"], [0.6, 0.4, 0.3, 0.7], [None, None, "a", "a"])
    result = hierarchy_weights(table, weight_scale="shares")
    np.testing.assert_allclose(result["global_weight"], [0.6, 0.4, 0.18, 0.42])
    percent = table.assign(weight=table["weight"] * 100)
    result = hierarchy_weights(percent, weight_scale=WeightScale.PERCENT)
    np.testing.assert_allclose(result["global_weight"], [0.6, 0.4, 0.18, 0.42])
    # sample-data style shares that add up to 1 only up to rounding
    flat = frame(["a", "b", "c", "d", "e"], [0.3, 0.25, 0.15, 0.15, 0.15])
    hierarchy_weights(flat, weight_scale="shares")


def test_hierarchy_shares_not_summing_to_one_is_an_error():
    table = frame(["a", "b", "a1", "a2"], [0.6, 0.4, 30, 70], [None, None, "a", "a"])
    # as points the same table is fine
    np.testing.assert_allclose(hierarchy_weights(table)["local_weight"], [0.6, 0.4, 0.3, 0.7])
    with pytest.raises(
        InputError,
        match=r"under 'a' sum to 100, not 1 \('a1': 30, 'a2': 70\); with "
        r"weight_scale='shares' the weights of each group of siblings must sum to 1",
    ):
        hierarchy_weights(table, weight_scale="shares")
    with pytest.raises(InputError, match=r"at the top level sum to 0\.9, not 1"):
        hierarchy_weights(frame(["a", "b"], [0.5, 0.4]), weight_scale="shares")
    with pytest.raises(InputError, match=r"at the top level sum to 1, not 100 .*'percent'"):
        hierarchy_weights(frame(["a", "b"], [0.5, 0.5]), weight_scale="percent")


def test_hierarchy_unknown_weight_scale():
    with pytest.raises(
        InputError, match=r"weight_scale: unknown value 'share'; valid values are 'points', "
    ):
        hierarchy_weights(frame(["a"], [1]), weight_scale="share")


@pytest.mark.parametrize(
    ("parents", "cycle"),
    [
        (["a", None], r"'a' -> 'a'"),
        (["b", "a"], r"'a' -> 'b' -> 'a'"),
        (["c", "a", "b"], r"'a' -> 'c' -> 'b' -> 'a'"),
    ],
)
def test_hierarchy_cycle_is_an_error(parents, cycle):
    names = ["a", "b", "c"][: len(parents)]
    table = frame(names, [1] * len(names), parents)
    with pytest.raises(InputError, match=rf"column 'parent' forms a cycle \({cycle}\)"):
        hierarchy_weights(table)


def test_hierarchy_cycle_below_a_valid_top_is_found():
    table = frame(["top", "x", "y", "z"], [1, 1, 1, 1], [None, "y", "z", "x"])
    with pytest.raises(InputError, match=r"cycle \('x' -> 'y' -> 'z' -> 'x'\)") as info:
        hierarchy_weights(table)
    assert len(info.value.problems) == 1  # reported once, not once per member


def test_hierarchy_unknown_parent_is_an_error():
    table = frame(["a", "b", "c"], [1, 1, 1], [None, "a", "finanse"])
    with pytest.raises(
        InputError, match=r"names criteria that are not in the table \('c' -> 'finanse'\)"
    ):
        hierarchy_weights(table)


def test_hierarchy_duplicate_criterion_is_an_error():
    with pytest.raises(InputError, match=r"criterion 'a' appears 2 times"):
        hierarchy_weights(frame(["a", "b", "a"], [1, 1, 1]))


@pytest.mark.parametrize("bad", [-1, np.nan, np.inf, "heavy"])
def test_hierarchy_invalid_weight_is_an_error(bad):
    with pytest.raises(InputError, match=r"column 'weight' has invalid values \('b': "):
        hierarchy_weights(frame(["a", "b"], [1, bad]))


def test_hierarchy_all_zero_siblings_is_an_error():
    table = frame(["a", "b", "b1", "b2"], [1, 1, 0, 0], [None, None, "b", "b"])
    with pytest.raises(InputError, match=r"criteria under 'b' are all zero \('b1': 0, 'b2': 0\)"):
        hierarchy_weights(table)
    with pytest.raises(InputError, match=r"criteria at the top level are all zero"):
        hierarchy_weights(frame(["a"], [0]))


def test_hierarchy_blank_criterion_is_an_error():
    with pytest.raises(InputError, match=r"column 'criterion' is blank in row\(s\) 1"):
        hierarchy_weights(frame(["a", ""], [1, 1]))


def test_hierarchy_missing_column_empty_table_and_wrong_type_are_errors():
    with pytest.raises(InputError, match=r"missing column\(s\) 'weight'"):
        hierarchy_weights(pd.DataFrame({"criterion": ["a"]}))
    with pytest.raises(InputError, match=r"no criteria given \(it is empty\)"):
        hierarchy_weights(frame([], []))
    with pytest.raises(InputError, match=r"expected a DataFrame .* got dict"):
        hierarchy_weights({"a": 1})  # type: ignore[arg-type]


def test_hierarchy_lists_every_problem_at_once():
    table = frame(["a", "a", "b"], [1, -2, 1], [None, None, "zz"])
    with pytest.raises(InputError) as info:
        hierarchy_weights(table)
    assert len(info.value.problems) == 3


@st.composite
def hierarchies(draw):
    """Random trees: each criterion's parent is an earlier criterion or the top."""
    n = draw(st.integers(1, 12))
    parents = [None]
    for i in range(1, n):
        parents.append(draw(st.one_of(st.none(), st.sampled_from([f"c{j}" for j in range(i)]))))
    weights = draw(st.lists(st.integers(1, 100), min_size=n, max_size=n))
    return frame([f"c{i}" for i in range(n)], weights, parents)


@given(hierarchies(), st.randoms(use_true_random=False))
@SETTINGS
def test_hierarchy_properties(table, rnd):
    result = hierarchy_weights(table)
    leaves = result[result["is_leaf"]]
    assert leaves["global_weight"].sum() == pytest.approx(1.0)
    assert (result["global_weight"] > 0).all()
    # global weight = product of local weights along the path (independent walk)
    parent_of = {
        name: None if pd.isna(parent) else parent
        for name, parent in zip(table["criterion"], table["parent"])
    }
    for name in table["criterion"]:
        product, node = 1.0, name
        while node is not None:
            product *= result.loc[node, "local_weight"]
            node = parent_of[node]
        assert result.loc[name, "global_weight"] == pytest.approx(product)
    # the order in which the rows are listed does not matter
    order = list(range(len(table)))
    rnd.shuffle(order)
    shuffled = hierarchy_weights(table.iloc[order])
    pd.testing.assert_frame_equal(shuffled.loc[result.index], result)


# --------------------------------------------------------------------------------------------
# rank_order_centroid

# Barron & Barrett (1996), Management Science 42(11):1515-1523: ROC weights to 4 decimals.
PUBLISHED_ROC = {
    2: [0.7500, 0.2500],
    3: [0.6111, 0.2778, 0.1111],
    4: [0.5208, 0.2708, 0.1458, 0.0625],
    5: [0.4567, 0.2567, 0.1567, 0.0900, 0.0400],
}


@pytest.mark.parametrize("n", sorted(PUBLISHED_ROC))
def test_roc_reproduces_published_values(n):
    names = [f"c{i}" for i in range(n)]
    weights = rank_order_centroid(names)
    assert weights.index.tolist() == names
    assert weights.index.name == "criterion"
    assert weights.name == "weight"
    np.testing.assert_allclose(weights.round(4), PUBLISHED_ROC[n], atol=1e-12)


def simplex_centroid(n: int) -> np.ndarray:
    """Centroid of {w1 >= ... >= wn >= 0, sum 1}: the mean of its vertices (1/k, ..., 1/k, 0...)."""
    vertices = np.array([[1 / k if i < k else 0.0 for i in range(n)] for k in range(1, n + 1)])
    return vertices.mean(axis=0)


@pytest.mark.parametrize("n", [1, 2, 7, 20])
def test_roc_is_the_centroid_of_the_ranked_simplex(n):
    np.testing.assert_allclose(rank_order_centroid(list(range(n))), simplex_centroid(n))


def test_roc_ranks_in_any_listing_order():
    ranks = pd.Series({"risk": 4, "fit": 1, "urgency": 3, "return": 2})
    weights = rank_order_centroid(ranks)
    assert weights.index.tolist() == ["risk", "fit", "urgency", "return"]
    expected = dict(zip(["fit", "return", "urgency", "risk"], PUBLISHED_ROC[4]))
    np.testing.assert_allclose(weights.round(4), [expected[c] for c in weights.index])
    # only the order of the ranks matters
    pd.testing.assert_series_equal(rank_order_centroid(ranks * 10 - 3), weights)


def test_roc_ties_share_the_positions_they_occupy():
    w = simplex_centroid(4)
    weights = rank_order_centroid({"a": 1, "b": 2, "c": 2, "d": 4})
    np.testing.assert_allclose(weights, [w[0], (w[1] + w[2]) / 2, (w[1] + w[2]) / 2, w[3]])
    pd.testing.assert_series_equal(rank_order_centroid({"a": 1, "b": 2, "c": 2, "d": 3}), weights)
    # everything tied: equal weights
    np.testing.assert_allclose(rank_order_centroid({"a": 5, "b": 5, "c": 5}), [1 / 3] * 3)


@given(st.lists(st.integers(1, 6), min_size=1, max_size=15), st.randoms(use_true_random=False))
@SETTINGS
def test_roc_properties(ranks, rnd):
    names = [f"c{i}" for i in range(len(ranks))]
    weights = rank_order_centroid(dict(zip(names, ranks)))
    assert weights.sum() == pytest.approx(1.0)
    assert (weights > 0).all()
    # a criterion ranked before another never weighs less; ties weigh the same
    for i, j in zip(*np.nonzero(np.less.outer(ranks, ranks))):
        assert weights.iloc[i] > weights.iloc[j]
    for i, j in zip(*np.nonzero(np.equal.outer(ranks, ranks))):
        assert weights.iloc[i] == pytest.approx(weights.iloc[j])
    # invariant to the order in which the criteria are listed
    order = list(range(len(names)))
    rnd.shuffle(order)
    shuffled = rank_order_centroid({names[i]: ranks[i] for i in order})
    pd.testing.assert_series_equal(shuffled.loc[names], weights)
    # a strict ranking: strictly decreasing, as published
    strict = rank_order_centroid(names)
    assert (np.diff(strict.to_numpy()) < 0).all()


@pytest.mark.parametrize(
    ("ranking", "message"),
    [
        ([], r"ranking: no criteria given \(it is empty\)"),
        ({}, r"ranking: no criteria given \(it is empty\)"),
        (["a", "b", "a"], r"criterion 'a' appears 2 times \(to say two criteria tie, pass a dict"),
        ({"a": 1, "b": np.nan}, r"ranking: invalid ranks \('b': nan\); ranks must be finite"),
        ({"a": 1, "b": "first"}, r"invalid ranks \('b': 'first'\)"),
        (["a", ""], r"ranking: a criterion name is blank"),
        ("abc", r"ranking: expected a list of criteria .* got str"),
    ],
)
def test_roc_errors(ranking, message):
    with pytest.raises(InputError, match=message):
        rank_order_centroid(ranking)


# --------------------------------------------------------------------------------------------
# direct_points and swing_weights


def test_direct_points_normalise():
    points = pd.Series({"fit": 3.0, "return": 5.0, "risk": 2.0})
    weights = direct_points(points)
    pd.testing.assert_series_equal(
        weights,
        pd.Series(
            [0.3, 0.5, 0.2],
            index=pd.Index(["fit", "return", "risk"], name="criterion"),
            name="weight",
        ),
    )
    pd.testing.assert_series_equal(direct_points(points.to_dict()), weights)
    pd.testing.assert_series_equal(direct_points(points * 7.5), weights)
    pd.testing.assert_series_equal(direct_points(points * 10, total=100), weights)
    pd.testing.assert_series_equal(direct_points(points / 10, total=1), weights)
    # zero points are allowed as long as one is positive
    np.testing.assert_allclose(direct_points({"a": 0, "b": 4}), [0.0, 1.0])


def test_direct_points_does_not_modify_input():
    points = pd.Series({"a": 1.0, "b": 3.0})
    direct_points(points)
    pd.testing.assert_series_equal(points, pd.Series({"a": 1.0, "b": 3.0}))


@pytest.mark.parametrize(
    ("points", "total", "message"),
    [
        (
            {"a": 60, "b": 30},
            100,
            r"points: the points sum to 90, not the 100 that were shared "
            r"out \('a': 60, 'b': 30\)",
        ),
        ({"a": 0.5, "b": 0.6}, 1, r"the points sum to 1\.1, not the 1"),
        ({"a": 1}, 0, r"points: total must be a positive number; got 0"),
        ({"a": 0, "b": 0}, None, r"points: all points are zero"),
        ({"a": -1, "b": 2}, None, r"points: invalid points \('a': -1\); they must be finite"),
        ({"a": np.inf}, None, r"points: invalid points \('a': inf\)"),
        ({}, None, r"points: no criteria given"),
    ],
)
def test_direct_points_errors(points, total, message):
    with pytest.raises(InputError, match=message):
        direct_points(points, total=total)


def test_direct_points_wrong_type():
    with pytest.raises(InputError, match=r"points: expected a Series indexed by criterion"):
        direct_points([1, 2])  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"points: criterion 'a' appears 2 times"):
        direct_points(pd.Series([1, 2], index=["a", "a"]))


def test_swing_weights_by_hand():
    weights = swing_weights({"return": 100, "fit": 60, "risk": 40, "urgency": 0})
    np.testing.assert_allclose(weights, [100 / 200, 60 / 200, 40 / 200, 0.0])
    assert weights.index.tolist() == ["return", "fit", "risk", "urgency"]
    np.testing.assert_allclose(swing_weights({"a": 100, "b": 100}), [0.5, 0.5])


@pytest.mark.parametrize(
    ("swings", "message"),
    [
        ({"a": 80, "b": 20}, r"swings: no swing is rated 100 \(highest 80, 'a': 80\); rate"),
        ({"a": 100, "b": 120}, r"swings: ratings above 100 \('b': 120\)"),
        ({"a": 100, "b": -5}, r"swings: invalid ratings \('b': -5\)"),
        ({"a": 100, "b": "high"}, r"swings: invalid ratings \('b': 'high'\)"),
    ],
)
def test_swing_weights_errors(swings, message):
    with pytest.raises(InputError, match=message):
        swing_weights(swings)
