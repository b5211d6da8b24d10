"""``hydra/launcher=local``: every Hydra job's members run in one local pool of processes."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hydra.core.config_store import ConfigStore

from hydra_plugins.railyard_launcher._core import RailyardLauncher

if TYPE_CHECKING:  # the plugin scan imports this module: nothing heavy at run time
    from railyard_batch.execution.backends.base import Backend


@dataclass
class LocalLauncherConf:
    _target_: str = "hydra_plugins.railyard_launcher.local_launcher.RailyardLocalLauncher"
    # Worker processes; 0 takes execution.workers from the job config, else one per core.
    workers: int = 0
    # Show a progress bar of members done / failed / total.
    progress: bool = True


ConfigStore.instance().store(
    group="hydra/launcher", name="local", node=LocalLauncherConf, provider="railyard-batch"
)


class RailyardLocalLauncher(RailyardLauncher):
    def __init__(self, workers: int = 0, progress: bool = True) -> None:
        super().__init__(workers)
        self.progress = progress

    def start_workers(self, workers: int, threads: int) -> None:
        from railyard_batch.execution.backends.local import start_early

        start_early(workers, threads)

    def stop_workers(self) -> None:
        from railyard_batch.execution.backends.local import stop_early

        stop_early()

    def make_backend(self, workers: int) -> "Backend":
        from railyard_batch.execution.backends.local import LocalBackend

        return LocalBackend(workers, progress=self.progress)
