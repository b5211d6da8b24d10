"""The worker image and the launcher plugin: what the cluster runs is the package's real
entrypoint, and Hydra finds ``hydra/launcher=kubernetes``."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path

from hydra.core.plugins import Plugins
from hydra.plugins.launcher import Launcher

from hydra_plugins.railyard_launcher.kubernetes_launcher import RailyardKubernetesLauncher
from railyard_batch.cli import main as cli
from railyard_batch.execution.kubernetes import KubernetesSettings, render_sweep
from tests.conftest import Project, assert_one_line
from tests.k8s_launcher.plans import make_plan

REPO = Path(__file__).resolve().parents[2]


def instructions(name: str) -> list[str]:
    lines = (REPO / "Dockerfile").read_text().splitlines()
    return [ln.split(None, 1)[1] for ln in lines if ln.startswith(f"{name} ")]


def test_dockerfile_entrypoint_is_the_console_script_the_jobs_run() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    (entrypoint,) = instructions("ENTRYPOINT")
    argv = json.loads(entrypoint)
    assert (
        argv == ["railyard-batch"] and scripts["railyard-batch"] == "railyard_batch.cli.main:main"
    )
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
    import railyard_batch.execution.kubernetes as package

    assert package.__all__ == sorted(package.__all__)
    for name in package.__all__:
        assert getattr(package, name) is not None


def test_dry_run_from_the_cli_writes_valid_kubectl_yaml(project: Project) -> None:
    import yaml

    from railyard_batch.execution.kubernetes import validate_object

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


def test_an_installed_package_renders_with_the_reviewed_templates(tmp_path: Path) -> None:
    """What the image's ``pip install .`` installs carries k8s_templates/: a wheel built from the
    source tree, unpacked away from it, renders a Job from its own copy of the templates."""
    import subprocess
    import sys
    import zipfile

    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for name in ("railyard_batch", "hydra_plugins", "k8s_templates"):
        shutil.copytree(
            REPO / name,
            source / name,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
        )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("railyard_batch-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {n for n in archive.namelist() if n.startswith("railyard_batch/k8s_templates/")}
        assert shipped == {
            f"railyard_batch/k8s_templates/{p.name}"
            for p in (REPO / "k8s_templates").glob("*.yaml")
        }
        archive.extractall(tmp_path / "site")
    probe = (
        "import railyard_batch, json; "
        "from railyard_batch.execution.kubernetes import KubernetesSettings, render_sweep; "
        "from railyard_batch.execution.kubernetes._template import DEFAULT_TEMPLATE_DIR; "
        "from tests.k8s_launcher.plans import make_plan; "
        "(run,) = render_sweep([make_plan()], KubernetesSettings(instance_classes={!r}), namespace='n'); "
        "print(json.dumps([railyard_batch.__file__, str(DEFAULT_TEMPLATE_DIR), run.job['kind']]))"
    ).format(str(REPO / "conf" / "kubernetes" / "instance_classes.yaml"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copytree(
        REPO / "tests", elsewhere / "tests", ignore=shutil.ignore_patterns("__pycache__")
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=elsewhere,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{tmp_path / 'site'}:{elsewhere}"},
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    module, templates, kind = json.loads(out.stdout.strip().splitlines()[-1])
    site = str(tmp_path / "site")
    assert module.startswith(site) and templates.startswith(site), (module, templates)
    assert kind == "Job"


def test_an_instance_class_added_to_the_file_is_accepted_everywhere(project: Project) -> None:
    """The config check and the renderer read the same instance-class file: a class added to
    the project's is accepted and placed; with the launcher pointed at another file, that
    file's classes are the allowed ones (one line naming them otherwise)."""
    import yaml

    classes = project.root / "conf" / "kubernetes" / "instance_classes.yaml"
    classes.write_text(classes.read_text() + "spot:\n  nodeSelector:\n    pool: spot\n")
    dry = (
        "+experiment=fraud_v3",
        "-m",
        "hydra/launcher=kubernetes",
        "hydra.launcher.dry_run=true",
        "hydra.launcher.dry_run_output=manifests.yaml",
        "fanout.min_rows=300",
        "estimator=logistic_regression",
    )
    result = project.run(*dry, "resources.instance_class=spot")
    assert result.returncode == 0, result.stderr[-2000:]
    (job, _) = yaml.safe_load_all((project.root / "manifests.yaml").read_text())
    assert job["spec"]["template"]["spec"]["nodeSelector"] == {"pool": "spot"}

    other = project.root / "pools.yaml"
    other.write_text("tiny: {}\n")
    pointed = (*dry, f"hydra.launcher.instance_classes={other}")
    assert project.run(*pointed, "resources.instance_class=tiny").returncode == 0
    refused = project.run(*pointed, "resources.instance_class=spot")
    assert_one_line(refused, "'resources.instance_class'", "'tiny'", "'spot'")
