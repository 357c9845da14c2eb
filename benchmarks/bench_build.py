"""Time building and solving the selection model on synthetic portfolios.

For each size (default 1 000, 10 000 and 100 000 projects, 20 competences,
12 periods; :func:`portfolio_opt.datasets.synthetic`) a fresh Python process

1. generates the portfolio (``data_s``, not part of any ratio);
2. builds the model through the library, ``SelectionModel(pf, "value").build()``
   (PuLP, in bulk): ``build_s``;
3. builds **the same constraint matrix directly** with numpy/scipy from the
   portfolio's public tables and loads it into HiGHS with ``passModel`` (a
   ``HighsLp``): ``matrix_build_s`` is that build-and-load time, and
   ``ratio = build_s / matrix_build_s`` the cost of the modelling layer
   (both builds alternate ``--repeat`` times; the fastest of each counts);
4. checks that both are the same model: the same decision variables (one per
   project and start period, ``SelectionModel.options_``), objective and
   variable bounds and, group by group (``SelectionModel.constraints_``), the
   same number of rows and non-zeros and the same sums of coefficients and of
   right-hand sides -- the script stops with an error if not.

Then, for each ``--solver`` (default CBC; ``--time-limit`` default 10 s), another
fresh process generates the portfolio again and solves it with
``portfolio_opt.select``: status, objective, bound, gap and ``solve_s`` (the
solver call, as the library reports it), ``wall_s`` (the whole ``select``).

Memory: ``ru_maxrss`` is a process-lifetime peak, hence the fresh processes.
``peak_rss_build_mb`` is the build process's peak; each solve records its
process's peak (HiGHS runs inside it) and ``solver_child_rss_mb``, the peak of
the CBC process; ``peak_rss_mb`` is the largest of these. A process that
overruns ``--kill-after`` is stopped and the record says so (HiGHS and CBC
have been seen not to return at their time limit on large models).

Usage::

    python benchmarks/bench_build.py --json build.json     # 1 000, 10 000, 100 000; CBC, 10 s
    python benchmarks/bench_build.py --sizes 1000 10000 --solver cbc highs --time-limit 10
    python benchmarks/bench_build.py --sizes 100000 --solver none   # build only
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

REPO = Path(__file__).resolve().parent.parent

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


# --------------------------------------------------------------------------- one size
def _rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def measure_build(n: int, *, n_competences: int = 20, n_periods: int = 12, seed: int = 0,
                  repeat: int = 3) -> dict[str, Any]:
    """Generate the portfolio, build it both ways, check they are the same model."""
    import highspy  # noqa: F401  (imported before timing)

    from portfolio_opt import SelectionModel
    from portfolio_opt.datasets import synthetic

    rec: dict[str, Any] = {"n_projects": n, "n_competences": n_competences,
                           "n_periods": n_periods, "seed": seed, "code_sha": code_sha(),
                           "load_average_start": _loadavg()}
    t0 = time.perf_counter()
    pf = synthetic(n, n_competences, n_periods, seed)
    rec["data_s"] = time.perf_counter() - t0
    rec["rss_after_data_mb"] = _rss_mb()

    # Library build and direct build alternate ``repeat`` times; the fastest of each is
    # reported (the first build pays one-off costs: imports, caches). The library's model
    # comes first: its shape (start options etc.) decides what "the same model" means.
    build_times, matrix_times = [], []
    model: Any = None
    dm: DirectModel | None = None
    h: Any = None
    for _ in range(max(1, repeat)):
        model = dm = h = None  # free the previous round before building again
        model = SelectionModel(pf, "value")
        t0 = time.perf_counter()
        model.build()
        build_times.append(time.perf_counter() - t0)
        shape = model_shape(model)
        t0 = time.perf_counter()
        dm, h = build_direct(pf, **shape)
        matrix_times.append(time.perf_counter() - t0)
    rec["build_s"], rec["matrix_build_s"] = min(build_times), min(matrix_times)
    rec["build_s_all"], rec["matrix_build_s_all"] = build_times, matrix_times
    rec.update({f"model_{k}": v for k, v in shape.items()})
    assert model is not None and dm is not None
    rec.update(check_same_model(model, dm, h))
    rec["ratio"] = rec["build_s"] / rec["matrix_build_s"]
    rec["peak_rss_build_mb"] = _rss_mb()
    rec["load_average_end"] = _loadavg()
    return rec


def measure_solve(n: int, solver: str, *, n_competences: int = 20, n_periods: int = 12,
                  seed: int = 0, time_limit: float = 10.0,
                  out: Path | None = None) -> dict[str, Any]:
    """Generate the portfolio and ``select`` it with one solver: one entry of ``solves``.

    With ``out``, the entry so far (memory peaks) is written there every second, so that a
    solve stopped from outside still reports them.
    """
    from portfolio_opt import select
    from portfolio_opt.datasets import synthetic

    pf = synthetic(n, n_competences, n_periods, seed)
    s: dict[str, Any] = {"solver": solver, "time_limit": time_limit,
                         "load_average_start": _loadavg()}
    def progress(peak: float | None) -> None:
        if out is not None:
            out.write_text(json.dumps({**s, "status": "started", "peak_rss_mb": _rss_mb(),
                                       "solver_child_rss_mb": peak}))

    sampler = _ChildPeak(report=progress)
    sampler.start()
    t0 = time.perf_counter()
    try:
        sel = select(pf, "value", solver=solver, time_limit=time_limit)
    except Exception as exc:  # noqa: BLE001 - recorded: a benchmark reports what happened
        s["wall_s"] = time.perf_counter() - t0
        s.update({"status": "error", "error": f"{type(exc).__name__}: {exc}"})
    else:
        s["wall_s"] = time.perf_counter() - t0
        s.update({"status": sel.status.value, "objective": sel.objective, "bound": sel.bound,
                  "gap": sel.gap, "solve_s": sel.solve_time, "select_build_s": sel.build_time,
                  "selected": int(sel.selected.sum())})
        del sel
    finally:
        sampler.stop()
    s["peak_rss_mb"] = _rss_mb()  # generation + build + HiGHS (in process)
    s["solver_child_rss_mb"] = sampler.peak_mb  # the CBC process (None: no child process)
    s["load_average_end"] = _loadavg()
    return s


class _ChildPeak:
    """Sample the peak resident memory (``VmHWM``) of this process's children (Linux).

    ``getrusage(RUSAGE_CHILDREN)`` is no use for CBC: a child forked from Python counts the
    pages it shares with Python before ``exec``. ``VmHWM`` in ``/proc/PID/status`` is the peak
    of the program the child runs now; it is read every 0.1 s until the child ends, so growth
    in its last 0.1 s can be missed.
    """

    def __init__(self, every: float = 0.1, report: Any = None) -> None:
        import threading

        self.every = every
        self.report = report  # called with the peak so far, about once a second
        self.peak_mb: float | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        if Path("/proc/self/status").exists():
            self._thread.start()

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()

    def _children(self) -> list[str]:
        """Children that have exec'd another program (a fork not yet exec'd is Python)."""
        me = str(os.getpid())
        my_comm = Path("/proc/self/comm").read_text()
        out = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                comm, rest = stat.read_text().rsplit(")", 1)
            except (OSError, ValueError):
                continue
            # fields after "(comm)": state, ppid, ...
            if rest.split()[1] == me and comm.split("(", 1)[1] != my_comm.strip():
                out.append(stat.parent.name)
        return out

    def _run(self) -> None:
        tick = 0
        while not self._done.wait(self.every):
            tick += 1
            if self.report is not None and tick % max(1, round(1 / self.every)) == 0:
                self.report(self.peak_mb)
            for pid in self._children():
                try:
                    text = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                for line in text.splitlines():
                    if line.startswith("VmHWM:"):
                        mb = int(line.split()[1]) / 1024
                        self.peak_mb = mb if self.peak_mb is None else max(self.peak_mb, mb)


def measure(n: int, *, n_competences: int = 20, n_periods: int = 12, seed: int = 0,
            solvers: tuple[str, ...] = ("cbc",), time_limit: float = 10.0,
            repeat: int = 3) -> dict[str, Any]:
    """Build and solve one size in this process (``peak_rss_mb``: this process so far)."""
    rec = measure_build(n, n_competences=n_competences, n_periods=n_periods, seed=seed,
                        repeat=repeat)
    rec["solves"] = [measure_solve(n, solver, n_competences=n_competences,
                                   n_periods=n_periods, seed=seed, time_limit=time_limit)
                     for solver in solvers]
    return _finish(rec)


def _finish(rec: dict[str, Any]) -> dict[str, Any]:
    """Top-level fields: the first solver's result, and the peak memory over every process."""
    solves = rec.setdefault("solves", [])
    first = solves[0] if solves else {}
    for k in ("solver", "status", "objective", "bound", "gap", "solve_s"):
        rec[k] = first.get(k, "not_run" if k == "status" else None)
    peaks = [rec.get("peak_rss_build_mb")] + [s.get("peak_rss_mb") for s in solves]
    peaks += [s.get("solver_child_rss_mb") for s in solves]
    rec["peak_rss_mb"] = max((p for p in peaks if p is not None), default=None)
    return rec


