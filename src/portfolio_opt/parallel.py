"""Run many independent solves, serially or on any :class:`concurrent.futures.Executor`.

Every many-solve routine of the library (efficient frontier, scenarios,
Monte Carlo re-optimisation, exact ``value_to_enter``, ...) hands its tasks to
:func:`run_many`. Without an executor the tasks run one after another in this
process; with one -- a :class:`~concurrent.futures.ProcessPoolExecutor`, a
:class:`~concurrent.futures.ThreadPoolExecutor`, or the executor of a Dask
distributed client (``client.get_executor()``) -- they are submitted to it.
The results come back in the order of the tasks, so a parallel run returns
exactly what the serial run returns.

For a process pool or a Dask cluster the function must be importable (defined
at module level) and the tasks picklable; every task of the library carries
its :class:`~portfolio_opt.portfolio.Portfolio` (a few tens of kilobytes for
the sample), so prefer few large tasks over many tiny ones.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar

from portfolio_opt.exceptions import InputError

__all__ = ["check_executor", "run_many"]

T = TypeVar("T")
R = TypeVar("R")

# Runs with fewer tasks than this show no progress bar unless asked to.
PROGRESS_MIN_TASKS = 20


def check_executor(executor: Any, where: str) -> Executor | None:
    """Return ``executor`` if it can run tasks, else raise :class:`InputError`.

    Parameters
    ----------
    executor : concurrent.futures.Executor or None
        Anything with a ``submit(fn, *args)`` method returning a future; None
        runs serially.
    where : str
        Name of the calling function, for the error message.

    Examples
    --------
    >>> check_executor(None, "efficient_frontier") is None
    True
    >>> check_executor(4, "efficient_frontier")
    Traceback (most recent call last):
    ...
    portfolio_opt.exceptions.InputError: efficient_frontier: executor must be a \
concurrent.futures.Executor (or a Dask client's get_executor()), got int 4; \
pass executor=None to run serially.
    """
    if executor is None:
        return None
    if not callable(getattr(executor, "submit", None)):
        raise InputError(
            f"{where}: executor must be a concurrent.futures.Executor (or a Dask client's "
            f"get_executor()), got {type(executor).__name__} {executor!r}; pass executor=None "
            "to run serially."
        )
    return executor  # type: ignore[no-any-return]


def _progress_bar(total: int, progress: bool | None, desc: str) -> Any:
    """Return a tqdm bar when asked (or for long runs on a terminal), else None."""
    if progress is False or (progress is None and (total < PROGRESS_MIN_TASKS
                                                   or not sys.stderr.isatty())):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress:
            raise InputError(
                f"{desc}: progress=True needs tqdm; install it with `pip install tqdm` "
                "or pass progress=False."
            ) from None
        return None
    return tqdm(total=total, desc=desc, leave=False)


def run_many(
    fn: Callable[[T], R],
    tasks: Iterable[T],
    *,
    executor: Executor | None = None,
    progress: bool | None = None,
    desc: str = "solves",
) -> list[R]:
    """Apply ``fn`` to every task, serially or on ``executor``; results in task order.

    Parameters
    ----------
    fn : callable
        One-argument function; for a process pool or Dask it must be defined
        at module level.
    tasks : iterable
        The arguments, one per call.
    executor : concurrent.futures.Executor, optional
        Where to run the calls; default serially in this process.
    progress : bool, optional
        Show a tqdm progress bar. Default: only for runs of at least
        ``PROGRESS_MIN_TASKS`` tasks when standard error is a terminal.
    desc : str, default "solves"
        Label of the progress bar.

    Returns
    -------
    list
        ``[fn(t) for t in tasks]``, in the order of ``tasks`` whatever order
        the calls finish in. The first exception raised by a call is raised
        again here (the remaining calls are cancelled where possible).

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> run_many(abs, [-3, 1, -2])
    [3, 1, 2]
    >>> with ThreadPoolExecutor(2) as pool:
    ...     run_many(abs, [-3, 1, -2], executor=pool)
    [3, 1, 2]
    """
    executor = check_executor(executor, desc)
    items: Sequence[T] = list(tasks)
    bar = _progress_bar(len(items), progress, desc)
    try:
        if executor is None:
            results = []
            for item in items:
                results.append(fn(item))
                if bar is not None:
                    bar.update(1)
            return results
        futures = [executor.submit(fn, item) for item in items]
        out: list[R] = []
        try:
            for future in futures:
                out.append(future.result())
                if bar is not None:
                    bar.update(1)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return out
    finally:
        if bar is not None:
            bar.close()
