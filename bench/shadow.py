"""Shadow scoring of a whole per-merchant sweep (issue 12): ``models shadow --sweep`` of N
names against production, as a CLI process, against a hand-written loop in one process that
reads the same data and scores both models' holdouts (pandas groupby, the pickled pipelines,
``predict_proba``, nothing computed or written), in the same run.

    .venv/bin/python -m bench.shadow [--members 1000] [--repeats 3] [--data PATH]

Set-up (not timed): two real sweeps of N per-merchant LogisticRegression members on the
1M-row dataset (the second with ``estimator.C=0.1``). Their members are registered without
bundles (exporting 2N bundles would run 2N JVM parity gates; shadow scoring reads the pickled
pipelines, not the bundles) and the first sweep's versions are made production.
Both sides then run as child processes, interleaved; medians over the repeats; the shadow
runs with ``--workers 1`` (the default: the loop's process and thread count) and with as many
pool processes as CPUs (each reads the sweep's dataset itself).
Target: ``--workers 1`` at most 1.5x the loop's wall time.
"""

from __future__ import annotations

import argparse
import hashlib
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

SWEEP = (
    "estimator=logistic_regression",
    "fanout.by=merchant_id",
    "fanout.min_rows=1",
    "fanout.include_global=false",
    "split.strategy=time",
    "split.time_column=timestamp",
    "execution.progress=false",
)


def _sweeps(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM sweeps ORDER BY created_at")]


def set_up(data: Path, members: int) -> tuple[Path, str]:
    """Two trained sweeps, registered, the first in production; the project and sweep 2."""
    from railyard_batch.registry.changes import Actor, AliasState, move_alias
    from railyard_batch.registry.db import engine_for
    from railyard_batch.registry.registration import Candidate, register

    root = scratch_project(data)
    for extra in ((), ("estimator.C=0.1",)):
        run_cli(root, *SWEEP, f"fanout.max_members={members}", *extra)
    db = root / "runs" / "railyard.db"
    url = f"sqlite:///{db}"
    engine = engine_for(url)
    sweeps = _sweeps(db)
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT id, sweep_id, run_id, member_value FROM members WHERE state = 'succeeded'"
        ).fetchall()
    candidates = []
    for member_id, sweep_id, run_id, value in rows:
        digest = hashlib.sha256(member_id.encode()).hexdigest()
        candidates.append(
            Candidate(
                model_name=f"bench/merchant_id={json.loads(value)}",
                version=digest,
                bundle_hash=f"sha256:{digest}",
                bundle_uri="-",
                sweep_id=sweep_id,
                run_id=run_id,
                member_id=member_id,
                estimator="sklearn.linear_model.LogisticRegression",
                metrics={},
                data_md5=None,
                git_commit=None,
                package_versions={},
                parity_passed=True,
                exportable=True,
                gate_reason=None,
            )
        )
    register(engine, candidates, "bench")
    actor = Actor("bench", reason="bench")
    for c in candidates:
        if c.sweep_id == sweeps[0]:
            move_alias(engine, c.model_name, "production", c.version, AliasState(None, None), actor)
    engine.dispose()
    return root, sweeps[1]


def hand_written_loop(root: Path) -> int:
    """Both models' holdout scores for every merchant: what the shadow does before it compares."""
    import pandas as pd

    db = root / "runs" / "railyard.db"
    with sqlite3.connect(db) as conn:
        sweeps = [r[0] for r in conn.execute("SELECT id FROM sweeps ORDER BY created_at")]
        paths: dict[str, dict[str, str]] = {}
        for sweep, side in zip(sweeps, ("production", "candidate"), strict=True):
            for value, run_uri, artifact in conn.execute(
                "SELECT m.member_value, r.artifact_uri, m.artifact_uri FROM members m"
                " JOIN runs r ON r.id = m.run_id WHERE m.sweep_id = ? AND m.state = 'succeeded'",
                (sweep,),
            ):
                # the raw value is stored as JSON; the artifact path is absolute here
                paths.setdefault(json.loads(value), {})[side] = str(Path(run_uri) / artifact)
    df = pd.read_parquet(
        root / "data" / "transactions.parquet",
        columns=[*FEATURES, "merchant_id", "timestamp", "is_fraud"],
    )
    scored = 0
    for value, group in df[df["merchant_id"].isin(paths)].groupby("merchant_id", sort=False):
        group = group.sort_values("timestamp")
        holdout = group.iloc[int(len(group) * 0.8) :][FEATURES]
        for side in ("production", "candidate"):
            with open(paths[value][side], "rb") as f:
                pickle.load(f).predict_proba(holdout)
        scored += 1
    return scored


def measured(mode: str, root: Path, sweep: str, workers: int) -> tuple[float, str]:
    if mode == "loop":
        cmd = [sys.executable, "-m", "bench.shadow", "--child-loop", str(root)]
    else:
        cmd = [CLI, "models", "shadow", "--sweep", sweep, "--workers", str(workers), "--json"]
    start = time.perf_counter()
    proc = subprocess.run(
        cmd,
        cwd=root if mode != "loop" else REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    if mode == "loop":
        return wall, proc.stdout.strip()

    summary = json.loads(proc.stdout)
    return wall, f"{len(summary['reports'])} names compared"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=REPO / "data" / "transactions.parquet")
    parser.add_argument("--child-loop", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_loop:
        print(f"{hand_written_loop(args.child_loop)} merchants scored by both models")
        return
    start = time.perf_counter()
    root, sweep = set_up(args.data, args.members)
    print(f"set-up (two sweeps, registration, production): {time.perf_counter() - start:.1f} s")
    cpus = os.cpu_count() or 1
    modes = [("loop", 1), ("shadow", 1), ("shadow", cpus)]
    runs: dict[tuple[str, int], list[float]] = {m: [] for m in modes}
    for i in range(args.repeats):
        for mode, workers in modes:
            wall, line = measured(mode, root, sweep, workers)
            runs[(mode, workers)].append(wall)
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            label = mode if mode == "loop" else f"shadow --workers {workers}"
            print(
                f"[{i + 1}/{args.repeats}] {label:20s} {wall:7.2f} s  load {load}  ({line})",
                flush=True,
            )
    median = {m: statistics.median(w) for m, w in runs.items()}
    loop = median[("loop", 1)]
    print(f"hand-written loop        : median {loop:7.2f} s")
    for mode, workers in modes[1:]:
        wall = median[(mode, workers)]
        target = "  (target <= 1.5x)" if workers == 1 else ""
        print(
            f"shadow --workers {workers:<8d}: median {wall:7.2f} s, {wall / loop:.2f}x the loop{target}"
        )


if __name__ == "__main__":
    main()
