"""The parity cases: small synthetic data and one fitted pipeline per supported component.

Each case fits a pipeline on a seeded frame and names the holdout rows the JVM must
reproduce, including NaN, unseen categories and extreme values. Missing strings are
``None`` (what parquet read into object columns and hand-built frames give) and/or
``NaN`` (what read_csv gives), which scikit-learn treats differently: cases train on
both kinds (default), or on ``None`` only; every holdout holds both kinds. ``exact`` cases must
match bit for bit; the others within ``TOLERANCE``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from xgboost import XGBClassifier, XGBRegressor

from . import parity_corpus

TOLERANCE = 1e-9
NUMERIC = ["amount", "hour"]
CATEGORICAL = ["merchant_id", "country", "card_brand", "channel"]
# conf/features/transactions.yaml (fraud_v3); merchant_id is in the frame but dropped
FRAUD_V3_NUMERIC = ["amount", "hour", "account_age_days", "prev_txn_24h"]
FRAUD_V3_CATEGORICAL = ["country", "card_brand", "channel"]
TARGETS = {"label": "is_fraud", "multiclass": "risk_band", "regression": "loss"}


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], BaseEstimator]
    target: str  # "label", "multiclass", "regression" or "none" (transformers)
    exact: bool  # bit-exact expected (trees, transformers); else within TOLERANCE
    unseen_categories: bool = True  # holdout may contain categories not seen in training
    # missing strings in training: "mixed" (None and NaN), "none", "nan"
    string_missing: str = "mixed"
    # "fraud" (fraud_frame) or "corpus" (parity_corpus: other columns, dtypes and missing kinds)
    data: str = "fraud"
    tolerance: float = TOLERANCE  # for cases that are not exact


def fraud_frame(n: int, seed: int, string_missing: str = "mixed") -> pd.DataFrame:
    """Fraud-like rows: amount (float, NaN), hour (int), merchant/country/brand/channel (str, missing).

    ``string_missing``: a missing string is ``None`` ("none"), ``NaN`` ("nan"), or ``None``
    on even and ``NaN`` on odd row numbers ("mixed").
    """
    if string_missing not in ("mixed", "none", "nan"):
        raise ValueError(f"string_missing must be mixed, none or nan. Got {string_missing!r}.")
    rng = np.random.default_rng(seed)
    amount = np.round(rng.lognormal(3.0, 1.2, n), 2)
    amount[rng.random(n) < 0.08] = np.nan
    hour = rng.integers(0, 24, n)
    prev = rng.poisson(2.0, n).astype(np.float64)
    prev[rng.random(n) < 0.03] = np.nan
    frame = pd.DataFrame(
        {
            "amount": amount,
            "hour": hour,
            "account_age_days": rng.integers(0, 3650, n),
            "prev_txn_24h": prev,
            "merchant_id": rng.choice([f"m{i:02d}" for i in range(30)], n),
            "country": rng.choice(
                ["US", "GB", "DE", "FR", "BR", "IN"], n, p=[0.4, 0.2, 0.15, 0.1, 0.1, 0.05]
            ),
            "card_brand": rng.choice(["visa", "mc", "amex"], n),
            "channel": rng.choice(["web", "app", "pos"], n),
        }
    )
    even = np.arange(n) % 2 == 0
    for col in CATEGORICAL:
        frame[col] = frame[col].astype(object)
        missing = rng.random(n) < 0.05
        frame.loc[missing, col] = np.nan
        if string_missing == "none" or string_missing == "mixed":
            as_none = missing if string_missing == "none" else missing & even
            frame.loc[as_none, col] = None
    amt = np.nan_to_num(amount, nan=40.0)
    logit = 0.02 * amt - 2.0 + 0.9 * (frame["country"] == "BR") + 0.7 * (frame["channel"] == "web")
    frame["is_fraud"] = (rng.random(n) < 1 / (1 + np.exp(-logit.to_numpy()))).astype(int)
    frame["risk_band"] = np.where(amt > 60, "high", np.where(amt > 15, "mid", "low"))
    frame["loss"] = amt * (0.5 + 0.1 * hour) + rng.normal(0, 5, n)
    return frame


def holdout_frame(n: int, seed: int, unseen: bool) -> pd.DataFrame:
    """Random rows (None and NaN strings) plus edge rows: all-NaN, all-None, extreme and
    signed-zero amounts, unseen categories."""
    frame = fraud_frame(n, seed).drop(columns=list(TARGETS.values()))
    edges: list[dict[str, Any]] = [
        {
            "amount": np.nan,
            "hour": 0,
            "merchant_id": np.nan,
            "country": np.nan,
            "card_brand": np.nan,
            "channel": np.nan,
        },
        {
            "amount": np.nan,
            "hour": 4,
            "merchant_id": None,
            "country": None,
            "card_brand": None,
            "channel": None,
        },
        {
            "amount": 1e30,
            "hour": 23,
            "merchant_id": "m01",
            "country": "US",
            "card_brand": "visa",
            "channel": "web",
        },
        {
            "amount": -1e30,
            "hour": 0,
            "merchant_id": "m02",
            "country": "BR",
            "card_brand": "mc",
            "channel": "app",
        },
        {
            "amount": 0.0,
            "hour": 12,
            "merchant_id": "m03",
            "country": "GB",
            "card_brand": "amex",
            "channel": "pos",
        },
        {
            "amount": -0.0,
            "hour": 5,
            "merchant_id": "m04",
            "country": "DE",
            "card_brand": "visa",
            "channel": "web",
        },
        {
            "amount": 5e-324,
            "hour": 1,
            "merchant_id": "m05",
            "country": "FR",
            "card_brand": "mc",
            "channel": "app",
        },
        {
            "amount": 1234567.891,
            "hour": 22,
            "merchant_id": "m06",
            "country": "IN",
            "card_brand": "amex",
            "channel": "pos",
        },
    ]
    # what scikit-learn's input validation refuses (railyard_batch/bundle/refusals.py):
    # ±inf everywhere it validates, float32 overflow in sklearn's trees; float32's largest
    # value passes
    for amount, prev in [
        (np.inf, 1.0),
        (-np.inf, 1.0),
        (1e39, 1.0),
        (3.4028234663852886e38, 2.0),
        (3.4028235677973366e38, 1.0),  # rounds to float32 inf (the midpoint, ties to even)
        (10.0, -np.inf),
    ]:
        edges.append(
            {
                "amount": amount,
                "hour": 9,
                "merchant_id": "m07",
                "country": "US",
                "card_brand": "visa",
                "channel": "app",
                "prev_txn_24h": prev,
            }
        )
    if unseen:
        edges += [
            {
                "amount": 10.0,
                "hour": 3,
                "merchant_id": "m999",
                "country": "ZZ",
                "card_brand": "discover",
                "channel": "phone",
            },
            {
                "amount": np.nan,
                "hour": 7,
                "merchant_id": "",
                "country": "us",
                "card_brand": "VISA",
                "channel": "Web",
            },
        ]
    for i, row in enumerate(edges):
        row.setdefault("account_age_days", [0, 1, 3649, 100000][i % 4])
        row.setdefault("prev_txn_24h", [0.0, 1e30, -1.0, 7.0][i % 4])
    extra = pd.DataFrame(edges)
    for col in CATEGORICAL:
        extra[col] = pd.Series([row[col] for row in edges], dtype=object)  # keeps None
    out = pd.concat([frame, extra], ignore_index=True)
    out["hour"] = out["hour"].astype(np.int64)
    out["account_age_days"] = out["account_age_days"].astype(np.int64)
    return out


def _ct(*parts: tuple[str, Any, list[str]], remainder: str = "drop", **kw: Any) -> Pipeline:
    return Pipeline([("ct", ColumnTransformer(list(parts), remainder=remainder, **kw))])


def _fraud(model: BaseEstimator, *, sparse_threshold: float = 0.3) -> Pipeline:
    """The project's training pipeline (fraud_v3)."""
    num = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    cat = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
            ("onehot", OneHotEncoder(handle_unknown="ignore")),
        ]
    )
    pre = ColumnTransformer(
        [("num", num, NUMERIC), ("cat", cat, CATEGORICAL)],
        remainder="drop",
        sparse_threshold=sparse_threshold,
    )
    return Pipeline([("preprocess", pre), ("model", model)])


