"""``railyard-batch store upgrade|copy`` (railyard_batch/cli/store.py): the run store's
schema version, and moving a store's history into another (a laptop's SQLite into the team's PostgreSQL).

``upgrade`` applies the missing migrations (railyard_batch/recording/migrations/) in one
transaction under the schema lock; a store made before versions existed is brought up to
date and stamped. ``copy`` inserts every sweep, run and member of SRC that DST lacks (by
id, parents first, a page per transaction): a second copy adds nothing; rows DST already
holds are left as they are.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from railyard_batch.errors import StoreError
from railyard_batch.recording import migrations
from railyard_batch.recording.engine import WRITE, one_line, open_engine
from railyard_batch.recording.store import RunStore
from railyard_batch.recording.tables import TABLES
from railyard_batch.recording.urls import check_url, is_sqlite, redact, sqlite_path

_PAGE = 1000


def name(url: str) -> str:
    """How messages name a store: its file, or its URL without the password."""
    return str(sqlite_path(url)) if is_sqlite(url) else redact(url)


def upgrade(url: str) -> tuple[str | None, bool, str]:
    """Bring the store at ``url`` to the current schema: (version before, whether it had
    tables, version after)."""
    check_url(url)
    try:
        engine = open_engine(url)
        try:
            with engine.connect() as conn:
                conn = conn.execution_options(**{WRITE: True})
                with conn.begin():
                    migrations.lock(conn)
                    before, had_tables = migrations.version(conn)
                    migrations.upgrade(conn)
                    after, _ = migrations.version(conn)
        finally:
            engine.dispose()
    except (SQLAlchemyError, OSError) as exc:
        raise StoreError(
            f"Cannot upgrade the run store {name(url)}: {one_line(exc, url)}"
        ) from None
    return before, had_tables, str(after)


@dataclass
class CopyCounts:
    read: dict[str, int]
    added: dict[str, int]


def copy(src: str, dst: str, progress: Callable[[str], None] | None = None) -> CopyCounts:
    """Insert what ``dst`` lacks of ``src``; both must be at the current schema (``dst`` may
    be a new, empty database)."""
    source, target = RunStore(src), RunStore(dst)
    counts = CopyCounts(read={}, added={})
    try:
        for table in TABLES:
            counts.read[table.name] = counts.added[table.name] = 0
            last: Any = None
            while True:
                stmt = select(table).order_by(table.c.id).limit(_PAGE)
                if last is not None:
                    stmt = stmt.where(table.c.id > last)
                rows = [dict(r) for r in source._rows(stmt)]
                if not rows:
                    break
                last = rows[-1]["id"]
                counts.read[table.name] += len(rows)
                counts.added[table.name] += target._write(
                    functools.partial(_insert_missing, target, table=table, rows=rows)
                )
                if progress:
                    progress(_line(counts, dst))
    finally:
        source.close()
        target.close()
    return counts


def _insert_missing(store: RunStore, c: Any, *, table: Any, rows: list[dict[str, Any]]) -> int:
    have = set(
        c.execute(select(table.c.id).where(table.c.id.in_([r["id"] for r in rows]))).scalars()
    )
    missing = [r for r in rows if r["id"] not in have]
    if missing:
        c.execute(store._insert(table).on_conflict_do_nothing(index_elements=["id"]), missing)
    return len(missing)


def _line(counts: CopyCounts, dst: str) -> str:
    parts = ", ".join(
        f"{name} {counts.added[name]:,} new of {counts.read[name]:,}" for name in counts.read
    )
    return f"store copy to {name(dst)}: {parts}"
