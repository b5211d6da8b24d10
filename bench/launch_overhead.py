"""Launch overhead: the marginal cost of one more member (trivial training: a prior-only
model through the train hook) against the marginal cost of one more Hydra job under Hydra's
BasicLauncher (a task that returns a constant), measured in the same run.

    .venv/bin/python -m bench.launch_overhead [--members 5000] [--hydra-jobs 100] [--repeats 3]
        [--hooks train,train_dummy]

Two hooks from ``bench/trivial.py`` are measured by default: ``train`` (the prior computed
from the label: user code that costs next to nothing, like Hydra's task; the target is for
this one) and ``train_dummy`` (scikit-learn's DummyClassifier, whose input checks cost about
as much as the platform's own work for a member; printed for comparison).

Marginal cost = (T(large) - T(small)) / (large - small), so process start-up cancels out.
The four runs (railyard small and large, Hydra small and large) are interleaved, ``--repeats``
times, and the ratio is of the medians: this machine is shared, and one repeat's figures
moved by 20% between runs of the same code.
Target (issue 2): railyard's per-member cost at least 100x lower than Hydra's per-job cost.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import members_by_state, run_cli, scratch_project
from railyard_batch.synthetic import generate, write

HYDRA_APP = """
import hydra

@hydra.main(version_base="1.3", config_path=None, config_name=None)
def main(cfg):
    return 1

if __name__ == "__main__":
    main()
"""


def hydra_seconds(app: Path, jobs: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(app),
            "-m",
            f"+x=range(0,{jobs})",
            "hydra/launcher=basic",
            "hydra/job_logging=disabled",
            "hydra/hydra_logging=disabled",
        ],
        cwd=app.parent,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def railyard_seconds(data: Path, members: int, hook: str) -> tuple[float, dict[str, int]]:
    root = scratch_project(data)
    elapsed = run_cli(
        root,
        f"hook=bench.trivial:{hook}",
        "targets.allowed_modules=[sklearn,pipelines,bench]",
        "fanout.by=merchant_id",
        "fanout.min_rows=1",
        f"fanout.max_members={members}",
        "fanout.include_global=false",
        "split.strategy=random",
        "evaluation.metrics=[roc_auc,log_loss]",
        "execution.progress=false",
    )
    return elapsed, members_by_state(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--hydra-jobs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats (median)")
    parser.add_argument(
        "--hooks",
        default="train,train_dummy",
        help="comma-separated hooks of bench/trivial.py to measure (the target is for 'train')",
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="railyard-overhead-"))
    data = scratch / "many_merchants.parquet"
    write(
        generate(
            rows=args.members * 12, merchants=args.members, seed=1, fraud_rate=0.5, size_sigma=0.0
        ),
        data,
    )
    app = scratch / "app.py"
    app.write_text(HYDRA_APP)

    small_m = max(args.members // 10, 1)
    hooks = [h for h in args.hooks.split(",") if h]
    per_member: dict[str, list[float]] = {hook: [] for hook in hooks}
    per_job: list[float] = []
    for repeat in range(1, args.repeats + 1):
        h_small = hydra_seconds(app, 1)
        h_large = hydra_seconds(app, args.hydra_jobs)
        per_job.append((h_large - h_small) / (args.hydra_jobs - 1))
        print(
            f"repeat {repeat}: hydra BasicLauncher 1 job {h_small:.2f} s, {args.hydra_jobs} "
            f"jobs {h_large:.2f} s: {1000 * per_job[-1]:.3f} ms a job",
            flush=True,
        )
        for hook in hooks:
            r_small, _ = railyard_seconds(data, small_m, hook)
            r_large, states = railyard_seconds(data, args.members, hook)
            per_member[hook].append((r_large - r_small) / (args.members - small_m))
            print(
                f"  hook {hook}: railyard {small_m} members {r_small:.2f} s, {args.members} "
                f"members {r_large:.2f} s (states {states}): "
                f"{1000 * per_member[hook][-1]:.3f} ms a member "
                f"({per_job[-1] / per_member[hook][-1]:.0f}x)",
                flush=True,
            )
    job = statistics.median(per_job)
    print(f"per job (hydra basic), median of {args.repeats}: {1000 * job:.3f} ms")
    for hook in hooks:
        member = statistics.median(per_member[hook])
        target = "  (target >= 100x)" if hook == "train" else ""
        print(
            f"hook {hook}: per member (railyard), median of {args.repeats}: "
            f"{1000 * member:.3f} ms; ratio hydra/railyard : {job / member:.0f}x{target}"
        )


if __name__ == "__main__":
    main()
