"""Tests of portfolio_opt.datasets: the bundled sample and the synthetic generator.

Numbers are recomputed here from the public tables (or the raw CSV files) with
numpy/pandas, or checked as invariants; nothing is compared with numbers the
library printed.
"""

from __future__ import annotations

import cProfile
import pstats
import re
import shutil
from importlib.resources import files

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker import usage, violations
from portfolio_opt import InputError, select
from portfolio_opt.datasets import load_sample, synthetic
from portfolio_opt.portfolio import Portfolio

TABLES = ("projects", "demand", "capacity", "budget", "relations", "criteria")
QUARTERS = [f"{y}-Q{q}" for y in (2027, 2028, 2029) for q in (1, 2, 3, 4)]
COMPETENCES = {"project_management", "architecture", "development", "test", "data", "ux",
               "change_management", "infrastructure"}


def raw_sample(name: str) -> pd.DataFrame:
    """A CSV of the sample, read independently of load_sample."""
    with (files("portfolio_opt.datasets") / "sample" / f"{name}.csv").open(
            encoding="utf-8") as handle:
        return pd.read_csv(handle)


@pytest.fixture(scope="module")
def sample() -> Portfolio:
    return load_sample()


# ------------------------------------------------------------------------------- sample
def test_sample_csvs_are_package_resources():
    folder = files("portfolio_opt.datasets") / "sample"
    for name in TABLES:
        assert (folder / f"{name}.csv").is_file(), name


def test_load_sample_reads_through_importlib_resources(tmp_path, monkeypatch):
    """Point importlib.resources at a modified copy: load_sample must read that copy."""
    package = tmp_path / "pkg"
    shutil.copytree(files("portfolio_opt.datasets") / "sample", package / "sample")
    budget = pd.read_csv(package / "sample" / "budget.csv")
    budget.loc[budget["period"] == "total", "amount"] = 4321
    budget.to_csv(package / "sample" / "budget.csv", index=False)
    seen = []

    def fake_files(anchor):
        seen.append(anchor)
        return package

    monkeypatch.setattr("importlib.resources.files", fake_files)
    assert load_sample().budget.total == 4321.0
    assert seen and set(seen) == {"portfolio_opt.datasets"}


def test_load_sample_does_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert len(load_sample()) == 60


def test_sample_sizes(sample):
    assert isinstance(sample, Portfolio)
    assert 40 <= len(sample) <= 80
    assert 6 <= len(sample.competences) <= 10
    assert 8 <= len(sample.periods) <= 12
    assert 4 <= len(sample.criteria) <= 6
    assert 3 <= int(sample.projects["mandatory"].sum()) <= 5
    assert 6 <= len(sample.relations) <= 12


def test_sample_labels(sample):
    projects = sample.projects
    assert projects.index.tolist() == [f"P{i:02d}" for i in range(1, 61)]
    assert sample.periods.tolist() == QUARTERS
    assert set(sample.competences) == COMPETENCES
    assert set(projects["category"]) == {"regulatory", "efficiency", "growth", "innovation",
                                         "maintenance"}
    assert projects["name"].notna().all() and projects["name"].is_unique
    assert set(projects.loc[projects["mandatory"], "category"]) == {"regulatory"}


def test_sample_matches_its_csv_files(sample):
    raw = raw_sample("projects").set_index("project_id")
    projects = sample.projects
    np.testing.assert_array_equal(projects["cost"], raw.loc[projects.index, "cost"])
    np.testing.assert_array_equal(projects["duration"], raw.loc[projects.index, "duration"])
    # demand: rows without offset count once per quarter the project runs
    demand = raw_sample("demand")
    reps = np.where(demand["offset"].isna(),
                    raw.loc[demand["project_id"], "duration"].to_numpy(), 1)
    assert sample.demand["amount"].sum() == pytest.approx((demand["amount"] * reps).sum())
    budget = raw_sample("budget").set_index("period")["amount"]
    assert sample.budget.total == budget["total"]
    np.testing.assert_array_equal(sample.budget.per_period.loc[QUARTERS], budget.loc[QUARTERS])


