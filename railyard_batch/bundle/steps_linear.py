"""LogisticRegression → ``LogisticRegression`` document (Java: ``models.LogisticRegression``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from .context import ExportContext
from .encoding import encode_array
from .errors import UnsupportedStepError
from .supported import SUPPORTED_STEPS


def export_logistic_regression(
    lr: LogisticRegression, path: str, ctx: ExportContext
) -> dict[str, Any]:
    """decision = x · coef + intercept (float64); binary: expit; multiclass: softmax."""
    n_classes = len(lr.classes_)
    if n_classes > 2 and lr.solver == "liblinear":
        raise UnsupportedStepError(
            path, "one-vs-rest LogisticRegression (liblinear)", SUPPORTED_STEPS
        )
    return {
        "type": "LogisticRegression",
        "task": "classification",
        "classes": class_labels(lr.classes_),
        "n_features": int(lr.coef_.shape[1]),
        "coef": encode_array(np.asarray(lr.coef_, dtype=np.float64), "float64"),
        "intercept": encode_array(np.asarray(lr.intercept_, dtype=np.float64), "float64"),
        "link": "expit" if n_classes == 2 else "softmax",
    }


def class_labels(classes: np.ndarray) -> list[Any]:
    """Class labels as JSON values (str, int or float)."""
    out: list[Any] = []
    for c in classes:
        if isinstance(c, (np.integer, int)) and not isinstance(c, bool):
            out.append(int(c))
        elif isinstance(c, (np.floating, float)):
            out.append(float(c))
        else:
            out.append(str(c))
    return out
