"""Tests of portfolio_opt.explain: reasons, bottlenecks and value to enter.

Every number is recomputed independently: "left" from the portfolio's own tables, marginal
values by finite differences of the LP relaxation built with scipy's linprog from the tables,
value and cost to enter by brute force over all subsets.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import itertools
import math
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from conftest import ALL, portfolio_cases
from portfolio_opt import InfeasibleError, InputError, Portfolio, Selection, Status, select
from portfolio_opt.explain import Explanation, explain

# the module (``portfolio_opt.explain`` may also name the function in the package namespace)
explain_module = importlib.import_module("portfolio_opt.explain")
enter_module = importlib.import_module("portfolio_opt.explain_enter")  # the re-solves
Q = ["2027-Q1", "2027-Q2", "2027-Q3"]


def portfolio(rows, demand=(), capacity=None, budget=None, relations=None, periods=Q):
    """Projects ``(id, cost, value, start[, duration[, mandatory]])`` with a fixed start."""
    cols = ["project_id", "cost", "value", "earliest_start", "duration", "mandatory"]
    rows = [tuple(r) + (1, False)[len(r) - 4:] for r in rows]
    projects = pd.DataFrame(rows, columns=cols)
    projects["latest_start"] = projects["earliest_start"]
    dem = pd.DataFrame(list(demand), columns=["project_id", "competence", "offset", "amount"])
    cap = None
    if capacity is not None:
        cap = pd.DataFrame([(c, p, a) for (c, p), a in capacity.items()],
                           columns=["competence", "period", "amount"])
    rel = None if relations is None else pd.DataFrame(
        relations, columns=["kind", "project_id", "other_id"])
    return Portfolio(projects, demand=dem if len(dem) else None, capacity=cap, budget=budget,
                     relations=rel, periods=periods)


needs_model = pytest.mark.skipif(
    "model" not in {f.name for f in dataclasses.fields(Selection)},
    reason="Selection does not carry its SelectionModel yet (force_in/force_out are lost)")


# ------------------------------------------------------------------------------ reasons
def test_budget_bound_reason_names_the_cost_and_what_is_left(solvers):
    pf = portfolio([("A", 5.0, 5.0, Q[0]), ("B", 3.0, 3.0, Q[0]), ("C", 3.0, 3.0, Q[0])],
                   budget=7)
    ex = explain(select(pf, solver=solvers))
    p = ex.projects
    assert p["selected"].tolist() == [False, True, True]
    assert p.at["A", "reason"] == "out: costs 5, 1 left in the budget"
    assert p.at["A", "binding"] == ("budget",)
    assert p.at["B", "binding"] == ()
    # all three have value per cost 1: they share rank 1
    assert p.at["B", "reason"] == "in: value 3, rank 1 of 3 by value per cost"
    v = ex.violations
    assert v[["project_id", "start", "group", "need", "left", "limit", "alone"]].values.tolist(
    ) == [["A", Q[0], "budget", 5.0, 1.0, 7.0, False]]


def test_capacity_bound_in_a_named_period():
    cap = {("architecture", q): 3.0 for q in Q}
    pf = portfolio([("X", 0.0, 10.0, Q[2]), ("Y", 0.0, 9.0, Q[2]), ("Z", 0.0, 1.0, Q[0], 2)],
                   demand=[("X", "architecture", 0, 2.6), ("Y", "architecture", 0, 2.5),
                           ("Z", "architecture", 1, 1.0)], capacity=cap)
    ex = explain(select(pf))
    assert ex.projects.at["Y", "reason"] == (
        "out: needs 2.5 architecture in 2027-Q3, 0.4 left after the selected projects")
    assert ex.projects.at["Y", "binding"] == ("capacity[architecture,2027-Q3]",)
    assert ex.projects.loc[["X", "Z"], "selected"].all()


def test_project_too_big_for_any_portfolio():
    pf = portfolio([("A", 2.0, 9.0, Q[0]), ("B", 1.0, 1.0, Q[0])],
                   demand=[("A", "ux", 0, 5.0)], capacity={("ux", q): 3.0 for q in Q})
    ex = explain(select(pf))
    assert ex.projects.at["A", "reason"] == (
        "out: needs 5 ux in 2027-Q1, more than the capacity of 3")
    assert bool(ex.violations.loc[ex.violations["project_id"] == "A", "alone"].all())


def test_project_costing_more_than_the_whole_budget():
    pf = portfolio([("A", 9.0, 9.0, Q[0]), ("B", 3.0, 1.0, Q[0])], budget=8)
    ex = explain(select(pf))
    assert ex.projects.at["A", "reason"] == "out: costs 9, more than the whole budget of 8"
    assert bool(ex.violations.loc[ex.violations["project_id"] == "A", "alone"].all())


def test_excludes_requires_together():
    cap = {("data", q): 3.0 for q in Q}
    pf = portfolio(
        [("A", 1.0, 5.0, Q[0]), ("B", 1.0, 4.0, Q[0]), ("C", 1.0, 3.0, Q[1]),
         ("D", 1.0, 3.0, Q[1]), ("E", 1.0, 3.0, Q[1]), ("F", 1.0, 3.0, Q[2])],
        demand=[("D", "data", 0, 9.0), ("F", "data", 0, 9.0)], capacity=cap,
        relations=[("excludes", "A", "B"), ("requires", "C", "D"), ("together", "E", "F")])
    ex = explain(select(pf))
    r = ex.projects["reason"]
    assert r["B"] == "out: excludes A, which is in"
    assert ex.projects.at["B", "binding"] == ("excludes[A,B]",)
    assert r["C"] == "out: requires D, which is out"
    assert ex.projects.at["C", "binding"] == ("requires[C,D]",)
    assert r["E"] == "out: goes together with F, which is out"
    assert r["F"].startswith("out: needs 9 data in 2027-Q3, more than the capacity of 3")


def test_needed_by_and_values_that_add_nothing():
    pf = portfolio([("A", 1.0, 5.0, Q[0]), ("B", 1.0, -0.5, Q[0]), ("C", 1.0, 0.0, Q[0]),
                    ("D", 1.0, -2.0, Q[0])], relations=[("requires", "A", "B")])
    ex = explain(select(pf))
    r = ex.projects["reason"]
    assert r["B"] == "in: value -0.5, rank 3 of 4 by value per cost; needed by A"
    assert r["D"] == "out: value -2 would lower the total"
    if not ex.projects.at["C", "selected"]:  # a tie: the solver may take it or not
        assert r["C"] == "out: value 0 adds nothing"


def test_mandatory_is_in_for_that_reason():
    pf = portfolio([("A", 5.0, 0.1, Q[0], 1, True), ("B", 3.0, 3.0, Q[0])], budget=6)
    ex = explain(select(pf))
    assert ex.projects.at["A", "reason"] == "in: mandatory"
    assert ex.projects.at["B", "reason"] == "out: costs 3, 1 left in the budget"


@needs_model
def test_forced_in_and_forced_out():
    pf = portfolio([("A", 1.0, 5.0, Q[0]), ("B", 1.0, 0.1, Q[0]), ("C", 1.0, 1.0, Q[0])])
    ex = explain(select(pf, force_in=["B"], force_out=["A"]))
    assert ex.projects.at["A", "reason"] == "out: forced out"
    assert ex.projects.at["B", "reason"] == "in: forced in"
    vte = ex.value_to_enter(["A"])
    assert math.isnan(vte.at[0, "increase"]) and vte.at[0, "reason"].startswith("forced out")


def test_rank_by_value_per_cost_is_recomputed():
    rows = [("P1", 4.0, 2.0, Q[0]), ("P2", 1.0, 1.0, Q[0]), ("P3", 2.0, 3.0, Q[0]),
            ("P4", 0.0, 0.5, Q[0]), ("P5", 3.0, 0.3, Q[0])]
    ex = explain(select(portfolio(rows)))
    ratio = {pid: (v / c if c else math.inf) for pid, c, v, _ in rows}
    for pid in ratio:
        rank = 1 + sum(r > ratio[pid] for r in ratio.values())
        assert f"rank {rank} of 5 by value per cost" in ex.projects.at[pid, "reason"]


def _projects(rows):
    """``(id, cost, value, earliest, latest, duration)`` rows as a projects table."""
    return pd.DataFrame(rows, columns=["project_id", "cost", "value", "earliest_start",
                                       "latest_start", "duration"])


def test_every_start_blocked_names_the_least_blocked_start():
    # W may start in Q1 or Q2; B holds 2 of 3 dev units in Q1 and Q2, so W (2 units) fits
    # nowhere; in Q3 it would run past the horizon
    projects = _projects([("B", 1.0, 9.0, Q[0], Q[0], 2), ("W", 1.0, 5.0, Q[0], Q[1], 2)])
    demand = pd.DataFrame({"project_id": ["B", "W", "W"], "competence": "dev",
                           "offset": [np.nan, 0, 1], "amount": [2.0, 2.0, 0.5]})
    capacity = pd.DataFrame({"competence": "dev", "period": Q, "amount": [3.0, 3.0, 3.0]})
    pf = Portfolio(projects, demand=demand, capacity=capacity, periods=Q)
    ex = explain(select(pf))
    assert ex.projects.at["W", "reason"] == (
        "out: no start from 2027-Q1 to 2027-Q2 fits; starting 2027-Q1 it needs 2 dev in "
        "2027-Q1, 1 left after the selected projects")
    assert ex.projects.at["W", "binding"] == ("capacity[dev,2027-Q1]",)
    v = ex.violations[ex.violations["project_id"] == "W"]
    assert v[["start", "label", "need", "left"]].values.tolist() == [
        [Q[0], "capacity[dev,2027-Q1]", 2.0, 1.0], [Q[1], "capacity[dev,2027-Q2]", 2.0, 1.0]]


def test_precedence_with_a_lag():
    # A requires B with a lag of 1: A (fixed in Q2) would start before B (Q1) finishes + 1
    projects = _projects([("A", 1.0, 5.0, Q[1], Q[1], 1), ("B", 1.0, 3.0, Q[0], Q[0], 1)])
    rel = pd.DataFrame({"kind": ["requires"], "project_id": ["A"], "other_id": ["B"],
                        "lag": [1]})
    ex = explain(select(Portfolio(projects, relations=rel, periods=Q)))
    assert ex.projects.at["A", "reason"] == "out: would start before B finishes plus a lag of 1"
    assert ex.projects.at["A", "binding"] == ("precedence[A,B,2027-Q2]",)
    assert ex.projects.at["B", "reason"].startswith("in: value 3")


def test_hiring_counts_in_left_and_in_the_budget():
    # dev capacity 2 in Q1, up to 1 more unit may be hired at 10 per unit
    projects = _projects([("A", 5.0, 9.0, Q[0], Q[0], 1), ("B", 4.0, 4.0, Q[0], Q[0], 1),
                          ("C", 1.0, 1.0, Q[0], Q[0], 1)])
    demand = pd.DataFrame({"project_id": ["A", "B", "C"], "competence": "dev",
                           "amount": [2.5, 1.0, 1.0]})
    capacity = pd.DataFrame({"competence": "dev", "period": [Q[0]], "amount": [2.0],
                             "flex_amount": [1.0], "flex_cost": [10.0]})
    pf = Portfolio(projects, demand=demand, capacity=capacity, budget=12.0, periods=[Q[0]])
    sel = select(pf)
    assert sel.selected_ids.tolist() == ["A"]
    hired = float(sel.hiring["hired"].sum())
    assert hired == pytest.approx(0.5)  # A needs 2.5 of 2
    ex = explain(sel)
    v = ex.violations.set_index(["project_id", "label"])
    # capacity left: capacity + hired - used = 0; 0.5 more may be hired
    assert v.at[("B", "capacity[dev,2027-Q1]"), "left"] == pytest.approx(2.0 + hired - 2.5)
    assert v.at[("B", "capacity[dev,2027-Q1]"), "can_hire"] == pytest.approx(1.0 - hired)
    assert ex.projects.at["B", "reason"].startswith(
        "out: needs 1 dev in 2027-Q1, 0 left after the selected projects and 0.5 more could be "
        "hired")
    # the budget left is 12 - 5 - 0.5 * 10 = 2
    budget_left = 12.0 - 5.0 - hired * 10.0
    assert ex.bottlenecks.set_index("label").at["budget", "slack"] == pytest.approx(budget_left)
    assert ex.bottlenecks.set_index("label").at["capacity[dev,2027-Q1]", "hired"] == \
        pytest.approx(hired)


def test_hiring_cost_is_added_to_what_a_project_would_spend():
    # B fits the competence only by hiring 1 unit at 10: cost 4 + 10 > 7 left
    projects = _projects([("A", 5.0, 9.0, Q[0], Q[0], 1), ("B", 4.0, 4.0, Q[0], Q[0], 1)])
    demand = pd.DataFrame({"project_id": ["A", "B"], "competence": "dev",
                           "amount": [2.0, 1.0]})
    capacity = pd.DataFrame({"competence": "dev", "period": [Q[0]], "amount": [2.0],
                             "flex_amount": [3.0], "flex_cost": [10.0]})
    pf = Portfolio(projects, demand=demand, capacity=capacity, budget=12.0, periods=[Q[0]])
    ex = explain(select(pf))
    assert ex.projects.at["B", "reason"] == "out: costs 4 (+10 hiring), 7 left in the budget"
    row = ex.violations.iloc[0]
    assert (row["need"], row["left"]) == (14.0, 7.0)


def test_group_bucket_and_risk_rules_in_words():
    projects = _projects([("A", 2.0, 5.0, Q[0], Q[0], 1), ("B", 2.0, 4.0, Q[0], Q[0], 1),
                          ("C", 2.0, 3.0, Q[0], Q[0], 1)]).assign(
        category=["it", "it", "ops"], risk=[0.1, 0.9, 0.1])
    groups = pd.DataFrame({"group": "g", "project_id": ["A", "B"]})
    limits = pd.DataFrame({"group": ["g"], "min": [np.nan], "max": [1.0]})
    pf = Portfolio(projects, groups=groups, group_limits=limits, periods=[Q[0]])
    ex = explain(select(pf))
    assert ex.projects.at["B", "reason"] == "out: group g already has its maximum of 1"
    assert ex.projects.at["B", "binding"] == ("group_max[g]",)
    ex = explain(select(Portfolio(projects, periods=[Q[0]]), max_average_risk=0.3))
    assert ex.projects.at["B", "reason"] == (
        "out: would raise the cost-weighted average risk above 0.3")
    buckets = pd.DataFrame({"column": ["category"], "value": ["it"], "measure": ["cost"],
                            "max": [0.5]})
    ex = explain(select(Portfolio(projects, periods=[Q[0]]), buckets=buckets))
    assert ex.projects.at["B", "reason"] == (
        "out: would push category=it above its maximum share (50% of cost)")


def test_negative_synergy_fits_but_a_better_portfolio_uses_the_room():
    projects = _projects([("A", 1.0, 5.0, Q[0], Q[0], 1), ("B", 1.0, 4.0, Q[0], Q[0], 1)])
    rel = pd.DataFrame({"kind": ["synergy"], "project_id": ["A"], "other_id": ["B"],
                        "value": [-10.0]})
    ex = explain(select(Portfolio(projects, relations=rel, periods=[Q[0]])))
    assert ex.projects.at["B", "reason"] == (
        "out: fits, but a better portfolio uses the room: the best portfolio with it is worth "
        "1 less")
    assert ex.value_to_enter().at[0, "increase"] == pytest.approx(1.0)


# -------------------------------------------------- left numbers, recomputed from the tables
def _independent_left(pf, selection):
    """What the selected portfolio leaves, from the public tables and the selected starts.

    Without substitution the least hiring is ``max(0, used - capacity)`` per competence and
    period, paid at ``flex_cost`` in that period's budget and in the total.
    """
    projects, periods = pf.projects, list(pf.periods)
    sel = selection.selected_ids
    capacity = pf.capacity.set_index(["competence", "period"])
    used = dict.fromkeys(capacity.index, 0.0)
    for pid, comp, off, amount in pf.demand[["project_id", "competence", "offset",
                                             "amount"]].values:
        if pid in sel:
            used[(comp, periods[periods.index(selection.start[pid]) + int(off)])] += amount
    cap, hiring = {}, dict.fromkeys(periods, 0.0)
    for key, row in capacity.iterrows():
        hired = max(0.0, used[key] - row["amount"])
        cap[key] = {"left": row["amount"] + hired - used[key],
                    "can_hire": row["flex_amount"] - hired, "flex_cost": row["flex_cost"]}
        hiring[key[1]] += hired * row["flex_cost"]
    spend = dict.fromkeys(periods, 0.0)
    for pid in sel:
        d, s = int(projects.at[pid, "duration"]), periods.index(selection.start[pid])
        for t in periods[s:s + d]:
            spend[t] += projects.at[pid, "cost"] / d
    per = {}
    if pf.budget.per_period is not None:
        per = {t: float(pf.budget.per_period[t]) - spend[t] - hiring[t] for t in periods}
    total = None if selection.budget is None else \
        selection.budget - sum(spend.values()) - sum(hiring.values())
    return cap, per, total


def _independent_violations(pf, pid, cap, per, total):
    """``{(start, key): (need, left)}`` for every start of ``pid``'s window."""
    projects, periods = pf.projects, list(pf.periods)
    d, cost = int(projects.at[pid, "duration"]), float(projects.at[pid, "cost"])
    dem = pf.demand[pf.demand["project_id"] == pid]
    out = {}
    for s in range(periods.index(projects.at[pid, "earliest_start"]),
                   periods.index(projects.at[pid, "latest_start"]) + 1):
        need = {}
        for comp, off, amount in dem[["competence", "offset", "amount"]].values:
            key = (comp, periods[s + int(off)])
            need[key] = need.get(key, 0.0) + amount
        hire = dict.fromkeys(periods, 0.0)
        for key, amount in need.items():
            c = cap[key]
            short = amount - c["left"]
            if short > c["can_hire"] + 1e-9:
                out[(periods[s], ("capacity",) + key)] = (amount, c["left"])
            elif short > 1e-9:
                hire[key[1]] += short * c["flex_cost"]
        if total is not None and cost + sum(hire.values()) > total + 1e-9:
            out[(periods[s], ("budget",))] = (cost + sum(hire.values()), total)
        for t in periods[s:s + d]:
            if per and cost / d + hire[t] > per[t] + 1e-9:
                out[(periods[s], ("period_budget", t))] = (cost / d + hire[t], per[t])
    return out


