"""``railyard-batch store upgrade|copy``: the parsers and the handler (railyard_batch/store_admin.py
does the work)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from railyard_batch.cli_options import add_store


def add_parser(sub: Any) -> None:
    store = sub.add_parser("store", help="the run store: upgrade its schema, copy its history")
    actions = store.add_subparsers(dest="action", required=True)
    up = actions.add_parser("upgrade", help="apply the run store's schema migrations")
    add_store(up)
    cp = actions.add_parser(
        "copy", help="copy every sweep, run and member of SRC_URL that DST_URL lacks"
    )
    cp.add_argument("src", metavar="SRC_URL", help="the run store to copy from")
    cp.add_argument("dst", metavar="DST_URL", help="the run store to copy into (made if new)")


def command(ns: argparse.Namespace) -> int:
    from railyard_batch.recording.admin import copy, name, upgrade

    if ns.action == "upgrade":
        before, had_tables, after = upgrade(ns.store)
        if before == after:
            print(f"run store {name(ns.store)} is at schema version {after}: nothing to do")
        else:
            was = before or ("a schema from before versions (0.1)" if had_tables else "empty")
            print(f"run store {name(ns.store)} upgraded from {was} to schema version {after}")
        return 0
    tty = sys.stderr.isatty()

    def progress(line: str) -> None:
        print(("\r" + line) if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)

    counts = copy(ns.src, ns.dst, progress)
    if tty:
        print(file=sys.stderr)
    added = sum(counts.added.values())
    print(
        f"copied {added:,} new record(s) from {name(ns.src)} to {name(ns.dst)}: "
        + ", ".join(f"{n:,} {name}" for name, n in counts.added.items())
    )
    return 0
