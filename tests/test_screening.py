"""Tests of portfolio_opt.screening.

Verdicts are checked against independent pandas/python evaluations of the gates, on hand-made
cases and on random ones (hypothesis); every error message has a ``match=`` test.
"""

from __future__ import annotations

import operator

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_opt import Portfolio, datasets
from portfolio_opt.exceptions import InputError
from portfolio_opt.screening import Action, Rule, ScreeningResult, screen

SETTINGS = settings(max_examples=40, deadline=None)


def projects_table() -> pd.DataFrame:
    return pd.DataFrame({
        "project_id": ["P01", "P02", "P03", "P04", "P05", "P06"],
        "cost": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
        "duration": [1, 2, 1, 1, 2, 1],
        "category": ["growth", "regulatory", "growth", "maintenance", None, "growth"],
        "strategic_fit": [4.0, 1.0, 3.0, np.nan, 5.0, 2.0],
        "legal_requirement": ["no", "yes", "no", "no", "no", "no"],
        "business_case": ["bc1.pdf", None, "bc3.pdf", "bc4.pdf", "  ", "bc6.pdf"],
    })


def demand_table() -> pd.DataFrame:
    return pd.DataFrame({"project_id": ["P01", "P02", "P03", "P06"],
                         "competence": ["dev"] * 4, "amount": [1.0, 2.0, 1.0, 1.0]})


def capacity_table() -> pd.DataFrame:
    return pd.DataFrame({"competence": ["dev", "dev"], "period": ["Q1", "Q2"],
                         "amount": [5.0, 5.0]})


def make_portfolio(relations: pd.DataFrame | None = None, **changes) -> Portfolio:
    projects = projects_table()
    for column, values in changes.items():
        projects[column] = values
    return Portfolio(projects, demand=demand_table(), capacity=capacity_table(), budget=100.0,
                     relations=relations)


BRIEF_GATES = pd.DataFrame({
    "gate": ["fit", "law", "case"],
    "column": ["strategic_fit", "legal_requirement", "business_case"],
    "rule": [">=", "true", "present"],
    "value": [3, None, None],
    "action": ["reject", "mandatory", "reject"],
    "reason": ["strategic fit below 3", "legal requirement", "missing business case"],
})


# --------------------------------------------------------------------------------------------
# the brief's example


def test_brief_example_verdicts():
    pf = make_portfolio()
    result = screen(pf, BRIEF_GATES)
    assert isinstance(result, ScreeningResult)
    # independent: fit >= 3 (missing fails), business case present, P02 mandatory by law
    projects = projects_table().set_index("project_id")
    fit_ok = projects["strategic_fit"] >= 3
    case_ok = projects["business_case"].fillna("").str.strip() != ""
    law = projects["legal_requirement"] == "yes"
    expected_rejected = projects.index[~(fit_ok & case_ok) & ~law]
    assert list(result.rejected) == list(expected_rejected)  # P04 (fit missing), P05, P06
    assert list(result.rejected) == ["P04", "P05", "P06"]
    assert list(result.mandatory) == ["P02"]
    summary = result.summary
    assert summary.loc["P02", "status"] == "mandatory"
    assert summary.loc["P02", "failed"] == "fit; case"  # failed, but kept: mandatory
    assert summary.loc["P02", "mandatory_by"] == "law"
    assert summary.loc["P05", "failed"] == "case"
    assert summary.loc["P04", "failed"] == "fit"
    assert (summary.loc[["P01", "P03"], "status"] == "kept").all()
    assert list(result.flagged) == ["P02"]


