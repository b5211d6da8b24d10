"""What a shadow report measures, over arbitrary scores (hypothesis): the comparison's
invariants, the vectorised bootstrap metrics against scikit-learn's with sample weights, KS
against scipy's."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

from railyard_batch.registry.shadow_metrics import (
    PRODUCT_SCORES,
    _sums_by_product,
    _sums_by_sort,
    by_value,
    compare,
    ks,
    psi,
    spearman,
    weighted_outcome,
)

scores = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=200)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_comparison_adds_up_for_any_scores(data: st.DataObject) -> None:
    prod = np.array(data.draw(scores))
    n = len(prod)
    cand = np.array(data.draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    got = compare(y, prod, cand)
    assert sum(got["flips"].values()) == n
    assert 0.0 <= got["flip_rate"] <= 1.0 and got["agreement"] == pytest.approx(
        1 - got["flip_rate"]
    )
    assert got["psi"] >= 0.0 and 0.0 <= got["ks"] <= 1.0
    same = compare(y, prod, prod)
    assert same["flip_rate"] == 0.0 and same["ks"] == 0.0 and same["psi"] == pytest.approx(0.0)
    if same["spearman"] is not None:
        assert same["spearman"] == pytest.approx(1.0)
    for metric, interval in same["intervals"].get("difference", {}).items():
        assert interval is None or interval == [0.0, 0.0], metric


def test_psi_grows_with_the_shift() -> None:
    rng = np.random.default_rng(0)
    base = rng.beta(2, 5, 5000)
    assert psi(base, base) == pytest.approx(0.0)
    assert 0 < psi(base, np.clip(base + 0.02, 0, 1)) < psi(base, np.clip(base + 0.2, 0, 1))


@settings(max_examples=50, deadline=None)
@given(scores, scores)
def test_ks_is_scipys_statistic(a: list[float], b: list[float]) -> None:
    from scipy import stats

    expected = stats.ks_2samp(a, b, method="asymp").statistic if min(len(a), len(b)) > 1 else None
    got = ks(np.array(a), np.array(b))
    assert 0.0 <= got <= 1.0
    if expected is not None:
        assert got == pytest.approx(float(expected), abs=1e-12)


def _weighted_rows(data: st.DataObject) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, scores and resample weights (counts, shape (B, n)) of up to 60 rows; few
    distinct scores, so that ties between rows (the hard case) are common."""
    n = data.draw(st.integers(1, 60))
    score = np.array(
        data.draw(
            st.lists(
                st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]) | st.floats(0, 1), min_size=n, max_size=n
            )
        )
    )
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    weights = np.array(
        data.draw(
            st.lists(st.lists(st.integers(0, 3), min_size=n, max_size=n), min_size=1, max_size=4)
        ),
        dtype=float,
    )
    return y, score, weights


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_bootstrap_metrics_are_scikit_learns_with_weights(data: st.DataObject) -> None:
    y, score, weights = _weighted_rows(data)
    got = weighted_outcome(y, score, weights)
    for b, w in enumerate(weights):
        if len(set(y[w > 0])) < 2:
            assert np.isnan(got["roc_auc"][b]) and np.isnan(got["pr_auc"][b])
            continue
        assert got["roc_auc"][b] == pytest.approx(
            roc_auc_score(y, score, sample_weight=w), abs=1e-12
        )
        assert got["pr_auc"][b] == pytest.approx(
            average_precision_score(y, score, sample_weight=w), abs=1e-12
        )
        clipped = np.clip(score, 1e-15, 1 - 1e-15)
        assert got["log_loss"][b] == pytest.approx(
            log_loss(y, clipped, sample_weight=w, labels=[0, 1]), abs=1e-12
        )


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_both_ways_to_the_bootstrap_sums_agree_bit_for_bit(data: st.DataObject) -> None:
    # the product (few distinct positive scores) and the sort (many) give the same sums:
    # the weights are counts, so every sum is an exact integer either way
    y, score, weights = _weighted_rows(data)
    by_product, by_sort = _sums_by_product(y, score, weights), _sums_by_sort(y, score, weights)
    for got, expected in zip(by_product, by_sort, strict=True):
        assert got.shape == expected.shape and np.array_equal(got, expected)


