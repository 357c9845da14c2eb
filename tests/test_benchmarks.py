"""Smoke tests of the benchmark scripts (benchmarks/bench_build.py, benchmarks/bench_mknap.py).

Tiny sizes only and no timing assertions: speed is measured by the scripts, never in tests.
What is checked: the JSON records carry the documented fields; the constraint matrix that
bench_build builds directly with numpy/scipy is the library's model (same rows, non-zeros,
coefficients, right-hand sides, objective and bounds, and the same optimum when both are
solved); bench_mknap reaches the published optima of Petersen (1967) (tests/data/README.md).
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, SOLVERS
from portfolio_opt import Portfolio, SelectionModel, select
from portfolio_opt.datasets import load_sample, synthetic

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
SHARED_MKP = Path(__file__).resolve().parents[2] / "shared" / "data" / "mkp"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench_build():
    pytest.importorskip("highspy")  # the direct build is loaded into HiGHS
    return _load("bench_build")


@pytest.fixture(scope="module")
def bench_mknap():
    return _load("bench_mknap")


def _pulp_counts(model) -> tuple[int, int]:
    """Rows and non-zeros of the built PuLP problem, read from its constraints."""
    cons = model.problem_.constraints
    cons = cons() if callable(cons) else list(cons.values())
    return len(cons), sum(sum(1 for v in c.values() if v != 0) for c in cons)


def _strict(text: str):
    """Parse JSON, refusing NaN / Infinity (not JSON; other tools choke on them)."""
    def reject(token):
        raise ValueError(f"non-standard JSON constant {token}")
    return json.loads(text, parse_constant=reject)


def _direct_for(bench_build, pf, model):
    shape = bench_build.model_shape(model)
    value = model.value_.reindex(pf.projects.index).to_numpy()
    return bench_build.build_direct(pf, **shape, value=value)


def _both_builds(bench_build, pf, value=None):
    """The library's model of ``pf`` (built) and the direct build of the same model."""
    if value is None and "value" in pf.projects.columns:
        value = "value"
    model = SelectionModel(pf, value)
    model.build()
    return (model, *_direct_for(bench_build, pf, model))


# ------------------------------------------------------------------------------ bench_build
@pytest.mark.parametrize("make", [lambda: synthetic(300, 6, 8, seed=3), load_sample],
                         ids=["synthetic", "sample"])
def test_direct_matrix_has_the_rows_and_nonzeros_of_the_pulp_model(bench_build, make):
    pf = make()
    model, dm, h = _both_builds(bench_build, pf)
    rows, nnz = _pulp_counts(model)
    n_cols = len(model.problem_.variables())
    assert dm.A.shape == (rows, n_cols)
    assert dm.A.nnz == nnz
    assert (h.getNumRow(), h.getNumCol(), h.getNumNz()) == (rows, n_cols, nnz)
    info = bench_build.check_same_model(model, dm, h)
    assert (info["n_rows"], info["n_nonzeros"]) == (rows, nnz)
    # every group the library lists is counted once
    assert sum(info["rows_by_group"].values()) == len(model.constraints_) == rows


def test_sample_exercises_more_than_budget_and_capacity(bench_build):
    pf = load_sample()
    model, dm, _ = _both_builds(bench_build, pf)
    groups = set(dm.group)
    assert {"budget", "period_budget", "capacity"} <= groups
    assert groups & {"requires", "excludes", "together"}
    assert pf.projects["mandatory"].any()
    if "flex_amount" in pf.capacity.columns and (pf.capacity["flex_amount"] > 0).any():
        assert (dm.columns["kind"] == "hire").sum() == (pf.capacity["flex_amount"] > 0).sum()


@pytest.mark.parametrize("make", [lambda: synthetic(25, 3, 5, seed=5), load_sample],
                         ids=["synthetic", "sample"])
def test_direct_model_has_the_library_optimum(bench_build, make):
    # same model, same optimum: solve the directly loaded HiGHS model to optimality
    pf = make()
    model, dm, h = _both_builds(bench_build, pf)
    import highspy

    h.setOptionValue("mip_rel_gap", 0.0)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    x = np.asarray(h.getSolution().col_value)
    activity = dm.A @ x
    assert np.all(activity <= dm.row_upper + 1e-6) and np.all(activity >= dm.row_lower - 1e-6)
    sel = select(pf, model.value, solver="cbc")
    assert sel.status.value == "optimal"
    assert math.isclose(float(dm.c @ x), sel.objective, rel_tol=1e-9)


