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


# ---------------------------------------------------------------- optional tables (issue 4)
def test_relations_lag_and_synergy_value():
    rel = pd.DataFrame({"kind": ["requires", "synergy", "excludes"],
                        "project_id": ["P02", "P01", "P01"], "other_id": ["P01", "P03", "P02"],
                        "lag": [2, None, None], "value": [None, -3.5, None]})
    got = make(relations=rel).relations
    assert list(got.columns) == ["kind", "project_id", "other_id", "lag", "value"]
    assert got["lag"].tolist()[0] == 2.0 and np.isnan(got["lag"].tolist()[1])
    assert got["value"].tolist()[1] == -3.5
    plain = make(relations=relations("requires", "P01", "P02")).relations
    assert plain["lag"].isna().all() and plain["value"].isna().all()


@pytest.mark.parametrize("rows, message", [
    ({"kind": ["requires"], "lag": [1.5]}, r"relations table, column 'lag': P01 \(1 project\) "
     r"have lags that are not whole numbers of periods \(1\.5\)\. The lag counts periods between "
     r"the other project's finish and this project's start\."),
    ({"kind": ["excludes"], "lag": [1]}, r"relations table, column 'lag': P01 \(1 project\) have "
     r"a lag on a relation of kind 'excludes'; a lag applies only to requires \(project_id "
     r"starts after other_id finishes\)\. Remove it\."),
    ({"kind": ["synergy"], "value": [None]}, r"relations table, column 'value': synergy rows "
     r"for P01 \(1 project\) have no finite value\. Give the extra value earned when both "
     r"projects are selected \(negative for a penalty\)\."),
    ({"kind": ["synergy"]}, r"relations table: synergy rows need a 'value' column \(the extra "
     r"value earned when both projects are selected; negative for a penalty\)\. Add the column\."),
    ({"kind": ["together"], "value": [2.0]}, r"relations table, column 'value': P01 \(1 project\) "
     r"have a value on a relation of kind 'together'; only synergy rows take a value\. Remove "
     r"it\."),
    ({"kind": ["synergy", "synergy"], "value": [1.0, 2.0], "project_id": ["P01", "P02"],
      "other_id": ["P02", "P01"]}, r"relations table: several synergy rows for the pair\(s\) "
     r"'P01-P02'\. Keep one row per pair, with the total value\."),
])
def test_relation_extras_errors(rows, message):
    base = {"project_id": ["P01"], "other_id": ["P02"]}
    with pytest.raises(InputError, match=message):
        make(relations=pd.DataFrame({**base, **rows}))


def test_flexible_capacity_columns():
    cap = capacity().assign(flex_amount=[1.0] + [None] * 7, flex_cost=[10.0] + [None] * 7)
    got = make(capacity=cap).capacity
    assert list(got.columns) == ["competence", "period", "amount", "flex_amount", "flex_cost"]
    assert got["flex_amount"].tolist() == [1.0] + [0.0] * 7
    assert got["flex_cost"].tolist() == [10.0] + [0.0] * 7
    assert make().capacity["flex_amount"].eq(0).all()
    with pytest.raises(InputError, match=r"capacity table, column 'flex_amount': 'dev in "
                       r"2027-Q1' have a negative or infinite flex_amount \(-1\)\. Use a finite "
                       r"number >= 0\."):
        make(capacity=capacity().assign(flex_amount=[-1.0] + [0.0] * 7))
    with pytest.raises(InputError, match=r"capacity table, column 'flex_cost': 'dev in 2027-Q2' "
                       r"may hire \(flex_amount > 0\) but have no flex_cost\. Give the cost per "
                       r"unit hired \(0 if free\)\."):
        make(capacity=capacity().assign(flex_amount=[0.0, 2.0] + [0.0] * 6))
    with pytest.raises(InputError, match=r"capacity table, column 'flex_cost': dev in 2027-Q1 "
                       r"\(1 row\) have values that are not numbers \('lots'\)\. Enter plain "
                       r"numbers\."):
        make(capacity=capacity().assign(flex_cost=["lots"] + [0.0] * 7))


