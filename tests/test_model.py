"""Tests of portfolio_opt.model: the SelectionModel integer program.

The model's rows are compared, coefficient by coefficient, with the resource rows that
``tests/checker.py`` recomputes from the portfolio's public tables; every linearised rule
(one start, finish-to-start lags, synergy) is checked on every 0/1 assignment of a small
model against the rule it stands for; constraint names must map back to the data they come
from; the duals of the LP relaxation are checked against the change of an independently
solved LP (scipy) when a right-hand side moves.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pulp
import pytest
from hypothesis import HealthCheck, given, settings
from scipy.optimize import linprog

import checker
from conftest import SOLVERS, portfolio_cases
from portfolio_opt import (
    InfeasibleError,
    InputError,
    Portfolio,
    SelectionModel,
    Status,
    select,
)

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Q = ["2027-Q1", "2027-Q2", "2027-Q3"]
Q4 = [*Q, "2027-Q4"]
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


def rich() -> Portfolio:
    """Every rule at once: windows, lag, synergy, groups, buckets, hiring, substitution."""
    projects = pd.DataFrame({
        "project_id": ["A", "B", "C", "D"], "cost": [4.0, 2.0, 3.0, 1.0],
        "duration": [2, 1, 1, 1], "value": [5.0, 3.0, 2.0, 1.0],
        "earliest_start": ["2027-Q1", "2027-Q1", "2027-Q2", "2027-Q1"],
        "latest_start": ["2027-Q2", "2027-Q4", "2027-Q2", "2027-Q3"],
        "category": ["run", "grow", "grow", "run"], "risk": [3.0, 1.0, 2.0, 5.0],
        "mandatory": [False, False, False, True]})
    demand = pd.DataFrame({"project_id": ["A", "A", "B", "C"], "competence": ["dev", "dev",
                                                                              "test", "dev"],
                           "offset": [0, 1, 0, 0], "amount": [2.0, 1.0, 1.0, 2.0]})
    cap = pd.DataFrame({"competence": ["dev"] * 4 + ["test"] * 4, "period": Q4 * 2,
                        "amount": [2.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0],
                        "flex_amount": [1.0, 0, 0, 0, 0, 0, 0, 0],
                        "flex_cost": [3.0, 0, 0, 0, 0, 0, 0, 0]})
    rel = pd.DataFrame({"kind": ["requires", "synergy", "excludes"],
                        "project_id": ["B", "A", "C"], "other_id": ["A", "C", "D"],
                        "lag": [0, None, None], "value": [None, -1.5, None]})
    return Portfolio(
        projects, demand, cap, periods=Q4, relations=rel,
        budget=pd.DataFrame({"period": ["total", *Q4], "amount": [9.0, 5, 5, 5, 5]}),
        groups=pd.DataFrame({"group": ["core", "core", "core"], "project_id": ["A", "B", "C"]}),
        group_limits=pd.DataFrame({"group": ["core"], "min": [1], "max": [2]}),
        buckets=pd.DataFrame({"column": ["category"], "value": ["grow"], "min": [0.2],
                              "max": [0.9]}),
        substitution=pd.DataFrame({"competence": ["test"], "covers": ["dev"],
                                   "efficiency": [0.5], "max_amount": [1.0]}))


def coefficients(model: SelectionModel, name: str) -> pd.Series:
    """Coefficients of a constraint by project id (read by variable name, never by order);
    for models with one start per project."""
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
    model = SelectionModel(pf, schedule=False)
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
    mand = table.loc["mandatory[A]"]
    assert (mand["group"], mand["sense"], mand["rhs"], mand["project_id"]) == (
        "mandatory", "==", 1.0, "A")
    assert coefficients(model, mand["name"]).to_dict() == {"A": 1.0, "B-1": 0.0, "B 1": 0.0}
    assert model.options_["variable"].is_unique
    assert model.options_["project_id"].tolist() == ["A", "B-1", "B 1"]


def test_constraint_table_of_every_family():
    pf = rich()
    model = SelectionModel(pf, force_in=["B"], force_out=["C"], max_average_risk=3.5)
    model.build()
    table = model.constraints_
    assert list(table.columns[:5]) == ["name", "label", "group", "sense", "rhs"]
    for key in ("competence", "period", "project_id", "other_id", "bucket", "group_name",
                "covers", "lag", "share", "limit"):
        assert key in table.columns
    counts = table["group"].value_counts().to_dict()
    # A: Q1..Q2 (2 starts), B: Q1..Q4 (4), C: Q2 (1), D: Q1..Q3 (3)
    assert counts == {"capacity": 8, "precedence": 4, "synergy": 3, "one_start": 3,
                      "period_budget": 4, "substitution": 4, "budget": 1, "mandatory": 1,
                      "force_in": 1, "force_out": 1, "requires": 1, "excludes": 1,
                      "group_min": 1, "group_max": 1, "bucket_min": 1, "bucket_max": 1,
                      "risk": 1}
    by = table.set_index("label")
    assert by.loc["one_start[B]", ["sense", "rhs", "project_id"]].tolist() == ["==", 0.0, "B"]
    assert by.loc["precedence[B,A,2027-Q3]", ["project_id", "other_id", "period", "lag"]
                  ].tolist() == ["B", "A", "2027-Q3", 0.0]
    assert by.loc["group_max[core]", ["group_name", "rhs", "sense"]].tolist() == [
        "core", 2.0, "<="]
    assert by.loc["group_min[core]", ["rhs", "sense"]].tolist() == [1.0, ">="]
    assert by.loc["bucket_min[category=grow,cost]", ["bucket", "column", "value", "measure",
                                                     "share", "sense"]].tolist() == [
        "category=grow", "category", "grow", "cost", 0.2, ">="]
    assert by.loc["risk", ["limit", "rhs", "sense"]].tolist() == [3.5, 0.0, "<="]
    assert by.loc["substitution[test>dev,2027-Q2]", ["competence", "covers", "period",
                                                     "rhs"]].tolist() == [
        "test", "dev", "2027-Q2", 1.0]
    assert by.loc["synergy[A,C,both]", ["part", "rhs"]].tolist() == ["both", 1.0]
    assert by.loc["force_out[C]", ["sense", "rhs"]].tolist() == ["<=", 0.0]
    assert by.loc["force_in[B]", ["sense", "rhs"]].tolist() == ["==", 1.0]
    # the keys that do not apply are None
    assert by.loc["budget", ["competence", "period", "project_id"]].isna().all()
    # continuous columns: hiring where flex_amount > 0, a cover flow per period, synergy
    cols = model.columns_
    assert cols["kind"].tolist() == ["hire"] + ["cover"] * 4 + ["synergy"]
    assert cols["variable"].is_unique


def test_options_follow_the_windows():
    pf = rich()
    model = SelectionModel(pf)
    model.build()
    starts = model.options_.groupby("project_id", sort=False)["start"].apply(list).to_dict()
    assert starts == {"A": [0, 1], "B": [0, 1, 2, 3], "C": [1], "D": [0, 1, 2]}
    fixed = SelectionModel(pf, schedule=False)
    fixed.build()
    assert fixed.options_[["project_id", "start"]].values.tolist() == [
        ["A", 0], ["B", 0], ["C", 1], ["D", 0]]
    assert "one_start" not in set(fixed.constraints_["group"])


def _rows_hold(model: SelectionModel, values: dict) -> bool:
    """Whether every constraint of the built model holds for the given column values."""
    for c in model.problem_.constraints():
        lhs = sum(a * values[v.name] for v, a in c.items()) + c.constant
        if c.sense == pulp.LpConstraintLE and lhs > 1e-9:
            return False
        if c.sense == pulp.LpConstraintGE and lhs < -1e-9:
            return False
        if c.sense == pulp.LpConstraintEQ and abs(lhs) > 1e-9:
            return False
    return True


def _plans(model: SelectionModel):
    """Every plan (each project out or at one of its starts) as column values."""
    opts = model.options_
    ids = list(model.portfolio.projects.index)
    choices = [[None, *opts.index[opts["project_id"] == p]] for p in ids]
    for pick in itertools.product(*choices):
        values = {v: 0.0 for v in opts["variable"]}
        for k in pick:
            if k is not None:
                values[opts.at[k, "variable"]] = 1.0
        x = {p: k is not None for p, k in zip(ids, pick)}
        for p, var in model.selected_variables_.items():
            values[var.name] = float(x[p])
        yield pick, x, values


def test_lag_rows_hold_exactly_when_the_rule_does():
    """On every plan of two projects: the requires and precedence rows hold iff B in => A in
    and B starts at least lag periods after A finishes."""
    projects = pd.DataFrame({"project_id": ["A", "B"], "cost": 0.0, "value": 1.0,
                             "duration": [2, 1], "earliest_start": ["2027-Q1", "2027-Q1"]})
    for lag in (0, 1, -1):
        rel = pd.DataFrame({"kind": ["requires"], "project_id": ["B"], "other_id": ["A"],
                            "lag": [lag]})
        model = SelectionModel(Portfolio(projects, relations=rel, periods=Q4))
        model.build()
        opts = model.options_
        for pick, x, values in _plans(model):
            start = {p: None if k is None else opts.at[k, "start"]
                     for p, k in zip(["A", "B"], pick)}
            rule = not x["B"] or (x["A"] and start["B"] >= start["A"] + 2 + lag)
            assert _rows_hold(model, values) == rule, (lag, start)


def test_synergy_rows_force_the_product():
    """y = X_A X_B on every plan: the rows hold with the product and fail with its opposite."""
    rel = pd.DataFrame({"kind": ["synergy"], "project_id": ["A"], "other_id": ["B"],
                        "value": [2.0]})
    pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": 0.0, "value": 1.0}),
                   relations=rel, periods=Q[:2])
    model = SelectionModel(pf)
    model.build()
    y = model.columns_.loc[model.columns_["kind"] == "synergy", "variable"].item()
    for _, x, values in _plans(model):
        product = float(x["A"] and x["B"])
        assert _rows_hold(model, {**values, y: product})
        assert not _rows_hold(model, {**values, y: 1.0 - product})


@SETTINGS
@given(case=portfolio_cases(features=frozenset({"windows", "lags", "synergy", "groups",
                                                "buckets", "risk", "flex"})))
def test_model_rows_equal_the_recomputed_resource_rows(case):
    """With the earliest starts, every resource row equals the checker's recomputation."""
    pf = case.portfolio()
    opts = {k: v for k, v in case.options.items() if k != "schedule"}
    model = SelectionModel(pf, opts.get("value"), budget=opts.get("budget"),
                           force_in=opts.get("force_in"), force_out=opts.get("force_out"),
                           schedule=False, max_average_risk=opts.get("max_average_risk"))
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
    hires = model.columns_[model.columns_["kind"] == "hire"]
    hire = dict(zip(hires["variable"], zip(hires["competence"], hires["period"])))
    price = pf.capacity.set_index(["competence", "period"])["flex_cost"]
    for k, label in enumerate(rows.labels):
        row = by_label.loc[label_of[label]]
        constraint = problem.get_constraint_by_name(row["name"])
        assert constraint.sense == pulp.LpConstraintLE
        assert -constraint.constant == pytest.approx(rows.rhs[k]) == row["rhs"]
        got = {v.name: a for v, a in constraint.items()}
        on_projects = coefficients(model, row["name"]) if not hire else pd.Series(
            {p: got.get(v, 0.0) for p, v in zip(model.options_["project_id"],
                                                model.options_["variable"])})
        np.testing.assert_allclose(on_projects.to_numpy(), rows.matrix[k], rtol=1e-12,
                                   atol=1e-12, err_msg=label)
        for var, (comp, period) in hire.items():  # hiring: -1 on capacity, cost on budgets
            if row["group"] == "capacity":
                want = -1.0 if (comp, period) == (row["competence"], row["period"]) else 0.0
            elif row["group"] == "budget" or row["period"] == period:
                want = price[(comp, period)]
            else:
                want = 0.0
            assert got.get(var, 0.0) == want, (label, var)

    sense = {"requires": (pulp.LpConstraintLE, -1.0, 0.0),
             "excludes": (pulp.LpConstraintLE, 1.0, 1.0),
             "together": (pulp.LpConstraintEQ, -1.0, 0.0)}
    relations = table[table["group"].isin(list(sense))]
    plain = pf.relations[pf.relations["kind"] != "synergy"]
    assert len(relations) == len(plain)
    for kind, a, b in plain[["kind", "project_id", "other_id"]].itertuples(index=False):
        row = by_label.loc[f"{kind}[{a},{b}]"]
        constraint = problem.get_constraint_by_name(row["name"])
        want_sense, other, rhs = sense[kind]
        assert constraint.sense == want_sense and -constraint.constant == rhs
        coef = coefficients(model, row["name"])
        assert coef[a] == 1.0 and coef[b] == other
        assert (coef.drop([a, b]) == 0).all()

    # one option per project: its variable is X_j, integer 0..1, objective = value
    ids = pf.projects.index
    variables = dict(zip(model.options_["project_id"], model.variables_))
    assert list(variables) == list(ids)
    for pid, var in variables.items():
        assert var.cat == pulp.LpInteger and (var.lowBound, var.upBound) == (0, 1)
        assert model.selected_variables_[pid] is var
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
    assert table.loc["force_out[B-1]", "project_id"] == "B-1"
    x = model.selected_variables_
    assert {v.name: a for v, a in second.objective.items()}[x["B 1"].name] == 7.0
    assert model.value_.to_dict() == {"A": 1.0, "B-1": 1.0, "B 1": 7.0}