def _independent_relations(pf, selection):
    """``{(project, start, group)}``: relation rules an excluded project would break."""
    projects, periods = pf.projects, list(pf.periods)
    sel = set(selection.selected_ids)
    start = {p: periods.index(selection.start[p]) for p in sel}
    out = set()
    for pid in pf.project_ids.difference(selection.selected_ids):
        for s in range(periods.index(projects.at[pid, "earliest_start"]),
                       periods.index(projects.at[pid, "latest_start"]) + 1):
            for kind, a, b, lag in pf.relations[["kind", "project_id", "other_id",
                                                 "lag"]].values:
                other = b if a == pid else a if b == pid else None
                if other is None:
                    continue
                if kind == "excludes" and other in sel:
                    out.add((pid, periods[s], "excludes"))
                elif kind == "together" and other not in sel:
                    out.add((pid, periods[s], "together"))
                elif kind == "requires" and a == pid:
                    if other not in sel:
                        out.add((pid, periods[s], "requires"))
                    if lag == lag and (other not in sel or s < start[other] + int(
                            projects.at[other, "duration"]) + lag):
                        out.add((pid, periods[s], "precedence"))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolio_cases(options=False, features=ALL - {"substitution"}))
def test_left_numbers_and_violations_match_recomputation(case):
    pf = case.portfolio()
    try:
        selection = select(pf)
    except InfeasibleError:
        return
    ex = explain(selection)
    cap, per, total = _independent_left(pf, selection)
    found = {}
    for row in ex.violations.itertuples():
        if row.group == "capacity":
            key = ("capacity", *row.label[len("capacity["):-1].rsplit(",", 1))
        elif row.group == "period_budget":
            key = ("period_budget", row.label[len("budget["):-1])
        elif row.group == "budget":
            key = ("budget",)
        else:
            continue
        found[(row.project_id, row.start, key)] = (row.need, row.left)
    expected = {}
    for pid in pf.project_ids.difference(selection.selected_ids):
        for (start, key), numbers in _independent_violations(pf, pid, cap, per, total).items():
            expected[(pid, start, key)] = numbers
    assert found.keys() == expected.keys()
    for k in found:
        assert found[k] == pytest.approx(expected[k], abs=1e-9)
    # relations broken at each start, from the relations table
    rel_groups = {"excludes", "requires", "together", "precedence"}
    got = {(r.project_id, r.start, r.group) for r in ex.violations.itertuples()
           if r.group in rel_groups}
    assert got == _independent_relations(pf, selection)
    # each excluded project has a reason in words, each selected one says why it is in
    p = ex.projects
    assert all(r.startswith("out: ") for r in p.loc[~p["selected"], "reason"])
    assert all(r.startswith("in: ") for r in p.loc[p["selected"], "reason"])


