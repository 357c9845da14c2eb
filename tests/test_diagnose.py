"""Tests of portfolio_opt.diagnose: minimal conflicts and the elastic relaxation.

The diagnosis is checked against ``Brute``, an independent feasibility test written here with
numpy and itertools from the contract's rules (it imports nothing from the library's model):
every plan of a tiny portfolio (each project out, or in at a start in its window) is enumerated,
and every named constraint group becomes a boolean per plan. A set of groups has a plan when
some plan satisfies all of them. So:

- the returned conflict is infeasible on its own and every proper subset of it is feasible
  (irreducible), by brute force over all subsets;
- the elastic relaxation's weighted extra equals the brute-force minimum over every plan that
  keeps the hard rules, and adding the extras to the budgets / capacities gives a plan (re-solved
  by the library and checked by brute force).
"""

from __future__ import annotations

import itertools
import math
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import portfolio_opt.diagnose  # noqa: F401  (the module; the package exports the function)
from portfolio_opt import (
    InfeasibleError,
    InputError,
    Portfolio,
    SelectionModel,
    Solver,
    SolverError,
    select,
)
from portfolio_opt.diagnose import DROP_ORDER, Diagnosis, diagnose
from portfolio_opt.solvers import SolveReport, Status

# the module itself (the package exports the function under the same name)
diagnose_module = sys.modules["portfolio_opt.diagnose"]

SOLVERS = ["cbc"] + (["highs"] if Solver.HIGHS.available() else [])
Q = ["2027-Q1", "2027-Q2", "2027-Q3"]
TOL = 1e-6


