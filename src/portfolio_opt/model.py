"""The selection model: an integer program built in bulk with PuLP.

One binary variable per project and start period ("option"); in this version
each project has one option, its earliest start. Every constraint is one
affine expression built from arrays grouped with pandas/numpy, and is named
after its data (``capacity[development,2027-Q3]``) so that slacks, duals and
explanations map back to what the analyst typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pulp

from portfolio_opt.exceptions import InfeasibleError, InputError, describe_ids
from portfolio_opt.portfolio import Portfolio, RelationKind

if TYPE_CHECKING:
    from portfolio_opt.selection import Selection

__all__ = ["SelectionModel"]

_TRANS = str.maketrans("-+[] ->/", "________")


def _unique_names(names: Iterable[str]) -> list[str]:
    """PuLP-safe constraint/variable names, kept unique after PuLP's renaming."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        clean = name.translate(_TRANS)
        k = seen.get(clean, 0)
        seen[clean] = k + 1
        out.append(clean if k == 0 else f"{clean}#{k}")
    return out


def _fmt(x: float) -> str:
    return f"{x:,.6g}"


class SelectionModel:
    """The portfolio selection integer program.

    Parameters
    ----------
    portfolio : Portfolio
    value : str or pandas.Series, optional
        The value to maximise: a column of the projects table or a Series by
        ``project_id`` covering every project. Default: the ``value`` column,
        else the criteria score (:func:`portfolio_opt.score`).
    budget : float, optional
        Total budget; replaces the portfolio's total budget.
    force_in, force_out : iterable of project ids, optional
        Projects that must be in / out of the portfolio (mandatory projects
        are always in).

    Notes
    -----
    Parameters are stored as given; the model is built by :meth:`build` and
    solved by :meth:`solve`, which may be called again after a change.
    """

    def __init__(
        self,
        portfolio: Portfolio,
        value: str | pd.Series | None = None,
        *,
        budget: float | None = None,
        force_in: Iterable[Any] | None = None,
        force_out: Iterable[Any] | None = None,
    ) -> None:
        self.portfolio = portfolio
        self.value = value
        self.budget = budget
        self.force_in = force_in
        self.force_out = force_out

    def solve(self, solver: Any = None, *, time_limit: float | None = None,
              gap: float | None = None, threads: int | None = None) -> Selection:
        """Check, build and solve the model with the parameters as they are now.

        Parameters
        ----------
        solver, time_limit, gap, threads
            As for :func:`portfolio_opt.select`.

        Returns
        -------
        Selection
        """
        from portfolio_opt.selection import solve_model

        return solve_model(self, solver=solver, time_limit=time_limit, gap=gap, threads=threads)

    # ----------------------------------------------------------------- inputs
    def value_series(self) -> pd.Series:
        """Return the objective coefficient of each project, checked and aligned by id."""
        pf = self.portfolio
        projects = pf._projects
        value = self.value
        if value is None:
            if "value" in projects.columns:
                value = "value"
            elif pf._criteria is not None:
                from portfolio_opt.scoring import score

                return score(pf).rename("value").astype(float)
            else:
                raise InputError(
                    "select: no value to maximise. Pass value= (a column name or a Series by "
                    "project_id), add a 'value' column to the projects table, or give the "
                    "portfolio a criteria table."
                )
        if isinstance(value, str):
            if value not in projects.columns:
                numeric = [c for c in projects.columns
                           if pd.api.types.is_numeric_dtype(projects[c])
                           and c not in ("duration",) and projects[c].dtype != bool]
                raise InputError(
                    f"select: value column {value!r} is not in the projects table; numeric "
                    f"columns: {', '.join(map(repr, numeric))}."
                )
            series = pd.to_numeric(projects[value], errors="coerce")
            source = f"projects table, column {value!r}"
        elif isinstance(value, pd.Series):
            series = value.copy()
            series.index = series.index.astype(str)
            source = "value Series"
            missing = projects.index.difference(series.index, sort=False)
            extra = series.index.difference(projects.index, sort=False)
            problems = []
            if len(missing):
                problems.append(f"{source}: no value for {describe_ids(missing)}. Give a value "
                                "for every project (0 if it has none).")
            if len(extra):
                problems.append(f"{source}: {describe_ids(extra)} are not in the projects table. "
                                "Remove them or fix the ids.")
            if series.index.duplicated().any():
                problems.append(f"{source}: duplicate ids "
                                f"{describe_ids(series.index[series.index.duplicated()])}.")
            if problems:
                raise InputError(problems)
            series = pd.to_numeric(series.reindex(projects.index), errors="coerce")
        else:
            raise InputError(
                f"select: value must be a column name or a Series by project_id, got "
                f"{type(value).__name__}."
            )
        bad = ~np.isfinite(series.to_numpy(dtype=float))
        if bad.any():
            raise InputError(
                f"{source}: {describe_ids(projects.index[bad])} have a missing or non-finite "
                f"value ({', '.join(map(str, series[bad].head(5)))}). Give every project a "
                "finite value."
            )
        return series.astype(float).rename("value")

    def _ids(self, ids: Iterable[Any] | None, what: str) -> pd.Index:
        if ids is None:
            return pd.Index([], dtype=object)
        if isinstance(ids, str):
            ids = [ids]
        idx = pd.Index([str(i) for i in ids], dtype=object)
        unknown = idx.difference(self.portfolio._projects.index, sort=False)
        if len(unknown):
            raise InputError(f"select: {what} names {describe_ids(unknown)}, which are not in "
                             "the projects table. Fix the ids.")
        return idx.unique()

    def total_budget(self) -> float | None:
        """Return the total budget applied: the ``budget`` option, else the portfolio's."""
        if self.budget is None:
            return self.portfolio._budget.total
        b = self.budget
        if isinstance(b, bool) or not isinstance(b, Real) or not np.isfinite(b) or b < 0:
            raise InputError(f"select: budget must be a finite number >= 0, got {b!r}.")
        return float(b)

    # ----------------------------------------------------------------- tables
    def options(self) -> pd.DataFrame:
        """One row per decision variable: ``project_id, start`` (period position)."""
        projects = self.portfolio._projects
        start = self.portfolio.period_position(projects["earliest_start"])
        return pd.DataFrame({"project_id": projects.index.to_numpy(), "start": start})

    def bounds(self) -> tuple[pd.Index, pd.Index]:
        """Projects that must be in and must be out, after checking the options."""
        projects = self.portfolio._projects
        must_in = projects.index[projects["mandatory"].to_numpy()].append(
            self._ids(self.force_in, "force_in")).unique()
        must_out = self._ids(self.force_out, "force_out")
        return must_in, must_out

    def _period_terms(self, options: pd.DataFrame) -> pd.DataFrame:
        """Cost per period of each option: ``option, period, coef``."""
        projects = self.portfolio._projects
        dur = projects["duration"].to_numpy()[
            projects.index.get_indexer(options["project_id"])]
        cost = projects["cost"].to_numpy()[projects.index.get_indexer(options["project_id"])]
        opt = np.repeat(np.arange(len(options)), dur)
        first = np.repeat(np.cumsum(dur) - dur, dur)
        period = np.repeat(options["start"].to_numpy(), dur) + np.arange(dur.sum()) - first
        return pd.DataFrame({"option": opt, "period": period,
                             "coef": np.repeat(cost / dur, dur)})

    def _capacity_terms(self, options: pd.DataFrame) -> pd.DataFrame:
        """Demand of each option: ``option, competence, period, coef``."""
        demand = self.portfolio._demand
        opts = options.assign(option=np.arange(len(options)))
        terms = demand.merge(opts, on="project_id", how="inner")
        return pd.DataFrame({
            "option": terms["option"].to_numpy(),
            "competence": terms["competence"].to_numpy(),
            "period": (terms["start"] + terms["offset"]).to_numpy(),
            "coef": terms["amount"].to_numpy(),
        })

    # ---------------------------------------------------------------- presolve
    def check_feasibility(self) -> None:
        """Check, before solving, that the projects that must be in can be.

        Raises
        ------
        InfeasibleError
            In the analyst's words, e.g. "mandatory projects P03, P11 need 7.5
            architecture in 2027-Q2; capacity is 5".
        """
        pf = self.portfolio
        projects = pf._projects
        must_in, must_out = self.bounds()
        reasons: list[str] = []
        both = must_in.intersection(must_out)
        if len(both):
            reasons.append(f"{describe_ids(both)} are both required (mandatory or forced in) "
                           "and forced out.")
        # projects pulled in by requires/together relations of required projects
        rel = pf._relations
        pull = pd.concat([
            rel.loc[rel["kind"] == RelationKind.REQUIRES.value, ["project_id", "other_id"]],
            rel.loc[rel["kind"] == RelationKind.TOGETHER.value, ["project_id", "other_id"]],
            rel.loc[rel["kind"] == RelationKind.TOGETHER.value, ["other_id", "project_id"]]
            .set_axis(["project_id", "other_id"], axis=1),
        ])
        needed = set(must_in)
        by = {p: p for p in must_in}  # the required project that pulls each one in
        frontier = set(must_in)
        while frontier:
            edges = pull.loc[pull["project_id"].isin(frontier) & ~pull["other_id"].isin(needed)]
            for src, dst in zip(edges["project_id"], edges["other_id"]):
                by.setdefault(dst, by[src])
            frontier = set(edges["other_id"])
            needed |= frontier
        for out in sorted(set(must_out) & (needed - set(must_in))):
            reasons.append(f"required project {by[out]} needs {out} (through requires/together "
                           f"relations), but {out} is forced out.")
        needed_idx = projects.index[projects.index.isin(needed)]
        exc = rel.loc[(rel["kind"] == RelationKind.EXCLUDES.value)
                      & rel["project_id"].isin(needed) & rel["other_id"].isin(needed)]
        for a, b in zip(exc["project_id"], exc["other_id"]):
            reasons.append(f"{a} excludes {b}, but both are required (mandatory, forced in, or "
                           "needed by a required project).")
        if len(needed_idx):
            label = "required projects " + describe_ids(needed_idx)
            cost = projects.loc[needed_idx, "cost"].sum()
            total = self.total_budget()
            if total is not None and cost > total * (1 + 1e-9) + 1e-9:
                reasons.append(f"{label} cost {_fmt(cost)}; the total budget is {_fmt(total)}.")
            options = self.options()
            chosen = options["project_id"].isin(needed_idx).to_numpy()
            per = pf._budget.per_period
            if per is not None:
                terms = self._period_terms(options)
                terms = terms[chosen[terms["option"]]]
                spend = terms.groupby("period")["coef"].sum()
                cap = per.to_numpy()[spend.index]
                for t, s, c in zip(spend.index, spend.to_numpy(), cap):
                    if s > c * (1 + 1e-9) + 1e-9:
                        reasons.append(f"{label} spend {_fmt(s)} in {pf.periods[t]}; the budget "
                                       f"for that period is {_fmt(c)}.")
            terms = self._capacity_terms(options)
            terms = terms[chosen[terms["option"]]]
            need = terms.groupby(["competence", "period"])["coef"].sum()
            capacity = pf._capacity.set_index(["competence", "period"])["amount"]
            for (comp, t), amount in need.items():
                c = capacity[(comp, pf.periods[t])]
                if amount > c * (1 + 1e-9) + 1e-9:
                    who = options.loc[terms.loc[(terms["competence"] == comp)
                                                & (terms["period"] == t), "option"], "project_id"]
                    reasons.append(
                        f"required projects {describe_ids(who)} need {_fmt(amount)} {comp} in "
                        f"{pf.periods[t]}; capacity is {_fmt(c)}.")
        if reasons:
            raise InfeasibleError(reasons)

    # ------------------------------------------------------------------ build
    def build(self) -> pulp.LpProblem:
        """Build the PuLP problem.

        Sets ``problem_``, ``options_`` (the variables by project and start),
        ``variables_`` and ``constraints_`` (one row per constraint).

        Returns
        -------
        pulp.LpProblem
        """
        pf = self.portfolio
        value = self.value_series()
        self.value_ = value
        options = self.options()
        must_in, must_out = self.bounds()
        labels = pf.periods
        names = _unique_names(f"select[{p},{labels[s]}]"
                              for p, s in zip(options["project_id"], options["start"]))
        low = options["project_id"].isin(must_in).to_numpy()
        up = ~options["project_id"].isin(must_out).to_numpy()
        problem = pulp.LpProblem("portfolio_selection", pulp.LpMaximize)
        new_var = getattr(problem, "add_variable", pulp.LpVariable)  # PuLP >= 3.3.2
        # integer 0..1 rather than LpBinary: PuLP resets a binary's bounds to 0..1,
        # which would drop the fixings of mandatory and forced projects
        variables = [new_var(n, int(lo), int(u), pulp.LpInteger)
                     for n, lo, u in zip(names, low, up)]
        vars_arr = np.empty(len(variables), dtype=object)
        vars_arr[:] = variables
        coef = value.reindex(options["project_id"]).to_numpy()
        problem.setObjective(pulp.LpAffineExpression(zip(variables, coef.tolist())))

        rows: list[dict[str, Any]] = []
        cost = pf._projects["cost"].reindex(options["project_id"]).to_numpy()
        total = self.total_budget()
        if total is not None:
            self._add(problem, rows, np.zeros(len(options), dtype=np.int64),
                      np.arange(len(options)), cost, vars_arr, pulp.LpConstraintLE,
                      pd.DataFrame({"group": ["budget"], "rhs": [total]}), ["budget"])
        per = pf._budget.per_period
        if per is not None:
            terms = self._period_terms(options)
            keys = pd.DataFrame({"group": "period_budget",
                                 "period": labels.to_numpy(), "rhs": per.to_numpy()})
            self._add(problem, rows, terms["period"].to_numpy(), terms["option"].to_numpy(),
                      terms["coef"].to_numpy(), vars_arr, pulp.LpConstraintLE, keys,
                      [f"budget[{p}]" for p in labels])
        if len(pf._capacity):
            terms = self._capacity_terms(options)
            cap = pf._capacity
            cap_key = pd.MultiIndex.from_frame(cap[["competence", "period"]])
            code = cap_key.get_indexer(pd.MultiIndex.from_arrays(
                [terms["competence"].to_numpy(), labels[terms["period"].to_numpy()]]))
            keys = cap.rename(columns={"amount": "rhs"}).assign(group="capacity")
            self._add(problem, rows, code, terms["option"].to_numpy(),
                      terms["coef"].to_numpy(), vars_arr, pulp.LpConstraintLE, keys,
                      [f"capacity[{c},{p}]" for c, p in zip(cap["competence"], cap["period"])])
        self._add_relations(problem, rows, options, vars_arr)

        self.problem_ = problem
        self.options_ = options.assign(variable=names)
        self.variables_ = vars_arr
        self.constraints_ = pd.DataFrame(rows)
        return problem

    @staticmethod
    def _add(problem: pulp.LpProblem, rows: list[dict[str, Any]], code: np.ndarray,
             option: np.ndarray, coef: np.ndarray, variables: np.ndarray, sense: int,
             keys: pd.DataFrame, names: list[str]) -> None:
        """Add one constraint per row of ``keys`` from terms grouped by ``code``."""
        terms = pd.DataFrame({"code": code, "option": option, "coef": coef})
        terms = terms[terms["coef"] != 0].groupby(["code", "option"], sort=True,
                                                  as_index=False)["coef"].sum()
        codes = terms["code"].to_numpy()
        bounds = np.searchsorted(codes, np.arange(len(keys) + 1))
        opt = terms["option"].to_numpy()
        cf = terms["coef"].to_numpy().tolist()
        safe = _unique_names(names)
        rhs = keys["rhs"].to_numpy(dtype=float)
        for k in range(len(keys)):
            lo, hi = bounds[k], bounds[k + 1]
            expr = pulp.LpAffineExpression(zip(variables[opt[lo:hi]], cf[lo:hi]))
            problem.addConstraint(pulp.LpConstraint(expr, sense, safe[k], float(rhs[k])))
        records = keys.assign(name=safe, label=names).to_dict("records")
        rows.extend(records)

    def _add_relations(self, problem: pulp.LpProblem, rows: list[dict[str, Any]],
                       options: pd.DataFrame, variables: np.ndarray) -> None:
        rel = self.portfolio._relations
        if rel.empty:
            return
        # x(A) - x(B) <= 0 (requires), x(A) + x(B) <= 1 (excludes), x(A) - x(B) == 0 (together)
        by_project = pd.Series(np.arange(len(options)), index=options["project_id"])
        for kind, sense, sign, rhs in (
            (RelationKind.REQUIRES, pulp.LpConstraintLE, -1.0, 0.0),
            (RelationKind.EXCLUDES, pulp.LpConstraintLE, 1.0, 1.0),
            (RelationKind.TOGETHER, pulp.LpConstraintEQ, -1.0, 0.0),
        ):
            r = rel.loc[rel["kind"] == kind.value].reset_index(drop=True)
            if r.empty:
                continue
            a = by_project.reindex(r["project_id"])
            b = by_project.reindex(r["other_id"])
            code = np.concatenate([np.repeat(np.arange(len(r)), 1), np.arange(len(r))])
            opt = np.concatenate([a.to_numpy(), b.to_numpy()])
            coef = np.concatenate([np.ones(len(r)), np.full(len(r), sign)])
            keys = r.assign(group=kind.value, rhs=rhs)
            names = [f"{kind.value}[{p},{o}]" for p, o in zip(r["project_id"], r["other_id"])]
            self._add(problem, rows, code, opt, coef, variables, sense, keys, names)
