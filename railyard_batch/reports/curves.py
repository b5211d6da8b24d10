"""ROC, precision-recall and reliability curves from a holdout's labels and scores (numpy,
the definitions of scikit-learn's ``roc_curve``, ``precision_recall_curve`` and
``calibration_curve``), thinned to a few hundred points so a 200,000-row holdout stays a
small page."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_POINTS = 400


@dataclass(frozen=True)
class Curve:
    x: list[float]
    y: list[float]


def _thresholds(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True and false positives at each distinct threshold, highest score first."""
    order = np.argsort(-score)  # ties are summed below: their order does not matter
    sorted_score, sorted_y = score[order], y[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(sorted_score)), len(y) - 1]
    true_pos = np.cumsum(sorted_y)[last_of_tie]
    false_pos = last_of_tie + 1 - true_pos
    return true_pos.astype(np.float64), false_pos.astype(np.float64)


def _thin(x: np.ndarray, y: np.ndarray) -> Curve:
    if len(x) > MAX_POINTS:
        keep = np.unique(np.linspace(0, len(x) - 1, MAX_POINTS).round().astype(np.int64))
        x, y = x[keep], y[keep]
    return Curve([float(v) for v in x], [float(v) for v in y])


def roc_and_pr(y_true: np.ndarray, score: np.ndarray) -> tuple[Curve | None, Curve | None]:
    """Both curves from one sort of the scores: :func:`roc_curve` and :func:`pr_curve`."""
    y, s = np.asarray(y_true).astype(np.int64), np.asarray(score, dtype=np.float64)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0:
        return None, None
    true_pos, false_pos = _thresholds(y, s)
    roc = None
    if negatives:
        roc = _thin(np.r_[0.0, false_pos / negatives], np.r_[0.0, true_pos / positives])
    precision = true_pos / (true_pos + false_pos)
    return roc, _thin(np.r_[0.0, true_pos / positives], np.r_[1.0, precision])


def roc_curve(y_true: np.ndarray, score: np.ndarray) -> Curve | None:
    """False positive rate (x) against true positive rate (y); None with one class."""
    return roc_and_pr(y_true, score)[0]


def pr_curve(y_true: np.ndarray, score: np.ndarray) -> Curve | None:
    """Recall (x) against precision (y), from recall 0 at precision 1; None without
    positives."""
    return roc_and_pr(y_true, score)[1]


def reliability_curve(y_true: np.ndarray, score: np.ndarray, bins: int = 10) -> Curve | None:
    """Mean score (x) against the fraction of positives (y) in equal-width score bins;
    empty bins are left out. None for an empty holdout."""
    y, s = np.asarray(y_true).astype(np.float64), np.asarray(score, dtype=np.float64)
    if len(y) == 0:
        return None
    which = np.searchsorted(np.linspace(0.0, 1.0, bins + 1)[1:-1], s)
    counts = np.bincount(which, minlength=bins)
    filled = counts > 0
    mean_score = np.bincount(which, weights=s, minlength=bins)[filled] / counts[filled]
    positive_rate = np.bincount(which, weights=y, minlength=bins)[filled] / counts[filled]
    return Curve([float(v) for v in mean_score], [float(v) for v in positive_rate])
