"""The import layers of pyproject.toml's [tool.importlinter] hold (the real lint-imports), and
they would catch a break: the same contracts over a copy of the package where the run store
imports the CLI are reported broken."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINT = str(Path(sys.executable).with_name("lint-imports"))


def _lint(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT, "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(pythonpath)},
        check=False,
        timeout=300,
    )


def test_the_layers_hold() -> None:
    done = _lint(REPO, REPO)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "4 kept, 0 broken" in done.stdout, done.stdout[-2000:]


def test_a_lower_layer_importing_the_cli_is_caught(tmp_path: Path) -> None:
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        REPO / "railyard_batch",
        tmp_path / "railyard_batch",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    store_url = tmp_path / "railyard_batch" / "recording" / "urls.py"
    store_url.write_text(
        store_url.read_text() + "\n\ndef _up() -> None:\n    import railyard_batch.cli.main\n"
    )
    done = _lint(tmp_path, tmp_path)
    assert done.returncode == 1, done.stdout[-3000:]
    assert "railyard_batch.recording.urls -> railyard_batch.cli.main" in done.stdout, done.stdout[
        -3000:
    ]
    # Both layer contracts through the store, and recording's own (the CLI imports execution,
    # planning and the rest); the Kubernetes modules stay acyclic.
    assert "1 kept, 3 broken" in done.stdout, done.stdout[-2000:]
    assert "railyard_batch.recording is not allowed to import railyard_batch.execution" in (
        done.stdout
    ), done.stdout[-3000:]
