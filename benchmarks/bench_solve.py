"""Time solving large synthetic portfolios: the library's select() against raw CBC and HiGHS.

For each size (default 10 000 and 100 000 projects, 20 competences, 12 periods;
:func:`portfolio_opt.datasets.synthetic`) a fresh Python process

1. generates the portfolio and builds the model once,
   ``SelectionModel(pf, "value").build()``: ``build_s`` and ``peak_rss_build_mb``;
2. for each time limit (default 5, 10, 30 s; ``--limits``) and each solver
   (default CBC and HiGHS; ``--solvers``) solves that same model

   - **raw** (method ``cbc`` / ``highs``): ``matrix_solve.solve_matrix(model.matrix_,
     solver, time_limit=limit)`` in this process, the solver's own limit only;
   - **library** (method ``library_cbc`` / ``library_highs``): ``select(pf, "value",
     solver=..., time_limit=limit)`` as a user calls it (:mod:`portfolio_opt.anytime`:
     greedy, Lagrangian bound, core LP rounding, local search, the warm-started solver
     in a child process stopped at the limit), timed from the call: its ``wall_s`` *includes*
     building the model and reading the answer, which the raw solves do not pay;
     ``first_feasible_s`` is the first progress event with a portfolio (from the call);
     the portfolio handed back is checked against every row (``max_violation``);
   - **combined** (``--methods combined``; method ``combined_cbc`` / ``combined_highs``),
     the approach of the previous session, assembled from the issue-7 modules:
     ``heuristic.greedy`` in this process (the first feasible portfolio), then
     ``solve_matrix`` with that portfolio as ``warm_start`` in a child process run by
     ``runner.solve_with_deadline`` with the wall-clock limit (what is left of it) and the
     greedy portfolio as fallback. With ``--lp-rounding`` the child first solves the LP
     relaxation (``heuristic.lp_relaxation``) and rounds it (``heuristic.lp_rounding``);
     the better portfolio is posted and used as the warm start (``combined_lp_cbc`` / ...).

Every time is wall-clock, measured by this script from the start of the method (the
model is built): ``wall_s`` (whole method), ``first_feasible_s`` (first portfolio known
to the script: the greedy's end; for a raw solve the solver's first incumbent event, or the
end of the solve if it reported none). ``objective`` is the value of the portfolio the
method *hands back* (for combined: the best of greedy, LP rounding and what the child
returned -- when the child is stopped, the solver's better incumbent is lost and
``solver_incumbent`` shows what it had); ``bound`` the best proven bound known (the
solver's, from its result or progress events, else the LP bound if computed within the
limit; None if none); ``gap = |bound - objective| / max(|bound|, |objective|)``;
``limit_held``: ``wall_s <= time_limit``. ``max_violation`` is
``heuristic.max_violation`` of the portfolio handed back (checked here, not trusted).

Memory: ``peak_rss_mb`` = this process's ``ru_maxrss`` so far (generation, build,
in-process HiGHS) plus the peaks (``VmHWM``, sampled every 0.1 s on Linux) of the
processes started during the method (the runner's child, the CBC binary) -- summed, so an
upper bound on the memory in use at once.

A size's process that overruns ``--kill-after`` is stopped; the records it wrote are kept,
the method that was running is recorded as ``killed`` and the rest as ``not_run``.

Usage::

    python benchmarks/bench_solve.py --json solve.json                 # 10k, 100k; 5, 10, 30 s
    python benchmarks/bench_solve.py --sizes 10000 --limits 5 10 --json solve10k.json
    python benchmarks/bench_solve.py --solvers highs --lp-rounding --sizes 100000 --limits 30
    python benchmarks/bench_solve.py --quick                           # tiny: smoke test
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if str(Path(__file__).resolve().parent) not in sys.path:  # also when loaded from a file path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import (  # noqa: E402
    _jsonable,
    _loadavg,
    descendants,
    environment,
    process_peak_mb,
    strict_json,
)

RECORD_FIELDS = ["n_projects", "method", "time_limit", "wall_s", "first_feasible_s",
                 "objective", "bound", "gap", "status", "limit_held", "peak_rss_mb"]
SHUTDOWN_S = 0.3  # asked of the runner before the limit: stopping its child takes time


# ------------------------------------------------------------------------ memory
def _rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


class _TreePeak:
    """Peak ``VmHWM`` of every process started below this one while sampling (Linux).

    Each descendant's own peak is kept (by pid); :attr:`total_mb` is their sum. Growth in
    the last 0.1 s of a short-lived process can be missed.
    """

    def __init__(self, every: float = 0.1) -> None:
        self.every = every
        self.peaks: dict[str, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._before = set(descendants(os.getpid()))  # e.g. the forkserver: not this method's

    @property
    def total_mb(self) -> float:
        return float(sum(self.peaks.values()))

    def __enter__(self) -> _TreePeak:
        if Path("/proc/self/status").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()
        self._sample()

    def _sample(self) -> None:
        for pid in descendants(os.getpid()):
            if pid in self._before:
                continue
            mb = process_peak_mb(pid)
            if mb is not None:
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), mb)

    def _run(self) -> None:
        while not self._done.wait(self.every):
            self._sample()


# ------------------------------------------------------------------------ methods
def _gap(objective: float, bound: float) -> float:
    from portfolio_opt.solvers import relative_gap

    return relative_gap(objective, bound)


def run_raw(mm: Any, solver: str, limit: float, threads: int | None) -> dict[str, Any]:
    """``solve_matrix`` in this process with the solver's own time limit."""
    from portfolio_opt.heuristic import max_violation
    from portfolio_opt.matrix_solve import solve_matrix

    first: list[float] = []
    t0 = time.perf_counter()

    def callback(event: Any) -> None:
        if not first and math.isfinite(event.incumbent):
            first.append(time.perf_counter() - t0)

    rep, x = solve_matrix(mm, solver, time_limit=limit, threads=threads, callback=callback)
    wall = time.perf_counter() - t0
    found = x is not None and math.isfinite(rep.objective)
    return {"status": rep.status.value, "objective": rep.objective, "bound": rep.bound,
            "gap": rep.gap, "wall_s": wall, "solve_s": rep.solve_time,
            "first_feasible_s": (first[0] if first else wall) if found else None,
            "first_feasible_from": ("event" if first else "end") if found else None,
            "max_violation": max_violation(mm, x) if x is not None and found else None}


