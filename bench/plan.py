"""``railyard-batch plan`` of a 10,000-member sweep between two revisions, as a CLI process,
against the plan of the same sweep without its fan-out (``fanout.by=null``: 3 members; the
fixed cost of any plan: imports, git, Hydra composition and validation at both revisions)
measured in the same run.

    .venv/bin/python -m bench.plan [--merchants 3333] [--repeats 3]

The project is a real git + DVC repository made for the run: the repo's conf/ and
pipelines/, fraud_v3 with ``min_rows`` low enough that every merchant trains (3 estimators x
(merchants + the global model) = 10,002 members), a ``dvc repro`` stage writing the data, and
two commits (the second changes LogisticRegression's C, so a third of the members retrain).
The first plan reads the dataset's fan-out values once into the index
(railyard_batch/planning/fanout_index.py); the plans timed after it read the index, as a pull request's
plan does when the data did not change, and the estimator checks that passed at the first
(railyard_batch/config/estimator_checks.py). Target (issue 15): at most 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench._common import CLI, REPO

BIN = Path(CLI).parent
STAGE = """stages:
  transactions:
    cmd: python -m railyard_batch.synthetic --rows {rows} --merchants {merchants} --seed 1
      --fraud-rate 0.08 --size-sigma 0.2 --out data/transactions.parquet
    outs:
      - data/transactions.parquet
"""
ENV = {
    **os.environ,
    "PATH": f"{BIN}:{os.environ['PATH']}",
    "PYTHONPATH": str(REPO),
    "DVC_NO_ANALYTICS": "1",
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def sh(cwd: Path, *cmd: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=1800)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise SystemExit(f"{old!r} not in {path}")
    path.write_text(text.replace(old, new))


def project(merchants: int) -> Path:
    root = Path(tempfile.mkdtemp(prefix="railyard-bench-plan-")) / "proj"
    root.mkdir()
    (root / ".gitignore").write_text("runs/\nmultirun/\noutputs/\n")
    shutil.copytree(REPO / "conf", root / "conf")
    shutil.copytree(
        REPO / "pipelines", root / "pipelines", ignore=shutil.ignore_patterns("__pycache__")
    )
    edit(root / "conf" / "experiment" / "fraud_v3.yaml", "min_rows: 2000", "min_rows: 1")
    (root / "dvc.yaml").write_text(STAGE.format(rows=merchants * 60, merchants=merchants))
    sh(root, "git", "init", "-q", "-b", "main")
    sh(root, "dvc", "init", "-q")
    sh(root, "dvc", "repro", "-q")
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-qm", "base")
    sh(root, "git", "tag", "base")
    edit(root / "conf" / "estimator" / "logistic_regression.yaml", "C: 1.0", "C: 0.5")
    sh(root, "git", "commit", "-qam", "C")
    return root


def timed(root: Path, *args: str, ok: tuple[int, ...] = (0,)) -> tuple[float, str]:
    began = time.perf_counter()
    proc = sh(root, CLI, *args, ok=ok)
    return time.perf_counter() - began, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--merchants", type=int, default=3333)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = project(args.merchants)
    plan = ("plan", "+experiment=fraud_v3", "-m", "--against", "base", "--json")
    try:
        first, out = timed(root, *plan, ok=(1,))  # exit 1: members change
        report = json.loads(out)
        floor, warm = [], []
        for _ in range(args.repeats):
            floor.append(timed(root, *plan, "fanout.by=null", ok=(1,))[0])
            warm.append(timed(root, *plan, ok=(1,))[0])
    finally:
        if os.environ.get("KEEP"):
            print(root)
        else:
            shutil.rmtree(root.parent, ignore_errors=True)
    counts = report.get("counts") or report.get("summary") or {}
    print(f"plan of fraud_v3 over {args.merchants:,} merchants between two revisions: {counts}")
    f, w = statistics.median(floor), statistics.median(warm)
    print(f"{'':34} {'median s':>9} {'runs':>5}")
    print(f"{'plan, 3 members (no fan-out)':34} {f:9.2f} {len(floor):5d}")
    print(f"{'plan, fan-out index built (first)':34} {first:9.2f} {1:5d}")
    print(f"{'plan, index read':34} {w:9.2f} {len(warm):5d}")
    print(
        f"plan with the index read: {w:.2f} s (target <= 2 s: {'met' if w <= 2 else 'NOT met'});"
        f" {w / f:.2f}x the plan of 3 members"
    )


if __name__ == "__main__":
    main()