def test_model_can_be_solved_again_after_a_change(solvers):
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
    assert list(model.constraints_.columns[:5]) == ["name", "label", "group", "sense", "rhs"]
    sel = select(pf)
    assert sel.selected.to_dict() == {"A": True, "B": False}


# ------------------------------------------------------------------------------- without


def test_build_without_groups_and_labels():
    pf = rich()
    model = SelectionModel(pf)
    model.build()
    full = model.constraints_
    model.build(without=["capacity", "mandatory[D]", "budget[2027-Q2]"])
    part = model.constraints_
    dropped = set(full["label"]) - set(part["label"])
    assert dropped == ({"mandatory[D]", "budget[2027-Q2]"}
                       | set(full.loc[full["group"] == "capacity", "label"]))
    assert len(model.problem_.constraints()) == len(part)
    model.build(without="risk" if False else "synergy")
    assert "synergy" not in set(model.constraints_["group"])
    with pytest.raises(InputError, match=r"^build: without names 'capacity\[nope,2027-Q1\]', "
                       r"'mandatroy', which match no constraint label or group of this model\. "
                       r"Use the labels or groups of SelectionModel\.constraints_\.$"):
        model.build(without=["mandatroy", "capacity[nope,2027-Q1]", "capacity"])


def test_dropping_the_mandatory_row_frees_the_project(solvers):
    pf = rich()
    model = SelectionModel(pf, value=pd.Series({"A": 5.0, "B": 3.0, "C": 2.0, "D": -10.0}))
    from portfolio_opt.solvers import run_solver

    run_solver(model.build(), solvers)
    assert model.selected_variables_["D"].varValue == pytest.approx(1.0)
    run_solver(model.build(without=["mandatory[D]"]), solvers)
    assert model.selected_variables_["D"].varValue == pytest.approx(0.0)