def test_groups_and_limits():
    groups = pd.DataFrame({"group": ["core", "core", " core", "pilot"],
                           "project_id": ["P01", "P02", "P02", "P03"]})
    limits = pd.DataFrame({"group": ["core", "pilot"], "min": [1, None], "max": [2, 1]})
    pf = make(groups=groups, group_limits=limits)
    assert pf.groups.values.tolist() == [["core", "P01"], ["core", "P02"], ["pilot", "P03"]]
    assert pf.group_limits.to_dict("list") == {"group": ["core", "pilot"], "min": [1.0, np.nan],
                                               "max": [2.0, 1.0]} or (
        pf.group_limits["min"].tolist()[0] == 1.0 and np.isnan(pf.group_limits["min"][1]))
    assert make().groups.empty and make().group_limits.empty


@pytest.mark.parametrize("groups, limits, message", [
    ({"group": ["g"], "project_id": ["P99"]}, None, r"groups table, column 'project_id': P99 "
     r"\(1 project\) are not in the projects table\. Fix the ids or remove those rows\."),
    ({"group": [None], "project_id": ["P01"]}, None, r"groups table, column 'group': P01 "
     r"\(1 project\) have no group name\. Name the group of every row\."),
    ({"group": ["g"], "project_id": ["P01"]}, {"group": ["h"], "max": [1]}, r"group_limits "
     r"table, column 'group': groups 'h' have no members in the groups table\."),
    ({"group": ["g"], "project_id": ["P01"]}, {"group": ["g"], "max": [1.5]}, r"group_limits "
     r"table, column 'max': groups 'g' have a limit that is not a whole number >= 0 \(1\.5\)\."),
    ({"group": ["g"], "project_id": ["P01"]}, {"group": ["g"], "min": [2], "max": [1]},
     r"group_limits table: groups 'g' have min above max\. Swap them\."),
    ({"group": ["g"], "project_id": ["P01"]}, {"group": ["g"], "min": [None]},
     r"group_limits table: groups 'g' give neither min nor max\."),
    ({"group": ["g"], "project_id": ["P01"]}, {"group": ["g", "g"], "max": [1, 2]},
     r"group_limits table: several rows for groups 'g'\. Keep one row per group\."),
    ({"group": ["g"], "project_id": ["P01"]}, {"group": ["g"]}, r"group_limits table: needs a "
     r"'min' or a 'max' column \(or both\)"),
])
def test_group_errors(groups, limits, message):
    with pytest.raises(InputError, match=message):
        make(groups=pd.DataFrame(groups),
             group_limits=None if limits is None else pd.DataFrame(limits))


def test_buckets():
    p = projects(category=["run", "Grow", "run"], fte=[1.0, 2.0, 3.0])
    b = pd.DataFrame({"column": ["category", "category"], "value": ["grow", "run"],
                      "measure": ["fte", None], "min": [0.1, None], "max": [None, 0.6]})
    got = make(projects=p, buckets=b).buckets
    assert got["measure"].tolist() == ["fte", "cost"]
    assert list(got.columns) == ["column", "value", "measure", "min", "max"]
    assert make().buckets.empty


@pytest.mark.parametrize("bucket, message", [
    ({"column": ["colour"], "value": ["red"], "max": [0.5]}, r"buckets table, column 'column': "
     r"'colour' are not columns of the projects table \(columns: .*\)\. Name the projects "
     r"column that defines the bucket, e\.g\. category\."),
    ({"column": ["category"], "value": ["regulatry"], "max": [0.5]}, r"buckets table: no project "
     r"has 'category=regulatry'\. Fix the value \(compared as text, ignoring case\) or remove "
     r"the row\."),
    ({"column": ["category"], "value": ["run"], "measure": ["npv"], "max": [0.5]},
     r"buckets table, column 'measure': 'npv' is not cost, count or a numeric column of the "
     r"projects table"),
    ({"column": ["category"], "value": ["run"], "measure": ["fte"], "max": [0.5]},
     r"buckets table, column 'measure': the projects column 'fte' is missing or negative for "
     r"P02 \(1 project\); a share needs amounts >= 0 for every project\."),
    ({"column": ["category"], "value": ["run"], "max": [1.5]}, r"buckets table, column 'max': "
     r"'category=run' have a share outside 0\.\.1 \(1\.5\)\. Give a share of the selected "
     r"total, e\.g\. 0\.25\."),
    ({"column": ["category"], "value": ["run"], "min": [0.6], "max": [0.5]}, r"buckets table: "
     r"'category=run' have min above max\. Swap them\."),
    ({"column": ["category"], "value": ["run"], "min": [None]}, r"buckets table: "
     r"'category=run' give neither min nor max\."),
    ({"column": ["category"] * 2, "value": ["run"] * 2, "max": [0.5, 0.6]}, r"buckets table: "
     r"several rows for 'category=run' with the same measure\. Keep one row each\."),
    ({"column": ["category"], "value": [None], "max": [0.5]}, r"buckets table, column 'value': "
     r"rows 0 have no value\."),
    ({"column": ["category"], "value": ["run"]}, r"buckets table: needs a 'min' or a 'max' "
     r"column \(or both\)"),
])
def test_bucket_errors(bucket, message):
    p = projects(category=["run", "grow", "run"], fte=[1.0, -2.0, 3.0])
    with pytest.raises(InputError, match=message):
        make(projects=p, buckets=pd.DataFrame(bucket))


