"""Roadmap: a Gantt chart of the selected projects (table: :func:`portfolio_opt.balance.roadmap`).

- :func:`plot_roadmap` -- one bar per selected project from its start period for its
  duration, coloured by category, mandatory projects hatched; ``top`` draws only the
  projects of greatest value (a large portfolio).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.patches import Patch

from portfolio_opt.plotting._common import (
    category_colours,
    check_rows,
    hatch,
    legend_outside,
    new_axes,
    project_labels,
    rows_axis,
)
from portfolio_opt.review_tables import _groups, roadmap

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from portfolio_opt.selection import Selection

__all__ = ["plot_roadmap"]


def plot_roadmap(selection: Selection, ax: Axes | None = None, *,
                 by: str = "category", top: int | None = None) -> Axes:
    """Draw the selected projects as a Gantt chart over the planning periods.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.selection.select`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when omitted.
    by : str, default "category"
        Projects column that colours the bars (see :func:`~portfolio_opt.balance.roadmap`).
    top : int, optional
        Draw only the ``top`` selected projects of greatest value (ties in start order), still in
        start order, and say so in the title: a bar and a label per project is unreadable
        -- and slow to draw -- for thousands of projects. Default: every selected project.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. ``ax.containers[0]`` holds one horizontal bar per row drawn of
        :func:`~portfolio_opt.balance.roadmap`, top to bottom: x from ``start_index`` (period
        ``i`` spans ``[i, i + 1)``), width ``duration``, face colour of its ``by`` value,
        hatched when mandatory. The x ticks sit at the middle of each period, labelled with
        the period labels.

    Raises
    ------
    InputError
        If ``by`` is not a projects column (other than ``category``), or ``top`` is not None
        or a whole number >= 1.

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> from portfolio_opt import Portfolio, select
    >>> projects = pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 3.0],
    ...                          "value": [5.0, 3.0, 3.0], "duration": [1, 3, 1],
    ...                          "earliest_start": [None, None, "Q2"],
    ...                          "latest_start": [None, None, "Q2"]})
    >>> selection = select(Portfolio(projects, periods=["Q1", "Q2", "Q3"], budget=6))
    >>> ax = plot_roadmap(selection, ax=Figure().subplots())
    >>> [(float(bar.get_x()), float(bar.get_width())) for bar in ax.containers[0]]
    [(0.0, 3.0), (1.0, 1.0)]
    """
    check_rows(top, "top", "plot_roadmap")
    table = roadmap(selection, by=by)
    n_selected = len(table)
    if top is not None and top < n_selected:
        greatest = table.sort_values("value", ascending=False, kind="stable").index[:top]
        table = table[table.index.isin(greatest)]
    periods = selection.portfolio.periods
    n, n_periods = len(table), len(periods)
    if ax is None:
        ax = new_axes(max(7.0, 2.5 + 0.55 * n_periods), max(2.5, 1.3 + 0.3 * n))
    colours = category_colours(_groups(selection.portfolio.projects, by, "plot_roadmap"))
    mandatory = table["mandatory"].to_numpy(dtype=bool)
    y = rows_axis(ax, project_labels(table), fontsize="small")
    bars = ax.barh(y, table["duration"].to_numpy(dtype=float),
                   left=table["start_index"].to_numpy(dtype=float), height=0.7,
                   color=[colours[g] for g in table[by]], edgecolor="black", linewidth=0.5)
    hatch(bars, mandatory)
    many = n_periods > 8
    ax.set_xticks(np.arange(n_periods) + 0.5, labels=[str(p) for p in periods],
                  rotation=45 if many else 0, ha="right" if many else "center")
    ax.set_xticks(np.arange(n_periods + 1), minor=True)
    ax.set_xlim(0.0, float(n_periods))
    ax.grid(True, axis="x", which="minor", alpha=0.35)
    ax.tick_params(axis="x", which="minor", length=0)
    shown = set(table[by])
    handles = [Patch(facecolor=colours[g], edgecolor="black", linewidth=0.5, label=str(g))
               for g in colours if g in shown]
    if mandatory.any():
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="//",
                             label="mandatory"))
    if handles:
        legend_outside(ax, handles, title=str(by).replace("_", " ").capitalize(),
                       title_fontsize="small")
    if n == 0:
        ax.text(0.5, 0.5, "no project selected", transform=ax.transAxes, ha="center",
                va="center")
    ax.set_xlabel("Period")
    note = "" if n == n_selected else f"\nthe {n} of greatest value shown"
    ax.set_title(f"Roadmap: {n_selected} selected projects by start period{note}")
    return ax
