"""Tests of portfolio_opt.criteria: value functions, options and the criteria-table checks.

The numbers of the value functions are checked by hand (straight lines between the points);
the scoring arithmetic itself is tested in tests/test_scoring.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portfolio_opt.criteria import Direction, MissingPolicy, Normalisation, ValueFunction
from portfolio_opt.exceptions import InputError
from portfolio_opt.portfolio import Portfolio
from portfolio_opt.scoring import _criteria_table, score


def make_portfolio(**columns) -> Portfolio:
    n = len(next(iter(columns.values())))
    projects = pd.DataFrame(
        {"project_id": [f"P{i}" for i in range(n)], "cost": 10.0, "duration": 1, **columns}
    )
    return Portfolio(projects)


# --------------------------------------------------------------------------------------------
# ValueFunction


@pytest.mark.parametrize(
    "spec",
    [
        "0: 1.0, 5000000: 0.2",
        "0:1,5M:0.2",
        "0 -> 1.0; 5 M -> 0.2",
        "0 → 1.0, 5mn → 0.2",
        "0: 1, 5000k: 0.2,",
        "0: 1, 0.005bn: 0.2",
        "0: 1, 5e6: 0.2",
        {0: 1.0, 5e6: 0.2},
        [(0, 1.0), (5e6, 0.2)],
        ((0, 1), [5_000_000, 0.2]),
    ],
)
def test_value_function_spellings(spec):
    function = ValueFunction.parse(spec)
    assert function == ValueFunction((0.0, 5e6), (1.0, 0.2))
    assert ValueFunction.parse(function) is function


def test_value_function_interpolates_and_clamps():
    cost = ValueFunction.parse("0: 1.0, 5M: 0.2")
    # on the line from (0, 1) to (5e6, 0.2): 1 - 0.8 * x / 5e6
    x = np.array([-1e6, 0.0, 1e6, 2.5e6, 5e6, 9e9, np.nan])
    expected = [1.0, 1.0, 1 - 0.8 * 0.2, 1 - 0.8 * 0.5, 0.2, 0.2, np.nan]
    np.testing.assert_allclose(cost(x), expected, rtol=0, atol=1e-15)


def test_value_function_need_not_be_monotone():
    peak = ValueFunction.parse("0: 0, 10: 1, 30: 0")  # e.g. team size: 10 is ideal
    np.testing.assert_allclose(peak([0, 5, 10, 20, 30, 40]), [0, 0.5, 1, 0.5, 0, 0])


def test_value_function_text_round_trip():
    function = ValueFunction.parse("0: 1, 2500.5: 0.75, 5M: 0.2")
    assert str(function) == "0: 1, 2500.5: 0.75, 5000000: 0.2"
    assert ValueFunction.parse(str(function)) == function


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("0: 1", r"needs at least two points"),
        ("", r"needs at least two points"),
        ("0: 1, 0: 0.5", r"x must be finite and strictly increasing; got 0, 0"),
        ("5: 1, 0: 0.5", r"strictly increasing; got 5, 0"),
        ("0: 1.5, 5: 0", r"values must lie in \[0, 1\]; got 1\.5, 0"),
        ("0: 1, 5: -0.1", r"values must lie in \[0, 1\]"),
        ("0: 1, 5000", r"point '5000' is not of the form 'x: value'"),
        ("0: 1, five: 0", r"cannot read 'five' as a number in point 'five: 0'"),
        ("0: 1, 5: 0.2k", r"cannot read '0\.2k' as a number"),
        ("0: 1, 5,000: 0.2", r"point '5' is not of the form"),
        ({0: 1, 5: "low"}, r"the points must be numbers"),
        ([(0, 1, 2), (5, 0)], r"each point must be a pair"),
        (3.5, r"expected text such as '0: 1\.0, 5000: 0\.2'; got 3\.5"),
    ],
)
def test_value_function_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        ValueFunction.parse(spec)


def test_value_function_error_in_the_criteria_table():
    portfolio = make_portfolio(capex=[1.0, 2.0])
    criteria = pd.DataFrame(
        {"criterion": ["capex"], "weight": [1], "value_function": ["0: 1, 0: 0.5"]}
    )
    with pytest.raises(
        InputError,
        match=r"criteria table: criterion 'capex' has an invalid value_function '0: 1, 0: 0\.5': "
        r"the scores x must be finite and strictly increasing; got 0, 0\. Write points",
    ):
        score(portfolio, criteria)


# --------------------------------------------------------------------------------------------
# options


@pytest.mark.parametrize(
    ("text", "option"),
    [
        ("Min-Max", Normalisation.MINMAX),
        ("min_max", Normalisation.MINMAX),
        (" ratio ", Normalisation.RATIO),
        ("RANK", Normalisation.RANK),
        ("value function", Normalisation.VALUE_FUNCTION),
        ("Worst", MissingPolicy.WORST),
        (MissingPolicy.MEAN, MissingPolicy.MEAN),
        ("minimize", Direction.MIN),
    ],
)
def test_option_spellings(text, option):
    assert type(option).parse(text) is option


def test_option_unknown_value():
    with pytest.raises(ValueError, match=r"unknown normalisation 'maxmin'"):
        Normalisation.parse("maxmin")
    with pytest.raises(ValueError, match=r"unknown direction 'minmax'"):
        Direction.parse("minmax")  # an alias of another option is not accepted
    assert MissingPolicy.valid() == "'error', 'worst', 'mean', 'zero'"


# --------------------------------------------------------------------------------------------
# the criteria table


FIT = [3.0, 5.0, 1.0]
RISK = [0.2, 0.6, 0.4]


def test_checked_table_keeps_the_given_optional_columns():
    portfolio = make_portfolio(fit=FIT, risk=RISK)
    projects = portfolio.projects
    flat = _criteria_table(portfolio, projects, {"fit": 2, "risk": 1})
    assert flat.columns.tolist() == ["criterion", "weight", "direction"]
    assert flat["direction"].tolist() == [Direction.MAX, Direction.MAX]
    full = pd.DataFrame(
        {
            "criterion": ["all", "fit", "risk"],
            "weight": ["1", 2, 1.5],
            "direction": [None, "max", "Minimise"],
            "parent": [np.nan, "all", "all"],
            "normalization": [None, "Ratio", ""],
            "value_function": [None, None, None],
            "unit": [None, " points ", None],
            "missing": [None, "WORST", None],
        }
    )
    table = _criteria_table(portfolio, projects, full)
    table = table.astype(object).where(table.notna(), None)  # blank cells as None
    assert table.to_dict("list") == {
        "criterion": ["all", "fit", "risk"],
        "weight": [1.0, 2.0, 1.5],
        "direction": [Direction.MAX, Direction.MAX, Direction.MIN],
        "parent": [None, "all", "all"],
        "normalisation": [None, "ratio", None],
        "value_function": [None, None, None],
        "unit": [None, " points ", None],
        "missing": [None, "worst", None],
    }


def test_portfolio_keeps_a_full_criteria_table_and_scores_with_it():
    projects = make_portfolio(fit=FIT, risk=RISK).projects.reset_index()
    criteria = pd.DataFrame(
        {
            "criterion": ["benefit", "fit", "risk"],
            "weight": [1, 1, 1],
            "parent": [None, "benefit", None],
            "direction": [None, "max", "min"],
            "normalisation": [None, "rank", None],
            "value_function": [None, None, "0: 1, 1: 0"],
            "unit": [None, "1-5", "probability"],
            "missing": [None, "mean", None],
        }
    )
    portfolio = Portfolio(projects, criteria=criteria)
    assert portfolio.criteria["criterion"].tolist() == ["benefit", "fit", "risk"]
    pd.testing.assert_series_equal(score(portfolio), score(portfolio, criteria))


def test_parent_criteria_need_not_be_columns_but_leaves_must():
    portfolio = make_portfolio(fit=FIT, risk=RISK)
    tree = pd.DataFrame(
        {
            "criterion": ["benefit", "fit", "nps"],
            "weight": [1, 1, 1],
            "parent": [None, "benefit", "benefit"],
        }
    )
    with pytest.raises(InputError, match=r"criterion 'nps' is not a column") as info:
        score(portfolio, tree)
    assert "'benefit'" not in str(info.value)


def test_parent_criterion_with_normalisation_is_an_error():
    portfolio = make_portfolio(fit=FIT, risk=RISK)
    tree = pd.DataFrame(
        {
            "criterion": ["benefit", "fit"],
            "weight": [1, 1],
            "parent": [None, "benefit"],
            "normalisation": ["ratio", None],
        }
    )
    with pytest.raises(
        InputError,
        match=r"criterion 'benefit' has sub-criteria, so it is scored through them; leave its "
        r"'normalisation' and 'value_function' empty",
    ):
        score(portfolio, tree)


def test_parent_criterion_direction_is_ignored():
    portfolio = make_portfolio(fit=FIT, risk=RISK)
    tree = pd.DataFrame(
        {"criterion": ["benefit", "fit"], "weight": [1, 1], "parent": [None, "benefit"]}
    )
    expected = score(portfolio, tree)
    pd.testing.assert_series_equal(score(portfolio, tree.assign(direction=["min", None])), expected)


@pytest.mark.parametrize(
    ("normalisation", "function", "message"),
    [
        (
            "value_function",
            None,
            r"criterion 'fit' has normalisation 'value_function' but no "
            r"value function; fill in its 'value_function' cell",
        ),
        (
            "ratio",
            "0: 0, 5: 1",
            r"criterion 'fit' has both normalisation 'ratio' and a "
            r"value_function; keep one of them",
        ),
        (
            "best",
            None,
            r"criterion 'fit' has unknown normalisation 'best'; valid ones are "
            r"'minmax', 'ratio', 'rank', 'value_function'",
        ),
    ],
)
def test_normalisation_cell_errors(normalisation, function, message):
    portfolio = make_portfolio(fit=FIT)
    criteria = pd.DataFrame(
        {
            "criterion": ["fit"],
            "weight": [1],
            "normalisation": [normalisation],
            "value_function": [function],
        }
    )
    with pytest.raises(InputError, match=message):
        score(portfolio, criteria)


def test_normalisation_value_function_with_function_is_fine():
    portfolio = make_portfolio(fit=FIT)
    criteria = pd.DataFrame(
        {
            "criterion": ["fit"],
            "weight": [1],
            "normalisation": ["value_function"],
            "value_function": ["1: 0, 5: 1"],
        }
    )
    np.testing.assert_allclose(score(portfolio, criteria), [0.5, 1.0, 0.0])


def test_unknown_missing_policy():
    portfolio = make_portfolio(fit=FIT)
    criteria = pd.DataFrame({"criterion": ["fit"], "weight": [1], "missing": ["skip"]})
    with pytest.raises(
        InputError,
        match=r"criterion 'fit' has unknown missing-score policy 'skip'; valid policies are "
        r"'error', 'worst', 'mean', 'zero'",
    ):
        score(portfolio, criteria)
    with pytest.raises(
        InputError, match=r"missing: unknown policy 'average'; valid policies are 'error', "
    ):
        score(portfolio, {"fit": 1}, missing="average")


def test_unknown_weight_scale_keyword():
    with pytest.raises(InputError, match=r"weight_scale: unknown value 'pct'; valid values"):
        score(make_portfolio(fit=FIT), {"fit": 1}, weight_scale="pct")


def test_hierarchy_errors_reach_the_analyst_through_score():
    portfolio = make_portfolio(fit=FIT, risk=RISK)
    tree = pd.DataFrame(
        {
            "criterion": ["a", "b", "fit", "risk"],
            "weight": [1, 1, 1, 1],
            "parent": ["b", "a", "a", "valu"],
        }
    )
    with pytest.raises(InputError, match=r"^2 problems") as info:
        score(portfolio, tree)
    message = str(info.value)
    assert "column 'parent' names criteria that are not in the table ('risk' -> 'valu')" in message
    assert "column 'parent' forms a cycle ('a' -> 'b' -> 'a')" in message


def test_criteria_columns_message_lists_the_optional_columns():
    with pytest.raises(
        InputError,
        match=r"unknown column\(s\) 'scale'; the columns are 'criterion', 'weight' and "
        r"optionally 'direction', 'parent', 'normalisation', 'value_function', 'unit', 'missing'",
    ):
        score(
            make_portfolio(fit=FIT),
            pd.DataFrame({"criterion": ["fit"], "weight": [1], "scale": ["1-5"]}),
        )
