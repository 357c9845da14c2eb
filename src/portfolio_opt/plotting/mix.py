"""Category mix against the bucket targets, drawn from :func:`portfolio_opt.balance.mix_vs_targets`.

- :func:`plot_mix_vs_targets` -- each bucket's share of the selection as a bar, its target
  range as a band with markers at the min and max, the candidates' share as a dot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from portfolio_opt.plotting._common import category_colours, new_axes, rows_axis
from portfolio_opt.review_tables import _groups, mix_vs_targets

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from portfolio_opt.selection import Selection

__all__ = ["plot_mix_vs_targets"]

_OFF = "#cb181d"
_GREY = (0.6, 0.6, 0.6, 1.0)


def plot_mix_vs_targets(selection: Selection, ax: Axes | None = None, *,
                        by: str = "category", measure: str | None = None) -> Axes:
    """Draw each bucket's share of the selection against its min/max targets.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.selection.select`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when omitted.
    by, measure : str, optional
        As for :func:`~portfolio_opt.balance.mix_vs_targets`.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. ``ax.containers[0]`` holds one horizontal bar per row of the table,
        top to bottom at y = 0, 1, ..., width ``share_selected`` (0 when nothing is selected),
        coloured by group and outlined in red when off target. The lines with gid ``"min"``
        and ``"max"`` carry one marker per target, at (share, row); the line with gid
        ``"candidates"`` one dot per row at ``share_candidates``; the target ranges are the
        collection with gid ``"target range"`` (a segment from min to max where both are given).

    Raises
    ------
    InputError
        As for :func:`~portfolio_opt.balance.mix_vs_targets`.

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> from portfolio_opt import Portfolio, select
    >>> projects = pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 3.0],
    ...                          "value": [5.0, 3.0, 3.0], "category": ["growth", "run", "run"]})
    >>> buckets = pd.DataFrame({"column": ["category"], "value": ["growth"], "min": [0.4]})
    >>> selection = select(Portfolio(projects, budget=7, buckets=buckets))
    >>> ax = plot_mix_vs_targets(selection, ax=Figure().subplots())
    >>> [line.get_xydata().tolist() for line in ax.lines if line.get_gid() == "min"]
    [[[0.4, 0.0]]]
    """
    table = mix_vs_targets(selection, by=by, measure=measure)
    measure = table.attrs["measure"]
    n = len(table)
    if ax is None:
        ax = new_axes(7.5, max(2.5, 1.4 + 0.5 * n))
    colours = category_colours(_groups(selection.portfolio.projects, by, "plot_mix_vs_targets"))
    faces = [colours.get(str(g), _GREY) for g in table.index]  # grey: spelling differs
    share = table["share_selected"].to_numpy(dtype=float)
    status = table["status"].to_numpy(dtype=object)
    off = (status == "below min") | (status == "above max")
    y = rows_axis(ax, [str(g) for g in table.index])
    bars = ax.barh(y, np.nan_to_num(share), height=0.6,
                   color=faces,
                   edgecolor=[_OFF if o else "black" for o in off],
                   linewidth=[2.0 if o else 0.5 for o in off])
    ax.bar_label(bars, labels=["" if np.isnan(s) else f"{s:.0%}" for s in share],
                 padding=3, fontsize="small")
    low = table["min"].to_numpy(dtype=float)
    high = table["max"].to_numpy(dtype=float)
    both = ~np.isnan(low) & ~np.isnan(high)
    band = ax.hlines(y[both], low[both], high[both], colors="0.25", linewidth=1.0, alpha=0.7,
                     zorder=3)
    band.set_gid("target range")
    for column, values, marker in (("min", low, 5), ("max", high, 4)):  # caret right / left
        keep = ~np.isnan(values)
        ax.plot(values[keep], y[keep], linestyle="none", marker=marker, markersize=11,
                color="black", zorder=4, gid=column)
    ax.plot(table["share_candidates"].to_numpy(dtype=float), y, linestyle="none", marker="o",
            markersize=5, markerfacecolor="white", markeredgecolor="0.35", zorder=4,
            gid="candidates")
    for i in np.flatnonzero(off):
        ax.annotate(str(status[i]), (1.0, y[i]), xycoords=("axes fraction", "data"),
                    xytext=(-4, 0), textcoords="offset points", ha="right", va="center",
                    color=_OFF, fontsize="small", fontweight="bold")
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    top = np.nanmax(np.r_[share, table["share_candidates"].to_numpy(dtype=float), low, high,
                          0.0])
    ax.set_xlim(0.0, min(1.05, max(0.1, float(top) * 1.2)))
    what = {"cost": "cost", "count": "number of projects"}.get(measure, measure)
    ax.set_xlabel(f"Share of the selected {what}")
    ax.set_ylabel(str(by).replace("_", " ").capitalize())
    n_off = int(off.sum())
    ax.set_title(f"Mix by {by} against the bucket targets"
                 + (f": {n_off} off target" if n_off else ""))
    ax.legend(handles=[
        Patch(facecolor="0.6", edgecolor="black", linewidth=0.5, label="selected share"),
        Line2D([], [], linestyle="none", marker=5, color="black", markersize=9,
               label="min target"),
        Line2D([], [], linestyle="none", marker=4, color="black", markersize=9,
               label="max target"),
        Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
               markeredgecolor="0.35", label="share of candidates"),
    ], loc="lower right", fontsize="small")
    ax.grid(True, axis="x", alpha=0.3)
    return ax