def _loadavg() -> list[float] | None:
    """1, 5 and 15 minute load averages (other work on the machine skews the timings)."""
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def _jsonable(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    return str(x)


def _child(stage: str, n: int, args: argparse.Namespace, limit: float) -> dict[str, Any]:
    """Run one stage (``build`` or a solver name) for size ``n`` in a fresh process."""
    fd, path = tempfile.mkstemp(prefix=f"bench_build_{n}_{stage}_", suffix=".json")
    os.close(fd)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(n),
           "--child-stage", stage, "--child-out", path,
           "--competences", str(args.competences), "--periods", str(args.periods),
           "--seed", str(args.seed), "--time-limit", str(args.time_limit),
           "--repeat", str(args.repeat)]
    # a private temporary folder, removed afterwards: a stopped CBC leaves PuLP's files behind
    tmp = tempfile.mkdtemp(prefix=f"bench_build_{n}_{stage}_")
    env = {**os.environ, "TMPDIR": tmp, "TMP": tmp, "TEMP": tmp}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, env=env)
    try:
        rc = proc.wait(timeout=limit)
        note = None if rc == 0 else f"{stage}: process exited with code {rc}"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the child and its solver processes
        proc.wait()
        note = f"{stage}: stopped by bench_build after {limit:.0f} s wall time"
    try:
        text = Path(path).read_text()
        rec: dict[str, Any] = json.loads(text) if text else {}
    finally:
        os.remove(path)
        shutil.rmtree(tmp, ignore_errors=True)
    if note:
        rec["note"] = note
        if stage != "build":
            rec.setdefault("solver", stage)
            rec["status"] = "killed" if "stopped" in note else "crashed"
            rec["wall_s"] = time.perf_counter() - t0
    return rec


