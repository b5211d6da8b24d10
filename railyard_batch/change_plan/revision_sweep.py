"""The sweep a command line composes at one revision, as members with their content keys.

Composition uses the revision's own ``conf/`` (Hydra's compose API, the sweep expanded as
Hydra's basic sweeper does: ``hydra.sweeper.params`` first, then the command line), its own
``pipelines/`` (the digest in the code version, and the module validation imports), and its
own ``dvc.lock`` (the dataset md5). Fan-out values come from :mod:`railyard_batch.planning.fanout_index`;
nothing trains and nothing is recorded.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from railyard_batch.config.estimator_checks import EstimatorChecks
from railyard_batch.config.validate import validate_config
from railyard_batch.errors import ConfigError, DataError, RailyardError
from railyard_batch.planning.data import dataset_identity, dvc_md5
from railyard_batch.planning.fanout_index import fanout_counts_for
from railyard_batch.planning.member_keys import GLOBAL_KEY, value_token
from railyard_batch.planning.plan import content_keys, members_from_counts
from railyard_batch.planning.provenance import pipelines_digest


@dataclass(frozen=True)
class Side:
    """Where one side of a plan reads its project files."""

    # What the user named: 'working tree', or the revision as given.
    label: str
    # The commit (None for the working tree).
    commit: str | None
    # A directory holding conf/, pipelines/, dvc.lock.
    root: Path
    package_version: str


@dataclass
class PlannedMember:
    key: str
    value: Any
    n_rows: int
    content_key: str


@dataclass
class JobPlan:
    """One Hydra job of the sweep: its swept overrides name it on both sides."""

    job: str
    config: dict[str, Any]
    estimator: str
    data_md5: str
    members: list[PlannedMember]
    # Rows per fan-out value (every value in the data, below min_rows too); None: data unknown.
    counts: dict[str, tuple[Any, int]] | None


@dataclass
class RevisionPlan:
    side: Side
    jobs: dict[str, JobPlan] = field(default_factory=dict)
    pipelines_digest: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        return f"{self.side.package_version}+{self.pipelines_digest}"


@contextmanager
def _user_code(root: Path) -> Iterator[None]:
    """Import ``pipelines`` (validation checks targets) from ``root``, not from elsewhere."""

    def forget() -> None:
        for name in [n for n in sys.modules if n == "pipelines" or n.startswith("pipelines.")]:
            del sys.modules[name]

    forget()
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        sys.path.remove(str(root))
        forget()


def compose_jobs(conf_dir: Path, args: list[str], where: str) -> list[tuple[str, Any]]:
    """``(job name, composed config)`` for every job of the sweep ``args`` describe."""
    from hydra import compose, initialize_config_dir
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    from railyard_batch.config import register_configs

    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(conf_dir.absolute()), version_base="1.3"):
            parser = OverridesParser.create()
            given = parser.parse_overrides(args)
            fixed = [str(o.input_line) for o in given if not o.is_sweep_override()]
            base = compose("config", overrides=fixed, return_hydra_config=True)
            params = OmegaConf.select(base, "hydra.sweeper.params") or {}
            combined = {str(k): f"{k}={v}" for k, v in params.items()}
            for o in given:
                combined[o.get_key_element()] = str(o.input_line)
            parsed = parser.parse_overrides(list(combined.values()))
            swept = {o.get_key_element() for o in parsed if o.is_sweep_override()}
            jobs = []
            for batch in BasicSweeper.split_arguments(parsed, None):
                for overrides in batch:
                    name = " ".join(o for o in overrides if o.split("=", 1)[0] in swept)
                    jobs.append((name, compose("config", overrides=list(overrides))))
            return jobs
    except RailyardError:
        raise
    except Exception as exc:  # Hydra's composition errors: one line, naming the side
        text = " ".join(str(exc).split())
        raise ConfigError(
            f"The config does not compose at {where}: {type(exc).__name__}: {text}"
        ) from None
    finally:
        GlobalHydra.instance().clear()


def plan_revision(
    side: Side, args: list[str], project_root: Path, checks: EstimatorChecks | None = None
) -> RevisionPlan:
    """Every job and member the command line ``args`` gives at ``side`` (estimator checks
    that ``checks`` records as passed are not run again)."""
    where = side.label if side.commit is None else f"{side.label} ({side.commit[:12]})"
    plan = RevisionPlan(side=side, pipelines_digest=pipelines_digest(side.root / "pipelines"))
    noted: set[str] = set()
    with _user_code(side.root):
        jobs = compose_jobs(side.root / "conf", args, where)
        for name, cfg in jobs:
            try:
                vc = validate_config(cfg, checks)
            except RailyardError as exc:
                raise type(exc)(f"at {where}: {exc}") from None
            raw = vc.raw
            path, fmt = str(raw["data"]["path"]), str(raw["data"]["format"])
            md5 = _data_md5(side, path, project_root, where)
            by = raw["fanout"].get("by")
            found = fanout_counts_for(project_root, path, fmt, md5, str(by) if by else None)
            if found is None:
                if md5 not in noted:
                    noted.add(md5)
                    plan.notes.append(
                        f"the data at {where} ({path}, md5 {md5}) is not available locally "
                        f"(not in the DVC cache): its fan-out members are not known; fetch it "
                        f"with `dvc fetch` at that revision to plan them"
                    )
                counts: list[tuple[Any, int]] = []
                total = 0
            else:
                counts, total = found.counts, found.rows
            try:
                members, _ = members_from_counts(counts, total, raw)
            except RailyardError as exc:
                raise type(exc)(f"at {where}: {exc}") from None
            keys = content_keys(raw, md5, [value for _, value, _ in members], plan.code)
            plan.jobs[name] = JobPlan(
                job=name,
                config=raw,
                estimator=str(raw["estimator"]["_target_"]),
                data_md5=md5,
                members=[
                    PlannedMember(key=k, value=v, n_rows=n, content_key=c)
                    for (k, v, n), c in zip(members, keys, strict=True)
                ],
                counts=None if found is None else {member_token(v): (v, n) for v, n in counts},
            )
    return plan


def member_token(value: Any) -> str:
    """What identifies a member across revisions: its fan-out value with its type."""
    return GLOBAL_KEY if value is None else value_token(value)


def _data_md5(side: Side, path: str, project_root: Path, where: str) -> str:
    """The md5 the side records for ``data.path``: the working tree's verified identity, or a
    revision's dvc.lock (or ``.dvc`` file)."""
    if side.commit is None:
        return dataset_identity(str(project_root / path), project_root).md5
    tracked = dvc_md5(side.root / path, side.root)
    if tracked is None:
        raise DataError(
            f"The 'data.path' file {path!r} is not tracked by DVC at {where} (no dvc.lock "
            "output or .dvc file names it): its content there is unknown."
        )
    return tracked[0]
