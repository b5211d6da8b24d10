"""``railyard-batch export MEMBER_ID OUT_DIR``: a trained member as a JVM bundle, with the
parity gate run on its holdout (the member's own split, rebuilt from the recorded data md5)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from railyard_batch.artifacts import ArtifactStore
from railyard_batch.config.validate import ValidatedConfig
from railyard_batch.planning import RunPlan
from railyard_batch.splits import split_indices
from railyard_batch.store import RunStore
from railyard_batch.worker import read_plan_data


def member_holdout(store: RunStore, member_id: str) -> tuple[Any, pd.DataFrame, pd.Series]:
    """A trained member's pipeline and its own holdout rows (features, label), rebuilt from
    the data md5 and the split its run recorded."""
    member = store.member(member_id)
    run = store.run(member["run_id"])
    plan = RunPlan.load(str(Path(run["artifact_uri"]) / "plan.json"))
    vc = ValidatedConfig(raw=plan.config, config_hash=plan.config_hash)
    pipeline = pickle.loads(ArtifactStore(run["artifact_uri"]).get(member["artifact_uri"]))
    frame = read_plan_data(plan, vc)
    by = vc["fanout"].get("by")
    value = next(m.value for m in plan.members if m.id == member_id)
    if by and value is not None:  # the member's own rows (matched by value, not by its key)
        frame = frame.iloc[frame.groupby(by, sort=False).indices.get(value, np.arange(0))]
    _, holdout_idx = split_indices(frame, vc["split"], vc.label)
    rows = frame.iloc[holdout_idx]
    return pipeline, rows[vc.feature_columns], rows[vc.label]


def export_member(store: RunStore, member_id: str, out_dir: Path, *, with_onnx: bool) -> Any:
    from railyard_batch.bundle import export_and_gate

    pipeline, holdout, _ = member_holdout(store, member_id)
    outcome = export_and_gate(
        pipeline,
        out_dir,
        model_name=member_id.replace("/", "."),
        input_schema=holdout,
        holdout=holdout,
        run_id=store.member(member_id)["run_id"],
        with_onnx=with_onnx,
    )
    return outcome
