"""Why no plan exists: a minimal set of conflicting constraints, and what would fix it.

When no portfolio satisfies every constraint, :func:`diagnose` answers the two
questions a steering group asks:

- *Which of our rules conflict?* A deletion filter (Chinneck and Dravnieks
  1991) over the analyst's constraint groups -- each mandatory, forced-in and
  forced-out project, each relation, each bucket or group rule, the risk
  bound, the total budget, each period's budget, each competence's capacity
  in each period -- finds an *irreducible* conflicting set: the groups cannot
  all hold together, yet dropping any one of them leaves the others
  satisfiable.
- *How much more money or capacity would make a plan possible?* An elastic
  relaxation gives the total budget, the period budgets and the capacities
  non-negative slack (everything else stays hard) and minimises the slack,
  each unit measured relative to the amount available.

Every feasibility question is answered by the solver on the model built
without some groups (``SelectionModel.build(without=...)``) with a zero
objective: a feasibility question needs no optimality.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
import pulp

from portfolio_opt._words import join as _join
from portfolio_opt._words import number as _num
from portfolio_opt.exceptions import InputError, SolverError
from portfolio_opt.solvers import Solver, Status, run_solver

__all__ = ["Diagnosis", "diagnose"]

# The order in which the deletion filter tries to drop groups. A group tried
# early is dropped whenever the conflict can be explained without it, so the
# groups tried last -- the analyst's own decisions (mandatory and forced
# projects) and the total budget -- are the ones the conflict is stated in.
DROP_ORDER: tuple[str, ...] = (
    "substitution", "capacity", "period_budget",
    "precedence", "requires", "together", "excludes",
    "group_min", "group_max", "bucket_min", "bucket_max", "risk",
    "budget", "force_out", "force_in", "mandatory",
)
# The order the conflict is written in: the analyst's decisions, the rules, the resources.
SHOW_ORDER: tuple[str, ...] = (
    "mandatory", "force_in", "force_out",
    "requires", "precedence", "together", "excludes",
    "group_min", "group_max", "bucket_min", "bucket_max", "risk",
    "budget", "period_budget", "capacity", "substitution",
)
# Rows that define the model rather than state a rule: always kept.
STRUCTURAL: frozenset[str] = frozenset({"one_start", "synergy"})
# Rows that receive slack in the elastic relaxation.
ELASTIC: tuple[str, ...] = ("budget", "period_budget", "capacity")

# Each constraint group in words; the fields are filled by _describe.
_DESCRIPTIONS: dict[str, str] = {
    "mandatory": "mandatory project {project} (cost {cost})",
    "force_in": "project {project} forced in (cost {cost})",
    "force_out": "project {project} forced out",
    "requires": "{project} requires {other}",
    "precedence": "{project} starts only after {other} finishes{after}",
    "excludes": "{project} and {other} exclude each other",
    "together": "{project} and {other} go together (both or neither)",
    "budget": "total budget ({rhs})",
    "period_budget": "budget of {period} ({rhs})",
    "capacity": "capacity of {competence} in {period} ({rhs})",
    "group_min": "at least {rhs} of the projects of group {group_name}",
    "group_max": "at most {rhs} of the projects of group {group_name}",
    "bucket_min": "{column} = {value} holds at least {share}% of {of}",
    "bucket_max": "{column} = {value} holds at most {share}% of {of}",
    "risk": "cost-weighted average risk at most {limit}",
    "substitution": "at most {rhs} {competence} covering {covers} in {period}",
}
_CONFLICT_COLUMNS = ["group", "label", "description", "message", "fixes_model", "constraints"]
_RELAXATION_COLUMNS = ["constraint", "group", "competence", "period", "rhs", "extra_needed"]
_TOL = 1e-6


@dataclass(frozen=True, repr=False)
class Diagnosis:
    """Why no portfolio satisfies every constraint.

    Attributes
    ----------
    conflicts : pandas.DataFrame
        One row per constraint group of an irreducible conflict (the
        analyst's decisions first, then the rules, then budgets and
        capacities): ``group`` (the constraint family, e.g.
        ``mandatory``), ``label`` (e.g. ``mandatory[P03]``), ``description``
        in words, ``message`` (the conflict in one sentence, from this
        group's side), ``fixes_model`` (True when dropping this group alone
        makes a plan possible; False when other conflicts remain) and
        ``constraints`` (the constraint labels the group covers, for
        ``SelectionModel.build(without=...)``). Empty when the model is
        feasible.
    relaxation : pandas.DataFrame
        The smallest extra budget and capacity (relative to what is
        available) that makes a plan possible, one row per constraint that
        needs more: ``constraint`` (label), ``group`` (``budget``,
        ``period_budget`` or ``capacity``), ``competence``, ``period``,
        ``rhs`` (the amount available) and ``extra_needed``. Empty when no
        extra helps (see ``relaxable``).
    feasible : bool
        True when the model has a plan after all: nothing to diagnose.
    relaxable : bool or None
        True when extra budget or capacity alone makes a plan possible;
        False when the conflict lies among the hard rules (mandatory and
        forced projects, relations, buckets, group rules, risk); None when the
        solver could not tell within the time limit.
    minimal : bool
        True when every solve of the filter was answered, so the conflict is
        proven irreducible. False when a solve ran out of time: the groups
        listed still conflict, but some may not be needed.
    solves : int
        Solver runs used: feasibility solves of the filter, the check of
        each conflicting group against the whole model, and the elastic
        relaxation.
    """

    conflicts: pd.DataFrame
    relaxation: pd.DataFrame
    feasible: bool
    relaxable: bool | None
    minimal: bool
    solves: int

    def reasons(self) -> tuple[str, ...]:
        """Return the diagnosis as sentences, e.g. for ``InfeasibleError(reasons)``.

        Returns
        -------
        tuple of str
        """
        if self.feasible:
            return ("a plan satisfies every constraint; there is nothing to diagnose.",)
        out: list[str] = []
        if self.conflicts.empty:
            out.append("the model's structure has no plan even without any budget, capacity, "
                       "mandatory, forced, relation or balance rule; please report this as a bug.")
        else:
            items = "; ".join(self.conflicts["description"])
            qualifier = ("dropping any one of them resolves this conflict" if self.minimal
                         else "the solver ran out of time on some checks, so some of them may "
                              "not be needed")
            out.append(f"these constraints cannot all hold ({qualifier}): {items}.")
            fixes = self.conflicts.loc[self.conflicts["fixes_model"].astype(bool), "description"]
            if len(fixes) == len(self.conflicts):
                out.append("relaxing any one of them makes a plan possible.")
            elif len(fixes):
                rest = self.conflicts.loc[~self.conflicts["fixes_model"].astype(bool),
                                          "description"]
                out.append(f"relaxing {_join(list(fixes), 'or')} makes a plan possible; "
                           f"relaxing {_join(list(rest), 'or')} alone leaves other conflicts.")
            else:
                out.append("other conflicts remain after relaxing any one of them alone.")
        if self.relaxable is True:
            out.append("enough extra money and capacity for a plan (the least, each measured "
                       "relative to what is available): " + _extras_in_words(self.relaxation)
                       + ".")
        elif self.relaxable is False:
            out.append("no extra budget or capacity makes a plan possible: the conflict lies "
                       "among the mandatory and forced projects, the relations and the balance "
                       "rules; change one of them.")
        else:
            out.append("the solver could not tell in time whether extra budget or capacity "
                       "makes a plan possible.")
        return tuple(out)

    def message(self) -> str:
        """Return the diagnosis in words, one sentence per line."""
        return "\n".join(r[0].upper() + r[1:] for r in self.reasons())

    def __str__(self) -> str:
        return self.message()

    def __repr__(self) -> str:
        if self.feasible:
            return "Diagnosis(feasible)"
        return (f"Diagnosis({len(self.conflicts)} conflicting groups, "
                f"{len(self.relaxation)} constraints need more, solves={self.solves})")


def diagnose(model: Any, *, solver: Any = None, time_limit: float | None = None) -> Diagnosis:
    """Explain why a selection model has no plan, and what would give it one.

    Parameters
    ----------
    model : SelectionModel
        The model, with its parameters as they are now. Its state
        (``problem_``, ``constraints_``, ...) is the same after the call.
    solver : {"cbc", "highs"}, optional
        Default ``"cbc"``.
    time_limit : float, optional
        Seconds for each solver run (not for the whole diagnosis). A run that
        ends without an answer counts as "cannot tell": the group is kept
        (``Diagnosis.minimal`` is then False).

    Returns
    -------
    Diagnosis

    Raises
    ------
    InputError
        When ``model`` is not a SelectionModel, or bad solver options.
    SolverError
        When the solver cannot tell within ``time_limit`` whether the whole
        model has a plan.

    Notes
    -----
    Cost in solver runs, with ``n`` constraint groups of which ``k`` conflict:
    two runs (the whole model; the model without any group), the filter --
    each family of groups is first dropped whole, and a block that cannot be
    dropped is halved, so about ``f + 2 k log2(n / k)`` runs for ``f``
    families instead of ``n`` for the one-by-one filter -- then ``k`` runs to
    say which groups alone fix the whole model, and one elastic run.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio, SelectionModel
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"],
    ...                              "cost": [800.0, 700.0, 100.0],
    ...                              "mandatory": [True, True, False],
    ...                              "value": [1.0, 1.0, 1.0]}), budget=1200)
    >>> d = diagnose(SelectionModel(pf))
    >>> d.conflicts["label"].tolist()
    ['mandatory[A]', 'mandatory[B]', 'budget']
    >>> d.relaxation[["constraint", "extra_needed"]]
      constraint  extra_needed
    0     budget         300.0
    """
    from portfolio_opt.model import SelectionModel

    if not isinstance(model, SelectionModel):
        raise InputError(f"diagnose: model must be a SelectionModel, got "
                         f"{type(model).__name__}. Build one with SelectionModel(portfolio, ...).")
    Solver.parse(solver)
    if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(time_limit, Real)
                                   or not math.isfinite(time_limit) or time_limit <= 0):
        raise InputError(f"diagnose: time_limit must be a number of seconds > 0, got "
                         f"{time_limit!r}.")
    saved = dict(vars(model))  # build() sets problem_, constraints_, ... and private tables
    try:
        return _diagnose(model, solver, time_limit)
    finally:
        vars(model).clear()
        vars(model).update(saved)


# --------------------------------------------------------------------- the filter
@dataclass(frozen=True)
class _Group:
    """A constraint group in the analyst's sense: one or more constraint rows."""

    family: str
    label: str
    labels: tuple[str, ...]
    row: dict[str, Any]


