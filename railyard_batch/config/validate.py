"""Checks of a composed config that need no data: every message names the key, what is
allowed and what was received. Checks that need the data live in :mod:`railyard_batch.planning.plan`.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from omegaconf import DictConfig, OmegaConf

from railyard_batch.config import instance_classes
from railyard_batch.config.estimator_checks import EstimatorChecks
from railyard_batch.config.estimator_params import (
    check_xgboost_params,
    is_xgboost,
    sklearn_error_line,
    unknown_param_error,
)
from railyard_batch.config.keys import check_unknown_keys
from railyard_batch.config.schema import DataFormat, SplitStrategy, Task, TrainConfig, typed_config
from railyard_batch.config.targets import (
    DEFAULT_ALLOWED_MODULES,
    check_nested_targets,
    resolve_target,
)
from railyard_batch.errors import ConfigError, one_of
from railyard_batch.recording.artifacts import check_artifact_root

TASKS = {t.value for t in Task}
SPLIT_STRATEGIES = {s.value for s in SplitStrategy}
DATA_FORMATS = {f.value for f in DataFormat}
CLASSIFICATION_METRICS = {"roc_auc", "pr_auc", "log_loss", "precision", "recall", "accuracy"}
REGRESSION_METRICS = {"rmse", "mae", "r2"}
METRICS_BY_TASK = {
    Task.BINARY_CLASSIFICATION.value: CLASSIFICATION_METRICS,
    Task.REGRESSION.value: REGRESSION_METRICS,
}

_QUANTITY = re.compile(
    r"^(?P<num>[0-9]+(?:\.[0-9]+)?)(?P<suffix>m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"
)
_SUFFIX = {
    None: 1.0,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
    "Pi": 2.0**50,
    "Ei": 2.0**60,
}


@dataclass(frozen=True)
class ValidatedConfig:
    """A config that passed every data-free check, as plain data plus what it resolved to."""

    raw: dict[str, Any]
    config_hash: str

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    @cached_property
    def typed(self) -> TrainConfig:
        """The config as the schema's dataclasses (:func:`typed_config`), made once: what the
        worker reads (``vc.typed.split.seed``) instead of string keys of :attr:`raw`."""
        return typed_config(self.raw)

    @property
    def feature_columns(self) -> list[str]:
        return list(self.raw["features"]["numeric"]) + list(self.raw["features"]["categorical"])

    @property
    def label(self) -> str:
        return str(self.raw["label"]["column"])

    @property
    def task(self) -> str:
        return str(self.raw["label"]["task"])

    @property
    def metrics(self) -> list[str]:
        chosen = list(self.raw["evaluation"]["metrics"])
        return chosen or sorted(METRICS_BY_TASK[self.task])

    def needed_columns(self) -> list[str]:
        """Every column the worker reads: features, label, split and fan-out columns."""
        cols = [*self.feature_columns, self.label]
        split = self.raw["split"]
        for extra in (
            split.get("time_column"),
            split.get("group_column"),
            self.raw["fanout"]["by"],
        ):
            if extra:
                cols.append(extra)
        cols.extend(self.raw["data"].get("extra_columns") or [])
        return list(dict.fromkeys(cols))


def task_section(cfg: DictConfig) -> dict[str, Any]:
    """The resolved config without Hydra's own node."""
    container = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=False)
    assert isinstance(container, dict)
    container.pop("hydra", None)
    return {str(k): v for k, v in container.items()}


def config_hash(raw: dict[str, Any]) -> str:
    """Content hash of a resolved config, stable across key order."""
    blob = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def validate_config(
    cfg: DictConfig | dict[str, Any],
    checks: EstimatorChecks | None = None,
    *,
    imports: bool = True,
) -> ValidatedConfig:
    """Run every data-free check; raise :class:`ConfigError` on the first problem. An
    estimator check that ``checks`` records as passed is not run again (see
    :mod:`railyard_batch.config.estimator_checks`). ``imports=False`` leaves out the checks
    that import the estimator's library and the hook (:func:`check_imports`): the caller runs
    them elsewhere, in a process that imports those anyway."""
    raw = task_section(cfg) if isinstance(cfg, DictConfig) else dict(cfg)
    check_unknown_keys(raw)
    _check_missing(raw)
    allowed = allowed_modules(raw)
    _check_data(raw["data"])
    _check_features(raw["features"], allowed)
    _check_label(raw["label"])
    _check_split(raw["split"])
    if imports:
        _check_estimator(raw["estimator"], allowed, checks)
    _check_evaluation(raw["evaluation"], raw["label"]["task"])
    _check_resources(raw["resources"])
    _check_fanout(raw["fanout"])
    check_artifact_root(raw["store"]["artifact_root"])
    if imports and raw.get("hook"):
        resolve_target(raw["hook"], "hook", kind="hook", allowed=allowed)
    if raw["execution"]["workers"] < 0:
        raise ConfigError(
            f"The 'execution.workers' parameter must be >= 0 (0: one per core). "
            f"Got {raw['execution']['workers']!r}."
        )
    threads = raw["execution"].get("threads_per_worker", 1)
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ConfigError(
            f"The 'execution.threads_per_worker' parameter must be an integer >= 1. "
            f"Got {threads!r}."
        )
    if raw["execution"].get("sweep_id") is not None:
        check_sweep_id(raw["execution"]["sweep_id"])
    return ValidatedConfig(raw=raw, config_hash=config_hash(raw))