def test_same_model_check_is_not_vacuous(bench_build):
    pf = synthetic(200, 5, 6, seed=1)
    model, dm, _ = _both_builds(bench_build, pf)
    bench_build.check_same_model(model, dm)
    # one coefficient changed
    bad = replace(dm, A=dm.A.copy())
    bad.A.data[0] += 1.0
    with pytest.raises(AssertionError, match="coef_sum"):
        bench_build.check_same_model(model, bad)
    # one capacity row dropped
    keep = np.ones(dm.A.shape[0], dtype=bool)
    keep[np.flatnonzero(dm.group == "capacity")[0]] = False
    fewer = replace(dm, A=dm.A[keep], row_lower=dm.row_lower[keep],
                    row_upper=dm.row_upper[keep], group=dm.group[keep])
    with pytest.raises(AssertionError, match="capacity: rows"):
        bench_build.check_same_model(model, fewer)
    # a different objective; a different bound
    with pytest.raises(AssertionError, match="objective"):
        bench_build.check_same_model(model, replace(dm, c=dm.c * 2))
    with pytest.raises(AssertionError, match="lower bounds"):
        bench_build.check_same_model(model, replace(dm, col_lower=np.ones_like(dm.col_lower)))
    # the options of the earliest start only
    with pytest.raises(AssertionError, match="options differ"):
        bench_build.check_same_model(model, bench_build.build_direct(
            pf, schedule=False, mandatory_rows=True, load=False)[0])


def test_direct_options_follow_the_windows(bench_build):
    pf = synthetic(50, 3, 8, seed=2)
    first = pf.period_position(pf.projects["earliest_start"])
    last = pf.period_position(pf.projects["latest_start"])
    opts = bench_build.direct_options(pf, schedule=True)
    counts = opts.groupby("project_id").size().reindex(pf.projects.index)
    assert (counts.to_numpy() == last - first + 1).all()
    assert bench_build.direct_options(pf, schedule=False)["start"].tolist() == first.tolist()


REQUIRED_BUILD_FIELDS = {"n_projects", "build_s", "solve_s", "matrix_build_s", "objective",
                         "status", "peak_rss_mb", "gap", "bound", "solver", "n_rows",
                         "n_nonzeros", "ratio"}


def test_bench_build_json_record_from_fresh_processes(bench_build, tmp_path):
    out = tmp_path / "build.json"
    rc = bench_build.main(["--sizes", "30", "--competences", "4", "--periods", "6",
                           "--solver", "cbc", "--time-limit", "2", "--repeat", "1",
                           "--json", str(out)])
    assert rc == 0
    records = _strict(out.read_text())
    assert [r["n_projects"] for r in records] == [30]
    for r in records:
        assert REQUIRED_BUILD_FIELDS <= set(r)
        assert r["status"] in {"optimal", "feasible", "not_solved"}
        assert r["solver"] == "cbc"
        (solve,) = r["solves"]
        peaks = [r["peak_rss_build_mb"], solve["peak_rss_mb"], solve["solver_child_rss_mb"]]
        assert r["peak_rss_mb"] == max(p for p in peaks if p is not None)
        if sys.platform.startswith("linux"):  # the CBC process, sampled from /proc
            assert solve["solver_child_rss_mb"] > 0
        assert r["peak_rss_build_mb"] > 0
        assert r["build_s"] > 0 and r["matrix_build_s"] > 0
        assert math.isclose(r["ratio"], r["build_s"] / r["matrix_build_s"])
        assert r["peak_rss_note"].startswith("largest peak of the fresh processes")
        assert "note" not in r
        # the counts agree with the library's model built here
        model = SelectionModel(synthetic(r["n_projects"], 4, 6, 0), "value")
        model.build()
        assert (r["n_rows"], r["n_nonzeros"]) == _pulp_counts(model)
        if r["status"] == "optimal":
            assert r["gap"] == 0 and r["bound"] == r["objective"]
        else:
            assert r["bound"] >= r["objective"]


def test_bench_build_one_record_per_size_without_solving(bench_build, tmp_path):
    out = tmp_path / "build.json"
    assert bench_build.main(["--sizes", "20", "30", "--competences", "3", "--periods", "4",
                             "--solver", "none", "--in-process", "--json", str(out)]) == 0
    records = _strict(out.read_text())
    assert [r["n_projects"] for r in records] == [20, 30]
    for r in records:
        assert r["status"] == "not_run" and r["solves"] == []
        assert REQUIRED_BUILD_FIELDS <= set(r)
        assert r["peak_rss_mb"] == r["peak_rss_build_mb"]
        model = SelectionModel(synthetic(r["n_projects"], 3, 4, 0), "value")
        model.build()
        assert (r["n_rows"], r["n_nonzeros"]) == _pulp_counts(model)


