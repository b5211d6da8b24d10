"""The control plane behaves like Kubernetes: scheduler, Job/CronJob controllers, RBAC (issue 3).

Pods never run: KWOK moves them through the stages in scripts/k8s/stages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import pytest
import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.k8s_cluster import (
    FAIL_EXIT_CODE_ANNOTATION,
    FAIL_LABEL,
    FAIL_REASON_ANNOTATION,
    GPU_LABEL,
    GPU_RESOURCE,
    GPU_TAINT,
    NODES,
    RUN_FOR_ANNOTATION,
    Cluster,
)

pytestmark = pytest.mark.k8s

T = TypeVar("T")
KWOK_NODE_NAMES = {node.name for node in NODES}
GPU_NODE_NAMES = {node.name for node in NODES if node.gpus}


def wait_until(
    what: str, probe: Callable[[], T | None], timeout_s: float = 60.0, every_s: float = 0.2
) -> T:
    """Returns the first truthy result of ``probe``; fails the test after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(every_s)


def job_manifest(
    name: str,
    *,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    backoff_limit: int = 0,
    **spec: Any,
) -> client.V1Job:
    container = client.V1Container(
        name="main",
        image="registry.invalid/railyard-worker:test",
        resources=client.V1ResourceRequirements(requests={"cpu": "100m", "memory": "64Mi"}),
    )
    template = client.V1PodTemplateSpec(
        metadata=client.V1ObjectMeta(labels=labels, annotations=annotations),
        spec=client.V1PodSpec(containers=[container], restart_policy="Never"),
    )
    return client.V1Job(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1JobSpec(template=template, backoff_limit=backoff_limit, **spec),
    )


def job_condition(
    batch: client.BatchV1Api, namespace: str, name: str, kind: str
) -> client.V1JobCondition | None:
    job = batch.read_namespaced_job(name, namespace)
    for condition in job.status.conditions or []:
        if condition.type == kind and condition.status == "True":
            return condition
    return None


def job_pods(core: client.CoreV1Api, namespace: str, job_name: str) -> list[client.V1Pod]:
    return core.list_namespaced_pod(
        namespace, label_selector=f"batch.kubernetes.io/job-name={job_name}"
    ).items


def gpu_pod(name: str) -> client.V1Pod:
    container = client.V1Container(
        name="main",
        image="registry.invalid/railyard-worker:test",
        resources=client.V1ResourceRequirements(limits={GPU_RESOURCE: "1"}),
    )
    toleration = client.V1Toleration(operator="Equal", **GPU_TAINT)
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PodSpec(containers=[container], tolerations=[toleration]),
    )


def set_cordoned(core: client.CoreV1Api, node_names: set[str], cordoned: bool) -> None:
    for name in node_names:
        core.patch_node(name, {"spec": {"unschedulable": cordoned}})


def test_job_pod_is_bound_to_a_kwok_node_and_the_job_completes(api: Any, namespace: str) -> None:
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    batch.create_namespaced_job(namespace, job_manifest("one"))

    wait_until("Job one Complete", lambda: job_condition(batch, namespace, "one", "Complete"))

    [pod] = job_pods(core, namespace, "one")
    assert pod.spec.node_name in KWOK_NODE_NAMES - GPU_NODE_NAMES  # GPU nodes are tainted
    assert pod.status.phase == "Succeeded"
    [status] = pod.status.container_statuses
    assert status.state.terminated.exit_code == 0
    assert batch.read_namespaced_job("one", namespace).status.succeeded == 1


def test_indexed_job_runs_every_index_exactly_once(api: Any, namespace: str) -> None:
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    batch.create_namespaced_job(
        namespace,
        job_manifest("indexed", completion_mode="Indexed", completions=100, parallelism=10),
    )

    most_active = 0

    def complete() -> client.V1JobCondition | None:
        nonlocal most_active
        most_active = max(
            most_active, batch.read_namespaced_job("indexed", namespace).status.active or 0
        )
        return job_condition(batch, namespace, "indexed", "Complete")

    wait_until("Indexed Job Complete", complete, timeout_s=180)

    pods = job_pods(core, namespace, "indexed")
    indexes = sorted(
        int(pod.metadata.annotations["batch.kubernetes.io/job-completion-index"]) for pod in pods
    )
    assert indexes == list(range(100))  # every index, and each one once
    assert {pod.status.phase for pod in pods} == {"Succeeded"}
    assert 0 < most_active <= 10
    status = batch.read_namespaced_job("indexed", namespace).status
    assert (status.succeeded, status.failed or 0, status.completed_indexes) == (100, 0, "0-99")


