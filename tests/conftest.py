"""Shared fixtures: a small project (the repo's conf/ and pipelines/, a small dataset) in a
temporary directory, and a helper that runs the real ``railyard-batch`` CLI in it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from railyard_batch.synthetic import generate, write

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("railyard-batch"))


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


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
