"""A sweep from composed configs to recorded results, whatever the backend.

1. :func:`plan_run` validates one Hydra job's config, checks it against the data and plans its
   members and shards (in memory: nothing is recorded for a config that fails a check).
2. :func:`execute_sweep` records the sweep, its runs and queued members, writes each run plan
   to the artifact root (where a pod finds it), hands the plans to the backend and closes the
   sweep: each member ends succeeded, failed or skipped.
"""

from __future__ import annotations

import json
import shlex
import sys
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from statistics import fmean
from typing import Any

from omegaconf import DictConfig

from railyard_batch.config.validate import ValidatedConfig, check_sweep_id, validate_config
from railyard_batch.errors import RailyardError
from railyard_batch.execution.backends.base import Backend, Executed, Execution
from railyard_batch.planning.data import DataIdentity, dataset_identity
from railyard_batch.planning.dvc_objects import locate_remote, project_cache
from railyard_batch.planning.plan import (
    MemberPlan,
    RunPlan,
    assign_shards,
    check_dataset,
    content_keys,
    plan_members,
)
from railyard_batch.planning.provenance import code_version, git_state, package_versions
from railyard_batch.recording.artifacts import ArtifactStore
from railyard_batch.recording.leases import Heartbeat, lease_seconds, owner_id
from railyard_batch.recording.outcomes import OutcomeRecorder
from railyard_batch.recording.store import MemberOutcome, RunStore, now, open_store
from railyard_batch.recording.urls import store_exists


def new_sweep_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def chosen_sweep_id(execution: Any) -> str:
    """``execution.sweep_id`` when the caller chose one (checked), else a new id."""
    chosen = execution.get("sweep_id") if execution is not None else None
    return new_sweep_id() if chosen is None else check_sweep_id(chosen)


@lru_cache(maxsize=8)
def _identity(path: str) -> DataIdentity:
    return dataset_identity(path)


def plan_run(
    cfg: DictConfig | dict[str, Any],
    *,
    sweep_id: str,
    job_num: int,
    overrides: list[str],
    workers: int,
    import_checks: Callable[[dict[str, Any]], Callable[[], None]] | None = None,
) -> RunPlan:
    """Validate and plan one Hydra job; raises a RailyardError naming what is wrong.
    ``import_checks`` submits the config's checks that import the estimator and hook to run
    elsewhere while this plans and returns their wait
    (:func:`railyard_batch.execution.backends.local.early_import_checks`); None: they run here."""
    if import_checks is None:
        return _plan_run(validate_config(cfg), sweep_id, job_num, overrides, workers)
    vc = validate_config(cfg, imports=False)
    wait = import_checks(vc.raw)
    try:
        plan = _plan_run(vc, sweep_id, job_num, overrides, workers)
    except RailyardError:
        wait()  # the estimator's error first, as when the checks run here
        raise
    wait()
    return plan


def _plan_run(
    vc: ValidatedConfig, sweep_id: str, job_num: int, overrides: list[str], workers: int
) -> RunPlan:
    cfg = vc.typed
    identity = _identity(cfg.data.path)
    frame = check_dataset(vc, identity)
    members, below = plan_members(frame, vc)
    code = code_version()
    keys = content_keys(vc.raw, identity.md5, [value for _, value, _ in members], code)
    reuse = {} if cfg.execution.force else _succeeded_by_key(cfg.store.url, keys)
    to_run = [i for i, k in enumerate(keys) if k not in reuse]
    n_shards = max(1, workers * cfg.execution.shards_per_worker)
    shards = [-1] * len(members)
    for index, shard in zip(
        to_run, assign_shards([members[i][2] for i in to_run], n_shards), strict=True
    ):
        shards[index] = shard
    run_id = f"{sweep_id}-{job_num:03d}"
    plan = RunPlan(
        sweep_id=sweep_id,
        run_id=run_id,
        job_num=job_num,
        overrides=list(overrides),
        config=vc.raw,
        config_hash=vc.config_hash,
        data={
            "path": identity.path,
            "md5": identity.md5,
            "source": identity.source,
            "format": cfg.data.format,
            # Where a worker without this checkout finds the content by its md5.
            "cache": str(project_cache(Path.cwd())),
            "remote": locate_remote(Path.cwd()) or "",
        },
        store_url=cfg.store.url,
        artifact_root=cfg.store.artifact_root,
        n_shards=max(shards, default=-1) + 1,
        below_min_rows=below,
    )
    plan.members = [
        MemberPlan(
            id=f"{run_id}/{key}",
            key=key,
            value=value,
            n_rows=n,
            shard=s,
            content_key=k,
            cached_from=reuse.get(k),
        )
        for (key, value, n), s, k in zip(members, shards, keys, strict=True)
    ]
    plan.typed = cfg  # the typed config planning read (RunPlan.typed): not made a second time
    return plan


def _succeeded_by_key(store_url: str, keys: list[str]) -> dict[str, str]:
    if not store_exists(store_url):  # planning never creates the store
        return {}
    with open_store(store_url) as store:
        return store.succeeded_by_content_key(keys)


