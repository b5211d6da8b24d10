"""The local pool starts before planning (its processes import the training stack while the
parent plans): the backend runs shards on those processes, and a pool no backend takes (a
planning error) is stopped, leaving no process behind. The config's estimator check runs in
one of those processes, with the errors the parent would give."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil
import pytest

from railyard_batch.execution.backends import local
from tests.conftest import Project, assert_one_line


def _cwd_processes(root: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.pid != os.getpid() and proc.cwd() == root:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def test_the_backend_runs_on_the_processes_started_before_planning() -> None:
    local.start_early(2, 1)
    try:
        assert local._EARLY is not None
        started = {p.pid for p in local._EARLY.processes}
        assert len(started) == 2
        early = local._take_early(1)
        assert early is not None and local._EARLY is None
        with early.pool as pool:
            pids = {pool.submit(os.getpid).result(timeout=60) for _ in range(8)}
        assert pids <= started
        early.stack.close()
    finally:
        local.stop_early()


def test_a_pool_with_other_thread_limits_is_not_taken_but_stopped() -> None:
    local.start_early(2, 1)
    assert local._EARLY is not None
    processes = list(local._EARLY.processes)
    assert local._take_early(2) is None  # the backend then starts its own pool
    deadline = time.monotonic() + 30
    while any(p.is_alive() for p in processes) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(p.is_alive() for p in processes)
    assert local._EARLY is None


def test_a_planning_error_leaves_no_worker_process_behind(project: Project) -> None:
    result = project.run(
        "fanout.by=merchant_id", "execution.workers=2", "features.numeric=[amount,no_such_column]"
    )
    assert_one_line(result, "no_such_column")
    assert _cwd_processes(str(project.root)) == []


def test_a_parent_with_an_early_pool_never_imports_scikit_learn(project: Project) -> None:
    """The estimator check runs in a pool worker (it imports scikit-learn to train anyway),
    so planning does not take scikit-learn's ~80 MiB in the parent as well."""
    seen = project.root / "parent-modules.txt"
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(seen)!r}, 'w').write("
        "' '.join(m for m in ('sklearn', 'scipy') if m in sys.modules)))\n"
        "from railyard_batch.cli.main import main\n"
        "main(sys.argv[1:])\n"
    )
    args = ["fanout.by=merchant_id", "execution.workers=2", "execution.progress=false"]
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "succeeded=" in proc.stdout
    assert seen.read_text() == ""


@pytest.mark.parametrize(
    "bad",
    [
        ["estimator.C=-1"],
        ["estimator._target_=sklearn.linear_model.NoSuchModel"],
        ["estimator.no_such_param=1"],
        # Both wrong: the estimator's error comes first, as when the parent checks it.
        ["estimator.C=-1", "features.numeric=[amount,no_such_column]"],
    ],
)
def test_an_estimator_error_from_an_early_worker_is_the_error_the_parent_gives(
    project: Project, bad: list[str]
) -> None:
    here = project.run("fanout.by=merchant_id", "execution.workers=1", *bad)
    pooled = project.run("fanout.by=merchant_id", "execution.workers=2", *bad)
    assert_one_line(here, "estimator")
    assert_one_line(pooled, "estimator")
    assert pooled.stderr == here.stderr
    assert _cwd_processes(str(project.root)) == []