def check_imports(raw: dict[str, Any]) -> None:
    """The checks of a config (already validated with ``imports=False``) that import code:
    the estimator's class, constructed with its params, and the hook. scikit-learn alone
    takes about 80 MiB of a process to import, so the local backend runs these in a pool
    worker, which imports it to train anyway (:func:`railyard_batch.sweep.plan_run`)."""
    allowed = allowed_modules(raw)
    _check_estimator(raw["estimator"], allowed)
    if raw.get("hook"):
        resolve_target(raw["hook"], "hook", kind="hook", allowed=allowed)


SWEEP_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")


def check_sweep_id(value: object) -> str:
    """``execution.sweep_id``: the id format of :func:`railyard_batch.sweep.new_sweep_id`."""
    if not isinstance(value, str) or not SWEEP_ID.fullmatch(value):
        raise ConfigError(
            "The 'execution.sweep_id' parameter must be null or an id like "
            f"'20260101-120000-0a1b2c' (YYYYMMDD-HHMMSS-6 hex digits). Got {value!r}."
        )
    return value


def allowed_modules(raw: dict[str, Any]) -> tuple[str, ...]:
    """``targets.allowed_modules`` (the default list when a config predates the key)."""
    targets = raw.get("targets") or {}
    modules = targets.get("allowed_modules", DEFAULT_ALLOWED_MODULES)
    if not isinstance(modules, list | tuple) or not all(isinstance(m, str) for m in modules):
        raise ConfigError(
            "The 'targets.allowed_modules' parameter must be a list of module names. "
            f"Got {modules!r}."
        )
    return tuple(modules)


def _check_missing(raw: dict[str, Any]) -> None:
    for key, section in (("data.path", raw["data"]), ("label.column", raw["label"])):
        name = key.split(".")[1]
        if section.get(name) in (None, "???", ""):
            raise ConfigError(f"The '{key}' parameter is required. Got nothing.")
    if raw.get("estimator") in (None, "???"):
        raise ConfigError(
            "The 'estimator' parameter is required: choose one with estimator=<name> "
            "(see conf/estimator/). Got nothing."
        )


def _check_data(data: dict[str, Any]) -> None:
    if data["format"] not in DATA_FORMATS:
        raise one_of("data.format", DATA_FORMATS, data["format"])


def _check_features(features: dict[str, Any], allowed: tuple[str, ...]) -> None:
    numeric, categorical = list(features["numeric"]), list(features["categorical"])
    if not numeric and not categorical and features.get("transformer") is None:
        raise ConfigError(
            "The 'features' section must list 'numeric' or 'categorical' columns or name a "
            "'transformer'. Got none."
        )
    both = sorted(set(numeric) & set(categorical))
    if both:
        raise ConfigError(
            f"The 'features.numeric' and 'features.categorical' lists must not share columns. "
            f"Got {both} in both."
        )
    transformer = features.get("transformer")
    if transformer is not None:
        if not isinstance(transformer, dict) or "_target_" not in transformer:
            raise ConfigError(
                "The 'features.transformer' parameter must be a mapping with a '_target_'. "
                f"Got {transformer!r}."
            )
        resolve_target(
            transformer["_target_"],
            "features.transformer._target_",
            kind="transformer",
            allowed=allowed,
        )
        check_nested_targets(transformer, "features.transformer", allowed)


def _check_label(label: dict[str, Any]) -> None:
    if label["task"] not in TASKS:
        raise one_of("label.task", TASKS, label["task"])


def _check_split(split: dict[str, Any]) -> None:
    strategy = split["strategy"]
    if strategy not in SPLIT_STRATEGIES:
        raise one_of("split.strategy", SPLIT_STRATEGIES, strategy)
    fraction = split["holdout_fraction"]
    if not isinstance(fraction, int | float) or not 0.0 < float(fraction) < 1.0:
        raise ConfigError(
            f"The 'split.holdout_fraction' parameter must be a number in (0, 1). Got {fraction!r}."
        )
    if strategy == SplitStrategy.TIME and not split.get("time_column"):
        raise ConfigError(
            "The 'split.time_column' parameter is required when split.strategy is 'time'. "
            "Got nothing."
        )
    if strategy == SplitStrategy.GROUP and not split.get("group_column"):
        raise ConfigError(
            "The 'split.group_column' parameter is required when split.strategy is 'group'. "
            "Got nothing."
        )
    if split.get("cutoff") is not None:
        import pandas as pd

        try:
            pd.Timestamp(split["cutoff"])
        except (ValueError, TypeError):
            raise ConfigError(
                "The 'split.cutoff' parameter must be a timestamp such as '2025-06-01'. "
                f"Got {split['cutoff']!r}."
            ) from None


