"""The API server restarts in the middle of a submission: retries carry it through, adopted
Jobs are not duplicated."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from railyard_batch.kubernetes import KubernetesBackend
from tests.k8s_cluster import Cluster
from tests.k8s_launcher.cluster_helpers import make_api
from tests.k8s_launcher.test_cluster_failures import count, recorded, settings

pytestmark = pytest.mark.k8s


def test_an_api_server_restart_mid_submission_is_survived(
    k8s_cluster: Cluster, api: Any, namespace: str, tmp_path: Path
) -> None:
    n = 40
    plans = recorded(tmp_path, "20260101-000000-restrt", n_runs=n, members=2, shards=1)
    k8s = make_api(api, namespace)
    errors: list[BaseException] = []

    def submit_all() -> None:
        try:
            KubernetesBackend(settings(namespace, wait=False), api=k8s).execute(plans)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    # A slow start, so that the restart lands mid-submission: 10 runs are in already.
    KubernetesBackend(settings(namespace, wait=False), api=k8s).execute(plans[:10])
    submitter = threading.Thread(target=submit_all)
    pid_before = k8s_cluster.pids()["kube-apiserver"]
    k8s_cluster.stop_apiserver()
    submitter.start()
    time.sleep(2)
    assert submitter.is_alive(), "the submission did not wait for the API server"
    k8s_cluster.start_apiserver()
    submitter.join(timeout=180)
    assert not errors, errors
    assert k8s_cluster.pids()["kube-apiserver"] != pid_before
    assert count(api, namespace) == (n, n)
