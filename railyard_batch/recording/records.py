"""What :class:`~railyard_batch.recording.store.RunStore` reads, as typed, frozen records: one
per table of ``tables.py`` (a sweep, a run, a member, a composition), its fields exactly the
table's columns, same names and order, JSON columns decoded.

Every record is made from a row in one place (``from_row``: the row as the database returns
it, JSON columns as text), and gives back the dict the store returned before there were
records (``to_dict``: same keys, same order, same values), from which the CLI's ``--json``
and the service's responses are built unchanged.

Two records carry less or more than their table:

- :class:`SweepSummary` (``RunStore.list_sweeps``): a sweep with its counts (``n_runs``,
  ``n_members`` and members by finished state: ``n_succeeded``, ``n_failed``, ``n_skipped``,
  ``n_cached``), after the sweep's columns;
- :class:`RunHeader` (the runs of ``RunStore.sweep_page``): a run without its ``config`` (a
  service page does not show it); :class:`RunRecord` is a run header with its config, so
  what reads only a run's header takes either.

A sweep summary is a :class:`SweepRecord` too. Records compare equal field by field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self

from railyard_batch.recording.tables import JSON_COLUMNS, compositions, members, runs, sweeps

__all__ = [
    "CompositionRecord",
    "MemberRecord",
    "RunHeader",
    "RunRecord",
    "SweepPage",
    "SweepRecord",
    "SweepSummary",
]


class _Record:
    """``from_row`` and ``to_dict`` for a record whose ``_columns`` name its fields in the
    order of the row (the table's columns)."""

    __slots__ = ()
    _columns: ClassVar[tuple[str, ...]]

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Self:
        """The record of a row as read (JSON columns as text, or None); a row with other
        columns than the record's is refused (a table changed without its record)."""
        if len(row) != len(cls._columns):
            raise ValueError(
                f"{cls.__name__} has the columns {list(cls._columns)}; the row has {list(row)}."
            )
        values = {}
        for name in cls._columns:
            value = row[name]
            if value is not None and name in JSON_COLUMNS:
                value = json.loads(value)
            values[name] = value
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The row as a dict (JSON columns decoded), in column order; its values are the
        record's own (not copies)."""
        return {name: getattr(self, name) for name in self._columns}


def _set_columns(cls: type[Any], order: tuple[str, ...] | None = None) -> None:
    """Name ``cls``'s columns: ``order`` (a table's), which must hold exactly its fields, or
    its fields in their order."""
    names = tuple(f.name for f in fields(cls))
    if order is not None:
        if sorted(order) != sorted(names):
            raise TypeError(f"{cls.__name__} has the fields {names}; its table {order}.")
        names = order
    cls._columns = names


@dataclass(frozen=True, slots=True)
class SweepRecord(_Record):
    """A row of ``sweeps``: one sweep (``railyard-batch run``, a service training)."""

    id: str
    experiment: str
    state: str
    command: str | None
    overrides: list[str] | None
    git_commit: str | None
    git_dirty: int | None
    package_versions: dict[str, str] | None
    backend: str | None
    created_at: str
    finished_at: str | None
    owner: str | None
    lease_expires: float | None
    heartbeat_at: str | None


@dataclass(frozen=True, slots=True)
class SweepSummary(SweepRecord):
    """A sweep as ``runs list`` and ``GET /v1/sweeps`` show it: its columns, then counts."""

    n_runs: int
    n_members: int
    n_succeeded: int
    n_failed: int
    n_skipped: int
    n_cached: int


@dataclass(frozen=True, slots=True)
class RunHeader(_Record):
    """A row of ``runs`` without its ``config`` (the runs of a service page)."""

    id: str
    sweep_id: str
    job_num: int
    overrides: list[str] | None
    config_hash: str
    estimator: str | None
    data_path: str | None
    data_md5: str | None
    data_source: str | None
    artifact_uri: str | None
    state: str
    created_at: str
    finished_at: str | None


@dataclass(frozen=True, slots=True)
class RunRecord(RunHeader):
    """A row of ``runs``: one Hydra job of a sweep, with its config (passwords hidden)."""

    config: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MemberRecord(_Record):
    """A row of ``members``: one model of a run (a fan-out value, or the global model)."""

    id: str
    run_id: str
    sweep_id: str
    member_key: str
    member_value: Any  # the raw fan-out value, as JSON (None: the global model)
    shard: int
    n_rows: int | None
    state: str
    queued_at: str
    started_at: str | None
    finished_at: str | None
    metrics: dict[str, Any] | None
    artifact_uri: str | None
    model_sha256: str | None
    reason: str | None
    content_key: str | None
    cached_from: str | None
    export: dict[str, Any] | None
    node: str | None
    log: dict[str, Any] | None  # its lines in the shard's log: {"uri", "start", "end"}
    owner: str | None
    lease_expires: float | None


@dataclass(frozen=True, slots=True)
class CompositionRecord(_Record):
    """A row of ``compositions``: a composition of a run's members (``railyard-batch
    compose``), its newest evaluation."""

    id: str
    run_id: str
    sweep_id: str
    name: str
    kind: str
    state: str
    content_key: str
    config: dict[str, Any]
    metrics: dict[str, Any] | None
    result: str | None  # the result document's path
    export: dict[str, Any] | None
    created_at: str
    finished_at: str | None


# Each record's columns in its table's order (a table changed without its record fails here).
_set_columns(SweepRecord, tuple(sweeps.c.keys()))
_set_columns(SweepSummary)  # the sweep's columns, then its counts
_RUN_COLUMNS = tuple(runs.c.keys())
_set_columns(RunHeader, tuple(k for k in _RUN_COLUMNS if k != "config"))
_set_columns(RunRecord, _RUN_COLUMNS)
_set_columns(MemberRecord, tuple(members.c.keys()))
_set_columns(CompositionRecord, tuple(compositions.c.keys()))


@dataclass(frozen=True, slots=True)
class SweepPage:
    """What a service page of a sweep shows (``RunStore.sweep_page``), read from one
    snapshot: the sweep, its members by state, its runs (without their config), one page of
    members and how many members the page is cut from."""

    sweep: SweepRecord
    counts: dict[str, int]
    runs: list[RunHeader]
    members: list[MemberRecord]
    total: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "sweep": self.sweep.to_dict(),
            "counts": self.counts,
            "runs": [r.to_dict() for r in self.runs],
            "members": [m.to_dict() for m in self.members],
            "total": self.total,
        }
