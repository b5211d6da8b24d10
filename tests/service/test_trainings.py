"""Through a real HTTP client against a real uvicorn process: submit a fraud_v3-like sweep,
follow it to the end, read its results and logs; retry with an Idempotency-Key (also after
the service was killed); kill the service mid-sweep, restart it, and cancel the sweep it
re-attached to."""

from __future__ import annotations

from typing import Any

import httpx

from railyard_batch.service.cancel import process_alive
from railyard_batch.service.trainings import get as training_record
from tests.service.conftest import Service, wait_for

SMALL = {
    "experiment": "fraud_v3",
    "overrides": ["estimator=logistic_regression,xgboost"],
    "multirun": True,
    "config": {"fanout": {"min_rows": 600}, "params": {"note": "it's ok, a=b"}},
}


def follow(client: httpx.Client, sweep_id: str, done: tuple[str, ...]) -> dict[str, Any]:
    def state() -> dict[str, Any] | None:
        got = client.get(f"/v1/sweeps/{sweep_id}")
        assert got.status_code == 200, got.text
        body: dict[str, Any] = got.json()
        return body if body["sweep"]["state"] in done else None

    return wait_for(state, what=f"sweep {sweep_id} to be {done}")  # type: ignore[no-any-return]


def test_submit_follow_results_and_logs(service: Service) -> None:
    trainer, reader = service.client("trainer"), service.client("reader")
    accepted = trainer.post("/v1/trainings", json=SMALL)
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    sweep_id = body["sweep_id"]
    assert body["jobs"] == 2 and body["state"] == "submitted"
    assert accepted.headers["location"] == f"/v1/sweeps/{sweep_id}"

    detail = follow(reader, sweep_id, ("succeeded", "failed"))
    assert detail["sweep"]["state"] == "succeeded", detail
    assert detail["sweep"]["actor"] == "trainer-bot"
    assert [r["estimator"].rsplit(".", 1)[-1] for r in detail["runs"]] == [
        "LogisticRegression",
        "XGBClassifier",
    ]
    n = detail["members"]["total"]
    assert n >= 4 and detail["counts"] == {"succeeded": n}
    members = detail["members"]["items"]
    assert all(0.0 <= m["metrics"]["roc_auc"] <= 1.0 for m in members)
    assert {m["member_key"] for m in members} >= {"__global__"}

    page = reader.get(f"/v1/sweeps/{sweep_id}", params={"limit": 1, "offset": 1}).json()
    assert [m["id"] for m in page["members"]["items"]] == [members[1]["id"]]
    assert page["members"]["next_offset"] == 2

    listed = reader.get("/v1/sweeps").json()["items"]
    assert listed[0]["id"] == sweep_id and listed[0]["actor"] == "trainer-bot"

    run = reader.get(f"/v1/runs/{detail['runs'][1]['id']}").json()
    assert run["config"]["estimator"]["_target_"] == "xgboost.XGBClassifier"
    assert run["config"]["fanout"]["min_rows"] == 600  # the document reached the sweep
    assert run["config"]["params"]["note"] == SMALL["config"]["params"]["note"]  # type: ignore[index]
    assert run["config"]["execution"]["sweep_id"] == sweep_id
    assert run["counts"] == {"succeeded": n // 2}

    member_id = members[0]["id"]
    member = reader.get(f"/v1/members/{member_id}").json()
    assert member["state"] == "succeeded" and member["metrics"] == members[0]["metrics"]
    logs = reader.get(f"/v1/members/{member_id}/logs").json()
    assert logs["member"]["id"] == member_id
    assert logs["parts"] and member_id.rsplit("/", 1)[-1] in logs["parts"][0]["text"]

    report = reader.get(f"/v1/sweeps/{sweep_id}/report")
    assert report.status_code == 200, report.text
    assert report.headers["content-type"].startswith("text/html")
    assert report.text.startswith("<!DOCTYPE html>") and sweep_id in report.text
    assert 'id="metrics"' in report.text and "Plotly" in report.text
    assert "XGBClassifier" in report.text and "LogisticRegression" in report.text
    missing = reader.get("/v1/sweeps/nope/report")
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]

    assert reader.get("/v1/members/nope/none").status_code == 404
    assert reader.get("/v1/runs/nope").status_code == 404
    assert reader.get("/v1/sweeps/nope").status_code == 404

    xgb = 'railyard_trainings_total{estimator="XGBClassifier",event='
    succeeded = xgb + '"succeeded",team="risk"} 1.0'
    # Counted when the sweep's process has ended (a moment after the store says succeeded).
    metrics = wait_for(lambda: m if succeeded in (m := reader.get("/metrics").text) else None)
    assert xgb + '"started",team="risk"} 1.0' in metrics  # the trainer token's team
    assert 'railyard_member_duration_seconds_count{estimator="LogisticRegression"}' in metrics
    assert 'route="/v1/sweeps/{sweep_id}",status="200"' in metrics


