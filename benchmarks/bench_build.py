"""Time building and solving the selection model on synthetic portfolios.

For each size (default 1 000, 10 000 and 100 000 projects, 20 competences,
12 periods; :func:`portfolio_opt.datasets.synthetic`) a fresh Python process

1. generates the portfolio (``data_s``, not part of any ratio);
2. builds the model through the library, ``SelectionModel(pf, "value").build()``
   (PuLP, in bulk): ``build_s``;
3. builds **the same constraint matrix directly** with numpy/scipy from the
   portfolio's public tables and loads it into HiGHS with ``passModel`` (a
   ``HighsLp``; ``benchmarks/matrix_build.py``): ``matrix_build_s`` is that build-and-load time, and
   ``ratio = build_s / matrix_build_s`` the cost of the modelling layer
   (both builds alternate ``--repeat`` times; the fastest of each counts);
4. times what ``SelectionModel.build`` spends filling ``model.matrix_`` (the model as
   arrays, :mod:`portfolio_opt.matrix`): ``matrix_capture_s`` (part of ``build_s``);
   loading ``matrix_`` into HiGHS in memory (``passModel``): ``matrix_highs_load_s``; and
   the MPS file CBC reads, written from the arrays (``matrix_solve.write_mps``):
   ``mps_write_s``, against PuLP's ``writeMPS`` (what ``PULP_CBC_CMD`` runs):
   ``pulp_mps_write_s`` (fastest of ``--repeat`` each);
5. checks that both are the same model: the same decision variables (one per
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
import contextlib
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(Path(__file__).resolve().parent) not in sys.path:  # also when loaded from a file path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from matrix_build import (  # noqa: E402,F401  (re-exported: the tests use them from here)
    DIRECT_GROUPS,
    DirectModel,
    build_direct,
    check_same_model,
    direct_matrix,
    direct_options,
    load_highs,
    model_shape,
)


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
    from portfolio_opt import model as model_module
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
    build_times, matrix_times, capture_times = [], [], []
    model: Any = None
    dm: DirectModel | None = None
    h: Any = None
    for _ in range(max(1, repeat)):
        model = dm = h = None  # free the previous round before building again
        model = SelectionModel(pf, "value")
        with _timed(model_module, "from_rows") as capture:
            t0 = time.perf_counter()
            model.build()
            build_times.append(time.perf_counter() - t0)
        capture_times.append(sum(capture))
        shape = model_shape(model)
        t0 = time.perf_counter()
        dm, h = build_direct(pf, **shape)
        matrix_times.append(time.perf_counter() - t0)
    rec["build_s"], rec["matrix_build_s"] = min(build_times), min(matrix_times)
    rec["matrix_capture_s"] = min(capture_times)
    assert model is not None
    rec.update(measure_matrix_routes(model, repeat))
    rec["build_s_all"], rec["matrix_build_s_all"] = build_times, matrix_times
    rec.update({f"model_{k}": v for k, v in shape.items()})
    assert model is not None and dm is not None
    rec.update(check_same_model(model, dm, h))
    rec["ratio"] = rec["build_s"] / rec["matrix_build_s"]
    rec["peak_rss_build_mb"] = _rss_mb()
    rec["load_average_end"] = _loadavg()
    return rec


@contextlib.contextmanager
def _timed(module: Any, name: str) -> Iterator[list[float]]:
    """Time every call of ``module.name`` inside the block (seconds, one entry per call)."""
    original = getattr(module, name)
    times: list[float] = []

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            times.append(time.perf_counter() - t0)

    setattr(module, name, timed)
    try:
        yield times
    finally:
        setattr(module, name, original)


def measure_matrix_routes(model: Any, repeat: int = 3) -> dict[str, Any]:
    """Time handing ``model.matrix_`` to HiGHS in memory, and the two MPS writers.

    ``mps_write_s``: ``matrix_solve.write_mps`` (from the arrays); ``pulp_mps_write_s``:
    ``problem_.writeMPS(rename=1)``, as ``PULP_CBC_CMD`` does. Fastest of ``repeat`` each.
    """
    import highspy

    from portfolio_opt.matrix_solve import highs_lp, write_mps

    mm = model.matrix_
    load, ours, theirs = [], [], []
    folder = tempfile.mkdtemp(prefix="bench_build_mps_")
    try:
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            h.passModel(highs_lp(mm))
            load.append(time.perf_counter() - t0)
            del h
            t0 = time.perf_counter()
            write_mps(mm, os.path.join(folder, "arrays.mps"))
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            model.problem_.writeMPS(os.path.join(folder, "pulp.mps"), rename=1)
            theirs.append(time.perf_counter() - t0)
        sizes = {f"{k}_mps_mb": os.path.getsize(os.path.join(folder, f"{k}.mps")) / 2**20
                 for k in ("arrays", "pulp")}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"matrix_highs_load_s": min(load), "mps_write_s": min(ours),
            "pulp_mps_write_s": min(theirs), **sizes}


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
    s["solver_child_rss_mb"] = sampler.peak_mb  # processes the solve started (None: none)
    s["load_average_end"] = _loadavg()
    return s


def process_peak_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM, MB) of a running process, None when it cannot be read."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None

class _ChildPeak:
    """Sample the peak resident memory (``VmHWM``) of the processes this one started (Linux).

    Every descendant counts: with a ``time_limit`` the selection runs in a child process
    (the forkserver's), which runs CBC. ``getrusage(RUSAGE_CHILDREN)`` is no use here: a
    child forked from Python counts the pages it shares with Python before ``exec``.
    ``VmHWM`` in ``/proc/PID/status`` is the peak of the program a process runs now; it is
    read every 0.1 s, so growth in a process's last 0.1 s can be missed. :attr:`peak_mb` is
    the sum of the descendants' peaks (an upper bound on what they held at once), None when
    there was none.
    """

    def __init__(self, every: float = 0.1, report: Any = None) -> None:
        import threading

        self.every = every
        self.report = report  # called with the peak so far, about once a second
        self.peaks: dict[str, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def peak_mb(self) -> float | None:
        return float(sum(self.peaks.values())) if self.peaks else None

    def start(self) -> None:
        if Path("/proc/self/status").exists():
            self._thread.start()

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()

    def sample(self) -> None:
        for pid in descendants(os.getpid()):
            mb = process_peak_mb(pid)
            if mb is not None:
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), mb)

    def _run(self) -> None:
        tick = 0
        while not self._done.wait(self.every):
            tick += 1
            if self.report is not None and tick % max(1, round(1 / self.every)) == 0:
                self.report(self.peak_mb)
            self.sample()


def descendants(pid: int) -> list[str]:
    """Process ids below ``pid`` (children, their children, ...), read from ``/proc``."""
    parent: dict[str, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent[stat.parent.name] = stat.read_text().rsplit(")", 1)[1].split()[1]
        except (OSError, IndexError):
            continue
    mine: set[str] = set()
    frontier = {str(pid)}
    while frontier:
        frontier = {p for p, pp in parent.items() if pp in frontier} - mine
        mine |= frontier
    return sorted(mine)


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
           "matrix_build_s", "ratio", "matrix_capture_s", "matrix_highs_load_s", "mps_write_s",
           "pulp_mps_write_s", "solver", "status", "objective", "gap", "bound",
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
