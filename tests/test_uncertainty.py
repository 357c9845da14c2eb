"""Monte Carlo over uncertain cost, value and duration (portfolio_opt.uncertainty).

Numbers are checked against closed forms (moments of the triangular, PERT and uniform
distributions, Kolmogorov-Smirnov against scipy.stats), against a plain-Python recomputation
from the draws (totals, budget and capacity exceedances, the documented duration rules),
against a sort-free CVaR formula (Rockafellar & Uryasev), against tests/checker.py (brute-force
optimum of each draw, usage and spend of a selection) and against the deterministic selection
when every range is degenerate.
"""

from __future__ import annotations

import copy
import io
from concurrent.futures import ProcessPoolExecutor

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from scipy import stats  # noqa: E402

import checker  # noqa: E402
from portfolio_opt import InputError, Portfolio, datasets, select  # noqa: E402
from portfolio_opt.plotting.uncertainty import (  # noqa: E402
    plot_selection_probability,
    plot_value_distribution,
)
from portfolio_opt.uncertainty import (  # noqa: E402
    project_ranges,
    selection_probability,
    simulate,
)

PERIODS = ["Q1", "Q2", "Q3", "Q4"]


def _tables() -> dict:
    """Four projects over four quarters, two competences, total and per-period budgets."""
    projects = pd.DataFrame({
        "project_id": ["A", "B", "C", "D"],
        "cost": [10.0, 6.0, 4.0, 5.0], "cost_low": [8.0, 6.0, None, 4.0],
        "cost_high": [16.0, 9.0, None, 7.0],
        "value": [5.0, 4.0, 3.0, 2.0], "value_low": [3.0, 2.0, 1.0, 2.0],
        "value_high": [6.0, 4.0, 8.0, 2.0],
        "duration": [2, 1, 2, 1], "duration_low": [1, 1, 2, 1], "duration_high": [3, 2, 4, 1],
        "earliest_start": ["Q1", "Q2", "Q3", "Q1"],
    })
    demand = pd.DataFrame({
        "project_id": ["A", "A", "B", "B", "C", "D"],
        "competence": ["dev", "dev", "dev", "ops", "dev", "ops"],
        "offset": [0, 1, None, None, None, None],
        "amount": [2.0, 1.0, 1.5, 1.0, 1.0, 2.0]})
    capacity = pd.DataFrame({
        "competence": ["dev"] * 4 + ["ops"] * 4, "period": PERIODS * 2,
        "amount": [2.8] * 4 + [2.5] * 4,
        "flex_amount": [0.0] * 5 + [1.0, 0.0, 0.0], "flex_cost": [0.0] * 5 + [1.0, 0.0, 0.0]})
    budget = pd.DataFrame({"period": ["total", *PERIODS], "amount": [22.0, 8.0, 8.0, 8.0, 8.0]})
    return {"projects": projects, "demand": demand, "capacity": capacity, "budget": budget,
            "periods": PERIODS}


def _pf(**changes) -> Portfolio:
    tables = _tables()
    tables.update(changes)
    return Portfolio(**tables)


def _high(u, low, likely, high):
    return np.broadcast_to(high, u.shape).copy()


# ------------------------------------------------------------------ distributions