def test_gpu_pod_lands_on_a_gpu_node_and_stays_pending_when_they_are_cordoned(
    api: Any, namespace: str
) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_pod(namespace, gpu_pod("gpu"))
    node_name = wait_until(
        "gpu pod bound", lambda: core.read_namespaced_pod("gpu", namespace).spec.node_name
    )
    assert node_name in GPU_NODE_NAMES
    assert core.read_node(node_name).metadata.labels[GPU_LABEL] == "true"
    wait_until(
        "gpu pod Running",
        lambda: core.read_namespaced_pod("gpu", namespace).status.phase == "Running",
    )

    set_cordoned(core, GPU_NODE_NAMES, True)
    try:
        core.create_namespaced_pod(namespace, gpu_pod("gpu-cordoned"))

        def unschedulable() -> client.V1PodCondition | None:
            pod = core.read_namespaced_pod("gpu-cordoned", namespace)
            return next((c for c in pod.status.conditions or [] if c.type == "PodScheduled"), None)

        condition = wait_until("PodScheduled condition", unschedulable)
        assert (condition.status, condition.reason) == ("False", "Unschedulable")
        time.sleep(2)  # the scheduler retries; the pod must still be unbound
        pod = core.read_namespaced_pod("gpu-cordoned", namespace)
        assert pod.spec.node_name is None
        assert pod.status.phase == "Pending"
    finally:
        set_cordoned(core, GPU_NODE_NAMES, False)


def test_injected_oom_kill_is_retried_to_the_backoff_limit(api: Any, namespace: str) -> None:
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    job = job_manifest(
        "oom",
        labels={FAIL_LABEL: "true"},
        annotations={FAIL_EXIT_CODE_ANNOTATION: "137", FAIL_REASON_ANNOTATION: "OOMKilled"},
        backoff_limit=2,
    )
    batch.create_namespaced_job(namespace, job)

    # The Job controller waits 10s, then 20s, before recreating a failed pod.
    failed = wait_until(
        "Job oom Failed", lambda: job_condition(batch, namespace, "oom", "Failed"), timeout_s=120
    )

    assert failed.reason == "BackoffLimitExceeded"
    assert batch.read_namespaced_job("oom", namespace).status.failed == 3  # first try + 2 retries
    pods = job_pods(core, namespace, "oom")
    assert len(pods) == 3
    for pod in pods:
        assert pod.status.phase == "Failed"
        [status] = pod.status.container_statuses
        terminated = status.state.terminated
        assert (terminated.exit_code, terminated.reason) == (137, "OOMKilled")


def test_cronjob_controller_creates_a_job_on_schedule(api: Any, namespace: str) -> None:
    batch = client.BatchV1Api(api)
    template = client.V1JobTemplateSpec(spec=job_manifest("unused").spec)
    cronjob = client.V1CronJob(
        metadata=client.V1ObjectMeta(name="every-minute"),
        spec=client.V1CronJobSpec(
            schedule="* * * * *", job_template=template, concurrency_policy="Forbid"
        ),
    )
    batch.create_namespaced_cron_job(namespace, cronjob)

    # The CronJob controller works at one-minute granularity: this waits for a real run.
    [job] = wait_until(
        "a Job from the CronJob", lambda: batch.list_namespaced_job(namespace).items, timeout_s=90
    )

    [owner] = job.metadata.owner_references
    assert (owner.kind, owner.name) == ("CronJob", "every-minute")
    wait_until(
        "the CronJob's Job Complete",
        lambda: job_condition(batch, namespace, job.metadata.name, "Complete"),
    )

    def succeeded_once() -> client.V1CronJobStatus | None:
        status = batch.read_namespaced_cron_job("every-minute", namespace).status
        return status if status.last_successful_time else None

    status = wait_until("CronJob lastSuccessfulTime", succeeded_once)
    assert status.last_schedule_time is not None


def service_account_client(
    cluster: Cluster, api: Any, namespace: str, name: str
) -> client.ApiClient:
    """An ApiClient authenticated with a real token the API server issued to the ServiceAccount."""
    request = client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=600)
    )
    token = (
        client.CoreV1Api(api)
        .create_namespaced_service_account_token(name, namespace, request)
        .status.token
    )
    configuration = client.Configuration(
        host=cluster.server, api_key={"authorization": f"Bearer {token}"}
    )
    configuration.ssl_ca_cert = str(cluster.pki / "ca.crt")
    return client.ApiClient(configuration)


def is_allowed(api: Any, user: str, namespace: str, verb: str, group: str, resource: str) -> bool:
    attributes = client.V1ResourceAttributes(
        namespace=namespace, verb=verb, group=group, resource=resource
    )
    review = client.V1SubjectAccessReview(
        spec=client.V1SubjectAccessReviewSpec(user=user, resource_attributes=attributes)
    )
    return bool(client.AuthorizationV1Api(api).create_subject_access_review(review).status.allowed)


