"""Arbitrary strings as model names, aliases, tag keys and values, through the real CLI entry
point (in this process, for speed): never a crash, never a write outside
``<artifact_root>/registry/``, and either accepted or refused with one clean line."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from railyard_batch.cli import main as cli
from tests.registry.conftest import Trained

_VERSIONS: dict[str, str] = {}
LINE = re.compile(r"[A-Z][A-Za-z]+: [^\n]*\n")


def _files(root: Path) -> dict[str, tuple[int, int]]:
    """Every file of the project except the database and the registry's own directory."""
    skip = root / "runs" / "artifacts" / "registry"
    return {
        str(p): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file() and skip not in p.parents and not p.name.startswith("railyard.db")
    }


def _cli(trained: Trained, *args: str) -> tuple[int, str]:
    root = trained.project.root
    argv = [
        "models",
        "--store",
        trained.project.store_url,
        "--artifact-root",
        str(root / "runs" / "artifacts"),
        *args,
    ]
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        pytest.raises(SystemExit) as exit_,
    ):
        cli.main(argv)
    code = exit_.value.code
    assert code in (0, 2), (args, code, err.getvalue())
    if code == 2:
        assert LINE.fullmatch(err.getvalue()), (args, err.getvalue())
    return int(code), err.getvalue()


@pytest.mark.e2e
@settings(max_examples=60, deadline=None)
@given(name=st.text(max_size=250), alias=st.text(max_size=120), key=st.text(), value=st.text())
def test_arbitrary_strings_are_accepted_or_refused_cleanly(
    trained: Trained, name: str, alias: str, key: str, value: str
) -> None:
    real = trained.names()[4]
    if real not in _VERSIONS:
        _VERSIONS[real] = trained.versions(real)[0]["version"]
    version = _VERSIONS[real]
    registry = trained.project.root / "runs" / "artifacts" / "registry"
    before = _files(trained.project.root)
    _cli(trained, "show", "--", name)
    _cli(trained, "history", f"--alias={alias}", "--", real)
    _cli(trained, "tag", "--", real, version, f"{key}={value}")
    _cli(trained, "untag", "--", real, version, key)
    _cli(trained, "alias", "--reason", "property", "--", name, "candidate", version)
    code, _ = _cli(trained, "alias", f"--reason={value}", "--", real, alias, version)
    if code == 0:
        assert (registry / real / f"{alias}.json").is_file()
        _cli(trained, "unalias", "--reason", "property", "--", real, alias)
        assert not (registry / real / f"{alias}.json").exists()
    assert _files(trained.project.root) == before
    for path in registry.rglob("*"):
        assert registry in path.resolve().parents