def combined_worker(mm: Any, solver: str, inner_limit: float, warm: np.ndarray | None,
                    lp: bool, threads: int | None, report: Any = None) -> dict[str, Any]:
    """The child of the combined approach: (LP rounding,) then the warm-started solver."""
    from portfolio_opt.heuristic import lp_relaxation, lp_rounding
    from portfolio_opt.matrix_solve import solve_matrix

    t0 = time.perf_counter()
    best = warm
    best_obj = mm.objective_value(warm) if warm is not None else math.nan
    out: dict[str, Any] = {"lp_bound": math.inf, "lp_s": None, "rounding_objective": None,
                           "rounding_x": None}
    if lp:
        relax = lp_relaxation(mm, time_limit=inner_limit, threads=threads)
        out["lp_s"] = relax.seconds
        if relax.status == "Optimal" and relax.x is not None:
            out["lp_bound"] = relax.bound
            xr = lp_rounding(mm, relax.x)
            if xr is not None:
                out["rounding_objective"] = obj = mm.objective_value(xr)
                out["rounding_x"] = xr
                if not obj <= best_obj:  # also when best_obj is NaN
                    best, best_obj = xr, obj
                    report.solution(xr, obj, relax.bound)
            report.progress(best_obj, relax.bound)
    left = inner_limit - (time.perf_counter() - t0)
    if left < 0.2:
        return {**out, "status": "not_run", "objective": math.nan, "bound": math.inf,
                "x": None, "solve_s": 0.0}
    rep, x = solve_matrix(mm, solver, time_limit=left, threads=threads, warm_start=best,
                          callback=report.event)
    return {**out, "status": rep.status.value, "objective": rep.objective,
            "bound": rep.bound, "x": x, "solve_s": rep.solve_time}


