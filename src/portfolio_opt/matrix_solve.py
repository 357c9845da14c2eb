"""Solve a :class:`~portfolio_opt.matrix.MatrixModel` without PuLP's objects.

HiGHS gets the arrays in memory (``highspy`` ``passModel``); CBC gets an MPS
file written in bulk from the arrays (no per-term Python loop) and runs as
PuLP's bundled ``cbc`` binary, whose solution file is read back. The status
rules are those of :mod:`portfolio_opt.solvers`: *optimal* only when the
solver proved it, otherwise *feasible* with the gap to the best bound the
solver proved (read from CBC's log, HiGHS's info: :func:`portfolio_opt.solvers.cbc_outcome`).
Progress comes as :class:`~portfolio_opt.progress.ProgressEvent` s (CBC's log
read as it is written by :func:`portfolio_opt.cbc_log.stream_cbc`).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pulp
import scipy.sparse as sp

from portfolio_opt.cbc_log import stream_cbc
from portfolio_opt.exceptions import InputError, SolverError
from portfolio_opt.matrix import MatrixModel
from portfolio_opt.progress import ProgressEvent, progress_event
from portfolio_opt.solvers import (
    Solver,
    SolveReport,
    Status,
    _quiet_stdout,
    _solve_options,
    cbc_outcome,
    highs_outcome,
)

__all__ = ["highs_lp", "read_cbc_solution", "solve_matrix", "write_mps"]

#: ``callback(event)``; returning True asks the solver to stop (the best portfolio is kept)
Callback = Callable[[ProgressEvent], Any]


def solve_matrix(mm: MatrixModel, solver: Any = None, *, time_limit: float | None = None,
                 gap: float | None = None, threads: int | None = None,
                 warm_start: np.ndarray | None = None,
                 callback: Callback | None = None) -> tuple[SolveReport, np.ndarray | None]:
    """Solve a maximisation :class:`MatrixModel`; report what was proven.

    Parameters
    ----------
    mm : MatrixModel
    solver : Solver or str, optional
        ``"cbc"`` (default: an MPS file and PuLP's bundled binary) or
        ``"highs"`` (in memory).
    time_limit, gap, threads
        As for :func:`portfolio_opt.solvers.run_solver` (``gap`` default 0:
        prove optimality).
    warm_start : numpy.ndarray, optional
        A value per column, e.g. a heuristic's portfolio: handed to the
        solver as a starting solution (HiGHS ``setSolution``, CBC ``-mips``).
    callback : callable, optional
        Called with a :class:`~portfolio_opt.progress.ProgressEvent` when the
        solver reports one (a new portfolio, a better bound; for CBC every
        progress line of its log, see :class:`~portfolio_opt.cbc_log.CbcLogParser`);
        returning True stops the solver, which keeps the best portfolio found.

    Returns
    -------
    (SolveReport, numpy.ndarray or None)
        The report (status, objective, bound, gap as for ``run_solver``) and
        the value of every column (None when no portfolio was found).

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio, SelectionModel
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 2.0],
    ...                              "value": [5.0, 3.0, 3.0]}), budget=5)
    >>> model = SelectionModel(pf)
    >>> _ = model.build()
    >>> report, x = solve_matrix(model.matrix_, "cbc")
    >>> report.status.value, report.objective, x.tolist()
    ('optimal', 6.0, [0.0, 1.0, 1.0])
    """
    which, limit, rel_gap, n_threads = _solve_options(solver, time_limit, gap, threads)
    if warm_start is not None:
        warm_start = np.asarray(warm_start, dtype=float)
        if warm_start.shape != (mm.n_cols,):
            raise InputError(
                f"solve_matrix: warm_start has shape {warm_start.shape}; give one value per "
                f"column of the model, shape ({mm.n_cols},)."
            )
    start = time.perf_counter()
    if which is Solver.CBC:
        outcome, x = _solve_cbc(mm, limit, rel_gap, n_threads, warm_start, callback)
    else:
        outcome, x = _solve_highs(mm, limit, rel_gap, n_threads, warm_start, callback)
    elapsed = time.perf_counter() - start
    return SolveReport(*outcome, elapsed, which.value), x


# --------------------------------------------------------------------------------- HiGHS
def _solve_highs(mm: MatrixModel, time_limit: float | None, gap: float, threads: int | None,
                 warm_start: np.ndarray | None, callback: Callback | None
                 ) -> tuple[tuple[Status, float, float, float], np.ndarray | None]:
    import highspy

    # one thread pool per process, sized by the first solve (see solvers._run_highs)
    highspy.Highs.resetGlobalScheduler(True)
    with _quiet_stdout():  # the banner is printed from C++ when the object is made
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if time_limit is not None:
        h.setOptionValue("time_limit", time_limit)
    h.setOptionValue("mip_rel_gap", gap)
    if threads is not None:
        h.setOptionValue("threads", threads)
    status = h.passModel(highs_lp(mm))
    if status == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS refused the model (passModel returned {status}).")
    if warm_start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = warm_start.tolist()
        sol.value_valid = True
        h.setSolution(sol)
    if callback is not None:
        t0 = time.perf_counter()

        last: list[tuple[float, float]] = []

        def report(event: Any) -> None:
            out = event.data_out
            inc, bound = float(out.mip_primal_bound), float(out.mip_dual_bound)
            inc = inc if math.isfinite(inc) else math.nan
            bound = bound if math.isfinite(bound) else math.nan
            if last and np.array_equal(last[-1], (inc, bound), equal_nan=True):
                return  # HiGHS asks often; report changes only
            last.append((inc, bound))
            if callback(progress_event(time.perf_counter() - t0, inc, bound)):
                event.interrupt()

        h.cbMipImprovingSolution.subscribe(report)
        h.cbMipInterrupt.subscribe(report)
    with _quiet_stdout():
        h.run()
    x: list[np.ndarray] = []

    def objective() -> float:  # called only when HiGHS has a solution
        x.append(np.asarray(h.getSolution().col_value, dtype=float))
        return mm.objective_value(x[0])

    # the model is passed as a maximisation: HiGHS's dual bound is in its sense
    return highs_outcome(h, gap, objective), (x[0] if x else None)


def highs_lp(mm: MatrixModel, *, relax: bool = False) -> Any:
    """Return the ``highspy.HighsLp`` of ``mm`` (maximise; column-wise matrix; integrality).

    ``relax=True``: without integrality (the LP relaxation).
    """
    import highspy

    csc = mm.A.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = mm.n_cols, mm.n_rows
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.offset_ = float(mm.offset)
    inf = highspy.kHighsInf
    lp.col_cost_ = mm.objective
    lp.col_lower_ = np.where(np.isfinite(mm.col_lower), mm.col_lower, -inf)
    lp.col_upper_ = np.where(np.isfinite(mm.col_upper), mm.col_upper, inf)
    lp.row_lower_ = np.where(np.isfinite(mm.row_lower), mm.row_lower, -inf)
    lp.row_upper_ = np.where(np.isfinite(mm.row_upper), mm.row_upper, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = mm.n_cols, mm.n_rows
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(float)
    if not relax:
        kinds = np.array([highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger])
        lp.integrality_ = kinds[mm.integer.astype(np.int64)].tolist()
    return lp


# ----------------------------------------------------------------------------------- MPS
def _fmt(values: np.ndarray) -> np.ndarray:
    """Shortest round-trip text (bytes) of each float; each distinct value formatted once."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return np.empty(0, dtype="S1")
    unique, inverse = np.unique(values, return_inverse=True)
    text = unique.astype("S24")  # numpy's repr, in C: at most 24 characters
    return text.astype(f"S{max(1, int(np.char.str_len(text).max()))}")[inverse]