def record_plans(
    plans: list[RunPlan],
    *,
    experiment: str,
    sweep_overrides: list[str],
    backend: str,
    owner: str | None = None,
    lease_s: float | None = None,
) -> None:
    """Write each run plan as an artifact, then the sweep, its runs and queued members (a plan
    that cannot be written leaves nothing in the store). With ``owner``, the sweep is leased
    to it for ``lease_s`` seconds (railyard_batch/recording/leases.py)."""
    first = plans[0]
    artifacts = ArtifactStore(first.artifact_root)
    # Opened first (a new store gets its schema now): the plans' writes are then followed at
    # once by the sweep's, with nothing slow in between.
    with open_store(first.store_url) as store:
        for plan in plans:
            run_prefix = f"{plan.sweep_id}/{plan.run_id}"
            plan.save()
            artifacts.put(f"{run_prefix}/config.json", json.dumps(plan.config, indent=2).encode())
        commit, dirty = git_state()
        store.create_sweep(
            first.sweep_id,
            experiment=experiment,
            command=shlex.join(["railyard-batch", *sys.argv[1:]]),
            overrides=sweep_overrides,
            git_commit=commit,
            git_dirty=dirty,
            package_versions=package_versions(),
            backend=backend,
            owner=owner,
            lease_s=lease_s,
        )
        for plan in plans:
            run_prefix = f"{plan.sweep_id}/{plan.run_id}"
            store.create_run(
                plan.run_id,
                sweep_id=plan.sweep_id,
                job_num=plan.job_num,
                overrides=plan.overrides,
                config=plan.config,
                config_hash=plan.config_hash,
                estimator=str(plan.typed.estimator["_target_"]),
                data_path=plan.data["path"],
                data_md5=plan.data["md5"],
                data_source=plan.data["source"],
                artifact_uri=artifacts.uri(run_prefix),
                members=[
                    (m.id, m.key, m.value, m.shard, m.n_rows, m.content_key, m.cached_from)
                    for m in plan.members
                ],
            )


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    counts: dict[str, int]
    objective: float | None
    # The first member that failed writing the artifact root, with its reason: a storage
    # fault (the CLI reports it on one line, exit 2), not a modelling failure.
    storage_error: str | None = None


def execute_sweep(
    plans: list[RunPlan], backend: Backend, *, experiment: str, sweep_overrides: list[str]
) -> list[RunSummary]:
    """Record, run and close a sweep; return one summary per run, in plan order.

    On a backend whose members run under this process (``backend.leased``: local), this
    process holds the sweep's lease and renews it while the backend runs; if the backend
    raises (an interrupt), the unfinished members fail with the reason and the sweep closes."""
    url, sweep_id = plans[0].store_url, plans[0].sweep_id
    lease = lease_seconds()
    leased = bool(getattr(backend, "leased", False))
    owner = owner_id() if leased else None
    close_dead_sweeps(url)
    record_plans(
        plans,
        experiment=experiment,
        sweep_overrides=sweep_overrides,
        backend=backend.name,
        owner=owner,
        lease_s=lease if leased else None,
    )
    heartbeat: AbstractContextManager[Any] = (
        Heartbeat(url, lambda store: store.renew_sweep(sweep_id, str(owner), lease), lease / 3)
        if leased
        else nullcontext()
    )
    try:
        with heartbeat, OutcomeRecorder(url) as recorder:
            executed = backend.execute(plans, recorder)
            record_execution(recorder, plans, executed)
    except BaseException as exc:
        if leased:  # nothing goes on without this process: close the sweep now
            _close(url, sweep_id, f"the sweep was stopped: {type(exc).__name__}: {exc}".strip())
        raise
    with open_store(url) as store:
        if executed.how.over:
            store.finish_runs(sweep_id)
        return [summarize(store, plan) for plan in plans]


def record_execution(recorder: OutcomeRecorder, plans: list[RunPlan], executed: Executed) -> None:
    """Record what a backend's :meth:`~Backend.execute` reported (it does not close anything
    itself): a dry run's or a schedule's members skipped with its reason, and the members a
    finished execution left queued or running failed with its reason (their worker died, or
    their shard raised). The members that ran reached ``recorder`` through the backend."""
    if executed.reason is None or not plans:
        return
    store = recorder.store
    if executed.how in (Execution.DRY_RUN, Execution.SCHEDULED):
        stamp = now()
        recorder.record(
            [
                MemberOutcome(m.id, "skipped", stamp, stamp, reason=executed.reason)
                for p in plans
                for m in p.members
            ]
        )
    elif executed.how is Execution.FINISHED:
        for sweep_id in {p.sweep_id for p in plans}:
            counts = store.state_counts(sweep_id)
            if counts.get("queued") or counts.get("running"):
                recorder.fail_unfinished(sweep_id, executed.reason)


def _close(url: str, sweep_id: str, reason: str) -> None:
    with open_store(url) as store:
        store.fail_unfinished(sweep_id, reason.rstrip(": "))
        store.finish_runs(sweep_id)


def close_dead_sweeps(url: str, *, unleased_local: bool = False) -> list[str]:
    """Close the sweeps of the store at ``url`` that nobody holds any more (see
    :meth:`RunStore.close_dead`); nothing to do for a store that does not exist yet."""
    if not store_exists(url):
        return []
    with open_store(url) as store:
        return store.close_dead(unleased_local=unleased_local)


def summarize(store: RunStore, plan: RunPlan) -> RunSummary:
    counts, values, failed = store.run_tally(plan.run_id, plan.typed.evaluation.objective)
    objective = fmean(values) if values else None
    storage = f"member {failed.id}: {failed.reason}" if failed is not None else None
    return RunSummary(run_id=plan.run_id, counts=counts, objective=objective, storage_error=storage)
