"""Shared fixtures: a small project (the repo's conf/ and pipelines/, a small dataset) in a
temporary directory, a helper that runs the real ``railyard-batch`` CLI in it, and the real
Kubernetes control plane (tests/k8s_cluster.py).

``k8s_cluster`` brings one cluster up per test session (here, so that tests/k8s and
tests/k8s_launcher share it) and tears it down at the end. If the binaries are missing it builds
them first (20-40 minutes cold); if that fails, every test using the cluster fails with the
reason. Nothing skips. Namespaces enforce the restricted Pod Security profile, so a pod the
launcher renders that breaks it is refused by the API server's own admission.

``pg_server`` is one real PostgreSQL per session (tests/pg_server.py); ``store_url`` runs a
test once on SQLite and once on a fresh PostgreSQL database. A server that cannot start
fails those tests with the reason; nothing skips."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from railyard_batch.synthetic import generate, write
from tests.k8s_cluster import Cluster, ClusterError, ensure_binaries
from tests.pg_server import PostgresServer, PostgresUnavailable

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("railyard-batch"))


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def assert_one_line(result: Result, *fragments: str) -> None:
    """A user mistake: exit 2 and one stderr line, no traceback, holding every fragment."""
    assert result.returncode == 2, result.stdout
    err = result.stderr.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


@dataclass
class Project:
    root: Path

    @property
    def store_url(self) -> str:
        return f"sqlite:///{self.root / 'runs' / 'railyard.db'}"

    def run(self, *args: str, timeout: float = 300, env: dict[str, str] | None = None) -> Result:
        """Run the real CLI in the project directory."""
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        proc = subprocess.run(
            [CLI, *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=full_env,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)


def make_project(root: Path, *, rows: int = 6000, merchants: int = 12, seed: int = 3) -> Project:
    shutil.copytree(REPO / "conf", root / "conf")
    shutil.copytree(
        REPO / "pipelines", root / "pipelines", ignore=shutil.ignore_patterns("__pycache__")
    )
    write(
        generate(rows=rows, merchants=merchants, seed=seed, fraud_rate=0.08, size_sigma=0.6),
        root / "data" / "transactions.parquet",
    )
    return Project(root)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A fresh small project: 6,000 transactions over 12 merchants, 8% fraud."""
    return make_project(tmp_path / "proj")


@pytest.fixture(scope="session")
def shared_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """One small project for read-only tests that share a trained sweep."""
    return make_project(tmp_path_factory.mktemp("shared") / "proj")


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


def make_namespace(api: Any, labels: dict[str, str] | None = None) -> str:
    """A fresh namespace (with ``labels``) whose default ServiceAccount exists."""
    from kubernetes import client

    core = client.CoreV1Api(api)
    name = f"t-{uuid.uuid4().hex[:8]}"
    core.create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=labels or None))
    )
    deadline = time.monotonic() + 60  # longer just after an API server restart
    while not core.list_namespaced_service_account(
        name, field_selector="metadata.name=default"
    ).items:
        assert time.monotonic() < deadline, f"no default ServiceAccount in namespace {name}"
        time.sleep(0.1)
    return name


@pytest.fixture
def namespace(api: Any) -> Iterator[str]:
    """A fresh namespace; deleted after the test."""
    from kubernetes import client

    name = make_namespace(api)
    yield name
    client.CoreV1Api(api).delete_namespace(name)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as error:
        pytest.fail(f"PostgreSQL is not available: {error}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A run store URL: an SQLite file, or a fresh database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the session (Debian's, driven by Playwright; every page test shares it)."""
    from playwright.sync_api import Error, sync_playwright

    manager = sync_playwright().start()
    try:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        chromium = manager.chromium.launch(executable_path=CHROMIUM, args=args)
    except Error as exc:
        manager.stop()
        pytest.fail(
            f"Chromium cannot start from {CHROMIUM} (scripts/ensure-chromium installs it): "
            f"{str(exc).splitlines()[0]}",
            pytrace=False,
        )
    yield chromium
    chromium.close()
    manager.stop()
