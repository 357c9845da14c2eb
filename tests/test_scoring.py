"""Tests of portfolio_opt.scoring.

Numbers are checked against a reference written here with numpy (``reference_scores``), against
hand calculations, and against invariants (hypothesis).
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from portfolio_opt.datasets import load_sample
from portfolio_opt.exceptions import InputError
from portfolio_opt.portfolio import Portfolio
from portfolio_opt.scoring import (
    Direction,
    criteria_summary,
    leaf_weights,
    normalised,
    ranking,
    score,
)
from portfolio_opt.weighting import hierarchy_weights

SETTINGS = settings(max_examples=50, deadline=None)


# --------------------------------------------------------------------------------------------
# helpers


def make_projects(values: np.ndarray, names: list[str] | None = None, **columns) -> pd.DataFrame:
    """A projects table with one criterion column per column of ``values``."""
    values = np.asarray(values, dtype=float)
    n, k = values.shape
    names = names or [f"c{j}" for j in range(k)]
    table = pd.DataFrame(values, columns=names)
    table.insert(0, "project_id", [f"P{i:03d}" for i in range(n)])
    table.insert(1, "cost", np.linspace(10.0, 20.0, n))
    table.insert(2, "duration", 1)
    for column, data in columns.items():
        table[column] = data
    return table


def make_portfolio(values: np.ndarray, names: list[str] | None = None, **kwargs) -> Portfolio:
    criteria = kwargs.pop("criteria", None)
    return Portfolio(make_projects(values, names, **kwargs), criteria=criteria)


def reference_scores(values: np.ndarray, weights, directions) -> np.ndarray:
    """Independent computation: distance from the worst value over best minus worst."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    sign = np.where(np.asarray(directions) == "min", -1.0, 1.0)
    oriented = values * sign  # larger is better in every column
    best, worst = oriented.max(axis=0), oriented.min(axis=0)
    span = best - worst
    safe = np.where(span > 0, span, 1.0)
    normalised = np.where(span > 0, (oriented - worst) / safe, 1.0)
    return normalised @ weights / weights.sum()


def criteria_frame(names, weights, directions=None) -> pd.DataFrame:
    frame = pd.DataFrame({"criterion": list(names), "weight": list(weights)})
    if directions is not None:
        frame["direction"] = list(directions)
    return frame


VALUES = np.array(
    [
        [3.0, 0.2, 7.0],
        [5.0, 0.6, 7.0],
        [1.0, 0.4, 7.0],
        [4.0, 0.6, 7.0],
    ]
)
NAMES = ["strategic_fit", "risk", "urgency"]


# --------------------------------------------------------------------------------------------
# hypothesis strategies


@st.composite
def scored_portfolios(draw, elements=None, min_projects=1, max_projects=12):
    """A criterion matrix, weights (0 or >= 1e-3, not all zero) and directions.

    Tiny (subnormal) weights are left out: they underflow in the reference computation.
    """
    n = draw(st.integers(min_projects, max_projects))
    k = draw(st.integers(1, 4))
    if elements is None:
        elements = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    values = draw(hnp.arrays(float, (n, k), elements=elements))
    weights = draw(
        st.lists(st.just(0.0) | st.floats(1e-3, 100), min_size=k, max_size=k).filter(
            lambda w: sum(w) > 0
        )
    )
    directions = draw(st.lists(st.sampled_from(["max", "min"]), min_size=k, max_size=k))
    return values, weights, directions


INTEGER_SCORES = st.integers(-100, 100).map(float)


# --------------------------------------------------------------------------------------------
# numbers


def test_score_matches_hand_calculation():
    # strategic_fit 3, 5, 1, 4 (max) -> 0.5, 1, 0, 0.75
    # risk 0.2, 0.6, 0.4, 0.6 (min)  -> 1, 0, 0.5, 0
    # urgency constant               -> 1 for everyone
    portfolio = make_portfolio(VALUES, NAMES)
    criteria = criteria_frame(NAMES, [2, 1, 1], ["max", "min", "max"])
    result = score(portfolio, criteria)
    expected = [
        (2 * 0.5 + 1 * 1 + 1) / 4,
        (2 * 1 + 0 + 1) / 4,
        (0 + 0.5 + 1) / 4,
        (2 * 0.75 + 0 + 1) / 4,
    ]
    np.testing.assert_allclose(result.to_numpy(), expected, rtol=0, atol=1e-12)


def test_score_matches_numpy_reference():
    rng = np.random.default_rng(7)
    values = rng.normal(size=(30, 4)) * [1, 10, 100, 0.01]
    weights = [0.3, 2.0, 0.0, 1.1]
    directions = ["max", "min", "min", "max"]
    names = ["a", "b", "c", "d"]
    result = score(make_portfolio(values, names), criteria_frame(names, weights, directions))
    np.testing.assert_allclose(
        result.to_numpy(), reference_scores(values, weights, directions), rtol=1e-12, atol=1e-12
    )


@SETTINGS
@given(scored_portfolios())
def test_score_matches_numpy_reference_property(case):
    values, weights, directions = case
    names = [f"c{j}" for j in range(values.shape[1])]
    result = score(make_portfolio(values), criteria_frame(names, weights, directions))
    np.testing.assert_allclose(
        result.to_numpy(), reference_scores(values, weights, directions), rtol=1e-9, atol=1e-9
    )


def test_score_series_shape():
    portfolio = make_portfolio(VALUES[[2, 0, 3, 1]], NAMES)
    result = score(portfolio, {"strategic_fit": 1.0})
    assert isinstance(result, pd.Series)
    assert result.name == "score"
    assert result.dtype == np.float64
    pd.testing.assert_index_equal(result.index, portfolio.projects.index)


