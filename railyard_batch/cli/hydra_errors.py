"""Hydra's own errors (bad YAML, an unknown config group option, a bad override) on one line.

Hydra 1.3 prints some of these as several lines and a malformed YAML file as a full traceback.
:func:`install` wraps Hydra's reporting function so that a user's config mistake leaves as a
:class:`HydraConfigExit` that the CLI prints as ``TypeName: message`` on one line; any other
exception (a bug) still gets Hydra's report. ``HYDRA_FULL_ERROR=1`` restores Hydra's output.
"""

from __future__ import annotations

import contextlib
import os
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml


class HydraConfigExit(SystemExit):
    """A config mistake found by Hydra: passes Hydra's ``except Exception`` to the CLI."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(2)
        self.error = error

    def line(self) -> str:
        explained = explain(self.error)
        if explained is not None:
            return explained
        text = str(self.error)
        if isinstance(self.error, yaml.YAMLError):
            text = f"malformed YAML: {text}"
        text = re.sub(r"\s*\n\s*", "; ", text.strip())
        text = text.replace("; ;", ";").replace(":;", ":")
        return f"{type(self.error).__name__}: {text}"


def _omegaconf_cause(error: BaseException) -> Any:
    """The OmegaConf error behind ``error`` that names a key (Hydra's "Error merging override"
    and "Could not override" wrap it as ``__cause__``), else ``None``."""
    from omegaconf.errors import OmegaConfBaseException

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OmegaConfBaseException) and getattr(current, "full_key", None):
            return current
        current = current.__cause__ or current.__context__
    return None


def describe_type(hint: Any) -> str | None:
    """'an int', 'a float', 'an int or null', 'a list of strings' for a schema field type."""
    names = {int: "an int", float: "a float", bool: "a boolean (true or false)", str: "a string"}
    if hint in names:
        return names[hint]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        inner = describe_type(args[0])
        return f"{inner} or null" if inner else None
    if origin is list:
        inner = describe_type(args[0]) if args else None
        return f"a list of {inner.split(' ', 1)[1]}s" if inner else "a list"
    if origin is dict:
        return "a mapping"
    return None


def explain(error: BaseException) -> str | None:
    """One line naming the key, the expected type and the value received, for a Hydra or
    OmegaConf error about one key; ``None`` when the error is about no key."""
    from omegaconf import DictConfig
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

    from railyard_batch.config.keys import known_keys, section_type, unknown_key_error

    cause = _omegaconf_cause(error)
    if cause is None:
        return None
    key = str(cause.full_key)
    section = key.rpartition(".")[0]
    if isinstance(cause, ConfigAttributeError | ConfigKeyError) and "not in" in str(cause):
        known = known_keys(section) if section_type(section) is not None or not section else []
        free_form = not known
        parent = getattr(cause, "parent_node", None)
        if free_form and isinstance(parent, DictConfig):
            known = [str(k) for k in parent]
        message = str(unknown_key_error(key, known))
        if free_form:
            message = f"{message.rstrip('.')} (a new key is added with '+{key}=VALUE')."
        return f"ConfigError: {message}"
    if isinstance(cause, ValidationError):
        expected = describe_type(section_type(key))
        if expected is None:  # OmegaConf's own words for the type: "... converted to Integer"
            text = str(cause).strip().splitlines()[0]
            return f"ConfigError: The '{key}' parameter has a value of the wrong type: {text}"
        value = cause.value
        shown = f"'{value}'" if not isinstance(value, str) else repr(value)
        return f"ConfigError: The '{key}' parameter must be {expected}. Got {shown}."
    return None


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


def _is_group(conf_dir: Path, group: str) -> bool:
    from hydra.core.config_store import ConfigStore

    if (conf_dir / group).is_dir():
        return True
    node: Any = ConfigStore.instance().repo
    for part in group.split("/"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return isinstance(node, dict)


def _options(conf_dir: Path, group: str) -> list[str]:
    from hydra.core.config_store import ConfigStore

    found = {p.stem for p in (conf_dir / group).glob("*.yaml")}
    with contextlib.suppress(OSError):  # no structured options in this group
        found |= {name.removesuffix(".yaml") for name in ConfigStore.instance().list(group)}
    return sorted(found)


def group_choice_error(conf_dir: Path, overrides: list[str]) -> str | None:
    """The line for an override that picks a config group option with a value that is not a
    name (``+experiment=0``, ``estimator=1.5``, ``~estimator=true``), which Hydra 1.3 meets
    with a bare ``ValueError`` and a traceback; ``None`` when every choice is a name. An
    override Hydra cannot parse is left for Hydra to report."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except HydraException:
        return None
    for override in parsed:
        group = override.key_or_group.lstrip("+~")
        if override.is_force_add() or not _is_group(conf_dir, group):
            continue
        values: list[Any]
        if override.is_sweep_override():
            values = list(override.sweep_iterator())
        else:
            value = override.value()
            if isinstance(value, dict) or (override.is_delete() and value is None):
                values = []  # a dict is a config override; a bare ~group deletes it
            elif isinstance(value, list) and not override.is_delete():
                values = value
            else:
                values = [value]
        bad = [v for v in values if not isinstance(v, str)]
        if bad:
            options = ", ".join(_options(conf_dir, group)) or "none found"
            kind = (
                "null"
                if bad[0] is None
                else "a boolean"
                if isinstance(bad[0], bool)
                else "a number"
            )
            return (
                f"ConfigError: The '{group}' config group takes an option name (one of: "
                f"{options}). Got {override.input_line!r}, whose value is {kind}; an option "
                "named like a number is quoted (group='1')."
            )
    return None
