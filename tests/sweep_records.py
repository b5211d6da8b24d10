"""A sweep recorded straight into a real run store (no training), with holdout scores beside
each member's model: what the report tests and ``bench/report.py`` render."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from railyard_batch.planning.member_keys import member_keys
from railyard_batch.recording import scores as score_files
from railyard_batch.recording.artifacts import HOLDOUT_SCORES
from railyard_batch.recording.store import MemberOutcome, RunStore

METRICS = ["roc_auc", "pr_auc", "log_loss"]
CONFIG = {
    "label": {"column": "is_fraud", "task": "binary_classification"},
    "evaluation": {"metrics": METRICS, "objective": "roc_auc", "threshold": 0.5},
}
ESTIMATORS = ("sklearn.linear_model.LogisticRegression", "xgboost.XGBClassifier")


def record_sweep(
    root: Path,
    values: Sequence[Any],
    *,
    reasons: Mapping[int, str] | None = None,
    runs: int = 2,
    scores: bool = True,
    holdout_rows: int = 200,
    global_holdout_rows: int | None = None,
    experiment: str = "fraud_v3",
    seed: int = 0,
) -> tuple[str, str]:
    """Record a finished sweep of ``runs`` runs, each with a member per value (those at the
    indexes of ``reasons`` failed with that reason) plus the global model. Returns the store
    URL and the sweep id."""
    rng = np.random.default_rng(seed)
    reasons = reasons or {}
    url = f"sqlite:///{root / 'runs' / 'railyard.db'}"
    store = RunStore(url)
    sweep_id = f"20260101-000000-{uuid.uuid4().hex[:6]}"
    store.create_sweep(
        sweep_id,
        experiment=experiment,
        command="railyard-batch +experiment=fraud_v3 -m",
        overrides=["+experiment=fraud_v3"],
        git_commit="0123456789abcdef0123456789abcdef01234567",
        git_dirty=False,
        package_versions={},
        backend="local",
    )
    keys = [*member_keys(list(values)), "__global__"]
    all_values = [*values, None]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for job in range(runs):
        run_id = f"{sweep_id}-{job:03d}"
        artifacts = root / "artifacts" / run_id
        store.create_run(
            run_id,
            sweep_id=sweep_id,
            job_num=job,
            overrides=[f"estimator={ESTIMATORS[job % 2].rsplit('.', 1)[-1]}"],
            config=CONFIG,
            config_hash="0" * 64,
            estimator=ESTIMATORS[job % 2],
            data_path="data/transactions.parquet",
            data_md5="21e635fbe4c740f0bc4095059c8d6fac",
            data_source="working tree",
            artifact_uri=str(artifacts),
            members=[
                (f"{run_id}/{key}", key, value, 0, 1000, f"{run_id}/{key}", None)
                for key, value in zip(keys, all_values, strict=True)
            ],
        )
        outcomes = []
        for i, key in enumerate(keys):
            began = start + timedelta(seconds=float(i))
            ended = began + timedelta(seconds=float(rng.uniform(0.05, 3.0)))
            if i in reasons:
                outcomes.append(
                    MemberOutcome(
                        f"{run_id}/{key}",
                        "failed",
                        began.isoformat(),
                        ended.isoformat(),
                        reason=reasons[i],
                    )
                )
                continue
            model = artifacts / key / "model.pkl"
            if scores:
                model.parent.mkdir(parents=True, exist_ok=True)
                n = holdout_rows if key != "__global__" else global_holdout_rows or holdout_rows
                y = (rng.random(n) < 0.2).astype(np.int8)
                score = np.clip(0.2 + 0.4 * (y - 0.2) + rng.normal(0, 0.2, n), 0, 1)
                (model.parent / HOLDOUT_SCORES).write_bytes(
                    score_files.encode(pa.table({"y_true": y, "score": score}))
                )
            outcomes.append(
                MemberOutcome(
                    f"{run_id}/{key}",
                    "succeeded",
                    began.isoformat(),
                    ended.isoformat(),
                    metrics={
                        "roc_auc": float(rng.uniform(0.5, 0.95)),
                        "pr_auc": float(rng.uniform(0.1, 0.6)),
                        "log_loss": float(rng.uniform(0.1, 0.7)),
                        "n_rows": 1000,
                    },
                    artifact_uri=str(model),
                    model_sha256="0" * 64,
                )
            )
        store.record_outcomes(outcomes)
    store.finish_runs(sweep_id)
    store.close()
    return url, sweep_id
