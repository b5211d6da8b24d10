"""The registry's engine, built from the run store URL. Its tables are the run store's
(migration ``0003_registry``): opening the store first creates a new one at the current
schema and refuses an older one with the line that says to run ``railyard-batch store
upgrade``, as every other command does.

On SQLite every transaction begins ``IMMEDIATE`` (it takes the write lock first, waiting up to
a minute), so that a read-then-write transaction is never refused half-way by a concurrent
writer; PostgreSQL needs nothing of the kind.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from railyard_batch.errors import StoreError
from railyard_batch.recording.urls import is_sqlite, redact, sqlalchemy_url, sqlite_path

_engines: dict[str, Engine] = {}


def engine_for(url: str) -> Engine:
    if url in _engines:
        return _engines[url]
    from railyard_batch.recording.store import RunStore

    RunStore(url).close()  # the schema, registry tables included, is current (or refused)
    try:
        if is_sqlite(url):
            # As the run store does: a store that does not exist yet is made, not an error.
            sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(sqlalchemy_url(url), connect_args={"timeout": 60.0})
            _immediate_transactions(engine)
        else:  # postgresql:// runs through psycopg 3, as the run store does
            engine = create_engine(sqlalchemy_url(url), pool_pre_ping=True)
    except (SQLAlchemyError, OSError) as exc:
        raise StoreError(
            f"Cannot open the registry in the run store {redact(url)!r}: {redact(url, _line(exc))}"
        ) from None
    _engines[url] = engine
    return engine


def _line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _immediate_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        dbapi_connection.execute("PRAGMA busy_timeout=60000")

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
