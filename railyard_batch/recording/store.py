"""The run store: sweeps, runs (one per Hydra job) and members (one model each), in SQLite
(embedded, the default) or PostgreSQL (a team's server), through SQLAlchemy Core.

Every write is one short transaction, run again when it loses a race (SQLite's lock, a
PostgreSQL deadlock). Every change of a member's state is a conditional UPDATE on its current
state, so a late writer never undoes a transition: a finished member (succeeded, failed,
skipped, cached) stays finished, and only a queued member starts running. The tables are
``railyard_batch/recording/tables.py``; their versions, ``railyard_batch/recording/migrations/``.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from railyard_batch.errors import RunNotFoundError, StoreError
from railyard_batch.recording import migrations, tables
from railyard_batch.recording.engine import (
    RECONNECT_S,
    WRITE,
    disconnected,
    one_line,
    open_engine,
    retryable,
)
from railyard_batch.recording.records import (
    CompositionRecord,
    MemberRecord,
    RunHeader,
    RunRecord,
    SweepPage,
    SweepRecord,
    SweepSummary,
)
from railyard_batch.recording.tables import JSON_COLUMNS, compositions, members, runs, sweeps
from railyard_batch.recording.url_secrets import redact_override
from railyard_batch.recording.urls import (
    check_url,
    config_without_password,
    is_sqlite,
    redact,
    sqlite_path,
)

__all__ = [
    "FINISHED_STATES",
    "MEMBER_STATES",
    "MemberOutcome",
    "RunStore",
    "now",
    "sqlite_path",
]

MEMBER_STATES = ("queued", "running", "succeeded", "failed", "skipped", "cached")
FINISHED_STATES = ("succeeded", "failed", "skipped", "cached")
_UNFINISHED = ("queued", "running")
_CHUNK = 500  # ids per IN (...) list
_T = TypeVar("_T")


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
    # Its lines in the shard's log: {"uri", "start", "end"} (railyard_batch/execution/worker_log.py).
    log: dict[str, Any] | None = None


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def open_store(url: str) -> RunStore:
    """The run store at ``url``, to use as ``with open_store(url) as store:`` (closed on the
    way out). The schema is checked (and a brand-new database created) on opening."""
    return RunStore(url)


class RunStore:
    """Reads and writes sweeps, runs and members. Cheap to open; one per process.

    Opening checks the schema version: a brand-new (empty) database is created at the
    current version; one at an older version is refused with one line saying to run
    ``railyard-batch store upgrade`` (nothing is written to it)."""

    def __init__(self, url: str, *, reached: bool = False) -> None:
        """``reached``: this store was opened before for the same work (a sweep's worker
        opening the store its parent recorded the sweep in), so a server gone at open is
        waited for as after open (:class:`_Outage`); otherwise it is refused at once, since
        a URL never reached is more likely wrong than restarting."""
        check_url(url)
        self.url = url
        self.path: Path | None = sqlite_path(url) if is_sqlite(url) else None
        # How messages name the store: its file, or its URL without the password.
        self.name = str(self.path) if self.path is not None else redact(url)
        try:
            self._engine = open_engine(url)
            self.dialect = self._engine.dialect.name
            outage = _Outage(self)
            while True:
                try:
                    self._open()
                    outage.over()
                    break
                except DBAPIError as exc:
                    if not (reached and outage.wait(exc)):
                        raise
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(
                f"Cannot open the run store at {self.name} ('store.url'={redact(url)!r}): "
                f"{one_line(exc, url)}"
            ) from None

    def _open(self) -> None:
        with self._engine.connect() as conn:
            current = migrations.check(conn, self.name, self.url)
        if not current:  # a brand-new database: create the schema, once
            with self._engine.connect() as conn:
                conn = conn.execution_options(**{WRITE: True})
                with conn.begin():
                    migrations.lock(conn)
                    if not migrations.check(conn, self.name, self.url):
                        migrations.upgrade(conn)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # a store nobody closed returns its connections (psycopg warns)
        engine = getattr(self, "_engine", None)
        if engine is not None:
            with contextlib.suppress(Exception):  # at interpreter exit, modules may be gone
                engine.dispose()

    def _write(self, work: Callable[[Connection], _T]) -> _T:
        """Run ``work`` in one write transaction; again (a few times, backing off) when it lost
        a race, and once the server is back when it went away (:class:`_Outage`); one
        ``StoreError`` line naming the store when it cannot be written."""
        outage, races = _Outage(self), 0
        while True:
            try:
                with self._engine.connect() as conn:
                    conn = conn.execution_options(**{WRITE: True})
                    with conn.begin():
                        result = work(conn)
                outage.over()
                return result
            except DBAPIError as exc:  # a full disk, a read-only file, a refused connection
                if retryable(exc) and races < 49:
                    races += 1
                    time.sleep(0.02 * races)
                    continue
                if outage.wait(exc):
                    continue
                raise StoreError(
                    f"Cannot write the run store {self.name}: {one_line(exc, self.url)}"
                ) from None

    def _rows(self, stmt: Any) -> list[RowMapping]:
        return self._reads(stmt)[0]

    def _reads(self, *stmts: Any) -> list[list[RowMapping]]:
        """The rows of each statement, all read from one snapshot on one connection."""
        outage = _Outage(self)
        while True:
            try:
                with self._engine.connect() as conn:
                    if len(stmts) > 1 and self.dialect == "postgresql":
                        conn = conn.execution_options(isolation_level="REPEATABLE READ")
                    with conn.begin():
                        found = [list(conn.execute(stmt).mappings()) for stmt in stmts]
                outage.over()
                return found
            except DBAPIError as exc:
                if outage.wait(exc):
                    continue
                raise StoreError(
                    f"Cannot read the run store {self.name}: {one_line(exc, self.url)}"
                ) from None

    def _insert(self, table: Any) -> Any:
        # Imported here: SQLAlchemy's PostgreSQL package loads every driver's dialect (asyncpg
        # with asyncio: ~50 ms), which a CLI process on a SQLite store would pay for nothing.
        if self.dialect == "postgresql":
            from sqlalchemy.dialects import postgresql

            return postgresql.insert(table)
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)

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
        stmt = (
            self._insert(sweeps)
            .values(
                id=sweep_id,
                experiment=experiment,
                state="running",
                command=" ".join(redact_override(word) for word in command.split(" ")),
                overrides=json.dumps([redact_override(o) for o in overrides]),
                git_commit=git_commit,
                git_dirty=None if git_dirty is None else int(git_dirty),
                package_versions=json.dumps(package_versions),
                backend=backend,
                created_at=stamp,
                owner=owner,
                lease_expires=None if lease_s is None else time.time() + lease_s,
                heartbeat_at=stamp if owner else None,
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )
        self._write(lambda c: c.execute(stmt))

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
        as JSON; ``key`` is its safe name (railyard_batch/planning/member_keys.py)."""
        stamp = now()
        rows = list(members)
        run = {
            "id": run_id,
            "sweep_id": sweep_id,
            "job_num": job_num,
            "overrides": json.dumps([redact_override(o) for o in overrides]),
            "config": json.dumps(config_without_password(config)),
            "config_hash": config_hash,
            "estimator": estimator,
            "data_path": data_path,
            "data_md5": data_md5,
            "data_source": data_source,
            "artifact_uri": artifact_uri,
            "state": "queued",
            "created_at": stamp,
        }
        queued = [
            {
                "id": mid,
                "run_id": run_id,
                "sweep_id": sweep_id,
                "member_key": key,
                "member_value": json.dumps(value),
                "shard": shard,
                "n_rows": n,
                "state": "queued",
                "queued_at": stamp,
                "content_key": ck,
            }
            for mid, key, value, shard, n, ck, _ in rows
        ]

        def work(c: Connection) -> None:
            # Inserts that ignore rows already there: run again after a lost connection (the
            # first attempt may have committed), they add nothing.
            c.execute(
                self._insert(runs).values(**run).on_conflict_do_nothing(index_elements=["id"])
            )
            if queued:  # (the parameter ``members`` hides the table's name)
                c.execute(
                    self._insert(tables.members).on_conflict_do_nothing(index_elements=["id"]),
                    queued,
                )
            _cache_from(c, [(mid, origin) for mid, *_, origin in rows if origin], stamp)

        self._write(work)

    def succeeded_by_content_key(self, keys: Sequence[str]) -> dict[str, str]:
        """For each content key with a succeeded member, that member's id (the earliest)."""
        found: dict[str, str] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = list(keys[start : start + _CHUNK])
            for row in self._rows(
                select(members.c.content_key, members.c.id)
                .where(members.c.state == "succeeded", members.c.content_key.in_(chunk))
                .order_by(members.c.finished_at.desc())
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
        """Members whose pod runs now (on ``node``): queued ones become running, held by
        ``owner`` for ``lease_s`` seconds; running ones (claimed by their launcher before it
        submitted them) keep their holder and lease and get the node and the start."""
        stamp = now()
        expires = None if lease_s is None else time.time() + lease_s
        ids = list(member_ids)
        stmt = (
            update(members)
            .where(
                members.c.id == bindparam("b_id"),
                (members.c.state == "queued") | (members.c.state == "running"),
            )
            .values(
                state="running",
                started_at=stamp,
                node=func.coalesce(literal(node, members.c.node.type), members.c.node),
                owner=func.coalesce(literal(owner, members.c.owner.type), members.c.owner),
                lease_expires=func.coalesce(
                    literal(expires, members.c.lease_expires.type), members.c.lease_expires
                ),
            )
        )
        if ids:
            self._write(lambda c: c.execute(stmt, [{"b_id": mid} for mid in ids]))

    def claim_members(
        self,
        members: Sequence[tuple[str, str]],
        *,
        owner: str,
        lease_s: float,
        node: str | None = None,
        reuse: bool = True,
        adopt_sweep: str | None = None,
    ) -> dict[str, tuple[str, str | None]]:
        """Claim ``(member id, content key)`` pairs in one transaction, so that no two sweeps
        train the same result at once. For each, the decision and the other member it names:

        - ``("cached", origin)``: a member with this content key has succeeded meanwhile (in
          another sweep): this one is recorded as its cached copy now (not with ``reuse``
          off: ``--force`` retrains);
        - ``("wait", peer)``: a live worker is training this content key: wait for its result
          (claim again later);
        - ``("train", None)``: this one is now running, leased to ``owner``;
        - ``("done", None)``: this one has already finished (a shard run again, a retried pod):
          it keeps its result, nothing trains it again.

        With ``adopt_sweep``, members of that sweep held by another owner are not waited for:
        a Kubernetes launcher re-submitting its sweep adopts the Jobs of the one before it.
        """
        stamp, clock = now(), time.time()
        pairs = list(members)
        m = tables.members  # (the parameter ``members`` hides the table's name)

        def work(c: Connection) -> dict[str, tuple[str, str | None]]:
            if self.dialect == "postgresql":
                # SQLite's BEGIN IMMEDIATE runs one claim at a time. On PostgreSQL (read
                # committed), two claimers could both read "nobody trains this key" and both
                # train it; so claims of one content key take turns: a transaction-scoped
                # advisory lock per key, taken in sorted order (claimers never deadlock each
                # other), held until commit. Each later statement reads afresh, so a claimer
                # that waited sees the winner's running (or succeeded) member. Row locks would
                # not do: the rows that decide (another sweep's member) may not be locked by
                # anyone, and a new running row is only visible after its commit.
                for key in sorted({key for _, key in pairs}):
                    c.execute(
                        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                        {"key": key},
                    )
            decisions: dict[str, tuple[str, str | None]] = {}
            finished = _finished_among(c, [mid for mid, _ in pairs])
            # One read of every other member holding these content keys that decides (a
            # success, or a live run by someone else): one statement, so one snapshot. On
            # PostgreSQL (read committed) a result recorded between two reads (another
            # worker's running -> succeeded, which takes no claim lock) would otherwise be
            # missed by both, and trained again. The writes below cannot change what it read:
            # they make members cached, or running under ``owner``, which it leaves out.
            keys = sorted({key for mid, key in pairs if mid not in finished})
            deciding: dict[str, list[Any]] = {}
            for start in range(0, len(keys), _CHUNK):
                rows = c.execute(
                    select(m.c.id, m.c.state, m.c.content_key)
                    .where(
                        m.c.content_key.in_(keys[start : start + _CHUNK]),
                        or_(
                            m.c.state == "succeeded",
                            and_(
                                m.c.state == "running",
                                m.c.owner.is_distinct_from(owner),
                                m.c.lease_expires > clock,
                                true() if adopt_sweep is None else m.c.sweep_id != adopt_sweep,
                            ),
                        ),
                    )
                    .order_by(m.c.finished_at)
                ).all()
                for row in rows:
                    deciding.setdefault(row.content_key, []).append(row)
            cached: list[tuple[str, str]] = []
            trains: list[str] = []
            for mid, key in pairs:
                if mid in finished:
                    decisions[mid] = ("done", None)
                    continue
                others = [r for r in deciding.get(key, []) if r.id != mid]
                origin = reuse and next((r.id for r in others if r.state == "succeeded"), None)
                if origin:
                    cached.append((mid, str(origin)))
                    decisions[mid] = ("cached", str(origin))
                    continue
                peer = next((r.id for r in others if r.state == "running"), None)
                if peer is not None:
                    decisions[mid] = ("wait", str(peer))
                    continue
                trains.append(mid)
                decisions[mid] = ("train", None)
            _cache_from(c, cached, stamp)
            if trains:
                c.execute(
                    update(m)
                    .where(m.c.id == bindparam("b_id"), _state_in(_UNFINISHED))
                    .values(
                        state="running",
                        started_at=stamp,
                        node=func.coalesce(literal(node, m.c.node.type), m.c.node),
                        owner=owner,
                        lease_expires=clock + lease_s,
                    ),
                    [{"b_id": mid} for mid in trains],
                )
            return decisions

        return self._write(work)

    def renew_members(self, member_ids: Sequence[str], owner: str, lease_s: float) -> None:
        """Extend the lease of those of ``member_ids`` that ``owner`` still runs (one write)."""
        expires = time.time() + lease_s
        ids = list(member_ids)

        def work(c: Connection) -> None:
            for start in range(0, len(ids), _CHUNK):
                c.execute(
                    update(members)
                    .where(
                        members.c.owner == owner,
                        members.c.state == "running",
                        members.c.id.in_(ids[start : start + _CHUNK]),
                    )
                    .values(lease_expires=expires)
                )

        self._write(work)

    def renew_sweep(self, sweep_id: str, owner: str, lease_s: float) -> None:
        stmt = (
            update(sweeps)
            .where(sweeps.c.id == sweep_id, sweeps.c.owner == owner, sweeps.c.state == "running")
            .values(lease_expires=time.time() + lease_s, heartbeat_at=now())
        )
        self._write(lambda c: c.execute(stmt))

    def close_dead(self, *, unleased_local: bool = False) -> list[str]:
        """Close sweeps nobody holds: the sweep's lease expired (its launcher is gone) and so
        did the lease of each unfinished member (its worker is gone). Those members fail with
        "worker lost: no heartbeat since ...". With ``unleased_local``, also local sweeps left
        running by versions without leases (``runs gc``). Returns the sweeps closed."""
        stamp, clock = now(), time.time()
        expired = and_(sweeps.c.lease_expires.is_not(None), sweeps.c.lease_expires < clock)
        if unleased_local:
            expired = expired | and_(sweeps.c.lease_expires.is_(None), sweeps.c.backend == "local")
        # FOR UPDATE (PostgreSQL): a launcher renewing its lease meanwhile either goes first (and
        # its sweep is no longer dead when read again) or waits for this transaction.
        dead_sweeps = (
            select(sweeps.c.id, func.coalesce(sweeps.c.heartbeat_at, sweeps.c.created_at))
            .where(sweeps.c.state == "running", expired)
            .order_by(sweeps.c.created_at, sweeps.c.id)
            .with_for_update()
        )

        def work(c: Connection) -> list[str]:
            closed: list[str] = []
            for sweep_id, seen in c.execute(dead_sweeps).all():
                c.execute(
                    update(members)
                    .where(
                        members.c.sweep_id == sweep_id,
                        members.c.state.in_(_UNFINISHED),
                        members.c.lease_expires.is_(None) | (members.c.lease_expires < clock),
                    )
                    .values(
                        state="failed",
                        finished_at=stamp,
                        reason=f"worker lost: no heartbeat since {seen}",
                    )
                )
                alive = c.execute(
                    select(members.c.id)
                    .where(members.c.sweep_id == sweep_id, members.c.state.in_(_UNFINISHED))
                    .limit(1)
                ).first()
                if alive is None:
                    _finish(c, sweep_id, stamp)
                    closed.append(str(sweep_id))
            return closed

        return self._write(work)

    def record_composition(self, row: dict[str, Any]) -> None:
        """Insert or replace a composition's record (``tables.compositions``): one row per
        run and composition name, the newest evaluation's."""
        values = {k: _dumps(v) if k in JSON_COLUMNS else v for k, v in row.items()}

        def work(c: Connection) -> None:
            stmt = self._insert(compositions).values(values)
            c.execute(
                stmt.on_conflict_do_update(
                    index_elements=["id"],
                    set_={k: stmt.excluded[k] for k in values if k not in ("id", "created_at")},
                )
            )

        self._write(work)

    def record_outcomes(self, outcomes: Sequence[MemberOutcome]) -> None:
        """Record what workers report. Each is a transition from the member's current state
        (``_TRANSITIONS``): one already finished keeps its result, whoever writes late."""
        by_state: dict[str, list[dict[str, Any]]] = {}
        for o in outcomes:
            if o.state not in _TRANSITIONS:
                raise ValueError(f"A member outcome's state must be one of {MEMBER_STATES[1:]}")
            by_state.setdefault(o.state, []).append(
                {
                    "b_id": o.member_id,
                    "b_started_at": o.started_at,
                    "b_finished_at": o.finished_at,
                    "b_metrics": _dumps(o.metrics),
                    "b_artifact_uri": o.artifact_uri,
                    "b_model_sha256": o.model_sha256,
                    "b_reason": o.reason,
                    "b_export": _dumps(o.export),
                    "b_node": o.node,
                    "b_log": _dumps(o.log),
                }
            )

        def work(c: Connection) -> None:
            for state, params in by_state.items():
                c.execute(
                    update(members)
                    .where(
                        members.c.id == bindparam("b_id"),
                        _state_in(_TRANSITIONS[state]),
                    )
                    .values(
                        state=state,
                        started_at=bindparam("b_started_at"),
                        finished_at=bindparam("b_finished_at"),
                        metrics=bindparam("b_metrics"),
                        artifact_uri=bindparam("b_artifact_uri"),
                        model_sha256=bindparam("b_model_sha256"),
                        reason=bindparam("b_reason"),
                        export=bindparam("b_export"),
                        node=func.coalesce(
                            bindparam("b_node", type_=members.c.node.type), members.c.node
                        ),
                        log=func.coalesce(
                            bindparam("b_log", type_=members.c.log.type), members.c.log
                        ),
                    ),
                    params,
                )

        if by_state:
            self._write(work)

    def finish_runs(self, sweep_id: str) -> None:
        """Close a sweep: each run is failed if any member failed, else succeeded."""
        self._write(lambda c: _finish(c, sweep_id, now()))

    def fail_unfinished(self, sweep_id: str, reason: str) -> None:
        """Mark every queued or running member of a sweep failed with ``reason``."""
        stmt = (
            update(members)
            .where(members.c.sweep_id == sweep_id, members.c.state.in_(_UNFINISHED))
            .values(state="failed", finished_at=now(), reason=reason)
        )
        self._write(lambda c: c.execute(stmt))

    # -- reads --------------------------------------------------------------------------------

    def list_sweeps(self, limit: int = 20) -> list[SweepSummary]:
        """The newest sweeps first, each with its counts of runs and members."""

        def count(table: Any, state: str | None = None) -> Any:
            t = table.alias()
            q = select(func.count()).select_from(t).where(t.c.sweep_id == sweeps.c.id)
            if state is not None:
                q = q.where(t.c.state == state)
            return q.correlate(sweeps).scalar_subquery()

        stmt = (
            select(
                sweeps,
                count(runs).label("n_runs"),
                count(members).label("n_members"),
                *(
                    count(members, s).label(f"n_{s}")
                    for s in ("succeeded", "failed", "skipped", "cached")
                ),
            )
            .order_by(sweeps.c.created_at.desc())
            .limit(limit)
        )
        return [SweepSummary.from_row(r) for r in self._rows(stmt)]

    def sweep(self, sweep_id: str) -> SweepRecord:
        return SweepRecord.from_row(
            self._one(
                select(sweeps).where(sweeps.c.id == sweep_id),
                f"No sweep {sweep_id!r} in the run store {self.name}.",
            )
        )

    def latest_sweep_id(self) -> str:
        row = self._one(
            select(sweeps.c.id).order_by(sweeps.c.created_at.desc()).limit(1),
            f"The run store {self.name} holds no sweep yet.",
        )
        return str(row["id"])

    def runs(self, sweep_id: str) -> list[RunRecord]:
        stmt = select(runs).where(runs.c.sweep_id == sweep_id).order_by(runs.c.job_num)
        return [RunRecord.from_row(r) for r in self._rows(stmt)]

    def run(self, run_id: str) -> RunRecord:
        return RunRecord.from_row(
            self._one(
                select(runs).where(runs.c.id == run_id),
                f"No run {run_id!r} in the run store {self.name}.",
            )
        )

    def members(
        self,
        *,
        sweep_id: str | None = None,
        run_id: str | None = None,
        state: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[MemberRecord]:
        """Members in a stable order (run, then largest first, then key); ``offset`` and
        ``limit`` page through them in the database (a service page of a 10,000-member
        sweep reads its page, not the sweep)."""
        stmt = select(members)
        for column, value in (("sweep_id", sweep_id), ("run_id", run_id), ("state", state)):
            if value is not None:
                stmt = stmt.where(members.c[column] == value)
        stmt = stmt.order_by(members.c.run_id, members.c.n_rows.desc(), members.c.member_key)
        if offset:
            stmt = stmt.offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [MemberRecord.from_row(r) for r in self._rows(stmt)]

    def run_tally(
        self, run_id: str, metric: str | None = None
    ) -> tuple[dict[str, int], list[Any], MemberRecord | None]:
        """What a run's summary needs, read from one snapshot without building a record per
        member (a 5,000-member run's records cost its summary about 0.12 s): its members by
        state, the value of ``metric`` of each succeeded member that has it, and the first
        member (in :meth:`members`' order) that failed writing the artifact root."""
        of_run = members.c.run_id == run_id
        succeeded = (of_run & (members.c.state == "succeeded")) if metric else false()
        counts, metric_rows, storage = self._reads(
            select(members.c.state, func.count().label("n"))
            .where(of_run)
            .group_by(members.c.state),
            select(members.c.metrics).where(succeeded & members.c.metrics.is_not(None)),
            select(members)
            .where(
                of_run
                & (members.c.state == "failed")
                & members.c.reason.contains("StorageError", autoescape=True)
            )
            .order_by(members.c.n_rows.desc(), members.c.member_key)
            .limit(1),
        )
        values = [
            value
            for row in metric_rows
            if (value := json.loads(row["metrics"]).get(metric)) is not None
        ]
        first = MemberRecord.from_row(storage[0]) if storage else None
        return {r["state"]: r["n"] for r in counts}, values, first

    def sweep_page(
        self, sweep_id: str, *, state: str | None = None, offset: int = 0, limit: int = 100
    ) -> SweepPage:
        """What a service page of a sweep shows, read from one snapshot on one connection: the
        sweep, its state counts, its runs (without their config) and one page of members (of
        ``state``, when given) in :meth:`members`' order, with their total."""
        wanted = members.c.sweep_id == sweep_id
        if state is not None:
            wanted = wanted & (members.c.state == state)
        found = self._reads(
            select(sweeps).where(sweeps.c.id == sweep_id),
            select(members.c.state, func.count().label("n"))
            .where(members.c.sweep_id == sweep_id)
            .group_by(members.c.state),
            select(*(c for c in runs.c if c.name != "config"))
            .where(runs.c.sweep_id == sweep_id)
            .order_by(runs.c.job_num),
            select(members)
            .where(wanted)
            .order_by(members.c.run_id, members.c.n_rows.desc(), members.c.member_key)
            .offset(offset)
            .limit(limit),
        )
        if not found[0]:
            raise RunNotFoundError(f"No sweep {sweep_id!r} in the run store {self.name}.")
        counts = {str(r["state"]): int(r["n"]) for r in found[1]}
        return SweepPage(
            sweep=SweepRecord.from_row(found[0][0]),
            counts=counts,
            runs=[RunHeader.from_row(r) for r in found[2]],
            members=[MemberRecord.from_row(r) for r in found[3]],
            total=counts.get(state, 0) if state is not None else sum(counts.values()),
        )

    def member(self, member_id: str) -> MemberRecord:
        return MemberRecord.from_row(
            self._one(
                select(members).where(members.c.id == member_id),
                f"No member {member_id!r} in the run store {self.name}.",
            )
        )

    def compositions(
        self, *, sweep_id: str | None = None, run_id: str | None = None
    ) -> list[CompositionRecord]:
        stmt = select(compositions)
        for column, value in (("sweep_id", sweep_id), ("run_id", run_id)):
            if value is not None:
                stmt = stmt.where(compositions.c[column] == value)
        stmt = stmt.order_by(compositions.c.run_id, compositions.c.name)
        return [CompositionRecord.from_row(r) for r in self._rows(stmt)]

    def composition(self, composition_id: str) -> CompositionRecord:
        return CompositionRecord.from_row(
            self._one(
                select(compositions).where(compositions.c.id == composition_id),
                f"No composition {composition_id!r} in the run store {self.name}.",
            )
        )

    def state_counts(
        self, sweep_id: str | None = None, *, run_id: str | None = None
    ) -> dict[str, int]:
        """Members by state, of a sweep or of one run (counted in the database)."""
        if (sweep_id is None) == (run_id is None):
            raise TypeError("state_counts takes a sweep id or a run id")
        wanted = members.c.sweep_id == sweep_id if run_id is None else members.c.run_id == run_id
        stmt = (
            select(members.c.state, func.count().label("n")).where(wanted).group_by(members.c.state)
        )
        return {str(r["state"]): int(r["n"]) for r in self._rows(stmt)}

    def _one(self, stmt: Select[Any], missing: str) -> RowMapping:
        """The first row of ``stmt``, as read; RunNotFoundError(``missing``) when none."""
        rows = self._rows(stmt)
        if not rows:
            raise RunNotFoundError(missing)
        return rows[0]


class _Outage:
    """A PostgreSQL store that went away after it was opened (a restart, a failover): the
    transaction is run again once the server answers, for up to ``RECONNECT_S``, saying so on
    stderr (the sweep's or the worker's log) when it starts and ends. A store that cannot be
    opened at all is refused at once (``RunStore.__init__``), never waited for, unless the
    caller says it was reached before (``reached=True``: a sweep's workers)."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.since: float | None = None
        self.tries = 0

    def wait(self, exc: DBAPIError) -> bool:
        if self.store.dialect != "postgresql" or not disconnected(exc):
            return False
        clock = time.monotonic()
        if self.since is None:
            self.since = clock
            print(
                f"railyard-batch: the run store {self.store.name} is unreachable "
                f"({one_line(exc, self.store.url)}); waiting up to {RECONNECT_S:g} s for it",
                file=sys.stderr,
                flush=True,
            )
        elif clock - self.since > RECONNECT_S:
            return False
        self.tries += 1
        time.sleep(min(2.0, 0.05 * 2**self.tries))
        return True

    def over(self) -> None:
        if self.since is not None:
            print(
                f"railyard-batch: the run store {self.store.name} is reachable again after "
                f"{time.monotonic() - self.since:.1f} s",
                file=sys.stderr,
                flush=True,
            )
            self.since = None


# The states a member may be in for a worker's outcome to move it to each state: a member
# starts running only from queued; it finishes only from queued or running.
_TRANSITIONS = {"running": ("queued",), **dict.fromkeys(FINISHED_STATES, _UNFINISHED)}


def _finished_among(c: Connection, ids: Sequence[str]) -> set[str]:
    """Those of ``ids`` whose members have finished."""
    found: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        found.update(
            str(row)
            for row in c.execute(
                select(members.c.id).where(
                    members.c.id.in_(ids[start : start + _CHUNK]),
                    members.c.state.in_(FINISHED_STATES),
                )
            ).scalars()
        )
    return found


def _state_in(states: Sequence[str]) -> Any:
    """``state IN (...)`` for statements run with many parameter sets (an IN list expands per
    execution, which executemany cannot)."""
    return or_(*(members.c.state == state for state in states))


def _cache_from(c: Connection, pairs: Sequence[tuple[str, str]], stamp: str) -> None:
    """Record each ``(member, origin)`` as a cached copy of its origin's result, if it has not
    finished (and its origin exists)."""
    if not pairs:
        return
    wanted = sorted({origin for _, origin in pairs})
    origins: dict[str, RowMapping] = {}
    for start in range(0, len(wanted), _CHUNK):
        for row in c.execute(
            select(
                members.c.id,
                members.c.metrics,
                members.c.artifact_uri,
                members.c.model_sha256,
                members.c.export,
            ).where(members.c.id.in_(wanted[start : start + _CHUNK]))
        ).mappings():
            origins[str(row["id"])] = row
    params = [
        {
            "b_id": mid,
            "b_origin": origin,
            "b_metrics": o["metrics"],
            "b_artifact_uri": o["artifact_uri"],
            "b_model_sha256": o["model_sha256"],
            "b_export": o["export"],
        }
        for mid, origin in pairs
        if (o := origins.get(origin)) is not None
    ]
    if params:
        c.execute(
            update(members)
            .where(members.c.id == bindparam("b_id"), _state_in(_UNFINISHED))
            .values(
                state="cached",
                cached_from=bindparam("b_origin"),
                started_at=stamp,
                finished_at=stamp,
                metrics=bindparam("b_metrics"),
                artifact_uri=bindparam("b_artifact_uri"),
                model_sha256=bindparam("b_model_sha256"),
                export=bindparam("b_export"),
                owner=None,
                lease_expires=None,
            ),
            params,
        )


def _finish(c: Connection, sweep_id: str, stamp: str) -> None:
    """Close a sweep inside a transaction: each run failed if a member failed or never
    finished, else succeeded; the sweep failed if a run failed; no lease is left on it."""
    m = members.alias("m")
    unfinished_or_failed = (
        select(m.c.id)
        .where(m.c.run_id == runs.c.id, m.c.state.in_(("failed", *_UNFINISHED)))
        .correlate(runs)
        .exists()
    )
    c.execute(
        update(runs)
        .where(runs.c.sweep_id == sweep_id)
        .values(finished_at=stamp, state=case((unfinished_or_failed, "failed"), else_="succeeded"))
    )
    r = runs.alias("r")
    failed_run = (
        select(r.c.id)
        .where(r.c.sweep_id == sweeps.c.id, r.c.state == "failed")
        .correlate(sweeps)
        .exists()
    )
    c.execute(
        update(sweeps)
        .where(sweeps.c.id == sweep_id)
        .values(
            finished_at=stamp,
            lease_expires=None,
            state=case((failed_run, "failed"), else_="succeeded"),
        )
    )
