"""Model bundles a JVM service scores with exactly Python's numbers (issue 6).

    info = export_bundle(pipeline, "out/fraud_v3.bundle", model_name="fraud_v3",
                         input_schema=train_frame, run_id=run_id)
    result = parity_gate(pipeline, info.path, holdout_frame)   # scores through jvm/ (java -jar)
    record(result.to_dict()); exportable = result.passed        # result.reason says why not

The bundle format is described in docs/bundle-format.md; the JVM library lives in jvm/.
"""

from __future__ import annotations

from .errors import BundleError, JvmScorerError, UnsupportedStepError
from .export import BundleInfo, export_bundle
from .parity import ParityResult, parity_gate
from .python_scores import python_scores
from .supported import SUPPORTED_STEPS

__all__ = [
    "SUPPORTED_STEPS",
    "BundleError",
    "BundleInfo",
    "JvmScorerError",
    "ParityResult",
    "UnsupportedStepError",
    "export_bundle",
    "parity_gate",
    "python_scores",
]
