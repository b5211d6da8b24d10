"""What the Kubernetes launcher is told (``hydra/launcher=kubernetes``), and the instance-class
mapping it reads from config (``conf/kubernetes/instance_classes.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from railyard_batch.config.instance_classes import default_path, load
from railyard_batch.errors import ConfigError
from railyard_batch.execution.kubernetes._cron import check_schedule

# The CLI's exit status for a RailyardError (a user's mistake): the same every time, no retry.
CONFIG_ERROR_EXIT_CODES = (2,)
# The worker's exit status when it ran its shard and recorded some members as failed: their
# outcomes are written, so a retry would only repeat them.
MEMBERS_FAILED_EXIT_CODE = 3
NO_RETRY_EXIT_CODES = (*CONFIG_ERROR_EXIT_CODES, MEMBERS_FAILED_EXIT_CODE)


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
            check_schedule(settings.schedule, settings.time_zone)
        return settings


def load_instance_classes(settings: KubernetesSettings) -> dict[str, dict[str, Any]]:
    """The classes of the launcher's instance-class file (``instance_classes``, default the
    project's): :func:`railyard_batch.config.instance_classes.load`."""
    path = Path(settings.instance_classes) if settings.instance_classes else default_path()
    return load(path)
