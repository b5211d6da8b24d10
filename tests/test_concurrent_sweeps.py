"""Concurrent sweeps share work (issue 16): identical sweeps started at the same moment train
each member once in total; the others wait for that result and record it as cached. Each
invocation gets its own Hydra directory and log. On the SQLite store (the default file) and on
the session's real PostgreSQL (``store.url``)."""

from __future__ import annotations

import subprocess
from collections import Counter

import pytest

from railyard_batch.recording.records import MemberRecord
from railyard_batch.recording.store import RunStore
from tests.conftest import Project
from tests.pg_server import PostgresServer
from tests.test_resume import _start as start_sweep


def _start(project: Project, store_url: str, n: int) -> subprocess.Popen[str]:
    with (project.root / f"stderr-{n}.txt").open("w") as err:  # the child keeps its copy
        return start_sweep(project, extra=[f"store.url='{store_url}'"], stderr=err)


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("backend", "copies"), [("sqlite", 2), ("sqlite", 4), ("postgresql", 2), ("postgresql", 4)]
)
def test_identical_sweeps_started_together_train_each_member_once(
    project: Project, request: pytest.FixtureRequest, backend: str, copies: int
) -> None:
    if backend == "sqlite":
        url = project.store_url
    else:
        server: PostgresServer = request.getfixturevalue("pg_server")
        url = server.create_database("concurrent")
    procs = [_start(project, url, n) for n in range(copies)]
    codes = [p.wait(600) for p in procs]
    errors = [(project.root / f"stderr-{n}.txt").read_text()[-2000:] for n in range(copies)]
    assert codes == [0] * copies, errors
    store = RunStore(url)
    try:
        rows: list[MemberRecord] = store.members()
    finally:
        store.close()
    sweeps = {r.sweep_id for r in rows}
    assert len(sweeps) == copies
    assert {r.state for r in rows} <= {"succeeded", "cached"}
    trained = Counter(r.content_key for r in rows if r.state == "succeeded")
    keys = {r.content_key for r in rows}
    assert set(trained) == keys and set(trained.values()) == {1}, trained
    assert len(rows) == copies * len(keys)  # every sweep recorded every member
    origins = {r.id: r for r in rows if r.state == "succeeded"}
    for row in rows:
        if row.state == "cached":
            assert origins[row.cached_from].content_key == row.content_key
            assert origins[row.cached_from].model_sha256 == row.model_sha256
    logs = list((project.root / "multirun").rglob("multirun.yaml"))
    assert len({p.parent for p in logs}) == copies  # one Hydra directory each
    if backend == "postgresql":
        assert not (project.root / "runs" / "railyard.db").exists()
