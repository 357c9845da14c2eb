"""Wall-clock time limits that hold, progress, and Ctrl-C for long solves.

A solver's own time limit is a wish, not a promise: HiGHS overran a 60 s
limit without returning at 100 000 projects, CBC overruns by seconds.
:func:`solve_with_deadline` runs a solve in a child process and stops it
(terminate, then kill, its whole process group: the CBC binary it started
too) when the limit is reached, returning the best portfolio known: the
result, else the last solution the child posted, else a ``fallback`` (e.g.
a heuristic portfolio computed beforehand).

The child reports progress through a :class:`Reporter` (passed as keyword
``report`` when the function takes one); the parent turns each report into a
:class:`ProgressEvent` ``(elapsed, incumbent, bound, gap)`` for a callback or
a tqdm bar. :class:`CbcLogParser` turns CBC's log lines into the same
events, and :func:`stream_cbc` runs the CBC binary with its output line by
line (both in :mod:`portfolio_opt.cbc_log`, importable from here too).

Process start method: ``forkserver`` where the platform has it (Linux,
macOS), else ``spawn``. ``fork`` is unsafe in a process that runs threads
(HiGHS's thread pool, tqdm, Dask) and is no longer the default from Python
3.14. ``spawn`` starts a fresh interpreter per solve that imports numpy, PuLP
and this package again (~1 s measured on a busy 2-core machine);
``forkserver`` forks from a clean single-threaded server that imported them
once (first solve ~1 s, later ones ~20 ms).
"""

from __future__ import annotations

import contextlib
import inspect
import math
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from portfolio_opt.cbc_log import CbcLogParser, parse_cbc_log, stream_cbc
from portfolio_opt.exceptions import InputError, SolverError
from portfolio_opt.progress import ProgressEvent, progress_event

__all__ = [
    "CbcLogParser",
    "DeadlineResult",
    "ProgressEvent",
    "Reporter",
    "parse_cbc_log",
    "solve_with_deadline",
    "stream_cbc",
]

_WHERE = "solve_with_deadline"
# Modules the forkserver imports once, so that each solve's child starts in milliseconds.
_PRELOAD = ("portfolio_opt.runner", "portfolio_opt.model", "portfolio_opt.selection")
# How often the parent wakes up to refresh a progress bar (seconds).
_TICK = 0.1
# Longest wait of the parent between two looks at the child and at Ctrl-C (seconds).
_WAKE = 0.5


@dataclass(frozen=True)
class DeadlineResult:
    """What :func:`solve_with_deadline` got back.

    Attributes
    ----------
    value : object
        The function's result when it finished; otherwise the last solution
        the child posted with :meth:`Reporter.solution`; otherwise the
        ``fallback`` (None when not given).
    source : str
        Where ``value`` came from: ``"result"``, ``"solution"`` or ``"fallback"``.
    reason : str
        ``"finished"`` (the function returned), ``"time_limit"`` (stopped at
        the limit), ``"interrupted"`` (Ctrl-C, or the progress callback raised
        KeyboardInterrupt) or ``"crashed"`` (the child died without an answer,
        e.g. killed for lack of memory; see ``exitcode``).
    stopped : bool
        True when the child was stopped before it returned (``time_limit`` or
        ``interrupted``).
    elapsed : float
        Wall-clock seconds from the call to the return.
    events : tuple of ProgressEvent
        Every progress event received, in order.
    exitcode : int or None
        The child's exit code (negative: killed by that signal).
    objective : float
        Objective posted with the solution in ``value`` (NaN when not known,
        e.g. for a result or a fallback).
    """

    value: Any
    source: str
    reason: str
    stopped: bool
    elapsed: float
    events: tuple[ProgressEvent, ...]
    exitcode: int | None
    objective: float = math.nan

    @property
    def last_event(self) -> ProgressEvent | None:
        """The last progress event received (None when there was none)."""
        return self.events[-1] if self.events else None

    def __repr__(self) -> str:
        return (f"DeadlineResult(reason={self.reason!r}, source={self.source!r}, "
                f"elapsed={self.elapsed:.2f}, events={len(self.events)})")


