"""Build (if needed) and run the JVM scorer CLI of ``jvm/`` on a bundle and a JSON-lines file."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import JvmScorerError

JVM_PROJECT = Path(__file__).resolve().parents[2] / "jvm"
JAR_NAME = "railyard-scorer-0.1.0-cli.jar"
JAR_ENV = "RAILYARD_SCORER_JAR"


@dataclass(frozen=True)
class JvmRow:
    """One JVM output line: a prediction, or the error that stopped the row."""

    label: Any
    scores: list[float] | None
    error: str | None


def _newest_source(project: Path) -> float:
    paths = [project / "pom.xml", *(project / "src" / "main").rglob("*")]
    return max(p.stat().st_mtime for p in paths if p.is_file())


def scorer_jar(*, build: bool = True) -> Path:
    """The self-contained scorer jar: ``$RAILYARD_SCORER_JAR``, else jvm/target (rebuilt when stale).

    Raises :class:`JvmScorerError` when java or mvn is missing or the build fails.
    """
    override = os.environ.get(JAR_ENV)
    if override:
        jar = Path(override)
        if not jar.is_file():
            raise JvmScorerError(f"{JAR_ENV}={override} is not a file.")
        return jar
    if shutil.which("java") is None:
        raise JvmScorerError("The JVM scorer needs 'java' (17+) on PATH; none found.")
    jar = JVM_PROJECT / "target" / JAR_NAME
    if jar.is_file() and jar.stat().st_mtime >= _newest_source(JVM_PROJECT):
        return jar
    if not build:
        raise JvmScorerError(
            f"{jar} is missing or older than jvm/src; run: mvn -q -f jvm/pom.xml package -DskipTests"
        )
    if shutil.which("mvn") is None:
        raise JvmScorerError(
            "Building the JVM scorer needs 'mvn' (Maven 3.8+) on PATH; none found."
        )
    # Pool workers that export at once would run two Maven builds into one target/ and one of
    # them fails: the first builds under an exclusive lock, the others wait and find it fresh.
    (JVM_PROJECT / "target").mkdir(exist_ok=True)
    with open(JVM_PROJECT / "target" / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if jar.is_file() and jar.stat().st_mtime >= _newest_source(JVM_PROJECT):
            return jar
        proc = subprocess.run(
            ["mvn", "-q", "-B", "-f", str(JVM_PROJECT / "pom.xml"), "package", "-DskipTests"],
            capture_output=True,
            text=True,
            check=False,
        )
    if proc.returncode != 0 or not jar.is_file():
        raise JvmScorerError(
            f"Building the JVM scorer failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        )
    return jar


def run_scorer(
    bundle_dir: Path, input_jsonl: Path, output_jsonl: Path, *, jar: Path | None = None
) -> list[JvmRow]:
    """Score ``input_jsonl`` with the bundle through ``java -jar``; one :class:`JvmRow` per input row."""
    jar = jar or scorer_jar()
    proc = subprocess.run(
        ["java", "-jar", str(jar), str(bundle_dir), str(input_jsonl), str(output_jsonl)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise JvmScorerError(f"JVM scorer exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    return _read_rows(output_jsonl)


def run_scorer_batch(
    jobs: list[tuple[Path, Path, Path]], *, jar: Path | None = None
) -> list[list[JvmRow]]:
    """Score each ``(bundle_dir, input_jsonl, output_jsonl)`` job in one JVM (``--batch``):
    one start-up for many bundles. The rows of each job, in order; a job that cannot run (its
    bundle or input unreadable) is a :class:`JvmScorerError` naming it."""
    if not jobs:
        return []
    jar = jar or scorer_jar()
    spec = jobs[0][2].parent / "jobs.jsonl"
    spec.write_text(
        "".join(
            json.dumps({"bundle": str(b), "input": str(i), "output": str(o)}) + "\n"
            for b, i, o in jobs
        )
    )
    proc = subprocess.run(
        ["java", "-jar", str(jar), "--batch", str(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise JvmScorerError(f"JVM scorer exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    return [_read_rows(output) for _, _, output in jobs]


def _read_rows(output_jsonl: Path) -> list[JvmRow]:
    rows = []
    for line in output_jsonl.read_text().splitlines():
        doc = json.loads(line)
        if "error" in doc:
            rows.append(JvmRow(None, None, doc["error"]))
        else:
            scores = [_from_bits(b) for b in doc["scores_bits"]]
            rows.append(JvmRow(doc["label"], scores, None))
    return rows


def _from_bits(hex_digits: str) -> float:
    import struct

    return float(struct.unpack(">d", bytes.fromhex(hex_digits))[0])
