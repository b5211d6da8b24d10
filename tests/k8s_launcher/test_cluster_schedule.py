"""Scheduled re-runs on the real control plane: the CronJob and its RBAC objects as rendered,
updated in place by the same command, a triggered run completed by KWOK, and the launcher
account's permissions checked by the API server's own RBAC (a token of that account)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from railyard_batch.execution.backends.base import Execution
from railyard_batch.execution.kubernetes import (
    Api,
    KubernetesBackend,
    KubernetesError,
    KubernetesSettings,
)
from railyard_batch.execution.kubernetes._render import render_sweep
from railyard_batch.execution.kubernetes._schedule import (
    CRONJOB_NAME_MAX,
    LAUNCHER_ACCOUNT,
    job_from_cronjob,
    render_schedule,
)
from railyard_batch.execution.kubernetes._submit import submit
from railyard_batch.planning.plan import RunPlan
from railyard_batch.recording.outcomes import OutcomeRecorder
from railyard_batch.recording.store import RunStore
from railyard_batch.sweep import record_execution
from tests.k8s_launcher.cluster_helpers import make_api, wait_until
from tests.k8s_launcher.plans import execute, recorded_plans
from tests.k8s_launcher.test_cluster_sweep import contains
from tests.k8s_launcher.test_injection import PAYLOADS
from tests.k8s_launcher.test_schedule import (
    BAD_SCHEDULES,
    GOOD_SCHEDULES,
    kubelet_expand,
    pod_spec,
)

pytestmark = pytest.mark.k8s
REPO = Path(__file__).resolve().parents[2]
CLASSES = str(REPO / "conf" / "kubernetes" / "instance_classes.yaml")
HOSTILE = "".join(PAYLOADS) + "$(HOME)$$"
OVERRIDES = [
    "+experiment=fraud_v3",
    "estimator=logistic_regression,xgboost",
    f"params.note={HOSTILE}",
    "hydra/launcher=kubernetes",
    "hydra.launcher.schedule=@weekly",
    "hydra.mode=MULTIRUN",
]


def settings(namespace: str, **kw: Any) -> KubernetesSettings:
    values: dict[str, Any] = {
        "namespace": namespace,
        "instance_classes": CLASSES,
        "schedule": "@weekly",
        "poll_seconds": 0.3,
        **kw,
    }
    return KubernetesSettings(**values)


def recorded(tmp_path: Path, sweep_id: str, n_runs: int = 2) -> list[RunPlan]:
    return recorded_plans(tmp_path, sweep_id, n_runs, experiment="fraud_v3", members=3, shards=2)


def _calls(api: Any, kind: str) -> tuple[Any, Any]:
    """The list and read calls of ``kind``, as cluster admin."""
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    rbac = client.RbacAuthorizationV1Api(api)
    return {
        "ServiceAccount": (
            core.list_namespaced_service_account,
            core.read_namespaced_service_account,
        ),
        "Role": (rbac.list_namespaced_role, rbac.read_namespaced_role),
        "RoleBinding": (rbac.list_namespaced_role_binding, rbac.read_namespaced_role_binding),
        "CronJob": (batch.list_namespaced_cron_job, batch.read_namespaced_cron_job),
        "Job": (batch.list_namespaced_job, batch.read_namespaced_job),
    }[kind]


def server_objects(api: Any, namespace: str, kind: str) -> list[dict[str, Any]]:
    listing = _calls(api, kind)[0](
        namespace, label_selector="app.kubernetes.io/managed-by=railyard-batch"
    )
    items: list[dict[str, Any]] = api.sanitize_for_serialization(listing)["items"]
    return items


def server_object(api: Any, namespace: str, kind: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = api.sanitize_for_serialization(_calls(api, kind)[1](name, namespace))
    return found


def dry_create(api: Any, obj: dict[str, Any], name: str) -> None:
    """Create ``obj`` renamed, with the server's validation and admission, storing nothing."""
    body = {**obj, "metadata": {**obj["metadata"], "name": name}}
    ns = obj["metadata"]["namespace"]
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    rbac = client.RbacAuthorizationV1Api(api)
    create = {
        "ServiceAccount": core.create_namespaced_service_account,
        "Role": rbac.create_namespaced_role,
        "RoleBinding": rbac.create_namespaced_role_binding,
        "CronJob": batch.create_namespaced_cron_job,
    }[obj["kind"]]
    create(ns, body, dry_run="All")


