"""Explain a selection in the analyst's words.

Three questions a steering group asks about a portfolio, answered from the model that chose it:

- *why is each project in or out?* (:attr:`Explanation.projects`); for every start an excluded
  project could take, what it would need and how much is left (:attr:`Explanation.violations`);
- *which limits bind?* (:attr:`Explanation.bottlenecks`): the marginal value of one more unit of
  budget, of a period's budget or of a competence in a period -- dual values of the **LP
  relaxation** of the model;
- *what would bring an excluded project in?* (:meth:`Explanation.value_to_enter`): the smallest
  increase in its value, or decrease in its cost -- exact, by re-solving.
"""

from __future__ import annotations

import copy
import html
import math
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pulp

from portfolio_opt.exceptions import InfeasibleError, InputError
from portfolio_opt.explain_enter import _left, _num, _solve_with, _tol, value_to_enter
from portfolio_opt.model import SelectionModel
from portfolio_opt.selection import Selection
from portfolio_opt.solvers import Solver, Status

__all__ = ["Explanation", "explain"]

_RESOURCE = {"budget", "period_budget", "capacity"}
# rows recomputed from the tables (resources) or that adding a project cannot break
_NOT_JUDGED = _RESOURCE | {"mandatory", "force_in", "one_start", "synergy", "substitution"}
_SEVERITY = {"force_out": 0, "alone": 1, "excludes": 2, "requires": 3, "together": 3,
             "precedence": 4, "resource": 5}
_START_FREE = {"force_out", "excludes", "requires", "together"}  # the same at every start
_BOTTLENECK_NOTE = ("marginal_value: dual value of the LP relaxation of the selection model "
                    "(integrality dropped): value gained per extra unit of the limit, valid for "
                    "small changes; used/hired/slack/utilisation: the selected portfolio")
_VIOLATIONS = ["project_id", "start", "group", "label", "need", "left", "can_hire", "limit",
               "alone", "text"]


def explain(selection: Selection, *, solver: Any = None) -> Explanation:
    """Explain why each project is in or out, what binds, and what it takes to enter.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.select`.
    solver : {"cbc", "highs"}, optional
        Solver for the LP relaxation and the re-solves. Default: the selection's for the
        re-solves; for the LP relaxation HiGHS in memory when it is installed (3 s at 10 000
        projects, 1.5 minutes at 100 000, where the route through PuLP to CBC took 13), else
        the selection's.

    Returns
    -------
    Explanation

    Raises
    ------
    InputError
        When ``selection`` is not a Selection or holds no portfolio, or the solver is unknown.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio, select
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "duration": 1,
    ...                              "cost": [5.0, 3.0, 3.0], "value": [5.0, 3.0, 3.0]}),
    ...                budget=7, periods=["2027-Q1"])
    >>> ex = explain(select(pf))
    >>> ex.projects["reason"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['out: costs 5, 1 left in the budget',
     'in: value 3, rank 1 of 3 by value per cost',
     'in: value 3, rank 1 of 3 by value per cost']
    >>> ex.bottlenecks[["label", "marginal_value", "used", "slack"]]
        label  marginal_value  used  slack
    0  budget             1.0   6.0    1.0
    >>> ex.value_to_enter()[["project_id", "increase", "cost_needed"]]
      project_id  increase  cost_needed
    0          A       1.0          4.0
    """
    if not isinstance(selection, Selection):
        raise InputError(f"explain: expected a Selection (the result of select), got "
                         f"{type(selection).__name__}.")
    if selection.status not in (Status.OPTIMAL, Status.FEASIBLE):
        raise InputError(f"explain: the selection holds no portfolio (status "
                         f"{selection.status.value}); solve again with a longer time_limit.")
    name = Solver.parse(solver if solver is not None else selection.solver).value
    lp_name = Solver.HIGHS.value if solver is None and Solver.HIGHS.available() else name
    model = _model_of(selection)
    model.build()
    violations = _violations(selection, model)
    return Explanation(selection=selection,
                       projects=_reasons(selection, model, violations, name),
                       bottlenecks=_bottlenecks(selection, _model_of(selection), lp_name),
                       violations=violations, solver=name, model=_model_of(selection))


