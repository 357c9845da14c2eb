"""Portfolios to learn, test and benchmark with.

- :func:`load_sample`: a realistic development portfolio of 60 project ideas
  (8 competences, 12 quarters 2027-Q1 .. 2029-Q4), shipped as CSV files inside
  the package. ``docs/sample-data.md`` describes every table and what binds.
- :func:`synthetic`: random portfolios of the same structure, from a handful of
  projects to 100 000 and more, generated with vectorised numpy and
  reproducible from a seed.
"""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import InputError

if TYPE_CHECKING:  # pragma: no cover
    from portfolio_opt.portfolio import Portfolio

__all__ = ["load_sample", "load_sample_gates", "synthetic"]

_SAMPLE_TABLES = ("projects", "demand", "capacity", "budget", "relations", "criteria")
_CATEGORIES = np.array(["regulatory", "efficiency", "growth", "innovation", "maintenance"])
_CRITERIA = pd.DataFrame(
    {
        "criterion": ["strategic_fit", "financial_return", "customer_impact", "urgency", "risk"],
        "weight": [0.30, 0.25, 0.15, 0.15, 0.15],
        "direction": ["max", "max", "max", "max", "min"],
    }
)


def _read_sample_table(name: str) -> pd.DataFrame:
    """Read one CSV of the bundled sample through importlib.resources."""
    from importlib.resources import files

    resource = files("portfolio_opt.datasets") / "sample" / f"{name}.csv"
    with resource.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle)


def load_sample_gates() -> pd.DataFrame:
    """Load the must-pass gates of the sample's idea review.

    Four gates for :func:`portfolio_opt.screen`: strategic fit of at least 2
    (else rejected), a business case present (else rejected), a legal
    requirement makes a project mandatory, and a risk of 5 is flagged.

    Returns
    -------
    pandas.DataFrame
        Columns ``gate, column, rule, value, action, reason``.

    Examples
    --------
    >>> from portfolio_opt.datasets import load_sample, load_sample_gates
    >>> from portfolio_opt import screen
    >>> result = screen(load_sample(), load_sample_gates())
    >>> sorted(result.rejected)
    ['P09', 'P35', 'P46', 'P51', 'P58', 'P60']
    """
    return _read_sample_table("gates")


def load_sample() -> Portfolio:
    """Load the bundled sample portfolio: 60 development project ideas.

    An organisation's portfolio review for 2027-2029: 60 project ideas
    (``P01`` .. ``P60``) in five categories (regulatory, efficiency, growth,
    innovation, maintenance), costs in kEUR, durations of 1-6 quarters, demand
    in FTE for 8 competences over 12 quarters ``2027-Q1`` .. ``2029-Q4``, a total
    and a per-quarter budget, 10 relations between projects, 4 mandatory
    regulatory projects and 5 weighted criteria (``strategic_fit``,
    ``financial_return``, ``customer_impact``, ``urgency``, ``risk``). The data
    is sized so that the best selection uses the whole budget and fills several
    competences to capacity in some quarters; ``docs/sample-data.md`` tells
    how it was built (``tools/make_sample.py``) and what binds.

    Returns
    -------
    Portfolio
        Built from the CSV files shipped in ``portfolio_opt/datasets/sample/``
        (read with :mod:`importlib.resources`, so it works from an installed
        package, a wheel or a zip).

    See Also
    --------
    synthetic : Random portfolios of the same structure, of any size.

    Examples
    --------
    >>> from portfolio_opt.datasets import load_sample
    >>> pf = load_sample()
    >>> len(pf), len(pf.competences), len(pf.periods)
    (60, 8, 12)
    >>> pf.periods[0], pf.periods[-1]
    ('2027-Q1', '2029-Q4')
    >>> int(pf.projects["mandatory"].sum()), pf.budget.total
    (4, 11000.0)
    """
    from portfolio_opt.portfolio import Portfolio

    tables = {name: _read_sample_table(name) for name in _SAMPLE_TABLES}
    return Portfolio(
        tables["projects"],
        tables["demand"],
        tables["capacity"],
        tables["budget"],
        tables["relations"],
        periods=None,
        criteria=tables["criteria"],
    )


def _check_arguments(n_projects: object, n_competences: object, n_periods: object,
                     seed: object) -> None:
    """Raise one InputError listing every bad argument of :func:`synthetic`."""
    problems = []
    for name, value, low, example in (
        ("n_projects", n_projects, 1, "synthetic(1000)"),
        ("n_competences", n_competences, 1, "synthetic(1000, n_competences=20)"),
        ("n_periods", n_periods, 1, "synthetic(1000, n_periods=12)"),
        ("seed", seed, 0, "synthetic(1000, seed=0)"),
    ):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
            problems.append(
                f"{name} must be a whole number >= {low}, got {value!r} "
                f"({type(value).__name__}). Pass e.g. {example}."
            )
    if problems:
        raise InputError(problems, source="synthetic")


