"""The least-cost hiring plan for a chosen portfolio.

The integer program may hire up to ``flex_amount`` units of a competence in a
period, at ``flex_cost`` per unit (counted in the budgets), and let one
competence cover another's work at an efficiency factor. Its objective is the
portfolio's value only -- no penalty that would distort which projects win --
so the hiring it happens to return may be more than needed. Once the projects
and starts are chosen, the hiring reported is therefore computed again:

- without substitution, in closed form per competence and period:
  ``hired = max(0, need - capacity)``;
- with substitution, by a small linear program over hiring and cover flows
  (scipy's HiGHS), lexicographically: least hiring cost, then fewest units
  hired, then fewest units moved between competences.

Each period is independent and the cost can only go down, so every budget the
integer program respected is still respected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

if TYPE_CHECKING:
    from portfolio_opt.model import SelectionModel

__all__ = ["SupplyPlan", "minimal_hiring"]


@dataclass(frozen=True)
class SupplyPlan:
    """Hiring and cover flows for a chosen portfolio.

    Attributes
    ----------
    hiring : pandas.DataFrame
        ``competence, period, hired, cost``, one row per capacity row.
    substitution : pandas.DataFrame
        ``competence, covers, period, amount, covered`` per pair and period.
    covered : numpy.ndarray
        Per capacity row: work of the competence done by others (its units).
    lent : numpy.ndarray
        Per capacity row: units of the competence working for others.
    """

    hiring: pd.DataFrame
    substitution: pd.DataFrame
    covered: np.ndarray
    lent: np.ndarray


def need_by_row(model: SelectionModel, chosen: np.ndarray) -> np.ndarray:
    """Return what the chosen options need of each capacity row (competence x period)."""
    pf = model.portfolio
    cap = pf._capacity
    terms = model._capacity_terms(model.options_)
    terms = terms[chosen[terms["option"].to_numpy()]]
    key = pd.MultiIndex.from_frame(cap[["competence", "period"]])
    row = key.get_indexer(pd.MultiIndex.from_arrays(
        [terms["competence"].to_numpy(), pf.periods[terms["period"].to_numpy()]]))
    return np.bincount(row, weights=terms["coef"].to_numpy(dtype=float), minlength=len(cap))


def minimal_hiring(model: SelectionModel, chosen: np.ndarray) -> SupplyPlan:
    """Compute the least-cost hiring (and cover flows) for the chosen options.

    Parameters
    ----------
    model : SelectionModel
        Built and solved (``options_`` and the variables hold the solution).
    chosen : numpy.ndarray of bool
        The chosen options, aligned with ``model.options_``.

    Returns
    -------
    SupplyPlan
    """
    pf = model.portfolio
    cap = pf._capacity
    flows = model._flow_table
    need = need_by_row(model, chosen)
    amount = cap["amount"].to_numpy(dtype=float)
    flex = cap["flex_amount"].to_numpy(dtype=float)
    price = cap["flex_cost"].to_numpy(dtype=float)
    moved = np.zeros(len(flows))
    if len(flows) == 0 or not chosen.any():
        # sums of demands carry floating-point noise: round to 1e-9 units
        hired = np.where(flex > 0, np.clip(np.round(need - amount, 9), 0.0, flex), 0.0)
    else:
        hired, moved = _solve_lp(model, need, amount, flex, price, flows)
    key = pd.MultiIndex.from_frame(cap[["competence", "period"]])
    src = key.get_indexer(pd.MultiIndex.from_arrays([flows["competence"], flows["period"]]))
    dst = key.get_indexer(pd.MultiIndex.from_arrays([flows["covers"], flows["period"]]))
    eff = flows["efficiency"].to_numpy(dtype=float)
    lent = np.bincount(src, weights=moved, minlength=len(cap)) if len(flows) else np.zeros(len(cap))
    covered = (np.bincount(dst, weights=moved * eff, minlength=len(cap)) if len(flows)
               else np.zeros(len(cap)))
    hiring = pd.DataFrame({"competence": cap["competence"].to_numpy(),
                           "period": cap["period"].to_numpy(), "hired": hired,
                           "cost": hired * price})
    substitution = pd.DataFrame({
        "competence": flows["competence"].to_numpy(dtype=object),
        "covers": flows["covers"].to_numpy(dtype=object),
        "period": flows["period"].to_numpy(dtype=object),
        "amount": moved, "covered": moved * eff})
    return SupplyPlan(hiring, substitution, covered, lent)


def _solve_lp(model: SelectionModel, need: np.ndarray, amount: np.ndarray, flex: np.ndarray,
              price: np.ndarray, flows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Solve for least cost, then fewest hired, then fewest moved.

    Falls back to the integer program's own values if the linear program
    cannot be solved (it always can, up to the solver's tolerance).
    """
    cap = model.portfolio._capacity
    key = pd.MultiIndex.from_frame(cap[["competence", "period"]])
    hire_rows = np.flatnonzero(flex > 0)
    n_h, n_f = len(hire_rows), len(flows)
    src = key.get_indexer(pd.MultiIndex.from_arrays([flows["competence"], flows["period"]]))
    dst = key.get_indexer(pd.MultiIndex.from_arrays([flows["covers"], flows["period"]]))
    eff = flows["efficiency"].to_numpy(dtype=float)
    # row r: lent - covered - hired <= capacity - need
    a_ub = sparse.coo_matrix((
        np.concatenate([-np.ones(n_h), np.ones(n_f), -eff]),
        (np.concatenate([hire_rows, src, dst]),
         np.concatenate([np.arange(n_h), n_h + np.arange(n_f), n_h + np.arange(n_f)]))),
        shape=(len(cap), n_h + n_f)).tocsr()
    b_ub = amount - need
    bounds = ([(0.0, float(u)) for u in flex[hire_rows]]
              + [(0.0, None if np.isnan(m) else float(m)) for m in flows["max_amount"]])
    stages = [np.concatenate([price[hire_rows], np.zeros(n_f)]),
              np.concatenate([np.ones(n_h), np.zeros(n_f)]),
              np.concatenate([np.zeros(n_h), np.ones(n_f)])]
    extra_a: list[np.ndarray] = []
    extra_b: list[float] = []
    x = None
    for c in stages:
        a = sparse.vstack([a_ub, *[sparse.csr_matrix(r) for r in extra_a]]).tocsr()
        res = linprog(c, A_ub=a, b_ub=np.concatenate([b_ub, extra_b]), bounds=bounds,
                      method="highs")
        if res.status != 0:
            break
        x = res.x
        extra_a.append(c[None, :])
        extra_b.append(float(res.fun))  # the optimum found satisfies it
    if x is None:  # pragma: no cover - the integer program's solution is a witness
        values = np.array([v.varValue or 0.0 for v in model._all_variables], dtype=float)
        hires = model._hire_table
        hired = np.zeros(len(cap))
        hired[hire_rows] = values[hires["column"].to_numpy()]
        return hired, values[flows["column"].to_numpy()]
    # what the stages' tolerances leave is noise: round to 1e-9 units, drop dust
    x = np.round(x, 9)
    x = np.where(x < 1e-7, 0.0, x)
    hired = np.zeros(len(cap))
    hired[hire_rows] = x[:n_h]
    return hired, x[n_h:]
