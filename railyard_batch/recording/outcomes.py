"""The one path by which members' outcomes reach the run store.

Wherever a shard runs, its outcomes travel to the process that runs the sweep and are recorded
there, by one :class:`OutcomeRecorder` that the sweep layer makes and hands to the backend
(:meth:`railyard_batch.execution.backends.base.Backend.execute`):

- a shard run in the sweep's own process hands each committed batch to it directly;
- a local pool worker sends each batch to its parent with the progress
  (:mod:`railyard_batch.execution.backends.local`), whose reader thread records it;
- a pod, which cannot reach the store, writes each member's ``outcome.json`` after its files,
  and the launcher's watcher (or ``railyard-batch wait``) records those
  (:mod:`railyard_batch.execution.sync`).

Workers still *read* the store and take leases in it (claiming a shard's members, renewing
their leases, reading a concurrent sweep's result): that is coordination between sweeps, not a
record of what a member did, and it has to happen where the member runs.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from railyard_batch.recording.artifacts import fault_point
from railyard_batch.recording.store import MemberOutcome, RunStore


class OutcomeRecorder:
    """Records members' outcomes (and that a pod's members run) in the run store at ``url``,
    a batch per transaction. Opened on first use; safe to call from several threads (the
    local backend's reader thread records while its main thread waits on the pool)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._store: RunStore | None = None
        self._owned = True
        self._lock = threading.Lock()

    @classmethod
    def over(cls, store: RunStore) -> OutcomeRecorder:
        """A recorder writing to a store already open (a command that re-attaches to a sweep,
        ``railyard-batch wait``); closing the recorder leaves the store open."""
        recorder = cls(store.url)
        recorder._store, recorder._owned = store, False
        return recorder

    @property
    def store(self) -> RunStore:
        """The store it writes (opened now if it was not): for what the backends read
        beside recording (which members have finished, the counts for progress)."""
        with self._lock:
            if self._store is None:
                # reached: the sweep was recorded in this store before anything ran
                self._store = RunStore(self.url, reached=True)
            return self._store

    def record(self, outcomes: Sequence[MemberOutcome]) -> None:
        """Record a batch of outcomes in one transaction (:meth:`RunStore.record_outcomes`:
        a member already finished keeps its result)."""
        if not outcomes:
            return
        store = self.store
        fault_point("outcome-record")  # the batch has reached the recorder, not the store
        with self._lock:
            store.record_outcomes(outcomes)

    def running(self, member_ids: Sequence[str], *, node: str | None) -> None:
        """Members whose pod runs now, on ``node`` (:meth:`RunStore.mark_running`)."""
        if not member_ids:
            return
        store = self.store
        with self._lock:
            store.mark_running(member_ids, node=node)

    def fail_unfinished(self, sweep_id: str, reason: str) -> None:
        """Every member of the sweep still queued or running fails with ``reason`` (what the
        backend said of the members it did not finish)."""
        store = self.store
        with self._lock:
            store.fail_unfinished(sweep_id, reason)

    def close(self) -> None:
        with self._lock:
            store, self._store = self._store, None
        if store is not None and self._owned:
            store.close()

    def __enter__(self) -> OutcomeRecorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
