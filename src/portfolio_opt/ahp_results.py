"""What the AHP gives: the result of one set of comparisons, of a group, of a criteria tree.

The dataclasses returned by :func:`portfolio_opt.ahp.ahp`, :func:`~portfolio_opt.ahp.group_ahp`
and :func:`~portfolio_opt.ahp.ahp_hierarchy` (import them from :mod:`portfolio_opt.ahp`), each
with the criteria table that :func:`portfolio_opt.scoring.score` accepts (``to_criteria``).
"""

from __future__ import annotations

import html
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pandas as pd

from portfolio_opt.exceptions import InputError
from portfolio_opt.scoring import Direction

__all__ = ["ACCEPTABLE_CR", "AHPHierarchy", "AHPResult", "GroupAHPResult", "Method"]

ACCEPTABLE_CR = 0.10
"""Saaty's threshold: a consistency ratio up to 0.10 is acceptable."""


class Method(str, Enum):
    """How weights are derived from a comparison matrix.

    Examples
    --------
    >>> Method("geometric_mean")
    <Method.GEOMETRIC_MEAN: 'geometric_mean'>
    """

    EIGENVECTOR = "eigenvector"
    """Saaty's principal (Perron) eigenvector; missing pairs completed by minimising λmax."""
    GEOMETRIC_MEAN = "geometric_mean"
    """Row geometric mean; with missing pairs, logarithmic least squares on the given ones."""


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True, eq=False, repr=False)
class AHPResult:
    """Weights from one set of pairwise comparisons, and how consistent the judgments were.

    Attributes
    ----------
    weights : pandas.Series
        Float weights summing to 1, indexed by criterion (in the order first given), named
        ``"weight"``.
    lambda_max : float
        Principal eigenvalue of the (completed) comparison matrix; ``n`` when consistent.
    consistency_index : float
        ``CI = (lambda_max - n) / (n - 1)`` (0 for one or two criteria).
    consistency_ratio : float
        ``CR = CI / RI(n)`` with Saaty's random index (:data:`RANDOM_INDEX`); 0 for ``n <= 2``,
        NaN for more than 10 criteria (the table stops at 10).
    random_index : float
        ``RI(n)`` used.
    matrix : pandas.DataFrame
        The reciprocal comparison matrix, missing pairs completed.
    method : Method
        How the weights were derived.
    inconsistency : pandas.DataFrame
        One row per judgment given, worst first: ``a``, ``b``, ``given`` (a over b as given),
        ``consistent_value`` (``w_a / w_b``, the value that agrees with the weights),
        ``error`` (Saaty's ``e_ab = given * w_b / w_a``; 1 when consistent),
        ``deviation`` (``max(error, 1 / error)``, sorted by) and ``cr_if_revised`` (the
        consistency ratio with this judgment set to its consistent value, the others held).
    completed : tuple of (a, b)
        The pairs that were not compared and were completed.
    """

    weights: pd.Series
    lambda_max: float
    consistency_index: float
    consistency_ratio: float
    random_index: float
    matrix: pd.DataFrame
    method: Method
    inconsistency: pd.DataFrame
    completed: tuple[tuple[Hashable, Hashable], ...] = ()

    @property
    def acceptable(self) -> bool:
        """Whether the consistency ratio is at most :data:`ACCEPTABLE_CR` (0.10)."""
        return bool(self.consistency_ratio <= ACCEPTABLE_CR)

    def to_frame(self) -> pd.DataFrame:
        """Weights with their rank (1 = most important), indexed by criterion."""
        rank = self.weights.rank(method="min", ascending=False).astype("int64")
        return pd.DataFrame({"weight": self.weights, "rank": rank})

    def to_criteria(self, directions: Any = None) -> pd.DataFrame:
        """Give the criteria table ``criterion, weight, direction`` that scoring accepts.

        Parameters
        ----------
        directions : str, Mapping or Series, optional
            ``"max"``/``"min"`` for every criterion, or per criterion (criteria not named
            are ``"max"``). Default: all ``"max"``.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> from portfolio_opt.ahp import ahp
        >>> result = ahp({("fit", "risk"): 3})
        >>> result.to_criteria({"risk": "min"})
          criterion  weight direction
        0       fit    0.75       max
        1      risk    0.25       min
        """
        names = self.weights.index.tolist()
        return pd.DataFrame(
            {
                "criterion": names,
                "weight": self.weights.to_numpy(),
                "direction": _directions(directions, names),
            }
        )

    def __repr__(self) -> str:
        weights = ", ".join(f"{k}: {v:.3f}" for k, v in self.weights.items())
        return (
            f"AHPResult({weights}; lambda_max={self.lambda_max:.4f}, "
            f"CR={self.consistency_ratio:.3f}, method={self.method.value!r})"
        )

    def _repr_html_(self) -> str:
        verdict = "acceptable" if self.acceptable else "revisit the judgments"
        caption = html.escape(
            f"λmax = {self.lambda_max:.4f}, CI = {self.consistency_index:.4f}, "
            f"CR = {self.consistency_ratio:.3f} ({verdict}); method {self.method.value}"
        )
        return f"<p>{caption}</p>" + self.to_frame().to_html(float_format="{:.4f}".format)


