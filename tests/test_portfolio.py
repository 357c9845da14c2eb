import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_opt import Budget, InputError, Portfolio
from portfolio_opt.exceptions import describe_ids

PERIODS = ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]


def projects(**cols):
    base = {
        "project_id": ["P01", "P02", "P03"],
        "cost": [100.0, 200.0, 300.0],
        "duration": [1, 2, 3],
    }
    base.update(cols)
    return pd.DataFrame(base)


def capacity(amount=5.0, competences=("dev", "architecture")):
    return pd.DataFrame(
        [(c, p, amount) for c in competences for p in PERIODS],
        columns=["competence", "period", "amount"],
    )


def demand():
    return pd.DataFrame({
        "project_id": ["P01", "P02", "P03"],
        "competence": ["dev", "dev", "architecture"],
        "amount": [1.0, 2.0, 3.0],
    })


def make(**kw):
    args = dict(projects=projects(), demand=demand(), capacity=capacity(), budget=400.0)
    args.update(kw)
    return Portfolio(**args)


# ---------------------------------------------------------------- happy path
def test_defaults_and_attributes():
    pf = make()
    assert pf.periods.tolist() == PERIODS
    p = pf.projects
    assert p.index.name == "project_id"
    assert p["earliest_start"].tolist() == ["2027-Q1"] * 3
    # last feasible start: the project still finishes in the last period
    assert p["latest_start"].tolist() == ["2027-Q4", "2027-Q3", "2027-Q2"]
    assert p["mandatory"].tolist() == [False, False, False]
    assert pf.budget == Budget(total=400.0) or pf.budget.total == 400.0
    assert pf.competences.tolist() == ["dev", "architecture"]
    assert len(pf) == 3


def test_demand_without_offset_applies_every_period():
    pf = make()
    d = pf.demand
    p3 = d[d["project_id"] == "P03"].sort_values("offset")
    assert p3["offset"].tolist() == [0, 1, 2]
    assert p3["amount"].tolist() == [3.0, 3.0, 3.0]
    # total demand equals amount x duration for every row without an offset
    expected = (demand().set_index("project_id")["amount"]
                * projects().set_index("project_id")["duration"])
    got = d.groupby("project_id")["amount"].sum()
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)


def test_demand_with_offsets_and_duplicates_summed():
    dem = pd.DataFrame({
        "project_id": ["P03", "P03", "P03"],
        "competence": ["dev", "dev", "dev"],
        "amount": [1.0, 2.0, 0.5],
        "offset": [0, 2, np.nan],
    })
    d = make(demand=dem).demand.set_index("offset")["amount"]
    assert d.to_dict() == {0: 1.5, 1: 0.5, 2: 2.5}


def test_wide_capacity_equals_long():
    long = capacity(amount=3.0)
    wide = long.pivot(index="competence", columns="period", values="amount")
    a = make(capacity=long).capacity.sort_values(["competence", "period"]).reset_index(drop=True)
    b = make(capacity=wide).capacity.sort_values(["competence", "period"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_budget_table_with_total_and_periods():
    table = pd.DataFrame({"period": ["total", *PERIODS], "amount": [900, 100, 200, 300, 400]})
    b = make(budget=table).budget
    assert b.total == 900
    assert b.per_period.tolist() == [100, 200, 300, 400]
    assert b.per_period.index.tolist() == PERIODS


def test_project_id_as_index_and_mandatory_words():
    p = projects(mandatory=["yes", "no", "1"]).set_index("project_id")
    pf = make(projects=p)
    assert pf.projects["mandatory"].tolist() == [True, False, True]


def test_periods_default_without_capacity():
    pf = Portfolio(projects())
    assert pf.periods.tolist() == ["0", "1", "2"]


def test_replace_validates_again():
    pf = make()
    with pytest.raises(InputError, match="total budget must be a finite number"):
        pf.replace(budget=-1.0)
    assert pf.replace(budget=50.0).budget.total == 50.0
    with pytest.raises(InputError, match="unknown table"):
        pf.replace(bugdet=1)


def test_period_position():
    pf = make()
    assert pf.period_position(["2027-Q3", "2027-Q1"]).tolist() == [2, 0]
    with pytest.raises(InputError, match=r"unknown period label\(s\) '2030-Q1'"):
        pf.period_position(["2030-Q1"])


# ---------------------------------------------------------------- errors
def test_missing_required_column():
    with pytest.raises(InputError, match=r"projects table: missing required column\(s\) 'cost'"):
        Portfolio(pd.DataFrame({"project_id": ["A"]}))
    with pytest.raises(InputError, match="missing required column 'project_id'"):
        Portfolio(pd.DataFrame({"cost": [1.0]}))
    with pytest.raises(InputError, match=r"demand table: missing required column\(s\) 'amount'"):
        make(demand=demand().drop(columns="amount"))


def test_duplicate_project_id():
    p = projects(project_id=["P01", "P02", "P01"])
    with pytest.raises(InputError, match=r"duplicate ids P01 \(1 project\)"):
        make(projects=p)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -5.0])
