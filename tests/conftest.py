"""Shared fixtures and hypothesis strategies of the selection tests.

- ``solvers``: every solver available here ("cbc" always, "highs" when highspy runs).
- ``portfolio_cases()``: random small portfolios with the options of a ``select`` call, for
  comparison with the brute force of ``tests/checker.py`` (over every subset and every choice
  of starts). ``features`` picks what they may contain: start windows, finish-to-start lags,
  synergy, groups, buckets, a risk bound, flexible capacity (hiring) and substitution.
- ``small()``, ``line()``: small portfolios written out by hand.
- ``DATA``: the directory of the OR-Library files (see ``tests/data/README.md``).
- fixtures: ``selection`` (``select`` of the test module's own ``portfolio`` fixture),
  ``hired_selection`` (one project that needs one hired unit of capacity) and an autouse one
  that closes the matplotlib figures after each test.
- session fixtures of the sample's expensive many-solve results, computed once and checked by
  several modules: ``sample_screen`` (RPM's weights screen, test_robust and test_parallel) and
  ``sample_frontier`` (the frontier at 6000 and 9000, test_frontier and test_parallel).
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import strategies as st

from portfolio_opt import Portfolio, Solver, select

DATA = Path(__file__).parent / "data"
SAMPLE = Path(__file__).parents[1] / "src" / "portfolio_opt" / "datasets" / "sample"

SOLVERS = ["cbc"] + (["highs"] if Solver.HIGHS.available() else [])

PERIODS = ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
# a space and a hyphen: constraint names must survive PuLP's renaming
COMPETENCES = ["development", "change management", "data-science"]
KINDS = ["requires", "excludes", "together"]
ALL = frozenset({"windows", "lags", "synergy", "groups", "buckets", "risk", "flex",
                 "substitution"})
CATEGORIES = ["run", "grow", "change"]


@pytest.fixture(params=SOLVERS, scope="session")
def solvers(request) -> str:
    """Each available solver in turn (session scope, so hypothesis tests may use it)."""
    return request.param


@pytest.fixture(scope="session")
def sample_tables() -> dict[str, pd.DataFrame]:
    """The bundled sample portfolio (60 projects, 8 competences, 12 quarters) as read from CSV."""
    names = ["projects", "demand", "capacity", "budget", "relations", "criteria"]
    return {k: pd.read_csv(SAMPLE / f"{k}.csv") for k in names}


@dataclass(frozen=True)
class SampleScreen:
    """``robust_portfolios(ranking="weights", method="weights")`` of the sample, and its inputs."""

    tables: dict[str, pd.DataFrame]  # a deep copy of ``sample_tables``, the portfolio's input
    portfolio: Portfolio
    projects_before: pd.DataFrame  # ``portfolio.projects`` before the call
    result: Any


@pytest.fixture(scope="session")
def sample_screen(sample_tables) -> SampleScreen:
    """RPM's weights screen of the sample (10 solves): solved once for the whole session."""
    from portfolio_opt.robust import robust_portfolios

    tables = copy.deepcopy(sample_tables)
    pf = Portfolio(**tables)
    before = pf.projects.copy()
    return SampleScreen(tables, pf, before,
                        robust_portfolios(pf, ranking="weights", method="weights"))


@pytest.fixture(scope="session")
def sample_frontier() -> pd.DataFrame:
    """``efficient_frontier`` of the bundled sample at budgets 6000 and 9000, serially."""
    from portfolio_opt import datasets, efficient_frontier

    return efficient_frontier(datasets.load_sample(), budgets=[6000.0, 9000.0])


@pytest.fixture(scope="module")
def selection(portfolio):
    """The optimal selection of the test module's ``portfolio`` fixture (solved once a module)."""
    return select(portfolio)


@pytest.fixture(scope="session")
def hired_selection():
    """Project A needs 3 dev in Q1 with 2 in house and up to 2 for hire at 1 each: 1 is hired."""
    projects = pd.DataFrame({"project_id": ["A"], "cost": [1.0], "value": [1.0],
                             "duration": [1]})
    demand = pd.DataFrame({"project_id": ["A"], "competence": ["dev"], "amount": [3.0]})
    capacity = pd.DataFrame({"competence": ["dev", "dev"], "period": ["Q1", "Q2"],
                             "amount": [2.0, 2.0], "flex_amount": [2.0, 2.0],
                             "flex_cost": [1.0, 1.0]})
    return select(Portfolio(projects, demand, capacity, budget=10, periods=["Q1", "Q2"]),
                  force_in=["A"], schedule=False)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test left open (when it used pyplot at all)."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@dataclass
