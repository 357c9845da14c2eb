"""Tests of portfolio_opt.presolve and of what InfeasibleError says.

Before solving, the projects that must be in are checked against the rules in the analyst's
words; when the solver finds the conflict instead, the error says whether the required
projects are part of it; and the diagnosis of ``portfolio_opt.diagnose`` is attached. Every
message is matched in full; every number in it is worked out by hand in the test.
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import line, small
from portfolio_opt import InfeasibleError, Portfolio, select
from portfolio_opt import selection as selection_module

_DIAGNOSED = selection_module._diagnosed  # the real diagnosis, before the fixture skips it

Q = ["2027-Q1", "2027-Q2", "2027-Q3"]
Q4 = [*Q, "2027-Q4"]


@pytest.fixture(autouse=True, scope="module")
def _no_diagnosis():
    """The diagnosis (diagnose.py, tested there) is skipped except where a test asks for it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(selection_module, "_diagnosed", lambda model, error, *args, **kw: error)
        yield


# ------------------------------------------------------- infeasibility, in the analyst's words


def test_mandatory_projects_over_the_total_budget():
    pf = small(mandatory=(True, True, False), budget=6.5)
    with pytest.raises(InfeasibleError, match=r"^No portfolio satisfies every constraint:\n  - "
                       r"required projects A, B \(2 projects\) cost 7; the total budget is "
                       r"6\.5\.$") as err:
        select(pf)
    assert len(err.value.reasons) == 1


def test_mandatory_projects_over_a_budget_given_to_select():
    pf = small(mandatory=(True, False, False), budget=100.0)
    with pytest.raises(InfeasibleError, match=r"required projects A, C \(2 projects\) cost 7; "
                       r"the total budget is 5\."):
        select(pf, budget=5.0, force_in=["C"])


def test_mandatory_projects_over_a_period_budget():
    """B (cost 3 over two quarters, window Q1..Q2) spends 1.5 in Q2 whatever its start."""
    pf = small(mandatory=(False, True, True), budget=pd.Series([10.0, 1.0, 10.0], index=Q))
    with pytest.raises(InfeasibleError, match=r"^No portfolio satisfies every constraint:\n  - "
                       r"required projects B \(1 project\) spend at least 1\.5 in 2027-Q2 "
                       r"whatever their starts; the budget for that period is 1\.$"):
        select(pf)
    with pytest.raises(InfeasibleError, match=r"required projects B \(1 project\) spend 1\.5 "
                       r"in 2027-Q2; the budget for that period is 1\.$"):
        select(pf, schedule=False)


def test_mandatory_demand_over_capacity_names_competence_period_and_capacity():
    projects = pd.DataFrame({"project_id": ["A", "B", "C"], "cost": 1.0, "duration": [2, 2, 1],
                             "mandatory": [True, True, False], "value": 1.0})
    arch, dev = "architecture", "development"
    demand = pd.DataFrame({"project_id": ["A", "B", "A", "C"], "competence": [arch, arch, dev, dev],
                           "offset": [1, 1, None, None], "amount": [3.0, 4.5, 1.0, 9.0]})
    cap = pd.DataFrame({"competence": [arch, arch, dev, dev],
                        "period": ["2027-Q1", "2027-Q2", "2027-Q1", "2027-Q2"],
                        "amount": [20.0, 5.0, 5.0, 5.0]})
    pf = Portfolio(projects, demand, cap)
    with pytest.raises(InfeasibleError, match=r"required projects A, B \(2 projects\) need 7\.5 "
                       r"architecture in 2027-Q2; capacity is 5\.$"):
        select(pf)
    flex = cap.assign(flex_amount=[0, 2.0, 0, 0], flex_cost=[0, 1.0, 0, 0])
    with pytest.raises(InfeasibleError, match=r"need 7\.5 architecture in 2027-Q2; capacity is "
                       r"5 plus up to 2 that may be hired\.$"):
        select(Portfolio(projects, demand, flex))
    sub = pd.DataFrame({"competence": [dev], "covers": [arch], "efficiency": [0.1]})
    with pytest.raises(InfeasibleError, match=r"capacity is 5 plus at most 0\.5 covered by other "
                       r"competences\.$"):
        select(Portfolio(projects, demand, cap, substitution=sub))


