"""The analyst's deliverable: CSV tables, PNG plots and one self-contained HTML review.

:func:`write_review` writes everything the steering group needs to review a
:class:`~portfolio_opt.selection.Selection` into one folder;
:func:`summary_text` is the short summary printed in the terminal.

The HTML page embeds its plots as base64 data URIs and its style inline: it
loads nothing from the network, needs no JavaScript, and can be mailed or
printed as it is.
"""

from __future__ import annotations

import io
import pathlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from portfolio_opt.balance import capacity_use, spend_by_period
from portfolio_opt.exceptions import InputError, describe_ids
from portfolio_opt.plotting import (
    plot_capacity,
    plot_category_mix,
    plot_frontier,
    plot_mix_vs_targets,
    plot_risk_return,
    plot_roadmap,
    plot_scenarios,
    plot_tornado,
    plot_waterline,
)
from portfolio_opt.report_html import (
    CSS,
    explanation_html,
    figure_html,
    html_table,
    number,
    percent,
    screening_html,
    section,
    selected_cost,
    sensitivity_html,
    status_text,
    summary_html,
    usage_html,
)
from portfolio_opt.solvers import Status

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Mapping

    from matplotlib.axes import Axes

    from portfolio_opt.explain import Explanation
    from portfolio_opt.robust import RobustPortfolios
    from portfolio_opt.scenarios import ScenarioComparison
    from portfolio_opt.screening import ScreeningResult
    from portfolio_opt.selection import Selection

__all__ = ["PLOT_ROWS", "summary_text", "write_review"]

#: Rows drawn in the plots of one row per project (waterline, roadmap): the ranks around the
#: waterline, the selected projects of greatest value. The tables hold every project; a bar
#: and a label each is unreadable, and takes minutes to draw, for thousands of projects.
PLOT_ROWS = 60


def summary_text(selection: Selection) -> str:
    """Summarise a selection in a few lines for the terminal.

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.selection.select`.

    Returns
    -------
    str
        Four lines: projects selected out of candidates (and how many are
        mandatory), cost against the budget, objective with bound and gap,
        solver status with solver name and solve time. No trailing newline.

    Examples
    --------
    >>> from portfolio_opt import select
    >>> from portfolio_opt.datasets import load_sample
    >>> selection = select(load_sample())
    >>> print(summary_text(selection))  # doctest: +ELLIPSIS
    Selected ... of 60 projects (4 mandatory)
    Cost ... of budget 11,000 (...% used)
    Objective ... (bound ..., gap 0.00 %)
    Status optimal - solver cbc, ... s
    """
    projects = selection.portfolio.projects
    chosen = selection.selected.reindex(projects.index).fillna(False).astype(bool)
    n_mandatory = int((chosen & projects["mandatory"].astype(bool)).sum())
    cost = selected_cost(selection)
    if selection.budget is not None and selection.budget > 0:
        budget = (f"of budget {number(selection.budget)} "
                  f"({cost / selection.budget:.1%} used)")
    elif selection.budget is not None:
        budget = f"of budget {number(selection.budget)}"
    else:
        budget = "(no total budget)"
    return "\n".join(
        [
            f"Selected {int(chosen.sum())} of {len(projects)} projects "
            f"({n_mandatory} mandatory)",
            f"Cost {number(cost)} {budget}",
            f"Objective {number(selection.objective)} "
            f"(bound {number(selection.bound)}, gap {percent(selection.gap)})",
            f"Status {status_text(selection)} - solver {selection.solver}, "
            f"{selection.solve_time:.2f} s",
        ]
    )


