"""The options many subcommands share, each defined once with its help: ``--store`` (the run
store) and ``--json``. Only argparse and os: the CLI builds every parser for ``--help``."""

from __future__ import annotations

import argparse
import os
from typing import Any

#: The run store when no ``--store`` is given and ``$RAILYARD_STORE`` is unset.
DEFAULT_STORE = "sqlite:///runs/railyard.db"
STORE_ENV = "RAILYARD_STORE"
STORE_HELP = (
    "run store: a SQLAlchemy URL, sqlite:///PATH or postgresql+psycopg://... "
    "(default: $RAILYARD_STORE, else %(default)s)"
)


def add_store(parser: argparse.ArgumentParser, **overrides: Any) -> None:
    """``--store URL``, by default ``$RAILYARD_STORE``, else :data:`DEFAULT_STORE`;
    ``overrides`` (``default``, ``help``) for a command that differs."""
    options: dict[str, Any] = {
        "default": os.environ.get(STORE_ENV, DEFAULT_STORE),
        "metavar": "URL",
        "help": STORE_HELP,
    }
    parser.add_argument("--store", **{**options, **overrides})


def add_json(parser: argparse.ArgumentParser, what: str = "the result") -> None:
    """``--json``: the command prints ``what`` as JSON instead of a table."""
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON")
