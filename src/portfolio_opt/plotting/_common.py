"""Helpers shared by the plotting modules (no global state, pyplot imported lazily)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_rgba

from portfolio_opt.exceptions import InputError

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.container import BarContainer

__all__ = ["category_colours", "check_rows", "hatch", "legend_outside", "new_axes",
           "project_label", "project_labels", "rows_axis"]

_LABEL_CHARS = 34


def new_axes(width: float, height: float) -> Axes:
    """Create a figure with one Axes (pyplot is imported only when needed)."""
    from matplotlib import pyplot as plt

    _, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return ax


def category_colours(categories: Iterable[object]) -> dict[str, tuple[float, float, float, float]]:
    """Give each distinct category a colour (tab10, then tab20, then a colour wheel).

    ``categories`` may repeat (e.g. the category of every candidate project): the colours go
    to the distinct labels (as text) in the order they first appear. Pass the labels of all
    candidates in the portfolio's order -- as ``plot_risk_return`` and the review plots do --
    and a category has the same colour in every plot of one selection.
    """
    names = list(dict.fromkeys(map(str, categories)))
    n = len(names)
    if n <= 10:
        colours = [to_rgba(colormaps["tab10"](i)) for i in range(n)]
    elif n <= 20:
        colours = [to_rgba(colormaps["tab20"](i)) for i in range(n)]
    else:
        colours = [to_rgba(colormaps["hsv"](i / n)) for i in range(n)]
    return dict(zip(names, colours, strict=True))


def project_label(project_id: object, name: object = None) -> str:
    """``"P01 Partner API platform"``, shortened to a readable length."""
    text = str(project_id) if name is None or pd.isna(name) else f"{project_id} {name}"
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "\u2026"


def project_labels(table: pd.DataFrame) -> list[str]:
    """:func:`project_label` of every row of a table indexed by project id (its ``name`` if any)."""
    names = table["name"] if "name" in table.columns else pd.Series(None, index=table.index)
    return [project_label(i, n) for i, n in zip(table.index, names, strict=True)]


def rows_axis(ax: Axes, labels: Sequence[str], first: int = 0,
              **tick_options: Any) -> np.ndarray:
    """Put one labelled row per item on the y axis, the first at the top; return the rows' y.

    Row ``i`` sits at ``y = first + i`` (``first``: the position of the first row shown, when a
    plot shows a window of a longer table); the y limits are ``(first + n - 0.5, first - 0.5)``
    (``n`` at least 1, so an empty plot keeps a valid range). ``tick_options`` go to
    :meth:`~matplotlib.axes.Axes.set_yticks` (e.g. ``fontsize``).
    """
    y = first + np.arange(len(labels), dtype=float)
    ax.set_yticks(y, labels=list(labels), **tick_options)
    ax.set_ylim(first + max(len(labels), 1) - 0.5, first - 0.5)
    return y


def check_rows(value: object, name: str, where: str) -> None:
    """Raise :class:`InputError` unless ``value`` (e.g. ``top``) is None or a whole number >= 1.

    Plots of one row per project take such a limit: a bar and a label per project is
    unreadable, and slow to draw, for thousands of projects.
    """
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                              or value < 1):
        raise InputError(f"{where}: {name} must be a whole number >= 1 (or None for every "
                         f"row), got {value!r}.")


def hatch(bars: BarContainer, where: Iterable[bool], pattern: str = "//") -> None:
    """Hatch the bars where ``where`` is true (e.g. the mandatory projects)."""
    for bar, marked in zip(bars, where, strict=True):
        if marked:
            bar.set_hatch(pattern)


def legend_outside(ax: Axes, handles: Sequence[Artist], **options: Any) -> None:
    """Draw a legend of ``handles`` to the right of the Axes, top-aligned (small font)."""
    ax.legend(handles=list(handles), **{"loc": "upper left", "bbox_to_anchor": (1.01, 1.0),
                                        "fontsize": "small", **options})