def _names(prefix: str, which: np.ndarray) -> np.ndarray:
    """``prefix`` + position, as fixed-width bytes."""
    which = np.asarray(which, dtype=np.int64)
    digits = len(str(int(which.max()))) if len(which) else 1
    return np.char.add(prefix.encode(), which.astype(f"S{digits}"))


def _lines(n: int, *fields: np.ndarray | bytes) -> tuple[np.ndarray, np.ndarray]:
    """``n`` text lines, each field after one space: the bytes and where each line starts.

    Fields are fixed-width bytes arrays (one entry per line; shorter entries end in NUL)
    or one bytes shared by all. The lines are laid out at fixed width in one array, then
    the NUL padding is dropped: no Python string per line, which makes the writer fast.
    """
    widths = [len(f) if isinstance(f, bytes) else f.dtype.itemsize for f in fields]
    buf = np.zeros((n, sum(widths) + len(fields) + 1), dtype=np.uint8)
    size = np.full(n, len(fields) + 1, dtype=np.int64)  # the spaces and the newline
    pos = 0
    for f, w in zip(fields, widths):
        buf[:, pos] = 32
        if isinstance(f, bytes):
            buf[:, pos + 1:pos + 1 + w] = np.frombuffer(f, dtype=np.uint8)
            size += w
        else:
            buf[:, pos + 1:pos + 1 + w] = np.ascontiguousarray(f).view(np.uint8).reshape(n, w)
            size += np.char.str_len(f)
        pos += w + 1
    buf[:, -1] = 10
    flat = buf.ravel()
    return flat[flat != 0], np.concatenate([[0], np.cumsum(size)])


