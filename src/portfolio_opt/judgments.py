"""Pairwise judgments as the steering group gives them: numbers, fractions and verbal labels.

Reads comparisons given as a mapping ``{(a, b): v}``, a square reciprocal matrix or a long
table ``a, b, value``; accepts Saaty's 1-9 verbal scale and the seven-level driver scale of
Microsoft Project's portfolio analysis; checks reciprocity, duplicates and that the compared
pairs connect all criteria. The weights themselves are computed in :mod:`portfolio_opt.ahp`.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import InputError

__all__ = ["RECIPROCAL_TOLERANCE", "verbal_scale"]

RECIPROCAL_TOLERANCE = 0.005
"""Two judgments of a pair agree if the smaller is within this of the larger's reciprocal.

So reciprocals typed with two decimals are accepted (``0.33`` for 1/3, ``0.13`` for 1/8).
"""

_LONG_COLUMNS = ("a", "b", "value")


# --------------------------------------------------------------------------------------------
# verbal scales

_SAATY_LEVELS = (  # value, adverb, noun (Saaty's fundamental scale, 2, 4, 6, 8 intermediate)
    (1, "equally", "equal"),
    (2, "equally to moderately", "equal to moderate"),
    (3, "moderately", "moderate"),
    (4, "moderately to strongly", "moderate to strong"),
    (5, "strongly", "strong"),
    (6, "strongly to very strongly", "strong to very strong"),
    (7, "very strongly", "very strong"),
    (8, "very strongly to extremely", "very strong to extreme"),
    (9, "extremely", "extreme"),
)
# Microsoft Project's seven driver-prioritisation levels onto Saaty's scale: THIS LIBRARY'S
# CHOICE (9, 5, 3, 1 and reciprocals), not numbers documented by Microsoft.
_MS_PROJECT = (
    ("extremely more important", 9.0),
    ("much more important", 5.0),
    ("more important", 3.0),
    ("as important as", 1.0),
    ("less important", 1 / 3),
    ("much less important", 1 / 5),
    ("extremely less important", 1 / 9),
)


def verbal_scale() -> pd.DataFrame:
    """List the verbal judgments :func:`ahp` accepts, with the number each stands for.

    Saaty's fundamental 1-9 scale ("equally important" = 1, "moderately more important" = 3,
    "strongly" = 5, "very strongly" = 7, "extremely" = 9, and the intermediate values 2, 4,
    6, 8 as "equally to moderately", ...), each also as "... less important" (the reciprocal),
    and the seven levels of Microsoft Project's business-driver prioritisation mapped onto
    Saaty's scale by this library (9, 5, 3, 1, 1/3, 1/5, 1/9; see ``docs/ahp.md``). Labels are
    matched case-insensitively; a leading "is" and a trailing "than" are ignored, and the
    adverb alone ("strongly") or the noun form ("strong importance") also work.

    Returns
    -------
    pandas.DataFrame
        Columns ``label``, ``value`` (a is ``value`` times as important as b), ``scale``
        (``"saaty"`` or ``"ms_project"``).

    Examples
    --------
    >>> table = verbal_scale()
    >>> table[table["scale"] == "ms_project"]["value"].round(3).tolist()
    [9.0, 5.0, 3.0, 1.0, 0.333, 0.2, 0.111]
    >>> table.loc[4, "label"], float(table.loc[4, "value"])
    ('strongly more important', 5.0)
    """
    rows = [("equally important", 1.0, "saaty")]
    rows += [(f"{adv} more important", float(v), "saaty") for v, adv, _ in _SAATY_LEVELS[1:]]
    rows += [(f"{adv} less important", 1 / v, "saaty") for v, adv, _ in _SAATY_LEVELS[1:]]
    rows += [(label, value, "ms_project") for label, value in _MS_PROJECT]
    return pd.DataFrame(rows, columns=["label", "value", "scale"])


def _verbal_aliases() -> dict[str, float]:
    """Every accepted spelling (normalised) -> value."""
    aliases: dict[str, float] = {label: value for label, value in _MS_PROJECT}
    for value, adverb, noun in _SAATY_LEVELS:
        aliases[f"{noun} importance"] = float(value)
        if value == 1:
            aliases.update(dict.fromkeys(("equally", "equal", "equally important"), 1.0))
            aliases.update(dict.fromkeys(("as important", "equally important as"), 1.0))
            continue
        aliases[adverb] = float(value)
        aliases[f"{adverb} more important"] = float(value)
        aliases[f"{adverb} less important"] = 1 / value
    return aliases


def _normalise_label(text: str) -> str:
    text = re.sub(r"[\s_\-]+", " ", text.strip().lower())
    text = re.sub(r"^is ", "", text)
    return re.sub(r" than$", "", text)


def _valid_labels() -> str:
    table = verbal_scale()
    shown = [
        f"{label!r} ({Fraction(value).limit_denominator(9)})"
        for label, value, scale in table.itertuples(index=False)
        if scale == "ms_project" or value >= 1
    ]
    return (
        f"valid labels are {', '.join(shown)}; Saaty's labels also with 'less important' for "
        "the reciprocal (e.g. 'strongly less important' = 1/5); or a number such as 3 or '1/3'"
    )


# --------------------------------------------------------------------------------------------
# parsing


@dataclass(frozen=True)
class _Judgment:
    """One given pair: ``a`` over ``b`` as typed (``given``), ``value`` in index order."""

    a: Hashable
    b: Hashable
    given: float
    value: float


def _number(raw: Any, aliases: dict[str, float]) -> float | str:
    """Read a judgment as a positive finite float, or return the problem (str) with it."""
    if isinstance(raw, str):
        text = raw.strip()
        try:
            value = float(Fraction(text.replace(" ", "")))
        except (ValueError, ZeroDivisionError):
            key = _normalise_label(text)
            if key not in aliases:
                return f"unknown verbal judgment {raw!r}; {_valid_labels()}."
            value = aliases[key]
    elif isinstance(raw, (bool, np.bool_)) or not isinstance(raw, Real):
        return f"judgment {raw!r} is not a number or a verbal label."
    else:
        value = float(raw)
    if not np.isfinite(value) or value <= 0:
        return (
            f"judgment {raw!r} is not a positive finite number; use a value > 0 such as 3 "
            "(3 times as important) or 1/3."
        )
    return value


def _is_blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _parse(
    comparisons: Any, source: str
) -> tuple[list[Hashable], dict[tuple[int, int], _Judgment]]:
    """Criteria in order and the judgments keyed by index pair (i < j)."""
    aliases = _verbal_aliases()
    problems: list[str] = []
    triples: list[tuple[Hashable, Hashable, float]] = []
    names: list[Hashable] = []
    if isinstance(comparisons, pd.DataFrame) and _is_square(comparisons):
        names, triples = _parse_matrix(comparisons, aliases, source, problems)
    else:
        if isinstance(comparisons, pd.DataFrame):
            missing = [c for c in _LONG_COLUMNS if c not in comparisons.columns]
            if missing:
                raise InputError(
                    f"{source}: a DataFrame must be a square matrix (the same criteria as index "
                    "and columns) or a table with columns 'a', 'b', 'value'; missing "
                    f"{', '.join(map(repr, missing))}."
                )
            items = [
                ((a, b), v)
                for a, b, v in comparisons[list(_LONG_COLUMNS)].itertuples(index=False, name=None)
            ]
        elif isinstance(comparisons, Mapping):
            items = list(comparisons.items())
        else:
            raise InputError(
                f"{source}: expected a mapping {{(a, b): value}}, a square DataFrame or a table "
                f"a, b, value; got {type(comparisons).__name__}."
            )
        for key, raw in items:
            if not isinstance(key, tuple) or len(key) != 2:
                problems.append(f"{source}: key {key!r} is not a pair (a, b).")
                continue
            a, b = key
            value = _number(raw, aliases)
            if isinstance(value, str):
                problems.append(f"{source}: ({a!r}, {b!r}): {value}")
                continue
            names.extend(c for c in (a, b) if c not in names)
            if a == b:
                if abs(value - 1) > 1e-9:
                    problems.append(
                        f"{source}: ({a!r}, {a!r}) compares a criterion with itself with "
                        f"{raw!r}; a self-comparison can only be 1 (or leave it out)."
                    )
                continue
            triples.append((a, b, value))
    position = {c: k for k, c in enumerate(names)}
    judged: dict[tuple[int, int], _Judgment] = {}
    for a, b, given in triples:
        i, j = position[a], position[b]
        key = (min(i, j), max(i, j))
        value = given if i < j else 1 / given
        if key in judged:
            old = judged[key]
            if not _reciprocal(value, 1 / old.value):
                problems.append(
                    f"{source}: the pair ({a!r}, {b!r}) is given twice with different values: "
                    f"({old.a!r}, {old.b!r}): {old.given:g} and ({a!r}, {b!r}): {given:g} "
                    f"(which means ({old.a!r}, {old.b!r}): {old.given * value / old.value:.4g});"
                    " keep one of them."
                )
            elif old.given < 1 <= given:  # keep the value typed on the scale (3, not 0.33)
                judged[key] = _Judgment(a, b, given, value)
            continue
        judged[key] = _Judgment(a, b, given, value)
    if len(names) < 2 and not problems:
        problems.append(
            f"{source}: fewer than two criteria ({', '.join(map(repr, names)) or 'none'}); "
            "AHP compares at least two criteria."
        )
    if not problems:
        problems.extend(_disconnected(names, judged, source))
    if problems:
        raise InputError(problems)
    return names, judged


def _reciprocal(x: float, y: float) -> bool:
    """Tell whether ``x`` and ``y`` are reciprocal, up to two-decimal rounding of the smaller."""
    small, large = min(x, y), max(x, y)
    return abs(small - 1 / large) <= RECIPROCAL_TOLERANCE + 1e-12 * large


def _is_square(frame: pd.DataFrame) -> bool:
    return frame.shape[0] == frame.shape[1] and set(frame.index) == set(frame.columns)


def _parse_matrix(
    frame: pd.DataFrame, aliases: dict[str, float], source: str, problems: list[str]
) -> tuple[list[Hashable], list[tuple[Hashable, Hashable, float]]]:
    names = list(frame.index)
    if len(set(names)) != len(names) or not frame.columns.is_unique:
        problems.append(f"{source}: the matrix lists a criterion twice; name each once.")
        return names, []
    frame = frame.reindex(columns=names)
    cells = frame.to_numpy(dtype=object)
    values: dict[tuple[int, int], float] = {}
    for i in range(len(names)):
        for j in range(len(names)):
            if _is_blank(cells[i, j]):
                continue
            value = _number(cells[i, j], aliases)
            if isinstance(value, str):
                problems.append(f"{source}: matrix[{names[i]!r}, {names[j]!r}]: {value}")
            elif i == j and abs(value - 1) > 1e-9:
                problems.append(
                    f"{source}: matrix[{names[i]!r}, {names[i]!r}] = {cells[i, i]!r}; the "
                    "diagonal (a criterion compared with itself) must be 1."
                )
            elif i != j:
                values[(i, j)] = value
    triples = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            upper, lower = values.get((i, j)), values.get((j, i))
            if upper is not None and lower is not None:
                if not _reciprocal(upper, lower):
                    problems.append(
                        f"{source}: the matrix is not reciprocal: [{names[i]!r}, {names[j]!r}] "
                        f"= {upper:g} but [{names[j]!r}, {names[i]!r}] = {lower:g} (should be "
                        f"{1 / upper:.4g}); fix one of them or leave one blank."
                    )
                    continue
                if upper < 1 <= lower:  # keep the value typed on the scale (3, not 0.33)
                    upper = None
            if upper is not None:
                triples.append((names[i], names[j], upper))
            elif lower is not None:
                triples.append((names[j], names[i], lower))
    return names, triples


def _disconnected(
    names: list[Hashable], judged: Mapping[tuple[int, int], _Judgment], source: str
) -> list[str]:
    """Name the groups (as a one-element list) if the compared pairs do not connect them."""
    groups = _components(len(names), judged)
    if len(groups) == 1:
        return []
    shown = "; ".join("{" + ", ".join(repr(names[k]) for k in g) + "}" for g in groups)
    return [
        f"{source}: the comparisons fall into {len(groups)} groups never compared with each "
        f"other: {shown}; compare at least one criterion of each group with one of another "
        "group."
    ]


def _components(n: int, judged: Mapping[tuple[int, int], _Judgment]) -> list[list[int]]:
    parent = list(range(n))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for i, j in judged:
        parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for k in range(n):
        groups.setdefault(root(k), []).append(k)
    return list(groups.values())
