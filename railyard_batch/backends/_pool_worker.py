"""Entry points of a local pool process. Kept free of heavy imports so that the initializer
pins native thread pools to one thread before numpy, scikit-learn or xgboost load."""

from __future__ import annotations

import os
from typing import Any

_QUEUE: Any = None
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def initialize(queue: Any) -> None:
    """One training thread per process: the pool, not the libraries, uses the cores."""
    global _QUEUE
    for name in _THREAD_VARS:
        os.environ[name] = "1"
    _QUEUE = queue


def run_task(plan: Any, shard: int) -> int:
    from railyard_batch.worker import run_shard

    def report(outcome: Any) -> None:
        if _QUEUE is not None:
            _QUEUE.put((outcome.member_id, outcome.state))

    return len(run_shard(plan, shard, progress=report))
