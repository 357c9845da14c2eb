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

from portfolio_opt.exceptions import InputError
from portfolio_opt.portfolio import Portfolio
from portfolio_opt.scoring import Direction, ranking, score

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
