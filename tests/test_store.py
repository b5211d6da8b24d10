"""The run store under parallel writers: no record lost or corrupted; on SQLite and on
PostgreSQL (the ``store_url`` fixture)."""

from __future__ import annotations

import multiprocessing

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
