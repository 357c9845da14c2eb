"""Criteria weights from pairwise comparisons: the Analytic Hierarchy Process (AHP).

The steering group says, for pairs of criteria, how many times more important one is than
the other ("strategic fit is 3 times as important as urgency", or in words, "moderately more
important"). :func:`ahp` turns these judgments into weights, says how consistent they were
(Saaty's consistency ratio) and which judgment to revisit; :func:`group_ahp` combines several
judges by the geometric mean of their judgments; :func:`ahp_hierarchy` gives local and global
weights in a criteria tree. Every result gives a criteria table that
:func:`portfolio_opt.scoring.score` accepts (``to_criteria``).

Missing comparisons are completed optimally (the completion minimising the principal
eigenvalue, Bozóki, Fülöp & Rónyai 2010) as long as the compared pairs connect all criteria.
See ``docs/ahp.md`` for the methods, the random index table and worked examples.
"""

from __future__ import annotations

import html
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from numbers import Real
from types import MappingProxyType
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from portfolio_opt.exceptions import InputError
from portfolio_opt.judgments import (
    RECIPROCAL_TOLERANCE,
    _disconnected,
    _Judgment,
    _parse,
    verbal_scale,
)
from portfolio_opt.scoring import Direction
from portfolio_opt.weighting import hierarchy_weights

__all__ = [
    "ACCEPTABLE_CR",
    "RANDOM_INDEX",
    "RECIPROCAL_TOLERANCE",
    "AHPHierarchy",
    "AHPResult",
    "Comparisons",
    "GroupAHPResult",
    "Method",
    "ahp",
    "ahp_hierarchy",
    "group_ahp",
    "verbal_scale",
]

Comparisons: TypeAlias = Mapping[tuple[Hashable, Hashable], Any] | pd.DataFrame
"""What :func:`ahp` accepts: ``{(a, b): v}``, a square matrix or a table ``a, b, value``."""

RANDOM_INDEX: Mapping[int, float] = MappingProxyType(
    {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}
)
"""Saaty's random index by number of criteria (Saaty 1980, *The Analytic Hierarchy Process*)."""

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


# --------------------------------------------------------------------------------------------
# public functions


def ahp(comparisons: Comparisons, *, method: Method | str = "eigenvector") -> AHPResult:
    """Weights of criteria from pairwise comparisons (Saaty's AHP).

    Parameters
    ----------
    comparisons : dict, DataFrame
        The judgments, as one of

        - a mapping ``{(a, b): v}``: criterion ``a`` is ``v`` times as important as ``b``.
          Either direction may be given; giving both is fine if they agree
          (``(b, a): 1/v``, within :data:`RECIPROCAL_TOLERANCE`). ``(a, a)`` may only be 1.
        - a square matrix (DataFrame whose index and columns are the criteria): entry
          ``[a, b]`` is a over b. The diagonal is 1 (or blank); where both ``[a, b]`` and
          ``[b, a]`` are given they must be reciprocal; a pair blank both ways is missing.
        - a long table with columns ``a, b, value``.

        ``v`` is a positive number, a fraction such as ``"1/3"``, or a verbal judgment
        (Saaty's 1-9 scale or Microsoft Project's driver scale, see :func:`verbal_scale`).
        Pairs not compared are completed (see Notes) if the compared pairs connect all
        criteria.
    method : {"eigenvector", "geometric_mean"}, default "eigenvector"
        Principal eigenvector (Saaty) or row geometric mean.

    Returns
    -------
    AHPResult

    Raises
    ------
    InputError
        For a non-positive, non-finite or unknown judgment, a pair given twice with different
        values, a self-comparison other than 1, a non-reciprocal matrix, fewer than two
        criteria, comparisons that do not connect all criteria (the groups are named) or an
        unknown method. All problems found are listed in one message.

    Notes
    -----
    The consistency ratio is ``CR = CI / RI(n)`` with ``CI = (lambda_max - n) / (n - 1)`` of the
    completed matrix and Saaty's random index (:data:`RANDOM_INDEX`), whatever the method.
    Missing pairs: with the eigenvector method they are set to minimise ``lambda_max``
    (Bozóki, Fülöp & Rónyai 2010), a convex problem in the logarithms of the missing entries;
    with the geometric mean method the weights are the logarithmic least squares solution on
    the given pairs (a graph Laplacian system) and missing entries are ``w_a / w_b``.

    Examples
    --------
    >>> result = ahp(
    ...     {
    ...         ("strategic_fit", "financial_return"): 2,
    ...         ("strategic_fit", "urgency"): "strongly more important",
    ...         ("financial_return", "urgency"): 3,
    ...     }
    ... )
    >>> result.weights.round(3)
    criterion
    strategic_fit       0.582
    financial_return    0.309
    urgency             0.109
    Name: weight, dtype: float64
    >>> round(result.consistency_ratio, 4), result.acceptable
    (0.0032, True)
    >>> ahp({("a", "b"): 2, ("b", "c"): 3}).matrix.loc["a", "c"]  # completed consistently
    np.float64(6.0...)
    """
    method = _method(method)
    names, judged = _parse(comparisons, "comparisons")
    return _solve(names, judged, method)


