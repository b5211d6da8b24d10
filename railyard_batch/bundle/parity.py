"""The parity gate: score a holdout in Python and through an exported route, compare.

Pass criteria (issue 6): every row scored, 100% label agreement and max |diff| ≤
``tolerance`` (1e-9). ``bit_exact_rows`` tells how many rows matched bit for bit.
A row scikit-learn refuses (its input validation raises) must be refused by the route
too (the JVM's ``RefusedInputException``), and no other row may be (issue 17).
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
from .python_scores import python_outcomes

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
    failed_rows: int  # rows the route could not score (refusals Python shares excluded)
    tolerance: float
    reason: str | None  # why it failed; None when passed
    refused_rows: int = 0  # rows refused on both sides, as they should be

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
    py_refused: Sequence[str | None] | None = None,
) -> ParityResult:
    """Compare another route's labels and scores (None: row failed) with Python's.

    ``py_refused[i]`` is scikit-learn's message for a row it refuses; the route must have
    failed that row with ``RefusedInputException`` (in ``errors``), and only those.
    """
    n = py_scores.shape[0]
    if len(scores) != n:
        return ParityResult(
            route, False, n, None, math.inf, 0, n, tolerance, f"{len(scores)} outputs for {n} rows"
        )
    refused_py = [i for i in range(n) if py_refused is not None and py_refused[i] is not None]
    refused_both = [
        i for i in refused_py if scores[i] is None and errors is not None and _is_refusal(errors[i])
    ]
    scored_anyway = [i for i in refused_py if scores[i] is not None]
    shared = set(refused_both)
    failed = [i for i, s in enumerate(scores) if s is None and i not in shared]
    max_diff = 0.0
    exact = len(shared)  # refused on both sides: the same outcome
    for i, s in enumerate(scores):
        if s is None or i in refused_py:
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
            1
            for i in range(n)
            if i in shared or (scores[i] is not None and _same_label(py_labels[i], labels[i]))
        )
        agreement = agree / n if n else 1.0
    reasons = []
    if scored_anyway:
        reasons.append(
            f"{len(scored_anyway)} rows scored that scikit-learn refuses (first: row "
            f"{scored_anyway[0]}: {py_refused[scored_anyway[0]] if py_refused else None})"
        )
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
        len(refused_both),
    )


def _is_refusal(error: str | None) -> bool:
    return error is not None and error.startswith("RefusedInputException")


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
    py_labels, py_scores, py_refused = python_outcomes(pipeline, holdout)
    return jvm_gate(
        "jvm-bundle",
        bundle_dir,
        holdout,
        py_labels,
        py_scores,
        py_refused=py_refused,
        tolerance=tolerance,
        jar=jar,
    )


def jvm_gate(
    route: str,
    bundle_dir: str | Path,
    frame: pd.DataFrame,
    py_labels: Sequence[Any] | None,
    py_scores: np.ndarray,
    *,
    py_refused: Sequence[str | None] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    jar: Path | None = None,
) -> ParityResult:
    """Score ``frame`` with the bundle (of either kind) through the JVM scorer CLI and
    :func:`compare` with what Python scored for it."""
    with tempfile.TemporaryDirectory(prefix="railyard-parity-") as tmp:
        src = Path(tmp) / "rows.jsonl"
        src.write_text(frame_to_jsonl(frame) if len(frame) else "")
        rows = run_scorer(Path(bundle_dir), src, Path(tmp) / "scores.jsonl", jar=jar)
    return compare(
        route,
        py_labels,
        py_scores,
        [r.label for r in rows] if py_labels is not None else None,
        [r.scores for r in rows],
        tolerance=tolerance,
        errors=[r.error for r in rows],
        py_refused=py_refused,
    )
