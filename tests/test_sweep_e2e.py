"""The fraud sweep end to end through the real CLI, on a small dataset: Hydra composes one job
per estimator, members come from the data, every member is recorded with metrics and a model
that loads and predicts; ``runs list/show/compare`` read it back."""

from __future__ import annotations

import json
import pickle
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import Project

SWEEP = (
    "+experiment=fraud_v3",
    "-m",
    "fanout.min_rows=300",
    "execution.workers=2",
    "execution.progress=false",
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict]:  # type: ignore[type-arg]
    from tests.conftest import make_project

    project = make_project(tmp_path_factory.mktemp("sweep") / "proj", rows=8000, merchants=10)
    result = project.run(*SWEEP)
    assert result.returncode == 0, result.stderr
    listing = project.run("runs", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    sweeps = json.loads(listing.stdout)
    assert len(sweeps) == 1
    shown = project.run("runs", "show", sweeps[0]["id"], "--json")
    assert shown.returncode == 0, shown.stderr
    return project, json.loads(shown.stdout)


@pytest.mark.e2e
def test_one_run_per_estimator_and_members_from_the_data(trained: tuple[Project, dict]) -> None:  # type: ignore[type-arg]
    project, shown = trained
    runs = shown["runs"]
    assert sorted(r["estimator"].rsplit(".", 1)[-1] for r in runs) == [
        "LogisticRegression",
        "RandomForestClassifier",
        "XGBClassifier",
    ]
    df = pd.read_parquet(project.root / "data" / "transactions.parquet")
    counts = df["merchant_id"].value_counts()
    expected = {"__global__", *counts[counts >= 300].index}
    assert len(expected) > 3  # the fixture has merchants on both sides of min_rows
    assert counts.min() < 300
    for run in runs:
        keys = {m["member_key"] for m in shown["members"] if m["run_id"] == run["id"]}
        assert keys == expected


@pytest.mark.e2e
def test_every_member_is_recorded_with_metrics_and_a_model(trained: tuple[Project, dict]) -> None:  # type: ignore[type-arg]
    project, shown = trained
    df = pd.read_parquet(project.root / "data" / "transactions.parquet")
    for member in shown["members"]:
        assert member["state"] == "succeeded", member
        assert member["started_at"] <= member["finished_at"]
        metrics = member["metrics"]
        assert 0.0 <= metrics["roc_auc"] <= 1.0
        assert metrics["n_train"] + metrics["n_holdout"] == member["n_rows"]
        model = pickle.loads(Path(member["artifact_uri"]).read_bytes())
        rows = (
            df
            if member["member_key"] == "__global__"
            else df[df.merchant_id == member["member_key"]]
        )
        assert len(rows) == member["n_rows"]
        proba = model.predict_proba(rows.head(20))[:, 1]
        assert ((proba >= 0) & (proba <= 1)).all()
        # The store row is the record: an outcome file is what a pod writes instead.
        assert not Path(member["artifact_uri"]).with_name("outcome.json").exists()


@pytest.mark.e2e
def test_global_models_learn_something(trained: tuple[Project, dict]) -> None:  # type: ignore[type-arg]
    _, shown = trained
    global_auc = [
        m["metrics"]["roc_auc"] for m in shown["members"] if m["member_key"] == "__global__"
    ]
    assert len(global_auc) == 3
    assert min(global_auc) > 0.6, global_auc  # 0.5 would be chance


@pytest.mark.e2e
def test_runs_record_provenance(trained: tuple[Project, dict]) -> None:  # type: ignore[type-arg]
    _, shown = trained
    sweep = shown["sweep"]
    assert sweep["experiment"] == "fraud_v3"
    assert sweep["state"] == "succeeded"
    assert sweep["package_versions"]["scikit-learn"]
    assert sweep["finished_at"] >= sweep["created_at"]
    for run in shown["runs"]:
        assert len(run["data_md5"]) == 32
        assert run["config"]["fanout"]["by"] == "merchant_id"
        assert any(o.startswith("estimator=") for o in run["overrides"])
        assert len(run["config_hash"]) == 16


@pytest.mark.e2e
def test_compare_and_tables_read_back(trained: tuple[Project, dict]) -> None:  # type: ignore[type-arg]
    project, shown = trained
    compare = project.run("runs", "compare", "--json")
    assert compare.returncode == 0, compare.stderr
    rows = json.loads(compare.stdout)
    assert len(rows) == 3
    per_run = {r["run"]: r for r in rows}
    for run in shown["runs"]:
        members = [m for m in shown["members"] if m["run_id"] == run["id"]]
        assert per_run[run["id"]]["succeeded"] == len(members)
        glob = next(m for m in members if m["member_key"] == "__global__")
        assert per_run[run["id"]]["global_roc_auc"] == glob["metrics"]["roc_auc"]
    plot = project.root / "compare.png"
    drawn = project.run("runs", "compare", "--plot", str(plot), "--metric", "roc_auc")
    assert drawn.returncode == 0, drawn.stderr
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10_000
    table = project.run("runs", "show")
    assert table.returncode == 0
    assert "__global__" in table.stdout and "roc_auc" in table.stdout


@pytest.mark.e2e
def test_failing_member_is_a_value_and_the_sweep_goes_on(project: Project) -> None:
    df = pd.read_parquet(project.root / "data" / "transactions.parquet")
    victim = df["merchant_id"].value_counts().index[0]
    result = project.run(
        "hook=pipelines.fraud:train",
        f"+params.fail_on_merchant={victim}",
        "fanout.by=merchant_id",
        "fanout.min_rows=300",
        "execution.workers=2",
        "execution.progress=false",
    )
    assert result.returncode == 1, result.stderr
    assert "member(s) failed" in result.stderr
    assert "Traceback" not in result.stderr
    shown = json.loads(project.run("runs", "show", "--json").stdout)
    states = {m["member_key"]: m for m in shown["members"]}
    assert states[victim]["state"] == "failed"
    assert "refusing merchant" in states[victim]["reason"]
    others = [m for k, m in states.items() if k != victim]
    assert others and all(m["state"] == "succeeded" for m in others)


@pytest.mark.e2e
def test_single_class_slice_is_skipped_with_its_reason(project: Project) -> None:
    path = project.root / "data" / "transactions.parquet"
    df = pd.read_parquet(path)
    clean = df["merchant_id"].value_counts().index[1]
    df.loc[df.merchant_id == clean, "is_fraud"] = 0
    df.to_parquet(path)
    result = project.run("fanout.by=merchant_id", "fanout.min_rows=300", "execution.progress=false")
    assert result.returncode == 0, result.stderr
    shown = json.loads(project.run("runs", "show", "--json").stdout)
    member = next(m for m in shown["members"] if m["member_key"] == clean)
    assert member["state"] == "skipped"
    assert "single class" in member["reason"]
    assert sum(m["state"] == "succeeded" for m in shown["members"]) >= 2


@pytest.mark.e2e
def test_worker_command_runs_a_shard_from_its_plan(project: Project) -> None:
    """The command a pod runs: the shard index from JOB_COMPLETION_INDEX, the plan by URI."""
    first = project.run("fanout.by=merchant_id", "fanout.min_rows=300", "execution.progress=false")
    assert first.returncode == 0, first.stderr
    shown = json.loads(project.run("runs", "show", "--json").stdout)
    run = shown["runs"][0]
    plan_uri = str(Path(run["artifact_uri"]) / "plan.json")
    plan = json.loads(Path(plan_uri).read_text())
    shard = plan["members"][-1]["shard"]
    result = project.run("worker", "--plan", plan_uri, env={"JOB_COMPLETION_INDEX": str(shard)})
    assert result.returncode == 0, result.stderr
    again = json.loads(project.run("runs", "show", "--json").stdout)
    by_id = {m["id"]: m for m in again["members"]}
    rerun = [m for m in plan["members"] if m["shard"] == shard]
    assert rerun
    before = {x["id"]: x for x in shown["members"]}
    for m in rerun:
        # the shard had finished: a retried pod or a second run keeps each member's result
        # and trains nothing again
        assert by_id[m["id"]]["state"] == before[m["id"]]["state"] == "succeeded"
        assert by_id[m["id"]]["finished_at"] == before[m["id"]]["finished_at"]
        assert by_id[m["id"]]["model_sha256"] == before[m["id"]]["model_sha256"]
    logs = sorted((Path(run["artifact_uri"]) / "logs" / f"shard-{shard}").glob("*.log"))
    assert len(logs) == 2  # the first run's and this one's
    assert "already finished; its result is kept" in logs[-1].read_text()
    assert "training " not in logs[-1].read_text()


@pytest.mark.e2e
def test_worker_command_trains_the_members_of_its_shard_that_have_not_finished(
    project: Project,
) -> None:
    """A shard whose pod died before it started: its members are queued, and the worker
    command trains them (and only them)."""
    first = project.run("fanout.by=merchant_id", "fanout.min_rows=300", "execution.progress=false")
    assert first.returncode == 0, first.stderr
    shown = json.loads(project.run("runs", "show", "--json").stdout)
    plan_uri = str(Path(shown["runs"][0]["artifact_uri"]) / "plan.json")
    plan = json.loads(Path(plan_uri).read_text())
    shard = plan["members"][-1]["shard"]
    ids = [m["id"] for m in plan["members"] if m["shard"] == shard]
    db = project.root / "runs" / "railyard.db"
    with sqlite3.connect(db) as c:
        c.executemany(
            "UPDATE members SET state='queued', finished_at=NULL, metrics=NULL WHERE id=?",
            [(i,) for i in ids],
        )
    result = project.run("worker", "--plan", plan_uri, env={"JOB_COMPLETION_INDEX": str(shard)})
    assert result.returncode == 0, result.stderr
    again = {
        m["id"]: m for m in json.loads(project.run("runs", "show", "--json").stdout)["members"]
    }
    for i in ids:
        assert again[i]["state"] == "succeeded"
        assert again[i]["finished_at"] and again[i]["metrics"]


@pytest.mark.e2e
def test_feature_transformer_from_pipelines_replaces_the_default(project: Project) -> None:
    result = project.run(
        "features.transformer={_target_:pipelines.fraud.log_amount_features}",
        "execution.progress=false",
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(project.run("runs", "show", "--json").stdout)
    (member,) = shown["members"]
    assert member["state"] == "succeeded"
    model = pickle.loads(Path(member["artifact_uri"]).read_bytes())
    assert type(model.named_steps["preprocess"].steps[0][1]).__name__ == "AmountFeatures"
