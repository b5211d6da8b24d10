"""What the Kubernetes launcher is told (``hydra/launcher=kubernetes``), and the instance-class
mapping it reads from config (``conf/kubernetes/instance_classes.yaml``)."""

from __future__ import annotations

import dataclasses
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
    """One field per ``hydra.launcher`` key (``hydra/launcher=kubernetes``), defined here
    once: the launcher's Hydra config is made from these fields (:func:`launcher_conf`)."""

    # Worker image (see the Dockerfile); the same package and pipelines/ as here.
    image: str = "ghcr.io/railyard-dev/railyard-batch:0.1.0"
    # Always, IfNotPresent or Never.
    image_pull_policy: str = "IfNotPresent"
    # Namespace; null takes the kubeconfig context's namespace, else "default".
    namespace: str | None = None
    # Kubeconfig context; null takes the current context.
    context: str | None = None
    # Kubeconfig file; null takes $KUBECONFIG, ~/.kube/config, or the in-cluster account.
    kubeconfig: str | None = None
    # Directory of your own job.yaml and configmap.yaml; null takes k8s_templates/.
    templates: str | None = None
    # Instance-class file; null takes conf/kubernetes/instance_classes.yaml.
    instance_classes: str | None = None
    # ServiceAccount of the pods; null takes the namespace's default.
    service_account: str | None = None
    # Pods of one Job running at once; 0 runs every shard at once.
    parallelism: int = 0
    # Retries of one shard (137, node loss, ...); config errors are never retried.
    backoff_limit_per_index: int = 2
    # Stop a Job once this many shards failed; null lets every shard run.
    max_failed_indexes: int | None = None
    # Wall-clock limit of one Job, in seconds.
    active_deadline_seconds: int = 86_400
    # Finished Jobs (and their ConfigMaps) are deleted after this many seconds.
    ttl_seconds_after_finished: int = 86_400
    # Size of the scratch emptyDir mounted at /tmp (the root filesystem is read-only).
    scratch_size: str = "10Gi"
    # Kueue LocalQueue to submit to (label kueue.x-k8s.io/queue-name); null: none.
    queue: str | None = None
    # Extra labels and annotations on every pod.
    pod_labels: dict[str, str] = field(default_factory=dict)
    pod_annotations: dict[str, str] = field(default_factory=dict)
    # A plan larger than this goes by pointer to the artifact store instead of in its ConfigMap.
    configmap_max_bytes: int = 1_000_000
    # Print every object as YAML instead of submitting (no cluster needed).
    dry_run: bool = False
    # Where the dry run writes its YAML; null: standard output (mixed with the sweep summary).
    dry_run_output: str | None = None
    # Wait for the Jobs and fill the run store; false: submit and return at once.
    wait: bool = True
    # While waiting, show members done / failed / total and what pods wait for (stderr).
    progress: bool = True
    # A Job whose pods cannot pull their image for this long is deleted, its members failed.
    image_pull_timeout_seconds: int = 600
    # While waiting, at most one pass over the watched Jobs and pods (run store updates) per
    # this many seconds.
    poll_seconds: float = 2.0
    # Re-run this sweep on a schedule instead of now: a CronJob (cron expression of 5 fields,
    # or @hourly, @daily, @weekly, @monthly, @yearly); null: submit now.
    schedule: str | None = None
    # IANA time zone of the schedule.
    time_zone: str = "Etc/UTC"
    # PersistentVolumeClaim holding the scheduled runs' store (store.url); null: none.
    store_volume_claim: str | None = None
    # Where that claim is mounted in the scheduled pod; its store is <path>/railyard.db.
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


def launcher_conf(target: str) -> type:
    """The launcher's Hydra config: ``_target_`` (``target``), ``workers`` (shards per run are
    workers x execution.shards_per_worker; 0 takes execution.workers) and every field of
    :class:`KubernetesSettings`, with its type and default (OmegaConf checks the types when
    the config is composed and overridden)."""

    def copied(f: dataclasses.Field[Any]) -> Any:
        if f.default_factory is not dataclasses.MISSING:
            return dataclasses.field(default_factory=f.default_factory)
        return dataclasses.field(default=f.default)

    return dataclasses.make_dataclass(
        "KubernetesLauncherConf",
        [
            ("_target_", str, dataclasses.field(default=target)),
            ("workers", int, dataclasses.field(default=0)),
            *((f.name, f.type, copied(f)) for f in dataclasses.fields(KubernetesSettings)),
        ],
    )


def load_instance_classes(settings: KubernetesSettings) -> dict[str, dict[str, Any]]:
    """The classes of the launcher's instance-class file (``instance_classes``, default the
    project's): :func:`railyard_batch.config.instance_classes.load`."""
    path = Path(settings.instance_classes) if settings.instance_classes else default_path()
    return load(path)
