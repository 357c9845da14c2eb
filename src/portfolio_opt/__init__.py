"""portfolio_opt: project portfolio selection for PMOs.

Score project ideas, select the portfolio with an exact integer program, and
see whether it is balanced.
"""

from portfolio_opt import (
    balance,
    datasets,
    excel,
    parallel,
    plotting,
    screening,
    sensitivity,
    weighting,
)
from portfolio_opt.ahp import (
    AHPHierarchy,
    AHPResult,
    GroupAHPResult,
    ahp,
    ahp_hierarchy,
    group_ahp,
    verbal_scale,
)
from portfolio_opt.alternatives import Alternatives, alternative_portfolios
from portfolio_opt.criteria import MissingPolicy, Normalisation, ValueFunction
from portfolio_opt.diagnose import Diagnosis, diagnose
from portfolio_opt.excel import column_descriptions, write_results, write_template
from portfolio_opt.exceptions import InfeasibleError, InputError, PortfolioError, SolverError
from portfolio_opt.explain import Explanation, explain
from portfolio_opt.frontier import (
    FrontierPosition,
    efficient_frontier,
    frontier_position,
    risk_frontier,
)
from portfolio_opt.io import read_gates, read_portfolio
from portfolio_opt.model import SelectionModel
from portfolio_opt.portfolio import Budget, Portfolio, RelationKind
from portfolio_opt.rank_reversal import rank_reversal_check
from portfolio_opt.report import summary_text, write_review
from portfolio_opt.robust import RobustPortfolios, robust_portfolios, weight_extreme_points
from portfolio_opt.scenarios import Scenario, ScenarioComparison, compare_scenarios
from portfolio_opt.scoring import (
    Direction,
    criteria_summary,
    leaf_weights,
    normalised,
    ranking,
    score,
)
from portfolio_opt.screening import ScreeningResult, screen
from portfolio_opt.selection import Selection, select
from portfolio_opt.sensitivity import portfolio_sensitivity, ranking_sensitivity, weight_to_flip
from portfolio_opt.solvers import Solver, Status
from portfolio_opt.uncertainty import (
    Distribution,
    DurationEffect,
    SelectionProbability,
    Simulation,
    project_ranges,
    selection_probability,
    simulate,
)
from portfolio_opt.weighting import (
    WeightScale,
    direct_points,
    hierarchy_weights,
    rank_order_centroid,
    swing_weights,
)

__version__ = "0.1.0"

__all__ = [
    "AHPHierarchy",
    "AHPResult",
    "Alternatives",
    "Budget",
    "Diagnosis",
    "Direction",
    "Distribution",
    "DurationEffect",
    "Explanation",
    "FrontierPosition",
    "GroupAHPResult",
    "InfeasibleError",
    "InputError",
    "MissingPolicy",
    "Normalisation",
    "Portfolio",
    "PortfolioError",
    "RelationKind",
    "RobustPortfolios",
    "Scenario",
    "ScenarioComparison",
    "ScreeningResult",
    "Selection",
    "SelectionModel",
    "SelectionProbability",
    "Simulation",
    "Solver",
    "SolverError",
    "Status",
    "ValueFunction",
    "WeightScale",
    "__version__",
    "ahp",
    "ahp_hierarchy",
    "alternative_portfolios",
    "balance",
    "column_descriptions",
    "compare_scenarios",
    "criteria_summary",
    "datasets",
    "diagnose",
    "direct_points",
    "efficient_frontier",
    "excel",
    "explain",
    "frontier_position",
    "group_ahp",
    "hierarchy_weights",
    "leaf_weights",
    "normalised",
    "parallel",
    "plotting",
    "portfolio_sensitivity",
    "project_ranges",
    "rank_order_centroid",
    "rank_reversal_check",
    "ranking",
    "ranking_sensitivity",
    "read_gates",
    "read_portfolio",
    "risk_frontier",
    "robust_portfolios",
    "score",
    "screen",
    "screening",
    "select",
    "selection_probability",
    "sensitivity",
    "simulate",
    "summary_text",
    "swing_weights",
    "verbal_scale",
    "weight_extreme_points",
    "weight_to_flip",
    "weighting",
    "write_results",
    "write_review",
    "write_template",
]
