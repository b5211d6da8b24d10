"""``railyard-batch --help`` lists every command (training and each subcommand), and
``railyard-batch train`` is the Hydra app under its own name (real CLI processes)."""

from __future__ import annotations

import re

from railyard_batch.cli import SUBCOMMANDS
from tests.conftest import Project


def test_help_lists_every_command(project: Project) -> None:
    for flag in ("--help", "-h"):
        shown = project.run(flag)
        assert shown.returncode == 0, shown.stderr
        listed = set(re.findall(r"^    (\w+)", shown.stdout, flags=re.M))
        assert listed == SUBCOMMANDS | {"train"}, listed ^ (SUBCOMMANDS | {"train"})
        assert "Configuration groups" not in shown.stdout


def test_train_is_the_hydra_app(project: Project) -> None:
    shown = project.run("train", "--help")
    assert shown.returncode == 0, shown.stderr
    assert "== Configuration groups ==" in shown.stdout and "estimator:" in shown.stdout
    trained = project.run("train", "execution.progress=false")
    assert trained.returncode == 0, trained.stderr
    assert "succeeded=" in trained.stdout
    bad = project.run("train", "estimator.C=abc")
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0, bad.stderr