def test_constant_criterion_gives_one_to_every_project():
    portfolio = make_portfolio(VALUES, NAMES)
    for direction in ("max", "min"):
        result = score(portfolio, criteria_frame(["urgency"], [5.0], [direction]))
        assert (result == 1.0).all()
    # a single project: every criterion is constant
    single = make_portfolio(VALUES[:1], NAMES)
    assert score(single, criteria_frame(NAMES, [1, 1, 1], ["max", "min", "max"])).tolist() == [1.0]


def test_best_gets_one_worst_gets_zero_per_direction():
    portfolio = make_portfolio(VALUES, NAMES)
    high = score(portfolio, criteria_frame(["strategic_fit"], [1.0], ["max"]))
    low = score(portfolio, criteria_frame(["strategic_fit"], [1.0], ["min"]))
    assert high.idxmax() == low.idxmin() == "P001"
    assert high.idxmin() == low.idxmax() == "P002"
    assert (high.max(), high.min(), low.max(), low.min()) == (1.0, 0.0, 1.0, 0.0)


def test_criteria_forms_agree_and_portfolio_criteria_is_the_default():
    weights = {"strategic_fit": 2.0, "risk": 1.0}
    frame = criteria_frame(weights, weights.values())
    expected = score(make_portfolio(VALUES, NAMES), frame)
    np.testing.assert_allclose(
        expected.to_numpy(), reference_scores(VALUES[:, :2], [2, 1], ["max", "max"])
    )
    portfolio = make_portfolio(VALUES, NAMES)
    pd.testing.assert_series_equal(score(portfolio, weights), expected)
    pd.testing.assert_series_equal(score(portfolio, pd.Series(weights)), expected)
    pd.testing.assert_series_equal(score(portfolio, frame.set_index("criterion")), expected)
    for stored in (frame, weights, pd.Series(weights)):
        with_criteria = make_portfolio(VALUES, NAMES, criteria=stored)
        pd.testing.assert_series_equal(score(with_criteria), expected)


def test_criteria_argument_overrides_portfolio_criteria():
    portfolio = make_portfolio(VALUES, NAMES, criteria={"risk": 1.0})
    np.testing.assert_allclose(
        score(portfolio, {"strategic_fit": 1.0}).to_numpy(),
        reference_scores(VALUES[:, :1], [1], ["max"]),
    )


@pytest.mark.parametrize(
    ("spelling", "direction"),
    [
        ("max", "max"),
        ("MAX", "max"),
        ("maximise", "max"),
        ("Maximize", "max"),
        (" min ", "min"),
        ("minimise", "min"),
        ("minimize", "min"),
        (Direction.MIN, "min"),
        (None, "max"),
        (np.nan, "max"),
        ("", "max"),
    ],
)
def test_direction_spellings(spelling, direction):
    portfolio = make_portfolio(VALUES, NAMES)
    frame = pd.DataFrame(
        {"criterion": ["strategic_fit"], "weight": [1.0], "direction": [spelling]}, dtype=object
    )
    np.testing.assert_allclose(
        score(portfolio, frame).to_numpy(),
        reference_scores(VALUES[:, :1], [1.0], [direction]),
    )


def test_direction_enum():
    assert Direction.parse("maximise") is Direction.MAX
    assert Direction("min") is Direction.MIN
    with pytest.raises(ValueError, match="unknown direction 'up'"):
        Direction.parse("up")


def test_boolean_and_integer_criteria_count_as_numbers():
    projects = make_projects(VALUES, NAMES)
    projects["regulatory"] = [True, False, False, True]
    projects["votes"] = np.array([3, 1, 2, 3], dtype="int64")
    result = score(Portfolio(projects), {"regulatory": 1.0, "votes": 1.0})
    np.testing.assert_allclose(result.to_numpy(), [1.0, 0.0, 0.25, 1.0])


def test_huge_weights_do_not_overflow():
    result = score(make_portfolio(VALUES, NAMES), {"strategic_fit": 1.7e308, "risk": 1.7e308})
    np.testing.assert_allclose(
        result.to_numpy(), reference_scores(VALUES[:, :2], [1, 1], ["max", "max"])
    )


def test_huge_span_does_not_overflow():
    values = np.array([[-1.7e308], [0.0], [1.7e308]])
    result = score(make_portfolio(values), {"c0": 1.0})
    np.testing.assert_allclose(result.to_numpy(), [0.0, 0.5, 1.0])


# --------------------------------------------------------------------------------------------
# ranking


def test_ranking_table():
    projects = make_projects(
        VALUES, NAMES, name=["Alpha", "Beta", "Gamma", "Delta"], category=["A", "B", "A", "B"]
    )
    projects["cost"] = [100.0, 250.0, 80.0, 0.0]
    portfolio = Portfolio(projects)
    criteria = criteria_frame(NAMES, [2, 1, 1], ["max", "min", "max"])
    table = ranking(portfolio, criteria)

    contribution_columns = [f"contribution:{name}" for name in NAMES]
    assert table.columns.tolist() == [
        "name",
        "rank",
        "score",
        *contribution_columns,
        "cost",
        "score_per_cost",
        "category",
    ]
    assert table.index.name == "project_id"
    # scores (see the hand calculation): P000 .75, P001 .75, P002 .375, P003 .625
    assert table.index.tolist() == ["P000", "P001", "P003", "P002"]
    assert table["rank"].tolist() == [1, 1, 3, 4]
    assert table["rank"].dtype == np.int64
    pd.testing.assert_series_equal(
        table["score"], score(portfolio, criteria).loc[table.index], check_exact=True
    )
    np.testing.assert_allclose(
        table[contribution_columns].sum(axis=1).to_numpy(), table["score"].to_numpy()
    )
    # contribution = normalised weight x normalised criterion
    np.testing.assert_allclose(table.loc["P002", contribution_columns], [0.0, 0.125, 0.25])
    assert table.loc["P000", "score_per_cost"] == pytest.approx(0.75 / 100)
    assert table.loc["P001", "score_per_cost"] == pytest.approx(0.75 / 250)
    assert table.loc["P003", "score_per_cost"] == np.inf  # free project
    assert table.loc["P002", "score_per_cost"] == pytest.approx(0.375 / 80)
    assert table.loc["P002", ["name", "category", "cost"]].tolist() == ["Gamma", "A", 80.0]


