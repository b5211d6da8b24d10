"""A trained member exported through the CLI: the bundle is written and the JVM scorer
reproduces Python's numbers on the member's holdout (the parity gate)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Project


@pytest.mark.e2e
def test_export_a_trained_member_and_pass_the_parity_gate(project: Project) -> None:
    trained = project.run(
        "estimator=xgboost",
        "fanout.by=merchant_id",
        "fanout.min_rows=300",
        "execution.progress=false",
    )
    assert trained.returncode == 0, trained.stderr
    shown = json.loads(project.run("runs", "show", "--json").stdout)
    member = next(m for m in shown["members"] if m["member_key"] != "__global__")
    out = project.root / "bundle"
    result = project.run("export", member["id"], str(out), "--no-onnx")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["exportable"] is True
    parity = outcome["jvm_parity"]
    assert parity["passed"] and parity["label_agreement"] == 1.0
    assert parity["bit_exact_rows"] == parity["n_rows"] > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["run_id"] == member["run_id"]
