"""Bad input to the registry's commands: one ``TypeName: message`` line, exit status 2, and
the registry (events, versions, tags, aliases, pointer files) unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, update

from railyard_batch.recording.tables import members
from railyard_batch.registry.errors import PromotionRefused
from railyard_batch.registry.promotion import Criteria, evaluate
from tests.conftest import assert_one_line, make_project
from tests.registry.conftest import Trained


def _snapshot(trained: Trained, name: str) -> Any:
    registry = trained.project.root / "runs" / "artifacts" / "registry"
    files = (
        sorted(str(p.relative_to(registry)) for p in registry.rglob("*"))
        if registry.exists()
        else []
    )
    return (
        trained.models("history", name, "--json").stdout,
        trained.models("show", name, "--json").stdout,
        trained.models("list", "--json").stdout,
        files,
    )


@pytest.mark.e2e
def test_each_bad_input_is_one_line_and_changes_nothing(trained: Trained, tmp_path: Path) -> None:
    name = trained.names()[3]
    version = trained.versions(name)[0]["version"]
    bad_criteria = tmp_path / "bad.yaml"
    bad_criteria.write_text("minimum:\n  log_loss: 0.5\n")
    cases = [
        (("show", "nope/x"), "ModelNotFoundError", "'nope/x'"),
        (("promote", name, "deadbeef", "--reason", "r"), "ModelNotFoundError", "'deadbeef'"),
        (("tag", name, "not-hex", "k=v"), "ModelNotFoundError", "'not-hex'"),
        (("unalias", name, "nosuch"), "ModelNotFoundError", "'nosuch'"),
        (("rollback", name, "--reason", "r"), "ModelNotFoundError", "production"),
        (("alias", name, "production", version), "ConfigError", "'--reason'"),
        (("promote", name, version), "ConfigError", "'--reason'"),
        (("promote", "a/../b", version, "--reason", "r"), "InvalidNameError", "'a/../b'"),
        (("alias", name, "..", version), "InvalidNameError", "'..'"),
        (("history", name, "--alias", "bad alias"), "InvalidNameError", "'bad alias'"),
        (("history", name, "--at", "yesterday"), "ConfigError", "'yesterday'"),
        (("tag", name, version, "ok=1", "bad key=1"), "InvalidNameError", "'bad key'"),
        (("tag", name, version, "ok=1", "nokey"), "ConfigError", "'nokey'"),
        (("untag", name, version, "absent"), "ModelNotFoundError", "'absent'"),
        (
            ("promote", name, version, "--reason", "r", "--criteria", str(bad_criteria)),
            "ConfigError",
            "minimum.log_loss",
        ),
        (("promote", name, version, "--force"), "ConfigError", "'--reason'"),
    ]
    before = _snapshot(trained, name)
    for args, kind, named in cases:
        result = trained.models(*args)
        assert result.returncode == 2, (args, result.stdout)
        assert result.stderr.count("\n") == 1, (args, result.stderr)
        assert result.stderr.startswith(f"{kind}: ") and named in result.stderr, (
            args,
            result.stderr,
        )
        assert "Traceback" not in result.stderr
    assert _snapshot(trained, name) == before


def _version(**changes: Any) -> dict[str, Any]:
    return {
        "version": "ab" * 32,
        "parity_passed": True,
        "exportable": True,
        "gate_reason": None,
        "metrics": json.dumps({"roc_auc": 0.9, "log_loss": 0.3}),
        **changes,
    }


def test_parity_and_exportability_are_checked_before_any_threshold() -> None:
    lenient = Criteria("lenient.yaml")
    with pytest.raises(PromotionRefused, match=r"Criterion 'parity_gate' failed.*measured failed"):
        evaluate(
            lenient, "m/global", _version(parity_passed=False, gate_reason="3 rows differ"), None
        )
    with pytest.raises(PromotionRefused, match="Criterion 'exportable' failed"):
        evaluate(lenient, "m/global", _version(exportable=False), None)
    assert evaluate(lenient, "m/global", _version(), None) == []


def test_thresholds_against_production_and_first_model_bounds() -> None:
    criteria = Criteria(
        "c.yaml",
        max_regression={"roc_auc": 0.01, "log_loss": 0.05},
        minimum={"roc_auc": 0.95},
        maximum={"log_loss": 0.2},
    )
    production = _version(metrics=json.dumps({"roc_auc": 0.905, "log_loss": 0.28}))
    passed = evaluate(criteria, "m/global", _version(), production)
    assert [p["criterion"] for p in passed] == ["max_regression.roc_auc", "max_regression.log_loss"]
    worse = _version(metrics=json.dumps({"roc_auc": 0.89, "log_loss": 0.3}))
    with pytest.raises(PromotionRefused, match=r"roc_auc >= 0\.895 .*measured 0\.89;"):
        evaluate(criteria, "m/global", worse, production)
    lossy = _version(metrics=json.dumps({"roc_auc": 0.91, "log_loss": 0.34}))
    with pytest.raises(PromotionRefused, match=r"max_regression\.log_loss.*<= 0\.33 .*0\.34"):
        evaluate(criteria, "m/global", lossy, production)
    with pytest.raises(PromotionRefused, match=r"minimum\.roc_auc.*>= 0\.95 .*measured 0\.9;"):
        evaluate(criteria, "m/global", _version(), None)
    missing = _version(metrics=json.dumps({"log_loss": 0.1}))
    with pytest.raises(PromotionRefused, match="measured none"):
        evaluate(criteria, "m/global", missing, None)


@pytest.mark.e2e
def test_a_version_whose_parity_gate_failed_is_never_promoted(tmp_path: Path) -> None:
    """Through the CLI: a registered version whose JVM parity gate failed is refused by
    ``promote`` (also with ``--force``), ``alias ... production`` and ``promote-sweep``, one line
    each, and nothing changes. FAULT INJECTED: a real bundle cannot be made to fail the gate
    (the JVM's numbers equal Python's by construction), so after a real training and export the
    test rewrites the member's recorded gate outcome in the run store as a failed gate records
    it; everything after that is the real CLI."""
    project = make_project(tmp_path / "proj", rows=1500, merchants=3)
    trained = project.run(
        *("estimator=logistic_regression", "export.bundle=true", "execution.progress=false")
    )
    assert trained.returncode == 0, trained.stderr
    shown = json.loads(project.run("runs", "show", "--json").stdout)
    sweep, member = shown["sweep"]["id"], shown["members"][0]
    export = member["export"]
    assert export["exportable"] and export["jvm_parity"]["passed"]  # the real gate passed
    reason = "JVM parity gate: max |diff| 3.1e-07 > tolerance 1e-09"
    export |= {"exportable": False, "reason": reason}
    export["jvm_parity"] |= {"passed": False, "max_abs_diff": 3.1e-07, "reason": reason}
    engine = create_engine(project.store_url)
    with engine.begin() as c:
        c.execute(
            update(members).where(members.c.id == member["id"]).values(export=json.dumps(export))
        )
    engine.dispose()

    skipped = project.run("models", "register", sweep)  # a sweep: its exportable members only
    assert skipped.returncode == 0 and "0 new version(s)" in skipped.stdout + skipped.stderr
    registered = project.run("models", "register", member["id"])  # one member: whatever its gate
    assert registered.returncode == 0, registered.stderr
    name = "default/global"
    version = json.loads(project.run("models", "show", name, "--json").stdout)["versions"][0]
    assert (version["parity_passed"], version["exportable"]) == (False, False)
    facade = Trained(project, sweep, shown["members"])
    before = _snapshot(facade, name)
    lenient = project.root / "lenient.yaml"
    lenient.write_text("minimum:\n  roc_auc: 0.0\n")
    v = version["version"]
    for args in (
        ("promote", name, v, "--reason", "r", "--criteria", str(lenient)),
        ("promote", name, v, "--reason", "r", "--force"),
        ("alias", name, "production", v, "--reason", "r", "--criteria", str(lenient)),
    ):
        refused = project.run("models", *args)
        assert_one_line(refused, "PromotionRefused", "'parity_gate'", "max |diff| 3.1e-07")
    swept = project.run("models", "promote-sweep", sweep, "--reason", "r", "--json")
    assert swept.returncode != 0 and "Traceback" not in swept.stderr
    assert _snapshot(facade, name) == before
