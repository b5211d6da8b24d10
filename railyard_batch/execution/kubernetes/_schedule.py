"""Scheduled re-runs (``hydra.launcher.schedule``): instead of submitting a sweep's Jobs now,
a CronJob whose pod runs the same command line at every tick, with its own ServiceAccount
and a namespaced Role (``k8s_templates/cronjob.yaml``, ``launcher-rbac.yaml``).

* The CronJob's name comes from the experiment and the overrides that say what is trained
  (all but ``hydra.launcher.*`` and the sweep directory), never from the sweep id: the same
  command run again updates the same CronJob; another set of overrides is another schedule.
  Names stay within the 52 characters the API server allows a CronJob.
* The pod runs the command with the same overrides, minus what concerns only scheduling or
  this machine (schedule, time zone, dry run, kubeconfig, context), plus
  ``hydra.launcher.wait=true`` and a sweep directory under /tmp, in-cluster.
* Objects are created, or replaced when they exist (and are railyard-batch's): idempotent.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from railyard_batch.errors import ConfigError
from railyard_batch.execution.kubernetes import _render
from railyard_batch.execution.kubernetes._api import (
    Api,
    KubernetesError,
    connect,
    default_namespace,
)
from railyard_batch.execution.kubernetes._cron import check_schedule
from railyard_batch.execution.kubernetes._schema import validate_object
from railyard_batch.execution.kubernetes._settings import KubernetesSettings
from railyard_batch.execution.kubernetes._template import fill, load_template, to_yaml
from railyard_batch.planning.plan import RunPlan
from railyard_batch.recording.urls import is_sqlite, sqlite_path

# The API server's limit: a CronJob's Jobs are named <cronjob>-<minutes since the epoch>.
CRONJOB_NAME_MAX = 52
LAUNCHER_ACCOUNT = "railyard-launcher"
SCHEDULE_LABEL = "railyard.dev/schedule"
MANAGED_BY = "app.kubernetes.io/managed-by"
SWEEP_DIR = "/tmp/multirun"
STORE_FILE = "railyard.db"
# Extra time of the scheduled pod over one Job's deadline: planning before, syncing after.
LAUNCHER_MARGIN_S = 3600
# Keys of the command line that only concern scheduling or this machine: not repeated.
_LOCAL_KEYS = frozenset(
    {
        *(
            f"hydra.launcher.{k}"
            for k in (
                "schedule",
                "time_zone",
                "store_volume_claim",
                "store_mount_path",
                "dry_run",
                "dry_run_output",
                "wait",
                "kubeconfig",
                "context",
            )
        ),
        "hydra.sweep.dir",
        "hydra.mode",  # -m: the command says --multirun itself
    }
)


# ---------------------------------------------------------------------------
# Checks


def check_store(store_url: str, artifact_root: str, settings: KubernetesSettings) -> None:
    """The scheduled pod's root filesystem is read-only: its store and artifacts go elsewhere."""
    mount = PurePosixPath(settings.store_mount_path)
    if settings.store_volume_claim and (not mount.is_absolute() or str(mount) in ("/", "/tmp")):
        raise ConfigError(
            "The 'hydra.launcher.store_mount_path' parameter must be an absolute path other "
            f"than / and /tmp. Got {settings.store_mount_path!r}."
        )
    if (
        not settings.store_volume_claim
        and is_sqlite(store_url)
        and not sqlite_path(store_url).is_absolute()
    ):
        raise ConfigError(
            "The 'hydra.launcher.store_volume_claim' parameter must name a "
            "PersistentVolumeClaim for the run store of a scheduled sweep whose 'store.url' "
            "is a relative path (the scheduled pod's root filesystem is read-only). Got None "
            f"with store.url={store_url!r}."
        )
    if "://" not in artifact_root and not Path(artifact_root).is_absolute():
        raise ConfigError(
            "The 'store.artifact_root' parameter must be, for a scheduled sweep, a URL every "
            f"pod reaches (s3://, gs://, ...) or an absolute path on a volume. Got "
            f"{artifact_root!r}."
        )


# ---------------------------------------------------------------------------
# Names and the command line


def override_key(override: str) -> str:
    """``+a.b=1`` → ``a.b``; ``hydra/launcher=kubernetes`` → ``hydra/launcher``."""
    return re.sub(r"^(~|\+\+|\+)", "", override).partition("=")[0].strip()


def _identifies(override: str) -> bool:
    key = override_key(override)
    return not (
        key.startswith(("hydra.launcher.", "hydra.sweep.", "hydra.run."))
        or key in ("hydra/launcher", "hydra.launcher", "hydra.mode", "hydra.verbose")
    )


def cronjob_name(experiment: str, overrides: Sequence[str]) -> str:
    """``railyard-<experiment>-<10 hex>``: a DNS-1123 label of at most 52 characters, the
    same for the same experiment and the same set of overrides (in any order)."""
    identity = json.dumps([experiment, sorted(o for o in overrides if _identifies(o))])
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    stem = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", f"railyard-{experiment}".lower()))
    return f"{stem[: CRONJOB_NAME_MAX - len(digest) - 1].strip('-')}-{digest}"


