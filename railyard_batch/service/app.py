"""The app factory and ``railyard-batch serve [--host --port --store URL]``.

The service holds nothing that matters in memory: tokens, trainings and sweeps are in the
store, and each sweep runs as its own ``railyard-batch`` process. Killed and restarted, it
lists the same sweeps; a sweep still running goes on, and one whose process died is closed by
the leases (railyard_batch/recording/leases.py), which a background thread here checks like ``runs
list`` does.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from railyard_batch.errors import RailyardError, RunNotFoundError, StoreError
from railyard_batch.registry.errors import ModelNotFoundError, PromotionConflict, PromotionRefused
from railyard_batch.service import trainings
from railyard_batch.service.cancel import CannotCancel
from railyard_batch.service.coalesce import Coalescer
from railyard_batch.service.metrics import ServiceMetrics
from railyard_batch.service.models import router as models_router
from railyard_batch.service.routes import router
from railyard_batch.service.submit import RequestError, start

MAX_BODY_BYTES = 256 * 1024


@dataclass
class Settings:
    store_url: str
    # The project: where conf/ and pipelines/ are, and where sweeps run.
    root: Path = field(default_factory=Path.cwd)
    conf_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("RAILYARD_CONF_DIR", "conf"))
    )
    max_body_bytes: int = MAX_BODY_BYTES
    # Bundles and registry pointers (relative to ``root`` unless absolute), as the CLI's
    # ``models --artifact-root``.
    artifact_root: str = field(
        default_factory=lambda: os.environ.get("RAILYARD_ARTIFACT_ROOT", "runs/artifacts")
    )
    # How often dead sweeps are looked for (the store's leases decide which are dead).
    reap_seconds: float = 10.0
    # Hydra overrides added to every training, after the request's: where jobs execute
    # (``hydra/launcher=kubernetes``, ``hydra.launcher.namespace=ml``), the operator's.
    launch: tuple[str, ...] = ()


class Runner:
    """Starts sweeps as ``railyard-batch`` processes and notes how each ended."""

    def __init__(self, settings: Settings, metrics: ServiceMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def launch(
        self, sweep_id: str, command: list[str], estimators: list[str], team: str | None
    ) -> None:
        log = self.settings.root / "runs" / "service" / f"{sweep_id}.log"
        proc = start(command, cwd=self.settings.root, log_path=log)
        self.processes[sweep_id] = proc
        trainings.update(self.settings.store_url, sweep_id, pid=proc.pid)
        self.metrics.started(estimators, team)
        threading.Thread(
            target=self._follow,
            args=(sweep_id, proc, log, team),
            name=f"sweep-{sweep_id}",
            daemon=True,
        ).start()

    def _follow(
        self, sweep_id: str, proc: subprocess.Popen[bytes], log: Path, team: str | None
    ) -> None:
        code = proc.wait()
        self.processes.pop(sweep_id, None)
        error = None
        if code != 0:
            lines = log.read_text(errors="replace").splitlines()
            picked = [ln for ln in lines if re.match(r"^[A-Z][A-Za-z]*(Error|Exception): ", ln)]
            error = (picked or lines or [f"exit status {code}"])[-1][:2000]
        url = self.settings.store_url
        trainings.finished(url, sweep_id, code, error)
        from railyard_batch.recording.store import RunStore

        store = RunStore(url)
        try:
            self.metrics.ended(store.runs(sweep_id), store.members(sweep_id=sweep_id), team)
        except RunNotFoundError:
            pass
        finally:
            store.close()


def _reap(settings: Settings, stop: threading.Event) -> None:
    from railyard_batch.service.routes import shared_store

    while not stop.wait(settings.reap_seconds):
        with contextlib.suppress(Exception):  # the next round tries again
            shared_store(settings.store_url).close_dead()


def _problem(status: int, line: str, pointer: str | None = None) -> JSONResponse:
    return JSONResponse({"detail": line, "pointer": pointer}, status_code=status)


def _problem_of(
    status: int, label: str | None = None
) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        return _problem(status, f"{label or type(exc).__name__}: {exc}")

    return handle


def create_app(settings: Settings) -> FastAPI:
    from railyard_batch.service import tables

    tables.engine(settings.store_url)  # the store opens (and the tables exist) before serving
    metrics = ServiceMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        reaper = threading.Thread(target=_reap, args=(settings, stop), daemon=True)
        reaper.start()
        yield
        stop.set()

    app = FastAPI(
        title="railyard-batch",
        version="1",
        summary="Submit training sweeps and read their results from the run store.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.runner = Runner(settings, metrics)
    app.include_router(router)
    app.include_router(models_router)

    @app.exception_handler(RequestError)
    async def request_error(_: Request, exc: RequestError) -> JSONResponse:
        return _problem(422, exc.line, exc.pointer)

    # Errors as problems: the status, and the line the CLI would print (named by the class
    # the handler is for; RailyardError's by the error's own class).
    for error, status in (
        (RunNotFoundError, 404),
        (ModelNotFoundError, 404),
        (PromotionRefused, 409),
        (PromotionConflict, 409),
        (CannotCancel, 409),
        (StoreError, 503),
    ):
        app.add_exception_handler(error, _problem_of(status, error.__name__))
    app.add_exception_handler(RailyardError, _problem_of(422))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        where = [str(p) for p in first.get("loc", ())]
        if where and where[0] == "body" and first.get("type") == "extra_forbidden":
            line = f"ConfigError: unknown key '{'.'.join(where[1:])}' in the request body"
        else:
            line = f"RequestError: {'.'.join(where)}: {first.get('msg', 'invalid')}"
        pointer = "/" + "/".join(where[1:]) if where[:1] == ["body"] else None
        return _problem(422, line.replace("\n", " "), pointer)

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.state.sweep_reads = Coalescer()  # the polled sweep page (service/coalesce.py)
    app.add_middleware(Measure, metrics=metrics)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app


class Measure:
    """ASGI middleware: each request counted by method, route and status, and its latency
    observed by route (a plain ASGI wrapper: no response buffering, no extra task)."""

    def __init__(self, app: Any, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = [500]  # an exception before the response started is a 500

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], path, str(status[0])).inc()
            self.metrics.latency.labels(path).observe(time.perf_counter() - started)
        return None


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes is 413, announced or streamed."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        too_big = JSONResponse(
            {"detail": f"RequestTooLarge: the body is limited to {self.limit} bytes"},
            status_code=413,
        )
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await too_big(scope, receive, send)
        if length is not None:  # announced, and no more than the server will read
            return await self.app(scope, receive, send)
        # Streamed (chunked): read it here, up to the limit, then hand it on whole.
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, receive, send)
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                return await too_big(scope, receive, send)
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
