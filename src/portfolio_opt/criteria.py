"""The criteria table: what each criterion is, how it is weighted and normalised.

Criteria are data, a table with one row per criterion:

- ``criterion`` and ``weight`` (required); ``direction`` (``max``/``min``);
- ``parent``: the criterion one level up in a hierarchy (weights are then local among
  siblings, see :func:`portfolio_opt.weighting.hierarchy_weights`); parents are not
  projects columns, leaves are;
- ``normalisation`` (:class:`Normalisation`), ``value_function`` (:class:`ValueFunction`),
  ``unit`` (informational) and ``missing`` (:class:`MissingPolicy`).

This module reads and checks such a table against the projects table; the arithmetic is in
:mod:`portfolio_opt.scoring`. See ``docs/scoring.md`` for the rules in prose.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import numpy as np
import pandas as pd

from portfolio_opt._words import is_blank, quote
from portfolio_opt.exceptions import InputError, describe_ids
from portfolio_opt.weighting import WeightScale, hierarchy_weights

if TYPE_CHECKING:
    from portfolio_opt.portfolio import Portfolio

__all__ = ["Criteria", "Direction", "MissingPolicy", "Normalisation", "ValueFunction"]

Criteria: TypeAlias = pd.DataFrame | pd.Series | Mapping[Hashable, float] | None
"""What :func:`portfolio_opt.scoring.score` and its siblings accept as ``criteria``."""

_OPTIONAL_COLUMNS = ("direction", "parent", "normalisation", "value_function", "unit", "missing")
_CRITERIA_COLUMNS = ("criterion", "weight", *_OPTIONAL_COLUMNS)
_COLUMN_ALIASES = {"normalization": "normalisation"}
_COLUMNS_HINT = (
    "the columns are 'criterion', 'weight' and optionally 'direction', 'parent', "
    "'normalisation', 'value_function', 'unit', 'missing'."
)
_SHOW = 5  # how many offending values a message names before summarising


_O = TypeVar("_O", bound="_Option")


class _Option(str, Enum):
    """A string option read from a table cell or keyword, case-insensitively, with aliases."""

    @classmethod
    def parse(cls: type[_O], value: object) -> _O:
        """Read the option from a cell; raise ``ValueError`` if it is not a known one."""
        if isinstance(value, cls):
            return value
        key: Any = value.strip().lower() if isinstance(value, str) else value
        try:
            return cls(_ALIASES.get(key, key))
        except (ValueError, TypeError):
            raise ValueError(f"unknown {cls.__name__.lower()} {value!r}") from None

    @classmethod
    def valid(cls) -> str:
        """List the valid values for an error message."""
        return ", ".join(repr(m.value) for m in cls)


class Direction(_Option):
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


_VALID_DIRECTIONS = "'max' or 'min' (also 'maximise'/'maximize', 'minimise'/'minimize')"
_ALIASES = {  # spellings read as another value (the values of the option enums are unique)
    "maximise": "max",
    "maximize": "max",
    "minimise": "min",
    "minimize": "min",
    "min-max": "minmax",
    "min_max": "minmax",
    "value function": "value_function",
    "value-function": "value_function",
}


class Normalisation(_Option):
    """How a criterion's raw scores are put on [0, 1] (1 = best); see ``docs/scoring.md``.

    Examples
    --------
    >>> Normalisation.parse("Min-Max")
    <Normalisation.MINMAX: 'minmax'>
    """

    MINMAX = "minmax"
    """``(x - worst) / (best - worst)`` over the projects; all equal: 1.0."""
    RATIO = "ratio"
    """``x / best`` (direction max) or ``best / x`` (direction min)."""
    RANK = "rank"
    """The distinct values in order, spread evenly: best 1, worst 0."""
    VALUE_FUNCTION = "value_function"
    """A piecewise-linear :class:`ValueFunction` given in the ``value_function`` column."""


class MissingPolicy(_Option):
    """What a project without a score (NaN) on a criterion gets; see ``docs/scoring.md``.

    The criterion is first normalised over the projects that have a score.

    Examples
    --------
    >>> MissingPolicy("worst")
    <MissingPolicy.WORST: 'worst'>
    """

    ERROR = "error"
    """Missing scores are an error naming the projects and the criterion (default)."""
    WORST = "worst"
    """As bad as the worst project with a score: the lowest normalised value."""
    MEAN = "mean"
    """Average: the mean normalised value of the projects with a score."""
    ZERO = "zero"
    """The bottom of the scale: normalised 0, the criterion contributes nothing."""


_SUFFIXES = {"": 1.0, "k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9}
_NUMBER = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*(k|m|mn|bn)?\s*$", re.I)
_ARROW = re.compile(r"\s*(?::|->|→)\s*")


@dataclass(frozen=True)
class ValueFunction:
    """A piecewise-linear value function: raw score -> value in [0, 1].

    The value of a raw score is read off the straight lines between the points; below the
    first point it is the first point's value and above the last the last point's value
    (clamped). The function itself says which end is good, so a criterion's ``direction`` is
    ignored when it has a value function.

    Parameters
    ----------
    x : tuple of float
        Raw scores of the points, finite and strictly increasing (at least two).
    value : tuple of float
        Values at those scores, in [0, 1].

    Examples
    --------
    >>> cost = ValueFunction.parse("0: 1.0, 5M: 0.2")  # "cost 0 -> 1.0, 5 M -> 0.2"
    >>> cost
    ValueFunction(x=(0.0, 5000000.0), value=(1.0, 0.2))
    >>> cost([0, 2_500_000, 5_000_000, 8_000_000]).round(3).tolist()
    [1.0, 0.6, 0.2, 0.2]
    """

    x: tuple[float, ...]
    value: tuple[float, ...]

    def __post_init__(self) -> None:
        x = np.asarray(self.x, dtype="float64")
        v = np.asarray(self.value, dtype="float64")
        if x.ndim != 1 or x.shape != v.shape or len(x) < 2:
            raise ValueError("a value function needs at least two points (x, value)")
        if not np.isfinite(x).all() or (np.diff(x) <= 0).any():
            raise ValueError(
                f"the scores x must be finite and strictly increasing; got {_numbers(x)}"
            )
        if not np.isfinite(v).all() or (v < 0).any() or (v > 1).any():
            raise ValueError(f"the values must lie in [0, 1]; got {_numbers(v)}")
        object.__setattr__(self, "x", tuple(float(a) for a in x))
        object.__setattr__(self, "value", tuple(float(a) for a in v))

    @classmethod
    def parse(cls, spec: object) -> ValueFunction:
        """Read a value function from a table cell.

        Parameters
        ----------
        spec : str, dict, sequence of pairs or ValueFunction
            Text such as ``"0: 1.0, 5000: 0.2"`` (points ``x: value`` separated by commas or
            semicolons; ``->`` or ``→`` may replace ``:``; ``x`` may carry the suffix ``k``
            (thousand), ``M``/``mn`` (million) or ``bn`` (billion), e.g. ``5M``; no thousands
            separators), a dict ``{x: value}`` or a sequence of ``(x, value)`` pairs, in
            increasing ``x``.

        Returns
        -------
        ValueFunction

        Raises
        ------
        ValueError
            If the text cannot be read or the points are invalid (the message says why).
        """
        if isinstance(spec, ValueFunction):
            return spec
        if isinstance(spec, str):
            pairs = []
            for item in filter(None, (p.strip() for p in re.split(r"[,;]", spec))):
                parts = _ARROW.split(item)
                if len(parts) != 2:
                    raise ValueError(f"point {item!r} is not of the form 'x: value'")
                pairs.append((_number(parts[0], item), _number(parts[1], item, suffix=False)))
        elif isinstance(spec, Mapping):
            pairs = list(spec.items())
        elif isinstance(spec, (list, tuple, np.ndarray)):
            pairs = [tuple(p) for p in spec]
            if any(len(p) != 2 for p in pairs):
                raise ValueError("each point must be a pair (x, value)")
        else:
            raise ValueError(f"expected text such as '0: 1.0, 5000: 0.2'; got {spec!r}")
        if len(pairs) < 2:
            raise ValueError("a value function needs at least two points (x, value)")
        try:
            x, v = (tuple(float(a) for a in column) for column in zip(*pairs))
        except (TypeError, ValueError):
            raise ValueError("the points must be numbers") from None
        return cls(x, v)

    def __call__(self, values: Any) -> np.ndarray:
        """Return the value of each raw score (NaN stays NaN)."""
        return np.interp(np.asarray(values, dtype="float64"), self.x, self.value)

    def __str__(self) -> str:
        return ", ".join(f"{_plain(a)}: {_plain(b)}" for a, b in zip(self.x, self.value))


def _number(text: str, item: str, suffix: bool = True) -> float:
    """Read one number of a value-function point, with a k/M/bn suffix if allowed."""
    match = _NUMBER.match(text)
    if not match or (match.group(2) and not suffix):
        raise ValueError(f"cannot read {text.strip()!r} as a number in point {item!r}")
    return float(match.group(1)) * _SUFFIXES[(match.group(2) or "").lower()]


def _plain(value: float) -> str:
    """Write a float without a useless '.0'."""
    return f"{value:.15g}"


def _numbers(values: np.ndarray) -> str:
    return ", ".join(_plain(v) for v in values)


@dataclass(frozen=True)
class _Rule:
    """How one leaf criterion is normalised."""

    direction: Direction
    method: Normalisation
    function: ValueFunction | None
    missing: MissingPolicy
    unit: str | None


@dataclass(frozen=True)
class _Checked:
    """A checked criteria table: as returned to the Portfolio, its hierarchy and leaf rules."""

    table: pd.DataFrame
    hierarchy: pd.DataFrame
    rules: dict[Hashable, _Rule]  # leaf criteria, in table order


def _check(
    portfolio: Portfolio,
    projects: pd.DataFrame,
    criteria: Criteria,
    missing: MissingPolicy | str,
    weight_scale: WeightScale | str,
    *,
    scores: bool = True,
) -> _Checked:
    """Check everything about the criteria; ``scores=False`` does not look at the scores."""
    try:
        default_policy = MissingPolicy.parse(missing)
    except ValueError:
        raise InputError(
            f"missing: unknown policy {quote(missing)}; valid policies are {MissingPolicy.valid()}."
        ) from None
    scale = WeightScale.parse(weight_scale)
    table = _as_table(portfolio, criteria)
    problems: list[str] = []

    names = table["criterion"]
    counts = names.value_counts(sort=False, dropna=False)
    for name, count in counts[counts > 1].items():
        problems.append(
            f"criteria table: criterion {quote(name)} appears {count} times; give each criterion "
            "one row (add the weights together if that is what was meant)."
        )

    weights = pd.to_numeric(table["weight"], errors="coerce").astype("float64")
    bad = ~np.isfinite(weights.to_numpy()) | (weights.to_numpy() < 0)
    if bad.any():
        shown = ", ".join(
            f"{quote(name)}: {quote(value)}"
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

    column = table.get("parent", pd.Series([None] * len(table), dtype=object))
    parents = [None if is_blank(p) else p for p in column]
    internal = {p for p in parents if p is not None}
    rows = [_row(row, internal, default_policy, problems) for row in _records(table)]
    rules = {name: rule for name, rule in zip(names, rows) if rule is not None}

    hierarchy = pd.DataFrame()
    if not problems:
        try:
            tree = pd.DataFrame({"criterion": names, "weight": weights, "parent": parents})
            hierarchy = hierarchy_weights(tree, weight_scale=scale)
        except InputError as error:
            problems.extend(error.problems)

    problems.extend(_check_columns(projects, rules, scores))
    if problems:
        raise InputError(problems)

    result = {
        "criterion": names.tolist(),
        "weight": weights.tolist(),
        "direction": [r.direction if r else Direction.MAX for r in rows],
    }
    if "parent" in table.columns:
        result["parent"] = parents
    for key in ("normalisation", "value_function", "unit", "missing"):
        if key in table.columns:
            result[key] = [_canonical(key, cell) for cell in table[key]]
    return _Checked(pd.DataFrame(result), hierarchy, rules)


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """List the rows of the criteria table as dicts (absent optional columns as None)."""
    return [
        {key: (row[key] if key in row else None) for key in _CRITERIA_COLUMNS}
        for row in table.to_dict("records")
    ]


def _row(
    row: dict[str, Any], internal: set, default: MissingPolicy, problems: list[str]
) -> _Rule | None:
    """Read one criterion's rule (None for a parent criterion); report problems."""
    name = row["criterion"]
    direction = Direction.MAX
    if not is_blank(row["direction"]):
        try:
            direction = Direction.parse(row["direction"])
        except ValueError:
            problems.append(
                f"criteria table: criterion {quote(name)} has unknown direction "
                f"{quote(row['direction'])}; valid directions are {_VALID_DIRECTIONS}."
            )
    method = None
    if not is_blank(row["normalisation"]):
        try:
            method = Normalisation.parse(row["normalisation"])
        except ValueError:
            problems.append(
                f"criteria table: criterion {quote(name)} has unknown normalisation "
                f"{quote(row['normalisation'])}; valid ones are {Normalisation.valid()}."
            )
    function = None
    if not is_blank(row["value_function"]):
        try:
            function = ValueFunction.parse(row["value_function"])
        except ValueError as reason:
            problems.append(
                f"criteria table: criterion {quote(name)} has an invalid value_function "
                f"{quote(row['value_function'])}: {reason}. Write points 'x: value' with x "
                "strictly increasing and values in [0, 1], e.g. '0: 1.0, 5M: 0.2'."
            )
    policy = default
    if not is_blank(row["missing"]):
        try:
            policy = MissingPolicy.parse(row["missing"])
        except ValueError:
            problems.append(
                f"criteria table: criterion {quote(name)} has unknown missing-score policy "
                f"{quote(row['missing'])}; valid policies are {MissingPolicy.valid()}."
            )
    if name in internal:
        if method is not None or not is_blank(row["value_function"]):
            problems.append(
                f"criteria table: criterion {quote(name)} has sub-criteria, so it is scored "
                "through them; leave its 'normalisation' and 'value_function' empty and give "
                "them to its leaf criteria."
            )
        return None
    if method is Normalisation.VALUE_FUNCTION and is_blank(row["value_function"]):
        problems.append(
            f"criteria table: criterion {quote(name)} has normalisation 'value_function' but "
            "no value function; fill in its 'value_function' cell, e.g. '0: 1.0, 5M: 0.2'."
        )
    elif function is not None and method not in (None, Normalisation.VALUE_FUNCTION):
        problems.append(
            f"criteria table: criterion {quote(name)} has both normalisation "
            f"{quote(method)} and a value_function; keep one of them."
        )
    if function is not None:
        method = Normalisation.VALUE_FUNCTION
    unit = None if is_blank(row["unit"]) else str(row["unit"]).strip()
    return _Rule(direction, method or Normalisation.MINMAX, function, policy, unit)