# ---------------------------------------------------------------------------- relaxation


def _lp_value(problem: pulp.LpProblem, shift: dict[str, float] | None = None) -> float | None:
    """Optimal value of the LP relaxation of ``problem``, solved by scipy with the
    right-hand side of the named constraints shifted; None when infeasible."""
    shift = shift or {}
    variables = problem.variables()
    col = {v.name: k for k, v in enumerate(variables)}
    c = np.zeros(len(variables))
    for v, a in problem.objective.items():
        c[col[v.name]] = -a  # maximise
    a_ub, b_ub, a_eq, b_eq = [], [], [], []
    for con in problem.constraints():
        row = np.zeros(len(variables))
        for v, a in con.items():
            row[col[v.name]] = a
        rhs = -con.constant + shift.get(con.name, 0.0)
        if con.sense == pulp.LpConstraintLE:
            a_ub.append(row), b_ub.append(rhs)
        elif con.sense == pulp.LpConstraintGE:
            a_ub.append(-row), b_ub.append(-rhs)
        else:
            a_eq.append(row), b_eq.append(rhs)
    bounds = [(v.lowBound, v.upBound) for v in variables]
    res = linprog(c, A_ub=np.array(a_ub) if a_ub else None, b_ub=b_ub or None,
                  A_eq=np.array(a_eq) if a_eq else None, b_eq=b_eq or None, bounds=bounds,
                  method="highs")
    return -res.fun if res.status == 0 else None


