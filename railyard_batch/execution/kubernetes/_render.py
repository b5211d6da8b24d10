"""From run plans to the objects a sweep creates: per run (Hydra job), one ConfigMap holding
its plan and one Indexed Job running its shards. Both come from the templates; every value
here is a Python object handed to :func:`railyard_batch.execution.kubernetes._template.fill`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from railyard_batch.config.instance_classes import placement as placement_of
from railyard_batch.config.schema import ResourcesConfig
from railyard_batch.config.validate import parse_quantity
from railyard_batch.errors import ConfigError
from railyard_batch.execution.kubernetes import _names
from railyard_batch.execution.kubernetes._schema import validate_object
from railyard_batch.execution.kubernetes._settings import (
    NO_RETRY_EXIT_CODES,
    KubernetesSettings,
    load_instance_classes,
)
from railyard_batch.execution.kubernetes._template import fill, load_template
from railyard_batch.planning.plan import RunPlan
from railyard_batch.planning.provenance import git_state
from railyard_batch.recording.artifacts import ArtifactStore
from railyard_batch.recording.url_secrets import redact_override

PLAN_MOUNT = "/etc/railyard"
PLAN_FILE = "plan.json"
GPU_RESOURCE = "nvidia.com/gpu"
ANNOTATION_PREFIX = "railyard.dev"
SWEEP_LABEL = _names.SWEEP_LABEL
JOB_NUM_LABEL = _names.JOB_NUM_LABEL
QUEUE_LABEL = _names.QUEUE_LABEL


@dataclass(frozen=True)
class RunManifests:
    """The objects of one run, in creation order: the Job, then its plan's ConfigMap (which
    gets the Job as owner at submit, so it goes when the Job is deleted)."""

    plan: RunPlan
    job: dict[str, Any]
    configmap: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.job["metadata"]["name"])

    @property
    def objects(self) -> list[dict[str, Any]]:
        return [self.job, self.configmap]


def plan_uri(plan: RunPlan) -> str:
    """Where :func:`railyard_batch.sweep.record_plans` writes the run plan."""
    return ArtifactStore(plan.artifact_root).uri(plan.relpath())


def render_sweep(
    plans: list[RunPlan], settings: KubernetesSettings, *, namespace: str
) -> list[RunManifests]:
    """Render and validate the objects of every run with shards to run (a run whose members
    all come from the cache has none); raises ConfigError before anything is sent."""
    classes = load_instance_classes(settings)
    commit, _ = git_state()
    rendered = [
        render_run(p, settings, namespace=namespace, classes=classes, commit=commit)
        for p in plans
        if p.n_shards > 0
    ]
    for run in rendered:
        for obj in run.objects:
            validate_object(obj)
    return rendered


def render_run(
    plan: RunPlan,
    settings: KubernetesSettings,
    *,
    namespace: str,
    classes: dict[str, dict[str, Any]],
    commit: str | None,
) -> RunManifests:
    name = _names.job_name(plan.sweep_id, plan.job_num)
    cm_name = _names.configmap_name(name)
    labels = {
        "app.kubernetes.io/name": "railyard-batch",
        "app.kubernetes.io/component": "worker",
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/managed-by": "railyard-batch",
        SWEEP_LABEL: _names.label_value(plan.sweep_id),
        JOB_NUM_LABEL: str(plan.job_num),
    }
    annotations = {
        f"{ANNOTATION_PREFIX}/experiment": plan.typed.experiment,
        f"{ANNOTATION_PREFIX}/sweep-id": plan.sweep_id,
        f"{ANNOTATION_PREFIX}/run-id": plan.run_id,
        f"{ANNOTATION_PREFIX}/overrides": json.dumps([redact_override(o) for o in plan.overrides]),
        f"{ANNOTATION_PREFIX}/config-hash": plan.config_hash,
        f"{ANNOTATION_PREFIX}/git-commit": commit or "unknown",
        f"{ANNOTATION_PREFIX}/data-md5": str(plan.data.get("md5", "")),
    }
    payload = json.dumps(plan.shared(), sort_keys=True, separators=(",", ":"))
    if len(payload.encode()) <= settings.configmap_max_bytes:
        data = {PLAN_FILE: payload}
        plan_arg = f"{PLAN_MOUNT}/{PLAN_FILE}"
    else:  # too big for a ConfigMap: the pod reads the plan from the artifact store
        plan_arg = plan_uri(plan)
        data = {"plan-uri": plan_arg}
    job_labels = dict(labels)
    if settings.queue:
        job_labels[QUEUE_LABEL] = _names.label_value(settings.queue)
    resources = plan.typed.resources
    placement = placement_of(resources.instance_class, resources.gpu, classes)
    completions = max(1, plan.n_shards)
    job_values = {
        "name": name,
        "namespace": namespace,
        "labels": job_labels,
        "annotations": annotations,
        "completions": completions,
        "parallelism": min(settings.parallelism or completions, completions),
        "backoff_limit_per_index": settings.backoff_limit_per_index,
        "max_failed_indexes": settings.max_failed_indexes,
        "active_deadline_seconds": settings.active_deadline_seconds,
        "ttl_seconds_after_finished": settings.ttl_seconds_after_finished,
        "no_retry_exit_codes": list(NO_RETRY_EXIT_CODES),
        # Pods: the run's labels and annotations plus the user's (a cost or chaos label).
        "pod_labels": {**labels, **settings.pod_labels},
        "pod_annotations": {**annotations, **settings.pod_annotations},
        "service_account": settings.service_account,
        "node_selector": placement.get("nodeSelector") or None,
        "tolerations": placement.get("tolerations") or None,
        "affinity": placement.get("affinity") or None,
        "image": settings.image,
        "image_pull_policy": settings.image_pull_policy,
        "command": ["railyard-batch", "worker", "--plan", plan_arg, "--no-store"],
        "env": [
            {"name": "RAILYARD_RUN_ID", "value": plan.run_id},
            {"name": "HOME", "value": "/tmp"},
            {"name": "PYTHONUNBUFFERED", "value": "1"},
            # The node the pod runs on, recorded per member (railyard_batch/execution/worker_log.py).
            {
                "name": "RAILYARD_NODE_NAME",
                "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}},
            },
        ],
        "resources": _resources(resources),
        "configmap_name": cm_name,
        "scratch_size": settings.scratch_size,
    }
    job_template = load_template(settings.templates, "job.yaml")
    job = fill(job_template, job_values, source="job.yaml")
    cm_values = {
        "name": cm_name,
        "namespace": namespace,
        "labels": labels,
        "annotations": {
            f"{ANNOTATION_PREFIX}/run-id": plan.run_id,
            f"{ANNOTATION_PREFIX}/config-hash": plan.config_hash,
        },
        "data": data,
    }
    configmap = fill(
        load_template(settings.templates, "configmap.yaml"), cm_values, source="configmap.yaml"
    )
    return RunManifests(plan=plan, job=job, configmap=configmap)


def _quantity(key: str, value: Any) -> str:
    parse_quantity(key, value)  # the config check's own parser: one rule for a quantity
    return str(value).strip()


def _resources(resources: ResourcesConfig) -> dict[str, Any]:
    """Requests for cpu and memory; the memory limit equals its request (an OOM kill, not a
    noisy neighbour); GPUs are requested and limited alike, as the device plugin wants.
    (The plan's typed config gives every key, with the schema's defaults.)"""
    cpu = _quantity("resources.cpu", resources.cpu)
    memory = _quantity("resources.memory", resources.memory)
    requests: dict[str, str] = {"cpu": cpu, "memory": memory}
    limits: dict[str, str] = {"memory": memory}
    gpu = resources.gpu
    if gpu < 0:
        raise ConfigError(f"The 'resources.gpu' parameter must be >= 0. Got {gpu}.")
    if gpu:
        requests[GPU_RESOURCE] = limits[GPU_RESOURCE] = str(gpu)
    return {"requests": requests, "limits": limits}
