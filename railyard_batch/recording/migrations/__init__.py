"""Versions of the run store's schema: alembic migrations shipped in the package, run
programmatically (no alembic.ini).

``versions/`` holds one revision per schema change, oldest first. A store records its
version in ``alembic_version``; a store made before versions existed (the tables of
railyard-batch 0.1, no ``alembic_version``) is brought up to date by the first revision,
which adds what those stores lack. More tables (another ``MetaData``, such as the model
registry's) join with a new revision that creates them, its ``MetaData`` added to
``target_metadata()`` and its id to ``REVISIONS``.

Opening a store (:func:`ensure_current`) never changes a store that has a schema: an older
one is refused with a line saying to run ``railyard-batch store upgrade``. A database with
none of our tables (brand new) is created at the current version at once, so the first
sweep needs no extra step.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection

from railyard_batch.errors import StoreError
from railyard_batch.recording.urls import redact

# Every revision, oldest first; the last is the version this code reads and writes.
REVISIONS = (
    "0001_initial",
    "0002_compositions",
    "0003_registry",
    "0004_service",
    "0005_member_pages",
)
HEAD = REVISIONS[-1]
_VERSION_TABLE = "alembic_version"
# PostgreSQL advisory lock key held while a schema is created or upgraded ("railyard").
_PG_LOCK = 0x7261696C79617264


class StoreVersionError(StoreError):
    """The run store's schema is older (or newer) than this railyard-batch's."""


def target_metadata() -> list[MetaData]:
    from railyard_batch.recording import tables

    return [tables.metadata]


def version(conn: Connection) -> tuple[str | None, bool]:
    """The store's revision (None: not versioned) and whether it holds our tables at all."""
    names = set(inspect(conn).get_table_names())
    found = None
    if _VERSION_TABLE in names:
        found = conn.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}")).scalar()
    return (None if found is None else str(found)), "sweeps" in names


def lock(conn: Connection) -> None:
    """Take the schema lock for the rest of this transaction: SQLite's write transaction
    (BEGIN IMMEDIATE) already is one; PostgreSQL takes an advisory lock."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})


def check(conn: Connection, name: str, url: str) -> bool:
    """Whether the store is at ``HEAD``; False for a database with none of our tables;
    ``StoreVersionError`` for any other version."""
    found, has_tables = version(conn)
    if found == HEAD:
        return True
    if found is None and not has_tables:
        return False
    if found in REVISIONS or found is None:
        at = f"schema version {found}" if found else "a schema from before versions (0.1)"
        raise StoreVersionError(
            f"The run store {name} is at {at}; this railyard-batch needs {HEAD}: run "
            f"`railyard-batch store upgrade --store {redact(url)}` (nothing was written)."
        )
    raise StoreVersionError(
        f"The run store {name} is at schema version {found}, newer than this railyard-batch "
        f"knows ({HEAD}): upgrade railyard-batch."
    )


def upgrade(conn: Connection) -> None:
    """Apply every missing revision inside the caller's transaction (which holds the lock)."""
    # Alembic's INFO lines (its plugins log on import) would reach the user through Hydra's
    # logging: this is not news.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "railyard_batch.recording:migrations")
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def alembic_head() -> Any:
    """The head revision of the scripts in ``versions/`` (tests keep ``HEAD`` honest)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", "railyard_batch.recording:migrations")
    return ScriptDirectory.from_config(config).get_current_head()
