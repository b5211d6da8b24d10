"""The run store: sweeps, runs (one per Hydra job) and members (one model each), in SQLite.

Every write is one short transaction; WAL mode lets parallel worker processes write while
readers read. The URL form (``sqlite:///relative.db``, ``sqlite:////abs.db``) leaves room for
PostgreSQL behind the same methods.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from railyard_batch.errors import ConfigError, RunNotFoundError, StoreError

MEMBER_STATES = ("queued", "running", "succeeded", "failed", "skipped", "cached")
FINISHED_STATES = ("succeeded", "failed", "skipped", "cached")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sweeps (
    id TEXT PRIMARY KEY,
    experiment TEXT NOT NULL,
    state TEXT NOT NULL,
    command TEXT,
    overrides TEXT,
    git_commit TEXT,
    git_dirty INTEGER,
    package_versions TEXT,
    backend TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    owner TEXT,
    lease_expires REAL,
    heartbeat_at TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    sweep_id TEXT NOT NULL REFERENCES sweeps(id),
    job_num INTEGER NOT NULL,
    overrides TEXT,
    config TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    estimator TEXT,
    data_path TEXT,
    data_md5 TEXT,
    data_source TEXT,
    artifact_uri TEXT,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS members (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id),
    sweep_id TEXT NOT NULL,
    member_key TEXT NOT NULL,
    member_value TEXT,
    shard INTEGER NOT NULL,
    n_rows INTEGER,
    state TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    metrics TEXT,
    artifact_uri TEXT,
    model_sha256 TEXT,
    reason TEXT,
    content_key TEXT,
    cached_from TEXT,
    export TEXT,
    node TEXT,
    log TEXT,
    owner TEXT,
    lease_expires REAL
);
CREATE INDEX IF NOT EXISTS members_by_run ON members(run_id);
CREATE INDEX IF NOT EXISTS members_by_sweep_state ON members(sweep_id, state);
CREATE INDEX IF NOT EXISTS runs_by_sweep ON runs(sweep_id);
CREATE INDEX IF NOT EXISTS members_by_content_key ON members(content_key, state);
"""


def now() -> str:
    """UTC timestamp with microseconds, sortable as text."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class MemberOutcome:
    """What a worker reports for one member."""

    member_id: str
    state: str
    started_at: str
    finished_at: str
    metrics: dict[str, Any] | None = None
    artifact_uri: str | None = None
    model_sha256: str | None = None
    reason: str | None = None
    # The bundle export and parity gate, when export.bundle is on.
    export: dict[str, Any] | None = None
    # Where it ran: the Kubernetes node, or the host.
    node: str | None = None
    # Its lines in the shard's log: {"uri", "start", "end"} (railyard_batch/worker_log.py).
    log: dict[str, Any] | None = None


def sqlite_path(url: str) -> Path:
    """``sqlite:///runs/x.db`` → ``runs/x.db``; ``sqlite:////tmp/x.db`` → ``/tmp/x.db``."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise ConfigError(
            f"The 'store.url' parameter must be a sqlite:/// URL (PostgreSQL is not supported "
            f"yet). Got {url!r}."
        )
    return Path(url[len(prefix) :])


