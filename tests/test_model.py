"""Tests of portfolio_opt.model: the SelectionModel integer program.

The model's rows are compared, coefficient by coefficient, with the resource rows that
``tests/checker.py`` recomputes from the portfolio's public tables; constraint names must map
back to the data they come from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pulp
import pytest
from hypothesis import HealthCheck, given, settings

import checker
from conftest import portfolio_cases
from portfolio_opt import (
    InfeasibleError,
    InputError,
    Portfolio,
    SelectionModel,
    Status,
    select,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Q = ["2027-Q1", "2027-Q2", "2027-Q3"]
PULP_ILLEGAL = set("-+[] ->/")


def two_competences(**kw) -> Portfolio:
    """Competence names PuLP must rename ("dev-ops" and "dev ops" clash once renamed)."""
    projects = pd.DataFrame({"project_id": ["A", "B-1", "B 1"], "cost": [4.0, 3.0, 3.0],
                             "duration": [1, 2, 1], "mandatory": [True, False, False],
                             "value": [5.0, 3.0, 3.0]})
    demand = pd.DataFrame({"project_id": ["A", "B-1", "B 1"],
                           "competence": ["dev-ops", "dev ops", "dev-ops"],
                           "amount": [3.0, 2.0, 1.0]})
    cap = pd.DataFrame({"competence": ["dev-ops"] * 3 + ["dev ops"] * 3, "period": Q * 2,
                        "amount": [5.0, 5.0, 5.0, 1.0, 2.0, 3.0]})
    rel = pd.DataFrame({"kind": ["requires", "excludes", "together"],
                        "project_id": ["A", "B-1", "B 1"], "other_id": ["B 1", "B 1", "A"]})
    budget = pd.DataFrame({"period": ["total", *Q], "amount": [9.0, 8.0, 5.0, 5.0]})
    return Portfolio(projects, demand, cap, budget=budget, relations=rel, **kw)


def coefficients(model: SelectionModel, name: str) -> pd.Series:
    """Coefficients of a constraint by project id (read by variable name, never by order)."""
    by_name = dict(zip(model.options_["variable"], model.options_["project_id"]))
    constraint = model.problem_.get_constraint_by_name(name)
    coef = pd.Series({by_name[v.name]: a for v, a in constraint.items()}, dtype=float)
    return coef.reindex(model.portfolio.projects.index, fill_value=0.0)


def test_one_capacity_constraint_per_competence_and_period():
    pf = two_competences()
    model = SelectionModel(pf)
    problem = model.build()
    table = model.constraints_
    cap = table[table["group"] == "capacity"]
    assert len(cap) == 2 * 3  # even dev-ops in 2027-Q2/Q3, which nobody needs
    pairs = list(zip(cap["competence"], cap["period"]))
    assert pairs == list(zip(pf.capacity["competence"], pf.capacity["period"]))
    assert cap["label"].tolist() == [f"capacity[{c},{p}]" for c, p in pairs]
    assert cap["name"].is_unique and table["name"].is_unique
    assert set(table["name"]) == {c.name for c in problem.constraints()}
    for name in table["name"]:
        assert not PULP_ILLEGAL & set(name), name
    expected = pf.capacity.set_index(["competence", "period"])["amount"]
    np.testing.assert_array_equal(cap["rhs"].to_numpy(float), expected[pairs].to_numpy())


def test_constraint_names_map_back_to_their_data():
    pf = two_competences()
    model = SelectionModel(pf)
    model.build()
    table = model.constraints_.set_index("label")
    row = table.loc["capacity[dev ops,2027-Q2]"]
    assert (row["competence"], row["period"], row["rhs"]) == ("dev ops", "2027-Q2", 2.0)
    assert "dev_ops" in row["name"] and "2027_Q2" in row["name"]
    other = table.loc["capacity[dev-ops,2027-Q2]"]
    assert other["name"] != row["name"] and other["competence"] == "dev-ops"
    assert coefficients(model, row["name"]).to_dict() == {"A": 0.0, "B-1": 2.0, "B 1": 0.0}
    assert coefficients(model, other["name"]).to_dict() == {"A": 0.0, "B-1": 0.0, "B 1": 0.0}
    q1 = table.loc["capacity[dev-ops,2027-Q1]"]
    assert coefficients(model, q1["name"]).to_dict() == {"A": 3.0, "B-1": 0.0, "B 1": 1.0}
    assert table.loc["budget", "rhs"] == 9.0
    assert table.loc["budget[2027-Q2]", "period"] == "2027-Q2"
    assert coefficients(model, table.loc["budget[2027-Q2]", "name"]).to_dict() == {
        "A": 0.0, "B-1": 1.5, "B 1": 0.0}
    rel = table.loc["excludes[B-1,B 1]"]
    assert (rel["kind"], rel["project_id"], rel["other_id"]) == ("excludes", "B-1", "B 1")
    assert model.options_["variable"].is_unique
    assert model.options_["project_id"].tolist() == ["A", "B-1", "B 1"]


def test_renamed_names_still_solve_and_read_back_by_id(solvers):
    """The solution is read by id even when PuLP's sorting by name differs from the table."""
    pf = two_competences()
    sel = select(pf, solver=solvers)
    best = checker.brute_force(pf)
    assert sel.status is Status.OPTIMAL
    assert sel.selected_ids in best and sel.objective == best.objective
    assert checker.violations(pf, sel.selected_ids, sel.start) == []


