"""The Hydra task function of ``railyard-batch``: one call per Hydra job.

Run alone (no ``-m``), a job plans and executes its members at once on the local backend.
Under a railyard launcher (``-m``), a job only plans: the launcher collects every job's plan,
and one backend executes all their shards together, so thousands of per-user members cost one
pool, not thousands of Hydra jobs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from railyard_batch.errors import RailyardError
from railyard_batch.execution.backends.base import Backend
from railyard_batch.execution.backends.local import (
    LocalBackend,
    default_workers,
    early_import_checks,
    start_early,
    stop_early,
    threads_per_worker,
)
from railyard_batch.output.report import print_sweep_summary
from railyard_batch.planning.plan import RunPlan
from railyard_batch.sweep import RunSummary, chosen_sweep_id, execute_sweep, plan_run


@dataclass
class PendingRun:
    """What a job returns under a railyard launcher: its plan, executed later."""

    plan: RunPlan


@dataclass
class Collector:
    """Gathers the plans of the jobs a launcher composes."""

    sweep_id: str
    workers: int
    plans: list[RunPlan] = field(default_factory=list)


_collector: Collector | None = None
# Set after a sweep ran: the CLI exits non-zero when a member failed.
last_summaries: list[RunSummary] = []


@contextmanager
def collecting(sweep_id: str, workers: int) -> Iterator[Collector]:
    global _collector
    _collector = Collector(sweep_id=sweep_id, workers=workers)
    try:
        yield _collector
    finally:
        _collector = None


class UserErrorExit(SystemExit):
    """Carries a user mistake (a :class:`RailyardError`) past Hydra's job runner to the CLI,
    which prints it on one line: Hydra would print a traceback for an ordinary exception."""

    def __init__(self, error: RailyardError) -> None:
        super().__init__(2)
        self.error = error


def train(cfg: DictConfig) -> Any:
    """The task function: plan this job (and run it, when no railyard launcher is active)."""
    _scrub_job_files(cfg)
    try:
        return _train(cfg)
    except RailyardError as exc:
        raise UserErrorExit(exc) from None


def _scrub_job_files(cfg: DictConfig) -> None:
    """Hydra has written this job's config and overrides (``.hydra/*.yaml``) as typed: a URL
    password there (``store.url``) becomes ``***``, as in every log line and record."""
    if not HydraConfig.initialized():
        return
    from pathlib import Path

    from railyard_batch.recording.url_secrets import config_values, scrub_files

    hydra = HydraConfig.get()
    if not hydra.output_subdir:
        return
    values = config_values(cfg) + config_values([o.partition("=")[2] for o in hydra.overrides.task])
    files = sorted((Path(hydra.runtime.output_dir) / hydra.output_subdir).glob("*.yaml"))
    scrub_files(files, values)


def _check_composition(cfg: DictConfig) -> None:
    """``composition=NAME``: the composition is checked before anything trains, and its name
    (the file's) kept in the config for when the sweep ends."""
    if cfg.get("composition") is None:
        return
    from omegaconf import OmegaConf, open_dict

    from railyard_batch.compositions.spec import parse
    from railyard_batch.errors import ConfigError

    choices = HydraConfig.get().runtime.choices if HydraConfig.initialized() else {}
    doc = OmegaConf.to_container(cfg.composition, resolve=True)
    if not isinstance(doc, dict):
        raise ConfigError(
            f"'composition' must name a file of conf/composition/ (composition=NAME); got {doc!r}."
        )
    name = str(doc.get("name") or choices.get("composition") or "composition")
    parse(name, {str(k): v for k, v in doc.items()})
    if not cfg.fanout.by or not cfg.fanout.include_global:
        raise ConfigError(
            f"composition={name} routes rows by fan-out value to their own member or the global"
            " model: it needs fanout.by and fanout.include_global=true; got fanout.by="
            f"{cfg.fanout.by}, fanout.include_global={cfg.fanout.include_global}."
        )
    with open_dict(cfg):
        cfg.composition.name = name


def _compose(plan: RunPlan) -> None:
    """composition=NAME: compose the sweep's members as ``railyard-batch compose`` does."""
    from railyard_batch.compositions.command import compose_sweep, summary_line
    from railyard_batch.compositions.spec import parse

    raw = dict(plan.typed.composition)
    spec = parse(str(raw["name"]), raw)
    bundle = plan.typed.export.bundle
    for result in compose_sweep(plan.store_url, plan.sweep_id, spec, bundle=bundle):
        print(summary_line(result))


def _train(cfg: DictConfig) -> Any:
    _check_composition(cfg)
    overrides = list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []
    job_num = HydraConfig.get().job.num if HydraConfig.initialized() and _collector else 0
    if _collector is not None:
        plan = plan_run(
            cfg,
            sweep_id=_collector.sweep_id,
            job_num=job_num,
            overrides=overrides,
            workers=_collector.workers,
            import_checks=early_import_checks(),
        )
        _collector.plans.append(plan)
        return PendingRun(plan)
    threads = threads_per_worker(cfg.execution)
    workers = int(cfg.execution.workers) or default_workers(threads)
    try:
        if cfg.fanout.by:  # members to share out: the workers start while this plans
            start_early(workers, threads)
        plan = plan_run(
            cfg,
            sweep_id=chosen_sweep_id(cfg.execution),
            job_num=0,
            overrides=overrides,
            workers=workers,
            import_checks=early_import_checks(),
        )
        backend = LocalBackend(
            workers, progress=bool(cfg.execution.progress), threads_per_worker=threads
        )
        summaries = run_plans(
            [plan], backend, experiment=str(cfg.experiment), sweep_overrides=overrides
        )
    finally:
        stop_early()
    return summaries[0].objective if summaries[0].objective is not None else summaries[0].counts


def run_plans(
    plans: list[RunPlan], backend: Backend, *, experiment: str, sweep_overrides: list[str]
) -> list[RunSummary]:
    global last_summaries
    summaries = execute_sweep(
        plans, backend, experiment=experiment, sweep_overrides=sweep_overrides
    )
    last_summaries = summaries
    print_sweep_summary(plans, summaries)
    if plans and plans[0].typed.composition:
        _compose(plans[0])  # before registering: the composition registers too
    if plans and plans[0].typed.registry.register:
        _register_sweep(plans[0])
    return summaries


def _register_sweep(plan: RunPlan) -> None:
    """registry.register=true: every succeeded, exportable member, in one transaction."""
    from railyard_batch.registry.commands import default_actor
    from railyard_batch.registry.registration import register_target

    done = register_target(plan.store_url, plan.artifact_root, plan.sweep_id, default_actor())
    new = sum(r.new for r in done)
    models = len({r.model_name for r in done})
    print(f"registry: {new} new version(s) of {models} model(s), {len(done) - new} already there")