def test_brief_example_table_rows_and_reasons():
    result = screen(make_portfolio(), BRIEF_GATES)
    table = result.table
    assert list(table.columns) == ["project_id", "gate", "column", "rule", "threshold", "seen",
                                   "passed", "action", "reason"]
    assert len(table) == 6 * 3
    assert table["project_id"].tolist() == [p for p in projects_table()["project_id"]
                                            for _ in range(3)]
    row = table.set_index(["project_id", "gate"])
    assert row.loc[("P06", "fit"), "reason"] == (
        "strategic fit below 3: strategic_fit is 2 (required: strategic_fit >= 3)")
    assert row.loc[("P06", "fit"), "seen"] == 2.0
    assert not row.loc[("P06", "fit"), "passed"]
    assert row.loc[("P06", "fit"), "action"] == "reject"
    assert row.loc[("P04", "fit"), "reason"].startswith("strategic fit below 3: strategic_fit "
                                                        "is missing")
    assert row.loc[("P05", "case"), "reason"] == "missing business case: business_case is missing"
    assert row.loc[("P02", "law"), "action"] == "mandatory"
    assert row.loc[("P02", "law"), "passed"]
    assert row.loc[("P02", "fit"), "action"] == "overridden"
    assert row.loc[("P02", "fit"), "reason"].endswith("kept: mandatory")
    assert row.loc[("P01", "fit"), "action"] == "none"
    assert row.loc[("P01", "fit"), "reason"] == "ok: strategic_fit is 4"
    assert row.loc[("P01", "law"), "reason"] == "not mandatory: legal_requirement is false"


def test_new_portfolio_without_rejected_projects():
    relations = pd.DataFrame({"kind": ["excludes", "excludes"], "project_id": ["P01", "P03"],
                              "other_id": ["P06", "P01"]})
    pf = make_portfolio(relations)
    result = screen(pf, BRIEF_GATES)
    new = result.portfolio
    assert list(new.project_ids) == ["P01", "P02", "P03"]
    assert new.projects["mandatory"].to_dict() == {"P01": False, "P02": True, "P03": False}
    assert set(new.demand["project_id"]) == {"P01", "P02", "P03"}
    expected_demand = pf.demand[pf.demand["project_id"].isin(["P01", "P02", "P03"])]
    pd.testing.assert_frame_equal(new.demand.reset_index(drop=True),
                                  expected_demand.reset_index(drop=True))
    assert new.relations[["project_id", "other_id"]].values.tolist() == [["P03", "P01"]]
    pd.testing.assert_frame_equal(new.capacity, pf.capacity)
    assert new.budget.total == pf.budget.total
    assert list(new.periods) == list(pf.periods)
    kept = pf.projects.loc[["P01", "P02", "P03"]].drop(columns="mandatory")
    pd.testing.assert_frame_equal(new.projects.drop(columns="mandatory"), kept,
                                  check_dtype=False)


def test_inputs_not_modified():
    pf = make_portfolio()
    gates = BRIEF_GATES.copy()
    before = {k: getattr(pf, k) for k in ("projects", "demand", "capacity", "relations")}
    screen(pf, gates)
    pd.testing.assert_frame_equal(gates, BRIEF_GATES)
    for k, table in before.items():
        pd.testing.assert_frame_equal(getattr(pf, k), table)


def test_gates_summary_and_everything_rejected_warning():
    gates = pd.DataFrame({"gate": ["too strict", "fit"], "column": ["cost", "strategic_fit"],
                          "rule": [">", ">="], "value": [1000, 3]})
    result = screen(make_portfolio(), gates)
    g = result.gates.set_index("gate")
    assert g.loc["too strict", "failed"] == 6
    assert "rejects every project" in g.loc["too strict", "warning"]
    assert g.loc["fit", "failed"] == 3  # P02 (1), P04 (missing), P06 (2)
    assert g.loc["fit", "warning"] == ""
    assert len(result.portfolio) == 0
    assert len(result.rejected) == 6


def test_mandatory_gate_for_everyone_warns():
    gates = pd.DataFrame({"column": ["cost"], "rule": [">="], "value": [0], "action":
                          ["mandatory"]})
    result = screen(make_portfolio(), gates)
    assert "every project mandatory" in result.gates.loc[0, "warning"]
    assert result.gates.loc[0, "triggered"] == 6


