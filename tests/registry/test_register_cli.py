"""Registration: a sweep with registry.register=true registers its exportable members; a
version is the bundle's content hash and records where it came from; registering again (the
sweep or one member) adds nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.registry.conftest import Trained


@pytest.mark.e2e
def test_the_sweep_registered_its_members_with_their_provenance(trained: Trained) -> None:
    listed = json.loads(trained.models("list", "--json").stdout)
    assert [m["name"] for m in listed] == trained.names()
    assert all(m["versions"] == 2 for m in listed)  # one per run (estimator.C=1.0,0.05)
    root = trained.project.root / "runs" / "artifacts"
    by_id = {m["id"]: m for m in trained.members}
    for name in trained.names():
        for v in trained.versions(name):
            member = by_id[v["member_id"]]
            manifest = json.loads((root / v["bundle_uri"] / "manifest.json").read_text())
            assert manifest["content_hash"] == f"sha256:{v['version']}" == v["bundle_hash"]
            assert v["sweep_id"] == trained.sweep_id and v["run_id"] == member["run_id"]
            assert v["metrics"] == member["metrics"] and v["metrics"]["roc_auc"] is not None
            assert v["estimator"] == "sklearn.linear_model.LogisticRegression"
            assert v["parity_passed"] and v["exportable"]
            assert len(v["data_md5"]) == 32 and "scikit-learn" in v["package_versions"]
            assert not Path(v["bundle_uri"]).is_absolute() and "\\" not in v["bundle_uri"]


@pytest.mark.e2e
def test_registering_the_same_bundles_again_is_the_same_versions(trained: Trained) -> None:
    before = {n: trained.versions(n) for n in trained.names()}
    again = trained.models("register", trained.sweep_id, "--json")
    assert again.returncode == 0, again.stderr
    done = json.loads(again.stdout)
    assert len(done) == 10 and not any(r["new"] for r in done)
    member = trained.members[0]["id"]
    one = trained.models("register", str(member), "--json")
    assert one.returncode == 0, one.stderr
    assert [r["new"] for r in json.loads(one.stdout)] == [False]
    assert {n: trained.versions(n) for n in trained.names()} == before


@pytest.mark.e2e
def test_a_member_without_a_bundle_is_refused_in_one_line(trained: Trained) -> None:
    # The run store holds no member of this id: refused, and so is a sweep it does not know.
    for target in ("20000101-000000-000000-000/__global__", "20000101-000000-000000"):
        result = trained.models("register", target)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("RunNotFoundError: ")
