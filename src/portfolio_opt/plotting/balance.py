"""Plots of a selection's balance, drawn from the tables of :mod:`portfolio_opt.balance`.

- :func:`plot_risk_return` -- bubble chart of value against risk.
- :func:`plot_capacity` -- utilisation heatmap, competence x period.
- :func:`plot_category_mix` -- share of the selected budget per category.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Colormap, ListedColormap, TwoSlopeNorm
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import PercentFormatter

from portfolio_opt.balance import capacity_use, category_mix, risk_return
from portfolio_opt.plotting._common import category_colours, new_axes, rows_axis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from portfolio_opt.selection import Selection

__all__ = ["plot_capacity", "plot_category_mix", "plot_risk_return"]


def _utilisation_cmap() -> Colormap:
    """Blues up to 100 %, reds above: the jump in hue marks full capacity.

    Used with ``TwoSlopeNorm(vcenter=1)``, which maps 100 % to 0.5. With 257
    colours, 0.5 falls on the last blue (index 128), so a competence used at
    exactly its capacity is blue and anything noticeably above it is red.
    """
    blues = colormaps["Blues"](np.linspace(0.02, 0.85, 129))
    reds = colormaps["Reds"](np.linspace(0.3, 1.0, 128))
    return ListedColormap(np.vstack([blues, reds]), name="utilisation").with_extremes(
        bad="#d9d9d9"
    )


def plot_risk_return(selection: Selection, ax: Axes | None = None) -> Axes:
    """Draw value against risk, one bubble per candidate project.

    Bubble area is proportional to the project's cost, colour tells the
    category; selected projects are filled, the others hollow.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.selection.select`; the projects
        need a ``risk`` column (see :func:`~portfolio_opt.balance.risk_return`).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. Its collections with gid ``"selected"`` and
        ``"not selected"`` hold the bubbles, in the order of the table's
        selected and unselected rows.

    Raises
    ------
    InputError
        If the projects have no ``risk`` column.

    Examples
    --------
    >>> from portfolio_opt import select
    >>> from portfolio_opt.datasets import load_sample
    >>> selection = select(load_sample())
    >>> from matplotlib.figure import Figure
    >>> ax = plot_risk_return(selection, ax=Figure().subplots())
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('Risk (score)', 'Value (objective coefficient)')
    >>> sum(len(bubbles.get_offsets()) for bubbles in ax.collections)  # one per candidate
    60
    """
    table = risk_return(selection)
    if ax is None:
        ax = new_axes(7.0, 5.0)
    colours = category_colours(table["category"])
    max_cost = float(table["cost"].max()) if len(table) else 0.0
    max_area = 1200.0  # points^2 of the costliest bubble
    scale = max_area / max_cost if max_cost > 0 else 0.0

    chosen = table[table["selected"]]
    others = table[~table["selected"]]
    edge_colours = [colours[c] for c in others["category"]]
    face_colours = np.array([colours[c] for c in chosen["category"]], dtype=float).reshape(-1, 4)
    hollow = ax.scatter(
        others["risk"].to_numpy(),
        others["value"].to_numpy(),
        s=others["cost"].to_numpy() * scale,
        facecolors="none",
        edgecolors=edge_colours,
        linewidths=1.2,
        linestyles="--",
        zorder=2,
    )
    hollow.set_gid("not selected")
    filled = ax.scatter(
        chosen["risk"].to_numpy(),
        chosen["value"].to_numpy(),
        s=chosen["cost"].to_numpy() * scale,
        color=face_colours,
        alpha=0.75,
        edgecolors="black",
        linewidths=0.6,
        zorder=3,
    )
    filled.set_gid("selected")

    handles: list[Patch | Line2D] = [Patch(facecolor=colours[c], label=str(c)) for c in colours]
    handles += [
        Line2D([], [], marker="o", linestyle="none", markersize=9, markerfacecolor="0.45",
               markeredgecolor="black", label=f"selected ({len(chosen)})"),
        Line2D([], [], marker="o", linestyle="none", markersize=9, markerfacecolor="none",
               markeredgecolor="0.45", label=f"not selected ({len(others)})"),
    ]
    ax.legend(handles=handles, title="Category / status\n(bubble area \u221d cost)",
              loc="best", fontsize="small", title_fontsize="small", framealpha=0.85)
    ax.set_xlabel("Risk (score)")
    ax.set_ylabel("Value (objective coefficient)")
    ax.set_title(f"Risk and return: {len(chosen)} of {len(table)} projects selected")
    ax.grid(True, alpha=0.3)
    ax.margins(0.1)
    return ax


def plot_capacity(selection: Selection, ax: Axes | None = None) -> Axes:
    """Draw the utilisation of each competence in each period as a heatmap.

    Colours run from white to dark blue up to 100 % and jump to red above
    it; cells over capacity are outlined in red and marked ``!``. Cells with
    no capacity and no use are grey and marked ``-``; cells with no capacity
    but some use are dark red and marked ``no cap.``.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.selection.select`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; its image (``ax.images[0]``) holds the utilisation
        (used / capacity, a fraction) with NaN masked and inf drawn as the
        top of the scale.

    Examples
    --------
    >>> from portfolio_opt import select
    >>> from portfolio_opt.datasets import load_sample
    >>> selection = select(load_sample())
    >>> from matplotlib.figure import Figure
    >>> ax = plot_capacity(selection, ax=Figure().subplots())
    >>> ax.images[0].get_array().shape  # 8 competences x 12 quarters
    (8, 12)
    """
    table = capacity_use(selection)
    utilisation = table["utilisation"]
    over = table["over_allocated"].to_numpy(dtype=bool)
    supported = table["supported"].to_numpy(dtype=bool)
    n_rows, n_cols = utilisation.shape
    if ax is None:
        ax = new_axes(max(6.0, 2.0 + 0.75 * n_cols), max(2.5, 1.4 + 0.45 * n_rows))
    ax.set_title("Capacity utilisation (used / capacity)")
    ax.set_xlabel("Period")
    ax.set_ylabel("Competence")
    if n_rows == 0 or n_cols == 0:
        ax.text(0.5, 0.5, "No capacity table: nothing to show", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        return ax

    values = utilisation.to_numpy(dtype=float)
    finite = np.isfinite(values)
    top = max(1.5, float(np.max(values[finite])) if finite.any() else 1.0)
    drawn = np.where(np.isposinf(values), top, values)
    image = ax.imshow(
        np.ma.masked_invalid(drawn),
        cmap=_utilisation_cmap(),
        norm=TwoSlopeNorm(vmin=0.0, vcenter=1.0, vmax=top),
        aspect="auto",
        interpolation="nearest",
    )
    bar = ax.figure.colorbar(image, ax=ax, format=PercentFormatter(xmax=1.0, decimals=0))
    bar.set_label("Utilisation (%)")
    bar.ax.axhline(1.0, color="black", linewidth=1.5)
    bar.set_ticks(sorted({0.0, 0.5, 1.0, top}))

    for i in range(n_rows):
        for j in range(n_cols):
            value = values[i, j]
            if np.isnan(value):
                text = "-"
            elif np.isinf(value):
                text = "no cap."
            else:
                text = f"{value:.0%}" + ("!" if over[i, j] else "") + (
                    "*" if supported[i, j] else "")
            red, green, blue, _ = image.cmap(image.norm(drawn[i, j]))
            dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
            ax.text(j, i, text, ha="center", va="center", fontsize="small",
                    fontweight="bold" if over[i, j] else "normal",
                    color="white" if dark else "black")
            if over[i, j]:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1.0, 1.0, fill=False,
                                       edgecolor="#cb181d", linewidth=2.5))
    ax.set_xticks(range(n_cols), labels=[str(p) for p in utilisation.columns],
                  rotation=45 if n_cols > 6 else 0, ha="right" if n_cols > 6 else "center")
    ax.set_yticks(range(n_rows), labels=[str(c) for c in utilisation.index])
    notes = []
    if over.any():
        notes.append(f"{int(over.sum())} cells over capacity (outlined in red, marked !)")
    if supported.any():
        notes.append("* hired or covered by another competence")
    if notes:
        ax.set_title("Capacity utilisation (used / capacity)\n" + "; ".join(notes))
    return ax


def plot_category_mix(selection: Selection, ax: Axes | None = None, by: str = "category") -> Axes:
    """Draw each category's share of the selected budget, beside its share of the candidates.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.selection.select`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when omitted.
    by : str, default "category"
        Projects column to group by (see :func:`~portfolio_opt.balance.category_mix`).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. Its bar containers labelled ``"selected portfolio"``
        and ``"all candidates"`` hold one horizontal bar per category, in the
        table's order, whose widths are the shares (fractions; the axis shows %).

    Raises
    ------
    InputError
        If the projects have no column ``by``.

    Examples
    --------
    >>> from portfolio_opt import select
    >>> from portfolio_opt.datasets import load_sample
    >>> selection = select(load_sample())
    >>> from matplotlib.figure import Figure
    >>> ax = plot_category_mix(selection, ax=Figure().subplots())
    >>> round(sum(float(bar.get_width()) for bar in ax.containers[0]), 9)  # shares of the budget
    1.0
    """
    table = category_mix(selection, by=by)
    n = len(table)
    if ax is None:
        ax = new_axes(7.0, max(2.5, 1.2 + 0.55 * n))
    y = rows_axis(ax, [str(c) for c in table.index])
    height = 0.38
    selected = ax.barh(y - height / 2, table["share_selected"].to_numpy(dtype=float), height,
                       color="#2171b5", label="selected portfolio")
    candidates = ax.barh(y + height / 2, table["share_candidates"].to_numpy(dtype=float),
                         height, color="#bdbdbd", hatch="//", edgecolor="#636363",
                         linewidth=0.5, label="all candidates")
    for bars, shares in ((selected, table["share_selected"]),
                         (candidates, table["share_candidates"])):
        labels = ["" if np.isnan(s) else f"{s:.0%}" for s in shares.to_numpy(dtype=float)]
        ax.bar_label(bars, labels=labels, padding=2, fontsize="small")
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    widest = np.nanmax(np.r_[table["share_selected"], table["share_candidates"], 0.0])
    ax.set_xlim(0.0, max(0.1, float(widest) * 1.18))
    ax.set_xlabel("Share of cost (%)")
    ax.set_ylabel(str(by).replace("_", " ").capitalize())
    ax.set_title(f"Budget mix by {by}: selected vs candidates")
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(True, axis="x", alpha=0.3)
    return ax
