"""Tests of portfolio_opt.scenarios and portfolio_opt.plotting.scenarios.

Every scenario's answer is checked against a portfolio built by hand from the raw tables with
the change written out in the test (pandas only), solved with ``select`` and with the brute
force of ``tests/checker.py``; feasibility by ``checker.violations``; the comparison columns
(added, removed, changes, capacity shares) are recomputed with pandas from the selections and
``checker.usage``. Values are distinct powers of two where the optimal set must be unique.
"""

from __future__ import annotations

import copy
import math
import pickle
from concurrent.futures import ProcessPoolExecutor

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import checker  # noqa: E402
from conftest import portfolio_cases  # noqa: E402
from portfolio_opt import Budget, InfeasibleError, InputError, Portfolio, datasets, select  # noqa: E402
from portfolio_opt.plotting.scenarios import plot_scenarios  # noqa: E402
from portfolio_opt.scenarios import Scenario, ScenarioComparison, compare_scenarios  # noqa: E402

PERIODS = ["2027-Q1", "2027-Q2", "2027-Q3"]
FEW = settings(max_examples=15, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def tables(**changes) -> dict:
    """Six projects, two competences, three quarters; values are distinct powers of two."""
    out = {
        "projects": pd.DataFrame({
            "project_id": list("ABCDEF"),
            "cost": [4.0, 3.0, 3.0, 5.0, 2.0, 6.0],
            "duration": [1, 2, 1, 1, 2, 1],
            "earliest_start": ["2027-Q1", "2027-Q1", "2027-Q2", "2027-Q1", "2027-Q1", "2027-Q1"],
            "latest_start": ["2027-Q3", "2027-Q2", "2027-Q3", "2027-Q2", "2027-Q2", "2027-Q3"],
            "category": ["run", "grow", "grow", "run", "change", "grow"],
            "value": [32.0, 8.0, 4.0, 16.0, 2.0, 1.0],
            "fit": [5.0, 3.0, 1.0, 4.0, 2.0, 1.0],
            "ret": [1.0, 4.0, 5.0, 2.0, 3.0, 1.0],
        }),
        "demand": pd.DataFrame({
            "project_id": ["A", "B", "C", "D", "E", "F", "A", "D"],
            "competence": ["dev", "dev", "dev", "dev", "dev", "dev", "data", "data"],
            "amount": [4.0, 2.0, 3.0, 3.0, 1.0, 2.0, 2.0, 3.0],
        }),
        "capacity": pd.DataFrame({"competence": ["dev"] * 3 + ["data"] * 3,
                                  "period": PERIODS * 2,
                                  "amount": [6.0, 5.0, 6.0, 4.0, 4.0, 4.0]}),
        "budget": 14.0,
        "periods": PERIODS,
    }
    out.update(changes)
    return out


def hand(t: dict, drop_value: bool = False) -> Portfolio:
    t = copy.deepcopy(t)
    if drop_value:
        t["projects"] = t["projects"].drop(columns="value")
    return Portfolio(**t)


def assert_matches(cmp: ScenarioComparison, name: str, pf: Portfolio, value=None,
                   force_in=(), force_out=()):
    """The scenario equals select() on ``pf`` and the brute force; it is feasible."""
    sel = cmp.selections[name]
    ref = select(pf, value, force_in=list(force_in) or None, force_out=list(force_out) or None)
    assert sel.selected.equals(ref.selected)
    assert sel.objective == pytest.approx(ref.objective)
    brute = checker.brute_force(pf, value, force_in=force_in, force_out=force_out)
    assert brute is not None and sel.objective == pytest.approx(brute.objective)
    assert sel.selected_ids in brute
    assert checker.violations(pf, sel.selected_ids, sel.start, force_in=force_in,
                              force_out=force_out,
                              hiring=sel.hiring[["competence", "period", "hired"]]) == []
    row = cmp.summary.loc[name]
    assert row["status"] == "optimal"
    assert row["cost"] == pytest.approx(pf.projects["cost"][list(sel.selected_ids)].sum())
    assert row["n_selected"] == len(sel.selected_ids)


# ------------------------------------------------------------------------ scenario answers

def test_each_scenario_equals_select_on_a_hand_built_portfolio():
    t = tables()
    pf = Portfolio(**copy.deepcopy(t))
    scenarios = [
        Scenario("cut", budget=9),
        Scenario("dev-down", capacity={"dev": 0.5}),
        Scenario("data-q2", capacity=pd.DataFrame({"competence": ["data", "dev"],
                                                   "period": ["2027-Q2", None],
                                                   "amount": [0.0, 7.0]})),
        Scenario("overrun", cost_overrun={"run": 1.5, "A": 2.0}),
        Scenario("all-over", cost_overrun=1.25, capacity=2.0),
        Scenario("forced", force_in=["F"], force_out=["A"]),
        Scenario("other-value", value="ret"),
    ]
    cmp = compare_scenarios(pf, scenarios)
    assert list(cmp.summary.index) == ["baseline"] + [s.name for s in scenarios]

    assert_matches(cmp, "baseline", hand(t))
    assert_matches(cmp, "cut", hand(tables(budget=9.0)))
    cap = t["capacity"].copy()
    cap.loc[cap["competence"] == "dev", "amount"] *= 0.5
    assert_matches(cmp, "dev-down", hand(tables(capacity=cap)))
    cap = t["capacity"].copy()
    cap.loc[(cap["competence"] == "data") & (cap["period"] == "2027-Q2"), "amount"] = 0.0
    cap.loc[cap["competence"] == "dev", "amount"] = 7.0
    assert_matches(cmp, "data-q2", hand(tables(capacity=cap)))
    projects = t["projects"].copy()
    projects["cost"] = projects["cost"] * np.select(
        [projects["project_id"] == "A", projects["category"] == "run"], [2.0, 1.5], 1.0)
    assert projects["cost"].tolist()[:4] == [8.0, 3.0, 3.0, 7.5]
    assert_matches(cmp, "overrun", hand(tables(projects=projects)))
    projects = t["projects"].assign(cost=t["projects"]["cost"] * 1.25)
    cap = t["capacity"].assign(amount=t["capacity"]["amount"] * 2)
    assert_matches(cmp, "all-over", hand(tables(projects=projects, capacity=cap)))
    assert_matches(cmp, "forced", hand(t), force_in=["F"], force_out=["A"])
    assert_matches(cmp, "other-value", hand(t), value="ret")


def test_comparison_columns_are_recomputed_from_the_selections():
    t = tables()
    pf = Portfolio(**t)
    cmp = compare_scenarios(pf, [Scenario("cut", budget=8), Scenario("more", budget=20),
                                 Scenario("over", cost_overrun={"grow": 2})])
    base = cmp.selections["baseline"]
    value = t["projects"].set_index("project_id")["value"]
    for name, sel in cmp.selections.items():
        row = cmp.summary.loc[name]
        chosen, was = set(sel.selected_ids), set(base.selected_ids)
        assert set(row["added"]) == chosen - was and set(row["removed"]) == was - chosen
        assert (row["n_added"], row["n_removed"]) == (len(chosen - was), len(was - chosen))
        assert row["value_change"] == pytest.approx(value[list(chosen)].sum()
                                                    - value[list(was)].sum())
        assert row["value_at_baseline"] == pytest.approx(value[list(chosen)].sum())
        assert row["cost_change"] == pytest.approx(sel.cost - base.cost)
        assert row["budget"] == sel.budget
        assert cmp.projects[name].astype(bool).equals(
            pd.Series(value.index.isin(list(chosen)), index=value.index, name=name))
        assert cmp.starts[name].equals(sel.start.rename(name))
        # capacity use recomputed from the public tables by the checker
        used = checker.usage(sel.portfolio, sel.selected_ids, sel.start)
        share = used.groupby("competence")["used"].sum() / used.groupby(
            "competence")["capacity"].sum()
        got = cmp.capacity[name]
        assert got.to_dict() == pytest.approx(share.to_dict())
        peak = cmp.usage.query("scenario == @name").set_index("competence")["peak_share"]
        ref = (used["used"] / used["capacity"]).groupby(used["competence"]).max()
        assert peak.to_dict() == pytest.approx(ref.to_dict())
    assert cmp.summary.loc["cut", "objective"] <= cmp.summary.loc["baseline", "objective"]
    assert cmp.summary.loc["more", "objective"] >= cmp.summary.loc["baseline", "objective"]


def test_weights_give_the_criteria_score_with_the_new_weights():
    criteria = pd.DataFrame({"criterion": ["fit", "ret"], "weight": [3.0, 1.0],
                             "direction": ["max", "min"]})
    t = tables(criteria=criteria)
    t["projects"] = t["projects"].drop(columns="value")
    pf = Portfolio(**t)
    cmp = compare_scenarios(pf, [Scenario("returns", weights={"ret": 3.0, "fit": 1.0}),
                                 Scenario("half", weights={"ret": 0.0})])
    p = t["projects"].set_index("project_id")
    fit = (p["fit"] - p["fit"].min()) / (p["fit"].max() - p["fit"].min())
    ret = (p["ret"].max() - p["ret"]) / (p["ret"].max() - p["ret"].min())  # direction min
    for name, (wf, wr) in {"baseline": (3, 1), "returns": (1, 3), "half": (3, 0)}.items():
        score = (wf * fit + wr * ret) / (wf + wr)
        sel = cmp.selections[name]
        assert sel.value.to_dict() == pytest.approx(score.to_dict())
        brute = checker.brute_force(sel.portfolio, score)
        assert sel.objective == pytest.approx(brute.objective)
        assert sel.selected_ids in brute
        base_score = (3 * fit + ret) / 4
        assert cmp.summary.loc[name, "value_at_baseline"] == pytest.approx(
            base_score[list(sel.selected_ids)].sum())
    assert pf.criteria["weight"].tolist() == [3.0, 1.0]


def test_infeasible_scenario_is_a_row_with_its_status():
    t = tables()
    t["projects"] = t["projects"].assign(mandatory=[True, False, False, False, False, False])
    pf = Portfolio(**t)
    cmp = compare_scenarios(pf, [Scenario("broke", budget=1), Scenario("no-A", force_out="A")])
    for name in ("broke", "no-A"):
        row = cmp.summary.loc[name]
        assert row["status"] == "infeasible" and row["reason"]
        assert math.isnan(row["objective"]) and pd.isna(row["n_selected"])
        assert cmp.projects[name].isna().all()
        assert name not in cmp.selections and name not in cmp.capacity.columns
    assert "P" not in repr(cmp) and "2 without a portfolio" in repr(cmp)
    assert cmp.changed_projects().empty
    html = cmp._repr_html_()
    assert "<table" in html and "broke" in html


def test_infeasible_baseline_raises():
    pf = Portfolio(**tables())
    with pytest.raises(InfeasibleError, match="the baseline 'tight' has no portfolio"):
        compare_scenarios(pf, [Scenario("tight", budget=1, force_in=["A"])], baseline="tight")


def test_baseline_name_picks_a_scenario_and_puts_it_first():
    pf = Portfolio(**tables())
    cmp = compare_scenarios(pf, [Scenario("more", budget=20), Scenario("cut", budget=8)],
                            baseline="cut")
    assert list(cmp.summary.index) == ["cut", "more"]
    assert cmp.summary.loc["cut", "value_change"] == 0
    assert cmp.summary.loc["more", "value_change"] == pytest.approx(
        cmp.selections["more"].objective - cmp.selections["cut"].objective)


def test_select_options_apply_to_every_scenario():
    pf = Portfolio(**tables())
    cmp = compare_scenarios(pf, [Scenario("free", budget=30, force_out=["B"])],
                            force_out=["A"], schedule=False, solver="cbc")
    ref = select(pf, budget=30, force_out=["A", "B"], schedule=False)
    assert cmp.selections["free"].selected.equals(ref.selected)
    assert not cmp.selections["baseline"].selected["A"]
    for sel in cmp.selections.values():  # schedule=False: every project at its earliest start
        chosen = sel.selected_ids
        assert (sel.start[chosen] == pf.projects.loc[chosen, "earliest_start"]).all()


def test_callers_portfolio_and_scenarios_are_not_modified():
    t = tables()
    pf = Portfolio(**copy.deepcopy(t))
    before = {k: getattr(pf, k) for k in ("projects", "capacity", "demand")}
    spec = {"dev": 0.5}
    overrun = pd.Series({"grow": 1.5})
    table = pd.DataFrame({"competence": ["data"], "factor": [0.5]})
    sc = [Scenario("a", capacity=spec, cost_overrun=overrun, budget=10),
          Scenario("b", capacity=table)]
    pickled = pickle.dumps(sc)
    compare_scenarios(pf, sc)
    for k, v in before.items():
        pd.testing.assert_frame_equal(getattr(pf, k), v)
    assert pf.budget.total == 14.0
    assert spec == {"dev": 0.5} and overrun.to_dict() == {"grow": 1.5}
    pd.testing.assert_frame_equal(table, pd.DataFrame({"competence": ["data"], "factor": [0.5]}))
    assert [s.describe() for s in pickle.loads(pickled)] == [s.describe() for s in sc]


def test_apply_and_describe():
    pf = Portfolio(**tables(budget=pd.DataFrame({"period": ["total", *PERIODS],
                                                 "amount": [14, 6, 6, 6]})))
    new = Scenario("s", budget=10).apply(pf)
    assert new.budget.total == 10 and new.budget.per_period.tolist() == [6, 6, 6]
    new = Scenario("s", budget=pd.Series([1.0, 2.0, 3.0], index=PERIODS)).apply(pf)
    assert new.budget.total == 14 and new.budget.per_period.tolist() == [1, 2, 3]
    new = Scenario("s", budget=Budget(total=3.0)).apply(pf)
    assert new.budget.total == 3 and new.budget.per_period is None
    assert Scenario("s").apply(pf) is pf
    s = Scenario("all", budget=Budget(5.0), weights={"fit": 1}, capacity=0.8,
                 force_in="A", force_out=["B", "C"], cost_overrun={"grow": 1.2}, value="ret")
    assert s.force_in == ("A",) and s.force_out == ("B", "C")
    text = s.describe()
    for part in ("budget total 5", "weights fit=1", "capacity x0.8", "force in A",
                 "force out B, C", "cost x1.2 for grow", "value 'ret'"):
        assert part in text
    assert "capacity table (1 rows)" in Scenario(
        "t", capacity=pd.DataFrame({"competence": ["dev"], "factor": [1]})).describe()
    assert Scenario("p", budget=pd.Series([1.0])).describe() == "budget per period replaced"


# ---------------------------------------------------------------------- hypothesis

def _hand_scenario(case, budget, cap_factor, overrun):
    t = copy.deepcopy(case.tables)
    t["projects"] = t["projects"].assign(cost=t["projects"]["cost"] * overrun)
    t["capacity"] = t["capacity"].assign(amount=t["capacity"]["amount"] * cap_factor)
    old = t["budget"]
    per = (old if isinstance(old, pd.Series) else
           old.set_index("period")["amount"].drop("total") if isinstance(old, pd.DataFrame)
           else None)
    if budget is not None:
        t["budget"] = (budget if per is None else pd.DataFrame(
            {"period": ["total", *per.index], "amount": [budget, *per.to_numpy()]}))
    return Portfolio(**t)


@FEW
@given(case=portfolio_cases(max_projects=5, unique_values=True, options=False,
                            features=frozenset({"windows", "flex"}), max_periods=3),
       budget=st.sampled_from([None, 0, 5, 12, 30]),
       cap_factor=st.sampled_from([0.5, 1.0, 2.0]),
       overrun=st.sampled_from([0.5, 1.0, 1.5]))
def test_random_scenarios_match_brute_force(case, budget, cap_factor, overrun):
    pf = case.portfolio()
    base = checker.brute_force(pf)
    if base is None:  # the baseline is the user's error: it raises
        with pytest.raises(InfeasibleError, match="baseline"):
            compare_scenarios(pf, [])
        return
    sc = Scenario("s", budget=budget, capacity=cap_factor, cost_overrun=overrun)
    cmp = compare_scenarios(pf, [sc])
    assert cmp.summary.loc["baseline", "objective"] == pytest.approx(base.objective)
    ref = _hand_scenario(case, budget, cap_factor, overrun)
    brute = checker.brute_force(ref)
    row = cmp.summary.loc["s"]
    if brute is None:
        assert row["status"] == "infeasible" and "s" not in cmp.selections
        return
    sel = cmp.selections["s"]
    assert row["objective"] == pytest.approx(brute.objective)
    assert sel.selected_ids in brute
    assert checker.violations(ref, sel.selected_ids, sel.start,
                              hiring=sel.hiring[["competence", "period", "hired"]]) == []
    # invariants: more room never loses value, less room never gains it
    if budget is None and cap_factor >= 1 and overrun <= 1:
        assert row["value_change"] >= -1e-9
    if (budget is None or (pf.budget.total is not None and budget <= pf.budget.total)) \
            and cap_factor <= 1 and overrun >= 1:
        assert row["value_change"] <= 1e-9


# ------------------------------------------------------------------------ parallel, sample

def test_serial_and_process_pool_give_the_same_comparison():
    pf = Portfolio(**tables())
    sc = [Scenario("cut", budget=8), Scenario("dev", capacity={"dev": 0.6}),
          Scenario("over", cost_overrun=1.3), Scenario("broke", budget=0, force_in=["A"])]
    serial = compare_scenarios(pf, sc, progress=False)
    with ProcessPoolExecutor(max_workers=2) as pool:
        parallel = compare_scenarios(pf, sc, executor=pool, progress=False)
    for attr in ("summary", "projects", "starts", "usage", "capacity"):
        pd.testing.assert_frame_equal(getattr(serial, attr), getattr(parallel, attr))
    assert serial.selections.keys() == parallel.selections.keys()


def test_sample_budget_cut_and_leaving_architect_are_feasible():
    pf = datasets.load_sample()
    cmp = compare_scenarios(pf, [Scenario("cut 10%", budget=0.9 * pf.budget.total),
                                 Scenario("architect leaves", capacity={"architecture": 0.8})])
    for sel in cmp.selections.values():
        assert sel.status.value == "optimal"
        assert checker.violations(sel.portfolio, sel.selected_ids, sel.start,
                                  hiring=sel.hiring[["competence", "period", "hired"]]) == []
    cap = sel.portfolio.capacity
    assert cap.loc[cap["competence"] == "architecture", "amount"].to_numpy() == pytest.approx(
        0.8 * pf.capacity.loc[pf.capacity["competence"] == "architecture", "amount"].to_numpy())
    assert (cmp.summary["value_change"].iloc[1:] <= 1e-9).all()


# ---------------------------------------------------------------------------- errors

@pytest.mark.parametrize("kwargs, match", [
    (dict(force_in=["Z"]), r"scenario 's': force_in: Z \(1 project\) are not in the projects"),
    (dict(force_in=["A"], force_out=["A"]), r"A \(1 project\) are both forced in and forced"),
    (dict(budget=-1), r"budget: expected a total budget \(a finite number >= 0\)"),
    (dict(budget="x"), r"budget: expected a total budget"),
    (dict(budget=pd.Series([1.0], index=["2030-Q1"])), r"scenario 's': budget table"),
    (dict(weights={"fit": 1}), r"weights: the portfolio has no criteria table"),
    (dict(capacity="half"), r"capacity: expected a factor, a dict"),
    (dict(capacity=pd.DataFrame({"competence": ["dev"]})),
     r"needs a competence column and exactly one of factor or amount; columns found: "
     r"competence"),
    (dict(capacity=pd.DataFrame({"competence": ["dev"], "factor": [1], "amount": [2]})),
     r"exactly one of factor or amount"),
    (dict(capacity={"ops": 0.5}), r"capacity: ops \(1 competence\) have no capacity in the "
                                  r"portfolio; its competences are dev, data"),
    (dict(capacity=pd.DataFrame({"competence": ["dev"], "period": ["2031"], "amount": [1]})),
     r"capacity: unknown periods 2031; the periods are 2027-Q1 \.\. 2027-Q3"),
    (dict(capacity={"dev": -1}), r"dev \(1 competence\) have a factor that is not a finite"),
    (dict(capacity=pd.DataFrame({"competence": ["dev", "dev"], "period": [None, "2027-Q1"],
                                 "factor": [1, 2]})),
     r"several rows change dev in 2027-Q1\. Give one row per competence and period"),
    (dict(cost_overrun="big"), r"cost_overrun: expected a factor \(e\.g\. 1\.3 for \+30 %\)"),
    (dict(cost_overrun={"Q": 1.1}), r"cost_overrun: Q are neither project ids nor categories"),
    (dict(cost_overrun={"grow": -1}), r"factors must be finite numbers >= 0 .* got -1\.0 for "
                                      r"grow"),
])
def test_scenario_errors(kwargs, match):
    pf = Portfolio(**tables())
    with pytest.raises(InputError, match=match):
        compare_scenarios(pf, [Scenario("s", **kwargs)])


def test_weight_errors():
    criteria = pd.DataFrame({"criterion": ["fit", "ret"], "weight": [1.0, 1.0]})
    t = tables(criteria=criteria)
    pf = Portfolio(**t)
    with pytest.raises(InputError, match=r"weights change the criteria score, but the value "
                                         r"maximised is the projects table's 'value' column"):
        compare_scenarios(pf, [Scenario("w", weights={"fit": 2})])
    with pytest.raises(InputError, match=r"the value maximised is 'ret'"):
        compare_scenarios(pf, [Scenario("w", weights={"fit": 2})], value="ret")
    with pytest.raises(InputError, match=r"the value Series given"):
        compare_scenarios(pf, [Scenario("w", weights={"fit": 2})],
                          value=pd.Series(1.0, index=pf.project_ids))
    pf = hand(t, drop_value=True)
    with pytest.raises(InputError, match=r"scenario 'w': give weights or value, not both"):
        compare_scenarios(pf, [Scenario("w", weights={"fit": 2}, value="ret")])
    for w, match in [({"size": 1}, r"size \(1 criterion\) are not criteria of the portfolio; "
                                   r"its criteria are fit, ret"),
                     ({"fit": -2}, r"fit \(1 criterion\) have a weight that is not a finite "
                                   r"number >= 0 \(-2\.0\)"),
                     ({"fit": "x"}, r"weights: expected numbers by criterion")]:
        with pytest.raises(InputError, match=match):
            compare_scenarios(pf, [Scenario("w", weights=w)])


def test_compare_errors():
    pf = Portfolio(**tables())
    with pytest.raises(InputError, match=r"Scenario: name must be a non-empty string"):
        Scenario("  ")
    with pytest.raises(InputError, match=r"budget is not a select option here; give each "
                                         r"scenario its budget"):
        compare_scenarios(pf, [], budget=3)
    with pytest.raises(InputError, match=r"unknown select option\(s\) diagnose; valid: solver"):
        compare_scenarios(pf, [], diagnose=True)
    with pytest.raises(InputError, match=r"scenarios must be Scenario objects, got 'cut'"):
        compare_scenarios(pf, ["cut"])
    with pytest.raises(InputError, match=r"duplicate scenario names cut\. Give each"):
        compare_scenarios(pf, [Scenario("cut"), Scenario("cut")])
    with pytest.raises(InputError, match=r"scenario 'x': A \(1 project\) are both forced in "
                                         r"and forced out \(scenario and select options"):
        compare_scenarios(pf, [Scenario("x", force_in=["A"])], force_out=["A"])
    with pytest.raises(InputError, match=r"scenario 'x': select: value column 'nope' is not"):
        compare_scenarios(pf, [Scenario("x", value="nope")])
    with pytest.raises(InputError, match=r"compare_scenarios: executor must be a "
                                         r"concurrent\.futures\.Executor"):
        compare_scenarios(pf, [], executor=2)
    with pytest.raises(InputError, match=r"compare_scenarios: portfolio must be a Portfolio, "
                                         r"got dict"):
        compare_scenarios({}, [])
    cmp = compare_scenarios(pf, Scenario("one", budget=9))
    assert list(cmp.summary.index) == ["baseline", "one"]


# ----------------------------------------------------------------------------- plots

@pytest.fixture(scope="module")
def comparison() -> ScenarioComparison:
    pf = Portfolio(**tables())
    return compare_scenarios(pf, [Scenario("cut", budget=8), Scenario("dev", capacity=0.5),
                                  Scenario("broke", budget=0, force_in=["A"])])


def test_value_plot_bars_equal_the_objectives(comparison):
    ax = plot_scenarios(comparison)
    bars = ax.containers[0]
    s = comparison.summary
    assert [b.get_width() for b in bars] == s["objective"].fillna(0.0).tolist()
    assert [t.get_text() for t in ax.get_yticklabels()] == list(s.index)
    line = next(x for x in ax.lines if x.get_gid() == "baseline")
    assert line.get_xdata()[0] == s.loc["baseline", "objective"]
    texts = [t.get_text() for t in ax.texts]
    assert texts[-1] == "infeasible"
    row = s.loc["cut"]
    assert texts[1].startswith(f"+{row['n_added']} / -{row['n_removed']} projects")


def test_capacity_and_projects_plots_equal_the_tables(comparison):
    ax = plot_scenarios(comparison, kind="capacity")
    np.testing.assert_allclose(ax.images[0].get_array(), comparison.capacity.to_numpy())
    assert [t.get_text() for t in ax.get_xticklabels()] == list(comparison.capacity.columns)
    ax = plot_scenarios(comparison, kind="projects")
    changed = comparison.changed_projects()
    want = changed.astype(float).to_numpy(na_value=np.nan)
    got = ax.images[0].get_array()
    np.testing.assert_array_equal(np.ma.getmaskarray(got), np.isnan(want))
    np.testing.assert_array_equal(got.filled(-1), np.where(np.isnan(want), -1, want))
    assert [t.get_text() for t in ax.get_yticklabels()] == list(changed.index)
    # projects that never change are not drawn
    both = comparison.projects.drop(columns="broke").astype(bool)
    assert set(changed.index) == set(both.index[both.nunique(axis=1) > 1])


@pytest.mark.parametrize("kind", ["value", "capacity", "projects"])
def test_plots_render_on_the_given_axes(comparison, kind, tmp_path):
    fig, ax = plt.subplots()
    n = len(plt.get_fignums())
    assert plot_scenarios(comparison, ax=ax, kind=kind) is ax
    assert len(plt.get_fignums()) == n
    fig.savefig(tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_unknown_kind(comparison):
    with pytest.raises(InputError, match=r"plot_scenarios: unknown kind 'pie'; valid: value, "
                                         r"capacity, projects"):
        plot_scenarios(comparison, kind="pie")
