"""``railyard-batch export MEMBER_ID OUT_DIR``: a trained member as a JVM bundle, with the
parity gate run on its holdout (the member's own split, rebuilt from the recorded data md5)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from railyard_batch.artifacts import ArtifactStore
from railyard_batch.config.validate import ValidatedConfig
from railyard_batch.data import read_table
from railyard_batch.dvc_objects import resolve
from railyard_batch.planning import RunPlan
from railyard_batch.splits import split_indices
from railyard_batch.store import RunStore


def export_member(store: RunStore, member_id: str, out_dir: Path, *, with_onnx: bool) -> Any:
    from railyard_batch.bundle import export_and_gate

    member = store.member(member_id)
    run = store.run(member["run_id"])
    artifacts = ArtifactStore(run["artifact_uri"])
    plan = RunPlan.from_dict(
        json.loads(artifacts.get(str(Path(run["artifact_uri"]) / "plan.json")))
    )
    vc = ValidatedConfig(raw=plan.config, config_hash=plan.config_hash)
    pipeline = pickle.loads(artifacts.get(member["artifact_uri"]))

    data = plan.data
    path = resolve(
        data["path"],
        data["md5"],
        cache=data.get("cache") or None,
        remote=data.get("remote") or None,
    )
    frame = read_table(str(path), data["format"], vc.needed_columns())
    by = vc["fanout"].get("by")
    if by and member["member_key"] != "__global__":
        frame = frame.iloc[np.flatnonzero(frame[by].astype(str) == member["member_key"])]
    _, holdout_idx = split_indices(frame, vc["split"], vc.label)
    holdout = frame.iloc[holdout_idx][vc.feature_columns]
    outcome = export_and_gate(
        pipeline,
        out_dir,
        model_name=member_id.replace("/", "."),
        input_schema=holdout,
        holdout=holdout,
        run_id=run["id"],
        with_onnx=with_onnx,
    )
    return outcome