def _numeric_with_nan(model: BaseEstimator) -> Pipeline:
    """Raw numeric columns (NaN kept) plus ordinal-encoded categories: exercises NaN routing in trees."""
    enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    return Pipeline(
        [
            (
                "pre",
                ColumnTransformer(
                    [("num", "passthrough", NUMERIC), ("cat", enc, ["country", "channel"])]
                ),
            ),
            ("model", model),
        ]
    )


def _ohe(**kw: Any) -> Pipeline:
    return _ct(
        ("ohe", OneHotEncoder(sparse_output=False, **kw), ["country", "card_brand", "channel"])
    )


CASES: list[Case] = [
    Case("impute_mean", lambda: _ct(("i", SimpleImputer(strategy="mean"), NUMERIC)), "none", True),
    Case(
        "impute_median", lambda: _ct(("i", SimpleImputer(strategy="median"), NUMERIC)), "none", True
    ),
    Case(
        "impute_most_frequent_number",
        lambda: _ct(("i", SimpleImputer(strategy="most_frequent"), NUMERIC)),
        "none",
        True,
    ),
    Case(
        "impute_constant_number",
        lambda: _ct(("i", SimpleImputer(strategy="constant", fill_value=-1.5), NUMERIC)),
        "none",
        True,
    ),
    Case(
        "impute_most_frequent_string",
        lambda: _ct(
            (
                "c",
                Pipeline(
                    [
                        ("i", SimpleImputer(strategy="most_frequent")),
                        ("e", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)),
                    ]
                ),
                CATEGORICAL,
            )
        ),
        "none",
        True,
    ),
    Case(
        "impute_constant_string",
        lambda: _ct(
            (
                "c",
                Pipeline(
                    [
                        ("i", SimpleImputer(strategy="constant", fill_value="missing")),
                        ("e", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                CATEGORICAL,
            )
        ),
        "none",
        True,
    ),
    Case("standard_scaler", lambda: _ct(("s", StandardScaler(), NUMERIC)), "none", True),
    Case(
        "standard_scaler_no_mean",
        lambda: _ct(("s", StandardScaler(with_mean=False), NUMERIC)),
        "none",
        True,
    ),
    Case(
        "min_max_scaler",
        lambda: _ct(("s", MinMaxScaler(feature_range=(-1, 2)), NUMERIC)),
        "none",
        True,
    ),
    Case("min_max_scaler_clip", lambda: _ct(("s", MinMaxScaler(clip=True), NUMERIC)), "none", True),
    Case("one_hot_ignore_missing_category", lambda: _ohe(handle_unknown="ignore"), "none", True),
    Case(
        "one_hot_error", lambda: _ohe(handle_unknown="error"), "none", True, unseen_categories=False
    ),
    Case(
        "one_hot_infrequent",
        lambda: _ohe(handle_unknown="infrequent_if_exist", min_frequency=40),
        "none",
        True,
    ),
    Case(
        "one_hot_max_categories",
        lambda: _ohe(handle_unknown="infrequent_if_exist", max_categories=3),
        "none",
        True,
    ),
    Case("one_hot_drop_first", lambda: _ohe(handle_unknown="ignore", drop="first"), "none", True),
    Case(
        "one_hot_drop_if_binary",
        lambda: _ohe(handle_unknown="ignore", drop="if_binary"),
        "none",
        True,
    ),
    Case(
        "one_hot_numeric",
        lambda: _ct(("h", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["hour"])),
        "none",
        True,
    ),
    Case(
        "ordinal",
        lambda: _ct(("o", OrdinalEncoder(), ["country", "card_brand", "channel"])),
        "none",
        True,
        unseen_categories=False,
    ),
    Case(
        "ordinal_unknown_value",
        lambda: _ct(
            (
                "o",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value", unknown_value=-7, encoded_missing_value=-9
                ),
                CATEGORICAL,
            )
        ),
        "none",
        True,
    ),
    Case(
        "column_transformer_remainder_passthrough",
        lambda: _ct(
            ("s", StandardScaler(), ["amount"]),
            ("d", "drop", CATEGORICAL),
            ("p", "passthrough", ["amount"]),
            remainder="passthrough",
        ),
        "none",
        True,
        unseen_categories=False,
    ),
    Case(
        "logistic_regression_dense",
        lambda: _fraud(LogisticRegression(max_iter=2000), sparse_threshold=0.0),
        "label",
        False,
    ),
    Case(
        "logistic_regression_multiclass",
        lambda: _fraud(LogisticRegression(max_iter=2000)),
        "multiclass",
        False,
    ),
    Case(
        "decision_tree_classifier_nan",
        lambda: _numeric_with_nan(DecisionTreeClassifier(max_depth=8, random_state=0)),
        "label",
        True,
    ),
    Case(
        "decision_tree_regressor_nan",
        lambda: _numeric_with_nan(DecisionTreeRegressor(max_depth=8, random_state=0)),
        "regression",
        True,
    ),
    Case(
        "random_forest_classifier_nan",
        lambda: _numeric_with_nan(
            RandomForestClassifier(n_estimators=15, max_depth=8, random_state=0)
        ),
        "label",
        True,
    ),
    Case(
        "random_forest_classifier_multiclass",
        lambda: _fraud(RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0)),
        "multiclass",
        True,
    ),
    Case(
        "random_forest_regressor_nan",
        lambda: _numeric_with_nan(
            RandomForestRegressor(n_estimators=15, max_depth=8, random_state=0)
        ),
        "regression",
        True,
    ),
    Case(
        "extra_trees_classifier",
        lambda: _fraud(ExtraTreesClassifier(n_estimators=10, max_depth=8, random_state=0)),
        "label",
        True,
    ),
    # bit-exact: scipy's expit calls glibc's exp, which the JVM's Float64Exp reproduces
    Case(
        "hist_gradient_boosting_classifier_nan",
        lambda: _numeric_with_nan(HistGradientBoostingClassifier(max_iter=40, random_state=0)),
        "label",
        True,
    ),
    Case(
        "hist_gradient_boosting_regressor_nan",
        lambda: _numeric_with_nan(HistGradientBoostingRegressor(max_iter=40, random_state=0)),
        "regression",
        True,
    ),
    Case(
        "xgb_classifier_dense_nan",
        lambda: _numeric_with_nan(
            XGBClassifier(n_estimators=40, max_depth=4, n_jobs=1, random_state=0)
        ),
        "label",
        True,
    ),
    Case(
        "xgb_regressor_dense_nan",
        lambda: _numeric_with_nan(
            XGBRegressor(n_estimators=40, max_depth=4, n_jobs=1, random_state=0)
        ),
        "regression",
        True,
    ),
    Case(
        "xgb_classifier_dense_fraud",
        lambda: _fraud(
            XGBClassifier(n_estimators=40, max_depth=4, n_jobs=1, random_state=0),
            sparse_threshold=0.0,
        ),
        "label",
        True,
    ),
    Case(
        "fraud_v3_logistic_regression",
        lambda: _fraud(LogisticRegression(C=1.0, max_iter=500)),
        "label",
        False,
    ),
    Case(
        "fraud_v3_random_forest",
        lambda: _fraud(
            RandomForestClassifier(
                n_estimators=40, max_depth=8, min_samples_leaf=20, max_samples=0.1, random_state=0
            )
        ),
        "label",
        True,
    ),
    Case(
        "fraud_v3_xgb_classifier",
        lambda: _fraud(
            XGBClassifier(
                n_estimators=150,
                max_depth=5,
                learning_rate=0.1,
                tree_method="hist",
                n_jobs=1,
                random_state=0,
            )
        ),
        "label",
        True,
    ),
    Case(
        "fraud_v3_xgb_regressor",
        lambda: _fraud(
            XGBRegressor(
                n_estimators=150,
                max_depth=5,
                learning_rate=0.1,
                tree_method="hist",
                n_jobs=1,
                random_state=0,
            )
        ),
        "regression",
        True,
    ),
]


