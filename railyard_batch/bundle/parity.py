"""The parity gate: score a holdout in Python and through an exported route, compare.

Pass criteria (issue 6): every row scored, 100% label agreement and max |diff| ≤
``tolerance`` (1e-9). ``bit_exact_rows`` tells how many rows matched bit for bit.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .jsonl import frame_to_jsonl
from .jvm_scorer import run_scorer
from .python_scores import python_scores_quiet

DEFAULT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ParityResult:
    """Outcome of one parity gate; ``to_dict()`` is what the run records."""

    route: str  # "jvm-bundle" or "onnx"
    passed: bool
    n_rows: int
    label_agreement: float | None  # fraction; None for regressors/transformers
    max_abs_diff: float
    bit_exact_rows: int
    failed_rows: int  # rows the route could not score
    tolerance: float
    reason: str | None  # why it failed; None when passed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(
    route: str,
    py_labels: Sequence[Any] | None,
    py_scores: np.ndarray,
    labels: Sequence[Any] | None,
    scores: Sequence[Sequence[float] | None],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    errors: Sequence[str | None] | None = None,
) -> ParityResult:
    """Compare another route's labels and scores (None: row failed) with Python's."""
    n = py_scores.shape[0]
    if len(scores) != n:
        return ParityResult(
            route, False, n, None, math.inf, 0, n, tolerance, f"{len(scores)} outputs for {n} rows"
        )
    failed = [i for i, s in enumerate(scores) if s is None]
    max_diff = 0.0
    exact = 0
    for i, s in enumerate(scores):
        if s is None:
            continue
        got = np.asarray(s, dtype=np.float64)
        want = py_scores[i]
        if got.shape != want.shape:
            return ParityResult(
                route,
                False,
                n,
                None,
                math.inf,
                0,
                len(failed),
                tolerance,
                f"row {i}: {got.shape[0]} scores, Python has {want.shape[0]}",
            )
        same = got.view(np.uint64) == want.view(np.uint64)
        exact += bool(same.all())
        with np.errstate(invalid="ignore"):
            diff = np.where(same, 0.0, np.abs(got - want))
        diff = np.where(np.isnan(diff), math.inf, diff)
        max_diff = max(max_diff, float(diff.max(initial=0.0)))
    agreement = None
    if py_labels is not None and labels is not None:
        agree = sum(
            1 for i in range(n) if scores[i] is not None and _same_label(py_labels[i], labels[i])
        )
        agreement = agree / n if n else 1.0
    reasons = []
    if failed:
        first = errors[failed[0]] if errors else None
        reasons.append(f"{len(failed)} rows not scored (first: row {failed[0]}: {first})")
    if agreement is not None and agreement < 1.0:
        reasons.append(f"label agreement {agreement:.6f} < 1")
    if max_diff > tolerance:
        reasons.append(f"max |diff| {max_diff:.3g} > {tolerance:g}")
    return ParityResult(
        route,
        not reasons,
        n,
        agreement,
        max_diff,
        exact,
        len(failed),
        tolerance,
        "; ".join(reasons) or None,
    )


def _same_label(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)):
        return float(a) == float(b)
    return str(a) == str(b)


def parity_gate(
    pipeline: BaseEstimator,
    bundle_dir: str | Path,
    holdout: pd.DataFrame,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    jar: Path | None = None,
) -> ParityResult:
    """Score ``holdout`` with ``pipeline`` in Python and with the bundle through the JVM scorer CLI.

    Builds the scorer jar when needed (Maven); raises :class:`JvmScorerError` if the JVM
    cannot be built or run, which is a failure of the environment, not of the model.
    """
    py_labels, py_scores = python_scores_quiet(pipeline, holdout)
    with tempfile.TemporaryDirectory(prefix="railyard-parity-") as tmp:
        src = Path(tmp) / "holdout.jsonl"
        src.write_text(frame_to_jsonl(holdout))
        rows = run_scorer(Path(bundle_dir), src, Path(tmp) / "scores.jsonl", jar=jar)
    return compare(
        "jvm-bundle",
        py_labels,
        py_scores,
        [r.label for r in rows] if py_labels is not None else None,
        [r.scores for r in rows],
        tolerance=tolerance,
        errors=[r.error for r in rows],
    )
