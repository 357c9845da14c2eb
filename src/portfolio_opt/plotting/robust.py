"""Plot of Robust Portfolio Modeling: the core index of every project."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portfolio_opt.plotting._common import check_rows, new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from portfolio_opt.robust import RobustPortfolios

__all__ = ["CLASS_COLOURS", "plot_core_index"]

CLASS_COLOURS = {"core": "#2a7f3f", "borderline": "#e0a526", "exterior": "#9e9e9e"}


def plot_core_index(result: RobustPortfolios, ax: Axes | None = None, *,
                    top: int | None = None) -> Axes:
    """Horizontal bars of each project's core index, coloured core / borderline / exterior.

    Parameters
    ----------
    result : RobustPortfolios
        From :func:`portfolio_opt.robust_portfolios`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    top : int, optional
        Only the ``top`` projects of highest core index (for thousands of projects a bar
        each is unreadable, and slow to draw).

    Returns
    -------
    matplotlib.axes.Axes
        One bar per project (highest core index at the top), bar width = core
        index; the title says how many portfolios and whether the list is
        complete.

    Raises
    ------
    InputError
        If ``top`` is not None or a whole number >= 1.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> from portfolio_opt.robust import robust_portfolios
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C", "D"],
    ...                              "cost": [2.0, 2.0, 2.0, 2.0], "q": [3.0, 1.0, 2.0, 0.0],
    ...                              "s": [1.0, 3.0, 2.5, 0.0]}), budget=4)
    >>> result = robust_portfolios(pf, ["q", "s"], value_scale="raw")
    >>> len(result.portfolios)
    3
    >>> ax = plot_core_index(result, ax=Figure().subplots())
    >>> [round(float(p.get_width()), 2) for p in ax.patches]  # bottom to top
    [0.0, 0.67, 0.67, 0.67]
    """
    check_rows(top, "top", "plot_core_index")
    table = result.to_frame()
    order = table.sort_values("core_index", ascending=False, kind="stable")
    if top is not None:
        order = order.head(top)
    if ax is None:
        ax = new_axes(7.0, max(2.0, 0.25 * len(order) + 1.0))
    rows = order.iloc[::-1]  # barh draws from the bottom: best at the top
    labels = [str(i) for i in rows.index]
    colours = [CLASS_COLOURS[c] for c in rows["robustness"]]
    ax.barh(labels, rows["core_index"].to_numpy(dtype=float), color=colours)
    ax.set_xlim(0, 1)
    ax.set_xlabel("core index (share of non-dominated portfolios)")
    done = "" if result.complete else " -- INCOMPLETE: portfolios found only"
    ax.set_title(f"Robustness of {len(table)} projects over {len(result.portfolios)} "
                 f"non-dominated portfolios{done}", fontsize=9)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=c, label=k) for k, c in CLASS_COLOURS.items()],
              loc="lower right", fontsize=8)
    return ax
