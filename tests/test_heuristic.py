"""Tests of the primal heuristics (portfolio_opt.heuristic).

Every portfolio a heuristic returns is checked by the independent checker
(tests/checker.py) after turning the chosen options into selected ids and
start periods, and its value against the brute-force optimum and an
independent recomputation of the value; on a synthetic portfolio its gap to
the LP bound is measured.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pulp
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings

import checker
from conftest import SOLVERS, line, portfolio_cases
from portfolio_opt import Portfolio, SelectionModel
from portfolio_opt import heuristic as H
from portfolio_opt.datasets import load_sample, synthetic
from portfolio_opt.matrix import MatrixModel

HIGHS = "highs" in SOLVERS
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ------------------------------------------------------------------------ a MatrixModel


def to_matrix(model: SelectionModel) -> MatrixModel:
    """Read the arrays of a built model from its PuLP problem (names, rows, bounds)."""
    prob = model.problem_
    variables = list(model._all_variables)
    col = {v.name: i for i, v in enumerate(variables)}
    rows, cols, vals, lo, up = [], [], [], [], []
    names = model.constraints_["name"].tolist()
    for k, name in enumerate(names):
        c = prob.get_constraint_by_name(name)
        for v, a in c.items():
            rows.append(k)
            cols.append(col[v.name])
            vals.append(a)
        rhs = -c.constant
        lo.append(rhs if c.sense in (pulp.LpConstraintGE, pulp.LpConstraintEQ) else -np.inf)
        up.append(rhs if c.sense in (pulp.LpConstraintLE, pulp.LpConstraintEQ) else np.inf)
    obj = np.zeros(len(variables))
    for v, a in prob.objective.items():
        obj[col[v.name]] += a
    ids = model.portfolio.projects.index
    return MatrixModel(
        A=sp.csr_matrix((vals, (rows, cols)), shape=(len(names), len(variables))),
        row_lower=np.array(lo, float), row_upper=np.array(up, float),
        col_lower=np.array([-np.inf if v.lowBound is None else v.lowBound for v in variables]),
        col_upper=np.array([np.inf if v.upBound is None else v.upBound for v in variables]),
        integer=np.array([v.cat == pulp.LpInteger for v in variables]), objective=obj,
        col_names=np.array([v.name for v in variables], dtype=object),
        row_names=np.array(names, dtype=object),
        row_groups=model.constraints_["group"].to_numpy(dtype=object),
        n_options=len(model.options_),
        option_project=ids.get_indexer(model.options_["project_id"]),
        option_start=model.options_["start"].to_numpy(np.int64),
        selection_columns=np.array([col[v.name] for v in model.selected_variables_], np.int64),
        offset=float(prob.objective.constant or 0.0))


def matrices(model: SelectionModel) -> list:
    """The library's ``matrix_`` when the model has one, and the converter's."""
    model.build()
    out = [to_matrix(model)]
    if getattr(model, "matrix_", None) is not None:
        out.append(model.matrix_)
    return out


# ------------------------------------------------------------------------ helpers


def as_selection(pf: Portfolio, mm, x: np.ndarray) -> tuple[list[str], pd.Series]:
    """Selected ids and start labels of the options set to 1 in x."""
    project, start = H.chosen_options(mm, x)
    ids = pf.projects.index.to_numpy()[project]
    return list(ids), pd.Series(np.asarray(pf.periods)[start], index=ids, dtype=object)


def value_of(pf: Portfolio, value, selected: list[str]) -> float:
    """Independent value of a selection: project values plus synergy of pairs both in."""
    projects = pf.projects
    if value is None:
        value = "value"
    v = (projects[value] if isinstance(value, str)
         else pd.Series(value.to_numpy(), index=value.index.astype(str)))
    total = float(v[selected].sum())
    rel = pf.relations
    for kind, a, b, val in zip(rel["kind"], rel["project_id"], rel["other_id"], rel["value"]):
        if kind == "synergy" and a in selected and b in selected:
            total += float(val)
    return total


def check_answer(pf: Portfolio, case_options: dict, check_options: dict, mm, x) -> float:
    """Assert x is feasible for the checker; return its independent value."""
    assert H.max_violation(mm, x) <= H.TOL
    ids, start = as_selection(pf, mm, x)
    assert len(set(ids)) == len(ids)
    no_hiring = pd.DataFrame({"competence": [], "period": [], "hired": []})
    assert checker.violations(pf, ids, start, **check_options, hiring=no_hiring) == []
    value = value_of(pf, case_options.get("value"), ids)
    assert float(np.asarray(mm.objective) @ x) + mm.offset == pytest.approx(value, abs=1e-9)
    return value


# ------------------------------------------------------------------------ properties


@SETTINGS
@given(case=portfolio_cases())
def test_every_answer_is_feasible_and_not_above_the_optimum(case):
    pf = case.portfolio()
    opts = {k: v for k, v in case.options.items()}
    model = SelectionModel(pf, **opts)
    try:
        mats = matrices(model)
    except Exception:  # noqa: BLE001 - a case the model rejects has nothing to test here
        return
    best = case.optimum(pf)
    for mm in mats:
        before = copy.deepcopy(mm)
        answers = [H.greedy(mm)]
        if HIGHS:
            relax = H.lp_relaxation(mm)
            if relax.x is not None and relax.status == "Optimal":
                answers.append(H.lp_rounding(mm, relax.x))
                if best is not None:
                    assert relax.bound >= best.objective - 1e-6
        result = H.primal_heuristic(mm, lp=HIGHS)
        answers.append(None if result is None else result.x)
        for x in answers:
            if x is None:
                continue
            assert best is not None, "a portfolio for a model with none"
            value = check_answer(pf, case.options, case.check_options, mm, x)
            assert value <= best.objective + 1e-6
        if result is not None:
            assert result.objective == pytest.approx(
                max(o for o in (result.greedy_objective, result.rounding_objective)
                    if o == o), abs=1e-9)
            if np.isfinite(result.bound):
                assert result.gap >= 0
                assert result.bound >= result.objective - 1e-6
        # the caller's model is left as it was
        for field in ("row_lower", "row_upper", "col_lower", "col_upper", "objective"):
            np.testing.assert_array_equal(getattr(mm, field), getattr(before, field))
        assert (mm.A != before.A).nnz == 0


# ------------------------------------------------------------------------ examples


def test_forced_projects_and_what_they_require_are_in():
    """A mandatory project requiring a poor one: both in, whatever the density."""
    pf = line(["A", "B", "C"], cost=[5.0, 5.0, 1.0], value=[1.0, 0.0, 9.0],
              columns={"mandatory": [True, False, False]}, budget=11,
              relations=pd.DataFrame({"kind": ["requires"], "project_id": ["A"],
                                      "other_id": ["B"]}))
    for mm in matrices(SelectionModel(pf)):
        x = H.greedy(mm)
        assert x is not None
        ids, _ = as_selection(pf, mm, x)
        assert sorted(ids) == ["A", "B", "C"]


def test_group_minimum_and_value_floor_are_met_by_the_repair():
    pf = line(["A", "B", "C", "D"], cost=[4.0, 4.0, 4.0, 4.0], value=[9.0, 8.0, 7.0, 1.0],
              budget=8, groups=pd.DataFrame({"group": "g", "project_id": ["D"]}),
              group_limits=pd.DataFrame({"group": ["g"], "min": [1.0], "max": [np.nan]}))
    for mm in matrices(SelectionModel(pf)):
        x = H.greedy(mm)
        assert x is not None
        ids, start = as_selection(pf, mm, x)
        assert sorted(ids) == ["A", "D"]  # D is needed, A is the best partner
        assert checker.violations(pf, ids, start) == []
    for mm in matrices(SelectionModel(pf.replace(group_limits=None), min_value=16.0)):
        x = H.greedy(mm)
        assert x is not None and float(mm.objective @ x) >= 16.0


def test_says_nothing_rather_than_a_wrong_portfolio():
    """Only the together pair meets the group minimum: the greedy cannot add a pair."""
    pf = line(["A", "B"], cost=[1.0, 1.0], value=[1.0, 1.0], budget=5,
              relations=pd.DataFrame({"kind": ["together"], "project_id": ["A"],
                                      "other_id": ["B"]}),
              groups=pd.DataFrame({"group": "g", "project_id": ["A"]}),
              group_limits=pd.DataFrame({"group": ["g"], "min": [1.0], "max": [np.nan]}))
    for mm in matrices(SelectionModel(pf)):
        x = H.greedy(mm)
        assert x is None or checker.violations(pf, *as_selection(pf, mm, x)) == []
    # an infeasible model: always None
    pf = line(["A"], cost=[5.0], value=[1.0], budget=1, columns={"mandatory": [True]})
    for mm in matrices(SelectionModel(pf)):
        assert H.greedy(mm) is None
        assert H.primal_heuristic(mm, lp=HIGHS) is None


def test_synergy_indicator_is_the_product():
    pf = line(["A", "B", "C"], cost=[2.0, 2.0, 3.0], value=[1.0, 1.0, 2.5], budget=4,
              relations=pd.DataFrame({"kind": ["synergy"], "project_id": ["A"],
                                      "other_id": ["B"], "value": [3.0]}))
    for mm in matrices(SelectionModel(pf)):
        res = H.primal_heuristic(mm, lp=HIGHS)
        assert res is not None
        check_answer(pf, {}, {}, mm, res.x)
        if HIGHS:  # rounding the LP (A, B at 1) finds the optimum 5
            assert res.objective == pytest.approx(5.0)


def test_sample_portfolio_is_feasible_and_close():
    pf = load_sample()
    model = SelectionModel(pf, value="financial_return")
    for mm in matrices(model):
        res = H.primal_heuristic(mm, lp=HIGHS)
        assert res is not None
        check_answer(pf, {"value": "financial_return"}, {"schedule": True}, mm, res.x)
        if HIGHS:
            assert res.gap < 0.15  # 60 projects: the LP bound itself is loose (optimum 8% below)


@pytest.mark.skipif(not HIGHS, reason="needs highspy")
def test_synthetic_gap_to_the_lp_bound():
    """2 000 projects: greedy within 12 % of the LP bound, rounding within 5 %, both fast.

    (Measured: 9.7 % and 4.0 %; HiGHS's own incumbent after 30 s was 4.8 % from the LP
    bound on this instance. The gaps shrink with size: 0.5 % at 10 000 projects.)
    """
    pf = synthetic(2000, seed=3)
    model = SelectionModel(pf)
    model.build()
    mm = getattr(model, "matrix_", None) or to_matrix(model)
    res = H.primal_heuristic(mm)
    assert res is not None
    assert res.method == "lp_rounding"
    check_answer(pf, {}, {"schedule": True}, mm, res.x)
    assert (res.bound - res.greedy_objective) / res.bound < 0.12
    assert res.gap < 0.05
    assert res.rounding_objective >= res.greedy_objective
    assert res.greedy_seconds < 5 and res.rounding_seconds < 5  # generous: a shared machine


def test_max_violation_sees_rows_bounds_and_integrality():
    mm = MatrixModel(A=sp.csr_matrix([[1.0, 1.0], [1.0, -1.0]]), row_lower=np.array([1.0, -np.inf]),
                     row_upper=np.array([np.inf, 0.0]), col_lower=np.zeros(2),
                     col_upper=np.ones(2), integer=np.array([True, False]),
                     objective=np.ones(2), col_names=np.array(["a", "b"]),
                     row_names=np.array(["r0", "r1"]), row_groups=np.array(["g", "g"]),
                     n_options=2, option_project=np.array([0, 1]), option_start=np.zeros(2, int),
                     selection_columns=np.array([0, 1]))
    assert H.max_violation(mm, np.array([1.0, 1.0])) == 0.0
    assert H.max_violation(mm, np.array([0.0, 0.0])) == pytest.approx(1.0)  # row 0 below 1
    assert H.max_violation(mm, np.array([1.0, 0.0])) == pytest.approx(1.0)  # row 1 above 0
    assert H.max_violation(mm, np.array([0.5, 1.0])) == pytest.approx(0.5)  # integrality
    assert H.max_violation(mm, np.array([1.0, 2.0])) == pytest.approx(1.0)  # column bound
    assert H.max_violation(mm, np.array([np.nan, 1.0])) == np.inf


def test_lp_rounding_rejects_a_vector_of_the_wrong_length():
    pf = line(["A"], cost=[1.0], value=[1.0], budget=1)
    mm = matrices(SelectionModel(pf))[0]
    with pytest.raises(ValueError,
                       match=r"lp_rounding: lp_x has shape \(3,\), the model has \d+ columns"):
        H.lp_rounding(mm, np.zeros(3))