# ---------------------------------------------- bottlenecks: finite differences of the LP
def _lp(pf, value, rhs_change=None):
    """LP relaxation optimum built with linprog from the public tables (fixed starts)."""
    projects, periods = pf.projects, list(pf.periods)
    ids = list(projects.index)
    n = len(ids)
    rows, rhs, labels = [], [], []
    cost = projects["cost"].to_numpy(dtype=float)
    if pf.budget.total is not None:
        rows.append(cost), rhs.append(pf.budget.total), labels.append("budget")
    start = {pid: periods.index(projects.at[pid, "earliest_start"]) for pid in ids}
    dur = projects["duration"].to_numpy(dtype=int)
    if pf.budget.per_period is not None:
        for k, t in enumerate(periods):
            rows.append(np.array([cost[j] / dur[j] if start[pid] <= k < start[pid] + dur[j]
                                  else 0.0 for j, pid in enumerate(ids)]))
            rhs.append(float(pf.budget.per_period[t])), labels.append(f"budget[{t}]")
    for comp, t, amount in pf.capacity[["competence", "period", "amount"]].values:
        row = np.zeros(n)
        for pid, c, off, a in pf.demand[["project_id", "competence", "offset",
                                         "amount"]].values:
            if c == comp and periods[start[pid] + int(off)] == t:
                row[ids.index(pid)] += a
        rows.append(row), rhs.append(float(amount)), labels.append(f"capacity[{comp},{t}]")
    rhs = np.array(rhs)
    if rhs_change:
        rhs = rhs + np.array([rhs_change.get(label, 0.0) for label in labels])
    lower = projects["mandatory"].to_numpy(dtype=float)
    res = linprog(-value.reindex(ids).to_numpy(), A_ub=np.array(rows), b_ub=rhs,
                  bounds=list(zip(lower, np.ones(n))), method="highs")
    assert res.status == 0
    return -res.fun, labels


