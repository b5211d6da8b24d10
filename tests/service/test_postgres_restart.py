"""The service on a PostgreSQL run store, with both restarted mid-sweep: the service is killed
(SIGKILL), the session's real PostgreSQL server is stopped for a few seconds (open sessions
terminated) and started again, then the service is started again. The sweep, which went on
without either, completes; every member is recorded once, trained once, and the sweep's
processes said that they waited for the store."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from railyard_batch.recording.store import RunStore
from tests.pg_server import PostgresServer
from tests.service.conftest import Service, start_service, wait_for
from tests.service.test_trainings import follow

SLOW = {
    "experiment": "fraud_v3",
    "overrides": ["estimator=random_forest", "estimator.n_estimators=150"],
    "multirun": True,
    "config": {"fanout": {"min_rows": 100}},
}


@pytest.fixture
def pg_service(tmp_path: Path, pg_server: PostgresServer) -> Service:
    svc = start_service(tmp_path / "proj", store=pg_server.create_database("svc"))
    yield svc  # type: ignore[misc]
    svc.stop()


def test_service_and_postgres_restarted_mid_sweep(
    pg_service: Service, pg_server: PostgresServer
) -> None:
    service = pg_service
    accepted = service.client("trainer").post("/v1/trainings", json=SLOW)
    assert accepted.status_code == 202, accepted.text
    sweep_id = accepted.json()["sweep_id"]
    reader = service.client("reader")

    def some_done() -> dict[str, int] | None:
        detail = reader.get(f"/v1/sweeps/{sweep_id}").json()
        counts: dict[str, int] = detail["counts"]
        return counts if counts.get("succeeded", 0) >= 2 else None

    before = wait_for(some_done, what="two members to succeed")
    assert sum(before.values()) > before["succeeded"], f"the sweep ended too soon: {before}"

    service.kill()
    pg_server.restart(down_s=3.0)
    service.start()

    detail = follow(service.client("reader"), sweep_id, ("succeeded", "failed"))
    assert detail["sweep"]["state"] == "succeeded", detail
    n = detail["members"]["total"]
    assert n >= 8 and detail["counts"] == {"succeeded": n}  # merchants and the global

    store = RunStore(service.store_url)
    try:
        assert [s.id for s in store.list_sweeps()] == [sweep_id]  # no second sweep
        records = store.members(sweep_id=sweep_id)
        assert len({m.id for m in records}) == len(records) == n
        assert Counter(m.content_key for m in records).most_common(1)[0][1] == 1
        assert all(m.state == "succeeded" and m.model_sha256 for m in records)
    finally:
        store.close()

    logs = "".join(
        p.read_text(errors="replace") for p in service.project.root.rglob("*.log") if p.is_file()
    )
    assert "is unreachable" in logs and "is reachable again after" in logs
    assert "Traceback" not in logs
    # The restarted service serves the finished sweep's results.
    member = service.client("reader").get(f"/v1/members/{records[0].id}")
    assert member.status_code == 200 and member.json()["state"] == "succeeded"
    wait_for(lambda: service.client("reader").get("/readyz").status_code == 200, what="ready")
