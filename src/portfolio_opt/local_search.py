"""Improvement local search: a feasible portfolio in, a better feasible one out, fast.

On large portfolios (tens of thousands of options, a few hundred tight
capacity rows) a MIP solver may not improve a heuristic portfolio
(:mod:`portfolio_opt.heuristic`) in seconds; :func:`improve` does, with
moves evaluated in bulk with numpy on the machinery of
:mod:`portfolio_opt.heuristic_repair` (the option columns combined with their
project's ``X_j`` over the checked rows, as "<=" rows, and their slack).

A *relief* removes a selected option ``s`` (not a forced project's, not one
fixed by its bounds) or moves its project to another start; it is kept when
it breaks no row by itself (e.g. no lower bound). Each pass:

1. *fill*: add the unselected options of open projects that fit, in
   candidate order (the vectorised greedy of the construction);
2. *shift with gain*: move a selected project to a start of higher value
   where that fits;
3. *1-1 swap*: per unselected option ``o`` of an open project, in candidate
   order, the relief of least value lost that makes room for ``o`` (every
   row's slack stays ``>= -tol`` with ``s`` out, or moved, and ``o`` in),
   when ``o`` is worth more. A start change loses nothing: a shift that
   frees room for ``o`` is the "change the start, then fill" move;
4. *1-k*: a relief with several options it makes room for (each alone),
   applied with as many of them as fit together when they are worth more;
5. *fill* again.

The (option, relief) pairs are found for all options at once, by chunks:
for each option the row where it lacks room and the fewest reliefs make
enough (rows sorted by room made, one ``searchsorted``), then its other rows
for those pairs. When a pass improves nothing, a deeper pass tries
*ejections* (k-1): add an option and make room with up to four reliefs,
picked by least value lost per room made on the rows where it lacks room.
Passes repeat until the deeper one improves nothing or the time is up.

Every move is checked exactly on the sparse rows before it is made.
Synergy indicators (``X_A * X_B``) are set by the state's ``finish``; a
synergy already earned counts in what removing a project loses, one an
addition would complete in what it gains, and the true objective decides at
the end of each pass. The answer is checked by
:func:`~portfolio_opt.heuristic.max_violation`: a portfolio that fails the
check, or is worth less, is never returned (a copy of the input is).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from portfolio_opt.constraints import ranges
from portfolio_opt.heuristic import max_violation
from portfolio_opt.heuristic_repair import TOL, Prep, density_order, prepare, state_of

if TYPE_CHECKING:
    from portfolio_opt.matrix import MatrixModel

__all__ = ["improve"]

_GAIN = 1e-9  # smallest gain counted, relative to max(1, |objective|)
_PAIR_CHUNK = 200_000  # (option, relief) pairs checked at once
_MAX_PAIRS = 256  # reliefs tried per option
_TOP = 24  # reliefs per row an ejection looks at


def improve(mm: MatrixModel, x: np.ndarray, *, time_limit: float = 1.0,
            order: np.ndarray | None = None, _prep: Prep | None = None) -> np.ndarray:
    """Improve a feasible portfolio by fills, swaps and shifts within ``time_limit`` seconds.

    Parameters
    ----------
    mm : MatrixModel
    x : numpy.ndarray
        A feasible portfolio: a value per column (e.g. from
        :func:`~portfolio_opt.heuristic.greedy`). Not modified.
    time_limit : float, default 1.0
        Wall-clock seconds; the clock is read between moves, so the search
        may overrun by the time of one step (a fraction of a second on
        100 000 projects).
    order : numpy.ndarray, optional
        Option columns in the order they are tried as additions (e.g. by
        decreasing Lagrangian reduced profit or LP value); options not listed
        are never added. Default: options of positive value by decreasing
        value density.

    Returns
    -------
    numpy.ndarray
        A new array: a portfolio with ``objective_value >=`` that of ``x``
        and :func:`~portfolio_opt.heuristic.max_violation` ``<= TOL``; a copy
        of ``x`` when no better one was found (or ``x`` itself fails that
        check).

    Raises
    ------
    ValueError
        If ``x`` has not one value per column, or ``order`` holds something
        other than option columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio, SelectionModel
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [6.0, 9.0],
    ...                              "value": [5.0, 8.0]}), budget=10)
    >>> model = SelectionModel(pf)
    >>> _ = model.build()
    >>> improve(model.matrix_, np.array([1.0, 0.0])).tolist()  # swap A for B
    [0.0, 1.0]
    """
    start = time.perf_counter()
    prep = prepare(mm) if _prep is None else _prep
    x_in = np.array(x, dtype=float)
    if x_in.shape != (prep.n_cols,):
        raise ValueError(f"improve: x has shape {x_in.shape}, the model has {prep.n_cols} "
                         "columns; pass one value per column.")
    ordered = _candidate_order(prep, order)
    if prep.infeasible or max_violation(mm, x_in) > TOL:
        return x_in
    search = _Search(mm, prep, x_in, ordered, start + max(float(time_limit), 0.0))
    search.run()
    out = search.best_x
    if (search.moved and mm.objective_value(out) >= mm.objective_value(x_in)
            and max_violation(mm, out) <= TOL):
        return out
    return x_in


def _candidate_order(prep: Prep, order: np.ndarray | None) -> np.ndarray:
    if order is None:
        return density_order(prep)
    arr = np.asarray(order)
    if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        raise ValueError("improve: order must be a 1-d array of option columns (integers).")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= prep.n_opt):
        raise ValueError(f"improve: order holds columns outside the {prep.n_opt} options.")
    _, first = np.unique(arr, return_index=True)
    return arr[np.sort(first)]


class _Search:
    """The state of one :func:`improve` call and its moves."""

    def __init__(self, mm: MatrixModel, prep: Prep, x: np.ndarray, order: np.ndarray,
                 deadline: float) -> None:
        self.mm, self.prep, self.deadline = mm, prep, deadline
        self.st = state_of(prep, mm, x)
        self.D = prep.D
        self.tol = prep.up_tol
        self.order = order
        self.rank = np.full(prep.n_opt, prep.n_opt, dtype=np.int64)
        self.rank[order] = np.arange(len(order))
        n_proj = len(prep.forced)
        self.by_project = np.argsort(prep.opt_proj, kind="stable")
        self.first = np.searchsorted(prep.opt_proj[self.by_project], np.arange(n_proj + 1))
        obj = np.asarray(mm.objective, dtype=float)
        self.synergy = [(y, projects, float(obj[y])) for y, projects in prep.derived
                        if obj[y] != 0 and len(projects)]
        self.changed = np.zeros(n_proj, dtype=bool)  # projects touched in this pass
        self.delta = np.zeros(prep.D.shape[0])  # scratch of fits()
        self.moved = False
        self.best_x = self.st.finish(mm)
        self.best = mm.objective_value(self.best_x)
        self.min_gain = _GAIN * max(1.0, abs(self.best))

    # ------------------------------------------------------------------ basics

    def time_left(self) -> bool:
        return time.perf_counter() < self.deadline

    def values(self) -> tuple[np.ndarray, np.ndarray]:
        """Return what adding each option gains, and removing it loses (synergy included)."""
        p = self.prep
        v_in, v_out = p.value.copy(), p.value.copy()
        if self.synergy:
            n_proj = len(p.forced)
            gain, lose = np.zeros(n_proj), np.zeros(n_proj)
            taken = self.st.taken
            for _, projects, w in self.synergy:
                t = taken[projects]
                if t.all():
                    lose[projects] += w
                elif int((~t).sum()) == 1:
                    gain[projects[~t]] += w
            v_in += gain[p.opt_proj]
            v_out += lose[p.opt_proj]
        return v_in, v_out

    def fits(self, outs: list[int], ins: list[int]) -> bool:
        """Whether removing ``outs`` and adding ``ins`` keeps every row (exact)."""
        D = self.D
        rows, data = [], []
        for k, c in enumerate(outs + ins):
            lo, hi = D.indptr[c], D.indptr[c + 1]
            rows.append(D.indices[lo:hi])
            data.append(D.data[lo:hi] if k < len(outs) else -D.data[lo:hi])
        r = np.concatenate(rows)
        np.add.at(self.delta, r, np.concatenate(data))
        change = self.delta[r]
        self.delta[r] = 0.0
        new = self.st.slack[r] + change
        return bool(((new >= -self.tol[r]) | (change >= 0)).all())

    def apply(self, outs: list[int], ins: list[int]) -> None:
        p = self.prep
        for s in outs:
            self.st.drop(int(s))
        if ins:
            self.st.take(np.asarray(ins, dtype=np.int64))
        self.changed[p.opt_proj[np.asarray(outs + ins, dtype=np.int64)]] = True
        self.moved = True

    def fill(self) -> None:
        p, st = self.prep, self.st
        v_in, _ = self.values()
        o = self.order
        cand = o[(v_in[o] > 0) & st.open[p.opt_proj[o]] & p.option_ok[o]]
        if len(cand) == 0:
            return
        before = int(st.taken.sum())
        st.add_all(cand)
        if int(st.taken.sum()) != before:
            self.moved = True

    # ------------------------------------------------------------------ the pass

    def run(self) -> None:
        """Run passes of the cheap moves, ejections when they stop improving, until none does."""
        deep = False
        while self.time_left():
            self.changed[:] = False
            self.fill()
            if self.time_left():
                self.pass_moves(deep)
            if self.time_left():
                self.fill()
            x = self.st.finish(self.mm)
            value = self.mm.objective_value(x)
            improved = value > self.best + self.min_gain
            if value >= self.best:
                self.best_x, self.best = x, value
            else:  # the estimates of synergy misled: back to the best portfolio
                self.st = state_of(self.prep, self.mm, self.best_x)
            if deep and not improved:
                return
            deep = not improved

    def pass_moves(self, deep: bool) -> None:
        v_in, v_out = self.values()
        out, inn, loss, R = self.reliefs(v_out)
        self.shift_gains(out, inn, loss)
        if not self.time_left() or len(out) == 0:
            return
        if deep:
            self.ejections(v_in, out, inn, loss, R)
            return
        for pair_c, pair_r in self.pairs(v_in, loss, R):
            self.swaps(pair_c, pair_r, v_in, out, inn, loss)
            if self.time_left():
                self.one_to_many(pair_c, pair_r, v_in, out, inn, loss)
            if not self.time_left():
                return

    # ------------------------------------------------------------------ reliefs

    def reliefs(self, v_out: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, sp.csc_matrix]:
        """Return the removals and start changes of selected options that keep every row alone.

        Returns the option out, the option in (-1: none), the value lost and
        the room each makes on the checked rows (a column per relief, sorted
        by value lost).
        """
        p, st, D = self.prep, self.st, self.D
        sel = np.flatnonzero(st.x[:p.n_opt] > 0.5)
        sel = sel[~st.fixed_opt[sel]]
        drop = sel[p.forced[p.opt_proj[sel]] != 1]
        proj = p.opt_proj[sel]
        which, pos = ranges(self.first[proj], self.first[proj + 1] - self.first[proj])
        s_sh, o_sh = sel[which], self.by_project[pos]
        keep = (o_sh != s_sh) & p.option_ok[o_sh]
        s_sh, o_sh = s_sh[keep], o_sh[keep]
        out = np.concatenate([drop, s_sh])
        inn = np.concatenate([np.full(len(drop), -1, dtype=np.int64), o_sh])
        loss = np.concatenate([v_out[drop], p.value[s_sh] - p.value[o_sh]])
        srt = np.argsort(loss, kind="stable")
        out, inn, loss = out[srt], inn[srt], loss[srt]
        has = inn >= 0
        R = D[:, out]
        if has.any():
            R = R - D[:, np.where(has, inn, out)] @ sp.diags(has.astype(float))
        R = sp.csc_matrix(R)
        R.eliminate_zeros()
        R.sort_indices()
        col = np.repeat(np.arange(len(out)), np.diff(R.indptr))
        bad = (R.data < 0) & (st.slack[R.indices] + R.data < -self.tol[R.indices])
        ok = np.bincount(col[bad], minlength=len(out)) == 0
        R = sp.csc_matrix(R[:, np.flatnonzero(ok)])
        R.sort_indices()
        return out[ok], inn[ok], loss[ok], R

    def shift_gains(self, out: np.ndarray, inn: np.ndarray, loss: np.ndarray) -> None:
        """Move selected projects to a start of higher value where it fits."""
        for k in np.flatnonzero((inn >= 0) & (loss < -self.min_gain)).tolist():
            if not self.time_left():
                return
            s, o = int(out[k]), int(inn[k])
            if self.changed[self.prep.opt_proj[s]]:
                continue
            if self.fits([s], [o]):
                self.apply([s], [o])

    # ------------------------------------------------------------------ pairs

    def pairs(self, v_in: np.ndarray, loss: np.ndarray,
              R: sp.csc_matrix) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(option, relief) pairs where the relief alone makes room for the option, by chunks.

        Options in candidate order (a chunk: about ``_PAIR_CHUNK`` pairs tried); per
        option, the reliefs in order of value lost. The reliefs tried per option are
        those making the most room on its row where the fewest make enough (at most
        ``_MAX_PAIRS``).
        """
        p, st, D = self.prep, self.st, self.D
        o = self.order
        cand = o[(v_in[o] > 0) & st.open[p.opt_proj[o]] & p.option_ok[o]]
        if len(cand) == 0 or R.shape[1] == 0:
            return
        n_rows = D.shape[0]
        # every checked row of every candidate: what it lacks there (need > 0: a deficit)
        cnt = D.indptr[cand + 1] - D.indptr[cand]
        e_first = np.cumsum(cnt) - cnt
        e_which, nz = ranges(D.indptr[cand], cnt)
        e_row = D.indices[nz]
        e_need = D.data[nz] - st.slack[e_row] - self.tol[e_row]
        deficit = np.flatnonzero(e_need > 0)
        # the reliefs of each row sorted by decreasing room: key = row, then -room
        Rr = sp.csr_matrix(R)
        room = np.unique(Rr.data)
        n_room = len(room)
        r_row = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(Rr.indptr))
        keys = r_row * (n_room + 1) + (n_room - np.searchsorted(room, Rr.data))
        srt = np.argsort(keys, kind="stable")
        keys, rel_sorted = keys[srt], Rr.indices[srt].astype(np.int64)
        # per deficit: how many reliefs make enough room on its row
        d_row = e_row[deficit]
        thr = np.searchsorted(room, e_need[deficit], side="left")
        lo = np.searchsorted(keys, d_row * (n_room + 1), side="left")
        count = np.searchsorted(keys, d_row * (n_room + 1) + (n_room - thr), side="right") - lo
        # deficits of each candidate, fewest reliefs first; the first one generates the pairs
        srt = np.lexsort((count, e_which[deficit]))
        deficit, lo, count = deficit[srt], lo[srt], count[srt]
        d_which = e_which[deficit]
        c_idx, d_first, d_count = np.unique(d_which, return_index=True, return_counts=True)
        keep = count[d_first] > 0  # else no single relief makes room
        c_idx, d_first, d_count = c_idx[keep], d_first[keep], d_count[keep]
        c_lo, c_count = lo[d_first], np.minimum(count[d_first], _MAX_PAIRS)
        # lookup of the room of relief k on row r: R is CSC with sorted rows
        r_keys = (np.repeat(np.arange(R.shape[1], dtype=np.int64), np.diff(R.indptr)) * n_rows
                  + R.indices)

        def room_of(rel: np.ndarray, rows: np.ndarray) -> np.ndarray:
            q = rel * n_rows + rows
            at = np.minimum(np.searchsorted(r_keys, q), len(r_keys) - 1)
            return np.where(r_keys[at] == q, R.data[at], 0.0)

        total = np.cumsum(c_count)
        start = 0
        while start < len(c_idx) and self.time_left():
            done = int(total[start - 1]) if start else 0
            stop = max(int(np.searchsorted(total, done + _PAIR_CHUNK, side="right")), start + 1)
            sl = slice(start, stop)
            start = stop
            pw, pos = ranges(c_lo[sl], c_count[sl])
            pi = np.arange(start - len(c_lo[sl]), start)[pw]  # index into c_idx
            pr = rel_sorted[pos]
            # the other deficits, one at a time (each drops most pairs)
            j = 1
            while len(pi):
                more = d_count[pi] > j
                if not more.any():
                    break
                e = deficit[d_first[pi[more]] + j]
                fine = room_of(pr[more], e_row[e]) >= e_need[e]
                ok = np.ones(len(pi), dtype=bool)
                ok[np.flatnonzero(more)[~fine]] = False
                pi, pr = pi[ok], pr[ok]
                j += 1
            # every row of the candidate (a start change may take room where it had some)
            ci = c_idx[pi]
            qw, qe = ranges(e_first[ci], cnt[ci])
            fail = room_of(pr[qw], e_row[qe]) < e_need[qe]
            ok = np.bincount(qw[fail], minlength=len(pi)) == 0
            pair_c, pair_r = cand[ci[ok]], pr[ok]
            # candidate order, then least value lost (reliefs are sorted by loss)
            srt = np.lexsort((pair_r, self.rank[pair_c]))
            yield pair_c[srt], pair_r[srt]

    # ------------------------------------------------------------------ moves

    def usable(self, c: int, k: int, out: np.ndarray) -> bool:
        p = self.prep
        return (not self.changed[p.opt_proj[c]] and bool(self.st.open[p.opt_proj[c]])
                and not self.changed[p.opt_proj[out[k]]])

    def swaps(self, pair_c: np.ndarray, pair_r: np.ndarray, v_in: np.ndarray,
              out: np.ndarray, inn: np.ndarray, loss: np.ndarray) -> None:
        """1-1: per option in order, the relief of least loss it is worth more than."""
        good = np.flatnonzero(v_in[pair_c] - loss[pair_r] > self.min_gain)
        for i in good.tolist():
            c, k = int(pair_c[i]), int(pair_r[i])
            if not self.usable(c, k, out):
                continue
            if not self.time_left():
                return
            outs = [int(out[k])]
            ins = [c] + ([int(inn[k])] if inn[k] >= 0 else [])
            if self.fits(outs, ins):
                self.apply(outs, ins)

    def one_to_many(self, pair_c: np.ndarray, pair_r: np.ndarray, v_in: np.ndarray,
                    out: np.ndarray, inn: np.ndarray, loss: np.ndarray) -> None:
        """1-k: a relief and the options it makes room for that fit together, when worth it."""
        srt = np.lexsort((-v_in[pair_c], pair_r))
        pc, pr = pair_c[srt], pair_r[srt]
        rel, first, count = np.unique(pr, return_index=True, return_counts=True)
        optimistic = np.add.reduceat(v_in[pc], first) - loss[rel]
        worth = np.flatnonzero((count >= 2) & (optimistic > self.min_gain))
        worth = worth[np.argsort(-optimistic[worth], kind="stable")]
        p, D, tol = self.prep, self.D, self.tol
        for g in worth.tolist():
            if not self.time_left():
                return
            k = int(rel[g])
            s = int(out[k])
            if self.changed[p.opt_proj[s]]:
                continue
            ins = [int(inn[k])] if inn[k] >= 0 else []
            slack = self.st.slack.copy()
            for c, sign in ((s, 1.0), *((o, -1.0) for o in ins)):
                lo, hi = D.indptr[c], D.indptr[c + 1]
                slack[D.indices[lo:hi]] += sign * D.data[lo:hi]
            gain = -float(loss[k])
            added = []
            for c in pc[first[g]:first[g] + count[g]].tolist():
                proj = p.opt_proj[c]
                if self.changed[proj] or not self.st.open[proj] or proj in added:
                    continue
                lo, hi = D.indptr[c], D.indptr[c + 1]
                r, d = D.indices[lo:hi], D.data[lo:hi]
                if ((d <= slack[r] + tol[r]) | (d <= 0)).all():
                    slack[r] -= d
                    ins.append(c)
                    added.append(proj)
                    gain += float(v_in[c])
            if added and gain > self.min_gain and self.fits([s], ins):
                self.apply([s], ins)

    def ejections(self, v_in: np.ndarray, out: np.ndarray, inn: np.ndarray, loss: np.ndarray,
                  R: sp.csc_matrix, max_out: int = 4) -> None:
        """k-1: add an option and make room with the reliefs of least loss per room made."""
        p, st, D, tol = self.prep, self.st, self.D, self.tol
        n_rows = D.shape[0]
        Rr = sp.csr_matrix(R)
        r_keys = (np.repeat(np.arange(R.shape[1], dtype=np.int64), np.diff(R.indptr)) * n_rows
                  + R.indices)
        # per row, the reliefs by loss per room made there (those making none last)
        row_of = np.repeat(np.arange(n_rows), np.diff(Rr.indptr))
        positive = Rr.data > 0
        ratio = np.where(positive, np.maximum(loss[Rr.indices], 0.0)
                         / np.where(positive, Rr.data, 1.0), np.inf)
        by_ratio = Rr.indices[np.lexsort((ratio, row_of))].astype(np.int64)
        top = np.minimum(np.bincount(row_of[positive], minlength=n_rows), _TOP)
        o = self.order
        cand = o[(v_in[o] > 0) & st.open[p.opt_proj[o]] & p.option_ok[o]]
        rel_proj = p.opt_proj[out]
        for c in cand.tolist():
            if not self.time_left():
                return
            if self.changed[p.opt_proj[c]] or not st.open[p.opt_proj[c]]:
                continue
            lo, hi = D.indptr[c], D.indptr[c + 1]
            r, d = D.indices[lo:hi], D.data[lo:hi]
            need = d - st.slack[r] - tol[r]
            q = need > 0
            if not q.any():
                continue
            Q, need = r[q], need[q]
            _, nz = ranges(Rr.indptr[Q], top[Q])
            K = np.unique(by_ratio[nz])
            K = K[~self.changed[rel_proj[K]] & (loss[K] < v_in[c])]
            if len(K) == 0:
                continue
            keys = K[None, :] * n_rows + Q[:, None]
            at = np.minimum(np.searchsorted(r_keys, keys), len(r_keys) - 1)
            M = np.where(r_keys[at] == keys, R.data[at], 0.0)
            ls = loss[K]
            budget = float(v_in[c]) - self.min_gain
            picked: list[int] = []
            alive = np.ones(len(K), dtype=bool)
            while len(picked) < max_out:
                short = need > 0
                frac = (np.minimum(M[short], need[short, None]) / need[short, None]).sum(axis=0)
                good = alive & (frac > 1e-9) & (ls < budget)
                if not good.any():
                    break
                score = np.where(good, np.maximum(ls, 0.0) / np.maximum(frac, 1e-9), np.inf)
                k = int(np.argmin(score))
                picked.append(k)
                budget -= float(ls[k])
                need = need - M[:, k]
                alive &= rel_proj[K] != rel_proj[K[k]]
                if (need <= 0).all():
                    break
            if not picked or (need > 0).any() or budget <= 0:
                continue
            ks = K[picked]
            outs = [int(out[k]) for k in ks]
            ins = [c] + [int(inn[k]) for k in ks if inn[k] >= 0]
            if self.fits(outs, ins):
                self.apply(outs, ins)