def test_substitution():
    sub = pd.DataFrame({"competence": ["dev"], "covers": ["architecture"], "efficiency": [0.5]})
    got = make(substitution=sub).substitution
    assert list(got.columns) == ["competence", "covers", "efficiency", "max_amount"]
    assert got["efficiency"].tolist() == [0.5] and got["max_amount"].isna().all()
    assert make().substitution.empty


@pytest.mark.parametrize("sub, message", [
    ({"competence": ["ux"], "covers": ["dev"], "efficiency": [0.5]}, r"substitution table, "
     r"column 'competence': ux \(1 competence\) have no rows in the capacity table\."),
    ({"competence": ["dev"], "covers": ["dev"], "efficiency": [0.5]}, r"substitution table: "
     r"'dev' cover themselves\. A substitution needs two different competences\."),
    ({"competence": ["dev"], "covers": ["architecture"], "efficiency": [1.5]}, r"substitution "
     r"table, column 'efficiency': 'dev covers architecture' have an efficiency outside \(0, "
     r"1\] \(1\.5\)\. One unit of the competence covers 'efficiency' units of the covered one, "
     r"e\.g\. 0\.8\."),
    ({"competence": ["dev"], "covers": ["architecture"], "efficiency": [0.5],
      "max_amount": [-1.0]}, r"substitution table, column 'max_amount': 'dev covers "
     r"architecture' have a limit that is not a finite number >= 0 \(-1\)\."),
    ({"competence": ["dev", "dev"], "covers": ["architecture"] * 2, "efficiency": [0.5, 0.6]},
     r"substitution table: several rows for 'dev covers architecture'\. Keep one row per pair\."),
    ({"competence": ["dev"], "covers": ["architecture"]}, r"substitution table: missing "
     r"required column\(s\) 'efficiency'"),
])
def test_substitution_errors(sub, message):
    with pytest.raises(InputError, match=message):
        make(substitution=pd.DataFrame(sub))


def test_replace_keeps_the_optional_tables():
    groups = pd.DataFrame({"group": ["g"], "project_id": ["P01"]})
    sub = pd.DataFrame({"competence": ["dev"], "covers": ["architecture"], "efficiency": [0.5]})
    pf = make(groups=groups, group_limits=pd.DataFrame({"group": ["g"], "max": [1]}),
              substitution=sub)
    again = pf.replace(budget=10.0)
    pd.testing.assert_frame_equal(again.groups, pf.groups)
    pd.testing.assert_frame_equal(again.group_limits, pf.group_limits)
    pd.testing.assert_frame_equal(again.substitution, pf.substitution)
    pd.testing.assert_frame_equal(again.relations, pf.relations)


def test_the_same_relation_twice_is_one_relation():
    """requires A, B given twice: one relation with the longest lag; exact duplicates dropped."""
    rel = pd.DataFrame({"kind": ["requires", "requires", "excludes", "excludes"],
                        "project_id": ["P01"] * 4, "other_id": ["P02"] * 4,
                        "lag": [None, 1, None, None]})
    got = make(relations=rel).relations
    assert got[["kind", "lag"]].values.tolist()[0] == ["requires", 1.0]
    assert got["kind"].tolist() == ["requires", "excludes"]