def test_ranking_free_project_scoring_zero_has_nan_score_per_cost():
    projects = make_projects(VALUES, NAMES)
    projects["cost"] = [10.0, 10.0, 0.0, 10.0]
    table = ranking(Portfolio(projects), {"strategic_fit": 1.0})
    assert table.loc["P002", "score"] == 0.0
    assert np.isnan(table.loc["P002", "score_per_cost"])


def test_ranking_without_name_or_category():
    table = ranking(make_portfolio(VALUES, NAMES), {"risk": 1.0})
    assert table.columns.tolist() == [
        "rank",
        "score",
        "contribution:risk",
        "cost",
        "score_per_cost",
    ]


@SETTINGS
@given(scored_portfolios(elements=st.integers(0, 3).map(float)))
def test_ranking_properties(case):
    values, weights, directions = case
    names = [f"c{j}" for j in range(values.shape[1])]
    portfolio = make_portfolio(values)
    table = ranking(portfolio, criteria_frame(names, weights, directions))
    scores = table["score"].to_numpy()
    ids = table.index.to_numpy(dtype=str)
    # sorted best first, equal scores by project_id
    assert all(
        (scores[i] > scores[i + 1]) or (scores[i] == scores[i + 1] and ids[i] < ids[i + 1])
        for i in range(len(scores) - 1)
    )
    # rank = 1 + number of projects with a strictly higher score
    expected_rank = [1 + int((scores > s).sum()) for s in scores]
    assert table["rank"].tolist() == expected_rank
    contributions = table[[f"contribution:{n}" for n in names]].to_numpy()
    np.testing.assert_allclose(contributions.sum(axis=1), scores, rtol=0, atol=1e-12)
    assert sorted(table.index) == sorted(portfolio.projects.index)


def test_ranking_tie_order_does_not_depend_on_input_order():
    projects = make_projects(VALUES, NAMES)
    forward = ranking(Portfolio(projects), {"urgency": 1.0})
    backward = ranking(Portfolio(projects.iloc[::-1]), {"urgency": 1.0})
    assert forward.index.tolist() == backward.index.tolist() == ["P000", "P001", "P002", "P003"]
    assert forward["rank"].tolist() == [1, 1, 1, 1]


# --------------------------------------------------------------------------------------------
# invariants (hypothesis)


@SETTINGS
@given(scored_portfolios())
def test_scores_lie_in_unit_interval(case):
    values, weights, directions = case
    names = [f"c{j}" for j in range(values.shape[1])]
    result = score(make_portfolio(values), criteria_frame(names, weights, directions))
    assert ((result >= 0.0) & (result <= 1.0)).all()


@SETTINGS
@given(scored_portfolios(), st.floats(1e-3, 1e3))
def test_scaling_all_weights_changes_nothing(case, factor):
    values, weights, directions = case
    names = [f"c{j}" for j in range(values.shape[1])]
    portfolio = make_portfolio(values)
    base = score(portfolio, criteria_frame(names, weights, directions))
    scaled = score(portfolio, criteria_frame(names, np.multiply(weights, factor), directions))
    np.testing.assert_allclose(scaled.to_numpy(), base.to_numpy(), rtol=1e-9, atol=1e-12)


@SETTINGS
@given(
    scored_portfolios(elements=INTEGER_SCORES),
    st.data(),
    st.floats(0.01, 100),
    st.floats(-1e3, 1e3),
)
def test_positive_affine_transform_of_a_criterion_changes_nothing(case, data, a, b):
    values, weights, directions = case
    names = [f"c{j}" for j in range(values.shape[1])]
    j = data.draw(st.integers(0, values.shape[1] - 1))
    moved = values.copy()
    moved[:, j] = a * moved[:, j] + b
    criteria = criteria_frame(names, weights, directions)
    base = score(make_portfolio(values), criteria)
    result = score(make_portfolio(moved), criteria)
    np.testing.assert_allclose(result.to_numpy(), base.to_numpy(), rtol=1e-9, atol=1e-9)


@SETTINGS
@given(scored_portfolios(), st.data())
def test_flipping_direction_equals_negating_the_column(case, data):
    values, weights, directions = case
    names = [f"c{j}" for j in range(values.shape[1])]
    j = data.draw(st.integers(0, values.shape[1] - 1))
    flipped = list(directions)
    flipped[j] = "min" if directions[j] == "max" else "max"
    negated = values.copy()
    negated[:, j] = -negated[:, j]
    left = score(make_portfolio(values), criteria_frame(names, weights, flipped))
    right = score(make_portfolio(negated), criteria_frame(names, weights, directions))
    pd.testing.assert_series_equal(left, right, check_exact=True)


