"""Member keys: the internal name of each member, separate from the fan-out value it trains on.

A fan-out value is data (a merchant id from the dataset) and can be anything: any length,
path separators, dots, control characters, unicode, empty, or a name the platform uses
itself. A member key is what goes into artifact paths, member ids, log sections and Kubernetes
labels, so it is always safe, bounded and unique within a run:

- a value that is already a plain name (``m001``, ``42``: lowercase letters, digits, ``_`` and
  single ``-``, at most :data:`MAX_PLAIN` characters) is its own key, so ordinary ids stay
  readable;
- any other value gets a sanitised readable prefix, ``--`` and a hash of the value
  (``acme_corp--3f9a0c12e4b7``). Plain keys never contain ``--``, so the two kinds never meet;
- two values with the same text but different types (``1`` and ``"1"`` in one column) are both
  hashed, with the type in the hash.

The raw value stays with the member as data (in the plan and in the run store) and is what
users see.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

from railyard_batch.errors import DataError

GLOBAL_KEY = "__global__"
MAX_PLAIN = 40
PREFIX_CHARS = 24
HASH_CHARS = 12
# Longest key: prefix, "--", hash.
MAX_KEY = max(MAX_PLAIN, PREFIX_CHARS + 2 + HASH_CHARS)

_PLAIN = re.compile(r"[a-z0-9](?:[a-z0-9_]|-(?!-))*")
_UNSAFE = re.compile(r"[^a-z0-9]+")
# JSON-native scalars only: a value goes into the plan (JSON) and the row filter of the reader.
_VALUE_TYPES = (str, int, float, bool)


def is_plain(text: str) -> bool:
    return len(text) <= MAX_PLAIN and _PLAIN.fullmatch(text) is not None


def value_token(value: Any) -> str:
    """The value with its type, as text: what a member's hash and content key are made of."""
    return json.dumps([type(value).__name__, value], ensure_ascii=True, allow_nan=True)


def hashed_key(value: Any) -> str:
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().lower()
    prefix = _UNSAFE.sub("_", text).strip("_")[:PREFIX_CHARS].strip("_") or "value"
    digest = hashlib.sha256(value_token(value).encode()).hexdigest()[:HASH_CHARS]
    return f"{prefix}--{digest}"


def member_keys(values: Sequence[Any], *, column: str = "fanout.by") -> list[str]:
    """One safe, unique key per fan-out value (see the module docstring)."""
    for value in values:
        if not isinstance(value, _VALUE_TYPES):
            raise DataError(
                f"The fan-out column ('fanout.by'={column!r}) must hold strings, integers or "
                f"booleans; got a {type(value).__name__} value {str(value)[:40]!r}."
            )
    texts = Counter(str(v) for v in values)
    keys = [str(v) if is_plain(str(v)) and texts[str(v)] == 1 else hashed_key(v) for v in values]
    if len(set(keys)) != len(keys):  # two values with one type and one text: cannot tell apart
        seen = Counter(keys)
        dup = next(v for v, k in zip(values, keys, strict=True) if seen[k] > 1)
        raise DataError(
            f"The fan-out column ('fanout.by'={column!r}) holds two values that cannot be told "
            f"apart: {str(dup)[:40]!r}."
        )
    return keys
