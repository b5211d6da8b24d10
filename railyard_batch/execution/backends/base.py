"""The backend protocol: take run plans (already recorded in the store), run every shard."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from railyard_batch.planning.plan import RunPlan
from railyard_batch.recording.outcomes import OutcomeRecorder


class Execution(enum.Enum):
    """What a backend's :meth:`Backend.execute` did with a sweep's shards."""

    #: Every shard ran here or on a cluster that was waited for (or every member was cached);
    #: the outcomes are recorded.
    FINISHED = "finished"
    #: Submitted to a cluster, not waited for: ``railyard-batch wait`` (or whoever syncs the
    #: outcomes later) closes the sweep.
    SUBMITTED = "submitted"
    #: Made a schedule (a CronJob) that re-runs the sweep; this invocation's members are
    #: recorded as skipped with the schedule's name.
    SCHEDULED = "scheduled"
    #: Rendered the manifests only; the members are recorded as skipped.
    DRY_RUN = "dry run"

    @property
    def over(self) -> bool:
        """Whether this invocation's runs are over, to be closed now (all but SUBMITTED)."""
        return self is not Execution.SUBMITTED


@dataclass(frozen=True)
class Executed:
    """What :meth:`Backend.execute` did, and what the sweep layer is to record on the members
    it did not finish (:func:`railyard_batch.sweep.record_execution`): a backend reports, the
    sweep layer writes the store."""

    how: Execution
    #: DRY_RUN, SCHEDULED: why every member is skipped (the schedule's name; the dry run).
    #: FINISHED: the reason a member still queued or running when it returned failed with (its
    #: shard's error, or its worker process died); None: members are left as they are (a
    #: cluster's watcher has recorded each one's end). SUBMITTED: None.
    reason: str | None = None


class Backend(Protocol):
    #: Recorded on the sweep ("local", "kubernetes").
    name: str
    #: True when members run under the launching process (which then holds the sweep's lease,
    #: railyard_batch/recording/leases.py); False when they run elsewhere (a cluster owns them).
    leased: bool

    def execute(self, plans: list[RunPlan], recorder: OutcomeRecorder) -> Executed:
        """Run every shard of every plan (or submit, schedule or render them), and bring the
        members' outcomes to ``recorder`` (the sweep layer's, the one writer of outcomes:
        :mod:`railyard_batch.recording.outcomes`) as they arrive. Says which of those it did
        and why any member it did not finish is left so (:class:`Executed`); it records
        neither."""
        ...
