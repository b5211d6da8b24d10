"""Prometheus metrics of one service (its own registry, so two apps in a process do not
collide): requests by route and status, trainings started/succeeded/failed by team (the
submitting token's, ``tokens create --team``; empty for a token without one) and estimator,
and the training time of members."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram

if TYPE_CHECKING:
    from railyard_batch.recording.records import MemberRecord, RunRecord


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "railyard_http_requests",
            "HTTP requests served",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "railyard_http_request_seconds",
            "Time to serve a request",
            ["route"],
            registry=self.registry,
        )
        self.trainings = Counter(
            "railyard_trainings",
            "Trainings (Hydra jobs, one estimator each) by what happened to them",
            ["event", "team", "estimator"],
            registry=self.registry,
        )
        self.member_seconds = Histogram(
            "railyard_member_duration_seconds",
            "Training time of members, from started to finished",
            ["estimator"],
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600, float("inf")),
            registry=self.registry,
        )

    def started(self, estimators: list[str], team: str | None) -> None:
        for name in estimators:
            self.trainings.labels("started", team or "", name).inc()

    def ended(self, runs: list[RunRecord], members: list[MemberRecord], team: str | None) -> None:
        """Count a sweep's runs once its process ended, and observe its members' times."""
        by_run = {}
        for run in runs:
            name = str(run.estimator or "").rsplit(".", 1)[-1]
            by_run[run.id] = name
            event = "succeeded" if run.state == "succeeded" else "failed"
            self.trainings.labels(event, team or "", name).inc()
        for member in members:
            if member.state in ("succeeded", "failed") and member.started_at:
                start = datetime.fromisoformat(member.started_at)
                end = datetime.fromisoformat(str(member.finished_at))
                self.member_seconds.labels(by_run.get(member.run_id, "")).observe(
                    max(0.0, (end - start).total_seconds())
                )