def _quarters(n_periods: int) -> list[str]:
    """Quarter labels from 2027-Q1 on: 2027-Q1, 2027-Q2, ..."""
    return [f"{2027 + t // 4}-Q{t % 4 + 1}" for t in range(n_periods)]


def _labels(prefix: str, n: int, width: int) -> np.ndarray:
    """``prefix`` followed by 1..n zero-padded to ``width`` digits, without a Python loop."""
    digits = np.char.zfill(np.arange(1, n + 1).astype(str), width)
    return np.char.add(prefix, digits).astype(object)


def synthetic(
    n_projects: int,
    n_competences: int = 20,
    n_periods: int = 12,
    seed: int = 0,
) -> Portfolio:
    """Generate a random portfolio with the structure of the sample, of any size.

    Everything is drawn with ``numpy.random.default_rng(seed)`` in vectorised
    steps (no Python loop per project), so 100 000 projects take a few
    seconds, most of it in the validation of :class:`Portfolio`.

    The portfolio has

    - projects ``P000001`` .. (zero-padded to at least 6 digits) with a
      ``category``, ``cost`` (kEUR), ``duration`` of 1-4 periods (at most
      ``n_periods``), a start window ``earliest_start`` .. ``latest_start`` of
      1-4 periods that lies inside the horizon (the project finishes by the last
      period when started at its latest start), about 1 % ``mandatory``, a
      ``value`` (expected benefit, kEUR, 0.5-2 times the cost) and the five
      criteria of the sample (``strategic_fit``, ``customer_impact``,
      ``urgency``, ``risk`` as integers 1-5, ``financial_return`` in kEUR);
    - demand for 2-4 distinct competences per project (fewer if
      ``n_competences`` is smaller), one row per period the project runs
      (an explicit ``offset``), ramping up or down;
    - competences ``C01`` .. and quarterly periods ``2027-Q1``, ``2027-Q2`` ..;
    - capacity per competence and period of about 35 % of the average demand
      in that competence when every project starts at its earliest start, and a
      total budget of 35 % of the total cost, so that roughly a third of the
      projects fit; both are raised where needed so that the mandatory projects
      alone always fit;
    - one relation per 200 projects (``requires``, ``excludes`` or
      ``together``) between distinct, non-mandatory projects, no project in
      more than one relation, so no relation contradicts another;
    - the criteria table of the sample (weights 0.30/0.25/0.15/0.15/0.15,
      ``risk`` minimised).

    Parameters
    ----------
    n_projects : int
        Number of projects, >= 1.
    n_competences : int, default 20
        Number of competences, >= 1.
    n_periods : int, default 12
        Number of periods (quarters), >= 1.
    seed : int, default 0
        Seed of the random generator, >= 0. The same arguments always give
        equal tables.

    Returns
    -------
    Portfolio

    Raises
    ------
    InputError
        If an argument is not a whole number in range (all bad arguments are
        listed at once).

    See Also
    --------
    load_sample : The realistic 60-project sample this generator imitates.

    Examples
    --------
    >>> from portfolio_opt.datasets import synthetic
    >>> pf = synthetic(1000, n_competences=5, n_periods=8, seed=1)
    >>> len(pf), len(pf.competences), len(pf.periods)
    (1000, 5, 8)
    >>> pf.project_ids[:2].tolist(), pf.periods[:2].tolist()
    (['P000001', 'P000002'], ['2027-Q1', '2027-Q2'])
    >>> synthetic(0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    portfolio_opt.exceptions.InputError: synthetic: n_projects must be a whole number >= 1, ...
    """
    from portfolio_opt.portfolio import Portfolio

    _check_arguments(n_projects, n_competences, n_periods, seed)
    n, n_comp, n_per = int(n_projects), int(n_competences), int(n_periods)
    rng = np.random.default_rng(int(seed))
    periods = np.array(_quarters(n_per), dtype=object)
    competences = _labels("C", n_comp, max(2, len(str(n_comp))))
    ids = _labels("P", n, max(6, len(str(n))))

    # Durations and start windows inside the horizon.
    duration = np.minimum(rng.integers(1, 5, n), n_per)
    last = n_per - duration  # last start that still finishes inside the horizon
    earliest = np.floor(rng.random(n) * (last + 1)).astype(np.int64)
    latest = np.minimum(earliest + rng.integers(0, 4, n), last)

    # Team size (FTE per period, all competences) gives the cost.
    team = rng.uniform(1.5, 6.0, n)
    cost = np.round(team * duration * 25.0 * rng.uniform(1.2, 1.6, n), 1)
    mandatory = rng.random(n) < 0.01

    # 2-4 distinct competences per project: sorted draws u_0 <= .. <= u_{k-1}
    # shifted by 0..k-1 are distinct; a random rotation (mod n_comp) makes every
    # competence equally likely; then shuffled within each project.
    k_max = min(4, n_comp)
    k = np.minimum(rng.integers(2, 5, n), k_max)
    draws = np.sort(rng.integers(0, n_comp - k_max + 1, (n, k_max)), axis=1)
    chosen = (draws + np.arange(k_max) + rng.integers(0, n_comp, (n, 1))) % n_comp
    chosen = np.take_along_axis(chosen, np.argsort(rng.random((n, k_max)), axis=1), axis=1)
    keep = np.arange(k_max) < k[:, None]
    row_project = np.repeat(np.arange(n), k)
    row_comp = chosen[keep]
    weight = rng.uniform(0.5, 1.5, len(row_project))
    share = weight / np.bincount(row_project, weights=weight, minlength=n)[row_project]
    fte = team[row_project] * share
    ramp = rng.uniform(-0.5, 0.5, len(row_project))  # < 0: front-loaded, > 0: back-loaded

    # One demand row per period the project runs.
    reps = duration[row_project]
    line = np.repeat(np.arange(len(row_project)), reps)
    offset = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    span = np.maximum(reps - 1, 1)[line]
    amount = fte[line] * (1.0 + ramp[line] * (2.0 * offset / span - 1.0) * (reps[line] > 1))
    amount = np.maximum(np.round(amount, 1), 0.1)
    d_project = row_project[line]
    d_comp = row_comp[line]

    # Capacity: ~35 % of the average load of each competence (all projects at
    # their earliest start), and at least 125 % of what the mandatory ones need.
    period_at_earliest = earliest[d_project] + offset
    cell = d_comp * n_per + period_at_earliest
    load = np.bincount(cell, weights=amount, minlength=n_comp * n_per).reshape(n_comp, n_per)
    must = np.bincount(cell, weights=amount * mandatory[d_project],
                       minlength=n_comp * n_per).reshape(n_comp, n_per)
    capacity = 0.35 * load.mean(axis=1, keepdims=True) * rng.uniform(0.9, 1.1, (n_comp, n_per))
    capacity = np.maximum(np.round(capacity, 1), np.ceil(1.25 * must * 10.0) / 10.0)
    budget = max(round(0.35 * float(cost.sum()), 1),
                 float(np.ceil(1.25 * cost[mandatory].sum())))

    # Relations: disjoint pairs of non-mandatory projects.
    n_rel = n // 200
    free = rng.permutation(np.flatnonzero(~mandatory))
    pairs = free[: 2 * n_rel].reshape(-1, 2)
    relations = pd.DataFrame({
        "kind": np.array(["requires", "excludes", "together"], dtype=object)[
            rng.integers(0, 3, len(pairs))],
        "project_id": ids[pairs[:, 0]],
        "other_id": ids[pairs[:, 1]],
    })

    projects = pd.DataFrame({
        "project_id": ids,
        "category": _CATEGORIES.astype(object)[rng.integers(0, len(_CATEGORIES), n)],
        "cost": cost,
        "duration": duration,
        "earliest_start": periods[earliest],
        "latest_start": periods[latest],
        "mandatory": mandatory,
        "value": np.round(cost * rng.uniform(0.5, 2.0, n), 1),
        "strategic_fit": rng.integers(1, 6, n),
        "financial_return": np.round(cost * rng.normal(0.5, 0.6, n), -1),
        "customer_impact": rng.integers(1, 6, n),
        "urgency": rng.integers(1, 6, n),
        "risk": rng.integers(1, 6, n),
    })
    demand = pd.DataFrame({
        "project_id": ids[d_project],
        "competence": competences[d_comp],
        "offset": offset,
        "amount": amount,
    })
    capacity_table = pd.DataFrame({
        "competence": np.repeat(competences, n_per),
        "period": np.tile(periods, n_comp),
        "amount": capacity.ravel(),
    })
    return Portfolio(projects, demand, capacity_table, budget, relations,
                     periods=list(periods), criteria=_CRITERIA)
