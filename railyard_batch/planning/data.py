"""Reading the dataset: its DVC identity, its schema, and the columns and rows a shard needs."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import yaml

from railyard_batch.errors import DataError, DataIntegrityError

if TYPE_CHECKING:
    import pandas as pd

# pyarrow's readers (which load pandas, a third of a second) are imported where a file is
# read: a plan whose fan-out counts come from the index reads none.


@dataclass(frozen=True)
class DataIdentity:
    """Where the dataset is and which content it has."""

    path: str
    md5: str
    # dvc.lock, a .dvc file, or 'untracked' (md5 computed from the file).
    source: str


# A file's md5 is remembered by what stat says of it, as DVC's own state does (inode, size,
# mtime; here the change time too, which no one can set back): planning and every worker
# check the dataset's md5, and hashing a large file costs each of them seconds.
CACHE_ENV = "RAILYARD_CACHE_DIR"
# A file changed less than this long ago is hashed but not remembered: a second write within
# the clock's tick could leave its size and times as they were ("racily clean" in git).
SETTLED_S = 2.0


def md5_cache_dir() -> Path:
    """``$RAILYARD_CACHE_DIR/md5``, else ``$XDG_CACHE_HOME/railyard/md5`` or
    ``~/.cache/railyard/md5``: one small file per (file, stat) holding its md5."""
    base = os.environ.get(CACHE_ENV)
    if base:
        return Path(base) / "md5"
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "railyard" / "md5"


def _stat_key(st: os.stat_result) -> str:
    fields = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    return hashlib.sha256(":".join(map(str, fields)).encode()).hexdigest()[:40]


def file_md5(path: Path) -> str:
    """The file's md5: remembered under :func:`md5_cache_dir` by the file's stat, computed
    (and remembered, best effort) when the stat is new. A file changed since, even to the same
    size with its mtime set back, has another change time and is hashed again."""
    before = os.stat(path)
    entry = md5_cache_dir() / _stat_key(before)
    try:
        remembered = entry.read_text().strip()
    except OSError:
        remembered = ""
    if len(remembered) == 32 and all(c in "0123456789abcdef" for c in remembered):
        return remembered
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    md5 = digest.hexdigest()
    settled = time.time_ns() - max(before.st_mtime_ns, before.st_ctime_ns) > SETTLED_S * 1e9
    if settled and _stat_key(os.stat(path)) == entry.name:  # not changed while hashed
        with contextlib.suppress(OSError):  # a read-only home, a full disk: hash next time
            entry.parent.mkdir(parents=True, exist_ok=True)
            tmp = entry.with_name(f".{entry.name}.{os.getpid()}.tmp")
            tmp.write_text(md5)
            os.replace(tmp, entry)
    return md5


def dvc_md5(path: Path, project_root: Path) -> tuple[str, str] | None:
    """The md5 DVC recorded for ``path`` (in dvc.lock or ``path.dvc``), with its source."""
    rel = path.absolute().relative_to(project_root.absolute()).as_posix()
    lock = project_root / "dvc.lock"
    if lock.exists():
        stages = (yaml.safe_load(lock.read_text()) or {}).get("stages", {})
        for stage in stages.values():
            for out in stage.get("outs", []):
                if out.get("path") == rel and out.get("md5"):
                    return str(out["md5"]), "dvc.lock"
    dvc_file = path.with_name(path.name + ".dvc")
    if dvc_file.exists():
        for out in (yaml.safe_load(dvc_file.read_text()) or {}).get("outs", []):
            if out.get("md5"):
                return str(out["md5"]), dvc_file.name
    return None


def dataset_identity(path: str, project_root: Path | None = None) -> DataIdentity:
    """Identify the dataset by the md5 DVC tracks, or by its own md5 when DVC does not."""
    file = Path(path)
    if not file.exists():
        raise DataError(
            f"The 'data.path' file {path!r} does not exist; produce it with `dvc repro` "
            "or fetch it with `dvc pull`."
        )
    root = project_root or Path.cwd()
    tracked = None
    try:
        tracked = dvc_md5(file, root)
    except ValueError:  # the file is outside the project
        tracked = None
    actual = file_md5(file)
    if tracked is None:
        return DataIdentity(path=path, md5=actual, source="untracked")
    if actual != tracked[0]:
        raise DataIntegrityError(
            f"The 'data.path' file {path!r} has md5 {actual} but {tracked[1]} records "
            f"{tracked[0]}: run `dvc repro` (or `dvc commit`) to record it, or `dvc checkout` "
            "to restore the tracked version."
        )
    return DataIdentity(path=path, md5=tracked[0], source=tracked[1])


def dataset_columns(path: str, fmt: str) -> list[str]:
    """Column names, read from the file's schema (no rows for parquet)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    try:
        if fmt == "parquet":
            return list(pq.read_schema(path).names)
        return list(pacsv.open_csv(path).schema.names)
    except (OSError, pa.ArrowInvalid) as exc:
        raise DataError(f"Cannot read the 'data.path' file {path!r} as {fmt}: {exc}") from None


def require_columns(
    available: Sequence[str], wanted: Mapping[str, Sequence[str]], path: str
) -> None:
    """Raise naming the config key of the first wanted column the dataset lacks."""
    have = set(available)
    for key, columns in wanted.items():
        for column in columns:
            if column not in have:
                raise DataError(
                    f"The column {column!r} named by '{key}' is not in {path}; "
                    f"available columns: {sorted(have)}."
                )


def read_table(
    path: str,
    fmt: str,
    columns: Sequence[str],
    filter_column: str | None = None,
    filter_values: Sequence[Any] | None = None,
    *,
    use_threads: bool = True,
) -> pd.DataFrame:
    """Read only ``columns`` (projection) and, when given, only rows whose ``filter_column`` is
    in ``filter_values`` (pushed down to the reader). ``use_threads=False`` (a pool worker,
    one core of its own) decodes one row group at a time: a lower peak, and no reader threads
    beside the other workers. The memory Arrow's allocator kept from decoding goes back to
    the system once the frame is built (about 60-90 MiB for a 1M-row file here)."""
    import pyarrow.dataset as pads

    try:
        if fmt == "parquet":
            dataset = pads.dataset(path, format="parquet")
        else:
            dataset = pads.dataset(path, format="csv")
        expression = None
        if filter_column is not None and filter_values is not None:
            expression = pads.field(filter_column).isin(list(filter_values))
        table = dataset.to_table(columns=list(columns), filter=expression, use_threads=use_threads)
    except (OSError, pa.ArrowInvalid) as exc:
        raise DataError(f"Cannot read the 'data.path' file {path!r} as {fmt}: {exc}") from None
    frame = table.to_pandas()
    del table
    pa.default_memory_pool().release_unused()
    return frame
