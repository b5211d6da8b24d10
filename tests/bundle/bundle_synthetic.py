"""Small synthetic fraud-like data and the pipelines railyard-batch trains."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["amount", "hour"]
CATEGORICAL = ["merchant_id", "country", "card_brand", "channel"]


def fraud_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    amount = np.round(rng.lognormal(3.0, 1.2, n), 2)
    amount[rng.random(n) < 0.08] = np.nan
    hour = rng.integers(0, 24, n)
    merchants = np.array([f"m{i:03d}" for i in range(40)], dtype=object)
    frame = pd.DataFrame(
        {
            "amount": amount,
            "hour": hour,
            "merchant_id": rng.choice(merchants, n),
            "country": rng.choice(np.array(["US", "GB", "DE", "FR", "BR", "IN"], dtype=object), n),
            "card_brand": rng.choice(np.array(["visa", "mc", "amex"], dtype=object), n),
            "channel": rng.choice(np.array(["web", "app", "pos"], dtype=object), n),
        }
    )
    for col in ("country", "card_brand", "channel", "merchant_id"):
        frame.loc[rng.random(n) < 0.05, col] = np.nan
    logit = (
        0.02 * np.nan_to_num(amount, nan=50.0)
        - 2.5
        + 0.8 * (frame["country"] == "BR").to_numpy()
        + 0.6 * (frame["channel"] == "web").to_numpy()
        + 0.05 * (hour < 5)
    )
    frame["is_fraud"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


def fraud_pipeline(estimator: Any) -> Pipeline:
    """The project's training pipeline shape (see the fraud_v3 configs)."""
    return Pipeline(
        [
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
                            NUMERIC,
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
                    ],
                    remainder="drop",
                ),
            ),
            ("model", estimator),
        ]
    )
