"""``railyard-batch plan`` through the real CLI on a real git + DVC project whose history
changes a hyperparameter, ``min_rows``, the estimator list, the data (``dvc repro`` with
another seed) and ``pipelines/``: each plan names the right members and reasons, and nothing in
the user's checkout changes."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from tests.conftest import CLI, REPO, Project, Result
from tests.test_dvc_reproduce import BIN, STAGE, sh

SWEEP = ("+experiment=fraud_v3", "-m")
DVC = str(BIN / "dvc")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def _counts(root: Path) -> dict[str, int]:
    frame = pd.read_parquet(root / "data" / "transactions.parquet", columns=["merchant_id"])
    return {str(k): int(v) for k, v in frame["merchant_id"].value_counts().items()}


def _md5(root: Path) -> str:
    lock = yaml.safe_load((root / "dvc.lock").read_text())
    return str(lock["stages"]["transactions"]["outs"][0]["md5"])


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Tags: empty (no conf/), base, hyper, minrows, estimators, data, code (HEAD), and
    on the side broken (does not compose) and unfetched (dvc.lock names data not cached)."""
    root = tmp_path_factory.mktemp("plan") / "proj"
    root.mkdir()
    (root / ".gitignore").write_text("runs/\nmultirun/\noutputs/\n")
    sh(root, "git", "init", "-q", "-b", "main")
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-qm", "empty")
    sh(root, "git", "tag", "empty")
    shutil.copytree(REPO / "conf", root / "conf")
    shutil.copytree(
        REPO / "pipelines", root / "pipelines", ignore=shutil.ignore_patterns("__pycache__")
    )
    experiment = root / "conf" / "experiment" / "fraud_v3.yaml"
    _edit(experiment, "min_rows: 2000", "min_rows: 300")
    (root / "dvc.yaml").write_text(STAGE)
    (root / "params.yaml").write_text("seed: 1\n")
    sh(root, DVC, "init", "-q")
    sh(root, DVC, "repro", "-q")
    info: dict[str, Any] = {"root": root, "counts1": _counts(root), "md5_1": _md5(root)}

    def commit(tag: str) -> None:
        sh(root, "git", "add", "-A")
        sh(root, "git", "commit", "-qm", tag)
        sh(root, "git", "tag", tag)

    commit("base")
    _edit(root / "conf" / "estimator" / "logistic_regression.yaml", "C: 1.0", "C: 0.5")
    commit("hyper")
    _edit(experiment, "min_rows: 300", "min_rows: 600")
    commit("minrows")
    _edit(
        experiment,
        "estimator: logistic_regression,random_forest,xgboost",
        "estimator: logistic_regression,xgboost",
    )
    commit("estimators")
    (root / "params.yaml").write_text("seed: 2\n")
    sh(root, DVC, "repro", "-q")
    info.update(counts2=_counts(root), md5_2=_md5(root))
    commit("data")
    with open(root / "pipelines" / "fraud.py", "a") as fh:
        fh.write("\n# a reviewed change to user code\n")
    commit("code")
    # Side commits, then back to 'code' (the fixture's own checkout, not the tool's).
    _edit(experiment, "estimator: logistic_regression,xgboost", "estimator: no_such_estimator")
    commit("broken")
    sh(root, "git", "reset", "-q", "--hard", "code")
    _edit(root / "dvc.lock", info["md5_2"], "ab" * 16)
    commit("unfetched")
    sh(root, "git", "reset", "-q", "--hard", "code")
    return info


