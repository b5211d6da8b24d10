"""``POST /v1/sweeps/{id}/cancel``: stop a sweep and record its unfinished members as failed.

A local sweep the service started runs as its own process group: the group is sent SIGTERM,
then SIGKILL, and then (nothing of it left to write) its queued and running members are
failed with "cancelled by NAME" through the run store and the sweep is closed. A Kubernetes
sweep is cancelled by the launcher's own code (its Jobs deleted, members failed).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from railyard_batch.errors import RailyardError, RunNotFoundError
from railyard_batch.recording.store import RunStore, now
from railyard_batch.service import trainings


class CannotCancel(RailyardError):
    """The sweep is finished, or runs somewhere this service cannot stop."""


def process_alive(pid: int, sweep_id: str) -> bool:
    """Whether ``pid`` is still the live process of this sweep (not a reused pid, not a
    zombie waiting to be reaped)."""
    proc = Path(f"/proc/{pid}")
    try:
        stat = (proc / "stat").read_text()
        cmdline = (proc / "cmdline").read_bytes()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z" and sweep_id.encode() in cmdline


def stop_group(pid: int, sweep_id: str, grace_s: float = 5.0) -> None:
    """SIGTERM the sweep's process group, SIGKILL what is left after ``grace_s``."""
    if not process_alive(pid, sweep_id):
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while process_alive(pid, sweep_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)  # pool workers too, whatever the leader did
    while process_alive(pid, sweep_id):
        time.sleep(0.05)


def cancel_sweep(store: RunStore, sweep_id: str, actor: str) -> dict[str, int]:
    """Cancel ``sweep_id`` on behalf of ``actor``; returns the members' final counts."""
    record = trainings.get(store.url, sweep_id)
    try:
        sweep = store.sweep(sweep_id)
    except RunNotFoundError:
        if record is None:
            raise
        sweep = None
    if sweep is not None and sweep.state != "running":
        raise CannotCancel(f"The sweep {sweep_id} is {sweep.state}: nothing to cancel.")
    if sweep is not None and sweep.backend == "kubernetes":
        from railyard_batch.execution.kubernetes._commands import cancel

        cancel(store, sweep_id)
    elif record is not None and record.get("pid"):
        if record.get("exit_code") is not None and sweep is None:
            raise CannotCancel(f"The sweep {sweep_id} ended before it started: nothing to cancel.")
        stop_group(int(record["pid"]), sweep_id)
        if sweep is not None:
            store.fail_unfinished(sweep_id, f"cancelled by {actor}")
            store.finish_runs(sweep_id)
    else:
        raise CannotCancel(
            f"The sweep {sweep_id} was not started by this service: stop it where it runs."
        )
    if record is not None:
        trainings.update(store.url, sweep_id, cancelled_by=actor, finished_at=now())
    return store.state_counts(sweep_id) if sweep is not None else {}
