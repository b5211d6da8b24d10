"""Reading the registry: models, one model's versions, tags and aliases, and its history."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from railyard_batch.errors import ConfigError
from railyard_batch.registry import tables as t
from railyard_batch.registry.changes import require_model
from railyard_batch.registry.names import check_alias

_EVENT_COLUMNS = (
    "id",
    "kind",
    "alias",
    "tag_key",
    "tag_value",
    "from_version",
    "to_version",
    "actor",
    "at",
    "reason",
    "evidence",
    "forced",
)


def list_models(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as c:
        counts: dict[str, int] = dict(
            c.execute(
                select(t.versions.c.model_name, func.count()).group_by(t.versions.c.model_name)
            ).all()
        )
        held: dict[str, dict[str, str]] = {}
        for row in c.execute(select(t.aliases).order_by(t.aliases.c.alias)):
            held.setdefault(row.model_name, {})[row.alias] = row.version
        return [
            {
                "name": row.name,
                "created_at": row.created_at,
                "versions": int(counts.get(row.name, 0)),
                "aliases": held.get(row.name, {}),
            }
            for row in c.execute(select(t.models).order_by(t.models.c.name))
        ]


def version_row(c: Connection, name: str, version: str) -> dict[str, Any]:
    row = c.execute(
        select(t.versions).where(t.versions.c.model_name == name, t.versions.c.version == version)
    ).first()
    assert row is not None
    return _version(dict(row._mapping))


def _version(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("metrics", "package_versions"):
        row[key] = json.loads(row[key]) if row.get(key) else {}
    row["parity_passed"], row["exportable"] = bool(row["parity_passed"]), bool(row["exportable"])
    return row


def show_model(engine: Engine, name: str) -> dict[str, Any]:
    with engine.connect() as c:
        require_model(c, name)
        versions = [
            _version(dict(r._mapping))
            for r in c.execute(
                select(t.versions)
                .where(t.versions.c.model_name == name)
                .order_by(t.versions.c.registered_at, t.versions.c.version)
            )
        ]
        tags: dict[str, dict[str, str]] = {}
        for r in c.execute(select(t.tags).where(t.tags.c.model_name == name)):
            tags.setdefault(r.version, {})[r.key] = r.value
        aliases = {
            r.alias: {"version": r.version, "event_id": int(r.event_id)}
            for r in c.execute(select(t.aliases).where(t.aliases.c.model_name == name))
        }
    for v in versions:
        v["tags"] = tags.get(v["version"], {})
        v["aliases"] = sorted(a for a, held in aliases.items() if held["version"] == v["version"])
    return {"name": name, "aliases": aliases, "versions": versions}


def parse_time(text: str) -> str:
    """An ISO-8601 time as the registry stores it (UTC, microseconds); naive means UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"The '--at' option must be an ISO-8601 time (2026-12-04T07:30:00Z). Got {text!r}."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def history(
    engine: Engine, name: str, alias: str | None = None, at: str | None = None
) -> dict[str, Any]:
    """Every event of ``name`` (of ``alias`` only, if given), oldest first. With ``at``: who
    held ``alias`` (default production) then, the event that put it there and the next one."""
    if alias is not None:
        check_alias(alias)
    query = select(*(t.events.c[col] for col in _EVENT_COLUMNS)).where(
        t.events.c.model_name == name
    )
    if at is not None:
        alias = alias or "production"
    if alias is not None:
        query = query.where(t.events.c.alias == alias)
    with engine.connect() as c:
        require_model(c, name)
        events = [dict(r._mapping) for r in c.execute(query.order_by(t.events.c.id))]
    for event in events:
        event["forced"] = bool(event["forced"])
    if at is None:
        return {"name": name, "alias": alias, "events": events}
    moment = parse_time(at)
    before = [e for e in events if e["at"] <= moment]
    after = [e for e in events if e["at"] > moment]
    since = before[-1] if before else None
    return {
        "name": name,
        "alias": alias,
        "at": moment,
        "version": since["to_version"] if since and since["kind"] == "alias_moved" else None,
        "since": since,
        "next": after[0] if after else None,
    }