@SETTINGS
@given(case=portfolio_cases())
def test_model_rows_equal_the_recomputed_resource_rows(case):
    pf = case.portfolio()
    opts = case.options
    model = SelectionModel(pf, opts.get("value"), budget=opts.get("budget"),
                           force_in=opts.get("force_in"), force_out=opts.get("force_out"))
    problem = model.build()
    table = model.constraints_
    assert problem.sense == pulp.LpMaximize
    assert len(problem.constraints()) == len(table)
    assert {c.name for c in problem.constraints()} == set(table["name"])

    rows = checker.resource_rows(pf, budget=opts.get("budget"))
    label_of = {"total budget": "budget"}
    label_of.update({f"budget in {p}": f"budget[{p}]" for p in pf.periods})
    label_of.update({f"{c} in {p}": f"capacity[{c},{p}]"
                     for c, p in zip(pf.capacity["competence"], pf.capacity["period"])})
    by_label = table.set_index("label")
    resource = table[table["group"].isin(["budget", "period_budget", "capacity"])]
    assert len(resource) == len(rows.labels)
    for k, label in enumerate(rows.labels):
        row = by_label.loc[label_of[label]]
        constraint = problem.get_constraint_by_name(row["name"])
        assert constraint.sense == pulp.LpConstraintLE
        assert -constraint.constant == pytest.approx(rows.rhs[k]) == row["rhs"]
        np.testing.assert_allclose(coefficients(model, row["name"]).to_numpy(),
                                   rows.matrix[k], rtol=1e-12, atol=1e-12, err_msg=label)

    sense = {"requires": (pulp.LpConstraintLE, -1.0, 0.0),
             "excludes": (pulp.LpConstraintLE, 1.0, 1.0),
             "together": (pulp.LpConstraintEQ, -1.0, 0.0)}
    relations = table[table["group"].isin(list(sense))]
    assert len(relations) == len(pf.relations)
    for kind, a, b in pf.relations.itertuples(index=False):
        row = by_label.loc[f"{kind}[{a},{b}]"]
        constraint = problem.get_constraint_by_name(row["name"])
        want_sense, other, rhs = sense[kind]
        assert constraint.sense == want_sense and -constraint.constant == rhs
        coef = coefficients(model, row["name"])
        assert coef[a] == 1.0 and coef[b] == other
        assert (coef.drop([a, b]) == 0).all()

    # variables: one per project, bounds from mandatory / forced, objective = value
    ids = pf.projects.index
    variables = dict(zip(model.options_["project_id"], model.variables_))
    assert list(variables) == list(ids)
    must_in = set(ids[pf.projects["mandatory"].to_numpy()]) | set(opts.get("force_in") or [])
    must_out = set(opts.get("force_out") or [])
    for pid, var in variables.items():
        assert var.cat == pulp.LpInteger
        assert var.lowBound == (1 if pid in must_in else 0)
        assert var.upBound == (0 if pid in must_out else 1)
    objective = {v.name: a for v, a in problem.objective.items()}
    value = opts.get("value")
    want = (pf.projects["value"] if value is None else pf.projects[value]
            if isinstance(value, str) else value.reindex(ids))
    for pid, var in variables.items():
        assert objective.get(var.name, 0.0) == float(want[pid])
    starts = pf.period_position(pf.projects["earliest_start"])
    assert model.options_["start"].tolist() == starts.tolist()


