"""From a validated config and its dataset to a run plan: the members (one per fan-out value
with enough rows, plus the global model), grouped into shards that a worker runs in one go.

The checks that need the data happen here, before anything trains: every column the config
names exists, the label has no missing value and (for classification) two classes, and the
split leaves a holdout.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from railyard_batch.config.schema import SplitStrategy, Task, TrainConfig, typed_config
from railyard_batch.config.validate import ValidatedConfig
from railyard_batch.errors import ConfigError, DataError
from railyard_batch.planning.data import DataIdentity, dataset_columns, read_table, require_columns
from railyard_batch.planning.member_keys import GLOBAL_KEY, member_keys, value_token

if TYPE_CHECKING:
    import pandas as pd
# pandas (a fifth of a second) and the split helpers load where a dataset is checked: a plan
# whose fan-out counts come from the index never needs them.

# Fixed cost of one member, in rows, when balancing shards (dispatch, metrics, writes).
MEMBER_OVERHEAD_ROWS = 400


@dataclass(frozen=True)
class MemberPlan:
    id: str
    # Safe, bounded and unique in its run (railyard_batch/planning/member_keys.py): used in paths,
    # ids and logs. The raw fan-out value is ``value``.
    key: str
    # The fan-out value this member trains on (data, shown to users); None for the global model.
    value: Any
    n_rows: int
    # Shard index; -1 for a member served from the cache (not run).
    shard: int
    # Hash of everything its result depends on: config, data md5, member, code version.
    content_key: str = ""
    # The member id whose result this one reuses (state 'cached'), if any.
    cached_from: str | None = None


@dataclass
class RunPlan:
    """Everything a worker needs to run any shard of one run (one Hydra job)."""

    sweep_id: str
    run_id: str
    job_num: int
    overrides: list[str]
    config: dict[str, Any]
    config_hash: str
    data: dict[str, str]
    store_url: str
    artifact_root: str
    members: list[MemberPlan] = field(default_factory=list)
    n_shards: int = 0
    # Fan-out values with fewer than fanout.min_rows rows (no model).
    below_min_rows: int = 0

    @cached_property
    def typed(self) -> TrainConfig:
        """:attr:`config` as the schema's dataclasses (:func:`typed_config`), made once per
        plan (about 15 ms; planning sets the one it read): what the sweep, the backends and the CLI read
        (``plan.typed.execution.force``) instead of string keys of the dict. Not a field:
        the plan travels (``plan.json``, a pod's ConfigMap) as its plain config."""
        return typed_config(self.config)

    def shard_members(self, shard: int) -> list[MemberPlan]:
        return [m for m in self.members if m.shard == shard]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def shared(self) -> dict[str, Any]:
        """The plan as it leaves this process (``plan.json``, a pod's ConfigMap): the run
        store's password as ``***``. Whoever records a loaded plan's results (a pod's launcher,
        ``status``, ``wait``) opens the store itself; a pod never does."""
        from railyard_batch.recording.urls import config_without_password, redact

        raw = self.to_dict()
        return {
            **raw,
            "store_url": redact(self.store_url),
            "config": config_without_password(self.config),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RunPlan:
        members = [MemberPlan(**m) for m in raw["members"]]
        return cls(**{**raw, "members": members})

    def relpath(self) -> str:
        """Where the plan lives under its artifact root (``plan.json`` beside the run's)."""
        return f"{self.sweep_id}/{self.run_id}/plan.json"

    def save(self) -> str:
        """Write the plan under its artifact root; return its URI (what :meth:`load` reads)."""
        from railyard_batch.recording.artifacts import ArtifactStore

        return ArtifactStore(self.artifact_root).put(
            self.relpath(), json.dumps(self.shared()).encode()
        )

    @classmethod
    def load(cls, uri: str) -> RunPlan:
        """Read a plan written by :func:`railyard_batch.sweep.record_plans` (``plan.json``)."""
        from railyard_batch.recording.artifacts import ArtifactStore

        return cls.from_dict(json.loads(ArtifactStore(os.path.dirname(uri)).get(uri)))


def check_dataset(vc: ValidatedConfig, identity: DataIdentity) -> pd.DataFrame:
    """Check the columns and the label against the data; return the columns planning needs."""
    cfg = vc.typed
    columns = dataset_columns(identity.path, cfg.data.format)
    split, fanout = cfg.split, cfg.fanout
    wanted = {
        "features.numeric": list(cfg.features.numeric),
        "features.categorical": list(cfg.features.categorical),
        "label.column": [vc.label],
        "split.time_column": [split.time_column] if split.time_column else [],
        "split.group_column": [split.group_column] if split.group_column else [],
        "fanout.by": [fanout.by] if fanout.by else [],
        "data.extra_columns": list(cfg.data.extra_columns),
    }
    require_columns(columns, wanted, identity.path)
    needed = [
        c
        for cols in wanted.values()
        if cols
        for c in cols
        if c in (vc.label, split.time_column, fanout.by)
    ]
    frame = read_table(identity.path, cfg.data.format, list(dict.fromkeys(needed)))
    _check_label(frame[vc.label], vc)
    _check_holdout(frame, vc)
    return frame


def _check_label(y: pd.Series, vc: ValidatedConfig) -> None:
    import pandas as pd

    missing = int(y.isna().sum())
    if missing:
        raise DataError(
            f"The label column {vc.label!r} ('label.column') has {missing} missing value(s) of "
            f"{len(y)}; the label must be complete."
        )
    if vc.task == Task.BINARY_CLASSIFICATION:
        values = sorted(pd.unique(y).tolist())
        if len(values) != 2:
            raise DataError(
                f"The label column {vc.label!r} ('label.column') must hold exactly 2 classes for "
                f"label.task 'binary_classification'. Got {len(values)}: {values[:5]}."
            )
        if set(values) - {0, 1}:
            raise DataError(
                f"The label column {vc.label!r} ('label.column') must hold 0/1 for "
                f"binary_classification. Got {values}."
            )


def _check_holdout(frame: pd.DataFrame, vc: ValidatedConfig) -> None:
    import pandas as pd

    from railyard_batch.execution.splits import parse_times

    split = vc.typed.split
    if split.strategy != SplitStrategy.TIME or split.time_column is None:
        return
    # A column that does not parse is named here, before anything trains.
    times = parse_times(frame[split.time_column], split.time_column)
    if split.cutoff is None:
        return
    cutoff = pd.Timestamp(split.cutoff)
    if not (times >= cutoff).any():
        raise ConfigError(
            f"The 'split.cutoff' parameter leaves the holdout empty: every row of "
            f"{split.time_column!r} is before it (latest {times.max()}). Got {split.cutoff!r}."
        )
    if not (times < cutoff).any():
        raise ConfigError(
            f"The 'split.cutoff' parameter leaves the training set empty: no row of "
            f"{split.time_column!r} is before it (earliest {times.min()}). Got {split.cutoff!r}."
        )


def plan_members(
    frame: pd.DataFrame, vc: ValidatedConfig
) -> tuple[list[tuple[str, Any, int]], int]:
    """``(key, value, n_rows)`` for every member, largest first, and the count of fan-out values
    below ``fanout.min_rows``. Members come from the data, not from a list."""
    by = vc["fanout"].get("by")  # (with members_from_counts: a plain section is enough)
    counts = fanout_counts(frame[by]) if by else []
    return members_from_counts(counts, len(frame), vc)


def fanout_counts(column: pd.Series) -> list[tuple[Any, int]]:
    """``(value, rows)`` of every fan-out value in the column (missing values left out)."""
    counts = column.value_counts(dropna=True)
    return [(_scalar(value), int(n)) for value, n in counts.items()]


def members_from_counts(
    counts: list[tuple[Any, int]], total_rows: int, vc: ValidatedConfig | dict[str, Any]
) -> tuple[list[tuple[str, Any, int]], int]:
    """:func:`plan_members` from the fan-out column's value counts (``railyard-batch plan``
    reads them from a recorded index instead of the data)."""
    fanout = vc["fanout"]
    members: list[tuple[str, Any, int]] = []
    below = 0
    if fanout.get("by"):
        keep = [(v, n) for v, n in counts if n >= int(fanout["min_rows"])]
        below = len(counts) - len(keep)
        ordered = sorted(keep, key=lambda kv: (-kv[1], str(kv[0])))
        if fanout.get("max_members") is not None:
            ordered = ordered[: int(fanout["max_members"])]
        values = [value for value, _ in ordered]
        keys = member_keys(values, column=str(fanout["by"]))
        members = [(k, v, n) for k, v, (_, n) in zip(keys, values, ordered, strict=True)]
    if fanout["include_global"]:
        members.insert(0, (GLOBAL_KEY, None, total_rows))
    return members, below


def assign_shards(sizes: list[int], n_shards: int) -> list[int]:
    """Longest-processing-time-first: each member (largest first) goes to the lightest shard."""
    n_shards = max(1, min(n_shards, len(sizes)))
    heap = [(0, shard) for shard in range(n_shards)]
    assignment = [0] * len(sizes)
    for index in np.argsort([-s for s in sizes], kind="stable"):
        load, shard = heapq.heappop(heap)
        assignment[int(index)] = shard
        heapq.heappush(heap, (load + sizes[int(index)] + MEMBER_OVERHEAD_ROWS, shard))
    return assignment


# Config sections that do not change a member's result: they stay out of its content key.
NON_RESULT_KEYS = frozenset(
    {"experiment", "store", "execution", "resources", "registry", "composition"}
)


def content_key(config: dict[str, Any], data_md5: str, value: Any, code: str) -> str:
    """Key of a member's result: same key, same model (training is seeded and deterministic).
    ``value`` is the member's fan-out value (None for the global model)."""
    relevant = {k: v for k, v in config.items() if k not in NON_RESULT_KEYS}
    member = GLOBAL_KEY if value is None else value_token(value)
    blob = json.dumps(
        {"config": relevant, "data": data_md5, "member": member, "code": code},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def content_keys(config: dict[str, Any], data_md5: str, values: list[Any], code: str) -> list[str]:
    """:func:`content_key` of many members of one config, serialising the config once (the
    same bytes: ``json.dumps`` with ``sort_keys`` writes code, config, data, member)."""
    relevant = {k: v for k, v in config.items() if k not in NON_RESULT_KEYS}

    def dump(obj: Any) -> str:
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)

    head = f'{{"code":{dump(code)},"config":{dump(relevant)},"data":{dump(data_md5)},"member":'
    keys = []
    for value in values:
        member = GLOBAL_KEY if value is None else value_token(value)
        keys.append(hashlib.sha256(f"{head}{dump(member)}}}".encode()).hexdigest()[:32])
    return keys


def _scalar(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
