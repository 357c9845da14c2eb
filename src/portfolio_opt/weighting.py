"""Turn an analyst's judgments about criteria into weights.

Weights are always returned as a float Series (or a table) indexed by criterion whose leaf
weights sum to 1. The methods are those a PMO uses besides AHP (see :mod:`portfolio_opt.ahp`):

- :func:`hierarchy_weights`: local weights in a criteria hierarchy (criterion, weight, parent)
  to global weights, through any depth;
- :func:`direct_points`: points (e.g. 100 points shared out, or a 1-10 rating per criterion)
  normalised to shares;
- :func:`rank_order_centroid`: weights from a ranking alone (Barron & Barrett 1996);
- :func:`swing_weights`: the swing method (von Winterfeldt & Edwards 1986): the most important
  swing from worst to best is worth 100, the others are rated relative to it.

See ``docs/scoring.md`` for the rules in prose.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from enum import Enum
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from portfolio_opt._words import is_blank as _is_blank
from portfolio_opt._words import listing as _listing
from portfolio_opt._words import quote as _show
from portfolio_opt.exceptions import InputError

__all__ = [
    "SHARE_TOLERANCE",
    "WeightScale",
    "direct_points",
    "hierarchy_weights",
    "rank_order_centroid",
    "swing_weights",
]

SHARE_TOLERANCE = 1e-6
"""How far shares may sum away from their total (relative) before it is an error."""


class WeightScale(str, Enum):
    """What the numbers in a ``weight`` column mean.

    Examples
    --------
    >>> WeightScale("percent").total
    100.0
    >>> WeightScale.POINTS.total is None
    True
    """

    POINTS = "points"
    """Only the ratios matter: the weights of each group of siblings are normalised."""
    SHARES = "shares"
    """Shares of 1: the weights of each group of siblings must sum to 1."""
    PERCENT = "percent"
    """Percentages: the weights of each group of siblings must sum to 100."""

    @property
    def total(self) -> float | None:
        """Return what the weights of a group of siblings must sum to (None: anything)."""
        return {"points": None, "shares": 1.0, "percent": 100.0}[self.value]

    @classmethod
    def parse(cls, value: object) -> WeightScale:
        """Read a weight scale, raising an :class:`InputError` that lists the valid ones."""
        try:
            return cls(value.strip().lower() if isinstance(value, str) else value)
        except ValueError:
            valid = ", ".join(repr(m.value) for m in cls)
            raise InputError(
                f"weight_scale: unknown value {_show(value)}; valid values are {valid}."
            ) from None


_HIERARCHY_COLUMNS = ("parent", "level", "local_weight", "global_weight", "is_leaf")


# --------------------------------------------------------------------------------------------
# hierarchies


def hierarchy_weights(
    table: pd.DataFrame, *, weight_scale: WeightScale | str = WeightScale.POINTS
) -> pd.DataFrame:
    """Local weights in a criteria hierarchy to global weights.

    Each row of ``table`` is a criterion with its weight relative to its siblings (the
    criteria with the same parent). Local weights are the weights normalised within each
    group of siblings; the global weight of a criterion is the product of the local weights
    on its path from the top. The leaves (criteria that are nobody's parent) are what
    projects are scored on; their global weights sum to 1.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``criterion`` (or the index named ``criterion``), ``weight`` and optionally
        ``parent`` (the criterion one level up; None, NaN or an empty string for a top-level
        criterion). Weights are finite and ``>= 0``; in each group of siblings at least one is
        positive. Other columns (``direction``, ``unit``, ...) are ignored.
    weight_scale : {"points", "shares", "percent"} or WeightScale, default "points"
        ``"points"``: only the ratios of the weights within a group of siblings matter.
        ``"shares"`` / ``"percent"``: the weights are meant as shares of 1 / percentages, so
        those of each group of siblings must sum to 1 / 100 (within :data:`SHARE_TOLERANCE`,
        relative); a group that does not is an error naming the parent, its children and
        their sum (a typing error is caught instead of normalised away).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``criterion`` in the order of ``table``, with columns

        - ``parent``: the parent criterion, None at the top level,
        - ``level``: 1 at the top, 2 for their children, ...,
        - ``local_weight``: weight / sum of the weights of the siblings,
        - ``global_weight``: product of the local weights from the top down to the criterion,
        - ``is_leaf``: True for criteria without children.

        The global weights of the children of a criterion sum to its global weight; those
        of the leaves sum to 1.

    Raises
    ------
    InputError
        If a column is missing, a criterion is blank or listed twice, a parent is not a
        criterion of the table, the parents form a cycle, a weight is negative, NaN,
        infinite or not a number, the weights of a group of siblings are all zero, or (with
        ``weight_scale`` shares or percent) do not sum to 1 or 100. Every problem found is
        listed in one message.

    See Also
    --------
    portfolio_opt.scoring.leaf_weights : The global leaf weights of a criteria table.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(
    ...     {
    ...         "criterion": ["benefit", "cost", "revenue", "strategy", "capex"],
    ...         "weight": [3, 1, 1, 1, 1],
    ...         "parent": [None, None, "benefit", "benefit", "cost"],
    ...     }
    ... )
    >>> hierarchy_weights(table)  # doctest: +NORMALIZE_WHITESPACE
                parent  level  local_weight  global_weight  is_leaf
    criterion
    benefit       None      1          0.75          0.750    False
    cost          None      1          0.25          0.250    False
    revenue    benefit      2          0.50          0.375     True
    strategy   benefit      2          0.50          0.375     True
    capex         cost      2          1.00          0.250     True
    """
    scale = WeightScale.parse(weight_scale)
    names, weights, parents = _hierarchy_input(table)
    problems: list[str] = []

    counts = pd.Series(names, dtype=object).value_counts(sort=False)
    for name, count in counts[counts > 1].items():
        problems.append(
            f"criteria table: criterion {_show(name)} appears {count} times; give each "
            "criterion one row."
        )
    blank = [i for i, name in enumerate(names) if _is_blank(name)]
    if blank:
        problems.append(
            f"criteria table: column 'criterion' is blank in row(s) "
            f"{', '.join(str(i) for i in blank)}; name every criterion."
        )

    numbers = _weights(
        names, weights, "criteria table: column 'weight' has invalid values", problems
    )

    known = set(n for n in names if not _is_blank(n))
    unknown = [(n, p) for n, p in zip(names, parents) if p is not None and p not in known]
    if unknown:
        shown = ", ".join(f"{_show(n)} -> {_show(p)}" for n, p in unknown)
        problems.append(
            f"criteria table: column 'parent' names criteria that are not in the table "
            f"({shown}); every parent must be a criterion of its own row (add the row, fix "
            "the spelling, or leave 'parent' empty for a top-level criterion)."
        )
    parent_of = dict(zip(names, parents))
    if len(counts) == len(names):  # with duplicates the parent relation is ambiguous
        for cycle in _cycles(names, parent_of):
            loop = " -> ".join(_show(n) for n in [*cycle, cycle[0]])
            problems.append(
                f"criteria table: column 'parent' forms a cycle ({loop}); a criterion cannot "
                "be its own ancestor. Make one of them a top-level criterion (empty 'parent')."
            )
    if problems:  # the groups of siblings are only well defined without these problems
        raise InputError(problems)

    weight_of = dict(zip(names, numbers))
    children: dict[Hashable | None, list[Hashable]] = {}
    for name in names:
        children.setdefault(parent_of[name], []).append(name)

    local: dict[Hashable, float] = {}
    for parent, group in children.items():
        values = np.array([weight_of[c] for c in group], dtype="float64")
        where = "at the top level" if parent is None else f"under {_show(parent)}"
        members = ", ".join(f"{_show(c)}: {weight_of[c]:g}" for c in group)
        if not (values > 0).any():
            problems.append(
                f"criteria table: the weights of the criteria {where} are all zero "
                f"({members}); give at least one of them a positive weight."
            )
            continue
        expected = scale.total
        total = float(values.sum()) if expected is not None else 1.0
        if expected is not None and not abs(total - expected) <= SHARE_TOLERANCE * expected:
            problems.append(
                f"criteria table: the weights of the criteria {where} sum to {total:.6g}, "
                f"not {expected:g} ({members}); with weight_scale={scale.value!r} the "
                f"weights of each group of siblings must sum to {expected:g}. Correct them, "
                "or use weight_scale='points' to have them normalised."
            )
            continue
        scaled = values / values.max()  # so the sum cannot overflow
        for criterion, value in zip(group, scaled / scaled.sum()):
            local[criterion] = float(value)
    if problems:
        raise InputError(problems)

    level: dict[Hashable, int] = {}
    global_weight: dict[Hashable, float] = {}
    for name in names:
        path = _path(name, parent_of)  # top first
        level[name] = len(path)
        product = 1.0
        for node in path:
            product *= local[node]
        global_weight[name] = product
    return pd.DataFrame(
        {
            "parent": pd.Series([parent_of[n] for n in names], dtype=object),
            "level": pd.Series([level[n] for n in names], dtype="int64"),
            "local_weight": pd.Series([local[n] for n in names], dtype="float64"),
            "global_weight": pd.Series([global_weight[n] for n in names], dtype="float64"),
            "is_leaf": pd.Series([n not in children for n in names], dtype=bool),
        }
    ).set_axis(pd.Index(names, name="criterion"))


def _hierarchy_input(table: Any) -> tuple[list[Hashable], list[Any], list[Hashable | None]]:
    """Names, raw weights and parents (None for the top level) of a hierarchy table."""
    if not isinstance(table, pd.DataFrame):
        raise InputError(
            f"criteria table: expected a DataFrame with columns criterion, weight[, parent]; "
            f"got {type(table).__name__}."
        )
    if "criterion" not in table.columns and table.index.name == "criterion":
        table = table.reset_index()
    missing = [c for c in ("criterion", "weight") if c not in table.columns]
    if missing:
        raise InputError(
            f"criteria table: missing column(s) {', '.join(map(_show, missing))}; a criteria "
            "hierarchy has the columns 'criterion', 'weight' and optionally 'parent'."
        )
    if not len(table):
        raise InputError(
            "criteria table: no criteria given (it is empty); list at least one criterion "
            "with a positive weight."
        )
    names = table["criterion"].tolist()
    weights = table["weight"].tolist()
    if "parent" in table.columns:
        parents = [None if _is_blank(p) else p for p in table["parent"].tolist()]
    else:
        parents = [None] * len(names)
    return names, weights, parents


def _cycles(names: list[Hashable], parent_of: Mapping[Hashable, Hashable | None]) -> list[list]:
    """Each cycle of the parent relation once, as the list of its members."""
    state: dict[Hashable, int] = {}  # 1 = being walked, 2 = done (reaches the top)
    cycles = []
    for start in names:
        walk: list[Hashable] = []
        node: Hashable | None = start
        while node is not None and state.get(node, 0) == 0:
            state[node] = 1
            walk.append(node)
            node = parent_of.get(node)  # an unknown parent counts as the top
        if node is not None and state.get(node) == 1:  # came back into this walk
            cycles.append(walk[walk.index(node) :])
        for visited in walk:
            state[visited] = 2
    return cycles


def _path(name: Hashable, parent_of: Mapping[Hashable, Hashable | None]) -> list[Hashable]:
    """List the criteria from the top level down to ``name`` (the hierarchy has no cycles)."""
    path = [name]
    while (parent := parent_of[path[-1]]) is not None:
        path.append(parent)
    return path[::-1]


# --------------------------------------------------------------------------------------------
# flat weightings

Points: TypeAlias = pd.Series | Mapping[Hashable, float]
"""Numbers per criterion: a Series indexed by criterion or a dict ``{criterion: number}``."""


def direct_points(points: Points, *, total: float | None = None) -> pd.Series:
    """Normalise points given to each criterion into weights that sum to 1.

    Direct rating: the analyst (or each steering-group member, averaged beforehand) gives each
    criterion a number of points, e.g. shares out 100 points or rates each criterion 1-10.
    The weight of a criterion is its points over the sum of all points.

    Parameters
    ----------
    points : Series or dict
        Points indexed by criterion; finite, ``>= 0`` and not all zero.
    total : float, optional
        The number of points that was shared out (e.g. 100, or 1 for shares). When given, the
        points must add up to it (within :data:`SHARE_TOLERANCE` relative to ``total``), so a
        typing error in a "share out 100 points" sheet is caught instead of normalised away.

    Returns
    -------
    pandas.Series
        Weights named ``"weight"``, indexed by ``criterion`` in the order given, summing to 1.

    Raises
    ------
    InputError
        If a criterion is listed twice or blank, a value is negative, NaN, infinite or not a
        number, all points are zero, or the points do not add up to ``total``.

    Examples
    --------
    >>> direct_points({"strategic_fit": 40, "financial_return": 35, "risk": 25}, total=100)
    criterion
    strategic_fit       0.40
    financial_return    0.35
    risk                0.25
    Name: weight, dtype: float64
    """
    names, values = _named_numbers(points, "points")
    problems: list[str] = []
    array = _weights(names, values, "points: invalid points", problems)
    if not problems and not (array > 0).any():
        problems.append("points: all points are zero; give at least one criterion points.")
    if not problems and total is not None:
        given = float(array.sum())
        if not np.isfinite(total) or total <= 0:
            problems.append(f"points: total must be a positive number; got {_show(total)}.")
        elif abs(given - total) > SHARE_TOLERANCE * total:
            problems.append(
                f"points: the points sum to {given:.6g}, not the {total:g} that were shared "
                f"out ({_listing(names, array)}); correct them, or leave total=None to "
                "normalise whatever they add up to."
            )
    if problems:
        raise InputError(problems)
    return _as_weights(names, array)


def rank_order_centroid(ranking: Sequence[Hashable] | Points) -> pd.Series:
    r"""Weights from a ranking of the criteria alone (rank-order centroid, ROC).

    When the steering group can agree on the order of the criteria but not on numbers, the
    rank-order centroid gives the weights at the centre of all weight vectors compatible with
    that order (Barron & Barrett 1996): with ``n`` criteria, the one ranked ``i`` gets

    .. math:: w_i = \frac{1}{n} \sum_{k=i}^{n} \frac{1}{k}.

    Criteria that tie share equally the weights of the positions they occupy together (a tie
    for 2nd and 3rd place gives both the mean of :math:`w_2` and :math:`w_3`), so tied criteria
    weigh the same, the weights still sum to 1, and the result does not depend on the order in
    which tied criteria are listed.

    Parameters
    ----------
    ranking : sequence, Series or dict
        Either the criteria in order of importance, most important first (a list or tuple; no
        ties), or the rank of each criterion (a Series indexed by criterion or a dict), where a
        lower rank is more important and equal ranks are ties. Only the order of the ranks
        matters: ranks 1, 2, 2, 4 and 1, 2, 2, 3 give the same weights.

    Returns
    -------
    pandas.Series
        Weights named ``"weight"``, indexed by ``criterion`` in the order given, summing to 1;
        a criterion ranked before another never weighs less.

    Raises
    ------
    InputError
        If the ranking is empty, a criterion is listed twice or blank, or a rank is missing,
        infinite or not a number.

    References
    ----------
    F. H. Barron and B. E. Barrett (1996), "Decision quality using ranked attribute weights",
    Management Science 42(11):1515-1523.

    Examples
    --------
    >>> rank_order_centroid(["strategic_fit", "financial_return", "urgency", "risk"]).round(4)
    criterion
    strategic_fit       0.5208
    financial_return    0.2708
    urgency             0.1458
    risk                0.0625
    Name: weight, dtype: float64
    >>> rank_order_centroid({"a": 1, "b": 2, "c": 2}).round(4)
    criterion
    a    0.6111
    b    0.1944
    c    0.1944
    Name: weight, dtype: float64
    """
    if isinstance(ranking, (pd.Series, Mapping)):
        names, values = _named_numbers(ranking, "ranking")
        problems: list[str] = []
        ranks = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce")
        array = ranks.to_numpy(dtype="float64", na_value=np.nan)
        bad = ~np.isfinite(array)
        if bad.any():
            problems.append(
                f"ranking: invalid ranks ({_listing(names, values, bad)}); "
                "ranks must be finite numbers, 1 = most important."
            )
        _check_names(names, "ranking", problems)
        if problems:
            raise InputError(problems)
    elif isinstance(ranking, (list, tuple, pd.Index, np.ndarray)):
        names = list(ranking)
        problems = []
        if not names:
            problems.append("ranking: no criteria given (it is empty); list the criteria.")
        _check_names(
            names,
            "ranking",
            problems,
            hint=" (to say two criteria tie, pass a "
            "dict or Series of ranks, e.g. {'a': 1, 'b': 2, 'c': 2})",
        )
        if problems:
            raise InputError(problems)
        array = np.arange(1.0, len(names) + 1.0)
    else:
        raise InputError(
            f"ranking: expected a list of criteria (most important first), or a Series or "
            f"dict of ranks by criterion; got {type(ranking).__name__}."
        )
    n = len(names)
    # ROC weight of each position 1..n: (1/n) * sum_{k=i}^{n} 1/k (a reverse cumulative sum)
    position_weights = np.cumsum(1.0 / np.arange(n, 0, -1))[::-1] / n
    order = np.argsort(array, kind="stable")
    weights = np.empty(n)
    start = 0
    while start < n:  # ties share the mean of the positions they occupy
        stop = start
        while stop + 1 < n and array[order[stop + 1]] == array[order[start]]:
            stop += 1
        weights[order[start : stop + 1]] = position_weights[start : stop + 1].mean()
        start = stop + 1
    return _as_weights(names, weights)


def swing_weights(swings: Points) -> pd.Series:
    """Weights from the swing method.

    The analyst imagines a project that is worst on every criterion and asks which criterion
    they would most like to swing from its worst to its best value; that swing is worth 100.
    Every other swing is rated relative to it, from 0 (worth nothing) to 100 (as much as the
    most important). The weights are the ratings over their sum (von Winterfeldt & Edwards
    1986). Because the swing is between the worst and best values of the projects under
    review, swing weights belong with a normalisation over the same range (min-max).

    Parameters
    ----------
    swings : Series or dict
        Rating of each criterion's swing, indexed by criterion; numbers in [0, 100] and the
        most important swing (at least one) rated exactly 100.

    Returns
    -------
    pandas.Series
        Weights named ``"weight"``, indexed by ``criterion`` in the order given, summing to 1.

    Raises
    ------
    InputError
        If a criterion is listed twice or blank, a rating is not a number in [0, 100], or no
        swing is rated 100 (the reference swing).

    References
    ----------
    D. von Winterfeldt and W. Edwards (1986), *Decision Analysis and Behavioral Research*,
    Cambridge University Press (the swing weighting method).

    Examples
    --------
    >>> swing_weights({"financial_return": 100, "strategic_fit": 60, "risk": 40})
    criterion
    financial_return    0.5
    strategic_fit       0.3
    risk                0.2
    Name: weight, dtype: float64
    """
    names, values = _named_numbers(swings, "swings")
    problems: list[str] = []
    array = _weights(names, values, "swings: invalid ratings", problems)
    if not problems:
        above = array > 100
        if above.any():
            problems.append(
                f"swings: ratings above 100 ({_listing(names, array, above)}); the most "
                "important swing is the reference rated 100 and the others are rated "
                "relative to it, from 0 to 100. Rescale them."
            )
        elif not (array == 100).any():
            problems.append(
                f"swings: no swing is rated 100 (highest {array.max():g}, "
                f"{_listing(names, array, array == array.max())}); rate the most important "
                "swing 100 and the others relative to it (or use direct_points for points "
                "that only count in proportion)."
            )
    if problems:
        raise InputError(problems)
    return _as_weights(names, array)


# --------------------------------------------------------------------------------------------
# helpers


def _weights(
    names: Sequence[Hashable], values: Sequence[Any], what: str, problems: list[str]
) -> np.ndarray:
    """Raw weights as floats; invalid ones (not finite, negative) are reported in ``problems``.

    ``what`` starts the message, e.g. ``"points: invalid points"``.
    """
    numbers = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce")
    array = numbers.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        problems.append(
            f"{what} ({_listing(names, values, bad)}); they must be finite numbers >= 0."
        )
    return array


def _named_numbers(data: Any, what: str) -> tuple[list[Hashable], list[Any]]:
    """Names and raw values of a Series or dict of numbers by criterion (checked for names)."""
    if isinstance(data, pd.Series):
        names, values = data.index.tolist(), data.tolist()
    elif isinstance(data, Mapping):
        names, values = list(data.keys()), list(data.values())
    else:
        raise InputError(
            f"{what}: expected a Series indexed by criterion or a dict {{criterion: number}}; "
            f"got {type(data).__name__}."
        )
    problems: list[str] = []
    if not names:
        problems.append(f"{what}: no criteria given (it is empty); list the criteria.")
    _check_names(names, what, problems)
    if problems:
        raise InputError(problems)
    return names, values


def _check_names(names: Sequence[Hashable], what: str, problems: list[str], hint: str = "") -> None:
    """Report duplicated or blank criterion names."""
    counts = pd.Series(list(names), dtype=object).value_counts(sort=False)
    for name, count in counts[counts > 1].items():
        problems.append(f"{what}: criterion {_show(name)} appears {count} times{hint}.")
    if any(_is_blank(name) for name in names):
        problems.append(f"{what}: a criterion name is blank; name every criterion.")


def _as_weights(names: Sequence[Hashable], values: np.ndarray) -> pd.Series:
    """Normalise non-negative numbers (not all zero) to a Series of weights summing to 1."""
    values = np.asarray(values, dtype="float64")
    values = values / values.max()  # first to the largest, so the sum cannot overflow
    return pd.Series(
        values / values.sum(), index=pd.Index(list(names), name="criterion"), name="weight"
    )