def test_an_idempotent_retry_returns_the_same_sweep_even_after_a_restart(
    service: Service,
) -> None:
    trainer = service.client("trainer")
    body = {"experiment": "fraud_v3", "overrides": ["estimator=logistic_regression"]}
    key = {"Idempotency-Key": "retry-1"}
    first = trainer.post("/v1/trainings", json=body, headers=key)
    assert first.status_code == 202, first.text
    again = trainer.post("/v1/trainings", json=body, headers=key)
    assert again.status_code == 202 and again.json()["sweep_id"] == first.json()["sweep_id"]

    service.kill()  # what the service remembers must be in the store
    service.start()
    trainer = service.client("trainer")
    after = trainer.post("/v1/trainings", json=body, headers=key)
    assert after.status_code == 202 and after.json()["sweep_id"] == first.json()["sweep_id"]

    other = trainer.post("/v1/trainings", json={**body, "multirun": False}, headers=key)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]
    # The key is per token: another trainer's same key is another request.
    follow(service.client("reader"), first.json()["sweep_id"], ("succeeded", "failed"))


def test_a_restarted_service_reattaches_and_cancels_a_running_sweep(service: Service) -> None:
    trainer = service.client("trainer")
    slow = {
        "experiment": "fraud_v3",
        "overrides": [
            "estimator=random_forest",
            "estimator.n_estimators=3000",
            "estimator.max_samples=1.0",
        ],
        "multirun": True,
    }
    accepted = trainer.post("/v1/trainings", json=slow)
    assert accepted.status_code == 202, accepted.text
    sweep_id = accepted.json()["sweep_id"]
    follow(service.client("reader"), sweep_id, ("running",))
    record = training_record(service.project.store_url, sweep_id)
    assert record is not None and record["pid"] and process_alive(record["pid"], sweep_id)

    service.kill()
    service.start()
    reader, trainer = service.client("reader"), service.client("trainer")
    detail = reader.get(f"/v1/sweeps/{sweep_id}").json()
    assert detail["sweep"]["state"] == "running"  # the sweep went on without the service
    assert process_alive(record["pid"], sweep_id)

    refused = service.client("reader").post(f"/v1/sweeps/{sweep_id}/cancel")
    assert refused.status_code == 403
    cancelled = trainer.post(f"/v1/sweeps/{sweep_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancelled_by"] == "trainer-bot"
    assert cancelled.json()["state"] == "failed"
    assert not process_alive(record["pid"], sweep_id)
    members = reader.get(f"/v1/sweeps/{sweep_id}", params={"limit": 1000}).json()["members"]
    unfinished = [m for m in members["items"] if m["state"] not in ("succeeded", "cached")]
    assert unfinished and all(m["state"] == "failed" for m in unfinished)
    assert {m["reason"] for m in unfinished} == {"cancelled by trainer-bot"}
    again = trainer.post(f"/v1/sweeps/{sweep_id}/cancel")
    assert again.status_code == 409 and again.json()["detail"].startswith("CannotCancel: ")
