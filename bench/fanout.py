"""Fan-out: N per-merchant LogisticRegression models on the 1M-row dataset, recorded with
artifacts and metrics, against a hand-written single-process loop (pandas groupby +
scikit-learn fit + predict, nothing written) over the same data, in the same run.

    .venv/bin/python -m bench.fanout [--members 1000] [--repeats 3] [--data PATH]

Both run as child processes, interleaved (loop, railyard, loop, railyard, ...); the figures
are medians over the repeats, with the peak RSS of each run's whole process tree (parent and
pool workers, sampled every 50 ms) and the machine's load average.
Target (issue 11): railyard wall time <= 0.8x the loop's; peak memory <= 1.5x.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from bench._common import CATEGORICAL, NUMERIC, REPO, members_by_state, run_cli, scratch_project


def hand_written_loop(data: Path, members: int) -> tuple[float, int]:
    """What a data scientist would write: one process, groupby, fit, predict."""
    start = time.perf_counter()
    df = pd.read_parquet(
        data, columns=[*NUMERIC, *CATEGORICAL, "merchant_id", "timestamp", "is_fraud"]
    )
    top = df["merchant_id"].value_counts().index[:members]
    fitted = 0
    for _, group in df[df["merchant_id"].isin(top)].groupby("merchant_id", sort=False):
        group = group.sort_values("timestamp")
        cut = int(len(group) * 0.8)
        train, holdout = group.iloc[:cut], group.iloc[cut:]
        if train["is_fraud"].nunique() < 2:
            continue
        model = Pipeline(
            [
                (
                    "preprocess",
                    ColumnTransformer(
                        [
                            (
                                "num",
                                Pipeline(
                                    [
                                        ("impute", SimpleImputer(strategy="median")),
                                        ("scale", StandardScaler()),
                                    ]
                                ),
                                NUMERIC,
                            ),
                            (
                                "cat",
                                Pipeline(
                                    [
                                        (
                                            "impute",
                                            SimpleImputer(
                                                strategy="constant", fill_value="missing"
                                            ),
                                        ),
                                        ("onehot", OneHotEncoder(handle_unknown="ignore")),
                                    ]
                                ),
                                CATEGORICAL,
                            ),
                        ]
                    ),
                ),
                ("model", LogisticRegression(C=1.0, max_iter=500)),
            ]
        )
        model.fit(train[NUMERIC + CATEGORICAL], train["is_fraud"])
        model.predict_proba(holdout[NUMERIC + CATEGORICAL])
        fitted += 1
    return time.perf_counter() - start, fitted


def railyard(data: Path, members: int) -> tuple[float, dict[str, int]]:
    root = scratch_project(data)
    elapsed = run_cli(
        root,
        "estimator=logistic_regression",
        "fanout.by=merchant_id",
        "fanout.min_rows=1",
        f"fanout.max_members={members}",
        "fanout.include_global=false",
        "split.strategy=time",
        "split.time_column=timestamp",
        "execution.progress=false",
    )
    return elapsed, members_by_state(root)


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def measured(mode: str, data: Path, members: int) -> tuple[float, int, str]:
    """Run this module as a child in ``mode``; return (wall s, peak tree RSS bytes, its line)."""
    cmd = [sys.executable, "-m", "bench.fanout", "--child", mode]
    cmd += ["--members", str(members), "--data", str(data)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    parent = psutil.Process(child.pid)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            with contextlib.suppress(psutil.Error):
                peak = max(peak, _tree_rss(parent))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = child.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"{mode} run failed ({child.returncode})")
    return elapsed, peak, out.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=REPO / "data" / "transactions.parquet")
    parser.add_argument("--child", choices=["loop", "railyard"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "loop":
        _, fitted = hand_written_loop(args.data, args.members)
        print(f"{fitted} models fitted, nothing written")
        return
    if args.child == "railyard":
        _, states = railyard(args.data, args.members)
        print(f"members {states}")
        return
    runs: dict[str, list[tuple[float, int]]] = {"loop": [], "railyard": []}
    for i in range(args.repeats):
        for mode in ("loop", "railyard"):
            wall, rss, line = measured(mode, args.data, args.members)
            runs[mode].append((wall, rss))
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(
                f"[{i + 1}/{args.repeats}] {mode:8s} {wall:7.2f} s  peak tree RSS "
                f"{rss / 2**20:7.0f} MiB  load {load}  ({line})",
                flush=True,
            )
    wall = {m: statistics.median(w for w, _ in r) for m, r in runs.items()}
    rss = {m: statistics.median(x for _, x in r) for m, r in runs.items()}
    print(f"hand-written loop : median {wall['loop']:7.2f} s, {rss['loop'] / 2**20:.0f} MiB")
    print(
        f"railyard-batch    : median {wall['railyard']:7.2f} s, "
        f"{rss['railyard'] / 2**20:.0f} MiB (CLI start included)"
    )
    print(f"ratio railyard/loop wall: {wall['railyard'] / wall['loop']:.2f}x  (target <= 0.8x)")
    print(f"ratio railyard/loop peak RSS: {rss['railyard'] / rss['loop']:.2f}x  (target <= 1.5x)")


if __name__ == "__main__":
    main()