# ------------------------------------------------------------------- tables
def _ranking_table(selection: Selection, ranking: pd.DataFrame | None) -> pd.DataFrame:
    """Build the ranking: the caller's, completed with rank and selected, or by value."""
    projects = selection.portfolio.projects
    selected = selection.selected.reindex(projects.index).fillna(False).astype(bool)
    if ranking is None:
        table = pd.DataFrame(
            {
                "project_id": projects.index.astype(object),
                "value": selection.value.reindex(projects.index).astype(float).to_numpy(),
                "cost": projects["cost"].astype(float).to_numpy(),
                "selected": selected.to_numpy(),
            }
        )
        if "name" in projects.columns:
            table.insert(1, "name", projects["name"].to_numpy())
        table.insert(0, "rank", table["value"].rank(method="min", ascending=False))
        table = table.sort_values(["rank", "cost", "project_id"], kind="mergesort")
        table["rank"] = table["rank"].astype("Int64")
        return table.reset_index(drop=True)

    if not isinstance(ranking, pd.DataFrame):
        raise InputError(
            f"write_review: ranking must be a pandas DataFrame, got {type(ranking).__name__}; "
            "pass the table returned by the scoring step (or leave ranking out to rank by "
            "the selection's values)."
        )
    table = ranking.copy()
    if "project_id" not in table.columns:
        if table.index.name != "project_id":
            raise InputError(
                "ranking table: no 'project_id' column or index; columns found: "
                f"{', '.join(map(repr, map(str, table.columns)))}. Add a project_id column "
                "or name the index project_id."
            )
        table = table.reset_index()
    ids = table["project_id"].astype(str)
    unknown = ids[~ids.isin(projects.index)]
    if len(unknown):
        raise InputError(
            f"ranking table, column 'project_id': {describe_ids(unknown)} are not projects "
            "of the portfolio. Rank the portfolio's own projects (check for typos or "
            "projects dropped from the portfolio)."
        )
    table["project_id"] = ids.astype(object)
    if "rank" not in table.columns:
        table.insert(0, "rank", np.arange(1, len(table) + 1))
    if "selected" not in table.columns:
        table["selected"] = selected.reindex(pd.Index(ids)).to_numpy()
    first = ["rank", "project_id"]
    table = table[first + [c for c in table.columns if c not in first]]
    return table.reset_index(drop=True)


def _selection_table(selection: Selection) -> pd.DataFrame:
    """``selection.to_frame()`` with a project_id column, a category column and end periods."""
    frame = selection.to_frame()
    frame.index.name = "project_id"
    frame = frame.reset_index()
    if "category" not in frame.columns:
        frame["category"] = None
    periods = selection.portfolio.periods
    duration = selection.portfolio.projects["duration"].reindex(frame["project_id"]).to_numpy()
    end: list[object] = []
    for start, length in zip(frame["start"], duration, strict=True):
        if pd.isna(start):
            end.append(None)
        else:
            end.append(periods[int(periods.get_loc(str(start))) + int(length) - 1])
    position = frame.columns.get_loc("start") + 1
    frame.insert(int(position), "end", pd.Series(end, dtype=object))
    return frame


def _usage_table(selection: Selection) -> pd.DataFrame:
    usage = selection.usage.copy()
    table = capacity_use(selection)
    over = table["over_allocated"].stack(future_stack=True)
    keys = pd.MultiIndex.from_frame(usage[["competence", "period"]].astype(str))
    usage["over_allocated"] = over.reindex(keys).fillna(False).astype(bool).to_numpy()
    return usage


# --------------------------------------------------------------------- plots
@dataclass(frozen=True)
class _Plot:
    """One figure of the page: its file name, title, drawing and caption."""

    name: str
    title: str
    section: str
    draw: Callable[[Axes], object]
    size: tuple[float, float]
    caption: str


