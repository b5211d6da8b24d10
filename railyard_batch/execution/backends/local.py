"""The local backend: shards of every run in one pool of worker processes, one per core."""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from railyard_batch.execution.backends import _pool_worker
from railyard_batch.execution.backends.base import Executed, Execution
from railyard_batch.execution.worker_log import LOGGER
from railyard_batch.output.progress import MemberProgress
from railyard_batch.planning.plan import RunPlan
from railyard_batch.recording.outcomes import OutcomeRecorder
from railyard_batch.recording.store import MemberOutcome

# How long the parent waits, once a shard's task has returned, for the task's last messages
# (they are sent before it returns, so this is only ever reached if the queue is stuck).
END_OF_TASK_S = 60.0


def available_cores() -> int:
    """Cores this process may use: its CPU affinity, capped by a cgroup CPU quota (a pod's
    limit, ``cpu.max`` in cgroup v2 or ``cpu.cfs_quota_us`` in v1), rounded up."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    quota = _cgroup_quota()
    return max(1, min(cores or 1, math.ceil(quota) if quota else cores or 1))


def _cgroup_quota(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    try:
        fields = (root / "cpu.max").read_text().split()
        if fields and fields[0] != "max":
            return int(fields[0]) / int(fields[1])
        return None
    except (OSError, ValueError, IndexError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return quota / period if quota > 0 and period > 0 else None
    except (OSError, ValueError):
        return None


def threads_per_worker(execution: Any) -> int:
    """``execution.threads_per_worker`` of a config section: a plan's typed one, or the Hydra
    config's (which may lack it: Hydra's launcher suites run apps of their own); 1 when it has
    none or 0."""
    if isinstance(execution, Mapping):  # a dict or a DictConfig
        return int(execution.get("threads_per_worker", 1) or 1)
    return int(execution.threads_per_worker or 1)


def default_workers(threads_per_worker: int = 1) -> int:
    """Workers x threads fill the available cores: one worker per ``threads_per_worker``."""
    return max(1, available_cores() // max(1, threads_per_worker))


@contextmanager
def pinned_pool(workers: int, threads: int, queue: Any = None) -> Iterator[ProcessPoolExecutor]:
    """A spawn pool whose processes start with the thread variables already set (spawn runs a
    fresh interpreter, which reads them before numpy loads) and limit each task again with
    threadpoolctl. The parent's environment is restored when the pool is done."""
    ctx = multiprocessing.get_context("spawn")
    saved = {name: os.environ.get(name) for name in _pool_worker.THREAD_VARS}
    os.environ.update({name: str(threads) for name in _pool_worker.THREAD_VARS})
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_pool_worker.initialize,
            initargs=(queue, threads),
        ) as pool:
            yield pool
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass
class _EarlyPool:
    pool: ProcessPoolExecutor
    queue: Any
    threads: int
    processes: list[Any]
    stack: ExitStack


_EARLY: _EarlyPool | None = None


def start_early(workers: int, threads: int) -> None:
    """Start the pool's worker processes now, before planning: they import the training stack
    (about 2 s each) while this process plans, and :meth:`LocalBackend.execute` runs the
    shards on them. Nothing starts for one worker (shards then run in this process). A pool
    left unused is stopped by :func:`stop_early`."""
    global _EARLY
    if workers < 2 or _EARLY is not None:
        return
    queue = multiprocessing.get_context("spawn").Queue()
    before = set(multiprocessing.active_children())
    stack = ExitStack()
    pool = stack.enter_context(pinned_pool(workers, threads, queue))
    for _ in range(workers):  # a spawn pool starts one process per task waiting
        pool.submit(_pool_worker.warm)
    started = [p for p in multiprocessing.active_children() if p not in before]
    _EARLY = _EarlyPool(pool, queue, threads, started, stack)


def stop_early() -> None:
    """Stop a pool :func:`start_early` started that no backend took (planning failed, or
    nothing was left to run): its processes are ended, not waited for."""
    global _EARLY
    early, _EARLY = _EARLY, None
    if early is None:
        return
    for process in early.processes:
        process.terminate()
    early.pool.shutdown(wait=False, cancel_futures=True)
    early.stack.close()
    early.queue.close()


def early_import_checks() -> Callable[[dict[str, Any]], Callable[[], None]] | None:
    """Where planning runs a config's import checks (the estimator and hook,
    :func:`railyard_batch.config.validate.check_imports`) while an early pool runs: in one of
    its workers, so that this process never imports scikit-learn (about 80 MiB). The
    returned function submits the checks and returns their wait, which raises their error.
    None without an early pool: the checks run in this process."""
    early = _EARLY
    if early is None:
        return None
    pool = early.pool

    def submit(raw: dict[str, Any]) -> Callable[[], None]:
        from railyard_batch.config.validate import check_imports

        try:
            future = pool.submit(check_imports, raw)
        except (BrokenProcessPool, RuntimeError):  # the pool is gone: check here
            return lambda: check_imports(raw)

        def wait() -> None:
            try:
                future.result()
            except BrokenProcessPool:  # a worker died importing: the check decides here
                check_imports(raw)

        return wait

    return submit


