"""Solve the OR-Library multidimensional knapsack sets through ``portfolio_opt.select``.

Validation of the selection model on published instances (issue 4):

- ``mknap1``: the 7 instances of Petersen (1967), "selection of R&D projects",
  with proven optima (the third number of each instance header). Target:
  every optimum reached exactly.
- ``mknapcb1`` (and, if asked, ``mknapcb2`` .. ``mknapcb9``): the 30-instance
  sets of Chu & Beasley (1998); the best feasible values they found are read
  from ``mkcbres.txt`` (first table; the second table, the LP relaxation, is
  an upper bound on every optimum). Target for ``mknapcb1``: worst gap to the
  best-known value <= 0.5 % at 10 s per instance.

Each instance becomes a portfolio: item j is a project with ``value`` =
profit and ``cost`` 0; resource row i is a competence with one period of
capacity (``amount`` = the row's capacity) and item j needs ``weights[i, j]``
of it. Every answer is checked here, with numpy, against the instance itself
(weights @ x <= capacity, objective = profit @ x), and the library's bound is
checked against the LP relaxation.

Data files are read from ``--data`` (default: ``../shared/data/mkp`` next to
the repository; ``tests/data`` holds ``mknap1.txt`` and ``mknapcb1.txt``).
When ``mkcbres.txt`` is not there, the 30 best-known values of ``mknapcb1``
copied below (with their source) are used.

Usage::

    python benchmarks/bench_mknap.py                 # mknap1 + mknapcb1, CBC and HiGHS, 10 s
    python benchmarks/bench_mknap.py --instances mknapcb1 --solver cbc --json cbc.json
    python benchmarks/bench_mknap.py --instances mknap1:0,1 mknapcb1:0-4 --time-limit 2
    python benchmarks/bench_mknap.py --data tests/data
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import environment, strict_json  # noqa: E402  (one record format for both)

DEFAULT_DATA = REPO.parent / "shared" / "data" / "mkp"
TARGET_GAP_PCT = 0.5  # worst gap to best known on mknapcb1, issue 4
TOL = 1e-6

# Best feasible values of mknapcb1 (5.100-00 .. 5.100-29) found by P.C. Chu and J.E. Beasley,
# "A genetic algorithm for the multidimensional knapsack problem", Journal of Heuristics
# 4:63-86, 1998 -- first table of OR-Library's mkcbres.txt. Used only when that file is not in
# --data (e.g. --data tests/data); when it is, tests/test_benchmarks.py checks they agree.
MKNAPCB1_BEST_KNOWN = [
    24381, 24274, 23551, 23534, 23991, 24613, 25591, 23410, 24216, 24411,
    42757, 42545, 41968, 45090, 42218, 42927, 42009, 45020, 43441, 44554,
    59822, 62081, 59802, 60479, 61091, 58959, 61538, 61520, 59453, 59965,
]


@dataclass(frozen=True)
class Instance:
    """One multidimensional knapsack instance of an OR-Library file."""

    name: str  # e.g. "mknapcb1:03"
    paper_name: str  # e.g. "5.100-03" (mkcbres.txt), "" for mknap1
    profit: np.ndarray  # (n,)
    weights: np.ndarray  # (m, n)
    capacity: np.ndarray  # (m,)
    best_known: float  # NaN when unknown
    proven: bool  # best_known is a proven optimum
    lp: float  # LP relaxation (upper bound), NaN when unknown


def read_orlib(path: Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """Read an OR-Library ``mknap`` file: ``(profit, weights, capacity, opt)`` per instance.

    Format: number of instances; per instance ``n m opt``, the n profits, the m rows of n
    coefficients, the m capacities (whitespace-separated; line breaks irrelevant).
    """
    numbers = np.array(Path(path).read_text().split(), dtype=float)
    k = 1
    out = []
    for _ in range(int(numbers[0])):
        n, m, opt = int(numbers[k]), int(numbers[k + 1]), float(numbers[k + 2])
        k += 3
        profit = numbers[k:k + n]
        k += n
        weights = numbers[k:k + n * m].reshape(m, n)
        k += n * m
        capacity = numbers[k:k + m]
        k += m
        out.append((profit, weights, capacity, opt))
    if k != len(numbers):
        raise ValueError(f"{path}: {len(numbers) - k} numbers left over after "
                         f"{int(numbers[0])} instances; is this an OR-Library mknap file?")
    return out


def read_mkcbres(path: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Best feasible values and LP relaxations from ``mkcbres.txt``, by name (``5.100-00``)."""
    best: dict[str, float] = {}
    lp: dict[str, float] = {}
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].count(".") == 1 and "-" in parts[0]:
            try:
                value = float(parts[1])
            except ValueError:
                continue
            # the best-solution table comes first; a name seen again is in the LP table
            (lp if parts[0] in best else best)[parts[0]] = value
    return best, lp


