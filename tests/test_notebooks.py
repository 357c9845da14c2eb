"""The notebooks are committed without outputs and run for real in a Jupyter kernel.

Each notebook runs in its own kernel process; the kernels wait on the solvers, so the module runs
the notebooks two at a time (CI has two cores) and each test checks its own notebook's result.
"""

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
AT_ONCE = 2


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, path.name


def _execute(path: Path, folder: Path):
    """Run every cell of the notebook in a new kernel (working directory ``folder``)."""
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(folder)}})
    client.execute(env={**os.environ, "MPLBACKEND": "Agg"})
    return nb


@pytest.fixture(scope="module")
def executed(request, tmp_path_factory) -> Iterator[dict[Path, Future]]:
    """The notebooks this session tests, started at once on AT_ONCE threads (one kernel each)."""
    wanted = [item.callspec.params["path"] for item in request.session.items
              if getattr(item, "originalname", None) == "test_notebook_runs"
              and item.module is request.module]
    pool = ThreadPoolExecutor(max_workers=AT_ONCE)
    yield {path: pool.submit(_execute, path, tmp_path_factory.mktemp(path.stem))
           for path in wanted}
    pool.shutdown(wait=True, cancel_futures=True)  # -x or Ctrl-C: the others not started


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, executed):
    nb = executed[path].result()  # a cell's error is raised here (CellExecutionError)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
