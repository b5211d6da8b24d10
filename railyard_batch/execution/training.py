"""Train and evaluate one member: build the pipeline (or call the user's hook), fit on the
train split, score the holdout, and serialize the fitted pipeline."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from hydra.utils import instantiate
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from railyard_batch.config.schema import Task
from railyard_batch.config.targets import resolve_target
from railyard_batch.config.validate import ValidatedConfig, allowed_modules, build_estimator
from railyard_batch.errors import MemberSkipped
from railyard_batch.execution.metrics import classification_metrics, regression_metrics
from railyard_batch.execution.splits import split_indices


@contextmanager
def training_frames() -> Iterator[None]:
    """The pandas options every training of a member runs under: the worker's shard and
    ``reproduce`` both enter it, so a retrained model pickles to the same bytes.

    pandas' ``str`` dtype in Python storage, not Arrow's, for the frames and all the user code
    does with them: a label lookup (``df[["amount"]]``, the feature-name checks scikit-learn
    makes on every fit and predict) builds a small ``str`` Index, and converting Arrow's to
    objects each time cost about 0.25 ms of a trivial member's 1.2 ms (issue 11). The dtype
    and the values are the same, but the fitted model's pickle is not byte-identical (a small
    one-hot pipeline: 2,170 bytes under Arrow storage, 2,166 under Python's), so the storage is
    part of what makes a model's hash reproducible.
    """
    with pd.option_context("mode.string_storage", "python"):
        yield


@dataclass(frozen=True)
class TrainedMember:
    """A fitted pipeline, its serialized bytes and its holdout metrics."""

    model_bytes: bytes
    model_sha256: str
    metrics: dict[str, Any]
    model: Any = None
    # The holdout's feature columns, for the export parity gate.
    holdout_features: pd.DataFrame | None = None
    # The holdout's labels and the model's scores (``y_true``, ``score``: the positive class's
    # probability), for the report's ROC, PR and calibration curves; classifiers only. An
    # Arrow table: it is written as it is (recording/scores.py), without pandas' conversion.
    holdout_scores: pa.Table | None = None
    # Out-of-fold scores on the training side (``pos``, ``y_true``, ``score``) when
    # evaluation.oof_folds > 0: each row scored by a model fit on the other folds.
    oof_scores: pa.Table | None = None


@dataclass(frozen=True)
class MemberRows:
    """A member's rows three ways: every column read (what the split and a user's ``train``
    hook see), the feature columns (what the pipeline fits and scores; strings as NumPy
    objects, :func:`object_strings`, unless a hook trains) and the label as an array.

    A shard builds them once (:meth:`of`) and cuts each member from them (:meth:`slice`,
    :meth:`take`): selecting columns by name costs pandas more than a small member's fit (about
    0.7 ms a selection on a 10-row frame), while the column selection made once is a view of
    the shard's data, not a copy."""

    frame: pd.DataFrame
    features: pd.DataFrame
    label: np.ndarray
    # The member's split when the shard made it (:meth:`arranged`): its rows are then its
    # training rows followed by its holdout rows, each side in the split's order, and these
    # are their positions among the member's rows as read. None: the rows are as read.
    split: tuple[np.ndarray, np.ndarray] | None = None
    # With a split: where the member's rows lie in the shard's frames above (start, stop),
    # which :func:`train_member` cuts once into training and holdout rows.
    window: tuple[int, int] | None = None

    @classmethod
    def of(cls, frame: pd.DataFrame, vc: ValidatedConfig, *, hook: bool) -> MemberRows:
        columns = vc.feature_columns
        if not hook:
            frame = object_strings(frame, columns or None)
        features = frame[columns] if columns else frame.drop(columns=[vc.label])
        return cls(frame, features, frame[vc.label].to_numpy())

    def __len__(self) -> int:
        if self.window is not None:
            return self.window[1] - self.window[0]
        return len(self.frame)

    def slice(self, start: int, stop: int) -> MemberRows:
        return MemberRows(
            self.frame.iloc[start:stop], self.features.iloc[start:stop], self.label[start:stop]
        )

    def take(self, positions: np.ndarray) -> MemberRows:
        return MemberRows(
            self.frame.take(positions), self.features.take(positions), self.label[positions]
        )

    def arranged(self, start: int, stop: int, split: tuple[np.ndarray, np.ndarray]) -> MemberRows:
        """The rows from ``start`` to ``stop``, which the shard put in ``split``'s order
        (training rows, then holdout rows): a member trains on slices of them, without the
        gather of its rows into that order (one pandas take each of the frame and the
        features, 0.15-0.25 ms a member), and without a slice of the member's rows before
        the slices into training and holdout rows (each ``iloc`` slice of a frame with
        string columns costs pandas about 30 us)."""
        return dataclasses.replace(self, split=split, window=(start, stop))


