"""Aliases and tags through the CLI: the promotion gate, forced promotion, rollback, the
pointer documents, history (and what held production at a time), tags and untags."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.registry.conftest import Trained


def _criteria(tmp_path: Path, text: str) -> str:
    path = tmp_path / f"criteria-{time.monotonic_ns()}.yaml"
    path.write_text(text)
    return str(path)


def _ok(trained: Trained, *args: str) -> dict[str, Any]:
    result = trained.models(*args)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def _refused(trained: Trained, *args: str) -> str:
    result = trained.models(*args)
    assert result.returncode == 2, result.stdout
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr.strip()


def _pointer_ok(trained: Trained, name: str, alias: str, version: str, event_id: int) -> None:
    doc = json.loads(trained.pointer(name, alias).read_text(encoding="utf-8"))
    assert doc["format"] == "railyard-registry-pointer/1"
    assert (doc["name"], doc["alias"], doc["version"], doc["event_id"]) == (
        name,
        alias,
        version,
        event_id,
    )
    bundle = trained.project.root / "runs" / "artifacts" / doc["bundle_uri"]
    assert json.loads((bundle / "manifest.json").read_text())["content_hash"] == doc["bundle_hash"]
    assert doc["bundle_hash"] == f"sha256:{version}"
    assert datetime.fromisoformat(doc["updated_at"]).tzinfo is not None
    assert not list(trained.pointer(name, alias).parent.glob("*.tmp-*"))


@pytest.mark.e2e
def test_promote_gate_force_rollback_history_and_pointers(trained: Trained, tmp_path: Path) -> None:
    name = trained.names()[0]
    versions = trained.versions(name)
    # Worse first: the second promotion is then an improvement the regression rule allows.
    worse, better = sorted(versions, key=lambda v: v["metrics"]["roc_auc"])
    line = _refused(trained, "promote", name, worse["version"])
    assert line.startswith("ConfigError: ") and "'--reason'" in line
    strict = _criteria(tmp_path, "minimum:\n  roc_auc: 0.999\n")
    line = _refused(
        trained, "promote", name, worse["version"], "--reason", "r", "--criteria", strict
    )
    measured = f"{worse['metrics']['roc_auc']:.6g}"
    assert line.startswith("PromotionRefused: Criterion 'minimum.roc_auc'")
    assert "roc_auc >= 0.999" in line and f"measured {measured}" in line
    assert not trained.pointer(name, "production").exists()
    assert [e["kind"] for e in _ok(trained, "history", name, "--json")["events"]] == [
        "registered",
        "registered",
    ]

    lenient = _criteria(tmp_path, "minimum:\n  roc_auc: 0.5\n")
    first = _ok(
        trained,
        "promote",
        name,
        worse["version"][:10],
        "--reason",
        "first model",
        "--criteria",
        lenient,
        "--actor",
        "alice",
    )
    assert first["from_version"] is None and first["to_version"] == worse["version"]
    _pointer_ok(trained, name, "production", worse["version"], first["event_id"])
    held_first = datetime.now(UTC).isoformat()
    time.sleep(0.05)

    never = _criteria(tmp_path, "max_regression:\n  roc_auc: -1\n")
    line = _refused(
        trained, "promote", name, better["version"], "--reason", "r", "--criteria", never
    )
    assert line.startswith("PromotionRefused: Criterion 'max_regression.roc_auc'")
    forced = _ok(
        trained,
        "promote",
        name,
        better["version"],
        "--reason",
        "incident 7",
        "--force",
        "--criteria",
        never,
        "--evidence",
        "report-42",
    )
    assert forced["forced"] and forced["from_version"] == worse["version"]
    _pointer_ok(trained, name, "production", better["version"], forced["event_id"])
    time.sleep(0.05)

    back = _ok(trained, "rollback", name, "--reason", "bad latency")
    assert (back["from_version"], back["to_version"]) == (better["version"], worse["version"])
    assert back["event_id"] > forced["event_id"] > first["event_id"]
    _pointer_ok(trained, name, "production", worse["version"], back["event_id"])

    events = _ok(trained, "history", name, "--alias", "production", "--json")["events"]
    assert [(e["reason"], e["forced"], e["to_version"]) for e in events] == [
        ("first model", False, worse["version"]),
        ("incident 7", True, better["version"]),
        ("bad latency", False, worse["version"]),
    ]
    assert events[0]["actor"] == "alice" and events[1]["evidence"] == "report-42"
    at = _ok(trained, "history", name, "--at", held_first, "--json")
    assert at["version"] == worse["version"] and at["since"]["id"] == first["event_id"]
    assert at["next"]["reason"] == "incident 7" and at["next"]["forced"] is True
    assert (
        _ok(trained, "history", name, "--at", "2001-01-01T00:00:00Z", "--json")["version"] is None
    )
    table = trained.models("history", name, "--at", held_first)
    assert table.returncode == 0 and "incident 7" in table.stdout


@pytest.mark.e2e
def test_other_aliases_and_tags_are_events_and_removal_deletes_the_pointer(
    trained: Trained,
) -> None:
    name = trained.names()[1]
    one, two = (v["version"] for v in trained.versions(name))
    moved = _ok(trained, "alias", name, "candidate", one)
    _pointer_ok(trained, name, "candidate", one, moved["event_id"])
    again = _ok(trained, "alias", name, "candidate", two, "--reason", "retrained")
    _pointer_ok(trained, name, "candidate", two, again["event_id"])
    _ok(trained, "unalias", name, "candidate")
    assert not trained.pointer(name, "candidate").exists()
    assert _refused(trained, "unalias", name, "candidate").startswith("ModelNotFoundError: ")

    tagged = trained.models("tag", name, one, "team=fraud", "ticket=FR-12")
    assert tagged.returncode == 0, tagged.stderr
    assert trained.models("untag", name, one, "ticket").returncode == 0
    shown = {v["version"]: v for v in trained.versions(name)}
    assert shown[one]["tags"] == {"team": "fraud"} and shown[two]["tags"] == {}
    events = _ok(trained, "history", name, "--json")["events"]
    assert [e["kind"] for e in events[2:]] == [
        "alias_moved",
        "alias_moved",
        "alias_removed",
        "tag_set",
        "tag_set",
        "tag_removed",
    ]
    assert events[3]["from_version"] == one and events[3]["to_version"] == two
    assert all(e["actor"] for e in events)