class _Oracle:
    """Answers "is there a plan without these constraint labels?" by solving.

    The model is built once; each question solves a problem holding the
    built constraints minus the labels left out -- the same rows as
    ``model.build(without=labels)`` (a test checks it) without paying for a
    build per solve -- with a zero objective: a feasibility question needs no
    optimality.
    """

    def __init__(self, model: Any, solver: Any, time_limit: float | None) -> None:
        self.solver, self.time_limit = solver, time_limit
        full = model.build()
        table = model.constraints_
        self.table = table.reset_index(drop=True)
        self.constraints = {c.name: c for c in full.constraints()}
        self.names = table.groupby("label", sort=False)["name"].agg(list).to_dict()
        self.objective = list(model.variables_)
        self.solves = 0
        self._memo: dict[frozenset[str], bool | None] = {}

    def problem(self, without: Iterable[str]) -> pulp.LpProblem:
        """Return the model without the constraints of these labels, with a zero objective."""
        drop = {n for label in without for n in self.names[label]}
        problem = pulp.LpProblem("feasibility", pulp.LpMaximize)
        # zero coefficients still name every option, so a problem without rows is not empty
        problem.setObjective(pulp.LpAffineExpression((v, 0.0) for v in self.objective))
        for name, constraint in self.constraints.items():
            if name not in drop:
                problem.addConstraint(constraint)
        return problem

    def feasible(self, without: Iterable[str]) -> bool | None:
        key = frozenset(without)
        if key not in self._memo:
            report = run_solver(self.problem(key), self.solver, time_limit=self.time_limit)
            self.solves += 1
            self._memo[key] = (None if report.status is Status.NOT_SOLVED
                               else report.status is not Status.INFEASIBLE)
        return self._memo[key]


