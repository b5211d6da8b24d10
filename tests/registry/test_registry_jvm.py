"""From a finished sweep to the JVM: Python registers and promotes, and the real JVM scorer
(``java -jar ... --registry ROOT NAME@production``) scores with the bundle production points at,
with the numbers of the Python model it was exported from; after a second promotion, the same
command scores with the new production model's numbers."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from railyard_batch.bundle.jvm_scorer import scorer_jar
from tests.conftest import Project, make_project
from tests.registry.jvm_watch import FEATURES, Watch, assert_scores, python_scores, write_rows


def _jvm_scores(root: Path, ref: str, rows: Path, out: Path) -> np.ndarray:
    proc = subprocess.run(
        [
            *("java", "-jar", str(scorer_jar(build=True))),
            *("--registry", str(root), ref, str(rows), str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    docs = [json.loads(line) for line in out.read_text().splitlines()]
    return np.array([d["scores"] for d in docs], dtype=float)


@dataclass
class _Registered:
    """A trained sweep of two global models, both registered; rows to score, lenient criteria."""

    project: Project
    name: str
    versions: list[str]
    member_of: dict[str, dict[str, Any]]  # version -> its member's record
    sample: pd.DataFrame
    rows: Path
    lenient: Path


def _registered(tmp_path: Path, n_rows: int) -> _Registered:
    project = make_project(tmp_path / "proj")
    result = project.run(
        *("-m", "estimator=logistic_regression", "estimator.C=1.0,0.05"),
        *("registry.register=true", "export.bundle=true", "execution.progress=false"),
    )
    assert result.returncode == 0, result.stderr
    sweep_id = json.loads(project.run("runs", "list", "--json").stdout)[0]["id"]
    members = {
        m["id"]: m
        for m in json.loads(project.run("runs", "show", sweep_id, "--json").stdout)["members"]
    }
    name = "default/global"
    versions = json.loads(project.run("models", "show", name, "--json").stdout)["versions"]
    assert len(versions) == 2
    data = pd.read_parquet(project.root / "data" / "transactions.parquet")
    sample = data.dropna(subset=list(FEATURES)).head(n_rows).reset_index(drop=True)
    rows = write_rows(sample, tmp_path / "rows.jsonl")
    lenient = project.root / "lenient.yaml"
    lenient.write_text("minimum:\n  roc_auc: 0.0\n")
    return _Registered(
        project,
        name,
        [v["version"] for v in versions],
        {v["version"]: members[v["member_id"]] for v in versions},
        sample,
        rows,
        lenient,
    )


@pytest.mark.e2e
def test_the_jvm_scores_with_whatever_production_points_at(tmp_path: Path) -> None:
    reg = _registered(tmp_path, 300)
    project, name, sample, rows, lenient = reg.project, reg.name, reg.sample, reg.rows, reg.lenient
    root = project.root / "runs" / "artifacts"

    previous = "none"
    seen = []
    for i, version in enumerate(reg.versions):
        promoted = project.run(
            *("models", "promote", name, version, "--reason", f"step {i}"),
            *("--expect", previous, "--criteria", str(lenient)),
        )
        assert promoted.returncode == 0, promoted.stderr
        previous = version
        member = reg.member_of[version]
        jvm = _jvm_scores(root, f"{name}@production", rows, tmp_path / f"out{i}.jsonl")
        python = python_scores(member, sample)
        assert jvm.shape == python.shape == (len(sample), 2)
        np.testing.assert_allclose(jvm, python, rtol=0, atol=1e-12)
        seen.append(jvm)
    assert not np.allclose(seen[0], seen[1])  # the two versions differ: the alias was followed


@pytest.mark.e2e
def test_one_jvm_scoring_in_a_loop_follows_a_promotion_without_a_restart(tmp_path: Path) -> None:
    """``java -jar ... --watch ROOT NAME@production ROWS 100 ROUNDS``: one JVM, polling the
    pointer; the Python CLI promotes, rolls back, and the same process follows each change with
    the Python model's numbers, every round scored by one model."""
    reg = _registered(tmp_path, 50)
    project, name, sample, rows, lenient = reg.project, reg.name, reg.sample, reg.rows, reg.lenient
    first, second = reg.versions
    member_of = reg.member_of

    def promote(version: str, reason: str) -> None:
        done = project.run(
            *("models", "promote", name, version, "--reason", reason, "--criteria", str(lenient))
        )
        assert done.returncode == 0, done.stderr

    promote(first, "first")
    root = project.root / "runs" / "artifacts"
    with Watch(root, f"{name}@production", rows) as watch:
        assert_scores(watch.until(first), python_scores(member_of[first], sample))
        promote(second, "second")
        swapped = watch.until(second)
        assert_scores(swapped, python_scores(member_of[second], sample))
        back = project.run("models", "rollback", name, "--reason", "alerts")
        assert back.returncode == 0, back.stderr
        again = watch.until(first)
        assert_scores(again, python_scores(member_of[first], sample))
        assert again["event_id"] > swapped["event_id"]  # a new event, the same bundle as before
        assert watch.running  # one process throughout