def _small_lp_portfolio():
    rows = [("A", 4.0, 6.0, Q[0], 2), ("B", 3.0, 3.5, Q[1], 2), ("C", 2.0, 1.5, Q[0]),
            ("D", 5.0, 4.0, Q[1]), ("E", 1.0, 1.2, Q[2])]
    demand = [("A", "dev", 0, 2.0), ("A", "dev", 1, 1.0), ("B", "dev", 0, 1.5),
              ("B", "dev", 1, 2.5), ("C", "dev", 0, 1.0), ("D", "dev", 0, 3.0),
              ("E", "dev", 0, 1.0), ("D", "arch", 0, 1.0), ("E", "arch", 0, 2.0)]
    capacity = {("dev", Q[0]): 3.0, ("dev", Q[1]): 4.0, ("dev", Q[2]): 3.5,
                ("arch", Q[0]): 1.0, ("arch", Q[1]): 1.0, ("arch", Q[2]): 1.5}
    budget = pd.DataFrame({"period": ["total", *Q], "amount": [11.0, 4.0, 6.0, 5.0]})
    return portfolio(rows, demand, capacity, budget)


def test_marginal_values_are_lp_relaxation_duals(solvers):
    pf = _small_lp_portfolio()
    sel = select(pf, solver=solvers)
    ex = explain(sel, solver=solvers)
    bn = ex.bottlenecks.set_index("label")
    z, labels = _lp(pf, sel.value)
    assert set(labels) == set(bn.index)
    assert bn["marginal_value"].is_monotonic_decreasing or (
        ex.bottlenecks["marginal_value"].diff().dropna() <= 1e-12).all()
    assert (bn["marginal_value"] > 1e-6).sum() >= 2
    h = 1e-4
    for label in labels:
        up = (_lp(pf, sel.value, {label: h})[0] - z) / h
        down = (z - _lp(pf, sel.value, {label: -h})[0]) / h
        one = _lp(pf, sel.value, {label: 1.0})[0] - z
        dual = bn.at[label, "marginal_value"]
        # the LP optimum is concave in the right-hand side: a dual lies between the one-sided
        # derivatives, and one more unit gains at most the dual
        assert up - 1e-6 <= dual <= down + 1e-6, label
        assert one <= dual + 1e-6, label
    assert "LP relaxation" in ex.bottlenecks.attrs["marginal_value"]


