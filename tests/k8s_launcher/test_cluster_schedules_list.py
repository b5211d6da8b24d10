"""``railyard-batch schedules list`` against the real control plane: a sweep scheduled by the
real CLI from a git + DVC project is listed with the commit it was scheduled from, its
triggered run (completed by KWOK) with its state, and its drift from HEAD: none at the same
commit or after a commit that touches no sweep file, drifted after a config change, with a
``plan`` command that runs and shows the retrained members."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from railyard_batch.execution.kubernetes._schedule import job_from_cronjob
from railyard_batch.execution.kubernetes._schedules import drift
from tests.conftest import Project
from tests.k8s_cluster import Cluster
from tests.k8s_launcher.cluster_helpers import wait_until
from tests.k8s_launcher.test_cluster_schedule import store_claim  # noqa: F401 (a fixture)
from tests.test_dvc_reproduce import BIN, sh

pytestmark = pytest.mark.k8s


def _listed(project: Project, k8s_cluster: Cluster, namespace: str) -> list[dict[str, Any]]:
    result = project.run(
        "schedules",
        "list",
        "--kubeconfig",
        str(k8s_cluster.kubeconfig),
        "--namespace",
        namespace,
        "--json",
    )
    assert result.returncode == 0, result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def _commit(root: Path, message: str) -> str:
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-qm", message)
    return sh(root, "git", "rev-parse", "HEAD").strip()


def test_a_schedule_is_listed_with_its_runs_and_its_drift_from_head(
    project: Project,
    k8s_cluster: Cluster,
    namespace: str,
    api: Any,
    store_claim: str,  # noqa: F811
) -> None:
    root = project.root
    (root / ".gitignore").write_text("runs/\nmultirun/\noutputs/\nserve.log\n")
    sh(root, "git", "init", "-q", "-b", "main")
    sh(root, str(BIN / "dvc"), "init", "-q")
    sh(root, str(BIN / "dvc"), "add", "-q", "data/transactions.parquet")
    scheduled = _commit(root, "base")

    assert _listed(project, k8s_cluster, namespace) == []
    result = project.run(
        "+experiment=fraud_v3",
        "-m",
        "estimator=logistic_regression",
        "fanout.min_rows=300",
        "hydra/launcher=kubernetes",
        f"hydra.launcher.kubeconfig={k8s_cluster.kubeconfig}",
        f"hydra.launcher.namespace={namespace}",
        "hydra.launcher.schedule=0 3 * * 1",
        "hydra.launcher.time_zone=Europe/Paris",
        f"hydra.launcher.store_volume_claim={store_claim}",
        f"store.artifact_root={root / 'artifacts'}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Scheduled CronJob" in result.stderr

    (item,) = _listed(project, k8s_cluster, namespace)
    assert item["schedule"] == "0 3 * * 1" and item["time_zone"] == "Europe/Paris"
    assert item["experiment"] == "fraud_v3" and item["git_commit"] == scheduled
    assert item["runs"] == [] and len(item["config_hashes"]) == 1
    assert item["drift"] == {"drifted": False, "why": "HEAD is the scheduled commit", "files": []}

    # A run of the schedule, as the CronJob controller (or kubectl create job --from) makes it.
    batch = client.BatchV1Api(api)
    cron = api.sanitize_for_serialization(batch.read_namespaced_cron_job(item["name"], namespace))
    batch.create_namespaced_job(namespace, job_from_cronjob(cron, f"{item['name']}-manual"))
    wait_until(
        "the triggered run to be listed as succeeded",
        lambda: (
            [r["state"] for r in _listed(project, k8s_cluster, namespace)[0]["runs"]]
            == ["succeeded"]
        ),
        timeout_s=120,
    )
    (run,) = _listed(project, k8s_cluster, namespace)[0]["runs"]
    assert run["job"] == f"{item['name']}-manual" and run["git_commit"] == scheduled
    assert run["started"] and run["finished"]

    (root / "NOTES.md").write_text("not part of the sweep\n")
    _commit(root, "notes")
    (item,) = _listed(project, k8s_cluster, namespace)
    assert item["drift"]["drifted"] is False and "but not in conf" in item["drift"]["why"]

    estimator = root / "conf" / "estimator" / "logistic_regression.yaml"
    estimator.write_text(estimator.read_text().replace("C: 1.0", "C: 0.5"))
    _commit(root, "C")
    (item,) = _listed(project, k8s_cluster, namespace)
    assert item["drift"]["drifted"] is True
    assert item["drift"]["files"] == ["conf/estimator/logistic_regression.yaml"]
    plan = shlex.split(item["drift"]["plan"])
    assert plan[:2] == ["railyard-batch", "plan"]
    assert plan[plan.index("--against") + 1] == scheduled
    assert not any(a.startswith("hydra") for a in plan), plan  # what is trained, not where
    planned = project.run(*plan[1:], "--json")
    assert planned.returncode == 1, planned.stderr  # members change
    changed = json.loads(planned.stdout)
    assert changed["counts"]["changed"] > 0 and changed["counts"]["added"] == 0

    table = project.run(
        "schedules", "list", "--kubeconfig", str(k8s_cluster.kubeconfig), "--namespace", namespace
    )
    assert (
        table.returncode == 0 and "drifted" in table.stdout and "see the drift with" in table.stdout
    )


def test_drift_cannot_be_told_without_git_or_without_the_commit(tmp_path: Path) -> None:
    outside = drift(tmp_path, "a" * 40, None, [])
    assert outside["drifted"] is None and "not in a git repository" in outside["why"]
    sh(tmp_path, "git", "init", "-q", "-b", "main")
    (tmp_path / "x").write_text("x")
    sh(tmp_path, "git", "add", "-A")
    sh(tmp_path, "git", "commit", "-qm", "x")
    head = sh(tmp_path, "git", "rev-parse", "HEAD").strip()
    unknown = drift(tmp_path, "unknown", head, [])
    assert unknown["drifted"] is None and "no git commit" in unknown["why"]
    missing = drift(tmp_path, "b" * 40, head, [])
    assert missing["drifted"] is None and "not in this clone" in missing["why"]
