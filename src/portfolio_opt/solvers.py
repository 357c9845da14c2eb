"""Run a PuLP model on CBC or HiGHS and report honestly what the solver proved.

PuLP says "Optimal" when CBC stopped at its time limit with a portfolio in
hand, and does not pass on the best bound. This module reads the solver's own
account (CBC's log, HiGHS's info) so that the status is *optimal* only when
optimality was proven, and otherwise *feasible* with the gap to the best
bound the solver proved.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from numbers import Integral, Real
from typing import Any

import pulp

from portfolio_opt.exceptions import InputError, SolverError

__all__ = ["SolveReport", "Solver", "Status", "relative_gap", "run_solver", "solver_available"]


class Status(str, Enum):
    """What the solver proved about the answer.

    ``optimal``: proven optimal (to the solver's numerical tolerance).
    ``feasible``: a portfolio satisfying every constraint, with a stated gap
    to the best bound (time limit or a relative gap tolerance reached).
    ``infeasible``: no portfolio satisfies every constraint.
    ``unbounded``: the objective can grow without limit.
    ``not_solved``: the solver stopped without finding any portfolio.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NOT_SOLVED = "not_solved"


class Solver(str, Enum):
    """Solvers: ``cbc`` (bundled with PuLP, the default) and ``highs`` (``pip install highspy``)."""

    CBC = "cbc"
    HIGHS = "highs"

    @classmethod
    def parse(cls, value: Any) -> Solver:
        """Accept a Solver, its string value (any case) or None (the default, CBC)."""
        if value is None:
            return cls.CBC
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise InputError(
                f"unknown solver {value!r}; valid solvers: {', '.join(s.value for s in cls)}."
            ) from None

    def available(self) -> bool:
        """Whether this solver can run on this machine."""
        if self is Solver.CBC:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                return bool(pulp.PULP_CBC_CMD(msg=False).available())
        with _quiet_stdout():  # highspy prints its banner when PuLP probes it
            return bool(pulp.HiGHS(msg=False).available())


@dataclass(frozen=True)
class SolveReport:
    """The solver's account of one solve.

    Attributes
    ----------
    status : Status
    objective : float
        Objective of the portfolio found (NaN when none).
    bound : float
        Best proven bound on the optimum (for a maximisation: an upper bound).
    gap : float
        Relative gap ``|bound - objective| / max(|bound|, |objective|)``; 0 when
        proven optimal, NaN when no portfolio was found.
    solve_time : float
        Wall-clock seconds spent in the solver call.
    solver : str
    """

    status: Status
    objective: float
    bound: float
    gap: float
    solve_time: float
    solver: str


def relative_gap(objective: float, bound: float) -> float:
    """Relative gap between a portfolio's objective and a proven bound.

    Measured, as CBC and HiGHS do, against the larger of the two:
    ``|bound - objective| / max(|bound|, |objective|)``.

    Examples
    --------
    >>> relative_gap(98.0, 100.0)
    0.02
    >>> relative_gap(5.0, 5.0)
    0.0
    """
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.nan
    return abs(bound - objective) / max(abs(bound), abs(objective), 1e-9)


def _is_number(x: Any) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool) and math.isfinite(x)


def _check_options(time_limit: Any, gap: Any, threads: Any) -> None:
    problems = []
    if time_limit is not None and not (_is_number(time_limit) and time_limit > 0):
        problems.append(f"time_limit must be a number of seconds > 0, got {time_limit!r}.")
    if gap is not None and not (_is_number(gap) and 0 <= gap < 1):
        problems.append(
            f"gap must be a relative gap from 0 (prove optimality) to below 1, got {gap!r}; "
            "e.g. gap=0.01 accepts a portfolio within 1% of the best bound."
        )
    if threads is not None and not (
            isinstance(threads, Integral) and not isinstance(threads, bool)
            and int(threads) >= 1):
        problems.append(f"threads must be a whole number >= 1, got {threads!r}.")
    if problems:
        raise InputError(problems)


def _solve_options(solver: Any, time_limit: Any, gap: Any, threads: Any
                   ) -> tuple[Solver, float | None, float, int | None]:
    """Check the options of a solve; return the solver, time limit, gap (default 0), threads."""
    _check_options(time_limit, gap, threads)
    which = Solver.parse(solver)
    solver_available(which)
    return (which, None if time_limit is None else float(time_limit),
            0.0 if gap is None else float(gap), None if threads is None else int(threads))


