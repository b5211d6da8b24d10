"""XGBClassifier / XGBRegressor → ``XGBoostTrees`` document (Java: ``models.XGBoostTrees``).

The trees are read from ``Booster.save_raw("ubj")``: thresholds and leaf values are
float32 bit patterns, written unchanged. XGBoost scores a row as

    x32    = float32(x)                                    (round to nearest)
    node   → left if x is missing ? default_left : x32 < split_condition
    margin = float32 base margin, then margin += leaf (float32), tree by tree in order
    binary:logistic  p = 1f / (1f + float32(exp(-margin)))  (all float32 operations)
    reg:squarederror y = margin

A value is missing when it is NaN, or, when the model's input matrix is scipy-sparse,
when it is 0 (entries a CSR matrix does not store are missing to XGBoost).

The base margin (``base_score`` after the objective's link, xgboost ≥ 2 estimates it)
is measured rather than recomputed: the same model with every leaf set to 0 predicts
exactly the base margin as float32.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import xgboost as xgb

from .context import ExportContext
from .encoding import encode_array
from .errors import UnsupportedStepError
from .steps_linear import class_labels
from .supported import SUPPORTED_STEPS
from .ubjson_reader import loads

_OBJECTIVES = {"binary:logistic": "sigmoid", "reg:squarederror": "identity"}


def export_xgboost(model: xgb.XGBModel, path: str, ctx: ExportContext) -> dict[str, Any]:
    """Binary logistic classifier or squared-error regressor, numeric splits only."""
    booster = model.get_booster()
    objective = json.loads(booster.save_config())["learner"]["objective"]["name"]
    if objective not in _OBJECTIVES:
        raise UnsupportedStepError(path, f"XGBoost objective {objective!r}", SUPPORTED_STEPS)
    if model.missing is not None and not (
        isinstance(model.missing, float) and math.isnan(model.missing)
    ):
        raise UnsupportedStepError(
            path, f"XGBoost missing={model.missing!r} (only NaN)", SUPPORTED_STEPS
        )
    learner = loads(booster.save_raw("ubj"))["learner"]
    gbm = learner["gradient_booster"]
    if gbm.get("name", "gbtree") != "gbtree":
        raise UnsupportedStepError(path, f"XGBoost booster {gbm.get('name')!r}", SUPPORTED_STEPS)
    params = learner["learner_model_param"]
    if int(params.get("num_class", "0")) > 1 or int(params.get("num_target", "1")) != 1:
        raise UnsupportedStepError(path, "multi-class or multi-target XGBoost", SUPPORTED_STEPS)
    all_trees = gbm["model"]["trees"]
    indptr = np.asarray(gbm["model"]["iteration_indptr"], dtype=np.int64)
    n_trees = int(indptr[_n_iterations(model, len(indptr) - 1)])
    trees = []
    for tree in all_trees[:n_trees]:
        if np.any(np.asarray(tree["split_type"]) != 0):
            raise UnsupportedStepError(path, "XGBoost categorical splits", SUPPORTED_STEPS)
        trees.append(
            {
                "left": encode_array(np.asarray(tree["left_children"], dtype=np.int32), "int32"),
                "right": encode_array(np.asarray(tree["right_children"], dtype=np.int32), "int32"),
                "feature": encode_array(np.asarray(tree["split_indices"], dtype=np.int32), "int32"),
                "split": encode_array(
                    np.asarray(tree["split_conditions"], dtype=np.float32), "float32"
                ),
                "default_left": encode_array(
                    np.asarray(tree["default_left"], dtype=np.int32), "int32"
                ),
            }
        )
    classifier = objective == "binary:logistic"
    return {
        "type": "XGBoostTrees",
        "task": "classification" if classifier else "regression",
        "classes": class_labels(model.classes_) if classifier else None,
        "objective": objective,
        "transform": _OBJECTIVES[objective],
        "n_features": int(params["num_feature"]),
        "base_margin": encode_array(
            np.asarray([measure_base_margin(booster)], dtype=np.float32), "float32"
        ),
        "zero_is_missing": ctx.input_is_sparse,
        "trees": trees,
    }


def _n_iterations(model: xgb.XGBModel, total: int) -> int:
    """Iterations the sklearn wrapper predicts with (``best_iteration + 1`` after early stopping)."""
    try:
        best = model.best_iteration
    except AttributeError:
        return total
    return min(int(best) + 1, total) if best is not None else total


def measure_base_margin(booster: xgb.Booster) -> np.float32:
    """The float32 margin XGBoost starts every row from (``base_score`` in margin space)."""
    doc = json.loads(booster.save_raw("json"))
    for tree in doc["learner"]["gradient_booster"]["model"]["trees"]:
        left = tree["left_children"]
        tree["split_conditions"] = [
            0.0 if left[i] == -1 else v for i, v in enumerate(tree["split_conditions"])
        ]
        tree["base_weights"] = [0.0] * len(tree["base_weights"])
    zeroed = xgb.Booster()
    zeroed.load_model(bytearray(json.dumps(doc).encode("utf-8")))
    n_features = int(doc["learner"]["learner_model_param"]["num_feature"])
    row = xgb.DMatrix(np.full((1, n_features), np.nan, dtype=np.float32))
    margin = zeroed.predict(row, output_margin=True)
    return np.float32(margin.ravel()[0])