def check_duals(model: SelectionModel, table: pd.DataFrame, delta: float = 1e-3) -> None:
    """The dual is a supergradient of the LP value (concave in the right-hand side):
    (V(b + d) - V(b)) / d <= dual <= (V(b) - V(b - d)) / d for every row."""
    problem = model.problem_
    base = _lp_value(problem)
    assert model.relaxation_objective_ == pytest.approx(base, rel=1e-7, abs=1e-7)
    for row in table.itertuples():
        up = _lp_value(problem, {row.name: delta})
        down = _lp_value(problem, {row.name: -delta})
        tol = 1e-6 * max(1.0, abs(row.dual))
        if up is not None:
            assert (up - base) / delta <= row.dual + tol, (row.label, row.dual, up - base)
        if down is not None:
            assert row.dual <= (base - down) / delta + tol, (row.label, row.dual, base - down)
        # signs and complementary slackness
        # HiGHS's primal feasibility tolerance is 1e-7 on its scaled model
        assert row.slack >= -1e-6 * max(1.0, abs(row.rhs)), (row.label, row.slack)
        if row.sense == "<=":
            assert row.dual >= -1e-9, row.label
        elif row.sense == ">=":
            assert row.dual <= 1e-9, row.label
        assert abs(row.dual * row.slack) <= 1e-6 * max(1.0, abs(row.dual)), row.label