def write_mps(mm: MatrixModel, path: str | Path) -> None:
    """Write ``mm`` as a free-format MPS file, in bulk (numpy byte arrays, no loop per term).

    Columns are named ``C<j>`` and rows ``R<i>`` (positions in ``mm``); the
    objective is written as given (maximised: run CBC with ``-max``, as PuLP
    does). Rows without any bound are left out; a row bounded on both sides
    is an ``L`` row with a range.
    """
    lo, up = mm.row_lower, mm.row_upper
    keep = np.isfinite(lo) | np.isfinite(up)
    rows = np.flatnonzero(keep)
    eq = lo == up
    kind = np.where(eq, b"E", np.where(np.isfinite(up), b"L", b"G"))

    # COLUMNS: the kept rows and the objective (last row) column by column; a column in no
    # row and not in the objective gets an explicit 0 so that it exists
    A = mm.A[rows] if len(rows) < mm.n_rows else mm.A
    ocols = np.flatnonzero(mm.objective != 0)
    ocols = np.union1d(ocols, np.flatnonzero(np.diff(A.tocsc().indptr) == 0))
    top = sp.coo_matrix(A)
    stacked = sp.csc_matrix((np.concatenate([top.data, mm.objective[ocols]]),
                             (np.concatenate([top.row, np.full(len(ocols), len(rows))]),
                              np.concatenate([top.col, ocols]))),
                            shape=(len(rows) + 1, mm.n_cols))
    stacked.sort_indices()
    row_name = np.append(_names("R", rows), b"OBJ")
    col_of = np.repeat(np.arange(mm.n_cols), np.diff(stacked.indptr))
    text, line = _lines(len(col_of), _names("C", np.arange(mm.n_cols))[col_of],
                        row_name[stacked.indices], _fmt(stacked.data))
    # integer columns between markers: runs of consecutive integer columns
    change = np.diff(np.concatenate([[0], mm.integer.astype(np.int8), [0]]))
    marks = sorted([(int(k), b" M 'MARKER' 'INTORG'\n")
                    for k in stacked.indptr[np.flatnonzero(change == 1)]]
                   + [(int(k), b" M 'MARKER' 'INTEND'\n")
                      for k in stacked.indptr[np.flatnonzero(change == -1)]],
                   key=lambda m: m[0])
    columns: list[Any] = []
    done = 0
    for at, marker in marks:
        columns += [text[line[done]:line[at]].data, marker]
        done = at
    columns.append(text[line[done]:].data)

    rhs_val = np.where(np.isfinite(up), up, lo)[rows]
    nz = rhs_val != 0
    ranged = keep & np.isfinite(lo) & np.isfinite(up) & ~eq
    clo, cup = mm.col_lower, mm.col_upper
    cols = np.arange(mm.n_cols)
    fixed = np.isfinite(clo) & (clo == cup)
    # an integer column with no bounds would be read as binary: always write its lower
    low = np.flatnonzero(~fixed & np.isfinite(clo) & ((clo != 0) | mm.integer))
    minus = ~fixed & ~np.isfinite(clo)
    upper = np.flatnonzero(~fixed & np.isfinite(cup))
    plus = ~fixed & np.isfinite(clo) & ~np.isfinite(cup) & mm.integer
    sections = [
        b"NAME PORTFOLIO\nROWS\n N OBJ\n",
        _lines(len(rows), kind[rows], _names("R", rows)),
        b"COLUMNS\n", *columns,
        b"RHS\n", _lines(int(nz.sum()), b"RHS", _names("R", rows[nz]), _fmt(rhs_val[nz])),
        b"RANGES\n" if ranged.any() else b"",
        _lines(int(ranged.sum()), b"RNG", _names("R", np.flatnonzero(ranged)),
               _fmt((up - lo)[ranged])),
        b"BOUNDS\n",
        _lines(int(fixed.sum()), b"FX BND", _names("C", cols[fixed]), _fmt(clo[fixed])),
        _lines(len(low), b"LO BND", _names("C", low), _fmt(clo[low])),
        _lines(int((minus & np.isfinite(cup)).sum()), b"MI BND",
               _names("C", cols[minus & np.isfinite(cup)])),
        _lines(int((minus & ~np.isfinite(cup)).sum()), b"FR BND",
               _names("C", cols[minus & ~np.isfinite(cup)])),
        _lines(len(upper), b"UP BND", _names("C", upper), _fmt(cup[upper])),
        _lines(int(plus.sum()), b"PL BND", _names("C", cols[plus])),
        b"ENDATA\n",
    ]
    with open(path, "wb") as fh:
        for part in sections:
            fh.write(part[0].data if isinstance(part, tuple) else part)


