"""What the Kubernetes launcher is told (``hydra/launcher=kubernetes``), and the instance-class
mapping it reads from config (``conf/kubernetes/instance_classes.yaml``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from railyard_batch.errors import ConfigError

# The CLI's exit status for a RailyardError (a user's mistake): the same every time, no retry.
CONFIG_ERROR_EXIT_CODES = (2,)
# The worker's exit status when it ran its shard and recorded some members as failed: their
# outcomes are written, so a retry would only repeat them.
MEMBERS_FAILED_EXIT_CODE = 3
NO_RETRY_EXIT_CODES = (*CONFIG_ERROR_EXIT_CODES, MEMBERS_FAILED_EXIT_CODE)
_CLASS_KEYS = {"nodeSelector", "tolerations", "affinity"}


@dataclass(frozen=True)
class KubernetesSettings:
    """One field per ``hydra.launcher`` key; see ``KubernetesLauncherConf`` for their meaning."""

    image: str = "ghcr.io/railyard-dev/railyard-batch:0.1.0"
    image_pull_policy: str = "IfNotPresent"
    namespace: str | None = None
    context: str | None = None
    kubeconfig: str | None = None
    templates: str | None = None
    instance_classes: str | None = None
    service_account: str | None = None
    parallelism: int = 0
    backoff_limit_per_index: int = 2
    max_failed_indexes: int | None = None
    active_deadline_seconds: int = 86_400
    ttl_seconds_after_finished: int = 86_400
    scratch_size: str = "10Gi"
    queue: str | None = None
    pod_labels: dict[str, str] = field(default_factory=dict)
    pod_annotations: dict[str, str] = field(default_factory=dict)
    configmap_max_bytes: int = 1_000_000
    dry_run: bool = False
    dry_run_output: str | None = None
    wait: bool = True
    progress: bool = True
    image_pull_timeout_seconds: int = 600
    poll_seconds: float = 2.0
    schedule: str | None = None
    time_zone: str = "Etc/UTC"
    store_volume_claim: str | None = None
    store_mount_path: str = "/var/lib/railyard"

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> KubernetesSettings:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(
                f"The 'hydra.launcher' keys must be among {sorted(known)}. Got {unknown}."
            )
        values = dict(raw)
        for key in ("pod_labels", "pod_annotations"):
            values[key] = {str(k): str(v) for k, v in (values.get(key) or {}).items()}
        settings = cls(**values)
        if settings.schedule is not None:  # checked before anything is planned or recorded
            from railyard_batch.kubernetes._schedule import check_schedule

            check_schedule(settings)
        return settings


def instance_classes_path(settings: KubernetesSettings) -> Path:
    if settings.instance_classes:
        return Path(settings.instance_classes)
    return (
        Path(os.environ.get("RAILYARD_CONF_DIR", "conf")) / "kubernetes" / "instance_classes.yaml"
    )


def load_instance_classes(settings: KubernetesSettings) -> dict[str, dict[str, Any]]:
    """``{class: {nodeSelector, tolerations, affinity}}`` from the instance-class file."""
    path = instance_classes_path(settings)
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise ConfigError(
            f"The 'hydra.launcher.instance_classes' file must exist. Got {str(path)!r}: {exc}"
        ) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"The instance-class file {path} must hold a mapping. Got {raw!r}.")
    classes: dict[str, dict[str, Any]] = {}
    for name, entry in raw.items():
        entry = entry or {}
        if not isinstance(entry, dict) or set(entry) - _CLASS_KEYS:
            raise ConfigError(
                f"Instance class {name!r} in {path} may only set {sorted(_CLASS_KEYS)}. "
                f"Got {entry!r}."
            )
        classes[str(name)] = entry
    return classes
