"""One member's training: the string columns it hands scikit-learn as NumPy objects (a speed-up)
change nothing in the fitted model or its scores."""

from __future__ import annotations

import hashlib
import pickle
import types

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from railyard_batch.config import register_configs
from railyard_batch.config.validate import validate_config
from railyard_batch.errors import MemberSkipped
from railyard_batch.execution.splits import split_indices
from railyard_batch.execution.training import PipelineFactory, object_strings, train_member
from railyard_batch.synthetic import generate
from tests.conftest import REPO


@pytest.fixture
def factory() -> PipelineFactory:
    register_configs()
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=["split.strategy=time", "split.time_column=timestamp"])
    return PipelineFactory(validate_config(cfg))


def test_object_strings_keeps_values_and_missing_values() -> None:
    frame = pd.DataFrame(
        {
            "s": pd.Series(["a", None, "b"], dtype="str"),
            "pa": pd.Series(["x", None, "y"], dtype="string"),  # pd.NA: left as it is
            "n": [1.0, np.nan, 3.0],
        }
    )
    out = object_strings(frame)
    assert out["s"].dtype == object and out["s"].iloc[0] == "a"
    assert out["s"].isna().tolist() == [False, True, False]
    assert out["pa"].dtype == frame["pa"].dtype
    assert out["n"].dtype == np.float64
    assert frame["s"].dtype == "str"  # the input is not changed


@pytest.mark.usefixtures("hydra_restore_singletons")
def test_a_member_fit_on_object_strings_is_the_model_fit_on_the_string_columns(
    factory: PipelineFactory,
) -> None:
    df = generate(4000, 3, seed=7, fraud_rate=0.1)
    for column in ("country", "card_brand", "channel"):
        df[column] = df[column].astype("str")
    df.loc[df.index[::17], "country"] = None  # missing values reach the imputer
    assert isinstance(df["country"].dtype, pd.StringDtype) and df["country"].isna().any()

    trained = train_member(df, factory)

    vc = factory.vc
    train_idx, holdout_idx = split_indices(df, vc.typed.split, vc.label)
    features = vc.feature_columns
    direct = factory.new().fit(df.iloc[train_idx][features], df.iloc[train_idx][vc.label])
    proba = direct.predict_proba(df.iloc[holdout_idx][features])[:, 1]
    blob = pickle.dumps(direct, protocol=5)
    assert trained.model_sha256 == hashlib.sha256(blob).hexdigest()
    assert trained.holdout_scores is not None
    np.testing.assert_array_equal(trained.holdout_scores["score"].to_numpy(), proba)


@pytest.mark.usefixtures("hydra_restore_singletons")
def test_a_train_hook_gets_the_split_rows_as_read(factory: PipelineFactory) -> None:
    """The hook's frames are the training and holdout rows, in the split's order, with the
    frame's index and dtypes (the member's rows are gathered once and cut in two)."""
    df = generate(600, 2, seed=3, fraud_rate=0.2)
    df["country"] = df["country"].astype("str")
    seen: list[pd.DataFrame] = []

    def hook(train_df: pd.DataFrame, holdout_df: pd.DataFrame, params: dict) -> object:  # type: ignore[type-arg]
        seen.extend([train_df, holdout_df])
        return factory.new().fit(train_df[factory.vc.feature_columns], train_df[factory.vc.label])

    factory.hook = hook
    train_member(df, factory)
    train_idx, holdout_idx = split_indices(df, factory.vc.typed.split, factory.vc.label)
    pd.testing.assert_frame_equal(seen[0], df.take(train_idx))
    pd.testing.assert_frame_equal(seen[1], df.take(holdout_idx))


def _fanout_factory(overrides: list[str]) -> PipelineFactory:
    register_configs()
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=["fanout.by=merchant_id", *overrides])
    return PipelineFactory(validate_config(cfg))


def _outcome(factory: PipelineFactory, rows: object) -> object:
    try:
        trained = train_member(rows, factory)  # type: ignore[arg-type]
    except MemberSkipped as exc:
        return ("skipped", str(exc))
    return (
        trained.model_sha256,
        trained.metrics,
        trained.holdout_scores,
        trained.oof_scores,
        trained.holdout_features.reset_index(drop=True).to_dict("list"),  # type: ignore[union-attr]
    )


@pytest.mark.usefixtures("hydra_restore_singletons")
@pytest.mark.parametrize(
    ("overrides", "hook"),
    [
        (["split.strategy=random"], False),
        (["split.strategy=random", "evaluation.oof_folds=3"], True),
        (["split.strategy=stratified", "evaluation.oof_folds=3"], False),
        (["split.strategy=group", "split.group_column=channel"], False),
        (["split.strategy=time", "split.time_column=timestamp"], True),
    ],
)
def test_a_shard_split_up_front_trains_each_member_as_on_its_own_rows(
    overrides: list[str], hook: bool
) -> None:
    """A shard splits its members before cutting them (each member's rows arranged training
    rows first): every member's model, metrics, scores, out-of-fold scores and the hook's
    frames are those of the member trained on its rows as read, including members the split
    refuses (one row, one group) and their reasons."""
    from railyard_batch.execution.worker import _member_rows

    factory = _fanout_factory(overrides)
    vc = factory.vc
    df = generate(3000, 40, seed=11, fraud_rate=0.3)
    tiny = df.iloc[:1].assign(merchant_id="m_single")  # one row: nothing to split
    df = pd.concat([df, tiny], ignore_index=True)
    df.loc[df.index[::13], "amount"] = np.nan
    seen: list[pd.DataFrame] = []
    if hook:

        def train(train_df: pd.DataFrame, holdout_df: pd.DataFrame, params: dict) -> object:  # type: ignore[type-arg]
            seen.extend([train_df, holdout_df])
            return factory.new().fit(train_df[vc.feature_columns], train_df[vc.label])

        factory.hook = train
    values = list(pd.unique(df["merchant_id"]))
    members = [types.SimpleNamespace(value=v) for v in values]
    rows_of = _member_rows(lambda: df.copy(), vc, members, hook=hook)  # type: ignore[arg-type]
    arranged = [_outcome(factory, rows_of(v)) for v in values]
    shard_frames, seen[:] = list(seen), []
    alone = [_outcome(factory, df[df["merchant_id"] == v]) for v in values]
    assert any(a[0] == "skipped" for a in alone)
    for got, want in zip(arranged, alone, strict=True):
        assert got[:2] == want[:2]
        for table_got, table_want in zip(got[2:4], want[2:4], strict=True):
            assert (table_got is None) == (table_want is None)
            assert table_got is None or table_got.equals(table_want)
        if len(want) > 2:
            assert got[4] == want[4] or pd.DataFrame(got[4]).equals(pd.DataFrame(want[4]))
    assert len(shard_frames) == len(seen)
    for got_frame, want_frame in zip(shard_frames, seen, strict=True):
        pd.testing.assert_frame_equal(got_frame, want_frame)
