"""The selection model built directly with numpy/scipy and loaded into HiGHS.

What ``benchmarks/bench_build.py`` times against the library's PuLP build
(``matrix_build_s``), and the check that both are the same model: the same
decision variables, objective, bounds and, group by group, the same rows,
non-zeros and sums of coefficients and right-hand sides. Built from the
portfolio's public tables only (``projects``, ``demand``, ``capacity``,
``budget``, ``relations``), never from the library's model. Importable by the
scripts next to it (``from matrix_build import build_direct``) and by the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

# Constraint groups this script builds directly (the others are not produced by synthetic data;
# a model with rows in any other group stops the script: extend direct_matrix first).
DIRECT_GROUPS = ("budget", "period_budget", "capacity", "one_start", "mandatory",
                 "requires", "excludes", "together")


# --------------------------------------------------------------------------- the direct build
@dataclass
class DirectModel:
    """The selection model as arrays: maximise ``c @ x``, ``row_lower <= A x <= row_upper``.

    ``columns`` says what each column is: ``kind`` "option" (``project_id``, ``start``),
    "project" (``X_j``, the selection of a project with several starts; a project with one
    start is selected by its only option) or "hire" (``competence``, ``period``: units of
    flexible capacity, continuous; always the last columns).
    """

    options: pd.DataFrame  # project_id, start (period position)
    columns: pd.DataFrame  # kind, project_id, start (-1 if none), competence, period
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    group: np.ndarray  # constraint group of each row
    c: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray


def direct_options(pf, schedule: bool = True) -> pd.DataFrame:
    """One row per project and start period: every start in the window, or the earliest only."""
    projects = pf.projects
    first = pf.period_position(projects["earliest_start"])
    last = pf.period_position(projects["latest_start"]) if schedule else first
    width = last - first + 1
    k = np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width)
    return pd.DataFrame({"project_id": np.repeat(projects.index.to_numpy(), width),
                         "start": np.repeat(first, width) + k})


def direct_matrix(pf, options: pd.DataFrame, value: np.ndarray | None = None,
                  budget: float | None = None, mandatory_rows: bool = True) -> DirectModel:
    """Build the selection model with numpy/scipy from the portfolio's public tables.

    Columns: one binary per option (project, start), then one ``X_j`` per project with
    several options (``X_j`` of a project with one option is that option), then one
    continuous ``hire`` column (0 .. ``flex_amount``) per capacity row with ``flex_amount``
    > 0. Objective: ``value_j X_j``. Rows, in this order: ``budget`` (``sum cost_j X_j +
    flex_cost x hire <= total``), ``period_budget`` (cost spread evenly over the duration
    from the option's start, plus the period's hiring cost), ``capacity`` (demand ``amount``
    in period ``start + offset`` - hired units <= capacity, one row per competence x period
    of the capacity table), ``one_start`` (``sum_s x[j,s] - X_j
    == 0`` for projects with several options), ``mandatory`` (``X_j == 1``; with
    ``mandatory_rows=False`` a lower bound of 1 instead), ``requires`` (``X_A - X_B <= 0``),
    ``excludes`` (``X_A + X_B <= 1``), ``together`` (``X_A - X_B == 0``). Explicit zeros
    are dropped, duplicates summed.
    """
    projects = pf.projects
    ids = projects.index
    n_opt = len(options)
    j = ids.get_indexer(options["project_id"])  # project of each option
    start = options["start"].to_numpy(np.int64)
    cost_p = projects["cost"].to_numpy(float)
    n_periods = len(pf.periods)
    value_p = projects["value"].to_numpy(float) if value is None else np.asarray(value, float)
    # the options of project p are order[first[p] : first[p] + n_of[p]]
    order = np.argsort(j, kind="stable")
    n_of = np.bincount(j, minlength=len(ids))
    first = np.cumsum(n_of) - n_of
    multi = n_of > 1
    xcol = np.empty(len(ids), dtype=np.int64)  # column of X_j
    xcol[~multi] = order[first[~multi]]
    xcol[multi] = n_opt + np.arange(multi.sum())
    cap = pf.capacity
    flex = (cap["flex_amount"].fillna(0.0).to_numpy(float) if "flex_amount" in cap.columns
            else np.zeros(len(cap)))
    hire_row = np.flatnonzero(flex > 0)  # capacity rows where units may be hired
    hire_cost = (cap["flex_cost"].fillna(0.0).to_numpy(float)[hire_row]
                 if "flex_cost" in cap.columns else np.zeros(len(hire_row)))
    hire_t = pf.period_position(cap["period"].to_numpy()[hire_row])
    hcol = n_opt + int(multi.sum()) + np.arange(len(hire_row))
    n_cols = n_opt + int(multi.sum()) + len(hire_row)

    def expand(proj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For items about projects ``proj``: (item, option) for every option of the project."""
        reps = n_of[proj]
        item = np.repeat(np.arange(len(proj)), reps)
        k = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
        return item, order[first[proj][item] + k]

    r_parts: list[np.ndarray] = []  # row index of each term
    o_parts: list[np.ndarray] = []  # column of each term
    v_parts: list[np.ndarray] = []  # coefficient
    lower: list[np.ndarray] = []
    upper: list[np.ndarray] = []
    groups: list[np.ndarray] = []
    n_rows = 0

    def block(name: str, n: int, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray | float,
              lo: np.ndarray | float, up: np.ndarray | float) -> None:
        nonlocal n_rows
        r_parts.append(rows + n_rows)
        o_parts.append(cols)
        v_parts.append(np.broadcast_to(np.asarray(vals, dtype=float), rows.shape))
        lower.append(np.broadcast_to(np.asarray(lo, dtype=float), (n,)))
        upper.append(np.broadcast_to(np.asarray(up, dtype=float), (n,)))
        groups.append(np.full(n, name, dtype=object))
        n_rows += n

    c = np.zeros(n_cols)
    c[xcol] = value_p
    total = pf.budget.total if budget is None else budget
    if total is not None:
        block("budget", 1, np.zeros(len(ids) + len(hcol), np.int64),
              np.concatenate([xcol, hcol]), np.concatenate([cost_p, hire_cost]), -np.inf, total)
    per = pf.budget.per_period
    dur = projects["duration"].to_numpy(np.int64)[j]
    if per is not None:
        opt = np.repeat(np.arange(n_opt), dur)
        off = np.arange(dur.sum()) - np.repeat(np.cumsum(dur) - dur, dur)
        block("period_budget", n_periods, np.concatenate([start[opt] + off, hire_t]),
              np.concatenate([opt, hcol]),
              np.concatenate([(cost_p[j] / dur)[opt], hire_cost]),
              -np.inf, per.reindex(pf.periods).to_numpy(float))
    if len(cap):
        demand = pf.demand
        line, opt = expand(ids.get_indexer(demand["project_id"]))
        period = start[opt] + demand["offset"].to_numpy(np.int64)[line]
        comps = pd.Index(pd.unique(cap["competence"]))
        cell_row = np.full(len(comps) * n_periods, -1, dtype=np.int64)
        cell_row[comps.get_indexer(cap["competence"]) * n_periods
                 + pf.period_position(cap["period"])] = np.arange(len(cap))
        d_comp = comps.get_indexer(demand["competence"])[line]
        inside = (d_comp >= 0) & (period >= 0) & (period < n_periods)
        row = np.where(inside, cell_row[np.where(inside, d_comp * n_periods + period, 0)], -1)
        if (row < 0).any():
            raise AssertionError("demand falls outside the capacity table (competence x period)")
        block("capacity", len(cap), np.concatenate([row, hire_row]),
              np.concatenate([opt, hcol]),
              np.concatenate([demand["amount"].to_numpy(float)[line], -np.ones(len(hcol))]),
              -np.inf, cap["amount"].to_numpy(float))
    m_proj = np.flatnonzero(multi)
    if len(m_proj):
        row, opt = expand(m_proj)
        block("one_start", len(m_proj), np.concatenate([row, np.arange(len(m_proj))]),
              np.concatenate([opt, xcol[m_proj]]),
              np.concatenate([np.ones(len(opt)), -np.ones(len(m_proj))]), 0.0, 0.0)
    mandatory = np.flatnonzero(projects["mandatory"].to_numpy(bool))
    col_lower = np.zeros(n_cols)
    col_upper = np.ones(n_cols)
    col_upper[hcol] = flex[hire_row]
    if mandatory_rows and len(mandatory):
        block("mandatory", len(mandatory), np.arange(len(mandatory)), xcol[mandatory], 1.0,
              1.0, 1.0)
    elif len(mandatory):
        col_lower[xcol[mandatory]] = 1.0
    rel = pf.relations
    for kind, sign, lo, up in (("requires", -1.0, -np.inf, 0.0), ("excludes", 1.0, -np.inf, 1.0),
                               ("together", -1.0, 0.0, 0.0)):
        r = rel.loc[rel["kind"] == kind]
        if r.empty:
            continue
        a = xcol[ids.get_indexer(r["project_id"])]
        b = xcol[ids.get_indexer(r["other_id"])]
        n = len(r)
        block(kind, n, np.tile(np.arange(n), 2), np.concatenate([a, b]),
              np.concatenate([np.ones(n), np.full(n, sign)]), lo, up)

    rows = np.concatenate(r_parts) if r_parts else np.array([], np.int64)
    A = sp.csr_matrix((np.concatenate(v_parts) if v_parts else np.array([]),
                       (rows, np.concatenate(o_parts) if o_parts else rows)),
                      shape=(n_rows, n_cols))
    A.sum_duplicates()
    A.eliminate_zeros()
    n_hire = len(hcol)
    columns = pd.DataFrame({
        "kind": np.repeat(np.array(["option", "project", "hire"], dtype=object),
                          [n_opt, len(m_proj), n_hire]),
        "project_id": np.concatenate([options["project_id"].to_numpy(object),
                                      ids.to_numpy(object)[m_proj],
                                      np.full(n_hire, None, dtype=object)]),
        "start": np.concatenate([start, np.full(len(m_proj) + n_hire, -1)]),
        "competence": np.concatenate([np.full(n_opt + len(m_proj), None, dtype=object),
                                      cap["competence"].to_numpy(object)[hire_row]]),
        "period": np.concatenate([np.full(n_opt + len(m_proj), None, dtype=object),
                                  cap["period"].to_numpy(object)[hire_row]]),
    })
    return DirectModel(options, columns, A,
                       np.concatenate(lower) if lower else np.array([]),
                       np.concatenate(upper) if upper else np.array([]),
                       np.concatenate(groups) if groups else np.array([], dtype=object),
                       c, col_lower, col_upper)