def run_in_children(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """One size: the build in one fresh process, each solver in another (each with a limit)."""
    build_limit = args.kill_after or 900.0
    solve_limit = args.kill_after or 3 * args.time_limit + 240.0
    rec = _child("build", n, args, build_limit)
    rec.setdefault("n_projects", n)
    notes = [rec.pop("note")] if "note" in rec else []
    rec["solves"] = []
    for solver in args.solver:
        s = _child(solver, n, args, solve_limit)
        if "note" in s:
            notes.append(s.pop("note"))
        rec["solves"].append(s)
    if notes:
        rec["note"] = "; ".join(notes)
    return _finish(rec)


# --------------------------------------------------------------------------- main
def code_sha() -> str:
    """Short SHA-256 of the library's source as imported (to tell which code was measured)."""
    import hashlib

    import portfolio_opt

    root = Path(portfolio_opt.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def environment() -> dict[str, Any]:
    """Machine, versions, date and code state, for the record."""
    import importlib.metadata as md

    def version(pkg: str) -> str:
        try:
            return md.version(pkg)
        except md.PackageNotFoundError:
            return "not installed"

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, timeout=10).stdout.splitlines()
        changed = sorted(line[3:] for line in dirty if line.strip())
        git = head + (f" + uncommitted changes to {', '.join(changed)}" if changed else "")
    except (OSError, subprocess.SubprocessError):
        git = "unknown"
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "uname": " ".join(platform.uname()),
            "cpu": cpu, "cpus": os.cpu_count(), "python": platform.python_version(),
            "pulp": version("pulp"), "highspy": version("highspy"),
            "numpy": version("numpy"), "scipy": version("scipy"), "pandas": version("pandas"),
            "portfolio_opt": version("portfolio_opt"), "code_sha": code_sha(),
            "git": git, "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
            "command": " ".join([Path(sys.executable).name, *sys.argv])}


