"""Many-solve routines on executors: serial, a process pool and a real Dask LocalCluster agree.

The Dask test starts its own ``LocalCluster`` (two worker processes, no dashboard) and stops it
at the end of the module; it is skipped only when ``distributed`` is not installed (it is part
of the ``test`` extra).
"""

from __future__ import annotations

import functools
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from portfolio_opt import InputError, datasets, select
from portfolio_opt.parallel import check_executor, run_many


def _slow_square(x: int) -> int:
    time.sleep(0.02 * (5 - x))  # the first tasks finish last
    return x * x


def _fails_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("task 3 failed")
    return x


def _objective(budget: float) -> tuple[float, tuple[str, ...], str]:
    sel = select(datasets.load_sample(), budget=budget, diagnose=False)
    return sel.objective, tuple(sel.selected_ids), sel.status.value


def test_results_come_back_in_task_order():
    with ThreadPoolExecutor(4) as pool:
        assert run_many(_slow_square, range(5), executor=pool) == [0, 1, 4, 9, 16]
    assert run_many(_slow_square, range(5)) == [0, 1, 4, 9, 16]


def test_the_first_error_is_raised_again():
    with pytest.raises(ValueError, match="task 3 failed"):
        run_many(_fails_on_three, range(5))
    with ThreadPoolExecutor(2) as pool, pytest.raises(ValueError, match="task 3 failed"):
        run_many(_fails_on_three, range(5), executor=pool)


def test_an_executor_must_submit():
    with pytest.raises(InputError, match=r"efficient_frontier: executor must be a "
                                         r"concurrent.futures.Executor .*got int 4"):
        check_executor(4, "efficient_frontier")
    with pytest.raises(InputError, match="pass executor=None to run serially"):
        run_many(abs, [1], executor="pool")  # type: ignore[arg-type]


def test_progress_bar_on_request_only(capsys):
    run_many(abs, range(30), progress=True, desc="frontier")
    assert "frontier" in capsys.readouterr().err
    run_many(abs, range(30), progress=False, desc="frontier")
    assert capsys.readouterr().err == ""
    run_many(abs, range(30), desc="frontier")  # not a terminal under pytest: no bar
    assert capsys.readouterr().err == ""


def test_progress_without_tqdm_is_a_clear_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(InputError, match=r"progress=True needs tqdm; install it"):
        run_many(abs, range(3), progress=True, desc="scenarios")
    assert run_many(abs, [-1], progress=None) == [1]


BUDGETS = [6000.0, 9000.0]


@pytest.fixture(scope="module")
def serial() -> list:
    return run_many(_objective, BUDGETS)


def test_process_pool_agrees_with_serial(serial):
    with ProcessPoolExecutor(max_workers=2) as pool:
        assert run_many(_objective, BUDGETS, executor=pool) == serial
    # an independent check that the numbers are the sample's: more budget, no less value
    assert serial[0][0] <= serial[1][0]


@pytest.fixture(scope="module")
def dask_executor():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client.get_executor()


def test_dask_cluster_agrees_with_serial(dask_executor, serial):
    assert run_many(_objective, BUDGETS, executor=dask_executor) == serial



# every many-solve routine of the library: the Dask cluster gives exactly the serial result


def _frontier(executor):
    from portfolio_opt import efficient_frontier

    return efficient_frontier(datasets.load_sample(), budgets=BUDGETS, executor=executor)


def _scenarios(executor):
    from portfolio_opt import Scenario, compare_scenarios

    comparison = compare_scenarios(
        datasets.load_sample(),
        [Scenario("cut", budget=9900.0), Scenario("arch", capacity={"architecture": 0.7})],
        executor=executor)
    return comparison.summary


def _probability(executor):
    from portfolio_opt import selection_probability

    pf = datasets.load_sample()
    projects = pf.projects.assign(cost_low=0.9 * pf.projects["cost"],
                                  cost_high=1.2 * pf.projects["cost"])
    result = selection_probability(pf.replace(projects=projects), n=3, seed=7,
                                   executor=executor)
    return result.probability


def _robust(executor):
    from portfolio_opt import robust_portfolios

    result = robust_portfolios(datasets.load_sample(), ranking="weights", method="weights",
                               executor=executor)
    return result.portfolios


@functools.cache
def _sample_explanation():
    """The sample's selection explained: solved once, for the serial and the Dask run."""
    return select(datasets.load_sample()).explain()


def _value_to_enter(executor):
    ex = _sample_explanation()
    out = ex.projects.index[~ex.projects["selected"]]
    # two projects left out, one task per worker: the 2nd and 3rd (one can enter, one cannot
    # at its cost), whose forced-in solves take 1.5 s together against 5 s for the 1st and 2nd
    return ex.value_to_enter(list(out[1:3]), executor=executor)


ROUTINES = {"frontier": _frontier, "scenarios": _scenarios, "probability": _probability,
            "robust": _robust, "value_to_enter": _value_to_enter}

# serial results that other modules check too: solved once a session (conftest.py)
SHARED_SERIAL = {"frontier": lambda request: request.getfixturevalue("sample_frontier"),
                 "robust": lambda request: request.getfixturevalue("sample_screen").result
                 .portfolios}


@pytest.mark.parametrize("routine", list(ROUTINES))
def test_every_routine_agrees_on_dask(routine, dask_executor, request):
    import pandas as pd

    run = ROUTINES[routine]
    serial = SHARED_SERIAL[routine](request) if routine in SHARED_SERIAL else run(None)
    distributed = run(dask_executor)
    if isinstance(serial, pd.Series):
        pd.testing.assert_series_equal(distributed, serial)
    else:
        pd.testing.assert_frame_equal(distributed, serial)