# ------------------------------------------------------------------------------ bench_mknap
PETERSEN_OPTIMA = [3800, 8706.1, 4015, 6120, 12400, 10618, 16537]  # published, mknap1.txt


def test_reader_reads_the_published_instances(bench_mknap):
    insts = bench_mknap.load_set(DATA, "mknap1")
    assert [i.best_known for i in insts] == PETERSEN_OPTIMA
    assert [i.weights.shape for i in insts][:2] == [(10, 6), (10, 10)]
    cb = bench_mknap.load_set(DATA, "mknapcb1")
    assert len(cb) == 30 and cb[0].paper_name == "5.100-00"
    assert cb[0].best_known == 24381  # Chu & Beasley (1998), 5.100-00
    picked = bench_mknap.parse_instances(["mknap1:0,2", "mknapcb1:3-4"], DATA)
    assert [i.name for i in picked] == ["mknap1:00", "mknap1:02", "mknapcb1:03", "mknapcb1:04"]


def test_knapsack_portfolio_mapping(bench_mknap):
    inst = bench_mknap.load_set(DATA, "mknap1")[0]
    pf = bench_mknap.portfolio_of(inst)
    assert isinstance(pf, Portfolio)
    assert len(pf) == inst.weights.shape[1] and list(pf.periods) == ["1"]
    assert len(pf.competences) == inst.weights.shape[0]
    assert (pf.projects["cost"] == 0).all()
    np.testing.assert_array_equal(pf.projects["value"].to_numpy(), inst.profit)
    use = pf.demand.pivot_table(index="competence", columns="project_id", values="amount",
                                aggfunc="sum", fill_value=0.0)
    np.testing.assert_array_equal(use.reindex(index=[f"r{i}" for i in range(len(inst.capacity))],
                                              columns=pf.projects.index,
                                              fill_value=0.0).to_numpy(), inst.weights)


def test_bench_mknap_json_and_published_optima(bench_mknap, tmp_path, capsys):
    out = tmp_path / "mknap.json"
    rc = bench_mknap.main(["--data", str(DATA), "--instances", "mknap1:0,3,6",
                           "--solver", *SOLVERS, "--time-limit", "5", "--json", str(out)])
    assert rc == 0
    payload = _strict(out.read_text())
    rows = pd.DataFrame(payload["results"])
    assert {"instance", "objective", "best_known", "gap_to_best_pct", "status", "gap", "bound",
            "solve_s", "solver", "checks_ok"} <= set(rows.columns)
    assert len(rows) == 3 * len(SOLVERS) and set(rows["solver"]) == set(SOLVERS)
    expected = [PETERSEN_OPTIMA[k] for k in (0, 3, 6)] * len(SOLVERS)
    np.testing.assert_allclose(rows["objective"], expected)
    assert (rows["status"] == "optimal").all() and rows["checks_ok"].all()
    assert (rows["gap_to_best_pct"].abs() < 1e-9).all()
    summary = pd.DataFrame(payload["summary"])
    assert summary["worst_gap_pct"].max() < 1e-9
    assert "all proven optima reached" in capsys.readouterr().out


def test_bench_mknap_flags_a_wrong_answer(bench_mknap, monkeypatch):
    inst = bench_mknap.load_set(DATA, "mknap1")[0]
    # an instance whose stated proven optimum is above the true one: "optimal" must be flagged
    fake = bench_mknap.Instance(inst.name, "", inst.profit, inst.weights, inst.capacity,
                                inst.best_known + 100, True, math.nan)
    row = bench_mknap.run_instance(fake, "cbc", 5.0)
    assert row["feasible"] and row["objective_matches"]
    assert not row["optimal_is_honest"] and not row["bound_ok"]


def test_mkcbres_parsing_and_the_copied_best_known_values(bench_mknap):
    res = SHARED_MKP / "mkcbres.txt"
    if not res.exists():
        pytest.skip(f"{res} not here (the OR-Library copy outside the repository)")
    best, lp = bench_mknap.read_mkcbres(res)
    assert len(best) == 270 and len(lp) == 270
    assert [best[f"5.100-{k:02d}"] for k in range(30)] == bench_mknap.MKNAPCB1_BEST_KNOWN
    assert lp["5.100-00"] == pytest.approx(24585.902722)
    assert all(lp[k] >= best[k] for k in best)  # an LP relaxation bounds every optimum


