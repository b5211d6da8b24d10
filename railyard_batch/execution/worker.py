"""The worker: runs one shard of one run. A local pool process and a Kubernetes pod call the
same :func:`run_shard` (the pod through ``railyard-batch worker --plan URI --shard K``).

For a shard it reads the dataset once (only the needed columns, only the shard's fan-out
values), slices it per member, trains, and writes the model and holdout scores to the artifact
root (atomically). Finished members are committed in batches (up to :data:`BATCH_MEMBERS`, at
least every :data:`BATCH_SECONDS`): their files synced with one ``syncfs``, then the batch
handed on. The worker does not record outcomes itself: the sweep's
:class:`~railyard_batch.recording.outcomes.OutcomeRecorder` does, on the one path that module
describes. Where the store is reached the worker is given a :data:`Committed` callback that
carries each batch there (a call in the same process, or a message to the pool's parent), and
it uses the store only to claim its members and hold their leases. A pod cannot reach the
store: it runs without the callback and writes each member's outcome (``outcome.json``, with
the metrics) after its files are durable, synced in turn, and the launcher records those
(:func:`railyard_batch.execution.sync.sync_outcomes`). A member that fails is recorded as
failed with its reason and the shard goes on.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from railyard_batch.config.validate import ValidatedConfig
from railyard_batch.errors import MemberSkipped, RailyardError, StorageError
from railyard_batch.execution.splits import split_columns, split_rows
from railyard_batch.execution.training import (
    MemberRows,
    PipelineFactory,
    TrainedMember,
    object_strings,
    train_member,
    training_frames,
)
from railyard_batch.execution.worker_log import LOGGER, ShardLog, capture, log_relpath, node_name
from railyard_batch.planning.plan import MemberPlan, RunPlan
from railyard_batch.planning.plan_data import read_plan_data
from railyard_batch.recording import scores
from railyard_batch.recording.artifacts import (
    HOLDOUT_SCORES,
    OOF_SCORES,
    ArtifactStore,
    fault_point,
)
from railyard_batch.recording.leases import Heartbeat, lease_seconds, owner_id
from railyard_batch.recording.store import MemberOutcome, RunStore, now

# Where a shard's outcomes go once committed, a batch at a time: ``(outcomes, new)``. New ones
# are to be recorded (by the sweep's OutcomeRecorder); the others the store holds already (a
# concurrent sweep's result taken while claiming, a member finished before this shard ran),
# and are passed on for the progress only.
Committed = Callable[[list[MemberOutcome], bool], None]
# How often a member waiting for a concurrent sweep's result asks again.
WAIT_POLL_S = 0.5


def member_prefix(plan: RunPlan, member: MemberPlan) -> str:
    return f"{plan.sweep_id}/{plan.run_id}/members/{member.key}"


def outcome_relpath(plan: RunPlan, member: MemberPlan) -> str:
    return f"{member_prefix(plan, member)}/outcome.json"


# A worker commits finished members in batches: this many, or every this many seconds.
BATCH_MEMBERS = 32
BATCH_SECONDS = 1.0


def _failed(outcome: MemberOutcome, why: str) -> MemberOutcome:
    return dataclasses.replace(
        outcome,
        state="failed",
        metrics=None,
        artifact_uri=None,
        export=None,
        reason="; ".join(filter(None, [outcome.reason, why])),
    )


class _Batches:
    """Commits a shard's finished members a batch at a time (:meth:`add`, :meth:`flush`):
    their files made durable, then the batch handed to ``committed`` (without it, a pod: each
    outcome written beside the member's files). Claims the shard's members in the store and
    holds their leases, when the store is reached."""

    def __init__(
        self, plan: RunPlan, artifacts: ArtifactStore, committed: Committed | None
    ) -> None:
        self.plan = plan
        self.artifacts = artifacts
        self.committed = committed
        self.store = RunStore(plan.store_url, reached=True) if committed is not None else None
        self.pending: list[tuple[MemberPlan, MemberOutcome]] = []
        self.first_pending = 0.0

    def started(self, members: list[MemberPlan], node: str) -> AbstractContextManager[Any]:
        """The heartbeat that renews the lease of the members this worker claims, while the
        shard runs (nothing to renew without the store)."""
        self.node = node
        self.owner, self.lease = owner_id(), lease_seconds()
        if self.store is None:
            return nullcontext()
        ids = [m.id for m in members]
        owner, lease = self.owner, self.lease
        return Heartbeat(
            self.plan.store_url, lambda store: store.renew_members(ids, owner, lease), lease / 3
        )

    def claim(self, members: list[MemberPlan], *, reuse: bool) -> dict[str, tuple[str, str | None]]:
        """Claim members in the store (:meth:`RunStore.claim_members`): train, wait for a
        concurrent sweep training the same content key, or take its result (cached; not
        without ``reuse``, ``execution.force``)."""
        if self.store is None:  # a pod: the launcher's plan is the claim
            return {m.id: ("train", None) for m in members}
        return self.store.claim_members(
            [(m.id, m.content_key) for m in members],
            owner=self.owner,
            lease_s=self.lease,
            node=self.node,
            reuse=reuse,
        )

    def recorded(self, member: MemberPlan) -> MemberOutcome:
        """The outcome the store holds for a member: a cached copy recorded while claiming,
        or one that had finished before this shard ran."""
        assert self.store is not None
        row = self.store.member(member.id)
        return MemberOutcome(
            member.id,
            row.state,
            # (finished: started and ended, unless it failed before it started)
            cast(str, row.started_at),
            cast(str, row.finished_at),
            metrics=row.metrics,
            artifact_uri=row.artifact_uri,
            model_sha256=row.model_sha256,
            reason=row.reason,
            export=row.export,
        )

    def add(self, member: MemberPlan, outcome: MemberOutcome) -> list[MemberOutcome]:
        """Queue a finished member; commit the batch (:meth:`flush`) once it holds
        :data:`BATCH_MEMBERS` members or its first is :data:`BATCH_SECONDS` old. Returns the
        outcomes committed (none while the batch fills)."""
        if not self.pending:
            self.first_pending = time.monotonic()
        self.pending.append((member, outcome))
        full = len(self.pending) >= BATCH_MEMBERS
        if full or time.monotonic() - self.first_pending >= BATCH_SECONDS:
            return self.flush()
        return []

    def flush(self) -> list[MemberOutcome]:
        """Commit the queued members: their artifacts made durable (one sync of the artifact
        root), then the batch handed on to be recorded in one store transaction (without a
        store: their outcome files written and synced). A member is recorded only once its
        files are durable; a kill before the transaction leaves the batch unrecorded, and a
        re-run trains it again."""
        batch, self.pending = self.pending, []
        if not batch:
            return []
        try:
            self.artifacts.sync()
        except StorageError as exc:
            LOGGER.error("making %d member(s)' artifacts durable failed: %s", len(batch), exc)
            batch = [
                (m, _failed(o, f"making its artifacts durable failed: {exc}")) for m, o in batch
            ]
        if self.committed is not None:
            done = [outcome for _, outcome in batch]
            fault_point("batch-commit")
            self.committed(done, True)
            return done
        # No store (a pod): the outcome files are the record the launcher syncs.
        done = [self._write_outcome(member, outcome) for member, outcome in batch]
        try:
            self.artifacts.sync()
        except StorageError as exc:
            LOGGER.error("making %d outcome file(s) durable failed: %s", len(done), exc)
            done = [_failed(o, f"making its outcome durable failed: {exc}") for o in done]
        fault_point("batch-commit")
        return done

    def _write_outcome(self, member: MemberPlan, outcome: MemberOutcome) -> MemberOutcome:
        """Write the outcome file; one that cannot be written is recorded as failed with why."""
        try:
            blob = json.dumps(vars(outcome)).encode()  # its fields: JSON values
            self.artifacts.put(outcome_relpath(self.plan, member), blob, durable=False)
        except Exception as exc:  # any write failure fails this member only
            LOGGER.error("writing the outcome of %s failed: %s", member.key, exc)
            outcome = _failed(outcome, f"writing the outcome failed: {_reason(exc)}")
        return outcome

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def run_shard(plan: RunPlan, shard: int, committed: Committed | None = None) -> list[MemberOutcome]:
    """Train every member of ``shard``; return their outcomes, each batch also passed to
    ``committed`` once its files are durable (without it, written as outcome files: a pod;
    see above). The shard's log goes to the artifact store
    (:mod:`railyard_batch.execution.worker_log`)."""
    members = plan.shard_members(shard)
    artifacts = ArtifactStore(plan.artifact_root)
    batches = _Batches(plan, artifacts, committed)
    log = ShardLog(artifacts, log_relpath(plan.sweep_id, plan.run_id, shard))
    node = node_name()
    outcomes: list[MemberOutcome] = []

    def finish(member: MemberPlan, outcome: MemberOutcome, start: int) -> None:
        LOGGER.info(
            "%s: %s%s", outcome.state, member.key, f" ({outcome.reason})" if outcome.reason else ""
        )
        outcome = dataclasses.replace(outcome, node=node, log=log.section(start))
        done(batches.add(member, outcome))

    def done(batch: list[MemberOutcome]) -> None:  # handed on to be recorded by the flush
        outcomes.extend(batch)

    def held(outcome: MemberOutcome) -> None:  # the store holds it already
        outcomes.append(outcome)
        if committed is not None:
            committed([outcome], False)

    try:
        with ExitStack() as stack, capture(log):
            stack.enter_context(training_frames())  # the same options reproduce uses
            LOGGER.info(
                "shard %d of run %s: %d member(s) on node %s, pid %d",
                shard,
                plan.run_id,
                len(members),
                node,
                os.getpid(),
            )
            start = log.offset()
            heartbeat = batches.started(members, node)
            stack.enter_context(heartbeat)
            vc = ValidatedConfig(raw=plan.config, config_hash=plan.config_hash)

            def read() -> pd.DataFrame:
                frame = _read_shard(plan, vc, members)
                LOGGER.info("read %d rows of %s", len(frame), plan.data.get("path"))
                return frame

            try:
                factory = PipelineFactory(vc)
                rows_of = _member_rows(read, vc, members, hook=factory.hook is not None)
            except RailyardError as exc:
                LOGGER.error("the shard cannot run: %s", exc)
                stamp = now()
                for member in members:
                    failed = MemberOutcome(member.id, "failed", stamp, stamp, reason=str(exc))
                    finish(member, failed, start)
                done(batches.flush())
                return outcomes

            def train(member: MemberPlan) -> None:
                log.member = member.key
                start = log.offset()
                subset = rows_of(member.value)
                LOGGER.info("training %s on %d rows", member.key, len(subset))
                finish(member, _run_member(plan, member, subset, factory, artifacts), start)

            claimed = list(members)
            while claimed:
                decisions = batches.claim(claimed, reuse=not vc.typed.execution.force)
                waiting = []
                for member in claimed:
                    decision, other = decisions[member.id]
                    if decision == "train":
                        train(member)
                    elif decision in ("cached", "done"):
                        if decision == "cached":
                            LOGGER.info(
                                "%s: cached from %s (a concurrent sweep)", member.key, other
                            )
                        else:
                            LOGGER.info("%s: already finished; its result is kept", member.key)
                        held(batches.recorded(member))
                    else:
                        LOGGER.info("%s: waiting for %s (a concurrent sweep)", member.key, other)
                        waiting.append(member)
                if waiting:
                    done(batches.flush())  # nothing sits unrecorded while this waits
                    time.sleep(WAIT_POLL_S)
                claimed = waiting
            done(batches.flush())
            log.member = "-"
    finally:
        try:
            done(batches.flush())  # a shard that raised keeps what it finished
        finally:
            batches.close()
        log.close()
    return outcomes


def _member_rows(
    read: Callable[[], pd.DataFrame], vc: ValidatedConfig, members: list[MemberPlan], *, hook: bool
) -> Callable[[Any], MemberRows]:
    """A member's rows by its fan-out value (None: the global model, every row), in the
    order read. Without the global model in the shard, the frame is reordered once so that
    each value's rows are contiguous and a member is a slice of it, not a gather of its
    rows per member; each member's split is made first (:func:`_shard_splits`), and its
    slice holds its training rows then its holdout rows (:meth:`MemberRows.arranged`). The
    columns are prepared once for all members (:class:`MemberRows`).

    ``read`` gives the shard's frame, so that this function holds its only reference: each
    step replaces the frame before the next (strings to objects, then the reordering), and
    the shard's peak is two copies of it, not three."""
    frame = read()
    if not hook:  # before reordering: an object column is cheaper to reorder than Arrow's
        frame = object_strings(frame, vc.feature_columns or None)
    by = vc.typed.fanout.by
    if not by:
        every = MemberRows.of(frame, vc, hook=hook)
        return lambda value: every
    groups = frame.groupby(by, sort=False).indices
    if any(m.value is None for m in members):  # the global model needs the frame as read
        shard = MemberRows.of(frame, vc, hook=hook)
        empty = shard.slice(0, 0)
        return lambda value: (
            shard if value is None else shard.take(groups[value]) if value in groups else empty
        )
    ranges: dict[Any, tuple[int, int]] = {}
    at = 0
    for value, rows in groups.items():
        ranges[value] = (at, at + len(rows))
        at += len(rows)
    order = np.concatenate(list(groups.values())) if groups else np.zeros(0, dtype=np.int64)
    splits = _shard_splits(frame, vc, order, ranges)
    for value, (train_idx, holdout_idx) in splits.items():
        start, stop = ranges[value]
        order[start:stop] = order[start:stop][np.concatenate([train_idx, holdout_idx])]
    frame = frame.take(order)
    shard = MemberRows.of(frame, vc, hook=hook)
    empty = shard.slice(0, 0)

    def rows_of(value: Any) -> MemberRows:
        if value not in ranges:
            return empty
        split = splits.get(value)
        return (
            shard.slice(*ranges[value]) if split is None else shard.arranged(*ranges[value], split)
        )

    return rows_of


def _shard_splits(
    frame: pd.DataFrame,
    vc: ValidatedConfig,
    order: np.ndarray,
    ranges: dict[Any, tuple[int, int]],
) -> dict[Any, tuple[np.ndarray, np.ndarray]]:
    """Each fan-out value's split of its rows (``order[start:stop]`` of ``frame``, each in
    the order read), made before the shard is cut into members: a split reads at most one
    column (:func:`split_columns`), reordered once here for all members. A member whose
    split fails (too few rows, a bad timestamp) is left out: it splits again when it trains,
    and fails there as it always did."""
    split, label = vc.typed.split, vc.label
    columns = {name: frame[name].take(order) for name in split_columns(split, label)}
    out: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
    for value, (start, stop) in ranges.items():
        cut = slice(start, stop)

        def column(name: str, cut: slice = cut) -> pd.Series:
            return columns[name].iloc[cut]

        try:
            out[value] = split_rows(stop - start, column, split, label)
        except Exception:  # the member meets it again when it trains
            continue
    return out


def _read_shard(plan: RunPlan, vc: ValidatedConfig, members: list[MemberPlan]) -> pd.DataFrame:
    # One core per worker: the reader decodes on this thread (read_table's use_threads).
    if any(m.value is None for m in members):  # the global model needs every row
        return read_plan_data(plan, vc, use_threads=False)
    return read_plan_data(plan, vc, [m.value for m in members], use_threads=False)


def _run_member(
    plan: RunPlan,
    member: MemberPlan,
    subset: MemberRows,
    factory: PipelineFactory,
    artifacts: ArtifactStore,
) -> MemberOutcome:
    started = now()
    try:
        trained = train_member(subset, factory)
    except MemberSkipped as exc:
        return MemberOutcome(member.id, "skipped", started, now(), reason=str(exc))
    except Exception as exc:  # a member's failure is a value, not the end of the shard
        LOGGER.error("training %s failed", member.key, exc_info=exc)
        return MemberOutcome(member.id, "failed", started, now(), reason=_reason(exc))
    prefix = member_prefix(plan, member)
    try:
        # Unsynced: the shard syncs a batch of members' files at once before recording.
        model_uri = artifacts.put(f"{prefix}/model.pkl", trained.model_bytes, durable=False)
        metrics = {**trained.metrics, "n_rows": len(subset)}
        if trained.holdout_scores is not None:
            blob = scores.encode(trained.holdout_scores)
            artifacts.put(f"{prefix}/{HOLDOUT_SCORES}", blob, durable=False)
        if trained.oof_scores is not None:
            blob = scores.encode(trained.oof_scores)
            artifacts.put(f"{prefix}/{OOF_SCORES}", blob, durable=False)
    except Exception as exc:  # a write failure fails this member, not the shard
        LOGGER.error("writing the artifacts of %s failed", member.key, exc_info=exc)
        return MemberOutcome(
            member.id, "failed", started, now(), reason=f"writing artifacts failed: {_reason(exc)}"
        )
    wanted = factory.vc.typed.export.bundle
    try:
        export = (
            _export(plan, member, trained, artifacts, with_onnx=factory.vc.typed.export.onnx)
            if wanted
            else None
        )
    except Exception as exc:  # the model is trained and written; export is extra
        LOGGER.error("exporting %s failed", member.key, exc_info=exc)
        export = {"exportable": False, "reason": f"export failed: {_reason(exc)}"}
    return MemberOutcome(
        member.id,
        "succeeded",
        started,
        now(),
        metrics=metrics,
        artifact_uri=model_uri,
        model_sha256=trained.model_sha256,
        export=export,
    )


def _export(
    plan: RunPlan,
    member: MemberPlan,
    trained: TrainedMember,
    artifacts: ArtifactStore,
    *,
    with_onnx: bool,
) -> dict[str, Any]:
    """Export the bundle next to the model and run the parity gate on the holdout. A model
    the gate refuses is recorded as not exportable with the reason; it still succeeded."""
    from railyard_batch.bundle import JvmScorerError, export_and_gate

    if not artifacts.is_local:
        return {"exportable": False, "reason": "bundle export needs a local artifact root"}
    holdout = trained.holdout_features
    assert holdout is not None
    out = Path(artifacts.uri(f"{member_prefix(plan, member)}/bundle"))
    try:
        outcome = export_and_gate(
            trained.model,
            out,
            model_name=member.id.replace("/", "."),
            input_schema=holdout,
            holdout=holdout,
            run_id=plan.run_id,
            with_onnx=with_onnx,
        )
    except JvmScorerError as exc:
        return {"exportable": False, "reason": f"JVM scorer unavailable: {exc}"}
    return dict(outcome.to_dict())


def _reason(exc: BaseException) -> str:
    """One line: the exception type and message, and where in user code it was raised (not
    for a storage fault: its message names the path)."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, StorageError):
        return f"StorageError: {message}"
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {message}{where}"
