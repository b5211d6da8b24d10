"""One trained sweep with bundles (export.bundle=true) per test module; tests take different
registered models of it, so each reads a registry no other test changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Project, make_project


@dataclass
class Trained:
    project: Project
    sweep_id: str
    members: list[dict[str, object]]

    def names(self, experiment: str = "default") -> list[str]:
        """The default registered names of the sweep's exportable members."""
        return sorted(
            f"{experiment}/global"
            if m["member_key"] == "__global__"
            else f"{experiment}/merchant_id={m['member_key']}"
            for m in self.members
            if (m.get("export") or {}).get("exportable")  # type: ignore[attr-defined]
        )


def train(project: Project, *overrides: str) -> str:
    result = project.run(
        "estimator=logistic_regression",
        "fanout.by=merchant_id",
        "fanout.min_rows=300",
        "export.bundle=true",
        "execution.progress=false",
        *overrides,
    )
    assert result.returncode == 0, result.stderr
    return str(json.loads(project.run("runs", "list", "--json").stdout)[0]["id"])


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    project = make_project(Path(tmp_path_factory.mktemp("registry")) / "proj")
    sweep_id = train(project)
    shown = json.loads(project.run("runs", "show", sweep_id, "--json").stdout)
    yield Trained(project, sweep_id, shown["members"])