def test_bench_mknap_counts_a_failure_as_an_infinite_gap(bench_mknap, monkeypatch):
    import portfolio_opt

    def broken(*args, **kwargs):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(portfolio_opt, "select", broken)
    inst = bench_mknap.load_set(DATA, "mknap1")[0]
    row = bench_mknap.run_instance(inst, "cbc", 1.0)
    assert row["status"] == "error" and "solver crashed" in row["error"]
    assert row["gap_to_best_pct"] == math.inf and not row["feasible"]
    summary = bench_mknap.summarise([{**row, "checks_ok": False}])
    assert summary.loc[0, "worst_gap_pct"] == math.inf
    assert bench_mknap.strict_json({"gap": math.inf, "x": [math.nan, 1.0]}) == {
        "gap": None, "x": [None, 1.0]}


# ------------------------------------------------------------------------------ bench_solve
@pytest.fixture(scope="module")
def bench_solve():
    pytest.importorskip("highspy")  # the heuristic's LP and HiGHS in memory
    return _load("bench_solve")


REQUIRED_SOLVE_FIELDS = {"n_projects", "method", "time_limit", "wall_s", "first_feasible_s",
                         "objective", "bound", "gap", "status", "peak_rss_mb", "limit_held",
                         "build_s", "peak_rss_build_mb", "max_violation"}


def test_bench_solve_quick_records_are_consistent(bench_solve, tmp_path):
    # tiny sizes, fresh processes, every solver here raw and through select(time_limit=);
    # no timing assertions
    out = tmp_path / "solve.json"
    assert bench_solve.main(["--quick", "--solvers", *SOLVERS, "--json", str(out)]) == 0
    records = _strict(out.read_text())
    methods = [m for s in SOLVERS for m in (s, f"library_{s}")]
    assert [(r["n_projects"], r["time_limit"], r["method"]) for r in records] == [
        (n, 2.0, m) for n in (30, 80) for m in methods]
    # the optimum of the 30-project portfolio, solved here through the library's own path
    opt = select(synthetic(30, 4, 6, 0), "value", solver="cbc")
    assert opt.status.value == "optimal"
    for r in records:
        assert REQUIRED_SOLVE_FIELDS <= set(r), r["method"]
        assert r["status"] in {"optimal", "feasible"}, r
        obj, bound, gap = r["objective"], r["bound"], r["gap"]
        assert obj is not None and bound is not None
        assert obj <= bound + 1e-9 * abs(bound)
        # the gap recomputed from objective and bound (relative to the larger)
        assert gap == pytest.approx(abs(bound - obj) / max(abs(bound), abs(obj)), abs=1e-12)
        if r["status"] == "optimal":
            assert gap == 0 and bound == pytest.approx(obj, rel=1e-9)
        else:
            assert gap > 1e-9
        assert r["max_violation"] <= 1e-6  # the portfolio handed back satisfies every row
        assert 0 <= r["first_feasible_s"] <= r["wall_s"]
        assert r["limit_held"] == (r["wall_s"] <= r["time_limit"])
        assert r["peak_rss_mb"] >= r["peak_rss_build_mb"] > 0
        if r["method"].startswith("library"):
            assert r["n_events"] > 0 and r["build_in_call_s"] > 0
        if r["n_projects"] == 30:  # never above the optimum; a bound never below it
            assert obj <= opt.objective * (1 + 1e-9)
            assert bound >= opt.objective * (1 - 1e-9)
        # the model's size is the library's model of that portfolio
        if r["n_projects"] == 30:
            model = SelectionModel(synthetic(30, 4, 6, 0), "value")
            model.build()
            assert (r["n_rows"], r["n_nonzeros"]) == _pulp_counts(model)


def test_bench_solve_combined_stopped_by_the_runner_keeps_the_heuristic(bench_solve, tmp_path):
    # a negative margin gives the solver more time than the wall-clock limit: the runner
    # must stop it and hand back the greedy portfolio, with the bound the solver reported
    out = tmp_path / "stopped.json"
    assert bench_solve.main(["--sizes", "80", "--limits", "1.5", "--competences", "4",
                             "--periods", "6", "--solvers", "cbc", "--methods", "combined",
                             "--margin", "-30", "--json", str(out)]) == 0
    (r,) = _strict(out.read_text())
    assert r["method"] == "combined_cbc"
    assert (r["runner_reason"], r["runner_source"], r["source"]) == (
        "time_limit", "fallback", "greedy")
    assert r["objective"] == r["heuristic_objective"] and r["max_violation"] <= 1e-6
    assert r["status"] == "feasible" and r["first_feasible_s"] == r["heuristic_s"]
    if r["bound"] is None:  # no bound reported in time: no gap either
        assert r["gap"] is None
    else:
        assert r["objective"] <= r["bound"] * (1 + 1e-9)
        assert r["gap"] == pytest.approx(
            (r["bound"] - r["objective"]) / max(abs(r["bound"]), abs(r["objective"])))
