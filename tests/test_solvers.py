"""Tests of portfolio_opt.solvers: published optima, honest status, options.

Reference numbers come from OR-Library (tests/data/README.md):

- mknap1.txt: C.C. Petersen, "Computational experience with variants of the Balas algorithm
  applied to the selection of R&D projects", Management Science 13(9):736-750, 1967.
- mknapcb1.txt and mkcbres.txt: P.C. Chu and J.E. Beasley, "A genetic algorithm for the
  multidimensional knapsack problem", Journal of Heuristics 4:63-86, 1998.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import checker
from conftest import DATA, SOLVERS
from portfolio_opt import InputError, Portfolio, Solver, SolverError, Status, select
from portfolio_opt.solvers import relative_gap

# Proven optima of the seven Petersen (1967) instances, as published with mknap1.txt.
PETERSEN_OPTIMA = [3800, 8706.1, 4015, 6120, 12400, 10618, 16537]

# Chu & Beasley (1998), mkcbres.txt, instances 5.100-00 ... 5.100-09 (n=100, m=5): the best
# feasible value their genetic algorithm found (first table) and the optimum of the LP
# relaxation (second table). Every optimum lies between the two.
CB_BEST_KNOWN = [24381, 24274, 23551, 23534, 23991, 24613, 25591, 23410, 24216, 24411]
CB_LP = [2.4585902722e04, 2.4538208990e04, 2.3895828928e04, 2.3724138568e04, 2.4223030317e04,
         2.4884237046e04, 2.5793401838e04, 2.3657882201e04, 2.4445615445e04, 2.4635691889e04]

TOL = 1e-6


def gap_of(objective: float, bound: float) -> float:
    """The contract's relative gap, written out: |bound - objective| / max(|bound|, |objective|)."""
    return abs(bound - objective) / max(abs(bound), abs(objective))


@pytest.fixture(scope="module")
def petersen() -> list[checker.Knapsack]:
    return checker.read_orlib(DATA / "mknap1.txt")


@pytest.fixture(scope="module")
def chu_beasley() -> list[checker.Knapsack]:
    return checker.read_orlib(DATA / "mknapcb1.txt")


def test_data_files_are_the_published_ones(petersen, chu_beasley):
    shapes = [(len(k.profit), len(k.capacity), k.optimum) for k in petersen]
    assert shapes == [(6, 10, 3800), (10, 10, 8706.1), (15, 10, 4015), (20, 10, 6120),
                      (28, 10, 12400), (39, 5, 10618), (50, 5, 16537)]
    assert len(chu_beasley) == 30
    assert all(k.weights.shape == (5, 100) for k in chu_beasley)


# ------------------------------------------------------------------------- published optima


@pytest.mark.parametrize("k", range(7))
def test_petersen_published_optimum(solvers, petersen, k):
    inst = petersen[k]
    pf = Portfolio(**checker.knapsack_tables([inst]))
    sel = select(pf, solver=solvers)
    assert sel.status is Status.OPTIMAL
    assert sel.objective == pytest.approx(PETERSEN_OPTIMA[k], rel=1e-9)
    assert sel.gap == 0.0
    assert sel.bound == pytest.approx(PETERSEN_OPTIMA[k], rel=1e-9)
    assert checker.violations(pf, sel.selected_ids, sel.start) == []
    # and straight on the raw OR-Library numbers
    order = [f"b00-j{j:03d}" for j in range(len(inst.profit))]
    x = sel.selected[order].to_numpy(dtype=float)
    assert inst.profit @ x == pytest.approx(PETERSEN_OPTIMA[k], rel=1e-9)
    assert np.all(inst.weights @ x <= inst.capacity + 1e-9)


def test_every_solver_gives_the_same_optimum_on_petersen(petersen):
    for inst in petersen:
        pf = Portfolio(**checker.knapsack_tables([inst]))
        found = [select(pf, solver=s).objective for s in SOLVERS]
        assert found == pytest.approx([inst.optimum] * len(SOLVERS), rel=1e-9)


def test_chu_beasley_instance_solved_to_optimality(chu_beasley):
    """5.100-01 is proven within seconds; its optimum lies between the best known and the LP."""
    pf = Portfolio(**checker.knapsack_tables([chu_beasley[1]]))
    found = []
    for s in SOLVERS:
        sel = select(pf, solver=s, time_limit=120)
        assert sel.status is Status.OPTIMAL, s
        assert CB_BEST_KNOWN[1] - TOL <= sel.objective <= math.floor(CB_LP[1]) + TOL
        assert checker.violations(pf, sel.selected_ids, sel.start) == []
        found.append(sel.objective)
    assert found == pytest.approx([found[0]] * len(found), rel=1e-9)


# ---------------------------------------------------------------------------- honest status


