"""A real PostgreSQL server for the tests (and bench/store_backends.py): ``initdb`` and
``pg_ctl`` in a temporary directory, on a free port on 127.0.0.1, trust authentication.

Binaries come from ``PATH`` or ``/usr/lib/postgresql/*/bin`` (``scripts/bootstrap`` installs
the Debian package when neither has them). PostgreSQL refuses to run as root, so as root
the server runs as the unprivileged ``postgres`` user (``runuser``) and owns its directory.
Any failure is a ``PostgresUnavailable`` with the server's own words: tests fail with it,
never skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "railyard"


class PostgresUnavailable(RuntimeError):
    """The test server could not be found or started."""


def find_bin_dir() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if candidates:
        return Path(candidates[-1]).parent
    raise PostgresUnavailable(
        "initdb not found on PATH nor in /usr/lib/postgresql/*/bin: run scripts/bootstrap "
        "(it installs the postgresql package) or install PostgreSQL's server"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    root: Path
    port: int
    bin_dir: Path
    user: str | None  # the user the server runs as, when we are root

    @classmethod
    def start(cls) -> PostgresServer:
        bin_dir = find_bin_dir()
        user = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "running as root and there is no 'postgres' user to run the server as "
                    "(the postgresql package creates it)"
                ) from None
            user = "postgres"
        root = Path(tempfile.mkdtemp(prefix="railyard-pg-"))
        if user:
            shutil.chown(root, user)
        server = cls(root, _free_port(), bin_dir, user)
        server._run(
            "initdb",
            "-D",
            str(root / "data"),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
        )
        server._pg_ctl_start()
        return server

    def _pg_ctl_start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root}"
            " -c max_connections=200 -c shared_buffers=64MB"
        )
        data, log = str(self.root / "data"), str(self.root / "log")
        self._run("pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "start")

    def restart(self, down_s: float = 0.0) -> None:
        """Stop the server (fast: open sessions are terminated, as in a restart or a failover),
        stay down ``down_s`` seconds, start it again on the same port and data."""
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")
        time.sleep(down_s)
        self._pg_ctl_start()

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.root)
        if proc.returncode != 0:
            log = self.root / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PostgresUnavailable(
                f"{tool} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}"
                f" {tail}"
            )

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        auth = SUPERUSER if password is None else f"{SUPERUSER}:{password}"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "t") -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
