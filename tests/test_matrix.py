"""The model as arrays (``SelectionModel.matrix_``) and its solve without PuLP (matrix_solve).

What is checked, and against what:

- ``matrix_`` is the PuLP problem, exactly: every row, column, coefficient, bound,
  integrality and objective coefficient compared with PuLP's own account of the problem
  (``LpProblem.toDict()``), on the sample, on random portfolios (every feature and option)
  and with ``without``/``exclude``/``min_value``/``objective``;
- the MPS writer: HiGHS reads the file back (its own MPS reader) and holds the same arrays,
  on a model with every kind of row and column bound;
- ``solve_matrix``: the same status and optimum as ``run_solver`` on the PuLP problem, on
  random portfolios and on the published OR-Library instances (mknap1, Petersen 1967), both
  solvers; the answer passes the independent checker (tests/checker.py);
- warm starts, progress callbacks (and stopping from one), bad input messages, the CBC
  status rules, pickling.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings

import checker
from conftest import DATA, SOLVERS, portfolio_cases
from portfolio_opt import Portfolio, SelectionModel
from portfolio_opt.datasets import load_sample, synthetic
from portfolio_opt.exceptions import InfeasibleError, InputError
from portfolio_opt.matrix import MatrixModel
from portfolio_opt.matrix_solve import read_cbc_solution, solve_matrix, write_mps
from portfolio_opt.progress import ProgressEvent as Progress
from portfolio_opt.solvers import Status, cbc_outcome, run_solver

MODEL_OPTIONS = ("value", "budget", "force_in", "force_out", "schedule", "buckets",
                 "max_average_risk")


# ----------------------------------------------------------------------- PuLP's account
def pulp_arrays(problem) -> dict:
    """The problem as PuLP itself describes it (``toDict``): names -> rows, columns, terms."""
    d = problem.toDict()
    assert d["parameters"]["sense"] == -1  # maximise
    # PuLP puts a variable "__dummy", fixed at 0, in rows without terms: not a column
    dummy = "__dummy"
    cols = {v["name"]: v for v in d["variables"] if v["name"] != dummy}
    rows = {}
    for c in d["constraints"]:
        rhs = -c["constant"]
        lo, up = {-1: (-math.inf, rhs), 1: (rhs, math.inf), 0: (rhs, rhs)}[c["sense"]]
        rows[c["name"]] = (lo, up, {t["name"]: t["value"] for t in c["coefficients"]
                                    if t["name"] != dummy})
    objective = {t["name"]: t["value"] for t in d["objective"]["coefficients"]
                 if t["name"] != dummy}
    return {"cols": cols, "rows": rows, "objective": objective}


def assert_same_as_pulp(model: SelectionModel) -> None:
    """``model.matrix_`` holds exactly the rows, columns and numbers of ``model.problem_``."""
    mm = model.matrix_
    ref = pulp_arrays(model.problem_)
    col = {n: j for j, n in enumerate(mm.col_names)}
    assert len(col) == mm.n_cols  # unique names
    # columns: every PuLP variable is a column with its bounds and kind; the others are unused
    for name, v in ref["cols"].items():
        j = col[name]
        assert mm.col_lower[j] == (-math.inf if v["lowBound"] is None else v["lowBound"])
        assert mm.col_upper[j] == (math.inf if v["upBound"] is None else v["upBound"])
        assert bool(mm.integer[j]) == (v["cat"] == "Integer")
    unused = np.array([n not in ref["cols"] for n in mm.col_names], dtype=bool)
    assert not mm.A.tocsc()[:, unused].nnz and not mm.objective[unused].any()
    # objective
    obj = np.zeros(mm.n_cols)
    for name, a in ref["objective"].items():
        obj[col[name]] += a
    np.testing.assert_array_equal(mm.objective, obj)
    assert mm.offset == 0.0
    # rows, in the order of constraints_, with their bounds and every term
    assert mm.row_names.tolist() == model.constraints_["name"].tolist()
    assert mm.row_groups.tolist() == model.constraints_["group"].tolist()
    assert sorted(mm.row_names) == sorted(ref["rows"])
    r, c, v = [], [], []
    for i, name in enumerate(mm.row_names):
        lo, up, terms = ref["rows"][name]
        assert (mm.row_lower[i], mm.row_upper[i]) == (lo, up), name
        for var, a in terms.items():
            r.append(i)
            c.append(col[var])
            v.append(a)
    expected = sp.csr_matrix((v, (r, c)), shape=mm.A.shape)
    assert (abs(mm.A - expected) > 0).nnz == 0
    assert mm.A.nnz == len(v) and mm.A.has_sorted_indices
    # the options and the selection columns, by PuLP name
    assert mm.col_names[:mm.n_options].tolist() == model.options_["variable"].tolist()
    ids = model.portfolio.projects.index
    assert ids[mm.option_project].tolist() == model.options_["project_id"].tolist()
    assert mm.option_start.tolist() == model.options_["start"].tolist()
    assert mm.col_names[mm.selection_columns].tolist() == [
        v.name for v in model.selected_variables_]


def test_matrix_is_the_pulp_problem_on_the_sample():
    model = SelectionModel(load_sample())
    model.build()
    assert_same_as_pulp(model)
    assert model.matrix_.n_options == len(model.options_)


def test_matrix_follows_without_exclude_min_value_and_objective():
    pf = load_sample()
    ids = pf.projects.index
    model = SelectionModel(pf, exclude=[ids[:5], ids[3:9]], min_value=1.0,
                           max_average_risk=3.0, force_out=ids[10:12])
    model.build()
    label = model.constraints_.loc[model.constraints_["group"] == "one_start", "label"].iloc[3]
    model.build(without=["capacity", "budget", label])
    assert_same_as_pulp(model)
    assert not {"capacity", "budget"} & set(model.matrix_.row_groups)
    assert label not in set(model.constraints_["label"])
    replaced = SelectionModel(pf, objective=pd.Series(np.arange(len(ids), dtype=float),
                                                      index=ids))
    replaced.build()
    assert_same_as_pulp(replaced)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=portfolio_cases())
def test_matrix_is_the_pulp_problem_on_random_portfolios(case):
    model = SelectionModel(case.portfolio(), **{k: v for k, v in case.options.items()
                                                if k in MODEL_OPTIONS})
    model.build()
    assert_same_as_pulp(model)
    again = pickle.loads(pickle.dumps(model.matrix_))
    assert (again.A != model.matrix_.A).nnz == 0
    assert again.col_names.tolist() == model.matrix_.col_names.tolist()


# ----------------------------------------------------------------------------- MPS file
def _every_bound_kind() -> MatrixModel:
    """A small model with <=, >=, ==, ranged and free rows and every kind of column bound.

    The last column is only in the free row, which the MPS file leaves out: it must exist.
    """
    A = sp.csr_matrix(np.array([[1.0, 2, 0, 0, 0, 0, 1, 0],
                                [0, 1, -3.5, 0, 0, 1, 0, 0],
                                [1, 0, 0, 0.5, 0, 0, 0, 0],
                                [0, 0, 1, 0, 1, 0, 0, 0],
                                [1, 1, 1, 1, 1, 1, 1, 1]]))
    inf = math.inf
    return MatrixModel(
        A=A, row_lower=np.array([-inf, 1.0, 2.0, -1.5, -inf]),
        row_upper=np.array([4.0, inf, 2.0, 3.25, inf]),
        col_lower=np.array([0.0, -2, -inf, -inf, 1.5, 0, 0, 0]),
        col_upper=np.array([1.0, 3, 4, inf, 1.5, inf, inf, 2]),
        integer=np.array([True, True, False, False, False, True, False, True]),
        objective=np.array([1.0, 0, -2.5, 0.1, 0, -3, 0, 0]),
        col_names=np.array([f"x{j}" for j in range(8)], dtype=object),
        row_names=np.array([f"r{i}" for i in range(5)], dtype=object),
        row_groups=np.array(["g"] * 5, dtype=object), n_options=2,
        option_project=np.array([0, 1]), option_start=np.array([0, 0]),
        selection_columns=np.array([0, 1]))


def test_mps_file_is_read_back_by_highs_as_the_same_model(tmp_path):
    highspy = pytest.importorskip("highspy")
    mm = _every_bound_kind()
    write_mps(mm, tmp_path / "m.mps")
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(tmp_path / "m.mps")) == highspy.HighsStatus.kOk
    lp = h.getLp()
    inf = highspy.kHighsInf
    keep = [0, 1, 2, 3]  # the free row is left out
    np.testing.assert_array_equal(lp.row_lower_, np.where(
        np.isfinite(mm.row_lower), mm.row_lower, -inf)[keep])
    np.testing.assert_array_equal(lp.row_upper_, np.where(
        np.isfinite(mm.row_upper), mm.row_upper, inf)[keep])
    np.testing.assert_array_equal(lp.col_lower_, np.where(
        np.isfinite(mm.col_lower), mm.col_lower, -inf))
    np.testing.assert_array_equal(lp.col_upper_, np.where(
        np.isfinite(mm.col_upper), mm.col_upper, inf))
    np.testing.assert_array_equal(lp.col_cost_, mm.objective)  # as written; CBC gets -max
    assert [int(k) for k in lp.integrality_] == mm.integer.astype(int).tolist()
    a = lp.a_matrix_
    got = sp.csc_matrix((a.value_, a.index_, a.start_), shape=(lp.num_row_, lp.num_col_))
    assert (abs(got - mm.A[keep]) > 0).nnz == 0


def test_cbc_solves_the_every_bound_model_like_highs():
    mm = _every_bound_kind()
    results = {s: solve_matrix(mm, s) for s in SOLVERS}
    for report, x in results.values():
        assert report.status is Status.OPTIMAL
        assert mm.violation(x) <= 1e-6
    objectives = [r.objective for r, _ in results.values()]
    assert objectives == pytest.approx([objectives[0]] * len(objectives), abs=1e-7)


# ------------------------------------------------------------------ same optimum as PuLP
def _chosen(model: SelectionModel, x: np.ndarray) -> tuple[list, pd.Series]:
    """Selected ids and their start labels from the option columns of ``x``."""
    mm = model.matrix_
    opts = mm.chosen_options(x)
    pf = model.portfolio
    ids = pf.projects.index[mm.option_project[opts]]
    return list(ids), pd.Series(pf.periods[mm.option_start[opts]], index=ids, dtype=object)


@pytest.mark.parametrize("solver", SOLVERS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=portfolio_cases(max_projects=5))
def test_solve_matrix_finds_the_optimum_of_run_solver(solver, case):
    pf = case.portfolio()
    model = SelectionModel(pf, **{k: v for k, v in case.options.items() if k in MODEL_OPTIONS})
    try:
        model.check_feasibility()
    except InfeasibleError:
        pass  # the solvers still have to agree that nothing fits
    reference = run_solver(model.build(), solver)
    report, x = solve_matrix(model.matrix_, solver)
    assert report.status is reference.status
    if reference.status is Status.OPTIMAL:
        assert report.objective == pytest.approx(reference.objective, rel=1e-9, abs=1e-7)
        assert report.gap == 0.0 and report.bound == report.objective
        assert model.matrix_.violation(x) <= 1e-6
        selected, start = _chosen(model, x)
        assert checker.violations(pf, selected, start, **case.check_options) == []
        best = case.optimum(pf)
        assert report.objective == pytest.approx(best.objective, rel=1e-9, abs=1e-7)
    else:
        assert x is None


@pytest.mark.parametrize("solver", SOLVERS)
def test_solve_matrix_reaches_the_published_mknap1_optima(solver):
    for inst in checker.read_orlib(DATA / "mknap1.txt"):
        model = SelectionModel(Portfolio(**checker.knapsack_tables([inst])), "value")
        reference = run_solver(model.build(), solver)
        report, x = solve_matrix(model.matrix_, solver)
        assert report.status is Status.OPTIMAL
        assert report.objective == pytest.approx(inst.optimum, rel=1e-9)
        assert report.objective == pytest.approx(reference.objective, rel=1e-9)
        selected, _ = _chosen(model, x)
        assert checker.violations(model.portfolio, selected) == []


@pytest.mark.parametrize("solver", SOLVERS)
def test_an_infeasible_model_is_infeasible(solver):
    pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [4.0, 3.0],
                                 "value": [1.0, 1.0], "mandatory": [True, True]}), budget=5)
    model = SelectionModel(pf)
    model.build()
    report, x = solve_matrix(model.matrix_, solver)
    assert report.status is Status.INFEASIBLE and x is None
    assert math.isnan(report.objective) and math.isnan(report.gap)


# ------------------------------------------------------------- warm start, callback, input
@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_and_a_callback_that_stops_the_solver(solver):
    model = SelectionModel(synthetic(400, 6, 8, seed=1), "value")
    model.build()
    mm = model.matrix_
    # a feasible start: nothing selected but the mandatory projects at their first start
    start = np.zeros(mm.n_cols)
    must = np.flatnonzero(model.portfolio.projects["mandatory"].to_numpy())
    firsts = np.searchsorted(mm.option_project, must)
    start[firsts] = 1.0
    start[mm.selection_columns[must]] = 1.0
    assert mm.violation(start) == 0.0
    events: list[Progress] = []

    def stop_at_first(p: Progress) -> bool:
        events.append(p)
        return math.isfinite(p.incumbent)

    # CBC honours the interrupt once its search runs (not during its root phase): the limit
    # keeps a missed interrupt short
    report, x = solve_matrix(mm, solver, warm_start=start, callback=stop_at_first,
                             time_limit=10)
    assert events and all(isinstance(e, Progress) for e in events)
    assert report.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert report.objective >= mm.objective_value(start) - 1e-9
    assert mm.violation(x) <= 1e-6
    assert report.objective == pytest.approx(mm.objective_value(x))
    if report.status is Status.FEASIBLE:  # stopped early: a bound if one was proven
        assert report.bound >= report.objective
        assert report.gap > 0 or (report.bound == math.inf and math.isnan(report.gap))
    # events in time order, incumbents never worse
    assert [e.elapsed for e in events] == sorted(e.elapsed for e in events)
    found = [e.incumbent for e in events if math.isfinite(e.incumbent)]
    assert found == sorted(found) and found[0] >= mm.objective_value(start) - 1e-9


def test_solve_matrix_input_errors():
    model = SelectionModel(load_sample())
    model.build()
    with pytest.raises(InputError, match=r"warm_start has shape \(3,\); give one value per "
                                         r"column of the model, shape \(222,\)"):
        solve_matrix(model.matrix_, "cbc", warm_start=np.zeros(3))
    with pytest.raises(InputError, match="time_limit must be a number of seconds > 0"):
        solve_matrix(model.matrix_, "cbc", time_limit=-1)
    with pytest.raises(InputError, match="unknown solver 'glpk'"):
        solve_matrix(model.matrix_, "glpk")


def test_cbc_status_rules():
    """The solution file's first line and the log decide, as in solvers._run_cbc."""
    log_time = "Result - Stopped on time limit\n\nObjective value:                10.0\n" \
               "Upper bound:                    12.5\n"
    assert cbc_outcome("Stopped on time - objective value 10.0", log_time, 10.0, 0.0) == (
        Status.FEASIBLE, 10.0, 12.5, pytest.approx(0.2))
    for head in ("Infeasible - objective value 0", "Integer infeasible - objective value 0"):
        assert cbc_outcome(head, "", math.nan, 0.0)[0] is Status.INFEASIBLE
    nothing = cbc_outcome("Stopped on time (no integer solution - continuous used)",
                          "Result - Stopped on time limit\n", 0.0, 0.0)
    assert nothing[0] is Status.NOT_SOLVED and math.isnan(nothing[1])
    done = "Result - Optimal solution found\n"
    assert cbc_outcome("Optimal - objective value 7", done, 7.0, 0.0) == (
        Status.OPTIMAL, 7.0, 7.0, 0.0)
    # stopped at a relative gap of 5%: feasible, bound at most objective / 0.95
    status, _, bound, g = cbc_outcome("Optimal - objective value 95",
                                      done + "Upper bound: 101\n", 95.0, 0.05)
    assert (status, bound, g) == (Status.FEASIBLE, pytest.approx(100.0), pytest.approx(0.05))


