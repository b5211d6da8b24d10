"""Cron schedules and time zones of scheduled sweeps (``hydra.launcher.schedule``,
``hydra.launcher.time_zone``), checked as the API server's CronJob validation does, before
anything is planned or recorded. Imports nothing of the launcher: the settings check with it."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from railyard_batch.errors import ConfigError

MACROS = ("@daily", "@hourly", "@monthly", "@weekly", "@yearly")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
# minute, hour, day of month, month, day of week: the bounds the API server's parser allows.
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _DAYS),
)


def check_schedule(schedule: str | None, time_zone: str) -> None:
    """Raise a ConfigError naming the key when the schedule or the time zone is not allowed."""
    problem = cron_problem(str(schedule))
    if problem:
        raise ConfigError(
            "The 'hydra.launcher.schedule' parameter must be a cron expression of 5 fields "
            "(minute hour day-of-month month day-of-week, e.g. '0 3 * * 1') or one of "
            f"{{{', '.join(repr(m) for m in MACROS)}}}. Got {schedule!r}: {problem}."
        )
    if time_zone not in _time_zones():
        raise ConfigError(
            "The 'hydra.launcher.time_zone' parameter must be an IANA time zone such as "
            f"'Etc/UTC' or 'Europe/Berlin'. Got {time_zone!r}."
        )


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - {"Local", "localtime"})


def cron_problem(text: str) -> str | None:
    """What is wrong with a schedule, or None when the API server will accept it."""
    if text.startswith("@"):
        return None if text in MACROS else "not a known @ macro"
    fields = text.split()
    if len(fields) != len(_FIELDS):
        return f"{len(fields)} fields"
    for field, (what, low, high, names) in zip(fields, _FIELDS, strict=True):
        for part in field.split(","):
            if not _part_ok(part, low, high, names):
                return f"{what} {part!r} is not a value, range or step within {low}-{high}"
    return None


def _part_ok(part: str, low: int, high: int, names: dict[str, int]) -> bool:
    span, slash, step = part.partition("/")
    if slash and not (step.isdigit() and int(step) > 0):
        return False
    if span in ("*", "?"):
        return True
    first, dash, last = span.partition("-")
    start = _value(first, names)
    end = _value(last, names) if dash else start
    return start is not None and end is not None and low <= start <= end <= high


def _value(text: str, names: dict[str, int]) -> int | None:
    if text.isascii() and text.isdigit():
        return int(text)
    return names.get(text.upper())
