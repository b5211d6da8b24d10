"""Hydra's own conformance suites for launchers, run against ``hydra/launcher=local``: any task
function and any sweep behave under railyard's launcher as under Hydra's BasicLauncher."""

from __future__ import annotations

import pytest
from hydra.core.plugins import Plugins
from hydra.plugins.launcher import Launcher
from hydra.test_utils.launcher_common_tests import IntegrationTestSuite, LauncherTestSuite

from hydra_plugins.railyard_launcher.local_launcher import RailyardLocalLauncher


def test_discovered_by_hydra() -> None:
    names = [p.__name__ for p in Plugins.instance().discover(Launcher)]
    assert RailyardLocalLauncher.__name__ in names


@pytest.mark.parametrize(("launcher_name", "overrides"), [("local", [])])
class TestLocalLauncher(LauncherTestSuite):
    pass


@pytest.mark.parametrize(
    ("task_launcher_cfg", "extra_flags"),
    [({"defaults": [{"override hydra/launcher": "local"}]}, ["-m"])],
)
class TestLocalLauncherIntegration(IntegrationTestSuite):
    pass
