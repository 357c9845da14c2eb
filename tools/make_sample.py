"""Generate the bundled sample portfolio and check what binds in it.

Writes ``projects.csv``, ``demand.csv``, ``capacity.csv``, ``budget.csv``,
``relations.csv`` and ``criteria.csv`` into ``src/portfolio_opt/datasets/sample/``
(or ``--out DIR``), then solves a small throwaway PuLP model to report whether
the data does what the sample promises (see ``docs/sample-data.md``):

- the mandatory projects alone are clearly feasible,
- in the best selection (maximise the weighted criteria score) the total budget
  binds and at least three competences are at or near 100 % of capacity in
  some quarter.

The check is part of this script only; the package never imports it. The script
exits with status 1 when a promise fails, so a change to the constants below
that breaks the sample is noticed. Everything is drawn from one seeded
``numpy.random.default_rng``; running it twice writes identical files.

Usage (from the repository root)::

    python tools/make_sample.py            # write the CSVs and print the report
    python tools/make_sample.py --no-write # only print the report
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pulp

SEED = 20270101
OUT = Path(__file__).resolve().parents[1] / "src" / "portfolio_opt" / "datasets" / "sample"

PERIODS = [f"{year}-Q{q}" for year in (2027, 2028, 2029) for q in (1, 2, 3, 4)]
COMPETENCES = [
    "project_management",
    "architecture",
    "development",
    "test",
    "data",
    "ux",
    "change_management",
    "infrastructure",
]
# FTE cost of one person for one quarter (kEUR), used to turn cost into demand.
RATE_KEUR_PER_FTE_QUARTER = 25.0
# Range of a project's team size (FTE, all competences together).
TEAM_FTE = (2.5, 8.0)
# Share of the ideas without a given window that cannot start before a later quarter.
LATER_START_SHARE = 0.5

# Competence mix per kind of project: (competence, share of internal effort, profile).
# profile "flat": same FTE every quarter (demand row without offset);
# "front": heavy at the start (architecture); "back": heavy at the end (test,
# change management). Ramped rows are written with an offset.
TEMPLATES: dict[str, list[tuple[str, float, str]]] = {
    "app": [
        ("project_management", 0.12, "flat"),
        ("architecture", 0.12, "front"),
        ("development", 0.43, "flat"),
        ("test", 0.18, "back"),
        ("ux", 0.05, "flat"),
        ("change_management", 0.10, "back"),
    ],
    "data": [
        ("project_management", 0.12, "flat"),
        ("architecture", 0.12, "front"),
        ("data", 0.40, "flat"),
        ("development", 0.18, "flat"),
        ("test", 0.12, "back"),
        ("change_management", 0.06, "back"),
    ],
    "infra": [
        ("project_management", 0.12, "flat"),
        ("architecture", 0.15, "front"),
        ("infrastructure", 0.50, "flat"),
        ("test", 0.13, "back"),
        ("change_management", 0.10, "back"),
    ],
    "process": [
        ("project_management", 0.15, "flat"),
        ("change_management", 0.30, "back"),
        ("development", 0.25, "flat"),
        ("test", 0.10, "back"),
        ("ux", 0.10, "flat"),
        ("data", 0.10, "flat"),
    ],
    "web": [
        ("project_management", 0.10, "flat"),
        ("architecture", 0.08, "front"),
        ("ux", 0.20, "front"),
        ("development", 0.40, "flat"),
        ("test", 0.15, "back"),
        ("change_management", 0.07, "back"),
    ],
    "ai": [
        ("project_management", 0.10, "flat"),
        ("architecture", 0.12, "front"),
        ("data", 0.35, "flat"),
        ("development", 0.25, "flat"),
        ("test", 0.10, "back"),
        ("infrastructure", 0.08, "flat"),
    ],
}

# The 60 ideas: name, category, kind, size, mandatory, earliest start, latest start.
# Size: S ~ 200, M ~ 500, L ~ 1 200, XL ~ 2 000 kEUR (median). An earliest start of None
# is drawn (2027-Q1, or for LATER_START_SHARE of the ideas without any window a later
# quarter); a latest start of None stays empty: "whenever it still finishes in time".
IDEAS: list[tuple[str, str, str, str, bool, str | None, str | None]] = [
    # regulatory
    ("GDPR data-retention automation", "regulatory", "data", "M", True, None, "2027-Q2"),
    ("NIS2 security controls", "regulatory", "infra", "M", True, None, "2027-Q1"),
    ("E-invoicing compliance (EU ViDA)", "regulatory", "app", "M", True, "2027-Q2", "2027-Q4"),
    ("Accessibility Act web remediation", "regulatory", "web", "M", True, None, "2027-Q1"),
    ("DORA ICT incident reporting", "regulatory", "app", "M", False, None, "2027-Q3"),
    ("CSRD sustainability reporting", "regulatory", "data", "M", False, "2027-Q2", "2028-Q1"),
    ("Anti-money-laundering screening upgrade", "regulatory", "app", "L", False, None, None),
    ("Audit trail for the finance system", "regulatory", "app", "S", False, None, None),
    ("Cookie consent management", "regulatory", "web", "S", False, None, None),
    ("Records management for the archiving law", "regulatory", "process", "M", False, None, None),
    # efficiency
    ("CRM replacement", "efficiency", "app", "L", False, "2027-Q1", None),
    ("ERP finance module upgrade", "efficiency", "app", "XL", False, "2027-Q1", None),
    ("Robotic process automation for accounts payable", "efficiency", "process", "S", False,
     "2027-Q3", None),
    ("Invoice scanning with OCR", "efficiency", "app", "S", False, "2027-Q3", None),
    ("Data warehouse migration", "efficiency", "data", "L", False, "2027-Q1", None),
    ("HR self-service onboarding", "efficiency", "process", "M", False, None, None),
    ("Procurement workflow digitisation", "efficiency", "process", "M", False, None, None),
    ("Service desk tool consolidation", "efficiency", "infra", "M", False, None, None),
    ("Contract management system", "efficiency", "app", "M", False, "2028-Q1", None),
    ("Field service scheduling optimisation", "efficiency", "app", "L", False, None, None),
    ("Document management consolidation", "efficiency", "infra", "M", False, None, None),
    ("Automated test framework", "efficiency", "app", "S", False, None, None),
    ("Master data management", "efficiency", "data", "L", False, "2027-Q2", None),
    # growth
    ("Self-service customer portal", "growth", "web", "L", False, "2027-Q3", None),
    ("Mobile customer app", "growth", "web", "L", False, "2027-Q4", None),
    ("E-commerce platform relaunch", "growth", "web", "XL", False, None, None),
    ("Partner API platform", "growth", "app", "M", False, "2027-Q1", None),
    ("Subscription billing", "growth", "app", "L", False, "2027-Q2", None),
    ("Marketing automation", "growth", "data", "M", False, None, None),
    ("Customer loyalty programme", "growth", "web", "M", False, "2028-Q1", None),
    ("Online appointment booking", "growth", "web", "S", False, None, None),
    ("Multilingual website for export markets", "growth", "web", "M", False, None, "2028-Q2"),
    ("Product configurator for sales", "growth", "web", "M", False, "2027-Q3", None),
    ("Customer 360 analytics", "growth", "data", "M", False, "2027-Q4", None),
    ("Dealer portal", "growth", "web", "M", False, "2028-Q2", None),
    # innovation
    ("Machine-learning churn prediction", "innovation", "ai", "S", False, "2028-Q1", None),
    ("Chatbot for customer service", "innovation", "ai", "S", False, None, None),
    ("Demand forecasting with machine learning", "innovation", "ai", "M", False, "2027-Q3", None),
    ("IoT condition monitoring pilot", "innovation", "infra", "S", False, "2027-Q1", None),
    ("Digital twin of the production line", "innovation", "ai", "L", False, "2028-Q1", None),
    ("Generative-AI knowledge assistant", "innovation", "ai", "M", False, None, None),
    ("Supply-chain traceability pilot", "innovation", "app", "S", False, "2027-Q2", None),
    ("Computer-vision quality inspection", "innovation", "ai", "M", False, "2027-Q4", None),
    ("Voice ordering pilot", "innovation", "ai", "S", False, "2028-Q3", None),
    ("Predictive maintenance", "innovation", "ai", "M", False, "2028-Q1", None),
    # maintenance
    ("Data centre exit to the cloud", "maintenance", "infra", "XL", False, None, "2028-Q1"),
    ("Windows client upgrade", "maintenance", "infra", "M", False, None, "2027-Q3"),
    ("Network refresh", "maintenance", "infra", "L", False, None, None),
    ("Identity and access management renewal", "maintenance", "infra", "M", False, None, None),
    ("Backup and disaster recovery renewal", "maintenance", "infra", "M", False, None, None),
    ("Legacy mainframe decommissioning", "maintenance", "app", "XL", False, "2027-Q4", None),
    ("Intranet platform upgrade", "maintenance", "web", "M", False, None, None),
    ("Database version upgrades", "maintenance", "infra", "S", False, None, "2027-Q4"),
    ("E-mail and collaboration migration", "maintenance", "infra", "M", False, None, None),
    ("Cloud contact centre telephony", "maintenance", "infra", "M", False, None, None),
    ("Security operations centre setup", "maintenance", "infra", "L", False, None, None),
    ("Integration platform renewal", "maintenance", "app", "L", False, None, None),
    ("Monitoring and observability platform", "maintenance", "infra", "S", False, None, None),
    ("Payroll system upgrade", "maintenance", "app", "M", False, None, "2028-Q2"),
    ("Print and scan service consolidation", "maintenance", "process", "S", False, None, None),
]

# kind, project, other project (by name).
RELATIONS = [
    ("requires", "Self-service customer portal", "CRM replacement"),
    ("requires", "Machine-learning churn prediction", "Data warehouse migration"),
    ("requires", "Customer 360 analytics", "Data warehouse migration"),
    ("requires", "Predictive maintenance", "IoT condition monitoring pilot"),
    ("requires", "Mobile customer app", "Partner API platform"),
    ("requires", "Invoice scanning with OCR", "ERP finance module upgrade"),
    ("requires", "Security operations centre setup", "NIS2 security controls"),
    ("excludes", "Chatbot for customer service", "Generative-AI knowledge assistant"),
    ("excludes", "Document management consolidation", "Records management for the archiving law"),
    ("together", "Data centre exit to the cloud", "Backup and disaster recovery renewal"),
]

# criterion, weight, direction
CRITERIA = [
    ("strategic_fit", 0.30, "max"),
    ("financial_return", 0.25, "max"),
    ("customer_impact", 0.15, "max"),
    ("urgency", 0.15, "max"),
    ("risk", 0.15, "min"),
]

# Median cost (kEUR) by size class; the cost is drawn log-normally around it.
SIZE_KEUR = {"S": 200.0, "M": 500.0, "L": 1_200.0, "XL": 2_000.0}
# Score tendencies per category (means of the draws):
# (strategic fit, NPV per kEUR spent, customer impact, urgency, risk)
CATEGORY = {
    "regulatory": (2.5, -0.2, 2.0, 4.5, 2.0),
    "efficiency": (3.0, 0.8, 2.0, 2.5, 2.5),
    "growth": (4.0, 1.0, 4.2, 2.8, 3.0),
    "innovation": (3.5, 0.6, 3.0, 1.8, 4.2),
    "maintenance": (2.2, 0.1, 1.5, 3.2, 2.0),
}

# Capacity in FTE per competence (2027); see build_capacity for the changes over time.
CAPACITY_BASE = {
    "project_management": 7.0,
    "architecture": 5.5 ,
    "development": 16.5,
    "test": 7.5 ,
    "data": 5.0 ,
    "ux": 4.0 ,
    "change_management": 5.0 ,
    "infrastructure": 6.5,
}
# A project may start at most this many quarters after its earliest start (planning
# windows of half a year), unless the idea names an earlier latest start.
START_WINDOW = 1
# Flexible capacity the PMO may buy: contractors per quarter (FTE) and cost per FTE-quarter
# (kEUR), counted in the budget. Reported by the library as a hiring plan.
FLEX = {"development": (2.0, 45.0), "test": (1.0, 35.0), "data": (1.0, 20.0), "ux": (0.5, 40.0)}
# Total budget 2027-2029 and the annual budgets (split evenly over the quarters), kEUR.
BUDGET_TOTAL = 11_000.0
BUDGET_PER_YEAR = {2027: 5_600.0, 2028: 6_000.0, 2029: 6_000.0}


def build_projects(rng: np.random.Generator) -> pd.DataFrame:
    """Draw cost, duration and criteria scores for the 60 ideas (in a seeded order)."""
    order = rng.permutation(len(IDEAS))
    rows = []
    for number, index in enumerate(order, start=1):
        name, category, kind, size, mandatory, earliest, latest = IDEAS[index]
        fit, npv_rate, customer, urgency, risk = CATEGORY[category]
        cost = float(np.clip(np.exp(rng.normal(np.log(SIZE_KEUR[size]), 0.35)), 100.0, 3000.0))
        if mandatory:  # the compliance projects are mid-sized and must be affordable
            cost = float(np.clip(cost, 250.0, 900.0))
        cost = round(cost / 5.0) * 5.0
        # Internal effort (FTE-quarters) and a team size give the duration.
        labour_share = rng.uniform(0.55, 0.85)
        team = rng.uniform(TEAM_FTE[0], TEAM_FTE[1])
        effort = cost * labour_share / RATE_KEUR_PER_FTE_QUARTER
        duration = int(np.clip(np.ceil(effort / team), 1, 6))
        if earliest is None and latest is None and rng.random() < LATER_START_SHARE:
            # Not ready yet (funding, staffing, a predecessor): starts later.
            earliest = PERIODS[int(rng.integers(1, len(PERIODS) - duration + 1))]
        t_first = PERIODS.index(earliest) if earliest else 0
        if latest is not None:
            # A deadline: the project must still fit into the horizon.
            duration = min(duration, len(PERIODS) - PERIODS.index(latest))
        duration = min(duration, len(PERIODS) - t_first)

        def score(mean: float) -> int:
            return int(np.clip(round(rng.normal(mean, 0.9)), 1, 5))

        npv = cost * rng.normal(npv_rate, 0.5)
        rows.append(
            {
                "project_id": f"P{number:02d}",
                "name": name,
                "category": category,
                "cost": int(cost),
                "duration": duration,
                "earliest_start": earliest or PERIODS[0],
                "latest_start": latest,
                "mandatory": mandatory,
                "strategic_fit": score(fit),
                "financial_return": int(round(npv / 10.0) * 10),
                "customer_impact": score(customer),
                "urgency": 5 if mandatory else score(urgency),
                "risk": score(risk),
                "kind": kind,
                "effort": effort,
            }
        )
    return pd.DataFrame(rows)


def _profile(shape: str, duration: int) -> np.ndarray:
    """Weights per offset, summing to ``duration`` (so 1.0 means the flat level)."""
    if shape == "front":
        w = np.linspace(2.0, 1.0, duration)  # twice as much at the start as at the end
    elif shape == "back":
        w = np.linspace(1.0, 2.5, duration)  # test and go-live peak at the end
    else:
        w = np.ones(duration)
    return w / w.sum() * duration


def build_demand(projects: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Turn each project's internal share of cost into FTE by competence and quarter."""
    rows = []
    for p in projects.itertuples(index=False):
        level = p.effort / p.duration  # FTE per quarter over all competences
        for competence, share, shape in TEMPLATES[p.kind]:
            fte = level * share * rng.uniform(0.8, 1.2)
            if shape == "flat" or p.duration == 1:
                amount = max(round(fte, 1), 0.1)
                rows.append((p.project_id, competence, pd.NA, amount))
                continue
            for offset, w in enumerate(_profile(shape, p.duration)):
                amount = round(fte * w, 1)
                if amount > 0:
                    rows.append((p.project_id, competence, offset, amount))
    demand = pd.DataFrame(rows, columns=["project_id", "competence", "offset", "amount"])
    demand["offset"] = demand["offset"].astype("Int64")
    return demand


