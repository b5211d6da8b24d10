"""Request and response bodies: what ``/openapi.json`` documents and responses are checked
against. Records read from the run store keep their columns (``extra="allow"``): the
fields named here are the ones a client can rely on."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_OVERRIDES = 200


class TrainingRequest(BaseModel):
    """``POST /v1/trainings``: an experiment, Hydra overrides and, optionally, a document of
    config values (nested keys, merged over the composed config like ``++key=value``)."""

    model_config = ConfigDict(extra="forbid")

    experiment: str = Field(
        min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_]+$", examples=["fraud_v3"]
    )
    overrides: list[str] = Field(
        default_factory=list, max_length=MAX_OVERRIDES, examples=[["estimator=xgboost"]]
    )
    multirun: bool = True
    config: dict[str, Any] | None = None


class TrainingAccepted(BaseModel):
    sweep_id: str
    state: str
    jobs: int = Field(description="Hydra jobs (runs) the sweep has")
    url: str


class Problem(BaseModel):
    """An error: ``detail`` is one line; for a config mistake, ``pointer`` is its key."""

    detail: str
    pointer: str | None = None


class Record(BaseModel):
    model_config = ConfigDict(extra="allow")


class SweepSummary(Record):
    id: str
    experiment: str
    state: str
    backend: str | None = None
    created_at: str
    finished_at: str | None = None
    actor: str | None = None


class SweepList(BaseModel):
    items: list[SweepSummary]
    offset: int
    limit: int
    next_offset: int | None


class Member(Record):
    id: str
    run_id: str
    sweep_id: str
    member_key: str
    state: str
    metrics: dict[str, Any] | None = None
    reason: str | None = None


class Run(Record):
    id: str
    sweep_id: str
    job_num: int
    state: str
    estimator: str | None = None


class MemberPage(BaseModel):
    items: list[Member]
    total: int
    offset: int
    limit: int
    next_offset: int | None


class SweepDetail(BaseModel):
    sweep: SweepSummary
    counts: dict[str, int]
    runs: list[Run]
    members: MemberPage
    error: str | None = Field(None, description="why the sweep's process ended, if it failed")


class LogPart(BaseModel):
    source: str
    text: str
    whole: bool


class MemberLogs(BaseModel):
    member: Member
    parts: list[LogPart]


class Cancelled(BaseModel):
    sweep_id: str
    state: str
    counts: dict[str, int]
    cancelled_by: str


class Health(BaseModel):
    status: str
