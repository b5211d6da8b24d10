"""``models shadow --sweep SWEEP`` through the real CLI: a second per-merchant sweep is shadowed
against production name by name in one command; each comparison is the same as shadowing that
name alone, the gate reads the sweep's reports, and the summary page renders in Chromium."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conftest import Project, assert_one_line, make_project

PER_MERCHANT = ("fanout.by=merchant_id", "fanout.min_rows=500", "execution.progress=false")
REGISTER = ("registry.register=true", "export.bundle=true")


def _sweep_id(project: Project) -> str:
    return str(json.loads(project.run("runs", "show", "--json").stdout)["sweep"]["id"])


def _registered(project: Project, sweep: str) -> dict[str, dict[str, Any]]:
    """Each name's version registered from ``sweep`` (its whole record)."""
    listed = json.loads(project.run("models", "list", "--json").stdout)
    out = {}
    for model in listed:
        shown = json.loads(project.run("models", "show", model["name"], "--json").stdout)
        for v in shown["versions"]:
            if v["sweep_id"] == sweep:
                out[model["name"]] = v
    return out


def _versions(project: Project, sweep: str) -> dict[str, str]:
    return {name: v["version"] for name, v in _registered(project, sweep).items()}


@pytest.mark.e2e
def test_shadow_a_whole_sweep_against_production(tmp_path: Path, browser: Any) -> None:
    project = make_project(tmp_path / "proj", rows=6000, merchants=6)
    first = project.run(*PER_MERCHANT, *REGISTER)
    assert first.returncode == 0, first.stderr
    assert "alembic" not in first.stdout + first.stderr  # the store's migrations say nothing
    old = _versions(project, _sweep_id(project))
    assert len(old) >= 3 and "default/global" in old, old
    lenient = project.root / "lenient.yaml"
    lenient.write_text("minimum:\n  roc_auc: 0.0\n")
    unpromoted = sorted(old)[-1]
    for name in sorted(old)[:-1]:
        ok = project.run(
            *("models", "promote", name, old[name], "--reason", "first", "--criteria", str(lenient))
        )
        assert ok.returncode == 0, ok.stderr

    second = project.run(*PER_MERCHANT, *REGISTER, "estimator.C=0.002")
    assert second.returncode == 0, second.stderr
    sweep = _sweep_id(project)
    records = _registered(project, sweep)
    new = {name: v["version"] for name, v in records.items()}
    assert set(new) == set(old) and not set(new.values()) & set(old.values())

    shadowed = project.run("models", "shadow", "--sweep", sweep, "--workers", "2", "--json")
    assert shadowed.returncode == 0, shadowed.stderr
    summary = json.loads(shadowed.stdout)
    assert summary["workers"] == 2  # two pool processes compared the pairs
    assert summary["skipped"] == {"no_production": [unpromoted], "already_production": []}
    lines = {line["model"]: line for line in summary["reports"]}
    assert set(lines) == set(old) - {unpromoted}
    for name, line in lines.items():
        assert (line["candidate"], line["production"]) == (new[name], old[name])
        # the rows re-read are the holdout the member was evaluated on when it trained
        assert line["rows"] == records[name]["metrics"]["n_holdout"], name
        # the same rows in the same order: the candidate's PR AUC is the one it trained with
        recorded = records[name]["metrics"]["pr_auc"]
        assert line["pr_auc"]["candidate"] == pytest.approx(recorded, abs=1e-12), name

    # through the bundles on the JVM scorer, every name in one JVM: the same numbers
    on_jvm = project.run("models", "shadow", "--sweep", sweep, "--runtime", "jvm", "--json")
    assert on_jvm.returncode == 0, on_jvm.stderr
    jvm_summary = json.loads(on_jvm.stdout)
    assert jvm_summary["runtime"] == "jvm" and summary["runtime"] == "python"
    jvm_lines = {line["model"]: line for line in jvm_summary["reports"]}
    assert set(jvm_lines) == set(lines)
    for name, line in lines.items():
        got = jvm_lines[name]
        assert got["rows"] == line["rows"] and got["report"] != line["report"]
        for side in ("production", "candidate"):
            assert got["pr_auc"][side] == pytest.approx(line["pr_auc"][side], abs=1e-9), name
        for key in ("flip_rate", "psi", "ks", "spearman"):
            assert got[key] == pytest.approx(line[key], abs=1e-9), (name, key)
    jvm_report = json.loads(
        project.run("models", "report", jvm_lines["default/global"]["report"], "--json").stdout
    )
    assert jvm_report["runtime"] == "jvm"

    # one name alone gives the same numbers (same rows, same bootstrap draws)
    name = "default/global"
    alone = json.loads(
        project.run("models", "shadow", name, "--candidate", new[name], "--json").stdout
    )
    line = lines[name]
    assert line["rows"] == alone["rows"]
    assert line["pr_auc"] == {
        "production": alone["production"]["pr_auc"],
        "candidate": alone["candidate"]["pr_auc"],
    }
    assert line["pr_auc_difference_interval"] == alone["intervals"]["difference"]["pr_auc"]
    for key in ("flip_rate", "psi", "ks", "spearman"):
        assert line[key] == alone[key], key
    merchant = next(n for n in lines if n != name)
    assert lines[merchant]["rows"] < line["rows"]  # a merchant's holdout, not the global one
    # the global model's rows, broken down by merchant: every row once, the flips add up
    breakdown = alone["by_value"]
    assert breakdown["column"] == "merchant_id" and len(breakdown["values"]) >= 2
    assert sum(v["rows"] for v in breakdown["values"]) == alone["rows"]
    assert (
        sum(v["production_only"] for v in breakdown["values"]) == alone["flips"]["production_only"]
    )
    dataset = project.root / "data" / "transactions.parquet"
    merchants = pd.read_parquet(dataset)["merchant_id"].value_counts()
    assert {v["value"] for v in breakdown["values"]} <= set(merchants.index)
    # on another dataset (--data), too: each merchant's rows of the whole file
    on_data = project.run(
        "models", "shadow", name, "--candidate", new[name], "--data", str(dataset), "--json"
    )
    assert on_data.returncode == 0, on_data.stderr
    counted = {v["value"]: v["rows"] for v in json.loads(on_data.stdout)["by_value"]["values"]}
    assert counted == merchants.to_dict()
    assert "By merchant_id" in Path(alone["files"]["html"]).read_text()
    one = json.loads(project.run("models", "report", lines[merchant]["report"], "--json").stdout)
    assert one["by_value"] is None  # a merchant's model: one value, nothing to break down
    shown = project.run("models", "report", alone["id"])
    assert shown.returncode == 0 and "by merchant_id" in shown.stdout

    # the gate reads a sweep's report of the merchant (the newest for that pair)
    gate = project.root / "gate.yaml"
    gate.write_text("shadow:\n  max_age_days: 1\n  max_psi: 1000\n  min_spearman: -1\n")
    promoted = project.run(
        *("models", "promote", merchant, new[merchant], "--reason", "shadowed"),
        *("--criteria", str(gate)),
    )
    assert promoted.returncode == 0, promoted.stderr
    assert {p["report"] for p in json.loads(promoted.stdout)["passed"]} == {
        jvm_lines[merchant]["report"]  # the newest of the pair: the JVM sweep's
    }

    table = project.run("models", "shadow", "--sweep", sweep)
    assert table.returncode == 0, table.stderr
    assert "1 already production" in " ".join(table.stdout.split())
    assert f"no production: {unpromoted}" in table.stdout

    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(Path(summary["files"]["html"]).as_uri(), wait_until="load")
    page.wait_for_function("document.querySelectorAll('.main-svg').length >= 2", timeout=30_000)
    assert errors == []
    text = page.locator("body").inner_text()
    assert all(n in text for n in lines) and unpromoted in text
    page.close()

    # promote the ones that pass: a strict gate refuses every shadowed name, one line each
    strict = project.root / "strict.yaml"
    strict.write_text("shadow:\n  min_spearman: 1.01\n")
    refused = project.run(
        *("models", "promote-sweep", sweep, "--reason", "all", "--criteria", str(strict), "--json")
    )
    assert refused.returncode == 1, refused.stderr
    results = {r["model"]: r for r in json.loads(refused.stdout)}
    assert set(results) == set(new)
    assert results[merchant]["result"] == "already production"
    assert results[unpromoted]["result"] == "promoted"  # a first model: nothing to shadow
    for name in set(lines) - {merchant}:
        assert results[name]["result"] == "refused", results[name]
        assert "shadow.min_spearman" in results[name]["reason"]
    passing = project.run(
        *("models", "promote-sweep", sweep, "--reason", "shadowed", "--criteria", str(gate))
    )
    assert passing.returncode == 0, passing.stdout + passing.stderr
    for name in set(lines) - {merchant}:
        events = json.loads(project.run("models", "history", name, "--json").stdout)["events"]
        assert events[-1]["to_version"] == new[name]
        evidence = events[-1]["evidence"]
        assert evidence.startswith("shadow report "), evidence
        cited = project.run("models", "report", evidence.split()[-1], "--json")
        assert json.loads(cited.stdout)["versions"] == {
            "candidate": new[name],
            "production": old[name],
        }
    assert_one_line(project.run("models", "promote-sweep", sweep), "--reason")
    assert_one_line(project.run("models", "promote-sweep", "nosuch", "--reason", "x"), "'nosuch'")


def test_bad_sweep_shadow_is_one_line(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", rows=1500, merchants=3)
    assert_one_line(
        project.run("models", "shadow", "--sweep", "nosuch"), "'nosuch'", "registered no"
    )
    assert_one_line(project.run("models", "shadow", "default/global"), "NAME --candidate VERSION")
    assert_one_line(
        project.run("models", "shadow", "a", "--candidate", "b", "--sweep", "c"), "not both"
    )
    assert_one_line(
        project.run("models", "shadow", "--sweep", "s", "--workers", "0"), "--workers", "got 0"
    )
    assert_one_line(project.run("models", "shadow", "--sweep", "s", "--runtime", "jvm"), "'s'")