def build_capacity() -> pd.DataFrame:
    """FTE per competence and quarter: base staff, summer holidays, hires, a departure."""
    rows = []
    for competence, base in CAPACITY_BASE.items():
        for period in PERIODS:
            amount = base
            if period >= "2028-Q1" and competence == "development":
                amount += 2.0  # two developers hired for 2028
            if period >= "2028-Q3" and competence == "architecture":
                amount -= 0.5  # an architect goes part-time (planned)
            if period.endswith("Q3"):
                amount *= 0.85  # summer holidays
            if period.endswith("Q4") and competence in ("test", "change_management"):
                amount *= 0.9  # year-end freeze support and holidays
            flex_amount, flex_cost = FLEX.get(competence, (0.0, 0.0))
            rows.append((competence, period, round(amount * 2) / 2, flex_amount, flex_cost))
    return pd.DataFrame(rows, columns=["competence", "period", "amount", "flex_amount",
                                       "flex_cost"])


def build_budget() -> pd.DataFrame:
    """Total budget row plus one row per quarter (annual budget / 4)."""
    rows = [("total", int(BUDGET_TOTAL))]
    rows += [(p, int(BUDGET_PER_YEAR[int(p[:4])] / 4)) for p in PERIODS]
    return pd.DataFrame(rows, columns=["period", "amount"])