def group_ahp(
    judges: Mapping[Hashable, Comparisons],
    *,
    method: Method | str = "eigenvector",
    weights: Mapping[Hashable, float] | pd.Series | None = None,
) -> GroupAHPResult:
    """Combine several judges' comparisons by the (weighted) geometric mean of judgments.

    Parameters
    ----------
    judges : Mapping of judge name to comparisons
        Each judge's comparisons, in any form :func:`ahp` accepts. Judges may compare
        different subsets of the criteria.
    method : {"eigenvector", "geometric_mean"}, default "eigenvector"
    weights : Mapping or Series of judge name to weight, optional
        Positive weights of the judges (normalised); default equal. A pair compared by only
        some judges is their weighted geometric mean, weights renormalised among them.

    Returns
    -------
    GroupAHPResult
        The group result and each judge's own result.

    Raises
    ------
    InputError
        If there are no judges, a judge's comparisons are invalid (the judge is named), or the
        weights name unknown judges, miss judges, or are not finite and positive.

    Examples
    --------
    >>> result = group_ahp({"cfo": {("npv", "fit"): 4}, "cio": {("npv", "fit"): 1 / 4}})
    >>> result.weights.tolist()
    [0.5, 0.5]
    >>> result.summary()[["npv", "fit"]]
               npv  fit
    judge
    cfo        0.8  0.2
    cio        0.2  0.8
    (group)    0.5  0.5
    """
    method = _method(method)
    if not isinstance(judges, Mapping) or not judges:
        raise InputError(
            f"judges: give a non-empty mapping {{judge name: comparisons}}; got {judges!r}."
        )
    parsed: dict[Hashable, tuple[list[Hashable], dict[tuple[int, int], _Judgment]]] = {}
    problems: list[str] = []
    for name, comparisons in judges.items():
        try:
            parsed[name] = _parse(comparisons, f"judge {name!r}")
        except InputError as error:
            problems.extend(error.problems)
    shares = _judge_weights(weights, list(judges), problems)
    if problems:
        raise InputError(problems)

    individual = {name: _solve(n, j, method) for name, (n, j) in parsed.items()}
    names = list(dict.fromkeys(c for n, _ in parsed.values() for c in n))
    position = {c: k for k, c in enumerate(names)}
    logs: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for judge, (own, judged) in parsed.items():
        for (i, j), judgment in judged.items():
            a, b = position[own[i]], position[own[j]]
            log = np.log(judgment.value) if a < b else -np.log(judgment.value)
            logs.setdefault((min(a, b), max(a, b)), []).append((shares[judge], log))
    aggregated = {}
    for (a, b), pairs in logs.items():
        w = np.array([p[0] for p in pairs])
        value = float(np.exp(np.dot(w, [p[1] for p in pairs]) / w.sum()))
        aggregated[(a, b)] = _Judgment(names[a], names[b], value, value)
    disconnected = _disconnected(names, aggregated, "group")
    if disconnected:
        raise InputError(disconnected)
    group = _solve(names, aggregated, method)
    return GroupAHPResult(
        group=group,
        judges=MappingProxyType(individual),
        judge_weights=pd.Series(shares, name="weight", dtype="float64").rename_axis("judge"),
    )


