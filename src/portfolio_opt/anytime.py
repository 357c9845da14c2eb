"""Solve with a wall-clock promise: a portfolio at once, a proven bound, then better ones.

What :func:`portfolio_opt.select` does when it is given a ``time_limit`` (or a
``progress`` display). Large portfolios are where MIP solvers can spend their
whole time limit without a single portfolio (issue 7 measured CBC and HiGHS
with nothing after 15-20 s at 100 000 projects), so the steps are:

1. **greedy** (:func:`portfolio_opt.heuristic.greedy`, this process): a
   portfolio that satisfies every row, usually in well under a second;
2. **Lagrangian bound** (:func:`portfolio_opt.lagrange.lagrangian_bound`, this
   process, a short share of the time): a proven upper bound, so the gap is
   known from the start;
3. in a **child process stopped at the deadline**
   (:func:`portfolio_opt.runner.solve_with_deadline`): the Lagrangian
   multipliers improved further (a tighter bound, and portfolios built from
   their reduced profits and from the averaged relaxation), the LP of the
   undecided projects rounded into a portfolio (:mod:`portfolio_opt.core_lp`,
   with HiGHS), a local search on the best portfolio
   (:mod:`portfolio_opt.local_search`), from 1 000 projects on many small
   exact solves of random neighbourhoods of it
   (:mod:`portfolio_opt.neighbourhood`, with HiGHS), then -- unless the model
   is large -- the MIP solver (CBC or HiGHS, :func:`portfolio_opt.matrix_solve.solve_matrix`)
   warm-started with the best portfolio for the rest of the time. Every
   improvement is posted to this process as it is found, so a stopped
   child (deadline, Ctrl-C) loses nothing already found.

The answer is the best portfolio known, checked against every row
(:func:`portfolio_opt.heuristic.max_violation`), with the best proven bound
(the smallest of the Lagrangian bound, the solver's bound): ``optimal`` only
when the solver proved it (or the portfolio reaches the bound), otherwise
``feasible`` with its gap. Where this process may not start children (e.g. a
daemonic worker of a process pool), the steps run here and the limit is kept
by the solver's own time limit.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from portfolio_opt.core_lp import core_lp_rounding, marginal_count
from portfolio_opt.heuristic import TOL, greedy, lp_rounding, max_violation
from portfolio_opt.heuristic_repair import Prep, construct, density_order, prepare
from portfolio_opt.lagrange import lagrangian_bound
from portfolio_opt.local_search import improve
from portfolio_opt.matrix import MatrixModel
from portfolio_opt.matrix_solve import solve_matrix
from portfolio_opt.neighbourhood import neighbourhood_search
from portfolio_opt.progress import ProgressEvent, progress_event
from portfolio_opt.runner import solve_with_deadline
from portfolio_opt.solvers import Solver, SolveReport, Status, _solve_options, relative_gap

__all__ = ["AnytimeResult", "solve_anytime"]

#: Share of the time left after the greedy given to the first Lagrangian bound (at most
#: :data:`FIRST_BOUND_S` seconds).
FIRST_BOUND_SHARE = 0.25
FIRST_BOUND_S = 2.0
#: Shares of the child's time: more Lagrangian steps, then the local search; the solver
#: gets the rest.
LAGRANGE_SHARE = 0.2
SEARCH_SHARE = 0.15
#: Share of the time kept for the MIP solver (models that are not large).
SOLVER_SHARE = 0.3
#: The LP of the core (:mod:`portfolio_opt.core_lp`, HiGHS, when installed) at most this
#: share: 0.4 s at 10 000 projects, ~3 s at 100 000.
CORE_SHARE = 0.4
#: Models with more non-zeros than this are *large*: no MIP solver within a time limit
#: (measured: the whole LP relaxation 2.7 s at 205 000 non-zeros, minutes at 2 million);
#: the Lagrangian steps get this share of the child's time, the local search the rest.
LARGE_NONZEROS = 1_000_000
LARGE_LAGRANGE_SHARE = 0.3
#: Large models: seconds kept for the local search after the core LPs; a larger core is
#: tried when the time left is at least this many times the last one's (measured: 1.6-2x
#: per 1.5x the projects); the local search runs in chunks of this many seconds, each
#: ending this margin before the deadline.
LARGE_SEARCH_S = 2.0
LARGE_CORE_GROWTH = 2.0
LARGE_SEARCH_CHUNK_S = 3.0
LARGE_MARGIN_S = 1.0
#: From this many projects on, the MIP neighbourhood search
#: (:mod:`portfolio_opt.neighbourhood`) gets the time up to the solver's share; below,
#: the MIP solver has a chance to prove the optimum and gets it all.
NEIGHBOURHOOD_MIN_PROJECTS = 1000
#: The MIP solver's share of the time after a neighbourhood search.
NEIGHBOURHOOD_SOLVER_SHARE = 0.1
#: Below this many seconds left, no child is started (its start and the transfer of the
#: model would eat the time): the first bound gets the time instead.
MIN_CHILD_S = 1.0
#: Seconds kept back from the deadline for stopping the child and reading the answer.
SHUTDOWN_S = 0.3


@dataclass(frozen=True)
class AnytimeResult:
    """What :func:`solve_anytime` found.

    Attributes
    ----------
    report : SolveReport
        Status, objective, bound and gap of ``x`` (the rules of
        :func:`portfolio_opt.solvers.run_solver`); ``solve_time`` is the
        wall-clock time of the whole call.
    x : numpy.ndarray or None
        Value of every column of the model (None when no portfolio is known).
    source : str
        Which step found ``x``: ``greedy``, ``lagrangian``, ``core_lp``,
        ``local_search``, ``neighbourhood``, the solver's name, or ``""``.
    reason : str
        ``finished``, ``time_limit``, ``interrupted`` or ``crashed`` (see
        :class:`portfolio_opt.runner.DeadlineResult`); ``in_process`` when no
        child could be started.
    events : tuple of ProgressEvent
        The progress reported, in order (``elapsed`` from the call).
    """

    report: SolveReport
    x: np.ndarray | None
    source: str
    reason: str
    events: tuple[ProgressEvent, ...] = field(default=())


class _Best:
    """The best portfolio and bound known, and the progress sent on."""

    def __init__(self, mm: MatrixModel, start: float,
                 progress: Callable[[ProgressEvent], Any] | None) -> None:
        self.mm = mm
        self.start = start
        self.x: np.ndarray | None = None
        self.objective = -math.inf
        self.source = ""
        self.bound = math.inf
        self.events: list[ProgressEvent] = []
        self.progress = progress

    def offer(self, x: np.ndarray | None, source: str) -> bool:
        if x is None or max_violation(self.mm, x) > TOL:
            return False
        obj = self.mm.objective_value(x)
        if obj > self.objective + 1e-9 * max(1.0, abs(obj)):
            self.x, self.objective, self.source = x, obj, source
            return True
        return False

    def tighten(self, bound: float) -> None:
        if math.isfinite(bound) or bound == -math.inf:
            self.bound = min(self.bound, float(bound))

    def emit(self, elapsed: float | None = None) -> None:
        inc = self.objective if math.isfinite(self.objective) else math.nan
        bnd = self.bound if math.isfinite(self.bound) else math.nan
        t = time.monotonic() - self.start if elapsed is None else elapsed
        event = progress_event(t, inc, bnd)
        self.events.append(event)
        if self.progress is not None:
            self.progress(event)


class _LocalReporter:
    """Stands in for :class:`portfolio_opt.runner.Reporter` when the steps run here."""

    def __init__(self, best: _Best) -> None:
        self.best = best

    def progress(self, incumbent: float = math.nan, bound: float = math.nan,
                 gap: float | None = None) -> None:
        self.best.tighten(bound)
        self.best.emit()

    def event(self, event: ProgressEvent) -> None:
        self.progress(event.incumbent, event.bound)

    def solution(self, value: Any, objective: float = math.nan,
                 bound: float = math.nan) -> None:
        self.best.offer(*value)
        self.best.tighten(bound)
        self.best.emit()


def solve_anytime(mm: MatrixModel, *, solver: Any = None, time_limit: float | None = None,
                  gap: float | None = None, threads: int | None = None,
                  progress: bool | Callable[[ProgressEvent], Any] | None = None,
                  start: float | None = None) -> AnytimeResult:
    """Find the best portfolio of ``mm`` that the time allows, with a proven bound.

    Parameters
    ----------
    mm : MatrixModel
        The model (``SelectionModel.build()`` fills ``model.matrix_``).
    solver : {"cbc", "highs"}, optional
        The MIP solver of the last step (default CBC).
    time_limit : float, optional
        Wall-clock seconds from ``start``; None: the solver runs until it
        proves optimality (still stoppable with Ctrl-C).
    gap : float, optional
        Relative gap at which the solver may stop (default 0).
    threads : int, optional
        Threads for the solver.
    progress : bool or callable, optional
        A callable receives every :class:`~portfolio_opt.progress.ProgressEvent`;
        True shows a progress bar (tqdm), False nothing; None a bar only when
        standard error is a terminal.
    start : float, optional
        ``time.monotonic()`` at which the time limit began (default: now),
        e.g. before the model was built.

    Returns
    -------
    AnytimeResult

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio, SelectionModel
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 3.0],
    ...                              "value": [5.0, 3.0, 3.0]}), budget=6)
    >>> model = SelectionModel(pf)
    >>> _ = model.build()
    >>> res = solve_anytime(model.matrix_, time_limit=20, progress=False)
    >>> res.report.status.value, res.report.objective, res.x.tolist()
    ('optimal', 6.0, [0.0, 1.0, 1.0])
    """
    start = time.monotonic() if start is None else start
    which, _, _, _ = _solve_options(solver, time_limit, gap, threads)
    callback = progress if callable(progress) and not isinstance(progress, bool) else None
    best = _Best(mm, start, callback)
    deadline = math.inf if time_limit is None else start + float(time_limit)

    reason = "finished"
    final: SolveReport | None = None
    try:
        prep = prepare(mm)
        best.offer(greedy(mm, _prep=prep), "greedy")
        best.emit()
        left = deadline - time.monotonic()
        first = (min(FIRST_BOUND_S, FIRST_BOUND_SHARE * left) if math.isfinite(left)
                 else FIRST_BOUND_S)
        if left - first < MIN_CHILD_S + SHUTDOWN_S:  # too little left for a child: bound here
            first = max(left - SHUTDOWN_S, 0.0)
        lag = lagrangian_bound(mm, target=best.objective if best.x is not None else None,
                               time_limit=max(first, 0.0),
                               max_iterations=10_000 if first > 0 else 0)
        best.tighten(lag.bound)
        best.emit()
    except KeyboardInterrupt:  # Ctrl-C (or the progress callback): keep what is known
        return _finish(best, None, which, start, "interrupted")
    plan = _Plan(which.value, None if time_limit is None else 0.0, gap, threads,
                 lag.y, lp=Solver.HIGHS.available())

    if _good_enough(best, gap) or (math.isfinite(deadline)
                                   and deadline - time.monotonic() <= MIN_CHILD_S):
        reason = "finished" if _good_enough(best, gap) else "time_limit"
    elif multiprocessing.current_process().daemon:
        plan.time_limit = None if time_limit is None else deadline - time.monotonic()
        out = _child(mm, prep, best.x, plan, report=_LocalReporter(best))
        final = _take(best, out)
        reason = "in_process"
    else:
        child_limit = None if time_limit is None else deadline - time.monotonic() - SHUTDOWN_S
        plan.time_limit = child_limit
        shift = time.monotonic() - start
        forward = None if callback is None else (
            lambda e: callback(e._replace(elapsed=e.elapsed + shift)))
        res = solve_with_deadline(
            _child, (mm, prep, best.x, plan), time_limit=child_limit, grace=0.5,
            progress=forward if forward is not None else progress, desc="select",
            import_main=False)
        reason = res.reason
        for e in res.events:
            best.events.append(e._replace(elapsed=e.elapsed + shift))
            if math.isfinite(e.bound):
                best.tighten(e.bound)
        if res.source == "result":
            final = _take(best, res.value)
        elif res.source == "solution":
            best.offer(*res.value)
    return _finish(best, final, which, start, reason)


def _finish(best: _Best, final: SolveReport | None, which: Solver, start: float,
            reason: str) -> AnytimeResult:
    report = _report(best, final, which, time.monotonic() - start)
    if report.status is Status.OPTIMAL:
        best.bound = report.bound
    if reason == "interrupted":
        best.progress = None  # the callback asked to stop: the final state is only recorded
    best.emit()
    return AnytimeResult(report=report, x=best.x, source=best.source, reason=reason,
                         events=tuple(best.events))


def _good_enough(best: _Best, gap: float | None) -> bool:
    """Say whether the best portfolio is proven optimal, or within the gap asked for."""
    return best.x is not None and relative_gap(best.objective, best.bound) <= max(
        1e-9, gap or 0.0)


def _take(best: _Best, out: dict[str, Any]) -> SolveReport | None:
    """Offer the child's portfolios and bound; return the solver's report."""
    for x, source in out["portfolios"]:
        best.offer(x, source)
    best.tighten(out["bound"])
    return out["report"]


def _report(best: _Best, final: SolveReport | None, which: Solver, elapsed: float
            ) -> SolveReport:
    if final is not None and final.status is Status.INFEASIBLE:
        return SolveReport(Status.INFEASIBLE, math.nan, math.nan, math.nan, elapsed,
                           which.value)
    if best.bound == -math.inf:  # the relaxation has no solution: neither has the model
        return SolveReport(Status.INFEASIBLE, math.nan, math.nan, math.nan, elapsed,
                           which.value)
    if best.x is None:
        bound = best.bound if math.isfinite(best.bound) else math.nan
        return SolveReport(Status.NOT_SOLVED, math.nan, bound, math.nan, elapsed,
                           which.value)
    solver_proved = (final is not None and final.status is Status.OPTIMAL
                     and best.objective >= final.objective - 1e-9 * max(1.0,
                                                                         abs(final.objective)))
    g = relative_gap(best.objective, best.bound)
    if solver_proved or g <= 1e-9:
        return SolveReport(Status.OPTIMAL, best.objective, best.objective, 0.0, elapsed,
                           which.value)
    return SolveReport(Status.FEASIBLE, best.objective, best.bound, g, elapsed, which.value)


# --------------------------------------------------------------------------- the child
@dataclass
class _Plan:
    solver: str
    time_limit: float | None
    gap: float | None
    threads: int | None
    y0: np.ndarray
    lp: bool = True


def _large_cores(mm: MatrixModel, prep: Prep, reduced: np.ndarray, core: int, plan: _Plan,
                 left: Callable[[], float], done: Callable[[], bool],
                 post: Callable[[np.ndarray | None, str], None]) -> None:
    """Round the core LP of a large model: larger cores one after another, while time allows.

    At this size the core LP is the step that counts (issue 7, 100 000 projects: a core of
    12 000 projects 0.31 % from the bound in 3.4 s, 18 000 0.18 % in 5.5 s, 24 000 0.16 % in
    10 s); a larger core is started only when the last one's time, times
    :data:`LARGE_CORE_GROWTH`, leaves :data:`LARGE_SEARCH_S` for the local search.
    """
    took = None
    for size in (core, 3 * core // 2, 2 * core):
        room = left() - LARGE_SEARCH_S
        if (not plan.lp or done() or size > len(mm.selection_columns) or room <= 0.5
                or (took is not None and room < LARGE_CORE_GROWTH * took)):
            return
        t0 = time.monotonic()
        x_core = core_lp_rounding(mm, reduced, marginal=size, _prep=prep, time_limit=room)
        took = time.monotonic() - t0
        post(x_core, "core_lp")
        if x_core is None:  # not solved in the time: a larger one would not be either
            return


def _child(mm: MatrixModel, prep: Prep, x0: np.ndarray | None, plan: _Plan,
           report: Any = None) -> dict[str, Any]:
    """More Lagrangian steps, portfolios from them, local search, then the warm-started solver.

    Runs in the child process of :func:`solve_anytime` (or in process); posts
    every better portfolio and bound through ``report``.
    """
    t0 = time.monotonic()
    limit = plan.time_limit
    best = _Best(mm, t0, None)
    best.offer(x0, "greedy")
    portfolios: list[tuple[np.ndarray, str]] = []

    def incumbent() -> float:
        return best.objective if best.x is not None else math.nan

    def post(x: np.ndarray | None, source: str) -> None:
        if x is not None and best.offer(x, source):
            portfolios.append((x, source))
            report.solution((x, source), best.objective, best.bound)

    def left() -> float:
        return math.inf if limit is None else limit - (time.monotonic() - t0)

    # a large model: the MIP solver cannot finish in a time limit (issue 7: its root LP
    # alone takes minutes at 100 000 projects); the time goes to the bound and the
    # heuristics instead
    large = limit is not None and mm.A.nnz > LARGE_NONZEROS
    span = limit if limit is not None else 60.0  # the shares of an unlimited run
    lag = lagrangian_bound(
        mm, target=incumbent() if best.x is not None else None,
        time_limit=(LARGE_LAGRANGE_SHARE if large else LAGRANGE_SHARE) * span,
        y0=plan.y0, on_bound=lambda b: report.progress(incumbent(), b))
    best.tighten(lag.bound)
    report.progress(incumbent(), lag.bound)
    order = np.argsort(-lag.reduced, kind="stable")
    order = order[lag.reduced[order] > 0]
    post(construct(mm, prep, [order, density_order(prep)]), "lagrangian")
    average = np.zeros(mm.n_cols)
    average[:mm.n_options] = lag.average
    post(lp_rounding(mm, average, _prep=prep), "lagrangian")

    def done() -> bool:
        return _good_enough(best, plan.gap)

    n_proj = len(mm.selection_columns)
    core = marginal_count(n_proj)
    if large:
        _large_cores(mm, prep, lag.reduced, core, plan, left, done, post)
        # the local search by chunks, each posted: one step may take a fraction of a second
        # here, and a search stopped at the deadline would lose what it found
        while best.x is not None and not done() and left() > LARGE_MARGIN_S + 0.5:
            before = best.objective
            post(improve(mm, best.x, time_limit=min(LARGE_SEARCH_CHUNK_S, left() - LARGE_MARGIN_S),
                         order=order, _prep=prep), "local_search")
            if best.objective <= before:
                break
    else:
        # cores of several sizes (each rounded, then improved by the local search):
        # different local optima; the best is kept. The MIP solver keeps SOLVER_SHARE.
        for size in (core, core // 2, 2 * core):
            reserve = SOLVER_SHARE * span
            if not plan.lp or done() or left() - reserve <= 0.5 or size > n_proj:
                break
            x_core = core_lp_rounding(mm, lag.reduced, marginal=size, _prep=prep,
                                      time_limit=min(CORE_SHARE * span, left() - reserve),
                                      crossover=True)
            post(x_core, "core_lp")
            if x_core is not None and left() - reserve > 0.2:
                post(improve(mm, x_core, time_limit=min(SEARCH_SHARE * span, left() - reserve),
                             order=order, _prep=prep), "local_search")
        if (best.source != "local_search" and best.x is not None and not done()
                and left() > 0.5):
            post(improve(mm, best.x, time_limit=min(SEARCH_SHARE * span, max(left() - 0.5, 0.0)),
                         order=order, _prep=prep), "local_search")
    # many small exact solves up to the solver's (smaller) share, all the time left when
    # the model is large: from 1 000 projects on the MIP solver improved nothing in the
    # time limits measured (issue 7: 10 000 projects, 10-240 s)
    reserve = 0.5 if large else NEIGHBOURHOOD_SOLVER_SHARE * span
    if (plan.lp and best.x is not None and n_proj >= NEIGHBOURHOOD_MIN_PROJECTS
            and not done() and left() - reserve > 0.3):
        found = neighbourhood_search(
            mm, best.x, lag.reduced, average=lag.average, time_limit=left() - reserve,
            on_improve=lambda x: post(x, "neighbourhood"))
        if best.source == "neighbourhood" and not done() and left() - reserve > 0.2:
            post(improve(mm, found, time_limit=min(SEARCH_SHARE * span, left() - reserve),
                         order=order, _prep=prep), "local_search")
    solver_report = None
    remaining = left()
    if not (done() or large) and remaining > 0.3:
        cushion = 0.0 if limit is None else min(1.0, 0.05 * limit + 0.1)
        solver_limit = None if limit is None else max(remaining - cushion, 0.1)
        solver_report, x = solve_matrix(mm, plan.solver, time_limit=solver_limit,
                                        gap=plan.gap, threads=plan.threads,
                                        warm_start=best.x, callback=report.event)
        post(x, plan.solver)
        best.tighten(solver_report.bound)
    return {"portfolios": portfolios, "bound": best.bound, "report": solver_report}
