"""``export_bundle``: write a fitted pipeline as a bundle directory (format: docs/bundle-format.md)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from sklearn.base import BaseEstimator, is_classifier
from sklearn.pipeline import Pipeline

from .context import ExportContext
from .errors import BundleError
from .missing import POLICY, seen_kinds
from .registry import export_step
from .seal import FORMAT_NAME, FORMAT_VERSION, canonical_json, seal
from .steps_linear import class_labels

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "BundleInfo", "canonical_json", "export_bundle"]
ColumnType = Literal["number", "string"]


@dataclass(frozen=True)
class BundleInfo:
    """Where a bundle was written and the hash that identifies its content."""

    path: Path
    content_hash: str
    input_columns: list[str]


def export_bundle(
    pipeline: BaseEstimator,
    out_dir: str | os.PathLike[str],
    *,
    model_name: str,
    input_schema: Mapping[str, ColumnType] | pd.DataFrame,
    run_id: str | None = None,
) -> BundleInfo:
    """Write ``pipeline`` (fitted) as a bundle into ``out_dir`` (created; must not exist or be empty).

    ``input_schema`` gives each input column's type, or is a DataFrame (e.g. the
    training frame) whose dtypes give them: numeric/bool dtypes are ``number``,
    everything else ``string``. Raises :class:`UnsupportedStepError` naming the first
    step without an exporter; nothing is written then.
    """
    columns = _input_columns(pipeline)
    types = _column_types(columns, input_schema)
    seen = _missing_seen(columns, input_schema)
    ctx = ExportContext()
    root = export_step(pipeline, "pipeline", ctx)
    documents = {name: canonical_json(doc) for name, doc in ctx.documents.items()}
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(documents.items())}
    fields: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "model_name": model_name,
        "run_id": run_id,
        "root": root,
        "documents": digests,
        "input_schema": [
            {
                "name": c,
                "type": types[c],
                "missing": dict(POLICY[types[c]]),
                "missing_seen": seen.get(c),
            }
            for c in columns
        ],
        "output_schema": _output_schema(pipeline, ctx),
        "packages": _package_versions(),
    }
    manifest = seal(fields)
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise BundleError(f"Bundle directory {out} exists and is not empty.")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".bundle-", dir=out.parent))
    try:
        for name, data in documents.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(data)
        (staging / "manifest.json").write_bytes(canonical_json(manifest, indent=2))
        staging.chmod(0o755)
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BundleInfo(out, manifest["content_hash"], columns)


def _input_columns(pipeline: BaseEstimator) -> list[str]:
    names = getattr(pipeline, "feature_names_in_", None)
    if names is None:
        raise BundleError(
            "The pipeline must be fitted on a pandas DataFrame (no feature_names_in_)."
        )
    return [str(c) for c in names]


def _column_types(
    columns: list[str], schema: Mapping[str, ColumnType] | pd.DataFrame
) -> dict[str, ColumnType]:
    if isinstance(schema, pd.DataFrame):
        schema = {
            str(c): "number"
            if pd.api.types.is_numeric_dtype(schema[c]) or pd.api.types.is_bool_dtype(schema[c])
            else "string"
            for c in schema.columns
        }
    missing = [c for c in columns if c not in schema]
    if missing:
        raise BundleError(f"input_schema lacks the pipeline's input columns {missing}.")
    bad = {c: schema[c] for c in columns if schema[c] not in ("number", "string")}
    if bad:
        raise BundleError(f"input_schema types must be 'number' or 'string'. Got {bad}.")
    return {c: schema[c] for c in columns}


def _missing_seen(
    columns: list[str], schema: Mapping[str, ColumnType] | pd.DataFrame
) -> dict[str, list[str]]:
    """Kinds of missing value (None, NaN) each column held in the schema frame (the training frame)."""
    if not isinstance(schema, pd.DataFrame):
        return {}
    names = {str(c): c for c in schema.columns}
    return {c: seen_kinds(schema[names[c]]) for c in columns if c in names}


def _output_schema(pipeline: BaseEstimator, ctx: ExportContext) -> dict[str, Any]:
    final = pipeline.steps[-1][1] if isinstance(pipeline, Pipeline) else pipeline
    root_doc = next((doc for doc in reversed(list(ctx.documents.values())) if "task" in doc), None)
    if root_doc is None:
        names = [str(n) for n in pipeline.get_feature_names_out()]
        return {"task": "transform", "classes": None, "scores": names, "score_dtype": "float64"}
    dtype = "float32" if root_doc.get("type") == "XGBoostTrees" else "float64"
    if is_classifier(final):
        classes = class_labels(final.classes_)
        return {
            "task": "classification",
            "classes": classes,
            "scores": [f"proba_{c}" for c in classes],
            "score_dtype": dtype,
        }
    return {"task": "regression", "classes": None, "scores": ["prediction"], "score_dtype": dtype}


def _package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for dist in ("scikit-learn", "xgboost", "numpy", "pandas"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    return versions
