"""Leases: who holds a sweep or a member, and until when.

A local sweep's launcher holds the sweep's lease; a worker holds the lease of each member it
trains. Both renew them from a background thread (:class:`Heartbeat`): one write per holder
every third of the lease, however many members it holds. A sweep whose lease expired, and whose
unfinished members have no live lease either, is dead: :meth:`RunStore.close_dead` fails those
members with "worker lost: no heartbeat since ..." and closes the sweep. Any sweep, ``runs
list`` and ``runs gc`` call it, so a killed sweep does not stay ``running``.

The lease length is ``RAILYARD_LEASE_S`` seconds (default 30): long enough to ride out a busy
machine (a holder renews three times per lease), short enough that a dead sweep is closed soon.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from railyard_batch.errors import ConfigError

if TYPE_CHECKING:
    from railyard_batch.recording.store import RunStore

DEFAULT_LEASE_S = 30.0


def lease_seconds() -> float:
    raw = os.environ.get("RAILYARD_LEASE_S", "")
    if not raw:
        return DEFAULT_LEASE_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ConfigError(
            f"RAILYARD_LEASE_S must be a number of seconds > 0 (default {DEFAULT_LEASE_S:g}). "
            f"Got {raw!r}."
        )
    return value


def owner_id() -> str:
    """Who holds a lease: host, process and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Heartbeat:
    """Calls ``renew(store)`` every ``interval`` seconds in a daemon thread (with its own
    connection to the run store at ``store_url``) until the block ends. A renewal that fails is
    retried at the next beat (a lease is three beats long)."""

    def __init__(self, store_url: str, renew: Callable[[RunStore], None], interval: float) -> None:
        self._url = store_url
        self._renew = renew
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="railyard-heartbeat", daemon=True)

    def _run(self) -> None:
        from railyard_batch.recording.store import RunStore

        store: RunStore | None = None
        try:
            while not self._stop.wait(self._interval):
                try:
                    store = store or RunStore(self._url)
                    self._renew(store)
                except Exception:  # the next beat tries again; an expired lease is the signal
                    continue
        finally:
            if store is not None:
                store.close()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
