"""Fan-out value counts by dataset md5, recorded so that planning another revision with data
already seen never re-reads a million rows.

A dataset's content is named by its DVC md5, so the counts of its fan-out column never change:
``.dvc/tmp/railyard-fanout/<md5>.json`` holds ``{"rows": N, "columns": {"merchant_id":
[[value, rows], ...]}}`` (JSON keeps strings, integers, floats and booleans apart). The data
itself is looked for in the working tree (when its md5 matches) and in the DVC cache; when it
is in neither, :func:`fanout_counts_for` returns ``None`` and the plan says so.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from railyard_batch.planning.data import file_md5, read_table
from railyard_batch.planning.dvc_objects import object_relpath, project_cache
from railyard_batch.planning.plan import fanout_counts

INDEX_DIR = Path(".dvc") / "tmp" / "railyard-fanout"


@dataclass(frozen=True)
class FanoutCounts:
    rows: int
    # (value, rows) per fan-out value, for the column asked for; empty without a column.
    counts: list[tuple[Any, int]]
    # Where they came from: 'index', or the file read.
    source: str


def index_path(project_root: Path, md5: str) -> Path:
    return project_root / INDEX_DIR / f"{md5}.json"


def _read_index(project_root: Path, md5: str) -> dict[str, Any] | None:
    path = index_path(project_root, md5)
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _write_index(project_root: Path, md5: str, entry: dict[str, Any]) -> None:
    """Atomic write; an index that cannot be written (read-only checkout) costs only speed."""
    if not (project_root / ".dvc").is_dir():
        return
    path = index_path(project_root, md5)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(entry, separators=(",", ":")))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def local_copy(project_root: Path, data_path: str, md5: str) -> Path | None:
    """A local file with content ``md5``: the working-tree file, else the DVC cache object."""
    working = project_root / data_path
    if working.is_file() and file_md5(working) == md5:
        return working
    cached = project_cache(project_root) / object_relpath(md5)
    return cached if cached.is_file() else None


def fanout_counts_for(
    project_root: Path, data_path: str, fmt: str, md5: str, column: str | None
) -> FanoutCounts | None:
    """The rows and fan-out counts of the dataset with content ``md5``: from the index, else
    read once from a local copy (and recorded); ``None`` when no local copy exists."""
    entry = _read_index(project_root, md5) or {}
    columns = entry.get("columns", {})
    if "rows" in entry and (column is None or column in columns):
        recorded = [(v, int(n)) for v, n in columns[column]] if column else []
        return FanoutCounts(rows=int(entry["rows"]), counts=recorded, source="index")
    file = local_copy(project_root, data_path, md5)
    if file is None:
        return None
    if column is None:
        import pyarrow.dataset as pads

        rows = pads.dataset(str(file), format=fmt).count_rows()
        counts: list[tuple[Any, int]] = []
    else:
        frame = read_table(str(file), fmt, [column])
        rows, counts = len(frame), fanout_counts(frame[column])
        columns = {**columns, column: [[v, n] for v, n in counts]}
    _write_index(project_root, md5, {"rows": rows, "columns": columns})
    return FanoutCounts(rows=rows, counts=counts, source=str(file))
