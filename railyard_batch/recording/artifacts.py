"""The artifact root: a local directory by default, any fsspec URL otherwise.

Writes go to a temporary name, are synced to disk and renamed into place, so a reader never
sees half a file and a member recorded as succeeded has its artifacts on disk (a worker writes
a batch of members' files unsynced and syncs the filesystem once, :meth:`ArtifactStore.sync`,
before it records them);
remote roots (s3://, gs://, http:// and the rest of fsspec's filesystems) are written an object
at a time with the filesystem's own whole-object write (``pipe_file``), atomic per object.

An artifact root never carries a password: its URIs are recorded in the run store, the
reports, the bundles and the service's answers, so ``user:password@`` in it would publish the
secret everywhere. :func:`check_artifact_root` refuses one at config validation (credentials go
to the filesystem through its own configuration: the cloud SDK's environment, or fsspec's
``FSSPEC_<PROTOCOL>_<OPTION>`` variables), and messages name a root without its password.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import time
import uuid
from pathlib import Path

from railyard_batch.errors import ConfigError, StorageError
from railyard_batch.recording.url_secrets import has_password, redact_url

# Beside each classifier's model.pkl: its holdout's labels and scores (``pos``, ``y_true``,
# ``score``), which the sweep report draws its ROC, PR and calibration curves from. Arrow IPC
# files; see :mod:`railyard_batch.recording.scores` (which also reads earlier parquet ones).
HOLDOUT_SCORES = "holdout_scores.arrow"
# Out-of-fold scores on the training side (evaluation.oof_folds), what a stack is fit on.
OOF_SCORES = "oof_scores.arrow"


def fault_point(name: str, file: str = "") -> None:
    """A pause the crash tests use to kill a worker at an exact moment (a real SIGKILL, at a
    chosen point): ``RAILYARD_FAULT_PAUSE=artifact-rename:5`` sleeps 5 s there, and
    ``artifact-rename:5:model.pkl`` only when the file written is named ``model.pkl``. With
    ``RAILYARD_FAULT_MARK=PATH`` too, the pause first creates the file ``PATH``: the moment a
    test waits for when the pause leaves no other trace."""
    spec = os.environ.get("RAILYARD_FAULT_PAUSE", "")
    if spec.startswith(name + ":"):
        seconds, _, only = spec[len(name) + 1 :].partition(":")
        if not only or only == file:
            mark = os.environ.get("RAILYARD_FAULT_MARK")
            if mark:
                Path(mark).touch()
            time.sleep(float(seconds))


def _syncfs(fd: int) -> int:
    """``syncfs(2)`` through the C library (Python has no binding); ``os.sync`` (every
    filesystem) where it is missing. Returns 0, or -1 with ``errno`` set."""
    libc = _libc()
    if libc is None or not hasattr(libc, "syncfs"):
        os.sync()
        return 0
    return int(libc.syncfs(fd))


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def join_uri(base: str, *parts: str) -> str:
    """``base`` (a directory or a URL an :class:`ArtifactStore` returned) joined with
    ``parts``. Not ``pathlib``: ``Path("s3://b/x") / "plan.json"`` is ``s3:/b/x/plan.json``."""
    if "://" in base:
        return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])
    return str(Path(base, *parts))


def check_artifact_root(value: object) -> str:
    """``store.artifact_root``: a non-empty path or URL without a password in it."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            "The 'store.artifact_root' parameter must be a directory or an fsspec URL "
            f"(s3://bucket/prefix, gs://..., file:///...). Got {value!r}."
        )
    if has_password(value):
        raise ConfigError(
            "The 'store.artifact_root' parameter must not carry a password (user:password@): "
            "its URIs are recorded in the run store, reports and bundles; give credentials "
            "through the filesystem's own configuration (the cloud SDK's environment, or "
            f"FSSPEC_<PROTOCOL>_PASSWORD). Got {redact_url(value)!r}."
        )
    return value