def scheduled_argv(overrides: Sequence[str], settings: KubernetesSettings) -> list[str]:
    """What the scheduled pod runs: the same overrides, waiting, in-cluster, never scheduling
    again (even when the experiment's config sets a schedule)."""
    claim = settings.store_volume_claim
    kept = [
        o
        for o in overrides
        if override_key(o) not in _LOCAL_KEYS and not (claim and override_key(o) == "store.url")
    ]
    extra = [
        "hydra.launcher.schedule=null",
        "hydra.launcher.dry_run=false",
        "hydra.launcher.wait=true",
        f"hydra.sweep.dir={SWEEP_DIR}",
    ]
    if claim:
        extra.append(f"store.url=sqlite:///{PurePosixPath(settings.store_mount_path) / STORE_FILE}")
    return ["railyard-batch", "--multirun", *kept, *extra]


def escape_expansion(arg: str) -> str:
    """``arg`` as written in a container's command so the program receives it verbatim: the
    kubelet expands ``$(VAR)`` there and turns ``$$`` into ``$``."""
    return arg.replace("$", "$$")


# ---------------------------------------------------------------------------
# Rendering


@dataclass(frozen=True)
class ScheduleManifests:
    """A schedule's objects in creation order: ServiceAccount, Role, RoleBinding, CronJob."""

    rbac: list[dict[str, Any]]
    cronjob: dict[str, Any]
    argv: list[str]

    @property
    def name(self) -> str:
        return str(self.cronjob["metadata"]["name"])

    @property
    def objects(self) -> list[dict[str, Any]]:
        return [*self.rbac, self.cronjob]


def render_schedule(
    plans: list[RunPlan],
    settings: KubernetesSettings,
    overrides: Sequence[str],
    *,
    namespace: str,
) -> ScheduleManifests:
    """Render and validate the schedule's objects; raises ConfigError before anything is sent."""
    check_schedule(settings.schedule, settings.time_zone)
    check_store(plans[0].store_url, plans[0].artifact_root, settings)
    experiment = plans[0].typed.experiment
    name = cronjob_name(experiment, overrides)
    argv = scheduled_argv(overrides, settings)
    commit, _ = _render.git_state()
    labels = {
        "app.kubernetes.io/name": "railyard-batch",
        "app.kubernetes.io/component": "schedule",
        "app.kubernetes.io/instance": name,
        MANAGED_BY: "railyard-batch",
        SCHEDULE_LABEL: name,
    }
    prefix = _render.ANNOTATION_PREFIX
    annotations = {
        f"{prefix}/experiment": experiment,
        f"{prefix}/overrides": json.dumps(list(overrides)),
        f"{prefix}/command": shlex.join(argv),
        f"{prefix}/config-hashes": json.dumps([p.config_hash for p in plans]),
        f"{prefix}/git-commit": commit or "unknown",
    }
    claim = settings.store_volume_claim
    values = {
        "name": name,
        "namespace": namespace,
        "labels": labels,
        "annotations": annotations,
        "schedule": settings.schedule,
        "time_zone": settings.time_zone,
        "active_deadline_seconds": settings.active_deadline_seconds + LAUNCHER_MARGIN_S,
        "service_account": LAUNCHER_ACCOUNT,
        "image": settings.image,
        "image_pull_policy": settings.image_pull_policy,
        "command": [escape_expansion(a) for a in argv],
        "scratch_size": settings.scratch_size,
        "store_mount": {"name": "store", "mountPath": settings.store_mount_path} if claim else None,
        "store_volume": {"name": "store", "persistentVolumeClaim": {"claimName": claim}}
        if claim
        else None,
    }
    cronjob = fill(load_template(settings.templates, "cronjob.yaml"), values, source="cronjob.yaml")
    rbac_values = {
        "name": LAUNCHER_ACCOUNT,
        "namespace": namespace,
        "labels": {
            "app.kubernetes.io/name": "railyard-batch",
            "app.kubernetes.io/component": "launcher",
            MANAGED_BY: "railyard-batch",
        },
    }
    listed = fill(
        load_template(settings.templates, "launcher-rbac.yaml"),
        rbac_values,
        source="launcher-rbac.yaml",
    )
    manifests = ScheduleManifests(rbac=list(listed["items"]), cronjob=cronjob, argv=argv)
    for obj in manifests.objects:
        validate_object(obj)
    # The Jobs it makes, as the CronJob controller makes them (pod template labels included).
    validate_object(job_from_cronjob(cronjob, f"{name}-check"))
    return manifests


