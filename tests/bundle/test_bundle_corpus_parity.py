"""Parity on a corpus that is not the project's data (parity_corpus.py), every supported model.

Trees, XGBoost and HistGradientBoosting (its classifier's expit through glibc's exp, which
the JVM's Float64Exp reproduces) bit for bit; LogisticRegression within 1e-12. Rows
scikit-learn refuses (±inf, float32 overflow in sklearn's trees) must be refused by the JVM too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from railyard_batch.bundle import export_bundle, parity_gate
from railyard_batch.bundle.parity_corpus import corpus_frame, corpus_inputs
from railyard_batch.bundle.vector_cases import CORPUS_CASES, fit_case
from railyard_batch.bundle.vector_cases import fraud_frame as project_frame


def test_the_corpus_is_not_the_project_data() -> None:
    corpus, fraud = corpus_frame(200, 5), project_frame(200, 5)
    assert not set(corpus.columns) & set(fraud.columns)
    dtypes = {str(t) for t in corpus.dtypes}
    assert {"Float64", "Int64", "bool", "category", "object"} <= dtypes
    assert corpus["latency_ms"].isna().any() and corpus["logins_30d"].isna().any()
    assert corpus["plan"].map(lambda v: v is None).any()  # None, as a hand-built frame holds
    os_values = corpus["os"].tolist()
    assert any(v is None for v in os_values) and any(isinstance(v, float) for v in os_values)


@pytest.mark.parametrize("case", CORPUS_CASES, ids=lambda c: c.name)
def test_corpus_parity(tmp_path: Path, jvm_jar: Path, case) -> None:  # type: ignore[no-untyped-def]
    pipe, inputs = fit_case(case, n_train=1500, seed=11)
    export_bundle(pipe, tmp_path / "b", model_name=case.name, input_schema=inputs)
    holdout = corpus_inputs(1000, 23)
    result = parity_gate(
        pipe, tmp_path / "b", holdout, tolerance=0.0 if case.exact else case.tolerance, jar=jvm_jar
    )
    assert result.passed, result.reason
    assert result.failed_rows == 0
    if case.exact:
        assert result.bit_exact_rows == result.n_rows
    if "hist_gradient" not in case.name and "_raw" not in case.name:
        assert result.refused_rows >= 1  # the +inf usage row, refused on both sides
