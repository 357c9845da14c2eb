"""Weight sensitivity: how far a weight can move before the ranking or the portfolio changes.

Scores are ``s = normalised @ leaf_weights`` (:mod:`portfolio_opt.scoring`). One weight at a
time, ``w_c`` is set to ``t`` in [0, 1] and the others are rescaled proportionally,
``w_j(t) = w_j (1 - t) / (1 - w_c)`` (equal shares of ``1 - t`` when ``w_c`` is 1), so every
score is a straight line in ``t`` and every answer here is exact, made of crossing points:
:func:`ranking_sensitivity` (top-k ranking unchanged), :func:`portfolio_sensitivity` (optimal
portfolio unchanged, by re-solving at crossings of portfolio lines after Eisner & Severance,
1976), :func:`weight_to_flip` (a named project in or out); the rank-reversal check is in
:mod:`portfolio_opt.rank_reversal`.
See ``docs/screening-and-sensitivity.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portfolio_opt import scoring
from portfolio_opt.exceptions import InputError, SolverError, describe_ids
from portfolio_opt.portfolio import Portfolio

if TYPE_CHECKING:
    from portfolio_opt.scoring import Criteria

__all__ = [
    "portfolio_sensitivity",
    "ranking_sensitivity",
    "weight_to_flip",
    "weights_at",
]

_SELECT_OPTIONS = ("time_limit", "gap", "threads", "force_in", "force_out")
_ROUND = 12  # scores equal to 12 decimals are ties (broken by project_id, as in ranking)
_PARALLEL = 1e-12  # lines whose slopes differ by less never cross
_MAX_STEPS = 500  # safety bound on the breakpoint search (never reached in practice)
#: Steps of one breakpoint search once a solve was not proven optimal (a time limit or a
#: gap): such portfolios need not lie on the upper envelope, so the search may cycle
#: between crossings; it stops with its last crossing as the estimate.
_MAX_INEXACT_STEPS = 20


# --------------------------------------------------------------------------------------------
# the score lines


def _parts(portfolio: Portfolio, criteria: Criteria) -> tuple[pd.DataFrame, pd.Series]:
    """Normalised matrix (projects x leaf criteria) and leaf weights summing to 1."""
    matrix = scoring.normalised(portfolio, criteria)
    weights = scoring.leaf_weights(portfolio, criteria).reindex(matrix.columns)
    return matrix, weights.astype(float)


@dataclass(frozen=True)
class _Lines:
    """``s_p(t) = intercept_p + slope_p * t`` for every project."""

    slope: np.ndarray
    intercept: np.ndarray

    def value(self, chosen: np.ndarray, t: float) -> float:
        return float(self.intercept[chosen].sum() + self.slope[chosen].sum() * t)


def _lines(matrix: np.ndarray, weights: np.ndarray, j: int) -> _Lines:
    others = np.delete(np.arange(len(weights)), j)
    if len(others) == 0:
        rest = matrix[:, j]
    elif weights[j] < 1 - 1e-12:
        rest = matrix[:, others] @ weights[others] / (1 - weights[j])
    else:
        rest = matrix[:, others].mean(axis=1)
    return _Lines(slope=matrix[:, j] - rest, intercept=rest)


def weights_at(weights: pd.Series, criterion: Any, t: float) -> pd.Series:
    """Set one weight to ``t`` and rescale the others proportionally (sum 1).

    Parameters
    ----------
    weights : pandas.Series
        Leaf weights summing to 1, indexed by criterion.
    criterion : label
        The criterion whose weight is changed.
    t : float
        Its new weight, in [0, 1].

    Returns
    -------
    pandas.Series
        The weights after the change: ``t`` for ``criterion``, ``w_j (1 - t) / (1 - w_c)``
        for the others (equal shares of ``1 - t`` when ``w_c`` is 1).

    Examples
    --------
    >>> import pandas as pd
    >>> weights_at(pd.Series({"a": 0.5, "b": 0.3, "c": 0.2}), "a", 0.75).round(6).tolist()
    [0.75, 0.15, 0.1]
    """
    if criterion not in weights.index:
        raise InputError(f"weights_at: criterion {criterion!r} is not among the criteria "
                         f"{', '.join(map(str, weights.index))}.")
    if not 0 <= t <= 1:
        raise InputError(f"weights_at: the weight must lie in [0, 1], got {t!r}.")
    w = weights.astype(float)
    others = w.index != criterion
    wc = float(w[criterion])
    out = w.copy()
    if others.any():
        if wc < 1 - 1e-12:
            out[others] = w[others] * (1 - t) / (1 - wc)
        else:
            out[others] = (1 - t) / others.sum()
    out[criterion] = t if others.any() else 1.0
    return out


def _interval(d: np.ndarray, e: np.ndarray, w: float) -> tuple[float, int, float, int]:
    """Interval of t where every ``d + e t >= 0``, containing ``w``; -1 = no binding pair."""
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = -d / e
    lower = np.where(e > _PARALLEL, cross, -np.inf)
    upper = np.where(e < -_PARALLEL, cross, np.inf)
    low, i_low, high, i_high = 0.0, -1, 1.0, -1
    if len(lower) and lower.max() > 0:
        i_low = int(np.argmax(lower))
        low = min(float(lower[i_low]), w)
    if len(upper) and upper.min() < 1:
        i_high = int(np.argmin(upper))
        high = max(float(upper[i_high]), w)
    return low, i_low, high, i_high


# --------------------------------------------------------------------------------------------
# ranking


def ranking_sensitivity(portfolio: Portfolio, criteria: Criteria = None, *,
                        top_k: int | None = None) -> pd.DataFrame:
    """Interval of each criterion weight within which the top-k ranking stays the same.

    The interval ``[low, high]`` of each leaf weight (the others rescaled proportionally) in
    which the ``top_k`` best projects are the same, in the same order. Exact: its ends are
    crossing points of two score lines (neighbours in the ranking, or the k-th project and one
    outside the top k); at an end the two tie, beyond it they swap. Ties count as in
    :func:`~portfolio_opt.scoring.ranking` (by ``project_id``), so a pair tied now gives an
    interval ending at the current weight.

    Parameters
    ----------
    portfolio : Portfolio
    criteria : DataFrame, Series, dict or None, default None
        As for :func:`~portfolio_opt.scoring.score`.
    top_k : int, optional
        How many of the best projects must keep their order (default all; more than the number
        of projects means all).

    Returns
    -------
    pandas.DataFrame
        One row per leaf criterion: ``criterion``, ``weight`` (current, leaf weights summing to
        1), ``low``, ``high`` (the interval, within [0, 1]), ``low_up``, ``low_down`` (the
        project that moves up and the one that moves down when the weight goes below ``low``;
        missing when ``low`` is 0 and nothing changes down to 0), ``high_up``, ``high_down``
        (the same above ``high``).

    Raises
    ------
    InputError
        Bad criteria (as for :func:`~portfolio_opt.scoring.score`) or ``top_k`` not a whole
        number >= 1.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [1.0, 1.0],
    ...                              "fit": [1.0, 0.0], "return": [0.0, 1.0]}))
    >>> table = ranking_sensitivity(pf, {"fit": 0.6, "return": 0.4})
    >>> table[["criterion", "weight", "low", "high", "low_up", "low_down"]]
      criterion  weight  low  high low_up low_down
    0       fit     0.6  0.5   1.0      B        A
    1    return     0.4  0.0   0.5    NaN      NaN
    """
    matrix, weights = _parts(portfolio, criteria)
    ids = matrix.index
    n = len(ids)
    k = n if top_k is None else _check_top_k(top_k, n)
    m = matrix.to_numpy(dtype=float)
    w = weights.reindex(matrix.columns).to_numpy(dtype=float)
    scores = m @ w
    order = np.lexsort((ids.to_numpy(dtype=str), -np.round(scores, _ROUND)))
    top, rest = order[:k], order[k:]
    if k:
        upper = np.concatenate([top[:-1], np.repeat(top[-1], len(rest))])
        lower = np.concatenate([top[1:], rest])
    else:
        upper = lower = np.zeros(0, dtype=np.int64)
    rows = []
    for j, criterion in enumerate(matrix.columns):
        lines = _lines(m, w, j)
        d = lines.intercept[upper] - lines.intercept[lower]
        e = lines.slope[upper] - lines.slope[lower]
        low, i_low, high, i_high = _interval(d, e, float(w[j]))
        rows.append({
            "criterion": criterion, "weight": float(w[j]), "low": low, "high": high,
            "low_up": ids[lower[i_low]] if i_low >= 0 else None,
            "low_down": ids[upper[i_low]] if i_low >= 0 else None,
            "high_up": ids[lower[i_high]] if i_high >= 0 else None,
            "high_down": ids[upper[i_high]] if i_high >= 0 else None,
        })
    columns = ["criterion", "weight", "low", "high", "low_up", "low_down", "high_up",
               "high_down"]
    return pd.DataFrame(rows, columns=columns)


def _check_top_k(top_k: Any, n: int) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise InputError(f"ranking_sensitivity: top_k must be a whole number >= 1 (or None "
                         f"for the whole ranking), got {top_k!r}.")
    return min(int(top_k), n)


# --------------------------------------------------------------------------------------------
# the optimal portfolio


class _Solves:
    """Solve the selection with the scores of one weight value; count and cache the solves."""

    def __init__(self, portfolio: Portfolio, lines: _Lines, options: dict[str, Any]) -> None:
        self.portfolio = portfolio
        self.lines = lines
        self.options = options
        self.count = 0
        self.exact = True
        self._cache: dict[float, np.ndarray] = {}

    def __call__(self, t: float) -> np.ndarray:
        if t in self._cache:
            return self._cache[t]
        from portfolio_opt.selection import select
        from portfolio_opt.solvers import Status

        ids = self.portfolio.project_ids
        value = pd.Series(self.lines.intercept + self.lines.slope * t, index=ids)
        result = select(self.portfolio, value, **self.options)
        self.count += 1
        self.exact &= result.status is Status.OPTIMAL
        chosen = result.selected.reindex(ids).to_numpy(dtype=bool)
        self._cache[t] = chosen
        return chosen


def _tol(value: float) -> float:
    return 1e-9 * max(1.0, abs(value))


def _next_break(solve: _Solves, chosen: np.ndarray, t0: float,
                end: float) -> tuple[float, np.ndarray | None]:
    """From a portfolio optimal at ``t0``, find where it stops being optimal toward ``end``.

    Returns the breakpoint and a portfolio optimal just beyond it, or ``(end, None)`` when
    ``chosen`` stays optimal up to ``end``. When a solve was not proven optimal
    (``solve.exact`` false) the search stops at a crossing met before, or after
    :data:`_MAX_INEXACT_STEPS` steps, with that crossing as its estimate.
    """
    lines = solve.lines
    if t0 == end:
        return end, None
    a0, b0 = lines.slope[chosen].sum(), lines.intercept[chosen].sum()
    other = solve(end)
    if lines.value(other, end) <= lines.value(chosen, end) + _tol(lines.value(chosen, end)):
        return end, None
    met: set[float] = set()
    for step in range(_MAX_STEPS):
        a1, b1 = lines.slope[other].sum(), lines.intercept[other].sum()
        if abs(a1 - a0) <= _PARALLEL:  # pragma: no cover - excluded by the invariant
            return t0, other
        t = float(np.clip((b0 - b1) / (a1 - a0), min(t0, end), max(t0, end)))
        if not solve.exact and (t in met or step >= _MAX_INEXACT_STEPS):
            return t, other
        met.add(t)
        found = solve(t)
        if lines.value(found, t) <= lines.value(chosen, t) + _tol(lines.value(chosen, t)):
            return t, other
        other = found
    raise SolverError("weight sensitivity: the breakpoint search did not converge; please "
                      "report this as a bug.")  # pragma: no cover


def _select_options(budget: float | None, solver: Any, options: dict[str, Any],
                    who: str) -> dict[str, Any]:
    unknown = sorted(set(options) - set(_SELECT_OPTIONS))
    if unknown:
        raise InputError(f"{who}: unknown option(s) {', '.join(map(repr, unknown))}; valid: "
                         f"budget, solver, {', '.join(_SELECT_OPTIONS)} (the value to maximise "
                         "is the criteria score).")
    return dict(options, budget=budget, solver=solver)


def _ids_text(ids: pd.Index, mask: np.ndarray) -> str:
    return ", ".join(map(str, ids[mask]))


def portfolio_sensitivity(portfolio: Portfolio, criteria: Criteria = None, *,
                          budget: float | None = None, solver: Any = None,
                          executor: Any = None, progress: bool | None = None,
                          **select_options: Any) -> pd.DataFrame:
    """Interval of each criterion weight within which the optimal portfolio stays the same.

    The portfolio :func:`~portfolio_opt.selection.select` picks at the current weights stays
    optimal on an interval ``[low, high]`` of each leaf weight (others rescaled). The best
    value is the maximum of one line per feasible portfolio, so the ends are crossings of two
    portfolios' lines, found by re-solving: solve at 1 (or 0); while a better portfolio is
    found, solve again where its line crosses the current one; a crossing where nothing better
    is found is the end (exact up to the solver's tolerance) and the last better portfolio is
    optimal just beyond it. Each end costs one solve plus one per better portfolio met
    (usually 2-4). With tied optima the interval is that of the portfolio the solver returned.

    Parameters
    ----------
    portfolio : Portfolio
    criteria : DataFrame, Series, dict or None, default None
        As for :func:`~portfolio_opt.scoring.score`.
    budget, solver : optional
        As for :func:`~portfolio_opt.selection.select`.
    executor : concurrent.futures.Executor, optional
        Where to run the searches (one task per criterion and side, see
        :func:`portfolio_opt.parallel.run_many`); default serially. The table is the same.
    progress : bool, optional
        Progress bar over the searches (as :func:`~portfolio_opt.parallel.run_many`).
    **select_options
        ``time_limit``, ``gap``, ``threads``, ``force_in``, ``force_out``, passed to every
        solve. With a time limit or a gap the answers are no longer certified (see
        ``exact``).

    Returns
    -------
    pandas.DataFrame
        One row per leaf criterion: ``criterion``, ``weight``, ``low``, ``high``, ``low_in``,
        ``low_out`` (projects that enter / leave the portfolio when the weight goes below
        ``low``, ``", "``-separated; empty when ``low`` is 0 and nothing changes),
        ``high_in``, ``high_out`` (the same above ``high``), ``solves`` (selection solves
        made for this criterion; one more is shared by all criteria) and ``exact`` (every
        solve for this criterion, and the shared one, was proven optimal).

    Raises
    ------
    InputError
        Bad criteria or options.
    InfeasibleError
        When no portfolio satisfies the constraints.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [1.0, 1.0],
    ...                              "fit": [1.0, 0.0], "return": [0.0, 1.0]}), budget=1)
    >>> table = portfolio_sensitivity(pf, {"fit": 0.6, "return": 0.4})
    >>> table[["criterion", "low", "high", "low_in", "low_out", "high_in"]]
      criterion  low  high low_in low_out high_in
    0       fit  0.5   1.0      B       A
    1    return  0.0   0.5                        B
    """
    from portfolio_opt.parallel import check_executor, run_many

    options = _select_options(budget, solver, select_options, "portfolio_sensitivity")
    executor = check_executor(executor, "portfolio_sensitivity")
    ids = portfolio.project_ids
    heads, tasks = [], []
    shared_exact = True  # the solve at the current weights (made by the first _Solves)
    for k, (criterion, weight, solve, current) in enumerate(
            _by_criterion(portfolio, criteria, options)):
        shared_exact = solve.exact if k == 0 else shared_exact
        heads.append((criterion, weight, current, shared_exact))
        tasks += [(portfolio, solve.lines, options, current, weight, end) for end in (0.0, 1.0)]
    ends = run_many(_search_end, tasks, executor=executor, progress=progress,
                    desc="weight sensitivity")
    rows = []
    for k, (criterion, weight, current, exact) in enumerate(heads):
        row: dict[str, Any] = {"criterion": criterion, "weight": weight, "solves": 0,
                               "exact": exact}
        for side, (t, beyond, count, side_exact) in zip(("low", "high"), ends[2 * k:2 * k + 2]):
            other = current if beyond is None else beyond
            row.update({side: t, f"{side}_in": _ids_text(ids, other & ~current),
                        f"{side}_out": _ids_text(ids, current & ~other)})
            row["solves"] += count
            row["exact"] = row["exact"] and side_exact
        rows.append(row)
    columns = ["criterion", "weight", "low", "high", "low_in", "low_out", "high_in",
               "high_out", "solves", "exact"]
    return pd.DataFrame(rows, columns=columns)


def _search_end(task: tuple[Portfolio, _Lines, dict[str, Any], np.ndarray, float, float]
                ) -> tuple[float, np.ndarray | None, int, bool]:
    """One end of one weight's interval (a task of :func:`portfolio_sensitivity`).

    Returns the breakpoint, the portfolio beyond it (None: none), the solves made and
    whether all were proven optimal.
    """
    portfolio, lines, options, current, weight, end = task
    solve = _Solves(portfolio, lines, options)
    t, beyond = _next_break(solve, current, weight, end)
    return t, beyond, solve.count, solve.exact


def _by_criterion(portfolio: Portfolio, criteria: Criteria,
                  options: dict[str, Any]) -> Iterator[tuple[Any, float, _Solves, np.ndarray]]:
    """Yield each leaf criterion, its weight, its solver and the portfolio selected now."""
    matrix, weights = _parts(portfolio, criteria)
    m = matrix.to_numpy(dtype=float)
    w = weights.to_numpy(dtype=float)
    current: np.ndarray | None = None
    for j, criterion in enumerate(matrix.columns):
        solve = _Solves(portfolio, _lines(m, w, j), options)
        if current is None:
            current = solve(float(w[j]))
            solve.count = 0  # the solve at the current weights is shared by all criteria
        yield criterion, float(w[j]), solve, current


def weight_to_flip(portfolio: Portfolio, project_id: Any, criteria: Criteria = None, *,
                   budget: float | None = None, solver: Any = None,
                   **select_options: Any) -> pd.DataFrame:
    """Smallest change of one weight that moves a project into or out of the optimal portfolio.

    The breakpoints of the optimal portfolio (see :func:`portfolio_sensitivity`) are walked
    from the current weight toward 0 and toward 1 until the portfolio beyond one has the
    project in when it is out now, or out when it is in now.

    Parameters
    ----------
    portfolio : Portfolio
    project_id : str
        The project.
    criteria : DataFrame, Series, dict or None, default None
        As for :func:`~portfolio_opt.scoring.score`.
    budget, solver, **select_options
        As for :func:`portfolio_sensitivity`.

    Returns
    -------
    pandas.DataFrame
        One row per leaf criterion: ``criterion``, ``weight``, ``selected`` (whether the project
        is in the portfolio at the current weights), ``flip_low`` (the project's status changes
        when the weight goes below this; NaN when no weight down to 0 changes it),
        ``flip_high`` (the same upward, up to 1), ``new_weight`` (the nearer of the two),
        ``change`` (``new_weight - weight``, NaN when never), ``note`` (in words) and
        ``solves``.

    Raises
    ------
    InputError
        An unknown project, bad criteria or options.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [1.0, 1.0],
    ...                              "fit": [1.0, 0.0], "return": [0.0, 1.0]}), budget=1)
    >>> table = weight_to_flip(pf, "B", {"fit": 0.6, "return": 0.4})
    >>> table[["criterion", "selected", "flip_low", "flip_high", "change"]]
      criterion  selected  flip_low  flip_high  change
    0       fit     False       0.5        NaN    -0.1
    1    return     False       NaN        0.5     0.1
    >>> table["note"].tolist()
    ['enters when the weight falls below 0.5', 'enters when the weight rises above 0.5']
    """
    options = _select_options(budget, solver, select_options, "weight_to_flip")
    ids = portfolio.project_ids
    pid = str(project_id)
    if pid not in ids:
        raise InputError(f"weight_to_flip: project {pid!r} is not in the projects table "
                         f"({describe_ids(ids)}). Fix the id.")
    p = ids.get_loc(pid)
    fixed = _fixed_reason(portfolio, pid, options)
    rows = []
    for criterion, weight, solve, current in _by_criterion(portfolio, criteria, options):
        selected = bool(current[p])
        flips = {"low": math.nan, "high": math.nan}
        for side, end in (("low", 0.0), ("high", 1.0)):
            chosen, t = current, weight
            while fixed is None:
                t, beyond = _next_break(solve, chosen, t, end)
                if beyond is None or bool(beyond[p]) != selected:
                    flips[side] = math.nan if beyond is None else t
                    break
                chosen = beyond
        nearest = [t for t in flips.values() if not math.isnan(t)]
        new = min(nearest, key=lambda t: abs(t - weight)) if nearest else math.nan
        rows.append({"criterion": criterion, "weight": weight, "selected": selected,
                     "flip_low": flips["low"], "flip_high": flips["high"], "new_weight": new,
                     "change": new - weight, "note": _flip_note(selected, flips, fixed),
                     "solves": solve.count})
    columns = ["criterion", "weight", "selected", "flip_low", "flip_high", "new_weight",
               "change", "note", "solves"]
    return pd.DataFrame(rows, columns=columns)


def _fixed_reason(portfolio: Portfolio, pid: str, options: dict[str, Any]) -> str | None:
    def named(ids: Iterable[Any] | None) -> bool:
        return ids is not None and pid in (
            {str(ids)} if isinstance(ids, str) else {str(i) for i in ids})

    if bool(portfolio.projects.loc[pid, "mandatory"]):
        return "mandatory: always selected"
    return "forced in: always selected" if named(options.get("force_in")) else \
        "forced out: never selected" if named(options.get("force_out")) else None


def _flip_note(selected: bool, flips: dict[str, float], fixed: str | None) -> str:
    if fixed is not None:
        return fixed
    verb = "leaves" if selected else "enters"
    parts = []
    if not math.isnan(flips["low"]):
        parts.append(f"{verb} when the weight falls below {flips['low']:.4g}")
    if not math.isnan(flips["high"]):
        parts.append(f"{verb} when the weight rises above {flips['high']:.4g}")
    if not parts:
        state = "selected" if selected else "not selected"
        return f"never: {state} for every weight in [0, 1]"
    return "; ".join(parts)
