"""State transitions under concurrent writers, on SQLite and PostgreSQL: 8 processes x 1,000
transitions at once lose nothing, and a late write never undoes a finished member; claims of
one content key by racing sweeps train it once."""

from __future__ import annotations

import multiprocessing
import random
from collections import Counter
from typing import Any

from railyard_batch.recording.store import MemberOutcome, RunStore, now

PROCS, MEMBERS, TRANSITIONS = 8, 1000, 1000
LATE_PER_MEMBER = TRANSITIONS // (MEMBERS // PROCS) - 2  # late writes after each own member


def _sweep(store: RunStore, sweep_id: str, members: list[tuple[str, str]]) -> None:
    store.create_sweep(
        sweep_id,
        experiment="e",
        command="c",
        overrides=[],
        git_commit=None,
        git_dirty=None,
        package_versions={},
        backend="local",
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
        members=[(mid, mid, mid, 0, 1, key, None) for mid, key in members],
    )


def _owner_of(i: int) -> int:
    return i % PROCS


def _transitions(url: str, proc: int, start: Any) -> None:
    """Own members: queued -> running -> succeeded (every tenth: failed). After each, late
    "running" reports for random members, most of them finished already."""
    store = RunStore(url)
    rng = random.Random(proc)
    start.wait()
    done = 0
    for i in range(proc, MEMBERS, PROCS):
        mid = f"m{i}"
        store.mark_running([mid], owner=f"w{proc}", lease_s=60)
        stamp = now()
        final = "failed" if i % 10 == 0 else "succeeded"
        store.record_outcomes([MemberOutcome(mid, final, stamp, stamp, metrics={"by": proc})])
        done += 2
        for _ in range(LATE_PER_MEMBER):
            late = f"m{rng.randrange(MEMBERS)}"
            store.record_outcomes([MemberOutcome(late, "running", now(), now(), node="late")])
            done += 1
    store.close()
    assert done == TRANSITIONS
    raise SystemExit(0)


