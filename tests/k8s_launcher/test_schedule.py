"""Scheduled re-runs, rendered (no cluster): the CronJob and its RBAC objects, their names,
the command the scheduled pod runs, one-line errors, the dry run, and injection safety."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from railyard_batch.errors import ConfigError
from railyard_batch.execution.backends.base import Execution
from railyard_batch.execution.kubernetes import (
    KubernetesBackend,
    KubernetesSettings,
    render_sweep,
    to_yaml,
)
from railyard_batch.execution.kubernetes._cron import cron_problem
from railyard_batch.execution.kubernetes._names import is_dns_label
from railyard_batch.execution.kubernetes._schedule import (
    CRONJOB_NAME_MAX,
    ScheduleManifests,
    cronjob_name,
    render_schedule,
)
from railyard_batch.execution.kubernetes._schema import validate_object
from railyard_batch.planning.plan import RunPlan
from railyard_batch.recording.outcomes import OutcomeRecorder
from railyard_batch.recording.store import RunStore
from railyard_batch.sweep import record_execution, record_plans
from tests.conftest import Project
from tests.k8s_launcher.plans import execute, make_plan
from tests.k8s_launcher.test_injection import PAYLOADS, shape

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
CLASSES = str(REPO / "conf" / "kubernetes" / "instance_classes.yaml")
OVERRIDES = [
    "+experiment=fraud_v3",
    "estimator=logistic_regression,xgboost",
    "hydra/launcher=kubernetes",
    "hydra.launcher.schedule=@weekly",
    "hydra.launcher.store_volume_claim=railyard-store",
    "hydra.launcher.kubeconfig=/home/me/.kube/config",
    "hydra.launcher.context=laptop",
    "hydra.launcher.wait=false",
    "hydra.launcher.dry_run=true",
    "hydra.mode=MULTIRUN",
]


# Schedules the launcher and the API server both accept (test_cluster_schedule.py checks the
# server's side), and both refuse, with the launcher's reason.
GOOD_SCHEDULES = [
    "@weekly",
    "@hourly",
    "@daily",
    "@monthly",
    "@yearly",
    "0 3 * * 1",
    "*/15 0-6 1,15 * MON-FRI",
    "30 2 ? jan,jul sun",
    "5/10 * * * *",
    "0  3 *   * 1-5",
]
BAD_SCHEDULES = [
    ("weekly", "1 fields"),
    ("@fortnightly", "not a known @ macro"),
    ("0 3 * *", "4 fields"),
    ("0 0 3 * * 1", "6 fields"),
    ("60 * * * *", "minute '60'"),
    ("0 24 * * *", "hour '24'"),
    ("0 3 0 * *", "day of month '0'"),
    ("0 3 * 13 *", "month '13'"),
    ("0 3 * * 7", "day of week '7'"),
    ("0 3 * * FUNDAY", "day of week 'FUNDAY'"),
    ("*/0 * * * *", "minute '*/0'"),
    ("5-1 * * * *", "minute '5-1'"),
    ("TZ=UTC 0 3 * *", "minute 'TZ=UTC'"),
    ("", "0 fields"),
]


def settings(**kw: Any) -> KubernetesSettings:
    values: dict[str, Any] = {
        "instance_classes": CLASSES,
        "schedule": "@weekly",
        "store_volume_claim": "railyard-store",
        **kw,
    }
    return KubernetesSettings(**values)


def plans(tmp: Path | str = "/srv/railyard", n: int = 2, **kw: Any) -> list[RunPlan]:
    return [
        make_plan(
            job_num=i,
            store_url=f"sqlite:///{tmp}/runs.db",
            artifact_root=f"{tmp}/artifacts",
            **kw,
        )
        for i in range(n)
    ]


def render(overrides: list[str] = OVERRIDES, **kw: Any) -> ScheduleManifests:
    return render_schedule(plans(), settings(**kw), overrides, namespace="ml-batch")


def pod_spec(cronjob: dict[str, Any]) -> dict[str, Any]:
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def kubelet_expand(text: str, env: dict[str, str]) -> str:
    """What a container receives for ``text`` in its command: ``$(NAME)`` is replaced when
    NAME is set, ``$$`` becomes ``$``, any other ``$`` stays (the kubelet's documented rule)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "$" or i + 1 == len(text):
            out.append(text[i])
            i += 1
        elif text[i + 1] == "$":
            out.append("$")
            i += 2
        elif text[i + 1] == "(" and ")" in text[i + 2 :]:
            end = text.index(")", i + 2)
            name = text[i + 2 : end]
            out.append(env.get(name, text[i : end + 1]))
            i = end + 1
        else:
            out.append(text[i : i + 2])
            i += 2
    return "".join(out)


def test_the_schedule_objects_match_the_golden_file() -> None:
    text = to_yaml(render().objects)
    path = GOLDEN / "schedule_weekly.yaml"
    if os.environ.get("RAILYARD_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), (
        f"rendering changed; review and set RAILYARD_UPDATE_GOLDEN=1 to update {path}"
    )


def test_the_cronjob_runs_one_launcher_pod_at_a_time_with_the_workers_profile() -> None:
    manifests = render(time_zone="Europe/Berlin")
    assert [o["kind"] for o in manifests.objects] == [
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "CronJob",
    ]
    cron = manifests.cronjob
    spec = cron["spec"]
    assert spec["schedule"] == "@weekly" and spec["timeZone"] == "Europe/Berlin"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] == 3600
    assert spec["successfulJobsHistoryLimit"] == 3 and spec["failedJobsHistoryLimit"] == 3
    assert spec["jobTemplate"]["spec"]["backoffLimit"] == 0
    assert spec["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 86400 + 3600

    pod = pod_spec(cron)
    (run,) = render_sweep(plans(n=1), settings(), namespace="ml-batch")
    worker_pod = run.job["spec"]["template"]["spec"]
    # The same restricted profile as the worker pods, pod and container alike ...
    assert pod["securityContext"] == worker_pod["securityContext"]
    (container,) = pod["containers"]
    assert container["securityContext"] == worker_pod["containers"][0]["securityContext"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"name": "scratch", "emptyDir": {"sizeLimit": "10Gi"}} in pod["volumes"]
    assert {"name": "scratch", "mountPath": "/tmp"} in container["volumeMounts"]
    # ... but this pod talks to the API server as the launcher account; workers still don't.
    assert pod["serviceAccountName"] == "railyard-launcher"
    assert pod["automountServiceAccountToken"] is True
    assert worker_pod["automountServiceAccountToken"] is False
    assert pod["restartPolicy"] == "Never"
    # The run store's claim, mounted where the command's store.url points.
    assert {"name": "store", "persistentVolumeClaim": {"claimName": "railyard-store"}} in pod[
        "volumes"
    ]
    assert {"name": "store", "mountPath": "/var/lib/railyard"} in container["volumeMounts"]
    assert "store.url=sqlite:////var/lib/railyard/railyard.db" in container["command"]

    notes = cron["metadata"]["annotations"]
    assert notes["railyard.dev/experiment"] == "fraud_v3"
    assert json.loads(notes["railyard.dev/overrides"]) == OVERRIDES
    assert notes["railyard.dev/git-commit"] == "0" * 40
    assert json.loads(notes["railyard.dev/config-hashes"]) == ["0123456789abcdef"] * 2
    assert notes["railyard.dev/command"].startswith("railyard-batch --multirun +experiment=")
    for meta in (
        spec["jobTemplate"]["metadata"],
        spec["jobTemplate"]["spec"]["template"]["metadata"],
    ):
        assert meta["labels"] == cron["metadata"]["labels"]
        assert meta["annotations"] == notes


def test_without_a_claim_there_is_no_store_volume() -> None:
    manifests = render_schedule(
        plans(), settings(store_volume_claim=None), OVERRIDES, namespace="ns"
    )
    pod = pod_spec(manifests.cronjob)
    assert [v["name"] for v in pod["volumes"]] == ["scratch"]
    assert [m["name"] for m in pod["containers"][0]["volumeMounts"]] == ["scratch"]
    assert not any(a.startswith("store.url=") for a in manifests.argv)


def test_the_scheduled_command_repeats_the_overrides_waiting_in_cluster() -> None:
    argv = render().argv
    assert argv == [
        "railyard-batch",
        "--multirun",
        "+experiment=fraud_v3",
        "estimator=logistic_regression,xgboost",
        "hydra/launcher=kubernetes",
        # what concerned only scheduling or this machine is gone; the pod waits, in-cluster,
        # writes its sweep directory under /tmp and never schedules again
        "hydra.launcher.schedule=null",
        "hydra.launcher.dry_run=false",
        "hydra.launcher.wait=true",
        "hydra.sweep.dir=/tmp/multirun",
        "store.url=sqlite:////var/lib/railyard/railyard.db",
    ]
    # A store.url of the command is replaced by the claim's (one store.url, never two).
    argv = render([*OVERRIDES, "store.url=sqlite:///elsewhere.db"]).argv
    assert [a for a in argv if a.startswith("store.url=")] == [
        "store.url=sqlite:////var/lib/railyard/railyard.db"
    ]


def test_the_name_follows_what_is_trained_not_how_or_when() -> None:
    name = render().name
    assert name == cronjob_name("fraud_v3", OVERRIDES)
    assert re.fullmatch(r"railyard-fraud-v3-[0-9a-f]{10}", name)
    # The same overrides in another order, another schedule, image or claim: the same CronJob.
    assert render(list(reversed(OVERRIDES))).name == name
    changed_how = [
        *(o for o in OVERRIDES if not o.startswith("hydra.launcher.schedule")),
        "hydra.launcher.schedule='0 3 * * 1'",
        "hydra.launcher.image=registry.example/railyard:2",
        "hydra.sweep.dir=/elsewhere",
    ]
    changed_how.remove("hydra.mode=MULTIRUN")  # -m, wherever it was written
    assert render(changed_how).name == name
    # Another sweep (estimators, a parameter, a sweeper param) is another schedule.
    assert render([*OVERRIDES[:1], "estimator=xgboost", *OVERRIDES[2:]]).name != name
    assert render([*OVERRIDES, "split.seed=1"]).name != name
    assert render([*OVERRIDES, "hydra.sweeper.params.estimator.C=0.1,1"]).name != name
    assert cronjob_name("fraud_v4", OVERRIDES) != name


@hsettings(max_examples=200, deadline=None)
@given(experiment=st.text(max_size=120), overrides=st.lists(st.text(max_size=20), max_size=4))
def test_names_are_dns_labels_within_the_cronjob_limit(
    experiment: str, overrides: list[str]
) -> None:
    name = cronjob_name(experiment, overrides)
    assert is_dns_label(name) and len(name) <= CRONJOB_NAME_MAX
    assert name == cronjob_name(experiment, list(reversed(overrides)))


@pytest.mark.parametrize("schedule", GOOD_SCHEDULES)
def test_cron_expressions_the_api_server_accepts_pass(schedule: str) -> None:
    assert cron_problem(schedule) is None
    assert render(schedule=schedule).cronjob["spec"]["schedule"] == schedule


@pytest.mark.parametrize(
    ("schedule", "why"),
    # The API server would take @every; the launcher keeps to the documented macros.
    [*BAD_SCHEDULES, ("@every 1h", "not a known @ macro")],
)
def test_a_bad_schedule_is_one_line_naming_the_key(schedule: str, why: str) -> None:
    raw = {"instance_classes": CLASSES, "schedule": schedule}
    with pytest.raises(ConfigError) as info:
        KubernetesSettings.from_mapping(raw)  # at launcher start, before anything is planned
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("The 'hydra.launcher.schedule' parameter must be a cron expression")
    assert "'@weekly'" in message and "'0 3 * * 1'" in message
    assert f"Got {schedule!r}: {why}" in message


@pytest.mark.parametrize("zone", ["Mars/Olympus", "UTC+2", "Local", "", "europe/berlin"])
def test_a_bad_time_zone_is_one_line_naming_the_key(zone: str) -> None:
    with pytest.raises(ConfigError) as info:
        KubernetesSettings.from_mapping({"schedule": "@daily", "time_zone": zone})
    assert str(info.value) == (
        "The 'hydra.launcher.time_zone' parameter must be an IANA time zone such as 'Etc/UTC' "
        f"or 'Europe/Berlin'. Got {zone!r}."
    )
    assert KubernetesSettings.from_mapping({"schedule": "@daily", "time_zone": "Asia/Kolkata"})


def test_a_store_the_scheduled_pod_cannot_write_is_refused() -> None:
    relative = make_plan(store_url="sqlite:///runs/railyard.db", artifact_root="/srv/a")
    with pytest.raises(ConfigError, match=r"'hydra.launcher.store_volume_claim' parameter must"):
        render_schedule([relative], settings(store_volume_claim=None), [], namespace="ns")
    # With a claim, the store goes there; a relative artifact root still has nowhere to go.
    relative_root = make_plan(store_url="sqlite:///runs/railyard.db", artifact_root="runs/a")
    with pytest.raises(ConfigError, match=r"'store.artifact_root' parameter must be.*'runs/a'"):
        render_schedule([relative_root], settings(), [], namespace="ns")
    remote = make_plan(store_url="sqlite:///runs/railyard.db", artifact_root="s3://b/railyard")
    assert render_schedule([remote], settings(), [], namespace="ns").cronjob
    with pytest.raises(ConfigError, match=r"'hydra.launcher.store_mount_path'.*'/tmp'"):
        render_schedule([remote], settings(store_mount_path="/tmp"), [], namespace="ns")


def test_a_schedule_without_the_command_line_is_refused() -> None:
    backend = KubernetesBackend(settings(dry_run=True), out=io.StringIO())
    with pytest.raises(ConfigError, match=r"'hydra.launcher.schedule' parameter needs"):
        execute(backend, plans())


def test_the_dry_run_prints_the_schedule_and_runs_nothing(tmp_path: Path) -> None:
    sweep = plans(tmp_path)
    record_plans(sweep, experiment="fraud_v3", sweep_overrides=[], backend="kubernetes")
    out = io.StringIO()
    backend = KubernetesBackend(
        settings(dry_run=True, namespace="ml"), out=out, overrides=OVERRIDES
    )
    executed = execute(backend, sweep)
    assert executed.how is Execution.DRY_RUN and executed.reason
    docs = list(yaml.safe_load_all(out.getvalue()))
    # Exactly what render_schedule makes (the path that also sends them), no Job.
    assert (
        docs == render_schedule(sweep, settings(namespace="ml"), OVERRIDES, namespace="ml").objects
    )
    assert [d["kind"] for d in docs] == ["ServiceAccount", "Role", "RoleBinding", "CronJob"]
    for doc in docs:
        validate_object(doc)
    store = RunStore(sweep[0].store_url)
    # The backend reports; the sweep layer records (what execute_sweep does next).
    record_execution(OutcomeRecorder.over(store), sweep, executed)
    members = store.members(sweep_id=sweep[0].sweep_id)
    store.close()
    assert {m.state for m in members} == {"skipped"}
    assert members[0].reason == "dry run: nothing was scheduled or submitted"


def test_the_role_grants_only_what_the_launcher_does() -> None:
    account, role, binding, _ = render().objects
    assert role["kind"] == "Role" and role["metadata"]["namespace"] == "ml-batch"
    granted = {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    assert granted == {
        ("batch", "jobs", "create"),
        ("batch", "jobs", "get"),
        ("batch", "jobs", "list"),
        ("batch", "jobs", "watch"),
        ("batch", "jobs", "delete"),
        ("", "configmaps", "create"),
        ("", "configmaps", "get"),
        ("", "pods", "list"),
        ("", "pods", "watch"),
    }
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": "ml-batch"}
    ]
    assert account["automountServiceAccountToken"] is False


@pytest.mark.e2e
def test_the_dry_run_from_the_cli_repeats_the_command_line(project: Project) -> None:
    out = project.root / "schedule.yaml"
    result = project.run(
        "+experiment=fraud_v3",
        "-m",
        "hydra/launcher=kubernetes",
        "hydra.launcher.schedule=@weekly",
        "hydra.launcher.dry_run=true",
        f"hydra.launcher.dry_run_output={out}",
        "hydra.launcher.namespace=ml",
        f"store.url={project.store_url}",
        f"store.artifact_root={project.root / 'artifacts'}",
        "fanout.min_rows=300",
    )
    assert result.returncode == 0, result.stderr
    *_, cron = yaml.safe_load_all(out.read_text())
    command = pod_spec(cron)["containers"][0]["command"]
    assert command[:3] == ["railyard-batch", "--multirun", "+experiment=fraud_v3"]
    assert "fanout.min_rows=300" in command and "hydra/launcher=kubernetes" in command
    assert "hydra.launcher.namespace=ml" in command and "hydra.launcher.wait=true" in command
    assert not any("dry_run_output" in a or a == "hydra.launcher.schedule=@weekly" for a in command)
    assert cron["metadata"]["namespace"] == "ml"

    bad = project.run(
        "+experiment=fraud_v3", "-m", "hydra/launcher=kubernetes", "hydra.launcher.schedule=weekly"
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1] == (
        "ConfigError: The 'hydra.launcher.schedule' parameter must be a cron expression of 5 "
        "fields (minute hour day-of-month month day-of-week, e.g. '0 3 * * 1') or one of "
        "{'@daily', '@hourly', '@monthly', '@weekly', '@yearly'}. Got 'weekly': 1 fields."
    )
    relative = project.run(  # the default store.url, relative: the pod could not write it
        "+experiment=fraud_v3", "-m", "hydra/launcher=kubernetes", "hydra.launcher.schedule=@daily"
    )
    assert relative.returncode == 2
    assert (
        relative.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "ConfigError: The 'hydra.launcher.store_volume_claim' parameter must name a "
            "PersistentVolumeClaim"
        )
    )
    # Both were refused before anything was recorded: the store holds the dry run's sweep only.
    listed = project.run("runs", "--store", project.store_url, "list", "--json")
    assert len(json.loads(listed.stdout)) == 1