def test_bad_cost(bad):
    p = projects(cost=[100.0, bad, 300.0])
    with pytest.raises(InputError, match=r"column 'cost': P02 \(1 project\) have a missing, "
                                         r"infinite or negative cost"):
        make(projects=p)


def test_cost_not_a_number():
    p = projects(cost=["100", "lots", "300"])
    with pytest.raises(InputError, match=r"column 'cost': P02 .* not numbers \('lots'\)"):
        make(projects=p)


@pytest.mark.parametrize("bad", [0, 1.5, -1])
def test_bad_duration(bad):
    p = projects(duration=[1, bad, 1])
    with pytest.raises(InputError, match=r"column 'duration': P02 .* not a whole number of "
                                         r"periods >= 1"):
        make(projects=p)


def test_latest_before_earliest():
    p = projects(earliest_start=["2027-Q3", None, None], latest_start=["2027-Q2", None, None])
    with pytest.raises(InputError, match=r"P01 \(1 project\) have a latest start before their "
                                         r"earliest start"):
        make(projects=p)


def test_window_outside_horizon():
    p = projects(earliest_start=["2026-Q4", None, None])
    with pytest.raises(InputError, match=r"'earliest_start': P01 .* outside the horizon "
                                         r"\('2026-Q4'\)"):
        make(projects=p)
    p = projects(latest_start=[None, "2027-Q4", None])
    with pytest.raises(InputError, match=r"'latest_start': P02 .* would run past the last "
                                         r"period 2027-Q4"):
        make(projects=p)


def test_mandatory_project_cannot_fit_window():
    p = projects(earliest_start=[None, None, "2027-Q3"], mandatory=[False, False, True])
    with pytest.raises(InputError, match=r"mandatory projects P03 \(1 project\) cannot fit "
                                         r"their window"):
        make(projects=p)


def test_demand_unknown_project():
    d = pd.concat([demand(), pd.DataFrame({"project_id": ["P99"], "competence": ["dev"],
                                           "amount": [1.0]})])
    with pytest.raises(InputError, match=r"demand table, column 'project_id': P99 .* not in the "
                                         r"projects table"):
        make(demand=d)


def test_demand_competence_without_capacity():
    d = demand().assign(competence=["dev", "ux", "ux"])
    with pytest.raises(InputError, match=r"ux \(1 competence\) needed by P02, P03 \(2 projects\) "
                                         r"have no row in the capacity table"):
        make(demand=d)


def test_demand_bad_amount_and_offset():
    d = demand().assign(amount=[1.0, -2.0, 1.0], offset=[np.nan, np.nan, 3])
    with pytest.raises(InputError, match=r"(?s)'amount': P02 .*negative.*'offset': P03 .* not "
                                         r"whole numbers from 0 to duration - 1 \(3\)"):
        make(demand=d)


def test_negative_capacity():
    cap = capacity()
    cap.loc[2, "amount"] = -1.0
    with pytest.raises(InputError, match=r"capacity table, column 'amount': negative.*'dev in "
                                         r"2027-Q3'"):
        make(capacity=cap)


def test_capacity_missing_period_and_duplicates():
    cap = capacity()
    with pytest.raises(InputError, match=r"no capacity given for 'dev in 2027-Q2'"):
        make(capacity=cap.drop(index=1), periods=PERIODS)
    with pytest.raises(InputError, match=r"several rows for the same competence and period"):
        make(capacity=pd.concat([cap, cap.iloc[[0]]]))


def relations(kind, a, b):
    return pd.DataFrame({"kind": [kind], "project_id": [a], "other_id": [b]})


def test_relation_to_itself():
    with pytest.raises(InputError, match=r"P02 \(1 project\) are related to themselves"):
        make(relations=relations("requires", "P02", "P02"))