def _diagnose(model: Any, solver: Any, time_limit: float | None) -> Diagnosis:
    oracle = _Oracle(model, solver, time_limit)
    table = oracle.table
    groups = _groups(table)
    whole = oracle.feasible(())
    if whole is None:
        raise SolverError(
            f"diagnose: the solver could not tell within time_limit={time_limit!r} s whether "
            "any plan exists. Give a longer time_limit (or none).")
    if whole:
        return Diagnosis(_empty(_CONFLICT_COLUMNS), _empty(_RELAXATION_COLUMNS), feasible=True,
                         relaxable=True, minimal=True, solves=oracle.solves)
    kept, minimal = _deletion_filter(groups, oracle)
    conflicts = _conflict_table(model, kept, oracle)
    relaxation, relaxable = _elastic(model, table, solver, time_limit)
    return Diagnosis(conflicts, relaxation, feasible=False, relaxable=relaxable,
                     minimal=minimal, solves=oracle.solves + 1)


def _groups(table: pd.DataFrame) -> list[_Group]:
    """Return the candidate groups, in the order the filter tries to drop them."""
    rank = {f: i for i, f in enumerate(DROP_ORDER)}
    unknown_rank = rank["risk"] + 0.5  # unknown families: with the rules, before the budget
    found: dict[tuple[Any, ...], list[int]] = {}
    for i, (family, label) in enumerate(zip(table["group"], table["label"])):
        if family in STRUCTURAL:
            continue
        if family == "precedence":  # one group per relation, whatever the rows per start
            key: tuple[Any, ...] = (family, _get(table.iloc[i], "project_id"),
                                    _get(table.iloc[i], "other_id"))
        else:
            key = (family, label)
        found.setdefault(key, []).append(i)
    out = []
    for key, rows in found.items():
        family = key[0]
        labels = tuple(dict.fromkeys(table["label"].iloc[rows]))
        label = labels[0] if len(labels) == 1 else f"{family}[{key[1]},{key[2]}]"
        out.append(_Group(family, label, labels, table.iloc[rows[0]].to_dict()))
    order = sorted(range(len(out)), key=lambda i: (rank.get(out[i].family, unknown_rank), i))
    return [out[i] for i in order]