def test_defaults_action_reject_and_gate_name():
    gates = pd.DataFrame({"column": ["strategic_fit"], "rule": [">="], "value": [3]})
    result = screen(make_portfolio(), gates)
    assert result.gates.loc[0, "gate"] == "strategic_fit >= 3"
    assert result.gates.loc[0, "action"] == "reject"
    assert list(result.rejected) == ["P02", "P04", "P06"]


def test_flag_gate_keeps_project_with_warning():
    gates = pd.DataFrame({"gate": ["big"], "column": ["cost"], "rule": ["<="], "value": [35],
                          "action": ["flag"], "reason": ["large project"]})
    result = screen(make_portfolio(), gates)
    assert len(result.rejected) == 0
    assert list(result.flagged) == ["P04", "P05", "P06"]
    assert (result.summary.loc[["P04", "P05", "P06"], "flagged"] == "big").all()
    assert (result.summary["status"] == "kept").all()
    assert list(result.portfolio.project_ids) == list(make_portfolio().project_ids)


def test_mandatory_in_input_is_reported():
    pf = make_portfolio(mandatory=[True, False, False, False, False, False])
    result = screen(pf, BRIEF_GATES)
    assert result.summary.loc["P01", "mandatory_by"] == "input"
    assert list(result.mandatory) == ["P01", "P02"]


# --------------------------------------------------------------------------------------------
# rules


OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
       "==": operator.eq, "!=": operator.ne}


@pytest.mark.parametrize("rule", list(OPS))
@pytest.mark.parametrize("threshold", [1.0, 3, "3", 4.5])
def test_numeric_rules_match_python_operators(rule, threshold):
    gates = pd.DataFrame({"column": ["strategic_fit"], "rule": [rule], "value": [threshold]})
    result = screen(make_portfolio(), gates)
    fit = projects_table().set_index("project_id")["strategic_fit"]
    expected = [pid for pid, v in fit.items() if pd.isna(v) or not OPS[rule](v, float(threshold))]
    assert list(result.rejected) == expected


def test_text_rules_and_lists():
    pf = make_portfolio()
    category = projects_table().set_index("project_id")["category"]
    cases = [
        ("==", "growth", lambda v: v == "growth"),
        ("!=", "growth", lambda v: v != "growth"),
        ("in", "growth; maintenance", lambda v: v in {"growth", "maintenance"}),
        ("in", ["regulatory"], lambda v: v == "regulatory"),
        ("not in", "growth", lambda v: v != "growth"),
        ("NOT  IN", "regulatory;maintenance", lambda v: v not in {"regulatory", "maintenance"}),
    ]
    for rule, value, keep in cases:
        gates = pd.DataFrame({"column": ["category"], "rule": [rule], "value": [value]})
        result = screen(pf, gates)
        # a missing category satisfies no rule: P05 is always rejected
        expected = [p for p, v in category.items() if pd.isna(v) or not keep(v)]
        assert list(result.rejected) == expected, (rule, value)


def test_in_rule_on_numbers_and_ids():
    pf = make_portfolio()
    result = screen(pf, pd.DataFrame({"column": ["strategic_fit"], "rule": ["in"],
                                      "value": ["1; 2;5"]}))
    assert list(result.rejected) == ["P01", "P03", "P04"]
    result = screen(pf, pd.DataFrame({"column": ["project_id"], "rule": ["not in"],
                                      "value": ["P02;P03"]}))
    assert list(result.rejected) == ["P02", "P03"]


def test_missing_present_true_false_rules():
    pf = make_portfolio(flag=[True, False, None, True, False, True],
                        legal_requirement=["yes", "Y", "no", "0", "1", None])
    rejected = {}
    for column, rule in [("business_case", "missing"), ("business_case", "present"),
                         ("legal_requirement", "true"), ("legal_requirement", "false"),
                         ("flag", "true"), ("flag", "false")]:
        gates = pd.DataFrame({"column": [column], "rule": [rule]})
        rejected[(column, rule)] = list(screen(pf, gates).rejected)
    assert rejected[("business_case", "missing")] == ["P01", "P03", "P04", "P06"]
    assert rejected[("business_case", "present")] == ["P02", "P05"]
    assert rejected[("legal_requirement", "true")] == ["P03", "P04", "P06"]
    assert rejected[("legal_requirement", "false")] == ["P01", "P02", "P05", "P06"]
    assert rejected[("flag", "true")] == ["P02", "P03", "P05"]
    assert rejected[("flag", "false")] == ["P01", "P03", "P04", "P06"]