def test_relation_unknown_kind_and_project():
    with pytest.raises(InputError, match=r"unknown kinds 'needs'.*Valid kinds: requires, "
                                         r"excludes, together"):
        make(relations=relations("needs", "P01", "P02"))
    with pytest.raises(InputError, match=r"column 'other_id': P42 .* not in the projects table"):
        make(relations=relations("requires", "P01", "P42"))


def test_relation_kind_is_case_insensitive():
    pf = make(relations=relations(" Excludes ", "P01", "P02"))
    assert pf.relations["kind"].tolist() == ["excludes"]


def test_budget_errors():
    with pytest.raises(InputError, match="total budget must be a finite number >= 0"):
        make(budget=-3.0)
    per = pd.Series([1.0, 2.0], index=PERIODS[:2])
    with pytest.raises(InputError, match=r"no budget for periods '2027-Q3', '2027-Q4'"):
        make(budget=per)
    per = pd.Series([1.0, 2.0, 3.0, -4.0], index=PERIODS)
    with pytest.raises(InputError, match=r"periods '2027-Q4' have a budget that is not"):
        make(budget=per)


def test_all_problems_in_one_message():
    p = projects(cost=[-1.0, 200.0, 300.0], duration=[1, 0, 1])
    with pytest.raises(InputError) as info:
        make(projects=p, relations=relations("requires", "P03", "P03"))
    msg = str(info.value)
    assert msg.startswith("3 problems in the input")
    assert "'cost': P01" in msg and "'duration': P02" in msg and "P03 (1 project) are related" \
        in msg
    assert len(info.value.problems) == 3
    assert isinstance(info.value, ValueError)


def test_describe_ids_counts_and_truncates():
    ids = [f"P{i:02d}" for i in range(1, 9)]
    assert describe_ids(ids) == "P01, P02, P03, P04, P05, ... (8 projects)"


def test_many_offending_ids_are_counted():
    n = 12
    p = pd.DataFrame({"project_id": [f"X{i}" for i in range(n)], "cost": [-1.0] * n})
    with pytest.raises(InputError, match=r"X0, X1, X2, X3, X4, \.\.\. \(12 projects\)"):
        Portfolio(p)


# ---------------------------------------------------------------- no mutation
def test_inputs_are_not_modified():
    args = dict(
        projects=projects(mandatory=["yes", "no", "no"], earliest_start=[None, "2027-Q2", None]),
        demand=demand(), capacity=capacity(),
        budget=pd.DataFrame({"period": ["total", *PERIODS], "amount": [900, 1, 2, 3, 4]}),
        relations=relations("Requires", "P01", "P02"),
    )
    before = {k: v.copy(deep=True) for k, v in args.items()}
    pf = Portfolio(**args)
    for k, v in args.items():
        pd.testing.assert_frame_equal(v, before[k])
    # the portfolio's tables are copies: changing them does not change the portfolio
    p = pf.projects
    p.loc["P01", "cost"] = 0.0
    assert pf.projects.loc["P01", "cost"] == 100.0


@settings(max_examples=40, deadline=None)
@given(perm=st.permutations(range(3)))
def test_row_order_does_not_matter(perm):
    a = make()
    b = make(projects=projects().iloc[list(perm)], demand=demand().iloc[list(perm)])
    pd.testing.assert_frame_equal(a.projects.sort_index(), b.projects.sort_index())
    key = ["project_id", "competence", "offset"]
    pd.testing.assert_frame_equal(
        a.demand.sort_values(key).reset_index(drop=True),
        b.demand.sort_values(key).reset_index(drop=True),
    )


def test_criteria_checked_on_construction():
    p = projects(fit=[1, 2, 3], risk=[3, 2, 1])
    pf = make(projects=p, criteria={"fit": 2, "risk": 1})
    assert pf.criteria.to_dict("list") == {"criterion": ["fit", "risk"], "weight": [2.0, 1.0],
                                           "direction": ["max", "max"]}
    with pytest.raises(InputError, match=r"nope.* is not a column of the projects table"):
        make(projects=p, criteria={"nope": 1})
    table = pd.DataFrame({"criterion": ["risk"], "weight": [1], "direction": ["lower"]})
    with pytest.raises(InputError, match=r"unknown direction 'lower'"):
        make(projects=p, criteria=table)
