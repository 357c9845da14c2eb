"""HTML building blocks of the review page (formatting, tables, figures, sections).

Used by :mod:`portfolio_opt.report`; everything here returns HTML text escaped
for the page, nothing is written to disk.
"""

from __future__ import annotations

import base64
import html
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portfolio_opt.balance import capacity_use

if TYPE_CHECKING:
    from collections.abc import Mapping

    from portfolio_opt.explain import Explanation
    from portfolio_opt.screening import ScreeningResult
    from portfolio_opt.selection import Selection

__all__ = ["CSS", "cell", "explanation_html", "figure_html", "html_table", "number", "percent",
           "screening_html", "section", "selected_cost", "sensitivity_html", "status_text",
           "summary_html", "usage_html"]

CSS = """
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
  figure img { max-height: 180mm; width: auto; max-width: 100%; }
  section.plots, section.usage { break-before: page; page-break-before: always; }
  thead { display: table-header-group; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  td.over, tr.selected td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""



def number(x: float | None) -> str:
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


def percent(x: float | None) -> str:
    """Format a share (0.0123 -> ``1.23 %``); ``n/a`` when missing."""
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    return f"{100 * float(x):.2f} %"


def status_text(selection: Selection) -> str:
    """Return the selection's status as text (``optimal``, ``feasible``, ...)."""
    status = selection.status
    return str(getattr(status, "value", status))


def selected_cost(selection: Selection) -> float:
    """Return the total cost of the selected projects."""
    projects = selection.portfolio.projects
    chosen = selection.selected.reindex(projects.index).fillna(False).astype(bool)
    return float(projects.loc[chosen.to_numpy(), "cost"].sum())


def section(title: str, body: str, css_class: str | None = None) -> str:
    """Wrap ``body`` (HTML) in a ``<section>`` with an escaped ``<h2>`` title."""
    attr = f' class="{css_class}"' if css_class else ""
    return f"<section{attr}><h2>{html.escape(title)}</h2>{body}</section>"


def cell(value: object) -> str:
    """Render one table cell: numbers right-aligned, booleans as yes/no, missing empty."""
    if isinstance(value, (bool, np.bool_)):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return f'<td class="num">{html.escape(number(float(value)))}</td>'
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "<td></td>"
    return f"<td>{html.escape(str(value))}</td>"


def html_table(frame: pd.DataFrame, max_rows: int | None, what: str, csv_name: str,
                row_class: pd.Series | None = None) -> str:
    """Render ``frame`` as a table of at most ``max_rows`` rows, pointing to the CSV."""
    shown = frame if max_rows is None else frame.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c).replace('_', ' '))}</th>" for c in shown.columns)
    rows = []
    for i, record in enumerate(shown.itertuples(index=False, name=None)):
        css = "" if row_class is None else str(row_class.iloc[i])
        attr = f' class="{css}"' if css else ""
        rows.append(f"<tr{attr}>" + "".join(cell(v) for v in record) + "</tr>")
    note = ""
    if len(shown) < len(frame):
        note = (f'<p class="note">Showing the first {len(shown)} of {len(frame)} {what}; '
                f"the full table is in {html.escape(csv_name)}.</p>")
    return (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            + note)


