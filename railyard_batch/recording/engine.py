"""The run store's connections: one SQLAlchemy engine per store, tuned per backend.

SQLite (embedded): WAL, ``synchronous=NORMAL``, a 60 s busy timeout, and transactions that
SQLAlchemy does not second-guess (the driver's own transaction handling is off): a write
begins with ``BEGIN IMMEDIATE`` (it takes the write lock first, so it never fails half-way
on a lock), a read with a plain ``BEGIN``. PostgreSQL: psycopg 3, read committed, a small
pool that checks a connection before handing it out (heartbeat threads outlive idle
timeouts of proxies). A PostgreSQL store that goes away after it was opened (a server restart,
a failover) is waited for: :func:`disconnected` says which errors those are, and the store
runs the transaction again once the server answers (``RECONNECT_S``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from railyard_batch.recording.urls import is_sqlite, redact, sqlalchemy_url, sqlite_path

# Execution option of a connection about to write (SQLite: BEGIN IMMEDIATE).
WRITE = "railyard_write"
# SQLSTATEs after which PostgreSQL asks the client to run the transaction again.
_PG_RETRY = {"40001", "40P01"}  # serialization failure, deadlock detected
# SQLSTATEs of a server going away or not yet back: admin shutdown (a restart), crash
# shutdown, "the database system is starting up / shutting down"; class 08 is the connection's.
_PG_GONE = {"57P01", "57P02", "57P03"}
# How long a store that was reachable waits for its PostgreSQL server to come back.
RECONNECT_S = 120.0


def open_engine(url: str) -> Engine:
    if is_sqlite(url):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            sqlalchemy_url(url), connect_args={"timeout": 60.0, "check_same_thread": False}
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        sqlalchemy_url(url),
        pool_size=2,
        max_overflow=4,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 10, "application_name": "railyard-batch"},
    )


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we say BEGIN ourselves (_sqlite_begin)
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=60000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get(WRITE)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def retryable(exc: DBAPIError) -> bool:
    """A transaction that lost a race and may simply run again: SQLite still locked after its
    busy timeout, PostgreSQL's serialization failure or deadlock."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in _PG_RETRY:
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text


def disconnected(exc: DBAPIError) -> bool:
    """A PostgreSQL server that closed the connection, refused a new one or is restarting.

    Running the transaction again is safe: every write of the store is a conditional update
    or an insert that ignores a row already there, so one that committed before the
    connection dropped changes nothing the second time."""
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is None:  # no answer from a server at all: refused, reset, timed out
        return type(exc.orig).__name__ == "OperationalError"
    return sqlstate in _PG_GONE or sqlstate.startswith("08")


def one_line(exc: BaseException, url: str) -> str:
    """The driver's own message on one line, without the URL's password."""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(part.strip() for part in str(orig).splitlines() if part.strip())
    return redact(url, text) or type(orig).__name__