def test_equality_on_yes_no_column():
    pf = make_portfolio(flag=[True, False, True, True, False, True])
    gates = pd.DataFrame({"column": ["flag"], "rule": ["=="], "value": ["yes"]})
    assert list(screen(pf, gates).rejected) == ["P02", "P05"]


def test_rule_and_action_enums():
    assert Rule(">=") is Rule.GE and Rule("not in") is Rule.NOT_IN
    assert [a.value for a in Action] == ["reject", "flag", "mandatory"]


@SETTINGS
@given(
    values=st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=1, max_size=12),
    rule=st.sampled_from(list(OPS)),
    threshold=st.integers(0, 5),
    action=st.sampled_from(["reject", "flag", "mandatory"]),
)
def test_random_gates_match_independent_evaluation(values, rule, threshold, action):
    ids = [f"X{i:02d}" for i in range(len(values))]
    projects = pd.DataFrame({"project_id": ids, "cost": 1.0,
                             "score": pd.array(values, dtype="Float64")})
    pf = Portfolio(projects)
    gates = pd.DataFrame({"gate": ["g"], "column": ["score"], "rule": [rule],
                          "value": [threshold], "action": [action]})
    result = screen(pf, gates)
    holds = [v is not None and OPS[rule](v, threshold) for v in values]
    fails = [i for i, h in zip(ids, holds) if not h]
    if action == "reject":
        assert list(result.rejected) == fails
        assert list(result.portfolio.project_ids) == [i for i in ids if i not in fails]
    elif action == "flag":
        assert len(result.rejected) == 0 and list(result.flagged) == fails
    else:
        assert list(result.mandatory) == [i for i, h in zip(ids, holds) if h]
        assert result.portfolio.projects["mandatory"].tolist() == holds
    statuses = set(result.summary["status"])
    assert statuses <= {"kept", "rejected", "mandatory"}
    assert result.table["passed"].tolist() == (holds if action != "mandatory"
                                               else [True] * len(ids))


# --------------------------------------------------------------------------------------------
# relations and conflicts


def test_rejection_cascades_through_requires_and_together():
    relations = pd.DataFrame({"kind": ["requires", "requires", "together"],
                              "project_id": ["P03", "P01", "P04"],
                              "other_id": ["P06", "P03", "P01"]})
    pf = make_portfolio(relations, strategic_fit=[4.0, 4.0, 4.0, 4.0, 4.0, 1.0],
                        business_case=["x"] * 6)
    gates = pd.DataFrame({"gate": ["fit"], "column": ["strategic_fit"], "rule": [">="],
                          "value": [3]})
    result = screen(pf, gates)
    # P06 fails; P03 requires P06; P01 requires P03; P04 goes together with P01
    assert list(result.rejected) == ["P01", "P03", "P04", "P06"]
    rel = result.table[result.table["gate"] == "relations"].set_index("project_id")
    assert rel.loc["P03", "reason"] == "requires P06, which is rejected"
    assert rel.loc["P01", "reason"] == "requires P03, which is rejected"
    assert rel.loc["P04", "reason"] == "goes together with P01, which is rejected"
    assert result.summary.loc["P03", "failed"] == ""  # failed no gate itself
    assert result.summary.loc["P03", "reason"] == "requires P06, which is rejected"
    assert list(result.portfolio.project_ids) == ["P02", "P05"]
    assert result.portfolio.relations.empty