def run_library(pf: Any, solver: str, limit: float, threads: int | None) -> dict[str, Any]:
    """``select(pf, "value", time_limit=limit)``: the library as a user calls it.

    Timed from the call, so building the model (and reading the answer) counts against
    the limit, unlike the raw solves, which start from the built model.
    """
    from portfolio_opt import SelectionModel, select
    from portfolio_opt.heuristic import max_violation

    events: list[Any] = []
    t0 = time.perf_counter()
    sel = select(pf, "value", solver=solver, time_limit=limit, threads=threads,
                 progress=events.append)
    wall = time.perf_counter() - t0
    found = sel.status.value in ("optimal", "feasible")
    first = next((e.elapsed for e in events if math.isfinite(e.incumbent)), None)
    viol = None
    if found:  # the portfolio handed back, checked against every row of the model
        model = SelectionModel(pf, "value")
        model.build()
        mm = model.matrix_
        opts = model.options_
        pick = sel.selected.reindex(opts["project_id"]).to_numpy() & (
            sel.start.reindex(opts["project_id"]).to_numpy()
            == np.asarray(pf.periods)[opts["start"].to_numpy()])
        x = np.zeros(mm.n_cols)
        x[np.flatnonzero(pick)] = 1.0
        pos = pf.projects.index.get_indexer(opts["project_id"][pick])
        x[mm.selection_columns[pos]] = 1.0
        viol = max_violation(mm, x)
    return {"status": sel.status.value, "objective": sel.objective, "bound": sel.bound,
            "gap": sel.gap, "wall_s": wall, "build_in_call_s": sel.build_time,
            "first_feasible_s": first, "max_violation": viol, "n_events": len(events)}


def run_combined(mm: Any, solver: str, limit: float, threads: int | None, *, lp: bool,
                 margin: float | None) -> dict[str, Any]:
    """Greedy here, then :func:`combined_worker` under ``solve_with_deadline``."""
    from portfolio_opt.heuristic import TOL, greedy, max_violation
    from portfolio_opt.runner import solve_with_deadline

    t0 = time.perf_counter()
    xg = greedy(mm)
    t_greedy = time.perf_counter() - t0
    og = mm.objective_value(xg) if xg is not None else math.nan
    left = limit - t_greedy - SHUTDOWN_S
    inner = left - (margin if margin is not None else 1.0 + 0.1 * left)
    rec: dict[str, Any] = {"heuristic_objective": og, "heuristic_s": t_greedy,
                           "inner_time_limit": inner}
    candidates = [] if xg is None else [(og, xg, "greedy")]
    bounds: list[float] = []
    res = None
    if left > 0 and inner > 0.2:
        t_call = time.perf_counter()
        res = solve_with_deadline(combined_worker, (mm, solver, inner, xg, lp, threads),
                                  time_limit=left, grace=0.5, fallback=None, progress=False,
                                  desc=f"combined {solver}")
        rec.update({"runner_reason": res.reason, "runner_source": res.source,
                    "runner_s": res.elapsed, "n_events": len(res.events)})
        shift = t_call - t0
        inc = [e for e in res.events if math.isfinite(e.incumbent)]
        rec["solver_incumbent"] = max((e.incumbent for e in inc), default=math.nan)
        rec["solver_first_incumbent_s"] = inc[0].elapsed + shift if inc else None
        bounds += [e.bound for e in res.events if math.isfinite(e.bound)]
        if res.source == "solution":
            candidates.append((res.objective, res.value, "lp_rounding"))
        elif res.source == "result":
            r = res.value
            rec.update({"solver_status": r["status"], "solve_s": r["solve_s"],
                        "lp_s": r["lp_s"], "rounding_objective": r["rounding_objective"]})
            bounds += [b for b in (r["bound"], r["lp_bound"]) if math.isfinite(b)]
            if r["rounding_x"] is not None:  # posted, but a result replaces the posting
                candidates.append((r["rounding_objective"], r["rounding_x"], "lp_rounding"))
            if r["x"] is not None:
                candidates.append((mm.objective_value(r["x"]), r["x"], f"{solver}"))
    wall = time.perf_counter() - t0
    rec["wall_s"] = wall
    if not candidates:
        return {**rec, "status": "not_solved", "objective": math.nan,
                "bound": min(bounds, default=math.inf), "gap": math.nan,
                "first_feasible_s": None, "max_violation": None, "source": None}
    obj, x, source = max(candidates, key=lambda c: c[0])
    proven = res is not None and res.source == "result" and source == solver \
        and res.value["status"] == "optimal"
    bound = obj if proven else min(bounds, default=math.inf)
    gap = _gap(obj, bound)
    status = "optimal" if proven or (math.isfinite(gap) and gap <= 1e-9) else "feasible"
    first = t_greedy if xg is not None else rec.get("solver_first_incumbent_s") or wall
    viol = max_violation(mm, x)
    return {**rec, "status": status if viol <= TOL else "infeasible_answer",
            "objective": obj, "bound": bound, "gap": 0.0 if status == "optimal" else gap,
            "first_feasible_s": first, "max_violation": viol, "source": source}


