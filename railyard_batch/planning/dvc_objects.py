"""Finding a dataset by its DVC md5, the way a pod with no git checkout must.

DVC 3 stores a file's content at ``files/md5/<first 2 hex>/<other 30 hex>`` in its cache
(``.dvc/cache``) and in every remote. :func:`locate_remote` reads the project's default remote;
:func:`resolve` returns a local file whose content has the expected md5: the working-tree file
when it matches, else the cache object, else the remote object (copied into the cache). Each
candidate is verified; nothing unverified is ever read as the dataset.
"""

from __future__ import annotations

import configparser
import os
import shutil
import uuid
from pathlib import Path

import fsspec

from railyard_batch.errors import DataIntegrityError
from railyard_batch.planning.data import file_md5


def object_relpath(md5: str) -> str:
    return f"files/md5/{md5[:2]}/{md5[2:]}"


def project_cache(project_root: Path) -> Path:
    return (project_root / ".dvc" / "cache").absolute()


def locate_remote(project_root: Path) -> str | None:
    """URL of the default DVC remote (``core.remote``), local paths made absolute."""
    parser = configparser.ConfigParser()
    files = [project_root / ".dvc" / "config", project_root / ".dvc" / "config.local"]
    parser.read([f for f in files if f.exists()])
    name = parser.get("core", "remote", fallback=None)
    if not name:
        return None
    # DVC writes the section as ['remote "name"'] (quotes kept by configparser) or [remote "name"].
    section = next(
        (s for s in (f"'remote \"{name}\"'", f'remote "{name}"') if parser.has_section(s)), None
    )
    url = parser.get(section, "url", fallback=None) if section else None
    if url is None:
        return None
    if "://" not in url and not os.path.isabs(url):
        url = str((project_root / ".dvc" / url).resolve())
    return url


def resolve(path: str, md5: str, *, cache: str | None, remote: str | None) -> Path:
    """A verified local copy of the dataset with content ``md5``; raise naming every place
    looked at and what was found there."""
    looked: list[str] = []
    working = Path(path)
    if working.exists():
        actual = file_md5(working)
        if actual == md5:
            return working
        looked.append(f"working tree {path} (md5 {actual})")
    else:
        looked.append(f"working tree {path} (missing)")

    cached = Path(cache) / object_relpath(md5) if cache else None
    if cached is not None:
        if cached.exists():
            actual = file_md5(cached)
            if actual == md5:
                return cached
            looked.append(f"DVC cache {cached} (md5 {actual})")
        else:
            looked.append(f"DVC cache {cached} (missing)")

    if remote:
        url = f"{remote.rstrip('/')}/{object_relpath(md5)}"
        fetched = _fetch(url, cached)
        if fetched is None:
            looked.append(f"DVC remote {url} (missing)")
        else:
            actual = file_md5(fetched)
            if actual == md5:
                return fetched
            fetched.unlink()
            looked.append(f"DVC remote {url} (md5 {actual})")
    else:
        looked.append("DVC remote (none configured)")
    raise DataIntegrityError(
        f"Dataset {path!r}: no copy with the recorded md5 {md5}; looked in " + "; ".join(looked)
    )


def _fetch(url: str, cached: Path | None) -> Path | None:
    """Copy a remote object next to where the cache keeps it (or to a temp file)."""
    fs, _, (remote_path,) = fsspec.get_fs_token_paths(url)
    if not fs.exists(remote_path):
        return None
    if cached is None:
        import tempfile

        cached = Path(tempfile.mkdtemp(prefix="railyard-data-")) / "object"
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(f".{cached.name}.{uuid.uuid4().hex[:8]}.part")
    with fs.open(remote_path, "rb") as src, open(partial, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    # Verified by the caller before use; a wrong object is deleted there.
    partial.replace(cached)
    return cached
