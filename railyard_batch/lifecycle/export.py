"""``railyard-batch export MEMBER_ID OUT_DIR``: a trained member as a JVM bundle, with the
parity gate run on its holdout (the member's own split, rebuilt from the recorded data md5)."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from railyard_batch.config.validate import ValidatedConfig
from railyard_batch.execution.splits import split_indices
from railyard_batch.planning.plan import RunPlan
from railyard_batch.planning.plan_data import read_plan_data
from railyard_batch.recording import scores
from railyard_batch.recording.artifacts import HOLDOUT_SCORES, OOF_SCORES, ArtifactStore, join_uri
from railyard_batch.recording.records import MemberRecord, RunRecord
from railyard_batch.recording.store import RunStore


@dataclass
class _RunData:
    """One run's plan, config and dataset as read (the global member splits it as is: a split
    depends on row order), and, made when a fan-out member first asks, the same rows sorted
    by fan-out value with each value's slice."""

    plan: RunPlan
    vc: ValidatedConfig
    frame: pd.DataFrame
    values: dict[str, Any]  # member id -> its fan-out value (None: the global member)
    # each value's slice of the frame sorted by fan-out value, and that sort order
    _groups: tuple[dict[Any, slice], np.ndarray] | None = None
    _sorted: pd.DataFrame | None = None  # the frame in that order (made for rows_of)
    _labels: np.ndarray | None = None

    def _grouped(self) -> tuple[dict[Any, slice], np.ndarray]:
        if self._groups is None:
            codes, uniques = pd.factorize(
                self.frame[self.vc.typed.fanout.by], use_na_sentinel=False
            )
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
            groups = {v: slice(int(bounds[i]), int(bounds[i + 1])) for i, v in enumerate(uniques)}
            self._groups = (groups, order)
        return self._groups

    def rows_of(self, value: Any) -> pd.DataFrame:
        """The rows of one fan-out value, in their original order."""
        groups, order = self._grouped()
        if self._sorted is None:
            # One stable sort makes each value's rows a contiguous slice (a view): one take of
            # the whole frame instead of one per member (8 ms a member on 1M rows with Arrow
            # strings).
            self._sorted = self.frame.iloc[order]
        return self._sorted.iloc[groups.get(value, slice(0, 0))]

    def positions(self, value: Any, within: np.ndarray) -> np.ndarray:
        """Positions in the whole frame of the rows at ``within`` of a member's rows (the rows
        of its fan-out ``value``; None: the whole frame, as the global member trained)."""
        if value is None or not self.vc.typed.fanout.by:
            return within
        groups, order = self._grouped()
        return order[groups.get(value, slice(0, 0))][within]

    def labels(self) -> np.ndarray:
        if self._labels is None:
            self._labels = self.frame[self.vc.label].to_numpy()
        return self._labels


@dataclass(frozen=True)
class RecordedScores:
    """What a member's training recorded on its holdout: the rows (positions in the run's
    whole frame), their labels and the positive-class scores, in holdout order."""

    positions: np.ndarray
    y_true: np.ndarray
    score: np.ndarray


