"""A progress bar of members done / failed / total, on stderr. Without a terminal (CI logs,
pods) it prints one line at most every few seconds instead."""

from __future__ import annotations

import sys
import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

LINE_INTERVAL_S = 5.0


class MemberProgress:
    """Counts member outcomes; draws a bar (terminal) or prints lines (elsewhere)."""

    def __init__(self, total: int, *, enabled: bool, label: str = "members") -> None:
        self.total = total
        self.done = 0
        self.counts: dict[str, int] = {}
        self._label = label
        self._enabled = enabled
        self._progress: Progress | None = None
        self._last_line = 0.0
        self._printed = -1
        self._note = ""
        self._printed_note = ""
        console = Console(stderr=True)
        if enabled and console.is_terminal:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            )
            self._task = self._progress.add_task(label, total=total, detail="")

    def __enter__(self) -> MemberProgress:
        if self._progress is not None:
            self._progress.start()
        self._started = time.monotonic()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
        elif self._enabled and self._printed != self.done:
            self._print_line()

    def detail(self) -> str:
        counts = " ".join(f"{k}={v}" for k, v in sorted(self.counts.items()))
        return "; ".join(part for part in (counts, self._note) if part)

    def update(self, counts: dict[str, int], note: str = "") -> None:
        """Set the finished members' counts at once, with a note on what the others wait for
        (a watcher that reads them from the run store, not a pool that sees each outcome).
        Without a terminal, a line is printed when the note changes, or every few seconds."""
        self.counts = {k: v for k, v in counts.items() if v}
        self.done = sum(self.counts.values())
        self._note = note
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done, detail=self.detail())
        elif self._enabled and (
            note != self._printed_note
            or (
                self.done != self._printed and time.monotonic() - self._last_line >= LINE_INTERVAL_S
            )
        ):
            self._print_line()

    def advance(self, state: str) -> None:
        self.counts[state] = self.counts.get(state, 0) + 1
        self.done += 1
        if self._progress is not None:
            self._progress.update(self._task, advance=1, detail=self.detail())
        elif self._enabled and time.monotonic() - self._last_line >= LINE_INTERVAL_S:
            self._print_line()

    def _print_line(self) -> None:
        self._last_line = time.monotonic()
        self._printed = self.done
        self._printed_note = self._note
        elapsed = self._last_line - self._started
        print(
            f"{self._label}: {self.done}/{self.total} done ({self.detail()}) {elapsed:.0f}s",
            file=sys.stderr,
            flush=True,
        )