def test_the_kubelet_expansion_model_matches_its_documented_rule() -> None:
    env = {"HOME": "/tmp", "X": "1"}
    assert kubelet_expand("$(HOME)/a", env) == "/tmp/a"
    assert kubelet_expand("$$(HOME)", env) == "$(HOME)"
    assert kubelet_expand("$(NOPE)", env) == "$(NOPE)"
    assert kubelet_expand("$$$(X)$", env) == "$1$"
    assert kubelet_expand("a$b $", env) == "a$b $"


BASELINE: list[Any] = []
# test_injection's payloads, and references the kubelet would expand in a container command.
EXPANSIONS = ["$(HOME)", "$(KUBERNETES_SERVICE_HOST)", "$$", "$$(HOME)", "$"]
hostile = st.lists(
    st.one_of(st.sampled_from([*PAYLOADS, *EXPANSIONS]), st.text(max_size=8)),
    min_size=1,
    max_size=6,
).map("".join)


@hsettings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=hostile, experiment=hostile)
def test_hostile_overrides_land_verbatim_and_never_change_the_structure(
    value: str, experiment: str
) -> None:
    if not BASELINE:
        BASELINE.extend(shape(o) for o in render(["+experiment=e", "params.note=n"]).objects)
    override = f"params.note={value}"
    overrides = ["+experiment=e", override]
    sweep = [make_plan(experiment=experiment, store_url="sqlite:////s/r.db", artifact_root="/s/a")]
    manifests = render_schedule(sweep, settings(), overrides, namespace="ns")
    text = to_yaml(manifests.objects)
    parsed = list(yaml.safe_load_all(text))
    # What the API server reads back is what was rendered, with the same structure ...
    assert parsed == manifests.objects
    assert [shape(o) for o in parsed] == BASELINE
    cron = parsed[-1]
    # ... the override is one argument, which the container receives verbatim, whatever its
    # environment holds ...
    command = pod_spec(cron)["containers"][0]["command"]
    env = {"HOME": "/tmp", "PYTHONUNBUFFERED": "1", "KUBERNETES_SERVICE_HOST": "10.96.0.1"}
    received = [kubelet_expand(a, env) for a in command]
    assert received == manifests.argv
    assert received[3] == override
    # ... and the annotations hold the overrides and the experiment as given.
    notes = cron["metadata"]["annotations"]
    assert json.loads(notes["railyard.dev/overrides"]) == overrides
    assert notes["railyard.dev/experiment"] == experiment
    assert is_dns_label(cron["metadata"]["name"])
    assert len(cron["metadata"]["name"]) <= CRONJOB_NAME_MAX