# ----------------------------------------------------------------- brute force
class Brute:
    """Every plan of a tiny portfolio, and which named constraint group each plan satisfies.

    A plan gives each project "out" or a start in its window. Resource rows (budgets,
    capacities) keep the amount used per plan; the other rules a boolean per plan. Rules:
    the contract's (notes/CONTRACT.md, CONTRACT4.md), recomputed from the public tables.
    """

    def __init__(self, pf: Portfolio, force_in=(), force_out=(), max_average_risk=None) -> None:
        projects = pf.projects
        periods = list(pf.periods)
        pos = {p: k for k, p in enumerate(periods)}
        ids = list(projects.index)
        col = {p: j for j, p in enumerate(ids)}
        choices = [[-1] + list(range(pos[r.earliest_start], pos[r.latest_start] + 1))
                   for r in projects.itertuples()]
        start = np.array(list(itertools.product(*choices)), dtype=int).reshape(-1, len(ids))
        x = start >= 0
        self.x = x
        n_plans, n_periods = len(start), len(periods)
        cost = projects["cost"].to_numpy(dtype=float)
        dur = projects["duration"].to_numpy(dtype=int)
        runs = np.zeros((n_plans, len(ids), n_periods), dtype=bool)  # project j runs in t
        for t in range(n_periods):
            runs[:, :, t] = x & (start <= t) & (t < start + dur)
        spend = np.einsum("pjt,j->pt", runs, cost / dur)

        def single(uses: list[float]) -> float:  # largest positive coefficient of a row
            return max([u for u in uses if u > TOL], default=0.0)

        # resource rows: label -> (use per plan, rhs, largest single need)
        self.rows: dict[str, tuple[np.ndarray, float, float]] = {}
        b = pf.budget
        if b.total is not None:
            self.rows["budget"] = (x @ cost, float(b.total), single(list(cost)))
        if b.per_period is not None:
            for t, p in enumerate(periods):
                ran = [cost[j] / dur[j] for j in range(len(ids))
                       if any(s <= t < s + dur[j] for s in choices[j][1:])]
                self.rows[f"budget[{p}]"] = (spend[:, t], float(b.per_period[p]), single(ran))
        dem = pf.demand
        for comp, p, amount in zip(pf.capacity["competence"], pf.capacity["period"],
                                   pf.capacity["amount"]):
            t = pos[p]
            use = np.zeros(n_plans)
            needs = []
            for r in dem[dem["competence"] == comp].itertuples(index=False):
                j = col[r.project_id]
                use += np.where(x[:, j] & (start[:, j] + int(r.offset) == t), r.amount, 0.0)
                if any(s + int(r.offset) == t for s in choices[j][1:]):
                    needs.append(float(r.amount))
            self.rows[f"capacity[{comp},{p}]"] = (use, float(amount), single(needs))
        # hard rules: label -> satisfied per plan
        self.hard: dict[str, np.ndarray] = {}
        for p in projects.index[projects["mandatory"]]:
            self.hard[f"mandatory[{p}]"] = x[:, col[p]]
        for p in force_in:
            self.hard[f"force_in[{p}]"] = x[:, col[p]]
        for p in force_out:
            self.hard[f"force_out[{p}]"] = ~x[:, col[p]]
        for r in pf.relations.itertuples(index=False):
            a, o = col[r.project_id], col[r.other_id]
            xa, xo = x[:, a], x[:, o]
            ok = {"requires": ~xa | xo, "excludes": ~(xa & xo), "together": xa == xo}[r.kind]
            self.hard[f"{r.kind}[{r.project_id},{r.other_id}]"] = ok
            lag = getattr(r, "lag", None)
            if r.kind == "requires" and lag is not None and not pd.isna(lag):
                # A starts no earlier than B's finish + lag (B selected)
                self.hard[f"precedence[{r.project_id},{r.other_id}]"] = ~xa | (
                    xo & (start[:, a] >= start[:, o] + dur[o] + int(lag)))
        for g, lo, hi in pf.group_limits[["group", "min", "max"]].itertuples(index=False):
            members = [col[p] for p in pf.groups.loc[pf.groups["group"] == g, "project_id"]]
            count = x[:, members].sum(axis=1)
            if not pd.isna(lo):
                self.hard[f"group_min[{g}]"] = count >= lo
            if not pd.isna(hi):
                self.hard[f"group_max[{g}]"] = count <= hi
        for r in pf.buckets.itertuples(index=False):
            inside = (projects[r.column].astype(str).str.casefold() == r.value.casefold()
                      ).to_numpy()
            m = np.ones(len(ids)) if r.measure == "count" else (
                cost if r.measure == "cost" else projects[r.measure].to_numpy(dtype=float))
            held, total = x @ (m * inside), x @ m
            if not pd.isna(r.min):
                self.hard[f"bucket_min[{r.column}={r.value},{r.measure}]"] = \
                    held >= r.min * total - TOL
            if not pd.isna(r.max):
                self.hard[f"bucket_max[{r.column}={r.value},{r.measure}]"] = \
                    held <= r.max * total + TOL
        if max_average_risk is not None:
            risk = projects["risk"].to_numpy(dtype=float)
            self.hard["risk"] = x @ (cost * risk) <= max_average_risk * (x @ cost) + TOL

    @property
    def labels(self) -> list[str]:
        return list(self.rows) + list(self.hard)

    def ok(self, label: str, extra: float = 0.0) -> np.ndarray:
        if label in self.hard:
            return self.hard[label]
        use, rhs, _ = self.rows[label]
        return use <= rhs + extra + TOL * max(1.0, abs(rhs))

    def feasible(self, labels, extra: dict[str, float] | None = None) -> bool:
        extra = extra or {}
        ok = np.ones(len(self.x), dtype=bool)
        for lab in labels:
            ok &= self.ok(lab, extra.get(lab, 0.0))
        return bool(ok.any())

    def least_extra(self) -> float:
        """Smallest sum of extra / scale over plans keeping every hard rule (inf if none)."""
        ok = np.ones(len(self.x), dtype=bool)
        for v in self.hard.values():
            ok &= v
        if not ok.any():
            return math.inf
        total = np.zeros(len(self.x))
        for use, rhs, single in self.rows.values():
            total += np.maximum(use - rhs, 0.0) / scale(rhs, single)
        return float(total[ok].min())


def scale(rhs: float, single: float) -> float:
    """The documented unit of an extra: the amount available, else the largest single need."""
    return rhs if rhs > TOL else (single if single > TOL else 1.0)


def assert_irreducible(brute: Brute, conflict: list[str]) -> None:
    assert conflict, "empty conflict"
    assert not brute.feasible(conflict), f"{conflict} has a plan"
    for size in range(len(conflict)):
        for subset in itertools.combinations(conflict, size):
            assert brute.feasible(subset), f"{subset} of {conflict} has no plan"


def weighted_extra(brute: Brute, relaxation: pd.DataFrame) -> float:
    total = 0.0
    for label, extra in zip(relaxation["constraint"], relaxation["extra_needed"]):
        _, rhs, single = brute.rows[label]
        total += extra / scale(rhs, single)
    return total


def relaxed_portfolio(pf: Portfolio, relaxation: pd.DataFrame) -> Portfolio:
    """The portfolio with every extra of the relaxation added to its budgets and capacities."""
    extra = dict(zip(relaxation["constraint"], relaxation["extra_needed"]))
    cap = pf.capacity.copy()
    cap["amount"] = [a + extra.get(f"capacity[{c},{p}]", 0.0)
                     for c, p, a in zip(cap["competence"], cap["period"], cap["amount"])]
    b = pf.budget
    rows = []
    if b.total is not None:
        rows.append(("total", b.total + extra.get("budget", 0.0)))
    if b.per_period is not None:
        rows += [(p, a + extra.get(f"budget[{p}]", 0.0)) for p, a in b.per_period.items()]
    budget = pd.DataFrame(rows, columns=["period", "amount"]) if rows else None
    return pf.replace(capacity=cap, budget=budget)


