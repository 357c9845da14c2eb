"""Time building (and optionally solving) the selection model on synthetic portfolios.

Reports, for each size, the seconds to build the PuLP model in bulk
(``SelectionModel.build``) as a ratio of ``matrix_build_s``: building the same
constraint matrix directly with numpy/scipy and loading it into HiGHS, measured
in the same run. Speed is measured here, never in timed tests.

Usage::

    python benchmarks/bench_build.py                      # 1 000, 10 000, 100 000 projects
    python benchmarks/bench_build.py --sizes 1000 5000 --solve --time-limit 10
"""

from __future__ import annotations

import argparse
import platform
import resource
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

from portfolio_opt import SelectionModel, select
from portfolio_opt.datasets import synthetic


def matrix_build(pf) -> tuple[sp.csr_matrix, np.ndarray]:
    """Budget + capacity rows as a CSR matrix straight from the portfolio's arrays."""
    projects = pf.projects
    n = len(projects)
    start = pf.period_position(projects["earliest_start"])
    rows = [np.zeros(n, dtype=np.int64)]
    cols = [np.arange(n)]
    vals = [projects["cost"].to_numpy()]
    rhs = [pf.budget.total if pf.budget.total is not None else np.inf]
    demand = pf.demand
    comp = pd.Index(pf.competences)
    n_periods = len(pf.periods)
    j = projects.index.get_indexer(demand["project_id"])
    period = start[j] + demand["offset"].to_numpy()
    rows.append(1 + comp.get_indexer(demand["competence"]) * n_periods + period)
    cols.append(j)
    vals.append(demand["amount"].to_numpy())
    cap = pf.capacity
    rhs.extend(cap["amount"].to_numpy())
    A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(1 + len(comp) * n_periods, n))
    return A, np.asarray(rhs, dtype=float)


def load_highs(A: sp.csr_matrix, rhs: np.ndarray, c: np.ndarray) -> None:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    csc = A.tocsc()
    n = A.shape[1]
    inf = highspy.kHighsInf
    h.addCols(n, -c, np.zeros(n), np.ones(n), 0, np.array([], dtype=np.int32),
              np.array([], dtype=np.int32), np.array([], dtype=float))
    h.addRows(A.shape[0], np.full(A.shape[0], -inf), np.where(np.isfinite(rhs), rhs, inf),
              csc.nnz, A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data)
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                            np.ones(n, dtype=np.uint8))


def run(n: int, solve: bool, time_limit: float | None) -> dict[str, float]:
    t0 = time.perf_counter()
    pf = synthetic(n)
    t_data = time.perf_counter() - t0

    t0 = time.perf_counter()
    A, rhs = matrix_build(pf)
    c = pf.projects["value"].to_numpy()
    try:
        load_highs(A, rhs, c)
    except ImportError:
        pass
    t_matrix = time.perf_counter() - t0

    model = SelectionModel(pf, "value")
    t0 = time.perf_counter()
    model.build()
    t_build = time.perf_counter() - t0
    row = {
        "projects": n,
        "rows": A.shape[0],
        "nonzeros": A.nnz,
        "data_s": t_data,
        "matrix_build_s": t_matrix,
        "pulp_build_s": t_build,
        "build_ratio": t_build / t_matrix,
    }
    if solve:
        for solver in ("cbc", "highs"):
            sel = select(pf, "value", solver=solver, time_limit=time_limit)
            row[f"{solver}_status"] = sel.status.value
            row[f"{solver}_gap"] = sel.gap
            row[f"{solver}_solve_s"] = sel.solve_time
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--solve", action="store_true", help="also solve with CBC and HiGHS")
    parser.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args()
    print(f"# {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}, {time.strftime('%Y-%m-%d')}")
    rows = [run(n, args.solve, args.time_limit) for n in args.sizes]
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:.3g}"))


if __name__ == "__main__":
    main()