def load_highs(dm: DirectModel):
    """Load the direct model into HiGHS with ``passModel(HighsLp)`` (binary columns, maximise)."""
    import highspy

    csc = dm.A.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = dm.A.shape[1]
    lp.num_row_ = dm.A.shape[0]
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = dm.c
    lp.col_lower_ = dm.col_lower
    lp.col_upper_ = dm.col_upper
    inf = highspy.kHighsInf
    lp.row_lower_ = np.where(np.isfinite(dm.row_lower), dm.row_lower, -inf)
    lp.row_upper_ = np.where(np.isfinite(dm.row_upper), dm.row_upper, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = lp.num_col_
    lp.a_matrix_.num_row_ = lp.num_row_
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data
    n_hire = int((dm.columns["kind"] == "hire").sum())  # the last columns, continuous
    lp.integrality_ = ([highspy.HighsVarType.kInteger] * (lp.num_col_ - n_hire)
                       + [highspy.HighsVarType.kContinuous] * n_hire)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    status = h.passModel(lp)
    if status != highspy.HighsStatus.kOk:
        raise AssertionError(f"HiGHS passModel returned {status}")
    return h


def build_direct(pf, schedule: bool, mandatory_rows: bool, value: np.ndarray | None = None,
                 load: bool = True) -> tuple[DirectModel, Any]:
    """Options + matrix + HiGHS load: the work ``matrix_build_s`` times.

    ``value`` is the objective coefficient of each project in the projects table's order
    (default: its ``value`` column).
    """
    options = direct_options(pf, schedule)
    dm = direct_matrix(pf, options, value, mandatory_rows=mandatory_rows)
    h = load_highs(dm) if load else None
    return dm, h


# --------------------------------------------------------------------------- same model?
def model_shape(model) -> dict[str, Any]:
    """How the library built this model: start options or not, mandatory as rows or bounds."""
    options = model.options_
    groups = model.constraints_["group"] if len(model.constraints_) else pd.Series([], dtype=str)
    return {
        "schedule": bool(len(options) > options["project_id"].nunique()),
        "mandatory_rows": bool((groups == "mandatory").any()),
    }


def constraint_list(problem) -> list:
    """The constraints of a PuLP problem: ``problem.constraints()`` (PuLP >= 3.3) or a dict."""
    cons = problem.constraints
    return cons() if callable(cons) else list(cons.values())


def pulp_stats(model) -> pd.DataFrame:
    """Per constraint group of the PuLP model: rows, non-zeros, sum of coefficients and rhs."""
    cons = model.constraints_
    group = dict(zip(cons["name"], cons["group"])) if len(cons) else {}
    recs = []
    for con in constraint_list(model.problem_):
        coefs = np.fromiter(con.values(), dtype=float, count=len(con))
        recs.append((group.get(con.name, "?"), int((coefs != 0).sum()), float(coefs.sum()),
                     -float(con.constant)))
    df = pd.DataFrame(recs, columns=["group", "nnz", "coef_sum", "rhs"])
    if df.empty:
        return pd.DataFrame(columns=["rows", "nnz", "coef_sum", "rhs_sum"])
    return df.groupby("group").agg(rows=("nnz", "size"), nnz=("nnz", "sum"),
                                   coef_sum=("coef_sum", "sum"), rhs_sum=("rhs", "sum"))


def direct_stats(dm: DirectModel) -> pd.DataFrame:
    """Per group of the direct matrix: rows, non-zeros, sum of coefficients and rhs."""
    A = dm.A.tocsr()
    rhs = np.where(np.isfinite(dm.row_upper), dm.row_upper, dm.row_lower)
    df = pd.DataFrame({"group": dm.group, "nnz": np.diff(A.indptr),
                       "coef_sum": np.asarray(A.sum(axis=1)).ravel(), "rhs": rhs})
    if df.empty:
        return pd.DataFrame(columns=["rows", "nnz", "coef_sum", "rhs_sum"])
    return df.groupby("group").agg(rows=("nnz", "size"), nnz=("nnz", "sum"),
                                   coef_sum=("coef_sum", "sum"), rhs_sum=("rhs", "sum"))


def _library_columns(model) -> dict[str, tuple]:
    """PuLP variable name -> column key: ("option", project, start) or ("project", project)."""
    keys: dict[str, tuple] = {}
    for v, p, t in zip(model.variables_, model.options_["project_id"], model.options_["start"]):
        keys[v.name] = ("option", p, int(t))
    selected = getattr(model, "selected_variables_", None)
    if selected is not None:
        for p, v in selected.items():
            keys.setdefault(v.name, ("project", p))
    other = getattr(model, "columns_", None)
    if other is not None and len(other):
        hires = other.loc[other["kind"] == "hire"]
        for name, c, t in zip(hires["variable"], hires["competence"], hires["period"]):
            keys[name] = ("hire", c, t)
    return keys


def check_same_model(model, dm: DirectModel, h=None) -> dict[str, Any]:
    """Raise AssertionError unless the PuLP model and the direct matrix are the same model.

    Compares the options (project, start); column by column (matched by what they stand
    for) the objective and the bounds; and per constraint group the rows, non-zeros and sums
    of coefficients and right-hand sides. With ``h`` (the HiGHS object), also its counts.
    """
    problems = []
    lib = model.options_[["project_id", "start"]].astype({"start": np.int64})
    mine = dm.options.astype({"start": np.int64})
    key = ["project_id", "start"]
    if not lib.sort_values(key).reset_index(drop=True).equals(
            mine.sort_values(key).reset_index(drop=True)):
        problems.append(f"options differ: library {len(lib)}, direct {len(mine)}")
    # columns, objective and bounds, matched by key
    lib_keys = _library_columns(model)
    by_name = {v.name: v for v in model.problem_.variables()}
    extra = sorted(set(by_name) - set(lib_keys))
    if extra:
        problems.append(f"the model has columns bench_build does not build: {extra[:5]}")
    mine_keys = [("option", p, int(t)) if k == "option" else ("project", p) if k == "project"
                 else ("hire", c, per)
                 for k, p, t, c, per in zip(dm.columns["kind"], dm.columns["project_id"],
                                            dm.columns["start"], dm.columns["competence"],
                                            dm.columns["period"])]
    if sorted(map(str, lib_keys.values())) != sorted(map(str, mine_keys)):
        problems.append(f"columns differ: library {len(lib_keys)}, direct {len(mine_keys)}")
    else:
        position = {k: i for i, k in enumerate(mine_keys)}
        pos = np.array([position[k] for k in lib_keys.values()])
        obj = {v.name: a for v, a in model.problem_.objective.items()}
        names = list(lib_keys)
        variables = [by_name.get(n) for n in names]
        lib_c = np.array([obj.get(n, 0.0) for n in names], dtype=float)
        lib_lo = np.array([0.0 if v is None or v.lowBound is None else v.lowBound
                           for v in variables], dtype=float)
        lib_up = np.array([1.0 if v is None or v.upBound is None else v.upBound
                           for v in variables], dtype=float)
        for what, a, b in (("objective", lib_c, dm.c[pos]),
                           ("lower bounds", lib_lo, dm.col_lower[pos]),
                           ("upper bounds", lib_up, dm.col_upper[pos])):
            if not np.allclose(a, b, rtol=1e-9, atol=1e-9):
                problems.append(f"{what} differ in {int((~np.isclose(a, b)).sum())} columns")
    ps, ds = pulp_stats(model), direct_stats(dm)
    unknown = sorted(set(ps.index) - set(DIRECT_GROUPS))
    if unknown:
        problems.append(f"the model has constraint groups {unknown} that bench_build does not "
                        "build directly; extend direct_matrix")
    both = ps.merge(ds, how="outer", left_index=True, right_index=True,
                    suffixes=("_pulp", "_direct")).fillna(0)
    for g, r in both.iterrows():
        for col in ("rows", "nnz"):
            if r[f"{col}_pulp"] != r[f"{col}_direct"]:
                problems.append(f"{g}: {col} PuLP {int(r[f'{col}_pulp'])} != direct "
                                f"{int(r[f'{col}_direct'])}")
        for col in ("coef_sum", "rhs_sum"):
            x, y = float(r[f"{col}_pulp"]), float(r[f"{col}_direct"])
            if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6):
                problems.append(f"{g}: {col} PuLP {x!r} != direct {y!r}")
    n_rows, n_nz = int(both["rows_pulp"].sum()), int(both["nnz_pulp"].sum())
    if h is not None and (h.getNumRow() != dm.A.shape[0] or h.getNumNz() != dm.A.nnz
                          or h.getNumCol() != dm.A.shape[1]):
        problems.append(f"HiGHS holds {h.getNumRow()} rows / {h.getNumCol()} columns / "
                        f"{h.getNumNz()} non-zeros, the matrix {dm.A.shape} / {dm.A.nnz}")
    if problems:
        raise AssertionError("the direct matrix is not the library's model:\n  "
                             + "\n  ".join(problems))
    return {"n_rows": n_rows, "n_nonzeros": n_nz, "n_options": len(lib),
            "n_columns": len(lib_keys),
            "rows_by_group": {g: int(v) for g, v in both["rows_pulp"].items()}}
