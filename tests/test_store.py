"""The run store under parallel writers: no record lost or corrupted; on SQLite and on
PostgreSQL (the ``store_url`` fixture). What it reads: typed records that give back the rows
as it returned them before (issue 18)."""

from __future__ import annotations

import json
import multiprocessing
from dataclasses import FrozenInstanceError, fields
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from railyard_batch.recording import tables
from railyard_batch.recording.records import (
    CompositionRecord,
    MemberRecord,
    RunHeader,
    RunRecord,
    SweepRecord,
    SweepSummary,
)
from railyard_batch.recording.store import MemberOutcome, RunStore, now


def _write(url: str, worker: int, count: int) -> None:
    store = RunStore(url)
    for i in range(count):
        stamp = now()
        store.record_outcomes(
            [
                MemberOutcome(
                    f"run/m{worker}-{i}",
                    "succeeded",
                    stamp,
                    stamp,
                    metrics={"i": i, "worker": worker},
                )
            ]
        )
    store.close()


def test_parallel_writers_lose_nothing(store_url: str) -> None:
    url = store_url
    store = RunStore(url)
    store.create_sweep(
        "s",
        experiment="e",
        command="c",
        overrides=[],
        git_commit=None,
        git_dirty=None,
        package_versions={},
        backend="local",
    )
    workers, count = 4, 150
    members = [
        (f"run/m{w}-{i}", f"m{w}-{i}", f"M{w}/{i}", w, 1, f"k{w}-{i}", None)
        for w in range(workers)
        for i in range(count)
    ]
    store.create_run(
        "run",
        sweep_id="s",
        job_num=0,
        overrides=[],
        config={"a": 1},
        config_hash="h",
        estimator="E",
        data_path="d",
        data_md5="0" * 32,
        data_source="untracked",
        artifact_uri="u",
        members=members,
    )
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write, args=(url, w, count)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    rows = store.members(run_id="run")
    assert len(rows) == workers * count
    assert all(r.state == "succeeded" for r in rows)
    assert {(r.metrics["worker"], r.metrics["i"]) for r in rows} == {
        (w, i) for w in range(workers) for i in range(count)
    }
    # The raw fan-out value is kept as data next to its safe key.
    assert {r.member_value for r in rows} == {
        f"M{w}/{i}" for w in range(workers) for i in range(count)
    }
    store.finish_runs("s")
    assert store.sweep("s").state == "succeeded"
    assert store.run("run").state == "succeeded"


def test_a_failed_member_fails_its_run_and_sweep(store_url: str) -> None:
    store = RunStore(store_url)
    store.create_sweep(
        "s",
        experiment="e",
        command="c",
        overrides=[],
        git_commit=None,
        git_dirty=None,
        package_versions={},
        backend="local",
    )
    store.create_run(
        "r",
        sweep_id="s",
        job_num=0,
        overrides=[],
        config={},
        config_hash="h",
        estimator="E",
        data_path="d",
        data_md5="m",
        data_source="x",
        artifact_uri="u",
        members=[("r/a", "a", "a", 0, 1, "ka", None), ("r/b", "b", "b", 0, 1, "kb", None)],
    )
    stamp = now()
    store.record_outcomes([MemberOutcome("r/a", "succeeded", stamp, stamp)])
    store.fail_unfinished("s", "worker died")
    store.finish_runs("s")
    assert store.member("r/b").reason == "worker died"
    assert store.run("r").state == "failed"
    assert store.sweep("s").state == "failed"


def _leased_sweep(store: RunStore, sweep_id: str, lease_s: float | None) -> None:
    store.create_sweep(
        sweep_id,
        experiment="e",
        command="c",
        overrides=[],
        git_commit=None,
        git_dirty=None,
        package_versions={},
        backend="local",
        owner=None if lease_s is None else "launcher",
        lease_s=lease_s,
    )
    store.create_run(
        f"{sweep_id}-r",
        sweep_id=sweep_id,
        job_num=0,
        overrides=[],
        config={},
        config_hash="h",
        estimator="E",
        data_path="d",
        data_md5="m",
        data_source="x",
        artifact_uri="u",
        members=[(f"{sweep_id}-r/{k}", k, k, 0, 1, f"{sweep_id}{k}", None) for k in "ab"],
    )


def test_a_sweep_is_dead_only_when_its_launcher_and_its_workers_are(store_url: str) -> None:
    import time

    store = RunStore(store_url)
    _leased_sweep(store, "s", lease_s=0.2)
    store.mark_running(["s-r/a"], owner="worker", lease_s=0.2)
    assert store.close_dead() == []  # both leases live
    time.sleep(0.3)
    store.renew_members(["s-r/a"], "worker", 60)  # the worker outlived its launcher
    assert store.close_dead() == []
    assert store.member("s-r/a").state == "running"
    assert store.member("s-r/b").state == "failed"  # queued, nobody holds it
    assert store.member("s-r/b").reason.startswith("worker lost: no heartbeat since")
    assert store.sweep("s").state == "running"
    store.renew_members(["s-r/a"], "someone else", 60)  # only the owner renews
    store.renew_members(["s-r/a"], "worker", -1)  # the worker's lease runs out
    assert store.close_dead() == ["s"]
    assert store.sweep("s").state == "failed" and store.sweep("s").finished_at
    assert {m.state for m in store.members(sweep_id="s")} == {"failed"}


