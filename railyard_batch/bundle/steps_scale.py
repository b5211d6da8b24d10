"""StandardScaler and MinMaxScaler → documents (Java: ``steps.StandardScaler``, ``steps.MinMaxScaler``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from .context import ExportContext
from .encoding import encode_array


def export_standard_scaler(sc: StandardScaler, path: str, ctx: ExportContext) -> dict[str, Any]:
    """``x = (x - mean) / scale`` in float64, each part optional, as sklearn does it."""
    return {
        "type": "StandardScaler",
        "mean": None if sc.mean_ is None or not sc.with_mean else encode_array(sc.mean_, "float64"),
        "scale": None if sc.scale_ is None else encode_array(sc.scale_, "float64"),
    }


def export_min_max_scaler(sc: MinMaxScaler, path: str, ctx: ExportContext) -> dict[str, Any]:
    """``x = x * scale + min`` in float64 (two roundings, no fused multiply-add), then clip."""
    low, high = sc.feature_range
    return {
        "type": "MinMaxScaler",
        "scale": encode_array(np.asarray(sc.scale_, dtype=np.float64), "float64"),
        "min": encode_array(np.asarray(sc.min_, dtype=np.float64), "float64"),
        "clip": encode_array([low, high], "float64") if sc.clip else None,
    }
