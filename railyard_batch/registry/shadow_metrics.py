"""What a shadow report measures: production's and a candidate's scores on the same labelled
rows, side by side (binary classifiers; the score is the probability of the positive class).

- outcome metrics of each: ROC AUC, PR AUC, log loss, with bootstrap 95% intervals, and
  precision/recall at production's action rate (the fraction of rows production blocks at its
  threshold; the candidate's threshold is chosen to block the same fraction);
- decisions at production's threshold: agreement and the flip matrix, as counts;
- score-distribution shift: PSI (production's deciles as bins), KS and Spearman's rank
  correlation;
- the same per fan-out value when the rows span several (a global model or a composition
  scores many merchants' rows): :func:`by_value`, without the intervals.
"""

from __future__ import annotations

from typing import Any

import numpy as np

THRESHOLD = 0.5  # a scikit-learn classifier's predict() threshold: production's decision
BOOTSTRAP = 200
_EPS = 1e-6


def _outcome(y: np.ndarray, score: np.ndarray) -> dict[str, float | None]:
    """The point estimates: scikit-learn's numbers (tested) without its per-call validation,
    which cost three times the whole bootstrap on a merchant's few hundred rows."""
    if len(np.unique(y)) < 2:
        return {"roc_auc": None, "pr_auc": None, "log_loss": None}
    got = weighted_outcome(y, score, np.ones((1, len(y))))
    return {k: float(v[0]) for k, v in got.items()}


def weighted_outcome(
    y: np.ndarray, score: np.ndarray, weights: np.ndarray
) -> dict[str, np.ndarray]:
    """ROC AUC, PR AUC (average precision) and log loss of one model under each row of
    ``weights`` (shape ``(B, n)``: a bootstrap resample as counts per row), all B at once.

    Equal to scikit-learn's ``roc_auc_score``/``average_precision_score``/``log_loss`` with
    ``sample_weight`` (tested), but one sort for all resamples instead of 3 x B metric calls:
    rows are grouped by distinct score, and each metric is a cumulative sum over the groups.
    A resample with one class only gives NaN.
    """
    order = np.argsort(score, kind="stable")
    ys, ss, w = y[order], score[order], weights[:, order]
    starts = np.flatnonzero(np.r_[True, ss[1:] != ss[:-1]])  # first row of each distinct score
    positive = w * (ys == 1)
    if len(starts) == len(ss):  # no ties: each row is its own group
        pos, neg = positive, w - positive
    else:  # (B, groups), ascending score
        pos = np.add.reduceat(positive, starts, axis=1)
        neg = np.add.reduceat(w, starts, axis=1) - pos
    p_total, n_total = pos.sum(axis=1), neg.sum(axis=1)
    valid = (p_total > 0) & (n_total > 0)
    safe_p, safe_n = np.where(valid, p_total, 1), np.where(valid, n_total, 1)
    below = np.cumsum(neg, axis=1) - neg  # negatives scored strictly lower
    roc = (pos * (below + 0.5 * neg)).sum(axis=1) / (safe_p * safe_n)
    tp = np.cumsum(pos[:, ::-1], axis=1)  # thresholds from the highest score down
    fp = np.cumsum(neg[:, ::-1], axis=1)
    flagged = tp + fp
    precision = np.divide(tp, flagged, out=np.zeros_like(tp), where=flagged > 0)
    ap = (pos[:, ::-1] * precision).sum(axis=1) / safe_p  # sum of (R_k - R_k-1) * P_k
    clipped = np.clip(ss, 1e-15, 1 - 1e-15)
    loss = np.where(ys == 1, -np.log(clipped), -np.log1p(-clipped))
    total = p_total + n_total
    ll = (w @ loss) / np.where(total > 0, total, 1)
    nan = np.full(len(w), np.nan)
    return {
        "roc_auc": np.where(valid, roc, nan),
        "pr_auc": np.where(valid, ap, nan),
        "log_loss": np.where(valid, ll, nan),
    }


