"""Schemathesis against the real service: every GET operation of ``/openapi.json`` is called
with generated path and query values (a reader's token) and each response must be one the
schema documents, with a body that matches it, and never a 500. The writes (submit, cancel)
start processes and are covered by tests/service/test_hostile.py instead."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.service.conftest import Service


def test_every_read_answers_as_its_schema_says(service: Service) -> None:
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json").include(method="GET")
    headers = {"Authorization": f"Bearer {service.tokens['reader']}"}
    called = []
    for result in schema.get_all_operations():
        operation = result.ok()
        called.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers)

        check()
    assert len(called) >= 6, called  # every read, the report and logs among them
    assert "GET /v1/sweeps/{sweep_id}/report" in called