def run_solver(
    problem: pulp.LpProblem,
    solver: Any = None,
    *,
    time_limit: float | None = None,
    gap: float | None = None,
    threads: int | None = None,
) -> SolveReport:
    """Solve a maximisation ``problem`` in place and report what was proven.

    Parameters
    ----------
    problem : pulp.LpProblem
        A maximisation problem; variable values are set on return.
    solver : Solver or str, optional
        ``"cbc"`` (default) or ``"highs"``.
    time_limit : float, optional
        Seconds of wall-clock time for the solver.
    gap : float, optional
        Relative gap at which the solver may stop. Default 0: prove optimality.
    threads : int, optional
        Threads the solver may use.

    Returns
    -------
    SolveReport
    """
    which, time_limit, rel_gap, threads = _solve_options(solver, time_limit, gap, threads)
    start = time.perf_counter()
    if which is Solver.CBC:
        report = _run_cbc(problem, time_limit, rel_gap, threads)
    else:
        report = _run_highs(problem, time_limit, rel_gap, threads)
    elapsed = time.perf_counter() - start
    return SolveReport(report[0], report[1], report[2], report[3], elapsed, which.value)


def solver_available(which: Solver) -> None:
    """Raise :class:`SolverError` when ``which`` cannot run on this machine."""
    if not which.available():
        raise SolverError(
            f"solver {which.value!r} is not available on this machine. "
            + ("Install it with: pip install 'portfolio_opt[highs]'." if which is Solver.HIGHS
               else "PuLP's bundled CBC could not run; reinstall pulp.")
        )


def _finish(found: bool, proven_optimal: bool, objective: float, bound: float,
            ) -> tuple[Status, float, float, float]:
    if not found:
        return Status.NOT_SOLVED, math.nan, bound, math.nan
    if proven_optimal:
        return Status.OPTIMAL, objective, objective, 0.0
    g = relative_gap(objective, bound)
    if g <= 1e-9:
        return Status.OPTIMAL, objective, objective, 0.0
    return Status.FEASIBLE, objective, bound, g


_NUMBER = r"(-?[0-9.]+(?:e[-+]?\d+)?)"


def _run_cbc(problem: pulp.LpProblem, time_limit: float | None, gap: float,
             threads: int | None) -> tuple[Status, float, float, float]:
    fd, log_path = tempfile.mkstemp(prefix="portfolio_opt_cbc_", suffix=".log")
    os.close(fd)
    try:
        with warnings.catch_warnings():  # PuLP 3.3 announces CBC leaves PuLP 4; we pin <4
            warnings.simplefilter("ignore", DeprecationWarning)
            cmd = pulp.PULP_CBC_CMD(
                msg=False, timeLimit=time_limit, gapRel=gap, threads=threads,
                logPath=log_path, timeMode="elapsed",
            )
        try:
            problem.solve(cmd)
        except pulp.PulpSolverError as exc:  # pragma: no cover - depends on the binary
            raise SolverError(f"CBC failed to run: {exc}") from exc
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            log = fh.read()
    finally:
        os.remove(log_path)

    if problem.sol_status == pulp.LpSolutionInfeasible or problem.status == pulp.LpStatusInfeasible:
        return Status.INFEASIBLE, math.nan, math.nan, math.nan
    if problem.sol_status == pulp.LpSolutionUnbounded or problem.status == pulp.LpStatusUnbounded:
        return Status.UNBOUNDED, math.nan, math.inf, math.nan
    found = problem.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    objective = float(pulp.value(problem.objective) or 0.0) if found else math.nan
    return _cbc_log_outcome(found, log, objective, gap)


def cbc_outcome(head: str, log: str, objective: float, gap: float
                ) -> tuple[Status, float, float, float]:
    """Status, objective, bound and gap of a CBC run from its solution file and log.

    ``head`` is the solution file's first line, read as PuLP reads it
    (``Optimal``; ``Infeasible`` / ``Integer infeasible``; ``Unbounded``;
    ``Stopped ... - objective value``: a portfolio found), ``log`` CBC's log
    and ``objective`` the objective of the solution read back. The bound and
    the proof come from the log (its rules: ``_cbc_log_outcome``).

    Examples
    --------
    >>> done = "Result - Optimal solution found"
    >>> cbc_outcome("Optimal - objective value 7", done, 7.0, 0.0)
    (<Status.OPTIMAL: 'optimal'>, 7.0, 7.0, 0.0)
    >>> cbc_outcome("Integer infeasible - objective value 0", "", math.nan, 0.0)[0].value
    'infeasible'
    """
    words = head.split()
    first = words[0] if words else ""
    if first in ("Infeasible", "Integer"):
        return Status.INFEASIBLE, math.nan, math.nan, math.nan
    if first == "Unbounded":
        return Status.UNBOUNDED, math.nan, math.inf, math.nan
    found = first == "Optimal" or (first == "Stopped" and len(words) >= 5
                                   and words[4] == "objective")
    return _cbc_log_outcome(found, log, objective if found else math.nan, gap)


