"""Helpers shared by the benchmarks: a scratch project and timing of CLI commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("railyard-batch"))
# The features of the repo's conf/ (features/transactions.yaml), for the hand-written baselines.
NUMERIC = ["amount", "hour", "account_age_days", "prev_txn_24h"]
CATEGORICAL = ["country", "card_brand", "channel"]
FEATURES = [*NUMERIC, *CATEGORICAL]


def scratch_project(data: Path) -> Path:
    """A temporary project with the repo's conf/ and pipelines/ and ``data`` linked in."""
    root = Path(tempfile.mkdtemp(prefix="railyard-bench-"))
    shutil.copytree(REPO / "conf", root / "conf")
    shutil.copytree(REPO / "pipelines", root / "pipelines")
    (root / "data").mkdir()
    (root / "data" / "transactions.parquet").symlink_to(data.resolve())
    return root


def run_cli(root: Path, *args: str) -> float:
    """Run railyard-batch in ``root``; return its wall time in seconds."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    proc = subprocess.run([CLI, *args], cwd=root, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"railyard-batch failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return elapsed


def members_by_state(root: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(root / "runs" / "railyard.db") as conn:
        return dict(conn.execute("SELECT state, COUNT(*) FROM members GROUP BY state").fetchall())


def jvm_classpath(scratch: Path) -> str:
    """Compile jvm/ and return the classpath (its classes and runtime dependencies) that a
    benchmark's Java source file runs with (``java -cp CLASSPATH Bench.java``)."""
    cp_file = scratch / "cp.txt"
    subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            "jvm/pom.xml",
            "compile",
            "dependency:build-classpath",
            "-Dmdep.includeScope=runtime",
            f"-Dmdep.outputFile={cp_file}",
        ],
        check=True,
        cwd=REPO,
    )
    return f"{REPO / 'jvm/target/classes'}:{cp_file.read_text().strip()}"