def make(projects: list[tuple], demand: list[tuple] = (), capacity: dict | None = None,
         budget: Any = None, relations: list[tuple] = (), extra: dict | None = None,
         **tables: Any) -> Portfolio:
    """projects: (id, cost, duration, earliest start, mandatory[, latest start]); without a
    latest start the start is pinned. relations: (kind, id, other[, lag]). extra: more project
    columns. tables: groups, group_limits, buckets."""
    rows = [tuple(r) + (r[3],) * (6 - len(r)) for r in projects]
    df = pd.DataFrame(rows, columns=["project_id", "cost", "duration", "earliest_start",
                                     "mandatory", "latest_start"])
    df["value"] = 1.0
    for k, v in (extra or {}).items():
        df[k] = v
    dem = pd.DataFrame(list(demand), columns=["project_id", "competence", "offset", "amount"])
    comps = sorted(set(dem["competence"])) if len(dem) else []
    capacity = capacity or {}
    cap = pd.DataFrame([(c, p, capacity.get((c, p), capacity.get(c, 100.0)))
                        for c in comps for p in Q], columns=["competence", "period", "amount"])
    rel = None
    if relations:
        rel = pd.DataFrame([tuple(r) + (None,) * (4 - len(r)) for r in relations],
                           columns=["kind", "project_id", "other_id", "lag"])
    return Portfolio(df, dem if len(dem) else None, cap if len(cap) else None, budget=budget,
                     relations=rel, periods=Q, **tables)


def labels(d: Diagnosis) -> list[str]:
    return d.conflicts["label"].tolist()


# ------------------------------------------------------------- known conflicts
@pytest.mark.parametrize("solver", SOLVERS)
def test_two_mandatory_projects_over_budget(solver):
    pf = make([("A", 800.0, 1, Q[0], True), ("B", 700.0, 1, Q[1], True),
               ("C", 100.0, 1, Q[0], False)], budget=1200)
    d = diagnose(SelectionModel(pf), solver=solver)
    assert labels(d) == ["mandatory[A]", "mandatory[B]", "budget"]
    assert d.conflicts["description"].tolist() == [
        "mandatory project A (cost 800)", "mandatory project B (cost 700)",
        "total budget (1,200)"]
    assert d.conflicts["fixes_model"].all()
    assert d.minimal and d.relaxable and not d.feasible
    brute = Brute(pf)
    assert_irreducible(brute, labels(d))
    assert d.relaxation["constraint"].tolist() == ["budget"]
    assert d.relaxation["extra_needed"].iloc[0] == pytest.approx(300.0)
    assert d.relaxation["rhs"].iloc[0] == 1200.0
    assert "300 more total budget" in d.message()
    assert str(d) == d.message()


@pytest.mark.parametrize("solver", SOLVERS)
def test_mandatory_project_requires_a_forced_out_one(solver):
    pf = make([("A", 100.0, 1, Q[0], True), ("B", 100.0, 1, Q[0], False),
               ("C", 100.0, 1, Q[1], False), ("D", 100.0, 1, Q[1], False)],
              budget=1000, relations=[("requires", "A", "B"), ("excludes", "C", "D"),
                                      ("requires", "C", "A")])
    model = SelectionModel(pf, force_out=["B"], force_in=["C"])
    d = diagnose(model, solver=solver)
    assert sorted(labels(d)) == sorted(["mandatory[A]", "requires[A,B]", "force_out[B]"])
    # the analyst's own decisions first, then the relation
    assert labels(d) == ["mandatory[A]", "force_out[B]", "requires[A,B]"]
    assert_irreducible(Brute(pf, force_in=["C"], force_out=["B"]), labels(d))
    assert d.relaxable is False and d.relaxation.empty
    assert "No extra budget or capacity makes a plan possible" in d.message()
    assert "A requires B" in d.conflicts["description"].tolist()


