"""The composition page's precision-recall curve is scikit-learn's ``precision_recall_curve``
(written with numpy so that ``compose`` need not import scikit-learn), for any labels and
scores, ties included."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import precision_recall_curve

from railyard_batch.compositions.evaluate import pr_curve


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.booleans(), st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 1.0]) | st.floats(0, 1)
        ),
        min_size=2,
        max_size=60,
    )
)
def test_the_curve_is_scikit_learns(rows: list[tuple[bool, float]]) -> None:
    y = np.array([int(a) for a, _ in rows])
    score = np.array([b for _, b in rows])
    got = pr_curve(y, score, points=10**9)
    if len(np.unique(y)) < 2:
        assert got == {"recall": [], "precision": []}
        return
    precision, recall, _ = precision_recall_curve(y, score)
    np.testing.assert_allclose(got["precision"], precision, rtol=0, atol=1e-15)
    np.testing.assert_allclose(got["recall"], recall, rtol=0, atol=1e-15)


def test_a_long_curve_is_thinned_keeping_both_ends() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 5000)
    got = pr_curve(y, rng.random(5000), points=400)
    assert len(got["recall"]) <= 400
    assert got["recall"][0] == 1.0 and got["recall"][-1] == 0.0 and got["precision"][-1] == 1.0
