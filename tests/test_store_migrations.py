"""Schema versions: a new store is created at the current version; a store of railyard-batch
0.1 (tables, no version) is refused with one line until ``railyard-batch store upgrade``
brings it up to date, rows kept; errors name the store, never its password."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text

from railyard_batch.errors import StoreError
from railyard_batch.recording import migrations as store_migrations
from railyard_batch.recording.migrations import HEAD, StoreVersionError
from railyard_batch.recording.store import MemberOutcome, RunStore, now
from railyard_batch.recording.urls import sqlalchemy_url
from tests.pg_server import PostgresServer

CLI = str(Path(sys.executable).with_name("railyard-batch"))

# The tables of an early 0.1 store: no content keys, leases, logs or raw fan-out values.
LEGACY_SCHEMA = """
CREATE TABLE sweeps (id TEXT PRIMARY KEY, experiment TEXT NOT NULL, state TEXT NOT NULL,
    command TEXT, overrides TEXT, git_commit TEXT, git_dirty INTEGER, package_versions TEXT,
    backend TEXT, created_at TEXT NOT NULL, finished_at TEXT);
CREATE TABLE runs (id TEXT PRIMARY KEY, sweep_id TEXT NOT NULL REFERENCES sweeps(id),
    job_num INTEGER NOT NULL, overrides TEXT, config TEXT NOT NULL, config_hash TEXT NOT NULL,
    estimator TEXT, data_path TEXT, data_md5 TEXT, data_source TEXT, artifact_uri TEXT,
    state TEXT NOT NULL, created_at TEXT NOT NULL, finished_at TEXT);
CREATE TABLE members (id TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs(id),
    sweep_id TEXT NOT NULL, member_key TEXT NOT NULL, shard INTEGER NOT NULL, n_rows INTEGER,
    state TEXT NOT NULL, queued_at TEXT NOT NULL, started_at TEXT, finished_at TEXT,
    metrics TEXT, artifact_uri TEXT, model_sha256 TEXT, reason TEXT);
INSERT INTO sweeps VALUES ('old', 'e', 'succeeded', 'c', '[]', NULL, 0, '{}', 'local',
    '2026-01-01T00:00:00.000000+00:00', '2026-01-01T00:01:00.000000+00:00');
INSERT INTO runs VALUES ('old-0', 'old', 0, '[]', '{"a": 1}', 'h', 'E', 'd', 'm', 'x', 'u',
    'succeeded', '2026-01-01T00:00:00.000000+00:00', NULL);
INSERT INTO members VALUES ('old-0/a', 'old-0', 'old', 'a', 0, 5, 'succeeded',
    '2026-01-01T00:00:00.000000+00:00', NULL, NULL, '{"roc_auc": 0.9}', 'u/a', 'abc', NULL);