def test_nondegenerate_dual_equals_the_derivative(solvers):
    # budget 6: A (value/cost 2) in, then 2/3 of B (1.5): the budget's marginal value is 1.5
    pf = portfolio([("A", 3.0, 6.0, Q[0]), ("B", 3.0, 4.5, Q[0]), ("C", 3.0, 1.0, Q[0])],
                   budget=5.0)
    sel = select(pf, solver=solvers)
    bn = explain(sel, solver=solvers).bottlenecks.set_index("label")
    z = _lp(pf, sel.value)[0]
    assert bn.at["budget", "marginal_value"] == pytest.approx(
        (_lp(pf, sel.value, {"budget": 1e-3})[0] - z) / 1e-3, abs=1e-6)
    assert bn.at["budget", "marginal_value"] == pytest.approx(1.5)
    assert bn.at["budget", "used"] == 3.0 and bn.at["budget", "slack"] == 2.0


def test_bottleneck_usage_columns_match_the_selection():
    pf = _small_lp_portfolio()
    sel = select(pf)
    bn = explain(sel).bottlenecks
    usage = sel.usage.assign(label=lambda d: "capacity[" + d["competence"] + "," + d["period"]
                             + "]").set_index("label")
    cap = bn[bn["group"] == "capacity"].set_index("label")
    assert cap["used"].to_dict() == pytest.approx(usage["used"].reindex(cap.index).to_dict())
    assert cap["slack"].to_dict() == pytest.approx(
        (usage["capacity"] - usage["used"]).reindex(cap.index).to_dict())
    assert (bn["lp_slack"] >= -1e-7).all()
    # complementary slackness in the relaxation: a positive dual means no LP slack
    assert (bn.loc[bn["marginal_value"] > 1e-7, "lp_slack"].abs() < 1e-6).all()


