"""Registering members: each exported bundle becomes a version of its registered model.

A version is the bundle's content hash (from its ``manifest.json``), so registering the same
bundle twice is one version. A sweep's succeeded, exportable members are registered in one
transaction; the run store is only read, through :class:`RunStore`'s public methods.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, tuple_

from railyard_batch.compositions.ids import is_composition
from railyard_batch.recording.records import CompositionRecord, MemberRecord, RunRecord, SweepRecord
from railyard_batch.recording.store import RunStore, now, open_store
from railyard_batch.registry import tables as t
from railyard_batch.registry.changes import HEX
from railyard_batch.registry.errors import NotRegistrableError
from railyard_batch.registry.names import check_name, model_name

REGISTRABLE_STATES = ("succeeded", "cached")


@dataclass(frozen=True)
class Candidate:
    """One member's bundle, ready to become a version, and where it came from."""

    model_name: str
    version: str
    bundle_hash: str
    bundle_uri: str
    sweep_id: str
    run_id: str
    member_id: str
    estimator: str
    metrics: dict[str, Any]
    data_md5: str | None
    git_commit: str | None
    package_versions: dict[str, Any]
    parity_passed: bool
    exportable: bool
    gate_reason: str | None


@dataclass(frozen=True)
class Registered:
    model_name: str
    version: str
    member_id: str
    new: bool


def artifact_base(root: str) -> Path:
    if "://" in root and not root.startswith("file://"):
        raise NotRegistrableError(
            f"The registry needs a local artifact root for its pointer documents. Got {root!r}."
        )
    return Path(root.removeprefix("file://")).absolute()


def candidate(member: MemberRecord, run: RunRecord, sweep: SweepRecord, root: Path) -> Candidate:
    export = member.export or {}
    mid = member.id
    if member.state not in REGISTRABLE_STATES:
        raise NotRegistrableError(
            f"Member {mid!r} is {member.state}; only a succeeded member can be registered."
        )
    config = run.config or {}
    estimator = str(run.estimator or "").rsplit(".", 1)[-1]
    fields: dict[str, Any] = {  # ("by" is None without a fan-out)
        "experiment": str(sweep.experiment),
        "by": (config.get("fanout") or {}).get("by"),
        "key": member.member_key,
        "estimator": estimator,
        "run": run.id,
    }
    return _from_export(
        export,
        f"member {mid!r}",
        "it was not trained with export.bundle=true",
        name=lambda: model_name(config.get("registry"), fields),
        member_id=mid,
        estimator=str(run.estimator or ""),
        metrics=member.metrics or {},
        run=run,
        sweep=sweep,
        root=root,
    )


def _from_export(
    export: dict[str, Any],
    what: str,
    without: str,
    *,
    name: Callable[[], str],
    member_id: str,
    estimator: str,
    metrics: dict[str, Any],
    run: RunRecord,
    sweep: SweepRecord,
    root: Path,
) -> Candidate:
    """The version a recorded export makes (a member's or a composition's bundle, its gate)
    and where it came from; ``without``: why there is no bundle when none was recorded.
    ``name`` is asked for once the bundle checks out (a bad name template comes second)."""
    bundle = export.get("bundle_path")
    if not bundle:
        why = export.get("reason") or without
        raise NotRegistrableError(f"{what[0].upper()}{what[1:]} has no bundle to register: {why}.")
    bundle_hash, version, relative = _bundle(bundle, export.get("content_hash"), what, root)
    parity = export.get("jvm_parity") or {}
    return Candidate(
        model_name=name(),
        version=version,
        bundle_hash=bundle_hash,
        bundle_uri=relative.as_posix(),
        sweep_id=sweep.id,
        run_id=run.id,
        member_id=member_id,
        estimator=estimator,
        metrics=metrics,
        data_md5=run.data_md5,
        git_commit=sweep.git_commit,
        package_versions=sweep.package_versions or {},
        parity_passed=bool(parity.get("passed")),
        exportable=bool(export.get("exportable")),
        gate_reason=export.get("reason"),
    )


def _bundle(bundle: str, recorded: Any, what: str, root: Path) -> tuple[str, str, Path]:
    """The bundle's content hash, the version it makes and its path under ``root``; refused
    when the bundle changed since it was recorded or lies outside the artifact root."""
    manifest_path = Path(bundle) / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotRegistrableError(
            f"Cannot read the bundle manifest {manifest_path}: {exc}."
        ) from None
    bundle_hash = str(manifest.get("content_hash"))
    version = bundle_hash.rpartition(":")[2]
    if bundle_hash != recorded or not HEX.fullmatch(version):
        raise NotRegistrableError(
            f"The bundle {bundle} of {what} has content hash {bundle_hash!r}, but it was"
            f" recorded as {recorded!r}: the bundle changed after export."
        )
    try:
        relative = Path(bundle).absolute().relative_to(root)
    except ValueError:
        raise NotRegistrableError(
            f"The bundle {bundle} of {what} is not under the artifact root {root}"
            " (--artifact-root, $RAILYARD_ARTIFACT_ROOT)."
        ) from None
    return bundle_hash, version, relative