# ------------------------------------------------------------------------ one size
def measure_size(n: int, args: argparse.Namespace, out: Path | None = None
                 ) -> list[dict[str, Any]]:
    """Build once, then every (limit, method); the records so far are written to ``out``."""
    import highspy  # noqa: F401  (imported before timing)

    from portfolio_opt import SelectionModel
    from portfolio_opt.datasets import synthetic
    from portfolio_opt.runner import solve_with_deadline

    t0 = time.perf_counter()
    pf = synthetic(n, args.competences, args.periods, args.seed)
    data_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = SelectionModel(pf, "value")
    model.build()
    build_s = time.perf_counter() - t0
    mm = model.matrix_
    base = {"n_projects": n, "n_competences": args.competences, "n_periods": args.periods,
            "seed": args.seed, "data_s": data_s, "build_s": build_s,
            "peak_rss_build_mb": _rss_mb(), "n_rows": mm.n_rows, "n_columns": mm.n_cols,
            "n_nonzeros": int(mm.A.nnz), "n_options": int(mm.n_options)}
    # start the runner's process server now (a user's first call pays this, ~1 s)
    t0 = time.perf_counter()
    solve_with_deadline(divmod, (7, 2), time_limit=60, progress=False)
    base["runner_warmup_s"] = time.perf_counter() - t0
    plan = [(limit, method) for limit in args.limits for method in methods(args)]
    records: list[dict[str, Any]] = []

    def save(current: dict[str, Any] | None = None) -> None:
        if out is not None:
            rows = records + ([current] if current else [])
            out.write_text(json.dumps(strict_json(rows), default=_jsonable))

    for limit, method in plan:
        rec = {**base, "method": method, "time_limit": limit, "status": "started",
               "started_at": time.time(), "load_average_start": _loadavg()}
        save(rec)
        solver = method.rsplit("_", 1)[-1]
        with _TreePeak() as tree:
            try:
                if method.startswith("library"):
                    rec.update(run_library(pf, solver, limit, args.threads))
                elif method.startswith("combined"):
                    rec.update(run_combined(mm, solver, limit, args.threads,
                                            lp=method.startswith("combined_lp"),
                                            margin=args.margin))
                else:
                    rec.update(run_raw(mm, solver, limit, args.threads))
            except Exception as exc:  # noqa: BLE001 - a benchmark reports what happened
                rec.update({"status": "error", "error": f"{type(exc).__name__}: {exc}"})
        rec["peak_rss_mb"] = _rss_mb() + tree.total_mb
        rec["child_rss_mb"] = tree.total_mb
        rec["limit_held"] = rec.get("wall_s") is not None and rec["wall_s"] <= limit
        if rec.get("max_violation") is not None and rec["max_violation"] > 1e-6:
            rec["status"] = "infeasible_answer"
        rec["load_average_end"] = _loadavg()
        records.append(rec)
        save()
    return records


def methods(args: argparse.Namespace) -> list[str]:
    out = []
    for s in args.solvers:
        if "raw" in args.methods:
            out.append(s)
        if "library" in args.methods:
            out.append(f"library_{s}")
        if "combined" in args.methods:
            out.append(f"combined_{s}")
            if args.lp_rounding:
                out.append(f"combined_lp_{s}")
    return out


