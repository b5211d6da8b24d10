"""Rendering: what a manifest carries, golden files, schema validation, names, dry run."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from railyard_batch.errors import ConfigError
from railyard_batch.execution.kubernetes import (
    KubernetesBackend,
    KubernetesSettings,
    ManifestError,
    render_sweep,
    to_yaml,
    validate_object,
)
from railyard_batch.execution.kubernetes._claims import narrow
from railyard_batch.execution.kubernetes._names import JOB_NAME_MAX, is_dns_label, job_name
from railyard_batch.execution.kubernetes._template import DEFAULT_TEMPLATE_DIR
from tests.k8s_launcher.plans import execute, make_plan

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
CLASSES = str(REPO / "conf" / "kubernetes" / "instance_classes.yaml")


def settings(**kw: Any) -> KubernetesSettings:
    return KubernetesSettings(instance_classes=CLASSES, **kw)


def pod_spec(job: dict[str, Any]) -> dict[str, Any]:
    return job["spec"]["template"]["spec"]


def for_golden(objects: list[dict[str, Any]]) -> str:
    """The plan inside a ConfigMap is data, not structure: the golden file shows its size."""
    shown = []
    for obj in objects:
        if obj["kind"] == "ConfigMap" and "plan.json" in obj["data"]:
            members = len(json.loads(obj["data"]["plan.json"])["members"])
            obj = {**obj, "data": {"plan.json": f"<run plan: {members} members>"}}
        shown.append(obj)
    return to_yaml(shown)


@pytest.mark.parametrize(
    ("name", "plan_kw", "settings_kw"),
    [
        ("cpu_run", {}, {}),
        (
            "gpu_run_queued",
            {
                "job_num": 7,
                "resources": {"gpu": 2, "instance_class": "gpu", "memory": "16Gi", "cpu": "4"},
            },
            {"queue": "team-a", "parallelism": 2, "max_failed_indexes": 1},
        ),
    ],
)
def test_rendered_manifests_match_golden_files(
    name: str, plan_kw: dict[str, Any], settings_kw: dict[str, Any]
) -> None:
    runs = render_sweep([make_plan(**plan_kw)], settings(**settings_kw), namespace="ml-batch")
    text = for_golden([o for run in runs for o in run.objects])
    path = GOLDEN / f"{name}.yaml"
    if os.environ.get("RAILYARD_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), (
        f"rendering changed; review and set RAILYARD_UPDATE_GOLDEN=1 to update {path}"
    )


def test_a_job_carries_retries_deadlines_and_the_restricted_profile() -> None:
    (run,) = render_sweep([make_plan(shards=3)], settings(), namespace="ns")
    spec = run.job["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == 3
    assert spec["backoffLimitPerIndex"] == 2 and spec["activeDeadlineSeconds"] == 86400
    assert spec["ttlSecondsAfterFinished"] == 86400
    rules = spec["podFailurePolicy"]["rules"]
    assert rules[0] == {
        "action": "FailIndex",
        "onExitCodes": {"containerName": "worker", "operator": "In", "values": [2, 3]},
    }
    assert rules[1] == {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}
    pod = pod_spec(run.job)
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert {"name": "scratch", "mountPath": "/tmp"} in container["volumeMounts"]
    # Exec form: an argv list, never a shell string.
    assert container["command"] == [
        "railyard-batch",
        "worker",
        "--plan",
        "/etc/railyard/plan.json",
        "--no-store",
    ]
    assert container["resources"] == {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"memory": "2Gi"},
    }
    assert "nodeSelector" not in pod and "tolerations" not in pod
    labels = run.job["metadata"]["labels"]
    assert labels["railyard.dev/sweep-id"] == "20260101-000000-abc123"
    assert labels["app.kubernetes.io/managed-by"] == "railyard-batch"
    notes = run.job["metadata"]["annotations"]
    assert json.loads(notes["railyard.dev/overrides"]) == ["estimator=e0"]
    assert notes["railyard.dev/git-commit"] == "0" * 40
    assert notes["railyard.dev/data-md5"] == "d41d8cd98f00b204e9800998ecf8427e"


def test_gpu_members_get_the_gpu_class_placement_from_config() -> None:
    plan = make_plan(resources={"gpu": 1, "instance_class": "gpu"})
    (run,) = render_sweep([plan], settings(), namespace="ns")
    pod = pod_spec(run.job)
    classes = yaml.safe_load(Path(CLASSES).read_text())
    assert pod["nodeSelector"] == classes["gpu"]["nodeSelector"]
    assert pod["tolerations"] == classes["gpu"]["tolerations"]
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"


def test_placement_and_quantity_mistakes_name_the_parameter() -> None:
    with pytest.raises(ConfigError, match=r"'resources.instance_class' parameter must be 'gpu'"):
        render_sweep([make_plan(resources={"gpu": 1})], settings(), namespace="ns")
    with pytest.raises(ConfigError, match=r"'resources.instance_class' parameter must be one of"):
        render_sweep([make_plan(resources={"instance_class": "tpu"})], settings(), namespace="ns")
    with pytest.raises(
        ConfigError, match=r"'resources.memory' parameter must be a positive Kubernetes quantity"
    ):
        render_sweep([make_plan(resources={"memory": "2 GB"})], settings(), namespace="ns")


def test_a_plan_too_big_for_a_configmap_goes_by_pointer() -> None:
    (run,) = render_sweep([make_plan()], settings(configmap_max_bytes=100), namespace="ns")
    uri = run.configmap["data"]["plan-uri"]
    assert uri.endswith("20260101-000000-abc123/20260101-000000-abc123-000/plan.json")
    assert pod_spec(run.job)["containers"][0]["command"][3] == uri


def test_runs_whose_members_are_all_cached_get_no_job() -> None:
    plan = make_plan()
    plan.n_shards = 0
    assert (
        render_sweep([plan, make_plan(job_num=1)], settings(), namespace="ns")[0].plan.job_num == 1
    )


def test_names_are_deterministic_dns_labels_with_room_for_the_index() -> None:
    assert job_name("20260101-000000-abc123", 3) == "railyard-20260101-000000-abc123-003"
    long = job_name("A_very_LONG sweep id" * 5, 12)
    assert long == job_name("A_very_LONG sweep id" * 5, 12)
    assert is_dns_label(long) and len(long) <= JOB_NAME_MAX
    assert job_name("x" * 60, 1) != job_name("x" * 60, 2)


def test_schema_validation_rejects_a_template_typo(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATE_DIR, templates)
    job = templates / "job.yaml"
    job.write_text(
        job.read_text().replace(
            "restartPolicy: Never", "restartPolicy: Never\n      restartPolcy: Never"
        )
    )
    with pytest.raises(
        ManifestError, match=r"spec.template.spec.restartPolcy is not a field of the schema"
    ):
        render_sweep([make_plan()], settings(templates=str(templates)), namespace="ns")
    job.write_text(job.read_text().replace('"{{ completions }}"', '"{{ completions }}x"'))
    with pytest.raises(ManifestError, match=r"completions"):
        render_sweep([make_plan()], settings(templates=str(templates)), namespace="ns")


def test_unknown_placeholders_are_config_errors(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATE_DIR, templates)
    (templates / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\ndata: '{{ nope }}'\n"
    )
    with pytest.raises(ConfigError, match=r"placeholder \{\{ nope \}\}"):
        render_sweep([make_plan()], settings(templates=str(templates)), namespace="ns")


def test_validate_object_checks_labels_and_kinds() -> None:
    with pytest.raises(ManifestError, match="must have apiVersion/kind"):
        validate_object({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}})
    with pytest.raises(ManifestError, match="label value"):
        validate_object(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "x", "labels": {"a": "b c"}},
            }
        )


def test_dry_run_prints_every_object_as_kubectl_yaml(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'r.db'}"
    plans = [
        make_plan(job_num=i, store_url=store, artifact_root=str(tmp_path / "a")) for i in range(3)
    ]
    from railyard_batch.sweep import record_plans

    record_plans(plans, experiment="fraud_v3", sweep_overrides=[], backend="kubernetes")
    out = io.StringIO()
    executed = execute(KubernetesBackend(settings(dry_run=True, namespace="ml"), out=out), plans)
    docs = list(yaml.safe_load_all(out.getvalue()))
    assert [d["kind"] for d in docs] == ["Job", "ConfigMap"] * 3
    assert all(d["metadata"]["namespace"] == "ml" for d in docs)
    for doc in docs:
        validate_object(doc)
    from railyard_batch.recording.outcomes import OutcomeRecorder
    from railyard_batch.recording.store import RunStore
    from railyard_batch.sweep import record_execution

    recorded = RunStore(store)
    assert {m.state for m in recorded.members(sweep_id=plans[0].sweep_id)} == {"queued"}
    # The backend reports; the sweep layer records (what execute_sweep does next).
    record_execution(OutcomeRecorder.over(recorded), plans, executed)
    members = recorded.members(sweep_id=plans[0].sweep_id)
    assert {m.state for m in members} == {"skipped"}
    assert members[0].reason == "dry run: nothing was submitted"
    recorded.close()


def test_no_configmap_or_plan_file_holds_the_store_password(tmp_path: Path) -> None:
    """A run plan that leaves the launcher (a pod's ConfigMap, plan.json) shows the run store's
    password as ***: pods never open the store, and ConfigMaps are readable by any reader
    of the namespace."""
    url = "postgresql+psycopg://ry:s3cr3t-pw@db.example:5432/runs"
    plan = make_plan(store_url=url, artifact_root=str(tmp_path))
    plan.config["store"] = {"url": url, "artifact_root": str(tmp_path)}
    (run,) = render_sweep([plan], settings(), namespace="ns")
    (big,) = render_sweep([plan], settings(configmap_max_bytes=100), namespace="ns")
    saved = Path(plan.save())
    for text in (json.dumps(run.configmap), json.dumps(big.objects), saved.read_text()):
        assert "s3cr3t-pw" not in text
    shared = json.loads(run.configmap["data"]["plan.json"])
    assert (
        shared["store_url"] == shared["config"]["store"]["url"] == url.replace("s3cr3t-pw", "***")
    )
    assert plan.store_url == url  # the launcher's own copy still opens the store


def test_a_plan_narrowed_to_its_claimed_members_is_sharded_over_them_alone() -> None:
    plan = make_plan(members=7, shards=3)
    assert narrow(plan, {m.id for m in plan.members}, {}) is plan
    keep = {plan.members[0].id, plan.members[4].id}
    origin = {plan.members[1].id: "other-sweep/m"}
    narrowed = narrow(plan, keep, origin)
    assert narrowed.n_shards == 2 and plan.n_shards == 3
    assert sorted(m.shard for m in narrowed.members if m.id in keep) == [0, 1]
    assert all(m.shard == -1 for m in narrowed.members if m.id not in keep)
    assert narrowed.members[1].cached_from == "other-sweep/m"
    assert [m.id for m in narrowed.members] == [m.id for m in plan.members]
    nothing = narrow(plan, set(), {})
    assert nothing.n_shards == 0 and not render_sweep([nothing], settings(), namespace="ns")