@pytest.mark.parametrize("solver", SOLVERS)
def test_capacity_in_one_period(solver):
    # A runs Q1-Q2 and needs 3 architecture in its 2nd period; B needs 3 in Q2; capacity 5
    pf = make([("A", 100.0, 2, Q[0], True), ("B", 100.0, 1, Q[1], True),
               ("C", 100.0, 1, Q[1], False)],
              demand=[("A", "architecture", 1, 3.0), ("B", "architecture", 0, 3.0),
                      ("A", "development", 0, 2.0), ("C", "architecture", 0, 4.0)],
              capacity={"architecture": 5.0, "development": 5.0}, budget=1000)
    d = diagnose(SelectionModel(pf), solver=solver)
    assert labels(d) == ["mandatory[A]", "mandatory[B]", "capacity[architecture,2027-Q2]"]
    assert d.conflicts["description"].iloc[2] == "capacity of architecture in 2027-Q2 (5)"
    assert_irreducible(Brute(pf), labels(d))
    r = d.relaxation
    assert r[["constraint", "group", "competence", "period"]].values.tolist() == [
        ["capacity[architecture,2027-Q2]", "capacity", "architecture", "2027-Q2"]]
    assert r["extra_needed"].iloc[0] == pytest.approx(1.0)
    assert "1 more architecture in 2027-Q2" in d.message()


@pytest.mark.parametrize("solver", SOLVERS)
def test_period_budget(solver):
    pf = make([("A", 1000.0, 2, Q[0], True), ("B", 100.0, 1, Q[0], False)],
              budget=pd.Series([400.0, 600.0, 600.0], index=Q))
    d = diagnose(SelectionModel(pf), solver=solver)
    assert labels(d) == ["mandatory[A]", "budget[2027-Q1]"]
    assert d.conflicts["description"].iloc[1] == "budget of 2027-Q1 (400)"
    assert d.relaxation["constraint"].tolist() == ["budget[2027-Q1]"]
    assert d.relaxation["extra_needed"].iloc[0] == pytest.approx(100.0)
    assert d.relaxation["period"].iloc[0] == "2027-Q1"


def test_mandatory_and_forced_out_is_the_whole_conflict():
    pf = make([("A", 10.0, 1, Q[0], True), ("B", 10.0, 1, Q[0], False)], budget=100)
    d = diagnose(SelectionModel(pf, force_out=["A"]))
    assert labels(d) == ["mandatory[A]", "force_out[A]"]
    assert d.conflicts["description"].tolist() == ["mandatory project A (cost 10)",
                                                   "project A forced out"]
    assert d.conflicts["message"].iloc[0] == (
        "mandatory project A (cost 10) cannot hold together with project A forced out; "
        "relaxing it resolves this conflict and makes a plan possible.")


def test_two_separate_conflicts():
    # A alone is over the budget; B is mandatory and forced out. One conflict is reported,
    # and the table says that relaxing one of its groups is not enough.
    pf = make([("A", 1200.0, 1, Q[0], True), ("B", 10.0, 1, Q[0], True)], budget=1000)
    d = diagnose(SelectionModel(pf, force_out=["B"]))
    assert labels(d) == ["mandatory[B]", "force_out[B]"]
    assert not d.conflicts["fixes_model"].any()
    assert d.conflicts["message"].iloc[1] == (
        "project B forced out cannot hold together with mandatory project B (cost 10); "
        "relaxing it resolves this conflict, but other conflicts remain.")
    assert "Other conflicts remain after relaxing any one of them alone." in d.message()
    assert d.relaxable is False


def test_the_conflict_is_stated_in_budget_rather_than_capacity():
    # two conflicts: A + B exceed the total budget, and both need 3 development in Q1
    # (capacity 5). The deletion order keeps the total budget and drops capacity rows first.
    pf = make([("A", 600.0, 1, Q[0], True), ("B", 600.0, 1, Q[0], True)],
              demand=[("A", "development", 0, 3.0), ("B", "development", 0, 3.0)],
              capacity={"development": 5.0}, budget=1000)
    d = diagnose(SelectionModel(pf))
    assert labels(d) == ["mandatory[A]", "mandatory[B]", "budget"]
    # without A (or B) both conflicts go; without the budget the capacity conflict remains
    assert d.conflicts["fixes_model"].tolist() == [True, True, False]
    assert d.message().splitlines()[1] == (
        "Relaxing mandatory project A (cost 600) or mandatory project B (cost 600) makes a plan "
        "possible; relaxing total budget (1,000) alone leaves other conflicts.")
    # the relaxation covers both
    assert dict(zip(d.relaxation["constraint"], d.relaxation["extra_needed"])) == \
        pytest.approx({"budget": 200.0, "capacity[development,2027-Q1]": 1.0})
    assert DROP_ORDER.index("capacity") < DROP_ORDER.index("budget") < \
        DROP_ORDER.index("mandatory")


