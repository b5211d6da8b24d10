"""Failures on the real control plane: OOM kills retried per shard then explained, config
errors not retried, GPU placement and waiting, a killed launcher, a restarted API server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from railyard_batch.execution.kubernetes import (
    KubernetesBackend,
    KubernetesError,
    KubernetesSettings,
)
from railyard_batch.execution.kubernetes._commands import cancel, status, wait_sweep
from railyard_batch.recording.store import RunStore
from railyard_batch.sweep import record_plans
from tests.k8s_cluster import (
    FAIL_EXIT_CODE_ANNOTATION,
    FAIL_LABEL,
    FAIL_REASON_ANNOTATION,
    IMAGE_PULL_FAILS_LABEL,
    NODES,
    RUN_FOR_ANNOTATION,
    Cluster,
)
from tests.k8s_launcher import submit_sweep
from tests.k8s_launcher.cluster_helpers import make_api, wait_until
from tests.k8s_launcher.plans import execute, recorded_plans

pytestmark = pytest.mark.k8s
REPO = Path(__file__).resolve().parents[2]
GPU_NODES = {n.name for n in NODES if n.gpus}


def settings(namespace: str, **kw: Any) -> KubernetesSettings:
    return KubernetesSettings(
        namespace=namespace,
        instance_classes=str(REPO / "conf" / "kubernetes" / "instance_classes.yaml"),
        poll_seconds=0.3,
        **kw,
    )


recorded = recorded_plans


def pods_per_index(api: Any, namespace: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for pod in client.CoreV1Api(api).list_namespaced_pod(namespace).items:
        index = pod.metadata.labels["batch.kubernetes.io/job-completion-index"]
        out[index] = out.get(index, 0) + 1
    return out


def test_an_oom_kill_is_retried_per_shard_then_reported_with_advice(
    api: Any, namespace: str, tmp_path: Path
) -> None:
    plans = recorded(tmp_path, "20260101-000000-oom137", members=4, shards=2)
    s = settings(
        namespace,
        backoff_limit_per_index=1,
        pod_labels={FAIL_LABEL: "true"},
        pod_annotations={FAIL_EXIT_CODE_ANNOTATION: "137", FAIL_REASON_ANNOTATION: "OOMKilled"},
    )
    execute(KubernetesBackend(s, api=make_api(api, namespace)), plans)
    members = RunStore(plans[0].store_url).members(sweep_id=plans[0].sweep_id)
    assert {m.state for m in members} == {"failed"}
    for m in members:
        assert "after 2 attempt(s)" in m.reason, m.reason
        assert "OOMKilled (exit 137)" in m.reason and "raise resources.memory" in m.reason
    assert pods_per_index(api, namespace) == {"0": 2, "1": 2}


def test_a_config_error_is_not_retried(api: Any, namespace: str, tmp_path: Path) -> None:
    plans = recorded(tmp_path, "20260101-000000-cfgerr", members=4, shards=2)
    s = settings(
        namespace,
        backoff_limit_per_index=3,
        pod_labels={FAIL_LABEL: "true"},
        pod_annotations={FAIL_EXIT_CODE_ANNOTATION: "2"},
    )
    execute(KubernetesBackend(s, api=make_api(api, namespace)), plans)
    members = RunStore(plans[0].store_url).members(sweep_id=plans[0].sweep_id)
    assert {m.state for m in members} == {"failed"}
    assert all("config error (exit 2, not retried)" in m.reason for m in members)
    assert pods_per_index(api, namespace) == {"0": 1, "1": 1}


def test_gpu_members_land_on_gpu_nodes_and_status_says_why_others_wait(
    api: Any, namespace: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two GPU nodes of 8 GPUs: two shards of 8 GPUs run, the third cannot be placed.
    plans = recorded(
        tmp_path,
        "20260101-000000-gpu888",
        members=3,
        shards=3,
        resources={"gpu": 8, "instance_class": "gpu", "memory": "1Gi"},
    )
    k8s = make_api(api, namespace)
    s = settings(namespace, wait=False, pod_annotations={RUN_FOR_ANNOTATION: "120s"})
    execute(KubernetesBackend(s, api=k8s), plans)
    core = client.CoreV1Api(api)

    def placed() -> list[Any] | None:
        pods = core.list_namespaced_pod(namespace).items
        running = [p for p in pods if p.status.phase == "Running"]
        return pods if len(pods) == 3 and len(running) == 2 else None

    pods = wait_until("two GPU pods running", placed)
    assert {p.spec.node_name for p in pods if p.status.phase == "Running"} <= GPU_NODES
    store = RunStore(plans[0].store_url)
    report = wait_until(
        "status to explain the waiting pod",
        lambda: (r := status(store, plans[0].sweep_id, api=k8s))["jobs"][0]["waiting"] and r,
    )
    (reason,) = report["jobs"][0]["waiting"]
    assert reason.startswith("Unschedulable:") and "nvidia.com/gpu" in reason, reason
    assert report["jobs"][0]["state"] == "running"
    # A waiting launcher says the same on its progress line.
    with pytest.raises(KubernetesError, match="still running after 3s"):
        wait_sweep(store, plans[0].sweep_id, poll_seconds=0.3, timeout_s=3, api=k8s, progress=True)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("members: 0/3 done (2 pod(s) running; 1 pod(s) waiting: Unschedulable:")
    # Cancel frees the GPUs for the other tests; members not finished are recorded so.
    assert cancel(store, plans[0].sweep_id, api=k8s) == 1
    assert {m.state for m in store.members(sweep_id=plans[0].sweep_id)} == {"failed"}


def test_a_job_deleted_behind_the_launchers_back_closes_its_members_at_status(
    api: Any, namespace: str, tmp_path: Path
) -> None:
    """Issue 16: the pods' state is evidence. A Job deleted while nobody watches (an operator,
    a TTL, a removed namespace) leaves no pod to run its members; the next look at the sweep
    records them failed with that reason and closes the sweep instead of showing it running."""
    plans = recorded(tmp_path, "20260101-000000-gone01", members=2, shards=1)
    k8s = make_api(api, namespace)
    s = settings(namespace, wait=False, pod_annotations={RUN_FOR_ANNOTATION: "120s"})
    execute(KubernetesBackend(s, api=k8s), plans)
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    wait_until(
        "the shard's pod running",
        lambda: any(p.status.phase == "Running" for p in core.list_namespaced_pod(namespace).items),
    )
    (job,) = batch.list_namespaced_job(namespace).items
    batch.delete_namespaced_job(job.metadata.name, namespace, propagation_policy="Background")
    wait_until("the Job gone", lambda: not batch.list_namespaced_job(namespace).items)
    store = RunStore(plans[0].store_url)
    report = status(store, plans[0].sweep_id, api=k8s)
    assert report["jobs"][0]["state"] == "missing"
    assert report["members"] == {"failed": 2}
    members = store.members(sweep_id=plans[0].sweep_id)
    assert all("no longer exists" in m.reason for m in members), members
    sweep = store.sweep(plans[0].sweep_id)
    assert sweep.state == "failed" and sweep.finished_at, sweep
    store.close()


def test_a_job_whose_image_cannot_be_pulled_is_deleted_and_its_members_say_why(
    api: Any, namespace: str, tmp_path: Path
) -> None:
    """Kubernetes retries an image pull until the Job's deadline (a day by default); the
    launcher gives up after hydra.launcher.image_pull_timeout_seconds instead."""
    plans = recorded(tmp_path, "20260101-000000-pull01", members=4, shards=2)
    s = settings(
        namespace, pod_labels={IMAGE_PULL_FAILS_LABEL: "true"}, image_pull_timeout_seconds=2
    )
    started = time.monotonic()
    execute(KubernetesBackend(s, api=make_api(api, namespace)), plans)
    assert time.monotonic() - started < 60
    store = RunStore(plans[0].store_url)
    members = store.members(sweep_id=plans[0].sweep_id)
    store.close()
    assert {m.state for m in members} == {"failed"} and len(members) == 4
    for member in members:
        assert "could not pull their image for 2s" in member.reason, member.reason
        assert "ImagePullBackOff" in member.reason and "hydra.launcher.image" in member.reason
    wait_until(
        "the Job to be deleted",
        lambda: not client.BatchV1Api(api).list_namespaced_job(namespace).items,
    )


def count(api: Any, namespace: str) -> tuple[int, int]:
    jobs = client.BatchV1Api(api).list_namespaced_job(namespace).items
    cms = [
        c
        for c in client.CoreV1Api(api).list_namespaced_config_map(namespace).items
        if c.metadata.name.endswith("-plan")
    ]
    return len(jobs), len(cms)


def test_kill_9_mid_submission_then_resubmit_creates_no_duplicate(
    k8s_cluster: Cluster, api: Any, namespace: str, tmp_path: Path
) -> None:
    n = 60
    argv = [
        sys.executable, "-m", "tests.k8s_launcher.submit_sweep",
        str(k8s_cluster.kubeconfig), namespace, str(tmp_path / "artifacts"), str(n),
    ]  # fmt: skip
    child = subprocess.Popen(argv, cwd=REPO)
    seen = wait_until("the first Job", lambda: count(api, namespace)[0] or None, timeout_s=60)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    at_kill = count(api, namespace)
    assert seen >= 1 and at_kill[0] < n, f"submission finished before the kill: {at_kill}"
    uids = {
        j.metadata.name: j.metadata.uid
        for j in client.BatchV1Api(api).list_namespaced_job(namespace).items
    }

    subprocess.run(argv, cwd=REPO, check=True)
    assert count(api, namespace) == (n, n)
    after = {
        j.metadata.name: j.metadata.uid
        for j in client.BatchV1Api(api).list_namespaced_job(namespace).items
    }
    assert all(after[name] == uid for name, uid in uids.items())  # adopted, not replaced

    # Every member is accounted for: KWOK completes the pods, which wrote no outcome here.
    plans = submit_sweep.plans(str(tmp_path / "artifacts"), f"sqlite:///{tmp_path / 'r.db'}", n)
    record_plans(plans, experiment="t", sweep_overrides=[], backend="kubernetes")
    store = RunStore(plans[0].store_url)
    counts = wait_sweep(
        store, submit_sweep.SWEEP, poll_seconds=0.3, timeout_s=120, api=make_api(api, namespace)
    )
    assert counts == {"failed": 2 * n}
    assert all(
        "wrote no outcome.json" in m.reason for m in store.members(sweep_id=submit_sweep.SWEEP)
    )


def test_ctrl_c_while_waiting_leaves_the_jobs_running_and_says_how_to_reattach(
    k8s_cluster: Cluster, api: Any, namespace: str, tmp_path: Path
) -> None:
    argv = [
        sys.executable, "-m", "tests.k8s_launcher.submit_sweep",
        str(k8s_cluster.kubeconfig), namespace, str(tmp_path / "artifacts"), "2", "wait",
    ]  # fmt: skip
    child = subprocess.Popen(argv, cwd=REPO, stderr=subprocess.PIPE, text=True)
    wait_until("both Jobs", lambda: count(api, namespace) == (2, 2), timeout_s=60)
    time.sleep(1)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=30)
    assert child.returncode != 0
    assert f"Re-attach with: railyard-batch wait {submit_sweep.SWEEP}" in stderr
    jobs = client.BatchV1Api(api).list_namespaced_job(namespace).items
    assert len(jobs) == 2 and all(not (j.status.conditions or []) for j in jobs)
