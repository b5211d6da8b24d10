"""Unknown config keys are errors, also when added with Hydra's ``+``.

The raw config is walked against the schema (:mod:`railyard_batch.config.schema`): every key of
a section that is a dataclass must be one of its fields. A field typed ``Any`` or ``dict`` is
free-form and is not walked: ``estimator`` (its params are checked against the estimator class
in :mod:`railyard_batch.config.estimator_params`), ``features.transformer`` (nested targets,
checked by :mod:`railyard_batch.config.targets`) and ``params`` (user code's own values).
``hydra`` (Hydra's own node) is allowed at the top level.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from typing import Any

from railyard_batch.errors import ConfigError

# Keys Hydra itself puts into a composed config (task_section drops it before validation).
HYDRA_KEYS = frozenset({"hydra"})


def _schema() -> type:
    from railyard_batch.config.schema import TrainConfig

    return TrainConfig


def section_type(path: str) -> Any:
    """The schema type at a dotted ``path`` ('' is the root); ``None`` if there is none."""
    node: Any = _schema()
    for part in [p for p in path.split(".") if p]:
        if not (isinstance(node, type) and dataclasses.is_dataclass(node)):
            return None
        hints = typing.get_type_hints(node)
        if part not in hints:
            return None
        node = hints[part]
    return node


def known_keys(path: str) -> list[str]:
    """The fields of the schema section at ``path`` (empty if it is free-form or unknown)."""
    node = section_type(path)
    if isinstance(node, type) and dataclasses.is_dataclass(node):
        return [f.name for f in dataclasses.fields(node)]
    return []


def _all_keys(cls: type, prefix: str = "") -> list[str]:
    keys: list[str] = []
    for name, hint in typing.get_type_hints(cls).items():
        full = f"{prefix}{name}"
        keys.append(full)
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            keys.extend(_all_keys(hint, f"{full}."))
    return keys


def show_key(key: str) -> str:
    """A key quoted for a one-line message (repr when it holds quotes or control characters)."""
    return f"'{key}'" if key.isprintable() and "'" not in key else repr(key)


def unknown_key_error(key: str, known: list[str] | None = None) -> ConfigError:
    """ "Unknown config key 'fanout.min_row'; did you mean 'fanout.min_rows'?" (or the known
    keys of the section). ``known`` defaults to the schema's keys of the key's section."""
    section, _, name = key.rpartition(".")
    if known is None:
        known = known_keys(section)
    prefix = f"{section}." if section else ""
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        hint = f"did you mean '{prefix}{close[0]}'?"
    else:
        # The same name (or a close one) in another section: '+min_rows=5' → 'fanout.min_rows'.
        everywhere = _all_keys(_schema())
        leaves = {k.rpartition(".")[2]: k for k in everywhere if "." in k}
        other = difflib.get_close_matches(name, list(leaves), n=1)
        if other:
            hint = f"did you mean '{leaves[other[0]]}'?"
        elif known:
            where = f"'{section}'" if section else "the top level"
            hint = f"the known keys of {where} are {sorted(known)}."
        else:
            hint = "it is not in the schema (railyard_batch/config/schema.py)."
    return ConfigError(f"Unknown config key {show_key(key)}; {hint}")


def check_unknown_keys(raw: dict[str, Any]) -> None:
    """Raise :class:`ConfigError` for the first key the schema does not know."""

    def walk(node: dict[Any, Any], cls: type, path: str) -> None:
        hints = typing.get_type_hints(cls)
        for key, value in node.items():
            name = str(key)
            full = f"{path}.{name}" if path else name
            if not path and name in HYDRA_KEYS:
                continue
            if name not in hints:
                raise unknown_key_error(full, list(hints))
            hint = hints[name]
            if (
                isinstance(hint, type)
                and dataclasses.is_dataclass(hint)
                and isinstance(value, dict)
            ):
                walk(value, hint, full)

    walk(raw, _schema(), "")
