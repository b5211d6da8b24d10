"""A pod's worker cannot reach the run store: it writes outcomes to the artifact store only,
and sync_outcomes brings them to the sweep's recorder (once). A worker that reaches the store
records nothing itself either: it hands each batch to the caller's recorder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from railyard_batch.config import register_configs
from railyard_batch.execution.sync import sync_outcomes
from railyard_batch.execution.worker import run_shard
from railyard_batch.planning.plan import RunPlan
from railyard_batch.recording.outcomes import OutcomeRecorder
from railyard_batch.recording.store import RunStore
from railyard_batch.sweep import plan_run, record_plans
from tests.conftest import Project


def _recorded_plan(
    project: Project, monkeypatch: pytest.MonkeyPatch, sweep_id: str, *, backend: str
) -> RunPlan:
    """One run of the project's config, planned and recorded as ``backend``'s sweep."""
    monkeypatch.chdir(project.root)
    register_configs()
    with initialize_config_dir(config_dir=str(project.root / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=["fanout.by=merchant_id", "fanout.min_rows=300"])
    plan = plan_run(cfg, sweep_id=sweep_id, job_num=0, overrides=[], workers=1)
    record_plans([plan], experiment="t", sweep_overrides=[], backend=backend)
    return plan


@pytest.mark.usefixtures("hydra_restore_singletons")  # composing must not leak Hydra state
def test_outcomes_written_by_a_storeless_worker_are_synced(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _recorded_plan(project, monkeypatch, "s1", backend="kubernetes")
    outcomes = run_shard(plan, 0)
    assert pd.get_option("mode.string_storage") == "auto"  # the shard's option did not leak
    assert outcomes and all(o.state == "succeeded" for o in outcomes)

    store = RunStore(plan.store_url)
    assert {m.state for m in store.members(run_id=plan.run_id)} == {"queued"}
    recorder = OutcomeRecorder.over(store)
    assert sync_outcomes(plan, recorder) == len(outcomes)
    members = {m.id: m for m in store.members(run_id=plan.run_id)}
    for outcome in outcomes:
        assert members[outcome.member_id].state == "succeeded"
        assert Path(members[outcome.member_id].artifact_uri).exists()
    assert sync_outcomes(plan, recorder) == 0  # idempotent
    store.close()


@pytest.mark.usefixtures("hydra_restore_singletons")
def test_a_worker_that_reaches_the_store_hands_its_batches_on_and_records_nothing(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _recorded_plan(project, monkeypatch, "s2", backend="local")
    batches: list[tuple[list[str], bool]] = []
    outcomes = run_shard(
        plan, 0, lambda batch, new: batches.append(([o.member_id for o in batch], new))
    )
    assert outcomes and all(o.state == "succeeded" for o in outcomes)
    # Every outcome was handed on once, as new, and none was recorded by the worker: its
    # members are claimed (running, with the worker's lease) and wait for the recorder.
    handed = [member for ids, new in batches if new for member in ids]
    assert sorted(handed) == sorted(o.member_id for o in outcomes)
    ran = {m.id for m in plan.shard_members(0)}
    with RunStore(plan.store_url) as store:
        states = {m.state for m in store.members(run_id=plan.run_id) if m.id in ran}
        assert states == {"running"}
        OutcomeRecorder.over(store).record(outcomes)
        states = {m.state for m in store.members(run_id=plan.run_id) if m.id in ran}
        assert states == {"succeeded"}
    # No outcome files: the store is the record where it is reached.
    assert not list(Path(plan.artifact_root).rglob("outcome.json"))
