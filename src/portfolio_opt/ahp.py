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

from collections.abc import Hashable, Mapping, Sequence
from numbers import Real
from types import MappingProxyType
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from portfolio_opt.ahp_results import (
    ACCEPTABLE_CR,
    AHPHierarchy,
    AHPResult,
    GroupAHPResult,
    Method,
)
from portfolio_opt.exceptions import InputError
from portfolio_opt.judgments import (
    RECIPROCAL_TOLERANCE,
    _disconnected,
    _Judgment,
    _parse,
    verbal_scale,
)
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