def _png(draw: Callable[[Axes], object], size: tuple[float, float]) -> bytes:
    """Draw on a fresh Figure (not registered with pyplot) and return the PNG bytes."""
    figure = Figure(figsize=size, layout="constrained")
    draw(figure.subplots())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def _plots(selection: Selection, ranking: pd.DataFrame, content: _Content) -> list[_Plot]:
    """List the figures of the page, in order, each tagged with its section."""
    n_comp = len(pd.unique(selection.usage["competence"]))
    n_periods = len(selection.portfolio.periods)
    projects = selection.portfolio.projects
    n_cat = projects["category"].nunique(dropna=False) if "category" in projects else 1
    n_selected = int(selection.selected.sum())
    n_rows = min(len(ranking), PLOT_ROWS)
    n_bars = min(n_selected, PLOT_ROWS)
    order = ranking["project_id"].astype(str).tolist()
    plots = [
        _Plot("waterline", "Waterline", "ranking",
              lambda ax: plot_waterline(selection, order, ax=ax, max_rows=PLOT_ROWS),
              (9.0, max(4.0, 1.5 + 0.16 * n_rows)),
              "Projects in rank order with their cost; the line is where the budget runs out "
              "in rank order, filled bars are the projects the optimiser funds."
              + (f" The {PLOT_ROWS} ranks around the line are drawn; every rank is in "
                 "ranking.csv." if len(ranking) > PLOT_ROWS else "")),
        _Plot("roadmap", "Roadmap", "selected",
              lambda ax: plot_roadmap(selection, ax=ax, top=PLOT_ROWS),
              (max(7.0, 2.5 + 0.6 * n_periods), max(3.0, 1.2 + 0.28 * n_bars)),
              "Selected projects by start and duration, coloured by category; mandatory "
              "projects hatched."
              + (f" The {PLOT_ROWS} of greatest value are drawn; every selected project is "
                 "in selection.csv." if n_selected > PLOT_ROWS else "")),
        _Plot("risk_return", "Risk and return", "balance",
              lambda ax: plot_risk_return(selection, ax=ax), (8.0, 5.5),
              "Value against risk; bubble area is proportional to cost, filled bubbles "
              "are selected."),
        _Plot("category_mix", "Budget mix by category", "balance",
              lambda ax: plot_category_mix(selection, ax=ax),
              (8.0, max(3.0, 1.5 + 0.55 * n_cat)),
              "Share of the selected budget per category, beside the candidates' share."),
    ]
    if len(selection.portfolio.buckets):
        plots.append(_Plot("mix_targets", "Mix against the strategic buckets", "balance",
                           lambda ax: plot_mix_vs_targets(selection, ax=ax),
                           (8.0, max(3.0, 1.5 + 0.55 * n_cat)),
                           "Share of each bucket against its minimum and maximum; "
                           "off-target buckets are outlined in red."))
    plots.append(_Plot("capacity", "Capacity utilisation", "balance",
                       lambda ax: plot_capacity(selection, ax=ax),
                       (max(6.0, 2.0 + 0.75 * n_periods), max(3.0, 1.8 + 0.45 * n_comp)),
                       "Utilisation of each competence per period (need / in-house "
                       "capacity); * marks cells covered by hiring or substitution, red "
                       "outlines cells over capacity."))
    ranking_sens = (content.sensitivity or {}).get("ranking")
    if ranking_sens is not None and len(ranking_sens):
        plots.append(_Plot("tornado", "Weight sensitivity", "sensitivity",
                           lambda ax: plot_tornado(ranking_sens, ax=ax),
                           (8.0, max(3.0, 1.2 + 0.5 * len(ranking_sens))),
                           "How far each criterion's weight can move before the top of the "
                           "ranking changes."))
    if content.frontier is not None:
        frontier = content.frontier
        unproven = int((frontier["status"] == Status.FEASIBLE.value).sum())
        how = ("each point an exact re-solve" if not unproven else
               f"a re-solve at each; {unproven} of {len(frontier)} stopped by the time limit "
               "or gap, within their stated gap of a proven bound")
        plots.append(_Plot("frontier", "Efficient frontier", "frontier",
                           lambda ax: plot_frontier(frontier, selection, ax=ax), (8.0, 5.0),
                           f"Best value at each budget ({how}), with the chosen portfolio "
                           "marked."))
    if content.scenarios is not None:
        comparison = content.scenarios
        plots.append(_Plot("scenarios", "Scenarios", "scenarios",
                           lambda ax: plot_scenarios(comparison, ax=ax),
                           (8.0, max(3.0, 1.5 + 0.5 * len(comparison.summary))),
                           "Value of the best portfolio in each scenario against the "
                           "baseline, with the projects added and removed."))
    return plots


def _render(plots: list[_Plot]) -> dict[str, tuple[bytes | None, str]]:
    """Render every plot: name -> (PNG bytes or None, caption or the reason it is missing)."""
    out: dict[str, tuple[bytes | None, str]] = {}
    for plot in plots:
        try:
            out[plot.name] = (_png(plot.draw, plot.size), plot.caption)
        except InputError as exc:  # e.g. no risk or category column: say so in the report
            out[plot.name] = (None, str(exc))
    return out


def _hiring_table(selection: Selection) -> pd.DataFrame | None:
    hiring = getattr(selection, "hiring", None)
    capacity = selection.portfolio.capacity
    flexible = "flex_amount" in capacity.columns and bool((capacity["flex_amount"] > 0).any())
    if hiring is None or not flexible:
        return None  # no flexible capacity: no hiring plan to report
    return hiring[hiring["hired"] > 0].reset_index(drop=True)


@dataclass(frozen=True)
class _Content:
    """What the caller computed besides the selection (each part optional)."""

    screening: ScreeningResult | None = None
    sensitivity: Mapping[str, pd.DataFrame] | None = None
    explanation: Explanation | None = None
    frontier: pd.DataFrame | None = None
    scenarios: ScenarioComparison | None = None
    robust: RobustPortfolios | None = None


def _frontier_table(frontier: pd.DataFrame) -> pd.DataFrame:
    table = frontier.drop(columns=[c for c in ("selected",) if c in frontier.columns])
    return table.reset_index(drop=True)


