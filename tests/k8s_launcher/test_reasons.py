"""Failure reasons a user can act on, from the pod and Job status the API server reports."""

from __future__ import annotations

from railyard_batch.execution.kubernetes._indexes import parse_indexes
from railyard_batch.execution.kubernetes._reasons import (
    job_failure_reason,
    pod_failure_reason,
    pod_waiting_reason,
)


def terminated(code: int, reason: str, message: str = "") -> dict:
    state = {"terminated": {"exitCode": code, "reason": reason, "message": message}}
    return {"status": {"phase": "Failed", "containerStatuses": [{"state": state}]}}


def test_exit_codes_become_advice() -> None:
    oom = pod_failure_reason(terminated(137, "OOMKilled"), "2Gi")
    assert oom.startswith("OOMKilled (exit 137)") and "2Gi; raise resources.memory" in oom
    assert "raise resources.memory" in pod_failure_reason(terminated(137, "Error"), "2Gi")
    config = pod_failure_reason(terminated(2, "Error", "ConfigError: bad"), "2Gi")
    assert config == "config error (exit 2, not retried): ConfigError: bad"
    assert pod_failure_reason(terminated(1, "Error"), "1Gi") == "exit 1 (Error)"
    evicted = {"status": {"phase": "Failed", "reason": "Evicted", "message": "low on memory"}}
    assert pod_failure_reason(evicted, "1Gi") == "Evicted: low on memory"


def test_waiting_pods_say_why() -> None:
    pull = {
        "status": {
            "phase": "Pending",
            "containerStatuses": [
                {
                    "image": "reg/x:1",
                    "state": {"waiting": {"reason": "ImagePullBackOff", "message": "not found"}},
                }
            ],
        }
    }
    assert pod_waiting_reason(pull).startswith("ImagePullBackOff: image 'reg/x:1' cannot be pulled")
    unschedulable = {
        "status": {
            "phase": "Pending",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/6 nodes are available",
                }
            ],
        }
    }
    assert pod_waiting_reason(unschedulable) == "Unschedulable: 0/6 nodes are available"
    assert pod_waiting_reason({"status": {"phase": "Running"}}) is None


def test_job_conditions_become_reasons() -> None:
    def job(reason: str) -> dict:
        return {
            "spec": {"activeDeadlineSeconds": 60, "maxFailedIndexes": 1},
            "status": {
                "conditions": [
                    {"type": "Failed", "status": "True", "reason": reason, "message": "m"}
                ]
            },
        }

    assert job_failure_reason(job("DeadlineExceeded")).startswith(
        "DeadlineExceeded: the Job ran past activeDeadlineSeconds=60"
    )
    assert job_failure_reason(job("BackoffLimitExceeded")) == "BackoffLimitExceeded: m"
    assert "maxFailedIndexes=1" in job_failure_reason(job("MaxFailedIndexesExceeded"))
    assert job_failure_reason({"status": {}}) is None


def test_index_sets() -> None:
    assert parse_indexes("0-2,5,7-8") == {0, 1, 2, 5, 7, 8}
    assert parse_indexes(None) == set() and parse_indexes("") == set()
