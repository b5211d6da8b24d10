"""``hydra/launcher=local``: every Hydra job's members run in one local pool of processes."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


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


class RailyardLocalLauncher(Launcher):
    def __init__(self, workers: int = 0, progress: bool = True) -> None:
        self.workers = workers
        self.progress = progress
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None
        self.sweep_id: str | None = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        from hydra_plugins.railyard_launcher import _core

        def backend(workers: int) -> Any:
            from railyard_batch.backends.local import LocalBackend

            return LocalBackend(workers, progress=self.progress)

        return _core.launch(self, job_overrides, initial_job_idx, backend)