def test_build_again_after_a_change():
    """Parameters are stored as given; build() reads them again."""
    pf = two_competences()
    model = SelectionModel(pf, budget=8.0)
    first = model.build()
    assert model.constraints_.set_index("label").loc["budget", "rhs"] == 8.0
    model.budget = 6.0
    model.force_out = ["B-1"]
    model.value = pd.Series({"A": 1.0, "B-1": 1.0, "B 1": 7.0})
    second = model.build()
    assert second is not first
    table = model.constraints_.set_index("label")
    assert table.loc["budget", "rhs"] == 6.0
    assert -second.get_constraint_by_name(table.loc["budget", "name"]).constant == 6.0
    var = dict(zip(model.options_["project_id"], model.variables_))
    assert var["B-1"].upBound == 0
    assert {v.name: a for v, a in second.objective.items()}[var["B 1"].name] == 7.0
    assert model.value_.to_dict() == {"A": 1.0, "B-1": 1.0, "B 1": 7.0}


def test_model_can_be_solved_again_after_a_change(solvers):
    """The class docstring promises: "the model is built by build() and solved by solve(),
    which may be called again after a change" (STYLE.md rule 5: a frontier is many solves of
    one model)."""
    pf = two_competences()
    model = SelectionModel(pf)
    first = model.solve(solver=solvers)
    assert first.objective == checker.brute_force(pf).objective
    model.value = pd.Series({"A": 1.0, "B-1": 0.0, "B 1": 10.0})
    second = model.solve(solver=solvers)
    assert second.objective == checker.brute_force(pf, model.value).objective == 11.0


def test_no_budget_no_capacity_no_relations_means_no_constraints():
    pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [1.0, 2.0],
                                 "value": [1.0, -1.0]}))
    model = SelectionModel(pf)
    problem = model.build()
    assert len(problem.constraints()) == 0 and model.constraints_.empty
    sel = select(pf)
    assert sel.selected.to_dict() == {"A": True, "B": False}


# ------------------------------------------------------------------------ error messages


def test_model_value_errors():
    pf = two_competences()
    with pytest.raises(InputError, match=r"select: value column 'npv' is not in the projects "
                       r"table; numeric columns: 'cost', 'value'\."):
        SelectionModel(pf, "npv").build()
    with pytest.raises(InputError, match=r"value Series: no value for B 1 \(1 project\)\."):
        SelectionModel(pf, pd.Series({"A": 1.0, "B-1": 2.0})).value_series()
    with pytest.raises(InputError, match=r"value Series: B-1 \(1 project\) have a missing or "
                       r"non-finite value \(nan\)"):
        SelectionModel(pf, pd.Series({"A": 1.0, "B-1": np.nan, "B 1": 0.0})).build()
    with pytest.raises(InputError, match=r"select: value must be a column name or a Series by "
                       r"project_id, got dict\."):
        SelectionModel(pf, {"A": 1.0}).value_series()


@pytest.mark.parametrize("bad", [-0.5, float("nan"), "9"])
def test_model_budget_error(bad):
    model = SelectionModel(two_competences(), budget=bad)
    with pytest.raises(InputError, match=r"^select: budget must be a finite number >= 0, got "):
        model.total_budget()
    with pytest.raises(InputError, match=r"select: budget must be a finite number >= 0"):
        model.build()


def test_model_unknown_forced_ids():
    with pytest.raises(InputError, match=r"select: force_in names Z \(1 project\), which are "
                       r"not in the projects table\. Fix the ids\."):
        SelectionModel(two_competences(), force_in=["Z"]).bounds()
    with pytest.raises(InputError, match=r"select: force_out names Z \(1 project\)"):
        SelectionModel(two_competences(), force_out="Z").build()


def test_model_check_feasibility_names_the_conflict():
    model = SelectionModel(two_competences(), budget=3.0)
    with pytest.raises(InfeasibleError, match=r"required projects A, B 1 \(2 projects\) cost 7; "
                       r"the total budget is 3\.") as err:
        model.check_feasibility()
    # A is mandatory and requires "B 1"; both need dev-ops in 2027-Q1 (3 + 1 <= 5): fine
    assert len(err.value.reasons) == 1
    SelectionModel(two_competences()).check_feasibility()  # feasible: no error
