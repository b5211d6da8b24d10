"""Nothing lost, nothing trained twice: re-running a sweep reuses every member that already
succeeded with the same content key (config + data md5 + code), and a sweep killed with
SIGKILL at any moment is completed by running the same command again."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI, Project

SWEEP = (
    "fanout.by=merchant_id",
    "fanout.min_rows=150",
    "execution.workers=2",
    "execution.progress=false",
    "-m",
    "estimator=logistic_regression,xgboost",
)


LEASE_S = 2.0


def all_members(project: Project) -> list[sqlite3.Row]:
    with sqlite3.connect(project.root / "runs" / "railyard.db") as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("SELECT * FROM members ORDER BY queued_at").fetchall()


def latest_sweep(project: Project) -> list[sqlite3.Row]:
    rows = all_members(project)
    last = max(r["sweep_id"] for r in rows)
    return [r for r in rows if r["sweep_id"] == last]


@pytest.mark.e2e
def test_rerunning_an_unchanged_sweep_trains_nothing(project: Project) -> None:
    start = time.perf_counter()
    first = project.run(*SWEEP)
    first_s = time.perf_counter() - start
    assert first.returncode == 0, first.stderr
    start = time.perf_counter()
    second = project.run(*SWEEP)
    second_s = time.perf_counter() - start
    assert second.returncode == 0, second.stderr
    rows = latest_sweep(project)
    assert rows and all(r["state"] == "cached" for r in rows)
    originals = {r["id"]: r for r in all_members(project) if r["state"] == "succeeded"}
    for row in rows:
        origin = originals[row["cached_from"]]
        assert origin["content_key"] == row["content_key"]
        assert origin["model_sha256"] == row["model_sha256"]
        assert json.loads(origin["metrics"]) == json.loads(row["metrics"])
    print(
        f"first run {first_s:.1f} s, cached re-run {second_s:.1f} s, ratio {second_s / first_s:.2f}"
    )


@pytest.mark.e2e
def test_force_retrains_to_the_same_model_and_changes_invalidate(project: Project) -> None:
    assert project.run(*SWEEP).returncode == 0
    # Settings that do not change results keep the cache...
    assert (
        project.run(
            *SWEEP[:-2], "execution.workers=1", "-m", "estimator=logistic_regression,xgboost"
        ).returncode
        == 0
    )
    assert {r["state"] for r in latest_sweep(project)} == {"cached"}
    # ...--force retrains, deterministically...
    forced = project.run(*SWEEP, "--force")
    assert forced.returncode == 0, forced.stderr
    rows = latest_sweep(project)
    assert {r["state"] for r in rows} == {"succeeded"}
    first = {
        r["content_key"]: r["model_sha256"]
        for r in all_members(project)
        if r["state"] == "succeeded" and r["sweep_id"] != rows[0]["sweep_id"]
    }
    assert all(first[r["content_key"]] == r["model_sha256"] for r in rows)
    # ...and a hyperparameter or a code change gives new keys.
    assert (
        project.run(*SWEEP[:-1], "estimator=logistic_regression", "estimator.C=0.5").returncode == 0
    )
    assert {r["state"] for r in latest_sweep(project)} == {"succeeded"}
    hook = project.root / "pipelines" / "fraud.py"
    hook.write_text(hook.read_text() + "\n# a change in user code\n")
    assert project.run(*SWEEP).returncode == 0
    assert {r["state"] for r in latest_sweep(project)} == {"succeeded"}


def _start(
    project: Project,
    env: dict[str, str] | None = None,
    extra: Sequence[str] = (),
    stderr: Any = subprocess.DEVNULL,
) -> subprocess.Popen[str]:
    """The sweep (plus ``extra`` overrides) in its own session, so a kill reaches its pool."""
    return subprocess.Popen(
        [CLI, *SWEEP, *extra],
        cwd=project.root,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )


def _kill_when(proc: subprocess.Popen[str], ready, timeout: float = 240) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the sweep finished before the kill point"
        assert time.monotonic() < deadline, "kill point never reached"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the launcher and its pool workers, no cleanup
    proc.wait(30)


def _count(project: Project, state: str) -> int:
    db = project.root / "runs" / "railyard.db"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return int(
                conn.execute("SELECT COUNT(*) FROM members WHERE state=?", (state,)).fetchone()[0]
            )
    except sqlite3.OperationalError:
        return 0


def _tmp_files(project: Project) -> list[Path]:
    return list((project.root / "runs").rglob(".*.tmp")) if (project.root / "runs").exists() else []


@pytest.mark.e2e
@pytest.mark.parametrize(
    "kill_point",
    ["after-planning", "mid-training", "artifact-write", "batch-commit", "outcome-record"],
)
def test_sigkill_then_rerun_completes_every_member_exactly_once(
    project: Project, kill_point: str
) -> None:
    env = {"RAILYARD_LEASE_S": str(LEASE_S)}
    if kill_point == "after-planning":
        ready = lambda: _count(project, "queued") + _count(project, "running") > 0  # noqa: E731
    elif kill_point == "mid-training":
        ready = lambda: _count(project, "succeeded") >= 3  # noqa: E731
    elif kill_point in ("batch-commit", "outcome-record"):
        # a batch's files written and synced, its store transaction not yet made: in the
        # worker (batch-commit), or once it has reached the sweep's recorder in the parent
        # (outcome-record)
        env["RAILYARD_FAULT_PAUSE"] = f"{kill_point}:30"
        mark = project.root / f"at-{kill_point}"
        env["RAILYARD_FAULT_MARK"] = str(mark)
        ready = lambda: mark.exists() and _count(project, "succeeded") == 0  # noqa: E731
    else:
        env["RAILYARD_FAULT_PAUSE"] = "artifact-rename:30:model.pkl"
        # the paused model write, not a plan written (briefly) before the sweep is recorded
        ready = lambda: any(".model.pkl." in p.name for p in _tmp_files(project))  # noqa: E731
    _kill_when(_start(project, env), ready)
    half_written = _tmp_files(project)

    # Before any re-run: once the leases expire, readers see the killed sweep closed, its
    # unfinished members failed as lost (railyard_batch/recording/leases.py).
    time.sleep(LEASE_S + 1)
    listing = project.run("runs", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    (killed,) = json.loads(listing.stdout)
    assert killed["state"] == "failed" and killed["finished_at"], killed
    lost = [r for r in all_members(project) if r["sweep_id"] == killed["id"]]
    assert lost and {r["state"] for r in lost} <= {"succeeded", "failed"}
    assert any(
        r["state"] == "failed" and r["reason"].startswith("worker lost: no heartbeat since")
        for r in lost
    )

    rerun = project.run(*SWEEP)
    assert rerun.returncode == 0, rerun.stderr
    final = latest_sweep(project)
    assert final and {r["state"] for r in final} <= {"succeeded", "cached"}
    # Every member's result exists exactly once, whichever sweep produced it.
    succeeded = [r for r in all_members(project) if r["state"] == "succeeded"]
    keys = [r["content_key"] for r in succeeded]
    assert len(keys) == len(set(keys))
    assert {r["content_key"] for r in final} == set(keys)
    for row in final:
        assert Path(row["artifact_uri"]).exists()
    # A file cut off mid-write never became a result.
    for tmp in half_written:
        assert not any(r["artifact_uri"] == str(tmp) for r in succeeded)


@pytest.mark.e2e
def test_a_live_sweep_keeps_its_lease_while_readers_look(project: Project) -> None:
    """Heartbeats renew the leases: with a 1 s lease, a sweep that runs for many seconds and
    is read (which closes dead sweeps) all along is never taken for dead. Each member sleeps
    0.4 s first, so the sweep outlasts several lease periods however fast the machine is."""
    (project.root / "pipelines" / "slow.py").write_text(
        "import time\n"
        "from pipelines.fraud import train as fraud_train\n"
        "def train(train_df, holdout_df, params):\n"
        "    time.sleep(0.4)\n"
        "    return fraud_train(train_df, holdout_df, params)\n"
    )
    proc = _start(
        project,
        {"RAILYARD_LEASE_S": "1"},
        extra=("hook=pipelines.slow:train",),
    )
    seen_running: list[float] = []
    while proc.poll() is None:
        listing = project.run("runs", "list", "--json")
        assert listing.returncode == 0, listing.stderr
        sweeps = json.loads(listing.stdout)
        if sweeps:
            assert sweeps[0]["state"] in ("running", "succeeded"), sweeps[0]
            if sweeps[0]["state"] == "running":
                seen_running.append(time.monotonic())
        time.sleep(0.2)
    assert proc.returncode == 0
    # Read while it ran, across more than two lease periods.
    assert len(seen_running) >= 2 and seen_running[-1] - seen_running[0] > 2.0, seen_running
    rows = all_members(project)
    assert rows and {r["state"] for r in rows} == {"succeeded"}