def test_gc_closes_sweeps_left_running_by_versions_without_leases(store_url: str) -> None:
    store = RunStore(store_url)
    _leased_sweep(store, "old", lease_s=None)
    assert store.close_dead() == []  # no lease: a reader cannot tell it is dead
    assert store.close_dead(unleased_local=True) == ["old"]
    assert store.sweep("old").state == "failed"


def test_many_outcomes_and_cached_copies_in_one_call(store_url: str) -> None:
    store = RunStore(store_url)
    _leased_sweep(store, "s", lease_s=60)
    stamp = now()
    store.record_outcomes(
        [
            MemberOutcome("s-r/a", "succeeded", stamp, stamp, metrics={"auc": 0.7}),
            MemberOutcome("s-r/b", "failed", stamp, stamp, reason="boom"),
        ]
    )
    store.record_outcomes(  # late reports of a start change nothing once finished
        [MemberOutcome(m, "running", now(), now(), node="late") for m in ("s-r/a", "s-r/b")]
    )
    assert [(m.state, m.node) for m in store.members(sweep_id="s")] == [
        ("succeeded", None),
        ("failed", None),
    ]
    store.create_sweep(
        "t",
        experiment="e",
        command="c",
        overrides=[],
        git_commit=None,
        git_dirty=None,
        package_versions={},
        backend="local",
    )
    store.create_run(
        "t-r",
        sweep_id="t",
        job_num=0,
        overrides=[],
        config={},
        config_hash="h",
        estimator="E",
        data_path="d",
        data_md5="m",
        data_source="x",
        artifact_uri="u",
        members=[
            ("t-r/a", "a", "a", 0, 1, "sa", "s-r/a"),
            ("t-r/a2", "a2", "a2", 0, 1, "sa", "s-r/a"),
            ("t-r/c", "c", "c", 0, 1, "tc", None),
        ],
    )
    rows = {m.id: m for m in store.members(sweep_id="t")}
    assert [rows[k].state for k in ("t-r/a", "t-r/a2", "t-r/c")] == [
        "cached",
        "cached",
        "queued",
    ]
    assert rows["t-r/a2"].cached_from == "s-r/a" and rows["t-r/a2"].metrics == {"auc": 0.7}
    assert store.succeeded_by_content_key(["sa", "sb", "nope"]) == {"sa": "s-r/a"}


# -- what the store reads: typed records (issue 18) ---------------------------------------------


def _as_stored(row: Any) -> dict[str, Any]:
    """A row as the store returned it before records: a dict, JSON columns decoded."""
    out = dict(row)
    for key in tables.JSON_COLUMNS & out.keys():
        if out[key] is not None:
            out[key] = json.loads(out[key])
    return out


def _names(table: Any) -> list[str]:
    return [c.name for c in table.c]


def _recorded(url: str) -> RunStore:
    """A sweep (held, with a lease) of one run: a succeeded member with metrics, an export and
    a log section, a queued global member, and a composition."""
    store = RunStore(url)
    store.create_sweep(
        "s",
        experiment="e",
        command="railyard-batch run +x=1",
        overrides=["+x=1"],
        git_commit="abc",
        git_dirty=True,
        package_versions={"numpy": "2.0"},
        backend="local",
        owner="me",
        lease_s=60,
    )
    store.create_run(
        "s-r",
        sweep_id="s",
        job_num=0,
        overrides=["+x=1"],
        config={"fanout": {"by": "merchant"}, "n": [1, 2.5, None]},
        config_hash="h",
        estimator="E",
        data_path="d",
        data_md5="0" * 32,
        data_source="untracked",
        artifact_uri="u",
        members=[
            ("s-r/a", "a", {"raw": ["a", 1]}, 0, 7, "ka", None),
            ("s-r/__global__", "__global__", None, 1, 9, "kg", None),
        ],
    )
    stamp = now()
    store.record_outcomes(
        [
            MemberOutcome(
                "s-r/a",
                "succeeded",
                stamp,
                stamp,
                metrics={"auc": 0.75, "n_holdout": 3, "by": {"x": [1, None]}},
                artifact_uri="u/a/model.pkl",
                model_sha256="f" * 64,
                export={"exportable": False, "reason": "no exporter"},
                node="host",
                log={"uri": "u/logs/shard-0/x.log", "start": 0, "end": 10},
            )
        ]
    )
    store.mark_running(["s-r/__global__"], owner="w", lease_s=60)
    store.record_composition(
        {
            "id": "s-r/composition.routed",
            "run_id": "s-r",
            "sweep_id": "s",
            "name": "routed",
            "kind": "route",
            "state": "succeeded",
            "content_key": "c" * 64,
            "config": {"kind": "route", "weights": {"member": 1.0}},
            "metrics": {"pr_auc": 0.5, "global": {"pr_auc": 0.4}},
            "result": "u/compositions/routed/x.json",
            "export": None,
            "created_at": stamp,
            "finished_at": stamp,
        }
    )
    return store


