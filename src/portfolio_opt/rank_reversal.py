"""Rank reversal: check that a dominated new project leaves the others' order alone.

Adding a project that is slightly worse than another on every criterion should leave the order
of the others as it was. With min-max (or rank) normalisation it may not: the new project can
widen a criterion's range and so rescale everyone. :func:`rank_reversal_check` performs the
check on what :mod:`portfolio_opt.scoring` actually computes and says which projects moved.
See ``docs/screening-and-sensitivity.md``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portfolio_opt import scoring
from portfolio_opt.exceptions import InputError, describe_ids
from portfolio_opt.portfolio import Portfolio
from portfolio_opt.sensitivity import _ROUND, _parts

if TYPE_CHECKING:
    from portfolio_opt.scoring import Criteria

__all__ = ["RankReversal", "rank_reversal_check"]


@dataclass(frozen=True, repr=False)
class RankReversal:
    """The outcome of :func:`rank_reversal_check`.

    Attributes
    ----------
    holds : bool
        True when no dominated copy reversed the order of two original projects.
    table : pandas.DataFrame
        One row per project copied: ``dominated_by``, ``copy_id``, ``holds`` (no two original
        projects swapped, strictly), ``reversal`` (the first swap in words, e.g. ``"P07 now
        above P01"``), ``ties_changed`` (a tie broken or made: a shared rank changes, no
        reversal), ``moved`` (original projects whose rank changed), ``range_extended``
        (criteria whose range the copy extends; min-max rescales them for everyone).
    """

    holds: bool
    table: pd.DataFrame

    def __bool__(self) -> bool:
        return self.holds

    def __repr__(self) -> str:
        bad = int((~self.table["holds"]).sum())
        return (f"RankReversal(holds={self.holds}, {bad} of {len(self.table)} dominated copies "
                "changed the order)")


def rank_reversal_check(portfolio: Portfolio, criteria: Criteria = None, *,
                        dominated_by: Any = None, worse_by: float = 0.01) -> RankReversal:
    """Check that adding a dominated project leaves the order of the others unchanged.

    For each project in ``dominated_by`` a copy, worse on every criterion by ``worse_by`` times
    the criterion's range (in its direction; a value >= 0 is at most halved, never made
    negative), is added; the projects are scored again with the same criteria and the order
    of the original projects compared. It reports what the scoring really does: min-max and
    rank normalisation are relative to the candidates, so a copy that extends a range (min-max)
    or adds a distinct value (rank) can swap two others; ratio to the best and value functions
    are immune (no other score changes).

    Parameters
    ----------
    portfolio : Portfolio
    criteria : DataFrame, Series, dict or None, default None
        As for :func:`~portfolio_opt.scoring.score`.
    dominated_by : str or list of str, optional
        The projects to copy, one at a time (default every project).
    worse_by : float, default 0.01
        How much worse the copy is on every criterion, as a share of the criterion's range
        (of its largest absolute value, at least 1, when all projects score the same).

    Returns
    -------
    RankReversal
        Truthy when the order never changed.

    Raises
    ------
    InputError
        Bad criteria, unknown project ids, or ``worse_by`` not a positive number.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [1.0] * 3,
    ...                              "fit": [12.0, 4.0, 2.0], "return": [2.0, 11.0, 10.5]}))
    >>> check = rank_reversal_check(pf, {"fit": 1, "return": 1}, worse_by=0.2)
    >>> bool(check)
    False
    >>> check.table[["dominated_by", "holds", "reversal", "range_extended"]]
      dominated_by  holds       reversal range_extended
    0            A   True                        return
    1            B   True
    2            C  False  C now above A            fit
    """
    if isinstance(worse_by, bool) or not isinstance(worse_by, (int, float)) or \
            not np.isfinite(worse_by) or worse_by <= 0:
        raise InputError(f"rank_reversal_check: worse_by must be a number > 0 (a share of "
                         f"each criterion's range), got {worse_by!r}.")
    matrix, _ = _parts(portfolio, criteria)
    if criteria is None:
        criteria = portfolio.criteria
    projects = portfolio.projects
    ids = projects.index
    chosen = _id_list(dominated_by, ids)
    leaves = list(matrix.columns)
    raw = projects[leaves].to_numpy(dtype=float, na_value=np.nan)
    sign = _direction_signs(raw, matrix.to_numpy(dtype=float), leaves, criteria)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns
        low, high = np.nanmin(raw, axis=0), np.nanmax(raw, axis=0)
        scale = np.where(high > low, high - low, np.maximum(np.nanmax(np.abs(raw), axis=0), 1.0))
    step = worse_by * np.nan_to_num(scale, nan=1.0)
    columns = list(dict.fromkeys(["cost", *leaves]))
    base = projects[columns].reset_index()
    before = scoring.score(portfolio, criteria).reindex(ids).to_numpy(dtype=float)
    order = np.lexsort((ids.to_numpy(dtype=str), -np.round(before, _ROUND)))
    rows = []
    for pid in chosen:
        copy_id = _unique_id(f"{pid}~dominated", ids)
        row = base.loc[base["project_id"] == pid].copy()
        row["project_id"] = copy_id
        worse = _worse(raw[ids.get_loc(pid)], sign, step)
        row[leaves] = worse
        extended = [c for c, x, lo, hi in zip(leaves, worse, low, high) if x < lo or x > hi]
        bigger = Portfolio(pd.concat([base, row], ignore_index=True))
        after = scoring.score(bigger, criteria).reindex(ids).to_numpy(dtype=float)
        holds, ties, moved, first = _compare_orders(ids, order, before, after)
        rows.append({"dominated_by": pid, "copy_id": copy_id, "holds": holds,
                     "reversal": first, "ties_changed": ties, "moved": moved,
                     "range_extended": "; ".join(extended)})
    table = pd.DataFrame(rows, columns=["dominated_by", "copy_id", "holds", "reversal",
                                        "ties_changed", "moved", "range_extended"])
    return RankReversal(holds=bool(table["holds"].all()), table=table)


def _worse(values: np.ndarray, sign: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Values worse by ``step`` in each criterion's direction; never below 0 from >= 0."""
    worse = values - sign * step
    crosses = (values >= 0) & (worse < 0)
    return np.where(crosses, values / 2, worse)  # a missing value stays missing


