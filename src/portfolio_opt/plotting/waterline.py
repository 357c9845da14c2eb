"""Waterline: ranked candidates and the budget cut-off (:func:`portfolio_opt.balance.waterline`).

- :func:`plot_waterline` -- one bar per project in rank order, spanning its share of the
  cumulative cost; the budget as a vertical line, the waterline under the last project that
  fits in rank order; funded projects filled, the others hollow. ``max_rows`` shows only the
  rows around the waterline (a large portfolio).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from portfolio_opt.plotting._common import (
    category_colours,
    check_rows,
    hatch,
    legend_outside,
    new_axes,
    project_labels,
    rows_axis,
)
from portfolio_opt.review_tables import _groups, waterline

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from portfolio_opt.selection import Selection

__all__ = ["plot_waterline"]

_LINE = "#cb181d"


def plot_waterline(selection: Selection, ranking: object = None,
                   ax: Axes | None = None, *, max_rows: int | None = None) -> Axes:
    """Draw the candidates in rank order against the budget, with the funded cut-off.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.selection.select`.
    ranking : optional
        The order, as for :func:`~portfolio_opt.balance.waterline` (default: by the value
        maximised; or ``scoring.ranking(portfolio)``, a Series of scores, a list of ids).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when omitted.
    max_rows : int, optional
        Draw at most this many rows: those around the waterline, where funding is argued
        (the top ranks when they all fit), and say so in the title. A bar and a label per
        project is unreadable -- and takes minutes to draw -- for thousands of projects.
        Default: every row.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. ``ax.containers[0]`` holds one horizontal bar per row drawn of the
        waterline table, top (best rank) to bottom, at y = ``rank - 1``, from
        ``cumulative_cost - cost`` to ``cumulative_cost``; funded bars are filled with their
        category's colour, unfunded ones hollow with a coloured edge. The line with gid
        ``"budget"`` is the total budget (absent without one); the line with gid
        ``"waterline"`` lies at y = ``cutoff - 0.5``, under the last project that fits in
        rank order (absent when every project fits, or when it falls outside the rows
        drawn); the line with gid ``"funded cost"`` runs down each row drawn at
        x = ``cumulative_funded_cost`` (points ``(x, rank - 1.5)`` and ``(x, rank - 0.5)``).
        The counts in the title and the legend are of the whole table. When ``max_rows``
        leaves rows out, the x axis spans the bars drawn and the budget (the x label gives the
        funded cost's range when that line lies left of them).

    Raises
    ------
    InputError
        If ``max_rows`` is not None or a whole number >= 1.

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> from portfolio_opt import Portfolio, select
    >>> projects = pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 3.0],
    ...                          "value": [5.0, 3.0, 3.0]})
    >>> ax = plot_waterline(select(Portfolio(projects, budget=6)), ax=Figure().subplots())
    >>> [(float(bar.get_x()), float(bar.get_width())) for bar in ax.containers[0]]
    [(0.0, 4.0), (4.0, 3.0), (7.0, 3.0)]
    >>> [float(line.get_ydata()[0]) for line in ax.lines if line.get_gid() == "waterline"]
    [0.5]
    """
    check_rows(max_rows, "max_rows", "plot_waterline")
    whole = waterline(selection, ranking)
    n = len(whole)
    budget = whole.attrs["budget"]
    cutoff = int(whole.attrs["cutoff"])
    first = _window(n, cutoff, max_rows)
    table = whole.iloc[first:n if max_rows is None else first + max_rows]
    if ax is None:
        ax = new_axes(8.0, max(3.0, 1.4 + 0.24 * len(table)))
    colours = category_colours(_groups(selection.portfolio.projects, "category",
                                       "plot_waterline"))
    funded = table["funded"].to_numpy(dtype=bool)
    funded_all = whole["funded"].to_numpy(dtype=bool)
    n_funded = int(funded_all.sum())
    edges = [colours[c] for c in table["category"]]
    faces = [c if f else (1.0, 1.0, 1.0, 1.0) for c, f in zip(edges, funded, strict=True)]
    cost = table["cost"].to_numpy(dtype=float)
    labels = [f"{r}. {label}" for r, label in zip(table["rank"], project_labels(table),
                                                  strict=True)]
    y = rows_axis(ax, labels, first, fontsize="small" if len(table) <= 30 else "x-small")
    bars = ax.barh(y, cost, left=table["cumulative_cost"].to_numpy(dtype=float) - cost,
                   height=0.75, color=faces, edgecolor=edges, linewidth=1.2)
    hatch(bars, table["mandatory"].to_numpy(dtype=bool))
    funded_cost = table["cumulative_funded_cost"].to_numpy(dtype=float)
    ax.plot(np.repeat(funded_cost, 2), np.column_stack([y - 0.5, y + 0.5]).ravel(),
            color="black", linewidth=1.0, gid="funded cost")
    xlabel = "Cumulative cost in rank order"
    if len(table) < n:  # a window: the x axis spans its bars (and the budget), not from 0
        right = table["cumulative_cost"].to_numpy(dtype=float)
        low, high = float((right - cost).min()), float(right.max())
        if budget is not None:
            low, high = min(low, budget), max(high, budget)
        pad = 0.02 * max(high - low, 1.0)
        ax.set_xlim(low - pad, high + pad)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        if len(funded_cost) and funded_cost.max() < low - pad:
            xlabel += (f"\n(cost funded down to these ranks: {funded_cost.min():,.0f}"
                       f" to {funded_cost.max():,.0f}, left of the view)")
    handles: list[Patch | Line2D] = [Patch(facecolor=colours[c], label=str(c))
                                     for c in colours if c in set(table["category"])]
    handles += [Patch(facecolor="0.5", edgecolor="0.5", label=f"funded ({n_funded})"),
                Patch(facecolor="white", edgecolor="0.5",
                      label=f"not funded ({n - n_funded})"),
                Line2D([], [], color="black", linewidth=1.0,
                       label="cost funded down to this rank")]
    if budget is not None:
        ax.axvline(budget, color=_LINE, linestyle="--", linewidth=1.2, gid="budget")
        handles.append(Line2D([], [], color=_LINE, linestyle="--",
                              label=f"budget {budget:,.6g}"))
    if cutoff < n and first <= cutoff <= first + len(table):
        ax.axhline(cutoff - 0.5, color=_LINE, linewidth=2.0, gid="waterline")
        handles.append(Line2D([], [], color=_LINE, linewidth=2.0,
                              label=f"waterline (top {cutoff} fit)"))
    legend_outside(ax, handles)
    above = whole["above_line"].to_numpy(dtype=bool)
    below_funded = int((funded_all & ~above).sum())
    above_unfunded = int((~funded_all & above).sum())
    ax.set_xlabel(xlabel)
    title = f"Waterline: {n_funded} of {n} projects funded"
    if len(table) < n:
        title += f" (ranks {first + 1}-{first + len(table)} shown)"
    if below_funded or above_unfunded:
        title += (f"\n{below_funded} funded below the line, {above_unfunded} above it "
                  "not funded (the optimum is a set, not a prefix)")
    ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.3)
    return ax


def _window(n: int, cutoff: int, rows: int | None) -> int:
    """Position of the first of ``rows`` rows around the waterline (below ``cutoff`` rows).

    The line sits in the middle of the window, which is moved inside ``[0, n)``; 0 when every
    row is drawn.
    """
    if rows is None or rows >= n:
        return 0
    return max(0, min(cutoff - rows // 2, n - rows))
