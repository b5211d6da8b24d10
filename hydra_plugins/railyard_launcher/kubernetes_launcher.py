"""``hydra/launcher=kubernetes``: every Hydra job's members run as one Indexed Job on a cluster,
with the same worker the local launcher runs.

    railyard-batch +experiment=fraud_v3 -m hydra/launcher=kubernetes
    railyard-batch +experiment=fraud_v3 -m hydra/launcher=kubernetes hydra.launcher.dry_run=true
"""

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from hydra_plugins.railyard_launcher._core import RailyardLauncher


@dataclass
class KubernetesLauncherConf:
    _target_: str = "hydra_plugins.railyard_launcher.kubernetes_launcher.RailyardKubernetesLauncher"
    # Shards per run are workers x execution.shards_per_worker; 0 takes execution.workers.
    workers: int = 0
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
    active_deadline_seconds: int = 86400
    # Finished Jobs (and their ConfigMaps) are deleted after this many seconds.
    ttl_seconds_after_finished: int = 86400
    # Size of the scratch emptyDir mounted at /tmp (the root filesystem is read-only).
    scratch_size: str = "10Gi"
    # Kueue LocalQueue to submit to (label kueue.x-k8s.io/queue-name); null: none.
    queue: str | None = None
    # Extra labels and annotations on every pod.
    pod_labels: dict[str, str] = field(default_factory=dict)
    pod_annotations: dict[str, str] = field(default_factory=dict)
    # A plan larger than this goes by pointer to the artifact store instead of in its ConfigMap.
    configmap_max_bytes: int = 1000000
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


ConfigStore.instance().store(
    group="hydra/launcher",
    name="kubernetes",
    node=KubernetesLauncherConf,
    provider="railyard-batch",
)


class RailyardKubernetesLauncher(RailyardLauncher):
    def __init__(self, workers: int = 0, **settings: Any) -> None:
        super().__init__(workers)
        self.settings = {
            k: OmegaConf.to_container(v) if isinstance(v, DictConfig) else v
            for k, v in settings.items()
        }

    def make_backend(self, workers: int) -> Any:
        from railyard_batch.cli.app import UserErrorExit
        from railyard_batch.errors import RailyardError
        from railyard_batch.execution.kubernetes import KubernetesBackend, KubernetesSettings

        # The command line, for a scheduled re-run (hydra.launcher.schedule) to repeat.
        overrides = None
        if self.config is not None:
            hydra_overrides = self.config.hydra.overrides
            overrides = [str(o) for o in (*hydra_overrides.task, *hydra_overrides.hydra)]
        try:
            settings = KubernetesSettings.from_mapping(self.settings)
            if settings.schedule is not None and self.config is not None:
                from railyard_batch.execution.kubernetes._schedule import check_store

                store = self.config.store
                check_store(str(store.url), str(store.artifact_root), settings)
        except RailyardError as exc:  # before anything is recorded: one line, exit status 2
            raise UserErrorExit(exc) from None
        return KubernetesBackend(settings, overrides=overrides)
