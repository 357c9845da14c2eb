"""Tests of portfolio_opt.runner: wall-clock limits, progress, Ctrl-C, CBC log events.

The workers below run in a child process (forkserver): they are module-level functions of
this module, which the child imports. Time bounds are generous (a busy 2-core machine) but
bounded: a stopped solve must return within ``time_limit + grace + SLACK``.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pulp
import pytest

from portfolio_opt.exceptions import InputError, SolverError
from portfolio_opt.runner import (
    CbcLogParser,
    DeadlineResult,
    ProgressEvent,
    parse_cbc_log,
    solve_with_deadline,
    stream_cbc,
)
from portfolio_opt.solvers import relative_gap

# The workers run in children that import this module: keep its imports light (no conftest,
# checker or hypothesis at module level).
DATA = Path(__file__).parent / "data"
SLACK = 2.5  # seconds of scheduling noise allowed on a loaded machine
POSIX = os.name == "posix"


# ----------------------------------------------------------------------------- child workers
def post_and_return(steps: int, pause: float, report=None):
    """Post improving incumbents and falling bounds, then return 'done'."""
    for k in range(steps):
        report.progress(incumbent=10.0 + k, bound=30.0 - k)
        time.sleep(pause)
    return "done"


def post_solution_then_hang(report=None):
    report.solution({"ids": ("P1", "P3")}, objective=42.0, bound=50.0)
    report.progress(incumbent=42.0, bound=49.0)
    time.sleep(120)


def ignore_sigterm_and_hang():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(120)


def start_grandchild_and_hang(report=None):
    """Start a long-running process (as a solver binary would) and wait for it."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    report.solution(child.pid)
    child.wait()


def raise_input_error():
    raise InputError("no portfolio for you (raised in the child)")


def die_hard(code: int):
    os._exit(code)


def return_lambda():
    return lambda: 1  # not picklable


def cbc_streamed(command: list[str], report=None):
    """Run CBC through stream_cbc, posting its events."""
    return stream_cbc(command, maximize=True, on_event=report.event)


