"""HistGradientBoosting → ``HistGradientBoosting`` document (Java: ``models.HistGradientBoosting``).

raw = baseline + Σ leaf values in float64, iteration order; a node sends NaN to
``missing_go_to_left`` and ``x <= num_threshold`` (float64) to the left. Binary
classification applies expit, squared error is the identity.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import is_classifier

from .context import ExportContext
from .encoding import encode_array
from .errors import UnsupportedStepError
from .steps_linear import class_labels
from .supported import SUPPORTED_STEPS


def export_hist_gradient_boosting(model: Any, path: str, ctx: ExportContext) -> dict[str, Any]:
    """Binary classifier (log loss) or squared-error regressor with numeric features."""
    classifier = is_classifier(model)
    loss = type(model._loss).__name__
    if classifier and (len(model.classes_) != 2 or loss != "HalfBinomialLoss"):
        raise UnsupportedStepError(
            path, "multiclass HistGradientBoostingClassifier", SUPPORTED_STEPS
        )
    if not classifier and loss != "HalfSquaredError":
        raise UnsupportedStepError(
            path, f"HistGradientBoostingRegressor loss {loss}", SUPPORTED_STEPS
        )
    if model.is_categorical_ is not None and np.any(model.is_categorical_):
        raise UnsupportedStepError(
            path, "HistGradientBoosting categorical features", SUPPORTED_STEPS
        )
    trees = []
    for predictors in model._predictors:
        nodes = predictors[0].nodes
        trees.append(
            {
                "left": encode_array(nodes["left"].astype(np.int32), "int32"),
                "right": encode_array(nodes["right"].astype(np.int32), "int32"),
                "feature": encode_array(nodes["feature_idx"].astype(np.int32), "int32"),
                "threshold": encode_array(nodes["num_threshold"].astype(np.float64), "float64"),
                "missing_left": encode_array(nodes["missing_go_to_left"].astype(np.int32), "int32"),
                "is_leaf": encode_array(nodes["is_leaf"].astype(np.int32), "int32"),
                "value": encode_array(nodes["value"].astype(np.float64), "float64"),
            }
        )
    return {
        "type": "HistGradientBoosting",
        "task": "classification" if classifier else "regression",
        "classes": class_labels(model.classes_) if classifier else None,
        "n_features": int(model.n_features_in_),
        "baseline": encode_array(
            np.asarray(model._baseline_prediction, dtype=np.float64).ravel(), "float64"
        ),
        "link": "expit" if classifier else "identity",
        "trees": trees,
    }