def ahp_hierarchy(
    nodes: Mapping[Hashable | None, Any], *, method: Method | str = "eigenvector"
) -> AHPHierarchy:
    """Local and global weights of a criteria tree, from one set of comparisons per parent.

    Parameters
    ----------
    nodes : Mapping of parent to comparisons
        Key None: the comparisons of the top-level criteria; key ``c``: the comparisons of
        the children of criterion ``c``. A value is anything :func:`ahp` accepts, an
        :class:`AHPResult` or :class:`GroupAHPResult` already computed, or a one-element list
        ``[child]`` for a parent with a single child. Criteria that are no key are leaves:
        the project score columns.
    method : {"eigenvector", "geometric_mean"}, default "eigenvector"

    Returns
    -------
    AHPHierarchy
        Per node its AHPResult; local and global weights via
        :func:`portfolio_opt.weighting.hierarchy_weights`.

    Raises
    ------
    InputError
        If there is no top level (key None), a key is not a criterion of another node, a
        criterion appears under two parents, or a node's comparisons are invalid (named).

    Examples
    --------
    >>> tree = ahp_hierarchy(
    ...     {
    ...         None: {("value", "risk"): 3},
    ...         "value": {("npv", "fit"): 1},
    ...         "risk": ["delivery_risk"],
    ...     }
    ... )
    >>> tree.global_weights
    criterion
    npv              0.375
    fit              0.375
    delivery_risk    0.250
    Name: weight, dtype: float64
    >>> tree.to_criteria({"delivery_risk": "min"})
           criterion  weight direction parent
    0          value    0.75      None   None
    1           risk    0.25      None   None
    2            npv    0.50       max  value
    3            fit    0.50       max  value
    4  delivery_risk    1.00       min   risk
    """
    method = _method(method)
    if not isinstance(nodes, Mapping) or None not in nodes:
        raise InputError(
            "hierarchy: no top level; give the comparisons of the top-level criteria under the "
            "key None, e.g. {None: {('value', 'risk'): 3}, 'value': {...}}."
        )
    results: dict[Hashable | None, AHPResult] = {}
    problems: list[str] = []
    for node, value in nodes.items():
        where = "top level" if node is None else f"node {node!r}"  # "hierarchy top level: ..."
        try:
            results[node] = _node_result(value, method, where)
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)

    rows: list[tuple[Hashable, float, Hashable | None]] = []
    parent_of: dict[Hashable, Hashable | None] = {}
    queue: list[Hashable | None] = [None]
    while queue:
        node = queue.pop(0)
        for child, weight in results[node].weights.items():
            if child in parent_of:
                problems.append(
                    f"hierarchy: criterion {child!r} is compared under both "
                    f"{_node_name(parent_of[child])} and {_node_name(node)}; a criterion has "
                    "one parent (rename one of them)."
                )
                continue
            parent_of[child] = node
            rows.append((child, float(weight), node))
            if child in results:
                queue.append(child)
    orphans = [n for n in results if n is not None and n not in parent_of]
    if orphans:
        problems.append(
            f"hierarchy: {', '.join(map(repr, orphans))} have comparisons but are not compared "
            "under any parent; add them to their parent's comparisons or remove them."
        )
    if problems:
        raise InputError(problems)
    table = pd.DataFrame(rows, columns=["criterion", "weight", "parent"])
    return AHPHierarchy(nodes=MappingProxyType(results), weights=hierarchy_weights(table))


def _method(value: Any) -> Method:
    try:
        return Method(value)
    except ValueError:
        valid = ", ".join(repr(m.value) for m in Method)
        raise InputError(f"method: unknown method {value!r}; valid methods are {valid}.") from None


def _judge_weights(weights: Any, judges: list[Hashable], problems: list[str]) -> dict:
    if weights is None:
        return dict.fromkeys(judges, 1 / len(judges))
    if not isinstance(weights, (Mapping, pd.Series)):
        problems.append(
            f"weights: expected a mapping or Series judge -> weight; got {type(weights).__name__}."
        )
        return {}
    given = weights.to_dict() if isinstance(weights, pd.Series) else dict(weights)
    unknown = [k for k in given if k not in judges]
    missing = [k for k in judges if k not in given]
    if unknown or missing:
        problems.append(
            f"weights: judges must match the judges given; unknown: "
            f"{', '.join(map(repr, unknown)) or 'none'}; missing: "
            f"{', '.join(map(repr, missing)) or 'none'}."
        )
        return {}
    bad = {
        k: v
        for k, v in given.items()
        if isinstance(v, (bool, np.bool_))
        or not isinstance(v, Real)
        or not (np.isfinite(float(v)) and float(v) > 0)
    }
    if bad:
        problems.append(
            f"weights: judge weights must be finite numbers > 0; got "
            f"{', '.join(f'{k!r}: {v!r}' for k, v in bad.items())}."
        )
        return {}
    total = sum(float(v) for v in given.values())
    return {k: float(given[k]) / total for k in judges}


def _node_name(node: Hashable | None) -> str:
    return "the top level" if node is None else repr(node)


def _node_result(value: Any, method: Method, where: str) -> AHPResult:
    if isinstance(value, AHPResult):
        return value
    if isinstance(value, GroupAHPResult):
        return value.group
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 1:
        judged: dict[tuple[int, int], _Judgment] = {}
        names = [value[0]]
        return _solve(names, judged, method)
    if isinstance(value, (Mapping, pd.DataFrame)):
        names, judged = _parse(value, f"hierarchy {where}")
        return _solve(names, judged, method)
    raise InputError(
        f"hierarchy {where}: expected comparisons (a mapping or a DataFrame), an AHPResult or a "
        f"one-element list [child]; got {value!r}."
    )


