"""Score projects on weighted strategic criteria.

The first step after the :class:`~portfolio_opt.portfolio.Portfolio` is validated: each leaf
criterion column of the projects table is put on a common 0-1 scale (1 = best) and the
weighted sum of the normalised criteria is the project's score. :func:`score` gives the
scores, :func:`ranking` the table the steering group reads (rank, score, what each criterion
contributed, cost, score per unit of cost), :func:`normalised` and :func:`leaf_weights` the
two factors (``score == normalised @ leaf_weights``) and :func:`criteria_summary` the
criteria sheet.

Criteria are given as a table (see :mod:`portfolio_opt.criteria`: ``criterion, weight[,
direction, parent, normalisation, value_function, unit, missing]``), a Series of weights
indexed by criterion, or a dict ``{criterion: weight}``; by default the portfolio's own
criteria table is used. See ``docs/scoring.md`` for the rules in prose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portfolio_opt.criteria import (
    Criteria,
    Direction,
    MissingPolicy,
    Normalisation,
    ValueFunction,
    _check,
    _Checked,
    _Rule,
)
from portfolio_opt.weighting import WeightScale

if TYPE_CHECKING:
    from portfolio_opt.portfolio import Portfolio

__all__ = [
    "Criteria",
    "Direction",
    "MissingPolicy",
    "Normalisation",
    "ValueFunction",
    "criteria_summary",
    "leaf_weights",
    "normalised",
    "ranking",
    "score",
]

_CONTRIBUTION_PREFIX = "contribution:"


# --------------------------------------------------------------------------------------------
# public functions


def score(
    portfolio: Portfolio,
    criteria: Criteria = None,
    *,
    missing: MissingPolicy | str = MissingPolicy.ERROR,
    weight_scale: WeightScale | str = WeightScale.POINTS,
) -> pd.Series:
    """Score every candidate project as the weighted sum of its normalised leaf criteria.

    Each leaf criterion (a criterion without sub-criteria) is normalised onto [0, 1], 1 =
    best, by its ``normalisation``: min-max over all candidate projects (default; the
    lowest value maps to 0 and the highest to 1 for direction ``"max"``, the other way round
    for ``"min"``; a criterion on which every project has the same value gives 1.0 to every
    project), ratio to the best, rank, or a piecewise-linear value function. The score is
    ``normalised(...) @ leaf_weights(...)``: the global leaf weights sum to 1, so scores lie
    in [0, 1].

    Parameters
    ----------
    portfolio : Portfolio
        The validated portfolio; its ``projects`` table holds the criterion columns.
    criteria : DataFrame, Series, dict or None, default None
        The criteria and their weights, as one of

        - a DataFrame with columns ``criterion``, ``weight`` and optionally ``direction``
          (``"max"`` or ``"min"``; default and blank cells mean ``"max"``), ``parent``
          (hierarchy: the weights are then local among siblings), ``normalisation``
          (``"minmax"`` default, ``"ratio"``, ``"rank"``, ``"value_function"``),
          ``value_function`` (e.g. ``"0: 1.0, 5M: 0.2"``, see :class:`ValueFunction`),
          ``unit`` (informational) and ``missing`` (a :class:`MissingPolicy` for this
          criterion; blank cells use the ``missing`` keyword),
        - a Series of weights indexed by criterion (all ``"max"``, min-max),
        - a dict ``{criterion: weight}`` (the same),
        - None: use ``portfolio.criteria``.

        Leaf criteria are numeric columns of ``portfolio.projects``; parents are not. Weights
        are finite, ``>= 0`` and not all zero within a group of siblings.
    missing : {"error", "worst", "mean", "zero"}, default "error"
        What a project without a score on a criterion gets, for criteria whose ``missing``
        cell is blank: an error naming the projects and the criterion, the worst or the mean
        normalised value of the projects that have a score, or 0.
    weight_scale : {"points", "shares", "percent"}, default "points"
        ``"points"``: only the ratios of the weights matter (they are normalised).
        ``"shares"``/``"percent"``: the weights of each group of siblings must sum to 1/100,
        otherwise it is an error (a typing error is caught instead of normalised away).

    Returns
    -------
    pandas.Series
        Float scores in [0, 1] named ``"score"``, indexed by ``project_id`` in the order of
        ``portfolio.projects``.

    Raises
    ------
    InputError
        If the criteria are missing or malformed (unknown, duplicated or non-numeric
        criterion, missing scores without a policy, infinite scores, bad weight, direction,
        normalisation, value function or policy, a cycle or unknown parent in the hierarchy,
        values a ratio cannot use, weights that do not add up for ``weight_scale``). Every
        problem found is listed in one message.

    See Also
    --------
    ranking : The scores sorted best first, with each criterion's contribution.
    normalised, leaf_weights : The two factors of the score.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt.portfolio import Portfolio
    >>> projects = pd.DataFrame(
    ...     {
    ...         "project_id": ["P1", "P2", "P3"],
    ...         "cost": [100.0, 250.0, 80.0],
    ...         "duration": [2, 3, 1],
    ...         "strategic_fit": [3.0, 5.0, 1.0],
    ...         "risk": [0.2, 0.6, 0.4],
    ...     }
    ... )
    >>> criteria = pd.DataFrame(
    ...     {
    ...         "criterion": ["strategic_fit", "risk"],
    ...         "weight": [3, 1],
    ...         "direction": ["max", "min"],
    ...     }
    ... )
    >>> portfolio = Portfolio(projects)
    >>> score(portfolio, criteria)
    project_id
    P1    0.625
    P2    0.750
    P3    0.125
    Name: score, dtype: float64
    >>> score(portfolio, {"strategic_fit": 1.0})
    project_id
    P1    0.5
    P2    1.0
    P3    0.0
    Name: score, dtype: float64
    >>> cost = pd.DataFrame(
    ...     {"criterion": ["cost"], "weight": [1], "value_function": ["0: 1, 250: 0.2"]}
    ... )
    >>> score(portfolio, cost)
    project_id
    P1    0.680
    P2    0.200
    P3    0.744
    Name: score, dtype: float64
    """
    checked = _check(portfolio, portfolio.projects, criteria, missing, weight_scale)
    return _total(_contributions(portfolio.projects, checked))


def ranking(
    portfolio: Portfolio,
    criteria: Criteria = None,
    *,
    missing: MissingPolicy | str = MissingPolicy.ERROR,
    weight_scale: WeightScale | str = WeightScale.POINTS,
) -> pd.DataFrame:
    """Rank the candidate projects by score, best first, and show where the score comes from.

    Parameters
    ----------
    portfolio : Portfolio
        The validated portfolio.
    criteria : DataFrame, Series, dict or None, default None
        As for :func:`score`.
    missing, weight_scale : str, optional
        As for :func:`score`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``project_id``, sorted by score (best first; equal scores by
        ``project_id``), with columns

        - ``name`` (if the projects table has one),
        - ``rank``: 1 is best; equal scores share the lowest rank of their group
          (1, 2, 2, 4, ...),
        - ``score``: as returned by :func:`score`,
        - ``contribution:<criterion>``, one per leaf criterion in the order given: its global
          weight times the project's normalised value on it; a row's contributions sum to its
          score (up to rounding),
        - ``cost``,
        - ``score_per_cost``: score / cost (``inf`` for a free project with a positive
          score, NaN for a free project scoring 0),
        - ``category`` (if the projects table has one).

        ``attrs["units"]`` maps each leaf criterion with a ``unit`` to it.

    Raises
    ------
    InputError
        As for :func:`score`.

    See Also
    --------
    score : The scores alone, in the portfolio's order.

    Examples
    --------
    >>> from portfolio_opt.datasets import load_sample
    >>> table = ranking(load_sample())  # scored by the sample's criteria table
    >>> table[["rank", "score", "cost", "score_per_cost"]].head(3).round(4)
    ... # doctest: +NORMALIZE_WHITESPACE
                rank   score    cost  score_per_cost
    project_id
    P04            1  0.9250  2325.0          0.0004
    P39            2  0.7105   780.0          0.0009
    P16            3  0.6725   345.0          0.0019
    >>> table.loc["P04", ["contribution:strategic_fit", "contribution:risk"]].round(4).tolist()
    [0.3, 0.1125]
    """
    projects = portfolio.projects
    checked = _check(portfolio, projects, criteria, missing, weight_scale)
    contributions = _contributions(projects, checked)
    total = _total(contributions)

    columns: dict[str, pd.Series] = {}
    if "name" in projects.columns:
        columns["name"] = projects["name"]
    columns["rank"] = total.rank(method="min", ascending=False).astype("int64")
    columns["score"] = total
    for criterion in contributions.columns:
        columns[f"{_CONTRIBUTION_PREFIX}{criterion}"] = contributions[criterion]
    cost = projects["cost"].astype("float64")
    columns["cost"] = cost
    with np.errstate(divide="ignore", invalid="ignore"):
        columns["score_per_cost"] = total / cost
    if "category" in projects.columns:
        columns["category"] = projects["category"]
    table = pd.DataFrame(columns, index=projects.index)

    # Best first; equal scores by project_id, so the order never depends on the input order.
    order = np.lexsort((table.index.to_numpy(dtype=str), -total.to_numpy()))
    table = table.iloc[order]
    table.attrs["units"] = {c: r.unit for c, r in checked.rules.items() if r.unit is not None}
    return table


def normalised(
    portfolio: Portfolio,
    criteria: Criteria = None,
    *,
    missing: MissingPolicy | str = MissingPolicy.ERROR,
) -> pd.DataFrame:
    """Normalise every leaf criterion onto [0, 1], 1 = best.

    After direction, normalisation method and missing-score policy: the values the weights
    multiply. ``score(p, c)`` equals ``normalised(p, c) @ leaf_weights(p, c)`` (up to
    rounding).

    Parameters
    ----------
    portfolio : Portfolio
        The validated portfolio.
    criteria : DataFrame, Series, dict or None, default None
        As for :func:`score`.
    missing : {"error", "worst", "mean", "zero"}, default "error"
        As for :func:`score`.

    Returns
    -------
    pandas.DataFrame
        Floats in [0, 1], indexed by ``project_id`` in the portfolio's order, one column per
        leaf criterion in the order of the criteria table (columns named ``criterion``).

    Raises
    ------
    InputError
        As for :func:`score`.

    Examples
    --------
    >>> from portfolio_opt.datasets import load_sample
    >>> normalised(load_sample()).loc[["P01", "P02"], ["strategic_fit", "urgency", "risk"]]
    ... # doctest: +NORMALIZE_WHITESPACE
    criterion   strategic_fit  urgency  risk
    project_id
    P01                  0.75     0.25   0.5
    P02                  0.75     1.00   0.5
    """
    projects = portfolio.projects
    checked = _check(portfolio, projects, criteria, missing, WeightScale.POINTS)
    return _normalised(projects, checked)


def leaf_weights(
    portfolio: Portfolio,
    criteria: Criteria = None,
    *,
    weight_scale: WeightScale | str = WeightScale.POINTS,
) -> pd.Series:
    """Global weights of the leaf criteria: the products of the local weights down the tree.

    Parameters
    ----------
    portfolio : Portfolio
        The validated portfolio (its criteria are the default; scores are not needed).
    criteria : DataFrame, Series, dict or None, default None
        As for :func:`score`.
    weight_scale : {"points", "shares", "percent"}, default "points"
        As for :func:`score`.

    Returns
    -------
    pandas.Series
        Weights named ``"weight"``, indexed by leaf ``criterion`` in table order, summing to 1.

    Raises
    ------
    InputError
        As for :func:`score`, except that the scores themselves are not checked.

    See Also
    --------
    portfolio_opt.weighting.hierarchy_weights : Local and global weights of every node.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt.datasets import load_sample
    >>> tree = pd.DataFrame(
    ...     {
    ...         "criterion": ["benefit", "strategic_fit", "financial_return", "risk"],
    ...         "weight": [3, 2, 1, 1],
    ...         "parent": [None, "benefit", "benefit", None],
    ...     }
    ... )
    >>> leaf_weights(load_sample(), tree)
    criterion
    strategic_fit       0.50
    financial_return    0.25
    risk                0.25
    Name: weight, dtype: float64
    """
    checked = _check(
        portfolio, portfolio.projects, criteria, MissingPolicy.ERROR, weight_scale, scores=False
    )
    return _leaf_weights(checked)


def criteria_summary(
    portfolio: Portfolio,
    criteria: Criteria = None,
    *,
    missing: MissingPolicy | str = MissingPolicy.ERROR,
    weight_scale: WeightScale | str = WeightScale.POINTS,
) -> pd.DataFrame:
    """Tabulate the criteria for the steering group: every criterion, its weights and rules.

    Parameters
    ----------
    portfolio : Portfolio
        The validated portfolio.
    criteria : DataFrame, Series, dict or None, default None
        As for :func:`score`.
    missing, weight_scale : str, optional
        As for :func:`score`; ``missing`` only fills the ``missing`` column here.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``criterion`` in table order: ``parent``, ``level``, ``local_weight``,
        ``global_weight``, ``is_leaf`` (as from
        :func:`~portfolio_opt.weighting.hierarchy_weights`), then for leaves (None for parent
        criteria) ``direction``, ``normalisation``, ``value_function`` (as text; direction
        does not apply to these), ``unit``, ``missing`` (the policy in force) and
        ``n_missing`` (how many projects have no score).

    Raises
    ------
    InputError
        As for :func:`leaf_weights`.

    Examples
    --------
    >>> from portfolio_opt.datasets import load_sample
    >>> summary = criteria_summary(load_sample())  # the sample's criteria table
    >>> summary[["global_weight", "direction", "normalisation", "n_missing"]].tail(2)
    ... # doctest: +NORMALIZE_WHITESPACE
               global_weight direction normalisation  n_missing
    criterion
    urgency             0.15       max        minmax          0
    risk                0.15       min        minmax          0
    """
    projects = portfolio.projects
    checked = _check(portfolio, projects, criteria, missing, weight_scale, scores=False)
    table = checked.hierarchy.copy()
    rules = [checked.rules.get(name) for name in table.index]
    table["direction"] = [None if r is None or r.function else r.direction.value for r in rules]
    table["normalisation"] = [None if r is None else r.method.value for r in rules]
    table["value_function"] = [
        None if r is None or not r.function else str(r.function) for r in rules
    ]
    table["unit"] = [None if r is None else r.unit for r in rules]
    table["missing"] = [None if r is None else r.missing.value for r in rules]
    table["n_missing"] = pd.array(
        [None if r is None else int(projects[n].isna().sum()) for n, r in zip(table.index, rules)],
        dtype="Int64",
    )
    return table


# --------------------------------------------------------------------------------------------
# internals


def _total(contributions: pd.DataFrame) -> pd.Series:
    """Sum the contributions of each project, criterion by criterion, into the score.

    The criteria are added in one fixed order for every project so that a project that is at
    least as good on every criterion never gets a lower score through rounding; the sum is
    clipped to [0, 1] against rounding of the normalised weights.
    """
    total = np.zeros(len(contributions))
    for criterion in contributions.columns:
        total = total + contributions[criterion].to_numpy()
    return pd.Series(np.clip(total, 0.0, 1.0), index=contributions.index, name="score")


def _leaf_weights(checked: _Checked) -> pd.Series:
    """Global weights of the leaves, in table order."""
    weights = checked.hierarchy.loc[list(checked.rules), "global_weight"]
    return weights.rename("weight").astype("float64")


def _contributions(projects: pd.DataFrame, checked: _Checked) -> pd.DataFrame:
    """Global weight times normalised value, one column per leaf, indexed like the projects."""
    values = _normalised(projects, checked)
    weights = _leaf_weights(checked)
    return pd.DataFrame(
        {c: weights[c] * values[c].to_numpy() for c in checked.rules},
        index=projects.index,
        columns=list(checked.rules),
    )


def _normalised(projects: pd.DataFrame, checked: _Checked) -> pd.DataFrame:
    """Each leaf criterion normalised onto [0, 1] with its rule, missing scores filled."""
    columns = {}
    for criterion, rule in checked.rules.items():
        values = projects[criterion].to_numpy(dtype="float64", na_value=np.nan)
        columns[criterion] = _normalise(values, rule)
    return pd.DataFrame(
        columns, index=projects.index, columns=pd.Index(list(checked.rules), name="criterion")
    )


def _normalise(values: np.ndarray, rule: _Rule) -> np.ndarray:
    """Normalise the scores that are there; fill the missing ones by the rule's policy."""
    observed = ~np.isnan(values)
    result = np.full(values.shape, np.nan)
    x = values[observed]
    if x.size:
        if rule.function is not None:
            result[observed] = rule.function(x)
        elif rule.method is Normalisation.RATIO:
            result[observed] = _ratio(x, rule.direction)
        elif rule.method is Normalisation.RANK:
            result[observed] = _rank(x, rule.direction)
        else:
            result[observed] = _minmax(x, rule.direction)
    if not observed.all():
        fill = {
            MissingPolicy.WORST: lambda: result[observed].min(),
            MissingPolicy.MEAN: lambda: result[observed].mean(),
            MissingPolicy.ZERO: lambda: 0.0,
        }[rule.missing]()  # ERROR never gets here: missing scores were reported
        result[~observed] = fill
    return result