def composition_candidate(
    row: CompositionRecord, run: RunRecord, sweep: SweepRecord, root: Path
) -> Candidate:
    """A composition recorded by ``railyard-batch compose --bundle``: a version of
    ``<experiment>/<composition name>`` (e.g. ``fraud_v3/routed``)."""
    cid = row.id
    export = row.export or {}
    if row.state != "succeeded":
        raise NotRegistrableError(f"Composition {cid!r} is {row.state}; it cannot be registered.")
    return _from_export(
        export,
        f"composition {cid!r}",
        "it was composed without --bundle",
        name=lambda: check_name(f"{sweep.experiment}/{row.name}"),
        member_id=f"{cid}@{row.content_key[:12]}",  # this evaluation's result
        estimator=f"{row.kind} composition over {run.estimator or '-'}",
        metrics=row.metrics or {},
        run=run,
        sweep=sweep,
        root=root,
    )


def member_candidates(store: RunStore, target: str, root: Path) -> list[Candidate]:
    """A composition id (``<run>/composition.<name>``) or a member id (contains '/'): that
    one, whatever its gate said; a sweep id: its succeeded members and compositions whose
    bundle is exportable."""
    if is_composition(target):
        row = store.composition(target)
        run = store.run(row.run_id)
        return [composition_candidate(row, run, store.sweep(run.sweep_id), root)]
    if "/" in target:
        member = store.member(target)
        run = store.run(member.run_id)
        return [candidate(member, run, store.sweep(run.sweep_id), root)]
    sweep = store.sweep(target)
    runs = {r.id: r for r in store.runs(target)}
    return [
        candidate(m, runs[m.run_id], sweep, root)
        for m in store.members(sweep_id=target)
        if m.state in REGISTRABLE_STATES and (m.export or {}).get("exportable")
    ] + [
        composition_candidate(c, runs[c.run_id], sweep, root)
        for c in store.compositions(sweep_id=target)
        if c.state == "succeeded" and (c.export or {}).get("exportable")
    ]


def register(engine: Engine, candidates: Sequence[Candidate], actor: str) -> list[Registered]:
    """Insert the models and versions that are new, with a ``registered`` event each, in one
    transaction. A version already registered (same name, same content hash) is kept."""
    stamp = now()
    out: list[Registered] = []
    with engine.begin() as c:
        names = sorted({x.model_name for x in candidates})
        have_models: set[str] = set()
        have_versions: set[tuple[str, str]] = set()
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            have_models |= set(c.scalars(select(t.models.c.name).where(t.models.c.name.in_(chunk))))
        keys = sorted({(x.model_name, x.version) for x in candidates})
        for start in range(0, len(keys), 300):
            chunk_keys = keys[start : start + 300]
            rows = c.execute(
                select(t.versions.c.model_name, t.versions.c.version).where(
                    tuple_(t.versions.c.model_name, t.versions.c.version).in_(chunk_keys)
                )
            )
            have_versions |= {(r[0], r[1]) for r in rows}
        new_models = [{"name": n, "created_at": stamp} for n in names if n not in have_models]
        if new_models:
            c.execute(insert(t.models), new_models)
        new_versions: list[dict[str, Any]] = []
        for x in candidates:
            fresh = (x.model_name, x.version) not in have_versions
            out.append(Registered(x.model_name, x.version, x.member_id, fresh))
            if not fresh:
                continue
            have_versions.add((x.model_name, x.version))
            row = dict(vars(x))  # shallow: asdict deep-copies every metric
            row["metrics"] = json.dumps(row["metrics"])
            row["package_versions"] = json.dumps(row["package_versions"])
            new_versions.append({**row, "registered_at": stamp})
        if new_versions:
            c.execute(insert(t.versions), new_versions)
            c.execute(
                insert(t.events),
                [
                    {
                        "model_name": v["model_name"],
                        "kind": "registered",
                        "to_version": v["version"],
                        "actor": actor,
                        "at": stamp,
                        "evidence": v["member_id"],
                        "forced": False,
                    }
                    for v in new_versions
                ],
            )
    return out


def register_target(
    store_url: str, artifact_root: str, target: str, actor: str
) -> list[Registered]:
    from railyard_batch.registry.db import engine_for

    root = artifact_base(artifact_root)
    with open_store(store_url) as store:
        candidates = member_candidates(store, target, root)
    return register(engine_for(store_url), candidates, actor)
