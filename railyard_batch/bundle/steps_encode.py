"""OneHotEncoder and OrdinalEncoder → documents (Java: ``steps.OneHotEncoder``, ``steps.OrdinalEncoder``).

Per input feature a document lists the fitted categories (strings, or float64 numbers
encoded losslessly), the indices of ``None`` and of NaN when they are categories
(scikit-learn keeps them apart and lists them last, ``None`` first), and for
the one-hot encoder the output column of every category (after infrequent grouping and
``drop``), the column unknown values go to, and the feature's output width.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

from .context import ExportContext
from .encoding import encode_array
from .errors import UnsupportedStepError
from .missing import NAN, NONE, missing_kind
from .supported import SUPPORTED_STEPS


def _categories_doc(cats: np.ndarray, path: str) -> dict[str, Any]:
    values = list(cats)
    missing: dict[str, int | None] = {NONE: None, NAN: None}
    while values and (kind := missing_kind(values[-1])) in (NONE, NAN):
        assert kind is not None
        if missing[kind] is not None:  # pragma: no cover - sklearn lists each once
            raise UnsupportedStepError(path, "duplicate missing categories", SUPPORTED_STEPS)
        missing[kind] = len(values) - 1
        values.pop()
    if all(isinstance(v, str) for v in values):
        return {"kind": "string", "values": values, "missing": missing}
    if missing[NONE] is None and (
        cats.dtype.kind in "fiub" or all(isinstance(v, (int, float, np.number)) for v in values)
    ):
        numbers = np.asarray(values, dtype=np.float64)
        return {
            "kind": "number",
            "values": encode_array(numbers, "float64"),
            "missing": missing,
        }
    raise UnsupportedStepError(path, "categories mixing strings and numbers", SUPPORTED_STEPS)


def export_one_hot_encoder(enc: OneHotEncoder, path: str, ctx: ExportContext) -> dict[str, Any]:
    """One output block per feature; unknown values follow ``handle_unknown``."""
    features = []
    infrequent = getattr(enc, "infrequent_categories_", None) if enc._infrequent_enabled else None
    for i, cats in enumerate(enc.categories_):
        columns, width, infrequent_column = _one_hot_columns(enc, i, cats, infrequent)
        features.append(
            {
                "categories": _categories_doc(cats, path),
                "columns": encode_array(np.asarray(columns, dtype=np.int32), "int32"),
                "width": width,
                "infrequent_column": infrequent_column,
            }
        )
    return {
        "type": "OneHotEncoder",
        "handle_unknown": enc.handle_unknown,
        "sparse_output": bool(enc.sparse_output),
        "features": features,
    }


def _one_hot_columns(
    enc: OneHotEncoder, i: int, cats: np.ndarray, infrequent: list[Any] | None
) -> tuple[list[int], int, int]:
    """Output column of each category of feature ``i`` (-1: all zeros), width, infrequent column."""
    n = len(cats)
    grouped = list(range(n))
    width = n
    infrequent_column = -1
    if infrequent is not None and infrequent[i] is not None:
        infreq = {_key(v) for v in infrequent[i]}
        frequent = [j for j in range(n) if _key(cats[j]) not in infreq]
        width = len(frequent) + 1
        infrequent_column = len(frequent)
        grouped = [frequent.index(j) if j in frequent else infrequent_column for j in range(n)]
    drop_idx = enc.drop_idx_[i] if enc.drop_idx_ is not None else None
    if drop_idx is None:
        return grouped, width, infrequent_column
    dropped = grouped[int(drop_idx)]
    columns = [-1 if g == dropped else (g - 1 if g > dropped else g) for g in grouped]
    if infrequent_column >= 0:
        infrequent_column = (
            -1
            if infrequent_column == dropped
            else (infrequent_column - 1 if infrequent_column > dropped else infrequent_column)
        )
    return columns, width - 1, infrequent_column


def export_ordinal_encoder(enc: OrdinalEncoder, path: str, ctx: ExportContext) -> dict[str, Any]:
    """Category → its index as float64; unknown → ``unknown_value``; missing → ``encoded_missing_value``."""
    if getattr(enc, "_infrequent_enabled", False):
        raise UnsupportedStepError(
            path, "OrdinalEncoder with min_frequency/max_categories", SUPPORTED_STEPS
        )
    unknown = enc.unknown_value if enc.handle_unknown == "use_encoded_value" else None
    return {
        "type": "OrdinalEncoder",
        "handle_unknown": enc.handle_unknown,
        "unknown_value": None if unknown is None else encode_array([float(unknown)], "float64"),
        "encoded_missing_value": encode_array([float(enc.encoded_missing_value)], "float64"),
        "features": [{"categories": _categories_doc(c, path)} for c in enc.categories_],
    }


def _key(value: Any) -> Any:
    kind = missing_kind(value)
    return ("\0missing", kind) if kind is not None else value
