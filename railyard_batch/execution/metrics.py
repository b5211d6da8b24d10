"""Evaluation metrics on the holdout: ranking and calibration for classifiers, errors for
regressors. A metric that is undefined on a holdout (ROC AUC with one class) is ``None``.

Computed with numpy directly (the same definitions as scikit-learn's ``roc_auc_score``,
``average_precision_score``, ``log_loss``, ``precision_score``, ``recall_score``; the tests
hold them equal): for a thousand small members, scikit-learn's per-call validation cost more
than the model fit (scipy's ``rankdata`` alone took ~0.15 ms a call here, so the ranks are
computed here too, with its formula).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their average rank: ``scipy.stats.rankdata(values)``'s
    result and formula (``0.5 * (end + start + 1)`` of each run of equal values, exact in
    floating point), without its per-call checks. Any NaN makes every rank NaN, as scipy's
    default ``nan_policy="propagate"`` does."""
    values = np.asarray(values)
    if values.dtype.kind == "f" and np.isnan(values).any():
        return np.full(len(values), np.nan)
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.empty(len(values), dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    group = np.cumsum(starts) - 1
    bounds = np.append(np.flatnonzero(starts), len(values))
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = 0.5 * (bounds[1:] + bounds[:-1] + 1)[group]
    return ranks


def roc_auc(y: np.ndarray, score: np.ndarray) -> float | None:
    """Area under the ROC curve, as the Mann-Whitney U statistic with tied ranks averaged."""
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = average_ranks(score)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def average_precision(y: np.ndarray, score: np.ndarray) -> float | None:
    """Sum over distinct thresholds of (recall step) x precision, as scikit-learn defines it."""
    positives = int(y.sum())
    if positives == 0 or positives == len(y):
        return None
    order = np.argsort(-score, kind="mergesort")
    sorted_score, sorted_y = score[order], y[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(sorted_score)), len(y) - 1]
    true_pos = np.cumsum(sorted_y)[last_of_tie]
    precision = true_pos / (last_of_tie + 1)
    recall_step = np.diff(np.r_[0, true_pos]) / positives
    return float(np.sum(recall_step * precision))


def log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    eps = np.finfo(proba.dtype if proba.dtype.kind == "f" else np.float64).eps
    p = np.clip(proba, eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def classification_metrics(
    y_true: np.ndarray, proba: np.ndarray, threshold: float, wanted: Sequence[str]
) -> dict[str, float | None]:
    y = np.asarray(y_true).astype(np.int64)
    p = np.asarray(proba, dtype=np.float64)
    predicted = p >= threshold
    true_pos = int(np.sum(predicted & (y == 1)))

    def ratio(num: int, den: int) -> float:
        return num / den if den else 0.0

    table: dict[str, Callable[[], float | None]] = {
        "roc_auc": lambda: roc_auc(y, p),
        "pr_auc": lambda: average_precision(y, p),
        "log_loss": lambda: log_loss(y, p),
        "precision": lambda: ratio(true_pos, int(predicted.sum())),
        "recall": lambda: ratio(true_pos, int(y.sum())),
        "accuracy": lambda: float(np.mean(predicted == (y == 1))),
    }
    return {name: table[name]() for name in wanted}


def regression_metrics(
    y_true: np.ndarray, predicted: np.ndarray, wanted: Sequence[str]
) -> dict[str, float | None]:
    y = np.asarray(y_true, dtype=np.float64)
    err = y - np.asarray(predicted, dtype=np.float64)
    total = float(np.sum((y - y.mean()) ** 2))

    table: dict[str, Callable[[], float | None]] = {
        "rmse": lambda: float(np.sqrt(np.mean(err**2))),
        "mae": lambda: float(np.mean(np.abs(err))),
        "r2": lambda: (1.0 - float(np.sum(err**2)) / total) if total > 0 else None,
    }
    return {name: table[name]() for name in wanted}