def test_what_required_projects_need_whatever_their_starts():
    """A (2 quarters, window Q1..Q2 of 3) runs in Q2 whatever its start; B is fixed in Q2."""
    projects = pd.DataFrame({"project_id": ["A", "B"], "cost": 1.0, "duration": [2, 1],
                             "earliest_start": ["2027-Q1", "2027-Q2"],
                             "latest_start": [None, "2027-Q2"], "mandatory": True, "value": 1.0})
    demand = pd.DataFrame({"project_id": ["A", "B"], "competence": "dev", "amount": [3.0, 3.0]})
    cap = pd.DataFrame({"competence": "dev", "period": Q, "amount": 5.0})
    with pytest.raises(InfeasibleError, match=r"^No portfolio satisfies every constraint:\n  - "
                       r"required projects A, B \(2 projects\) need at least 6 dev in 2027-Q2 "
                       r"whatever their starts; capacity is 5\.$"):
        select(Portfolio(projects, demand, cap))
    # with the earliest starts only, the exact amount is known
    with pytest.raises(InfeasibleError, match=r"required projects A, B \(2 projects\) need 6 "
                       r"dev in 2027-Q2; capacity is 5\.$"):
        select(Portfolio(projects, demand, cap), schedule=False)


def test_required_project_that_fits_at_no_start():
    projects = pd.DataFrame({"project_id": ["A"], "cost": 2.0, "mandatory": True, "value": 1.0,
                             "latest_start": ["2027-Q2"]})
    demand = pd.DataFrame({"project_id": ["A"], "competence": "dev", "amount": [6.0]})
    cap = pd.DataFrame({"competence": "dev", "period": Q, "amount": [5.0, 5.0, 9.0]})
    with pytest.raises(InfeasibleError, match=r"^No portfolio satisfies every constraint:\n  - "
                       r"required project A fits at no start in its window 2027-Q1\.\.2027-Q2: "
                       r"starting in 2027-Q1 it needs 6 dev in 2027-Q1, at most 5 available; "
                       r"starting in 2027-Q2 it needs 6 dev in 2027-Q2, at most 5 available\.$"):
        select(Portfolio(projects, demand, cap))
    budget = pd.Series([1.0, 1.0, 1.0], index=Q)
    with pytest.raises(InfeasibleError, match=r"starting in 2027-Q1 it spends 2 in 2027-Q1, "
                       r"budget 1; starting in 2027-Q2 it spends 2 in 2027-Q2, budget 1\.$"):
        select(Portfolio(projects, demand, cap.assign(amount=9.0), budget=budget))


def test_required_project_after_its_predecessor_and_lag():
    rel = pd.DataFrame({"kind": ["requires"], "project_id": ["A"], "other_id": ["B"],
                        "lag": [1]})
    projects = pd.DataFrame({"project_id": ["A", "B"], "cost": 1.0, "duration": [1, 2],
                             "latest_start": ["2027-Q2", None], "mandatory": [True, False],
                             "value": 1.0})
    with pytest.raises(InfeasibleError, match=r"^No portfolio satisfies every constraint:\n  - "
                       r"required project A must start at least 1 period\(s\) after B finishes, "
                       r"i\.e\. in 2027-Q4 at the earliest, but its latest start is 2027-Q2\.$"):
        select(Portfolio(projects, relations=rel, periods=Q4))
    with pytest.raises(InfeasibleError, match=r"i\.e\. after the last period, but its latest "
                       r"start is 2027-Q2\.$"):
        select(Portfolio(projects, relations=rel.assign(lag=[5]), periods=Q4))