class RunStore:
    """Reads and writes sweeps, runs and members. Cheap to open; one per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=60000")
            self._migrate()
            self._conn.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(
                f"Cannot open the run store at {self.path} ('store.url'={url!r}): {exc}"
            ) from None

    def close(self) -> None:
        self._conn.close()

    def _migrate(self) -> None:
        """Add columns that stores made by earlier versions lack."""
        added = {
            "members": {
                **dict.fromkeys(
                    ("content_key", "cached_from", "export", "node", "log", "member_value"), "TEXT"
                ),
                "owner": "TEXT",
                "lease_expires": "REAL",
            },
            "sweeps": {"owner": "TEXT", "lease_expires": "REAL", "heartbeat_at": "TEXT"},
        }
        for table, columns in added.items():
            have = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            for column, kind in columns.items():
                if have and column not in have:
                    self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        for attempt in range(50):
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise StoreError(f"Run store {self.path} is locked: {exc}") from None
                time.sleep(0.05 * (attempt + 1))
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:  # a full disk, a read-only file: one line naming the store
            self._rollback()
            raise StoreError(f"Cannot write the run store {self.path}: {exc}") from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # SQLite ends it itself on some errors
            self._conn.execute("ROLLBACK")

    # -- writes -------------------------------------------------------------------------------

    def create_sweep(
        self,
        sweep_id: str,
        *,
        experiment: str,
        command: str,
        overrides: Sequence[str],
        git_commit: str | None,
        git_dirty: bool | None,
        package_versions: dict[str, str],
        backend: str,
        owner: str | None = None,
        lease_s: float | None = None,
    ) -> None:
        """Record a running sweep; with ``owner`` and ``lease_s``, held by that owner (who
        renews it with :meth:`renew_sweep`), else owned elsewhere (a Kubernetes cluster)."""
        stamp = now()
        expires = None if lease_s is None else time.time() + lease_s
        with self._transaction() as c:
            c.execute(
                "INSERT OR IGNORE INTO sweeps (id, experiment, state, command, overrides, git_commit,"
                " git_dirty, package_versions, backend, created_at, owner, lease_expires,"
                " heartbeat_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    sweep_id,
                    experiment,
                    "running",
                    command,
                    json.dumps(list(overrides)),
                    git_commit,
                    None if git_dirty is None else int(git_dirty),
                    json.dumps(package_versions),
                    backend,
                    stamp,
                    owner,
                    expires,
                    stamp if owner else None,
                ),
            )

    def create_run(
        self,
        run_id: str,
        *,
        sweep_id: str,
        job_num: int,
        overrides: Sequence[str],
        config: dict[str, Any],
        config_hash: str,
        estimator: str,
        data_path: str,
        data_md5: str,
        data_source: str,
        artifact_uri: str,
        members: Iterable[tuple[str, str, Any, int, int, str, str | None]],
    ) -> None:
        """Insert a run and its members ``(id, key, value, shard, n_rows, content_key,
        cached_from)``: queued, or cached (a copy of the result of the member named by
        ``cached_from``). ``value`` is the raw fan-out value (None for the global model), kept
        as JSON; ``key`` is its safe name (railyard_batch/member_keys.py)."""
        stamp = now()
        with self._transaction() as c:
            c.execute(
                "INSERT INTO runs (id, sweep_id, job_num, overrides, config, config_hash, estimator,"
                " data_path, data_md5, data_source, artifact_uri, state, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    run_id,
                    sweep_id,
                    job_num,
                    json.dumps(list(overrides)),
                    json.dumps(config),
                    config_hash,
                    estimator,
                    data_path,
                    data_md5,
                    data_source,
                    artifact_uri,
                    "queued",
                    stamp,
                ),
            )
            rows = list(members)
            c.executemany(
                "INSERT INTO members (id, run_id, sweep_id, member_key, member_value, shard, n_rows,"
                " state, queued_at, content_key) VALUES (?,?,?,?,?,?,?,'queued',?,?)",
                [
                    (mid, run_id, sweep_id, key, json.dumps(value), shard, n, stamp, ck)
                    for mid, key, value, shard, n, ck, _ in rows
                ],
            )
            c.executemany(
                "UPDATE members SET state='cached', cached_from=o.id, started_at=?, finished_at=?,"
                " metrics=o.metrics, artifact_uri=o.artifact_uri, model_sha256=o.model_sha256,"
                " export=o.export"
                " FROM (SELECT * FROM members WHERE id=?) AS o WHERE members.id=?",
                [(stamp, stamp, origin, mid) for mid, *_, origin in rows if origin],
            )

    def succeeded_by_content_key(self, keys: Sequence[str]) -> dict[str, str]:
        """For each content key with a succeeded member, that member's id (the earliest)."""
        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for row in self._conn.execute(
                f"SELECT content_key, id FROM members WHERE state='succeeded' AND content_key IN"
                f" ({marks}) ORDER BY finished_at DESC",
                chunk,
            ):
                found[str(row["content_key"])] = str(row["id"])
        return found

    def mark_running(
        self,
        member_ids: Sequence[str],
        *,
        node: str | None = None,
        owner: str | None = None,
        lease_s: float | None = None,
    ) -> None:
        """Claim queued members: running, held by ``owner`` for ``lease_s`` seconds."""
        stamp = now()
        expires = None if lease_s is None else time.time() + lease_s
        with self._transaction() as c:
            c.executemany(
                "UPDATE members SET state='running', started_at=?, node=COALESCE(?, node),"
                " owner=?, lease_expires=? WHERE id=? AND state='queued'",
                [(stamp, node, owner, expires, mid) for mid in member_ids],
            )

    def claim_members(
        self,
        members: Sequence[tuple[str, str]],
        *,
        owner: str,
        lease_s: float,
        node: str | None = None,
        reuse: bool = True,
    ) -> dict[str, tuple[str, str | None]]:
        """Claim ``(member id, content key)`` pairs in one transaction, so that no two sweeps
        train the same result at once. For each, the decision and the other member it names:

        - ``("cached", origin)``: a member with this content key has succeeded meanwhile (in
          another sweep): this one is recorded as its cached copy now (not with ``reuse``
          off: ``--force`` retrains);
        - ``("wait", peer)``: a live worker is training this content key: wait for its result
          (claim again later);
        - ``("train", None)``: this one is now running, leased to ``owner``.
        """
        stamp, clock = now(), time.time()
        decisions: dict[str, tuple[str, str | None]] = {}
        with self._transaction() as c:
            for mid, key in members:
                origin = (
                    reuse
                    and c.execute(
                        "SELECT id FROM members WHERE content_key=? AND state='succeeded' AND id<>?"
                        " ORDER BY finished_at LIMIT 1",
                        (key, mid),
                    ).fetchone()
                )
                if origin:
                    c.execute(
                        "UPDATE members SET state='cached', cached_from=o.id, started_at=?,"
                        " finished_at=?, metrics=o.metrics, artifact_uri=o.artifact_uri,"
                        " model_sha256=o.model_sha256, export=o.export, owner=NULL,"
                        " lease_expires=NULL FROM (SELECT * FROM members WHERE id=?) AS o"
                        " WHERE members.id=? AND members.state IN ('queued','running')",
                        (stamp, stamp, origin["id"], mid),
                    )
                    decisions[mid] = ("cached", str(origin["id"]))
                    continue
                peer = c.execute(
                    "SELECT id FROM members WHERE content_key=? AND state='running' AND id<>?"
                    " AND owner IS NOT ? AND lease_expires>? LIMIT 1",
                    (key, mid, owner, clock),
                ).fetchone()
                if peer is not None:
                    decisions[mid] = ("wait", str(peer["id"]))
                    continue
                c.execute(
                    "UPDATE members SET state='running', started_at=?, node=COALESCE(?, node),"
                    " owner=?, lease_expires=? WHERE id=? AND state IN ('queued','running')",
                    (stamp, node, owner, clock + lease_s, mid),
                )
                decisions[mid] = ("train", None)
        return decisions

    def renew_members(self, member_ids: Sequence[str], owner: str, lease_s: float) -> None:
        """Extend the lease of those of ``member_ids`` that ``owner`` still runs (one write)."""
        expires = time.time() + lease_s
        with self._transaction() as c:
            for start in range(0, len(member_ids), 500):
                chunk = list(member_ids[start : start + 500])
                c.execute(
                    f"UPDATE members SET lease_expires=? WHERE owner=? AND state='running'"
                    f" AND id IN ({','.join('?' * len(chunk))})",
                    [expires, owner, *chunk],
                )

    def renew_sweep(self, sweep_id: str, owner: str, lease_s: float) -> None:
        with self._transaction() as c:
            c.execute(
                "UPDATE sweeps SET lease_expires=?, heartbeat_at=? WHERE id=? AND owner=?"
                " AND state='running'",
                (time.time() + lease_s, now(), sweep_id, owner),
            )

    def close_dead(self, *, unleased_local: bool = False) -> list[str]:
        """Close sweeps nobody holds: the sweep's lease expired (its launcher is gone) and so
        did the lease of each unfinished member (its worker is gone). Those members fail with
        "worker lost: no heartbeat since ...". With ``unleased_local``, also local sweeps left
        running by versions without leases (``runs gc``). Returns the sweeps closed."""
        stamp, clock = now(), time.time()
        closed: list[str] = []
        with self._transaction() as c:
            extra = " OR (lease_expires IS NULL AND backend='local')" if unleased_local else ""
            dead = c.execute(
                "SELECT id, COALESCE(heartbeat_at, created_at) AS seen FROM sweeps"
                f" WHERE state='running' AND ((lease_expires IS NOT NULL AND lease_expires<?){extra})",
                (clock,),
            ).fetchall()
            for row in dead:
                c.execute(
                    "UPDATE members SET state='failed', finished_at=?, reason=? WHERE sweep_id=?"
                    " AND state IN ('queued','running')"
                    " AND (lease_expires IS NULL OR lease_expires<?)",
                    (stamp, f"worker lost: no heartbeat since {row['seen']}", row["id"], clock),
                )
                alive = c.execute(
                    "SELECT 1 FROM members WHERE sweep_id=? AND state IN ('queued','running')"
                    " LIMIT 1",
                    (row["id"],),
                ).fetchone()
                if alive is None:
                    _finish(c, row["id"], stamp)
                    closed.append(str(row["id"]))
        return closed

    def record_outcomes(self, outcomes: Sequence[MemberOutcome]) -> None:
        with self._transaction() as c:
            c.executemany(
                "UPDATE members SET state=?, started_at=?, finished_at=?, metrics=?, artifact_uri=?,"
                " model_sha256=?, reason=?, export=?, node=COALESCE(?, node), log=COALESCE(?, log)"
                " WHERE id=?",
                [
                    (
                        o.state,
                        o.started_at,
                        o.finished_at,
                        None if o.metrics is None else json.dumps(o.metrics),
                        o.artifact_uri,
                        o.model_sha256,
                        o.reason,
                        None if o.export is None else json.dumps(o.export),
                        o.node,
                        None if o.log is None else json.dumps(o.log),
                        o.member_id,
                    )
                    for o in outcomes
                ],
            )

    def finish_runs(self, sweep_id: str) -> None:
        """Close a sweep: each run is failed if any member failed, else succeeded."""
        with self._transaction() as c:
            _finish(c, sweep_id, now())

    def fail_unfinished(self, sweep_id: str, reason: str) -> None:
        """Mark every queued or running member of a sweep failed with ``reason``."""
        stamp = now()
        with self._transaction() as c:
            c.execute(
                "UPDATE members SET state='failed', finished_at=?, reason=? WHERE sweep_id=?"
                " AND state IN ('queued','running')",
                (stamp, reason, sweep_id),
            )

    # -- reads --------------------------------------------------------------------------------

    def list_sweeps(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT s.*, (SELECT COUNT(*) FROM runs r WHERE r.sweep_id=s.id) AS n_runs,"
            " (SELECT COUNT(*) FROM members m WHERE m.sweep_id=s.id) AS n_members,"
            " (SELECT COUNT(*) FROM members m WHERE m.sweep_id=s.id AND m.state='succeeded')"
            " AS n_succeeded,"
            " (SELECT COUNT(*) FROM members m WHERE m.sweep_id=s.id AND m.state='failed')"
            " AS n_failed,"
            " (SELECT COUNT(*) FROM members m WHERE m.sweep_id=s.id AND m.state='skipped')"
            " AS n_skipped,"
            " (SELECT COUNT(*) FROM members m WHERE m.sweep_id=s.id AND m.state='cached')"
            " AS n_cached"
            " FROM sweeps s ORDER BY s.created_at DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [_decode(r) for r in rows]

    def sweep(self, sweep_id: str) -> dict[str, Any]:
        row = self._conn.execute("SELECT * FROM sweeps WHERE id=?", (sweep_id,)).fetchone()
        if row is None:
            raise RunNotFoundError(f"No sweep {sweep_id!r} in the run store {self.path}.")
        return _decode(row)

    def latest_sweep_id(self) -> str:
        row = self._conn.execute(
            "SELECT id FROM sweeps ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        if row is None:
            raise RunNotFoundError(f"The run store {self.path} holds no sweep yet.")
        return str(row["id"])

    def runs(self, sweep_id: str) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT * FROM runs WHERE sweep_id=? ORDER BY job_num", (sweep_id,)
        ).fetchall()
        return [_decode(r) for r in rows]

    def run(self, run_id: str) -> dict[str, Any]:
        row = self._conn.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFoundError(f"No run {run_id!r} in the run store {self.path}.")
        return _decode(row)

    def members(
        self, *, sweep_id: str | None = None, run_id: str | None = None, state: str | None = None
    ) -> list[dict[str, Any]]:
        clauses, args = [], []
        for column, value in (("sweep_id", sweep_id), ("run_id", run_id), ("state", state)):
            if value is not None:
                clauses.append(f"{column}=?")
                args.append(value)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self._conn.execute(
            f"SELECT * FROM members{where} ORDER BY run_id, n_rows DESC, member_key", args
        ).fetchall()
        return [_decode(r) for r in rows]

    def member(self, member_id: str) -> dict[str, Any]:
        row = self._conn.execute("SELECT * FROM members WHERE id=?", (member_id,)).fetchone()
        if row is None:
            raise RunNotFoundError(f"No member {member_id!r} in the run store {self.path}.")
        return _decode(row)

    def state_counts(self, sweep_id: str) -> dict[str, int]:
        rows = self._conn.execute(
            "SELECT state, COUNT(*) AS n FROM members WHERE sweep_id=? GROUP BY state", (sweep_id,)
        ).fetchall()
        return {str(r["state"]): int(r["n"]) for r in rows}


def _finish(c: sqlite3.Connection, sweep_id: str, stamp: str) -> None:
    """Close a sweep inside a transaction: each run failed if a member failed or never
    finished, else succeeded; the sweep failed if a run failed; no lease is left on it."""
    c.execute(
        "UPDATE runs SET finished_at=?, state=CASE WHEN EXISTS (SELECT 1 FROM members m"
        " WHERE m.run_id=runs.id AND m.state IN ('failed','queued','running'))"
        " THEN 'failed' ELSE 'succeeded' END WHERE sweep_id=?",
        (stamp, sweep_id),
    )
    c.execute(
        "UPDATE sweeps SET finished_at=?, lease_expires=NULL, state=CASE WHEN EXISTS"
        " (SELECT 1 FROM runs r WHERE r.sweep_id=sweeps.id AND r.state='failed') THEN 'failed'"
        " ELSE 'succeeded' END WHERE id=?",
        (stamp, sweep_id),
    )


_JSON_COLUMNS = {
    "overrides",
    "package_versions",
    "config",
    "metrics",
    "export",
    "log",
    "member_value",
}


def _decode(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    for key in _JSON_COLUMNS & out.keys():
        if out[key] is not None:
            out[key] = json.loads(out[key])
    return out