# Trained on None-only missing strings (an object column read from parquet or built by
# hand), scored on None and NaN: the imputers pass None through and the encoders learn it
# as a category of its own, so a NaN at scoring time is another value (issue 17).
_NONE_STRINGS = [
    "impute_constant_string",
    "one_hot_ignore_missing_category",
    "ordinal_unknown_value",
    "logistic_regression_multiclass",
    "random_forest_regressor_nan",
    "hist_gradient_boosting_classifier_nan",
    "hist_gradient_boosting_regressor_nan",
    "fraud_v3_logistic_regression",
    "fraud_v3_xgb_classifier",
    "fraud_v3_xgb_regressor",
]
CASES += [
    dataclasses.replace(c, name=f"{c.name}_none_strings", string_missing="none")
    for c in CASES
    if c.name in _NONE_STRINGS
]


def fit_case(case: Case, n_train: int = 800, seed: int = 1) -> tuple[BaseEstimator, pd.DataFrame]:
    """The fitted pipeline and its training inputs (used as the input schema)."""
    if case.data == "corpus":
        frame = parity_corpus.corpus_frame(n_train, seed + 100)
        targets = parity_corpus.TARGETS
    else:
        frame = fraud_frame(n_train, seed, case.string_missing)
        targets = TARGETS
    inputs = frame.drop(columns=list(targets.values()))
    pipe = case.build()
    if case.target == "none":
        pipe.fit(inputs)
    else:
        pipe.fit(inputs, frame[targets[case.target]])
    return pipe, inputs


