"""Evaluating a routed composition (issue 13): ``railyard-batch compose SWEEP`` over N
per-merchant LogisticRegression members plus the global model on the 1M-row dataset, as a CLI
process, against scoring the global model alone on its holdout rows in one process (read the
data, the same stratified split, the pickled global pipeline's ``predict_proba``), in the
same run.

    .venv/bin/python -m bench.compose [--members 1000] [--repeats 3] [--data PATH]

Set-up (not timed): one real sweep (``fanout.by=merchant_id``, ``fanout.min_rows=1``, the
global model included). Both sides run as child processes, interleaved; medians.
Target: at most 1.5x the global model alone.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench._common import CLI, FEATURES, REPO, run_cli, scratch_project


def set_up(data: Path, members: int) -> tuple[Path, str]:
    root = scratch_project(data)
    run_cli(
        root,
        "estimator=logistic_regression",
        "fanout.by=merchant_id",
        "fanout.min_rows=1",
        f"fanout.max_members={members}",
        "execution.progress=false",
    )
    with sqlite3.connect(root / "runs" / "railyard.db") as conn:
        (sweep,) = conn.execute("SELECT id FROM sweeps").fetchone()
    return root, str(sweep)


def global_alone(root: Path) -> str:
    """The baseline: the global model on its own holdout, the platform's split by hand."""
    import pandas as pd
    from sklearn.model_selection import StratifiedShuffleSplit

    with sqlite3.connect(root / "runs" / "railyard.db") as conn:
        run_uri, artifact = conn.execute(
            "SELECT r.artifact_uri, m.artifact_uri FROM members m JOIN runs r ON r.id = m.run_id"
            " WHERE m.member_key = '__global__'"
        ).fetchone()
    plan = json.loads((Path(run_uri) / "plan.json").read_text())
    needed = sorted({*FEATURES, "merchant_id", "is_fraud", "timestamp"})
    df = pd.read_parquet(root / "data" / "transactions.parquet", columns=needed)
    split = plan["config"]["split"]
    splitter = StratifiedShuffleSplit(
        n_splits=1, test_size=float(split["holdout_fraction"]), random_state=int(split["seed"])
    )
    _, holdout = next(splitter.split(df, df["is_fraud"]))
    with open(Path(run_uri) / artifact, "rb") as f:
        scores = pickle.load(f).predict_proba(df.iloc[holdout][FEATURES])
    return f"{len(scores)} holdout rows scored by the global model"


def measured(mode: str, root: Path, sweep: str) -> tuple[float, str]:
    if mode == "global":
        cmd = [sys.executable, "-m", "bench.compose", "--child-global", str(root)]
        cwd = REPO
    else:
        cmd = [CLI, "compose", sweep, "--json", "--force"]  # never the recorded result
        cwd = root
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    if mode == "global":
        return wall, proc.stdout.strip()
    (result,) = json.loads(proc.stdout)
    cov = result["coverage"]
    return wall, (
        f"{result['rows']} rows, {cov['values_covered']} of {cov['values_in_rows']} merchants"
        f" routed ({cov['rows']:.0%} of rows)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=REPO / "data" / "transactions.parquet")
    parser.add_argument("--child-global", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_global:
        print(global_alone(args.child_global))
        return
    start = time.perf_counter()
    root, sweep = set_up(args.data, args.members)
    print(
        f"set-up (one sweep of {args.members} merchants + global): {time.perf_counter() - start:.1f} s"
    )
    runs: dict[str, list[float]] = {"global": [], "compose": []}
    for i in range(args.repeats):
        for mode in runs:
            wall, line = measured(mode, root, sweep)
            runs[mode].append(wall)
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(
                f"[{i + 1}/{args.repeats}] {mode:8s} {wall:7.2f} s  load {load}  ({line})",
                flush=True,
            )
    g, c = statistics.median(runs["global"]), statistics.median(runs["compose"])
    print(f"global model alone : median {g:7.2f} s")
    print(f"compose (routed)   : median {c:7.2f} s, {c / g:.2f}x  (target <= 1.5x)")


if __name__ == "__main__":
    main()