def test_the_lp_relaxation_goes_to_highs_unless_a_solver_is_named(monkeypatch):
    """HiGHS in memory when installed (minutes faster at 100 000 projects); a named solver
    is used for the LP and the re-solves alike; the selection's solver for the re-solves."""
    from portfolio_opt.model import SelectionModel
    from portfolio_opt.solvers import Solver

    used = []
    real = SelectionModel.relaxation

    def spy(self, solver=None, **kwargs):
        used.append(solver)
        return real(self, solver=solver, **kwargs)

    monkeypatch.setattr(SelectionModel, "relaxation", spy)
    sel = select(_small_lp_portfolio(), solver="cbc")
    assert explain(sel).solver == "cbc"
    assert used == ["highs" if Solver.HIGHS.available() else "cbc"]
    used.clear()
    assert explain(sel, solver="cbc").solver == "cbc" and used == ["cbc"]


# ----------------------------------------------------------- value to enter: brute force
def _best(pf, value, cost, pid, risk=None):
    """Best total value with and without ``pid`` (-inf when none), by enumerating every
    choice of each project: out, or in at one start of its window."""
    projects, periods = pf.projects, list(pf.periods)
    ids, n_t = list(projects.index), len(periods)
    j = ids.index(pid)
    c = projects["cost"].to_numpy(dtype=float).copy()
    c[j] = cost
    dur = projects["duration"].to_numpy(dtype=int)
    window = [range(periods.index(e), periods.index(la) + 1)
              for e, la in zip(projects["earliest_start"], projects["latest_start"])]
    comps = list(pd.unique(pf.capacity["competence"]))
    cap = np.zeros((len(comps), n_t))
    for comp, t, amount in pf.capacity[["competence", "period", "amount"]].values:
        cap[comps.index(comp), periods.index(t)] = amount

    def use(i, s):  # (total cost, cost per period, need per competence x period)
        per = np.zeros(n_t)
        per[s:s + dur[i]] = c[i] / dur[i]
        need = np.zeros((len(comps), n_t))
        for q, cc, off, a in pf.demand[["project_id", "competence", "offset",
                                        "amount"]].values:
            if q == ids[i] and cc in comps:
                need[comps.index(cc), s + int(off)] += a
        return c[i], per, need

    uses = [{s: use(i, s) for s in window[i]} for i in range(len(ids))]
    mandatory = projects["mandatory"].to_numpy(dtype=bool)
    rel = pf.relations[["kind", "project_id", "other_id", "lag"]].values
    v = value.reindex(ids).to_numpy(dtype=float)
    best = [-np.inf, -np.inf]
    for choice in itertools.product(*[[None, *w] for w in window]):
        if any(m and ch is None for m, ch in zip(mandatory, choice)):
            continue
        chosen = [i for i, ch in enumerate(choice) if ch is not None]
        total = sum(uses[i][choice[i]][0] for i in chosen)
        per = sum((uses[i][choice[i]][1] for i in chosen), np.zeros(n_t))
        need = sum((uses[i][choice[i]][2] for i in chosen), np.zeros((len(comps), n_t)))
        if pf.budget.total is not None and total > pf.budget.total + 1e-9:
            continue
        if pf.budget.per_period is not None and (
                per > pf.budget.per_period.reindex(periods).to_numpy() + 1e-9).any():
            continue
        if (need > cap + 1e-9).any():
            continue
        if risk is not None and sum(c[i] * (projects["risk"].iloc[i] - risk)
                                    for i in chosen) > 1e-9:
            continue
        ok = True
        for kind, a, b, lag in rel:
            sa, sb = choice[ids.index(a)], choice[ids.index(b)]
            if kind == "requires":
                ok &= sa is None or (sb is not None and (
                    lag != lag or sa >= sb + dur[ids.index(b)] + lag))
            elif kind == "excludes":
                ok &= sa is None or sb is None
            elif kind == "together":
                ok &= (sa is None) == (sb is None)
        if ok:
            k = 0 if choice[j] is not None else 1
            best[k] = max(best[k], float(v[chosen].sum()))
    return best[0], best[1]


