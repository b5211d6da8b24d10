"""Storage faults are one line (issue 16): a full disk and a read-only artifact root, made for
real with a small tmpfs the test mounts (the suite runs as root, which may mount). Each ends
with exit 2, one ``StorageError`` line naming the path and the error, no traceback, no member
recorded as succeeded without its files, and the sweep closed."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Project

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
