"""Fixtures of the Kubernetes launcher tests. The control plane (``k8s_cluster``, ``api``) is
the session's one cluster of tests/conftest.py; ``namespace`` here enforces the restricted Pod
Security profile, so the API server's own admission refuses any pod the launcher renders that
breaks it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from railyard_batch.execution.kubernetes import _render
from tests.conftest import make_namespace

RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
}

GIT_COMMIT = "0" * 40


@pytest.fixture(autouse=True)
def fixed_git_commit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Rendered annotations carry the git commit; tests pin it so golden files stay put."""
    monkeypatch.setattr(_render, "git_state", lambda: (GIT_COMMIT, False))
    yield


@pytest.fixture(autouse=True)
def restored_hydra_singletons() -> Iterator[None]:
    """Composing a config leaves state in Hydra's singletons that breaks Hydra's launcher
    conformance suites later in the session; restore it, as Hydra's own tests do."""
    from hydra.core.singleton import Singleton

    state = Singleton.get_state()
    yield
    Singleton.set_state(state)


@pytest.fixture
def namespace(api: Any) -> Iterator[str]:
    """A fresh namespace enforcing the restricted Pod Security profile; deleted after the test."""
    name = make_namespace(api, RESTRICTED)
    yield name
    client.CoreV1Api(api).delete_namespace(name)