def check_honest(sel, pf, best_known: float, lp: float) -> None:
    """What a solver may claim about a maximisation whose optimum is in [best_known, lp]."""
    if sel.status is Status.NOT_SOLVED:  # allowed: nothing found in time, and said so
        assert math.isnan(sel.objective) and not sel.selected.any()
        assert sel.bound >= best_known - TOL
        return
    assert sel.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert checker.violations(pf, sel.selected_ids, sel.start) == []
    assert sel.objective == pytest.approx(float(sel.value[sel.selected].sum()), rel=1e-12)
    assert sel.objective <= lp + TOL  # nothing beats the LP relaxation
    assert sel.objective <= sel.bound + TOL * abs(sel.bound)
    assert sel.bound >= best_known - TOL  # a bound below a known portfolio is no bound
    assert sel.gap == pytest.approx(relative_gap(sel.objective, sel.bound), rel=1e-9, abs=1e-12)
    assert sel.gap == pytest.approx(gap_of(sel.objective, sel.bound), rel=1e-9, abs=1e-12)
    if sel.status is Status.OPTIMAL:
        assert sel.gap == 0.0
        assert sel.bound == pytest.approx(sel.objective, rel=1e-12)
        assert sel.objective >= best_known - TOL  # a proven optimum is at least the best known
    else:
        assert sel.gap > 0 and sel.bound > sel.objective


@pytest.mark.parametrize("blocks", [1, 10], ids=["5.100-00", "5.100-00..09"])
def test_time_limit_status_is_honest(solvers, chu_beasley, blocks):
    """0.5 s: one instance is at the edge of provable (CBC needs ~1 s on 2 cores); ten
    independent instances side by side (1 000 projects, 50 competences) cannot be proven."""
    pf = Portfolio(**checker.knapsack_tables(chu_beasley[:blocks]))
    sel = select(pf, solver=solvers, time_limit=0.5)
    check_honest(sel, pf, sum(CB_BEST_KNOWN[:blocks]), sum(CB_LP[:blocks]))
    assert sel.solve_time < 0.5 + 5.0  # the time limit is kept (with slack for start-up)


@pytest.mark.parametrize("blocks", [1, 10], ids=["5.100-00", "5.100-00..09"])
def test_relative_gap_option_is_honoured(solvers, chu_beasley, blocks):
    pf = Portfolio(**checker.knapsack_tables(chu_beasley[:blocks]))
    best, lp = sum(CB_BEST_KNOWN[:blocks]), sum(CB_LP[:blocks])
    sel = select(pf, solver=solvers, gap=0.05)
    assert sel.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert sel.gap <= 0.05 + 1e-9
    check_honest(sel, pf, best, lp)
    # gap = (bound - objective) / bound <= 5 % and bound >= best known
    assert sel.objective >= (1 - 0.05) * best - TOL


# ------------------------------------------------------------------------------- options


def test_solver_parse():
    assert Solver.parse(None) is Solver.CBC
    assert Solver.parse(" HiGHS ") is Solver.HIGHS
    assert Solver.parse(Solver.CBC) is Solver.CBC
    assert Solver.parse("cbc") == "cbc"
    with pytest.raises(InputError, match=r"^unknown solver 'glpk'; valid solvers: cbc, highs\.$"):
        Solver.parse("glpk")
    assert Solver.CBC.available()


def test_solver_names_in_any_case(solvers):
    pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [2.0, 2.0],
                                 "value": [1.0, 3.0]}), budget=3.0)
    sel = select(pf, solver=solvers.upper())
    assert sel.solver == solvers and sel.selected_ids.tolist() == ["B"]
    assert select(pf, solver=Solver(solvers)).solver == solvers


def test_unavailable_solver(monkeypatch):
    monkeypatch.setattr(Solver, "available", lambda self: False)
    pf = Portfolio(pd.DataFrame({"project_id": ["A"], "cost": [1.0], "value": [1.0]}))
    with pytest.raises(SolverError, match=r"^solver 'highs' is not available on this machine\. "
                       r"Install it with: pip install 'portfolio_opt\[highs\]'\.$"):
        select(pf, solver="highs")
    with pytest.raises(SolverError, match=r"^solver 'cbc' is not available on this machine\. "
                       r"PuLP's bundled CBC could not run; reinstall pulp\.$"):
        select(pf)


def test_status_values():
    assert [s.value for s in Status] == ["optimal", "feasible", "infeasible", "unbounded",
                                         "not_solved"]
    assert Status("optimal") is Status.OPTIMAL and Status.FEASIBLE == "feasible"


def test_relative_gap_function():
    assert relative_gap(98.0, 100.0) == pytest.approx(2 / 100)
    assert relative_gap(-98.0, -100.0) == pytest.approx(2 / 100)
    assert relative_gap(0.0, 0.0) == 0.0
    assert math.isnan(relative_gap(math.nan, 1.0))
    assert math.isnan(relative_gap(1.0, math.inf))


def test_solver_output_is_silenced_at_the_file_descriptor(capfd):
    # HiGHS prints its banner from C++ (and CBC its log) on the process's standard output;
    # nothing of it may reach the user's terminal or notebook
    import portfolio_opt as po

    pf = po.datasets.synthetic(40, n_competences=3, n_periods=4, seed=2)
    for solver in SOLVERS:
        po.Solver(solver).available()
        po.select(pf, solver=solver)
    out = capfd.readouterr().out
    assert "HiGHS" not in out and "Cbc" not in out and "Welcome" not in out
