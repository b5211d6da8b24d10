"""Run store backends: 10,000 member outcomes recorded into PostgreSQL by 8 writer processes
at once, against SQLite (the embedded default) recording the same from one process, measured
in the same run. Each outcome is its own transaction, as a worker records it.

    .venv/bin/python -m bench.store_backends [--members 10000] [--writers 8]

PostgreSQL is a real server started for the run (tests/pg_server.py: initdb + pg_ctl in a
temporary directory, default settings: fsync and synchronous_commit on).
Target (issue 14): PostgreSQL with 8 writers within 2x of SQLite's single writer.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

from railyard_batch.recording.store import MemberOutcome, RunStore, now
from tests.pg_server import PostgresServer


def _prepare(url: str, members: int) -> None:
    store = RunStore(url)
    store.create_sweep(
        "bench",
        experiment="bench",
        command="bench",
        overrides=[],
        git_commit=None,
        git_dirty=None,
        package_versions={},
        backend="local",
    )
    store.create_run(
        "bench-0",
        sweep_id="bench",
        job_num=0,
        overrides=[],
        config={},
        config_hash="h",
        estimator="E",
        data_path="d",
        data_md5="0" * 32,
        data_source="bench",
        artifact_uri="u",
        members=[(f"bench-0/m{i}", f"m{i}", f"m{i}", 0, 1, f"k{i}", None) for i in range(members)],
    )
    store.close()


def _writer(url: str, ids: list[str], start: Any) -> None:
    store = RunStore(url)  # opened (imports, connection) before the clock starts
    start.wait()
    for mid in ids:
        stamp = now()
        metrics = {"roc_auc": 0.9, "pr_auc": 0.5, "n_train": 1000}
        store.record_outcomes(
            [MemberOutcome(mid, "succeeded", stamp, stamp, metrics=metrics, artifact_uri="u")]
        )
    store.close()


def record(url: str, members: int, writers: int) -> float:
    """Seconds for ``writers`` processes to record ``members`` outcomes between them."""
    _prepare(url, members)
    ids = [f"bench-0/m{i}" for i in range(members)]
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(writers + 1)
    procs = [
        ctx.Process(target=_writer, args=(url, ids[w::writers], start)) for w in range(writers)
    ]
    for p in procs:
        p.start()
    start.wait()
    began = time.perf_counter()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - began
    if any(p.exitcode for p in procs):
        raise SystemExit("a writer failed")
    store = RunStore(url)
    counts = store.state_counts("bench")
    store.close()
    if counts != {"succeeded": members}:
        raise SystemExit(f"lost outcomes: {counts}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--writers", type=int, default=8)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="railyard-bench-store-"))
    server = PostgresServer.start()
    try:
        sqlite_one = record(f"sqlite:///{scratch / 'one.db'}", args.members, 1)
        sqlite_many = record(f"sqlite:///{scratch / 'many.db'}", args.members, args.writers)
        pg_many = record(server.create_database("bench"), args.members, args.writers)
    finally:
        server.stop()
    n, w = args.members, args.writers
    print(f"SQLite, 1 writer:      {sqlite_one:7.2f} s  ({n / sqlite_one:8.0f} outcomes/s)")
    print(f"SQLite, {w} writers:     {sqlite_many:7.2f} s  ({n / sqlite_many:8.0f} outcomes/s)")
    print(f"PostgreSQL, {w} writers: {pg_many:7.2f} s  ({n / pg_many:8.0f} outcomes/s)")
    ratio = pg_many / sqlite_one
    print(f"ratio PostgreSQL ({w} writers) / SQLite (1 writer): {ratio:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
