"""``railyard-batch logs MEMBER``: a member's log lines, read from the artifact store (see
:mod:`railyard_batch.execution.worker_log`), so they are there after the pod that wrote them is gone.

A member that finished has its own section of its shard's log. One that never finished (its
pod was OOMKilled, or it is still running) has none: then every attempt at its shard is shown
whole, oldest first, as far as each got.
"""

from __future__ import annotations

from dataclasses import dataclass

from railyard_batch.errors import RunNotFoundError
from railyard_batch.execution.worker_log import read_section
from railyard_batch.recording.artifacts import ArtifactStore
from railyard_batch.recording.records import MemberRecord
from railyard_batch.recording.store import RunStore


@dataclass(frozen=True)
class LogPart:
    """One piece of output: where it comes from, and its text."""

    source: str
    text: str
    # True: a whole attempt's log (the member has no section of its own).
    whole: bool = False


def member_logs(store: RunStore, member_id: str) -> tuple[MemberRecord, list[LogPart]]:
    """The member's record and its log; RunNotFoundError when no log exists (yet)."""
    member = store.member(member_id)
    if member.state == "cached" and member.cached_from:
        origin, parts = member_logs(store, member.cached_from)
        return member, [
            LogPart(f"{p.source} (cached from {origin.id})", p.text, p.whole) for p in parts
        ]
    section = member.log
    run = store.run(member.run_id)
    artifacts = ArtifactStore(str(run.artifact_uri))
    if section:
        return member, [LogPart(str(section["uri"]), read_section(section))]
    attempts = _shard_logs(str(run.artifact_uri), member.shard)
    if not attempts:
        raise RunNotFoundError(
            f"No log for member {member_id!r} (state {member.state}): its shard "
            f"{member.shard} has written none under {run.artifact_uri}/logs/ yet."
        )
    return member, [
        LogPart(uri, artifacts.get(uri).decode("utf-8", "replace"), whole=True) for uri in attempts
    ]


def _shard_logs(run_uri: str, shard: int) -> list[str]:
    """URIs of every attempt's log of ``shard``, oldest first (names start with a timestamp)."""
    directory = f"{run_uri}/logs/shard-{shard}"
    if "://" not in run_uri or run_uri.startswith("file://"):
        from pathlib import Path

        path = Path(directory.removeprefix("file://"))
        return sorted(str(p) for p in path.glob("*.log")) if path.is_dir() else []
    import fsspec

    fs, _, (remote,) = fsspec.get_fs_token_paths(directory)
    protocol = run_uri.split("://", 1)[0]
    try:
        names = sorted(str(n) for n in fs.ls(remote, detail=False) if str(n).endswith(".log"))
    except FileNotFoundError:
        return []
    return [n if "://" in n else f"{protocol}://{n}" for n in names]