def build_relations(projects: pd.DataFrame) -> pd.DataFrame:
    """Map the named relations to project ids."""
    ids = dict(zip(projects["name"], projects["project_id"], strict=True))
    rows = [(kind, ids[a], ids[b]) for kind, a, b in RELATIONS]
    return pd.DataFrame(rows, columns=["kind", "project_id", "other_id"])


def build_criteria() -> pd.DataFrame:
    """Return the five strategic criteria with weights and directions."""
    return pd.DataFrame(CRITERIA, columns=["criterion", "weight", "direction"])


# Idea review: two ideas arrive without a business case (P58 requires P09, so the
# screening shows its cascade); six carry a legal requirement, four of them the
# mandatory regulatory projects.
NO_BUSINESS_CASE = ("P09", "P35")
LEGAL_REQUIREMENT = ("P12", "P16", "P19", "P20", "P24", "P33")
GATES = [
    ("strategic fit", "strategic_fit", ">=", "2", "reject", "strategic fit below 2"),
    ("business case", "business_case", "present", "", "reject", "no business case"),
    ("legal requirement", "legal_requirement", "true", "", "mandatory",
     "legal or regulatory requirement"),
    ("high risk", "risk", "<=", "4", "flag", "high risk (5 of 5)"),
]


def limit_windows(projects: pd.DataFrame) -> pd.DataFrame:
    """Close each start window START_WINDOW quarters after the earliest start."""
    first = projects["earliest_start"].map(PERIODS.index)
    last = len(PERIODS) - projects["duration"]
    given = projects["latest_start"].map(lambda v: PERIODS.index(v) if isinstance(v, str)
                                         else len(PERIODS))
    latest = np.minimum(np.minimum(first + START_WINDOW, last), given)
    return projects.assign(latest_start=[PERIODS[int(i)] for i in latest])


