"""``export_and_gate``: export a trained pipeline and prove parity, in one call for the training worker.

    outcome = export_and_gate(pipeline, out_dir, model_name=..., input_schema=train_X,
                              holdout=holdout_X, run_id=run_id)
    run.record("bundle", outcome.to_dict())      # outcome.exportable, outcome.reason

The bundle is exported and scored through the JVM scorer (the gate that decides
``exportable``); ONNX is exported and measured too when the converters accept the
pipeline, and its figures are recorded without deciding anything. The outcome is also
written as ``gate.json`` in the bundle directory (not part of the content hash).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator

from .errors import UnsupportedStepError
from .export import BundleInfo, ColumnType, export_bundle
from .parity import DEFAULT_TOLERANCE, ParityResult, parity_gate


@dataclass(frozen=True)
class GateOutcome:
    """What the run records: where the bundle is, whether it may be exported, and the figures."""

    bundle: BundleInfo | None
    exportable: bool
    reason: str | None
    jvm: ParityResult | None
    onnx: ParityResult | None
    onnx_error: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "bundle_path": str(self.bundle.path) if self.bundle else None,
            "content_hash": self.bundle.content_hash if self.bundle else None,
            "exportable": self.exportable,
            "reason": self.reason,
            "jvm_parity": self.jvm.to_dict() if self.jvm else None,
            "onnx_parity": self.onnx.to_dict() if self.onnx else None,
            "onnx_error": self.onnx_error,
        }


def export_and_gate(
    pipeline: BaseEstimator,
    out_dir: str | Path,
    *,
    model_name: str,
    input_schema: Mapping[str, ColumnType] | pd.DataFrame,
    holdout: pd.DataFrame,
    run_id: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    with_onnx: bool = True,
) -> GateOutcome:
    """Export, gate through the JVM, measure ONNX. Unsupported pipelines are not exportable (no raise).

    Raises :class:`JvmScorerError` when the JVM scorer cannot be built or run: that is
    an environment failure, not a verdict on the model.
    """
    out = Path(out_dir)
    try:
        info = export_bundle(
            pipeline, out, model_name=model_name, input_schema=input_schema, run_id=run_id
        )
    except UnsupportedStepError as err:
        return GateOutcome(None, False, str(err), None, None, None)
    jvm = parity_gate(pipeline, info.path, holdout, tolerance=tolerance)
    onnx, onnx_error = (
        _onnx_figures(pipeline, out, input_schema, holdout, tolerance)
        if with_onnx
        else (None, None)
    )
    outcome = GateOutcome(
        info,
        jvm.passed,
        None if jvm.passed else f"JVM parity gate: {jvm.reason}",
        jvm,
        onnx,
        onnx_error,
    )
    (info.path / "gate.json").write_text(
        json.dumps(outcome.to_dict(), indent=2, sort_keys=True) + "\n"
    )
    return outcome


def _onnx_figures(
    pipeline: BaseEstimator,
    out: Path,
    input_schema: Mapping[str, ColumnType] | pd.DataFrame,
    holdout: pd.DataFrame,
    tolerance: float,
) -> tuple[ParityResult | None, str | None]:
    try:
        from .onnx_export import export_onnx, onnx_parity_gate
    except ImportError as err:  # skl2onnx / onnxmltools / onnxruntime not installed
        return None, f"ONNX tools not installed: {err}"
    try:
        path = export_onnx(pipeline, out.parent / f"{out.name}.onnx", input_schema=input_schema)
    except UnsupportedStepError as err:
        return None, str(err)
    return onnx_parity_gate(
        pipeline, path, holdout, input_schema=input_schema, tolerance=tolerance
    ), None
