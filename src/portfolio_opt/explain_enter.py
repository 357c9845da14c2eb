"""What it takes to bring an excluded project in: exact re-solves behind ``value_to_enter``.

For each project, :func:`value_to_enter` finds by re-solving the model the smallest increase
in its value, or decrease in its cost, that brings it into an optimal portfolio (see
:meth:`portfolio_opt.explain.Explanation.value_to_enter` and docs/explain.md). The re-solves
of one project are one task of :func:`portfolio_opt.parallel.run_many`, so the projects can
be solved on any executor; the results do not depend on it. The tables of what a selection
leaves of each budget and capacity (:func:`_left`) serve both the re-solves and the reasons
of :mod:`portfolio_opt.explain`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import pulp

from portfolio_opt._words import number
from portfolio_opt.exceptions import InfeasibleError, InputError, describe_ids
from portfolio_opt.model import SelectionModel
from portfolio_opt.parallel import run_many
from portfolio_opt.selection import Selection
from portfolio_opt.solvers import Status, run_solver

if TYPE_CHECKING:
    from portfolio_opt.explain import Explanation

__all__ = ["value_to_enter"]

_ENTER = ["project_id", "value", "value_needed", "increase", "cost", "cost_needed", "decrease",
          "solves", "reason"]


def _num(x: float) -> str:
    """Format a number as an analyst reads it: ``1 750``, ``291.7``, ``0.4``."""
    return number(x, thousands=" ")


def _tol(limit: float) -> float:
    """Tolerance of a comparison with ``limit``: 1e-6 relative, 1e-6 absolute below 1."""
    return 1e-6 * max(1.0, abs(limit))


# ---------------------------------------------------------------------------- what is left
def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(dtype=float) if name in frame.columns else np.zeros(len(frame))


def _left(selection: Selection) -> tuple[pd.DataFrame, pd.DataFrame, float | None, float]:
    """Return what the selection leaves of each capacity, period budget and the budget."""
    usage, spend = selection.usage, selection.spend
    cap = pd.DataFrame({"limit": _col(usage, "capacity"), "used": _col(usage, "used"),
                        "hired": _col(usage, "hired"), "util": _col(usage, "utilisation")},
                       index=pd.MultiIndex.from_frame(usage[["competence", "period"]]))
    cap["left"] = (cap["limit"] + cap["hired"] + _col(usage, "covered") - _col(usage, "lent")
                   - cap["used"])
    flex = selection.portfolio.capacity.set_index(["competence", "period"])
    for c in ("flex_amount", "flex_cost"):
        cap[c] = flex[c].reindex(cap.index).fillna(0.0).to_numpy() if c in flex else 0.0
    cap["can_hire"] = np.maximum(cap["flex_amount"] - cap["hired"], 0.0)
    used = _col(spend, "cost") + _col(spend, "hiring")
    per = pd.DataFrame({"limit": _col(spend, "budget"), "used": used},
                       index=pd.Index(spend["period"]))
    per["left"] = per["limit"] - per["used"]
    total = selection.budget
    return cap, per, total, math.nan if total is None else float(total) - float(used.sum())


# -------------------------------------------------------------------------- the re-solves
def _solve_with(model: SelectionModel, pid: str, *, solver: str,
                cost: float | None = None) -> Selection | InfeasibleError:
    """Re-solve with ``pid`` forced in (and its cost replaced); an InfeasibleError if none."""
    m = _forced_model(model, pid, float(model.portfolio.projects.at[pid, "cost"])
                      if cost is None else cost)
    try:
        return m.solve(solver, diagnose=False)
    except InfeasibleError as exc:
        return exc


def _enters(result: Selection | InfeasibleError, z: float) -> bool:
    """Tell whether a re-solve found a portfolio worth ``z`` within every limit.

    Every budget and capacity must hold exactly, not only within the solver's tolerance.
    """
    if isinstance(result, InfeasibleError) or result.objective < z - _tol(z):
        return False
    cap, per, total, total_left = _left(result)

    def ok(left: Any, limit: Any) -> bool:
        left, limit = np.asarray(left, dtype=float), np.asarray(limit, dtype=float)
        return bool((np.isnan(limit) | (left >= -1e-9 * np.maximum(1.0, abs(limit)))).all())

    return (ok(cap["left"], cap["limit"]) and ok(per["left"], per["limit"])
            and (total is None or ok(total_left, total)))


def _room(result: Selection, pid: str, cost: float) -> float:
    """Largest cost of ``pid`` at which ``result`` stays within the total and period budgets."""
    _, per, total, total_left = _left(result)
    d = int(result.portfolio.projects.at[pid, "duration"])
    s = int(result.portfolio.period_position([result.start[pid]])[0])
    room = per["left"].to_numpy()[s:s + d]
    room = room[~np.isnan(room)]
    best = math.inf if total is None else cost + total_left
    return min(best, cost + d * float(room.min())) if len(room) else best


def _forced_model(model: SelectionModel, pid: str, cost: float) -> SelectionModel:
    m = copy.copy(model)
    projects = model.portfolio.projects
    m.force_in = [*[i for i in model.bounds()[0] if not bool(projects.at[i, "mandatory"])], pid]
    projects.loc[pid, "cost"] = float(cost)
    m.portfolio = model.portfolio.replace(projects=projects.reset_index())
    return m


def _max_cost(model: SelectionModel, pid: str, cost: float, z: float, solver: str,
              time_limit: float) -> float | None:
    """Find, by one integer program, the largest cost at which ``pid`` fits a portfolio worth z.

    None when there is none, the model's rows are not linear in the cost, or time runs out.
    The model with ``pid`` forced in is built at its cost and at cost 0. In every row the
    coefficient of a variable of ``pid`` that differs becomes the one at cost 0 plus
    ``slope * c`` (for its "is selected" variable, always 1 here) or ``slope * c_s`` (for its
    option at start s; ``c_s`` equals ``c`` when that start is chosen, else 0), with ``c``
    between 0 and the cost. The objective becomes ``max c``, the value kept at least ``z``.
    """
    high, low = _forced_model(model, pid, cost), _forced_model(model, pid, 0.0)
    problem, zero = high.build(), low.build()
    options = high.options_
    option_of = set(options.loc[options["project_id"] == pid, "variable"])
    is_selected = getattr(high, "selected_variables_", pd.Series(dtype=object)).get(pid)
    new_var = getattr(problem, "add_variable", pulp.LpVariable)
    c_var = new_var(f"cost_of[{pid}]", 0, cost, pulp.LpContinuous)
    at_start: dict[str, Any] = {}
    for name in high.constraints_["name"]:
        c, c0 = problem.get_constraint_by_name(name), zero.get_constraint_by_name(name)
        at_zero = {v.name: a for v, a in c0.items()}
        for v, a in list(c.items()):
            slope = (a - at_zero.get(v.name, 0.0)) / cost
            if abs(slope) <= 1e-12:
                continue
            if v.name in option_of:
                if v.name not in at_start:  # c_s = c if x_s else 0
                    cs = at_start[v.name] = new_var(f"cost_at[{v.name}]", 0, cost,
                                                    pulp.LpContinuous)
                    for k, (expr, sense) in enumerate((
                            (cs - cost * v, pulp.LpConstraintLE), (cs - c_var,
                                                                    pulp.LpConstraintLE),
                            (cs - c_var - cost * v, pulp.LpConstraintGE))):
                        problem += pulp.LpConstraint(expr, sense, f"link{k}[{v.name}]",
                                                     -cost if k == 2 else 0.0)
                term = at_start[v.name]
            elif is_selected is not None and v.name == is_selected.name:
                term = c_var
            else:
                return None  # another variable's coefficient moves with the cost
            c.expr[v] = at_zero.get(v.name, 0.0)
            c.expr[term] = c.expr.get(term, 0.0) + slope
    problem += pulp.LpConstraint(problem.objective.copy(), pulp.LpConstraintGE, "value_floor",
                                 z - 1e-9 * max(1.0, abs(z)))
    problem.setObjective(pulp.LpAffineExpression([(c_var, 1.0)]))
    report = run_solver(problem, solver, time_limit=time_limit)
    return float(c_var.varValue or 0.0) if report.status is Status.OPTIMAL else None


def _cost_to_enter(model: SelectionModel, pid: str, cost: float, z: float, solver: str,
                   time_limit: float) -> tuple[float, int, str]:
    """Largest cost at which a portfolio with ``pid`` is optimal: (cost, solves, why not)."""
    tol = 1e-6 * max(1.0, cost)
    best_cost = _max_cost(model, pid, cost, z, solver, time_limit) if cost > 0 else None
    solves = int(cost > 0)
    if best_cost is not None and best_cost < cost:
        # the solver reports the cost to ~8 digits, within its tolerance: step 1e-7 below,
        # confirm, then take the exact room in the budgets when that is what binds
        below = max(0.0, best_cost * (1 - 1e-7) - 1e-12)
        r = _solve_with(model, pid, solver=solver, cost=below)
        solves += 1
        if _enters(r, z):
            room = _room(cast(Selection, r), pid, below)
            return (room if below < room <= best_cost * (1 + 1e-7) else below), solves, ""
    best = _solve_with(model, pid, solver=solver, cost=0.0)  # then bisection
    solves += 1
    if isinstance(best, InfeasibleError):
        return math.nan, solves, f"even at cost 0 it cannot be in: {best.reasons[0]}"
    if not _enters(best, z):
        return math.nan, solves, (f"even at cost 0 the best portfolio with it is worth "
                                  f"{_num(z - best.objective)} less")
    hi = cost if best_cost is None else min(cost, best_cost + tol)  # out at hi
    lo, verified = 0.0, 0.0  # in at lo; ``best`` was solved at cost ``verified``
    snap, check = True, True  # jump to the room ``best`` leaves; probe just above or halve
    while True:
        room = _room(best, pid, verified) if snap else lo
        if room >= hi:  # it would fit where nothing does: another rule depends on the cost
            snap, room = False, lo
        lo = max(lo, room)
        if hi - lo <= tol * (1 + 1e-9):
            if lo == verified:
                return lo, solves, ""
            r = _solve_with(model, pid, solver=solver, cost=lo)  # confirm the last jump
            solves += 1
            if _enters(r, z):
                verified, best = lo, cast(Selection, r)
                continue
            snap, lo = False, verified
        t = min(lo + tol, hi) if check else (lo + hi) / 2
        r = _solve_with(model, pid, solver=solver, cost=t)
        solves += 1
        if _enters(r, z):
            lo, best, verified = t, cast(Selection, r), t
        else:
            hi = t
        check = not check




@dataclass(frozen=True)
class _EnterTask:
    """The re-solves of one excluded project: picklable, for any executor."""

    model: SelectionModel  # unbuilt: only the parameters travel
    project_id: str
    value: float
    cost: float
    objective: float  # z*, the objective of the selection
    solver: str
    time_limit: float  # for the one harder solve (the largest cost)


def _enter_one(task: _EnterTask) -> dict[str, Any]:
    """Return the ``value_to_enter`` row of one project not in the selection (module level)."""
    pid, v, c, z = task.project_id, task.value, task.cost, task.objective
    row: dict[str, Any] = {"project_id": pid, "value": v, "value_needed": math.nan,
                           "increase": math.nan, "cost": c, "cost_needed": math.nan,
                           "decrease": math.nan, "solves": 1}
    forced = _solve_with(task.model, pid, solver=task.solver)
    if isinstance(forced, InfeasibleError):  # no value helps; a lower cost still may
        words = (f"no value increase does: it cannot be in at cost {_num(c)} "
                 f"({forced.reasons[0]})")
    else:
        gap = z - forced.objective
        gap = 0.0 if gap <= _tol(z) else gap
        row |= {"increase": gap, "value_needed": v + gap}
        if gap == 0.0:
            return row | {"cost_needed": c, "decrease": 0.0,
                          "reason": "ties: a portfolio with it is already optimal"}
        words = f"value +{_num(gap)} brings it in (at exactly +{_num(gap)} it ties)"
    needed, solves, why = _cost_to_enter(task.model, pid, c, z, task.solver, task.time_limit)
    needed = float(f"{needed:.12g}")  # no float dust from summing the budgets
    row |= {"cost_needed": needed, "decrease": c - needed, "solves": 1 + solves}
    words += (f"; cost -{_num(c - needed)} (to {_num(needed)}) brings it in" if not why
              else f"; no cost decrease does: {why}")
    return row | {"reason": words}


def value_to_enter(ex: Explanation, project_ids: Iterable[Any] | str | None = None, *,
                   executor: Executor | None = None,
                   progress: bool | None = None) -> pd.DataFrame:
    """Smallest value increase, or cost decrease, that brings each excluded project in.

    What :meth:`Explanation.value_to_enter <portfolio_opt.explain.Explanation.value_to_enter>`
    returns, for the explanation ``ex``; the other parameters and the table are described
    there. The re-solves of each project are one task of
    :func:`portfolio_opt.parallel.run_many` on ``executor``.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio, explain, select
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "duration": 1,
    ...                              "cost": [5.0, 3.0, 3.0], "value": [5.0, 3.0, 3.0]}),
    ...                budget=7, periods=["2027-Q1"])
    >>> value_to_enter(explain(select(pf)), "A")[["increase", "cost_needed", "solves"]]
       increase  cost_needed  solves
    0       1.0          4.0       3
    """
    sel = ex.selection
    projects = sel.portfolio.projects
    must_out = ex.model.bounds()[1]
    if project_ids is None:
        ids = [p for p in projects.index if not sel.selected[p] and p not in must_out]
    else:
        ids = [project_ids] if isinstance(project_ids, str) else list(
            dict.fromkeys(str(i) for i in project_ids))
        unknown = [i for i in ids if i not in projects.index]
        if unknown:
            raise InputError(f"value_to_enter: project_ids names {describe_ids(unknown)}, which "
                             "are not in the projects table. Fix the ids.")
    z = float(sel.objective)
    limit = max(10.0, 20 * float(sel.solve_time))  # for the one harder solve per project
    note = "" if sel.status is Status.OPTIMAL else \
        f" (relative to a selection not proven optimal: gap {sel.gap:.2%})"
    model = SelectionModel(**ex.model.get_params())  # no built problem to pickle
    rows: list[dict[str, Any]] = []
    tasks: list[_EnterTask] = []
    for pid in ids:
        v, c = float(sel.value[pid]), float(projects.at[pid, "cost"])
        row: dict[str, Any] = {"project_id": pid, "value": v, "value_needed": math.nan,
                               "increase": math.nan, "cost": c, "cost_needed": math.nan,
                               "decrease": math.nan, "solves": 0}
        if sel.selected[pid]:
            row |= {"value_needed": v, "increase": 0.0, "cost_needed": c, "decrease": 0.0,
                    "reason": "already in"}
        elif pid in must_out:
            row["reason"] = "forced out: no value or cost brings it in (remove it from force_out)"
        else:
            tasks.append(_EnterTask(model, pid, v, c, z, ex.solver, limit))
            row = {}  # filled by its task, in this order
        rows.append(row)
    solved = iter(run_many(_enter_one, tasks, executor=executor, progress=progress,
                           desc="value_to_enter"))
    rows = [row or next(solved) for row in rows]
    out = pd.DataFrame(rows, columns=_ENTER)
    if note:
        solved_rows = out["solves"] > 0
        out.loc[solved_rows, "reason"] = out.loc[solved_rows, "reason"] + note
    out["solves"] = out["solves"].astype(int)
    return out
