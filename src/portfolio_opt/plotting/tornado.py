"""Weight-sensitivity tornado, drawn from the tables of :mod:`portfolio_opt.sensitivity`.

- :func:`tornado_table` -- how far each criterion weight can fall and rise before something
  changes, read from :func:`~portfolio_opt.sensitivity.ranking_sensitivity`,
  :func:`~portfolio_opt.sensitivity.portfolio_sensitivity` or
  :func:`~portfolio_opt.sensitivity.weight_to_flip`, most sensitive first (defined in
  :mod:`portfolio_opt.review_tables`, re-exported here).
- :func:`plot_tornado` -- the tornado: one row per criterion, a bar to the left (the weight
  falls) and one to the right (it rises), centred on the current weights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from portfolio_opt.plotting._common import new_axes, rows_axis
from portfolio_opt.review_tables import tornado_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_tornado", "tornado_table"]

_DOWN, _UP, _OPEN = "#2171b5", "#cb181d", "#d9d9d9"
_TITLES = {
    "ranking": "How far each weight can move before the ranking changes",
    "portfolio": "How far each weight can move before the optimal portfolio changes",
    "flip": "How far each weight must move to flip the project in or out",
}


def plot_tornado(table: pd.DataFrame, ax: Axes | None = None, *,
                 title: str | None = None) -> Axes:
    """Draw a weight-sensitivity tornado: how far each weight can fall or rise.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`~portfolio_opt.sensitivity.ranking_sensitivity`,
        :func:`~portfolio_opt.sensitivity.portfolio_sensitivity` or
        :func:`~portfolio_opt.sensitivity.weight_to_flip` (see :func:`tornado_table`).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when omitted.
    title : str, optional
        The title; by default it says what the bars measure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. In the order of :func:`tornado_table` (most sensitive at the top,
        y = 0, 1, ...), ``ax.containers[0]`` holds the "weight falls" bars (x from ``down``
        to 0) and ``ax.containers[1]`` the "weight rises" bars (0 to ``up``), in weight
        points (0.1 = 10 points of 100 %). A bar that reaches the end of [0, 1] with no
        change is light grey; otherwise blue (down) or red (up), labelled with what changes.
        The x range fits the moves that change something (at least 2 points), so a grey bar
        may run off the edge.

    Raises
    ------
    InputError
        If the table is not one of those outputs.

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> from portfolio_opt import Portfolio
    >>> from portfolio_opt.sensitivity import ranking_sensitivity
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [1.0, 1.0],
    ...                              "fit": [1.0, 0.0], "return": [0.0, 1.0]}))
    >>> ax = plot_tornado(ranking_sensitivity(pf, {"fit": 0.7, "return": 0.3}),
    ...                   ax=Figure().subplots())
    >>> [round(float(bar.get_width()), 2) for bar in ax.containers[1]]
    [0.3, 0.2]
    """
    bars = tornado_table(table)
    kind = bars.attrs["kind"]
    n = len(bars)
    if ax is None:
        ax = new_axes(8.0, max(2.5, 1.5 + 0.5 * n))
    y = rows_axis(ax, [f"{c} ({w:.0%})" for c, w in zip(bars.index, bars["weight"], strict=True)])
    down = bars["down"].to_numpy(dtype=float)
    up = bars["up"].to_numpy(dtype=float)
    down_open = bars["down_open"].to_numpy(dtype=bool)
    up_open = bars["up_open"].to_numpy(dtype=bool)
    left = ax.barh(y, -down, left=down, height=0.6,
                   color=[_OPEN if o else _DOWN for o in down_open], edgecolor="0.3",
                   linewidth=0.5)
    right = ax.barh(y, up, height=0.6, color=[_OPEN if o else _UP for o in up_open],
                    edgecolor="0.3", linewidth=0.5)
    closed = np.r_[-down[~down_open], up[~up_open]]
    reach = float(closed.max()) if closed.size else 1.0
    limit = min(1.0, max(0.02, 1.35 * reach))
    for container, texts, opens, side in ((left, bars["down_change"], down_open, "right"),
                                          (right, bars["up_change"], up_open, "left")):
        labels = ["no change" if o else t for t, o in zip(texts, opens, strict=True)]
        for bar, label in zip(container, labels, strict=True):
            x = bar.get_x() if side == "right" else bar.get_x() + bar.get_width()
            ax.annotate(label, (float(np.clip(x, -limit, limit)),
                                bar.get_y() + bar.get_height() / 2),
                        xytext=(-3 if side == "right" else 3, 0), textcoords="offset points",
                        ha=side, va="center", fontsize="x-small", annotation_clip=False)
    ax.axvline(0.0, color="black", linewidth=1.0)
    ax.set_xlim(-1.6 * limit, 1.6 * limit)  # room for the labels; open bars may run off
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:+.3g}"))
    ax.set_xlabel("Change in the criterion's weight (points of 100 %; the others rescale)")
    ax.set_ylabel("Criterion (current weight)")
    ax.set_title(title if title is not None else _TITLES[kind])
    ax.legend(handles=[Patch(facecolor=_DOWN, label="weight falls: change at the bar's end"),
                       Patch(facecolor=_UP, label="weight rises: change at the bar's end"),
                       Patch(facecolor=_OPEN, label="no change up to 0 % / 100 %")],
              loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize="x-small",
              frameon=False)
    ax.grid(True, axis="x", alpha=0.3)
    return ax