@dataclass(frozen=True, repr=False)
class Explanation:
    """Why each project is in or out, what binds, and what it takes to enter.

    Attributes
    ----------
    selection : Selection
        The selection explained.
    projects : pandas.DataFrame
        One row per project, indexed by ``project_id`` in the portfolio's order: ``name`` (when
        the portfolio has names), ``selected``, ``start`` (None when out), ``value``, ``cost``,
        ``reason`` (words starting ``in:`` or ``out:``) and ``binding`` (tuple of the labels of
        the constraints that keep an excluded project out at its least blocked start).
    bottlenecks : pandas.DataFrame
        One row per budget, period-budget and capacity constraint, largest ``marginal_value``
        first: ``label, group, competence, period, marginal_value, limit, used, hired, slack,
        utilisation, lp_slack``. ``marginal_value`` is the dual value of the row in the **LP
        relaxation** of the model: the value gained per extra unit of the limit, for small
        changes. ``used`` (projects' need, or spend including hiring), ``hired``, ``slack``
        and ``utilisation`` are those of the selected portfolio; ``lp_slack`` the slack in the
        relaxation. Keep the binding rows with ``bottlenecks.query("marginal_value > 0")``.
    violations : pandas.DataFrame
        For every excluded project and every start it could take, each constraint that adding
        it to the selected portfolio would break: ``project_id, start, group, label, need,
        left, can_hire, limit, alone, text``. ``left`` is what the selected portfolio leaves
        (limit + hired + covered - lent - used for capacity; budget - cost - hiring for
        budgets), ``can_hire`` the units that could still be hired, ``alone`` True when the
        project alone exceeds the limit (plus all hiring allowed).
    solver : str
        Solver used for the LP relaxation and the re-solves.
    model : SelectionModel
        A copy of the model of the selection, re-solved by :meth:`value_to_enter`.
    """

    selection: Selection
    projects: pd.DataFrame
    bottlenecks: pd.DataFrame
    violations: pd.DataFrame
    solver: str
    model: SelectionModel = field(compare=False)

    def value_to_enter(self, project_ids: Iterable[Any] | str | None = None, *,
                       executor: Executor | None = None,
                       progress: bool | None = None) -> pd.DataFrame:
        """Smallest value increase, or cost decrease, that brings an excluded project in.

        With ``z*`` the objective of the selection, for each project:

        - *value*: one re-solve with the project forced in gives ``z_in``; the increase needed
          is ``z* - z_in``. At exactly that increase a portfolio with the project ties for
          best; any larger increase brings it into every optimal portfolio. Not reachable when
          no portfolio can contain it at its cost (forced out, excludes a mandatory project ...).
        - *cost*: one integer program finds the largest cost at which a portfolio with the
          project is still worth ``z*`` (its cost a variable in every row that depends on it,
          the value kept at least ``z*``), confirmed by a re-solve at that cost; at that cost
          the project ties or wins, above it no optimal portfolio holds it. Not reachable when
          even at cost 0 a capacity, relation or other rule keeps it out. When that program
          cannot run or times out, a bisection on the cost with re-solves takes over (within
          1e-6 of the cost). See docs/explain.md.

        Parameters
        ----------
        project_ids : str or iterable of str, optional
            Default: every excluded project that is not forced out.
        executor : concurrent.futures.Executor, optional
            Where to run the re-solves, one task per project (e.g. a ProcessPoolExecutor or a
            Dask client's ``get_executor()``); default serially. The table is the same.
        progress : bool, optional
            Show a progress bar (see :func:`~portfolio_opt.parallel.run_many`).

        Returns
        -------
        pandas.DataFrame
            ``project_id, value, value_needed, increase, cost, cost_needed, decrease, solves,
            reason``; NaN where not reachable. ``solves`` counts the solves: 1 for the
            value and 2 for the cost (5 to 15 when the bisection takes over).

        Raises
        ------
        InputError
            Unknown project ids.
        """
        return value_to_enter(self, project_ids, executor=executor, progress=progress)

    def to_frame(self) -> pd.DataFrame:
        """Return the per-project table (a copy of :attr:`projects`)."""
        return self.projects.copy()

    def __repr__(self) -> str:
        n_in = int(self.projects["selected"].sum())
        binding = int((self.bottlenecks["marginal_value"] > 1e-9).sum())
        return (f"Explanation({n_in} in, {len(self.projects) - n_in} out; {binding} limits "
                "with a positive marginal value in the LP relaxation)")

    def _repr_html_(self) -> str:
        bn = self.bottlenecks
        bn = bn.loc[bn["marginal_value"] > 1e-9, ["label", "marginal_value", "limit", "used",
                                                  "slack", "utilisation"]].head(15)
        fmt = {"float_format": lambda x: f"{x:,.4g}"}
        return (f"<div><p><b>{html.escape(repr(self))}</b></p><p>Bottlenecks: marginal value "
                "of one more unit (dual values of the LP relaxation)</p>"
                + bn.to_html(index=False, **fmt) + "<p>Projects</p>"
                + self.projects.drop(columns="binding").to_html(**fmt) + "</div>")


