"""The selection model: an integer program built in bulk with PuLP.

One binary variable per project and start period in its window (an
"option"), one per project with several starts saying whether it is selected,
plus continuous variables for hiring, cover flows between competences and
synergy indicators. Every constraint is one affine expression
built from arrays grouped with pandas/numpy (:mod:`portfolio_opt.constraints`)
and is named after its data (``capacity[development,2027-Q3]``) so that
slacks, duals, conflicts and explanations map back to what the analyst typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import pandas as pd
import pulp

from portfolio_opt import constraints as fam
from portfolio_opt import model_inputs as inputs
from portfolio_opt.constraints import Layout, Rows, safe_names
from portfolio_opt.exceptions import InfeasibleError
from portfolio_opt.matrix import MatrixModel, from_rows
from portfolio_opt.portfolio import Portfolio
from portfolio_opt.portfolio_rules import bucket_measure, bucket_members

if TYPE_CHECKING:
    from portfolio_opt.selection import Selection

__all__ = ["SelectionModel"]


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
    schedule : bool, default True
        Choose each selected project's start inside its window
        ``earliest_start .. latest_start``; False starts every project at its
        earliest start.
    buckets : pandas.DataFrame, optional
        Strategic buckets ``column, value, measure, min, max``; replaces the
        portfolio's buckets (pass an empty table for none).
    max_average_risk : float, optional
        Upper bound on the cost-weighted average ``risk`` of the selection.
    exclude : iterable of iterables of project ids, optional
        Portfolios (sets of project ids) the answer must differ from: one
        no-good cut ``exclude[k]`` per set, ``sum_{j in S} (1 - X_j) +
        sum_{j not in S} X_j >= 1`` (starts are not compared). Used by
        :func:`portfolio_opt.alternative_portfolios`.
    min_value : float, optional
        Floor on the total value (the objective of ``value``, synergy
        included): row ``min_value``.
    objective : pandas.Series, optional
        By ``project_id`` (every project): coefficients to maximise *instead*
        of the value (no synergy term unless ``synergy_weight``).
        ``Selection.objective`` stays the value of the portfolio; the solver's
        ``gap`` is then about this objective and ``bound`` is NaN unless the
        answer is proven optimal.
    synergy_weight : float, default 0.0
        With ``objective``: the synergy bonuses (relations of kind
        ``synergy``) times this weight are maximised with it. Used by
        :func:`portfolio_opt.alternative_portfolios` to break ties in distance
        by the whole value, synergy included.

    Attributes
    ----------
    problem_ : pulp.LpProblem
        The problem last built by :meth:`build`.
    options_ : pandas.DataFrame
        One row per option: ``project_id, start`` (period position) and
        ``variable`` (its PuLP name).
    variables_ : numpy.ndarray
        The option variables, aligned with ``options_``.
    selected_variables_ : pandas.Series
        By ``project_id``: the variable ``X_j`` saying whether the project is
        selected (its only option when it has one start).
    columns_ : pandas.DataFrame
        The continuous variables: ``kind`` (``hire``, ``cover``, ``synergy``),
        their keys and ``variable``.
    constraints_ : pandas.DataFrame
        One row per constraint: ``name`` (PuLP), ``label`` (readable),
        ``group``, ``sense``, ``rhs`` and the keys it is about (competence,
        period, project_id, other_id, ...; None where they do not apply).
    matrix_ : portfolio_opt.matrix.MatrixModel
        The same problem as arrays: rows in the order of ``constraints_``,
        columns in the order the variables were created (options first).

    Notes
    -----
    Parameters are stored as given; the model is built by :meth:`build` and
    solved by :meth:`solve`, which may be called again after a change.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio, SelectionModel
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [2.0, 3.0],
    ...                              "value": [1.0, 2.0], "duration": [1, 1]}),
    ...                budget=4, periods=["Q1", "Q2"])
    >>> model = SelectionModel(pf)
    >>> _ = model.build()
    >>> model.options_[["project_id", "start"]].values.tolist()
    [['A', 0], ['A', 1], ['B', 0], ['B', 1]]
    >>> model.constraints_["label"].tolist()
    ['budget', 'one_start[A]', 'one_start[B]']
    """

    def __init__(
        self,
        portfolio: Portfolio,
        value: str | pd.Series | None = None,
        *,
        budget: float | None = None,
        force_in: Iterable[Any] | None = None,
        force_out: Iterable[Any] | None = None,
        schedule: bool = True,
        buckets: pd.DataFrame | None = None,
        max_average_risk: float | None = None,
        exclude: Iterable[Iterable[Any]] | None = None,
        min_value: float | None = None,
        objective: pd.Series | None = None,
        synergy_weight: float = 0.0,
    ) -> None:
        self.portfolio = portfolio
        self.value = value
        self.budget = budget
        self.force_in = force_in
        self.force_out = force_out
        self.schedule = schedule
        self.buckets = buckets
        self.max_average_risk = max_average_risk
        self.exclude = exclude
        self.min_value = min_value
        self.objective = objective
        self.synergy_weight = synergy_weight

    def get_params(self) -> dict[str, Any]:
        """Return the parameters, as given (``SelectionModel(**params)`` rebuilds the model)."""
        return {k: getattr(self, k) for k in ("portfolio", "value", "budget", "force_in",
                                              "force_out", "schedule", "buckets",
                                              "max_average_risk", "exclude", "min_value",
                                              "objective", "synergy_weight")}

    def solve(self, solver: Any = None, *, time_limit: float | None = None,
              gap: float | None = None, threads: int | None = None,
              diagnose: bool = True) -> Selection:
        """Check, build and solve the model with the parameters as they are now.

        Parameters
        ----------
        solver, time_limit, gap, threads, diagnose
            As for :func:`portfolio_opt.select`.

        Returns
        -------
        Selection
        """
        from portfolio_opt.selection import solve_model

        return solve_model(self, solver=solver, time_limit=time_limit, gap=gap, threads=threads,
                           diagnose=diagnose)

    # ----------------------------------------------------------------- inputs
    # read and checked by portfolio_opt.model_inputs; the methods stay the public entry points
    def value_series(self) -> pd.Series:
        """Return the objective coefficient of each project, checked and aligned by id."""
        return inputs.value_series(self.portfolio, self.value)

    def objective_series(self) -> pd.Series | None:
        """Return the replaced objective (checked, aligned by id), or None for the value."""
        return inputs.objective_series(self.portfolio, self.objective)

    def synergy_weight_value(self) -> float:
        """Return ``synergy_weight`` checked (a finite number)."""
        return inputs.synergy_weight(self.synergy_weight)

    def excluded(self) -> list[pd.Index]:
        """Return the portfolios to exclude (``exclude``), each as checked project ids."""
        return inputs.excluded(self.portfolio, self.exclude)

    def value_floor(self) -> float | None:
        """Return the floor on the total value (``min_value``, checked), or None."""
        return inputs.value_floor(self.min_value)

    def _ids(self, ids: Iterable[Any] | None, what: str) -> pd.Index:
        return inputs.project_ids(self.portfolio, ids, what)

    def total_budget(self) -> float | None:
        """Return the total budget applied: the ``budget`` option, else the portfolio's."""
        return inputs.total_budget(self.portfolio, self.budget)

    def bucket_table(self) -> pd.DataFrame:
        """Return the buckets applied: the ``buckets`` option (checked), else the portfolio's."""
        return inputs.bucket_table(self.portfolio, self.buckets)

    def risk_limit(self) -> float | None:
        """Return the bound on the cost-weighted average risk (checked), or None."""
        return inputs.risk_limit(self.portfolio, self.max_average_risk)

    def _schedule(self) -> bool:
        return inputs.schedule_flag(self.schedule)

    # ----------------------------------------------------------------- tables
    def windows(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the first and last start (positions) each project may take."""
        pf = self.portfolio
        es = pf.period_position(pf._projects["earliest_start"])
        ls = pf.period_position(pf._projects["latest_start"]) if self._schedule() else es
        return es, ls

    def options(self) -> pd.DataFrame:
        """One row per decision variable: ``project_id, start`` (period position)."""
        es, ls = self.windows()
        which, start = fam.ranges(es, ls - es + 1)
        return pd.DataFrame({"project_id": self.portfolio._projects.index.to_numpy()[which],
                             "start": start})

    def layout(self) -> Layout:
        """Where each project's options and selection sit among the model's columns."""
        return Layout.from_windows(*self.windows())

    def bounds(self) -> tuple[pd.Index, pd.Index]:
        """Projects that must be in (mandatory or forced in) and must be out."""
        must_in = self._mandatory().append(self._ids(self.force_in, "force_in")).unique()
        return must_in, self._ids(self.force_out, "force_out")

    def _mandatory(self) -> pd.Index:
        projects = self.portfolio._projects
        return projects.index[projects["mandatory"].to_numpy()]

    def _period_terms(self, options: pd.DataFrame) -> pd.DataFrame:
        """Cost per period of each option: ``option, period, coef``."""
        projects = self.portfolio._projects
        pos = projects.index.get_indexer(options["project_id"])
        dur = projects["duration"].to_numpy()[pos]
        cost = projects["cost"].to_numpy()[pos]
        opt, period = fam.ranges(options["start"].to_numpy(), dur)
        return pd.DataFrame({"option": opt, "period": period, "coef": (cost / dur)[opt]})

    def _capacity_terms(self, options: pd.DataFrame) -> pd.DataFrame:
        """Demand of each option: ``option, competence, period, coef``."""
        demand = self.portfolio._demand
        opts = options[["project_id", "start"]].assign(option=np.arange(len(options)))
        terms = demand.merge(opts, on="project_id", how="inner")
        return pd.DataFrame({
            "option": terms["option"].to_numpy(),
            "competence": terms["competence"].to_numpy(),
            "period": (terms["start"] + terms["offset"]).to_numpy(),
            "coef": terms["amount"].to_numpy(),
        })

    def _hires(self) -> pd.DataFrame:
        """Competence-periods where units may be hired: keys, ``flex_amount``, ``flex_cost``."""
        cap = self.portfolio._capacity
        hires = cap.loc[cap["flex_amount"] > 0].reset_index(drop=True)
        return hires.assign(t=self.portfolio.period_position(hires["period"]))

    def _flows(self) -> pd.DataFrame:
        """One cover flow per substitution pair and period."""
        sub = self.portfolio._substitution
        periods = self.portfolio.periods
        which, t = fam.ranges(np.zeros(len(sub), dtype=np.int64),
                              np.full(len(sub), len(periods)))
        flows = sub.iloc[which].reset_index(drop=True)
        return flows.assign(t=t, period=periods[t].to_numpy())

    def _synergy_pairs(self) -> pd.DataFrame:
        rel = self.portfolio._relations
        syn = rel.loc[rel["kind"] == "synergy", ["project_id", "other_id", "value"]]
        return syn.reset_index(drop=True)

    # ---------------------------------------------------------------- presolve
    def check_feasibility(self) -> None:
        """Check, before solving, that the projects that must be in can be.

        Raises
        ------
        InfeasibleError
            In the analyst's words, e.g. "required projects P03, P11 need 7.5
            architecture in 2027-Q2; capacity is 5".
        """
        from portfolio_opt.presolve import presolve_reasons

        reasons = presolve_reasons(self)
        if reasons:
            raise InfeasibleError(reasons)

    # ------------------------------------------------------------------ build
    def build(self, *, without: Iterable[str] | None = None) -> pulp.LpProblem:
        """Build the PuLP problem.

        Parameters
        ----------
        without : iterable of str, optional
            Constraint labels (``capacity[dev,2027-Q1]``) or groups
            (``capacity``) to leave out, e.g. for a deletion filter.

        Returns
        -------
        pulp.LpProblem
            Also kept as ``problem_``, with ``options_``, ``variables_``,
            ``columns_`` and ``constraints_``.

        Raises
        ------
        InputError
            Bad parameters, or ``without`` naming no constraint of the model.
        """
        with fam.gc_paused():  # see constraints.gc_paused: a quarter of a large build
            return self._build(without)

    def _build(self, without: Iterable[str] | None) -> pulp.LpProblem:
        """Build the PuLP problem (:meth:`build`)."""
        if isinstance(without, str):
            without = [without]
        pf = self.portfolio
        projects = pf._projects
        ids = projects.index.to_numpy(dtype=object)
        labels = pf.periods.to_numpy(dtype=object)
        n_periods = len(labels)
        value = self.value_series()
        layout = self.layout()
        index = projects.index
        mandatory = index.get_indexer(self._mandatory())
        force_in = index.get_indexer(self._ids(self.force_in, "force_in"))
        force_out = index.get_indexer(self._ids(self.force_out, "force_out"))
        total = self.total_budget()
        buckets = self.bucket_table()
        risk = self.risk_limit()
        replaced = self.objective_series()
        excluded = [index.get_indexer(s) for s in self.excluded()]
        floor = self.value_floor()
        self.value_ = value

        # the options: one per project and start, projects in order
        opt_project, opt_start = fam.ranges(layout.earliest, layout.count)
        n_opt = layout.n_options
        n_cols = layout.n_columns
        several = np.flatnonzero(layout.count > 1)
        problem = pulp.LpProblem("portfolio_selection", pulp.LpMaximize)
        seen: dict[str, int] = {}
        label_list = labels.tolist()
        names = safe_names([f"select[{p},{label_list[s]}]" for p, s in
                            zip(ids[opt_project].tolist(), opt_start.tolist())], seen)
        names += safe_names((f"select[{p}]" for p in ids[several]), seen)
        # integer 0..1 (not LpBinary, whose bounds PuLP resets); fixings are constraints
        variables = fam.make_variables(problem, names, 0, 1, pulp.LpInteger)

        # continuous columns: hiring, cover flows, synergy indicators
        cap = pf._capacity
        comp_pos = {c: k for k, c in enumerate(pd.unique(cap["competence"]))}
        flex = cap["flex_amount"].to_numpy(dtype=float)
        hire_rows = np.flatnonzero(flex > 0)
        hires = {"row": hire_rows, "t": hire_rows % n_periods,
                 "column": n_cols + np.arange(len(hire_rows)),
                 "flex_cost": cap["flex_cost"].to_numpy(dtype=float)[hire_rows]}
        hire_names = safe_names((f"hire[{c},{p}]" for c, p in zip(
            cap["competence"].to_numpy()[hire_rows], cap["period"].to_numpy()[hire_rows])), seen)
        variables += fam.make_variables(problem, hire_names, 0, flex[hire_rows].tolist(),
                                        pulp.LpContinuous)
        flow_table = self._flows()
        t = flow_table["t"].to_numpy(dtype=np.int64)
        flows = {
            "competence": flow_table["competence"].to_numpy(dtype=object),
            "covers": flow_table["covers"].to_numpy(dtype=object),
            "period": flow_table["period"].to_numpy(dtype=object),
            "src": np.array([comp_pos[c] for c in flow_table["competence"]],
                            dtype=np.int64) * n_periods + t,
            "dst": np.array([comp_pos[c] for c in flow_table["covers"]],
                            dtype=np.int64) * n_periods + t,
            "efficiency": flow_table["efficiency"].to_numpy(dtype=float),
            "max_amount": flow_table["max_amount"].to_numpy(dtype=float),
            "column": n_cols + len(hire_rows) + np.arange(len(flow_table)),
        }
        flow_names = safe_names((f"cover[{a}>{b},{p}]" for a, b, p in zip(
            flows["competence"], flows["covers"], flows["period"])), seen)
        variables += fam.make_variables(problem, flow_names, 0, None, pulp.LpContinuous)
        syn = self._synergy_pairs()
        syn_col = n_cols + len(hire_rows) + len(flow_table) + np.arange(len(syn))
        syn_names = safe_names((f"both[{a},{b}]" for a, b in
                                zip(syn["project_id"], syn["other_id"])), seen)
        variables += fam.make_variables(problem, syn_names, 0, 1, pulp.LpContinuous)
        vars_arr = np.empty(len(variables), dtype=object)
        vars_arr[:] = variables

        coef = np.concatenate([value.to_numpy(), syn["value"].to_numpy(dtype=float)])
        columns = np.concatenate([layout.column, syn_col]).astype(np.int64)
        rows = Rows(problem, vars_arr, without or ())
        if floor is not None:  # the value row, before the objective may be replaced
            fam.add_min_value(rows, columns, coef, floor)
        if replaced is not None:
            weight = self.synergy_weight_value()
            coef = np.concatenate([replaced.to_numpy(),
                                   weight * syn["value"].to_numpy(dtype=float)])
            columns = np.concatenate([layout.column, syn_col]).astype(np.int64)
        nonzero = coef != 0
        problem.setObjective(pulp.LpAffineExpression(
            zip(vars_arr[columns[nonzero]].tolist(), coef[nonzero].tolist())))

        cost = projects["cost"].to_numpy(dtype=float)
        duration = projects["duration"].to_numpy(dtype=np.int64)
        which, period = fam.ranges(opt_start, duration[opt_project])
        pterms = {"column": which, "period": period,
                  "coef": (cost / duration)[opt_project[which]]}
        per = pf._budget.per_period
        fam.add_budgets(rows, layout, cost, pterms, hires, total,
                        None if per is None else per.to_numpy(dtype=float), labels)
        if len(cap):
            dem = pf._demand
            dem_project = index.get_indexer(dem["project_id"])
            which, column = fam.ranges(layout.first[dem_project], layout.count[dem_project])
            comp = pd.Index(list(comp_pos)).get_indexer(dem["competence"])
            if (comp < 0).any():  # raise as before: a competence without capacity
                comp = np.array([comp_pos[c] for c in dem["competence"]], dtype=np.int64)
            row = comp[which] * n_periods + opt_start[column] + dem["offset"].to_numpy()[which]
            dterms = {"row": row, "column": column,
                      "coef": dem["amount"].to_numpy(dtype=float)[which]}
            fam.add_capacity(rows, cap["competence"].to_numpy(dtype=object),
                             cap["period"].to_numpy(dtype=object),
                             cap["amount"].to_numpy(dtype=float), dterms, hires, flows)
        fam.add_substitution(rows, flows)
        fam.add_choice(rows, ids, layout, mandatory, force_in, force_out)
        rel = pf._relations
        fam.add_relations(rows, ids, layout, {
            "kind": rel["kind"].to_numpy(dtype=object),
            "a": index.get_indexer(rel["project_id"]), "b": index.get_indexer(rel["other_id"]),
            "lag": rel["lag"].to_numpy(dtype=float)}, duration, labels)
        fam.add_synergy(rows, ids, layout, index.get_indexer(syn["project_id"]),
                        index.get_indexer(syn["other_id"]), syn_col)
        members, limits = pf._groups, pf._group_limits
        for col, group, sense in (("min", "group_min", ">="), ("max", "group_max", "<=")):
            lim = limits.loc[limits[col].notna()]
            code = pd.Index(lim["group"]).get_indexer(members["group"])
            fam.add_groups(rows, layout, lim["group"].to_numpy(dtype=object),
                           lim[col].to_numpy(dtype=float), code[code >= 0],
                           index.get_indexer(members["project_id"])[code >= 0], group, sense)
        if len(buckets):
            inside = np.stack([bucket_members(projects, c, v)
                               for c, v in zip(buckets["column"], buckets["value"])])
            measure = np.stack([cost if m == "cost" else bucket_measure(projects, m)
                                for m in buckets["measure"]])
            fam.add_buckets(rows, layout, buckets, inside.astype(float), measure)
        if risk is not None:
            fam.add_risk(rows, layout, cost, projects["risk"].fillna(0.0).to_numpy(dtype=float),
                         risk)
        fam.add_exclusions(rows, ids, layout, excluded)
        rows.check_without()
        # the same model as arrays (rows as added, columns as created): see portfolio_opt.matrix
        self.matrix_ = from_rows(
            rows, col_lower=np.zeros(len(vars_arr)), col_upper=np.concatenate(
                [np.ones(n_cols), flex[hire_rows], np.full(len(flow_table), np.inf),
                 np.ones(len(syn))]), integer=np.arange(len(vars_arr)) < n_cols,
            objective_columns=columns, objective_coefs=coef,
            col_names=names + hire_names + flow_names + syn_names, n_options=n_opt,
            option_project=opt_project, option_start=opt_start, selection_columns=layout.column)

        self.problem_ = problem
        self.options_ = pd.DataFrame({"project_id": ids[opt_project], "start": opt_start,
                                      "variable": names[:n_opt]})
        self.variables_ = vars_arr[:n_opt]
        self.selected_variables_ = pd.Series(vars_arr[layout.column], index=index,
                                             name="variable")
        self.columns_ = pd.DataFrame({
            "kind": ["hire"] * len(hire_rows) + ["cover"] * len(flow_table)
            + ["synergy"] * len(syn),
            "competence": [*cap["competence"].to_numpy()[hire_rows], *flows["competence"],
                           *[None] * len(syn)],
            "covers": [*[None] * len(hire_rows), *flows["covers"], *[None] * len(syn)],
            "period": [*cap["period"].to_numpy()[hire_rows], *flows["period"],
                       *[None] * len(syn)],
            "project_id": [*[None] * (len(hire_rows) + len(flow_table)), *syn["project_id"]],
            "other_id": [*[None] * (len(hire_rows) + len(flow_table)), *syn["other_id"]],
            "variable": hire_names + flow_names + syn_names,
        }, dtype=object)
        self._all_variables = vars_arr
        self._hire_table = pd.DataFrame({"column": hires["column"]})
        self._flow_table = flow_table.assign(column=flows["column"])
        self._synergy_table = syn
        self.constraints_ = rows.table()
        return problem

    # ------------------------------------------------------------- relaxation
    def relaxation(self, solver: Any = None, *,
                   without: Iterable[str] | None = None) -> pd.DataFrame:
        """Solve the LP relaxation and return the dual value and slack of every constraint.

        The model is built again (as :meth:`build`, with ``without``) and
        solved with integrality relaxed (every option between 0 and 1).

        Parameters
        ----------
        solver : {"cbc", "highs"}, optional
            Default CBC.
        without : iterable of str, optional
            As for :meth:`build`.

        Returns
        -------
        pandas.DataFrame
            One row per constraint: the columns of ``constraints_`` plus
            ``activity`` (left-hand side at the LP optimum), ``slack``
            (``rhs - activity`` for ``<=`` and ``==`` rows, ``activity - rhs``
            for ``>=`` rows; >= 0 when satisfied) and ``dual``: the increase of
            the optimal LP value per unit increase of the right-hand side
            (>= 0 for ``<=`` rows, <= 0 for ``>=`` rows; 0 when the row has
            slack). The LP optimum is kept as ``relaxation_objective_``.

        Raises
        ------
        InfeasibleError
            When even the LP relaxation has no solution.

        Examples
        --------
        >>> import pandas as pd
        >>> from portfolio_opt import Portfolio, SelectionModel
        >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [4.0, 3.0],
        ...                              "value": [5.0, 3.0]}), budget=5)
        >>> table = SelectionModel(pf).relaxation()
        >>> table[["label", "group", "dual"]]
            label   group  dual
        0  budget  budget   1.0

        One more unit of budget is worth 1: A is in, and B (value 3 for a
        cost of 3) fills the rest of the budget fractionally.
        """
        from portfolio_opt.solvers import Solver, solver_available

        which = Solver.parse(solver)
        solver_available(which)
        problem = self.build(without=without)
        table = self.constraints_.copy()
        if which is Solver.HIGHS:  # in memory, from the model's arrays (no PuLP round trip)
            act, dual, self.relaxation_objective_ = _highs_relaxation(self.matrix_,
                                                                      table["name"])
        else:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                cmd: Any = pulp.PULP_CBC_CMD(msg=False, mip=False)
            problem.solve(cmd)
            if problem.status != pulp.LpStatusOptimal:
                _no_relaxation(pulp.LpStatus[problem.status])
            activity, duals = [], []
            for name in table["name"]:
                c = problem.get_constraint_by_name(name)
                activity.append(sum(a * (v.varValue or 0.0) for v, a in c.items()))
                duals.append(0.0 if c.pi is None else float(c.pi))  # in the model's sense
            act, dual = np.asarray(activity, dtype=float), np.asarray(duals, dtype=float)
            self.relaxation_objective_ = float(pulp.value(problem.objective) or 0.0)
        rhs = table["rhs"].to_numpy(dtype=float)
        table["activity"] = act
        table["slack"] = np.where(table["sense"] == ">=", act - rhs, rhs - act)
        table["dual"] = dual + 0.0  # no negative zeros
        return table


def _no_relaxation(status: str) -> NoReturn:
    raise InfeasibleError(
        f"the LP relaxation has no optimal solution (solver status {status!r}): no portfolio "
        "satisfies the constraints even with fractional selections."
    )


def _highs_relaxation(mm: MatrixModel, names: pd.Series
                      ) -> tuple[np.ndarray, np.ndarray, float]:
    """Solve the LP relaxation of ``mm`` with HiGHS in memory.

    Return the activity and the dual value (increase of the LP optimum per unit of
    right-hand side) of the rows ``names``, and the LP optimum. Interior point and crossover
    (:func:`portfolio_opt.heuristic.lp_relaxation`): 3 s at 10 000 projects, where HiGHS's
    default dual simplex took 23 s; 97 s at 100 000, where the PuLP route to CBC took 13
    minutes.
    """
    from portfolio_opt.heuristic import lp_relaxation

    relax = lp_relaxation(mm)
    if relax.status != "Optimal" or relax.row_value is None or relax.row_dual is None:
        _no_relaxation(relax.status)
    position = pd.Index(mm.row_names).get_indexer(names.to_numpy())
    if (position < 0).any():
        raise AssertionError(f"rows of the model missing from its matrix: "
                             f"{names[position < 0].tolist()[:5]}")  # a bug, not bad input
    return relax.row_value[position], relax.row_dual[position], relax.bound