def test_group_limits_against_required_projects():
    groups = pd.DataFrame({"group": "g", "project_id": ["A", "B", "C"]})
    pf = small(mandatory=(True, True, False))
    pf = pf.replace(groups=groups, group_limits=pd.DataFrame({"group": ["g"], "max": [1]}))
    with pytest.raises(InfeasibleError, match=r"required projects A, B \(2 projects\) are all in "
                       r"group 'g', which allows at most 1\."):
        select(pf)
    pf = small().replace(groups=groups, group_limits=pd.DataFrame({"group": ["g"], "min": [3]}))
    with pytest.raises(InfeasibleError, match=r"group 'g' needs at least 3 selected projects but "
                       r"only 2 of its projects may be selected \(C \(1 project\) are forced "
                       r"out\)\."):
        select(pf, force_out=["C"])
    assert select(pf, budget=100).selected.all()


def test_project_forced_in_and_forced_out():
    with pytest.raises(InfeasibleError, match=r"B \(1 project\) are both required \(mandatory "
                       r"or forced in\) and forced out\."):
        select(small(), force_in=["B"], force_out=["B"])


def test_mandatory_project_forced_out():
    with pytest.raises(InfeasibleError, match=r"A \(1 project\) are both required \(mandatory "
                       r"or forced in\) and forced out\."):
        select(small(mandatory=(True, False, False)), force_out="A")


@pytest.mark.parametrize("kind", ["requires", "together"])
def test_required_project_needs_a_forced_out_one(kind):
    rel = pd.DataFrame({"kind": [kind, "requires"], "project_id": ["A", "B"],
                        "other_id": ["B", "C"]})
    pf = small(mandatory=(True, False, False), relations=rel)
    with pytest.raises(InfeasibleError, match=r"required project A needs C \(through "
                       r"requires/together relations\), but C is forced out\."):
        select(pf, force_out=["C"])


def test_required_projects_that_exclude_each_other():
    rel = pd.DataFrame({"kind": ["excludes", "requires"], "project_id": ["A", "B"],
                        "other_id": ["C", "C"]})
    pf = small(mandatory=(True, False, False), relations=rel)
    with pytest.raises(InfeasibleError, match=r"A excludes C, but both are required \(mandatory, "
                       r"forced in, or needed by a required project\)\."):
        select(pf, force_in=["B"])


def test_every_conflict_is_listed():
    rel = pd.DataFrame({"kind": ["excludes"], "project_id": ["A"], "other_id": ["B"]})
    pf = small(mandatory=(True, True, False), relations=rel, budget=1.0)
    with pytest.raises(InfeasibleError) as err:
        select(pf, force_in=["C"], force_out=["C"])
    assert len(err.value.reasons) == 3
    assert err.value.reasons[0].startswith("C (1 project) are both required")
    assert err.value.reasons[1].startswith("A excludes B")
    assert err.value.reasons[2] == ("required projects A, B, C (3 projects) cost 10; the total "
                                    "budget is 1.")
    assert isinstance(err.value, ValueError)


def bucket_conflict() -> Portfolio:
    """A (run, cost 4) is mandatory, but run may hold at most 20 % of the cost: with B (grow,
    cost 3) alone the share is 4/7. Only the solver sees it."""
    buckets = pd.DataFrame({"column": ["category"], "value": ["run"], "max": [0.2]})
    return line(["A", "B"], [4.0, 3.0], [1.0, 1.0], periods=Q[:1], buckets=buckets,
                columns={"category": ["run", "grow"], "mandatory": [True, False]})


def test_infeasibility_found_by_the_solver_names_the_required_projects(solvers):
    with pytest.raises(InfeasibleError, match=r"^No portfolio satisfies every constraint:\n  - "
                       r"the solver proved that no portfolio satisfies every constraint together "
                       r"\(no check on the required projects alone found the conflict\): a "
                       r"portfolio exists without the required \(mandatory or forced-in\) "
                       r"projects A \(1 project\), so they conflict with the other rules\.$"):
        select(bucket_conflict(), solver=solvers)
    # B and C exclude each other, yet both of group g are wanted: A has nothing to do with it
    pf = line(["A", "B", "C"], [1.0] * 3, [1.0] * 3, periods=Q[:1],
              columns={"mandatory": [True, False, False]},
              relations=pd.DataFrame({"kind": ["excludes"], "project_id": ["B"],
                                      "other_id": ["C"]}),
              groups=pd.DataFrame({"group": "g", "project_id": ["B", "C"]}),
              group_limits=pd.DataFrame({"group": ["g"], "min": [2]}))
    with pytest.raises(InfeasibleError, match=r"; it stays infeasible even without the required "
                       r"projects A \(1 project\)\.$"):
        select(pf, solver=solvers)
    pf = line(["A"], [1.0], [1.0], periods=Q[:1], columns={"category": ["run"]},
              buckets=pd.DataFrame({"column": ["category"], "value": ["run"], "max": [0.5]}))
    assert select(pf, solver=solvers).selected_ids.empty  # the empty portfolio is balanced


