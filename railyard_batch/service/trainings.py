"""The service's record of each accepted training (``service_trainings``): the id it handed
out, who asked, the ``Idempotency-Key``, the sweep's process and how it ended."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from railyard_batch.recording.store import now
from railyard_batch.service import tables

T = tables.trainings


def claim(
    store_url: str,
    *,
    sweep_id: str,
    actor: str,
    idempotency_key: str | None,
    request_sha256: str,
    experiment: str,
    estimators: list[str],
    argv: list[str],
    team: str | None = None,
) -> dict[str, Any]:
    """Record a new training, or return the one this actor's ``idempotency_key`` already
    names (the unique constraint decides between two concurrent retries)."""
    row = {
        "sweep_id": sweep_id,
        "actor": actor,
        "idempotency_key": idempotency_key,
        "request_sha256": request_sha256,
        "experiment": experiment,
        "estimators": json.dumps(estimators),
        "argv": json.dumps(argv),
        "team": team,
        "created_at": now(),
    }
    try:
        with tables.engine(store_url).begin() as conn:
            conn.execute(T.insert().values(**row))
    except sa.exc.IntegrityError:
        if idempotency_key is None:
            raise
        existing = by_idempotency_key(store_url, actor, idempotency_key)
        assert existing is not None
        return existing
    return {**row, "pid": None, "exit_code": None, "error": None, "cancelled_by": None}


def by_idempotency_key(store_url: str, actor: str, key: str) -> dict[str, Any] | None:
    with tables.engine(store_url).connect() as conn:
        row = conn.execute(
            sa.select(T).where(T.c.actor == actor, T.c.idempotency_key == key)
        ).first()
    return None if row is None else dict(row._mapping)


def get(store_url: str, sweep_id: str) -> dict[str, Any] | None:
    with tables.engine(store_url).connect() as conn:
        row = conn.execute(sa.select(T).where(T.c.sweep_id == sweep_id)).first()
    return None if row is None else dict(row._mapping)


def all_by_id(store_url: str, sweep_ids: list[str]) -> dict[str, dict[str, Any]]:
    if not sweep_ids:
        return {}
    with tables.engine(store_url).connect() as conn:
        rows = conn.execute(sa.select(T).where(T.c.sweep_id.in_(sweep_ids))).all()
    return {str(r.sweep_id): dict(r._mapping) for r in rows}


def update(store_url: str, sweep_id: str, **values: Any) -> None:
    with tables.engine(store_url).begin() as conn:
        conn.execute(T.update().where(T.c.sweep_id == sweep_id).values(**values))


def finished(store_url: str, sweep_id: str, exit_code: int, error: str | None) -> None:
    update(store_url, sweep_id, exit_code=exit_code, error=error, finished_at=now())
