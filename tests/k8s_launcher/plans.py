"""Run plans made by hand (no dataset): what the renderer and the backend take."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from railyard_batch.execution.backends.base import Executed
from railyard_batch.planning.plan import MemberPlan, RunPlan
from railyard_batch.recording.outcomes import OutcomeRecorder


def make_plan(
    *,
    sweep_id: str = "20260101-000000-abc123",
    job_num: int = 0,
    members: int = 6,
    shards: int = 3,
    keys: list[str] | None = None,
    overrides: list[str] | None = None,
    resources: dict[str, Any] | None = None,
    experiment: str = "fraud_v3",
    store_url: str = "sqlite:///runs/railyard.db",
    artifact_root: str = "runs/artifacts",
) -> RunPlan:
    run_id = f"{sweep_id}-{job_num:03d}"
    keys = keys or ["__global__", *(f"m{i:05d}" for i in range(members - 1))]
    config = {  # what the schema requires (typed_config reads it as RunPlan.typed)
        "experiment": experiment,
        "data": {"path": "data/t.parquet"},
        "label": {"column": "is_fraud"},
        "estimator": {"_target_": "sklearn.linear_model.LogisticRegression"},
        "resources": {
            "cpu": "1",
            "memory": "2Gi",
            "gpu": 0,
            "instance_class": "cpu",
            **(resources or {}),
        },
    }
    plan = RunPlan(
        sweep_id=sweep_id,
        run_id=run_id,
        job_num=job_num,
        overrides=overrides if overrides is not None else [f"estimator=e{job_num}"],
        config=config,
        config_hash="0123456789abcdef",
        data={
            "path": "data/t.parquet",
            "md5": "d41d8cd98f00b204e9800998ecf8427e",
            "source": "dvc",
            "format": "parquet",
        },
        store_url=store_url,
        artifact_root=artifact_root,
        n_shards=min(shards, len(keys)),
    )
    plan.members = [
        MemberPlan(
            id=f"{run_id}/{key}",
            key=key,
            value=None if i == 0 else key,
            n_rows=1000 - i,
            shard=i % plan.n_shards,
        )
        for i, key in enumerate(keys)
    ]
    return plan


def recorded_plans(
    tmp_path: Path, sweep_id: str, n_runs: int = 1, *, experiment: str = "t", **plan_kw: Any
) -> list[RunPlan]:
    """``n_runs`` plans of one sweep, recorded in a run store under ``tmp_path`` (as the
    launcher does before it submits), with their artifacts under ``tmp_path/artifacts``."""
    from railyard_batch.sweep import record_plans

    plans = [
        make_plan(
            sweep_id=sweep_id,
            job_num=i,
            store_url=f"sqlite:///{tmp_path / 'runs.db'}",
            artifact_root=str(tmp_path / "artifacts"),
            **plan_kw,
        )
        for i in range(n_runs)
    ]
    record_plans(plans, experiment=experiment, sweep_overrides=[], backend="kubernetes")
    return plans


def execute(backend: Any, plans: list[RunPlan]) -> Executed:
    """What the sweep layer does around a backend (railyard_batch/sweep.py): the plans'
    outcomes go to one recorder on their store, closed when the backend returns."""
    with OutcomeRecorder(plans[0].store_url if plans else "sqlite://") as recorder:
        result: Executed = backend.execute(plans, recorder)
        return result