class Case:
    """Inputs of one ``Portfolio(...)`` and one ``select(...)`` call."""

    tables: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)

    def portfolio(self) -> Portfolio:
        return Portfolio(**self.tables)

    def deep_copy(self) -> Case:
        return Case(copy.deepcopy(self.tables), copy.deepcopy(self.options))

    @property
    def check_options(self) -> dict[str, Any]:
        """The options the checker and the brute force understand."""
        keys = ("budget", "force_in", "force_out", "schedule", "buckets", "max_average_risk")
        out = {k: self.options.get(k) for k in keys}
        out["schedule"] = self.options.get("schedule", True)
        return out

    def optimum(self, pf: Portfolio) -> Any:
        """The brute-force optimum of this selection (tests/checker.py); None: nothing fits."""
        import checker

        return checker.brute_force(pf, self.options.get("value"), **self.check_options)

    def matrix_model(self, pf: Portfolio) -> Any:
        """The built model's ``matrix_``; None when the model rejects the case."""
        from portfolio_opt import SelectionModel

        try:
            model = SelectionModel(pf, **self.options)
            model.build()
        except Exception:  # noqa: BLE001 - a case the model rejects has nothing to test
            return None
        return model.matrix_


def small(mandatory=(False, False, False), budget=None, relations=None, capacity=5.0,
          **columns) -> Portfolio:
    """Three projects A, B, C over three quarters; one competence, development.

    A: cost 4, 1 quarter, window Q1..Q3; B: cost 3, 2 quarters, Q1..Q2; C: cost 3, Q3 only.
    """
    projects = pd.DataFrame({
        "project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 3.0], "duration": [1, 2, 1],
        "earliest_start": ["2027-Q1", "2027-Q1", "2027-Q3"], "mandatory": list(mandatory),
        "value": [5.0, 3.0, 3.0], **columns})
    demand = pd.DataFrame({"project_id": ["A", "B", "C"], "competence": "development",
                           "amount": [3.0, 2.0, 1.0]})
    cap = pd.DataFrame({"competence": "development", "period": PERIODS[:3], "amount": capacity})
    return Portfolio(projects, demand, cap, budget=budget, relations=relations)


def line(ids, cost, value, duration=None, earliest=None, latest=None, periods=PERIODS,
         demand=None, capacity=None, **kw) -> Portfolio:
    """A small portfolio written out in full (one competence 'dev' unless given)."""
    n = len(ids)
    projects = pd.DataFrame({"project_id": ids, "cost": cost, "value": value,
                             "duration": duration or [1] * n,
                             "earliest_start": earliest or [periods[0]] * n,
                             "latest_start": latest or [None] * n,
                             **kw.pop("columns", {})})
    return Portfolio(projects, demand, capacity, periods=periods, **kw)


def _ids_subset(draw, ids: list[str], max_size: int) -> list[str]:
    return draw(st.lists(st.sampled_from(ids), max_size=max_size, unique=True)) if ids else []