def _take_early(threads: int) -> _EarlyPool | None:
    global _EARLY
    early = _EARLY
    if early is None or early.threads != threads:
        stop_early()
        return None
    _EARLY = None
    return early


class LocalBackend:
    """Runs shards in worker processes (or inline, with one worker) on this machine."""

    name = "local"
    leased = True

    def __init__(
        self, workers: int = 0, *, progress: bool = True, threads_per_worker: int = 0
    ) -> None:
        # 0: execution.threads_per_worker of the first plan (1 when it has none).
        self.threads_per_worker = threads_per_worker
        self.workers = workers
        self.progress = progress
        self._errors: list[str] = []

    def execute(self, plans: list[RunPlan], recorder: OutcomeRecorder) -> Executed:
        if not self.threads_per_worker:
            self.threads_per_worker = threads_per_worker(plans[0].typed.execution) if plans else 1
        self.workers = self.workers or default_workers(self.threads_per_worker)
        tasks = [(plan, shard) for plan in plans for shard in range(plan.n_shards)]
        # Heaviest shards first, so the pool does not end waiting on one big shard.
        tasks.sort(key=lambda t: -sum(m.n_rows for m in t[0].shard_members(t[1])))
        total = sum(1 for plan in plans for m in plan.members if m.shard >= 0)
        with MemberProgress(total, enabled=self.progress) as bar:
            if not tasks:  # every member was served from the cache
                pass
            elif self.workers == 1 or len(tasks) == 1:
                from threadpoolctl import threadpool_limits

                from railyard_batch.execution.worker import run_shard

                stop_early()  # not needed: the shard runs here

                def committed(outcomes: list[MemberOutcome], new: bool) -> None:
                    if new:
                        recorder.record(outcomes)
                    for outcome in outcomes:
                        bar.advance(outcome.state)

                with threadpool_limits(limits=self.threads_per_worker):
                    for plan, shard in tasks:
                        try:
                            run_shard(plan, shard, committed)
                        except Exception as exc:  # fails its shard, not the sweep
                            self._shard_failed(plan, shard, exc)
            else:
                self._execute_pool(tasks, bar, recorder)
        # Members still queued or running now died with their process, or their shard raised
        # (the first error is their reason).
        return Executed(
            Execution.FINISHED,
            self._errors[0]
            if self._errors
            else "the worker process running this member died (killed or out of memory)",
        )

    def _shard_failed(self, plan: RunPlan, shard: int, exc: BaseException) -> None:
        LOGGER.error("shard %d of run %s failed", shard, plan.run_id, exc_info=exc)
        self._errors.append(f"its shard failed: {type(exc).__name__}: {exc}")

    def _execute_pool(
        self, tasks: list[tuple[RunPlan, int]], bar: MemberProgress, recorder: OutcomeRecorder
    ) -> None:
        """Run the shards on the pool. Its workers send each committed batch here
        (:func:`_pool_worker.run_task`), and a reader thread records them with ``recorder``:
        this process is the only one that records outcomes, as on Kubernetes."""
        with ExitStack() as stack:
            early = _take_early(self.threads_per_worker)
            if early is not None:  # started before planning (start_early)
                stack.callback(early.stack.close)
                pool, queue = early.pool, early.queue
            else:
                queue = multiprocessing.get_context("spawn").Queue()
                workers = min(self.workers, len(tasks))
                pool = stack.enter_context(pinned_pool(workers, self.threads_per_worker, queue))
            stack.callback(queue.close)
            ended: set[int] = set()
            arrived = threading.Condition()

            def drain() -> None:
                while True:
                    item = queue.get()
                    if item == "stop":
                        return
                    task, outcomes, new = item
                    if outcomes is None:  # the task's last message
                        with arrived:
                            ended.add(task)
                            arrived.notify_all()
                        continue
                    if new:
                        try:
                            recorder.record(outcomes)
                        except Exception as exc:  # they stay unfinished: failed with why
                            LOGGER.error("recording %d outcome(s) failed: %s", len(outcomes), exc)
                            self._errors.append(f"recording its outcome failed: {exc}")
                            continue
                    for outcome in outcomes:
                        bar.advance(outcome.state)

            reader = threading.Thread(target=drain, daemon=True)
            reader.start()

            def stop_reader() -> None:
                queue.put("stop")
                reader.join(timeout=10)

            stack.callback(stop_reader)  # after the pool is done (callbacks run in reverse)
            returned: set[int] = set()
            with pool:
                futures = {
                    pool.submit(_pool_worker.run_task, plan, shard, task): (task, plan, shard)
                    for task, (plan, shard) in enumerate(tasks)
                }
                for future in as_completed(futures):
                    task, plan, shard = futures[future]
                    try:
                        future.result()
                    except BrokenProcessPool:
                        return  # the members left unfinished are marked failed by the caller
                    except Exception as exc:  # fails its shard, not the sweep
                        self._shard_failed(plan, shard, exc)
                    returned.add(task)
            with arrived:  # every batch of every task is recorded before this returns
                if not arrived.wait_for(lambda: returned <= ended, timeout=END_OF_TASK_S):
                    LOGGER.error(
                        "the last outcomes of %d shard(s) never reached the launcher",
                        len(returned - ended),
                    )
