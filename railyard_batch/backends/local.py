"""The local backend: shards of every run in one pool of worker processes, one per core."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from railyard_batch.backends import _pool_worker
from railyard_batch.planning import RunPlan
from railyard_batch.progress import MemberProgress
from railyard_batch.store import RunStore
from railyard_batch.worker import run_shard


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class LocalBackend:
    """Runs shards in worker processes (or inline, with one worker) on this machine."""

    name = "local"

    def __init__(self, workers: int = 0, *, progress: bool = True) -> None:
        self.workers = workers or default_workers()
        self.progress = progress

    def execute(self, plans: list[RunPlan]) -> bool:
        tasks = [(plan, shard) for plan in plans for shard in range(plan.n_shards)]
        # Heaviest shards first, so the pool does not end waiting on one big shard.
        tasks.sort(key=lambda t: -sum(m.n_rows for m in t[0].shard_members(t[1])))
        total = sum(1 for plan in plans for m in plan.members if m.shard >= 0)
        with MemberProgress(total, enabled=self.progress) as bar:
            if not tasks:  # every member was served from the cache
                pass
            elif self.workers == 1 or len(tasks) == 1:
                for plan, shard in tasks:
                    run_shard(plan, shard, progress=lambda o: bar.advance(o.state))
            else:
                self._execute_pool(tasks, bar)
        _fail_unfinished(plans)
        return True

    def _execute_pool(self, tasks: list[tuple[RunPlan, int]], bar: MemberProgress) -> None:
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()

        def drain() -> None:
            while True:
                item = queue.get()
                if item == "stop":
                    return
                bar.advance(item[1])

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            with ProcessPoolExecutor(
                max_workers=min(self.workers, len(tasks)),
                mp_context=ctx,
                initializer=_pool_worker.initialize,
                initargs=(queue,),
            ) as pool:
                futures = [pool.submit(_pool_worker.run_task, plan, shard) for plan, shard in tasks]
                for future in as_completed(futures):
                    try:
                        future.result()
                    except BrokenProcessPool:
                        break  # the members left unfinished are marked failed below
        finally:
            queue.put("stop")
            reader.join(timeout=10)
            queue.close()


def _fail_unfinished(plans: list[RunPlan]) -> None:
    """Members still queued or running after the pool is done died with their process."""
    if not plans:
        return
    store = RunStore(plans[0].store_url)
    try:
        for sweep_id in {p.sweep_id for p in plans}:
            counts = store.state_counts(sweep_id)
            if counts.get("queued") or counts.get("running"):
                store.fail_unfinished(
                    sweep_id,
                    "the worker process running this member died (killed or out of memory)",
                )
    finally:
        store.close()
