"""An independent feasibility checker and brute-force optimiser for the selection tests.

Written with numpy, pandas and ``scipy.optimize.linprog`` only, from the contracts
(notes/CONTRACT.md, notes/CONTRACT4.md), reading nothing but the public tables of a
:class:`~portfolio_opt.Portfolio` (``projects``, ``demand``, ``capacity``, ``budget``,
``relations``, ``groups``, ``group_limits``, ``buckets``, ``substitution``, ``periods``). It
imports nothing from ``portfolio_opt``: the tests compare the library against these
recomputations.

Rules recomputed here, for a set of selected projects and their start periods:

- every selected project starts inside its window (earliest_start .. latest_start; with
  ``schedule=False`` at its earliest start) and finishes inside the horizon;
- competence supply, per competence c and period t: ``need + lent - covered - hired <=
  capacity``, where ``need`` is the demand (``amount`` in period ``start + offset``), ``hired`` is
  at most ``flex_amount`` and costs ``flex_cost`` per unit, and substitution lets competence a do
  ``efficiency`` units of b's work per unit lent (at most ``max_amount`` units per period);
- total cost of the selected projects + hiring cost <= total budget;
- per period: project cost spread evenly over the duration from the start + hiring cost of that
  period <= budget of that period;
- mandatory projects are in; forced-in projects are in, forced-out projects are out;
- ``A requires B``: A in => B in, and with a lag L: start(A) >= start(B) + duration(B) + L;
  ``A excludes B``: not both; ``A together B``: both or none;
- groups: at least ``min`` and at most ``max`` of the group's projects selected;
- buckets: the selected projects whose ``column`` reads ``value`` (as text, ignoring case) hold
  between ``min`` and ``max`` of the selected total of ``measure`` (cost, count or a column);
- ``max_average_risk``: sum(cost * risk) <= r * sum(cost) over the selected projects.

The objective is the sum of the selected projects' values plus the synergy ``value`` of every
synergy pair with both projects selected.

Also: :func:`read_orlib`, a reader of the OR-Library multidimensional knapsack files
(tests/data/README.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linprog

TOL = 1e-6  # feasibility tolerance, relative to max(1, |right-hand side|)
MAX_COMBINATIONS = 300_000


def _tol(rhs: np.ndarray | float) -> np.ndarray:
    return TOL * np.maximum(1.0, np.abs(np.asarray(rhs, dtype=float)))


def _ids(ids: Iterable[object] | None) -> list[str]:
    if ids is None:
        return []
    if isinstance(ids, str):
        return [ids]
    return [str(i) for i in ids]


def _text(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip().casefold()


# ------------------------------------------------------------------------ the plain tables


@dataclass(frozen=True)
class Rows:
    """The linear resource rows of a portfolio for fixed start periods.

    ``matrix[r, j]`` is what project ``j`` uses of row ``r`` when selected; a selection ``x``
    (0/1 per project) is within the resources, without hiring or substitution, when
    ``matrix @ x <= rhs`` (within ``TOL``).
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
    ids = projects.index
    if start is None:
        start = projects["earliest_start"]
    s = np.array([periods.index(str(start[i])) for i in ids], dtype=int)
    cost = projects["cost"].to_numpy(dtype=float)
    blocks: list[np.ndarray] = []
    rhs: list[float] = []
    labels: list[str] = []
    b = portfolio.budget
    total = b.total if budget is None else float(budget)
    if total is not None:
        blocks.append(cost[None, :])
        rhs.append(float(total))
        labels.append("total budget")
    spend_m = np.stack([_spend_profile(projects, pid, s[j], len(periods))
                        for j, pid in enumerate(ids)], axis=1) if len(ids) else np.zeros(
        (len(periods), 0))
    if b.per_period is not None:
        blocks.append(spend_m)
        rhs.extend(float(b.per_period[p]) for p in periods)
        labels.extend(f"budget in {p}" for p in periods)
    comps = list(pd.unique(portfolio.capacity["competence"]))
    if comps:
        need = np.stack([_need_profile(portfolio, pid, s[j], comps).ravel()
                         for j, pid in enumerate(ids)], axis=1) if len(ids) else np.zeros(
            (len(comps) * len(periods), 0))
        cap = portfolio.capacity.set_index(["competence", "period"])["amount"]
        blocks.append(need)
        rhs.extend(float(cap[(c, p)]) for c in comps for p in periods)
        labels.extend(f"{c} in {p}" for c in comps for p in periods)
    matrix = np.vstack(blocks) if blocks else np.zeros((0, len(ids)))
    return Rows(ids, matrix, np.asarray(rhs, dtype=float), labels)


