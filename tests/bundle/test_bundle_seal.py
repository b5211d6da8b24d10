"""Every manifest field is sealed: each value (walked, not listed by hand) changed in turn is refused.

The JVM side of the same property is jvm/src/test/java/dev/railyard/scorer/ManifestSealTest.java.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from railyard_batch.bundle import BundleIntegrityError, export_bundle, verify_bundle
from railyard_batch.bundle.errors import BundleError
from railyard_batch.bundle.vector_cases import CASES, fit_case


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    case = next(c for c in CASES if c.name == "fraud_v3_xgb_classifier")
    pipe, inputs = fit_case(case, n_train=300)
    out = tmp_path_factory.mktemp("seal") / "b"
    export_bundle(pipe, out, model_name="seal", input_schema=inputs, run_id="r1")
    return out


def _leaves(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict) and node:
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list) and node:
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    else:
        yield path


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, str):
        return value + "x"
    if value is None:
        return "x"
    return ["x"] if isinstance(value, list) else {"x": 1}


def _edits(manifest: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(what, the name the refusal must contain, edited manifest) for every leaf and key."""
    for path in _leaves(manifest, ()):
        edited = copy.deepcopy(manifest)
        parent = edited
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = _changed(parent[path[-1]])
        names = str(path[1]) if path[0] == "sealed" and len(path) > 1 else str(path[0])
        yield "change " + "/".join(map(str, path)), names, edited
    for key in manifest:
        edited = {k: v for k, v in manifest.items() if k != key}
        yield f"remove {key}", key, edited
    yield "add extra", "extra", {**manifest, "extra": 1}


def test_every_manifest_edit_is_refused(bundle: Path, tmp_path: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    verify_bundle(bundle)
    edits = list(_edits(manifest))
    assert len(edits) > 60
    for i, (what, names, edited) in enumerate(edits):
        target = tmp_path / str(i)
        shutil.copytree(bundle, target)
        (target / "manifest.json").write_text(json.dumps(edited, indent=2))
        with pytest.raises(BundleError) as err:
            verify_bundle(target)
        assert names in str(err.value), f"{what}: {err.value}"


def test_swapping_two_input_column_names_is_refused(bundle: Path, tmp_path: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    schema = manifest["input_schema"]
    schema[0]["name"], schema[1]["name"] = schema[1]["name"], schema[0]["name"]
    shutil.copytree(bundle, tmp_path / "b")
    (tmp_path / "b" / "manifest.json").write_text(json.dumps(manifest, indent=2))
    with pytest.raises(
        BundleIntegrityError, match=r"^Manifest field 'input_schema' does not match"
    ):
        verify_bundle(tmp_path / "b")


def test_an_edited_document_is_refused_by_name(bundle: Path, tmp_path: Path) -> None:
    shutil.copytree(bundle, tmp_path / "b")
    doc = tmp_path / "b" / "steps" / "pipeline_model.json"
    doc.write_bytes(doc.read_bytes().replace(b'"type"', b'"type" '))
    with pytest.raises(BundleIntegrityError, match=r"steps/pipeline_model\.json"):
        verify_bundle(tmp_path / "b")


@settings(max_examples=25, deadline=None)
@given(name=st.text(max_size=30), run_id=st.one_of(st.none(), st.text(max_size=30)))
def test_any_model_name_and_run_id_verify(bundle: Path, name: str, run_id: str | None) -> None:
    """Arbitrary strings in sealed fields hash the same on writing and on reading."""
    import tempfile

    from railyard_batch.bundle.seal import seal

    manifest = json.loads((bundle / "manifest.json").read_text())
    resealed = seal({**manifest, "model_name": name, "run_id": run_id})
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "b"
        shutil.copytree(bundle, target)
        (target / "manifest.json").write_text(json.dumps(resealed, indent=2))
        assert verify_bundle(target)["model_name"] == name