def test_concurrent_transitions_lose_nothing_and_never_undo_a_finish(store_url: str) -> None:
    store = RunStore(store_url)
    _sweep(store, "s", [(f"m{i}", f"k{i}") for i in range(MEMBERS)])
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(PROCS)
    procs = [ctx.Process(target=_transitions, args=(store_url, p, start)) for p in range(PROCS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    assert [p.exitcode for p in procs] == [0] * PROCS
    rows = {r.id: r for r in store.members(sweep_id="s")}
    assert len(rows) == MEMBERS
    for i in range(MEMBERS):
        row = rows[f"m{i}"]
        assert row.state == ("failed" if i % 10 == 0 else "succeeded"), row
        assert row.metrics == {"by": _owner_of(i)}
    # Late "running" reports won only where they came first (before the owner's start).
    assert all(r.node in (None, "late") for r in rows.values())
    assert store.state_counts("s") == {"failed": MEMBERS // 10, "succeeded": MEMBERS * 9 // 10}


KEYS = 20


def _claim(url: str, proc: int, start: Any, out: Any) -> None:
    store = RunStore(url)
    start.wait()
    for k in range(KEYS):
        mid = f"s{proc}-r/k{k}"
        decision, _ = store.claim_members([(mid, f"key{k}")], owner=f"w{proc}", lease_s=60)[mid]
        out.put((proc, k, decision))
    store.close()


def _race(store: RunStore, url: str, claimer: Any) -> dict[int, list[str]]:
    """Eight identical sweeps (the same content keys), each claimed by its own process running
    ``claimer`` from the same moment; each key's decisions, sorted."""
    for p in range(PROCS):
        _sweep(store, f"s{p}", [(f"s{p}-r/k{k}", f"key{k}") for k in range(KEYS)])
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(PROCS), ctx.Queue()
    procs = [ctx.Process(target=claimer, args=(url, p, start, out)) for p in range(PROCS)]
    for p in procs:
        p.start()
    decisions = [out.get(timeout=300) for _ in range(PROCS * KEYS)]
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * PROCS
    return {k: sorted(d for _, key, d in decisions if key == k) for k in range(KEYS)}


def test_racing_sweeps_train_each_content_key_once(store_url: str) -> None:
    store = RunStore(store_url)
    per_key = _race(store, store_url, _claim)
    for k in range(KEYS):
        assert per_key[k] == ["train"] + ["wait"] * (PROCS - 1), (k, per_key[k])
    running = store.members(state="running")
    assert sorted(m.content_key for m in running) == sorted(f"key{k}" for k in range(KEYS))


def _claim_and_finish(url: str, proc: int, start: Any, out: Any) -> None:
    """A worker as it runs: claim each key, 'train' it (record it succeeded at once) when the
    claim says so, and ask again while it says wait, until the key is its own or cached."""
    store = RunStore(url)
    start.wait()
    for k in range(KEYS):
        mid = f"s{proc}-r/k{k}"
        while True:
            decision, _ = store.claim_members([(mid, f"key{k}")], owner=f"w{proc}", lease_s=60)[mid]
            if decision == "train":
                stamp = now()
                store.record_outcomes([MemberOutcome(mid, "succeeded", stamp, stamp)])
            if decision != "wait":
                break
        out.put((proc, k, decision))
    store.close()


def test_a_result_recorded_during_a_claim_is_never_trained_again(store_url: str) -> None:
    """Racing claims while the winners record their results: a claim that reads between a
    peer's running and its succeeded must still see one of them (one snapshot). Every key is
    trained once; every other sweep takes it as cached."""
    store = RunStore(store_url)
    per_key = _race(store, store_url, _claim_and_finish)
    for k in range(KEYS):
        assert per_key[k] == ["cached"] * (PROCS - 1) + ["train"], (k, per_key[k])
    states = Counter(m.state for m in store.members())
    assert states == {"cached": KEYS * (PROCS - 1), "succeeded": KEYS}


def test_one_claim_of_many_members_decides_each_as_claims_of_one_would(store_url: str) -> None:
    """A shard claims its members in one call: done, cached, wait and train side by side,
    more than one IN-list chunk of keys, and two members of one key claimed together."""
    store = RunStore(store_url)
    _sweep(store, "old", [("o-done", "k-done"), ("o-live", "k-live")])
    stamp = now()
    store.mark_running(["o-done"], owner="earlier", lease_s=60)
    store.record_outcomes([MemberOutcome("o-done", "succeeded", stamp, stamp, metrics={"a": 1})])
    store.mark_running(["o-live"], owner="other-worker", lease_s=600)
    fresh = [(f"n{i}", f"k{i}") for i in range(1200)]  # > 2 chunks of 500 keys
    pairs = [
        ("n-cached", "k-done"),
        ("n-wait", "k-live"),
        ("n-twin", "k7"),
        ("n-fin", "k-fin"),
        *fresh,
    ]
    _sweep(store, "new", pairs)
    store.mark_running(["n-fin"], owner="me", lease_s=60)
    store.record_outcomes([MemberOutcome("n-fin", "failed", stamp, stamp, reason="x")])

    decisions = store.claim_members(pairs, owner="me", lease_s=60)
    assert decisions["n-cached"] == ("cached", "o-done")
    assert decisions["n-wait"] == ("wait", "o-live")
    assert decisions["n-fin"] == ("done", None)
    assert decisions["n-twin"] == decisions["n7"] == ("train", None)  # its own: not waited on
    assert all(decisions[mid] == ("train", None) for mid, _ in fresh)
    rows = {r.id: r for r in store.members(sweep_id="new")}
    assert rows["n-cached"].state == "cached" and rows["n-cached"].metrics == {"a": 1}
    assert rows["n-wait"].state == "queued"
    assert rows["n-fin"].state == "failed"
    assert {rows[mid].state for mid, _ in fresh} == {"running"}
    store.close()