def test_relaxation_by_hand(solvers):
    """max 5 xA + 3 xB s.t. 4 xA + 3 xB <= 5: A in, B at 1/3; one more unit of budget is
    worth 3/3 = 1 (B's value per unit of cost)."""
    pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [4.0, 3.0],
                                 "value": [5.0, 3.0]}), budget=5)
    model = SelectionModel(pf)
    table = model.relaxation(solver=solvers)
    assert table[["label", "group"]].values.tolist() == [["budget", "budget"]]
    assert table["dual"].tolist() == pytest.approx([1.0])
    assert table["slack"].tolist() == pytest.approx([0.0], abs=1e-7)  # CBC writes 8 digits
    assert table["activity"].tolist() == pytest.approx([5.0])
    assert model.relaxation_objective_ == pytest.approx(6.0)


def test_relaxation_signs_on_every_family(solvers):
    pf = rich()
    model = SelectionModel(pf, max_average_risk=3.5)
    table = model.relaxation(solver=solvers)
    assert list(table.columns[-3:]) == ["activity", "slack", "dual"]
    assert table["label"].tolist() == model.constraints_["label"].tolist()
    check_duals(model, table)
    # a mandatory project worth -10: its row binds with a negative dual
    forced = SelectionModel(pf, value=pd.Series({"A": 5.0, "B": 3.0, "C": 2.0, "D": -10.0}))
    table = forced.relaxation(solver=solvers).set_index("label")
    assert table.loc["mandatory[D]", "dual"] < 0
    check_duals(forced, table.reset_index())


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=portfolio_cases(max_projects=4, features=frozenset({"windows", "lags", "flex"})))
def test_relaxation_duals_are_marginal_values(case):
    pf = case.portfolio()
    for name in SOLVERS:
        model = SelectionModel(pf, case.options.get("value"))
        try:
            table = model.relaxation(solver=name)
        except InfeasibleError:
            assert _lp_value(model.problem_) is None
            continue
        check_duals(model, table)