class Holdouts:
    """Trained members' pipelines and their own holdout rows, rebuilt from the data md5 and the
    split their run recorded. A run's dataset is read once and grouped by fan-out value once,
    however many of its members are asked for (a sweep's shadow reads each dataset once)."""

    def __init__(self, store: RunStore) -> None:
        self._store = store
        self._runs: dict[str, _RunData] = {}
        self._rows: dict[str, tuple[pd.DataFrame, pd.Series]] = {}
        self._members: dict[str, MemberRecord] = {}
        self._run_rows: dict[str, RunRecord] = {}
        self._fanout: dict[str, pd.Series | None] = {}
        self._index: dict[str, tuple[np.ndarray, pd.Index]] = {}
        self._prefetched: set[str] = set()

    def prefetch(self, sweep_ids: set[str]) -> None:
        """Read these sweeps' member and run rows in one query each (not one per member), once
        per sweep (a shadow's pool process asks again for each chunk of names)."""
        for sweep_id in sorted(sweep_ids - self._prefetched):
            self._prefetched.add(sweep_id)
            for m in self._store.members(sweep_id=sweep_id):
                self._members[m.id] = m
            for r in self._store.runs(sweep_id):
                self._run_rows[r.id] = r

    def _member(self, member_id: str) -> MemberRecord:
        if member_id not in self._members:
            self._members[member_id] = self._store.member(member_id)
        return self._members[member_id]

    def _run_row(self, run_id: str) -> RunRecord:
        if run_id not in self._run_rows:
            self._run_rows[run_id] = self._store.run(run_id)
        return self._run_rows[run_id]

    def _run(self, run_id: str) -> _RunData:
        if run_id not in self._runs:
            run = self._run_row(run_id)
            plan = RunPlan.load(join_uri(str(run.artifact_uri), "plan.json"))
            vc = ValidatedConfig(raw=plan.config, config_hash=plan.config_hash)
            values = {m.id: m.value for m in plan.members}
            self._runs[run_id] = _RunData(plan, vc, read_plan_data(plan, vc), values)
        return self._runs[run_id]

    def pipeline(self, member_id: str) -> Any:
        member = self._member(member_id)
        run = self._run_row(member.run_id)
        # (a member without a model fails here, as it always has: no artifact to read)
        model = cast(str, member.artifact_uri)
        return pickle.loads(ArtifactStore(str(run.artifact_uri)).get(model))

    def _member_frame(self, member_id: str) -> tuple[_RunData, pd.DataFrame]:
        data = self._run(self._member(member_id).run_id)
        value = data.values[member_id]
        by = data.vc.typed.fanout.by
        return data, data.rows_of(value) if by and value is not None else data.frame

    def holdout_index(self, member_id: str) -> pd.Index:
        """The labels of the member's holdout rows, in the order its training scored them,
        without copying the rows (kept)."""
        return self._holdout(member_id)[1]

    def _holdout(self, member_id: str) -> tuple[np.ndarray, pd.Index]:
        """Positions (in the member's frame) and labels of its holdout rows (kept)."""
        if member_id not in self._index:
            data, frame = self._member_frame(member_id)
            _, holdout_idx = split_indices(frame, data.vc.typed.split, data.vc.label)
            self._index[member_id] = (holdout_idx, frame.index[holdout_idx])
        return self._index[member_id]

    def rows(self, member_id: str) -> tuple[pd.DataFrame, pd.Series]:
        """The member's holdout: its features and its labels (kept: asked again, it is free)."""
        if member_id in self._rows:
            return self._rows[member_id]
        data, frame = self._member_frame(member_id)
        vc, by = data.vc, data.vc.typed.fanout.by
        rows = frame.iloc[self._holdout(member_id)[0]]
        self._rows[member_id] = (rows[vc.feature_columns], rows[vc.label])
        self._fanout[member_id] = rows[by] if by else None
        return self._rows[member_id]

    def recorded_scores(self, member_id: str, *, oof: bool = False) -> RecordedScores | None:
        """The member's recorded holdout scores (``holdout_scores.arrow``, or an earlier
        version's parquet file); their rows are the recorded ``pos`` (positions in the
        member's rows), or, for files written before it, the rebuilt split's. None when it
        kept none (a regression, an older version) or they do not fit its holdout (then the
        caller runs the pipeline). ``oof``: the out-of-fold scores on its training rows
        (``oof_scores.arrow``, evaluation.oof_folds) instead."""
        member = self._member(member_id)
        model = member.artifact_uri
        if not model:
            return None
        run = self._run_row(member.run_id)
        try:
            table = scores.read(
                ArtifactStore(str(run.artifact_uri)).get,
                model.rsplit("/", 1)[0],
                OOF_SCORES if oof else HOLDOUT_SCORES,
            )
        except (OSError, ValueError):
            return None
        if not {"y_true", "score"} <= set(table.column_names):
            return None
        data = self._run(member.run_id)
        if "pos" in table.column_names:
            within = table.column("pos").to_numpy()
        elif oof:
            return None
        else:
            within = self._holdout(member_id)[0]
        y_true = table.column("y_true").to_numpy()
        if len(within) != len(y_true):
            return None
        positions = data.positions(data.values[member_id], within)
        labels = data.labels()
        if len(positions) and (positions.max() >= len(labels) or positions.min() < 0):
            return None
        if not np.array_equal(labels[positions].astype(y_true.dtype, copy=False), y_true):
            return None  # not the rows it scored
        return RecordedScores(positions, y_true, table.column("score").to_numpy())

    def column(self, run_id: str, name: str) -> pd.Series:
        """A column of the run's whole frame, in its original order."""
        return self._run(run_id).frame[name]

    def context(self, member_id: str) -> tuple[ValidatedConfig, Any]:
        """The member's run config and its fan-out value (None for the global member)."""
        data = self._run(self._member(member_id).run_id)
        return data.vc, data.values[member_id]

    def fanout_values(self, member_id: str) -> pd.Series | None:
        """The fan-out column of the member's holdout rows (None without a fan-out)."""
        self.rows(member_id)
        return self._fanout[member_id]

    def fanout_sizes(self, run_id: str) -> pd.Series:
        """Rows per fan-out value in the run's whole dataset."""
        data = self._run(run_id)
        by = data.vc.typed.fanout.by
        return data.frame[by].value_counts(dropna=False) if by else pd.Series(dtype=int)


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
        run_id=store.member(member_id).run_id,
        with_onnx=with_onnx,
    )
    return outcome