@dataclass(frozen=True, eq=False, repr=False)
class GroupAHPResult:
    """Several judges' comparisons combined by the geometric mean of their judgments (AIJ).

    Attributes
    ----------
    group : AHPResult
        The result of the aggregated judgments.
    judges : Mapping of name to AHPResult
        Each judge's own result (weights, consistency ratio, judgments to revisit).
    judge_weights : pandas.Series
        The judges' weights, normalised to sum to 1.
    """

    group: AHPResult
    judges: Mapping[Hashable, AHPResult]
    judge_weights: pd.Series

    @property
    def weights(self) -> pd.Series:
        """The group's weights."""
        return self.group.weights

    @property
    def consistency_ratio(self) -> float:
        """The consistency ratio of the aggregated judgments."""
        return self.group.consistency_ratio

    @property
    def acceptable(self) -> bool:
        """Whether the group's consistency ratio is at most 0.10."""
        return self.group.acceptable

    def summary(self) -> pd.DataFrame:
        """One row per judge and a last row ``"(group)"``: weights, λmax, CR, acceptable.

        A judge who did not compare a criterion has NaN as its weight.
        """
        rows = {**self.judges, "(group)": self.group}
        table = pd.DataFrame({name: r.weights for name, r in rows.items()}).T
        table = table.reindex(columns=self.group.weights.index)
        table["lambda_max"] = [r.lambda_max for r in rows.values()]
        table["consistency_ratio"] = [r.consistency_ratio for r in rows.values()]
        table["acceptable"] = [r.acceptable for r in rows.values()]
        table.index.name = "judge"
        table.columns.name = None
        return table

    def to_criteria(self, directions: Any = None) -> pd.DataFrame:
        """Give the group's criteria table (see :meth:`AHPResult.to_criteria`)."""
        return self.group.to_criteria(directions)

    def __repr__(self) -> str:
        return f"GroupAHPResult({len(self.judges)} judges; group: {self.group!r})"


@dataclass(frozen=True, eq=False, repr=False)
class AHPHierarchy:
    """Local and global weights of a criteria tree, one AHP per parent.

    Attributes
    ----------
    nodes : Mapping of parent (None = top) to AHPResult
        The comparisons of each parent's children.
    weights : pandas.DataFrame
        From :func:`portfolio_opt.weighting.hierarchy_weights`: indexed by criterion, columns
        ``parent``, ``level``, ``local_weight``, ``global_weight``, ``is_leaf``.
    """

    nodes: Mapping[Hashable | None, AHPResult]
    weights: pd.DataFrame

    @property
    def global_weights(self) -> pd.Series:
        """Global weights of the leaves (the project score columns), summing to 1."""
        leaves = self.weights[self.weights["is_leaf"]]
        return leaves["global_weight"].rename("weight")

    @property
    def consistency(self) -> pd.DataFrame:
        """One row per parent: ``node`` (None = top), ``n``, λmax, CI, CR, acceptable."""
        return pd.DataFrame(
            {
                "node": pd.Series(list(self.nodes), dtype=object),
                "n": [len(r.weights) for r in self.nodes.values()],
                "lambda_max": [r.lambda_max for r in self.nodes.values()],
                "consistency_index": [r.consistency_index for r in self.nodes.values()],
                "consistency_ratio": [r.consistency_ratio for r in self.nodes.values()],
                "acceptable": [r.acceptable for r in self.nodes.values()],
            }
        )

    @property
    def acceptable(self) -> bool:
        """Whether every node's consistency ratio is at most 0.10."""
        return all(r.acceptable for r in self.nodes.values())

    def to_criteria(self, directions: Any = None) -> pd.DataFrame:
        """Give the criteria table ``criterion, weight, direction, parent`` (local weights).

        Leaves are the project score columns; ``direction`` is set on leaves only (blank on
        parents). ``directions`` as for :meth:`AHPResult.to_criteria`, naming leaves.
        """
        table = self.weights
        leaves = table.index[table["is_leaf"]].tolist()
        leaf_directions = dict(zip(leaves, _directions(directions, leaves)))
        return pd.DataFrame(
            {
                "criterion": table.index.tolist(),
                "weight": table["local_weight"].to_numpy(),
                "direction": pd.Series([leaf_directions.get(c) for c in table.index], dtype=object),
                "parent": pd.Series(table["parent"].tolist(), dtype=object),
            }
        )

    def __repr__(self) -> str:
        weights = ", ".join(f"{k}: {v:.3f}" for k, v in self.global_weights.items())
        return f"AHPHierarchy({len(self.nodes)} nodes; global leaf weights {weights})"


def _directions(directions: Any, names: list[Hashable]) -> list[str]:
    if directions is None:
        return ["max"] * len(names)
    if isinstance(directions, (str, Direction)):
        directions = dict.fromkeys(names, directions)
    if isinstance(directions, pd.Series):
        directions = directions.to_dict()
    if not isinstance(directions, Mapping):
        raise InputError(
            f"directions: expected 'max'/'min' or a mapping criterion -> direction; got "
            f"{type(directions).__name__}."
        )
    unknown = [k for k in directions if k not in set(names)]
    problems = []
    if unknown:
        problems.append(
            f"directions: {', '.join(map(repr, unknown))} not among the criteria "
            f"({', '.join(map(repr, names))}); fix the names."
        )
    out = []
    for name in names:
        try:
            out.append(Direction.parse(directions.get(name, "max")).value)
        except ValueError:
            problems.append(
                f"directions: criterion {name!r} has unknown direction "
                f"{directions[name]!r}; valid directions are 'max' and 'min'."
            )
    if problems:
        raise InputError(problems)
    return out