def _cbc_log_outcome(found: bool, log: str, objective: float, gap: float
                     ) -> tuple[Status, float, float, float]:
    """Status, objective, bound and gap of a CBC run that ``found`` a portfolio or not.

    The bound is CBC's final ``Upper bound`` (``Lower bound``) line, else the
    objective plus the integer gap it exited at, else the last ``best
    possible`` of its progress lines, else the objective; *optimal* only when
    CBC completed its search with no gap tolerance.
    """
    result = re.search(r"^Result - (.*)$", log, re.M)
    result_text = result.group(1) if result else ""
    # The result summary is in the model's sense; the progress lines ("best
    # possible") are in CBC's internal sense, minimising -objective.
    bound_line = re.search(r"^(?:Upper|Lower) bound:\s+" + _NUMBER, log, re.M)
    exit_gap = re.search(r"Exiting as integer gap of " + _NUMBER, log)
    progress = re.findall(r"best possible " + _NUMBER, log)
    if bound_line:
        bound = float(bound_line.group(1))
    elif exit_gap:
        bound = objective + float(exit_gap.group(1))
    elif progress:
        bound = -float(progress[-1])
    else:
        bound = objective
    completed = result_text.startswith("Optimal solution found")
    proven = completed and gap == 0 and not exit_gap
    if found and completed and gap > 0 and objective > 0:
        # the search completed under the relative gap tolerance, which CBC measures
        # against the larger of objective and bound: bound <= objective / (1 - gap)
        bound = min(bound, objective / (1 - gap))
    if found and not proven:
        bound = max(bound, objective)
    return _finish(found, proven, objective, bound)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence what solvers write to standard output, from C or Python (restored afterwards)."""
    fd = 1  # C code writes to the process's fd 1, whatever sys.stdout is (e.g. in Jupyter)
    try:
        os.fstat(fd)
    except OSError:
        yield  # no such file descriptor: nothing to silence
        return
    try:
        sys.stdout.flush()
    except (AttributeError, ValueError):  # pragma: no cover - a closed or odd stream
        pass
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null, contextlib.redirect_stdout(io.StringIO()):
            os.dup2(null.fileno(), fd)  # C code's writes ...
            yield  # ... and Python-level ones (highspy may log through sys.stdout)
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _run_highs(problem: pulp.LpProblem, time_limit: float | None, gap: float,
               threads: int | None) -> tuple[Status, float, float, float]:
    cmd = pulp.HiGHS(msg=False, timeLimit=time_limit, gapRel=gap, threads=threads)
    import highspy

    # HiGHS keeps one thread pool per process, sized by the first solve: a solve asking
    # for another number of threads fails ("not solved") unless the pool is reset.
    highspy.Highs.resetGlobalScheduler(True)
    try:
        with _quiet_stdout():  # highspy prints its banner from C++ even with msg=False
            problem.solve(cmd)
    except pulp.PulpSolverError as exc:  # pragma: no cover - depends on the library
        raise SolverError(f"HiGHS failed to run: {exc}") from exc
    # PuLP hands HiGHS the minimisation of -objective: its dual bound is flipped back.
    return highs_outcome(problem.solverModel, gap,
                         lambda: float(pulp.value(problem.objective) or 0.0),
                         negated=problem.sense == pulp.LpMaximize)


def highs_outcome(highs: Any, gap: float, objective: Callable[[], float], *,
                  negated: bool = False) -> tuple[Status, float, float, float]:
    """Status, objective, bound and gap of a HiGHS run, from its model status and info.

    ``objective()`` gives the objective of HiGHS's solution; it is called
    only when HiGHS has one. ``negated``: HiGHS minimised ``-objective``, so
    its dual bound is flipped back. *Optimal* only when HiGHS proved it with
    no gap tolerance.
    """
    import highspy

    model_status = highs.getModelStatus()
    info = highs.getInfo()
    ms = highspy.HighsModelStatus
    if model_status == ms.kInfeasible:
        return Status.INFEASIBLE, math.nan, math.nan, math.nan
    if model_status in (ms.kUnbounded, ms.kUnboundedOrInfeasible):
        return Status.UNBOUNDED, math.nan, math.inf, math.nan
    found = info.primal_solution_status == 2  # kSolutionStatusFeasible
    value = objective() if found else math.nan
    bound = -float(info.mip_dual_bound) if negated else float(info.mip_dual_bound)
    if not math.isfinite(bound):
        bound = math.inf
    proven = model_status == ms.kOptimal and gap == 0
    return _finish(found, proven, value, bound)
