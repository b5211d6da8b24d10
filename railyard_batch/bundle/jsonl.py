"""Frames as JSON lines, the input format shared by the vectors and the JVM scorer CLI.

Missing values follow :mod:`.missing`: in a number column every missing value (NaN,
None, pd.NA) is written as ``null``; in a string column ``None`` is ``null`` and NaN is
the token ``NaN`` (Java reads it as ``Double.NaN``), because scikit-learn treats the two
differently. ``pd.NA`` / ``NaT`` in a string column raise: scikit-learn refuses them.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from .missing import NAN, NONE, missing_kind


def frame_to_jsonl(frame: pd.DataFrame) -> str:
    """One JSON object per row; floats keep their exact repr."""
    numeric = {
        str(c): bool(
            pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
        )
        for c in frame.columns
    }
    lines = []
    for record in frame.to_dict(orient="records"):
        clean = {str(k): _json_cell(v, numeric[str(k)], str(k)) for k, v in record.items()}
        lines.append(json.dumps(clean, allow_nan=True))
    return "\n".join(lines) + "\n"


def _json_cell(v: Any, number_column: bool, column: str) -> Any:
    kind = missing_kind(v)
    if kind is not None:
        if number_column:
            return None
        if kind == NONE:
            return None
        if kind == NAN:
            return float("nan")
        raise ValueError(
            f"Column {column!r} holds {v!r}: scikit-learn refuses pd.NA/NaT in string "
            "columns; use None or NaN."
        )
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v
