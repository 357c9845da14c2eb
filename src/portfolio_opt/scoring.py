"""Score projects on weighted strategic criteria.

The first step after the :class:`~portfolio_opt.portfolio.Portfolio` is validated: each
criterion column of the projects table is put on a common 0-1 scale (min-max over all
candidate projects, flipped for criteria where less is better) and the weighted sum of the
normalised criteria is the project's score. :func:`score` gives the scores, :func:`ranking`
the table the steering group reads: rank, score, what each criterion contributed, cost and
score per unit of cost.

Criteria are given as a table ``criterion, weight[, direction]``, a Series of weights indexed
by criterion, or a dict ``{criterion: weight}``; by default the portfolio's own criteria table
is used. See ``docs/scoring.md`` for the rules in prose.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import InputError, describe_ids

if TYPE_CHECKING:
    from portfolio_opt.portfolio import Portfolio

__all__ = ["Criteria", "Direction", "ranking", "score"]

Criteria: TypeAlias = pd.DataFrame | pd.Series | Mapping[Hashable, float] | None
"""What :func:`score` and :func:`ranking` accept as ``criteria``."""

_CRITERIA_COLUMNS = ("criterion", "weight", "direction")
_CONTRIBUTION_PREFIX = "contribution:"
_SHOW = 5  # how many offending values a message names before summarising


class Direction(str, Enum):
    """Whether more or less of a criterion is better.

    The criteria table accepts the values as strings, case-insensitively, with the
    spellings ``"maximise"``/``"maximize"`` and ``"minimise"``/``"minimize"`` as synonyms.

    Examples
    --------
    >>> Direction.parse("Minimise")
    <Direction.MIN: 'min'>
    >>> Direction("max")
    <Direction.MAX: 'max'>
    """

    MAX = "max"
    """More is better: the highest score normalises to 1."""
    MIN = "min"
    """Less is better: the lowest score normalises to 1."""

    @classmethod
    def parse(cls, value: object) -> Direction:
        """Read a direction from a table cell.

        Parameters
        ----------
        value : str or Direction
            ``"max"``, ``"min"`` or a synonym (see the class docstring).

        Returns
        -------
        Direction

        Raises
        ------
        ValueError
            If the value is not a known direction.
        """
        if isinstance(value, Direction):
            return value
        key = value.strip().lower() if isinstance(value, str) else value
        try:
            return _DIRECTION_ALIASES[key]  # type: ignore[index]
        except (KeyError, TypeError):
            raise ValueError(f"unknown direction {value!r}") from None


_DIRECTION_ALIASES: dict[str, Direction] = {
    "max": Direction.MAX,
    "maximise": Direction.MAX,
    "maximize": Direction.MAX,
    "min": Direction.MIN,
    "minimise": Direction.MIN,
    "minimize": Direction.MIN,
}
_VALID_DIRECTIONS = "'max' or 'min' (also 'maximise'/'maximize', 'minimise'/'minimize')"


def score(portfolio: Portfolio, criteria: Criteria = None) -> pd.Series:
    """Score every candidate project as the weighted sum of its normalised criteria.

    Each criterion column of ``portfolio.projects`` is normalised onto [0, 1] by min-max
    over all candidate projects: for direction ``"max"`` the lowest value maps to 0 and the
    highest to 1; for ``"min"`` the other way round (1 is always best). A criterion on which
    every project has the same value cannot tell them apart and gives 1.0 to every project.
    Weights are normalised to sum to 1, so scores lie in [0, 1].

    Parameters
    ----------
    portfolio : Portfolio
        The validated portfolio; its ``projects`` table holds the criterion columns.
    criteria : DataFrame, Series, dict or None, default None
        The criteria and their weights, as one of

        - a DataFrame with columns ``criterion``, ``weight`` and optionally ``direction``
          (``"max"`` or ``"min"``; default and blank cells mean ``"max"``),
        - a Series of weights indexed by criterion (all ``"max"``),
        - a dict ``{criterion: weight}`` (all ``"max"``),
        - None: use ``portfolio.criteria``.

        Criterion names are numeric columns of ``portfolio.projects``. Weights are finite,
        ``>= 0`` and not all zero; only their ratios matter.

    Returns
    -------
    pandas.Series
        Float scores in [0, 1] named ``"score"``, indexed by ``project_id`` in the order of
        ``portfolio.projects``.

    Raises
    ------
    InputError
        If the criteria are missing or malformed (unknown, duplicated or non-numeric
        criterion, missing or non-finite scores, bad weight or direction). Every problem
        found is listed in one message.

    See Also
    --------
    ranking : The scores sorted best first, with each criterion's contribution.

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
    >>> portfolio = Portfolio(projects)
    >>> criteria = pd.DataFrame(
    ...     {
    ...         "criterion": ["strategic_fit", "risk"],
    ...         "weight": [3, 1],
    ...         "direction": ["max", "min"],
    ...     }
    ... )
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
    """
    projects = portfolio.projects
    return _total(_contributions(projects, _criteria_table(portfolio, projects, criteria)))


def ranking(portfolio: Portfolio, criteria: Criteria = None) -> pd.DataFrame:
    """Rank the candidate projects by score, best first, and show where the score comes from.

    Parameters
    ----------
    portfolio : Portfolio
        The validated portfolio.
    criteria : DataFrame, Series, dict or None, default None
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
        - ``contribution:<criterion>``, one per criterion in the order given: the criterion's
          normalised weight times the project's normalised score on it; a row's contributions
          sum to its score (up to rounding),
        - ``cost``,
        - ``score_per_cost``: score / cost (``inf`` for a free project with a positive
          score, NaN for a free project scoring 0),
        - ``category`` (if the projects table has one).

    Raises
    ------
    InputError
        As for :func:`score`.

    See Also
    --------
    score : The scores alone, in the portfolio's order.

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
    >>> table = ranking(Portfolio(projects, criteria=criteria))
    >>> table[["rank", "score", "contribution:strategic_fit", "contribution:risk"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                rank  score  contribution:strategic_fit  contribution:risk
    project_id
    P2             1  0.750                       0.750              0.000
    P1             2  0.625                       0.375              0.250
    P3             3  0.125                       0.000              0.125
    >>> table["score_per_cost"].round(5).tolist()
    [0.003, 0.00625, 0.00156]
    """
    projects = portfolio.projects
    contributions = _contributions(projects, _criteria_table(portfolio, projects, criteria))
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
    return table.iloc[order]


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


def _contributions(projects: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Weight times normalised score, one column per criterion, indexed like the projects."""
    weights = table["weight"].to_numpy(dtype="float64")
    weights = weights / weights.max()  # first to the largest, so the sum cannot overflow
    weights = weights / weights.sum()
    columns = {}
    for (criterion, direction), weight in zip(
        table[["criterion", "direction"]].itertuples(index=False, name=None), weights, strict=True
    ):
        values = projects[criterion].to_numpy(dtype="float64", na_value=np.nan)
        columns[criterion] = weight * _normalise(values, direction)
    return pd.DataFrame(columns, index=projects.index, columns=table["criterion"].tolist())


def _normalise(values: np.ndarray, direction: Direction) -> np.ndarray:
    """Min-max onto [0, 1] with 1 = best; a constant column gives 1.0 everywhere."""
    if values.size == 0:
        return values.copy()
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


def _criteria_table(
    portfolio: Portfolio, projects: pd.DataFrame, criteria: Criteria
) -> pd.DataFrame:
    """Check the criteria against the projects table; return ``criterion, weight, direction``.

    ``weight`` is the raw weight as a float and ``direction`` a :class:`Direction`. Every
    problem found is collected and raised in one :class:`InputError`.
    """
    table = _as_table(portfolio, criteria)
    problems: list[str] = []

    names = table["criterion"]
    counts = names.value_counts(sort=False, dropna=False)
    for name, count in counts[counts > 1].items():
        problems.append(
            f"criteria table: criterion {_show(name)} appears {count} times; give each criterion "
            "one row (add the weights together if that is what was meant)."
        )

    weights = pd.to_numeric(table["weight"], errors="coerce").astype("float64")
    bad = ~np.isfinite(weights.to_numpy()) | (weights.to_numpy() < 0)
    if bad.any():
        shown = ", ".join(
            f"{_show(name)}: {_show(value)}"
            for name, value in zip(names[bad], table["weight"][bad], strict=True)
        )
        problems.append(
            f"criteria table: column 'weight' has invalid weights ({shown}); weights must be "
            "finite numbers >= 0."
        )
    elif len(table) and (weights == 0).all():
        problems.append(
            "criteria table: all weights are zero; give at least one criterion a positive weight."
        )

    directions: list[Direction] = []
    for name, value in zip(names, table["direction"], strict=True):
        if _is_blank(value):
            directions.append(Direction.MAX)
            continue
        try:
            directions.append(Direction.parse(value))
        except ValueError:
            problems.append(
                f"criteria table: criterion {_show(name)} has unknown direction "
                f"{_show(value)}; valid directions are {_VALID_DIRECTIONS}."
            )

    problems.extend(_check_columns(projects, names))
    if problems:
        raise InputError(problems)
    return pd.DataFrame(
        {"criterion": names.tolist(), "weight": weights.tolist(), "direction": directions}
    )


def _as_table(portfolio: Portfolio, criteria: Criteria) -> pd.DataFrame:
    """Bring any accepted form of ``criteria`` to a fresh ``criterion, weight, direction`` table.

    Only problems that make the rest impossible to check are raised here.
    """
    if criteria is None:
        criteria = portfolio.criteria
        if criteria is None:
            raise InputError(
                "no criteria: none were passed and the portfolio has no criteria table; pass "
                "criteria=... (a table criterion, weight[, direction], a Series of weights "
                "indexed by criterion, or a dict {criterion: weight}) or build the Portfolio "
                "with criteria=..."
            )
    if isinstance(criteria, pd.DataFrame):
        table = criteria
        if "criterion" not in table.columns and table.index.name == "criterion":
            table = table.reset_index()
        unknown = [c for c in table.columns if c not in _CRITERIA_COLUMNS]
        missing = [c for c in ("criterion", "weight") if c not in table.columns]
        problems = []
        if unknown:
            problems.append(
                f"criteria table: unknown column(s) {', '.join(map(_show, unknown))}; the "
                "columns are 'criterion', 'weight' and optionally 'direction'."
            )
        if missing:
            problems.append(
                f"criteria table: missing column(s) {', '.join(map(_show, missing))}; the "
                "columns are 'criterion', 'weight' and optionally 'direction'."
            )
        if problems:
            raise InputError(problems)
        names = table["criterion"].tolist()
        weights = table["weight"].tolist()
        directions = (
            table["direction"].tolist() if "direction" in table.columns else [None] * len(table)
        )
    elif isinstance(criteria, pd.Series):
        names, weights = criteria.index.tolist(), criteria.tolist()
        directions = [None] * len(criteria)
    elif isinstance(criteria, Mapping):
        names, weights = list(criteria.keys()), list(criteria.values())
        directions = [None] * len(criteria)
    else:
        raise InputError(
            f"criteria must be a DataFrame (criterion, weight[, direction]), a Series of "
            f"weights indexed by criterion, a dict {{criterion: weight}} or None; got "
            f"{type(criteria).__name__}."
        )
    if not names:
        raise InputError(
            "criteria table: no criteria given (it is empty); list at least one criterion "
            "with a positive weight."
        )
    return pd.DataFrame(
        {"criterion": names, "weight": weights, "direction": directions}, dtype=object
    )


def _check_columns(projects: pd.DataFrame, names: pd.Series) -> list[str]:
    """Problems with the criterion columns of the projects table."""
    problems = []
    numeric = [c for c in projects.columns if _is_numeric(projects[c])]
    for name in dict.fromkeys(names):
        if name not in projects.columns:
            problems.append(
                f"criteria table: criterion {_show(name)} is not a column of the projects table; "
                f"numeric columns available: {', '.join(map(str, numeric)) or 'none'}. Fix "
                "the name or add the column to the projects table."
            )
            continue
        column = projects[name]
        if not _is_numeric(column):
            examples = ", ".join(_show(v) for v in column.dropna().unique()[:3])
            problems.append(
                f"projects table: criterion column {_show(name)} is not numeric (dtype "
                f"{column.dtype}, values such as {examples or 'none'}); convert it to numbers "
                "(e.g. with pd.to_numeric) or choose another criterion."
            )
            continue
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(values)
        if missing.any():
            problems.append(
                f"projects table: criterion column {_show(name)} has missing (NaN) scores for "
                f"{describe_ids(projects.index[missing], limit=_SHOW)}; fill them in or "
                "remove those projects (a policy for missing scores is planned)."
            )
        infinite = np.isinf(values)
        if infinite.any():
            problems.append(
                f"projects table: criterion column {_show(name)} has infinite scores for "
                f"{describe_ids(projects.index[infinite], limit=_SHOW)}; use finite numbers."
            )
    return problems


def _is_numeric(column: pd.Series) -> bool:
    """Tell whether a column holds numbers or booleans (a yes/no criterion counts as 1/0)."""
    return pd.api.types.is_numeric_dtype(column.dtype)


def _is_blank(value: Any) -> bool:
    """Tell whether a direction cell is blank: None, NaN, NA or an empty string."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _show(value: Any) -> str:
    """Quote a value for an error message: strings in quotes, numbers plain (``-2``, ``nan``)."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"{float(value):g}"
    return repr(value)