def _check_estimator(
    estimator: Any, allowed: tuple[str, ...], checks: EstimatorChecks | None = None
) -> None:
    if not isinstance(estimator, dict) or "_target_" not in estimator:
        raise ConfigError(
            "The 'estimator' parameter must be a mapping with a '_target_' naming a "
            f"scikit-learn-compatible class. Got {estimator!r}."
        )
    key = checks.key(estimator, allowed) if checks is not None else None
    if checks is not None and checks.passed(key):
        return
    cls = resolve_target(
        estimator["_target_"], "estimator._target_", kind="estimator", allowed=allowed
    )
    build_estimator(cls, estimator)
    if checks is not None:
        checks.add(key)


def build_estimator(cls: Any, estimator: dict[str, Any]) -> Any:
    """Instantiate the estimator (construction only) and check its params by the library's
    own rules, as it would at fit: see :mod:`railyard_batch.config.estimator_params`."""
    params = {k: v for k, v in estimator.items() if k != "_target_"}
    target = estimator["_target_"]
    signature = inspect.signature(cls)
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    if is_xgboost(cls):
        check_xgboost_params(cls, params, target)
    elif not takes_any:
        for name in sorted(params):
            if name not in signature.parameters:
                raise unknown_param_error(name, list(signature.parameters), target)
    try:
        instance = cls(**params)
        if hasattr(instance, "_parameter_constraints"):  # scikit-learn's own param checks
            instance._validate_params()
    except (TypeError, ValueError) as exc:
        raise ConfigError(sklearn_error_line(exc, target)) from None
    if not (hasattr(instance, "fit") and (hasattr(instance, "predict"))):
        raise ConfigError(
            f"The 'estimator._target_' parameter must name a class with fit() and predict(). "
            f"Got {target!r}."
        )
    return instance


def _check_evaluation(evaluation: dict[str, Any], task: str) -> None:
    allowed = METRICS_BY_TASK[task]
    for metric in evaluation["metrics"]:
        if metric not in allowed:
            raise one_of("evaluation.metrics", allowed, metric)
    objective = evaluation.get("objective")
    if objective is not None and objective not in allowed:
        raise one_of("evaluation.objective", allowed, objective)
    threshold = evaluation["threshold"]
    if not isinstance(threshold, int | float) or not 0.0 < float(threshold) < 1.0:
        raise ConfigError(
            f"The 'evaluation.threshold' parameter must be a number in (0, 1). Got {threshold!r}."
        )
    folds = evaluation.get("oof_folds", 0)
    if isinstance(folds, bool) or not isinstance(folds, int) or folds == 1 or not 0 <= folds <= 20:
        raise ConfigError(
            "The 'evaluation.oof_folds' parameter must be 0 (none) or an integer in [2, 20]."
            f" Got {folds!r}."
        )


def parse_quantity(key: str, value: Any) -> float:
    """Parse a Kubernetes resource quantity ("500m", "2Gi"); raise naming the key."""
    text = str(value).strip()
    match = _QUANTITY.match(text)
    if not match or float(match.group("num")) <= 0:
        raise ConfigError(
            f"The '{key}' parameter must be a positive Kubernetes quantity such as "
            f"'500m', '2', '4Gi'. Got {value!r}."
        )
    return float(match.group("num")) * _SUFFIX[match.group("suffix")]


def _check_resources(resources: dict[str, Any]) -> None:
    parse_quantity("resources.cpu", resources["cpu"])
    parse_quantity("resources.memory", resources["memory"])
    gpu = resources["gpu"]
    if not isinstance(gpu, int) or isinstance(gpu, bool) or gpu < 0:
        raise ConfigError(f"The 'resources.gpu' parameter must be an integer >= 0. Got {gpu!r}.")
    path = instance_classes.path_in_use()
    # The classes are the instance-class file's (the Kubernetes launcher's placements); a
    # project without one runs locally only, where the class places nothing.
    if path.exists():
        instance_classes.placement(resources["instance_class"], gpu, instance_classes.load(path))


def _check_fanout(fanout: dict[str, Any]) -> None:
    if fanout["min_rows"] < 1:
        raise ConfigError(
            f"The 'fanout.min_rows' parameter must be >= 1. Got {fanout['min_rows']!r}."
        )
    if fanout.get("max_members") is not None and fanout["max_members"] < 1:
        raise ConfigError(
            f"The 'fanout.max_members' parameter must be >= 1 or null. Got {fanout['max_members']!r}."
        )
    if not fanout.get("by") and not fanout["include_global"]:
        raise ConfigError(
            "The 'fanout.include_global' parameter must be true when fanout.by is null "
            "(there would be nothing to train). Got false."
        )