def build_preprocessing(vc: ValidatedConfig) -> Any:
    """The feature transformer: the user's ``features.transformer`` or the default
    (median-impute + standardise numeric columns, one-hot encode categorical ones)."""
    features = vc.typed.features
    if features.transformer is not None:
        return instantiate(features.transformer)
    parts: list[tuple[str, Any, list[str]]] = []
    if features.numeric:
        numeric = Pipeline(
            [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
        )
        parts.append(("num", numeric, list(features.numeric)))
    if features.categorical:
        categorical = Pipeline(
            [
                ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
                ("onehot", OneHotEncoder(handle_unknown="ignore")),
            ]
        )
        parts.append(("cat", categorical, list(features.categorical)))
    return ColumnTransformer(parts, remainder="drop")


def object_strings(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """``frame`` with its string columns (pandas' ``str`` dtype, NaN for missing; only those
    in ``columns`` when given) as NumPy object columns holding the same values. scikit-learn
    turns an Arrow-backed string column into objects again at every step that reads it (each
    imputer, encoder and input check), so converting once is cheaper: about 25% of a small
    member's fit and predict, with the same fitted model and scores (``tests/test_training.py``).
    Each distinct string becomes one Python object that every row holding it shares, so a
    shard converted once costs a pointer per value, not a string."""
    wanted = None if columns is None else set(columns)
    converted = {}
    for name, dtype in frame.dtypes.items():  # no column built for one that stays as it is
        if (wanted is None or name in wanted) and (
            isinstance(dtype, pd.StringDtype) and dtype.na_value is np.nan
        ):
            codes, uniques = pd.factorize(frame[name], use_na_sentinel=True)
            values = np.empty(len(uniques) + 1, dtype=object)
            values[:-1] = list(uniques)
            values[-1] = np.nan  # code -1: missing
            converted[name] = pd.Series(values[codes], index=frame.index, dtype=object)
    if not converted:
        return frame
    out = frame.copy(deep=False)
    for name, column in converted.items():
        out[name] = column
    return out


class PipelineFactory:
    """Builds an unfitted pipeline per member; the estimator class is resolved once."""

    def __init__(self, vc: ValidatedConfig) -> None:
        self.vc = vc
        allowed = allowed_modules(vc.raw)
        cls = resolve_target(
            vc.typed.estimator["_target_"], "estimator._target_", kind="estimator", allowed=allowed
        )
        self._estimator = build_estimator(cls, vc.typed.estimator)
        self._preprocessing = build_preprocessing(vc)
        self.hook = (
            resolve_target(vc.typed.hook, "hook", kind="hook", allowed=allowed)
            if vc.typed.hook
            else None
        )

    def new(self) -> Pipeline:
        return Pipeline(
            [("preprocess", clone(self._preprocessing)), ("model", clone(self._estimator))]
        )


def train_member(rows: MemberRows | pd.DataFrame, factory: PipelineFactory) -> TrainedMember:
    """Split a member's rows, fit, evaluate and serialize. Raises :class:`MemberSkipped` when
    the rows cannot be trained (too few, a single class in the training split)."""
    vc = factory.vc
    hook = factory.hook
    if isinstance(rows, pd.DataFrame):
        rows = MemberRows.of(rows, vc, hook=hook is not None)
    if rows.split is None:
        train_idx, holdout_idx = split_indices(rows.frame, vc.typed.split, vc.label)
    else:
        train_idx, holdout_idx = rows.split
    if len(holdout_idx) == 0:
        raise MemberSkipped("the split left the holdout empty")
    if len(train_idx) == 0:
        raise MemberSkipped("the split left the training set empty")
    n_train = len(train_idx)
    # The member's rows in split order (training rows, then holdout): as the shard arranged
    # them (rows start to stop of its frames), or one gather of them, cut in two (a slice is
    # a view; a take costs pandas ~0.2-0.7 ms on a small member, more with Arrow strings).
    order = None if rows.split is not None else np.concatenate([train_idx, holdout_idx])
    start, stop = rows.window if rows.window is not None else (0, len(rows.frame))
    cut = start + n_train
    y_split = rows.label if order is None else rows.label[order]
    y_train, y_holdout = y_split[start:cut], y_split[cut:stop]
    classify = vc.task == Task.BINARY_CLASSIFICATION
    if classify and len(np.unique(y_train)) < 2:
        raise MemberSkipped(
            f"the training split has a single class ({y_train[0]!r}) in {vc.label!r}"
        )

    if hook is not None:
        both = rows.frame if order is None else rows.frame.take(order)
        model = hook(both.iloc[start:cut], both.iloc[cut:stop], dict(vc.typed.params))
        x_holdout = (
            rows.features.iloc[cut:stop] if order is None else rows.features.take(holdout_idx)
        )
    else:
        features = rows.features if order is None else rows.features.take(order)
        model = factory.new()
        model.fit(features.iloc[start:cut], y_train)
        x_holdout = features.iloc[cut:stop]
    evaluation = vc.typed.evaluation
    scores = None
    if classify:
        proba = np.asarray(model.predict_proba(x_holdout))[:, 1]
        metrics: dict[str, Any] = classification_metrics(
            y_holdout, proba, float(evaluation.threshold), vc.metrics
        )
        metrics["positives_train"] = int(y_train.sum())
        metrics["positives_holdout"] = int(y_holdout.sum())
        # pos: the holdout rows' positions in this member's rows, so that an evaluation over
        # members (a composition) finds them without rebuilding the split
        scores = _scores_table(holdout_idx, y_holdout, proba)
    else:
        metrics = regression_metrics(y_holdout, np.asarray(model.predict(x_holdout)), vc.metrics)
    metrics["n_train"] = len(train_idx)
    metrics["n_holdout"] = len(holdout_idx)
    folds = evaluation.oof_folds
    oof = None
    if classify and folds:
        train = rows.slice(start, cut) if order is None else rows.take(train_idx)
        oof = _oof_scores(train, train_idx, factory, folds)
    blob = pickle.dumps(model, protocol=5)
    return TrainedMember(
        model_bytes=blob,
        model_sha256=hashlib.sha256(blob).hexdigest(),
        metrics=metrics,
        model=model,
        holdout_features=x_holdout,
        holdout_scores=scores,
        oof_scores=oof,
    )


def _scores_table(positions: np.ndarray, y: np.ndarray, score: np.ndarray) -> pa.Table:
    return pa.table(
        {
            "pos": np.asarray(positions, dtype=np.int64),
            "y_true": np.asarray(y).astype(np.int8),
            "score": np.asarray(score, dtype=np.float64),
        }
    )


def _oof_scores(
    train: MemberRows, train_idx: np.ndarray, factory: PipelineFactory, folds: int
) -> pa.Table | None:
    """Each training row's score from a model fit on the other ``folds - 1`` folds
    (scikit-learn's KFold, shuffled with ``split.seed``, over the training rows ``train``, at
    ``train_idx`` among the member's rows); None when a fold cannot be fit (too few rows, one
    class): then the member has no out-of-fold scores."""
    from sklearn.model_selection import KFold

    vc = factory.vc
    if len(train_idx) < folds:
        return None
    y = train.label
    out = np.full(len(train_idx), np.nan)
    splitter = KFold(n_splits=folds, shuffle=True, random_state=vc.typed.split.seed)
    for fit_at, score_at in splitter.split(np.zeros(len(train_idx))):
        if len(np.unique(y[fit_at])) < 2:
            return None
        if factory.hook is not None:
            model = factory.hook(
                train.frame.take(fit_at), train.frame.take(score_at), dict(vc.typed.params)
            )
        else:
            model = factory.new()
            model.fit(train.features.take(fit_at), y[fit_at])
        out[score_at] = np.asarray(model.predict_proba(train.features.take(score_at)))[:, 1]
    return _scores_table(train_idx, y, out)