def test_sample_projects_are_plausible(sample):
    projects = sample.projects
    raw = raw_sample("projects")
    assert projects["cost"].between(100, 3000).all()
    assert projects["duration"].between(1, 6).all()
    assert (projects["earliest_start"] > "2027-Q1").sum() >= 10
    assert 5 <= raw["latest_start"].notna().sum() <= len(raw)  # windows of at most 2 starts
    pos_e = sample.period_position(projects["earliest_start"])
    pos_l = sample.period_position(projects["latest_start"])
    assert (pos_e <= pos_l).all()
    assert (pos_l + projects["duration"].to_numpy() <= len(sample.periods)).all()
    for column in ("strategic_fit", "customer_impact", "urgency", "risk"):
        assert projects[column].between(1, 5).all(), column
        assert (projects[column] == projects[column].round()).all(), column
    assert (projects["financial_return"] < 0).any() and (projects["financial_return"] > 0).any()


def test_sample_criteria(sample):
    criteria = sample.criteria.set_index("criterion")
    assert criteria.index.tolist() == ["strategic_fit", "financial_return", "customer_impact",
                                       "urgency", "risk"]
    assert criteria["weight"].sum() == pytest.approx(1.0)
    assert criteria.loc["risk", "direction"] == "min"
    assert (criteria.drop(index="risk")["direction"] == "max").all()


def test_sample_demand_profiles():
    demand = raw_sample("demand")
    with_offset = demand[demand["offset"].notna()]
    assert len(with_offset) and demand["offset"].isna().any()
    # one form per project and competence, never both
    forms = demand.assign(flat=demand["offset"].isna()).groupby(
        ["project_id", "competence"])["flat"].nunique()
    assert (forms == 1).all()
    ends = with_offset.sort_values("offset").groupby(["project_id", "competence"])["amount"]
    first, last = ends.first(), ends.last()
    arch = first.index.get_level_values("competence") == "architecture"
    test = first.index.get_level_values("competence") == "test"
    assert arch.any() and (first[arch] > last[arch]).all()  # architecture heavy at the start
    assert test.any() and (last[test] > first[test]).all()  # test heavy at the end


def test_sample_capacity_and_budget(sample):
    cap = sample.capacity.pivot(index="competence", columns="period", values="amount")
    assert (cap > 0).all().all()
    dips = (cap.lt(cap.max(axis=1), axis=0)).sum(axis=1)
    assert (dips > 0).all()  # holidays and a departure lower some quarters
    assert sample.budget.total < sample.budget.per_period.sum()
    assert sample.budget.total < sample.projects["cost"].sum()


def test_sample_relations_are_consistent(sample):
    rel = sample.relations
    assert set(rel["kind"]) == {"requires", "excludes", "together"}
    assert (rel["project_id"] != rel["other_id"]).all()
    assert not rel.duplicated(["project_id", "other_id"]).any()
    # everything the mandatory projects pull in through requires/together
    needed = set(sample.projects.index[sample.projects["mandatory"]])
    pulls = rel[rel["kind"].isin(["requires", "together"])]
    grew = True
    while grew:
        new = set(pulls.loc[pulls["project_id"].isin(needed), "other_id"])
        new |= set(pulls.loc[(pulls["kind"] == "together") & pulls["other_id"].isin(needed),
                             "project_id"])
        grew = not new <= needed
        needed |= new
    excl = rel[rel["kind"] == "excludes"]
    assert not (excl["project_id"].isin(needed) & excl["other_id"].isin(needed)).any()


def test_sample_mandatory_projects_alone_are_clearly_feasible(sample):
    projects = sample.projects
    mandatory = projects.index[projects["mandatory"]]
    assert projects.loc[mandatory, "cost"].sum() < 0.3 * sample.budget.total
    assert violations(sample, mandatory) == []
    util = usage(sample, mandatory)["utilisation"]
    assert util.max() < 0.7


def test_sample_best_selection_binds_budget_and_capacity(sample):
    """The promise of docs/sample-data.md, checked with the library's own select."""
    best = select(sample)
    assert best.status.value == "optimal"
    chosen = best.selected.index[best.selected]
    assert violations(sample, chosen, best.start[chosen]) == []
    cost = sample.projects.loc[chosen, "cost"].sum()
    assert cost >= 0.97 * sample.budget.total
    # the budget binds: 10 % more money buys a better portfolio
    assert select(sample, budget=1.1 * sample.budget.total).objective > best.objective + 1e-9
    # at least three competences are at (>= 95 % of) capacity in some quarter; with the
    # start chosen in the window and contractors available, the economic test (one more
    # person buys a better portfolio) is made by tools/make_sample.py's own model
    util = usage(sample, chosen, best.start[chosen])
    near = util.loc[util["utilisation"] >= 0.95, "competence"].unique()
    assert len(near) >= 3, near


