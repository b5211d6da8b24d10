"""``hydra/launcher=kubernetes``: every Hydra job's members run as one Indexed Job on a cluster,
with the same worker the local launcher runs.

    railyard-batch +experiment=fraud_v3 -m hydra/launcher=kubernetes
    railyard-batch +experiment=fraud_v3 -m hydra/launcher=kubernetes hydra.launcher.dry_run=true
"""

from typing import TYPE_CHECKING, Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from hydra_plugins.railyard_launcher._core import RailyardLauncher
from railyard_batch.execution.kubernetes._settings import launcher_conf

# Every key but _target_ and workers is a field of KubernetesSettings, where each is described.
KubernetesLauncherConf = launcher_conf(
    "hydra_plugins.railyard_launcher.kubernetes_launcher.RailyardKubernetesLauncher"
)

ConfigStore.instance().store(
    group="hydra/launcher",
    name="kubernetes",
    node=KubernetesLauncherConf,
    provider="railyard-batch",
)

if TYPE_CHECKING:  # the plugin scan imports this module: nothing heavy at run time
    from railyard_batch.execution.backends.base import Backend


class RailyardKubernetesLauncher(RailyardLauncher):
    def __init__(self, workers: int = 0, **settings: Any) -> None:
        super().__init__(workers)
        self.settings = {
            k: OmegaConf.to_container(v) if isinstance(v, DictConfig) else v
            for k, v in settings.items()
        }

    def make_backend(self, workers: int) -> "Backend":
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
