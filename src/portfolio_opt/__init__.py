"""portfolio_opt: project portfolio selection for PMOs.

Score project ideas, select the portfolio with an exact integer program, and
see whether it is balanced.
"""

from portfolio_opt import balance, datasets, plotting
from portfolio_opt.exceptions import InfeasibleError, InputError, PortfolioError, SolverError
from portfolio_opt.io import read_portfolio
from portfolio_opt.model import SelectionModel
from portfolio_opt.portfolio import Budget, Portfolio, RelationKind
from portfolio_opt.report import summary_text, write_review
from portfolio_opt.scoring import Direction, ranking, score
from portfolio_opt.selection import Selection, select
from portfolio_opt.solvers import Solver, Status

__version__ = "0.1.0"

__all__ = [
    "Budget",
    "Direction",
    "InfeasibleError",
    "InputError",
    "Portfolio",
    "PortfolioError",
    "RelationKind",
    "Selection",
    "SelectionModel",
    "Solver",
    "SolverError",
    "Status",
    "__version__",
    "balance",
    "datasets",
    "plotting",
    "ranking",
    "read_portfolio",
    "score",
    "select",
    "summary_text",
    "write_review",
]
