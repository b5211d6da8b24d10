"""A pod's worker cannot reach the run store: it writes outcomes to the artifact store only,
and sync_outcomes brings them into the store (once)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from railyard_batch.config import register_configs
from railyard_batch.execution.sync import sync_outcomes
from railyard_batch.execution.worker import run_shard
from railyard_batch.recording.store import RunStore
from railyard_batch.sweep import plan_run, record_plans
from tests.conftest import Project


@pytest.mark.usefixtures("hydra_restore_singletons")  # composing must not leak Hydra state
def test_outcomes_written_by_a_storeless_worker_are_synced(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    register_configs()
    with initialize_config_dir(config_dir=str(project.root / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=["fanout.by=merchant_id", "fanout.min_rows=300"])
    plan = plan_run(cfg, sweep_id="s1", job_num=0, overrides=[], workers=1)
    record_plans([plan], experiment="t", sweep_overrides=[], backend="kubernetes")
    outcomes = run_shard(plan, 0, record_in_store=False)
    assert pd.get_option("mode.string_storage") == "auto"  # the shard's option did not leak
    assert outcomes and all(o.state == "succeeded" for o in outcomes)

    store = RunStore(plan.store_url)
    assert {m.state for m in store.members(run_id=plan.run_id)} == {"queued"}
    assert sync_outcomes(plan, store) == len(outcomes)
    members = {m.id: m for m in store.members(run_id=plan.run_id)}
    for outcome in outcomes:
        assert members[outcome.member_id].state == "succeeded"
        assert Path(members[outcome.member_id].artifact_uri).exists()
    assert sync_outcomes(plan, store) == 0  # idempotent
    store.close()