def test_mandatory_project_protects_what_it_requires():
    relations = pd.DataFrame({"kind": ["requires"], "project_id": ["P02"], "other_id": ["P06"]})
    pf = make_portfolio(relations, business_case=["x"] * 6)
    gates = BRIEF_GATES.iloc[:2]  # fit and law
    result = screen(pf, gates)
    # P02 is mandatory by law and requires P06, which fails 'fit': both are kept
    assert list(result.rejected) == ["P04"]
    table = result.table.set_index(["project_id", "gate"])
    assert table.loc[("P06", "fit"), "action"] == "overridden"
    assert "P06" in result.portfolio.project_ids


def test_conflict_raise():
    with pytest.raises(InputError, match=r"screening: P02 \(1 project\) fail a reject gate but "
                                         r"are mandatory.*on_conflict='keep'"):
        screen(make_portfolio(), BRIEF_GATES, on_conflict="raise")


def test_unknown_conflict_policy():
    with pytest.raises(InputError, match=r"unknown on_conflict 'drop'; valid: 'keep', 'raise'"):
        screen(make_portfolio(), BRIEF_GATES, on_conflict="drop")


# --------------------------------------------------------------------------------------------
# reading the gates


def test_gates_from_csv_path(tmp_path):
    path = tmp_path / "gates.csv"
    gates = pd.DataFrame({
        "gate": ["fit", "law", "case", "cat"],
        "column": ["strategic_fit", "legal_requirement", "business_case", "category"],
        "rule": [">=", "true", "present", "not in"],
        "value": ["3", "", "", "maintenance;obsolete"],
        "action": ["reject", "mandatory", "reject", "flag"],
        "reason": ["strategic fit below 3", "legal requirement", "missing business case", ""],
    })
    gates.to_csv(path, index=False)
    from_csv = screen(make_portfolio(), path)
    from_csv_str = screen(make_portfolio(), str(path))
    from_frame = screen(make_portfolio(), gates.replace("", None))
    pd.testing.assert_frame_equal(from_csv.summary, from_frame.summary)
    pd.testing.assert_frame_equal(from_csv_str.table, from_frame.table)
    assert list(from_csv.rejected) == ["P04", "P05", "P06"]
    assert list(from_csv.flagged) == ["P02"]  # P04 fails 'cat' too, but is rejected


def test_gates_as_list_of_dicts():
    gates = [{"column": "strategic_fit", "rule": ">=", "value": 3}]
    assert list(screen(make_portfolio(), gates).rejected) == ["P02", "P04", "P06"]


def test_empty_gates_keep_everything():
    result = screen(make_portfolio(), pd.DataFrame({"column": [], "rule": []}))
    assert len(result.table) == 0 and len(result.rejected) == 0
    assert (result.summary["status"] == "kept").all()


# --------------------------------------------------------------------------------------------
# errors


def gate(**kw) -> pd.DataFrame:
    row = {"gate": "g", "column": "strategic_fit", "rule": ">=", "value": 3, "action": "reject"}
    row.update(kw)
    return pd.DataFrame([row])


@pytest.mark.parametrize("kw, message", [
    (dict(column="strategic_fitt"),
     r"gate 'g': column 'strategic_fitt' is not in the projects table; columns: project_id, "
     r"cost, duration, category, strategic_fit, legal_requirement, business_case"),
    (dict(rule="=>"), r"gate 'g': unknown rule '=>'; valid rules: '>=', '>', '<=', '<', '==', "
                      r"'!=', 'in', 'not in', 'missing', 'present', 'true', 'false'"),
    (dict(action="drop"), r"gate 'g': unknown action 'drop'; valid actions: 'reject', 'flag', "
                          r"'mandatory'"),
    (dict(value="high"), r"gate 'g': rule '>=' needs a number, got high"),
    (dict(value=None), r"gate 'g': rule '>=' needs a value \(e.g. strategic_fit >= 3\)"),
    (dict(rule="present", value="yes"), r"gate 'g': rule 'present' takes no value, got yes"),
    (dict(rule="in", value=" ; "), r"gate 'g': rule 'in' needs a list of values separated by "
                                   r"';'"),
    (dict(column=None, gate=None), r"gate in row 1: no column given"),
    (dict(rule="==", value="high"), r"gate 'g' \(column 'strategic_fit'\): the column holds "
                                    r"numbers but the value high is not a number"),
    (dict(column="business_case", rule=">", value=1),
     r"column 'business_case' \(gates table, gate 'g' \(column 'business_case'\)\): P01, P03, "
     r"P04, P06 \(4 projects\) have values that are not numbers \('bc1.pdf'|bc1.pdf"),
    (dict(column="category", rule="true", value=None),
     r"column 'category' .*: P01, P02, P03, P04, P06 \(5 projects\) have values that are not "
     r"yes/no"),
])
def test_gate_errors(kw, message):
    with pytest.raises(InputError, match=message):
        screen(make_portfolio(), gate(**kw))


