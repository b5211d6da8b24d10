"""``models shadow`` through the real CLI: a candidate is scored beside production on its own
holdout, the report is stored (row, JSON, HTML) and the promotion gate reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import assert_one_line, make_project


@pytest.mark.e2e
def test_shadow_a_candidate_and_promote_it_through_the_shadow_gate(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    trained = project.run(
        *("-m", "estimator=logistic_regression", "estimator.C=1.0,0.0005"),
        *("split.strategy=time", "split.time_column=timestamp"),
        *("registry.register=true", "export.bundle=true", "execution.progress=false"),
    )
    assert trained.returncode == 0, trained.stderr
    name = "default/global"
    versions = [
        v["version"]
        for v in json.loads(project.run("models", "show", name, "--json").stdout)["versions"]
    ]
    assert len(versions) == 2, (trained.stdout[-2000:], versions)
    first, second = versions
    assert_one_line(
        project.run("models", "shadow", name, "--candidate", second), "no production version"
    )
    lenient = project.root / "lenient.yaml"
    lenient.write_text("minimum:\n  roc_auc: 0.0\n")
    promoted = project.run(
        *("models", "promote", name, first, "--reason", "first"), "--criteria", str(lenient)
    )
    assert promoted.returncode == 0, promoted.stderr
    assert_one_line(
        project.run("models", "shadow", name, "--candidate", first[:10]), "is production already"
    )
    assert_one_line(project.run("models", "shadow", name, "--candidate", "ffff0000"), "ffff0000")

    gate = project.root / "gate.yaml"
    gate.write_text("shadow:\n  max_age_days: 1\n  max_psi: 50\n  min_spearman: -1\n")
    assert_one_line(
        project.run(*("models", "promote", name, second, "--reason", "x", "--criteria", str(gate))),
        "Criterion 'shadow'",
        "a shadow report against the current production",
    )

    shadow = project.run("models", "shadow", name, "--candidate", second, "--json")
    assert shadow.returncode == 0, shadow.stderr
    report = json.loads(shadow.stdout)
    assert report["versions"] == {"candidate": second, "production": first}
    n = report["rows"]
    assert n > 50 and sum(report["flips"].values()) == n
    assert report["flip_rate"] == pytest.approx(1 - report["agreement"])
    for side in ("production", "candidate"):
        assert 0.0 <= report[side]["roc_auc"] <= 1.0 and report[side]["log_loss"] > 0
        low, high = report["intervals"][side]["roc_auc"]
        assert low <= high
    assert 0.0 <= report["ks"] <= 1.0 and report["psi"] >= 0.0
    assert -1.0 <= report["spearman"] <= 1.0
    # the candidate's regularisation is 2,000x stronger: its scores are not production's
    assert report["ks"] > 0 and report["production"]["log_loss"] != report["candidate"]["log_loss"]
    page = Path(report["files"]["html"]).read_text()
    assert report["id"] in page and "Plotly" in page and "Decisions at production" in page
    assert json.loads(Path(report["files"]["json"]).read_text())["id"] == report["id"]

    # through the bundles on the JVM scorer (what production runs): the same numbers
    on_jvm = project.run(
        "models", "shadow", name, "--candidate", second, "--runtime", "jvm", "--json"
    )
    assert on_jvm.returncode == 0, on_jvm.stderr
    jvm = json.loads(on_jvm.stdout)
    assert jvm["runtime"] == "jvm" and report["runtime"] == "python" and jvm["rows"] == n
    for side in ("production", "candidate"):
        for metric in ("roc_auc", "pr_auc", "log_loss"):
            assert jvm[side][metric] == pytest.approx(report[side][metric], abs=1e-9), metric
    assert jvm["flips"] == report["flips"]

    # another dataset, and a time window of it (its md5 recorded in the report)
    import pandas as pd

    data = project.root / "data" / "transactions.parquet"
    frame = pd.read_parquet(data)
    other = project.run(
        "models", "shadow", name, "--candidate", second, "--data", str(data), "--json"
    )
    assert other.returncode == 0, other.stderr
    whole = json.loads(other.stdout)
    assert whole["rows"] == len(frame) and "md5 " in whole["data"]
    middle = str(frame["timestamp"].sort_values().iloc[len(frame) // 2])
    late = project.run(
        *("models", "shadow", name, "--candidate", second, "--json"),
        *("--data", str(data), "--since", middle),
    )
    assert late.returncode == 0, late.stderr
    assert json.loads(late.stdout)["rows"] == int(
        (frame["timestamp"] >= pd.Timestamp(middle)).sum()
    )
    frame.drop(columns=["amount"]).to_parquet(project.root / "short.parquet")
    assert_one_line(
        project.run(*("models", "shadow", name, "--candidate", second, "--data", "short.parquet")),
        "misses column(s)",
        "'amount'",
    )
    assert_one_line(
        project.run(*("models", "shadow", name, "--candidate", second, "--data", "nope.parquet")),
        "'nope.parquet' is not a file",
    )
    assert_one_line(
        project.run(
            *("models", "shadow", name, "--candidate", second),
            *("--data", str(data), "--since", "yesterday-ish"),
        ),
        "--since must be a timestamp",
    )
    assert_one_line(
        project.run(*("models", "shadow", name, "--candidate", second, "--until", middle)),
        "give --data too",
    )

    table = project.run("models", "shadow", name, "--candidate", second)
    assert table.returncode == 0 and "flip_rate" in table.stdout and "psi" in table.stdout

    strict = project.root / "strict.yaml"
    strict.write_text("shadow:\n  min_spearman: 1.01\n")
    assert_one_line(
        project.run(
            *("models", "promote", name, second, "--reason", "x", "--criteria", str(strict))
        ),
        "Criterion 'shadow.min_spearman'",
        "spearman >= 1.01",
    )
    shown = json.loads(project.run("models", "show", name, "--json").stdout)
    assert shown["aliases"]["production"]["version"] == first  # refusals changed nothing

    ok = project.run(*("models", "promote", name, second, "--reason", "x", "--criteria", str(gate)))
    assert ok.returncode == 0, ok.stderr
    passed = json.loads(ok.stdout)["passed"]
    assert {p["criterion"] for p in passed} == {
        "shadow.max_age_days",
        "shadow.max_psi",
        "shadow.min_spearman",
    }
    newest = json.loads(
        project.run("models", "shadow", name, "--candidate", first, "--json").stdout
    )
    # the report the gate used, read back by its id (the history's evidence names it)
    (used,) = {p["report"] for p in passed}
    stored = project.run("models", "report", used, "--json")
    assert stored.returncode == 0, stored.stderr
    assert json.loads(stored.stdout)["versions"] == {"candidate": second, "production": first}
    shown = project.run("models", "report", used)
    assert shown.returncode == 0 and "flip_rate" in shown.stdout, shown.stderr
    assert_one_line(project.run("models", "report", "f" * 16), "No shadow report")
    events = json.loads(project.run("models", "history", name, "--json").stdout)["events"]
    assert events[-1]["to_version"] == second and events[-1]["evidence"] == f"shadow report {used}"
    assert {p["report"] for p in passed} != {newest["id"]}  # the gate used the report it had


def test_bad_shadow_criteria_are_one_line(tmp_path: Path) -> None:
    from railyard_batch.errors import ConfigError
    from railyard_batch.registry.promotion import load_criteria

    for body, fragment in (
        ("shadow:\n  max_flips: 0.1\n", "'shadow.max_flips'"),
        ("shadow:\n  max_psi: high\n", "must be a number"),
        ("shadow:\n  pr_auc_not_worse: 1\n", "must be true or false"),
    ):
        path = tmp_path / "c.yaml"
        path.write_text(body)
        with pytest.raises(ConfigError, match=fragment):
            load_criteria(path)


def test_the_shipped_criteria_files_load() -> None:
    from railyard_batch.registry.promotion import load_criteria

    repo = Path(__file__).resolve().parents[2]
    loaded = {
        p.name: load_criteria(p) for p in sorted((repo / "conf" / "promotion").glob("*.yaml"))
    }
    assert {"default.yaml", "shadowed.yaml"} <= set(loaded)
    assert not loaded["default.yaml"].shadow
    assert set(loaded["shadowed.yaml"].shadow) == {
        "max_age_days",
        "max_flip_rate",
        "max_psi",
        "min_spearman",
        "pr_auc_not_worse",
    }
