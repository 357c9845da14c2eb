"""Plots, drawn from the tables the analysis modules compute.

Every function takes an optional matplotlib ``ax``, draws on it and returns
it. Without ``ax`` a new figure is created with :func:`matplotlib.pyplot.subplots`.
Nothing here calls ``plt.show()`` or changes global settings (rcParams), so
the functions work headless with the Agg backend and inside reports.

- :func:`plot_risk_return` -- bubble chart of value against risk.
- :func:`plot_capacity` -- utilisation heatmap, competence x period.
- :func:`plot_category_mix` -- share of the selected budget per category.
"""

from portfolio_opt.plotting.balance import plot_capacity, plot_category_mix, plot_risk_return

__all__ = ["plot_capacity", "plot_category_mix", "plot_risk_return"]