class Reporter:
    """The child's channel to the parent (passed to the solve as keyword ``report``).

    Thread-safe: a solver callback may call it from any thread. Use
    :meth:`progress` for progress and :meth:`solution` for every improving
    portfolio (what the parent returns if it has to stop the child).
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def _send(self, kind: str, payload: Any) -> None:
        data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._conn.send_bytes(data)

    def progress(self, incumbent: float = math.nan, bound: float = math.nan,
                 gap: float | None = None) -> None:
        """Report the best objective found and the best bound proven so far.

        ``gap`` defaults to the relative gap of the two.
        """
        self._send("progress", (float(incumbent), float(bound),
                                None if gap is None else float(gap)))

    def event(self, event: ProgressEvent) -> None:
        """Report a :class:`ProgressEvent` (e.g. of :class:`CbcLogParser`); its time is ignored."""
        self.progress(event.incumbent, event.bound, event.gap)

    def solution(self, value: Any, objective: float = math.nan,
                 bound: float = math.nan) -> None:
        """Post the best portfolio known so far (picklable); also a progress event.

        Post only improvements: the parent keeps the last one posted.
        """
        self._send("solution", (value, float(objective), float(bound)))


# ------------------------------------------------------------------------------------- child
def _watchdog(budget: float | None) -> None:
    """Kill this child (and its process group) if the parent dies or far past the deadline."""
    parent = multiprocessing.parent_process()
    sentinels = [parent.sentinel] if parent is not None else []
    if not sentinels and budget is None:
        return
    wait(sentinels, timeout=budget)
    if hasattr(os, "killpg"):
        try:
            os.killpg(os.getpgid(0), signal.SIGKILL)
        except OSError:  # pragma: no cover - cannot happen for our own group
            pass
    os._exit(1)  # pragma: no cover - only on platforms without process groups


def _child_main(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...],
                kwargs: dict[str, Any], pass_report: bool, budget: float | None) -> None:
    """Run ``fn`` in the child and send back its result or its exception."""
    if hasattr(os, "setpgid"):
        os.setpgid(0, 0)  # own process group: the parent stops us and our CBC together
    # Ctrl-C belongs to the parent, which decides to stop us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watchdog, args=(budget,), daemon=True).start()
    reporter = Reporter(conn)
    try:
        if pass_report:
            kwargs = {**kwargs, "report": reporter}
        value = fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        text = traceback.format_exc()
        try:
            reporter._send("error", (exc, text))
        except Exception:  # the exception itself cannot be pickled
            reporter._send("error", (None, text))
    else:
        try:
            reporter._send("result", value)
        except Exception as problem:  # the result cannot be pickled
            reporter._send("error", (SolverError(
                f"{_WHERE}: the result of {getattr(fn, '__name__', fn)!r} could not be sent "
                f"back from the child process: {problem}. Return something picklable."), ""))
    finally:
        conn.close()


# ------------------------------------------------------------------------------------ parent
def _takes_report(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False
    p = params.get("report")
    return p is not None and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)


def _forget_inherited_forkserver() -> None:
    """Let a process forked from one that runs a forkserver start its own.

    A process made by ``fork`` (e.g. a worker of ``ProcessPoolExecutor()``, whose default on
    Linux before Python 3.14) after its parent started the forkserver inherits the server's
    pid, which is not its child: multiprocessing's liveness check (``os.waitpid``) then
    fails with ``ChildProcessError`` (found by ``portfolio-opt review --time-limit 10
    --workers 2``: the frontier's workers could not start their solves). The inherited
    state is dropped, so the next child starts this process's own server.
    """
    from multiprocessing import forkserver

    server: Any = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    if server is None or pid is None:
        return
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        alive = server._forkserver_alive_fd
        server._forkserver_pid = server._forkserver_address = None
        server._forkserver_alive_fd = None
        if alive is not None:
            with contextlib.suppress(OSError):
                os.close(alive)  # this process's copy; the parent keeps its server


def _context(context: str | None) -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if context is None:
        context = "forkserver" if "forkserver" in methods else "spawn"
    if context not in ("forkserver", "spawn") or context not in methods:
        valid = [m for m in ("forkserver", "spawn") if m in methods]
        raise InputError(f"{_WHERE}: context must be one of {valid} on this platform, got "
                         f"{context!r}; 'fork' is not offered (unsafe with solver threads).")
    ctx = multiprocessing.get_context(context)
    if context == "forkserver":
        _forget_inherited_forkserver()
        # A performance hint only (read when the server starts; ignored once it runs):
        # keep what was configured and add the modules every solve needs.
        from multiprocessing import forkserver

        current = list(getattr(getattr(forkserver, "_forkserver", None),
                               "_preload_modules", None) or ["__main__"])
        ctx.set_forkserver_preload(list(dict.fromkeys([*current, *_PRELOAD])))
    return ctx


@contextlib.contextmanager
def _main_hidden(hide: bool) -> Iterator[None]:
    """Hide the main script from multiprocessing while a child (and its server) starts.

    multiprocessing makes a spawned or forkserver child import the parent's
    ``__main__`` (by ``__spec__`` name, else ``__file__`` path); a script
    without an ``if __name__ == "__main__":`` guard would then run again in
    the child. Without both attributes nothing is imported.
    """
    main = sys.modules.get("__main__")
    if not hide or main is None:
        yield
        return
    saved: dict[str, Any] = {k: main.__dict__[k] for k in ("__file__", "__spec__")
                             if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


def _check(time_limit: Any, grace: Any, progress: Any) -> None:
    problems = []
    for name, v, lo in (("time_limit", time_limit, "> 0"), ("grace", grace, ">= 0")):
        ok = v is None if name == "time_limit" else False
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            ok = v > 0 if name == "time_limit" else v >= 0
        if not ok:
            problems.append(f"{name} must be a number of seconds {lo}, got {v!r}.")
    if not (progress is None or isinstance(progress, bool) or callable(progress)):
        problems.append(f"progress must be None, True, False or a callable taking a "
                        f"ProgressEvent, got {type(progress).__name__} {progress!r}.")
    if problems:
        raise InputError(problems, source=_WHERE)


class _Bar:
    """A tqdm bar of the elapsed seconds with incumbent, bound and gap (or nothing)."""

    def __init__(self, progress: Any, time_limit: float | None, desc: str) -> None:
        self.bar = None
        if progress is True or (progress is None and sys.stderr.isatty()):
            from tqdm.auto import tqdm

            self.bar = tqdm(total=time_limit, desc=desc, unit="s", leave=False,
                            bar_format="{desc}: {n:.1f}/{total_fmt} s |{bar}| {postfix}"
                            if time_limit else "{desc}: {n:.1f} s {postfix}")

    def update(self, elapsed: float, event: ProgressEvent | None) -> None:
        if self.bar is None:
            return
        self.bar.n = elapsed if self.bar.total is None else min(elapsed, self.bar.total)
        if event is not None:
            self.bar.set_postfix_str(f"incumbent {event.incumbent:.6g}, bound "
                                     f"{event.bound:.6g}, gap {event.gap:.2%}", refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _signal_group(proc: Any, sig: int) -> None:
    """Send ``sig`` to the child's process group (POSIX), and to the child itself."""
    if hasattr(os, "killpg") and proc.pid is not None:
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):  # group gone or not made yet
            pass
    if proc.exitcode is None:
        (proc.kill if sig == getattr(signal, "SIGKILL", None) else proc.terminate)()