def test_yes_no_column_with_non_yes_no_value():
    pf = make_portfolio(flag=[True, False, True, True, False, True])
    with pytest.raises(InputError, match=r"the column is yes/no but the value maybe is not"):
        screen(pf, gate(column="flag", rule="==", value="maybe"))


def test_all_problems_at_once():
    gates = pd.concat([gate(gate="a", column="nope"), gate(gate="b", rule="~"),
                       gate(gate="c", action="veto")], ignore_index=True)
    with pytest.raises(InputError, match=r"3 problems in the input") as info:
        screen(make_portfolio(), gates)
    assert len(info.value.problems) == 3


def test_duplicate_gate_names():
    gates = pd.concat([gate(), gate(value=2)], ignore_index=True)
    with pytest.raises(InputError, match=r"duplicate gate names 'g'"):
        screen(make_portfolio(), gates)


@pytest.mark.parametrize("gates, message", [
    (pd.DataFrame({"column": ["cost"], "rule": [">"], "treshold": [1]}),
     r"gates table: unknown column\(s\) 'treshold'; the columns are 'gate', 'column', 'rule'"),
    (pd.DataFrame({"column": ["cost"], "value": [1]}),
     r"gates table: missing column\(s\) 'rule'"),
    (42, r"gates table: expected a DataFrame, a list of dicts or the path of a CSV file, got int"),
    ("/nonexistent/gates.csv", r"gates table: cannot read '/nonexistent/gates.csv'"),
])
def test_gates_table_errors(gates, message):
    with pytest.raises(InputError, match=message):
        screen(make_portfolio(), gates)


# --------------------------------------------------------------------------------------------
# the sample portfolio


def _reach(ids, rel, src, dst):
    """``ids`` and every project reached from them along relations ``src -> dst`` (requires,
    together) and back along ``together``: an independent closure of the relations."""
    ids = set(ids)
    while True:
        more = set(rel.loc[rel[src].isin(ids) & (rel["kind"] != "excludes"), dst])
        more |= set(rel.loc[rel[dst].isin(ids) & (rel["kind"] == "together"), src])
        if more <= ids:
            return ids
        ids |= more


def test_sample_portfolio_gates():
    pf = datasets.load_sample()
    gates = pd.DataFrame({
        "gate": ["fit", "regulatory"],
        "column": ["strategic_fit", "category"],
        "rule": [">=", "=="],
        "value": [2, "regulatory"],
        "action": ["reject", "mandatory"],
    })
    result = screen(pf, gates)
    projects = pf.projects
    regulatory = projects["category"] == "regulatory"
    protected = set(projects.index[regulatory | projects["mandatory"]])
    # closure of requires/together from the protected projects
    rel = pf.relations
    protected = _reach(protected, rel, "project_id", "other_id")  # what they need
    failing = set(projects.index[projects["strategic_fit"] < 2]) - protected
    rejected = _reach(failing, rel, "other_id", "project_id")  # what needs them
    assert set(result.rejected) == rejected
    assert set(result.mandatory) == set(projects.index[regulatory | projects["mandatory"]])
    assert len(result.portfolio) == len(pf) - len(rejected)