def _spend_profile(projects: pd.DataFrame, pid: str, s: int, n_periods: int) -> np.ndarray:
    out = np.zeros(n_periods)
    d = int(projects.loc[pid, "duration"])
    for t in range(s, min(s + d, n_periods)):
        out[t] += float(projects.loc[pid, "cost"]) / d
    return out


def _need_profile(portfolio, pid: str, s: int, comps: list[str]) -> np.ndarray:
    """(competences x periods) demand of one project started at position s."""
    periods = list(portfolio.periods)
    out = np.zeros((len(comps), len(periods)))
    demand = portfolio.demand
    for row in demand[demand["project_id"] == pid].itertuples(index=False):
        t = s + int(row.offset)
        if t < len(periods):
            out[comps.index(row.competence), t] += float(row.amount)
    return out


def spend(portfolio, selected: Iterable[object], start: pd.Series | None = None) -> pd.Series:
    """Cost of the selected projects in each period (cost spread evenly over the duration)."""
    projects = portfolio.projects
    periods = list(portfolio.periods)
    out = pd.Series(0.0, index=pd.Index(periods, name="period"), name="cost")
    for pid in _ids(selected):
        first = periods.index(str(start[pid] if start is not None
                                  else projects.loc[pid, "earliest_start"]))
        out += _spend_profile(projects, pid, first, len(periods))
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


# -------------------------------------------------------------- hiring and substitution


@dataclass(frozen=True)
class Supply:
    """Capacity, hiring and substitution of a portfolio as (competences x periods) arrays."""

    comps: list[str]
    capacity: np.ndarray
    flex: np.ndarray
    price: np.ndarray
    pairs: list[tuple[int, int, float, float]]  # (from, to, efficiency, max units or inf)

    @classmethod
    def of(cls, portfolio) -> Supply:
        cap = portfolio.capacity
        comps = list(pd.unique(cap["competence"]))
        periods = list(portfolio.periods)
        shape = (len(comps), len(periods))
        arrays = {}
        for col in ("amount", "flex_amount", "flex_cost"):
            a = np.zeros(shape)
            if col in cap.columns:
                for c, p, v in zip(cap["competence"], cap["period"], cap[col]):
                    a[comps.index(c), periods.index(p)] = 0.0 if pd.isna(v) else float(v)
            arrays[col] = a
        pairs = []
        sub = portfolio.substitution
        for a, b, e, m in zip(sub["competence"], sub["covers"], sub["efficiency"],
                              sub["max_amount"]):
            pairs.append((comps.index(a), comps.index(b), float(e),
                          np.inf if pd.isna(m) else float(m)))
        return cls(comps, arrays["amount"], arrays["flex_amount"], arrays["flex_cost"], pairs)

    def period_lp(self, need: np.ndarray, t: int, hired: np.ndarray | None = None):
        """Least hiring cost in period t for a need vector (one per competence); None when no
        hiring and substitution covers it. With ``hired`` given, only feasibility (cost of it)."""
        nc, k = len(self.comps), len(self.pairs)
        # variables: h (nc), f (k);  need + out - e*in - h <= cap
        a = np.zeros((nc, nc + k))
        a[:, :nc] = -np.eye(nc)
        for i, (src, dst, e, _) in enumerate(self.pairs):
            a[src, nc + i] += 1.0
            a[dst, nc + i] -= e
        b = self.capacity[:, t] - need
        if hired is None:
            hb = [(0.0, float(self.flex[c, t])) for c in range(nc)]
        else:
            hb = [(float(hired[c]), float(hired[c])) for c in range(nc)]
        fb = [(0.0, None if np.isinf(m) else m) for (_, _, _, m) in self.pairs]
        cost = np.concatenate([self.price[:, t], np.zeros(k)])
        res = linprog(cost, A_ub=a, b_ub=b + 1e-9 * np.maximum(1, np.abs(b)), bounds=hb + fb,
                      method="highs")
        if res.status != 0:
            return None
        return float(res.fun), res.x[:nc]


