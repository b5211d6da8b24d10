"""The work of the railyard launchers, shared by every backend.

Hydra's loop (compose each job with ``load_sweep_config``, number it, ``run_job`` it) is kept,
so any task function and any sweeper (basic, Optuna) work. When the task function is
railyard's own, each job only plans; the plans then run together on the backend and each
``JobReturn`` gets its job's result (the ``evaluation.objective`` mean, or member counts).
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.core.utils import (
    JobReturn,
    JobStatus,
    configure_log,
    filter_overrides,
    run_job,
    setup_globals,
)
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, open_dict

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # the plugin scan imports this module: nothing heavy at run time
    from railyard_batch.execution.backends.base import Backend


class RailyardLauncher(Launcher):
    """What every railyard launcher shares: Hydra's setup and :func:`launch`; a launcher adds
    only its config and :meth:`make_backend`. Abstract, so Hydra's plugin scan skips it."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers
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
        return launch(self, job_overrides, initial_job_idx, self.make_backend)

    def start_workers(self, workers: int, threads: int) -> None:
        """Start the backend's workers before planning, where that saves time (local)."""

    def stop_workers(self) -> None:
        """Stop workers :meth:`start_workers` started that no backend took."""

    @abstractmethod
    def make_backend(self, workers: int) -> Backend:
        """The backend that runs the collected plans (imported here, not at plugin scan)."""


def launch(
    launcher: Any,
    job_overrides: Sequence[Sequence[str]],
    initial_job_idx: int,
    make_backend: Callable[[int], Backend],
) -> list[JobReturn]:
    returns: list[JobReturn] = []
    try:
        return _launch(launcher, job_overrides, initial_job_idx, make_backend, returns)
    finally:
        launcher.stop_workers()  # those start_workers started, if no backend took them
        _scrub_job_files(launcher.config, returns)


def _launch(
    launcher: Any,
    job_overrides: Sequence[Sequence[str]],
    initial_job_idx: int,
    make_backend: Callable[[int], Backend],
    returns: list[JobReturn],
) -> list[JobReturn]:
    """Plan every job (each ``JobReturn`` appended to ``returns`` as it comes), then run the
    plans together on the backend."""
    from railyard_batch.cli import app
    from railyard_batch.errors import RailyardError
    from railyard_batch.execution.backends.local import default_workers, threads_per_worker
    from railyard_batch.recording.url_secrets import redact_override
    from railyard_batch.sweep import chosen_sweep_id

    setup_globals()
    config, context = launcher.config, launcher.hydra_context
    assert config is not None and context is not None and launcher.task_function is not None
    configure_log(config.hydra.hydra_logging, config.hydra.verbose)
    Path(str(config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
    execution = config.get("execution", {})
    workers = (
        launcher.workers
        or int(execution.get("workers", 0))
        or default_workers(threads_per_worker(execution))
    )
    try:
        launcher.sweep_id = launcher.sweep_id or chosen_sweep_id(execution)
    except RailyardError as exc:
        raise app.UserErrorExit(exc) from None
    log.info(f"Planning {len(job_overrides)} jobs of sweep {launcher.sweep_id}")
    if len(job_overrides) > 1 or (config.get("fanout") or {}).get("by"):
        launcher.start_workers(workers, threads_per_worker(execution))  # they import meanwhile

    with app.collecting(launcher.sweep_id, workers) as collector:
        for offset, overrides in enumerate(job_overrides):
            idx = initial_job_idx + offset
            shown = filter_overrides([redact_override(o) for o in overrides])
            log.info(f"\t#{idx} : {' '.join(shown)}")
            sweep_config = context.config_loader.load_sweep_config(config, list(overrides))
            with open_dict(sweep_config):
                sweep_config.hydra.job.id = idx
                sweep_config.hydra.job.num = idx
            returns.append(
                run_job(
                    hydra_context=context,
                    task_function=launcher.task_function,
                    config=sweep_config,
                    job_dir_key="hydra.sweep.dir",
                    job_subdir_key="hydra.sweep.subdir",
                )
            )
            configure_log(config.hydra.hydra_logging, config.hydra.verbose)

    failed = [ret for ret in returns if ret.status is JobStatus.FAILED]
    if failed:  # a job could not even be planned: run nothing, let Hydra report it
        return returns
    if collector.plans:
        experiment = collector.plans[0].typed.experiment
        try:
            summaries = app.run_plans(
                collector.plans,
                make_backend(workers),
                experiment=experiment,
                sweep_overrides=list(config.hydra.overrides.task),
            )
        except RailyardError as exc:  # e.g. no cluster to submit to: one line, exit status 2
            raise app.UserErrorExit(exc) from None
        by_run = {s.run_id: s for s in summaries}
        for ret in returns:
            pending = ret._return_value
            if ret.status is JobStatus.COMPLETED and isinstance(pending, app.PendingRun):
                summary = by_run[pending.plan.run_id]
                ret.return_value = (
                    summary.objective if summary.objective is not None else summary.counts
                )
    return returns


def _scrub_job_files(config: DictConfig | None, returns: list[JobReturn]) -> None:
    """The sweep's ``multirun.yaml`` without URL passwords (each job's own files are scrubbed
    by the task function, :func:`railyard_batch.cli.app.train`)."""
    from railyard_batch.recording.url_secrets import config_values, scrub_files

    if config is None:
        return
    values = config_values([o.partition("=")[2] for o in config.hydra.overrides.task])
    for ret in returns:
        values += config_values(ret.cfg) if ret.cfg is not None else []
    scrub_files([Path(str(config.hydra.sweep.dir)) / "multirun.yaml"], values)
