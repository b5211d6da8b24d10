"""One trained sweep with bundles (export.bundle=true, registered by registry.register=true) for
the registry tests: two runs (estimator.C=1.0,0.05), so each registered name has two versions.
Each test changes only the registered models it owns (see ``Trained.names``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Project, Result, make_project


@dataclass
class Trained:
    project: Project

    def models(self, *args: str) -> Result:
        return self.project.run("models", *args)

    def versions(self, name: str) -> list[dict[str, Any]]:
        shown = self.models("show", name, "--json")
        assert shown.returncode == 0, shown.stderr
        return list(json.loads(shown.stdout)["versions"])

    def pointer(self, name: str, alias: str) -> Path:
        return self.project.root / "runs" / "artifacts" / "registry" / name / f"{alias}.json"

    sweep_id: str
    members: list[dict[str, object]]

    def names(self, experiment: str = "default") -> list[str]:
        """The default registered names of the sweep's exportable members."""
        return sorted(
            {
                f"{experiment}/global"
                if m["member_key"] == "__global__"
                else f"{experiment}/merchant_id={m['member_key']}"
                for m in self.members
                if (m.get("export") or {}).get("exportable")  # type: ignore[attr-defined]
            }
        )


def train(project: Project, *overrides: str) -> str:
    result = project.run(
        "-m",
        "estimator=logistic_regression",
        "estimator.C=1.0,0.05",
        "registry.register=true",
        "fanout.by=merchant_id",
        "fanout.min_rows=300",
        "export.bundle=true",
        "execution.progress=false",
        *overrides,
    )
    assert result.returncode == 0, result.stderr
    assert "registry: 10 new version(s) of 5 model(s), 0 already there" in result.stdout
    return str(json.loads(project.run("runs", "list", "--json").stdout)[0]["id"])


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    project = make_project(Path(tmp_path_factory.mktemp("registry")) / "proj")
    sweep_id = train(project)
    shown = json.loads(project.run("runs", "show", sweep_id, "--json").stdout)
    yield Trained(project, sweep_id, shown["members"])
