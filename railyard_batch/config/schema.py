"""Typed schema of a training run, registered in Hydra's ConfigStore as ``railyard_schema``.

Each dataclass is one top-level config key; a reader finds the code for ``split.strategy``
in :class:`SplitConfig` and its checks in :mod:`railyard_batch.config.validate`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from railyard_batch.config.targets import DEFAULT_ALLOWED_MODULES
from railyard_batch.errors import ConfigError

# The closed sets of values a field takes. The fields stay ``str`` (OmegaConf would refuse an
# unknown value with its own message); validation refuses one with the allowed values
# (railyard_batch.config.validate), and code compares with these members.


class DataFormat(enum.StrEnum):
    PARQUET = "parquet"
    CSV = "csv"


class Task(enum.StrEnum):
    BINARY_CLASSIFICATION = "binary_classification"
    REGRESSION = "regression"


class SplitStrategy(enum.StrEnum):
    RANDOM = "random"
    STRATIFIED = "stratified"
    TIME = "time"
    GROUP = "group"


@dataclass
class DataConfig:
    # Path of the dataset, relative to the project root (a DVC-tracked file).
    path: str = MISSING
    # File format (DataFormat): parquet (default) or csv.
    format: str = DataFormat.PARQUET.value
    # More columns the worker reads besides features, label, split and fan-out columns (for
    # a feature transformer or a train hook that needs them).
    extra_columns: list[str] = field(default_factory=list)


@dataclass
class FeaturesConfig:
    # Numeric feature columns: median-imputed and standardised by default.
    numeric: list[str] = field(default_factory=list)
    # Categorical feature columns: missing values become 'missing', then one-hot encoded.
    categorical: list[str] = field(default_factory=list)
    # Optional transformer from pipelines/ by _target_, replacing the default preprocessing.
    transformer: Any = None


@dataclass
class LabelConfig:
    # The label column.
    column: str = MISSING
    # Task: binary_classification or regression.
    task: str = Task.BINARY_CLASSIFICATION.value


@dataclass
class SplitConfig:
    # SplitStrategy: random, stratified, time or group.
    strategy: str = SplitStrategy.STRATIFIED.value
    # Share of rows (or of groups, for 'group') held out for evaluation.
    holdout_fraction: float = 0.2
    # Seed of the splitter.
    seed: int = 0
    # Time column for strategy 'time'.
    time_column: str | None = None
    # Strategy 'time': rows before this timestamp train, the rest is holdout (else by fraction).
    cutoff: str | None = None
    # Group column for strategy 'group': no group on both sides.
    group_column: str | None = None


@dataclass
class EvaluationConfig:
    # Metrics to compute; empty means every metric of the task.
    metrics: list[str] = field(default_factory=list)
    # Threshold for precision/recall of binary classifiers.
    threshold: float = 0.5
    # The metric a sweeper (Optuna) optimises: the mean over succeeded members.
    objective: str | None = None
    # Out-of-fold scores on the training side (k-fold, k = this; 0: none), recorded beside
    # each binary classifier: what a `stack` composition is fit on. Costs k more fits.
    oof_folds: int = 0


@dataclass
class ResourcesConfig:
    # CPU request per worker, Kubernetes quantity ("1", "500m").
    cpu: str = "1"
    # Memory request per worker, Kubernetes quantity ("2Gi").
    memory: str = "2Gi"
    # GPUs per worker.
    gpu: int = 0
    # Instance class: a key of conf/kubernetes/instance_classes.yaml (cpu, highmem, gpu as
    # shipped), whose node selectors and tolerations the Kubernetes launcher gives the pods.
    instance_class: str = "cpu"


@dataclass
class FanoutConfig:
    # Column whose values each get their own model (for example merchant_id); null: one model.
    by: str | None = None
    # A value needs at least this many rows to get a model.
    min_rows: int = 1000
    # Also train one generic model over all rows.
    include_global: bool = True
    # Keep only the largest N values (null: all that pass min_rows).
    max_members: int | None = None


@dataclass
class StoreConfig:
    # Run store URL: sqlite:///relative/path.db, sqlite:////absolute/path.db, or a team's
    # PostgreSQL: postgresql://USER:PASSWORD@HOST:5432/DB (README, "The run store").
    url: str = "sqlite:///runs/railyard.db"
    # Artifact root: a local directory or an fsspec URL.
    artifact_root: str = "runs/artifacts"


@dataclass
class ExecutionConfig:
    # Worker processes for the local backend; 0 means available cores / threads_per_worker
    # (CPU affinity and a cgroup CPU quota, as in a pod, counted).
    workers: int = 0
    # Math-library threads (BLAS, OpenMP) per worker process, set before they load; >= 1.
    threads_per_worker: int = 1
    # Aim for this many shards per worker, so that slow members do not idle the pool.
    shards_per_worker: int = 4
    # Show a progress bar.
    progress: bool = True
    # Retrain members even when a succeeded member has the same content key (--force).
    force: bool = False
    # The sweep's id, chosen by the caller (the service hands it out before the sweep starts);
    # null: a new one. Format YYYYMMDD-HHMMSS-xxxxxx (6 lowercase hex digits).
    sweep_id: str | None = None


@dataclass
class ExportConfig:
    # Export each trained member as a JVM bundle and run the parity gate on its holdout.
    bundle: bool = False
    # Also export ONNX and record its parity figures next to the bundle's.
    onnx: bool = False


@dataclass
class RegistryConfig:
    # Register the sweep's succeeded, exportable members in the model registry when it ends.
    register: bool = False
    # Name template of a per-value member; fields {experiment}, {by}, {key}, {estimator}, {run}.
    name: str = "{experiment}/{by}={key}"
    # Name template of the global member.
    global_name: str = "{experiment}/global"


@dataclass
class TargetsConfig:
    # Modules whose objects a _target_ (estimator, features.transformer, hook) may name;
    # nothing outside them is imported or called. Add your own package to allow it.
    allowed_modules: list[str] = field(default_factory=lambda: list(DEFAULT_ALLOWED_MODULES))


@dataclass
class TrainConfig:
    # Name of the experiment, recorded with every run.
    experiment: str = "default"
    data: DataConfig = field(default_factory=DataConfig)
    features: FeaturesConfig = field(default_factory=FeaturesConfig)
    label: LabelConfig = field(default_factory=LabelConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    # Any scikit-learn-compatible estimator by _target_, with its params.
    estimator: Any = MISSING
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    resources: ResourcesConfig = field(default_factory=ResourcesConfig)
    # Free-form params passed to user code (the train hook and feature transformers).
    params: dict[str, Any] = field(default_factory=dict)
    fanout: FanoutConfig = field(default_factory=FanoutConfig)
    # Optional user hook "pipelines.module:function", train(train_df, holdout_df, params).
    hook: str | None = None
    store: StoreConfig = field(default_factory=StoreConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    targets: TargetsConfig = field(default_factory=TargetsConfig)
    registry: RegistryConfig = field(default_factory=RegistryConfig)
    # A composition of the sweep's members (composition=NAME: a file of conf/composition/),
    # evaluated and recorded when the sweep ends, as `railyard-batch compose` does (with its
    # bundle when export.bundle=true). Checked before anything trains.
    composition: Any = None


def typed_config(raw: Mapping[str, Any]) -> TrainConfig:
    """A resolved config's plain data (what validation checked and a run plan records) as
    the schema's dataclasses (``OmegaConf.to_object`` over :class:`TrainConfig`): read as
    ``cfg.split.strategy``, typed, with the schema's defaults for what ``raw`` leaves out. A
    key the schema lacks, a value of the wrong type or a required one missing is a
    :class:`~railyard_batch.errors.ConfigError` naming it (a plan edited by hand, or written by
    another version)."""
    try:
        merged = OmegaConf.merge(OmegaConf.structured(TrainConfig), dict(raw))
        return cast(TrainConfig, OmegaConf.to_object(merged))
    except OmegaConfBaseException as exc:
        why = " ".join(str(exc).split("\n")[0].split())
        key = getattr(exc, "full_key", None)
        where = f"the {key!r} parameter" if key else "the config"
        raise ConfigError(f"{where.capitalize()} does not fit the schema: {why}") from exc


def register_configs() -> None:
    """Register the schema so that ``conf/config.yaml`` can extend it."""
    ConfigStore.instance().store(name="railyard_schema", node=TrainConfig)