def job_from_cronjob(cronjob: dict[str, Any], name: str) -> dict[str, Any]:
    """A Job made from the CronJob's jobTemplate, as ``kubectl create job --from=cronjob/``."""
    template = cronjob["spec"]["jobTemplate"]
    meta = template.get("metadata", {})
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": cronjob["metadata"].get("namespace"),
        "labels": dict(meta.get("labels") or {}),
        "annotations": {
            **(meta.get("annotations") or {}),
            "cronjob.kubernetes.io/instantiate": "manual",
        },
    }
    uid = cronjob["metadata"].get("uid")
    if uid:
        metadata["ownerReferences"] = [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": cronjob["metadata"]["name"],
                "uid": uid,
                "controller": True,
            }
        ]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": template["spec"]}


# ---------------------------------------------------------------------------
# Sending


def apply(api: Api, manifests: ScheduleManifests) -> list[dict[str, Any]]:
    """Create every object, or replace it when it exists; return the server's objects."""
    from kubernetes import client as k8s

    rbac = k8s.RbacAuthorizationV1Api(api.client)
    calls: dict[str, tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]] = {
        "ServiceAccount": (
            api.core.create_namespaced_service_account,
            api.core.read_namespaced_service_account,
            api.core.replace_namespaced_service_account,
        ),
        "Role": (
            rbac.create_namespaced_role,
            rbac.read_namespaced_role,
            rbac.replace_namespaced_role,
        ),
        "RoleBinding": (
            rbac.create_namespaced_role_binding,
            rbac.read_namespaced_role_binding,
            rbac.replace_namespaced_role_binding,
        ),
        "CronJob": (
            api.batch.create_namespaced_cron_job,
            api.batch.read_namespaced_cron_job,
            api.batch.replace_namespaced_cron_job,
        ),
    }
    return [create_or_replace(api, obj, *calls[obj["kind"]]) for obj in manifests.objects]


def create_or_replace(
    api: Api,
    obj: dict[str, Any],
    create: Callable[..., Any],
    read: Callable[..., Any],
    replace: Callable[..., Any],
    attempts: int = 5,
) -> dict[str, Any]:
    """Create ``obj``; when it exists and is railyard-batch's, replace it (retrying when it
    changed in between). Another owner's object of the same name is left alone."""
    kind, name, ns = obj["kind"], obj["metadata"]["name"], api.namespace
    for _ in range(attempts):
        try:
            return api.json(f"creating {kind} {ns}/{name}", create, ns, obj)
        except KubernetesError as exc:
            if exc.status != 409:
                raise
        existing = api.json(f"reading {kind} {ns}/{name}", read, name, ns)
        owner = (existing["metadata"].get("labels") or {}).get(MANAGED_BY)
        if owner != "railyard-batch":
            raise KubernetesError(
                f"{kind} {ns}/{name} already exists and is not managed by railyard-batch "
                f"(label {MANAGED_BY}={owner!r}); delete it or use another namespace.",
                409,
            )
        version = existing["metadata"]["resourceVersion"]
        body = {**obj, "metadata": {**obj["metadata"], "resourceVersion": version}}
        try:
            return api.json(f"replacing {kind} {ns}/{name}", replace, name, ns, body)
        except KubernetesError as exc:
            if exc.status not in (404, 409):  # changed or deleted meanwhile: again
                raise
    raise KubernetesError(f"{kind} {ns}/{name} kept changing while it was replaced", 409)


def schedule_sweep(
    plans: list[RunPlan],
    settings: KubernetesSettings,
    overrides: Sequence[str] | None,
    *,
    api: Api | None = None,
    out: TextIO | None = None,
) -> str:
    """Create or update the sweep's CronJob (or, for a dry run, print it with its RBAC
    objects); returns what the run store records for the members, none of which ran now."""
    if overrides is None:
        raise ConfigError(
            "The 'hydra.launcher.schedule' parameter needs the command line's overrides, "
            "which only the kubernetes launcher passes (railyard-batch ... -m "
            f"hydra/launcher=kubernetes). Got {settings.schedule!r} without them."
        )
    s = settings
    if s.dry_run:
        namespace = default_namespace(
            kubeconfig=s.kubeconfig, context=s.context, namespace=s.namespace
        )
        manifests = render_schedule(plans, s, overrides, namespace=namespace)
        text = to_yaml(manifests.objects)
        if s.dry_run_output and out is None:
            Path(s.dry_run_output).write_text(text)
        else:
            (out or sys.stdout).write(text)
        return "dry run: nothing was scheduled or submitted"
    api = api or connect(kubeconfig=s.kubeconfig, context=s.context, namespace=s.namespace)
    manifests = render_schedule(plans, s, overrides, namespace=api.namespace)
    apply(api, manifests)
    where = f"{api.namespace}/{manifests.name}"
    print(
        f"Scheduled CronJob {where} ({s.schedule}, {s.time_zone}); each run: "
        f"{shlex.join(manifests.argv)}\nRun it now with: kubectl -n {api.namespace} create job "
        f"--from=cronjob/{manifests.name} {manifests.name}-manual",
        file=sys.stderr,
    )
    return f"scheduled as CronJob {where} ({s.schedule}, {s.time_zone}); nothing submitted now"