# ----------------------------------------------------------------------------- the model
def _model_of(selection: Selection) -> SelectionModel:
    """Return a private copy of the model that made ``selection`` (rebuilt when not kept)."""
    model = getattr(selection, "model", None)
    if isinstance(model, SelectionModel):
        return copy.copy(model)
    return SelectionModel(selection.portfolio, selection.value, budget=selection.budget)


def _constraints(model: SelectionModel) -> pd.DataFrame:
    """Return the constraint table, with its key columns even when it has no rows."""
    cons = model.constraints_
    missing = [c for c in ("name", "label", "group", "competence", "period", "other_id")
               if c not in cons.columns]
    return cons.assign(**{c: pd.Series(dtype=object) for c in missing}) if missing else cons


def _resource_violations(selection: Selection, model: SelectionModel,
                         options: pd.DataFrame) -> list[dict[str, Any]]:
    """Budget, period budget and capacity each option would exceed, from the tables.

    A shortfall of a competence is hired when the capacity table allows it (``flex_amount``);
    the hiring cost then counts in the budgets.
    """
    pf = selection.portfolio
    projects, periods = pf.projects, pf.periods
    cap, per, total, total_left = _left(selection)
    labels = {(r["group"], r["competence"] if r["group"] == "capacity" else None,
               r["period"] if r["group"] != "budget" else None): r["label"]
              for r in _constraints(model).to_dict("records") if r["group"] in _RESOURCE}
    demand = pf.demand.groupby(["project_id", "competence", "offset"], sort=False)[
        "amount"].sum().reset_index()
    # plain dicts and tuples: one lookup per demand row of every excluded option (pandas
    # indexing here took minutes for 20 000 projects)
    need_of: dict[str, list[tuple[Any, int, float]]] = {}
    for pid, comp, off, amount in zip(demand["project_id"], demand["competence"],
                                      demand["offset"], demand["amount"], strict=True):
        need_of.setdefault(pid, []).append((comp, int(off), float(amount)))
    cap_of = dict(zip(cap.index, cap[["left", "limit", "can_hire", "flex_cost",
                                      "flex_amount"]].itertuples(index=False, name=None),
                      strict=True))
    per_of = dict(zip(per.index, zip(per["limit"], per["left"], strict=True), strict=True))
    cost_of = dict(zip(projects.index, projects["cost"].astype(float), strict=True))
    duration_of = dict(zip(projects.index, projects["duration"].astype(int), strict=True))
    out: list[dict[str, Any]] = []

    def add(pid: str, start: str, key: tuple, need: float, left: float, can_hire: float,
            limit: float, most: float, text: str, alone_text: str) -> None:
        alone = need > most + _tol(limit)  # more than the limit with every hire allowed
        out.append({"project_id": pid, "start": start, "group": key[0],
                    "label": labels.get(key, key[0]), "need": need, "left": left,
                    "can_hire": can_hire, "limit": limit, "alone": alone,
                    "text": alone_text if alone else text})

    for pid, s in zip(options["project_id"], options["start"], strict=True):
        start, cost, d = periods[s], cost_of[pid], duration_of[pid]
        running = periods[s:s + d]
        hiring = dict.fromkeys(running, 0.0)
        for comp, off, amount in need_of.get(pid, ()):
            t = periods[s + off]
            row = cap_of.get((comp, t))
            if row is None:
                continue
            left, limit, can_hire, flex_cost, flex_amount = row
            short = amount - left
            if short <= _tol(limit):
                continue
            if short <= can_hire + _tol(limit):
                hiring[t] = hiring.get(t, 0.0) + short * flex_cost
                continue
            more = f" and {_num(can_hire)} more could be hired" if can_hire else ""
            most = limit + flex_amount
            add(pid, start, ("capacity", comp, t), amount, left, can_hire, limit, most,
                f"needs {_num(amount)} {comp} in {t}, {_num(left)} left "
                f"after the selected projects{more}",
                f"needs {_num(amount)} {comp} in {t}, more than the capacity of {_num(most)}")
        hire = float(sum(hiring.values()))
        plus = f" (+{_num(hire)} hiring)" if hire > 0 else ""
        if total is not None and cost + hire > total_left + _tol(total):
            add(pid, start, ("budget", None, None), cost + hire, total_left, math.nan,
                float(total), float(total) + hire,  # alone: its own cost is too much
                f"costs {_num(cost)}{plus}, {_num(total_left)} left in the budget",
                f"costs {_num(cost)}, more than the whole budget of {_num(total)}")
        for t in running:
            limit, left = per_of[t]
            spend = cost / d + hiring[t]
            if not np.isnan(limit) and spend > left + _tol(limit):
                add(pid, start, ("period_budget", None, t), spend, left, math.nan, limit,
                    limit + hiring[t],
                    f"spends {_num(spend)} in {t}, {_num(left)} left in that period's budget",
                    f"spends {_num(cost / d)} in {t}, more than that period's budget of "
                    f"{_num(limit)}")
    return out