@pytest.mark.parametrize("kind", ["triangular", "pert", "uniform"])
def test_moments_and_shape_match_closed_forms(kind):
    n = 20_000
    sim = simulate(_pf(), ["A", "D"], n=n, seed=11, distribution=kind)
    x = sim.project_draws[("cost", "A")].to_numpy()
    a, m, b = 8.0, 10.0, 16.0
    if kind == "triangular":
        mean, var = (a + m + b) / 3, (a * a + m * m + b * b - a * m - a * b - m * b) / 18
        dist = stats.triang((m - a) / (b - a), loc=a, scale=b - a)
    elif kind == "pert":
        mean = (a + 4 * m + b) / 6
        var = (mean - a) * (b - mean) / 7  # lambda = 4: var = (mu - a)(b - mu) / (lambda + 3)
        dist = stats.beta(1 + 4 * (m - a) / (b - a), 1 + 4 * (b - m) / (b - a), loc=a,
                          scale=b - a)
    else:
        mean, var = (a + b) / 2, (b - a) ** 2 / 12
        dist = stats.uniform(loc=a, scale=b - a)
    assert abs(x.mean() - mean) < 4 * np.sqrt(var / n)
    assert abs(x.var(ddof=1) - var) < 0.05 * var
    assert stats.kstest(x, dist.cdf).pvalue > 1e-3
    assert x.min() >= a and x.max() <= b
    # D's value range is degenerate: exactly the likely value, every draw
    assert (sim.project_draws[("value", "D")] == 2.0).all()


@settings(max_examples=15, deadline=None)
@given(st.floats(0, 50), st.floats(0, 50), st.floats(0, 50),
       st.sampled_from(["triangular", "pert", "uniform"]))
def test_draws_stay_within_low_and_high(p, q, r, kind):
    low, likely, high = sorted([p, q, r])
    pf = Portfolio(pd.DataFrame({"project_id": ["A"], "cost": [likely], "cost_low": [low],
                                 "cost_high": [high], "value": [1.0]}))
    x = simulate(pf, ["A"], n=200, seed=0, distribution=kind).project_draws[("cost", "A")]
    tol = 1e-9 * max(1.0, high)
    assert x.min() >= low - tol and x.max() <= high + tol


def test_distribution_per_quantity_and_callable():
    sim = simulate(_pf(), ["A"], n=50, seed=1,
                   distribution={"cost": _high, "duration": "uniform"})
    assert (sim.project_draws[("cost", "A")] == 16.0).all()
    assert set(sim.project_draws[("duration", "A")]) <= {1, 2, 3}


def test_durations_are_whole_periods_rounded_from_the_draw():
    pf = _pf()
    sim = simulate(pf, ["A"], n=4000, seed=5, distribution={"duration": "uniform"})
    d = sim.project_draws[("duration", "A")].to_numpy()
    # uniform on [1, 3] rounded half up: 1 w.p. 1/4, 2 w.p. 1/2, 3 w.p. 1/4
    for k, p in ((1, 0.25), (2, 0.5), (3, 0.25)):
        assert abs((d == k).mean() - p) < 4 * np.sqrt(p * (1 - p) / len(d))


# -------------------------------------------------- fixed portfolio: recomputed from draws


