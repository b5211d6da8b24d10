"""Two promotions of the same name at once, as two real processes: exactly one moves
production, the other is refused with a conflict and changes nothing."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.conftest import CLI
from tests.registry.conftest import Trained


@pytest.mark.e2e
def test_two_concurrent_promotions_exactly_one_wins(trained: Trained) -> None:
    name = trained.names()[2]
    versions = [v["version"] for v in trained.versions(name)]
    lenient = trained.project.root / "lenient.yaml"
    lenient.write_text("minimum:\n  roc_auc: 0.0\n")
    procs = [
        subprocess.Popen(
            [
                CLI,
                "models",
                "promote",
                name,
                version,
                "--reason",
                f"race {i}",
                "--expect",
                "none",
                "--criteria",
                str(lenient),
            ],
            cwd=trained.project.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        for i, version in enumerate(versions)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    (winner,) = [json.loads(out)["to_version"] for code, out, _ in results if code == 0]
    (loser_err,) = [err for code, _, err in results if code == 2]
    assert loser_err.startswith("PromotionConflict: ") and loser_err.count("\n") == 1
    events = json.loads(trained.models("history", name, "--alias", "production", "--json").stdout)[
        "events"
    ]
    assert [e["to_version"] for e in events] == [winner]
    pointer = json.loads(trained.pointer(name, "production").read_text())
    assert pointer["version"] == winner and pointer["event_id"] == events[0]["id"]
