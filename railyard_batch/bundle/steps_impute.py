"""SimpleImputer → ``SimpleImputer`` document (Java: ``steps.SimpleImputer``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.impute import SimpleImputer

from .context import ExportContext
from .encoding import encode_array
from .errors import UnsupportedStepError
from .supported import SUPPORTED_STEPS


def export_simple_imputer(imp: SimpleImputer, path: str, ctx: ExportContext) -> dict[str, Any]:
    """Fill missing values (NaN / None) with the fitted statistics."""
    missing = imp.missing_values
    if not (missing is None or (isinstance(missing, float) and np.isnan(missing))):
        raise UnsupportedStepError(
            path, f"SimpleImputer(missing_values={missing!r}); only NaN/None", SUPPORTED_STEPS
        )
    if imp.add_indicator:
        raise UnsupportedStepError(path, "SimpleImputer(add_indicator=True)", SUPPORTED_STEPS)
    stats = imp.statistics_
    # strategy="constant" keeps an object array even for a numeric fill_value
    numeric = stats.dtype.kind in "fiub" or all(
        isinstance(s, (int, float, np.number)) and not isinstance(s, bool) for s in stats
    )
    if numeric:
        kept = np.flatnonzero(~np.isnan(stats.astype(np.float64)))
        if imp.keep_empty_features or imp.strategy == "constant":
            kept = np.arange(stats.shape[0])
        fill: dict[str, Any] | list[Any] = encode_array(stats.astype(np.float64), "float64")
    else:
        kept = np.array([i for i, s in enumerate(stats) if not _is_missing(s)], dtype=np.int64)
        if imp.keep_empty_features or imp.strategy == "constant":
            kept = np.arange(stats.shape[0])
        if any(not isinstance(s, str) for i, s in enumerate(stats) if i in set(kept.tolist())):
            raise UnsupportedStepError(
                path, "SimpleImputer with mixed string/number statistics", SUPPORTED_STEPS
            )
        fill = [None if _is_missing(s) else str(s) for s in stats]
    return {
        "type": "SimpleImputer",
        "kind": "number" if numeric else "string",
        "strategy": imp.strategy,
        "fill": fill,
        "keep": encode_array(kept.astype(np.int32), "int32"),
    }


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and bool(np.isnan(value)))
