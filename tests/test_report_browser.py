"""The review report opened in a real headless Chromium: every image loads, no console errors,
and it prints to PDF.

Chromium is installed by ``.ci/run`` where the platform allows (Debian/Ubuntu as root:
``apt-get install chromium``); elsewhere these tests are skipped, saying why. The report has no
JavaScript of its own: the test opens a copy with a small probe script appended that records,
after the load event, how many images there are and how many decoded with a non-zero size, into
the page title; ``--dump-dom`` then prints the page. Console messages and failed loads come
from Chromium's own log (``--enable-logging=stderr``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from portfolio_opt import datasets, select, write_review

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
PROBE = """
<script>
window.addEventListener("load", function () {
  var images = Array.from(document.images);
  var ok = images.filter(function (i) { return i.complete && i.naturalWidth > 0; });
  document.title = "probe images=" + images.length + " loaded=" + ok.length;
});
</script>
"""


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium on this machine (.ci/run installs it with apt-get where it can)")


def _run(browser: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("review")
    selection = select(datasets.load_sample())
    write_review(selection, out, explanation=selection.explain())
    return out / "report.html"


def _open(browser: str, page: Path, tmp_path: Path) -> tuple[int, int, list[str]]:
    """Open a copy of ``page`` with the probe: (images, images loaded, console lines)."""
    probe = tmp_path / f"probe-{page.name}"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                     encoding="utf-8")
    result = _run(browser, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    title = re.search(r"probe images=(\d+) loaded=(\d+)", result.stdout)
    assert title, "the probe did not run: " + result.stdout[:500]
    console = [line for line in result.stderr.splitlines()
               if ":CONSOLE" in line or "Failed to load resource" in line
               or "Uncaught" in line]
    return int(title.group(1)), int(title.group(2)), console


def test_the_probe_sees_a_broken_image_and_a_console_error(tmp_path):
    browser = _browser()
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><img src="missing.png">'
                   '<script>console.error("boom")</script></body></html>', encoding="utf-8")
    images, loaded, console = _open(browser, bad, tmp_path)
    assert (images, loaded) == (1, 0)
    assert any("boom" in line for line in console)


def test_every_image_loads_without_console_errors(report, tmp_path):
    images, loaded, console = _open(_browser(), report, tmp_path)
    n_png = report.read_text(encoding="utf-8").count('src="data:image/png;base64,')
    assert images == n_png >= 3
    assert loaded == images
    assert console == []


def test_the_report_prints_to_pdf(report, tmp_path):
    browser = _browser()
    pdf = tmp_path / "report.pdf"
    result = _run(browser, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", report.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert 1 <= pages <= 40
    pdftotext = shutil.which("pdftotext")
    if pdftotext:  # the printed text carries the summary's figures
        text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Portfolio review" in text or "portfolio" in text.lower()
