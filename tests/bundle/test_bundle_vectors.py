"""The committed test vectors under jvm/src/test/resources/vectors are what the generator writes now."""

from __future__ import annotations

import base64
import json
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np

from railyard_batch.bundle.vectors import generate_vectors

COMMITTED = Path(__file__).resolve().parents[2] / "jvm" / "src" / "test" / "resources" / "vectors"


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


# Fitted parameters (an lbfgs fit, through BLAS) differ in their last bits from one CPU to
# another (seen: 5e-9 relative on a small coefficient of a multiclass fit); so do the scores
# computed from them and the hashes over them. An array compares within RTOL of its largest
# magnitude, a score within RTOL of itself; everything else (keys, shapes, dtypes, labels,
# inputs) exactly.
RTOL = 1e-8
_HEX64 = re.compile(r"^(sha256:)?[0-9a-f]{64}$")


def _floats(node: dict[str, Any]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(node["b64"]), dtype=node["dtype"])


def _close(old: Any, new: Any, where: str) -> list[str]:
    """Where ``new`` differs from ``old`` beyond float rounding (see RTOL)."""
    if isinstance(old, dict) and isinstance(new, dict):
        if sorted(old) != sorted(new):
            return [f"{where}: keys {sorted(old)} != {sorted(new)}"]
        if "b64" in old and "dtype" in old and str(old["dtype"]).startswith("float"):
            a, b = _floats(old), _floats(new)
            ok = old["dtype"] == new["dtype"] and a.shape == b.shape
            scale = float(np.abs(a).max()) if a.size else 0.0
            close = ok and np.allclose(a, b, rtol=0, atol=RTOL * scale)
            return [] if close else [f"{where}: arrays"]
        return [d for k in old for d in _close(old[k], new[k], f"{where}/{k}")]
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{where}: {len(old)} != {len(new)} items"]
        if where.endswith("scores_bits"):
            a = np.array([struct.unpack(">d", bytes.fromhex(h))[0] for h in old])
            b = np.array([struct.unpack(">d", bytes.fromhex(h))[0] for h in new])
            return [] if np.allclose(a, b, rtol=RTOL, atol=0) else [f"{where}: scores"]
        return [
            d
            for i, (x, y) in enumerate(zip(old, new, strict=True))
            for d in _close(x, y, f"{where}/{i}")
        ]
    if isinstance(old, str) and isinstance(new, str) and _HEX64.match(old) and _HEX64.match(new):
        return []  # a hash over content that is compared itself
    if isinstance(old, float) and isinstance(new, float):
        return [] if np.isclose(old, new, rtol=RTOL, atol=0) else [f"{where}: {old} != {new}"]
    return [] if old == new else [f"{where}: {old!r} != {new!r}"]


def _differences(name: str, old: bytes, new: bytes) -> list[str]:
    if old == new:
        return []
    if name.endswith(".json"):
        return _close(json.loads(old), json.loads(new), name)
    if name.endswith(".jsonl"):
        a, b = old.decode().splitlines(), new.decode().splitlines()
        if len(a) != len(b):
            return [f"{name}: {len(a)} != {len(b)} lines"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _close(json.loads(x), json.loads(y), f"{name}:{i + 1}")
        ]
    return [f"{name}: bytes differ"]


def test_regenerating_vectors_gives_the_committed_files(tmp_path: Path) -> None:
    generate_vectors(tmp_path / "vectors")
    fresh = _files(tmp_path / "vectors")
    committed = _files(COMMITTED)
    assert sorted(fresh) == sorted(committed), (
        "case files differ; regenerate with python -m railyard_batch.bundle.vectors"
    )
    changed = [d for name in fresh for d in _differences(name, committed[name], fresh[name])]
    assert not changed, (
        f"{len(changed)} differences from the committed vectors (first: {changed[:3]}); "
        "regenerate: python -m railyard_batch.bundle.vectors jvm/src/test/resources/vectors"
    )


def test_the_vector_comparison_tolerates_rounding_only() -> None:
    """The tolerance above forgives the last bits of a fit, not a changed model."""
    coef = np.array([0.25, -1.5, 3.0])
    node = {"dtype": "float64", "b64": base64.b64encode(coef.tobytes()).decode()}
    nudged = {**node, "b64": base64.b64encode((coef * (1 + 1e-14)).tobytes()).decode()}
    changed = {**node, "b64": base64.b64encode((coef * (1 + 1e-6)).tobytes()).decode()}
    assert _close(node, nudged, "coef") == []
    assert _close(node, changed, "coef") == ["coef: arrays"]
    assert _close({"label": 0}, {"label": 1}, "row") == ["row/label: 0 != 1"]
    bits = [struct.pack(">d", 0.75).hex()]
    assert _close({"scores_bits": bits}, {"scores_bits": [struct.pack(">d", 0.7500001).hex()]}, "r")


def test_committed_libm_expf_vectors_match_this_libm() -> None:
    from railyard_batch.bundle.vectors import libm_expf_lines

    assert (COMMITTED.parent / "libm_expf.tsv").read_text() == libm_expf_lines()


def test_committed_libm_exp_vectors_match_this_libm() -> None:
    from railyard_batch.bundle.vectors import libm_exp_lines

    assert (COMMITTED.parent / "libm_exp.tsv").read_text() == libm_exp_lines()
