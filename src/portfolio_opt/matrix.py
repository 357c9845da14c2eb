"""The selection model as arrays: a sparse matrix, bounds and an objective.

:meth:`SelectionModel.build <portfolio_opt.SelectionModel.build>` fills
``model.matrix_`` (a :class:`MatrixModel`) from the same term arrays it hands
to PuLP, at almost no extra cost: the rows are those of the PuLP problem, in
the order they were added, and the columns its variables, in the order they
were created (options first). Solvers that read arrays (HiGHS in memory, an
MPS file written in bulk: :mod:`portfolio_opt.matrix_solve`) and primal
heuristics work on it without going through PuLP's objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from portfolio_opt.constraints import Rows

__all__ = ["MatrixModel", "from_rows"]


@dataclass(frozen=True)
class MatrixModel:
    """Maximise ``objective @ x + offset`` s.t. ``row_lower <= A x <= row_upper``, column bounds.

    Attributes
    ----------
    A : scipy.sparse.csr_matrix
        ``n_rows x n_cols``; the rows in the order of ``SelectionModel.constraints_``.
    row_lower, row_upper : numpy.ndarray
        Row bounds (``-inf`` / ``+inf`` where there is none).
    col_lower, col_upper : numpy.ndarray
        Column bounds (``+inf``: no upper bound).
    integer : numpy.ndarray
        Bool per column: integer (the options and the ``X_j``, all 0..1).
    objective : numpy.ndarray
        Objective coefficient per column (maximised).
    col_names, row_names : numpy.ndarray
        PuLP names of the variables and constraints (str).
    row_groups : numpy.ndarray
        Constraint group of each row (``budget``, ``capacity``, ``one_start``, ...).
    n_options : int
        The first ``n_options`` columns are the option binaries (project, start).
    option_project : numpy.ndarray
        Project position (in the projects table's order) of each option column.
    option_start : numpy.ndarray
        Start period (position) of each option column.
    selection_columns : numpy.ndarray
        Column of ``X_j`` per project position (the option itself when the
        project has one start).
    offset : float, default 0.0
        Constant term of the objective.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio, SelectionModel
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [2.0, 3.0],
    ...                              "value": [1.0, 2.0]}), budget=4)
    >>> model = SelectionModel(pf)
    >>> _ = model.build()
    >>> mm = model.matrix_
    >>> mm.A.toarray().tolist(), mm.row_upper.tolist(), mm.objective.tolist()
    ([[2.0, 3.0]], [4.0], [1.0, 2.0])
    >>> mm.objective_value(np.array([0.0, 1.0])), mm.violation(np.array([1.0, 1.0]))
    (2.0, 1.0)
    """

    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    objective: np.ndarray
    col_names: np.ndarray
    row_names: np.ndarray
    row_groups: np.ndarray
    n_options: int
    option_project: np.ndarray
    option_start: np.ndarray
    selection_columns: np.ndarray
    offset: float = 0.0

    @property
    def n_rows(self) -> int:
        """Number of rows (constraints)."""
        return int(self.A.shape[0])

    @property
    def n_cols(self) -> int:
        """Number of columns (variables)."""
        return int(self.A.shape[1])

    def objective_value(self, x: np.ndarray) -> float:
        """``objective @ x + offset``."""
        return float(self.objective @ np.asarray(x, dtype=float)) + self.offset

    def violation(self, x: np.ndarray) -> float:
        """Largest violation by ``x`` of a row bound, a column bound or integrality (0: none)."""
        x = np.asarray(x, dtype=float)
        ax = self.A @ x
        parts = [self.row_lower - ax, ax - self.row_upper, self.col_lower - x,
                 x - self.col_upper, np.abs(x - np.round(x))[self.integer]]
        worst = [float(np.max(p, initial=0.0)) for p in parts]
        return max(0.0, *worst)

    def column_project(self) -> np.ndarray:
        """Project position of every column: its options and its ``X_j``; -1 for the others."""
        n_opt = int(self.n_options)
        sel = np.asarray(self.selection_columns, dtype=np.int64)
        out = np.full(self.n_cols, -1, dtype=np.int64)
        out[:n_opt] = np.asarray(self.option_project, dtype=np.int64)[:n_opt]
        out[sel] = np.arange(len(sel))
        return out

    def chosen_options(self, x: np.ndarray) -> np.ndarray:
        """Option columns set to 1 by ``x`` (``x > 0.5``)."""
        return np.flatnonzero(np.asarray(x, dtype=float)[:self.n_options] > 0.5)


_LOWER = {"<=": -np.inf, ">=": None, "==": None}
_UPPER = {"<=": None, ">=": np.inf, "==": None}


def from_rows(rows: Rows, *, col_lower: np.ndarray, col_upper: np.ndarray,
              integer: np.ndarray, objective_columns: np.ndarray,
              objective_coefs: np.ndarray, col_names: list[str], n_options: int,
              option_project: np.ndarray, option_start: np.ndarray,
              selection_columns: np.ndarray) -> MatrixModel:
    """Assemble the :class:`MatrixModel` of the rows added through ``rows`` (``Rows.parts``).

    Each part's terms are sorted by row then column and the parts follow one
    another, so the CSR arrays are concatenations (no sort).
    """
    n_cols = len(col_lower)
    data, indices, counts, lower, upper, names, groups = [], [], [], [], [], [], []
    for part in rows.parts:
        n = part["n"]
        kept = part["kept"]
        counts.append(np.bincount(part["codes"], minlength=n)[kept])
        data.append(part["coefs"])
        indices.append(part["cols"])
        rhs = part["rhs"]
        lo, up = _LOWER[part["sense"]], _UPPER[part["sense"]]
        lower.append(np.full(len(kept), lo) if lo is not None else rhs)
        upper.append(np.full(len(kept), up) if up is not None else rhs)
        names.append(part["names"])
        groups.append(np.full(len(kept), part["group"], dtype=object))

    def cat(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.empty(0, dtype)

    count = cat(counts, np.int64)
    indptr = np.concatenate([[0], np.cumsum(count)]).astype(np.int64)
    A = sp.csr_matrix((cat(data, float), cat(indices, np.int64), indptr),
                      shape=(len(count), n_cols))
    objective = np.zeros(n_cols)
    np.add.at(objective, np.asarray(objective_columns, dtype=np.int64),
              np.asarray(objective_coefs, dtype=float))
    return MatrixModel(
        A=A, row_lower=cat(lower, float), row_upper=cat(upper, float),
        col_lower=np.asarray(col_lower, dtype=float), col_upper=np.asarray(col_upper, dtype=float),
        integer=np.asarray(integer, dtype=bool), objective=objective,
        col_names=np.asarray(col_names, dtype=object), row_names=cat(names, object),
        row_groups=cat(groups, object), n_options=int(n_options),
        option_project=np.asarray(option_project, dtype=np.int64),
        option_start=np.asarray(option_start, dtype=np.int64),
        selection_columns=np.asarray(selection_columns, dtype=np.int64),
    )
