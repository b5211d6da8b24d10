"""A composition's id: ``<run id>/composition.<name>``, or, naming one evaluation of it (as a
registered version does), ``<run id>/composition.<name>@<12 hex of its content key>``.
Imports nothing, so that the registry can tell a composition from a member."""

from __future__ import annotations

MARK = "/composition."


def composition_id(run_id: str, name: str) -> str:
    return f"{run_id}{MARK}{name}"


def is_composition(ref: str | None) -> bool:
    return MARK in str(ref or "")
