"""A minimal UBJSON decoder for the documents XGBoost writes with ``save_raw("ubj")``.

XGBoost's JSON dump prints float32 values as decimals; reading them back through a
float64 parse can change split values (dmlc/xgboost#10056). UBJSON carries the raw
big-endian IEEE-754 bytes, so thresholds and leaf values come out bit-exact.
Typed arrays of float32 (``[$d#``) decode to ``numpy.float32`` arrays.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

_INT_FORMATS = {"i": ">b", "U": ">B", "I": ">h", "l": ">i", "L": ">q"}
_FLOAT_FORMATS = {"d": ">f4", "D": ">f8"}
_NUMPY_TYPES = {"i": ">i1", "U": ">u1", "I": ">i2", "l": ">i4", "L": ">i8", "d": ">f4", "D": ">f8"}


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        if len(chunk) != n:
            raise ValueError(f"Truncated UBJSON document at byte {self.pos}.")
        self.pos += n
        return chunk

    def _marker(self) -> str:
        marker = chr(self._take(1)[0])
        while marker == "N":
            marker = chr(self._take(1)[0])
        return marker

    def _int(self, marker: str) -> int:
        fmt = _INT_FORMATS.get(marker)
        if fmt is None:
            raise ValueError(f"Expected a UBJSON integer marker, got {marker!r}.")
        return int(struct.unpack(fmt, self._take(struct.calcsize(fmt)))[0])

    def _string(self) -> str:
        length = self._int(self._marker())
        return self._take(length).decode("utf-8")

    def value(self, marker: str | None = None) -> Any:
        marker = marker or self._marker()
        if marker in _INT_FORMATS:
            return self._int(marker)
        if marker in _FLOAT_FORMATS:
            return np.frombuffer(
                self._take((int(marker == "d") and 4) or 8), _FLOAT_FORMATS[marker]
            )[0]
        if marker == "S" or marker == "H":
            return self._string()
        if marker == "C":
            return self._take(1).decode("ascii")
        if marker == "Z":
            return None
        if marker == "T":
            return True
        if marker == "F":
            return False
        if marker == "[":
            return self._array()
        if marker == "{":
            return self._object()
        raise ValueError(f"Unknown UBJSON marker {marker!r} at byte {self.pos - 1}.")

    def _container_header(self) -> tuple[str | None, int | None]:
        elem_type: str | None = None
        count: int | None = None
        nxt = chr(self.data[self.pos])
        if nxt == "$":
            self.pos += 1
            elem_type = chr(self._take(1)[0])
            nxt = chr(self.data[self.pos])
        if nxt == "#":
            self.pos += 1
            count = self._int(self._marker())
        return elem_type, count

    def _array(self) -> Any:
        elem_type, count = self._container_header()
        if count is not None:
            if elem_type in _NUMPY_TYPES:
                dtype = np.dtype(_NUMPY_TYPES[elem_type])
                raw = self._take(count * dtype.itemsize)
                return np.frombuffer(raw, dtype).astype(dtype.newbyteorder("="))
            return [self.value(elem_type) for _ in range(count)]
        items = []
        while chr(self.data[self.pos]) != "]":
            items.append(self.value())
        self.pos += 1
        return items

    def _object(self) -> dict[str, Any]:
        elem_type, count = self._container_header()
        result: dict[str, Any] = {}
        if count is not None:
            for _ in range(count):
                key = self._string()
                result[key] = self.value(elem_type)
            return result
        while chr(self.data[self.pos]) != "}":
            key = self._string()
            result[key] = self.value()
        self.pos += 1
        return result


def loads(data: bytes | bytearray) -> Any:
    """Decode one UBJSON document."""
    return _Reader(bytes(data)).value()