def test_many_distinct_positive_scores_take_the_sort_and_still_match_scikit_learn() -> None:
    rng = np.random.default_rng(7)
    n = 6 * PRODUCT_SCORES
    y = (rng.random(n) < 0.5).astype(int)
    score = np.round(rng.random(n), 3)  # ties, and more distinct positive scores than the limit
    assert len(np.unique(score[y == 1])) > PRODUCT_SCORES
    weights = rng.integers(0, 3, (3, n)).astype(float)
    got = weighted_outcome(y, score, weights)
    for b, w in enumerate(weights):
        assert got["roc_auc"][b] == pytest.approx(
            roc_auc_score(y, score, sample_weight=w), abs=1e-12
        )
        assert got["pr_auc"][b] == pytest.approx(
            average_precision_score(y, score, sample_weight=w), abs=1e-12
        )


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_point_estimates_are_scikit_learns(data: st.DataObject) -> None:
    n = data.draw(st.integers(2, 80))
    prod = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    got = compare(y, prod, prod, bootstrap=1)
    if len(set(y)) < 2:
        assert got["production"]["roc_auc"] is None
        return
    clipped = np.clip(prod, 1e-15, 1 - 1e-15)
    assert got["production"]["roc_auc"] == pytest.approx(roc_auc_score(y, prod), abs=1e-12)
    assert got["production"]["pr_auc"] == pytest.approx(average_precision_score(y, prod), abs=1e-12)
    assert got["production"]["log_loss"] == pytest.approx(
        log_loss(y, clipped, labels=[0, 1]), abs=1e-12
    )


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_spearman_is_scipys(data: st.DataObject) -> None:
    from scipy import stats

    n = data.draw(st.integers(2, 60))
    values = st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(0, 1)
    a = np.array(data.draw(st.lists(values, min_size=n, max_size=n)))
    b = np.array(data.draw(st.lists(values, min_size=n, max_size=n)))
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return  # constant: the report says None (spearman is undefined)
    assert spearman(a, b) == pytest.approx(float(stats.spearmanr(a, b).statistic), abs=1e-9)


# A fan-out column holds one type (parquet's), and may miss values.
fanout_types = st.sampled_from([st.text(max_size=6), st.integers(-3, 3), st.booleans()])
missing_values = st.sampled_from([None, float("nan")])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_the_breakdown_by_value_is_the_comparison_of_each_values_rows(
    data: st.DataObject,
) -> None:
    """Each value's figures are those of compare() on its rows alone; the groups cover every
    row once, largest first; missing values (None, NaN) are one group shown as None; the
    result is plain JSON."""
    import json

    n = data.draw(st.integers(1, 120))
    kind = data.draw(fanout_types)
    pool = data.draw(st.lists(st.one_of(kind, missing_values), min_size=1, max_size=5))
    values = np.array([data.draw(st.sampled_from(pool)) for _ in range(n)], dtype=object)
    prod = np.array(data.draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    cand = np.array(data.draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    got = by_value(values, y, prod, cand)
    json.dumps(got, allow_nan=False)
    assert sum(item["rows"] for item in got) == n
    assert [item["rows"] for item in got] == sorted((item["rows"] for item in got), reverse=True)
    missing = np.array([v is None or (isinstance(v, float) and v != v) for v in values])
    for item in got:
        if item["value"] is None:
            rows = missing
        else:
            rows = np.array(
                [not m and v == item["value"] for v, m in zip(values, missing, strict=True)]
            )
        assert rows.sum() == item["rows"]
        whole = compare(y[rows], prod[rows], cand[rows], bootstrap=0)
        assert item["positives"] == whole["positives"]
        assert item["production_only"] == whole["flips"]["production_only"]
        assert item["candidate_only"] == whole["flips"]["candidate_only"]
        assert item["flip_rate"] == pytest.approx(whole["flip_rate"])
        for side, scored in (("production", prod[rows]), ("candidate", cand[rows])):
            for metric in ("roc_auc", "pr_auc", "log_loss"):
                assert item[side][metric] == whole[side][metric], (side, metric)
            assert item[side]["mean_score"] == pytest.approx(float(scored.mean()))
