"""The service's own tables, beside the run store's in the same database (SQLAlchemy Core, so
the SQL is the same on SQLite and PostgreSQL) and versioned with them (migration
``0004_service``).

- ``service_tokens``: who may call the API: a name, a role, a team and the sha256 of the
  token's secret (never the token itself);
- ``service_trainings``: one row per accepted ``POST /v1/trainings``: the sweep id handed out,
  who asked, the ``Idempotency-Key`` (unique per token name), the process running the sweep,
  how it ended, and who cancelled it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from railyard_batch.errors import ConfigError

metadata = sa.MetaData()

tokens = sa.Table(
    "service_tokens",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("secret_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    # The team its trainings are counted for (``/metrics``); None: no team.
    sa.Column("team", sa.String(100), nullable=True),
)

trainings = sa.Table(
    "service_trainings",
    metadata,
    sa.Column("sweep_id", sa.String(40), primary_key=True),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("idempotency_key", sa.String(200), nullable=True),
    sa.Column("request_sha256", sa.String(64), nullable=False),
    sa.Column("experiment", sa.String(200), nullable=False),
    # JSON list of the estimators' config names (the metrics' label).
    sa.Column("estimators", sa.Text, nullable=False),
    sa.Column("argv", sa.Text, nullable=False),
    sa.Column("pid", sa.Integer, nullable=True),
    sa.Column("exit_code", sa.Integer, nullable=True),
    # The last line the sweep's process wrote to stderr, when it failed.
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("cancelled_by", sa.String(200), nullable=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("finished_at", sa.String(40), nullable=True),
    sa.Column("team", sa.String(100), nullable=True),  # the asking token's
    sa.UniqueConstraint("actor", "idempotency_key", name="service_trainings_idempotency"),
)


def engine_url(store_url: str) -> str:
    """The SQLAlchemy URL of a run store URL (``postgresql://`` uses psycopg 3)."""
    if store_url.startswith("sqlite:///"):
        return store_url
    if store_url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + store_url.split("://", 1)[1]
    if store_url.startswith("postgresql+"):
        return store_url
    raise ConfigError(
        f"The '--store' option must be a sqlite:/// or postgresql:// URL. Got {store_url!r}."
    )


@lru_cache(maxsize=8)
def engine(store_url: str) -> sa.Engine:
    """One engine per store URL and process. Opening the run store first makes a new store at
    the current schema (the service's tables included) and refuses an older one in one line
    naming ``railyard-batch store upgrade``."""
    from railyard_batch.recording.store import RunStore

    RunStore(store_url).close()
    url = engine_url(store_url)
    args = {"timeout": 60} if url.startswith("sqlite") else {}
    eng = sa.create_engine(url, connect_args=args, pool_pre_ping=True)
    if url.startswith("sqlite"):

        @sa.event.listens_for(eng, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            conn.execute("PRAGMA busy_timeout=60000")

    return eng
