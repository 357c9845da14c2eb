"""Progress of a solve: the one event type of every solver callback and runner.

:func:`portfolio_opt.runner.solve_with_deadline`, the CBC log reader
(:mod:`portfolio_opt.cbc_log`) and :func:`portfolio_opt.matrix_solve.solve_matrix`
all report a :class:`ProgressEvent`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from portfolio_opt.solvers import relative_gap

__all__ = ["ProgressEvent", "progress_event"]


class ProgressEvent(NamedTuple):
    """One progress report of a solve (for a maximisation).

    Attributes
    ----------
    elapsed : float
        Seconds since the start: for :func:`~portfolio_opt.runner.solve_with_deadline`,
        wall-clock seconds since the call, stamped when the parent received
        the event; for CBC's log (:class:`~portfolio_opt.cbc_log.CbcLogParser`),
        CBC's own clock; for HiGHS, seconds since the solve started.
    incumbent : float
        Objective of the best portfolio found so far; NaN when none.
    bound : float
        Best proven bound on the optimum (an upper bound); NaN when unknown.
    gap : float
        Relative gap ``|bound - incumbent| / max(|bound|, |incumbent|)``
        (:func:`portfolio_opt.solvers.relative_gap`); NaN when either is unknown.
    """

    elapsed: float
    incumbent: float
    bound: float
    gap: float


def progress_event(elapsed: float, incumbent: float, bound: float,
                   gap: float | None = None) -> ProgressEvent:
    """Make a :class:`ProgressEvent` of floats; ``gap`` (when None or NaN) from the other two.

    Examples
    --------
    >>> progress_event(1, 98, 100)
    ProgressEvent(elapsed=1.0, incumbent=98.0, bound=100.0, gap=0.02)
    """
    if gap is None or not math.isfinite(gap):
        gap = relative_gap(incumbent, bound)
    return ProgressEvent(float(elapsed), float(incumbent), float(bound), float(gap))