# --------------------------------------------------------------------------------------------
# computation


def _perron(matrix: np.ndarray) -> tuple[float, np.ndarray]:
    """Principal eigenvalue (real part of the Perron root) and its eigenvector, summing to 1."""
    values, vectors = np.linalg.eig(matrix)
    k = int(np.argmax(values.real))
    vector = vectors[:, k].real
    return float(values[k].real), vector / vector.sum()


def _llsm(n: int, judged: Mapping[tuple[int, int], _Judgment]) -> np.ndarray:
    """Log weights (summing to 0) minimising the squared log errors on the given pairs."""
    laplacian = np.zeros((n, n))
    rhs = np.zeros(n)
    for (i, j), judgment in judged.items():
        log = np.log(judgment.value)
        laplacian[i, i] += 1
        laplacian[j, j] += 1
        laplacian[i, j] -= 1
        laplacian[j, i] -= 1
        rhs[i] += log
        rhs[j] -= log
    return np.linalg.solve(laplacian + 1.0, rhs)  # + 11^T fixes sum(y) = 0


def _complete_lambda(matrix: np.ndarray, missing: list[tuple[int, int]], x0: np.ndarray) -> None:
    """Fill ``missing`` (i < j) in place with the entries minimising lambda_max."""

    def fill(x: np.ndarray) -> None:
        for (i, j), xk in zip(missing, x):
            matrix[i, j], matrix[j, i] = np.exp(xk), np.exp(-xk)

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        fill(x)
        lam, right = _perron(matrix)
        _, left = _perron(matrix.T)
        scale = float(left @ right)
        grad = np.array(
            [
                (left[i] * right[j] * matrix[i, j] - left[j] * right[i] * matrix[j, i]) / scale
                for i, j in missing
            ]
        )
        return lam, grad

    start = objective(x0)[0]
    found = minimize(objective, x0, jac=True, method="BFGS", options={"gtol": 1e-10})
    fill(found.x if found.fun <= start else x0)


def _solve(
    names: list[Hashable],
    judged: Mapping[tuple[int, int], _Judgment],
    method: Method,
) -> AHPResult:
    n = len(names)
    matrix = np.ones((n, n))
    for (i, j), judgment in judged.items():
        matrix[i, j], matrix[j, i] = judgment.value, 1 / judgment.value
    missing = [(i, j) for i in range(n) for j in range(i + 1, n) if (i, j) not in judged]
    if missing:
        logs = _llsm(n, judged)
        x0 = np.array([logs[i] - logs[j] for i, j in missing])
        if method is Method.EIGENVECTOR:
            _complete_lambda(matrix, missing, x0)
        else:
            for (i, j), xk in zip(missing, x0):
                matrix[i, j], matrix[j, i] = np.exp(xk), np.exp(-xk)
    lam, vector = _perron(matrix)
    if method is Method.GEOMETRIC_MEAN:
        logs = np.log(matrix).mean(axis=1)
        vector = np.exp(logs - logs.max())
        vector = vector / vector.sum()
    lam = max(lam, float(n))
    random_index = RANDOM_INDEX.get(n, float("nan"))

    def ratio(value: float) -> float:
        if n <= 2:
            return 0.0
        return ((value - n) / (n - 1)) / random_index

    rows = []
    for (i, j), judgment in judged.items():
        a, b = (i, j) if judgment.a == names[i] else (j, i)
        consistent = vector[a] / vector[b]
        error = judgment.given / consistent
        revised = matrix.copy()
        revised[a, b], revised[b, a] = consistent, 1 / consistent
        lam_revised = max(_perron(revised)[0], float(n))
        rows.append(
            (
                judgment.a,
                judgment.b,
                judgment.given,
                consistent,
                error,
                max(error, 1 / error),
                ratio(lam_revised),
            )
        )
    columns = ["a", "b", "given", "consistent_value", "error", "deviation", "cr_if_revised"]
    inconsistency = pd.DataFrame(rows, columns=columns)
    inconsistency = inconsistency.sort_values("deviation", ascending=False, kind="stable")
    index = pd.Index(names, name="criterion")
    return AHPResult(
        weights=pd.Series(vector, index=index, name="weight"),
        lambda_max=lam,
        consistency_index=0.0 if n <= 1 else (lam - n) / (n - 1),
        consistency_ratio=ratio(lam),
        random_index=random_index,
        matrix=pd.DataFrame(matrix, index=index, columns=pd.Index(names, name="criterion")),
        method=method,
        inconsistency=inconsistency.reset_index(drop=True),
        completed=tuple((names[i], names[j]) for i, j in missing),
    )
