"""The README's code is executed, and its two commands are the ones CI runs."""

import re
from pathlib import Path

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