def plan(root: Path, *args: str) -> Result:
    proc = subprocess.run(
        [CLI, "plan", *args], cwd=root, capture_output=True, text=True, timeout=300
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def plan_json(root: Path, against: str, at: str | None, *extra: str) -> dict[str, Any]:
    args = [*SWEEP, *extra, "--against", against, "--json"]
    if at is not None:
        args += ["--at", at]
    result = plan(root, *args)
    assert result.returncode in (0, 1), result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    changes = any(out["counts"][s] for s in ("added", "removed", "changed"))
    assert result.returncode == (1 if changes else 0)
    return out


def by_status(out: dict[str, Any], status: str) -> list[dict[str, Any]]:
    return [m for m in out["members"] if m["status"] == status]


def expected_members(counts: dict[str, int], min_rows: int) -> set[str]:
    return {k for k, n in counts.items() if n >= min_rows} | {"__global__"}


def test_a_hyperparameter_retrains_that_estimator_only(repo: dict[str, Any]) -> None:
    root = repo["root"]
    state = sh(root, "git", "status", "--porcelain"), sh(root, "git", "rev-parse", "HEAD")
    out = plan_json(root, "base", "hyper")
    n = len(expected_members(repo["counts1"], 300))
    assert out["counts"] == {"added": 0, "removed": 0, "changed": n, "unchanged": 2 * n}
    assert out["by_estimator"]["LogisticRegression"]["changed"] == n
    assert out["by_estimator"]["XGBClassifier"]["unchanged"] == n
    for member in by_status(out, "changed"):
        assert member["estimator"] == "LogisticRegression"
        assert member["reasons"] == [
            {"kind": "config", "key": "estimator.C", "old": 1.0, "new": 0.5}
        ]
    # Nothing in the user's checkout moved.
    assert (sh(root, "git", "status", "--porcelain"), sh(root, "git", "rev-parse", "HEAD")) == state


def test_min_rows_removes_members_by_value_and_retrains_the_rest(repo: dict[str, Any]) -> None:
    out = plan_json(repo["root"], "hyper", "minrows")
    before = expected_members(repo["counts1"], 300)
    after = expected_members(repo["counts1"], 600)
    assert after < before, "the fixture's data must have merchants between 300 and 600 rows"
    removed = by_status(out, "removed")
    assert {m["key"] for m in removed} == before - after
    assert len(removed) == 3 * len(before - after)
    for m in removed:
        (why,) = m["reasons"]
        assert why["kind"] == "min_rows"
        assert why["rows"] == repo["counts1"][m["key"]] and why["min_rows"] == 600
    assert out["counts"]["changed"] == 3 * len(after)
    for m in by_status(out, "changed"):
        assert {"kind": "config", "key": "fanout.min_rows", "old": 300, "new": 600} in m["reasons"]


def test_a_dropped_estimator_removes_its_job(repo: dict[str, Any]) -> None:
    out = plan_json(repo["root"], "minrows", "estimators")
    n = len(expected_members(repo["counts1"], 600))
    assert out["counts"] == {"added": 0, "removed": n, "changed": 0, "unchanged": 2 * n}
    assert {m["estimator"] for m in by_status(out, "removed")} == {"RandomForestClassifier"}
    assert out["old"]["jobs"] == [
        "estimator=logistic_regression",
        "estimator=random_forest",
        "estimator=xgboost",
    ]
    assert out["new"]["jobs"] == ["estimator=logistic_regression", "estimator=xgboost"]


def test_new_data_retrains_everything_and_moves_fanout_members(repo: dict[str, Any]) -> None:
    out = plan_json(repo["root"], "estimators", "data")
    assert (out["old"]["data_md5"], out["new"]["data_md5"]) == (repo["md5_1"], repo["md5_2"])
    before = expected_members(repo["counts1"], 600)
    after = expected_members(repo["counts2"], 600)
    assert {m["key"] for m in by_status(out, "changed")} == before & after
    assert {m["key"] for m in by_status(out, "added")} == after - before
    assert {m["key"] for m in by_status(out, "removed")} == before - after
    for m in by_status(out, "changed"):
        assert {"kind": "data", "key": "data md5", "old": repo["md5_1"], "new": repo["md5_2"]} in (
            m["reasons"]
        )
        assert not [r for r in m["reasons"] if r["kind"] == "config"]
        if m["key"] != "__global__":
            assert m["n_rows"] == repo["counts2"][m["key"]]
            assert m["old_rows"] == repo["counts1"][m["key"]]
    for m in by_status(out, "added"):
        assert f"{repo['counts1'].get(m['key'], 0)} rows" in m["reasons"][0]["text"] or (
            m["key"] not in repo["counts1"]
        )


def test_user_code_changes_retrain_with_the_pipelines_digest(repo: dict[str, Any]) -> None:
    out = plan_json(repo["root"], "data", "code")
    assert out["counts"]["changed"] == out["new"]["members"] > 0
    for m in by_status(out, "changed"):
        assert [r["key"] for r in m["reasons"]] == ["pipelines/ digest"]


def test_the_working_tree_against_head_changes_nothing(repo: dict[str, Any]) -> None:
    result = plan(repo["root"], *SWEEP, "--against", "HEAD")
    assert result.returncode == 0, result.stderr
    assert "0 added, 0 removed, 0 retrain" in " ".join(result.stdout.split())


def test_fanout_values_of_seen_data_come_from_the_index(repo: dict[str, Any]) -> None:
    """Once planned, data whose object left the DVC cache is still planned (from the recorded
    counts); data never seen and not cached is said to be unavailable."""
    root = repo["root"]
    first = plan_json(root, "base", "hyper")
    md5 = repo["md5_1"]
    cached = root / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    assert (root / ".dvc" / "tmp" / "railyard-fanout" / f"{md5}.json").is_file()
    moved = root.parent / "moved-object"
    shutil.move(cached, moved)
    try:
        assert plan_json(root, "base", "hyper") == first
    finally:
        shutil.move(moved, cached)
    out = plan_json(root, "code", "unfetched")
    (note,) = out["notes"]
    assert "ab" * 16 in note and "not available locally" in note


def test_estimates_come_from_recorded_durations(repo: dict[str, Any]) -> None:
    root = repo["root"]
    one = ("estimator=logistic_regression", "execution.workers=1", "execution.progress=false")
    trained = Project(root).run(*SWEEP, *one)
    assert trained.returncode == 0, trained.stderr
    # The working tree's members are in the store: the plan says so, with their durations.
    out = plan_json(root, "data", None, *one)
    e = out["estimate"]
    assert e["members_to_train"] == e["already_in_store"] == out["counts"]["changed"] > 0
    assert e["seconds"] > 0 and e["cpu_hours"] == pytest.approx(e["seconds"] / 3600, rel=1e-2)
    assert e["gpu_hours"] == 0
    # A new C: no member has its key, each is estimated from similar ones.
    out = plan_json(root, "data", None, *one, "estimator.C=0.3")
    e = out["estimate"]
    assert e["already_in_store"] == 0
    assert e["estimated_members"] == e["members_to_train"] > 0 and e["seconds"] > 0


def test_markdown_has_counts_first_and_folded_details(repo: dict[str, Any]) -> None:
    result = plan(
        repo["root"], *SWEEP, "--against", "hyper", "--at", "data", "--format", "markdown"
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("### railyard-batch plan:")
    assert lines[2].startswith("**") and "retrain" in lines[2]
    assert "| estimator | added | removed | retrain | unchanged |" in lines
    assert "<details><summary>Why" in result.stdout
    assert "`data md5: " in result.stdout and "`fanout.min_rows: 300 -> 600`" in result.stdout
    assert "member(s) added or removed</summary>" in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--against", "no-such-branch"), "RevisionError: The '--against' option names an unknown"),
        (("--against", "empty"), "RevisionError: The '--against' revision 'empty' ("),
        (("--against", "base", "--at", "broken"), "at broken ("),
        (("--against", "base", "--bogus"), "ConfigError: Unknown option for plan: '--bogus'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    repo: dict[str, Any], args: tuple[str, ...], expected: str
) -> None:
    result = plan(repo["root"], *SWEEP, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and expected in result.stderr, result.stderr


def test_a_shallow_clone_missing_the_revision_says_so(repo: dict[str, Any], tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    sh(tmp_path, "git", "clone", "-q", "--depth", "1", f"file://{repo['root']}", str(clone))
    result = plan(clone, *SWEEP, "--against", "base")
    assert result.returncode == 2
    assert result.stderr.startswith("RevisionError: The '--against' revision 'base' is not in")
    assert "shallow clone" in result.stderr and len(result.stderr.splitlines()) == 1


def test_the_ci_workflow_command(repo: dict[str, Any], tmp_path: Path) -> None:
    """The exact command .github/workflows/plan.yml runs, in a clone with origin/main, on a
    pull request that changes a hyperparameter."""
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "plan.yml").read_text())
    paths = workflow[True]["pull_request"]["paths"]  # YAML 1.1 reads `on` as True
    assert set(paths) == {"conf/**", "pipelines/**", "dvc.lock"}
    script = next(s["run"] for s in workflow["jobs"]["plan"]["steps"] if "plan" in s.get("run", ""))
    line = next(x for x in script.splitlines() if "railyard-batch plan" in x)
    words = shlex.split(line)
    command = words[words.index("plan") + 1 : words.index(">")]
    assert command == [
        "+experiment=fraud_v3",
        "-m",
        "--against",
        "origin/main",
        "--format",
        "markdown",
    ]
    clone = tmp_path / "clone"
    sh(tmp_path, "git", "clone", "-q", str(repo["root"]), str(clone))
    (clone / "data").mkdir(exist_ok=True)
    shutil.copy(repo["root"] / "data" / "transactions.parquet", clone / "data")
    _edit(clone / "conf" / "estimator" / "xgboost.yaml", "max_depth: 5", "max_depth: 6")
    result = plan(clone, *command)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("### railyard-batch plan:")
    assert "`estimator.max_depth: 5 -> 6`" in result.stdout