def _check_value_to_enter(pf, table, value, risk=None):
    eps = 1e-5
    for row in table.itertuples():
        base = value.copy()
        if math.isnan(row.increase):  # no portfolio holds it at its cost
            assert _best(pf, base, row.cost, row.project_id, risk)[0] == -np.inf, row
        else:
            base[row.project_id] = row.value + row.increase + eps
            with_p, without = _best(pf, base, row.cost, row.project_id, risk)
            assert with_p > without, row  # in every optimum just above the increase
            base[row.project_id] = row.value + row.increase - eps
            with_p, without = _best(pf, base, row.cost, row.project_id, risk)
            assert with_p < without, row  # in none just below
            assert row.value_needed == pytest.approx(row.value + row.increase)
        if math.isnan(row.cost_needed):
            with_p, without = _best(pf, value, 0.0, row.project_id, risk)
            assert with_p < without - 1e-9, row
            continue
        with_p, without = _best(pf, value, row.cost_needed, row.project_id, risk)
        assert with_p >= without - 1e-9, row  # a portfolio with it is optimal at cost_needed
        if row.increase == 0:  # a tie already: no decrease needed
            assert row.cost_needed == row.cost and row.decrease == 0
            continue
        step = 1e-5 * max(1.0, row.cost)
        with_p, without = _best(pf, value, row.cost_needed + step, row.project_id, risk)
        assert with_p < without, row
        assert row.decrease == pytest.approx(row.cost - row.cost_needed)


def test_value_to_enter_matches_brute_force(solvers):
    pf = _small_lp_portfolio()
    sel = select(pf, solver=solvers)
    table = explain(sel, solver=solvers).value_to_enter()
    assert table["project_id"].tolist() == list(pf.project_ids.difference(
        sel.selected_ids, sort=False))
    assert table.columns.tolist() == ["project_id", "value", "value_needed", "increase",
                                      "cost", "cost_needed", "decrease", "solves", "reason"]
    assert (table["solves"] >= 1).all()
    _check_value_to_enter(pf, table, sel.value)


def test_value_to_enter_when_cost_cannot_help_or_nothing_can():
    cap = {("ux", q): 3.0 for q in Q}
    pf = portfolio([("A", 1.0, 5.0, Q[0]), ("B", 1.0, 4.0, Q[0]), ("C", 1.0, 4.0, Q[0]),
                    ("M", 1.0, 1.0, Q[0], 1, True)],
                   demand=[("A", "ux", 0, 2.0), ("B", "ux", 0, 2.0), ("C", "ux", 0, 1.0)],
                   capacity=cap, budget=3.0, relations=[("excludes", "C", "M")])
    sel = select(pf)
    table = explain(sel).value_to_enter(["B", "C", "A"]).set_index("project_id")
    assert table.at["A", "reason"] == "already in" and table.at["A", "increase"] == 0
    assert table.at["B", "increase"] == pytest.approx(1.0)
    assert math.isnan(table.at["B", "cost_needed"])
    assert "no cost decrease does" in table.at["B", "reason"]
    assert math.isnan(table.at["C", "increase"]) and math.isnan(table.at["C", "cost_needed"])
    assert table.at["C", "reason"].startswith("no value increase does: it cannot be in at cost 1")
    assert "no cost decrease does: even at cost 0 it cannot be in" in table.at["C", "reason"]
    _check_value_to_enter(pf, table.drop(index="A").reset_index(), sel.value)


def test_value_to_enter_budget_threshold_is_exact():
    # A (cost 5) enters when B + A fit in 7: cost 4; or when its value beats B + C
    pf = portfolio([("A", 5.0, 5.0, Q[0]), ("B", 3.0, 3.0, Q[0]), ("C", 3.0, 3.0, Q[0])],
                   budget=7)
    table = explain(select(pf)).value_to_enter()
    assert table["project_id"].tolist() == ["A"]
    assert table.at[0, "increase"] == pytest.approx(1.0)
    assert table.at[0, "cost_needed"] == pytest.approx(4.0)
    assert table.at[0, "decrease"] == pytest.approx(1.0)


def test_cost_to_enter_through_the_risk_bound():
    # A (risk 5) cannot be in at cost 4 under an average risk of 2; at cost 8/3 A, B and C
    # average exactly 2: a lower cost brings it in where no value can
    projects = _projects([("A", 4.0, 5.0, Q[0], Q[0], 1), ("B", 4.0, 4.0, Q[0], Q[0], 1),
                          ("C", 4.0, 3.0, Q[0], Q[0], 1)]).assign(risk=[5.0, 1.0, 1.0])
    pf = Portfolio(projects, periods=[Q[0]])
    sel = select(pf, max_average_risk=2.0)
    assert sel.selected_ids.tolist() == ["B", "C"]
    table = explain(sel).value_to_enter()
    assert math.isnan(table.at[0, "increase"])
    assert table.at[0, "cost_needed"] == pytest.approx(8 / 3, abs=1e-6)
    assert table.at[0, "reason"].startswith("no value increase does: it cannot be in at cost 4")
    _check_value_to_enter(pf, table, sel.value, risk=2.0)


def test_bisection_gives_the_same_answers(monkeypatch):
    # the bisection (used when the one-program search cannot run) against brute force
    monkeypatch.setattr(enter_module, "_max_cost", lambda *args, **kwargs: None)
    projects = _projects([("A", 4.0, 5.0, Q[0], Q[0], 1), ("B", 4.0, 4.0, Q[0], Q[0], 1),
                          ("C", 4.0, 3.0, Q[0], Q[0], 1)]).assign(risk=[5.0, 1.0, 1.0])
    pf = Portfolio(projects, periods=[Q[0]])
    sel = select(pf, max_average_risk=2.0)
    table = explain(sel).value_to_enter()
    assert table.at[0, "cost_needed"] == pytest.approx(8 / 3, abs=1e-5)
    assert table.at[0, "solves"] > 3
    _check_value_to_enter(pf, table, sel.value, risk=2.0)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolio_cases(max_projects=5, options=False, features=frozenset({"windows", "lags"})),
       st.booleans())