@SETTINGS
@given(scored_portfolios(min_projects=2), st.data())
def test_a_dominating_project_never_scores_lower(case, data):
    values, weights, directions = case
    n, k = values.shape
    names = [f"c{j}" for j in range(k)]
    worse = data.draw(st.integers(0, n - 1))
    better = data.draw(st.integers(0, n - 1).filter(lambda i: i != worse))
    # make `better` at least as good as `worse` on every criterion, given the direction
    sign = np.where(np.array(directions) == "min", -1.0, 1.0)
    gains = data.draw(hnp.arrays(float, k, elements=st.floats(0, 1e6)))
    values = values.copy()
    values[better] = values[worse] + sign * gains
    result = score(make_portfolio(values), criteria_frame(names, weights, directions))
    assert result.iloc[better] >= result.iloc[worse]


@SETTINGS
@given(scored_portfolios(), st.randoms(use_true_random=False))
def test_permuting_projects_only_permutes_scores(case, random):
    values, weights, directions = case
    names = [f"c{j}" for j in range(values.shape[1])]
    criteria = criteria_frame(names, weights, directions)
    projects = make_projects(values)
    order = list(range(len(projects)))
    random.shuffle(order)
    base = score(Portfolio(projects), criteria)
    permuted = score(Portfolio(projects.iloc[order]), criteria)
    assert permuted.index.tolist() == projects["project_id"].iloc[order].tolist()
    pd.testing.assert_series_equal(permuted, base.loc[permuted.index], check_exact=True)


# --------------------------------------------------------------------------------------------
# inputs are never modified


def test_inputs_are_not_modified():
    projects = make_projects(VALUES, NAMES, name=list("abcd"))
    frame = criteria_frame(NAMES, [2, 1, 1], ["Maximise", "min", None])
    series = pd.Series({"strategic_fit": 2.0, "risk": 1.0})
    mapping = {"strategic_fit": 2.0, "risk": 1.0}
    portfolio = Portfolio(projects, criteria=frame)
    saved = (
        projects.copy(deep=True),
        frame.copy(deep=True),
        series.copy(deep=True),
        copy.deepcopy(mapping),
        portfolio.projects,
        portfolio.criteria,
    )
    for criteria in (frame, series, mapping, None):
        score(portfolio, criteria)
        ranking(portfolio, criteria)
    pd.testing.assert_frame_equal(projects, saved[0])
    pd.testing.assert_frame_equal(frame, saved[1])
    pd.testing.assert_series_equal(series, saved[2])
    assert mapping == saved[3]
    pd.testing.assert_frame_equal(portfolio.projects, saved[4])
    pd.testing.assert_frame_equal(portfolio.criteria, saved[5])


# --------------------------------------------------------------------------------------------
# errors


@pytest.fixture
def portfolio() -> Portfolio:
    projects = make_projects(VALUES, NAMES, owner=["Ann", "Bob", "Ann", "Cy"])
    projects.loc[[1, 3], "urgency"] = np.nan
    projects["reach"] = [1.0, np.inf, 2.0, 3.0]
    return Portfolio(projects)


def test_error_no_criteria_anywhere(portfolio):
    with pytest.raises(
        InputError,
        match=r"no criteria: none were passed and the portfolio has no criteria table; pass "
        r"criteria=.*or build the Portfolio with criteria=\.\.\.",
    ):
        score(portfolio)
    with pytest.raises(InputError, match=r"portfolio has no criteria table"):
        ranking(portfolio)


def test_error_criterion_not_a_column(portfolio):
    with pytest.raises(
        InputError,
        match=r"criterion 'strategc_fit' is not a column of the projects table; numeric "
        r"columns available: cost, duration, .*strategic_fit, risk, urgency",
    ) as info:
        score(portfolio, {"strategc_fit": 1.0})
    assert "owner" not in str(info.value)


def test_error_non_numeric_criterion(portfolio):
    with pytest.raises(
        InputError,
        match=r"projects table: criterion column 'owner' is not numeric .*'Ann', 'Bob'.*"
        r"pd\.to_numeric",
    ):
        score(portfolio, {"owner": 1.0})


def test_error_missing_scores_names_projects_and_criterion(portfolio):
    with pytest.raises(
        InputError,
        match=r"criterion column 'urgency' has missing \(NaN\) scores for P001, P003 "
        r"\(2 projects\); fill them in or remove those projects",
    ):
        score(portfolio, {"urgency": 1.0})


def test_error_infinite_scores(portfolio):
    with pytest.raises(
        InputError, match=r"criterion column 'reach' has infinite scores for P001 \(1 project\)"
    ):
        score(portfolio, {"reach": 1.0})


@pytest.mark.parametrize(
    ("weight", "shown"),
    [(-1.5, "-1.5"), (np.float64(-2), "-2"), (np.nan, "nan"), (np.inf, "inf"), ("high", "'high'")],
)
def test_error_invalid_weight(portfolio, weight, shown):
    criteria = pd.DataFrame({"criterion": ["strategic_fit", "risk"], "weight": [1.0, weight]})
    with pytest.raises(
        InputError,
        match=rf"column 'weight' has invalid weights \('risk': {shown}\); weights must be "
        r"finite numbers >= 0",
    ):
        score(portfolio, criteria)


def test_error_all_weights_zero(portfolio):
    with pytest.raises(InputError, match=r"all weights are zero; give at least one criterion"):
        score(portfolio, {"strategic_fit": 0.0, "risk": 0})


def test_error_unknown_direction(portfolio):
    criteria = criteria_frame(["strategic_fit", "risk"], [1, 1], ["max", "lower"])
    with pytest.raises(
        InputError,
        match=r"criterion 'risk' has unknown direction 'lower'; valid directions are 'max' "
        r"or 'min'",
    ):
        score(portfolio, criteria)