def test_relaxation_without_and_infeasible():
    pf = small_infeasible()
    with pytest.raises(InfeasibleError, match=r"the LP relaxation has no optimal solution "
                       r"\(solver status 'Infeasible'\): no portfolio satisfies the constraints "
                       r"even with fractional selections\."):
        SelectionModel(pf).relaxation()
    table = SelectionModel(pf).relaxation(without=["budget"])
    assert "budget" not in set(table["group"])


def small_infeasible() -> Portfolio:
    return Portfolio(pd.DataFrame({"project_id": ["A"], "cost": [4.0], "value": [1.0],
                                   "mandatory": [True]}), budget=3.0)


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


def test_get_params_rebuilds_the_same_model():
    pf = rich()
    model = SelectionModel(pf, "risk", budget=7.0, force_in=["B"], schedule=False,
                           max_average_risk=4.0)
    twin = SelectionModel(**model.get_params())
    model.build()
    twin.build()
    pd.testing.assert_frame_equal(model.constraints_, twin.constraints_)


def test_solve_status_on_the_sample_with_start_choice(sample_tables):
    """Start choice keeps the sample quick to prove (project-level rows on X_j)."""
    sel = select(Portfolio(**sample_tables), time_limit=60)
    assert sel.status is Status.OPTIMAL and sel.solve_time < 30


# ------------------------------------------------ hooks for many-solve analyses (issue 5)


def test_exclude_cuts_off_exactly_the_given_portfolios():
    pf = rich()
    model = SelectionModel(pf, exclude=[["A", "D"], ("B", "D")])
    model.build()
    table = model.constraints_.set_index("label")
    assert table.loc["exclude[0]", "group"] == "exclude"
    assert table.loc["exclude[0]", "sense"] == ">="
    assert table.loc["exclude[0]", "rhs"] == -1.0  # 1 - |S|
    # coefficients on X_j, read by variable name: -1 inside the set, +1 outside
    x = model.selected_variables_
    row = model.problem_.get_constraint_by_name(table.loc["exclude[1]", "name"])
    by_var = {v.name: a for v, a in row.items()}
    assert {p: by_var[x[p].name] for p in x.index} == {"A": 1.0, "B": -1.0, "C": 1.0,
                                                       "D": -1.0}
    # every 0/1 assignment of X: the row holds unless X is exactly the excluded set
    for bits in itertools.product([0, 1], repeat=4):
        chosen = {p for p, b in zip("ABCD", bits) if b}
        lhs = sum(a * (1 if p in chosen else 0) for p, a in
                  zip("ABCD", [1.0, -1.0, 1.0, -1.0]))
        assert (lhs >= table.loc["exclude[1]", "rhs"]) == (chosen != {"B", "D"})


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=portfolio_cases(max_projects=4, features=frozenset({"windows", "synergy",
                                                                 "groups", "flex"})))
