"""portfolio_opt: project portfolio selection for PMOs.

Score project ideas, select the portfolio with an exact integer program, and
see whether it is balanced.
"""

from portfolio_opt.exceptions import InfeasibleError, InputError, PortfolioError, SolverError
from portfolio_opt.portfolio import Budget, Portfolio, RelationKind

__version__ = "0.1.0"

__all__ = [
    "Budget",
    "InfeasibleError",
    "InputError",
    "Portfolio",
    "PortfolioError",
    "RelationKind",
    "SolverError",
    "__version__",
]
