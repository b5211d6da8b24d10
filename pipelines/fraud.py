"""Example user code for the fraud experiments.

``train`` is a hook (``hook=pipelines.fraud:train``): the platform fetches and splits the data
and calls it; it returns a fitted estimator that scores ``holdout_df``'s feature columns.
``log_amount_features`` builds a feature transformer (``features.transformer._target_``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["amount", "hour", "account_age_days", "prev_txn_24h"]
CATEGORICAL = ["country", "card_brand", "channel"]


def train(train_df: pd.DataFrame, holdout_df: pd.DataFrame, params: dict[str, Any]) -> Pipeline:
    """Class-weighted logistic regression on log-amount; ``params.C`` sets its strength."""
    if params.get("fail_on_merchant") is not None and (
        train_df.get("merchant_id") is not None
        and (train_df["merchant_id"] == params["fail_on_merchant"]).all()
    ):
        raise RuntimeError(f"refusing merchant {params['fail_on_merchant']} (test hook)")
    model = Pipeline(
        [
            ("preprocess", log_amount_features()),
            (
                "model",
                LogisticRegression(
                    C=float(params.get("C", 1.0)), class_weight="balanced", max_iter=500
                ),
            ),
        ]
    )
    return model.fit(train_df[NUMERIC + CATEGORICAL], train_df["is_fraud"])


def log_amount_features() -> Pipeline:
    """A complete feature transformer: ``features.transformer={_target_:
    pipelines.fraud.log_amount_features}`` replaces the default preprocessing with it."""
    return Pipeline(
        [
            ("features", AmountFeatures()),
            (
                "preprocess",
                ColumnTransformer(
                    [
                        (
                            "num",
                            Pipeline(
                                [
                                    ("impute", SimpleImputer(strategy="median")),
                                    ("scale", StandardScaler()),
                                ]
                            ),
                            [*NUMERIC, "log_amount"],
                        ),
                        (
                            "cat",
                            Pipeline(
                                [
                                    (
                                        "impute",
                                        SimpleImputer(strategy="constant", fill_value="missing"),
                                    ),
                                    ("onehot", OneHotEncoder(handle_unknown="ignore")),
                                ]
                            ),
                            CATEGORICAL,
                        ),
                    ]
                ),
            ),
        ]
    )


class AmountFeatures(TransformerMixin, BaseEstimator):
    """Adds ``log_amount``; keeps every input column."""

    def __init__(self, *, column: str = "amount") -> None:
        self.column = column

    def fit(self, X: pd.DataFrame, y: Any = None) -> AmountFeatures:
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = X.copy()
        out["log_amount"] = np.log1p(out[self.column].astype(float))
        return out