def _recompute(pf: Portfolio, sim, effect: str = "rate"):
    """Totals, spend and need per draw, in plain Python, from the documented rules."""
    projects, demand = pf.projects, pf.demand
    comps = list(pd.unique(pf.capacity["competence"]))
    n_t = len(PERIODS)
    n = sim.n
    spend = np.zeros((n, n_t))
    need = np.zeros((n, len(comps), n_t))
    for i in range(n):
        for pid in sim.selected:
            s = PERIODS.index(sim.start[pid])
            d = int(sim.project_draws.loc[i, ("duration", pid)])
            c = sim.project_draws.loc[i, ("cost", pid)]
            d0 = int(projects.loc[pid, "duration"])
            for k in range(d):
                if s + k < n_t:
                    spend[i, s + k] += c / d
            rows = demand[demand["project_id"] == pid]
            for comp in set(rows["competence"]):
                planned = np.zeros(d0)
                for r in rows[rows["competence"] == comp].itertuples():
                    planned[r.offset] += r.amount
                stretched = np.array([planned[k * d0 // d] for k in range(d)])
                if effect == "work" and stretched.sum() > 0:
                    stretched *= planned.sum() / stretched.sum()
                for k in range(d):
                    if s + k < n_t:
                        need[i, comps.index(comp), s + k] += stretched[k]
    return spend, need


@pytest.mark.parametrize("effect", ["rate", "work"])
def test_fixed_portfolio_numbers_match_a_direct_recomputation(effect):
    pf = _pf()
    sim = simulate(pf, ["A", "B", "C"], n=200, seed=3, duration_effect=effect)
    d = sim.project_draws
    value = d["value"][["A", "B", "C"]].sum(axis=1).to_numpy()
    cost = d["cost"][["A", "B", "C"]].sum(axis=1).to_numpy()
    np.testing.assert_allclose(sim.draws["value"], value, rtol=1e-12)
    np.testing.assert_allclose(sim.draws["cost"], cost, rtol=1e-12)
    spend, need = _recompute(pf, sim, effect)
    cap = np.array([[2.8] * 4, [2.5] * 4])
    flex = np.array([[0.0] * 4, [0.0, 1.0, 0.0, 0.0]])
    over_total = cost > 22.0
    over_period = (spend > 8.0 + 1e-9).any(axis=1)
    over_cap = need > cap + 1e-9
    over_flex = need > cap + flex + 1e-9
    assert (sim.draws["over_total_budget"] == over_total).all()
    assert (sim.draws["over_period_budget"] == over_period).all()
    assert (sim.draws["over_budget"] == (over_total | over_period)).all()
    assert (sim.draws["over_capacity"] == over_cap.any(axis=(1, 2))).all()
    assert (sim.draws["over_capacity_flex"] == over_flex.any(axis=(1, 2))).all()
    starts = np.array([0, 1, 2])
    past = (starts + d["duration"][["A", "B", "C"]].to_numpy() > 4).sum(axis=1)
    assert (sim.draws["past_horizon"] == past).all()
    assert 0 < sim.probability_over_budget < 1 and 0 < sim.probability_over_capacity < 1
    assert sim.probability_over_budget == pytest.approx((over_total | over_period).mean())
    risk = sim.capacity_risk.set_index(["competence", "period"])
    for ci, comp in enumerate(["dev", "ops"]):
        for t, p in enumerate(PERIODS):
            assert risk.loc[(comp, p), "probability_over"] == over_cap[:, ci, t].mean()
            assert risk.loc[(comp, p), "probability_over_flex"] == over_flex[:, ci, t].mean()
            assert risk.loc[(comp, p), "mean"] == pytest.approx(need[:, ci, t].mean())
    np.testing.assert_allclose(sim.budget_risk["mean"], spend.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(sim.budget_risk["probability_over"],
                               (spend > 8.0 + 1e-9).mean(axis=0))
    summary = sim.summary
    assert summary.loc["value", "mean"] == pytest.approx(value.mean())
    assert summary.loc["cost", "p95"] == pytest.approx(np.quantile(cost, 0.95))
    assert summary.loc["value", "planned"] == 12.0 and summary.loc["cost", "planned"] == 20.0


def test_duration_rules_rate_and_work_on_one_project():
    """A: planned dev need [2, 1] over 2 quarters, drawn 3 quarters, cost 16 -> 16/3 each."""
    pf = _pf()
    rate = simulate(pf, ["A"], n=3, seed=0, distribution=_high)
    work = simulate(pf, ["A"], n=3, seed=0, distribution=_high, duration_effect="work")
    dev = rate.capacity_risk.query("competence == 'dev'")["mean"].to_numpy()
    np.testing.assert_allclose(dev, [2.0, 2.0, 1.0, 0.0])  # offsets 0,1,2 -> planned 0,0,1
    dev = work.capacity_risk.query("competence == 'dev'")["mean"].to_numpy()
    np.testing.assert_allclose(dev, [1.2, 1.2, 0.6, 0.0])  # total 3 kept: [2, 2, 1] * 3/5
    np.testing.assert_allclose(rate.budget_risk["mean"], [16 / 3] * 3 + [0.0])
    # C starts in Q3 with a planned 2 quarters; drawn 4 it runs past the horizon
    late = simulate(pf, ["C"], n=3, seed=0, distribution=_high, duration_effect="work")
    assert (late.draws["past_horizon"] == 1).all()
    dev = late.capacity_risk.query("competence == 'dev'")["mean"].to_numpy()
    np.testing.assert_allclose(dev, [0.0, 0.0, 0.5, 0.5])  # total 2 over 4 quarters, 2 seen
    assert late.draws["cost"].iloc[0] == 4.0  # the whole cost counts against the total budget


def test_cvar_matches_sorting_and_the_rockafellar_uryasev_formula():
    sim = simulate(_pf(), ["A", "B", "C"], n=40, seed=8)
    v = sim.draws["value"].to_numpy()
    c = sim.draws["cost"].to_numpy()
    assert sim.cvar(0.1) == pytest.approx(np.sort(v)[:4].mean())
    assert sim.cvar(0.1, of="cost") == pytest.approx(np.sort(c)[-4:].mean())
    assert sim.cvar(1.0) == pytest.approx(v.mean())
    for alpha in (0.05, 0.13, 0.5):
        lower = max(t - np.maximum(t - v, 0).mean() / alpha for t in v)
        upper = min(t + np.maximum(c - t, 0).mean() / alpha for t in c)
        assert sim.cvar(alpha) == pytest.approx(lower, rel=1e-12)
        assert sim.cvar(alpha, of="cost") == pytest.approx(upper, rel=1e-12)


def test_same_seed_same_draws_and_common_random_numbers():
    pf = _pf()
    one = simulate(pf, ["A", "B"], n=100, seed=42)
    two = simulate(pf, ["A", "B"], n=100, seed=42)
    other = simulate(pf, ["A", "C"], n=100, seed=42)
    pd.testing.assert_frame_equal(one.draws, two.draws)
    pd.testing.assert_frame_equal(one.project_draws, two.project_draws)
    pd.testing.assert_series_equal(one.project_draws[("cost", "A")],
                                   other.project_draws[("cost", "A")])
    assert not one.draws["cost"].equals(simulate(pf, ["A", "B"], n=100, seed=43).draws["cost"])
    rng = simulate(pf, ["A"], n=10, seed=np.random.default_rng(42)).project_draws
    pd.testing.assert_frame_equal(rng, simulate(pf, ["A"], n=10, seed=42).project_draws)


# --------------------------------------------------------- degenerate ranges: deterministic


@pytest.fixture(scope="module")
def sample_selection():
    pf = datasets.load_sample()
    sel = select(pf)
    p = pf.projects.reset_index()
    for q in ("cost", "duration"):
        p[f"{q}_low"] = p[f"{q}_high"] = p[q]
    p["value_low"] = p["value_high"] = sel.value.to_numpy()
    return pf.replace(projects=p), sel


@pytest.mark.parametrize("kind", ["triangular", "pert", "uniform", "callable"])
def test_degenerate_ranges_give_exactly_the_deterministic_numbers(sample_selection, kind):
    pf, sel = sample_selection
    dist = _high if kind == "callable" else kind
    sim = simulate(pf, sel, n=20, seed=0, distribution=dist)
    ids = sel.selected_ids
    draws = sim.project_draws
    projects = pf.projects
    for i in (0, 19):  # every project's draw is exactly its likely value
        assert (draws.loc[i, "cost"].to_numpy() == projects.loc[ids, "cost"].to_numpy()).all()
        assert (draws.loc[i, "value"].to_numpy() == sel.value[ids].to_numpy()).all()
        assert (draws.loc[i, "duration"].to_numpy()
                == projects.loc[ids, "duration"].to_numpy()).all()
    np.testing.assert_allclose(sim.draws["value"], sel.objective, rtol=1e-12)
    np.testing.assert_allclose(sim.draws["cost"], sel.cost, rtol=1e-12)
    assert sim.summary.loc["value", "planned"] == pytest.approx(sel.objective, rel=1e-12)
    used = checker.usage(pf, ids, sel.start)
    np.testing.assert_allclose(sim.capacity_risk["mean"], used["used"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sim.capacity_risk["planned"], sel.usage["used"], atol=1e-12)
    over = (used["used"] > used["capacity"] + 1e-9).to_numpy(dtype=float)
    assert (sim.capacity_risk["probability_over"].to_numpy() == over).all()
    spend = checker.spend(pf, ids, sel.start)
    np.testing.assert_allclose(sim.budget_risk["mean"], spend.to_numpy(), rtol=1e-12)
    assert (sim.draws["over_total_budget"] == (sel.cost > pf.budget.total)).all()
    assert sim.cvar(0.05) == pytest.approx(sel.objective, rel=1e-12)


# ------------------------------------------------------------------ selection probability


def test_selection_probability_matches_brute_force_per_draw():
    projects = pd.DataFrame({
        "project_id": ["A", "B", "C", "D"], "cost": [4.0, 3.0, 3.0, 2.0],
        "cost_high": [6.0, 5.0, 3.0, 4.0], "value": [5.0, 3.0, 3.0, 2.0],
        "value_low": [2.0, 1.0, 3.0, 1.0], "value_high": [8.0, 4.0, 6.0, 4.0]})
    pf = Portfolio(projects, budget=8.0)
    result = selection_probability(pf, n=12, seed=4)
    draws = simulate(pf, list("ABCD"), n=12, seed=4).project_draws  # same seed, same draws
    chosen = np.zeros((12, 4), dtype=bool)
    for i in range(12):
        drawn = pf.replace(projects=projects.assign(cost=draws.loc[i, "cost"].to_numpy()))
        best = checker.brute_force(drawn, value=draws.loc[i, "value"])
        row = result.draws.loc[i]
        assert row["status"] == "optimal"
        assert row["selected"] in best
        assert row["objective"] == pytest.approx(best.objective)
        chosen[i] = pd.Index(list("ABCD")).isin(list(row["selected"]))
    np.testing.assert_allclose(result.probability["probability"], chosen.mean(axis=0))
    assert (result.probability["times_selected"] == chosen.sum(axis=0)).all()
    base = checker.brute_force(pf)
    assert result.base["selected"] in base
    assert result.probability["base_selected"].tolist() == [
        i in set(result.base["selected"]) for i in "ABCD"]
    assert 0 < result.probability.loc["A", "probability"] < 1


def test_draws_that_do_not_fit_the_horizon_are_infeasible_rows():
    """Mandatory M starts in Q3 (of 4): drawn 3 quarters it cannot finish, the draw fails."""
    projects = pd.DataFrame({
        "project_id": ["M", "N", "O"], "cost": [2.0, 2.0, 2.0], "value": [1.0, 2.0, 3.0],
        "duration": [2, 1, 1], "duration_high": [3, 1, 4], "mandatory": [True, False, False],
        "earliest_start": ["Q3", "Q1", "Q2"]})
    pf = Portfolio(projects, periods=PERIODS, budget=10.0)
    coin = {"duration": lambda u, a, m, b: np.where(u < 0.5, a, b)}
    result = selection_probability(pf, n=10, seed=2, distribution=coin)
    d = simulate(pf, ["M", "N", "O"], n=10, seed=2, distribution=coin).project_draws
    late = (d[("duration", "M")] == 3).to_numpy()
    assert 0 < late.sum() < 10
    assert (result.draws["status"].to_numpy()[late] == "infeasible").all()
    assert (result.draws["status"].to_numpy()[~late] == "optimal").all()
    assert result.n_solved == (~late).sum()
    # O drawn 4 quarters from Q2 cannot finish: never selected in those draws
    o_late = (d[("duration", "O")] == 4).to_numpy() & ~late
    picked = np.array(["O" in s for s in result.draws["selected"]])
    assert not picked[o_late].any() and picked[~late & ~o_late].all()
    assert result.probability.loc["M", "probability"] == 1.0
    assert result.probability.loc["O", "probability"] == pytest.approx(
        picked[~late].mean())


def test_serial_and_process_pool_agree_and_inputs_are_unchanged():
    tables = _tables()
    before = copy.deepcopy(tables)
    pf = Portfolio(**tables)
    value = pd.Series([5.0, 4.0, 3.0, 2.0], index=list("ABCD"))
    value_before = value.copy()
    projects_before = pf.projects
    serial = selection_probability(pf, value, n=6, seed=9)
    with ProcessPoolExecutor(max_workers=2) as pool:
        parallel = selection_probability(pf, value, n=6, seed=9, executor=pool)
    pd.testing.assert_frame_equal(serial.draws, parallel.draws)
    pd.testing.assert_frame_equal(serial.probability, parallel.probability)
    pd.testing.assert_series_equal(serial.base, parallel.base)
    simulate(pf, ["A", "B"], n=20, seed=1, value=value)
    for k in ("projects", "demand", "capacity", "budget"):
        pd.testing.assert_frame_equal(tables[k], before[k])
    pd.testing.assert_series_equal(value, value_before)
    pd.testing.assert_frame_equal(pf.projects, projects_before)


def test_results_repr_and_tables():
    sim = simulate(_pf(), ["A", "B"], n=30, seed=0)
    assert repr(sim).startswith("<Simulation of 2 projects, 30 draws")
    assert "<table" in sim._repr_html_()
    pd.testing.assert_frame_equal(sim.to_frame(), sim.draws)
    result = selection_probability(_pf(), n=2, seed=0)
    assert "Selection probability over 2 draws" in repr(result)
    assert "<table" in result._repr_html_()
    assert list(result.to_frame().columns) == ["probability", "times_selected", "stderr",
                                               "base_selected"]
    r = project_ranges(_pf())
    assert r.loc["C", ["cost_low", "cost", "cost_high"]].tolist() == [4.0, 4.0, 4.0]


# ------------------------------------------------------------------------------ errors


def _with(**columns) -> Portfolio:
    return _pf(projects=_tables()["projects"].assign(**columns))


@pytest.mark.parametrize("make, call, match", [
    (lambda: _with(cost_low=["x", 6.0, None, 4.0]), {},
     r"column 'cost_low': A \(1 project\) have values that are not finite numbers \('x'\)"),
    (lambda: _with(cost_low=[11.0, 6.0, None, 4.0]), {},
     r"'cost_low', 'cost', 'cost_high': A \(1 project\) do not have low <= likely <= high "
     r"\(low 11; likely 10; high 16\)"),
    (lambda: _with(value_high=[4.0, 4.0, 8.0, 2.0]), {}, r"Give value_low <= value <= value_hi"),
    (lambda: _with(duration_low=[0, 1, 2, 1]), {},
     r"column 'duration_low': A \(1 project\) have a duration_low below 1"),
    (lambda: _with(cost_low=[-1.0, 6.0, None, 4.0]), {}, r"cost_low below 0 \(-1\)"),
    (_pf, {"distribution": "normal"},
     r"unknown distribution 'normal'; valid: triangular, pert, uniform"),
    (_pf, {"distribution": {"costs": "pert"}}, r"unknown quantities \['costs'\]"),
    (_pf, {"distribution": lambda u, a, m, b: u[:1]},
     r"callable for cost returned shape \(1, 4\)"),
    (_pf, {"distribution": lambda u, a, m, b: u - 2}, r"drew negative costs"),
    (_pf, {"n": 0}, r"simulate: n must be a whole number of draws >= 1, got 0"),
    (_pf, {"duration_effect": "stretch"}, r"unknown duration_effect 'stretch'; valid: rate"),
    (_pf, {"ids": ["A", "Z"]}, r"simulate: Z \(1 project\) are not in the projects table"),
    (_pf, {"ids": "A"}, r"expected a Selection or a list of project ids, got str"),
    (_pf, {"budget": -3.0}, r"budget must be a finite number >= 0, got -3"),
])
def test_error_messages(make, call, match):
    call = dict(call)
    ids = call.pop("ids", ["A", "B"])
    with pytest.raises(InputError, match=match):
        simulate(make(), ids, n=call.pop("n", 5), seed=0, **call)


def test_more_error_messages():
    sim = simulate(_pf(), ["A"], n=5, seed=0)
    with pytest.raises(InputError, match=r"alpha must be a share in \(0, 1\], got 0"):
        sim.cvar(0)
    with pytest.raises(InputError, match=r"of must be 'value' or 'cost', got 'risk'"):
        sim.cvar(0.1, of="risk")
    with pytest.raises(InputError, match=r"selection_probability: executor must be a "):
        selection_probability(_pf(), n=2, executor=4)
    with pytest.raises(InputError, match=r"selection_probability: unknown duration_effect"):
        selection_probability(_pf(), n=2, duration_effect="x")
    other = Portfolio(pd.DataFrame({"project_id": ["X"], "cost": [1.0], "value": [1.0]}))
    with pytest.raises(InputError, match=r"the selection has X \(1 project\), which are not"):
        simulate(_pf(), select(other), n=5)
    with pytest.raises(InputError, match=r"of must be 'value' or 'cost', got 'x'"):
        plot_value_distribution(sim, of="x")
    result = selection_probability(_pf(), n=1, seed=0)
    with pytest.raises(InputError, match=r"plot_selection_probability: top must be a whole "
                                         r"number >= 1 \(or None for every row\), got 0"):
        plot_selection_probability(result, top=0)


# ------------------------------------------------------------------------------- plots


def _png(ax) -> bytes:
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png")
    plt.close(ax.figure)
    return buf.getvalue()


def test_value_distribution_plot_draws_the_table():
    sim = simulate(_pf(), ["A", "B", "C"], n=200, seed=2)
    ax = plot_value_distribution(sim, bins=12)
    heights = [p.get_height() for p in ax.patches if p.get_gid() == "draws"]
    counts, _ = np.histogram(sim.draws["value"], bins=12)
    assert heights == counts.tolist()
    lines = {line.get_gid(): line.get_xdata()[0] for line in ax.get_lines()}
    assert lines["planned"] == 12.0
    assert lines["mean"] == pytest.approx(sim.draws["value"].mean())
    assert lines["cvar"] == pytest.approx(sim.cvar(0.05))
    assert _png(ax).startswith(b"\x89PNG")
    ax = plot_value_distribution(sim, of="cost", alpha=0.1)
    lines = {line.get_gid(): line.get_xdata()[0] for line in ax.get_lines()}
    assert lines["budget"] == 22.0 and lines["cvar"] == pytest.approx(sim.cvar(0.1, of="cost"))
    _png(ax)


def test_selection_probability_plot_draws_the_table():
    result = selection_probability(_pf(), n=8, seed=1)
    ax = plot_selection_probability(result, top=3)
    bars = [p for p in ax.patches if p.get_gid() == "probability"]
    order = result.probability.sort_values("probability", ascending=False, kind="stable")
    assert [b.get_width() for b in bars] == order["probability"].head(3).tolist()
    labels = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert [labels[i] for i in order.index[:3]] == [b.get_y() + b.get_height() / 2
                                                    for b in bars]
    dark = [bool(b.get_facecolor()[2] < 0.8) for b in bars]  # #1f77b4 vs #aec7e8
    assert dark == order["base_selected"].head(3).tolist()
    assert _png(ax).startswith(b"\x89PNG")