def test_forced_in_projects_and_names():
    projects = pd.DataFrame({"project_id": ["A", "B"], "name": ["CRM renewal", "ERP"],
                             "cost": [700.0, 600.0], "value": [1.0, 1.0]})
    pf = Portfolio(projects, budget=1000)
    d = diagnose(SelectionModel(pf, force_in=["A", "B"]))
    assert d.conflicts["description"].tolist() == [
        "project A 'CRM renewal' forced in (cost 700)", "project B 'ERP' forced in (cost 600)",
        "total budget (1,000)"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_bucket_minimum_that_cannot_be_met(solver):
    # A (run, 800) is mandatory; growth projects cost 500 each; budget 1000: no growth fits
    pf = make([("A", 800.0, 1, Q[0], True), ("B", 500.0, 1, Q[0], False),
               ("C", 500.0, 1, Q[1], False)], budget=1000,
              extra={"category": ["run", "growth", "growth"]},
              buckets=pd.DataFrame({"column": ["category"], "value": ["growth"],
                                    "min": [0.5]}))
    d = diagnose(SelectionModel(pf), solver=solver)
    assert labels(d) == ["mandatory[A]", "bucket_min[category=growth,cost]", "budget"]
    assert d.conflicts["description"].iloc[1] == (
        "category = growth holds at least 50% of the selected projects' cost")
    assert_irreducible(Brute(pf), labels(d))
    # extra budget helps: A + B (1 300) has 38% growth, A + B + C (1 800) 56%
    assert d.relaxation["constraint"].tolist() == ["budget"]
    assert d.relaxation["extra_needed"].iloc[0] == pytest.approx(800.0)


def test_group_rule_against_a_relation():
    pf = make([("A", 1.0, 1, Q[0], False), ("B", 1.0, 1, Q[0], False),
               ("C", 1.0, 1, Q[0], False)], relations=[("excludes", "B", "C")],
              groups=pd.DataFrame({"group": ["digital"] * 3, "project_id": ["A", "B", "C"]}),
              group_limits=pd.DataFrame({"group": ["digital"], "min": [3]}))
    d = diagnose(SelectionModel(pf))
    assert labels(d) == ["excludes[B,C]", "group_min[digital]"]
    assert d.conflicts["description"].tolist() == [
        "B and C exclude each other", "at least 3 of the projects of group digital"]
    assert_irreducible(Brute(pf), labels(d))
    assert d.relaxable is False


def test_risk_bound():
    # A (risk 0.8) is mandatory; diluting it needs B (risk 0, cost 300), over the budget
    pf = make([("A", 100.0, 1, Q[0], True), ("B", 300.0, 1, Q[0], False)], budget=350,
              extra={"risk": [0.8, 0.0]})
    d = diagnose(SelectionModel(pf, max_average_risk=0.3))
    assert labels(d) == ["mandatory[A]", "risk", "budget"]
    assert d.conflicts["description"].iloc[1] == "cost-weighted average risk at most 0.3"
    assert_irreducible(Brute(pf, max_average_risk=0.3), labels(d))
    assert d.relaxation["extra_needed"].iloc[0] == pytest.approx(50.0)


def test_precedence_with_a_lag():
    # A must start in Q2 at the latest, but needs B (2 periods) finished plus a 1-period lag
    pf = make([("A", 1.0, 1, Q[0], True, Q[1]), ("B", 1.0, 2, Q[0], False)],
              relations=[("requires", "A", "B", 1)])
    d = diagnose(SelectionModel(pf))
    assert labels(d) == ["mandatory[A]", "precedence[A,B]"]
    assert d.conflicts["description"].iloc[1] == (
        "A starts only after B finishes + 1 period(s)")
    assert d.conflicts["constraints"].iloc[1] == ("precedence[A,B,2027-Q1]",
                                                   "precedence[A,B,2027-Q2]")
    assert_irreducible(Brute(pf), labels(d))
    assert d.relaxable is False


@pytest.mark.parametrize("solver", SOLVERS)
def test_capacity_over_a_start_window(solver):
    # B may start in Q1 or Q2; each period has room for A or B, not both: the conflict needs
    # the capacity of both periods, and the least extra is 2 in either one
    pf = make([("A", 1.0, 2, Q[0], True), ("B", 1.0, 1, Q[0], True, Q[1])],
              demand=[("A", "test", 0, 2.0), ("A", "test", 1, 2.0), ("B", "test", 0, 2.0)],
              capacity={"test": 3.0})
    d = diagnose(SelectionModel(pf), solver=solver)
    assert labels(d) == ["mandatory[A]", "mandatory[B]", "capacity[test,2027-Q1]",
                         "capacity[test,2027-Q2]"]
    brute = Brute(pf)
    assert_irreducible(brute, labels(d))
    assert len(d.relaxation) == 1 and d.relaxation["extra_needed"].iloc[0] == pytest.approx(1.0)
    assert weighted_extra(brute, d.relaxation) == pytest.approx(brute.least_extra())
    # without start windows (schedule=False) B sits in Q1: one period is enough
    d = diagnose(SelectionModel(pf, schedule=False), solver=solver)
    assert labels(d) == ["mandatory[A]", "mandatory[B]", "capacity[test,2027-Q1]"]


# --------------------------------------------------------------- random cases
@st.composite
def tiny_cases(draw):
    """A tiny portfolio (2-5 projects, 3 periods, start windows) with every kind of rule."""
    n = draw(st.integers(2, 5))
    ids = [f"P{i}" for i in range(n)]
    dur = [draw(st.integers(1, 2)) for _ in ids]
    es = [draw(st.integers(0, 3 - d)) for d in dur]
    ls = [draw(st.integers(e, 3 - d)) if draw(st.booleans()) else e for e, d in zip(es, dur)]
    projects = [(p, float(draw(st.integers(0, 9)) * 2), d, Q[e], draw(st.integers(0, 3)) == 0,
                 Q[lt]) for p, d, e, lt in zip(ids, dur, es, ls)]
    demand = [(p, c, off, float(draw(st.integers(1, 4))))
              for p, d in zip(ids, dur) for c in ("dev", "ux") for off in range(d)
              if draw(st.integers(0, 2)) == 0]
    comps = sorted({r[1] for r in demand})
    capacity = {(c, q): float(draw(st.integers(0, 6))) for c in comps for q in Q}
    kind = draw(st.sampled_from(["none", "total", "per_period", "both"]))
    total = float(draw(st.integers(0, 30)))
    per = pd.Series([float(draw(st.integers(0, 12))) for _ in Q], index=Q)
    budget = {"none": None, "total": total, "per_period": per,
              "both": pd.DataFrame({"period": ["total", *Q], "amount": [total, *per]})}[kind]
    relations = draw(st.lists(st.tuples(st.sampled_from(["requires", "excludes", "together"]),
                                        st.sampled_from(ids), st.sampled_from(ids),
                                        st.sampled_from([None, None, 0, 1]))
                              .filter(lambda r: r[1] != r[2])
                              .map(lambda r: r if r[0] == "requires" else r[:3]),
                              max_size=2, unique_by=lambda r: r[:3]))
    extra = {"category": ["grow"] + [draw(st.sampled_from(["run", "grow"])) for _ in ids[1:]],
             "risk": [draw(st.integers(0, 10)) / 10 for _ in ids]}
    tables: dict[str, Any] = {}
    if draw(st.integers(0, 2)) == 0:
        bound = draw(st.sampled_from(["min", "max"]))
        tables["buckets"] = pd.DataFrame({"column": ["category"], "value": ["grow"],
                                          "measure": [draw(st.sampled_from(["cost", "count"]))],
                                          bound: [draw(st.sampled_from([0.25, 0.5, 0.75]))]})
    if draw(st.integers(0, 2)) == 0:
        members = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=3, unique=True))
        bound = draw(st.sampled_from(["min", "max"]))
        tables["groups"] = pd.DataFrame({"group": "g", "project_id": members})
        tables["group_limits"] = pd.DataFrame({"group": ["g"],
                                               bound: [draw(st.integers(0, len(members)))]})
    options: dict[str, Any] = {
        "force_in": [draw(st.sampled_from(ids))] if draw(st.integers(0, 3)) == 0 else [],
        "force_out": [draw(st.sampled_from(ids))] if draw(st.integers(0, 3)) == 0 else [],
        "max_average_risk": draw(st.sampled_from([None, None, 0.3, 0.5])),
    }
    pf = make(projects, demand, capacity, budget, relations, extra, **tables)
    return pf, options


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    derandomize=True)


