"""A model exports whatever its data came from: a parquet file, a CSV file, or a DataFrame
built by hand (object columns, ``None`` for every missing string; or ``None`` and ``NaN``
mixed). Read through pandas, parquet and CSV give one and the same model and bundle; each
source's model passes the JVM parity gate on rows holding its own kinds of missing value."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sklearn.linear_model import LogisticRegression

from railyard_batch.bundle import export_and_gate
from railyard_batch.bundle.vector_cases import TARGETS, _fraud, fraud_frame

LABEL = TARGETS["label"]


def _sources(tmp_path: Path) -> dict[str, pd.DataFrame]:
    # as generated: object string columns, a missing string None on even rows, NaN on odd
    frame = fraud_frame(1500, 11).drop(columns=[TARGETS["multiclass"], TARGETS["regression"]])
    frame.to_parquet(tmp_path / "data.parquet", index=False)
    frame.to_csv(tmp_path / "data.csv", index=False)
    strings = [c for c in frame.columns if frame[c].dtype == object]
    by_hand = pd.DataFrame(
        {
            c: pd.Series(
                [None if pd.isna(v) else v for v in frame[c].tolist()],
                dtype=object if c in strings else None,
            )
            for c in frame.columns
        }
    )
    return {
        "parquet": pd.read_parquet(tmp_path / "data.parquet"),
        "csv": pd.read_csv(tmp_path / "data.csv"),
        "by hand": by_hand,  # object columns, None for every missing string
        "as generated": frame,
    }


def test_one_model_exports_alike_from_parquet_csv_and_a_hand_built_frame(
    tmp_path: Path, jvm_jar: Path
) -> None:
    sources = _sources(tmp_path)
    # the sources differ as pandas sees them: str columns with NaN (pandas 3 reading parquet
    # and CSV) against object columns with None, or None and NaN mixed
    assert isinstance(sources["parquet"]["country"].dtype, pd.StringDtype)
    assert isinstance(sources["csv"]["country"].dtype, pd.StringDtype)
    assert sources["by hand"]["country"].dtype == object
    missing = sources["by hand"]["country"][sources["by hand"]["country"].isna()]
    assert len(missing) and all(v is None for v in missing)
    kinds = {type(v) for v in sources["as generated"]["country"] if pd.isna(v)}
    assert kinds == {type(None), float}

    documents: dict[str, dict[str, str]] = {}
    scores: dict[str, list[float]] = {}
    categories: dict[str, set[object]] = {}
    for name, frame in sources.items():
        inputs = frame.drop(columns=[LABEL])
        pipe = _fraud(LogisticRegression(C=1.0, max_iter=500)).fit(inputs, frame[LABEL])
        out = tmp_path / name.replace(" ", "_")
        outcome = export_and_gate(
            pipe,
            out,
            model_name="m",
            input_schema=inputs,
            holdout=inputs.head(500),
            with_onnx=False,
        )
        assert outcome.exportable, (name, outcome.reason)
        assert outcome.jvm is not None and outcome.jvm.passed and outcome.jvm.failed_rows == 0
        manifest = json.loads((out / "manifest.json").read_text())
        documents[name] = manifest["documents"]
        assert [c["type"] for c in manifest["input_schema"]] == [
            "number",
            "number",
            "number",
            "number",
            "string",
            "string",
            "string",
            "string",
        ], name
        scores[name] = pipe.predict_proba(inputs.head(500))[:, 1].tolist()
        encoder = pipe.named_steps["preprocess"].named_transformers_["cat"].named_steps["onehot"]
        categories[name] = {v for cats in encoder.categories_ for v in cats}

    # Read through pandas (parquet or CSV: pandas 3 gives str columns, NaN for a missing
    # string), the model is one and the same, bundle documents included.
    assert documents["csv"] == documents["parquet"]
    assert scores["csv"] == scores["parquet"]
    # Built by hand with None, scikit-learn itself fits another model: SimpleImputer
    # (missing_values=NaN) leaves None alone and OneHotEncoder learns it as a category. The
    # bundle reproduces that model's own treatment of None and NaN: it exported and passed
    # the JVM gate above, on holdout rows holding those same kinds of missing value.
    for name in ("by hand", "as generated"):
        assert None in categories[name], name
        assert None not in categories["parquet"]
