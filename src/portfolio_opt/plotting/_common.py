"""Helpers shared by the plotting modules (no global state, pyplot imported lazily)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_rgba

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["category_colours", "new_axes"]


def new_axes(width: float, height: float) -> Axes:
    """Create a figure with one Axes (pyplot is imported only when needed)."""
    from matplotlib import pyplot as plt

    _, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return ax


def category_colours(categories: pd.Index) -> dict[str, tuple[float, float, float, float]]:
    """Give each category a distinct colour (tab10, then tab20, then a colour wheel)."""
    n = len(categories)
    if n <= 10:
        colours = [to_rgba(colormaps["tab10"](i)) for i in range(n)]
    elif n <= 20:
        colours = [to_rgba(colormaps["tab20"](i)) for i in range(n)]
    else:
        colours = [to_rgba(colormaps["hsv"](i / n)) for i in range(n)]
    return dict(zip(map(str, categories), colours, strict=True))
