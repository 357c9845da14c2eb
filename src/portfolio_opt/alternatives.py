"""Alternative portfolios: the k best distinct portfolios, or diverse near-optimal ones.

A steering group rarely takes the optimum as it is; it asks what else is
(almost) as good, and which projects are in every good answer. Both questions
are answered with *no-good cuts*: once a portfolio (a set of projects) is
found, the row ``exclude[k]`` of :class:`~portfolio_opt.SelectionModel` forbids
exactly that set and the model is solved again. The solves are therefore
sequential by nature -- each needs the portfolios found before it -- and
take no executor.

- ``k`` best: each solve maximises the value over the portfolios not found
  yet, so the answers come in order of value (the k best distinct sets of
  projects; start periods are not compared).
- diverse (``within=x``, ``diverse=True``): after the optimum, each solve
  keeps the value within ``x`` of the optimum (row ``min_value``) and
  maximises the total Hamming distance to the portfolios found so far, ties
  broken by value (Danna & Woodruff 2009).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import InfeasibleError, InputError
from portfolio_opt.frontier import check_model, record, split_options
from portfolio_opt.model import SelectionModel
from portfolio_opt.portfolio import Portfolio
from portfolio_opt.solvers import Status

__all__ = ["Alternatives", "alternative_portfolios"]

#: Two values closer than this (relative) are a tie.
TIE = 1e-9


def _tie(a: float, b: float) -> bool:
    return abs(a - b) <= TIE * max(1.0, abs(a), abs(b))


@dataclass(frozen=True, repr=False)
class Alternatives:
    """Alternative portfolios, and the projects in all or none of them.

    Attributes
    ----------
    portfolios : pandas.DataFrame
        Bool, one row per portfolio (index ``portfolio``: 1, 2, ... in the
        order found) and one column per project.
    summary : pandas.DataFrame
        Same index: ``objective, cost, hiring_cost, n_selected, status, gap,
        share_of_best`` (objective / the first portfolio's) and ``distance``
        (number of projects in which it differs from the nearest portfolio
        found before it; NaN for the first).
    method : str
        ``"k_best"`` or ``"diverse"``.
    within : float or None
        The tolerance asked for.
    floor : float or None
        The least value allowed (``best - within * |best|``).
    exhausted : bool
        True when fewer than ``k`` portfolios were found because no other
        portfolio satisfies the rules (and the floor).
    ties_beyond : bool or None
        ``k`` best: whether another portfolio has the same value as the last
        one returned (one more solve tells), so that the k-th place is shared;
        None when it was not checked (diverse, or fewer than ``k`` found).
    """

    portfolios: pd.DataFrame
    summary: pd.DataFrame
    method: str
    within: float | None
    floor: float | None
    exhausted: bool
    ties_beyond: bool | None

    @property
    def in_all(self) -> pd.Index:
        """Projects in every portfolio found."""
        return self.portfolios.columns[self.portfolios.all(axis=0).to_numpy()]

    @property
    def in_none(self) -> pd.Index:
        """Projects in none of the portfolios found."""
        return self.portfolios.columns[~self.portfolios.any(axis=0).to_numpy()]

    def to_frame(self) -> pd.DataFrame:
        """Per project: ``n_portfolios`` holding it, their ``share`` and ``class``.

        ``class`` is ``in all``, ``in none`` or ``in some``.
        """
        n = self.portfolios.sum(axis=0).astype(int)
        share = n / max(1, len(self.portfolios))
        cls = np.where(share == 1.0, "in all", np.where(n == 0, "in none", "in some"))
        return pd.DataFrame({"n_portfolios": n, "share": share, "class": cls},
                            index=self.portfolios.columns)

    def __repr__(self) -> str:
        return (f"Alternatives({self.method}, {len(self.portfolios)} portfolios, "
                f"{len(self.in_all)} projects in all, {len(self.in_none)} in none)")

    def _repr_html_(self) -> str:
        head = (f"<p><b>Alternative portfolios</b> ({self.method}): {len(self.portfolios)} "
                f"found; {len(self.in_all)} projects in all, {len(self.in_none)} in none.</p>")
        return head + self.summary.head(10).to_html()


def _check(k: Any, within: Any, diverse: Any) -> None:
    where = "alternative_portfolios"
    if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
        raise InputError(f"{where}: k must be a whole number >= 1, got {k!r}.")
    if within is not None and (isinstance(within, bool) or not isinstance(within, Real)
                               or not math.isfinite(float(within)) or within < 0):
        raise InputError(f"{where}: within must be a share >= 0 (0.05: within 5% of the "
                         f"optimum), got {within!r}.")
    if not isinstance(diverse, (bool, np.bool_)):
        raise InputError(f"{where}: diverse must be True or False, got {diverse!r}.")
    if diverse and within is None:
        raise InputError(f"{where}: diverse=True needs within= (e.g. within=0.05: portfolios "
                         "within 5% of the optimum); without it the most different portfolio "
                         "may be worthless.")


def alternative_portfolios(portfolio: Portfolio, value: str | pd.Series | None = None, *,
                           k: int = 5, within: float | None = None, diverse: bool = False,
                           **select_options: Any) -> Alternatives:
    """Find the k best distinct portfolios, or k diverse portfolios within x% of the optimum.

    Parameters
    ----------
    portfolio : Portfolio
    value : str or pandas.Series, optional
        What to maximise, as for :func:`portfolio_opt.select`.
    k : int, default 5
        How many portfolios (the optimum included).
    within : float, optional
        Keep only portfolios of value at least ``best - within * |best|``
        (0.05: within 5% of the optimum); the search stops early when no
        other portfolio reaches it.
    diverse : bool, default False
        False: the k best portfolios in order of value. True (needs
        ``within``): after the optimum, each portfolio maximises the number
        of projects in which it differs from those found before (summed over
        them), ties broken by value.
    **select_options
        ``solver, time_limit, gap, threads, budget, schedule, buckets,
        max_average_risk, force_in, force_out`` as for
        :func:`portfolio_opt.select`.

    Returns
    -------
    Alternatives

    Raises
    ------
    InputError
        Bad ``k``, ``within``, ``diverse`` or options.
    InfeasibleError
        When no portfolio satisfies the rules at all (with a diagnosis).

    Notes
    -----
    Sequential: ``k`` solves (one more for ``ties_beyond``), each with one
    no-good cut per portfolio found. With a ``time_limit`` or ``gap``, a
    portfolio may be only ``feasible`` and the order by value is then not
    guaranteed; the summary says so row by row.

    References
    ----------
    E. Danna and D. L. Woodruff (2009). How to select a small set of diverse
    solutions to mixed integer programming problems. *Operations Research
    Letters* 37(4):255-260.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"],
    ...                              "cost": [4.0, 3.0, 3.0], "value": [5.0, 3.0, 3.0]}),
    ...                budget=7)
    >>> alt = alternative_portfolios(pf, k=3)
    >>> alt.summary[["objective", "cost", "n_selected"]]
               objective  cost  n_selected
    portfolio
    1                8.0   7.0           2
    2                8.0   7.0           2
    3                6.0   6.0           2
    >>> alt.in_all.tolist(), alt.in_none.tolist()
    ([], [])
    """
    where = "alternative_portfolios"
    _check(k, within, diverse)
    model_opts, solve_opts = split_options(where, select_options)
    check_model(portfolio, value, model_opts, solve_opts, where)
    ids = portfolio._projects.index
    first = SelectionModel(portfolio, value, **model_opts).solve(**solve_opts)
    records = [record(first)]
    best = first.objective
    floor = None if within is None or math.isnan(best) else best - within * abs(best)
    values = first.value.to_numpy(dtype=float)
    # ties in distance go by value, synergy bonuses included, scaled to less than 1 in all
    # (distances are whole numbers)
    relations = portfolio.relations
    bonuses = relations.loc[relations["kind"] == "synergy", "value"].to_numpy(dtype=float)
    scale = 0.5 / (np.abs(values).sum() + np.abs(bonuses).sum() + 1.0)
    tiebreak = scale * values

    def solve_next(objective: pd.Series | None) -> dict[str, Any] | None:
        found = [r["selected"] for r in records]
        model = SelectionModel(portfolio, value, **model_opts, exclude=found, min_value=floor,
                               objective=objective, synergy_weight=scale)
        try:
            rec = record(model.solve(**solve_opts, diagnose=False))
        except InfeasibleError:
            return None
        return rec if rec["status"] in (Status.OPTIMAL.value, Status.FEASIBLE.value) else None

    exhausted = False
    found_ok = records[0]["status"] in (Status.OPTIMAL.value, Status.FEASIBLE.value)
    while found_ok and len(records) < k:
        objective = None
        if diverse:
            inside = np.array([ids.isin(r["selected"]) for r in records], dtype=float)
            objective = pd.Series((1.0 - 2.0 * inside).sum(axis=0) + tiebreak, index=ids)
        rec = solve_next(objective)
        if rec is None:
            exhausted = True
            break
        records.append(rec)
    ties_beyond = None
    if not diverse and found_ok and len(records) == k:
        nxt = solve_next(None)
        ties_beyond = nxt is not None and _tie(nxt["objective"], records[-1]["objective"])

    index = pd.RangeIndex(1, len(records) + 1, name="portfolio")
    table = pd.DataFrame(np.array([ids.isin(r["selected"]) for r in records], dtype=bool),
                         index=index, columns=pd.Index(ids, name="project_id"))
    distance = [math.nan] + [
        float((table.iloc[:i].to_numpy() != table.iloc[i].to_numpy()).sum(axis=1).min())
        for i in range(1, len(records))]
    summary = pd.DataFrame({c: [r[c] for r in records] for c in
                            ("objective", "cost", "hiring_cost", "n_selected", "status", "gap")},
                           index=index)
    summary["share_of_best"] = summary["objective"] / best if best else math.nan
    summary["distance"] = distance
    return Alternatives(portfolios=table, summary=summary,
                        method="diverse" if diverse else "k_best",
                        within=None if within is None else float(within), floor=floor,
                        exhausted=exhausted, ties_beyond=ties_beyond)
