"""Creating a sweep's objects, idempotently.

Names are deterministic, so creating an object that exists (a re-run after a crash, or a
create whose response was lost when the API server restarted) answers 409: the existing
object is adopted if it belongs to the same sweep, never duplicated. Per run, the Job is
created first, then its ConfigMap, owned by the Job so that it goes when the Job goes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from railyard_batch.execution.kubernetes._api import Api, KubernetesError
from railyard_batch.execution.kubernetes._render import SWEEP_LABEL, RunManifests


def create_or_adopt(
    api: Api, kind: str, create: Callable[..., Any], read: Callable[..., Any], obj: dict[str, Any]
) -> dict[str, Any]:
    """Create ``obj``; if it exists already and carries the same sweep label, return that."""
    name = obj["metadata"]["name"]
    try:
        return api.json(f"creating {kind} {api.namespace}/{name}", create, api.namespace, obj)
    except KubernetesError as exc:
        if exc.status != 409:
            raise
    existing = api.json(f"reading {kind} {api.namespace}/{name}", read, name, api.namespace)
    want = obj["metadata"]["labels"].get(SWEEP_LABEL)
    have = existing["metadata"].get("labels", {}).get(SWEEP_LABEL)
    if want != have:
        raise KubernetesError(
            f"{kind} {api.namespace}/{name} already exists and belongs to sweep {have!r}, not "
            f"{want!r}; delete it or use another namespace.",
            409,
        )
    return existing


def with_owner(obj: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    """``obj`` owned by ``job`` (garbage-collected with it, after ttlSecondsAfterFinished)."""
    owner = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "name": job["metadata"]["name"],
        "uid": job["metadata"]["uid"],
    }
    return {**obj, "metadata": {**obj["metadata"], "ownerReferences": [owner]}}


def submit(api: Api, runs: list[RunManifests]) -> list[str]:
    """Create (or adopt) every run's Job and ConfigMap; return the Job names."""
    for run in runs:
        job = create_or_adopt(
            api, "Job", api.batch.create_namespaced_job, api.batch.read_namespaced_job, run.job
        )
        create_or_adopt(
            api,
            "ConfigMap",
            api.core.create_namespaced_config_map,
            api.core.read_namespaced_config_map,
            with_owner(run.configmap, job),
        )
    return [run.name for run in runs]
