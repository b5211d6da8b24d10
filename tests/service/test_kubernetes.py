"""A training the service runs on Kubernetes: the operator decides where trainings run
(``serve --launch hydra/launcher=kubernetes ...``), never the request. Submitted through a
real uvicorn process, its Jobs land on the real control plane through the same launcher as
the CLI's, and the service's cancel deletes them and closes the sweep."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from railyard_batch.execution.kubernetes._names import SWEEP_LABEL, label_value
from railyard_batch.service.trainings import get as training_record
from tests.conftest import make_namespace
from tests.k8s_cluster import Cluster
from tests.k8s_launcher.conftest import RESTRICTED
from tests.service.conftest import Service, start_service, wait_for

pytestmark = pytest.mark.k8s


@pytest.fixture
def k8s_service(
    tmp_path_factory: pytest.TempPathFactory, k8s_cluster: Cluster, api: Any
) -> Iterator[tuple[Service, str]]:
    namespace = make_namespace(api, RESTRICTED)
    svc = start_service(
        tmp_path_factory.mktemp("k8s-service") / "proj",
        launch=(
            "hydra/launcher=kubernetes",
            f"hydra.launcher.kubeconfig={k8s_cluster.kubeconfig}",
            f"hydra.launcher.namespace={namespace}",
            "hydra.launcher.wait=false",
            "hydra.launcher.workers=1",
        ),
    )
    yield svc, namespace
    svc.stop()
    client.CoreV1Api(api).delete_namespace(namespace)


def test_a_training_on_kubernetes_is_submitted_and_cancelled_through_the_service(
    k8s_service: tuple[Service, str], api: Any
) -> None:
    service, namespace = k8s_service
    trainer, reader = service.client("trainer"), service.client("reader")
    request = {
        "experiment": "fraud_v3",
        "overrides": ["estimator=logistic_regression,xgboost"],
        "multirun": True,
        "config": {"fanout": {"min_rows": 600}, "execution": {"shards_per_worker": 2}},
    }
    accepted = trainer.post("/v1/trainings", json=request)
    assert accepted.status_code == 202, accepted.text
    sweep_id = accepted.json()["sweep_id"]

    def submitted() -> bool:
        record = training_record(service.store_url, sweep_id)
        return record is not None and record.get("exit_code") is not None

    wait_for(submitted, timeout=180, what="the CLI to submit the sweep's Jobs")
    record = training_record(service.store_url, sweep_id)
    assert record is not None and record["exit_code"] == 0, service.log()[-3000:]

    detail = reader.get(f"/v1/sweeps/{sweep_id}").json()
    assert detail["sweep"]["backend"] == "kubernetes", detail["sweep"]
    assert detail["sweep"]["actor"] == "trainer-bot"
    assert len(detail["runs"]) == 2
    jobs = (
        client.BatchV1Api(api)
        .list_namespaced_job(namespace, label_selector=f"{SWEEP_LABEL}={label_value(sweep_id)}")
        .items
    )
    assert len(jobs) == 2, [j.metadata.name for j in jobs]

    cancelled = trainer.post(f"/v1/sweeps/{sweep_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    left = (
        client.BatchV1Api(api)
        .list_namespaced_job(namespace, label_selector=f"{SWEEP_LABEL}={label_value(sweep_id)}")
        .items
    )
    assert all(j.metadata.deletion_timestamp is not None for j in left), left
    after = reader.get(f"/v1/sweeps/{sweep_id}").json()
    assert after["sweep"]["state"] != "running", after["sweep"]
    assert after["counts"].get("queued", 0) + after["counts"].get("running", 0) == 0
