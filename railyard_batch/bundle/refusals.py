"""What each step's input validation refuses in scikit-learn, recorded in its document (``refuses``).

Measured with scikit-learn 1.9 (every supported step, inputs ±inf, 1e39, float32's
largest value and the values around its rounding boundary, NaN):

- ``SimpleImputer``, ``StandardScaler``, ``MinMaxScaler``, ``OneHotEncoder`` and
  ``OrdinalEncoder`` (numeric input) and ``LogisticRegression`` validate with
  ``check_array(ensure_all_finite=...)`` in float64: ±inf raises ("Input X contains
  infinity or a value too large for dtype('float64')"); any finite float64 passes.
- DecisionTree / RandomForest / ExtraTrees cast ``X`` to float32 first: a value whose
  float32 rounding is infinite (|x| ≥ 3.4028235677973366e38, the midpoint above float32's
  largest value) raises, as does ±inf.
- HistGradientBoosting, XGBoost, identity ``FunctionTransformer`` and the composites
  accept ±inf (the trees route it like any large number).
- NaN is refused where the estimator's ``allow_nan`` tag is False (``LogisticRegression``;
  ``SimpleImputer(missing_values=None)``, which refuses NaN strings).

The JVM checks the same before the step runs and throws ``RefusedInputException``.
The parity vectors hold rows with these values and the refusal Python gave for them, so a
change in scikit-learn's validation fails the vectors test.
"""

from __future__ import annotations

from typing import Any

from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import get_tags

FINITE_FLOAT64: tuple[type, ...] = (
    SimpleImputer,
    StandardScaler,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    LogisticRegression,
)
FINITE_FLOAT32: tuple[type, ...] = (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
)


def refusals(step: Any) -> dict[str, bool] | None:
    """``{"nan", "infinite", "float32_overflow"}`` for a leaf step; None when it refuses nothing."""
    exact = type(step)
    if exact not in FINITE_FLOAT64 and exact not in FINITE_FLOAT32:
        return None  # validates nothing itself (composites, identity, HGB, XGBoost)
    nan = not get_tags(step).input_tags.allow_nan
    return {"nan": nan, "infinite": True, "float32_overflow": exact in FINITE_FLOAT32}