@pytest.mark.parametrize("solver", SOLVERS)
@SETTINGS
@given(case=tiny_cases())
def test_random_portfolios_against_brute_force(solver, case):
    pf, options = case
    brute = Brute(pf, **options)
    model = SelectionModel(pf, **options)
    d = diagnose(model, solver=solver)
    feasible = brute.feasible(brute.labels)
    assert d.feasible == feasible
    if feasible:
        assert d.conflicts.empty and d.relaxation.empty
        return
    conflict = d.conflicts["label"].tolist()
    assert set(conflict) <= set(brute.labels)
    assert_irreducible(brute, conflict)
    assert d.minimal
    for label, fixes in zip(conflict, d.conflicts["fixes_model"]):
        assert fixes == brute.feasible([lab for lab in brute.labels if lab != label])
    least = brute.least_extra()
    if math.isinf(least):
        assert d.relaxable is False and d.relaxation.empty
        return
    assert d.relaxable is True
    assert (d.relaxation["extra_needed"] > 0).all()
    assert weighted_extra(brute, d.relaxation) == pytest.approx(least, rel=1e-6, abs=1e-7)
    extra = dict(zip(d.relaxation["constraint"], d.relaxation["extra_needed"]))
    assert brute.feasible(brute.labels, extra)
    relaxed = SelectionModel(relaxed_portfolio(pf, d.relaxation), **options)
    assert diagnose(relaxed, solver=solver).feasible


