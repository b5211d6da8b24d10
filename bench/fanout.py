"""Fan-out: N per-merchant LogisticRegression models on the 1M-row dataset, recorded with
artifacts and metrics, against a hand-written single-process loop (pandas groupby +
scikit-learn fit + predict, nothing written) over the same data, in the same run.

    .venv/bin/python -m bench.fanout [--members 1000] [--repeats 3] [--data PATH]
                                     [--scaling 1000,2000,3000]

Three kinds of run, each a child process, interleaved (loop, loop-1t, railyard, loop, ...):
``loop`` is the loop as written (the math libraries pick their own thread counts: on 2 cores
OpenBLAS and OpenMP start 2 threads each), ``loop-1t`` the same loop with them pinned to one
thread (its best time on one core here), ``railyard`` the sweep (the ``railyard-batch``
process itself, one worker per core, one thread each). The figures are medians over the repeats: wall time, CPU time of the process
tree, and peak memory of the tree: the sum of RSS sampled every 50 ms (counts the libraries'
pages once per process) and the sum of PSS sampled every second (each shared page split
between the processes that map it: what the tree takes from the machine). ``--scaling`` adds a table of railyard's
wall time per member at each member count.
Targets (issue 11): railyard wall time <= 0.8x the loop's; peak memory <= 1.5x; per-member
cost flat within 20% from 1,000 to 3,000 members (the scaling table on merchants of equal
size: on the repo's data later members are smaller).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
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

from bench._common import CATEGORICAL, CLI, NUMERIC, REPO, members_by_state, scratch_project
from railyard_batch.synthetic import generate, write


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


def railyard_args(members: int) -> list[str]:
    """The sweep: the same members, features and split as the loop, recorded."""
    return [
        "estimator=logistic_regression",
        "fanout.by=merchant_id",
        "fanout.min_rows=1",
        f"fanout.max_members={members}",
        "fanout.include_global=false",
        "split.strategy=time",
        "split.time_column=timestamp",
        "execution.progress=false",
    ]


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    with contextlib.suppress(psutil.Error):
        return [proc, *proc.children(recursive=True)]
    return []


def _tree_rss(procs: list[psutil.Process]) -> int:
    """Sum of RSS (``/proc/PID/statm``: cheap enough to read every 50 ms)."""
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def _tree_pss(procs: list[psutil.Process]) -> int:
    """Sum of PSS (``smaps``: about 7 ms per process here, so read once a second, under 3% of
    one core for a 4-process tree)."""
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_full_info().pss
    return total


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(mode: str, data: Path, members: int) -> dict[str, float | str]:
    """Run ``mode`` as a child: wall s, CPU s of the tree, peak tree RSS and PSS bytes, and
    what it did. The loops run as this module's child; the sweep is the ``railyard-batch``
    process itself (in a scratch project made first), so that the tree measured is the CLI
    and its workers, not also an interpreter that imported pandas and scikit-learn to start it
    (about 100 MiB of PSS and a second of wall time that are not the sweep's)."""
    root = None
    if mode == "railyard":
        root = scratch_project(data)
        cmd, cwd = [CLI, *railyard_args(members)], root
    else:
        cmd = [sys.executable, "-m", "bench.fanout", "--child", mode]
        cmd += ["--members", str(members), "--data", str(data)]
        cwd = REPO
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if mode == "loop-1t":
        env.update({name: "1" for name in THREAD_VARS})
    cpu_before = _children_cpu()
    start = time.perf_counter()
    child = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    parent = psutil.Process(child.pid)
    peak_rss = peak_pss = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_rss, peak_pss
        last_pss = 0.0
        while not done.is_set():
            procs = _tree(parent)
            peak_rss = max(peak_rss, _tree_rss(procs))
            if time.monotonic() - last_pss >= 1.0:
                peak_pss = max(peak_pss, _tree_pss(procs))
                last_pss = time.monotonic()
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"{mode} run failed ({child.returncode}):\n{err[-3000:]}")
    line = f"members {members_by_state(root)}" if root else out.strip().splitlines()[-1]
    return {
        "wall": elapsed,
        "cpu": _children_cpu() - cpu_before,  # the child's tree: pool workers are waited for
        "rss": peak_rss,
        "pss": peak_pss,
        "line": line,
    }


