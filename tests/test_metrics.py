"""The numpy metrics equal scikit-learn's on random data with ties, and are None when undefined."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from railyard_batch.execution.metrics import (
    average_ranks,
    classification_metrics,
    regression_metrics,
)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n", [5, 50, 2000])
def test_classification_metrics_match_scikit_learn(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    y[0], y[1] = 0, 1
    proba = np.round(rng.random(n), 2)  # rounding makes ties
    got = classification_metrics(
        y, proba, 0.4, ["roc_auc", "pr_auc", "log_loss", "precision", "recall", "accuracy"]
    )
    predicted = (proba >= 0.4).astype(int)
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba), abs=1e-12)
    assert got["pr_auc"] == pytest.approx(skm.average_precision_score(y, proba), abs=1e-12)
    assert got["log_loss"] == pytest.approx(skm.log_loss(y, proba), abs=1e-12)
    assert got["precision"] == pytest.approx(skm.precision_score(y, predicted, zero_division=0))
    assert got["recall"] == pytest.approx(skm.recall_score(y, predicted))
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, predicted))


def test_ranking_metrics_are_none_with_one_class() -> None:
    got = classification_metrics(np.zeros(10), np.linspace(0, 1, 10), 0.5, ["roc_auc", "pr_auc"])
    assert got == {"roc_auc": None, "pr_auc": None}


def test_regression_metrics_match_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=300), rng.normal(size=300)
    got = regression_metrics(y, p, ["rmse", "mae", "r2"])
    assert got["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)))
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(y, p))
    assert got["r2"] == pytest.approx(skm.r2_score(y, p))


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.sampled_from([0.0, 0.1, 0.5, 1.0, -0.0]),  # ties
            st.floats(allow_nan=True, allow_infinity=True),
        ),
        max_size=60,
    )
)
def test_average_ranks_equal_scipys_rankdata(values: list[float]) -> None:
    from scipy.stats import rankdata

    x = np.asarray(values, dtype=np.float64)
    assert np.array_equal(average_ranks(x), rankdata(x), equal_nan=True)
