"""The worker's log, kept in the artifact store so that it outlives the process or pod that
wrote it (``railyard-batch logs MEMBER``).

Each attempt at a shard writes one file, ``SWEEP/RUN/logs/shard-K/STAMP-HOST.log``: a header
(host, process, node), then every member's lines in turn. What goes in: the records of
``railyard_batch`` loggers at INFO and above, warnings and other libraries' records at WARNING
and above, whatever user code prints, and the full traceback of a member that failed (its
``reason`` in the run store stays one line). Each member's outcome records the byte range of
its section, so a member's log is read back without scanning the file.

On a local artifact root the file is appended to and flushed line by line, so a shard killed
halfway (a pod OOMKilled) leaves the lines it had written; on a remote root (fsspec URL) it is
written to scratch and uploaded when the shard ends.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import tempfile
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TextIO

from railyard_batch.recording.artifacts import ArtifactStore

LOGGER = logging.getLogger("railyard_batch.worker")
# Set in pods from the downward API (spec.nodeName); elsewhere the host name is the node.
NODE_ENV = "RAILYARD_NODE_NAME"


def node_name() -> str:
    return os.environ.get(NODE_ENV) or socket.gethostname()


def log_relpath(sweep_id: str, run_id: str, shard: int) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    host = "".join(c if c.isalnum() or c in "-." else "_" for c in socket.gethostname())
    return f"{sweep_id}/{run_id}/logs/shard-{shard}/{stamp}-{host}-{os.getpid()}.log"


class ShardLog:
    """One shard attempt's log file; see the module docstring."""

    def __init__(self, artifacts: ArtifactStore, relpath: str) -> None:
        self.artifacts = artifacts
        self.relpath = relpath
        self.uri = artifacts.uri(relpath)
        if artifacts.is_local:
            path = Path(self.uri)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh: IO[bytes] = open(path, "ab")  # noqa: SIM115 - closed in close()
        else:
            self._fh = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.member = "-"
        # Why the log stopped (a full disk): the rest of the shard runs without it.
        self.broken: str | None = None

    def write(self, text: str) -> None:
        if self.broken:
            return
        try:
            self._fh.write(text.encode("utf-8", "replace"))
            self._fh.flush()
        except OSError as exc:  # the log must never fail a member; its outcome says why
            self.broken = exc.strerror or str(exc)

    def offset(self) -> int:
        return self._fh.tell()

    def section(self, start: int) -> dict[str, Any]:
        """What a member's outcome records: where its lines are."""
        return {"uri": self.uri, "start": start, "end": self._fh.tell()}

    def close(self) -> None:
        """Make the log durable (local) or upload it (remote); a storage fault here is not
        the members' failure: their outcomes are already recorded."""
        try:
            if self.artifacts.is_local:
                os.fsync(self._fh.fileno())
                return
            self._fh.seek(0)
            self.artifacts.put(self.relpath, self._fh.read())
        except OSError as exc:
            self.broken = self.broken or exc.strerror or str(exc)
        finally:
            with contextlib.suppress(OSError):
                self._fh.close()


class _Handler(logging.Handler):
    def __init__(self, log: ShardLog) -> None:
        super().__init__(logging.INFO)
        self.log = log
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            text = self.format(record)
            self.log.write(
                f"{stamp} {record.levelname} member={self.log.member} {record.name}: {text}\n"
            )
        except Exception:  # a log line must never fail a member (nor print a traceback)
            return


class _Tee:
    """A text stream that also writes complete lines to the shard log (user code's prints)."""

    def __init__(self, original: TextIO, log: ShardLog, name: str) -> None:
        self._original = original
        self._log = log
        self._name = name
        self._pending = ""

    def write(self, text: str) -> int:
        self._original.write(text)
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._log.write(f"{self._name} member={self._log.member}: {line}\n")
        return len(text)

    def flush(self) -> None:
        self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


@contextlib.contextmanager
def capture(log: ShardLog) -> Iterator[ShardLog]:
    """Route the worker's records, warnings and prints into ``log`` for the duration."""
    handler = _Handler(log)
    root = logging.getLogger()
    ours = logging.getLogger("railyard_batch")
    previous_level = ours.level
    root.addHandler(handler)
    ours.setLevel(logging.INFO)
    show_warning = warnings.showwarning
    warnings.showwarning = _log_warning
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = _Tee(stdout, log, "stdout")
    sys.stderr = _Tee(stderr, log, "stderr")
    try:
        yield log
    finally:
        sys.stdout, sys.stderr = stdout, stderr
        warnings.showwarning = show_warning
        ours.setLevel(previous_level)
        root.removeHandler(handler)


def _log_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    text = warnings.formatwarning(message, category, filename, lineno, line).rstrip()
    logging.getLogger("py.warnings").warning("%s", text)


def read_section(section: dict[str, Any]) -> str:
    """A member's lines: only the byte range its outcome recorded is read, not the whole log."""
    uri, start, end = str(section["uri"]), int(section["start"]), int(section["end"])
    if "://" in uri and not uri.startswith("file://"):
        import fsspec

        opened: Any = fsspec.open(uri, "rb")
    else:
        opened = open(uri.removeprefix("file://"), "rb")  # noqa: SIM115 - closed by the with
    with opened as fh:
        fh.seek(start)
        data: bytes = fh.read(end - start)
    return data.decode("utf-8", "replace")
