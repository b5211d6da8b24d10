"""``railyard-batch logs MEMBER``: each member's lines come back from the artifact store, with
its node recorded; a member whose worker died mid-training shows what its shard had written."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.conftest import Project

SWEEP = (
    "+experiment=fraud_v3",
    "-m",
    "fanout.min_rows=300",
    "fanout.include_global=false",
    "execution.workers=1",
    "execution.progress=false",
    "hook=pipelines.fraud:train",
)


def members(project: Project) -> list[dict]:  # type: ignore[type-arg]
    shown = project.run("runs", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    return list(json.loads(shown.stdout)["members"])


@pytest.mark.e2e
def test_each_member_has_its_own_log_lines_and_node(project: Project) -> None:
    import pandas as pd

    df = pd.read_parquet(project.root / "data" / "transactions.parquet")
    victim = str(df["merchant_id"].value_counts().index[0])
    result = project.run(
        *SWEEP, "estimator=logistic_regression", f"+params.fail_on_merchant={victim}"
    )
    assert result.returncode == 1, result.stderr  # one member fails on purpose
    recorded = members(project)
    assert len(recorded) >= 3
    for member in recorded:
        assert member["node"] == socket.gethostname()
        out = project.run("logs", member["id"])
        assert out.returncode == 0, out.stderr
        assert f"training {member['member_key']} on {member['n_rows']} rows" in out.stdout
        others = {m["member_key"] for m in recorded} - {member["member_key"]}
        assert not any(f"training {key} on" in out.stdout for key in others)
        if member["state"] == "failed":
            # The full traceback is in the log; the store keeps one line.
            assert "Traceback (most recent call last)" in out.stdout
            assert f"refusing merchant {victim} (test hook)" in out.stdout
            assert "\n" not in member["reason"]
        else:
            assert member["state"] == "succeeded"
            assert "Traceback" not in out.stdout


@pytest.mark.e2e
def test_a_worker_killed_mid_member_leaves_its_shard_log(project: Project, tmp_path: Path) -> None:
    """A real process death (os._exit(137), what an OOM kill looks like from outside) in the
    middle of a member: that member has no section, and ``logs`` shows the shard's lines."""
    hook = project.root / "pipelines" / "dies.py"
    hook.write_text(
        "import os\n"
        "def train(train_df, holdout_df, params):\n"
        "    print('about to run out of memory', flush=True)\n"
        "    os._exit(137)\n"
    )
    result = project.run(
        *SWEEP[:-1], "estimator=logistic_regression", "hook=pipelines.dies:train", timeout=300
    )
    assert result.returncode != 0
    victims = [m for m in members(project) if m["state"] != "succeeded"]
    assert victims, "the sweep recorded no unfinished member"
    dead = victims[0]
    assert dead["log"] is None
    out = project.run("logs", dead["id"])
    assert out.returncode == 0, out.stderr
    assert "has no section of its own" in out.stderr
    assert "about to run out of memory" in out.stdout
    assert "training " in out.stdout


def test_logs_of_an_unknown_member_is_one_line(project: Project) -> None:
    out = project.run("logs", "nope/nothing")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "RunNotFoundError" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.e2e
def test_members_a_dead_pool_worker_left_fail_with_why(project: Project) -> None:
    """A real process death in a pool worker: the pool breaks, the backend reports why its
    unfinished members are unfinished, and the sweep layer records them as failed with that
    reason and closes the sweep (no member is left queued or running)."""
    hook = project.root / "pipelines" / "dies.py"
    hook.write_text("import os\ndef train(train_df, holdout_df, params):\n    os._exit(137)\n")
    result = project.run(
        *[a for a in SWEEP[:-1] if not a.startswith("execution.workers=")],
        "execution.workers=2",
        "estimator=logistic_regression",
        "hook=pipelines.dies:train",
        timeout=300,
    )
    assert result.returncode != 0
    recorded = members(project)
    assert recorded and {m["state"] for m in recorded} == {"failed"}, recorded
    assert all(
        m["reason"] == "the worker process running this member died (killed or out of memory)"
        for m in recorded
    ), [m["reason"] for m in recorded]
    listing = json.loads(project.run("runs", "list", "--json").stdout)
    assert listing[0]["state"] == "failed" and listing[0]["finished_at"]
