"""The scorer jar is built once when several processes need it at the same time (pool workers
exporting their first bundles on a fresh clone): two Maven builds into one ``target/`` made
one of them fail, and its member was recorded as not exportable."""

from __future__ import annotations

import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from railyard_batch.bundle import jvm_scorer


def test_concurrent_builds_of_a_stale_jar_all_succeed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "jvm"
    shutil.copytree(jvm_scorer.JVM_PROJECT, project, ignore=shutil.ignore_patterns("target"))
    monkeypatch.setattr(jvm_scorer, "JVM_PROJECT", project)
    monkeypatch.delenv(jvm_scorer.JAR_ENV, raising=False)
    with ThreadPoolExecutor(3) as pool:
        jars = list(pool.map(lambda _: jvm_scorer.scorer_jar(build=True), range(3)))
    assert jars == [project / "target" / jvm_scorer.JAR_NAME] * 3
    with zipfile.ZipFile(jars[0]) as jar:
        assert jar.testzip() is None
        assert any(n.endswith("ScoreCli.class") for n in jar.namelist())
