"""What a report shows, read from the run store: the sweep, its runs and members, the members
whose curves are drawn (each run's global model and its best and worst merchant) and their
holdout scores, read from the artifact root beside their models."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from railyard_batch.output.report import shown_value
from railyard_batch.recording import scores
from railyard_batch.recording.artifacts import HOLDOUT_SCORES, ArtifactStore
from railyard_batch.recording.records import CompositionRecord, MemberRecord, RunRecord, SweepRecord
from railyard_batch.recording.store import RunStore

GLOBAL_KEY = "__global__"
# Metrics where a smaller value is the better model; every other one is higher-is-better.
LOWER_IS_BETTER = frozenset({"log_loss", "rmse", "mae"})
DONE = ("succeeded", "cached")


@dataclass
class RunView:
    """One run (Hydra job) of the sweep with its members."""

    run: RunRecord
    members: list[MemberRecord]
    metrics: list[str]
    label: str
    task: str
    objective: str | None

    @property
    def done(self) -> list[MemberRecord]:
        return [m for m in self.members if m.state in DONE and m.metrics]

    @property
    def global_member(self) -> MemberRecord | None:
        return next((m for m in self.done if m.member_key == GLOBAL_KEY), None)

    @property
    def per_merchant(self) -> list[MemberRecord]:
        return [m for m in self.done if m.member_key != GLOBAL_KEY]

    def best_and_worst(self) -> tuple[MemberRecord | None, MemberRecord | None]:
        """The per-merchant members with the best and the worst objective value."""
        metric = self.objective
        # (done: each has metrics)
        ranked = [
            m for m in self.per_merchant if metric and (m.metrics or {}).get(metric) is not None
        ]
        if not ranked or metric is None:
            return None, None
        ranked.sort(
            key=lambda m: float((m.metrics or {})[metric]), reverse=metric not in LOWER_IS_BETTER
        )
        return ranked[0], ranked[-1] if len(ranked) > 1 else None


@dataclass(frozen=True)
class ComposedView:
    """A composition recorded by ``railyard-batch compose`` and its result document (curves
    and deciles; None when the file is gone)."""

    record: CompositionRecord
    result_doc: dict[str, Any] | None


@dataclass
class SweepData:
    sweep: SweepRecord
    runs: list[RunView]
    counts: dict[str, int]
    metrics: list[str] = field(default_factory=list)
    # compositions recorded by `railyard-batch compose`, each with its result document
    compositions: list[ComposedView] = field(default_factory=list)

    @property
    def members(self) -> list[MemberRecord]:
        return [m for view in self.runs for m in view.members]


def short_target(target: str | None) -> str:
    return (target or "").rsplit(".", 1)[-1]


def load_sweep(store: RunStore, sweep_id: str) -> SweepData:
    """The sweep and everything of it the report shows (RunNotFoundError for an unknown id)."""
    sweep = store.sweep(sweep_id)
    members = store.members(sweep_id=sweep_id)
    by_run: dict[str, list[MemberRecord]] = {}
    for member in members:
        by_run.setdefault(member.run_id, []).append(member)
    views = []
    for run in store.runs(sweep_id):
        config = run.config
        task = config["label"]["task"]
        evaluation = config["evaluation"]
        metrics = list(evaluation.get("metrics") or _default_metrics(task))
        views.append(
            RunView(
                run=run,
                members=by_run.get(run.id, []),
                metrics=metrics,
                label=f"{run.job_num}: {short_target(run.estimator)}",
                task=task,
                objective=evaluation.get("objective") or (metrics[0] if metrics else None),
            )
        )
    names: list[str] = []
    for view in views:
        names.extend(m for m in view.metrics if m not in names)
    return SweepData(
        sweep=sweep,
        runs=views,
        counts=store.state_counts(sweep_id),
        metrics=names,
        compositions=[_with_result(c) for c in store.compositions(sweep_id=sweep_id)],
    )


def _with_result(composition: CompositionRecord) -> ComposedView:
    import json
    from pathlib import Path

    try:
        doc = json.loads(Path(composition.result).read_text()) if composition.result else None
    except (OSError, ValueError):
        doc = None
    return ComposedView(composition, doc)


def _default_metrics(task: str) -> list[str]:
    from railyard_batch.config.validate import METRICS_BY_TASK  # only for runs without a list

    return sorted(METRICS_BY_TASK[task])


def member_value(member: MemberRecord) -> Any:
    if member.member_value is not None or member.member_key == GLOBAL_KEY:
        return member.member_value
    return member.member_key  # recorded before values were kept: the key was the value


def shown(member: MemberRecord) -> str:
    """A member's fan-out value as ``runs show`` prints it (plain text, never markup)."""
    return shown_value(member_value(member)).plain


def seconds(member: MemberRecord) -> float | None:
    """How long a member took to train (None when it has no start or end)."""
    start, end = member.started_at, member.finished_at
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


@dataclass(frozen=True)
class HoldoutScores:
    """A member's holdout labels and scores, or why there are none."""

    frame: pd.DataFrame | None
    missing: str | None = None


def holdout_scores(member: MemberRecord) -> HoldoutScores:
    """The holdout scores beside the member's model (``holdout_scores.arrow``, or an earlier
    version's parquet file; a cached member's are its origin's). Members trained before the
    worker kept them have none: the reason says so."""
    model = member.artifact_uri
    if not model:
        return HoldoutScores(None, "no model recorded")
    remote = "://" in model and not model.startswith("file://")
    folder = model.rsplit("/", 1)[0] if remote else str(Path(model.removeprefix("file://")).parent)
    try:
        table = scores.read(ArtifactStore(folder).get, folder, HOLDOUT_SCORES)
        frame = table.select(["y_true", "score"]).to_pandas()
    except FileNotFoundError:
        return HoldoutScores(None, "no holdout scores kept (trained by an older version)")
    except OSError as exc:
        return HoldoutScores(None, f"holdout scores unreadable: {exc}")
    except Exception as exc:  # a damaged file: said on the chart, the report goes on
        return HoldoutScores(None, f"holdout scores unreadable: {type(exc).__name__}")
    return HoldoutScores(frame.dropna())


def metric_values(members: Sequence[MemberRecord], metric: str) -> list[tuple[MemberRecord, float]]:
    return [
        (m, float(m.metrics[metric]))
        for m in members
        if m.metrics
        and isinstance(m.metrics.get(metric), int | float)
        and math.isfinite(m.metrics[metric])
    ]
