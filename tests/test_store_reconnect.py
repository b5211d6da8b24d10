"""A PostgreSQL run store outlives its server's restart: the session's real server is stopped
(``pg_ctl -m fast``: open sessions are terminated, as in a restart or a failover) while a
store writes, and every write waits for it and lands once; the store says so on stderr. A
store that was never reachable is refused at once, not waited for."""

from __future__ import annotations

import threading
import time

import pytest

from railyard_batch.errors import StoreError
from railyard_batch.recording.store import MemberOutcome, RunStore, now
from tests.pg_server import PostgresServer


def _sweep(store: RunStore, sweep_id: str, n: int) -> list[str]:
    store.create_sweep(
        sweep_id,
        experiment="e",
        command="test",
        overrides=[],
        git_commit=None,
        git_dirty=None,
        package_versions={},
        backend="local",
    )
    ids = [f"{sweep_id}/job0/m{i}" for i in range(n)]
    store.create_run(
        f"{sweep_id}/job0",
        sweep_id=sweep_id,
        job_num=0,
        overrides=[],
        config={},
        config_hash="h",
        estimator="e",
        data_path="d",
        data_md5="m",
        data_source="s",
        artifact_uri="a",
        members=[(mid, f"m{i}", f"m{i}", 0, 1, f"ck{i}", None) for i, mid in enumerate(ids)],
    )
    return ids


def test_writes_and_reads_wait_out_a_server_restart(
    pg_server: PostgresServer, capfd: pytest.CaptureFixture[str]
) -> None:
    store = RunStore(pg_server.create_database())
    ids = _sweep(store, "s1", 40)
    pg_server.restart()  # every pooled connection is now dead
    assert store.state_counts("s1") == {"queued": 40}  # a read reconnects

    restarter = threading.Thread(target=pg_server.restart, kwargs={"down_s": 3.0})
    restarter.start()
    started = time.monotonic()
    for mid in ids:  # one transaction each, some of them while the server is down
        stamp = now()
        store.record_outcomes([MemberOutcome(mid, "succeeded", stamp, now(), {"auc": 0.5})])
        time.sleep(0.1)
    restarter.join()
    assert time.monotonic() - started >= 3.0
    # Each member once, each finished: nothing lost, nothing written twice.
    assert store.state_counts("s1") == {"succeeded": 40}
    assert sorted(m.id for m in store.members(sweep_id="s1")) == sorted(ids)
    assert [s.id for s in store.list_sweeps()] == ["s1"]
    err = capfd.readouterr().err
    assert "the run store" in err and "is unreachable" in err, err
    assert "is reachable again after" in err, err
    assert "password" not in err

    # The same run created again (what a retry after a dropped commit does) adds nothing.
    assert _sweep(store, "s1", 40) == ids
    assert store.state_counts("s1") == {"succeeded": 40}
    store.close()


def test_a_store_never_reached_is_refused_at_once(pg_server: PostgresServer) -> None:
    url = pg_server.url().replace(f":{pg_server.port}/", ":1/")  # nothing listens on port 1
    started = time.monotonic()
    with pytest.raises(StoreError) as error:
        RunStore(url)
    assert time.monotonic() - started < 15
    assert "Cannot open the run store" in str(error.value)
    assert "\n" not in str(error.value)


def test_a_worker_opening_a_store_its_sweep_reached_waits_for_the_server(
    pg_server: PostgresServer, capfd: pytest.CaptureFixture[str]
) -> None:
    """A shard that starts while the server restarts (``reached=True``, as worker.py opens
    it) waits and opens; a store opened without it, during the same outage, is refused."""
    url = pg_server.create_database()
    RunStore(url).close()
    restarter = threading.Thread(target=pg_server.restart, kwargs={"down_s": 3.0})
    restarter.start()
    time.sleep(1.0)  # the server is down (pg_ctl stop -w returns in well under a second)
    try:
        with pytest.raises(StoreError, match="Cannot open the run store"):
            RunStore(url)
        worker = RunStore(url, reached=True)
    finally:
        restarter.join()
    assert worker.list_sweeps() == []
    worker.close()
    err = capfd.readouterr().err
    assert "is unreachable" in err and "is reachable again after" in err, err
