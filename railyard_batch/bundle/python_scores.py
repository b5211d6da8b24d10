"""What Python itself predicts for a frame: the reference the JVM must reproduce."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, is_classifier
from sklearn.pipeline import Pipeline


def python_scores_quiet(
    pipeline: BaseEstimator, frame: pd.DataFrame
) -> tuple[list[Any] | None, np.ndarray]:
    """:func:`python_scores` without sklearn's "Found unknown categories" warning (expected in parity data)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Found unknown categories", category=UserWarning)
        return python_scores(pipeline, frame)


def python_scores(
    pipeline: BaseEstimator, frame: pd.DataFrame
) -> tuple[list[Any] | None, np.ndarray]:
    """Labels (classifiers; else None) and scores, shape (n_rows, n_scores), as float64.

    Classifier scores are ``predict_proba``; regressor scores are ``predict`` as one column;
    a pipeline of transformers only scores as its (dense) transform output.
    float32 outputs (XGBoost) are widened exactly.
    """
    final = pipeline.steps[-1][1] if isinstance(pipeline, Pipeline) else pipeline
    if not hasattr(final, "predict"):
        out = pipeline.transform(frame)
        dense = out.toarray() if sparse.issparse(out) else np.asarray(out)
        return None, dense.astype(np.float64)
    if is_classifier(final):
        scores = np.asarray(pipeline.predict_proba(frame)).astype(np.float64)
        labels = [_json_value(v) for v in pipeline.predict(frame)]
        return labels, scores
    return None, np.asarray(pipeline.predict(frame)).astype(np.float64).reshape(-1, 1)


def _json_value(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (np.str_,)):
        return str(v)
    return v
