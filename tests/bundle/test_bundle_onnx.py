"""ONNX export and its parity gate record how far onnxruntime is from Python."""

from __future__ import annotations

from pathlib import Path

import pytest

from railyard_batch.bundle import UnsupportedStepError
from railyard_batch.bundle.onnx_export import export_onnx, onnx_parity_gate
from railyard_batch.bundle.vector_cases import CASES, fit_case, holdout_frame


@pytest.mark.parametrize("name", ["fraud_v3_xgb_classifier", "fraud_v3_logistic_regression"])
def test_onnx_route_is_exported_and_measured(tmp_path: Path, name: str) -> None:
    case = next(c for c in CASES if c.name == name)
    pipe, inputs = fit_case(case)
    path = export_onnx(pipe, tmp_path / "m.onnx", input_schema=inputs)
    result = onnx_parity_gate(pipe, path, holdout_frame(300, 3, True), input_schema=inputs)
    assert result.route == "onnx" and result.n_rows == 316 and result.failed_rows == 0
    assert result.label_agreement is not None
    assert result.passed == (result.reason is None)


def test_onnx_converter_refusal_is_an_unsupported_step(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "hist_gradient_boosting_classifier_nan")
    pipe, inputs = fit_case(case)
    try:
        path = export_onnx(pipe, tmp_path / "m.onnx", input_schema=inputs)
    except UnsupportedStepError as err:
        assert "ONNX converters refused" in str(err)
    else:  # a newer skl2onnx may convert it: then the gate must still measure it
        result = onnx_parity_gate(pipe, path, holdout_frame(50, 3, True), input_schema=inputs)
        assert result.route == "onnx"