# ------------------------------------------------------------------ the other model rows
def _row_text(row: dict[str, Any], pid: str) -> str:
    group, other = str(row["group"]), row.get("other_id")
    if other == pid:
        other = row.get("project_id")
    simple = {"force_out": "is forced out", "excludes": f"excludes {other}, which is in",
              "requires": f"requires {other}, which is out",
              "together": f"goes together with {other}, which is out"}
    if group in simple:
        return simple[group]
    if group == "precedence":
        lag = row.get("lag")
        lag = f" plus a lag of {_num(lag)}" if isinstance(lag, float) and lag > 0 else ""
        return f"would start before {other} finishes{lag}"
    if group == "group_max":
        return (f"group {row.get('group_name')} already has its maximum of "
                f"{_num(row['rhs'])}")
    if group in ("bucket_max", "bucket_min"):
        side = "above its maximum" if group == "bucket_max" else "below its minimum"
        share = row.get("share")
        share = f" ({share:.0%} of {row.get('measure')})" if isinstance(share, float) else ""
        return f"would push {row.get('bucket')} {side} share{share}"
    if group == "risk" and isinstance(row.get("limit"), float):
        return f"would raise the cost-weighted average risk above {_num(row['limit'])}"
    return f"would break {row['label']}"


def _row_violations(selection: Selection, model: SelectionModel,
                    options: pd.DataFrame) -> list[dict[str, Any]]:
    """Relation, forced-out, group, bucket, risk ... rows broken by adding an option.

    Judged on the rows of the built model whose variables are options or projects' "is
    selected" variables, set as in the selection; rows with other (continuous) variables are
    not judged here.
    """
    all_options = model.options_
    col = {name: k for k, name in enumerate(all_options["variable"])}
    project_var = {v.name: pid for pid, v in getattr(
        model, "selected_variables_", pd.Series(dtype=object)).items() if v.name not in col}
    labels = selection.portfolio.periods[all_options["start"].to_numpy()].to_numpy()
    selected = selection.selected
    x = (selected.reindex(all_options["project_id"]).to_numpy(dtype=bool)
         & (selection.start.reindex(all_options["project_id"]).to_numpy() == labels))
    of_project = {pid: list(idx) for pid, idx in options.groupby("project_id").groups.items()}
    wanted, cons = set(options.index), _constraints(model)
    out: list[dict[str, Any]] = []
    for row in cons.loc[~cons["group"].isin(_NOT_JUDGED)].to_dict("records"):
        c = model.problem_.get_constraint_by_name(row["name"])
        if c is None or any(v.name not in col and v.name not in project_var
                            for v in c.keys()):
            continue  # auxiliary variables: not judged by the options alone
        activity = 0.0
        delta: dict[int, float] = {}
        for v, a in c.items():
            if v.name in col:
                k = col[v.name]
                activity += a * x[k]
                touched = [k] if k in wanted else []
            else:
                activity += a * bool(selected[project_var[v.name]])
                touched = of_project.get(project_var[v.name], [])
            for k in touched:
                delta[k] = delta.get(k, 0.0) + a
        rhs = -c.constant
        for k, a in delta.items():
            new = activity + a
            if a != 0 and (new > rhs + _tol(rhs) if c.sense == pulp.LpConstraintLE else
                           new < rhs - _tol(rhs) if c.sense == pulp.LpConstraintGE else
                           abs(new - rhs) > _tol(rhs)):
                pid = all_options.at[k, "project_id"]
                out.append({"project_id": pid, "start": labels[k], "group": row["group"],
                            "label": row["label"], "need": float(a),
                            "left": float(rhs - activity), "can_hire": math.nan,
                            "limit": float(rhs), "alone": False, "text": _row_text(row, pid)})
    return out