# ---------------------------------------------------------------------------- synthetic
def check_synthetic(pf: Portfolio, n: int, n_comp: int, n_per: int) -> None:
    """Every structural promise of synthetic(), recomputed from the public tables."""
    projects = pf.projects
    assert len(pf) == n
    assert len(pf.competences) == n_comp
    assert len(pf.periods) == n_per
    assert pf.periods.tolist() == [f"{2027 + t // 4}-Q{t % 4 + 1}" for t in range(n_per)]
    width = max(6, len(str(n)))
    assert projects.index.tolist() == [f"P{i:0{width}d}" for i in range(1, n + 1)]
    # durations 1-4 and windows of at most 4 starts inside the horizon
    dur = projects["duration"].to_numpy()
    assert ((dur >= 1) & (dur <= min(4, n_per))).all()
    es = pf.period_position(projects["earliest_start"])
    ls = pf.period_position(projects["latest_start"])
    assert (es <= ls).all() and (ls - es <= 3).all()
    assert (ls + dur <= n_per).all()
    # 2-4 distinct competences per project, each needed in every period it runs
    demand = pf.demand
    per_project = demand.groupby("project_id")["competence"].nunique().reindex(projects.index)
    assert per_project.between(min(2, n_comp), min(4, n_comp)).all()
    rows = demand.groupby(["project_id", "competence"])["offset"].agg(["count", "min", "max"])
    d = projects.loc[rows.index.get_level_values("project_id"), "duration"].to_numpy()
    assert (rows["count"].to_numpy() == d).all() and (rows["min"] == 0).all()
    assert (rows["max"].to_numpy() == d - 1).all()
    assert (demand["amount"] > 0).all()
    # criteria and value
    for column in ("strategic_fit", "customer_impact", "urgency", "risk"):
        assert projects[column].between(1, 5).all()
    assert (projects["value"] > 0).all() and (projects["cost"] > 0).all()
    assert pf.criteria["criterion"].tolist() == ["strategic_fit", "financial_return",
                                                 "customer_impact", "urgency", "risk"]
    # relations: distinct, non-mandatory, no project in two relations
    rel = pf.relations
    assert len(rel) == n // 200
    ids = pd.concat([rel["project_id"], rel["other_id"]])
    assert ids.is_unique and not projects.loc[ids, "mandatory"].any()
    # the mandatory projects alone fit the budget and every capacity (at earliest start)
    mandatory = projects.index[projects["mandatory"]]
    assert projects.loc[mandatory, "cost"].sum() <= pf.budget.total
    assert violations(pf, mandatory) == []


@pytest.mark.parametrize(("n", "n_comp", "n_per"),
                         [(1, 1, 1), (7, 3, 2), (50, 2, 5), (500, 20, 12), (1200, 8, 9)])
def test_synthetic_structure(n, n_comp, n_per):
    check_synthetic(synthetic(n, n_comp, n_per, seed=3), n, n_comp, n_per)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 80), n_comp=st.integers(1, 6), n_per=st.integers(1, 7),
       seed=st.integers(0, 2**32))
def test_synthetic_structure_property(n, n_comp, n_per, seed):
    check_synthetic(synthetic(n, n_comp, n_per, seed), n, n_comp, n_per)


def test_synthetic_is_deterministic_by_seed():
    a, b, c = synthetic(400, 6, 8, seed=11), synthetic(400, 6, 8, seed=11), synthetic(
        400, 6, 8, seed=12)
    for table in ("projects", "demand", "capacity", "relations", "criteria"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table))
    assert a.budget.total == b.budget.total
    assert not a.projects.equals(c.projects)
    assert not a.demand.equals(c.demand)
    assert a.budget.total != c.budget.total


