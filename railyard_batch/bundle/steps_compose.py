"""Pipeline and ColumnTransformer → documents (Java: ``steps.PipelineStep``, ``steps.ColumnTransformer``).

Composite documents name their children by document file, so every step of a nested
pipeline gets a document of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from .context import ExportContext
from .errors import UnsupportedStepError
from .supported import SUPPORTED_STEPS

ExportStep = Callable[[Any, str, ExportContext], str]


def export_pipeline(
    pipe: Pipeline, path: str, ctx: ExportContext, export_step: ExportStep
) -> dict[str, Any]:
    """Apply the steps in order; ``None``/``'passthrough'`` steps are skipped."""
    refs = []
    active = [(name, step) for name, step in pipe.steps if step not in (None, "passthrough")]
    for position, (name, step) in enumerate(active):
        if position == len(active) - 1 and position > 0:
            ctx.input_is_sparse = produces_sparse(active[position - 1][1])
        refs.append(export_step(step, f"{path}/{name}", ctx))
    return {"type": "Pipeline", "steps": refs}


def export_column_transformer(
    ct: ColumnTransformer, path: str, ctx: ExportContext, export_step: ExportStep
) -> dict[str, Any]:
    """Select input columns per transformer, concatenate the outputs in order."""
    indices: dict[str, list[int]] = ct._transformer_to_input_indices
    parts = []
    for name, trans, _columns in ct.transformers_:
        cols = [int(i) for i in indices[name]]
        if trans == "drop" or not cols:
            continue
        if trans == "passthrough" or _is_identity(trans):
            parts.append({"name": name, "columns": cols, "step": None})
        else:
            parts.append(
                {"name": name, "columns": cols, "step": export_step(trans, f"{path}/{name}", ctx)}
            )
    return {
        "type": "ColumnTransformer",
        "input_columns": [str(c) for c in ct.feature_names_in_],
        "sparse_output": bool(ct.sparse_output_),
        "transformers": parts,
    }


def export_function_transformer(
    ft: FunctionTransformer, path: str, ctx: ExportContext
) -> dict[str, Any]:
    """Only the identity FunctionTransformer (what ``'passthrough'`` becomes) is supported."""
    if not _is_identity(ft):
        raise UnsupportedStepError(path, "FunctionTransformer with a function", SUPPORTED_STEPS)
    return {"type": "Passthrough"}


def _is_identity(step: Any) -> bool:
    return isinstance(step, FunctionTransformer) and step.func is None and step.inverse_func is None


def produces_sparse(step: BaseEstimator | str | None) -> bool:
    """Whether ``step.transform`` returns a scipy sparse matrix."""
    if isinstance(step, ColumnTransformer):
        return bool(step.sparse_output_)
    if isinstance(step, OneHotEncoder):
        return bool(step.sparse_output)
    if isinstance(step, Pipeline):
        active = [s for _, s in step.steps if s not in (None, "passthrough")]
        return bool(active) and produces_sparse(active[-1])
    return False
