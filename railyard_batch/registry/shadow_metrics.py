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
    ``sample_weight`` (tested), but without 3 x B metric calls. Both AUCs need only, at each
    distinct score that a positive row has, the weight of the positives and the negatives
    scored there and below it: :func:`_sums_by_product` (few such scores, as on a merchant's
    holdout) or :func:`_sums_by_sort` (many, as on a global model's). A resample with one
    class only gives NaN.
    """
    few = len(np.unique(score[y == 1])) <= PRODUCT_SCORES
    sums = _sums_by_product(y, score, weights) if few else _sums_by_sort(y, score, weights)
    pos_at, neg_at, pos_below, neg_below, p_total, n_total = sums
    valid = (p_total > 0) & (n_total > 0)
    safe_p, safe_n = np.where(valid, p_total, 1), np.where(valid, n_total, 1)
    roc = (pos_at * (neg_below + 0.5 * neg_at)).sum(axis=1) / (safe_p * safe_n)
    tp = p_total[:, None] - pos_below  # flagged at that score's threshold: it and above
    fp = n_total[:, None] - neg_below
    flagged = tp + fp
    precision = np.divide(tp, flagged, out=np.zeros_like(tp), where=flagged > 0)
    ap = (pos_at * precision).sum(axis=1) / safe_p  # sum of (R_k - R_k-1) * P_k
    clipped = np.clip(score, 1e-15, 1 - 1e-15)
    loss = np.where(y == 1, -np.log(clipped), -np.log1p(-clipped))
    total = p_total + n_total
    ll = (weights @ loss) / np.where(total > 0, total, 1)
    nan = np.full(len(weights), np.nan)
    return {
        "roc_auc": np.where(valid, roc, nan),
        "pr_auc": np.where(valid, ap, nan),
        "log_loss": np.where(valid, ll, nan),
    }


# At most this many distinct scores of positive rows: the sums are a matrix product (its
# cost grows with them), else a sort and cumulative sums over (B, rows) arrays.
PRODUCT_SCORES = 96

Sums = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _sums_by_product(y: np.ndarray, score: np.ndarray, weights: np.ndarray) -> Sums:
    """Per resample (rows of ``weights``) and per distinct score u of a positive row, in
    ascending u: the positives' and negatives' weight at u, the positives' and negatives'
    weight below u, then the positives' and negatives' totals. One product of the weights
    with 0/1 columns (the weights are counts, so every sum is exact)."""
    positive = y == 1
    u = np.unique(score[positive])
    k = len(u)
    pos, neg = positive[:, None], ~positive[:, None]
    at, below = score[:, None] == u, score[:, None] < u
    columns = np.concatenate([at & pos, at & neg, below & neg, pos, neg], axis=1)
    sums = weights @ columns.astype(float)
    pos_at = sums[:, :k]
    return (
        pos_at,
        sums[:, k : 2 * k],
        np.cumsum(pos_at, axis=1) - pos_at,
        sums[:, 2 * k : 3 * k],
        sums[:, 3 * k],
        sums[:, 3 * k + 1],
    )


def _sums_by_sort(y: np.ndarray, score: np.ndarray, weights: np.ndarray) -> Sums:
    """:func:`_sums_by_product`'s sums from one sort: rows are grouped by distinct score and
    each sum below a score is a cumulative sum over the groups."""
    order = np.argsort(score, kind="stable")
    ys, ss, w = y[order] == 1, score[order], weights[:, order]
    starts = np.flatnonzero(np.r_[True, ss[1:] != ss[:-1]])  # first row of each distinct score
    positive = w * ys
    if len(starts) == len(ss):  # no ties: each row is its own group
        pos, neg, with_positive = positive, w - positive, np.flatnonzero(ys)
    else:  # (B, groups), ascending score
        pos = np.add.reduceat(positive, starts, axis=1)
        neg = np.add.reduceat(w, starts, axis=1) - pos
        with_positive = np.flatnonzero(np.add.reduceat(ys.astype(np.int64), starts))
    below = np.cumsum(neg, axis=1) - neg  # negatives scored strictly lower
    pos_at = pos[:, with_positive]
    return (
        pos_at,
        neg[:, with_positive],
        np.cumsum(pos_at, axis=1) - pos_at,
        below[:, with_positive],
        pos.sum(axis=1),
        neg.sum(axis=1),
    )


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
    out: dict[str, dict[str, list[float] | None]] = {k: {} for k in draws}
    keys = [(k, m) for k, by_metric in draws.items() for m in by_metric]
    if not keys:  # no rounds
        return out
    table = np.array([np.concatenate(draws[k][m]) for k, m in keys])  # (keys, rounds)
    complete = ~np.isnan(table).any(axis=1)
    bounds = np.full((len(keys), 2), np.nan)
    if complete.any():  # one call for the metrics no resample left undefined
        bounds[complete] = np.percentile(table[complete], [2.5, 97.5], axis=1).T
    for i in np.flatnonzero(~complete):
        v = table[i][~np.isnan(table[i])]
        if len(v):
            bounds[i] = np.percentile(v, [2.5, 97.5])
    for (k, m), (low, high) in zip(keys, bounds.tolist(), strict=True):
        out[k][m] = None if np.isnan(low) else [low, high]
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
