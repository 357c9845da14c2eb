"""The ``portfolio-opt`` command line.

Exit codes a script can rely on: 0 success; 1 invalid input (every problem is
printed); 2 bad command-line usage; 3 no portfolio satisfies the constraints;
4 the solver failed or found no portfolio in the time allowed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

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
                        help="stop the solver after this many seconds; the answer is then "
                             "reported as feasible with its gap unless proven optimal")
    review.add_argument("--gap", type=float, default=None,
                        help="relative optimality gap at which to stop (default 0: prove "
                             "optimality)")
    review.add_argument("--no-screening", action="store_true",
                        help="ignore the gates table (gates.csv or sheet 'gates'); by default "
                             "ideas are screened by it before they are ranked")
    review.add_argument("--no-explain", action="store_true",
                        help="skip the explanations (why each project is in or out) and the "
                             "bottleneck table (an LP relaxation)")
    review.add_argument("--no-sensitivity", action="store_true",
                        help="skip the weight-sensitivity analysis (it re-solves the selection "
                             "a few times per criterion)")
    validate = sub.add_parser("validate", help="check a folder or workbook and print every "
                              "problem at once")
    validate.add_argument("path", help="folder of CSV files or an .xlsx workbook")
    return parser


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
        if args.command == "review":
            return _review(args)
        return _validate(args)
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
    options = dict(budget=args.budget, solver=args.solver, time_limit=args.time_limit,
                   gap=args.gap)
    selection = select(portfolio, value, **options)
    sensitivity = None
    if rank is not None and not args.no_sensitivity:
        sensitivity = {
            "ranking": ranking_sensitivity(portfolio, top_k=min(10, len(portfolio))),
            "portfolio": portfolio_sensitivity(portfolio, **options),
        }
    explanation = None if args.no_explain else selection.explain()
    out = write_review(selection, args.out, ranking=rank, screening=screening,
                       sensitivity=sensitivity, explanation=explanation)
    print(summary_text(selection))
    print(f"review written to {out}")
    if selection.status is Status.NOT_SOLVED:
        return EXIT_SOLVER
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    portfolio = _load(args)
    print(f"ok: {portfolio!r}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
