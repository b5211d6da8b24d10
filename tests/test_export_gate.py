"""The parity gate at training time (export.bundle=true): each member's bundle is scored by
the real JVM on its holdout and the result recorded on the member; a pipeline the bundle
format does not support is marked not exportable with the reason, and still succeeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Project


@pytest.mark.e2e
def test_members_are_exported_and_gated(project: Project) -> None:
    result = project.run(
        "estimator=xgboost",
        "fanout.by=merchant_id",
        "fanout.min_rows=1000",
        "export.bundle=true",
        "execution.progress=false",
    )
    assert result.returncode == 0, result.stderr
    members = json.loads(project.run("runs", "show", "--json").stdout)["members"]
    assert len(members) >= 2
    for member in members:
        export = member["export"]
        assert export["exportable"] is True, export
        parity = export["jvm_parity"]
        assert parity["passed"] and parity["bit_exact_rows"] == parity["n_rows"]
        assert parity["n_rows"] == member["metrics"]["n_holdout"]
        assert (Path(export["bundle_path"]) / "manifest.json").exists()


@pytest.mark.e2e
def test_unsupported_pipeline_is_recorded_as_not_exportable(project: Project) -> None:
    result = project.run(
        "estimator._target_=sklearn.neighbors.KNeighborsClassifier",
        "~estimator.C",
        "~estimator.max_iter",
        "export.bundle=true",
        "execution.progress=false",
    )
    assert result.returncode == 0, result.stderr
    (member,) = json.loads(project.run("runs", "show", "--json").stdout)["members"]
    assert member["state"] == "succeeded"
    assert member["export"]["exportable"] is False
    assert "KNeighborsClassifier" in member["export"]["reason"]