def _canonical(key: str, cell: Any) -> Any:
    """Clean a cell for the checked table: None when blank, options as canonical strings."""
    if is_blank(cell):
        return None
    if key == "normalisation":
        return Normalisation.parse(cell).value
    if key == "missing":
        return MissingPolicy.parse(cell).value
    return cell


def _as_table(portfolio: Portfolio, criteria: Criteria) -> pd.DataFrame:
    """Bring any accepted form of ``criteria`` to a fresh object table (columns as given).

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
        table = criteria.rename(columns=_COLUMN_ALIASES)
        if "criterion" not in table.columns and table.index.name == "criterion":
            table = table.reset_index()
        unknown = [c for c in table.columns if c not in _CRITERIA_COLUMNS]
        missing = [c for c in ("criterion", "weight") if c not in table.columns]
        problems = []
        if unknown:
            problems.append(
                f"criteria table: unknown column(s) {', '.join(map(quote, unknown))}; "
                + _COLUMNS_HINT
            )
        if missing:
            problems.append(
                f"criteria table: missing column(s) {', '.join(map(quote, missing))}; "
                + _COLUMNS_HINT
            )
        if problems:
            raise InputError(problems)
        table = table.astype(object)
    elif isinstance(criteria, (pd.Series, Mapping)):
        names = criteria.index.tolist() if isinstance(criteria, pd.Series) else list(criteria)
        weights = criteria.tolist() if isinstance(criteria, pd.Series) else list(criteria.values())
        table = pd.DataFrame({"criterion": names, "weight": weights}, dtype=object)
    else:
        raise InputError(
            f"criteria must be a DataFrame (criterion, weight[, direction, ...]), a Series of "
            f"weights indexed by criterion, a dict {{criterion: weight}} or None; got "
            f"{type(criteria).__name__}."
        )
    if not len(table):
        raise InputError(
            "criteria table: no criteria given (it is empty); list at least one criterion "
            "with a positive weight."
        )
    return table.reset_index(drop=True)


def _check_columns(
    projects: pd.DataFrame, rules: Mapping[Hashable, _Rule], scores: bool
) -> list[str]:
    """Problems with the leaf criterion columns of the projects table."""
    problems = []
    numeric = [c for c in projects.columns if _is_numeric(projects[c])]
    for name, rule in rules.items():
        if name not in projects.columns:
            problems.append(
                f"criteria table: criterion {quote(name)} is not a column of the projects table; "
                f"numeric columns available: {', '.join(map(str, numeric)) or 'none'}. Fix "
                "the name or add the column to the projects table (a criterion with "
                "sub-criteria is named in their 'parent' cells)."
            )
            continue
        column = projects[name]
        if not _is_numeric(column):
            examples = ", ".join(quote(v) for v in column.dropna().unique()[:3])
            problems.append(
                f"projects table: criterion column {quote(name)} is not numeric (dtype "
                f"{column.dtype}, values such as {examples or 'none'}); convert it to numbers "
                "(e.g. with pd.to_numeric) or choose another criterion."
            )
            continue
        if scores:
            problems.extend(_check_scores(projects.index, name, column, rule))
    return problems


def _check_scores(ids: pd.Index, name: Any, column: pd.Series, rule: _Rule) -> list[str]:
    """Problems with the scores of one leaf criterion: missing, infinite, unusable by ratio."""
    problems = []
    values = column.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(values)
    if missing.all() and len(values):
        problems.append(
            f"projects table: criterion column {quote(name)} has no scores at all; fill "
            "them in or remove the criterion."
        )
    elif missing.any() and rule.missing is MissingPolicy.ERROR:
        problems.append(
            f"projects table: criterion column {quote(name)} has missing (NaN) scores for "
            f"{describe_ids(ids[missing], limit=_SHOW)}; fill them in or remove those "
            "projects, or choose a policy for missing scores: missing='worst', 'mean' or "
            "'zero' (keyword of score/ranking/normalised) or a 'missing' column in the "
            "criteria table."
        )
    infinite = np.isinf(values)
    if infinite.any():
        problems.append(
            f"projects table: criterion column {quote(name)} has infinite scores for "
            f"{describe_ids(ids[infinite], limit=_SHOW)}; use finite numbers."
        )
    if rule.method is Normalisation.RATIO and rule.function is None:
        problems.extend(_check_ratio(ids, name, values, rule.direction))
    return problems


def _check_ratio(ids: pd.Index, name: Any, values: np.ndarray, direction: Direction) -> list[str]:
    """Ratio to the best needs values >= 0 (direction max) or > 0 (direction min)."""
    if direction is Direction.MAX:
        bad, need, has = values < 0, "values >= 0 (x / best)", "negative values"
    else:
        bad, need, has = values <= 0, "values > 0 (best / x)", "values <= 0"
    if not bad.any():
        return []
    examples = ", ".join(quote(v) for v in values[bad][:3])
    return [
        f"projects table: criterion column {quote(name)} uses normalisation 'ratio' with "
        f"direction {quote(direction)}, which needs {need}; it has {has} for "
        f"{describe_ids(ids[bad], limit=_SHOW)} (e.g. {examples}). Use normalisation "
        "'minmax' or a value_function for this criterion."
    ]


def _is_numeric(column: pd.Series) -> bool:
    """Tell whether a column holds numbers or booleans (a yes/no criterion counts as 1/0)."""
    return pd.api.types.is_numeric_dtype(column.dtype)