# ------------------------------------------------------------------- behaviour
def test_feasible_model_has_nothing_to_diagnose():
    pf = make([("A", 100.0, 1, Q[0], True)], budget=1000)
    d = diagnose(SelectionModel(pf))
    assert d.feasible and d.conflicts.empty and d.relaxation.empty
    assert d.solves == 1
    assert list(d.conflicts.columns) == ["group", "label", "description", "message",
                                         "fixes_model", "constraints"]
    assert list(d.relaxation.columns) == ["constraint", "group", "competence", "period", "rhs",
                                          "extra_needed"]
    assert d.message() == "A plan satisfies every constraint; there is nothing to diagnose."
    assert repr(d) == "Diagnosis(feasible)"


def test_model_state_is_restored():
    pf = make([("A", 800.0, 1, Q[0], True), ("B", 700.0, 1, Q[1], True)], budget=1200)
    model = SelectionModel(pf)
    problem = model.build()
    table = model.constraints_.copy()
    state = dict(vars(model))
    diagnose(model)
    assert model.problem_ is problem
    pd.testing.assert_frame_equal(model.constraints_, table)
    assert vars(model).keys() == state.keys()
    assert all(vars(model)[k] is v for k, v in state.items())
    fresh = SelectionModel(pf)
    diagnose(fresh)
    assert not hasattr(fresh, "problem_")


def rows_of(problem) -> dict[str, tuple]:
    return {c.name: (c.sense, round(c.constant, 9),
                     tuple(sorted((v.name, round(a, 9)) for v, a in c.items())))
            for c in problem.constraints()}


@SETTINGS
@given(case=tiny_cases(), data=st.data())
def test_feasibility_problems_are_the_model_built_without_the_groups(case, data):
    pf, options = case
    model = SelectionModel(pf, **options)
    oracle = diagnose_module._Oracle(model, None, None)
    labels_ = list(dict.fromkeys(oracle.table["label"]))
    without = data.draw(st.lists(st.sampled_from(labels_), unique=True)) if labels_ else []
    assert rows_of(oracle.problem(without)) == rows_of(model.build(without=without))


def test_fewer_solves_than_groups_on_the_sample():
    from portfolio_opt.datasets import load_sample

    pf = load_sample()
    big = pf.projects.sort_values("cost").index[-6:].tolist()
    model = SelectionModel(pf, force_in=big)
    model.build()
    n_groups = int((~model.constraints_["group"].isin(["one_start", "synergy"])).sum())
    d = diagnose(model)
    assert not d.feasible and d.minimal
    assert d.solves < n_groups / 2
    assert set(d.conflicts["group"]) <= {"mandatory", "force_in", "budget", "period_budget",
                                         "capacity", "requires", "together", "excludes"}
    # re-solving with the extras gives a plan
    assert diagnose(SelectionModel(relaxed_portfolio(pf, d.relaxation),
                                   force_in=big)).feasible


def test_the_diagnosis_reads_as_one_explanation():
    pf = make([("A", 800.0, 1, Q[0], True), ("B", 700.0, 1, Q[1], True)], budget=1200)
    d = diagnose(SelectionModel(pf))
    assert d.message().splitlines() == [
        "These constraints cannot all hold (dropping any one of them resolves this conflict): "
        "mandatory project A (cost 800); mandatory project B (cost 700); total budget (1,200).",
        "Relaxing any one of them makes a plan possible.",
        "Enough extra money and capacity for a plan (the least, each measured relative to what "
        "is available): 300 more total budget.",
    ]
    assert d.reasons()[0].startswith("these constraints cannot all hold")
    assert repr(d) == f"Diagnosis(3 conflicting groups, 1 constraints need more, solves={d.solves})"


# ---------------------------------------------------------------- select()
def test_select_attaches_the_diagnosis_to_the_error():
    # found by the presolve checks: the reasons stay theirs, the diagnosis is attached
    pf = make([("A", 800.0, 1, Q[0], True), ("B", 700.0, 1, Q[1], True)], budget=1200)
    with pytest.raises(InfeasibleError, match=r"No portfolio satisfies every constraint") as info:
        select(pf)
    assert info.value.conflicts["label"].tolist() == ["mandatory[A]", "mandatory[B]", "budget"]
    assert info.value.relaxation["extra_needed"].tolist() == pytest.approx([300.0])