def test_excluding_the_optimum_gives_the_second_best(case):
    pf = case.portfolio()
    value = case.options.get("value")
    opts = {k: v for k, v in case.options.items() if k != "value"}
    try:
        first = SelectionModel(pf, value, **opts).solve(diagnose=False)
    except InfeasibleError:
        return
    ids = list(pf.projects.index)
    others = []
    for r in range(len(ids) + 1):
        for s in itertools.combinations(ids, r):
            if set(s) == set(first.selected_ids):
                continue
            if set(case.check_options["force_in"] or []) - set(s) or \
                    set(case.check_options["force_out"] or []) & set(s):
                continue
            bf = checker.brute_force(pf, value, **{**case.check_options, "force_in": list(s),
                                                   "force_out": [i for i in ids if i not in s]})
            if bf is not None:
                others.append(bf.objective)
    model = SelectionModel(pf, value, **opts, exclude=[first.selected_ids])
    if not others:
        with pytest.raises(InfeasibleError):
            model.solve(diagnose=False)
        return
    second = model.solve(diagnose=False)
    assert set(second.selected_ids) != set(first.selected_ids)
    assert second.objective == pytest.approx(max(others), rel=1e-6, abs=1e-9)


def test_min_value_and_a_replaced_objective_find_the_cheapest_optimal_portfolio():
    pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C", "D"], "cost": [4.0, 2.0, 2.0,
                                                                              1.0],
                                 "value": [4.0, 2.0, 2.0, 3.0]}), budget=7,
                   relations=pd.DataFrame({"kind": ["synergy"], "project_id": ["B"],
                                           "other_id": ["C"], "value": [1.0]}))
    # within budget 7 the best is A+B+D or A+C+D (9, cost 7); of value >= 8 the cheapest is
    # B+C+D (2 + 2 + 3 + synergy 1, cost 5)
    model = SelectionModel(pf, min_value=8.0,
                           objective=pd.Series([-4.0, -2.0, -2.0, -1.0], index=list("ABCD")))
    sel = model.solve()
    assert sel.selected_ids.tolist() == ["B", "C", "D"]
    assert sel.objective == 8.0  # the value (synergy included), not the replaced objective
    table = model.constraints_.set_index("label")
    assert table.loc["min_value", "rhs"] == 8.0 and table.loc["min_value", "sense"] == ">="
    row = model.problem_.get_constraint_by_name(table.loc["min_value", "name"])
    assert sorted(a for _, a in row.items()) == [1.0, 2.0, 2.0, 3.0, 4.0]  # values + synergy
    with pytest.raises(InfeasibleError):
        SelectionModel(pf, min_value=9.5).solve(diagnose=False)
    again = SelectionModel(**model.get_params())
    assert again.get_params()["min_value"] == 8.0 and again.objective is model.objective


def test_hook_error_messages():
    pf = rich()
    with pytest.raises(InputError, match=r"select: exclude\[1\] names Z \(1 project\), which "
                                         r"are not in the projects table"):
        SelectionModel(pf, exclude=[["A"], ["Z"]]).build()
    with pytest.raises(InputError, match=r"select: exclude must be a list of portfolios \(each "
                                         r"a list of project ids\), got 'A'"):
        SelectionModel(pf, exclude="A").build()
    with pytest.raises(InputError, match=r"select: exclude\[0\] must be a list of project ids "
                                         r"\(one portfolio\), got 'A'"):
        SelectionModel(pf, exclude=["A"]).build()
    with pytest.raises(InputError, match=r"select: min_value must be a finite number, got nan"):
        SelectionModel(pf, min_value=float("nan")).build()
    with pytest.raises(InputError, match=r"select: objective must be a Series by project_id, "
                                         r"got list"):
        SelectionModel(pf, objective=[1, 2, 3, 4]).build()
    with pytest.raises(InputError, match=r"objective Series: no value for D \(1 project\)"):
        SelectionModel(pf, objective=pd.Series([1.0, 1.0, 1.0], index=list("ABC"))).build()
    with pytest.raises(InputError, match=r"objective Series: A \(1 project\) have a missing or "
                                         r"non-finite value \(inf\)"):
        SelectionModel(pf, objective=pd.Series([np.inf, 1, 1, 1], index=list("ABCD"))).build()
