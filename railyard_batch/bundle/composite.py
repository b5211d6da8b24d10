"""Composition bundles (docs/bundle-format.md, "Compositions"): several single-model bundles
scored as one model, and what Python scores for them (the reference the JVM reproduces).

A composition bundle is a directory: ``manifest.json`` (format ``railyard-composition``,
sealed like a single bundle's manifest) and ``members/<sha256 hex>/``, one single-model
bundle per distinct content hash. The manifest holds the kind (``route`` or ``blend``), the
routing column (``route_by``: name and type), the weights, the fallback member, the routing
table (``routes``: ``[value, member]`` pairs) and every member's content hash.

A row goes to the member of its routing value when the table has one (a missing value never
has one), else to the fallback. ``route`` scores it with that member alone; ``blend`` with
``w * member + (1 - w) * fallback``, class by class, where routed. The label is the class of
the first maximal score. The JVM reads it with ``Scorer.load`` (``CompositeBundle``).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import BundleError
from .python_scores import python_outcomes
from .seal import canonical_json, seal, verify_bundle

FORMAT_NAME = "railyard-composition"
FORMAT_VERSION = 1
KINDS = ("route", "blend", "stack")
# A stack's inputs are clipped to [STACK_CLIP, 1 - STACK_CLIP] before their logit.
STACK_CLIP = 1e-12


def stack_features(own: Any, glob: Any) -> np.ndarray:
    """The stack's inputs: logit of the clipped member and fallback probabilities."""
    lo, hi = STACK_CLIP, 1.0 - STACK_CLIP
    po, pg = np.minimum(np.maximum(own, lo), hi), np.minimum(np.maximum(glob, lo), hi)
    return np.column_stack([np.log(po) - np.log1p(-po), np.log(pg) - np.log1p(-pg)])


def stack_positive(own: Any, glob: Any, stack: Mapping[str, float]) -> Any:
    """A stack's positive-class probability from the member's and the fallback's:
    ``1 / (1 + exp(-(intercept + coef_own * logit(own) + coef_global * logit(glob))))``, the
    logit being ``log(p) - log1p(-p)`` of the clipped probability (the JVM computes the same,
    operation by operation)."""
    lo, hi = STACK_CLIP, 1.0 - STACK_CLIP
    po, pg = np.minimum(np.maximum(own, lo), hi), np.minimum(np.maximum(glob, lo), hi)
    z = (
        stack["intercept"]
        + stack["coef_own"] * (np.log(po) - np.log1p(-po))
        + stack["coef_global"] * (np.log(pg) - np.log1p(-pg))
    )
    return 1.0 / (1.0 + np.exp(-z))


def hex_of(content_hash: str) -> str:
    return content_hash.rpartition(":")[2]


def add_member(members_dir: Path, bundle_dir: Path) -> dict[str, Any]:
    """Copy a single-model bundle (its seal checked) to ``members_dir/<hex>`` unless a bundle
    of the same content hash is there already; returns its manifest."""
    manifest = verify_bundle(bundle_dir)
    final = members_dir / hex_of(manifest["content_hash"])
    if not final.exists():
        staging = Path(tempfile.mkdtemp(prefix=".member-", dir=members_dir))
        staging.rmdir()
        try:
            shutil.copytree(bundle_dir, staging, ignore=shutil.ignore_patterns("gate.json"))
            staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return manifest


def route_type(column: pd.Series) -> str:
    numeric = pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)
    return "number" if numeric else "string"


