"""Plots of efficient frontiers, drawn from the tables of :mod:`portfolio_opt.frontier`.

- :func:`plot_frontier` -- value against the total budget, a portfolio marked.
- :func:`plot_risk_frontier` -- value against the bound on the average risk.

Each solved point is a marker; the line between them is drawn as steps (each
value holds until the next point): the frontier is a non-decreasing step
function, and between two solved points it is at least the left one.
Infeasible points (NaN objective) are left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from portfolio_opt.exceptions import InputError
from portfolio_opt.frontier import FrontierPosition
from portfolio_opt.plotting._common import new_axes
from portfolio_opt.selection import Selection

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_frontier", "plot_risk_frontier"]


def _check(frontier: Any, key: str, where: str) -> pd.DataFrame:
    if not isinstance(frontier, pd.DataFrame) or not {key, "objective"} <= set(frontier):
        raise InputError(f"{where}: frontier must be a table with columns {key!r} and "
                         f"'objective' (the result of "
                         f"{'efficient_frontier' if key == 'budget' else 'risk_frontier'}), "
                         f"got {type(frontier).__name__}.")
    table = frontier.sort_values(key)
    return table[table["objective"].notna()]


def _draw(ax: Axes | None, table: pd.DataFrame, key: str) -> Axes:
    """Draw the frontier's points and steps (on new Axes when ``ax`` is None)."""
    if ax is None:
        ax = new_axes(7.0, 4.5)
    x = table[key].to_numpy(dtype=float)
    y = table["objective"].to_numpy(dtype=float)
    (line,) = ax.plot(x, y, drawstyle="steps-post", color="tab:blue", zorder=2)
    line.set_gid("frontier")
    feasible = table["status"].to_numpy() != "optimal" if "status" in table else np.zeros(
        len(table), bool)
    for gid, mask, face in (("optimal", ~feasible, "tab:blue"), ("feasible", feasible, "white")):
        pts = ax.scatter(x[mask], y[mask], s=30, color=face, edgecolors="tab:blue", zorder=3,
                         label="solved point" if gid == "optimal" else "feasible (gap > 0)")
        pts.set_gid(gid)
    return ax


def _finish(ax: Axes, chosen: tuple[float, float] | None, xlabel: str, title: str) -> Axes:
    """Mark the chosen portfolio at ``chosen`` (x, y), if any, and label the Axes."""
    if chosen is not None:
        mark = ax.scatter([chosen[0]], [chosen[1]], marker="*", s=180, color="tab:red",
                          zorder=4, label="chosen portfolio")
        mark.set_gid("chosen")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Best value")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    return ax


def plot_frontier(frontier: pd.DataFrame, selection: Selection | FrontierPosition | None = None,
                  ax: Axes | None = None) -> Axes:
    """Draw the efficient frontier: best value at each total budget, a portfolio marked.

    Parameters
    ----------
    frontier : pandas.DataFrame
        The result of :func:`portfolio_opt.efficient_frontier`.
    selection : Selection or FrontierPosition, optional
        The portfolio to mark, at (its cost + hiring cost, its value). A
        :class:`FrontierPosition` also draws the value left on the table as
        a dashed segment up to the frontier's value at that spend.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The line (gid ``"frontier"``) holds the solved points in budget
        order, the markers are collections with gids ``"optimal"`` and
        ``"feasible"``; the marked portfolio has gid ``"chosen"`` and the
        segment ``"value left"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> from portfolio_opt import Portfolio, select
    >>> from portfolio_opt.frontier import efficient_frontier
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"],
    ...                              "cost": [4.0, 3.0, 3.0], "value": [5.0, 3.0, 3.0]}),
    ...                budget=6)
    >>> ax = plot_frontier(efficient_frontier(pf, budgets=[3, 6, 7]), select(pf),
    ...                    ax=Figure().subplots())
    >>> ax.get_lines()[0].get_xydata().tolist()
    [[3.0, 3.0], [6.0, 6.0], [7.0, 8.0]]
    """
    table = _check(frontier, "budget", "plot_frontier")
    ax = _draw(ax, table, "budget")
    chosen: tuple[float, float] | None = None
    if isinstance(selection, FrontierPosition):
        x, y = selection.spend, selection.value
        (seg,) = ax.plot([x, x], [y, selection.frontier_value], linestyle="--", color="tab:red",
                         label=f"value left: {selection.value_left:,.4g}")
        seg.set_gid("value left")
        chosen = (x, y)
    elif isinstance(selection, Selection):
        chosen = (selection.cost + selection.hiring_cost, selection.objective)
    elif selection is not None:
        raise InputError(f"plot_frontier: selection must be a Selection or a FrontierPosition, "
                         f"got {type(selection).__name__}.")
    return _finish(ax, chosen, "Total budget", "Efficient frontier")


def plot_risk_frontier(frontier: pd.DataFrame, selection: Selection | None = None,
                       ax: Axes | None = None) -> Axes:
    """Draw the value-risk frontier: best value at each bound on the average risk.

    Parameters
    ----------
    frontier : pandas.DataFrame
        The result of :func:`portfolio_opt.risk_frontier`.
    selection : Selection, optional
        The portfolio to mark, at (its cost-weighted average risk, its value).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        As for :func:`plot_frontier` (line gid ``"frontier"``, marker
        ``"chosen"``).

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> from portfolio_opt import Portfolio
    >>> from portfolio_opt.frontier import risk_frontier
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [1.0, 1.0],
    ...                              "value": [5.0, 3.0], "risk": [4.0, 1.0]}), budget=1)
    >>> ax = plot_risk_frontier(risk_frontier(pf, risk_limits=[1, 4]), ax=Figure().subplots())
    >>> ax.get_lines()[0].get_xydata().tolist()
    [[1.0, 3.0], [4.0, 5.0]]
    """
    table = _check(frontier, "risk_limit", "plot_risk_frontier")
    ax = _draw(ax, table, "risk_limit")
    chosen: tuple[float, float] | None = None
    if selection is not None:
        if not isinstance(selection, Selection):
            raise InputError(f"plot_risk_frontier: selection must be a Selection, got "
                             f"{type(selection).__name__}.")
        projects = selection.portfolio._projects
        chosen = selection.selected.to_numpy()
        cost = projects["cost"].to_numpy(dtype=float)[chosen]
        risk = projects["risk"].fillna(0.0).to_numpy(dtype=float)[chosen]
        x = float(cost @ risk / cost.sum()) if cost.sum() > 0 else float("nan")
        chosen = (x, selection.objective)
    return _finish(ax, chosen, "Bound on the cost-weighted average risk", "Value against risk")
