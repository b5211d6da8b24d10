"""Which exporter writes which estimator class, and the recursive ``export_step``."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

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
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from .context import ExportContext
from .errors import UnsupportedStepError
from .refusals import refusals
from .steps_compose import export_column_transformer, export_function_transformer, export_pipeline
from .steps_encode import export_one_hot_encoder, export_ordinal_encoder
from .steps_hist_gradient_boosting import export_hist_gradient_boosting
from .steps_impute import export_simple_imputer
from .steps_linear import export_logistic_regression
from .steps_scale import export_min_max_scaler, export_standard_scaler
from .steps_sklearn_trees import export_sklearn_trees
from .supported import SUPPORTED_STEPS

Exporter = Callable[[Any, str, ExportContext], dict[str, Any]]


def _exporters() -> dict[type, Exporter]:
    table: dict[type, Exporter] = {
        SimpleImputer: export_simple_imputer,
        StandardScaler: export_standard_scaler,
        MinMaxScaler: export_min_max_scaler,
        OneHotEncoder: export_one_hot_encoder,
        OrdinalEncoder: export_ordinal_encoder,
        FunctionTransformer: export_function_transformer,
        LogisticRegression: export_logistic_regression,
        DecisionTreeClassifier: export_sklearn_trees,
        DecisionTreeRegressor: export_sklearn_trees,
        RandomForestClassifier: export_sklearn_trees,
        RandomForestRegressor: export_sklearn_trees,
        ExtraTreesClassifier: export_sklearn_trees,
        ExtraTreesRegressor: export_sklearn_trees,
        HistGradientBoostingClassifier: export_hist_gradient_boosting,
        HistGradientBoostingRegressor: export_hist_gradient_boosting,
        Pipeline: partial(export_pipeline, export_step=export_step),
        ColumnTransformer: partial(export_column_transformer, export_step=export_step),
    }
    try:
        import xgboost as xgb

        from .steps_xgboost import export_xgboost

        table[xgb.XGBClassifier] = export_xgboost
        table[xgb.XGBRegressor] = export_xgboost
    except ImportError:  # pragma: no cover - xgboost is a project dependency
        pass
    return table


def export_step(step: Any, path: str, ctx: ExportContext) -> str:
    """Write the document(s) of ``step`` into ``ctx``; returns the step's document name.

    The class must match exactly: a subclass may override ``transform``/``predict``.
    """
    exporter = _exporters().get(type(step))
    if exporter is None:
        raise UnsupportedStepError(path, f"{type(step).__name__} has no exporter", SUPPORTED_STEPS)
    doc = exporter(step, path, ctx)
    refuses = refusals(step)
    if refuses is not None:
        doc["refuses"] = refuses
    return ctx.add(path, doc)
