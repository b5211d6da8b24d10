"""A Hydra sweeper plugin (Optuna) drives railyard's launcher: each trial's objective is the
mean ``evaluation.objective`` of its members, and every trial lands in one sweep."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Project


@pytest.mark.e2e
def test_optuna_maximises_the_recorded_objective(project: Project) -> None:
    result = project.run(
        "hydra/sweeper=optuna",
        "hydra.sweeper.n_trials=3",
        "hydra.sweeper.direction=maximize",
        "hydra.sweeper.sampler.seed=1",
        "estimator.C=interval(0.01,10)",
        "evaluation.objective=roc_auc",
        "execution.progress=false",
        "-m",
    )
    assert result.returncode == 0, result.stderr
    best = float(result.stdout.split("Best value: ")[1].split()[0])
    sweeps = json.loads(project.run("runs", "list", "--json").stdout)
    assert len(sweeps) == 1 and sweeps[0]["n_runs"] == 3
    shown = json.loads(project.run("runs", "show", "--json").stdout)
    aucs = [m["metrics"]["roc_auc"] for m in shown["members"]]
    assert best == pytest.approx(max(aucs))