def test_synthetic_budget_and_capacity_sizing():
    pf = synthetic(5000, seed=2)
    projects = pf.projects
    mand_cost = projects.loc[projects["mandatory"], "cost"].sum()
    assert mand_cost < 0.35 * projects["cost"].sum()
    assert pf.budget.total == pytest.approx(0.35 * projects["cost"].sum(), abs=0.1)
    # capacity ~35 % of the average load per competence with every project at earliest start
    demand = pf.demand
    period = pf.period_position(projects.loc[demand["project_id"], "earliest_start"])
    load = demand.assign(t=period + demand["offset"].to_numpy()).groupby(
        ["competence", "t"])["amount"].sum().unstack(fill_value=0.0)
    ratio = pf.capacity.groupby("competence")["amount"].mean() / load.mean(axis=1)
    assert ratio.between(0.3, 0.4).all()


def test_synthetic_roughly_a_third_fits():
    # a feasible portfolio from the greedy heuristic (a MILP solve of this size does not close
    # its gap in seconds), checked by the independent checker
    from portfolio_opt import SelectionModel
    from portfolio_opt.heuristic import chosen_options, greedy

    pf = synthetic(1000, n_competences=6, n_periods=8, seed=5)
    model = SelectionModel(pf)
    model.build()
    x = greedy(model.matrix_)
    assert x is not None
    position, start = chosen_options(model.matrix_, x)
    chosen = pf.project_ids[position]
    starts = pd.Series(pf.periods[start], index=chosen)
    assert violations(pf, chosen, starts) == []
    assert 0.2 <= len(chosen) / len(pf) <= 0.5


def _python_calls(monkeypatch, n: int) -> tuple[int, int]:
    """Python-level calls made by synthetic(n) itself (Portfolio replaced by a stub)."""
    captured = {}

    def stub(projects, demand, *args, **kwargs):
        captured["rows"] = len(projects), len(demand)
        return captured

    monkeypatch.setattr("portfolio_opt.portfolio.Portfolio", stub)
    profile = cProfile.Profile()
    profile.enable()
    synthetic(n, seed=1)
    profile.disable()
    return pstats.Stats(profile).total_calls, captured["rows"]


def test_synthetic_effort_is_linear_without_loops_per_project(monkeypatch):
    """Vectorised: the number of Python calls does not grow with the number of projects,
    and the tables grow linearly (at most 4 competences x 4 periods per project)."""
    small_calls, (small_p, small_d) = _python_calls(monkeypatch, 1_000)
    large_calls, (large_p, large_d) = _python_calls(monkeypatch, 16_000)
    assert (small_p, large_p) == (1_000, 16_000)
    assert small_d <= 16 * 1_000 and large_d <= 16 * 16_000
    assert large_calls <= 1.1 * small_calls + 100, (small_calls, large_calls)


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_projects": 0}, "synthetic: n_projects must be a whole number >= 1, got 0 (int). "
                            "Pass e.g. synthetic(1000)."),
        ({"n_projects": True}, "n_projects must be a whole number >= 1, got True (bool)"),
        ({"n_projects": "10"}, "n_projects must be a whole number >= 1, got '10' (str)"),
        ({"n_projects": 10, "n_competences": 0},
         "synthetic: n_competences must be a whole number >= 1, got 0 (int). "
         "Pass e.g. synthetic(1000, n_competences=20)."),
        ({"n_projects": 10, "n_periods": 2.5},
         "synthetic: n_periods must be a whole number >= 1, got 2.5 (float). "
         "Pass e.g. synthetic(1000, n_periods=12)."),
        ({"n_projects": 10, "seed": -1},
         "synthetic: seed must be a whole number >= 0, got -1 (int). "
         "Pass e.g. synthetic(1000, seed=0)."),
        ({"n_projects": 10, "seed": None}, "seed must be a whole number >= 0, got None"),
    ],
)
def test_synthetic_rejects_bad_arguments(kwargs, message):
    with pytest.raises(InputError, match=re.escape(message)):
        synthetic(**kwargs)


def test_synthetic_lists_every_bad_argument_at_once():
    with pytest.raises(ValueError, match=r"2 problems in the input:\n"
                       r"  - synthetic: n_projects must .*\n"
                       r"  - synthetic: n_periods must .*") as info:
        synthetic(-5, n_periods=0)
    assert len(info.value.problems) == 2


def test_synthetic_accepts_numpy_integers():
    pf = synthetic(np.int64(5), np.int32(3), np.int16(4), seed=np.uint8(1))
    assert (len(pf), len(pf.competences), len(pf.periods)) == (5, 3, 4)