class ArtifactStore:
    """Put and get bytes under a root; returns URIs that name the object."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")
        self._local = "://" not in root or root.startswith("file://")
        if self._local:
            self._base = Path(root.removeprefix("file://")).absolute()
            self._base_str = str(self._base)
            self._made: set[str] = set()  # directories this store has made or found
        else:
            import fsspec  # only for remote roots: its import costs ~0.3 s of every CLI call

            self._fs, _, paths = fsspec.get_fs_token_paths(root)
            self._remote_base = paths[0].rstrip("/")

    @property
    def is_local(self) -> bool:
        return self._local

    def uri(self, relpath: str) -> str:
        if self._local:
            return str(self._base / relpath)
        return f"{self.root}/{relpath}"

    def put(self, relpath: str, data: bytes, *, durable: bool = True) -> str:
        """Write ``data`` at ``relpath`` atomically and return its URI. A write that fails
        (no space, read-only, permission, a remote that refuses) is a :class:`StorageError`
        naming the path and the artifact root; no partial file keeps the final name.
        ``durable=False`` (local roots) skips the file's own fsync: the caller makes a batch
        of files durable at once with :meth:`sync` before it records them anywhere."""
        try:
            return self._put(relpath, data, durable)
        except StorageError:
            raise
        except Exception as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            why = " ".join((why or type(exc).__name__).split())  # one line, whatever the driver
            raise StorageError(
                redact_url(
                    self.root,
                    f"Cannot write {self.uri(relpath)} under the artifact root {self.root!r} "
                    f"('store.artifact_root'): {why}",
                )
            ) from exc

    def sync(self) -> None:
        """Make every file written under a local root durable: one ``syncfs`` of the root's
        filesystem (``os.sync`` where the C library has no ``syncfs``) instead of one fsync
        per file. Remote roots write through; nothing to do. A failure is a
        :class:`StorageError`."""
        if not self._local:
            return
        try:
            fd = os.open(self._base, os.O_RDONLY)
            try:
                if _syncfs(fd) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, os.strerror(err))
            finally:
                os.close(fd)
        except OSError as exc:
            raise StorageError(
                f"Cannot sync the artifact root {self.root!r} ('store.artifact_root'): "
                f"{exc.strerror or exc}"
            ) from exc

    def _put(self, relpath: str, data: bytes, durable: bool = True) -> str:
        if self._local:
            return self._put_local(os.path.join(self._base_str, relpath), data, durable)
        self._fs.pipe_file(f"{self._remote_base}/{relpath}", data)
        return f"{self.root}/{relpath}"

    def _put_local(self, target: str, data: bytes, durable: bool) -> str:
        # os calls on str paths, and each directory made once per store: a worker writes
        # four small files a member, and pathlib plus a mkdir per file cost more than the
        # writes themselves (0.66 vs 0.25 ms a member here).
        folder, name = os.path.split(target)
        if folder not in self._made:
            os.makedirs(folder, exist_ok=True)
            self._made.add(folder)
        tmp = os.path.join(folder, f".{name}.{uuid.uuid4().hex[:8]}.tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        try:
            try:
                fd = os.open(tmp, flags, 0o666)
            except FileNotFoundError:  # its folder was removed since this store made it
                os.makedirs(folder, exist_ok=True)
                fd = os.open(tmp, flags, 0o666)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if durable:
                    os.fsync(fd)  # durable before it has its name
            finally:
                os.close(fd)
            fault_point("artifact-rename", name)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):  # a full disk leaves no half file behind
                os.unlink(tmp)
            raise
        return target

    def get(self, uri: str) -> bytes:
        if self._local and "://" not in uri:
            return Path(uri).read_bytes()
        import fsspec

        with fsspec.open(uri, "rb") as fh:
            data: bytes = fh.read()
        return data

    def exists(self, relpath: str) -> bool:
        if self._local:
            return (self._base / relpath).exists()
        return bool(self._fs.exists(f"{self._remote_base}/{relpath}"))