def _intervals(
    y: np.ndarray, scores: dict[str, np.ndarray], rng: np.random.Generator, rounds: int
) -> dict[str, dict[str, list[float] | None]]:
    """Percentile bootstrap: the same resampled rows for both models, so their intervals and
    the interval of their difference describe the same draws. Resamples are drawn as counts
    per row and scored in chunks that bound memory (about 16 MB of weights at a time)."""
    n = len(y)
    draws: dict[str, dict[str, list[np.ndarray]]] = {k: {} for k in (*scores, "difference")}
    chunk = max(1, min(rounds, 2_000_000 // max(n, 1)))
    done = 0
    while done < rounds:
        b = min(chunk, rounds - done)
        done += b
        idx = rng.integers(0, n, (b, n)) + (np.arange(b) * n)[:, None]
        weights = np.bincount(idx.ravel(), minlength=b * n).reshape(b, n).astype(float)
        got = {k: weighted_outcome(y, s, weights) for k, s in scores.items()}
        for k, metrics in got.items():
            for metric, values in metrics.items():
                draws[k].setdefault(metric, []).append(values)
        for metric in got["production"]:
            diff = got["candidate"][metric] - got["production"][metric]
            draws["difference"].setdefault(metric, []).append(diff)
    out: dict[str, dict[str, list[float] | None]] = {}
    for k, by_metric in draws.items():
        out[k] = {}
        for m, parts in by_metric.items():
            v = np.concatenate(parts)
            v = v[~np.isnan(v)]
            out[k][m] = (
                [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] if len(v) else None
            )
    return out


def _precision_recall(y: np.ndarray, blocked: np.ndarray) -> dict[str, float | None]:
    positives, flagged = int(y.sum()), int(blocked.sum())
    hits = int((blocked & (y == 1)).sum())
    return {
        "precision": hits / flagged if flagged else None,
        "recall": hits / positives if positives else None,
    }


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected`` (bins: expected's
    quantiles; empty bins count as a tiny share, not as zero)."""
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        return 0.0 if np.allclose(actual, expected[0]) else float("inf")
    e = np.histogram(np.clip(expected, edges[0], edges[-1]), edges)[0] / len(expected)
    a = np.histogram(np.clip(actual, edges[0], edges[-1]), edges)[0] / len(actual)
    e, a = np.maximum(e, _EPS), np.maximum(a, _EPS)
    return float(np.sum((a - e) * np.log(a / e)))


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean of their positions), as scipy's rankdata."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)
    return (upper - (counts - 1) / 2.0)[inverse]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation: Pearson's of the average ranks (scipy's spearmanr gives the
    same number; importing scipy.stats cost a CLI process a second)."""
    ra, rb = _ranks(a) - (len(a) + 1) / 2.0, _ranks(b) - (len(b) + 1) / 2.0
    return float((ra @ rb) / np.sqrt((ra @ ra) * (rb @ rb)))


def ks(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical
    CDFs (scipy's ks_2samp gives the same number but warns computing a p-value we don't use)."""
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    cdf_b = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def compare(
    y: np.ndarray,
    production: np.ndarray,
    candidate: np.ndarray,
    *,
    seed: int = 0,
    bootstrap: int = BOOTSTRAP,
) -> dict[str, Any]:
    """Everything the report shows for one set of rows (``bootstrap``: resampling rounds
    behind the intervals)."""
    y = np.asarray(y).astype(int)
    prod, cand = np.asarray(production, float), np.asarray(candidate, float)
    n = len(y)
    rate = float((prod >= THRESHOLD).mean()) if n else 0.0
    k = int((prod >= THRESHOLD).sum())  # the rows production blocks
    order = np.argsort(-cand, kind="stable")
    cand_blocked_at_rate = np.zeros(n, bool)
    cand_blocked_at_rate[order[:k]] = True  # the k highest-scored rows: the same action rate
    prod_blocked, cand_blocked = prod >= THRESHOLD, cand >= THRESHOLD
    flips = {
        "both_block": int((prod_blocked & cand_blocked).sum()),
        "production_only": int((prod_blocked & ~cand_blocked).sum()),
        "candidate_only": int((~prod_blocked & cand_blocked).sum()),
        "neither": int((~prod_blocked & ~cand_blocked).sum()),
    }
    flipped = flips["production_only"] + flips["candidate_only"]
    constant = n < 2 or np.ptp(prod) == 0 or np.ptp(cand) == 0
    return {
        "rows": n,
        "positives": int(y.sum()),
        "production": {
            **_outcome(y, prod),
            **_precision_recall(y, prod_blocked),
        },
        "candidate": {
            **_outcome(y, cand),
            **_precision_recall(y, cand_blocked_at_rate),
        },
        "intervals": _intervals(
            y, {"production": prod, "candidate": cand}, np.random.default_rng(seed), bootstrap
        )
        if n
        else {},
        "action_rate": rate,
        "threshold": THRESHOLD,
        "flips": flips,
        "flip_rate": flipped / n if n else 0.0,
        "agreement": 1 - flipped / n if n else 1.0,
        "psi": psi(prod, cand) if n else 0.0,
        "ks": ks(prod, cand) if n else 0.0,
        "spearman": None if constant else spearman(prod, cand),
    }


def _json_value(value: Any) -> Any:
    """A fan-out value as JSON holds it: NumPy scalars as Python ones, a missing value as
    None, anything else that JSON has no type for as its text."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def by_value(
    values: np.ndarray, y: np.ndarray, production: np.ndarray, candidate: np.ndarray
) -> list[dict[str, Any]]:
    """The report's figures per fan-out value, largest first (ties by first appearance):
    rows, positives, each model's ROC AUC, PR AUC, log loss and mean score, and the flips at
    production's threshold. A missing value (None, NaN) is its own group, shown as None."""
    import pandas as pd

    y = np.asarray(y).astype(int)
    prod, cand = np.asarray(production, float), np.asarray(candidate, float)
    codes, uniques = pd.factorize(
        pd.Series(np.asarray(values, dtype=object)), use_na_sentinel=False
    )
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    out = []
    for rows in np.split(order, bounds) if len(order) else []:
        yv, pv, cv = y[rows], prod[rows], cand[rows]
        pb, cb = pv >= THRESHOLD, cv >= THRESHOLD
        production_only, candidate_only = int((pb & ~cb).sum()), int((~pb & cb).sum())
        out.append(
            {
                "value": _json_value(uniques[codes[rows[0]]]),
                "rows": len(rows),
                "positives": int(yv.sum()),
                "production": {**_outcome(yv, pv), "mean_score": float(pv.mean())},
                "candidate": {**_outcome(yv, cv), "mean_score": float(cv.mean())},
                "production_only": production_only,
                "candidate_only": candidate_only,
                "flip_rate": (production_only + candidate_only) / len(rows),
            }
        )
    out.sort(key=lambda item: -item["rows"])  # stable: equal sizes keep their first appearance
    return out
