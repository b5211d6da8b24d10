"""A page of a sweep's members is read in the database, in the order ``members()`` lists
them, with the sweep's counts and runs from the same snapshot; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from railyard_batch.errors import RunNotFoundError
from railyard_batch.recording.store import MemberOutcome, RunStore, now


def _sweep(store: RunStore, n: int) -> list[str]:
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
    ids: list[str] = []
    for run in range(2):
        rows = [
            (f"r{run}/m{i:03d}", f"m{i:03d}", f"m{i:03d}", i, (i * 37) % 11, f"k{run}-{i}", None)
            for i in range(n)
        ]
        ids += [r[0] for r in rows]
        store.create_run(
            f"r{run}",
            sweep_id="s",
            job_num=run,
            overrides=[],
            config={"secret": "not in a page"},
            config_hash="h",
            estimator="E",
            data_path="d",
            data_md5="0" * 32,
            data_source="untracked",
            artifact_uri="u",
            members=rows,
        )
    return ids


def test_pages_cover_the_members_in_order_once_each(store_url: str) -> None:
    store = RunStore(store_url)
    ids = _sweep(store, 60)
    stamp = now()
    store.record_outcomes(
        [MemberOutcome(m, "succeeded", stamp, stamp, metrics={"auc": 0.5}) for m in ids[::3]]
    )
    assert store.state_counts(run_id="r0") == {"succeeded": 20, "queued": 40}
    assert store.state_counts("s") == {"succeeded": 40, "queued": 80}
    listed = [m.id for m in store.members(sweep_id="s")]
    assert sorted(listed) == sorted(ids)

    paged: list[str] = []
    for offset in range(0, len(ids), 7):
        page = store.sweep_page("s", offset=offset, limit=7)
        assert page.total == len(ids)
        assert page.counts == {"succeeded": 40, "queued": 80}
        assert [r.id for r in page.runs] == ["r0", "r1"]
        assert all("config" not in r.to_dict() for r in page.runs)
        paged += [m.id for m in page.members]
    assert paged == listed  # the same order, nothing twice, nothing missed
    assert [m.id for m in store.members(sweep_id="s", offset=10, limit=5)] == listed[10:15]

    done = store.sweep_page("s", state="succeeded", offset=0, limit=1000)
    assert done.total == 40
    assert {m.id for m in done.members} == set(ids[::3])
    assert all(m.metrics == {"auc": 0.5} for m in done.members)
    assert store.sweep_page("s", offset=500, limit=10).members == []
    store.close()


def test_a_page_of_an_unknown_sweep_is_not_found(store_url: str) -> None:
    store = RunStore(store_url)
    with pytest.raises(RunNotFoundError, match="No sweep 'nope'"):
        store.sweep_page("nope")
    store.close()


def test_a_run_tally_is_what_its_member_records_give(store_url: str) -> None:
    """``run_tally`` (a run's summary: counts, the objective's values, the first storage
    failure) computed in the database equals the same figures computed from every record."""
    store = RunStore(store_url)
    ids = _sweep(store, 40)
    stamp = now()
    outcomes = []
    for i, member in enumerate(ids):
        if i % 4 == 0:
            metrics = {"auc": i / 100} if i % 8 else {"other": 1.0}  # some lack the objective
            outcomes.append(MemberOutcome(member, "succeeded", stamp, stamp, metrics=metrics))
        elif i % 4 == 1:
            reason = "StorageError: disk full" if i % 3 == 0 else "ValueError: 100%_off"
            outcomes.append(MemberOutcome(member, "failed", stamp, stamp, reason=reason))
    store.record_outcomes(outcomes)

    for run in ("r0", "r1"):
        records = store.members(run_id=run)
        counts, values, first = store.run_tally(run, "auc")
        assert counts == store.state_counts(run_id=run)
        expected = [
            m.metrics["auc"] for m in records if m.state == "succeeded" and "auc" in m.metrics
        ]
        assert sorted(values) == sorted(expected) and expected
        storage = [m for m in records if m.state == "failed" and "StorageError" in m.reason]
        assert first == storage[0]
        assert store.run_tally(run, None)[1] == []
    assert store.run_tally("r0", "%")[1] == []  # a metric name is a key, not a pattern
    store.close()