@st.composite
def portfolio_cases(draw, max_projects: int = 6, unique_values: bool = False,
                    options: bool = True, features: frozenset[str] = ALL,
                    max_periods: int = 4) -> Case:
    """A random small portfolio and select options.

    Costs, demands, capacities and budgets are whole numbers and durations at most 4, so
    every resource use is a multiple of 1/12: a plan is either clearly feasible or clearly
    not (no solver tolerance question); efficiencies are 1/2 or 1. With ``unique_values``
    the values are distinct powers of two (and there is no synergy), so that every subset
    has a different total and the optimal set of projects is unique.
    """
    n = draw(st.integers(1, max_projects))
    n_periods = draw(st.integers(1, max_periods))
    periods = PERIODS[:n_periods]
    comps = COMPETENCES[:draw(st.integers(1, 3))]
    ids = [f"P{i:02d}" for i in range(n)]
    # substitution needs one small linear program per plan in the brute force: fewer plans
    sub = "substitution" in features and len(comps) > 1 and draw(st.integers(0, 2)) == 0
    if sub:
        n = min(n, 4)
        ids = ids[:n]

    duration = [draw(st.integers(1, n_periods)) for _ in ids]
    es = [draw(st.integers(0, n_periods - d)) for d in duration]
    window = "windows" in features and draw(st.booleans())
    latest = [periods[draw(st.integers(e, min(e + 2, n_periods - d)))]
              if window and draw(st.booleans()) else periods[e] for e, d in zip(es, duration)]
    cost = [draw(st.integers(0, 20)) for _ in ids]
    if unique_values:
        value = (2.0 ** np.array(draw(st.permutations(range(n))))).tolist()
    else:
        value = [draw(st.integers(-5, 40)) / draw(st.sampled_from([1, 4])) for _ in ids]
    mandatory = [False] * n
    if draw(st.integers(0, 3)) == 0:
        mandatory[draw(st.integers(0, n - 1))] = True
    projects = pd.DataFrame({
        "project_id": ids, "cost": cost, "duration": duration,
        "earliest_start": [periods[e] for e in es], "latest_start": latest,
        "mandatory": mandatory, "value": value,
        "score": [draw(st.integers(0, 9)) for _ in ids],
        "category": [draw(st.sampled_from(CATEGORIES)) for _ in ids],
        "risk": [draw(st.integers(1, 5)) for _ in ids],
    })

    rows = []
    for pid, d in zip(ids, duration):
        for comp in comps:
            how = draw(st.sampled_from(["none", "every", "offsets"]))
            if how == "every":
                rows.append((pid, comp, np.nan, draw(st.integers(0, 10))))
            elif how == "offsets":
                for off in draw(st.lists(st.integers(0, d - 1), min_size=1, max_size=d,
                                         unique=True)):
                    rows.append((pid, comp, float(off), draw(st.integers(0, 10))))
    demand = pd.DataFrame(rows, columns=["project_id", "competence", "offset", "amount"])
    if demand["offset"].isna().all() and draw(st.booleans()):
        demand = demand.drop(columns="offset")
    capacity = pd.DataFrame(
        [(c, p, draw(st.integers(0, 25))) for c in comps for p in periods],
        columns=["competence", "period", "amount"])
    if "flex" in features and draw(st.booleans()):
        capacity["flex_amount"] = [draw(st.sampled_from([0, 0, 2, 5])) for _ in capacity.index]
        capacity["flex_cost"] = [draw(st.integers(0, 3)) for _ in capacity.index]

    total_cost = int(sum(cost))
    budget_kind = draw(st.sampled_from(["none", "total", "per_period", "both"]))
    budget: Any = None
    per = [draw(st.integers(0, max(1, total_cost // n_periods + 5))) for _ in periods]
    if budget_kind == "total":
        budget = draw(st.integers(0, total_cost + 1))
    elif budget_kind == "per_period":
        budget = pd.Series(per, index=periods)
    elif budget_kind == "both":
        budget = pd.DataFrame({"period": ["total", *periods],
                               "amount": [draw(st.integers(0, total_cost + 1)), *per]})

    relations = None
    if n >= 2 and draw(st.booleans()):
        pairs = draw(st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, n - 1),
                                        st.integers(0, n - 1)).filter(lambda r: r[1] != r[2]),
                              min_size=1, max_size=3))
        relations = pd.DataFrame([(k, ids[a], ids[b]) for k, a, b in pairs],
                                 columns=["kind", "project_id", "other_id"])
        if "lags" in features and draw(st.booleans()):
            relations["lag"] = [draw(st.sampled_from([np.nan, 0, 1])) if k == "requires"
                                else np.nan for k in relations["kind"]]
    if n >= 2 and "synergy" in features and not unique_values and draw(st.booleans()):
        a, b = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
        syn = pd.DataFrame({"kind": ["synergy"], "project_id": [ids[a]], "other_id": [ids[b]],
                            "value": [float(draw(st.integers(-20, 20)))]})
        relations = syn if relations is None else pd.concat([relations, syn],
                                                            ignore_index=True)

    tables: dict[str, Any] = {"projects": projects, "demand": demand, "capacity": capacity,
                              "budget": budget, "relations": relations, "periods": periods}
    if "groups" in features and draw(st.booleans()):
        members = _ids_subset(draw, ids, n) or ids[:1]
        tables["groups"] = pd.DataFrame({"group": "digital", "project_id": members})
        lo = draw(st.sampled_from([np.nan, 1]))
        hi = draw(st.sampled_from([np.nan, 1, 2])) if np.isnan(lo) else draw(
            st.sampled_from([np.nan, 2]))
        if np.isnan(lo) and np.isnan(hi):
            hi = 1
        tables["group_limits"] = pd.DataFrame({"group": ["digital"], "min": [lo], "max": [hi]})
    if "buckets" in features and draw(st.booleans()):
        cat = draw(st.sampled_from(sorted(set(projects["category"]))))
        tables["buckets"] = pd.DataFrame({
            "column": ["category"], "value": [cat],
            "measure": [draw(st.sampled_from(["cost", "count", "score"]))],
            "min": [draw(st.sampled_from([np.nan, 0.25]))],
            "max": [draw(st.sampled_from([np.nan, 0.5, 0.75]))]}).dropna(axis=1, how="all")
        if not {"min", "max"} & set(tables["buckets"].columns):
            tables["buckets"]["max"] = 0.5
    if sub:
        tables["substitution"] = pd.DataFrame({
            "competence": [comps[0]], "covers": [comps[1]],
            "efficiency": [draw(st.sampled_from([0.5, 1.0]))],
            "max_amount": [draw(st.sampled_from([np.nan, 2.0]))]})

    opts: dict[str, Any] = {}
    if options:
        how = draw(st.sampled_from(["default", "column", "series"]))
        if how == "column":
            opts["value"] = "score"
        elif how == "series":  # a Series in another order than the projects: aligned by label
            order = draw(st.permutations(range(n)))
            scale = (lambda v: v) if unique_values else (lambda v: 2 * v - 1)
            opts["value"] = pd.Series([scale(value[i]) for i in order],
                                      index=[ids[i] for i in order])
        if draw(st.integers(0, 3)) == 0:
            opts["force_in"] = _ids_subset(draw, ids, 2)
        if draw(st.integers(0, 3)) == 0:
            opts["force_out"] = _ids_subset(draw, ids, 2)
        if draw(st.integers(0, 3)) == 0:
            opts["budget"] = float(draw(st.integers(0, total_cost + 1)))
        if window and draw(st.integers(0, 3)) == 0:
            opts["schedule"] = False
        if "risk" in features and draw(st.integers(0, 3)) == 0:
            opts["max_average_risk"] = float(draw(st.sampled_from([2, 2.5, 3, 4])))
    return Case(tables, opts)
