"""The endpoints. Every read goes through :class:`RunStore`'s public methods (one store per
worker thread); the service's own state (tokens, trainings) is in :mod:`tables`."""

from __future__ import annotations

import hashlib
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from railyard_batch.errors import RunNotFoundError
from railyard_batch.recording.store import RunStore
from railyard_batch.service import schemas, trainings
from railyard_batch.service.auth import principal, requires
from railyard_batch.service.cancel import cancel_sweep
from railyard_batch.service.coalesce import Coalescer
from railyard_batch.service.submit import RequestError, argv, check_request

router = APIRouter()

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.Problem} for code in (401, 403, 404, 422)
}
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]
Limit = Annotated[int, Query(ge=1, le=1000)]


class Stores:
    """The process's RunStore, shared by the request threads (its engine's pool is
    thread-safe; a SQLite connection may cross threads, each used by one at a time): one
    pool of connections for the service, not one per thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.store: RunStore | None = None


_stores = Stores()


def store_of(request: Request) -> RunStore:
    return shared_store(request.app.state.settings.store_url)


def shared_store(url: str) -> RunStore:
    """The process's store for ``url`` (opened on first use, again after ``/readyz`` found
    it gone)."""
    store = _stores.store
    if store is None or store.url != url:
        with _stores.lock:
            store = _stores.store
            if store is None or store.url != url:
                store = _stores.store = RunStore(url)
    return store


def _page(items: list[Any], offset: int, limit: int, total: int) -> dict[str, Any]:
    """One page already cut (``items``) of ``total``."""
    end = offset + limit
    return {
        "items": items,
        "total": total,
        "offset": offset,
        "limit": limit,
        "next_offset": end if end < total else None,
    }


def _submitted(record: dict[str, Any]) -> dict[str, Any]:
    """A sweep the service accepted that its process has not recorded (yet, or ever)."""
    from railyard_batch.service.cancel import process_alive

    if record.get("cancelled_by"):
        state = "cancelled"
    elif record.get("exit_code") is not None or not (
        record.get("pid") and process_alive(int(record["pid"]), str(record["sweep_id"]))
    ):
        state = "failed"
    else:
        state = "submitted"
    return {
        "id": record["sweep_id"],
        "experiment": record["experiment"],
        "state": state,
        "backend": None,
        "created_at": record["created_at"],
        "finished_at": record.get("finished_at"),
        "actor": record["actor"],
    }


@router.get("/healthz", response_model=schemas.Health, tags=["health"])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=schemas.Health,
    responses={503: {"model": schemas.Problem}},
    tags=["health"],
)
def readyz(request: Request, response: Response) -> dict[str, str]:
    try:
        store_of(request).list_sweeps(1)
        trainings.get(request.app.state.settings.store_url, "-")
    except Exception as exc:
        _stores.store = None
        response.status_code = 503
        return {"status": f"the run store is not reachable: {type(exc).__name__}: {exc}"}
    return {"status": "ready"}


@router.post(
    "/v1/trainings",
    status_code=202,
    response_model=schemas.TrainingAccepted,
    responses={**_PROBLEMS, 413: {"model": schemas.Problem}},
    **requires("trainer"),
)
def submit_training(
    body: schemas.TrainingRequest,
    request: Request,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            description="a retried POST with the same key returns the same sweep",
        ),
    ] = None,
) -> dict[str, Any]:
    from railyard_batch.sweep import new_sweep_id

    settings = request.app.state.settings
    caller = principal(request)
    actor = caller.name
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    if idempotency_key is not None:
        known = trainings.by_idempotency_key(settings.store_url, actor, idempotency_key)
        if known is not None:
            return _accepted(known, digest, response)
    checked = check_request(settings.conf_dir, body, settings.launch)
    sweep_id = new_sweep_id()
    command = argv(checked, sweep_id=sweep_id, store_url=settings.store_url)
    record = trainings.claim(
        settings.store_url,
        sweep_id=sweep_id,
        actor=actor,
        idempotency_key=idempotency_key,
        request_sha256=digest,
        experiment=body.experiment,
        estimators=checked.estimators,
        argv=command,
        team=caller.team,
    )
    if record["sweep_id"] != sweep_id:  # a concurrent retry won
        return _accepted(record, digest, response)
    request.app.state.runner.launch(sweep_id, command, checked.estimators, caller.team)
    response.headers["Location"] = f"/v1/sweeps/{sweep_id}"
    return {
        "sweep_id": sweep_id,
        "state": "submitted",
        "jobs": checked.jobs,
        "url": f"/v1/sweeps/{sweep_id}",
    }


def _accepted(record: dict[str, Any], digest: str, response: Response) -> dict[str, Any]:
    import json

    if record["request_sha256"] != digest:
        raise RequestError(
            "ConfigError: The 'Idempotency-Key' header names an earlier request with another "
            f"body (sweep {record['sweep_id']}); use a new key for a new request."
        )
    response.headers["Location"] = f"/v1/sweeps/{record['sweep_id']}"
    return {
        "sweep_id": record["sweep_id"],
        "state": "submitted",
        "jobs": len(json.loads(record["estimators"])),
        "url": f"/v1/sweeps/{record['sweep_id']}",
    }


@router.get(
    "/v1/sweeps", response_model=schemas.SweepList, responses=_PROBLEMS, **requires("reader")
)
def list_sweeps(request: Request, offset: Offset = 0, limit: Limit = 20) -> dict[str, Any]:
    store = store_of(request)
    rows = store.list_sweeps(offset + limit + 1)
    actors = trainings.all_by_id(store.url, [r.id for r in rows])
    items = [
        {**r.to_dict(), "actor": actors.get(r.id, {}).get("actor")}
        for r in rows[offset : offset + limit]
    ]
    return {
        "items": items,
        "offset": offset,
        "limit": limit,
        "next_offset": offset + limit if len(rows) > offset + limit else None,
    }


@router.get(
    "/v1/sweeps/{sweep_id}",
    response_model=schemas.SweepDetail,
    responses=_PROBLEMS,
    **requires("reader"),
)
def get_sweep(
    sweep_id: str,
    request: Request,
    offset: Offset = 0,
    limit: Limit = 100,
    state: Annotated[
        str | None, Query(pattern="^(queued|running|succeeded|failed|skipped|cached)$")
    ] = None,
) -> Response:
    store = store_of(request)
    reads: Coalescer = request.app.state.sweep_reads
    body = reads.read(
        (store.url, sweep_id, state, offset, limit),
        lambda: _encoded(_sweep_detail(store, sweep_id, state, offset, limit)),
    )
    return Response(body, media_type="application/json")


def _encoded(detail: dict[str, Any]) -> bytes:
    """The page as the response model writes it, encoded once for every request that shares
    the read (not once per request)."""
    return schemas.SweepDetail.model_validate(detail).model_dump_json().encode()


def _sweep_detail(
    store: RunStore, sweep_id: str, state: str | None, offset: int, limit: int
) -> dict[str, Any]:
    record = trainings.get(store.url, sweep_id)
    try:
        page = store.sweep_page(sweep_id, state=state, offset=offset, limit=limit)
    except RunNotFoundError:
        if record is None:
            raise
        summary = _submitted(record)
        return {
            "sweep": summary,
            "counts": {},
            "runs": [],
            "members": _page([], offset, limit, 0),
            "error": record.get("error"),
        }
    return {
        "sweep": {**page.sweep.to_dict(), "actor": record["actor"] if record else None},
        "counts": page.counts,
        "runs": [r.to_dict() for r in page.runs],
        "members": _page([m.to_dict() for m in page.members], offset, limit, page.total),
        "error": record.get("error") if record else None,
    }


@router.get(
    "/v1/sweeps/{sweep_id}/report",
    response_class=HTMLResponse,
    responses={
        200: {"content": {"text/html": {}}, "description": "The report"},
        # (an HTML route's other answers would otherwise be documented as text/html)
        **{
            code: {
                "description": "A problem",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                },
            }
            for code in _PROBLEMS
        },
    },
    **requires("reader"),
)
def get_sweep_report(sweep_id: str, request: Request) -> HTMLResponse:
    """The sweep's HTML report (the page ``railyard-batch report`` writes): one
    self-contained document, rendered from the store on each request."""
    from railyard_batch.reports.page import render_report

    page = render_report(store_of(request), sweep_id)
    return HTMLResponse(
        page, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    )


@router.post(
    "/v1/sweeps/{sweep_id}/cancel",
    response_model=schemas.Cancelled,
    responses={**_PROBLEMS, 409: {"model": schemas.Problem}},
    **requires("trainer"),
)
async def cancel(sweep_id: str, request: Request) -> dict[str, Any]:
    actor = principal(request).name

    def work() -> dict[str, Any]:
        store = store_of(request)
        counts = cancel_sweep(store, sweep_id, actor)
        record = trainings.get(store.url, sweep_id)
        try:
            state = store.sweep(sweep_id).state
        except RunNotFoundError:
            state = _submitted(record)["state"] if record else "cancelled"
        return {"sweep_id": sweep_id, "state": state, "counts": counts, "cancelled_by": actor}

    return await run_in_threadpool(work)


@router.get(
    "/v1/runs/{run_id}", response_model=schemas.Run, responses=_PROBLEMS, **requires("reader")
)
def get_run(run_id: str, request: Request) -> dict[str, Any]:
    store = store_of(request)
    run = store.run(run_id)
    return {**run.to_dict(), "counts": store.state_counts(run_id=run_id)}


@router.get(
    "/v1/members/{member_id:path}/logs",
    response_model=schemas.MemberLogs,
    responses=_PROBLEMS,
    **requires("reader"),
)
def get_member_logs(member_id: str, request: Request) -> dict[str, Any]:
    from railyard_batch.execution.member_logs import member_logs

    member, parts = member_logs(store_of(request), member_id)
    return {
        "member": member.to_dict(),
        "parts": [{"source": p.source, "text": p.text, "whole": p.whole} for p in parts],
    }


@router.get(
    "/v1/members/{member_id:path}",
    response_model=schemas.Member,
    responses=_PROBLEMS,
    **requires("reader"),
)
def get_member(member_id: str, request: Request) -> dict[str, Any]:
    return store_of(request).member(member_id).to_dict()
