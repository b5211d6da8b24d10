"""Missing values, defined once for the bundle format (docs/bundle-format.md, "Missing values").

scikit-learn keeps Python's ``None`` and ``float('nan')`` apart in object (string)
columns: ``SimpleImputer(missing_values=np.nan)`` imputes NaN and passes ``None``
through, ``SimpleImputer(missing_values=None)`` imputes ``None`` and refuses NaN,
``OneHotEncoder`` learns ``None`` and NaN as two categories, and ``OrdinalEncoder``
gives ``None`` an ordinal index while only NaN becomes ``encoded_missing_value``. In
number columns every missing value is NaN. ``pd.NA`` and ``NaT`` in a string column make
scikit-learn raise (TypeError), so no fitted pipeline has seen them.

The bundle therefore carries the two kinds unchanged: in a string column JSON ``null``
(Java ``null``) is Python's ``None`` and the JSON token ``NaN`` (Java ``Double.NaN``) is
``float('nan')``; in a number column both are NaN.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

NONE = "None"
NAN = "NaN"
# JVM/JSON value -> the Python value scikit-learn receives, per column type
POLICY: dict[str, dict[str, str]] = {
    "number": {"null": NAN, "NaN": NAN},
    "string": {"null": NONE, "NaN": NAN},
}


def missing_kind(value: Any) -> str | None:
    """``"None"``, ``"NaN"``, ``"NA"`` (pd.NA / NaT), or None when ``value`` is not missing."""
    if value is None:
        return NONE
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return NAN
    if value is pd.NA or value is pd.NaT:
        return "NA"
    return None


def seen_kinds(column: pd.Series) -> list[str]:
    """The kinds of missing values present in a training column, as scikit-learn receives them."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return [NAN] if bool(column.isna().any()) else []
    kinds = {missing_kind(v) for v in column.to_numpy(dtype=object)}
    return [k for k in (NONE, NAN, "NA") if k in kinds]
