"""The analyst's deliverable: CSV tables, PNG plots and one self-contained HTML review.

:func:`write_review` writes everything the steering group needs to review a
:class:`~portfolio_opt.selection.Selection` into one folder;
:func:`summary_text` is the short summary printed in the terminal.

The HTML page embeds its plots as base64 data URIs and its style inline: it
loads nothing from the network, needs no JavaScript, and can be mailed or
printed as it is.
"""

from __future__ import annotations

import base64
import html
import io
import math
import pathlib
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from portfolio_opt.balance import capacity_use, spend_by_period
from portfolio_opt.exceptions import InputError, describe_ids
from portfolio_opt.plotting import plot_capacity, plot_category_mix, plot_risk_return

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Mapping

    from matplotlib.axes import Axes

    from portfolio_opt.explain import Explanation
    from portfolio_opt.screening import ScreeningResult
    from portfolio_opt.selection import Selection

__all__ = ["summary_text", "write_review"]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 2em auto; max-width: 70em; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; border-bottom: 2px solid #2171b5; padding-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; color: #08519c; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; }
th { background: #eef3f9; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.selected td { background: #e5f5e0; }
td.over { background: #fcbba1; color: #67000d; font-weight: bold; }
td.nocap { background: #eee; color: #777; }
table.summary th { width: 14em; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption, p.note { color: #555; font-size: .85em; }
.status-optimal { color: #006d2c; font-weight: bold; }
.status-other { color: #a50f15; font-weight: bold; }
@page { size: A4 landscape; margin: 10mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 9pt; }
  table { font-size: 7pt; }
  th, td { padding: .1em .3em; }
  td { overflow-wrap: anywhere; }
  td.num { white-space: nowrap; overflow-wrap: normal; }
  h2 { break-after: avoid; page-break-after: avoid; }
  figure, tr { break-inside: avoid; page-break-inside: avoid; }
  section.plots, section.usage { break-before: page; page-break-before: always; }
  thead { display: table-header-group; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  td.over, tr.selected td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


# ---------------------------------------------------------------- formatting
def _number(x: float | None) -> str:
    """Format a number for people.

    Whole numbers get thousands separators and no decimals, numbers of 100 or
    more two decimals, smaller ones four significant digits (scores 0..1).
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    x = float(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x.is_integer():
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:,.2f}"
    return f"{x:.4g}"


def _percent(x: float | None) -> str:
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    return f"{100 * float(x):.2f} %"


def _status(selection: Selection) -> str:
    status = selection.status
    return str(getattr(status, "value", status))


def _selected_cost(selection: Selection) -> float:
    projects = selection.portfolio.projects
    chosen = selection.selected.reindex(projects.index).fillna(False).astype(bool)
    return float(projects.loc[chosen.to_numpy(), "cost"].sum())


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
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio, select
    >>> projects = pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 3.0],
    ...                          "value": [5.0, 3.0, 3.0], "risk": [2.0, 1.0, 3.0],
    ...                          "category": ["growth", "run", "run"]})
    >>> demand = pd.DataFrame({"project_id": ["A", "B"], "competence": ["dev", "dev"],
    ...                        "amount": [2.0, 1.0]})
    >>> capacity = pd.DataFrame({"competence": ["dev", "dev"], "period": ["Q1", "Q2"],
    ...                          "amount": [2.0, 2.0]})
    >>> selection = select(Portfolio(projects, demand, capacity, budget=6))
    >>> print(summary_text(selection))  # doctest: +ELLIPSIS
    Selected 2 of 3 projects (0 mandatory)
    Cost 6 of budget 6 (100.0% used)
    Objective 6 (bound 6, gap 0.00 %)
    Status optimal - solver cbc, ... s
    """
    projects = selection.portfolio.projects
    chosen = selection.selected.reindex(projects.index).fillna(False).astype(bool)
    n_mandatory = int((chosen & projects["mandatory"].astype(bool)).sum())
    cost = _selected_cost(selection)
    if selection.budget is not None and selection.budget > 0:
        budget = (f"of budget {_number(selection.budget)} "
                  f"({cost / selection.budget:.1%} used)")
    elif selection.budget is not None:
        budget = f"of budget {_number(selection.budget)}"
    else:
        budget = "(no total budget)"
    return "\n".join(
        [
            f"Selected {int(chosen.sum())} of {len(projects)} projects "
            f"({n_mandatory} mandatory)",
            f"Cost {_number(cost)} {budget}",
            f"Objective {_number(selection.objective)} "
            f"(bound {_number(selection.bound)}, gap {_percent(selection.gap)})",
            f"Status {_status(selection)} - solver {selection.solver}, "
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
def _png(draw: Callable[[Axes], object], size: tuple[float, float]) -> bytes:
    """Draw on a fresh Figure (not registered with pyplot) and return the PNG bytes."""
    figure = Figure(figsize=size, layout="constrained")
    draw(figure.subplots())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def _plots(selection: Selection) -> dict[str, tuple[bytes | None, str]]:
    """Render the three plots: name -> (PNG bytes or None, caption or reason missing)."""
    n_comp = len(pd.unique(selection.usage["competence"]))
    n_periods = len(selection.portfolio.periods)
    projects = selection.portfolio.projects
    n_cat = projects["category"].nunique(dropna=False) if "category" in projects else 1
    jobs: dict[str, tuple[Callable[[Axes], object], tuple[float, float], str]] = {
        "risk_return": (
            lambda ax: plot_risk_return(selection, ax=ax), (8.0, 5.5),
            "Value against risk; bubble area is proportional to cost, filled bubbles "
            "are selected.",
        ),
        "capacity": (
            lambda ax: plot_capacity(selection, ax=ax),
            (max(6.0, 2.0 + 0.75 * n_periods), max(3.0, 1.8 + 0.45 * n_comp)),
            "Utilisation of each competence per period; red cells are over capacity.",
        ),
        "category_mix": (
            lambda ax: plot_category_mix(selection, ax=ax),
            (8.0, max(3.0, 1.5 + 0.55 * n_cat)),
            "Share of the selected budget per category, beside the candidates' share.",
        ),
    }
    out: dict[str, tuple[bytes | None, str]] = {}
    for name, (draw, size, caption) in jobs.items():
        try:
            out[name] = (_png(draw, size), caption)
        except InputError as exc:  # e.g. no risk or category column: say so in the report
            out[name] = (None, str(exc))
    return out


# ---------------------------------------------------------------------- HTML
def _cell(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return f'<td class="num">{html.escape(_number(float(value)))}</td>'
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "<td></td>"
    return f"<td>{html.escape(str(value))}</td>"


def _html_table(frame: pd.DataFrame, max_rows: int | None, what: str, csv_name: str,
                row_class: pd.Series | None = None) -> str:
    shown = frame if max_rows is None else frame.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c).replace('_', ' '))}</th>" for c in shown.columns)
    rows = []
    for i, record in enumerate(shown.itertuples(index=False, name=None)):
        css = "" if row_class is None else str(row_class.iloc[i])
        attr = f' class="{css}"' if css else ""
        rows.append(f"<tr{attr}>" + "".join(_cell(v) for v in record) + "</tr>")
    note = ""
    if len(shown) < len(frame):
        note = (f'<p class="note">Showing the first {len(shown)} of {len(frame)} {what}; '
                f"the full table is in {html.escape(csv_name)}.</p>")
    return (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            + note)


def _usage_html(selection: Selection) -> str:
    table = capacity_use(selection)
    if table.empty:
        return '<p class="note">The portfolio has no capacity table.</p>'
    used, capacity = table["used"], table["capacity"]
    utilisation, over = table["utilisation"], table["over_allocated"]
    head = "<th>competence</th>" + "".join(
        f"<th>{html.escape(str(p))}</th>" for p in used.columns)
    rows = []
    for competence in table.index:
        cells = [f"<th>{html.escape(str(competence))}</th>"]
        for period in used.columns:
            u, c = used.at[competence, period], capacity.at[competence, period]
            share = utilisation.at[competence, period]
            text = f"{_number(u)} / {_number(c)}"
            if math.isfinite(share):
                text += f" ({share:.0%})"
            elif u > 0:
                text += " (no capacity)"
            css = ("over" if over.at[competence, period]
                   else "nocap" if not math.isfinite(share) else "num")
            cells.append(f'<td class="{css}">{html.escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    n_over = int(over.to_numpy().sum())
    note = (f'<p class="note"><strong>{n_over} competence-period cells are over '
            "capacity</strong> (highlighted).</p>" if n_over
            else '<p class="note">No competence is over capacity in any period.</p>')
    return (f"<p class=\"note\">Each cell: used / capacity (utilisation).</p><table>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}")


def _summary_html(selection: Selection) -> str:
    projects = selection.portfolio.projects
    chosen = selection.selected.reindex(projects.index).fillna(False).astype(bool)
    cost = _selected_cost(selection)
    budget = selection.budget
    per_period = selection.portfolio.budget.per_period
    budget_text = "no total budget" if budget is None else _number(budget)
    if per_period is not None:
        budget_text += " (and a budget per period, see spend.csv)"
    cost_text = _number(cost)
    if budget:
        cost_text += f" ({cost / budget:.1%} of the budget)"
    status = _status(selection)
    status_class = "status-optimal" if status == "optimal" else "status-other"
    rows = [
        ("Budget", html.escape(budget_text)),
        ("Cost of the selection", html.escape(cost_text)),
        ("Objective value", html.escape(_number(selection.objective))),
        ("Best bound", html.escape(_number(selection.bound))),
        ("Projects selected", f"{int(chosen.sum())} of {len(projects)} candidates "
                              f"({int((chosen & projects['mandatory']).sum())} mandatory)"),
        ("Status", f'<span class="{status_class}">{html.escape(status)}</span>'),
        ("Gap to the bound", html.escape(_percent(selection.gap))),
        ("Solver", html.escape(str(selection.solver))),
        ("Solve time", f"{selection.solve_time:.2f} s"),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="summary"><tbody>{body}</tbody></table>'


def _figure_html(name: str, png: bytes | None, caption: str) -> str:
    title = {"risk_return": "Risk and return", "capacity": "Capacity utilisation",
             "category_mix": "Budget mix by category"}[name]
    if png is None:
        return (f"<h3>{title}</h3><p class=\"note\">Not drawn: "
                f"{html.escape(caption)}</p>")
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img alt="{html.escape(title)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)} (also in {name}.png)</figcaption></figure>")


_SENSITIVITY_TEXT = {
    "ranking": "Each criterion's weight can move within [low, high] (the other weights keep "
               "their proportions) before the order of the top-ranked projects changes; the "
               "columns name the pair that swaps at each end.",
    "portfolio": "Each criterion's weight can move within [low, high] before the optimal "
                 "portfolio changes (found exactly by re-solving the selection); the columns "
                 "name the projects that come in or go out at each end.",
}


def _screening_html(screening: ScreeningResult, max_rows: int | None) -> str:
    summary = screening.summary
    notable = summary[(summary["status"] != "kept") | (summary["flagged"].fillna("") != "")]
    return (
        f"<p>{len(screening.rejected)} of {len(summary)} ideas rejected, "
        f"{len(screening.mandatory)} mandatory, {len(screening.flagged)} flagged.</p>"
        + _html_table(screening.gates.reset_index(drop=True), None, "gates", "screening.csv")
        + "<h3>Ideas rejected, made mandatory or flagged</h3>"
        + _html_table(notable.reset_index(), max_rows, "projects", "screening.csv")
    )


def _sensitivity_html(sensitivity: Mapping[str, pd.DataFrame]) -> str:
    parts = []
    for name, table in sensitivity.items():
        text = _SENSITIVITY_TEXT.get(name, "")
        parts.append(f"<h3>{html.escape(name.capitalize())}</h3><p class=\"note\">"
                     f"{html.escape(text)}</p>"
                     + _html_table(table.reset_index(drop=True), None, "criteria",
                                   f"sensitivity_{name}.csv"))
    return "".join(parts)


def _hiring_table(selection: Selection) -> pd.DataFrame | None:
    hiring = getattr(selection, "hiring", None)
    capacity = selection.portfolio.capacity
    flexible = "flex_amount" in capacity.columns and bool((capacity["flex_amount"] > 0).any())
    if hiring is None or not flexible:
        return None  # no flexible capacity: no hiring plan to report
    return hiring[hiring["hired"] > 0].reset_index(drop=True)


def _explanation_html(explanation: Explanation, max_rows: int | None) -> str:
    projects = explanation.projects.reset_index()
    bottlenecks = explanation.bottlenecks
    if "marginal_value" in bottlenecks.columns:
        bottlenecks = bottlenecks[bottlenecks["marginal_value"].abs() > 1e-9]
    return (
        "<h3>Why each project is in or out</h3>"
        + _html_table(projects, max_rows, "projects", "explanations.csv")
        + "<h3>Bottlenecks</h3><p class=\"note\">Marginal value of one more unit of budget "
        "or of a competence in a period, from the LP relaxation of the selection model "
        "(a guide to where the constraints pinch, not an exact price for the integer "
        "portfolio).</p>"
        + (_html_table(bottlenecks.reset_index(drop=True), max_rows, "constraints",
                       "bottlenecks.csv")
           if len(bottlenecks) else "<p class=\"note\">No constraint has a positive "
                                    "marginal value.</p>")
    )


def _page(selection: Selection, ranking: pd.DataFrame, chosen: pd.DataFrame,
          plots: dict[str, tuple[bytes | None, str]], max_rows: int | None,
          screening: ScreeningResult | None = None,
          sensitivity: Mapping[str, pd.DataFrame] | None = None,
          explanation: Explanation | None = None) -> str:
    ranking_class = ranking["selected"].map(lambda s: "selected" if s is True or s == 1 else "")
    sections = [
        "<h1>Portfolio review</h1>",
        f"<section><h2>Summary</h2>{_summary_html(selection)}</section>",
    ]
    if screening is not None:
        sections.append("<section><h2>Idea screening</h2>"
                        f"{_screening_html(screening, max_rows)}</section>")
    sections += [
        "<section><h2>Ranking</h2>"
        + _html_table(ranking, max_rows, "projects", "ranking.csv", ranking_class)
        + "</section>",
        "<section><h2>Selected portfolio</h2>"
        + (_html_table(chosen, max_rows, "selected projects", "selection.csv")
           if len(chosen) else '<p class="note">No project is selected.</p>')
        + "</section>",
        '<section class="plots"><h2>Balance</h2>'
        + "".join(_figure_html(name, png, caption) for name, (png, caption) in plots.items())
        + "</section>",
        f'<section class="usage"><h2>Capacity use</h2>{_usage_html(selection)}</section>',
    ]
    hiring = _hiring_table(selection)
    if hiring is not None:
        sections.append("<section><h2>Hiring plan</h2><p class=\"note\">The least-cost "
                        "flexible capacity (hire or contract) the selected portfolio needs; "
                        "its cost counts in the budget.</p>"
                        + (_html_table(hiring, max_rows, "rows", "hiring.csv") if len(hiring)
                           else "<p class=\"note\">No hiring needed.</p>") + "</section>")
    if explanation is not None:
        sections.append("<section><h2>Explanations</h2>"
                        f"{_explanation_html(explanation, max_rows)}</section>")
    if sensitivity:
        sections.append("<section><h2>Weight sensitivity</h2>"
                        f"{_sensitivity_html(sensitivity)}</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Portfolio review</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


def write_review(
    selection: Selection,
    out: str | os.PathLike[str],
    *,
    ranking: pd.DataFrame | None = None,
    screening: ScreeningResult | None = None,
    sensitivity: Mapping[str, pd.DataFrame] | None = None,
    explanation: Explanation | None = None,
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
    - ``risk_return.png``, ``capacity.png``, ``category_mix.png``: the plots
      of :mod:`portfolio_opt.plotting` (a plot whose data is missing, e.g. no
      ``risk`` column, is left out and the page says why);
    - ``screening.csv`` (one row per project and gate) when ``screening`` is
      given, and ``sensitivity_<name>.csv`` for each ``sensitivity`` table;
    - ``hiring.csv`` when the portfolio has flexible capacity (the hiring plan);
    - ``explanations.csv`` and ``bottlenecks.csv`` when ``explanation`` is given;
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
    >>> import pandas as pd
    >>> from portfolio_opt import Portfolio, select
    >>> projects = pd.DataFrame({"project_id": ["A", "B", "C"], "cost": [4.0, 3.0, 3.0],
    ...                          "value": [5.0, 3.0, 3.0], "risk": [2.0, 1.0, 3.0],
    ...                          "category": ["growth", "run", "run"]})
    >>> demand = pd.DataFrame({"project_id": ["A", "B"], "competence": ["dev", "dev"],
    ...                        "amount": [2.0, 1.0]})
    >>> capacity = pd.DataFrame({"competence": ["dev", "dev"], "period": ["Q1", "Q2"],
    ...                          "amount": [2.0, 2.0]})
    >>> selection = select(Portfolio(projects, demand, capacity, budget=6))
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     page = write_review(selection, folder)
    ...     sorted(path.name for path in page.parent.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['capacity.png', 'category_mix.png', 'ranking.csv', 'report.html', 'risk_return.png',
     'selection.csv', 'spend.csv', 'usage.csv']
    """
    folder = pathlib.Path(out)
    ranking_table = _ranking_table(selection, ranking)
    selection_table = _selection_table(selection)
    usage_table = _usage_table(selection)
    spend_table = spend_by_period(selection).reset_index()
    plots = _plots(selection)

    folder.mkdir(parents=True, exist_ok=True)
    ranking_table.to_csv(folder / "ranking.csv", index=False)
    selection_table.to_csv(folder / "selection.csv", index=False)
    usage_table.to_csv(folder / "usage.csv", index=False)
    spend_table.to_csv(folder / "spend.csv", index=False)
    if screening is not None:
        screening.table.to_csv(folder / "screening.csv", index=False)
    for name, table in (sensitivity or {}).items():
        table.to_csv(folder / f"sensitivity_{name}.csv", index=False)
    hiring = _hiring_table(selection)
    if hiring is not None:
        selection.hiring.to_csv(folder / "hiring.csv", index=False)
    if explanation is not None:
        explanation.projects.reset_index().to_csv(folder / "explanations.csv", index=False)
        explanation.bottlenecks.to_csv(folder / "bottlenecks.csv", index=False)
    for name, (png, _) in plots.items():
        target = folder / f"{name}.png"
        if png is None:
            target.unlink(missing_ok=True)  # never leave a stale plot from an earlier run
        else:
            target.write_bytes(png)

    chosen = selection_table[selection_table["selected"].astype(bool)].drop(columns="selected")
    page = _page(selection, ranking_table, chosen, plots, max_rows, screening, sensitivity,
                 explanation)
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
