"""The registry over HTTP (real uvicorn, real httpx): a sweep trained and registered through the
CLI is read from ``/v1/models``, promoted through the gate by a promoter token (the token's
name is the actor in the history the CLI reads), refused with 409 and one line, rolled back;
readers and trainers may not change anything, and a request cannot name criteria outside
``conf/promotion/``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.service.conftest import Service, start_service


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, list[str]]]:
    svc = start_service(tmp_path_factory.mktemp("models-api") / "proj")
    trained = svc.project.run(
        *("-m", "estimator=logistic_regression", "estimator.C=1.0,0.3"),
        *("registry.register=true", "export.bundle=true", "execution.progress=false"),
    )
    assert trained.returncode == 0, trained.stderr
    shown = json.loads(svc.project.run("models", "show", "default/global", "--json").stdout)
    yield svc, [v["version"] for v in shown["versions"]]
    svc.stop()


def _line(response: Any, status: int, *fragments: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert "\n" not in detail, detail
    for fragment in fragments:
        assert fragment in detail, detail


def test_read_promote_refuse_and_roll_back(registered: tuple[Service, list[str]]) -> None:
    svc, (first, second) = registered
    reader, promoter = svc.client("reader"), svc.client("promoter")
    listed = reader.get("/v1/models").json()["items"]
    assert [(m["name"], m["versions"], m["aliases"]) for m in listed] == [("default/global", 2, {})]
    detail = reader.get("/v1/models/default/global").json()
    assert {v["version"] for v in detail["versions"]} == {first, second}
    _line(reader.get("/v1/models/nosuch/model"), 404, "nosuch/model")

    body = {"version": first[:12], "reason": "first model", "criteria": "default"}
    ok = promoter.post("/v1/models/default/global/promote", json=body)
    assert ok.status_code == 200, ok.text
    assert ok.json()["to_version"] == first and ok.json()["actor"] == "promoter-bot"
    _line(promoter.post("/v1/models/default/global/promote", json=body), 422, "already holds")
    # the shadowed criteria need a shadow report of the second version against the first
    _line(
        promoter.post(
            "/v1/models/default/global/promote",
            json={"version": second, "reason": "r", "criteria": "shadowed"},
        ),
        409,
        "PromotionRefused",
    )
    _line(
        promoter.post(
            "/v1/models/default/global/promote",
            json={"version": second, "reason": "r", "expect": second},
        ),
        409,
        "PromotionConflict",
    )
    _line(
        promoter.post(
            "/v1/models/default/global/promote",
            json={"version": second, "reason": "r", "expect": "ffffffff"},
        ),
        404,
        "'ffffffff' is not a version",
    )
    moved = promoter.post(
        "/v1/models/default/global/promote",
        json={"version": second, "reason": "lenient", "criteria": "default", "expect": first},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["from_version"] == first and moved.json()["passed"], moved.text

    back = promoter.post("/v1/models/default/global/rollback", json={"reason": "alerts"})
    assert back.status_code == 200, back.text
    assert (back.json()["from_version"], back.json()["to_version"]) == (second, first)

    history = reader.get("/v1/models/default/global/history", params={"alias": "production"})
    events = history.json()["events"]
    assert [e["to_version"] for e in events][-1] == first
    assert events[0]["actor"] == "promoter-bot" and events[-1]["reason"] == "alerts"
    cli = json.loads(
        svc.project.run(
            "models", "history", "default/global", "--alias", "production", "--json"
        ).stdout
    )
    assert [e["id"] for e in cli["events"]] == [e["id"] for e in events]
    now = reader.get("/v1/models/default/global/history", params={"at": "2999-01-01T00:00:00Z"})
    assert now.status_code == 200 and now.json()["version"] == first, now.text
    assert (
        reader.get("/v1/models/default/global/history", params={"at": "not a time"}).status_code
        == 422
    )
    pointer = svc.project.root / "runs" / "artifacts" / "registry" / "default" / "global"
    assert json.loads((pointer / "production.json").read_text())["version"] == first


def test_only_promoters_change_and_criteria_are_names(
    registered: tuple[Service, list[str]],
) -> None:
    svc, (first, _) = registered
    body = {"version": first, "reason": "x"}
    for role in ("reader", "trainer"):
        response = svc.client(role).post("/v1/models/default/global/promote", json=body)
        assert response.status_code == 403, response.text
        response = svc.client(role).post("/v1/models/default/global/rollback", json={"reason": "x"})
        assert response.status_code == 403, response.text
    assert svc.client(None).get("/v1/models").status_code == 401
    promoter = svc.client("promoter")
    for criteria in ("../../etc/passwd", "default.yaml", "/tmp/x", "nosuch"):
        response = promoter.post(
            "/v1/models/default/global/promote", json={**body, "criteria": criteria}
        )
        assert response.status_code == 422, (criteria, response.text)
    _line(
        promoter.post("/v1/models/default/global/promote", json={**body, "criteria": "nosuch"}),
        422,
        "default, shadowed",
    )
    _line(
        promoter.post("/v1/models/default/global/promote", json={**body, "force": True}),
        422,
        "force",
    )
    _line(
        promoter.post("/v1/models/default/global/promote", json={"version": first}), 422, "reason"
    )
