"""The registry over HTTP: read models, versions and history (reader), promote and roll back
(promoter). The same functions as ``railyard-batch models ...``; the actor of a change is the
token's name, and promotion criteria are named files of the project's ``conf/promotion/``
(a request names one, it never gives a path or thresholds of its own)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from railyard_batch.errors import ConfigError
from railyard_batch.service import schemas
from railyard_batch.service.auth import principal, requires

router = APIRouter(tags=["models"])

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.Problem} for code in (401, 403, 404, 422)
}
_CHANGE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **_PROBLEMS,
    409: {"model": schemas.Problem, "description": "the gate refused, or the alias moved"},
}
CRITERIA_NAME = r"^[a-z0-9_]{1,64}$"
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9_.=-]{0,99}"  # registry.names.SEGMENT, for the spec
Name = Annotated[
    str,
    PathParam(
        pattern=rf"^{_SEGMENT}(/{_SEGMENT})*$",
        max_length=200,
        description="a registered model's name, e.g. fraud_v3/global",
    ),
]


class ModelSummary(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    versions: int
    aliases: dict[str, str]


class ModelList(BaseModel):
    items: list[ModelSummary]


class ModelDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    aliases: dict[str, Any]
    versions: list[dict[str, Any]]


class History(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    alias: str | None


class Promotion(BaseModel):
    """``POST /v1/models/{name}/promote``: the version (or a unique prefix) to make production."""

    model_config = ConfigDict(extra="forbid")
    version: str = Field(min_length=4, max_length=64, pattern=r"^[0-9a-f]+$")
    reason: str = Field(min_length=1, max_length=2000)
    evidence: str | None = Field(default=None, max_length=200)
    criteria: str = Field(
        default="default",
        pattern=CRITERIA_NAME,
        description="a file of conf/promotion/ (without .yaml)",
    )
    expect: str | None = Field(
        default=None,
        max_length=64,
        description="the version that must hold production now ('none' for no holder)",
    )


class Rollback(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class Moved(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    alias: str
    from_version: str | None
    to_version: str | None
    event_id: int
    actor: str


def _engine(request: Request) -> Any:
    from railyard_batch.registry.db import engine_for

    return engine_for(request.app.state.settings.store_url)


def _root(request: Request) -> Path:
    from railyard_batch.registry.registration import artifact_base

    settings = request.app.state.settings
    return artifact_base(str(Path(settings.root) / settings.artifact_root))


def _criteria(request: Request, name: str) -> Any:
    from railyard_batch.registry.promotion import load_criteria

    settings = request.app.state.settings
    folder = Path(settings.root) / settings.conf_dir / "promotion"
    known = sorted(p.stem for p in folder.glob("*.yaml") if re.match(CRITERIA_NAME, p.stem))
    if name not in known:
        raise ConfigError(
            f"Unknown promotion criteria {name!r}; the project's conf/promotion/ has:"
            f" {', '.join(known) or 'none'}."
        )
    return load_criteria(folder / f"{name}.yaml")


@router.get("/v1/models", response_model=ModelList, responses=_PROBLEMS, **requires("reader"))
def list_models(request: Request) -> dict[str, Any]:
    from railyard_batch.registry import reads

    return {"items": reads.list_models(_engine(request))}


@router.get(
    "/v1/models/{name:path}/history",
    response_model=History,
    responses=_PROBLEMS,
    **requires("reader"),
)
def model_history(
    name: Name,
    request: Request,
    alias: Annotated[str | None, Query(pattern=rf"^{_SEGMENT}$")] = None,
    at: Annotated[
        datetime | None, Query(description="who held the alias then (default: production)")
    ] = None,
) -> dict[str, Any]:
    from railyard_batch.registry import reads

    when = None if at is None else at.isoformat()
    return reads.history(_engine(request), name, alias=alias, at=when)


@router.get(
    "/v1/models/{name:path}", response_model=ModelDetail, responses=_PROBLEMS, **requires("reader")
)
def get_model(name: Name, request: Request) -> dict[str, Any]:
    from railyard_batch.registry import reads

    return reads.show_model(_engine(request), name)


@router.post(
    "/v1/models/{name:path}/promote",
    response_model=Moved,
    responses=_CHANGE_PROBLEMS,
    **requires("promoter"),
)
def promote(name: Name, body: Promotion, request: Request) -> dict[str, Any]:
    """Make ``version`` production through the promotion gate (``criteria``), with the
    token's name as the actor. ``--force`` has no HTTP form: forcing is the CLI's."""
    from railyard_batch.registry.aliases import promote as promote_version
    from railyard_batch.registry.changes import Actor

    who = principal(request).name
    moved = promote_version(
        _engine(request),
        _root(request),
        name,
        body.version,
        Actor(who, reason=body.reason, evidence=body.evidence),
        _criteria(request, body.criteria),
        expect=body.expect,
    )
    return {**moved.to_dict(), "actor": who}


@router.post(
    "/v1/models/{name:path}/rollback",
    response_model=Moved,
    responses=_CHANGE_PROBLEMS,
    **requires("promoter"),
)
def rollback(name: Name, body: Rollback, request: Request) -> dict[str, Any]:
    from railyard_batch.registry.aliases import rollback as roll_back
    from railyard_batch.registry.changes import Actor

    who = principal(request).name
    moved = roll_back(_engine(request), _root(request), name, Actor(who, reason=body.reason))
    return {**moved.to_dict(), "actor": who}
