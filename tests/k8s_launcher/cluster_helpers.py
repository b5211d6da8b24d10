"""Helpers of the cluster tests: a connected :class:`Api`, waiting, and running a rendered
pod's worker command here, as the pod would (KWOK runs no container)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from kubernetes import client

from railyard_batch.execution.kubernetes import Api

T = TypeVar("T")
CLI = str(Path(sys.executable).with_name("railyard-batch"))
PLAN_MOUNT = "/etc/railyard"


def make_api(api_client: Any, namespace: str) -> Api:
    return Api(api_client, namespace)


def wait_until(what: str, probe: Callable[[], T | None], timeout_s: float = 60.0) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(0.2)


def pod_env(pod: client.V1Pod) -> dict[str, str]:
    """The pod's environment as Kubernetes would set it: values, and field references to the
    pod's own metadata (JOB_COMPLETION_INDEX comes from its completion-index annotation)."""
    env: dict[str, str] = {}
    for var in pod.spec.containers[0].env or []:
        if var.value is not None:
            env[var.name] = var.value
        elif var.value_from and var.value_from.field_ref:
            path = var.value_from.field_ref.field_path
            if path.startswith("metadata.annotations['"):
                env[var.name] = pod.metadata.annotations[path.split("'")[1]]
            elif path.startswith("metadata.labels['"):
                env[var.name] = pod.metadata.labels[path.split("'")[1]]
            elif path == "spec.nodeName" and pod.spec.node_name:
                env[var.name] = pod.spec.node_name
    return env


def run_pod_locally(
    pod: client.V1Pod, configmap: client.V1ConfigMap, cwd: Path, mount: Path
) -> int:
    """Execute the pod's command here: its ConfigMap written where the pod mounts it (under
    ``mount``), its environment, the project directory as working directory."""
    mount.mkdir(parents=True, exist_ok=True)
    for key, value in (configmap.data or {}).items():
        (mount / key).write_text(value)
    argv = [a.replace(PLAN_MOUNT, str(mount)) for a in pod.spec.containers[0].command]
    assert argv[0] == "railyard-batch"
    env = {**os.environ, **pod_env(pod)}
    env.pop("HOME", None)
    env["HOME"] = str(mount)
    return subprocess.run(
        [CLI, *argv[1:]], cwd=cwd, env=env, capture_output=True, timeout=300
    ).returncode