def run_in_child(n: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """One size in a fresh process, stopped after ``--kill-after`` seconds."""
    fd, path = tempfile.mkstemp(prefix=f"bench_solve_{n}_", suffix=".json")
    os.close(fd)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(n), "--child-out",
           path, "--competences", str(args.competences), "--periods", str(args.periods),
           "--seed", str(args.seed), "--limits", *map(str, args.limits),
           "--solvers", *args.solvers, "--methods", *args.methods]
    cmd += ["--lp-rounding"] if args.lp_rounding else []
    cmd += ["--threads", str(args.threads)] if args.threads else []
    cmd += ["--margin", str(args.margin)] if args.margin is not None else []
    kill_after = args.kill_after or (600 + sum(2 * lim + 60 for lim in args.limits)
                                     * len(methods(args)))
    tmp = tempfile.mkdtemp(prefix=f"bench_solve_{n}_")  # a stopped CBC leaves files behind
    env = {**os.environ, "TMPDIR": tmp, "TMP": tmp, "TEMP": tmp}
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, env=env)
    note = None
    try:
        rc = proc.wait(timeout=kill_after)
        if rc != 0:
            note = f"process exited with code {rc}"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the size's process and everything it started
        proc.wait()
        note = f"stopped by bench_solve after {kill_after:.0f} s"
    try:
        text = Path(path).read_text()
        records: list[dict[str, Any]] = json.loads(text) if text else []
    finally:
        os.remove(path)
        shutil.rmtree(tmp, ignore_errors=True)
    done = {(r["time_limit"], r["method"]) for r in records}
    for r in records:
        if r["status"] == "started":
            r.update({"status": "killed" if "stopped" in (note or "") else "crashed",
                      "wall_s": time.time() - r["started_at"], "limit_held": False})
    records += [{"n_projects": n, "method": m, "time_limit": lim, "status": "not_run"}
                for lim in args.limits for m in methods(args) if (lim, m) not in done]
    for r in records:
        r.setdefault("peak_rss_mb", None)
        if note:
            r["note"] = note
    return records


# ------------------------------------------------------------------------ main
TABLE = ["n_projects", "time_limit", "method", "status", "wall_s", "first_feasible_s",
         "objective", "bound", "gap", "limit_held", "peak_rss_mb"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--limits", type=float, nargs="+", default=[5.0, 10.0, 30.0],
                        help="wall-clock time limits, seconds (default 5 10 30)")
    parser.add_argument("--solvers", nargs="+", default=["cbc", "highs"],
                        help="solvers, raw and inside the combined approach")
    parser.add_argument("--methods", nargs="+", default=["raw", "library"],
                        choices=["raw", "library", "combined"])
    parser.add_argument("--lp-rounding", action="store_true",
                        help="also run combined_lp_<solver> (LP relaxation + rounding first)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--margin", type=float, default=None,
                        help="seconds of the limit kept back from the solver inside the "
                             "combined approach (default 1 + 10%% of what is left)")
    parser.add_argument("--competences", type=int, default=20)
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes (30 and 80 projects, 4 competences, 6 periods, "
                             "limit 2 s): a smoke test, not a measurement")
    parser.add_argument("--kill-after", type=float, default=None,
                        help="stop a size's process after this many seconds")
    parser.add_argument("--json", type=Path, help="write one record per (size, limit, method)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.solvers = [s.lower() for s in args.solvers]
    if args.quick:
        args.sizes, args.limits, args.competences, args.periods = [30, 80], [2.0], 4, 6

    if args.child is not None:
        measure_size(args.child, args, args.child_out)
        return 0

    env = environment()
    print(f"# {env['date']}  {env['cpu']} ({env['cpus']} CPUs)  load {env['load_average']}  "
          f"pulp {env['pulp']}  highspy {env['highspy']}  code {env['git']}", flush=True)
    records: list[dict[str, Any]] = []
    for n in args.sizes:
        recs = run_in_child(n, args)
        for r in recs:
            r["environment"] = env
            print("  ".join(f"{k}={_fmt(r.get(k))}" for k in TABLE), flush=True)
            if r.get("error") or r.get("note"):
                print(f"      {r.get('error') or ''} {r.get('note') or ''}", flush=True)
        records += recs
        if args.json:  # rewritten after every size
            args.json.write_text(json.dumps(strict_json(records), indent=1,
                                            default=_jsonable) + "\n")
    table = pd.DataFrame([{k: r.get(k) for k in TABLE} for r in records])
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.5g}"))
    bad = [r for r in records if r["status"] in ("error", "killed", "crashed",
                                                 "infeasible_answer") or r.get("note")]
    return 1 if bad else 0


def _fmt(v: Any) -> str:
    return f"{v:.5g}" if isinstance(v, float) else str(v)


if __name__ == "__main__":
    sys.exit(main())
