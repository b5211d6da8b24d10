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


class Holdouts:
    """Trained members' pipelines and their own holdout rows, rebuilt from the data md5 and the
    split their run recorded. A run's dataset is read once and grouped by fan-out value once,
    however many of its members are asked for (a sweep's shadow reads each dataset once)."""

    def __init__(self, store: RunStore) -> None:
        self._store = store
        self._runs: dict[str, tuple[RunPlan, ValidatedConfig, pd.DataFrame, dict[Any, Any]]] = {}

    def _run(self, run_id: str) -> tuple[RunPlan, ValidatedConfig, pd.DataFrame, dict[Any, Any]]:
        if run_id not in self._runs:
            run = self._store.run(run_id)
            plan = RunPlan.load(str(Path(run["artifact_uri"]) / "plan.json"))
            vc = ValidatedConfig(raw=plan.config, config_hash=plan.config_hash)
            frame = read_plan_data(plan, vc)
            by = vc["fanout"].get("by")
            groups = dict(frame.groupby(by, sort=False).indices) if by else {}
            self._runs[run_id] = (plan, vc, frame, groups)
        return self._runs[run_id]

    def pipeline(self, member_id: str) -> Any:
        member = self._store.member(member_id)
        run = self._store.run(member["run_id"])
        return pickle.loads(ArtifactStore(run["artifact_uri"]).get(member["artifact_uri"]))

    def rows(self, member_id: str) -> tuple[pd.DataFrame, pd.Series]:
        """The member's holdout: its features and its labels."""
        plan, vc, frame, groups = self._run(self._store.member(member_id)["run_id"])
        value = next(m.value for m in plan.members if m.id == member_id)
        if vc["fanout"].get("by") and value is not None:  # its own rows, matched by value
            frame = frame.iloc[groups.get(value, np.arange(0))]
        _, holdout_idx = split_indices(frame, vc["split"], vc.label)
        rows = frame.iloc[holdout_idx]
        return rows[vc.feature_columns], rows[vc.label]


def member_holdout(store: RunStore, member_id: str) -> tuple[Any, pd.DataFrame, pd.Series]:
    """A trained member's pipeline and its own holdout rows (features, label)."""
    holdouts = Holdouts(store)
    return (holdouts.pipeline(member_id), *holdouts.rows(member_id))


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
