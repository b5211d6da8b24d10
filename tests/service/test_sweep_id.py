"""``execution.sweep_id``: the id a caller (the service) chooses, checked before anything runs."""

from __future__ import annotations

import pytest

from railyard_batch.config.validate import check_sweep_id
from railyard_batch.errors import ConfigError
from railyard_batch.sweep import chosen_sweep_id, new_sweep_id
from tests.conftest import Project


def test_a_chosen_id_is_kept_and_a_missing_one_is_new() -> None:
    assert chosen_sweep_id({"sweep_id": "20260101-120000-0a1b2c"}) == "20260101-120000-0a1b2c"
    assert check_sweep_id(chosen_sweep_id({})) and chosen_sweep_id({}) != new_sweep_id()


@pytest.mark.parametrize("bad", ["x", "20260101-120000-0A1B2C", "../../etc", "", 7])
def test_a_malformed_id_is_refused(bad: object) -> None:
    with pytest.raises(ConfigError, match=r"'execution\.sweep_id'"):
        chosen_sweep_id({"sweep_id": bad})


def test_the_cli_refuses_a_malformed_id_on_one_line(project: Project) -> None:
    result = project.run("execution.sweep_id=../x")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "ConfigError: The 'execution.sweep_id' parameter must be null or an id like "
        "'20260101-120000-0a1b2c' (YYYYMMDD-HHMMSS-6 hex digits). Got '../x'."
    ]
