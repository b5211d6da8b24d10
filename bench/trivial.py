"""Train hooks that do (almost) nothing, so that a benchmark measures the platform's cost of a
member and not a model's.

- :func:`train`: the class prior as a model, computed from the label alone. The platform still
  does all of its own work for the member (its rows cut, its split, the holdout scored and its
  metrics, the model pickled and hashed, its files written, its row recorded, its log lines),
  and the user code costs next to nothing, as Hydra's task in ``bench.launch_overhead`` does.
- :func:`train_dummy`: scikit-learn's ``DummyClassifier(strategy="prior")`` fit on one column.
  The same model, but scikit-learn's input checks and pandas' column selection cost more
  than the platform's own work for a member (about 40% of a member measured at 5,000 members),
  so it measures user code as much as launch overhead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


class Prior:
    """Scores every row with the training label's mean (the positive class's prior)."""

    def __init__(self, positive_rate: float) -> None:
        self.positive_rate = positive_rate

    def predict_proba(self, x: Any) -> np.ndarray:
        out = np.empty((len(x), 2))
        out[:, 0] = 1.0 - self.positive_rate
        out[:, 1] = self.positive_rate
        return out


def train(train_df: pd.DataFrame, holdout_df: pd.DataFrame, params: dict[str, Any]) -> Prior:
    return Prior(float(train_df["is_fraud"].to_numpy().mean()))


def train_dummy(train_df: pd.DataFrame, holdout_df: pd.DataFrame, params: dict[str, Any]) -> Any:
    from sklearn.dummy import DummyClassifier

    return DummyClassifier(strategy="prior").fit(train_df[["amount"]], train_df["is_fraud"])
