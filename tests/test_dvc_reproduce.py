"""Every run reproducible, with real git and DVC: data by md5 from the cache or the remote,
``railyard-batch reproduce`` re-trains a recorded member exactly, a worker with no checkout
trains the same model from the remote, and a corrupted object is refused with a clear error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CLI, REPO, Project

BIN = Path(sys.executable).parent
SWEEP = (
    "fanout.by=merchant_id",
    "fanout.min_rows=300",
    "estimator=xgboost",
    "execution.workers=1",
    "execution.progress=false",
)
STAGE = """stages:
  transactions:
    cmd: python -m railyard_batch.synthetic --rows 5000 --merchants 8 --seed ${seed}
      --fraud-rate 0.08 --size-sigma 0.6 --out data/transactions.parquet
    params:
      - seed
    outs:
      - data/transactions.parquet
"""


def sh(cwd: Path, *cmd: str) -> str:
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "DVC_NO_ANALYTICS": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{cmd}: {proc.stderr}"
    return proc.stdout


def show(project: Project) -> dict:  # type: ignore[type-arg]
    result = project.run("runs", "show", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    """A git + DVC project; sweep A trained on data v1, sweep B on data v2."""
    root = tmp_path_factory.mktemp("dvc") / "proj"
    root.mkdir()
    shutil.copytree(REPO / "conf", root / "conf")
    shutil.copytree(
        REPO / "pipelines", root / "pipelines", ignore=shutil.ignore_patterns("__pycache__")
    )
    (root / "dvc.yaml").write_text(STAGE)
    (root / "params.yaml").write_text("seed: 1\n")
    (root / ".gitignore").write_text("runs/\nmultirun/\noutputs/\n")
    remote = root.parent / "remote"
    sh(root, "git", "init", "-q")
    sh(root, str(BIN / "dvc"), "init", "-q")
    sh(root, str(BIN / "dvc"), "remote", "add", "-d", "store", str(remote))
    sh(root, str(BIN / "dvc"), "repro", "-q")
    sh(root, str(BIN / "dvc"), "push", "-q")
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-qm", "data v1")
    project = Project(root)
    assert project.run(*SWEEP).returncode == 0
    a = show(project)

    (root / "params.yaml").write_text("seed: 2\n")
    sh(root, str(BIN / "dvc"), "repro", "-q")
    sh(root, str(BIN / "dvc"), "push", "-q")
    sh(root, "git", "commit", "-qam", "data v2")
    assert project.run(*SWEEP).returncode == 0
    b = show(project)
    return {"project": project, "remote": remote, "a": a, "b": b}


def reproduce(project: Project, run_id: str, member: str) -> tuple[int, dict | str]:  # type: ignore[type-arg]
    result = project.run("reproduce", run_id, "--member", member, "--json")
    if result.returncode in (0, 1):
        return result.returncode, json.loads(result.stdout)
    return result.returncode, result.stderr


def member_of(shown: dict, key: str) -> dict:  # type: ignore[type-arg]
    return next(m for m in shown["members"] if m["member_key"] == key)


@pytest.mark.e2e
def test_runs_record_the_dvc_md5_and_the_commit(history: dict) -> None:  # type: ignore[type-arg]
    a, b = history["a"], history["b"]
    assert a["runs"][0]["data_source"] == "dvc.lock"
    assert a["runs"][0]["data_md5"] != b["runs"][0]["data_md5"]
    assert a["sweep"]["git_commit"] != b["sweep"]["git_commit"]
    assert a["sweep"]["git_dirty"] == 0


@pytest.mark.e2e
def test_reproduce_a_after_the_data_changed(history: dict) -> None:  # type: ignore[type-arg]
    project, a, b = history["project"], history["a"], history["b"]
    key = "__global__"
    code, report = reproduce(project, a["runs"][0]["id"], key)
    assert code == 0, report
    assert isinstance(report, dict) and report["matches"]
    assert report["data_md5"] == a["runs"][0]["data_md5"]
    check = report["members"][0]
    assert check["model_sha256_now"] == member_of(a, key)["model_sha256"]
    # B trained on v2: a different model with different metrics.
    assert member_of(b, key)["model_sha256"] != member_of(a, key)["model_sha256"]
    assert member_of(b, key)["metrics"] != member_of(a, key)["metrics"]


@pytest.mark.e2e
def test_worker_with_only_the_remote_trains_the_same_model(history: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    project, a = history["project"], history["a"]
    shutil.rmtree(project.root / ".dvc" / "cache")  # nothing local but the plan
    plan_uri = str(Path(a["runs"][0]["artifact_uri"]) / "plan.json")
    plan = json.loads(Path(plan_uri).read_text())
    elsewhere = tmp_path / "pod"
    elsewhere.mkdir()
    proc = subprocess.run(
        [CLI, "worker", "--plan", plan_uri, "--shard", "0", "--no-store"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    recorded = {m["id"]: m for m in a["members"]}
    shard = [m for m in plan["members"] if m["shard"] == 0]
    assert shard
    for member in shard:
        outcome = json.loads(
            (
                elsewhere
                / "runs"
                / "artifacts"
                / a["sweep"]["id"]
                / a["runs"][0]["id"]
                / "members"
                / member["key"]
                / "outcome.json"
            ).read_text()
        )
        assert outcome["state"] == "succeeded"
        assert outcome["model_sha256"] == recorded[member["id"]]["model_sha256"]


@pytest.mark.e2e
def test_a_corrupted_remote_object_is_refused(history: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    project, a, remote = history["project"], history["a"], history["remote"]
    md5 = a["runs"][0]["data_md5"]
    obj = remote / "files" / "md5" / md5[:2] / md5[2:]
    assert obj.exists()
    obj.chmod(0o644)
    obj.write_bytes(obj.read_bytes()[:-10] + b"corrupted!")
    shutil.rmtree(project.root / ".dvc" / "cache", ignore_errors=True)
    (project.root / "data" / "transactions.parquet").unlink(missing_ok=True)

    code, message = reproduce(project, a["runs"][0]["id"], "__global__")
    assert code == 2
    assert isinstance(message, str) and "Traceback" not in message
    assert "DataIntegrityError" in message and md5 in message and "DVC remote" in message

    plan_uri = str(Path(a["runs"][0]["artifact_uri"]) / "plan.json")
    elsewhere = tmp_path / "pod"
    elsewhere.mkdir()
    proc = subprocess.run(
        [CLI, "worker", "--plan", plan_uri, "--shard", "0", "--no-store"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 3  # members failed and recorded: not to be retried
    outcomes = list(elsewhere.rglob("outcome.json"))
    assert outcomes
    for path in outcomes:
        outcome = json.loads(path.read_text())
        assert outcome["state"] == "failed"
        assert md5 in outcome["reason"] and "DVC remote" in outcome["reason"]