COLUMNS = ["n_projects", "n_options", "n_rows", "n_nonzeros", "data_s", "build_s",
           "matrix_build_s", "ratio", "solver", "status", "objective", "gap", "bound",
           "solve_s", "peak_rss_build_mb", "peak_rss_mb"]


def strict_json(obj: Any) -> Any:
    """NaN and infinities (no portfolio, no bound) become null: the file is strict JSON."""
    if isinstance(obj, dict):
        return {k: strict_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [strict_json(v) for v in obj]
    if isinstance(obj, float | np.floating) and not math.isfinite(obj):
        return None
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--competences", type=int, default=20)
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--solver", nargs="+", default=["cbc"],
                        help="solvers to run after the build: cbc, highs, or none (default cbc)")
    parser.add_argument("--time-limit", type=float, default=10.0,
                        help="seconds per solve (default 10)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="build both ways this many times, report the fastest (default 3)")
    parser.add_argument("--kill-after", type=float, default=None,
                        help="stop a process after this many seconds (default: 900 for "
                             "the build, 3 x time limit + 240 for each solve)")
    parser.add_argument("--in-process", action="store_true",
                        help="run every size in this process (peak_rss_mb is then the "
                             "maximum over this and all earlier sizes)")
    parser.add_argument("--json", type=Path, help="write one record per size to this file")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-stage", default="build", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.solver = [] if args.solver == ["none"] else [s.lower() for s in args.solver]

    if args.child is not None:
        if args.child_stage == "build":
            out = measure_build(args.child, n_competences=args.competences,
                                n_periods=args.periods, seed=args.seed, repeat=args.repeat)
        else:
            out = measure_solve(args.child, args.child_stage, n_competences=args.competences,
                                n_periods=args.periods, seed=args.seed,
                                time_limit=args.time_limit, out=args.child_out)
        args.child_out.write_text(json.dumps(out, default=_jsonable))
        return 0

    env = environment()
    print(f"# {env['date']}  {env['uname']}  {env['cpu']} ({env['cpus']} CPUs)  "
          f"python {env['python']}  pulp {env['pulp']}  highspy {env['highspy']}")
    print(f"# code {env['git']}; {args.competences} competences, {args.periods} periods, "
          f"solvers {args.solver or 'none'}, time limit {args.time_limit:g} s", flush=True)
    records = []
    for n in args.sizes:
        if args.in_process:
            rec = measure(n, n_competences=args.competences, n_periods=args.periods,
                          seed=args.seed, solvers=tuple(args.solver),
                          time_limit=args.time_limit, repeat=args.repeat)
            rec["peak_rss_note"] = "process-lifetime maximum over this and earlier sizes"
        else:
            rec = run_in_children(n, args)
            rec["peak_rss_note"] = ("largest peak of the fresh processes of this size "
                                    "(build; each solver, including the CBC process)")
        rec["environment"] = env
        records.append(rec)
        row = {k: rec.get(k) for k in COLUMNS}
        print("  ".join(f"{k}={_fmt(v)}" for k, v in row.items()), flush=True)
        for s in rec.get("solves", [])[1:]:
            print("      " + "  ".join(f"{k}={_fmt(s.get(k))}" for k in
                                       ("solver", "status", "objective", "gap", "bound",
                                        "solve_s")), flush=True)
        for s in rec.get("solves", []):
            if s.get("error"):
                print(f"      {s['solver']} error: {s['error']}", flush=True)
        if rec.get("note"):
            print(f"      note: {rec['note']}", flush=True)
        if args.json:  # rewritten after every size, so a long run leaves partial results
            args.json.write_text(json.dumps(strict_json(records), indent=1, default=_jsonable)
                                 + "\n")
    table = pd.DataFrame([{k: r.get(k) for k in COLUMNS} for r in records])
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    failed = [r for r in records if "note" in r
              or any(s.get("status") == "error" for s in r.get("solves", []))]
    return 1 if failed else 0


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


if __name__ == "__main__":
    sys.exit(main())