def add_review_columns(projects: pd.DataFrame) -> pd.DataFrame:
    """Add the idea-review columns ``business_case`` and ``legal_requirement``."""
    ids = projects["project_id"]
    case = ids.str.replace("P", "BC-2026-", regex=False)
    return projects.assign(
        business_case=case.where(~ids.isin(NO_BUSINESS_CASE), None),
        legal_requirement=ids.isin(LEGAL_REQUIREMENT),
    )


def build_gates() -> pd.DataFrame:
    """Return the must-pass gates of the sample's idea review."""
    return pd.DataFrame(GATES, columns=["gate", "column", "rule", "value", "action", "reason"])


def build(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Build all seven tables, deterministically from ``seed``."""
    rng = np.random.default_rng(seed)
    projects = build_projects(rng)
    demand = build_demand(projects, rng)
    return {
        "projects": add_review_columns(limit_windows(projects.drop(columns=["kind", "effort"]))),
        "demand": demand,
        "capacity": build_capacity(),
        "budget": build_budget(),
        "relations": build_relations(projects),
        "criteria": build_criteria(),
        "gates": build_gates(),
    }


# --------------------------------------------------------------------------------------
# The check: a throwaway model, independent of the package.


def weighted_score(projects: pd.DataFrame, criteria: pd.DataFrame) -> pd.Series:
    """Min-max normalise each criterion (flip 'min'), weighted sum, weights summing to 1."""
    total = pd.Series(0.0, index=projects["project_id"])
    weights = criteria.set_index("criterion")
    for name, row in weights.iterrows():
        x = projects[name].to_numpy(dtype=float)
        z = (x - x.min()) / (x.max() - x.min())
        if row["direction"] == "min":
            z = 1.0 - z
        total += row["weight"] / weights["weight"].sum() * z
    return total


def _expanded_demand(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Demand with one row per offset (rows without offset apply in every quarter)."""
    demand = tables["demand"]
    duration = tables["projects"].set_index("project_id")["duration"]
    flat = demand[demand["offset"].isna()]
    reps = duration.loc[flat["project_id"]].to_numpy()
    flat = flat.loc[flat.index.repeat(reps)].copy()
    flat["offset"] = np.concatenate([np.arange(r) for r in reps])
    out = pd.concat([demand[demand["offset"].notna()], flat], ignore_index=True)
    out["offset"] = out["offset"].astype(int)
    return out


def solve(tables: dict[str, pd.DataFrame], *, flexible: bool, only_mandatory: bool = False):
    """Maximise the weighted score subject to budget, capacity and relations.

    With ``flexible=False`` every project starts at its earliest start; with
    ``flexible=True`` the start is chosen in [earliest_start, latest_start].
    Returns (selected ids, start position by id, status, objective).
    """
    projects = tables["projects"].set_index("project_id")
    pos = {p: t for t, p in enumerate(PERIODS)}
    T = len(PERIODS)
    value = weighted_score(tables["projects"], tables["criteria"])
    demand = _expanded_demand(tables)
    budget = tables["budget"].set_index("period")["amount"]
    capacity = tables["capacity"].set_index(["competence", "period"])["amount"]

    prob = pulp.LpProblem("sample_check", pulp.LpMaximize)
    x = {p: pulp.LpVariable(f"x_{p}", cat="Binary") for p in projects.index}
    y: dict[tuple[str, int], pulp.LpVariable] = {}
    for p, row in projects.iterrows():
        es = pos[row["earliest_start"]]
        ls = pos[row["latest_start"]] if pd.notna(row["latest_start"]) else T - row["duration"]
        starts = range(es, ls + 1) if flexible else [es]
        for s in starts:
            y[p, s] = pulp.LpVariable(f"y_{p}_{s}", cat="Binary")
        prob += pulp.lpSum(y[p, s] for s in starts) == x[p], f"start_{p}"
        if only_mandatory:
            prob += x[p] == int(bool(row["mandatory"])), f"fix_{p}"
        elif row["mandatory"]:
            prob += x[p] == 1, f"mandatory_{p}"
    prob += pulp.lpSum(value[p] * x[p] for p in projects.index)

    prob += pulp.lpSum(projects.at[p, "cost"] * x[p] for p in projects.index) <= budget["total"]
    spend: dict[int, list] = {t: [] for t in range(T)}
    use: dict[tuple[str, int], list] = {}
    for (p, s), var in y.items():
        d = int(projects.at[p, "duration"])
        for t in range(s, s + d):
            spend[t].append(projects.at[p, "cost"] / d * var)
    for r in demand.itertuples(index=False):
        for (p, s), var in y.items():
            if p == r.project_id and s + r.offset < T:
                use.setdefault((r.competence, s + r.offset), []).append(r.amount * var)
    for t in range(T):
        prob += pulp.lpSum(spend[t]) <= budget[PERIODS[t]], f"budget_{t}"
    for (c, t), terms in use.items():
        prob += pulp.lpSum(terms) <= capacity[c, PERIODS[t]], f"cap_{c}_{t}"
    for r in tables["relations"].itertuples(index=False):
        a, b = x[r.project_id], x[r.other_id]
        if r.kind == "requires":
            prob += a <= b
        elif r.kind == "excludes":
            prob += a + b <= 1
        else:
            prob += a == b
    prob.solve(pulp.PULP_CBC_CMD(msg=False, gapRel=0.0, timeLimit=120))
    status = pulp.LpStatus[prob.status]
    chosen = [p for p in projects.index if (x[p].value() or 0) > 0.5]
    start = {p: s for (p, s), var in y.items() if (var.value() or 0) > 0.5}
    return chosen, start, status, pulp.value(prob.objective)


def relaxed(tables: dict[str, pd.DataFrame], *, budget: float = 1.0,
            competence: str | None = None, extra_fte: float = 0.0) -> dict[str, pd.DataFrame]:
    """Copy the tables, scaling the total budget or raising one competence's capacity."""
    out = {k: v.copy() for k, v in tables.items()}
    out["budget"]["amount"] = out["budget"]["amount"].astype(float)
    total = out["budget"]["period"] == "total"
    out["budget"].loc[total, "amount"] *= budget
    if competence is not None:
        rows = out["capacity"]["competence"] == competence
        out["capacity"].loc[rows, "amount"] += extra_fte
    return out


def usage(tables: dict[str, pd.DataFrame], start: dict[str, int]) -> tuple[pd.DataFrame, pd.Series]:
    """Utilisation per competence x quarter and spend per quarter of a schedule."""
    projects = tables["projects"].set_index("project_id")
    demand = _expanded_demand(tables)
    demand = demand[demand["project_id"].isin(list(start))].copy()
    demand["t"] = demand["project_id"].map(start) + demand["offset"]
    used = demand.groupby(["competence", "t"])["amount"].sum()
    cap = tables["capacity"].copy()
    cap["t"] = cap["period"].map({p: t for t, p in enumerate(PERIODS)})
    cap = cap.set_index(["competence", "t"])["amount"]
    util = (used.reindex(cap.index, fill_value=0.0) / cap).unstack("t")
    util.columns = PERIODS
    spend = np.zeros(len(PERIODS))
    for p, s in start.items():
        d = int(projects.at[p, "duration"])
        spend[s:s + d] += projects.at[p, "cost"] / d
    return util.loc[COMPETENCES], pd.Series(spend, index=PERIODS)


def report(tables: dict[str, pd.DataFrame]) -> bool:
    """Print what binds and return True when every promise of the sample holds."""
    ok = True
    projects = tables["projects"].set_index("project_id")
    budget = tables["budget"].set_index("period")["amount"]
    print(f"{len(projects)} projects, total cost {projects['cost'].sum():,.0f} kEUR, "
          f"cost range {projects['cost'].min():.0f}-{projects['cost'].max():.0f}, "
          f"budget {budget['total']:,.0f} ({budget['total'] / projects['cost'].sum():.0%})")

    _, start, status, _ = solve(tables, flexible=False, only_mandatory=True)
    util, spend = usage(tables, start)
    m_cost = projects.loc[list(start), "cost"].sum()
    print(f"\nMandatory only ({status}): {len(start)} projects, cost {m_cost:,.0f} kEUR "
          f"= {m_cost / budget['total']:.0%} of budget; peak utilisation "
          f"{util.max().max():.0%}; peak quarter spend/budget "
          f"{(spend / budget[PERIODS]).max():.0%}")
    ok &= status == "Optimal" and m_cost < 0.3 * budget["total"] and util.max().max() < 0.7

    for flexible in (False, True):
        chosen, start, status, objective = solve(tables, flexible=flexible)
        util, spend = usage(tables, start)
        cost = projects.loc[chosen, "cost"].sum()
        label = "start chosen in window" if flexible else "start at earliest_start"
        print(f"\nBest selection, {label} ({status}): {len(chosen)} projects, "
              f"cost {cost:,.0f} kEUR = {cost / budget['total']:.1%} of the total budget")
        print("quarter spend / budget: " + " ".join(
            f"{v:.0%}" for v in (spend / budget[PERIODS]).to_numpy()))
        print("utilisation by competence and quarter:")
        print(util.map(lambda v: f"{v:4.0%}").to_string())
        near = util[util >= 0.95].notna().sum(axis=1)
        binding = near[near > 0]
        print("competences at >= 95% in some quarter: "
              + ", ".join(f"{c} ({n} quarters)" for c, n in binding.items()))
        # Binding in the economic sense: relaxing the constraint improves the optimum.
        gain = solve(relaxed(tables, budget=1.1), flexible=flexible)[3] - objective
        print(f"objective {objective:.3f}; +10% total budget -> {gain:+.3f}")
        gains = {c: solve(relaxed(tables, competence=c, extra_fte=1.0), flexible=flexible)[3]
                 - objective for c in COMPETENCES}
        print("+1 FTE in every quarter -> " + ", ".join(
            f"{c} {g:+.3f}" for c, g in gains.items()))
        binds = [c for c in binding.index if gains[c] > 1e-6]
        print("competences that bind (near 100% and +1 FTE improves the optimum): "
              + ", ".join(binds))
        if flexible:  # the library's select chooses the start inside the window
            ok &= (status == "Optimal" and cost >= 0.97 * budget["total"] and gain > 1e-6
                   and len(binds) >= 3)
    return ok


def main(argv: list[str] | None = None) -> int:
    """Write the CSVs (unless --no-write) and print the binding report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="directory to write the CSVs to")
    parser.add_argument("--no-write", action="store_true", help="only print the report")
    args = parser.parse_args(argv)
    tables = build()
    if not args.no_write:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            frame.to_csv(args.out / f"{name}.csv", index=False, lineterminator="\n")
        print(f"wrote {', '.join(tables)} to {args.out}")
    ok = report(tables)
    print("\nall promises hold" if ok else "\nA PROMISE OF THE SAMPLE FAILS (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
