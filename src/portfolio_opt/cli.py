"""The ``portfolio-opt`` command line.

Exit codes a script can rely on: 0 success; 1 invalid input (every problem is
printed); 2 bad command-line usage; 3 no portfolio satisfies the constraints;
4 the solver failed or found no portfolio in the time allowed.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor

from portfolio_opt.exceptions import InfeasibleError, InputError, SolverError

__all__ = ["main"]

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 1, 2, 3, 4


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portfolio-opt",
        description="Select and balance a project portfolio: scores project ideas, chooses "
                    "the portfolio of greatest value that fits the budget and the competence "
                    "capacity, and writes a review.",
        epilog="Exit codes: 0 success, 1 invalid input, 2 usage error, 3 no feasible "
               "portfolio, 4 solver failure or no portfolio found in time.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    review = sub.add_parser(
        "review",
        help="run a whole portfolio review and write CSV tables, plots and an HTML report",
        description="Screen the project ideas by the must-pass gates (when a gates table is "
                    "given), score and rank them, select the portfolio, analyse how sensitive "
                    "ranking and portfolio are to the criteria weights, and write "
                    "ranking.csv, selection.csv, usage.csv, spend.csv, screening.csv, "
                    "sensitivity_*.csv, the balance plots (PNG) and a self-contained "
                    "report.html into the output folder.",
    )
    src = review.add_mutually_exclusive_group(required=True)
    src.add_argument("path", nargs="?", help="folder of CSV files or an .xlsx workbook with "
                     "the tables projects, demand, capacity, budget, relations, criteria")
    src.add_argument("--sample", action="store_true",
                     help="use the sample portfolio shipped with the library")
    review.add_argument("--out", required=True, help="output folder (created if missing)")
    review.add_argument("--value", default=None,
                        help="projects column to maximise (default: the criteria score when "
                             "a criteria table is given, else the 'value' column)")
    review.add_argument("--budget", type=float, default=None,
                        help="total budget, replacing the one in the data")
    review.add_argument("--solver", choices=["cbc", "highs"], default="cbc",
                        help="MILP solver (default cbc, bundled with PuLP; highs needs "
                             "pip install 'portfolio_opt[highs]')")
    review.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                        help="wall-clock seconds for each solve (building included): the "
                             "best portfolio found in time, reported as feasible with its "
                             "gap to a proven bound unless proven optimal. The selection "
                             "and every solve of the analyses (sensitivity, frontier, "
                             "scenarios, robustness) get this limit; a review of thousands "
                             "of projects makes several dozen solves (--workers runs the "
                             "analyses' solves in parallel)")
    review.add_argument("--gap", type=float, default=None,
                        help="relative optimality gap at which to stop (default 0: prove "
                             "optimality)")
    for flag, text in (
        ("--no-screening", "ignore the gates table (gates.csv or sheet 'gates'); by default "
                           "ideas are screened by it before they are ranked"),
        ("--no-explain", "skip the explanations (why each project is in or out) and the "
                         "bottleneck table (an LP relaxation)"),
        ("--no-sensitivity", "skip the weight-sensitivity analysis (it re-solves the "
                             "selection a few times per criterion)"),
        ("--no-frontier", "skip the efficient frontier (one re-solve per budget)"),
        ("--no-scenarios", "skip the standard what-if scenarios (budget cut, cost overrun, "
                           "loss of capacity in the busiest competence)"),
        ("--no-robust", "skip the robustness classes (Robust Portfolio Modeling over the "
                        "criteria weights, when there is a criteria table)"),
    ):
        review.add_argument(flag, action="store_true", help=text)
    review.add_argument("--excel", default=None, metavar="FILE.xlsx",
                        help="also write the results to an Excel workbook")
    _parallel_options(review)
    template = sub.add_parser("template", help="write an Excel input workbook to fill in",
                              description="Write an .xlsx workbook with one sheet per input "
                                          "table, a description of every column and an "
                                          "example; read it back with `portfolio-opt review "
                                          "FILE.xlsx`.")
    template.add_argument("file", metavar="FILE.xlsx", help="workbook to write")
    template.add_argument("--sample", action="store_true",
                          help="fill the sheets with the sample portfolio instead of the "
                               "small example")
    frontier = sub.add_parser("frontier", help="compute the efficient frontier (best value "
                              "at each budget) and write it as CSV and PNG",
                              description="Solve the selection exactly at each budget and "
                                          "write frontier.csv and frontier.png (the portfolio "
                                          "at the data's budget marked) into the output "
                                          "folder.")
    fsrc = frontier.add_mutually_exclusive_group(required=True)
    fsrc.add_argument("path", nargs="?", help="folder of CSV files or an .xlsx workbook")
    fsrc.add_argument("--sample", action="store_true", help="use the sample portfolio")
    frontier.add_argument("--out", required=True, help="output folder (created if missing)")
    frontier.add_argument("--budgets", default=None, metavar="B1,B2,...",
                          help="comma-separated total budgets (default: a grid from the "
                               "mandatory projects' cost to the spend that no budget raises)")
    frontier.add_argument("--value", default=None, help="projects column to maximise")
    frontier.add_argument("--solver", choices=["cbc", "highs"], default="cbc")
    frontier.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                          help="wall-clock seconds per solve (best portfolio found in time)")
    _parallel_options(frontier)
    validate = sub.add_parser("validate", help="check a folder or workbook and print every "
                              "problem at once")
    validate.add_argument("path", help="folder of CSV files or an .xlsx workbook")
    return parser


def _parallel_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="run the many-solve analyses on N worker processes (default 1: "
                             "in this process)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bars (shown on a terminal for the many-solve "
                             "analyses)")


def _progress(args: argparse.Namespace) -> bool:
    """Show progress bars on a terminal unless --no-progress."""
    return not args.no_progress and sys.stderr.isatty()


@contextlib.contextmanager
def _executor(args: argparse.Namespace) -> Iterator[Executor | None]:
    if args.workers < 1:
        raise InputError(f"--workers must be at least 1, got {args.workers}.")
    if args.workers == 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        yield pool


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit code (see the module documentation).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        command = {"review": _review, "template": _template, "frontier": _frontier,
                   "validate": _validate}[args.command]
        return command(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except InfeasibleError as exc:
        print(f"infeasible: {exc}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except SolverError as exc:
        print(f"solver error: {exc}", file=sys.stderr)
        return EXIT_SOLVER


def _load(args: argparse.Namespace):  # noqa: ANN202 - returns a Portfolio
    from portfolio_opt.datasets import load_sample
    from portfolio_opt.io import read_portfolio

    return load_sample() if getattr(args, "sample", False) else read_portfolio(args.path)


def _review(args: argparse.Namespace) -> int:
    from portfolio_opt.datasets import load_sample_gates
    from portfolio_opt.io import read_gates
    from portfolio_opt.report import summary_text, write_review
    from portfolio_opt.scoring import ranking
    from portfolio_opt.screening import screen
    from portfolio_opt.selection import select
    from portfolio_opt.sensitivity import portfolio_sensitivity, ranking_sensitivity
    from portfolio_opt.solvers import Status

    if args.excel:  # before any work: a missing openpyxl or folder is said at once
        from portfolio_opt.excel import check_writable

        check_writable(args.excel, "--excel")
    portfolio = _load(args)
    gates = load_sample_gates() if args.sample else read_gates(args.path)
    screening = None
    if gates is not None and not args.no_screening:
        screening = screen(portfolio, gates)
        portfolio = screening.portfolio
        print(f"Screening: {len(screening.rejected)} ideas rejected, "
              f"{len(screening.mandatory)} mandatory, {len(screening.flagged)} flagged")
    rank = None
    value = args.value
    if value is None and portfolio.criteria is not None:
        rank = ranking(portfolio)
        value = rank["score"]
    solve = dict(solver=args.solver, time_limit=args.time_limit, gap=args.gap)
    selection = select(portfolio, value, budget=args.budget, **solve)
    print(summary_text(selection))
    explanation = None if args.no_explain else selection.explain()
    progress = _progress(args)
    sensitivity = None
    with _executor(args) as executor:
        many = dict(executor=executor, progress=progress, **solve)
        if rank is not None and not args.no_sensitivity:
            sensitivity = {
                "ranking": ranking_sensitivity(portfolio, top_k=min(10, len(portfolio))),
                "portfolio": portfolio_sensitivity(portfolio, budget=args.budget, **many),
            }
        frontier = None if args.no_frontier else _review_frontier(portfolio, value, selection,
                                                                  many)
        scenarios = None if args.no_scenarios else _review_scenarios(portfolio, value,
                                                                     selection, many)
        robust = None
        if not args.no_robust and portfolio.criteria is not None:
            robust = _review_robust(portfolio, args.budget, many)
    out = write_review(selection, args.out, ranking=rank, screening=screening,
                       sensitivity=sensitivity, explanation=explanation, frontier=frontier,
                       scenarios=scenarios, robust=robust)
    if args.excel:
        from portfolio_opt.excel import write_results

        write_results(selection, args.excel, explanation=explanation, frontier=frontier,
                      ranking=rank, screening=screening, sensitivity=sensitivity)
        print(f"results written to {args.excel}")
    print(f"review written to {out}")
    if selection.status is Status.NOT_SOLVED:
        return EXIT_SOLVER
    return EXIT_OK


#: Budgets of the review's frontier, as shares of the selection's budget.
REVIEW_FRONTIER_SHARES = (0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3)


def _review_frontier(portfolio, value, selection, many):  # noqa: ANN001, ANN202
    from portfolio_opt.frontier import efficient_frontier

    if selection.budget is None:
        return efficient_frontier(portfolio, value, **many)
    budgets = [share * selection.budget for share in REVIEW_FRONTIER_SHARES]
    return efficient_frontier(portfolio, value, budgets, **many)


def _review_scenarios(portfolio, value, selection, many):  # noqa: ANN001, ANN202
    """Budget cut by 10 %, costs 15 % over, and the busiest competence losing a fifth."""
    from portfolio_opt.balance import capacity_use
    from portfolio_opt.scenarios import Scenario, compare_scenarios

    scenarios = [Scenario("costs +15 %", cost_overrun=1.15)]
    if selection.budget is not None:
        scenarios.insert(0, Scenario("budget -10 %", budget=0.9 * selection.budget))
    use = capacity_use(selection)
    if not use.empty:
        busiest = str(use["utilisation"].replace(float("inf"), float("nan")).max(axis=1)
                      .idxmax())
        scenarios.append(Scenario(f"{busiest} -20 %", capacity={busiest: 0.8}))
    options = dict(many)
    if selection.budget is not None:
        portfolio = portfolio.replace(budget=_with_total(portfolio, selection.budget))
    return compare_scenarios(portfolio, scenarios, value, **options)


def _with_total(portfolio, total):  # noqa: ANN001, ANN202
    from portfolio_opt.portfolio import Budget

    return Budget(total=total, per_period=portfolio.budget.per_period)


def _review_robust(portfolio, budget, many):  # noqa: ANN001, ANN202
    """Robustness classes over the criteria weights ordered as in the criteria table.

    ``many``: the solve options with the review's executor and progress (``--workers``).

    The exact enumeration of every non-dominated portfolio takes minutes on a portfolio of
    the sample's size, so the review screens with solves at interior weights (``method=
    "weights"``): every portfolio it finds is non-dominated, some may be missed, and the
    result says so (``complete`` is False; the report labels the classes indicative).
    """
    from portfolio_opt.robust import robust_portfolios

    return robust_portfolios(portfolio, ranking="weights", method="weights", budget=budget,
                             **many)


def _template(args: argparse.Namespace) -> int:
    from portfolio_opt.excel import write_template

    if args.sample:
        from portfolio_opt.datasets import load_sample, load_sample_gates

        path = write_template(args.file, portfolio=load_sample(), gates=load_sample_gates())
    else:
        path = write_template(args.file)
    print(f"template written to {path}")
    return EXIT_OK


def _frontier(args: argparse.Namespace) -> int:
    import pathlib

    from matplotlib.figure import Figure

    from portfolio_opt.frontier import efficient_frontier
    from portfolio_opt.plotting import plot_frontier
    from portfolio_opt.selection import select

    portfolio = _load(args)
    budgets = None
    if args.budgets:
        try:
            budgets = [float(b) for b in args.budgets.split(",") if b.strip()]
        except ValueError:
            raise InputError(f"--budgets must be comma-separated numbers, got "
                             f"{args.budgets!r}.") from None
    solve = dict(solver=args.solver, time_limit=args.time_limit)
    with _executor(args) as executor:
        table = efficient_frontier(portfolio, args.value, budgets, executor=executor,
                                   progress=_progress(args), **solve)
    chosen = None
    if portfolio.budget.total is not None:
        try:
            chosen = select(portfolio, args.value, diagnose=False, **solve)
        except InfeasibleError:
            chosen = None
    folder = pathlib.Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    table.to_csv(folder / "frontier.csv", index=False)
    figure = Figure(figsize=(8, 5), layout="constrained")
    plot_frontier(table, chosen, ax=figure.subplots())
    figure.savefig(folder / "frontier.png", dpi=110)
    shown = table.drop(columns=["selected"])
    print(shown.to_string(index=False))
    print(f"frontier written to {folder / 'frontier.csv'} and {folder / 'frontier.png'}")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    portfolio = _load(args)
    print(f"ok: {portfolio!r}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