def read_cbc_solution(path: str | Path, n_cols: int) -> tuple[str, np.ndarray]:
    """Read CBC's solution file of a model written by :func:`write_mps`.

    Returns the status line and the value of every column (0 where the file
    lists none).
    """
    text = Path(path).read_text()
    head, _, body = text.partition("\n")
    x = np.zeros(n_cols)
    for m in re.finditer(r"^\s*(?:\*\*\s*)?\d+\s+C(\d+)\s+(\S+)", body, re.M):
        x[int(m.group(1))] = float(m.group(2))
    return head.strip(), x


# ------------------------------------------------------------------------------------ CBC
def _cbc_path() -> str:
    with warnings.catch_warnings():  # PuLP 3.3 announces CBC leaves PuLP 4; we pin <4
        warnings.simplefilter("ignore", DeprecationWarning)
        return str(pulp.PULP_CBC_CMD(msg=False).path)


def _solve_cbc(mm: MatrixModel, time_limit: float | None, gap: float, threads: int | None,
               warm_start: np.ndarray | None, callback: Callback | None
               ) -> tuple[tuple[Status, float, float, float], np.ndarray | None]:
    folder = tempfile.mkdtemp(prefix="portfolio_opt_cbc_")
    try:
        mps, sol, mst = (os.path.join(folder, f) for f in ("model.mps", "model.sol",
                                                           "start.mst"))
        write_mps(mm, mps)
        cmd = [_cbc_path(), mps, "-max"]
        if warm_start is not None:
            lines = [f"{j:>7} C{j} {v!r:>15} 0" for j, v in enumerate(warm_start.tolist())]
            Path(mst).write_text("Stopped on time - objective value 0\n"
                                 + "\n".join(lines) + "\n")
            cmd += ["-mips", mst]
        if time_limit is not None:
            cmd += ["-sec", str(time_limit)]
        cmd += ["-ratio", str(gap)]
        if threads is not None:
            cmd += ["-threads", str(threads)]
        cmd += ["-timeMode", "elapsed", "-solve", "-solution", sol]
        log = _run_cbc(cmd, callback)
        if not os.path.exists(sol):
            raise SolverError("CBC failed to run: it wrote no solution file. Its log ends:\n"
                              + log[-2000:])
        head, x = read_cbc_solution(sol, mm.n_cols)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    outcome = cbc_outcome(head, log, mm.objective_value(x), gap)
    found = outcome[0] in (Status.OPTIMAL, Status.FEASIBLE)
    return outcome, (x if found else None)


def _run_cbc(cmd: list[str], callback: Callback | None) -> str:
    """Run CBC; return its log. Its events go to ``callback`` (True: stop CBC)."""
    stopped = False

    def on_event(event: ProgressEvent) -> bool:  # stream_cbc stops calling once True
        nonlocal stopped
        stopped = callback is not None and bool(callback(event))
        return stopped

    rc, log = stream_cbc(cmd, maximize=True, on_event=None if callback is None else on_event)
    if rc != 0 and not stopped:
        raise SolverError(f"CBC failed to run (exit code {rc}). Its log ends:\n{log[-2000:]}")
    return log
