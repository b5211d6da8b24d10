"""``railyard-batch reproduce RUN_ID``: re-train recorded members from what the run recorded
(its config, the data by md5, the seeds in the config) and say whether the metrics and the
serialized model's hash match. Where package versions differ, it says which."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from railyard_batch.config.validate import ValidatedConfig
from railyard_batch.errors import MemberSkipped, RunNotFoundError
from railyard_batch.execution.training import PipelineFactory, train_member, training_frames
from railyard_batch.planning.plan import RunPlan
from railyard_batch.planning.plan_data import read_plan_data
from railyard_batch.planning.provenance import package_versions
from railyard_batch.recording.artifacts import join_uri
from railyard_batch.recording.store import RunStore


@dataclass
class MemberCheck:
    member_id: str
    matches: bool
    model_sha256_recorded: str | None
    model_sha256_now: str | None
    metric_differences: dict[str, list[Any]] = field(default_factory=dict)
    error: str | None = None


@dataclass
class ReproduceReport:
    run_id: str
    data_md5: str
    members: list[MemberCheck]
    version_differences: dict[str, list[str | None]]

    @property
    def matches(self) -> bool:
        return bool(self.members) and all(m.matches for m in self.members)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "matches": self.matches}


def reproduce_run(store: RunStore, run_id: str, member_key: str | None = None) -> ReproduceReport:
    with training_frames():  # read and train under the options the worker used
        return _reproduce_run(store, run_id, member_key)


def _reproduce_run(store: RunStore, run_id: str, member_key: str | None) -> ReproduceReport:
    run = store.run(run_id)
    sweep = store.sweep(run.sweep_id)
    plan_uri = join_uri(str(run.artifact_uri), "plan.json")
    plan = RunPlan.load(plan_uri)
    recorded = {m.id: m for m in store.members(run_id=run_id)}
    chosen = plan.members
    if member_key is not None:  # a member's key, else its fan-out value as text
        chosen = [m for m in plan.members if m.key == member_key] or [
            m for m in plan.members if m.value is not None and str(m.value) == member_key
        ]
    wanted = [m for m in chosen if recorded[m.id].state in ("succeeded", "cached")]
    if not wanted:
        what = f"member {member_key!r} of run" if member_key else "succeeded member in run"
        raise RunNotFoundError(f"No {what} {run_id!r} to reproduce.")

    vc = ValidatedConfig(raw=plan.config, config_hash=plan.config_hash)
    by = vc.typed.fanout.by
    frame = read_plan_data(plan, vc)
    positions = frame.groupby(by, sort=False).indices if by else {}
    factory = PipelineFactory(vc)

    checks = []
    for member in wanted:
        record = recorded[member.id]
        rows = np.arange(len(frame)) if member.value is None else positions.get(member.value)
        subset = frame.iloc[rows] if rows is not None else frame.iloc[:0]
        try:
            trained = train_member(subset, factory)
        except MemberSkipped as exc:
            checks.append(
                MemberCheck(
                    member.id, False, record.model_sha256, None, error=f"now skipped: {exc}"
                )
            )
            continue
        then = record.metrics or {}
        now = {**trained.metrics, "n_rows": len(subset)}
        differences = {
            k: [then.get(k), now.get(k)]
            for k in sorted(set(then) | set(now))
            if then.get(k) != now.get(k)
        }
        same_model = trained.model_sha256 == record.model_sha256
        checks.append(
            MemberCheck(
                member.id,
                same_model and not differences,
                record.model_sha256,
                trained.model_sha256,
                differences,
            )
        )

    then_versions = sweep.package_versions or {}
    now_versions = package_versions()
    version_diff = {
        k: [then_versions.get(k), now_versions.get(k)]
        for k in sorted(set(then_versions) | set(now_versions))
        if then_versions.get(k) != now_versions.get(k)
    }
    return ReproduceReport(run_id, plan.data["md5"], checks, version_diff)
