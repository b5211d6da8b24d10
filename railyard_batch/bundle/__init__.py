"""Model bundles a JVM service scores with exactly Python's numbers (issue 6).

    outcome = export_and_gate(pipeline, "out/fraud_v3.bundle", model_name="fraud_v3",
                              input_schema=train_frame, holdout=holdout_frame, run_id=run_id)
    record(outcome.to_dict())     # outcome.exportable, outcome.reason, JVM and ONNX figures

or step by step:

    info = export_bundle(pipeline, out_dir, model_name=..., input_schema=train_frame)
    result = parity_gate(pipeline, info.path, holdout_frame)   # scores through jvm/ (java -jar)
    manifest = verify_bundle(info.path)   # refuses any edited manifest field or document

The bundle format is described in docs/bundle-format.md; the JVM library lives in jvm/.
"""

from __future__ import annotations

from .errors import BundleError, BundleIntegrityError, JvmScorerError, UnsupportedStepError
from .export import BundleInfo, export_bundle
from .gate import GateOutcome, export_and_gate
from .parity import ParityResult, parity_gate
from .python_scores import python_scores
from .seal import verify_bundle
from .supported import SUPPORTED_STEPS

__all__ = [
    "SUPPORTED_STEPS",
    "BundleError",
    "BundleInfo",
    "BundleIntegrityError",
    "GateOutcome",
    "JvmScorerError",
    "ParityResult",
    "UnsupportedStepError",
    "export_and_gate",
    "export_bundle",
    "parity_gate",
    "python_scores",
    "verify_bundle",
]
