"""Plots of the Monte Carlo results of :mod:`portfolio_opt.uncertainty`.

- :func:`plot_value_distribution` -- histogram of a portfolio's total value
  (or cost) across draws, with the planned value, the mean and the CVaR.
- :func:`plot_selection_probability` -- each project's probability of being
  in the optimal portfolio, marking the base optimum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.patches import Patch

from portfolio_opt.exceptions import InputError
from portfolio_opt.plotting._common import check_rows, new_axes, rows_axis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from portfolio_opt.uncertainty import SelectionProbability, Simulation

__all__ = ["plot_selection_probability", "plot_value_distribution"]

_IN, _OUT = "#1f77b4", "#aec7e8"


def plot_value_distribution(simulation: Simulation, ax: Axes | None = None, *,
                            of: str = "value", bins: int = 30, alpha: float = 0.05) -> Axes:
    """Draw the distribution of a portfolio's total value (or cost) across draws.

    Parameters
    ----------
    simulation : Simulation
        The result of :func:`~portfolio_opt.uncertainty.simulate`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when omitted.
    of : {"value", "cost"}, default "value"
        Which total to draw; for the cost the total budget is marked too.
    bins : int, default 30
        Histogram bins (as for :func:`numpy.histogram`).
    alpha : float, default 0.05
        Tail share of the CVaR marked.

    Returns
    -------
    matplotlib.axes.Axes
        The bars have gid ``"draws"``; the vertical lines gids ``"planned"``,
        ``"mean"``, ``"cvar"`` and, for the cost with a total budget,
        ``"budget"``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> from portfolio_opt.uncertainty import simulate
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B"], "cost": [4.0, 3.0],
    ...                              "value": [5.0, 3.0], "value_low": [2.0, 1.0]}))
    >>> ax = plot_value_distribution(simulate(pf, ["A", "B"], n=200, seed=0),
    ...                             ax=Figure().subplots())
    >>> sorted(line.get_gid() for line in ax.get_lines())
    ['cvar', 'mean', 'planned']
    """
    if of not in ("value", "cost"):
        raise InputError(f"plot_value_distribution: of must be 'value' or 'cost', got {of!r}.")
    if ax is None:
        ax = new_axes(7, 4)
    x = simulation.draws[of].to_numpy(dtype=float)
    _, _, patches = ax.hist(x, bins=bins, color=_OUT, edgecolor="white")
    for p in patches:  # type: ignore[union-attr]
        p.set_gid("draws")  # type: ignore[union-attr]
    marks = [("planned", simulation.summary.loc[of, "planned"], "black", "-"),
             ("mean", simulation.summary.loc[of, "mean"], _IN, "--"),
             ("cvar", simulation.cvar(alpha, of=of), "#d62728", ":")]
    if of == "cost" and simulation.budget is not None:
        marks.append(("budget", simulation.budget, "#ff7f0e", "-."))
    names = {"planned": "planned (likely values)", "mean": "mean",
             "cvar": f"CVaR {alpha:.0%} ({'lowest' if of == 'value' else 'highest'} draws)",
             "budget": "total budget"}
    for gid, pos, colour, style in marks:
        ax.axvline(float(pos), color=colour, linestyle=style, linewidth=1.5, gid=gid,
                   label=f"{names[gid]}: {float(pos):,.4g}")
    ax.set_xlabel(f"total {of} of the portfolio")
    ax.set_ylabel("draws")
    ax.set_title(f"{of.capitalize()} across {simulation.n} draws")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_selection_probability(result: SelectionProbability, ax: Axes | None = None, *,
                               top: int | None = None) -> Axes:
    """Draw each project's probability of being in the optimal portfolio.

    Parameters
    ----------
    result : SelectionProbability
        The result of :func:`~portfolio_opt.uncertainty.selection_probability`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when omitted.
    top : int, optional
        Draw only the ``top`` most probable projects.

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar per project (gid ``"probability"``), most probable
        at the top, dark when in the base optimum (at the likely values),
        light otherwise; error bars show the binomial standard error.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> from portfolio_opt.uncertainty import selection_probability
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 3.0],
    ...                              "value": [5.0, 3.0, 3.0], "value_high": [9.0, 3.0, 3.0]}),
    ...                budget=6)
    >>> ax = plot_selection_probability(selection_probability(pf, n=10, seed=0),
    ...                                 ax=Figure().subplots())
    >>> len([p for p in ax.patches if p.get_gid() == "probability"])
    3
    """
    check_rows(top, "top", "plot_selection_probability")
    table = result.probability.sort_values("probability", ascending=False, kind="stable")
    if top is not None:
        table = table.head(top)
    if ax is None:
        ax = new_axes(7, max(2.5, 0.25 * len(table) + 1))
    y = rows_axis(ax, [str(i) for i in table.index])
    colours = np.where(table["base_selected"].to_numpy(), _IN, _OUT)
    bars = ax.barh(y, table["probability"].to_numpy(dtype=float), color=list(colours),
                   xerr=table["stderr"].to_numpy(dtype=float), ecolor="grey", capsize=2)
    for bar in bars:
        bar.set_gid("probability")
    ax.set_xlim(0, 1.05)
    ax.set_xlabel(f"probability of being selected ({result.n_solved} draws with a portfolio)")
    ax.legend(handles=[Patch(color=_IN, label="in the optimum at the likely values"),
                       Patch(color=_OUT, label="not in it")], loc="lower right",
              fontsize="small")
    ax.set_title("Selection probability across draws")
    return ax
