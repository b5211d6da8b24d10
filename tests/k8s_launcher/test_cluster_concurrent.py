"""Two Kubernetes sweeps of the same members, planned at the same moment, train each content key
once (issue 16): the launcher claims its members in the run store before it submits their Jobs
(railyard_batch/execution/kubernetes/_claims.py), so the second launcher waits for the first's results
and records them as cached instead of submitting Jobs of its own."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from railyard_batch.execution.backends.base import Execution
from railyard_batch.execution.kubernetes import KubernetesBackend
from railyard_batch.execution.kubernetes._commands import wait_sweep
from railyard_batch.planning.plan import RunPlan
from railyard_batch.recording.store import RunStore
from railyard_batch.sweep import record_plans
from tests.conftest import Project
from tests.k8s_launcher.cluster_helpers import make_api, run_pod_locally, wait_until
from tests.k8s_launcher.plans import execute
from tests.k8s_launcher.test_cluster_sweep import fraud_plans, settings

pytestmark = pytest.mark.k8s
ONE_RUN = ("logistic_regression",)


def _run_pods(
    core: client.CoreV1Api, namespace: str, plans: list[RunPlan], cwd: Path, tmp: Path
) -> None:
    n_shards = sum(p.n_shards for p in plans)
    pods = wait_until(
        "one scheduled pod per shard",
        lambda: (
            (items := core.list_namespaced_pod(namespace).items)
            and len(items) >= n_shards
            and all(p.spec.node_name for p in items)
            and items
        ),
    )
    configmaps = {cm.metadata.name: cm for cm in core.list_namespaced_config_map(namespace).items}
    for pod in pods:
        cm = configmaps[pod.spec.volumes[0].config_map.name]
        assert run_pod_locally(pod, cm, cwd, tmp / pod.metadata.name) == 0


def test_a_second_sweep_waits_for_the_first_and_records_its_results_as_cached(
    project: Project,
    api: Any,
    namespace: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(project.root)
    first = fraud_plans(project, "20260101-000000-conc-a", ONE_RUN)
    second = fraud_plans(project, "20260101-000000-conc-b", ONE_RUN)
    # Both planned before either ran: neither finds the other's results in the cache.
    assert all(m.shard >= 0 for p in first + second for m in p.members)
    for plans in (first, second):
        record_plans(plans, experiment="fraud_v3", sweep_overrides=[], backend="kubernetes")
    k8s = make_api(api, namespace)
    core, batch = client.CoreV1Api(api), client.BatchV1Api(api)
    store = RunStore(first[0].store_url)

    assert (
        execute(KubernetesBackend(settings(namespace, wait=False), api=k8s), first).how
        is Execution.SUBMITTED
    )
    held = store.members(sweep_id=first[0].sweep_id)
    assert {m.state for m in held} == {"running"} and len({m.owner for m in held}) == 1
    # Not renewed by anyone (the launcher has gone): leased for the Jobs' deadline.
    assert min(m.lease_expires for m in held) > time.time() + 3600

    with ThreadPoolExecutor(max_workers=1) as pool:
        late = pool.submit(
            execute, KubernetesBackend(settings(namespace, wait=False), api=k8s), second
        )
        time.sleep(2.0)
        assert not late.done(), "the second launcher should wait for the first's members"
        assert "waiting for their results before submitting" in capsys.readouterr().err
        _run_pods(core, namespace, first, project.root, tmp_path)
        counts = wait_sweep(store, first[0].sweep_id, poll_seconds=0.3, timeout_s=120, api=k8s)
        assert counts == {"succeeded": sum(len(p.members) for p in first)}
        # Nothing left to submit: the sweep is over.
        assert late.result(timeout=60).how is Execution.FINISHED

    jobs = batch.list_namespaced_job(namespace).items
    assert {j.metadata.labels["railyard.dev/sweep-id"] for j in jobs} == {first[0].sweep_id}
    trained = {m.id: m for m in store.members(sweep_id=first[0].sweep_id)}
    copies = store.members(sweep_id=second[0].sweep_id)
    assert {m.state for m in copies} == {"cached"}
    assert all(trained[m.cached_from].content_key == m.content_key for m in copies)
    keys = Counter(
        m.content_key
        for sweep in (first, second)
        for m in store.members(sweep_id=sweep[0].sweep_id)
        if m.state == "succeeded"
    )
    assert set(keys.values()) == {1} and len(keys) == len(trained)
    store.close()
