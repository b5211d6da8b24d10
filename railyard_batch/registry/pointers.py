"""Pointer documents: ``<artifact_root>/registry/<name>/<alias>.json``, the JVM's view of an alias.

Written after every alias change from what the database holds then (under a lock file next to
it, so the last writer writes the newest state), atomically: a temporary file in the same
directory, fsync, ``os.replace``. A removed alias has no pointer file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from railyard_batch.registry import tables as t
from railyard_batch.registry.names import check_alias, check_name

FORMAT = "railyard-registry-pointer/1"


def pointer_path(root: Path, name: str, alias: str) -> Path:
    return root / "registry" / check_name(name) / f"{check_alias(alias)}.json"


def pointer_document(engine: Engine, name: str, alias: str) -> dict[str, Any] | None:
    query = (
        select(
            t.aliases.c.version,
            t.aliases.c.event_id,
            t.versions.c.bundle_uri,
            t.versions.c.bundle_hash,
            t.events.c.at,
        )
        .join(
            t.versions,
            (t.versions.c.model_name == t.aliases.c.model_name)
            & (t.versions.c.version == t.aliases.c.version),
        )
        .join(t.events, t.events.c.id == t.aliases.c.event_id)
        .where(t.aliases.c.model_name == name, t.aliases.c.alias == alias)
    )
    with engine.connect() as c:
        row = c.execute(query).first()
    if row is None:
        return None
    return {
        "format": FORMAT,
        "name": name,
        "alias": alias,
        "version": row.version,
        "bundle_uri": row.bundle_uri,
        "bundle_hash": row.bundle_hash,
        "event_id": int(row.event_id),
        "updated_at": row.at,
    }


def sync_pointer(engine: Engine, root: Path, name: str, alias: str) -> Path:
    """Make the pointer file say what the database says about ``alias`` of ``name``."""
    path = pointer_path(root, name, alias)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{alias}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        document = pointer_document(engine, name, alias)
        if document is None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return path
        data = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")
        temp = path.parent / f".{alias}.json.tmp-{os.getpid()}"
        try:
            with open(temp, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return path


def read_pointer(path: Path) -> dict[str, Any]:
    """Read a pointer document; refuse a format this reader does not know."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        got = document.get("format") if isinstance(document, dict) else type(document).__name__
        raise ValueError(f"Unknown registry pointer format {got!r} in {path}; expected {FORMAT!r}.")
    return document
