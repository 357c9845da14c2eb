"""Tests of select(..., time_limit=...): the anytime path (portfolio_opt.anytime).

Checked, not trusted: every answer against the independent checker and the
brute-force optimum (a proven optimum must equal it; a feasible answer lies
between it and the bound), the wall-clock promise against a clock in the
test, the progress events against the answer, and the child process set-ups
(an unguarded script, a daemonic worker) by running them.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import checker
from conftest import SOLVERS, line, portfolio_cases
from portfolio_opt import InfeasibleError, SelectionModel, select
from portfolio_opt.anytime import solve_anytime
from portfolio_opt.datasets import synthetic
from portfolio_opt.heuristic import max_violation
from portfolio_opt.solvers import Status

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(case=portfolio_cases())
def test_time_limited_select_is_feasible_and_honest(case):
    """Every feature of the model: optimal means the brute-force optimum; else bounded."""
    pf = case.portfolio()
    best = case.optimum(pf)
    solver = SOLVERS[len(pf.projects) % len(SOLVERS)]
    if best is None:
        with pytest.raises(InfeasibleError):
            select(pf, **case.options, solver=solver, time_limit=30, progress=False,
                   diagnose=False)
        return
    sel = select(pf, **case.options, solver=solver, time_limit=30, progress=False)
    assert checker.violations(pf, sel.selected_ids, sel.start, **case.check_options,
                              hiring=sel.hiring) == []
    tol = 1e-6 * max(1.0, abs(best.objective))
    assert sel.objective <= best.objective + tol
    assert sel.bound >= best.objective - tol
    # a small model is solved to proven optimality well within 30 s
    assert sel.status is Status.OPTIMAL
    assert sel.objective == pytest.approx(best.objective, rel=1e-6, abs=1e-9)
    assert sel.gap == 0.0


def test_the_time_limit_holds_and_the_answer_is_feasible_with_its_gap():
    """5 000 projects, 3 s: returned within the limit (+0.5 s for a loaded machine), a
    portfolio that satisfies every row, a proven bound above it, and the gap between."""
    pf = synthetic(5000, seed=3)
    events = []
    t0 = time.monotonic()
    sel = select(pf, "value", time_limit=3, progress=events.append)
    elapsed = time.monotonic() - t0
    assert elapsed <= 3.5, elapsed
    model = SelectionModel(pf, "value")
    model.build()
    mm = model.matrix_
    x = np.zeros(mm.n_cols)
    chosen = model.options_.reset_index(drop=True)
    ids = pf.projects.index
    for j, (pid, s) in enumerate(zip(chosen["project_id"], chosen["start"])):
        if sel.selected[pid] and sel.start[pid] == pf.periods[s]:
            x[j] = 1.0
            x[mm.selection_columns[ids.get_loc(pid)]] = 1.0
    assert max_violation(mm, x) <= 1e-6
    assert mm.objective_value(x) == pytest.approx(sel.objective, rel=1e-9)
    assert sel.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert math.isfinite(sel.bound) and sel.bound >= sel.objective
    if sel.status is Status.FEASIBLE:
        assert sel.gap == pytest.approx((sel.bound - sel.objective) / sel.bound, rel=1e-9)
        assert sel.gap < 0.05  # the heuristics and the bound are within 5 % at once
    # progress: in time order, incumbents never worse, bounds never looser, the last one
    # is what was returned
    assert events, "no progress reported"
    times = [e.elapsed for e in events]
    assert times == sorted(times)
    inc = [e.incumbent for e in events if math.isfinite(e.incumbent)]
    assert inc == sorted(inc)
    assert inc[-1] == pytest.approx(sel.objective, rel=1e-9)
    bounds = [e.bound for e in events if math.isfinite(e.bound)]
    assert min(bounds) == pytest.approx(sel.bound, rel=1e-9)


def test_stopping_from_the_progress_callback_keeps_the_best_portfolio():
    pf = synthetic(3000, seed=1)
    seen = []

    def stop_at_second(event):
        seen.append(event)
        if len(seen) == 2:
            raise KeyboardInterrupt

    t0 = time.monotonic()
    sel = select(pf, "value", time_limit=60, progress=stop_at_second)
    assert time.monotonic() - t0 < 30
    assert sel.status is Status.FEASIBLE and sel.selected.any()
    assert sel.objective >= seen[0].incumbent - 1e-9


def test_progress_without_time_limit_still_proves_optimality():
    pf = line(["A", "B", "C"], cost=[4.0, 3.0, 3.0], value=[5.0, 3.0, 3.0], budget=6)
    events = []
    sel = select(pf, progress=events.append)
    assert sel.status is Status.OPTIMAL and sel.objective == 6.0
    assert sel.selected_ids.tolist() == ["B", "C"]
    assert events[-1].incumbent == 6.0 and events[-1].bound == 6.0


def test_infeasible_with_a_time_limit_is_proven():
    pf = line(["A", "B"], cost=[5.0, 5.0], value=[1.0, 1.0], budget=6,
              columns={"mandatory": [True, True]})
    with pytest.raises(InfeasibleError, match="No portfolio satisfies every constraint"):
        select(pf, time_limit=10, progress=False)


def test_a_script_without_main_guard_can_select_with_a_time_limit(tmp_path):
    """multiprocessing's children import the main script; select's child must not."""
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent("""
        import pandas as pd
        from portfolio_opt import Portfolio, select
        pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 3.0],
                                     "value": [5.0, 3.0, 3.0]}), budget=6)
        print("RUN")
        sel = select(pf, time_limit=20, progress=False)
        print(sel.status.value, sel.objective)
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["RUN", "optimal", "6.0"]