def _page(selection: Selection, ranking: pd.DataFrame, chosen: pd.DataFrame,
          plots: list[_Plot], images: dict[str, tuple[bytes | None, str]],
          max_rows: int | None, content: _Content) -> str:
    def figures(where: str) -> str:
        return "".join(figure_html(p.name, p.title, *images[p.name])
                       for p in plots if p.section == where)

    ranking_class = ranking["selected"].map(lambda s: "selected" if s is True or s == 1 else "")
    sections = ["<h1>Portfolio review</h1>", section("Summary", summary_html(selection))]
    if content.screening is not None:
        sections.append(section("Idea screening", screening_html(content.screening, max_rows)))
    robust_note = ""
    if content.robust is not None:
        robust_note = ('<p class="note">Robustness (Robust Portfolio Modeling): the share of '
                       "the non-dominated portfolios that contain the project (core index); "
                       "core projects are in every one, exterior projects in none"
                       + ("" if content.robust.complete else
                          " &mdash; the enumeration was stopped early, so the classes are "
                          "indicative") + ".</p>")
    sections += [
        section("Ranking", robust_note
                + html_table(ranking, max_rows, "projects", "ranking.csv", ranking_class)
                + figures("ranking")),
        section("Selected portfolio",
                (html_table(chosen, max_rows, "selected projects", "selection.csv")
                 if len(chosen) else '<p class="note">No project is selected.</p>')
                + figures("selected")),
        section("Balance", figures("balance"), "plots"),
        section("Capacity use", usage_html(selection), "usage"),
    ]
    hiring = _hiring_table(selection)
    if hiring is not None:
        sections.append(section(
            "Hiring plan", '<p class="note">The least-cost flexible capacity (hire or '
            "contract) the selected portfolio needs; its cost counts in the budget.</p>"
            + (html_table(hiring, max_rows, "rows", "hiring.csv") if len(hiring)
               else '<p class="note">No hiring needed.</p>')))
    if content.explanation is not None:
        sections.append(section("Explanations",
                                explanation_html(content.explanation, max_rows)))
    if content.sensitivity:
        sections.append(section("Weight sensitivity",
                                sensitivity_html(content.sensitivity) + figures("sensitivity")))
    if content.frontier is not None:
        sections.append(section(
            "Efficient frontier", figures("frontier")
            + html_table(_frontier_table(content.frontier), max_rows, "budgets",
                         "frontier.csv")))
    if content.scenarios is not None:
        sections.append(section(
            "Scenarios", figures("scenarios")
            + html_table(content.scenarios.summary.reset_index(), max_rows, "scenarios",
                         "scenarios.csv")))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Portfolio review</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


def _with_robustness(ranking: pd.DataFrame, robust: RobustPortfolios | None) -> pd.DataFrame:
    """Add the core index and robustness class of each project to the ranking."""
    if robust is None:
        return ranking
    ids = ranking["project_id"].astype(str)
    return ranking.assign(
        core_index=robust.core_index.reindex(ids).to_numpy(dtype=float),
        robustness=robust.classes.reindex(ids).astype(object).to_numpy())


