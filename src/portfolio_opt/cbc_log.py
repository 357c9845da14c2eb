"""Read CBC's log as it is written: progress events, and a CBC run streamed line by line.

:class:`CbcLogParser` turns CBC's log lines (``Cbc0010I``, ``Cbc0012I``,
``Cbc0004I``, ...) into :class:`~portfolio_opt.progress.ProgressEvent` s, and
:func:`stream_cbc` runs the CBC binary with its output read line by line
(through a pseudo-terminal on POSIX: written to a file or a pipe, CBC's
output comes in 4 KB blocks), so that events arrive while CBC works. The
status and bound CBC proved are read by
:func:`portfolio_opt.solvers.cbc_outcome` from its summary.
"""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from portfolio_opt.progress import ProgressEvent, progress_event

__all__ = ["CbcLogParser", "parse_cbc_log", "stream_cbc"]

_N = r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"  # a number as CBC prints it (%g)
_NONE = 1e49  # CBC prints 1e+50 for "no solution yet"
_PATTERNS = [(kind, re.compile(rx)) for kind, rx in (  # groups named inc, bound, secs, gap
    # a MIP start completed (CBC 2.10 prints it in the model's sense, like the LP value)
    ("start", rf"^Cbc00(?:04|12|16|24|33)I Integer solution of (?P<inc>{_N}) found by "
              rf"Reduced search .*\((?P<secs>{_N}) seconds\)"),
    # Cbc0004I, Cbc0012I, Cbc0016I, Cbc0024I, Cbc0033I
    ("solution", rf"^Cbc00(?:04|12|16|24|33)I Integer solution of (?P<inc>{_N}) .*"
                 rf"\((?P<secs>{_N}) seconds\)"),
    ("status", rf"^Cbc0010I After \d+ nodes, \d+ on tree, (?P<inc>{_N}) best solution, "
               rf"best possible (?P<bound>{_N}) \((?P<secs>{_N}) seconds\)"),
    # Cbc0037I, Cbc0040I (more detailed status lines)
    ("status", rf"^Cbc00(?:37|40)I .*?best (?P<inc>{_N}) - possible (?P<bound>{_N}) .*"
               rf"\((?P<secs>{_N}) seconds\)"),
    ("root", rf"^Cbc0013I At root node, \d+ cuts changed objective from \S+ to (?P<bound>{_N})"),
    ("partial", rf"^Cbc0005I Partial search - best objective (?P<inc>{_N}) \(best possible "
                rf"(?P<bound>{_N})\).*\((?P<secs>{_N}) seconds\)"),
    ("completed", rf"^Cbc0001I Search completed - best objective (?P<inc>{_N}),.*"
                  rf"\((?P<secs>{_N}) seconds\)"),
    ("gap", rf"^Cbc0011I Exiting as integer gap of (?P<gap>{_N})"),
    ("lp", rf"^Continuous objective value is (?P<bound>{_N}) - (?P<secs>{_N}) seconds"),
)]


class CbcLogParser:
    """Turn CBC's log lines into :class:`ProgressEvent` s, one line at a time.

    CBC minimises internally: for a maximisation its progress lines show
    ``-objective``; the events are in the model's sense. Lines read:
    ``Continuous objective value is`` (the LP bound), ``Cbc0013I`` (root
    bound after cuts), ``Cbc0010I`` / ``Cbc0037I`` / ``Cbc0040I`` (status),
    ``Cbc0004I`` / ``Cbc0012I`` / ``Cbc0016I`` / ``Cbc0024I`` / ``Cbc0033I``
    (integer solution found; found ``by Reduced search``, the completion of a
    MIP start, is printed in the model's sense like the LP value, the others
    in CBC's), ``Cbc0011I`` (stopped at the gap tolerance),
    ``Cbc0005I`` (partial search) and ``Cbc0001I`` (search completed: bound =
    incumbent, unless a gap tolerance stopped it). Other lines give None.
    Values are reported as CBC prints them (the bound of a search restarted
    after reduced-cost fixing may be tighter than the final one in CBC's
    summary, which :func:`portfolio_opt.solvers.run_solver` reads).

    Parameters
    ----------
    maximize : bool, default True
        The model's sense.

    Examples
    --------
    >>> p = CbcLogParser()
    >>> p.feed("Cbc0012I Integer solution of -24304 found by feasibility pump after 0 "
    ...        "iterations and 0 nodes (0.07 seconds)")
    ProgressEvent(elapsed=0.07, incumbent=24304.0, bound=nan, gap=nan)
    >>> p.feed("Cbc0010I After 1000 nodes, 48 on tree, -24381 best solution, best possible "
    ...        "-24574.53 (0.35 seconds)")
    ProgressEvent(elapsed=0.35, incumbent=24381.0, bound=24574.53, gap=0.00787...)
    >>> p.feed("Cbc0038I Full problem 5 rows 100 columns, reduced to 0 rows 0 columns") is None
    True

    A MIP start of CBC run with ``-max`` completes in the model's sense:

    >>> q = CbcLogParser()
    >>> q.feed("command line - cbc model.mps -max -mips start.mst -solve") is None
    True
    >>> q.feed("Cbc0012I Integer solution of 35832 found by Reduced search after 0 "
    ...        "iterations and 0 nodes (0.13 seconds)").incumbent
    35832.0
    """

    def __init__(self, maximize: bool = True) -> None:
        self.maximize = bool(maximize)
        self.incumbent = math.nan
        self.bound = math.nan
        self.elapsed = 0.0
        self._cbc_max = False  # CBC was run with -max: its "Continuous objective" is as given
        self._gap_stop = False  # stopped at the gap tolerance: "completed" proves nothing

    def _value(self, text: str) -> float:
        v = float(text)
        if abs(v) >= _NONE:
            return math.nan
        return -v if self.maximize else v

    def _as_given(self, text: str) -> float:
        """Read a value CBC prints in the sense it was given (``-max``: the model's)."""
        v = float(text)
        return v if (self._cbc_max or not self.maximize) else -v

    def feed(self, line: str) -> ProgressEvent | None:
        """Read one line; return the event it carries, or None."""
        line = line.strip()
        if line.startswith("command line -"):
            self._cbc_max = " -max" in line
            return None
        for kind, pattern in _PATTERNS:
            m = pattern.match(line)
            if m is None:
                continue
            g = m.groupdict()
            if g.get("secs") is not None:
                self.elapsed = max(self.elapsed, float(g["secs"]))
            if kind == "lp":
                self.bound = self._as_given(g["bound"])
            elif kind == "gap":
                self._gap_stop = True
                if not math.isfinite(self.incumbent):
                    return None
                self.bound = self.incumbent + (1 if self.maximize else -1) * float(g["gap"])
            else:
                if g.get("inc") is not None:
                    inc = self._as_given(g["inc"]) if kind == "start" else self._value(g["inc"])
                    if kind in ("solution", "start") and math.isfinite(self.incumbent):
                        better = inc > self.incumbent if self.maximize else inc < self.incumbent
                        inc = inc if better else self.incumbent
                    self.incumbent = inc
                if g.get("bound") is not None:
                    self.bound = self._value(g["bound"])
                if kind == "completed" and not self._gap_stop:
                    self.bound = self.incumbent  # proven (no gap tolerance stopped it)
            return progress_event(self.elapsed, self.incumbent, self.bound)
        return None

    def feed_lines(self, lines: Iterable[str]) -> Iterator[ProgressEvent]:
        """Feed many lines; yield the events."""
        for line in lines:
            event = self.feed(line)
            if event is not None:
                yield event