def _in_daemon(queue):
    pf = line(["A", "B", "C"], cost=[4.0, 3.0, 3.0], value=[5.0, 3.0, 3.0], budget=6)
    model = SelectionModel(pf)
    model.build()
    res = solve_anytime(model.matrix_, time_limit=20, progress=False)
    queue.put((res.reason, res.report.status.value, res.report.objective))


def test_a_daemonic_worker_solves_in_process():
    """Process-pool workers may not start children: the steps run in the worker itself."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_in_daemon, args=(queue,), daemon=True)
    proc.start()
    reason, status, objective = queue.get(timeout=120)
    proc.join(30)
    assert (reason, status, objective) == ("in_process", "optimal", 6.0)


@pytest.mark.skipif("highs" not in SOLVERS, reason="the neighbourhood search needs highspy")
def test_the_neighbourhood_search_runs_from_1000_projects_before_a_shorter_solver_run(
        monkeypatch):
    """The child's steps in process: which get called, and with how much of the time."""
    from portfolio_opt import anytime
    from portfolio_opt.heuristic_repair import prepare
    from portfolio_opt.lagrange import lagrangian_bound

    calls: dict[str, list] = {"neighbourhood": [], "solver": [], "core": []}
    real_search, real_solve = anytime.neighbourhood_search, anytime.solve_matrix
    real_core = anytime.core_lp_rounding

    def core(*args, **kwargs):
        calls["core"].append(kwargs.get("crossover", False))
        return real_core(*args, **kwargs)

    def search(*args, **kwargs):
        calls["neighbourhood"].append(kwargs["time_limit"])
        return real_search(*args, **kwargs)

    def solve(*args, **kwargs):
        calls["solver"].append(kwargs["time_limit"])
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(anytime, "neighbourhood_search", search)
    monkeypatch.setattr(anytime, "solve_matrix", solve)
    monkeypatch.setattr(anytime, "core_lp_rounding", core)
    for n, limit in ((1500, 6.0), (300, 3.0)):
        for key in calls:
            calls[key].clear()
        model = SelectionModel(synthetic(n, seed=2), "value")
        model.build()
        mm = model.matrix_
        best = anytime._Best(mm, time.monotonic(), None)
        plan = anytime._Plan("cbc", limit, None, None, lagrangian_bound(mm, time_limit=0.2).y)
        t0 = time.monotonic()
        out = anytime._child(mm, prepare(mm), anytime.greedy(mm), plan,
                             anytime._LocalReporter(best))
        assert time.monotonic() - t0 < limit + 3.0  # CBC may overrun its own limit a little
        assert best.x is not None and max_violation(mm, best.x) <= 1e-6
        assert out["bound"] >= best.objective
        # the cores of a model that is not large are rounded from a vertex (crossover)
        assert calls["core"] and all(calls["core"])
        if n >= anytime.NEIGHBOURHOOD_MIN_PROJECTS:
            assert len(calls["neighbourhood"]) == 1 and calls["neighbourhood"][0] > 0.3
            # the solver gets what the search leaves: about 10 % of the time, not 30 %
            assert all(t <= anytime.NEIGHBOURHOOD_SOLVER_SHARE * limit + 0.5
                       for t in calls["solver"])
        else:
            assert calls["neighbourhood"] == []
            assert len(calls["solver"]) == 1


def _time_limited_select(n: int) -> tuple[str, float, int]:
    sel = select(synthetic(n, 3, 4, seed=2), "value", time_limit=20, progress=False)
    return sel.status.value, sel.objective, os.getpid()


def test_a_forked_worker_can_select_after_its_parent_started_the_forkserver():
    """A worker of ProcessPoolExecutor() (fork, Linux's default) inherits the parent's
    forkserver, which is not its child: its time-limited selects must still run."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import forkserver

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    here = _time_limited_select(12)  # starts this process's forkserver
    assert forkserver._forkserver._forkserver_pid is not None
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        status, objective, pid = pool.submit(_time_limited_select, 12).result(timeout=120)
    assert pid != os.getpid()
    assert (status, objective) == here[:2]
    best = checker.brute_force(synthetic(12, 3, 4, seed=2), "value")
    assert status == "optimal" and objective == pytest.approx(best.objective)