def _stop(proc: Any, grace: float) -> None:
    """Terminate the child's process group; kill it if it is still there after ``grace``."""
    _signal_group(proc, signal.SIGTERM)
    proc.join(grace)
    _signal_group(proc, getattr(signal, "SIGKILL", signal.SIGTERM))
    proc.join()


def solve_with_deadline(
    fn: Callable[..., Any],
    args: Sequence[Any] = (),
    *,
    time_limit: float | None,
    grace: float = 1.0,
    fallback: Any = None,
    progress: bool | Callable[[ProgressEvent], Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    context: str | None = None,
    desc: str = "solve",
    import_main: bool = True,
) -> DeadlineResult:
    """Run ``fn(*args, **kwargs)`` in a child process, stopped at ``time_limit`` wall-clock.

    Parameters
    ----------
    fn : callable
        Defined at module level (it is pickled by reference); ``args``,
        ``kwargs`` and its result must be picklable. If ``fn`` takes a
        keyword ``report``, it receives a :class:`Reporter` for progress and
        improving solutions.
    args : sequence
        Positional arguments of ``fn``.
    time_limit : float or None
        Seconds from this call until the child is stopped; it covers the
        start of the child and the transfer of ``args``, so give the solver
        inside a somewhat smaller limit of its own. None: no limit (the child
        still stops on Ctrl-C).
    grace : float, default 1.0
        Seconds between terminate (SIGTERM) and kill (SIGKILL) of the
        child's process group. The call returns within about
        ``time_limit + grace``.
    fallback : object, optional
        What to return when the child is stopped or dies before it returned
        and posted no solution (e.g. a heuristic portfolio).
    progress : bool or callable, optional
        A callable receives every :class:`ProgressEvent` in order (in this
        process); True shows a tqdm bar, False nothing; None (default) a bar
        only when standard error is a terminal.
    kwargs : dict, optional
        Keyword arguments of ``fn``.
    context : {"forkserver", "spawn"}, optional
        Process start method; default ``forkserver`` where available, else
        ``spawn`` (see the module notes).
    desc : str, default "solve"
        Label of the progress bar.
    import_main : bool, default True
        Let the child import the main script, as multiprocessing does (needed
        when ``fn`` is defined there; the script then needs an
        ``if __name__ == "__main__":`` guard). False when ``fn`` lives in an
        importable module: the child then never runs the script, so a script
        without the guard works too (what :func:`portfolio_opt.select` uses).

    Returns
    -------
    DeadlineResult
        ``value`` is the result, or the best solution posted, or ``fallback``.

    Raises
    ------
    Exception
        The exception ``fn`` raised in the child, raised again here (its
        traceback in the child is chained as the cause).

    Notes
    -----
    Ctrl-C (KeyboardInterrupt) while waiting stops the child and returns the
    best known with ``reason="interrupted"``; so does a KeyboardInterrupt
    raised by the ``progress`` callback. On POSIX the child runs in its own
    process group, so Ctrl-C at a terminal reaches only this process, and
    stopping the child also stops the solver binaries it started (on Windows
    only the child itself is stopped). The child also kills itself if this
    process dies.

    Examples
    --------
    >>> import time
    >>> r = solve_with_deadline(time.sleep, (30,), time_limit=0.5, fallback="heuristic",
    ...                         progress=False)
    >>> r.value, r.reason, r.stopped
    ('heuristic', 'time_limit', True)
    >>> solve_with_deadline(divmod, (7, 2), time_limit=30, progress=False).value
    (3, 1)
    """
    start = time.monotonic()
    _check(time_limit, grace, progress)
    if not callable(fn):
        raise InputError(f"fn must be a callable defined at module level, got "
                         f"{type(fn).__name__} {fn!r}.", source=_WHERE)
    deadline = None if time_limit is None else start + float(time_limit)
    ctx = _context(context)
    reader, writer = ctx.Pipe(duplex=False)
    budget = None if time_limit is None else float(time_limit) + float(grace) + 5.0
    proc = ctx.Process(  # type: ignore[attr-defined]
        target=_child_main, name=f"portfolio_opt-{desc}",
        args=(writer, fn, tuple(args), dict(kwargs or {}), _takes_report(fn), budget),
        daemon=False)  # a solve may start its own process pool
    try:
        with _main_hidden(not import_main):
            proc.start()
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        reader.close()
        writer.close()
        raise InputError(
            f"fn, args and kwargs must be picklable (fn defined at module level, no lambda or "
            f"local function): {exc}.", source=_WHERE) from exc
    writer.close()  # the child holds the only write end: EOF when it is gone

    events: list[ProgressEvent] = []
    best: tuple[Any, float] | None = None
    outcome: tuple[str, Any] | None = None
    open_pipe = True
    reason = "finished"
    bar = _Bar(progress, time_limit, desc)

    def drain() -> None:
        """Read what the child sent (without blocking); stop at its answer."""
        nonlocal best, outcome, open_pipe
        while open_pipe and outcome is None and reader.poll():
            try:
                kind, payload = pickle.loads(reader.recv_bytes())
            except (EOFError, OSError):
                open_pipe = False
                return
            elapsed = time.monotonic() - start
            if kind == "progress":
                events.append(progress_event(elapsed, *payload))
            elif kind == "solution":
                best = (payload[0], payload[1])
                if not math.isfinite(payload[1]):
                    continue
                events.append(progress_event(elapsed, payload[1], payload[2]))
            else:
                outcome = (kind, payload)
                return
            if callable(progress) and not isinstance(progress, bool):
                progress(events[-1])

    try:
        try:
            while outcome is None:
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    reason = "time_limit"
                    break
                # wake up at least every _WAKE s: a Ctrl-C delivered to another thread
                # (a solver's) is only seen when this thread runs Python code again
                timeout = _WAKE if deadline is None else min(deadline - now, _WAKE)
                if bar.bar is not None:
                    timeout = min(timeout, _TICK)
                wait([reader, proc.sentinel] if open_pipe else [proc.sentinel], timeout)
                drain()
                if outcome is None and proc.exitcode is not None:
                    drain()  # what it sent just before it ended
                    if outcome is None:
                        reason = "crashed"
                        break
                bar.update(time.monotonic() - start, events[-1] if events else None)
        except KeyboardInterrupt:
            reason = "interrupted"
        if outcome is None:
            _stop(proc, float(grace))
        else:
            proc.join(float(grace))
            _stop(proc, 0.0)  # anything the solve left behind in its group
    except BaseException:
        _stop(proc, 0.0)
        raise
    finally:
        bar.close()
        reader.close()

    elapsed = time.monotonic() - start
    if outcome is not None and outcome[0] == "error":
        error, text = outcome[1]
        if error is None:
            raise SolverError(f"{_WHERE}: the solve failed in the child process:\n{text}")
        raise error from _ChildTraceback(text)
    if outcome is not None:
        value, source, objective = outcome[1], "result", math.nan
    elif best is not None:
        value, source, objective = best[0], "solution", best[1]
    else:
        value, source, objective = fallback, "fallback", math.nan
    return DeadlineResult(value=value, source=source, reason=reason,
                          stopped=reason in ("time_limit", "interrupted"), elapsed=elapsed,
                          events=tuple(events), exitcode=proc.exitcode, objective=objective)


class _ChildTraceback(Exception):
    """The traceback of an exception raised in the child process."""

    def __init__(self, text: str) -> None:
        super().__init__(text)

    def __str__(self) -> str:
        return "\n" + str(self.args[0])