def _deletion_filter(groups: Sequence[_Group], oracle: _Oracle) -> tuple[list[_Group], bool]:
    """Chinneck's deletion filter, dropping whole blocks first and halving a block that fails.

    Invariant: the model without ``dropped`` has no plan. A group is kept only
    after the model without ``dropped`` and without that group alone was
    found to have a plan; since dropping more constraints can only make a plan
    easier to find, every kept group stays necessary: the result is
    irreducible.
    """
    dropped: set[int] = set()
    proven = True

    def without(extra: Iterable[int]) -> list[str]:
        return [lab for i in dropped.union(extra) for lab in groups[i].labels]

    def run(block: list[int], known_feasible: bool = False) -> None:
        nonlocal proven
        if not block:
            return
        answer: bool | None = True if known_feasible else oracle.feasible(without(block))
        if answer is False:
            dropped.update(block)
            return
        if len(block) == 1:
            proven = proven and answer is True
            return
        half = len(block) // 2
        run(block[:half])
        # if the whole first half went, the model without the whole block is
        # known to have a plan: the second half cannot all go
        run(block[half:], known_feasible=answer is True and dropped.issuperset(block[:half]))

    if oracle.feasible(without(range(len(groups)))) is False:
        return [], proven  # no plan even without every group: the structure itself
    families: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        families.setdefault(g.family, []).append(i)
    for block in families.values():
        run(block)
    kept = [g for i, g in enumerate(groups) if i not in dropped]
    return kept, proven


# ------------------------------------------------------------------ in words
def _conflict_table(model: Any, kept: list[_Group], oracle: _Oracle) -> pd.DataFrame:
    if not kept:
        return _empty(_CONFLICT_COLUMNS)
    rank = {f: i for i, f in enumerate(SHOW_ORDER)}
    shown = sorted(kept, key=lambda g: rank.get(g.family, rank["risk"] + 0.5))
    described = [_describe(model, g) for g in shown]
    rows = []
    for j, (g, text) in enumerate(zip(shown, described)):
        others = described[:j] + described[j + 1:]
        fixes = oracle.feasible(g.labels) is True
        if others:
            message = (f"{text} cannot hold together with {_join(others)}; relaxing it "
                       f"resolves this conflict")
        else:
            message = f"{text} cannot hold on its own; relaxing it resolves this conflict"
        message += (" and makes a plan possible." if fixes else ", but other conflicts remain.")
        rows.append({"group": g.family, "label": g.label, "description": text,
                     "message": message, "fixes_model": fixes, "constraints": g.labels})
    return pd.DataFrame(rows, columns=_CONFLICT_COLUMNS)


