"""Plots, drawn from the tables the analysis modules compute.

Every function takes an optional matplotlib ``ax``, draws on it and returns
it. Without ``ax`` a new figure is created with :func:`matplotlib.pyplot.subplots`.
Nothing here calls ``plt.show()`` or changes global settings (rcParams), so
the functions work headless with the Agg backend and inside reports.

- :func:`plot_risk_return` -- bubble chart of value against risk.
- :func:`plot_capacity` -- utilisation heatmap, competence x period.
- :func:`plot_category_mix` -- share of the selected budget per category.
- :func:`plot_mix_vs_targets` -- share per bucket against its min / max targets.
- :func:`plot_roadmap` -- Gantt chart of the selected projects.
- :func:`plot_waterline` -- ranked projects with the funded cut-off.
- :func:`plot_tornado` -- how far each criterion weight may move (sensitivity).
- :func:`plot_frontier`, :func:`plot_risk_frontier` -- efficient frontiers with
  the chosen portfolio marked.
- :func:`plot_scenarios` -- scenarios compared with the baseline.
- :func:`plot_core_index` -- robustness (core index) of each project.
- :func:`plot_value_distribution`, :func:`plot_selection_probability` -- Monte
  Carlo uncertainty.
"""

from portfolio_opt.plotting.balance import plot_capacity, plot_category_mix, plot_risk_return
from portfolio_opt.plotting.frontier import plot_frontier, plot_risk_frontier
from portfolio_opt.plotting.mix import plot_mix_vs_targets
from portfolio_opt.plotting.roadmap import plot_roadmap
from portfolio_opt.plotting.robust import plot_core_index
from portfolio_opt.plotting.scenarios import plot_scenarios
from portfolio_opt.plotting.tornado import plot_tornado, tornado_table
from portfolio_opt.plotting.uncertainty import plot_selection_probability, plot_value_distribution
from portfolio_opt.plotting.waterline import plot_waterline

__all__ = [
    "plot_capacity",
    "plot_category_mix",
    "plot_core_index",
    "plot_frontier",
    "plot_mix_vs_targets",
    "plot_risk_frontier",
    "plot_risk_return",
    "plot_roadmap",
    "plot_scenarios",
    "plot_selection_probability",
    "plot_tornado",
    "plot_value_distribution",
    "plot_waterline",
    "tornado_table",
]