def case_holdout(case: Case, n: int, seed: int) -> pd.DataFrame:
    """The holdout rows of a case: its generator's random rows plus edge rows."""
    if case.data == "corpus":
        return parity_corpus.corpus_inputs(n, seed + 100)
    return holdout_frame(n, seed, case.unseen_categories)


# -- the parity corpus (parity_corpus.py): not the project's data, every supported model
LINEAR_TOLERANCE = 1e-12
_C_NUM, _C_CAT = parity_corpus.NUMERIC, parity_corpus.CATEGORICAL


def _corpus_onehot(model: BaseEstimator, *, sparse_threshold: float = 0.3) -> Pipeline:
    num = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    cat = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="(none)")),
            ("onehot", OneHotEncoder(handle_unknown="ignore")),
        ]
    )
    pre = ColumnTransformer(
        [("num", num, _C_NUM), ("cat", cat, _C_CAT)], sparse_threshold=sparse_threshold
    )
    return Pipeline([("pre", pre), ("model", model)])


def _corpus_raw(model: BaseEstimator) -> Pipeline:
    """float64/bool numbers passed through with their NaN, the nullable ones (pd.NA, which a
    passthrough refuses) imputed, categories ordinal-encoded (None its own code)."""
    enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    pre = ColumnTransformer(
        [
            ("num", "passthrough", ["usage_gb", "is_annual"]),
            ("nullable", SimpleImputer(strategy="median"), ["latency_ms", "logins_30d"]),
            ("cat", enc, _C_CAT),
        ]
    )
    return Pipeline([("pre", pre), ("model", model)])