def test_the_schedule_exists_as_rendered_and_the_same_command_updates_it(
    api: Any, namespace: str, tmp_path: Path
) -> None:
    plans = recorded(tmp_path, "20260101-000000-sched1")
    k8s = make_api(api, namespace)
    s = settings(namespace, time_zone="Europe/Berlin")
    executed = execute(KubernetesBackend(s, api=k8s, overrides=OVERRIDES), plans)
    assert executed.how is Execution.SCHEDULED
    # The backend reports; the sweep layer records (what execute_sweep does next).
    with closing(RunStore(plans[0].store_url)) as store:
        record_execution(OutcomeRecorder.over(store), plans, executed)
    rendered = render_schedule(plans, s, OVERRIDES, namespace=namespace)

    for obj in rendered.objects:
        server = server_object(api, namespace, obj["kind"], obj["metadata"]["name"])
        assert contains(obj, server) is None, f"{obj['kind']}: {contains(obj, server)}"
        dry_create(api, obj, obj["metadata"]["name"][:40] + "-dry")
    (cron,) = server_objects(api, namespace, "CronJob")
    # The hostile override reached the server as one argument the container gets verbatim.
    command = pod_spec(cron)["containers"][0]["command"]
    assert [kubelet_expand(a, {"HOME": "/tmp"}) for a in command] == rendered.argv
    assert f"params.note={HOSTILE}" in rendered.argv
    members = RunStore(plans[0].store_url).members(sweep_id=plans[0].sweep_id)
    assert {m.state for m in members} == {"skipped"}
    assert members[0].reason.startswith(f"scheduled as CronJob {namespace}/{rendered.name}")
    assert server_objects(api, namespace, "Job") == []  # nothing ran now

    # The same command again, at another time, with another image: the same CronJob, updated.
    again = [*OVERRIDES[:4], "hydra.launcher.schedule='0 3 * * 1'", "hydra.launcher.image=r/x:2"]
    s2 = settings(namespace, schedule="0 3 * * 1", image="r/x:2")
    execute(KubernetesBackend(s2, api=k8s, overrides=again), plans)
    (updated,) = server_objects(api, namespace, "CronJob")
    assert updated["metadata"]["name"] == cron["metadata"]["name"]
    assert updated["metadata"]["uid"] == cron["metadata"]["uid"]  # replaced, not re-created
    assert updated["spec"]["schedule"] == "0 3 * * 1"
    assert updated["spec"]["timeZone"] == "Etc/UTC"
    assert pod_spec(updated)["containers"][0]["image"] == "r/x:2"
    assert "r/x:2" in updated["metadata"]["annotations"]["railyard.dev/overrides"]
    assert len(server_objects(api, namespace, "Role")) == 1
    assert len(server_objects(api, namespace, "ServiceAccount")) == 1

    # Another sweep (another estimator) is another schedule, beside the first.
    other = ["+experiment=fraud_v3", "estimator=xgboost", *OVERRIDES[3:]]
    execute(KubernetesBackend(settings(namespace), api=k8s, overrides=other), plans)
    names = sorted(o["metadata"]["name"] for o in server_objects(api, namespace, "CronJob"))
    assert len(names) == 2 and cron["metadata"]["name"] in names


