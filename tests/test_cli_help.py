"""``railyard-batch --help`` lists every command (training and each subcommand), and
``railyard-batch train`` is the Hydra app under its own name (real CLI processes); every flag
of every command has its help, and --store is one option everywhere."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from typing import Any

import pytest

from railyard_batch.cli.main import SUBCOMMANDS, _parser
from railyard_batch.cli_options import DEFAULT_STORE, STORE_HELP
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


def _parsers(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, Any]]:
    yield path, parser
    for action in parser._actions:  # argparse keeps subcommands only here
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, f"{path} {name}")


def test_every_flag_of_every_command_says_what_it_does() -> None:
    missing = [
        f"{path} {'/'.join(action.option_strings)}"
        for path, parser in _parsers(_parser(), "railyard-batch")
        for action in parser._actions
        if action.option_strings and not action.help
    ]
    assert missing == []


def test_store_and_json_are_one_option_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every --store has the same default and help (cli_options), $RAILYARD_STORE's value when
    it is set."""
    monkeypatch.delenv("RAILYARD_STORE", raising=False)
    stores = [
        action
        for _, parser in _parsers(_parser(), "railyard-batch")
        for action in parser._actions
        if "--store" in action.option_strings
    ]
    assert len(stores) >= 15
    shared = [a for a in stores if a.help == STORE_HELP]
    assert all(a.default == DEFAULT_STORE for a in shared), [a.default for a in shared]
    assert len(shared) >= len(stores) - 2  # the worker's and `tokens create`'s differ
    monkeypatch.setenv("RAILYARD_STORE", "postgresql+psycopg://db/runs")
    parsed = _parser().parse_args(["runs", "list"])
    assert parsed.store == "postgresql+psycopg://db/runs"
