"""The Kubernetes commands' tables (``status``, ``schedules list``) come from the report
module, and show any job, schedule or reason text as it is: never read as markup, never a
crash."""

from __future__ import annotations

import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from railyard_batch.output.report import k8s_status_table, schedules_table


def _render(table: Any) -> str:
    out = io.StringIO()
    Console(file=out, width=400, color_system=None).print(table)
    return out.getvalue()


def _status(job: str, reason: str) -> dict[str, Any]:
    return {
        "sweep": "20261207-000000-abcdef",
        "namespace": "railyard",
        "members": {"succeeded": 3, "failed": 1},
        "jobs": [
            {
                "job": job,
                "state": "failed",
                "shards": 2,
                "succeeded": 1,
                "failed": 1,
                "active": 0,
                "reason": reason,
                "waiting": {"ImagePullBackOff": 2},
            }
        ],
    }


def test_the_status_table_names_the_members_the_jobs_and_why() -> None:
    text = _render(k8s_status_table(_status("railyard-x-0", "BackoffLimitExceeded")))
    assert (
        "sweep 20261207-000000-abcdef (namespace railyard): members failed=1, succeeded=3" in text
    )
    assert "railyard-x-0" in text and "BackoffLimitExceeded" in text
    assert "2 pod(s) waiting: ImagePullBackOff" in text


def _schedule(name: str, why: str) -> dict[str, Any]:
    return {
        "name": name,
        "schedule": "0 3 * * *",
        "time_zone": None,
        "suspended": True,
        "git_commit": "0123456789abcdef",
        "runs": [{"job": "nightly-1", "state": "succeeded"}],
        "drift": {"drifted": True, "why": why},
    }


def test_the_schedules_table_shows_when_what_and_drift() -> None:
    text = _render(schedules_table([_schedule("nightly", "conf/ changed")], "railyard"))
    assert "scheduled sweeps in namespace railyard" in text
    assert "0 3 * * * (UTC), suspended" in text and "0123456789ab" in text
    assert "nightly-1: succeeded" in text and "drifted: conf/ changed" in text


printable = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=30
).filter(lambda s: s.strip() == s)


@settings(max_examples=200, deadline=None)
@given(name=printable, why=printable)
def test_text_in_the_tables_is_shown_as_it_is(name: str, why: str) -> None:
    """Brackets are rich's markup; a name like ``[bold]x`` must print as it is."""
    status = _render(k8s_status_table(_status(name, why))).replace("\n", "")
    schedules = _render(schedules_table([_schedule(name, why)], "ns")).replace("\n", "")
    for text in (status, schedules):
        assert name in text and why in text
