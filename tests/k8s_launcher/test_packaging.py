"""The worker image and the launcher plugin: what the cluster runs is the package's real
entrypoint, and Hydra finds ``hydra/launcher=kubernetes``."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from hydra.core.plugins import Plugins
from hydra.plugins.launcher import Launcher

from hydra_plugins.railyard_launcher.kubernetes_launcher import RailyardKubernetesLauncher
from railyard_batch import cli
from railyard_batch.kubernetes import KubernetesSettings, render_sweep
from tests.conftest import Project
from tests.k8s_launcher.plans import make_plan

REPO = Path(__file__).resolve().parents[2]


def instructions(name: str) -> list[str]:
    lines = (REPO / "Dockerfile").read_text().splitlines()
    return [ln.split(None, 1)[1] for ln in lines if ln.startswith(f"{name} ")]


def test_dockerfile_entrypoint_is_the_console_script_the_jobs_run() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    (entrypoint,) = instructions("ENTRYPOINT")
    argv = json.loads(entrypoint)
    assert argv == ["railyard-batch"] and scripts["railyard-batch"] == "railyard_batch.cli:main"
    classes = str(REPO / "conf" / "kubernetes" / "instance_classes.yaml")
    (run,) = render_sweep(
        [make_plan()], KubernetesSettings(instance_classes=classes), namespace="n"
    )
    command = run.job["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[0] == argv[0] and command[1] in cli.SUBCOMMANDS
    # The image runs as the non-root uid of the pod security context, and has the user code.
    (user,) = instructions("USER")
    pod_sc = run.job["spec"]["template"]["spec"]["securityContext"]
    assert user == f"{pod_sc['runAsUser']}:{pod_sc['runAsGroup']}"
    copied = " ".join(instructions("COPY"))
    for path in ("railyard_batch/", "hydra_plugins/", "pipelines/", "pyproject.toml"):
        assert re.search(rf"(^|\s){re.escape(path)}", copied), path


def test_hydra_discovers_the_kubernetes_launcher() -> None:
    names = [p.__name__ for p in Plugins.instance().discover(Launcher)]
    assert RailyardKubernetesLauncher.__name__ in names


def test_the_public_names_of_the_package_are_honest() -> None:
    import railyard_batch.kubernetes as package

    assert package.__all__ == sorted(package.__all__)
    for name in package.__all__:
        assert getattr(package, name) is not None


def test_dry_run_from_the_cli_writes_valid_kubectl_yaml(project: Project) -> None:
    import yaml

    from railyard_batch.kubernetes import validate_object

    result = project.run(
        "+experiment=fraud_v3",
        "-m",
        "hydra/launcher=kubernetes",
        "hydra.launcher.dry_run=true",
        "hydra.launcher.dry_run_output=manifests.yaml",
        "hydra.launcher.namespace=ml",
        "fanout.min_rows=300",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    docs = list(yaml.safe_load_all((project.root / "manifests.yaml").read_text()))
    assert [d["kind"] for d in docs] == ["Job", "ConfigMap"] * 3
    for doc in docs:
        validate_object(doc)
    assert "skipped=" in result.stdout  # nothing ran: members are recorded as skipped
