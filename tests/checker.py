"""An independent feasibility checker and brute-force optimiser for the selection tests.

Written with numpy and pandas only, from the contract (notes/CONTRACT.md), reading nothing but the
public tables of a :class:`~portfolio_opt.Portfolio` (``projects``, ``demand``, ``capacity``,
``budget``, ``relations``, ``periods``). It shares no code with ``portfolio_opt.model`` or
``portfolio_opt.selection``: the tests compare the library against these recomputations.

Rules recomputed here, for a set of selected projects and their start periods:

- total cost of the selected projects <= total budget;
- per period: cost spread evenly over the duration from the start <= budget of that period;
- per competence and period: demand (``amount`` needed in period ``start + offset``) <= capacity;
- mandatory projects are in; forced-in projects are in, forced-out projects are out;
- ``A requires B``: A in => B in; ``A excludes B``: not both; ``A together B``: both or none;
- every selected project starts at its earliest start (the only start in this version) and
  finishes inside the horizon.

Also: :func:`read_orlib`, a reader of the OR-Library multidimensional knapsack files
(tests/data/README.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TOL = 1e-6  # feasibility tolerance, relative to max(1, |right-hand side|)
MAX_BRUTE_FORCE = 12


def _tol(rhs: np.ndarray | float) -> np.ndarray:
    return TOL * np.maximum(1.0, np.abs(np.asarray(rhs, dtype=float)))


def _ids(ids: Iterable[object] | None) -> list[str]:
    if ids is None:
        return []
    if isinstance(ids, str):
        return [ids]
    return [str(i) for i in ids]


@dataclass(frozen=True)
class Rows:
    """The linear resource rows of a portfolio for fixed start periods.

    ``matrix[r, j]`` is what project ``j`` uses of row ``r`` when selected; a selection ``x``
    (0/1 per project) is within the resources when ``matrix @ x <= rhs`` (within ``TOL``).
    """

    ids: pd.Index
    matrix: np.ndarray
    rhs: np.ndarray
    labels: list[str]


def resource_rows(portfolio, start: pd.Series | None = None, budget: float | None = None) -> Rows:
    """Total budget, budget per period and capacity per competence x period, as rows.

    ``start`` maps project ids to start labels (default: every project at its earliest
    start); ``budget`` replaces the portfolio's total budget when given.
    """
    projects = portfolio.projects
    periods = list(portfolio.periods)
    pos = {p: k for k, p in enumerate(periods)}
    ids = projects.index
    n, n_periods = len(ids), len(periods)
    if start is None:
        start = projects["earliest_start"]
    s = np.array([pos[str(start[i])] for i in ids], dtype=int)
    cost = projects["cost"].to_numpy(dtype=float)
    duration = projects["duration"].to_numpy(dtype=int)

    blocks: list[np.ndarray] = []
    rhs: list[float] = []
    labels: list[str] = []
    b = portfolio.budget
    total = b.total if budget is None else float(budget)
    if total is not None:
        blocks.append(cost[None, :])
        rhs.append(float(total))
        labels.append("total budget")
    # spend[t, j]: cost / duration in every period t the project runs
    spend = np.zeros((n_periods, n))
    for j in range(n):
        for t in range(s[j], min(s[j] + duration[j], n_periods)):
            spend[t, j] += cost[j] / duration[j]
    if b.per_period is not None:
        per = b.per_period
        blocks.append(spend)
        rhs.extend(float(per[p]) for p in periods)
        labels.extend(f"budget in {p}" for p in periods)
    capacity = portfolio.capacity
    demand = portfolio.demand
    col = {pid: j for j, pid in enumerate(ids)}
    for comp in pd.unique(capacity["competence"]):
        cap = capacity[capacity["competence"] == comp].set_index("period")["amount"]
        use = np.zeros((n_periods, n))
        for row in demand[demand["competence"] == comp].itertuples(index=False):
            j = col[row.project_id]
            t = s[j] + int(row.offset)
            if t < n_periods:
                use[t, j] += float(row.amount)
        blocks.append(use)
        rhs.extend(float(cap[p]) for p in periods)
        labels.extend(f"{comp} in {p}" for p in periods)
    matrix = np.vstack(blocks) if blocks else np.zeros((0, n))
    return Rows(ids, matrix, np.asarray(rhs, dtype=float), labels)


def spend(portfolio, selected: Iterable[object], start: pd.Series | None = None) -> pd.Series:
    """Cost of the selected projects in each period (cost spread evenly over the duration)."""
    projects = portfolio.projects
    periods = list(portfolio.periods)
    out = pd.Series(0.0, index=pd.Index(periods, name="period"), name="cost")
    for pid in _ids(selected):
        first = periods.index(str(start[pid] if start is not None
                                  else projects.loc[pid, "earliest_start"]))
        d = int(projects.loc[pid, "duration"])
        for t in range(first, min(first + d, len(periods))):
            out.iloc[t] += projects.loc[pid, "cost"] / d
    return out


def usage(portfolio, selected: Iterable[object], start: pd.Series | None = None) -> pd.DataFrame:
    """``competence, period, used, capacity, utilisation`` recomputed from the public tables."""
    projects = portfolio.projects
    periods = list(portfolio.periods)
    sel = set(_ids(selected))
    used: dict[tuple[str, str], float] = {}
    for row in portfolio.demand.itertuples(index=False):
        if row.project_id not in sel:
            continue
        s = start[row.project_id] if start is not None else projects.loc[
            row.project_id, "earliest_start"]
        t = periods.index(str(s)) + int(row.offset)
        key = (row.competence, periods[t])
        used[key] = used.get(key, 0.0) + float(row.amount)
    cap = portfolio.capacity
    rows = []
    for comp, period, amount in zip(cap["competence"], cap["period"], cap["amount"]):
        u = used.get((comp, period), 0.0)
        if amount > 0:
            util = u / amount
        else:
            util = np.nan if u == 0 else np.inf
        rows.append((comp, period, u, float(amount), util))
    return pd.DataFrame(rows, columns=["competence", "period", "used", "capacity", "utilisation"])


def violations(portfolio, selected: Iterable[object], start: pd.Series | None = None, *,
               budget: float | None = None, force_in: Iterable[object] | None = None,
               force_out: Iterable[object] | None = None) -> list[str]:
    """Every rule the selection breaks, in words; an empty list means feasible.

    ``selected`` are the ids of the selected projects; ``start`` maps ids to start labels
    (selected projects only are looked at; default: the earliest start).
    """
    projects = portfolio.projects
    ids = projects.index
    periods = list(portfolio.periods)
    sel = _ids(selected)
    out: list[str] = []
    unknown = sorted(set(sel) - set(ids))
    if unknown:
        out.append(f"unknown projects selected: {unknown}")
    if len(set(sel)) != len(sel):
        out.append("a project is selected twice")
    chosen = set(sel) & set(ids)
    x = np.array([pid in chosen for pid in ids], dtype=float)

    starts = projects["earliest_start"].copy()
    if start is not None:
        for pid in [i for i in ids if i in chosen]:
            given = start.get(pid)
            if given is None or str(given) not in periods:
                out.append(f"{pid}: selected without a valid start ({given!r})")
                continue
            if str(given) != projects.loc[pid, "earliest_start"]:
                out.append(f"{pid}: starts in {given}, its earliest start is "
                           f"{projects.loc[pid, 'earliest_start']}")
            starts[pid] = str(given)
        for pid in [i for i in ids if i not in chosen]:
            if start.get(pid) is not None and not pd.isna(start.get(pid)):
                out.append(f"{pid}: not selected but has a start {start.get(pid)!r}")
    for pid in [i for i in ids if i in chosen]:
        first = periods.index(starts[pid])
        if first + int(projects.loc[pid, "duration"]) > len(periods):
            out.append(f"{pid}: runs past the last period {periods[-1]}")

    rows = resource_rows(portfolio, starts, budget)
    lhs = rows.matrix @ x
    over = lhs > rows.rhs + _tol(rows.rhs)
    for label, used, limit in zip(np.array(rows.labels)[over], lhs[over], rows.rhs[over]):
        out.append(f"{label}: {used:g} > {limit:g}")

    for pid in ids[projects["mandatory"].to_numpy(dtype=bool)]:
        if pid not in chosen:
            out.append(f"mandatory project {pid} is not selected")
    for pid in _ids(force_in):
        if pid not in chosen:
            out.append(f"forced-in project {pid} is not selected")
    for pid in _ids(force_out):
        if pid in chosen:
            out.append(f"forced-out project {pid} is selected")
    for kind, a, b in portfolio.relations[["kind", "project_id", "other_id"]].itertuples(
            index=False):
        ina, inb = a in chosen, b in chosen
        if kind == "requires" and ina and not inb:
            out.append(f"{a} requires {b}, which is not selected")
        elif kind == "excludes" and ina and inb:
            out.append(f"{a} excludes {b}, both are selected")
        elif kind == "together" and ina != inb:
            out.append(f"{a} together with {b}: only one is selected")
    return out


@dataclass(frozen=True)
class BruteForce:
    """Result of :func:`brute_force`: the optimum and every optimal subset."""

    objective: float
    optimal: list[frozenset[str]]

    def __contains__(self, ids: Iterable[object]) -> bool:
        return frozenset(_ids(ids)) in self.optimal


def subsets(n: int) -> np.ndarray:
    """All 2**n subsets of n items as a boolean matrix (one row per subset)."""
    return ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)


def brute_force(portfolio, value: pd.Series | str | None = None, *, budget: float | None = None,
                force_in: Iterable[object] | None = None,
                force_out: Iterable[object] | None = None) -> BruteForce | None:
    """Best total value over all 2**n subsets that satisfy every rule; None when none does.

    Every project starts at its earliest start. ``value`` is a column name of the projects
    table or a Series by project id (default: the ``value`` column).
    """
    projects = portfolio.projects
    ids = projects.index
    n = len(ids)
    if n > MAX_BRUTE_FORCE:
        raise ValueError(f"brute force is for at most {MAX_BRUTE_FORCE} projects, got {n}")
    if value is None:
        value = "value"
    v = (projects[value] if isinstance(value, str)
         else pd.Series(value.to_numpy(), index=value.index.astype(str)).reindex(ids))
    v = v.to_numpy(dtype=float)
    x = subsets(n)
    col = {pid: j for j, pid in enumerate(ids)}

    rows = resource_rows(portfolio, None, budget)
    ok = np.all(x.astype(float) @ rows.matrix.T <= rows.rhs + _tol(rows.rhs), axis=1)
    must_in = list(ids[projects["mandatory"].to_numpy(dtype=bool)]) + _ids(force_in)
    for pid in must_in:
        ok &= x[:, col[pid]]
    for pid in _ids(force_out):
        ok &= ~x[:, col[pid]]
    for kind, a, b in portfolio.relations[["kind", "project_id", "other_id"]].itertuples(
            index=False):
        xa, xb = x[:, col[a]], x[:, col[b]]
        if kind == "requires":
            ok &= ~xa | xb
        elif kind == "excludes":
            ok &= ~(xa & xb)
        elif kind == "together":
            ok &= xa == xb
        else:
            raise ValueError(f"unknown relation kind {kind!r}")
    if not ok.any():
        return None
    total = x.astype(float) @ v
    best = total[ok].max()
    hits = ok & (total >= best - 1e-9 * max(1.0, abs(best)))
    optimal = [frozenset(ids[row]) for row in x[hits]]
    return BruteForce(float(best), optimal)


# ---------------------------------------------------------------------- OR-Library files


@dataclass(frozen=True)
class Knapsack:
    """One multidimensional knapsack instance: maximise profit @ x s.t. weights @ x <= capacity."""

    profit: np.ndarray  # (n,)
    weights: np.ndarray  # (m, n)
    capacity: np.ndarray  # (m,)
    optimum: float  # as in the file header (0 when unknown)


def read_orlib(path: str | Path) -> list[Knapsack]:
    """Read an OR-Library ``mknap`` file (format in tests/data/README.md)."""
    numbers = np.array(Path(path).read_text().split(), dtype=float)
    k = 1
    out = []
    for _ in range(int(numbers[0])):
        n, m, opt = int(numbers[k]), int(numbers[k + 1]), float(numbers[k + 2])
        k += 3
        profit = numbers[k:k + n]
        k += n
        weights = numbers[k:k + n * m].reshape(m, n)
        k += n * m
        capacity = numbers[k:k + m]
        k += m
        out.append(Knapsack(profit, weights, capacity, opt))
    if k != len(numbers):
        raise ValueError(f"{path}: {len(numbers) - k} numbers left over")
    return out


def knapsack_tables(instances: list[Knapsack], prefix: str = "") -> dict[str, pd.DataFrame]:
    """Portfolio tables of knapsack instances side by side (independent blocks).

    Item j of instance b is project ``{prefix}b{b}-j{j}`` with value = profit and cost 0;
    resource row i of instance b is competence ``b{b}-r{i}`` with one period ``"1"`` of
    capacity. With one instance this is the usual mapping of a knapsack to a portfolio.
    """
    pid, value, dem_pid, dem_comp, dem_amount, cap_comp, cap_amount = ([] for _ in range(7))
    for b, inst in enumerate(instances):
        m, n = inst.weights.shape
        ids = [f"{prefix}b{b:02d}-j{j:03d}" for j in range(n)]
        pid += ids
        value += inst.profit.tolist()
        for i in range(m):
            comp = f"b{b:02d}-r{i}"
            nz = np.flatnonzero(inst.weights[i])
            dem_pid += [ids[j] for j in nz]
            dem_comp += [comp] * len(nz)
            dem_amount += inst.weights[i, nz].tolist()
            cap_comp.append(comp)
            cap_amount.append(float(inst.capacity[i]))
    projects = pd.DataFrame({"project_id": pid, "cost": 0.0, "value": value})
    demand = pd.DataFrame({"project_id": dem_pid, "competence": dem_comp, "amount": dem_amount})
    capacity = pd.DataFrame({"competence": cap_comp, "period": "1", "amount": cap_amount})
    return {"projects": projects, "demand": demand, "capacity": capacity}