"""


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=os.environ
    )


def tables(db: Path) -> dict[str, list[str]]:
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: [c[1] for c in conn.execute(f"PRAGMA table_info({n})")] for n in names}


def test_head_names_the_last_revision() -> None:
    assert store_migrations.alembic_head() == HEAD


def test_a_new_store_is_created_at_the_current_version(store_url: str) -> None:
    RunStore(store_url).close()
    engine = create_engine(sqlalchemy_url(store_url))
    with engine.connect() as conn:
        assert store_migrations.version(conn) == (HEAD, True)
    engine.dispose()
    RunStore(store_url).close()  # and opens again as it is


def test_a_store_of_version_0_1_is_refused_until_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "runs" / "railyard.db"
    db.parent.mkdir()
    with sqlite3.connect(db) as conn:
        conn.executescript(LEGACY_SCHEMA)
    before = tables(db)
    url = f"sqlite:///{db}"

    with pytest.raises(StoreVersionError, match="railyard-batch store upgrade") as refused:
        RunStore(url)
    assert "\n" not in str(refused.value) and str(db) in str(refused.value)
    assert tables(db) == before  # nothing written

    listing = cli("runs", "list", "--json", cwd=tmp_path)
    assert listing.returncode == 2
    assert listing.stderr.startswith("StoreVersionError: The run store runs/railyard.db is at")
    assert "run `railyard-batch store upgrade --store sqlite:///runs/railyard.db`" in listing.stderr
    assert len(listing.stderr.splitlines()) == 1 and listing.stdout == ""
    assert tables(db) == before

    upgraded = cli("store", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"upgraded from a schema from before versions (0.1) to schema version {HEAD}" in (
        upgraded.stdout
    )
    after = tables(db)
    assert set(after["members"]) >= {"content_key", "owner", "lease_expires", "member_value", "log"}
    assert set(after["sweeps"]) >= {"owner", "lease_expires", "heartbeat_at"}

    store = RunStore(url)  # the old rows are there and the new columns work
    assert store.member("old-0/a").metrics == {"roc_auc": 0.9}
    assert store.member("old-0/a").content_key is None
    assert [s.id for s in store.list_sweeps()] == ["old"]
    store.close()
    again = cli("store", "upgrade", "--store", url, cwd=tmp_path)
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_a_store_from_a_newer_version_is_refused(store_url: str) -> None:
    RunStore(store_url).close()
    engine = create_engine(sqlalchemy_url(store_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num='9999_future'"))
    engine.dispose()
    with pytest.raises(StoreVersionError, match="newer than this railyard-batch knows"):
        RunStore(store_url)


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = "postgresql://railyard:s3cret-pw@127.0.0.1:1/railyard"
    with pytest.raises(StoreError) as error:
        RunStore(url)
    message = str(error.value)
    assert "s3cret-pw" not in message and "\n" not in message
    assert "railyard:***@127.0.0.1:1/railyard" in message
    assert "Connection refused" in message or "connection failed" in message
    shown = cli("runs", "--store", url, "list", cwd=tmp_path)
    assert shown.returncode == 2 and shown.stderr.startswith("StoreError: Cannot open")
    assert "s3cret-pw" not in shown.stderr and len(shown.stderr.splitlines()) == 1


def test_a_read_only_postgresql_store_refuses_writes_in_one_line(
    pg_server: PostgresServer,
) -> None:
    url = pg_server.create_database("ro")
    RunStore(url).close()
    database = url.rsplit("/", 1)[1]
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
    secret = url.replace("railyard@", "railyard:pw-9@")
    store = RunStore(secret)  # reading works
    assert store.list_sweeps() == []
    stamp = now()
    with pytest.raises(StoreError) as refused:
        store.record_outcomes([MemberOutcome("x", "failed", stamp, stamp)])
    message = str(refused.value)
    assert message.startswith("Cannot write the run store postgresql://railyard:***@127.0.0.1:")
    assert "read-only transaction" in message and "\n" not in message and "pw-9" not in message
    store.close()


def test_a_store_at_0001_gains_the_compositions_table_on_upgrade(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    db = tmp_path / "runs" / "railyard.db"
    db.parent.mkdir()
    url = f"sqlite:///{db}"
    engine = create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:  # the schema of the version before compositions
        config = Config()
        config.set_main_option("script_location", "railyard_batch.recording:migrations")
        config.attributes["connection"] = conn
        command.upgrade(config, "0001_initial")
    engine.dispose()
    assert "compositions" not in tables(db)
    with pytest.raises(StoreVersionError, match="is at schema version 0001_initial"):
        RunStore(url)
    upgraded = cli("store", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"from 0001_initial to schema version {HEAD}" in upgraded.stdout
    assert {"content_key", "config", "export", "result"} <= set(tables(db)["compositions"])
    RunStore(url).close()


def test_the_migrations_make_exactly_the_tables_the_code_declares(store_url: str) -> None:
    """Run store, registry and service: alembic's autogenerate finds nothing to add, drop or
    change between a store the migrations made and the tables in store_tables,
    registry.tables and service.tables."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import MetaData

    from railyard_batch.recording import tables as store_tables
    from railyard_batch.registry import tables as registry_tables
    from railyard_batch.service import tables as service_tables

    RunStore(store_url).close()
    both = MetaData()
    for meta in (store_tables.metadata, registry_tables.metadata, service_tables.metadata):
        for table in meta.tables.values():
            table.to_metadata(both)
    engine = create_engine(sqlalchemy_url(store_url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), both)
    engine.dispose()
    assert diff == []


def test_registry_tables_an_older_version_made_are_kept_on_upgrade(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from railyard_batch.registry import tables as registry_tables

    db = tmp_path / "runs" / "railyard.db"
    db.parent.mkdir()
    url = f"sqlite:///{db}"
    engine = create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:  # 0002, and the registry tables made at first use (as before)
        config = Config()
        config.set_main_option("script_location", "railyard_batch.recording:migrations")
        config.attributes["connection"] = conn
        command.upgrade(config, "0002_compositions")
        registry_tables.metadata.create_all(conn)
        conn.execute(
            text("INSERT INTO registry_models (name, created_at) VALUES ('m', '2026-01-01')")
        )
    engine.dispose()
    with pytest.raises(StoreVersionError, match="0002_compositions"):
        RunStore(url)
    upgraded = cli("store", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"from 0002_compositions to schema version {HEAD}" in upgraded.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name FROM registry_models").fetchall() == [("m",)]
    listed = cli("models", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert [m["name"] for m in json.loads(listed.stdout)] == ["m"]


def test_service_tables_an_older_version_made_keep_their_tokens_and_gain_a_team(
    tmp_path: Path,
) -> None:
    from alembic import command
    from alembic.config import Config

    from railyard_batch.service.tokens import authenticate, digest

    db = tmp_path / "runs" / "railyard.db"
    db.parent.mkdir()
    url = f"sqlite:///{db}"
    engine = create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:  # 0003, and the service's tables as its first use made them
        config = Config()
        config.set_main_option("script_location", "railyard_batch.recording:migrations")
        config.attributes["connection"] = conn
        command.upgrade(config, "0003_registry")
        conn.execute(
            text(
                "CREATE TABLE service_tokens (name VARCHAR(200) PRIMARY KEY, role VARCHAR(20) "
                "NOT NULL, secret_sha256 VARCHAR(64) NOT NULL UNIQUE, created_at VARCHAR(40) "
                "NOT NULL)"
            )
        )
        conn.execute(
            text("INSERT INTO service_tokens VALUES ('old-bot', 'reader', :d, '2026-01-01')"),
            {"d": digest("ryb_old")},
        )
    engine.dispose()
    with pytest.raises(StoreVersionError, match="0003_registry"):
        RunStore(url)
    upgraded = cli("store", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"from 0003_registry to schema version {HEAD}" in upgraded.stdout
    assert "team" in tables(db)["service_tokens"] and "team" in tables(db)["service_trainings"]
    found = authenticate(url, "ryb_old")
    assert found is not None and (found.name, found.role, found.team) == ("old-bot", "reader", None)