def _id_list(dominated_by: Any, ids: pd.Index) -> list[str]:
    if dominated_by is None:
        return [str(i) for i in ids]
    wanted = [str(dominated_by)] if isinstance(dominated_by, str) else \
        [str(i) for i in dominated_by]
    unknown = [i for i in wanted if i not in ids]
    if unknown:
        raise InputError(f"rank_reversal_check: dominated_by names {describe_ids(unknown)}, "
                         "which are not in the projects table. Fix the ids.")
    return list(dict.fromkeys(wanted))


def _unique_id(name: str, ids: pd.Index) -> str:
    while name in ids:
        name += "~"
    return name


def _direction_signs(raw: np.ndarray, normalised: np.ndarray, leaves: list[Any],
                     criteria: Any) -> np.ndarray:
    """+1 where more is better, -1 where less is better (read from the normalised matrix)."""
    declared: dict[Any, str] = {}
    if isinstance(criteria, pd.DataFrame) and "direction" in criteria.columns:
        table = criteria.reset_index() if "criterion" not in criteria.columns else criteria
        declared = {c: str(getattr(d, "value", d)).strip().lower()
                    for c, d in zip(table["criterion"], table["direction"])}
    signs = np.ones(len(leaves))
    for j, leaf in enumerate(leaves):
        seen = ~np.isnan(raw[:, j])
        x, y = raw[seen, j], normalised[seen, j]
        cov = float(np.mean((x - x.mean()) * (y - y.mean()))) if len(x) else 0.0
        if cov < 0 or (cov == 0 and declared.get(leaf, "max").startswith("min")):
            signs[j] = -1.0
    return signs


def _compare_orders(ids: pd.Index, order: np.ndarray, before: np.ndarray,
                    after: np.ndarray) -> tuple[bool, bool, int, str]:
    """Compare the scores of the original projects before and after adding the copy.

    Returns whether no pair is strictly reversed, whether some tie was broken or made, how
    many projects changed rank, and the first strict reversal in words.
    """
    b = np.round(before[order], _ROUND)
    a = np.round(after[order], _ROUND)
    ties_changed = bool(((np.diff(b) == 0) != (np.diff(a) == 0)).any())
    rank_b = pd.Series(b).rank(method="min", ascending=False).to_numpy()
    rank_a = pd.Series(a).rank(method="min", ascending=False).to_numpy()
    moved = int((rank_b != rank_a).sum())
    # walk the groups of equal 'before' scores, best first; a project strictly below an earlier
    # group that now scores strictly above one of that group is a reversal
    lowest, lowest_at = np.inf, -1
    start = 0
    while start < len(b):
        stop = start + 1
        while stop < len(b) and b[stop] == b[start]:
            stop += 1
        group = a[start:stop]
        top = int(np.argmax(group))
        if group[top] > lowest:
            first = f"{ids[order[start + top]]} now above {ids[order[lowest_at]]}"
            return False, ties_changed, moved, first
        low = int(np.argmin(group))
        if group[low] < lowest:
            lowest, lowest_at = float(group[low]), start + low
        start = stop
    return True, ties_changed, moved, ""