def parse_cbc_log(text: str, *, maximize: bool = True) -> list[ProgressEvent]:
    """Events of a whole CBC log (see :class:`CbcLogParser`).

    Examples
    --------
    >>> log = '''Continuous objective value is 24585.9 - 0.00 seconds
    ... Cbc0012I Integer solution of -24304 found by feasibility pump after 0 iterations and 0 nodes (0.07 seconds)
    ... Cbc0001I Search completed - best objective -24381, took 39 iterations and 7 nodes (1.50 seconds)'''
    >>> [(e.elapsed, e.incumbent, e.bound) for e in parse_cbc_log(log)]
    [(0.0, nan, -24585.9), (0.07, 24304.0, -24585.9), (1.5, 24381.0, 24381.0)]
    """  # noqa: E501
    return list(CbcLogParser(maximize).feed_lines(text.splitlines()))


def stream_cbc(
    command: Sequence[str],
    *,
    maximize: bool = True,
    on_event: Callable[[ProgressEvent], Any] | None = None,
    log_path: str | os.PathLike[str] | None = None,
) -> tuple[int, str]:
    """Run a CBC command line, reading its log line by line as it is written.

    On POSIX CBC writes to a pseudo-terminal, so that it flushes every line
    (to a file or a pipe it writes 4 KB blocks and progress would arrive late).

    Parameters
    ----------
    command : sequence of str
        The CBC binary and its arguments (e.g. ``[cbc, "model.mps", "-max",
        "-sec", "10", "-solve", "-solution", "x.sol"]``).
    maximize : bool, default True
        The model's sense (see :class:`CbcLogParser`).
    on_event : callable, optional
        Called with each :class:`ProgressEvent` as CBC prints it; returning
        True asks CBC to stop (an interrupt: CBC ends its search and writes
        the best solution it has, as at a time limit).
    log_path : path, optional
        Where to copy the log.

    Returns
    -------
    (int, str)
        CBC's return code and its whole log.
    """
    parser = CbcLogParser(maximize)
    chunks: list[str] = []
    proc: Any = None
    stopping = False
    log = open(log_path, "w", encoding="utf-8") if log_path is not None else None  # noqa: SIM115

    def handle(line: str) -> None:
        nonlocal stopping
        chunks.append(line)
        if log is not None:
            log.write(line)
        event = parser.feed(line)
        if event is not None and on_event is not None and not stopping and on_event(event):
            stopping = True
            proc.send_signal(signal.SIGINT)

    try:
        if os.name == "posix":
            import pty

            master, slave = pty.openpty()
            try:
                proc = subprocess.Popen(list(command), stdout=slave, stderr=slave,
                                        stdin=subprocess.DEVNULL, close_fds=True)
            finally:
                os.close(slave)
            buffer = b""
            try:
                while True:
                    try:
                        data = os.read(master, 65536)
                    except OSError:  # EIO: CBC closed the terminal
                        break
                    if not data:
                        break
                    buffer += data.replace(b"\r\n", b"\n")
                    *lines, buffer = buffer.split(b"\n")
                    for raw in lines:
                        handle(raw.decode("utf-8", "replace") + "\n")
            except BaseException:  # the callback failed, or Ctrl-C: CBC must not run on
                proc.kill()
                proc.wait()
                raise
            finally:
                os.close(master)
            if buffer:
                handle(buffer.decode("utf-8", "replace"))
            code = proc.wait()
        else:  # pragma: no cover - Windows: a pipe (blocks of output)
            with subprocess.Popen(list(command), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  text=True, errors="replace") as proc:
                for line in proc.stdout:
                    handle(line)
            code = proc.returncode
    finally:
        if log is not None:
            log.close()
    return code, "".join(chunks)
