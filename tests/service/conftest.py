"""The training service under test: ``railyard-batch serve`` as a real uvicorn process on a
free port, in a small project (tests/conftest.py), with one token per role made by the real
``tokens create``, and a real httpx client."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CLI, Project, make_project

ROLES = ("reader", "trainer", "promoter")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Service:
    project: Project
    port: int
    tokens: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    clients: list[httpx.Client] = field(default_factory=list)
    store: str | None = None  # the run store's URL; the project's SQLite file by default
    launch: tuple[str, ...] = ()  # serve --launch overrides

    @property
    def store_url(self) -> str:
        return self.store or self.project.store_url

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with (self.project.root / "serve.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    CLI,
                    "serve",
                    "--port",
                    str(self.port),
                    "--store",
                    self.store_url,
                    *(f"--launch={o}" for o in self.launch),
                ],
                cwd=self.project.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, self.log()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"serve did not start: {self.log()}"
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: nothing of the service's memory survives."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        for client in self.clients:
            client.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self) -> str:
        path = self.project.root / "serve.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client(self, role: str | None = "reader", **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=60, **kwargs)
        self.clients.append(client)
        return client


def start_service(root: Path, store: str | None = None, launch: tuple[str, ...] = ()) -> Service:
    project = make_project(root)
    service = Service(project, free_port(), store=store, launch=launch)
    for role in ROLES:
        team = ["--team", "risk"] if role == "trainer" else []  # its trainings are risk's
        result = project.run(
            "tokens",
            "create",
            "--role",
            role,
            "--name",
            f"{role}-bot",
            *team,
            "--store",
            service.store_url,
        )
        assert result.returncode == 0, result.stderr
        token = result.stdout.strip()
        assert token.startswith("ryb_") and len(token) == 4 + 64, result.stdout
        service.tokens[role] = token
    service.start()
    return service


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    svc = start_service(tmp_path_factory.mktemp("service") / "proj")
    yield svc
    svc.stop()


def wait_for(predicate: Any, timeout: float = 240, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)