def forbidden(call: Callable[[], object]) -> bool:
    try:
        call()
    except ApiException as error:
        return error.status == 403
    return False


def test_rbac_limits_a_service_account_to_jobs_in_its_namespace(
    k8s_cluster: Cluster, api: Any, namespace: str
) -> None:
    core, rbac = client.CoreV1Api(api), client.RbacAuthorizationV1Api(api)
    other = f"{namespace}-other"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=other)))
    core.create_namespaced_service_account(
        namespace, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="submitter"))
    )
    rule = client.V1PolicyRule(
        api_groups=["batch"], resources=["jobs"], verbs=["get", "list", "watch", "create", "delete"]
    )
    rbac.create_namespaced_role(
        namespace, client.V1Role(metadata=client.V1ObjectMeta(name="jobs"), rules=[rule])
    )
    binding = client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name="submitter-jobs"),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name="jobs"),
        subjects=[
            client.RbacV1Subject(kind="ServiceAccount", name="submitter", namespace=namespace)
        ],
    )
    rbac.create_namespaced_role_binding(namespace, binding)
    user = f"system:serviceaccount:{namespace}:submitter"
    try:
        wait_until(
            "the RoleBinding to take effect",
            lambda: is_allowed(api, user, namespace, "create", "batch", "jobs"),
        )
        assert not is_allowed(api, user, namespace, "get", "", "secrets")
        assert not is_allowed(api, user, other, "create", "batch", "jobs")

        with service_account_client(k8s_cluster, api, namespace, "submitter") as as_submitter:
            batch, core_as_submitter = (
                client.BatchV1Api(as_submitter),
                client.CoreV1Api(as_submitter),
            )
            batch.create_namespaced_job(namespace, job_manifest("allowed"))
            assert [job.metadata.name for job in batch.list_namespaced_job(namespace).items] == [
                "allowed"
            ]
            assert forbidden(lambda: core_as_submitter.list_namespaced_secret(namespace))
            assert forbidden(lambda: batch.create_namespaced_job(other, job_manifest("elsewhere")))
            assert forbidden(lambda: batch.list_namespaced_job(other))
    finally:
        core.delete_namespace(other)


class ConfigMapWriter(threading.Thread):
    """Creates ConfigMaps one after another, retrying through API server outages."""

    def __init__(self, api: Any, namespace: str) -> None:
        super().__init__(daemon=True)
        self.core = client.CoreV1Api(api)
        self.namespace = namespace
        self.created: list[str] = []
        self.failed_attempts = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            name = f"cm-{len(self.created)}"
            body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name), data={"n": name})
            try:
                self.core.create_namespaced_config_map(self.namespace, body, _request_timeout=5)
                self.created.append(name)
            except ApiException as error:
                if error.status == 409:  # created just before the connection dropped
                    self.created.append(name)
                else:
                    self.failed_attempts += 1
            except (urllib3.exceptions.HTTPError, OSError):
                self.failed_attempts += 1
            time.sleep(0.05)


def test_objects_survive_an_api_server_restart_during_work(
    k8s_cluster: Cluster, api: Any, namespace: str
) -> None:
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    # A Job whose pod is still running when the API server goes away.
    batch.create_namespaced_job(
        namespace, job_manifest("across-restart", annotations={RUN_FOR_ANNOTATION: "8s"})
    )
    wait_until(
        "pod Running",
        lambda: [
            p for p in job_pods(core, namespace, "across-restart") if p.status.phase == "Running"
        ],
    )
    writer = ConfigMapWriter(api, namespace)
    writer.start()
    wait_until("some ConfigMaps before the restart", lambda: len(writer.created) >= 5)
    pid_before = k8s_cluster.pids()["kube-apiserver"]

    k8s_cluster.restart_apiserver()

    created_at_restart = len(writer.created)
    wait_until(
        "ConfigMaps after the restart", lambda: len(writer.created) >= created_at_restart + 5
    )
    writer.stopping.set()
    writer.join(timeout=10)
    assert k8s_cluster.pids()["kube-apiserver"] != pid_before
    assert writer.failed_attempts > 0, "the client never noticed the API server was down"
    stored = {cm.metadata.name for cm in core.list_namespaced_config_map(namespace).items}
    assert set(writer.created) <= stored
    assert {node.metadata.name for node in core.list_node().items} == KWOK_NODE_NAMES
    # Controllers, scheduler and KWOK reconnected: the running Job finishes, a new one runs.
    batch.create_namespaced_job(namespace, job_manifest("after-restart"))
    for name in ("across-restart", "after-restart"):
        wait_until(
            f"Job {name} Complete", partial(job_condition, batch, namespace, name, "Complete")
        )
