"""Extreme points of the weight set and the non-dominated portfolios of RPM.

The value of a portfolio ``x`` (0/1 per project) at weight vector ``w`` is
linear in ``w``; with the extreme points ``w_1 .. w_K`` of the weight set,
portfolio ``p`` dominates ``q`` exactly when ``p`` is at least as good as
``q`` at every extreme point and better at one (Liesiö, Mild & Salo 2007,
Theorem 1). So the non-dominated portfolios are the Pareto set of the
``K``-objective 0-1 program ``max (A[:, 0] @ x, ..., A[:, K-1] @ x)`` over the
feasible portfolios, where ``A[j, k]`` is project ``j``'s value at ``w_k``.

Two exact algorithms, both keeping every portfolio whose value vector equals
that of another non-dominated portfolio (ties are not dominance):

- :func:`enumerate_dp`: dynamic programming over the projects with dominance
  pruning (Nemhauser-Ullmann style), for a budget-only (knapsack) portfolio;
- :func:`enumerate_milp`: repeated solves of the full selection model
  (every constraint of :class:`~portfolio_opt.model.SelectionModel`), each
  maximising ``sum_k A[:, k] @ x`` over the portfolios not dominated by any
  found so far (a disjunction with ``K + 1`` binaries per distinct value
  vector found) and not found already (no-good cuts).

Values are compared with an absolute tolerance ``tol``: ``p`` dominates ``q``
when ``V_k(q) < V_k(p) + tol`` for every ``k`` and ``V_k(q) < V_k(p) - tol``
for some ``k``; differences below ``tol`` are ties. See ``docs/robust.md``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
import pulp

from portfolio_opt.exceptions import InputError
from portfolio_opt.solvers import Status, run_solver

__all__ = ["Enumeration", "dominated_by", "enumerate_dp", "enumerate_milp",
           "interior_weights", "nondominated_mask", "weight_extreme_points"]

MAX_VERTEX_CANDIDATES = 200_000

_CHUNK = 2_000_000  # elements of a (candidates x references x K) comparison per block


@dataclass(frozen=True)
class Enumeration:
    """What an enumeration found.

    Attributes
    ----------
    selected : numpy.ndarray
        Bool (portfolios x projects).
    status : list of Status
        Per portfolio: ``optimal`` when the solve that found it was proven
        optimal (always, for the dynamic programme), else ``feasible``.
    complete : bool
        False when ``max_portfolios`` (or a solve that was not proven
        optimal) stopped the enumeration: more non-dominated portfolios may
        exist, and a portfolio found may be dominated by one not found.
    n_solves : int
        MILP solves (0 for the dynamic programme).
    n_states : int
        Largest number of partial portfolios the dynamic programme kept (0
        for the MILP).
    """

    selected: np.ndarray
    status: list[Status]
    complete: bool
    n_solves: int = 0
    n_states: int = 0


def dominated_by(values: np.ndarray, reference: np.ndarray, tol: float) -> np.ndarray:
    """Which rows of ``values`` are dominated by some row of ``reference``.

    Parameters
    ----------
    values : numpy.ndarray
        (n x K) value vectors.
    reference : numpy.ndarray
        (m x K) value vectors.
    tol : float
        Absolute tolerance: differences below it are ties.

    Returns
    -------
    numpy.ndarray
        Bool (n,): row ``i`` is dominated, i.e. some reference ``r`` has
        ``values[i] < r + tol`` everywhere and ``values[i] < r - tol``
        somewhere.

    Examples
    --------
    >>> import numpy as np
    >>> dominated_by(np.array([[1.0, 1.0], [2.0, 0.0], [3.0, 1.0]]),
    ...              np.array([[2.0, 1.0]]), 1e-9).tolist()
    [True, True, False]
    """
    n, k = values.shape
    out = np.zeros(n, dtype=bool)
    if n == 0 or len(reference) == 0:
        return out
    step = max(1, _CHUNK // max(1, len(reference) * k))
    for lo in range(0, n, step):
        v = np.asarray(values[lo:lo + step, None, :])
        r = np.asarray(reference[None, :, :])
        near: np.ndarray = np.all(v < r + tol, axis=2)
        better: np.ndarray = np.any(v < r - tol, axis=2)
        out[lo:lo + step] = np.any(near & better, axis=1)
    return out


def nondominated_mask(values: np.ndarray, tol: float) -> np.ndarray:
    """Which rows of ``values`` no other row dominates (ties are kept).

    Examples
    --------
    >>> import numpy as np
    >>> nondominated_mask(np.array([[1.0, 2.0], [2.0, 1.0], [1.0, 1.0], [2.0, 1.0]]),
    ...                   1e-9).tolist()
    [True, True, False, True]
    """
    return ~dominated_by(values, values, tol)


# ------------------------------------------------------------------ the weight set


def weight_extreme_points(criteria: Sequence[str], ranking: Any = None, *,
                          lower: Any = None, upper: Any = None) -> pd.DataFrame:
    """Extreme points of a set of criteria weights (non-negative, summing to 1).

    Parameters
    ----------
    criteria : sequence of str
        The criteria.
    ranking : sequence, optional
        Most important first: each item a criterion, or a tuple/list of
        criteria of equal rank (no order among them). Every criterion of an
        item weighs at least as much as every criterion of the next item.
        Criteria not in the ranking are unconstrained.
    lower, upper : dict or pandas.Series, optional
        Bounds on single weights by criterion (e.g. from an AHP interval).

    Returns
    -------
    pandas.DataFrame
        One row per extreme point (``w1 ..``), one column per criterion.

    Raises
    ------
    InputError
        Unknown or repeated criteria, bad bounds, an empty weight set.

    Examples
    --------
    >>> weight_extreme_points(["a", "b", "c"], ["a", "b", "c"]).round(3)
           a      b      c
    w1  1.000  0.000  0.000
    w2  0.500  0.500  0.000
    w3  0.333  0.333  0.333
    """
    names = [str(c) for c in criteria]
    n = len(names)
    if n == 0 or len(set(names)) != n:
        raise InputError(f"weight_extreme_points: criteria must be distinct and at least one, "
                         f"got {names!r}.")
    col = {c: i for i, c in enumerate(names)}
    rows: list[np.ndarray] = list(np.eye(n))  # w_i >= 0, written as g @ w >= 0
    groups = _ranking_groups(ranking, names)
    for upper_group, lower_group in itertools.pairwise(groups):
        for a in upper_group:
            for b in lower_group:
                g = np.zeros(n)
                g[col[a]], g[col[b]] = 1.0, -1.0
                rows.append(g)
    for bounds, sign in ((lower, 1.0), (upper, -1.0)):
        for c, v in _bounds(bounds, names, "lower" if sign > 0 else "upper").items():
            g = -sign * float(v) * np.ones(n)  # w_c - l * sum(w) >= 0, or u * sum(w) - w_c >= 0
            g[col[c]] += sign
            rows.append(g)
    g_mat = np.array(rows)
    points = _vertices(g_mat, n)
    if not len(points):
        raise InputError("weight_extreme_points: no weights satisfy the ranking and bounds "
                         "together (the lower bounds sum to more than 1, or a bound "
                         "contradicts the ranking). Loosen them.")
    return pd.DataFrame(points, columns=pd.Index(names, name=None),
                        index=[f"w{i + 1}" for i in range(len(points))])


def interior_weights(points: np.ndarray, samples: int = 0, seed: int | None = None,
                     pull: float = 0.05) -> np.ndarray:
    """Weights inside the weight set: its centre, each extreme point pulled to it, samples.

    The optimum at a weight vector inside the set (every extreme point with a
    positive share) is non-dominated: a portfolio dominating it would be
    worth more at that weight vector.

    Parameters
    ----------
    points : numpy.ndarray
        (K x C) extreme points.
    samples : int, default 0
        Further weight vectors, uniform over the mixtures of the extreme
        points (Dirichlet(1) shares), drawn from ``seed``.
    seed : int, optional
    pull : float, default 0.05
        Share of the centre mixed into each extreme point.

    Returns
    -------
    numpy.ndarray
        (1 + K + samples) x C weight vectors: centre, pulled extreme points, samples.

    Examples
    --------
    >>> import numpy as np
    >>> interior_weights(np.eye(2), pull=0.1).round(2).tolist()
    [[0.5, 0.5], [0.95, 0.05], [0.05, 0.95]]
    """
    k = len(points)
    shares = [np.full((1, k), 1.0 / k), (1 - pull) * np.eye(k) + pull / k]
    if samples:
        shares.append(np.random.default_rng(seed).dirichlet(np.ones(k), size=samples))
    return np.vstack(shares) @ points


def _ranking_groups(ranking: Any, names: list[str]) -> list[list[str]]:
    if ranking is None:
        return []
    if isinstance(ranking, str):
        ranking = [ranking]
    groups = [[str(c) for c in item] if isinstance(item, (list, tuple, set, frozenset))
              else [str(item)] for item in ranking]
    flat = [c for grp in groups for c in grp]
    unknown = sorted(set(flat) - set(names))
    repeated = sorted({c for c in flat if flat.count(c) > 1})
    problems = []
    if unknown:
        problems.append(f"weight_extreme_points: ranking names {unknown!r}, which are not "
                        "criteria; the "
                        f"criteria are {names!r}.")
    if repeated:
        problems.append(f"weight_extreme_points: ranking names {repeated!r} more than once. "
                        "Name each "
                        "criterion once (a tuple groups criteria of equal rank).")
    if problems:
        raise InputError(problems)
    return groups


def _bounds(bounds: Any, names: list[str], what: str) -> dict[str, float]:
    if bounds is None:
        return {}
    items = dict(bounds.items()) if hasattr(bounds, "items") else None
    if items is None:
        raise InputError(f"weight_extreme_points: {what} bounds must be a dict or Series by "
                         "criterion, got "
                         f"{type(bounds).__name__}.")
    out = {str(k): v for k, v in items.items()}
    unknown = sorted(set(out) - set(names))
    bad = {k: v for k, v in out.items() if isinstance(v, bool) or not isinstance(v, Real)
           or not 0 <= float(v) <= 1}
    if unknown or bad:
        raise InputError(f"weight_extreme_points: {what} bounds must be numbers from 0 to 1 by "
                         "criterion "
                         f"({names!r}); unknown criteria {unknown!r}, bad values {bad!r}.")
    return {k: float(v) for k, v in out.items()}


def _vertices(g_mat: np.ndarray, n: int) -> np.ndarray:
    """Vertices of ``{w : g_mat @ w >= 0, sum(w) = 1}``: n-1 independent active rows each."""
    m = len(g_mat)
    if n == 1:
        return np.ones((1, 1))
    if math.comb(m, n - 1) > MAX_VERTEX_CANDIDATES:
        raise InputError(f"weight_extreme_points: the weight set has {n} criteria and {m} "
                         "constraints, too many to enumerate its extreme points; give "
                         "extreme_points= directly.")
    combos = np.array(list(itertools.combinations(range(m), n - 1)), dtype=np.int64).reshape(
        -1, n - 1)
    lhs = np.concatenate([g_mat[combos], np.ones((len(combos), 1, n))], axis=1)
    rhs = np.zeros((len(combos), n))
    rhs[:, -1] = 1.0
    ok = np.abs(np.linalg.det(lhs)) > 1e-12
    w = np.linalg.solve(lhs[ok], rhs[ok][..., None])[..., 0]
    w = w[(w @ g_mat.T >= -1e-10).all(axis=1)]
    w = np.where(np.abs(w) < 1e-12, 0.0, w)
    if not len(w):
        return w
    _, first = np.unique(np.round(w, 10), axis=0, return_index=True)
    w = w[np.sort(first)]
    # most weight on the first criteria first: a stable, readable order
    order = np.lexsort(tuple(-w[:, i] for i in reversed(range(n))))
    return w[order]


# ------------------------------------------------------------------ dynamic programming


def enumerate_dp(values: np.ndarray, cost: np.ndarray, budget: float | None,
                 must_in: np.ndarray, must_out: np.ndarray, tol: float,
                 max_portfolios: int | None = None, max_states: int = 2_000_000,
                 ) -> Enumeration:
    """Non-dominated portfolios of a budget-only portfolio, by dynamic programming.

    Projects are added one at a time; a partial portfolio (a "state") is
    dropped when another state costs no more and dominates its value vector
    (every completion of it is then dominated by the same completion of the
    other), or when a state already in hand dominates the best value vector
    it could still reach (its value plus every remaining positive value).

    Parameters
    ----------
    values : numpy.ndarray
        (n x K) value of each project at each extreme point.
    cost : numpy.ndarray
        (n,) cost of each project (>= 0).
    budget : float or None
        Total budget; None for no budget.
    must_in, must_out : numpy.ndarray
        (n,) bool: projects that must be in / out.
    tol : float
        Tolerance of the value comparisons.
    max_portfolios : int, optional
        Not used to stop the exact search; the caller truncates.
    max_states : int, default 2_000_000
        Give up (``complete=False``, nothing returned) when more partial
        portfolios than this would have to be kept.

    Returns
    -------
    Enumeration
    """
    n, k = values.shape
    limit = math.inf if budget is None else float(budget) + 1e-9 * max(1.0, abs(budget))
    base = must_in.copy()
    free = np.flatnonzero(~must_in & ~must_out)
    # best first: a good incumbent early makes the bound prune more
    score = values[free].sum(axis=1) / np.maximum(cost[free], 1e-12)
    free = free[np.argsort(-score, kind="stable")]
    pos = np.maximum(values[free], 0.0)
    rest = np.vstack([np.cumsum(pos[::-1], axis=0)[::-1], np.zeros((1, k))])

    st_cost = np.array([float(cost[base].sum())])
    st_val = values[base].sum(axis=0, keepdims=True)
    st_set = base[None, :].copy()
    if st_cost[0] > limit:
        return Enumeration(np.zeros((0, n), dtype=bool), [], True)
    peak = 1
    for step, j in enumerate(free):
        fits = st_cost + cost[j] <= limit
        new_cost = np.concatenate([st_cost, st_cost[fits] + cost[j]])
        new_val = np.vstack([st_val, st_val[fits] + values[j]])
        added = st_set[fits].copy()
        added[:, j] = True
        new_set = np.vstack([st_set, added])
        keep = _prune(new_cost, new_val, tol)
        new_cost, new_val, new_set = new_cost[keep], new_val[keep], new_set[keep]
        # bound: drop states whose best reachable vector is dominated by a state in hand
        reach = new_val + rest[step + 1]
        front = new_val[nondominated_mask(new_val, tol)]
        keep = ~dominated_by(reach, front, tol)
        st_cost, st_val, st_set = new_cost[keep], new_val[keep], new_set[keep]
        peak = max(peak, len(st_cost))
        if len(st_cost) > max_states:
            return Enumeration(np.zeros((0, n), dtype=bool), [], False, n_states=peak)
    final = nondominated_mask(st_val, tol)
    chosen = st_set[final]
    return Enumeration(chosen, [Status.OPTIMAL] * len(chosen), True, n_states=peak)


def _prune(cost: np.ndarray, val: np.ndarray, tol: float) -> np.ndarray:
    """Keep the states that no state of no greater cost dominates."""
    order = np.lexsort((-val.sum(axis=1), cost))
    keep = np.zeros(len(cost), dtype=bool)
    kept: list[int] = []
    # blocks of the cheapest states first: a state can only be pruned by cheaper-or-equal ones
    block = 512
    for lo in range(0, len(order), block):
        idx = order[lo:lo + block]
        ref = np.asarray(kept, dtype=np.int64)
        cand = ~dominated_by(val[idx], val[ref], tol) if len(ref) else np.ones(len(idx), bool)
        # inside the block, compare with the block's cheaper-or-equal states
        sub = idx[cand]
        if len(sub):
            v = val[sub]
            c = cost[sub]
            dom = ((v[:, None, :] < v[None, :, :] + tol).all(axis=2)
                   & (v[:, None, :] < v[None, :, :] - tol).any(axis=2)
                   & (c[None, :] <= c[:, None]))
            sub = sub[~dom.any(axis=1)]
        keep[sub] = True
        kept.extend(sub.tolist())
    return keep


# ------------------------------------------------------------------ MILP enumeration


def enumerate_milp(model: Any, values: np.ndarray, tol: float, *,
                   max_portfolios: int | None = None, solver: Any = None,
                   time_limit: float | None = None, gap: float | None = None,
                   threads: int | None = None,
                   on_found: Callable[[int], None] | None = None) -> Enumeration:
    """Non-dominated portfolios under every constraint of a selection model.

    Parameters
    ----------
    model : SelectionModel
        Its :meth:`~portfolio_opt.model.SelectionModel.build` gives the
        feasible portfolios; its objective is replaced.
    values : numpy.ndarray
        (n x K) value of each project (in the portfolio's order) at each
        extreme point.
    tol : float
        Tolerance of the value comparisons (> 0).
    max_portfolios : int, optional
        Stop after this many portfolios (``complete=False`` if more exist).
    solver, time_limit, gap, threads
        Passed to :func:`portfolio_opt.solvers.run_solver` for every solve.
    on_found : callable, optional
        Called with the number of portfolios found after each one.

    Returns
    -------
    Enumeration
    """
    problem = model.build()
    ids = model.portfolio._projects.index
    x = model.selected_variables_.reindex(ids).to_numpy()
    n, k = values.shape
    lower = np.minimum(values, 0.0).sum(axis=0)  # least value any portfolio can have
    exprs = [pulp.LpAffineExpression((v, float(a)) for v, a in zip(x, values[:, c]) if a != 0)
             for c in range(k)]
    problem.setObjective(pulp.lpSum(exprs))
    found: list[np.ndarray] = []
    found_vals: list[np.ndarray] = []
    status: list[Status] = []
    vectors: list[np.ndarray] = []
    solves = 0
    complete = True
    while True:
        if max_portfolios is not None and len(found) >= max_portfolios:
            # one more solve says whether the list is complete
            report = run_solver(problem, solver, time_limit=time_limit, gap=gap,
                                threads=threads)
            solves += 1
            complete = report.status is Status.INFEASIBLE
            break
        report = run_solver(problem, solver, time_limit=time_limit, gap=gap, threads=threads)
        solves += 1
        if report.status is Status.INFEASIBLE:
            break
        if report.status not in (Status.OPTIMAL, Status.FEASIBLE):
            complete = False  # no portfolio in time: cannot tell whether more exist
            break
        chosen = np.array([(v.varValue or 0.0) > 0.5 for v in x])
        val = chosen.astype(float) @ values
        _no_good(problem, x, chosen, solves)
        if any((chosen == f).all() for f in found) or (
                found_vals and dominated_by(val[None], np.array(found_vals), tol)[0]):
            continue  # numerical slip of the solver: cut it off and go on
        # the next portfolios are worth no more at the centre: a valid cut that tightens the
        # LP bound, which the big-M disjunctions leave weak
        problem += pulp.LpConstraint(pulp.lpSum(exprs), pulp.LpConstraintLE,
                                     f"rpm_cap[{solves}]", float(val.sum()) + tol * k)
        found.append(chosen)
        found_vals.append(val)
        status.append(report.status)
        if report.status is not Status.OPTIMAL:
            complete = False
        if on_found is not None:
            on_found(len(found))
        if not any((np.abs(val - z) <= tol / 2).all() for z in vectors):
            _not_dominated_by(problem, exprs, val, lower, tol, len(vectors))
            vectors.append(val)
    selected = np.array(found, dtype=bool).reshape(len(found), n)
    if not complete and len(found):
        # a portfolio found by an unproven solve may be dominated by another found later
        keep = nondominated_mask(np.array(found_vals), tol)
        selected = selected[keep]
        status = [s for s, kept in zip(status, keep) if kept]
    return Enumeration(selected, status, complete, n_solves=solves)


def _no_good(problem: pulp.LpProblem, x: np.ndarray, chosen: np.ndarray, tag: int) -> None:
    """Cut off exactly this set of projects."""
    expr = pulp.LpAffineExpression([(v, -1.0) for v in x[chosen]] + [(v, 1.0)
                                                                    for v in x[~chosen]])
    problem += pulp.LpConstraint(expr, pulp.LpConstraintGE, f"rpm_found[{tag}]",
                                 1.0 - int(chosen.sum()))


def _not_dominated_by(problem: pulp.LpProblem, exprs: list[pulp.LpAffineExpression],
                      z: np.ndarray, lower: np.ndarray, tol: float, tag: int) -> None:
    """Require: better than ``z`` by ``tol`` somewhere, or within ``tol`` of it everywhere.

    Binary ``y[c]`` switches on "better at extreme point c"; ``y[K]`` switches
    on "at least ``z - tol`` everywhere" (a tie or better); big-M values from
    the least value any portfolio can have.
    """
    k = len(exprs)
    new_var = getattr(problem, "add_variable", pulp.LpVariable)  # PuLP >= 3.3.2
    y = [new_var(f"rpm_y[{tag},{c}]", 0, 1, pulp.LpInteger) for c in range(k + 1)]
    problem += pulp.LpConstraint(pulp.lpSum(y), pulp.LpConstraintGE, f"rpm_or[{tag}]", 1)
    for c in range(k):
        for which, rhs in ((c, z[c] + tol), (k, z[c] - tol)):
            big = max(0.0, rhs - lower[c])
            # exprs[c] >= rhs - big * (1 - y)  <=>  exprs[c] - big * y >= rhs - big
            problem += pulp.LpConstraint(exprs[c] - big * y[which], pulp.LpConstraintGE,
                                         f"rpm_v[{tag},{c},{which == k:d}]", float(rhs - big))