def usage_html(selection: Selection) -> str:
    """Render the competence x period table of use against capacity."""
    table = capacity_use(selection)
    if table.empty:
        return '<p class="note">The portfolio has no capacity table.</p>'
    used, capacity = table["used"], table["capacity"]
    utilisation, over = table["utilisation"], table["over_allocated"]
    supported = table["supported"]
    head = "<th>competence</th>" + "".join(
        f"<th>{html.escape(str(p))}</th>" for p in used.columns)
    rows = []
    for competence in table.index:
        cells = [f"<th>{html.escape(str(competence))}</th>"]
        for period in used.columns:
            u, c = used.at[competence, period], capacity.at[competence, period]
            share = utilisation.at[competence, period]
            text = f"{number(u)} / {number(c)}"
            if math.isfinite(share):
                text += f" ({share:.0%})"
            elif u > 0:
                text += " (no capacity)"
            if supported.at[competence, period]:
                text += " *"
            css = ("over" if over.at[competence, period]
                   else "nocap" if not math.isfinite(share) else "num")
            cells.append(f'<td class="{css}">{html.escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    n_over = int(over.to_numpy().sum())
    note = (f'<p class="note"><strong>{n_over} competence-period cells are over '
            "capacity</strong> (highlighted).</p>" if n_over
            else '<p class="note">No competence is over capacity in any period.</p>')
    return (f"<p class=\"note\">Each cell: used / capacity (utilisation); * hiring or "
            "another competence supplies part of the need.</p><table>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}")


def summary_html(selection: Selection) -> str:
    """Render the summary table: budget, cost, objective, bound, status, gap, solver."""
    projects = selection.portfolio.projects
    chosen = selection.selected.reindex(projects.index).fillna(False).astype(bool)
    cost = selected_cost(selection)
    budget = selection.budget
    per_period = selection.portfolio.budget.per_period
    budget_text = "no total budget" if budget is None else number(budget)
    if per_period is not None:
        budget_text += " (and a budget per period, see spend.csv)"
    cost_text = number(cost)
    if budget:
        cost_text += f" ({cost / budget:.1%} of the budget)"
    status = status_text(selection)
    status_class = "status-optimal" if status == "optimal" else "status-other"
    rows = [
        ("Budget", html.escape(budget_text)),
        ("Cost of the selection", html.escape(cost_text)),
        ("Objective value", html.escape(number(selection.objective))),
        ("Best bound", html.escape(number(selection.bound))),
        ("Projects selected", f"{int(chosen.sum())} of {len(projects)} candidates "
                              f"({int((chosen & projects['mandatory']).sum())} mandatory)"),
        ("Status", f'<span class="{status_class}">{html.escape(status)}</span>'),
        ("Gap to the bound", html.escape(percent(selection.gap))),
        ("Solver", html.escape(str(selection.solver))),
        ("Solve time", f"{selection.solve_time:.2f} s"),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="summary"><tbody>{body}</tbody></table>'


def figure_html(name: str, title: str, png: bytes | None, caption: str) -> str:
    """Embed a PNG as a data URI with its caption, or say why it was not drawn."""
    if png is None:
        return (f"<h3>{html.escape(title)}</h3><p class=\"note\">Not drawn: "
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


def screening_html(screening: ScreeningResult, max_rows: int | None) -> str:
    """Render the gates and the ideas rejected, made mandatory or flagged."""
    summary = screening.summary
    notable = summary[(summary["status"] != "kept") | (summary["flagged"].fillna("") != "")]
    return (
        f"<p>{len(screening.rejected)} of {len(summary)} ideas rejected, "
        f"{len(screening.mandatory)} mandatory, {len(screening.flagged)} flagged.</p>"
        + html_table(screening.gates.reset_index(drop=True), None, "gates", "screening.csv")
        + "<h3>Ideas rejected, made mandatory or flagged</h3>"
        + html_table(notable.reset_index(), max_rows, "projects", "screening.csv")
    )


def sensitivity_html(sensitivity: Mapping[str, pd.DataFrame]) -> str:
    """Render each weight-sensitivity table with a sentence on how to read it."""
    parts = []
    for name, table in sensitivity.items():
        text = _SENSITIVITY_TEXT.get(name, "")
        if "exact" in table.columns and not table["exact"].astype(bool).all():
            n_est = int((~table["exact"].astype(bool)).sum())
            text += (f" Not certified: for {n_est} of {len(table)} criteria a re-solve was "
                     "not proven optimal (a time limit or gap; exact = False), so those "
                     "intervals are estimates: a portfolio the solver did not prove optimal "
                     "can be beaten right beside the current weight. Re-run without a time "
                     "limit, or with more time, to certify them.")
        parts.append(f"<h3>{html.escape(name.capitalize())}</h3><p class=\"note\">"
                     f"{html.escape(text)}</p>"
                     + html_table(table.reset_index(drop=True), None, "criteria",
                                   f"sensitivity_{name}.csv"))
    return "".join(parts)


def explanation_html(explanation: Explanation, max_rows: int | None) -> str:
    """Render why each project is in or out, and the bottlenecks (LP duals)."""
    projects = explanation.projects.reset_index()
    bottlenecks = explanation.bottlenecks
    if "marginal_value" in bottlenecks.columns:
        bottlenecks = bottlenecks[bottlenecks["marginal_value"].abs() > 1e-9]
    return (
        "<h3>Why each project is in or out</h3>"
        + html_table(projects, max_rows, "projects", "explanations.csv")
        + "<h3>Bottlenecks</h3><p class=\"note\">Marginal value of one more unit of budget "
        "or of a competence in a period, from the LP relaxation of the selection model "
        "(a guide to where the constraints pinch, not an exact price for the integer "
        "portfolio).</p>"
        + (html_table(bottlenecks.reset_index(drop=True), max_rows, "constraints",
                       "bottlenecks.csv")
           if len(bottlenecks) else "<p class=\"note\">No constraint has a positive "
                                    "marginal value.</p>")
    )