def test_each_record_gives_back_the_row_the_store_returned(store_url: str) -> None:
    """store -> record -> to_dict() is the row as the store returned it before records: the
    same keys in the same order (the table's columns), the same values."""
    store = _recorded(store_url)
    try:

        def stored(table: Any) -> list[dict[str, Any]]:
            return [_as_stored(r) for r in store._rows(select(table).order_by(table.c.id))]

        def same(record: Any, row: dict[str, Any]) -> None:
            got = record.to_dict()
            assert got == row and list(got) == list(row)

        (sweep,) = stored(tables.sweeps)
        assert list(sweep) == _names(tables.sweeps) and isinstance(sweep["lease_expires"], float)
        same(store.sweep("s"), sweep)
        (run,) = stored(tables.runs)
        assert list(run) == _names(tables.runs)
        same(store.run("s-r"), run)
        (listed,) = store.runs("s")
        same(listed, run)
        members = stored(tables.members)
        assert len(members) == 2 and list(members[0]) == _names(tables.members)
        for row in members:
            same(store.member(row["id"]), row)
        in_order = sorted(members, key=lambda m: (m["run_id"], -m["n_rows"], m["member_key"]))
        got = store.members(sweep_id="s")
        assert [m.to_dict() for m in got] == in_order
        assert [list(m.to_dict()) for m in got] == [_names(tables.members)] * 2
        (composition,) = stored(tables.compositions)
        assert list(composition) == _names(tables.compositions)
        same(store.composition("s-r/composition.routed"), composition)
        (composed,) = store.compositions(sweep_id="s")
        same(composed, composition)

        counts = {"n_runs": 1, "n_members": 2, "n_succeeded": 1, "n_failed": 0}
        (summary,) = store.list_sweeps()
        same(summary, {**sweep, **counts, "n_skipped": 0, "n_cached": 0})
        page = store.sweep_page("s", limit=1)
        header = {k: v for k, v in run.items() if k != "config"}
        expected = {
            "sweep": sweep,
            "counts": {"succeeded": 1, "running": 1},
            "runs": [header],
            "members": in_order[:1],
            "total": 2,
        }
        assert page.to_dict() == expected and list(page.to_dict()) == list(expected)
        assert list(page.to_dict()["runs"][0]) == list(header)
        assert isinstance(page.runs[0], RunHeader) and not isinstance(page.runs[0], RunRecord)
    finally:
        store.close()


def test_records_are_frozen_and_hold_exactly_their_tables_columns() -> None:
    for record, table in (
        (SweepRecord, tables.sweeps),
        (RunRecord, tables.runs),
        (MemberRecord, tables.members),
        (CompositionRecord, tables.compositions),
    ):
        assert list(record._columns) == _names(table)
        assert sorted(f.name for f in fields(record)) == sorted(_names(table))
    assert list(RunHeader._columns) == [n for n in _names(tables.runs) if n != "config"]
    counted = ["n_runs", "n_members", "n_succeeded", "n_failed", "n_skipped", "n_cached"]
    assert list(SweepSummary._columns) == _names(tables.sweeps) + counted

    row: dict[str, Any] = dict.fromkeys(_names(tables.members))
    row.update(id="r/a", metrics='{"auc": 1}')
    member = MemberRecord.from_row(row)
    assert member.metrics == {"auc": 1} and member.export is None
    with pytest.raises(FrozenInstanceError):
        member.state = "succeeded"
    assert not hasattr(member, "__dict__")  # slots
    assert member == MemberRecord.from_row(row)
    with pytest.raises(ValueError, match="MemberRecord has the columns"):
        MemberRecord.from_row({**row, "extra": 1})  # a table changed without its record


_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
JSON_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=16,
)
DOCUMENTS = st.none() | st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=5)


@settings(max_examples=200, deadline=None)
@given(metrics=DOCUMENTS, export=DOCUMENTS, log=DOCUMENTS, value=JSON_VALUES)
def test_a_member_record_gives_back_any_json_values_unchanged(
    metrics: Any, export: Any, log: Any, value: Any
) -> None:
    """Whatever JSON a member's metrics, export, log and fan-out value hold, its record holds
    and gives back the same values (same types too: 1 is not 1.0, True is not 1)."""
    documents = {"metrics": metrics, "export": export, "log": log}
    row: dict[str, Any] = dict.fromkeys(_names(tables.members))
    row.update(id="r/a", run_id="r", sweep_id="s", member_key="a", shard=0, state="succeeded")
    row.update({k: None if v is None else json.dumps(v) for k, v in documents.items()})
    row["member_value"] = json.dumps(value)  # as create_run stores it (the global's: null)
    documents["member_value"] = value
    record = MemberRecord.from_row(row)
    got = record.to_dict()
    assert got == {**row, **documents} and list(got) == _names(tables.members)
    for key, expected in documents.items():
        assert got[key] == expected and getattr(record, key) == expected
        assert json.dumps(got[key]) == json.dumps(expected)