def test_error_duplicate_criterion(portfolio):
    criteria = criteria_frame(["risk", "strategic_fit", "risk"], [1, 1, 2])
    with pytest.raises(
        InputError, match=r"criterion 'risk' appears 2 times; give each criterion one row"
    ):
        score(portfolio, criteria)
    with pytest.raises(InputError, match=r"criterion 'risk' appears 2 times"):
        score(portfolio, pd.Series([1.0, 2.0], index=["risk", "risk"]))


def test_error_unknown_and_missing_criteria_columns(portfolio):
    criteria = pd.DataFrame({"criterion": ["risk"], "wieght": [1.0], "note": ["x"]})
    with pytest.raises(InputError, match=r"2 problems") as info:
        score(portfolio, criteria)
    message = str(info.value)
    assert "criteria table: unknown column(s) 'wieght', 'note'; the columns are" in message
    assert "criteria table: missing column(s) 'weight'" in message


def test_error_empty_criteria(portfolio):
    with pytest.raises(InputError, match=r"no criteria given \(it is empty\)"):
        score(portfolio, {})
    with pytest.raises(InputError, match=r"no criteria given"):
        score(portfolio, criteria_frame([], []))


def test_error_wrong_criteria_type(portfolio):
    with pytest.raises(InputError, match=r"criteria must be a DataFrame .*; got list"):
        score(portfolio, ["risk"])


def test_all_problems_are_reported_at_once(portfolio):
    criteria = criteria_frame(
        ["nope", "owner", "urgency", "risk", "risk", "reach"],
        [1, 1, -2, 1, 1, 1],
        ["max", "max", "max", "sideways", "min", "max"],
    )
    with pytest.raises(InputError, match=r"^7 problems in the input") as info:
        ranking(portfolio, criteria)
    message = str(info.value)
    for fragment in (
        "criterion 'risk' appears 2 times",
        "invalid weights ('urgency': -2)",
        "criterion 'risk' has unknown direction 'sideways'",
        "criterion 'nope' is not a column",
        "criterion column 'owner' is not numeric",
        "'urgency' has missing (NaN) scores",
        "'reach' has infinite scores",
    ):
        assert fragment in message


def test_input_error_is_a_value_error(portfolio):
    with pytest.raises(ValueError):
        score(portfolio, {"nope": 1.0})


# --------------------------------------------------------------------------------------------
# issue 3: normalisations, value functions, missing scores, hierarchies, weight scales


def table_with(names, weights, **columns) -> pd.DataFrame:
    frame = criteria_frame(names, weights)
    for column, values in columns.items():
        frame[column] = list(values)
    return frame


def test_ratio_normalisation_matches_numpy():
    values = np.array([[2.0, 4.0], [5.0, 1.0], [0.0, 2.5], [10.0, 8.0]])
    portfolio = make_portfolio(values, ["npv", "opex"])
    criteria = table_with(
        ["npv", "opex"], [1, 1], direction=["max", "min"], normalisation=["ratio", "ratio"]
    )
    expected = np.column_stack(
        [values[:, 0] / values[:, 0].max(), values[:, 1].min() / values[:, 1]]
    )
    result = normalised(portfolio, criteria)
    np.testing.assert_allclose(result.to_numpy(), expected, rtol=1e-15)
    assert result.columns.tolist() == ["npv", "opex"]
    assert result.columns.name == "criterion"
    np.testing.assert_allclose(score(portfolio, criteria), expected.mean(axis=1), rtol=1e-15)


def test_ratio_all_zero_is_a_constant_column():
    portfolio = make_portfolio(np.zeros((3, 1)), ["npv"])
    criteria = table_with(["npv"], [1], normalisation=["ratio"])
    assert normalised(portfolio, criteria)["npv"].tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("direction", "column", "message"),
    [
        (
            "max",
            [3.0, -1.0, 2.0, -0.5],
            r"uses normalisation 'ratio' with direction 'max', which "
            r"needs values >= 0 \(x / best\); it has negative values for P001, P003 \(2 projects\) "
            r"\(e\.g\. -1, -0\.5\)\. Use normalisation 'minmax' or a value_function",
        ),
        (
            "min",
            [3.0, 0.0, 2.0, 1.0],
            r"direction 'min', which needs values > 0 \(best / x\); it "
            r"has values <= 0 for P001 \(1 project\) \(e\.g\. 0\)",
        ),
    ],
)
def test_ratio_undefined_values_are_an_error(direction, column, message):
    portfolio = make_portfolio(np.array(column)[:, None], ["npv"])
    criteria = table_with(["npv"], [1], direction=[direction], normalisation=["ratio"])
    with pytest.raises(InputError, match=message):
        score(portfolio, criteria)


def test_rank_normalisation_matches_dense_ranks():
    values = np.array([[7.0], [3.0], [7.0], [1.0], [4.0]])
    portfolio = make_portfolio(values, ["votes"])
    dense = pd.Series(values[:, 0]).rank(method="dense").to_numpy()  # 1 = smallest
    top = dense.max() - 1
    for direction, expected in (("max", (dense - 1) / top), ("min", (dense.max() - dense) / top)):
        criteria = table_with(["votes"], [1], direction=[direction], normalisation=["rank"])
        np.testing.assert_allclose(normalised(portfolio, criteria)["votes"], expected)
    # by hand: 1 < 3 < 4 < 7 -> 0, 1/3, 2/3, 1 (for min the other way round)
    np.testing.assert_allclose(expected, [0, 2 / 3, 0, 1, 1 / 3])
    constant = make_portfolio(np.ones((3, 1)), ["votes"])
    criteria = table_with(["votes"], [1], normalisation=["rank"])
    assert normalised(constant, criteria)["votes"].tolist() == [1.0, 1.0, 1.0]


