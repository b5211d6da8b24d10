"""Entry points of a local pool process. Kept free of heavy imports; the thread limits are set
twice: in the environment the pool's processes start with (so numpy, scipy, scikit-learn and
xgboost size their thread pools from it at import), and with threadpoolctl around each task
(for any library loaded before, or one that ignores the environment)."""

from __future__ import annotations

from typing import Any

_QUEUE: Any = None
_THREADS = 1
# The variables OpenMP, OpenBLAS, MKL, BLIS, Apple Accelerate and numexpr read at load.
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def initialize(queue: Any, threads: int = 1) -> None:
    """``threads`` training threads per task: the pool, not the libraries, uses the cores.
    The environment (:data:`THREAD_VARS`) is set by the parent before the process starts:
    here it would come after numpy, which the backends package imports, has loaded."""
    global _QUEUE, _THREADS
    _QUEUE = queue
    _THREADS = threads


def warm() -> None:
    """Import the training stack (numpy, pandas, scikit-learn, the worker): a pool started
    before planning does this while its parent plans."""
    import railyard_batch.execution.worker  # noqa: F401


def run_task(plan: Any, shard: int, task: int) -> int:
    """Run one shard; each committed batch goes to the parent in one message ``(task,
    outcomes, new)``, where the sweep's recorder records the new ones, and ``(task, None,
    False)`` ends the task's messages (they arrive in order: one feeder thread a process), so
    that the parent knows when it has every batch of a task that returned."""
    from threadpoolctl import threadpool_limits

    from railyard_batch.execution.worker import run_shard

    queue = _QUEUE
    assert queue is not None, "a pool that runs shards is started with its parent's queue"

    def committed(outcomes: list[Any], new: bool) -> None:
        queue.put((task, outcomes, new))

    try:
        with threadpool_limits(limits=_THREADS):
            return len(run_shard(plan, shard, committed))
    finally:
        queue.put((task, None, False))


def thread_report() -> list[dict[str, Any]]:
    """What threadpoolctl sees in this process once the training stack is loaded (a probe for
    the tests: the same imports a shard makes)."""
    import xgboost  # noqa: F401
    from threadpoolctl import threadpool_info

    import railyard_batch.execution.training  # noqa: F401  (numpy, scipy, scikit-learn)

    return list(threadpool_info())


def run_probe(probe: Any) -> Any:
    """Run ``probe`` as a task would run (inside the per-task thread limits)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=_THREADS):
        return probe()