class FakeDiagnosis:
    conflicts = pd.DataFrame({"group": ["mandatory"], "description": ["A is mandatory"]})
    relaxation = pd.DataFrame({"constraint": [], "extra_needed": []})

    def reasons(self):
        return ("these constraints cannot all hold: A is mandatory.",)


def test_infeasible_error_carries_the_diagnosis(monkeypatch):
    import importlib

    diagnose = importlib.import_module("portfolio_opt.diagnose")  # the module, not the function
    calls = []

    def fake(model, *, solver=None, time_limit=None):
        calls.append((type(model).__name__, solver, time_limit))
        # a solve with diagnose=False is not diagnosed
        with pytest.raises(InfeasibleError) as inner:
            select(model.portfolio, diagnose=False,
                   **{k: v for k, v in model.get_params().items() if k != "portfolio"})
        assert inner.value.conflicts is None
        return FakeDiagnosis()

    monkeypatch.setattr(diagnose, "diagnose", fake)
    monkeypatch.setattr(selection_module, "_diagnosed", _DIAGNOSED)
    with pytest.raises(InfeasibleError) as err:  # found by the solver
        select(bucket_conflict(), solver="cbc", time_limit=30)
    assert calls == [("SelectionModel", "cbc", 30)]
    assert err.value.conflicts is FakeDiagnosis.conflicts
    assert err.value.relaxation is FakeDiagnosis.relaxation
    assert err.value.reasons[-1] == "these constraints cannot all hold: A is mandatory."
    with pytest.raises(InfeasibleError) as err:  # found before solving: reasons kept
        select(small(mandatory=(True, True, False), budget=6.5))
    assert len(calls) == 2 and err.value.conflicts is FakeDiagnosis.conflicts
    assert err.value.reasons == ("required projects A, B (2 projects) cost 7; the total "
                                 "budget is 6.5.",)


def test_infeasible_error_without_the_diagnosis_module(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "portfolio_opt.diagnose", None)  # import fails
    monkeypatch.setattr(selection_module, "_diagnosed", _DIAGNOSED)
    with pytest.raises(InfeasibleError) as err:
        select(bucket_conflict())
    assert err.value.conflicts is None and err.value.relaxation is None


def test_projects_pulled_in_are_named_with_the_project_that_needs_them():
    rel = pd.DataFrame({"kind": ["requires"], "project_id": ["P01"], "other_id": ["P03"]})
    demand = pd.DataFrame({"project_id": ["P03"], "competence": ["dev"], "amount": [1.0]})
    cap = pd.DataFrame({"competence": "dev", "period": Q, "amount": 0.0})
    pf = line(["P00", "P01", "P03"], [0.0] * 3, [0.0] * 3, periods=Q, demand=demand,
              capacity=cap, relations=rel)
    with pytest.raises(InfeasibleError, match=r"^No portfolio satisfies every constraint:\n  - "
                       r"required projects P03 \(1 project\), needed by P01, need 1 dev in "
                       r"2027-Q1; capacity is 0\.$"):
        select(pf, force_in=["P01"], schedule=False)
    with pytest.raises(InfeasibleError, match=r"^No portfolio satisfies every constraint:\n  - "
                       r"required project P03 \(needed by P01\) fits at no start in its window "
                       r"2027-Q1\.\.2027-Q3: starting in 2027-Q1 it needs 1 dev in 2027-Q1, at "
                       r"most 0 available; starting in 2027-Q2 it needs 1 dev in 2027-Q2, at "
                       r"most 0 available; likewise at its other starts\.$"):
        select(pf, force_in=["P01"])