def test_rank_of_analyst_ranks_one_is_best():
    # a column holding ranks given by the analyst (1 = best): normalisation rank, direction min
    portfolio = make_portfolio(np.array([[2.0], [1.0], [4.0], [3.0]]), ["priority"])
    criteria = table_with(["priority"], [1], direction=["min"], normalisation=["rank"])
    np.testing.assert_allclose(normalised(portfolio, criteria)["priority"], [2 / 3, 1, 0, 1 / 3])


def test_value_function_scores_match_np_interp_and_ignore_direction():
    values = np.array([[0.0], [1e6], [2.5e6], [6e6], [-5.0]])
    portfolio = make_portfolio(values, ["capex"])
    expected = np.interp(values[:, 0], [0.0, 5e6], [1.0, 0.2])
    for direction in ("max", "min", None):
        criteria = table_with(
            ["capex"], [1], direction=[direction], value_function=["0: 1.0, 5M: 0.2"]
        )
        np.testing.assert_allclose(score(portfolio, criteria), expected, rtol=1e-15)


def test_value_function_and_minmax_together():
    portfolio = make_portfolio(VALUES, NAMES)
    criteria = table_with(
        ["strategic_fit", "risk"],
        [3, 1],
        direction=["max", "min"],
        value_function=[None, "0: 1; 0.5: 0.5; 1: 0"],
    )
    fit = (VALUES[:, 0] - 1) / 4
    risk = np.interp(VALUES[:, 1], [0, 0.5, 1], [1, 0.5, 0])
    np.testing.assert_allclose(score(portfolio, criteria), 0.75 * fit + 0.25 * risk)


# missing scores

MISSING = np.array([[3.0, 1.0], [np.nan, 2.0], [5.0, np.nan], [1.0, 4.0], [4.0, np.nan]])


def test_missing_policies_by_hand():
    portfolio = make_portfolio(MISSING, ["fit", "risk"])
    criteria = table_with(["fit", "risk"], [1, 1], direction=["max", "min"])
    # over the projects with a score: fit 3, 5, 1, 4 -> 0.5, 1, 0, 0.75 (mean 0.5625);
    # risk 1, 2, 4 (min) -> 1, 2/3, 0 (mean 5/9)
    fit = [0.5, np.nan, 1.0, 0.0, 0.75]
    risk = [1.0, 2 / 3, np.nan, 0.0, np.nan]
    for policy, fill_fit, fill_risk in (
        ("worst", 0.0, 0.0),
        ("mean", 0.5625, 5 / 9),
        ("zero", 0.0, 0.0),
    ):
        result = normalised(portfolio, criteria, missing=policy)
        np.testing.assert_allclose(result["fit"], np.nan_to_num(fit, nan=fill_fit))
        np.testing.assert_allclose(result["risk"], np.nan_to_num(risk, nan=fill_risk))
        np.testing.assert_allclose(
            score(portfolio, criteria, missing=policy), result.mean(axis=1), rtol=1e-15
        )
        table = ranking(portfolio, criteria, missing=policy)
        np.testing.assert_allclose(table["score"], result.mean(axis=1).loc[table.index])


def test_worst_and_zero_differ_when_the_worst_is_above_zero():
    values = np.array([[1000.0], [np.nan], [3000.0]])
    portfolio = make_portfolio(values, ["capex"])
    criteria = table_with(["capex"], [1], value_function=["0: 1, 5000: 0"])
    worst = normalised(portfolio, criteria, missing="worst")["capex"].tolist()
    zero = normalised(portfolio, criteria, missing="zero")["capex"].tolist()
    np.testing.assert_allclose(worst, [0.8, 0.4, 0.4])
    np.testing.assert_allclose(zero, [0.8, 0.0, 0.4])


def test_missing_policy_in_the_table_wins_over_the_keyword():
    portfolio = make_portfolio(MISSING, ["fit", "risk"])
    criteria = table_with(["fit", "risk"], [1, 1], direction=["max", "min"], missing=["mean", None])
    result = normalised(portfolio, criteria, missing="zero")
    assert result.loc["P001", "fit"] == pytest.approx(0.5625)  # from the table
    assert result.loc["P002", "risk"] == 0.0  # blank cell: the keyword
    with pytest.raises(InputError, match=r"'risk' has missing \(NaN\) scores for P002, P004"):
        score(portfolio, criteria)  # keyword "error" for the blank cell


def test_missing_scores_error_mentions_the_policies():
    portfolio = make_portfolio(MISSING, ["fit", "risk"])
    with pytest.raises(
        InputError,
        match=r"'fit' has missing \(NaN\) scores for P001 \(1 project\); fill them in or remove "
        r"those projects, or choose a policy for missing scores: missing='worst', 'mean' or "
        r"'zero'",
    ):
        normalised(portfolio, {"fit": 1})


def test_portfolio_with_missing_scores_needs_a_policy_in_its_criteria_table():
    projects = make_projects(MISSING, ["fit", "risk"])
    with pytest.raises(InputError, match=r"'fit' has missing \(NaN\) scores"):
        Portfolio(projects, criteria={"fit": 1, "risk": 1})
    criteria = table_with(["fit", "risk"], [1, 1], missing=["worst", "mean"])
    portfolio = Portfolio(projects, criteria=criteria)
    pd.testing.assert_series_equal(score(portfolio), score(portfolio, criteria))
    # leaf_weights does not need scores at all
    np.testing.assert_allclose(leaf_weights(portfolio, {"fit": 1, "risk": 3}), [0.25, 0.75])


