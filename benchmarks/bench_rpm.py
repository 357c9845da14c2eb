"""How the number of non-dominated portfolios (RPM) and the run time grow with the projects.

Synthetic budget-only portfolios (seeded): ``n`` projects with integer costs 1..100 and
integer scores 0..100 on ``--criteria`` criteria, budget = half the total cost; weight
information none (unit vectors) or a full ranking of the criteria. For every size the
dynamic programme (``method="dp"``) runs; the MILP enumeration (``method="milp"``, every
portfolio constraint, one solve per portfolio) runs up to ``--milp-max`` projects; up to
``--brute-max`` projects both are checked against brute force over every subset (numpy).
``--sample`` also times the screen the review uses on the bundled sample portfolio.

Usage::

    python benchmarks/bench_rpm.py                       # sizes 10 15 20 25 30, 3 criteria
    python benchmarks/bench_rpm.py --sizes 10 20 40 --criteria 2 --json rpm.json
    python benchmarks/bench_rpm.py --sample
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

from portfolio_opt import Portfolio
from portfolio_opt.robust import robust_portfolios


def instance(n: int, k: int, seed: int) -> Portfolio:
    """A seeded budget-only portfolio with ``k`` integer criteria."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 101, n).astype(float)
    projects = pd.DataFrame({"project_id": [f"P{j:03d}" for j in range(n)], "cost": cost,
                             **{f"c{i}": rng.integers(0, 101, n).astype(float)
                                for i in range(k)}})
    return Portfolio(projects, budget=float(cost.sum() // 2))


def brute(pf: Portfolio, criteria: list[str], points: np.ndarray) -> set[tuple[bool, ...]]:
    """Non-dominated subsets by enumeration of all 2**n (independent of the library)."""
    n = len(pf.projects)
    x = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    x = x[x @ pf.projects["cost"].to_numpy() <= pf.budget.total]
    v = x.astype(float) @ pf.projects[criteria].to_numpy(dtype=float) @ points.T
    order = np.argsort(-v.sum(axis=1), kind="stable")
    x, v = x[order], v[order]
    keep = np.ones(len(x), dtype=bool)
    for i in range(len(x)):  # only rows with a larger sum can dominate row i
        w = v[:i]
        keep[i] = not np.any(np.all(w >= v[i], axis=1) & np.any(w > v[i], axis=1))
    return {tuple(r) for r in x[keep]}


def run(n: int, k: int, ranked: bool, method: str, seed: int, repeat: int,
        brute_max: int) -> dict[str, Any]:
    pf = instance(n, k, seed)
    criteria = [f"c{i}" for i in range(k)]
    ranking = criteria if ranked else None
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = robust_portfolios(pf, criteria, ranking=ranking, value_scale="raw", method=method)
        times.append(time.perf_counter() - t0)
    agrees = None
    if n <= brute_max:
        agrees = brute(pf, criteria, res.extreme_points.to_numpy()) == {
            tuple(r) for r in res.portfolios.to_numpy(dtype=bool)}
    counts = res.classes.value_counts()
    return {"n_projects": n, "n_criteria": k, "ranking": ranked, "method": method,
            "seed": seed, "n_extreme_points": len(res.extreme_points),
            "n_portfolios": len(res.portfolios), "seconds": min(times),
            "complete": res.complete, "n_solves": res.n_solves,
            "core": int(counts.get("core", 0)), "borderline": int(counts.get("borderline", 0)),
            "exterior": int(counts.get("exterior", 0)), "brute_force_agrees": agrees}


def sample_screen(samples: int) -> dict[str, Any]:
    from portfolio_opt.datasets import load_sample

    pf = load_sample()
    t0 = time.perf_counter()
    res = robust_portfolios(pf, ranking="weights", method="weights", samples=samples, seed=0)
    seconds = time.perf_counter() - t0
    counts = res.classes.value_counts()
    return {"n_projects": len(pf.projects), "method": "weights", "samples": samples,
            "n_extreme_points": len(res.extreme_points), "n_portfolios": len(res.portfolios),
            "n_solves": res.n_solves, "seconds": seconds, "complete": res.complete,
            "core": int(counts.get("core", 0)), "borderline": int(counts.get("borderline", 0)),
            "exterior": int(counts.get("exterior", 0)), "brute_force_agrees": None}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 15, 20, 25, 30])
    parser.add_argument("--criteria", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--milp-max", type=int, default=15)
    parser.add_argument("--brute-max", type=int, default=16)
    parser.add_argument("--sample", action="store_true",
                        help="also time the weights screen on the bundled sample")
    parser.add_argument("--json", help="write the records to this file")
    args = parser.parse_args(argv)
    records = []
    for n in args.sizes:
        for ranked in (False, True):
            methods = ["dp"] + (["milp"] if n <= args.milp_max else [])
            for method in methods:
                rec = run(n, args.criteria, ranked, method, args.seed, args.repeat,
                          args.brute_max)
                records.append(rec)
                print(json.dumps(rec), file=sys.stderr)
    if args.sample:
        for samples in (0, 10):
            rec = sample_screen(samples)
            records.append(rec)
            print(json.dumps(rec), file=sys.stderr)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(records, fh, indent=1)
    return records


if __name__ == "__main__":
    main()