def load_set(data: Path, set_name: str) -> list[Instance]:
    """Load ``mknap1`` or ``mknapcbK`` from the folder ``data``."""
    path = data / f"{set_name}.txt"
    if not path.exists():
        raise SystemExit(f"{path} not found; pass --data pointing at a folder with "
                         f"{set_name}.txt (e.g. ../shared/data/mkp or tests/data).")
    raw = read_orlib(path)
    res = data / "mkcbres.txt"
    best, lp = read_mkcbres(res) if res.exists() else ({}, {})
    out = []
    for k, (profit, weights, capacity, opt) in enumerate(raw):
        m, n = weights.shape
        paper = f"{m}.{n}-{k:02d}" if set_name.startswith("mknapcb") else ""
        if set_name == "mknap1":
            bk, proven = opt, True
        elif paper in best:
            bk, proven = best[paper], False
        elif set_name == "mknapcb1":
            bk, proven = float(MKNAPCB1_BEST_KNOWN[k]), False
        else:
            bk, proven = math.nan, False
        out.append(Instance(f"{set_name}:{k:02d}", paper, profit, weights, capacity, bk,
                            proven, lp.get(paper, math.nan)))
    return out


def parse_instances(specs: list[str], data: Path) -> list[Instance]:
    """``mknap1``, ``mknapcb1``, ``mknapcb1:0-4``, ``mknap1:0,2,5`` -> instances."""
    out = []
    for spec in specs:
        set_name, _, which = spec.partition(":")
        instances = load_set(data, set_name)
        if not which:
            out.extend(instances)
            continue
        picked: list[int] = []
        for part in which.split(","):
            lo, _, hi = part.partition("-")
            picked.extend(range(int(lo), int(hi or lo) + 1))
        bad = [k for k in picked if not 0 <= k < len(instances)]
        if bad:
            raise SystemExit(f"{spec}: no instance {bad}; {set_name} has 0..{len(instances) - 1}.")
        out.extend(instances[k] for k in picked)
    return out


def portfolio_of(inst: Instance):
    """The instance as a Portfolio: rows -> competences with one period, cost 0, value = profit."""
    from portfolio_opt import Portfolio

    m, n = inst.weights.shape
    ids = np.array([f"j{j:03d}" for j in range(n)], dtype=object)
    comps = np.array([f"r{i}" for i in range(m)], dtype=object)
    ii, jj = np.nonzero(inst.weights)
    projects = pd.DataFrame({"project_id": ids, "cost": 0.0, "value": inst.profit})
    demand = pd.DataFrame({"project_id": ids[jj], "competence": comps[ii],
                           "amount": inst.weights[ii, jj]})
    capacity = pd.DataFrame({"competence": comps, "period": "1", "amount": inst.capacity})
    return Portfolio(projects, demand, capacity)


def run_instance(inst: Instance, solver: str, time_limit: float | None,
                 gap: float | None = None) -> dict[str, Any]:
    """Solve one instance with one solver and check the answer against the instance."""
    from portfolio_opt import select

    pf = portfolio_of(inst)
    t0 = time.perf_counter()
    try:
        sel = select(pf, "value", solver=solver, time_limit=time_limit, gap=gap)
    except Exception as exc:  # noqa: BLE001 - a benchmark records what happened
        return _failed(inst, solver, time_limit, f"{type(exc).__name__}: {exc}",
                       time.perf_counter() - t0)
    wall = time.perf_counter() - t0
    if sel.status.value == "not_solved":
        return _failed(inst, solver, time_limit, "no portfolio found in the time limit", wall,
                       sel.status.value, sel.solve_time)
    x = sel.selected.reindex([f"j{j:03d}" for j in range(len(inst.profit))]).to_numpy(bool)
    used = inst.weights @ x
    fits = bool(np.all(used <= inst.capacity + TOL * np.maximum(1.0, inst.capacity)))
    value = float(inst.profit @ x)
    bk = inst.best_known
    gap_pct = (bk - sel.objective) / bk * 100 if math.isfinite(bk) and bk else math.nan
    return {
        "instance": inst.name,
        "paper_name": inst.paper_name,
        "n": int(inst.weights.shape[1]),
        "m": int(inst.weights.shape[0]),
        "solver": solver,
        "time_limit": time_limit,
        "objective": sel.objective,
        "best_known": bk,
        "best_known_proven": inst.proven,
        "gap_to_best_pct": gap_pct,
        "status": sel.status.value,
        "gap": sel.gap,  # the library's relative gap to its own bound
        "bound": sel.bound,
        "lp": inst.lp,
        "solve_s": sel.solve_time,
        "wall_s": wall,
        # independent checks of the answer (numpy, from the instance itself)
        "feasible": fits,
        "objective_matches": bool(abs(value - sel.objective) <= TOL * max(1.0, abs(value))),
        "bound_ok": bool(sel.bound >= sel.objective - TOL * max(1.0, abs(sel.objective))
                         and (not math.isfinite(inst.lp) or sel.bound <= inst.lp + 1e-6)
                         and (not inst.proven or sel.bound >= bk - 1e-6)),
        # "optimal" must be at least the best known feasible value (equal to it when proven)
        "optimal_is_honest": bool(sel.status.value != "optimal" or not math.isfinite(bk)
                                  or (sel.objective >= bk - 1e-6
                                      and (not inst.proven or sel.objective <= bk + 1e-6))),
    }


