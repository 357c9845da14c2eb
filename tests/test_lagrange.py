"""Tests of the Lagrangian bound (portfolio_opt.lagrange).

A bound is checked, not trusted: against the brute-force optimum (it may never
be below), against the LP optimum solved by HiGHS (the relaxation keeps the
one-start structure and reads one-term rows as integer bounds, so ``L`` at
HiGHS's own row duals is at most the LP value -- equal to it when no one-term
row cuts a column to a fraction, by strong duality), and for arbitrary
multipliers (any vector gives a valid bound after the sign projection).
"""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PERIODS, SOLVERS, line, portfolio_cases
from portfolio_opt import SelectionModel
from portfolio_opt.datasets import load_sample, synthetic
from portfolio_opt.lagrange import dual_bound, lagrangian_bound
from portfolio_opt.matrix_solve import highs_lp

HIGHS = "highs" in SOLVERS
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def lp_value_and_duals(mm):
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(highs_lp(mm, relax=True))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value, np.array(h.getSolution().row_dual)


@SETTINGS
@given(case=portfolio_cases(), seed=st.integers(0, 2**32 - 1))
def test_every_bound_is_at_least_the_optimum(case, seed):
    pf = case.portfolio()
    mm = case.matrix_model(pf)
    if mm is None:
        return
    best = case.optimum(pf)
    before = copy.deepcopy(mm)
    lb = lagrangian_bound(mm, time_limit=0.3)
    rng = np.random.default_rng(seed)
    random_y = rng.normal(0.0, 3.0, mm.n_rows)
    bounds = [lb.bound, dual_bound(mm, random_y), dual_bound(mm, np.zeros(mm.n_rows))]
    if best is not None:
        for b in bounds:
            assert b >= best.objective - 1e-6 * max(1.0, abs(best.objective))
    if HIGHS and best is not None:
        lp, y = lp_value_and_duals(mm)
        at_duals = dual_bound(mm, y)
        assert at_duals <= lp + 1e-6 * max(1.0, abs(lp))  # weak duality of the LP
        fractional_bound = False
        A = mm.A.tocsr()
        for i in np.flatnonzero(np.diff(A.indptr) == 1):
            a = A.data[A.indptr[i]]
            for rhs in (mm.row_lower[i], mm.row_upper[i]):
                if np.isfinite(rhs) and abs(rhs / a - round(rhs / a)) > 1e-9:
                    fractional_bound = True
        if not fractional_bound:  # strong duality
            assert at_duals == pytest.approx(lp, rel=1e-6, abs=1e-6)
    # the caller's model is not modified
    for name in ("A", "row_lower", "row_upper", "col_lower", "col_upper", "objective"):
        a, b = getattr(mm, name), getattr(before, name)
        a, b = (a.toarray(), b.toarray()) if hasattr(a, "toarray") else (a, b)
        np.testing.assert_array_equal(a, b)


def test_hand_computed_bound():
    """Budget 6; A (4, 5), B (3, 3), C (3, 3): LP optimum 5 + 2/3 * 3 = 7 (A and 2/3 of B).

    With the budget multiplier y = 1 (B and C's value per cost), L = 6 * 1 + (5 - 4) = 7.
    """
    pf = line(["A", "B", "C"], cost=[4.0, 3.0, 3.0], value=[5.0, 3.0, 3.0], budget=6,
              latest=[PERIODS[0]] * 3)
    model = SelectionModel(pf)
    model.build()
    mm = model.matrix_
    assert mm.row_groups.tolist() == ["budget"]
    assert dual_bound(mm, np.array([1.0])) == pytest.approx(7.0)
    assert dual_bound(mm, np.array([0.0])) == pytest.approx(11.0)  # every project
    # a negative multiplier on a "<=" row is set to 0: still a valid bound
    assert dual_bound(mm, np.array([-2.0])) == pytest.approx(11.0)
    lb = lagrangian_bound(mm, target=6.0, time_limit=2.0)
    assert 7.0 - 1e-9 <= lb.bound <= 7.0 + 1e-3


def test_infeasible_relaxation_gives_minus_infinity():
    pf = line(["A", "B"], cost=[1.0, 1.0], value=[1.0, 1.0], budget=5,
              latest=[PERIODS[0]] * 2)
    model = SelectionModel(pf)
    model.build()
    mm = model.matrix_
    # A's column fixed to 1 by its bounds: the block must take it (value 1 + B's 1)
    fixed = replace(mm, col_lower=np.array([1.0, 0.0]))
    assert dual_bound(fixed, np.zeros(mm.n_rows)) == pytest.approx(2.0)
    # ... and closed (upper bound 0) at the same time: no choice exists for A
    impossible = replace(mm, col_lower=np.array([1.0, 0.0]), col_upper=np.array([0.0, 1.0]))
    assert dual_bound(impossible, np.zeros(mm.n_rows)) == -np.inf


@pytest.mark.skipif(not HIGHS, reason="highspy not installed")
def test_converges_to_the_lp_bound():
    """On the sample (hiring, substitution, buckets) and a 2 000-project synthetic portfolio
    the subgradient steps come within 0.5 % of the LP bound, from above."""
    for pf, value in ((load_sample(), None), (synthetic(2000), "value")):
        model = SelectionModel(pf, value)
        model.build()
        mm = model.matrix_
        lp, _ = lp_value_and_duals(mm)
        lb = lagrangian_bound(mm, time_limit=5.0)
        assert lp - 1e-6 * abs(lp) <= lb.bound <= lp * 1.005, (lb.bound, lp, lb.iterations)
        # (no one-term row cuts a column to a fraction here: the LP bound is the limit)
        # starting from the LP duals, the bound is the LP value at once
        _, y = lp_value_and_duals(mm)
        warm = lagrangian_bound(mm, time_limit=0.5, y0=y)
        assert warm.bound == pytest.approx(lp, rel=1e-6)
