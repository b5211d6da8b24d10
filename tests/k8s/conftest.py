"""Fixtures for tests against the real Kubernetes control plane (tests/k8s_cluster.py).

``k8s_cluster`` brings one cluster up per test session and tears it down at the
end. If the binaries are missing it builds them first (20-40 minutes cold); if
that fails, every test using the cluster fails with the reason. Nothing skips.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.k8s_cluster import Cluster, ClusterError, ensure_binaries


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "k8s: runs against the real Kubernetes control plane (tests/k8s_cluster.py)"
    )


def _binaries(request: pytest.FixtureRequest) -> Path:
    """Builds the binaries if needed, showing the build's progress on the terminal."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        return ensure_binaries()


def _started_cluster(request: pytest.FixtureRequest, state_dir: Path) -> Cluster:
    """Builds the binaries if needed and starts a cluster; fails (never skips) with the reason."""
    try:
        cluster = Cluster.create(state_dir, _binaries(request))
        cluster.die_with_starter = True  # a killed session leaves no processes behind
        started = time.monotonic()
        cluster.up()
        print(f"\nk8s cluster up in {time.monotonic() - started:.1f}s, state in {state_dir}")
        return cluster
    except ClusterError as error:
        reason = str(error)
    pytest.fail(f"the Kubernetes control plane is not available: {reason}", pytrace=False)


@pytest.fixture(scope="session")
def k8s_cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    cluster = _started_cluster(request, tmp_path_factory.mktemp("k8s-cluster"))
    yield cluster
    cluster.down()


@pytest.fixture
def api(k8s_cluster: Cluster) -> Iterator[Any]:
    """A kubernetes.client.ApiClient acting as cluster admin."""
    with k8s_cluster.api_client() as client:
        yield client


@pytest.fixture
def namespace(api: Any) -> Iterator[str]:
    """A fresh namespace whose default ServiceAccount exists; deleted after the test."""
    from kubernetes import client

    core = client.CoreV1Api(api)
    name = f"t-{uuid.uuid4().hex[:8]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    deadline = time.monotonic() + 30
    while not core.list_namespaced_service_account(
        name, field_selector="metadata.name=default"
    ).items:
        assert time.monotonic() < deadline, f"no default ServiceAccount in namespace {name}"
        time.sleep(0.1)
    yield name
    core.delete_namespace(name)
