"""The README's registry flow, in one test, through the real CLI and the real JVM: train
fraud_v3 and register it, put every name in production, retrain, shadow the second sweep's
members against production, read a report, promote the ones that pass the shipped gate
(``conf/promotion/shadowed.yaml``), roll one back; one JVM scoring in a loop follows each move
of ``fraud_v3/global@production`` without a restart, with the Python model's numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conftest import Project, make_project
from tests.registry.jvm_watch import FEATURES, Watch, assert_scores, python_scores, write_rows

TRAIN = (
    "+experiment=fraud_v3",
    "-m",
    "estimator=logistic_regression",  # one estimator of the three: the flow, not the sweep
    "fanout.min_rows=500",  # the small test data's merchants
    "export.bundle=true",
    "registry.register=true",
    "execution.progress=false",
)
GLOBAL = "fraud_v3/global"


def _trained(project: Project, *overrides: str) -> tuple[str, dict[str, dict[str, Any]]]:
    """Trains and registers; the sweep's id and each registered name's version record, with
    the member it came from under ``member``."""
    result = project.run(*TRAIN, *overrides)
    assert result.returncode == 0, result.stderr
    assert "registry:" in result.stdout
    shown = json.loads(project.run("runs", "show", "--json").stdout)
    sweep, members = shown["sweep"]["id"], {m["id"]: m for m in shown["members"]}
    registered = {}
    for model in json.loads(project.run("models", "list", "--json").stdout):
        versions = json.loads(project.run("models", "show", model["name"], "--json").stdout)
        for v in versions["versions"]:
            if v["sweep_id"] == sweep:
                registered[model["name"]] = {**v, "member": members[v["member_id"]]}
    return sweep, registered


def _production(project: Project, name: str) -> str | None:
    shown = json.loads(project.run("models", "show", name, "--json").stdout)
    held = shown["aliases"].get("production")
    return None if held is None else str(held["version"])


@pytest.mark.e2e
def test_train_register_shadow_promote_rollback_and_the_jvm_follows(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", rows=6000, merchants=6)
    first_sweep, first = _trained(project)
    assert GLOBAL in first and len(first) >= 3, sorted(first)
    assert all(n == GLOBAL or n.startswith("fraud_v3/merchant_id=") for n in first)

    # nothing in production yet: every name is a first model, held to absolute minimums
    lenient = project.root / "first.yaml"
    lenient.write_text("minimum:\n  roc_auc: 0.0\n")
    initial = project.run(
        *("models", "promote-sweep", first_sweep, "--reason", "first models"),
        *("--criteria", str(lenient), "--json"),
    )
    assert initial.returncode == 0, initial.stdout + initial.stderr
    assert {r["result"] for r in json.loads(initial.stdout)} == {"promoted"}

    data = pd.read_parquet(project.root / "data" / "transactions.parquet")
    sample = data.dropna(subset=list(FEATURES)).head(40).reset_index(drop=True)
    rows = write_rows(sample, tmp_path / "rows.jsonl")
    root = project.root / "runs" / "artifacts"
    with Watch(root, f"{GLOBAL}@production", rows) as watch:
        old_global = first[GLOBAL]
        assert_scores(
            watch.until(old_global["version"]), python_scores(old_global["member"], sample)
        )

        # a retrain: every name gets a new version, shadowed against its production
        second_sweep, second = _trained(project, "estimator.C=0.5")
        assert set(second) == set(first)
        assert not {v["version"] for v in second.values()} & {v["version"] for v in first.values()}
        shadowed = project.run("models", "shadow", "--sweep", second_sweep, "--json")
        assert shadowed.returncode == 0, shadowed.stderr
        summary = json.loads(shadowed.stdout)
        lines = {line["model"]: line for line in summary["reports"]}
        assert set(lines) == set(first)
        assert Path(summary["files"]["html"]).is_file()

        # the report behind one line, as a person reads it and as JSON
        report_id = lines[GLOBAL]["report"]
        shown = project.run("models", "report", report_id)
        assert shown.returncode == 0, shown.stderr
        assert "PR AUC" in shown.stdout and "flip" in shown.stdout.lower()
        report = json.loads(project.run("models", "report", report_id, "--json").stdout)
        assert report["versions"] == {
            "candidate": second[GLOBAL]["version"],
            "production": old_global["version"],
        }
        assert report["sweep_summary"] == summary["id"]  # its page: the sweep's, named in both
        page = report["files"]["sweep_html"]
        assert page == summary["files"]["html"] and page in shown.stdout
        alone = project.run("models", "shadow", GLOBAL, "--candidate", second[GLOBAL]["version"])
        assert alone.returncode == 0, alone.stderr  # one name alone: a page of its own
        own_id = alone.stdout.rsplit("shadow report ", 1)[1].split(":")[0]
        own = json.loads(project.run("models", "report", own_id, "--json").stdout)["files"]
        assert set(own) == {"json", "html"} and Path(own["html"]).is_file()

        # promote the ones that pass the shipped gate; the others stay, one reason each
        gated = project.run(
            *("models", "promote-sweep", second_sweep, "--reason", "March retrain"),
            *("--criteria", "conf/promotion/shadowed.yaml", "--json"),
        )
        results = {r["model"]: r for r in json.loads(gated.stdout)}
        assert set(results) == set(first)
        refused = {n for n, r in results.items() if r["result"] == "refused"}
        assert gated.returncode == (1 if refused else 0), gated.stderr
        assert results[GLOBAL]["result"] == "promoted", results[GLOBAL]
        for name, result in results.items():
            expected = first[name] if name in refused else second[name]
            assert _production(project, name) == expected["version"], name
            if name in refused:
                assert result["reason"].count("\n") == 0 and "Criterion" in result["reason"]
        new_global = second[GLOBAL]
        promoted = watch.until(new_global["version"])
        assert_scores(promoted, python_scores(new_global["member"], sample))

        # roll the global model back: an event like any other, and the JVM follows it again
        back = project.run("models", "rollback", GLOBAL, "--reason", "alert rate doubled")
        assert back.returncode == 0, back.stderr
        again = watch.until(old_global["version"])
        assert_scores(again, python_scores(old_global["member"], sample))
        assert again["event_id"] > promoted["event_id"]
        assert watch.running  # one JVM throughout

    history = json.loads(
        project.run("models", "history", GLOBAL, "--alias", "production", "--json").stdout
    )["events"]
    assert [(e["to_version"], e["reason"]) for e in history] == [
        (old_global["version"], "first models"),
        (new_global["version"], "March retrain"),
        (old_global["version"], "alert rate doubled"),
    ]
    assert history[1]["evidence"] == f"shadow report {own_id}"  # the newest report of the pair
    pointer = json.loads((root / "registry" / GLOBAL / "production.json").read_text())
    assert pointer["version"] == old_global["version"]
    assert pointer["event_id"] == history[-1]["id"]
