"""Bundle export: manifest, hashes, lossless encodings, refusals."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb
from hypothesis import given
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, PolynomialFeatures, StandardScaler
from sklearn.svm import SVC

from railyard_batch.bundle import UnsupportedStepError, export_bundle
from railyard_batch.bundle.encoding import decode_array, encode_array
from railyard_batch.bundle.seal import combined_hash, field_digest, verify_bundle
from railyard_batch.bundle.ubjson_reader import loads
from railyard_batch.bundle.vector_cases import CASES, fit_case
from railyard_batch.errors import RailyardError


def _case(name: str):
    return next(c for c in CASES if c.name == name)


def test_manifest_describes_the_bundle(tmp_path: Path) -> None:
    pipe, inputs = fit_case(_case("fraud_v3_xgb_classifier"))
    info = export_bundle(
        pipe, tmp_path / "b", model_name="fraud_v3", input_schema=inputs, run_id="run-1"
    )
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["format"] == "railyard-bundle" and manifest["format_version"] == 3
    assert manifest["model_name"] == "fraud_v3" and manifest["run_id"] == "run-1"
    assert [c["name"] for c in manifest["input_schema"]] == list(inputs.columns)
    assert {c["name"]: c["type"] for c in manifest["input_schema"]}["amount"] == "number"
    assert {c["name"]: c["type"] for c in manifest["input_schema"]}["country"] == "string"
    columns = {c["name"]: c for c in manifest["input_schema"]}
    assert columns["country"]["missing"] == {"null": "None", "NaN": "NaN"}
    assert columns["country"]["missing_seen"] == ["None", "NaN"]
    assert columns["amount"]["missing"] == {"null": "NaN", "NaN": "NaN"}
    assert columns["amount"]["missing_seen"] == ["NaN"] and columns["hour"]["missing_seen"] == []
    assert manifest["output_schema"] == {
        "task": "classification",
        "classes": [0, 1],
        "scores": ["proba_0", "proba_1"],
        "score_dtype": "float32",
    }
    assert set(manifest["packages"]) >= {"python", "scikit-learn", "xgboost", "numpy"}
    for name, digest in manifest["documents"].items():
        assert hashlib.sha256((tmp_path / "b" / name).read_bytes()).hexdigest() == digest
    sealed = {
        k: field_digest(v) for k, v in manifest.items() if k not in ("sealed", "content_hash")
    }
    assert manifest["sealed"] == sealed
    assert manifest["content_hash"] == combined_hash(sealed) == info.content_hash
    assert verify_bundle(tmp_path / "b") == manifest
    model_doc = json.loads((tmp_path / "b" / "steps" / "pipeline_model.json").read_text())
    assert model_doc["zero_is_missing"] is True  # the fraud ColumnTransformer output is sparse


def test_same_pipeline_gives_the_same_content_hash(tmp_path: Path) -> None:
    pipe, inputs = fit_case(_case("random_forest_classifier_nan"))
    a = export_bundle(pipe, tmp_path / "a", model_name="m", input_schema=inputs, run_id="r")
    b = export_bundle(pipe, tmp_path / "b", model_name="m", input_schema=inputs, run_id="r")
    c = export_bundle(pipe, tmp_path / "c", model_name="m", input_schema=inputs, run_id="other")
    assert a.content_hash == b.content_hash
    assert c.content_hash != a.content_hash, "the run id is sealed too"


@pytest.mark.parametrize(
    ("step", "name"),
    [
        (SVC(), "SVC"),
        (PolynomialFeatures(), "PolynomialFeatures"),
        (FunctionTransformer(np.log1p), "FunctionTransformer"),
    ],
)
def test_unsupported_step_is_refused_by_name(tmp_path: Path, step: object, name: str) -> None:
    _, inputs = fit_case(_case("standard_scaler"))
    pipe = Pipeline(
        [("ct", ColumnTransformer([("s", StandardScaler(), ["amount", "hour"])])), ("odd", step)]
    )
    if name == "SVC":
        pipe.fit(inputs.fillna(0), np.arange(len(inputs)) % 2)
    else:
        pipe.fit(inputs.fillna(0))
    with pytest.raises(
        UnsupportedStepError, match=r"Step 'pipeline/odd'.*Supported steps: .*XGBClassifier"
    ) as err:
        export_bundle(pipe, tmp_path / "b", model_name="m", input_schema=inputs)
    assert isinstance(err.value, ValueError) and isinstance(err.value, RailyardError)
    assert not (tmp_path / "b").exists(), "nothing may be written for a refused pipeline"


def test_unsupported_xgboost_objective_is_refused(tmp_path: Path) -> None:
    x = np.random.default_rng(0).normal(size=(60, 3))
    model = xgb.XGBClassifier(n_estimators=3, objective="multi:softprob").fit(x, np.arange(60) % 3)
    import pandas as pd

    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    pipe = Pipeline([("m", model)])
    pipe.fit(frame, np.arange(60) % 3)
    with pytest.raises(UnsupportedStepError, match="multi:softprob"):
        export_bundle(pipe, tmp_path / "b", model_name="m", input_schema=frame)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=50))
def test_float64_arrays_round_trip_bit_exactly(values: list[float]) -> None:
    arr = np.asarray(values, dtype=np.float64)
    back = decode_array(encode_array(arr, "float64"))
    assert back.view(np.uint64).tolist() == arr.view(np.uint64).tolist()


@given(st.lists(st.floats(width=32, allow_nan=False), max_size=50))
def test_float32_arrays_round_trip_bit_exactly(values: list[float]) -> None:
    arr = np.asarray(values, dtype=np.float32)
    back = decode_array(encode_array(arr, "float32"))
    assert back.view(np.uint32).tolist() == arr.view(np.uint32).tolist()


def test_ubjson_reader_matches_xgboost_json_dump() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    booster = xgb.XGBRegressor(n_estimators=5, max_depth=3).fit(x, x[:, 0] * 3).get_booster()
    ubj = loads(booster.save_raw("ubj"))
    js = json.loads(booster.save_raw("json"))
    for a, b in zip(
        ubj["learner"]["gradient_booster"]["model"]["trees"],
        js["learner"]["gradient_booster"]["model"]["trees"],
        strict=True,
    ):
        assert a["split_indices"].tolist() == b["split_indices"]
        assert np.array_equal(
            a["split_conditions"], np.asarray(b["split_conditions"], dtype=np.float32)
        )
