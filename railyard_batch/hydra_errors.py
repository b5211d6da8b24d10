"""Hydra's own errors (bad YAML, an unknown config group option, a bad override) on one line.

Hydra 1.3 prints some of these as several lines and a malformed YAML file as a full traceback.
:func:`install` wraps Hydra's reporting function so that a user's config mistake leaves as a
:class:`HydraConfigExit` that the CLI prints as ``TypeName: message`` on one line; any other
exception (a bug) still gets Hydra's report. ``HYDRA_FULL_ERROR=1`` restores Hydra's output.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import yaml


class HydraConfigExit(SystemExit):
    """A config mistake found by Hydra: passes Hydra's ``except Exception`` to the CLI."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(2)
        self.error = error

    def line(self) -> str:
        text = str(self.error)
        if isinstance(self.error, yaml.YAMLError):
            text = f"malformed YAML: {text}"
        text = re.sub(r"\s*\n\s*", "; ", text.strip())
        text = text.replace("; ;", ";").replace(":;", ":")
        return f"{type(self.error).__name__}: {text}"


def install() -> None:
    """Route Hydra's config errors through :class:`HydraConfigExit` (idempotent)."""
    import hydra._internal.utils as hydra_utils
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    original = hydra_utils.run_and_report
    if getattr(original, "_railyard", False):
        return
    user_errors = (HydraException, OmegaConfBaseException, yaml.YAMLError)

    def run_and_report(func: Callable[[], Any]) -> Any:
        def guarded() -> Any:
            try:
                return func()
            except user_errors as exc:
                if os.environ.get("HYDRA_FULL_ERROR") == "1":
                    raise
                raise HydraConfigExit(exc) from None

        return original(guarded)

    run_and_report._railyard = True  # type: ignore[attr-defined]
    hydra_utils.run_and_report = run_and_report
