"""Tests of Robust Portfolio Modeling (portfolio_opt.robust, portfolio_opt.robust_enum).

Numbers are checked against the published R implementation's fixture (tests/data/rpm), against
brute force over every subset (tests/checker.py decides which subsets are feasible, from the
public tables only) with an independent numpy dominance check, and against invariants.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker import brute_force, subsets
from conftest import DATA, portfolio_cases
from portfolio_opt import Portfolio
from portfolio_opt.exceptions import InfeasibleError, InputError
from portfolio_opt.plotting.robust import CLASS_COLOURS, plot_core_index
from portfolio_opt.robust import robust_portfolios, weight_extreme_points

matplotlib.use("Agg")

RPM = DATA / "rpm"
CRITERIA = ["Cri1", "Cri2", "Cri3"]
BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_rpm.py"


def fixture_portfolio() -> Portfolio:
    data = pd.read_csv(RPM / "data.csv", index_col=0)
    projects = pd.DataFrame({"project_id": data.index, "cost": data["Constraint..1"],
                             **{c: data[c] for c in CRITERIA}})
    return Portfolio(projects, budget=300)


def fixture_results() -> tuple[set, set]:
    plain = pd.read_csv(RPM / "results.csv", index_col=0).to_numpy().astype(bool)
    text = (RPM / "results-constr.csv").read_text().replace("\r\n", "\n").replace("\r", "\n")
    rows = [line.split(";") for line in text.strip().split("\n")]
    assert len(rows[0]) == 16 and rows[0][1] == "Project #1"
    ranked = np.array([[int(v) for v in r[1:]] for r in rows[1:]], dtype=bool)
    return {tuple(r) for r in plain}, {tuple(r) for r in ranked}


def as_set(result) -> set:
    return {tuple(r) for r in result.portfolios.to_numpy(dtype=bool)}


def pareto(values: np.ndarray) -> np.ndarray:
    """Independent dominance check: a row is kept unless another is >= everywhere, > somewhere."""
    keep = []
    for i, v in enumerate(values):
        dominated = any(np.all(w >= v - 1e-9) and np.any(w > v + 1e-9)
                        for j, w in enumerate(values) if j != i)
        keep.append(not dominated)
    return np.array(keep, dtype=bool)


# ------------------------------------------------------------------ the published fixture


@pytest.mark.parametrize("method", ["dp", "milp"])
def test_reproduces_r_fixture(method):
    plain, ranked = fixture_results()
    pf = fixture_portfolio()
    none = robust_portfolios(pf, CRITERIA, value_scale="raw", method=method)
    assert len(plain) == 9 and len(ranked) == 6
    assert as_set(none) == plain and len(none.portfolios) == 9
    assert none.complete and none.method == method
    order = robust_portfolios(pf, CRITERIA, ranking=CRITERIA, value_scale="raw", method=method)
    assert as_set(order) == ranked and len(order.portfolios) == 6
    # core index recomputed from the published portfolios
    expected = np.array(sorted(ranked)).mean(axis=0)
    np.testing.assert_allclose(order.core_index.to_numpy(), expected)
    cls = order.classes
    assert (cls[order.core_index == 1] == "core").all()
    assert (cls[order.core_index == 0] == "exterior").all()
    assert set(cls) == {"core", "borderline", "exterior"}
    assert list(order.portfolios.columns) == list(pf.projects.index)


def test_fixture_values_and_summary():
    pf = fixture_portfolio()
    res = robust_portfolios(pf, CRITERIA, ranking=CRITERIA, value_scale="raw")
    scores = pf.projects[CRITERIA].to_numpy(dtype=float)
    points = np.array([[1, 0, 0], [1 / 2, 1 / 2, 0], [1 / 3, 1 / 3, 1 / 3]])
    x = res.portfolios.to_numpy(dtype=float)
    np.testing.assert_allclose(res.values.to_numpy(), x @ scores @ points.T)
    np.testing.assert_allclose(res.extreme_points.to_numpy(), points)
    np.testing.assert_allclose(res.summary["cost"], x @ pf.projects["cost"].to_numpy())
    assert (res.summary["cost"] <= 300).all()
    assert (res.summary["status"] == "optimal").all()
    centre = res.summary["value_centre"].to_numpy()
    assert (np.diff(centre) <= 1e-9).all()  # best at the centre first
    frame = res.to_frame()
    assert list(frame.columns) == ["core_index", "robustness", "n_portfolios"]
    assert (frame["n_portfolios"] == x.sum(axis=0)).all()
    assert "6 non-dominated portfolios (complete" in repr(res)
    assert "<table" in res._repr_html_()


def test_normalised_scores_do_not_reproduce_fixture():
    """The R package uses raw scores: min-max normalisation changes the answer (14 vs 9)."""
    plain, _ = fixture_results()
    res = robust_portfolios(fixture_portfolio(), CRITERIA)
    assert len(res.portfolios) == 14 and plain < as_set(res)


def test_cap_is_honest_and_weights_screen_is_a_subset():
    plain, _ = fixture_results()
    pf = fixture_portfolio()
    capped = robust_portfolios(pf, CRITERIA, value_scale="raw", method="milp", max_portfolios=3)
    assert len(capped.portfolios) == 3 and not capped.complete
    assert as_set(capped) <= plain
    assert "INCOMPLETE" in repr(capped)
    screen = robust_portfolios(pf, CRITERIA, value_scale="raw", method="weights", samples=5,
                               seed=3)
    assert not screen.complete and screen.n_solves == 1 + 3 + 5
    assert 1 <= len(screen.portfolios) and as_set(screen) <= plain


def test_parallel_equals_serial():
    pf = fixture_portfolio()
    serial = robust_portfolios(pf, CRITERIA, ranking=CRITERIA, value_scale="raw",
                               method="milp")
    screen = robust_portfolios(pf, CRITERIA, value_scale="raw", method="weights", samples=4,
                               seed=7)
    with ProcessPoolExecutor(max_workers=2) as pool:
        split = robust_portfolios(pf, CRITERIA, ranking=CRITERIA, value_scale="raw",
                                  method="milp", split=1, executor=pool)
        screen2 = robust_portfolios(pf, CRITERIA, value_scale="raw", method="weights",
                                    samples=4, seed=7, executor=pool)
    pd.testing.assert_frame_equal(serial.portfolios, split.portfolios)
    pd.testing.assert_series_equal(serial.core_index, split.core_index)
    assert split.complete
    pd.testing.assert_frame_equal(screen.portfolios, screen2.portfolios)


# ------------------------------------------------------------------ brute force


def brute_nondominated(values: np.ndarray, feasible: np.ndarray, x: np.ndarray) -> set:
    v = x[feasible].astype(float) @ values
    return {tuple(r) for r in x[feasible][pareto(v)]}


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_dp_matches_brute_force(data):
    n = data.draw(st.integers(1, 9))
    k = data.draw(st.integers(1, 3))
    scores = np.array(data.draw(st.lists(st.lists(st.integers(-1, 4), min_size=k, max_size=k),
                                         min_size=n, max_size=n)), dtype=float)
    cost = np.array(data.draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), float)
    budget = data.draw(st.integers(0, int(cost.sum()) + 1))
    mandatory = [False] * n
    if data.draw(st.booleans()):
        mandatory[data.draw(st.integers(0, n - 1))] = True
    names = [f"c{i}" for i in range(k)]
    projects = pd.DataFrame({"project_id": [f"P{j}" for j in range(n)], "cost": cost,
                             "mandatory": mandatory,
                             **{c: scores[:, i] for i, c in enumerate(names)}})
    pf = Portfolio(projects, budget=budget)
    ranking = names if data.draw(st.booleans()) else None
    x = subsets(n)
    feasible = (x @ cost <= budget) & x[:, np.array(mandatory)].all(axis=1)
    if not feasible.any():
        with pytest.raises(InfeasibleError):
            robust_portfolios(pf, names, ranking=ranking, value_scale="raw", method="dp")
        return
    res = robust_portfolios(pf, names, ranking=ranking, value_scale="raw", method="dp")
    points = res.extreme_points.to_numpy()
    assert as_set(res) == brute_nondominated(scores @ points.T, feasible, x)
    assert res.complete and len(res.portfolios) == len(as_set(res))


@settings(max_examples=25, deadline=None)
@given(case=portfolio_cases(max_projects=5, features=frozenset(
    {"windows", "lags", "groups", "buckets", "risk", "flex"})), data=st.data())
def test_milp_matches_brute_force_under_all_constraints(case, data):
    """Capacities, windows, relations, groups, buckets, risk: the checker decides feasibility."""
    pf = case.portfolio()
    ids = list(pf.projects.index)
    n = len(ids)
    # conflicting criteria (c1 high where c0 is low), so that several portfolios survive
    c0 = np.array(data.draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), dtype=float)
    c1 = 4 - c0 + np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    scores = np.column_stack([c0, c1])
    pf = pf.replace(projects=pf.projects.assign(c0=scores[:, 0], c1=scores[:, 1]))
    options = {k: v for k, v in case.check_options.items() if v is not None}
    x = subsets(n)
    zero = pd.Series(0.0, index=ids)
    feasible = np.array([brute_force(
        pf, zero, **{**options, "force_in": [*options.get("force_in", []),
                                             *np.array(ids)[row]],
                     "force_out": [*options.get("force_out", []), *np.array(ids)[~row]]})
        is not None for row in x])
    kwargs = {k: v for k, v in options.items() if not (k == "schedule" and v is True)}
    if not feasible.any():
        with pytest.raises(InfeasibleError):
            robust_portfolios(pf, ["c0", "c1"], value_scale="raw", method="milp", **kwargs)
        return
    res = robust_portfolios(pf, ["c0", "c1"], value_scale="raw", method="milp", **kwargs)
    assert res.complete
    assert as_set(res) == brute_nondominated(scores, feasible, x)


def test_milp_matches_brute_force_on_a_constrained_case():
    """Capacities per period, start windows, requires / excludes, per-period budget."""
    periods = ["2027-Q1", "2027-Q2", "2027-Q3"]
    projects = pd.DataFrame({
        "project_id": [f"P{j}" for j in range(7)],
        "cost": [4.0, 3.0, 5.0, 2.0, 4.0, 3.0, 2.0], "duration": [1, 2, 1, 2, 1, 1, 3],
        "earliest_start": ["2027-Q1", "2027-Q1", "2027-Q2", "2027-Q1", "2027-Q1", "2027-Q3",
                           "2027-Q1"],
        "latest_start": ["2027-Q3", "2027-Q2", "2027-Q3", "2027-Q2", "2027-Q2", "2027-Q3",
                         "2027-Q1"],
        "c0": [5.0, 1.0, 4.0, 0.0, 3.0, 2.0, 1.0], "c1": [0.0, 4.0, 1.0, 5.0, 2.0, 3.0, 2.0],
        "c2": [2.0, 2.0, 0.0, 1.0, 3.0, 0.0, 4.0]})
    demand = pd.DataFrame({"project_id": projects["project_id"], "competence": "dev",
                           "amount": [3.0, 2.0, 3.0, 1.0, 2.0, 2.0, 1.0]})
    capacity = pd.DataFrame({"competence": "dev", "period": periods, "amount": [4.0, 4.0, 4.0]})
    relations = pd.DataFrame({"kind": ["requires", "excludes"], "project_id": ["P5", "P0"],
                              "other_id": ["P3", "P4"]})
    budget = pd.DataFrame({"period": ["total", *periods], "amount": [14.0, 7.0, 7.0, 7.0]})
    pf = Portfolio(projects, demand, capacity, budget=budget, relations=relations,
                   periods=periods)
    ids = np.array(pf.projects.index)
    x = subsets(len(ids))
    zero = pd.Series(0.0, index=ids)
    feasible = np.array([brute_force(pf, zero, force_in=ids[r], force_out=ids[~r]) is not None
                         for r in x])
    scores = pf.projects[["c0", "c1", "c2"]].to_numpy(dtype=float)
    for ranking in (None, ["c0", "c1", "c2"]):
        res = robust_portfolios(pf, ["c0", "c1", "c2"], ranking=ranking, value_scale="raw")
        assert res.method == "milp" and res.complete
        expected = brute_nondominated(scores @ res.extreme_points.to_numpy().T, feasible, x)
        assert len(expected) >= 3
        assert as_set(res) == expected


def test_ties_are_kept():
    """Two projects with equal scores: both single-project portfolios are non-dominated."""
    pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [1.0, 1.0, 1.0],
                                 "q": [2.0, 2.0, 1.0], "s": [1.0, 1.0, 0.0]}), budget=1)
    for method in ("dp", "milp"):
        res = robust_portfolios(pf, ["q", "s"], value_scale="raw", method=method)
        assert as_set(res) == {(True, False, False), (False, True, False)}
        assert res.classes.tolist() == ["borderline", "borderline", "exterior"]


def test_milp_respects_relations_dp_refuses_them():
    pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [1.0, 1.0, 1.0],
                                 "q": [3.0, 1.0, 2.0], "s": [1.0, 3.0, 2.0]}), budget=2,
                   relations=pd.DataFrame({"kind": ["excludes"], "project_id": ["A"],
                                           "other_id": ["B"]}))
    res = robust_portfolios(pf, ["q", "s"], value_scale="raw")
    assert res.method == "milp"
    assert as_set(res) == {(True, False, True), (False, True, True)}
    with pytest.raises(InputError, match="method='dp' handles a total budget only; this "
                                         "portfolio has relations"):
        robust_portfolios(pf, ["q", "s"], value_scale="raw", method="dp")


def test_sample_screen_runs_and_never_mutates(sample_tables, sample_screen):
    # the screen is solved once a session (conftest): on a deep copy of the sample's tables
    pf, res = sample_screen.portfolio, sample_screen.result
    pd.testing.assert_frame_equal(pf.projects, sample_screen.projects_before)
    for k, v in sample_tables.items():
        pd.testing.assert_frame_equal(sample_screen.tables[k], v)
    assert not res.complete and len(res.extreme_points) == 9
    assert res.method == "weights" and len(res.portfolios) >= 1
    # every portfolio found is feasible for the budget, and none dominates another
    assert (res.summary["cost"] <= 11000 + 1e-6).all()
    assert pareto(res.values.to_numpy()).all()


# ------------------------------------------------------------------ weight sets


def test_extreme_points_closed_forms():
    pts = weight_extreme_points(["a", "b", "c", "d"], ["b", "a"])
    got = {tuple(np.round(r, 9)) for r in pts.to_numpy()}
    # free criteria c, d: unit vectors; chain b >= a: (0,1,0,0) and (1/2,1/2,0,0)
    assert got == {(0, 1, 0, 0), (0.5, 0.5, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1)}
    tied = weight_extreme_points(["a", "b", "c"], ["a", ("b", "c")])
    got = {tuple(np.round(r, 9)) for r in tied.to_numpy()}
    assert got == {(1, 0, 0), (0.5, 0.5, 0), (0.5, 0, 0.5), (round(1 / 3, 9),) * 3}
    bounded = weight_extreme_points(["a", "b"], lower={"a": 0.2}, upper={"a": 0.6})
    assert {tuple(np.round(r, 9)) for r in bounded.to_numpy()} == {(0.2, 0.8), (0.6, 0.4)}
    np.testing.assert_allclose(pts.sum(axis=1), 1.0)


def test_ranking_from_weights_and_explicit_points():
    pf = fixture_portfolio()
    table = pd.DataFrame({"criterion": CRITERIA, "weight": [3, 2, 2]})
    res = robust_portfolios(pf, table, ranking="weights", value_scale="raw")
    got = {tuple(np.round(r, 9)) for r in res.extreme_points.to_numpy()}
    assert got == {(1, 0, 0), (0.5, 0.5, 0), (0.5, 0, 0.5), (round(1 / 3, 9),) * 3}
    points = pd.DataFrame([[2.0, 2.0, 0.0], [1.0, 1.0, 1.0]], columns=CRITERIA)
    kept = points.copy()
    explicit = robust_portfolios(pf, CRITERIA, extreme_points=points, value_scale="raw")
    pd.testing.assert_frame_equal(points, kept)
    np.testing.assert_allclose(explicit.extreme_points.to_numpy()[0], [0.5, 0.5, 0.0])


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"value_scale": "log"}, "unknown value_scale 'log'; valid: normalised, raw"),
    ({"method": "magic"}, "unknown method 'magic'; valid: 'auto', 'dp', 'milp', 'weights'"),
    ({"max_portfolios": 0}, "max_portfolios must be a whole number >= 1, got 0"),
    ({"split": -1}, "split must be a whole number >= 0, got -1"),
    ({"samples": 1.5}, "samples must be a whole number >= 0, got 1.5"),
    ({"tolerance": 0}, "tolerance must be a number > 0, got 0"),
    ({"colour": "red"}, r"robust_portfolios: unknown option 'colour'; valid options: budget"),
    ({"ranking": ["Cri1", "Cri9"]}, r"ranking names \['Cri9'\], which are not criteria"),
    ({"ranking": ["Cri1", "Cri1"]}, r"ranking names \['Cri1'\] more than once"),
    ({"ranking": CRITERIA, "extreme_points": np.eye(3)}, "give ranking= or extreme_points="),
    ({"extreme_points": pd.DataFrame({"Cri1": [1.0]})},
     r"extreme_points must be a table .* missing columns \['Cri2', 'Cri3'\]"),
    ({"extreme_points": pd.DataFrame({"Cri1": [-1.0], "Cri2": [1.0], "Cri3": [1.0]})},
     "weights >= 0 and not all 0 in a row"),
])
def test_input_errors(kwargs, match):
    with pytest.raises(InputError, match=match):
        robust_portfolios(fixture_portfolio(), CRITERIA, **{"value_scale": "raw", **kwargs})


def test_weight_set_errors():
    with pytest.raises(InputError, match="criteria must be distinct and at least one"):
        weight_extreme_points(["a", "a"])
    with pytest.raises(InputError, match="no weights satisfy the ranking and bounds"):
        weight_extreme_points(["a", "b"], lower={"a": 0.7, "b": 0.7})
    with pytest.raises(InputError, match=r"lower bounds must be numbers from 0 to 1 .* "
                                         r"unknown criteria \['z'\]"):
        weight_extreme_points(["a", "b"], lower={"z": 0.1})
    with pytest.raises(InputError, match="upper bounds must be a dict or Series by criterion"):
        weight_extreme_points(["a", "b"], upper=[0.5])
    with pytest.raises(InputError, match="too many to enumerate its extreme points"):
        weight_extreme_points([f"c{i}" for i in range(14)], [f"c{i}" for i in range(14)],
                              lower={f"c{i}": 0.01 for i in range(14)})


def test_raw_scale_needs_scores_and_ranking_weights_needs_table():
    pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [1.0, 1.0],
                                 "q": [1.0, np.nan]}), budget=1)
    with pytest.raises(InputError, match=r"value_scale='raw' needs every criterion score; "
                                         r"B \(1 project\) have a missing score"):
        robust_portfolios(pf, ["q"], value_scale="raw")
    with pytest.raises(InputError, match="ranking='weights' needs a criteria table"):
        robust_portfolios(fixture_portfolio(), CRITERIA, ranking="weights")


def test_infeasible_base_case_raises():
    pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [5.0, 1.0],
                                 "mandatory": [True, False], "q": [1.0, 2.0]}), budget=3)
    for method in ("dp", "milp"):
        with pytest.raises(InfeasibleError):
            robust_portfolios(pf, ["q"], value_scale="raw", method=method)


# ------------------------------------------------------------------ plot and benchmark


def test_plot_core_index_matches_table(tmp_path):
    res = robust_portfolios(fixture_portfolio(), CRITERIA, ranking=CRITERIA, value_scale="raw")
    ax = plot_core_index(res)
    table = res.to_frame().sort_values("core_index", ascending=False, kind="stable").iloc[::-1]
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(widths, table["core_index"].to_numpy())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == list(table.index)
    colours = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches]
    assert colours == [CLASS_COLOURS[c] for c in table["robustness"]]
    ax.figure.savefig(tmp_path / "core.png")
    assert (tmp_path / "core.png").stat().st_size > 1000
    assert len(plot_core_index(res, top=4).patches) == 4
    for bad in (0, -2, 1.5, True):
        with pytest.raises(InputError, match=r"plot_core_index: top must be a whole number >= 1 "
                                             r"\(or None for every row\), got "):
            plot_core_index(res, top=bad)


def test_benchmark_smoke(tmp_path):
    spec = importlib.util.spec_from_file_location("_bench_rpm", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    out = tmp_path / "rpm.json"
    module.main(["--sizes", "6", "8", "--criteria", "2", "--repeat", "1",
                 "--milp-max", "8", "--json", str(out)])
    records = json.loads(out.read_text())
    assert [r["n_projects"] for r in records if r["method"] == "dp"] == [6, 6, 8, 8]
    for r in records:
        assert {"n_projects", "method", "n_portfolios", "seconds", "complete",
                "brute_force_agrees"} <= set(r)
        assert r["brute_force_agrees"] in (True, None)