def _severity(group: str, alone: bool) -> int:
    if alone:
        return _SEVERITY["alone"]
    return _SEVERITY.get(group, _SEVERITY["resource"] if group in _RESOURCE else 6)


def _violations(selection: Selection, model: SelectionModel) -> pd.DataFrame:
    options = model.options_
    excluded = options[~selection.selected.reindex(options["project_id"]).to_numpy(dtype=bool)]
    rows = _row_violations(selection, model, excluded)
    rows += _resource_violations(selection, model, excluded)
    table = pd.DataFrame(rows, columns=_VIOLATIONS)
    order = {pid: k for k, pid in enumerate(selection.selected.index)}
    key = pd.DataFrame({
        "p": table["project_id"].map(order).to_numpy(dtype=float),
        "s": selection.portfolio.period_position(table["start"]) if len(table) else [],
        "g": [_severity(g, a) for g, a in zip(table["group"], table["alone"])]})
    return table.iloc[np.lexsort((key["g"], key["s"], key["p"]))].reset_index(drop=True)


# ------------------------------------------------------------------------------- reasons
def _reasons(selection: Selection, model: SelectionModel, violations: pd.DataFrame,
             solver: str) -> pd.DataFrame:
    pf = selection.portfolio
    projects = pf.projects
    value, cost = selection.value.reindex(projects.index), projects["cost"]
    must_in, must_out = model.bounds()
    free = np.where(value > 0, np.inf, np.where(value < 0, -np.inf, 0.0))  # cost 0
    ratio = pd.Series(np.where(cost > 0, value / cost.where(cost > 0, 1.0), free),
                      index=projects.index)
    rank = ratio.rank(ascending=False, method="min").to_dict()
    needed_by = _needed_by(selection)
    starts = model.options_.groupby("project_id", sort=False)["start"].agg(
        ["min", "max", "size"])
    window = dict(zip(starts.index, starts.itertuples(index=False, name=None), strict=True))
    by_project: dict[str, list[dict[str, Any]]] = {}
    for row in violations.to_dict("records"):
        by_project.setdefault(row["project_id"], []).append(row)
    selected = selection.selected.to_dict()
    mandatory = projects["mandatory"].to_dict()
    reasons, binding = [], []
    for pid, v in zip(projects.index, value.astype(float), strict=True):
        rows = by_project.get(pid, [])
        labels: tuple[str, ...] = ()
        if bool(selected[pid]):
            text = ("in: mandatory" if bool(mandatory[pid]) else
                    "in: forced in" if pid in must_in else
                    f"in: value {_num(v)}, rank {int(rank[pid])} of {len(projects)} by value "
                    "per cost" + (f"; needed by {', '.join(needed_by[pid])}"
                                  if pid in needed_by else ""))
        elif pid in must_out:
            text = "out: forced out"
            labels = tuple(dict.fromkeys(r["label"] for r in rows if r["group"] == "force_out"))
        elif len({r["start"] for r in rows}) < int(window[pid][2]):
            text = _fits_reason(selection, model, pid, v, solver)
        else:
            text, labels = _out_reason(rows, pf.periods, window[pid])
            if v <= 0:
                text = f"out: value {_num(v)} adds nothing; also " + text[len("out: "):]
        reasons.append(text)
        binding.append(labels)
    out = pd.DataFrame(index=projects.index)
    if "name" in projects.columns:
        out["name"] = projects["name"]
    out["selected"] = selection.selected.reindex(projects.index)
    out["start"] = selection.start.reindex(projects.index)
    out["value"], out["cost"] = value, cost
    out["reason"] = pd.Series(reasons, index=projects.index, dtype=object)
    out["binding"] = pd.Series(binding, index=projects.index, dtype=object)
    return out


