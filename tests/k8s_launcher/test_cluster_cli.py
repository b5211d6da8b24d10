"""The one-line switch from local to Kubernetes, then re-attaching with status, wait and
cancel: the real CLI in a subprocess, against the real control plane."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Project
from tests.k8s_cluster import Cluster

pytestmark = pytest.mark.k8s


def test_sweep_submitted_from_the_cli_then_status_wait_and_cancel(
    project: Project, k8s_cluster: Cluster, namespace: str
) -> None:
    submit = project.run(
        "+experiment=fraud_v3",
        "-m",
        "hydra/launcher=kubernetes",
        f"hydra.launcher.kubeconfig={k8s_cluster.kubeconfig}",
        f"hydra.launcher.namespace={namespace}",
        "hydra.launcher.wait=false",
        "hydra.launcher.workers=1",
        "execution.shards_per_worker=2",
        "fanout.min_rows=300",
    )
    assert submit.returncode == 0, submit.stderr[-3000:]
    assert "Submitted 3 Job(s) of sweep" in submit.stderr
    (sweep,) = json.loads(
        project.run("runs", "--store", project.store_url, "list", "--json").stdout
    )
    sweep_id = sweep["id"]
    assert sweep["backend"] == "kubernetes"

    status = project.run("status", sweep_id, "--store", project.store_url, "--json")
    assert status.returncode == 0, status.stderr
    report: dict[str, Any] = json.loads(status.stdout)
    assert report["namespace"] == namespace and len(report["jobs"]) == 3
    assert sum(report["members"].values()) == sweep["n_members"]

    # KWOK completes the pods without running the worker: no outcome, so members fail, with why.
    waited = project.run("wait", sweep_id, "--store", project.store_url, "--poll-seconds", "0.3")
    assert waited.returncode == 1 and f"failed={sweep['n_members']}" in waited.stdout
    shown = json.loads(
        project.run("runs", "--store", project.store_url, "show", sweep_id, "--json").stdout
    )
    assert all("wrote no outcome.json" in m["reason"] for m in shown["members"])
    table = project.run("status", sweep_id, "--store", project.store_url)
    assert table.returncode == 0 and "complete" in table.stdout

    cancelled = project.run("cancel", sweep_id, "--store", project.store_url)
    assert cancelled.returncode == 0 and "deleted 3 Job(s)" in cancelled.stdout


def test_status_of_a_local_sweep_says_so(project: Project) -> None:
    assert (
        project.run(
            "+experiment=fraud_v3", "fanout.min_rows=300", "estimator=logistic_regression"
        ).returncode
        == 0
    )
    (sweep,) = json.loads(
        project.run("runs", "--store", project.store_url, "list", "--json").stdout
    )
    result = project.run("status", sweep["id"], "--store", project.store_url)
    assert result.returncode == 2
    assert result.stderr.startswith("ConfigError: Sweep") and "'local' backend" in result.stderr
