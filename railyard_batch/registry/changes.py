"""Changes to tags and aliases: each one appends an event row (who, when, why, from, to).

An alias moves with optimistic concurrency: the write updates the alias only where it still
holds the event the caller saw (``UPDATE ... WHERE event_id = expected``), in the same
transaction as its event row; if another change came first, nothing is written and
:class:`PromotionConflict` says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from railyard_batch.recording.store import now
from railyard_batch.registry import tables as t
from railyard_batch.registry.errors import ModelNotFoundError, PromotionConflict
from railyard_batch.registry.names import check_alias, check_name, check_tag

HEX = re.compile(r"[0-9a-f]{4,128}")


@dataclass(frozen=True)
class Actor:
    """Who makes a change and why; ``evidence`` names what it rests on (a report id)."""

    name: str
    reason: str | None = None
    evidence: str | None = None
    forced: bool = False


@dataclass(frozen=True)
class AliasState:
    version: str | None
    event_id: int | None


def require_model(c: Connection, name: str) -> None:
    check_name(name)
    if c.scalar(select(t.models.c.name).where(t.models.c.name == name)) is None:
        raise ModelNotFoundError(f"No registered model {name!r}; see railyard-batch models list.")


def resolve_version(c: Connection, name: str, ref: str) -> str:
    """A full content hash or a unique prefix of at least 4 hex digits."""
    require_model(c, name)
    found = (
        list(
            c.scalars(
                select(t.versions.c.version)
                .where(t.versions.c.model_name == name, t.versions.c.version.like(f"{ref}%"))
                .limit(2)
            )
        )
        if HEX.fullmatch(ref)
        else []
    )
    if len(found) != 1:
        what = "is ambiguous" if found else "is not a version"
        raise ModelNotFoundError(
            f"{ref[:80]!r} {what} of {name!r}; see railyard-batch models show {name}."
        )
    return found[0]


def alias_state(c: Connection, name: str, alias: str) -> AliasState:
    row = c.execute(
        select(t.aliases.c.version, t.aliases.c.event_id).where(
            t.aliases.c.model_name == name, t.aliases.c.alias == alias
        )
    ).first()
    return AliasState(None, None) if row is None else AliasState(row.version, int(row.event_id))


def _append(c: Connection, name: str, kind: str, actor: Actor, **values: Any) -> int:
    result = c.execute(
        insert(t.events).values(
            model_name=name,
            kind=kind,
            actor=actor.name,
            at=now(),
            reason=actor.reason,
            evidence=actor.evidence,
            forced=actor.forced,
            **values,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def set_tag(engine: Engine, name: str, ref: str, key: str, value: str, actor: Actor) -> bool:
    check_tag(key, value)
    with engine.begin() as c:
        version = resolve_version(c, name, ref)
        where = (
            (t.tags.c.model_name == name) & (t.tags.c.version == version) & (t.tags.c.key == key)
        )
        old = c.scalar(select(t.tags.c.value).where(where))
        if old == value:
            return False
        c.execute(delete(t.tags).where(where))
        c.execute(insert(t.tags).values(model_name=name, version=version, key=key, value=value))
        _append(
            c,
            name,
            "tag_set",
            actor,
            tag_key=key,
            tag_value=value,
            from_version=version,
            to_version=version,
        )
    return True


def remove_tag(engine: Engine, name: str, ref: str, key: str, actor: Actor) -> None:
    check_tag(key)
    with engine.begin() as c:
        version = resolve_version(c, name, ref)
        where = (
            (t.tags.c.model_name == name) & (t.tags.c.version == version) & (t.tags.c.key == key)
        )
        if c.scalar(select(t.tags.c.value).where(where)) is None:
            raise ModelNotFoundError(f"Version {version[:12]} of {name!r} has no tag {key!r}.")
        c.execute(delete(t.tags).where(where))
        _append(
            c, name, "tag_removed", actor, tag_key=key, from_version=version, to_version=version
        )


def move_alias(
    engine: Engine, name: str, alias: str, version: str, expected: AliasState, actor: Actor
) -> int:
    """Point ``alias`` at ``version`` if it still is as ``expected``; returns the event id."""
    check_alias(alias)
    try:
        with engine.begin() as c:
            eid = _append(
                c,
                name,
                "alias_moved",
                actor,
                alias=alias,
                from_version=expected.version,
                to_version=version,
            )
            if expected.event_id is None:
                c.execute(
                    insert(t.aliases).values(
                        model_name=name, alias=alias, version=version, event_id=eid
                    )
                )
            else:
                moved = c.execute(
                    update(t.aliases)
                    .where(
                        t.aliases.c.model_name == name,
                        t.aliases.c.alias == alias,
                        t.aliases.c.event_id == expected.event_id,
                    )
                    .values(version=version, event_id=eid)
                )
                if moved.rowcount != 1:
                    raise _conflict(c, name, alias, expected)
    except IntegrityError:  # another change created the alias first
        with engine.connect() as c:
            raise _conflict(c, name, alias, expected) from None
    return eid


def remove_alias(engine: Engine, name: str, alias: str, actor: Actor) -> int:
    check_alias(alias)
    with engine.begin() as c:
        require_model(c, name)
        state = alias_state(c, name, alias)
        if state.event_id is None:
            raise ModelNotFoundError(f"{name!r} has no alias {alias!r}.")
        eid = _append(c, name, "alias_removed", actor, alias=alias, from_version=state.version)
        gone = c.execute(
            delete(t.aliases).where(
                t.aliases.c.model_name == name,
                t.aliases.c.alias == alias,
                t.aliases.c.event_id == state.event_id,
            )
        )
        if gone.rowcount != 1:
            raise _conflict(c, name, alias, state)
    return eid


def _conflict(c: Connection, name: str, alias: str, expected: AliasState) -> PromotionConflict:
    now_state = alias_state(c, name, alias)
    seen = (expected.version or "none")[:12]
    current = (now_state.version or "none")[:12]
    return PromotionConflict(
        f"Alias {alias!r} of {name!r} changed meanwhile (expected {seen}, now {current} at"
        f" event {now_state.event_id}); nothing changed: see models history {name} and retry."
    )
