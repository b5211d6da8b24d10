"""Bring outcomes that workers wrote to the artifact store (pods cannot reach the run store)
to the sweep's recorder. Idempotent: members already finished in the store are left alone."""

from __future__ import annotations

import json

from railyard_batch.execution.worker import outcome_relpath
from railyard_batch.planning.plan import RunPlan
from railyard_batch.recording.artifacts import ArtifactStore
from railyard_batch.recording.outcomes import OutcomeRecorder
from railyard_batch.recording.store import FINISHED_STATES, MemberOutcome


def sync_outcomes(plan: RunPlan, recorder: OutcomeRecorder) -> int:
    """Record every outcome file of ``plan`` whose member the store has not finished; return
    how many were recorded."""
    artifacts = ArtifactStore(plan.artifact_root)
    finished = {
        m.id for m in recorder.store.members(run_id=plan.run_id) if m.state in FINISHED_STATES
    }
    found: list[MemberOutcome] = []
    for member in plan.members:
        if member.id in finished:
            continue
        relpath = outcome_relpath(plan, member)
        if artifacts.exists(relpath):
            found.append(MemberOutcome(**json.loads(artifacts.get(artifacts.uri(relpath)))))
    recorder.record(found)
    return len(found)