def is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _json_value(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _input_schema(
    manifests: Sequence[dict[str, Any]], by: str, by_type: str
) -> list[dict[str, Any]]:
    schema: dict[str, dict[str, Any]] = {}
    for manifest in manifests:
        for column in manifest["input_schema"]:
            have = schema.setdefault(column["name"], column)
            if have["type"] != column["type"]:
                raise BundleError(
                    f"Input column {column['name']!r} is a {have['type']} in one member and a"
                    f" {column['type']} in another; a composition needs one type per column."
                )
    if by not in schema:
        null = "NaN" if by_type == "number" else "None"
        schema[by] = {
            "name": by,
            "type": by_type,
            "missing": {"null": null, "NaN": "NaN"},
            "missing_seen": None,
        }
    elif schema[by]["type"] != by_type:
        raise BundleError(
            f"The routing column {by!r} is a {schema[by]['type']} in the members, not a {by_type}."
        )
    return list(schema.values())


def _scores_of(manifest: dict[str, Any]) -> tuple[Any, ...]:
    out = manifest["output_schema"]
    return out.get("task"), out.get("classes"), out.get("scores")


def _output_schema(manifests: Sequence[dict[str, Any]], kind: str) -> dict[str, Any]:
    """The fallback's, with ``score_dtype`` float32 only when every member scores float32 and
    nothing is blended (a blend computes in float64)."""
    dtypes = {m["output_schema"].get("score_dtype") for m in manifests}
    single = dtypes.pop() if len(dtypes) == 1 else "float64"
    dtype = single if kind == "route" else "float64"
    return {**manifests[0]["output_schema"], "score_dtype": dtype}


def write_composite(
    into: Path,
    *,
    dir_name: str,
    model_name: str,
    run_id: str | None,
    kind: str,
    member_weight: float,
    route_by: str,
    route_by_type: str,
    fallback: Path,
    routes: Sequence[tuple[Any, Path]],
    stack: Mapping[str, float] | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Write a composition bundle of existing single-model bundles under ``into``, as
    ``<dir_name>-<12 hex of its content hash>/`` (kept as it is when already there: the same
    bytes). Returns its directory and manifest."""
    if kind not in KINDS:
        raise BundleError(f"A composition kind must be one of {', '.join(KINDS)}; got {kind!r}.")
    if not (0.0 <= member_weight <= 1.0):
        raise BundleError(f"A composition's member weight must be in [0, 1]; got {member_weight}.")
    if (kind == "stack") != (stack is not None) or (
        stack is not None
        and (
            set(stack) != {"coef_own", "coef_global", "intercept"}
            or not all(isinstance(v, float) and math.isfinite(v) for v in stack.values())
        )
    ):
        raise BundleError(
            "A stack composition needs its fit: finite coef_own, coef_global and intercept"
            f" (and only a stack has one); got kind {kind!r} with {stack!r}."
        )
    if route_by_type not in ("number", "string"):
        raise BundleError(f"route_by_type must be number or string; got {route_by_type!r}.")
    into.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dir_name}-", dir=into))
    try:
        members_dir = staging / "members"
        members_dir.mkdir()
        fallback_manifest = add_member(members_dir, fallback)
        manifests = [fallback_manifest]
        table: list[list[Any]] = []
        seen: set[Any] = set()
        for value, bundle_dir in sorted(routes, key=lambda r: str(r[0])):
            value = _json_value(value)
            if is_missing(value) or (route_by_type == "number") != isinstance(value, (int, float)):
                raise BundleError(
                    f"Route value {value!r} is not a {route_by_type} (route_by {route_by!r})."
                )
            key = float(value) if route_by_type == "number" else value
            if key in seen:
                raise BundleError(f"Route value {value!r} is routed twice.")
            seen.add(key)
            manifest = add_member(members_dir, bundle_dir)
            if _scores_of(manifest) != _scores_of(fallback_manifest):
                raise BundleError(
                    f"The member of route value {value!r} scores {_scores_of(manifest)};"
                    f" the fallback scores {_scores_of(fallback_manifest)}."
                )
            manifests.append(manifest)
            table.append([value, hex_of(manifest["content_hash"])])
        if fallback_manifest["output_schema"].get("task") != "classification":
            raise BundleError("A composition combines classifiers; the fallback is not one.")
        fields = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "model_name": model_name,
            "run_id": run_id,
            "kind": kind,
            "route_by": {"name": route_by, "type": route_by_type},
            "weights": {"member": member_weight, "global": 1.0 - member_weight},
            "fallback": hex_of(fallback_manifest["content_hash"]),
            "routes": table,
            "members": {hex_of(m["content_hash"]): m["content_hash"] for m in manifests},
            "input_schema": _input_schema(manifests, route_by, route_by_type),
            "output_schema": _output_schema(manifests, kind),
        }
        if stack is not None:
            fields["stack"] = {**{k: float(v) for k, v in stack.items()}, "clip": STACK_CLIP}
        manifest = seal(fields)
        (staging / "manifest.json").write_bytes(canonical_json(manifest, indent=2))
        staging.chmod(0o755)
        final = into / f"{dir_name}-{hex_of(manifest['content_hash'])[:12]}"
        if final.exists():
            shutil.rmtree(staging)
        else:
            os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final, manifest


def composite_outcomes(
    fallback: Any,
    routes: Mapping[Any, Any],
    frame: pd.DataFrame,
    *,
    route_by: str,
    kind: str,
    member_weight: float,
    stack: Mapping[str, float] | None = None,
) -> tuple[list[Any], np.ndarray, list[str | None]]:
    """What a composition scores in Python, row by row (labels, scores, refusals), from the
    fitted pipelines: the fallback and ``routes`` (routing value -> pipeline)."""
    n = len(frame)
    number = route_type(frame[route_by]) == "number"
    table = {(float(k) if number else k): p for k, p in routes.items()}
    target: list[Any] = []
    for value in frame[route_by].to_numpy(dtype=object):
        if is_missing(value):
            target.append(None)
        else:
            target.append(table.get(float(value) if number else value))
    scores: np.ndarray | None = None
    refused: list[str | None] = [None] * n
    by_pipeline: dict[int, list[int]] = {}
    pipelines: dict[int, Any] = {}
    for i, p in enumerate(target):
        p = fallback if p is None else p
        by_pipeline.setdefault(id(p), []).append(i)
        pipelines[id(p)] = p
    if kind in ("blend", "stack"):
        routed = [i for i, p in enumerate(target) if p is not None]
        _, g_routed, g_refused = python_outcomes(fallback, frame.iloc[routed])
    for key, rows in by_pipeline.items():
        _, got, why = python_outcomes(pipelines[key], frame.iloc[rows])
        if scores is None:
            scores = np.full((n, got.shape[1]), np.nan)
        scores[rows] = got
        for j, i in enumerate(rows):
            refused[i] = why[j]
    if scores is None:
        scores = np.full((0, 2), np.nan)
    if kind == "stack" and routed:
        assert stack is not None
        p = stack_positive(scores[routed, 1], g_routed[:, 1], stack)
        scores[routed] = np.column_stack([1.0 - p, p])
        for j, i in enumerate(routed):
            refused[i] = refused[i] or g_refused[j]
    if kind == "blend" and routed:
        w = member_weight
        scores[routed] = w * scores[routed] + (1 - w) * g_routed
        for j, i in enumerate(routed):
            refused[i] = refused[i] or g_refused[j]
    classes = list(getattr(fallback, "classes_", []))
    labels = [
        None if refused[i] else _json_value(classes[int(np.argmax(scores[i]))]) for i in range(n)
    ]
    return labels, scores, refused
