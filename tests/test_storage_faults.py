"""Storage faults are one line (issue 16): a full disk and a read-only artifact root, made for
real with a small tmpfs the test mounts (the suite runs as root, which may mount). Each ends
with exit 2, one ``StorageError`` line naming the path and the error, no traceback, no member
recorded as succeeded without its files, and the sweep closed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLI, Project, make_project

SWEEP = (
    "-m",
    "fanout.by=merchant_id",
    "fanout.min_rows=150",
    "estimator=random_forest",  # a forest's pickle is far larger than the tmpfs
    "execution.workers=1",
    "execution.progress=false",
)


@pytest.fixture
def small_root(project: Project) -> Iterator[Path]:
    """A 256 KiB tmpfs as the artifact root: room for the plans, not for the models."""
    root = project.root / "artifacts"
    root.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(root)], check=True)
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(root)], check=True)


def _store_state(project: Project) -> tuple[list[dict], list[dict]]:  # type: ignore[type-arg]
    listing = project.run("runs", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    sweeps = json.loads(listing.stdout)
    members: list[dict] = []  # type: ignore[type-arg]
    for sweep in sweeps:
        shown = project.run("runs", "show", sweep["id"], "--json")
        assert shown.returncode == 0, shown.stderr
        members += json.loads(shown.stdout)["members"]
    return sweeps, members


def _assert_one_line(stderr: str, *needles: str) -> None:
    assert "Traceback" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("StorageError: "), stderr
    for needle in needles:
        assert needle in last, last


def test_a_full_disk_fails_the_members_in_one_line_and_closes_the_sweep(
    project: Project, small_root: Path
) -> None:
    result = project.run(*SWEEP, f"store.artifact_root={small_root}")
    assert result.returncode == 2, result.stderr
    _assert_one_line(result.stderr, str(small_root), "No space left on device")
    sweeps, members = _store_state(project)
    assert [s["state"] for s in sweeps] == ["failed"] and sweeps[0]["finished_at"]
    assert members and {m["state"] for m in members} <= {"failed", "succeeded"}
    assert any("No space left on device" in (m["reason"] or "") for m in members)
    for m in members:
        if m["state"] == "succeeded":  # nothing recorded as succeeded without its files
            assert Path(m["artifact_uri"]).is_file()
    assert not list(small_root.rglob(".*.tmp"))  # no half-written file left behind


def test_a_read_only_root_is_one_line_and_records_nothing(
    project: Project, small_root: Path
) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(small_root)], check=True)
    result = project.run(*SWEEP, f"store.artifact_root={small_root}")
    assert result.returncode == 2, result.stderr
    _assert_one_line(result.stderr, str(small_root), "Read-only file system")
    store = project.root / "runs" / "railyard.db"
    if store.exists():  # planning never leaves a sweep behind that looks like work in flight
        sweeps, _ = _store_state(project)
        assert all(s["state"] != "running" for s in sweeps)


NOBODY = 65534


def _open_to_others(path: Path) -> bool:
    """Whether a user other than the owner can reach ``path`` (every ancestor searchable)."""
    path = path.resolve()
    return all(p.stat().st_mode & 0o001 for p in [*path.parents, path] if p.is_dir()) and bool(
        path.stat().st_mode & 0o005 if path.is_file() else True
    )


def _unprivileged(args: list[str]) -> tuple[list[str], str]:
    """A command line that runs ``args`` where the kernel enforces file permissions: as the
    unprivileged user ``nobody`` when this checkout is reachable by other users, otherwise as
    uid 0 with every capability dropped (no CAP_DAC_OVERRIDE: permission bits apply to it as
    to anyone). Either way it is a real denial by the kernel, never a simulated one."""
    interpreter = Path(sys.executable)
    if _open_to_others(interpreter) and _open_to_others(Path(CLI)):
        return [
            "setpriv",
            f"--reuid={NOBODY}",
            f"--regid={NOBODY}",
            "--clear-groups",
            *args,
        ], "nobody"
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-all", *args], "root without caps"


def test_a_root_the_user_cannot_write_is_one_line_as_an_unprivileged_user() -> None:
    """Permission denied cannot be seen as root (root ignores permission bits), so this case
    runs the real CLI as an unprivileged user on a project that user owns, with an artifact
    root it may not write."""
    base = Path(tempfile.mkdtemp(prefix="railyard-perm-"))
    try:
        base.chmod(0o755)
        project = make_project(base / "proj", rows=3000, merchants=4)
        locked = base / "locked-root"
        locked.mkdir(mode=0o555)
        command, who = _unprivileged([CLI, *SWEEP, f"store.artifact_root={locked}"])
        if who == "nobody":
            subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(project.root)], check=True)
        else:
            locked.chmod(0o555)  # owned by root, read-only for its owner too
        env = {**os.environ, "HOME": str(project.root), "PYTHONUNBUFFERED": "1"}
        result = subprocess.run(
            command, cwd=project.root, capture_output=True, text=True, timeout=300, env=env
        )
        assert result.returncode == 2, (who, result.stderr)
        _assert_one_line(result.stderr, str(locked), "Permission denied")
        assert not any(locked.iterdir())  # nothing written, nothing half-written
        store = project.root / "runs" / "railyard.db"
        if store.exists():
            sweeps, members = _store_state(project)
            assert all(s["state"] != "running" for s in sweeps)
            assert not [m for m in members if m["state"] == "succeeded"]
    finally:
        shutil.rmtree(base, ignore_errors=True)
