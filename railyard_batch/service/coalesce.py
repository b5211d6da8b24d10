"""Identical reads at the same time share one database read, and none sees older data for it.

Fifty clients polling one sweep ask the same question many times a second. A request that
finds a read for its question already running does not join it (that read began before the
request came, so it could miss a change the client already knows of): it waits for the
next read, which starts when the running one ends and answers every request that arrived
meanwhile. Each answer is read after its request arrived, and a question is read by at most
one thread at a time, however many ask it: under load, requests share reads instead of
queueing for the CPU and the database.

Hand-written: the pattern (Go's ``singleflight``, with a fresh read per wave) has no
maintained Python package for threads; it is a lock, a dict and two events.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class Coalescer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[Hashable, _Flight] = {}  # the next read of a key: joinable
        self._running: dict[Hashable, _Flight] = {}  # the read under way: not joinable

    def read(self, key: Hashable, work: Callable[[], Any]) -> Any:
        """``work()``'s answer, from a call that began after this one."""
        with self._lock:
            flight = self._waiting.get(key)
            leader = flight is None
            if flight is None:
                flight = self._waiting[key] = _Flight()
            ahead = self._running.get(key)
        if not leader:
            flight.done.wait()
            return _answer(flight)
        if ahead is not None:
            ahead.done.wait()
        with self._lock:
            del self._waiting[key]  # from now on, new requests need the read after this one
            self._running[key] = flight
        try:
            flight.value = work()
        except BaseException as exc:
            flight.error = exc
        finally:
            with self._lock:
                if self._running.get(key) is flight:
                    del self._running[key]
            flight.done.set()
        return _answer(flight)


def _answer(flight: _Flight) -> Any:
    if flight.error is not None:
        raise flight.error
    return flight.value