_XGB = {"n_estimators": 60, "max_depth": 4, "n_jobs": 1, "random_state": 3, "tree_method": "hist"}
CORPUS_CASES: list[Case] = [
    Case(
        "corpus_hist_gradient_boosting_classifier",
        lambda: _corpus_raw(HistGradientBoostingClassifier(max_iter=50, random_state=3)),
        "label",
        True,
    ),
    Case(
        "corpus_hist_gradient_boosting_regressor",
        lambda: _corpus_raw(HistGradientBoostingRegressor(max_iter=50, random_state=3)),
        "regression",
        True,
    ),
    Case(
        "corpus_random_forest_regressor",
        lambda: _corpus_raw(RandomForestRegressor(n_estimators=20, max_depth=9, random_state=3)),
        "regression",
        True,
    ),
    Case("corpus_xgb_regressor", lambda: _corpus_onehot(XGBRegressor(**_XGB)), "regression", True),
    Case("corpus_xgb_classifier", lambda: _corpus_onehot(XGBClassifier(**_XGB)), "label", True),
    Case("corpus_xgb_classifier_raw", lambda: _corpus_raw(XGBClassifier(**_XGB)), "label", True),
    Case(
        "corpus_logistic_regression_multinomial",
        lambda: _corpus_onehot(LogisticRegression(max_iter=3000)),
        "multiclass",
        False,
    ),
    Case(
        "corpus_logistic_regression_binary",
        lambda: _corpus_onehot(LogisticRegression(C=0.5, max_iter=3000), sparse_threshold=0.0),
        "label",
        False,
    ),
    Case(
        "corpus_decision_tree_classifier",
        lambda: _corpus_raw(DecisionTreeClassifier(max_depth=10, random_state=3)),
        "label",
        True,
    ),
    Case(
        "corpus_random_forest_classifier_multiclass",
        lambda: _corpus_onehot(RandomForestClassifier(n_estimators=15, random_state=3)),
        "multiclass",
        True,
    ),
    Case(
        "corpus_extra_trees_regressor",
        lambda: _corpus_onehot(ExtraTreesRegressor(n_estimators=15, max_depth=8, random_state=3)),
        "regression",
        True,
    ),
]
CORPUS_CASES = [
    dataclasses.replace(
        c, data="corpus", tolerance=TOLERANCE if "hist" in c.name else LINEAR_TOLERANCE
    )
    for c in CORPUS_CASES
]
CASES += CORPUS_CASES