def write_review(
    selection: Selection,
    out: str | os.PathLike[str],
    *,
    ranking: pd.DataFrame | None = None,
    screening: ScreeningResult | None = None,
    sensitivity: Mapping[str, pd.DataFrame] | None = None,
    explanation: Explanation | None = None,
    frontier: pd.DataFrame | None = None,
    scenarios: ScenarioComparison | None = None,
    robust: RobustPortfolios | None = None,
    max_rows: int | None = 500,
) -> pathlib.Path:
    """Write the portfolio review (CSV tables, PNG plots, HTML page) into a folder.

    Files written into ``out`` (created if missing, files of the same name
    replaced):

    - ``ranking.csv``: the ranking (columns ``rank, project_id[, name], value,
      cost, selected`` when built here);
    - ``selection.csv``: every project with ``project_id, selected, start,
      end, cost, value, category`` and the other columns of
      ``selection.to_frame()``;
    - ``usage.csv``: ``selection.usage`` plus an ``over_allocated`` column;
    - ``spend.csv``: cost per period against the budget
      (:func:`~portfolio_opt.balance.spend_by_period`);
    - ``waterline.png``, ``roadmap.png``, ``risk_return.png``,
      ``category_mix.png``, ``capacity.png`` (and ``mix_targets.png`` when the
      portfolio has strategic buckets): the plots of
      :mod:`portfolio_opt.plotting` (a plot whose data is missing, e.g. no
      ``risk`` column, is left out and the page says why);
    - ``screening.csv`` (one row per project and gate) when ``screening`` is
      given, and ``sensitivity_<name>.csv`` for each ``sensitivity`` table;
    - ``hiring.csv`` when the portfolio has flexible capacity (the hiring plan);
    - ``explanations.csv`` and ``bottlenecks.csv`` when ``explanation`` is given;
    - ``tornado.png`` when ``sensitivity`` has a ``"ranking"`` table;
    - ``frontier.csv`` and ``frontier.png`` (the chosen portfolio marked) when
      ``frontier`` is given; ``scenarios.csv`` and ``scenarios.png`` when
      ``scenarios`` is given; ``robustness.csv`` (core index and class per
      project, also added to the ranking) when ``robust`` is given;
    - ``report.html``: one self-contained page with all of the above (images
      embedded, no network, no JavaScript, printable).

    Parameters
    ----------
    selection : Selection
        The result of :func:`~portfolio_opt.selection.select`.
    out : str or path-like
        Folder to write into.
    ranking : pandas.DataFrame, optional
        A ranking to report (for example from the scoring step), with a
        ``project_id`` column or index; ``rank`` (its order) and ``selected``
        columns are added when missing. Default: projects ranked by
        ``selection.value``, highest first (ties share the best rank).
    screening : ScreeningResult, optional
        The idea screening (:func:`~portfolio_opt.screening.screen`) that came
        before the selection: its gates and the ideas rejected, made mandatory
        or flagged are shown.
    sensitivity : mapping of str to pandas.DataFrame, optional
        Weight-sensitivity tables by name, e.g. ``{"ranking":
        ranking_sensitivity(...), "portfolio": portfolio_sensitivity(...)}``.
    explanation : Explanation, optional
        :meth:`Selection.explain` of the selection: why each project is in or
        out, and the bottlenecks.
    frontier : pandas.DataFrame, optional
        :func:`~portfolio_opt.frontier.efficient_frontier` of the portfolio.
    scenarios : ScenarioComparison, optional
        :func:`~portfolio_opt.scenarios.compare_scenarios` of the portfolio.
    robust : RobustPortfolios, optional
        :func:`~portfolio_opt.robust.robust_portfolios` of the portfolio: the
        ranking gains ``core_index`` and ``robustness`` columns.
    max_rows : int or None, default 500
        Longest table shown in the HTML page (the CSV files are complete);
        None shows everything.

    Returns
    -------
    pathlib.Path
        Path of ``report.html``.

    Raises
    ------
    InputError
        If ``ranking`` has no project ids or names projects not in the portfolio.

    Examples
    --------
    >>> from portfolio_opt import select
    >>> from portfolio_opt.datasets import load_sample
    >>> selection = select(load_sample())
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     page = write_review(selection, folder)
    ...     sorted(path.name for path in page.parent.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['capacity.png', 'category_mix.png', 'hiring.csv', 'ranking.csv', 'report.html',
     'risk_return.png', 'roadmap.png', 'selection.csv', 'spend.csv', 'usage.csv',
     'waterline.png']
    """
    folder = pathlib.Path(out)
    content = _Content(screening=screening, sensitivity=sensitivity, explanation=explanation,
                       frontier=frontier, scenarios=scenarios, robust=robust)
    ranking_table = _with_robustness(_ranking_table(selection, ranking), robust)
    selection_table = _selection_table(selection)
    usage_table = _usage_table(selection)
    spend_table = spend_by_period(selection).reset_index()
    plots = _plots(selection, ranking_table, content)
    images = _render(plots)

    folder.mkdir(parents=True, exist_ok=True)
    tables: dict[str, pd.DataFrame | None] = {
        "ranking": ranking_table, "selection": selection_table, "usage": usage_table,
        "spend": spend_table,
        "screening": None if screening is None else screening.table,
        "hiring": None if _hiring_table(selection) is None else selection.hiring,
        "explanations": None if explanation is None else explanation.projects.reset_index(),
        "bottlenecks": None if explanation is None else explanation.bottlenecks,
        "frontier": frontier,
        "scenarios": None if scenarios is None else scenarios.summary.reset_index(),
        "robustness": None if robust is None else pd.DataFrame(
            {"core_index": robust.core_index, "robustness": robust.classes}).reset_index(),
    }
    tables.update({f"sensitivity_{name}": table for name, table in (sensitivity or {}).items()})
    for name, table in tables.items():
        if table is not None:
            table.to_csv(folder / f"{name}.csv", index=False)
    for name, (png, _) in images.items():
        target = folder / f"{name}.png"
        if png is None:
            target.unlink(missing_ok=True)  # never leave a stale plot from an earlier run
        else:
            target.write_bytes(png)

    chosen = selection_table[selection_table["selected"].astype(bool)].drop(columns="selected")
    page = _page(selection, ranking_table, chosen, plots, images, max_rows, content)
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
