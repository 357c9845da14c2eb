"""Monte Carlo over uncertain costs, values and durations.

Each project may give a range for its cost, value and duration in the optional
project columns ``cost_low, cost_high, value_low, value_high, duration_low,
duration_high``; the likely value is the base column (``cost``, the value
maximised, ``duration``). A missing column or an empty cell means "no
uncertainty": the low (or high) is the likely value.

- :func:`simulate` -- for a fixed portfolio (a :class:`~portfolio_opt.Selection`
  or a list of ids): the distribution of its total value and cost, the
  probability of exceeding the budget or a competence's capacity, CVaR.
- :func:`selection_probability` -- re-optimise for every draw: how often each
  project is in the optimal portfolio (defined in
  :mod:`portfolio_opt.uncertainty_reopt`, importable from here).

Modelling rules (see docs/uncertainty.md): start periods stay as planned; a
project that runs longer or shorter keeps its planned per-period need of each
competence (``duration_effect="rate"``; its demand profile is stretched over
the drawn duration) or keeps its total work (``"work"``); its drawn cost is
spread evenly over the drawn duration. Costs, values and durations are drawn
independently, from uniforms drawn up front from the seed, so a seed fixes
every number whatever the executor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import betaincinv

from portfolio_opt._display import Display
from portfolio_opt.exceptions import InputError, describe_ids
from portfolio_opt.model import SelectionModel
from portfolio_opt.portfolio import Portfolio
from portfolio_opt.portfolio_checks import _values
from portfolio_opt.selection import Selection

if TYPE_CHECKING:  # re-exported on first use by __getattr__ (that module imports this one)
    from portfolio_opt.uncertainty_reopt import SelectionProbability, selection_probability

__all__ = ["Distribution", "DurationEffect", "Simulation", "SelectionProbability",
           "project_ranges", "selection_probability", "simulate"]

QUANTITIES = ("cost", "value", "duration")
Quantile = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
_TOL = 1e-9  # a draw exceeds a limit L when it is above L + _TOL * max(1, |L|)


class Distribution(str, Enum):
    """Distribution of a quantity between its low, likely and high values.

    ``triangular``: mean (low + likely + high) / 3. ``pert``: Beta-PERT with
    lambda = 4, mean (low + 4 likely + high) / 6. ``uniform``: between low and
    high (the likely value is not used), mean (low + high) / 2.
    """

    TRIANGULAR = "triangular"
    PERT = "pert"
    UNIFORM = "uniform"


class DurationEffect(str, Enum):
    """What a longer or shorter duration does to a project's competence demand.

    ``rate``: the need per period is kept and the profile stretched over the
    drawn duration (a late project holds its people longer). ``work``: the
    total need of each competence is kept, spread over the drawn duration.
    """

    RATE = "rate"
    WORK = "work"


def _quantile(kind: Distribution | Quantile, u: np.ndarray, a: np.ndarray, m: np.ndarray,
              b: np.ndarray, quantity: str) -> np.ndarray:
    """Inverse CDF: turn uniforms ``u`` (draws x projects) into draws; low == high -> likely."""
    width = b - a
    flat = width <= 0
    w = np.where(flat, 1.0, width)
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind is Distribution.TRIANGULAR:
            fc = (m - a) / w
            left = a + np.sqrt(u * w * (m - a))
            right = b - np.sqrt((1.0 - u) * w * (b - m))
            x = np.where(u < fc, left, right)
        elif kind is Distribution.PERT:
            alpha = np.where(flat, 1.0, 1.0 + 4.0 * (m - a) / w)
            beta = np.where(flat, 1.0, 1.0 + 4.0 * (b - m) / w)
            x = a + w * betaincinv(alpha, beta, u)
        elif kind is Distribution.UNIFORM:
            x = a + u * w
        else:
            x = np.asarray(kind(u.copy(), a.copy(), m.copy(), b.copy()), dtype=float)
            if x.shape != u.shape or not np.isfinite(x).all():
                raise InputError(
                    f"simulate: the distribution callable for {quantity} returned "
                    f"{'shape ' + str(x.shape) if x.shape != u.shape else 'non-finite draws'}"
                    f"; it must return finite draws of the shape of u {u.shape} "
                    "(called as f(u, low, likely, high), a quantile function)."
                )
    return np.where(flat, m, x)


def _distributions(distribution: Any) -> dict[str, Distribution | Quantile]:
    """One distribution per quantity, from a name, a callable or a mapping of them."""
    def one(d: Any, where: str) -> Distribution | Quantile:
        if callable(d) and not isinstance(d, str):
            return d  # type: ignore[no-any-return]
        try:
            return Distribution(str(d).lower())
        except ValueError:
            raise InputError(
                f"simulate: unknown distribution {d!r}{where}; valid: "
                f"{', '.join(x.value for x in Distribution)} or a callable "
                "f(u, low, likely, high) returning quantiles."
            ) from None

    if isinstance(distribution, Mapping):
        unknown = set(map(str, distribution)) - set(QUANTITIES)
        if unknown:
            raise InputError(
                f"simulate: distribution names unknown quantities {sorted(unknown)}; valid "
                f"keys: {', '.join(QUANTITIES)} (the others stay triangular)."
            )
        return {q: one(distribution.get(q, "triangular"), f" for {q}") for q in QUANTITIES}
    d = one(distribution, "")
    return dict.fromkeys(QUANTITIES, d)


def project_ranges(portfolio: Portfolio, value: str | pd.Series | None = None) -> pd.DataFrame:
    """Low, likely and high cost, value and duration of every project, checked.

    Parameters
    ----------
    portfolio : Portfolio
        Its projects may have the columns ``cost_low, cost_high, value_low,
        value_high, duration_low, duration_high`` (missing or empty: the
        likely value).
    value : str or pandas.Series, optional
        The value maximised, as for :func:`~portfolio_opt.select`; it is the
        likely value, ``value_low`` / ``value_high`` are in its units.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``project_id``: ``cost_low, cost, cost_high, value_low,
        value, value_high, duration_low, duration, duration_high`` (floats).

    Raises
    ------
    InputError
        A range entry that is not a number, a low above the likely value or a
        high below it, a negative cost or a duration below one period.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [4.0, 3.0],
    ...                              "value": [5.0, 3.0], "cost_high": [6.0, None]}))
    >>> project_ranges(pf)[["cost_low", "cost", "cost_high"]]
                cost_low  cost  cost_high
    project_id
    A                4.0   4.0        6.0
    B                3.0   3.0        3.0
    """
    projects = portfolio._projects
    likely = {"cost": projects["cost"].astype(float),
              "value": SelectionModel(portfolio, value).value_series().astype(float),
              "duration": projects["duration"].astype(float)}
    problems: list[str] = []
    out = pd.DataFrame(index=projects.index)
    for q in QUANTITIES:
        cols = {}
        for side in ("low", "high"):
            col = f"{q}_{side}"
            if col not in projects.columns:
                cols[side] = likely[q].copy()
                continue
            raw = projects[col]
            num = pd.to_numeric(raw, errors="coerce").astype(float)
            bad = (num.isna() & raw.notna()) | np.isinf(num)
            if bad.any():
                problems.append(
                    f"projects table, column {col!r}: {describe_ids(projects.index[bad])} have "
                    f"values that are not finite numbers ({_values(raw[bad])}). Enter plain "
                    "numbers, or leave the cell empty for no uncertainty."
                )
            cols[side] = num.where(num.notna() & ~bad, likely[q])
        low, mid, high = cols["low"], likely[q], cols["high"]
        wrong = (low > mid) | (mid > high)
        if wrong.any():
            w = projects.index[wrong]
            problems.append(
                f"projects table, columns '{q}_low', {q!r}, '{q}_high': {describe_ids(w)} do "
                f"not have low <= likely <= high (low {_values(low[wrong])}; likely "
                f"{_values(mid[wrong])}; high {_values(high[wrong])}). Give "
                f"{q}_low <= {q} <= {q}_high."
            )
        floor = {"cost": 0.0, "duration": 1.0}.get(q)
        if floor is not None and (low < floor).any():
            w = projects.index[low < floor]
            problems.append(
                f"projects table, column '{q}_low': {describe_ids(w)} have a {q}_low below "
                f"{floor:g} ({_values(low[low < floor])}). A {q} must be at least {floor:g}."
            )
        out[f"{q}_low"], out[q], out[f"{q}_high"] = low, mid, high
    if problems:
        raise InputError(problems)
    return out


@dataclass(frozen=True)
class _Draws:
    """Per-project draws (draws x projects) of every quantity, for all projects."""

    ids: pd.Index
    cost: np.ndarray
    value: np.ndarray
    duration: np.ndarray


def _draw(portfolio: Portfolio, value: str | pd.Series | None, n: int, seed: Any,
          distribution: Any, where: str) -> tuple[_Draws, pd.DataFrame]:
    """Draw every project's cost, value and duration up front from the seed."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"{where}: n must be a whole number of draws >= 1, got {n!r}.")
    dists = _distributions(distribution)
    r = project_ranges(portfolio, value)
    rng = np.random.default_rng(seed)
    shape = (int(n), len(r))
    out = {}
    for q in QUANTITIES:  # always three blocks of uniforms: the seed fixes each quantity
        u = rng.random(shape)
        a, m, b = (r[c].to_numpy(dtype=float) for c in (f"{q}_low", q, f"{q}_high"))
        out[q] = _quantile(dists[q], u, a, m, b, q)
    if (out["cost"] < 0).any():
        raise InputError(f"{where}: the cost distribution drew negative costs; a cost must "
                         "be at least 0 (check the callable).")
    duration = np.maximum(np.floor(out["duration"] + 0.5), 1.0).astype(np.int64)
    return _Draws(r.index, out["cost"], out["value"], duration), r