def _needed_by(selection: Selection) -> dict[str, list[str]]:
    """Map each selected project to the selected projects that need it."""
    rel, sel = selection.portfolio.relations, selection.selected
    req, tog = rel[rel["kind"] == "requires"], rel[rel["kind"] == "together"]
    pairs = [*zip(req["other_id"], req["project_id"]), *zip(tog["other_id"], tog["project_id"]),
             *zip(tog["project_id"], tog["other_id"])]
    out: dict[str, list[str]] = {}
    for needed, by in pairs:
        if sel.get(needed, False) and sel.get(by, False) and by not in out.get(needed, []):
            out.setdefault(needed, []).append(by)
    return out


def _out_reason(rows: list[dict[str, Any]], periods: pd.Index,
                window: tuple[int, int, int]) -> tuple[str, tuple[str, ...]]:
    """Words and labels for the least blocked start of an excluded project.

    ``rows`` are the project's rows of the violations table (records), ``window`` its first
    and last start (positions) and number of starts.
    """
    severity = [_severity(r["group"], r["alone"]) for r in rows]
    # the least blocked start: the mildest worst block, then the fewest blocks (ties: the
    # start met first)
    worst: dict[str, int] = {}
    count: dict[str, int] = {}
    for r, g in zip(rows, severity, strict=True):
        worst[r["start"]] = min(worst.get(r["start"], g), g)
        count[r["start"]] = count.get(r["start"], 0) + 1
    start = min(worst, key=lambda t: (-worst[t], count[t]))

    def order(k: int) -> tuple[int, bool, float]:
        """Mildest block first, then the largest shortfall relative to the need."""
        need, left = rows[k]["need"], rows[k]["left"]
        short = -(need - left) / abs(need) if need != 0 else 0.0
        return severity[k], bool(np.isnan(short)), 0.0 if np.isnan(short) else short

    at = sorted((k for k, r in enumerate(rows) if r["start"] == start), key=order)
    labels = tuple(dict.fromkeys(rows[k]["label"] for k in at))
    distinct, seen = [], set()  # the first row of each text
    for k in at:
        if rows[k]["text"] not in seen:
            seen.add(rows[k]["text"])
            distinct.append((rows[k]["group"], rows[k]["text"]))
    shown, more = distinct[:2], len(distinct) - 2
    parts, prefix = [], int(window[2]) > 1
    for group, text in shown:
        if group in _START_FREE:
            text = text[len("is "):] if text.startswith("is ") else text
        elif prefix:  # the first block that depends on the start says which start
            text = (f"no start from {periods[int(window[0])]} to "
                    f"{periods[int(window[1])]} fits; starting {start} it {text}")
            prefix = False
        parts.append(text)
    text = "; ".join(parts) + (f"; and {more} more (see binding)" if more > 0 else "")
    return "out: " + text, labels