# -------------------------------------------------------------------------------- helpers
def _gone(pid: int, within: float = 5.0) -> bool:
    """True once no live (non-zombie) process has this pid."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"):
            return True  # a zombie waiting for its (new) parent to reap it
        time.sleep(0.05)
    return False


def _read_orlib(name: str) -> list:
    from checker import read_orlib

    return read_orlib(DATA / name)


def _knapsack(inst, name: str = "k") -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    m, n = inst.weights.shape
    prob = pulp.LpProblem(name, pulp.LpMaximize)
    new_var = getattr(prob, "add_variable", pulp.LpVariable)  # PuLP >= 3.3.2
    x = [new_var(f"x{j:03d}", 0, 1, pulp.LpInteger) for j in range(n)]
    prob += pulp.lpSum(float(inst.profit[j]) * x[j] for j in range(n))
    for i in range(m):
        prob += pulp.lpSum(float(inst.weights[i, j]) * x[j] for j in range(n)
                           if inst.weights[i, j]) <= float(inst.capacity[i])
    return prob, x


def _cbc_log(prob: pulp.LpProblem, path: Path, **options) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        prob.solve(pulp.PULP_CBC_CMD(msg=False, logPath=str(path), timeMode="elapsed",
                                     **options))
    return path.read_text()


def _lp_bound(inst) -> float:
    from scipy.optimize import linprog

    res = linprog(-inst.profit, A_ub=inst.weights, b_ub=inst.capacity, bounds=(0, 1),
                  method="highs")
    return -float(res.fun)


def _cbc_path() -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return str(pulp.PULP_CBC_CMD().path)


@pytest.fixture(scope="module")
def cb1():
    return _read_orlib("mknapcb1.txt")[0]  # 100 items, 5 rows: not solved in 1 s


# ------------------------------------------------------------------------- deadline: stopping
def test_a_child_sleeping_past_the_limit_is_stopped_and_the_fallback_returned():
    start = time.monotonic()
    r = solve_with_deadline(time.sleep, (120,), time_limit=1.0, grace=1.0,
                            fallback="heuristic portfolio", progress=False)
    wall = time.monotonic() - start
    assert isinstance(r, DeadlineResult)
    assert (r.value, r.source, r.reason, r.stopped) == (
        "heuristic portfolio", "fallback", "time_limit", True)
    assert 1.0 <= r.elapsed <= wall <= 1.0 + 1.0 + SLACK
    assert r.exitcode is not None and r.exitcode < 0  # ended by a signal
    assert r.events == () and r.last_event is None


def test_a_child_ignoring_terminate_is_killed_after_the_grace():
    start = time.monotonic()
    r = solve_with_deadline(ignore_sigterm_and_hang, time_limit=1.0, grace=0.5,
                            progress=False)
    wall = time.monotonic() - start
    assert r.reason == "time_limit" and r.value is None and r.source == "fallback"
    assert r.exitcode == -signal.SIGKILL
    assert wall <= 1.0 + 0.5 + SLACK


@pytest.mark.skipif(not POSIX, reason="process groups are POSIX")
def test_stopping_the_child_also_stops_the_processes_it_started():
    r = solve_with_deadline(start_grandchild_and_hang, time_limit=1.5, grace=1.0,
                            progress=False)
    assert r.reason == "time_limit" and r.source == "solution"
    assert isinstance(r.value, int) and _gone(r.value)


def test_the_best_solution_posted_is_returned_when_stopped():
    r = solve_with_deadline(post_solution_then_hang, time_limit=1.5, fallback="fb",
                            progress=False)
    assert r.reason == "time_limit" and r.stopped
    assert r.source == "solution" and r.value == {"ids": ("P1", "P3")}
    assert r.objective == 42.0
    # the solution's event and the progress event, in the order posted
    assert [(e.incumbent, e.bound) for e in r.events] == [(42.0, 50.0), (42.0, 49.0)]


# ----------------------------------------------------------------------- deadline: finishing
def test_a_child_that_finishes_returns_its_result():
    r = solve_with_deadline(divmod, (17, 5), time_limit=30, fallback="fb", progress=False)
    assert (r.value, r.source, r.reason, r.stopped) == ((3, 2), "result", "finished", False)
    assert r.exitcode == 0 and math.isnan(r.objective)
    assert r.elapsed < 30


def test_events_arrive_in_order_with_their_gap():
    got: list[ProgressEvent] = []
    r = solve_with_deadline(post_and_return, (6, 0.05), time_limit=30, progress=got.append)
    assert r.value == "done" and r.reason == "finished"
    assert list(r.events) == got and len(got) == 6
    assert [(e.incumbent, e.bound) for e in got] == [(10.0 + k, 30.0 - k) for k in range(6)]
    assert all(a.elapsed <= b.elapsed for a, b in zip(got, got[1:]))
    assert all(0 <= e.elapsed <= r.elapsed for e in got)
    for e in got:  # independent recomputation of the relative gap
        assert e.gap == pytest.approx(abs(e.bound - e.incumbent) / max(e.bound, e.incumbent))


def test_progress_bar_can_be_shown_and_switched_off(capsys):
    r = solve_with_deadline(post_and_return, (3, 0.1), time_limit=30, progress=True,
                            desc="bar test")
    assert r.value == "done"
    assert "bar test" in capsys.readouterr().err
    solve_with_deadline(post_and_return, (3, 0.0), time_limit=30, progress=False)
    assert capsys.readouterr().err == ""


def test_without_time_limit_the_child_runs_to_the_end():
    r = solve_with_deadline(post_and_return, (2, 0.0), time_limit=None, progress=False)
    assert r.value == "done" and r.reason == "finished"


def test_spawn_context_works_too():
    r = solve_with_deadline(divmod, (9, 4), time_limit=60, context="spawn", progress=False)
    assert r.value == (2, 1) and r.reason == "finished"


# ------------------------------------------------------------------------ Ctrl-C and failures
def test_keyboard_interrupt_from_the_callback_stops_the_child_and_keeps_the_best():
    calls = []

    def stop_on_second(event: ProgressEvent) -> None:
        calls.append(event)
        if len(calls) == 2:
            raise KeyboardInterrupt

    start = time.monotonic()
    r = solve_with_deadline(post_solution_then_hang, time_limit=60, grace=1.0,
                            fallback="fb", progress=stop_on_second)
    assert r.reason == "interrupted" and r.stopped
    assert r.source == "solution" and r.value == {"ids": ("P1", "P3")}
    assert time.monotonic() - start <= 1.0 + SLACK + 1.0  # far from the 60 s limit
    assert r.exitcode is not None


@pytest.mark.skipif(not POSIX, reason="signals to the own process")
def test_ctrl_c_in_the_parent_stops_the_child_and_returns_the_best_known():
    # Python's own Ctrl-C handler (an earlier test's library may have replaced it)
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        r = solve_with_deadline(post_solution_then_hang, time_limit=20, grace=1.0,
                                fallback="fb", progress=False)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, handler)

    assert r.reason == "interrupted" and r.stopped
    assert r.source == "solution" and r.value == {"ids": ("P1", "P3")}
    assert 1.4 <= time.monotonic() - start <= 1.5 + 1.0 + SLACK


def test_an_exception_in_the_child_is_raised_again_with_its_traceback():
    with pytest.raises(InputError, match="no portfolio for you") as info:
        solve_with_deadline(raise_input_error, time_limit=30, progress=False)
    assert "raise_input_error" in str(info.value.__cause__)


def test_a_child_that_dies_returns_the_fallback_as_crashed():
    r = solve_with_deadline(die_hard, (3,), time_limit=30, fallback="fb", progress=False)
    assert (r.value, r.reason, r.stopped, r.exitcode) == ("fb", "crashed", False, 3)


def test_an_unpicklable_result_is_a_clear_error():
    with pytest.raises(SolverError, match="could not be sent back.*picklable"):
        solve_with_deadline(return_lambda, time_limit=30, progress=False)


@pytest.mark.parametrize(("options", "match"), [
    ({"time_limit": 0}, r"time_limit must be a number of seconds > 0, got 0"),
    ({"time_limit": "10"}, r"time_limit must be a number of seconds > 0, got '10'"),
    ({"time_limit": math.inf}, r"time_limit must be .* got inf"),
    ({"time_limit": 5, "grace": -1}, r"grace must be a number of seconds >= 0, got -1"),
    ({"time_limit": 5, "progress": "yes"}, r"progress must be None, True, False or a callable"),
    ({"time_limit": 5, "context": "fork"}, r"context must be one of .*'fork' is not offered"),
])
def test_bad_options_are_named(options, match):
    with pytest.raises(InputError, match=r"solve_with_deadline: " + match):
        solve_with_deadline(divmod, (1, 1), **options)


def test_a_local_function_is_refused_with_a_hint():
    def local(x):
        return x

    with pytest.raises(InputError, match="picklable.*module level"):
        solve_with_deadline(local, (1,), time_limit=5, progress=False)


def test_the_callers_arguments_are_not_modified():
    args = ([3, 1, 2],)
    kwargs = {"reverse": True}
    r = solve_with_deadline(sorted, args, kwargs=kwargs, time_limit=30, progress=False)
    assert r.value == [3, 2, 1]
    assert args == ([3, 1, 2],) and kwargs == {"reverse": True}


# ------------------------------------------------------------------------------ CBC's log
def _numbers_after(log: str, code: str, word: str) -> list[float]:
    """The number following ``word`` on each line starting with ``code`` (plain split)."""
    out = []
    for line in log.splitlines():
        if line.startswith(code):
            tokens = line.split()
            out.append(float(tokens[tokens.index(word) + 1].rstrip(",")))
    return out


def test_parser_on_a_real_cbc_log_stopped_at_its_time_limit(cb1, tmp_path):
    prob, _ = _knapsack(cb1)
    log = _cbc_log(prob, tmp_path / "cbc.log", timeLimit=1.0, threads=1)
    events = parse_cbc_log(log, maximize=True)
    found = pulp.value(prob.objective)
    lp = _lp_bound(cb1)
    assert log.count("Cbc0010I") >= 1 and events
    # every integer solution line and status line gave an event
    n_lines = sum(line.startswith(("Cbc0010I", "Cbc0012I", "Cbc0004I", "Cbc0016I", "Cbc0005I",
                                   "Cbc0013I", "Continuous objective"))
                  for line in log.splitlines())
    assert len(events) == n_lines
    # incumbents: the (negated) values of CBC's "Integer solution of" lines, best so far
    sols = [-v for v in _numbers_after(log, "Cbc0012I", "of") + _numbers_after(
        log, "Cbc0004I", "of")]
    incs = [e.incumbent for e in events if not math.isnan(e.incumbent)]
    assert incs == sorted(incs) and incs[-1] == pytest.approx(max(sols))
    assert incs[-1] == pytest.approx(found)  # the portfolio PuLP read back
    # bounds: valid (>= the portfolio found) and not above the LP relaxation (scipy)
    for e in events:
        if not math.isnan(e.bound):
            assert found - 1e-6 <= e.bound <= lp + 1e-4 * lp
        if not (math.isnan(e.bound) or math.isnan(e.incumbent)):
            assert e.gap == pytest.approx(relative_gap(e.incumbent, e.bound))
    assert events[0].bound == pytest.approx(lp, rel=1e-5)  # "Continuous objective value"
    times = [e.elapsed for e in events]
    assert times == sorted(times) and 0 <= times[-1] <= 30


def test_parser_on_a_real_cbc_log_proven_optimal_reaches_the_published_optimum(tmp_path):
    inst = _read_orlib("mknap1.txt")[6]  # Petersen (1967): optimum 16537
    prob, _ = _knapsack(inst)
    events = parse_cbc_log(_cbc_log(prob, tmp_path / "cbc.log", threads=1))
    last = events[-1]
    assert (last.incumbent, last.bound, last.gap) == (16537.0, 16537.0, 0.0)
    assert all(e.bound >= 16537 - 1e-6 for e in events if not math.isnan(e.bound))
    assert all(e.incumbent <= 16537 + 1e-6 for e in events if not math.isnan(e.incumbent))


def test_parser_at_a_gap_tolerance_keeps_a_valid_bound(cb1, tmp_path):
    prob, _ = _knapsack(cb1)
    log = _cbc_log(prob, tmp_path / "cbc.log", gapRel=0.02, threads=1, timeLimit=20)
    assert "Cbc0011I" in log  # stopped at the tolerance, not proven
    last = parse_cbc_log(log)[-1]
    assert last.bound > last.incumbent and last.gap <= 0.02 + 1e-9
    assert last.bound >= pulp.value(prob.objective) - 1e-6


def test_parser_on_a_minimisation_and_without_solution():
    p = CbcLogParser(maximize=False)
    e = p.feed("Cbc0010I After 0 nodes, 1 on tree, 1e+50 best solution, best possible 12.5 "
               "(0.10 seconds)")
    assert math.isnan(e.incumbent) and e.bound == 12.5 and math.isnan(e.gap)
    e = p.feed("Cbc0004I Integer solution of 14 found after 120 iterations and 9 nodes "
               "(0.20 seconds)")
    assert (e.elapsed, e.incumbent, e.bound) == (0.2, 14.0, 12.5)
    e = p.feed("Cbc0012I Integer solution of 15 found by rounding after 0 iterations and 0 "
               "nodes (0.30 seconds)")
    assert e.incumbent == 14.0  # a worse solution does not replace the incumbent
    assert p.feed("Cbc0014I Cut generator 0 (Probing) - 0 row cuts") is None
    e = p.feed("Cbc0001I Search completed - best objective 13, took 9 iterations and 3 nodes "
               "(0.50 seconds)")
    assert (e.incumbent, e.bound, e.gap) == (13.0, 13.0, 0.0)


@pytest.mark.skipif(not POSIX, reason="line-by-line output needs a pseudo-terminal")
def test_stream_cbc_delivers_events_while_cbc_runs(cb1, tmp_path):
    prob, _ = _knapsack(cb1)
    mps = tmp_path / "k.mps"
    prob.writeMPS(str(mps))
    command = [_cbc_path(), str(mps), "-max", "-sec", "1.5", "-threads", "1",
               "-timeMode", "elapsed", "-solve", "-solution", str(tmp_path / "k.sol")]
    arrivals: list[tuple[float, ProgressEvent]] = []
    code, log = stream_cbc(command, on_event=lambda e: arrivals.append((time.monotonic(), e)),
                           log_path=tmp_path / "copy.log")
    end = time.monotonic()
    assert code == 0 and "Result - Stopped on time limit" in log
    assert (tmp_path / "copy.log").read_text() == log
    assert [e for _, e in arrivals] == parse_cbc_log(log)
    assert end - arrivals[0][0] >= 0.5  # the first events came long before CBC finished


@pytest.mark.skipif(not (POSIX and Path("/proc").is_dir()), reason="reads /proc")
def test_a_cbc_run_past_the_deadline_is_stopped_with_its_progress(cb1, tmp_path):
    prob, _ = _knapsack(cb1)
    mps = tmp_path / "deadline.mps"
    prob.writeMPS(str(mps))
    command = [_cbc_path(), str(mps), "-max", "-sec", "100", "-threads", "1", "-solve"]
    start = time.monotonic()
    r = solve_with_deadline(cbc_streamed, (command,), time_limit=2.0, grace=1.0,
                            fallback="heuristic", progress=False)
    assert r.reason == "time_limit" and r.value == "heuristic"
    assert time.monotonic() - start <= 2.0 + 1.0 + SLACK
    assert r.events and not math.isnan(r.events[-1].incumbent)
    lp = _lp_bound(cb1)
    assert all(e.bound <= lp * (1 + 1e-4) for e in r.events if not math.isnan(e.bound))
    # no CBC left running on that model
    end = time.monotonic() + 5
    while time.monotonic() < end:
        running = []
        for d in Path("/proc").iterdir():
            try:
                if d.name.isdigit() and str(mps).encode() in (d / "cmdline").read_bytes():
                    if not (d / "stat").read_text().split(") ")[-1].startswith("Z"):
                        running.append(d.name)
            except OSError:
                continue
        if not running:
            break
        time.sleep(0.1)
    assert running == []


def test_parser_sample_values_are_floats():
    events = parse_cbc_log("Cbc0010I After 0 nodes, 1 on tree, -5 best solution, best possible "
                           "-6 (0.01 seconds)")
    assert events == [ProgressEvent(0.01, 5.0, 6.0, relative_gap(5.0, 6.0))]
    assert all(isinstance(v, float) for v in events[0])
    assert math.isfinite(events[0].gap)


@pytest.mark.skipif(not POSIX, reason="line-by-line output needs a pseudo-terminal")
def test_stream_cbc_stops_cbc_when_asked_and_cbc_keeps_its_solution(cb1, tmp_path):
    prob, _ = _knapsack(cb1)
    mps = tmp_path / "stop.mps"
    sol = tmp_path / "stop.sol"
    prob.writeMPS(str(mps))
    command = [_cbc_path(), str(mps), "-max", "-sec", "60", "-threads", "1",
               "-timeMode", "elapsed", "-solve", "-solution", str(sol)]
    start = time.monotonic()
    code, log = stream_cbc(command, on_event=lambda e: not math.isnan(e.incumbent))
    assert time.monotonic() - start < 10  # far from CBC's 60 s
    assert code == 0 and sol.exists() and "Result - User ctrl-c" in log
    events = parse_cbc_log(log)
    assert not math.isnan(events[-1].incumbent)


def test_stream_cbc_kills_cbc_when_the_callback_fails(cb1, tmp_path):
    prob, _ = _knapsack(cb1)
    mps = tmp_path / "fail.mps"
    prob.writeMPS(str(mps))
    command = [_cbc_path(), str(mps), "-max", "-sec", "60", "-threads", "1", "-solve"]

    def fail(event):
        raise RuntimeError("callback failed")

    start = time.monotonic()
    with pytest.raises(RuntimeError, match="callback failed"):
        stream_cbc(command, on_event=fail)
    assert time.monotonic() - start < 10