def _minmax(values: np.ndarray, direction: Direction) -> np.ndarray:
    """Min-max onto [0, 1] with 1 = best; a constant column gives 1.0 everywhere."""
    low, high = values.min(), values.max()
    if low == high:
        return np.ones_like(values)
    with np.errstate(over="ignore"):
        overflow = not np.isfinite(high - low)
    if overflow:  # the span overflows; halving keeps it finite
        values, low, high = values / 2, low / 2, high / 2
    if direction is Direction.MAX:
        return (values - low) / (high - low)
    return (high - values) / (high - low)


def _ratio(values: np.ndarray, direction: Direction) -> np.ndarray:
    """Ratio to the best: x / max (max, x >= 0) or min / x (min, x > 0); all zero gives 1.0."""
    if direction is Direction.MAX:
        best = values.max()
        return np.ones_like(values) if best == 0 else values / best
    return values.min() / values


def _rank(values: np.ndarray, direction: Direction) -> np.ndarray:
    """Distinct values in order, spread evenly over [0, 1]: best 1, worst 0, ties equal."""
    distinct, position = np.unique(values, return_inverse=True)
    top = len(distinct) - 1
    if top == 0:
        return np.ones_like(values)
    if direction is Direction.MAX:
        return position / top
    return (top - position) / top


def _criteria_table(
    portfolio: Portfolio,
    projects: pd.DataFrame,
    criteria: Criteria,
    *,
    missing: MissingPolicy | str = MissingPolicy.ERROR,
    weight_scale: WeightScale | str = WeightScale.POINTS,
) -> pd.DataFrame:
    """Check the criteria against the projects table; return the checked criteria table.

    Columns ``criterion, weight, direction`` (``weight`` the raw weight as a float,
    ``direction`` a :class:`Direction`, ``"max"`` for parent criteria) and those of the
    optional columns ``parent, normalisation, value_function, unit, missing`` that were given
    (blank cells as None, ``normalisation`` and ``missing`` as their canonical strings). Every
    problem found is collected and raised in one :class:`InputError`. The Portfolio calls this
    to validate its criteria table.
    """
    return _check(portfolio, projects, criteria, missing, weight_scale).table
