"""Lossless encodings of numbers in bundle documents.

Every floating-point array is written as ``{"dtype": "float64"|"float32", "b64": ...}``:
the base64 of the values' little-endian IEEE-754 bytes. Integer arrays use dtype
``int32`` the same way. Decoding gives back the exact bit patterns, which a decimal
text round trip does not promise (dmlc/xgboost#10056).
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

_DTYPES = {"float64": "<f8", "float32": "<f4", "int32": "<i4"}


def encode_array(values: ArrayLike, dtype: str) -> dict[str, Any]:
    """Encode a 1-d array as dtype + base64 of its little-endian bytes."""
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be one of {sorted(_DTYPES)}. Got {dtype!r}.")
    arr = np.asarray(values)
    if dtype.startswith("float") and arr.dtype.kind not in "fiub":
        raise ValueError(f"Cannot encode an array of dtype {arr.dtype} as {dtype}.")
    if dtype == "float32" and arr.dtype != np.float32:
        raise ValueError("float32 arrays must already be float32 (no silent rounding).")
    if dtype == "int32" and arr.size and (arr.min() < -(2**31) or arr.max() >= 2**31):
        raise ValueError("Integer values out of the int32 range.")
    data = np.ascontiguousarray(arr.ravel(), dtype=_DTYPES[dtype]).tobytes()
    return {"dtype": dtype, "b64": base64.b64encode(data).decode("ascii")}


def decode_array(doc: dict[str, Any]) -> np.ndarray:
    """Inverse of :func:`encode_array`."""
    raw = base64.b64decode(doc["b64"])
    return np.frombuffer(raw, dtype=_DTYPES[doc["dtype"]]).astype(doc["dtype"])
