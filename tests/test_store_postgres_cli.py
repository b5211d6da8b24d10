"""The run store on PostgreSQL through the real CLI: a sweep records into it and ``runs
list/show`` read it back; ``store copy`` moves a laptop's SQLite history into PostgreSQL,
every record as it was, and a second copy adds nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from railyard_batch.recording.store import MemberOutcome, RunStore, now
from tests.conftest import Project, make_project
from tests.pg_server import PostgresServer

SWEEP = (
    "estimator=logistic_regression",
    "fanout.by=merchant_id",
    "fanout.min_rows=300",
    "execution.workers=2",
    "execution.progress=false",
)


@pytest.mark.e2e
def test_a_sweep_records_into_postgresql_and_runs_read_it(
    tmp_path: Path, pg_server: PostgresServer
) -> None:
    project = make_project(tmp_path / "proj", rows=4000, merchants=6)
    # A password in the URL (the test server's trust authentication ignores it).
    url = pg_server.create_database("sweep").replace("@127.0.0.1", ":pg-s3cret@127.0.0.1")
    result = project.run(*SWEEP, f"store.url='{url}'")
    assert result.returncode == 0, result.stderr
    assert not (project.root / "runs" / "railyard.db").exists()  # nothing went to SQLite
    assert "pg-s3cret" not in result.stdout + result.stderr
    import psycopg

    with psycopg.connect(url) as conn:  # what every reader of the store (and the service) sees
        recorded = conn.execute(
            "SELECT s.command, s.overrides, r.overrides, r.config FROM sweeps s "
            "JOIN runs r ON r.sweep_id = s.id"
        ).fetchall()
    assert recorded and all("pg-s3cret" not in str(row) for row in recorded), recorded
    assert all(":***@127.0.0.1" in str(row[3]) for row in recorded)

    listing = project.run("runs", "--store", url, "list", "--json")
    assert listing.returncode == 0, listing.stderr
    (sweep,) = json.loads(listing.stdout)
    assert sweep["state"] == "succeeded" and sweep["n_members"] == sweep["n_succeeded"] > 1
    shown = project.run("runs", "--store", url, "show", sweep["id"], "--json")
    assert shown.returncode == 0, shown.stderr
    members = json.loads(shown.stdout)["members"]
    assert {m["state"] for m in members} == {"succeeded"}
    assert all(m["metrics"]["roc_auc"] > 0.5 for m in members)
    assert "__global__" in {m["member_key"] for m in members}
    # plan's estimates read recorded durations from PostgreSQL too (they refused its URL)
    from railyard_batch.change_plan.estimate import _recorded

    recorded = _recorded(url)
    assert sorted(k for k, *_ in recorded) == sorted(m["content_key"] for m in members)
    assert {e for _, e, _, _ in recorded} == {"LogisticRegression"}
    assert all(n > 0 and took >= 0 for _, _, n, took in recorded)
    missing = tmp_path / "none" / "railyard.db"
    assert _recorded(f"sqlite:///{missing}") == [] and not missing.parent.exists()

    # The same sweep again reuses every member from PostgreSQL (content keys, claims).
    cached = project.run(*SWEEP, f"store.url='{url}'")
    assert cached.returncode == 0, cached.stderr
    latest = json.loads(project.run("runs", "--store", url, "show", "--json").stdout)
    assert {m["state"] for m in latest["members"]} == {"cached"}
    assert {m["cached_from"] for m in latest["members"]} == {m["id"] for m in members}


def _laptop_store(url: str) -> None:
    """Two sweeps with members whose values are awkward data."""
    store = RunStore(url)
    values = ["acme/../corp", "", "__global__", "naïve\x00\x1b[31m", None]
    for s in ("s1", "s2"):
        store.create_sweep(
            s,
            experiment="fraud",
            command="railyard-batch -m",
            overrides=["a=1"],
            git_commit="abc",
            git_dirty=True,
            package_versions={"sklearn": "1.7"},
            backend="local",
            owner="me",
            lease_s=30,
        )
        store.create_run(
            f"{s}-0",
            sweep_id=s,
            job_num=0,
            overrides=["a=1"],
            config={"estimator": {"C": 0.5}},
            config_hash="h",
            estimator="E",
            data_path="d",
            data_md5="0" * 32,
            data_source="dvc",
            artifact_uri="file:///a",
            members=[
                (f"{s}-0/m{i}", f"m{i}", v, i, 100 - i, f"k{i}", None) for i, v in enumerate(values)
            ],
        )
        stamp = now()
        store.record_outcomes(
            [
                MemberOutcome(f"{s}-0/m{i}", "succeeded", stamp, stamp, metrics={"auc": i / 10})
                for i in range(3)
            ]
        )
        store.fail_unfinished(s, "worker died")
        store.finish_runs(s)
    store.record_composition(  # a composition, its config and metrics JSON with awkward text
        {
            "id": "s1-0/composition.routed",
            "run_id": "s1-0",
            "sweep_id": "s1",
            "name": "routed",
            "kind": "route",
            "state": "succeeded",
            "content_key": "c" * 64,
            "config": {"kind": "route", "note": "naïve\x00"},
            "metrics": {"pr_auc": 0.25, "global": {"pr_auc": 0.2}},
            "result": "/r/routed.json",
            "export": None,
            "created_at": now(),
            "finished_at": now(),
        }
    )
    store.close()


def _everything(url: str) -> dict[str, object]:
    store = RunStore(url)
    try:
        sweeps = store.list_sweeps(100)
        return {
            "sweeps": sweeps,
            "runs": [store.runs(s.id) for s in sweeps],
            "members": store.members(),
            "compositions": store.compositions(),
        }
    finally:
        store.close()


def test_store_copy_moves_everything_once(
    tmp_path: Path, pg_server: PostgresServer, project: Project
) -> None:
    laptop = f"sqlite:///{tmp_path / 'laptop.db'}"
    _laptop_store(laptop)
    team = pg_server.create_database("team")
    secret_team = team.replace("railyard@", "railyard:pw-123@")  # trust auth takes any

    first = project.run("store", "copy", laptop, secret_team)
    assert first.returncode == 0, first.stderr
    assert "members 10 new of 10" in first.stderr  # the progress line
    assert first.stdout.strip().endswith("2 sweeps, 2 runs, 10 members, 1 compositions")
    assert "pw-123" not in first.stdout + first.stderr
    assert _everything(team) == _everything(laptop)

    second = project.run("store", "copy", laptop, team)
    assert second.returncode == 0, second.stderr
    assert "copied 0 new record(s)" in second.stdout
    assert _everything(team) == _everything(laptop)

    back = f"sqlite:///{tmp_path / 'back.db'}"  # and out again, as it was
    assert project.run("store", "copy", team, back).returncode == 0
    assert _everything(back) == _everything(laptop)

    missing = project.run("store", "copy", f"sqlite:///{tmp_path / 'old.db'}x", "mysql://h/db")
    assert missing.returncode == 2
    assert missing.stderr.startswith("ConfigError: The 'store.url' parameter must be")
