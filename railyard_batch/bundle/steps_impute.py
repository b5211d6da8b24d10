"""SimpleImputer → ``SimpleImputer`` document (Java: ``steps.SimpleImputer``).

What counts as missing follows scikit-learn exactly (see :mod:`.missing`): with
``missing_values=np.nan`` only NaN is imputed (``None`` in a string column passes
through unchanged); with ``missing_values=None`` only ``None`` is imputed and a NaN makes
scikit-learn raise, so the JVM refuses it too. A fitted statistic may itself be ``None``
(``most_frequent`` on a column where ``None`` is the commonest value); only NaN
statistics mark a feature as empty (dropped).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.impute import SimpleImputer

from .context import ExportContext
from .encoding import encode_array
from .errors import UnsupportedStepError
from .missing import NAN, NONE, missing_kind
from .supported import SUPPORTED_STEPS


def export_simple_imputer(imp: SimpleImputer, path: str, ctx: ExportContext) -> dict[str, Any]:
    """Fill missing values (NaN, or None for ``missing_values=None``) with the fitted statistics."""
    missing = imp.missing_values
    missing_values = missing_kind(missing)
    if missing_values not in (NONE, NAN):
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
    if numeric and missing_values == NONE:
        raise UnsupportedStepError(
            path, "SimpleImputer(missing_values=None) on numbers", SUPPORTED_STEPS
        )
    if numeric:
        kept = np.flatnonzero(~np.isnan(stats.astype(np.float64)))
        if imp.keep_empty_features or imp.strategy == "constant":
            kept = np.arange(stats.shape[0])
        fill: dict[str, Any] | list[Any] = encode_array(stats.astype(np.float64), "float64")
    else:
        kept = np.array([i for i, s in enumerate(stats) if missing_kind(s) != NAN], dtype=np.int64)
        if imp.keep_empty_features or imp.strategy == "constant":
            kept = np.arange(stats.shape[0])
        kept_set = set(kept.tolist())
        if any(not (isinstance(s, str) or s is None) for i, s in enumerate(stats) if i in kept_set):
            raise UnsupportedStepError(
                path, "SimpleImputer with mixed string/number statistics", SUPPORTED_STEPS
            )
        # null: the statistic is None (imputed cells become None); dropped features: null too
        fill = [s if isinstance(s, str) else None for s in stats]
    return {
        "type": "SimpleImputer",
        "kind": "number" if numeric else "string",
        "missing_values": missing_values,
        "strategy": imp.strategy,
        "fill": fill,
        "keep": encode_array(kept.astype(np.int32), "int32"),
    }