def test_a_criterion_without_any_score_is_an_error_even_with_a_policy():
    values = np.array([[1.0, np.nan], [2.0, np.nan]])
    portfolio = make_portfolio(values, ["fit", "nps"])
    with pytest.raises(InputError, match=r"criterion column 'nps' has no scores at all"):
        score(portfolio, {"fit": 1, "nps": 1}, missing="zero")


# hierarchies

TREE = table_with(
    ["value", "strategic_fit", "risk", "timing", "urgency"],
    [3, 2, 1, 1, 1],
    parent=[None, "value", "value", None, "timing"],
    direction=[None, "max", "min", None, "max"],
)


def test_hierarchy_score_equals_flat_table_with_global_weights():
    portfolio = make_portfolio(VALUES, NAMES)
    # by hand: value 3/4, timing 1/4; fit 2/3 and risk 1/3 of value; urgency all of timing
    flat = criteria_frame(NAMES, [3 / 4 * 2 / 3, 3 / 4 * 1 / 3, 1 / 4], ["max", "min", "max"])
    np.testing.assert_allclose(score(portfolio, TREE), score(portfolio, flat), rtol=1e-15)
    weights = leaf_weights(portfolio, TREE)
    assert weights.index.tolist() == NAMES
    assert weights.name == "weight"
    np.testing.assert_allclose(weights, [0.5, 0.25, 0.25])
    np.testing.assert_allclose(weights, hierarchy_weights(TREE).loc[NAMES, "global_weight"], rtol=0)


def test_hierarchy_ranking_contributions_are_per_leaf():
    portfolio = make_portfolio(VALUES, NAMES)
    table = ranking(portfolio, TREE)
    columns = [f"contribution:{name}" for name in NAMES]
    assert [c for c in table.columns if c.startswith("contribution:")] == columns
    np.testing.assert_allclose(table[columns].sum(axis=1), table["score"], atol=1e-15)
    np.testing.assert_allclose(
        table[columns].to_numpy(),
        (normalised(portfolio, TREE) * leaf_weights(portfolio, TREE)).loc[table.index],
    )


def test_criteria_summary_and_units():
    portfolio = make_portfolio(VALUES, NAMES)
    criteria = TREE.assign(unit=[None, "1-5", "probability", None, "weeks"])
    summary = criteria_summary(portfolio, criteria, missing="mean")
    assert summary.index.tolist() == TREE["criterion"].tolist()
    assert summary.columns.tolist() == [
        "parent", "level", "local_weight", "global_weight", "is_leaf",
        "direction", "normalisation", "value_function", "unit", "missing", "n_missing",
    ]  # fmt: skip
    assert summary.loc["risk", ["direction", "normalisation", "unit", "missing"]].tolist() == [
        "min",
        "minmax",
        "probability",
        "mean",
    ]
    assert pd.isna(summary.loc["value", "direction"])
    assert pd.isna(summary.loc["value", "n_missing"])
    assert summary.loc["urgency", "n_missing"] == 0
    assert ranking(portfolio, criteria).attrs["units"] == {
        "strategic_fit": "1-5",
        "risk": "probability",
        "urgency": "weeks",
    }
    with_function = criteria.assign(value_function=[None, None, "0: 1, 1: 0", None, None])
    summary = criteria_summary(portfolio, with_function)
    row = summary.loc["risk", ["direction", "normalisation", "value_function"]]
    assert pd.isna(row["direction"])  # a value function says itself which end is good
    assert row[["normalisation", "value_function"]].tolist() == ["value_function", "0: 1, 1: 0"]


# weight scales


def test_weight_scale_shares_and_percent():
    portfolio = make_portfolio(VALUES, NAMES)
    shares = criteria_frame(NAMES, [0.5, 0.3, 0.2])
    percent = criteria_frame(NAMES, [50, 30, 20])
    expected = score(portfolio, shares)
    pd.testing.assert_series_equal(score(portfolio, shares, weight_scale="shares"), expected)
    pd.testing.assert_series_equal(score(portfolio, percent, weight_scale="percent"), expected)
    with pytest.raises(
        InputError,
        match=r"criteria table: the weights of the criteria at the top level sum to 100, not 1 "
        r"\('strategic_fit': 50, 'risk': 30, 'urgency': 20\); with weight_scale='shares'",
    ):
        ranking(portfolio, percent, weight_scale="shares")
    tree = TREE.assign(weight=[0.75, 0.6, 0.3, 0.25, 1.0])
    with pytest.raises(InputError, match=r"the weights of the criteria under 'value' sum to 0\.9"):
        leaf_weights(portfolio, tree, weight_scale="shares")
    # the sample data's weights are shares
    sample = load_sample()
    score(sample, weight_scale="shares")


# --------------------------------------------------------------------------------------------
# issue 3 invariants (hypothesis)


@st.composite
def criteria_tables(draw, k: int):
    """A criteria table over leaves c0..c{k-1}: random hierarchy, directions, methods.

    Parents g0, g1, ... are only kept when they have children. Methods are min-max, rank or
    a value function (ratio needs positive data and is tested separately).
    """
    m = draw(st.integers(0, 3))
    parent_of = {}
    for j in range(m):
        parent_of[f"g{j}"] = draw(st.sampled_from([None] + [f"g{i}" for i in range(j)]))
    for j in range(k):
        parent_of[f"c{j}"] = draw(st.sampled_from([None] + [f"g{i}" for i in range(m)]))
    while True:  # drop parents without children
        childless = [g for g in parent_of if g.startswith("g") and g not in parent_of.values()]
        if not childless:
            break
        for g in childless:
            del parent_of[g]
    names = list(parent_of)
    weights = draw(st.lists(st.integers(1, 20), min_size=len(names), max_size=len(names)))
    methods = draw(
        st.lists(
            st.sampled_from(["minmax", "rank", "vf"]), min_size=len(names), max_size=len(names)
        )
    )
    directions = draw(
        st.lists(st.sampled_from(["max", "min"]), min_size=len(names), max_size=len(names))
    )
    return pd.DataFrame(
        {
            "criterion": names,
            "weight": weights,
            "parent": [parent_of[n] for n in names],
            "direction": [d if n.startswith("c") else None for n, d in zip(names, directions)],
            "normalisation": [
                m if n.startswith("c") and m != "vf" else None for n, m in zip(names, methods)
            ],
            "value_function": [
                "-50: 0, 0: 0.3, 80: 1" if n.startswith("c") and m == "vf" else None
                for n, m in zip(names, methods)
            ],
        }
    )


