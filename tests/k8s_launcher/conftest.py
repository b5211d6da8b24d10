"""Fixtures of the Kubernetes launcher tests. The control-plane fixtures (``k8s_cluster``,
``api``, ``namespace``) are the ones of tests/k8s/conftest.py, reused as they are."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from railyard_batch.kubernetes import _render
from tests.k8s.conftest import api, k8s_cluster, namespace, pytest_configure

__all__ = ["api", "k8s_cluster", "namespace", "pytest_configure"]

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