# -- compositions (bundle/composite.py): a global model and per-merchant models in one bundle.
# Trees only, so that the members' bytes (and the directories named by their hashes) are the
# same on every CPU; the holdout's edge rows route m01-m03 to their own model and send
# m999, "", None and NaN merchants to the fallback.
@dataclass(frozen=True)
class CompositeCase:
    name: str
    kind: str  # "route", "blend" or "stack"
    member_weight: float
    # a stack's fit (given here, not fit: the case is about the arithmetic)
    stack: dict[str, float] | None = None


COMPOSITE_CASES = [
    CompositeCase("composite_route_fraud", "route", 1.0),
    CompositeCase("composite_blend_fraud", "blend", 0.3),
    CompositeCase(
        "composite_stack_fraud",
        "stack",
        1.0,
        {"coef_own": 0.8125, "coef_global": 0.4375, "intercept": -0.21875},
    ),
]
COMPOSITE_ROUTE_BY = "merchant_id"


def fit_composite_members(
    n_train: int = 3000, seed: int = 11
) -> tuple[BaseEstimator, dict[str, BaseEstimator], pd.DataFrame]:
    """The fallback (fit on every row), the members by merchant (fit on that merchant's rows)
    and the training inputs (the input schema)."""
    frame = fraud_frame(n_train, seed)
    inputs = frame.drop(columns=list(TARGETS.values()))
    y = frame[TARGETS["label"]]
    fallback = _fraud(XGBClassifier(n_estimators=30, max_depth=3, n_jobs=1, random_state=0))
    fallback.fit(inputs, y)
    models: dict[str, BaseEstimator] = {
        "m01": RandomForestClassifier(n_estimators=10, max_depth=5, random_state=0),
        "m02": XGBClassifier(n_estimators=15, max_depth=2, n_jobs=1, random_state=1),
        "m03": RandomForestClassifier(n_estimators=8, max_depth=4, random_state=2),
    }
    members = {}
    for merchant, model in models.items():
        rows = (inputs[COMPOSITE_ROUTE_BY] == merchant).to_numpy()
        members[merchant] = _fraud(model).fit(inputs[rows], y[rows])
    return fallback, members, inputs