def _fits_reason(selection: Selection, model: SelectionModel, pid: str, value: float,
                 solver: str) -> str:
    """Say why a project that would fit beside the selected ones is out."""
    if value < 0:
        return f"out: value {_num(value)} would lower the total"
    if value == 0:
        return "out: value 0 adds nothing"
    if selection.status is not Status.OPTIMAL:
        return (f"out: fits beside the selected projects; the solver stopped at a gap of "
                f"{selection.gap:.2%} (not proven optimal)")
    result = _solve_with(model, pid, solver=solver)
    if isinstance(result, InfeasibleError):
        return f"out: fits the room left, but cannot be added: {result.reasons[0]}"
    loss = selection.objective - result.objective
    if loss <= _tol(selection.objective):
        return "out: fits; an equally good portfolio includes it (a tie)"
    return (f"out: fits, but a better portfolio uses the room: the best portfolio with it is "
            f"worth {_num(loss)} less")


# --------------------------------------------------------------------------- bottlenecks
def _bottlenecks(selection: Selection, model: SelectionModel, solver: str) -> pd.DataFrame:
    lp = model.relaxation(solver=solver)
    lp = lp.loc[lp["group"].isin(_RESOURCE)].reset_index(drop=True)
    cap, per, total, total_left = _left(selection)
    rows = []
    for r in lp.to_dict("records"):
        g, comp, t = r["group"], r.get("competence"), r.get("period")
        if g == "capacity":
            c = cap.loc[(comp, t)]
            nums = (c["limit"], c["used"], c["hired"], c["left"], c["util"])
        else:
            limit, left = (math.nan if total is None else float(total), total_left) \
                if g == "budget" else (
                per.at[t, "limit"], per.at[t, "left"])
            used = limit - left
            util = used / limit if limit > 0 else (np.inf if used > 0 else np.nan)
            nums = (limit, used, math.nan, left, util)
        rows.append((r["label"], g, comp if g == "capacity" else None,
                     t if g != "budget" else None, r["dual"], *nums, r["slack"]))
    out = pd.DataFrame(rows, columns=["label", "group", "competence", "period",
                                      "marginal_value", "limit", "used", "hired", "slack",
                                      "utilisation", "lp_slack"])
    for c in ("marginal_value", "slack", "lp_slack"):
        out[c] = out[c].astype(float) + 0.0  # no negative zeros
    out = out.sort_values(["marginal_value", "utilisation"], ascending=False, kind="stable",
                          na_position="last").reset_index(drop=True)
    out.attrs["marginal_value"] = _BOTTLENECK_NOTE
    return out


