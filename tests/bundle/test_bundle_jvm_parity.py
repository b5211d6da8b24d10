"""The parity gate against the real JVM scorer (built from jvm/ by the session fixture)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from railyard_batch.bundle import export_bundle, parity_gate
from railyard_batch.bundle.vector_cases import CASES, CORPUS_CASES, fit_case, holdout_frame

GATED = [
    "fraud_v3_logistic_regression",
    "fraud_v3_random_forest",
    "fraud_v3_xgb_classifier",
    "fraud_v3_xgb_regressor",
    "hist_gradient_boosting_classifier_nan",
    "one_hot_infrequent",
]


@pytest.mark.parametrize("name", GATED)
def test_parity_gate_passes_on_a_large_holdout(tmp_path: Path, jvm_jar: Path, name: str) -> None:
    case = next(c for c in CASES if c.name == name)
    pipe, inputs = fit_case(case, n_train=3000, seed=5)
    export_bundle(pipe, tmp_path / "b", model_name=name, input_schema=inputs)
    result = parity_gate(pipe, tmp_path / "b", holdout_frame(5000, 13, True), jar=jvm_jar)
    assert result.passed, result.reason
    assert result.failed_rows == 0 and result.max_abs_diff <= 1e-9
    if result.label_agreement is not None:
        assert result.label_agreement == 1.0
    if case.exact:
        assert result.bit_exact_rows == result.n_rows
    # ±inf amounts are refused by the imputers and sklearn's trees, in Python and the JVM
    assert result.refused_rows == (0 if "hist_gradient" in name or "one_hot" in name else 2)
    json.dumps(result.to_dict())  # recordable on the run


def test_hist_gradient_boosting_cases_are_held_bit_exact() -> None:
    """Its classifier's expit goes through glibc's exp, which the JVM reproduces (Float64Exp):
    every HistGradientBoosting case asserts bit-exact rows above and in the corpus parity."""
    cases = {c.name: c for c in CASES + CORPUS_CASES}
    hgb = [c for name, c in cases.items() if name.startswith(("hist_gradient", "corpus_hist"))]
    assert len(hgb) == 6 and all(c.exact for c in hgb)


def test_parity_gate_fails_with_a_reason_for_a_different_model(
    tmp_path: Path, jvm_jar: Path
) -> None:
    case = next(c for c in CASES if c.name == "fraud_v3_random_forest")
    exported, inputs = fit_case(case, seed=1)
    other, _ = fit_case(case, seed=2)
    export_bundle(exported, tmp_path / "b", model_name="m", input_schema=inputs)
    result = parity_gate(other, tmp_path / "b", holdout_frame(300, 3, True), jar=jvm_jar)
    assert not result.passed
    assert "max |diff|" in (result.reason or "")


def test_rows_the_jvm_rejects_fail_the_gate(tmp_path: Path, jvm_jar: Path) -> None:
    case = next(c for c in CASES if c.name == "one_hot_error")
    pipe, inputs = fit_case(case)
    export_bundle(pipe, tmp_path / "b", model_name="m", input_schema=inputs)
    holdout = holdout_frame(50, 3, False)
    result = parity_gate(pipe, tmp_path / "b", holdout, jar=jvm_jar)
    assert result.passed, result.reason
    from railyard_batch.bundle.jvm_scorer import run_scorer

    base = {
        "amount": 1.0,
        "hour": 2,
        "account_age_days": 10,
        "prev_txn_24h": 0.0,
        "merchant_id": "m01",
        "country": "US",
        "card_brand": "visa",
        "channel": "web",
    }
    unknown = {**base, "country": "ZZ"}
    missing = {k: v for k, v in base.items() if k != "channel"}
    wrong_type = {**base, "amount": "x"}
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in (unknown, missing, wrong_type, base)))
    rows = run_scorer(tmp_path / "b", bad, tmp_path / "out.jsonl", jar=jvm_jar)
    assert [r.error.split(":")[0] if r.error else None for r in rows] == [
        "UnknownCategoryException",
        "MissingColumnException",
        "WrongTypeException",
        None,
    ]


def test_export_and_gate_records_both_routes(tmp_path: Path, jvm_jar: Path) -> None:
    from railyard_batch.bundle import export_and_gate

    case = next(c for c in CASES if c.name == "fraud_v3_xgb_classifier")
    pipe, inputs = fit_case(case)
    outcome = export_and_gate(
        pipe,
        tmp_path / "b",
        model_name="fraud_v3",
        input_schema=inputs,
        holdout=holdout_frame(200, 4, True),
    )
    assert outcome.exportable and outcome.reason is None
    assert outcome.jvm is not None and outcome.jvm.bit_exact_rows == outcome.jvm.n_rows
    assert outcome.onnx is not None and outcome.onnx.route == "onnx"
    recorded = json.loads((tmp_path / "b" / "gate.json").read_text())
    assert recorded == json.loads(json.dumps(outcome.to_dict()))


def test_unsupported_pipeline_is_not_exportable_with_the_reason(tmp_path: Path) -> None:
    from sklearn.svm import SVC

    from railyard_batch.bundle import export_and_gate

    case = next(c for c in CASES if c.name == "standard_scaler")
    pipe, inputs = fit_case(case)
    pipe.steps.append(("svc", SVC()))
    pipe.fit(inputs.fillna(0), np.arange(len(inputs)) % 2)
    outcome = export_and_gate(
        pipe, tmp_path / "b", model_name="m", input_schema=inputs, holdout=inputs.head(5)
    )
    assert not outcome.exportable and "SVC" in (outcome.reason or "")


def test_refusals_must_match_on_both_sides() -> None:
    from railyard_batch.bundle.parity import compare

    py = np.array([[0.5], [np.nan], [0.25]])
    refused = [None, "ValueError: Input X contains infinity", None]
    jvm_error = "RefusedInputException: Step 'pipeline/model' refuses feature 0 = Infinity"
    same = compare(
        "jvm-bundle",
        None,
        py,
        None,
        [[0.5], None, [0.25]],
        errors=[None, jvm_error, None],
        py_refused=refused,
    )
    assert same.passed and same.refused_rows == 1 and same.bit_exact_rows == 3
    scored = compare("jvm-bundle", None, py, None, [[0.5], [0.1], [0.25]], py_refused=refused)
    assert not scored.passed and "1 rows scored that scikit-learn refuses" in (scored.reason or "")
    extra = compare(
        "jvm-bundle",
        None,
        py,
        None,
        [[0.5], None, None],
        errors=[None, jvm_error, jvm_error],
        py_refused=refused,
    )
    assert not extra.passed and "1 rows not scored (first: row 2" in (extra.reason or "")