def test_value_to_enter_random_portfolios(case, bisection):
    pf = case.portfolio()  # start windows included: the brute force enumerates the starts
    try:
        sel = select(pf)
    except InfeasibleError:
        return
    ex = explain(sel)
    with mock.patch.object(enter_module, "_max_cost", lambda *a, **k: None) if bisection \
            else contextlib.nullcontext():
        table = ex.value_to_enter()
    _check_value_to_enter(pf, table, sel.value)


# -------------------------------------------------------------------- display and errors
def test_frames_and_html():
    pf = _small_lp_portfolio()
    ex = explain(select(pf))
    frame = ex.to_frame()
    assert frame.index.tolist() == pf.project_ids.tolist()
    assert frame.columns.tolist() == ["selected", "start", "value", "cost", "reason",
                                      "binding"]
    frame.loc["A", "reason"] = "changed"
    assert ex.projects.at["A", "reason"] != "changed"
    text = ex._repr_html_()
    assert "LP relaxation" in text and "<table" in text
    assert repr(ex).startswith("Explanation(") and "LP relaxation" in repr(ex)
    assert isinstance(ex, Explanation) and dataclasses.is_dataclass(ex)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ex.solver = "highs"  # type: ignore[misc]


def test_explain_leaves_the_selection_alone():
    pf = _small_lp_portfolio()
    sel = select(pf)
    before = (sel.selected.copy(), sel.start.copy(), sel.usage.copy(), sel.value.copy())
    explain(sel).value_to_enter()
    for a, b in zip(before, (sel.selected, sel.start, sel.usage, sel.value)):
        assert a.equals(b)


def test_error_not_a_selection():
    with pytest.raises(InputError, match=r"explain: expected a Selection .* got int"):
        explain(3)  # type: ignore[arg-type]


def test_error_selection_without_portfolio():
    sel = dataclasses.replace(select(_small_lp_portfolio()), status=Status.NOT_SOLVED)
    with pytest.raises(InputError, match=r"holds no portfolio \(status not_solved\); solve "
                                         r"again with a longer time_limit"):
        explain(sel)


def test_error_unknown_ids_in_value_to_enter():
    ex = explain(select(_small_lp_portfolio()))
    with pytest.raises(InputError, match=r"value_to_enter: project_ids names ZZ, Q9 "
                                         r"\(2 projects\), which are not in the projects "
                                         r"table\. Fix the ids\."):
        ex.value_to_enter(["A", "ZZ", "Q9"])


def test_error_unknown_solver():
    with pytest.raises(InputError, match=r"unknown solver 'gurobi'; valid solvers: cbc, highs"):
        explain(select(_small_lp_portfolio()), solver="gurobi")


def test_value_to_enter_same_serial_and_on_a_process_pool():
    # one run_many task per excluded project: two processes give the serial table exactly
    from concurrent.futures import ProcessPoolExecutor

    ex = explain(select(_small_lp_portfolio()))
    ids = ex.projects.index.tolist()  # selected ones too: rows without a solve, in order
    serial = ex.value_to_enter(ids)
    with ProcessPoolExecutor(max_workers=2) as pool:
        parallel = ex.value_to_enter(ids, executor=pool, progress=False)
    pd.testing.assert_frame_equal(serial, parallel)
    assert serial["project_id"].tolist() == ids
    assert (serial["solves"] > 0).sum() >= 2 and (serial["solves"] == 0).sum() >= 1


def test_error_value_to_enter_executor_without_submit():
    ex = explain(select(_small_lp_portfolio()))
    with pytest.raises(InputError, match=r"value_to_enter: executor must be a "
                                         r"concurrent\.futures\.Executor .* got int 4"):
        ex.value_to_enter(executor=4)


def test_single_id_string_is_accepted():
    ex = explain(select(_small_lp_portfolio()))
    out = ex.projects.index[~ex.projects["selected"]][0]
    assert ex.value_to_enter(out)["project_id"].tolist() == [out]


def test_brute_force_helper_agrees_with_select():
    # the brute force of this module against select itself, on every subset of options
    pf = _small_lp_portfolio()
    sel = select(pf)
    for pid in itertools.islice(pf.project_ids, 5):
        with_p, without = _best(pf, sel.value, float(pf.projects.at[pid, "cost"]), pid)
        assert max(with_p, without) == pytest.approx(sel.objective)


def test_docs_example_runs_and_says_what_the_docs_say():
    import re
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "explain.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    scope: dict = {}
    exec(blocks[1], scope)  # the example (the first block is the synopsis)
    reasons = scope["explanation"].projects["reason"]
    for pid, reason in re.findall(r"^(P0\d)\s+(?:True|False)\s+\S+\s+((?:in|out): .*)$", text,
                                  flags=re.M):
        assert reasons[pid] == reason.strip()
    assert len(re.findall(r"^P0\d\s+(?:True|False)", text, flags=re.M)) == 5
    table = scope["explanation"].value_to_enter().set_index("project_id")
    assert table.at["P05", "cost_needed"] == pytest.approx(50.0)
    assert table.at["P03", "increase"] == pytest.approx(0.2)
    assert scope["explanation"].projects.at["P03", "binding"] == (
        "excludes[P03,P04]", "budget", "capacity[architecture,2027-Q3]")
