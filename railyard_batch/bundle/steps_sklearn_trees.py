"""DecisionTree / RandomForest / ExtraTrees → ``SklearnTrees`` document (Java: ``models.SklearnTrees``).

scikit-learn casts X to float32 and compares ``float32(x) <= threshold`` with the float64
threshold; NaN follows ``missing_go_to_left``. A forest sums the per-tree leaf values in
estimator order starting from 0.0 and divides by the number of trees (float64), which a
single tree also satisfies (division by 1 is exact).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import is_classifier
from sklearn.tree import BaseDecisionTree

from .context import ExportContext
from .encoding import encode_array
from .errors import UnsupportedStepError
from .steps_linear import class_labels
from .supported import SUPPORTED_STEPS


def export_sklearn_trees(model: Any, path: str, ctx: ExportContext) -> dict[str, Any]:
    """One document for a single tree or a bagged forest."""
    trees: list[BaseDecisionTree] = (
        [model] if isinstance(model, BaseDecisionTree) else list(model.estimators_)
    )
    if model.n_outputs_ != 1:
        raise UnsupportedStepError(path, "multi-output trees", SUPPORTED_STEPS)
    classifier = is_classifier(model)
    n_classes = len(model.classes_) if classifier else 1
    return {
        "type": "SklearnTrees",
        "task": "classification" if classifier else "regression",
        "classes": class_labels(model.classes_) if classifier else None,
        "n_features": int(model.n_features_in_),
        "trees": [_tree_doc(t, n_classes, classifier) for t in trees],
    }


def _tree_doc(est: BaseDecisionTree, n_classes: int, classifier: bool) -> dict[str, Any]:
    tree = est.tree_
    values = tree.value[:, 0, :n_classes] if classifier else tree.value[:, 0, 0]
    return {
        "left": encode_array(tree.children_left.astype(np.int32), "int32"),
        "right": encode_array(tree.children_right.astype(np.int32), "int32"),
        "feature": encode_array(tree.feature.astype(np.int32), "int32"),
        "threshold": encode_array(tree.threshold.astype(np.float64), "float64"),
        "missing_left": encode_array(tree.missing_go_to_left.astype(np.int32), "int32"),
        "value": encode_array(np.ascontiguousarray(values, dtype=np.float64), "float64"),
    }
