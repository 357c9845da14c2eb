"""The documentation: a strict MkDocs build, offline, and the code the pages show.

- ``mkdocs build --strict`` (Material theme, mkdocstrings) succeeds into a temporary folder with
  every proxy pointing at a closed port, so a build that tried to download anything (fonts,
  inventories) would fail; the site links no web fonts and loads no remote script or style.
  Strict mode also fails on a docs page missing from the nav, a broken link or anchor, and a
  docstring mkdocstrings cannot render.
- The API pages render the objects (their anchors are in the HTML) and cover every module the
  top-level package imports from.
- The Python blocks of getting-started.md and coming-from-microsoft-project.md run, in order, in
  an empty folder; their results are checked against tests/checker.py's brute force and the
  printed error against the text the page shows.
- Every citation on the Microsoft Project page has a source, every source is cited, and every
  source is Microsoft's documentation.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import checker

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PACKAGE = ROOT / "src" / "portfolio_opt"


def _python_blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(encoding="utf-8"), re.S)


def _run_blocks(page: str) -> dict:
    namespace: dict = {"__name__": "__docs__"}
    for i, block in enumerate(_python_blocks(page)):
        exec(compile(block, f"{page}[block {i}]", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    for plugin in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"):
        pytest.importorskip(plugin)
    out = tmp_path_factory.mktemp("site")
    dead = "http://127.0.0.1:9"  # discard port: nothing listens, any download fails
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "HTTP_PROXY": dead, "HTTPS_PROXY": dead,
           "http_proxy": dead, "https_proxy": dead, "NO_PROXY": "", "no_proxy": ""}
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{run.stdout}\n{run.stderr}"
    assert "WARNING" not in run.stderr, run.stderr
    return out


def test_strict_build_has_every_page(site):
    for page in DOCS.rglob("*.md"):
        rel = page.relative_to(DOCS).with_suffix("")
        html = site / (rel.parent if rel.name == "index" else rel) / "index.html"
        assert html.exists(), f"{page.relative_to(ROOT)} was not built"


def test_site_fetches_nothing_from_the_web(site):
    for html in site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in text and "fonts.gstatic.com" not in text, html
        remote = re.findall(r"<(?:script|img)[^>]+src=\"(https?://[^\"]+)\"", text)
        remote += re.findall(r"<link[^>]+rel=\"stylesheet\"[^>]+href=\"(https?://[^\"]+)\"", text)
        assert not remote, f"{html}: loads {remote}"


def _api_targets() -> dict[str, Path]:
    targets = {}
    for page in sorted((DOCS / "api").glob("*.md")):
        for name in re.findall(r"^:::\s*([\w.]+)", page.read_text(encoding="utf-8"), re.M):
            targets[name] = page
    return targets


def test_api_pages_render_their_objects(site):
    targets = _api_targets()
    assert targets
    for name, page in targets.items():
        module = importlib.import_module(name)
        html = (site / "api" / page.stem / "index.html").read_text(encoding="utf-8")
        assert f'id="{name}"' in html, f"{page.name}: {name} not rendered"
        for public in getattr(module, "__all__", []):
            if callable(getattr(module, public)):
                # rendered here or, for a package, under the submodule that defines it
                assert re.search(rf'id="{re.escape(name)}(\.\w+)*\.{public}"', html), \
                    f"{page.name}: {name}.{public} missing"


def test_every_module_behind_the_top_level_api_has_a_page():
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    modules = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "portfolio_opt":
            modules |= {f"portfolio_opt.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("portfolio_opt."):
            modules.add(node.module)
    missing = sorted(modules - set(_api_targets()))
    assert not missing, f"no page in docs/api/ for {missing}: add docs/api/<name>.md with " \
                        "'::: <module>' and a line in the nav of mkdocs.yml"


def test_getting_started_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ns = _run_blocks("getting-started.md")
    out = capsys.readouterr().out

    selection = ns["selection"]
    assert selection.status.value == "optimal"
    assert (tmp_path / "review" / "report.html").exists()

    # the small portfolio written to CSV: the optimum of every subset and start
    mine, chosen = ns["mine"], ns["mine_selection"]
    best = checker.brute_force(mine)
    assert chosen.status.value == "optimal"
    assert chosen.summary()["objective"] == pytest.approx(best.objective)
    assert list(chosen.selected_ids) in best
    start = chosen.to_frame()["start"]
    assert checker.violations(mine, chosen.selected_ids, start[chosen.selected_ids]) == []

    # the error the page shows is the one printed
    shown = re.search(r"```text\n(.*?)```", (DOCS / "getting-started.md").read_text(), re.S)
    assert shown is not None
    for line in shown.group(1).strip().splitlines():
        assert line in out


def test_microsoft_project_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ns = _run_blocks("coming-from-microsoft-project.md")
    drivers, portfolio, scores = ns["drivers"], ns["portfolio"], ns["scores"]

    # Project's labels: customer satisfaction over market share over IT costs, consistent
    weights = drivers.weights
    assert weights.sum() == pytest.approx(1.0)
    assert list(weights.sort_values(ascending=False).index) == [
        "customer_satisfaction", "market_share", "it_costs"]
    assert drivers.consistency_ratio <= 0.10
    # the share of the whole portfolio, like Project's priorities, sums to 100 %
    assert (scores / scores.sum()).sum() == pytest.approx(1.0)

    # the selection is the best subset within the budget, with the mandatory project in
    selection, what_if = ns["selection"], ns["what_if"]
    best = checker.brute_force(portfolio, scores)
    assert selection.summary()["objective"] == pytest.approx(best.objective)
    assert list(selection.selected_ids) in best
    assert "AUDIT" in set(selection.selected_ids)

    forced = checker.brute_force(portfolio, scores, force_in=["STORE"], force_out=["PORTAL"])
    assert what_if.summary()["objective"] == pytest.approx(forced.objective)
    assert {"STORE", "AUDIT"} <= set(what_if.selected_ids)
    assert "PORTAL" not in set(what_if.selected_ids)
    assert forced.objective < best.objective  # forcing costs value, as the page says


def test_microsoft_project_sources():
    text = (DOCS / "coming-from-microsoft-project.md").read_text(encoding="utf-8")
    body, sources = text.split("\n## Sources\n")
    entries = dict(re.findall(r"^(\d+)\. .*?<(https://[^>]+)>", sources, re.M | re.S))
    body = re.sub(r"cited as \\\[\d+\\\]–\\\[\d+\\\]", "", body)
    cited = {int(n) for n in re.findall(r"\\\[(\d+)\\\]", body)}
    assert cited == {int(n) for n in entries}, "every citation has a source and vice versa"
    for n, url in entries.items():
        assert url.startswith("https://learn.microsoft.com/en-us/project"), (n, url)


def test_getting_started_describes_the_sample():
    text = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    tables = {k: pd.read_csv(PACKAGE / "datasets" / "sample" / f"{k}.csv")
              for k in ("projects", "budget", "capacity")}
    assert f"{len(tables['projects'])} project ideas" in text
    assert f"{tables['capacity']['competence'].nunique()} competences" in text
    assert f"{tables['capacity']['period'].nunique()} quarters" in text
    total = tables["budget"].set_index("period").loc["total", "amount"]
    assert f"budget of {int(total):,} kEUR".replace(",", " ") in text


def test_large_portfolios_page_runs(capsys):
    """The page's example: a time-limited select on 3 000 projects, with progress events."""
    ns = _run_blocks("large-portfolios.md")
    sel, events = ns["selection"], ns["events"]
    assert sel.status.value in ("optimal", "feasible")
    assert sel.objective <= sel.bound * (1 + 1e-9)
    assert events and events[-1].incumbent == pytest.approx(sel.objective, rel=1e-12)
    out = capsys.readouterr().out.split("\n")  # the first select: bound above, its gap
    assert out[1].split()[0] == "True" and 0 <= float(out[1].split()[1]) < 1