def test_select_explains_what_only_the_solver_finds():
    pf = make([("A", 1.0, 1, Q[0], False), ("B", 1.0, 1, Q[0], False),
               ("C", 1.0, 1, Q[0], False)], relations=[("excludes", "B", "C")],
              groups=pd.DataFrame({"group": ["digital"] * 3, "project_id": ["A", "B", "C"]}),
              group_limits=pd.DataFrame({"group": ["digital"], "min": [3]}))
    with pytest.raises(InfeasibleError, match=r"these constraints cannot all hold \(dropping "
                                              r"any one of them resolves this conflict\): B and "
                                              r"C exclude each other; at least 3 of the projects "
                                              r"of group digital") as info:
        select(pf)
    assert info.value.conflicts["group"].tolist() == ["excludes", "group_min"]
    assert info.value.relaxation.empty


def test_the_documented_example():
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "diagnose.md").read_text(encoding="utf-8")
    code = text.split("```python\n")[2].split("```")[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/diagnose.md", "exec"), namespace)
    d = namespace["d"]
    message = str(d)
    for line in message.splitlines():
        assert line in text
    assert d.conflicts["label"].tolist() == ["mandatory[P03]", "mandatory[P07]",
                                             "force_in[P11]", "budget"]
    assert d.conflicts["fixes_model"].tolist() == [False, True, False, False]
    assert d.relaxation[["constraint", "rhs", "extra_needed"]].values.tolist() == [
        ["budget", 2500.0, pytest.approx(200.0)], ["budget[2027-Q2]", 1000.0, pytest.approx(800.0)],
        ["capacity[architecture,2027-Q2]", 5.0, pytest.approx(3.0)]]
    brute = Brute(namespace["pf"], force_in=["P11"])
    assert_irreducible(brute, d.conflicts["label"].tolist())
    assert weighted_extra(brute, d.relaxation) == pytest.approx(brute.least_extra())


# ---------------------------------------------------------- solver outcomes
def _not_solved(_problem, solver=None, **_):
    return SolveReport(Status.NOT_SOLVED, math.nan, math.nan, math.nan, 0.0, "cbc")


def test_undecided_whole_model_raises(monkeypatch):
    pf = make([("A", 800.0, 1, Q[0], True)], budget=100)
    monkeypatch.setattr(diagnose_module, "run_solver", _not_solved)
    with pytest.raises(SolverError, match=r"could not tell within time_limit=0\.5 s whether "
                                          r"any plan exists\. Give a longer time_limit"):
        diagnose(SelectionModel(pf), time_limit=0.5)


def test_undecided_solves_keep_groups_and_say_so(monkeypatch):
    pf = make([("A", 800.0, 1, Q[0], True), ("B", 700.0, 1, Q[1], True),
               ("C", 10.0, 1, Q[1], False)], budget=1200, relations=[("excludes", "B", "C")])
    real = diagnose_module.run_solver
    calls = []

    def flaky(problem, solver=None, **kw):
        calls.append(1)
        return real(problem, solver, **kw) if len(calls) == 1 else _not_solved(problem)

    monkeypatch.setattr(diagnose_module, "run_solver", flaky)
    d = diagnose(SelectionModel(pf))
    assert not d.minimal and d.relaxable is None and d.relaxation.empty
    # every group is kept when nothing can be decided
    assert set(labels(d)) == {"mandatory[A]", "mandatory[B]", "budget", "excludes[B,C]"}
    assert "some of them may not be needed" in d.message()
    assert "could not tell in time whether extra budget or capacity" in d.message()


def test_structural_conflict_is_reported_as_a_bug(monkeypatch):
    pf = make([("A", 800.0, 1, Q[0], True)], budget=100)
    monkeypatch.setattr(diagnose_module._Oracle, "feasible", lambda self, without: False)
    d = diagnose(SelectionModel(pf))
    assert d.conflicts.empty and not d.feasible
    assert "please report this as a bug" in d.message()


# --------------------------------------------------------------------- errors
def test_model_must_be_a_selection_model():
    pf = make([("A", 1.0, 1, Q[0], False)])
    with pytest.raises(InputError, match=r"diagnose: model must be a SelectionModel, got "
                                         r"Portfolio\. Build one with SelectionModel"):
        diagnose(pf)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "10", True])
def test_bad_time_limit(bad):
    pf = make([("A", 1.0, 1, Q[0], False)])
    with pytest.raises(InputError, match=r"diagnose: time_limit must be a number of seconds "
                                         r"> 0, got "):
        diagnose(SelectionModel(pf), time_limit=bad)


def test_unknown_solver():
    pf = make([("A", 1.0, 1, Q[0], False)])
    with pytest.raises(InputError, match=r"unknown solver 'gurobi'; valid solvers: cbc, highs"):
        diagnose(SelectionModel(pf), solver="gurobi")
