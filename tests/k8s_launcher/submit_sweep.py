"""Submit a sweep of hand-made plans and exit (the kill -9 test runs this in a subprocess).

python -m tests.k8s_launcher.submit_sweep KUBECONFIG NAMESPACE ARTIFACT_ROOT N_RUNS
"""

from __future__ import annotations

import sys
from pathlib import Path

from railyard_batch.execution.kubernetes import KubernetesBackend, KubernetesSettings, connect
from tests.k8s_launcher.plans import execute, make_plan

SWEEP = "20260101-000000-kill9"
REPO = Path(__file__).resolve().parents[2]


def plans(artifact_root: str, store_url: str, n_runs: int) -> list:  # type: ignore[type-arg]
    return [
        make_plan(
            sweep_id=SWEEP,
            job_num=i,
            members=2,
            shards=1,
            artifact_root=artifact_root,
            store_url=store_url,
        )
        for i in range(n_runs)
    ]


def main(kubeconfig: str, namespace: str, artifact_root: str, n_runs: str, *mode: str) -> None:
    settings = KubernetesSettings(
        kubeconfig=kubeconfig,
        namespace=namespace,
        wait="wait" in mode,
        pod_annotations={"railyard.test/run-for": "120s"} if "wait" in mode else {},
        instance_classes=str(REPO / "conf" / "kubernetes" / "instance_classes.yaml"),
    )
    api = connect(kubeconfig=kubeconfig, context=None, namespace=namespace)
    execute(
        KubernetesBackend(settings, api=api),
        plans(artifact_root, f"sqlite:///{artifact_root}/runs.db", int(n_runs)),
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