def scaling(data: Path, counts: list[int]) -> None:
    """railyard's wall time per member at each member count, twice: on ``data`` (the
    largest merchants first, so later members are smaller and the cost per member falls),
    and on generated data whose merchants all have about the same rows (300), where a flat
    cost per member is what says the platform's own cost per member does not grow with
    their number."""
    scratch = Path(tempfile.mkdtemp(prefix="railyard-scaling-"))
    equal = scratch / "equal_merchants.parquet"
    write(
        generate(
            rows=max(counts) * 300, merchants=max(counts), seed=1, fraud_rate=0.05, size_sigma=0
        ),
        equal,
    )
    for title, path in ((data.name, data), ("merchants of equal size (300 rows)", equal)):
        print(
            f"\nscaling on {title}: members, wall s, ms per member, vs the first; ms per "
            "member added since the row above (the fixed cost cancels), vs the first such"
        )
        first = first_added = None
        before: tuple[int, float] | None = None
        for count in counts:
            run = measured("railyard", path, count)
            wall = float(run["wall"])
            per = wall / count * 1000
            first = first or per
            added = ""
            if before is not None:
                marginal = (wall - before[1]) / (count - before[0]) * 1000
                first_added = first_added or marginal
                added = f"  added {marginal:6.2f}  {marginal / first_added:5.2f}x"
            before = (count, wall)
            print(
                f"  {count:6d} {wall:8.2f} {per:8.2f}  {per / first:5.2f}x{added}  ({run['line']})",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=REPO / "data" / "transactions.parquet")
    parser.add_argument("--scaling", help="member counts for a scaling table: 1000,2000,3000")
    parser.add_argument("--child", choices=["loop", "loop-1t"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child in ("loop", "loop-1t"):
        _, fitted = hand_written_loop(args.data, args.members)
        print(f"{fitted} models fitted, nothing written")
        return
    modes = ("loop", "loop-1t", "railyard")
    runs: dict[str, list[dict[str, float | str]]] = {m: [] for m in modes}
    for i in range(args.repeats):
        for mode in modes:
            run = measured(mode, args.data, args.members)
            runs[mode].append(run)
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(
                f"[{i + 1}/{args.repeats}] {mode:8s} {run['wall']:7.2f} s  cpu {run['cpu']:6.1f} s"
                f"  peak tree RSS {float(run['rss']) / 2**20:6.0f} MiB"
                f"  PSS {float(run['pss']) / 2**20:6.0f} MiB  load {load}  ({run['line']})",
                flush=True,
            )

    def median(mode: str, key: str) -> float:
        return statistics.median(float(r[key]) for r in runs[mode])

    if args.repeats:  # --repeats 0 --scaling ...: the scaling tables alone
        for mode in modes:
            print(
                f"{mode:9s}: median {median(mode, 'wall'):7.2f} s, cpu {median(mode, 'cpu'):6.1f} s, "
                f"RSS {median(mode, 'rss') / 2**20:5.0f} MiB, PSS {median(mode, 'pss') / 2**20:5.0f} MiB"
            )
        for base in ("loop", "loop-1t"):
            print(
                f"ratio railyard/{base:7s} wall {median('railyard', 'wall') / median(base, 'wall'):.2f}x"
                f" (target <= 0.8x), peak RSS {median('railyard', 'rss') / median(base, 'rss'):.2f}x,"
                f" peak PSS {median('railyard', 'pss') / median(base, 'pss'):.2f}x (target <= 1.5x)"
            )
    if args.scaling:
        scaling(args.data, [int(n) for n in args.scaling.split(",")])


if __name__ == "__main__":
    main()
