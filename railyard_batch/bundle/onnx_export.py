"""ONNX export (skl2onnx + onnxmltools) and its parity gate, for users who ask for ONNX.

The pipeline's inputs become one ONNX input per column: ``float`` for number columns
(skl2onnx's default precision; the float64 tree path does not load in onnxruntime, see
the notes) and ``string`` for string columns, with missing strings fed as "" (ONNX
string tensors have no missing value; string imputers are converted with
``missing_values=""`` accordingly). XGBoost models are registered with onnxmltools'
converter and ``ai.onnx.ml`` opset 3; classifiers have ``zipmap=False``. The gate
records how far onnxruntime is from Python, so users see which route is exact.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from copy import deepcopy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline

from .errors import BundleError, UnsupportedStepError
from .parity import DEFAULT_TOLERANCE, ParityResult, compare
from .python_scores import python_outcomes

TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


def _register_xgboost() -> None:
    from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )
    from xgboost import XGBClassifier, XGBRegressor

    update_registered_converter(
        XGBClassifier,
        "XGBoostXGBClassifier",
        calculate_linear_classifier_output_shapes,
        convert_xgboost,
        options={"nocl": [True, False], "zipmap": [True, False, "columns"]},
    )
    update_registered_converter(
        XGBRegressor,
        "XGBoostXGBRegressor",
        calculate_linear_regressor_output_shapes,
        convert_xgboost,
    )


def export_onnx(
    pipeline: BaseEstimator, path: str | Path, *, input_schema: Mapping[str, str] | pd.DataFrame
) -> Path:
    """Convert ``pipeline`` to ONNX at ``path``; UnsupportedStepError when the converters refuse."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    _register_xgboost()
    types = _types(pipeline, input_schema)
    initial = [
        (c, FloatTensorType([None, 1]) if t == "number" else StringTensorType([None, 1]))
        for c, t in types.items()
    ]
    pipeline = _with_empty_string_missing(pipeline)
    final = pipeline.steps[-1][1] if isinstance(pipeline, Pipeline) else pipeline
    options = {id(final): {"zipmap": False}} if is_classifier(final) else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = convert_sklearn(
                pipeline, initial_types=initial, target_opset=TARGET_OPSET, options=options
            )
    except Exception as exc:  # the converters raise many unrelated types
        first_line = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise UnsupportedStepError(
            "pipeline",
            f"the ONNX converters refused it ({type(exc).__name__}: {first_line})",
            ["see skl2onnx"],
        ) from exc
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(model.SerializeToString())
    return out


def _with_empty_string_missing(pipeline: BaseEstimator) -> BaseEstimator:
    """A copy whose string SimpleImputers treat "" as missing.

    skl2onnx cannot convert a string imputer with ``missing_values=NaN``
    (onnx/sklearn-onnx#980); the ONNX inputs carry missing strings as "" instead.
    """
    copy = deepcopy(pipeline)
    for est in _walk(copy):
        strings = isinstance(est, SimpleImputer) and est.statistics_.dtype.kind == "O"
        if strings and all(isinstance(s, str) for s in est.statistics_):
            est.missing_values = ""
    return copy


def _walk(est: Any) -> list[Any]:
    found = [est]
    if isinstance(est, Pipeline):
        for _, step in est.steps:
            found += _walk(step)
    elif isinstance(est, ColumnTransformer):
        for _, trans, _ in est.transformers_:
            found += _walk(trans)
    return found


def onnx_inputs(frame: pd.DataFrame, types: Mapping[str, str]) -> dict[str, np.ndarray]:
    """Feed dict for onnxruntime: float32 columns (NaN kept), string columns ("" for missing)."""
    feeds = {}
    for c, t in types.items():
        if t == "number":
            with np.errstate(over="ignore"):  # beyond float32: inf, as the converted graph sees it
                feeds[c] = frame[c].to_numpy(dtype=np.float64).astype(np.float32).reshape(-1, 1)
        else:
            values = [
                "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                for v in frame[c]
            ]
            feeds[c] = np.asarray(values, dtype=object).reshape(-1, 1)
    return feeds


def onnx_parity_gate(
    pipeline: BaseEstimator,
    onnx_path: str | Path,
    holdout: pd.DataFrame,
    *,
    input_schema: Mapping[str, str] | pd.DataFrame,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ParityResult:
    """Score ``holdout`` in Python and with onnxruntime; compare like the JVM gate does."""
    import onnxruntime as ort

    types = _types(pipeline, input_schema)
    py_labels, py_scores, py_refused = python_outcomes(pipeline, holdout)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    try:
        outputs = session.run(None, onnx_inputs(holdout, types))
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidArgument types
        n = py_scores.shape[0]
        return ParityResult(
            "onnx", False, n, None, float("inf"), 0, n, tolerance, f"onnxruntime failed: {exc}"
        )
    names = [o.name for o in session.get_outputs()]
    if py_labels is not None:
        labels = [_plain(v) for v in np.asarray(outputs[names.index("label")]).ravel()]
        scores = np.asarray(outputs[names.index("probabilities")], dtype=np.float64)
    else:
        labels = None
        scores = np.asarray(outputs[0], dtype=np.float64).reshape(py_scores.shape)
    return compare(
        "onnx",
        py_labels,
        py_scores,
        labels,
        list(scores),
        tolerance=tolerance,
        py_refused=py_refused,
    )


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _types(pipeline: BaseEstimator, schema: Mapping[str, str] | pd.DataFrame) -> dict[str, str]:
    names = getattr(pipeline, "feature_names_in_", None)
    if names is None:
        raise BundleError(
            "The pipeline must be fitted on a pandas DataFrame (no feature_names_in_)."
        )
    if isinstance(schema, pd.DataFrame):
        return {
            str(c): "number" if pd.api.types.is_numeric_dtype(schema[c]) else "string"
            for c in names
        }
    return {str(c): schema[str(c)] for c in names}