def test_the_api_server_agrees_on_names_schedules_and_time_zones(
    api: Any, namespace: str, tmp_path: Path
) -> None:
    plans = recorded(tmp_path, "20260101-000000-sched2", n_runs=1)
    cron = render_schedule(plans, settings(namespace), OVERRIDES, namespace=namespace).cronjob

    def verdict(obj: dict[str, Any], name: str) -> int | None:
        try:
            dry_create(api, obj, name)
        except ApiException as exc:
            return int(exc.status)
        return None

    # A CronJob name may have 52 characters, not 53: what cronjob_name keeps to.
    assert CRONJOB_NAME_MAX == 52
    assert verdict(cron, "a" * 52) is None
    assert verdict(cron, "a" * 53) == 422
    for schedule in GOOD_SCHEDULES:
        obj = {**cron, "spec": {**cron["spec"], "schedule": schedule}}
        assert verdict(obj, "good") is None, schedule
    for schedule, _ in BAD_SCHEDULES:
        obj = {**cron, "spec": {**cron["spec"], "schedule": schedule}}
        assert verdict(obj, "bad") == 422, schedule
    for zone, expected in (("Asia/Kolkata", None), ("Mars/Olympus", 422), ("Local", 422)):
        obj = {**cron, "spec": {**cron["spec"], "timeZone": zone}}
        assert verdict(obj, "zone") == expected, zone


