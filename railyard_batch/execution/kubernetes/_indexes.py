"""The index sets of an Indexed Job's status (``completedIndexes: "0-3,7"``)."""

from __future__ import annotations


def parse_indexes(text: str | None) -> set[int]:
    out: set[int] = set()
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            low, high = part.split("-", 1)
            out.update(range(int(low), int(high) + 1))
        else:
            out.add(int(part))
    return out