def _describe(model: Any, g: _Group) -> str:
    """One constraint group in the analyst's words (:data:`_DESCRIPTIONS`)."""
    row = g.row
    projects = model.portfolio._projects
    words = {c: _get(row, c) for c in ("period", "competence", "group_name", "column", "value",
                                       "covers")}

    def project(p: Any) -> str:
        name = projects.at[p, "name"] if "name" in projects.columns and p in projects.index \
            else None
        return f"{p} '{name}'" if isinstance(name, str) and name else str(p)

    pid, lag, measure = _get(row, "project_id"), _get(row, "lag"), _get(row, "measure")
    words |= {
        "project": project(pid), "other": project(_get(row, "other_id")),
        "cost": _num(float(projects.at[pid, "cost"])) if pid in projects.index else "?",
        "after": f" + {_num(float(lag))} period(s)" if lag not in (None, 0, 0.0) else "",
        "rhs": _num(_get(row, "rhs")), "limit": _num(_get(row, "limit")),
        "share": f"{float(_get(row, 'share') or 0.0) * 100:.4g}",
        "of": {"cost": "the selected projects' cost", "count": "the selected projects"}.get(
            measure, f"the selected projects' {measure}"),
    }
    return _DESCRIPTIONS.get(g.family, "constraint {label}").format(label=g.label, **words)


def _extras_in_words(relaxation: pd.DataFrame) -> str:
    """E.g. "300 more total budget; 1 more architecture in 2027-Q2, 2 in 2027-Q3"."""
    parts: dict[str, list[str]] = {}
    for r in relaxation.itertuples(index=False):
        extra = _num(float(r.extra_needed))
        if r.group == "budget":
            parts.setdefault("budget", []).append(f"{extra} more total budget")
            continue
        what = "budget" if r.group == "period_budget" else str(r.competence)
        items = parts.setdefault(f"{r.group}:{what}", [])
        items.append(f"{extra} in {r.period}" if items else f"{extra} more {what} in {r.period}")
    return "; ".join(", ".join(v) for v in parts.values()) if parts else "none"


# --------------------------------------------------------- elastic relaxation
def _elastic(model: Any, table: pd.DataFrame, solver: Any, time_limit: float | None,
             ) -> tuple[pd.DataFrame, bool | None]:
    """Smallest relative extra of budget and capacity that gives a plan (slack variables)."""
    problem = model.build()
    rows = table.loc[table["group"].isin(ELASTIC)].reset_index(drop=True)
    slacks, weights = [], []
    new_var = getattr(problem, "add_variable", pulp.LpVariable)  # PuLP >= 3.3.2
    for k, (name, rhs) in enumerate(zip(rows["name"], rows["rhs"].astype(float))):
        constraint = problem.get_constraint_by_name(name)
        s = new_var(f"__extra_{k}", 0)
        constraint.addInPlace(s, -1)  # use - extra <= rhs
        slacks.append(s)
        weights.append(1.0 / _scale(rhs, [abs(a) for a in constraint.values()]))
    # maximise -sum(w * extra): run_solver reports on maximisation problems
    problem.setObjective(pulp.LpAffineExpression(zip(slacks, [-w for w in weights])))
    report = run_solver(problem, solver, time_limit=time_limit)
    if report.status is Status.INFEASIBLE:
        return _empty(_RELAXATION_COLUMNS), False
    if report.status is Status.NOT_SOLVED:
        return _empty(_RELAXATION_COLUMNS), None
    extra = np.array([s.varValue or 0.0 for s in slacks], dtype=float)
    rhs = rows["rhs"].to_numpy(dtype=float)
    need = extra > _TOL * np.maximum(1.0, np.abs(rhs))
    out = pd.DataFrame({
        "constraint": rows["label"].to_numpy()[need],
        "group": rows["group"].to_numpy()[need],
        "competence": _column(rows, "competence")[need],
        "period": _column(rows, "period")[need],
        "rhs": rhs[need],
        "extra_needed": extra[need],
    }, columns=_RELAXATION_COLUMNS)
    return out, True


def _scale(rhs: float, coefficients: list[float]) -> float:
    """Return the unit of an extra: the amount available, else the largest single need."""
    if rhs > _TOL:
        return rhs
    positive = [a for a in coefficients if a > _TOL]
    return max(positive) if positive else 1.0


# ------------------------------------------------------------------- helpers
def _get(row: Any, column: str) -> Any:
    value = row.get(column) if hasattr(row, "get") else None
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value


def _column(rows: pd.DataFrame, column: str) -> np.ndarray:
    if column not in rows.columns:
        return np.full(len(rows), None, dtype=object)
    return rows[column].astype(object).where(rows[column].notna(), None).to_numpy()


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
