"""``railyard-batch schedules list``: the scheduled sweeps (CronJobs made by
``hydra.launcher.schedule``) in a namespace, each with what it runs, its last runs and
whether HEAD has drifted from it.

A CronJob is pinned when it is scheduled (:func:`railyard_batch.execution.kubernetes._schedule.
render_schedule`): its annotations record the command line, the git commit and the resolved
config hash of each job, and every Job it starts carries them too. HEAD has drifted from a
schedule when the files a sweep is made of (``conf/``, ``pipelines/``, ``dvc.yaml``,
``dvc.lock``, ``params.yaml``) differ between that commit and HEAD; the listing then gives
the ``railyard-batch plan`` command that shows what re-scheduling from HEAD would change.
Nothing is changed on the server or in the checkout.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

from railyard_batch.execution.kubernetes._api import Api, connect
from railyard_batch.execution.kubernetes._render import ANNOTATION_PREFIX
from railyard_batch.execution.kubernetes._schedule import SCHEDULE_LABEL, _identifies

# What a sweep is made of, in a project's tree: a change to any is a change of the sweep.
SWEEP_FILES = ("conf", "pipelines", "dvc.yaml", "dvc.lock", "params.yaml")


def run(ns: Any) -> int:
    from railyard_batch.errors import ConfigError
    from railyard_batch.output.report import print_json, print_line, print_table, schedules_table

    if not 1 <= ns.runs <= 100:
        raise ConfigError(f"The '--runs' option must be in [1, 100]. Got {ns.runs}.")
    api = connect(kubeconfig=ns.kubeconfig, context=ns.context, namespace=ns.namespace)
    found = list_schedules(api, runs=ns.runs, repo=Path.cwd())
    if ns.json:
        print_json(found)
    elif not found:
        print_line(f"no scheduled sweeps in namespace {api.namespace}")
    else:
        print_table(schedules_table(found, api.namespace))
        for item in found:
            if item["drift"].get("plan"):
                print_line(f"{item['name']}: see the drift with {item['drift']['plan']}")
    return 0


def list_schedules(api: Api, *, runs: int, repo: Path) -> list[dict[str, Any]]:
    """Each schedule in ``api``'s namespace, by name: what it runs, its last ``runs`` Jobs
    (newest first) and its drift from HEAD of the git repository at ``repo``."""
    ns = api.namespace
    selector = {"labelSelector": SCHEDULE_LABEL}
    crons = api.get_json("list CronJobs", f"/apis/batch/v1/namespaces/{ns}/cronjobs", **selector)
    jobs = api.get_json("list Jobs", f"/apis/batch/v1/namespaces/{ns}/jobs", **selector)
    by_schedule: dict[str, list[dict[str, Any]]] = {}
    for job in jobs.get("items") or []:
        name = (job["metadata"].get("labels") or {}).get(SCHEDULE_LABEL)
        by_schedule.setdefault(str(name), []).append(job)
    head = _head(repo)
    listed = []
    for cron in sorted(crons.get("items") or [], key=lambda c: str(c["metadata"]["name"])):
        meta, spec = cron["metadata"], cron.get("spec") or {}
        name = str(meta["name"])
        notes = meta.get("annotations") or {}
        commit = str(notes.get(f"{ANNOTATION_PREFIX}/git-commit", "unknown"))
        overrides = _json_list(notes.get(f"{ANNOTATION_PREFIX}/overrides"))
        recent = sorted(
            by_schedule.get(name, []),
            key=lambda j: str(j["metadata"].get("creationTimestamp") or ""),
            reverse=True,
        )[:runs]
        listed.append(
            {
                "name": name,
                "namespace": ns,
                "schedule": spec.get("schedule"),
                "time_zone": spec.get("timeZone"),
                "suspended": bool(spec.get("suspend")),
                "experiment": notes.get(f"{ANNOTATION_PREFIX}/experiment"),
                "command": notes.get(f"{ANNOTATION_PREFIX}/command"),
                "git_commit": commit,
                "config_hashes": _json_list(notes.get(f"{ANNOTATION_PREFIX}/config-hashes")),
                "last_schedule_time": (cron.get("status") or {}).get("lastScheduleTime"),
                "runs": [_run(job) for job in recent],
                "drift": drift(repo, commit, head, overrides),
            }
        )
    return listed


def _json_list(text: Any) -> list[str]:
    try:
        value = json.loads(str(text))
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _run(job: dict[str, Any]) -> dict[str, Any]:
    """One Job of a schedule: its state as the Job controller reports it."""
    status = job.get("status") or {}
    done = {
        c.get("type"): c
        for c in status.get("conditions") or []
        if c.get("status") == "True" and c.get("type") in ("Complete", "Failed")
    }
    if "Complete" in done:
        state = "succeeded"
    elif "Failed" in done:
        state = "failed"
    elif status.get("active"):
        state = "running"
    else:
        state = "pending"
    ended: dict[str, Any] = next(iter(done.values()), {})
    notes = job["metadata"].get("annotations") or {}
    return {
        "job": job["metadata"]["name"],
        "state": state,
        "reason": ended.get("reason") if state == "failed" else None,
        "started": status.get("startTime") or job["metadata"].get("creationTimestamp"),
        "finished": status.get("completionTime") or ended.get("lastTransitionTime"),
        "git_commit": notes.get(f"{ANNOTATION_PREFIX}/git-commit"),
    }


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None


def _head(repo: Path) -> str | None:
    found = _git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    return found.stdout.strip() if found is not None and found.returncode == 0 else None


def drift(repo: Path, commit: str, head: str | None, overrides: list[str]) -> dict[str, Any]:
    """Whether HEAD differs from ``commit`` in what a sweep is made of: ``drifted`` True,
    False, or None (cannot tell, with why), the files that differ, and the plan command."""
    if head is None:
        return {"drifted": None, "why": f"{repo} is not in a git repository with a commit"}
    if len(commit) != 40 or not all(c in "0123456789abcdef" for c in commit):
        return {"drifted": None, "why": f"scheduled from no git commit (recorded {commit!r})"}
    known = _git(repo, "cat-file", "-e", f"{commit}^{{commit}}")
    if known is None or known.returncode != 0:
        return {
            "drifted": None,
            "why": f"commit {commit[:12]} is not in this clone (git fetch may bring it)",
        }
    if commit == head:
        return {"drifted": False, "why": "HEAD is the scheduled commit", "files": []}
    diff = _git(repo, "diff", "--name-only", commit, head, "--", *SWEEP_FILES)
    if diff is None or diff.returncode != 0:
        return {"drifted": None, "why": f"git diff {commit[:12]} HEAD failed"}
    files = [line for line in diff.stdout.splitlines() if line]
    if not files:
        return {
            "drifted": False,
            "why": f"HEAD differs from {commit[:12]}, but not in {', '.join(SWEEP_FILES)}",
            "files": [],
        }
    kept = [o for o in overrides if _identifies(o)]
    plan = ["railyard-batch", "plan", *kept, "-m", "--against", commit, "--at", "HEAD"]
    return {
        "drifted": True,
        "why": f"{len(files)} file(s) of the sweep changed since {commit[:12]}",
        "files": files,
        "plan": shlex.join(plan),
    }