def min_hiring(portfolio, need: np.ndarray, supply: Supply | None = None, cache=None):
    """Least-cost hiring for a (competences x periods) need: (cost per period, hired) or None
    when no hiring (within flex_amount) and substitution covers the need."""
    supply = Supply.of(portfolio) if supply is None else supply
    nc, nt = need.shape
    if not supply.pairs:
        hired = np.clip(need - supply.capacity, 0.0, None)
        if np.any(hired > supply.flex + _tol(supply.capacity + supply.flex)):
            return None
        return (hired * supply.price).sum(axis=0), hired
    costs, hired = np.zeros(nt), np.zeros((nc, nt))
    for t in range(nt):
        key = (t, tuple(np.round(need[:, t], 9)))
        if cache is not None and key in cache:
            out = cache[key]
        else:
            out = supply.period_lp(need[:, t], t)
            if cache is not None:
                cache[key] = out
        if out is None:
            return None
        costs[t], hired[:, t] = out
    return costs, hired


def need_matrix(portfolio, selected: Iterable[object], start: pd.Series | None) -> np.ndarray:
    """(competences x periods) demand of the selected projects."""
    comps = list(pd.unique(portfolio.capacity["competence"]))
    periods = list(portfolio.periods)
    projects = portfolio.projects
    out = np.zeros((len(comps), len(periods)))
    for pid in _ids(selected):
        s = start[pid] if start is not None else projects.loc[pid, "earliest_start"]
        out += _need_profile(portfolio, pid, periods.index(str(s)), comps)
    return out


# ------------------------------------------------------------------------ the checker


