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
        # numpy on ±inf and on float32 casts beyond its range (sklearn then refuses the row)
        warnings.filterwarnings("ignore", message="overflow encountered", category=RuntimeWarning)
        warnings.filterwarnings(
            "ignore", message="invalid value encountered", category=RuntimeWarning
        )
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


def python_outcomes(
    pipeline: BaseEstimator, frame: pd.DataFrame
) -> tuple[list[Any] | None, np.ndarray, list[str | None]]:
    """:func:`python_scores_quiet`, and which rows scikit-learn refuses (it raises ValueError).

    scikit-learn refuses a whole frame for one bad row, so a refused frame is halved until
    the refused rows are alone (a few calls per refused row): a refused row has NaN scores,
    label None and its message in the third list (None for rows that scored).
    """
    n = len(frame)
    scores: np.ndarray | None = None
    labels: list[Any] | None = None
    refused: list[str | None] = [None] * n

    def run(lo: int, hi: int) -> None:
        nonlocal scores, labels
        try:
            lab, sc = python_scores_quiet(pipeline, frame.iloc[lo:hi])
        except ValueError as err:
            if hi - lo == 1:
                refused[lo] = f"{type(err).__name__}: {err}"
                return
            mid = (lo + hi) // 2
            run(lo, mid)
            run(mid, hi)
            return
        if scores is None:
            scores = np.full((n, sc.shape[1]), np.nan)
        scores[lo:hi] = sc
        if lab is not None:
            labels = labels if labels is not None else [None] * n
            labels[lo:hi] = lab

    if n:
        run(0, n)
    return labels, scores if scores is not None else np.full((n, 1), np.nan), refused
