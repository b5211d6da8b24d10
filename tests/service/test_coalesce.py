"""Identical reads at once share one read, and no request gets an answer read before it
arrived (railyard_batch/service/coalesce.py), with real threads."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from railyard_batch.service.coalesce import Coalescer


def test_requests_that_wait_together_share_one_read() -> None:
    reads = Coalescer()
    calls = 0
    gate = threading.Event()

    def work() -> int:
        nonlocal calls
        calls += 1
        gate.wait(5)
        return calls

    with ThreadPoolExecutor(20) as pool:
        first = pool.submit(reads.read, "k", work)  # running, holding the gate
        time.sleep(0.2)
        rest = [pool.submit(reads.read, "k", work) for _ in range(19)]
        time.sleep(0.2)
        gate.set()
        answers = [f.result(10) for f in rest]
    assert first.result() == 1
    assert answers == [2] * 19  # one read after the running one answers all nineteen
    assert calls == 2


def test_a_request_never_gets_a_read_that_began_before_it() -> None:
    reads = Coalescer()
    value = [0]
    started = threading.Event()
    gate = threading.Event()

    def work() -> int:
        seen = value[0]
        started.set()
        gate.wait(5)
        return seen

    with ThreadPoolExecutor(2) as pool:
        early = pool.submit(reads.read, "k", work)
        started.wait(5)
        value[0] = 1  # a change the late request knows of: it must see it
        late = pool.submit(reads.read, "k", work)
        time.sleep(0.2)
        gate.set()
        assert early.result(10) == 0
        assert late.result(10) == 1


def test_different_questions_are_read_apart_and_errors_reach_every_waiter() -> None:
    reads = Coalescer()
    gate = threading.Event()

    def failing() -> int:
        gate.wait(5)
        raise LookupError("gone")

    with ThreadPoolExecutor(6) as pool:
        running = pool.submit(reads.read, "bad", failing)
        time.sleep(0.1)
        waiters = [pool.submit(reads.read, "bad", failing) for _ in range(4)]
        other = pool.submit(reads.read, "good", lambda: "fine")
        assert other.result(5) == "fine"  # not held up by the other key's read
        time.sleep(0.1)
        gate.set()
        for future in [running, *waiters]:
            with pytest.raises(LookupError, match="gone"):
                future.result(10)
    assert reads.read("bad", lambda: 3) == 3  # a failed read leaves nothing behind
