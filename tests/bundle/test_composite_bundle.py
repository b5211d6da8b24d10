"""Composition bundles (railyard_batch/bundle/composite.py) with hostile routing values: any
text a fan-out column may hold (quotes, backslashes, control characters, non-ASCII, astral
characters, values that differ only in case or a trailing space) is sealed, routed by the JVM
exactly as Python routes it, and can neither be confused with another value nor reach a path;
and what cannot be a composition is refused with one line, nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from railyard_batch.bundle.composite import composite_outcomes, write_composite
from railyard_batch.bundle.errors import BundleError
from railyard_batch.bundle.export import export_bundle
from railyard_batch.bundle.jsonl import frame_to_jsonl
from railyard_batch.bundle.jvm_scorer import run_scorer
from railyard_batch.bundle.seal import verify_bundle

HOSTILE = [
    'quote "q"',
    "back\\slash",
    "tab\tnew\nline",
    "nul\x00char",
    "DEL\x7f",
    "é",
    "E\u0301",  # the same letter, decomposed: another value
    "\u2028line separator",
    "emoji \U0001f600",
    "M1",
    "m1",
    "m1 ",
    "../../etc/passwd",
    "",
]
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)


def _frame(values: list[str], n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "x": x,
            "merchant": rng.choice(np.array(values, dtype=object), n),
            "y": (x + rng.normal(scale=0.5, size=n) > 0).astype(int),
        }
    )


def _model(depth: int) -> Pipeline:
    pre = ColumnTransformer([("num", StandardScaler(), ["x"])])
    return Pipeline(
        [("pre", pre), ("model", DecisionTreeClassifier(max_depth=depth, random_state=0))]
    )


def _composite(tmp: Path, values: list[str], kind: str = "route", weight: float = 1.0) -> Any:
    frame = _frame(values, 400, 0)
    inputs = frame[["x", "merchant"]]
    fallback = Pipeline(
        [
            ("pre", ColumnTransformer([("num", "passthrough", ["x"])])),
            ("model", LogisticRegression()),
        ]
    ).fit(inputs, frame["y"])
    members = {v: _model(1 + i % 4).fit(inputs, frame["y"]) for i, v in enumerate(values)}
    g = export_bundle(fallback, tmp / "src" / "g", model_name="g", input_schema=inputs).path
    routes = [
        (v, export_bundle(m, tmp / "src" / f"m{i}", model_name=f"m{i}", input_schema=inputs).path)
        for i, (v, m) in enumerate(members.items())
    ]
    path, manifest = write_composite(
        tmp / "out",
        dir_name="c",
        model_name="t/c",
        run_id=None,
        kind=kind,
        member_weight=weight,
        route_by="merchant",
        route_by_type="string",
        fallback=g,
        routes=routes,
    )
    return path, manifest, fallback, members


def test_hostile_routing_values_route_in_the_jvm_as_in_python(
    tmp_path: Path, jvm_jar: Path
) -> None:
    path, manifest, fallback, members = _composite(tmp_path, HOSTILE)
    assert sorted(v for v, _ in manifest["routes"]) == sorted(HOSTILE)
    assert sorted(p.name for p in (path / "members").iterdir()) == sorted(manifest["members"])
    assert all(p.resolve().is_relative_to(tmp_path) for p in tmp_path.rglob("*"))
    rows = _frame([*HOSTILE, "not routed", "M1  "], 300, 1)[["x", "merchant"]]
    rows.loc[::17, "merchant"] = None
    want_labels, want, refused = composite_outcomes(
        fallback, members, rows, route_by="merchant", kind="route", member_weight=1.0
    )
    assert not any(refused)
    (tmp_path / "rows.jsonl").write_text(frame_to_jsonl(rows))
    got = run_scorer(path, tmp_path / "rows.jsonl", tmp_path / "out.jsonl", jar=jvm_jar)
    scores = np.array([r.scores for r in got])
    assert np.array_equal(scores.view(np.uint64), want.view(np.uint64))  # bit for bit
    assert [r.label for r in got] == want_labels
    # the routing really happens: a routed value's row scores as its member, not the fallback
    one = rows[rows["merchant"] == "E\u0301"].head(1)
    assert np.array_equal(
        want[one.index[0]], members["E\u0301"].predict_proba(one)[0]
    ) and not np.array_equal(want[one.index[0]], fallback.predict_proba(one)[0])


@settings(max_examples=40, deadline=None)
@given(values=st.lists(TEXT, min_size=1, max_size=6, unique=True), weight=st.floats(0, 1))
def test_any_routing_values_give_a_sealed_bundle(
    tmp_path_factory: pytest.TempPathFactory, values: list[str], weight: float
) -> None:
    tmp = tmp_path_factory.mktemp("any")
    path, manifest, _, _ = _composite(tmp, values, "blend", weight)
    on_disk = json.loads((path / "manifest.json").read_text())
    assert on_disk == manifest and [v for v, _ in on_disk["routes"]] == sorted(values, key=str)
    assert on_disk["weights"] == {"member": weight, "global": 1.0 - weight}
    assert all(p.resolve().is_relative_to(tmp) for p in tmp.rglob("*"))


def test_what_cannot_be_a_composition_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    frame = _frame(["a", "b"], 200, 0)
    inputs = frame[["x", "merchant"]]
    clf = export_bundle(
        _model(2).fit(inputs, frame["y"]), tmp_path / "clf", model_name="c", input_schema=inputs
    ).path
    reg = Pipeline(
        [
            ("pre", ColumnTransformer([("num", "passthrough", ["x"])])),
            ("model", DecisionTreeRegressor(max_depth=2)),
        ]
    ).fit(inputs, frame["x"])
    regb = export_bundle(reg, tmp_path / "reg", model_name="r", input_schema=inputs).path
    base: dict[str, Any] = dict(
        dir_name="c",
        model_name="t/c",
        run_id=None,
        route_by="merchant",
        route_by_type="string",
        fallback=clf,
    )
    cases: list[tuple[dict[str, Any], str]] = [
        (dict(kind="chain", member_weight=1.0, routes=[]), "kind must be one of route, blend"),
        (dict(kind="stack", member_weight=1.0, routes=[]), "needs its fit"),
        (
            dict(kind="route", member_weight=1.0, routes=[], stack={"coef_own": 1.0}),
            "only a stack has one",
        ),
        (dict(kind="blend", member_weight=1.5, routes=[]), "member weight must be in [0, 1]"),
        (dict(kind="route", member_weight=1.0, routes=[("a", regb)]), "scores"),
        (dict(kind="route", member_weight=1.0, routes=[("a", clf), ("a", clf)]), "routed twice"),
        (dict(kind="route", member_weight=1.0, routes=[(None, clf)]), "is not a string"),
        (dict(kind="route", member_weight=1.0, routes=[(3, clf)]), "is not a string"),
    ]
    for kwargs, fragment in cases:
        with pytest.raises(BundleError) as refused:
            write_composite(tmp_path / "out", **base, **kwargs)
        assert fragment in str(refused.value) and "\n" not in str(refused.value)
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    with pytest.raises(BundleError, match="combines classifiers"):
        write_composite(
            tmp_path / "out",
            **{**base, "fallback": regb},
            kind="route",
            member_weight=1.0,
            routes=[],
        )
    verify_bundle(clf)  # the member bundles are untouched