def violations(portfolio, selected: Iterable[object], start: pd.Series | None = None, *,
               budget: float | None = None, force_in: Iterable[object] | None = None,
               force_out: Iterable[object] | None = None, schedule: bool = True,
               buckets: pd.DataFrame | None = None, max_average_risk: float | None = None,
               hiring: pd.DataFrame | None = None) -> list[str]:
    """Every rule the selection breaks, in words; an empty list means feasible.

    ``selected`` are the ids of the selected projects; ``start`` maps ids to start labels
    (default: the earliest start). ``hiring`` (``competence, period, hired``) is the hiring
    plan to check; without it, the least-cost hiring is used (feasible when any exists).
    ``buckets`` replaces the portfolio's buckets when given.
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
    chosen = [i for i in ids if i in set(sel)]

    starts = projects["earliest_start"].copy()
    if start is not None:
        for pid in chosen:
            given = start.get(pid)
            if given is None or str(given) not in periods:
                out.append(f"{pid}: selected without a valid start ({given!r})")
                continue
            first = periods.index(projects.loc[pid, "earliest_start"])
            last = periods.index(projects.loc[pid, "latest_start"]) if schedule else first
            if not first <= periods.index(str(given)) <= last:
                window = periods[first] if first == last else f"{periods[first]}..{periods[last]}"
                out.append(f"{pid}: starts in {given}, outside its window {window}")
            starts[pid] = str(given)
        for pid in [i for i in ids if i not in chosen]:
            if start.get(pid) is not None and not pd.isna(start.get(pid)):
                out.append(f"{pid}: not selected but has a start {start.get(pid)!r}")
    pos = {pid: periods.index(starts[pid]) for pid in chosen}
    for pid in chosen:
        if pos[pid] + int(projects.loc[pid, "duration"]) > len(periods):
            out.append(f"{pid}: runs past the last period {periods[-1]}")

    supply = Supply.of(portfolio)
    need = need_matrix(portfolio, chosen, starts)
    hire_cost = np.zeros(len(periods))
    if hiring is None:
        plan = min_hiring(portfolio, need, supply)
        if plan is None and supply.pairs:
            out.append("competence supply: no hiring and substitution covers the need")
        elif plan is None:
            for c, comp in enumerate(supply.comps):
                for t, p in enumerate(periods):
                    room = supply.capacity[c, t] + supply.flex[c, t]
                    if need[c, t] > room + _tol(room):
                        extra = (f" + {supply.flex[c, t]:g} hired" if supply.flex[c, t] > 0
                                 else "")
                        out.append(f"{comp} in {p}: {need[c, t]:g} > "
                                   f"{supply.capacity[c, t]:g}{extra}")
        else:
            hire_cost = plan[0]
    else:
        h = np.zeros_like(need)
        for c, p, v in zip(hiring["competence"], hiring["period"], hiring["hired"]):
            h[supply.comps.index(c), periods.index(p)] = float(v)
        over = h > supply.flex + _tol(supply.flex)
        for c, t in zip(*np.nonzero(over)):
            out.append(f"hires {h[c, t]:g} {supply.comps[c]} in {periods[t]}, more than the "
                       f"flex_amount {supply.flex[c, t]:g}")
        if (h < -TOL).any():
            out.append("negative hiring")
        hire_cost = (h * supply.price).sum(axis=0)
        for t, p in enumerate(periods):
            if supply.pairs:
                if supply.period_lp(need[:, t], t, hired=h[:, t]) is None:
                    out.append(f"competence supply in {p}: need not covered with the hiring "
                               "given and any substitution")
            else:
                for c, comp in enumerate(supply.comps):
                    room = supply.capacity[c, t] + h[c, t]
                    if need[c, t] > room + _tol(room):
                        out.append(f"{comp} in {p}: {need[c, t]:g} > {supply.capacity[c, t]:g}"
                                   f" + {h[c, t]:g} hired")

    b = portfolio.budget
    total = b.total if budget is None else float(budget)
    cost = float(projects.loc[chosen, "cost"].sum()) + float(hire_cost.sum())
    if total is not None and cost > total + _tol(total):
        out.append(f"total budget: {cost:g} > {total:g}")
    if b.per_period is not None:
        sp = spend(portfolio, chosen, starts).to_numpy() + hire_cost
        for t, p in enumerate(periods):
            lim = float(b.per_period[p])
            if sp[t] > lim + _tol(lim):
                out.append(f"budget in {p}: {sp[t]:g} > {lim:g}")

    for pid in ids[projects["mandatory"].to_numpy(dtype=bool)]:
        if pid not in chosen:
            out.append(f"mandatory project {pid} is not selected")
    for pid in _ids(force_in):
        if pid not in chosen:
            out.append(f"forced-in project {pid} is not selected")
    for pid in _ids(force_out):
        if pid in chosen:
            out.append(f"forced-out project {pid} is selected")
    rel = portfolio.relations
    lags = rel["lag"] if "lag" in rel.columns else pd.Series(np.nan, index=rel.index)
    for kind, a, b_, lag in zip(rel["kind"], rel["project_id"], rel["other_id"], lags):
        ina, inb = a in chosen, b_ in chosen
        if kind == "requires" and ina and not inb:
            out.append(f"{a} requires {b_}, which is not selected")
        elif kind == "requires" and ina and inb and not pd.isna(lag):
            finish = pos[b_] + int(projects.loc[b_, "duration"])
            if pos[a] < finish + int(lag):
                out.append(f"{a} starts in {periods[pos[a]]}, before {b_} finishes plus a lag of "
                           f"{int(lag)}")
        elif kind == "excludes" and ina and inb:
            out.append(f"{a} excludes {b_}, both are selected")
        elif kind == "together" and ina != inb:
            out.append(f"{a} together with {b_}: only one is selected")
    out += _balance_violations(portfolio, chosen, buckets, max_average_risk)
    return out


def _balance_violations(portfolio, chosen: list[str], buckets, max_average_risk) -> list[str]:
    projects = portfolio.projects
    out = []
    groups, limits = portfolio.groups, portfolio.group_limits
    for g, lo, hi in zip(limits["group"], limits["min"], limits["max"]):
        n = int(groups.loc[groups["group"] == g, "project_id"].isin(chosen).sum())
        if not pd.isna(lo) and n < lo:
            out.append(f"group {g}: {n} selected < {lo:g}")
        if not pd.isna(hi) and n > hi:
            out.append(f"group {g}: {n} selected > {hi:g}")
    table = portfolio.buckets if buckets is None else buckets
    for row in table.to_dict("records"):
        measure = row.get("measure")
        measure = "cost" if measure is None or pd.isna(measure) else str(measure)
        m = (pd.Series(1.0, index=projects.index) if measure == "count"
             else projects[measure].astype(float))
        inside = projects[row["column"]].map(_text) == _text(row["value"])
        tot = float(m[chosen].sum())
        part = float(m[[p for p in chosen if inside[p]]].sum())
        for col, sign in (("min", -1.0), ("max", 1.0)):
            share = row.get(col)
            if share is None or pd.isna(share):
                continue
            if sign * (part - float(share) * tot) > _tol(tot):
                out.append(f"bucket {row['column']}={row['value']} ({measure}): {part:g} of "
                           f"{tot:g}, {col} share {float(share):g}")
    if max_average_risk is not None:
        c = projects.loc[chosen, "cost"].astype(float)
        r = projects.loc[chosen, "risk"].astype(float).fillna(0.0)
        if float((c * r).sum()) > max_average_risk * float(c.sum()) + _tol(c.sum()):
            out.append(f"average risk {(c * r).sum() / c.sum():g} > {max_average_risk:g}")
    return out


# ------------------------------------------------------------------------ brute force


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
                force_out: Iterable[object] | None = None, schedule: bool = True,
                buckets: pd.DataFrame | None = None,
                max_average_risk: float | None = None) -> BruteForce | None:
    """Best objective over every subset and every choice of starts; None when nothing fits.

    ``value`` is a column name of the projects table or a Series by project id (default: the
    ``value`` column). Starts range over each window (the earliest start only with
    ``schedule=False``).
    """
    projects = portfolio.projects
    ids = list(projects.index)
    n = len(ids)
    periods = list(portfolio.periods)
    nt = len(periods)
    supply = Supply.of(portfolio)
    comps = supply.comps
    if value is None:
        value = "value"
    v = (projects[value] if isinstance(value, str)
         else pd.Series(value.to_numpy(), index=value.index.astype(str)).reindex(ids))
    v = v.to_numpy(dtype=float)

    # every choice of each project: not selected, or one start of its window
    starts = []
    for pid in ids:
        first = periods.index(projects.loc[pid, "earliest_start"])
        last = periods.index(projects.loc[pid, "latest_start"]) if schedule else first
        starts.append([-1] + list(range(first, last + 1)))
    radix = np.array([len(s) for s in starts])
    total_combos = int(np.prod(radix)) if n else 1
    if total_combos > MAX_COMBINATIONS:
        raise ValueError(f"brute force: {total_combos} combinations, more than "
                         f"{MAX_COMBINATIONS}")
    code = np.arange(total_combos)
    digits = np.zeros((total_combos, n), dtype=int)
    for j in range(n):
        digits[:, j] = code % radix[j]
        code = code // radix[j]
    x = digits > 0
    start_pos = np.full((total_combos, n), -1)
    for j in range(n):
        start_pos[:, j] = np.asarray(starts[j])[digits[:, j]]

    cost = projects["cost"].to_numpy(dtype=float)
    spend_c = np.zeros((total_combos, nt))
    need_c = np.zeros((total_combos, len(comps), nt))
    for j, pid in enumerate(ids):
        sp = np.stack([np.zeros(nt) if s < 0 else _spend_profile(projects, pid, s, nt)
                       for s in starts[j]])
        nd = np.stack([np.zeros((len(comps), nt)) if s < 0 else
                       _need_profile(portfolio, pid, s, comps) for s in starts[j]])
        spend_c += sp[digits[:, j]]
        need_c += nd[digits[:, j]]
        del sp, nd

    ok = np.ones(total_combos, dtype=bool)
    col = {pid: j for j, pid in enumerate(ids)}
    for pid in list(np.array(ids)[projects["mandatory"].to_numpy(dtype=bool)]) + _ids(force_in):
        ok &= x[:, col[pid]]
    for pid in _ids(force_out):
        ok &= ~x[:, col[pid]]
    rel = portfolio.relations
    objective = x.astype(float) @ v
    for kind, a, b, lag, val in zip(rel["kind"], rel["project_id"], rel["other_id"],
                                    rel["lag"], rel["value"]):
        xa, xb = x[:, col[a]], x[:, col[b]]
        if kind == "requires":
            ok &= ~xa | xb
            if not pd.isna(lag):
                finish = start_pos[:, col[b]] + int(projects.loc[b, "duration"])
                ok &= ~xa | (start_pos[:, col[a]] >= finish + int(lag))
        elif kind == "excludes":
            ok &= ~(xa & xb)
        elif kind == "together":
            ok &= xa == xb
        elif kind == "synergy":
            objective = objective + float(val) * (xa & xb)
        else:
            raise ValueError(f"unknown relation kind {kind!r}")
    for j, pid in enumerate(ids):  # every start finishes inside the horizon
        ok &= ~x[:, j] | (start_pos[:, j] + int(projects.loc[pid, "duration"]) <= nt)
    ok &= _balance_mask(portfolio, x, ids, buckets, max_average_risk)

    b = portfolio.budget
    total = b.total if budget is None else float(budget)
    project_cost = x.astype(float) @ cost
    if total is not None:
        ok &= project_cost <= total + _tol(total)
    per = None if b.per_period is None else b.per_period.reindex(periods).to_numpy(dtype=float)
    if per is not None:
        ok &= np.all(spend_c <= per + _tol(per), axis=1)

    def resources_ok(k: int, cache: dict) -> bool:
        plan = min_hiring(portfolio, need_c[k], supply, cache)
        if plan is None:
            return False
        hire = plan[0]
        if total is not None and project_cost[k] + hire.sum() > total + _tol(total):
            return False
        return per is None or bool(np.all(spend_c[k] + hire <= per + _tol(per)))

    if not supply.pairs:  # closed form, for every combination at once
        hired = np.clip(need_c - supply.capacity, 0.0, None)
        ok &= np.all(hired <= supply.flex + _tol(supply.capacity + supply.flex), axis=(1, 2))
        hire_cost = (hired * supply.price).sum(axis=1)
        if total is not None:
            ok &= project_cost + hire_cost.sum(axis=1) <= total + _tol(total)
        if per is not None:
            ok &= np.all(spend_c + hire_cost <= per + _tol(per), axis=1)
        if not ok.any():
            return None
        best = objective[ok].max()
        hits = ok & (objective >= best - 1e-9 * max(1.0, abs(best)))
    else:  # a small linear program per period, best objective first
        cache: dict = {}
        order = np.flatnonzero(ok)[np.argsort(-objective[ok], kind="stable")]
        best = None
        hits = np.zeros(total_combos, dtype=bool)
        for k in order:
            if best is not None and objective[k] < best - 1e-9 * max(1.0, abs(best)):
                break
            if resources_ok(k, cache):
                best = objective[k] if best is None else best
                hits[k] = True
        if best is None:
            return None
    optimal = sorted({frozenset(np.array(ids)[row]) for row in x[hits]}, key=sorted)
    return BruteForce(float(best), optimal)


def _balance_mask(portfolio, x: np.ndarray, ids: list[str], buckets, max_average_risk
                  ) -> np.ndarray:
    projects = portfolio.projects.reindex(ids)
    ok = np.ones(len(x), dtype=bool)
    groups, limits = portfolio.groups, portfolio.group_limits
    for g, lo, hi in zip(limits["group"], limits["min"], limits["max"]):
        members = np.isin(ids, groups.loc[groups["group"] == g, "project_id"].to_numpy())
        n = x[:, members].sum(axis=1)
        if not pd.isna(lo):
            ok &= n >= lo
        if not pd.isna(hi):
            ok &= n <= hi
    table = portfolio.buckets if buckets is None else buckets
    for row in table.to_dict("records"):
        measure = row.get("measure")
        measure = "cost" if measure is None or pd.isna(measure) else str(measure)
        m = (np.ones(len(ids)) if measure == "count" else projects[measure].to_numpy(dtype=float))
        inside = (projects[row["column"]].map(_text) == _text(row["value"])).to_numpy()
        tot = x.astype(float) @ m
        part = x.astype(float) @ (m * inside)
        share = row.get("min")
        if share is not None and not pd.isna(share):
            ok &= part >= float(share) * tot - _tol(tot)
        share = row.get("max")
        if share is not None and not pd.isna(share):
            ok &= part <= float(share) * tot + _tol(tot)
    if max_average_risk is not None:
        c = projects["cost"].to_numpy(dtype=float)
        r = projects["risk"].fillna(0.0).to_numpy(dtype=float)
        ok &= x.astype(float) @ (c * r) <= max_average_risk * (x.astype(float) @ c) + _tol(
            x.astype(float) @ c)
    return ok


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
