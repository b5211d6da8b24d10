"""Each split strategy keeps its promise, and the same seed gives the same split."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from railyard_batch.config.schema import SplitConfig
from railyard_batch.errors import DataError, MemberSkipped
from railyard_batch.execution import splits


def split_indices(df: pd.DataFrame, spec: dict[str, Any], label: str) -> Any:
    """The split of the section ``spec`` (the schema's keys) of ``df``."""
    return splits.split_indices(df, SplitConfig(**spec), label)


BASE = {
    "holdout_fraction": 0.25,
    "seed": 4,
    "time_column": None,
    "cutoff": None,
    "group_column": None,
}


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    return pd.DataFrame(
        {
            "y": (rng.random(n) < 0.2).astype(int),
            "t": pd.date_range("2025-01-01", periods=n, freq="h").to_numpy()[rng.permutation(n)],
            "g": rng.integers(0, 40, n),
        }
    )


def test_random_split_is_seeded_and_disjoint(frame: pd.DataFrame) -> None:
    split = {**BASE, "strategy": "random"}
    train, holdout = split_indices(frame, split, "y")
    again = split_indices(frame, split, "y")
    assert np.array_equal(train, again[0]) and np.array_equal(holdout, again[1])
    assert not set(train) & set(holdout)
    assert len(holdout) == 100
    other = split_indices(frame, {**split, "seed": 5}, "y")
    assert not np.array_equal(holdout, other[1])


def test_stratified_split_keeps_the_label_rate(frame: pd.DataFrame) -> None:
    train, holdout = split_indices(frame, {**BASE, "strategy": "stratified"}, "y")
    rate = frame.y.mean()
    assert abs(frame.y.iloc[holdout].mean() - rate) < 0.01
    assert abs(frame.y.iloc[train].mean() - rate) < 0.01


def test_time_split_by_fraction_holds_out_the_latest_rows(frame: pd.DataFrame) -> None:
    train, holdout = split_indices(frame, {**BASE, "strategy": "time", "time_column": "t"}, "y")
    assert frame.t.iloc[train].max() < frame.t.iloc[holdout].min()
    assert len(holdout) == 100


def test_time_split_by_cutoff(frame: pd.DataFrame) -> None:
    split = {**BASE, "strategy": "time", "time_column": "t", "cutoff": "2025-01-10"}
    train, holdout = split_indices(frame, split, "y")
    assert (frame.t.iloc[train] < pd.Timestamp("2025-01-10")).all()
    assert (frame.t.iloc[holdout] >= pd.Timestamp("2025-01-10")).all()
    assert len(train) == 9 * 24


def test_group_split_never_puts_a_group_on_both_sides(frame: pd.DataFrame) -> None:
    train, holdout = split_indices(frame, {**BASE, "strategy": "group", "group_column": "g"}, "y")
    assert not set(frame.g.iloc[train]) & set(frame.g.iloc[holdout])
    assert len(train) + len(holdout) == len(frame)


def test_stratified_split_of_a_single_positive_is_skipped() -> None:
    frame = pd.DataFrame({"y": [0] * 20 + [1]})
    with pytest.raises(MemberSkipped, match="at least 2 rows of every label value"):
        split_indices(frame, {**BASE, "strategy": "stratified"}, "y")


def test_a_time_column_that_does_not_parse_is_a_data_error_naming_it() -> None:
    """Issue 10: in the member too (splits), the key, the column, the row and the value."""
    df = pd.DataFrame({"ts": ["2025-01-01", "2025-01-02", "soon", "2025-01-04"], "y": [0, 1, 0, 1]})
    split = {"strategy": "time", "holdout_fraction": 0.25, "seed": 0, "time_column": "ts"}
    with pytest.raises(DataError, match=r"'ts' \('split.time_column'\).*row 2 has 'soon'"):
        split_indices(df, split, "y")


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=3000),
    fraction=st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_random_split_equals_scikit_learns_shuffle_split(
    n: int, fraction: float, seed: int
) -> None:
    """The NumPy split is ShuffleSplit's, index for index, or the same refusal."""
    from sklearn.model_selection import ShuffleSplit

    frame = pd.DataFrame({"y": np.zeros(n, dtype=int)})
    split = {**BASE, "strategy": "random", "holdout_fraction": fraction, "seed": seed}
    splitter = ShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    try:
        want = next(splitter.split(np.zeros(n)))
    except ValueError as exc:
        with pytest.raises(ValueError) as got:
            split_indices(frame, split, "y")
        assert str(got.value) == str(exc)
        return
    train, holdout = split_indices(frame, split, "y")
    assert np.array_equal(train, want[0]) and np.array_equal(holdout, want[1])
    assert train.dtype == want[0].dtype and holdout.dtype == want[1].dtype
