"""Checks before solving, in the analyst's words.

The projects that must be in -- mandatory, forced in, and everything they need
through ``requires`` / ``together`` relations -- are checked against the rules
that do not depend on the rest of the portfolio: forced out, excludes, group
limits, the total budget, start windows after finish-to-start lags, and the
budget and competence supply of every period (for projects with a start
window: what they need whatever their start, and whether each fits at some
start on its own). Every check is a necessary condition, so a reason found here
is a real conflict; the solver finds the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portfolio_opt.constraints import ranges
from portfolio_opt.exceptions import describe_ids
from portfolio_opt.portfolio import RelationKind

if TYPE_CHECKING:
    from portfolio_opt.model import SelectionModel

__all__ = ["presolve_reasons"]


def _fmt(x: float) -> str:
    return f"{x:,.6g}"


def _over(amount: float | np.ndarray, limit: float | np.ndarray) -> np.ndarray:
    limit = np.asarray(limit, dtype=float)
    return np.asarray(amount, dtype=float) > limit * (1 + 1e-9) + 1e-9


def _closure(must_in: pd.Index, relations: pd.DataFrame) -> dict[str, str]:
    """Map every project needed by a required one to the required project pulling it in."""
    pull = pd.concat([
        relations.loc[relations["kind"] == RelationKind.REQUIRES.value, ["project_id", "other_id"]],
        relations.loc[relations["kind"] == RelationKind.TOGETHER.value, ["project_id", "other_id"]],
        relations.loc[relations["kind"] == RelationKind.TOGETHER.value, ["other_id", "project_id"]]
        .set_axis(["project_id", "other_id"], axis=1),
    ])
    by = {p: p for p in must_in}
    frontier = set(must_in)
    while frontier:
        edges = pull.loc[pull["project_id"].isin(frontier) & ~pull["other_id"].isin(list(by))]
        for src, dst in zip(edges["project_id"], edges["other_id"]):
            by.setdefault(dst, by[src])
        frontier = set(edges["other_id"])
    return by


def _supply(model: SelectionModel) -> pd.DataFrame:
    """Return the most of each competence that could be available: ``capacity, hire, cover``.

    ``cover`` is an upper bound on the work other competences could take over
    (their whole capacity and hiring, times the efficiency, within the
    substitution limit).
    """
    cap = model.portfolio._capacity.set_index(["competence", "period"])
    out = pd.DataFrame({"capacity": cap["amount"], "hire": cap["flex_amount"], "cover": 0.0})
    sub = model.portfolio._substitution
    if len(sub):
        flows = model._flows()
        src = cap["amount"] + cap["flex_amount"]
        most = src.reindex(pd.MultiIndex.from_arrays([flows["competence"], flows["period"]]))
        most = np.minimum(most.to_numpy(), flows["max_amount"].fillna(np.inf).to_numpy())
        cover = pd.Series(most * flows["efficiency"].to_numpy(),
                          index=pd.MultiIndex.from_arrays([flows["covers"], flows["period"]]))
        out["cover"] = cover.groupby(level=[0, 1]).sum().reindex(out.index).fillna(0.0)
    out["total"] = out["capacity"] + out["hire"] + out["cover"]
    return out


def _supply_words(row: pd.Series) -> str:
    text = f"capacity is {_fmt(row['capacity'])}"
    if row["hire"] > 0:
        text += f" plus up to {_fmt(row['hire'])} that may be hired"
    if row["cover"] > 0:
        text += f" plus at most {_fmt(row['cover'])} covered by other competences"
    return text


def _named(who: Iterable[str], by: dict[str, str]) -> str:
    """``P03 (1 project), needed by P01,``: the projects and the required ones pulling them in."""
    who = list(who)
    pullers = sorted({by.get(p, p) for p in who} - set(who))
    return describe_ids(who) + (f", needed by {', '.join(pullers)}," if pullers else "")


def _one(pid: str, by: dict[str, str]) -> str:
    """``P03`` or ``P03 (needed by P01)``."""
    return pid if by.get(pid, pid) == pid else f"{pid} (needed by {by[pid]})"


def presolve_reasons(model: SelectionModel) -> list[str]:
    """Return the conflicts among the projects that must be in, in words (empty: none found)."""
    pf = model.portfolio
    projects = pf._projects
    ids = projects.index
    labels = pf.periods
    must_in, must_out = model.bounds()
    reasons: list[str] = []
    both = must_in.intersection(must_out)
    if len(both):
        reasons.append(f"{describe_ids(both)} are both required (mandatory or forced in) "
                       "and forced out.")
    rel = pf._relations
    by = _closure(must_in, rel)
    needed = set(by)
    for out in sorted(set(must_out) & (needed - set(must_in))):
        reasons.append(f"required project {by[out]} needs {out} (through requires/together "
                       f"relations), but {out} is forced out.")
    exc = rel.loc[(rel["kind"] == RelationKind.EXCLUDES.value)
                  & rel["project_id"].isin(needed) & rel["other_id"].isin(needed)]
    for a, b in zip(exc["project_id"], exc["other_id"]):
        reasons.append(f"{a} excludes {b}, but both are required (mandatory, forced in, or "
                       "needed by a required project).")
    reasons += _group_reasons(model, needed, set(must_out))
    needed_idx = ids[ids.isin(needed)]
    if len(needed_idx) == 0:
        return reasons
    cost = projects.loc[needed_idx, "cost"].sum()
    total = model.total_budget()
    if total is not None and _over(cost, total):
        reasons.append(f"required projects {describe_ids(needed_idx)} cost {_fmt(cost)}; the "
                       f"total budget is {_fmt(total)}.")

    es, ls = model.windows()
    first, why = _earliest_after_lags(model, needed_idx, es)
    for j in np.flatnonzero(ids.isin(needed_idx) & (first > ls)).tolist():
        other, lag = why[j]
        when = (f"in {labels[first[j]]} at the earliest" if first[j] < len(labels)
                else "after the last period")
        reasons.append(
            f"required project {_one(ids[j], by)}"
            f" must start at least {lag:g} period(s) after {other} "
            f"finishes, i.e. {when}, but its latest start is {labels[ls[j]]}.")
    pos = ids.get_indexer(needed_idx)
    fits = first[pos] <= ls[pos]
    if fits.any():
        reasons += _resource_reasons(model, needed_idx[fits], first[pos[fits]], ls[pos[fits]], by)
    return reasons


def _group_reasons(model: SelectionModel, needed: set[str], out: set[str]) -> list[str]:
    pf = model.portfolio
    limits = pf._group_limits
    reasons = []
    for g, lo, hi in limits[["group", "min", "max"]].itertuples(index=False):
        members = pf._groups.loc[pf._groups["group"] == g, "project_id"]
        inside = members[members.isin(needed)]
        if np.isfinite(hi) and len(inside) > hi:
            reasons.append(f"required projects {describe_ids(inside)} are all in group {g!r}, "
                           f"which allows at most {hi:g}.")
        free = members[~members.isin(out)]
        if np.isfinite(lo) and len(free) < lo:
            reasons.append(f"group {g!r} needs at least {lo:g} selected projects but only "
                           f"{len(free)} of its projects may be selected"
                           + (f" ({describe_ids(members[members.isin(out)])} are forced out)."
                              if len(free) < len(members) else "."))
    return reasons


def _earliest_after_lags(model: SelectionModel, needed: pd.Index, es: np.ndarray
                         ) -> tuple[np.ndarray, dict[int, tuple[str, float]]]:
    """Return each project's earliest start after the lags among needed projects.

    Capped one period past the horizon; also the predecessor that binds.
    """
    pf = model.portfolio
    ids = pf._projects.index
    n_periods = len(pf.periods)
    rel = pf._relations
    rel = rel.loc[(rel["kind"] == "requires") & rel["lag"].notna()
                  & rel["project_id"].isin(needed) & rel["other_id"].isin(needed)]
    first = es.copy()
    why: dict[int, tuple[str, float]] = {}
    if rel.empty:
        return first, why
    a = ids.get_indexer(rel["project_id"])
    b = ids.get_indexer(rel["other_id"])
    gap = pf._projects["duration"].to_numpy()[b] + rel["lag"].to_numpy(dtype=np.int64)
    for _ in range(len(needed) + 1):
        want = np.minimum(first[b] + gap, n_periods)
        later = want > first[a]
        if not later.any():
            break
        for k in np.flatnonzero(later):
            if want[k] > first[a[k]]:
                first[a[k]] = want[k]
                why[int(a[k])] = (str(rel["other_id"].iloc[k]), float(rel["lag"].iloc[k]))
    return first, why


def _resource_reasons(model: SelectionModel, needed: pd.Index, lo: np.ndarray,
                      hi: np.ndarray, by: dict[str, str]) -> list[str]:
    """Check the budget per period and the competence supply.

    What the needed projects need whatever their starts (in ``lo .. hi``), and
    projects with a window that fit at no start.
    """
    pf = model.portfolio
    labels = pf.periods
    which, start = ranges(lo, hi - lo + 1)
    options = pd.DataFrame({"project_id": needed.to_numpy()[which], "start": start})
    n_opts = pd.Series(hi - lo + 1, index=needed)
    supply = _supply(model)
    per = pf._budget.per_period
    reasons: list[str] = []
    alone: set[str] = set()  # projects that an aggregate reason blames on their own

    cterms = model._capacity_terms(options)
    cterms["project_id"] = options["project_id"].to_numpy()[cterms["option"].to_numpy()]
    pterms = model._period_terms(options)
    pterms["project_id"] = options["project_id"].to_numpy()[pterms["option"].to_numpy()]

    # whatever the starts: per project, the least it needs in (c, t) over its starts
    least = _least(cterms, ["competence", "period"], n_opts)
    need = least.groupby(["competence", "period"])["coef"].sum()
    for (comp, t), amount in need.items():
        row = supply.loc[(comp, labels[t])]
        if _over(amount, row["total"]):
            who = least.loc[(least["competence"] == comp) & (least["period"] == t)
                            & (least["coef"] > 0), "project_id"]
            fixed = (n_opts[who] == 1).all()
            alone |= set(who) if len(who) == 1 else set()
            reasons.append(
                f"required projects {_named(who, by)} need "
                f"{'' if fixed else 'at least '}{_fmt(amount)} {comp} in {labels[t]}"
                f"{'' if fixed else ' whatever their starts'}; {_supply_words(row)}.")
    if per is not None:
        least_p = _least(pterms, ["period"], n_opts)
        spend = least_p.groupby("period")["coef"].sum()
        for t, s in spend.items():
            if _over(s, per.iloc[t]):
                who = least_p.loc[(least_p["period"] == t) & (least_p["coef"] > 0), "project_id"]
                fixed = (n_opts[who] == 1).all()
                alone |= set(who) if len(who) == 1 else set()
                reasons.append(
                    f"required projects {_named(who, by)} spend {'' if fixed else 'at least '}"
                    f"{_fmt(s)} in {labels[t]}{'' if fixed else ' whatever their starts'}; the "
                    f"budget for that period is {_fmt(per.iloc[t])}.")

    # projects with a window: does each fit, on its own, at some start?
    fail = pd.Series("", index=options.index, dtype=object)
    sup = supply["total"].reindex(pd.MultiIndex.from_arrays(
        [cterms["competence"], labels[cterms["period"].to_numpy()]])).to_numpy()
    bad = _over(cterms["coef"].to_numpy(), sup)
    for k, comp, t, amount, s in zip(cterms["option"][bad], cterms["competence"][bad],
                                     cterms["period"][bad], cterms["coef"][bad], sup[bad]):
        if not fail[k]:
            fail[k] = f"it needs {_fmt(amount)} {comp} in {labels[t]}, at most {_fmt(s)} " \
                      "available"
    if per is not None:
        limit = per.to_numpy()[pterms["period"].to_numpy()]
        bad = _over(pterms["coef"].to_numpy(), limit)
        for k, t, amount, b in zip(pterms["option"][bad], pterms["period"][bad],
                                   pterms["coef"][bad], limit[bad]):
            if not fail[k]:
                fail[k] = f"it spends {_fmt(amount)} in {labels[t]}, budget {_fmt(b)}"
    failed = (fail != "").groupby(options["project_id"]).all()
    for pid in needed[(n_opts > 1).to_numpy() & failed.reindex(needed).to_numpy()
                      & ~needed.isin(list(alone))]:
        rows = options.index[options["project_id"] == pid]
        examples = "; ".join(f"starting in {labels[options.at[k, 'start']]} {fail[k]}"
                             for k in rows[:2])
        reasons.append(
            f"required project {_one(pid, by)} fits at no "
            "start in its window "
            f"{labels[options.at[rows[0], 'start']]}..{labels[options.at[rows[-1], 'start']]}: "
            f"{examples}{'; likewise at its other starts' if len(rows) > 2 else ''}.")
    return reasons


def _least(terms: pd.DataFrame, keys: list[str], n_opts: pd.Series) -> pd.DataFrame:
    """Return per project and key the least coefficient over the project's starts.

    It is 0 unless every start has a term there.
    """
    g = terms.groupby(["project_id", *keys], as_index=False).agg(
        coef=("coef", "min"), starts=("option", "nunique"))
    every = g["starts"].to_numpy() == n_opts.reindex(g["project_id"]).to_numpy()
    return g.assign(coef=np.where(every, g["coef"], 0.0))
