"""The registry on PostgreSQL, through the real CLI against the session's real server: a sweep
registers its members into the run store's database, registering again adds nothing, and of
two promotions raced as processes exactly one moves production (read committed, not SQLite's
one writer at a time)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLI, make_project
from tests.pg_server import PostgresServer


@pytest.mark.e2e
def test_register_and_race_promotions_on_postgresql(
    tmp_path: Path, pg_server: PostgresServer
) -> None:
    project = make_project(tmp_path / "proj", rows=4000, merchants=4)
    url = pg_server.create_database("registry")
    result = project.run(
        "-m",
        "estimator=logistic_regression",
        "estimator.C=1.0,0.05",
        "registry.register=true",
        "fanout.by=merchant_id",
        "fanout.min_rows=300",
        "export.bundle=true",
        "execution.progress=false",
        f"store.url='{url}'",
    )
    assert result.returncode == 0, result.stderr
    assert not (project.root / "runs" / "railyard.db").exists()  # nothing went to SQLite
    line = next(x for x in result.stdout.splitlines() if x.startswith("registry: "))
    new = int(line.split()[1])
    assert new >= 4 and new % 2 == 0, line  # two versions of each registered model

    sweep_id = json.loads(project.run("runs", "--store", url, "list", "--json").stdout)[0]["id"]
    again = project.run("models", "--store", url, "register", sweep_id)
    assert again.returncode == 0, again.stderr
    assert again.stderr.strip() == f"0 new version(s), {new} already registered"
    assert again.stdout.count("already registered") == new

    listed = project.run("models", "--store", url, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    names = sorted(m["name"] for m in json.loads(listed.stdout))
    assert "default/global" in names and len(names) == new // 2
    name = "default/global"
    shown = json.loads(project.run("models", "--store", url, "show", name, "--json").stdout)
    versions = [v["version"] for v in shown["versions"]]
    assert len(versions) == 2

    lenient = project.root / "lenient.yaml"
    lenient.write_text("minimum:\n  roc_auc: 0.0\n")
    procs = [
        subprocess.Popen(
            [
                *(CLI, "models", "--store", url, "promote", name, version),
                *("--reason", f"race {i}", "--expect", "none", "--criteria", str(lenient)),
            ],
            cwd=project.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        for i, version in enumerate(versions)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert sorted(code for code, _, _ in results) == [0, 2], results
    (winner,) = [json.loads(out)["to_version"] for code, out, _ in results if code == 0]
    (loser,) = [err for code, _, err in results if code == 2]
    assert loser.startswith("PromotionConflict: ") and loser.count("\n") == 1
    history = project.run("models", "--store", url, "history", name, "--alias", "production")
    events = json.loads(
        project.run(
            "models", "--store", url, "history", name, "--alias", "production", "--json"
        ).stdout
    )["events"]
    assert history.returncode == 0, history.stderr
    assert [e["to_version"] for e in events] == [winner]