@pytest.fixture
def store_claim(api: Any, namespace: str, tmp_path: Path) -> Iterator[str]:
    """A PersistentVolumeClaim bound to a hostPath volume (no provisioner in this cluster)."""
    core = client.CoreV1Api(api)
    volume = f"railyard-store-{uuid.uuid4().hex[:8]}"
    core.create_persistent_volume(
        {
            "metadata": {"name": volume},
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "",
                "hostPath": {"path": str(tmp_path / "store")},
                "claimRef": {"namespace": namespace, "name": "railyard-store"},
            },
        }
    )
    core.create_namespaced_persistent_volume_claim(
        namespace,
        {
            "metadata": {"name": "railyard-store"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "",
                "volumeName": volume,
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )
    wait_until(
        "the claim to bind",
        lambda: (
            core.read_namespaced_persistent_volume_claim("railyard-store", namespace).status.phase
            == "Bound"
        ),
    )
    yield "railyard-store"
    core.delete_persistent_volume(volume)


def test_a_triggered_run_completes_and_goes_with_its_cronjob(
    api: Any, namespace: str, tmp_path: Path, store_claim: str
) -> None:
    plans = recorded(tmp_path, "20260101-000000-sched3", n_runs=1)
    s = settings(namespace, store_volume_claim=store_claim)
    execute(KubernetesBackend(s, api=make_api(api, namespace), overrides=OVERRIDES), plans)
    (cron,) = server_objects(api, namespace, "CronJob")

    # kubectl create job --from=cronjob/NAME: the jobTemplate, owned by the CronJob.
    batch = client.BatchV1Api(api)
    batch.create_namespaced_job(namespace, job_from_cronjob(cron, "manual-run"))
    wait_until(
        "the triggered Job to complete",
        lambda: any(
            c.type == "Complete" and c.status == "True"
            for c in (batch.read_namespaced_job("manual-run", namespace).status.conditions or [])
        ),
    )
    (pod,) = (
        client.CoreV1Api(api)
        .list_namespaced_pod(namespace, label_selector="job-name=manual-run")
        .items
    )
    assert pod.status.phase == "Succeeded"
    assert pod.spec.service_account_name == LAUNCHER_ACCOUNT
    # The token the in-cluster config reads is mounted (the ServiceAccount admission did it).
    (container,) = pod.spec.containers
    mounts = {m.mount_path: m.name for m in container.volume_mounts}
    assert "/var/run/secrets/kubernetes.io/serviceaccount" in mounts
    assert mounts["/var/lib/railyard"] == "store" and mounts["/tmp"] == "scratch"
    assert container.command == pod_spec(cron)["containers"][0]["command"]
    assert "store.url=sqlite:////var/lib/railyard/railyard.db" in container.command

    # Deleting the schedule takes its Jobs with it (the ownerReference is real).
    batch.delete_namespaced_cron_job(
        cron["metadata"]["name"], namespace, propagation_policy="Foreground"
    )
    wait_until(
        "the garbage collector to delete the triggered Job",
        lambda: not batch.list_namespaced_job(namespace).items,
    )


def token_client(api: Any, namespace: str, account: str) -> Any:
    """An ApiClient acting as ``account``, with a token from the TokenRequest API."""
    request = client.CoreV1Api(api).create_namespaced_service_account_token(
        account, namespace, {"spec": {"expirationSeconds": 600}}
    )
    config = client.Configuration()
    config.host = api.configuration.host
    config.ssl_ca_cert = api.configuration.ssl_ca_cert
    config.verify_ssl = api.configuration.verify_ssl
    config.api_key = {"authorization": f"Bearer {request.status.token}"}
    return client.ApiClient(config)


def test_the_launcher_account_can_run_a_sweep_and_nothing_more(
    api: Any, namespace: str, tmp_path: Path
) -> None:
    plans = recorded(tmp_path, "20260101-000000-sched4")
    execute(
        KubernetesBackend(settings(namespace), api=make_api(api, namespace), overrides=OVERRIDES),
        plans,
    )
    with token_client(api, namespace, LAUNCHER_ACCOUNT) as as_launcher:
        launcher = Api(as_launcher, namespace, retry_for_s=5)
        # (a) What the scheduled pod does: submit a sweep (create, adopt on a second submit)
        # and follow it to the end (list Jobs and pods), as this account.
        sweep = recorded(tmp_path / "sweep", "20260101-000000-asacct")
        backend = KubernetesBackend(settings(namespace, schedule=None), api=launcher)
        assert execute(backend, sweep).how is Execution.FINISHED
        runs = render_sweep(sweep, settings(namespace, schedule=None), namespace=namespace)
        assert submit(launcher, runs) == [run.name for run in runs]  # 409, then get: adopted
        jobs = server_objects(api, namespace, "Job")
        assert sorted(j["metadata"]["name"] for j in jobs) == sorted(run.name for run in runs)
        store = RunStore(sweep[0].store_url)
        counts = store.state_counts(sweep[0].sweep_id)
        store.close()
        assert sum(counts.values()) == sum(len(p.members) for p in sweep)
        assert "queued" not in counts and "running" not in counts

        # (b) Nothing else: no Secrets, no other namespace, no other deletes, no new schedules,
        # nothing cluster-wide. The API server says 403 to each.
        core, batch = client.CoreV1Api(as_launcher), client.BatchV1Api(as_launcher)
        job = runs[0].job
        elsewhere = {**job, "metadata": {**job["metadata"], "namespace": "default"}}
        cron = server_objects(api, namespace, "CronJob")[0]
        cron["metadata"] = {"name": "another", "namespace": namespace}
        refused = {
            "list secrets": lambda: core.list_namespaced_secret(namespace),
            "read a secret": lambda: core.read_namespaced_secret("any", namespace),
            "create a Job in default": lambda: batch.create_namespaced_job("default", elsewhere),
            "delete a ConfigMap": lambda: core.delete_namespaced_config_map(
                runs[0].configmap["metadata"]["name"], namespace
            ),
            "create a CronJob": lambda: batch.create_namespaced_cron_job(namespace, cron),
            "list nodes": lambda: core.list_node(),
            "list pods everywhere": lambda: core.list_pod_for_all_namespaces(),
        }
        for what, call in refused.items():
            with pytest.raises(ApiException) as info:
                call()
            assert info.value.status == 403, what
        # Through the launcher's own code path, the refusal is one clear error.
        with pytest.raises(KubernetesError, match=r"HTTP 403.*forbidden") as refusal:
            submit(Api(as_launcher, "default", retry_for_s=5), runs)
        assert refusal.value.status == 403