def _effect(duration_effect: Any, where: str) -> DurationEffect:
    try:
        return DurationEffect(duration_effect)
    except ValueError:
        raise InputError(f"{where}: unknown duration_effect {duration_effect!r}; valid: "
                         f"{', '.join(e.value for e in DurationEffect)}.") from None


def _profiles(portfolio: Portfolio) -> tuple[pd.Index, dict[str, np.ndarray]]:
    """Planned demand of each project as a (competences x duration) array."""
    comps = portfolio.competences
    dur = portfolio._projects["duration"]
    dem = portfolio._demand
    out: dict[str, np.ndarray] = {}
    for pid, rows in dem.groupby("project_id", sort=False):
        prof = np.zeros((len(comps), int(dur[pid])))
        np.add.at(prof, (comps.get_indexer(rows["competence"]), rows["offset"].to_numpy()),
                  rows["amount"].to_numpy(dtype=float))
        out[str(pid)] = prof
    return comps, out


def _stretch(profile: np.ndarray, d: int, effect: DurationEffect) -> np.ndarray:
    """Stretch a profile over ``d`` periods: offset k takes planned offset floor(k d0 / d)."""
    d0 = profile.shape[1]
    if d == d0:
        return profile
    out = profile[:, (np.arange(d) * d0) // d]
    if effect is DurationEffect.WORK:
        total, now = profile.sum(axis=1), out.sum(axis=1)
        out = out * np.divide(total, now, out=np.zeros_like(total), where=now > 0)[:, None]
    return out


def _outcomes(pf: Portfolio, cols: list[str], starts: np.ndarray, cost: np.ndarray,
              dur: np.ndarray, effect: DurationEffect
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spend (draws x periods), need (draws x competences x periods), projects past the end."""
    n, n_periods = cost.shape[0], len(pf.periods)
    comps, profiles = _profiles(pf)
    spend = np.zeros((n, n_periods))
    need = np.zeros((n, len(comps), n_periods))
    for j, (pid, s) in enumerate(zip(cols, starts, strict=True)):
        for d in np.unique(dur[:, j]):
            rows = np.flatnonzero(dur[:, j] == d)
            stop = min(s + int(d), n_periods)
            spend[rows, s:stop] += (cost[rows, j] / d)[:, None]
            if pid in profiles:
                need[rows, :, s:stop] += _stretch(profiles[pid], int(d), effect)[:, :stop - s]
    past = (starts[None, :] + dur > n_periods).sum(axis=1)
    return spend, need, past


def _over(amount: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Whether ``amount`` exceeds ``limit`` (elementwise, with a relative tolerance)."""
    return amount > limit + _TOL * np.maximum(1.0, np.abs(limit))


def _stats(x: np.ndarray) -> dict[str, float]:
    q = np.quantile(x, [0.05, 0.5, 0.95], axis=0)
    return {"mean": x.mean(axis=0), "std": x.std(axis=0, ddof=1) if len(x) > 1 else 0.0 * q[0],
            "p05": q[0], "p50": q[1], "p95": q[2], "min": x.min(axis=0), "max": x.max(axis=0)}


@dataclass(frozen=True, repr=False)
class Simulation(Display):
    """Monte Carlo outcomes of a fixed portfolio (the result of :func:`simulate`).

    Attributes
    ----------
    draws : pandas.DataFrame
        One row per draw: ``value`` (total value incl. synergy), ``cost``
        (total project cost), ``over_total_budget``, ``over_period_budget``,
        ``over_budget`` (either), ``over_capacity`` (need above the capacity
        of some competence in some period), ``over_capacity_flex`` (above
        capacity + ``flex_amount``: more than hiring can cover),
        ``past_horizon`` (projects still running after the last period).
    project_draws : pandas.DataFrame
        The draws of the selected projects: columns (quantity, project_id)
        with quantity ``cost``, ``value``, ``duration``.
    summary : pandas.DataFrame
        Rows ``value``, ``cost``: ``planned`` (at the likely values), mean,
        std, 5 / 50 / 95 % quantiles, min, max.
    capacity_risk : pandas.DataFrame
        ``competence, period, capacity, flex_amount, planned, mean, p95,
        probability_over, probability_over_flex`` per competence and period.
    budget_risk : pandas.DataFrame
        ``period, budget, planned, mean, p95, probability_over`` (budget NaN
        and probability 0 when there is no per-period budget).
    selected : pandas.Index
        The projects of the portfolio.
    start : pandas.Series
        Their (fixed) start period labels.
    budget : float or None
        The total budget checked.
    n : int
        Number of draws.
    seed : object
        The seed given.
    """

    draws: pd.DataFrame
    project_draws: pd.DataFrame
    summary: pd.DataFrame
    capacity_risk: pd.DataFrame
    budget_risk: pd.DataFrame
    selected: pd.Index
    start: pd.Series
    budget: float | None
    n: int
    seed: Any

    @property
    def probability_over_budget(self) -> float:
        """Share of draws exceeding the total budget or the budget of some period."""
        return float(self.draws["over_budget"].mean())

    @property
    def probability_over_capacity(self) -> float:
        """Share of draws needing more than the capacity of some competence in some period."""
        return float(self.draws["over_capacity"].mean())

    def cvar(self, alpha: float = 0.05, of: str = "value") -> float:
        """Conditional value at risk: the mean of the worst ``alpha`` share of draws.

        The worst draws are the lowest values (``of="value"``) or the highest
        costs (``of="cost"``). With ``alpha * n`` not a whole number the last
        draw counts in part (Acerbi & Tasche 2002), so the result is the
        expectation of the worst ``alpha`` of the empirical distribution.

        Parameters
        ----------
        alpha : float, default 0.05
            Tail share, 0 < alpha <= 1.
        of : {"value", "cost"}

        Returns
        -------
        float
        """
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) \
                or not 0 < alpha <= 1:
            raise InputError(f"Simulation.cvar: alpha must be a share in (0, 1], got "
                             f"{alpha!r}; e.g. 0.05 for the worst 5 % of draws.")
        if of not in ("value", "cost"):
            raise InputError(f"Simulation.cvar: of must be 'value' or 'cost', got {of!r}.")
        x = np.sort(self.draws[of].to_numpy(dtype=float))
        if of == "cost":
            x = x[::-1]
        k = alpha * len(x)
        m = int(np.floor(k + 1e-9))
        part = max(k - m, 0.0) * x[m] if m < len(x) else 0.0
        return float((x[:m].sum() + part) / k)

    def to_frame(self) -> pd.DataFrame:
        """Return the per-draw table (a copy of :attr:`draws`)."""
        return self.draws.copy()

    def _heading(self) -> str:
        return (f"Simulation of {len(self.selected)} projects, {self.n} draws: "
                f"P(over budget) = {self.probability_over_budget:.1%}, "
                f"P(over capacity) = {self.probability_over_capacity:.1%}, "
                f"CVaR 5 % of value = {self.cvar(0.05):,.6g}")

    _float_format = "{:,.4g}".format

    def _table(self) -> pd.DataFrame:
        return self.summary


def _portfolio_ids(pf: Portfolio, selection_or_ids: Any, where: str
                   ) -> tuple[pd.Index, pd.Series]:
    """Return the selected ids (projects order) and their start labels."""
    projects = pf._projects
    if isinstance(selection_or_ids, Selection):
        ids = selection_or_ids.selected_ids
        unknown = ids.difference(projects.index, sort=False)
        if len(unknown):
            raise InputError(f"{where}: the selection has {describe_ids(unknown)}, which are "
                             "not in the portfolio's projects table. Pass the portfolio it "
                             "was made from.")
        return ids, selection_or_ids.start[ids].astype(object)
    if isinstance(selection_or_ids, str) or not isinstance(selection_or_ids, Iterable):
        raise InputError(f"{where}: expected a Selection or a list of project ids, got "
                         f"{type(selection_or_ids).__name__} {selection_or_ids!r}.")
    given = pd.Index([str(i) for i in selection_or_ids], dtype=object)
    unknown = given.difference(projects.index, sort=False)
    if len(unknown):
        raise InputError(f"{where}: {describe_ids(unknown)} are not in the projects table. "
                         "Fix the ids.")
    ids = projects.index[projects.index.isin(given)]
    return ids, projects.loc[ids, "earliest_start"].astype(object)


def simulate(
    portfolio: Portfolio,
    selection_or_ids: Selection | Iterable[Any],
    *,
    n: int = 1000,
    seed: Any = None,
    value: str | pd.Series | None = None,
    distribution: Any = "triangular",
    duration_effect: str = "rate",
    budget: float | None = None,
) -> Simulation:
    """Draw uncertain costs, values and durations and evaluate a fixed portfolio.

    Every draw takes each project's cost, value and duration from its
    distribution (:func:`project_ranges` gives the low / likely / high), keeps
    the start periods as planned, spreads the cost evenly over the drawn
    duration and stretches the demand profile to it (see ``duration_effect``);
    then totals the value (plus fixed synergies) and cost, and checks the
    total budget, the budget of every period and the capacity of every
    competence in every period.

    Parameters
    ----------
    portfolio : Portfolio
    selection_or_ids : Selection or iterable of project ids
        A Selection (its starts are used, and its value when ``value`` is
        None) or the ids of the projects in the portfolio (started at their
        earliest start).
    n : int, default 1000
        Number of draws.
    seed : int, numpy.random.Generator or None
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same
        draws. The draws of a project do not depend on which projects are
        selected (common random numbers across portfolios).
    value : str or pandas.Series, optional
        The value, as for :func:`~portfolio_opt.select`.
    distribution : str, callable or mapping, default "triangular"
        ``"triangular"``, ``"pert"``, ``"uniform"``, a quantile function
        ``f(u, low, likely, high)`` (arrays, draws x projects) or a mapping
        ``{"cost": ..., "value": ..., "duration": ...}`` (others triangular).
    duration_effect : {"rate", "work"}, default "rate"
        ``rate``: a project keeps its per-period need of each competence over
        its drawn duration; ``work``: it keeps its total need.
    budget : float, optional
        Total budget to check, replacing the selection's or portfolio's.

    Returns
    -------
    Simulation

    Raises
    ------
    InputError
        Bad ranges (:func:`project_ranges`), ids, n, distribution or budget.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [4.0, 3.0],
    ...                              "cost_high": [6.0, 4.0], "value": [5.0, 3.0],
    ...                              "value_low": [2.0, 3.0]}), budget=8)
    >>> sim = simulate(pf, ["A", "B"], n=2000, seed=1)
    >>> round(float(sim.summary.loc["cost", "mean"]), 1)  # (4 + 4 + 6) / 3 + (3 + 3 + 4) / 3
    8.0
    >>> 0.4 < sim.probability_over_budget < 0.6
    True
    """
    where = "simulate"
    pf = portfolio
    ids, start = _portfolio_ids(pf, selection_or_ids, where)
    if isinstance(selection_or_ids, Selection):
        value = selection_or_ids.value if value is None else value
        total = selection_or_ids.budget if budget is None else budget
    else:
        total = pf._budget.total if budget is None else budget
    if total is not None:
        total = SelectionModel(pf, budget=total).total_budget()
    effect = _effect(duration_effect, where)
    draws, ranges = _draw(pf, value, n, seed, distribution, where)
    pos = draws.ids.get_indexer(ids)
    cols = list(ids)
    starts = pf.period_position(start.to_numpy()) if len(ids) else np.zeros(0, dtype=np.int64)
    cost, val, dur = draws.cost[:, pos], draws.value[:, pos], draws.duration[:, pos]

    rel = pf._relations
    syn = rel[(rel["kind"] == "synergy") & rel["project_id"].isin(ids) & rel["other_id"].isin(ids)]
    synergy = float(syn["value"].sum())
    spend, need, past = _outcomes(pf, cols, starts, cost, dur, effect)
    plan = {q: ranges.loc[ids, q].to_numpy(dtype=float)[None, :] for q in QUANTITIES}
    p_spend, p_need, _ = _outcomes(pf, cols, starts, plan["cost"],
                                   plan["duration"].astype(np.int64), effect)

    cap_table = pf._capacity
    shape = (len(pf.competences), len(pf.periods))
    cap = cap_table["amount"].to_numpy(dtype=float).reshape(shape)
    flex = cap_table["flex_amount"].to_numpy(dtype=float).reshape(shape)
    over_cap, over_flex = _over(need, cap[None]), _over(need, (cap + flex)[None])
    value_total = val.sum(axis=1) + synergy
    cost_total = cost.sum(axis=1)
    over_total = (_over(cost_total, np.array(total)) if total is not None
                  else np.zeros(len(cost_total), dtype=bool))
    per = pf._budget.per_period
    per_arr = None if per is None else per.to_numpy(dtype=float)
    over_per = (_over(spend, per_arr[None]) if per_arr is not None
                else np.zeros(spend.shape, dtype=bool))
    table = pd.DataFrame({
        "value": value_total, "cost": cost_total, "over_total_budget": over_total,
        "over_period_budget": over_per.any(axis=1),
        "over_budget": over_total | over_per.any(axis=1),
        "over_capacity": over_cap.any(axis=(1, 2)),
        "over_capacity_flex": over_flex.any(axis=(1, 2)), "past_horizon": past,
    }, index=pd.RangeIndex(len(cost_total), name="draw"))
    planned = {"value": float(plan["value"].sum() + synergy), "cost": float(plan["cost"].sum())}
    summary = pd.DataFrame({q: {"planned": planned[q], **_stats(table[q].to_numpy())}
                            for q in ("value", "cost")}).T.astype(float)

    flat = need.reshape(len(need), -1)
    cstats = _stats(flat)
    capacity_risk = cap_table[["competence", "period"]].assign(
        capacity=cap.ravel(), flex_amount=flex.ravel(), planned=p_need.reshape(-1),
        mean=cstats["mean"], p95=cstats["p95"],
        probability_over=over_cap.reshape(len(need), -1).mean(axis=0),
        probability_over_flex=over_flex.reshape(len(need), -1).mean(axis=0))
    sstats = _stats(spend)
    budget_risk = pd.DataFrame({
        "period": pf.periods.to_numpy(),
        "budget": per_arr if per_arr is not None else np.full(len(pf.periods), np.nan),
        "planned": p_spend[0], "mean": sstats["mean"], "p95": sstats["p95"],
        "probability_over": over_per.mean(axis=0)})
    project_draws = pd.concat(
        {"cost": pd.DataFrame(cost, columns=ids), "value": pd.DataFrame(val, columns=ids),
         "duration": pd.DataFrame(dur, columns=ids)}, axis=1, names=["quantity", "project_id"])
    project_draws.index = table.index
    return Simulation(draws=table, project_draws=project_draws, summary=summary,
                      capacity_risk=capacity_risk.reset_index(drop=True),
                      budget_risk=budget_risk, selected=ids, start=start, budget=total,
                      n=int(n), seed=seed)


_REOPT = ("SelectionProbability", "selection_probability")


def __getattr__(name: str) -> Any:
    """Import the re-optimisation per draw from :mod:`portfolio_opt.uncertainty_reopt` on use.

    That module builds on the sampling here, so importing it at the top of
    this module would be circular; this hook (PEP 562) keeps
    ``from portfolio_opt.uncertainty import selection_probability`` working.
    """
    if name in _REOPT:
        from portfolio_opt import uncertainty_reopt

        return getattr(uncertainty_reopt, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_REOPT})
