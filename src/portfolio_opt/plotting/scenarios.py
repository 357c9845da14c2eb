"""Plots of a scenario comparison, drawn from the tables of :mod:`portfolio_opt.scenarios`.

- :func:`plot_scenarios` -- ``kind="value"``: value of each scenario's portfolio
  against the baseline, with projects added and removed; ``kind="capacity"``:
  share of each competence's capacity used, competence x scenario;
  ``kind="projects"``: which projects are in, for the projects that change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from portfolio_opt.exceptions import InputError
from portfolio_opt.plotting._common import legend_outside, new_axes, rows_axis

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from portfolio_opt.scenarios import ScenarioComparison

__all__ = ["plot_scenarios"]

_KINDS = ("value", "capacity", "projects")


def plot_scenarios(comparison: ScenarioComparison, ax: Axes | None = None, *,
                   kind: str = "value") -> Axes:
    """Draw the comparison of scenarios.

    Parameters
    ----------
    comparison : ScenarioComparison
        The result of :func:`~portfolio_opt.scenarios.compare_scenarios`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when omitted.
    kind : {"value", "capacity", "projects"}, default "value"
        ``"value"``: one horizontal bar per scenario, its ``objective``
        (summary table), a dashed line at the baseline's, labelled with the
        projects added and removed and the change in cost; a scenario without
        a portfolio gets no bar, only its status. ``"capacity"``: heatmap of
        :attr:`~ScenarioComparison.capacity` (share of capacity used over the
        horizon), cells annotated in percent. ``"projects"``: one row per
        project that is not in every portfolio or in none
        (:meth:`~ScenarioComparison.changed_projects`), filled where selected.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. For ``"value"`` the bars are ``ax.containers[0]``,
        in the summary's order (height 0 for a scenario without a portfolio);
        for ``"capacity"`` and ``"projects"`` the image is ``ax.images[0]``
        (array: rows x scenarios).

    Raises
    ------
    InputError
        For an unknown ``kind``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio
    >>> from portfolio_opt.scenarios import Scenario, compare_scenarios
    >>> pf = Portfolio(pd.DataFrame({"project_id": ["A", "B", "C"],
    ...                              "cost": [4.0, 3.0, 3.0], "value": [5.0, 3.0, 3.0]}),
    ...                budget=7)
    >>> cmp = compare_scenarios(pf, [Scenario("cut", budget=6)])
    >>> ax = plot_scenarios(cmp, ax=Figure().subplots())
    >>> [float(bar.get_width()) for bar in ax.containers[0]]
    [8.0, 6.0]
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    if kind not in _KINDS:
        raise InputError(f"plot_scenarios: unknown kind {kind!r}; valid: "
                         f"{', '.join(_KINDS)}.")
    if kind == "value":
        return _value(comparison, ax)
    if kind == "capacity":
        return _capacity(comparison, ax)
    return _projects(comparison, ax)


def _value(comparison: ScenarioComparison, ax: Axes | None) -> Axes:
    s = comparison.summary
    n = len(s)
    if ax is None:
        ax = new_axes(7.0, 1.2 + 0.45 * n)
    y = rows_axis(ax, [str(v) for v in s.index])
    solved = s["objective"].notna().to_numpy()
    colours = ["#d9d9d9" if name == comparison.baseline else "#9ecae1" for name in s.index]
    ax.barh(y, s["objective"].fillna(0.0).to_numpy(dtype=float), color=colours,
            height=0.6)
    base = float(s.loc[comparison.baseline, "objective"])
    ax.axvline(base, color="black", linestyle="--", linewidth=1, gid="baseline")
    for i, (name, row) in enumerate(s.iterrows()):
        if not solved[i]:
            text = row["status"]
        elif name == comparison.baseline:
            text = f"baseline: {int(row['n_selected'])} projects, cost {row['cost']:,.6g}"
        else:
            text = (f"+{int(row['n_added'])} / -{int(row['n_removed'])} projects, "
                    f"value {row['value_change']:+,.3g}, cost {row['cost_change']:+,.6g}")
        ax.annotate(text, (0, i), xytext=(4, 0), textcoords="offset points", va="center",
                    fontsize=8, color="black" if solved[i] else "#d62728")
    ax.set_xlabel("value of the portfolio (objective)")
    ax.set_title("Scenarios against the baseline")
    return ax


def _grid_axes(table: pd.DataFrame, ax: Axes | None, row_height: float) -> Axes:
    """Return ``ax``, or new Axes sized for an image of ``table`` (rows x scenarios)."""
    if ax is None:
        ax = new_axes(1.5 + 0.9 * max(table.shape[1], 1),
                      1.2 + row_height * max(table.shape[0], 1))
    return ax


def _label_grid(table: pd.DataFrame, ax: Axes) -> None:
    """Label an image of ``table``: its columns along x, its index along y."""
    ax.set_xticks(range(table.shape[1]), [str(c) for c in table.columns], rotation=30,
                  ha="right")
    ax.set_yticks(range(table.shape[0]), [str(i) for i in table.index])


def _capacity(comparison: ScenarioComparison, ax: Axes | None) -> Axes:
    cap = comparison.capacity
    ax = _grid_axes(cap, ax, row_height=0.4)
    data = cap.to_numpy(dtype=float)
    finite = data[np.isfinite(data)]
    top = max(1.0, float(finite.max())) if finite.size else 1.0
    image = ax.imshow(data, cmap=colormaps["Blues"], vmin=0.0, vmax=top, aspect="auto")
    for (i, j), v in np.ndenumerate(data):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=8,
                    color="white" if v > 0.6 * top else "black")
    _label_grid(cap, ax)
    ax.figure.colorbar(image, ax=ax, label="share of capacity used")
    ax.set_title("Capacity used over the horizon, per scenario")
    return ax


def _projects(comparison: ScenarioComparison, ax: Axes | None) -> Axes:
    changed = comparison.changed_projects()
    ax = _grid_axes(changed, ax, row_height=0.3)
    data = changed.astype("float").to_numpy(dtype=float, na_value=np.nan)
    cmap = ListedColormap(["#f0f0f0", "#1f77b4"]).with_extremes(bad="#fbe3e3")
    ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    _label_grid(changed, ax)
    legend_outside(ax, [Patch(color="#1f77b4", label="selected"),
                        Patch(color="#f0f0f0", label="not selected"),
                        Patch(color="#fbe3e3", label="no portfolio")], fontsize=8)
    ax.set_title("Projects that change between scenarios")
    return ax
