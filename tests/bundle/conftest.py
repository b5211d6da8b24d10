"""Fixtures of the bundle tests: the JVM scorer jar, built once per session (never skipped)."""

from __future__ import annotations

from pathlib import Path

import pytest

from railyard_batch.bundle.jvm_scorer import scorer_jar


@pytest.fixture(scope="session")
def jvm_jar() -> Path:
    """Builds jvm/ with Maven when the jar is missing or stale; fails (not skips) without java/mvn."""
    return scorer_jar(build=True)
