"""``railyard-batch report [SWEEP] -o report.html``: render a sweep's report and write it."""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from pathlib import Path

from railyard_batch.errors import OutputError, StoreError
from railyard_batch.recording.store import open_store


def write_report(html: str, out: Path) -> None:
    """Write ``html`` to ``out`` atomically (a temporary name, then renamed); a path that
    cannot be written is an :class:`OutputError` naming it."""
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        if out.is_dir():
            raise IsADirectoryError(21, "Is a directory")
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        why = exc.strerror or str(exc)
        raise OutputError(f"Cannot write the report to {str(out)!r} ('--output'): {why}.") from None


def report_command(store_url: str, sweep_id: str | None, out: Path) -> int:
    from railyard_batch.reports.page import render_report

    if not out.parent.is_dir():  # before rendering: fail in a moment, not after the work
        raise OutputError(
            f"Cannot write the report to {str(out)!r} ('--output'): no directory {str(out.parent)!r}."
        )
    with open_store(store_url) as store:
        with contextlib.suppress(StoreError):  # a read-only store still has a report
            store.close_dead()
        sweep_id = sweep_id or store.latest_sweep_id()
        page = render_report(store, sweep_id)
    write_report(page, out)
    print(f"wrote {out} (sweep {sweep_id})", file=sys.stderr)
    return 0
