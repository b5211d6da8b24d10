"""What a sweep records about where it came from: git commit (and dirtiness), package versions."""

from __future__ import annotations

import hashlib
import subprocess
from importlib import metadata
from pathlib import Path

import railyard_batch

TRACKED_PACKAGES = (
    "railyard-batch",
    "hydra-core",
    "omegaconf",
    "scikit-learn",
    "xgboost",
    "pandas",
    "pyarrow",
    "numpy",
    "dvc",
)


def git_state(cwd: Path | None = None) -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of the repository at ``cwd``; ``(None, None)`` outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, bool(status.strip())


def package_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def code_version(user_code: Path = Path("pipelines")) -> str:
    """The package version plus a digest of the user code under ``pipelines/``: part of every
    member's content key, so editing a hook or a transformer invalidates cached results."""
    return f"{railyard_batch.__version__}+{pipelines_digest(user_code)}"


def pipelines_digest(user_code: Path) -> str:
    """Digest of the ``*.py`` files under ``user_code`` (names and bytes)."""
    digest = hashlib.sha256()
    if user_code.is_dir():
        for path in sorted(user_code.rglob("*.py")):
            digest.update(path.relative_to(user_code).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
