"""The README's code is executed, and its two commands are the ones CI runs."""

import re
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_python_example_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert blocks, "the README shows a Python example"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    selection = namespace["selection"]
    assert selection.status.value == "optimal"
    assert (tmp_path / "review" / "report.html").exists()
    # five lines of work after the import
    lines = [ln for ln in blocks[0].splitlines() if ln.strip() and not ln.startswith("import")]
    assert len(lines) <= 5


def test_two_commands_and_ci():
    assert "pip install -e . && portfolio-opt review --sample --out review" in README
    assert "pip install -e '.[test]' && pytest" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -e '.[test]' && pytest" in ci
    assert "python3 -m venv" in ci


def _inputs(pf) -> list:
    """Every input table of a portfolio (None where it has none)."""
    budget = pf.budget
    return [pf.projects, pf.demand, pf.capacity, pf.relations, pf.groups, pf.group_limits,
            pf.buckets, pf.substitution, pf.criteria, pf.periods.to_series(),
            pd.Series([budget.total]), budget.per_period]


def _same_inputs(a, b) -> bool:
    return all((x is None) == (y is None) and (x is None or x.equals(y))
               for x, y in zip(_inputs(a), _inputs(b), strict=True))


def test_decision_analysis_example_runs(tmp_path, monkeypatch, sample_screen):
    import portfolio_opt as po

    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    monkeypatch.chdir(tmp_path)
    # the README's robustness screen of the sample is conftest's sample_screen (the same call
    # on equal tables, solved once a session); any other call is made for real
    real = po.robust_portfolios

    def robust_portfolios(portfolio, *args, **kwargs):
        if (not args and kwargs == {"ranking": "weights", "method": "weights"}
                and _same_inputs(portfolio, sample_screen.portfolio)):
            return sample_screen.result
        return real(portfolio, *args, **kwargs)

    monkeypatch.setattr(po, "robust_portfolios", robust_portfolios)
    namespace: dict = {}
    exec(compile("import portfolio_opt as po\nportfolio = po.datasets.load_sample()\n"
                 + blocks[1], "README.md", "exec"), namespace)
    frontier = namespace["frontier"].sort_values("budget")
    assert frontier["objective"].is_monotonic_increasing  # more budget never loses value
    summary = namespace["comparison"].summary
    assert summary.index[0] == "baseline"
    assert (summary["objective"].iloc[1:] <= summary["objective"].iloc[0] + 1e-9).all()
    alternatives = namespace["alternatives"].summary["objective"]
    assert alternatives.is_monotonic_decreasing and len(alternatives) == 3
    classes = namespace["robust"].classes
    assert set(classes) <= {"core", "borderline", "exterior"}