def global_leaf_weights(table: pd.DataFrame) -> pd.Series:
    """Independent computation: product of weight / sum of sibling weights up to the top."""
    parent_of = {
        name: None if pd.isna(parent) else parent
        for name, parent in zip(table["criterion"], table["parent"])
    }
    weight_of = dict(zip(table["criterion"], table["weight"].astype(float)))
    siblings_sum: dict = {}
    for name, parent in parent_of.items():
        siblings_sum[parent] = siblings_sum.get(parent, 0.0) + weight_of[name]
    leaves = [n for n in parent_of if n not in set(parent_of.values())]
    result = {}
    for leaf in leaves:
        product, node = 1.0, leaf
        while node is not None:
            product *= weight_of[node] / siblings_sum[parent_of[node]]
            node = parent_of[node]
        result[leaf] = product
    return pd.Series(result)


@st.composite
def tree_cases(draw):
    n = draw(st.integers(1, 10))
    k = draw(st.integers(1, 4))
    values = draw(hnp.arrays(float, (n, k), elements=INTEGER_SCORES))
    return values, draw(criteria_tables(k))


@SETTINGS
@given(tree_cases())
def test_score_is_normalised_times_leaf_weights(case):
    values, table = case
    portfolio = make_portfolio(values)
    weights = leaf_weights(portfolio, table)
    np.testing.assert_allclose(weights.sum(), 1.0)
    expected = global_leaf_weights(table)
    np.testing.assert_allclose(weights, expected.loc[weights.index], rtol=1e-12)
    values_01 = normalised(portfolio, table)
    assert ((values_01 >= 0) & (values_01 <= 1)).all().all()
    np.testing.assert_allclose(
        score(portfolio, table).to_numpy(), (values_01 @ weights).to_numpy(), atol=1e-12
    )


@SETTINGS
@given(tree_cases(), st.randoms(use_true_random=False))
def test_scores_do_not_depend_on_the_order_criteria_are_listed(case, rnd):
    values, table = case
    portfolio = make_portfolio(values)
    order = list(range(len(table)))
    rnd.shuffle(order)
    base = score(portfolio, table)
    shuffled = score(portfolio, table.iloc[order])
    np.testing.assert_allclose(shuffled.to_numpy(), base.to_numpy(), rtol=1e-12, atol=1e-12)
    pd.testing.assert_series_equal(
        leaf_weights(portfolio, table.iloc[order]).loc[leaf_weights(portfolio, table).index],
        leaf_weights(portfolio, table),
        rtol=1e-12,
    )


@SETTINGS
@given(scored_portfolios())
def test_one_level_hierarchy_equals_the_flat_table(case):
    values, weights, directions = case
    names = [f"c{j}" for j in range(values.shape[1])]
    portfolio = make_portfolio(values)
    flat = criteria_frame(names, weights, directions)
    base = score(portfolio, flat)
    # an empty parent column is the flat table
    pd.testing.assert_series_equal(
        score(portfolio, flat.assign(parent=None)), base, check_exact=True
    )
    # each criterion alone under a parent of its weight: local weight 1, same global weight
    parents = pd.DataFrame(
        {"criterion": [f"g{j}" for j in range(len(names))], "weight": weights, "parent": None}
    )
    children = flat.assign(weight=1.0, parent=parents["criterion"].tolist())
    tree = pd.concat([parents, children], ignore_index=True)
    np.testing.assert_allclose(score(portfolio, tree), base, rtol=1e-12, atol=1e-12)


POSITIVE_SCORES = st.integers(1, 1000).map(float)


@SETTINGS
@given(
    scored_portfolios(elements=POSITIVE_SCORES),
    st.data(),
    st.floats(1e-3, 1e3),
    st.sampled_from(["minmax", "ratio"]),
)
def test_scaling_a_criterion_leaves_minmax_and_ratio_rankings_unchanged(case, data, c, method):
    values, weights, directions = case
    names = [f"c{j}" for j in range(values.shape[1])]
    j = data.draw(st.integers(0, values.shape[1] - 1))
    scaled = values.copy()
    scaled[:, j] *= c
    criteria = criteria_frame(names, weights, directions).assign(normalisation=method)
    base = ranking(make_portfolio(values), criteria)
    moved = ranking(make_portfolio(scaled), criteria)
    np.testing.assert_allclose(
        moved["score"].to_numpy(), base["score"].loc[moved.index].to_numpy(), rtol=1e-9, atol=1e-12
    )
    # the same order, up to projects whose scores tie within rounding
    along = base["score"].loc[moved.index].to_numpy()
    assert (np.diff(along) <= 1e-9).all()
    tied = np.isclose(along[:, None], along[None, :], rtol=0, atol=1e-9)
    same_rank = moved["rank"].to_numpy()[:, None] == moved["rank"].to_numpy()[None, :]
    assert (same_rank <= tied).all()  # equal ranks only for (nearly) equal scores
