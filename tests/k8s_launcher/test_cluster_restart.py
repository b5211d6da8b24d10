"""The API server restarts in the middle of a submission (retries carry it through, adopted
Jobs are not duplicated) and while a sweep is followed (its watches resume); without a
restart, a sweep is followed by watch events alone."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from railyard_batch.execution.kubernetes import KubernetesBackend
from railyard_batch.execution.kubernetes._watch import SweepWatch, wait
from railyard_batch.recording.outcomes import OutcomeRecorder
from railyard_batch.recording.store import FINISHED_STATES, RunStore
from tests.k8s_cluster import RUN_FOR_ANNOTATION, Cluster
from tests.k8s_launcher.cluster_helpers import make_api
from tests.k8s_launcher.plans import execute
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
            execute(KubernetesBackend(settings(namespace, wait=False), api=k8s), plans)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    # A slow start, so that the restart lands mid-submission: 10 runs are in already.
    execute(KubernetesBackend(settings(namespace, wait=False), api=k8s), plans[:10])
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


def finished_members(plans: list[Any]) -> int:
    store = RunStore(plans[0].store_url)
    try:
        members = store.members(sweep_id=plans[0].sweep_id)
    finally:
        store.close()
    return sum(m.state in FINISHED_STATES for m in members)


def test_waiting_follows_the_watch_without_listing_again(
    api: Any, namespace: str, tmp_path: Path
) -> None:
    """Once listed, the sweep is followed by watch events alone: every shard's end reaches
    the run store and neither the Jobs nor the pods are listed a second time."""
    plans = recorded(tmp_path, "20260101-000000-watch1", n_runs=2, members=4, shards=2)
    k8s = make_api(api, namespace)
    s = settings(namespace, wait=False, pod_annotations={RUN_FOR_ANNOTATION: "3s"})
    execute(KubernetesBackend(s, api=k8s), plans)
    watch = SweepWatch(k8s, plans)
    with OutcomeRecorder(plans[0].store_url) as recorder:
        wait(k8s, plans, recorder, poll_seconds=0.3, timeout_s=120, watch=watch)
    assert finished_members(plans) == 8
    assert (watch.jobs.lists, watch.pods.lists) == (1, 1)


def test_waiting_follows_the_sweep_across_an_api_server_restart(
    k8s_cluster: Cluster, api: Any, namespace: str, tmp_path: Path
) -> None:
    """The watches drop with the API server; the watcher lists again once it is back and
    still records every shard, including those that ended while it was down."""
    plans = recorded(tmp_path, "20260101-000000-watch2", n_runs=2, members=4, shards=2)
    k8s = make_api(api, namespace)
    s = settings(namespace, wait=False, pod_annotations={RUN_FOR_ANNOTATION: "6s"})
    execute(KubernetesBackend(s, api=k8s), plans)
    watch = SweepWatch(k8s, plans)
    errors: list[BaseException] = []

    def follow() -> None:
        try:
            with OutcomeRecorder(plans[0].store_url) as recorder:
                wait(k8s, plans, recorder, poll_seconds=0.3, timeout_s=180, watch=watch)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    follower = threading.Thread(target=follow)
    follower.start()
    time.sleep(2)
    k8s_cluster.stop_apiserver()
    time.sleep(8)  # the pods' 6 s end while the server is down
    k8s_cluster.start_apiserver()
    follower.join(timeout=180)
    assert not follower.is_alive() and not errors, errors
    assert finished_members(plans) == 8
    assert watch.jobs.lists >= 2 and watch.pods.lists >= 2
