"""Kubernetes submit and status: 10,000 members across 10 Hydra jobs expanded (planned),
rendered, validated and submitted to the local control plane (tests/k8s_cluster.py), against
the marginal cost of one more Hydra job under Hydra's BasicLauncher, measured in the same run.

    .venv/bin/python -m bench.k8s_submit [--members-per-job 1000] [--jobs 10]

Targets (issue 5): the whole submit in at most 10 s wall; at most 3 API objects per Job;
``status`` of the sweep in at most 1 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import CLI, REPO, run_cli, scratch_project
from bench.launch_overhead import HYDRA_APP, hydra_seconds
from railyard_batch.synthetic import generate, write

sys.path.insert(0, str(REPO / "tests"))
from k8s_cluster import Cluster, ensure_binaries


def submit(root: Path, cluster: Cluster, namespace: str, members: int, jobs: int) -> float:
    return run_cli(
        root,
        "-m",
        "hydra/launcher=kubernetes",
        f"hydra.launcher.kubeconfig={cluster.kubeconfig}",
        f"hydra.launcher.namespace={namespace}",
        "hydra.launcher.wait=false",
        f"split.seed=range(0,{jobs})",
        "fanout.by=merchant_id",
        "fanout.min_rows=1",
        f"fanout.max_members={members}",
        "fanout.include_global=false",
        "split.strategy=random",
        "execution.progress=false",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members-per-job", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--hydra-jobs", type=int, default=100)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="railyard-k8s-bench-"))
    data = scratch / "many_merchants.parquet"
    m = args.members_per_job
    write(generate(rows=m * 12, merchants=m, seed=1, fraud_rate=0.5, size_sigma=0.0), data)
    cluster = Cluster.create(scratch / "cluster", ensure_binaries())
    cluster.up()
    try:
        from kubernetes import client

        api = cluster.api_client()
        core, batch = client.CoreV1Api(api), client.BatchV1Api(api)
        for ns in ("small", "large"):
            core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
        time.sleep(1.0)  # the namespaces' default ServiceAccounts

        small_m = max(m // 10, 1)
        t_small = submit(scratch_project(data), cluster, "small", small_m, args.jobs)
        root = scratch_project(data)
        t_large = submit(root, cluster, "large", m, args.jobs)
        n_jobs = len(batch.list_namespaced_job("large").items)
        n_cms = len(
            core.list_namespaced_config_map(
                "large", label_selector="app.kubernetes.io/name=railyard-batch"
            ).items
        )

        store = f"sqlite:///{root / 'runs' / 'railyard.db'}"
        sweeps = json.loads(
            subprocess.run(
                [CLI, "runs", "--store", store, "list", "--json"],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        sweep = sweeps[0]["id"]
        status_runs = []
        for _ in range(5):  # the machines are shared: the median of five processes
            t0 = time.perf_counter()
            subprocess.run(
                [CLI, "status", sweep, "--store", store, "--json"],
                cwd=root,
                capture_output=True,
                check=True,
            )
            status_runs.append(time.perf_counter() - t0)
        t_status_cli = statistics.median(status_runs)

        from railyard_batch.execution.kubernetes._commands import status
        from railyard_batch.recording.store import RunStore

        rs = RunStore(store)
        status(rs, sweep)  # warm: connect once
        t0 = time.perf_counter()
        report = status(rs, sweep)
        t_status = time.perf_counter() - t0
        rs.close()

        app = scratch / "app.py"
        app.write_text(HYDRA_APP)
        h_small = hydra_seconds(app, 1)
        h_large = hydra_seconds(app, args.hydra_jobs)
    finally:
        cluster.down()

    total = m * args.jobs
    per_member = (t_large - t_small) / (total - small_m * args.jobs)
    per_job = (h_large - h_small) / (args.hydra_jobs - 1)
    print(f"submit, {args.jobs} Hydra jobs x {small_m} members: {t_small:.2f} s wall (CLI process)")
    print(
        f"submit, {args.jobs} Hydra jobs x {m} members = {total} members: {t_large:.2f} s wall (target <= 10 s)"
    )
    print(
        f"API objects: {n_jobs} Jobs + {n_cms} ConfigMaps = {(n_jobs + n_cms) / max(n_jobs, 1):.0f} per Job (target <= 3)"
    )
    print(
        f"status of the {total}-member sweep: {t_status * 1000:.0f} ms in process, {t_status_cli:.2f} s as a CLI process "
        f"(median of 5, min {min(status_runs):.2f} s, max {max(status_runs):.2f} s; target <= 1 s)"
    )
    print(f"  members {report['members']}")
    print(f"hydra BasicLauncher: 1 job {h_small:.2f} s, {args.hydra_jobs} jobs {h_large:.2f} s")
    print(f"per member (railyard on Kubernetes, marginal): {1000 * per_member:.3f} ms")
    print(f"per job (hydra basic, marginal): {1000 * per_job:.3f} ms")
    print(f"ratio hydra per job / railyard per member: {per_job / per_member:.0f}x")


if __name__ == "__main__":
    main()
