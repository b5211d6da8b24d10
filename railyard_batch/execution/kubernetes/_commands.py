"""``railyard-batch status|wait|cancel SWEEP``: re-attach to a sweep's Jobs from the run store.

The run store knows the sweep's runs and their artifact directories; next to the run plans
lies ``kubernetes.json`` (namespace, context, kubeconfig, Job names), written at submit.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from railyard_batch.errors import ConfigError
from railyard_batch.execution.kubernetes._api import Api, connect
from railyard_batch.execution.kubernetes._indexes import parse_indexes
from railyard_batch.execution.kubernetes._names import ATTACHMENT
from railyard_batch.execution.kubernetes._reasons import job_failure_reason, pod_waiting_reason
from railyard_batch.execution.kubernetes._watch import sweep_selector, wait
from railyard_batch.recording.artifacts import ArtifactStore, join_uri
from railyard_batch.recording.outcomes import OutcomeRecorder
from railyard_batch.recording.records import RunRecord
from railyard_batch.recording.store import RunStore, open_store

if TYPE_CHECKING:
    from railyard_batch.planning.plan import RunPlan


def _sweep_dir(store: RunStore, sweep_id: str) -> tuple[list[RunRecord], str]:
    store.sweep(sweep_id)  # RunNotFoundError for an unknown id
    runs = store.runs(sweep_id)
    if not runs:
        raise ConfigError(f"Sweep {sweep_id!r} has no runs in the run store {store.name}.")
    return runs, str(runs[0].artifact_uri).rsplit("/", 1)[0]


def attachment(store: RunStore, sweep_id: str) -> dict[str, Any]:
    runs, sweep_dir = _sweep_dir(store, sweep_id)
    uri = f"{sweep_dir}/{ATTACHMENT}"
    try:
        record: dict[str, Any] = json.loads(ArtifactStore(sweep_dir).get(uri))
    except (OSError, FileNotFoundError):
        raise ConfigError(
            f"Sweep {sweep_id!r} was not submitted to Kubernetes (no {uri}); it ran on the "
            f"{store.sweep(sweep_id).backend!r} backend."
        ) from None
    record["runs"] = runs
    return record


def attach(store: RunStore, sweep_id: str) -> tuple[Api, dict[str, Any]]:
    record = attachment(store, sweep_id)
    api = connect(
        kubeconfig=record.get("kubeconfig"),
        context=record.get("context"),
        namespace=record["namespace"],
    )
    return api, record


def status(store: RunStore, sweep_id: str, api: Api | None = None) -> dict[str, Any]:
    """Member counts from the run store; per Job, its shards and why pods wait (two calls)."""
    if api is None:
        api, record = attach(store, sweep_id)
    else:
        record = attachment(store, sweep_id)
    selector = sweep_selector(sweep_id)
    jobs = api.get_json(
        "listing the sweep's Jobs",
        f"/apis/batch/v1/namespaces/{api.namespace}/jobs",
        labelSelector=selector,
    )["items"]
    pending = api.get_json(
        "listing the sweep's waiting pods",
        f"/api/v1/namespaces/{api.namespace}/pods",
        labelSelector=selector,
        fieldSelector="status.phase=Pending",
    )["items"]
    waiting: dict[str, Counter[str]] = {}
    for pod in pending:
        reason = pod_waiting_reason(pod)
        job = pod["metadata"].get("labels", {}).get("job-name", "?")
        waiting.setdefault(job, Counter())[reason or "Pending: not scheduled yet"] += 1
    rows = []
    by_name = {j["metadata"]["name"]: j for j in jobs}
    for name in record["jobs"]:
        job = by_name.get(name)
        st = (job or {}).get("status", {})
        conditions = {c["type"] for c in st.get("conditions") or [] if c.get("status") == "True"}
        state = (
            "missing"
            if job is None
            else "failed"
            if "Failed" in conditions
            else "complete"
            if "Complete" in conditions
            else "running"
        )
        rows.append(
            {
                "job": name,
                "state": state,
                "shards": (job or {}).get("spec", {}).get("completions"),
                "succeeded": len(parse_indexes(st.get("completedIndexes"))),
                "failed": len(parse_indexes(st.get("failedIndexes"))),
                "active": st.get("active", 0),
                "reason": job_failure_reason(job) if job else None,
                "waiting": dict(waiting.get(name, {})),
            }
        )
    gone = [row["job"] for row in rows if row["state"] == "missing"]
    if gone:
        _close_gone_jobs(store, sweep_id, record, gone)
    return {
        "sweep": sweep_id,
        "namespace": api.namespace,
        "members": store.state_counts(sweep_id),
        "jobs": rows,
    }


def _close_gone_jobs(
    store: RunStore, sweep_id: str, record: dict[str, Any], gone: list[str]
) -> None:
    """The cluster is evidence: a Job that no longer exists (deleted, cancelled, removed with
    its namespace) has no pod running its members. Outcomes its pods wrote are recorded; the
    rest of its members fail with that reason, and a sweep with nothing left in flight is
    closed, so the store never shows dead work as running."""
    from railyard_batch.execution.kubernetes._names import job_name
    from railyard_batch.execution.sync import sync_outcomes
    from railyard_batch.recording.store import MemberOutcome, now

    unfinished = {"queued", "running"}
    if not any(store.state_counts(sweep_id).get(s) for s in unfinished):
        return
    stamp = now()
    recorder = OutcomeRecorder.over(store)
    for plan in load_plans(store, sweep_id, record):
        name = job_name(plan.sweep_id, plan.job_num)
        if name not in gone:
            continue
        sync_outcomes(plan, recorder)
        reason = f"the Job {name} no longer exists (deleted or cancelled): no pod runs this member"
        lost = [
            MemberOutcome(m.id, "failed", stamp, stamp, reason=reason)
            for m in store.members(run_id=plan.run_id)
            if m.state in unfinished
        ]
        recorder.record(lost)
    if not any(store.state_counts(sweep_id).get(s) for s in unfinished):
        store.finish_runs(sweep_id)


def load_plans(store: RunStore, sweep_id: str, record: dict[str, Any]) -> list[RunPlan]:
    from railyard_batch.planning.plan import RunPlan

    plans = []
    runs: list[RunRecord] = record["runs"]
    for run in runs:
        uri = join_uri(str(run.artifact_uri), "plan.json")
        raw = json.loads(ArtifactStore(str(run.artifact_uri)).get(uri))
        # A shared plan hides the store's password: its results go to the store opened here.
        plans.append(RunPlan.from_dict({**raw, "store_url": store.url}))
    return plans


def wait_sweep(
    store: RunStore,
    sweep_id: str,
    *,
    poll_seconds: float = 2.0,
    timeout_s: float | None = None,
    api: Api | None = None,
    progress: bool = False,
) -> dict[str, int]:
    """Follow the sweep until its Jobs end, fill the run store, close the sweep."""
    if api is None:
        api, record = attach(store, sweep_id)
    else:
        record = attachment(store, sweep_id)
    plans = load_plans(store, sweep_id, record)
    pull_timeout = record.get("settings", {}).get("image_pull_timeout_seconds", 600)
    wait(
        api,
        plans,
        OutcomeRecorder.over(store),
        poll_seconds=poll_seconds,
        timeout_s=timeout_s,
        progress=progress,
        image_pull_timeout_s=float(pull_timeout),
    )
    store.finish_runs(sweep_id)
    return store.state_counts(sweep_id)


def cancel(store: RunStore, sweep_id: str, api: Api | None = None) -> int:
    """Delete the sweep's Jobs (their pods and ConfigMaps go with them); members not finished
    are recorded as failed, cancelled. Returns how many Jobs were deleted."""
    if api is None:
        api, record = attach(store, sweep_id)
    else:
        record = attachment(store, sweep_id)
    from railyard_batch.execution.kubernetes._api import KubernetesError

    deleted = 0
    for name in record["jobs"]:
        try:
            api.call(
                f"deleting Job {api.namespace}/{name}",
                api.batch.delete_namespaced_job,
                name,
                api.namespace,
                propagation_policy="Background",
            )
            deleted += 1
        except KubernetesError as exc:
            if exc.status != 404:
                raise
    store.fail_unfinished(sweep_id, "cancelled: railyard-batch cancel deleted the sweep's Jobs")
    store.finish_runs(sweep_id)
    return deleted


def run_command(ns: Any) -> int:
    """``railyard-batch status|wait|cancel`` (parsed by the CLI); returns the exit status."""
    import sys

    from railyard_batch.output.report import k8s_status_table, print_json, print_line, print_table

    with open_store(ns.store) as store:
        if ns.command == "status":
            result = status(store, ns.sweep)
            if ns.json:
                print_json(result)
            else:
                print_table(k8s_status_table(result))
            return 0
        if ns.command == "wait":
            try:
                counts = wait_sweep(
                    store,
                    ns.sweep,
                    poll_seconds=ns.poll_seconds,
                    timeout_s=ns.timeout,
                    progress=True,
                )
            except KeyboardInterrupt:
                print(
                    f"Stopped waiting; the Jobs keep running. Re-attach with: "
                    f"railyard-batch wait {ns.sweep}",
                    file=sys.stderr,
                )
                return 130
            if ns.json:
                print_json(counts)
            else:
                print_line(", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
            return 1 if counts.get("failed") else 0
        deleted = cancel(store, ns.sweep)
        print_line(f"deleted {deleted} Job(s) of sweep {ns.sweep}")
        return 0
