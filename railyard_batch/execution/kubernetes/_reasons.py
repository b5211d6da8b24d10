"""Why a pod or Job failed, or why a pod waits, in words a user can act on."""

from __future__ import annotations

from typing import Any

from railyard_batch.execution.kubernetes._settings import (
    CONFIG_ERROR_EXIT_CODES,
    MEMBERS_FAILED_EXIT_CODE,
)

IMAGE_PULL_REASONS = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"}
WAITING_REASONS = IMAGE_PULL_REASONS | {"CreateContainerConfigError", "CreateContainerError"}


def _terminated(pod: dict[str, Any]) -> dict[str, Any] | None:
    for status in pod.get("status", {}).get("containerStatuses") or []:
        for state in (status.get("state") or {}, status.get("lastState") or {}):
            term = state.get("terminated")
            if term and term.get("exitCode", 0) != 0:
                return dict(term)
    return None


def exit_reason(term: dict[str, Any], memory: str) -> str:
    code = int(term.get("exitCode", 0))
    reason = str(term.get("reason") or "Error")
    message = str(term.get("message") or "").strip().replace("\n", " ")[:300]
    if reason == "OOMKilled" or code == 137:
        return (
            f"OOMKilled (exit {code}): the shard went past its memory limit of {memory}; "
            f"raise resources.memory"
        )
    if code == MEMBERS_FAILED_EXIT_CODE:
        return f"members failed (exit {code}, not retried): see each member's reason"
    if code in CONFIG_ERROR_EXIT_CODES:
        return f"config error (exit {code}, not retried){': ' + message if message else ''}"
    return f"exit {code} ({reason}){': ' + message if message else ''}"


def waits_for_image(pod: dict[str, Any]) -> bool:
    """True while a container of the pod waits for an image it cannot pull."""
    return any(
        ((cs.get("state") or {}).get("waiting") or {}).get("reason") in IMAGE_PULL_REASONS
        for cs in pod.get("status", {}).get("containerStatuses") or []
    )


def pod_waiting_reason(pod: dict[str, Any]) -> str | None:
    """Why a pod that has not finished is not running (None if nothing is wrong)."""
    status = pod.get("status", {})
    for cs in status.get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in IMAGE_PULL_REASONS:
            return (
                f"{waiting['reason']}: image {cs.get('image')!r} cannot be pulled "
                f"({waiting.get('message', 'no message')}); check hydra.launcher.image and the "
                f"registry credentials"
            )
        if waiting.get("reason") in WAITING_REASONS:
            return f"{waiting['reason']}: {waiting.get('message', '')}"
    if status.get("phase") == "Pending":
        for cond in status.get("conditions") or []:
            if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
                return f"{cond.get('reason', 'Unschedulable')}: {cond.get('message', '')}".strip()
    return None


def pod_failure_reason(pod: dict[str, Any], memory: str) -> str:
    term = _terminated(pod)
    if term is not None:
        return exit_reason(term, memory)
    status = pod.get("status", {})
    if status.get("reason"):  # Evicted, DeadlineExceeded, ...
        return f"{status['reason']}: {status.get('message', '')}".strip()
    return pod_waiting_reason(pod) or "the pod failed without an exit status"


def job_failure_reason(job: dict[str, Any]) -> str | None:
    """The reason of a Job's Failed condition, with advice; None if it has not failed."""
    spec = job.get("spec", {})
    for cond in job.get("status", {}).get("conditions") or []:
        if cond.get("type") != "Failed" or cond.get("status") != "True":
            continue
        reason, message = cond.get("reason", "Failed"), cond.get("message", "")
        if reason == "DeadlineExceeded":
            return (
                f"DeadlineExceeded: the Job ran past activeDeadlineSeconds="
                f"{spec.get('activeDeadlineSeconds')}; raise hydra.launcher.active_deadline_seconds "
                f"or use more shards"
            )
        if reason == "BackoffLimitExceeded":
            return f"BackoffLimitExceeded: {message or 'the Job failed too many times'}"
        if reason == "MaxFailedIndexesExceeded":
            return (
                f"MaxFailedIndexesExceeded: more than maxFailedIndexes="
                f"{spec.get('maxFailedIndexes')} shards failed, so the Job stopped the rest"
            )
        return f"{reason}: {message}".strip()
    return None
