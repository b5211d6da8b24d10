"""Train/holdout splits, mapped onto scikit-learn's splitters where one exists.

``random`` → ShuffleSplit, ``stratified`` → StratifiedShuffleSplit, ``group`` →
GroupShuffleSplit (no group on both sides), ``time`` → rows before a cutoff train and the rest
is holdout (a cutoff timestamp, or the earliest ``1 - holdout_fraction`` of rows by time).
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from railyard_batch.config.schema import SplitConfig, SplitStrategy
from railyard_batch.errors import DataError, MemberSkipped


def parse_times(values: pd.Series, column: str) -> pd.Series:
    """``values`` as timestamps; a :class:`DataError` naming ``split.time_column``, the column
    and the first value that does not parse (with its row) instead of a pandas traceback."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' format-inference warnings
        try:
            return pd.to_datetime(values)
        except (ValueError, TypeError, OverflowError):
            pass
        coerced = pd.to_datetime(values, errors="coerce", format="mixed")
    bad = np.flatnonzero((coerced.isna() & values.notna()).to_numpy())
    row = int(bad[0]) if len(bad) else 0
    example = values.iloc[row] if len(values) else None
    raise DataError(
        f"The column {column!r} ('split.time_column') must hold timestamps; "
        f"row {row} has {str(example)!r}."
    )


def split_indices(
    df: pd.DataFrame, split: SplitConfig, label: str
) -> tuple[np.ndarray, np.ndarray]:
    """Positional indices of the train and holdout rows of ``df``."""
    return split_rows(len(df), df.__getitem__, split, label)


def split_columns(split: SplitConfig, label: str) -> list[str]:
    """The columns :func:`split_rows` reads for ``split`` (none for a random split)."""
    strategy = split.strategy
    if strategy == SplitStrategy.STRATIFIED:
        return [label]
    if strategy == SplitStrategy.GROUP:
        return [str(split.group_column)]
    if strategy == SplitStrategy.TIME:
        return [str(split.time_column)]
    return []


def split_rows(
    n: int, column: Callable[[str], pd.Series], split: SplitConfig, label: str
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`split_indices` of ``n`` rows whose columns ``column(name)`` gives (only those
    of :func:`split_columns` are asked for): a shard splits its members before it cuts them
    from its frame, without a frame per member."""
    # Imported here: scikit-learn takes a second to import, and commands that only read
    # recorded results (compose, runs, the service) never split.
    from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit, StratifiedShuffleSplit

    strategy = split.strategy
    fraction = float(split.holdout_fraction)
    seed = int(split.seed)
    if n < 2:
        raise MemberSkipped(f"only {n} row(s): nothing to split")
    if strategy == SplitStrategy.TIME:
        return _time_split(column(str(split.time_column)), split, fraction)
    if strategy == SplitStrategy.RANDOM:
        n_test = math.ceil(fraction * n)
        if 0.0 < fraction < 1.0 and 0 < n_test < n:
            return random_split(n, n_test, seed)
        # scikit-learn's own error for a split it refuses
        splitter: Any = ShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        return next(splitter.split(np.zeros(n)))
    if strategy == SplitStrategy.STRATIFIED:
        y = column(label).to_numpy()
        _, counts = np.unique(y, return_counts=True)
        if counts.min() < 2:
            raise MemberSkipped(
                f"stratified split needs at least 2 rows of every label value; the rarest has {counts.min()}"
            )
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        return next(splitter.split(np.zeros(n), y))
    groups = column(str(split.group_column)).to_numpy()
    if len(pd.unique(groups)) < 2:
        raise MemberSkipped("group split needs at least 2 groups")
    splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    return next(splitter.split(np.zeros(n), groups=groups))


def random_split(n: int, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``ShuffleSplit(n_splits=1, test_size=f, random_state=seed)``'s split of ``n`` rows, with
    ``n_test = ceil(f * n)``: the holdout is the first ``n_test`` of a seeded permutation, the
    training rows the rest (scikit-learn's own steps, equal index for index:
    ``tests/test_splits.py``). Without its input checks, and reseeding one generator per
    thread: making a ``RandomState`` costs ~0.15 ms, reseeding one ~2 us."""
    generator = getattr(_generators, "random_state", None)
    if generator is None:
        generator = _generators.random_state = np.random.RandomState()
    generator.seed(seed)  # the state RandomState(seed) starts in
    permutation = generator.permutation(n)
    return permutation[n_test:], permutation[:n_test]


_generators = threading.local()


def _time_split(
    values: pd.Series, split: SplitConfig, fraction: float
) -> tuple[np.ndarray, np.ndarray]:
    times = parse_times(values, str(split.time_column)).to_numpy()
    if split.cutoff is not None:
        cutoff = np.datetime64(pd.Timestamp(split.cutoff).to_datetime64())
    else:
        order = np.sort(times, kind="stable")
        cutoff = order[int(np.floor(len(order) * (1.0 - fraction)))]
    train = np.flatnonzero(times < cutoff)
    holdout = np.flatnonzero(times >= cutoff)
    return train, holdout
