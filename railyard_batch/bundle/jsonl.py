"""Frames as JSON lines, the input format shared by the vectors and the JVM scorer CLI."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd


def frame_to_jsonl(frame: pd.DataFrame) -> str:
    """One JSON object per row; NaN/None become null, floats keep their exact repr."""
    lines = []
    for record in frame.to_dict(orient="records"):
        clean = {str(k): _json_cell(v) for k, v in record.items()}
        lines.append(json.dumps(clean, allow_nan=False))
    return "\n".join(lines) + "\n"


def _json_cell(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v
