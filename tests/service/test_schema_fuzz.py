"""Schemathesis against the real service: every operation of ``/openapi.json``, reads and
writes, is called with generated path, query, header and body values, with a token of the
role the operation documents (``x-required-role``); each response must be one the schema
documents, with a body that matches it, and never a 500. (A write's body that matches the
schema may still name what conf/ lacks, so for a POST a 422 is not counted as a valid body
refused.)

A generated training request that the service accepts (202) starts a real sweep; the test
cancels it at once (200, or 409 when it already ended), so at most one fuzz sweep runs at a
time. Generated promotions and rollbacks name models this project does not have, or fail
the gate; tests/service/test_models_api.py covers the ones that move an alias."""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.service.conftest import Service


def _role(operation: Any) -> str | None:
    role = operation.definition.raw.get("x-required-role")
    return None if role is None else str(role)


# One body that composes, so an accepted training (202, then its cancel) is checked too.
VALID_TRAINING = {
    "experiment": "fraud_v3",
    "overrides": ["estimator=logistic_regression"],
    "multirun": False,
}


def _fuzz(service: Service, method: str, examples: int) -> tuple[list[str], list[str]]:
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json").include(method=method)
    called: list[str] = []
    accepted: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        called.append(operation.label)
        role = _role(operation)
        headers = {"Authorization": f"Bearer {service.tokens[role]}"} if role else {}
        # A write's body can match the schema and still mean nothing here (an override
        # naming no key, an experiment or promotion criteria conf/ lacks): that is the
        # documented 422, not a schema fault.
        excluded = [schemathesis.checks.positive_data_acceptance] if method == "POST" else []

        def call(
            case: Any,
            label: str = operation.label,
            headers: dict[str, str] = headers,
            excluded: list[Any] = excluded,
        ) -> None:
            response = case.call_and_validate(headers=headers, excluded_checks=excluded)
            if label == "POST /v1/trainings" and response.status_code == 202:
                sweep_id = response.json()["sweep_id"]
                accepted.append(sweep_id)
                cancelled = httpx.post(
                    f"{service.url}/v1/sweeps/{sweep_id}/cancel",
                    headers={"Authorization": f"Bearer {service.tokens['trainer']}"},
                    timeout=60,
                )
                assert cancelled.status_code in (200, 409), cancelled.text

        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            call(case)

        check()
        if operation.label == "POST /v1/trainings":
            call(operation.Case(body=VALID_TRAINING, media_type="application/json"))
    return called, accepted


def test_every_read_answers_as_its_schema_says(service: Service) -> None:
    called, _ = _fuzz(service, "GET", examples=25)
    assert len(called) >= 6, called  # every read, the report and logs among them
    assert "GET /v1/sweeps/{sweep_id}/report" in called


def test_every_write_answers_as_its_schema_says(service: Service) -> None:
    called, accepted = _fuzz(service, "POST", examples=25)
    assert set(called) >= {
        "POST /v1/trainings",
        "POST /v1/sweeps/{sweep_id}/cancel",
        "POST /v1/models/{name}/promote",
        "POST /v1/models/{name}/rollback",
    }, called
    assert accepted, "no training was accepted: the valid body was not sent"
    assert "Traceback" not in service.log()