def _failed(inst: Instance, solver: str, time_limit: float | None, error: str, wall: float,
            status: str = "error", solve_s: float = math.nan) -> dict[str, Any]:
    """The row of an instance without a portfolio: infinite gap, checks failed."""
    return {
        "instance": inst.name, "paper_name": inst.paper_name, "n": int(inst.weights.shape[1]),
        "m": int(inst.weights.shape[0]), "solver": solver, "time_limit": time_limit,
        "objective": math.nan, "best_known": inst.best_known,
        "best_known_proven": inst.proven, "gap_to_best_pct": math.inf, "status": status,
        "gap": math.nan, "bound": math.nan, "lp": inst.lp, "solve_s": solve_s, "wall_s": wall,
        "feasible": False, "objective_matches": False, "bound_ok": False,
        "optimal_is_honest": True, "error": error,
    }


def summarise(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Per set and solver: instances, optimal, reached best known, worst/mean gap, time."""
    df = pd.DataFrame(rows)
    df["set"] = df["instance"].str.split(":").str[0]
    out = df.groupby(["set", "solver"], sort=False).agg(
        instances=("instance", "size"),
        optimal=("status", lambda s: int((s == "optimal").sum())),
        reached_best=("gap_to_best_pct", lambda g: int((g <= 1e-9).sum())),
        worst_gap_pct=("gap_to_best_pct", "max"),
        mean_gap_pct=("gap_to_best_pct", "mean"),
        worst_own_gap_pct=("gap", lambda g: 100 * g.max()),
        all_checks_ok=("checks_ok", "all"),
        total_solve_s=("solve_s", "sum"),
        max_wall_s=("wall_s", "max"),
    ).reset_index()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="folder with mknap1.txt, mknapcb1.txt[, mkcbres.txt] "
                             f"(default {DEFAULT_DATA})")
    parser.add_argument("--instances", nargs="+", default=["mknap1", "mknapcb1"],
                        help="sets or SET:K / SET:K1-K2 / SET:K1,K2 (default: mknap1 mknapcb1)")
    parser.add_argument("--solver", nargs="+", default=["cbc", "highs"],
                        help="solvers to run (default: cbc highs)")
    parser.add_argument("--time-limit", type=float, default=10.0,
                        help="seconds per instance and solver (default 10)")
    parser.add_argument("--gap", type=float, default=None,
                        help="relative gap for the solver (default: the library's, 0)")
    parser.add_argument("--json", type=Path, help="write the results (and the machine) as JSON")
    parser.add_argument("--quiet", action="store_true", help="no line per instance")
    args = parser.parse_args(argv)

    from portfolio_opt import Solver

    data = args.data.resolve()
    instances = parse_instances(args.instances, data)
    solvers = []
    for s in args.solver:
        which = Solver.parse(s)
        if which.available():
            solvers.append(which.value)
        else:
            print(f"# solver {which.value} is not available here; skipped", file=sys.stderr)
    env = environment()
    print(f"# {env['date']}  {env['uname']}  {env['cpu']} ({env['cpus']} CPUs)  "
          f"python {env['python']}  pulp {env['pulp']}  highspy {env['highspy']}")
    print(f"# code {env['git']} (source sha256 {env['code_sha']})")
    print(f"# data {data}, time limit {args.time_limit:g} s per instance")

    rows = []
    for solver in solvers:
        for inst in instances:
            row = run_instance(inst, solver, args.time_limit, args.gap)
            row["checks_ok"] = (row["feasible"] and row["objective_matches"] and row["bound_ok"]
                                and row["optimal_is_honest"])
            rows.append(row)
            if not args.quiet:
                print(f"{inst.name:12s} {solver:5s} {row['status']:9s} "
                      f"obj {row['objective']:10.6g}  best {row['best_known']:10.6g}  "
                      f"gap-to-best {row['gap_to_best_pct']:6.3f}%  own gap "
                      f"{100 * row['gap']:6.3f}%  bound {row['bound']:10.6g}  "
                      f"{row['solve_s']:6.2f} s{'' if row['checks_ok'] else '  CHECK FAILED'}"
                      + (f"  ({row['error']})" if row.get("error") else ""), flush=True)
    summary = summarise(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    ok = bool(summary["all_checks_ok"].all())
    for r in summary.itertuples(index=False):
        if r.set == "mknap1":
            verdict = "all proven optima reached" if r.reached_best == r.instances else \
                f"{r.instances - r.reached_best} optima MISSED"
        elif r.set == "mknapcb1":
            verdict = (f"worst gap to best known {r.worst_gap_pct:.3f}% "
                       f"({'within' if r.worst_gap_pct <= TARGET_GAP_PCT else 'ABOVE'} the "
                       f"{TARGET_GAP_PCT}% target)")
        else:
            verdict = f"worst gap to best known {r.worst_gap_pct:.3f}%"
        print(f"# {r.set} {r.solver}: {verdict}")
    if args.json:
        env["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
        payload = {"environment": env, "time_limit": args.time_limit, "data": str(data),
                   "results": rows, "summary": summary.to_dict("records")}
        args.json.write_text(json.dumps(strict_json(payload), indent=1, default=float) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
