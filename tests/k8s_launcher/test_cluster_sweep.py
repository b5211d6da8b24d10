"""The fraud_v3 sweep on the real control plane: submitted as rendered, completed by KWOK,
results written by the pods' worker command (run here, as KWOK runs no container) and synced."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from hydra import compose, initialize_config_dir
from kubernetes import client

from railyard_batch.config import register_configs
from railyard_batch.execution.kubernetes import KubernetesBackend, KubernetesSettings
from railyard_batch.execution.kubernetes._commands import status, wait_sweep
from railyard_batch.planning.plan import RunPlan
from railyard_batch.recording.store import RunStore
from railyard_batch.sweep import plan_run, record_plans
from tests.conftest import Project
from tests.k8s_launcher.cluster_helpers import make_api, run_pod_locally, wait_until
from tests.k8s_launcher.plans import execute

pytestmark = pytest.mark.k8s
REPO = Path(__file__).resolve().parents[2]
ESTIMATORS = ("logistic_regression", "random_forest", "xgboost")


def fraud_plans(
    project: Project, sweep_id: str, estimators: tuple[str, ...] = ESTIMATORS
) -> list[RunPlan]:
    register_configs()
    plans = []
    with initialize_config_dir(config_dir=str(project.root / "conf"), version_base="1.3"):
        for num, estimator in enumerate(estimators):
            overrides = [
                "+experiment=fraud_v3",
                f"estimator={estimator}",
                "fanout.min_rows=300",
                "execution.shards_per_worker=2",
                "estimator.n_estimators=20"
                if estimator != "logistic_regression"
                else "split.seed=0",
            ]
            cfg = compose("config", overrides=overrides)
            plans.append(
                plan_run(cfg, sweep_id=sweep_id, job_num=num, overrides=overrides, workers=1)
            )
    return plans


def settings(namespace: str, **kw: Any) -> KubernetesSettings:
    return KubernetesSettings(
        namespace=namespace,
        instance_classes=str(REPO / "conf" / "kubernetes" / "instance_classes.yaml"),
        poll_seconds=0.3,
        **kw,
    )


def contains(expected: Any, actual: Any, path: str = "") -> str | None:
    """Where ``actual`` (a server object) lacks or changed something ``expected`` sets."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return path
        for key, value in expected.items():
            problem = contains(value, actual.get(key), f"{path}.{key}")
            if problem:
                return problem
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return path
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            problem = contains(e, a, f"{path}[{i}]")
            if problem:
                return problem
        return None
    return None if expected == actual else f"{path}: {expected!r} != {actual!r}"


def test_fraud_v3_sweep_runs_as_rendered_and_syncs_results(
    project: Project, api: Any, namespace: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(project.root)
    plans = fraud_plans(project, "20260101-000000-fraud3")
    k8s = make_api(api, namespace)

    # The dry run, then the real submit, through the same code path. (A dry run records
    # nothing itself: the sweep layer marks the members skipped, and here there is none yet.)
    out = io.StringIO()
    execute(KubernetesBackend(settings(namespace, dry_run=True), out=out), plans)
    dry = list(yaml.safe_load_all(out.getvalue()))
    record_plans(plans, experiment="fraud_v3", sweep_overrides=[], backend="kubernetes")
    store = RunStore(plans[0].store_url)
    execute(KubernetesBackend(settings(namespace, wait=False), api=k8s), plans)

    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    serialize = api.sanitize_for_serialization
    for obj in dry:
        name = obj["metadata"]["name"]
        if obj["kind"] == "Job":
            server = serialize(batch.read_namespaced_job(name, namespace))
        else:
            server = serialize(core.read_namespaced_config_map(name, namespace))
            assert server["metadata"]["ownerReferences"][0]["name"] == name.removesuffix("-plan")
        assert contains(obj, server) is None, f"{obj['kind']} {name}: {contains(obj, server)}"
        # And the server's own validation accepts the rendered object as is.
        create = (
            batch.create_namespaced_job
            if obj["kind"] == "Job"
            else core.create_namespaced_config_map
        )
        renamed = {**obj, "metadata": {**obj["metadata"], "name": name + "-dry"}}
        create(namespace, renamed, dry_run="All")

    n_shards = sum(p.n_shards for p in plans)
    # A pod runs once it is scheduled: wait for every pod's node, as the kubelet would.
    pods = wait_until(
        "one scheduled pod per shard",
        lambda: (
            (items := core.list_namespaced_pod(namespace).items)
            and len(items) >= n_shards
            and all(p.spec.node_name for p in items)
            and items
        ),
    )
    assert len(pods) == n_shards
    configmaps = {cm.metadata.name: cm for cm in core.list_namespaced_config_map(namespace).items}
    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(
            pool.map(
                lambda pod: run_pod_locally(
                    pod,
                    configmaps[pod.spec.volumes[0].config_map.name],
                    project.root,
                    tmp_path / pod.metadata.name,
                ),
                pods,
            )
        )
    assert codes == [0] * len(pods)

    counts = wait_sweep(store, plans[0].sweep_id, poll_seconds=0.3, timeout_s=120, api=k8s)
    total = sum(len(p.members) for p in plans)
    assert counts == {"succeeded": total}
    members = store.members(sweep_id=plans[0].sweep_id)
    assert all(m.metrics and m.metrics["roc_auc"] > 0 for m in members)
    # Each member records the node its pod was scheduled on (downward API, then the watch).
    nodes = {p.spec.node_name for p in core.list_namespaced_pod(namespace).items}
    assert None not in nodes and {m.node for m in members} <= nodes
    report = status(store, plans[0].sweep_id, api=k8s)
    assert [j["state"] for j in report["jobs"]] == ["complete"] * 3
    store.close()
