"""Waterline: ranked candidates and the budget cut-off (:func:`portfolio_opt.balance.waterline`).

- :func:`plot_waterline` -- one bar per project in rank order, spanning its share of the
  cumulative cost; the budget as a vertical line, the waterline under the last project that
  fits in rank order; funded projects filled, the others hollow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from portfolio_opt.plotting._common import (
    category_colours,
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
                   ax: Axes | None = None) -> Axes:
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

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. ``ax.containers[0]`` holds one horizontal bar per row of the
        waterline table, top (rank 1) to bottom, at y = ``rank - 1``, from
        ``cumulative_cost - cost`` to ``cumulative_cost``; funded bars are filled with their
        category's colour, unfunded ones hollow with a coloured edge. The line with gid
        ``"budget"`` is the total budget (absent without one); the line with gid
        ``"waterline"`` lies at y = ``cutoff - 0.5``, under the last project that fits in
        rank order (absent when every project fits); the line with gid ``"funded cost"``
        runs down each row at x = ``cumulative_funded_cost`` (points ``(x, rank - 1.5)`` and
        ``(x, rank - 0.5)``).

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
    table = waterline(selection, ranking)
    n = len(table)
    if ax is None:
        ax = new_axes(8.0, max(3.0, 1.4 + 0.24 * n))
    colours = category_colours(_groups(selection.portfolio.projects, "category",
                                       "plot_waterline"))
    funded = table["funded"].to_numpy(dtype=bool)
    edges = [colours[c] for c in table["category"]]
    faces = [c if f else (1.0, 1.0, 1.0, 1.0) for c, f in zip(edges, funded, strict=True)]
    cost = table["cost"].to_numpy(dtype=float)
    labels = [f"{r}. {label}" for r, label in zip(table["rank"], project_labels(table),
                                                  strict=True)]
    y = rows_axis(ax, labels, fontsize="small" if n <= 30 else "x-small")
    bars = ax.barh(y, cost, left=table["cumulative_cost"].to_numpy(dtype=float) - cost,
                   height=0.75, color=faces, edgecolor=edges, linewidth=1.2)
    hatch(bars, table["mandatory"].to_numpy(dtype=bool))
    ax.plot(np.repeat(table["cumulative_funded_cost"].to_numpy(dtype=float), 2),
            np.column_stack([y - 0.5, y + 0.5]).ravel(), color="black", linewidth=1.0,
            gid="funded cost")
    budget = table.attrs["budget"]
    cutoff = int(table.attrs["cutoff"])
    handles: list[Patch | Line2D] = [Patch(facecolor=colours[c], label=str(c))
                                     for c in colours if c in set(table["category"])]
    handles += [Patch(facecolor="0.5", edgecolor="0.5", label=f"funded ({int(funded.sum())})"),
                Patch(facecolor="white", edgecolor="0.5",
                      label=f"not funded ({int((~funded).sum())})"),
                Line2D([], [], color="black", linewidth=1.0,
                       label="cost funded down to this rank")]
    if budget is not None:
        ax.axvline(budget, color=_LINE, linestyle="--", linewidth=1.2, gid="budget")
        handles.append(Line2D([], [], color=_LINE, linestyle="--",
                              label=f"budget {budget:,.6g}"))
    if cutoff < n:
        ax.axhline(cutoff - 0.5, color=_LINE, linewidth=2.0, gid="waterline")
        handles.append(Line2D([], [], color=_LINE, linewidth=2.0,
                              label=f"waterline (top {cutoff} fit)"))
    legend_outside(ax, handles)
    above = table["above_line"].to_numpy(dtype=bool)
    below_funded = int((funded & ~above).sum())
    above_unfunded = int((~funded & above).sum())
    ax.set_xlabel("Cumulative cost in rank order")
    title = f"Waterline: {int(funded.sum())} of {n} projects funded"
    if below_funded or above_unfunded:
        title += (f"\n{below_funded} funded below the line, {above_unfunded} above it "
                  "not funded (the optimum is a set, not a prefix)")
    ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.3)
    return ax