def test_read_cbc_solution(tmp_path):
    path = tmp_path / "s.sol"
    path.write_text("Stopped on time - objective value 3.5\n"
                    "      0 C0  1  0\n** 3 C3 0.5 0\n      4 R1 7 0\n")
    head, x = read_cbc_solution(path, 5)
    assert head == "Stopped on time - objective value 3.5"
    assert x.tolist() == [1.0, 0.0, 0.0, 0.5, 0.0]


def test_column_project_by_the_column_names():
    """Each option and X_j column maps to its project; every other column to -1 (by name)."""
    pf = synthetic(40, 3, 4, seed=5)
    model = SelectionModel(pf, "value")
    model.build()
    mm = model.matrix_
    got = mm.column_project()
    ids = pf.projects.index.to_numpy()
    options = model.options_.reset_index(drop=True)
    expected = np.full(mm.n_cols, -1)
    expected[:mm.n_options] = [pf.projects.index.get_loc(p) for p in options["project_id"]]
    for j, col in enumerate(mm.selection_columns):
        expected[col] = j
    np.testing.assert_array_equal(got, expected)
    # X_j columns are named after their project
    separate = mm.selection_columns[mm.selection_columns >= mm.n_options]
    assert len(separate) and all(ids[got[c]] in mm.col_names[c] for c in separate)
