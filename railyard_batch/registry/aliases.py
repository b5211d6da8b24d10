"""Moving aliases: ``alias``, ``promote`` (the gate, then the move), ``unalias``, ``rollback``.

Each reads the alias as it is, decides, then moves it only if it is still so (see
:mod:`railyard_batch.registry.changes`), and rewrites the pointer document afterwards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from railyard_batch.compositions.ids import is_composition
from railyard_batch.errors import ConfigError
from railyard_batch.registry import tables as t
from railyard_batch.registry.changes import (
    Actor,
    AliasState,
    alias_state,
    move_alias,
    remove_alias,
    require_model,
    resolve_version,
)
from railyard_batch.registry.errors import ModelNotFoundError, PromotionConflict
from railyard_batch.registry.names import check_alias
from railyard_batch.registry.pointers import sync_pointer
from railyard_batch.registry.promotion import Criteria, check_exportable, evaluate
from railyard_batch.registry.reads import version_row

PRODUCTION = "production"


@dataclass(frozen=True)
class Moved:
    name: str
    alias: str
    from_version: str | None
    to_version: str | None
    event_id: int
    forced: bool
    passed: list[dict[str, Any]]
    pointer: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _need_reason(alias: str, actor: Actor) -> None:
    if alias == PRODUCTION and not (actor.reason or "").strip():
        raise ConfigError(
            "The '--reason' option is required for a change of 'production'. Got nothing."
        )
    if actor.forced and not (actor.reason or "").strip():
        raise ConfigError("The '--force' option needs a '--reason'. Got nothing.")


def _expect(engine: Engine, name: str, alias: str, expect: str | None) -> AliasState:
    with engine.connect() as c:
        state = alias_state(c, name, alias)
        if expect is None:
            return state
        wanted = None if expect == "none" else resolve_version(c, name, expect)
    if wanted != state.version:
        raise PromotionConflict(
            f"Alias {alias!r} of {name!r} is held by {(state.version or 'none')[:12]}, not the"
            f" expected {(wanted or 'none')[:12]} (--expect); nothing changed."
        )
    return state


def promote(
    engine: Engine,
    root: Path,
    name: str,
    ref: str,
    actor: Actor,
    criteria: Criteria,
    *,
    alias: str = PRODUCTION,
    expect: str | None = None,
) -> Moved:
    """Evaluate the promotion criteria against the current holder of ``alias``, then move it."""
    check_alias(alias)
    _need_reason(alias, actor)
    with engine.connect() as c:
        version = resolve_version(c, name, ref)
    state = _expect(engine, name, alias, expect)
    with engine.connect() as c:
        candidate = version_row(c, name, version)
        holder = None if state.version is None else version_row(c, name, state.version)
    if state.version == version:
        raise ConfigError(
            f"Version {version[:12]} of {name!r} already holds {alias!r}; nothing changed."
        )
    if actor.forced:
        check_exportable(name, candidate)
        passed: list[dict[str, Any]] = []
    else:
        report = None
        if criteria.shadow and holder is not None:
            from railyard_batch.registry.shadow import latest_report

            report = latest_report(engine, name, version, holder["version"])
        passed = evaluate(criteria, name, candidate, holder, report)
        if report is not None and actor.evidence is None:  # the event names what it rests on
            actor = replace(actor, evidence=f"shadow report {report['id']}")
    if actor.evidence is None and is_composition(candidate.get("member_id")):
        actor = replace(actor, evidence=composition_evidence(candidate))
    eid = move_alias(engine, name, alias, version, state, actor)
    pointer = sync_pointer(engine, root, name, alias)
    return Moved(name, alias, state.version, version, eid, actor.forced, passed, str(pointer))


def composition_evidence(version: dict[str, Any]) -> str:
    """What a composition's promotion rests on when no --evidence is given: its evaluation
    against the global model on the same rows."""
    raw = version.get("metrics")
    m = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
    g = m.get("global") or {}

    def f(v: Any) -> str:
        return "none" if v is None else f"{v:.4f}"

    return (
        f"composition {version['member_id']}: pr_auc {f(m.get('pr_auc'))} vs the global"
        f" model's {f(g.get('pr_auc'))}, roc_auc {f(m.get('roc_auc'))} vs"
        f" {f(g.get('roc_auc'))} on {m.get('n_holdout')} rows"
    )


def set_alias(
    engine: Engine,
    root: Path,
    name: str,
    alias: str,
    ref: str,
    actor: Actor,
    criteria: Criteria | None,
    expect: str | None = None,
) -> Moved:
    """Any alias; ``production`` goes through the promotion gate (it is a promotion)."""
    check_alias(alias)
    if alias == PRODUCTION:
        assert criteria is not None
        return promote(engine, root, name, ref, actor, criteria, expect=expect)
    with engine.connect() as c:
        version = resolve_version(c, name, ref)
    state = _expect(engine, name, alias, expect)
    if state.version == version:
        raise ConfigError(
            f"Version {version[:12]} of {name!r} already holds {alias!r}; nothing changed."
        )
    eid = move_alias(engine, name, alias, version, state, actor)
    pointer = sync_pointer(engine, root, name, alias)
    return Moved(name, alias, state.version, version, eid, actor.forced, [], str(pointer))


def unalias(engine: Engine, root: Path, name: str, alias: str, actor: Actor) -> Moved:
    check_alias(alias)
    _need_reason(alias, actor)
    with engine.connect() as c:
        require_model(c, name)
        state = alias_state(c, name, alias)
    eid = remove_alias(engine, name, alias, actor)
    pointer = sync_pointer(engine, root, name, alias)
    return Moved(name, alias, state.version, None, eid, False, [], str(pointer))


def rollback(engine: Engine, root: Path, name: str, actor: Actor) -> Moved:
    """Production back to the version that held it before the current one (as a new event)."""
    _need_reason(PRODUCTION, actor)
    with engine.connect() as c:
        require_model(c, name)
        state = alias_state(c, name, PRODUCTION)
        if state.event_id is None:
            raise ModelNotFoundError(f"{name!r} has no alias 'production' to roll back.")
        previous = c.scalar(select(t.events.c.from_version).where(t.events.c.id == state.event_id))
        if previous is None:
            raise ModelNotFoundError(
                f"Production of {name!r} ({(state.version or '')[:12]}) has no previous holder"
                " to roll back to."
            )
        check_exportable(name, version_row(c, name, previous))
    eid = move_alias(engine, name, PRODUCTION, previous, state, replace(actor, forced=False))
    pointer = sync_pointer(engine, root, name, PRODUCTION)
    return Moved(name, PRODUCTION, state.version, previous, eid, False, [], str(pointer))
